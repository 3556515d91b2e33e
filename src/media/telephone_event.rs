//! RFC 4733 telephone-events: keypad digits sent as RTP packets.
//!
//! A digit arrives as several packets sharing one timestamp (the event's
//! start), the last ones with the end bit, often sent three times. The
//! decoder reports each event once, when it ends (or when a new one
//! starts without an end seen), and the encoder makes the packets for a
//! digit we send. Sans-IO: payloads and timestamps in, digits out. Must
//! not touch: what a digit means (menus do), sockets. Digits are caller
//! content: they are never logged.

/// One decoded keypad event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEvent {
    /// `0`-`9`, `*`, `#`, `A`-`D`.
    pub key: char,
    /// The event's RTP timestamp (its start).
    pub timestamp: u32,
    /// Its length, in samples.
    pub duration: u16,
}

/// Why a payload is not a telephone-event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// Shorter than the 4 bytes of an event.
    #[error("telephone-event payload of {0} bytes (needs 4)")]
    Short(usize),
}

/// The key of an event code (RFC 4733 §3.2); other codes (tones, line
/// events) have none.
pub fn key_of(code: u8) -> Option<char> {
    match code {
        0..=9 => Some(char::from(b'0' + code)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + code - 12)),
        _ => None,
    }
}

/// The event code of a key.
pub fn code_of(key: char) -> Option<u8> {
    match key {
        '0'..='9' => Some(key as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(key as u8 - b'A' + 12),
        _ => None,
    }
}

/// Turns a stream of telephone-event payloads into key presses.
#[derive(Debug, Clone, Default)]
pub struct EventDecoder {
    /// The event in progress: its timestamp, key and longest duration.
    current: Option<(u32, Option<char>, u16)>,
    /// The timestamp of the last event reported, so repeated end packets
    /// are not a second press.
    reported: Option<u32>,
}

impl EventDecoder {
    /// A decoder with nothing heard.
    pub fn new() -> Self {
        EventDecoder::default()
    }

    /// Takes one packet's payload and timestamp; returns a finished press.
    pub fn handle(
        &mut self,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<Option<KeyEvent>, EventError> {
        if payload.len() < 4 {
            return Err(EventError::Short(payload.len()));
        }
        let code = payload[0];
        let end = payload[1] & 0x80 != 0;
        let duration = u16::from_be_bytes([payload[2], payload[3]]);
        if self.reported == Some(timestamp) {
            return Ok(None);
        }
        let mut finished = None;
        match self.current {
            Some((ts, key, d)) if ts == timestamp => {
                self.current = Some((ts, key, d.max(duration)));
            }
            Some((ts, key, d)) => {
                // A new event before the old one's end: the old one ended.
                finished = key.map(|key| KeyEvent {
                    key,
                    timestamp: ts,
                    duration: d,
                });
                self.reported = Some(ts);
                self.current = Some((timestamp, key_of(code), duration));
            }
            None => self.current = Some((timestamp, key_of(code), duration)),
        }
        if end && let Some((ts, key, d)) = self.current.take() {
            self.reported = Some(ts);
            // An end that closes an older press as well reports the older
            // one; this one is already over and is not reported twice.
            if let (Some(key), None) = (key, finished) {
                return Ok(Some(KeyEvent {
                    key,
                    timestamp: ts,
                    duration: d,
                }));
            }
        }
        Ok(finished)
    }
}

/// The payloads for one key press of `duration` samples, one per 20 ms
/// (`(payload, marker)`), the last sent three times as RFC 4733 §2.5.1.4
/// advises. `None` for a character that is not a key.
pub fn encode(key: char, duration: u16, volume: u8) -> Option<Vec<([u8; 4], bool)>> {
    let code = code_of(key)?;
    let step = 160u16;
    let mut out = Vec::new();
    let mut d = step;
    while d < duration {
        let b = d.to_be_bytes();
        out.push(([code, volume & 0x3f, b[0], b[1]], out.is_empty()));
        d = d.saturating_add(step);
    }
    let b = duration.to_be_bytes();
    let last = [code, 0x80 | (volume & 0x3f), b[0], b[1]];
    for _ in 0..3 {
        let first = out.is_empty();
        out.push((last, first));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_press_is_reported_once_despite_repeated_ends() {
        let mut d = EventDecoder::new();
        let packets = encode('5', 800, 10).expect("a key");
        let presses: Vec<KeyEvent> = packets
            .iter()
            .filter_map(|(p, _)| d.handle(4000, p).expect("valid"))
            .collect();
        assert_eq!(
            presses,
            [KeyEvent {
                key: '5',
                timestamp: 4000,
                duration: 800
            }]
        );
    }

    #[test]
    fn a_press_without_an_end_is_reported_when_the_next_starts() {
        let mut d = EventDecoder::new();
        assert_eq!(d.handle(100, &[11, 10, 0, 160]).expect("ok"), None);
        let got = d.handle(2000, &[10, 10, 0, 160]).expect("ok");
        assert_eq!(got.map(|e| e.key), Some('#'));
        let got = d.handle(2000, &[10, 0x8a, 1, 0]).expect("ok");
        assert_eq!(got.map(|e| (e.key, e.duration)), Some(('*', 256)));
    }

    #[test]
    fn short_payloads_and_non_key_events_are_not_keys() {
        let mut d = EventDecoder::new();
        assert_eq!(d.handle(1, &[1, 2]), Err(EventError::Short(2)));
        // Event 32 (a modem tone) with its end: no key.
        assert_eq!(d.handle(5, &[32, 0x80, 0, 160]).expect("ok"), None);
        assert!(encode('x', 800, 10).is_none());
        for k in "0123456789*#ABCD".chars() {
            assert_eq!(code_of(k).and_then(key_of), Some(k));
        }
    }
}
