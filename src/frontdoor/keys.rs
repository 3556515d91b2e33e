//! One keypad press, however it arrives.
//!
//! A phone may send a key as RFC 4733 events, as tones in the audio, or
//! both at once. Owns merging the two: a press reported by one path is
//! dropped when the other reported the same key within
//! [`SAME_PRESS`]. Sans-IO: keys and `now` in, keys out.

use std::time::Duration;

/// Two reports of one key closer than this are one press. A key pressed
/// twice takes at least a tone and a gap (40 ms each at the fastest) plus
/// the time to lift a finger, so real repeats are further apart.
pub const SAME_PRESS: Duration = Duration::from_millis(120);

/// Where a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// RFC 4733 telephone-events.
    Event,
    /// DTMF tones in the audio.
    InBand,
}

/// Merges the two paths into one press each.
#[derive(Debug, Default, Clone)]
pub struct KeyMerge {
    last: Option<(char, Duration, KeySource)>,
}

impl KeyMerge {
    /// A key reported at `now` by `source`: `Some` when it is a new press.
    pub fn push(&mut self, key: char, source: KeySource, now: Duration) -> Option<char> {
        let same = self.last.is_some_and(|(k, at, from)| {
            k == key && from != source && now.saturating_sub(at) < SAME_PRESS
        });
        if same {
            return None;
        }
        self.last = Some((key, now, source));
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_key_sent_both_ways_counts_once_and_repeats_count_again() {
        let mut m = KeyMerge::default();
        assert_eq!(m.push('2', KeySource::Event, ms(1000)), Some('2'));
        assert_eq!(m.push('2', KeySource::InBand, ms(1030)), None);
        // The same key pressed again, either way.
        assert_eq!(m.push('2', KeySource::Event, ms(1250)), Some('2'));
        assert_eq!(m.push('2', KeySource::Event, ms(1300)), Some('2'));
        assert_eq!(m.push('3', KeySource::InBand, ms(1310)), Some('3'));
        assert_eq!(m.push('3', KeySource::InBand, ms(1320)), Some('3'));
    }
}
