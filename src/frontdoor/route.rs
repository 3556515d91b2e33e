//! The route table (being written).
