//! `relaygate serve` at the SIP level, against SIPp and relaygate's own
//! software phones: configuration checks, the embedded defaults, OPTIONS
//! probes, an offer with no G.711, garbage on the SIP port, the call
//! limit, a voice caller bridged straight to the agent with no tones
//! ever sent to it, dial tone and keypad tones that make no TTY, and a
//! busy queue (486, tried twice) told to the TTY in words.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::peers::{relaygate_decode, write_wav};
use common::sip_peer::{Server, free_port, http_get, write_config};
use common::stt::{jfk_wav, model, telephone, temp_dir};
use relaygate::softphone::{answer_one, call_and_play};

fn config(dir: &Path, sip: u16, agent: u16, metrics: u16, extra: &str) -> std::path::PathBuf {
    write_config(
        dir,
        (sip, metrics),
        32000,
        &format!("sip:gw@127.0.0.1:{agent}"),
        extra,
    )
}

/// Runs a SIPp scenario in the foreground; true when it passed.
fn sipp_passes(scenario: &str, sip: u16) -> bool {
    let local = free_port();
    let status = Command::new("sipp")
        .arg(format!("127.0.0.1:{sip}"))
        .args([
            "-sf",
            &format!("{}/tests/data/sipp/{scenario}", env!("CARGO_MANIFEST_DIR")),
        ])
        .args([
            "-m",
            "1",
            "-l",
            "1",
            "-timeout",
            "15",
            "-timeout_error",
            "-nostdin",
        ])
        .args([
            "-p",
            &local.to_string(),
            "-i",
            "127.0.0.1",
            "-mi",
            "127.0.0.1",
        ])
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("sipp runs (Debian package sip-tester)");
    status.success()
}

/// `relaygate config check FILE`.
fn config_check(file: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_relaygate"))
        .args(["config", "check"])
        .arg(file)
        .output()
        .expect("runs")
}

#[test]
fn config_check_names_file_line_and_key() {
    let dir = temp_dir("config-check");
    let good = config(&dir, 5999, 5998, 9999, "");
    let out = config_check(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[sip]\nlisten = \"127.0.0.1:5060\"\nlissen = 1\n").expect("write");
    let out = config_check(&bad);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3: sip.lissen", bad.display())),
        "{err}"
    );

    // The embedded defaults are a valid file.
    let out = Command::new(env!("CARGO_BIN_EXE_relaygate"))
        .args(["serve", "--print-default-config"])
        .output()
        .expect("runs");
    let defaults = String::from_utf8_lossy(&out.stdout);
    for key in [
        "listen = \"127.0.0.1:5060\"",
        "listen = \"127.0.0.1:9464\"",
        "sip:agent@127.0.0.1:5070",
    ] {
        assert!(defaults.contains(key), "{defaults}");
    }
    let copy = dir.join("defaults.toml");
    std::fs::write(&copy, defaults.as_bytes()).expect("write");
    let out = config_check(&copy);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sip_probes_bad_offers_garbage_and_the_call_limit() {
    let dir = temp_dir("serve-sip");
    let (sip, metrics) = (free_port(), free_port());
    let cfg = config(&dir, sip, free_port(), metrics, "[limits]\nmax_calls = 1\n");
    let server = Server::start(&cfg, &model("tiny.en"));

    assert!(
        sipp_passes("options.xml", sip),
        "OPTIONS not answered 200: {}",
        server.log_text()
    );
    assert!(
        sipp_passes("no_g711.xml", sip),
        "an offer with no G.711 not answered 488: {}",
        server.log_text()
    );

    // Garbage on the SIP port changes nothing.
    let junk = UdpSocket::bind("127.0.0.1:0").expect("bind");
    for d in [
        &b"\x00\x01garbage"[..],
        b"INVITE sip:x SIP/2.0\r\n\r\n",
        b"SIP/2.0 200\r\nVia: ;;\r\n\r\n",
    ] {
        junk.send_to(d, ("127.0.0.1", sip)).expect("send");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        sipp_passes("options.xml", sip),
        "the server stopped answering after garbage"
    );

    // One call at the limit: a silent caller keeps its line; a second
    // caller gets 503.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let target = format!("sip:relay@127.0.0.1:{sip}");
    let (first, second) = rt.block_on(async {
        let t = target.clone();
        let first = tokio::spawn(async move {
            call_and_play(
                SocketAddr::from(([127, 0, 0, 1], free_port())),
                &t,
                Vec::new(),
                Duration::ZERO,
                Duration::from_secs(4),
            )
            .await
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        let second = call_and_play(
            SocketAddr::from(([127, 0, 0, 1], free_port())),
            &target,
            Vec::new(),
            Duration::ZERO,
            Duration::from_secs(1),
        )
        .await;
        (first.await.expect("task"), second)
    });
    assert!(first.is_ok(), "the first call was refused: {first:?}");
    let refused = format!("{:?}", second.expect_err("the second call is refused"));
    assert!(refused.contains("503"), "{refused}");

    let m = http_get(SocketAddr::from(([127, 0, 0, 1], metrics)), "/metrics");
    assert!(
        m.contains("relaygate_calls_total{outcome=\"refused\"} 2"),
        "{m}"
    );
    let status = server.stop();
    assert!(status.success());
}

#[test]
fn a_voice_caller_is_bridged_and_never_hears_tones() {
    let dir = temp_dir("serve-voice");
    let (sip, agent_port, metrics) = (free_port(), free_port(), free_port());
    let cfg = config(&dir, sip, agent_port, metrics, "");
    let server = Server::start(&cfg, &model("tiny.en"));
    let (_, speech) = common::peers::read_wav(&telephone(&jfk_wav(), "serve-voice"));
    let agent_voice = speech.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (caller, agent) = rt.block_on(async {
        let agent = tokio::spawn(answer_one(
            SocketAddr::from(([127, 0, 0, 1], agent_port)),
            agent_voice,
            Duration::from_secs(14),
            Duration::from_secs(60),
        ));
        let caller = call_and_play(
            SocketAddr::from(([127, 0, 0, 1], free_port())),
            &format!("sip:relay@127.0.0.1:{sip}"),
            [speech.clone(), vec![0; 8000 * 2], speech].concat(),
            Duration::from_millis(300),
            Duration::from_secs(28),
        )
        .await
        .expect("the caller's call");
        (
            caller,
            agent.await.expect("task").expect("the agent's call"),
        )
    });
    write_wav(&dir.join("agent-heard.wav"), 8000, &agent.heard);
    write_wav(&dir.join("caller-heard.wav"), 8000, &caller.heard);
    assert_eq!(agent.marker, None, "a voice call carries no relay marker");
    let energy =
        |s: &[i16]| s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len().max(1) as f64;
    assert!(energy(&agent.heard) > 1e4, "the agent heard no speech");
    assert!(energy(&caller.heard) > 1e4, "the caller heard no agent");
    // Neither our decoder finds Baudot in what the caller heard.
    let printed = relaygate_decode(&caller.heard, 8000, &[]);
    assert!(
        printed.trim().is_empty(),
        "tones reached a voice caller: {printed:?}"
    );
    let m = http_get(SocketAddr::from(([127, 0, 0, 1], metrics)), "/metrics");
    assert!(m.contains("relaygate_voice_callers_total 1"), "{m}");
    assert!(m.contains("relaygate_tty_detections_total 0"), "{m}");
    assert!(
        m.contains("relaygate_calls_total{outcome=\"bridged\"} 1"),
        "{m}"
    );
    assert!(server.stop().success());
}

/// Sound that is not a TTY: dial tone, then keypad tones.
fn dial_tone_and_dtmf() -> Vec<i16> {
    let tone = |f: &[f64], secs: f64| -> Vec<i16> {
        (0..(secs * 8000.0) as usize)
            .map(|i| {
                let t = i as f64 / 8000.0;
                let v: f64 = f
                    .iter()
                    .map(|f| (std::f64::consts::TAU * f * t).sin())
                    .sum();
                (v * 4000.0) as i16
            })
            .collect()
    };
    let mut audio = tone(&[350.0, 440.0], 2.0);
    for (lo, hi) in [
        (697.0, 1209.0),
        (770.0, 1336.0),
        (852.0, 1477.0),
        (941.0, 1633.0),
        (697.0, 1477.0),
    ] {
        audio.extend(tone(&[lo, hi], 0.2));
        audio.extend(vec![0; 800]);
    }
    audio
}

#[test]
fn dial_tone_and_keypad_tones_are_no_tty_and_a_busy_queue_is_told_to_the_tty() {
    let dir = temp_dir("serve-busy");
    let (sip, agent_port, metrics) = (free_port(), free_port(), free_port());
    let cfg = config(&dir, sip, agent_port, metrics, "");
    let server = Server::start(&cfg, &model("tiny.en"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let target = format!("sip:relay@127.0.0.1:{sip}");
    let caller = rt.block_on(async {
        // An agent side that is always busy.
        let (_busy, mut invites) =
            relaygate::sip::stack::SipStack::start(relaygate::sip::stack::StackOptions {
                listen: SocketAddr::from(([127, 0, 0, 1], agent_port)),
                tcp: false,
                user_agent: "busy agent".into(),
                transaction_timeout: None,
            })
            .await
            .expect("busy agent");
        let refusals = tokio::spawn(async move {
            let mut n = 0;
            while let Ok(Some(invite)) =
                tokio::time::timeout(Duration::from_secs(40), invites.recv()).await
            {
                invite.reject(486, None).await;
                n += 1;
            }
            n
        });
        // First a caller whose line carries only dial tone and DTMF.
        let tones = call_and_play(
            SocketAddr::from(([127, 0, 0, 1], free_port())),
            &target,
            dial_tone_and_dtmf(),
            Duration::ZERO,
            Duration::from_secs(5),
        )
        .await
        .expect("the tone caller's call");
        assert!(
            relaygate_decode(&tones.heard, 8000, &[]).trim().is_empty(),
            "Baudot was sent to a caller that is not a TTY"
        );
        // Then a TTY caller: the busy queue is tried twice, then the TTY
        // reads that no agent could be reached and relaygate hangs up.
        let mut typing = vec![0i16; 4000];
        typing.extend(common::peers::minimodem_tx(
            "HELLO GA\n",
            &common::peers::MinimodemTx::default(),
        ));
        let tty = call_and_play(
            SocketAddr::from(([127, 0, 0, 1], free_port())),
            &target,
            typing,
            Duration::ZERO,
            Duration::from_secs(60),
        )
        .await
        .expect("the TTY caller's call");
        (tty, refusals)
    });
    let (tty, refusals) = caller;
    let refused = rt.block_on(refusals).expect("task");
    write_wav(&dir.join("tty-heard.wav"), 8000, &tty.heard);
    assert!(
        tty.ended_by_peer,
        "relaygate did not hang up after telling the TTY"
    );
    let screen = common::peers::minimodem_rx(&tty.heard, 8000, Some(1.5));
    assert!(
        screen.contains("NO AGENT"),
        "the TTY was not told: {screen:?}"
    );
    assert!(refused >= 2, "the busy queue was tried {refused} times");
    let m = http_get(SocketAddr::from(([127, 0, 0, 1], metrics)), "/metrics");
    assert!(m.contains("relaygate_voice_callers_total 1"), "{m}");
    assert!(m.contains("relaygate_tty_detections_total 1"), "{m}");
    assert!(
        // Both callers met the busy queue.
        m.contains("relaygate_calls_total{outcome=\"no-agent\"} 2"),
        "{m}"
    );
    assert!(server.stop().success());
}
