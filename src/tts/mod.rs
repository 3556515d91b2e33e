//! Text to speech: what the agent hears when the TTY user types.
//!
//! Owns: the [`TextToSpeech`] trait and its engines, voice profiles
//! (`voices/*.toml`), the choice of engine for a profile with its
//! fallback, and the `voices fetch` installer of the neural voice.
//! Must not touch: text normalisation (abbreviations, numbers and TTY
//! conventions are `text`'s job; engines get text that is already
//! speakable), call legs, and the clock. Conversation text is never
//! logged here: only counts and durations.
//!
//! # Engines
//!
//! - [`PiperEngine`]: a neural Piper voice run with ONNX Runtime. The
//!   default for English call audio: over a telephone line it stays
//!   intelligible where espeak-ng does not.
//! - [`EspeakEngine`]: libespeak-ng. Every language it knows, tiny and
//!   always available: the fallback when the neural voice is not
//!   installed, and the engine for non-English profiles.
//! - `DeskSpeech` (cargo feature `desk-speech`): the `tts` crate speaking
//!   through speech-dispatcher on the local sound device. It cannot hand
//!   back samples, so it cannot feed a call; it is for desk deployments.
//!
//! Both call engines synthesize at 22,050 Hz, clause by clause, and
//! resample each clause to the rate asked for (8 kHz for calls), so the
//! first clause can be sent while the rest is still being made:
//!
//! ```text
//!   text -> clause::split -> engine (22,050 Hz) -> resample -> + pause -> sink
//! ```

pub mod clause;
#[cfg(feature = "desk-speech")]
pub mod desk;
pub mod espeak;
mod espeak_ffi;
pub mod fetch;
pub mod piper;
pub mod profile;
pub mod resample;

use std::fmt;
use std::path::PathBuf;

pub use espeak::EspeakEngine;
pub use fetch::NeuralVoice;
pub use piper::PiperEngine;
pub use profile::{EngineKind, ProfileError, VoiceProfile};

/// Lowest output rate an engine accepts.
pub const MIN_SAMPLE_RATE: u32 = 8000;
/// Highest output rate an engine accepts.
pub const MAX_SAMPLE_RATE: u32 = 48_000;

/// A speech synthesizer that returns samples.
///
/// Output is mono 16-bit PCM at the rate asked for. Engines speak the
/// text as given; pass it through the TTY-to-speech path first.
pub trait TextToSpeech: Send {
    /// Which engine this is.
    fn kind(&self) -> EngineKind;

    /// Synthesizes `text` clause by clause, handing each clause's samples
    /// (followed by the pause after it) to `sink` as soon as they are
    /// ready. The first call to `sink` is the first audio.
    fn synthesize_clauses(
        &mut self,
        text: &str,
        profile: &VoiceProfile,
        sample_rate: u32,
        sink: &mut dyn FnMut(&[i16]),
    ) -> Result<(), TtsError>;

    /// Synthesizes all of `text` into one buffer.
    fn synthesize(
        &mut self,
        text: &str,
        profile: &VoiceProfile,
        sample_rate: u32,
    ) -> Result<Vec<i16>, TtsError> {
        let mut all = Vec::new();
        self.synthesize_clauses(text, profile, sample_rate, &mut |s| {
            all.extend_from_slice(s);
        })?;
        Ok(all)
    }
}

/// Why speech could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TtsError {
    /// The text has no letters or digits to speak.
    #[error("nothing to say: the text has no words")]
    EmptyText,
    /// The output rate is outside 8,000 to 48,000 Hz.
    #[error("sample rate {rate} Hz is not supported: use 8000 to 48000")]
    SampleRate {
        /// The rate asked for.
        rate: u32,
    },
    /// libespeak-ng could not start (usually its data files are missing).
    #[error("espeak-ng could not start: is the espeak-ng-data package installed?")]
    EspeakUnavailable,
    /// libespeak-ng has no voice for the profile's language.
    #[error("espeak-ng has no voice for language '{language}'")]
    UnknownLanguage {
        /// The language asked for.
        language: String,
    },
    /// A libespeak-ng call failed.
    #[error("espeak-ng could not {what} (status {status})")]
    Espeak {
        /// The library's status code.
        status: i32,
        /// What was being done.
        what: &'static str,
    },
    /// The neural voice's files are not in the cache.
    #[error("the neural voice is not installed ({} is missing): run `relaygate voices fetch`", .missing.display())]
    NeuralNotInstalled {
        /// The first file found missing.
        missing: PathBuf,
    },
    /// The ONNX Runtime library could not be loaded.
    #[error("cannot load ONNX Runtime from {}: {message}", .path.display())]
    Runtime {
        /// The library file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The neural voice's model or its JSON configuration is unusable.
    #[error("cannot load the neural voice {}: {message}", .path.display())]
    Voice {
        /// The model or configuration file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Running the neural model failed.
    #[error("the neural voice failed: {message}")]
    Inference {
        /// What ONNX Runtime said.
        message: String,
    },
    /// Sample-rate conversion failed.
    #[error("cannot convert the sample rate: {message}")]
    Resample {
        /// What the resampler said.
        message: String,
    },
}

/// Checks an output rate.
pub(crate) fn check_rate(rate: u32) -> Result<(), TtsError> {
    if (MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(TtsError::SampleRate { rate })
    }
}

/// Why a `neural` profile is being spoken by espeak-ng instead.
#[derive(Debug)]
#[non_exhaustive]
pub enum Fallback {
    /// The neural voice has not been fetched.
    NotInstalled {
        /// The first file found missing.
        missing: PathBuf,
    },
    /// The neural voice is there but would not load.
    LoadFailed {
        /// Why it would not load.
        error: TtsError,
    },
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fallback::NotInstalled { .. } => f.write_str(
                "the neural voice is not installed, speaking with espeak-ng instead (harder to understand on a phone line): run `relaygate voices fetch`",
            ),
            Fallback::LoadFailed { error } => write!(
                f,
                "speaking with espeak-ng instead of the neural voice (harder to understand on a phone line): {error}"
            ),
        }
    }
}

/// An engine ready for a profile, and whether it is a fallback.
pub struct Opened {
    /// The engine to speak with.
    pub engine: Box<dyn TextToSpeech>,
    /// Set when a `neural` profile got espeak-ng; tell the user.
    pub fallback: Option<Fallback>,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("engine", &self.engine.kind())
            .field("fallback", &self.fallback)
            .finish()
    }
}

/// Opens the engine `profile` asks for. A `neural` profile whose voice is
/// missing or broken gets espeak-ng, with the reason in
/// [`Opened::fallback`]: the caller must tell the user (the CLI prints
/// it on stderr), never drop it.
pub fn open(profile: &VoiceProfile, neural: &NeuralVoice) -> Result<Opened, TtsError> {
    if profile.engine == EngineKind::Neural {
        let fallback = match neural.missing() {
            Some(missing) => Fallback::NotInstalled { missing },
            None => match PiperEngine::load(neural) {
                Ok(engine) => {
                    return Ok(Opened {
                        engine: Box::new(engine),
                        fallback: None,
                    });
                }
                Err(error) => Fallback::LoadFailed { error },
            },
        };
        return Ok(Opened {
            engine: Box::new(EspeakEngine::new()?),
            fallback: Some(fallback),
        });
    }
    Ok(Opened {
        engine: Box::new(EspeakEngine::new()?),
        fallback: None,
    })
}
