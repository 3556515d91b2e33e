//! Software phones for trying `relaygate serve` with no phone network: a
//! TTY phone (Baudot tones over RTP, through the same modem session the
//! gateway uses) and an agent phone that answers one call, plays a
//! recording and records what it hears. `relaygate phone tty` and
//! `relaygate phone agent` run them; the demo and the tests call them.
//!
//! Owns only the glue between a SIP call ([`crate::sip::stack`]), an RTP
//! port and a 20 ms clock; the modem, RTP and SIP are the gateway's own.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::media::frame::{FRAME, Frame, SILENCE};
use crate::media::port::MediaPort;
use crate::media::rtp_port::RtpPort;
use crate::modem::session::{Session, SessionConfig, SessionEvent};
use crate::sip::sdp::{self, LocalAudio};
use crate::sip::stack::{CallEvent, Dial, IncomingInvite, SipError, SipStack, StackOptions};

/// Why a phone could not make or take its call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// SIP.
    #[error(transparent)]
    Sip(#[from] SipError),
    /// The RTP socket.
    #[error("RTP: {0}")]
    Rtp(#[from] std::io::Error),
    /// The far end's SDP.
    #[error("{0}")]
    Sdp(#[from] sdp::SdpError),
    /// The call was refused or never answered.
    #[error("the call was not answered: {0}")]
    NotAnswered(String),
}

/// What a phone did.
#[derive(Debug, Default, Clone)]
pub struct PhoneCall {
    /// What it heard, 8 kHz.
    pub heard: Vec<i16>,
    /// The INVITE's relay marker (`X-Relay-Call`), on the agent side.
    pub marker: Option<String>,
    /// The caller's display name as the agent saw it.
    pub display: Option<String>,
    /// The front door's headers on the agent side: the caller's choices
    /// (`X-Relay-Route`) and case number (`X-Case-Number`).
    pub route: Option<String>,
    /// See `route`.
    pub case_number: Option<String>,
    /// The far end hung up (rather than this phone).
    pub ended_by_peer: bool,
    /// When the call was set up: the INVITE's arrival on the agent side,
    /// the answer on the caller's (benchmarks time the front door by it).
    pub set_up_at: Option<Instant>,
}

async fn stack(
    listen: SocketAddr,
    agent: &str,
) -> Result<(std::sync::Arc<SipStack>, mpsc::Receiver<IncomingInvite>), PhoneError> {
    Ok(SipStack::start(StackOptions {
        listen,
        tcp: false,
        user_agent: agent.into(),
        transaction_timeout: None,
    })
    .await?)
}

fn port(ip: std::net::IpAddr) -> Result<RtpPort, PhoneError> {
    Ok(RtpPort::new(UdpSocket::bind((ip, 0))?, 30)?)
}

/// Runs the media of an established call on a 20 ms clock: `step` gets
/// each frame heard and gives the frame to send, and says when the phone
/// is done. Ends when `step` says so or the far end hangs up.
async fn run_media(
    port: &mut RtpPort,
    next: impl std::future::Future<Output = ()>,
    mut step: impl FnMut(&Frame, &mut Frame) -> bool,
    heard: &mut Vec<i16>,
) -> bool {
    tokio::pin!(next);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut out = SILENCE;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let Some(frame) = port.exchange(&out) else { return true };
                heard.extend_from_slice(&frame);
                out = SILENCE;
                if !step(&frame, &mut out) {
                    return false;
                }
            }
            _ = &mut next => return true,
        }
    }
}

/// A media step that plays `voice` from `after` on, and is done at
/// `limit`.
fn player(
    voice: &[i16],
    after: Duration,
    limit: Duration,
) -> impl FnMut(&Frame, &mut Frame) -> bool + '_ {
    let start = Instant::now();
    let mut pos = 0;
    move |_, out| {
        if start.elapsed() >= after && pos < voice.len() {
            let end = (pos + FRAME).min(voice.len());
            out[..end - pos].copy_from_slice(&voice[pos..end]);
            pos = end;
        }
        start.elapsed() < limit
    }
}

/// The agent phone: answers the first call at `listen`, plays `voice`
/// from `after` into the call, and records until the caller's side
/// hangs up or `limit` passes.
pub async fn answer_one(
    listen: SocketAddr,
    voice: Vec<i16>,
    after: Duration,
    limit: Duration,
) -> Result<PhoneCall, PhoneError> {
    let (_stack, mut invites) = stack(listen, "relaygate-agent-phone").await?;
    let Some(invite) = invites.recv().await else {
        return Err(PhoneError::NotAnswered("no call came".into()));
    };
    let set_up_at = Some(Instant::now());
    let marker = invite.header("X-Relay-Call");
    let route = invite.header("X-Relay-Route");
    let case_number = invite.header("X-Case-Number");
    let display = invite.from_display.clone();
    let offer = sdp::parse_remote(&invite.offer)?;
    let mut rtp = port(listen.ip())?;
    rtp.set_remote(&offer);
    let mut call = invite.accept()?;
    call.answer(
        LocalAudio::answering(&offer, rtp.local_addr()?, 1)
            .to_sdp()
            .into_bytes(),
    )?;
    let mut heard = Vec::new();
    let ended = {
        let next = async { while !matches!(call.next_event().await, CallEvent::Ended(_)) {} };
        run_media(&mut rtp, next, player(&voice, after, limit), &mut heard).await
    };
    if !ended {
        let _ = call.hangup().await;
    }
    Ok(PhoneCall {
        heard,
        marker,
        display,
        route,
        case_number,
        ended_by_peer: ended,
        set_up_at,
    })
}

/// Dials `target` from `listen` and waits for the answer.
async fn dial(
    listen: SocketAddr,
    target: &str,
    display: &str,
) -> Result<
    (
        std::sync::Arc<SipStack>,
        crate::sip::stack::ClientCall,
        RtpPort,
    ),
    PhoneError,
> {
    let (stack, _invites) = stack(listen, "relaygate-tty-phone").await?;
    let mut rtp = port(listen.ip())?;
    let offer = LocalAudio::offering(rtp.local_addr()?)
        .to_sdp()
        .into_bytes();
    let mut call = stack.dial(Dial {
        target: target.into(),
        from_user: "tty".into(),
        display_name: Some(display.into()),
        headers: Vec::new(),
        credential: None,
        offer,
    })?;
    loop {
        match call.next_event().await {
            CallEvent::Answered { sdp: body } => {
                rtp.set_remote(&sdp::parse_remote(&body)?);
                return Ok((stack, call, rtp));
            }
            CallEvent::Ended(reason) => return Err(PhoneError::NotAnswered(format!("{reason:?}"))),
            _ => {}
        }
    }
}

/// A caller that plays `voice` (tones or speech) `after` the answer and
/// records, hanging up after `limit`.
pub async fn call_and_play(
    listen: SocketAddr,
    target: &str,
    voice: Vec<i16>,
    after: Duration,
    limit: Duration,
) -> Result<PhoneCall, PhoneError> {
    let (stack, call, rtp) = dial(listen, target, "Pat").await?;
    Ok(run_dialled(stack, call, rtp, player(&voice, after, limit)).await)
}

/// Runs the media of a call this phone placed until `step` is done or
/// the far end hangs up, then hangs up itself if it has to.
async fn run_dialled(
    _stack: std::sync::Arc<SipStack>,
    mut call: crate::sip::stack::ClientCall,
    mut rtp: RtpPort,
    step: impl FnMut(&Frame, &mut Frame) -> bool,
) -> PhoneCall {
    let set_up_at = Some(Instant::now());
    let mut heard = Vec::new();
    let ended = {
        let next = async { while !matches!(call.next_event().await, CallEvent::Ended(_)) {} };
        run_media(&mut rtp, next, step, &mut heard).await
    };
    if !ended {
        let _ = call.hangup().await;
        // Let the BYE leave before the stack goes.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    PhoneCall {
        heard,
        ended_by_peer: ended,
        set_up_at,
        ..PhoneCall::default()
    }
}

/// The TTY phone: dials `target`, types each line from `lines` in Baudot
/// (at the TTY's own pace: the tones take their time), hands each
/// character it receives to `print`, and hangs up `linger` after `lines`
/// closes and its typing is sent.
pub async fn tty_phone(
    listen: SocketAddr,
    target: &str,
    config: SessionConfig,
    mut lines: mpsc::UnboundedReceiver<String>,
    mut print: impl FnMut(char),
    linger: Duration,
) -> Result<PhoneCall, PhoneError> {
    let (stack, call, rtp) = dial(listen, target, "TTY phone").await?;
    let mut session = Session::new(config);
    let mut closed_at: Option<Instant> = None;
    let step = |frame: &Frame, out: &mut Frame| {
        session.handle_receive(frame);
        while let Some(ev) = session.poll_event() {
            if let SessionEvent::Received(c) = ev {
                print(c);
            }
        }
        loop {
            match lines.try_recv() {
                Ok(line) => session.send_text(&format!("{line}\n")),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    closed_at.get_or_insert_with(Instant::now);
                    break;
                }
            }
        }
        session.poll_transmit(out);
        let done = closed_at.is_some_and(|t| !session.is_sending() && t.elapsed() >= linger);
        !done
    };
    Ok(run_dialled(stack, call, rtp, step).await)
}
