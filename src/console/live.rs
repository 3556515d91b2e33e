//! The live channel: one WebSocket per console tab.
//!
//! Owns the upgrade checks (a signed-in session and the console's own
//! `Origin`, which axum does not check), the JSON commands and their
//! authorization on every command ([`super::access`]), and what a tab is
//! sent: the calls' metadata as it changes, and the opened call's
//! messages. It passes commands to calls through the registry and never
//! touches a call's state itself. Logs name the user and the call for
//! take-overs, releases and assignments; never text.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_sessions::session::Id;
use tower_sessions::session_store::SessionStore;
use tower_sessions::{MemoryStore, Session};
use tracing::{Instrument, info, info_span};

use super::access::{Action, Decision, decide};
use super::auth::SignedIn;
use super::directory::Directory;
use super::users::Role;
use crate::gateway::registry::{CallMessage, LiveCall, OperatorCommand, Registry};

/// Frames larger than this are answered with an error (the channel stays
/// open).
pub const MAX_COMMAND_BYTES: usize = 16 * 1024;
/// Frames larger than this close the channel (1009, too big).
const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Text longer than this in one command is refused.
const MAX_TEXT_CHARS: usize = 4096;
/// Call-list updates are sent at most this often: the list shows
/// metadata (a backlog changes with every printed line), not a ticker.
const LIST_EVERY: Duration = Duration::from_millis(500);

/// What the live channel needs.
#[derive(Debug, Clone)]
pub struct LiveState {
    /// The live calls.
    pub registry: Registry,
    /// The origin browsers must come from, if configured; otherwise the
    /// request's own scheme and host.
    pub public_origin: Option<String>,
    /// Whether the console serves HTTPS.
    pub tls: bool,
    /// The users file (for assignments, and a user's role now).
    pub directory: Directory,
    /// Cancelled when the server stops.
    pub stop: CancellationToken,
    /// The open channels, waited for at shutdown.
    pub tracker: TaskTracker,
    /// The sessions, to notice one that ended (signed out in another
    /// tab, or expired) while its channel is open.
    pub sessions: MemoryStore,
}

/// How often an open channel checks that its session still exists.
const SESSION_CHECK: Duration = Duration::from_secs(15);

/// Whether `headers` carry the console's own origin.
pub fn origin_allowed(headers: &HeaderMap, public_origin: Option<&str>, tls: bool) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    match public_origin {
        Some(o) => origin.eq_ignore_ascii_case(o.trim_end_matches('/')),
        None => {
            let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
                return false;
            };
            let scheme = if tls { "https" } else { "http" };
            origin.eq_ignore_ascii_case(&format!("{scheme}://{host}"))
        }
    }
}

/// `GET /live`: upgrades a signed-in tab from the console's own page.
pub async fn upgrade(
    user: SignedIn,
    session: Session,
    State(state): State<LiveState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&headers, state.public_origin.as_deref(), state.tls) {
        info!(user = %user.name, "live channel refused: wrong origin");
        return (
            StatusCode::FORBIDDEN,
            "this page's origin may not open the live channel\n",
        )
            .into_response();
    }
    let tracker = state.tracker.clone();
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| {
            let span = info_span!("console", user = %user.name);
            tracker.track_future(
                Channel::new(user, state, session.id())
                    .run(socket)
                    .instrument(span),
            )
        })
}

/// A command from a tab.
#[derive(Debug, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
enum Command {
    Open { call: u64 },
    Close { call: u64 },
    Leave { call: u64 },
    Assign { call: u64, user: String },
    Review { call: u64, on: bool },
    SendCaption { call: u64, id: u64, text: String },
    DiscardCaption { call: u64, id: u64 },
    Editing { call: u64, id: u64, on: bool },
    Type { call: u64, text: String },
    Speak { call: u64, text: String },
    TakeOver { call: u64 },
    Release { call: u64 },
}

const COMMANDS: &[&str] = &[
    "open",
    "close",
    "leave",
    "assign",
    "review",
    "send_caption",
    "discard_caption",
    "editing",
    "type",
    "speak",
    "take_over",
    "release",
];

impl Command {
    fn call(&self) -> u64 {
        match self {
            Command::Open { call }
            | Command::Close { call }
            | Command::Leave { call }
            | Command::Assign { call, .. }
            | Command::Review { call, .. }
            | Command::SendCaption { call, .. }
            | Command::DiscardCaption { call, .. }
            | Command::Editing { call, .. }
            | Command::Type { call, .. }
            | Command::Speak { call, .. }
            | Command::TakeOver { call }
            | Command::Release { call } => *call,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Command::SendCaption { text, .. }
            | Command::Type { text, .. }
            | Command::Speak { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// A refusal, as the tab is told.
#[derive(Debug)]
struct Refusal {
    code: &'static str,
    message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

/// The call a tab follows.
struct Opened {
    call: Arc<LiveCall>,
    messages: broadcast::Receiver<CallMessage>,
}

/// One tab's channel.
struct Channel {
    user: SignedIn,
    state: LiveState,
    /// The tab's session, checked at every command.
    session: Option<Id>,
    /// The session ended or the user lost their place: the channel
    /// closes once the refusal is sent.
    signed_out: bool,
    opened: Option<Opened>,
    /// The call whose held caption this tab is editing (a release timer
    /// waits meanwhile), so closing the tab ends the edit.
    editing: Option<u64>,
    /// Messages to send, in order, once the command is handled, as JSON
    /// text.
    out: Vec<String>,
}

impl Channel {
    fn new(user: SignedIn, state: LiveState, session: Option<Id>) -> Self {
        Channel {
            user,
            state,
            session,
            signed_out: false,
            opened: None,
            editing: None,
            out: Vec::new(),
        }
    }

    /// The user's role now, if their session still exists and the users
    /// file still has them with the password they signed in with.
    async fn standing(&self) -> Option<Role> {
        let live = match &self.session {
            Some(id) => matches!(self.state.sessions.load(id).await, Ok(Some(_))),
            None => false,
        };
        if !live {
            return None;
        }
        let users = self.state.directory.current().await;
        self.user.role_in(&users)
    }

    /// Takes the role the users file gives now; a changed one is told to
    /// the page, which shows what it may do.
    fn set_role(&mut self, role: Role) {
        if role != self.user.role {
            self.user.role = role;
            let hello = json!({"type": "hello", "name": self.user.name, "role": role});
            self.push(hello);
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let (mut tx, mut rx) = socket.split();
        let mut check = tokio::time::interval(SESSION_CHECK);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The upgrade has just checked the session: the first check is
        // due a period from now, not at once (an immediate first tick,
        // left for whenever the loop got to it, could close a channel
        // ahead of the command that found its user gone, unanswered).
        check.reset();
        let mut changes = self.state.registry.changes();
        let hello = json!({"type": "hello", "name": self.user.name, "role": self.user.role});
        self.push(hello);
        let list = self.calls();
        self.out.push(list);
        let mut list_due: Option<Instant> = None;
        let stop = self.state.stop.clone();
        loop {
            for m in std::mem::take(&mut self.out) {
                if tx.send(Message::Text(m.into())).await.is_err() {
                    self.close();
                    return;
                }
            }
            if self.signed_out {
                info!("live channel closed: the session ended");
                let _ = tx.send(close_frame(4401, "signed out")).await;
                break;
            }
            tokio::select! {
                frame = rx.next() => match frame {
                    Some(Ok(Message::Text(t))) => self.frame(t.as_str()).await,
                    Some(Ok(Message::Binary(_))) => {
                        self.error(None, refuse("bad-frame", "frames are JSON text"));
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Err(e)) => {
                        if too_large(&e) {
                            info!("live channel closed: a frame over the limit");
                            let _ = tx.send(close_frame(1009, "frame too large")).await;
                        }
                        break;
                    }
                    Some(Ok(Message::Close(_))) | None => break,
                },
                Ok(()) = changes.changed() => {
                    changes.borrow_and_update();
                    list_due.get_or_insert_with(|| Instant::now() + LIST_EVERY);
                }
                () = sleep_until(list_due) => {
                    list_due = None;
                    let list = self.calls();
                    self.out.push(list);
                }
                m = next_message(&mut self.opened) => self.call_message(m),
                // Between commands too, so a tab left open learns that
                // its session ended (signed out elsewhere, removed, a
                // new password) or its role changed.
                _ = check.tick() => match self.standing().await {
                    Some(role) => self.set_role(role),
                    None => self.signed_out = true,
                },
                () = stop.cancelled() => {
                    let _ = tx.send(close_frame(1001, "relaygate is stopping")).await;
                    break;
                }
            }
        }
        self.close();
    }

    /// The tab is gone: if it was the handler's last, the call goes back
    /// to the automatic relay so the caller is not left waiting.
    fn close(&mut self) {
        if let Some(o) = self.opened.take() {
            self.stop_following(&o.call);
        }
    }

    fn stop_following(&mut self, call: &LiveCall) {
        if self.editing.take().is_some_and(|id| id == call.id()) {
            call.command(OperatorCommand::Editing(false));
        }
        if call.unwatch(&self.user.name) {
            hand_back(call, "tab closed");
        }
    }

    /// The calls message, around the list every tab shares.
    fn calls(&self) -> String {
        format!(
            "{{\"type\":\"calls\",\"calls\":{}}}",
            self.state.registry.list_json()
        )
    }

    fn push(&mut self, m: Value) {
        self.out.push(m.to_string());
    }

    fn error(&mut self, r: Option<&Value>, refusal: Refusal) {
        let mut m = json!({"type": "error", "code": refusal.code, "message": refusal.message});
        if let Some(r) = r {
            m["ref"] = r.clone();
        }
        self.push(m);
    }

    async fn frame(&mut self, text: &str) {
        if text.len() > MAX_COMMAND_BYTES {
            return self.error(
                None,
                refuse(
                    "bad-frame",
                    format!("a command may be {MAX_COMMAND_BYTES} bytes at most"),
                ),
            );
        }
        let value: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => return self.error(None, refuse("bad-frame", "a command is one JSON object")),
        };
        let reference = value.get("ref").cloned();
        let name = value
            .get("cmd")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if !COMMANDS.contains(&name.as_str()) {
            return self.error(
                reference.as_ref(),
                refuse("unknown-command", format!("no command {name:?}")),
            );
        }
        let command: Command = match serde_json::from_value(value) {
            Ok(c) => c,
            Err(e) => return self.error(reference.as_ref(), refuse("bad-request", e.to_string())),
        };
        match self.command(command).await {
            Ok(Some(mut answer)) => {
                if let Some(r) = reference {
                    answer["ref"] = r;
                }
                self.push(answer);
            }
            Ok(None) => {
                let mut ok = json!({"type": "ok", "cmd": name});
                if let Some(r) = reference {
                    ok["ref"] = r;
                }
                self.push(ok);
            }
            Err(refusal) => self.error(reference.as_ref(), refusal),
        }
    }

    /// Checks and carries out one command; `Ok(Some(answer))` for a
    /// command with an answer of its own.
    async fn command(&mut self, c: Command) -> Result<Option<Value>, Refusal> {
        if c.text().is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS) {
            return Err(refuse(
                "bad-request",
                format!("text may be {MAX_TEXT_CHARS} characters at most"),
            ));
        }
        // The session and the role as they are now, at every command: a
        // removed user or a demoted supervisor acts no more.
        let Some(role) = self.standing().await else {
            self.signed_out = true;
            return Err(refuse(
                "signed-out",
                "your session has ended; sign in again",
            ));
        };
        self.set_role(role);
        let id = c.call();
        if let Command::Close { .. } = c {
            if self.opened.as_ref().is_some_and(|o| o.call.id() == id) {
                self.close();
            }
            return Ok(None);
        }
        let call = self
            .state
            .registry
            .get(id)
            .ok_or_else(|| refuse("not-found", format!("no live call {id}")))?;
        let action = match &c {
            Command::Open { .. } => Action::Open,
            Command::Assign { .. } => Action::Assign,
            Command::Leave { .. } => Action::Leave,
            _ => Action::Act,
        };
        let handler = call.handler();
        let me = self.user.name.clone();
        match decide(self.user.role, &me, handler.as_deref(), action) {
            Decision::Deny(why) => return Err(refuse("forbidden", why)),
            Decision::AllowAndClaim => {
                if call.claim(&me, false).as_deref() != Some(me.as_str()) {
                    return Err(refuse("forbidden", "somebody else took this call first"));
                }
                info!(call = id, "took the call");
            }
            Decision::Allow => {}
        }
        let send = |cmd: OperatorCommand| {
            if call.command(cmd) {
                Ok(None)
            } else {
                Err(refuse("not-found", format!("call {id} has ended")))
            }
        };
        match c {
            Command::Open { .. } => Ok(Some(self.open(call))),
            Command::Close { .. } => Ok(None),
            Command::Leave { .. } => {
                // Nobody is left to review or relay by hand: the call
                // goes back to the automatic relay.
                call.leave(&me);
                hand_back(&call, "left");
                info!(call = id, "left the call");
                Ok(None)
            }
            Command::Assign { user, .. } => {
                self.check_user(&user).await?;
                call.claim(&user, true);
                info!(call = id, to = %user, "assigned the call");
                Ok(None)
            }
            Command::Review { on, .. } => send(OperatorCommand::Review(on)),
            Command::SendCaption { id: h, text, .. } => {
                if !call.holds(h) {
                    return Err(refuse("not-found", format!("no held caption {h}")));
                }
                send(OperatorCommand::SendCaption { id: h, text })
            }
            Command::DiscardCaption { id: h, .. } => {
                if !call.holds(h) {
                    return Err(refuse("not-found", format!("no held caption {h}")));
                }
                send(OperatorCommand::DiscardCaption(h))
            }
            Command::Editing { id: h, on, .. } => {
                if !call.holds(h) {
                    return Err(refuse("not-found", format!("no held caption {h}")));
                }
                self.editing = on.then_some(id);
                send(OperatorCommand::Editing(on))
            }
            Command::Type { text, .. } => send(OperatorCommand::Type(text)),
            Command::Speak { text, .. } => send(OperatorCommand::Speak(text)),
            Command::TakeOver { .. } => {
                // A supervisor taking over becomes the handler.
                call.claim(&me, true);
                info!(call = id, "took the call over");
                send(OperatorCommand::TakeOver(true))
            }
            Command::Release { .. } => {
                info!(call = id, "released the call");
                send(OperatorCommand::TakeOver(false))
            }
        }
    }

    /// Follows `call` from now: its past, then its messages.
    fn open(&mut self, call: Arc<LiveCall>) -> Value {
        if let Some(o) = self.opened.take() {
            if o.call.id() == call.id() {
                // Opened again: one watch per tab.
                o.call.unwatch(&self.user.name);
            } else {
                self.stop_following(&o.call);
            }
        }
        let (snapshot, messages) = call.open();
        call.watch(&self.user.name);
        let id = call.id();
        self.opened = Some(Opened { call, messages });
        let mut m = json!({"type": "opened", "call": id});
        if let (Value::Object(m), Ok(Value::Object(s))) = (&mut m, serde_json::to_value(snapshot)) {
            m.extend(s);
        }
        m
    }

    async fn check_user(&self, name: &str) -> Result<(), Refusal> {
        match self.state.directory.current().await.get(name) {
            Some(_) => Ok(()),
            None => Err(refuse("not-found", "no such user")),
        }
    }

    fn call_message(&mut self, m: Result<CallMessage, RecvError>) {
        match m {
            Ok(m) => {
                let ended = matches!(m, CallMessage::Ended { .. });
                if let Ok(v) = serde_json::to_value(&m) {
                    self.push(v);
                }
                if ended {
                    self.opened = None;
                }
            }
            // Fell behind: the whole view again, so nothing is missed.
            Err(RecvError::Lagged(_)) => {
                if let Some(call) = self.opened.as_ref().map(|o| Arc::clone(&o.call)) {
                    let m = self.open(call);
                    self.push(m);
                }
            }
            Err(RecvError::Closed) => self.opened = None,
        }
    }
}

/// Nobody is left to review or relay `call` by hand: it goes back to
/// the automatic relay, and a take-over ends (logged as a release).
fn hand_back(call: &LiveCall, why: &'static str) {
    if call.meta().taken_over {
        info!(call = call.id(), why, "released the call");
    }
    call.command(OperatorCommand::Review(false));
    call.command(OperatorCommand::TakeOver(false));
}

/// Whether the socket refused a frame over [`MAX_FRAME_BYTES`].
fn too_large(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(tungstenite::Error::Capacity(_)) = c.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
}

fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

async fn next_message(opened: &mut Option<Opened>) -> Result<CallMessage, RecvError> {
    match opened {
        Some(o) => o.messages.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).expect("host"));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).expect("origin"));
        }
        h
    }

    #[test]
    fn only_the_consoles_own_origin_opens_the_live_channel() {
        let own = headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert!(origin_allowed(&own, None, false));
        assert!(!origin_allowed(&own, None, true), "https expected");
        assert!(!origin_allowed(
            &headers(Some("http://evil.example"), "127.0.0.1:8080"),
            None,
            false
        ));
        assert!(!origin_allowed(
            &headers(None, "127.0.0.1:8080"),
            None,
            false
        ));
        let proxied = headers(Some("https://relay.example"), "10.0.0.5:8080");
        assert!(origin_allowed(
            &proxied,
            Some("https://relay.example/"),
            true
        ));
        assert!(!origin_allowed(&own, Some("https://relay.example"), false));
    }
}
