//! The queue of text waiting to be printed on the TTY, released no faster
//! than the line prints it.
//!
//! A Baudot TTY prints about six characters a second; an agent speaks
//! about fifteen. The difference waits here, where its size is known.
//! This module only queues and paces; what goes in is decided by
//! [`super::Call`].

use std::collections::VecDeque;
use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) struct TtyQueue {
    chars: VecDeque<char>,
    /// The last character queued, printed or not.
    last: Option<char>,
    per_char: Duration,
    chars_per_second: f64,
    /// Earliest call time at which the next character may go.
    next_slot: Duration,
}

impl TtyQueue {
    pub fn new(chars_per_second: f64) -> Self {
        let cps = if chars_per_second.is_finite() && chars_per_second > 0.0 {
            chars_per_second
        } else {
            6.0
        };
        TtyQueue {
            chars: VecDeque::new(),
            last: None,
            per_char: Duration::from_secs_f64(1.0 / cps),
            chars_per_second: cps,
            next_slot: Duration::ZERO,
        }
    }

    pub fn push_str(&mut self, text: &str) {
        self.chars.extend(text.chars());
        self.last = text.chars().last().or(self.last);
    }

    /// The last character queued, printed or not.
    pub fn last(&self) -> Option<char> {
        self.last
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Printing time of what is queued.
    pub fn seconds(&self) -> f64 {
        self.chars.len() as f64 / self.chars_per_second
    }

    /// The next character, if the line can take one at `now`.
    pub fn pop(&mut self, now: Duration) -> Option<char> {
        if now < self.next_slot {
            return None;
        }
        let c = self.chars.pop_front()?;
        // Back to back while there is a backlog; after an idle line the
        // clock restarts from now.
        self.next_slot = self.next_slot.max(now.saturating_sub(self.per_char)) + self.per_char;
        Some(c)
    }

    /// When the next character may go, if any is waiting.
    pub fn deadline(&self) -> Option<Duration> {
        (!self.chars.is_empty()).then_some(self.next_slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_at_line_speed_back_to_back() {
        let mut q = TtyQueue::new(5.0);
        q.push_str("ABCDEF");
        let mut printed = Vec::new();
        let mut t = Duration::ZERO;
        while !q.is_empty() {
            if let Some(c) = q.pop(t) {
                printed.push((c, t));
            }
            t += Duration::from_millis(10);
        }
        assert_eq!(printed.len(), 6);
        // 200 ms apart, give or take the 10 ms polling step.
        for w in printed.windows(2) {
            let gap = w[1].1 - w[0].1;
            assert!(
                gap >= Duration::from_millis(200) && gap < Duration::from_millis(210),
                "{gap:?}"
            );
        }
    }

    #[test]
    fn backlog_is_measured_in_seconds_of_printing() {
        let mut q = TtyQueue::new(6.0);
        q.push_str(&"X".repeat(60));
        assert!((q.seconds() - 10.0).abs() < 1e-9);
    }
}
