//! Whole recordings: cutting a long recording at its pauses into pieces
//! a speech engine transcribes well, and putting the pieces' text back
//! on the recording's time line.
//!
//! Whisper looks at 30 s at a time and conditions on what it has just
//! written. Given a call recording with long stretches of silence, it
//! fills the silence with invented text, and once it has invented a
//! sentence it tends to repeat it until the window ends: on a 100 s agent
//! leg with 40 s of silence at the end, tiny.en wrote "i'm not going to
//! do that" fourteen times and lost the real words after it. Feeding it
//! only the speech, cut where the speaker paused, removes the cause.
//!
//! This module owns where the cuts go ([`plan_pieces`], pure: utterance
//! boundaries in, sample ranges out) and the loop that hands each piece
//! to an engine ([`transcribe_recording`]). It does no I/O and knows
//! nothing about files, calls or the live-caption path.

use std::ops::Range;

use super::vad::{RATE, Vad, VadConfig, VadEvent};
use super::{Segment, SpeechToText, SttError};

/// Where a recording is cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PieceConfig {
    /// How speech is told from silence (the live captions' detector).
    pub vad: VadConfig,
    /// Seconds of audio kept on each side of a piece's speech, so the
    /// first and last sounds are not clipped by the detector's framing.
    pub pad: f64,
    /// Utterances closer than this many seconds share a piece: whisper
    /// reads short phrases better with their neighbours around them.
    pub join_gap: f64,
    /// Longest piece in seconds; whisper cannot look at more than 30.
    pub max_piece: f64,
}

impl Default for PieceConfig {
    /// The live captions' detector, 0.3 s padding, utterances less than
    /// 2 s apart joined, pieces of at most 25 s.
    ///
    /// 2 s keeps a speaker's sentences together while cutting out the
    /// waits between turns of a conversation, which is where whisper
    /// invents text.
    fn default() -> Self {
        PieceConfig {
            vad: VadConfig::default(),
            pad: 0.3,
            join_gap: 2.0,
            max_piece: 25.0,
        }
    }
}

/// Utterances as sample ranges, from the detector's boundary events.
fn utterances(events: &[VadEvent]) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut open: Option<u64> = None;
    for event in events {
        match *event {
            VadEvent::Start { at } => open = Some(at),
            VadEvent::Split { at, .. } => {
                if let Some(start) = open.replace(at) {
                    out.push(start..at);
                }
            }
            VadEvent::End { at, .. } => {
                if let Some(start) = open.take() {
                    out.push(start..at);
                }
            }
        }
    }
    out
}

/// The pieces to transcribe, as sample ranges of a recording `len`
/// samples long (at the detector's 16 kHz), from its utterance
/// boundaries.
///
/// Neighbouring utterances are joined while the pause between them is
/// under `join_gap` and the piece stays within `max_piece`; each piece is
/// then widened by `pad` on both sides, without reaching into the next
/// piece. Silence between pieces is in no piece.
pub fn plan_pieces(events: &[VadEvent], len: usize, config: &PieceConfig) -> Vec<Range<usize>> {
    let samples = |s: f64| (s.max(0.0) * f64::from(RATE)) as u64;
    let (gap, max, pad) = (
        samples(config.join_gap),
        samples(config.max_piece).max(1),
        samples(config.pad),
    );
    let mut joined: Vec<Range<u64>> = Vec::new();
    for u in utterances(events) {
        match joined.last_mut() {
            Some(last) if u.start.saturating_sub(last.end) < gap && u.end - last.start <= max => {
                last.end = u.end
            }
            _ => joined.push(u),
        }
    }
    let len = len as u64;
    let mut pieces: Vec<Range<usize>> = Vec::with_capacity(joined.len());
    for (i, piece) in joined.iter().enumerate() {
        let floor = pieces.last().map_or(0, |p| p.end as u64);
        let ceiling = joined.get(i + 1).map_or(len, |next| next.start).min(len);
        let start = piece.start.saturating_sub(pad).max(floor);
        let end = (piece.end + pad).min(ceiling);
        if start < end {
            pieces.push(start as usize..end as usize);
        }
    }
    pieces
}

/// Transcribes a whole 16 kHz recording piece by piece: the detector
/// finds the speech, [`plan_pieces`] cuts it, and `engine` transcribes
/// each piece alone. Segment times are in seconds from the start of the
/// recording. A recording with no speech gives no segments.
pub fn transcribe_recording(
    engine: &mut dyn SpeechToText,
    audio: &[f32],
    config: &PieceConfig,
) -> Result<Vec<Segment>, SttError> {
    let mut vad = Vad::new(config.vad);
    let mut events = Vec::new();
    vad.push(audio, &mut events);
    vad.finish(&mut events);
    let mut out = Vec::new();
    for piece in plan_pieces(&events, audio.len(), config) {
        let offset = piece.start as f64 / f64::from(RATE);
        for mut segment in engine.transcribe(&audio[piece])? {
            segment.start += offset;
            segment.end += offset;
            out.push(segment);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = RATE as u64;

    fn speech(ranges: &[(f64, f64)]) -> Vec<VadEvent> {
        let at = |s: f64| (s * S as f64) as u64;
        ranges
            .iter()
            .flat_map(|&(a, b)| {
                [
                    VadEvent::Start { at: at(a) },
                    VadEvent::End {
                        at: at(b),
                        speech: at(b - a),
                    },
                ]
            })
            .collect()
    }

    fn seconds(pieces: &[Range<usize>]) -> Vec<(f64, f64)> {
        pieces
            .iter()
            .map(|p| (p.start as f64 / S as f64, p.end as f64 / S as f64))
            .collect()
    }

    #[test]
    fn silence_between_turns_is_left_out() {
        let events = speech(&[(24.0, 35.0), (95.0, 97.0)]);
        let pieces = plan_pieces(&events, 140 * S as usize, &PieceConfig::default());
        assert_eq!(seconds(&pieces), vec![(23.7, 35.3), (94.7, 97.3)]);
    }

    #[test]
    fn close_utterances_share_a_piece_up_to_the_limit() {
        let events = speech(&[(1.0, 5.0), (6.0, 12.0), (13.5, 20.0), (21.0, 30.0)]);
        let pieces = plan_pieces(&events, 40 * S as usize, &PieceConfig::default());
        // The fourth would make the piece 29 s long.
        assert_eq!(seconds(&pieces), vec![(0.7, 20.3), (20.7, 30.3)]);
    }

    #[test]
    fn padding_stops_at_the_recording_and_at_the_next_piece() {
        let config = PieceConfig {
            max_piece: 5.0,
            ..PieceConfig::default()
        };
        let events = speech(&[(0.1, 4.0), (4.2, 8.0)]);
        let pieces = plan_pieces(&events, (8.1 * S as f64) as usize, &config);
        assert_eq!(seconds(&pieces), vec![(0.0, 4.2), (4.2, 8.1)]);
    }

    #[test]
    fn a_split_utterance_gives_pieces_that_cover_all_of_it() {
        let events = [
            VadEvent::Start { at: S },
            VadEvent::Split {
                at: 26 * S,
                speech: 25 * S,
            },
            VadEvent::End {
                at: 30 * S,
                speech: 4 * S,
            },
        ];
        let pieces = plan_pieces(&events, 31 * S as usize, &PieceConfig::default());
        assert_eq!(seconds(&pieces), vec![(0.7, 26.0), (26.0, 30.3)]);
    }

    #[test]
    fn no_speech_no_pieces() {
        assert!(plan_pieces(&[], 10 * S as usize, &PieceConfig::default()).is_empty());
    }

    /// An engine that reports each piece it is given as one segment.
    struct Lengths(Vec<usize>);

    impl SpeechToText for Lengths {
        fn transcribe(&mut self, audio: &[f32]) -> Result<Vec<Segment>, SttError> {
            self.0.push(audio.len());
            Ok(vec![Segment {
                text: format!("piece {}", self.0.len()),
                start: 0.1,
                end: audio.len() as f64 / f64::from(RATE),
            }])
        }
    }

    #[test]
    fn silence_is_never_handed_to_the_engine() {
        let mut engine = Lengths(Vec::new());
        let silence = vec![0.0f32; 30 * S as usize];
        let segments = transcribe_recording(&mut engine, &silence, &PieceConfig::default())
            .expect("transcribes");
        assert!(segments.is_empty());
        assert!(engine.0.is_empty());
    }
}
