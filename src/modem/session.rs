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
//!
//! A word the far end types after a space in figures may be held back
//! until its shift is decided ([`HabitDecoder`]); the session releases it
//! when the line goes quiet or when we start to send, so nothing waits
//! for a word end that does not come.

use std::collections::VecDeque;

use super::{BaudMode, Demodulator, LineParams, Modulator, RxFrame};
use crate::device::DeviceProfile;
use crate::text::baudot::{Encoder, Table};
use crate::text::shift_habit::{HabitDecoder, UnshiftOnSpace};

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
    /// How a received space in figures is read: fixed, or learnt from
    /// the far end (the default).
    pub unshift_on_space: UnshiftOnSpace,
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

/// Received text held back to decide its shift is released after this
/// long without a character: the demodulator's own end of a burst, so a
/// typist's pause within a word rarely splits the decision.
const RELEASE_HELD_MS: u64 = 1500;

/// One half-duplex Baudot line.
#[derive(Debug, Clone)]
pub struct Session {
    config: SessionConfig,
    tx: Modulator,
    rx: Demodulator,
    encoder: Encoder,
    decoder: HabitDecoder,
    /// Receive samples still to ignore after our last tone sample.
    deaf_for: usize,
    tail: usize,
    /// Live receive samples since the last frame, and how many of them
    /// release held text.
    quiet: usize,
    release_after: usize,
    /// Decoded text on its way into `events`.
    text: String,
    events: VecDeque<SessionEvent>,
    frames: Vec<RxFrame>,
}

impl Session {
    /// A session with `config`.
    pub fn new(config: SessionConfig) -> Self {
        let tail = (u64::from(config.echo_tail_ms) * u64::from(config.sample_rate) / 1000) as usize;
        let release_after = (RELEASE_HELD_MS * u64::from(config.sample_rate) / 1000) as usize;
        Session {
            tx: Modulator::new(config.line, config.sample_rate),
            rx: Demodulator::new(config.sample_rate, config.rx_baud),
            encoder: Encoder::new(config.table),
            decoder: HabitDecoder::new(config.table, config.unshift_on_space),
            deaf_for: 0,
            tail,
            quiet: 0,
            release_after,
            text: String::new(),
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
            // Our turn: the far end's text so far is complete.
            self.release_held();
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
        if self.frames.is_empty() {
            self.quiet = self.quiet.saturating_add(live.len());
        } else {
            self.quiet = 0;
        }
        for f in self.frames.drain(..) {
            self.decoder.push_code(f.code, &mut self.text);
        }
        if self.quiet >= self.release_after {
            self.decoder.flush(&mut self.text);
        }
        self.report_text();
    }

    /// Whether received text is held back to decide its shift; it is
    /// released after a pause, or when we send.
    pub fn is_holding(&self) -> bool {
        self.decoder.is_holding()
    }

    fn release_held(&mut self) {
        self.decoder.flush(&mut self.text);
        self.report_text();
    }

    fn report_text(&mut self) {
        self.events
            .extend(self.text.drain(..).map(SessionEvent::Received));
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::baudot::{FIGS, LTRS};

    /// "UNIT 12 34" as spandsp sends it: no FIGS after the second space.
    const UNIT_12_34: [u8; 11] = [
        LTRS, 0x07, 0x0C, 0x06, 0x10, 0x04, FIGS, 0x17, 0x13, 0x04, 0x01,
    ];

    /// A session on the default profile hears `codes` then `quiet_s` of
    /// silence: what it received, and the session.
    fn hear(codes: &[u8], quiet_s: f64) -> (String, Session) {
        let mut session = Session::new(SessionConfig::default());
        let mut far = Modulator::new(LineParams::default(), 8000);
        far.push_codes(codes);
        let mut audio = far.render();
        audio.extend(std::iter::repeat_n(0, (quiet_s * 8000.0) as usize));
        let mut got = String::new();
        for block in audio.chunks(160) {
            session.handle_receive(block);
            got.push_str(&received(&mut session));
        }
        (got, session)
    }

    fn received(session: &mut Session) -> String {
        std::iter::from_fn(|| session.poll_event())
            .filter_map(|e| match e {
                SessionEvent::Received(c) => Some(c),
                SessionEvent::Unsendable(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_held_word_is_released_once_the_line_is_quiet() {
        let mut codes = UNIT_12_34.to_vec();
        codes.push(0x0A);
        let (got, session) = hear(&codes, 0.5);
        assert_eq!(got, "UNIT 12 ");
        assert!(session.is_holding());
        let (got, session) = hear(&codes, 2.0);
        assert_eq!(got, "UNIT 12 34");
        assert!(!session.is_holding());
    }

    #[test]
    fn sending_releases_held_text_first() {
        let (got, mut session) = hear(&UNIT_12_34, 0.3);
        assert_eq!(got, "UNIT 12 ");
        session.send_text("GA");
        session.poll_transmit(&mut [0i16; 160]);
        assert_eq!(received(&mut session), "3");
        assert!(!session.is_holding());
    }
}
