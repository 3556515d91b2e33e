//! Case numbers: what a caller quotes to follow up on a call.
//!
//! Ten digits: nine that name the case and a Damm check digit, which
//! catches every single wrong digit and every swap of two neighbouring
//! digits, the two mistakes people make most when they read a number
//! back or key it in. Owns making a case number from nine digits the
//! caller of [`CaseNumber::new`] chooses (random, or from a sequence: this
//! module never picks), checking one a caller typed or keyed, and the
//! forms it is given in: hyphen-grouped for a TTY, in spoken groups for
//! a voice caller. Sans-IO and pure. A case number is caller content: it
//! is never logged.

use std::fmt;

/// Damm's table: a quasigroup of order 10 with a zero diagonal (weakly
/// totally anti-symmetric), as published by H. Michael Damm (2004).
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Digits in a case number, the check digit included.
pub const DIGITS: usize = 10;
/// The largest number [`CaseNumber::new`] takes: nine digits.
pub const MAX_PAYLOAD: u32 = 999_999_999;

/// Damm's check digit of `digits` (each 0-9).
fn damm(digits: impl IntoIterator<Item = u8>) -> u8 {
    digits
        .into_iter()
        .fold(0, |interim, d| DAMM[usize::from(interim)][usize::from(d)])
}

/// A valid case number.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaseNumber([u8; DIGITS]);

// Debug would put a caller's number in a log line.
impl fmt::Debug for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CaseNumber(..)")
    }
}

/// Why what a caller gave is not a case number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaseNumberError {
    /// Not ten digits.
    #[error("a case number has 10 digits; this has {0}")]
    Length(usize),
    /// Something other than digits, spaces and hyphens.
    #[error("a case number is digits only")]
    NotDigits,
    /// The check digit does not match: a digit was misread or swapped.
    #[error("that case number does not check: a digit is wrong or two are swapped")]
    CheckDigit,
}

impl CaseNumber {
    /// The case number of `payload` (nine digits, with leading zeros), or
    /// `None` above [`MAX_PAYLOAD`].
    pub fn new(payload: u32) -> Option<CaseNumber> {
        (payload <= MAX_PAYLOAD).then(|| CaseNumber::from_seed(u64::from(payload)))
    }

    /// The case number a 64-bit random `seed` picks (the edge draws the
    /// seed; this module has no randomness of its own).
    pub fn from_seed(seed: u64) -> CaseNumber {
        let payload = (seed % (u64::from(MAX_PAYLOAD) + 1)) as u32;
        let mut digits = [0u8; DIGITS];
        let mut rest = payload;
        for d in digits[..DIGITS - 1].iter_mut().rev() {
            *d = (rest % 10) as u8;
            rest /= 10;
        }
        digits[DIGITS - 1] = damm(digits[..DIGITS - 1].iter().copied());
        CaseNumber(digits)
    }

    /// Reads a case number as a caller gives it: ten digits, with any
    /// spaces or hyphens between them.
    pub fn parse(text: &str) -> Result<CaseNumber, CaseNumberError> {
        let mut digits = Vec::with_capacity(DIGITS);
        for c in text.chars() {
            match c {
                '0'..='9' => digits.push(c as u8 - b'0'),
                ' ' | '-' => {}
                _ => return Err(CaseNumberError::NotDigits),
            }
        }
        let array: [u8; DIGITS] = digits
            .as_slice()
            .try_into()
            .map_err(|_| CaseNumberError::Length(digits.len()))?;
        // A valid number's digits, check digit included, fold to 0.
        if damm(array) != 0 {
            return Err(CaseNumberError::CheckDigit);
        }
        Ok(CaseNumber(array))
    }

    /// The ten digits, as a string ("0012345674").
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// For a TTY: hyphen-grouped 3-3-4 ("001-234-5674"), the way phone
    /// numbers are printed, so a reader can keep their place.
    pub fn tty_form(&self) -> String {
        let d = self.digits();
        format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..])
    }

    /// For speech: the same groups, digit by digit, a short pause after
    /// each digit and a longer one after each group ("0, 0, 1. 2, 3, 4.
    /// 5, 6, 7, 4."). The speech engines read digits apart one by one,
    /// pausing at each comma and full stop, so a listener can write
    /// them down.
    pub fn spoken_groups(&self) -> String {
        let d: Vec<String> = self.0.iter().map(|d| d.to_string()).collect();
        format!(
            "{}. {}. {}.",
            d[..3].join(", "),
            d[3..6].join(", "),
            d[6..].join(", ")
        )
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damms_published_example_checks() {
        // Damm's example: 572 has check digit 4.
        assert_eq!(damm([5, 7, 2]), 4);
        assert_eq!(damm([5, 7, 2, 4]), 0);
    }

    #[test]
    fn a_new_number_reads_back_and_keeps_its_leading_zeros() {
        for payload in [0, 1, 12_345_678, 572, MAX_PAYLOAD] {
            let n = CaseNumber::new(payload).expect("nine digits");
            assert_eq!(n.digits().len(), DIGITS);
            assert_eq!(n.digits()[..9].parse::<u32>().expect("digits"), payload);
            assert_eq!(CaseNumber::parse(&n.digits()), Ok(n));
            assert_eq!(CaseNumber::parse(&n.tty_form()), Ok(n));
        }
        assert_eq!(CaseNumber::new(MAX_PAYLOAD + 1), None);
    }

    #[test]
    fn every_wrong_digit_and_every_swap_of_neighbours_is_caught() {
        for payload in [0, 123_456_789, 987_654_321, 500_000_005] {
            let good = CaseNumber::new(payload).expect("nine digits").0;
            for i in 0..DIGITS {
                for wrong in 0..10u8 {
                    if wrong == good[i] {
                        continue;
                    }
                    let mut bad = good;
                    bad[i] = wrong;
                    assert_ne!(damm(bad), 0, "{payload}: digit {i} as {wrong}");
                }
                if i + 1 < DIGITS && good[i] != good[i + 1] {
                    let mut bad = good;
                    bad.swap(i, i + 1);
                    assert_ne!(damm(bad), 0, "{payload}: digits {i} and {} swapped", i + 1);
                }
            }
        }
    }

    #[test]
    fn what_a_caller_gives_is_checked_with_a_reason() {
        let n = CaseNumber::new(123_456_789).expect("nine digits");
        let d = n.digits();
        assert_eq!(
            CaseNumber::parse(&format!("{} {}", &d[..5], &d[5..])),
            Ok(n)
        );
        assert_eq!(CaseNumber::parse("12345"), Err(CaseNumberError::Length(5)));
        assert_eq!(
            CaseNumber::parse("123456789O"),
            Err(CaseNumberError::NotDigits)
        );
        let mut swapped: Vec<char> = d.chars().collect();
        swapped.swap(2, 3);
        let swapped: String = swapped.into_iter().collect();
        assert_eq!(
            CaseNumber::parse(&swapped),
            Err(CaseNumberError::CheckDigit)
        );
    }

    #[test]
    fn the_forms_for_a_tty_and_for_speech() {
        let n = CaseNumber::new(12_345_678).expect("nine digits");
        let d = n.digits();
        assert_eq!(
            n.tty_form(),
            format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..])
        );
        assert!(n.tty_form().starts_with("012-345-678"));
        assert!(n.spoken_groups().starts_with("0, 1, 2. 3, 4, 5. 6, 7, 8, "));
        assert_eq!(
            format!("{n:?}"),
            "CaseNumber(..)",
            "no digits in debug output"
        );
    }
}
