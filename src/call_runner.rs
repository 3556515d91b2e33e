//! The call loop: one relay call between any customer leg and any agent
//! voice leg, with the shared engines, on a tokio runtime.
//!
//! `relaygate call` runs it with a serial TTY and a file agent;
//! `relaygate serve` with an audio TTY and an agent over RTP. This is the
//! only place where a call meets a clock. The loop ticks every 20 ms (the
//! media clock of both legs), stamps every input with the time since the
//! call started, and moves outputs to where they go:
//!
//! ```text
//!   customer leg ──Text──> Call::handle_tty_text ──Speak──> speech worker ──> agent leg
//!   agent leg voice ──> StreamingTranscriber ──DecodeJob──> whisper thread
//!        whisper thread ──hypothesis──> commits ──> Call::handle_agent_speech ──Tty──> customer leg
//!   gateway ──Control──> agent joined (a port) / left / ended, hang up
//! ```
//!
//! Whisper and the speech synthesizer are blocking CPU work on threads of
//! their own ([`crate::engines`]); the loop itself never blocks. Logs
//! carry the call id and the leg, never text.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;
use tracing::{Instrument, info, info_span};

use crate::device::DeviceProfile;
use crate::engines::{EngineError, Engines, Speech};
use crate::gateway::registry::{CallTap, OperatorCommand};
use crate::legs::agent_voice::AgentVoice;
use crate::legs::customer::{CustomerEvent, CustomerLeg};
use crate::legs::serial::SerialCustomer;
use crate::media::file_port::{AgentFileError, FilePort};
use crate::media::frame::SILENCE;
use crate::media::port::MediaPort;
use crate::relay::{Call, CallEvent, Output, RelayConfig};
use crate::stt::decoder_thread::{DecoderStopped, Hypothesis};
use crate::stt::streaming::{StreamConfig, StreamingTranscriber};
use crate::text::conventions::Ending;
use crate::tts::{NeuralVoice, VoiceProfile};

/// Everything `relaygate call` needs: a serial TTY and a file agent.
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

/// How one run of the loop behaves, whatever its legs.
#[derive(Debug, Clone)]
pub struct LoopSettings {
    /// The relay core's settings (greetings, pace, phrasing).
    pub relay: RelayConfig,
    /// The voice the agent hears.
    pub voice: VoiceProfile,
    /// Hard limit on the call's length.
    pub max_seconds: Option<f64>,
    /// After a hangup, how long pending speech and text may take.
    pub hangup_grace: Duration,
    /// The agent is there from the start (a file agent); otherwise the
    /// gateway says when one answers ([`Control::AgentJoined`]).
    pub agent_at_start: bool,
    /// Where to say that the agent's media stopped mid-call, and how long
    /// its port waits for a packet before it counts as stopped. With it,
    /// the call goes on without the agent (the gateway hangs that leg up
    /// and dials again, then sends [`Control::AgentJoined`]), and what
    /// the agent heard in that silence is spoken again to the next one.
    /// Without it (a file agent), the end of the agent's input ends the
    /// call.
    pub agent_media_lost: Option<(mpsc::UnboundedSender<()>, Duration)>,
}

/// A change the gateway makes to a leg inside a running call (a new
/// peer address after an answer or a re-INVITE).
pub type Configure<T> = Box<dyn FnOnce(&mut T) + Send>;

/// What the gateway tells a running call about its SIP legs.
pub enum Control<C, P> {
    /// Change the agent leg's port.
    AgentPort(Configure<P>),
    /// Change the customer leg.
    Customer(Configure<C>),
    /// An agent answered.
    AgentJoined,
    /// The agent leg failed or dropped; what it had not heard goes to the
    /// next agent.
    AgentLeft,
    /// The agent hung up: the call ends once the TTY has what it said.
    AgentEnded,
    /// Print this to the TTY, then end the call (no agent could be
    /// reached).
    EndWithNotice(String),
    /// The caller hung up.
    CustomerEnded,
    /// End the call now (the server is stopping).
    Hangup,
}

impl<C, P> std::fmt::Debug for Control<C, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Control::AgentPort(_) => "AgentPort",
            Control::Customer(_) => "Customer",
            Control::AgentJoined => "AgentJoined",
            Control::AgentLeft => "AgentLeft",
            Control::AgentEnded => "AgentEnded",
            Control::EndWithNotice(_) => "EndWithNotice",
            Control::CustomerEnded => "CustomerEnded",
            Control::Hangup => "Hangup",
        })
    }
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
    /// Of those, the phrases whose speech was made while whisper was
    /// decoding the agent's voice (a decode ran between the phrase
    /// closing and its first audio).
    pub phrase_to_speech_decoding_ms: Delays,
    /// Of those, the phrases whose speech was made with whisper quiet.
    pub phrase_to_speech_quiet_ms: Delays,
    /// Live captions: from the end of an agent word to its commit, in ms,
    /// one value per word (printing on the TTY comes after).
    pub word_to_commit_ms: Delays,
    /// Agent words committed to their first character printing, in ms.
    pub speech_to_tty_ms: Delays,
    /// The same for commits that found the TTY with nothing to print.
    pub speech_to_tty_idle_ms: Delays,
    /// Milliseconds of silence inside the agent's speech because it was
    /// synthesized slower than it played.
    pub speech_gap_ms: u64,
    /// Garbage bytes from the serial line, dropped.
    pub garbage_bytes: u64,
    /// Times the serial port went away and came back.
    pub serial_reconnects: u64,
    /// Agent legs that answered (more than one after a redial).
    pub agent_legs: u32,
    /// Keypad keys the caller pressed (their values are not kept).
    pub keys: u64,
    /// Characters handed to the TTY leg.
    #[serde(skip)]
    pub chars_sent_to_tty: u64,
    /// Each phrase's delay to speech with nothing else playing, seconds
    /// (for histograms; not printed).
    #[serde(skip)]
    pub phrase_to_speech_idle_samples: Vec<f64>,
    /// Each committed caption word's delay, seconds (not printed).
    #[serde(skip)]
    pub word_to_commit_samples: Vec<f64>,
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
    /// The statistics of `values`.
    pub fn of(values: &[Duration]) -> Delays {
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
    AgentFile(#[from] AgentFileError),
    /// Speech-to-text could not start.
    #[error(transparent)]
    Stt(#[from] crate::stt::SttError),
    /// The engines could not be loaded.
    #[error(transparent)]
    Engines(#[from] EngineError),
    /// The speech decoder thread stopped during the call.
    #[error(transparent)]
    Decoder(#[from] DecoderStopped),
    /// A worker thread could not be started.
    #[error("cannot start a worker thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Sorts the speech path's delays by whether whisper was decoding while
/// a phrase's speech was being made, so a call shows how much the two
/// engines get in each other's way.
#[derive(Debug, Default)]
struct BesideDecode {
    /// Utterances handed to the speech worker and not yet heard, and
    /// whether a decode has run since they were.
    waiting: Vec<(u64, bool)>,
    decoding: bool,
    with_decode: Vec<Duration>,
    quiet: Vec<Duration>,
}

impl BesideDecode {
    fn decode_sent(&mut self) {
        self.decoding = true;
        for (_, beside) in &mut self.waiting {
            *beside = true;
        }
    }

    fn decode_done(&mut self) {
        self.decoding = false;
    }

    fn speech_queued(&mut self, id: u64) {
        self.waiting.push((id, self.decoding));
    }

    /// Utterance `id` began playing; `idle_delay` is its delay if the call
    /// counted it among the phrases heard with nothing else playing.
    fn speech_started(&mut self, id: u64, idle_delay: Option<Duration>) {
        let Some(i) = self.waiting.iter().position(|&(w, _)| w == id) else {
            return;
        };
        let (_, beside) = self.waiting.swap_remove(i);
        if let Some(d) = idle_delay {
            if beside {
                self.with_decode.push(d);
            } else {
                self.quiet.push(d);
            }
        }
    }
}

/// After a hangup, how long pending speech may take to play out.
const HANGUP_GRACE: Duration = Duration::from_secs(30);

/// Runs the call described by `setup` to its end: a serial TTY against
/// a file agent, with engines of its own.
pub async fn run(setup: CallSetup, call_id: u64) -> Result<CallSummary, CallError> {
    let span = info_span!("call", call_id);
    async move {
        let agent = AgentVoice::new(FilePort::open(&setup.agent_in)?);
        let engines = Engines::load(&setup.model, 1, &setup.voice, &setup.neural)?;
        let customer = SerialCustomer::start(setup.tty.clone(), setup.device.clone());
        let settings = LoopSettings {
            relay: RelayConfig::for_device(&setup.device),
            voice: setup.voice.clone(),
            max_seconds: setup.max_seconds,
            hangup_grace: HANGUP_GRACE,
            agent_at_start: true,
            agent_media_lost: None,
        };
        let (_control_tx, control) = mpsc::unbounded_channel();
        let (summary, agent) = run_loop(customer, agent, &engines, settings, control, None).await?;
        agent.port().save(&setup.agent_out)?;
        Ok(summary)
    }
    .instrument(span)
    .await
}

/// The agent leg as the loop holds it, and what it was last told.
struct AgentSide<P> {
    leg: AgentVoice<P>,
    present: bool,
    ended: bool,
    /// Speech comes back on a channel of this agent leg's own: when the
    /// leg goes, the channel is replaced and late audio for it is dropped.
    speech_tx: mpsc::UnboundedSender<Speech>,
    speech_rx: mpsc::UnboundedReceiver<Speech>,
    /// Phrases asked of the speech worker and not yet played to the end.
    speaking: usize,
}

impl<P: MediaPort> AgentSide<P> {
    fn new(leg: AgentVoice<P>) -> Self {
        let (speech_tx, speech_rx) = mpsc::unbounded_channel();
        AgentSide {
            leg,
            present: false,
            ended: false,
            speech_tx,
            speech_rx,
            speaking: 0,
        }
    }

    /// Nothing more is played to this leg, and speech still on its way
    /// to it is dropped.
    fn silence(&mut self) {
        self.leg.clear();
        (self.speech_tx, self.speech_rx) = mpsc::unbounded_channel();
        self.speaking = 0;
    }

    /// The leg is gone but the call goes on: the next agent leg starts
    /// with nothing queued for this one.
    fn leave(&mut self) {
        self.present = false;
        self.silence();
    }
}

/// Runs one call to its end: `customer` against `agent`, with `engines`
/// shared with other calls, and `control` for what the gateway learns
/// from SIP. Returns the summary and the agent leg (its port holds what
/// it recorded or counted). With `tap`, operators in the console follow
/// the call and act on it.
pub async fn run_loop<C, P>(
    mut customer: C,
    agent: AgentVoice<P>,
    engines: &Engines,
    settings: LoopSettings,
    mut control: mpsc::UnboundedReceiver<Control<C, P>>,
    mut tap: Option<CallTap>,
) -> Result<(CallSummary, AgentVoice<P>), CallError>
where
    C: CustomerLeg,
    P: MediaPort,
{
    let mut transcriber = StreamingTranscriber::new(StreamConfig::default())?;
    // This call's stream on the decoders all calls share. The threads of
    // each decode are measured, not fixed (docs/stt.md).
    let (hyp_tx, mut hyp_rx) = mpsc::unbounded_channel::<Hypothesis>();
    let decoder = engines.captions.stream(move |h| hyp_tx.send(h).is_ok());

    let start = Instant::now();
    if let Some(t) = &mut tap {
        t.start_clock();
    }
    let mut call = Call::new(settings.relay.clone(), Duration::ZERO);
    let mut agent = AgentSide::new(agent);
    if settings.agent_at_start {
        call.handle_agent_joined(Duration::ZERO);
        agent.present = true;
    }
    let mut summary = CallSummary::default();
    let mut stt_done = false;
    let mut hangup_at: Option<Duration> = None;
    let mut beside = BesideDecode::default();
    let mut word_to_commit = Vec::new();
    let mut connected_once = false;
    let mut events = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);

    let ended_by = loop {
        tokio::select! {
            // The media clock: one 20 ms frame each way on both legs.
            _ = tick.tick() => {
                let now = start.elapsed();
                let t = agent.leg.tick();
                for id in t.started {
                    let idle_before = call.stats().phrase_to_speech_idle.len();
                    call.handle_speech_started(id, now);
                    let idle = &call.stats().phrase_to_speech_idle;
                    beside.speech_started(id, idle.get(idle_before).copied());
                }
                for id in t.finished {
                    call.handle_speech_finished(id, now);
                    agent.speaking = agent.speaking.saturating_sub(1);
                }
                if agent.present
                    && !agent.ended
                    && agent.leg.input_ended()
                    && let Some((tx, timeout)) = &settings.agent_media_lost
                {
                    info!("the agent's media stopped");
                    agent.leave();
                    call.handle_agent_lost(now.saturating_sub(*timeout), now);
                    let _ = tx.send(());
                }
                match t.voice {
                    Some(frame) if !agent.ended => transcriber.push_frame(&frame)?,
                    // The stream keeps call time while the next agent is
                    // dialled, as it does while one rings.
                    None if !agent.present && !agent.ended => transcriber.push_frame(&SILENCE)?,
                    _ if !stt_done && (agent.ended || agent.leg.input_ended()) => {
                        transcriber.finish()?;
                        stt_done = true;
                    }
                    _ => {}
                }
                call.handle_agent_voice(transcriber.in_speech(), now);
                if let Some(job) = transcriber.poll_job() {
                    decoder.send(job)?;
                    beside.decode_sent();
                }
                customer.tick(&mut events);
                for ev in events.drain(..) {
                    handle_customer(ev, &mut call, &mut summary, &mut connected_once, &mut hangup_at, now);
                }
                call.handle_timeout(now);
                // Captions held for the operator are not printed yet.
                let printed = call.tty_backlog() == 0 && call.held_chars() == 0 && !customer.is_sending();
                // Once the agent has gone, only the TTY side can still be
                // delivered.
                let delivered = printed && (agent.ended || (call.is_idle() && agent.speaking == 0 && !agent.leg.is_playing()));
                if let Some(reason) = finished(&settings, &agent, &transcriber, stt_done, delivered, hangup_at, now) {
                    break reason;
                }
            }
            // An event of a customer leg on its own task.
            Some(ev) = customer.next_event() => {
                let now = start.elapsed();
                handle_customer(ev, &mut call, &mut summary, &mut connected_once, &mut hangup_at, now);
            }
            // What the gateway learnt from SIP.
            Some(c) = control.recv() => {
                let now = start.elapsed();
                match c {
                    Control::AgentPort(change) => change(agent.leg.port_mut()),
                    Control::Customer(change) => change(&mut customer),
                    Control::AgentJoined => {
                        if !agent.present {
                            agent.present = true;
                            agent.leg.resume_input();
                            summary.agent_legs += 1;
                            call.handle_agent_joined(now);
                        }
                    }
                    Control::AgentLeft => {
                        if agent.present {
                            agent.leave();
                            call.handle_agent_left(now);
                        }
                    }
                    Control::AgentEnded => {
                        info!("agent hung up");
                        agent.ended = true;
                        // Nobody hears what was still playing to the agent.
                        agent.silence();
                        hangup_at.get_or_insert(now);
                    }
                    Control::EndWithNotice(text) => {
                        call.handle_notice(&text, now);
                        // The grace starts once the TTY has had time to
                        // print the notice and what is ahead of it.
                        hangup_at.get_or_insert(now + call.tty_backlog_time());
                        call.finish(now);
                    }
                    Control::CustomerEnded => {
                        hangup_at.get_or_insert(now);
                        call.finish(now);
                    }
                    Control::Hangup => break "shutdown",
                }
            }
            // A whisper hypothesis.
            Some(h) = hyp_rx.recv() => {
                let now = start.elapsed();
                beside.decode_done();
                // A failed decode counts as one that heard nothing, so the
                // schedule goes on; the next decode covers the same audio.
                let segments = h.result.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "transcription failed");
                    Vec::new()
                });
                for c in transcriber.handle_hypothesis(h.job, &segments, now.as_secs_f64()) {
                    // The stream began with the call, so its times are
                    // call times.
                    let delay = Duration::try_from_secs_f64(c.committed_at - c.audio_end)
                        .unwrap_or_default();
                    let words = c.text.split_whitespace().count();
                    tracing::debug!(words, audio_end = c.audio_end, delay_s = delay.as_secs_f64(), "caption committed");
                    word_to_commit.extend(std::iter::repeat_n(delay, words));
                    call.handle_agent_speech(&c.text, now);
                }
            }
            // Synthesized speech for the agent.
            Some(s) = agent.speech_rx.recv() => agent.leg.play(s.id, &s.samples, s.last),
            // An operator's command from the console.
            Some(c) = next_command(&mut tap) => operator_command(&mut call, c, start.elapsed()),
        }
        // GA waits until the agent's words are all captioned.
        call.handle_captions_pending(!transcriber.is_idle(), start.elapsed());
        // Move whatever the call has to say.
        while let Some(out) = call.poll_output() {
            if let Some(t) = &mut tap {
                t.output(&out, start.elapsed());
            }
            match out {
                Output::Tty(c) => {
                    summary.chars_sent_to_tty += 1;
                    customer.send_text(c.encode_utf8(&mut [0; 4]));
                }
                Output::Speak(u) => {
                    agent.speaking += 1;
                    beside.speech_queued(u.id);
                    if !engines
                        .speech
                        .say(u.id, u.text, &settings.voice, &agent.speech_tx)
                    {
                        tracing::error!("the speech worker has stopped");
                    }
                }
                Output::Event(CallEvent::Ending(Ending::HangingUp)) => {
                    let now = start.elapsed();
                    info!("TTY hung up");
                    hangup_at.get_or_insert(now);
                    call.finish(now);
                }
                Output::Event(e) => tracing::debug!(event = event_name(&e), "call event"),
                // For the console only, through the tap.
                Output::Line(_) | Output::Held(_) | Output::Unheld { .. } => {}
            }
        }
        if let Some(t) = &mut tap {
            t.pending_text(transcriber.tentative(), &call.pending_typed());
            t.indicators(
                transcriber.in_speech(),
                call.caption_review(),
                call.is_taken_over(),
            );
        }
    };
    // The console's view of the call ends with it.
    drop(tap);

    // Orderly end: stop the customer leg (it prints what it holds first)
    // and the decoder.
    let unprinted = customer.finish().await;
    drop(decoder);

    let stats = call.stats();
    summary.duration_seconds = start.elapsed().as_secs_f64();
    summary.ended_by = ended_by.into();
    summary.chars_typed = stats.chars_typed;
    summary.chars_spoken = stats.chars_spoken;
    summary.chars_to_tty = stats.chars_to_tty;
    summary.chars_lost = call.unspoken_chars()
        + call.tty_backlog()
        + call.held_chars()
        + unprinted.chars().filter(|c| !c.is_whitespace()).count();
    summary.max_backlog_seconds = stats.max_backlog_seconds;
    summary.backlog_notices = stats.backlog_notices;
    summary.phrase_to_speech_ms = Delays::of(&stats.phrase_to_speech);
    summary.phrase_to_speech_idle_ms = Delays::of(&stats.phrase_to_speech_idle);
    summary.phrase_to_speech_decoding_ms = Delays::of(&beside.with_decode);
    summary.phrase_to_speech_quiet_ms = Delays::of(&beside.quiet);
    summary.word_to_commit_ms = Delays::of(&word_to_commit);
    summary.word_to_commit_samples = word_to_commit.iter().map(Duration::as_secs_f64).collect();
    summary.phrase_to_speech_idle_samples = stats
        .phrase_to_speech_idle
        .iter()
        .map(Duration::as_secs_f64)
        .collect();
    summary.speech_to_tty_ms = Delays::of(&stats.speech_to_tty);
    summary.speech_to_tty_idle_ms = Delays::of(&stats.speech_to_tty_idle);
    summary.speech_gap_ms = agent.leg.gap_ms();
    if settings.agent_at_start {
        summary.agent_legs += 1;
    }
    // `relaygate call` prints the summary; the gateway logs its own line.
    tracing::debug!(
        seconds = summary.duration_seconds,
        lost = summary.chars_lost,
        garbage = summary.garbage_bytes,
        "call loop ended"
    );
    Ok((summary, agent.leg))
}

fn handle_customer(
    ev: CustomerEvent,
    call: &mut Call,
    summary: &mut CallSummary,
    connected_once: &mut bool,
    hangup_at: &mut Option<Duration>,
    now: Duration,
) {
    match ev {
        CustomerEvent::Text(text) => call.handle_tty_text(&text, now),
        CustomerEvent::Garbage(n) => summary.garbage_bytes += n as u64,
        CustomerEvent::Connected => {
            if *connected_once {
                summary.serial_reconnects += 1;
            }
            *connected_once = true;
        }
        CustomerEvent::Disconnected => {}
        // Keys are metadata for now (the menus will use them); never
        // logged with their value.
        CustomerEvent::Key(_) => summary.keys += 1,
        CustomerEvent::Gone => {
            info!("caller gone");
            hangup_at.get_or_insert(now);
            call.finish(now);
        }
    }
}

/// Why the call should end now, if it should.
fn finished<P: MediaPort>(
    settings: &LoopSettings,
    agent: &AgentSide<P>,
    transcriber: &StreamingTranscriber,
    stt_done: bool,
    delivered: bool,
    hangup_at: Option<Duration>,
    now: Duration,
) -> Option<&'static str> {
    if settings.max_seconds.is_some_and(|m| now.as_secs_f64() >= m) {
        return Some("time-limit");
    }
    if let Some(h) = hangup_at
        && !agent.ended
        && (delivered || now >= h + settings.hangup_grace)
    {
        return Some("hangup");
    }
    // Between agent legs the gateway decides whether the call goes on.
    let input_over = agent.ended || (agent.leg.input_ended() && agent.present);
    let agent_done = input_over && stt_done && transcriber.is_idle();
    if agent_done && (delivered || hangup_at.is_some_and(|h| now >= h + settings.hangup_grace)) {
        return Some("agent-done");
    }
    None
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
        CallEvent::OperatorRequested => "operator-requested",
    }
}

/// The next operator command, if the call is followed at all.
async fn next_command(tap: &mut Option<CallTap>) -> Option<OperatorCommand> {
    match tap {
        Some(t) => t.next_command().await,
        None => std::future::pending().await,
    }
}

/// Applies an operator's command (the console checked who may).
fn operator_command(call: &mut Call, c: OperatorCommand, now: Duration) {
    match c {
        OperatorCommand::Review(on) => call.set_caption_review(on, now),
        OperatorCommand::SendCaption { id, text } => {
            call.send_held_caption(id, &text, now);
        }
        OperatorCommand::DiscardCaption(id) => {
            call.discard_held_caption(id, now);
        }
        OperatorCommand::Editing(on) => call.handle_caption_editing(on, now),
        OperatorCommand::Type(text) => call.handle_operator_text(&text, now),
        OperatorCommand::Speak(text) => call.handle_operator_speech(&text, now),
        OperatorCommand::TakeOver(on) => call.set_taken_over(on, now),
    }
}
