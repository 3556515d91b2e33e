//! relaygate: a gateway between text telephones (TTYs) and a contact
//! center's voice agent queue.
//!
//! # Design
//!
//! The crate follows a sans-IO split. The protocol and signal-processing
//! parts are plain state machines: samples, bytes, text and time go in,
//! output and events come out. They never read the clock, never touch a
//! file or socket, and never import tokio:
//!
//! - [`modem`]: Baudot FSK modulator and demodulator over caller-owned
//!   sample buffers, and a half-duplex session that blanks its own echo.
//! - [`text`]: Baudot character tables and shift handling.
//! - [`audio`]: WAV parsing and writing, G.711 companding.
//! - [`device`]: TTY hardware profiles (`devices/*.toml`).
//! - [`stt`]: speech-to-text with whisper.cpp, and the model import that
//!   feeds it (model files are read only by its named edge functions).
//! - [`tts`]: text to speech for the agent's ear: engines behind one
//!   trait, voice profiles (`voices/*.toml`), the neural voice installer.
//!   The one module with `unsafe` code, confined to its libespeak-ng FFI.
//!
//! I/O lives only at the edges: the command-line interface in `main.rs`
//! and `cli.rs` reads files and writes stdout.
//!
//! ```text
//!   WAV/G.711 -> audio -> modem::Demodulator -> text::Decoder -> text
//!   text -> text::Encoder -> modem::Modulator -> audio -> WAV
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod audio;
pub mod device;
pub mod legs;
pub mod modem;
pub mod relay;
pub mod stt;
pub mod text;
pub mod tts;
