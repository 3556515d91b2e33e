//! Legs: the I/O edges of a call. Each leg is an async task (or a plain
//! struct driven by one) that owns one device or file and turns it into
//! the text, audio and events the sans-IO core works with.
//!
//! - [`serial`]: a TTY on a serial port (`tokio-serial`), with
//!   [`serial_codec`] for its bytes.
//! - [`file_agent`]: the agent's voice from a WAV file at real-time pace,
//!   and what the agent hears to a WAV file on the same timeline.
//!
//! Legs never decide anything about the conversation; that is
//! [`crate::relay`]'s. They never log content, only metadata.

pub mod file_agent;
pub mod serial;
pub mod serial_codec;
