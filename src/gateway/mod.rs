//! `relaygate serve`: the gateway on the phone network.
//!
//! Owns the server's life (SIP and metrics listeners, the accept loop,
//! the limit on calls, the drain at shutdown) and the course of each
//! call: answer the caller, tell a TTY from a voice caller, dial the
//! agent's queue, run the relay (the shared call loop,
//! [`crate::call_runner::run_loop`]) or bridge a voice caller, and hang
//! up both legs at the end. It decides; [`crate::sip`] speaks SIP,
//! [`crate::media`] moves audio, [`crate::relay`] runs the conversation.
//!
//! ```text
//!   INVITE ─> limit? (503) ─> SDP: G.711? (488) ─> answer ─> listen on the customer RTP port
//!       TTY (tones)  ─> dial queue (marker header) ─> run_loop(AudioTty, AgentVoice) ─> BYE both
//!       voice caller ─> dial queue ─> bridge frames both ways ─> BYE both
//! ```
//!
//! Logs: one line per call at its end, metadata only.

mod front_door;
pub mod metrics;
pub mod registry;
mod signalling;
mod slow_bridge;
pub mod spoken_answer;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, info_span, warn};

use crate::call_runner::{self, LoopSettings};
use crate::config::{Config, LineMode};
use crate::device::{self, DeviceProfile};
use crate::engines::Engines;
use crate::frontdoor::menu::{MenuSettings, MenuTree};
use crate::frontdoor::routing::FrontDesk;
use crate::legs::agent_voice::AgentVoice;
use crate::legs::audio_tty::{AudioTty, Detector, Verdict};
use crate::media::frame::SILENCE;
use crate::media::port::MediaPort;
use crate::media::rtp_port::{PortPool, RtpPort};
use crate::modem::session::SessionConfig;
use crate::relay::RelayConfig;
use crate::sip::sdp::{self, LocalAudio, SdpError};
use crate::sip::stack::{CallEvent, IncomingInvite, ServerCall, SipError, SipStack, StackOptions};
use crate::slow::{LevelConfig, SlowMode, StretchConfig};
use crate::tts::{self, VoiceProfile};
use front_door::{CallerMedia, Dialog, DoorPlan, Routed};
pub use metrics::{Metrics, Outcome};
use registry::Registry;
use signalling::{AgentDial, Signalling};
use slow_bridge::SlowBridge;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// SIP could not listen.
    #[error(transparent)]
    Sip(#[from] SipError),
    /// The metrics listener could not bind.
    #[error("cannot serve metrics on {addr}: {source}")]
    Metrics {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A line names a device or voice profile that cannot be loaded.
    #[error("{0}")]
    Profile(String),
}

/// A line's resolved settings.
#[derive(Debug, Clone)]
struct LinePlan {
    mode: LineMode,
    /// Voice callers start in slow mode.
    slow: bool,
    queue: usize,
    device: DeviceProfile,
    voice: VoiceProfile,
}

/// The running server's shared state.
struct Gateway {
    config: Config,
    engines: Engines,
    metrics: Metrics,
    stack: Arc<SipStack>,
    pool: PortPool,
    limit: Arc<Semaphore>,
    media_ip: IpAddr,
    next_call: AtomicU64,
    default_plan: LinePlan,
    line_plans: Vec<(String, LinePlan)>,
    stop: CancellationToken,
    registry: Registry,
    /// The front door, when there is a `[menu]`.
    menu: Option<DoorPlan>,
}

fn resolve_device(name: &str) -> Result<DeviceProfile, GatewayError> {
    device::builtin(name)
        .map(Ok)
        .unwrap_or_else(|| device::load(std::path::Path::new(name)))
        .map_err(|e| GatewayError::Profile(format!("device {name:?}: {e}")))
}

fn resolve_voice(name: &str) -> Result<VoiceProfile, GatewayError> {
    tts::profile::resolve(name).map_err(|e| GatewayError::Profile(format!("voice {name:?}: {e}")))
}

/// Resolves every line's profiles up front, so a bad name stops the
/// server at start rather than a call later.
fn plans(config: &Config) -> Result<(LinePlan, Vec<(String, LinePlan)>), GatewayError> {
    let default_plan = LinePlan {
        mode: LineMode::Auto,
        slow: false,
        queue: 0,
        device: resolve_device(&config.defaults.device)?,
        voice: resolve_voice(&config.defaults.voice)?,
    };
    let mut lines = Vec::new();
    for l in &config.line {
        let queue = l
            .queue
            .as_ref()
            .and_then(|q| {
                config
                    .queue
                    .iter()
                    .position(|x| x.name.get_ref() == q.get_ref())
            })
            .unwrap_or(0);
        let plan = LinePlan {
            mode: l.mode,
            slow: l.slow,
            queue,
            device: match &l.device {
                Some(d) => resolve_device(d)?,
                None => default_plan.device.clone(),
            },
            voice: match &l.voice {
                Some(v) => resolve_voice(v)?,
                None => default_plan.voice.clone(),
            },
        };
        lines.push((l.user.get_ref().to_ascii_lowercase(), plan));
    }
    Ok((default_plan, lines))
}

/// The voice profile the engines should open first: the default line's.
pub fn default_voice(config: &Config) -> Result<VoiceProfile, GatewayError> {
    resolve_voice(&config.defaults.voice)
}

/// Checks that every profile a configuration names can be loaded.
pub fn check_profiles(config: &Config) -> Result<(), GatewayError> {
    plans(config).map(|_| ())
}

/// Runs the server until `shutdown` resolves, then stops taking calls,
/// ends the live ones (BYE on both legs) and returns. Its live calls are
/// shown in `registry` (the operator console reads it).
pub async fn serve(
    config: Config,
    engines: Engines,
    metrics: Metrics,
    registry: Registry,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), GatewayError> {
    let (default_plan, line_plans) = plans(&config)?;
    let menu = match &config.menu {
        Some(m) => Some({
            let tree = Arc::new(MenuTree::new(m));
            DoorPlan {
                vocabulary: tree.vocabulary().into(),
                tree,
                settings: MenuSettings::from_config(m),
                speech: engines.speech.clone(),
                captions: engines.captions.clone(),
                slow_voice: resolve_voice("slow")?,
                route_header: m.route_header.clone(),
                case_header: m.case_header.clone(),
                desk: FrontDesk::from_config(&config)
                    .map_err(|(_, key, why)| GatewayError::Profile(format!("{key}: {why}")))?,
            }
        }),
        None => None,
    };
    let (stack, mut invites) = SipStack::start(StackOptions {
        listen: config.sip.listen,
        tcp: true,
        user_agent: format!("relaygate/{}", env!("CARGO_PKG_VERSION")),
        transaction_timeout: None,
    })
    .await?;
    let stop = CancellationToken::new();
    let metrics_task = if config.metrics.enabled {
        let token = stop.clone();
        Some(
            metrics
                .serve(
                    config.metrics.listen,
                    async move { token.cancelled().await },
                )
                .await
                .map_err(|source| GatewayError::Metrics {
                    addr: config.metrics.listen,
                    source,
                })?,
        )
    } else {
        None
    };
    let media_ip = config.sip.public_address.unwrap_or_else(|| {
        let ip = config.sip.listen.ip();
        if ip.is_unspecified() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            ip
        }
    });
    info!(
        sip = %stack.local_addr(),
        metrics = %config.metrics.listen,
        queues = config.queue.len(),
        lines = config.line.len(),
        "relaygate serving"
    );
    let gw = Arc::new(Gateway {
        pool: PortPool::new(config.sip.rtp_ports),
        limit: Arc::new(Semaphore::new(config.limits.max_calls as usize)),
        media_ip,
        next_call: AtomicU64::new(1),
        default_plan,
        line_plans,
        config,
        engines,
        metrics,
        stack: Arc::clone(&stack),
        stop: stop.clone(),
        registry,
        menu,
    });
    let mut calls = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            invite = invites.recv() => {
                let Some(invite) = invite else { break };
                let gw = Arc::clone(&gw);
                calls.spawn(async move { gw.take(invite).await });
            }
            Some(_) = calls.join_next(), if !calls.is_empty() => {}
        }
        gw.stack.set_available(gw.limit.available_permits() > 0);
    }
    info!(live = calls.len(), "stopping: ending live calls");
    gw.stack.set_available(false);
    stop.cancel();
    // Calls hang up both legs on the token; give them time for the BYEs.
    let drain = async { while calls.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(10), drain)
        .await
        .is_err()
    {
        warn!("some calls did not end in time");
    }
    if let Some(t) = metrics_task {
        let _ = t.await;
    }
    stack.shutdown();
    Ok(())
}

/// What one call did, for its log line and the metrics.
#[derive(Debug, Default)]
struct CallRecord {
    outcome: Option<Outcome>,
    kind: &'static str,
    detect_ms: Option<u64>,
    dial_ms: Option<u64>,
    summary: Option<call_runner::CallSummary>,
    agent_legs: u32,
    rtp_lost: u64,
    rtp_late: u64,
}

impl Gateway {
    fn plan_for(&self, user: &str) -> &LinePlan {
        let user = user.to_ascii_lowercase();
        self.line_plans
            .iter()
            .find(|(u, _)| *u == user)
            .map_or(&self.default_plan, |(_, p)| p)
    }

    /// One incoming INVITE, from the first answer to the last BYE.
    async fn take(self: Arc<Self>, invite: IncomingInvite) {
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        let span = info_span!("call", call_id = id, leg = "customer");
        async move {
            let Ok(permit) = Arc::clone(&self.limit).try_acquire_owned() else {
                info!("refused: at the call limit");
                self.metrics.call_refused();
                invite
                    .reject(503, Some("relaygate is at its call limit"))
                    .await;
                return;
            };
            if self.stop.is_cancelled() {
                invite.reject(503, Some("relaygate is stopping")).await;
                return;
            }
            let started = Instant::now();
            let record = self.run_call(id, invite).await;
            drop(permit);
            if let Some(outcome) = record.outcome {
                self.finish_record(&record, outcome, started);
            }
        }
        .instrument(span)
        .await;
    }

    fn finish_record(&self, r: &CallRecord, outcome: Outcome, started: Instant) {
        if outcome == Outcome::Refused {
            self.metrics.call_refused();
        } else {
            self.metrics.call_ended(outcome);
        }
        self.metrics.rtp("customer", r.rtp_lost, r.rtp_late);
        let s = r.summary.clone().unwrap_or_default();
        self.metrics.characters(
            s.chars_typed as u64,
            s.chars_spoken as u64,
            s.chars_to_tty as u64,
            s.chars_lost as u64,
        );
        info!(
            outcome = outcome.as_str(),
            kind = r.kind,
            seconds = started.elapsed().as_secs_f64(),
            agent_legs = r.agent_legs,
            // Why the call loop stopped: hangup, agent-done, time-limit,
            // shutdown (a fixed word, never content).
            ended_by = s.ended_by.as_str(),
            detect_ms = r.detect_ms,
            dial_ms = r.dial_ms,
            chars_typed = s.chars_typed,
            chars_spoken = s.chars_spoken,
            chars_printed = s.chars_to_tty,
            chars_lost = s.chars_lost,
            phrase_to_speech_mean_ms = s.phrase_to_speech_idle_ms.mean,
            caption_delay_mean_ms = s.word_to_commit_ms.mean,
            caption_delay_p95_ms = s.word_to_commit_ms.p95,
            commit_to_tty_mean_ms = s.speech_to_tty_ms.mean,
            commit_to_tty_idle_mean_ms = s.speech_to_tty_idle_ms.mean,
            rtp_lost = r.rtp_lost,
            rtp_late = r.rtp_late,
            "call ended"
        );
    }

    /// A new RTP port from the pool.
    fn rtp_port(&self) -> std::io::Result<RtpPort> {
        self.pool
            .bind(self.media_ip)
            .and_then(|s| RtpPort::new(s, self.config.limits.rtp_timeout_seconds))
    }

    /// The agent leg's RTP port and its address; without one the caller
    /// is hung up and the call counts as failed.
    async fn agent_port(
        &self,
        call: &ServerCall,
        record: &mut CallRecord,
    ) -> Option<(RtpPort, SocketAddr)> {
        let bound = self.rtp_port().and_then(|p| {
            let local = p.local_addr()?;
            Ok((p, local))
        });
        match bound {
            Ok(x) => Some(x),
            Err(e) => {
                warn!(error = %e, "no RTP port for the agent");
                let _ = call.hangup().await;
                record.outcome = Some(Outcome::Failed);
                None
            }
        }
    }

    /// The SIP side of a call: the caller's dialog (with our media
    /// address and SDP version) and how to reach the agent.
    fn signalling(
        &self,
        call: ServerCall,
        (customer_local, customer_version): (SocketAddr, u64),
        dial: AgentDial,
        agent_local: SocketAddr,
    ) -> Signalling {
        Signalling {
            stack: Arc::clone(&self.stack),
            customer: call,
            customer_local,
            customer_version,
            dial,
            agent_local,
            no_agent_notice: self.config.greetings.tty_no_agent.clone(),
            stop: self.stop.clone(),
            recognised: tokio::time::Instant::now(),
        }
    }

    async fn run_call(&self, id: u64, invite: IncomingInvite) -> CallRecord {
        let mut record = CallRecord {
            kind: "unknown",
            ..CallRecord::default()
        };
        if invite.truncated() {
            info!(code = 400, "refused a cut INVITE");
            invite
                .reject(400, Some("body shorter than Content-Length"))
                .await;
            record.outcome = Some(Outcome::Refused);
            return record;
        }
        let offer = match sdp::parse_remote(&invite.offer) {
            Ok(o) => o,
            Err(e) => {
                let code = match e {
                    SdpError::NoG711 | SdpError::NoAudio | SdpError::NoAddress => 488,
                    SdpError::Parse(_) if invite.offer.is_empty() => 488,
                    SdpError::Parse(_) => 400,
                };
                info!(code, reason = %e, "refused the offer");
                invite.reject(code, Some(&e.to_string())).await;
                record.outcome = Some(Outcome::Refused);
                return record;
            }
        };
        let plan = self.plan_for(&invite.to_user).clone();
        let invite_line = invite.to_user.clone();
        let queue = &self.config.queue[plan.queue.min(self.config.queue.len() - 1)];
        let from_display = invite
            .from_display
            .clone()
            .unwrap_or_else(|| invite.from_user.clone());
        let from_user = invite.from_user.clone();
        let mut port = match self.rtp_port() {
            Ok(p) => p,
            Err(e) => {
                warn!(error = %e, "no RTP port");
                invite.reject(503, Some("no media port free")).await;
                record.outcome = Some(Outcome::Refused);
                return record;
            }
        };
        port.set_remote(&offer);
        let local = match port.local_addr() {
            Ok(a) => a,
            Err(_) => {
                invite.reject(500, None).await;
                record.outcome = Some(Outcome::Failed);
                return record;
            }
        };
        let mut call = match invite.accept() {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "could not take the call");
                record.outcome = Some(Outcome::Failed);
                return record;
            }
        };
        let mut version = 1;
        if let Err(e) = call.answer(
            LocalAudio::answering(&offer, local, version)
                .to_sdp()
                .into_bytes(),
        ) {
            warn!(error = %e, "could not answer");
            record.outcome = Some(Outcome::Failed);
            return record;
        }
        self.metrics.call_started();
        let session = SessionConfig::from_profile(&plan.device, 8000);
        let detector = if plan.mode == LineMode::Tty {
            Detector::tty(session)
        } else {
            Detector::new(session)
        };
        let line = self.config.route(&invite_line).0;
        let menu_start = self.config.menu_start(line).map(str::to_owned);
        let mut queue = queue.clone();
        let mut front_door = Vec::new();
        let mut slow = plan.slow;
        let mut tty_prefix = String::new();
        let verdict = match (&self.menu, menu_start) {
            (Some(door), Some(start)) => {
                let media = if detector.verdict() == Verdict::Tty {
                    CallerMedia::Tty(Box::new(AudioTty::from_detector(port, detector)))
                } else {
                    CallerMedia::Listening(port, Box::new(detector))
                };
                let mut dialog = Dialog {
                    call: &mut call,
                    version: &mut version,
                    local,
                    stop: &self.stop,
                };
                let routed = front_door::route_caller(
                    door,
                    &self.config,
                    media,
                    (&start, &queue, &plan.voice, plan.slow),
                    &mut dialog,
                )
                .await;
                match routed {
                    Routed::To(routed) => {
                        queue = routed.queue;
                        front_door = routed.headers;
                        slow = routed.slow;
                        tty_prefix = routed.tty_prefix;
                        routed.media
                    }
                    Routed::Closed => {
                        let _ = call.hangup().await;
                        record.outcome = Some(Outcome::Closed);
                        return record;
                    }
                    Routed::Gone => Detection::Gone,
                    Routed::Stopped => Detection::Stopped,
                }
            }
            // Listen until the caller shows what it is.
            _ => {
                match self
                    .detect(&mut call, &mut port, detector, &mut version, local)
                    .await
                {
                    Listened::Tty(d) => {
                        record.detect_ms = d.detect_ms();
                        Detection::Tty(Box::new(AudioTty::from_detector(port, *d)))
                    }
                    Listened::Voice => Detection::Voice(Box::new(port)),
                    Listened::Gone => {
                        port.close();
                        Detection::Gone
                    }
                    Listened::Stopped => Detection::Stopped,
                }
            }
        };
        let dial = AgentDial {
            queue,
            from_user,
            display_name: format!(
                "{}{}",
                self.config.relay_marker.display_prefix, from_display
            ),
            marker: Some((
                self.config.relay_marker.header.clone(),
                self.config.relay_marker.value.clone(),
            )),
            front_door,
        };
        match verdict {
            Detection::Gone => {
                record.outcome = Some(Outcome::Abandoned);
                return record;
            }
            Detection::Stopped => {
                let _ = call.hangup().await;
                record.outcome = Some(Outcome::Shutdown);
                return record;
            }
            Detection::Tty(leg) => {
                record.kind = "tty";
                self.metrics
                    .tty_detected(record.detect_ms.map(|ms| ms as f64 / 1000.0));
                let tap = self.registry.register(id, &invite_line);
                self.relay(
                    call,
                    *leg,
                    (plan, tap, &tty_prefix),
                    dial,
                    &mut record,
                    version,
                    local,
                )
                .await;
            }
            Detection::Voice(port) => {
                record.kind = "voice";
                self.metrics.voice_caller();
                let dial = AgentDial {
                    marker: None,
                    display_name: from_display,
                    ..dial
                };
                self.bridge(
                    call,
                    *port,
                    dial,
                    &mut record,
                    (version, local),
                    (slow, &plan.voice),
                )
                .await;
            }
        }
        record
    }

    /// Feeds the caller's audio to the detector until it decides, the
    /// caller goes or the server stops.
    async fn detect(
        &self,
        call: &mut ServerCall,
        port: &mut RtpPort,
        mut detector: Detector,
        version: &mut u64,
        local: SocketAddr,
    ) -> Listened {
        if detector.verdict() == Verdict::Tty {
            return Listened::Tty(Box::new(detector));
        }
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let Some(frame) = port.exchange(&SILENCE) else {
                        info!("caller's media stopped before it was recognised");
                        let _ = call.hangup().await;
                        return Listened::Gone;
                    };
                    match detector.push(&frame) {
                        Verdict::Listening => {}
                        Verdict::Tty => return Listened::Tty(Box::new(detector)),
                        Verdict::Voice => return Listened::Voice,
                    }
                }
                ev = call.next_event() => match ev {
                    CallEvent::Ended(_) => return Listened::Gone,
                    CallEvent::Reoffer(r) => signalling::answer_reoffer(r, port, version, local).await,
                    _ => {}
                },
                _ = self.stop.cancelled() => return Listened::Stopped,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn relay(
        &self,
        call: ServerCall,
        customer: AudioTty<RtpPort>,
        (plan, tap, tty_prefix): (LinePlan, registry::CallTap, &str),
        dial: AgentDial,
        record: &mut CallRecord,
        version: u64,
        local: SocketAddr,
    ) {
        let Some((agent_port, agent_local)) = self.agent_port(&call, record).await else {
            return;
        };
        let agent = AgentVoice::new(agent_port);
        let mut relay = RelayConfig::for_device(&plan.device);
        relay.tty_greeting = format!("{tty_prefix}{} ", self.config.greetings.tty);
        relay.agent_greeting = self.config.greetings.agent.clone();
        let rtp_timeout = Duration::from_secs(u64::from(self.config.limits.rtp_timeout_seconds));
        relay.replay_window = rtp_timeout + Duration::from_secs(10);
        if let Some(c) = &self.config.console {
            relay.operator_word = (!c.opr_word.is_empty()).then(|| c.opr_word.clone());
            relay.caption_release = (c.caption_release_seconds > 0)
                .then(|| Duration::from_secs(u64::from(c.caption_release_seconds)));
        } else {
            // Without a console nobody could answer the request.
            relay.operator_word = None;
        }
        let (lost_tx, lost_rx) = mpsc::unbounded_channel();
        let settings = LoopSettings {
            relay,
            voice: plan.voice.clone(),
            max_seconds: Some(f64::from(self.config.limits.max_call_seconds)),
            hangup_grace: Duration::from_secs(u64::from(self.config.limits.hangup_grace_seconds)),
            agent_at_start: false,
            agent_media_lost: Some((lost_tx, rtp_timeout)),
        };
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let signalling = self.signalling(call, (local, version), dial, agent_local);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let sig = tokio::spawn(
            signalling
                .run_relay(control_tx, lost_rx, done_rx)
                // SIP of both legs: the call's span names the call, and
                // each line says which side it is about.
                .instrument(info_span!("signalling")),
        );
        let result = call_runner::run_loop(
            customer,
            agent,
            &self.engines,
            settings,
            control_rx,
            Some(tap),
        )
        .await;
        let _ = done_tx.send(());
        let sig = sig.await.unwrap_or_default();
        record.agent_legs = sig.agent_legs;
        record.dial_ms = sig.dial_ms;
        match result {
            Ok((summary, agent)) => {
                let a = agent.port().counts();
                self.metrics.rtp("agent", a.lost, a.late);
                for d in summary.phrase_to_speech_idle_samples.iter() {
                    self.metrics.phrase_to_speech(*d);
                }
                for d in summary.word_to_commit_samples.iter() {
                    self.metrics.caption_delay(*d);
                }
                record.outcome = Some(match summary.ended_by.as_str() {
                    "shutdown" => Outcome::Shutdown,
                    _ if sig.no_agent => Outcome::NoAgent,
                    // The caller left before any agent answered.
                    _ if sig.agent_legs == 0 => Outcome::Abandoned,
                    _ => Outcome::Relayed,
                });
                record.summary = Some(summary);
            }
            Err(e) => {
                warn!(error = %e, "the relay failed");
                record.outcome = Some(Outcome::Failed);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn bridge(
        &self,
        call: ServerCall,
        port: RtpPort,
        dial: AgentDial,
        record: &mut CallRecord,
        (version, local): (u64, SocketAddr),
        (slow, voice): (bool, &VoiceProfile),
    ) {
        let Some((agent_port, agent_local)) = self.agent_port(&call, record).await else {
            return;
        };
        let slow = if slow {
            self.slow_bridge(voice).await
        } else {
            None
        };
        let signalling = self.signalling(call, (local, version), dial, agent_local);
        let (out, counts) = signalling.run_bridge(port, agent_port, slow).await;
        record.agent_legs = out.agent_legs;
        record.dial_ms = out.dial_ms;
        record.rtp_lost = counts.lost;
        record.rtp_late = counts.late;
        record.outcome = Some(if out.stopped {
            Outcome::Shutdown
        } else if out.agent_legs == 0 {
            Outcome::NoAgent
        } else {
            Outcome::Bridged
        });
    }
}

impl Gateway {
    /// Slow mode for a voice caller's bridge, with the agent's notice
    /// spoken in the line's voice; `None` (plain speech) if the
    /// stretcher cannot start.
    async fn slow_bridge(&self, voice: &VoiceProfile) -> Option<SlowBridge> {
        let mode = match SlowMode::new(LevelConfig::default(), StretchConfig::default()) {
            Ok(m) => m,
            Err(e) => {
                warn!(error = %e, "slow mode unavailable");
                return None;
            }
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut notice = Vec::new();
        if self
            .engines
            .speech
            .say(0, SLOW_NOTICE.to_owned(), voice, &tx)
        {
            while let Some(s) = rx.recv().await {
                notice.extend_from_slice(&s.samples);
                if s.last {
                    break;
                }
            }
        }
        Some(SlowBridge::new(mode, notice))
    }
}

/// What the agent hears once when a caller is in slow mode.
const SLOW_NOTICE: &str = "The caller has asked for slower speech, please speak clearly.";

/// How listening to a new caller ended.
enum Listened {
    Tty(Box<Detector>),
    Voice,
    Gone,
    Stopped,
}

/// The caller, recognised, with their media.
enum Detection {
    Tty(Box<AudioTty<RtpPort>>),
    Voice(Box<RtpPort>),
    Gone,
    Stopped,
}
