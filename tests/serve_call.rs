//! `relaygate serve` answering a real SIP call from a TTY on a phone
//! line: the caller's leg carries Baudot tones made by minimodem over
//! RTP, relaygate recognises the TTY, dials the agent's queue with the
//! relay marker, speaks what the TTY typed with the neural voice,
//! captions the agent with whisper and sends the captions back as tones,
//! which minimodem decodes. Then SIGTERM stops the server cleanly.
//!
//! Runs in real time: about a minute and a half.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::peers::{MinimodemTx, minimodem_rx, minimodem_tx, write_wav};
use common::sip_peer::{Server, free_port, write_config};
use common::stt::{jfk_wav, model, telephone, temp_dir};
use relaygate::softphone::{answer_one, call_and_play};

#[test]
fn a_tty_caller_reaches_a_voice_agent_through_serve() {
    let dir = temp_dir("serve");
    let (sip, metrics, agent_port, caller_port) =
        (free_port(), free_port(), free_port(), free_port());
    let config = write_config(
        &dir,
        (sip, metrics),
        31000,
        &format!("sip:gw@127.0.0.1:{agent_port}"),
        "",
    );
    let server = Server::start(&config, &model("tiny.en"));

    // The TTY types after a second of silence; minimodem makes the tones.
    let typed = "HELLO I NEED HELP WITH MY BILL GA\n";
    let mut tones = vec![0i16; 8000];
    tones.extend(minimodem_tx(typed, &MinimodemTx::default()));
    // The agent speaks (jfk.wav over a telephone line) once it has heard
    // the greeting and the TTY's words.
    let (_, speech) = common::peers::read_wav(&telephone(&jfk_wav(), "serve-agent"));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (caller_leg, agent_leg) = rt.block_on(async {
        let agent = tokio::spawn(answer_one(
            SocketAddr::from(([127, 0, 0, 1], agent_port)),
            speech,
            Duration::from_secs(22),
            Duration::from_secs(100),
        ));
        let caller = call_and_play(
            SocketAddr::from(([127, 0, 0, 1], caller_port)),
            &format!("sip:relay@127.0.0.1:{sip}"),
            tones,
            Duration::from_millis(500),
            Duration::from_secs(75),
        )
        .await
        .expect("the caller's call");
        (
            caller,
            agent.await.expect("agent task").expect("the agent's call"),
        )
    });
    write_wav(&dir.join("caller-heard.wav"), 8000, &caller_leg.heard);
    write_wav(&dir.join("agent-heard.wav"), 8000, &agent_leg.heard);

    // The agent's INVITE said what kind of call this is.
    assert_eq!(
        agent_leg.marker.as_deref(),
        Some("tty"),
        "{}",
        server.log_text()
    );
    assert_eq!(agent_leg.display.as_deref(), Some("TTY: Pat"));
    assert!(
        agent_leg.ended_by_peer,
        "relaygate hung up the agent when the caller left"
    );

    // What the agent heard holds what the TTY typed.
    let heard = common::stt::transcript_of(&dir.join("agent-heard.wav"));
    for word in ["help", "bill"] {
        assert!(
            heard.contains(word),
            "the agent did not hear {word:?}: {heard}"
        );
    }

    // What the caller heard, decoded by minimodem: the greeting, then the
    // agent's words.
    let screen = minimodem_rx(&caller_leg.heard, 8000, Some(1.5));
    if !screen.contains("RELAY") {
        // What to look at when this fails: was there sound at all, and
        // does relaygate's own decoder read it?
        let loud = caller_leg
            .heard
            .chunks(8000)
            .map(|c| c.iter().map(|&x| i32::from(x).abs()).max().unwrap_or(0))
            .collect::<Vec<_>>();
        eprintln!(
            "caller heard {} samples, peak per second {loud:?}",
            caller_leg.heard.len()
        );
        eprintln!(
            "relaygate decodes it as {:?}",
            common::peers::relaygate_decode(&caller_leg.heard, 8000, &[])
        );
        eprintln!("server log: {}", server.log_text());
    }
    assert!(
        screen.contains("RELAY"),
        "no greeting on the TTY: {screen:?}"
    );
    assert!(
        screen.contains("COUNTRY"),
        "the agent's words did not reach the TTY: {screen:?}"
    );

    // Metrics: the call, relayed, nothing lost; a clean stop.
    let m = server.finish_one_relayed_call(metrics, &["HELLO", "BILL", "COUNTRY", "country"]);
    assert!(m.contains("relaygate_tty_detections_total 1"), "{m}");
}
