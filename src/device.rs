//! TTY hardware profiles: line speed, framing, character table and shift
//! habits of a kind of text telephone, read from TOML (`devices/*.toml`).
//!
//! Owns: parsing and validating profiles, and the profiles built into the
//! binary. Must not touch: modulation or text handling themselves; the
//! only I/O here is [`load`] reading the one file it is given.

use crate::toml_profile::{self, TomlProblem, Where};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::text::baudot::Table;
use crate::text::shift_habit::UnshiftOnSpace;

/// The fields a profile may set, in the order the docs list them.
const FIELDS: [&str; 7] = [
    "name",
    "description",
    "baud",
    "stop_bits",
    "table",
    "unshift_on_space",
    "line",
];

/// Profiles compiled in, so the binary works with no files around.
const BUILTINS: [(&str, &str); 4] = [
    ("us-generic", include_str!("../devices/us-generic.toml")),
    ("us-2stop", include_str!("../devices/us-2stop.toml")),
    ("eu-50", include_str!("../devices/eu-50.toml")),
    ("ascii-300", include_str!("../devices/ascii-300.toml")),
];

const BUILTIN_NAMES: [&str; BUILTINS.len()] = {
    let mut names = [""; BUILTINS.len()];
    let mut i = 0;
    while i < BUILTINS.len() {
        names[i] = BUILTINS[i].0;
        i += 1;
    }
    names
};

/// What a kind of TTY sends and expects on the line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    /// Short name used to pick the profile, e.g. `us-generic`.
    pub name: String,
    /// One line for people choosing a profile.
    #[serde(default)]
    pub description: String,
    /// Line speed in bits per second (45.45 in the US, 50 in Europe).
    pub baud: f64,
    /// Stop bits after each character: 1, 1.5 or 2.
    pub stop_bits: f64,
    /// Which figures table the machine prints with.
    pub table: Table,
    /// How a space it sends in figures is to be read: fixed (`true`:
    /// back to letters, `false`: still figures) or learnt from the call
    /// (`"auto"`, the default).
    #[serde(default)]
    pub unshift_on_space: UnshiftOnSpace,
    /// What travels on the line: 5-bit Baudot codes (tones on a phone
    /// line, one byte per code on a serial port) or ASCII characters.
    #[serde(default)]
    pub line: Line,
}

/// The character code a TTY speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Line {
    /// 5-bit Baudot (TIA-825-A, ITA2): the usual TTY.
    #[default]
    Baudot,
    /// 7-bit ASCII, 8 data bits, no parity (serial TTYs and terminals
    /// such as 300-baud direct-connect machines).
    Ascii,
}

impl DeviceProfile {
    /// Characters the device prints per second at full speed.
    pub fn chars_per_second(&self) -> f64 {
        match self.line {
            // Start bit, five data bits, stop bits.
            Line::Baudot => self.baud / (6.0 + self.stop_bits),
            // Start bit, eight data bits, stop bits.
            Line::Ascii => self.baud / (9.0 + self.stop_bits),
        }
    }
}

impl Default for DeviceProfile {
    /// The `us-generic` profile.
    fn default() -> Self {
        DeviceProfile {
            name: "us-generic".to_owned(),
            description: "Generic US Baudot TTY (TIA-825-A), 45.45 baud".to_owned(),
            baud: 45.45,
            stop_bits: 1.5,
            table: Table::Us,
            unshift_on_space: UnshiftOnSpace::Auto,
            line: Line::Baudot,
        }
    }
}

impl DeviceProfile {
    /// Checks that the values describe a Baudot TTY this gateway can serve.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if self.name.trim().is_empty() {
            return Err(ProfileError::EmptyName);
        }
        // Also refuses NaN, which TOML can spell.
        let baud_ok = match self.line {
            Line::Baudot => (40.0..=110.0).contains(&self.baud),
            Line::Ascii => [110.0, 300.0, 1200.0, 2400.0, 4800.0, 9600.0].contains(&self.baud),
        };
        if !baud_ok {
            return Err(ProfileError::BaudOutOfRange { baud: self.baud });
        }
        if ![1.0, 1.5, 2.0].contains(&self.stop_bits) {
            return Err(ProfileError::StopBits {
                stop_bits: self.stop_bits,
            });
        }
        Ok(())
    }
}

/// Why a device profile could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The text is not valid TOML.
    #[error("invalid TOML{}: {message}", Where(.path.as_deref(), *.line))]
    Syntax {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// 1-based line of the problem, when the parser knows it.
        line: Option<usize>,
        /// The parser's description of the problem.
        message: String,
    },
    /// The profile sets a field that profiles do not have.
    #[error(
        "unknown field '{field}'{}: expected one of name, description, baud, stop_bits, table, unshift_on_space",
        Where(.path.as_deref(), None)
    )]
    UnknownField {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// The field as written.
        field: String,
    },
    /// A field is missing or holds the wrong kind of value.
    #[error("invalid device profile{}: {message}", Where(.path.as_deref(), *.line))]
    Invalid {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// 1-based line of the problem, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The line speed is not one a Baudot TTY uses.
    #[error(
        "baud {baud} is out of range: Baudot TTYs run 42 to 50 baud (100 for some); \
         ASCII ones 110, 300, 1200, 2400, 4800 or 9600"
    )]
    BaudOutOfRange {
        /// The speed as given.
        baud: f64,
    },
    /// The stop bit count is not 1, 1.5 or 2.
    #[error("stop_bits {stop_bits} is not supported: use 1, 1.5 or 2")]
    StopBits {
        /// The count as given.
        stop_bits: f64,
    },
    /// The profile's name is empty.
    #[error("device profile name is empty: set name = \"...\"")]
    EmptyName,
    /// The profile file could not be read.
    #[error("cannot read device profile {}: {source}", .path.display())]
    Io {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// Parses and validates a profile from TOML text.
pub fn from_toml(text: &str) -> Result<DeviceProfile, ProfileError> {
    let profile: DeviceProfile = toml_profile::parse(text, &FIELDS).map_err(|p| match p {
        TomlProblem::Syntax { line, message } => ProfileError::Syntax {
            path: None,
            line,
            message,
        },
        TomlProblem::UnknownField(field) => ProfileError::UnknownField { path: None, field },
        TomlProblem::Invalid { line, message } => ProfileError::Invalid {
            path: None,
            line,
            message,
        },
    })?;
    profile.validate()?;
    Ok(profile)
}

/// Reads a profile file, then parses and validates it like [`from_toml`].
pub fn load(path: &Path) -> Result<DeviceProfile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
        path: path.to_owned(),
        source,
    })?;
    from_toml(&text).map_err(|mut e| {
        match &mut e {
            ProfileError::Syntax { path: p, .. }
            | ProfileError::UnknownField { path: p, .. }
            | ProfileError::Invalid { path: p, .. } => *p = Some(path.to_owned()),
            _ => {}
        }
        e
    })
}

/// The built-in profile called `name`, if there is one.
pub fn builtin(name: &str) -> Option<DeviceProfile> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, text)| from_toml(text).ok())
}

/// Names of the built-in profiles, `us-generic` first.
pub fn builtin_names() -> &'static [&'static str] {
    &BUILTIN_NAMES
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "test"
baud = 45.45
stop_bits = 1.5
table = "us"
"#;

    #[test]
    fn builtin_profiles_parse_validate_and_carry_their_names() {
        assert_eq!(
            builtin_names(),
            ["us-generic", "us-2stop", "eu-50", "ascii-300"]
        );
        for name in builtin_names() {
            let profile = builtin(name).unwrap_or_else(|| panic!("{name} failed"));
            assert_eq!(profile.name, *name);
            assert!(!profile.description.is_empty());
        }
        assert!(builtin("no-such-tty").is_none());
    }

    #[test]
    fn builtin_profiles_have_the_documented_settings() {
        let us = builtin("us-generic").unwrap();
        assert_eq!((us.baud, us.stop_bits, us.table), (45.45, 1.5, Table::Us));
        assert_eq!(us.unshift_on_space, UnshiftOnSpace::Auto);
        let eu = builtin("eu-50").unwrap();
        assert_eq!((eu.baud, eu.stop_bits, eu.table), (50.0, 1.5, Table::Ita2));
        assert_eq!(eu.unshift_on_space, UnshiftOnSpace::Auto);
        assert!(eu.description.contains("Europe"));
        let old = builtin("us-2stop").unwrap();
        assert_eq!(
            (old.baud, old.stop_bits, old.table),
            (45.45, 2.0, Table::Us)
        );
    }

    #[test]
    fn default_is_us_generic() {
        assert_eq!(DeviceProfile::default(), builtin("us-generic").unwrap());
    }

    #[test]
    fn every_file_in_devices_parses_and_is_built_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("devices");
        let mut seen = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let profile = load(&path).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    path.file_stem().unwrap().to_str().unwrap(),
                    profile.name,
                    "file name and profile name differ"
                );
                assert!(
                    builtin_names().contains(&profile.name.as_str()),
                    "{} is not registered in BUILTINS",
                    profile.name
                );
                seen.push(profile.name);
            }
        }
        assert_eq!(seen.len(), builtin_names().len());
    }

    #[test]
    fn optional_fields_take_their_defaults() {
        let p = from_toml(GOOD).unwrap();
        assert_eq!(p.description, "");
        assert_eq!(p.unshift_on_space, UnshiftOnSpace::Auto);
        for (value, setting) in [
            ("true", UnshiftOnSpace::On),
            ("false", UnshiftOnSpace::Off),
            ("\"auto\"", UnshiftOnSpace::Auto),
        ] {
            let p = from_toml(&format!("{GOOD}unshift_on_space = {value}\n")).unwrap();
            assert_eq!(p.unshift_on_space, setting, "{value}");
        }
    }

    #[test]
    fn integer_numbers_are_accepted() {
        let p = from_toml("name = \"x\"\nbaud = 50\nstop_bits = 2\ntable = \"ita2\"\n").unwrap();
        assert_eq!((p.baud, p.stop_bits), (50.0, 2.0));
    }

    #[test]
    fn syntax_error_reports_parser_message_line_and_file() {
        let bad = "name = \"x\"\nbaud = = 45\n";
        let err = from_toml(bad).unwrap_err();
        let ProfileError::Syntax { path, line, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!((path, line), (&None, &Some(2)));
        assert!(
            err.to_string().starts_with("invalid TOML at line 2: "),
            "{err}"
        );

        let dir = std::env::temp_dir().join(format!("relaygate-device-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("broken.toml");
        std::fs::write(&file, bad).unwrap();
        let err = load(&file).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(err, ProfileError::Syntax { path: Some(ref p), .. } if *p == file));
        assert!(err.to_string().contains("broken.toml at line 2"), "{err}");
    }

    #[test]
    fn unknown_field_is_named() {
        let err = from_toml(&format!("{GOOD}parity = \"even\"\n")).unwrap_err();
        assert!(
            matches!(&err, ProfileError::UnknownField { field, .. } if field == "parity"),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("unknown field 'parity': expected one of name,")
        );
    }

    #[test]
    fn missing_or_mistyped_fields_are_invalid() {
        let err = from_toml("name = \"x\"\nstop_bits = 1.5\ntable = \"us\"\n").unwrap_err();
        assert!(matches!(err, ProfileError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains("baud"), "{err}");

        let err = from_toml(&GOOD.replace("\"us\"", "\"fr\"")).unwrap_err();
        assert!(matches!(err, ProfileError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains("fr"), "{err}");

        let err = from_toml(&format!("{GOOD}unshift_on_space = \"yes\"\n")).unwrap_err();
        assert!(
            matches!(err, ProfileError::Invalid { line: Some(6), .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("expected true, false or \"auto\""),
            "{err}"
        );
    }

    #[test]
    fn baud_outside_40_to_110_is_refused() {
        let err = from_toml(&GOOD.replace("45.45", "30")).unwrap_err();
        assert!(matches!(err, ProfileError::BaudOutOfRange { baud } if baud == 30.0));
        assert_eq!(
            err.to_string(),
            "baud 30 is out of range: Baudot TTYs run 42 to 50 baud (100 for some); \
             ASCII ones 110, 300, 1200, 2400, 4800 or 9600"
        );
        let ascii = GOOD.replace("45.45", "45.45\nline = \"ascii\"");
        assert!(matches!(
            from_toml(&ascii),
            Err(ProfileError::BaudOutOfRange { .. })
        ));
        for bad in ["39.9", "110.5", "nan", "inf", "-50"] {
            let err = from_toml(&GOOD.replace("45.45", bad)).unwrap_err();
            assert!(matches!(err, ProfileError::BaudOutOfRange { .. }), "{bad}");
        }
        for ok in ["40", "100", "110"] {
            assert!(from_toml(&GOOD.replace("45.45", ok)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn stop_bits_must_be_1_1_5_or_2() {
        for ok in ["1", "1.5", "2", "2.0"] {
            assert!(from_toml(&GOOD.replace("1.5", ok)).is_ok(), "{ok}");
        }
        let err = from_toml(&GOOD.replace("1.5", "1.25")).unwrap_err();
        assert!(matches!(err, ProfileError::StopBits { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "stop_bits 1.25 is not supported: use 1, 1.5 or 2"
        );
    }

    #[test]
    fn empty_name_is_refused() {
        for name in ["\"\"", "\"   \""] {
            let err = from_toml(&GOOD.replace("\"test\"", name)).unwrap_err();
            assert!(matches!(err, ProfileError::EmptyName), "{err:?}");
        }
    }

    #[test]
    fn missing_file_names_the_path() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("devices/no-such-profile.toml");
        let err = load(&path).unwrap_err();
        assert!(matches!(err, ProfileError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("no-such-profile.toml"), "{err}");
    }
}
