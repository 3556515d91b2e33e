//! Runs one relay call end to end: a serial TTY, a file agent leg, the
//! speech engines and the relay core, on a tokio runtime.
//!
//! This is the only place where the call meets a clock. The loop below
//! ticks every 20 ms (the media clock of the agent leg), stamps every
//! input with the time since the call started, and moves outputs to
//! where they go:
//!
//! ```text
//!   serial leg ──Text──> Call::handle_tty_text ──Speak──> TTS worker ──> agent leg (heard WAV)
//!   agent leg voice ──> StreamingTranscriber ──DecodeJob──> whisper worker
//!        whisper worker ──hypothesis──> commits ──> Call::handle_agent_speech ──Tty──> serial leg
//! ```
//!
//! Whisper and the speech synthesizer are blocking CPU work, so each runs
//! on a thread of its own and talks to the loop over channels; the loop
//! itself never blocks. Logs carry the call id and the leg, never text.

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tracing::{Instrument, info, info_span, warn};

use crate::device::DeviceProfile;
use crate::legs::file_agent::{self, FileAgent};
use crate::legs::serial::{self, SerialEvent};
use crate::relay::{Call, CallEvent, Output, RelayConfig, Utterance};
use crate::stt::decoder_thread::{self, DecoderStopped, DecoderThread, Hypothesis};
use crate::stt::streaming::{StreamConfig, StreamingTranscriber};
use crate::stt::whisper::{WhisperEngine, WhisperOptions};
use crate::text::conventions::Ending;
use crate::tts::{NeuralVoice, VoiceProfile};

/// Everything one call needs.
#[derive(Debug, Clone)]
pub struct CallSetup {
    /// Serial port of the TTY.
    pub tty: PathBuf,
    /// The TTY's hardware profile.
    pub device: DeviceProfile,
    /// The agent's voice (8 kHz WAV).
    pub agent_in: PathBuf,
    /// Where what the agent hears is written.
    pub agent_out: PathBuf,
    /// The voice the agent hears.
    pub voice: VoiceProfile,
    /// The installed neural voice, if any.
    pub neural: NeuralVoice,
    /// whisper.cpp model file.
    pub model: PathBuf,
    /// Hard limit on the call's length.
    pub max_seconds: Option<f64>,
}

/// What a call did, in metadata only: printed as JSON by `relaygate call`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CallSummary {
    /// Seconds the call lasted.
    pub duration_seconds: f64,
    /// Why it ended: `hangup`, `agent-done` or `time-limit`.
    pub ended_by: String,
    /// Characters the TTY user typed (spaces and line ends not counted).
    pub chars_typed: usize,
    /// Typed characters the agent heard in full (counted the same way).
    pub chars_spoken: usize,
    /// Characters printed on the TTY.
    pub chars_to_tty: usize,
    /// Typed characters never spoken plus agent text never printed.
    pub chars_lost: usize,
    /// Largest TTY backlog, in seconds of printing.
    pub max_backlog_seconds: f64,
    /// Times the agent was asked to pause.
    pub backlog_notices: usize,
    /// Phrase closed on the TTY to first agent audio, in milliseconds
    /// (waiting behind earlier speech included).
    pub phrase_to_speech_ms: Delays,
    /// The same for phrases the agent heard with nothing else playing:
    /// the speech path's own delay.
    pub phrase_to_speech_idle_ms: Delays,
    /// Agent words committed to their first character printing, in ms.
    pub speech_to_tty_ms: Delays,
    /// Milliseconds of silence inside the agent's speech because it was
    /// synthesized slower than it played.
    pub speech_gap_ms: u64,
    /// Garbage bytes from the serial line, dropped.
    pub garbage_bytes: u64,
    /// Times the serial port went away and came back.
    pub serial_reconnects: u64,
}

/// Summary statistics of a set of delays.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Delays {
    /// How many.
    pub count: usize,
    /// Mean, ms.
    pub mean: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// Largest, ms.
    pub max: f64,
}

impl Delays {
    fn of(values: &[Duration]) -> Delays {
        if values.is_empty() {
            return Delays::default();
        }
        let mut ms: Vec<f64> = values.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let p95 = ms[((ms.len() as f64 * 0.95).ceil() as usize).clamp(1, ms.len()) - 1];
        Delays {
            count: ms.len(),
            mean: ms.iter().sum::<f64>() / ms.len() as f64,
            p95,
            max: ms[ms.len() - 1],
        }
    }
}

/// Why a call could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The agent leg's files.
    #[error(transparent)]
    AgentFile(#[from] crate::legs::file_agent::AgentFileError),
    /// Speech-to-text could not start.
    #[error(transparent)]
    Stt(#[from] crate::stt::SttError),
    /// Text-to-speech could not start.
    #[error(transparent)]
    Tts(#[from] crate::tts::TtsError),
    /// The speech decoder thread stopped during the call.
    #[error(transparent)]
    Decoder(#[from] DecoderStopped),
    /// A worker thread could not be started.
    #[error("cannot start a worker thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Synthesized audio for an utterance, or its end.
struct Speech {
    id: u64,
    samples: Vec<i16>,
    last: bool,
}

/// After a hangup, how long pending speech may take to play out.
const HANGUP_GRACE: Duration = Duration::from_secs(30);

/// Runs the call described by `setup` to its end.
pub async fn run(setup: CallSetup, call_id: u64) -> Result<CallSummary, CallError> {
    let span = info_span!("call", call_id);
    run_inner(setup).instrument(span).await
}

async fn run_inner(setup: CallSetup) -> Result<CallSummary, CallError> {
    let mut agent = FileAgent::open(&setup.agent_in)?;
    let mut transcriber = StreamingTranscriber::new(StreamConfig::default())?;
    // The threads of each decode are measured, not fixed: beside the
    // speech engine and the loop, two spinning ggml threads can be far
    // slower than one (docs/stt.md has the figures).
    let whisper = WhisperEngine::load(&setup.model, WhisperOptions::default())?;
    let opened = crate::tts::open(&setup.voice, &setup.neural)?;
    if let Some(f) = &opened.fallback {
        warn!(%f, "voice fell back");
    }

    // Blocking workers: whisper and the speech engine.
    let (hyp_tx, mut hyp_rx) = mpsc::unbounded_channel::<Hypothesis>();
    let decoder = DecoderThread::spawn(whisper, decoder_thread::auto_threads(), move |h| {
        hyp_tx.send(h).is_ok()
    })?;
    let (say_tx, say_rx) = std_mpsc::channel::<Utterance>();
    let (speech_tx, mut speech_rx) = mpsc::unbounded_channel::<Speech>();
    let voice = setup.voice.clone();
    let mut engine = opened.engine;
    let tts_worker = std::thread::spawn(move || {
        for u in say_rx {
            let mut send = |samples: &[i16]| {
                let _ = speech_tx.send(Speech {
                    id: u.id,
                    samples: samples.to_vec(),
                    last: false,
                });
            };
            if let Err(e) = engine.synthesize_clauses(&u.text, &voice, file_agent::RATE, &mut send)
            {
                tracing::error!(error = %e, "speech synthesis failed");
            }
            let _ = speech_tx.send(Speech {
                id: u.id,
                samples: Vec::new(),
                last: true,
            });
        }
    });

    // The serial leg.
    let (tty_tx, tty_rx) = mpsc::unbounded_channel::<String>();
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<SerialEvent>();
    let (stop_tx, stop_rx) = watch::channel(false);
    let serial = tokio::spawn(
        serial::run(
            setup.tty.clone(),
            setup.device.clone(),
            tty_rx,
            ev_tx,
            stop_rx,
        )
        .instrument(info_span!("leg", leg = "tty")),
    );

    let start = Instant::now();
    let mut call = Call::new(RelayConfig::for_device(&setup.device), Duration::ZERO);
    call.handle_agent_joined(Duration::ZERO);
    let mut summary = CallSummary::default();
    let mut stt_done = false;
    let mut hangup_at: Option<Duration> = None;
    let mut tts_busy = 0usize;
    let mut connected_once = false;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);

    let ended_by = loop {
        tokio::select! {
            // The media clock: one 20 ms frame each way.
            _ = tick.tick() => {
                let now = start.elapsed();
                let t = agent.tick();
                for id in t.started {
                    call.handle_speech_started(id, now);
                }
                for id in t.finished {
                    call.handle_speech_finished(id, now);
                    tts_busy = tts_busy.saturating_sub(1);
                }
                match t.voice {
                    Some(frame) => transcriber.push_frame(&frame)?,
                    None if !stt_done => {
                        transcriber.finish()?;
                        stt_done = true;
                    }
                    None => {}
                }
                call.handle_agent_voice(transcriber.in_speech(), now);
                if let Some(job) = transcriber.poll_job() {
                    decoder.send(job)?;
                }
                call.handle_timeout(now);
                if let Some(reason) = finished(&setup, &call, &agent, &transcriber, stt_done, tts_busy, hangup_at, now) {
                    break reason;
                }
            }
            // What the TTY typed, and how its port is doing.
            Some(ev) = ev_rx.recv() => {
                let now = start.elapsed();
                match ev {
                    SerialEvent::Text(text) => call.handle_tty_text(&text, now),
                    SerialEvent::Garbage(n) => summary.garbage_bytes += n as u64,
                    SerialEvent::Connected { .. } => {
                        if connected_once {
                            summary.serial_reconnects += 1;
                        }
                        connected_once = true;
                    }
                    SerialEvent::Disconnected => {}
                }
            }
            // A whisper hypothesis.
            Some(h) = hyp_rx.recv() => {
                let now = start.elapsed();
                // A failed decode counts as one that heard nothing, so the
                // schedule goes on; the next decode covers the same audio.
                let segments = h.result.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "transcription failed");
                    Vec::new()
                });
                for c in transcriber.handle_hypothesis(h.job, &segments, now.as_secs_f64()) {
                    call.handle_agent_speech(&c.text, now);
                }
            }
            // Synthesized speech for the agent.
            Some(s) = speech_rx.recv() => agent.play(s.id, &s.samples, s.last),
        }
        // Move whatever the call has to say.
        while let Some(out) = call.poll_output() {
            match out {
                Output::Tty(c) => {
                    let _ = tty_tx.send(c.to_string());
                }
                Output::Speak(u) => {
                    tts_busy += 1;
                    let _ = say_tx.send(u);
                }
                Output::Event(CallEvent::Ending(Ending::HangingUp)) => {
                    let now = start.elapsed();
                    info!("TTY hung up");
                    hangup_at.get_or_insert(now);
                    call.finish(now);
                }
                Output::Event(e) => tracing::debug!(event = event_name(&e), "call event"),
            }
        }
    };

    // Orderly end: stop the serial leg (it prints what it holds first),
    // close the workers, write the agent's timeline.
    let _ = stop_tx.send(true);
    drop(tty_tx);
    let unprinted = serial.await.unwrap_or_default();
    drop(decoder);
    drop(say_tx);
    let _ = tts_worker.join();
    agent.save(&setup.agent_out)?;

    let stats = call.stats();
    summary.duration_seconds = start.elapsed().as_secs_f64();
    summary.ended_by = ended_by.into();
    summary.chars_typed = stats.chars_typed;
    summary.chars_spoken = stats.chars_spoken;
    summary.chars_to_tty = stats.chars_to_tty;
    summary.chars_lost = call.unspoken_chars()
        + call.tty_backlog()
        + unprinted.chars().filter(|c| !c.is_whitespace()).count();
    summary.max_backlog_seconds = stats.max_backlog_seconds;
    summary.backlog_notices = stats.backlog_notices;
    summary.phrase_to_speech_ms = Delays::of(&stats.phrase_to_speech);
    summary.phrase_to_speech_idle_ms = Delays::of(&stats.phrase_to_speech_idle);
    summary.speech_to_tty_ms = Delays::of(&stats.speech_to_tty);
    summary.speech_gap_ms = agent.gap_ms();
    info!(
        seconds = summary.duration_seconds,
        lost = summary.chars_lost,
        garbage = summary.garbage_bytes,
        "call ended"
    );
    Ok(summary)
}

/// Why the call should end now, if it should.
#[allow(clippy::too_many_arguments)]
fn finished(
    setup: &CallSetup,
    call: &Call,
    agent: &FileAgent,
    transcriber: &StreamingTranscriber,
    stt_done: bool,
    tts_busy: usize,
    hangup_at: Option<Duration>,
    now: Duration,
) -> Option<&'static str> {
    if setup.max_seconds.is_some_and(|m| now.as_secs_f64() >= m) {
        return Some("time-limit");
    }
    let delivered = call.is_idle() && tts_busy == 0 && !agent.is_playing();
    if let Some(h) = hangup_at
        && (delivered || now >= h + HANGUP_GRACE)
    {
        return Some("hangup");
    }
    (agent.input_ended() && stt_done && transcriber.is_idle() && delivered).then_some("agent-done")
}

/// The event's kind, for logs: no counts of content, no text.
fn event_name(e: &CallEvent) -> &'static str {
    match e {
        CallEvent::Backlog { .. } => "backlog",
        CallEvent::BacklogNotice => "backlog-notice",
        CallEvent::CustomerTyping => "customer-typing",
        CallEvent::CustomerTurn => "customer-turn",
        CallEvent::AgentTurn => "agent-turn",
        CallEvent::Ending(_) => "ending",
        CallEvent::AgentJoined => "agent-joined",
        CallEvent::AgentLeft => "agent-left",
    }
}
