//! Slow mode for elderly voice callers: the agent's speech, leveled and
//! slowed at unchanged pitch, with longer pauses, a repeat key and the
//! caller in control of pace and volume (DESIGN.md §10).
//!
//! Sans-IO: frames of 8 kHz samples go in and come out, one each per
//! 20 ms tick; nothing here reads the clock or does I/O.
//!
//! - [`level`]: automatic gain control toward a steady speech level, the
//!   caller's "louder" boost, and a peak limiter that never clips.
//! - [`stretch`]: the time stretch, the pause policy (longer pauses at
//!   sentence ends, shorter ones to pay back lag), repeat.
//! - [`sonic_ffi`]: the one place that calls libsonic; all of this
//!   module's `unsafe` lives there.
//! - `vad`: the frame-energy voice activity detector both use.
//!
//! [`SlowMode`] joins them in the order a call needs (level, then
//! stretch) and maps the caller's keys: 4 slower, 6 faster, 8 louder,
//! `*` repeat.

pub mod level;
pub mod sonic_ffi;
pub mod stretch;
mod vad;

#[cfg(test)]
mod stretch_tests;
#[cfg(test)]
mod test_signal;

pub use level::{Level, LevelConfig};
pub use sonic_ffi::{Sonic, SonicError};
pub use stretch::{REPEAT_SPEED, SPEEDS, StretchConfig, Stretcher};

use crate::media::frame::Frame;

/// A caller's key that slow mode acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlowKey {
    /// Key 4.
    Slower,
    /// Key 6.
    Faster,
    /// Key 8.
    Louder,
    /// Key `*`.
    Repeat,
}

impl SlowKey {
    /// The slow-mode meaning of a DTMF digit, if it has one.
    pub fn from_digit(digit: char) -> Option<SlowKey> {
        match digit {
            '4' => Some(SlowKey::Slower),
            '6' => Some(SlowKey::Faster),
            '8' => Some(SlowKey::Louder),
            '*' => Some(SlowKey::Repeat),
            _ => None,
        }
    }
}

/// Level and stretch for one call's agent-to-caller audio.
#[derive(Debug)]
pub struct SlowMode {
    level: Level,
    stretch: Stretcher,
}

impl SlowMode {
    /// Slow mode with the given settings.
    pub fn new(level: LevelConfig, stretch: StretchConfig) -> Result<SlowMode, SonicError> {
        Ok(SlowMode {
            level: Level::new(level),
            stretch: Stretcher::new(stretch)?,
        })
    }

    /// The agent's next 20 ms.
    pub fn push_frame(&mut self, frame: &Frame) -> Result<(), SonicError> {
        let leveled = self.level.process(frame);
        self.stretch.push_frame(&leveled)
    }

    /// The caller's next 20 ms.
    pub fn pull_frame(&mut self) -> Frame {
        self.stretch.pull_frame()
    }

    /// Acts on a key; `Ok(false)` when it changed nothing (at a limit,
    /// or nothing to repeat).
    pub fn key(&mut self, key: SlowKey) -> Result<bool, SonicError> {
        Ok(match key {
            SlowKey::Slower => self.stretch.slower(),
            SlowKey::Faster => self.stretch.faster(),
            SlowKey::Louder => self.level.louder(),
            SlowKey::Repeat => self.stretch.repeat()?,
        })
    }

    /// The gain stage.
    pub fn level(&self) -> &Level {
        &self.level
    }

    /// The stretcher.
    pub fn stretch(&self) -> &Stretcher {
        &self.stretch
    }

    /// Back to a fresh call: start speed, no boost, nothing queued.
    pub fn end_of_call(&mut self) -> Result<(), SonicError> {
        self.level.reset();
        self.stretch.end_of_call()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::frame::SILENCE;

    #[test]
    fn keys_map_and_act() {
        assert_eq!(SlowKey::from_digit('4'), Some(SlowKey::Slower));
        assert_eq!(SlowKey::from_digit('6'), Some(SlowKey::Faster));
        assert_eq!(SlowKey::from_digit('8'), Some(SlowKey::Louder));
        assert_eq!(SlowKey::from_digit('*'), Some(SlowKey::Repeat));
        assert_eq!(SlowKey::from_digit('5'), None);
        let mut slow =
            SlowMode::new(LevelConfig::default(), StretchConfig::default()).expect("slow mode");
        assert!(slow.key(SlowKey::Slower).expect("key"));
        assert_eq!(slow.stretch().speed(), 0.8);
        assert!(slow.key(SlowKey::Louder).expect("key"));
        assert_eq!(slow.level().boost_db(), 6.0);
        assert!(!slow.key(SlowKey::Repeat).expect("key"), "nothing said yet");
        slow.push_frame(&SILENCE).expect("push");
        assert_eq!(slow.pull_frame(), SILENCE);
        slow.end_of_call().expect("reset");
        assert_eq!(slow.stretch().speed(), 0.9);
        assert_eq!(slow.level().boost_db(), 0.0);
    }

    #[test]
    fn slow_mode_is_send() {
        fn send<T: Send>() {}
        send::<SlowMode>();
    }
}
