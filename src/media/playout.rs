//! The fixed-delay playout buffer between a network and a call.
//!
//! RTP arrives out of order, twice, late or not at all. The buffer holds
//! received samples by their media timestamp and hands out one frame per
//! tick, starting a fixed number of frames after the first packet, so
//! jitter up to that delay costs nothing. A gap is filled with silence:
//! never with loss concealment, which would invent tones that the Baudot
//! demodulator could read as characters.
//!
//! Owns: sample placement by timestamp, the start delay, duplicates, late
//! packets, restarts on a new source or a timestamp jump, and the counts
//! of each. Sans-IO: time is the number of frames taken. Must not touch:
//! RTP parsing, sockets, codecs.

use std::collections::VecDeque;

use super::frame::{FRAME, Frame, SILENCE};

/// How the buffer plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayoutConfig {
    /// Frames held before the first one plays: the jitter it absorbs
    /// (3 frames: 60 ms).
    pub delay_frames: usize,
    /// How far ahead of the play point a packet may land, in frames;
    /// anything further is a timestamp jump and restarts the buffer.
    pub max_ahead_frames: usize,
}

impl Default for PlayoutConfig {
    fn default() -> Self {
        PlayoutConfig {
            delay_frames: 3,
            max_ahead_frames: 100,
        }
    }
}

/// What the buffer did, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayoutStats {
    /// Packets placed.
    pub placed: u64,
    /// Packets dropped because their samples were already held or played.
    pub duplicates: u64,
    /// Packets dropped because their time had already played.
    pub late: u64,
    /// Frames played with at least part of their samples missing.
    pub concealed_frames: u64,
    /// Times the buffer restarted (new source, timestamp jump).
    pub restarts: u64,
}

/// One stream's playout buffer.
#[derive(Debug, Clone)]
pub struct PlayoutBuffer {
    config: PlayoutConfig,
    ssrc: Option<u32>,
    /// Timestamp of the first sample in `samples`: the next to play.
    head: u32,
    samples: VecDeque<Option<i16>>,
    /// Frames to wait before playing (counts down once a packet came).
    waiting: usize,
    /// Nothing has arrived since the start or the last restart.
    idle: bool,
    /// A frame has played since the last restart: earlier packets are
    /// late from then on, before that they move the start back.
    playing: bool,
    stats: PlayoutStats,
}

impl PlayoutBuffer {
    /// An empty buffer; it plays silence until a packet comes.
    pub fn new(config: PlayoutConfig) -> Self {
        PlayoutBuffer {
            config,
            ssrc: None,
            head: 0,
            samples: VecDeque::new(),
            waiting: config.delay_frames,
            idle: true,
            playing: false,
            stats: PlayoutStats::default(),
        }
    }

    /// Places one packet's decoded samples.
    pub fn push(&mut self, ssrc: u32, timestamp: u32, samples: &[i16]) {
        if samples.is_empty() {
            return;
        }
        if self.ssrc != Some(ssrc) {
            self.restart(ssrc, timestamp);
        }
        let mut offset = timestamp.wrapping_sub(self.head) as i32 as i64;
        let limit = (self.config.max_ahead_frames * FRAME) as i64;
        if offset > limit || offset < -limit {
            self.restart(ssrc, timestamp);
            offset = 0;
        }
        if offset < 0 && !self.playing {
            // Reordered before anything played: start earlier.
            let back = (-offset) as usize;
            for _ in 0..back {
                self.samples.push_front(None);
            }
            self.head = timestamp;
            offset = 0;
        }
        let end = offset + samples.len() as i64;
        if end <= 0 {
            // Every sample's time has played: late, or a duplicate of
            // something played; both are dropped.
            self.stats.late += 1;
            return;
        }
        let skip = (-offset).max(0) as usize;
        let start = offset.max(0) as usize;
        let needed = start + samples.len() - skip;
        if self.samples.len() < needed {
            self.samples.resize(needed, None);
        }
        let mut fresh = false;
        for (slot, &s) in self.samples.range_mut(start..needed).zip(&samples[skip..]) {
            if slot.is_none() {
                *slot = Some(s);
                fresh = true;
            }
        }
        if fresh {
            self.stats.placed += 1;
        } else {
            self.stats.duplicates += 1;
        }
        self.idle = false;
    }

    /// The next 20 ms to play. Call once per tick of the port's clock.
    pub fn pop(&mut self) -> Frame {
        if self.idle {
            return SILENCE;
        }
        if self.waiting > 0 {
            self.waiting -= 1;
            return SILENCE;
        }
        self.playing = true;
        let mut frame = SILENCE;
        let mut missing = false;
        for out in frame.iter_mut() {
            match self.samples.pop_front() {
                Some(Some(s)) => *out = s,
                _ => missing = true,
            }
        }
        if missing && !self.samples.is_empty() {
            // A hole inside audio we hold: real loss. Silence at the end
            // of a talkspurt (nothing held) is not counted.
            self.stats.concealed_frames += 1;
        }
        self.head = self.head.wrapping_add(FRAME as u32);
        frame
    }

    /// Samples held ahead of the play point.
    pub fn held(&self) -> usize {
        self.samples.len()
    }

    /// Counts so far.
    pub fn stats(&self) -> PlayoutStats {
        self.stats
    }

    fn restart(&mut self, ssrc: u32, timestamp: u32) {
        if self.ssrc.is_some() {
            self.stats.restarts += 1;
        }
        self.ssrc = Some(ssrc);
        self.head = timestamp;
        self.samples.clear();
        self.playing = false;
        // Audio already playing keeps playing on: a restart mid-call
        // (hold, a new source) waits the delay again only from idle.
        if self.idle {
            self.waiting = self.config.delay_frames;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_of(v: i16) -> Vec<i16> {
        vec![v; FRAME]
    }

    fn played(buf: &mut PlayoutBuffer, n: usize) -> Vec<i16> {
        (0..n).map(|_| buf.pop()[0]).collect()
    }

    #[test]
    fn reordered_packets_play_in_timestamp_order_after_the_delay() {
        let mut b = PlayoutBuffer::new(PlayoutConfig::default());
        b.push(1, 160, &frame_of(2));
        b.push(1, 0, &frame_of(1));
        assert_eq!(played(&mut b, 3), [0, 0, 0], "the delay plays silence");
        b.push(1, 320, &frame_of(3));
        assert_eq!(played(&mut b, 3), [1, 2, 3]);
    }

    #[test]
    fn duplicates_and_late_packets_are_dropped_and_counted() {
        let mut b = PlayoutBuffer::new(PlayoutConfig {
            delay_frames: 0,
            ..Default::default()
        });
        b.push(1, 0, &frame_of(1));
        b.push(1, 0, &frame_of(9));
        b.push(1, 160, &frame_of(2));
        assert_eq!(played(&mut b, 2), [1, 2]);
        b.push(1, 0, &frame_of(9));
        let s = b.stats();
        assert_eq!((s.placed, s.duplicates, s.late), (2, 1, 1));
    }

    #[test]
    fn a_lost_packet_is_silence_never_a_copy() {
        let mut b = PlayoutBuffer::new(PlayoutConfig {
            delay_frames: 0,
            ..Default::default()
        });
        b.push(1, 0, &frame_of(5));
        b.push(1, 320, &frame_of(7));
        assert_eq!(played(&mut b, 3), [5, 0, 7]);
        assert_eq!(b.stats().concealed_frames, 1);
    }

    #[test]
    fn a_new_source_or_a_jump_restarts_at_its_timestamp() {
        let mut b = PlayoutBuffer::new(PlayoutConfig {
            delay_frames: 0,
            ..Default::default()
        });
        b.push(1, 0, &frame_of(1));
        assert_eq!(played(&mut b, 1), [1]);
        b.push(2, 90_000, &frame_of(4));
        assert_eq!(played(&mut b, 1), [4]);
        b.push(2, 90_000 + 160 + 1_000_000, &frame_of(6));
        assert_eq!(played(&mut b, 1), [6]);
        assert_eq!(b.stats().restarts, 2);
    }

    #[test]
    fn packets_of_other_lengths_fill_frames_by_sample() {
        let mut b = PlayoutBuffer::new(PlayoutConfig {
            delay_frames: 0,
            ..Default::default()
        });
        // 30 ms packets: 240 samples.
        b.push(1, 0, &vec![3; 240]);
        b.push(1, 240, &vec![4; 240]);
        let f1 = b.pop();
        let f2 = b.pop();
        let f3 = b.pop();
        assert!(f1.iter().all(|&s| s == 3));
        assert!(f2[..80].iter().all(|&s| s == 3) && f2[80..].iter().all(|&s| s == 4));
        assert!(f3.iter().all(|&s| s == 4));
    }

    #[test]
    fn timestamps_wrap() {
        let mut b = PlayoutBuffer::new(PlayoutConfig {
            delay_frames: 0,
            ..Default::default()
        });
        b.push(1, u32::MAX - 159, &frame_of(1));
        b.push(1, 0, &frame_of(2));
        assert_eq!(played(&mut b, 2), [1, 2]);
        assert_eq!(b.stats().restarts, 0);
    }
}
