//! The libespeak-ng engine: formant synthesis for every language
//! espeak-ng knows, returned as samples (never played).
//!
//! Owns: mapping a [`VoiceProfile`] onto espeak-ng's parameters (rate in
//! words per minute, word gap in 10 ms units, pitch, volume, voice by
//! language) and speaking clause by clause. Must not touch: the C calls
//! themselves (`espeak_ffi` holds them and the global lock), text
//! normalisation.

use super::clause;
use super::espeak_ffi::{Espeak, Param};
use super::profile::{EngineKind, VoiceProfile};
use super::resample::{self, Converter};
use super::{TextToSpeech, TtsError, check_rate};

/// Speaks with libespeak-ng. Cheap to create; all instances share the one
/// library, taking turns.
#[derive(Debug)]
pub struct EspeakEngine {
    native_rate: u32,
    converter: Option<Converter>,
}

impl EspeakEngine {
    /// Starts libespeak-ng if needed. Fails when its data is missing.
    pub fn new() -> Result<EspeakEngine, TtsError> {
        let native_rate = Espeak::lock()?.sample_rate();
        Ok(EspeakEngine {
            native_rate,
            converter: None,
        })
    }

    /// The rate espeak-ng synthesizes at (22,050 Hz).
    pub fn native_rate(&self) -> u32 {
        self.native_rate
    }

    fn converter(&mut self, to: u32) -> Result<&mut Converter, TtsError> {
        let stale = self.converter.as_ref().is_none_or(|c| c.to_rate() != to);
        if stale {
            self.converter = Some(Converter::new(self.native_rate, to)?);
        }
        self.converter.as_mut().ok_or(TtsError::Resample {
            message: "no converter".to_owned(),
        })
    }
}

/// Sets voice and parameters for `profile`. Every synth call does this,
/// because another engine may have changed them in between.
fn configure(es: &mut Espeak, profile: &VoiceProfile) -> Result<(), TtsError> {
    es.set_voice(&profile.language)?;
    let clamp = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    es.set_param(Param::Rate, clamp(profile.rate_wpm))?;
    // espeak-ng counts the word gap in 10 ms units (at its default speed).
    es.set_param(Param::WordGap, clamp(profile.word_gap_ms.div_ceil(10)))?;
    es.set_param(Param::Pitch, i32::from(profile.pitch))?;
    es.set_param(Param::Volume, i32::from(profile.volume))?;
    Ok(())
}

impl TextToSpeech for EspeakEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Espeak
    }

    fn synthesize_clauses(
        &mut self,
        text: &str,
        profile: &VoiceProfile,
        sample_rate: u32,
        sink: &mut dyn FnMut(&[i16]),
    ) -> Result<(), TtsError> {
        check_rate(sample_rate)?;
        let clauses = clause::split(text);
        if clauses.is_empty() {
            return Err(TtsError::EmptyText);
        }
        // Check the voice before any audio goes out.
        configure(&mut Espeak::lock()?, profile)?;
        let mut out = Vec::new();
        for (i, c) in clauses.iter().enumerate() {
            // The lock is held per clause only, so other calls' clauses
            // can interleave with ours.
            let raw = {
                let mut es = Espeak::lock()?;
                configure(&mut es, profile)?;
                es.synth(&c.with_mark())?
            };
            let floats: Vec<f32> = raw.iter().map(|s| f32::from(*s) / 32768.0).collect();
            let converted = self.converter(sample_rate)?.process(&floats)?;
            out.clear();
            resample::to_pcm16(&converted, 1.0, &mut out);
            if i + 1 < clauses.len() {
                // espeak-ng places the word gap itself.
                resample::silence(sample_rate, clause::pause_after_ms(c, profile, 0), &mut out);
            }
            sink(&out);
        }
        tracing::debug!(clauses = clauses.len(), "espeak-ng synthesis done");
        Ok(())
    }
}
