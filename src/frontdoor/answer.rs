//! What a TTY caller's typed answer to a menu means.
//!
//! A TTY user answers a prompt by typing: the option's digit ("2 GA"),
//! the option's word ("TECH GA"), or one of the words every menu knows
//! (`?` or `REPEAT`, `OPR` or `AGENT`, `BACK`). Owns reading that line:
//! the turn-taking words (GA, SK, Q) and punctuation around it are
//! dropped, and where a number is expected the letters QWERTYUIOP are
//! read as the digits 1234567890, which is what a digit becomes when the
//! TTY's FIGS shift was lost on the line (Q is FIGS-1 on the US table,
//! W FIGS-2 and so on). Pure: text in, an [`Answer`] out. Must not touch:
//! what the options lead to (the menu does that), logging (an answer is
//! caller content).

/// What a typed line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A keypad key: a digit, `*` or `#`.
    Key(char),
    /// A word, upper case, to match against the options' words.
    Word(String),
    /// Digits, where a number was expected (a case number).
    Number(String),
    /// Say or print the prompt again.
    Repeat,
    /// The menu before this one.
    Back,
    /// A human operator.
    Human,
    /// Nothing that can be an answer (only GA, say).
    Nothing,
}

/// Words that end a TTY turn, not part of any answer.
const TURN_WORDS: [&str; 4] = ["GA", "SK", "SKSK", "GASK"];

/// The digit a letter stands for when its FIGS shift was lost: the top
/// letter row of the keyboard, Q to P, carries 1 to 0 in figures.
pub fn lost_shift_digit(c: char) -> Option<char> {
    const ROW: &str = "QWERTYUIOP";
    ROW.find(c.to_ascii_uppercase())
        .map(|i| char::from(b"1234567890"[i]))
}

/// The words of `line`, upper case, without punctuation or turn words.
fn words(line: &str) -> Vec<String> {
    line.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '!'))
        .map(|w| {
            w.trim_matches(|c: char| c == '.' || c == '\'' || c == '"')
                .to_uppercase()
        })
        .filter(|w| !w.is_empty() && !TURN_WORDS.contains(&w.as_str()))
        .collect()
}

/// Reads a typed menu answer. With `number_expected`, the digits in the
/// line (hyphens and spaces between groups allowed, lost-shift letters
/// read as digits) are the answer.
pub fn read_answer(line: &str, number_expected: bool) -> Answer {
    let words = words(line);
    if words.is_empty() {
        return Answer::Nothing;
    }
    let joined = words.join(" ");
    match joined.as_str() {
        "?" | "REPEAT" | "AGAIN" | "REPEAT PLS" | "REPEAT PLEASE" => return Answer::Repeat,
        "OPR" | "OPERATOR" | "AGENT" | "HUMAN" => return Answer::Human,
        "BACK" => return Answer::Back,
        _ => {}
    }
    if number_expected {
        let digits: Option<String> = joined
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| {
                if c.is_ascii_digit() {
                    Some(c)
                } else {
                    lost_shift_digit(c)
                }
            })
            .collect();
        if let Some(d) = digits.filter(|d| !d.is_empty()) {
            return Answer::Number(d);
        }
    }
    if words.len() == 1 {
        let w = &words[0];
        let mut chars = w.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && (c.is_ascii_digit() || c == '*' || c == '#')
        {
            return Answer::Key(c);
        }
        return Answer::Word(w.clone());
    }
    // "PRESS 2", "2 PLS", "NBR 2": one key among other words.
    let keys: Vec<char> = words
        .iter()
        .filter_map(|w| {
            let mut chars = w.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_digit() => Some(c),
                _ => None,
            }
        })
        .collect();
    if let [k] = keys.as_slice() {
        return Answer::Key(*k);
    }
    Answer::Word(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digit_or_a_word_with_turn_words_around_it() {
        assert_eq!(read_answer("2 GA", false), Answer::Key('2'));
        assert_eq!(read_answer("2", false), Answer::Key('2'));
        assert_eq!(
            read_answer("  tech ga\r\n", false),
            Answer::Word("TECH".into())
        );
        assert_eq!(read_answer("PRESS 2 GA", false), Answer::Key('2'));
        assert_eq!(
            read_answer("BILLING PLS GA", false),
            Answer::Word("BILLING PLS".into())
        );
        assert_eq!(read_answer("GA", false), Answer::Nothing);
        assert_eq!(read_answer("", false), Answer::Nothing);
    }

    #[test]
    fn every_menus_own_words() {
        for repeat in ["? GA", "?", "REPEAT GA", "repeat pls ga"] {
            assert_eq!(read_answer(repeat, false), Answer::Repeat, "{repeat}");
        }
        for human in ["OPR GA", "AGENT", "operator ga"] {
            assert_eq!(read_answer(human, false), Answer::Human, "{human}");
        }
        assert_eq!(read_answer("BACK GA", false), Answer::Back);
    }

    #[test]
    fn a_number_survives_a_lost_figures_shift() {
        assert_eq!(
            read_answer("012-345-6789 GA", true),
            Answer::Number("0123456789".into())
        );
        // "0123456789" sent with FIGS lost after the first digits prints
        // as letters of the top row.
        assert_eq!(
            read_answer("01WERTYUIO GA", true),
            Answer::Number("0123456789".into())
        );
        assert_eq!(lost_shift_digit('P'), Some('0'));
        assert_eq!(lost_shift_digit('A'), None);
        // A word that is not all top-row letters stays a word.
        assert_eq!(read_answer("HELLO GA", true), Answer::Word("HELLO".into()));
        // Without a number expected, top-row letters are a word.
        assert_eq!(read_answer("QWE", false), Answer::Word("QWE".into()));
    }
}
