//! Real TTY peers for interop tests, run as subprocesses over temp files:
//!
//! - `minimodem` (apt package `minimodem`);
//! - `tests/peers/spandsp_v18.c`, a small driver over libspandsp's V.18
//!   modem (apt package `libspandsp-dev`), compiled on first use;
//! - `tests/peers/spandsp_dtmf.c`, the same over its DTMF generator and
//!   detector;
//! - the built `relaygate` binary, through its `tty decode|encode` contract.
//!
//! A missing tool fails the test with a message naming the package to
//! install; nothing here ever skips.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use relaygate::audio::wav::{read_all, write_pcm16};

use super::distance::edit_distance;

/// libspandsp's modems run at the telephone rate only.
pub const SPANDSP_RATE: u32 = 8000;

const MINIMODEM_HINT: &str = "is minimodem installed? (apt-get install minimodem)";
const SPANDSP_HINT: &str = "is libspandsp-dev installed? (apt-get install libspandsp-dev)";
const RELAYGATE_HINT: &str = "the relaygate binary itself failed";

/// Options for [`minimodem_tx`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinimodemTx {
    pub sample_rate: u32,
    pub baud: f64,
    pub stop_bits: f64,
    pub mark: f64,
    pub space: f64,
}

impl Default for MinimodemTx {
    /// A US TTY: 45.45 baud, 1.5 stop bits, mark 1400 Hz, space 1800 Hz.
    fn default() -> Self {
        Self {
            sample_rate: 8000,
            baud: 45.45,
            stop_bits: 1.5,
            mark: 1400.0,
            space: 1800.0,
        }
    }
}

/// The shared test conversation, exactly as stored.
///
/// It only uses characters both peers carry both ways: A-Z, 0-9, space,
/// LF and `- $ ' ! ( ) " / : ? , .`. And no space ever follows a figures
/// character: minimodem's transmitter assumes the receiver unshifts on
/// space and spandsp's assumes it does not, so such text would have no
/// single right decoding. Figures end at a line end or run into letters
/// ("14TH", "5:30PM"), as TTY users tend to type anyway.
pub fn dialogue() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dialogue.txt");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A TTY conversation in which numbers and words follow numbers after a
/// space, one turn a line: what [`dialogue`] avoids. spandsp sends no FIGS
/// after such a space and minimodem no LTRS (checked on the bits), so
/// each reads the other's "12 34" or "5 PM" wrong unless told. Each line
/// puts the first such space early, before the sender has shown its habit,
/// so that decoding a line on its own tests the guess and the whole text
/// tests what follows once the habit is learnt. Same characters as
/// [`dialogue`].
pub const NUMBERS_AFTER_SPACES: [&str; 9] = [
    "HI MY NBR IS 212 555 0143 GA",
    "IM IN RM 12 34 IS MY SONS ROOM Q GA",
    "I AM 82 YEARS OLD AND NEED A CAB AT 5 PM TO GATE B 22 GA",
    "CALL 555 0199 AFTER 2 PM OR 800 555 0100 EXT 5 GA",
    "MY FLIGHT IS UA 1234 AT 7 45 AM FROM GATE 9 OK Q GA",
    "IT WAS $42.50 ON 6/20 AT 12:30 PM ACCT 4417 2290 8815 GA",
    "PLS CALL BACK AT 5 TO 6 OR TEXT 555 1234 THX SK",
    "UNIT 5 2 IS OPEN 9 TO 5 GA",
    "SKSK",
];

/// [`NUMBERS_AFTER_SPACES`] as one text, a line each.
pub fn numbers_dialogue() -> String {
    let mut text = NUMBERS_AFTER_SPACES.join("\n");
    text.push('\n');
    text
}

/// Path to the compiled spandsp V.18 driver, building it when the source
/// is newer than the binary (or the binary is missing).
pub fn spandsp_peer() -> PathBuf {
    static PEER: OnceLock<PathBuf> = OnceLock::new();
    PEER.get_or_init(|| build_spandsp_peer("spandsp_v18"))
        .clone()
}

/// Path to the compiled spandsp DTMF driver (`tests/peers/spandsp_dtmf.c`).
pub fn spandsp_dtmf_peer() -> PathBuf {
    static PEER: OnceLock<PathBuf> = OnceLock::new();
    PEER.get_or_init(|| build_spandsp_peer("spandsp_dtmf"))
        .clone()
}

fn build_spandsp_peer(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join(format!("tests/peers/{name}.c"));
    let dir = root.join("target/peers");
    let bin = dir.join(name);
    if let (Some(built), Some(source)) = (mtime(&bin), mtime(&src))
        && built >= source
    {
        return bin;
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    // Other test binaries may build at the same time: each compiles to its
    // own name and renames, so nobody ever runs a half-written file.
    let tmp = dir.join(format!("{name}.{}.{}.tmp", std::process::id(), next_id()));
    let out = Command::new("cc")
        .args(["-O2", "-Wall", "-o"])
        .arg(&tmp)
        .arg(&src)
        .args(["-lspandsp", "-lm"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `cc`: {e} (apt-get install gcc)"));
    if !out.status.success() {
        let _ = fs::remove_file(&tmp);
        panic!(
            "compiling {} failed; {SPANDSP_HINT}\n{}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    fs::rename(&tmp, &bin).unwrap_or_else(|e| panic!("installing {}: {e}", bin.display()));
    bin
}

/// spandsp transmits `text` (V.18 Annex A) at 45.45 or 50 baud; 8 kHz
/// samples, from the first bit to the end of the last stop bit.
pub fn spandsp_tx(text: &str, baud50: bool) -> Vec<i16> {
    let raw = TempFile::new("tx.raw");
    run(
        Command::new(spandsp_peer())
            .args(["tx", spandsp_rate(baud50)])
            .arg(raw.path()),
        Some(text.as_bytes()),
        SPANDSP_HINT,
    );
    read_raw(raw.path())
}

/// What spandsp's receiver makes of 8 kHz `samples`.
pub fn spandsp_rx(samples: &[i16], baud50: bool) -> String {
    let raw = TempFile::new("rx.raw");
    write_raw(raw.path(), samples);
    let out = run(
        Command::new(spandsp_peer())
            .args(["rx", spandsp_rate(baud50)])
            .arg(raw.path()),
        None,
        SPANDSP_HINT,
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// How spandsp's DTMF generator sends digits.
#[derive(Debug, Clone, Copy)]
pub struct DtmfTx {
    /// The low tone's level, dBm0.
    pub level: i32,
    /// How far the high tone is above it, dB.
    pub twist: i32,
    /// Tone on, ms.
    pub on_ms: u32,
    /// Silence after each tone, ms.
    pub off_ms: u32,
}

impl Default for DtmfTx {
    /// spandsp's defaults: -10 dBm0, no twist, 50 ms on, 55 ms off.
    fn default() -> Self {
        DtmfTx {
            level: -10,
            twist: 0,
            on_ms: 50,
            off_ms: 55,
        }
    }
}

/// spandsp's DTMF generator sends `digits`; 8 kHz samples.
pub fn spandsp_dtmf_tx(digits: &str, opts: DtmfTx) -> Vec<i16> {
    let raw = TempFile::new("dtmf-tx.raw");
    run(
        Command::new(spandsp_dtmf_peer())
            .arg("tx")
            .arg(digits)
            .args([opts.level, opts.twist].map(|v| v.to_string()))
            .args([opts.on_ms, opts.off_ms].map(|v| v.to_string()))
            .arg(raw.path()),
        None,
        SPANDSP_HINT,
    );
    read_raw(raw.path())
}

/// The digits spandsp's DTMF detector hears in 8 kHz `samples`.
pub fn spandsp_dtmf_rx(samples: &[i16]) -> String {
    let raw = TempFile::new("dtmf-rx.raw");
    write_raw(raw.path(), samples);
    let out = run(
        Command::new(spandsp_dtmf_peer()).arg("rx").arg(raw.path()),
        None,
        SPANDSP_HINT,
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A spandsp peer's output: s16le samples.
fn read_raw(path: &Path) -> Vec<i16> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("reading spandsp output: {e}"));
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// A spandsp peer's input: s16le samples.
fn write_raw(path: &Path, samples: &[i16]) {
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    fs::write(path, bytes).unwrap_or_else(|e| panic!("writing spandsp input: {e}"));
}

fn spandsp_rate(baud50: bool) -> &'static str {
    if baud50 { "50" } else { "45" }
}

/// minimodem transmits `text` as Baudot; mono samples at `opts.sample_rate`.
pub fn minimodem_tx(text: &str, opts: &MinimodemTx) -> Vec<i16> {
    let wav = TempFile::new("tx.wav");
    run(
        Command::new("minimodem")
            .arg("--tx")
            .arg(opts.baud.to_string())
            .arg("--baudot")
            .arg("--stopbits")
            .arg(opts.stop_bits.to_string())
            .arg("-M")
            .arg(opts.mark.to_string())
            .arg("-S")
            .arg(opts.space.to_string())
            .arg("-R")
            .arg(opts.sample_rate.to_string())
            .arg("-f")
            .arg(wav.path()),
        Some(text.as_bytes()),
        MINIMODEM_HINT,
    );
    let (rate, samples) = read_wav(wav.path());
    assert_eq!(
        rate, opts.sample_rate,
        "minimodem wrote the wrong sample rate"
    );
    samples
}

/// What `minimodem --rx tdd` prints for `samples`; `stop_bits` overrides
/// the mode's own 2.0.
pub fn minimodem_rx(samples: &[i16], sample_rate: u32, stop_bits: Option<f64>) -> String {
    let wav = TempFile::new("rx.wav");
    write_wav(wav.path(), sample_rate, samples);
    let mut cmd = Command::new("minimodem");
    cmd.args(["--rx", "tdd", "-q"]);
    if let Some(s) = stop_bits {
        cmd.arg("--stopbits").arg(s.to_string());
    }
    let out = run(cmd.arg("-f").arg(wav.path()), None, MINIMODEM_HINT);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `relaygate tty decode --input FILE.wav EXTRA...`: its stdout.
pub fn relaygate_decode(samples: &[i16], sample_rate: u32, extra_args: &[&str]) -> String {
    let wav = TempFile::new("decode.wav");
    write_wav(wav.path(), sample_rate, samples);
    let out = run(
        Command::new(env!("CARGO_BIN_EXE_relaygate"))
            .args(["tty", "decode", "--input"])
            .arg(wav.path())
            .args(extra_args),
        None,
        RELAYGATE_HINT,
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `relaygate tty encode --output FILE.wav EXTRA...` with `text` on stdin:
/// the samples and sample rate it wrote.
pub fn relaygate_encode(text: &str, extra_args: &[&str]) -> (Vec<i16>, u32) {
    let wav = TempFile::new("encode.wav");
    run(
        Command::new(env!("CARGO_BIN_EXE_relaygate"))
            .args(["tty", "encode", "--output"])
            .arg(wav.path())
            .args(extra_args),
        Some(text.as_bytes()),
        RELAYGATE_HINT,
    );
    assert!(
        wav.path().exists(),
        "relaygate tty encode exited successfully but wrote no {}",
        wav.path().display()
    );
    let (rate, samples) = read_wav(wav.path());
    (samples, rate)
}

/// Levenshtein distance over chars divided by the expected length, after
/// unifying line endings and trimming the whole text: TTYs differ in CR/LF
/// habits and in idle characters at the ends, which no user would notice.
pub fn char_error_rate(expected: &str, got: &str) -> f64 {
    let expected: Vec<char> = normalise(expected).chars().collect();
    let got: Vec<char> = normalise(got).chars().collect();
    edit_distance(&expected, &got) as f64 / expected.len().max(1) as f64
}

fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_owned()
}

/// Fails unless `got` is `expected` up to [`char_error_rate`]'s
/// normalisation, showing both texts.
pub fn assert_same_text(what: &str, expected: &str, got: &str) {
    let cer = char_error_rate(expected, got);
    assert!(
        cer == 0.0,
        "{what}: character error rate {cer:.3}\n--- expected ---\n{expected}\n--- got ---\n{got}\n--- got (escaped) ---\n{got:?}\n"
    );
}

/// Reads a mono WAV file: its sample rate and samples.
pub fn read_wav(path: &Path) -> (u32, Vec<i16>) {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let (spec, samples) = read_all(std::io::BufReader::new(file))
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert_eq!(spec.channels, 1, "{} is not mono", path.display());
    (spec.sample_rate, samples)
}

/// Writes `samples` as a mono 16-bit PCM WAV file.
pub fn write_wav(path: &Path, sample_rate: u32, samples: &[i16]) {
    let file =
        fs::File::create(path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    let mut w = std::io::BufWriter::new(file);
    write_pcm16(&mut w, sample_rate, samples)
        .and_then(|()| w.flush())
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Runs `cmd` to completion, feeding `stdin`; panics with its stderr if it
/// cannot start or exits unsuccessfully.
pub fn run(cmd: &mut Command, stdin: Option<&[u8]>, hint: &str) -> Output {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}; {hint}"));
    // Feed stdin from another thread so a child that writes before it has
    // read everything cannot deadlock against us.
    let output = std::thread::scope(|scope| {
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            scope.spawn(move || {
                // A child may legitimately stop reading early; its exit
                // status is what we judge.
                let _ = pipe.write_all(data);
            });
        }
        child.wait_with_output()
    })
    .unwrap_or_else(|e| panic!("waiting for {shown}: {e}"));
    assert!(
        output.status.success(),
        "{shown} failed ({}); {hint}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A uniquely named file under the system temp dir, removed on drop (even
/// when the test panics).
struct TempFile(PathBuf);

impl TempFile {
    fn new(suffix: &str) -> Self {
        let name = format!(
            "relaygate-peers-{}-{}-{suffix}",
            std::process::id(),
            next_id()
        );
        Self(std::env::temp_dir().join(name))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn next_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}
