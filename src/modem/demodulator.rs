//! Baudot FSK demodulator: samples of any block size in, 5-bit codes out.
//!
//! # How it decides
//!
//! The tone bank measures, for every low-rate step, how much of the input
//! energy sits in a one-bit window at the mark and at the space tone.
//! From that the demodulator keeps, per step, a soft bit `d` (+1 mark,
//! -1 space), a tone share `f` (1.0 for a clean tone, near 0 for noise,
//! speech spread over many frequencies, or a dial tone out of band) and
//! the signed share `v` that peaks only when a window sits on a bit.
//!
//! A character is found by a search, not by a fixed clock: when the space
//! tone starts to dominate, every start position within half a bit and
//! every bit length from 41.5 to 51 baud is scored by the tone energy on
//! the seven bit centres (start, five data, stop) and the half bit before
//! the start, and the best fit wins. This is why senders with 1, 1.5 or 2
//! stop bits, 42 to 50 baud, or a burst without lead-in all decode the
//! same way, and why a lost packet costs at most the character it falls
//! in.
//!
//! Once a few frames agree, the demodulator locks to the sender's baud,
//! tone frequencies and rhythm, and reads the next character where the
//! rhythm says it is due before searching at all (a flywheel); in noise
//! that prediction beats any search. The lock is dropped after a second
//! and a half without a character.
//!
//! A searched frame is accepted only when the start bit reads space, the
//! stop bit mark, and enough of the energy is tone. Until a sender is
//! established its frames must also look like a TTY keying: every bit
//! decisive, the level steady, and without mark tone before the start,
//! each tone at one frequency throughout. Speech, music and noise rarely
//! look like that for 150 ms, so they produce no characters.
//!
//! The demodulator never looks at the clock: its time is the sample count.

use std::ops::RangeInclusive;

use super::frontend::Frontend;
use super::tone_bank::{BINS, Energies, NOMINAL_STEP, STEPS, ToneBank};

/// How the receiver finds the baud rate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum BaudMode {
    /// Any sender from 41.5 to 51 baud (45.45, 47.6 and 50 included).
    #[default]
    Auto,
    /// A sender at this rate, give or take 4 %. Rates are kept within
    /// 40 to 110 baud, the span of Baudot TTYs.
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

/// Lowest input rate: the space tone needs at least 3600 Hz.
const MIN_SAMPLE_RATE: u32 = 4000;
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
/// Steps either side of the predicted start that the flywheel tries.
const FLYWHEEL_SLACK: i64 = 3;
/// Frames after which a sender counts as established and its frames
/// pass on the basic checks alone.
const ESTABLISHED_FRAMES: u32 = 2;
/// Frames after which the baud and rhythm estimates are trusted.
const SETTLED_FRAMES: u32 = 3;
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
    /// Mark share minus space share of the input energy. Unlike `d` it
    /// peaks only when the window sits exactly on a bit, which is what
    /// the timing search needs.
    v: f32,
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
    /// Frames accepted since the lock began.
    frames: u32,
    /// Back-to-back gaps that went into `period`.
    gaps: u32,
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
    /// Whether the flywheel position for the next frame has been tried.
    flywheel_tried: bool,
    afc_mark: [f32; STEPS],
    afc_space: [f32; STEPS],
}

impl Demodulator {
    /// A demodulator for `sample_rate` Hz input. Rates below 4000 Hz
    /// cannot carry the tones and are treated as 4000 Hz.
    pub fn new(sample_rate: u32, mode: BaudMode) -> Self {
        let sample_rate = sample_rate.max(MIN_SAMPLE_RATE);
        let frontend = Frontend::new(sample_rate);
        let decim = frontend.decimation();
        let rate = f64::from(sample_rate.max(1)) / decim as f64;
        let win = (rate / WINDOW_BAUD).round() as usize;
        let bit_range = match mode {
            BaudMode::Auto => (rate / 51.0, rate / 41.5),
            BaudMode::Fixed(b) => {
                // NaN falls to the nominal rate rather than poisoning timing.
                let b = if b.is_nan() {
                    45.45
                } else {
                    b.clamp(40.0, 110.0)
                };
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
            v: 0.0,
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
            flywheel_tried: false,
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
            // The wideband energy lags the filtered tones by the filter's
            // delay, so at a sharp onset the ratio can pass 1 briefly.
            f: (mark.max(space) / (en.norm + self.floor)).min(1.0),
            v: (mark - space) / (en.norm + self.floor),
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
        if self
            .lock
            .is_some_and(|l| newest > l.last + (UNLOCK_SECONDS * self.rate) as u64)
        {
            self.unlock();
        }
        // Never look further back than the history holds.
        let keep = (HISTORY as u64).saturating_sub(2 * self.lookahead() + 8);
        let oldest = newest.saturating_sub(keep);
        self.scan = self.scan.max(oldest);
        loop {
            if let Some((p, bit)) = self.due() {
                // A steady sender's next character starts one period after
                // the last; try there first, before any search.
                if (self.centre(p + FLYWHEEL_SLACK, bit * 1.01, 6) as u64) > newest {
                    return;
                }
                self.flywheel_tried = true;
                if let Some(frame) = self.flywheel(p, bit) {
                    out.push(frame);
                    continue;
                }
            }
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
                    match self.search(t) {
                        Some(frame) => out.push(frame),
                        None => self.scan = t + 1,
                    }
                }
            }
        }
    }

    /// Where a settled sender's next frame is due, unless already tried.
    fn due(&self) -> Option<(i64, f64)> {
        let l = self
            .lock
            .filter(|l| l.frames >= SETTLED_FRAMES && l.gaps >= 2)?;
        if self.flywheel_tried {
            return None;
        }
        Some(((l.start as f64 + l.period).round() as i64, l.bit))
    }

    /// The frame at the predicted position, if the sender kept typing.
    /// The tests are lighter than for a searched frame: timing is known,
    /// so a start bit that reads space at all is taken, which is what
    /// keeps characters coming at low signal-to-noise ratios.
    fn flywheel(&mut self, p: i64, bit: f64) -> Option<RxFrame> {
        let bits = [bit * 0.99, bit, bit * 1.01];
        let (s, bit) = self.best_fit(p - FLYWHEEL_SLACK..=p + FLYWHEEL_SLACK, &bits)?;
        let steps = self.frame_steps(s, bit);
        if steps[0].d >= 0.0 || steps[6].d <= 0.0 || share(&steps) < MIN_TONE_SHARE {
            return None;
        }
        Some(self.accept(s, bit, &steps))
    }

    /// A possible start bit: space dominates and carries some of the energy.
    fn triggers(&self, step: u64) -> bool {
        let s = self.at(step);
        step >= self.earliest && s.d < 0.0 && s.f > MIN_TONE_SHARE / 2.0
    }

    /// Bit lengths to try for a frame.
    fn bit_candidates(&self) -> Vec<f64> {
        // One noisy frame says little about the baud; trust the estimate
        // only once a few frames agree.
        let (lo, hi) = match self.lock {
            Some(l) if l.frames >= SETTLED_FRAMES => (l.bit * 0.98, l.bit * 1.02),
            _ => self.bit_range,
        };
        let n = (((hi - lo) / (lo * 0.01)).ceil() as usize).max(1);
        (0..=n)
            .map(|i| lo + (hi - lo) * i as f64 / n as f64)
            .collect()
    }

    /// Step whose window is centred on bit `i` of a frame starting at `s`
    /// (bit -1 is the half bit before the start).
    fn centre(&self, s: i64, bit: f64, i: i32) -> i64 {
        s + ((f64::from(i) + 0.5) * bit + self.win as f64 / 2.0).round() as i64 - 1
    }

    fn frame_steps(&self, s: i64, bit: f64) -> [Step; 7] {
        std::array::from_fn(|i| *self.at(self.centre(s, bit, i as i32) as u64))
    }

    /// Finds the best-fitting frame around a start-bit trigger at `t`.
    fn search(&mut self, t: u64) -> Option<RxFrame> {
        let win = self.win as i64;
        let t = t as i64;
        let lo = (t - win / 2 - win / 8).max(self.earliest as i64);
        // A trigger can come early when noise tips a mark window towards
        // space, so the search also reaches half a bit past it.
        let hi = t + win / 2;
        let (s, bit) = self.best_fit(lo..=hi, &self.bit_candidates())?;
        let steps = self.frame_steps(s, bit);
        if steps[0].d > -MIN_FRAME_EDGE || steps[6].d < MIN_FRAME_EDGE {
            return None;
        }
        if share(&steps) < MIN_TONE_SHARE {
            return None;
        }
        // Once a sender is established its frames need no more than that.
        // Otherwise the frame must look like a TTY keying on its own:
        // every bit decisive, the tone level steady and each tone at one
        // frequency throughout, which speech, music and noise rarely
        // manage for 150 ms. A start bit that follows mark tone is how a
        // TTY keys; one after silence (no lead-in) must be more decisive.
        if self.lock.is_none_or(|l| l.frames < ESTABLISHED_FRAMES) {
            let pre = self.at(self.centre(s, bit, -1) as u64);
            let after_mark = pre.d > MIN_FRAME_EDGE && pre.f >= MIN_TONE_SHARE;
            let min_bit = if after_mark {
                MIN_FRAME_EDGE
            } else {
                MIN_FIRST_BIT
            };
            if !steady_frame(&steps, min_bit) || !steady_tones(&steps) {
                return None;
            }
        }
        Some(self.accept(s, bit, &steps))
    }

    /// Takes the frame at `s`: reads its code and follows the sender.
    fn accept(&mut self, s: i64, bit: f64, steps: &[Step; 7]) -> RxFrame {
        let mut code = 0u8;
        for (i, st) in steps[1..6].iter().enumerate() {
            if st.d > 0.0 {
                code |= 1 << i;
            }
        }
        let s = s.max(0) as u64;
        let stop = self.centre(s as i64, bit, 6) as u64;
        self.track(steps, bit, s, stop);
        self.flywheel_tried = false;
        self.pending = None;
        // The next character cannot start before this one's first stop
        // bit is over.
        self.earliest = s + (6.8 * bit) as u64;
        self.scan = s + (6.5 * bit + self.win as f64 / 2.0) as u64;
        RxFrame {
            code,
            sample: s * self.frontend.decimation() as u64,
            baud: self.rate / bit,
        }
    }

    /// The start step and bit length, among those given, whose frame
    /// scores best.
    fn best_fit(&self, starts: RangeInclusive<i64>, bits: &[f64]) -> Option<(i64, f64)> {
        let newest = self.steps as i64 - 1;
        let mut best: Option<(f32, i64, f64)> = None;
        for &bit in bits {
            for s in starts.clone() {
                let Some(score) = self.score(s, bit, newest) else {
                    continue;
                };
                if best.is_none_or(|(v, _, _)| score > v) {
                    best = Some((score, s, bit));
                }
            }
        }
        best.map(|(_, s, bit)| (s, bit))
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
        // silence, which adds nothing.
        let mut score = self.at(self.centre(s, bit, -1) as u64).v;
        for i in 0..7 {
            let v = self.at(self.centre(s, bit, i) as u64).v;
            score += match i {
                0 => -v,
                6 => v,
                _ => v.abs(),
            };
        }
        Some(score)
    }

    /// Follows the sender's baud and tone frequencies.
    fn track(&mut self, steps: &[Step; 7], bit: f64, start: u64, stop: u64) {
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
        let (bit, period, frames, gaps) = match self.lock {
            Some(l) => {
                let gap = (start - l.start) as f64;
                // Only back-to-back frames (at most two stop bits apart)
                // tell the sender's rhythm; a pause says nothing about it.
                let (period, gaps) = if gap < 8.5 * l.bit {
                    let w = 1.0 / f64::from(l.gaps + 1).min(4.0);
                    (l.period + w * (gap - l.period), l.gaps + 1)
                } else {
                    (l.period, l.gaps)
                };
                // Average equally over the first frames, then follow slowly.
                let w = 1.0 / f64::from(l.frames + 1).min(5.0);
                (l.bit + w * (bit - l.bit), period, l.frames + 1, gaps)
            }
            None => (bit, 0.0, 1, 0),
        };
        self.lock = Some(Lock {
            bit,
            start,
            period,
            frames,
            gaps,
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

/// Whether each tone stays at one frequency over the frame's bits, as
/// an FSK sender's do and a voice's harmonics do not.
fn steady_tones(steps: &[Step; 7]) -> bool {
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

/// Whether every bit of a frame reads at least `min_bit` one way or the
/// other and the tone level holds within 10 dB across the bits.
fn steady_frame(steps: &[Step; 7], min_bit: f32) -> bool {
    let lo = steps.iter().map(|s| s.f).fold(f32::MAX, f32::min);
    let hi = steps.iter().map(|s| s.f).fold(0.0, f32::max);
    steps
        .iter()
        .all(|s| s.d.abs() >= min_bit && s.f >= MIN_TONE_SHARE / 2.0)
        && lo >= 0.1 * hi
}

/// Mean share of the input energy in the tones over a frame's bits.
fn share(steps: &[Step]) -> f32 {
    steps.iter().map(|s| s.f).sum::<f32>() / steps.len() as f32
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
