//! Baudot FSK demodulator: samples of any block size in, 5-bit codes out.
//!
//! # How it decides
//!
//! The tone bank measures, for every low-rate step, how much of the input
//! energy sits in a one-bit window at the mark and at the space tone.
//! From that the demodulator keeps, per step, a soft bit `d` (+1 mark,
//! -1 space) and a tone share `f` (1.0 for a clean tone, near 0 for noise,
//! speech energy spread over many frequencies, or a dial tone that is out
//! of band).
//!
//! A character is found by a search, not by a fixed clock: when the space
//! tone starts to dominate, every start position within half a bit and
//! every bit length from 41.5 to 51 baud is scored by how decisively the
//! seven bit centres (start, five data, stop) read, and the best fit wins.
//! This is why senders with 1, 1.5 or 2 stop bits, 42 to 50 baud, or a
//! burst without lead-in all decode the same way, and why a lost packet
//! costs at most the character it falls in.
//!
//! A frame is accepted only when the start bit reads space, the stop bit
//! mark, and enough of the energy is tone. The first frame of a burst must
//! pass a stricter test (every bit decisive, the same tone frequencies on
//! every bit): speech, music and noise rarely look like that for 150 ms,
//! so they produce no characters. Once a frame is accepted the
//! demodulator locks to the sender's baud and tone frequencies until the
//! line has been quiet for a second and a half.
//!
//! The demodulator never looks at the clock: its time is the sample count.

use super::frontend::Frontend;
use super::tone_bank::{BINS, Energies, NOMINAL_STEP, STEPS, ToneBank};

/// How the receiver finds the baud rate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum BaudMode {
    /// Any sender from 41.5 to 51 baud (45.45, 47.6 and 50 included).
    #[default]
    Auto,
    /// A sender at this rate, give or take 4 %.
    Fixed(f64),
}

/// One received character frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RxFrame {
    /// The 5-bit code, first data bit in bit 0.
    pub code: u8,
    /// Input sample index where the start bit began.
    pub sample: u64,
    /// Baud rate measured on this frame.
    pub baud: f64,
}

/// Nominal baud the correlator window is cut for: the middle of 42-50.
const WINDOW_BAUD: f64 = 46.0;
/// History kept, in low-rate steps (about half a second at 2 kHz).
const HISTORY: usize = 1024;
/// Least share of input energy in the tones for a frame to count.
const MIN_TONE_SHARE: f32 = 0.06;
/// Least decisiveness of the start and stop bits.
const MIN_FRAME_EDGE: f32 = 0.3;
/// Least decisiveness of every bit in the first frame of a burst.
const MIN_FIRST_BIT: f32 = 0.5;
/// Score head start of a frame where a steady sender's next one is due.
const CONTINUATION_BONUS: f32 = 0.5;
/// Quiet time after which the receiver forgets the sender, in seconds.
const UNLOCK_SECONDS: f64 = 1.5;

#[derive(Debug, Clone, Copy)]
struct Step {
    e: [f32; BINS],
    norm: f32,
    /// Soft bit: +1 clean mark, -1 clean space.
    d: f32,
    /// Share of the input energy in the stronger tone.
    f: f32,
}

#[derive(Debug, Clone, Copy)]
struct Lock {
    /// Bit length in low-rate steps.
    bit: f64,
    mark_bin: usize,
    space_bin: usize,
    /// Step of the last accepted stop bit.
    last: u64,
    /// Start step of the last accepted frame.
    start: u64,
    /// Start-to-start distance of back-to-back frames, in steps.
    period: f64,
}

/// A streaming Baudot demodulator for one line.
///
/// ```
/// use relaygate::modem::{BaudMode, Demodulator, LineParams, Modulator};
/// let mut tx = Modulator::new(LineParams::default(), 8000);
/// tx.push_codes(&[0x1F, 0x03, 0x19]); // LTRS A B
/// let mut audio = vec![0i16; 16000];
/// let n = tx.fill(&mut audio);
/// let mut rx = Demodulator::new(8000, BaudMode::Auto);
/// let mut frames = Vec::new();
/// for block in audio[..n].chunks(160) {
///     rx.push(block, &mut frames);
/// }
/// rx.flush(&mut frames);
/// let codes: Vec<u8> = frames.iter().map(|f| f.code).collect();
/// assert_eq!(codes, [0x1F, 0x03, 0x19]);
/// ```
#[derive(Debug, Clone)]
pub struct Demodulator {
    sample_rate: u32,
    frontend: Frontend,
    bank: ToneBank,
    rate: f64,
    win: usize,
    mode: BaudMode,
    /// Bit lengths (in steps) tried when no sender is locked.
    bit_range: (f64, f64),
    floor: f32,
    hist: Vec<Step>,
    /// Steps processed so far; the newest is `steps - 1`.
    steps: u64,
    /// Next step to test for a start bit.
    scan: u64,
    /// A start bit seen at this step, waiting for the rest of the frame.
    pending: Option<u64>,
    /// No frame may start before this step (the previous stop bit).
    earliest: u64,
    lock: Option<Lock>,
    afc_mark: [f32; STEPS],
    afc_space: [f32; STEPS],
}

impl Demodulator {
    /// A demodulator for `sample_rate` Hz input.
    pub fn new(sample_rate: u32, mode: BaudMode) -> Self {
        let frontend = Frontend::new(sample_rate);
        let decim = frontend.decimation();
        let rate = f64::from(sample_rate.max(1)) / decim as f64;
        let win = (rate / WINDOW_BAUD).round() as usize;
        let bit_range = match mode {
            BaudMode::Auto => (rate / 51.0, rate / 41.5),
            BaudMode::Fixed(b) => {
                let b = b.clamp(10.0, 200.0);
                (rate / (b * 1.04), rate / (b * 0.96))
            }
        };
        // -70 dBFS: quieter than any working line; keeps digital near-silence
        // from being read as tone.
        let a = 10f32.powf(-70.0 / 20.0);
        let floor = (win * win) as f32 * a * a / 4.0;
        let empty = Step {
            e: [0.0; BINS],
            norm: 0.0,
            d: 0.0,
            f: 0.0,
        };
        Demodulator {
            sample_rate,
            bank: ToneBank::new(rate, win, decim),
            frontend,
            rate,
            win,
            mode,
            bit_range,
            floor,
            hist: vec![empty; HISTORY],
            steps: 0,
            scan: 0,
            pending: None,
            earliest: 0,
            lock: None,
            afc_mark: [0.0; STEPS],
            afc_space: [0.0; STEPS],
        }
    }

    /// The sample rate this demodulator was built for.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The baud mode this demodulator was built for.
    pub fn mode(&self) -> BaudMode {
        self.mode
    }

    /// Feeds samples; decoded frames are appended to `out`.
    pub fn push(&mut self, samples: &[i16], out: &mut Vec<RxFrame>) {
        for &s in samples {
            self.push_one(f32::from(s) / 32768.0, out);
        }
    }

    /// Accounts for `n` samples that were lost (a jitter-buffer gap):
    /// they count as silence, which neither tone wins, so the bits around
    /// the gap are still read from what remains of them.
    pub fn fill_in(&mut self, n: usize, out: &mut Vec<RxFrame>) {
        for _ in 0..n {
            self.push_one(0.0, out);
        }
    }

    /// Ends the input: feeds enough silence for a frame in progress to
    /// complete, then forgets the sender.
    pub fn flush(&mut self, out: &mut Vec<RxFrame>) {
        let n = (f64::from(self.sample_rate) * 0.4) as usize;
        self.fill_in(n, out);
        self.lock = None;
    }

    /// Forgets everything heard so far, for example after our own
    /// transmission, whose echo must not be decoded.
    pub fn reset(&mut self) {
        *self = Demodulator::new(self.sample_rate, self.mode);
    }

    /// Whether a sender is currently locked (a burst is in progress).
    pub fn in_burst(&self) -> bool {
        self.lock.is_some()
    }

    fn push_one(&mut self, x: f32, out: &mut Vec<RxFrame>) {
        let Some(d) = self.frontend.push(x) else {
            return;
        };
        let energies = self.bank.push(d);
        self.record(energies);
        self.run(out);
    }

    fn record(&mut self, en: Energies) {
        let (mark, space) = match self.lock {
            Some(l) => (en.e[l.mark_bin], en.e[STEPS + l.space_bin]),
            None => (max_of(&en.e[..STEPS]), max_of(&en.e[STEPS..])),
        };
        let step = Step {
            e: en.e,
            norm: en.norm,
            d: (mark - space) / (mark + space + self.floor * 1e-3),
            f: mark.max(space) / (en.norm + self.floor),
        };
        let slot = (self.steps % HISTORY as u64) as usize;
        self.hist[slot] = step;
        self.steps += 1;
    }

    fn at(&self, step: u64) -> &Step {
        &self.hist[(step % HISTORY as u64) as usize]
    }

    /// Steps needed after a trigger before the whole frame can be judged.
    fn lookahead(&self) -> u64 {
        let (_, max_bit) = self.bit_range;
        (self.win / 8 + self.win / 2) as u64 + (6.5 * max_bit).ceil() as u64 + 2
    }

    fn run(&mut self, out: &mut Vec<RxFrame>) {
        let newest = self.steps - 1;
        if let Some(l) = self.lock {
            if newest > l.last + (UNLOCK_SECONDS * self.rate) as u64 {
                self.unlock();
            }
        }
        // Never look further back than the history holds.
        let oldest = newest.saturating_sub(HISTORY as u64 - 2 * self.lookahead() - 8);
        self.scan = self.scan.max(oldest);
        loop {
            match self.pending {
                None => {
                    while self.scan <= newest && !self.triggers(self.scan) {
                        self.scan += 1;
                    }
                    if self.scan > newest {
                        return;
                    }
                    self.pending = Some(self.scan);
                }
                Some(t) => {
                    if newest < t + self.lookahead() {
                        return;
                    }
                    self.pending = None;
                    match self.evaluate(t) {
                        Some(frame) => out.push(frame),
                        None => self.scan = t + 1,
                    }
                }
            }
        }
    }

    /// A possible start bit: space dominates and carries some of the energy.
    fn triggers(&self, step: u64) -> bool {
        let s = self.at(step);
        step >= self.earliest && s.d < 0.0 && s.f > MIN_TONE_SHARE / 2.0
    }

    /// Bit lengths to try for a frame.
    fn bit_candidates(&self) -> Vec<f64> {
        let (lo, hi) = match self.lock {
            Some(l) => (l.bit * 0.98, l.bit * 1.02),
            None => self.bit_range,
        };
        let n = (((hi - lo) / (lo * 0.01)).ceil() as usize).max(1);
        (0..=n)
            .map(|i| lo + (hi - lo) * i as f64 / n as f64)
            .collect()
    }

    /// Step whose window is centred on bit `i` of a frame starting at `s`.
    fn centre(&self, s: i64, bit: f64, i: i32) -> i64 {
        s + ((f64::from(i) + 0.5) * bit + self.win as f64 / 2.0).round() as i64 - 1
    }

    /// Finds the best-fitting frame around a start-bit trigger at `t`.
    fn evaluate(&mut self, t: u64) -> Option<RxFrame> {
        let win = self.win as i64;
        let t = t as i64;
        let lo = (t - win / 2 - win / 8).max(self.earliest as i64);
        // A trigger can come early when noise tips a mark window towards
        // space, so the search also reaches half a bit past it.
        let hi = t + win / 2;
        let newest = self.steps as i64 - 1;
        let mut best: Option<(f32, i64, f64)> = None;
        fn consider(best: &mut Option<(f32, i64, f64)>, score: Option<f32>, s: i64, bit: f64) {
            if let Some(score) = score {
                if best.is_none_or(|(b, _, _)| score > b) {
                    *best = Some((score, s, bit));
                }
            }
        }
        for bit in self.bit_candidates() {
            for s in lo..=hi {
                consider(&mut best, self.score(s, bit, newest), s, bit);
            }
        }
        // A sender typing steadily starts each character one period after
        // the last; in noise that prediction beats any search, so a frame
        // there gets a head start.
        let predicted = self.lock.map(|l| (l.start as f64 + l.period, l.bit));
        let mut continues = false;
        if let Some((p, bit)) = predicted {
            let p = p.round() as i64;
            if p >= lo - win / 4 && p <= hi {
                let before = best;
                for s in p - 2..=p + 2 {
                    let score = self.score(s, bit, newest).map(|v| v + CONTINUATION_BONUS);
                    consider(&mut best, score, s, bit);
                }
                continues = best.map(|b| b.1) != before.map(|b| b.1);
            }
        }
        let (_, s, bit) = best?;
        let centres: Vec<u64> = (0..7).map(|i| self.centre(s, bit, i) as u64).collect();
        let steps: Vec<Step> = centres.iter().map(|&c| *self.at(c)).collect();
        if steps[0].d > -MIN_FRAME_EDGE || steps[6].d < MIN_FRAME_EDGE {
            return None;
        }
        let share = steps.iter().map(|s| s.f).sum::<f32>() / 7.0;
        if share < MIN_TONE_SHARE {
            return None;
        }
        // A start bit that follows mark tone is how a TTY keys; anything
        // else (first character without lead-in, or after silence) must
        // pass the stricter test that speech and noise fail.
        let pre = self.at(self.centre(s, bit, -1) as u64);
        let after_mark = pre.d > MIN_FRAME_EDGE && pre.f >= MIN_TONE_SHARE;
        if !after_mark && !continues && !self.plausible_first_frame(&steps) {
            return None;
        }
        let mut code = 0u8;
        for (i, st) in steps[1..6].iter().enumerate() {
            if st.d > 0.0 {
                code |= 1 << i;
            }
        }
        let s = s as u64;
        self.track(&steps, bit, s, centres[6]);
        self.earliest = s + (6.8 * bit) as u64;
        self.scan = s + (6.5 * bit + self.win as f64 / 2.0) as u64;
        Some(RxFrame {
            code,
            sample: s * self.frontend.decimation() as u64,
            baud: self.rate / bit,
        })
    }

    /// How decisively a frame starting at `s` with bits `bit` steps long
    /// reads: the start bit as space, the stop bit and the half bit before
    /// the start as mark, the data bits as either. None when the frame
    /// runs past the newest step.
    fn score(&self, s: i64, bit: f64, newest: i64) -> Option<f32> {
        if self.centre(s, bit, 6) > newest || self.centre(s, bit, -1) < 0 {
            return None;
        }
        // Before the start: the previous stop bit or lead-in (mark), or
        // silence, which says nothing.
        let pre = self.at(self.centre(s, bit, -1) as u64);
        let mut score = if pre.f >= MIN_TONE_SHARE { pre.d } else { 0.0 };
        for i in 0..7 {
            let d = self.at(self.centre(s, bit, i) as u64).d;
            score += match i {
                0 => -d,
                6 => d,
                _ => d.abs(),
            };
        }
        Some(score)
    }

    /// The stricter test for a frame with no sender locked: every bit
    /// decisive and strong, and each tone at one frequency throughout.
    fn plausible_first_frame(&self, steps: &[Step]) -> bool {
        if steps
            .iter()
            .any(|s| s.d.abs() < MIN_FIRST_BIT || s.f < MIN_TONE_SHARE)
        {
            return false;
        }
        let mut mark_bins = Vec::new();
        let mut space_bins = Vec::new();
        for s in steps {
            if s.d > 0.0 {
                mark_bins.push(argmax(&s.e[..STEPS]));
            } else {
                space_bins.push(argmax(&s.e[STEPS..]));
            }
        }
        let steady = |bins: &[usize]| match (bins.iter().min(), bins.iter().max()) {
            (Some(lo), Some(hi)) => hi - lo <= 2,
            _ => true,
        };
        steady(&mark_bins) && steady(&space_bins)
    }

    /// Follows the sender's baud and tone frequencies.
    fn track(&mut self, steps: &[Step], bit: f64, start: u64, stop: u64) {
        for v in self.afc_mark.iter_mut().chain(self.afc_space.iter_mut()) {
            *v *= 0.8;
        }
        for s in steps {
            let norm = s.norm + self.floor;
            let (acc, e) = if s.d > 0.0 {
                (&mut self.afc_mark, &s.e[..STEPS])
            } else {
                (&mut self.afc_space, &s.e[STEPS..])
            };
            for (a, v) in acc.iter_mut().zip(e) {
                *a += v / norm;
            }
        }
        let (bit, period) = match self.lock {
            Some(l) => {
                let gap = (start - l.start) as f64;
                // Only back-to-back frames say how long the sender's stop
                // bits are; a pause says nothing about it.
                let period = if gap < l.period + 0.75 * l.bit {
                    0.7 * l.period + 0.3 * gap
                } else {
                    l.period
                };
                (0.8 * l.bit + 0.2 * bit, period)
            }
            None => (bit, 7.5 * bit),
        };
        self.lock = Some(Lock {
            bit,
            start,
            period,
            mark_bin: argmax(&self.afc_mark),
            space_bin: argmax(&self.afc_space),
            last: stop,
        });
    }

    fn unlock(&mut self) {
        self.lock = None;
        self.afc_mark = [0.0; STEPS];
        self.afc_space = [0.0; STEPS];
    }
}

fn max_of(v: &[f32]) -> f32 {
    v.iter().copied().fold(0.0, f32::max)
}

fn argmax(v: &[f32]) -> usize {
    let mut best = NOMINAL_STEP.min(v.len().saturating_sub(1));
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}
