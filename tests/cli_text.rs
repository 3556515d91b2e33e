//! `relaygate text speak-form|tty-form`: the two text paths as other
//! tools call them.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: Option<&str>) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relaygate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("relaygate runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("relaygate finishes");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn speak_form_reads_tty_text_aloud_properly() {
    let (out, _, code) = run(&["text", "speak-form", "PLS CHECK MY BILL Q GA"], None);
    assert_eq!(code, 0);
    assert_eq!(out, "Please check my bill? Go ahead.\n");
}

#[test]
fn speak_form_reads_stdin_when_no_text_is_given() {
    let (out, _, code) = run(&["text", "speak-form"], Some("THX U GA OR SK\n"));
    assert_eq!(code, 0);
    assert_eq!(out, "Thanks you. Go ahead, or we can end the call.\n");
}

#[test]
fn tty_form_shows_what_the_tty_prints() {
    let (out, err, code) = run(&["text", "tty-form", "Save 50% at shop@acme 👍"], None);
    assert_eq!(code, 0);
    assert_eq!(out, "SAVE 50 PERCENT AT SHOP AT ACME\n");
    assert!(
        err.contains("U+1F44D"),
        "dropped character not reported: {err}"
    );
}

#[test]
fn tty_form_follows_the_table() {
    let (out, _, _) = run(
        &["text", "tty-form", "--table", "ita2", "Tom & Jerry #1"],
        None,
    );
    assert_eq!(out, "TOM AND JERRY NUMBER 1\n");
    let (out, _, _) = run(&["text", "tty-form", "Tom & Jerry #1"], None);
    assert_eq!(out, "TOM & JERRY #1\n");
}

#[test]
fn speak_form_reads_identifiers_digit_by_digit_and_amounts_as_numbers() {
    for (typed, spoken) in [
        ("ORDER NBR 80915 GA", "Order number 8 0 9, 1 5. Go ahead."),
        ("MY ACCT IS 4471", "My account is 4 4 7 1"),
        ("CALL ME AT 555 1234", "Call me at 5 5 5, 1 2 3 4"),
        ("I PAID 25000 FOR IT", "I paid 25000 for it"),
        ("IT COST $42.50", "It cost 42 dollars and 50 cents"),
        ("BACK IN 15 MINUTES", "Back in 15 minutes"),
        ("ROOM 12 AT 2 PM", "Room 12 at 2 pm"),
    ] {
        let (out, _, code) = run(&["text", "speak-form", typed], None);
        assert_eq!(code, 0);
        assert_eq!(out, format!("{spoken}\n"), "{typed}");
    }
}

#[test]
fn speak_form_applies_xxx_as_an_operator_would() {
    for (typed, spoken) in [
        (
            "MY FLIGHT IS ON MONDAY XXX ON TUESDAY",
            "My flight is on tuesday",
        ),
        ("I WANT TO GO XXX TO FLY", "I want to fly"),
        ("MY NAME IS JON XXX JOHN", "My name is john"),
        ("MONDY XXX MONDAY", "Monday"),
        ("MY CAT IS SICK XXX XXX IS FINE", "My cat is fine"),
        ("XXX HELLO", "Hello"),
    ] {
        let (out, _, code) = run(&["text", "speak-form", typed], None);
        assert_eq!(code, 0);
        assert_eq!(out, format!("{spoken}\n"), "{typed}");
    }
}
