//! Numbers in typed TTY text: which are identifiers, to be read digit by
//! digit, and which are amounts or counts, to be read as numbers; and
//! their speakable form.
//!
//! An operator reads "ACCT 4471" as "four four seven one" and "I PAID
//! 25000" as "twenty-five thousand". The digits alone cannot tell them
//! apart; the words around them can. In order, first match wins:
//!
//! 1. `$42.50` is money.
//! 2. A number before a unit or count word (DOLLARS, MINUTES, PM, TIMES,
//!    PEOPLE, ...) is an amount: "80915 DOLLARS", "IN 15 MINUTES".
//! 3. A number after an amount word (COST, PAID, OWE, BALANCE, $, ...),
//!    possibly across a few small words ("OWE THEM ABOUT 250"), is an
//!    amount.
//! 4. A number with a leading zero ("0042") is an identifier.
//! 5. A number after an identifier word (ACCT, ORDER, CASE, PIN, ROOM,
//!    NBR, #, CALL, ...), possibly across IS or THE ("MY ACCT NBR IS
//!    4471"), is an identifier.
//! 6. Digit groups next to an identifier ("CARD 4471 2231"), or shaped
//!    like a phone or card number ("555 1234"), are identifiers.
//! 7. Five or more digits with no such context are an identifier.
//! 8. Letters and digits mixed ("B12C") are a code, spelled out.
//! 9. Anything else (times, dates, decimals, short numbers) is read as
//!    typed.
//!
//! Identifiers of three or more digits, or with a leading zero, are
//! written digit by digit with spaces ("4 4 7 1"): the speech engines
//! phonemize text with espeak-ng, which reads "4471" as a number but
//! "4 4 7 1" digit by digit. One or two digits are said as a number, as
//! an operator says "room twelve".

use super::conventions::expand_abbreviation;

/// A typed word, as number reading sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    /// The word without its punctuation, upper case.
    pub core: &'a str,
    /// The punctuation after it.
    pub trail: &'a str,
}

/// What a word is, for reading numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sense {
    /// An ordinary word.
    Text,
    /// An identifier word right before its identifier ("ACCT" in "ACCT.
    /// 4471"): a dot after it marks an abbreviation, not a sentence end.
    Label,
    /// NO standing for "number" right before an identifier ("ORDER NO
    /// 4471").
    NumberSign,
    /// An identifier: read digit by digit, or spelled.
    Identifier,
    /// An amount or count: read as a number.
    Amount,
    /// A number with nothing to tell what it is: read as typed.
    Plain,
}

/// The sense of each of `words`, in order. `None` stands for something
/// that is not a word (a convention): context does not cross it.
pub fn senses(words: &[Option<Word>]) -> Vec<Sense> {
    let shapes: Vec<Option<Shape>> = words
        .iter()
        .map(|w| w.and_then(|w| shape(w.core)))
        .collect();
    let mut senses: Vec<Sense> = (0..words.len())
        .map(|i| match shapes[i] {
            None => Sense::Text,
            Some(Shape::Money) => Sense::Amount,
            Some(Shape::Code) => Sense::Identifier,
            Some(Shape::Other) => Sense::Plain,
            Some(Shape::Digits(d)) => digits_sense(words, i, d),
        })
        .collect();
    chain_identifiers(words, &shapes, &mut senses);
    for i in 0..words.len() {
        let next_is_identifier = senses.get(i + 1) == Some(&Sense::Identifier)
            && matches!(shapes[i + 1], Some(Shape::Digits(_)));
        if senses[i] == Sense::Text && next_is_identifier && is_identifier_word(words, i) {
            senses[i] = if words[i].is_some_and(|w| w.core == "NO") {
                Sense::NumberSign
            } else {
                Sense::Label
            };
        }
    }
    senses
}

/// The speakable form of a word of `sense`, where it differs from the
/// word as typed; `None` leaves the reading to the caller.
pub fn read(core: &str, sense: Sense) -> Option<String> {
    if sense == Sense::NumberSign {
        return Some("number".into());
    }
    match (sense, shape(core)?) {
        (Sense::Amount, Shape::Money) => money(core),
        (Sense::Amount, Shape::Digits(d)) if d.separator == Some('-') && d.parts == 2 => {
            // A range: "2-3 DAYS".
            Some(core.replacen('-', " to ", 1))
        }
        (Sense::Identifier, Shape::Digits(d))
            if d.count <= 2 && !d.leading_zero && d.parts == 1 =>
        {
            None
        }
        (Sense::Identifier, Shape::Digits(d)) => Some(digit_groups(core, d.separator)),
        (Sense::Identifier, Shape::Code) => Some(spell(core)),
        _ => None,
    }
}

/// Whether `word`, typed after `before`, ends in an abbreviation's dot
/// rather than a sentence's: "ACCT." or "ORDER NO." usually has its number
/// still to come.
pub fn abbreviation_dot(before: Option<&str>, word: &str) -> bool {
    let Some(core) = word.strip_suffix('.') else {
        return false;
    };
    let core = core.to_ascii_uppercase();
    let before = before.map(|b| {
        b.trim_matches(|c: char| !c.is_alphanumeric())
            .to_ascii_uppercase()
    });
    match core.as_str() {
        "NO" => before.is_some_and(|b| is_identifier_core(&b)),
        c => ID_ABBREVIATIONS.contains(&c),
    }
}

/// Identifier words that are abbreviations, which users type with a dot.
const ID_ABBREVIATIONS: &[&str] = &[
    "NBR", "NUM", "NR", "ACCT", "REF", "CONF", "APT", "STE", "EXT", "TEL", "INV",
];

/// Words that say the number after them names something. Compared with
/// the word as typed and with its expansion.
const ID_WORDS: &[&str] = &[
    "#",
    "NUMBER",
    "NBR",
    "NUM",
    "NR",
    "ACCOUNT",
    "ACCT",
    "ORDER",
    "CASE",
    "REF",
    "REFERENCE",
    "TICKET",
    "CONF",
    "CONFIRMATION",
    "ID",
    "PIN",
    "ZIP",
    "ZIPCODE",
    "CODE",
    "PASSCODE",
    "FLIGHT",
    "TRAIN",
    "ROUTE",
    "GATE",
    "SEAT",
    "ROOM",
    "UNIT",
    "APT",
    "APARTMENT",
    "SUITE",
    "STE",
    "BOX",
    "EXT",
    "EXTENSION",
    "CARD",
    "PHONE",
    "TELEPHONE",
    "TEL",
    "CELL",
    "MOBILE",
    "FAX",
    "CALL",
    "DIAL",
    "CLAIM",
    "POLICY",
    "INVOICE",
    "INV",
    "TRACKING",
    "SERIAL",
    "MODEL",
    "MEMBER",
    "MEMBERSHIP",
    "CUSTOMER",
    "PATIENT",
    "EMPLOYEE",
    "BADGE",
    "LICENSE",
    "PLATE",
    "PERMIT",
    "PRESCRIPTION",
    "RX",
    "VIN",
    "SSN",
    "VERIFICATION",
    "TRANSACTION",
];

/// Words that say the number after them is an amount.
const AMOUNT_WORDS: &[&str] = &[
    "$",
    "USD",
    "COST",
    "COSTS",
    "COSTING",
    "PAID",
    "PAY",
    "PAYS",
    "PAYING",
    "PAYMENT",
    "OWE",
    "OWES",
    "OWED",
    "OWING",
    "PRICE",
    "PRICED",
    "TOTAL",
    "BALANCE",
    "CHARGE",
    "CHARGED",
    "CHARGES",
    "FEE",
    "FEES",
    "REFUND",
    "REFUNDED",
    "SPENT",
    "SPEND",
    "EARN",
    "EARNED",
    "SALARY",
    "WORTH",
    "DEPOSIT",
    "DEPOSITED",
    "WITHDREW",
    "RENT",
    "LOAN",
    "AMOUNT",
    "SUM",
];

/// Small words an identifier or amount word may stand across.
const FILLERS: &[&str] = &[
    "IS", "WAS", "ARE", "WERE", "WILL", "BE", "BEEN", "THE", "A", "AN", "ITS", "IT'S", "=",
];

/// Small words only an amount word stands across: "A FEE OF 25",
/// "OWE THEM ABOUT 250"; "NUMBER OF 3" is a count, not a number's name.
const AMOUNT_FILLERS: &[&str] = &[
    "OF", "ME", "US", "YOU", "U", "THEM", "HIM", "HER", "IT", "ABOUT", "ABT", "AROUND", "OVER",
    "UNDER", "ONLY", "JUST", "NEARLY", "ALMOST", "ROUGHLY", "APPROX", "LIKE",
];

/// Unit and count words: the number before them is a quantity.
const UNITS: &[&str] = &[
    // Money.
    "DOLLAR", "DOLLARS", "BUCKS", "CENT", "CENTS", "EURO", "EUROS", "POUND", "POUNDS", "GRAND",
    // Time.
    "SEC", "SECS", "SECOND", "SECONDS", "MIN", "MINS", "MINUTE", "MINUTES", "HR", "HRS", "HOUR",
    "HOURS", "DAY", "DAYS", "WK", "WKS", "WEEK", "WEEKS", "MONTH", "MONTHS", "YEAR", "YEARS",
    "YRS", "AM", "PM", "O'CLOCK", "OCLOCK", "TIMES", // Measures.
    "PERCENT", "%", "MILE", "MILES", "KM", "FEET", "FT", "FOOT", "INCH", "INCHES", "LB", "LBS",
    "KG", "KILOS", "GRAMS", "MG", "ML", "OZ", "GALLONS", "DEGREES", "STEPS",
    // Things counted.
    "PEOPLE", "PERSONS", "KIDS", "CHILDREN", "ADULTS", "ITEMS", "PIECES", "PACKAGES", "BOXES",
    "BAGS", "CARDS", "TICKETS", "PILLS", "TABLETS", "DOSES", "CALLS", "MESSAGES", "MSGS", "PAGES",
    "LINES", "NIGHTS", "ROOMS", "SEATS", "BEDS", "ORDERS", "PAYMENTS", "CHECKS", "BILLS", "MORE",
    "LESS",
];

/// Letters glued to a number that leave it a number: "5PM", "3RD",
/// "10MIN", "1990S".
const NUMBER_SUFFIXES: &[&str] = &[
    "AM", "PM", "ST", "ND", "RD", "TH", "S", "K", "X", "MIN", "MINS", "HR", "HRS", "LB", "LBS",
    "KG", "MG", "ML", "OZ", "FT", "MI", "KM",
];

/// What a word with digits in it looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// "$42.50".
    Money,
    /// Digits, possibly in groups: "4471", "88214-07", "555.123.4567".
    Digits(Digits),
    /// Letters and digits mixed: "A12B", "MP3".
    Code,
    /// Any other word with digits: "5:30", "3/14", "2.5", "3RD".
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Digits {
    /// How many digits.
    count: usize,
    /// Starts with 0 and has more digits after it.
    leading_zero: bool,
    /// How many groups.
    parts: usize,
    /// What separates the groups, if there are several.
    separator: Option<char>,
}

fn shape(core: &str) -> Option<Shape> {
    if !core.contains(|c: char| c.is_ascii_digit()) || expand_abbreviation(core).is_some() {
        return None;
    }
    if core.starts_with('$') {
        return Some(Shape::Money);
    }
    if let Some(d) = digits(core) {
        return Some(Shape::Digits(d));
    }
    let alphanumeric = core.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let has_letters = core.contains(|c: char| c.is_ascii_alphabetic());
    if alphanumeric && has_letters && !is_number_with_suffix(core) && short_letter_runs(core) {
        return Some(Shape::Code);
    }
    Some(Shape::Other)
}

/// Digit groups separated by one kind of separator: hyphens or slashes,
/// or two or more dots ("2.5" is a decimal, "555.123.4567" a number).
fn digits(core: &str) -> Option<Digits> {
    let separator = core.chars().find(|c| !c.is_ascii_digit());
    if let Some(s) = separator
        && !matches!(s, '-' | '.' | '/')
    {
        return None;
    }
    let parts: Vec<&str> = match separator {
        Some(s) => core.split(s).collect(),
        None => vec![core],
    };
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    if separator == Some('.') && parts.len() < 3 {
        return None;
    }
    let count = parts.iter().map(|p| p.len()).sum();
    Some(Digits {
        count,
        leading_zero: core.starts_with('0') && count > 1,
        parts: parts.len(),
        separator,
    })
}

fn is_number_with_suffix(core: &str) -> bool {
    let letters = core.trim_start_matches(|c: char| c.is_ascii_digit());
    letters.len() < core.len() && NUMBER_SUFFIXES.contains(&letters)
}

/// Codes have short letter runs ("AB12"); a longer run is a word with a
/// number attached ("COVID19"), read as typed.
fn short_letter_runs(core: &str) -> bool {
    core.split(|c: char| !c.is_ascii_alphabetic())
        .all(|run| run.len() <= 3)
}

fn digits_sense(words: &[Option<Word>], i: usize, d: Digits) -> Sense {
    let next = words.get(i + 1).copied().flatten();
    let ends_here = words[i].is_some_and(|w| ends_sentence(w.trail));
    if !ends_here && next.is_some_and(|n| UNITS.contains(&n.core)) {
        return Sense::Amount;
    }
    let before = context_before(words, i);
    if before == Some(Sense::Amount) {
        return Sense::Amount;
    }
    if d.leading_zero || before == Some(Sense::Identifier) {
        return Sense::Identifier;
    }
    // A slash with no context is a date or a fraction.
    if d.separator == Some('/') {
        return Sense::Plain;
    }
    if d.count >= 5 || in_number_shaped_run(words, i) {
        return Sense::Identifier;
    }
    Sense::Plain
}

/// What the words before `words[i]` say about it: an amount word or an
/// identifier word, across small words, within the sentence.
fn context_before(words: &[Option<Word>], i: usize) -> Option<Sense> {
    let mut amount_only = false;
    for j in (0..i).rev().take(4) {
        let w = words[j]?;
        let identifier = is_identifier_word(words, j);
        let abbreviation = w.trail == "." && ID_ABBREVIATIONS.contains(&w.core);
        if ends_sentence(w.trail) && !(identifier && (abbreviation || w.core == "NO")) {
            return None;
        }
        if AMOUNT_WORDS.contains(&w.core) {
            return Some(Sense::Amount);
        }
        if identifier {
            return (!amount_only).then_some(Sense::Identifier);
        }
        if AMOUNT_FILLERS.contains(&w.core) {
            amount_only = true;
        } else if !FILLERS.contains(&w.core) {
            return None;
        }
    }
    None
}

fn is_identifier_word(words: &[Option<Word>], j: usize) -> bool {
    let Some(w) = words[j] else { return false };
    let before = |n: usize| j.checked_sub(n).and_then(|k| words[k]).map(|w| w.core);
    match w.core {
        // "ORDER NO 4471"; alone, NO is "no".
        "NO" => before(1).is_some_and(is_identifier_core),
        // "CARD ENDING IN 4471".
        "IN" | "WITH" => matches!(before(1), Some("ENDING" | "ENDS")),
        c => is_identifier_core(c),
    }
}

fn is_identifier_core(core: &str) -> bool {
    ID_WORDS.contains(&core)
        || expand_abbreviation(core)
            .is_some_and(|long| ID_WORDS.iter().any(|id| id.eq_ignore_ascii_case(long)))
}

fn ends_sentence(trail: &str) -> bool {
    trail.contains(['.', '?', '!'])
}

/// Whether `words[i]` is in a run of plain digit groups shaped like a
/// phone number (555 1234, 1 800 555 1234) or a card number (4 x 4).
fn in_number_shaped_run(words: &[Option<Word>], i: usize) -> bool {
    let plain_digits = |k: usize| {
        words[k].and_then(|w| match shape(w.core) {
            Some(Shape::Digits(d)) if d.parts == 1 => Some((d.count, ends_sentence(w.trail))),
            _ => None,
        })
    };
    let mut start = i;
    while start > 0 && plain_digits(start - 1).is_some_and(|(_, end)| !end) {
        start -= 1;
    }
    let mut end = i;
    while end + 1 < words.len()
        && plain_digits(end).is_some_and(|(_, end)| !end)
        && plain_digits(end + 1).is_some()
    {
        end += 1;
    }
    let lengths: Vec<usize> = (start..=end)
        .filter_map(plain_digits)
        .map(|(n, _)| n)
        .collect();
    matches!(
        lengths.as_slice(),
        [3, 4] | [3, 3, 4] | [1, 3, 3, 4] | [4, 4, 4, 4] | [4, 6, 5]
    )
}

/// Digit groups beside an identifier belong to it: "CARD 4471 2231",
/// "(555) 555-1234". Groups of three or more digits only, so that "ACCT
/// 4471 2 TIMES" keeps its count.
fn chain_identifiers(words: &[Option<Word>], shapes: &[Option<Shape>], senses: &mut [Sense]) {
    let group = |k: usize| matches!(shapes[k], Some(Shape::Digits(d)) if d.count >= 3);
    loop {
        let mut changed = false;
        for k in 1..senses.len() {
            let joined =
                group(k - 1) && group(k) && words[k - 1].is_some_and(|w| !ends_sentence(w.trail));
            if !joined {
                continue;
            }
            for (a, b) in [(k - 1, k), (k, k - 1)] {
                if senses[a] == Sense::Identifier && senses[b] == Sense::Plain {
                    senses[b] = Sense::Identifier;
                    changed = true;
                }
            }
        }
        if !changed {
            return;
        }
    }
}

/// Digits read one by one, in groups of at most four: "5 5 5, 1 2 3 4".
/// Typed groups are kept; a slash is said.
fn digit_groups(core: &str, separator: Option<char>) -> String {
    let parts: Vec<&str> = match separator {
        Some(s) => core.split(s).collect(),
        None => vec![core],
    };
    let read: Vec<String> = parts.iter().map(|p| group_digits(p)).collect();
    let joint = if separator == Some('/') {
        " slash "
    } else {
        ", "
    };
    read.join(joint)
}

fn group_digits(part: &str) -> String {
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
    let mut groups = Vec::new();
    let mut at = 0;
    for n in sizes {
        let group: Vec<String> = chars[at..at + n].iter().map(char::to_string).collect();
        groups.push(group.join(" "));
        at += n;
    }
    groups.join(", ")
}

/// A code spelled out: "B12C" as "B 1 2 C", letters as capitals so that
/// they are said as letters. espeak-ng reads an A standing alone before
/// more text as the article "uh", but as the letter when it is glued to
/// the next character: "A12B" is written "A1 2 B".
fn spell(core: &str) -> String {
    let parts: Vec<String> = core
        .split('-')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let chars: Vec<char> = p.chars().map(|c| c.to_ascii_uppercase()).collect();
            let mut spelled = Vec::new();
            let mut i = 0;
            while i < chars.len() {
                let n = if chars[i] == 'A' && i + 1 < chars.len() {
                    2
                } else {
                    1
                };
                spelled.push(chars[i..i + n].iter().collect::<String>());
                i += n;
            }
            spelled.join(" ")
        })
        .collect();
    parts.join(", ")
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The sense of each word of `text`.
    fn senses_of(text: &str) -> Vec<Sense> {
        let words: Vec<(String, String)> = text
            .split(' ')
            .map(|w| {
                let w = w.trim_start_matches('(');
                let core = w.trim_end_matches([')', '.', ',', '?']);
                (core.to_owned(), w[core.len()..].to_owned())
            })
            .collect();
        let words: Vec<Option<Word>> = words
            .iter()
            .map(|(core, trail)| Some(Word { core, trail }))
            .collect();
        senses(&words)
    }

    fn last(text: &str) -> Sense {
        *senses_of(text).last().unwrap()
    }

    #[test]
    fn numbers_after_identifier_words_are_identifiers() {
        for text in [
            "ORDER NBR 80915",
            "ACCT 55012",
            "CASE 4471",
            "MY ACCOUNT NUMBER IS 4471",
            "ORDER NO 4471",
            "ORDER NO. 4471",
            "ACCT. 4471",
            "# 4471",
            "CARD ENDING IN 4471",
            "CALL 911",
            "MY ZIP CODE IS 60629",
        ] {
            assert_eq!(last(text), Sense::Identifier, "{text}");
        }
    }

    #[test]
    fn amounts_and_counts_stay_numbers() {
        for (text, sense) in [
            ("I PAID 25000", Sense::Amount),
            ("IT COST 250", Sense::Amount),
            ("I OWE THEM ABOUT 25000", Sense::Amount),
            ("A FEE OF 4471", Sense::Amount),
            ("THE BALANCE IS 80915", Sense::Amount),
            ("$ 25000", Sense::Amount),
            ("I HAVE 3", Sense::Plain),
            ("I AM 82", Sense::Plain),
            ("A NUMBER OF 3", Sense::Plain),
        ] {
            assert_eq!(last(text), sense, "{text}");
        }
        assert_eq!(senses_of("80915 DOLLARS")[0], Sense::Amount);
        assert_eq!(senses_of("IN 15 MINUTES")[1], Sense::Amount);
        assert_eq!(senses_of("2 PM")[0], Sense::Amount);
        // A count after an identifier word is still a count.
        assert_eq!(senses_of("MY CARD 3 TIMES")[2], Sense::Amount);
    }

    #[test]
    fn leading_zeros_long_strings_and_number_shapes_are_identifiers() {
        assert_eq!(last("MY PIN IS 0042"), Sense::Identifier);
        assert_eq!(last("IT IS 80915"), Sense::Identifier);
        assert_eq!(senses_of("AT 555 1234")[1..], [Sense::Identifier; 2]);
        assert_eq!(
            senses_of("CARD 4471 2231 0098 1123")[1..],
            [Sense::Identifier; 4]
        );
        assert_eq!(senses_of("(555) 555-1234")[..], [Sense::Identifier; 2]);
        // Without a context, groups of other shapes stay numbers.
        assert_eq!(senses_of("100 200")[..], [Sense::Plain; 2]);
    }

    #[test]
    fn context_does_not_cross_a_sentence_or_a_convention() {
        assert_eq!(last("MY CARD. 4471"), Sense::Plain);
        assert_eq!(last("WHICH ACCT? 4471"), Sense::Plain);
        let words = [
            Some(Word {
                core: "ACCT",
                trail: "",
            }),
            None,
            Some(Word {
                core: "4471",
                trail: "",
            }),
        ];
        assert_eq!(senses(&words)[2], Sense::Plain);
    }

    #[test]
    fn the_word_before_an_identifier_is_its_label() {
        assert_eq!(
            senses_of("ORDER NO 4471"),
            [Sense::Text, Sense::NumberSign, Sense::Identifier]
        );
        assert_eq!(senses_of("ACCT 4471")[0], Sense::Label);
        assert_eq!(senses_of("I SAID NO 3 TIMES")[2], Sense::Text);
    }

    #[test]
    fn identifiers_are_written_digit_by_digit() {
        let id = |core| read(core, Sense::Identifier);
        assert_eq!(id("4471").as_deref(), Some("4 4 7 1"));
        assert_eq!(id("80915").as_deref(), Some("8 0 9, 1 5"));
        assert_eq!(id("5551234").as_deref(), Some("5 5 5, 1 2 3 4"));
        assert_eq!(id("88214-07").as_deref(), Some("8 8 2, 1 4, 0 7"));
        assert_eq!(id("555.123.4567").as_deref(), Some("5 5 5, 1 2 3, 4 5 6 7"));
        assert_eq!(id("6/2093").as_deref(), Some("6 slash 2 0 9 3"));
        assert_eq!(id("07").as_deref(), Some("0 7"));
        assert_eq!(id("B12C").as_deref(), Some("B 1 2 C"));
        assert_eq!(id("A12B").as_deref(), Some("A1 2 B"));
        assert_eq!(id("12A").as_deref(), Some("1 2 A"));
        // One or two digits are said as a number.
        assert_eq!(id("12"), None);
    }

    #[test]
    fn amounts_are_written_as_numbers() {
        assert_eq!(read("25000", Sense::Amount), None);
        assert_eq!(read("2-3", Sense::Amount).as_deref(), Some("2 to 3"));
        assert_eq!(
            read("$42.50", Sense::Amount).as_deref(),
            Some("42 dollars and 50 cents")
        );
        assert_eq!(read("$1", Sense::Amount).as_deref(), Some("1 dollar"));
        assert_eq!(read("$0.05", Sense::Amount).as_deref(), Some("5 cents"));
        assert_eq!(
            read("$1,200", Sense::Amount).as_deref(),
            Some("1200 dollars")
        );
    }

    #[test]
    fn codes_and_numbers_with_suffixes() {
        assert_eq!(senses_of("UNIT 4B")[1], Sense::Identifier);
        assert_eq!(last("MP3"), Sense::Identifier);
        assert_eq!(last("MARCH 14TH"), Sense::Plain);
        assert_eq!(last("AT 5PM"), Sense::Plain);
        assert_eq!(last("COVID19"), Sense::Plain);
        assert_eq!(last("3.5"), Sense::Plain);
        assert_eq!(last("3/14"), Sense::Plain);
    }

    #[test]
    fn abbreviation_dots_do_not_end_sentences() {
        assert!(abbreviation_dot(None, "ACCT."));
        assert!(abbreviation_dot(Some("ORDER"), "NO."));
        assert!(!abbreviation_dot(Some("SAID"), "NO."));
        assert!(!abbreviation_dot(None, "CARD."));
        assert!(!abbreviation_dot(None, "ACCT"));
    }
}
