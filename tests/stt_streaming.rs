//! Live captions, with the real tiny.en model and real speech (jfk.wav,
//! clean and over a telephone line): the streamed commits say what the
//! offline transcript says, nothing is taken back, and silence and music
//! give no text. The library runs are on a virtual clock (each decode
//! finishes at once), so they are repeatable; the command at real-time
//! pace is in `tests/stt_stream_cli.rs`.

mod common;

use std::fs;
use std::path::Path;

use common::cli::sox;
use common::stt::{
    Commit, JFK_TEXT, STREAM_VS_OFFLINE_MAX_WER, assert_only_adds, jfk_wav, joined, model,
    stream_cli, stream_on_virtual_clock, telephone, temp_dir, wer,
};
use relaygate::audio::wav;
use relaygate::stt::Segment;
use relaygate::stt::decoder_thread::{DecoderThread, Hypothesis};
use relaygate::stt::streaming::{DecodeJob, MAX_AUDIO_CTX, StreamConfig, audio_ctx_for};
use relaygate::stt::thread_choice::ThreadSetting;
use relaygate::stt::whisper::{Request, WhisperEngine, WhisperOptions};
use relaygate::stt::{SpeechToText, join_text, resample};

fn read_pcm(path: &Path) -> (u32, Vec<i16>) {
    let file = fs::File::open(path).expect("open wav");
    let (spec, samples) = wav::read_all(std::io::BufReader::new(file)).expect("read wav");
    (spec.sample_rate, samples)
}

fn engine() -> WhisperEngine {
    let options = WhisperOptions {
        threads: 2,
        ..WhisperOptions::default()
    };
    WhisperEngine::load(&model("tiny.en"), options).expect("tiny.en loads")
}

fn offline(engine: &mut WhisperEngine, rate: u32, samples: &[i16]) -> String {
    let audio = resample::to_model_rate(&resample::pcm16_to_f32(samples), rate).expect("resample");
    join_text(&engine.transcribe(&audio).expect("transcribe"))
}

/// Plays `samples` through the streaming transcriber on the virtual
/// clock, each decode answered at once (see [`stream_on_virtual_clock`]).
fn stream_virtual(
    rate: u32,
    samples: &[i16],
    decode: impl FnMut(&DecodeJob) -> Vec<Segment>,
    jobs: &mut Vec<DecodeJob>,
) -> Vec<Commit> {
    stream_on_virtual_clock(rate, samples, decode, |_| 0.0, jobs)
}

fn check_against_offline(wav: &Path, label: &str) {
    let (rate, samples) = read_pcm(wav);
    check_samples_against_offline(rate, &samples, label, STREAM_VS_OFFLINE_MAX_WER);
}

fn check_samples_against_offline(rate: u32, samples: &[i16], label: &str, max_wer: f64) {
    let mut engine = engine();
    let reference = offline(&mut engine, rate, samples);
    let mut jobs = Vec::new();
    let commits = stream_virtual(
        rate,
        samples,
        |job| {
            let request = Request {
                audio_ctx: Some(job.audio_ctx),
                ..Request::default()
            };
            engine
                .transcribe_live(&job.audio, &request)
                .expect("decode")
        },
        &mut jobs,
    );
    let streamed = joined(&commits);
    let w = wer(&reference, &streamed);
    eprintln!(
        "{label}: {} commits, {} decodes, WER vs offline {:.1} %, vs JFK {:.1} %",
        commits.len(),
        jobs.len(),
        100.0 * w,
        100.0 * wer(JFK_TEXT, &streamed)
    );
    assert!(
        w <= max_wer,
        "{label}: streamed '{streamed}' vs offline '{reference}': WER {w:.3}"
    );
    assert!(
        commits.len() >= 3,
        "{label}: words arrive in several commits"
    );
    assert_only_adds(&commits, samples.len() as f64 / f64::from(rate));
}

#[test]
fn streamed_commits_match_the_offline_transcript_of_clean_speech() {
    check_against_offline(&jfk_wav(), "clean");
}

#[test]
fn streamed_commits_match_the_offline_transcript_over_a_telephone_line() {
    check_against_offline(&telephone(&jfk_wav(), "stream-tel"), "telephone");
}

/// VoIP pauses without comfort noise are exact zeros. The speech after
/// them must be heard as well as any other: three copies of the
/// telephone recording, 1.5 s of digital silence after each, streamed,
/// differ from the offline transcript by at most 2 of 66 words.
#[test]
fn speech_after_digital_silence_is_heard_as_well_as_the_rest() {
    let (rate, once) = read_pcm(&telephone(&jfk_wav(), "stream-zeros"));
    let mut samples = Vec::new();
    for _ in 0..3 {
        samples.extend_from_slice(&once);
        samples.extend(std::iter::repeat_n(0i16, rate as usize * 3 / 2));
    }
    check_samples_against_offline(rate, &samples, "digital silence", 2.0 / 66.0 + 1e-9);
}

#[test]
fn decodes_come_at_the_decode_interval_with_the_window_sized_to_the_audio() {
    let interval = StreamConfig::default().decode_interval;
    let (rate, samples) = read_pcm(&telephone(&jfk_wav(), "stream-sched"));
    let mut jobs = Vec::new();
    // A stand-in engine: one word per half second of audio.
    let commits = stream_virtual(
        rate,
        &samples,
        |job| {
            let n = (job.audio.len() / 8000) as u32;
            (1..=n)
                .map(|i| Segment {
                    text: format!(" w{i}"),
                    start: 0.0,
                    end: f64::from(i) * 0.5,
                })
                .collect()
        },
        &mut jobs,
    );
    assert!(!jobs.is_empty());
    for job in &jobs {
        let seconds = job.audio.len() as f64 / 16000.0;
        assert_eq!(job.audio_ctx, audio_ctx_for(seconds, 128));
        assert!(job.audio_ctx <= MAX_AUDIO_CTX);
    }
    // Between the partial decodes of one window, one interval of new
    // audio (more across a pause inside the window), never less.
    let mut gaps = Vec::new();
    for pair in jobs.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.start == b.start && !a.is_final && !b.is_final {
            let gap = (b.audio.len() as f64 - a.audio.len() as f64) / 16000.0;
            assert!(
                (interval - 0.03..3.0).contains(&gap),
                "decodes {gap:.2} s apart"
            );
            gaps.push(gap);
        }
    }
    gaps.sort_by(f64::total_cmp);
    let median = gaps[gaps.len() / 2];
    assert!((median - interval).abs() < 0.03, "median gap {median:.2} s");
    // 11 s of speech: roughly one decode per interval, not one per frame.
    assert!(
        (8..=24).contains(&jobs.len()),
        "{} decodes for 11 s of speech",
        jobs.len()
    );
    let text = joined(&commits);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut sorted = words.clone();
    sorted.dedup();
    assert_eq!(words, sorted, "no word is committed twice");
    assert_only_adds(&commits, samples.len() as f64 / f64::from(rate));
}

/// The stand-in engine's words: `w{k}` ends at `k / 2` seconds into the
/// stream, one every half second of a job's audio.
/// A decode job for the first `seconds` of `audio` (16 kHz).
fn job_for(id: u64, audio: &[f32], seconds: f64) -> DecodeJob {
    let n = ((seconds * 16_000.0) as usize).min(audio.len());
    DecodeJob {
        id,
        audio: audio[..n].to_vec(),
        audio_ctx: audio_ctx_for(seconds, 128),
        start: 0.0,
        gap: None,
        is_final: false,
        prompt: None,
    }
}

/// The edge that runs whisper for a live stream answers every job, in
/// order, with the words of that job's audio, whatever thread count it
/// picks for each decode. When its sink refuses a result it stops, and a
/// job sent after that is refused with an error rather than dropped.
#[test]
fn the_decoder_thread_answers_jobs_in_order_and_refuses_work_once_stopped() {
    let (rate, samples) = read_pcm(&jfk_wav());
    let audio = resample::to_model_rate(&resample::pcm16_to_f32(&samples), rate).expect("resample");
    let seconds = audio.len() as f64 / 16_000.0;

    let (tx, rx) = std::sync::mpsc::channel::<Hypothesis>();
    let decoder = DecoderThread::spawn(engine(), ThreadSetting::Auto { max: 2 }, move |h| {
        tx.send(h).is_ok()
    })
    .expect("thread starts");
    for (id, secs) in [(1, 2.0), (2, 5.0), (3, seconds)] {
        decoder.send(job_for(id, &audio, secs)).expect("queued");
    }
    let answers: Vec<Hypothesis> = (0..3).map(|_| rx.recv().expect("an answer")).collect();
    assert_eq!(answers.iter().map(|h| h.job).collect::<Vec<_>>(), [1, 2, 3]);
    let words = |h: &Hypothesis| join_text(h.result.as_ref().expect("decoded"));
    let short = words(&answers[0]);
    assert!(
        short.split_whitespace().count() <= 5,
        "2 s of speech gave '{short}'"
    );
    let whole = words(&answers[2]);
    let w = wer(JFK_TEXT, &whole);
    assert!(w <= 0.1, "the whole clip read as '{whole}' (WER {w:.2})");
    drop(decoder);

    // A sink that takes one answer and then refuses.
    let (tx, rx) = std::sync::mpsc::channel::<Hypothesis>();
    let mut taken = 0;
    let decoder = DecoderThread::spawn(engine(), ThreadSetting::Fixed(1), move |h| {
        taken += 1;
        let _ = tx.send(h);
        taken < 1
    })
    .expect("thread starts");
    decoder.send(job_for(1, &audio, 2.0)).expect("queued");
    assert_eq!(rx.recv().expect("the first answer").job, 1);
    assert!(rx.recv().is_err(), "the thread has stopped");
    assert!(
        decoder.send(job_for(2, &audio, 2.0)).is_err(),
        "a job after the stop is refused"
    );
}

fn half_second_words(job: &DecodeJob) -> Vec<Segment> {
    let end = job.start + job.audio.len() as f64 / 16000.0;
    let first = (job.start * 2.0).floor() as u32 + 1;
    let last = (end * 2.0).floor() as u32;
    (first..=last)
        .map(|k| Segment {
            text: format!(" w{k}"),
            start: 0.0,
            end: f64::from(k) * 0.5 - job.start,
        })
        .collect()
}

#[test]
fn speech_a_flush_skipped_is_decoded_again_not_lost() {
    let (rate, samples) = read_pcm(&telephone(&jfk_wav(), "stream-skip"));
    let mut jobs = Vec::new();
    let mut skipped = 0;
    // The stand-in engine ends its first flush 2.5 s early and stretches
    // the last word it writes over the rest, as whisper sometimes does.
    let commits = stream_virtual(
        rate,
        &samples,
        |job| {
            let mut words = half_second_words(job);
            if job.is_final && skipped == 0 {
                skipped += 1;
                let seconds = job.audio.len() as f64 / 16000.0;
                words.retain(|w| w.end <= seconds - 2.5);
                if let Some(last) = words.last_mut() {
                    last.end = seconds;
                }
            }
            words
        },
        &mut jobs,
    );
    assert_eq!(skipped, 1);
    let flushes = jobs.iter().filter(|j| j.is_final).count();
    assert!(flushes >= 2, "no second flush of the skipped end: {jobs:?}");
    // Every word the audio holds, once each, in order.
    let audio_end = jobs
        .iter()
        .map(|j| j.start + j.audio.len() as f64 / 16000.0);
    let last = (audio_end.fold(0.0, f64::max) * 2.0).floor() as u32;
    let first = joined(&commits)
        .split_whitespace()
        .next()
        .and_then(|w| w[1..].parse::<u32>().ok())
        .expect("words");
    let expected: Vec<String> = (first..=last).map(|k| format!("w{k}")).collect();
    assert_eq!(joined(&commits), expected.join(" "));
    assert_only_adds(&commits, samples.len() as f64 / f64::from(rate));
}

/// The stand-in engine's words for a job whose audio may leave out part
/// of a pause: `w{k}` for every half second `k / 2` of stream time the
/// job's audio holds, timed in the job's audio.
fn half_second_words_across_gaps(job: &DecodeJob) -> Vec<Segment> {
    let seconds = job.audio.len() as f64 / 16000.0;
    let (at, left_out) = job.gap.unwrap_or((seconds, 0.0));
    let to_stream = |t: f64| job.start + t + if t >= at { left_out } else { 0.0 };
    let from = (job.start * 2.0).floor() as u32 + 1;
    let last = (to_stream(seconds) * 2.0 + 1e-6).floor() as u32;
    (from..=last)
        .filter_map(|k| {
            let stream_t = f64::from(k) * 0.5;
            // In the job's audio: before the gap, or after it.
            let t = if stream_t - job.start <= at {
                stream_t - job.start
            } else if stream_t - job.start - left_out >= at {
                stream_t - job.start - left_out
            } else {
                return None;
            };
            Some(Segment {
                text: format!(" w{k}"),
                start: 0.0,
                end: t,
            })
        })
        .collect()
}

/// A new window after a long pause starts with committed speech as
/// context, but holds only a short stretch of the pause: the stream
/// time of every word is mapped back across the part left out, and
/// every word is committed once, in order, none skipped, with
/// `audio_end` where it was said.
#[test]
fn a_window_after_a_long_pause_leaves_out_most_of_it_and_loses_no_word() {
    let (rate, once) = read_pcm(&telephone(&jfk_wav(), "stream-gap"));
    let mut samples = once.clone();
    samples.extend(std::iter::repeat_n(0i16, rate as usize * 3));
    samples.extend_from_slice(&once);
    let mut jobs = Vec::new();
    let commits = stream_virtual(rate, &samples, half_second_words_across_gaps, &mut jobs);
    let gapped: Vec<&DecodeJob> = jobs.iter().filter(|j| j.gap.is_some()).collect();
    assert!(!gapped.is_empty(), "no window left out part of the pause");
    for job in &gapped {
        let (at, left_out) = job.gap.expect("a gap");
        assert!(
            left_out > 1.5,
            "only {left_out:.2} s of a 3 s pause left out"
        );
        assert!(
            at > 0.5,
            "the window has no context before the gap: {at:.2} s"
        );
    }
    // Every half second a job's audio held, once each, in order.
    let mut expected: Vec<u32> = jobs
        .iter()
        .flat_map(|j| {
            half_second_words_across_gaps(j)
                .into_iter()
                .filter_map(|s| s.text.trim()[1..].parse::<u32>().ok())
        })
        .collect();
    expected.sort_unstable();
    expected.dedup();
    let expected: Vec<String> = expected.iter().map(|k| format!("w{k}")).collect();
    assert_eq!(joined(&commits), expected.join(" "));
    for c in &commits {
        let last: f64 = c
            .text
            .split_whitespace()
            .last()
            .and_then(|w| w[1..].parse::<f64>().ok())
            .expect("a word")
            * 0.5;
        assert!(
            (c.audio_end - last).abs() < 0.02,
            "{c:?} ends at {last} in the stream"
        );
    }
    assert_only_adds(&commits, samples.len() as f64 / f64::from(rate));
}

#[test]
fn silence_and_music_give_no_text() {
    let dir = temp_dir("stream-nonspeech");
    let silence = dir.join("silence.wav");
    sox([
        "-n",
        "-r",
        "8000",
        "-b",
        "16",
        "-c",
        "1",
        silence.to_str().expect("UTF-8"),
        "synth",
        "10",
        "sine",
        "440",
        "vol",
        "0",
    ]);
    // Hold music: four sine chords, 2.5 s each.
    let chords = dir.join("chords.wav");
    let chord = |notes: [&'static str; 3]| {
        [
            "synth", "2.5", "sine", notes[0], "sine", notes[1], "sine", notes[2],
        ]
    };
    let mut args: Vec<&str> = vec!["-n", "-r", "8000", "-b", "16", "-c", "1"];
    let chords_path = chords.to_str().expect("UTF-8").to_string();
    args.push(&chords_path);
    for (i, notes) in [
        ["261.6", "329.6", "392"],
        ["293.7", "370", "440"],
        ["220", "277.2", "329.6"],
        ["196", "246.9", "293.7"],
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            args.push(":");
        }
        args.extend(chord(notes));
    }
    args.extend(["remix", "-", "vol", "0.5"]);
    sox(&args);
    // A plucked melody, which the voice detector does take for voice in
    // places: whisper's tags for it ("[MUSIC]") must not reach the user.
    let melody = dir.join("melody.wav");
    let melody_path = melody.to_str().expect("UTF-8").to_string();
    let mut args: Vec<&str> = vec!["-n", "-r", "8000", "-b", "16", "-c", "1", &melody_path];
    for (i, note) in ["C4", "E4", "G4", "A4", "F4", "C4", "E4", "G4", "A4", "F4"]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            args.push(":");
        }
        args.extend(["synth", "1", "pluck", note]);
    }
    args.extend(["remix", "-", "vol", "0.5"]);
    sox(&args);
    for wav in [&silence, &chords, &melody] {
        let commits = stream_cli(wav, 4.0);
        assert!(commits.is_empty(), "{}: text {commits:?}", wav.display());
    }
    let _ = fs::remove_dir_all(&dir);
}
