//! `cargo bench --bench dtmf`: relaygate's in-band DTMF detector beside
//! spandsp's `dtmf_rx` on the same signals, measured in the same run.
//!
//! Three tables, printed as Markdown for docs/benchmarks.md:
//!
//! 1. spandsp's generator sends all sixteen keys at the shortest timing
//!    (40 ms on, 40 ms off) over a grid of levels and twists, clean and
//!    with white noise 15 dB below the tones, as linear PCM and through
//!    G.711 mu-law and A-law: digits sent, missed, and extra per detector.
//!    A second, smaller table repeats one key several times, where a
//!    detector has to see the gap to count the key twice.
//! 2. Talk-off: speech (JFK over a telephone line in eight variations and
//!    relaygate's own voice reading six paragraphs), music made by sox
//!    (strummed chords, arpeggios, melodies with harmonics, at three
//!    levels), and TTY tones (relaygate, minimodem and spandsp senders):
//!    every digit heard is false.
//! 3. Cost: CPU time of relaygate's detector per second of audio, against
//!    spandsp's `dtmf_rx` (its peer process, user + system time) and a
//!    plain pass computing each 20 ms frame's energy, on the same audio.
//!
//! Every case where relaygate's detector misses or invents a digit is
//! listed after its table, with the signal and where in it.

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use common::cli::{TempDir, relaygate, sox, sox_convert};
use common::peers::{self, DtmfTx, MinimodemTx, read_wav, spandsp_dtmf_rx, spandsp_dtmf_tx};
use common::stt::{jfk_wav, telephone};
use relaygate::media::dtmf::DtmfDetector;
use relaygate::media::rtp::Codec;
use relaygate::modem::channel;

const RATE: usize = 8000;
/// 20 ms, as RTP frames arrive.
const FRAME: usize = 160;
const ALL_KEYS: &str = "123A456B789C*0#D";
/// Low-tone levels, dBm0.
const LEVELS: [i32; 7] = [-3, -6, -10, -14, -18, -22, -26];
/// High tone above the low one, dB.
const TWISTS: [i32; 6] = [-4, -2, 0, 2, 4, 7];
/// Seconds of audio the cost is measured on.
const COST_SECONDS: usize = 3600;

fn main() {
    let dir = TempDir::new();
    let mut cost_audio: Vec<i16> = Vec::new();
    patterns(&mut cost_audio);
    repeated_keys();
    talk_off(&dir, &mut cost_audio);
    cost(&cost_audio);
}

// ---------------------------------------------------------------------
// Detectors and counting
// ---------------------------------------------------------------------

/// relaygate's keys and where each starts (seconds), fed in 20 ms frames.
fn ours(samples: &[i16]) -> Vec<(char, f64)> {
    let mut d = DtmfDetector::new();
    let mut keys = Vec::new();
    for frame in samples.chunks(FRAME) {
        d.push(frame);
        while let Some(k) = d.poll() {
            keys.push((k.key, k.at as f64 / RATE as f64));
        }
    }
    keys
}

fn ours_text(samples: &[i16]) -> String {
    ours(samples).iter().map(|k| k.0).collect()
}

/// spandsp's keys (its peer prints nothing else, but be strict).
fn theirs(samples: &[i16]) -> String {
    spandsp_dtmf_rx(samples)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '*' || *c == '#')
        .collect()
}

/// Length of the longest common subsequence: the digits heard in order.
fn matched(sent: &str, got: &str) -> usize {
    let got: Vec<char> = got.chars().collect();
    let mut row = vec![0usize; got.len() + 1];
    for s in sent.chars() {
        let mut diagonal = 0;
        for (j, g) in got.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if s == *g {
                diagonal + 1
            } else {
                row[j + 1].max(row[j])
            };
            diagonal = up;
        }
    }
    row[got.len()]
}

#[derive(Default, Clone, Copy)]
struct Count {
    sent: usize,
    missed: usize,
    extra: usize,
}

impl Count {
    fn add(&mut self, sent: &str, got: &str) {
        let m = matched(sent, got);
        self.sent += sent.chars().count();
        self.missed += sent.chars().count() - m;
        self.extra += got.chars().count() - m;
    }

    fn plus(&mut self, other: Count) {
        self.sent += other.sent;
        self.missed += other.missed;
        self.extra += other.extra;
    }
}

#[derive(Clone, Copy)]
enum Line {
    Linear,
    Law(Codec),
}

impl Line {
    fn name(self) -> &'static str {
        match self {
            Line::Linear => "linear PCM",
            Line::Law(Codec::Pcmu) => "G.711 mu-law",
            Line::Law(_) => "G.711 A-law",
        }
    }

    fn carry(self, samples: &[i16]) -> Vec<i16> {
        match self {
            Line::Linear => samples.to_vec(),
            Line::Law(c) => c.decode(&c.encode(samples)),
        }
    }
}

const LINES: [Line; 3] = [Line::Linear, Line::Law(Codec::Pcmu), Line::Law(Codec::Pcma)];

fn silence(seconds: f64) -> Vec<i16> {
    vec![0; (seconds * RATE as f64) as usize]
}

/// `s` with `lead` seconds of silence before it.
fn lead(s: Vec<i16>, lead: f64) -> Vec<i16> {
    let mut out = silence(lead);
    out.extend(s);
    out
}

// ---------------------------------------------------------------------
// 1. spandsp's test patterns
// ---------------------------------------------------------------------

fn patterns(cost_audio: &mut Vec<i16>) {
    // (line, noisy) -> counts; level -> counts.
    let mut rows = [[(0usize, Count::default(), Count::default()); 2]; 3];
    let mut by_level = [(0usize, Count::default(), Count::default()); LEVELS.len()];
    let mut by_twist = [(0usize, Count::default(), Count::default()); TWISTS.len()];
    let mut ours_failed = Vec::new();
    let mut theirs_failed = Vec::new();
    let mut combos = 0;
    for (li, &level) in LEVELS.iter().enumerate() {
        for (ti, &twist) in TWISTS.iter().enumerate() {
            // The pairs tests/dtmf.rs allows: the high tone neither above
            // -3 dBm0 nor below -28 dBm0.
            if level + twist > -3 || level + twist < -28 {
                continue;
            }
            combos += 1;
            let opts = DtmfTx {
                level,
                twist,
                on_ms: 40,
                off_ms: 40,
            };
            let clean = lead(spandsp_dtmf_tx(ALL_KEYS, opts), 0.2);
            cost_audio.extend_from_slice(&clean);
            for noisy in [false, true] {
                let signal = if noisy {
                    // Seeded per condition: the same noise every run.
                    let seed = 1000 + (li as u64) * 100 + (twist + 10) as u64;
                    channel::add_white_noise(&clean, 15.0, seed)
                } else {
                    clean.clone()
                };
                for (ci, line) in LINES.iter().enumerate() {
                    let heard = line.carry(&signal);
                    let a = ours_text(&heard);
                    let b = theirs(&heard);
                    let row = &mut rows[ci][usize::from(noisy)];
                    row.0 += 1;
                    row.1.add(ALL_KEYS, &a);
                    row.2.add(ALL_KEYS, &b);
                    for tally in [&mut by_level[li], &mut by_twist[ti]] {
                        tally.0 += 1;
                        tally.1.add(ALL_KEYS, &a);
                        tally.2.add(ALL_KEYS, &b);
                    }
                    let what = format!(
                        "low tone {level} dBm0, twist {twist:+} dB, {}{}",
                        line.name(),
                        if noisy { ", noise -15 dB" } else { "" }
                    );
                    if a != ALL_KEYS {
                        ours_failed.push(format!("{what}: heard {}", placed(&ours(&heard))));
                    }
                    if b != ALL_KEYS {
                        theirs_failed.push(format!("{what}: heard {b:?}"));
                    }
                }
            }
        }
    }

    println!("### spandsp's test patterns: all 16 keys ({ALL_KEYS}), 40 ms on, 40 ms off\n");
    println!(
        "{combos} level/twist pairs (low tone {} to {} dBm0, twist {:+} to {:+} dB, \
         high tone between -3 and -28 dBm0), each on 6 lines.\n",
        LEVELS[0],
        LEVELS[LEVELS.len() - 1],
        TWISTS[0],
        TWISTS[TWISTS.len() - 1]
    );
    println!(
        "| line | noise | patterns | digits sent | relaygate missed | relaygate extra | \
         spandsp missed | spandsp extra |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut total = (0, Count::default(), Count::default());
    for (ci, line) in LINES.iter().enumerate() {
        for noisy in [false, true] {
            let (n, a, b) = rows[ci][usize::from(noisy)];
            total.0 += n;
            total.1.plus(a);
            total.2.plus(b);
            println!(
                "| {} | {} | {n} | {} | {} | {} | {} | {} |",
                line.name(),
                if noisy { "white, 15 dB below" } else { "none" },
                a.sent,
                a.missed,
                a.extra,
                b.missed,
                b.extra
            );
        }
    }
    println!(
        "| **all** | | {} | {} | {} | {} | {} | {} |\n",
        total.0, total.1.sent, total.1.missed, total.1.extra, total.2.missed, total.2.extra
    );

    println!("By level (all twists and lines together):\n");
    println!(
        "| low tone | patterns | digits sent | relaygate missed | relaygate extra | \
         spandsp missed | spandsp extra |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (li, &level) in LEVELS.iter().enumerate() {
        let (n, a, b) = by_level[li];
        println!(
            "| {level} dBm0 | {n} | {} | {} | {} | {} | {} |",
            a.sent, a.missed, a.extra, b.missed, b.extra
        );
    }
    println!();
    println!("By twist (all levels and lines together; + is the high tone louder):\n");
    println!(
        "| twist | patterns | digits sent | relaygate missed | relaygate extra | \
         spandsp missed | spandsp extra |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (ti, &twist) in TWISTS.iter().enumerate() {
        let (n, a, b) = by_twist[ti];
        println!(
            "| {twist:+} dB | {n} | {} | {} | {} | {} | {} |",
            a.sent, a.missed, a.extra, b.missed, b.extra
        );
    }
    println!();
    failures("relaygate", &ours_failed);
    failures("spandsp", &theirs_failed);
}

fn failures(who: &str, list: &[String]) {
    if list.is_empty() {
        println!("{who}: every pattern heard exactly.\n");
    } else {
        println!("{who}: {} patterns not heard exactly:\n", list.len());
        for f in list {
            println!("- {f}");
        }
        println!();
    }
}

/// Keys with where they start: `5@1.234s`.
fn placed(keys: &[(char, f64)]) -> String {
    if keys.is_empty() {
        return "nothing".into();
    }
    keys.iter()
        .map(|(k, at)| format!("{k}@{at:.3}s"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One key several times in a row: each press only counts if the
/// detector sees the gap.
fn repeated_keys() {
    const REPEATS: &str = "1111555599990000****####DDDD";
    println!("### One key pressed four times in a row ({REPEATS}), -10 dBm0, no twist\n");
    println!(
        "| timing | line | digits sent | relaygate missed | relaygate extra | \
         spandsp missed | spandsp extra |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut failed = Vec::new();
    for (on, off) in [(40, 40), (40, 50), (50, 55)] {
        let opts = DtmfTx {
            on_ms: on,
            off_ms: off,
            ..DtmfTx::default()
        };
        let clean = lead(spandsp_dtmf_tx(REPEATS, opts), 0.2);
        for line in LINES {
            let heard = line.carry(&clean);
            let (mut a, mut b) = (Count::default(), Count::default());
            let got = ours_text(&heard);
            a.add(REPEATS, &got);
            b.add(REPEATS, &theirs(&heard));
            println!(
                "| {on} ms on, {off} ms off | {} | {} | {} | {} | {} | {} |",
                line.name(),
                a.sent,
                a.missed,
                a.extra,
                b.missed,
                b.extra
            );
            if got != REPEATS {
                failed.push(format!(
                    "{on} ms on, {off} ms off, {}: heard {}",
                    line.name(),
                    placed(&ours(&heard))
                ));
            }
        }
    }
    println!();
    failures("relaygate", &failed);
}

// ---------------------------------------------------------------------
// 2. Talk-off: speech, music, TTY tones
// ---------------------------------------------------------------------

struct Signal {
    name: String,
    samples: Vec<i16>,
}

fn wav(path: &Path) -> Vec<i16> {
    let (rate, samples) = read_wav(path);
    assert_eq!(rate as usize, RATE, "{}", path.display());
    samples
}

fn talk_off(dir: &TempDir, cost_audio: &mut Vec<i16>) {
    let categories = [
        ("speech", speech(dir)),
        ("music", music(dir)),
        ("TTY tones", tty_tones()),
    ];
    println!("### False digits (talk-off): every digit heard is false\n");
    println!(
        "| signal | seconds | relaygate false digits | relaygate per minute | \
         spandsp false digits | spandsp per minute |"
    );
    println!("|---|---|---|---|---|---|");
    let mut failed = Vec::new();
    let mut theirs_failed = Vec::new();
    for (category, signals) in &categories {
        let (mut seconds, mut a_total, mut b_total) = (0.0, 0, 0);
        for s in signals {
            let secs = s.samples.len() as f64 / RATE as f64;
            let a = ours(&s.samples);
            let b = theirs(&s.samples);
            println!(
                "| {category}: {} | {secs:.1} | {} | {} | {} | {} |",
                s.name,
                a.len(),
                per_minute(a.len(), secs),
                b.len(),
                per_minute(b.len(), secs)
            );
            if !a.is_empty() {
                failed.push(format!("{category}, {}: {}", s.name, placed(&a)));
            }
            if !b.is_empty() {
                theirs_failed.push(format!("{category}, {}: {b:?}", s.name));
            }
            seconds += secs;
            a_total += a.len();
            b_total += b.len();
            cost_audio.extend_from_slice(&s.samples);
        }
        assert!(seconds >= 60.0, "{category}: only {seconds:.0} s");
        println!(
            "| **{category}, all** | **{seconds:.1}** | **{a_total}** | **{}** | **{b_total}** | **{}** |",
            per_minute(a_total, seconds),
            per_minute(b_total, seconds)
        );
    }
    println!();
    if failed.is_empty() {
        println!("relaygate: no digit in any of these signals.\n");
    } else {
        println!("relaygate heard digits in:\n");
        for f in &failed {
            println!("- {f}");
        }
        println!();
    }
    if !theirs_failed.is_empty() {
        println!("spandsp heard digits in:\n");
        for f in &theirs_failed {
            println!("- {f}");
        }
        println!();
    }
}

fn per_minute(n: usize, seconds: f64) -> String {
    format!("{:.2}", n as f64 * 60.0 / seconds)
}

/// JFK over a telephone line eight ways, and relaygate's own voice.
fn speech(dir: &TempDir) -> Vec<Signal> {
    let mut out = Vec::new();
    let jfk = jfk_wav();
    let variants: [(&str, &[&str]); 8] = [
        ("JFK as recorded", &["gain", "-n", "-3"]),
        (
            "JFK slower (speed 0.9)",
            &["speed", "0.9", "gain", "-n", "-3"],
        ),
        (
            "JFK faster (speed 1.12)",
            &["speed", "1.12", "gain", "-n", "-3"],
        ),
        ("JFK 3 semitones up", &["pitch", "300", "gain", "-n", "-3"]),
        (
            "JFK 4 semitones down",
            &["pitch", "-400", "gain", "-n", "-3"],
        ),
        (
            "JFK drawn out (tempo 0.8)",
            &["tempo", "0.8", "gain", "-n", "-3"],
        ),
        ("JFK 20 dB quieter", &["gain", "-n", "-23"]),
        ("JFK reversed", &["reverse", "gain", "-n", "-3"]),
    ];
    for (i, (name, effects)) in variants.iter().enumerate() {
        let var = dir.join(&format!("jfk-{i}.wav"));
        sox_convert(&jfk, &["-b", "16"], &var, effects);
        let line = telephone(&var, &format!("dtmf-bench-{i}"));
        let samples = wav(&line);
        if let Some(parent) = line.parent() {
            let _ = fs::remove_dir_all(parent);
        }
        out.push(Signal {
            name: format!("{name}, telephone line (300-3400 Hz, mu-law)"),
            samples,
        });
    }

    // relaygate's voice: built-in profiles and two more pitches, a
    // different paragraph each, through mu-law as a call carries it.
    let custom = |name: &str, pitch: u8, rate: u32| {
        let path = dir.join(&format!("{name}.toml"));
        fs::write(
            &path,
            format!(
                "name = \"{name}\"\ndescription = \"bench voice\"\nengine = \"espeak\"\n\
                 language = \"en-us\"\nrate_wpm = {rate}\nword_gap_ms = 0\n\
                 phrase_pause_ms = 250\npitch = {pitch}\nvolume = 100\n"
            ),
        )
        .expect("writing a voice profile");
        path.to_str().expect("UTF-8 path").to_owned()
    };
    let low = custom("low", 15, 190);
    let high = custom("high", 90, 165);
    let readings: [(&str, &str, &str); 6] = [
        (
            "standard",
            "standard voice",
            "Thank you for calling Acme Bank. My name is Zach and I will be helping you \
             today. I can see the two charges from the fourteenth of March, both for forty two \
             dollars and fifty cents, and I agree that one of them should not be there. I am \
             sending the refund now; the reference is six, two, zero, nine, three. It will show \
             as pending until half past five on Friday afternoon.",
        ),
        (
            "slow",
            "slow voice",
            "Before we go on, I need to check a few details with you. Could you please tell \
             me the first line of your address, and the postcode? Thank you. And the date of \
             birth on the account? That all matches. Now, the card ending in four four seven \
             one: is that the one you still use, or has it been replaced?",
        ),
        (
            low.as_str(),
            "low-pitched voice (pitch 15, 190 wpm)",
            "Your order left our warehouse on Tuesday morning and the courier expects to \
             deliver it tomorrow between nine and one. If nobody is home, they will leave a \
             card with a number to call, or you can pick the parcel up from the depot on Mill \
             Road, which is open until eight in the evening, seven days a week.",
        ),
        (
            high.as_str(),
            "high-pitched voice (pitch 90, 165 wpm)",
            "I am sorry about the wait today; we have had a lot of calls since the storm. \
             The engineer can come out on Thursday the twenty third, any time from eight in \
             the morning until noon. Please make sure someone over eighteen is at home, and \
             that the meter cupboard is clear. Is there anything else I can help with?",
        ),
        (
            "spanish",
            "Spanish voice",
            "Gracias por llamar. Su pedido número cuatro cuatro siete uno dos salió ayer \
             del almacén y llegará el jueves por la mañana. El saldo pendiente es de doscientos \
             cincuenta euros, con vencimiento el día nueve. Por favor, no cuelgue mientras \
             reviso su cuenta; puede tardar uno o dos minutos.",
        ),
        (
            "standard",
            "standard voice, numbers",
            "Please write down these numbers. Your case number is 4 8 1 5 1 6 2 3 4 2. The \
             direct line is 0 8 0 0, 5 5 5, 0 1 9 9, and the extension is 7 7 3. Your \
             appointment is at 10:45 on 12/06, and the amount due is $1,284.37. Press one to \
             hear this again, or stay on the line.",
        ),
    ];
    for (i, (voice, name, text)) in readings.iter().enumerate() {
        let path = dir.join(&format!("tts-{i}.wav"));
        let run = relaygate()
            .args(["tts", "say", "--voice", voice, "--output"])
            .arg(&path)
            .arg(text)
            .output()
            .expect("relaygate runs");
        assert!(
            run.status.success(),
            "relaygate tts say: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        // The built-in English profiles use the neural voice when it is
        // installed and say so on stderr when they fall back to espeak-ng.
        let engine = if !["standard", "slow"].contains(voice) {
            "espeak-ng"
        } else if String::from_utf8_lossy(&run.stderr).contains("warning") {
            "espeak-ng fallback"
        } else {
            "neural"
        };
        out.push(Signal {
            name: format!("relaygate tts say, {name}, {engine} (mu-law)"),
            samples: Line::Law(Codec::Pcmu).carry(&wav(&path)),
        });
    }
    out
}

/// Frequency of MIDI note `n` (A4 = 69 = 440 Hz).
fn midi(n: i32) -> f64 {
    440.0 * 2f64.powf(f64::from(n - 69) / 12.0)
}

/// Runs sox with `-R` (repeatable): `input` (the null file and its
/// channels), an 8 kHz 16-bit mono output, then `effects`; each a
/// whitespace-separated list.
fn sox_file(dir: &TempDir, name: &str, input: &str, effects: &str) -> Vec<i16> {
    let path = dir.join(name);
    let output = path.to_str().expect("UTF-8 path");
    let args = format!("{input} -r 8000 -b 16 -c 1 {output} {effects}");
    sox(args.split_whitespace());
    wav(&path)
}

/// Effect chains joined with sox's `:` (played one after the other).
fn chains(parts: impl IntoIterator<Item = String>) -> String {
    parts.into_iter().collect::<Vec<_>>().join(" : ")
}

/// Strummed plucked chords: I-V-vi-IV-ii-V7-III-I in C, six strings each.
fn chords(dir: &TempDir) -> Vec<i16> {
    let progression: [[i32; 6]; 8] = [
        [48, 55, 60, 64, 67, 72], // C
        [43, 50, 55, 59, 62, 67], // G
        [45, 52, 57, 60, 64, 69], // Am
        [41, 48, 53, 57, 60, 65], // F
        [50, 57, 62, 65, 69, 74], // Dm
        [43, 50, 53, 59, 62, 65], // G7
        [52, 59, 64, 68, 71, 76], // E
        [48, 55, 60, 64, 67, 72], // C
    ];
    let mut out = Vec::new();
    for (i, notes) in progression.iter().enumerate() {
        // Down-strokes fast, up-strokes slower.
        let strum = if i % 2 == 0 { 0.018 } else { 0.035 };
        let plucks: String = notes
            .iter()
            .map(|&n| format!(" pluck {:.2}", midi(n)))
            .collect();
        let delays: String = (0..notes.len())
            .map(|k| format!(" {:.3}", k as f64 * strum))
            .collect();
        let effects = format!("synth 1.8{plucks} delay{delays} remix - vol 0.5 fade 0 1.8 0.3");
        out.extend(sox_file(
            dir,
            &format!("chord-{i}.wav"),
            "-c 6 -n",
            &effects,
        ));
    }
    out
}

/// Plucked arpeggios over three octaves, up and down, at two speeds.
fn arpeggios(dir: &TempDir) -> Vec<i16> {
    let shapes: [[i32; 4]; 4] = [
        [48, 52, 55, 59], // Cmaj7
        [45, 48, 52, 55], // Am7
        [50, 53, 57, 60], // Dm7
        [43, 47, 50, 53], // G7
    ];
    let mut out = Vec::new();
    for (speed, note) in [(0, 0.11), (1, 0.075)] {
        let mut notes = Vec::new();
        for shape in shapes {
            let mut up: Vec<i32> = (0..3)
                .flat_map(|octave| shape.iter().map(move |n| n + 12 * octave))
                .collect();
            up.push(shape[0] + 36);
            notes.extend(up.iter().chain(up.iter().rev().skip(1)).copied());
        }
        let effects = chains(
            notes
                .iter()
                .map(|&n| format!("synth {note} pluck {:.2}", midi(n))),
        );
        out.extend(sox_file(dir, &format!("arp-{speed}.wav"), "-n", &effects));
    }
    out
}

/// A melody, each note a fundamental with three harmonics; the same
/// melody an octave down as a sawtooth; a square-wave bass line.
fn melodies(dir: &TempDir) -> Vec<i16> {
    // Ode to Joy in D (D5 = 74): its F#5's octave sits on 1477 Hz.
    let notes = [
        78, 78, 79, 81, 81, 79, 78, 76, 74, 74, 76, 78, 78, 76, 76, 78, 78, 79, 81, 81, 79, 78, 76,
        74, 74, 76, 78, 76, 74, 74,
    ];
    let beats = [
        0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.6, 0.2, 0.8, 0.4, 0.4, 0.4,
        0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.6, 0.2, 0.8,
    ];
    let tune = || notes.into_iter().zip(beats);
    let mut out = Vec::new();
    // Harmonics 1, 2, 3 and 5 at falling weights, a short attack and release.
    let effects = chains(tune().map(|(n, d)| {
        let f = midi(n);
        format!(
            "synth {d} sine {:.2} sine {:.2} sine {:.2} sine {:.2} \
             remix 1v0.5,2v0.22,3v0.13,4v0.07 fade 0.02 {d} 0.06",
            f,
            2.0 * f,
            3.0 * f,
            5.0 * f
        )
    }));
    out.extend(sox_file(dir, "melody-harmonics.wav", "-c 4 -n", &effects));
    let effects = chains(tune().map(|(n, d)| {
        format!(
            "synth {d} sawtooth {:.2} fade 0.01 {d} 0.05 vol 0.5",
            midi(n - 12)
        )
    }));
    out.extend(sox_file(dir, "melody-saw.wav", "-n", &effects));
    let bass = [
        38, 45, 50, 45, 43, 50, 55, 50, 45, 52, 57, 52, 38, 45, 50, 57,
    ];
    let effects = chains(bass.iter().map(|&n| {
        format!(
            "synth 0.3 square {:.2} square {:.2} remix - vol 0.4 lowpass 2500",
            midi(n),
            midi(n + 24)
        )
    }));
    out.extend(sox_file(dir, "bass.wav", "-c 2 -n", &effects));
    out
}

/// Each piece at three levels: loud on linear PCM, then mu-law, then A-law.
fn music(dir: &TempDir) -> Vec<Signal> {
    let pieces = [
        ("strummed plucked chords", chords(dir)),
        ("plucked arpeggios", arpeggios(dir)),
        (
            "melody with harmonics, sawtooth melody, square bass",
            melodies(dir),
        ),
    ];
    let mut out = Vec::new();
    for (name, samples) in &pieces {
        for (dbfs, line) in [
            (-9.0, Line::Linear),
            (-18.0, Line::Law(Codec::Pcmu)),
            (-27.0, Line::Law(Codec::Pcma)),
        ] {
            out.push(Signal {
                name: format!("{name}, {dbfs} dBFS, {}", line.name()),
                samples: line.carry(&channel::set_level_dbfs(samples, dbfs)),
            });
        }
    }
    out
}

/// TTY tones: relaygate's encoder, minimodem and spandsp.
fn tty_tones() -> Vec<Signal> {
    let text = format!("{}{}", peers::dialogue(), peers::numbers_dialogue());
    let (ours, rate) = peers::relaygate_encode(&text, &[]);
    assert_eq!(rate as usize, RATE);
    let minimodem = peers::minimodem_tx(&peers::dialogue(), &MinimodemTx::default());
    let spandsp = peers::spandsp_tx(&peers::numbers_dialogue(), false);
    vec![
        Signal {
            name: "relaygate tty encode, both test dialogues, mu-law".into(),
            samples: Line::Law(Codec::Pcmu).carry(&ours),
        },
        Signal {
            name: "minimodem --tx tdd, dialogue, -16 dBFS".into(),
            samples: channel::set_level_dbfs(&minimodem, -16.0),
        },
        Signal {
            name: "spandsp V.18 45 baud, numbers dialogue, A-law".into(),
            samples: Line::Law(Codec::Pcma).carry(&spandsp),
        },
    ]
}

// ---------------------------------------------------------------------
// 3. Cost
// ---------------------------------------------------------------------

/// CPU time this thread has run, seconds (Linux schedstat, ns).
fn thread_cpu() -> Option<f64> {
    let s = fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// User + system time of this process's waited-for children, seconds.
fn children_cpu() -> Option<f64> {
    let s = fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = s[s.rfind(')')? + 1..].split_whitespace().collect();
    // Fields 16 and 17 of stat(5) (cutime, cstime); 3 is fields[0].
    let ticks: f64 = fields.get(13)?.parse::<f64>().ok()? + fields.get(14)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux ABI.
    Some(ticks / 100.0)
}

/// CPU seconds of `f` on this thread (wall time where schedstat is
/// missing), best of three.
fn best_cpu<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..3 {
        let (c0, w0) = (thread_cpu(), Instant::now());
        let out = black_box(f());
        let took = match (c0, thread_cpu()) {
            (Some(a), Some(b)) => b - a,
            _ => w0.elapsed().as_secs_f64(),
        };
        best = best.min(took);
        last = Some(out);
    }
    (best, last.expect("ran"))
}

fn frame_energy(samples: &[i16]) -> f32 {
    let mut loudest = 0f32;
    for frame in samples.chunks(FRAME) {
        let e: f32 = frame
            .iter()
            .map(|&x| {
                let x = f32::from(x);
                x * x
            })
            .sum();
        loudest = loudest.max(black_box(e));
    }
    loudest
}

fn cost(audio: &[i16]) {
    let mut long = Vec::with_capacity(COST_SECONDS * RATE);
    while long.len() < COST_SECONDS * RATE {
        long.extend_from_slice(audio);
    }
    long.truncate(COST_SECONDS * RATE);
    let seconds = long.len() as f64 / RATE as f64;
    let (ours_cpu, keys) = best_cpu(|| ours(black_box(&long)).len());
    let (energy_cpu, _) = best_cpu(|| frame_energy(black_box(&long)));
    // spandsp: the peer's own CPU time, best of three, and its wall time.
    let mut spandsp_cpu = f64::INFINITY;
    let mut spandsp_wall = f64::INFINITY;
    let mut spandsp_keys = 0;
    for _ in 0..3 {
        let c0 = children_cpu();
        let t = Instant::now();
        spandsp_keys = theirs(&long).len();
        let wall = t.elapsed().as_secs_f64();
        if let (Some(a), Some(b)) = (c0, children_cpu()) {
            spandsp_cpu = spandsp_cpu.min(b - a);
        }
        spandsp_wall = spandsp_wall.min(wall);
    }
    println!("### Cost: {seconds:.0} s of 8 kHz audio (the signals above, looped), one thread\n");
    println!(
        "| detector | CPU seconds | fraction of one core | channels per core | digits heard |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| relaygate DtmfDetector (in process, 20 ms frames) | {ours_cpu:.3} | {:.5} | {:.0} | {keys} |",
        ours_cpu / seconds,
        seconds / ours_cpu
    );
    if spandsp_cpu.is_finite() {
        println!(
            "| spandsp dtmf_rx (peer process, user + system, incl. reading the file) | {spandsp_cpu:.2} | {:.5} | {:.0} | {spandsp_keys} |",
            spandsp_cpu / seconds,
            seconds / spandsp_cpu
        );
    }
    println!(
        "| spandsp dtmf_rx, wall time incl. writing the file and starting the process | {spandsp_wall:.2} | {:.5} | {:.0} | {spandsp_keys} |",
        spandsp_wall / seconds,
        seconds / spandsp_wall
    );
    println!(
        "| plain pass: energy of each 160-sample frame | {energy_cpu:.4} | {:.6} | {:.0} | - |",
        energy_cpu / seconds,
        seconds / energy_cpu
    );
    println!();
    if spandsp_cpu.is_finite() && spandsp_cpu > 0.0 {
        println!(
            "relaygate / spandsp CPU time: {:.2}; relaygate / frame-energy pass: {:.1}",
            ours_cpu / spandsp_cpu,
            ours_cpu / energy_cpu
        );
    } else {
        println!(
            "relaygate / frame-energy pass: {:.1}",
            ours_cpu / energy_cpu
        );
    }
}
