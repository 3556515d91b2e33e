//! Baudot FSK modem (TIA-825-A / ITU-T V.18 Annex A), sans-IO.
//!
//! Samples go in, 5-bit codes come out, and the other way round. Nothing
//! here reads the clock, touches a file or knows about characters: time is
//! the sample count, and characters belong to [`crate::text`].
//!
//! The receive chain is one file per stage:
//!
//! ```text
//! i16 samples -> frontend (mix to 1600 Hz, low-pass, decimate to ~2 kHz)
//!             -> tone_bank (sliding one-bit correlators at mark/space
//!                           frequencies from -10 % to +10 %)
//!             -> demodulator (carrier gate, start-bit search, baud and
//!                             frequency tracking, frame validation)
//!             -> 5-bit codes
//! ```
//!
//! The transmit side is [`Modulator`]; [`Session`] puts both together on
//! a half-duplex line and blanks our own echo.

pub mod channel;
mod frontend;
mod tone_bank;

pub mod demodulator;
pub mod modulator;
pub mod session;

pub use demodulator::{BaudMode, Demodulator, RxFrame};
pub use modulator::Modulator;
pub use session::{Session, SessionConfig, SessionEvent};

/// Mark (binary 1, idle) tone of a Baudot TTY, in hertz.
pub const MARK_HZ: f64 = 1400.0;
/// Space (binary 0) tone of a Baudot TTY, in hertz.
pub const SPACE_HZ: f64 = 1800.0;

/// Line parameters of a Baudot transmitter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineParams {
    /// Bits per second: 45.45 in the US, 50 in Europe.
    pub baud: f64,
    /// Stop bits after each character: 1, 1.5 (TIA-825-A) or 2.
    pub stop_bits: f64,
    /// Mark tone in hertz.
    pub mark_hz: f64,
    /// Space tone in hertz.
    pub space_hz: f64,
    /// Mark tone sent before the first character of a burst, in ms.
    pub lead_ms: u32,
    /// Mark tone held after the last character of a burst, in ms.
    pub hold_ms: u32,
}

impl Default for LineParams {
    fn default() -> Self {
        LineParams {
            baud: 45.45,
            stop_bits: 1.5,
            mark_hz: MARK_HZ,
            space_hz: SPACE_HZ,
            lead_ms: 150,
            hold_ms: 150,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line's modem state can move between threads and be shared
    /// read-only, so the async edges can own it however they like.
    #[test]
    fn modem_state_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Demodulator>();
        check::<Modulator>();
        check::<Session>();
    }
}
