//! Channel sweeps: a real sender (minimodem, or our own modulator where a
//! parameter must go beyond what minimodem offers) -> the line model in
//! `relaygate::modem::channel` -> our demodulator on its defaults, with
//! the character error rate held under a threshold at each condition.
//!
//! Thresholds come from issue 2's goals: no errors on clean signals, at
//! most 1 % at -6 dB SNR and 1 % packet loss, and at -9 dB / 5 % loss no
//! worse than minimodem, the better of the two open decoders, measured by
//! `cargo bench --bench modem` (8.8 % and 4.9 %).

mod common;

use common::modem::{decode, encode};
use common::peers::{self, MinimodemTx, assert_same_text, char_error_rate};
use relaygate::audio::wav::SampleFormat;
use relaygate::modem::{BaudMode, LineParams, channel};

const SEEDS: [u64; 3] = [11, 12, 13];

/// The dialogue as minimodem sends it, at a line level that leaves room
/// for added noise without clipping.
fn minimodem_dialogue(opts: MinimodemTx) -> (String, Vec<i16>) {
    let text = peers::dialogue();
    let mut s = vec![0i16; 4000];
    s.extend(peers::minimodem_tx(&text, &opts));
    s.extend(std::iter::repeat_n(0, 4000));
    (text, channel::set_level_dbfs(&s, -16.0))
}

fn mean_cer(text: &str, signals: impl Iterator<Item = Vec<i16>>) -> Vec<f64> {
    signals
        .map(|s| char_error_rate(text, &decode(&s, 8000, BaudMode::Auto)))
        .collect()
}

#[test]
fn white_noise_at_minus_6_db_costs_at_most_one_percent() {
    let (text, base) = minimodem_dialogue(MinimodemTx::default());
    for snr in [-3.0, -6.0] {
        let cers = mean_cer(
            &text,
            SEEDS
                .iter()
                .map(|&s| channel::add_white_noise(&base, snr, s)),
        );
        assert!(cers.iter().all(|&c| c <= 0.01), "SNR {snr} dB: {cers:?}");
    }
}

#[test]
fn white_noise_at_minus_9_db_beats_minimodem() {
    let (text, base) = minimodem_dialogue(MinimodemTx::default());
    let cers = mean_cer(
        &text,
        SEEDS
            .iter()
            .map(|&s| channel::add_white_noise(&base, -9.0, s)),
    );
    let mean = cers.iter().sum::<f64>() / cers.len() as f64;
    assert!(mean <= 0.06, "SNR -9 dB: {cers:?}");
}

#[test]
fn packet_loss_is_survived() {
    let (text, base) = minimodem_dialogue(MinimodemTx::default());
    let one = mean_cer(
        &text,
        SEEDS
            .iter()
            .map(|&s| channel::drop_packets(&base, 8000, 20, 0.01, s)),
    );
    assert!(one.iter().all(|&c| c <= 0.01), "1 % loss: {one:?}");
    let five = mean_cer(
        &text,
        SEEDS
            .iter()
            .map(|&s| channel::drop_packets(&base, 8000, 20, 0.05, s)),
    );
    let mean = five.iter().sum::<f64>() / five.len() as f64;
    assert!(mean <= 0.049, "5 % loss: {five:?}");
}

#[test]
fn a_lost_stretch_costs_only_the_characters_inside_it() {
    let text = "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 0123456789 AGAIN AND AGAIN";
    let mut s = encode(text, LineParams::default(), 8000);
    // 60 ms of silence in the middle of the stream, as a burst of three
    // lost packets would leave it.
    let mid = s.len() / 2;
    s[mid..mid + 480].fill(0);
    let got = decode(&s, 8000, BaudMode::Auto);
    let errors = char_error_rate(text, &got) * text.len() as f64;
    assert!(errors <= 2.0, "{errors} errors: {got:?}");
}

#[test]
fn tone_offsets_up_to_8_percent_decode_exactly() {
    for pct in [-8.0, -4.0, 4.0, 8.0] {
        let k = 1.0 + pct / 100.0;
        let (text, s) = minimodem_dialogue(MinimodemTx {
            mark: 1400.0 * k,
            space: 1800.0 * k,
            ..MinimodemTx::default()
        });
        assert_same_text(
            &format!("offset {pct} %"),
            &text,
            &decode(&s, 8000, BaudMode::Auto),
        );
    }
}

#[test]
fn every_baud_from_42_to_50_and_every_stop_length_decodes_exactly() {
    let text = peers::dialogue();
    for baud in [42.0, 45.45, 47.6, 50.0] {
        for stop_bits in [1.0, 1.5, 2.0] {
            let p = LineParams {
                baud,
                stop_bits,
                ..LineParams::default()
            };
            let got = decode(&encode(&text, p, 8000), 8000, BaudMode::Auto);
            assert_same_text(&format!("{baud} baud, {stop_bits} stop bits"), &text, &got);
        }
    }
}

#[test]
fn a_fixed_baud_setting_decodes_its_rate() {
    let text = peers::dialogue();
    for baud in [45.45, 50.0] {
        let p = LineParams {
            baud,
            ..LineParams::default()
        };
        let got = decode(&encode(&text, p, 8000), 8000, BaudMode::Fixed(baud));
        assert_same_text(&format!("fixed {baud}"), &text, &got);
    }
}

#[test]
fn levels_from_minus_3_to_minus_50_dbfs_decode_exactly() {
    let (text, base) = minimodem_dialogue(MinimodemTx::default());
    for dbfs in [-3.0, -30.0, -50.0] {
        let got = decode(&channel::set_level_dbfs(&base, dbfs), 8000, BaudMode::Auto);
        assert_same_text(&format!("{dbfs} dBFS"), &text, &got);
    }
}

#[test]
fn g711_round_trips_decode_exactly() {
    let (text, base) = minimodem_dialogue(MinimodemTx::default());
    for law in [SampleFormat::MuLaw, SampleFormat::ALaw] {
        let got = decode(&channel::g711_round_trip(&base, law), 8000, BaudMode::Auto);
        assert_same_text(&format!("{law:?}"), &text, &got);
    }
}

#[test]
fn bursts_without_lead_in_keep_their_first_character() {
    // Each burst starts straight after silence with its first start bit,
    // as some modems (and spandsp after a pause) send it.
    let p = LineParams {
        lead_ms: 0,
        ..LineParams::default()
    };
    for word in ["HELLO GA", "YES", "8 PM", "K"] {
        let mut s = vec![0i16; 16000];
        s.extend(encode(word, p, 8000));
        let got = decode(&s, 8000, BaudMode::Auto);
        assert_same_text(&format!("burst {word:?}"), word, &got);
    }
}

#[test]
fn other_sample_rates_decode_exactly() {
    let text = peers::dialogue();
    for rate in [16000, 44100, 48000] {
        let s = encode(&text, LineParams::default(), rate);
        assert_same_text(
            &format!("{rate} Hz"),
            &text,
            &decode(&s, rate, BaudMode::Auto),
        );
    }
}

#[test]
fn block_size_does_not_change_the_result() {
    use relaygate::modem::Demodulator;
    let (_, s) = minimodem_dialogue(MinimodemTx::default());
    let s = channel::add_white_noise(&s, -8.0, 5);
    let codes = |block: usize| {
        let mut d = Demodulator::new(8000, BaudMode::Auto);
        let mut frames = Vec::new();
        for b in s.chunks(block) {
            d.push(b, &mut frames);
        }
        d.flush(&mut frames);
        frames
    };
    let reference = codes(160);
    assert!(!reference.is_empty());
    for block in [1, 7, 1000, 65536] {
        assert_eq!(codes(block), reference, "block size {block}");
    }
}

mod roundtrip {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Whatever the table carries comes back unchanged through our
        /// modulator and demodulator.
        #[test]
        fn random_text_survives_the_modem(text in "[A-Z0-9 ,.?!$()':/-]{1,40}") {
            let text = text.trim().to_owned();
            prop_assume!(!text.is_empty());
            let got = decode(&encode(&text, LineParams::default(), 8000), 8000, BaudMode::Auto);
            prop_assert_eq!(got.trim(), text.as_str());
        }
    }
}
