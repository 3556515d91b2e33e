//! `cargo bench --bench stt`: live captions (`stt transcribe --stream`)
//! against offline whisper on the same telephone-quality speech, measured
//! in the same run. Prints Markdown for docs/benchmarks.md.
//!
//! Input: jfk.wav over a telephone line (8 kHz, 300-3400 Hz, mu-law),
//! six copies with 1.5 s of silence after each (75 s, 132 words), so the
//! delay statistics have enough words. Every streaming run plays the file
//! at real-time pace through the real command, as a user would.
//!
//! - WER: streamed commits joined, and the offline transcript of the same
//!   file with the same model, both against the known words.
//! - Committed-word delay: for every committed word, `emitted -
//!   audio_end` of its commit (the command's own figures).
//! - The default setup (1 whisper thread, a decode every 0.8 s) runs
//!   three times, because which decodes happen depends on their timing
//!   and the figures move between runs; so does the same with two whisper
//!   threads (one stream given both cores). Then decode intervals of 1 s
//!   and 0.5 s (the hidden `--decode-interval`) and base.
//! - Capacity: 1 to 4 streams at once, each its own process, on the same
//!   machine, 1 whisper thread each (the `--stream` default: ggml's
//!   spinning worker threads starve each other when there are more
//!   threads than free cores).
//!
//! The offline reference runs with whisper's default threads (2 here).

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::stt::{JFK_TEXT, jfk_wav, model, telephone, temp_dir, wer};
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

fn relaygate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relaygate"));
    cmd.env_remove("RELAYGATE_LOG").stdin(Stdio::null());
    cmd
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

fn offline(wav: &Path, model: &Path) -> (String, f64) {
    let started = Instant::now();
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
    (
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        started.elapsed().as_secs_f64(),
    )
}

/// How one streaming process runs.
#[derive(Clone, Copy)]
struct Setup {
    threads: usize,
    /// Seconds between decodes (the `--stream` default is 0.8).
    interval: f64,
}

const DEFAULT: Setup = Setup {
    threads: 1,
    interval: 0.8,
};

/// `n` streams of `wav` at once, each its own `--stream` process.
fn stream(wav: &Path, model: &Path, n: usize, setup: Setup) -> Vec<Run> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            relaygate()
                .args(["stt", "transcribe", "--stream", "--input"])
                .arg(wav)
                .arg("--model")
                .arg(model)
                .args(["--threads", &setup.threads.to_string()])
                .args(["--decode-interval", &setup.interval.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("relaygate starts")
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
            Run { commits }
        })
        .collect()
}

fn main() {
    let dir = temp_dir("bench");
    let wav = long_input(&dir);
    let truth = [JFK_TEXT; COPIES].join(" ");
    let audio_s = COPIES as f64 * (11.0 + PAUSE_S);
    let started = Instant::now();

    println!("## Live captions (issue 3)\n");
    println!(
        "Input: jfk.wav over a telephone line, {COPIES} copies with {PAUSE_S} s pauses ({audio_s:.0} s, {} words).\n",
        COPIES * 22
    );

    println!("### Word error rate and committed-word delay (1 stream)\n");
    println!(
        "| model | setup | whisper threads | decode interval | offline WER | streaming WER | difference | delay mean | delay p95 | words committed |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    // The default setup three times, to show the spread between runs, the
    // same with both cores for the one stream, then the decode interval
    // either side of the default, and base.
    let two = Setup {
        threads: 2,
        ..DEFAULT
    };
    let every = |interval| Setup {
        interval,
        ..DEFAULT
    };
    let rows: [(&str, &str, Setup); 9] = [
        ("tiny.en", "default", DEFAULT),
        ("tiny.en", "default", DEFAULT),
        ("tiny.en", "default", DEFAULT),
        ("tiny.en", "2 threads", two),
        ("tiny.en", "2 threads", two),
        ("tiny.en", "2 threads", two),
        ("tiny.en", "-", every(1.0)),
        ("tiny.en", "-", every(0.5)),
        ("base", "-", DEFAULT),
    ];
    let mut offline_wer = std::collections::HashMap::new();
    // Per repeated setup: its runs' delays and WER differences.
    let mut groups: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    // The first default run stands for 1 stream in the capacity table.
    let mut first_default: Option<Vec<f64>> = None;
    for (name, label, setup) in rows {
        let model = model(name);
        let w_off = *offline_wer
            .entry(name)
            .or_insert_with(|| wer(&truth, &offline(&wav, &model).0));
        let runs = stream(&wav, &model, 1, setup);
        let run = &runs[0];
        let w_st = wer(&truth, &run.text());
        let d = run.delays();
        println!(
            "| {name} | {label} | {} | {:.1} s | {:.1} % | {:.1} % | {:+.1} points | {:.2} s | {:.2} s | {} |",
            setup.threads,
            setup.interval,
            100.0 * w_off,
            100.0 * w_st,
            100.0 * (w_st - w_off),
            mean(&d),
            p95(&d),
            d.len()
        );
        if label == "default" && first_default.is_none() {
            first_default = Some(d.clone());
        }
        if label != "-" {
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

    println!("\n### Capacity: parallel streams on the 2 cores, tiny.en\n");
    println!(
        "| streams | whisper threads per stream | delay mean | delay p95 | worst | streaming WER (mean) |"
    );
    println!("|---|---|---|---|---|---|");
    let tiny = model("tiny.en");
    for n in 1..=4 {
        let (d, w) = if n == 1 {
            (first_default.clone().unwrap_or_default(), f64::NAN)
        } else {
            let runs = stream(&wav, &tiny, n, DEFAULT);
            let d: Vec<f64> = runs.iter().flat_map(Run::delays).collect();
            let w = mean(
                &runs
                    .iter()
                    .map(|r| wer(&truth, &r.text()))
                    .collect::<Vec<_>>(),
            );
            (d, w)
        };
        let worst = d.iter().copied().fold(f64::NAN, f64::max);
        let w = if w.is_nan() {
            "(run 1 above)".to_string()
        } else {
            format!("{:.1} %", 100.0 * w)
        };
        println!(
            "| {n} | 1 | {:.2} s | {:.2} s | {:.2} s | {w} |",
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
