//! A half-duplex line: the session must not print its own echo, however
//! late it returns within the configured tail, and must still hear the
//! far end once the tail is over.

use std::collections::VecDeque;

use relaygate::modem::{LineParams, Modulator, Session, SessionConfig, SessionEvent};
use relaygate::text::baudot::{Encoder, Table};

const BLOCK: usize = 160;

/// Runs a call of `seconds`: the session says `ours` at once; the far
/// TTY starts typing `theirs` after `far_starts` seconds; the line echoes
/// our transmission back `echo_ms` later at -6 dB. Returns what the
/// session received.
fn call(
    config: SessionConfig,
    ours: &str,
    theirs: &str,
    far_starts: f64,
    echo_ms: usize,
) -> String {
    let mut session = Session::new(config);
    session.send_text(ours);
    let mut far = Modulator::new(LineParams::default(), 8000);
    let (codes, _) = Encoder::new(Table::Us).encode(theirs);
    let mut far_started = false;
    let mut echo: VecDeque<i16> = std::iter::repeat_n(0, echo_ms * 8).collect();
    let mut received = String::new();
    let mut tx = [0i16; BLOCK];
    let mut far_tx = [0i16; BLOCK];
    for block in 0..(20.0 * 50.0) as usize {
        if !far_started && block as f64 / 50.0 >= far_starts {
            far.push_codes(&codes);
            far_started = true;
        }
        session.poll_transmit(&mut tx);
        let n = far.fill(&mut far_tx);
        far_tx[n..].fill(0);
        echo.extend(tx.iter().map(|&s| s / 2));
        let rx: Vec<i16> = far_tx
            .iter()
            .map(|&f| f.saturating_add(echo.pop_front().unwrap_or(0)))
            .collect();
        session.handle_receive(&rx);
        while let Some(event) = session.poll_event() {
            if let SessionEvent::Received(c) = event {
                received.push(c);
            }
        }
    }
    received
}

#[test]
fn own_echo_is_not_printed_and_the_far_end_is() {
    // Our 20 characters take about 3.4 s; the far end answers after 5 s.
    let ours = "HELLO THIS IS RELAY GA";
    for echo_ms in [20, 320, 500, 700] {
        let got = call(SessionConfig::default(), ours, "YES PLS GA", 5.0, echo_ms);
        assert_eq!(got.trim(), "YES PLS GA", "echo delay {echo_ms} ms");
    }
}

#[test]
fn without_a_tail_the_echo_would_leak() {
    // The same line with blanking only while sending: a late echo is
    // printed, which is what the tail exists to prevent.
    let config = SessionConfig {
        echo_tail_ms: 0,
        ..SessionConfig::default()
    };
    let got = call(config, "HELLO THIS IS RELAY GA", "", 5.0, 500);
    assert!(!got.trim().is_empty(), "expected the echo to leak");
}

#[test]
fn unsendable_characters_are_reported_not_sent() {
    let mut session = Session::new(SessionConfig::default());
    session.send_text("50% OFF @ 9");
    let mut events = Vec::new();
    while let Some(e) = session.poll_event() {
        events.push(e);
    }
    assert_eq!(
        events,
        [SessionEvent::Unsendable('%'), SessionEvent::Unsendable('@')]
    );
    assert!(session.is_sending());
}
