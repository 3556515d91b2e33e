//! The front door's menu as callers meet it: a keypad caller, a TTY
//! caller who types, a voice caller who speaks, timeouts that start once
//! the prompt is out, retries that end with a human or the default,
//! slow mode and case numbers; and `relaygate config check`'s view of
//! the tree.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use relaygate::config::Config;
use relaygate::frontdoor::case_number::CaseNumber;
use relaygate::frontdoor::menu::{
    CallerKind, Destination, Menu, MenuEvent, MenuSettings, MenuTree, Outcome,
};

/// The issue's contract, with a second node for products and a case
/// number option.
const CONFIG: &str = r#"
[[queue]]
name = "billing"
uri = "sip:billing@127.0.0.1:5071"
[[queue]]
name = "technical"
uri = "sip:tech@127.0.0.1:5072"

[menu]
start = "main"
[[menu.node]]
id = "main"
say = "For billing, press 1. For technical support, press 2. For slower speech, press 3."
type = "BILLING 1 TECH 2 GA"
options = { "1" = "queue:billing", "2" = "queue:technical", "3" = "slow:main", "4" = "node:product", "5" = "case:main" }
[[menu.node]]
id = "product"
say = "For a phone, press 1. For the wallet, press 2."
type = "PHONE 1 WALLET 2 GA"
choice = "product"
default = "queue:billing"
options = { "1" = "queue:technical", "2" = "queue:billing" }
"#;

fn tree(text: &str) -> Arc<MenuTree> {
    let config = Config::parse(text, Path::new("test.toml")).expect("the configuration checks");
    Arc::new(MenuTree::new(config.menu.as_ref().expect("a [menu]")))
}

fn s(secs: f64) -> Duration {
    Duration::from_secs_f64(secs)
}

fn menu(caller: CallerKind) -> Menu {
    Menu::new(tree(CONFIG), None, caller, false, MenuSettings::default())
}

fn events(m: &mut Menu) -> Vec<MenuEvent> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

fn done(events: &[MenuEvent]) -> Option<&Outcome> {
    events.iter().find_map(|e| match e {
        MenuEvent::Done(o) => Some(o),
        _ => None,
    })
}

fn to_queue(name: &str) -> Destination {
    Destination::Queue(name.into())
}

#[test]
fn a_keypad_caller_pressing_2_reaches_the_technical_queue() {
    let mut m = menu(CallerKind::Voice);
    assert_eq!(
        events(&mut m),
        [MenuEvent::Say {
            text:
                "For billing, press 1. For technical support, press 2. For slower speech, press 3."
                    .into(),
            slow: false
        }]
    );
    // Keys are taken while the prompt still plays.
    m.handle_key('2', s(1.0));
    let e = events(&mut m);
    assert_eq!(done(&e).map(|o| &o.to), Some(&to_queue("technical")));
    assert!(m.is_done());
}

#[test]
fn a_tty_caller_reads_the_printed_node_and_types_the_digit_or_the_word() {
    for (typed, queue) in [
        ("2 GA", "technical"),
        ("TECH GA", "technical"),
        ("1\n", "billing"),
        ("billing ga", "billing"),
    ] {
        let mut m = menu(CallerKind::Voice);
        events(&mut m);
        // The caller's tones show a TTY: the same node, printed.
        m.handle_tty_detected();
        assert_eq!(
            events(&mut m),
            [MenuEvent::Print("BILLING 1 TECH 2 GA\n".into())]
        );
        m.handle_prompt_done(s(5.0));
        m.handle_typed(typed, s(9.0));
        let e = events(&mut m);
        assert_eq!(done(&e).map(|o| &o.to), Some(&to_queue(queue)), "{typed:?}");
    }
}

#[test]
fn a_typed_answer_without_ga_is_read_after_a_pause() {
    let mut m = menu(CallerKind::Tty);
    events(&mut m);
    m.handle_prompt_done(s(4.0));
    m.handle_typed("2", s(6.0));
    assert!(events(&mut m).is_empty(), "the caller may still be typing");
    let when = m.poll_timeout().expect("a pause to wait for");
    assert!(when <= s(6.0) + MenuSettings::default().typed_pause);
    m.handle_timeout(when);
    assert_eq!(
        done(&events(&mut m)).map(|o| &o.to),
        Some(&to_queue("technical"))
    );
}

#[test]
fn a_ttys_time_starts_when_the_prompt_has_printed() {
    let settings = MenuSettings::default();
    let mut m = menu(CallerKind::Tty);
    events(&mut m);
    assert_eq!(m.poll_timeout(), None, "no clock while the prompt prints");
    // A long prompt takes 25 s to print.
    m.handle_prompt_done(s(25.0));
    assert_eq!(m.poll_timeout(), Some(s(25.0) + settings.tty_timeout));
    m.handle_timeout(s(24.0) + settings.tty_timeout);
    assert!(events(&mut m).is_empty(), "still the caller's time");
    m.handle_timeout(s(25.0) + settings.tty_timeout);
    assert_eq!(
        events(&mut m),
        [MenuEvent::Print("NO ANSWER BILLING 1 TECH 2 GA\n".into())]
    );
    assert_eq!(m.poll_timeout(), None, "the clock waits for the reprint");
}

#[test]
fn no_answer_is_never_a_hang_up() {
    let settings = MenuSettings::default();
    // No default at "main": after the retries, a human.
    let mut m = menu(CallerKind::Voice);
    let mut now = s(0.0);
    let mut prompts = 0;
    while !m.is_done() {
        prompts += events(&mut m).len();
        m.handle_prompt_done(now);
        now += settings.voice_timeout;
        m.handle_timeout(now);
        assert!(prompts < 10, "the menu never ends");
    }
    let e = events(&mut m);
    assert_eq!(prompts as u32, 1 + settings.retries);
    assert_eq!(done(&e).map(|o| &o.to), Some(&Destination::Human));

    // "product" has a default: the caller goes there instead.
    let mut m = menu(CallerKind::Voice);
    m.handle_key('4', s(1.0));
    for _ in 0..=settings.retries {
        events(&mut m);
        m.handle_prompt_done(now);
        now += settings.voice_timeout;
        m.handle_timeout(now);
    }
    assert_eq!(
        done(&events(&mut m)).map(|o| &o.to),
        Some(&to_queue("billing"))
    );
}

#[test]
fn repeat_back_and_a_human_work_on_every_menu() {
    let mut m = menu(CallerKind::Tty);
    events(&mut m);
    m.handle_key('4', s(1.0));
    assert_eq!(
        events(&mut m),
        [MenuEvent::Print("PHONE 1 WALLET 2 GA\n".into())]
    );
    m.handle_typed("? GA", s(2.0));
    assert_eq!(
        events(&mut m),
        [MenuEvent::Print("PHONE 1 WALLET 2 GA\n".into())]
    );
    m.handle_key('*', s(3.0));
    assert_eq!(
        events(&mut m),
        [MenuEvent::Print("PHONE 1 WALLET 2 GA\n".into())]
    );
    m.handle_key('9', s(4.0));
    assert_eq!(
        events(&mut m),
        [MenuEvent::Print("BILLING 1 TECH 2 GA\n".into())]
    );
    m.handle_typed("OPR GA", s(5.0));
    assert_eq!(
        done(&events(&mut m)).map(|o| &o.to),
        Some(&Destination::Human)
    );

    let mut m = menu(CallerKind::Voice);
    m.handle_key('0', s(1.0));
    assert_eq!(
        done(&events(&mut m)).map(|o| &o.to),
        Some(&Destination::Human)
    );
}

#[test]
fn a_wrong_answer_is_asked_again() {
    let mut m = menu(CallerKind::Tty);
    events(&mut m);
    m.handle_typed("7 GA", s(1.0));
    assert_eq!(
        events(&mut m),
        [MenuEvent::Print(
            "NOT A CHOICE BILLING 1 TECH 2 GA\n".into()
        )]
    );
    m.handle_typed("2 GA", s(8.0));
    assert_eq!(
        done(&events(&mut m)).map(|o| &o.to),
        Some(&to_queue("technical"))
    );
}

#[test]
fn a_voice_caller_can_say_the_digit_or_the_options_word() {
    for (said, queue) in [
        ("Two.", "technical"),
        ("Billing, please.", "billing"),
        ("technical support", "technical"),
    ] {
        let mut m = menu(CallerKind::Voice);
        events(&mut m);
        m.handle_heard(said, s(3.0));
        assert_eq!(
            done(&events(&mut m)).map(|o| &o.to),
            Some(&to_queue(queue)),
            "{said:?}"
        );
    }
    let mut m = menu(CallerKind::Voice);
    m.handle_heard("I'd like an agent", s(3.0));
    assert_eq!(
        done(&events(&mut m)).map(|o| &o.to),
        Some(&Destination::Human)
    );
    // Words that name no option are not an answer: nothing is said back
    // (the caller may be talking to someone else; a recogniser makes
    // words of a cough). Words that name two options are asked again.
    let mut m = menu(CallerKind::Voice);
    events(&mut m);
    m.handle_heard("Thank you.", s(3.0));
    assert!(events(&mut m).is_empty(), "no answer to words for nobody");
    m.handle_heard("billing or technical", s(4.0));
    assert!(
        events(&mut m).iter().any(
            |e| matches!(e, MenuEvent::Say { text, .. } if text.contains("not one of the choices"))
        ),
        "two options named: asked again"
    );
}

#[test]
fn slow_mode_is_announced_spoken_slowly_and_warns_before_time_runs_out() {
    let settings = MenuSettings::default();
    let mut m = menu(CallerKind::Voice);
    events(&mut m);
    m.handle_key('3', s(2.0));
    let e = events(&mut m);
    assert_eq!(e[0], MenuEvent::SlowMode);
    assert!(matches!(&e[1], MenuEvent::Say { slow: true, .. }), "{e:?}");
    m.handle_prompt_done(s(10.0));
    let warn_at = m.poll_timeout().expect("a warning to give");
    assert_eq!(
        warn_at,
        s(10.0) + settings.slow_timeout - settings.slow_warning
    );
    m.handle_timeout(warn_at);
    let e = events(&mut m);
    assert!(
        matches!(&e[..], [MenuEvent::Say { text, slow: true }] if text.contains("pound")),
        "{e:?}"
    );
    // "#" gives the caller their time again.
    m.handle_key('#', warn_at + s(1.0));
    assert_eq!(
        m.poll_timeout(),
        Some(warn_at + s(1.0) + settings.slow_timeout - settings.slow_warning)
    );
    m.handle_key('2', warn_at + s(2.0));
    let o = done(&events(&mut m)).cloned().expect("done");
    assert_eq!((o.to, o.slow), (to_queue("technical"), true));
}

#[test]
fn a_caller_keys_in_their_case_number_and_a_wrong_one_is_asked_again() {
    let good = CaseNumber::new(1234).expect("a case number");
    let mut bad = good.digits().into_bytes();
    bad[9] = if bad[9] == b'9' { b'0' } else { bad[9] + 1 };
    let bad = String::from_utf8(bad).expect("digits");

    let mut m = menu(CallerKind::Voice);
    events(&mut m);
    m.handle_key('5', s(1.0));
    let e = events(&mut m);
    assert!(
        matches!(&e[..], [MenuEvent::Say { text, .. }] if text.contains("case number")),
        "{e:?}"
    );
    for d in bad.chars() {
        m.handle_key(d, s(2.0));
    }
    let e = events(&mut m);
    assert!(
        matches!(&e[..], [MenuEvent::Say { text, .. }] if text.contains("not right")),
        "{e:?}"
    );
    for d in good.digits().chars() {
        m.handle_key(d, s(9.0));
    }
    let e = events(&mut m);
    assert!(
        matches!(&e[..], [MenuEvent::Say { text, .. }] if text.starts_with("Thank you. For billing")),
        "{e:?}"
    );
    m.handle_key('1', s(12.0));
    let o = done(&events(&mut m)).cloned().expect("done");
    assert_eq!((o.to, o.case), (to_queue("billing"), Some(good)));

    // A TTY types it hyphen-grouped, a lost FIGS shift and all.
    let mut m = menu(CallerKind::Tty);
    m.handle_key('5', s(1.0));
    events(&mut m);
    let tty = good.tty_form().replace('1', "Q");
    m.handle_typed(&format!("{tty} GA"), s(3.0));
    m.handle_typed("2 GA", s(5.0));
    let o = done(&events(&mut m)).cloned().expect("done");
    assert_eq!(o.case, Some(good));
}

#[test]
fn a_nodes_answer_is_recorded_as_its_choice() {
    let mut m = menu(CallerKind::Tty);
    m.handle_key('4', s(1.0));
    m.handle_typed("WALLET GA", s(3.0));
    let o = done(&events(&mut m)).cloned().expect("done");
    assert_eq!(o.to, to_queue("billing"));
    assert_eq!(o.choices, [("product".to_string(), "wallet".to_string())]);
}

#[test]
fn a_line_starts_at_its_own_node() {
    let text = format!("{CONFIG}\n[[line]]\nuser = \"phones\"\nmenu = \"product\"\n");
    let config = Config::parse(&text, Path::new("test.toml")).expect("checks");
    let (line, _) = config.route("phones");
    assert_eq!(config.menu_start(line), Some("product"));
    assert_eq!(config.menu_start(None), Some("main"));
}

fn refused(text: &str) -> relaygate::config::ConfigError {
    Config::parse(text, Path::new("lines.toml")).expect_err("refused")
}

#[test]
fn config_check_names_the_file_line_and_key_of_a_bad_tree() {
    let e = refused(&CONFIG.replace("queue:technical", "queue:sales"));
    assert_eq!(e.key.as_deref(), Some("menu.node[1].options.\"2\""));
    assert_eq!(e.line, Some(15));
    assert!(
        e.to_string()
            .starts_with("lines.toml:15: menu.node[1].options"),
        "{e}"
    );
    let e = refused(&CONFIG.replace("\"5\" = \"case:main\"", "\"#\" = \"case:main\""));
    assert!(e.message.contains("kept on every menu"), "{e}");
    let e = refused(&CONFIG.replace("default = \"queue:billing\"", "default = \"node:nowhere\""));
    assert_eq!(e.key.as_deref(), Some("menu.node[2].default"));
    let e = refused(&CONFIG.replace(", \"4\" = \"node:product\"", ""));
    assert_eq!(e.key.as_deref(), Some("menu.node[2].id"));
    assert!(e.message.contains("no caller can reach"), "{e}");
    let no_menu = CONFIG.split("[menu]").next().expect("queues");
    let e = refused(&format!(
        "{no_menu}[[line]]\nuser = \"x\"\nmenu = \"main\"\n"
    ));
    assert_eq!(e.key.as_deref(), Some("line[1].menu"));
    assert!(e.message.contains("no [menu]"), "{e}");
}

/// Billing keeps Berlin office hours and closes at Christmas; out of
/// hours it offers the technical queue.
fn with_hours() -> String {
    CONFIG.replace(
        "uri = \"sip:billing@127.0.0.1:5071\"\n",
        "uri = \"sip:billing@127.0.0.1:5071\"\n\
         time_zone = \"Europe/Berlin\"\n\
         hours = [\"mon-fri 08:00-18:00\"]\n\
         holidays = [\"2026-12-25\"]\n\
         closed_say = \"Billing is closed. For technical support, press 2.\"\n\
         closed_type = \"BILLING CLOSED TECH 2 GA\"\n\
         closed_options = { \"2\" = \"queue:technical\" }\n",
    )
}

#[test]
fn out_of_hours_the_caller_gets_the_closed_message_and_its_choices() {
    use relaygate::frontdoor::menu::Destination;
    use relaygate::frontdoor::routing::{Decision, FrontDesk};
    let config = Config::parse(&with_hours(), Path::new("hours.toml")).expect("checks");
    let desk = FrontDesk::from_config(&config).expect("a desk");
    let to_billing = Outcome {
        to: Destination::Queue("billing".into()),
        choices: vec![("product".into(), "wallet".into())],
        case: None,
        slow: false,
    };
    let at = |t: &str| t.parse::<jiff::Timestamp>().expect("a time");
    // A Tuesday, 10:00 in Berlin (09:00 UTC): open, and the choices go
    // with the call.
    assert_eq!(
        desk.decide(&to_billing, "billing", at("2026-12-01T09:00:00Z")),
        Decision::Open {
            queue: "billing".into(),
            route: "queue=billing;product=wallet".into()
        }
    );
    // 18:30 in Berlin, Christmas Day at noon, a Sunday: closed.
    for t in [
        "2026-12-01T17:30:00Z",
        "2026-12-25T11:00:00Z",
        "2026-12-06T11:00:00Z",
    ] {
        match desk.decide(&to_billing, "billing", at(t)) {
            Decision::Closed { queue, closed } => {
                assert_eq!(queue, "billing");
                assert_eq!(closed.tty, "BILLING CLOSED TECH 2 GA");
                assert!(closed.say.starts_with("Billing is closed"));
                // What it offers is a menu of its own.
                let tree = Arc::new(MenuTree::single(&closed.say, &closed.tty, &closed.options));
                let mut m = Menu::new(tree, None, CallerKind::Tty, false, MenuSettings::default());
                assert_eq!(
                    events(&mut m),
                    [MenuEvent::Print("BILLING CLOSED TECH 2 GA\n".into())]
                );
                m.handle_typed("2 GA", s(3.0));
                assert_eq!(
                    done(&events(&mut m)).map(|o| &o.to),
                    Some(&to_queue("technical"))
                );
            }
            other => panic!("{t}: {other:?}"),
        }
    }
    // The technical queue has no hours: always open.
    let to_tech = Outcome {
        to: to_queue("technical"),
        ..to_billing
    };
    assert!(matches!(
        desk.decide(&to_tech, "billing", at("2026-12-25T11:00:00Z")),
        Decision::Open { .. }
    ));
}

#[test]
fn the_route_table_has_its_say_over_the_menus_queue() {
    use relaygate::frontdoor::routing::{Decision, FrontDesk};
    let text =
        format!("{CONFIG}\n[[route]]\nwhen = {{ product = \"wallet\" }}\nqueue = \"technical\"\n");
    let config = Config::parse(&text, Path::new("routes.toml")).expect("checks");
    let desk = FrontDesk::from_config(&config).expect("a desk");
    let mut m = menu(CallerKind::Tty);
    m.handle_key('4', s(1.0));
    m.handle_typed("WALLET GA", s(3.0));
    let o = done(&events(&mut m)).cloned().expect("done");
    assert_eq!(o.to, to_queue("billing"), "the menu's own choice");
    let now = "2026-12-01T09:00:00Z".parse().expect("a time");
    assert_eq!(
        desk.decide(&o, "billing", now),
        Decision::Open {
            queue: "technical".into(),
            route: "queue=technical;product=wallet".into()
        }
    );
    // A route to a queue that does not exist is refused by config check.
    let e = Config::parse(
        &text.replace("queue = \"technical\"\n", "queue = \"sales\"\n"),
        Path::new("routes.toml"),
    )
    .expect_err("refused");
    assert!(e.to_string().contains("route[1].queue"), "{e}");
}
