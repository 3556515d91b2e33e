//! The route table: which queue a call goes to, from what the caller
//! chose in the menu.
//!
//! ```toml
//! [[route]]
//! when = { queue = "technical", language = "es" }
//! queue = "technical-es"
//! [[route]]
//! when = { product = "wallet" }
//! queue = "billing"
//! ```
//!
//! The menu records the caller's choices as ordered name=value pairs
//! ([`Choices`]) and the queue its last option chose (`queue:NAME`). The
//! first rule whose every `when` pair equals a choice wins; `queue` in
//! `when` means the menu's queue. No rule matching leaves the menu's
//! queue. The choices travel to the agent's side in the SIP header
//! [`ROUTE_HEADER`] ([`Choices::header_value`]).
//!
//! Owns: the rules, their checks (queues exist, every rule can be
//! used), the match, and the header's encoding. Must not touch: the
//! menu's state, service hours, SIP messages (the SIP side sets the
//! header it is given).

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

/// A check that failed: where in the file, the key, and why.
type Problem = (Option<Range<usize>>, String, String);

/// The SIP header that carries [`Choices::header_value`].
pub const ROUTE_HEADER: &str = "X-Relay-Route";

/// The most bytes [`Choices::header_value`] gives: enough for a dozen
/// choices, short enough that no proxy refuses the INVITE for it.
pub const HEADER_MAX: usize = 512;

/// The `when` name meaning the queue the menu chose, not a choice.
pub const QUEUE: &str = "queue";

/// One `[[route]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Choice name to the value it must have (`queue`: the menu's queue).
    pub when: Spanned<BTreeMap<String, Spanned<String>>>,
    /// Where a matching call goes.
    pub queue: Spanned<String>,
}

/// One checked rule; `when` sorted by name (as the map gave it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    when: Vec<(String, String)>,
    queue: String,
}

impl Rule {
    fn matches(&self, choices: &Choices, menu_queue: Option<&str>) -> bool {
        self.when.iter().all(|(name, value)| {
            let got = if name == QUEUE {
                menu_queue
            } else {
                choices.get(name)
            };
            got == Some(value.as_str())
        })
    }

    /// Whether every call `later` matches, this rule matches too.
    fn covers(&self, later: &Rule) -> bool {
        self.when.iter().all(|pair| later.when.contains(pair))
    }
}

/// The checked `[[route]]` rules, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteTable {
    rules: Vec<Rule>,
}

impl RouteTable {
    /// Checks `routes` against the configured `queues`.
    pub fn new(routes: &[RouteConfig], queues: &[&str]) -> Result<RouteTable, Problem> {
        let no_queue = |q: &str| format!("no queue named {q:?} (queues: {})", queues.join(", "));
        let mut rules: Vec<Rule> = Vec::with_capacity(routes.len());
        for (i, r) in routes.iter().enumerate() {
            let key = |k: &str| format!("route[{}].{k}", i + 1);
            let when = r.when.get_ref();
            if when.is_empty() {
                return Err((
                    Some(r.when.span()),
                    key("when"),
                    "a rule needs at least one condition, e.g. when = { language = \"es\" }".into(),
                ));
            }
            for (name, value) in when {
                let wkey = key(&format!("when.{name}"));
                if name.trim().is_empty() {
                    return Err((
                        Some(value.span()),
                        wkey,
                        "a condition needs a choice name".into(),
                    ));
                }
                let v = value.get_ref();
                if v.is_empty() {
                    return Err((
                        Some(value.span()),
                        wkey,
                        format!("{name} = \"\" matches no caller: give the value it must have"),
                    ));
                }
                // A queue condition naming no queue could never match.
                if name == QUEUE && !queues.contains(&v.as_str()) {
                    return Err((Some(value.span()), wkey, no_queue(v)));
                }
            }
            let queue = r.queue.get_ref();
            if !queues.contains(&queue.as_str()) {
                return Err((Some(r.queue.span()), key("queue"), no_queue(queue)));
            }
            let rule = Rule {
                when: when
                    .iter()
                    .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                    .collect(),
                queue: queue.clone(),
            };
            if let Some(first) = rules.iter().position(|earlier| earlier.covers(&rule)) {
                return Err((
                    Some(r.when.span()),
                    key("when"),
                    format!(
                        "never used: rule {} matches first (it asks for {}, a part of what this rule asks for): put this rule before it",
                        first + 1,
                        describe(&rules[first].when)
                    ),
                ));
            }
            rules.push(rule);
        }
        Ok(RouteTable { rules })
    }

    /// The queue for a caller who chose `choices` and whose menu chose
    /// `menu_queue`: the first matching rule's, else the menu's.
    pub fn route(&self, choices: &Choices, menu_queue: Option<&str>) -> Option<String> {
        self.rules
            .iter()
            .find(|r| r.matches(choices, menu_queue))
            .map(|r| r.queue.clone())
            .or_else(|| menu_queue.map(str::to_owned))
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none (every call goes to the menu's queue).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// `a = "x", b = "y"` for messages.
fn describe(when: &[(String, String)]) -> String {
    when.iter()
        .map(|(k, v)| format!("{k} = {v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a caller chose, in the order they chose it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choices {
    pairs: Vec<(String, String)>,
}

impl Choices {
    /// No choices yet.
    pub fn new() -> Choices {
        Choices::default()
    }

    /// Records `name` = `value`; a second choice of the same name
    /// replaces the first and keeps its place (the caller went back and
    /// chose again).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let (name, value) = (name.into(), value.into());
        match self.pairs.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.pairs.push((name, value)),
        }
    }

    /// The value chosen for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The choices in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many names were chosen.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether nothing was chosen.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The [`ROUTE_HEADER`] value: `queue=QUEUE;name=value;...` in the
    /// order chosen. Names and values keep only SIP token characters;
    /// every other byte is percent-encoded, so `;` and `=` stay
    /// separators. At most [`HEADER_MAX`] bytes: pairs that do not fit
    /// are left off from the end (never half a pair, never half an
    /// escape). A choice named `queue` is left off: the header's queue
    /// is where the call went.
    pub fn header_value(&self, queue: &str) -> String {
        let mut out = String::from("queue=");
        // Only a queue name near the limit itself can overflow here.
        push_encoded(&mut out, queue, HEADER_MAX);
        for (name, value) in self.iter().filter(|(n, _)| *n != QUEUE) {
            let mut pair = String::from(";");
            push_encoded(&mut pair, name, usize::MAX);
            pair.push('=');
            push_encoded(&mut pair, value, usize::MAX);
            if out.len() + pair.len() > HEADER_MAX {
                break;
            }
            out.push_str(&pair);
        }
        out
    }
}

/// SIP `token` characters (RFC 3261 25.1) other than `%`, which starts
/// an escape.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!*_+`'~".contains(&b)
}

/// Appends `text` encoded, stopping before `out` would pass `max` bytes.
fn push_encoded(out: &mut String, text: &str, max: usize) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // A character's bytes go together so a cut never splits it either.
    for c in text.chars() {
        let mut buf = [0; 4];
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        let need = if c.is_ascii() && is_token(bytes[0]) {
            1
        } else {
            3 * bytes.len()
        };
        if out.len() + need > max {
            return;
        }
        if need == 1 {
            out.push(c);
        } else {
            for &b in bytes {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Wrapper {
        route: Vec<RouteConfig>,
    }

    const QUEUES: [&str; 4] = ["billing", "technical", "technical-es", "general"];

    const GOOD: &str = r#"
[[route]]
when = { queue = "technical", language = "es" }
queue = "technical-es"
[[route]]
when = { product = "wallet" }
queue = "billing"
[[route]]
when = { region = "eu", issue = "battery" }
queue = "technical"
"#;

    fn routes(text: &str) -> Vec<RouteConfig> {
        toml::from_str::<Wrapper>(text).expect("parses").route
    }

    fn table(text: &str) -> RouteTable {
        RouteTable::new(&routes(text), &QUEUES).expect("checks")
    }

    fn problem(text: &str) -> (String, String) {
        let (span, key, why) = RouteTable::new(&routes(text), &QUEUES).expect_err("refused");
        assert!(span.is_some(), "{key}: {why}");
        (key, why)
    }

    fn choices(pairs: &[(&str, &str)]) -> Choices {
        let mut c = Choices::new();
        for (n, v) in pairs {
            c.set(*n, *v);
        }
        c
    }

    #[test]
    fn the_first_matching_rule_wins_else_the_menus_queue() {
        let t = table(GOOD);
        assert_eq!(t.len(), 3);
        let es = choices(&[("language", "es"), ("product", "wallet")]);
        assert_eq!(
            t.route(&es, Some("technical")).as_deref(),
            Some("technical-es")
        );
        // Same choices from the billing option: the first rule needs the
        // technical queue, so the second wins.
        assert_eq!(t.route(&es, Some("billing")).as_deref(), Some("billing"));
        let en = choices(&[("language", "en"), ("product", "phone")]);
        assert_eq!(t.route(&en, Some("general")).as_deref(), Some("general"));
        assert_eq!(t.route(&en, None), None);
        // Rules match on choices alone, with no menu queue.
        let eu = choices(&[("region", "eu"), ("issue", "battery")]);
        assert_eq!(t.route(&eu, None).as_deref(), Some("technical"));
        // Every pair must match.
        let half = choices(&[("region", "eu"), ("issue", "screen")]);
        assert_eq!(t.route(&half, Some("general")).as_deref(), Some("general"));
        let empty = RouteTable::new(&[], &QUEUES).expect("checks");
        assert!(empty.is_empty());
        assert_eq!(
            empty.route(&es, Some("billing")).as_deref(),
            Some("billing")
        );
    }

    #[test]
    fn unknown_queues_empty_conditions_and_unused_rules_are_refused() {
        let (key, why) = problem(&GOOD.replace("\"technical-es\"", "\"technical-fr\""));
        assert_eq!(key, "route[1].queue");
        assert!(why.contains("no queue named \"technical-fr\""), "{why}");
        assert!(why.contains("queues: billing, technical"), "{why}");
        let (key, why) = problem(&GOOD.replace("queue = \"technical\", ", "queue = \"tech\", "));
        assert_eq!(key, "route[1].when.queue");
        assert!(why.contains("no queue named \"tech\""), "{why}");
        let (key, why) = problem(&GOOD.replace("{ product = \"wallet\" }", "{}"));
        assert_eq!(key, "route[2].when");
        assert!(why.contains("at least one condition"), "{why}");
        let (key, _) = problem(&GOOD.replace("product = \"wallet\"", "product = \"\""));
        assert_eq!(key, "route[2].when.product");
        let (key, _) = problem(&GOOD.replace("product = \"wallet\"", "\"\" = \"wallet\""));
        assert_eq!(key, "route[2].when.");
        let shadowed = format!(
            "{GOOD}[[route]]\nwhen = {{ product = \"wallet\", language = \"en\" }}\nqueue = \"general\"\n"
        );
        let (key, why) = problem(&shadowed);
        assert_eq!(key, "route[4].when");
        assert!(why.contains("never used: rule 2 matches first"), "{why}");
        let twice =
            format!("{GOOD}[[route]]\nwhen = {{ product = \"wallet\" }}\nqueue = \"general\"\n");
        let (_, why) = problem(&twice);
        assert!(why.contains("never used: rule 2 matches first"), "{why}");
        // A narrower rule before a broader one is fine.
        let narrow_first = format!(
            "[[route]]\nwhen = {{ product = \"wallet\", language = \"en\" }}\nqueue = \"general\"\n{GOOD}"
        );
        assert_eq!(table(&narrow_first).len(), 4);
        let unknown = "[[route]]\nwhen = { a = \"b\" }\nqueue = \"general\"\nto = \"x\"\n";
        assert!(toml::from_str::<Wrapper>(unknown).is_err());
    }

    #[test]
    fn choices_keep_order_and_a_second_choice_replaces_the_first() {
        let mut c = choices(&[("language", "en"), ("region", "eu"), ("product", "phone")]);
        c.set("language", "es");
        assert_eq!(c.get("language"), Some("es"));
        assert_eq!(c.get("issue"), None);
        assert_eq!(c.len(), 3);
        let order: Vec<(&str, &str)> = c.iter().collect();
        assert_eq!(
            order,
            [("language", "es"), ("region", "eu"), ("product", "phone")]
        );
        assert!(Choices::new().is_empty());
    }

    #[test]
    fn the_header_is_tokens_and_escapes() {
        let c = choices(&[("language", "es"), ("product", "phone")]);
        assert_eq!(
            c.header_value("technical"),
            "queue=technical;language=es;product=phone"
        );
        assert_eq!(Choices::new().header_value("billing"), "queue=billing");
        let odd = choices(&[("note", "a b;c=d%"), ("idioma", "español"), ("queue", "x")]);
        assert_eq!(
            odd.header_value("tech es"),
            "queue=tech%20es;note=a%20b%3Bc%3Dd%25;idioma=espa%C3%B1ol"
        );
        let v = choices(&[("x", "\r\n\"<>,:@\u{7f}")]).header_value("q");
        assert!(
            v.bytes()
                .all(|b| is_token(b) || b == b'%' || b == b'=' || b == b';'),
            "{v}"
        );
    }

    #[test]
    fn a_long_header_loses_whole_pairs_from_the_end() {
        let mut c = Choices::new();
        for i in 0..40 {
            c.set(format!("choice{i}"), "ñ".repeat(i % 5 + 1));
        }
        let v = c.header_value("technical");
        assert!(v.len() <= HEADER_MAX, "{}", v.len());
        assert!(v.len() > HEADER_MAX - 40, "{}", v.len());
        // Each pair is whole: the last is one of the pairs, fully written.
        let last = v.rsplit(';').next().expect("a pair");
        let (name, value) = last.split_once('=').expect("name=value");
        let i: usize = name["choice".len()..].parse().expect("an index");
        assert_eq!(value, "%C3%B1".repeat(i % 5 + 1));
        assert!(!v.contains(&format!("choice{};", i + 1)));
        // A queue name too long on its own is cut between escapes.
        let v = Choices::new().header_value(&"ñ".repeat(300));
        assert!(v.len() <= HEADER_MAX);
        assert!(v.ends_with("%C3%B1"), "{v}");
        let v = Choices::new().header_value(&"q".repeat(600));
        assert_eq!(v.len(), HEADER_MAX);
    }
}
