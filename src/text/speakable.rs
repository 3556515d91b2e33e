//! Typed TTY text to text a speech engine can read well.
//!
//! TTY text is all capitals and full of conventions and abbreviations.
//! Read as it stands, "PLS CALL ME ABT MY NBR 5551234 GA" would come out
//! as letters and one huge number. This module turns it into "Please call
//! me about my number 5 5 5, 1 2 3 4. Go ahead.": conventions are spoken
//! as relay operators say them (never spelled out), XXX erases
//! ([`crate::text::erasure`]), abbreviations are expanded, capitals
//! become sentence case, and numbers are read as their context says:
//! identifiers digit by digit, amounts as numbers and money
//! ([`crate::text::numbers`]).
//!
//! Pure text in, text and events out. When a phrase is spoken is decided
//! by [`crate::text::phrasing`].

use super::conventions::{Convention, Ending, convention_at, expand_abbreviation};
use super::erasure::{self, Mark};
use super::numbers::{self, Sense};

/// What is said in place of each TTY convention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpokenForms {
    /// For GA, the cue relay operators give the voice party.
    pub go_ahead: String,
    /// For GA OR SK.
    pub go_ahead_or_stop: String,
    /// For SK.
    pub stop_keying: String,
    /// For SKSK.
    pub hanging_up: String,
}

impl Default for SpokenForms {
    fn default() -> Self {
        SpokenForms {
            go_ahead: "Go ahead.".into(),
            go_ahead_or_stop: "Go ahead, or we can end the call.".into(),
            stop_keying: "I'm ready to end the call.".into(),
            hanging_up: "I'm hanging up now. Goodbye.".into(),
        }
    }
}

/// Something the text said besides its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextEvent {
    /// GA: it is the other party's turn.
    Turn,
    /// The TTY user is ending the call.
    Ending(Ending),
}

/// Speakable text and the events found on the way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Speakable {
    /// What the speech engine should read.
    pub text: String,
    /// Turn and ending events, in order.
    pub events: Vec<TextEvent>,
}

/// The speakable form of TTY text, with the default spoken forms.
pub fn speakable(text: &str) -> String {
    to_speech(text, &SpokenForms::default()).text
}

/// The speakable form of TTY text and its events.
pub fn to_speech(text: &str, forms: &SpokenForms) -> Speakable {
    to_speech_after("", text, forms)
}

/// The speakable form of `text`, typed right after `before`. `before` was
/// spoken already: it is only context for reading numbers ("ACCT", then
/// "4471" in the next phrase), and no XXX in `text` can erase it.
pub fn to_speech_after(before: &str, text: &str, forms: &SpokenForms) -> Speakable {
    let context = standing(before);
    let items = standing(text);
    let words: Vec<Option<numbers::Word>> = context.iter().chain(&items).map(Item::word).collect();
    let senses = numbers::senses(&words);
    let senses = &senses[context.len()..];
    let mut out: Vec<String> = Vec::new();
    let mut events = Vec::new();
    for (k, item) in items.iter().enumerate() {
        let t = match item {
            Item::Word(t) => t,
            Item::Said(conv) => {
                said(*conv, forms, &mut out, &mut events);
                continue;
            }
            Item::Erase => continue,
        };
        let sense = senses[k];
        let word = speak_word(&t.core, sense);
        let mut trail = t.trail.as_str();
        // "ACCT. 4471": the dot is the abbreviation's, not a sentence end.
        if matches!(sense, Sense::Label | Sense::NumberSign) && trail == "." {
            trail = "";
        }
        // "555 1234" is one number: a breath between its groups, as
        // within "555-1234".
        let grouped = sense == Sense::Identifier
            && senses.get(k + 1) == Some(&Sense::Identifier)
            && word.contains(' ');
        let trail = if grouped && trail.is_empty() {
            ","
        } else {
            trail
        };
        if !word.is_empty() || !t.lead.is_empty() || !trail.is_empty() {
            out.push(format!("{}{}{}", t.lead, word, trail));
        }
    }
    Speakable {
        text: sentence_case(&out.join(" ")),
        events,
    }
}

/// Speaks a convention: its spoken form and event.
fn said(conv: Convention, forms: &SpokenForms, out: &mut Vec<String>, events: &mut Vec<TextEvent>) {
    let (form, event) = match conv {
        Convention::Question => {
            end_sentence(out, '?');
            return;
        }
        // Applied before speaking (`standing`).
        Convention::Erase => return,
        Convention::GoAhead => (&forms.go_ahead, TextEvent::Turn),
        Convention::GoAheadOrStop => (
            &forms.go_ahead_or_stop,
            TextEvent::Ending(Ending::GoAheadOrStop),
        ),
        Convention::StopKeying => (&forms.stop_keying, TextEvent::Ending(Ending::StopKeying)),
        Convention::HangingUp => (&forms.hanging_up, TextEvent::Ending(Ending::HangingUp)),
    };
    say(out, form);
    events.push(event);
}

/// Typed text as words and conventions, with every XXX applied.
fn standing(text: &str) -> Vec<Item> {
    let tokens: Vec<Token> = text.split_whitespace().flat_map(Token::split).collect();
    let cores: Vec<&str> = tokens.iter().map(|t| t.upper.as_str()).collect();
    let mut items = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match convention_at(&cores[i..]) {
            Some((Convention::Erase, span)) => {
                items.push(Item::Erase);
                i += span;
            }
            Some((conv, span)) => {
                items.push(Item::Said(conv));
                i += span;
            }
            None => {
                items.push(Item::Word(tokens[i].clone()));
                i += 1;
            }
        }
    }
    let keys: Vec<String> = items.iter().map(Item::key).collect();
    let marks: Vec<Mark> = items
        .iter()
        .zip(&keys)
        .map(|(item, key)| match item {
            Item::Word(t) => Mark::Word {
                key,
                ends_sentence: t.trail.contains(['.', '?', '!']),
            },
            Item::Said(_) => Mark::Fixed,
            Item::Erase => Mark::Erase,
        })
        .collect();
    let keep = erasure::standing(&marks);
    let mut items: Vec<Option<Item>> = items.into_iter().map(Some).collect();
    keep.into_iter().filter_map(|i| items[i].take()).collect()
}

/// A typed word or a convention.
enum Item {
    Word(Token),
    Said(Convention),
    /// XXX, until [`erasure::standing`] has applied it.
    Erase,
}

impl Item {
    fn word(&self) -> Option<numbers::Word<'_>> {
        match self {
            Item::Word(t) => Some(numbers::Word {
                core: &t.upper,
                trail: &t.trail,
            }),
            _ => None,
        }
    }

    /// What makes two typed words the same word: "UR" is "YOUR".
    fn key(&self) -> String {
        match self {
            Item::Word(t) => expand_abbreviation(&t.upper)
                .map(str::to_owned)
                .unwrap_or_else(|| t.core.to_lowercase()),
            _ => String::new(),
        }
    }
}

/// A whitespace-separated token: leading punctuation, the word, trailing
/// punctuation.
#[derive(Debug, Clone)]
struct Token {
    lead: String,
    core: String,
    /// `core` in upper case, as conventions and number context compare it.
    upper: String,
    trail: String,
}

impl Token {
    /// The token, or two where a number sign is glued on ("#4471").
    fn split(raw: &str) -> Vec<Token> {
        let is_lead = |c: char| matches!(c, '(' | '"' | '\'');
        let is_trail = |c: char| matches!(c, '.' | ',' | '?' | '!' | ';' | ':' | ')' | '"' | '\'');
        let start = raw.find(|c| !is_lead(c)).unwrap_or(raw.len());
        let rest = &raw[start..];
        let end = rest.trim_end_matches(is_trail).len();
        let token = |lead: &str, core: &str, trail: &str| Token {
            lead: lead.to_owned(),
            core: core.to_owned(),
            upper: core.to_uppercase(),
            trail: trail.to_owned(),
        };
        let (lead, core, trail) = (&raw[..start], &rest[..end], &rest[end..]);
        match core.strip_prefix('#') {
            Some(number) if number.starts_with(|c: char| c.is_ascii_digit()) => {
                vec![token(lead, "#", ""), token("", number, trail)]
            }
            _ => vec![token(lead, core, trail)],
        }
    }
}

/// Adds a spoken convention as its own sentence.
fn say(out: &mut Vec<String>, form: &str) {
    end_sentence(out, '.');
    out.push(form.to_owned());
}

/// Ends the sentence so far with `mark`, replacing a weaker one.
fn end_sentence(out: &mut [String], mark: char) {
    if let Some(last) = out.last_mut() {
        let trimmed = last.trim_end_matches(['.', ',', ';', ':', '?', '!']).len();
        let had = last[trimmed..].to_owned();
        if had.contains('?') || had.contains('!') && mark == '.' {
            return;
        }
        last.truncate(trimmed);
        last.push(mark);
    }
}

/// One word made speakable: abbreviations, numbers as their context
/// reads them (`crate::text::numbers`), times.
fn speak_word(core: &str, sense: Sense) -> String {
    if let Some(long) = expand_abbreviation(core) {
        return long.to_owned();
    }
    if let Some(number) = numbers::read(core, sense) {
        return number;
    }
    // "5:30PM" reads better as "5:30 PM".
    for suffix in ["AM", "PM"] {
        if let Some(time) = core.strip_suffix(suffix)
            && time.ends_with(|c: char| c.is_ascii_digit())
        {
            return format!("{time} {}", suffix.to_lowercase());
        }
    }
    core.to_lowercase()
}

/// Capitalises the start of each sentence and the word "I" in text
/// whose words are otherwise lower case.
fn sentence_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = true;
    for word in text.split(' ') {
        if !out.is_empty() {
            out.push(' ');
        }
        let core = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
        let is_i = core == "i" || core.starts_with("i'");
        if start || is_i {
            let mut done = false;
            for c in word.chars() {
                if !done && c.is_alphabetic() {
                    out.extend(c.to_uppercase());
                    done = true;
                } else {
                    out.push(c);
                }
            }
        } else {
            out.push_str(word);
        }
        if !word.is_empty() {
            start = word.ends_with(['.', '?', '!']);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        speakable(text)
    }

    #[test]
    fn conventions_are_spoken_never_spelled() {
        assert_eq!(s("HELLO HOW R U Q GA"), "Hello how are you? Go ahead.");
        assert_eq!(
            s("OK THX GA OR SK"),
            "Ok thanks. Go ahead, or we can end the call."
        );
        assert_eq!(s("BYE SK"), "Bye. I'm ready to end the call.");
        assert_eq!(s("BYE SKSK"), "Bye. I'm hanging up now. Goodbye.");
        assert_eq!(s("BYE SK SK"), "Bye. I'm hanging up now. Goodbye.");
    }

    #[test]
    fn events_follow_the_conventions() {
        let out = to_speech("HI GA", &SpokenForms::default());
        assert_eq!(out.events, [TextEvent::Turn]);
        let out = to_speech("OK GA TO SK", &SpokenForms::default());
        assert_eq!(out.events, [TextEvent::Ending(Ending::GoAheadOrStop)]);
        let out = to_speech("BYE SKSK", &SpokenForms::default());
        assert_eq!(out.events, [TextEvent::Ending(Ending::HangingUp)]);
    }

    #[test]
    fn spoken_forms_are_configurable() {
        let forms = SpokenForms {
            go_ahead: "Your turn.".into(),
            ..SpokenForms::default()
        };
        assert_eq!(to_speech("YES GA", &forms).text, "Yes. Your turn.");
    }

    #[test]
    fn xxx_erases_the_word_before() {
        assert_eq!(s("MY CAT XXX DOG IS SICK"), "My dog is sick");
        assert_eq!(s("XXX HELLO"), "Hello");
        assert_eq!(s("MONDY XXX MONDAY"), "Monday");
        assert_eq!(s("MY NAME IS JON XXX JOHN"), "My name is john");
        assert_eq!(s("MY CAT IS SICK XXX XXX IS FINE"), "My cat is fine");
    }

    #[test]
    fn a_retyped_phrase_replaces_what_it_repeats() {
        assert_eq!(
            s("MY FLIGHT IS ON MONDAY XXX ON TUESDAY GA"),
            "My flight is on tuesday. Go ahead."
        );
        assert_eq!(s("I WANT TO GO XXX TO FLY"), "I want to fly");
        assert_eq!(
            s("SEND IT TO MY HOUSE XXX MY OFFICE"),
            "Send it to my office"
        );
        // Abbreviations repeat their long form.
        assert_eq!(s("IS THIS YOUR CAT XXX UR DOG Q"), "Is this your dog?");
        assert_eq!(
            s("MY ACCT NBR IS 4471 XXX IS 4417"),
            "My account number is 4 4 1 7"
        );
    }

    #[test]
    fn xxx_never_takes_back_a_convention() {
        let out = to_speech("HI GA XXX THERE", &SpokenForms::default());
        assert_eq!(out.text, "Hi. Go ahead. There");
        assert_eq!(out.events, [TextEvent::Turn]);
        assert_eq!(s("IS IT ON Q XXX ON FRIDAY"), "Is it on? On friday");
    }

    #[test]
    fn context_is_not_erasable() {
        let forms = SpokenForms::default();
        assert_eq!(
            to_speech_after("ON MONDAY", "XXX ON TUESDAY", &forms).text,
            "On tuesday"
        );
    }

    #[test]
    fn abbreviations_expand_and_capitals_become_sentence_case() {
        assert_eq!(
            s("PLS CALL ME ABT MY MSG ASAP. THX"),
            "Please call me about my message as soon as possible. Thanks"
        );
        assert_eq!(s("I'LL CALL U TMW"), "I'll call you tomorrow");
    }

    #[test]
    fn long_digit_strings_are_read_in_groups() {
        assert_eq!(s("ACCOUNT 88214-07"), "Account 8 8 2, 1 4, 0 7");
        assert_eq!(s("CALL 5551234"), "Call 5 5 5, 1 2 3 4");
        assert_eq!(s("CALL 555-1234"), "Call 5 5 5, 1 2 3 4");
        assert_eq!(s("ZIP 60629"), "Zip 6 0 6, 2 9");
        // Short numbers without a context stay numbers.
        assert_eq!(s("COME AT 1234 ON 3/14"), "Come at 1234 on 3/14");
    }

    #[test]
    fn identifiers_are_read_digit_by_digit() {
        assert_eq!(s("ORDER NBR 80915"), "Order number 8 0 9, 1 5");
        assert_eq!(s("ACCT 4471"), "Account 4 4 7 1");
        assert_eq!(s("CASE #4471."), "Case number 4 4 7 1.");
        assert_eq!(s("ORDER NO. 312 PLS"), "Order number 3 1 2 please");
        assert_eq!(s("MY PIN IS 0042"), "My pin is 0 0 4 2");
        assert_eq!(s("CARD ENDING IN 4471"), "Card ending in 4 4 7 1");
        assert_eq!(s("CALL 911"), "Call 9 1 1");
        assert_eq!(s("CALL ME AT 555 1234"), "Call me at 5 5 5, 1 2 3 4");
        assert_eq!(s("(555) 555-1234"), "(5 5 5) 5 5 5, 1 2 3 4");
        assert_eq!(s("REF 6/2093"), "Reference 6 slash 2 0 9 3");
        assert_eq!(s("APT 12A"), "Apartment 1 2 A");
        // One or two digits are said as a number.
        assert_eq!(s("ROOM 12"), "Room 12");
    }

    #[test]
    fn amounts_and_counts_are_read_as_numbers() {
        assert_eq!(s("I PAID 25000"), "I paid 25000");
        assert_eq!(s("IT COST 250"), "It cost 250");
        assert_eq!(s("I OWE THEM ABOUT 25000"), "I owe them about 25000");
        assert_eq!(s("80915 DOLLARS"), "80915 dollars");
        assert_eq!(s("I HAVE 3 CARDS"), "I have 3 cards");
        assert_eq!(s("I AM 82"), "I am 82");
        assert_eq!(s("IN 15 MINUTES"), "In 15 minutes");
        assert_eq!(s("AT 2 PM"), "At 2 pm");
        assert_eq!(s("I USED MY CARD 3 TIMES"), "I used my card 3 times");
        assert_eq!(s("IN 2-3 DAYS"), "In 2 to 3 days");
    }

    #[test]
    fn number_context_reaches_into_the_phrase_before() {
        let forms = SpokenForms::default();
        assert_eq!(
            to_speech_after("MY ACCT NBR IS", "4471 GA", &forms).text,
            "4 4 7 1. Go ahead."
        );
        assert_eq!(to_speech_after("I PAID", "25000", &forms).text, "25000");
        // Not across a convention.
        assert_eq!(to_speech_after("ACCT GA", "4471", &forms).text, "4471");
    }

    #[test]
    fn amounts_are_read_as_money() {
        assert_eq!(s("IT WAS $42.50"), "It was 42 dollars and 50 cents");
        assert_eq!(s("$1"), "1 dollar");
        assert_eq!(s("$0.05"), "5 cents");
        assert_eq!(s("$1,200"), "1200 dollars");
    }

    #[test]
    fn times_get_their_suffix_apart() {
        assert_eq!(s("UNTIL 5:30PM"), "Until 5:30 pm");
    }

    #[test]
    fn punctuation_is_kept() {
        assert_eq!(s("YES (MAYBE), \"PENDING\"."), "Yes (maybe), \"pending\".");
    }
}
