//! The relay core: one call between a TTY user (the customer leg) and a
//! voice agent (the agent leg), as a sans-IO state machine.
//!
//! ```text
//!  TTY text ──> Phraser ──> speech queue ──> Output::Speak ──> agent leg (TTS)
//!                                 ^ greetings, backlog notice
//!  agent STT commits ──> tty_form ──> TtyQueue (paced) ──> Output::Tty ──> TTY
//!                                          └─> backlog events, GA when drained
//! ```
//!
//! [`Call`] is fed inputs stamped with call time (`handle_*`), and the
//! caller drains [`Call::poll_output`] and sleeps until
//! [`Call::poll_timeout`]. It never reads a clock and does no I/O, so a
//! whole conversation runs in a test in milliseconds. Legs, engines and
//! timers live at the edges (`crate::legs`, the `relaygate call`
//! command).
//!
//! What it guarantees:
//!
//! - **Verbatim.** Every committed word of the agent reaches the TTY
//!   queue and every typed phrase reaches the speech queue; nothing is
//!   dropped or summarised.
//! - **Nothing typed is lost.** A phrase counts as spoken only when the
//!   agent leg says it finished playing it. Phrases handed to a leg that
//!   then drops go back to the front of the queue for the next agent.
//! - **Paced for the TTY.** The TTY queue releases characters no faster
//!   than the line prints them, so the backlog is known here, in
//!   characters and in seconds, and the agent is asked to pause when it
//!   grows past a threshold.
//! - **Private.** The transcript lives in the call and dies with it; the
//!   call's statistics hold counts and delays only.

mod call;
mod config;
pub mod review;
mod tty_queue;

pub use call::{Call, CallEvent, CallStats, Output, Party, TranscriptEntry, Utterance};
pub use config::RelayConfig;
