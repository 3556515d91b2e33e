//! Bytes on a serial TTY line, to text and back.
//!
//! A Baudot TTY wired to a UART set to 5 data bits delivers each code as
//! one byte from 0 to 31; an ASCII TTY delivers characters. Anything else
//! that arrives (line noise, a wrong port setting, a device that is not a
//! TTY) is garbage: it is counted and never printed as text.
//!
//! A Baudot word typed after a space in figures may be held back until
//! its shift is decided ([`HabitDecoder`]); whoever reads the port calls
//! [`SerialCodec::flush`] when it has been quiet for a while.
//!
//! Pure bytes and text; the port itself is [`super::serial`]'s.

use crate::device::{DeviceProfile, Line};
use crate::text::baudot::{Encoder, Unsendable};
use crate::text::shift_habit::HabitDecoder;

/// Turns serial bytes into text and text into serial bytes for one TTY.
#[derive(Debug, Clone)]
pub struct SerialCodec {
    kind: Kind,
    garbage: u64,
}

#[derive(Debug, Clone)]
enum Kind {
    Baudot {
        decoder: HabitDecoder,
        encoder: Encoder,
    },
    Ascii {
        after_cr: bool,
    },
}

/// Text decoded from a read, and how many bytes were garbage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Printable text, `\n` for line ends.
    pub text: String,
    /// Bytes that no TTY of this kind sends.
    pub garbage: usize,
}

impl SerialCodec {
    /// A codec for the TTY `profile` describes.
    pub fn new(profile: &DeviceProfile) -> Self {
        let kind = match profile.line {
            Line::Baudot => Kind::Baudot {
                decoder: HabitDecoder::new(profile.table, profile.unshift_on_space),
                encoder: Encoder::new(profile.table),
            },
            Line::Ascii => Kind::Ascii { after_cr: false },
        };
        SerialCodec { kind, garbage: 0 }
    }

    /// Garbage bytes seen so far.
    pub fn garbage(&self) -> u64 {
        self.garbage
    }

    /// Decodes bytes read from the port.
    pub fn decode(&mut self, bytes: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        for &b in bytes {
            match &mut self.kind {
                Kind::Baudot { decoder, .. } => {
                    if b > 0x1F {
                        out.garbage += 1;
                    } else {
                        decoder.push_code(b, &mut out.text);
                    }
                }
                Kind::Ascii { after_cr } => {
                    let c = char::from(b);
                    match b {
                        b'\r' => {
                            out.text.push('\n');
                            *after_cr = true;
                            continue;
                        }
                        b'\n' if *after_cr => {}
                        b'\n' => out.text.push('\n'),
                        0x07 | b'\t' => out.text.push(c),
                        0x20..=0x7E => out.text.push(c),
                        // NUL and DEL are line fill, not text.
                        0x00 | 0x7F => {}
                        _ => out.garbage += 1,
                    }
                    *after_cr = false;
                }
            }
        }
        self.garbage += out.garbage as u64;
        out
    }

    /// Releases Baudot text held back to decide its shift. Call it when
    /// the port has been quiet for about a second, and when the line
    /// ends, so a word whose end never comes still prints.
    pub fn flush(&mut self) -> Decoded {
        let mut out = Decoded::default();
        if let Kind::Baudot { decoder, .. } = &mut self.kind {
            decoder.flush(&mut out.text);
        }
        out
    }

    /// Whether text is held back, so the reader knows to arm its idle
    /// deadline.
    pub fn is_holding(&self) -> bool {
        matches!(&self.kind, Kind::Baudot { decoder, .. } if decoder.is_holding())
    }

    /// Encodes text for the port. Characters the TTY cannot print are
    /// returned, not sent as something else (callers normally pass text
    /// through [`crate::text::tty_form`] first, so there are none).
    pub fn encode(&mut self, text: &str) -> (Vec<u8>, Vec<Unsendable>) {
        match &mut self.kind {
            Kind::Baudot { encoder, .. } => encoder.encode(text),
            Kind::Ascii { .. } => {
                let mut bytes = Vec::with_capacity(text.len());
                for c in text.chars() {
                    match c {
                        '\n' => bytes.extend_from_slice(b"\r\n"),
                        c if c.is_ascii() && !c.is_ascii_control() || c == '\u{7}' => {
                            bytes.push(c as u8)
                        }
                        _ => {}
                    }
                }
                (bytes, Vec::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device;

    fn baudot() -> SerialCodec {
        SerialCodec::new(&DeviceProfile::default())
    }

    #[test]
    fn baudot_round_trip_through_bytes() {
        let mut c = baudot();
        let (bytes, bad) = c.encode("CALL 555 1234 GA\n");
        assert!(bad.is_empty());
        assert!(bytes.iter().all(|&b| b < 32));
        let mut rx = baudot();
        assert_eq!(rx.decode(&bytes).text, "CALL 555 1234 GA\n");
    }

    #[test]
    fn garbage_is_counted_and_never_printed() {
        let mut c = baudot();
        let mut bytes = c.encode("HELLO").0;
        bytes.splice(2..2, [0xFF, 0x80, 0x41]);
        let out = baudot().decode(&bytes);
        assert_eq!(out.text, "HELLO");
        assert_eq!(out.garbage, 3);
    }

    #[test]
    fn senders_that_keep_figures_across_spaces_decode_by_default() {
        // spandsp's habit: FIGS 5 5 5 SPACE 0 1 9 9 SPACE LTRS G A.
        let bytes = [
            0x1F, 0x1B, 0x10, 0x10, 0x10, 0x04, 0x16, 0x17, 0x18, 0x18, 0x04, 0x1F, 0x1A, 0x03,
        ];
        let mut c = baudot();
        let out = c.decode(&bytes[..8]);
        assert_eq!(out.text, "555 ");
        assert!(c.is_holding(), "01 could still be a word or a number");
        assert_eq!(c.decode(&bytes[8..]).text, "0199 GA");
        assert!(!c.is_holding());
        // Before the habit is known, a word left waiting is released by
        // flush.
        let mut c = baudot();
        assert_eq!(c.decode(&[0x1B, 0x17, 0x04, 0x01]).text, "1 ");
        assert!(c.is_holding());
        assert_eq!(c.flush().text, "3");
        assert_eq!(c.flush(), Decoded::default());
    }

    #[test]
    fn ascii_lines_decode_and_encode() {
        let profile = device::builtin("ascii-300").expect("ascii profile");
        let mut c = SerialCodec::new(&profile);
        let out = c.decode(b"Hello there\r\nGA\r\x00\xC3");
        assert_eq!(out.text, "Hello there\nGA\n");
        assert_eq!(out.garbage, 1);
        assert_eq!(c.encode("OK\n").0, b"OK\r\n");
        assert_eq!(c.garbage(), 1);
    }
}
