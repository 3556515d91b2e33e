//! `relaygate serve` between two baresip phones, a SIP client that is
//! not relaygate's: the caller's microphone is a WAV of minimodem TTY
//! tones, the agent answers automatically and its microphone is speech
//! over a telephone line. Both record what they hear:
//!
//! - the agent's recording, transcribed, holds what the TTY typed;
//! - the caller's recording, decoded by minimodem, holds the greeting and
//!   what the agent said;
//! - the agent's INVITE carried the relay marker;
//! - the metrics show a relayed call with nothing lost.
//!
//! The agent's file ends first, so baresip hangs up the agent's side:
//! the TTY still gets all the agent said before relaygate hangs up the
//! caller. Runs in real time: about a minute.

mod common;

use std::time::Duration;

use common::baresip::{Baresip, Phone};
use common::peers::{MinimodemTx, minimodem_rx, minimodem_tx, read_wav, write_wav};
use common::sip_peer::{Server, free_port, write_config};
use common::stt::{jfk_wav, model, telephone, temp_dir};

/// A free port whose next port is free too (baresip takes both).
fn free_port_pair() -> u16 {
    loop {
        let p = free_port();
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

#[test]
fn a_baresip_tty_caller_reaches_a_baresip_agent() {
    let dir = temp_dir("serve-baresip");
    let (sip, metrics) = (free_port(), free_port());
    let (agent_port, caller_port) = (free_port_pair(), free_port_pair());
    let config = write_config(
        &dir,
        (sip, metrics),
        34000,
        &format!("sip:agent@127.0.0.1:{agent_port}"),
        "",
    );
    let server = Server::start(&config, &model("tiny.en"));

    // The agent hears the greeting and the TTY's words first (about 13 s),
    // then speaks, then hangs up a few seconds later.
    let (_, speech) = read_wav(&telephone(&jfk_wav(), "baresip-agent"));
    let mut agent_mic = vec![0i16; 16 * 8000];
    agent_mic.extend(&speech);
    agent_mic.extend(vec![0i16; 5 * 8000]);
    // The caller types after a second, then waits on the line; relaygate
    // hangs up on it once the agent has gone and the TTY has everything.
    let typed = "HELLO I NEED HELP WITH MY BILL GA\n";
    let mut caller_mic = vec![0i16; 8000];
    caller_mic.extend(minimodem_tx(typed, &MinimodemTx::default()));
    caller_mic.resize(70 * 8000, 0);

    let agent = Baresip::start(
        &dir.join("agent"),
        &Phone {
            port: agent_port,
            user: "agent",
            microphone: &agent_mic,
            auto_answer: true,
            dial: None,
            quit_after: Duration::from_secs(100),
            control: None,
        },
    );
    std::thread::sleep(Duration::from_millis(500));
    let caller = Baresip::start(
        &dir.join("caller"),
        &Phone {
            port: caller_port,
            user: "pat",
            microphone: &caller_mic,
            auto_answer: false,
            dial: Some(&format!("sip:relay@127.0.0.1:{sip}")),
            quit_after: Duration::from_secs(66),
            control: None,
        },
    );
    let (caller_heard, caller_log) = caller.finish(Duration::from_secs(75));
    let (agent_heard, agent_log) = agent.finish(Duration::from_secs(15));
    write_wav(&dir.join("caller-heard.wav"), 8000, &caller_heard);
    write_wav(&dir.join("agent-heard.wav"), 8000, &agent_heard);
    let log = server.log_text();

    // The queue was told what kind of call this is before answering.
    assert!(
        agent_log.contains("X-Relay-Call: tty"),
        "no relay marker in the agent's INVITE: {agent_log}"
    );

    let heard = common::stt::transcript_of(&dir.join("agent-heard.wav"));
    for word in ["help", "bill"] {
        assert!(
            heard.contains(word),
            "the agent did not hear {word:?}: {heard}\n{log}"
        );
    }

    let screen = minimodem_rx(&caller_heard, 8000, Some(1.5));
    assert!(
        screen.contains("RELAY"),
        "no greeting on the TTY ({} samples heard): {screen:?}\n{caller_log}\n{log}",
        caller_heard.len()
    );
    assert!(
        screen.contains("COUNTRY"),
        "the agent's words did not reach the TTY: {screen:?}\n{log}"
    );
    // relaygate, not the caller, ended the call: the caller's file
    // runs for 70 s (the call takes about 40).
    assert!(
        caller_heard.len() < 60 * 8000,
        "the caller was not hung up after the agent left ({} s)",
        caller_heard.len() / 8000
    );

    server.finish_one_relayed_call(metrics, &["HELLO", "BILL", "COUNTRY", "country"]);
}
