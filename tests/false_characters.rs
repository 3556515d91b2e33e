//! No characters from sounds that are not TTY tones: a minute or more each
//! of synthetic speech (several voices, speeds and levels, G.711 and
//! 16 kHz), dial tone, ringback, white noise, silence, a 1 kHz test tone
//! and DTMF digits, fed to the library's `Demodulator` (automatic baud)
//! in 20 ms blocks as a call would. A character printed from any of these would appear on a deaf
//! caller's display, or in the agent's transcript, as garbage.

mod common;

use std::f64::consts::PI;
use std::path::Path;
use std::sync::OnceLock;

use common::cli::{TempDir, espeak, sox_convert};
use common::peers::read_wav;
use relaygate::audio::wav::SampleFormat;
use relaygate::modem::channel;
use relaygate::modem::{BaudMode, Demodulator};
use relaygate::text::baudot::{Decoder, Table};

/// Every signal here lasts at least this long.
const MINUTE: f64 = 60.0;

/// Varied English for the synthetic voices: numbers, questions, lists,
/// sibilants and long vowels, as a contact center hears them.
const PARAGRAPHS: [&str; 4] = [
    "Thank you for calling Acme Bank. Your call is important to us, so please \
     stay on the line. Our offices are open Monday to Friday, from nine in the \
     morning until six in the evening. If you know your party's extension, you \
     may dial it at any time. For billing questions, press one. To report a lost \
     or stolen card, press two. For all other enquiries, please hold.",
    "Hello, this is Zach speaking, how can I help you today? I see that your \
     Visa card was charged twice on the fourteenth of March, for forty-two \
     dollars and fifty cents. I'm so sorry about that! I'll fix it right away \
     and refund one of the charges; it should show as pending until half past \
     five on Friday afternoon. Is there anything else I can do for you?",
    "She sells sea shells by the seashore, and the shells she sells are surely \
     seashells. Peter Piper picked a peck of pickled peppers. How much wood would \
     a woodchuck chuck if a woodchuck could chuck wood? The quick brown fox jumps \
     over the lazy dog, while zebras, oxen and yaks graze quietly in the valley.",
    "Your reference number is six, two, zero, nine, three. Please write it down. \
     Would you like me to read it again? Wonderful. Ooh, and one more thing: \
     the new rates apply from the first of April, at three point nine percent. \
     Thanks again for your patience, and have a lovely weekend. Goodbye!",
];

/// Voices and speeds (words per minute): US and British male, and a US
/// female variant, from slow to fast.
const VOICES: [(&str, &str); 4] = [
    ("en-us", "140"),
    ("en", "200"),
    ("en-us+f3", "170"),
    ("en-us+m3", "185"),
];

/// Synthetic speech at 8 and 16 kHz, made once per test run.
struct Speech {
    at8k: Vec<i16>,
    at16k: Vec<i16>,
    /// Where each voice starts, for failure messages: "en 200 wpm at 28.25 s".
    legend: String,
}

fn speech() -> &'static Speech {
    static SPEECH: OnceLock<Speech> = OnceLock::new();
    SPEECH.get_or_init(|| {
        let dir = TempDir::new();
        let mut speech = Speech {
            at8k: Vec::new(),
            at16k: Vec::new(),
            legend: String::from("voices:"),
        };
        for (i, ((voice, speed), text)) in VOICES.iter().zip(PARAGRAPHS).enumerate() {
            let start = speech.at8k.len() as f64 / 8000.0;
            speech.legend += &format!(" {voice} {speed} wpm at {start:.2} s;");
            let raw = dir.join(&format!("voice{i}.wav"));
            espeak(["-v", voice, "-s", speed, "-w", raw.to_str().unwrap(), text]);
            for (rate, out) in [(8000, &mut speech.at8k), (16000, &mut speech.at16k)] {
                let converted = dir.join(&format!("voice{i}-{rate}.wav"));
                let r = rate.to_string();
                sox_convert(&raw, &["-r", &r, "-c", "1", "-b", "16"], &converted, &[]);
                let (got, samples) = read_wav(&converted);
                assert_eq!(got, rate);
                out.extend(samples);
                // A pause between speakers: onsets after silence are where
                // a receiver is most easily fooled.
                out.extend(std::iter::repeat_n(0, rate as usize / 2));
            }
        }
        for (rate, samples) in [(8000, &speech.at8k), (16000, &speech.at16k)] {
            let seconds = samples.len() as f64 / f64::from(rate);
            assert!(
                seconds >= MINUTE,
                "only {seconds:.1} s of speech at {rate} Hz"
            );
        }
        speech
    })
}

/// What the demodulator and decoder make of `samples`, fed as a 20 ms
/// packetised stream; also where each frame (shift codes included, which
/// print nothing) started, in seconds, for whoever has to find it.
fn characters(samples: &[i16], rate: u32) -> (String, Vec<f64>) {
    let mut demod = Demodulator::new(rate, BaudMode::Auto);
    let mut frames = Vec::new();
    for block in samples.chunks(160) {
        demod.push(block, &mut frames);
    }
    demod.flush(&mut frames);
    let mut decoder = Decoder::new(Table::Us, true);
    let text = frames
        .iter()
        .filter_map(|f| decoder.push_code(f.code))
        .collect();
    let starts = frames
        .iter()
        .map(|f| f.sample as f64 / f64::from(rate))
        .collect();
    (text, starts)
}

/// Decodes every signal and fails, listing all offenders (and `legend`,
/// which says what is where in them), if any of them printed a character.
fn assert_silent(signals: &[(String, u32, Vec<i16>)], legend: &str) {
    let mut offenders = Vec::new();
    for (what, rate, samples) in signals {
        let seconds = samples.len() as f64 / f64::from(*rate);
        assert!(seconds >= MINUTE, "{what}: only {seconds:.1} s");
        let (text, starts) = characters(samples, *rate);
        if !text.is_empty() {
            let starts: Vec<String> = starts.iter().map(|s| format!("{s:.2}")).collect();
            offenders.push(format!(
                "{what} ({seconds:.0} s): {} characters {text:?} from {} frames at {} s",
                text.chars().count(),
                starts.len(),
                starts.join(", ")
            ));
        }
    }
    assert!(
        offenders.is_empty(),
        "characters decoded from non-TTY sound:\n{}\n{legend}",
        offenders.join("\n")
    );
}

#[test]
fn speech_prints_nothing() {
    let s = &speech().at8k;
    let mut signals = vec![("speech as synthesised".to_owned(), 8000, s.clone())];
    for dbfs in [-10.0, -25.0, -40.0] {
        signals.push((
            format!("speech at {dbfs} dBFS"),
            8000,
            channel::set_level_dbfs(s, dbfs),
        ));
    }
    assert_silent(&signals, &speech().legend);
}

#[test]
fn speech_through_mu_law_prints_nothing() {
    let s = &speech().at8k;
    let mut signals = Vec::new();
    for dbfs in [-10.0, -25.0, -40.0] {
        let level = channel::set_level_dbfs(s, dbfs);
        signals.push((
            format!("mu-law speech at {dbfs} dBFS"),
            8000,
            channel::g711_round_trip(&level, SampleFormat::MuLaw),
        ));
    }
    assert_silent(&signals, &speech().legend);
}

#[test]
fn speech_at_16_khz_prints_nothing() {
    let s = &speech().at16k;
    let mut signals = vec![("16 kHz speech as synthesised".to_owned(), 16000, s.clone())];
    for dbfs in [-10.0, -40.0] {
        signals.push((
            format!("16 kHz speech at {dbfs} dBFS"),
            16000,
            channel::set_level_dbfs(s, dbfs),
        ));
    }
    assert_silent(&signals, &speech().legend);
}

#[test]
fn call_progress_tones_print_nothing() {
    let mut signals = Vec::new();
    for dbfs in [-10.0, -30.0] {
        signals.push((
            format!("dial tone at {dbfs} dBFS"),
            8000,
            channel::dial_tone(8000, MINUTE, dbfs),
        ));
        signals.push((
            format!("ringback at {dbfs} dBFS"),
            8000,
            channel::ringback(8000, MINUTE, dbfs),
        ));
    }
    assert_silent(&signals, "");
}

#[test]
fn white_noise_prints_nothing() {
    let mut signals = Vec::new();
    for dbfs in [-10.0, -40.0] {
        for seed in 1..=3 {
            signals.push((
                format!("white noise at {dbfs} dBFS, seed {seed}"),
                8000,
                channel::white_noise(8000, MINUTE, dbfs, seed),
            ));
        }
    }
    assert_silent(&signals, "");
}

#[test]
fn silence_and_a_test_tone_print_nothing() {
    let n = (MINUTE * 8000.0) as usize;
    // -10 dBFS: a full-scale sine's RMS is 32767/sqrt(2), so the peak is
    // 32767 times the linear level.
    let peak = 32767.0 * 10f64.powf(-10.0 / 20.0);
    let tone = (0..n)
        .map(|i| (peak * (2.0 * PI * 1000.0 * i as f64 / 8000.0).sin()).round() as i16)
        .collect();
    assert_silent(
        &[
            ("digital silence".to_owned(), 8000, vec![0; n]),
            ("1 kHz tone at -10 dBFS".to_owned(), 8000, tone),
        ],
        "",
    );
}

#[test]
fn dtmf_digits_print_nothing() {
    const ROWS: [u32; 4] = [697, 770, 852, 941];
    const COLUMNS: [u32; 4] = [1209, 1336, 1477, 1633];
    let dir = TempDir::new();
    // All sixteen keys (1-9, 0, *, #, A-D), each as sox makes it: both
    // tones for 100 ms, then 100 ms quiet.
    let mut keys = Vec::new();
    for row in ROWS {
        for column in COLUMNS {
            let path = dir.join(&format!("key{row}-{column}.wav"));
            let (low, high) = (row.to_string(), column.to_string());
            // "-n": no input file; synth makes the tones.
            sox_convert(
                Path::new("-n"),
                &["-r", "8000", "-c", "1", "-b", "16"],
                &path,
                &[
                    "synth", "0.1", "sine", &low, "sine", &high, "pad", "0", "0.1",
                ],
            );
            let (rate, samples) = read_wav(&path);
            assert_eq!((rate, samples.len()), (8000, 1600), "sox made {path:?}");
            keys.push(samples);
        }
    }
    // Every key after every other key, so that any pair of tones a frame
    // could span is heard, at the level sox makes (about -6 dBFS) and
    // 30 dB lower.
    let mut dialled = Vec::new();
    for first in &keys {
        for second in &keys {
            dialled.extend_from_slice(first);
            dialled.extend_from_slice(second);
        }
    }
    let seconds = dialled.len() as f64 / 8000.0;
    assert!(seconds >= MINUTE, "only {seconds:.1} s of DTMF");
    let quiet = channel::set_level_dbfs(&dialled, -36.0);
    assert_silent(
        &[
            (
                format!("DTMF, all {} key pairs", keys.len() * keys.len()),
                8000,
                dialled,
            ),
            ("DTMF 30 dB quieter".to_owned(), 8000, quiet),
        ],
        "",
    );
}
