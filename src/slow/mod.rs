//! Slow mode for elderly voice callers (being written).
