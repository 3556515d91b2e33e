//! Voice profiles: which engine speaks, in which language, how fast and
//! with what pauses, read from TOML (`voices/*.toml`).
//!
//! Owns: parsing and validating profiles, the profiles built into the
//! binary, and resolving `--voice NAME` (a built-in name or a file).
//! Must not touch: synthesis itself; the only I/O here is [`load`]
//! reading the one file it is given.

use crate::toml_profile::{self, TomlProblem, Where};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The fields a profile may set, in the order the docs list them.
const FIELDS: [&str; 9] = [
    "name",
    "description",
    "engine",
    "language",
    "rate_wpm",
    "word_gap_ms",
    "phrase_pause_ms",
    "pitch",
    "volume",
];

/// Profiles compiled in, so the binary works with no files around.
const BUILTINS: [(&str, &str); 3] = [
    ("standard", include_str!("../../voices/standard.toml")),
    ("slow", include_str!("../../voices/slow.toml")),
    ("spanish", include_str!("../../voices/spanish.toml")),
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

/// Slowest and fastest speaking rates, in words per minute (libespeak-ng's
/// own limits).
pub const RATE_WPM: std::ops::RangeInclusive<u32> = 80..=450;
/// Allowed extra pause between words, in milliseconds.
pub const WORD_GAP_MS: std::ops::RangeInclusive<u32> = 0..=1000;
/// Allowed pause between phrases, in milliseconds.
pub const PHRASE_PAUSE_MS: std::ops::RangeInclusive<u32> = 0..=3000;
/// Allowed pitch: 50 is the voice's own.
pub const PITCH: std::ops::RangeInclusive<u8> = 0..=100;
/// Allowed volume in percent of the voice's own; 0 would be silence.
pub const VOLUME: std::ops::RangeInclusive<u16> = 10..=200;

/// Which synthesizer speaks a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EngineKind {
    /// The neural Piper voice (English); falls back to espeak-ng when it
    /// is not installed.
    Neural,
    /// libespeak-ng: every language it knows, always available.
    Espeak,
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Neural => "neural",
            EngineKind::Espeak => "espeak",
        })
    }
}

/// How a voice sounds: engine, language, rate, pauses, pitch, volume.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceProfile {
    /// Short name used to pick the profile, e.g. `standard`.
    pub name: String,
    /// One line for people choosing a profile.
    #[serde(default)]
    pub description: String,
    /// Which synthesizer speaks.
    pub engine: EngineKind,
    /// Language as libespeak-ng names it: `en-us`, `es`, `fr`...
    pub language: String,
    /// Speaking rate in words per minute (80 to 450; 175 is typical).
    pub rate_wpm: u32,
    /// Extra silence between words, in milliseconds.
    #[serde(default)]
    pub word_gap_ms: u32,
    /// Silence between phrases (after `.`, `?`, `!`, `;`, `:`), in
    /// milliseconds; half of it after a comma.
    #[serde(default = "default_phrase_pause_ms")]
    pub phrase_pause_ms: u32,
    /// Base pitch from 0 to 100; 50 is the voice's own (espeak-ng only).
    #[serde(default = "default_pitch")]
    pub pitch: u8,
    /// Loudness in percent of the voice's own, 10 to 200.
    #[serde(default = "default_volume")]
    pub volume: u16,
}

fn default_phrase_pause_ms() -> u32 {
    250
}

fn default_pitch() -> u8 {
    50
}

fn default_volume() -> u16 {
    100
}

impl Default for VoiceProfile {
    /// The `standard` profile.
    fn default() -> Self {
        VoiceProfile {
            name: "standard".to_owned(),
            description: "Best installed English voice at a normal pace (about 175 words a minute)"
                .to_owned(),
            engine: EngineKind::Neural,
            language: "en-us".to_owned(),
            rate_wpm: 175,
            word_gap_ms: 0,
            phrase_pause_ms: 250,
            pitch: 50,
            volume: 100,
        }
    }
}

impl VoiceProfile {
    /// Checks that the values describe a voice the engines can produce.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if self.name.trim().is_empty() {
            return Err(ProfileError::EmptyName);
        }
        let lang = &self.language;
        if lang.is_empty()
            || !lang
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ProfileError::BadLanguage {
                language: lang.clone(),
            });
        }
        if self.engine == EngineKind::Neural && !is_english(lang) {
            return Err(ProfileError::NeuralLanguage {
                language: lang.clone(),
            });
        }
        if !RATE_WPM.contains(&self.rate_wpm) {
            return Err(ProfileError::RateOutOfRange {
                rate_wpm: self.rate_wpm,
            });
        }
        if !WORD_GAP_MS.contains(&self.word_gap_ms) {
            return Err(ProfileError::WordGapOutOfRange {
                word_gap_ms: self.word_gap_ms,
            });
        }
        if !PHRASE_PAUSE_MS.contains(&self.phrase_pause_ms) {
            return Err(ProfileError::PhrasePauseOutOfRange {
                phrase_pause_ms: self.phrase_pause_ms,
            });
        }
        if !PITCH.contains(&self.pitch) {
            return Err(ProfileError::PitchOutOfRange { pitch: self.pitch });
        }
        if !VOLUME.contains(&self.volume) {
            return Err(ProfileError::VolumeOutOfRange {
                volume: self.volume,
            });
        }
        Ok(())
    }
}

/// Whether an espeak-ng language name is English (`en`, `en-us`, `en-gb`...).
fn is_english(language: &str) -> bool {
    let lower = language.to_ascii_lowercase();
    lower == "en" || lower.starts_with("en-") || lower.starts_with("en_")
}

/// Why a voice profile could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// No built-in profile has this name and it is not a `.toml` path.
    #[error("unknown voice '{name}': use standard, slow, spanish or a path to a .toml profile")]
    UnknownVoice {
        /// The name as given.
        name: String,
    },
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
        "unknown field '{field}'{}: expected one of name, description, engine, language, rate_wpm, word_gap_ms, phrase_pause_ms, pitch, volume",
        Where(.path.as_deref(), None)
    )]
    UnknownField {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// The field as written.
        field: String,
    },
    /// A field is missing or holds the wrong kind of value.
    #[error("invalid voice profile{}: {message}", Where(.path.as_deref(), *.line))]
    Invalid {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// 1-based line of the problem, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The profile's name is empty.
    #[error("voice profile name is empty: set name = \"...\"")]
    EmptyName,
    /// The language is not a name libespeak-ng could know.
    #[error("language '{language}' is not a voice name: use one like \"en-us\" or \"es\"")]
    BadLanguage {
        /// The language as given.
        language: String,
    },
    /// The neural engine was asked for a language it cannot speak.
    #[error(
        "the neural voice speaks English only, not '{language}': use engine = \"espeak\" for other languages"
    )]
    NeuralLanguage {
        /// The language as given.
        language: String,
    },
    /// The speaking rate is outside 80 to 450 words per minute.
    #[error("rate_wpm {rate_wpm} is out of range: use 80 to 450 words per minute")]
    RateOutOfRange {
        /// The rate as given.
        rate_wpm: u32,
    },
    /// The word gap is longer than a second.
    #[error("word_gap_ms {word_gap_ms} is out of range: use 0 to 1000 milliseconds")]
    WordGapOutOfRange {
        /// The gap as given.
        word_gap_ms: u32,
    },
    /// The phrase pause is longer than three seconds.
    #[error("phrase_pause_ms {phrase_pause_ms} is out of range: use 0 to 3000 milliseconds")]
    PhrasePauseOutOfRange {
        /// The pause as given.
        phrase_pause_ms: u32,
    },
    /// The pitch is above 100.
    #[error("pitch {pitch} is out of range: use 0 to 100 (50 is the voice's own)")]
    PitchOutOfRange {
        /// The pitch as given.
        pitch: u8,
    },
    /// The volume is below 10 % or above 200 %.
    #[error("volume {volume} is out of range: use 10 to 200 (percent; 100 is the voice's own)")]
    VolumeOutOfRange {
        /// The volume as given.
        volume: u16,
    },
    /// The profile file could not be read.
    #[error("cannot read voice profile {}: {source}", .path.display())]
    Io {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// Parses and validates a profile from TOML text.
pub fn from_toml(text: &str) -> Result<VoiceProfile, ProfileError> {
    let profile: VoiceProfile = toml_profile::parse(text, &FIELDS).map_err(|p| match p {
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
pub fn load(path: &Path) -> Result<VoiceProfile, ProfileError> {
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
pub fn builtin(name: &str) -> Option<VoiceProfile> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, text)| from_toml(text).ok())
}

/// Names of the built-in profiles, `standard` first.
pub fn builtin_names() -> &'static [&'static str] {
    &BUILTIN_NAMES
}

/// Resolves what a user typed after `--voice`: a built-in name, or a path
/// to a profile file (anything ending in `.toml` or containing a path
/// separator).
pub fn resolve(name_or_path: &str) -> Result<VoiceProfile, ProfileError> {
    if let Some(p) = builtin(name_or_path) {
        return Ok(p);
    }
    let looks_like_path = name_or_path.ends_with(".toml")
        || name_or_path.contains(std::path::MAIN_SEPARATOR)
        || name_or_path.contains('/');
    if looks_like_path {
        return load(Path::new(name_or_path));
    }
    Err(ProfileError::UnknownVoice {
        name: name_or_path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "test"
engine = "espeak"
language = "en-us"
rate_wpm = 175
"#;

    #[test]
    fn builtin_profiles_parse_and_carry_their_names() {
        assert_eq!(builtin_names(), ["standard", "slow", "spanish"]);
        for name in builtin_names() {
            let p = builtin(name).unwrap_or_else(|| panic!("{name} failed"));
            assert_eq!(p.name, *name);
            assert!(!p.description.is_empty());
        }
        assert!(builtin("no-such-voice").is_none());
    }

    #[test]
    fn builtin_profiles_have_the_documented_settings() {
        let standard = builtin("standard").unwrap();
        assert_eq!(standard, VoiceProfile::default());
        let slow = builtin("slow").unwrap();
        assert_eq!(slow.engine, EngineKind::Neural);
        assert!((125..=135).contains(&slow.rate_wpm), "{}", slow.rate_wpm);
        assert!(slow.word_gap_ms > standard.word_gap_ms);
        assert!(slow.phrase_pause_ms > standard.phrase_pause_ms);
        let spanish = builtin("spanish").unwrap();
        assert_eq!(
            (spanish.engine, spanish.language.as_str()),
            (EngineKind::Espeak, "es")
        );
    }

    #[test]
    fn every_file_in_voices_parses_and_is_built_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("voices");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let p = load(&path).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(path.file_stem().unwrap().to_str().unwrap(), p.name);
                assert!(builtin_names().contains(&p.name.as_str()));
                seen += 1;
            }
        }
        assert_eq!(seen, builtin_names().len());
    }

    #[test]
    fn optional_fields_take_their_defaults() {
        let p = from_toml(GOOD).unwrap();
        assert_eq!(
            (p.word_gap_ms, p.phrase_pause_ms, p.pitch, p.volume),
            (0, 250, 50, 100)
        );
    }

    #[test]
    fn out_of_range_values_are_refused_with_the_allowed_range() {
        let cases = [
            (
                "rate_wpm = 175",
                "rate_wpm = 79",
                "rate_wpm 79 is out of range: use 80 to 450 words per minute",
            ),
            (
                "rate_wpm = 175",
                "rate_wpm = 451",
                "rate_wpm 451 is out of range: use 80 to 450 words per minute",
            ),
            (
                "rate_wpm = 175",
                "rate_wpm = 175\npitch = 101",
                "pitch 101 is out of range: use 0 to 100 (50 is the voice's own)",
            ),
            (
                "rate_wpm = 175",
                "rate_wpm = 175\nvolume = 0",
                "volume 0 is out of range: use 10 to 200 (percent; 100 is the voice's own)",
            ),
            (
                "rate_wpm = 175",
                "rate_wpm = 175\nword_gap_ms = 1001",
                "word_gap_ms 1001 is out of range: use 0 to 1000 milliseconds",
            ),
            (
                "rate_wpm = 175",
                "rate_wpm = 175\nphrase_pause_ms = 3001",
                "phrase_pause_ms 3001 is out of range: use 0 to 3000 milliseconds",
            ),
        ];
        for (from, to, message) in cases {
            let err = from_toml(&GOOD.replace(from, to)).unwrap_err();
            assert_eq!(err.to_string(), message);
        }
        for ok in ["80", "450"] {
            assert!(from_toml(&GOOD.replace("175", ok)).is_ok());
        }
    }

    #[test]
    fn unknown_fields_engines_and_types_are_named() {
        let err = from_toml(&format!("{GOOD}speed = 3\n")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown field 'speed': expected one of name,")
        );
        let err = from_toml(&GOOD.replace("\"espeak\"", "\"festival\"")).unwrap_err();
        assert!(matches!(err, ProfileError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains("festival"), "{err}");
        let err = from_toml(&GOOD.replace("175", "\"fast\"")).unwrap_err();
        assert!(
            matches!(err, ProfileError::Invalid { line: Some(5), .. }),
            "{err:?}"
        );
        let err = from_toml("name = \"x\"\nengine = = 1\n").unwrap_err();
        assert!(
            err.to_string().starts_with("invalid TOML at line 2: "),
            "{err}"
        );
    }

    #[test]
    fn neural_engine_refuses_other_languages_and_bad_names_are_caught() {
        let err = from_toml(
            &GOOD
                .replace("\"espeak\"", "\"neural\"")
                .replace("en-us", "es"),
        )
        .unwrap_err();
        assert!(
            matches!(err, ProfileError::NeuralLanguage { .. }),
            "{err:?}"
        );
        for bad in ["", "en us", "en\\u0000"] {
            let err = from_toml(&GOOD.replace("en-us", bad)).unwrap_err();
            assert!(
                matches!(err, ProfileError::BadLanguage { .. }),
                "{bad}: {err:?}"
            );
        }
        let err = from_toml(&GOOD.replace("\"test\"", "\" \"")).unwrap_err();
        assert!(matches!(err, ProfileError::EmptyName));
    }

    #[test]
    fn resolve_takes_names_and_paths_and_names_unknown_voices() {
        assert_eq!(resolve("slow").unwrap().name, "slow");
        let err = resolve("robot").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown voice 'robot': use standard, slow, spanish or a path to a .toml profile"
        );
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("voices/spanish.toml");
        assert_eq!(resolve(path.to_str().unwrap()).unwrap().language, "es");
        let err = resolve("/no/such/voice.toml").unwrap_err();
        assert!(matches!(err, ProfileError::Io { .. }), "{err:?}");
    }
}
