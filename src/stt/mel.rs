//! Mel filter bank that whisper models expect, computed here rather than
//! shipped as data.
//!
//! This module owns one pure function and its mel-scale helpers. It does
//! no I/O and knows nothing about model files; the GGML writer stores the
//! bank it returns.
//!
//! The bank is the "Slaney" construction used by Whisper's training code:
//! mel points equally spaced on the Slaney mel scale (linear below 1 kHz,
//! logarithmic above), triangular filters over the FFT bin frequencies,
//! and each triangle scaled by `2 / (f_high - f_low)` so that every filter
//! has the same area. Arithmetic is in `f64` and only the result is
//! narrowed to `f32`.

/// Hz per mel in the linear part of the Slaney scale (200/3).
const LINEAR_HZ_PER_MEL: f64 = 200.0 / 3.0;
/// Where the Slaney scale turns logarithmic.
const LOG_START_HZ: f64 = 1000.0;

/// Mel value at [`LOG_START_HZ`].
fn log_start_mel() -> f64 {
    LOG_START_HZ / LINEAR_HZ_PER_MEL
}

/// Mels per natural-log unit of frequency above [`LOG_START_HZ`]: the
/// scale covers a factor of 6.4 in 27 mels.
fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

/// Frequency in Hz to Slaney mels.
pub fn hz_to_mel(hz: f64) -> f64 {
    if hz >= LOG_START_HZ {
        log_start_mel() + (hz / LOG_START_HZ).ln() / log_step()
    } else {
        hz / LINEAR_HZ_PER_MEL
    }
}

/// Slaney mels to frequency in Hz; the inverse of [`hz_to_mel`].
pub fn mel_to_hz(mel: f64) -> f64 {
    if mel >= log_start_mel() {
        LOG_START_HZ * (log_step() * (mel - log_start_mel())).exp()
    } else {
        mel * LINEAR_HZ_PER_MEL
    }
}

/// Number of FFT bins a filter bank for `n_fft` covers (DC to Nyquist).
pub fn n_bins(n_fft: usize) -> usize {
    n_fft / 2 + 1
}

/// The filter bank as `n_mels` rows of [`n_bins`]`(n_fft)` weights,
/// row-major, spanning 0 Hz to `sample_rate / 2`.
///
/// Whisper uses `mel_filters(16000, 400, 80)` (or 128 mels for large-v3).
/// Returns an empty vector when `n_mels` or `n_fft` is zero.
pub fn mel_filters(sample_rate: u32, n_fft: usize, n_mels: usize) -> Vec<f32> {
    if n_mels == 0 || n_fft == 0 {
        return Vec::new();
    }
    let bins = n_bins(n_fft);
    let nyquist = f64::from(sample_rate) / 2.0;
    // Bin centre frequencies, evenly spaced from 0 to Nyquist.
    let bin_hz: Vec<f64> = (0..bins)
        .map(|k| k as f64 * f64::from(sample_rate) / n_fft as f64)
        .collect();
    // n_mels + 2 edge points, equally spaced in mels.
    let top = hz_to_mel(nyquist);
    let edges: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(top * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut out = Vec::with_capacity(n_mels * bins);
    for m in 0..n_mels {
        let (lo, mid, hi) = (edges[m], edges[m + 1], edges[m + 2]);
        let area = 2.0 / (hi - lo);
        for &f in &bin_hz {
            let rising = (f - lo) / (mid - lo);
            let falling = (hi - f) / (hi - mid);
            let w = rising.min(falling).max(0.0);
            out.push((w * area) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_is_linear_below_1khz_and_round_trips() {
        assert!((hz_to_mel(500.0) - 7.5).abs() < 1e-12);
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        for hz in [0.0, 123.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9, "{hz}");
        }
    }

    #[test]
    fn whisper_bank_has_expected_shape_and_is_nonnegative() {
        let bank = mel_filters(16_000, 400, 80);
        assert_eq!(bank.len(), 80 * 201);
        assert!(bank.iter().all(|w| *w >= 0.0));
        // Every filter picks up at least one bin.
        for row in bank.chunks(201) {
            assert!(row.iter().any(|w| *w > 0.0));
        }
    }

    #[test]
    fn degenerate_sizes_give_an_empty_bank() {
        assert!(mel_filters(16_000, 400, 0).is_empty());
        assert!(mel_filters(16_000, 0, 80).is_empty());
    }
}
