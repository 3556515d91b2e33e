//! Typed TTY text to text a speech engine can read well.
//!
//! TTY text is all capitals and full of conventions and abbreviations.
//! Read as it stands, "PLS CALL ME ABT MY NBR 5551234 GA" would come out
//! as letters and one huge number. This module turns it into "Please call
//! me about my number 5 5 5, 1 2 3 4. Go ahead.": conventions are spoken
//! as relay operators say them (never spelled out), abbreviations are
//! expanded, capitals become sentence case, long digit strings are read in
//! groups and amounts as money.
//!
//! Pure text in, text and events out. When a phrase is spoken is decided
//! by [`crate::text::phrasing`].

use super::conventions::{Convention, Ending, convention_at, expand_abbreviation};

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
    let tokens: Vec<Token> = text.split_whitespace().map(Token::split).collect();
    let cores: Vec<&str> = tokens.iter().map(|t| t.core.as_str()).collect();
    let mut out: Vec<String> = Vec::new();
    let mut events = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Some((conv, span)) = convention_at(&cores[i..]) {
            match conv {
                Convention::Question => end_sentence(&mut out, '?'),
                Convention::Erase => {
                    out.pop();
                }
                Convention::GoAhead => {
                    say(&mut out, &forms.go_ahead);
                    events.push(TextEvent::Turn);
                }
                Convention::GoAheadOrStop => {
                    say(&mut out, &forms.go_ahead_or_stop);
                    events.push(TextEvent::Ending(Ending::GoAheadOrStop));
                }
                Convention::StopKeying => {
                    say(&mut out, &forms.stop_keying);
                    events.push(TextEvent::Ending(Ending::StopKeying));
                }
                Convention::HangingUp => {
                    say(&mut out, &forms.hanging_up);
                    events.push(TextEvent::Ending(Ending::HangingUp));
                }
            }
            i += span;
            continue;
        }
        let t = &tokens[i];
        let word = speak_word(&t.core);
        if !word.is_empty() || !t.lead.is_empty() || !t.trail.is_empty() {
            out.push(format!("{}{}{}", t.lead, word, t.trail));
        }
        i += 1;
    }
    Speakable {
        text: sentence_case(&out.join(" ")),
        events,
    }
}

/// A whitespace-separated token: leading punctuation, the word, trailing
/// punctuation.
struct Token {
    lead: String,
    core: String,
    trail: String,
}

impl Token {
    fn split(raw: &str) -> Token {
        let is_lead = |c: char| matches!(c, '(' | '"' | '\'');
        let is_trail = |c: char| matches!(c, '.' | ',' | '?' | '!' | ';' | ':' | ')' | '"' | '\'');
        let start = raw.find(|c| !is_lead(c)).unwrap_or(raw.len());
        let rest = &raw[start..];
        let end = rest.trim_end_matches(is_trail).len();
        Token {
            lead: raw[..start].to_owned(),
            core: rest[..end].to_owned(),
            trail: rest[end..].to_owned(),
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

/// One word made speakable: abbreviations, money, digit strings.
fn speak_word(core: &str) -> String {
    if let Some(long) = expand_abbreviation(core) {
        return long.to_owned();
    }
    if let Some(money) = money(core) {
        return money;
    }
    if let Some(digits) = digit_groups(core) {
        return digits;
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

/// "$42.50" as "42 dollars and 50 cents".
fn money(core: &str) -> Option<String> {
    let amount = core.strip_prefix('$')?;
    let (whole, cents) = match amount.split_once('.') {
        Some((w, c)) if c.len() == 2 => (w, Some(c)),
        Some(_) => return None,
        None => (amount, None),
    };
    let whole = whole.replace(',', "");
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let cents = match cents {
        Some(c) if c.chars().all(|d| d.is_ascii_digit()) => c.trim_start_matches('0'),
        Some(_) => return None,
        None => "",
    };
    let whole = whole.trim_start_matches('0');
    let unit =
        |n: &str, one: &str, many: &str| format!("{n} {}", if n == "1" { one } else { many });
    Some(match (whole.is_empty(), cents.is_empty()) {
        (false, false) => format!(
            "{} and {}",
            unit(whole, "dollar", "dollars"),
            unit(cents, "cent", "cents")
        ),
        (false, true) => unit(whole, "dollar", "dollars"),
        (true, false) => unit(cents, "cent", "cents"),
        (true, true) => "0 dollars".into(),
    })
}

/// Account, case and phone numbers: five or more digits, possibly split
/// by hyphens, read digit by digit in groups of at most four.
fn digit_groups(core: &str) -> Option<String> {
    let digits = core.chars().filter(char::is_ascii_digit).count();
    if digits < 5 || !core.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return None;
    }
    let mut groups = Vec::new();
    for part in core.split('-').filter(|p| !p.is_empty()) {
        let chars: Vec<char> = part.chars().collect();
        let mut sizes = Vec::new();
        let mut left = chars.len();
        while left > 4 {
            // Threes, but never leave a lone digit at the end.
            let take = if left == 5 { 3 } else { 3.min(left) };
            sizes.push(take);
            left -= take;
        }
        sizes.push(left);
        let mut at = 0;
        for n in sizes {
            let group: Vec<String> = chars[at..at + n].iter().map(char::to_string).collect();
            groups.push(group.join(" "));
            at += n;
        }
    }
    Some(groups.join(", "))
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
        // Short numbers stay numbers.
        assert_eq!(s("ROOM 1234 ON 3/14"), "Room 1234 on 3/14");
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
