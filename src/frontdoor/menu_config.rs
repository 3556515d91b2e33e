//! The menu tree as the configuration writes it, and its checks.
//!
//! ```toml
//! [menu]
//! start = "main"
//! [[menu.node]]
//! id = "main"
//! say = "For billing, press 1. For technical support, press 2."
//! type = "BILLING 1 TECH 2 GA"
//! options = { "1" = "queue:billing", "2" = "queue:technical" }
//! ```
//!
//! One tree serves every caller: `say` is spoken, `type` printed on a
//! TTY. Owns the tree's shape (nodes, options, their [`Target`]s) and
//! every check `relaygate config check` makes of it: the start and every
//! target resolve, every node can be reached from a start, no option
//! takes a key every menu keeps for itself ([`UNIVERSAL_KEYS`]), and
//! what a TTY prints can be sent in Baudot. Must not touch: calls, time,
//! what a caller pressed (the menu's state machine does that).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::text::baudot::{Table, can_send};

/// Keys every menu keeps: `*` repeats, `9` goes back, `0` asks for a
/// human, `#` asks for more time (and ends a keyed number). An option
/// cannot take them.
pub const UNIVERSAL_KEYS: [char; 4] = ['*', '9', '0', '#'];

/// `[menu]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuConfig {
    /// The node callers start at, unless their line names another.
    pub start: Spanned<String>,
    /// The nodes.
    #[serde(default)]
    pub node: Vec<MenuNode>,
    /// Prompts repeated after no answer or a wrong one, before a node's
    /// default (or a human).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Seconds a voice caller has to answer once a prompt is spoken.
    #[serde(default = "default_voice_timeout")]
    pub voice_timeout_seconds: u32,
    /// Seconds a TTY caller has once a prompt has printed.
    #[serde(default = "default_tty_timeout")]
    pub tty_timeout_seconds: u32,
    /// Seconds a slow-mode caller has; they are warned before the end.
    #[serde(default = "default_slow_timeout")]
    pub slow_timeout_seconds: u32,
    /// The agent INVITE's header for the caller's choices.
    #[serde(default = "default_route_header")]
    pub route_header: String,
    /// The agent INVITE's header for the case number.
    #[serde(default = "default_case_header")]
    pub case_header: String,
}

fn default_retries() -> u32 {
    2
}
fn default_voice_timeout() -> u32 {
    7
}
fn default_tty_timeout() -> u32 {
    30
}
fn default_slow_timeout() -> u32 {
    16
}
fn default_route_header() -> String {
    "X-Relay-Route".into()
}
fn default_case_header() -> String {
    "X-Case-Number".into()
}

/// One `[[menu.node]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuNode {
    /// What options and lines call it.
    pub id: Spanned<String>,
    /// What is said to a voice caller.
    pub say: Spanned<String>,
    /// What a TTY prints: short, upper case.
    #[serde(rename = "type")]
    pub tty: Spanned<String>,
    /// Key to target (`queue:NAME`, `node:ID`, `slow:ID`, `case:ID`).
    #[serde(default)]
    pub options: BTreeMap<String, Spanned<String>>,
    /// Where a caller who gives no answer goes after the retries; a
    /// human operator when absent.
    #[serde(default)]
    pub default: Option<Spanned<String>>,
    /// The name of the choice this node's answer records for the route
    /// table (`language`, `region`, `product`, `issue`); the value is the
    /// option's first word.
    #[serde(default)]
    pub choice: Option<Spanned<String>>,
    /// Words that choose an option, typed or spoken, beyond those read
    /// from `say` and `type` ("For billing, press 1" gives BILLING).
    #[serde(default)]
    pub words: BTreeMap<String, Vec<String>>,
}

/// Where an option leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// To a queue's agents.
    Queue(String),
    /// To another menu node.
    Node(String),
    /// Slow mode on, then to a menu node.
    Slow(String),
    /// The caller keys or types a case number they already have, then
    /// goes to a menu node.
    Case(String),
}

impl Target {
    /// Reads `queue:NAME`, `node:ID` or `slow:ID`.
    pub fn parse(text: &str) -> Result<Target, String> {
        let (kind, name) = text.split_once(':').ok_or_else(|| {
            format!("{text:?} is not a target: write queue:NAME, node:ID, slow:ID or case:ID")
        })?;
        if name.trim().is_empty() {
            return Err(format!("{text:?} names nothing after {kind}:"));
        }
        let name = name.to_owned();
        match kind {
            "queue" => Ok(Target::Queue(name)),
            "node" => Ok(Target::Node(name)),
            "slow" => Ok(Target::Slow(name)),
            "case" => Ok(Target::Case(name)),
            _ => Err(format!(
                "{text:?}: {kind:?} is not a kind of target (queue, node, slow or case)"
            )),
        }
    }

    /// The node it leads to, if it is one.
    pub fn node(&self) -> Option<&str> {
        match self {
            Target::Node(id) | Target::Slow(id) | Target::Case(id) => Some(id),
            Target::Queue(_) => None,
        }
    }
}

/// A check that failed: where in the file, the key, and why.
pub type MenuProblem = (Option<Range<usize>>, String, String);

impl MenuConfig {
    /// The node called `id`.
    pub fn get(&self, id: &str) -> Option<&MenuNode> {
        self.node.iter().find(|n| n.id.get_ref() == id)
    }

    /// Checks the tree against the configured `queues`; `line_starts` are
    /// the nodes lines start at (with where each is written and its key),
    /// which count as reachable.
    pub fn check(
        &self,
        queues: &[&str],
        line_starts: &[(&Spanned<String>, String)],
    ) -> Result<(), MenuProblem> {
        let ids: Vec<&str> = self.node.iter().map(|n| n.id.get_ref().as_str()).collect();
        let known = |id: &str| ids.contains(&id);
        let node_list = || ids.join(", ");
        for (key, value, low) in [
            ("menu.voice_timeout_seconds", self.voice_timeout_seconds, 2),
            ("menu.tty_timeout_seconds", self.tty_timeout_seconds, 5),
            ("menu.slow_timeout_seconds", self.slow_timeout_seconds, 8),
        ] {
            if !(low..=600).contains(&value) {
                return Err((
                    None,
                    key.into(),
                    format!("{value} s: give callers {low} to 600 seconds"),
                ));
            }
        }
        if self.retries > 5 {
            return Err((
                None,
                "menu.retries".into(),
                "at most 5: after that the caller goes to the default or a human".into(),
            ));
        }
        for (key, name) in [
            ("menu.route_header", &self.route_header),
            ("menu.case_header", &self.case_header),
        ] {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.!%*+`'~".contains(c))
            {
                return Err((
                    None,
                    key.into(),
                    format!("{name:?} is not a SIP header name"),
                ));
            }
        }
        if self.node.is_empty() {
            return Err((
                Some(self.start.span()),
                "menu.node".into(),
                "a menu needs at least one [[menu.node]]".into(),
            ));
        }
        // Ids first: a duplicate is the cause of any target that then
        // seems to lead nowhere.
        for (i, n) in self.node.iter().enumerate() {
            let key = format!("menu.node[{}].id", i + 1);
            let id = n.id.get_ref();
            if id.trim().is_empty() {
                return Err((Some(n.id.span()), key, "a node needs an id".into()));
            }
            if ids[..i].contains(&id.as_str()) {
                return Err((
                    Some(n.id.span()),
                    key,
                    format!("a second node with id {id:?}"),
                ));
            }
        }
        let check_target = |target: &Spanned<String>, key: &str| -> Result<(), MenuProblem> {
            let refuse = |why: String| Err((Some(target.span()), key.to_owned(), why));
            match Target::parse(target.get_ref()) {
                Err(why) => refuse(why),
                Ok(Target::Queue(q)) if !queues.contains(&q.as_str()) => refuse(format!(
                    "no queue named {q:?} (queues: {})",
                    queues.join(", ")
                )),
                Ok(t) => match t.node() {
                    Some(id) if !known(id) => {
                        refuse(format!("no node with id {id:?} (nodes: {})", node_list()))
                    }
                    _ => Ok(()),
                },
            }
        };
        for (i, n) in self.node.iter().enumerate() {
            let key = |k: &str| format!("menu.node[{}].{k}", i + 1);
            if n.say.get_ref().trim().is_empty() {
                return Err((
                    Some(n.say.span()),
                    key("say"),
                    "say what the menu offers: voice callers hear it".into(),
                ));
            }
            check_tty_text(n.tty.get_ref())
                .map_err(|why| (Some(n.tty.span()), key("type"), why))?;
            for (k, target) in &n.options {
                let okey = key(&format!("options.{k:?}"));
                let mut chars = k.chars();
                let digit = match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_ascii_digit() || c == '#' || c == '*' => c,
                    _ => {
                        return Err((
                            Some(target.span()),
                            okey,
                            format!("{k:?} is not a key: use one keypad key, 1 to 8"),
                        ));
                    }
                };
                if UNIVERSAL_KEYS.contains(&digit) {
                    return Err((
                        Some(target.span()),
                        okey,
                        format!(
                            "{k:?} is kept on every menu (* repeats, 9 goes back, 0 asks for a human, # asks for more time): use another key"
                        ),
                    ));
                }
                check_target(target, &okey)?;
            }
            if let Some(d) = &n.default {
                check_target(d, &key("default"))?;
            }
            if let Some(c) = &n.choice
                && (c.get_ref().is_empty()
                    || !c
                        .get_ref()
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_'))
            {
                return Err((
                    Some(c.span()),
                    key("choice"),
                    format!(
                        "{:?}: name a choice in lower case, like \"product\"",
                        c.get_ref()
                    ),
                ));
            }
            if let Some(k) = n.words.keys().find(|k| !n.options.contains_key(*k)) {
                return Err((
                    Some(n.id.span()),
                    key(&format!("words.{k:?}")),
                    format!("{k:?} is not one of this node's options"),
                ));
            }
        }
        if !known(self.start.get_ref()) {
            return Err((
                Some(self.start.span()),
                "menu.start".into(),
                format!(
                    "no node with id {:?} (nodes: {})",
                    self.start.get_ref(),
                    node_list()
                ),
            ));
        }
        for (start, key) in line_starts {
            if !known(start.get_ref()) {
                return Err((
                    Some(start.span()),
                    key.clone(),
                    format!(
                        "no menu node with id {:?} (nodes: {})",
                        start.get_ref(),
                        node_list()
                    ),
                ));
            }
        }
        let mut starts = vec![self.start.get_ref().as_str()];
        starts.extend(line_starts.iter().map(|(s, _)| s.get_ref().as_str()));
        let reached = self.reachable(&starts);
        if let Some((i, n)) = self
            .node
            .iter()
            .enumerate()
            .find(|(_, n)| !reached.contains(n.id.get_ref().as_str()))
        {
            return Err((
                Some(n.id.span()),
                format!("menu.node[{}].id", i + 1),
                format!(
                    "no caller can reach node {:?}: no option or line leads to it",
                    n.id.get_ref()
                ),
            ));
        }
        Ok(())
    }

    /// The nodes reachable from `starts` through `node:` and `slow:`
    /// options.
    fn reachable<'a>(&'a self, starts: &[&'a str]) -> BTreeSet<&'a str> {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut todo: Vec<&str> = starts.to_vec();
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            if let Some(n) = self.get(id) {
                for t in n.options.values().chain(&n.default) {
                    if let Ok(t) = Target::parse(t.get_ref())
                        && let Some(next) = t.node()
                        && let Some(node) = self.get(next)
                    {
                        todo.push(node.id.get_ref());
                    }
                }
            }
        }
        seen
    }
}

/// What a TTY prints must be upper case and sendable in Baudot on
/// either table.
fn check_tty_text(text: &str) -> Result<(), String> {
    check_tty_text_or(text, "type what a TTY prints: TTY callers read it")
}

/// The same check, with what to say when `text` is empty; service hours
/// use it for their closed message.
pub(crate) fn check_tty_text_or(text: &str, empty: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(empty.into());
    }
    if text.chars().any(|c| c.is_lowercase()) {
        return Err(format!(
            "{text:?}: TTY text is upper case (TTYs print only capitals)"
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|&c| !(can_send(Table::Us, c) && can_send(Table::Ita2, c)))
    {
        return Err(format!("{text:?}: {c:?} cannot be sent to a TTY"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn menu(text: &str) -> MenuConfig {
        toml::from_str::<Wrapper>(text).expect("parses").menu
    }

    #[derive(Deserialize)]
    struct Wrapper {
        menu: MenuConfig,
    }

    const QUEUES: [&str; 2] = ["billing", "technical"];

    const GOOD: &str = r#"
[menu]
start = "main"
[[menu.node]]
id = "main"
say = "For billing, press 1. For technical support, press 2. For slower speech, press 3."
type = "BILLING 1 TECH 2 GA"
options = { "1" = "queue:billing", "2" = "queue:technical", "3" = "slow:main", "4" = "node:more" }
[[menu.node]]
id = "more"
say = "For billing, press 1."
type = "BILLING 1 GA"
options = { "1" = "queue:billing" }
"#;

    #[test]
    fn the_contracts_tree_checks() {
        let m = menu(GOOD);
        assert_eq!(m.check(&QUEUES, &[]), Ok(()));
        assert_eq!(Target::parse("slow:main"), Ok(Target::Slow("main".into())));
    }

    fn problem(text: &str) -> (String, String) {
        let (_, key, why) = menu(text).check(&QUEUES, &[]).expect_err("refused");
        (key, why)
    }

    #[test]
    fn unknown_targets_unreachable_nodes_and_universal_keys_are_refused() {
        let (key, why) = problem(&GOOD.replace("queue:technical", "queue:sales"));
        assert_eq!(key, "menu.node[1].options.\"2\"");
        assert!(why.contains("no queue named \"sales\""), "{why}");
        let (key, why) = problem(&GOOD.replace("node:more", "node:less"));
        assert_eq!(key, "menu.node[1].options.\"4\"");
        assert!(why.contains("no node with id \"less\""), "{why}");
        let (key, why) = problem(&GOOD.replace(", \"4\" = \"node:more\"", ""));
        assert_eq!(key, "menu.node[2].id");
        assert!(why.contains("no caller can reach node \"more\""), "{why}");
        for k in ["0", "9", "*", "#"] {
            let (key, why) = problem(&GOOD.replace("\"4\" = ", &format!("{k:?} = ")));
            assert!(key.ends_with(&format!("options.{k:?}")), "{key}");
            assert!(why.contains("kept on every menu"), "{why}");
        }
        let (_, why) = problem(&GOOD.replace("\"4\" =", "\"12\" ="));
        assert!(why.contains("not a key"), "{why}");
        let (_, why) = problem(&GOOD.replace("queue:billing\", \"2\"", "billing\", \"2\""));
        assert!(why.contains("not a target"), "{why}");
        let (key, _) = problem(&GOOD.replace("start = \"main\"", "start = \"begin\""));
        assert_eq!(key, "menu.start");
        let (key, why) = problem(&GOOD.replace("BILLING 1 TECH 2 GA", "Billing 1"));
        assert_eq!(key, "menu.node[1].type");
        assert!(why.contains("upper case"), "{why}");
        let (_, why) = problem(&GOOD.replace("BILLING 1 TECH 2 GA", "BILLING @ 1"));
        assert!(why.contains("cannot be sent"), "{why}");
        let (key, _) = problem(&GOOD.replace("id = \"more\"", "id = \"main\""));
        assert_eq!(key, "menu.node[2].id");
    }

    #[test]
    fn a_node_only_a_line_starts_at_is_reachable() {
        let text = GOOD.replace(", \"4\" = \"node:more\"", "");
        let m = menu(&text);
        let start: Spanned<String> =
            toml::from_str::<BTreeMap<String, Spanned<String>>>("menu = \"more\"")
                .expect("parses")
                .remove("menu")
                .expect("the key");
        assert_eq!(m.check(&QUEUES, &[(&start, "line[1].menu".into())]), Ok(()));
    }
}
