//! The live calls, as the operator console sees them.
//!
//! Owns each live call's view: its metadata (line, state, backlog, who
//! handles it), and, in memory for the life of the call only, its
//! transcript, held captions and the words not final yet. The call loop
//! writes through a [`CallTap`] and reads the operators' commands from
//! it; the console reads views, subscribes to a call's messages and
//! sends commands. Dropping the tap ends the call's view: its text is
//! gone. It decides nothing about who may do what (`crate::console`
//! does) and never logs content.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};

use crate::relay::review::HeldCaption;
use crate::relay::{CallEvent, Output};

/// How many messages of one call a slow console may fall behind before
/// it is sent the whole view again.
const BACKLOG: usize = 512;

/// What an operator asks of a live call.
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorCommand {
    /// Hold committed captions for review, or stop (sending those held).
    Review(bool),
    /// Send held caption `id` to the TTY as `text`.
    SendCaption {
        /// The caption.
        id: u64,
        /// What to print, corrected or not.
        text: String,
    },
    /// Drop held caption `id`.
    DiscardCaption(u64),
    /// The operator is editing a held caption (a release timer waits).
    Editing(bool),
    /// Print on the TTY.
    Type(String),
    /// Voice to the agent.
    Speak(String),
    /// Take the call over, or hand it back to the automatic relay.
    TakeOver(bool),
}

/// A live call's metadata: what every signed-in user may see.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CallMeta {
    /// The call's id (the one in its logs).
    pub id: u64,
    /// The called line (SIP user part).
    pub line: String,
    /// When the call started, Unix milliseconds.
    pub started_ms: u64,
    /// `waiting-agent`, `relaying` or `ending`.
    pub state: &'static str,
    /// Characters waiting for the TTY.
    pub backlog_chars: usize,
    /// Seconds the TTY needs to print them.
    pub backlog_seconds: f64,
    /// The operator handling it.
    pub handler: Option<String>,
    /// Captions wait for the operator.
    pub review: bool,
    /// An operator relays it by hand.
    pub taken_over: bool,
    /// When the caller asked for an operator, Unix milliseconds, until
    /// somebody handles the call.
    pub operator_requested_ms: Option<u64>,
}

/// Indicators of an opened call.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ViewState {
    /// Whose turn it is: `caller`, `agent`, or none yet.
    pub turn: Option<&'static str>,
    /// The caller is typing.
    pub caller_typing: bool,
    /// The agent is speaking.
    pub agent_speaking: bool,
    /// Characters waiting for the TTY.
    pub backlog_chars: usize,
    /// Seconds the TTY needs to print them.
    pub backlog_seconds: f64,
    /// Captions wait for the operator.
    pub review: bool,
    /// An operator relays it by hand.
    pub taken_over: bool,
    /// The operator handling it.
    pub handler: Option<String>,
}

/// One transcript line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    /// Its place in the call, from 1.
    pub seq: u64,
    /// `caller`, `agent`, `operator-to-caller` or `operator-to-agent`.
    pub who: &'static str,
    /// What, verbatim.
    pub text: String,
    /// When, Unix milliseconds.
    pub at_ms: u64,
    /// Whether the relay passed it on by itself.
    pub relayed: bool,
}

/// A caption held for the operator.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Held {
    /// Its id in commands.
    pub id: u64,
    /// The committed text.
    pub text: String,
    /// When it was committed, Unix milliseconds.
    pub at_ms: u64,
    /// When a timer sends it as it is, Unix milliseconds.
    pub release_at_ms: Option<u64>,
}

/// A message about one opened call, as the live channel sends it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallMessage {
    /// A transcript line.
    Line {
        /// The call.
        call: u64,
        /// The line.
        #[serde(flatten)]
        line: Line,
    },
    /// The agent's words not final yet.
    Tentative {
        /// The call.
        call: u64,
        /// The words.
        text: String,
    },
    /// What the caller typed that is not a line yet.
    Typing {
        /// The call.
        call: u64,
        /// The text.
        text: String,
    },
    /// The indicators changed.
    State {
        /// The call.
        call: u64,
        /// The indicators.
        state: ViewState,
    },
    /// A caption waits for the operator.
    Held {
        /// The call.
        call: u64,
        /// The caption.
        #[serde(flatten)]
        held: Held,
    },
    /// A held caption left the list.
    Unheld {
        /// The call.
        call: u64,
        /// The caption.
        id: u64,
        /// `sent`, `discarded` or `released`.
        how: &'static str,
    },
    /// The call is over.
    Ended {
        /// The call.
        call: u64,
    },
}

/// Everything an opened call shows at once.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Snapshot {
    /// The transcript so far.
    pub lines: Vec<Line>,
    /// Captions waiting.
    pub held: Vec<Held>,
    /// The agent's words not final yet.
    pub tentative: String,
    /// The caller's text not a line yet.
    pub typing: String,
    /// The indicators.
    pub state: ViewState,
}

#[derive(Debug, Default)]
struct View {
    state: &'static str,
    backlog_chars: usize,
    backlog_seconds: f64,
    handler: Option<String>,
    review: bool,
    taken_over: bool,
    operator_requested_ms: Option<u64>,
    turn: Option<&'static str>,
    caller_typing: bool,
    agent_speaking: bool,
    lines: Vec<Line>,
    held: Vec<Held>,
    tentative: String,
    typing: String,
    /// Open live channels per user name.
    watchers: HashMap<String, usize>,
}

/// One live call.
#[derive(Debug)]
pub struct LiveCall {
    id: u64,
    line: String,
    started_ms: u64,
    view: Mutex<View>,
    messages: broadcast::Sender<CallMessage>,
    commands: mpsc::UnboundedSender<OperatorCommand>,
    changed: watch::Sender<u64>,
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl LiveCall {
    fn view(&self) -> MutexGuard<'_, View> {
        // A panic elsewhere while holding the lock leaves a view that is
        // still consistent enough to show.
        self.view.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The call's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Its metadata.
    pub fn meta(&self) -> CallMeta {
        let v = self.view();
        CallMeta {
            id: self.id,
            line: self.line.clone(),
            started_ms: self.started_ms,
            state: v.state,
            backlog_chars: v.backlog_chars,
            backlog_seconds: v.backlog_seconds,
            handler: v.handler.clone(),
            review: v.review,
            taken_over: v.taken_over,
            operator_requested_ms: v.operator_requested_ms,
        }
    }

    /// Who handles it.
    pub fn handler(&self) -> Option<String> {
        self.view().handler.clone()
    }

    /// Whether held caption `id` is waiting.
    pub fn holds(&self, id: u64) -> bool {
        self.view().held.iter().any(|h| h.id == id)
    }

    /// Everything it shows now, and its messages from then on: nothing
    /// falls between the two.
    pub fn open(&self) -> (Snapshot, broadcast::Receiver<CallMessage>) {
        let v = self.view();
        let rx = self.messages.subscribe();
        (
            Snapshot {
                lines: v.lines.clone(),
                held: v.held.clone(),
                tentative: v.tentative.clone(),
                typing: v.typing.clone(),
                state: state_of(&v),
            },
            rx,
        )
    }

    /// Makes `who` the handler if nobody is, or always with `force`.
    /// Returns the handler after.
    pub fn claim(&self, who: &str, force: bool) -> Option<String> {
        let mut v = self.view();
        if v.handler.is_none() || force {
            v.handler = Some(who.to_owned());
            v.operator_requested_ms = None;
            self.state_changed(&v);
        }
        v.handler.clone()
    }

    /// Hands the call back to nobody, if `who` handles it.
    pub fn leave(&self, who: &str) {
        let mut v = self.view();
        if v.handler.as_deref() == Some(who) {
            v.handler = None;
            self.state_changed(&v);
        }
    }

    /// A live channel of `who` follows the call.
    pub fn watch(&self, who: &str) {
        *self.view().watchers.entry(who.to_owned()).or_default() += 1;
    }

    /// A live channel of `who` stopped following it. Returns whether
    /// that was the handler's last one.
    pub fn unwatch(&self, who: &str) -> bool {
        let mut v = self.view();
        let left = match v.watchers.get_mut(who) {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n
            }
            None => 0,
        };
        if left == 0 {
            v.watchers.remove(who);
        }
        left == 0 && v.handler.as_deref() == Some(who)
    }

    /// Passes a command to the call loop. False if the call has ended.
    pub fn command(&self, c: OperatorCommand) -> bool {
        self.commands.send(c).is_ok()
    }

    fn send(&self, m: CallMessage) {
        // No receiver is no console following: nothing to do.
        let _ = self.messages.send(m);
    }

    fn state_changed(&self, v: &View) {
        self.send(CallMessage::State {
            call: self.id,
            state: state_of(v),
        });
        self.changed.send_modify(|n| *n += 1);
    }
}

fn state_of(v: &View) -> ViewState {
    ViewState {
        turn: v.turn,
        caller_typing: v.caller_typing,
        agent_speaking: v.agent_speaking,
        backlog_chars: v.backlog_chars,
        backlog_seconds: v.backlog_seconds,
        review: v.review,
        taken_over: v.taken_over,
        handler: v.handler.clone(),
    }
}

/// The server's live calls.
#[derive(Debug, Clone)]
pub struct Registry {
    calls: Arc<Mutex<BTreeMap<u64, Arc<LiveCall>>>>,
    changed: watch::Sender<u64>,
    /// The list as JSON and the change it was made at: every console tab
    /// sends the same list, made once.
    list_json: Arc<Mutex<(u64, Arc<str>)>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            calls: Arc::default(),
            changed: watch::Sender::new(0),
            list_json: Arc::new(Mutex::new((u64::MAX, Arc::from("")))),
        }
    }
}

impl Registry {
    fn calls(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<LiveCall>>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new live call on `line`, and the tap its call loop writes to.
    pub fn register(&self, id: u64, line: &str) -> CallTap {
        let (commands, rx) = mpsc::unbounded_channel();
        let call = Arc::new(LiveCall {
            id,
            line: line.to_owned(),
            started_ms: unix_ms(SystemTime::now()),
            view: Mutex::new(View {
                state: "waiting-agent",
                ..View::default()
            }),
            messages: broadcast::channel(BACKLOG).0,
            commands,
            changed: self.changed.clone(),
        });
        self.calls().insert(id, Arc::clone(&call));
        self.changed.send_modify(|n| *n += 1);
        CallTap {
            registry: self.clone(),
            call,
            commands: rx,
            started: SystemTime::now(),
            last_tentative: String::new(),
            last_typing: String::new(),
        }
    }

    /// The live calls' metadata, oldest first.
    pub fn list(&self) -> Vec<CallMeta> {
        let calls: Vec<Arc<LiveCall>> = self.calls().values().cloned().collect();
        calls.iter().map(|c| c.meta()).collect()
    }

    /// The live calls' metadata as a JSON array, made once per change
    /// whoever asks.
    pub fn list_json(&self) -> Arc<str> {
        let version = *self.changed.borrow();
        let mut cached = self
            .list_json
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cached.0 != version {
            let json = serde_json::to_string(&self.list()).unwrap_or_else(|_| "[]".into());
            *cached = (version, Arc::from(json));
        }
        Arc::clone(&cached.1)
    }

    /// Live call `id`.
    pub fn get(&self, id: u64) -> Option<Arc<LiveCall>> {
        self.calls().get(&id).cloned()
    }

    /// Ticks whenever a call starts, ends or changes its metadata.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn remove(&self, id: u64) {
        self.calls().remove(&id);
        self.changed.send_modify(|n| *n += 1);
    }
}

/// The call loop's end of a live call's view.
#[derive(Debug)]
pub struct CallTap {
    registry: Registry,
    call: Arc<LiveCall>,
    commands: mpsc::UnboundedReceiver<OperatorCommand>,
    started: SystemTime,
    last_tentative: String,
    last_typing: String,
}

impl CallTap {
    /// Call time starts now: the call loop's clock and the times the
    /// console shows agree to the millisecond.
    pub fn start_clock(&mut self) {
        self.started = SystemTime::now();
    }

    /// The next operator command.
    pub async fn next_command(&mut self) -> Option<OperatorCommand> {
        self.commands.recv().await
    }

    fn at_ms(&self, now: Duration) -> u64 {
        unix_ms(self.started + now)
    }

    /// Shows an output of the relay core (`now` is call time).
    pub fn output(&mut self, out: &Output, now: Duration) {
        let id = self.call.id;
        let mut v = self.call.view();
        match out {
            Output::Line(entry) => {
                let line = Line {
                    seq: v.lines.len() as u64 + 1,
                    who: entry.party.as_str(),
                    text: entry.text.clone(),
                    at_ms: self.at_ms(entry.at),
                    relayed: entry.relayed,
                };
                v.lines.push(line.clone());
                self.call.send(CallMessage::Line { call: id, line });
            }
            Output::Held(h) => {
                let held = self.held(h, now);
                v.held.push(held.clone());
                self.call.send(CallMessage::Held { call: id, held });
            }
            Output::Unheld { id: h, how } => {
                v.held.retain(|x| x.id != *h);
                self.call.send(CallMessage::Unheld {
                    call: id,
                    id: *h,
                    how: how.as_str(),
                });
            }
            Output::Event(e) => {
                match e {
                    CallEvent::Backlog { chars, seconds } => {
                        v.backlog_chars = *chars;
                        v.backlog_seconds = *seconds;
                    }
                    CallEvent::CustomerTyping => v.caller_typing = true,
                    CallEvent::CustomerTurn => {
                        v.caller_typing = false;
                        v.turn = Some("agent");
                    }
                    CallEvent::AgentTurn => v.turn = Some("caller"),
                    CallEvent::AgentJoined => v.state = "relaying",
                    CallEvent::AgentLeft => v.state = "waiting-agent",
                    CallEvent::Ending(_) => v.state = "ending",
                    CallEvent::OperatorRequested => {
                        if v.handler.is_none() && v.operator_requested_ms.is_none() {
                            v.operator_requested_ms = Some(self.at_ms(now));
                        }
                    }
                    _ => return,
                }
                self.call.state_changed(&v);
            }
            _ => {}
        }
    }

    fn held(&self, h: &HeldCaption, now: Duration) -> Held {
        Held {
            id: h.id,
            text: h.text.clone(),
            at_ms: self.at_ms(now),
            release_at_ms: h.release_at.map(|t| self.at_ms(t)),
        }
    }

    /// The agent's words not final yet, and what the caller typed that is
    /// not a line yet; sent only when they change.
    pub fn pending_text(&mut self, tentative: &str, typing: &str) {
        let id = self.call.id;
        if tentative != self.last_tentative {
            tentative.clone_into(&mut self.last_tentative);
            self.call.view().tentative = tentative.to_owned();
            self.call.send(CallMessage::Tentative {
                call: id,
                text: tentative.to_owned(),
            });
        }
        if typing != self.last_typing {
            typing.clone_into(&mut self.last_typing);
            let mut v = self.call.view();
            v.typing = typing.to_owned();
            self.call.send(CallMessage::Typing {
                call: id,
                text: typing.to_owned(),
            });
            // Typing until what was typed becomes a line.
            let typing_now = !typing.trim().is_empty();
            if v.caller_typing != typing_now {
                v.caller_typing = typing_now;
                self.call.state_changed(&v);
            }
        }
    }

    /// The indicators the call loop knows and the core does not report as
    /// events: the agent's voice, review and take-over.
    pub fn indicators(&mut self, agent_speaking: bool, review: bool, taken_over: bool) {
        let mut v = self.call.view();
        if (v.agent_speaking, v.review, v.taken_over) != (agent_speaking, review, taken_over) {
            v.agent_speaking = agent_speaking;
            v.review = review;
            v.taken_over = taken_over;
            self.call.state_changed(&v);
        }
    }
}

impl Drop for CallTap {
    fn drop(&mut self) {
        self.registry.remove(self.call.id);
        self.call.send(CallMessage::Ended { call: self.call.id });
        // The text goes with the call.
        let mut v = self.call.view();
        v.lines.clear();
        v.held.clear();
        v.tentative.clear();
        v.typing.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::{Party, TranscriptEntry};

    #[test]
    fn an_opened_call_gets_its_past_and_then_its_messages() {
        let reg = Registry::default();
        let mut tap = reg.register(7, "relay");
        let line = |text: &str| {
            Output::Line(TranscriptEntry {
                at: Duration::from_secs(1),
                party: Party::Customer,
                text: text.into(),
                relayed: true,
            })
        };
        tap.output(&line("HELLO"), Duration::from_secs(1));
        let call = reg.get(7).expect("registered");
        let (snap, mut rx) = call.open();
        assert_eq!(snap.lines.len(), 1);
        tap.output(&line("GA"), Duration::from_secs(2));
        match rx.try_recv() {
            Ok(CallMessage::Line { line, .. }) => {
                assert_eq!((line.seq, line.text.as_str()), (2, "GA"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(reg.list()[0].line, "relay");
        let json = reg.list_json();
        assert!(json.contains("\"line\":\"relay\""), "{json}");
        let _other = reg.register(8, "tty");
        assert!(
            reg.list_json().contains("\"id\":8"),
            "made again after a change"
        );
        drop(tap);
        assert!(reg.get(7).is_none(), "gone with the call");
        assert!(matches!(rx.try_recv(), Ok(CallMessage::Ended { call: 7 })));
        assert!(call.open().0.lines.is_empty(), "its text is gone too");
    }

    #[test]
    fn the_operator_queue_holds_a_call_until_someone_handles_it() {
        let reg = Registry::default();
        let mut tap = reg.register(1, "relay");
        tap.output(
            &Output::Event(CallEvent::OperatorRequested),
            Duration::from_secs(3),
        );
        assert!(reg.list()[0].operator_requested_ms.is_some());
        let call = reg.get(1).expect("registered");
        assert_eq!(call.claim("alice", false).as_deref(), Some("alice"));
        assert_eq!(
            call.claim("bob", false).as_deref(),
            Some("alice"),
            "not taken from alice"
        );
        assert!(reg.list()[0].operator_requested_ms.is_none());
        call.watch("alice");
        call.watch("alice");
        assert!(!call.unwatch("alice"), "a second tab is still open");
        assert!(call.unwatch("alice"), "the handler's last tab closed");
    }
}
