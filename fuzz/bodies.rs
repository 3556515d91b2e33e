//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs`
//! (libFuzzer, nightly) and `tests/fuzz_smoke.rs` (proptest, stable, on
//! every `cargo test`), so both always check the same things.
//!
//! Demodulator input layout: byte 0 picks the sample rate, byte 1 the
//! baud mode, bytes 2..6 four block sizes used in turn, the rest
//! little-endian samples.

// Each target and test uses only some of the bodies.
#![allow(dead_code)]

use relaygate::audio::wav;
use relaygate::modem::{BaudMode, Demodulator, RxFrame};

/// The rates the CLI accepts, then any rate from 4 kHz up.
pub fn rate(b: u8) -> u32 {
    match b {
        0..=127 => [8000, 16000, 44100, 48000][usize::from(b % 4)],
        _ => 4000 + u32::from(b - 128) * 500,
    }
}

/// Automatic, or a fixed rate from 0 to 127.5 baud in half-baud steps
/// (the demodulator clamps out-of-range rates).
pub fn mode(b: u8) -> BaudMode {
    if b < 64 {
        BaudMode::Auto
    } else {
        BaudMode::Fixed(f64::from(b - 64) * 2.0)
    }
}

/// Feeds `data` to a demodulator: it must never panic, and the frames it
/// reports must make sense. Returns them, so tests can check the input
/// reached the frame decisions.
pub fn demodulator(data: &[u8]) -> Vec<RxFrame> {
    if data.len() < 6 {
        return Vec::new();
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
    frames
}

/// Feeds `data` to the WAV reader: an error or samples, never a panic,
/// and never audio the input does not hold.
pub fn wav_reader(data: &[u8]) {
    if let Ok((spec, samples)) = wav::read_all(data) {
        // Every sample comes from at least one input byte, so a header
        // declaring a huge size cannot make the reader allocate beyond it.
        assert!(samples.len() <= data.len());
        assert_eq!(spec.channels, 1);
        assert!(spec.sample_rate > 0);
    }
}
