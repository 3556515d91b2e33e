//! Splitting a phrase into clauses, and the silence that goes between
//! them.
//!
//! Owns: where a phrase may be cut (after `. , ? ! ; :` followed by a
//! space or the end) and how long the pause after each clause is.
//! Synthesizing clause by clause lets the first audio leave before a long
//! phrase is finished, and makes pauses a plain, adjustable silence.
//!
//! Pure code: text in, slices and durations out. Must not touch: text
//! normalisation (abbreviations, numbers, TTY conventions belong to
//! `text`), or audio.

use super::profile::VoiceProfile;

/// Marks after which a phrase may be cut.
const MARKS: [char; 6] = ['.', ',', '?', '!', ';', ':'];

/// One piece of a phrase, spoken in one go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clause<'a> {
    /// The words, without the closing mark, trimmed.
    pub text: &'a str,
    /// The punctuation that closed the clause, if any.
    pub mark: Option<char>,
}

impl Clause<'_> {
    /// Whether the clause ends a phrase (`. ? ! ; :`) rather than a
    /// comma or the end of the text.
    pub fn ends_phrase(&self) -> bool {
        matches!(self.mark, Some('.' | '?' | '!' | ';' | ':'))
    }

    /// The text with its mark, as handed to a synthesizer.
    pub fn with_mark(&self) -> String {
        let mut s = self.text.to_owned();
        if let Some(m) = self.mark {
            s.push(m);
        }
        s
    }
}

/// Cuts `text` into clauses. A mark only cuts when a space or the end
/// follows it, so `3.50` and `10:30` stay whole; runs of marks (`?!`,
/// `...`) close one clause; pieces with no letter or digit are dropped.
pub fn split(text: &str) -> Vec<Clause<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !MARKS.contains(&c) {
            continue;
        }
        // Swallow the rest of a run of marks.
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if MARKS.contains(&d) {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let at_boundary = chars.peek().is_none_or(|&(_, d)| d.is_whitespace());
        if !at_boundary {
            continue;
        }
        push(&mut out, &text[start..i], Some(c));
        start = end;
    }
    push(&mut out, &text[start..], None);
    out
}

fn push<'a>(out: &mut Vec<Clause<'a>>, piece: &'a str, mark: Option<char>) {
    let piece = piece.trim();
    if piece.chars().any(char::is_alphanumeric) {
        out.push(Clause { text: piece, mark });
    }
}

/// Milliseconds of silence after `clause` when another one follows: the
/// profile's phrase pause after a phrase, half of it after a comma, and
/// `extra_ms` (the word gap, for engines that cannot place it between
/// words) at every cut.
pub fn pause_after_ms(clause: &Clause<'_>, profile: &VoiceProfile, extra_ms: u32) -> u32 {
    let base = if clause.ends_phrase() {
        profile.phrase_pause_ms
    } else if clause.mark == Some(',') {
        profile.phrase_pause_ms / 2
    } else {
        0
    };
    base + extra_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<(&str, Option<char>)> {
        split(s).into_iter().map(|c| (c.text, c.mark)).collect()
    }

    #[test]
    fn cuts_after_marks_followed_by_space_or_end() {
        assert_eq!(
            texts("Hello, my bill is wrong. Can you check it? Thanks"),
            [
                ("Hello", Some(',')),
                ("my bill is wrong", Some('.')),
                ("Can you check it", Some('?')),
                ("Thanks", None)
            ]
        );
    }

    #[test]
    fn numbers_and_times_stay_whole() {
        assert_eq!(
            texts("it was 3.50 dollars at 10:30 today."),
            [("it was 3.50 dollars at 10:30 today", Some('.'))]
        );
    }

    #[test]
    fn runs_of_marks_and_empty_pieces() {
        assert_eq!(
            texts("really?! ok... , ."),
            [("really", Some('?')), ("ok", Some('.'))]
        );
        assert!(split("  ").is_empty());
        assert!(split("?!").is_empty());
    }

    #[test]
    fn pauses_follow_the_profile() {
        let p = VoiceProfile {
            phrase_pause_ms: 400,
            ..VoiceProfile::default()
        };
        let c = split("a, b. c");
        assert_eq!(pause_after_ms(&c[0], &p, 0), 200);
        assert_eq!(pause_after_ms(&c[1], &p, 30), 430);
        assert_eq!(pause_after_ms(&c[2], &p, 0), 0);
        assert!(c[1].ends_phrase() && !c[0].ends_phrase());
        assert_eq!(c[0].with_mark(), "a,");
    }
}
