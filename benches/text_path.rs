//! `cargo bench --bench text_path`: how many simultaneous relay calls the
//! text path holds in one process (issue 12: "the text path alone with a
//! fake speech engine: at least 200 simultaneous calls").
//!
//! Each call runs through the real call loop, `call_runner::run_loop`,
//! the one `relaygate serve` uses, with the settings `call_runner::run`
//! gives a file agent (agent there from the start, no media-lost
//! channel; only a time limit is added, so a run that cannot keep up
//! still ends). The customer leg is an audio TTY (the modem session over
//! a file port) hearing Baudot tones from the project's own modulator:
//! it waits for the TTY greeting, then types four phrases ending with GA
//! (each call its own text, with its number in it). The agent leg is a
//! file port of silence, so the VAD runs on every frame but whisper
//! (tiny.en, one decoding state) never decodes. Speech comes from the
//! real speech worker with a fake engine that answers at once with a
//! quiet tone of 60 ms per character, clause by clause, so what is
//! measured is the rest of the text path: demodulation, phrasing, the
//! relay core, the worker's queue, playout, on every call's 20 ms clock.
//! The calls of a run start spread over one second on a tokio
//! multi-thread runtime with one worker per core.
//!
//! Per number of calls N (`CALLS="1 50 100 200 300"` by default):
//!
//! - every call ends with every typed character spoken and none lost
//!   (its summary), and every character the tones carried reached the
//!   relay ("missing" otherwise: the summary cannot count what the modem
//!   never delivered); the bench exits non-zero if any fails at N <= 200;
//! - phrase closed to first agent audio: over all calls' phrases closed
//!   with nothing else playing (the speech path's own delay), mean and
//!   p95; over all phrases, the mean and the worst;
//! - how late the 20 ms ticks ran: a probe task on the same runtime
//!   ticks as the call loops do (`interval`, burst on missed ticks) and
//!   records how late each tick fired; each call's last tick against its
//!   audio (the drift it ended with); the run's wall time against its
//!   audio time;
//! - process CPU time (/proc/self/stat) per second of call per call, and
//!   per added call (the reference's fixed costs left out); cores kept
//!   busy on average and over the busiest second; and the cores other
//!   processes took meanwhile (/proc/stat), which makes a row noisy;
//! - peak RSS (VmHWM) and RSS per added call, split into the inputs
//!   (the caller's tones, made before the calls and seen in the RSS
//!   before them), what the two file ports recorded (everything sent,
//!   which a call over RTP does not keep) and the rest, the call itself.
//!
//! Each N runs in a child process of this bench binary (re-invoked with
//! `RELAYGATE_TEXT_PATH_CALLS=N`), so its peak RSS is its own and one run
//! leaves nothing behind for the next; the parent prints the tables.
//! The reference, measured in the same run, is N = 1: every row is
//! printed in absolute figures and as a ratio against it.

#[path = "../tests/common/mod.rs"]
mod common;

use std::f64::consts::TAU;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use relaygate::call_runner::{self, Delays, LoopSettings};
use relaygate::device::DeviceProfile;
use relaygate::engines::{Engines, SpeechService};
use relaygate::legs::agent_voice::AgentVoice;
use relaygate::legs::audio_tty::AudioTty;
use relaygate::media::file_port::FilePort;
use relaygate::media::frame::{FRAME, RATE};
use relaygate::modem::{Modulator, SessionConfig};
use relaygate::relay::RelayConfig;
use relaygate::stt::decoder_thread::{DecoderPool, auto_threads};
use relaygate::stt::whisper::{WhisperModel, WhisperOptions};
use relaygate::text::baudot::{Encoder, Table};
use relaygate::tts::{EngineKind, NeuralVoice, TextToSpeech, TtsError, VoiceProfile};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Set in a child: the number of calls it runs.
const CHILD_CALLS: &str = "RELAYGATE_TEXT_PATH_CALLS";
/// Set in a child: the whisper model the parent fetched.
const CHILD_MODEL: &str = "RELAYGATE_TEXT_PATH_MODEL";
/// Marks the child's result line on its stdout.
const RESULT: &str = "text-path-result ";
const DEFAULT_CALLS: &str = "1 50 100 200 300";
/// Above this many calls a loss is reported, not failed: the issue asks
/// for 200.
const MUST_HOLD: usize = 200;

/// The TTY greeting (about 6 s of tones from the relay, plus the echo
/// tail) is printed before the caller types, as a TTY user would wait
/// for it: typing over it would be lost on a half-duplex line.
const TYPING_STARTS_S: f64 = 9.0;
/// Between phrases, as a typist pauses.
const PHRASE_PAUSE_S: f64 = 0.5;
/// After the last tone, so the demodulator ends its burst.
const TAIL_S: f64 = 2.0;
/// The agent's silence outlasts the call: the caller hangs up first.
const AGENT_EXTRA_S: f64 = 60.0;
/// A call longer than this (wall time) has fallen hopelessly behind; the
/// limit keeps the bench's length bounded.
const MAX_CALL_S: f64 = 100.0;
/// The fake voice's pace: about the neural voice's at 175 words a minute.
const MS_PER_CHAR: usize = 60;
/// The kernel's USER_HZ: /proc/self/stat counts CPU time in these.
const CLOCK_TICKS_PER_S: f64 = 100.0;

/// A speech engine that costs nothing: a quiet 400 Hz tone as long as
/// the clause would take to say, handed over at once.
struct FakeVoice;

impl TextToSpeech for FakeVoice {
    fn kind(&self) -> EngineKind {
        EngineKind::Neural
    }

    fn synthesize_clauses(
        &mut self,
        text: &str,
        _profile: &VoiceProfile,
        sample_rate: u32,
        sink: &mut dyn FnMut(&[i16]),
    ) -> Result<(), TtsError> {
        // One period of the tone, repeated: the worker serves every call,
        // so the fake engine itself should cost next to nothing.
        let period: Vec<i16> = (0..(sample_rate / 400).max(1))
            .map(|i| ((f64::from(i) * 400.0 / f64::from(sample_rate) * TAU).sin() * 300.0) as i16)
            .collect();
        for clause in text.split_inclusive(['.', ',', '?', '!', ';', ':']) {
            let chars = clause.trim().chars().count();
            if chars == 0 {
                continue;
            }
            let n = chars * MS_PER_CHAR * sample_rate as usize / 1000;
            // About -40 dBFS: quiet, yet a saved recording shows where
            // speech played.
            let tone: Vec<i16> = period.iter().copied().cycle().take(n).collect();
            sink(&tone);
        }
        Ok(())
    }
}

/// What call `i` types: four phrases, the last ending with GA.
fn phrases(i: usize) -> [String; 4] {
    [
        format!("HI THIS IS CALLER {i}."),
        "I NEED HELP WITH MY BILL PLS.".to_string(),
        format!("IT SAYS I OWE {} DOLLARS.", 40 + i % 50),
        "CAN U CHECK IT Q GA".to_string(),
    ]
}

/// Characters the relay counts as typed: spaces and line ends not.
fn countable(text: &str) -> usize {
    text.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .count()
}

/// The caller's side of call `i` at 8 kHz: silence while the greeting
/// prints, then each phrase as a burst of tones. Returns the samples and
/// the characters they carry.
fn caller_tones(i: usize, config: &SessionConfig) -> (Vec<i16>, usize) {
    let secs = |s: f64| (s * f64::from(RATE)) as usize;
    let mut out = vec![0i16; secs(TYPING_STARTS_S)];
    let mut chars = 0;
    let mut encoder = Encoder::new(Table::Us);
    for p in phrases(i) {
        // A space between phrases, as a typist sends one.
        let text = format!("{p} ");
        let (codes, unsendable) = encoder.encode(&text);
        assert!(
            unsendable.is_empty(),
            "the bench's text is sendable on a TTY"
        );
        let mut m = Modulator::new(config.line, RATE);
        m.push_codes(&codes);
        out.extend(m.render());
        out.extend(std::iter::repeat_n(0, secs(PHRASE_PAUSE_S)));
        chars += countable(&text);
    }
    out.extend(std::iter::repeat_n(0, secs(TAIL_S)));
    (out, chars)
}

/// What one call hears: the caller's tones, the agent's silence, and
/// the characters the tones carry.
struct Input {
    tones: Vec<i16>,
    silence: Vec<i16>,
    expected: usize,
}

impl Input {
    fn new(i: usize, config: &SessionConfig) -> Input {
        let (tones, expected) = caller_tones(i, config);
        let silence = vec![0i16; tones.len() + (AGENT_EXTRA_S * f64::from(RATE)) as usize];
        Input {
            tones,
            silence,
            expected,
        }
    }
}

/// One call's figures.
struct CallResult {
    start_offset_s: f64,
    duration_s: f64,
    ticks: usize,
    expected: usize,
    typed: usize,
    spoken: usize,
    lost: usize,
    ended_by: String,
    all: Delays,
    idle_samples: Vec<f64>,
    gap_ms: u64,
    /// Bytes both file ports recorded: everything the call sent.
    recorded_bytes: usize,
}

/// A run of N calls, as the child reports it to the parent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Row {
    calls: usize,
    ended: usize,
    /// Calls that did not end by the caller hanging up with all spoken.
    ended_otherwise: usize,
    expected: usize,
    typed: usize,
    spoken: usize,
    lost: usize,
    /// Characters the tones carried that never reached the relay.
    missing: usize,
    idle_count: usize,
    idle_mean_ms: f64,
    idle_p95_ms: f64,
    all_count: usize,
    all_mean_ms: f64,
    all_worst_ms: f64,
    speech_gap_ms: u64,
    late_p50_ms: f64,
    late_p99_ms: f64,
    late_max_ms: f64,
    /// Share of the probe's ticks that fired a whole frame (20 ms) late
    /// or more.
    late_frame_share: f64,
    drift_max_ms: f64,
    wall_s: f64,
    audio_s: f64,
    call_audio_s: f64,
    cpu_s: f64,
    /// The most cores this process kept busy over one second.
    peak_cores: f64,
    /// Cores that other processes kept busy meanwhile: a disturbed row.
    others_cores: f64,
    rss_before_mb: f64,
    peak_rss_mb: f64,
    recorded_mb_per_call: f64,
}

impl Row {
    fn cpu_ms_per_call_s(&self) -> f64 {
        1000.0 * self.cpu_s / self.call_audio_s
    }
    fn cores_busy(&self) -> f64 {
        self.cpu_s / self.wall_s
    }
    /// CPU each call beyond the reference's one added, in ms per second:
    /// the reference's fixed costs (the runtime, the probe, the idle
    /// engines) are left out, which the plain per-call figure is not.
    fn cpu_ms_per_added_call(&self, reference: &Row) -> Option<f64> {
        let more = self.calls.checked_sub(reference.calls).filter(|&m| m > 0)? as f64;
        Some(1000.0 * (self.cores_busy() - reference.cores_busy()) / more)
    }
    fn realtime(&self) -> f64 {
        self.wall_s / self.audio_s
    }
    fn fails(&self) -> bool {
        self.ended < self.calls
            || self.ended_otherwise > 0
            || self.lost > 0
            || self.missing > 0
            || self.spoken < self.typed
    }
}

/// User plus system CPU time of this process, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("reading /proc/self/stat");
    // The command name may hold spaces; the fields after it do not.
    let after = &stat[stat.rfind(')').expect("a /proc stat line") + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields[i]
            .parse::<f64>()
            .expect("a CPU time in /proc/self/stat")
    };
    // utime and stime are fields 14 and 15; `after` starts at field 3.
    (ticks(11) + ticks(12)) / CLOCK_TICKS_PER_S
}

/// Busy CPU time of the whole machine (every process), in seconds.
fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").expect("reading /proc/stat");
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("cpu "))
        .expect("the cpu line of /proc/stat")
        .split_whitespace()
        .map(|v| v.parse().expect("a CPU time in /proc/stat"))
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and
    // iowait are busy.
    let busy: f64 = ticks.iter().take(8).sum::<f64>() - ticks[3] - ticks[4];
    busy / CLOCK_TICKS_PER_S
}

/// Samples this process's CPU time every second until `stop`; returns
/// the most cores it kept busy over one second. An average over the
/// whole run hides the moments when all calls do the same thing at once.
fn watch_cpu(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<f64> {
    std::thread::spawn(move || {
        let mut peak: f64 = 0.0;
        let (mut at, mut cpu) = (Instant::now(), cpu_seconds());
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            let elapsed = at.elapsed().as_secs_f64();
            if elapsed >= 1.0 {
                let now = cpu_seconds();
                peak = peak.max((now - cpu) / elapsed);
                (at, cpu) = (Instant::now(), now);
            }
        }
        peak
    })
}

/// A `Vm...` line of /proc/self/status, in MB.
fn vm_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/self/status"));
    kb / 1024.0
}

fn delays_ms(values_ms: &[f64]) -> Delays {
    let d: Vec<Duration> = values_ms
        .iter()
        .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
        .collect();
    Delays::of(&d)
}

/// Runs one call after `offset`; keeps its control sender open, as the
/// gateway does, so the loop never sees the channel close.
async fn one_call(
    engines: Arc<Engines>,
    offset: Duration,
    input: Input,
    started: Instant,
) -> CallResult {
    tokio::time::sleep(offset).await;
    let start_offset_s = started.elapsed().as_secs_f64();
    let Input {
        tones,
        silence,
        expected,
    } = input;
    let tones_len = tones.len();
    let customer = AudioTty::new(
        FilePort::new(tones),
        SessionConfig::default(),
        String::new(),
    );
    let agent = AgentVoice::new(FilePort::new(silence));
    let settings = LoopSettings {
        relay: RelayConfig::for_device(&DeviceProfile::default()),
        voice: VoiceProfile::default(),
        max_seconds: Some(MAX_CALL_S),
        hangup_grace: Duration::from_secs(30),
        agent_at_start: true,
        agent_media_lost: None,
    };
    let (_control_tx, control) = mpsc::unbounded_channel();
    let (summary, agent) =
        call_runner::run_loop(customer, agent, &engines, settings, control, None)
            .await
            .expect("the call loop runs");
    let heard = agent.port().heard().len();
    let ticks = heard / FRAME;
    CallResult {
        start_offset_s,
        duration_s: summary.duration_seconds,
        ticks,
        expected,
        typed: summary.chars_typed,
        spoken: summary.chars_spoken,
        lost: summary.chars_lost,
        ended_by: summary.ended_by.clone(),
        all: summary.phrase_to_speech_ms,
        idle_samples: summary
            .phrase_to_speech_idle_samples
            .iter()
            .map(|s| s * 1000.0)
            .collect(),
        gap_ms: summary.speech_gap_ms,
        // The customer port records until its tones end.
        recorded_bytes: 2 * (heard + tones_len),
    }
}

/// The child: runs `n` calls at once and prints one result line.
fn child(n: usize, model: &Path) {
    let whisper = WhisperModel::load(model, WhisperOptions::default()).expect("tiny.en loads");
    let captions = DecoderPool::for_model(&whisper, 1, auto_threads()).expect("a whisper decoder");
    // The fake engine serves the neural kind; the neural voice's files are
    // never opened.
    let neural = NeuralVoice::in_cache(common::stt::cache().root());
    let speech = SpeechService::with_engine(Box::new(FakeVoice), &neural).expect("speech worker");
    let engines = Arc::new(Engines { captions, speech });
    let config = SessionConfig::default();
    // Made before the calls, so what they cost shows in the RSS before.
    let inputs: Vec<Input> = (0..n).map(|i| Input::new(i, &config)).collect();
    let rss_before_mb = vm_mb("VmRSS");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let cpu0 = cpu_seconds();
    let machine0 = machine_busy_seconds();
    let stop_watch = Arc::new(AtomicBool::new(false));
    let watch = watch_cpu(Arc::clone(&stop_watch));
    let started = Instant::now();
    let (results, lateness) = runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let probe = tokio::spawn({
            let stop = Arc::clone(&stop);
            async move {
                let mut late = Vec::new();
                let mut tick = tokio::time::interval(Duration::from_millis(20));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                while !stop.load(Ordering::Relaxed) {
                    let due = tick.tick().await;
                    late.push(due.elapsed().as_secs_f64() * 1000.0);
                }
                late
            }
        });
        let calls: Vec<_> = inputs
            .into_iter()
            .enumerate()
            .map(|(i, input)| {
                let offset = Duration::from_secs_f64(i as f64 / n as f64);
                tokio::spawn(one_call(Arc::clone(&engines), offset, input, started))
            })
            .collect();
        let mut results = Vec::with_capacity(n);
        for c in calls {
            results.push(c.await.expect("a call task"));
        }
        stop.store(true, Ordering::Relaxed);
        (results, probe.await.expect("the probe task"))
    });
    let wall_s = started.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds() - cpu0;
    let others_cores = (machine_busy_seconds() - machine0 - cpu_s).max(0.0) / wall_s;
    stop_watch.store(true, Ordering::Relaxed);
    let peak_cores = watch.join().expect("the CPU watch");
    let peak_rss_mb = vm_mb("VmHWM");

    let tick_s = FRAME as f64 / f64::from(RATE);
    let idle: Vec<f64> = results
        .iter()
        .flat_map(|r| r.idle_samples.clone())
        .collect();
    let idle = delays_ms(&idle);
    let all_count: usize = results.iter().map(|r| r.all.count).sum();
    let row = Row {
        calls: n,
        ended: results.len(),
        ended_otherwise: results
            .iter()
            .filter(|r| r.ended_by != "hangup" || r.spoken < r.typed)
            .count(),
        expected: results.iter().map(|r| r.expected).sum(),
        typed: results.iter().map(|r| r.typed).sum(),
        spoken: results.iter().map(|r| r.spoken).sum(),
        lost: results.iter().map(|r| r.lost).sum(),
        missing: results
            .iter()
            .map(|r| r.expected.saturating_sub(r.typed))
            .sum(),
        idle_count: idle.count,
        idle_mean_ms: idle.mean,
        idle_p95_ms: idle.p95,
        all_count,
        all_mean_ms: results
            .iter()
            .map(|r| r.all.mean * r.all.count as f64)
            .sum::<f64>()
            / all_count.max(1) as f64,
        all_worst_ms: results.iter().map(|r| r.all.max).fold(0.0, f64::max),
        speech_gap_ms: results.iter().map(|r| r.gap_ms).sum(),
        late_p50_ms: percentile(&lateness, 0.5),
        late_p99_ms: percentile(&lateness, 0.99),
        late_max_ms: lateness.iter().copied().fold(0.0, f64::max),
        late_frame_share: lateness.iter().filter(|&&l| l >= 20.0).count() as f64
            / lateness.len().max(1) as f64,
        // The last tick of a call is its tick number `ticks - 1`.
        drift_max_ms: results
            .iter()
            .map(|r| 1000.0 * (r.duration_s - (r.ticks.saturating_sub(1)) as f64 * tick_s))
            .fold(0.0, f64::max),
        wall_s,
        audio_s: results
            .iter()
            .map(|r| r.start_offset_s + r.ticks as f64 * tick_s)
            .fold(0.0, f64::max),
        call_audio_s: results.iter().map(|r| r.ticks as f64 * tick_s).sum(),
        cpu_s,
        peak_cores,
        others_cores,
        rss_before_mb,
        peak_rss_mb,
        recorded_mb_per_call: results.iter().map(|r| r.recorded_bytes as f64).sum::<f64>()
            / n as f64
            / (1024.0 * 1024.0),
    };
    println!(
        "{RESULT}{}",
        serde_json::to_string(&row).expect("a row as JSON")
    );
}

fn percentile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1]
}

/// Runs the child for `n` calls and reads its row; `None` if it failed.
fn run_child(n: usize, model: &Path) -> Option<Row> {
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut child = Command::new(exe)
        .env(CHILD_CALLS, n.to_string())
        .env(CHILD_MODEL, model)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the bench re-runs itself");
    let mut stdout = child.stdout.take().expect("the child's stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    // A run that cannot end is cut off, so the bench stays bounded.
    let deadline = Instant::now() + Duration::from_secs_f64(MAX_CALL_S + 60.0);
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for the child") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = reader.join().expect("the child's output");
    match status {
        Some(s) if s.success() => {}
        Some(s) => {
            eprintln!("text_path: the run of {n} calls failed ({s})");
            return None;
        }
        None => {
            eprintln!("text_path: the run of {n} calls did not end in time and was stopped");
            return None;
        }
    }
    let line = out.lines().find_map(|l| l.strip_prefix(RESULT));
    let row = line.and_then(|l| serde_json::from_str(l).ok());
    if row.is_none() {
        eprintln!("text_path: the run of {n} calls printed no result");
    }
    row
}

fn ratio(x: f64, reference: f64) -> String {
    if reference > 0.0 {
        format!("{:.2}x", x / reference)
    } else {
        "-".into()
    }
}

/// Memory per call beyond the reference's one, in MB: all of it, the
/// inputs made before the calls, what the file ports recorded, and the
/// rest, the call's own state.
struct PerCall {
    added: f64,
    inputs: f64,
    recorded: f64,
    state: f64,
}

fn per_call(r: &Row, reference: &Row) -> Option<PerCall> {
    let more = r.calls.checked_sub(reference.calls).filter(|&m| m > 0)? as f64;
    let added = (r.peak_rss_mb - reference.peak_rss_mb) / more;
    let inputs = (r.rss_before_mb - reference.rss_before_mb) / more;
    Some(PerCall {
        added,
        inputs,
        recorded: r.recorded_mb_per_call,
        state: added - inputs - r.recorded_mb_per_call,
    })
}

fn print_tables(rows: &[Row]) {
    let reference = &rows[0];
    println!(
        "\ntext path, {} cores, reference N = {} (ratios are against it)",
        cores(),
        reference.calls
    );
    println!("\ndelivery and speech delay (ms: phrase closed to first agent audio)");
    println!(
        "{:>5} {:>6} {:>7} {:>7} {:>5} {:>7} {:>9} {:>16} {:>16} {:>9} {:>8} {:>7}",
        "N",
        "ended",
        "typed",
        "spoken",
        "lost",
        "missing",
        "idle/all",
        "idle mean",
        "idle p95",
        "all mean",
        "all max",
        "gap ms"
    );
    for r in rows {
        println!(
            "{:>5} {:>6} {:>7} {:>7} {:>5} {:>7} {:>9} {:>8.1} {:>7} {:>8.1} {:>7} {:>9.1} {:>8.0} {:>7}",
            r.calls,
            r.ended - r.ended_otherwise,
            r.typed,
            r.spoken,
            r.lost,
            r.missing,
            format!("{}/{}", r.idle_count, r.all_count),
            r.idle_mean_ms,
            ratio(r.idle_mean_ms, reference.idle_mean_ms),
            r.idle_p95_ms,
            ratio(r.idle_p95_ms, reference.idle_p95_ms),
            r.all_mean_ms,
            r.all_worst_ms,
            r.speech_gap_ms
        );
    }
    println!("\nclock and CPU (tick lateness in ms, from the probe on the calls' runtime)");
    println!(
        "{:>5} {:>8} {:>16} {:>8} {:>9} {:>9} {:>10} {:>18} {:>13} {:>6} {:>7} {:>7}",
        "N",
        "late p50",
        "late p99",
        "late max",
        ">= 20 ms",
        "end drift",
        "wall/audio",
        "CPU ms per call-s",
        "per added call",
        "cores",
        "peak 1s",
        "others"
    );
    for r in rows {
        println!(
            "{:>5} {:>8.2} {:>8.2} {:>7} {:>8.1} {:>8.2}% {:>9.0} {:>10.3} {:>10.2} {:>7} {:>13} {:>6.2} {:>7.2} {:>7.2}",
            r.calls,
            r.late_p50_ms,
            r.late_p99_ms,
            ratio(r.late_p99_ms, reference.late_p99_ms),
            r.late_max_ms,
            100.0 * r.late_frame_share,
            r.drift_max_ms,
            r.realtime(),
            r.cpu_ms_per_call_s(),
            ratio(r.cpu_ms_per_call_s(), reference.cpu_ms_per_call_s()),
            r.cpu_ms_per_added_call(reference)
                .map_or("-".into(), |m| format!("{m:.2}")),
            r.cores_busy(),
            r.peak_cores,
            r.others_cores
        );
    }
    println!("\nmemory (MB; per added call: all, of which inputs, recordings, the call itself)");
    println!(
        "{:>5} {:>11} {:>16} {:>8} {:>8} {:>10} {:>10}",
        "N", "RSS before", "peak RSS", "per call", "inputs", "recordings", "call state"
    );
    for r in rows {
        let p = per_call(r, reference);
        let f = |x: Option<f64>| x.map_or("-".into(), |m| format!("{m:.2}"));
        println!(
            "{:>5} {:>11.1} {:>8.1} {:>7} {:>8} {:>8} {:>10} {:>10}",
            r.calls,
            r.rss_before_mb,
            r.peak_rss_mb,
            ratio(r.peak_rss_mb, reference.peak_rss_mb),
            f(p.as_ref().map(|p| p.added)),
            f(p.as_ref().map(|p| p.inputs)),
            f(p.as_ref().map(|p| p.recorded)),
            f(p.as_ref().map(|p| p.state)),
        );
    }

    println!(
        "\n| calls | typed = spoken, lost | phrase to speech, idle: mean / p95 (x N=1) | all phrases: mean / max | tick late p99 / max (x N=1), ticks a frame late | call drift at end | wall / audio | CPU per call-second (x N=1), per added call | cores busy: mean / peak 1 s (other processes) | peak RSS (x N=1) | RSS per added call: all / the call itself |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let delivered = if r.spoken == r.typed && r.typed == r.expected {
            format!("{} = {}, {}", r.typed, r.spoken, r.lost)
        } else {
            format!(
                "{} of {} typed, {} spoken, {} lost",
                r.typed, r.expected, r.spoken, r.lost
            )
        };
        let ended = if r.ended < r.calls || r.ended_otherwise > 0 {
            format!(
                " ({} of {} ended cleanly)",
                r.ended - r.ended_otherwise,
                r.calls
            )
        } else {
            String::new()
        };
        let memory = per_call(r, reference).map_or("-".into(), |p| {
            format!("{:.2} / {:.2} MB", p.added, p.state)
        });
        println!(
            "| {} | {delivered}{ended} | {:.0} / {:.0} ms ({} / {}) | {:.0} / {:.0} ms | {:.1} / {:.0} ms ({}), {:.2} % | {:.0} ms | {:.3} | {:.2} ms ({}), {} | {:.2} / {:.2} ({:.2}) | {:.0} MB ({}) | {memory} |",
            r.calls,
            r.idle_mean_ms,
            r.idle_p95_ms,
            ratio(r.idle_mean_ms, reference.idle_mean_ms),
            ratio(r.idle_p95_ms, reference.idle_p95_ms),
            r.all_mean_ms,
            r.all_worst_ms,
            r.late_p99_ms,
            r.late_max_ms,
            ratio(r.late_p99_ms, reference.late_p99_ms),
            100.0 * r.late_frame_share,
            r.drift_max_ms,
            r.realtime(),
            r.cpu_ms_per_call_s(),
            ratio(r.cpu_ms_per_call_s(), reference.cpu_ms_per_call_s()),
            r.cpu_ms_per_added_call(reference)
                .map_or("-".into(), |m| format!("{m:.2} ms")),
            r.cores_busy(),
            r.peak_cores,
            r.others_cores,
            r.peak_rss_mb,
            ratio(r.peak_rss_mb, reference.peak_rss_mb),
        );
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn main() {
    if let Ok(n) = std::env::var(CHILD_CALLS) {
        let n: usize = n.parse().expect("RELAYGATE_TEXT_PATH_CALLS is a number");
        let model =
            PathBuf::from(std::env::var_os(CHILD_MODEL).expect("the parent names the model"));
        child(n.max(1), &model);
        return;
    }
    let list = std::env::var("CALLS").unwrap_or_else(|_| DEFAULT_CALLS.into());
    let mut ns: Vec<usize> = list
        .split_whitespace()
        .map(|w| {
            w.parse()
                .expect("CALLS is a list of numbers, e.g. \"1 50 200\"")
        })
        .filter(|&n| n > 1)
        .collect();
    // The reference comes first, whatever the list says; then the rest
    // in order, so RSS per added call reads down the table.
    ns.sort_unstable();
    ns.dedup();
    ns.insert(0, 1);
    let model = common::stt::model("tiny.en");
    let mut rows = Vec::new();
    let mut failed = false;
    for &n in &ns {
        let t = Instant::now();
        match run_child(n, &model) {
            Some(row) => {
                eprintln!(
                    "text_path: {n} calls in {:.1} s, {} of {} characters spoken, {} lost, {} never reached the relay; other processes took {:.2} cores",
                    t.elapsed().as_secs_f64(),
                    row.spoken,
                    row.expected,
                    row.lost,
                    row.missing,
                    row.others_cores
                );
                if n <= MUST_HOLD && row.fails() {
                    failed = true;
                }
                rows.push(row);
            }
            None => failed |= n <= MUST_HOLD,
        }
    }
    if rows.first().is_none_or(|r| r.calls != 1) {
        eprintln!("text_path: the reference run (1 call) failed");
        std::process::exit(1);
    }
    print_tables(&rows);
    if failed {
        eprintln!(
            "text_path: characters were lost, or a run failed, at {MUST_HOLD} calls or fewer"
        );
        std::process::exit(1);
    }
}
