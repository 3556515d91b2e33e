//! Running the `relaygate` binary and the audio tools (`sox`, `espeak-ng`)
//! that make test inputs, in a scratch directory per test.
//!
//! Unlike `peers`, the relaygate runner here never judges the exit status:
//! the command contract (status, stdout, stderr) is what the caller tests.
//! A missing tool fails with a message naming the apt package.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

const SOX_HINT: &str = "is sox installed? (apt-get install sox)";
const ESPEAK_HINT: &str = "is espeak-ng installed? (apt-get install espeak-ng)";

/// `relaygate` with no arguments yet, stdin empty and `RELAYGATE_LOG`
/// unset, so the developer's environment cannot change what a test sees.
pub fn relaygate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relaygate"));
    cmd.env_remove("RELAYGATE_LOG");
    cmd
}

/// `text` spoken by relaygate's voice profile `voice` into the WAV file
/// `out` (`relaygate tts say`); panics with relaygate's stderr if it
/// fails. Test input, so unlike [`relaygate`] its status is judged here.
pub fn tts_say(voice: &str, text: &str, out: &Path) {
    let done = relaygate()
        .args(["tts", "say", "--voice", voice, "--output"])
        .arg(out)
        .arg(text)
        .stdin(Stdio::null())
        .output()
        .expect("relaygate runs");
    assert!(
        done.status.success(),
        "relaygate tts say: {}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// Runs `cmd` to completion with `stdin` and returns what it did, whatever
/// its exit status.
pub fn output(cmd: &mut Command, stdin: &[u8]) -> Output {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    // Feed stdin from another thread so a child that writes before it has
    // read everything cannot deadlock against us.
    std::thread::scope(|scope| {
        if let Some(mut pipe) = child.stdin.take() {
            scope.spawn(move || {
                // A child may stop reading early; its exit status says why.
                let _ = pipe.write_all(stdin);
            });
        }
        child.wait_with_output()
    })
    .unwrap_or_else(|e| panic!("waiting for {shown}: {e}"))
}

/// Runs `sox -R` with `args`; panics with its stderr if it fails.
///
/// `-R` seeds sox's dither with a fixed number: without it every run
/// converts the same file to slightly different samples, and a test that
/// fails once may pass on the rerun.
pub fn sox<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) {
    let mut all = vec![OsStr::new("-R").to_owned()];
    all.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
    tool("sox", all, SOX_HINT);
}

/// Runs `espeak-ng` with `args`; panics with its stderr if it fails.
pub fn espeak<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) {
    tool("espeak-ng", args, ESPEAK_HINT);
}

/// `sox INPUT OUT_OPTS... OUTPUT EFFECTS...`: converts a file.
pub fn sox_convert(input: &Path, out_opts: &[&str], output: &Path, effects: &[&str]) {
    let mut args: Vec<&OsStr> = vec![input.as_os_str()];
    args.extend(out_opts.iter().map(OsStr::new));
    args.push(output.as_os_str());
    args.extend(effects.iter().map(OsStr::new));
    sox(args);
}

fn tool<S: AsRef<OsStr>>(name: &str, args: impl IntoIterator<Item = S>, hint: &str) {
    let mut cmd = Command::new(name);
    cmd.args(args);
    super::peers::run(&mut cmd, None, hint);
}

/// A fresh directory under the system temp dir, removed with everything
/// in it on drop (even when the test panics).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "relaygate-cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(name);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        Self(dir)
    }

    /// A path for `name` inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
