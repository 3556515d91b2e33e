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
