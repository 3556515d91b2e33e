//! Legs: the I/O edges of a call. Each leg is a plain struct driven by
//! the call loop on its media clock, or an async task that owns one
//! device, and turns it into the text, audio and events the sans-IO core
//! works with.
//!
//! - [`customer`]: what the call loop needs of any customer leg.
//! - [`serial`]: a TTY on a serial port (`tokio-serial`), with
//!   [`serial_codec`] for its bytes.
//! - [`audio_tty`]: a TTY on a phone line: the Baudot modem session over
//!   a media port, and the detection of a TTY on an `auto` line.
//! - [`agent_voice`]: the agent's voice over any media port (a WAV file,
//!   RTP): captions from it, synthesized speech to it.
//!
//! Legs never decide anything about the conversation; that is
//! [`crate::relay`]'s. They never log content, only metadata.

pub mod agent_voice;
pub mod audio_tty;
pub mod customer;
pub mod serial;
pub mod serial_codec;
