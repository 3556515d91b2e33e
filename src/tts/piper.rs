//! The neural engine: a Piper (VITS) voice run with ONNX Runtime.
//!
//! Owns: loading ONNX Runtime from the library `voices fetch` installed
//! (at run time, never at build time), loading the voice once, turning a
//! clause into Piper's phoneme ids, running the model, and mapping a
//! profile's rate onto Piper's `length_scale`.
//!
//! Phonemes come from libespeak-ng, as the voice was trained on: IPA for
//! one clause at a time, with the clause's mark put back (Debian's
//! libespeak-ng 1.51 drops it), decomposed (NFD), each character mapped
//! through the voice's `phoneme_id_map`, laid out as `^ _ (ph _)... $`.
//!
//! Must not touch: text normalisation, the cache layout (see `fetch`),
//! the libespeak-ng C calls (see `espeak_ffi`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use super::clause;
use super::espeak_ffi::Espeak;
use super::fetch::NeuralVoice;
use super::profile::{EngineKind, VoiceProfile};
use super::resample::{self, Converter};
use super::{TextToSpeech, TtsError, check_rate};

/// The rate, in words per minute, the voice speaks at with its own
/// `length_scale`; a profile's `rate_wpm` scales from it. Chosen so the
/// voice matches espeak-ng at the same `rate_wpm`: equal on sentences of
/// long words, about 10 % faster on short everyday words.
pub const NATURAL_WPM: f32 = 175.0;

/// ONNX Runtime allows one environment per process, ever; it is kept
/// here once made.
static ENVIRONMENT: Mutex<Option<Environment>> = Mutex::new(None);

/// The parts of the voice's `.onnx.json` we use.
#[derive(Debug, Deserialize)]
struct Config {
    audio: AudioConfig,
    espeak: EspeakConfig,
    inference: InferenceConfig,
    phoneme_id_map: HashMap<String, Vec<i64>>,
}

#[derive(Debug, Deserialize)]
struct AudioConfig {
    sample_rate: u32,
}

#[derive(Debug, Deserialize)]
struct EspeakConfig {
    voice: String,
}

#[derive(Debug, Deserialize)]
struct InferenceConfig {
    noise_scale: f32,
    length_scale: f32,
    noise_w: f32,
}

/// Options for loading the voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiperOptions {
    /// Threads ONNX Runtime may use for one clause (default 2).
    pub threads: usize,
}

impl Default for PiperOptions {
    fn default() -> Self {
        // Two threads halve the time to first audio on a two-core machine
        // (docs/benchmarks.md, call latency); workers do not spin, so they
        // leave the cores to whisper between phrases.
        PiperOptions { threads: 2 }
    }
}

/// A loaded Piper voice. Loading takes about a second and a half; keep
/// the engine and reuse it.
pub struct PiperEngine {
    session: Session,
    ids: HashMap<char, Vec<i64>>,
    espeak_voice: String,
    noise_scale: f32,
    length_scale: f32,
    noise_w: f32,
    native_rate: u32,
    converter: Option<Converter>,
}

impl std::fmt::Debug for PiperEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiperEngine")
            .field("espeak_voice", &self.espeak_voice)
            .field("native_rate", &self.native_rate)
            .finish_non_exhaustive()
    }
}

/// Gets the process's ONNX Runtime environment, loading the library at
/// `lib` the first time.
fn environment(lib: &Path) -> Result<Environment, TtsError> {
    let mut slot = ENVIRONMENT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(env) = slot.as_ref() {
        return Ok(env.clone());
    }
    let err = |message: String| TtsError::Runtime {
        path: lib.to_owned(),
        message,
    };
    let env = ort::init_from(lib)
        .map_err(|e| err(e.to_string()))?
        .with_name("relaygate")
        .with_telemetry(false)
        .build()
        .map_err(|e| err(e.to_string()))?;
    *slot = Some(env.clone());
    Ok(env)
}

impl PiperEngine {
    /// Loads the voice with default options (two threads).
    pub fn load(voice: &NeuralVoice) -> Result<PiperEngine, TtsError> {
        PiperEngine::load_with(voice, PiperOptions::default())
    }

    /// Loads ONNX Runtime (once per process), the voice's configuration
    /// and its model.
    pub fn load_with(voice: &NeuralVoice, options: PiperOptions) -> Result<PiperEngine, TtsError> {
        if let Some(missing) = voice.missing() {
            return Err(TtsError::NeuralNotInstalled { missing });
        }
        let config_err = |message: String| TtsError::Voice {
            path: voice.config.clone(),
            message,
        };
        let text = std::fs::read_to_string(&voice.config).map_err(|e| config_err(e.to_string()))?;
        let config: Config = serde_json::from_str(&text).map_err(|e| config_err(e.to_string()))?;
        let mut ids = HashMap::new();
        for (key, value) in config.phoneme_id_map {
            let mut chars = key.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                ids.insert(c, value);
            }
        }
        for needed in ['^', '_', '$'] {
            if !ids.contains_key(&needed) {
                return Err(config_err(format!("phoneme_id_map has no '{needed}'")));
            }
        }
        let env = environment(&voice.runtime)?;
        let model_err = |e: &dyn std::fmt::Display| TtsError::Voice {
            path: voice.model.clone(),
            message: e.to_string(),
        };
        let threads = options.threads.max(1);
        let session = Session::builder(&env)
            .map_err(|e| model_err(&e))?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(|e| model_err(&e))?
            .with_intra_threads(threads)
            .map_err(|e| model_err(&e))?
            .with_inter_threads(1)
            .map_err(|e| model_err(&e))?
            // Idle workers must not spin: whisper shares the cores during
            // a call, and speech is made only now and then.
            .with_intra_op_spinning(false)
            .map_err(|e| model_err(&e))?
            .commit_from_file(&voice.model)
            .map_err(|e| model_err(&e))?;
        let InferenceConfig {
            noise_scale,
            length_scale,
            noise_w,
        } = config.inference;
        Ok(PiperEngine {
            session,
            ids,
            espeak_voice: config.espeak.voice,
            noise_scale,
            length_scale,
            noise_w,
            native_rate: config.audio.sample_rate,
            converter: None,
        })
    }

    /// Turns off the voice's sampled variation (VITS draws noise for the
    /// sound and for each phoneme's length), so the same text always
    /// gives the same audio: for tests that must hear the same speech on
    /// every run. The voice sounds a little flatter.
    pub fn set_repeatable(&mut self) {
        self.noise_scale = 0.0;
        self.noise_w = 0.0;
    }

    /// The rate the model synthesizes at (22,050 Hz for this voice).
    pub fn native_rate(&self) -> u32 {
        self.native_rate
    }

    /// Phoneme ids for one clause (text with its closing mark), laid out
    /// `^ _ (ph _)... $`. Characters the voice does not know are skipped.
    fn clause_ids(&self, clause: &clause::Clause<'_>) -> Result<Vec<i64>, TtsError> {
        let mut phonemes = {
            let mut es = Espeak::lock()?;
            es.set_voice(&self.espeak_voice)?;
            es.phonemes(clause.text)
        };
        if let Some(mark) = clause.mark {
            phonemes.push(mark);
        }
        let mut ids = Vec::with_capacity(phonemes.len() * 2 + 3);
        let get = |c: char| self.ids.get(&c).map(Vec::as_slice).unwrap_or(&[]);
        ids.extend_from_slice(get('^'));
        ids.extend_from_slice(get('_'));
        let mut unknown = 0usize;
        for c in phonemes.nfd() {
            match self.ids.get(&c) {
                Some(v) => {
                    ids.extend_from_slice(v);
                    ids.extend_from_slice(get('_'));
                }
                None => unknown += 1,
            }
        }
        ids.extend_from_slice(get('$'));
        if unknown > 0 {
            tracing::debug!(unknown, "phonemes the voice does not know were skipped");
        }
        Ok(ids)
    }

    /// Runs the model on one clause's ids; float samples at the native
    /// rate.
    fn infer(&mut self, ids: Vec<i64>, length_scale: f32) -> Result<Vec<f32>, TtsError> {
        let err = |e: ort::Error| TtsError::Inference {
            message: e.to_string(),
        };
        let len = ids.len() as i64;
        let input = Tensor::from_array(([1usize, ids.len()], ids)).map_err(err)?;
        let lengths = Tensor::from_array(([1usize], vec![len])).map_err(err)?;
        let scales =
            Tensor::from_array(([3usize], vec![self.noise_scale, length_scale, self.noise_w]))
                .map_err(err)?;
        let outputs = self
            .session
            .run(ort::inputs![
                "input" => input,
                "input_lengths" => lengths,
                "scales" => scales,
            ])
            .map_err(err)?;
        let (_, audio) = outputs[0].try_extract_tensor::<f32>().map_err(err)?;
        Ok(audio.to_vec())
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

impl TextToSpeech for PiperEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Neural
    }

    fn synthesize_clauses(
        &mut self,
        text: &str,
        profile: &VoiceProfile,
        sample_rate: u32,
        sink: &mut dyn FnMut(&[i16]),
    ) -> Result<(), TtsError> {
        check_rate(sample_rate)?;
        // This voice's time to first audio grows with the clause, so a
        // long first clause is cut short (espeak-ng needs no such cut).
        let clauses = clause::split_with_lead(text);
        if clauses.is_empty() {
            return Err(TtsError::EmptyText);
        }
        // Slower speech is longer phonemes: rate maps inversely onto the
        // voice's own length scale.
        let length_scale = self.length_scale * NATURAL_WPM / profile.rate_wpm as f32;
        let gain = f32::from(profile.volume) / 100.0;
        let mut out = Vec::new();
        for (i, c) in clauses.iter().enumerate() {
            let ids = self.clause_ids(c)?;
            let audio = self.infer(ids, length_scale)?;
            let converted = self.converter(sample_rate)?.process(&audio)?;
            out.clear();
            resample::to_pcm16(&converted, gain, &mut out);
            if i + 1 < clauses.len() {
                // The model cannot put silence between the words of a
                // clause, so the word gap is added at every cut instead.
                let pause = clause::pause_after_ms(c, profile, profile.word_gap_ms);
                resample::silence(sample_rate, pause, &mut out);
            }
            sink(&out);
        }
        tracing::debug!(clauses = clauses.len(), "neural synthesis done");
        Ok(())
    }
}
