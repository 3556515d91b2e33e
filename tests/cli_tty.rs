//! The command contract of `relaygate tty decode|encode`: which WAV files
//! decode, how unusable input is refused (one `relaygate: ` line on
//! stderr, exit status 2, nothing on stdout), how characters a table
//! cannot carry are reported, and that stdout holds only the text.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::cli::{TempDir, output, relaygate, sox_convert};
use common::peers::dialogue;
use common::peers::{read_wav, write_wav};
use relaygate::text::baudot::{Encoder, Table};

/// `relaygate tty encode --output PATH EXTRA...` with `text` on stdin.
fn encode(path: &Path, text: &str, extra: &[&str]) -> Output {
    output(
        relaygate()
            .args(["tty", "encode", "--output"])
            .arg(path)
            .args(extra),
        text.as_bytes(),
    )
}

/// `relaygate tty decode --input PATH EXTRA...`.
fn decode(path: &Path, extra: &[&str]) -> Output {
    output(
        relaygate()
            .args(["tty", "decode", "--input"])
            .arg(path)
            .args(extra),
        b"",
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fails unless the command succeeded; returns its stdout.
fn succeeded(what: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{what}: exit {}\n--- stderr ---\n{}",
        out.status,
        stderr(out)
    );
    String::from_utf8(out.stdout.clone()).unwrap_or_else(|e| panic!("{what}: stdout: {e}"))
}

/// Encodes `text` with `extra` arguments into `path`, failing on any
/// complaint: the files decode tests start from.
fn encode_ok(path: &Path, text: &str, extra: &[&str]) {
    let out = encode(path, text, extra);
    succeeded("tty encode", &out);
    assert!(
        out.stderr.is_empty(),
        "tty encode complained about sendable text:\n{}",
        stderr(&out)
    );
}

/// Unusable input: exit status 2, nothing on stdout, and exactly one line
/// on stderr, prefixed so scripts and users can tell who is speaking.
fn assert_refused(what: &str, out: &Output) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{what}: stderr:\n{err}");
    assert!(
        out.stdout.is_empty(),
        "{what}: stdout should be empty, got {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("relaygate: ") && err.ends_with('\n'),
        "{what}: want one line starting 'relaygate: ' on stderr, got:\n{err}"
    );
}

#[test]
fn unusable_wav_input_is_refused_with_one_line_and_status_2() {
    let dir = TempDir::new();
    let good = dir.join("good.wav");
    encode_ok(&good, "HELLO GA\n", &[]);

    let text = dir.join("notes.wav");
    fs::write(&text, "HELLO GA\nthis is a text file, not audio\n").unwrap();
    let stereo = dir.join("stereo.wav");
    sox_convert(&good, &["-c", "2"], &stereo, &[]);
    let unsigned8 = dir.join("u8.wav");
    sox_convert(
        &good,
        &["-e", "unsigned-integer", "-b", "8"],
        &unsigned8,
        &[],
    );
    let float = dir.join("float.wav");
    sox_convert(&good, &["-e", "floating-point", "-b", "32"], &float, &[]);
    let empty = dir.join("empty.wav");
    write_wav(&empty, 8000, &[]);
    let rate22050 = dir.join("22050.wav");
    sox_convert(&good, &[], &rate22050, &["rate", "22050"]);
    let missing = dir.join("no-such-file.wav");
    let truncated = dir.join("truncated.wav");
    // Cut inside the fmt chunk, well before any audio.
    fs::write(&truncated, &fs::read(&good).unwrap()[..30]).unwrap();

    for (what, path) in [
        ("a text file", &text),
        ("a stereo WAV", &stereo),
        ("an 8-bit unsigned PCM WAV", &unsigned8),
        ("a 32-bit float WAV", &float),
        ("a WAV with no samples", &empty),
        ("a 22050 Hz WAV", &rate22050),
        ("a missing file", &missing),
        ("a WAV cut off in its header", &truncated),
    ] {
        let out = decode(path, &[]);
        assert_refused(what, &out);
        // The message says which file was at fault.
        assert!(
            stderr(&out).contains(path.file_name().unwrap().to_str().unwrap()),
            "{what}: the message does not name the file: {}",
            stderr(&out)
        );
    }
}

#[test]
fn decode_reads_every_supported_rate_and_g711() {
    let dir = TempDir::new();
    let text = dialogue();
    let source = dir.join("dialogue.wav");
    encode_ok(&source, &text, &[]);
    assert_eq!(read_wav(&source).0, 8000);

    let mut files = vec![("16-bit PCM at 8000 Hz".to_owned(), source.clone())];
    for rate in ["16000", "44100", "48000"] {
        let path = dir.join(&format!("pcm{rate}.wav"));
        sox_convert(&source, &[], &path, &["rate", rate]);
        files.push((format!("16-bit PCM at {rate} Hz"), path));
    }
    for (law, name) in [("u-law", "mu-law"), ("a-law", "A-law")] {
        let path = dir.join(&format!("{law}.wav"));
        sox_convert(&source, &["-e", law], &path, &[]);
        files.push((format!("{name} at 8000 Hz"), path));
    }

    for (what, path) in &files {
        let got = succeeded(what, &decode(path, &[]));
        assert!(
            got == text,
            "{what}: decoded text differs\n--- expected ---\n{text}\n--- got ---\n{got}"
        );
    }
}

#[test]
fn encode_reports_unsendable_characters_and_sends_the_rest() {
    let dir = TempDir::new();
    let wav = dir.join("ita2.wav");
    let text = "PAY 5% NOW\nMAIL A@B.COM\n#1 FAN 2+2=4\n";
    let out = encode(&wav, text, &["--table", "ita2"]);
    succeeded("tty encode --table ita2", &out);

    // One line per refused character, in the order typed, naming it.
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "stderr:\n{err}");
    for (line, c) in lines.iter().zip(['%', '@', '#']) {
        assert!(
            line.starts_with("relaygate: ") && line.contains(c),
            "line {line:?} should report {c:?}"
        );
    }

    let got = succeeded(
        "tty decode --table ita2",
        &decode(&wav, &["--table", "ita2"]),
    );
    // Everything else arrives, and nothing stands in for what was refused.
    let expected: String = text.chars().filter(|c| !"%@#".contains(*c)).collect();
    assert_eq!(got, expected);
}

#[test]
fn fifty_baud_ita2_round_trip() {
    let dir = TempDir::new();
    let wav = dir.join("fifty.wav");
    let text = "GOOD MORNING 1+1=2 (OK)?\nCALL 030/1234-5 AT 9.30\n";
    encode_ok(&wav, text, &["--baud", "50", "--table", "ita2"]);

    // The line really runs at 50 baud: with the default 2 stop bits each
    // code takes 8 bits, plus lead-in and hold time at the ends.
    let (rate, samples) = read_wav(&wav);
    let (codes, refused) = Encoder::new(Table::Ita2).encode(text);
    assert!(refused.is_empty());
    let seconds = samples.len() as f64 / f64::from(rate);
    let chars = codes.len() as f64 * 8.0 / 50.0;
    assert!(
        (chars..chars + 1.0).contains(&seconds),
        "{} codes at 50 baud should take {chars:.2} s plus lead-in, took {seconds:.2} s",
        codes.len()
    );

    for extra in [
        &["--table", "ita2"][..],
        &["--table", "ita2", "--baud", "50"],
    ] {
        let got = succeeded("tty decode", &decode(&wav, extra));
        assert_eq!(got, text, "decoding with {extra:?}");
    }
}

#[test]
fn sixteen_kilohertz_round_trip() {
    let dir = TempDir::new();
    let wav = dir.join("16k.wav");
    let text = dialogue();
    encode_ok(&wav, &text, &["--sample-rate", "16000"]);
    assert_eq!(read_wav(&wav).0, 16000, "the WAV header's sample rate");
    let got = succeeded("tty decode", &decode(&wav, &[]));
    assert_eq!(got, text);
}

#[test]
fn invalid_encode_options_are_refused_with_status_2() {
    let dir = TempDir::new();
    for (option, value) in [("--baud", "12"), ("--sample-rate", "1234")] {
        let wav = dir.join("never.wav");
        let out = encode(&wav, "HELLO\n", &[option, value]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{option} {value}: {err}");
        assert!(out.stdout.is_empty(), "{option} {value}: stdout not empty");
        assert!(err.contains(value), "{option} {value}: {err}");
        assert!(!wav.exists(), "{option} {value}: a WAV was written anyway");
    }
}

#[test]
fn decode_stdout_is_only_the_text_even_with_logging_on() {
    let dir = TempDir::new();
    let wav = dir.join("dialogue.wav");
    let text = dialogue();
    encode_ok(&wav, &text, &[]);
    for level in ["info", "debug", "trace"] {
        let out = output(
            relaygate()
                .env("RELAYGATE_LOG", level)
                .args(["tty", "decode", "--input"])
                .arg(&wav),
            b"",
        );
        let got = succeeded("tty decode", &out);
        assert_eq!(got, text, "stdout with RELAYGATE_LOG={level}");
        // Logging really was on: it went to stderr instead.
        assert!(
            !out.stderr.is_empty(),
            "RELAYGATE_LOG={level} produced no log lines at all"
        );
    }
}

#[test]
fn a_phone_recording_that_cannot_be_written_is_refused_before_dialling() {
    let dir = TempDir::new();
    let nowhere = dir.join("no-such-dir").join("heard.wav");
    let nowhere = nowhere.to_str().expect("UTF-8 path");
    // Port 9 (discard) on loopback answers nothing: a phone that dialled
    // would wait for an answer instead of failing at once.
    let tty = output(
        relaygate().args([
            "phone",
            "tty",
            "--call",
            "sip:relay@127.0.0.1:9",
            "--listen",
            "127.0.0.1:0",
            "--record",
            nowhere,
        ]),
        b"",
    );
    assert_refused("phone tty --record", &tty);
    assert!(stderr(&tty).contains(nowhere), "{}", stderr(&tty));
    let say = dir.join("say.wav");
    encode_ok(&say, "GA\n", &[]);
    let agent = output(
        relaygate()
            .args(["phone", "agent", "--listen", "127.0.0.1:0", "--say"])
            .arg(&say)
            .args(["--record", nowhere]),
        b"",
    );
    assert_refused("phone agent --record", &agent);
    assert!(stderr(&agent).contains(nowhere), "{}", stderr(&agent));
}
