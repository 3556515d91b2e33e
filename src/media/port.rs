//! A media port: where a leg's audio comes from and goes to, one 20 ms
//! frame each way per tick of the port's clock.
//!
//! The WAV file agent ([`super::file_port`]) and RTP
//! ([`super::rtp_port`]) are ports; a WebSocket media stream will be one.
//! Legs above a port (the agent's voice, the audio TTY) never know which
//! they run on. Owns only the shape of the exchange; the clock that calls
//! [`MediaPort::exchange`] every [`FRAME_MS`](super::frame::FRAME_MS) is
//! the call loop's.

use super::frame::Frame;

/// One frame each way.
pub trait MediaPort: Send {
    /// Sends `out` to the far end and returns the frame that came in
    /// meanwhile, or `None` once the input has ended for good (the file
    /// has been played, the peer has gone). Never blocks.
    fn exchange(&mut self, out: &Frame) -> Option<Frame>;

    /// Keypad keys that arrived out of band since the last call (RFC 4733
    /// on RTP); ports without such a channel have none.
    fn take_keys(&mut self) -> Vec<char> {
        Vec::new()
    }
}
