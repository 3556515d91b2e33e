//! `cargo bench --bench tts`: how soon the agent hears a closed phrase.
//!
//! For a closed 20-word TTY-style phrase, measures the time from handing
//! it to an engine to its first audio sample (8 kHz, the call rate), and
//! the real-time factor (synthesis time / audio duration) of the whole
//! phrase, for the neural voice (clause by clause, and as one clause for
//! comparison) and for espeak-ng. Everything runs on one core: the bench
//! re-runs itself under `taskset -c 0` and ONNX Runtime gets one thread.
//! The neural voice is fetched into the cache first if it is missing.
//! Output is a Markdown table.

use std::process::Command;
use std::time::{Duration, Instant};

use relaygate::tts::{EspeakEngine, NeuralVoice, PiperEngine, TextToSpeech, VoiceProfile, fetch};

/// 20 words, with the punctuation a TTY user types.
const PHRASE: &str =
    "i got my bill today, and the total looks wrong. can you please check it and tell me why?";
/// The same words with no place to cut.
const PHRASE_ONE_CLAUSE: &str =
    "i got my bill today and the total looks wrong can you please check it and tell me why?";
const RATE: u32 = 8000;
const RUNS: usize = 10;
const PINNED: &str = "RELAYGATE_BENCH_PINNED";

struct Row {
    name: &'static str,
    first: Vec<Duration>,
    total: Vec<Duration>,
    audio_s: f64,
}

fn measure(name: &'static str, engine: &mut dyn TextToSpeech, text: &str) -> Row {
    let profile = VoiceProfile::default();
    // One run to warm caches and ONNX Runtime's first-run setup.
    let _ = engine.synthesize(text, &profile, RATE);
    let mut row = Row {
        name,
        first: Vec::new(),
        total: Vec::new(),
        audio_s: 0.0,
    };
    for _ in 0..RUNS {
        let start = Instant::now();
        let mut first = None;
        let mut samples = 0usize;
        engine
            .synthesize_clauses(text, &profile, RATE, &mut |chunk| {
                if first.is_none() && !chunk.is_empty() {
                    first = Some(start.elapsed());
                }
                samples += chunk.len();
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        row.total.push(start.elapsed());
        row.first
            .push(first.unwrap_or_else(|| panic!("{name}: no audio")));
        row.audio_s = samples as f64 / f64::from(RATE);
    }
    row
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // Pin to one core by re-running under taskset (util-linux).
    if std::env::var_os(PINNED).is_none() {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("own path: {e}"));
        let status = Command::new("taskset")
            .arg("-c")
            .arg("0")
            .arg(exe)
            .args(std::env::args_os().skip(1))
            .env(PINNED, "1")
            .status()
            .unwrap_or_else(|e| {
                panic!("taskset (util-linux) is needed to pin the bench to one core: {e}")
            });
        std::process::exit(status.code().unwrap_or(1));
    }

    let cache = fetch::cache_dir().unwrap_or_else(|e| panic!("{e}"));
    let voice = NeuralVoice::in_cache(&cache);
    if !voice.is_installed() {
        fetch::fetch(&cache, "python3").unwrap_or_else(|e| panic!("voices fetch: {e}"));
    }
    let load = Instant::now();
    let mut neural = PiperEngine::load(&voice).unwrap_or_else(|e| panic!("{e}"));
    let load = load.elapsed();
    let mut espeak = EspeakEngine::new().unwrap_or_else(|e| panic!("{e}"));

    let rows = [
        measure("neural, clause by clause", &mut neural, PHRASE),
        measure("neural, one clause", &mut neural, PHRASE_ONE_CLAUSE),
        measure("espeak-ng, clause by clause", &mut espeak, PHRASE),
    ];
    println!("Closed 20-word phrase to 8 kHz audio, one core, median of {RUNS} runs.\n");
    println!("| engine | first audio | whole phrase | audio | real-time factor |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        let total = median(&r.total);
        println!(
            "| {} | {} | {} | {:.2} s | {:.3} |",
            r.name,
            ms(median(&r.first)),
            ms(total),
            r.audio_s,
            total.as_secs_f64() / r.audio_s
        );
    }
    println!(
        "\nGoals: first audio <= 300 ms (neural), <= 20 ms (espeak-ng). Neural voice load: {}.",
        ms(load)
    );
}
