//! The unit of audio every media port moves: 20 ms of 8 kHz linear PCM.
//!
//! Owns the frame size and rate only; ports and codecs live elsewhere.

/// Narrowband telephony: every port runs at this rate.
pub const RATE: u32 = 8000;

/// Samples in one frame.
pub const FRAME: usize = 160;

/// A frame's length in milliseconds.
pub const FRAME_MS: u64 = 20;

/// One frame of audio.
pub type Frame = [i16; FRAME];

/// A frame of silence.
pub const SILENCE: Frame = [0; FRAME];
