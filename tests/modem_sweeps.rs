//! Channel sweeps: our modulator -> line model -> our demodulator, with
//! the character error rate held under a threshold at each condition.

use relaygate::audio::wav::SampleFormat;
use relaygate::modem::channel;
use relaygate::modem::{BaudMode, Demodulator, LineParams, Modulator};
use relaygate::text::baudot::{Decoder, Encoder, Table};

const DIALOGUE: &str = include_str!("data/dialogue.txt");

fn encode(text: &str, params: LineParams, rate: u32) -> Vec<i16> {
    let (codes, bad) = Encoder::new(Table::Us).encode(text);
    assert!(bad.is_empty());
    let mut m = Modulator::new(params, rate);
    m.push_codes(&codes);
    let mut out = vec![0i16; rate as usize / 2];
    let mut block = vec![0i16; 1000];
    loop {
        let n = m.fill(&mut block);
        out.extend_from_slice(&block[..n]);
        if n < block.len() {
            break;
        }
    }
    out.extend(std::iter::repeat_n(0, rate as usize / 2));
    out
}

fn decode(samples: &[i16], rate: u32, mode: BaudMode) -> String {
    let mut d = Demodulator::new(rate, mode);
    let mut frames = Vec::new();
    for b in samples.chunks(160) {
        d.push(b, &mut frames);
    }
    d.flush(&mut frames);
    let mut dec = Decoder::new(Table::Us, true);
    frames
        .iter()
        .filter_map(|f| dec.push_code(f.code))
        .collect()
}

fn cer(expected: &str, got: &str) -> f64 {
    let a: Vec<char> = expected.trim().chars().collect();
    let b: Vec<char> = got.trim().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] as f64 / a.len().max(1) as f64
}

fn clean() -> Vec<i16> {
    encode(DIALOGUE, LineParams::default(), 8000)
}

#[test]
fn sweep_report() {
    let base = clean();
    for snr in [-3.0, -6.0, -7.5, -9.0] {
        for seed in 1..=3 {
            let s = channel::add_white_noise(&base, snr, seed);
            let got = decode(&s, 8000, BaudMode::Auto);
            eprintln!("snr {snr} seed {seed}: cer {:.4}", cer(DIALOGUE, &got));
        }
    }
    for loss in [0.01, 0.05] {
        for seed in 1..=3 {
            let s = channel::drop_packets(&base, 8000, 20, loss, seed);
            let got = decode(&s, 8000, BaudMode::Auto);
            eprintln!("loss {loss} seed {seed}: cer {:.4}", cer(DIALOGUE, &got));
        }
    }
    for k in [0.92, 0.96, 1.04, 1.08] {
        let p = LineParams {
            mark_hz: 1400.0 * k,
            space_hz: 1800.0 * k,
            ..LineParams::default()
        };
        let got = decode(&encode(DIALOGUE, p, 8000), 8000, BaudMode::Auto);
        eprintln!("offset {k}: cer {:.4}", cer(DIALOGUE, &got));
    }
    for baud in [42.0, 45.45, 47.6, 50.0] {
        for stop in [1.0, 1.5, 2.0] {
            let p = LineParams {
                baud,
                stop_bits: stop,
                ..LineParams::default()
            };
            let got = decode(&encode(DIALOGUE, p, 8000), 8000, BaudMode::Auto);
            eprintln!("baud {baud} stop {stop}: cer {:.4}", cer(DIALOGUE, &got));
        }
    }
    for db in [-30.0, -50.0] {
        let got = decode(&channel::set_level_dbfs(&base, db), 8000, BaudMode::Auto);
        eprintln!("level {db}: cer {:.4}", cer(DIALOGUE, &got));
    }
    for law in [SampleFormat::MuLaw, SampleFormat::ALaw] {
        let got = decode(&channel::g711_round_trip(&base, law), 8000, BaudMode::Auto);
        eprintln!("{law:?}: cer {:.4}", cer(DIALOGUE, &got));
    }
    let dial = channel::dial_tone(8000, 60.0, -10.0);
    eprintln!("dial: {:?}", decode(&dial, 8000, BaudMode::Auto));
    let ring = channel::ringback(8000, 60.0, -10.0);
    eprintln!("ring: {:?}", decode(&ring, 8000, BaudMode::Auto));
    let noise = channel::white_noise(8000, 60.0, -10.0, 7);
    eprintln!("noise: {:?}", decode(&noise, 8000, BaudMode::Auto));
}

#[test]
fn debug_noise() {
    let base = clean();
    let s = channel::add_white_noise(&base, -9.0, 1);
    eprintln!("{}", decode(&s, 8000, BaudMode::Auto));
    let mut w = std::fs::File::create("/tmp/n6.wav").unwrap();
    relaygate::audio::wav::write_pcm16(&mut w, 8000, &s).unwrap();
    let s = channel::add_white_noise(&base, -9.0, 1);
    let mut w = std::fs::File::create("/tmp/n9.wav").unwrap();
    relaygate::audio::wav::write_pcm16(&mut w, 8000, &s).unwrap();
}
