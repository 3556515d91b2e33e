//! What a far TTY means by a letter or figure code right after a space
//! typed in figures: learnt from the call, and guessed word by word until
//! then.
//!
//! Senders differ here. TTYs built to TIA-825-A (and minimodem) expect
//! the receiver to return to letters on a space: they send FIGS again
//! before the next figure and nothing before a letter. Others (spandsp's
//! V.18 modem) expect the shift to persist: they send LTRS before the next
//! letter and nothing before a figure. So "12 34" and "12 ER" can be the
//! same codes, and only the sender's habit tells them apart.
//!
//! Owns: the [`UnshiftOnSpace`] setting; learning the habit from the
//! shift codes a sender puts right after a space in figures; and, until
//! it is known, holding back each word after such a space and deciding it
//! by whether it reads as a number or as a word (`docs/tty.md`, "Spaces
//! in figures"). Must not touch: the code tables and the encoder's shift
//! rules ([`super::baudot`]), or time: callers say when the line has gone
//! quiet by calling [`HabitDecoder::flush`].

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::baudot::{self, CR, Decoder, FIGS, LF, LTRS, NUL, SPACE, Shift, Table};

/// How a received space affects the shift: a fixed rule, or learnt from
/// the call.
///
/// In device profiles: `unshift_on_space = true`, `false` or `"auto"`;
/// a profile without the field means `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UnshiftOnSpace {
    /// Learn it from the sender's shift codes; until then decide each
    /// word after a space in figures by what it reads as.
    #[default]
    Auto,
    /// A space returns to letters (the sender resends FIGS before figures
    /// after a space, as TIA-825-A TTYs do).
    On,
    /// The shift persists across spaces (the sender never resends FIGS
    /// after a space, as spandsp does).
    Off,
}

impl fmt::Display for UnshiftOnSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnshiftOnSpace::Auto => "auto",
            UnshiftOnSpace::On => "on",
            UnshiftOnSpace::Off => "off",
        })
    }
}

impl<'de> Deserialize<'de> for UnshiftOnSpace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Setting;

        impl Visitor<'_> for Setting {
            type Value = UnshiftOnSpace;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false or \"auto\"")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(if v {
                    UnshiftOnSpace::On
                } else {
                    UnshiftOnSpace::Off
                })
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.eq_ignore_ascii_case("auto") {
                    Ok(UnshiftOnSpace::Auto)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
        }

        deserializer.deserialize_any(Setting)
    }
}

/// Codes held back at most before a run is decided anyway, so a sender
/// typing an endless digit string is still printed.
const MAX_HELD: usize = 64;

/// Words that TTY users type whose figures reading is also a number
/// (TO is 59, TTY is 556, PM is "0.", DO is "$9"), sorted. Only these
/// letter readings can lose to a number; a test checks each one can.
const NUMBER_LOOKALIKES: [&str; 180] = [
    "DEEP", "DEER", "DEPOT", "DEPUTY", "DEW", "DIE", "DIET", "DIP", "DO", "DOE", "DOOR", "DOPE",
    "DOT", "DOUR", "DREW", "DRIER", "DRIP", "DROP", "DRY", "DRYER", "DUE", "DUET", "DUO", "DUTY",
    "EMPTY", "ENTER", "EQUIP", "ERR", "ERROR", "EXIT", "EXPERT", "EXPORT", "EXT", "I", "IN",
    "IRON", "IT", "ITEM", "ON", "OPEN", "OPERATE", "OPR", "OR", "OUR", "OUT", "OUTER", "OUTPUT",
    "OWE", "OWN", "PEER", "PEN", "PER", "PET", "PIE", "PIN", "PIPE", "PIT", "PM", "POEM", "POET",
    "POINTER", "POOR", "PORT", "POT", "POTATO", "POTION", "POTTER", "POUR", "POWER", "PREP",
    "PRETTY", "PRINTER", "PRIOR", "PRO", "PROB", "PROM", "PROMPT", "PROP", "PROPER", "PROPERTY",
    "PUB", "PUPPY", "PURE", "PUT", "Q", "QQ", "QUEEN", "QUERY", "QUIET", "QUIT", "QUITE", "QUOTE",
    "REPORT", "RETIRE", "RETURN", "RIOT", "RIPE", "ROB", "ROOM", "ROOT", "ROPE", "ROTTEN", "ROUTE",
    "ROW", "RUB", "RUIN", "RUMOR", "RUN", "TEE", "TEEN", "TEMP", "TEN", "TERM", "TEXT", "TIE",
    "TIME", "TIMER", "TIN", "TIP", "TIRE", "TMRW", "TMW", "TO", "TOE", "TOMORROW", "TON", "TOO",
    "TOP", "TORE", "TORN", "TOTE", "TOUR", "TOW", "TOWER", "TOWN", "TOY", "TREE", "TRIO", "TRIP",
    "TRUE", "TRY", "TTY", "TUB", "TURN", "TUTOR", "TWEET", "TWIN", "TWO", "TY", "TYPE", "TYPO",
    "U", "UP", "UPON", "UPPER", "UR", "UTTER", "WE", "WEB", "WEE", "WEPT", "WERE", "WET", "WIN",
    "WINTER", "WIPE", "WIRE", "WON", "WORE", "WORM", "WORN", "WRITE", "WRITER", "WRITTEN", "WROTE",
    "YEP", "YET", "YOU", "YOUR", "YOURE",
];

/// Turns codes from a far TTY into text, reading what follows a space in
/// figures the way that sender means it.
///
/// With [`UnshiftOnSpace::On`] or [`UnshiftOnSpace::Off`] it is a plain
/// [`Decoder`] with that rule. With [`UnshiftOnSpace::Auto`] a shift code
/// right after a space in figures teaches the habit (FIGS: the sender
/// relies on unshift-on-space; LTRS: it expects the shift to persist).
/// Until one has, a word after such a space that could be a number is
/// held back until its end shows what it is; call [`flush`] when the line
/// goes quiet (the carrier ends, an idle deadline, the end of the input)
/// so no word waits for an end that does not come.
///
/// [`flush`]: HabitDecoder::flush
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HabitDecoder {
    setting: UnshiftOnSpace,
    /// Reads codes in the shift it is left in. Under `Auto` it never
    /// unshifts by itself: this decoder decides that.
    inner: Decoder,
    /// Shift codes seen right after a space in figures.
    evidence: Evidence,
    /// The shift of the last run decided by what it read as or by the
    /// shift code after it: the best guess for a run of words that read
    /// well both ways.
    lean: Option<Shift>,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Evidence {
    figs: u32,
    ltrs: u32,
}

impl Evidence {
    fn note(&mut self, shift_code: u8) {
        if shift_code == FIGS {
            self.figs += 1;
        } else {
            self.ltrs += 1;
        }
    }

    /// The shift a bare code after a space in figures is in, once the
    /// sender has shown one habit and not the other. A sender showing
    /// both always sends the shift, so its bare codes (after a misread
    /// shift, say) are decided like an unknown sender's.
    fn bare_code_shift(self) -> Option<Shift> {
        match (self.figs > 0, self.ltrs > 0) {
            (true, false) => Some(Shift::Letters),
            (false, true) => Some(Shift::Figures),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Codes print as they come.
    Reading,
    /// After a space read in figures (and any spaces or line breaks
    /// since), nothing held: the next code is what the habit is about.
    AfterSpace,
    /// Codes since a space in figures whose shift is undecided: words
    /// that read well both ways, each followed by a space, then the word
    /// in progress. Never holds a shift code, line break or blank.
    Holding(Vec<u8>),
}

impl HabitDecoder {
    /// A decoder for `table`, in letters, with the given space rule.
    pub fn new(table: Table, setting: UnshiftOnSpace) -> Self {
        HabitDecoder {
            setting,
            inner: Decoder::new(table, setting == UnshiftOnSpace::On),
            evidence: Evidence::default(),
            lean: None,
            state: State::Reading,
        }
    }

    /// The table this decoder reads with.
    pub fn table(&self) -> Table {
        self.inner.table()
    }

    /// The space rule it was built with.
    pub fn setting(&self) -> UnshiftOnSpace {
        self.setting
    }

    /// Whether a space in figures returns to letters for this sender:
    /// fixed by the setting, or as learnt so far; `None` while not known.
    pub fn unshifts_on_space(&self) -> Option<bool> {
        match self.setting {
            UnshiftOnSpace::On => Some(true),
            UnshiftOnSpace::Off => Some(false),
            UnshiftOnSpace::Auto => self.evidence.bare_code_shift().map(|s| s == Shift::Letters),
        }
    }

    /// Whether characters are held back waiting for their word to end;
    /// a caller that sees this arms its idle deadline.
    pub fn is_holding(&self) -> bool {
        matches!(self.state, State::Holding(_))
    }

    /// Reads one code (only its low 5 bits count) and appends to `out`
    /// whatever text is now decided, in order. CR and a lone LF both
    /// print '\n'; CR LF prints it once.
    pub fn push_code(&mut self, code: u8, out: &mut String) {
        let code = code & 0x1F;
        if self.setting != UnshiftOnSpace::Auto {
            self.emit(code, out);
            return;
        }
        if code == NUL {
            return;
        }
        match std::mem::replace(&mut self.state, State::Reading) {
            State::Reading => self.read(code, out),
            State::AfterSpace => self.after_space(code, out),
            State::Holding(held) => self.hold(held, code, out),
        }
    }

    /// The line has gone quiet: decides and appends any held text. Codes
    /// that continue the same word later are read in the shift chosen now.
    pub fn flush(&mut self, out: &mut String) {
        if let State::Holding(held) = std::mem::replace(&mut self.state, State::Reading) {
            self.end_run(held, out);
        }
    }

    /// Forgets the shift, anything held and what was learnt about the
    /// sender, as for a new call. Held text is dropped: flush first to
    /// keep it.
    pub fn reset(&mut self) {
        *self = HabitDecoder::new(self.inner.table(), self.setting);
    }

    fn emit(&mut self, code: u8, out: &mut String) {
        if let Some(c) = self.inner.push_code(code) {
            out.push(c);
        }
    }

    /// A code while nothing is in question.
    fn read(&mut self, code: u8, out: &mut String) {
        let in_figures = self.inner.shift() == Shift::Figures;
        self.emit(code, out);
        self.state = if code == SPACE && in_figures {
            State::AfterSpace
        } else {
            State::Reading
        };
    }

    /// The first code after a space in figures.
    fn after_space(&mut self, code: u8, out: &mut String) {
        match code {
            LTRS | FIGS => {
                self.evidence.note(code);
                self.emit(code, out);
            }
            SPACE | CR | LF => {
                self.emit(code, out);
                self.state = State::AfterSpace;
            }
            _ => match self.evidence.bare_code_shift() {
                Some(shift) => {
                    self.emit(shift.code(), out);
                    self.read(code, out);
                }
                None => self.hold(Vec::new(), code, out),
            },
        }
    }

    /// A code while `held` waits for a decision.
    fn hold(&mut self, mut held: Vec<u8>, code: u8, out: &mut String) {
        match code {
            SPACE => match self.last_word(&held) {
                Some(shift) => {
                    self.decide(held, shift, out);
                    self.read(SPACE, out);
                }
                None => {
                    held.push(SPACE);
                    self.keep_or_settle(held, out);
                }
            },
            LTRS | FIGS => {
                if held.last() == Some(&SPACE) {
                    self.evidence.note(code);
                }
                // The sender chose this shift, so it believed itself in
                // the other one: LTRS after the held codes means they
                // were figures.
                let hinted = if code == LTRS {
                    Shift::Figures
                } else {
                    Shift::Letters
                };
                let shift = self.last_word(&held).unwrap_or(hinted);
                self.decide(held, shift, out);
                self.emit(code, out);
                self.state = State::Reading;
            }
            CR | LF => {
                self.end_run(held, out);
                self.emit(code, out);
            }
            _ => {
                held.push(code);
                if could_be_number(self.inner.table(), current_word(&held)) {
                    self.keep_or_settle(held, out);
                } else {
                    self.decide(held, Shift::Letters, out);
                }
            }
        }
    }

    /// The shift the word in progress at the end of `held` clearly reads
    /// in; `None` if it reads well both ways, or if there is none.
    fn last_word(&self, held: &[u8]) -> Option<Shift> {
        let word = current_word(held);
        if word.is_empty() {
            return None;
        }
        judge(self.inner.table(), word)
    }

    /// Keeps holding, unless too much is held already.
    fn keep_or_settle(&mut self, held: Vec<u8>, out: &mut String) {
        if held.len() < MAX_HELD {
            self.state = State::Holding(held);
        } else {
            self.end_run(held, out);
        }
    }

    /// Settles `held` when no clue follows it: by what its last word
    /// reads as, or failing that by [`Self::fallback`].
    fn end_run(&mut self, held: Vec<u8>, out: &mut String) {
        match self.last_word(&held) {
            Some(shift) => self.decide(held, shift, out),
            None => {
                let shift = self.fallback();
                self.settle(held, shift, out);
            }
        }
    }

    /// For a run of words that read well both ways: what the call has
    /// shown, else letters, since TTYs built to the standard send FIGS
    /// again before a figure after a space.
    fn fallback(&self) -> Shift {
        self.lean.unwrap_or(Shift::Letters)
    }

    /// Settles `held` on a clue, and remembers which way it went.
    fn decide(&mut self, held: Vec<u8>, shift: Shift, out: &mut String) {
        self.lean = Some(shift);
        self.settle(held, shift, out);
    }

    /// Prints `held` in `shift`. Afterwards a trailing space in figures
    /// leaves the next code in question again.
    fn settle(&mut self, held: Vec<u8>, shift: Shift, out: &mut String) {
        self.emit(shift.code(), out);
        for &code in &held {
            self.emit(code, out);
        }
        self.state = if shift == Shift::Figures && held.last() == Some(&SPACE) {
            State::AfterSpace
        } else {
            State::Reading
        };
    }
}

/// The codes after the last space in `held`.
fn current_word(held: &[u8]) -> &[u8] {
    let start = held.iter().rposition(|&c| c == SPACE).map_or(0, |i| i + 1);
    &held[start..]
}

/// The shift `word` reads in: figures if it reads as a number there and
/// not as a listed word in letters, letters if it is no number; `None`
/// for a number that is also a listed word.
fn judge(table: Table, word: &[u8]) -> Option<Shift> {
    let figures = word
        .iter()
        .map(|&c| baudot::reading(table, Shift::Figures, c));
    if number_shape(figures) != Shape::Number {
        return Some(Shift::Letters);
    }
    let letters: String = word
        .iter()
        .filter_map(|&c| baudot::reading(table, Shift::Letters, c))
        .collect();
    if NUMBER_LOOKALIKES.binary_search(&letters.as_str()).is_ok() {
        None
    } else {
        Some(Shift::Figures)
    }
}

/// Whether `word`, read in figures, is a number or the start of one.
fn could_be_number(table: Table, word: &[u8]) -> bool {
    let figures = word
        .iter()
        .map(|&c| baudot::reading(table, Shift::Figures, c));
    number_shape(figures) != Shape::NotNumber
}

/// How far a figures reading goes towards a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    NotNumber,
    /// Not a number yet, but more characters could make it one.
    Partial,
    Number,
}

/// How many digits a group needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    AtLeast(usize),
    Exactly(usize),
}

impl Need {
    fn met(self, len: usize) -> bool {
        match self {
            Need::AtLeast(n) => len >= n,
            Need::Exactly(n) => len == n,
        }
    }
}

/// The numbers people type: digit groups, an optional `$` in front,
/// single separators between groups (`555-1234` and `88214-07` with two
/// digits or more each side of a hyphen, `1,000` with three after a
/// comma, `12:30` with two after a colon, `42.50`, `6/20`), and at most
/// one `.` `,` or `?` at the end. Anything looser lets ordinary words
/// through: with `-` allowed anywhere, WAIT reads as "2-85".
fn number_shape(figures: impl IntoIterator<Item = Option<char>>) -> Shape {
    #[derive(Clone, Copy)]
    enum At {
        Start,
        Dollar,
        Group(usize, Need),
        Separator(char),
        End,
    }
    let mut at = At::Start;
    for c in figures {
        let Some(c) = c else {
            return Shape::NotNumber;
        };
        at = match (at, c) {
            (At::Start, '$') => At::Dollar,
            (At::Start | At::Dollar, d) if d.is_ascii_digit() => At::Group(1, Need::AtLeast(1)),
            (At::Group(n, Need::Exactly(m)), d) if d.is_ascii_digit() && n == m => {
                return Shape::NotNumber;
            }
            (At::Group(n, need), d) if d.is_ascii_digit() => At::Group(n + 1, need),
            (At::Group(n, need), '-') if need.met(n) && n >= 2 => At::Separator('-'),
            (At::Group(n, need), '.' | ',' | ':' | '/') if need.met(n) => At::Separator(c),
            (At::Group(n, need), '?') if need.met(n) => At::End,
            (At::Separator(s), d) if d.is_ascii_digit() => At::Group(
                1,
                match s {
                    '-' => Need::AtLeast(2),
                    ',' => Need::Exactly(3),
                    ':' => Need::Exactly(2),
                    _ => Need::AtLeast(1),
                },
            ),
            _ => return Shape::NotNumber,
        };
    }
    match at {
        At::Group(n, need) if need.met(n) => Shape::Number,
        At::Separator('.' | ',') | At::End => Shape::Number,
        _ => Shape::Partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::baudot::Encoder;
    use proptest::prelude::*;

    /// Codes as spandsp sends them: a shift only when the next character
    /// needs the other one, never because of a space.
    fn keeps_shift(text: &str) -> Vec<u8> {
        sender(text, false)
    }

    /// Codes as TIA-825-A TTYs and minimodem send them: after a space the
    /// sender is in letters again, so figures get FIGS and letters
    /// nothing.
    fn unshifts(text: &str) -> Vec<u8> {
        sender(text, true)
    }

    fn sender(text: &str, unshift_on_space: bool) -> Vec<u8> {
        let mut codes = vec![LTRS];
        let mut shift = Shift::Letters;
        for c in text.chars() {
            let letter = LETTERS.find(c);
            let figure = US_FIGURES.find(c);
            match (c, letter, figure) {
                (' ', _, _) => {
                    codes.push(SPACE);
                    if unshift_on_space {
                        shift = Shift::Letters;
                    }
                }
                ('\n', _, _) => codes.extend([CR, LF]),
                (_, Some(i), _) | (_, _, Some(i)) => {
                    let needed = if letter.is_some() {
                        Shift::Letters
                    } else {
                        Shift::Figures
                    };
                    if needed != shift {
                        codes.push(needed.code());
                        shift = needed;
                    }
                    codes.push(LETTER_CODES[i]);
                }
                _ => panic!("test text has {c:?}"),
            }
        }
        codes
    }

    const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    /// US figures in letter order, with BEL as '*'.
    const US_FIGURES: &str = "-?:$3!&#8'().,9014*57;2/6\"";
    const LETTER_CODES: [u8; 26] = [
        0x03, 0x19, 0x0E, 0x09, 0x01, 0x0D, 0x1A, 0x14, 0x06, 0x0B, 0x0F, 0x12, 0x1C, 0x0C, 0x18,
        0x16, 0x17, 0x0A, 0x05, 0x10, 0x07, 0x1E, 0x13, 0x1D, 0x15, 0x11,
    ];

    fn decode_with(setting: UnshiftOnSpace, codes: &[u8]) -> String {
        let mut d = HabitDecoder::new(Table::Us, setting);
        let mut out = String::new();
        for &c in codes {
            d.push_code(c, &mut out);
        }
        d.flush(&mut out);
        assert!(!d.is_holding());
        out
    }

    fn auto(codes: &[u8]) -> String {
        decode_with(UnshiftOnSpace::Auto, codes)
    }

    #[test]
    fn the_test_senders_do_what_the_peers_do() {
        // Checked against the real peers' bits: spandsp, then minimodem.
        let keep = keeps_shift("UNIT 12 34 AB 5 C");
        let unshift = unshifts("UNIT 12 34 AB 5 C");
        let (sp, f, l) = (SPACE, FIGS, LTRS);
        assert_eq!(
            keep,
            [
                l, 0x07, 0x0C, 0x06, 0x10, sp, f, 0x17, 0x13, sp, 0x01, 0x0A, sp, l, 0x03, 0x19,
                sp, f, 0x10, sp, l, 0x0E
            ]
        );
        assert_eq!(
            unshift,
            [
                l, 0x07, 0x0C, 0x06, 0x10, sp, f, 0x17, 0x13, sp, f, 0x01, 0x0A, sp, 0x03, 0x19,
                sp, f, 0x10, sp, 0x0E
            ]
        );
    }

    #[test]
    fn a_fixed_setting_reads_like_the_plain_decoder() {
        let codes = keeps_shift("UNIT 12 34 AB");
        assert_eq!(decode_with(UnshiftOnSpace::Off, &codes), "UNIT 12 34 AB");
        assert_eq!(decode_with(UnshiftOnSpace::On, &codes), "UNIT 12 ER AB");
        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Off);
        let mut out = String::new();
        d.push_code(FIGS, &mut out);
        d.push_code(0x17, &mut out);
        d.push_code(SPACE, &mut out);
        d.push_code(0x17, &mut out);
        assert_eq!(out, "1 1", "nothing is ever held with a fixed rule");
        assert_eq!(d.unshifts_on_space(), Some(false));
    }

    #[test]
    fn both_kinds_of_sender_decode_with_no_setting() {
        for text in [
            "UNIT 12 34",
            "UNIT 12 34 AB 5 C",
            "MY NBR IS 212 555 0143 GA",
            "CALL 555 0199 AFTER 2 PM",
            "FLIGHT 1234 LEAVES AT 12:30 FROM GATE B 22",
            "I AM 82 YEARS OLD",
            "RM 12 IS ON FLOOR 3 OK",
            "ACCT 4417 2290 8815 OWES $42.50 BY 6/20 Q GA",
            "IT IS 5 TO 6 NOW",
            "\nUNIT 5 6\n7 8 9\n",
        ] {
            assert_eq!(auto(&keeps_shift(text)), text, "spandsp-like sender");
            assert_eq!(auto(&unshifts(text)), text, "TIA-825-A sender");
        }
    }

    /// TTY lines with numbers, written for this test and not tuned to
    /// the rule: phone and account numbers, amounts, dates, times, rooms,
    /// ages, abbreviations after numbers.
    const CONVERSATION: [&str; 32] = [
        "MY NBR IS 212 555 0143 GA",
        "CALL ME AT 555 0199 AFTER 2 PM",
        "MY ACCT NBR IS 4417 2290 8815 0032",
        "THE BILL WAS $42.50 ON 6/20 AND $17.99 ON 7/2",
        "I AM 82 YEARS OLD PLS SPEAK SLOW",
        "ROOM 1204 IS ON FLOOR 12 NEAR ELEVATOR B",
        "FLIGHT UA 1234 LEAVES AT 7 45 AM FROM GATE 22",
        "MY BDAY IS 3 15 1941",
        "ZIP CODE 10027 APT 4 B",
        "I NEED 2 TICKETS FOR 8 PM SHOW",
        "CAN U CALL BACK IN 10 MIN Q",
        "THE CODE IS 7 7 3 1 9",
        "I WILL BE THERE BY 5 OR 6 TONITE",
        "DR APPT IS MON 9 30 AM RM 210",
        "MY ORDER NBR IS 88214 07 SHIPPED 3 DAYS AGO",
        "PIN 4 DIGITS 1 2 3 4 NO JUST KIDDING",
        "PAID 300 DOLLARS 2 WEEKS AGO",
        "BUS 14 THEN BUS 2 TO MAIN ST",
        "HE IS 6 FT 2 IN TALL",
        "I HAVE 3 KIDS 12 9 AND 4",
        "IT COST 1,200 PLUS TAX",
        "OPEN 24 7 Q",
        "MEET AT 12:30 OR 1 PM OK",
        "CALL 911 IF U NEED HELP",
        "MY TTY NBR IS 800 555 0100 EXT 12",
        "TEMP WAS 98 6 THEN 101",
        "WAIT 5 MIN PLS",
        "SEE U AT 8 TMW",
        "I WAS BORN IN 1955 IN OHIO",
        "BOX 17 IS EMPTY",
        "TRAIN 2 TO NYC AT 6 PM GA",
        "ORDER 2 OF ITEM 55 RED AND 1 BLUE",
    ];

    /// Characters decoded wrong, each line a call of its own (so every
    /// line starts before the habit is known).
    fn errors(setting: UnshiftOnSpace, send: fn(&str) -> Vec<u8>) -> usize {
        CONVERSATION
            .iter()
            .map(|line| {
                let got = decode_with(setting, &send(line));
                assert_eq!(got.chars().count(), line.chars().count());
                got.chars()
                    .zip(line.chars())
                    .filter(|(a, b)| a != b)
                    .count()
            })
            .sum()
    }

    #[test]
    fn a_conversation_with_numbers_decodes_from_either_sender() {
        let total: usize = CONVERSATION.iter().map(|l| l.len()).sum();
        let auto = [
            errors(UnshiftOnSpace::Auto, keeps_shift),
            errors(UnshiftOnSpace::Auto, unshifts),
        ];
        // What a fixed rule costs the sender it does not fit, for scale.
        let on = errors(UnshiftOnSpace::On, keeps_shift);
        let off = errors(UnshiftOnSpace::Off, unshifts);
        eprintln!(
            "{total} characters; auto {auto:?}; on with spandsp-like {on}; off with TIA-like {off}"
        );
        assert_eq!(auto, [0, 0]);
        assert!(on > 0 && off > 0);
    }

    #[test]
    fn the_habit_is_learnt_from_a_shift_right_after_a_space_in_figures() {
        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
        let mut out = String::new();
        let feed = |d: &mut HabitDecoder, codes: &[u8], out: &mut String| {
            for &c in codes {
                d.push_code(c, out);
            }
        };
        // A space in letters teaches nothing.
        feed(&mut d, &keeps_shift("NBR 12"), &mut out);
        assert_eq!(d.unshifts_on_space(), None);
        // LTRS right after a space in figures: the shift persists.
        feed(&mut d, &[SPACE, LTRS, 0x14, 0x06], &mut out);
        assert_eq!(d.unshifts_on_space(), Some(false));
        // From now on a bare code after a space in figures is a figure,
        // even one whose letter is a word, and nothing is held.
        feed(&mut d, &[SPACE, FIGS, 0x13, SPACE, 0x06], &mut out);
        assert!(!d.is_holding());
        assert_eq!(out, "NBR 12 HI 2 8");

        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
        let mut out = String::new();
        feed(&mut d, &unshifts("UNIT 12 34 "), &mut out);
        assert_eq!(d.unshifts_on_space(), Some(true));
        // A bare 0x10 0x10 after a space in figures is now "TT".
        feed(&mut d, &[FIGS, 0x13, SPACE, 0x10, 0x10], &mut out);
        assert!(!d.is_holding());
        assert_eq!(out, "UNIT 12 34 2 TT");
    }

    #[test]
    fn a_sender_that_always_shifts_leaves_the_habit_open() {
        // Our own encoder sends both FIGS and LTRS after spaces.
        let (codes, _) = Encoder::new(Table::Us).encode("A 1 2 B 3 C");
        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
        let mut out = String::new();
        for c in codes {
            d.push_code(c, &mut out);
        }
        assert_eq!(out, "A 1 2 B 3 C");
        assert_eq!(d.unshifts_on_space(), None);
    }

    #[test]
    fn a_word_that_cannot_be_a_number_prints_without_waiting() {
        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
        let mut out = String::new();
        for c in unshifts("12 GA") {
            d.push_code(c, &mut out);
        }
        assert_eq!(out, "12 GA");
        assert!(!d.is_holding());
    }

    #[test]
    fn a_word_that_may_be_a_number_waits_for_its_end() {
        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
        let mut out = String::new();
        for c in keeps_shift("12 34") {
            d.push_code(c, &mut out);
        }
        assert_eq!(out, "12 ");
        assert!(d.is_holding());
        d.push_code(SPACE, &mut out);
        assert_eq!(out, "12 34 ");
        assert!(!d.is_holding());
    }

    #[test]
    fn flush_releases_a_held_word_and_the_rest_of_it_follows() {
        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
        let mut out = String::new();
        for c in keeps_shift("555 01") {
            d.push_code(c, &mut out);
        }
        d.flush(&mut out);
        assert_eq!(out, "555 01");
        // The typist goes on after a pause: same shift.
        d.push_code(0x18, &mut out);
        d.push_code(0x18, &mut out);
        assert_eq!(out, "555 0199");
        // Flushing with nothing held prints nothing more.
        d.flush(&mut out);
        assert_eq!(out, "555 0199");
    }

    #[test]
    fn words_that_read_both_ways_follow_the_rest_of_their_run() {
        // "8" is I, "59" is TO: undecided until a word that is clearly
        // one or the other.
        assert_eq!(auto(&unshifts("AT 5 I WILL")), "AT 5 I WILL");
        assert_eq!(auto(&keeps_shift("UNIT 12 8 34")), "UNIT 12 8 34");
        // A shift code after them: LTRS means the sender was in figures.
        assert_eq!(auto(&keeps_shift("BY 5 59PM")), "BY 5 59PM");
        assert_eq!(auto(&unshifts("BY 5 TO5")), "BY 5 TO5");
        // Nothing else to go on: letters, as standard TTYs send them...
        assert_eq!(auto(&unshifts("AT 5 I")), "AT 5 I");
        // ...unless the call has shown numbers after spaces.
        assert_eq!(auto(&keeps_shift("RM 12 555 8")), "RM 12 555 8");
    }

    #[test]
    fn line_breaks_end_a_held_word() {
        let codes = keeps_shift("BOX 12 34\nOK");
        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
        let mut out = String::new();
        for &c in &codes[..codes.len() - 3] {
            d.push_code(c, &mut out);
        }
        assert_eq!(out, "BOX 12 34\n");
        assert!(!d.is_holding());
    }

    #[test]
    fn an_endless_digit_string_is_printed_as_it_goes() {
        let mut codes = keeps_shift("12 ");
        codes.extend(std::iter::repeat_n(0x10, 200));
        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
        let mut out = String::new();
        for c in codes {
            d.push_code(c, &mut out);
        }
        assert!(out.len() >= 200 - MAX_HELD, "{} printed", out.len());
        d.flush(&mut out);
        assert_eq!(out, format!("12 {}", "5".repeat(200)));
    }

    #[test]
    fn reset_forgets_the_sender() {
        let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
        let mut out = String::new();
        for c in unshifts("1 2 ") {
            d.push_code(c, &mut out);
        }
        assert_eq!(d.unshifts_on_space(), Some(true));
        d.reset();
        assert_eq!(d.unshifts_on_space(), None);
        assert!(!d.is_holding());
        d.push_code(0x17, &mut out);
        assert_eq!(out, "1 2 Q");
    }

    #[test]
    fn blanks_and_high_bits_are_ignored_while_holding() {
        let codes = [FIGS, 0x17, SPACE, 0x01, NUL, 0xE0 | 0x0A, SPACE];
        assert_eq!(auto(&codes), "1 34 ");
    }

    #[test]
    fn ita2_figures_without_a_print_are_not_numbers() {
        // D is "$" in US figures and WRU in ITA2: "DO" after a space in
        // figures may be "$9" on a US line, never on an ITA2 one.
        assert_eq!(judge(Table::Us, &[0x09, 0x18]), None);
        assert_eq!(judge(Table::Us, &[0x09, 0x10]), Some(Shift::Figures));
        assert_eq!(judge(Table::Ita2, &[0x09, 0x10]), Some(Shift::Letters));
    }

    fn shape(s: &str) -> Shape {
        number_shape(s.chars().map(Some))
    }

    #[test]
    fn number_shapes() {
        for n in [
            "5", "34", "5551234", "555-1234", "88214-07", "12:30", "$5", "$42.50", "1,000", "6/20",
            "6/2093", "5.", "1234,", "12?",
        ] {
            assert_eq!(shape(n), Shape::Number, "{n}");
        }
        for p in ["$", "12:3", "1,00", "55-", "55-1", "12/"] {
            assert_eq!(shape(p), Shape::Partial, "{p}");
        }
        for no in [
            "-5", "2-85", "5-", "1,0000", "12:345", ".5", "5..", "5?1", "$$5", "5$", "?", "(555)",
            "5#", "5!",
        ] {
            assert_eq!(shape(no), Shape::NotNumber, "{no}");
        }
        assert_eq!(number_shape([Some('5'), None]), Shape::NotNumber);
    }

    #[test]
    fn every_lookalike_is_sorted_and_reads_as_a_number() {
        assert!(NUMBER_LOOKALIKES.windows(2).all(|w| w[0] < w[1]));
        for word in NUMBER_LOOKALIKES {
            let codes: Vec<u8> = word
                .bytes()
                .map(|b| LETTER_CODES[usize::from(b - b'A')])
                .collect();
            let figures: String = codes
                .iter()
                .filter_map(|&c| baudot::reading(Table::Us, Shift::Figures, c))
                .collect();
            assert_eq!(
                number_shape(figures.chars().map(Some)),
                Shape::Number,
                "{word} reads as {figures:?}, which is not a number"
            );
        }
    }

    fn typed_text() -> impl Strategy<Value = String> {
        let mut alphabet: Vec<char> = LETTERS.chars().collect();
        alphabet.extend(US_FIGURES.chars().filter(|&c| c != '*'));
        alphabet.extend([' ', ' ', ' ', '\n']);
        prop::collection::vec(prop::sample::select(alphabet), 0..120)
            .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn text_that_always_carries_its_shifts_round_trips(s in typed_text()) {
            let (codes, refused) = Encoder::new(Table::Us).encode(&s);
            prop_assert!(refused.is_empty());
            prop_assert_eq!(auto(&codes), s);
        }

        #[test]
        fn the_test_senders_read_right_with_their_own_rule(s in typed_text()) {
            prop_assert_eq!(decode_with(UnshiftOnSpace::Off, &keeps_shift(&s)), s.clone());
            prop_assert_eq!(decode_with(UnshiftOnSpace::On, &unshifts(&s)), s);
        }

        #[test]
        fn every_character_comes_out_once_whenever_the_line_pauses(
            s in typed_text(),
            keep in any::<bool>(),
            pauses in prop::collection::vec(0..150usize, 0..6),
        ) {
            let codes = if keep { keeps_shift(&s) } else { unshifts(&s) };
            let mut d = HabitDecoder::new(Table::Us, UnshiftOnSpace::Auto);
            let mut out = String::new();
            for (i, &c) in codes.iter().enumerate() {
                if pauses.contains(&i) {
                    d.flush(&mut out);
                }
                d.push_code(c, &mut out);
            }
            d.flush(&mut out);
            prop_assert!(!d.is_holding());
            prop_assert_eq!(out.chars().count(), s.chars().count());
        }
    }

    #[test]
    fn setting_parses_from_toml_and_displays() {
        #[derive(Deserialize)]
        struct Holder {
            unshift_on_space: UnshiftOnSpace,
        }
        let read = |v: &str| {
            toml::from_str::<Holder>(&format!("unshift_on_space = {v}")).map(|h| h.unshift_on_space)
        };
        assert_eq!(read("true").unwrap(), UnshiftOnSpace::On);
        assert_eq!(read("false").unwrap(), UnshiftOnSpace::Off);
        assert_eq!(read("\"auto\"").unwrap(), UnshiftOnSpace::Auto);
        assert_eq!(read("\"AUTO\"").unwrap(), UnshiftOnSpace::Auto);
        let err = read("\"sometimes\"").unwrap_err().to_string();
        assert!(err.contains("expected true, false or \"auto\""), "{err}");
        assert!(read("1").is_err());
        assert_eq!(UnshiftOnSpace::default(), UnshiftOnSpace::Auto);
        let shown: Vec<String> = [
            UnshiftOnSpace::Auto,
            UnshiftOnSpace::On,
            UnshiftOnSpace::Off,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(shown, ["auto", "on", "off"]);
    }
}
