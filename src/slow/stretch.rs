//! The slow-mode stretcher: the agent's speech towards one caller, slowed
//! at unchanged pitch, with longer pauses at sentence ends and a
//! "repeat" of the last sentence.
//!
//! Owns: the caller's speed (0.9x down to 0.6x, keys 4 and 6), the pause
//! policy, the lag the stretch builds and its payback, the last sentence
//! and its replay (key `*`). Must not touch: gain ([`super::level`]),
//! libsonic itself ([`super::sonic_ffi`]), the clock or any I/O: one
//! frame goes in and one comes out per 20 ms tick, driven by the caller.
//!
//! # How a frame travels
//!
//! The [`Vad`] sorts each frame. Speech (active, or within the 100 ms
//! hangover that protects weak consonants and word tails) goes through
//! libsonic at the current speed. A pause frame bypasses libsonic and is
//! queued as it is, or skipped; since the hangover is longer than the
//! ~31 ms libsonic holds back, what it still holds is silence too, so
//! the order of sound is kept.
//!
//! # Pauses and lag
//!
//! *Lag* is output queued beyond real time ([`Stretcher::lag_ms`]): the
//! stretch adds `1/speed - 1` of every second of speech. Pauses decide
//! whether it grows or is paid back:
//!
//! - every pause keeps its first `min_pause_ms`, so sentences never run
//!   together;
//! - a pause of `sentence_pause_ms` or more is a sentence end: it is
//!   lengthened by `pause_extend_percent` of its length, at most
//!   `pause_extend_max_ms`, while the lag stays within `max_lag_ms`;
//! - beyond the bound, pause frames past `min_pause_ms` are skipped,
//!   paying back one frame a tick;
//! - beyond `long_pause_ms` the agent is listening, not pausing, and
//!   every further pause frame is skipped until the queue is empty.
//!
//! Speech is never dropped. An agent who talks on without pausing would
//! outrun the bound: from three quarters of it the stretch eases toward
//! real time, and at the bound speech passes at real time, so the lag
//! stays within the bound (plus what libsonic holds, a few tens of ms)
//! and the caller's pace returns once pauses have paid it back. Only a
//! repeat the caller asked for may queue past the bound.

use std::collections::VecDeque;

use super::sonic_ffi::{Sonic, SonicError};
use super::vad::Vad;
use crate::media::frame::{FRAME, FRAME_MS, Frame, RATE, SILENCE};

/// The share of the lag bound from which the stretch eases off.
const LAG_KNEE: f32 = 0.75;

/// The caller's speeds, mildest first ([`Stretcher::slower`] moves right).
pub const SPEEDS: [f32; 4] = [0.9, 0.8, 0.7, 0.6];

/// Speed of a replay ([`Stretcher::repeat`]): the slowest.
pub const REPEAT_SPEED: f32 = 0.6;

/// Samples per millisecond.
const PER_MS: usize = (RATE / 1000) as usize;

/// Settings for [`Stretcher`]. Durations are in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct StretchConfig {
    /// Speed at the start of a call, snapped to the nearest of [`SPEEDS`].
    pub start_speed: f32,
    /// Lag above which pauses are shortened to pay it back.
    pub max_lag_ms: u32,
    /// How long speech lasts past the last active frame.
    pub hangover_ms: u32,
    /// Every pause keeps at least this much (from the last active frame).
    pub min_pause_ms: u32,
    /// A pause this long after speech ends a sentence.
    pub sentence_pause_ms: u32,
    /// A sentence-end pause grows by this share of its length...
    pub pause_extend_percent: u32,
    /// ...and by no more than this.
    pub pause_extend_max_ms: u32,
    /// A pause longer than this is the agent listening: it drains the lag.
    pub long_pause_ms: u32,
    /// The kept sentence is at most this long (its last part is kept).
    pub sentence_max_ms: u32,
}

impl Default for StretchConfig {
    fn default() -> Self {
        StretchConfig {
            start_speed: SPEEDS[0],
            max_lag_ms: 3000,
            hangover_ms: 100,
            min_pause_ms: 200,
            sentence_pause_ms: 250,
            pause_extend_percent: 50,
            pause_extend_max_ms: 400,
            long_pause_ms: 1000,
            sentence_max_ms: 15_000,
        }
    }
}

/// Slow mode's time stretch for one call. `Send`, not shared.
#[derive(Debug)]
pub struct Stretcher {
    config: StretchConfig,
    sonic: Sonic,
    vad: Vad,
    /// Index into [`SPEEDS`] the caller chose.
    step: usize,
    /// The speed libsonic was last set to.
    applied: f32,
    /// Output not yet pulled.
    out: VecDeque<i16>,
    /// The last frame pushed was speech (a partial frame waits for more).
    in_speech: bool,
    /// Frames since the last active frame.
    silence_run: u32,
    /// Extra silence already added to this pause, in samples.
    extended: usize,
    /// Speech has been heard since the last sentence end.
    sentence_open: bool,
    /// This pause ended a sentence, so it may be lengthened.
    sentence_end: bool,
    /// Frames of the sentence being spoken (pause frames inside it too).
    current: VecDeque<Frame>,
    /// The last finished sentence, for [`Stretcher::repeat`].
    last: Vec<Frame>,
}

impl Stretcher {
    /// A stretcher at the configured start speed.
    pub fn new(config: StretchConfig) -> Result<Stretcher, SonicError> {
        let mut sonic = Sonic::new(RATE)?;
        // Full-rate pitch search: at 8 kHz, decimating hurts more than
        // the little CPU it saves.
        sonic.set_quality(true);
        let step = nearest_step(config.start_speed);
        sonic.set_speed(SPEEDS[step]);
        Ok(Stretcher {
            sonic,
            vad: Vad::new(config.hangover_ms),
            step,
            applied: SPEEDS[step],
            out: VecDeque::new(),
            in_speech: false,
            silence_run: 0,
            extended: 0,
            sentence_open: false,
            sentence_end: false,
            current: VecDeque::new(),
            last: Vec::new(),
            config,
        })
    }

    /// The caller's speed now (1.0 would be real time).
    pub fn speed(&self) -> f32 {
        SPEEDS[self.step]
    }

    /// One step slower (key 4), from the next speech frame on; `false`
    /// at 0.6x already.
    pub fn slower(&mut self) -> bool {
        let changed = self.step + 1 < SPEEDS.len();
        if changed {
            self.step += 1;
        }
        changed
    }

    /// One step faster (key 6); `false` at 0.9x already.
    pub fn faster(&mut self) -> bool {
        let changed = self.step > 0;
        if changed {
            self.step -= 1;
        }
        changed
    }

    /// The speed to stretch at now: the caller's while the lag is well
    /// within its bound, eased toward real time as it nears the bound,
    /// real time at it. So the bound holds through an agent's long turn
    /// without a word dropped; the pace comes back in the next pause.
    fn governed_speed(&self) -> f32 {
        let chosen = self.speed();
        let bound = self.config.max_lag_ms as f32;
        let knee = LAG_KNEE * bound;
        let lag = self.lag_ms() as f32;
        if lag <= knee {
            chosen
        } else if lag >= bound {
            1.0
        } else {
            chosen + (1.0 - chosen) * (lag - knee) / (bound - knee)
        }
    }

    /// Output queued beyond real time, in milliseconds.
    pub fn lag_ms(&self) -> u32 {
        let samples = self.out.len() + self.sonic.available();
        u32::try_from(samples / PER_MS).unwrap_or(u32::MAX)
    }

    /// Takes the agent's next 20 ms. Errors only if libsonic runs out of
    /// memory; the frame is then lost but the stretcher stays usable.
    pub fn push_frame(&mut self, frame: &Frame) -> Result<(), SonicError> {
        let activity = self.vad.push(frame);
        self.in_speech = activity.speech;
        if activity.active {
            self.silence_run = 0;
            self.sentence_open = true;
        } else {
            self.silence_run = self.silence_run.saturating_add(1);
        }
        if self.sentence_open {
            self.record(frame);
        }
        if activity.speech {
            self.extended = 0;
            self.sentence_end = false;
            let speed = self.governed_speed();
            if speed != self.applied {
                // libsonic applies it to input not yet processed: the
                // change is seamless, at the next pitch period.
                self.sonic.set_speed(speed);
                self.applied = speed;
            }
            self.sonic.write(frame)?;
            self.drain_sonic();
            return Ok(());
        }
        self.pause_frame(frame);
        Ok(())
    }

    /// The caller's next 20 ms: silence when nothing is queued.
    pub fn pull_frame(&mut self) -> Frame {
        let mut f = SILENCE;
        // During speech a partial frame waits for the rest rather than
        // leave a gap in a word; in a pause it goes out padded.
        if self.out.len() >= FRAME || !self.in_speech {
            for (s, q) in f
                .iter_mut()
                .zip(self.out.drain(..self.out.len().min(FRAME)))
            {
                *s = q;
            }
        }
        f
    }

    /// Replays the last sentence at [`REPEAT_SPEED`] after what is
    /// already queued, then carries on with the live speech (which waits
    /// behind it: the lag grows by the replay and is paid back in the
    /// pauses). Replays what is said so far if no sentence has ended yet.
    /// `false` when there is nothing to replay.
    pub fn repeat(&mut self) -> Result<bool, SonicError> {
        let sentence: Vec<Frame> = if self.last.is_empty() {
            self.current.iter().copied().collect()
        } else {
            self.last.clone()
        };
        if sentence.is_empty() {
            return Ok(false);
        }
        self.sonic.set_speed(REPEAT_SPEED);
        self.applied = REPEAT_SPEED;
        for frame in &sentence {
            self.sonic.write(frame)?;
        }
        self.drain_sonic();
        Ok(true)
    }

    /// Back to a fresh call: nothing queued, nothing kept, start speed.
    pub fn end_of_call(&mut self) -> Result<(), SonicError> {
        self.sonic.clear()?;
        self.vad.reset();
        self.step = nearest_step(self.config.start_speed);
        self.applied = SPEEDS[self.step];
        self.sonic.set_speed(self.applied);
        self.out.clear();
        self.in_speech = false;
        self.silence_run = 0;
        self.extended = 0;
        self.sentence_open = false;
        self.sentence_end = false;
        self.current.clear();
        self.last.clear();
        Ok(())
    }

    /// A frame the VAD calls pause: queue it, skip it, lengthen the pause.
    fn pause_frame(&mut self, frame: &Frame) {
        let c = &self.config;
        let pause_ms = u64::from(self.silence_run) * FRAME_MS;
        let max_lag = u64::from(c.max_lag_ms);
        if self.sentence_open && pause_ms >= u64::from(c.sentence_pause_ms) {
            self.finish_sentence();
        }
        let c = &self.config;
        let lag = u64::from(self.lag_ms());
        let keep = pause_ms <= u64::from(c.min_pause_ms)
            || (pause_ms <= u64::from(c.long_pause_ms) && lag <= max_lag);
        if !keep {
            return;
        }
        self.out.extend(frame.iter().copied());
        if self.sentence_end && pause_ms <= u64::from(c.long_pause_ms) {
            let want_ms = (pause_ms * u64::from(c.pause_extend_percent) / 100)
                .min(u64::from(c.pause_extend_max_ms));
            let want = usize::try_from(want_ms).unwrap_or(0) * PER_MS;
            let add = want.saturating_sub(self.extended);
            let lag = self.out.len() / PER_MS;
            if add > 0 && (lag + add / PER_MS) as u64 <= max_lag {
                self.out.extend(std::iter::repeat_n(0, add));
                self.extended += add;
            }
        }
    }

    /// Keeps a frame of the sentence being spoken, within the bound.
    fn record(&mut self, frame: &Frame) {
        let max = (u64::from(self.config.sentence_max_ms) / FRAME_MS).max(1);
        while self.current.len() as u64 >= max {
            self.current.pop_front();
        }
        self.current.push_back(*frame);
    }

    /// The pause is a sentence end: the sentence (less the pause, but
    /// with its hangover) becomes the one [`Stretcher::repeat`] replays.
    fn finish_sentence(&mut self) {
        let hangover = (u64::from(self.config.hangover_ms) / FRAME_MS) as usize;
        let trailing = (self.silence_run as usize).saturating_sub(hangover);
        let keep = self.current.len().saturating_sub(trailing);
        self.current.truncate(keep);
        self.last = self.current.drain(..).collect();
        self.sentence_open = false;
        self.sentence_end = true;
    }

    /// Moves everything libsonic has ready into the output queue.
    fn drain_sonic(&mut self) {
        let mut buf = [0i16; 1024];
        loop {
            let n = self.sonic.read(&mut buf);
            if n == 0 {
                break;
            }
            self.out.extend(buf[..n].iter().copied());
        }
    }
}

/// Index of the step nearest `speed` (the mildest on a bad value).
fn nearest_step(speed: f32) -> usize {
    if !speed.is_finite() {
        return 0;
    }
    SPEEDS
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - speed).abs().total_cmp(&(b.1 - speed).abs()))
        .map_or(0, |(i, _)| i)
}
