//! Reading TOML profiles (devices, voices) with errors that say where.
//!
//! Parsing goes in two passes, so that a syntax error, a misspelt field
//! and a wrong value each get their own message with a line number,
//! rather than one opaque serde message. Each profile module maps
//! [`TomlProblem`] into its own error type and validates its values.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

/// What went wrong reading a profile's TOML, before its values are
/// checked.
#[derive(Debug)]
pub(crate) enum TomlProblem {
    /// Not valid TOML.
    Syntax {
        line: Option<usize>,
        message: String,
    },
    /// A field the profile does not have.
    UnknownField(String),
    /// A missing field or a value of the wrong type.
    Invalid {
        line: Option<usize>,
        message: String,
    },
}

/// Parses `text` as a `T` whose fields are `fields`.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, fields: &[&str]) -> Result<T, TomlProblem> {
    let table: toml::Table = toml::from_str(text).map_err(|e| TomlProblem::Syntax {
        line: line_of(text, &e),
        message: e.message().to_owned(),
    })?;
    if let Some(field) = table.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(TomlProblem::UnknownField(field.clone()));
    }
    toml::from_str(text).map_err(|e| TomlProblem::Invalid {
        line: line_of(text, &e),
        message: e.message().to_owned(),
    })
}

/// 1-based line of a byte offset reported by the TOML parser.
fn line_of(text: &str, error: &toml::de::Error) -> Option<usize> {
    let start = error.span()?.start;
    let before = text.get(..start)?;
    Some(before.matches('\n').count() + 1)
}

/// Renders " in FILE at line N" with the parts that are known.
pub(crate) struct Where<'a>(pub Option<&'a Path>, pub Option<usize>);

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = self.0 {
            write!(f, " in {}", path.display())?;
        }
        if let Some(line) = self.1 {
            write!(f, " at line {line}")?;
        }
        Ok(())
    }
}
