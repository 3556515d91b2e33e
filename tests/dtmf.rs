//! In-band keypad tones against real peers: spandsp's DTMF generator
//! makes the digits (all sixteen keys, levels, twist, the shortest timing
//! a keypad sends, noise), sox makes tones off frequency, and spandsp's
//! own detector hears the same audio as a reference. Speech (JFK over a
//! telephone line, and relaygate's own voice reading a paragraph), music
//! and TTY tones must give no digit at all: a false digit in a menu sends
//! a caller to the wrong team.

mod common;

use std::path::Path;

use common::cli::{TempDir, relaygate, sox, tts_say};
use common::peers::{DtmfTx, dialogue, read_wav, spandsp_dtmf_rx, spandsp_dtmf_tx};
use common::stt::{jfk_wav, telephone};
use relaygate::media::dtmf::DtmfDetector;
use relaygate::media::rtp::Codec;

const ALL_KEYS: &str = "123A456B789C*0#D";

/// What relaygate's detector hears, fed in 20 ms frames as a call would.
fn heard(samples: &[i16]) -> String {
    let mut d = DtmfDetector::new();
    let mut keys = String::new();
    for frame in samples.chunks(160) {
        d.push(frame);
        while let Some(k) = d.poll() {
            keys.push(k.key);
        }
    }
    keys
}

fn wav_samples(path: &Path) -> Vec<i16> {
    let (rate, samples) = read_wav(path);
    assert_eq!(rate, 8000, "{}", path.display());
    samples
}

#[test]
fn every_key_spandsp_sends_is_heard_once_as_spandsp_hears_it() {
    let audio = spandsp_dtmf_tx(ALL_KEYS, DtmfTx::default());
    assert_eq!(spandsp_dtmf_rx(&audio), ALL_KEYS, "the reference detector");
    assert_eq!(heard(&audio), ALL_KEYS);
    // Through either G.711 law, as the digits come over RTP.
    for codec in [Codec::Pcmu, Codec::Pcma] {
        let line = codec.decode(&codec.encode(&audio));
        assert_eq!(heard(&line), ALL_KEYS, "{}", codec.name());
    }
}

#[test]
fn levels_and_twist_a_phone_line_gives_are_heard() {
    for level in [-3, -10, -20, -26] {
        for twist in [-3, 0, 4, 7] {
            if level + twist > -3 || level + twist < -28 {
                continue;
            }
            let opts = DtmfTx {
                level,
                twist,
                ..DtmfTx::default()
            };
            let audio = spandsp_dtmf_tx("159D*", opts);
            assert_eq!(heard(&audio), "159D*", "{level} dBm0, twist {twist} dB");
        }
    }
}

#[test]
fn the_shortest_keypad_timing_is_heard_even_for_one_key_repeated() {
    for digits in ["0123456789", "1111", "#*#*"] {
        let opts = DtmfTx {
            on_ms: 40,
            off_ms: 50,
            ..DtmfTx::default()
        };
        let audio = spandsp_dtmf_tx(digits, opts);
        assert_eq!(heard(&audio), digits, "40 ms on, 50 ms off");
    }
}

#[test]
fn noise_fifteen_db_below_the_digits_changes_nothing() {
    let audio = spandsp_dtmf_tx(ALL_KEYS, DtmfTx::default());
    // Two tones at -10 dBm0 are -7 dBm0 together; noise at -22 dBm0
    // (an rms of 22718 / √2 · 10^(-22/20)), from a seeded generator.
    let rms = 22_718.0 / 2f64.sqrt() * 10f64.powf(-22.0 / 20.0);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let noisy: Vec<i16> = audio
        .iter()
        .map(|&s| {
            // Sum of 12 uniforms: near Gaussian, unit variance.
            let mut g = -6.0;
            for _ in 0..12 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                g += (state >> 11) as f64 / (1u64 << 53) as f64;
            }
            (f64::from(s) + g * rms).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect();
    assert_eq!(heard(&noisy), ALL_KEYS);
}

#[test]
fn tones_one_and_a_half_percent_off_are_heard_and_three_and_a_half_refused() {
    let dir = TempDir::new();
    for (key, low, high) in [
        ('1', 697.0, 1209.0),
        ('0', 941.0, 1336.0),
        ('D', 941.0, 1633.0),
    ] {
        for (offset, want) in [(1.015, true), (0.985, true), (1.035, false), (0.965, false)] {
            let wav = dir.join("tone.wav");
            let (lo, hi) = (
                format!("{:.1}", low * offset),
                format!("{:.1}", high * offset),
            );
            let path = wav.to_str().expect("UTF-8 path");
            sox([
                "-n", "-r", "8000", "-b", "16", "-c", "1", path, "synth", "0.07", "sine", &lo,
                "sine", &hi, "vol", "0.3", "pad", "0.05", "0.1",
            ]);
            let got = heard(&wav_samples(&wav));
            let expect = if want { key.to_string() } else { String::new() };
            assert_eq!(got, expect, "{key} with tones {lo} and {hi} Hz");
        }
    }
}

#[test]
fn speech_music_and_tty_tones_give_no_digit() {
    let dir = TempDir::new();
    let mut cases: Vec<(String, Vec<i16>)> = Vec::new();
    cases.push((
        "JFK over a telephone line".into(),
        wav_samples(&telephone(&jfk_wav(), "dtmf-talk-off")),
    ));
    let spoken = dir.join("spoken.wav");
    tts_say(
        "standard",
        "Thank you for calling. Your order number is 4 4 7 1 2. The balance is \
             two hundred and fifty dollars, due on the ninth. Please hold the line while I \
             look at your account; this may take a minute or two. Is there anything else?",
        &spoken,
    );
    cases.push(("relaygate's voice".into(), wav_samples(&spoken)));
    let chords = dir.join("chords.wav");
    let chords_path = chords.to_str().expect("UTF-8 path");
    sox([
        "-n",
        "-r",
        "8000",
        "-b",
        "16",
        "-c",
        "1",
        chords_path,
        "synth",
        "3",
        "pluck",
        "C4",
        "pluck",
        "E4",
        "pluck",
        "G4",
        ":",
        "synth",
        "3",
        "pluck",
        "F4",
        "pluck",
        "A4",
        "pluck",
        "C5",
        ":",
        "synth",
        "3",
        "sine",
        "697",
        "sine",
        "880",
        ":",
        "synth",
        "3",
        "square",
        "300",
        "square",
        "1200",
        "remix",
        "-",
        "vol",
        "0.5",
    ]);
    cases.push((
        "plucked chords, a sine chord, square waves".into(),
        wav_samples(&chords),
    ));
    let tty = dir.join("tty.wav");
    let out = relaygate()
        .args(["tty", "encode", "--output"])
        .arg(&tty)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(dialogue().as_bytes())?;
            }
            child.wait_with_output()
        })
        .expect("relaygate runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cases.push(("TTY tones".into(), wav_samples(&tty)));
    for (what, samples) in &cases {
        assert!(samples.len() > 8000, "{what}: too short a test");
        assert_eq!(heard(samples), "", "{what}: digits out of nothing");
    }
}
