//! Text handling for TTYs: Baudot tables and shift state, TTY
//! conventions and XXX erasing, how numbers are read, speakable text for
//! the agent, text fit for a Baudot TTY, and the phrasing of typed text
//! into spoken phrases.
//!
//! Pure code: characters, words and call time in; text and events out.
//! No audio, no clock, no I/O.

pub mod baudot;
pub mod conventions;
pub mod erasure;
pub mod numbers;
pub mod phrasing;
pub mod shift_habit;
pub mod speakable;
pub mod tty_form;

pub use speakable::speakable;
