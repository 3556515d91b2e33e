//! `relaygate serve` when the agent's phone goes silent mid-call without
//! hanging up (its network or its phone gone): relaygate counts the
//! agent's media as stopped after `rtp_timeout_seconds`, hangs that leg
//! up, dials the queue again, greets the new agent and gives it what the
//! first one can no longer have heard. What the first agent heard whole
//! is not repeated.
//!
//! The TTY caller is relaygate's software phone playing minimodem tones;
//! both agents are one SIP phone in this test that answers the first
//! call, sends 20 s of RTP and then nothing, and records the second.
//! Runs in real time: about a minute.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::peers::{MinimodemTx, minimodem_tx, write_wav};
use common::sip_peer::{Server, free_port, write_config};
use common::stt::{model, temp_dir};
use relaygate::config::Greetings;
use relaygate::media::frame::SILENCE;
use relaygate::media::port::MediaPort;
use relaygate::media::rtp_port::RtpPort;
use relaygate::sip::sdp::{self, LocalAudio};
use relaygate::sip::stack::{CallEvent, IncomingInvite, ServerCall, SipStack, StackOptions};
use relaygate::softphone::call_and_play;

/// Seconds the first agent's phone sends RTP before it goes silent.
const FIRST_AGENT_ALIVE: u64 = 20;

/// Answers `invite` with PCMU on a fresh RTP port.
fn answer(invite: IncomingInvite) -> (ServerCall, RtpPort) {
    let offer = sdp::parse_remote(&invite.offer).expect("relaygate's offer parses");
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("rtp socket");
    let mut rtp = RtpPort::new(socket, 60).expect("rtp port");
    rtp.set_remote(&offer);
    let mut call = invite.accept().expect("accept");
    let local = rtp.local_addr().expect("rtp addr");
    call.answer(
        LocalAudio::answering(&offer, local, 1)
            .to_sdp()
            .into_bytes(),
    )
    .expect("answer");
    (call, rtp)
}

/// Exchanges 20 ms frames until `limit` passes (`None`) or the call
/// ends, recording what is heard.
async fn media_until_end(
    call: &mut ServerCall,
    rtp: &mut RtpPort,
    limit: Option<Duration>,
    heard: &mut Vec<i16>,
) -> bool {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let deadline = tokio::time::sleep(limit.unwrap_or(Duration::from_secs(3600)));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Some(f) = rtp.exchange(&SILENCE) {
                    heard.extend_from_slice(&f);
                }
            }
            ev = call.next_event() => if matches!(ev, CallEvent::Ended(_)) { return true },
            _ = &mut deadline => return false,
        }
    }
}

/// The queue's phone: what the second agent heard, and whether the
/// first one got a BYE from relaygate.
async fn two_agents(listen: SocketAddr) -> (Vec<i16>, bool) {
    let (_stack, mut invites) = SipStack::start(StackOptions {
        listen,
        tcp: false,
        user_agent: "agent-phones".into(),
        transaction_timeout: None,
    })
    .await
    .expect("agent stack");
    let first = invites.recv().await.expect("the first call");
    let (mut call, mut rtp) = answer(first);
    let mut ignored = Vec::new();
    let ended = media_until_end(
        &mut call,
        &mut rtp,
        Some(Duration::from_secs(FIRST_AGENT_ALIVE)),
        &mut ignored,
    )
    .await;
    assert!(
        !ended,
        "relaygate hung up the first agent while it was alive"
    );
    // The phone goes silent; relaygate should hang up on it and call
    // again.
    drop(rtp);
    let first_got_bye = tokio::time::timeout(Duration::from_secs(15), async {
        while !matches!(call.next_event().await, CallEvent::Ended(_)) {}
    })
    .await
    .is_ok();
    let second = tokio::time::timeout(Duration::from_secs(15), invites.recv())
        .await
        .expect("relaygate dialled the queue again")
        .expect("the second call");
    let (mut call, mut rtp) = answer(second);
    let mut heard = Vec::new();
    let ended = media_until_end(
        &mut call,
        &mut rtp,
        Some(Duration::from_secs(80)),
        &mut heard,
    )
    .await;
    assert!(ended, "relaygate never hung up the second agent");
    (heard, first_got_bye)
}

#[test]
fn an_agent_whose_media_stops_is_replaced_and_the_next_one_hears_what_it_missed() {
    let dir = temp_dir("agent-lost");
    let (sip, metrics, agent_port, caller_port) =
        (free_port(), free_port(), free_port(), free_port());
    let config = write_config(
        &dir,
        (sip, metrics),
        33000,
        &format!("sip:gw@127.0.0.1:{agent_port}"),
        "[[line]]\nuser = \"tty\"\nmode = \"tty\"\n[limits]\nrtp_timeout_seconds = 3\n",
    );
    let server = Server::start(&config, &model("tiny.en"));

    // The first phrase is spoken to the first agent while its phone
    // works; the second closes just as the phone goes silent.
    let tx = MinimodemTx::default();
    let mut tones = vec![0i16; 8000];
    tones.extend(minimodem_tx("MY PARCEL IS LATE.\n", &tx));
    let second_at = (FIRST_AGENT_ALIVE as usize - 3) * 8000;
    tones.resize(second_at, 0);
    tones.extend(minimodem_tx("IT WAS DUE ON MONDAY GA\n", &tx));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ((heard, first_got_bye), caller) = rt.block_on(async {
        let agents = tokio::spawn(two_agents(SocketAddr::from(([127, 0, 0, 1], agent_port))));
        let caller = call_and_play(
            SocketAddr::from(([127, 0, 0, 1], caller_port)),
            &format!("sip:tty@127.0.0.1:{sip}"),
            tones,
            Duration::from_millis(200),
            Duration::from_secs(60),
        )
        .await
        .expect("the caller's call");
        (agents.await.expect("agent phones"), caller)
    });
    write_wav(&dir.join("second-agent-heard.wav"), 8000, &heard);
    write_wav(&dir.join("caller-heard.wav"), 8000, &caller.heard);
    let log = server.log_text();
    assert!(first_got_bye, "the silent agent was not hung up: {log}");

    let said = common::stt::transcript_of(&dir.join("second-agent-heard.wav"));
    assert!(
        common::stt::holds_most_of(&said, &Greetings::default().agent),
        "the second agent was not greeted: {said:?}"
    );
    assert!(
        said.contains("monday"),
        "the phrase the silent line swallowed did not reach the second agent: {said:?}\n{log}"
    );
    assert!(
        !said.contains("parcel"),
        "what the first agent heard whole was spoken again: {said:?}"
    );

    assert!(log.contains("agent_legs=2"), "{log}");
    server.finish_one_relayed_call(metrics, &["PARCEL", "MONDAY", "monday"]);
}
