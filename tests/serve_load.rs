//! `relaygate serve` with 20 TTY calls at once on loopback: SIPp places
//! them all within a second, each playing minimodem TTY tones over RTP
//! from a port of its own (`tests/data/sipp/tty_caller.xml`), and a SIPp
//! agent queue answers every one (`tests/data/sipp/agent_answers.xml`).
//! Every call must be recognised as a TTY, reach an agent and end
//! relayed, and every typed character must be spoken: none lost.
//! Runs in real time: about half a minute.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::cli::sox_convert;
use common::peers::{MinimodemTx, minimodem_tx, write_wav};
use common::sip_peer::{Server, free_port, http_get, write_config};
use common::stt::{model, temp_dir};

const CALLS: usize = 20;

/// The `call ended` log lines so far.
fn ended(server: &Server) -> Vec<String> {
    server
        .log_text()
        .lines()
        .filter(|l| l.contains("call ended"))
        .map(str::to_string)
        .collect()
}

/// A `key=value` field of a log line.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

/// A metric's value.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[test]
fn twenty_tty_calls_at_once_all_connect_and_lose_nothing() {
    let dir = temp_dir("serve-load");
    let (sip, metrics, agent_port, caller_port) =
        (free_port(), free_port(), free_port(), free_port());
    let config = write_config(
        &dir,
        (sip, metrics),
        37000,
        &format!("sip:gw@127.0.0.1:{agent_port}"),
        "[limits]\nmax_calls = 30\nhangup_grace_seconds = 40\n[greetings]\nagent = \"Relay call.\"\n",
    );
    let server = Server::start(&config, &model("tiny.en"));

    let typed = "HELLO THIS IS A TTY CALL GA";
    let per_call = typed.chars().filter(|c| !c.is_whitespace()).count();
    let mut tones = vec![0i16; 8000];
    tones.extend(minimodem_tx(&format!("{typed}\n"), &MinimodemTx::default()));
    tones.extend(vec![0i16; 8000]);
    write_wav(&dir.join("tones16.wav"), 8000, &tones);
    sox_convert(
        &dir.join("tones16.wav"),
        &["-e", "u-law", "-b", "8"],
        &dir.join("tones.wav"),
        &[],
    );

    let data = format!("{}/tests/data/sipp", env!("CARGO_MANIFEST_DIR"));
    let sipp = |args: Vec<String>| {
        Command::new("sipp")
            .args(args)
            .args(["-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sipp runs (Debian package sip-tester)")
    };
    let n = CALLS.to_string();
    let mut agents = sipp(vec![
        "-sf".into(),
        format!("{data}/agent_answers.xml"),
        "-p".into(),
        agent_port.to_string(),
        "-m".into(),
        n.clone(),
        "-timeout".into(),
        "150".into(),
    ]);
    std::thread::sleep(Duration::from_millis(500));
    let callers = sipp(vec![
        format!("127.0.0.1:{sip}"),
        "-sf".into(),
        format!("{data}/tty_caller.xml"),
        "-p".into(),
        caller_port.to_string(),
        "-m".into(),
        n.clone(),
        "-l".into(),
        n.clone(),
        "-r".into(),
        n,
        "-timeout".into(),
        "120".into(),
        "-timeout_error".into(),
    ])
    .wait_with_output()
    .expect("sipp callers");
    assert!(
        callers.status.success(),
        "not every call connected and ended cleanly ({}): {}",
        callers.status,
        server.log_text()
    );

    // Every call ends once its pending speech has been played.
    let deadline = Instant::now() + Duration::from_secs(60);
    while ended(&server).len() < CALLS && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let lines = ended(&server);
    assert_eq!(lines.len(), CALLS, "{}", server.log_text());
    for line in &lines {
        assert_eq!(field(line, "outcome"), Some("\"relayed\""), "{line}");
        assert_eq!(field(line, "agent_legs"), Some("1"), "{line}");
        assert_eq!(
            field(line, "chars_typed"),
            Some(per_call.to_string().as_str()),
            "a call did not get all that was typed: {line}"
        );
        assert_eq!(field(line, "chars_lost"), Some("0"), "{line}");
    }
    let m = http_get(SocketAddr::from(([127, 0, 0, 1], metrics)), "/metrics");
    let total = (CALLS * per_call) as f64;
    assert_eq!(
        metric(&m, "relaygate_calls_total{outcome=\"relayed\"}"),
        CALLS as f64
    );
    assert_eq!(metric(&m, "relaygate_tty_detections_total"), CALLS as f64);
    assert_eq!(
        metric(&m, "relaygate_characters_total{direction=\"typed\"}"),
        total
    );
    assert_eq!(
        metric(&m, "relaygate_characters_total{direction=\"spoken\"}"),
        total
    );
    assert_eq!(
        metric(&m, "relaygate_characters_total{direction=\"lost\"}"),
        0.0
    );
    assert_eq!(metric(&m, "relaygate_calls_active"), 0.0);
    let _ = agents.wait();
    let status = server.stop();
    assert!(status.success(), "serve exited with {status}");
}
