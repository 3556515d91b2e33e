//! The SIP side of one call while it runs: the caller's dialog, dialling
//! the agent's queue (and once more when that leg fails), hold and
//! resume, and hanging up both legs at the end.
//!
//! Owns the two dialogs and turns what happens on them into
//! [`Control`]s for the call loop, or, for a voice caller, moves the
//! audio between the two RTP ports itself. Decides nothing about the
//! conversation.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::slow_bridge::SlowBridge;
use crate::call_runner::Control;
use crate::config::QueueConfig;
use crate::legs::audio_tty::AudioTty;
use crate::media::frame::SILENCE;
use crate::media::port::MediaPort;
use crate::media::rtp_port::{RtpCounts, RtpPort};
use crate::sip::sdp::{self, LocalAudio};
use crate::sip::stack::{CallEvent, ClientCall, Dial, EndReason, Reoffer, ServerCall, SipStack};

/// What signalling tells a relay call's loop.
pub(super) type RelayControl = Control<AudioTty<RtpPort>, RtpPort>;

/// How to reach the agent.
#[derive(Debug, Clone)]
pub(super) struct AgentDial {
    pub queue: QueueConfig,
    pub from_user: String,
    pub display_name: String,
    /// The relay marker header, for TTY calls.
    pub marker: Option<(String, String)>,
    /// What the front door found out: the caller's choices and case
    /// number, for the agent's desktop.
    pub front_door: Vec<(String, String)>,
}

/// Both dialogs of a call.
pub(super) struct Signalling {
    pub stack: Arc<SipStack>,
    pub customer: ServerCall,
    pub customer_local: SocketAddr,
    pub customer_version: u64,
    pub dial: AgentDial,
    pub agent_local: SocketAddr,
    pub no_agent_notice: String,
    pub stop: CancellationToken,
    /// When the caller was recognised (TTY or voice).
    pub recognised: tokio::time::Instant,
}

/// What the signalling saw.
#[derive(Debug, Default)]
pub(super) struct SignallingOutcome {
    pub agent_legs: u32,
    /// From recognising the caller to dialling the agent, ms.
    pub dial_ms: Option<u64>,
    pub no_agent: bool,
    pub stopped: bool,
}

/// Answers a re-INVITE on a leg: the new address, codec and hold go to
/// its port, our answer says the same codec back.
pub(super) async fn answer_reoffer(
    r: Reoffer,
    port: &mut RtpPort,
    version: &mut u64,
    local: SocketAddr,
) {
    match sdp::parse_remote(&r.sdp) {
        Ok(remote) => {
            port.set_remote(&remote);
            *version += 1;
            info!(hold = remote.on_hold(), "re-INVITE");
            r.accept(
                LocalAudio::answering(&remote, local, *version)
                    .to_sdp()
                    .into_bytes(),
            )
            .await;
        }
        Err(e) => {
            info!(reason = %e, "re-INVITE refused");
            r.reject(488).await;
        }
    }
}

/// An agent leg being set up or in the call.
struct AgentLeg {
    call: ClientCall,
    answered: bool,
}

impl Signalling {
    fn place(&self) -> Option<AgentLeg> {
        let q = &self.dial.queue;
        let offer = LocalAudio::offering(self.agent_local).to_sdp().into_bytes();
        let dial = Dial {
            target: q.uri.get_ref().clone(),
            from_user: if self.dial.from_user.is_empty() {
                "relaygate".into()
            } else {
                self.dial.from_user.clone()
            },
            display_name: Some(self.dial.display_name.clone()),
            headers: self
                .dial
                .marker
                .iter()
                .chain(&self.dial.front_door)
                .cloned()
                .collect(),
            credential: q
                .username
                .clone()
                .map(|u| (u, q.password.clone().unwrap_or_default())),
            offer,
        };
        match self.stack.dial(dial) {
            Ok(call) => {
                info!(queue = %q.name.get_ref(), "dialling the agent");
                Some(AgentLeg {
                    call,
                    answered: false,
                })
            }
            Err(e) => {
                warn!(error = %e, "cannot dial the agent");
                None
            }
        }
    }

    /// The agent leg is gone without hanging up: dials the queue once
    /// more while the caller is there and the one redial is unused;
    /// otherwise the call ends (the TTY is told when no agent answered).
    fn replace_agent(
        &self,
        redials: &mut u32,
        customer_open: bool,
        was_answered: bool,
        out: &mut SignallingOutcome,
        control: &mpsc::UnboundedSender<RelayControl>,
    ) -> Option<AgentLeg> {
        if was_answered {
            let _ = control.send(Control::AgentLeft);
        }
        let tried = *redials > 0 && customer_open;
        let agent = if tried {
            *redials -= 1;
            info!("dialling the queue again");
            self.place()
        } else {
            None
        };
        if agent.is_none() {
            out.no_agent = out.agent_legs == 0;
            let _ = control.send(if was_answered && !tried {
                Control::AgentEnded
            } else {
                Control::EndWithNotice(self.no_agent_notice.clone())
            });
        }
        agent
    }

    /// Runs the SIP side of a relay call until the loop is done.
    /// `media_lost` says when the agent's media stopped mid-call.
    pub async fn run_relay(
        mut self,
        control: mpsc::UnboundedSender<RelayControl>,
        mut media_lost: mpsc::UnboundedReceiver<()>,
        mut done: oneshot::Receiver<()>,
    ) -> SignallingOutcome {
        let mut out = SignallingOutcome::default();
        let mut redials = 1u32;
        let mut agent = self.place();
        out.dial_ms = Some(self.recognised.elapsed().as_millis() as u64);
        let ring = Duration::from_secs(u64::from(self.dial.queue.ring_timeout_seconds));
        let mut ring_deadline = Some(tokio::time::Instant::now() + ring);
        let mut customer_open = true;
        if agent.is_none() {
            let _ = control.send(Control::EndWithNotice(self.no_agent_notice.clone()));
            out.no_agent = true;
        }
        loop {
            let agent_event = async {
                match agent.as_mut() {
                    Some(a) => Some(a.call.next_event().await),
                    None => std::future::pending().await,
                }
            };
            let ring_timer = async {
                match ring_deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            let customer_event = async {
                if customer_open {
                    self.customer.next_event().await
                } else {
                    std::future::pending().await
                }
            };
            tokio::select! {
                _ = &mut done => break,
                _ = self.stop.cancelled() => {
                    out.stopped = true;
                    let _ = control.send(Control::Hangup);
                    // Wait for the loop to end, then hang up below.
                    let _ = (&mut done).await;
                    break;
                }
                ev = customer_event => match ev {
                    CallEvent::Ended(reason) => {
                        info!(?reason, "caller hung up");
                        customer_open = false;
                        let _ = control.send(Control::CustomerEnded);
                    }
                    CallEvent::Reoffer(r) => {
                        let local = self.customer_local;
                        let mut version = self.customer_version;
                        let (tx, rx) = oneshot::channel();
                        let _ = control.send(Control::Customer(Box::new(move |leg: &mut AudioTty<RtpPort>| {
                            let _ = tx.send(sdp::parse_remote(&r.sdp).map(|remote| {
                                leg.port_mut().set_remote(&remote);
                                (remote, r)
                            }).map_err(|_| ()));
                        })));
                        match rx.await {
                            Ok(Ok((remote, r))) => {
                                version += 1;
                                info!(hold = remote.on_hold(), "caller re-INVITE");
                                r.accept(LocalAudio::answering(&remote, local, version).to_sdp().into_bytes()).await;
                            }
                            _ => info!("caller re-INVITE refused"),
                        }
                        self.customer_version = version;
                    }
                    _ => {}
                },
                _ = ring_timer => {
                    ring_deadline = None;
                    if let Some(mut a) = agent.take() && !a.answered {
                        info!("the agent did not answer in time");
                        let _ = a.call.cancel().await;
                        out.no_agent = out.agent_legs == 0;
                        let _ = control.send(Control::EndWithNotice(self.no_agent_notice.clone()));
                    }
                }
                Some(ev) = agent_event => match ev {
                    CallEvent::Answered { sdp: body } => {
                        ring_deadline = None;
                        match sdp::parse_remote(&body) {
                            Ok(remote) => {
                                if let Some(a) = agent.as_mut() {
                                    a.answered = true;
                                }
                                out.agent_legs += 1;
                                info!("agent answered");
                                let _ = control.send(Control::AgentPort(Box::new(move |p: &mut RtpPort| p.set_remote(&remote))));
                                let _ = control.send(Control::AgentJoined);
                            }
                            Err(e) => {
                                warn!(reason = %e, "the agent's answer is unusable");
                                if let Some(mut a) = agent.take() {
                                    let _ = a.call.hangup().await;
                                }
                                let _ = control.send(Control::EndWithNotice(self.no_agent_notice.clone()));
                            }
                        }
                    }
                    CallEvent::Reoffer(r) => {
                        // Hold and resume from the agent's side: our answer
                        // keeps our address; the port follows the new one.
                        let local = self.agent_local;
                        let (tx, rx) = oneshot::channel();
                        let _ = control.send(Control::AgentPort(Box::new(move |p: &mut RtpPort| {
                            let _ = tx.send(sdp::parse_remote(&r.sdp).map(|remote| {
                                p.set_remote(&remote);
                                (remote, r)
                            }).map_err(|_| ()));
                        })));
                        if let Ok(Ok((remote, r))) = rx.await {
                            r.accept(LocalAudio::answering(&remote, local, 2).to_sdp().into_bytes()).await;
                        }
                    }
                    CallEvent::Ended(reason) => {
                        let was_answered = agent.as_ref().is_some_and(|a| a.answered);
                        agent = None;
                        if matches!(reason, EndReason::RemoteHangup) && was_answered {
                            info!("the agent hung up");
                            let _ = control.send(Control::AgentEnded);
                        } else {
                            info!(?reason, "agent leg failed");
                            agent = self.replace_agent(&mut redials, customer_open, was_answered, &mut out, &control);
                            ring_deadline = agent.is_some().then(|| tokio::time::Instant::now() + ring);
                        }
                    }
                    _ => {}
                },
                Some(()) = media_lost.recv() => {
                    // The agent's phone went silent without a BYE (a
                    // network or a phone gone): hang that leg up and dial
                    // again, as for a leg that failed.
                    if let Some(mut a) = agent.take() {
                        let _ = a.call.hangup().await;
                    }
                    agent = self.replace_agent(&mut redials, customer_open, true, &mut out, &control);
                    ring_deadline = agent.is_some().then(|| tokio::time::Instant::now() + ring);
                }
            }
        }
        // The loop is over: whatever is still up hangs up.
        if let Some(mut a) = agent.take() {
            let _ = a.call.hangup().await;
        }
        if customer_open {
            let _ = self.customer.hangup().await;
        }
        out
    }

    /// Runs a voice caller's call: the agent is dialled and the audio
    /// goes straight through, both ways, until either side ends.
    pub async fn run_bridge(
        mut self,
        mut customer: RtpPort,
        mut agent_port: RtpPort,
        mut slow: Option<SlowBridge>,
    ) -> (SignallingOutcome, RtpCounts) {
        let mut out = SignallingOutcome::default();
        let mut agent = self.place();
        out.dial_ms = Some(self.recognised.elapsed().as_millis() as u64);
        let ring = Duration::from_secs(u64::from(self.dial.queue.ring_timeout_seconds));
        let ring_deadline = tokio::time::sleep(ring);
        tokio::pin!(ring_deadline);
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut to_agent = SILENCE;
        let mut to_customer = SILENCE;
        let mut customer_open = true;
        let mut version = self.customer_version;
        loop {
            let answered = agent.as_ref().is_some_and(|a| a.answered);
            let agent_event = async {
                match agent.as_mut() {
                    Some(a) => Some(a.call.next_event().await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.stop.cancelled() => { out.stopped = true; break; }
                _ = &mut ring_deadline, if !answered => {
                    info!("the agent did not answer in time");
                    break;
                }
                _ = tick.tick() => {
                    let Some(from_customer) = customer.exchange(&to_customer) else { break };
                    let keys = customer.take_keys();
                    let from_customer = match slow.as_mut() {
                        Some(s) => s.caller_frame(&from_customer, keys),
                        None => from_customer,
                    };
                    if answered {
                        to_agent = from_customer;
                        let Some(from_agent) = agent_port.exchange(&to_agent) else { break };
                        to_customer = match slow.as_mut() {
                            Some(s) => s.agent_frame(&from_agent),
                            None => from_agent,
                        };
                    }
                }
                ev = self.customer.next_event() => match ev {
                    CallEvent::Ended(_) => { customer_open = false; break; }
                    CallEvent::Reoffer(r) => answer_reoffer(r, &mut customer, &mut version, self.customer_local).await,
                    _ => {}
                },
                Some(ev) = agent_event => match ev {
                    CallEvent::Answered { sdp: body } => match sdp::parse_remote(&body) {
                        Ok(remote) => {
                            agent_port.set_remote(&remote);
                            if let Some(a) = agent.as_mut() { a.answered = true; }
                            if let Some(s) = slow.as_mut() { s.agent_answered(); }
                            out.agent_legs += 1;
                            info!(slow = slow.is_some(), "agent answered: bridging");
                        }
                        Err(_) => break,
                    },
                    CallEvent::Reoffer(r) => {
                        let mut v = 2;
                        answer_reoffer(r, &mut agent_port, &mut v, self.agent_local).await;
                    }
                    CallEvent::Ended(_) => { agent = None; break; }
                    _ => {}
                },
            }
        }
        let _ = to_agent;
        if let Some(mut a) = agent.take() {
            let _ = a.call.hangup().await;
        }
        if customer_open {
            let _ = self.customer.hangup().await;
        }
        (out, customer.counts())
    }
}
