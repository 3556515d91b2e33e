//! Service hours per queue (being written).
