//! Deterministic telephone line model for tests and benchmarks.
//!
//! This module owns impairments (noise, packet loss, level, companding,
//! clock offset) and reference signals (dial tone, ringback, noise). Every
//! function is pure: the same input and seed give the same output on any
//! machine, so a failing test replays exactly. It must not touch modem or
//! session state, read the clock, or use an external random source.
//!
//! Levels are in dBFS relative to a full-scale sine: 0 dBFS is an RMS of
//! 32767/sqrt(2). Signal power is measured on the active signal only (see
//! [`active_power`]), so silences between bursts do not dilute an SNR.

use std::f64::consts::{PI, SQRT_2};

use crate::audio::g711;
use crate::audio::wav::SampleFormat;

/// Block length for [`active_power`]: 10 ms at the 8 kHz telephone rate.
const ACTIVE_BLOCK: usize = 80;
/// Blocks quieter than the loudest by more than this are treated as silence.
const ACTIVE_RANGE_DB: f64 = 20.0;
/// RMS of a full-scale sine, the 0 dBFS reference.
const FULL_SCALE_RMS: f64 = 32767.0 / SQRT_2;

/// SplitMix64: tiny, fast, and statistically good enough for test noise;
/// keeps the library free of a `rand` dependency.
struct Rng {
    state: u64,
    /// Second Box-Muller output, kept for the next call.
    spare: Option<f64>,
}

impl Rng {
    fn new(seed: u64) -> Self {
        Rng {
            state: seed,
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal, by the Box-Muller transform.
    fn gaussian(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // 1 - uniform lies in (0, 1], so the logarithm stays finite.
        let r = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        let theta = 2.0 * PI * self.uniform();
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

/// Rounds and clamps to the i16 range, as a saturating DAC would.
fn saturate(x: f64) -> i16 {
    x.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

/// Linear amplitude factor for a level in dB.
fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Number of samples in `seconds` of audio; negative or NaN gives none.
fn sample_count(sample_rate: u32, seconds: f64) -> usize {
    (seconds * f64::from(sample_rate)).round().max(0.0) as usize
}

/// Mean square power (in squared sample units) of the active signal only.
///
/// The signal is cut into 80-sample blocks (10 ms at 8 kHz; the last block
/// may be shorter). Blocks within 20 dB of the loudest block count as
/// active and their samples are averaged; quieter blocks are ignored. This
/// is the signal power used for every SNR in this crate's tests. Returns 0
/// for empty or all-zero input.
pub fn active_power(samples: &[i16]) -> f64 {
    let blocks: Vec<(f64, usize)> = samples
        .chunks(ACTIVE_BLOCK)
        .map(|b| {
            let energy: f64 = b.iter().map(|&s| f64::from(s).powi(2)).sum();
            (energy, b.len())
        })
        .collect();
    let loudest = blocks
        .iter()
        .map(|&(e, n)| e / n as f64)
        .fold(0.0, f64::max);
    if loudest == 0.0 {
        return 0.0;
    }
    let floor = loudest / 10f64.powf(ACTIVE_RANGE_DB / 10.0);
    let (energy, count) = blocks
        .iter()
        .filter(|&&(e, n)| e / n as f64 >= floor)
        .fold((0.0, 0usize), |(e, c), &(be, bn)| (e + be, c + bn));
    energy / count as f64
}

/// Adds Gaussian white noise at `snr_db` below the active signal power.
///
/// Noise covers the whole signal, silences included, with power
/// `active_power(samples) / 10^(snr_db / 10)`. The result saturates to the
/// i16 range. A silent input is returned unchanged.
pub fn add_white_noise(samples: &[i16], snr_db: f64, seed: u64) -> Vec<i16> {
    let sigma = (active_power(samples) / 10f64.powf(snr_db / 10.0)).sqrt();
    let mut rng = Rng::new(seed);
    samples
        .iter()
        .map(|&s| saturate(f64::from(s) + sigma * rng.gaussian()))
        .collect()
}

/// Zeroes whole packets at random, as a jitter buffer without loss
/// concealment plays them out.
///
/// The signal is cut into packets of `packet_ms` (at least one sample;
/// the last may be shorter) and each is lost independently with
/// probability `loss` (clamped to 0..=1).
pub fn drop_packets(
    samples: &[i16],
    sample_rate: u32,
    packet_ms: u32,
    loss: f64,
    seed: u64,
) -> Vec<i16> {
    let packet = (u64::from(sample_rate) * u64::from(packet_ms) / 1000).max(1);
    let packet = usize::try_from(packet).unwrap_or(usize::MAX);
    let loss = if loss.is_nan() {
        0.0
    } else {
        loss.clamp(0.0, 1.0)
    };
    let mut rng = Rng::new(seed);
    let mut out = samples.to_vec();
    for p in out.chunks_mut(packet) {
        if rng.uniform() < loss {
            p.fill(0);
        }
    }
    out
}

/// Scales the signal so its active RMS sits at `dbfs`.
///
/// 0 dBFS is the RMS of a full-scale sine (32767/sqrt(2)); the active RMS
/// is the square root of [`active_power`]. Peaks beyond full scale
/// saturate. A silent input is returned unchanged.
pub fn set_level_dbfs(samples: &[i16], dbfs: f64) -> Vec<i16> {
    let rms = active_power(samples).sqrt();
    if rms == 0.0 {
        return samples.to_vec();
    }
    let gain = FULL_SCALE_RMS * db_to_gain(dbfs) / rms;
    samples
        .iter()
        .map(|&s| saturate(f64::from(s) * gain))
        .collect()
}

/// Passes the signal through a G.711 encoder and decoder, adding the
/// codec's quantisation noise. [`SampleFormat::Pcm16`] returns a copy.
pub fn g711_round_trip(samples: &[i16], law: SampleFormat) -> Vec<i16> {
    match law {
        SampleFormat::Pcm16 => samples.to_vec(),
        SampleFormat::MuLaw => samples
            .iter()
            .map(|&s| g711::ulaw_decode(g711::ulaw_encode(s)))
            .collect(),
        SampleFormat::ALaw => samples
            .iter()
            .map(|&s| g711::alaw_decode(g711::alaw_encode(s)))
            .collect(),
    }
}

/// Sum of two equal sines, `f1` and `f2` Hz, whose total RMS is `dbfs`,
/// gated on and off by `on(sample_index)`.
fn dual_tone(
    sample_rate: u32,
    seconds: f64,
    dbfs: f64,
    (f1, f2): (f64, f64),
    on: impl Fn(usize) -> bool,
) -> Vec<i16> {
    // Two equal sines of amplitude A have a combined RMS of A.
    let amplitude = FULL_SCALE_RMS * db_to_gain(dbfs);
    let rate = f64::from(sample_rate);
    (0..sample_count(sample_rate, seconds))
        .map(|n| {
            if !on(n) {
                return 0;
            }
            let t = n as f64 / rate;
            saturate(amplitude * ((2.0 * PI * f1 * t).sin() + (2.0 * PI * f2 * t).sin()))
        })
        .collect()
}

/// North American dial tone: 350 Hz + 440 Hz, continuous.
///
/// `dbfs` is the combined level of both tones (each sits 3 dB lower).
pub fn dial_tone(sample_rate: u32, seconds: f64, dbfs: f64) -> Vec<i16> {
    dual_tone(sample_rate, seconds, dbfs, (350.0, 440.0), |_| true)
}

/// North American ringback: 440 Hz + 480 Hz, 2 s on then 4 s off,
/// starting with a ring.
///
/// `dbfs` is the combined level of both tones while ringing.
pub fn ringback(sample_rate: u32, seconds: f64, dbfs: f64) -> Vec<i16> {
    let rate = sample_rate as usize;
    dual_tone(sample_rate, seconds, dbfs, (440.0, 480.0), move |n| {
        n % (6 * rate) < 2 * rate
    })
}

/// Gaussian white noise at an RMS of `dbfs`, reproducible from `seed`.
pub fn white_noise(sample_rate: u32, seconds: f64, dbfs: f64, seed: u64) -> Vec<i16> {
    let sigma = FULL_SCALE_RMS * db_to_gain(dbfs);
    let mut rng = Rng::new(seed);
    (0..sample_count(sample_rate, seconds))
        .map(|_| saturate(sigma * rng.gaussian()))
        .collect()
}

/// Converts the sample rate by linear interpolation.
///
/// Meant to model a sender whose clock runs fast or slow (shifting its
/// tones and baud rate together), not for quality audio: there is no
/// anti-alias filter. Playing the result at `from` shifts every frequency
/// by `from / to`. Output length is `len * to / from`, rounded; either rate
/// being zero gives an empty result.
pub fn resample_linear(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == 0 || to == 0 || samples.is_empty() {
        return Vec::new();
    }
    if from == to {
        return samples.to_vec();
    }
    let (from, to) = (u128::from(from), u128::from(to));
    let len = samples.len() as u128;
    let out_len = (len * to + from / 2) / from;
    let last = samples.len() - 1;
    (0..out_len)
        .map(|i| {
            // Exact rational position i * from / to in input samples, so
            // long signals do not drift.
            let pos = i * from;
            let idx = (pos / to) as usize;
            let frac = (pos % to) as f64 / to as f64;
            let a = f64::from(samples[idx.min(last)]);
            let b = f64::from(samples[(idx + 1).min(last)]);
            saturate(a + (b - a) * frac)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 8000;

    fn tone(freq: f64, seconds: f64, amplitude: f64) -> Vec<i16> {
        (0..sample_count(RATE, seconds))
            .map(|n| saturate(amplitude * (2.0 * PI * freq * n as f64 / f64::from(RATE)).sin()))
            .collect()
    }

    /// A TTY-like burst pattern: tone, silence, tone, silence.
    fn bursts() -> Vec<i16> {
        let mut s = tone(1400.0, 1.0, 8000.0);
        s.extend(vec![0; 8000]);
        s.extend(tone(1800.0, 1.0, 8000.0));
        s.extend(vec![0; 4000]);
        s
    }

    fn dbfs_of(samples: &[i16]) -> f64 {
        10.0 * (active_power(samples) / FULL_SCALE_RMS.powi(2)).log10()
    }

    fn mean_square(x: impl Iterator<Item = f64>) -> f64 {
        let (sum, n) = x.fold((0.0, 0usize), |(s, n), v| (s + v * v, n + 1));
        sum / n as f64
    }

    #[test]
    fn active_power_ignores_silence() {
        let steady = tone(1000.0, 1.0, 10000.0);
        let mut gappy = steady.clone();
        gappy.extend(vec![0; 16000]);
        let expected = 10000.0f64.powi(2) / 2.0;
        assert!((active_power(&steady) / expected - 1.0).abs() < 0.01);
        assert!((active_power(&gappy) / active_power(&steady) - 1.0).abs() < 1e-9);
        assert_eq!(active_power(&[]), 0.0);
        assert_eq!(active_power(&[0; 500]), 0.0);
    }

    #[test]
    fn active_power_ignores_a_quiet_background() {
        let loud = tone(1000.0, 1.0, 10000.0);
        let mut with_hum = loud.clone();
        with_hum.extend(tone(60.0, 1.0, 500.0)); // 26 dB down
        assert!((active_power(&with_hum) / active_power(&loud) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn white_noise_snr_measures_back_within_half_a_db() {
        let clean = bursts();
        for snr in [0.0, 6.0, 10.0, 20.0, 30.0] {
            let noisy = add_white_noise(&clean, snr, 42);
            let noise = mean_square(
                noisy
                    .iter()
                    .zip(&clean)
                    .map(|(&n, &c)| f64::from(n) - f64::from(c)),
            );
            let measured = 10.0 * (active_power(&clean) / noise).log10();
            assert!(
                (measured - snr).abs() < 0.5,
                "asked {snr} dB, got {measured}"
            );
        }
    }

    #[test]
    fn white_noise_fills_the_silences_too() {
        let clean = bursts();
        let noisy = add_white_noise(&clean, 10.0, 7);
        let gap = &noisy[9000..15000];
        let gap_power = mean_square(gap.iter().map(|&s| f64::from(s)));
        let expected = active_power(&clean) / 10.0;
        assert!(
            (gap_power / expected - 1.0).abs() < 0.1,
            "{gap_power} vs {expected}"
        );
    }

    #[test]
    fn noise_is_deterministic_per_seed() {
        let clean = bursts();
        assert_eq!(
            add_white_noise(&clean, 10.0, 1),
            add_white_noise(&clean, 10.0, 1)
        );
        assert_ne!(
            add_white_noise(&clean, 10.0, 1),
            add_white_noise(&clean, 10.0, 2)
        );
        assert_eq!(
            white_noise(RATE, 0.5, -20.0, 9),
            white_noise(RATE, 0.5, -20.0, 9)
        );
        assert_ne!(
            white_noise(RATE, 0.5, -20.0, 9),
            white_noise(RATE, 0.5, -20.0, 10)
        );
    }

    /// Per-packet loss flags from a signal with no zero samples.
    fn lost_packets(loss: f64, seed: u64, packets: usize) -> Vec<bool> {
        let signal = vec![1000i16; 160 * packets];
        drop_packets(&signal, RATE, 20, loss, seed)
            .chunks(160)
            .map(|p| {
                // A packet is either wholly kept or wholly zeroed.
                assert!(p.iter().all(|&s| s == p[0]));
                p[0] == 0
            })
            .collect()
    }

    #[test]
    fn packet_loss_rate_is_near_the_request() {
        for loss in [0.01, 0.1, 0.3] {
            let lost = lost_packets(loss, 5, 20_000);
            let rate = lost.iter().filter(|&&l| l).count() as f64 / lost.len() as f64;
            assert!((rate - loss).abs() < 0.01, "asked {loss}, lost {rate}");
        }
        assert!(lost_packets(0.0, 5, 1000).iter().all(|&l| !l));
        assert!(lost_packets(1.0, 5, 1000).iter().all(|&l| l));
    }

    #[test]
    fn packet_loss_is_deterministic_per_seed() {
        assert_eq!(lost_packets(0.2, 3, 500), lost_packets(0.2, 3, 500));
        assert_ne!(lost_packets(0.2, 3, 500), lost_packets(0.2, 4, 500));
    }

    #[test]
    fn level_is_set_within_half_a_db() {
        let clean = bursts();
        for dbfs in [-40.0, -20.0, -10.0, -3.0] {
            let scaled = set_level_dbfs(&clean, dbfs);
            let got = dbfs_of(&scaled);
            assert!((got - dbfs).abs() < 0.5, "asked {dbfs} dBFS, got {got}");
        }
        assert_eq!(set_level_dbfs(&[0; 100], -10.0), vec![0; 100]);
    }

    #[test]
    fn generated_tones_have_the_requested_level_and_cadence() {
        let dial = dial_tone(RATE, 1.0, -13.0);
        assert_eq!(dial.len(), 8000);
        assert!((dbfs_of(&dial) + 13.0).abs() < 0.1);

        let ring = ringback(RATE, 7.0, -16.0);
        assert_eq!(ring.len(), 56000);
        assert!((dbfs_of(&ring) + 16.0).abs() < 0.1);
        let on = |range: std::ops::Range<usize>| ring[range].iter().any(|&s| s != 0);
        assert!(on(0..16000));
        assert!(!on(16000..48000));
        assert!(on(48000..56000));

        let noise = white_noise(RATE, 2.0, -20.0, 1);
        assert!((dbfs_of(&noise) + 20.0).abs() < 0.5);
    }

    /// Frequency estimate from rising zero crossings.
    fn frequency(samples: &[i16], rate: u32) -> f64 {
        let rises: Vec<usize> = samples
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[0] < 0 && w[1] >= 0)
            .map(|(i, _)| i)
            .collect();
        let (first, last) = (rises[0], rises[rises.len() - 1]);
        (rises.len() - 1) as f64 * f64::from(rate) / (last - first) as f64
    }

    #[test]
    fn resampling_shifts_tones_like_a_clock_offset() {
        let original = tone(1400.0, 2.0, 10000.0);
        // A sender clock 1% slow: played back at 8000 Hz, 1400 Hz becomes ~1386.
        let slow = resample_linear(&original, 8000, 8080);
        assert_eq!(slow.len(), 16160);
        let f = frequency(&slow, RATE);
        assert!((f - 1400.0 * 8000.0 / 8080.0).abs() < 1.0, "{f}");
    }

    #[test]
    fn resampling_interpolates_between_samples() {
        assert_eq!(
            resample_linear(&[0, 100, 200], 1, 2),
            [0, 50, 100, 150, 200, 200]
        );
        assert_eq!(resample_linear(&[0, 100, 200, 300], 2, 1), [0, 200]);
        assert_eq!(resample_linear(&[5, 6], 8000, 8000), [5, 6]);
        assert!(resample_linear(&[5, 6], 0, 8000).is_empty());
    }

    #[test]
    fn g711_round_trip_adds_only_quantisation_noise() {
        let clean = tone(1000.0, 1.0, 10000.0);
        assert_eq!(g711_round_trip(&clean, SampleFormat::Pcm16), clean);
        for law in [SampleFormat::MuLaw, SampleFormat::ALaw] {
            let coded = g711_round_trip(&clean, law);
            assert_ne!(coded, clean);
            let noise = mean_square(
                coded
                    .iter()
                    .zip(&clean)
                    .map(|(&a, &b)| f64::from(a) - f64::from(b)),
            );
            // G.711 gives roughly 38 dB SNR on a strong tone.
            let snr = 10.0 * (active_power(&clean) / noise).log10();
            assert!(snr > 33.0, "{law:?}: {snr} dB");
        }
    }
}
