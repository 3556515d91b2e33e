//! Splitting a phrase into clauses, and the silence that goes between
//! them.
//!
//! Owns: where a phrase may be cut (after `. , ? ! ; :` followed by a
//! space or the end, and, for engines whose time grows with the clause,
//! once inside a long first clause: [`split_with_lead`]) and how long the
//! pause after each clause is. Synthesizing clause by clause lets the
//! first audio leave before a long phrase is finished, and makes pauses a
//! plain, adjustable silence.
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

/// A first clause longer than this many words is cut short.
pub const LEAD_MAX_WORDS: usize = 6;

/// The fewest words a lead, or what follows it, may have.
const LEAD_MIN_WORDS: usize = 3;

/// Words that usually open a phrase of their own inside a clause
/// (conjunctions, prepositions, relatives): a cut just before one falls
/// where a speaker may pause anyway.
const OPENERS: [&str; 30] = [
    "and", "but", "or", "so", "because", "cause", "for", "to", "with", "about", "at", "in", "on",
    "from", "since", "until", "when", "if", "that", "which", "who", "after", "before", "by",
    "into", "of", "than", "then", "while", "please",
];

/// Words that lean on the word after them: a lead never ends on one.
const BINDERS: [&str; 30] = [
    "a", "an", "the", "my", "your", "our", "his", "her", "their", "its", "this", "these", "those",
    "to", "of", "no", "not", "very", "i", "is", "am", "are", "was", "were", "be", "will", "can",
    "do", "have", "has",
];

/// Like [`split`], but a first clause of more than [`LEAD_MAX_WORDS`]
/// words is cut in two: a lead of three to six words, then the rest of
/// the clause. The neural voice needs about 10 ms per word before it
/// gives anything (54 ms for 4 words, 119 ms for 10, 179 ms for 16 on two
/// cores), and TTY users seldom type commas, so without the cut a long
/// typed phrase keeps the agent waiting for all of it. The cut goes
/// before the first [`OPENERS`] word that leaves a lead of three to six
/// words, else after the sixth word (or the fifth, fourth or third, when
/// the one before the cut leans on the next, [`BINDERS`]), and only
/// where at least three words follow. The rest is made while the lead
/// plays. The lead has no mark, so only the word gap follows it.
pub fn split_with_lead(text: &str) -> Vec<Clause<'_>> {
    let mut clauses = split(text);
    let Some(first) = clauses.first().copied() else {
        return clauses;
    };
    let words: Vec<(usize, &str)> = word_starts(first.text).collect();
    if words.len() <= LEAD_MAX_WORDS || words.len() < LEAD_MIN_WORDS * 2 {
        return clauses;
    }
    let key = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let last_lead = LEAD_MAX_WORDS.min(words.len() - LEAD_MIN_WORDS);
    let opener =
        (LEAD_MIN_WORDS..=last_lead).find(|&n| OPENERS.contains(&key(words[n].1).as_str()));
    let lead = opener.unwrap_or_else(|| {
        (LEAD_MIN_WORDS..=last_lead)
            .rev()
            .find(|&n| !BINDERS.contains(&key(words[n - 1].1).as_str()))
            .unwrap_or(last_lead)
    });
    let cut = words[lead].0;
    clauses.splice(
        0..1,
        [
            Clause {
                text: first.text[..cut].trim_end(),
                mark: None,
            },
            Clause {
                text: &first.text[cut..],
                mark: first.mark,
            },
        ],
    );
    clauses
}

/// Each word of `text` with the byte offset where it starts.
fn word_starts(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut after_space = true;
    text.char_indices()
        .filter_map(move |(i, c)| {
            let starts = after_space && !c.is_whitespace();
            after_space = c.is_whitespace();
            starts.then_some(i)
        })
        .map(move |i| {
            let rest = &text[i..];
            (i, rest.split_whitespace().next().unwrap_or(rest))
        })
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

    fn leads(s: &str) -> Vec<(&str, Option<char>)> {
        split_with_lead(s)
            .into_iter()
            .map(|c| (c.text, c.mark))
            .collect()
    }

    #[test]
    fn a_long_first_clause_is_cut_before_a_word_that_opens_a_phrase() {
        assert_eq!(
            leads("Hi I was charged twice for my card please help."),
            [
                ("Hi I was charged twice", None),
                ("for my card please help", Some('.'))
            ]
        );
        assert_eq!(
            leads("My internet has been down since yesterday morning."),
            [
                ("My internet has been down", None),
                ("since yesterday morning", Some('.'))
            ]
        );
        assert_eq!(
            leads("I was charged twice for the same order last week, thanks."),
            [
                ("I was charged twice", None),
                ("for the same order last week", Some(',')),
                ("thanks", Some('.'))
            ]
        );
    }

    #[test]
    fn without_an_opener_the_lead_is_at_most_six_words_and_never_ends_leaning() {
        assert_eq!(
            leads("Yes the blue card here is the one you sent"),
            [
                ("Yes the blue card here", None),
                ("is the one you sent", None)
            ]
        );
        assert_eq!(
            leads("The new phone still shows no signal at home today."),
            [
                ("The new phone still shows", None),
                ("no signal at home today", Some('.'))
            ]
        );
        assert_eq!(
            leads("Please check the balance of my account number now"),
            [
                ("Please check the balance", None),
                ("of my account number now", None)
            ]
        );
    }

    #[test]
    fn short_clauses_and_later_clauses_stay_whole() {
        assert_eq!(
            leads("Can you please check my bill? I was charged twice for the same order."),
            texts("Can you please check my bill? I was charged twice for the same order.")
        );
        // Seven words: a cut would leave fewer than three after a lead of
        // four or more, so the opener at word three is the only choice.
        assert_eq!(
            leads("Thanks so much for all your help."),
            [("Thanks so much", None), ("for all your help", Some('.'))]
        );
        assert!(split_with_lead("").is_empty());
        assert_eq!(leads("ok."), [("ok", Some('.'))]);
    }

    #[test]
    fn the_lead_and_the_rest_keep_every_word_in_order() {
        let text = "i  need a new card because my old one was stolen yesterday";
        let pieces = split_with_lead(text);
        assert_eq!(pieces.len(), 2);
        let joined: Vec<&str> = pieces
            .iter()
            .flat_map(|c| c.text.split_whitespace())
            .collect();
        assert_eq!(joined, text.split_whitespace().collect::<Vec<_>>());
        assert_eq!(pieces[0].text, "i  need a new card");
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
