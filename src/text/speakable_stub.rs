//! Placeholder for the TTY-to-speech path, so `tts say` can call it
//! before the real one (GA, SK, abbreviations, numbers...) is merged.
//!
//! Owns nothing for long: it is replaced at merge. Must not touch audio.

/// Text as it should be spoken. For now this only lower-cases TTY
/// capitals, so they are not spelled out letter by letter.
pub fn speakable(text: &str) -> String {
    text.to_lowercase()
}
