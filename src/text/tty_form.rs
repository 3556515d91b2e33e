//! Text bound for a Baudot TTY: upper case, and only what the device's
//! table can carry.
//!
//! Speech-to-text produces ordinary text with lower case, accents, `%`,
//! `@` and typographic quotes. A 5-bit TTY has none of these. Each
//! character the table lacks is replaced by a spoken-style substitute
//! (`%` becomes ` PERCENT`, `@` becomes ` AT `), accents are dropped from
//! their letters, and anything with no substitute at all is reported, so
//! nothing disappears without a trace.
//!
//! Pure text in and out; shifts and codes are [`crate::text::baudot`]'s.

use unicode_normalization::UnicodeNormalization;

use super::baudot::{Table, can_send};

/// Text ready for a TTY and what had to change on the way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TtyText {
    /// Upper-case text the table can carry in full.
    pub text: String,
    /// Characters replaced by a substitute, in order of appearance.
    pub substituted: Vec<char>,
    /// Characters with no substitute at all, left out (and reported).
    pub dropped: Vec<char>,
}

/// Substitutes, in order of preference: the first the table can carry
/// wins.
fn substitutes(c: char) -> &'static [&'static str] {
    match c {
        '%' => &[" PERCENT"],
        '@' => &[" AT "],
        '&' => &["&", " AND "],
        '#' => &["#", " NUMBER "],
        '+' => &["+", " PLUS "],
        '=' => &["=", " EQUALS "],
        '*' => &[" STAR "],
        '<' => &[" LESS THAN "],
        '>' => &[" GREATER THAN "],
        '$' => &["$", " DOLLARS "],
        '!' => &["!", "."],
        ';' => &[";", ","],
        '"' => &["\"", "'"],
        '\'' => &["'", ""],
        '[' | '{' => &["("],
        ']' | '}' => &[")"],
        '_' | '~' | '^' | '|' | '\t' => &[" "],
        '\\' => &["/"],
        '`' | '\u{2018}' | '\u{2019}' => &["'", ""],
        '\u{201C}' | '\u{201D}' => &["\"", "'"],
        '\u{2013}' | '\u{2014}' => &["-"],
        '\u{2026}' => &["..."],
        '\u{20AC}' => &[" EUROS "],
        '\u{00A3}' => &[" POUNDS "],
        '\u{00B0}' => &[" DEGREES "],
        _ => &[],
    }
}

/// What `text` becomes on a TTY using `table`.
pub fn to_tty(text: &str, table: Table) -> TtyText {
    let mut out = TtyText::default();
    let mut raw = String::with_capacity(text.len());
    for c in text.chars() {
        let upper: Vec<char> = c.to_uppercase().collect();
        let upper = if upper.len() == 1 { upper[0] } else { c };
        if upper == '\n' || can_send(table, upper) {
            raw.push(upper);
            continue;
        }
        if let Some(s) = substitutes(c)
            .iter()
            .find(|s| s.chars().all(|k| can_send(table, k)))
        {
            raw.push_str(s);
            out.substituted.push(c);
            continue;
        }
        // Accented letters: the base letter, as a TTY user would type it.
        let base: String = c
            .to_uppercase()
            .collect::<String>()
            .nfd()
            .filter(|k| can_send(table, *k))
            .collect();
        if !base.is_empty() && base.chars().all(|k| k.is_ascii_alphabetic()) {
            raw.push_str(&base);
            out.substituted.push(c);
            continue;
        }
        if c.is_whitespace() {
            raw.push(' ');
            continue;
        }
        out.dropped.push(c);
    }
    out.text = tidy_spaces(&raw);
    out
}

/// Collapses runs of spaces and trims spaces at line ends, which
/// substitutes leave behind and which cost line time for nothing.
fn tidy_spaces(s: &str) -> String {
    s.lines()
        .map(|line| {
            line.split(' ')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if s.ends_with('\n') { "\n" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_cases_and_keeps_what_the_table_carries() {
        let t = to_tty("Your balance is $42.50, okay?", Table::Us);
        assert_eq!(t.text, "YOUR BALANCE IS $42.50, OKAY?");
        assert!(t.substituted.is_empty() && t.dropped.is_empty());
    }

    #[test]
    fn missing_characters_get_spoken_substitutes() {
        let t = to_tty("50% off, write to help@acme", Table::Us);
        assert_eq!(t.text, "50 PERCENT OFF, WRITE TO HELP AT ACME");
        assert_eq!(t.substituted, ['%', '@']);
    }

    #[test]
    fn the_table_decides_what_needs_a_substitute() {
        assert_eq!(to_tty("A & B #2", Table::Us).text, "A & B #2");
        assert_eq!(to_tty("A & B #2", Table::Ita2).text, "A AND B NUMBER 2");
        assert_eq!(to_tty("1+1=2", Table::Ita2).text, "1+1=2");
        assert_eq!(to_tty("1+1=2", Table::Us).text, "1 PLUS 1 EQUALS 2");
        assert_eq!(to_tty("Wow!", Table::Ita2).text, "WOW.");
    }

    #[test]
    fn accents_and_typography_are_folded() {
        let t = to_tty("Café “open” – don’t", Table::Us);
        assert_eq!(t.text, "CAFE \"OPEN\" - DON'T");
    }

    #[test]
    fn nothing_vanishes_without_a_report() {
        let t = to_tty("ok 👍 ✓", Table::Us);
        assert_eq!(t.text, "OK");
        assert_eq!(t.dropped, ['👍', '✓']);
    }

    #[test]
    fn everything_in_the_result_can_be_sent() {
        let t = to_tty("Ünïcode ½ § « » 100€ £5 25°C", Table::Ita2);
        assert!(
            t.text
                .chars()
                .all(|c| c == '\n' || can_send(Table::Ita2, c)),
            "{}",
            t.text
        );
    }
}
