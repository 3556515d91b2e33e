//! The file port: the far end's voice from a WAV file, and what it hears
//! to a WAV file on the same timeline, silences included.
//!
//! It stands in for a telephony leg in demos and tests (`relaygate call
//! --agent-in --agent-out`). Only [`FilePort::open`] and
//! [`FilePort::save`] touch files; the exchange is plain memory.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::frame::{FRAME, Frame, RATE};
use super::port::MediaPort;
use crate::audio::wav::{self, WavError};

/// Why a file port's files could not be used.
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

/// Both timelines of a file port.
#[derive(Debug, Clone, Default)]
pub struct FilePort {
    input: Vec<i16>,
    pos: usize,
    heard: Vec<i16>,
}

impl FilePort {
    /// A port over the far end's voice `input` (8 kHz).
    pub fn new(input: Vec<i16>) -> Self {
        FilePort {
            input,
            pos: 0,
            heard: Vec::new(),
        }
    }

    /// Reads the far end's voice from `path`: a mono 8 kHz WAV file
    /// (16-bit PCM, mu-law or A-law).
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
        Ok(FilePort::new(samples))
    }

    /// Whether the input has been played to the end.
    pub fn input_ended(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// What the far end heard, on the call's timeline.
    pub fn heard(&self) -> &[i16] {
        &self.heard
    }

    /// Writes what the far end heard to `path` as 16-bit PCM at 8 kHz.
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

impl MediaPort for FilePort {
    fn exchange(&mut self, out: &Frame) -> Option<Frame> {
        self.heard.extend_from_slice(out);
        if self.input_ended() {
            return None;
        }
        let end = (self.pos + FRAME).min(self.input.len());
        let mut frame = [0; FRAME];
        frame[..end - self.pos].copy_from_slice(&self.input[self.pos..end]);
        self.pos = end;
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::frame::SILENCE;

    #[test]
    fn the_input_is_framed_and_padded_and_everything_sent_is_kept() {
        let mut p = FilePort::new(vec![7; FRAME + 10]);
        assert_eq!(p.exchange(&[1; FRAME]), Some([7; FRAME]));
        let last = p.exchange(&SILENCE).expect("a padded frame");
        assert!(last[..10].iter().all(|&s| s == 7) && last[10..].iter().all(|&s| s == 0));
        assert_eq!(p.exchange(&[2; FRAME]), None);
        assert!(p.input_ended());
        assert_eq!(p.heard().len(), 3 * FRAME);
        assert_eq!((p.heard()[0], p.heard()[2 * FRAME]), (1, 2));
    }
}
