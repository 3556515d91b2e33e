//! A TTY on a phone line: the Baudot modem session over a media port,
//! and telling a TTY caller from a voice caller on an `auto` line.
//!
//! [`AudioTty`] is the customer leg of a relay call on RTP: each tick it
//! sends one frame of our tones (or silence) and hears one frame, with
//! the session blanking its own echo. [`Detector`] listens from the
//! moment of answer and decides: a TTY once the demodulator has
//! established a sender (two characters decoded), a voice caller after
//! enough sound with no TTY character in it, so speech, music, dial tone
//! and DTMF are never taken for a TTY. What the TTY typed while it was
//! being recognised is kept and relayed. Sans-IO apart from the port.

use super::customer::{CustomerEvent, CustomerLeg};
use crate::media::frame::{FRAME, FRAME_MS, Frame, SILENCE};
use crate::media::port::MediaPort;
use crate::modem::session::{Session, SessionConfig, SessionEvent};

/// The customer leg for a TTY on a phone line.
#[derive(Debug)]
pub struct AudioTty<P> {
    port: P,
    session: Session,
    gone: bool,
    /// Text decoded but not yet reported (the detector's, at first).
    pending: String,
    /// Text for the TTY held while the far end is typing: the line is
    /// half duplex, and tones sent over the caller's typing would lose it.
    outbox: String,
    /// Ticks since the far end's last character.
    quiet_ticks: u32,
}

/// The far end counts as done typing after this many quiet ticks (1 s):
/// a typist's characters come every 165 ms at 45.45 baud.
const TYPIST_DONE_TICKS: u32 = 50;

/// Quiet ticks a new leg starts with: a far end that has typed nothing
/// yet is not interrupted, so the answering side types first (a TTY
/// line's menu prints at once, not a second later); one that has typed
/// gets the time a typist needs to finish.
fn quiet_at_start(heard: &str) -> u32 {
    if heard.is_empty() {
        TYPIST_DONE_TICKS
    } else {
        0
    }
}

impl<P: MediaPort> AudioTty<P> {
    /// A leg over `port`, talking with `config`; `heard` is text the
    /// detector decoded before the call began, reported first.
    pub fn new(port: P, config: SessionConfig, heard: String) -> Self {
        AudioTty {
            port,
            session: Session::new(config),
            gone: false,
            quiet_ticks: quiet_at_start(&heard),
            pending: heard,
            outbox: String::new(),
        }
    }

    /// A leg that takes over the detector's session, so nothing the
    /// demodulator holds is lost.
    pub fn from_detector(port: P, detector: Detector) -> Self {
        AudioTty {
            port,
            session: detector.session,
            gone: false,
            quiet_ticks: quiet_at_start(&detector.heard),
            pending: detector.heard,
            outbox: String::new(),
        }
    }

    /// The port, to read its counts.
    pub fn port(&self) -> &P {
        &self.port
    }

    /// The port, to change it mid-call (a re-INVITE).
    pub fn port_mut(&mut self) -> &mut P {
        &mut self.port
    }
}

impl<P: MediaPort> CustomerLeg for AudioTty<P> {
    fn tick(&mut self, events: &mut Vec<CustomerEvent>) {
        if self.gone {
            return;
        }
        let mut out = SILENCE;
        self.session.poll_transmit(&mut out);
        match self.port.exchange(&out) {
            Some(frame) => self.session.handle_receive(&frame),
            None => {
                self.gone = true;
                events.push(CustomerEvent::Gone);
            }
        }
        self.quiet_ticks = self.quiet_ticks.saturating_add(1);
        while let Some(ev) = self.session.poll_event() {
            if let SessionEvent::Received(c) = ev {
                self.pending.push(c);
                self.quiet_ticks = 0;
            }
        }
        // Speak when the far end has stopped, or go on once we have the
        // line.
        if !self.outbox.is_empty()
            && (self.quiet_ticks >= TYPIST_DONE_TICKS || self.session.is_sending())
        {
            self.session.send_text(&self.outbox);
            self.outbox.clear();
        }
        if !self.pending.is_empty() {
            events.push(CustomerEvent::Text(std::mem::take(&mut self.pending)));
        }
        events.extend(self.port.take_keys().into_iter().map(CustomerEvent::Key));
    }

    fn next_event(&mut self) -> impl std::future::Future<Output = Option<CustomerEvent>> + Send {
        std::future::pending()
    }

    fn send_text(&mut self, text: &str) {
        if !self.gone {
            self.outbox.push_str(text);
        }
    }

    fn is_sending(&self) -> bool {
        !self.gone && (!self.outbox.is_empty() || self.session.is_sending())
    }

    async fn finish(self) -> String {
        String::new()
    }
}

/// What the detector decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Still listening.
    Listening,
    /// A TTY: its tones decoded as characters.
    Tty,
    /// A voice caller (or anything else that is not a TTY).
    Voice,
}

/// Characters decoded before a caller counts as a TTY.
const TTY_CHARS: usize = 2;
/// Sound (frames above [`SOUND_LEVEL`]) without a TTY character after
/// which the caller counts as a voice caller: 1.5 s. A TTY's first
/// character takes 165 ms, so a TTY that is typing is recognised long
/// before.
const VOICE_SOUND_FRAMES: usize = 75;
/// After this long an `auto` line stops listening: a caller with one
/// character decoded is a TTY, one with none is bridged as a voice call
/// (10 s).
const SILENT_FRAMES: usize = 500;
/// A frame's mean square above this (about -45 dBFS) is sound.
const SOUND_LEVEL: f64 = 1.0e3;

/// Listens to a new caller on an `auto` line. The same session becomes
/// the call's ([`AudioTty::from_detector`]), so the characters it
/// decoded are the first the relay sees.
#[derive(Debug)]
pub struct Detector {
    session: Session,
    heard: String,
    sound_frames: usize,
    frames: usize,
    verdict: Verdict,
    /// Frames from the start to the verdict.
    decided_after: Option<usize>,
    /// Frame at which the first character was decoded.
    first_char_at: Option<usize>,
}

impl Detector {
    /// A detector for a TTY that `config` describes.
    pub fn new(config: SessionConfig) -> Self {
        Detector {
            session: Session::new(config),
            heard: String::new(),
            sound_frames: 0,
            frames: 0,
            verdict: Verdict::Listening,
            decided_after: None,
            first_char_at: None,
        }
    }

    /// A detector that has decided already: a `tty` line.
    pub fn tty(config: SessionConfig) -> Self {
        let mut d = Detector::new(config);
        d.verdict = Verdict::Tty;
        d.decided_after = Some(0);
        d
    }

    /// Hears one frame from the caller; returns the verdict so far.
    pub fn push(&mut self, frame: &Frame) -> Verdict {
        if self.verdict != Verdict::Listening {
            return self.verdict;
        }
        self.frames += 1;
        self.session.handle_receive(frame);
        while let Some(ev) = self.session.poll_event() {
            if let SessionEvent::Received(c) = ev {
                self.heard.push(c);
                self.first_char_at.get_or_insert(self.frames);
            }
        }
        let energy = frame.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / FRAME as f64;
        if energy > SOUND_LEVEL {
            self.sound_frames += 1;
        }
        let printable = self.heard.chars().filter(|c| !c.is_whitespace()).count();
        if printable >= TTY_CHARS {
            self.verdict = Verdict::Tty;
        } else if printable == 0 && self.sound_frames >= VOICE_SOUND_FRAMES {
            self.verdict = Verdict::Voice;
        } else if self.frames >= SILENT_FRAMES {
            // Time is up: one character (a lone "Q", a "GA" cut short)
            // is a TTY that stopped typing; none is a caller waiting.
            self.verdict = if printable > 0 {
                Verdict::Tty
            } else {
                Verdict::Voice
            };
        }
        if self.verdict != Verdict::Listening {
            self.decided_after = Some(self.frames);
        }
        self.verdict
    }

    /// The verdict so far.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Milliseconds from the first character to the TTY verdict.
    pub fn detect_ms(&self) -> Option<u64> {
        let first = self.first_char_at?;
        let at = self.decided_after?;
        Some((at.saturating_sub(first) as u64) * FRAME_MS)
    }

    /// Milliseconds from the start to the verdict.
    pub fn decided_ms(&self) -> Option<u64> {
        self.decided_after.map(|f| f as u64 * FRAME_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(samples: &[i16]) -> impl Iterator<Item = Frame> + '_ {
        samples.chunks(FRAME).map(|c| {
            let mut f = SILENCE;
            f[..c.len()].copy_from_slice(c);
            f
        })
    }

    fn tones(text: &str) -> Vec<i16> {
        let mut far = Session::new(SessionConfig::default());
        far.send_text(text);
        let mut audio = vec![0; 4000];
        let mut frame = SILENCE;
        while far.is_sending() {
            far.poll_transmit(&mut frame);
            audio.extend_from_slice(&frame);
        }
        audio.extend(vec![0; 16000]);
        audio
    }

    #[test]
    fn a_typing_tty_is_recognised_and_what_it_typed_is_kept() {
        let mut d = Detector::new(SessionConfig::default());
        let audio = tones("HELLO GA ");
        let mut verdict = Verdict::Listening;
        for f in frames(&audio) {
            verdict = d.push(&f);
            if verdict != Verdict::Listening {
                break;
            }
        }
        assert_eq!(verdict, Verdict::Tty);
        assert!(
            d.detect_ms().is_some_and(|ms| ms <= 2000),
            "{:?}",
            d.detect_ms()
        );
        // The rest of the typing goes through the same session.
        let mut leg = AudioTty::from_detector(crate::media::file_port::FilePort::new(audio), d);
        let mut events = Vec::new();
        for _ in 0..400 {
            leg.tick(&mut events);
        }
        let text: String = events
            .iter()
            .filter_map(|e| match e {
                CustomerEvent::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert!(text.starts_with("HE"), "{text:?}");
    }

    #[test]
    fn a_single_character_then_silence_is_a_tty_in_the_end() {
        let mut d = Detector::new(SessionConfig::default());
        let audio = tones("Q");
        let padded: Vec<i16> = audio
            .into_iter()
            .chain(std::iter::repeat_n(0, 8000 * 11))
            .collect();
        let mut verdict = Verdict::Listening;
        for f in frames(&padded) {
            verdict = d.push(&f);
        }
        assert_eq!(verdict, Verdict::Tty);
        assert_eq!(d.decided_ms(), Some(SILENT_FRAMES as u64 * FRAME_MS));
    }

    #[test]
    fn sound_without_tty_characters_is_a_voice_caller() {
        let mut d = Detector::new(SessionConfig::default());
        // A 440 Hz tone at -20 dBFS: dial-tone-like sound, no TTY.
        let audio: Vec<i16> = (0..8000 * 3)
            .map(|i| (3000.0 * (i as f64 * 440.0 * std::f64::consts::TAU / 8000.0).sin()) as i16)
            .collect();
        let mut verdict = Verdict::Listening;
        for f in frames(&audio) {
            verdict = d.push(&f);
        }
        assert_eq!(verdict, Verdict::Voice);
        assert_eq!(d.decided_ms(), Some(VOICE_SOUND_FRAMES as u64 * FRAME_MS));
    }
}
