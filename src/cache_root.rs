//! Where relaygate keeps its downloads: models, voices, pip wheels.
//!
//! This module owns only the rule that picks the directory. It is pure:
//! the caller passes the environment values in, and nothing is created
//! or read here. Speech-to-text and speech output use the same rule, so
//! they always share one cache.

use std::ffi::OsString;
use std::path::PathBuf;

/// The cache root from the values of `RELAYGATE_CACHE`, `XDG_CACHE_HOME`
/// and `HOME`, in that order of preference: `RELAYGATE_CACHE` as is, else
/// `XDG_CACHE_HOME/relaygate`, else `HOME/.cache/relaygate`. Empty values
/// count as unset, and so does a relative `XDG_CACHE_HOME` (as the XDG
/// specification asks). `None` when none applies.
pub(crate) fn cache_root(
    relaygate_cache: Option<OsString>,
    xdg_cache_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let set = |v: Option<OsString>| v.filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(root) = set(relaygate_cache) {
        return Some(root);
    }
    if let Some(xdg) = set(xdg_cache_home).filter(|p| p.is_absolute()) {
        return Some(xdg.join("relaygate"));
    }
    set(home).map(|h| h.join(".cache").join("relaygate"))
}
