//! Baudot FSK modulator: 5-bit codes in, phase-continuous tones out.
//!
//! The modulator owns the line timing of what we send: the mark lead-in
//! that wakes a TTY receiver, the start/data/stop framing, and the mark
//! hold after the last character. It knows nothing of characters or
//! shifts (see [`crate::text::baudot`]) and never reads the clock: the
//! caller pulls samples with [`Modulator::fill`] at its own pace.

use std::collections::VecDeque;
use std::f64::consts::TAU;

use super::LineParams;

/// What the modulator is doing at the current sample.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Nothing queued and the hold has run out: no samples are produced.
    Idle,
    /// Mark tone before the first character of a burst.
    Lead { left: usize },
    /// Inside a character frame; `pos` is the sample offset in the frame.
    Frame { code: u8, pos: f64 },
    /// Mark tone after the last character, so the far receiver sees the
    /// final stop bit end cleanly and does not cut the burst short.
    Hold { left: usize },
}

/// Turns queued 5-bit codes into FSK samples.
///
/// ```
/// use relaygate::modem::{LineParams, Modulator};
/// let mut m = Modulator::new(LineParams::default(), 8000);
/// m.push_codes(&[0x1F, 0x03]); // LTRS, A
/// let mut buf = vec![0i16; 8000];
/// let n = m.fill(&mut buf);
/// assert!(n > 0 && n < 8000);
/// assert!(m.is_idle());
/// ```
#[derive(Debug, Clone)]
pub struct Modulator {
    params: LineParams,
    sample_rate: f64,
    amplitude: f64,
    phase: f64,
    queue: VecDeque<u8>,
    state: State,
}

impl Modulator {
    /// A modulator for `params` producing samples at `sample_rate` Hz, at
    /// -10 dBFS (a typical TTY line level with room for line noise).
    pub fn new(params: LineParams, sample_rate: u32) -> Self {
        Modulator {
            params,
            sample_rate: f64::from(sample_rate.max(1)),
            amplitude: 32767.0 * 10f64.powf(-10.0 / 20.0),
            phase: 0.0,
            queue: VecDeque::new(),
            state: State::Idle,
        }
    }

    /// Sets the peak level in dBFS (0 dBFS is a full-scale sine).
    pub fn set_level_dbfs(&mut self, dbfs: f64) {
        self.amplitude = 32767.0 * 10f64.powf(dbfs.min(0.0) / 20.0);
    }

    /// Queues codes (masked to 5 bits) for sending.
    pub fn push_codes(&mut self, codes: &[u8]) {
        self.queue.extend(codes.iter().map(|c| c & 0x1F));
    }

    /// True when nothing is queued and the last hold has been sent.
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle && self.queue.is_empty()
    }

    /// Codes queued but not yet started.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Writes up to `out.len()` samples and returns how many were written.
    /// Fewer than asked means the modulator went idle.
    pub fn fill(&mut self, out: &mut [i16]) -> usize {
        let mut n = 0;
        while n < out.len() {
            let Some(mark) = self.next_tone() else { break };
            let f = if mark {
                self.params.mark_hz
            } else {
                self.params.space_hz
            };
            self.phase = (self.phase + TAU * f / self.sample_rate) % TAU;
            out[n] = (self.amplitude * self.phase.sin()).round() as i16;
            n += 1;
        }
        n
    }

    /// Advances one sample; returns whether it is a mark sample, or None
    /// when idle.
    fn next_tone(&mut self) -> Option<bool> {
        let bit = self.sample_rate / self.params.baud;
        loop {
            match self.state {
                State::Idle => {
                    let code = self.queue.pop_front()?;
                    let lead = self.ms_to_samples(self.params.lead_ms);
                    self.queue.push_front(code);
                    self.state = State::Lead { left: lead };
                }
                State::Lead { left: 0 } => match self.queue.pop_front() {
                    Some(code) => self.state = State::Frame { code, pos: 0.0 },
                    None => self.state = State::Hold { left: 0 },
                },
                State::Lead { left } => {
                    self.state = State::Lead { left: left - 1 };
                    return Some(true);
                }
                State::Frame { code, pos } => {
                    let frame_len = bit * (6.0 + self.params.stop_bits);
                    if pos >= frame_len {
                        self.state = match self.queue.pop_front() {
                            Some(next) => State::Frame {
                                code: next,
                                pos: pos - frame_len,
                            },
                            None => State::Hold {
                                left: self.ms_to_samples(self.params.hold_ms),
                            },
                        };
                        continue;
                    }
                    let index = (pos / bit) as usize;
                    self.state = State::Frame {
                        code,
                        pos: pos + 1.0,
                    };
                    return Some(match index {
                        0 => false,
                        1..=5 => code >> (index - 1) & 1 == 1,
                        _ => true,
                    });
                }
                State::Hold { left } => {
                    // More text during the hold: the line is still in mark,
                    // so the next frame follows without a new lead-in.
                    if let Some(code) = self.queue.pop_front() {
                        self.state = State::Frame { code, pos: 0.0 };
                        continue;
                    }
                    if left == 0 {
                        self.state = State::Idle;
                        return None;
                    }
                    self.state = State::Hold { left: left - 1 };
                    return Some(true);
                }
            }
        }
    }

    /// Everything queued, as samples, up to the end of the hold.
    pub fn render(&mut self) -> Vec<i16> {
        let mut out = Vec::new();
        let mut block = [0i16; 4096];
        loop {
            let n = self.fill(&mut block);
            out.extend_from_slice(&block[..n]);
            if n < block.len() {
                return out;
            }
        }
    }

    fn ms_to_samples(&self, ms: u32) -> usize {
        (f64::from(ms) * self.sample_rate / 1000.0).round() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(params: LineParams, rate: u32, codes: &[u8]) -> Vec<i16> {
        let mut m = Modulator::new(params, rate);
        m.push_codes(codes);
        let mut out = vec![0i16; rate as usize * 10];
        let n = m.fill(&mut out);
        out.truncate(n);
        out
    }

    #[test]
    fn burst_length_is_lead_frames_and_hold() {
        let p = LineParams::default();
        let out = render(p, 8000, &[0x1F, 0x03, 0x19]);
        let frame = 8000.0 / p.baud * (6.0 + p.stop_bits);
        let expected = 1200.0 + 3.0 * frame + 1200.0;
        assert!((out.len() as f64 - expected).abs() <= 2.0, "{}", out.len());
    }

    #[test]
    fn output_is_phase_continuous() {
        let out = render(LineParams::default(), 8000, &[0x00, 0x1F, 0x15]);
        // A phase jump would show as a step far larger than the largest
        // per-sample change of a 1800 Hz sine at this level.
        let amp = 32767.0 * 10f64.powf(-0.5);
        let max_step = amp * (TAU * 1800.0 / 8000.0) * 1.01;
        for w in out.windows(2) {
            assert!(f64::from(w[1] - w[0]).abs() <= max_step);
        }
    }

    #[test]
    fn idle_modulator_writes_nothing() {
        let mut m = Modulator::new(LineParams::default(), 8000);
        let mut buf = [0i16; 10];
        assert_eq!(m.fill(&mut buf), 0);
        assert!(m.is_idle());
    }
}
