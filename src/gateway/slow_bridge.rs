//! A voice caller's bridge in slow mode: what changes between the two
//! RTP ports when the caller asked for slower speech.
//!
//! Owns, for one call: the agent's speech on its way to the caller
//! through [`crate::slow::SlowMode`] (level, then stretch), the caller's
//! keys (4 slower, 6 faster, 8 louder, `*` repeat; RFC 4733 and in-band
//! merged), and the one notice the agent hears when they answer. Sans-IO:
//! frames and keys in, frames out; the bridge's tick drives it. Keys
//! are caller content and are never logged.

use std::time::Duration;

use tracing::{info, warn};

use crate::frontdoor::keys::{KeyMerge, KeySource};
use crate::media::dtmf::DtmfDetector;
use crate::media::frame::{FRAME, FRAME_MS, Frame};
use crate::slow::{SlowKey, SlowMode};

/// Slow mode on one bridge.
pub(super) struct SlowBridge {
    mode: SlowMode,
    /// What the agent is told, still to play.
    notice: Vec<i16>,
    dtmf: DtmfDetector,
    keys: KeyMerge,
    ticks: u64,
    /// The agent has answered: the notice plays from then.
    answered: bool,
    failed: bool,
}

impl SlowBridge {
    /// Slow mode with `notice` (8 kHz) for the agent.
    pub(super) fn new(mode: SlowMode, notice: Vec<i16>) -> SlowBridge {
        SlowBridge {
            mode,
            notice,
            dtmf: DtmfDetector::new(),
            keys: KeyMerge::default(),
            ticks: 0,
            answered: false,
            failed: false,
        }
    }

    /// The agent answered.
    pub(super) fn agent_answered(&mut self) {
        self.answered = true;
    }

    /// The caller's frame and out-of-band keys: the frame for the agent,
    /// with the notice mixed in while it lasts.
    pub(super) fn caller_frame(&mut self, frame: &Frame, keys: Vec<char>) -> Frame {
        self.ticks += 1;
        let now = Duration::from_millis(self.ticks * FRAME_MS);
        for k in keys {
            self.key(k, KeySource::Event, now);
        }
        self.dtmf.push(frame);
        while let Some(p) = self.dtmf.poll() {
            self.key(p.key, KeySource::InBand, now);
        }
        let mut out = *frame;
        if self.answered && !self.notice.is_empty() {
            let n = self.notice.len().min(FRAME);
            for (o, s) in out.iter_mut().zip(self.notice.drain(..n)) {
                *o = o.saturating_add(s);
            }
        }
        out
    }

    /// The agent's frame in, the caller's frame out.
    pub(super) fn agent_frame(&mut self, frame: &Frame) -> Frame {
        if self.failed {
            return *frame;
        }
        if let Err(e) = self.mode.push_frame(frame) {
            // Without the stretcher the caller still hears the agent.
            warn!(error = %e, "slow mode failed: plain speech from now");
            self.failed = true;
            return *frame;
        }
        self.mode.pull_frame()
    }

    fn key(&mut self, key: char, source: KeySource, now: Duration) {
        let Some(k) = self.keys.push(key, source, now) else {
            return;
        };
        if let Some(slow) = SlowKey::from_digit(k) {
            match self.mode.key(slow) {
                Ok(changed) => info!(changed, "slow-mode key"),
                Err(e) => warn!(error = %e, "slow-mode key failed"),
            }
        }
    }
}
