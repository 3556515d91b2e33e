//! Sliding one-bit correlators at the mark and space tones, each tone at
//! a grid of frequencies from -10 % to +10 % of nominal.
//!
//! A correlator as long as one bit is the matched filter for a keyed tone,
//! which is what holds up best in noise. Its pass band is only about one
//! baud wide, so a sender a few percent off frequency would fall between
//! the nulls of a single correlator; the grid keeps one correlator close
//! to any real tone. The demodulator picks among them (frequency
//! tracking); this stage only measures.
//!
//! Each correlator is updated recursively (add the newest sample, remove
//! the one leaving the window) and recomputed exactly from the window now
//! and then, so rounding never accumulates.

use std::f64::consts::TAU;

use super::frontend::{CENTER_HZ, Decimated};
use super::{MARK_HZ, SPACE_HZ};

/// Correlators per tone.
pub(crate) const STEPS: usize = 17;
/// All correlators: mark ones first, then space ones.
pub(crate) const BINS: usize = 2 * STEPS;
const K_MIN: f64 = 0.90;
const K_STEP: f64 = 0.0125;

/// The frequency factor of grid step `i` (1.0 is nominal).
pub(crate) fn step_factor(i: usize) -> f64 {
    K_MIN + K_STEP * i as f64
}

/// Grid step of the nominal frequency.
pub(crate) const NOMINAL_STEP: usize = 8;

#[derive(Debug, Clone)]
pub(crate) struct ToneBank {
    len: usize,
    decim: usize,
    omega: [f64; BINS],
    p_re: [f32; BINS],
    p_im: [f32; BINS],
    rot_re: [f32; BINS],
    rot_im: [f32; BINS],
    c_re: [f32; BINS],
    c_im: [f32; BINS],
    s_re: [f32; BINS],
    s_im: [f32; BINS],
    z_re: Vec<f32>,
    z_im: Vec<f32>,
    wide: Vec<f32>,
    wide_sum: f32,
    step: u64,
}

/// What one step of the bank reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Energies {
    /// Correlator energy per bin, normalised so that a clean tone exactly
    /// on a bin reads as `norm`.
    pub e: [f32; BINS],
    /// Energy of a clean full-window tone of the same wideband power:
    /// `e[i] / norm` is the share of the input energy found in bin `i`.
    pub norm: f32,
}

impl ToneBank {
    /// A bank with a window of `len` low-rate samples at `rate` Hz.
    pub fn new(rate: f64, len: usize, decim: usize) -> Self {
        let mut omega = [0.0; BINS];
        for i in 0..STEPS {
            omega[i] = TAU * (MARK_HZ * step_factor(i) - CENTER_HZ) / rate;
            omega[STEPS + i] = TAU * (SPACE_HZ * step_factor(i) - CENTER_HZ) / rate;
        }
        let mut bank = ToneBank {
            len,
            decim,
            omega,
            p_re: [1.0; BINS],
            p_im: [0.0; BINS],
            rot_re: [0.0; BINS],
            rot_im: [0.0; BINS],
            c_re: [0.0; BINS],
            c_im: [0.0; BINS],
            s_re: [0.0; BINS],
            s_im: [0.0; BINS],
            z_re: vec![0.0; len],
            z_im: vec![0.0; len],
            wide: vec![0.0; len],
            wide_sum: 0.0,
            step: 0,
        };
        for (i, w) in omega.iter().enumerate() {
            bank.rot_re[i] = w.cos() as f32;
            bank.rot_im[i] = (-w.sin()) as f32;
            let wl = w * len as f64;
            bank.c_re[i] = wl.cos() as f32;
            bank.c_im[i] = wl.sin() as f32;
        }
        bank
    }

    /// Adds one low-rate sample and returns the energies of the window
    /// that ends with it.
    #[inline]
    pub fn push(&mut self, d: Decimated) -> Energies {
        let slot = (self.step % self.len as u64) as usize;
        let (old_re, old_im) = (self.z_re[slot], self.z_im[slot]);
        self.z_re[slot] = d.re;
        self.z_im[slot] = d.im;
        self.wide_sum += d.input_energy - self.wide[slot];
        self.wide[slot] = d.input_energy;

        let mut e = [0.0f32; BINS];
        for (i, energy) in e.iter_mut().enumerate() {
            // u = z_new - z_old * e^{j w L}
            let u_re = d.re - (old_re * self.c_re[i] - old_im * self.c_im[i]);
            let u_im = d.im - (old_re * self.c_im[i] + old_im * self.c_re[i]);
            let (p_re, p_im) = (self.p_re[i], self.p_im[i]);
            self.s_re[i] += u_re * p_re - u_im * p_im;
            self.s_im[i] += u_re * p_im + u_im * p_re;
            self.p_re[i] = p_re * self.rot_re[i] - p_im * self.rot_im[i];
            self.p_im[i] = p_re * self.rot_im[i] + p_im * self.rot_re[i];
            *energy = self.s_re[i] * self.s_re[i] + self.s_im[i] * self.s_im[i];
        }
        if self.step.is_multiple_of(64 * self.len as u64) {
            self.refresh();
        }
        self.step += 1;
        let norm = self.len as f32 * self.wide_sum.max(0.0) / (2 * self.decim) as f32;
        Energies { e, norm }
    }

    /// Recomputes every running sum exactly from the stored window.
    fn refresh(&mut self) {
        let m = self.step;
        let len = self.len as u64;
        self.wide_sum = self.wide.iter().sum();
        for i in 0..BINS {
            let w = self.omega[i];
            let (mut sr, mut si) = (0.0f64, 0.0f64);
            for j in 0..len.min(m + 1) {
                let idx = m - j;
                let slot = (idx % len) as usize;
                let ph = -(w * idx as f64) % TAU;
                let (zr, zi) = (f64::from(self.z_re[slot]), f64::from(self.z_im[slot]));
                sr += zr * ph.cos() - zi * ph.sin();
                si += zr * ph.sin() + zi * ph.cos();
            }
            self.s_re[i] = sr as f32;
            self.s_im[i] = si as f32;
            let next = -(w * (m + 1) as f64) % TAU;
            self.p_re[i] = next.cos() as f32;
            self.p_im[i] = next.sin() as f32;
        }
    }
}
