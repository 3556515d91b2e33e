//! The SIP edge: relaygate's own small view of a SIP user agent, over
//! `rsipstack`.
//!
//! Owns the endpoint (UDP and TCP listeners), the accept loop that sorts
//! incoming requests, and the dialogs of calls in both directions. It
//! turns rsipstack's dialog states into [`CallEvent`]s and its handles
//! into [`IncomingInvite`], [`ServerCall`] and [`ClientCall`], so nothing
//! above `src/sip` names an rsipstack type. It carries SDP as bytes and
//! does not read it ([`super::sdp`] does), and it decides nothing about
//! calls: the gateway says whether to answer, ring, refuse or hang up.
//!
//! ```text
//!   UDP/TCP ─> endpoint ─> accept loop ─┬─ in-dialog request ─> its dialog (BYE, re-INVITE, ...)
//!                                       ├─ OPTIONS ─> 200, or 503 when the gateway is full
//!                                       ├─ INVITE ─> IncomingInvite ─> gateway
//!                                       └─ anything else ─> 405 / 481
//!   dialog states ─> CallEvent (Ringing, Answered, Confirmed, Reoffer, Ended)
//! ```
//!
//! Garbage that does not parse is dropped by rsipstack before it reaches
//! the accept loop (over TCP it closes that connection only); messages
//! that parse but cannot be answered sensibly get a 4xx.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rsipstack::EndpointBuilder;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{
    DialogState, DialogStateReceiver, TerminatedReason, TransactionHandle,
};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, Method, StatusCode, Uri};
use rsipstack::transaction::endpoint::{EndpointInner, EndpointOption};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::{TcpListenerConnection, TransportLayer, udp::UdpConnection};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// Methods relaygate answers, for `Allow`.
const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE";
/// New INVITEs waiting for the gateway; past this, callers get 503.
const INVITE_QUEUE: usize = 64;

/// What went wrong in the SIP layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SipError {
    /// A listener could not be bound.
    #[error("cannot listen for SIP on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A URI in the configuration or a request is not a SIP URI.
    #[error("not a SIP URI: {0}")]
    Uri(String),
    /// The request could not be sent or answered (the peer, the
    /// transport or the stack); the message says which.
    #[error("SIP: {0}")]
    Stack(String),
}

impl From<rsipstack::Error> for SipError {
    fn from(e: rsipstack::Error) -> Self {
        SipError::Stack(e.to_string())
    }
}

/// How the SIP endpoint listens.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// UDP address; TCP listens on the same address too when `tcp` is set.
    pub listen: SocketAddr,
    /// Also listen over TCP.
    pub tcp: bool,
    /// `User-Agent` header value.
    pub user_agent: String,
    /// Transaction timeout (64 × T1, RFC 3261); `None` for the standard
    /// 32 s. Tests shorten it.
    pub transaction_timeout: Option<Duration>,
}

/// A running SIP endpoint. Dropping every handle to it releases its
/// ports; [`SipStack::shutdown`] stops it at once.
pub struct SipStack {
    token: CancellationToken,
    dialogs: Arc<DialogLayer>,
    /// Keeps the endpoint alive as long as the stack is.
    _endpoint: Arc<EndpointInner>,
    local: SocketAddr,
    tcp: bool,
    /// Whether the gateway takes calls now; OPTIONS answers 503 when not.
    available: Arc<AtomicBool>,
}

impl std::fmt::Debug for SipStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipStack")
            .field("local", &self.local)
            .field("tcp", &self.tcp)
            .finish_non_exhaustive()
    }
}

impl SipStack {
    /// Binds the listeners and starts the endpoint and its accept loop.
    /// New INVITEs arrive on the returned receiver; while nobody takes
    /// them fast enough (or the receiver is gone), callers get 503.
    pub async fn start(
        options: StackOptions,
    ) -> Result<(Arc<SipStack>, mpsc::Receiver<IncomingInvite>), SipError> {
        let token = CancellationToken::new();
        let bind_err = |source| SipError::Bind {
            addr: options.listen,
            source,
        };
        // The transport layer cancels the token it is given when dropped:
        // hand it a child so that drop cannot stop the whole stack.
        let transport = TransportLayer::new(token.child_token());
        let udp = UdpConnection::create_connection(options.listen, None, Some(token.child_token()))
            .await
            .map_err(|e| bind_err(std::io::Error::other(e.to_string())))?;
        let local = udp
            .get_addr()
            .get_socketaddr()
            .map_err(|e| bind_err(std::io::Error::other(e.to_string())))?;
        transport.add_transport(udp.into());
        if options.tcp {
            // rsipstack binds TCP inside its serve loop and only logs a
            // failure there; binding once here makes a taken port an error.
            drop(std::net::TcpListener::bind(local).map_err(bind_err)?);
            let tcp = TcpListenerConnection::new(local, None)
                .await
                .map_err(|e| bind_err(std::io::Error::other(e.to_string())))?;
            transport.add_transport(tcp.into());
        }
        let mut builder = EndpointBuilder::new();
        builder
            .with_cancel_token(token.child_token())
            .with_transport_layer(transport)
            .with_user_agent(&options.user_agent)
            .with_option(EndpointOption {
                // The default Call-ID ends in the library author's domain.
                callid_format: rsipstack::transaction::CallIdFormat::Uuid,
                t1x64: options
                    .transaction_timeout
                    .unwrap_or(EndpointOption::default().t1x64),
                ..EndpointOption::default()
            });
        let endpoint = builder.build();
        let incoming = endpoint.incoming_transactions()?;
        let inner = endpoint.inner.clone();
        let dialogs = Arc::new(DialogLayer::new(inner.clone()));
        let serve_token = token.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = endpoint.serve() => {}
                _ = serve_token.cancelled() => {}
            }
        });
        let stack = Arc::new(SipStack {
            token,
            dialogs,
            _endpoint: inner,
            local,
            tcp: options.tcp,
            available: Arc::new(AtomicBool::new(true)),
        });
        let (invites_tx, invites) = mpsc::channel(INVITE_QUEUE);
        tokio::spawn(accept_loop(Arc::clone(&stack), incoming, invites_tx));
        Ok((stack, invites))
    }

    /// The address SIP listens on (UDP, and TCP when enabled).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Tells OPTIONS probes whether calls are taken now (200) or not
    /// (503): a load balancer sends its calls elsewhere when full.
    pub fn set_available(&self, available: bool) {
        self.available.store(available, Ordering::Relaxed);
    }

    /// Dialogs the stack still holds; 0 once every call has ended.
    pub fn dialog_count(&self) -> usize {
        self.dialogs.len()
    }

    /// Stops listening and every transaction at once. End calls first
    /// (BYE needs the stack running).
    pub fn shutdown(&self) {
        self.token.cancel();
    }

    fn contact(&self, reliable: bool) -> Result<Uri, SipError> {
        let text = if reliable && self.tcp {
            format!("sip:relaygate@{};transport=tcp", self.local)
        } else {
            format!("sip:relaygate@{}", self.local)
        };
        parse_uri(&text)
    }

    /// Places a call: sends the INVITE and returns at once; progress
    /// comes as [`CallEvent`]s from the returned call.
    pub fn dial(self: &Arc<Self>, dial: Dial) -> Result<ClientCall, SipError> {
        let callee = parse_uri(&dial.target)?;
        let reliable = dial.target.contains("transport=tcp");
        let caller = parse_uri(&format!("sip:{}@{}", dial.from_user, self.local))?;
        let headers: Vec<Header> = dial
            .headers
            .into_iter()
            .map(|(name, value)| Header::Other(name, value))
            .collect();
        let option = InviteOption {
            caller_display_name: dial.display_name,
            caller,
            callee,
            contact: self.contact(reliable)?,
            content_type: Some("application/sdp".into()),
            offer: Some(dial.offer),
            credential: dial.credential.map(|(username, password)| Credential {
                username,
                password,
                realm: None,
                auth_username: None,
            }),
            headers: Some(headers),
            ..InviteOption::default()
        };
        let (state_tx, states) = self.dialogs.new_dialog_state_channel();
        let (dialog, _invite) = self.dialogs.do_invite_async(option, state_tx)?;
        Ok(ClientCall {
            dialog,
            states,
            stack: Arc::clone(self),
            answered: false,
            cancelled: false,
        })
    }
}

impl Drop for SipStack {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// A call to place.
#[derive(Debug, Clone)]
pub struct Dial {
    /// The callee's URI (`;transport=tcp` for TCP).
    pub target: String,
    /// User part of our From URI.
    pub from_user: String,
    /// Display name in From, which the agent's phone shows.
    pub display_name: Option<String>,
    /// Extra headers, name and value (the relay marker, User-to-User).
    pub headers: Vec<(String, String)>,
    /// Digest credentials (user, password) for a 401 or 407.
    pub credential: Option<(String, String)>,
    /// Our SDP offer.
    pub offer: Vec<u8>,
}

/// Sorts incoming requests until the stack stops.
async fn accept_loop(
    stack: Arc<SipStack>,
    mut incoming: rsipstack::transaction::TransactionReceiver,
    invites: mpsc::Sender<IncomingInvite>,
) {
    loop {
        let mut tx = tokio::select! {
            tx = incoming.recv() => match tx {
                Some(tx) => tx,
                None => break,
            },
            // The receiver does not close when the endpoint stops.
            _ = stack.token.cancelled() => break,
        };
        if let Some(mut dialog) = stack.dialogs.match_dialog(&tx) {
            // It may wait for the call's answer (a re-INVITE): its own task.
            tokio::spawn(async move {
                if let Err(e) = dialog.handle(&mut tx).await {
                    debug!(error = %e, "in-dialog request");
                }
            });
            continue;
        }
        match tx.original.method {
            Method::Invite => match IncomingInvite::new(tx, Arc::clone(&stack)) {
                Ok(invite) => {
                    if let Err(e) = invites.try_send(invite) {
                        let invite = match e {
                            mpsc::error::TrySendError::Full(i)
                            | mpsc::error::TrySendError::Closed(i) => i,
                        };
                        warn!("gateway not taking calls; 503");
                        invite.reject(503, None).await;
                    }
                }
                Err(bad) => {
                    let (mut tx, why) = *bad;
                    debug!(%why, "malformed INVITE; 400");
                    let _ = tx
                        .reply_with(StatusCode::BadRequest, vec![warning(why)], None)
                        .await;
                }
            },
            Method::Options => {
                let code = if stack.available.load(Ordering::Relaxed) {
                    StatusCode::OK
                } else {
                    StatusCode::ServiceUnavailable
                };
                let headers = vec![
                    Header::Allow(ALLOW.into()),
                    Header::Accept("application/sdp".into()),
                ];
                let _ = tx.reply_with(code, headers, None).await;
            }
            // A stray ACK is never answered.
            Method::Ack => {}
            Method::Bye | Method::Info | Method::Update => {
                let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
            }
            _ => {
                let allow = vec![Header::Allow(ALLOW.into())];
                let _ = tx
                    .reply_with(StatusCode::MethodNotAllowed, allow, None)
                    .await;
            }
        }
    }
    debug!("SIP accept loop stopped");
}

fn warning(text: &str) -> Header {
    Header::Warning(format!("399 relaygate \"{text}\"").into())
}

/// Checks that `text` is a SIP or SIPS URI that can be dialled; the
/// reason when it is not, for configuration errors.
pub fn check_uri(text: &str) -> Result<(), String> {
    let lower = text.trim().to_ascii_lowercase();
    if !(lower.starts_with("sip:") || lower.starts_with("sips:")) {
        return Err(format!("{text:?} is not a sip: or sips: URI"));
    }
    let uri = Uri::try_from(text.trim()).map_err(|e| format!("{text:?} is not a SIP URI: {e}"))?;
    if uri.host_with_port.to_string().is_empty() {
        return Err(format!("{text:?} has no host"));
    }
    Ok(())
}

fn parse_uri(text: &str) -> Result<Uri, SipError> {
    Uri::try_from(text).map_err(|_| SipError::Uri(text.to_string()))
}

/// A new INVITE, not yet answered. Answer it with
/// [`accept`](Self::accept) or [`reject`](Self::reject); dropping it
/// answers 500, so no caller is left without a reply.
pub struct IncomingInvite {
    tx: Option<Transaction>,
    stack: Arc<SipStack>,
    /// The Call-ID, for matching in logs.
    pub call_id: String,
    /// User part of the To URI: the number dialled.
    pub to_user: String,
    /// User part of the From URI: the caller.
    pub from_user: String,
    /// Display name in From.
    pub from_display: Option<String>,
    /// The SDP offer; empty when the caller wants ours in the 200.
    pub offer: Vec<u8>,
    /// Where the INVITE came from.
    pub remote: Option<SocketAddr>,
    /// It came over TCP.
    pub reliable: bool,
}

impl std::fmt::Debug for IncomingInvite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingInvite")
            .field("call_id", &self.call_id)
            .field("reliable", &self.reliable)
            .finish_non_exhaustive()
    }
}

impl IncomingInvite {
    fn new(
        tx: Transaction,
        stack: Arc<SipStack>,
    ) -> Result<Self, Box<(Transaction, &'static str)>> {
        let req = &tx.original;
        let Ok(call_id) = req.call_id_header().map(|c| c.value().to_string()) else {
            return Err(Box::new((tx, "no Call-ID")));
        };
        let to_user = match req.to_header().and_then(|t| t.uri()) {
            Ok(uri) => uri.user().unwrap_or_default().to_string(),
            Err(_) => return Err(Box::new((tx, "bad To header"))),
        };
        let (from_user, from_display) = match req.from_header().and_then(|f| f.typed()) {
            Ok(from) => (
                from.uri.user().unwrap_or_default().to_string(),
                from.display_name.clone(),
            ),
            Err(_) => return Err(Box::new((tx, "bad From header"))),
        };
        let offer = req.body.clone();
        let reliable = tx.connection.as_ref().is_some_and(|c| c.is_reliable());
        let remote = tx
            .connection
            .as_ref()
            .and_then(|c| c.get_addr().get_socketaddr().ok());
        Ok(IncomingInvite {
            tx: Some(tx),
            stack,
            call_id,
            to_user,
            from_user,
            from_display,
            offer,
            remote,
            reliable,
        })
    }

    /// A header of the INVITE by name (any case), first value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.tx.as_ref()?.original.header_value(name)
    }

    /// The body is shorter than its `Content-Length` says: the datagram
    /// was cut (RFC 3261 18.3 answers 400).
    pub fn truncated(&self) -> bool {
        self.header("Content-Length")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .is_some_and(|declared| declared > self.offer.len())
    }

    /// Refuses the call with `code` (486 busy, 488 no common codec, 503
    /// full, ...) and an optional reason in a `Warning` header.
    pub async fn reject(mut self, code: u16, reason: Option<&str>) {
        if let Some(mut tx) = self.tx.take() {
            let headers = reason.map(warning).into_iter().collect();
            if let Err(e) = tx.reply_with(StatusCode::from(code), headers, None).await {
                debug!(error = %e, "could not refuse the INVITE");
            }
        }
    }

    /// Takes the call: sends 100 Trying and returns the call, which can
    /// ring and answer.
    pub fn accept(mut self) -> Result<ServerCall, SipError> {
        let Some(mut tx) = self.tx.take() else {
            return Err(SipError::Stack("INVITE already answered".into()));
        };
        let (state_tx, states) = self.stack.dialogs.new_dialog_state_channel();
        let contact = self.stack.contact(self.reliable)?;
        let dialog =
            self.stack
                .dialogs
                .get_or_create_server_invite(&tx, state_tx, None, Some(contact))?;
        // The INVITE transaction sends what the call queues (180, 200)
        // and takes the ACK or a CANCEL: it runs on its own.
        let mut handler = dialog.clone();
        tokio::spawn(async move {
            if let Err(e) = handler.handle(&mut tx).await {
                debug!(error = %e, "INVITE transaction");
            }
        });
        Ok(ServerCall {
            dialog,
            states,
            stack: Arc::clone(&self.stack),
            answered: false,
            confirmed: false,
        })
    }
}

impl Drop for IncomingInvite {
    fn drop(&mut self) {
        if let Some(mut tx) = self.tx.take() {
            tokio::spawn(async move {
                let _ = tx.reply(StatusCode::ServerInternalError).await;
            });
        }
    }
}

/// What happens on a call, in either direction.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallEvent {
    /// The callee rings (180 or 183).
    Ringing,
    /// The callee answered; its SDP answer.
    Answered {
        /// The SDP body of the 200.
        sdp: Vec<u8>,
    },
    /// The caller acknowledged our answer (ACK).
    Confirmed,
    /// The peer sent a new offer in the dialog (re-INVITE: hold, resume,
    /// a new address); answer it through the [`Reoffer`].
    Reoffer(Reoffer),
    /// The call is over.
    Ended(EndReason),
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// The peer hung up (BYE).
    RemoteHangup,
    /// We hung up.
    LocalHangup,
    /// The caller gave up while it rang (CANCEL), or we cancelled our
    /// INVITE.
    Cancelled,
    /// The callee refused with this status (486 busy, 603, 404, ...).
    Rejected(u16),
    /// No answer in time: no response to our INVITE (408), or no ACK
    /// for our 200.
    Timeout,
    /// The callee asked for credentials we do not have or that it
    /// refused.
    AuthFailed,
}

/// A new offer from the peer inside a call, waiting for our answer.
pub struct Reoffer {
    /// The offer's SDP (empty for a re-INVITE without one).
    pub sdp: Vec<u8>,
    handle: TransactionHandle,
}

impl std::fmt::Debug for Reoffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reoffer")
            .field("sdp_bytes", &self.sdp.len())
            .finish()
    }
}

impl Reoffer {
    /// Answers 200 with our SDP.
    pub async fn accept(self, sdp: Vec<u8>) {
        let headers = vec![Header::ContentType("application/sdp".into())];
        let _ = self
            .handle
            .respond(StatusCode::OK, Some(headers), Some(sdp))
            .await;
    }

    /// Refuses it (488 for an offer with no codec we take).
    pub async fn reject(self, code: u16) {
        let _ = self.handle.reply(StatusCode::from(code)).await;
    }
}

/// A call someone placed to us.
pub struct ServerCall {
    dialog: InviteDialog,
    states: DialogStateReceiver,
    stack: Arc<SipStack>,
    answered: bool,
    /// The caller's ACK of our answer has come.
    confirmed: bool,
}

impl std::fmt::Debug for ServerCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCall")
            .field("answered", &self.answered)
            .finish_non_exhaustive()
    }
}

impl ServerCall {
    /// Sends 180 Ringing.
    pub fn ringing(&self) -> Result<(), SipError> {
        Ok(self.dialog.ringing(None, None)?)
    }

    /// Answers 200 with our SDP.
    pub fn answer(&mut self, sdp: Vec<u8>) -> Result<(), SipError> {
        let headers = vec![Header::ContentType("application/sdp".into())];
        self.dialog.accept(Some(headers), Some(sdp))?;
        self.answered = true;
        Ok(())
    }

    /// Refuses the call after it rang (486, 480, 503 ...).
    pub fn reject(&self, code: u16) -> Result<(), SipError> {
        Ok(self.dialog.reject(Some(StatusCode::from(code)), None)?)
    }

    /// Hangs up: BYE once answered, a refusal (480) before.
    pub async fn hangup(&self) -> Result<(), SipError> {
        if self.answered {
            bounded_bye(self.dialog.bye(), &self.stack, self.dialog.id()).await
        } else {
            self.reject(480)
        }
    }

    /// The SDP the caller sent in its ACK (an offerless INVITE: our 200
    /// carried the offer).
    pub fn ack_sdp(&self) -> Option<Vec<u8>> {
        self.dialog
            .last_remote_ack()
            .map(|ack| ack.body)
            .filter(|b| !b.is_empty())
    }

    /// The next thing that happens on the call; `Ended` is the last.
    pub async fn next_event(&mut self) -> CallEvent {
        loop {
            let Some(state) = self.states.recv().await else {
                return CallEvent::Ended(EndReason::LocalHangup);
            };
            match state {
                // A re-INVITE's ACK confirms again: tell the call once.
                DialogState::Confirmed(..) => {
                    if self.answered && !std::mem::replace(&mut self.confirmed, true) {
                        return CallEvent::Confirmed;
                    }
                }
                DialogState::Terminated(id, reason) => {
                    self.stack.dialogs.remove_dialog(&id);
                    return CallEvent::Ended(server_end(&reason));
                }
                other => {
                    if let Some(event) = in_dialog(other).await {
                        return event;
                    }
                }
            }
        }
    }
}

/// How long a BYE waits for its answer. A peer that never answers (it
/// has gone) would otherwise hold the call, and its slot, for the whole
/// transaction timeout (32 s); this covers the first retransmissions.
const BYE_WAIT: Duration = Duration::from_secs(4);

/// Sends a BYE and waits at most [`BYE_WAIT`] for its answer; a dialog
/// left unanswered is dropped from the stack all the same.
async fn bounded_bye<E>(
    bye: impl std::future::Future<Output = Result<(), E>>,
    stack: &SipStack,
    id: rsipstack::dialog::DialogId,
) -> Result<(), SipError>
where
    SipError: From<E>,
{
    match tokio::time::timeout(BYE_WAIT, bye).await {
        Ok(done) => Ok(done?),
        Err(_) => {
            stack.dialogs.remove_dialog(&id);
            Err(SipError::Stack("no answer to BYE".into()))
        }
    }
}

/// A call we placed.
pub struct ClientCall {
    dialog: InviteDialog,
    states: DialogStateReceiver,
    stack: Arc<SipStack>,
    answered: bool,
    cancelled: bool,
}

impl std::fmt::Debug for ClientCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCall")
            .field("answered", &self.answered)
            .finish_non_exhaustive()
    }
}

impl ClientCall {
    /// Gives up on a call that has not been answered (CANCEL).
    pub async fn cancel(&mut self) -> Result<(), SipError> {
        self.cancelled = true;
        Ok(self.dialog.cancel().await?)
    }

    /// Hangs up: BYE once answered, CANCEL before.
    pub async fn hangup(&mut self) -> Result<(), SipError> {
        if self.answered {
            bounded_bye(self.dialog.bye(), &self.stack, self.dialog.id()).await
        } else {
            self.cancel().await
        }
    }

    /// The next thing that happens on the call; `Ended` is the last.
    pub async fn next_event(&mut self) -> CallEvent {
        loop {
            let Some(state) = self.states.recv().await else {
                return CallEvent::Ended(EndReason::LocalHangup);
            };
            match state {
                DialogState::Early(..) => return CallEvent::Ringing,
                DialogState::Confirmed(_, response) => {
                    // Later ones confirm our own re-INVITEs.
                    if !std::mem::replace(&mut self.answered, true) {
                        return CallEvent::Answered { sdp: response.body };
                    }
                }
                DialogState::Terminated(id, reason) => {
                    self.stack.dialogs.remove_dialog(&id);
                    return CallEvent::Ended(client_end(&reason, self.cancelled));
                }
                other => {
                    if let Some(event) = in_dialog(other).await {
                        return event;
                    }
                }
            }
        }
    }
}

/// Requests the peer sends inside a dialog: a re-INVITE goes to the
/// call, everything else is answered 200 here.
async fn in_dialog(state: DialogState) -> Option<CallEvent> {
    match state {
        DialogState::Updated(_, request, handle) if request.method == Method::Invite => {
            Some(CallEvent::Reoffer(Reoffer {
                sdp: request.body,
                handle,
            }))
        }
        DialogState::Updated(_, _, handle)
        | DialogState::Info(_, _, handle)
        | DialogState::Options(_, _, handle)
        | DialogState::Notify(_, _, handle)
        | DialogState::Message(_, _, handle) => {
            let _ = handle.reply(StatusCode::OK).await;
            None
        }
        DialogState::Refer(_, _, handle) | DialogState::Publish(_, _, handle) => {
            let _ = handle.reply(StatusCode::MethodNotAllowed).await;
            None
        }
        _ => None,
    }
}

/// rsipstack names terminations by role (UAC = the caller); on a call
/// someone placed to us, the caller is the peer.
fn server_end(reason: &TerminatedReason) -> EndReason {
    match reason {
        TerminatedReason::UacBye => EndReason::RemoteHangup,
        TerminatedReason::UasBye => EndReason::LocalHangup,
        TerminatedReason::UacCancel => EndReason::Cancelled,
        TerminatedReason::Timeout => EndReason::Timeout,
        TerminatedReason::UasOther(code) | TerminatedReason::UacOther(code) => {
            EndReason::Rejected(u16::from(code.clone()))
        }
        TerminatedReason::UasBusy | TerminatedReason::UacBusy => EndReason::Rejected(486),
        TerminatedReason::UasDecline => EndReason::Rejected(603),
        TerminatedReason::ProxyError(code) => EndReason::Rejected(u16::from(code.clone())),
        TerminatedReason::ProxyAuthRequired => EndReason::AuthFailed,
    }
}

/// On a call we placed, the callee (UAS) is the peer.
fn client_end(reason: &TerminatedReason, cancelled: bool) -> EndReason {
    let code = |c: &StatusCode| u16::from(c.clone());
    match reason {
        TerminatedReason::UasBye => EndReason::RemoteHangup,
        TerminatedReason::UacBye => EndReason::LocalHangup,
        TerminatedReason::UacCancel => EndReason::Cancelled,
        TerminatedReason::Timeout => EndReason::Timeout,
        TerminatedReason::UasOther(c) | TerminatedReason::UacOther(c) => match code(c) {
            487 if cancelled => EndReason::Cancelled,
            408 => EndReason::Timeout,
            n => EndReason::Rejected(n),
        },
        TerminatedReason::UasBusy | TerminatedReason::UacBusy => EndReason::Rejected(486),
        TerminatedReason::UasDecline => EndReason::Rejected(603),
        TerminatedReason::ProxyError(c) => EndReason::Rejected(code(c)),
        TerminatedReason::ProxyAuthRequired => EndReason::AuthFailed,
    }
}
