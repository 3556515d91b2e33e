//! The phone-line side of `relaygate serve`, measured without a network:
//! Baudot through RTP with loss and jitter, TTY detection time, and
//! false detections on sound that is not a TTY.
//!
//! Everything runs on the sans-IO pieces the gateway uses
//! (`media::rtp`, `media::playout`, `modem::session`,
//! `legs::audio_tty::Detector`), so it is deterministic. References in
//! the same run: minimodem decoding the same played-out audio, and the
//! air time of the characters a detection needs.
//!
//!   cargo bench --bench serve_media

#[path = "../tests/common/mod.rs"]
mod common;

use std::ffi::OsStr;

use common::cli::{espeak, sox_convert};
use common::peers::{self, MinimodemTx, char_error_rate};
use relaygate::legs::audio_tty::{Detector, Verdict};
use relaygate::media::frame::{FRAME, Frame, SILENCE};
use relaygate::media::playout::{PlayoutBuffer, PlayoutConfig};
use relaygate::media::rtp::{self, Codec, RtpSender};
use relaygate::modem::channel;
use relaygate::modem::session::{Session, SessionConfig, SessionEvent};

/// A small deterministic generator (xorshift), so runs repeat.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn frames(samples: &[i16]) -> Vec<Frame> {
    samples
        .chunks(FRAME)
        .map(|c| {
            let mut f = SILENCE;
            f[..c.len()].copy_from_slice(c);
            f
        })
        .collect()
}

/// Sends `audio` as PCMU RTP through a network that drops `loss` of the
/// packets and delays each by up to `jitter_ms`, then plays it out with
/// the gateway's buffer: the audio the call would hear, and the buffer's
/// counts.
fn through_rtp(audio: &[i16], loss: f64, jitter_ms: f64, seed: u64) -> (Vec<i16>, u64, u64) {
    let mut rng = Rng(seed | 1);
    let mut tx = RtpSender::new(Codec::Pcmu, 0x5eed, 100, 1000);
    // (arrival in ms, packet)
    let mut wire: Vec<(f64, Vec<u8>)> = Vec::new();
    for (i, f) in frames(audio).iter().enumerate() {
        let packet = tx.audio(f);
        if rng.next() < loss {
            continue;
        }
        wire.push((i as f64 * 20.0 + rng.next() * jitter_ms, packet));
    }
    wire.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut buf = PlayoutBuffer::new(PlayoutConfig::default());
    let ticks = audio.len() / FRAME + 20;
    let mut out = Vec::with_capacity(ticks * FRAME);
    let mut next = 0;
    for t in 0..ticks {
        let now = t as f64 * 20.0;
        while next < wire.len() && wire[next].0 <= now {
            if let Ok(p) = rtp::parse(&wire[next].1) {
                buf.push(p.ssrc, p.timestamp, &Codec::Pcmu.decode(p.payload));
            }
            next += 1;
        }
        out.extend_from_slice(&buf.pop());
    }
    let s = buf.stats();
    (out, s.late, s.concealed_frames)
}

/// What the gateway's modem session prints for `audio`.
fn session_text(audio: &[i16]) -> String {
    let mut s = Session::new(SessionConfig::default());
    let mut text = String::new();
    for f in frames(audio) {
        s.handle_receive(&f);
        while let Some(ev) = s.poll_event() {
            if let SessionEvent::Received(c) = ev {
                text.push(c);
            }
        }
    }
    let tail = vec![0i16; 8000 * 2];
    for f in frames(&tail) {
        s.handle_receive(&f);
        while let Some(SessionEvent::Received(c)) = s.poll_event() {
            text.push(c);
        }
    }
    text
}

fn rtp_table() {
    let text = peers::dialogue();
    let mut tones = vec![0i16; 4000];
    tones.extend(peers::minimodem_tx(&text, &MinimodemTx::default()));
    tones.extend(vec![0i16; 4000]);
    println!(
        "## Baudot through RTP (PCMU, 60 ms playout), dialogue of {} characters\n",
        text.chars().count()
    );
    println!(
        "Sender: minimodem, 45.45 baud, 1.5 stop bits. Loss and jitter rows are the mean of three seeds.\n"
    );
    println!(
        "| network | late packets | frames with a gap | relaygate CER | minimodem CER (same audio) |"
    );
    println!("|---|---|---|---|---|");
    for (name, loss, jitter) in [
        ("clean", 0.0, 0.0),
        ("40 ms jitter", 0.0, 40.0),
        ("1 % loss, 40 ms jitter", 0.01, 40.0),
        ("3 % loss, 40 ms jitter", 0.03, 40.0),
        ("5 % loss, 60 ms jitter", 0.05, 60.0),
    ] {
        let seeds: &[u64] = if loss == 0.0 && jitter == 0.0 {
            &[1]
        } else {
            &[1, 2, 3]
        };
        let (mut late, mut gaps, mut ours, mut mm) = (0, 0, 0.0, 0.0);
        for &seed in seeds {
            let (audio, l, g) = through_rtp(&tones, loss, jitter, seed);
            late += l;
            gaps += g;
            ours += char_error_rate(&text, &session_text(&audio));
            mm += char_error_rate(&text, &peers::minimodem_rx(&audio, 8000, Some(1.5)));
        }
        let n = seeds.len() as f64;
        println!(
            "| {name} | {} | {} | {:.1} % | {:.1} % |",
            late / seeds.len() as u64,
            gaps / seeds.len() as u64,
            100.0 * ours / n,
            100.0 * mm / n
        );
    }
}

/// Frames from the start to the verdict, and the verdict.
fn detect(audio: &[i16]) -> (Verdict, Option<u64>, Option<u64>) {
    let mut d = Detector::new(SessionConfig::default());
    for f in frames(audio) {
        if d.push(&f) != Verdict::Listening {
            break;
        }
    }
    (d.verdict(), d.detect_ms(), d.decided_ms())
}

fn detection_table() {
    println!("\n## TTY detection on an `auto` line\n");
    println!(
        "The caller types after 1 s of silence. \"After the first character\": from the frame where the first character was decoded to the verdict. Reference: the air time of two characters at 45.45 baud (7.5 bits each, 330 ms).\n"
    );
    println!("| caller types | verdict | after the first character | from the start of the call |");
    println!("|---|---|---|---|");
    for opening in ["HELLO GA", "HI", "GA", "Q", "TTY CALL PLS GA", "123 GA"] {
        let mut audio = vec![0i16; 8000];
        audio.extend(peers::minimodem_tx(opening, &MinimodemTx::default()));
        audio.extend(vec![0i16; 8000 * 11]);
        let (v, after, from_start) = detect(&audio);
        let ms = |x: Option<u64>| x.map_or("-".into(), |m| format!("{m} ms"));
        println!("| {opening} | {v:?} | {} | {} |", ms(after), ms(from_start));
    }
}

fn speech_60s() -> Vec<i16> {
    let dir = std::env::temp_dir().join(format!("rg-serve-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = "Thank you for calling. Your call is important to us. Please hold while I look at \
        your account. I can see the payment from Tuesday, and the refund was sent this morning.";
    let mut all = Vec::new();
    for (i, voice) in ["en-us", "en", "en-us+f3", "en+m3"].iter().enumerate() {
        let raw = dir.join(format!("v{i}.wav"));
        let low = dir.join(format!("v{i}-8k.wav"));
        let args = ["-v", voice, "-w"].map(OsStr::new);
        espeak(args.into_iter().chain([raw.as_os_str(), OsStr::new(text)]));
        sox_convert(&raw, &["-r", "8000", "-c", "1", "-b", "16"], &low, &[]);
        let (_, s) = peers::read_wav(&low);
        all.extend(s);
    }
    let _ = std::fs::remove_dir_all(&dir);
    all.truncate(8000 * 60);
    all
}

fn tones(parts: &[(&[f64], f64)]) -> Vec<i16> {
    let mut out = Vec::new();
    for (freqs, secs) in parts {
        let n = (secs * 8000.0) as usize;
        out.extend((0..n).map(|i| {
            let t = i as f64 / 8000.0;
            let v: f64 = freqs
                .iter()
                .map(|f| (std::f64::consts::TAU * f * t).sin())
                .sum();
            (v * 3000.0 / freqs.len().max(1) as f64) as i16
        }));
    }
    out
}

fn false_detection_table() {
    println!("\n## Sound that is not a TTY, on an `auto` line\n");
    println!(
        "A TTY verdict here would be a false detection (goal: none). Each signal starts the call.\n"
    );
    println!("| signal | verdict | decided after |");
    println!("|---|---|---|");
    let dtmf: Vec<(&[f64], f64)> = vec![
        (&[697.0, 1209.0], 0.1),
        (&[], 0.1),
        (&[770.0, 1336.0], 0.1),
        (&[], 0.1),
        (&[852.0, 1477.0], 0.1),
        (&[], 0.1),
        (&[941.0, 1633.0], 0.1),
        (&[], 0.1),
        (&[697.0, 1477.0], 0.1),
        (&[], 0.1),
    ];
    let dtmf: Vec<i16> = std::iter::repeat_n(tones(&dtmf), 10).flatten().collect();
    // A simple tune: chords that change every half second, as hold music.
    let notes: [&[f64]; 4] = [
        &[262.0, 330.0, 392.0],
        &[294.0, 370.0, 440.0],
        &[330.0, 415.0, 494.0],
        &[349.0, 440.0, 523.0],
    ];
    let music: Vec<(&[f64], f64)> = (0..40).map(|i| (notes[i % 4], 0.5)).collect();
    let cases = [
        ("speech, 60 s (espeak-ng)", speech_60s()),
        (
            "dial tone 350+440 Hz",
            channel::dial_tone(8000, 20.0, -10.0),
        ),
        ("ringback 440+480 Hz", channel::ringback(8000, 20.0, -10.0)),
        ("DTMF digits, 10 s", dtmf),
        ("hold music (chords), 20 s", tones(&music)),
        ("white noise", channel::white_noise(8000, 20.0, -10.0, 5)),
        ("silence", vec![0; 8000 * 20]),
    ];
    for (name, audio) in &cases {
        let (v, _, from_start) = detect(audio);
        println!(
            "| {name} | {v:?} | {} |",
            from_start.map_or("-".into(), |m| format!("{m} ms"))
        );
    }
}

fn main() {
    rtp_table();
    detection_table();
    false_detection_table();
}
