//! Desk speech (cargo feature `desk-speech`): speaks on this machine's
//! own sound device through the `tts` crate and speech-dispatcher.
//!
//! Owns: mapping a [`VoiceProfile`] onto the platform voice's rate,
//! pitch, volume and language. It is for desk deployments and an
//! operator's own machine only: the platform speaks the text itself and
//! hands back no samples, so it cannot feed a call and does not implement
//! [`TextToSpeech`](super::TextToSpeech). Must not touch: call audio.
//!
//! Run headless, speech-dispatcher starts a daemon and reports success
//! even when no sound device opens (the failure is only in its log), so
//! `Ok` here means "handed over", not "heard".

use super::profile::{self, VoiceProfile};

/// Why desk speech failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    /// The platform speech service could not be reached or refused.
    #[error("local speech service: {0}")]
    Platform(#[from] tts::Error),
}

/// The local speech service. Not `Send`: keep it on one thread.
pub struct DeskSpeech {
    tts: tts::Tts,
}

impl std::fmt::Debug for DeskSpeech {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskSpeech").finish_non_exhaustive()
    }
}

/// Maps `value` in `from` (with `mid` as the normal point) linearly onto
/// `lo..=hi` with `normal` as the normal point.
fn map(value: f32, from: (f32, f32, f32), lo: f32, normal: f32, hi: f32) -> f32 {
    let (min, mid, max) = from;
    let out = if value >= mid {
        normal + (value - mid) / (max - mid) * (hi - normal)
    } else {
        normal - (mid - value) / (mid - min) * (normal - lo)
    };
    out.clamp(lo, hi)
}

impl DeskSpeech {
    /// Connects to the platform's speech service (speech-dispatcher).
    pub fn new() -> Result<DeskSpeech, DeskError> {
        Ok(DeskSpeech {
            tts: tts::Tts::default()?,
        })
    }

    /// Speaks `text` with `profile`'s rate, pitch, volume and language,
    /// interrupting anything still being said.
    pub fn speak(&mut self, text: &str, profile: &VoiceProfile) -> Result<(), DeskError> {
        let t = &mut self.tts;
        let rates = (
            *profile::RATE_WPM.start() as f32,
            175.0,
            *profile::RATE_WPM.end() as f32,
        );
        let rate = map(
            profile.rate_wpm as f32,
            rates,
            t.min_rate(),
            t.normal_rate(),
            t.max_rate(),
        );
        let pitch = map(
            f32::from(profile.pitch),
            (0.0, 50.0, 100.0),
            t.min_pitch(),
            t.normal_pitch(),
            t.max_pitch(),
        );
        let volume = (t.normal_volume() * f32::from(profile.volume) / 100.0)
            .clamp(t.min_volume(), t.max_volume());
        t.set_rate(rate)?;
        t.set_pitch(pitch)?;
        t.set_volume(volume)?;
        let language = profile.language.to_ascii_lowercase();
        if let Ok(voices) = t.voices() {
            let found = voices
                .iter()
                .find(|v| v.language().as_str().to_ascii_lowercase() == language)
                .or_else(|| {
                    voices.iter().find(|v| {
                        v.language()
                            .as_str()
                            .to_ascii_lowercase()
                            .starts_with(language.split('-').next().unwrap_or(""))
                    })
                });
            if let Some(voice) = found {
                t.set_voice(voice)?;
            }
        }
        t.speak(text, true)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn rates_map_around_the_normal_point() {
        let from = (80.0, 175.0, 450.0);
        assert_eq!(map(175.0, from, -100.0, 0.0, 100.0), 0.0);
        assert_eq!(map(80.0, from, -100.0, 0.0, 100.0), -100.0);
        assert_eq!(map(450.0, from, -100.0, 0.0, 100.0), 100.0);
        assert!(map(130.0, from, -100.0, 0.0, 100.0) < 0.0);
    }
}
