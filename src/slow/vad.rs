//! A frame-energy voice activity detector with an adaptive noise floor
//! and a hangover, shared by [`super::level`] (gain moves only during
//! speech) and [`super::stretch`] (pauses are found, lengthened or
//! shortened, never speech).
//!
//! Owns: frame level in dBFS, the noise floor estimate, the threshold and
//! the hangover count. Must not touch: samples (it only reads them), gain,
//! time stretch. It is deliberately simple: a pause detector for clean
//! telephone speech, not a speech/noise classifier.

use crate::media::frame::{FRAME_MS, Frame};

/// Level given to a frame of digital silence.
pub const FLOOR_DBFS: f32 = -100.0;
/// The threshold never drops below this, so line hiss on a quiet line is
/// not speech.
const MIN_THRESHOLD_DBFS: f32 = -55.0;
/// A frame is active when it is this far above the noise floor.
const MARGIN_DB: f32 = 10.0;
/// The noise floor rises this much per frame (1 dB/s) so it can climb
/// out of a quiet start; it falls at once to any quieter frame.
const FLOOR_RISE_DB: f32 = 0.02;
/// Speech is never taken for noise, however long it lasts.
const MAX_FLOOR_DBFS: f32 = -35.0;

/// RMS level of a frame in dBFS, relative to a full-scale square wave
/// (a full-scale sine reads -3 dBFS); [`FLOOR_DBFS`] for silence.
pub fn frame_dbfs(frame: &Frame) -> f32 {
    let power = frame.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / frame.len() as f64;
    if power <= 0.0 {
        return FLOOR_DBFS;
    }
    let db = 10.0 * (power / (32768.0f64 * 32768.0)).log10();
    (db as f32).max(FLOOR_DBFS)
}

/// What the detector made of one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Activity {
    /// The frame itself is above the threshold.
    pub active: bool,
    /// Active, or within the hangover after an active frame: treat it as
    /// speech (it may hold a weak consonant or a word's tail).
    pub speech: bool,
    /// The frame's level in dBFS.
    pub level_dbfs: f32,
}

/// The detector's state.
#[derive(Debug, Clone)]
pub struct Vad {
    /// Frames of hangover after the last active frame.
    hangover: u32,
    /// Hangover frames still to run.
    hang_left: u32,
    /// Noise floor in dBFS; `None` until the first frame sets it.
    floor: Option<f32>,
}

impl Vad {
    /// A detector whose speech state lasts `hangover_ms` past the last
    /// active frame.
    pub fn new(hangover_ms: u32) -> Vad {
        Vad {
            hangover: (u64::from(hangover_ms) / FRAME_MS) as u32,
            hang_left: 0,
            floor: None,
        }
    }

    /// Classifies the next frame.
    pub fn push(&mut self, frame: &Frame) -> Activity {
        let level = frame_dbfs(frame);
        // A call starts with its line's own noise more often than with
        // speech, so the first frame is the best first guess.
        let floor = self.floor.unwrap_or(level.min(MAX_FLOOR_DBFS));
        let threshold = (floor + MARGIN_DB).max(MIN_THRESHOLD_DBFS);
        let active = level > threshold;
        let floor = if level < floor {
            level
        } else {
            (floor + FLOOR_RISE_DB).min(MAX_FLOOR_DBFS)
        };
        self.floor = Some(floor);
        if active {
            self.hang_left = self.hangover;
        } else {
            self.hang_left = self.hang_left.saturating_sub(1);
        }
        Activity {
            active,
            speech: active || self.hang_left > 0,
            level_dbfs: level,
        }
    }

    /// Forgets everything (end of call).
    pub fn reset(&mut self) {
        self.hang_left = 0;
        self.floor = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::frame::FRAME;

    fn tone(amp: f32) -> Frame {
        let mut f = [0i16; FRAME];
        for (i, s) in f.iter_mut().enumerate() {
            *s = (amp * (i as f32 * 0.3).sin()) as i16;
        }
        f
    }

    #[test]
    fn levels() {
        assert_eq!(frame_dbfs(&[0; FRAME]), FLOOR_DBFS);
        assert!((frame_dbfs(&[32767; FRAME])).abs() < 0.01);
        assert!((frame_dbfs(&[3277; FRAME]) + 20.0).abs() < 0.01);
    }

    #[test]
    fn speech_then_hangover_then_pause() {
        let mut vad = Vad::new(100);
        for _ in 0..10 {
            assert!(!vad.push(&[0; FRAME]).speech);
        }
        // -40 dBFS speech over digital silence is found.
        let a = vad.push(&tone(460.0));
        assert!(a.active && a.speech);
        for _ in 0..4 {
            let a = vad.push(&[0; FRAME]);
            assert!(!a.active && a.speech, "hangover");
        }
        assert!(!vad.push(&[0; FRAME]).speech, "hangover is 5 frames");
    }

    #[test]
    fn noise_is_not_speech() {
        let mut vad = Vad::new(100);
        // -50 dBFS steady hiss from the first frame.
        let hiss = tone(145.0);
        for _ in 0..100 {
            assert!(!vad.push(&hiss).speech);
        }
        assert!(vad.push(&tone(3000.0)).active);
    }
}
