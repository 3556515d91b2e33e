//! The menu's state machine (being written).
