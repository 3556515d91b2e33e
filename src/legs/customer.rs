//! What the call loop needs of a customer leg, whatever the TTY is wired
//! to: a serial port (text), or a phone line carrying Baudot tones over a
//! media port.
//!
//! A leg either works on the media clock ([`CustomerLeg::tick`], every
//! 20 ms: the audio TTY moves a frame each way) or on its own task and
//! hands events over a channel ([`CustomerLeg::next_event`]: the serial
//! leg). The loop calls both; a leg uses the one that fits. Owns only
//! this shape; the legs own their devices.

use std::future::Future;

/// What a customer leg reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CustomerEvent {
    /// The TTY typed this.
    Text(String),
    /// Bytes no TTY of this kind sends arrived and were dropped.
    Garbage(usize),
    /// The device is there (again).
    Connected,
    /// The device went away; the leg is trying to get it back.
    Disconnected,
    /// A keypad key (RFC 4733 or in-band). Content: never logged.
    Key(char),
    /// The caller has gone (hung up, or its media stopped).
    Gone,
}

/// A customer leg, driven by the call loop.
pub trait CustomerLeg {
    /// One tick of the media clock: legs on a media port move a frame
    /// each way here and push what happened onto `events`.
    fn tick(&mut self, events: &mut Vec<CustomerEvent>);

    /// The next event of a leg that runs on its own task. Legs that work
    /// in [`CustomerLeg::tick`] return a future that never resolves.
    fn next_event(&mut self) -> impl Future<Output = Option<CustomerEvent>> + Send;

    /// Text for the TTY, released at its printing pace by the relay core.
    fn send_text(&mut self, text: &str);

    /// Whether text handed over is still being sent to the TTY.
    fn is_sending(&self) -> bool;

    /// Ends the leg; returns the text it could not deliver, to be counted.
    fn finish(self) -> impl Future<Output = String> + Send;
}
