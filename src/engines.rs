//! The engines every call shares: one whisper model, one speech worker.
//!
//! Owns loading both once per process and handing each call what it
//! needs: a stream on the pool of whisper decoders over the shared
//! weights (a few decoding states for all calls), and a handle on the
//! speech worker, which synthesizes for all calls with one voice session
//! per engine kind. A second call loads nothing. Must not touch: calls,
//! legs, the relay core.
//!
//! The speech worker is a plain thread (synthesis is blocking CPU work);
//! requests carry the channel their audio goes back on, so it never needs
//! to know which call asked.

use std::path::Path;
use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc;
use tracing::{error, warn};

use crate::media::frame::RATE;
use crate::stt::SttError;
use crate::stt::decoder_thread::{self, DecoderPool};
use crate::stt::whisper::{WhisperModel, WhisperOptions};
use crate::tts::{self, EngineKind, NeuralVoice, TextToSpeech, TtsError, VoiceProfile};

/// Synthesized audio for an utterance, or its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    /// The utterance.
    pub id: u64,
    /// Samples at 8 kHz; empty on the last.
    pub samples: Vec<i16>,
    /// The utterance is complete.
    pub last: bool,
}

/// One request to the speech worker.
struct SpeechJob {
    id: u64,
    text: String,
    voice: VoiceProfile,
    reply: mpsc::UnboundedSender<Speech>,
}

/// A handle on the shared speech worker.
#[derive(Debug, Clone)]
pub struct SpeechService {
    jobs: std_mpsc::Sender<SpeechJob>,
}

impl SpeechService {
    /// Starts the worker and opens the engine for `voice` at once (the
    /// neural voice takes about 1.5 s), so the first call does not wait.
    /// Profiles of another engine kind open theirs on first use.
    pub fn start(voice: &VoiceProfile, neural: &NeuralVoice) -> Result<SpeechService, EngineError> {
        let opened = tts::open(voice, neural)?;
        if let Some(f) = &opened.fallback {
            warn!(%f, "voice fell back");
        }
        // A fallback engine serves the kind that was asked for.
        SpeechService::spawn(voice.engine, opened.engine, neural)
    }

    /// Starts the worker on an engine already open: profiles of its kind
    /// use it, others open theirs from `neural` on first use. Benchmarks
    /// give it an engine that costs nothing, to measure the rest of the
    /// text path alone.
    pub fn with_engine(
        engine: Box<dyn TextToSpeech>,
        neural: &NeuralVoice,
    ) -> Result<SpeechService, EngineError> {
        SpeechService::spawn(engine.kind(), engine, neural)
    }

    fn spawn(
        first_kind: EngineKind,
        engine: Box<dyn TextToSpeech>,
        neural: &NeuralVoice,
    ) -> Result<SpeechService, EngineError> {
        let (jobs, rx) = std_mpsc::channel::<SpeechJob>();
        let neural = neural.clone();
        std::thread::Builder::new()
            .name("rg-speech".into())
            .spawn(move || worker(rx, first_kind, engine, neural))
            .map_err(EngineError::Thread)?;
        Ok(SpeechService { jobs })
    }

    /// Asks for utterance `id`; its audio comes back on `reply` clause by
    /// clause, then a last empty [`Speech`]. Returns `false` when the
    /// worker has stopped.
    pub fn say(
        &self,
        id: u64,
        text: String,
        voice: &VoiceProfile,
        reply: &mpsc::UnboundedSender<Speech>,
    ) -> bool {
        self.jobs
            .send(SpeechJob {
                id,
                text,
                voice: voice.clone(),
                reply: reply.clone(),
            })
            .is_ok()
    }
}

fn worker(
    jobs: std_mpsc::Receiver<SpeechJob>,
    first_kind: EngineKind,
    first: Box<dyn TextToSpeech>,
    neural: NeuralVoice,
) {
    let mut engines: Vec<(EngineKind, Box<dyn TextToSpeech>)> = vec![(first_kind, first)];
    for job in jobs {
        if job.reply.is_closed() {
            continue;
        }
        let have = engines.iter().position(|(k, _)| *k == job.voice.engine);
        let index = match have {
            Some(i) => Some(i),
            None => match tts::open(&job.voice, &neural) {
                Ok(opened) => {
                    if let Some(f) = &opened.fallback {
                        warn!(%f, "voice fell back");
                    }
                    engines.push((job.voice.engine, opened.engine));
                    Some(engines.len() - 1)
                }
                Err(e) => {
                    error!(error = %e, "no speech engine");
                    None
                }
            },
        };
        if let Some(i) = index {
            let reply = &job.reply;
            let mut send = |samples: &[i16]| {
                let _ = reply.send(Speech {
                    id: job.id,
                    samples: samples.to_vec(),
                    last: false,
                });
            };
            if let Err(e) = engines[i]
                .1
                .synthesize_clauses(&job.text, &job.voice, RATE, &mut send)
            {
                error!(error = %e, "speech synthesis failed");
            }
        }
        let _ = job.reply.send(Speech {
            id: job.id,
            samples: Vec::new(),
            last: true,
        });
    }
}

/// Why the engines could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The whisper model.
    #[error(transparent)]
    Stt(#[from] SttError),
    /// The voice.
    #[error(transparent)]
    Tts(#[from] TtsError),
    /// The speech worker's thread.
    #[error("cannot start the speech worker: {0}")]
    Thread(std::io::Error),
}

/// Both engines, loaded once.
#[derive(Debug, Clone)]
pub struct Engines {
    /// The whisper decoders; each caption stream opens a stream on them.
    pub captions: DecoderPool,
    /// The speech worker.
    pub speech: SpeechService,
}

impl Engines {
    /// Loads the whisper model at `model` with `decoders` decoding
    /// states over its weights, and starts the speech worker with
    /// `voice`'s engine.
    pub fn load(
        model: &Path,
        decoders: usize,
        voice: &VoiceProfile,
        neural: &NeuralVoice,
    ) -> Result<Engines, EngineError> {
        let whisper = WhisperModel::load(model, WhisperOptions::default())?;
        let captions = DecoderPool::for_model(
            &whisper,
            decoders,
            decoder_thread::auto_threads_per_worker(decoders),
        )?;
        let speech = SpeechService::start(voice, neural)?;
        Ok(Engines { captions, speech })
    }
}
