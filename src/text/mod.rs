//! Text handling for TTYs: Baudot character tables and the shift state
//! of a 5-bit line.
//!
//! Pure code: characters and 5-bit codes in and out, no audio, no time.

pub mod baudot;
mod speakable_stub;

pub use speakable_stub::speakable;
