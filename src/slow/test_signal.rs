//! Synthetic speech for the slow-mode tests: voiced, harmonic syllables
//! with a Hann amplitude envelope, and the measurements the tests make
//! (fundamental by autocorrelation, active frames, energy).

use crate::media::frame::{FRAME, Frame};

pub const RATE: f32 = 8000.0;
/// One syllable's length and the gap after it (bridged by the hangover).
pub const SYLLABLE_MS: u32 = 200;
pub const GAP_MS: u32 = 60;

/// `syllables` syllables at fundamental `f0` Hz, peak near `amp`.
pub fn sentence(f0: f32, syllables: u32, amp: f32) -> Vec<i16> {
    let syl = (SYLLABLE_MS as f32 * RATE / 1000.0) as usize;
    let gap = (GAP_MS as f32 * RATE / 1000.0) as usize;
    let mut out = Vec::new();
    let mut t = 0usize;
    for _ in 0..syllables {
        for i in 0..syl {
            let env = (std::f32::consts::PI * i as f32 / syl as f32).sin().powi(2);
            let tt = t as f32 / RATE;
            let mut v = 0.0;
            for k in 1..=10 {
                v += (2.0 * std::f32::consts::PI * f0 * k as f32 * tt).sin() / k as f32;
            }
            out.push((amp * env * v / 2.0) as i16);
            t += 1;
        }
        out.extend(std::iter::repeat_n(0, gap));
        t += gap;
    }
    out
}

pub fn silence(ms: u32) -> Vec<i16> {
    vec![0; (ms * 8) as usize]
}

/// Samples cut into frames, the last one padded with silence.
pub fn frames(samples: &[i16]) -> Vec<Frame> {
    samples
        .chunks(FRAME)
        .map(|c| {
            let mut f = [0i16; FRAME];
            f[..c.len()].copy_from_slice(c);
            f
        })
        .collect()
}

pub fn flatten(frames: &[Frame]) -> Vec<i16> {
    frames.iter().flat_map(|f| f.iter().copied()).collect()
}

/// Milliseconds of sound: 5 ms windows louder than -40 dBFS. Finer than
/// frames, so a stretch is measured without frame-alignment error.
pub fn active_ms(samples: &[i16]) -> usize {
    let loud = 32768.0 * 0.01;
    samples
        .chunks_exact(40)
        .filter(|w| (energy(w) / w.len() as f64).sqrt() > loud)
        .count()
        * 5
}

pub fn energy(samples: &[i16]) -> f64 {
    samples.iter().map(|&s| f64::from(s).powi(2)).sum()
}

/// Fundamental of one window by normalised autocorrelation over
/// 60..400 Hz: the shortest lag within 10 % of the best peak, so octave
/// errors go to the true period.
fn window_f0(w: &[f32]) -> Option<f32> {
    let lo = (RATE / 400.0) as usize;
    let hi = (RATE / 60.0) as usize;
    let r0: f32 = w.iter().map(|x| x * x).sum();
    if r0 <= 0.0 || w.len() < 2 * hi {
        return None;
    }
    let r: Vec<f32> = (lo..=hi)
        .map(|lag| {
            let n = w.len() - lag;
            let c: f32 = (0..n).map(|i| w[i] * w[i + lag]).sum();
            c / r0 * w.len() as f32 / n as f32
        })
        .collect();
    let best = r.iter().cloned().fold(f32::MIN, f32::max);
    if best < 0.5 {
        return None;
    }
    // First local peak reaching 90 % of the best.
    for i in 1..r.len() - 1 {
        if r[i] >= 0.9 * best && r[i] >= r[i - 1] && r[i] >= r[i + 1] {
            // Parabolic refinement of the peak.
            let (a, b, c) = (r[i - 1], r[i], r[i + 1]);
            let d = a - 2.0 * b + c;
            let off = if d.abs() > 1e-9 {
                0.5 * (a - c) / d
            } else {
                0.0
            };
            return Some(RATE / ((lo + i) as f32 + off));
        }
    }
    None
}

/// Median fundamental over 40 ms windows louder than -30 dBFS.
pub fn median_f0(samples: &[i16]) -> Option<f32> {
    let mut f0s: Vec<f32> = samples
        .chunks_exact(320)
        .filter(|w| {
            let rms = (energy(w) / w.len() as f64).sqrt();
            rms > 32768.0 * 0.0316
        })
        .filter_map(|w| {
            let w: Vec<f32> = w.iter().map(|&s| f32::from(s)).collect();
            window_f0(&w)
        })
        .collect();
    if f0s.is_empty() {
        return None;
    }
    f0s.sort_by(f32::total_cmp);
    Some(f0s[f0s.len() / 2])
}
