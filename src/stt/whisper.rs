//! The whisper.cpp engine (through whisper-rs) behind [`SpeechToText`].
//!
//! This module owns loading a GGML model and running whisper on 16 kHz
//! mono audio. Loading is an edge: it opens the model file, first to
//! check its structure with [`ggml::check`] (whisper.cpp's own loader
//! trusts the file and can abort the process on a damaged one), then to
//! hand it to whisper.cpp. Transcription itself does no I/O. whisper.cpp's
//! log lines are routed into `tracing` so they never reach stdout.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use super::error::SttError;
use super::ggml::{self, ModelInfo};
use super::{Segment, SpeechToText};

/// How the engine runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhisperOptions {
    /// CPU threads whisper.cpp may use.
    pub threads: usize,
    /// Spoken language (`"en"`); ignored by English-only models.
    pub language: String,
    /// Run on the GPU when whisper-rs was built with one (the `cuda` feature).
    pub gpu: bool,
}

impl Default for WhisperOptions {
    /// English, all available cores up to 8, GPU when built with `cuda`.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        WhisperOptions {
            threads: cores.clamp(1, 8),
            language: "en".to_string(),
            gpu: cfg!(feature = "cuda"),
        }
    }
}

/// Above this no-speech probability a live decode gives no words.
const NO_SPEECH_THRESHOLD: f32 = 0.6;

/// Per-call decoding settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Encoder positions to use (1500 = 30 s). `None` uses the full
    /// window; a window sized to short audio is several times cheaper.
    pub audio_ctx: Option<u32>,
    /// CPU threads for this decode; `None` uses the engine's
    /// [`WhisperOptions::threads`].
    pub threads: Option<usize>,
    /// Text whisper reads as if it came before the audio (its initial
    /// prompt): words the audio is likely to hold, such as a menu's
    /// options, which it then hears more readily.
    pub prompt: Option<Arc<str>>,
}

/// A loaded whisper model with its decoding state.
pub struct WhisperEngine {
    // The state keeps the context alive through its own reference.
    state: WhisperState,
    options: WhisperOptions,
    info: ModelInfo,
}

impl std::fmt::Debug for WhisperEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperEngine")
            .field("options", &self.options)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// Checks a GGML model file's structure without loading it.
pub fn check_model_file(path: &Path) -> Result<ModelInfo, SttError> {
    let model_err = |source| SttError::Model {
        path: path.to_path_buf(),
        source,
    };
    // The path is already in `SttError::Model`'s message.
    let file = File::open(path).map_err(|e| model_err(super::error::ModelError::Read(e)))?;
    ggml::check(&mut BufReader::new(file)).map_err(model_err)
}

/// A loaded model that any number of streams share: each gets an engine
/// of its own ([`WhisperModel::engine`]), with its own decoding state,
/// and the model's weights are in memory once.
#[derive(Clone)]
pub struct WhisperModel {
    ctx: Arc<WhisperContext>,
    options: WhisperOptions,
    info: ModelInfo,
    path: PathBuf,
}

impl std::fmt::Debug for WhisperModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperModel")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl WhisperModel {
    /// Checks and loads the GGML model at `path`.
    pub fn load(path: &Path, options: WhisperOptions) -> Result<Self, SttError> {
        let info = check_model_file(path)?;
        whisper_rs::install_logging_hooks();
        let mut params = WhisperContextParameters::default();
        params.use_gpu(options.gpu);
        let ctx = WhisperContext::new_with_params(path, params).map_err(|_| SttError::Load {
            path: PathBuf::from(path),
        })?;
        Ok(WhisperModel {
            ctx: Arc::new(ctx),
            options,
            info,
            path: path.to_owned(),
        })
    }

    /// An engine for one stream: a fresh decoding state over the shared
    /// weights.
    pub fn engine(&self) -> Result<WhisperEngine, SttError> {
        let state = self.ctx.create_state().map_err(|_| SttError::Load {
            path: self.path.clone(),
        })?;
        Ok(WhisperEngine {
            state,
            options: self.options.clone(),
            info: self.info.clone(),
        })
    }

    /// What the model file's header says.
    pub fn model_info(&self) -> &ModelInfo {
        &self.info
    }
}

impl WhisperEngine {
    /// Checks and loads the GGML model at `path` for one stream.
    pub fn load(path: &Path, options: WhisperOptions) -> Result<Self, SttError> {
        WhisperModel::load(path, options)?.engine()
    }

    /// What the model file's header says.
    pub fn model_info(&self) -> &ModelInfo {
        &self.info
    }

    /// Transcribes 16 kHz mono audio with per-call settings.
    pub fn transcribe_with(
        &mut self,
        audio: &[f32],
        request: &Request,
    ) -> Result<Vec<Segment>, SttError> {
        self.run(audio, request, false)
    }

    /// Transcribes one utterance for live captions, where the same
    /// growing audio is decoded again every second and a decode must take
    /// bounded time. Compared with [`transcribe_with`](Self::transcribe_with):
    ///
    /// - one decoding pass: no temperature fallback (a fallback can
    ///   multiply the time of a decode that went wrong), and the output
    ///   is one segment of at most 16 + 12 tokens per second of audio, so
    ///   a decoder that loops stops soon;
    /// - the segment is split after decoding into one [`Segment`] per
    ///   word, each with its own start and end from whisper.cpp's token
    ///   timestamps (rough: tens to hundreds of milliseconds);
    /// - audio whisper itself judges not to be speech (its no-speech
    ///   probability above 0.6, whisper's own default threshold) gives no
    ///   words. Music a voice detector lets through is caught here: on
    ///   hold-music chords and plucked melodies the probability is 0.7 to
    ///   0.97, on speech 0.02 to 0.3 (measured with tiny.en).
    pub fn transcribe_live(
        &mut self,
        audio: &[f32],
        request: &Request,
    ) -> Result<Vec<Segment>, SttError> {
        self.run(audio, request, true)
    }

    fn run(
        &mut self,
        audio: &[f32],
        request: &Request,
        live: bool,
    ) -> Result<Vec<Segment>, SttError> {
        if audio.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        let threads = request.threads.unwrap_or(self.options.threads);
        params.set_n_threads(threads.clamp(1, 64) as i32);
        params.set_language(Some(self.options.language.as_str()));
        params.set_translate(false);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        params.set_suppress_nst(true);
        params.set_no_context(true);
        if live {
            let seconds = audio.len() as f64 / 16_000.0;
            params.set_single_segment(true);
            params.set_temperature_inc(0.0);
            params.set_max_tokens(16 + (seconds * 12.0).ceil() as i32);
            params.set_token_timestamps(true);
            params.set_split_on_word(true);
            params.set_max_len(1);
        }
        if let Some(p) = request.prompt.as_deref() {
            params.set_initial_prompt(p);
        }
        if let Some(ctx) = request.audio_ctx {
            let max = self.info.hparams.n_audio_ctx.max(1) as u32;
            params.set_audio_ctx(ctx.clamp(1, max) as i32);
        }
        self.state
            .full(params, audio)
            .map_err(|e| SttError::Engine(format!("{e:?}")))?;
        let mut segments = Vec::new();
        if live
            && self
                .state
                .as_iter()
                .next()
                .is_some_and(|seg| seg.no_speech_probability() > NO_SPEECH_THRESHOLD)
        {
            return Ok(Vec::new());
        }
        for seg in self.state.as_iter() {
            let text = seg
                .to_str_lossy()
                .map_err(|e| SttError::Engine(format!("{e:?}")))?
                .into_owned();
            segments.push(Segment {
                text,
                start: seg.start_timestamp() as f64 / 100.0,
                end: seg.end_timestamp() as f64 / 100.0,
            });
        }
        Ok(segments)
    }
}

impl SpeechToText for WhisperEngine {
    fn transcribe(&mut self, audio: &[f32]) -> Result<Vec<Segment>, SttError> {
        self.transcribe_with(audio, &Request::default())
    }
}
