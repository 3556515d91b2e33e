//! The file agent leg: the agent's voice comes from a WAV file, and what
//! the agent hears goes to a WAV file on the same timeline, silences
//! included.
//!
//! It stands in for a telephony leg in demos and tests, and has the same
//! shape: 20 ms frames of 8 kHz audio each way, on a media clock. This
//! struct holds the two timelines and is driven a frame at a time by the
//! call runner; only [`FileAgent::open`] and [`FileAgent::save`] touch
//! files.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::audio::wav::{self, WavError};

/// The agent leg's sample rate: narrowband telephony.
pub const RATE: u32 = 8000;
/// Samples in one 20 ms frame.
pub const FRAME: usize = 160;

/// Why the agent leg's files could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentFileError {
    /// The input could not be read as a WAV file.
    #[error("{path}: {source}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        source: WavError,
    },
    /// The input is not at the telephony rate.
    #[error("{path}: {rate} Hz audio; the agent leg needs 8000 Hz (convert with sox: rate 8000)")]
    Rate {
        /// The file.
        path: PathBuf,
        /// Its rate.
        rate: u32,
    },
    /// The output could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What one 20 ms frame brought.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tick {
    /// The agent's voice for this frame; `None` once the input has ended.
    pub voice: Option<Vec<i16>>,
    /// Utterances whose first sample played in this frame.
    pub started: Vec<u64>,
    /// Utterances whose last sample played in this frame.
    pub finished: Vec<u64>,
}

#[derive(Debug, Clone)]
struct Chunk {
    id: u64,
    samples: VecDeque<i16>,
    last: bool,
    first: bool,
}

/// Both timelines of the file agent leg.
#[derive(Debug, Clone)]
pub struct FileAgent {
    input: Vec<i16>,
    pos: usize,
    heard: Vec<i16>,
    playing: VecDeque<Chunk>,
    /// Utterances that have begun, so each is reported started once.
    begun: Vec<u64>,
    /// Samples of silence played inside an utterance because its next
    /// chunk had not been synthesized yet.
    gap_samples: u64,
}

impl FileAgent {
    /// A leg over the agent's voice `input` (8 kHz).
    pub fn new(input: Vec<i16>) -> Self {
        FileAgent {
            input,
            pos: 0,
            heard: Vec::new(),
            playing: VecDeque::new(),
            begun: Vec::new(),
            gap_samples: 0,
        }
    }

    /// Reads the agent's voice from `path`: a mono 8 kHz WAV file (16-bit
    /// PCM, mu-law or A-law).
    pub fn open(path: &Path) -> Result<Self, AgentFileError> {
        let wav_err = |source| AgentFileError::Wav {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(|e| wav_err(WavError::Io(e)))?;
        let (spec, samples) = wav::read_all(BufReader::new(file)).map_err(wav_err)?;
        if spec.sample_rate != RATE {
            return Err(AgentFileError::Rate {
                path: path.to_path_buf(),
                rate: spec.sample_rate,
            });
        }
        Ok(FileAgent::new(samples))
    }

    /// Queues synthesized speech for utterance `id`; `last` marks its end.
    pub fn play(&mut self, id: u64, samples: &[i16], last: bool) {
        self.playing.push_back(Chunk {
            id,
            samples: samples.iter().copied().collect(),
            last,
            first: !self.begun.contains(&id),
        });
        if !self.begun.contains(&id) {
            self.begun.push(id);
        }
    }

    /// Advances the media clock by one frame.
    pub fn tick(&mut self) -> Tick {
        let mut tick = Tick::default();
        if self.pos < self.input.len() {
            let end = (self.pos + FRAME).min(self.input.len());
            let mut frame = self.input[self.pos..end].to_vec();
            frame.resize(FRAME, 0);
            self.pos = end;
            tick.voice = Some(frame);
        }
        let mut out = [0i16; FRAME];
        let mut filled = 0;
        while filled < FRAME {
            let Some(chunk) = self.playing.front_mut() else {
                break;
            };
            if chunk.first {
                chunk.first = false;
                tick.started.push(chunk.id);
            }
            while filled < FRAME {
                let Some(s) = chunk.samples.pop_front() else {
                    break;
                };
                out[filled] = s;
                filled += 1;
            }
            if chunk.samples.is_empty() {
                if chunk.last {
                    tick.finished.push(chunk.id);
                    self.begun.retain(|&b| b != chunk.id);
                }
                self.playing.pop_front();
            }
        }
        // An utterance that has begun and not ended, with nothing left to
        // play: synthesis fell behind, and the agent hears a gap.
        if filled < FRAME && !self.begun.is_empty() {
            self.gap_samples += (FRAME - filled) as u64;
        }
        self.heard.extend_from_slice(&out);
        tick
    }

    /// Milliseconds of silence the agent heard inside utterances because
    /// speech was synthesized slower than it played.
    pub fn gap_ms(&self) -> u64 {
        self.gap_samples * 1000 / u64::from(RATE)
    }

    /// Whether the agent's voice file has been played to the end.
    pub fn input_ended(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Whether speech is queued or playing.
    pub fn is_playing(&self) -> bool {
        !self.playing.is_empty()
    }

    /// Seconds on the timeline so far.
    pub fn seconds(&self) -> f64 {
        self.heard.len() as f64 / f64::from(RATE)
    }

    /// What the agent heard, on the call's timeline.
    pub fn heard(&self) -> &[i16] {
        &self.heard
    }

    /// Writes what the agent heard to `path` as 16-bit PCM at 8 kHz.
    pub fn save(&self, path: &Path) -> Result<(), AgentFileError> {
        let write_err = |source| AgentFileError::Write {
            path: path.to_path_buf(),
            source,
        };
        let file = File::create(path).map_err(write_err)?;
        let mut w = BufWriter::new(file);
        wav::write_pcm16(&mut w, RATE, &self.heard)
            .and_then(|()| w.flush())
            .map_err(write_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heard_timeline_keeps_silences_and_reports_utterances() {
        let mut leg = FileAgent::new(vec![100; FRAME * 3 + 10]);
        let t = leg.tick();
        assert_eq!(t.voice.as_deref(), Some(&[100i16; FRAME][..]));
        leg.play(7, &[5; 200], false);
        leg.play(7, &[6; 50], true);
        let t = leg.tick();
        assert_eq!(t.started, [7]);
        assert!(t.finished.is_empty());
        let t = leg.tick();
        assert_eq!(t.finished, [7]);
        let t = leg.tick();
        // The last input frame is padded; then the input has ended.
        assert_eq!(t.voice.as_ref().map(Vec::len), Some(FRAME));
        assert!(leg.tick().voice.is_none());
        assert!(leg.input_ended());
        let heard = leg.heard();
        assert_eq!(heard.len(), 5 * FRAME);
        assert!(heard[..FRAME].iter().all(|&s| s == 0));
        assert_eq!(heard[FRAME], 5);
        assert_eq!(heard[FRAME + 200], 6);
        assert!(heard[FRAME + 250..].iter().all(|&s| s == 0));
        assert_eq!(leg.gap_ms(), 0, "silence outside utterances is no gap");
    }

    #[test]
    fn speech_that_arrives_late_is_counted_as_a_gap() {
        let mut leg = FileAgent::new(Vec::new());
        leg.play(3, &[5; FRAME + 40], false);
        leg.tick();
        // 40 samples left: the rest of this frame (120 samples) is a gap,
        // and so is the whole next frame.
        leg.tick();
        leg.tick();
        assert_eq!(leg.gap_ms(), (FRAME as u64 * 2 - 40) * 1000 / 8000);
        leg.play(3, &[6; FRAME], true);
        leg.tick();
        leg.tick();
        let before = leg.gap_ms();
        leg.tick();
        assert_eq!(
            leg.gap_ms(),
            before,
            "after the last chunk, silence is no gap"
        );
    }
}
