//! The cargo-fuzz targets' bodies (`fuzz/fuzz_targets/`), run on a few
//! hundred random inputs with proptest, so every `cargo test` on stable
//! Rust checks that the demodulator and the WAV reader survive hostile
//! input. The bodies live in `fuzz/bodies.rs`, shared with the targets.
//! See docs/fuzzing.md for running the real fuzzer.

use proptest::collection::vec;
use proptest::prelude::*;
use relaygate::modem::{LineParams, Modulator};
use relaygate::text::baudot::{Encoder, Table};

#[path = "../fuzz/bodies.rs"]
mod bodies;

use bodies::{demodulator as demodulator_body, rate, wav_reader as wav_reader_body};

const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

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
    let samples = tx.render();
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

    #[test]
    fn sdp_offers_survive_damage(
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut data = OFFER.as_bytes().to_vec();
        for (at, byte) in edits {
            let at = at.index(data.len());
            data[at] = byte;
        }
        data.truncate(cut.index(data.len() + 1));
        bodies::sdp_offer(&data);
    }

    #[test]
    fn sdp_and_rtp_survive_random_bytes(data in vec(any::<u8>(), 0..600)) {
        bodies::sdp_offer(&data);
        bodies::rtp_packet(&data);
    }

    #[test]
    fn playout_survives_random_packets(data in vec(any::<u8>(), 0..4000)) {
        bodies::playout(&data);
    }
}
