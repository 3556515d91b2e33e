//! The agent's voice leg over any media port: what the agent says goes
//! to captions, and synthesized speech for the agent plays out a frame
//! at a time.
//!
//! Owns the speech queue (utterances, where each begins and ends, and the
//! gaps when synthesis falls behind). The port ([`MediaPort`]: a WAV
//! file, RTP) owns where the frames come from and go to; this leg never
//! knows which. Sans-IO: the call loop ticks it once per frame.

use std::collections::VecDeque;

use crate::media::frame::{FRAME, Frame, RATE, SILENCE};
use crate::media::port::MediaPort;

/// What one 20 ms frame brought.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tick {
    /// The agent's voice for this frame; `None` once the port's input has
    /// ended.
    pub voice: Option<Frame>,
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

/// The agent's voice leg.
#[derive(Debug)]
pub struct AgentVoice<P> {
    port: P,
    input_ended: bool,
    playing: VecDeque<Chunk>,
    /// Utterances that have begun, so each is reported started once.
    begun: Vec<u64>,
    /// Samples of silence played inside an utterance because its next
    /// chunk had not been synthesized yet.
    gap_samples: u64,
}

impl<P: MediaPort> AgentVoice<P> {
    /// A leg over `port`.
    pub fn new(port: P) -> Self {
        AgentVoice {
            port,
            input_ended: false,
            playing: VecDeque::new(),
            begun: Vec::new(),
            gap_samples: 0,
        }
    }

    /// The port, to read what it recorded or counted.
    pub fn port(&self) -> &P {
        &self.port
    }

    /// The port, to change it mid-call.
    pub fn port_mut(&mut self) -> &mut P {
        &mut self.port
    }

    /// Takes the port back.
    pub fn into_port(self) -> P {
        self.port
    }

    /// Drops everything queued: the agent leg went away, and the relay
    /// core queues the unspoken text again for the next agent.
    pub fn clear(&mut self) {
        self.begun.clear();
        self.playing.clear();
    }

    /// A new agent answers on the port after the last one's media ended:
    /// its voice is heard again.
    pub fn resume_input(&mut self) {
        self.input_ended = false;
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
        let mut out = SILENCE;
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
        let voice = self.port.exchange(&out);
        if !self.input_ended {
            self.input_ended = voice.is_none();
            tick.voice = voice;
        }
        tick
    }

    /// Milliseconds of silence the agent heard inside utterances because
    /// speech was synthesized slower than it played.
    pub fn gap_ms(&self) -> u64 {
        self.gap_samples * 1000 / u64::from(RATE)
    }

    /// Whether the port's input has ended.
    pub fn input_ended(&self) -> bool {
        self.input_ended
    }

    /// Whether speech is queued or playing.
    pub fn is_playing(&self) -> bool {
        !self.playing.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::file_port::FilePort;

    #[test]
    fn the_heard_timeline_keeps_silences_and_reports_utterances() {
        let mut leg = AgentVoice::new(FilePort::new(vec![100; FRAME * 3 + 10]));
        let t = leg.tick();
        assert_eq!(t.voice, Some([100i16; FRAME]));
        leg.play(7, &[5; 200], false);
        leg.play(7, &[6; 50], true);
        let t = leg.tick();
        assert_eq!(t.started, [7]);
        assert!(t.finished.is_empty());
        let t = leg.tick();
        assert_eq!(t.finished, [7]);
        let t = leg.tick();
        // The last input frame is padded; then the input has ended.
        assert!(t.voice.is_some());
        assert!(leg.tick().voice.is_none());
        assert!(leg.input_ended());
        let heard = leg.port().heard();
        assert_eq!(heard.len(), 5 * FRAME);
        assert!(heard[..FRAME].iter().all(|&s| s == 0));
        assert_eq!(heard[FRAME], 5);
        assert_eq!(heard[FRAME + 200], 6);
        assert!(heard[FRAME + 250..].iter().all(|&s| s == 0));
        assert_eq!(leg.gap_ms(), 0, "silence outside utterances is no gap");
    }

    #[test]
    fn speech_that_arrives_late_is_counted_as_a_gap() {
        let mut leg = AgentVoice::new(FilePort::new(Vec::new()));
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
