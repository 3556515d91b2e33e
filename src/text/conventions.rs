//! TTY conventions: the words TTY users type that are not meant to be
//! read out as they stand (GA, SK, Q, XXX) and the common abbreviations.
//!
//! This module only classifies words. What is spoken in their place and
//! when is decided by [`crate::text::speakable`] and
//! [`crate::text::phrasing`].

/// A convention word, or a run of them, in typed TTY text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Convention {
    /// GA: "go ahead", the other party's turn.
    GoAhead,
    /// GA OR SK / GA TO SK: the other party may answer or end the call.
    GoAheadOrStop,
    /// SK: stop keying, ready to end the call.
    StopKeying,
    /// SKSK (or SK SK): hanging up now.
    HangingUp,
    /// Q or QQ: what came before is a question.
    Question,
    /// XXX (three or more X): erase the word before (and a retyped
    /// phrase's start, see [`crate::text::erasure`]).
    Erase,
}

/// How the call is ending, as a TTY user said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ending {
    /// GA OR SK: the other party may answer or end the call.
    GoAheadOrStop,
    /// SK: ready to end the call.
    StopKeying,
    /// SKSK: hanging up now.
    HangingUp,
}

/// Recognises the convention at the start of `words` (upper-case cores,
/// punctuation already stripped); returns it and how many words it spans.
pub fn convention_at(words: &[&str]) -> Option<(Convention, usize)> {
    let w = |i: usize| words.get(i).map(|s| s.to_ascii_uppercase());
    let first = w(0)?;
    match first.as_str() {
        "GA" if matches!(w(1).as_deref(), Some("OR" | "TO")) && w(2).as_deref() == Some("SK") => {
            Some((Convention::GoAheadOrStop, 3))
        }
        "GA" => Some((Convention::GoAhead, 1)),
        "SKSK" => Some((Convention::HangingUp, 1)),
        "SK" if w(1).as_deref() == Some("SK") => Some((Convention::HangingUp, 2)),
        "SK" => Some((Convention::StopKeying, 1)),
        "Q" | "QQ" => Some((Convention::Question, 1)),
        x if x.len() >= 3 && x.chars().all(|c| c == 'X') => Some((Convention::Erase, 1)),
        _ => None,
    }
}

/// Common TTY abbreviations and what they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    // Typed alone, as in "MY POLICY # IS".
    ("#", "number"),
    ("ABT", "about"),
    ("ACCT", "account"),
    ("ANS", "answer"),
    ("APPT", "appointment"),
    ("APT", "apartment"),
    ("ASAP", "as soon as possible"),
    ("B4", "before"),
    ("BCNU", "be seeing you"),
    ("CONF", "confirmation"),
    ("CUD", "could"),
    ("CUZ", "because"),
    ("CU", "see you"),
    ("EXT", "extension"),
    ("HD", "hold"),
    ("INFO", "information"),
    ("MIN", "minute"),
    ("MINS", "minutes"),
    ("MSG", "message"),
    ("NBR", "number"),
    ("NUM", "number"),
    ("OIC", "oh, I see"),
    ("OPR", "operator"),
    ("PLS", "please"),
    ("PLZ", "please"),
    ("REF", "reference"),
    ("R", "are"),
    ("SHUD", "should"),
    ("TEL", "telephone"),
    ("THRU", "through"),
    ("THX", "thanks"),
    ("THKS", "thanks"),
    ("TMW", "tomorrow"),
    ("TMRW", "tomorrow"),
    ("TNX", "thanks"),
    ("TTY", "T T Y"),
    ("TY", "thank you"),
    ("U", "you"),
    ("UR", "your"),
    ("WUD", "would"),
    ("XOXO", "hugs and kisses"),
    ("YR", "your"),
];

/// The expansion of a TTY abbreviation (given upper-case), if it is one.
pub fn expand_abbreviation(word: &str) -> Option<&'static str> {
    ABBREVIATIONS
        .iter()
        .find(|(abbr, _)| abbr.eq_ignore_ascii_case(word))
        .map(|(_, long)| *long)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions_are_recognised_with_their_span() {
        assert_eq!(convention_at(&["GA"]), Some((Convention::GoAhead, 1)));
        assert_eq!(
            convention_at(&["GA", "OR", "SK"]),
            Some((Convention::GoAheadOrStop, 3))
        );
        assert_eq!(
            convention_at(&["ga", "to", "sk"]),
            Some((Convention::GoAheadOrStop, 3))
        );
        assert_eq!(
            convention_at(&["SK", "SK"]),
            Some((Convention::HangingUp, 2))
        );
        assert_eq!(convention_at(&["SKSK"]), Some((Convention::HangingUp, 1)));
        assert_eq!(
            convention_at(&["SK", "NOW"]),
            Some((Convention::StopKeying, 1))
        );
        assert_eq!(convention_at(&["QQ"]), Some((Convention::Question, 1)));
        assert_eq!(convention_at(&["XXXX"]), Some((Convention::Erase, 1)));
        assert_eq!(convention_at(&["XX"]), None);
        assert_eq!(convention_at(&["GAS"]), None);
        assert_eq!(convention_at(&["GA", "OR"]), Some((Convention::GoAhead, 1)));
    }

    #[test]
    fn abbreviations_expand_whole_words_only() {
        assert_eq!(expand_abbreviation("PLS"), Some("please"));
        assert_eq!(expand_abbreviation("thx"), Some("thanks"));
        assert_eq!(expand_abbreviation("NBR"), Some("number"));
        assert_eq!(expand_abbreviation("PLEASE"), None);
    }
}
