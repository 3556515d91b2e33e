//! One relay call: the customer leg's typed text and the agent leg's
//! committed speech in, speech and TTY text out.

use std::collections::VecDeque;
use std::time::Duration;

use super::config::RelayConfig;
use super::review::{CaptionReview, HeldCaption, Unheld};
use super::tty_queue::TtyQueue;
use crate::text::conventions::Ending;
use crate::text::phrasing::{PhraseEvent, Phraser};
use crate::text::tty_form::to_tty;

/// Something to say to the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    /// Identifies the utterance in [`Call::handle_speech_finished`].
    pub id: u64,
    /// Speakable text.
    pub text: String,
}

/// What the call asks of its legs, or tells the rest of the system.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// Speak this to the agent; report back when it has been played.
    Speak(Utterance),
    /// Print this character on the TTY now.
    Tty(char),
    /// Something happened (metadata only).
    Event(CallEvent),
    /// A transcript line, for the operator console only (conversation
    /// content: never logged).
    Line(TranscriptEntry),
    /// A committed agent caption now waits for the operator.
    Held(HeldCaption),
    /// A held caption left the operator's list.
    Unheld {
        /// The caption.
        id: u64,
        /// How.
        how: Unheld,
    },
}

/// Call events: what the rest of the system may show or count. They
/// carry no conversation content.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CallEvent {
    /// Text waiting for the TTY: characters and seconds of printing.
    Backlog {
        /// Characters queued.
        chars: usize,
        /// Seconds the TTY needs to print them.
        seconds: f64,
    },
    /// The agent was asked to pause because the TTY fell behind.
    BacklogNotice,
    /// The TTY user started typing.
    CustomerTyping,
    /// The TTY user handed the turn to the agent (GA).
    CustomerTurn,
    /// The agent finished and the TTY has everything: GA was sent.
    AgentTurn,
    /// The TTY user is ending the call.
    Ending(Ending),
    /// An agent leg joined.
    AgentJoined,
    /// The agent leg went away; unspoken text waits for the next one.
    AgentLeft,
    /// The TTY user typed the operator word: they want a human.
    OperatorRequested,
}

/// Who said something, in the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The TTY user (what they typed).
    Customer,
    /// The agent (what speech-to-text committed).
    Agent,
    /// A human operator, printed on the TTY.
    OperatorToCustomer,
    /// A human operator, voiced to the agent.
    OperatorToAgent,
}

impl Party {
    /// The word the console uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Customer => "caller",
            Party::Agent => "agent",
            Party::OperatorToCustomer => "operator-to-caller",
            Party::OperatorToAgent => "operator-to-agent",
        }
    }
}

/// One line of the in-memory transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptEntry {
    /// Call time.
    pub at: Duration,
    /// Who.
    pub party: Party,
    /// What, verbatim.
    pub text: String,
    /// Whether the relay passed it on by itself: false for what the
    /// caller typed or the agent said while an operator had taken the
    /// call over.
    pub relayed: bool,
}

/// Counts and delays of a call: metadata only, safe to log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallStats {
    /// Characters the TTY user typed, spaces and line ends not counted.
    pub chars_typed: usize,
    /// Typed characters whose phrase the agent leg finished playing.
    pub chars_spoken: usize,
    /// Characters printed on the TTY.
    pub chars_to_tty: usize,
    /// Largest TTY backlog, in seconds of printing.
    pub max_backlog_seconds: f64,
    /// From a typed phrase closing to its speech starting, per phrase
    /// (waiting behind earlier speech included).
    pub phrase_to_speech: Vec<Duration>,
    /// The same for phrases that closed while the agent heard nothing
    /// else: the delay of the speech path itself.
    pub phrase_to_speech_idle: Vec<Duration>,
    /// From a committed agent phrase to its first character printing
    /// (waiting behind earlier text included).
    pub speech_to_tty: Vec<Duration>,
    /// The same for phrases committed while the TTY had nothing left to
    /// print: the delay of the caption path itself, not the backlog's.
    pub speech_to_tty_idle: Vec<Duration>,
    /// Backlog notices spoken to the agent.
    pub backlog_notices: usize,
}

/// A committed agent phrase whose first character has not printed yet.
#[derive(Debug, Clone, Copy)]
struct AwaitingPrint {
    /// Characters queued for the TTY before it.
    ahead: usize,
    /// When it was committed.
    at: Duration,
    /// Whether the TTY had nothing left to print then.
    idle: bool,
}

/// A typed phrase on its way to the agent.
#[derive(Debug, Clone)]
struct Pending {
    utterance: Utterance,
    /// Typed characters it carries (0 for greetings and notices).
    typed_chars: usize,
    /// When the phrase closed.
    closed_at: Duration,
    /// When the agent leg finished playing it.
    finished_at: Option<Duration>,
    /// Played once already, to an agent whose media had died: its delays
    /// were counted the first time.
    replayed: bool,
    started: bool,
    /// Nothing else was queued or playing when the phrase closed.
    idle_at_close: bool,
}

/// One relay call. See the module docs of [`crate::relay`].
#[derive(Debug, Clone)]
pub struct Call {
    config: RelayConfig,
    phraser: Phraser,
    /// To be spoken, in order; the front goes first.
    speech: VecDeque<Pending>,
    /// Handed to the agent leg, not yet finished.
    in_flight: Vec<Pending>,
    /// Typed phrases played in the last [`RelayConfig::replay_window`],
    /// oldest first.
    played: VecDeque<Pending>,
    agent_present: bool,
    tty: TtyQueue,
    /// Agent commits waiting for their first character to print.
    awaiting_print: VecDeque<AwaitingPrint>,
    printed: usize,
    agent_speaking: bool,
    agent_quiet_since: Option<Duration>,
    /// Speech the agent has said is still being captioned: its words are
    /// not all committed yet.
    captions_pending: bool,
    /// The agent has spoken since the TTY last got GA.
    agent_turn_open: bool,
    last_notice: Option<Duration>,
    next_id: u64,
    outputs: VecDeque<Output>,
    transcript: Vec<TranscriptEntry>,
    stats: CallStats,
    ended: bool,
    review: CaptionReview,
    /// An operator relays the call by hand: typed phrases are not voiced
    /// and captions are not printed by the relay itself.
    taken_over: bool,
    /// The word the TTY user is typing, to spot the operator word.
    word: String,
    /// When the operator last typed a word of a line to the TTY not yet
    /// ended: while it is open, captions wait, so the operator's line is
    /// printed whole.
    operator_line_at: Option<Duration>,
    /// Captions waiting for the operator's line to end, with when each
    /// was committed.
    after_operator: VecDeque<(String, Duration)>,
}

/// How long an operator's unfinished line to the TTY keeps captions
/// waiting after the operator's last word: a slow typist's next word
/// comes sooner, and a caption never waits long for an operator who
/// stopped mid-line.
const OPERATOR_LINE_HOLD: Duration = Duration::from_secs(4);

impl Call {
    /// A call starting at call time `now`; the TTY greeting is queued at
    /// once, the agent greeting waits for an agent leg.
    pub fn new(config: RelayConfig, now: Duration) -> Self {
        let release = config.caption_release;
        let mut call = Call {
            phraser: Phraser::new(config.phrasing.clone()),
            tty: TtyQueue::new(config.tty_chars_per_second),
            config,
            speech: VecDeque::new(),
            in_flight: Vec::new(),
            played: VecDeque::new(),
            agent_present: false,
            awaiting_print: VecDeque::new(),
            printed: 0,
            agent_speaking: false,
            agent_quiet_since: None,
            captions_pending: false,
            agent_turn_open: false,
            last_notice: None,
            next_id: 0,
            outputs: VecDeque::new(),
            transcript: Vec::new(),
            stats: CallStats::default(),
            ended: false,
            review: CaptionReview::new(release),
            taken_over: false,
            word: String::new(),
            operator_line_at: None,
            after_operator: VecDeque::new(),
        };
        let greeting = call.config.tty_greeting.clone();
        call.tty.push_str(&greeting);
        call.pump(now);
        call
    }

    /// An agent leg joined: it is greeted, then hears everything waiting.
    pub fn handle_agent_joined(&mut self, now: Duration) {
        self.agent_present = true;
        let greeting = self.utterance(self.config.agent_greeting.clone(), 0, now);
        self.speech.push_front(greeting);
        self.outputs
            .push_back(Output::Event(CallEvent::AgentJoined));
        self.pump(now);
    }

    /// The agent leg went away. What it had not finished playing goes back
    /// to the front of the queue, in order, for the next agent.
    pub fn handle_agent_left(&mut self, now: Duration) {
        let unfinished: Vec<Pending> = self.in_flight.drain(..).collect();
        self.requeue(unfinished, now);
    }

    /// The agent leg's media stopped at call time `since` and it was
    /// counted as gone at `now`: a phrase that finished playing after
    /// `since` was cut off or never heard, so it goes back to the front
    /// of the queue with what was still playing, in order, for the next
    /// agent.
    pub fn handle_agent_lost(&mut self, since: Duration, now: Duration) {
        let cut = self
            .played
            .iter()
            .position(|p| p.finished_at.is_some_and(|t| t >= since))
            .unwrap_or(self.played.len());
        let mut unheard: Vec<Pending> = self.played.drain(cut..).collect();
        for p in &mut unheard {
            self.stats.chars_spoken -= p.typed_chars;
            p.replayed = true;
        }
        unheard.append(&mut self.in_flight);
        self.requeue(unheard, now);
    }

    /// Puts `unheard` (oldest first) back at the front of the queue for
    /// the next agent; greetings are given afresh instead.
    fn requeue(&mut self, unheard: Vec<Pending>, now: Duration) {
        self.agent_present = false;
        self.agent_speaking = false;
        for mut p in unheard.into_iter().rev() {
            p.started = false;
            p.finished_at = None;
            if p.typed_chars > 0 || p.utterance.text != self.config.agent_greeting {
                self.speech.push_front(p);
            }
        }
        self.speech
            .retain(|p| p.typed_chars > 0 || p.utterance.text != self.config.agent_greeting);
        self.outputs.push_back(Output::Event(CallEvent::AgentLeft));
        self.pump(now);
    }

    /// Text the TTY user typed.
    pub fn handle_tty_text(&mut self, text: &str, now: Duration) {
        // Counted as the spoken side counts them: without spaces, so that
        // spoken equals typed when nothing is lost.
        self.stats.chars_typed += text
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .count();
        self.phraser.push_text(text, now);
        self.spot_operator_word(text, now);
        self.pump(now);
    }

    /// Raises [`CallEvent::OperatorRequested`] when a whole typed word is
    /// the operator word, and tells the TTY user a human is coming.
    fn spot_operator_word(&mut self, text: &str, now: Duration) {
        let Some(wanted) = self.config.operator_word.clone() else {
            return;
        };
        for c in text.chars() {
            if c.is_alphanumeric() {
                self.word.push(c);
                continue;
            }
            if !self.word.is_empty() && self.word.eq_ignore_ascii_case(&wanted) {
                self.event(CallEvent::OperatorRequested);
                let notice = self.config.operator_notice.clone();
                self.handle_notice(&notice, now);
            }
            self.word.clear();
        }
    }

    /// A notice of relaygate's own for the TTY (no agent could be
    /// reached, the agent hung up), queued after what is waiting.
    pub fn handle_notice(&mut self, text: &str, now: Duration) {
        if self.tty.last().is_some_and(|c| !c.is_whitespace()) {
            self.tty.push_str(" ");
        }
        self.tty.push_str(text);
        self.pump(now);
    }

    /// Text speech-to-text committed from the agent's voice.
    pub fn handle_agent_speech(&mut self, text: &str, now: Duration) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if self.taken_over {
            // The operator reads it in the console and types for the TTY.
            self.line(Party::Agent, text, false, now);
            self.agent_turn_open = true;
        } else if self.review.is_on() {
            // It becomes a transcript line when the operator sends it.
            let held = self.review.hold(text.to_owned(), now);
            self.outputs.push_back(Output::Held(held));
            self.agent_turn_open = true;
        } else {
            self.line(Party::Agent, text, true, now);
            self.caption_to_tty(text, now);
        }
        self.pump(now);
    }

    /// Queues a caption for the TTY, in the TTY's form; while an
    /// operator's line to the TTY is open, after that line.
    fn caption_to_tty(&mut self, text: &str, now: Duration) {
        if self.operator_line_open(now) {
            self.after_operator.push_back((text.to_owned(), now));
            self.agent_turn_open = true;
            return;
        }
        self.caption_into_tty(text, now, now);
    }

    fn operator_line_open(&self, now: Duration) -> bool {
        self.operator_line_at
            .is_some_and(|t| now < t + OPERATOR_LINE_HOLD)
    }

    /// The operator's line ended (or was left unfinished): the captions
    /// that waited for it follow, in order.
    fn end_operator_line(&mut self, now: Duration) {
        self.operator_line_at = None;
        while let Some((text, at)) = self.after_operator.pop_front() {
            self.caption_into_tty(&text, at, now);
        }
    }

    /// Appends a caption committed at `committed` to the TTY queue.
    fn caption_into_tty(&mut self, text: &str, committed: Duration, now: Duration) {
        let tty = to_tty(text, self.config.table);
        let mut chunk = tty.text;
        if chunk.is_empty() {
            return;
        }
        // Words of consecutive commits need a space between them.
        if self.tty.last().is_some_and(|c| !c.is_whitespace()) {
            chunk.insert(0, ' ');
        }
        self.awaiting_print.push_back(AwaitingPrint {
            ahead: self.tty.len(),
            at: committed,
            idle: self.tty.is_empty(),
        });
        self.tty.push_str(&chunk);
        self.agent_turn_open = true;
        self.backlog_changed(now);
    }

    /// Records a transcript line and shows it to the console.
    fn line(&mut self, party: Party, text: &str, relayed: bool, now: Duration) {
        let entry = TranscriptEntry {
            at: now,
            party,
            text: text.to_owned(),
            relayed,
        };
        self.transcript.push(entry.clone());
        self.outputs.push_back(Output::Line(entry));
    }

    /// Turns caption review on or off. Off sends every held caption, in
    /// order, as it was committed.
    pub fn set_caption_review(&mut self, on: bool, now: Duration) {
        for held in self.review.set(on) {
            self.release_held(held, Unheld::Released, None, now);
        }
        self.pump(now);
    }

    /// Whether committed captions wait for the operator.
    pub fn caption_review(&self) -> bool {
        self.review.is_on()
    }

    /// The operator sends held caption `id` to the TTY as `text`. False
    /// if there is no such caption.
    pub fn send_held_caption(&mut self, id: u64, text: &str, now: Duration) -> bool {
        let Some(held) = self.review.take(id) else {
            return false;
        };
        self.release_held(held, Unheld::Sent, Some(text), now);
        self.pump(now);
        true
    }

    /// The operator drops held caption `id`. False if there is none.
    pub fn discard_held_caption(&mut self, id: u64, now: Duration) -> bool {
        if self.review.take(id).is_none() {
            return false;
        }
        self.outputs.push_back(Output::Unheld {
            id,
            how: Unheld::Discarded,
        });
        self.pump(now);
        true
    }

    /// The operator started or stopped editing a held caption: a release
    /// timer waits meanwhile.
    pub fn handle_caption_editing(&mut self, on: bool, now: Duration) {
        self.review.editing(on, now);
        self.pump(now);
    }

    /// The captions waiting for the operator, oldest first.
    pub fn held_captions(&self) -> impl Iterator<Item = &HeldCaption> {
        self.review.held()
    }

    fn release_held(&mut self, held: HeldCaption, how: Unheld, text: Option<&str>, now: Duration) {
        let text = text.unwrap_or(&held.text).trim().to_owned();
        self.outputs.push_back(Output::Unheld { id: held.id, how });
        if !text.is_empty() {
            self.line(Party::Agent, &text, true, now);
            self.caption_to_tty(&text, now);
        }
    }

    /// Text an operator typed for the TTY, printed after what waits. The
    /// console sends it a word at a time, each with its space.
    pub fn handle_operator_text(&mut self, text: &str, now: Duration) {
        let mut chunk = to_tty(text, self.config.table).text;
        // The TTY form trims spaces at the ends; the word's own space
        // and line end belong to what the operator typed.
        if text.ends_with('\n') {
            chunk.push('\n');
        } else if text.ends_with(char::is_whitespace) && !chunk.is_empty() {
            chunk.push(' ');
        }
        if chunk.is_empty() {
            return;
        }
        // A word after a caption (or a notice) needs its space.
        if self.tty.last().is_some_and(|c| !c.is_whitespace())
            && !chunk.starts_with(char::is_whitespace)
        {
            chunk.insert(0, ' ');
        }
        self.line(Party::OperatorToCustomer, text, true, now);
        self.tty.push_str(&chunk);
        self.backlog_changed(now);
        if chunk.ends_with('\n') {
            self.end_operator_line(now);
        } else {
            self.operator_line_at = Some(now);
        }
        self.pump(now);
    }

    /// Text an operator typed to be voiced to the agent, after what is
    /// queued.
    pub fn handle_operator_speech(&mut self, text: &str, now: Duration) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.line(Party::OperatorToAgent, text, true, now);
        let p = self.utterance(text.to_owned(), 0, now);
        self.speech.push_back(p);
        self.pump(now);
    }

    /// An operator takes the call over (the relay stops voicing what is
    /// typed and printing captions) or hands it back.
    pub fn set_taken_over(&mut self, on: bool, now: Duration) {
        self.taken_over = on;
        self.pump(now);
    }

    /// Whether an operator relays the call by hand.
    pub fn is_taken_over(&self) -> bool {
        self.taken_over
    }

    /// Whether the agent is speaking now (voice activity on the agent leg).
    pub fn handle_agent_voice(&mut self, speaking: bool, now: Duration) {
        if speaking == self.agent_speaking {
            return;
        }
        self.agent_speaking = speaking;
        self.agent_quiet_since = (!speaking).then_some(now);
        if speaking {
            self.agent_turn_open = true;
        }
        self.pump(now);
    }

    /// Whether speech the agent has said still waits for its captions
    /// (the transcriber has words it has not committed, or a decode out).
    /// GA waits for them: a GA printed before the agent's last words
    /// would hand the TTY user the turn mid-sentence.
    pub fn handle_captions_pending(&mut self, pending: bool, now: Duration) {
        if pending == self.captions_pending {
            return;
        }
        self.captions_pending = pending;
        self.pump(now);
    }

    /// The agent leg started playing utterance `id`.
    pub fn handle_speech_started(&mut self, id: u64, now: Duration) {
        if let Some(p) = self.in_flight.iter_mut().find(|p| p.utterance.id == id) {
            if !p.started && p.typed_chars > 0 && !p.replayed {
                let delay = now.saturating_sub(p.closed_at);
                self.stats.phrase_to_speech.push(delay);
                if p.idle_at_close {
                    self.stats.phrase_to_speech_idle.push(delay);
                }
            }
            p.started = true;
        }
    }

    /// The agent leg finished playing utterance `id`.
    pub fn handle_speech_finished(&mut self, id: u64, now: Duration) {
        if let Some(i) = self.in_flight.iter().position(|p| p.utterance.id == id) {
            let mut p = self.in_flight.remove(i);
            self.stats.chars_spoken += p.typed_chars;
            p.finished_at = Some(now);
            if p.typed_chars > 0 {
                self.played.push_back(p);
            }
        }
        let window = self.config.replay_window;
        while self
            .played
            .front()
            .is_some_and(|p| p.finished_at.is_none_or(|t| t + window < now))
        {
            self.played.pop_front();
        }
        self.pump(now);
    }

    /// Advances call time to `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.pump(now);
    }

    /// The call is ending: everything typed is phrased now, so it can
    /// still be spoken.
    pub fn finish(&mut self, now: Duration) {
        self.ended = true;
        self.phraser.flush();
        self.end_operator_line(now);
        self.pump(now);
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Call::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let turn = self
            .agent_quiet_since
            .filter(|_| self.agent_turn_open)
            .map(|t| t + self.config.agent_turn_silence);
        [
            self.phraser.poll_timeout(),
            self.tty.deadline(),
            turn,
            self.review.deadline(),
            self.operator_line_at
                .filter(|_| !self.after_operator.is_empty())
                .map(|t| t + OPERATOR_LINE_HOLD),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether nothing is waiting in either direction.
    pub fn is_idle(&self) -> bool {
        self.speech.is_empty()
            && self.in_flight.is_empty()
            && self.tty.is_empty()
            && self.review.held().next().is_none()
            && self.after_operator.is_empty()
            && self.phraser.pending_text().is_empty()
    }

    /// Typed characters not yet played to an agent: queued, in flight, or
    /// still being phrased. At the end of a call this is what was lost.
    pub fn unspoken_chars(&self) -> usize {
        let queued: usize = self
            .speech
            .iter()
            .chain(&self.in_flight)
            .map(|p| p.typed_chars)
            .sum();
        queued
            + self
                .phraser
                .pending_text()
                .chars()
                .filter(|c| !c.is_whitespace())
                .count()
    }

    /// What the TTY user typed that is not a phrase yet.
    pub fn pending_typed(&self) -> String {
        self.phraser.pending_text()
    }

    /// Characters of agent captions held for the operator.
    pub fn held_chars(&self) -> usize {
        self.review.chars()
    }

    /// Characters waiting for the TTY.
    pub fn tty_backlog(&self) -> usize {
        self.tty.len()
    }

    /// How long the TTY needs to print what waits for it.
    pub fn tty_backlog_time(&self) -> Duration {
        Duration::try_from_secs_f64(self.tty.seconds()).unwrap_or_default()
    }

    /// The call's transcript, kept for the life of the call only.
    pub fn transcript(&self) -> &[TranscriptEntry] {
        &self.transcript
    }

    /// Counts and delays so far.
    pub fn stats(&self) -> &CallStats {
        &self.stats
    }

    fn utterance(&mut self, text: String, typed_chars: usize, now: Duration) -> Pending {
        self.next_id += 1;
        Pending {
            utterance: Utterance {
                id: self.next_id,
                text,
            },
            typed_chars,
            closed_at: now,
            finished_at: None,
            replayed: false,
            started: false,
            idle_at_close: self.speech.is_empty() && self.in_flight.is_empty(),
        }
    }

    /// Moves everything that can move at `now`.
    fn pump(&mut self, now: Duration) {
        if self.operator_line_at.is_some() && !self.operator_line_open(now) {
            self.end_operator_line(now);
        }
        for held in self.review.due(now) {
            self.release_held(held, Unheld::Released, None, now);
        }
        self.phraser.handle_timeout(now);
        while let Some(event) = self.phraser.poll_event() {
            self.phrase_event(event, now);
        }
        if self.agent_present {
            while let Some(p) = self.speech.pop_front() {
                self.outputs.push_back(Output::Speak(p.utterance.clone()));
                self.in_flight.push(p);
            }
        }
        self.print(now);
        self.agent_turn(now);
    }

    fn phrase_event(&mut self, event: PhraseEvent, now: Duration) {
        match event {
            PhraseEvent::Typing => self.event(CallEvent::CustomerTyping),
            PhraseEvent::Speak { typed, spoken } => {
                let typed_chars = typed.chars().filter(|c| !c.is_whitespace()).count();
                self.line(Party::Customer, &typed, !self.taken_over, now);
                // Taken over, the operator voices it (or not) by hand.
                if !self.taken_over {
                    let p = self.utterance(spoken, typed_chars, now);
                    self.speech.push_back(p);
                }
            }
            PhraseEvent::Turn => self.event(CallEvent::CustomerTurn),
            PhraseEvent::Ending(e) => self.event(CallEvent::Ending(e)),
        }
    }

    fn print(&mut self, now: Duration) {
        let before = self.tty.len();
        while let Some(c) = self.tty.pop(now) {
            self.outputs.push_back(Output::Tty(c));
            self.stats.chars_to_tty += 1;
            self.printed += 1;
            // The first character of a commit just went out.
            while let Some(&AwaitingPrint { ahead, at, idle }) = self.awaiting_print.front() {
                if ahead > 0 {
                    break;
                }
                let delay = now.saturating_sub(at);
                self.stats.speech_to_tty.push(delay);
                if idle {
                    self.stats.speech_to_tty_idle.push(delay);
                }
                self.awaiting_print.pop_front();
            }
            for w in self.awaiting_print.iter_mut() {
                w.ahead = w.ahead.saturating_sub(1);
            }
        }
        if self.tty.len() != before && self.tty.is_empty() {
            self.backlog_changed(now);
        }
    }

    /// The agent has stopped speaking for a while, its captions are all
    /// in, and the TTY has printed everything: the TTY user's turn.
    fn agent_turn(&mut self, now: Duration) {
        let quiet = self
            .agent_quiet_since
            .is_some_and(|t| now >= t + self.config.agent_turn_silence);
        if self.agent_turn_open
            && quiet
            && !self.agent_speaking
            && !self.captions_pending
            && self.review.held().next().is_none()
            && self.after_operator.is_empty()
            && self.tty.is_empty()
        {
            self.agent_turn_open = false;
            self.tty.push_str(" GA\n");
            self.event(CallEvent::AgentTurn);
            self.print(now);
        }
    }

    fn backlog_changed(&mut self, now: Duration) {
        let seconds = self.tty.seconds();
        self.stats.max_backlog_seconds = self.stats.max_backlog_seconds.max(seconds);
        self.event(CallEvent::Backlog {
            chars: self.tty.len(),
            seconds,
        });
        let due = self
            .last_notice
            .is_none_or(|t| now >= t + self.config.notice_interval);
        if seconds > self.config.backlog_threshold.as_secs_f64() && due && !self.ended {
            self.last_notice = Some(now);
            self.stats.backlog_notices += 1;
            let notice = self.utterance(self.config.backlog_notice.clone(), 0, now);
            // Ahead of typed phrases: it is about the agent's own pace.
            self.speech.push_front(notice);
            self.event(CallEvent::BacklogNotice);
        }
    }

    fn event(&mut self, e: CallEvent) {
        self.outputs.push_back(Output::Event(e));
    }
}
