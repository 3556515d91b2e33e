//! Slow mode through `relaygate serve`, with real peers: a baresip voice
//! caller on a `slow = true` line presses 4 twice (0.9x, then 0.7x) by
//! RFC 4733, the agent (relaygate's agent phone) says three sentences
//! with pauses between, then the caller presses `*`.
//!
//! - The caller's recording of the agent is at least 1.25 times as long
//!   as the agent said it, at the same pitch (median fundamental by
//!   autocorrelation), and whisper transcribes it within 5 points of
//!   word error rate of what the agent sent;
//! - `*` replays the last sentence, slower still;
//! - the agent heard the slow-mode notice once.
//!
//! Runs in real time: about a minute.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::baresip::{Baresip, Phone};
use common::cli::tts_say;
use common::peers::{read_wav, write_wav};
use common::sip_peer::{Server, free_port, write_config};
use common::stt::{model, temp_dir, transcript_of, wer};
use relaygate::softphone::answer_one;

/// What the agent says, one sentence at a time.
const SENTENCES: [&str; 3] = [
    "Thank you for waiting, I have found your order.",
    "The new card was posted to you on Monday morning.",
    "It should arrive at your home by Friday at the latest.",
];

/// Frames (20 ms) louder than -40 dBFS.
fn active(samples: &[i16]) -> Vec<bool> {
    samples
        .chunks(160)
        .map(|f| {
            let rms =
                (f.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / f.len() as f64).sqrt();
            rms > 32768.0 * 0.01
        })
        .collect()
}

/// The runs of sound in `samples` separated by at least `gap_s` of
/// quiet, as sample ranges.
fn segments(samples: &[i16], gap_s: f64) -> Vec<std::ops::Range<usize>> {
    let gap = (gap_s * 50.0) as usize;
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let mut quiet = usize::MAX;
    for (i, a) in active(samples).into_iter().enumerate() {
        if a {
            match out.last_mut() {
                Some(r) if quiet < gap => r.end = (i + 1) * 160,
                _ => out.push(i * 160..(i + 1) * 160),
            }
            quiet = 0;
        } else {
            quiet = quiet.saturating_add(1);
        }
    }
    out
}

fn active_seconds(samples: &[i16]) -> f64 {
    active(samples).iter().filter(|a| **a).count() as f64 * 0.02
}

/// Median fundamental of the loud frames, by autocorrelation (70 to
/// 400 Hz), in Hz.
fn median_f0(samples: &[i16]) -> f64 {
    let x: Vec<f64> = samples.iter().map(|&s| f64::from(s)).collect();
    let mut f0s = Vec::new();
    for frame in x.chunks(320).filter(|f| f.len() == 320) {
        let energy: f64 = frame.iter().map(|v| v * v).sum();
        if (energy / 320.0).sqrt() < 32768.0 * 0.03 {
            continue;
        }
        let (lo, hi) = (8000 / 400, 8000 / 70);
        let corr = |lag: usize| -> f64 {
            frame[..320 - lag]
                .iter()
                .zip(&frame[lag..])
                .map(|(a, b)| a * b)
                .sum::<f64>()
        };
        let (best, value) = (lo..hi)
            .map(|lag| (lag, corr(lag)))
            .fold((0, f64::MIN), |m, c| if c.1 > m.1 { c } else { m });
        // Voiced: the period repeats strongly.
        if value > 0.5 * energy {
            f0s.push(8000.0 / best as f64);
        }
    }
    assert!(f0s.len() > 20, "too few voiced frames ({})", f0s.len());
    f0s.sort_by(f64::total_cmp);
    f0s[f0s.len() / 2]
}

#[test]
fn a_slow_mode_callers_agent_is_slower_at_the_same_pitch_and_still_understood() {
    let dir = temp_dir("serve-slow");
    let (sip, metrics, agent_port) = (free_port(), free_port(), free_port());
    let config = write_config(
        &dir,
        (sip, metrics),
        39000,
        &format!("sip:agent@127.0.0.1:{agent_port}"),
        "[[line]]\nuser = \"slow\"\nslow = true\n",
    );
    let server = Server::start(&config, &model("tiny.en"));

    // The agent's speech: each sentence in the standard voice, 1.2 s
    // apart.
    let mut said = Vec::new();
    for (i, s) in SENTENCES.iter().enumerate() {
        let wav = dir.join(format!("sentence-{i}.wav"));
        tts_say("standard", s, &wav);
        let (rate, samples) = read_wav(&wav);
        assert_eq!(rate, 8000);
        said.extend(samples);
        said.extend(vec![0i16; 9600]);
    }
    let said_wav = dir.join("agent-said.wav");
    write_wav(&said_wav, 8000, &said);
    let last_sentence = read_wav(&dir.join("sentence-2.wav")).1;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let agent = rt.spawn(answer_one(
        SocketAddr::from(([127, 0, 0, 1], agent_port)),
        said.clone(),
        Duration::from_secs(5),
        Duration::from_secs(70),
    ));
    // The caller says hello (so relaygate hears a voice at once), then
    // listens.
    let hello = dir.join("hello.wav");
    tts_say("standard", "Hello?", &hello);
    let mut mic = vec![0i16; 4000];
    mic.extend(read_wav(&hello).1);
    mic.resize(55 * 8000, 0);
    let port = loop {
        let p = free_port();
        if std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            break p;
        }
    };
    let caller = Baresip::start(
        &dir.join("caller"),
        &Phone {
            port,
            user: "pat",
            microphone: &mic,
            auto_answer: false,
            dial: Some(&format!("sip:slow@127.0.0.1:{sip}")),
            quit_after: Duration::from_secs(58),
            control: Some(free_port()),
        },
    );
    // Slower twice once the agent is on the line, before they speak.
    std::thread::sleep(Duration::from_secs(5));
    caller.command("sndcode", "4");
    std::thread::sleep(Duration::from_secs(1));
    caller.command("sndcode", "4");
    // The agent speaks from about 7 s for about 10 s (14 s slowed):
    // then the caller asks for the last sentence again.
    std::thread::sleep(Duration::from_secs(28));
    caller.command("sndcode", "*");
    let (heard, caller_log) = caller.finish(Duration::from_secs(70));
    let agent = rt
        .block_on(agent)
        .expect("agent task")
        .expect("the agent's call");
    let log = server.log_text();
    write_wav(&dir.join("caller-heard.wav"), 8000, &heard);
    write_wav(&dir.join("agent-heard.wav"), 8000, &agent.heard);

    let parts = segments(&heard, 3.0);
    assert!(
        parts.len() >= 2,
        "the caller heard {:?} (the agent, then the repeat)\n{log}\n{caller_log}",
        parts
    );
    let slowed = &heard[parts[0].clone()];
    let repeat = &heard[parts[parts.len() - 1].clone()];
    write_wav(&dir.join("slowed.wav"), 8000, slowed);
    write_wav(&dir.join("repeat.wav"), 8000, repeat);

    // Longer, by the speech the caller heard against the speech the agent
    // said.
    let ratio = active_seconds(slowed) / active_seconds(&said);
    assert!(ratio >= 1.25, "only {ratio:.2} times as long\n{log}");
    let (f_said, f_heard) = (median_f0(&said), median_f0(slowed));
    assert!(
        (f_heard - f_said).abs() / f_said < 0.05,
        "pitch moved: {f_said:.1} Hz said, {f_heard:.1} Hz heard"
    );
    let reference = SENTENCES.join(" ");
    let wer_said = wer(&reference, &transcript_of(&said_wav));
    let heard_text = transcript_of(&dir.join("slowed.wav"));
    let wer_heard = wer(&reference, &heard_text);
    assert!(
        wer_heard <= wer_said + 0.05,
        "WER {wer_heard:.3} slowed against {wer_said:.3} as said: {heard_text:?}"
    );

    eprintln!(
        "slow mode: {ratio:.2}x as long, f0 {f_said:.1} -> {f_heard:.1} Hz, WER {wer_said:.3} -> {wer_heard:.3}"
    );

    // The repeat: the last sentence, at 0.6x.
    let again = transcript_of(&dir.join("repeat.wav")).to_lowercase();
    assert!(
        again.contains("friday") && !again.contains("monday"),
        "the repeat was {again:?}"
    );
    let slower = active_seconds(repeat) / active_seconds(&last_sentence);
    assert!(
        slower >= 1.4,
        "the repeat was only {slower:.2} times as long"
    );

    // The agent was told, once.
    let notice = transcript_of(&dir.join("agent-heard.wav")).to_lowercase();
    assert_eq!(notice.matches("slower speech").count(), 1, "{notice:?}");

    let (status, log) = server.stop_with_log();
    assert!(status.success(), "{log}");
}
