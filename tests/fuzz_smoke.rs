//! The cargo-fuzz targets' bodies (`fuzz/fuzz_targets/`), run on a few
//! hundred random inputs with proptest, so every `cargo test` on stable
//! Rust checks that the demodulator and the WAV reader survive hostile
//! input. The bodies are copies of the targets'; keep them in step. See
//! docs/fuzzing.md for running the real fuzzer.

use proptest::collection::vec;
use proptest::prelude::*;
use relaygate::audio::wav;
use relaygate::modem::{BaudMode, Demodulator, LineParams, Modulator, RxFrame};
use relaygate::text::baudot::{Encoder, Table};

/// As in fuzz/fuzz_targets/demodulator.rs: the CLI's rates, then any rate
/// from 4 kHz up.
fn rate(b: u8) -> u32 {
    match b {
        0..=127 => [8000, 16000, 44100, 48000][usize::from(b % 4)],
        _ => 4000 + u32::from(b - 128) * 500,
    }
}

/// As in fuzz/fuzz_targets/demodulator.rs: automatic, or a fixed rate from
/// 0 to 127.5 baud.
fn mode(b: u8) -> BaudMode {
    if b < 64 {
        BaudMode::Auto
    } else {
        BaudMode::Fixed(f64::from(b - 64) * 2.0)
    }
}

/// The body of fuzz/fuzz_targets/demodulator.rs; returns the frames so
/// tests can check the input reached the frame decisions.
fn demodulator_body(data: &[u8]) -> Vec<RxFrame> {
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

/// The body of fuzz/fuzz_targets/wav_reader.rs.
fn wav_reader_body(data: &[u8]) {
    if let Ok((spec, samples)) = wav::read_all(data) {
        assert!(samples.len() <= data.len());
        assert_eq!(spec.channels, 1);
        assert!(spec.sample_rate > 0);
    }
}

/// A fuzz input holding real TTY tones at the rate the header picks, so
/// the frame search, validation and tracking run, not just the carrier
/// gate that random bytes mostly stop at.
fn tty_input(header: [u8; 6], text: &str, baud50: bool) -> Vec<u8> {
    let (codes, refused) = Encoder::new(Table::Us).encode(text);
    assert!(refused.is_empty(), "{refused:?}");
    let params = LineParams {
        baud: if baud50 { 50.0 } else { 45.45 },
        ..LineParams::default()
    };
    let mut tx = Modulator::new(params, rate(header[0]));
    tx.push_codes(&codes);
    let mut samples = Vec::new();
    let mut block = [0i16; 4096];
    loop {
        let n = tx.fill(&mut block);
        samples.extend_from_slice(&block[..n]);
        if n < block.len() {
            break;
        }
    }
    let mut data = header.to_vec();
    data.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
    data
}

#[test]
fn clean_tones_reach_the_frame_decisions() {
    // 8 kHz, automatic baud, 20 ms blocks: the input decodes, so the
    // damaged variants below start from something the decoder accepts.
    let header = [0, 0, 20, 20, 20, 20];
    let data = tty_input(header, "GA 42", false);
    let (codes, _) = Encoder::new(Table::Us).encode("GA 42");
    let got: Vec<u8> = demodulator_body(&data).iter().map(|f| f.code).collect();
    assert_eq!(got, codes);
}

/// Bytes of a RIFF/WAVE file built from random chunks, so the reader
/// gets past its magic and into chunk parsing.
fn riff_soup() -> impl Strategy<Value = Vec<u8>> {
    let chunk = (
        prop_oneof![
            Just(*b"fmt "),
            Just(*b"data"),
            Just(*b"LIST"),
            Just(*b"fact"),
            any::<[u8; 4]>(),
        ],
        prop_oneof![Just(None), any::<u32>().prop_map(Some)],
        vec(any::<u8>(), 0..64),
    );
    (vec(chunk, 0..5), any::<u32>()).prop_map(|(chunks, riff_size)| {
        let mut data = b"RIFF".to_vec();
        data.extend(riff_size.to_le_bytes());
        data.extend(b"WAVE");
        for (id, size, body) in chunks {
            data.extend(id);
            // Mostly the true size, sometimes a lie.
            let size = size.unwrap_or(body.len() as u32);
            data.extend(size.to_le_bytes());
            data.extend(body);
        }
        data
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn demodulator_survives_random_bytes(data in vec(any::<u8>(), 0..16_384)) {
        demodulator_body(&data);
    }

    #[test]
    fn demodulator_survives_damaged_tones(
        header in any::<[u8; 6]>(),
        text in "[A-Z0-9 ]{1,4}",
        baud50 in any::<bool>(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 0..32),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut data = tty_input(header, &text, baud50);
        for (at, byte) in edits {
            let at = at.index(data.len());
            data[at] = byte;
        }
        data.truncate(6 + cut.index(data.len() - 5));
        demodulator_body(&data);
    }

    #[test]
    fn wav_reader_survives_random_bytes(data in vec(any::<u8>(), 0..4096)) {
        wav_reader_body(&data);
    }

    #[test]
    fn wav_reader_survives_random_chunks(data in riff_soup()) {
        wav_reader_body(&data);
    }
}
