//! Caption review: committed agent captions held for a human operator
//! before they reach the TTY.
//!
//! Owns the held captions, their ids and the optional release timer,
//! which pauses while the operator edits (WCAG 2.2.1: by default nothing
//! is released by a timer at all). Sans-IO: call time comes in as `now`;
//! it does not know the TTY or the console, [`super::Call`] moves what
//! it releases.

use std::collections::VecDeque;
use std::time::Duration;

/// A caption waiting for the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldCaption {
    /// Identifies it in the operator's commands.
    pub id: u64,
    /// The committed text.
    pub text: String,
    /// When the timer releases it as it is, if a timer is configured.
    pub release_at: Option<Duration>,
}

/// How a held caption left the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unheld {
    /// The operator sent it (corrected or not).
    Sent,
    /// The operator dropped it.
    Discarded,
    /// The timer or the end of review sent it as it was.
    Released,
}

impl Unheld {
    /// The word the console shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Unheld::Sent => "sent",
            Unheld::Discarded => "discarded",
            Unheld::Released => "released",
        }
    }
}

/// The held captions of one call.
#[derive(Debug, Clone, Default)]
pub struct CaptionReview {
    on: bool,
    release_after: Option<Duration>,
    held: VecDeque<HeldCaption>,
    next_id: u64,
    /// Since when the operator has been editing, pausing the timer.
    editing_since: Option<Duration>,
}

impl CaptionReview {
    /// Review off; when on, captions wait `release_after` at most (none:
    /// until the operator acts).
    pub fn new(release_after: Option<Duration>) -> Self {
        CaptionReview {
            release_after,
            ..CaptionReview::default()
        }
    }

    /// Whether captions are held now.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Turns review on or off. Off hands back every held caption, oldest
    /// first, to be sent as they are.
    pub fn set(&mut self, on: bool) -> Vec<HeldCaption> {
        self.on = on;
        if on {
            return Vec::new();
        }
        self.editing_since = None;
        self.held.drain(..).collect()
    }

    /// Holds a committed caption; returns it as held.
    pub fn hold(&mut self, text: String, now: Duration) -> HeldCaption {
        self.next_id += 1;
        // Held while the operator edits, its clock starts when the editing
        // ends: the end of the edit moves every deadline by the time the
        // edit took, so it is counted from the edit's start here.
        let start = self.editing_since.unwrap_or(now);
        let held = HeldCaption {
            id: self.next_id,
            text,
            release_at: self.release_after.map(|d| start + d),
        };
        self.held.push_back(held.clone());
        held
    }

    /// Takes held caption `id` out of the list (to send or drop it).
    pub fn take(&mut self, id: u64) -> Option<HeldCaption> {
        let i = self.held.iter().position(|h| h.id == id)?;
        let held = self.held.remove(i);
        if self.held.is_empty() {
            self.editing_since = None;
        }
        held
    }

    /// The operator started or stopped editing: the timer pauses between
    /// the two, and every deadline moves by the time spent editing.
    pub fn editing(&mut self, on: bool, now: Duration) {
        match (on, self.editing_since) {
            (true, None) => self.editing_since = Some(now),
            (false, Some(since)) => {
                let paused = now.saturating_sub(since);
                for h in &mut self.held {
                    if let Some(t) = &mut h.release_at {
                        *t += paused;
                    }
                }
                self.editing_since = None;
            }
            _ => {}
        }
    }

    /// Captions whose timer ran out by `now`, oldest first.
    pub fn due(&mut self, now: Duration) -> Vec<HeldCaption> {
        if self.editing_since.is_some() {
            return Vec::new();
        }
        let mut out = Vec::new();
        while self
            .held
            .front()
            .is_some_and(|h| h.release_at.is_some_and(|t| t <= now))
        {
            out.extend(self.held.pop_front());
        }
        out
    }

    /// The captions waiting, oldest first.
    pub fn held(&self) -> impl Iterator<Item = &HeldCaption> {
        self.held.iter()
    }

    /// Characters held (not yet on their way to the TTY).
    pub fn chars(&self) -> usize {
        self.held
            .iter()
            .map(|h| h.text.chars().filter(|c| !c.is_whitespace()).count())
            .sum()
    }

    /// When [`CaptionReview::due`] next has something.
    pub fn deadline(&self) -> Option<Duration> {
        if self.editing_since.is_some() {
            return None;
        }
        self.held.front().and_then(|h| h.release_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn without_a_timer_nothing_leaves_by_itself() {
        let mut r = CaptionReview::new(None);
        r.set(true);
        r.hold("one".into(), S);
        assert!(r.due(S * 3600).is_empty());
        assert_eq!(r.deadline(), None);
        assert_eq!(r.held().count(), 1);
    }

    #[test]
    fn the_timer_pauses_while_the_operator_edits() {
        let mut r = CaptionReview::new(Some(S * 10));
        r.set(true);
        let a = r.hold("one".into(), S);
        assert_eq!(a.release_at, Some(S * 11));
        r.editing(true, S * 5);
        assert!(r.due(S * 20).is_empty(), "paused while editing");
        r.editing(false, S * 25);
        // Twenty seconds of editing push the deadline from 11 s to 31 s.
        assert!(r.due(S * 30).is_empty());
        assert_eq!(r.due(S * 31).len(), 1);
    }

    #[test]
    fn turning_review_off_hands_back_everything_in_order() {
        let mut r = CaptionReview::new(None);
        r.set(true);
        r.hold("one".into(), S);
        let b = r.hold("two".into(), S);
        r.hold("three".into(), S);
        assert_eq!(r.take(b.id).map(|h| h.text), Some("two".into()));
        assert!(r.take(b.id).is_none(), "a caption leaves once");
        let rest: Vec<String> = r.set(false).into_iter().map(|h| h.text).collect();
        assert_eq!(rest, ["one", "three"]);
        assert!(!r.is_on());
    }
}
