//! Steady level for the agent's speech: automatic gain control, the
//! caller's "louder" key, and a peak limiter so gain never clips.
//!
//! Owns: the speech level estimate, the AGC gain and its slew limits, the
//! caller's boost (+6 dB steps to +18 dB, key 8), and the limiter state.
//! Must not touch: timing (one frame in, one frame out, no delay), pauses
//! or speed ([`super::stretch`]). Sans-IO: no clock, no I/O.
//!
//! Why this shape: the gain follows a slow estimate of the speech level
//! (power averaged over active frames, about 0.4 s), moves only while the
//! agent speaks, and slews at most 6 dB/s up and 12 dB/s down, so it
//! neither pumps on syllables nor lifts the noise in pauses. The limiter
//! sees the whole 20 ms frame before any of it leaves, which is look-ahead
//! for free: it ramps its gain down a few milliseconds ahead of a peak and
//! recovers over about 100 ms, and a final clamp holds the ceiling.

use super::vad::Vad;
use crate::media::frame::{FRAME, FRAME_MS, Frame};

/// Settings for [`Level`].
#[derive(Debug, Clone, PartialEq)]
pub struct LevelConfig {
    /// Speech level to aim for, dBFS RMS over speech frames.
    pub target_dbfs: f32,
    /// Most gain AGC applies (a very quiet agent).
    pub max_gain_db: f32,
    /// Least gain AGC applies (a loud agent is brought down this far).
    pub min_gain_db: f32,
    /// How fast gain may rise, dB per second of speech.
    pub rise_db_per_s: f32,
    /// How fast gain may fall, dB per second of speech.
    pub fall_db_per_s: f32,
    /// One press of "louder".
    pub boost_step_db: f32,
    /// Most the caller can add.
    pub boost_max_db: f32,
    /// No output sample's magnitude exceeds this.
    pub ceiling: i16,
}

impl Default for LevelConfig {
    fn default() -> Self {
        LevelConfig {
            target_dbfs: -20.0,
            max_gain_db: 24.0,
            min_gain_db: -12.0,
            rise_db_per_s: 6.0,
            fall_db_per_s: 12.0,
            boost_step_db: 6.0,
            boost_max_db: 18.0,
            // -1 dBFS: headroom for G.711 and any resampling after us.
            ceiling: 29_204,
        }
    }
}

/// Weight of each new active frame in the speech level average (about
/// 0.4 s at 50 frames a second).
const LEVEL_ALPHA: f64 = 1.0 / 20.0;
/// Limiter attack: going back from a peak, its gain may rise this much
/// per sample (full ramp within ~3 ms).
const LIMIT_ATTACK: f32 = 0.02;
/// Limiter release per sample: from 0.5 back to 1.0 in ~100 ms.
const LIMIT_RELEASE: f32 = 1.0 / 1600.0;

/// The gain stage for one call.
#[derive(Debug, Clone)]
pub struct Level {
    config: LevelConfig,
    /// Decides which frames move the gain.
    vad: Vad,
    /// Mean power of active frames (full scale = 1.0); `None` before the
    /// first one.
    speech_power: Option<f64>,
    /// AGC gain in dB.
    gain_db: f32,
    /// The caller's boost in dB.
    boost_db: f32,
    /// Linear gain applied at the end of the last frame, so the next one
    /// ramps from it (no zipper noise).
    last_linear: f32,
    /// Limiter gain at the end of the last frame (1.0: not limiting).
    limit: f32,
}

impl Level {
    /// A gain stage at 0 dB.
    pub fn new(config: LevelConfig) -> Level {
        Level {
            config,
            vad: Vad::new(100),
            speech_power: None,
            gain_db: 0.0,
            boost_db: 0.0,
            last_linear: 1.0,
            limit: 1.0,
        }
    }

    /// AGC gain now, dB (without the caller's boost).
    pub fn gain_db(&self) -> f32 {
        self.gain_db
    }

    /// The caller's boost now, dB.
    pub fn boost_db(&self) -> f32 {
        self.boost_db
    }

    /// One step louder (key 8); `false` when already at the most.
    pub fn louder(&mut self) -> bool {
        let next = (self.boost_db + self.config.boost_step_db).min(self.config.boost_max_db);
        let changed = next > self.boost_db;
        self.boost_db = next;
        changed
    }

    /// Back to a fresh call: 0 dB, no boost (Section 508: volume resets
    /// after use).
    pub fn reset(&mut self) {
        *self = Level::new(self.config.clone());
    }

    /// Levels one frame of the agent's speech.
    pub fn process(&mut self, frame: &Frame) -> Frame {
        let activity = self.vad.push(frame);
        if activity.active {
            self.follow_speech(activity.level_dbfs);
        }
        let target = db_to_linear(self.gain_db + self.boost_db);
        let mut y = [0f32; FRAME];
        let step = (target - self.last_linear) / FRAME as f32;
        for (i, (out, &s)) in y.iter_mut().zip(frame.iter()).enumerate() {
            *out = f32::from(s) * (self.last_linear + step * (i + 1) as f32);
        }
        self.last_linear = target;
        self.limit_frame(&y)
    }

    /// Moves the gain toward the target, within the slew limits.
    fn follow_speech(&mut self, level_dbfs: f32) {
        let power = f64::from(db_to_linear(level_dbfs)).powi(2);
        let mean = match self.speech_power {
            Some(p) => p + (power - p) * LEVEL_ALPHA,
            None => power,
        };
        self.speech_power = Some(mean);
        let level = 10.0 * mean.max(1e-12).log10() as f32;
        let c = &self.config;
        let want = (c.target_dbfs - level).clamp(c.min_gain_db, c.max_gain_db);
        let per_frame = FRAME_MS as f32 / 1000.0;
        let delta =
            (want - self.gain_db).clamp(-c.fall_db_per_s * per_frame, c.rise_db_per_s * per_frame);
        self.gain_db += delta;
    }

    /// Peak limiter over one frame of gained samples.
    fn limit_frame(&mut self, y: &[f32; FRAME]) -> Frame {
        let ceiling = f32::from(self.config.ceiling.max(1));
        // The most gain each sample allows, ramped backwards so the gain
        // is already down when a peak arrives.
        let mut allowed = [1f32; FRAME];
        let mut next = 1f32;
        for i in (0..FRAME).rev() {
            let mag = y[i].abs();
            let need = if mag > ceiling { ceiling / mag } else { 1.0 };
            next = need.min(next + LIMIT_ATTACK);
            allowed[i] = next;
        }
        let mut out = [0i16; FRAME];
        let mut g = self.limit;
        for i in 0..FRAME {
            g = allowed[i].min(g + LIMIT_RELEASE);
            // The clamp only catches rounding: `g` already keeps the
            // sample at or under the ceiling.
            out[i] = (y[i] * g).round().clamp(-ceiling, ceiling) as i16;
        }
        self.limit = g;
        out
    }
}

fn db_to_linear(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slow::vad::frame_dbfs;

    /// A voiced, harmonic "speech" signal at `rms_dbfs` (about) with
    /// syllables and pauses, plus faint hiss: `seconds` of frames.
    fn talker(rms_dbfs: f32, seconds: u32) -> Vec<Frame> {
        let amp = 32768.0 * db_to_linear(rms_dbfs) * 2.0;
        let mut noise = 12345u32;
        let n = (seconds * 8000) as usize;
        let mut samples = Vec::with_capacity(n);
        for i in 0..n {
            let t = i as f32 / 8000.0;
            // 250 ms syllables, every fourth second a 500 ms pause.
            let in_pause = (t % 4.0) > 3.5;
            let syl = (t % 0.25) / 0.25;
            let env = if in_pause {
                0.0
            } else {
                (std::f32::consts::PI * syl).sin().powi(2)
            };
            let mut v = 0.0;
            for k in 1..=8 {
                v += (2.0 * std::f32::consts::PI * 130.0 * k as f32 * t).sin() / k as f32;
            }
            noise = noise.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let hiss = ((noise >> 16) as f32 / 32768.0 - 1.0) * 3.0;
            samples.push((amp * env * v * 0.6 + hiss).clamp(-32767.0, 32767.0) as i16);
        }
        samples
            .chunks_exact(FRAME)
            .map(|c| {
                let mut f = [0i16; FRAME];
                f.copy_from_slice(c);
                f
            })
            .collect()
    }

    /// dBFS RMS of the output over frames that were active at the input.
    fn speech_rms(level: &mut Level, input: &[Frame], skip: usize) -> (f32, i16) {
        let mut power = 0f64;
        let mut frames = 0;
        let mut peak = 0i16;
        for (i, f) in input.iter().enumerate() {
            let out = level.process(f);
            peak = peak.max(out.iter().map(|s| s.saturating_abs()).max().unwrap_or(0));
            if i >= skip && frame_dbfs(f) > frame_dbfs(&input[0]) + 20.0 {
                power += out.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
                frames += 1;
            }
        }
        let rms = (power / (frames * FRAME) as f64).sqrt();
        (20.0 * (rms / 32768.0).log10() as f32, peak)
    }

    #[test]
    fn quiet_agent_is_brought_to_target() {
        let input = talker(-40.0, 20);
        let in_db = {
            let mut flat = Level::new(LevelConfig {
                max_gain_db: 0.0,
                min_gain_db: 0.0,
                ..LevelConfig::default()
            });
            speech_rms(&mut flat, &input, 0).0
        };
        assert!((in_db + 40.0).abs() < 3.0, "input is {in_db} dBFS");
        let mut level = Level::new(LevelConfig::default());
        // Judge the last 10 s, after the gain has had time to settle.
        let (out_db, _) = speech_rms(&mut level, &input, 500);
        assert!((out_db + 20.0).abs() <= 3.0, "output {out_db} dBFS");
        assert!(level.gain_db() > 15.0 && level.gain_db() <= 24.0);
    }

    #[test]
    fn gain_holds_in_pauses_and_does_not_pump() {
        let input = talker(-35.0, 20);
        let mut level = Level::new(LevelConfig::default());
        let mut gains = Vec::new();
        for f in &input {
            let before = level.gain_db();
            level.process(f);
            if frame_dbfs(f) < -60.0 {
                assert_eq!(level.gain_db(), before, "gain moved in a pause");
            }
            gains.push(level.gain_db());
        }
        // Settled: over the last 8 s the gain wanders less than 2 dB.
        let tail = &gains[600..];
        let (lo, hi) = tail
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), &g| (lo.min(g), hi.max(g)));
        assert!(hi - lo < 2.0, "gain swung {lo}..{hi}");
    }

    #[test]
    fn loud_agent_never_clips_even_boosted() {
        let mut level = Level::new(LevelConfig::default());
        for _ in 0..5 {
            level.louder();
        }
        assert_eq!(level.boost_db(), 18.0);
        // Near full scale from the first frame, and a hard square burst.
        let mut input = talker(-6.0, 6);
        input.extend(std::iter::repeat_n([32767i16; FRAME], 10));
        input.extend(std::iter::repeat_n([-32768i16; FRAME], 10));
        let (_, peak) = speech_rms(&mut level, &input, 0);
        assert!(peak <= LevelConfig::default().ceiling, "peak {peak}");
        assert!(peak < i16::MAX);
    }

    #[test]
    fn limiter_is_transparent_below_the_ceiling() {
        let mut level = Level::new(LevelConfig {
            max_gain_db: 0.0,
            min_gain_db: 0.0,
            ..LevelConfig::default()
        });
        let input = talker(-30.0, 2);
        for f in &input {
            assert_eq!(&level.process(f), f);
        }
    }

    #[test]
    fn louder_steps_caps_and_resets() {
        let mut level = Level::new(LevelConfig::default());
        assert!(level.louder());
        assert_eq!(level.boost_db(), 6.0);
        assert!(level.louder());
        assert!(level.louder());
        assert_eq!(level.boost_db(), 18.0);
        assert!(!level.louder());
        assert_eq!(level.boost_db(), 18.0);
        // +18 dB is heard: a quiet frame comes out ~8x larger.
        let mut flat = Level::new(LevelConfig {
            max_gain_db: 0.0,
            min_gain_db: 0.0,
            ..LevelConfig::default()
        });
        for _ in 0..3 {
            flat.louder();
        }
        let quiet = [100i16; FRAME];
        flat.process(&quiet);
        let out = flat.process(&quiet);
        assert!((out[80] - 794).abs() <= 2, "got {}", out[80]);
        level.reset();
        assert_eq!(level.boost_db(), 0.0);
        assert_eq!(level.gain_db(), 0.0);
    }
}
