//! TTY hardware profiles.
