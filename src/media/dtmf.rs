//! In-band keypad tones (DTMF): 8 kHz samples in, keypad presses out.
//!
//! Many phones and gateways send a keypad digit as two tones in the
//! audio rather than as an RFC 4733 event ([`super::telephone_event`]).
//! This detector finds them. Sans-IO: samples go in, [`Keypress`]es come
//! out, time is the count of samples pushed. It never reads the clock,
//! never logs, and knows nothing of what a digit means (menus do); a
//! digit is caller content, so it is never written to a log.
//!
//! How, with the figures spandsp and Asterisk publish (ITU-T Q.24,
//! Bellcore/Telcordia):
//!
//! - A DC block, then blocks of 102 samples (12.75 ms). In each half of
//!   a block, every one of the eight DTMF frequencies is correlated with
//!   the signal against a phase running on the stream's own sample
//!   count, so a tone's phase carries on from one half to the next.
//! - A block hears a key when the strongest row tone and the strongest
//!   column tone are each at least -30 dBm0; the column is at most 8 dB
//!   above the row (normal twist) and the row at most 4 dB above the
//!   column (reverse twist), each with 1.5 dB for the block's own
//!   measuring error; every other tone of each group is at least
//!   8 dB below its peak; the two tones carry at least 70 % of the
//!   block's energy (a block must be mostly tone: this is what keeps
//!   speech and music out, and 15 dB of noise still leaves 97 %); and
//!   each tone's phase turned from the first half to the second by what
//!   its nominal frequency predicts, within 2.5 %. That is how a tone
//!   1.5 % off is accepted and one 3.5 % off refused: the block's power
//!   alone cannot tell them apart (its bins are 78 Hz wide), the phase
//!   can (a 51-sample half turns unambiguously for offsets up to 78 Hz).
//! - A press is two blocks in a row hearing the same key: any tone of
//!   40 ms or more fills two blocks, whatever its alignment.
//! - The press ends after three blocks in a row without its key (a block
//!   less than 70 % tone does not hear it): a gap of 50 ms between two
//!   presses of the same key always spoils three, while a drop-out of a
//!   few milliseconds, or a jump of phase where audio was concealed,
//!   spoils at most two, so it does not double a digit.

use std::collections::VecDeque;

/// The only sample rate the detector takes.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples per analysis block.
const BLOCK: usize = 102;
/// Row (low group) and column (high group) frequencies, in Hz.
const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Peak of a 0 dBm0 sine in 16-bit linear PCM (G.711's full-scale sine
/// is +3.14 dBm0).
const DBM0_PEAK: f32 = 22_718.0;
/// The quietest tone heard, per tone.
const MIN_TONE_DBM0: f32 = -30.0;
/// Column tone above the row tone, at most: the 8 dB a line may give,
/// and 1.5 dB for the block's own error (a strong tone leaks into the
/// other group's bins, by up to about a dB and a half either way).
const MAX_NORMAL_TWIST_DB: f32 = 9.5;
/// Row tone above the column tone, at most: 4 dB and the same margin.
const MAX_REVERSE_TWIST_DB: f32 = 5.5;
/// How far below its group's peak every other tone of the group must be.
const RELATIVE_PEAK_DB: f32 = 8.0;
/// The share of a block's energy the two tones must carry.
const MIN_TONE_SHARE: f32 = 0.7;
/// How far from its nominal frequency a tone may be, as a fraction.
const MAX_OFFSET: f32 = 0.025;
/// Blocks in a row without the key that end a press.
const RELEASE_BLOCKS: u8 = 3;
/// The DC block's pole (a -3 dB corner near 10 Hz at 8 kHz).
const DC_POLE: f32 = 0.992;

fn db(ratio_db: f32) -> f32 {
    10f32.powf(ratio_db / 10.0)
}

/// One key pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keypress {
    /// `0`-`9`, `*`, `#` or `A`-`D`.
    pub key: char,
    /// The sample (counted from the first one pushed) where the block that
    /// first heard it starts.
    pub at: u64,
}

/// Samples in the first half of a block.
const HALF: usize = BLOCK / 2;

/// What one block heard.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// Row and column of the key it heard.
    key: Option<(usize, usize)>,
    /// Its first sample.
    start: u64,
}

/// The DTMF detector of one audio stream.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    dc_in: f32,
    dc_out: f32,
    pushed: u64,
    fill: usize,
    energy: f32,
    /// Each frequency's correlation with each half of the block (rows,
    /// then columns).
    halves: [[(f32, f32); 8]; 2],
    /// e^{-jωn} for each frequency at the next sample.
    phase: [(f32, f32); 8],
    /// e^{-jω}, one sample's turn.
    turn: [(f32, f32); 8],
    last: Option<Block>,
    held: Option<(usize, usize)>,
    misses: u8,
    out: VecDeque<Keypress>,
}

impl Default for DtmfDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfDetector {
    /// A detector for an 8 kHz stream.
    pub fn new() -> Self {
        let mut turn = [(0.0, 0.0); 8];
        for (t, f) in turn.iter_mut().zip(ROWS.iter().chain(COLS.iter())) {
            let w = std::f32::consts::TAU * f / SAMPLE_RATE as f32;
            *t = (w.cos(), -w.sin());
        }
        DtmfDetector {
            dc_in: 0.0,
            dc_out: 0.0,
            pushed: 0,
            fill: 0,
            energy: 0.0,
            halves: [[(0.0, 0.0); 8]; 2],
            phase: [(1.0, 0.0); 8],
            turn,
            last: None,
            held: None,
            misses: 0,
            out: VecDeque::new(),
        }
    }

    /// Samples pushed so far.
    pub fn samples(&self) -> u64 {
        self.pushed
    }

    /// Whether a key is being held down now.
    pub fn is_held(&self) -> bool {
        self.held.is_some()
    }

    /// Feeds 8 kHz samples.
    pub fn push(&mut self, samples: &[i16]) {
        for &s in samples {
            let x = f32::from(s);
            // DC block: a recording's offset would otherwise count as
            // energy that is not tone.
            let y = x - self.dc_in + DC_POLE * self.dc_out;
            self.dc_in = x;
            self.dc_out = y;
            self.energy += y * y;
            let half = &mut self.halves[usize::from(self.fill >= HALF)];
            for ((sum, phase), &(tc, ts)) in half.iter_mut().zip(&mut self.phase).zip(&self.turn) {
                let (c, s) = *phase;
                sum.0 += y * c;
                sum.1 += y * s;
                *phase = (c * tc - s * ts, c * ts + s * tc);
            }
            self.pushed += 1;
            self.fill += 1;
            if self.fill == BLOCK {
                self.end_block();
            }
        }
    }

    /// The next key pressed, in order.
    pub fn poll(&mut self) -> Option<Keypress> {
        self.out.pop_front()
    }

    fn end_block(&mut self) {
        let start = self.pushed - BLOCK as u64;
        let block = Block {
            key: self.hear(),
            start,
        };
        // Keep the phases exact: the rotation drifts in f32 otherwise.
        for p in &mut self.phase {
            let norm = (p.0 * p.0 + p.1 * p.1).sqrt();
            if norm > 0.0 {
                *p = (p.0 / norm, p.1 / norm);
            }
        }
        self.halves = [[(0.0, 0.0); 8]; 2];
        self.energy = 0.0;
        self.fill = 0;

        if let Some(held) = self.held {
            if block.key == Some(held) {
                self.misses = 0;
            } else {
                self.misses += 1;
                if self.misses >= RELEASE_BLOCKS {
                    self.held = None;
                }
            }
        }
        if self.held.is_none()
            && let (Some(key), Some(last)) = (block.key, self.last)
            && last.key == Some(key)
        {
            self.held = Some(key);
            self.misses = 0;
            self.out.push_back(Keypress {
                key: KEYS[key.0][key.1],
                at: last.start,
            });
        }
        self.last = Some(block);
    }

    /// The key this block hears, if any.
    fn hear(&self) -> Option<(usize, usize)> {
        let n = BLOCK as f32;
        // Power of a tone of amplitude A comes out as A²/2, like the
        // block's mean power.
        let power: Vec<f32> = self.halves[0]
            .iter()
            .zip(&self.halves[1])
            .map(|(a, b)| {
                let (re, im) = (a.0 + b.0, a.1 + b.1);
                2.0 * (re * re + im * im) / (n * n)
            })
            .collect();
        let mean = self.energy / n;
        let peak = |group: &[f32]| {
            let mut best = 0;
            for (i, p) in group.iter().enumerate() {
                if *p > group[best] {
                    best = i;
                }
            }
            best
        };
        let (rows, cols) = power.split_at(4);
        let (r, c) = (peak(rows), peak(cols));
        let (pr, pc) = (rows[r], cols[c]);
        let floor = (DBM0_PEAK * 10f32.powf(MIN_TONE_DBM0 / 20.0)).powi(2) / 2.0;
        if pr < floor || pc < floor {
            return None;
        }
        if pc > pr * db(MAX_NORMAL_TWIST_DB) || pr > pc * db(MAX_REVERSE_TWIST_DB) {
            return None;
        }
        let stands_out = |group: &[f32], best: usize| {
            group
                .iter()
                .enumerate()
                .all(|(i, p)| i == best || p * db(RELATIVE_PEAK_DB) <= group[best])
        };
        if !stands_out(rows, r) || !stands_out(cols, c) {
            return None;
        }
        if pr + pc < MIN_TONE_SHARE * mean {
            return None;
        }
        let on_frequency = |i: usize, nominal: f32| {
            let (ar, ai) = self.halves[0][i];
            let (br, bi) = self.halves[1][i];
            // arg(b · conj(a)): how far the tone turned, from the first
            // half to the second, beyond the nominal frequency's own turn.
            let turn = (bi * ar - br * ai).atan2(br * ar + bi * ai);
            let offset_hz = turn * SAMPLE_RATE as f32 / (std::f32::consts::TAU * HALF as f32);
            offset_hz.abs() <= MAX_OFFSET * nominal
        };
        if !on_frequency(r, ROWS[r]) || !on_frequency(4 + c, COLS[c]) {
            return None;
        }
        Some((r, c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tones at `level_dbm0` each (the column `twist_db` above the
    /// row), `ms` long, frequencies scaled by `1 + offset`.
    fn tone(key: char, ms: u32, level_dbm0: f32, twist_db: f32, offset: f32) -> Vec<i16> {
        let (r, c) = position(key);
        let amp = DBM0_PEAK * 10f32.powf(level_dbm0 / 20.0);
        let (ar, ac) = (amp, amp * 10f32.powf(twist_db / 20.0));
        let n = (SAMPLE_RATE * ms / 1000) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / SAMPLE_RATE as f32;
                let w = std::f32::consts::TAU * t * (1.0 + offset);
                let v = ar * (w * ROWS[r]).sin() + ac * (w * COLS[c]).sin();
                v.round().clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    fn position(key: char) -> (usize, usize) {
        for (r, row) in KEYS.iter().enumerate() {
            if let Some(c) = row.iter().position(|k| *k == key) {
                return (r, c);
            }
        }
        panic!("not a key: {key}");
    }

    fn silence(ms: u32) -> Vec<i16> {
        vec![0; (SAMPLE_RATE * ms / 1000) as usize]
    }

    fn keys(samples: &[i16]) -> String {
        let mut d = DtmfDetector::new();
        // Odd chunk sizes: blocks must not depend on how audio arrives.
        for chunk in samples.chunks(37) {
            d.push(chunk);
        }
        std::iter::from_fn(|| d.poll()).map(|k| k.key).collect()
    }

    /// A seeded noise source (xorshift), uniform in ±`amp`.
    fn noise(len: usize, amp: f32, seed: u64) -> Vec<f32> {
        let mut s = seed | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0) * amp
            })
            .collect()
    }

    #[test]
    fn every_key_is_heard_once() {
        let all = "123A456B789C*0#D";
        let mut audio = silence(30);
        for k in all.chars() {
            audio.extend(tone(k, 50, -10.0, 0.0, 0.0));
            audio.extend(silence(55));
        }
        assert_eq!(keys(&audio), all);
    }

    #[test]
    fn forty_ms_tones_and_fifty_ms_gaps_are_enough_at_any_alignment() {
        for lead in 0..BLOCK as u32 {
            let mut audio = vec![0i16; lead as usize];
            for _ in 0..3 {
                audio.extend(tone('5', 40, -20.0, 0.0, 0.0));
                audio.extend(silence(50));
            }
            assert_eq!(keys(&audio), "555", "lead {lead} samples");
        }
    }

    #[test]
    fn the_press_starts_where_the_tone_does() {
        let mut audio = silence(100);
        audio.extend(tone('9', 60, -10.0, 0.0, 0.0));
        let mut d = DtmfDetector::new();
        d.push(&audio);
        let k = d.poll().expect("a press");
        assert_eq!(k.key, '9');
        let start = 800i64;
        assert!(
            (k.at as i64 - start).abs() <= BLOCK as i64,
            "heard from {} for a tone from {start}",
            k.at
        );
    }

    #[test]
    fn levels_and_twist_inside_the_limits_are_heard_and_outside_refused() {
        for (level, twist, want) in [
            (0.0, 0.0, "1"),
            (-28.0, 0.0, "1"),
            (-36.0, 0.0, ""),
            (-10.0, 7.0, "1"),
            (-10.0, -3.5, "1"),
            (-10.0, -4.0, "1"),
            (-10.0, 8.0, "1"),
            (-10.0, 11.5, ""),
            (-10.0, -7.5, ""),
        ] {
            let mut audio = tone('1', 60, level, twist, 0.0);
            audio.extend(silence(60));
            assert_eq!(keys(&audio), want, "level {level} dBm0, twist {twist} dB");
        }
    }

    #[test]
    fn tones_off_frequency_by_one_and_a_half_percent_are_heard_and_by_three_and_a_half_refused() {
        for key in "1470*#D".chars() {
            for (offset, want) in [
                (0.015, true),
                (-0.015, true),
                (0.035, false),
                (-0.035, false),
            ] {
                let mut audio = tone(key, 60, -10.0, 0.0, offset);
                audio.extend(silence(60));
                let got = keys(&audio);
                assert_eq!(got == key.to_string(), want, "{key} at {offset:+}: {got:?}");
                if !want {
                    assert_eq!(got, "", "{key} at {offset:+}");
                }
            }
        }
    }

    #[test]
    fn noise_fifteen_db_below_the_tones_does_not_stop_them() {
        let clean = tone('0', 60, -10.0, 0.0, 0.0);
        // Tones at -10 dBm0 each: -7 dBm0 together; noise 15 dB below.
        let signal_power = 2.0 * (DBM0_PEAK * 10f32.powf(-10.0 / 20.0)).powi(2) / 2.0;
        let noise_rms = (signal_power / db(15.0)).sqrt();
        // Uniform noise in ±a has an rms of a/√3.
        let hiss = noise(clean.len() + 480, noise_rms * 3f32.sqrt(), 7);
        let mut audio: Vec<i16> = Vec::new();
        for (i, h) in hiss.iter().enumerate() {
            let s = clean.get(i.wrapping_sub(240)).copied().unwrap_or(0);
            audio.push((f32::from(s) + h).round() as i16);
        }
        assert_eq!(keys(&audio), "0");
    }

    #[test]
    fn one_tone_alone_or_noise_alone_is_no_key() {
        let n = 4000;
        let single: Vec<i16> = (0..n)
            .map(|i| (8000.0 * (std::f32::consts::TAU * 697.0 * i as f32 / 8000.0).sin()) as i16)
            .collect();
        assert_eq!(keys(&single), "");
        let hiss: Vec<i16> = noise(n, 8000.0, 3).iter().map(|v| *v as i16).collect();
        assert_eq!(keys(&hiss), "");
        // A DC offset under a tone changes nothing.
        let offset: Vec<i16> = tone('3', 60, -10.0, 0.0, 0.0)
            .iter()
            .map(|s| s.saturating_add(3000))
            .collect();
        assert_eq!(keys(&offset), "3");
    }

    #[test]
    fn a_short_drop_out_does_not_make_two_presses() {
        // The tone comes back at another phase, as after concealed loss.
        for lead in (0..BLOCK).step_by(17) {
            let mut audio = vec![0i16; lead];
            audio.extend(tone('7', 60, -10.0, 0.0, 0.0));
            audio.extend(silence(5));
            audio.extend(tone('7', 60, -10.0, 0.0, 0.0));
            audio.extend(silence(60));
            assert_eq!(keys(&audio), "7", "lead {lead} samples");
        }
    }
}
