//! Feeds arbitrary bytes to the demodulator as i16 samples, at a sample
//! rate, baud mode and block sizes also taken from the input: it must
//! never panic, and the frames it reports must make sense.
//!
//! Input layout: byte 0 picks the sample rate, byte 1 the baud mode,
//! bytes 2..6 four block sizes used in turn, the rest little-endian
//! samples. `tests/fuzz_smoke.rs` runs the same body on stable Rust;
//! keep the two in step.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relaygate::modem::{BaudMode, Demodulator};

/// The rates the CLI accepts, then any rate from 4 kHz up.
fn rate(b: u8) -> u32 {
    match b {
        0..=127 => [8000, 16000, 44100, 48000][usize::from(b % 4)],
        _ => 4000 + u32::from(b - 128) * 500,
    }
}

/// Automatic, or a fixed rate from 0 to 127.5 baud in half-baud steps
/// (the demodulator clamps out-of-range rates).
fn mode(b: u8) -> BaudMode {
    if b < 64 {
        BaudMode::Auto
    } else {
        BaudMode::Fixed(f64::from(b - 64) * 2.0)
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let (rate, mode) = (rate(data[0]), mode(data[1]));
    let sizes: Vec<usize> = data[2..6].iter().map(|&b| usize::from(b) * 8 + 1).collect();
    let samples: Vec<i16> = data[6..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();

    let mut demod = Demodulator::new(rate, mode);
    let mut frames = Vec::new();
    // An empty block must be harmless too.
    demod.push(&[], &mut frames);
    let mut rest = &samples[..];
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (block, tail) = rest.split_at(size.min(rest.len()));
        demod.push(block, &mut frames);
        rest = tail;
    }
    demod.flush(&mut frames);

    // What flush adds: 0.4 s of silence.
    let fed = samples.len() as u64 + u64::from(rate) * 2 / 5;
    let mut last = None;
    for f in &frames {
        assert!(f.code < 32, "{f:?}");
        assert!(f.sample < fed, "{f:?} after the end of {fed} samples");
        assert!(
            last.is_none_or(|l| f.sample > l),
            "{f:?} not after {last:?}"
        );
        assert!(f.baud.is_finite() && f.baud > 0.0, "{f:?}");
        last = Some(f.sample);
    }
    assert!(!demod.in_burst(), "flush must forget the sender");
});
