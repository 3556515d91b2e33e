//! XXX: which typed words a TTY user has erased.
//!
//! XXX (three or more X) erases the word before it, and XXX XXX the two
//! words before. A TTY cannot move back, so a user who wants to change a
//! phrase erases its end and types the phrase again: "MY FLIGHT IS ON
//! MONDAY XXX ON TUESDAY". An operator voices that as "my flight is on
//! Tuesday", not "on on Tuesday". So when the first word after the XXX
//! repeats a word that stood shortly before the erased one, the
//! correction reaches back to that word: the nearest earlier occurrence,
//! at most [`REACH`] words back, in the same sentence, with nothing
//! fixed (a spoken GA, a Q) in between. When that first word is the
//! erased word itself, or repeats nothing, the XXX erases only what it
//! covers: "MY NAME IS JON XXX JOHN" is "my name is John".
//!
//! Only words given here can be erased: whoever calls this passes the
//! words not yet spoken. What was spoken stays spoken, and an XXX with
//! nothing left to erase is dropped.

/// How many words before the erased one a retyped phrase may reach back.
/// A retyped phrase is a few words; reaching further would take back
/// words the user did not mean to change.
pub const REACH: usize = 4;

/// A typed word, as erasing sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark<'a> {
    /// A word. `key` is what makes two words the same (its spoken form,
    /// so that "UR" repeats "YOUR"); an empty key never matches.
    Word {
        /// The word's identity for matching.
        key: &'a str,
        /// The word ends a sentence: a correction does not reach past it.
        ends_sentence: bool,
    },
    /// XXX.
    Erase,
    /// What XXX neither erases nor reaches past: a convention already
    /// acted on (GA, SK, Q).
    Fixed,
}

/// Positions in `marks` left standing once every XXX has erased; the
/// XXX themselves are not among them.
pub fn standing(marks: &[Mark]) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    // The earliest word erased by the XXX just typed; the next word
    // decides whether the correction reaches further back.
    let mut erased: Option<usize> = None;
    for (i, mark) in marks.iter().enumerate() {
        match *mark {
            Mark::Erase => {
                if let Some(&j) = kept.last()
                    && matches!(marks[j], Mark::Word { .. })
                {
                    kept.pop();
                    erased = Some(j);
                }
            }
            Mark::Fixed => {
                erased = None;
                kept.push(i);
            }
            Mark::Word { key, .. } => {
                if let Some(first) = erased.take()
                    && key_of(marks[first]) != Some(key)
                    && let Some(at) = reach_back(marks, &kept, key)
                {
                    kept.truncate(at);
                }
                kept.push(i);
            }
        }
    }
    kept
}

/// Where in `kept` the nearest earlier `key` stands, if within reach.
fn reach_back(marks: &[Mark], kept: &[usize], key: &str) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    for (at, &j) in kept.iter().enumerate().rev().take(REACH) {
        match marks[j] {
            Mark::Word { ends_sentence, .. } if ends_sentence => return None,
            Mark::Word { key: k, .. } if k == key => return Some(at),
            Mark::Word { .. } => {}
            Mark::Fixed | Mark::Erase => return None,
        }
    }
    None
}

fn key_of<'a>(mark: Mark<'a>) -> Option<&'a str> {
    match mark {
        Mark::Word { key, .. } => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies XXX to `text` (words separated by spaces, "GA" fixed).
    fn apply(text: &str) -> String {
        let words: Vec<&str> = text.split(' ').collect();
        let marks: Vec<Mark> = words
            .iter()
            .map(|w| match *w {
                "XXX" => Mark::Erase,
                "GA" => Mark::Fixed,
                w => Mark::Word {
                    key: w.trim_end_matches('.'),
                    ends_sentence: w.ends_with('.'),
                },
            })
            .collect();
        let kept: Vec<&str> = standing(&marks).into_iter().map(|i| words[i]).collect();
        kept.join(" ")
    }

    #[test]
    fn plain_xxx_erases_the_word_before() {
        assert_eq!(apply("MONDY XXX MONDAY"), "MONDAY");
        assert_eq!(apply("MY NAME IS JON XXX JOHN"), "MY NAME IS JOHN");
        assert_eq!(apply("MY CAT XXX DOG IS SICK"), "MY DOG IS SICK");
        assert_eq!(apply("HELLO XXX"), "");
    }

    #[test]
    fn a_retyped_phrase_reaches_back_to_the_word_it_repeats() {
        assert_eq!(
            apply("MY FLIGHT IS ON MONDAY XXX ON TUESDAY"),
            "MY FLIGHT IS ON TUESDAY"
        );
        assert_eq!(apply("I WANT TO GO XXX TO FLY"), "I WANT TO FLY");
        // The nearest earlier occurrence, not the first.
        assert_eq!(
            apply("I NEED THE FORM AND THE RECEIPT XXX THE BILL"),
            "I NEED THE FORM AND THE BILL"
        );
    }

    #[test]
    fn several_xxx_erase_as_many_words() {
        assert_eq!(apply("MY CAT IS SICK XXX XXX IS FINE"), "MY CAT IS FINE");
        assert_eq!(apply("ON MONDAY MORNING XXX XXX ON TUESDAY"), "ON TUESDAY");
        // More XXX than words: the extra ones have nothing to erase.
        assert_eq!(apply("HI XXX XXX XXX THERE"), "THERE");
    }

    #[test]
    fn retyping_the_erased_word_itself_is_a_plain_erase() {
        assert_eq!(
            apply("I AM SORRY I XXX I WAS LATE"),
            "I AM SORRY I WAS LATE"
        );
    }

    #[test]
    fn a_correction_reaches_only_so_far() {
        // "TO" stands five words before "CAR": out of reach.
        assert_eq!(
            apply("GO TO A VERY BIG RED CAR XXX TO SEE"),
            "GO TO A VERY BIG RED TO SEE"
        );
        // Not into the sentence before.
        assert_eq!(apply("I AM. OK XXX I SEE"), "I AM. I SEE");
        // Not past a convention already acted on.
        assert_eq!(apply("ON GA MONDAY XXX ON FRIDAY"), "ON GA ON FRIDAY");
    }

    #[test]
    fn xxx_with_nothing_to_erase_is_dropped() {
        assert_eq!(apply("XXX HELLO"), "HELLO");
        assert_eq!(apply("HI GA XXX THERE"), "HI GA THERE");
    }
}
