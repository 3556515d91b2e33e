//! `cargo bench --bench stt`: live captions (`stt transcribe --stream`)
//! against offline whisper on the same telephone-quality speech, measured
//! in the same run. Prints Markdown for docs/benchmarks.md.
//!
//! Inputs, both over a telephone line (8 kHz, 300-3400 Hz, mu-law):
//!
//! - jfk.wav, six copies with 1.5 s of silence after each (75 s, 132
//!   words), so the delay statistics have enough words;
//! - the agent turns of `tests/data/agent_turns.txt`, sentence after
//!   sentence in the neural voice with pauses of 0.5 to 3 s, where a
//!   window's context, its flush and a new window meet again and again
//!   (made once per machine and cached, since the voice samples noise).
//!
//! Every streaming run plays the file at real-time pace through the real
//! command, as a user would.
//!
//! - WER: streamed commits joined, and the offline transcript of the same
//!   file with the same model, both against the known words.
//! - Committed-word delay: for every committed word, `emitted -
//!   audio_end` of its commit (the command's own figures).
//! - The default setup (whisper threads chosen per decode, a decode every
//!   0.8 s) runs three times, because which decodes happen depends on
//!   their timing and the figures move between runs. Then fixed 1 and 2
//!   threads, decode intervals of 1 s and 0.5 s (the hidden
//!   `--decode-interval`), and base.
//! - Under load: the default, 1 and 2 threads again while a thread of
//!   this bench keeps one core busy, the case the per-decode choice is
//!   for (ggml's spinning worker threads crawl on a taken core).
//! - Capacity: 1 to 4 streams at once, each its own process with the
//!   default threads, on the same machine.
//! - For runs with the default threads, the share of decodes that used
//!   more than one thread is read from the command's debug log.
//!
//! The offline reference is plain whisper on the whole file, with its
//! default threads (2 here): the engine's `SpeechToText::transcribe`,
//! not `stt transcribe`, which cuts recordings at pauses
//! (`src/stt/recording.rs`). The pieces' WER is printed beside it.

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use common::cli::relaygate;
use common::stt::{JFK_TEXT, cache, jfk_wav, model, telephone, temp_dir, wer};
use common::turns::{agent_turns, speak_turn};
use relaygate::audio::wav;

const COPIES: usize = 6;
const PAUSE_S: f64 = 1.5;

struct Commit {
    words: usize,
    text: String,
    delay: f64,
}

struct Run {
    commits: Vec<Commit>,
    /// Decodes, and how many of them used more than one whisper thread
    /// (from the debug log).
    decodes: usize,
    multi_threaded: usize,
}

impl Run {
    fn text(&self) -> String {
        self.commits
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Per-word delays.
    fn delays(&self) -> Vec<f64> {
        self.commits
            .iter()
            .flat_map(|c| std::iter::repeat_n(c.delay, c.words))
            .collect()
    }
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len().max(1) as f64
}

fn p95(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 * 0.95).ceil() as usize).clamp(1, v.len()) - 1]
}

fn long_input(dir: &Path) -> PathBuf {
    let tel = telephone(&jfk_wav(), "bench-tel");
    let (spec, samples) =
        wav::read_all(std::io::BufReader::new(fs::File::open(&tel).expect("open"))).expect("wav");
    let pause = vec![0i16; (PAUSE_S * f64::from(spec.sample_rate)) as usize];
    let mut all = Vec::new();
    for _ in 0..COPIES {
        all.extend_from_slice(&samples);
        all.extend_from_slice(&pause);
    }
    let path = dir.join("jfk-x6-telephone.wav");
    let mut f = fs::File::create(&path).expect("create");
    wav::write_pcm16(&mut f, spec.sample_rate, &all).expect("write");
    path
}

/// Pauses after the sentences of the agent turns, in turn.
const TURN_PAUSES: [f64; 6] = [1.5, 0.5, 3.0, 1.0, 2.0, 2.5];

/// The agent turns of `tests/data/agent_turns.txt` in the standard
/// neural voice, one after the other, with pauses of 0.5 to 3 s between
/// sentences, over a telephone line; and their words. The voice samples
/// noise, so the audio is made once per machine and kept in the cache
/// (`test-data/agent-turns-HASH.wav`), making runs comparable.
fn turns_input() -> (PathBuf, String) {
    use relaygate::tts::{PiperEngine, fetch, profile};
    use std::hash::{Hash, Hasher};
    let turns = agent_turns();
    let sentences: Vec<String> = turns.concat();
    let truth = sentences.join(" ");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&truth, TURN_PAUSES.map(f64::to_bits)).hash(&mut h);
    let path = cache()
        .root()
        .join("test-data")
        .join(format!("agent-turns-{:016x}.wav", h.finish()));
    if !path.is_file() {
        let dir = temp_dir("bench-turns");
        let fetched = fetch::fetch(&fetch::cache_dir().expect("cache dir"), "python3")
            .expect("the neural voice (relaygate voices fetch)");
        let mut voice = PiperEngine::load(&fetched.voice).expect("neural voice loads");
        let standard = profile::builtin("standard").expect("standard profile");
        let samples = speak_turn(&mut voice, &standard, &sentences, &TURN_PAUSES, 0, &dir);
        fs::create_dir_all(path.parent().expect("a parent")).expect("test-data dir");
        let tmp = path.with_extension("partial");
        wav::write_pcm16(&mut fs::File::create(&tmp).expect("create"), 8000, &samples)
            .expect("write");
        fs::rename(&tmp, &path).expect("install");
        let _ = fs::remove_dir_all(&dir);
    }
    (path, truth)
}

/// Offline whisper on the whole file, as whisper.cpp's own tools run it.
fn whole_file(wav: &Path, model: &Path) -> String {
    use relaygate::stt::whisper::{WhisperEngine, WhisperOptions};
    use relaygate::stt::{SpeechToText, join_text};
    let audio = model_rate(wav);
    let mut engine = WhisperEngine::load(model, WhisperOptions::default()).expect("model loads");
    join_text(&engine.transcribe(&audio).expect("transcribes"))
}

/// 16 kHz audio of a WAV file.
fn model_rate(wav: &Path) -> Vec<f32> {
    use relaygate::stt::resample;
    let (spec, samples) =
        wav::read_all(std::io::BufReader::new(fs::File::open(wav).expect("open"))).expect("wav");
    resample::to_model_rate(&resample::pcm16_to_f32(&samples), spec.sample_rate).expect("resample")
}

/// What one live decode costs on this machine, by window length and
/// thread count: the figure that sets the delay, and the one to compare
/// when the same bench gives other delays on other machines.
fn decode_costs(wav: &Path, model: &Path) {
    use relaygate::stt::streaming::{StreamConfig, audio_ctx_for};
    use relaygate::stt::whisper::{Request, WhisperEngine, WhisperOptions};
    let audio = model_rate(wav);
    let windows = [2.0, 3.0, 5.0, 8.0, 11.0];
    let margin = StreamConfig::default().audio_ctx_margin;
    println!("### Cost of one live decode, tiny.en (median of 5)\n");
    println!(
        "| whisper threads | {} |",
        windows.map(|w| format!("{w} s window")).join(" | ")
    );
    println!("|---|{}", "---|".repeat(windows.len()));
    for threads in [1, 2] {
        let options = WhisperOptions {
            threads,
            ..WhisperOptions::default()
        };
        let mut engine = WhisperEngine::load(model, options).expect("model loads");
        let mut row = Vec::new();
        for secs in windows {
            let n = ((secs * 16_000.0) as usize).min(audio.len());
            let request = Request {
                audio_ctx: Some(audio_ctx_for(secs, margin)),
                ..Request::default()
            };
            let mut times: Vec<f64> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    engine
                        .transcribe_live(&audio[..n], &request)
                        .expect("decodes");
                    t.elapsed().as_secs_f64()
                })
                .collect();
            times.sort_by(f64::total_cmp);
            row.push(format!("{:.2} s", times[2]));
        }
        println!("| {threads} | {} |", row.join(" | "));
    }
    println!();
}

/// `stt transcribe`: the recording cut at its pauses.
fn in_pieces(wav: &Path, model: &Path) -> String {
    let out = relaygate()
        .args(["stt", "transcribe", "--input"])
        .arg(wav)
        .arg("--model")
        .arg(model)
        .output()
        .expect("relaygate runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// How one streaming process runs.
#[derive(Clone, Copy)]
struct Setup {
    /// `--threads`; `None` is the default choice per decode.
    threads: Option<usize>,
    /// Seconds between decodes (the `--stream` default is 0.8).
    interval: f64,
    /// Keep one core busy during the run.
    busy_core: bool,
}

impl Setup {
    fn threads_label(&self) -> String {
        self.threads
            .map_or_else(|| "auto".to_string(), |n| n.to_string())
    }
}

const DEFAULT: Setup = Setup {
    threads: None,
    interval: 0.8,
    busy_core: false,
};

/// A thread spinning on one core until dropped.
struct BusyCore {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl BusyCore {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut x = 0u64;
            while !flag.load(Ordering::Relaxed) {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        });
        BusyCore {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for BusyCore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// `n` streams of `wav` at once, each its own `--stream` process.
fn stream(wav: &Path, model: &Path, n: usize, setup: Setup) -> Vec<Run> {
    let _busy = setup.busy_core.then(BusyCore::start);
    let children: Vec<_> = (0..n)
        .map(|_| {
            let mut cmd = relaygate();
            cmd.args(["stt", "transcribe", "--stream", "--input"])
                .arg(wav)
                .arg("--model")
                .arg(model)
                .args(["--decode-interval", &setup.interval.to_string()])
                // Each decode's thread count, nothing of the content.
                .env("RELAYGATE_LOG", "relaygate::stt::decoder_thread=debug")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if let Some(t) = setup.threads {
                cmd.args(["--threads", &t.to_string()]);
            }
            cmd.spawn().expect("relaygate starts")
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().expect("relaygate runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let commits = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|line| {
                    let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
                    let text = v["text"].as_str().expect("text").to_string();
                    Commit {
                        words: text.split_whitespace().count(),
                        delay: v["emitted"].as_f64().expect("emitted")
                            - v["audio_end"].as_f64().expect("audio_end"),
                        text,
                    }
                })
                .collect();
            let log = String::from_utf8_lossy(&out.stderr);
            let threads: Vec<&str> = log
                .lines()
                .filter(|l| l.contains(" decoded "))
                .filter_map(|l| l.split("threads=").nth(1)?.split_whitespace().next())
                .collect();
            Run {
                commits,
                decodes: threads.len(),
                multi_threaded: threads.iter().filter(|t| **t != "1").count(),
            }
        })
        .collect()
}

/// "84 of 87": decodes that used more than one thread.
fn multi_share(runs: &[Run]) -> String {
    let all: usize = runs.iter().map(|r| r.decodes).sum();
    let multi: usize = runs.iter().map(|r| r.multi_threaded).sum();
    format!("{multi} of {all}")
}

/// One table of WER and delay rows for `wav`, whose words are `truth`:
/// each row one streaming run beside offline whisper on the same file.
/// Returns the first default run's delays and thread share, which stand
/// for one stream in the capacity table.
fn table(wav: &Path, truth: &str, rows: &[(&str, &str, Setup)]) -> (Vec<f64>, String) {
    println!(
        "| model | setup | whisper threads | decodes on more than 1 thread | decode interval | offline WER | streaming WER | difference | delay mean | delay p95 | words committed |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    // Per model: offline WER on the whole file and in pieces.
    let mut offline: Vec<(&str, f64, f64)> = Vec::new();
    // Per repeated setup: its runs' delays and WER differences.
    let mut groups: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    let mut first_default: Option<(Vec<f64>, String)> = None;
    for &(name, label, setup) in rows {
        let model = model(name);
        let w_off = match offline.iter().find(|o| o.0 == name) {
            Some(o) => o.1,
            None => {
                let w = wer(truth, &whole_file(wav, &model));
                offline.push((name, w, wer(truth, &in_pieces(wav, &model))));
                w
            }
        };
        let runs = stream(wav, &model, 1, setup);
        let run = &runs[0];
        let w_st = wer(truth, &run.text());
        let d = run.delays();
        println!(
            "| {name} | {label} | {} | {} | {:.1} s | {:.1} % | {:.1} % | {:+.1} points | {:.2} s | {:.2} s | {} |",
            setup.threads_label(),
            multi_share(&runs),
            setup.interval,
            100.0 * w_off,
            100.0 * w_st,
            100.0 * (w_st - w_off),
            mean(&d),
            p95(&d),
            d.len()
        );
        if label == "default" && first_default.is_none() {
            first_default = Some((d.clone(), multi_share(&runs)));
        }
        if label == "default" {
            match groups.iter_mut().find(|g| g.0 == label) {
                Some(g) => {
                    g.1.extend(&d);
                    g.2.push(w_st - w_off);
                }
                None => groups.push((label, d, vec![w_st - w_off])),
            }
        }
    }
    println!();
    for (label, d, w) in &groups {
        println!(
            "- tiny.en, {label} ({} runs together): delay mean {:.2} s, p95 {:.2} s; WER {:+.1} points on average.",
            w.len(),
            mean(d),
            p95(d),
            100.0 * mean(w)
        );
    }
    for (name, whole, pieces) in &offline {
        println!(
            "- {name} offline: {:.1} % on the whole file (the reference above), {:.1} % with `stt transcribe`, which cuts the file at its pauses.",
            100.0 * whole,
            100.0 * pieces
        );
    }
    first_default.unwrap_or_default()
}

fn main() {
    let dir = temp_dir("bench");
    let wav = long_input(&dir);
    let truth = [JFK_TEXT; COPIES].join(" ");
    let audio_s = COPIES as f64 * (11.0 + PAUSE_S);
    let started = Instant::now();

    println!("## Live captions (issues 3 and 11)\n");
    println!(
        "Input: jfk.wav over a telephone line, {COPIES} copies with {PAUSE_S} s pauses ({audio_s:.0} s, {} words).\n",
        COPIES * 22
    );

    decode_costs(&wav, &model("tiny.en"));

    println!("### Word error rate and committed-word delay (1 stream)\n");
    // The default setup three times, to show the spread between runs,
    // fixed thread counts, the decode interval either side of the
    // default, base, and the same choices with one core taken.
    let fixed = |n| Setup {
        threads: Some(n),
        ..DEFAULT
    };
    let every = |interval| Setup {
        interval,
        ..DEFAULT
    };
    let busy = |s: Setup| Setup {
        busy_core: true,
        ..s
    };
    let rows = [
        ("tiny.en", "default", DEFAULT),
        ("tiny.en", "default", DEFAULT),
        ("tiny.en", "default", DEFAULT),
        ("tiny.en", "1 thread", fixed(1)),
        ("tiny.en", "2 threads", fixed(2)),
        ("tiny.en", "-", every(1.0)),
        ("tiny.en", "-", every(0.5)),
        ("base", "-", DEFAULT),
        ("tiny.en", "one core busy", busy(DEFAULT)),
        ("tiny.en", "one core busy, 1 thread", busy(fixed(1))),
        ("tiny.en", "one core busy, 2 threads", busy(fixed(2))),
    ];
    let first_default = table(&wav, &truth, &rows);

    let (turns, turns_truth) = turns_input();
    let turns_s = model_rate(&turns).len() as f64 / 16_000.0;
    println!(
        "\n### Multi-sentence agent turns\n\nInput: the {} sentences of `tests/data/agent_turns.txt` in the standard neural voice, pauses of {} s between them in turn, over a telephone line ({turns_s:.0} s, {} words).\n",
        agent_turns().concat().len(),
        TURN_PAUSES.map(|p| p.to_string()).join(", "),
        turns_truth.split_whitespace().count()
    );
    let rows = [
        ("tiny.en", "default", DEFAULT),
        ("tiny.en", "default", DEFAULT),
        ("tiny.en", "default", DEFAULT),
        ("base", "-", DEFAULT),
    ];
    table(&turns, &turns_truth, &rows);

    println!("\n### Capacity: parallel streams on the 2 cores, tiny.en\n");
    println!(
        "| streams | decodes on more than 1 thread | delay mean | delay p95 | worst | streaming WER (mean) |"
    );
    println!("|---|---|---|---|---|---|");
    let tiny = model("tiny.en");
    for n in 1..=4 {
        let (d, w, share) = if n == 1 {
            let (d, share) = first_default.clone();
            (d, f64::NAN, share)
        } else {
            let runs = stream(&wav, &tiny, n, DEFAULT);
            let d: Vec<f64> = runs.iter().flat_map(Run::delays).collect();
            let w = mean(
                &runs
                    .iter()
                    .map(|r| wer(&truth, &r.text()))
                    .collect::<Vec<_>>(),
            );
            (d, w, multi_share(&runs))
        };
        let worst = d.iter().copied().fold(f64::NAN, f64::max);
        let w = if w.is_nan() {
            "(run 1 above)".to_string()
        } else {
            format!("{:.1} %", 100.0 * w)
        };
        println!(
            "| {n} | {share} | {:.2} s | {:.2} s | {:.2} s | {w} |",
            mean(&d),
            p95(&d),
            worst
        );
    }
    println!(
        "\nBench wall time: {:.0} s.",
        started.elapsed().as_secs_f64()
    );
    let _ = fs::remove_dir_all(&dir);
}
