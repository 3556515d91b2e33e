//! A half-duplex Baudot line: text out as tones, tones in as text, with
//! our own echo blanked.
//!
//! A TTY line is shared by both directions and hears its own transmission
//! echoed back, possibly hundreds of milliseconds later over a telephone
//! network. The session stops listening while it sends and for a
//! configurable tail afterwards, then starts the receiver afresh, so the
//! echo is never printed as if the other side had typed it.
//!
//! Time is the sample count on each direction; the session never reads a
//! clock. The caller moves samples in both directions at the line's pace
//! (for example 20 ms at a time each way).

use std::collections::VecDeque;

use super::{BaudMode, Demodulator, LineParams, Modulator, RxFrame};
use crate::device::DeviceProfile;
use crate::text::baudot::{Decoder, Encoder, Table};

/// How a [`Session`] talks on its line.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// Sample rate of both directions, in hertz.
    pub sample_rate: u32,
    /// What we transmit.
    pub line: LineParams,
    /// How we find the far end's baud rate.
    pub rx_baud: BaudMode,
    /// Character table of the far TTY.
    pub table: Table,
    /// Whether a received space returns the far end to letters.
    pub unshift_on_space: bool,
    /// How long to keep the receiver deaf after we stop sending, in ms.
    /// It must exceed the line's echo delay; the default covers echoes up
    /// to about 700 ms late.
    pub echo_tail_ms: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig::from_profile(&DeviceProfile::default(), 8000)
    }
}

impl SessionConfig {
    /// Settings for talking to the TTY that `profile` describes.
    pub fn from_profile(profile: &DeviceProfile, sample_rate: u32) -> Self {
        SessionConfig {
            sample_rate,
            line: LineParams {
                baud: profile.baud,
                stop_bits: profile.stop_bits,
                ..LineParams::default()
            },
            rx_baud: BaudMode::Auto,
            table: profile.table,
            unshift_on_space: profile.unshift_on_space,
            echo_tail_ms: 600,
        }
    }
}

/// Something the session has to report.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    /// The far end typed this character.
    Received(char),
    /// This character of ours cannot be sent with the line's table and
    /// was not sent.
    Unsendable(char),
}

/// One half-duplex Baudot line.
#[derive(Debug, Clone)]
pub struct Session {
    config: SessionConfig,
    tx: Modulator,
    rx: Demodulator,
    encoder: Encoder,
    decoder: Decoder,
    /// Receive samples still to ignore after our last tone sample.
    deaf_for: usize,
    tail: usize,
    events: VecDeque<SessionEvent>,
    frames: Vec<RxFrame>,
}

impl Session {
    /// A session with `config`.
    pub fn new(config: SessionConfig) -> Self {
        let tail = (u64::from(config.echo_tail_ms) * u64::from(config.sample_rate) / 1000) as usize;
        Session {
            tx: Modulator::new(config.line, config.sample_rate),
            rx: Demodulator::new(config.sample_rate, config.rx_baud),
            encoder: Encoder::new(config.table),
            decoder: Decoder::new(config.table, config.unshift_on_space),
            deaf_for: 0,
            tail,
            events: VecDeque::new(),
            frames: Vec::new(),
            config,
        }
    }

    /// The settings this session runs with.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Queues text to send. Characters the table lacks are reported as
    /// [`SessionEvent::Unsendable`] and skipped; nothing is sent in their
    /// place.
    pub fn send_text(&mut self, text: &str) {
        let (codes, unsendable) = self.encoder.encode(text);
        self.tx.push_codes(&codes);
        self.events.extend(
            unsendable
                .into_iter()
                .map(|u| SessionEvent::Unsendable(u.ch)),
        );
    }

    /// Whether tones are queued or being sent.
    pub fn is_sending(&self) -> bool {
        !self.tx.is_idle()
    }

    /// Fills `out` with the next transmit samples: tones while sending,
    /// silence otherwise.
    pub fn poll_transmit(&mut self, out: &mut [i16]) {
        let n = self.tx.fill(out);
        out[n..].fill(0);
        if n > 0 {
            // The receiver stays deaf until `tail` samples after the last
            // tone sample we produced.
            self.deaf_for = self.tail + (out.len() - n);
            self.rx.reset();
            self.frames.clear();
        }
    }

    /// Handles received samples from the line.
    pub fn handle_receive(&mut self, samples: &[i16]) {
        let skip = self.deaf_for.min(samples.len());
        self.deaf_for -= skip;
        if skip > 0 && self.deaf_for == 0 {
            // The echo tail is over: whatever the receiver heard is ours.
            self.rx.reset();
        }
        let live = &samples[skip..];
        if live.is_empty() {
            return;
        }
        self.rx.push(live, &mut self.frames);
        for f in self.frames.drain(..) {
            if let Some(c) = self.decoder.push_code(f.code) {
                self.events.push_back(SessionEvent::Received(c));
            }
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }
}
