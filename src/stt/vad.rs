//! Voice activity detection: 16 kHz audio in, utterance boundaries out.
//!
//! This module owns deciding where speech starts and ends. It scores
//! 16 ms frames (256 samples at 16 kHz) with the `earshot` detector, a
//! small neural network compiled into the crate (no model download), and
//! turns the per-frame scores into utterances:
//!
//! - an utterance **starts** after `onset` of consecutive speech frames,
//!   at the first of them (so a click or a single noisy frame starts
//!   nothing);
//! - it **ends** once `hangover` of non-speech follows the last speech
//!   frame, at the end of that last speech frame. Pauses shorter than the
//!   hangover (between words, at a comma) stay inside the utterance;
//! - an utterance longer than `max_utterance` is **split** at that point,
//!   because whisper cannot look at more than 30 s at once.
//!
//! Positions are sample indices at 16 kHz counted from the first sample
//! pushed. The module is pure: samples in, events out; it never reads the
//! clock and knows nothing about decoding or text.

/// Samples per detector frame (16 ms at 16 kHz).
pub const FRAME: usize = 256;
/// The sample rate the detector takes.
pub const RATE: u32 = 16_000;

/// How frame scores become utterances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    /// A frame whose score (0 to 1) reaches this is speech.
    pub threshold: f32,
    /// Seconds of consecutive speech frames needed to start an utterance.
    pub onset: f64,
    /// Seconds of non-speech that end an utterance.
    pub hangover: f64,
    /// Longest utterance, in seconds; a longer one is split.
    pub max_utterance: f64,
}

impl Default for VadConfig {
    /// Threshold 0.7, 48 ms onset, 0.6 s hangover, 25 s utterances.
    ///
    /// earshot suggests 0.5, but at 0.5 it takes steady tones, chords and
    /// pink noise for voice (they score 0.5 to 0.6), and the pauses of
    /// mu-law telephone speech too (0.4 to 0.6), so utterances never end.
    /// Speech itself scores 0.8 to 0.99, on clean and telephone audio.
    fn default() -> Self {
        VadConfig {
            threshold: 0.7,
            onset: 0.048,
            hangover: 0.6,
            max_utterance: 25.0,
        }
    }
}

/// An utterance boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Speech starts at this sample.
    Start {
        /// First sample of the first speech frame.
        at: u64,
    },
    /// Speech ended; the utterance's speech runs up to this sample.
    End {
        /// One past the last sample of the last speech frame.
        at: u64,
        /// Samples of speech frames inside the utterance.
        speech: u64,
    },
    /// The utterance reached `max_utterance` and continues as a new one
    /// from this sample (no pause, so nothing is repeated).
    Split {
        /// Where the old utterance ends and the new one starts.
        at: u64,
        /// Samples of speech frames in the utterance that ended.
        speech: u64,
    },
}

/// The utterance logic alone: per-frame speech decisions in, boundaries
/// out. [`Vad`] feeds it from the detector; tests feed it directly.
#[derive(Debug, Clone)]
pub struct Segmenter {
    /// Consecutive speech frames needed to start.
    onset: u64,
    /// Non-speech frames that end an utterance.
    hangover: u64,
    /// Longest utterance in samples.
    max_len: u64,
    /// Index of the next frame's first sample.
    pos: u64,
    /// Consecutive speech frames while not in an utterance.
    run: u64,
    /// Inside an utterance: where it started.
    start: Option<u64>,
    /// End of the last speech frame inside the utterance.
    last_speech: u64,
    /// Speech samples in the current utterance.
    speech: u64,
}

impl Segmenter {
    /// A segmenter with `config`'s times rounded up to whole frames.
    pub fn new(config: &VadConfig) -> Self {
        let frames = |s: f64| (s * f64::from(RATE) / FRAME as f64).ceil().max(1.0) as u64;
        Segmenter {
            onset: frames(config.onset),
            hangover: frames(config.hangover),
            max_len: frames(config.max_utterance) * FRAME as u64,
            pos: 0,
            run: 0,
            start: None,
            last_speech: 0,
            speech: 0,
        }
    }

    /// Whether an utterance is open.
    pub fn in_speech(&self) -> bool {
        self.start.is_some()
    }

    /// The next frame (of [`FRAME`] samples) is speech or not.
    pub fn frame(&mut self, voiced: bool, events: &mut Vec<VadEvent>) {
        let frame = FRAME as u64;
        self.pos += frame;
        match self.start {
            None if !voiced => self.run = 0,
            None => {
                self.run += 1;
                if self.run >= self.onset {
                    let at = self.pos - self.run * frame;
                    self.start = Some(at);
                    self.last_speech = self.pos;
                    self.speech = self.run * frame;
                    self.run = 0;
                    events.push(VadEvent::Start { at });
                }
            }
            Some(start) => {
                if voiced {
                    self.last_speech = self.pos;
                    self.speech += frame;
                }
                if (self.pos - self.last_speech) / frame >= self.hangover {
                    self.start = None;
                    events.push(VadEvent::End {
                        at: self.last_speech,
                        speech: self.speech,
                    });
                    self.speech = 0;
                } else if self.pos - start >= self.max_len {
                    events.push(VadEvent::Split {
                        at: self.pos,
                        speech: self.speech,
                    });
                    self.start = Some(self.pos);
                    self.speech = 0;
                }
            }
        }
    }

    /// End of the audio: closes an open utterance at its last speech.
    pub fn finish(&mut self, events: &mut Vec<VadEvent>) {
        if self.start.take().is_some() {
            events.push(VadEvent::End {
                at: self.last_speech,
                speech: self.speech,
            });
        }
        self.run = 0;
        self.speech = 0;
    }
}

/// A streaming voice activity detector with hangover: the `earshot`
/// frame classifier feeding a [`Segmenter`].
pub struct Vad {
    /// The frame classifier; boxed because its state is about 8 KiB.
    detector: Box<earshot::Detector>,
    threshold: f32,
    segmenter: Segmenter,
    /// Samples not yet making up a whole frame.
    partial: Vec<f32>,
}

impl std::fmt::Debug for Vad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vad")
            .field("threshold", &self.threshold)
            .field("segmenter", &self.segmenter)
            .finish_non_exhaustive()
    }
}

impl Vad {
    /// A detector with `config`, positioned at sample 0.
    pub fn new(config: VadConfig) -> Self {
        Vad {
            detector: earshot::Detector::default_boxed(),
            threshold: config.threshold,
            segmenter: Segmenter::new(&config),
            partial: Vec::with_capacity(FRAME),
        }
    }

    /// Whether an utterance is open.
    pub fn in_speech(&self) -> bool {
        self.segmenter.in_speech()
    }

    /// Feeds 16 kHz samples in [-1, 1]; boundaries found are appended to
    /// `events` in order.
    pub fn push(&mut self, samples: &[f32], events: &mut Vec<VadEvent>) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (FRAME - self.partial.len()).min(rest.len());
            self.partial
                .extend(rest[..take].iter().map(|s| s.clamp(-1.0, 1.0)));
            rest = &rest[take..];
            if self.partial.len() == FRAME {
                let score = self.detector.predict_f32(&self.partial);
                self.partial.clear();
                self.segmenter.frame(score >= self.threshold, events);
            }
        }
    }

    /// End of the audio: closes an open utterance at its last speech.
    pub fn finish(&mut self, events: &mut Vec<VadEvent>) {
        self.segmenter.finish(events);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: u64 = FRAME as u64;

    /// Runs a pattern of frames: `'#'` speech, `'.'` not.
    fn pattern(seg: &mut Segmenter, frames: &str) -> Vec<VadEvent> {
        let mut events = Vec::new();
        for c in frames.chars() {
            seg.frame(c == '#', &mut events);
        }
        events
    }

    fn config() -> VadConfig {
        // 3-frame onset, 10-frame hangover, 100-frame utterances.
        let frame_s = FRAME as f64 / f64::from(RATE);
        VadConfig {
            threshold: 0.5,
            onset: 3.0 * frame_s,
            hangover: 10.0 * frame_s,
            max_utterance: 100.0 * frame_s,
        }
    }

    #[test]
    fn isolated_speech_frames_start_nothing() {
        let mut seg = Segmenter::new(&config());
        assert!(pattern(&mut seg, "..#..##...#.##.....").is_empty());
        assert!(!seg.in_speech());
    }

    #[test]
    fn brief_pauses_stay_inside_one_utterance() {
        let mut seg = Segmenter::new(&config());
        // Speech from frame 2, pauses of 5 and 9 frames, then 10 silent.
        let events = pattern(&mut seg, "..######.....####.........###..........");
        assert_eq!(
            events,
            vec![
                VadEvent::Start { at: 2 * F },
                VadEvent::End {
                    at: 29 * F,
                    speech: 13 * F
                }
            ]
        );
    }

    #[test]
    fn a_long_pause_splits_utterances() {
        let mut seg = Segmenter::new(&config());
        let events = pattern(&mut seg, "####............####");
        assert_eq!(events.len(), 3, "{events:?}");
        assert_eq!(events[0], VadEvent::Start { at: 0 });
        assert_eq!(
            events[1],
            VadEvent::End {
                at: 4 * F,
                speech: 4 * F
            }
        );
        assert_eq!(events[2], VadEvent::Start { at: 16 * F });
        let mut end = Vec::new();
        seg.finish(&mut end);
        assert_eq!(
            end,
            vec![VadEvent::End {
                at: 20 * F,
                speech: 4 * F
            }]
        );
    }

    #[test]
    fn endless_speech_is_split_without_a_gap() {
        let mut seg = Segmenter::new(&config());
        let events = pattern(&mut seg, &"#".repeat(250));
        assert_eq!(
            events,
            vec![
                VadEvent::Start { at: 0 },
                VadEvent::Split {
                    at: 100 * F,
                    speech: 100 * F
                },
                VadEvent::Split {
                    at: 200 * F,
                    speech: 100 * F
                },
            ]
        );
    }

    #[test]
    fn silence_and_quiet_hiss_start_no_utterance() {
        let mut vad = Vad::new(VadConfig::default());
        let mut events = Vec::new();
        for chunk in vec![0.0f32; 16000 * 3].chunks(333) {
            vad.push(chunk, &mut events);
        }
        // Line hiss about 50 dB below full scale (a fixed pseudo-random
        // sequence, so the test is repeatable).
        let mut x = 12345u32;
        let hiss: Vec<f32> = (0..16000 * 3)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 8) as f32 / (1u32 << 24) as f32 * 0.006 - 0.003
            })
            .collect();
        for chunk in hiss.chunks(333) {
            vad.push(chunk, &mut events);
        }
        vad.finish(&mut events);
        assert!(events.is_empty(), "{events:?}");
    }
}
