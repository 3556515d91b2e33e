//! The menu a caller goes through before an agent: one state machine for
//! voice, keypad and TTY callers on one tree.
//!
//! Owns where the caller is in the tree, what they are told next (spoken
//! with `say`, printed with `type`), how their answer is read (a keypad
//! digit, a typed line, a spoken word), the universal keys (`*` repeat,
//! `9` back, `0` a human, `#` more time), the retries and timeouts, case
//! numbers keyed in, and the choices the answers record for the route
//! table. Timeouts start when the edge reports the prompt finished
//! ([`Menu::handle_prompt_done`]): a TTY prompt of 150 characters takes
//! 25 s to print, and a caller cannot answer what they have not read.
//!
//! Sans-IO: keys, text and `now` (call time) go in, [`MenuEvent`]s come
//! out. Must not touch: audio, tones, the clock, routing beyond the
//! option's queue (the route table does that), logs of what the caller
//! answered (an answer is caller content).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use super::answer::{Answer, read_answer};
use super::case_number::CaseNumber;
use super::menu_config::{MenuConfig, Target};

/// Timeouts and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuSettings {
    /// How long a voice caller has to answer once the prompt is spoken.
    pub voice_timeout: Duration,
    /// How long a slow-mode caller has; they are warned before it ends.
    pub slow_timeout: Duration,
    /// How long before a slow-mode caller's time ends they are warned.
    pub slow_warning: Duration,
    /// How long a TTY caller has once the prompt has printed.
    pub tty_timeout: Duration,
    /// A typed line without GA or a new line is read after this pause.
    pub typed_pause: Duration,
    /// Prompts repeated after no answer or a wrong one, before the
    /// node's default (or a human).
    pub retries: u32,
}

impl MenuSettings {
    /// The settings `[menu]` writes.
    pub fn from_config(config: &MenuConfig) -> MenuSettings {
        let secs = |s: u32| Duration::from_secs(u64::from(s));
        let slow_timeout = secs(config.slow_timeout_seconds);
        MenuSettings {
            voice_timeout: secs(config.voice_timeout_seconds),
            slow_timeout,
            // The warning comes with a third of the time left.
            slow_warning: slow_timeout / 3,
            tty_timeout: secs(config.tty_timeout_seconds),
            retries: config.retries,
            ..MenuSettings::default()
        }
    }
}

impl Default for MenuSettings {
    fn default() -> Self {
        MenuSettings {
            voice_timeout: Duration::from_secs(7),
            slow_timeout: Duration::from_secs(16),
            slow_warning: Duration::from_secs(16) / 3,
            tty_timeout: Duration::from_secs(30),
            typed_pause: Duration::from_secs(3),
            retries: 2,
        }
    }
}

/// One node, ready to answer from.
#[derive(Debug, Clone)]
struct Node {
    id: String,
    say: String,
    tty: String,
    options: BTreeMap<char, Target>,
    default: Option<Target>,
    choice: Option<String>,
    /// Upper-case words that choose a key.
    words: Vec<(String, char)>,
}

/// The checked tree, shared by every call.
#[derive(Debug, Clone)]
pub struct MenuTree {
    nodes: Vec<Node>,
    start: String,
}

/// Words that never name an option on their own.
const FILLER: [&str; 18] = [
    "FOR", "PRESS", "TO", "THE", "A", "AN", "AND", "OR", "PLEASE", "PLS", "SAY", "IF", "YOU",
    "WANT", "WITH", "OF", "GA", "KEY",
];

/// The digit words a speech recogniser writes for a keypad digit.
const DIGIT_WORDS: [(&str, char); 12] = [
    ("ZERO", '0'),
    ("OH", '0'),
    ("ONE", '1'),
    ("TWO", '2'),
    ("THREE", '3'),
    ("FOUR", '4'),
    ("FIVE", '5'),
    ("SIX", '6'),
    ("SEVEN", '7'),
    ("EIGHT", '8'),
    ("NINE", '9'),
    ("STAR", '*'),
];

fn upper_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect()
}

/// The words that choose each key, read from what the node says and
/// prints: in "For billing, press 1" and "BILLING 1 TECH 2", BILLING
/// chooses 1.
fn derived_words(say: &str, tty: &str, keys: &[char]) -> Vec<(String, char)> {
    let mut out = Vec::new();
    // Sentences, not clauses: "For billing, press 1" is one option.
    for clause in say.split(['.', ';', '?', '!']) {
        let words = upper_words(clause);
        let key = words.iter().find_map(|w| {
            let mut c = w.chars();
            match (c.next(), c.next()) {
                (Some(k), None) if keys.contains(&k) => Some(k),
                _ => None,
            }
        });
        if let Some(k) = key {
            for w in words {
                if w.chars().all(char::is_alphabetic) && !FILLER.contains(&w.as_str()) {
                    out.push((w, k));
                }
            }
        }
    }
    let tokens = upper_words(tty);
    for pair in tokens.windows(2) {
        let mut c = pair[1].chars();
        if let (Some(k), None) = (c.next(), c.next())
            && keys.contains(&k)
            && pair[0].chars().all(char::is_alphabetic)
            && !FILLER.contains(&pair[0].as_str())
        {
            out.push((pair[0].clone(), k));
        }
    }
    out
}

impl MenuTree {
    /// The tree of a configuration `check` has passed; an option it
    /// cannot read is left out.
    pub fn new(config: &MenuConfig) -> MenuTree {
        let nodes = config
            .node
            .iter()
            .map(|n| {
                let options: BTreeMap<char, Target> = n
                    .options
                    .iter()
                    .filter_map(|(k, t)| {
                        let key = k.chars().next()?;
                        Some((key, Target::parse(t.get_ref()).ok()?))
                    })
                    .collect();
                let keys: Vec<char> = options.keys().copied().collect();
                let mut words: Vec<(String, char)> = n
                    .words
                    .iter()
                    .filter_map(|(k, ws)| Some((k.chars().next()?, ws)))
                    .flat_map(|(k, ws)| {
                        ws.iter()
                            .flat_map(move |w| upper_words(w))
                            .map(move |w| (w, k))
                    })
                    .collect();
                words.extend(derived_words(n.say.get_ref(), n.tty.get_ref(), &keys));
                Node {
                    id: n.id.get_ref().clone(),
                    say: n.say.get_ref().clone(),
                    tty: n.tty.get_ref().clone(),
                    options,
                    default: n
                        .default
                        .as_ref()
                        .and_then(|d| Target::parse(d.get_ref()).ok()),
                    choice: n.choice.as_ref().map(|c| c.get_ref().clone()),
                    words,
                }
            })
            .collect();
        MenuTree {
            nodes,
            start: config.start.get_ref().clone(),
        }
    }

    /// A one-node tree: what a closed queue says and the keys it offers
    /// instead.
    pub fn single(say: &str, tty: &str, options: &[(char, Target)]) -> MenuTree {
        let keys: Vec<char> = options.iter().map(|(k, _)| *k).collect();
        MenuTree {
            nodes: vec![Node {
                id: "closed".into(),
                say: say.to_owned(),
                tty: tty.to_owned(),
                options: options.iter().cloned().collect(),
                default: None,
                choice: None,
                words: derived_words(say, tty, &keys),
            }],
            start: "closed".into(),
        }
    }

    /// The node callers start at unless their line names another.
    pub fn start(&self) -> &str {
        &self.start
    }

    /// What a voice caller may say at this tree's menus, as a speech
    /// recogniser's prompt: each option's words ("billing", "technical
    /// support"), the names of the digits its keys use, and the words
    /// every menu knows.
    pub fn vocabulary(&self) -> String {
        let mut phrases: Vec<String> = Vec::new();
        let mut keys: Vec<char> = Vec::new();
        for n in &self.nodes {
            for k in n.options.keys() {
                keys.push(*k);
                let mut words: Vec<String> = Vec::new();
                for (w, _) in n.words.iter().filter(|(_, wk)| wk == k) {
                    let w = w.to_lowercase();
                    if !words.contains(&w) {
                        words.push(w);
                    }
                }
                let phrase = words.join(" ");
                if !phrase.is_empty() && !phrases.contains(&phrase) {
                    phrases.push(phrase);
                }
            }
        }
        phrases.extend(
            DIGIT_WORDS
                .iter()
                .filter(|(d, k)| keys.contains(k) && *d != "OH")
                .map(|(d, _)| d.to_lowercase()),
        );
        phrases.extend(["operator", "repeat", "back"].map(String::from));
        format!("{}.", phrases.join(", "))
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}

/// How the caller reaches the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// A voice caller: prompts are spoken, answers keyed or spoken.
    Voice,
    /// A TTY: prompts are printed, answers typed (or keyed).
    Tty,
}

/// Where the menu sends the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An agent queue, before the route table has its say.
    Queue(String),
    /// A human relay operator.
    Human,
}

/// The end of the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Where to.
    pub to: Destination,
    /// The choices the answers recorded, in order (name, value).
    pub choices: Vec<(String, String)>,
    /// A case number the caller keyed in, checked.
    pub case: Option<CaseNumber>,
    /// Whether the caller is in slow mode.
    pub slow: bool,
}

/// What the edge does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEvent {
    /// Speak to a voice caller; `slow` asks for the slow voice.
    Say {
        /// What to say.
        text: String,
        /// Whether to speak it with the slow voice.
        slow: bool,
    },
    /// Print on the caller's TTY.
    Print(String),
    /// The caller chose slow mode: the agent's speech is slowed from now.
    SlowMode,
    /// The menu is over.
    Done(Outcome),
}

/// What the menu waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// A choice at a node.
    Choice,
    /// A case number, then the node.
    CaseNumber,
}

/// Voice prompts for the case number, and what a TTY prints.
const ASK_CASE_SAY: &str = "Please key in your ten digit case number.";
const ASK_CASE_TTY: &str = "CASE NBR PLS GA";

/// One caller's way through the menu.
#[derive(Debug)]
pub struct Menu {
    tree: Arc<MenuTree>,
    settings: MenuSettings,
    caller: CallerKind,
    slow: bool,
    node: usize,
    /// Nodes to go back to.
    path: Vec<usize>,
    waiting: Waiting,
    /// Prompts given at this node after no or a wrong answer.
    tries: u32,
    /// When the caller's time ends; none while a prompt plays.
    deadline: Option<Duration>,
    warned: bool,
    typed: String,
    typed_at: Option<Duration>,
    keyed: String,
    choices: Vec<(String, String)>,
    case: Option<CaseNumber>,
    events: VecDeque<MenuEvent>,
    done: bool,
}

impl Menu {
    /// A caller starting at node `start` (the tree's start when `None`
    /// or unknown); the first prompt is queued.
    pub fn new(
        tree: Arc<MenuTree>,
        start: Option<&str>,
        caller: CallerKind,
        slow: bool,
        settings: MenuSettings,
    ) -> Menu {
        let node = start
            .and_then(|s| tree.index(s))
            .or_else(|| tree.index(&tree.start))
            .unwrap_or(0);
        let mut menu = Menu {
            tree,
            settings,
            caller,
            slow,
            node,
            path: Vec::new(),
            waiting: Waiting::Choice,
            tries: 0,
            deadline: None,
            warned: false,
            typed: String::new(),
            typed_at: None,
            keyed: String::new(),
            choices: Vec::new(),
            case: None,
            events: VecDeque::new(),
            done: false,
        };
        if menu.tree.nodes.is_empty() {
            menu.finish(Destination::Human);
        } else {
            menu.prompt(None);
        }
        menu
    }

    /// The next thing to do.
    pub fn poll_event(&mut self) -> Option<MenuEvent> {
        self.events.pop_front()
    }

    /// Whether the menu is over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Who the menu serves now.
    pub fn caller(&self) -> CallerKind {
        self.caller
    }

    /// The caller's tones showed a TTY: the current prompt is printed,
    /// and answers are read from what they type after it. What they
    /// typed to be recognised is the edge's to drop.
    pub fn handle_tty_detected(&mut self) {
        if self.done || self.caller == CallerKind::Tty {
            return;
        }
        self.caller = CallerKind::Tty;
        self.tries = 0;
        self.typed.clear();
        self.typed_at = None;
        self.prompt(None);
    }

    /// The last prompt has been spoken or printed: the caller's time
    /// starts now.
    pub fn handle_prompt_done(&mut self, now: Duration) {
        if self.done {
            return;
        }
        let wait = match (self.caller, self.slow) {
            (CallerKind::Tty, _) => self.settings.tty_timeout,
            (CallerKind::Voice, true) => self.settings.slow_timeout,
            (CallerKind::Voice, false) => self.settings.voice_timeout,
        };
        self.deadline = Some(now + wait);
        self.warned = false;
    }

    /// A keypad key (RFC 4733 or in-band, one event per press).
    pub fn handle_key(&mut self, key: char, now: Duration) {
        if self.done {
            return;
        }
        if self.waiting == Waiting::CaseNumber {
            match key {
                '0'..='9' => {
                    self.keyed.push(key);
                    if self.keyed.len() >= 10 {
                        let digits = std::mem::take(&mut self.keyed);
                        self.case_answer(&digits);
                    } else {
                        self.extend(now);
                    }
                }
                '#' if !self.keyed.is_empty() => {
                    let digits = std::mem::take(&mut self.keyed);
                    self.case_answer(&digits);
                }
                '*' => {
                    self.keyed.clear();
                    self.prompt(None);
                }
                _ => self.extend(now),
            }
            return;
        }
        self.answer(Answer::Key(key), now);
    }

    /// Text the TTY caller typed after the prompt. A line is read at a
    /// new line, at GA, or after a pause.
    pub fn handle_typed(&mut self, text: &str, now: Duration) {
        if self.done {
            return;
        }
        self.typed.push_str(text);
        self.typed_at = Some(now);
        // A caller still typing is answering: their time runs from now.
        self.extend(now);
        let ended =
            self.typed.contains('\n') || upper_words(&self.typed).last().is_some_and(|w| w == "GA");
        if ended {
            self.read_typed(now);
        }
    }

    /// Words a voice caller said (a committed phrase from the
    /// recogniser).
    pub fn handle_heard(&mut self, text: &str, now: Duration) {
        if self.done {
            return;
        }
        let words = upper_words(text);
        if self.waiting == Waiting::CaseNumber {
            let digits: String = words
                .iter()
                .flat_map(|w| {
                    if w.chars().all(|c| c.is_ascii_digit()) {
                        w.chars().collect::<Vec<_>>()
                    } else {
                        DIGIT_WORDS
                            .iter()
                            .find(|(d, k)| d == w && k.is_ascii_digit())
                            .map(|(_, k)| vec![*k])
                            .unwrap_or_default()
                    }
                })
                .collect();
            if !digits.is_empty() {
                self.case_answer(&digits);
            }
            return;
        }
        match read_spoken(&words) {
            Answer::Nothing => {}
            // Words that name no option at all are taken as not meant
            // for the menu (the caller talking to someone in the room, a
            // cough the recogniser made a word of): no "not a choice"
            // for them; the timeout asks again if nothing else comes.
            Answer::Word(w) if !self.names_an_option(&w) => {}
            answer => self.answer(answer, now),
        }
    }

    /// Whether any word of `text` names an option of the current node.
    fn names_an_option(&self, text: &str) -> bool {
        let node = &self.tree.nodes[self.node];
        upper_words(text)
            .iter()
            .any(|w| node.words.iter().any(|(x, _)| x == w))
    }

    /// When [`Menu::handle_timeout`] wants to run.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.done {
            return None;
        }
        let warn = self
            .deadline
            .filter(|_| self.slow && self.caller == CallerKind::Voice && !self.warned)
            .map(|d| d.saturating_sub(self.settings.slow_warning));
        let typed = self.typed_at.map(|t| t + self.settings.typed_pause);
        [self.deadline, warn, typed].into_iter().flatten().min()
    }

    /// Time has passed: a paused typed line is read, a slow caller is
    /// warned, or the caller's time is up.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.done {
            return;
        }
        if self
            .typed_at
            .is_some_and(|t| now >= t + self.settings.typed_pause)
        {
            self.read_typed(now);
            return;
        }
        let Some(deadline) = self.deadline else {
            return;
        };
        if now >= deadline {
            self.deadline = None;
            self.retry("Sorry, I did not get an answer.", "NO ANSWER");
        } else if self.slow
            && !self.warned
            && now >= deadline.saturating_sub(self.settings.slow_warning)
        {
            self.warned = true;
            self.say_only("Take your time. If you need longer, press the pound key.");
        }
    }

    fn read_typed(&mut self, now: Duration) {
        let line = std::mem::take(&mut self.typed);
        self.typed_at = None;
        if self.waiting == Waiting::CaseNumber {
            match read_answer(&line, true) {
                Answer::Number(d) => self.case_answer(&d),
                Answer::Nothing => {}
                other => self.answer(other, now),
            }
            return;
        }
        match read_answer(&line, false) {
            Answer::Nothing => {}
            a => self.answer(a, now),
        }
    }

    fn answer(&mut self, answer: Answer, now: Duration) {
        let key = match answer {
            Answer::Repeat | Answer::Key('*') => {
                self.prompt(None);
                return;
            }
            Answer::Back | Answer::Key('9') => {
                match self.path.pop() {
                    Some(prev) => self.go(prev),
                    None => self.prompt(None),
                }
                return;
            }
            Answer::Human | Answer::Key('0') => {
                self.finish(Destination::Human);
                return;
            }
            Answer::Key('#') => {
                self.extend(now);
                return;
            }
            Answer::Nothing => return,
            Answer::Key(k) => Some(k),
            Answer::Word(w) => self.word_key(&w),
            // Digits where none were asked for: one digit is a key.
            Answer::Number(d) => {
                let mut c = d.chars();
                match (c.next(), c.next()) {
                    (Some(k), None) => Some(k),
                    _ => None,
                }
            }
        };
        let node = &self.tree.nodes[self.node];
        match key.and_then(|k| node.options.get(&k).map(|t| (k, t.clone()))) {
            Some((k, target)) => {
                if let Some(name) = node.choice.clone() {
                    let value = node
                        .words
                        .iter()
                        .find(|(_, wk)| *wk == k)
                        .map(|(w, _)| w.to_lowercase())
                        .unwrap_or_else(|| k.to_string());
                    self.choices.retain(|(n, _)| *n != name);
                    self.choices.push((name, value));
                }
                self.follow(target);
            }
            None => self.retry("Sorry, that is not one of the choices.", "NOT A CHOICE"),
        }
    }

    /// The option key a typed or spoken word names, when exactly one.
    fn word_key(&self, word: &str) -> Option<char> {
        let node = &self.tree.nodes[self.node];
        let mut keys: Vec<char> = upper_words(word)
            .iter()
            .flat_map(|w| {
                node.words
                    .iter()
                    .filter(move |(x, _)| x == w)
                    .map(|(_, k)| *k)
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        match keys.as_slice() {
            [k] => Some(*k),
            _ => None,
        }
    }

    fn follow(&mut self, target: Target) {
        match target {
            Target::Queue(q) => self.finish(Destination::Queue(q)),
            Target::Node(id) => self.go_to(&id, Waiting::Choice),
            Target::Slow(id) => {
                if !self.slow {
                    self.slow = true;
                    self.events.push_back(MenuEvent::SlowMode);
                }
                self.go_to(&id, Waiting::Choice);
            }
            Target::Case(id) => self.go_to(&id, Waiting::CaseNumber),
        }
    }

    fn go_to(&mut self, id: &str, waiting: Waiting) {
        if let Some(i) = self.tree.index(id) {
            self.path.push(self.node);
            self.enter(i, waiting);
        }
    }

    fn go(&mut self, node: usize) {
        self.enter(node, Waiting::Choice);
    }

    fn enter(&mut self, node: usize, waiting: Waiting) {
        self.node = node;
        self.tries = 0;
        self.waiting = waiting;
        self.keyed.clear();
        self.prompt(None);
    }

    fn case_answer(&mut self, digits: &str) {
        match CaseNumber::parse(digits) {
            Ok(n) => {
                self.case = Some(n);
                self.waiting = Waiting::Choice;
                self.tries = 0;
                self.prompt(Some(("Thank you.", "THANK YOU")));
            }
            Err(_) => self.retry(
                "Sorry, that case number is not right.",
                "CASE NBR NOT RIGHT",
            ),
        }
    }

    /// Asks again after no answer or a wrong one, or gives up.
    fn retry(&mut self, say: &str, tty: &str) {
        if self.tries >= self.settings.retries {
            if self.waiting == Waiting::CaseNumber {
                // Without the number the caller still gets help.
                self.waiting = Waiting::Choice;
                self.tries = 0;
                self.prompt(None);
                return;
            }
            match self.tree.nodes[self.node].default.clone() {
                Some(t) => self.follow(t),
                None => self.finish(Destination::Human),
            }
            return;
        }
        self.tries += 1;
        self.prompt(Some((say, tty)));
    }

    /// More time: the caller's clock restarts.
    fn extend(&mut self, now: Duration) {
        if self.deadline.is_some() {
            self.handle_prompt_done(now);
        }
    }

    /// Queues the current prompt, after `before`; the caller's time stops
    /// until it has been given.
    fn prompt(&mut self, before: Option<(&str, &str)>) {
        let node = &self.tree.nodes[self.node];
        let (say, tty) = match self.waiting {
            Waiting::Choice => (node.say.as_str(), node.tty.as_str()),
            Waiting::CaseNumber => (ASK_CASE_SAY, ASK_CASE_TTY),
        };
        let event = match (self.caller, before) {
            (CallerKind::Tty, Some((_, b))) => MenuEvent::Print(format!("{b} {tty}\n")),
            (CallerKind::Tty, None) => MenuEvent::Print(format!("{tty}\n")),
            (CallerKind::Voice, Some((b, _))) => MenuEvent::Say {
                text: format!("{b} {say}"),
                slow: self.slow,
            },
            (CallerKind::Voice, None) => MenuEvent::Say {
                text: say.to_owned(),
                slow: self.slow,
            },
        };
        self.events.push_back(event);
        self.deadline = None;
    }

    fn say_only(&mut self, text: &str) {
        self.events.push_back(MenuEvent::Say {
            text: text.to_owned(),
            slow: self.slow,
        });
    }

    fn finish(&mut self, to: Destination) {
        self.done = true;
        self.deadline = None;
        self.events.push_back(MenuEvent::Done(Outcome {
            to,
            choices: std::mem::take(&mut self.choices),
            case: self.case,
            slow: self.slow,
        }));
    }
}

/// What a voice caller's words ask for.
fn read_spoken(words: &[String]) -> Answer {
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if has(&["OPERATOR", "AGENT", "HUMAN", "REPRESENTATIVE", "PERSON"]) {
        return Answer::Human;
    }
    if has(&["REPEAT", "AGAIN"]) {
        return Answer::Repeat;
    }
    if has(&["BACK", "PREVIOUS"]) {
        return Answer::Back;
    }
    let keys: Vec<char> = words
        .iter()
        .filter_map(|w| {
            let mut c = w.chars();
            match (c.next(), c.next()) {
                (Some(k), None) if k.is_ascii_digit() => Some(k),
                _ => DIGIT_WORDS.iter().find(|(d, _)| d == w).map(|(_, k)| *k),
            }
        })
        .collect();
    if let [k] = keys.as_slice() {
        return Answer::Key(*k);
    }
    if words.is_empty() {
        Answer::Nothing
    } else {
        Answer::Word(words.join(" "))
    }
}
