//! `relaygate stt transcribe --stream` end to end at real-time pace, with
//! the real tiny.en model: text arrives while the speech plays. A live
//! decode runs at the lowest CPU priority (so a call's modem and speech
//! never wait for whisper), and the library tests in
//! `tests/stt_streaming.rs` decode at normal priority as fast as the
//! cores allow. Beside them this command would get next to no CPU, so it
//! has a test binary of its own: cargo runs test binaries one at a time.

mod common;

use std::fs;

use common::cli::sox;
use common::stt::{
    STREAM_VS_OFFLINE_MAX_WER, assert_only_adds, jfk_wav, joined, run_relaygate, stream_cli,
    telephone, temp_dir, wer,
};
use relaygate::audio::wav;

#[test]
fn stream_command_captions_telephone_speech_in_real_time() {
    let wav = telephone(&jfk_wav(), "stream-cli");
    let started = std::time::Instant::now();
    let commits = stream_cli(&wav, 1.0);
    let wall = started.elapsed().as_secs_f64();
    let offline = run_relaygate(&["stt", "transcribe", "--input", wav.to_str().expect("UTF-8")]);
    let reference = String::from_utf8_lossy(&offline.stdout).trim().to_string();
    let streamed = joined(&commits);
    let w = wer(&reference, &streamed);
    eprintln!(
        "cli: {} commits in {wall:.1} s, WER vs offline {:.1} %",
        commits.len(),
        100.0 * w
    );
    assert!(
        w <= STREAM_VS_OFFLINE_MAX_WER,
        "streamed '{streamed}' vs offline '{reference}'"
    );
    assert_only_adds(&commits, 11.0);
    // Real-time pace: the 11 s file takes about 11 s, and text arrives
    // while it plays, not all at the end.
    assert!(wall >= 10.9, "played in {wall:.1} s");
    let first = commits.first().expect("at least one commit");
    assert!(
        first.emitted < 6.0,
        "first words only at {:.1} s",
        first.emitted
    );
}

#[test]
fn stream_refuses_what_it_cannot_play_with_exit_2() {
    let dir = temp_dir("stream-bad");
    let wav44 = dir.join("44k.wav");
    let mut f = fs::File::create(&wav44).expect("create");
    wav::write_pcm16(&mut f, 44_100, &[0i16; 4410]).expect("write wav");
    let stereo = dir.join("stereo.wav");
    sox([
        "-n",
        "-r",
        "8000",
        "-b",
        "16",
        "-c",
        "2",
        stereo.to_str().expect("UTF-8"),
        "synth",
        "1",
        "sine",
        "440",
    ]);
    for (file, needle) in [(&wav44, "44100 Hz is not supported"), (&stereo, "mono")] {
        let out = run_relaygate(&[
            "stt",
            "transcribe",
            "--stream",
            "--input",
            file.to_str().expect("UTF-8"),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(out.stdout.is_empty());
    }
    let _ = fs::remove_dir_all(&dir);
}
