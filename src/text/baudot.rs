//! Baudot (ITA2 and US-TTY) character tables, and the letters/figures
//! shift state on both ends of a 5-bit line.
//!
//! Owns: the mapping between characters and 5-bit codes, and the rules
//! for when shift codes are sent. Must not touch: bit timing, start and
//! stop bits, audio or time; those belong to the modem. Reading a sender
//! whose habit after a space in figures is not known belongs to
//! [`super::shift_habit`].
//!
//! A code is a value in `0..=31` whose bit 0 is the first data bit on the
//! line.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// Shift code that selects the letters case.
pub const LTRS: u8 = 0x1F;
/// Shift code that selects the figures case.
pub const FIGS: u8 = 0x1B;

/// Codes that mean the same in both shifts.
pub(crate) const NUL: u8 = 0x00;
pub(crate) const LF: u8 = 0x02;
pub(crate) const SPACE: u8 = 0x04;
pub(crate) const CR: u8 = 0x08;

/// The shift code is repeated after this many characters, so a receiver
/// that missed or misread one recovers within a line.
const SHIFT_REPEAT: usize = 72;

/// Codes of the letters A to Z, in alphabetical order.
const LETTER_CODES: [u8; 26] = [
    0x03, 0x19, 0x0E, 0x09, 0x01, 0x0D, 0x1A, 0x14, 0x06, 0x0B, 0x0F, 0x12, 0x1C, 0x0C, 0x18, 0x16,
    0x17, 0x0A, 0x05, 0x10, 0x07, 0x1E, 0x13, 0x1D, 0x15, 0x11,
];

/// US-TTY figures, indexed like [`LETTER_CODES`] (the figure shares its
/// code with that letter).
const US_FIGURES: [Option<char>; 26] = [
    Some('-'),
    Some('?'),
    Some(':'),
    Some('$'),
    Some('3'),
    Some('!'),
    Some('&'),
    Some('#'),
    Some('8'),
    Some('\''),
    Some('('),
    Some(')'),
    Some('.'),
    Some(','),
    Some('9'),
    Some('0'),
    Some('1'),
    Some('4'),
    Some('\u{7}'),
    Some('5'),
    Some('7'),
    Some(';'),
    Some('2'),
    Some('/'),
    Some('6'),
    Some('"'),
];

/// ITA2 figures, indexed like [`LETTER_CODES`]. D is WRU and F, G, H are
/// left to national use; none of them is printable text.
const ITA2_FIGURES: [Option<char>; 26] = [
    Some('-'),
    Some('?'),
    Some(':'),
    None,
    Some('3'),
    None,
    None,
    None,
    Some('8'),
    Some('\u{7}'),
    Some('('),
    Some(')'),
    Some('.'),
    Some(','),
    Some('9'),
    Some('0'),
    Some('1'),
    Some('4'),
    Some('\''),
    Some('5'),
    Some('7'),
    Some('='),
    Some('2'),
    Some('/'),
    Some('6'),
    Some('+'),
];

/// Code to position in [`LETTER_CODES`], for decoding.
const LETTER_INDEX: [Option<u8>; 32] = {
    let mut index = [None; 32];
    let mut i = 0;
    while i < LETTER_CODES.len() {
        index[LETTER_CODES[i] as usize] = Some(i as u8);
        i += 1;
    }
    index
};

/// Which character set the figures shift carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    /// US TTY figures (TIA-825-A), as used by North American text
    /// telephones.
    #[serde(alias = "us-tty")]
    Us,
    /// ITU-T ITA2 figures, as used by European text telephones.
    Ita2,
}

impl Table {
    fn figures(self) -> &'static [Option<char>; 26] {
        match self {
            Table::Us => &US_FIGURES,
            Table::Ita2 => &ITA2_FIGURES,
        }
    }

    /// The name with its indefinite article, for messages.
    fn with_article(self) -> &'static str {
        match self {
            Table::Us => "a US",
            Table::Ita2 => "an ITA2",
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Table::Us => "US",
            Table::Ita2 => "ITA2",
        })
    }
}

/// A table name that [`Table::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Baudot table '{name}': expected one of us, us-tty, ita2")]
#[non_exhaustive]
pub struct UnknownTable {
    /// The name as given.
    pub name: String,
}

impl FromStr for Table {
    type Err = UnknownTable;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "us" | "us-tty" => Ok(Table::Us),
            "ita2" => Ok(Table::Ita2),
            _ => Err(UnknownTable { name: s.to_owned() }),
        }
    }
}

/// The case a 5-bit code is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shift {
    /// Letters case, selected by [`LTRS`].
    Letters,
    /// Figures case, selected by [`FIGS`].
    Figures,
}

impl Shift {
    /// The shift code that selects this case.
    pub(crate) fn code(self) -> u8 {
        match self {
            Shift::Letters => LTRS,
            Shift::Figures => FIGS,
        }
    }
}

/// A character that the chosen table has no code for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("character {ch:?} (U+{:04X}) cannot be sent on {} TTY", u32::from(*.ch), .table.with_article())]
#[non_exhaustive]
pub struct Unsendable {
    /// The character that was refused.
    pub ch: char,
    /// The table it was refused by.
    pub table: Table,
}

/// How one input character goes on the line.
enum Mapping {
    /// A code that reads the same in both shifts.
    Neutral(u8),
    /// A code that must be read in the given shift.
    Shifted(Shift, u8),
    /// A line break.
    Newline,
}

fn map_char(table: Table, c: char) -> Option<Mapping> {
    match c {
        ' ' => return Some(Mapping::Neutral(SPACE)),
        '\r' => return Some(Mapping::Neutral(CR)),
        '\n' => return Some(Mapping::Newline),
        _ => {}
    }
    let upper = c.to_ascii_uppercase();
    if upper.is_ascii_uppercase() {
        let code = LETTER_CODES[usize::from(upper as u8 - b'A')];
        return Some(Mapping::Shifted(Shift::Letters, code));
    }
    table
        .figures()
        .iter()
        .position(|&f| f == Some(c))
        .map(|i| Mapping::Shifted(Shift::Figures, LETTER_CODES[i]))
}

/// Whether `table` can carry `c` (after folding lowercase to uppercase).
pub fn can_send(table: Table, c: char) -> bool {
    map_char(table, c).is_some()
}

/// Turns text into Baudot codes, sending shift codes as the receiving
/// machine needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoder {
    table: Table,
    started: bool,
    /// The shift the receiver is known to be in; `None` after a space sent
    /// in figures, since some receivers fall back to letters on space.
    shift: Option<Shift>,
    /// Characters sent since the last shift code.
    since_shift: usize,
    /// The last character was a lone '\r', so a '\n' completes CR LF.
    after_cr: bool,
}

impl Encoder {
    /// A new encoder for `table`; its first code will be [`LTRS`].
    pub fn new(table: Table) -> Self {
        Encoder {
            table,
            started: false,
            shift: None,
            since_shift: 0,
            after_cr: false,
        }
    }

    /// The table this encoder sends with.
    pub fn table(&self) -> Table {
        self.table
    }

    /// Appends the codes for `c` to `out`, with any shift codes needed
    /// before it.
    ///
    /// '\n' sends CR LF (only LF right after a '\r', so "\r\n" is one line
    /// break) and '\r' sends CR. A character the table cannot carry is an
    /// error; then nothing is appended and the state is unchanged.
    pub fn push_char(&mut self, c: char, out: &mut Vec<u8>) -> Result<(), Unsendable> {
        let mapping = map_char(self.table, c).ok_or(Unsendable {
            ch: c,
            table: self.table,
        })?;
        let completes_crlf = matches!(mapping, Mapping::Newline) && self.after_cr;

        if !self.started {
            self.started = true;
            self.send_shift(Shift::Letters, out);
        }
        match mapping {
            Mapping::Shifted(needed, _) if self.shift != Some(needed) => {
                self.send_shift(needed, out);
            }
            // Never split CR from LF: some receivers only pair them when
            // adjacent.
            _ if self.since_shift >= SHIFT_REPEAT && !completes_crlf => {
                self.send_shift(self.shift.unwrap_or(Shift::Letters), out);
            }
            _ => {}
        }

        let before = out.len();
        match mapping {
            Mapping::Neutral(code) | Mapping::Shifted(_, code) => out.push(code),
            Mapping::Newline if completes_crlf => out.push(LF),
            Mapping::Newline => out.extend_from_slice(&[CR, LF]),
        }
        self.since_shift += out.len() - before;

        if c == ' ' && self.shift == Some(Shift::Figures) {
            self.shift = None;
        }
        self.after_cr = c == '\r';
        Ok(())
    }

    /// Encodes all of `text`, skipping characters the table cannot carry;
    /// those are returned in order alongside the codes.
    pub fn encode(&mut self, text: &str) -> (Vec<u8>, Vec<Unsendable>) {
        let mut out = Vec::with_capacity(text.len() + 2);
        let mut refused = Vec::new();
        for c in text.chars() {
            if let Err(e) = self.push_char(c, &mut out) {
                refused.push(e);
            }
        }
        (out, refused)
    }

    fn send_shift(&mut self, shift: Shift, out: &mut Vec<u8>) {
        out.push(shift.code());
        self.shift = Some(shift);
        self.since_shift = 0;
    }
}

/// What a letter or figure code prints in `shift`; `None` for codes that
/// print nothing there (shift codes, space, line breaks, blanks, and the
/// figures a table leaves unprintable).
pub(crate) fn reading(table: Table, shift: Shift, code: u8) -> Option<char> {
    let i = usize::from(LETTER_INDEX[usize::from(code & 0x1F)]?);
    match shift {
        Shift::Letters => Some(char::from(b'A' + i as u8)),
        Shift::Figures => table.figures()[i],
    }
}

/// Turns Baudot codes into text, following the shift codes it receives
/// and a fixed rule for spaces.
///
/// For a far TTY whose habit after a space is not known, use
/// [`crate::text::shift_habit::HabitDecoder`], which learns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoder {
    table: Table,
    unshift_on_space: bool,
    shift: Shift,
    /// The last printing code was CR, so an LF now adds no second break.
    after_cr: bool,
}

impl Decoder {
    /// A new decoder for `table`, in letters. With `unshift_on_space`, a
    /// space returns it to letters, as many US TTYs do.
    pub fn new(table: Table, unshift_on_space: bool) -> Self {
        Decoder {
            table,
            unshift_on_space,
            shift: Shift::Letters,
            after_cr: false,
        }
    }

    /// Reads one code (only its low 5 bits count) and returns the
    /// character it prints, if any. CR and a lone LF both print '\n';
    /// CR LF prints it once.
    pub fn push_code(&mut self, code: u8) -> Option<char> {
        let code = code & 0x1F;
        match code {
            LTRS => {
                self.shift = Shift::Letters;
                None
            }
            FIGS => {
                self.shift = Shift::Figures;
                None
            }
            // Blank tape: a receiver idles on it and prints nothing.
            NUL => None,
            CR => {
                self.after_cr = true;
                Some('\n')
            }
            LF => {
                let paired = self.after_cr;
                self.after_cr = false;
                (!paired).then_some('\n')
            }
            SPACE => {
                self.after_cr = false;
                if self.unshift_on_space {
                    self.shift = Shift::Letters;
                }
                Some(' ')
            }
            _ => {
                self.after_cr = false;
                reading(self.table, self.shift, code)
            }
        }
    }

    /// Returns to letters and forgets any pending CR, as after a new call.
    pub fn reset(&mut self) {
        self.shift = Shift::Letters;
        self.after_cr = false;
    }

    /// The shift the next code will be read in.
    pub fn shift(&self) -> Shift {
        self.shift
    }

    /// The table this decoder reads with.
    pub fn table(&self) -> Table {
        self.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The code chart, written out independently of the tables above:
    /// (code, letter, US figure, ITA2 figure).
    const CHART: [(u8, char, Option<char>, Option<char>); 26] = [
        (0x03, 'A', Some('-'), Some('-')),
        (0x19, 'B', Some('?'), Some('?')),
        (0x0E, 'C', Some(':'), Some(':')),
        (0x09, 'D', Some('$'), None),
        (0x01, 'E', Some('3'), Some('3')),
        (0x0D, 'F', Some('!'), None),
        (0x1A, 'G', Some('&'), None),
        (0x14, 'H', Some('#'), None),
        (0x06, 'I', Some('8'), Some('8')),
        (0x0B, 'J', Some('\''), Some('\u{7}')),
        (0x0F, 'K', Some('('), Some('(')),
        (0x12, 'L', Some(')'), Some(')')),
        (0x1C, 'M', Some('.'), Some('.')),
        (0x0C, 'N', Some(','), Some(',')),
        (0x18, 'O', Some('9'), Some('9')),
        (0x16, 'P', Some('0'), Some('0')),
        (0x17, 'Q', Some('1'), Some('1')),
        (0x0A, 'R', Some('4'), Some('4')),
        (0x05, 'S', Some('\u{7}'), Some('\'')),
        (0x10, 'T', Some('5'), Some('5')),
        (0x07, 'U', Some('7'), Some('7')),
        (0x1E, 'V', Some(';'), Some('=')),
        (0x13, 'W', Some('2'), Some('2')),
        (0x1D, 'X', Some('/'), Some('/')),
        (0x15, 'Y', Some('6'), Some('6')),
        (0x11, 'Z', Some('"'), Some('+')),
    ];

    const TABLES: [Table; 2] = [Table::Us, Table::Ita2];

    fn encode(table: Table, text: &str) -> Vec<u8> {
        let (codes, refused) = Encoder::new(table).encode(text);
        assert!(refused.is_empty(), "refused {refused:?}");
        codes
    }

    fn decode(table: Table, unshift_on_space: bool, codes: &[u8]) -> String {
        let mut d = Decoder::new(table, unshift_on_space);
        codes.iter().filter_map(|&c| d.push_code(c)).collect()
    }

    #[test]
    fn every_letter_encodes_and_decodes_in_both_tables() {
        for table in TABLES {
            for (code, letter, _, _) in CHART {
                assert_eq!(encode(table, &letter.to_string()), [LTRS, code]);
                let lower = letter.to_ascii_lowercase().to_string();
                assert_eq!(encode(table, &lower), [LTRS, code]);
                assert_eq!(decode(table, true, &[code]), letter.to_string());
            }
        }
    }

    #[test]
    fn every_figure_encodes_and_decodes_in_both_tables() {
        for (code, _, us, ita2) in CHART {
            for (table, figure) in [(Table::Us, us), (Table::Ita2, ita2)] {
                let decoded = decode(table, true, &[FIGS, code]);
                match figure {
                    Some(f) => {
                        assert_eq!(encode(table, &f.to_string()), [LTRS, FIGS, code]);
                        assert_eq!(decoded, f.to_string(), "{table} code {code:#04x}");
                    }
                    None => assert_eq!(decoded, "", "{table} code {code:#04x}"),
                }
            }
        }
    }

    #[test]
    fn phone_number_survives_receivers_that_do_and_do_not_unshift_on_space() {
        for table in TABLES {
            let codes = encode(table, "555 1234");
            assert_eq!(
                codes,
                [
                    LTRS, FIGS, 0x10, 0x10, 0x10, SPACE, FIGS, 0x17, 0x13, 0x01, 0x0A
                ]
            );
            assert_eq!(decode(table, true, &codes), "555 1234");
            assert_eq!(decode(table, false, &codes), "555 1234");
        }
    }

    #[test]
    fn letter_after_space_in_figures_gets_ltrs() {
        let codes = encode(Table::Us, "1 A");
        assert_eq!(codes, [LTRS, FIGS, 0x17, SPACE, LTRS, 0x03]);
        assert_eq!(decode(Table::Us, false, &codes), "1 A");
        // Spaces in letters need no shift at all.
        assert_eq!(encode(Table::Us, "A B"), [LTRS, 0x03, SPACE, 0x19]);
    }

    #[test]
    fn first_code_is_ltrs_and_is_not_repeated() {
        assert_eq!(encode(Table::Us, " "), [LTRS, SPACE]);
        assert_eq!(encode(Table::Us, "\n"), [LTRS, CR, LF]);
        assert_eq!(encode(Table::Us, "5"), [LTRS, FIGS, 0x10]);
        assert_eq!(encode(Table::Us, "AB"), [LTRS, 0x03, 0x19]);
        let mut e = Encoder::new(Table::Ita2);
        let mut out = Vec::new();
        e.push_char('A', &mut out).unwrap();
        e.push_char('5', &mut out).unwrap();
        e.push_char('B', &mut out).unwrap();
        assert_eq!(out, [LTRS, 0x03, FIGS, 0x10, LTRS, 0x19]);
    }

    #[test]
    fn shift_code_repeats_after_72_characters() {
        let codes = encode(Table::Us, &"A".repeat(100));
        let mut expected = vec![LTRS];
        expected.extend([0x03; 72]);
        expected.push(LTRS);
        expected.extend([0x03; 28]);
        assert_eq!(codes, expected);

        let codes = encode(Table::Us, &"5".repeat(150));
        let shift_positions: Vec<usize> = codes
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c == FIGS || c == LTRS)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(shift_positions, [0, 1, 74, 147]);
        assert_eq!(codes[74], FIGS);
        assert_eq!(codes[147], FIGS);
    }

    #[test]
    fn shift_repeat_counts_spaces_and_line_breaks() {
        // 35 line breaks are 70 codes; then "AB" passes 72.
        let text = format!("{}ABC", "\n".repeat(35));
        let codes = encode(Table::Us, &text);
        assert_eq!(&codes[71..], [0x03, 0x19, LTRS, 0x0E]);
    }

    #[test]
    fn newlines_go_out_as_cr_lf_and_come_back_once() {
        assert_eq!(encode(Table::Us, "A\nB"), [LTRS, 0x03, CR, LF, 0x19]);
        assert_eq!(encode(Table::Us, "A\rB"), [LTRS, 0x03, CR, 0x19]);
        assert_eq!(encode(Table::Us, "A\r\nB"), [LTRS, 0x03, CR, LF, 0x19]);
        assert_eq!(decode(Table::Us, true, &[0x03, CR, LF, 0x19]), "A\nB");
        assert_eq!(decode(Table::Us, true, &[0x03, CR, 0x19]), "A\nB");
        assert_eq!(decode(Table::Us, true, &[0x03, LF, 0x19]), "A\nB");
        assert_eq!(decode(Table::Us, true, &[CR, LF, CR, LF]), "\n\n");
        assert_eq!(decode(Table::Us, true, &[LF, LF]), "\n\n");
        assert_eq!(decode(Table::Us, true, &[CR, LTRS, LF]), "\n");
    }

    #[test]
    fn cr_and_lf_are_not_split_by_a_shift_repeat() {
        let text = format!("{}\r\n", "A".repeat(71));
        let codes = encode(Table::Us, &text);
        assert_eq!(&codes[72..], [CR, LF]);
    }

    #[test]
    fn unsendable_characters_are_refused_without_output() {
        for (table, c) in [
            (Table::Us, '%'),
            (Table::Us, '@'),
            (Table::Us, 'é'),
            (Table::Us, '='),
            (Table::Ita2, '&'),
            (Table::Ita2, '$'),
            (Table::Ita2, '%'),
            (Table::Us, '\t'),
        ] {
            assert!(!can_send(table, c));
            let mut e = Encoder::new(table);
            let mut out = vec![0x42];
            let err = e.push_char(c, &mut out).unwrap_err();
            assert_eq!(err.ch, c);
            assert_eq!(out, [0x42], "{c:?} on {table}");
            // State unchanged: the next character still starts with LTRS.
            e.push_char('A', &mut out).unwrap();
            assert_eq!(out, [0x42, LTRS, 0x03]);
        }
        assert!(can_send(Table::Us, '&'));
        assert!(can_send(Table::Ita2, '+'));
    }

    #[test]
    fn encode_reports_every_refused_character() {
        let (codes, refused) = Encoder::new(Table::Ita2).encode("A&B@");
        assert_eq!(codes, [LTRS, 0x03, 0x19]);
        let chars: Vec<char> = refused.iter().map(|e| e.ch).collect();
        assert_eq!(chars, ['&', '@']);
    }

    #[test]
    fn unsendable_message_names_character_and_table() {
        let err = Encoder::new(Table::Ita2)
            .push_char('&', &mut Vec::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "character '&' (U+0026) cannot be sent on an ITA2 TTY"
        );
        let err = Encoder::new(Table::Us)
            .push_char('é', &mut Vec::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "character 'é' (U+00E9) cannot be sent on a US TTY"
        );
    }

    #[test]
    fn decoder_unshift_on_space_setting_is_honoured() {
        let codes = [FIGS, 0x17, SPACE, 0x17];
        assert_eq!(decode(Table::Us, true, &codes), "1 Q");
        assert_eq!(decode(Table::Us, false, &codes), "1 1");
    }

    #[test]
    fn decoder_tracks_shift_masks_codes_and_resets() {
        let mut d = Decoder::new(Table::Us, true);
        assert_eq!(d.shift(), Shift::Letters);
        assert_eq!(d.push_code(FIGS), None);
        assert_eq!(d.shift(), Shift::Figures);
        assert_eq!(d.push_code(0xE0 | 0x17), Some('1'));
        assert_eq!(d.push_code(NUL), None);
        assert_eq!(d.shift(), Shift::Figures);
        d.reset();
        assert_eq!(d.shift(), Shift::Letters);
        assert_eq!(d.push_code(0x17), Some('Q'));
        assert_eq!(d.push_code(FIGS | 0x20), None);
        assert_eq!(d.shift(), Shift::Figures);
        assert_eq!(d.push_code(LTRS), None);
        assert_eq!(d.shift(), Shift::Letters);
    }

    #[test]
    fn table_names_parse_display_and_deserialize() {
        for (name, table) in [
            ("us", Table::Us),
            ("US", Table::Us),
            ("us-tty", Table::Us),
            ("US-TTY", Table::Us),
            ("ita2", Table::Ita2),
            ("Ita2", Table::Ita2),
        ] {
            assert_eq!(name.parse::<Table>().unwrap(), table);
        }
        for table in TABLES {
            assert_eq!(table.to_string().parse::<Table>().unwrap(), table);
        }
        let err = "baudot".parse::<Table>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown Baudot table 'baudot': expected one of us, us-tty, ita2"
        );

        #[derive(Deserialize)]
        struct Holder {
            table: Table,
        }
        let h: Holder = toml::from_str("table = \"ita2\"").unwrap();
        assert_eq!(h.table, Table::Ita2);
        let h: Holder = toml::from_str("table = \"us\"").unwrap();
        assert_eq!(h.table, Table::Us);
        assert!(toml::from_str::<Holder>("table = \"fr\"").is_err());
    }

    /// Everything a table can send that decodes back to itself.
    fn alphabet(table: Table) -> Vec<char> {
        let mut chars: Vec<char> = ('A'..='Z').collect();
        chars.extend(table.figures().iter().flatten());
        chars.extend([' ', '\n']);
        chars
    }

    fn text_over(table: Table) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(alphabet(table)), 0..200)
            .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn us_text_round_trips(s in text_over(Table::Us)) {
            let codes = encode(Table::Us, &s);
            prop_assert_eq!(decode(Table::Us, true, &codes), s.clone());
            prop_assert_eq!(decode(Table::Us, false, &codes), s);
        }

        #[test]
        fn ita2_text_round_trips(s in text_over(Table::Ita2)) {
            let codes = encode(Table::Ita2, &s);
            prop_assert_eq!(decode(Table::Ita2, true, &codes), s.clone());
            prop_assert_eq!(decode(Table::Ita2, false, &codes), s);
        }
    }
}
