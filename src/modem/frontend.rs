//! Receive front end: mixes the line signal down around the centre of the
//! two TTY tones, low-pass filters and decimates it to about 2 kHz.
//!
//! Everything after this stage runs at the low rate, which is what makes
//! a thousand channels per core affordable. The stage also measures the
//! wideband power of the raw input, so later stages can tell how much of
//! what arrived is really TTY tone (dial tone and speech are mostly not).

use std::f64::consts::{PI, TAU};

/// Centre of the mark (1400 Hz) and space (1800 Hz) tones.
pub(crate) const CENTER_HZ: f64 = 1600.0;
/// Target rate after decimation.
const TARGET_RATE: f64 = 2000.0;
/// Low-pass cut-off: the tones sit within +-350 Hz of the centre even
/// with a sender 8 % off frequency, plus keying sidebands.
const CUTOFF_HZ: f64 = 520.0;

/// One decimated output: the complex baseband sample and the energy of
/// the raw input samples it summarises.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decimated {
    pub re: f32,
    pub im: f32,
    pub input_energy: f32,
}

#[derive(Debug, Clone)]
pub(crate) struct Frontend {
    decim: usize,
    taps: Vec<f32>,
    // Doubled ring buffers: each sample is written twice so the last
    // `taps.len()` samples are always one contiguous slice.
    ring_re: Vec<f32>,
    ring_im: Vec<f32>,
    pos: usize,
    count: usize,
    // Local oscillator as a rotating phasor; renormalised now and then
    // because repeated multiplication drifts off the unit circle.
    osc_re: f64,
    osc_im: f64,
    step_re: f64,
    step_im: f64,
    since_norm: u32,
    energy: f32,
}

impl Frontend {
    pub fn new(sample_rate: u32) -> Self {
        let fs = f64::from(sample_rate.max(1));
        let decim = ((fs / TARGET_RATE).round() as usize).max(1);
        let n = 8 * decim + 1;
        let mid = (n / 2) as f64;
        let fc = CUTOFF_HZ / fs;
        let mut taps: Vec<f64> = (0..n)
            .map(|i| {
                let x = i as f64 - mid;
                let sinc = if x == 0.0 {
                    2.0 * fc
                } else {
                    (TAU * fc * x).sin() / (PI * x)
                };
                let w = 0.54 - 0.46 * (TAU * i as f64 / (n - 1) as f64).cos();
                sinc * w
            })
            .collect();
        let sum: f64 = taps.iter().sum();
        for t in &mut taps {
            *t /= sum;
        }
        let w = -TAU * CENTER_HZ / fs;
        Frontend {
            decim,
            taps: taps.into_iter().map(|t| t as f32).collect(),
            ring_re: vec![0.0; 2 * n],
            ring_im: vec![0.0; 2 * n],
            pos: 0,
            count: 0,
            osc_re: 1.0,
            osc_im: 0.0,
            step_re: w.cos(),
            step_im: w.sin(),
            since_norm: 0,
            energy: 0.0,
        }
    }

    /// Input samples per output sample.
    pub fn decimation(&self) -> usize {
        self.decim
    }

    /// Pushes one input sample (full scale = 1.0); every `decimation()`
    /// samples a baseband sample comes out.
    #[inline]
    pub fn push(&mut self, x: f32) -> Option<Decimated> {
        let n = self.taps.len();
        let re = x * self.osc_re as f32;
        let im = x * self.osc_im as f32;
        self.ring_re[self.pos] = re;
        self.ring_re[self.pos + n] = re;
        self.ring_im[self.pos] = im;
        self.ring_im[self.pos + n] = im;
        self.pos = if self.pos + 1 == n { 0 } else { self.pos + 1 };
        self.energy += x * x;

        let (r, i) = (self.osc_re, self.osc_im);
        self.osc_re = r * self.step_re - i * self.step_im;
        self.osc_im = r * self.step_im + i * self.step_re;
        self.since_norm += 1;
        if self.since_norm == 1024 {
            let mag = (self.osc_re * self.osc_re + self.osc_im * self.osc_im).sqrt();
            self.osc_re /= mag;
            self.osc_im /= mag;
            self.since_norm = 0;
        }

        self.count += 1;
        if self.count < self.decim {
            return None;
        }
        self.count = 0;
        // The oldest sample sits at `pos`, so the window is pos..pos+n.
        let wr = &self.ring_re[self.pos..self.pos + n];
        let wi = &self.ring_im[self.pos..self.pos + n];
        let mut acc_re = 0.0f32;
        let mut acc_im = 0.0f32;
        for ((t, a), b) in self.taps.iter().zip(wr).zip(wi) {
            acc_re += t * a;
            acc_im += t * b;
        }
        let input_energy = self.energy;
        self.energy = 0.0;
        Some(Decimated {
            re: acc_re,
            im: acc_im,
            input_energy,
        })
    }
}
