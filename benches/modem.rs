//! `cargo bench --bench modem`: our Baudot decoder beside minimodem and
//! libspandsp on the same signals, measured in the same run.
//!
//! Every condition is built from one ~320-character dialogue sent by a
//! real third-party modulator (minimodem), then passed through the line
//! model in `relaygate::modem::channel`. Each decoder gets the settings
//! that suit it best where it has them (minimodem is told the sender's
//! stop bits; spandsp gets its 50-baud mode for 50-baud signals); ours
//! always runs on its defaults (`--baud auto`). The output is Markdown,
//! pasted into docs/benchmarks.md.
//!
//! A second table uses a conversation with numbers and words after spaces
//! in figures, sent by spandsp and by minimodem, whose shift habits there
//! differ; each decoder reads it on its defaults.

#[path = "../tests/common/mod.rs"]
mod common;

use std::ffi::OsStr;
use std::time::Instant;

use common::cli::{espeak, sox_convert};
use common::modem::{decode, encode};
use common::peers::{self, MinimodemTx, char_error_rate};
use relaygate::audio::wav::SampleFormat;
use relaygate::modem::{BaudMode, Demodulator, LineParams, channel};
use relaygate::text::baudot::Table;
use relaygate::text::shift_habit::{HabitDecoder, UnshiftOnSpace};

const SEEDS: [u64; 3] = [1, 2, 3];

struct Case {
    name: String,
    /// Signals (one per seed) and the sender's stop bits and baud.
    signals: Vec<Vec<i16>>,
    stop_bits: f64,
    baud50: bool,
}

fn main() {
    let text = peers::dialogue();
    let tx = |opts: MinimodemTx| peers::minimodem_tx(&text, &opts);
    // minimodem writes full scale; a line carries TTY tones well below
    // that, and the noise cases must not clip.
    let base = channel::set_level_dbfs(&pad(tx(MinimodemTx::default())), -16.0);
    let mut cases = Vec::new();
    let one = |name: &str, s: Vec<i16>, stop_bits: f64, baud50: bool| Case {
        name: name.to_owned(),
        signals: vec![s],
        stop_bits,
        baud50,
    };
    cases.push(one("clean, 45.45 baud, 1.5 stop", base.clone(), 1.5, false));
    for stop in [1.0, 2.0] {
        let s = pad(tx(MinimodemTx {
            stop_bits: stop,
            ..MinimodemTx::default()
        }));
        cases.push(one(&format!("{stop} stop bits"), s, stop, false));
    }
    for baud in [42.0, 47.6, 50.0] {
        let s = pad(tx(MinimodemTx {
            baud,
            ..MinimodemTx::default()
        }));
        cases.push(one(&format!("{baud} baud"), s, 1.5, baud == 50.0));
    }
    for k in [-8.0, 8.0] {
        let f = 1.0 + k / 100.0;
        let s = pad(tx(MinimodemTx {
            mark: 1400.0 * f,
            space: 1800.0 * f,
            ..MinimodemTx::default()
        }));
        cases.push(one(&format!("tone offset {k:+} %"), s, 1.5, false));
    }
    cases.push(one(
        "level -50 dBFS",
        channel::set_level_dbfs(&base, -50.0),
        1.5,
        false,
    ));
    for (name, law) in [
        ("mu-law", SampleFormat::MuLaw),
        ("A-law", SampleFormat::ALaw),
    ] {
        let s = channel::g711_round_trip(&base, law);
        cases.push(one(&format!("G.711 {name} round trip"), s, 1.5, false));
    }
    let spandsp = pad(peers::spandsp_tx(&text, false));
    cases.push(one("sent by spandsp (45 baud)", spandsp, 2.0, false));
    let spandsp50 = pad(peers::spandsp_tx(&text, true));
    cases.push(one("sent by spandsp (50 baud)", spandsp50, 2.0, true));
    for snr in [-6.0, -9.0] {
        cases.push(Case {
            name: format!("white noise, SNR {snr} dB"),
            signals: SEEDS
                .iter()
                .map(|&s| channel::add_white_noise(&base, snr, s))
                .collect(),
            stop_bits: 1.5,
            baud50: false,
        });
    }
    for loss in [0.01, 0.05] {
        cases.push(Case {
            name: format!("{} % packet loss (20 ms)", loss * 100.0),
            signals: SEEDS
                .iter()
                .map(|&s| channel::drop_packets(&base, 8000, 20, loss, s))
                .collect(),
            stop_bits: 1.5,
            baud50: false,
        });
    }

    println!(
        "## Character error rate (dialogue of {} characters)\n",
        text.trim().len()
    );
    println!("| condition | relaygate | minimodem | spandsp |");
    println!("|---|---|---|---|");
    for case in &cases {
        let mut ours = 0.0;
        let mut mm = 0.0;
        let mut sp = 0.0;
        for s in &case.signals {
            ours += char_error_rate(&text, &decode(s, 8000, BaudMode::Auto));
            mm += char_error_rate(&text, &peers::minimodem_rx(s, 8000, Some(case.stop_bits)));
            sp += char_error_rate(&text, &peers::spandsp_rx(s, case.baud50));
        }
        let n = case.signals.len() as f64;
        println!(
            "| {} | {} | {} | {} |",
            case.name,
            pct(ours / n),
            pct(mm / n),
            pct(sp / n)
        );
    }

    numbers_after_spaces();

    println!("\n## False characters on signals that are not TTY tones\n");
    println!("| signal | relaygate | minimodem | spandsp |");
    println!("|---|---|---|---|");
    let speech = speech_60s();
    let false_cases = [
        ("speech, 60 s (espeak-ng)", speech),
        (
            "dial tone 350+440 Hz, 60 s",
            channel::dial_tone(8000, 60.0, -10.0),
        ),
        (
            "ringback 440+480 Hz, 60 s",
            channel::ringback(8000, 60.0, -10.0),
        ),
        (
            "white noise, 60 s",
            channel::white_noise(8000, 60.0, -10.0, 9),
        ),
    ];
    for (name, s) in &false_cases {
        let ours = visible(&decode(s, 8000, BaudMode::Auto));
        let mm = visible(&peers::minimodem_rx(s, 8000, None));
        let sp = visible(&peers::spandsp_rx(s, false));
        println!("| {name} | {ours} | {mm} | {sp} |");
    }

    println!("\n## Our encoder, decoded by the others\n");
    println!("| receiver | character error rate |");
    println!("|---|---|");
    let ours = encode(
        &text,
        LineParams {
            stop_bits: 2.0,
            ..LineParams::default()
        },
        8000,
    );
    let ours15 = encode(&text, LineParams::default(), 8000);
    let rows = [
        (
            "minimodem --rx tdd (2 stop bits sent)",
            peers::minimodem_rx(&ours, 8000, None),
        ),
        (
            "minimodem --rx tdd --stopbits 1.5 (2 stop bits sent)",
            peers::minimodem_rx(&ours, 8000, Some(1.5)),
        ),
        (
            "minimodem --rx tdd --stopbits 1.5 (1.5 stop bits sent)",
            peers::minimodem_rx(&ours15, 8000, Some(1.5)),
        ),
        (
            "minimodem --rx tdd (1.5 stop bits sent: it needs --stopbits 1.5)",
            peers::minimodem_rx(&ours15, 8000, None),
        ),
        (
            "spandsp V.18 45 baud (2 stop bits sent)",
            peers::spandsp_rx(&ours, false),
        ),
        (
            "spandsp V.18 45 baud (1.5 stop bits sent)",
            peers::spandsp_rx(&ours15, false),
        ),
    ];
    for (name, got) in rows {
        println!("| {name} | {} |", pct(char_error_rate(&text, &got)));
    }

    speed(&base);
}

/// Decoding cost: real-time factor on one core and what it means in
/// channels, with the other decoders timed on the same 10-minute file.
fn speed(base: &[i16]) {
    let mut long = Vec::new();
    while long.len() < 8000 * 600 {
        long.extend_from_slice(base);
    }
    let seconds = long.len() as f64 / 8000.0;
    let t = Instant::now();
    let got = decode(&long, 8000, BaudMode::Auto);
    let ours = t.elapsed().as_secs_f64();
    assert!(!got.is_empty());
    let t = Instant::now();
    peers::minimodem_rx(&long, 8000, Some(1.5));
    let mm = t.elapsed().as_secs_f64();
    let t = Instant::now();
    peers::spandsp_rx(&long, false);
    let sp = t.elapsed().as_secs_f64();
    println!("\n## Decoding cost ({seconds:.0} s of 8 kHz audio, one thread)\n");
    println!("| decoder | seconds | real-time factor | channels per core |");
    println!("|---|---|---|---|");
    for (name, s) in [
        ("relaygate", ours),
        ("minimodem (process, incl. file I/O)", mm),
        ("spandsp (process, incl. file I/O)", sp),
    ] {
        println!(
            "| {name} | {s:.3} | {:.5} | {:.0} |",
            s / seconds,
            seconds / s
        );
    }
    println!(
        "\nrelaygate / minimodem time ratio: {:.2}; relaygate / spandsp: {:.2}",
        ours / mm,
        ours / sp
    );
}

/// Character error rates on [`peers::numbers_dialogue`]: whole (the
/// sender's habit shows early on) and a line at a time (each line a new
/// call, so the first number after a space comes before any clue).
fn numbers_after_spaces() {
    let text = peers::numbers_dialogue();
    println!(
        "\n## Words and numbers after spaces in figures ({} characters)\n",
        text.trim().len()
    );
    println!("| sent by | relaygate | minimodem | spandsp |");
    println!("|---|---|---|---|");
    // (sender, whether it is spandsp, 50 baud, also a line at a time)
    let senders = [
        ("spandsp, 45 baud", true, false, true),
        ("spandsp, 50 baud", true, true, false),
        ("minimodem, 45.45 baud, 1.5 stop", false, false, true),
        ("minimodem, 50 baud, 1.5 stop", false, true, false),
    ];
    for (name, spandsp, baud50, by_line) in senders {
        let send = |t: &str| {
            pad(if spandsp {
                peers::spandsp_tx(t, baud50)
            } else {
                let baud = if baud50 { 50.0 } else { 45.45 };
                peers::minimodem_tx(
                    t,
                    &MinimodemTx {
                        baud,
                        ..MinimodemTx::default()
                    },
                )
            })
        };
        let stop_bits = if spandsp { 2.0 } else { 1.5 };
        let rates = |expected: &str| {
            let s = send(expected);
            [
                char_error_rate(expected, &decode_default(&s)),
                char_error_rate(expected, &peers::minimodem_rx(&s, 8000, Some(stop_bits))),
                char_error_rate(expected, &peers::spandsp_rx(&s, baud50)),
            ]
        };
        let [ours, mm, sp] = rates(&text);
        println!(
            "| {name}, whole | {} | {} | {} |",
            pct(ours),
            pct(mm),
            pct(sp)
        );
        if !by_line {
            continue;
        }
        // Weighted by line length, as if the lines were one text.
        let mut sums = [0.0; 3];
        let mut total = 0.0;
        for line in peers::NUMBERS_AFTER_SPACES {
            let n = line.len() as f64;
            for (sum, x) in sums.iter_mut().zip(rates(line)) {
                *sum += x * n;
            }
            total += n;
        }
        println!(
            "| {name}, a line at a time | {} | {} | {} |",
            pct(sums[0] / total),
            pct(sums[1] / total),
            pct(sums[2] / total)
        );
    }
}

/// What relaygate prints on its defaults: as [`decode`], which pins
/// unshift-on-space on, but with the default `auto`, which learns the
/// sender's habit after spaces in figures.
fn decode_default(samples: &[i16]) -> String {
    let mut demod = Demodulator::new(8000, BaudMode::Auto);
    let mut frames = Vec::new();
    for block in samples.chunks(160) {
        demod.push(block, &mut frames);
    }
    demod.flush(&mut frames);
    let mut decoder = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
    let mut text = String::new();
    for f in &frames {
        decoder.push_code(f.code, &mut text);
    }
    decoder.flush(&mut text);
    text
}

fn pad(mut s: Vec<i16>) -> Vec<i16> {
    let mut out = vec![0i16; 4000];
    out.append(&mut s);
    out.extend(std::iter::repeat_n(0, 4000));
    out
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn visible(s: &str) -> String {
    let n = s.chars().filter(|c| !c.is_whitespace()).count();
    n.to_string()
}

/// About 60 s of English speech from espeak-ng at 8 kHz, several voices.
fn speech_60s() -> Vec<i16> {
    let dir = std::env::temp_dir().join(format!("relaygate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = "Thank you for calling. Your account shows two charges from the fourteenth \
        of March, and I can see why that looks wrong. Let me check the details with the \
        billing team, it will only take a moment. While we wait, could you confirm the \
        postcode on the account and the last four digits of the card? Perfect, that matches. \
        The refund will appear within three to five working days, and you will get a letter \
        confirming it. Is there anything else I can help you with today?";
    let mut all = Vec::new();
    for (i, voice) in ["en-us", "en", "en-us+f3", "en+m3", "en-us+f2"]
        .iter()
        .enumerate()
    {
        let raw = dir.join(format!("v{i}.wav"));
        let low = dir.join(format!("v{i}-8k.wav"));
        let rate = (140 + 15 * i).to_string();
        let args = ["-v", voice, "-s", &rate, "-w"].map(OsStr::new);
        espeak(args.into_iter().chain([raw.as_os_str(), OsStr::new(text)]));
        sox_convert(&raw, &["-r", "8000", "-c", "1", "-b", "16"], &low, &[]);
        let file = std::fs::File::open(&low).expect("sox output");
        let (_, s) = relaygate::audio::wav::read_all(std::io::BufReader::new(file)).expect("wav");
        all.extend(s);
        if all.len() >= 8000 * 60 {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    all.truncate(8000 * 60);
    all
}
