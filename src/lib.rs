//! relaygate: a gateway between text telephones (TTYs) and a contact
//! center's voice agent queue.
//!
//! # Design
//!
//! The crate follows a sans-IO split. The protocol, signal-processing and
//! relay logic are plain state machines: samples, bytes, text and time go
//! in, output and events come out. They never read the clock, never touch
//! a file or socket, and never import tokio:
//!
//! - [`relay`]: one call between a TTY user and a voice agent: phrasing,
//!   the paced TTY queue, backlog, turn-taking, nothing lost.
//! - [`modem`]: Baudot FSK modulator and demodulator over caller-owned
//!   sample buffers, and a half-duplex session that blanks its own echo.
//! - [`text`]: Baudot tables and shifts, TTY conventions, the speakable
//!   form of typed text, the printable form of spoken text, phrasing.
//! - [`audio`]: WAV parsing and writing, G.711 companding.
//! - [`device`]: TTY hardware profiles (`devices/*.toml`).
//! - [`stt`]: speech-to-text with whisper.cpp: the streaming transcriber
//!   and its commit policy are sans-IO; model import and fetch read files
//!   only in named edge functions.
//! - [`tts`]: text to speech for the agent's ear: engines behind one
//!   trait, voice profiles (`voices/*.toml`), the neural voice installer.
//!   One of two modules with `unsafe` code, confined to its libespeak-ng
//!   FFI; the other is [`slow`], confined to its libsonic FFI.
//!
//! - [`config`]: `relaygate serve`'s configuration, checked with file,
//!   line and key in every error.
//! - [`media`]: frames, RTP packets, the playout buffer, RFC 4733 events
//!   (sans-IO), and the media ports (RTP socket, WAV files).
//! - [`sip`]: SDP offer and answer (sans-IO) and the SIP stack edge.
//! - [`frontdoor`]: menus, routes, service hours and case numbers before
//!   an agent answers (sans-IO).
//! - [`slow`]: slow mode's level and time stretch for elderly callers
//!   (sans-IO; libsonic by FFI).
//! - [`console`]: the operator console's users and roles (Argon2id
//!   hashes in a TOML file).
//!
//! I/O lives only at the edges: [`legs`] (serial port, audio TTY, the
//! agent's voice over a port), [`media`]'s ports, [`sip::stack`],
//! [`engines`] (the shared whisper weights and speech worker),
//! [`call_runner`] (the clock and the tokio loop that joins a call
//! together), [`gateway`] (`relaygate serve`), [`softphone`] (software
//! phones for trying it), and the command-line interface in `main.rs`
//! and `cli/`. `docs/architecture.md` draws how a call flows.
//!
//! ```text
//!   caller (RTP tones) -> legs::audio_tty -> relay::Call -> speech worker -> legs::agent_voice (RTP)
//!   agent voice (RTP) -> stt::streaming -> relay::Call -> legs::audio_tty -> caller
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod audio;
mod cache_root;
pub mod call_runner;
pub mod config;
pub mod console;
pub mod device;
pub mod engines;
pub mod frontdoor;
pub mod gateway;
pub mod legs;
pub mod media;
pub mod modem;
pub mod relay;
pub mod sip;
pub mod slow;
pub mod softphone;
pub mod stt;
pub mod text;
mod toml_profile;
pub mod tts;
