//! `cargo bench --bench slow_mode`: what slow mode costs per call, and
//! the latency the stretcher adds beyond the stretch itself.
//!
//! Cost: 60 s of one side of a call, synthetic voiced speech (harmonic
//! syllables with a Hann envelope, sentences with pauses, turns of about
//! 12 s with 8 s of listening between, a -35 dBFS talker so the AGC works)
//! runs through `relaygate::slow::SlowMode` (level, then stretch at
//! 0.7x), one frame pushed and one pulled per 20 ms tick, as a call
//! drives it. The reference in the same run is G.711 u-law encoding and
//! decoding of the same frames, which every call already does. Times are
//! the best of several runs on one thread (wall time on an idle core is
//! CPU time); the fraction of a core is time / 60 s.
//!
//! Latency: after 2 s of silence (queue empty), a speech onset enters;
//! the figure is how far behind, in the output stream, its first sample
//! leaves, at each speed. 0 ms means it leaves in the tick it entered.
//! Prints Markdown for docs/benchmarks.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use relaygate::audio::g711::{ulaw_decode, ulaw_encode};
use relaygate::slow::{Level, LevelConfig, SPEEDS, SlowMode, StretchConfig, Stretcher};

const FRAME: usize = 160;
type Frame = [i16; FRAME];
const CALL_SECONDS: usize = 60;
const RUNS: usize = 7;

/// `seconds` of one side of a call: agent turns of about 12 s
/// (sentences of 6 to 14 syllables at 100 to 190 Hz, pauses of 300 ms
/// to 1.5 s), each followed by 8 s of the agent listening; faint hiss
/// throughout.
fn speech(seconds: usize) -> Vec<Frame> {
    let total = seconds * 8000;
    let mut s: Vec<i16> = Vec::with_capacity(total);
    let mut rng = 0x2545_f491u32;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        rng
    };
    let amp = 32768.0 * 10f32.powf(-35.0 / 20.0) * 2.0;
    let mut turn_start = 0;
    while s.len() < total {
        let syllables = 6 + next() % 9;
        let f0 = 100.0 + (next() % 90) as f32;
        for _ in 0..syllables {
            let len = 1200 + (next() % 800) as usize;
            for i in 0..len {
                let env = (std::f32::consts::PI * i as f32 / len as f32).sin().powi(2);
                let t = s.len() as f32 / 8000.0;
                let mut v = 0.0;
                for k in 1..=10 {
                    v += (2.0 * std::f32::consts::PI * f0 * k as f32 * t).sin() / k as f32;
                }
                s.push((amp * env * v / 2.0) as i16);
            }
            s.extend(std::iter::repeat_n(0, 300 + (next() % 400) as usize));
        }
        if s.len() - turn_start > 12 * 8000 {
            s.extend(std::iter::repeat_n(0, 8 * 8000));
            turn_start = s.len();
        } else {
            s.extend(std::iter::repeat_n(0, 2400 + (next() % 9600) as usize));
        }
    }
    s.truncate(total);
    for x in s.iter_mut() {
        *x = x.saturating_add((next() % 7) as i16 - 3);
    }
    s.chunks_exact(FRAME)
        .map(|c| {
            let mut f = [0i16; FRAME];
            f.copy_from_slice(c);
            f
        })
        .collect()
}

/// Best wall time of `RUNS` runs of `f`.
fn best(mut f: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn g711_call(frames: &[Frame]) {
    for f in frames {
        let mut out = [0i16; FRAME];
        for (o, &s) in out.iter_mut().zip(f.iter()) {
            *o = ulaw_decode(ulaw_encode(s));
        }
        black_box(out);
    }
}

/// One call through level and stretch; returns the largest lag seen.
fn slow_call(frames: &[Frame], speed: f32) -> u32 {
    let mut slow = SlowMode::new(
        LevelConfig::default(),
        StretchConfig {
            start_speed: speed,
            ..StretchConfig::default()
        },
    )
    .expect("libsonic");
    let mut max_lag = 0;
    for f in frames {
        slow.push_frame(black_box(f)).expect("push");
        black_box(slow.pull_frame());
        max_lag = max_lag.max(slow.stretch().lag_ms());
    }
    max_lag
}

fn level_call(frames: &[Frame]) {
    let mut level = Level::new(LevelConfig::default());
    for f in frames {
        black_box(level.process(black_box(f)));
    }
}

/// Output-stream delay of a speech onset after silence, in ms.
fn onset_latency(speed: f32) -> f32 {
    let mut st = Stretcher::new(StretchConfig {
        start_speed: speed,
        ..StretchConfig::default()
    })
    .expect("libsonic");
    let silence = [0i16; FRAME];
    // Warm up with 2 s of speech, then silence until the queue is empty.
    for f in speech(2) {
        st.push_frame(&f).expect("push");
        st.pull_frame();
    }
    for _ in 0..1000 {
        st.push_frame(&silence).expect("push");
        st.pull_frame();
        if st.lag_ms() == 0 {
            break;
        }
    }
    for _ in 0..10 {
        st.push_frame(&silence).expect("push");
        st.pull_frame();
    }
    assert_eq!(st.lag_ms(), 0, "queue should be empty");
    // A 200 Hz tone at -15 dBFS from its first sample; its onset is the
    // first sample over 1000 (the hiss of the warm-up is far below).
    let mut onset = [0i16; FRAME];
    for (i, s) in onset.iter_mut().enumerate() {
        *s = ((i as f32 * 2.0 * std::f32::consts::PI * 200.0 / 8000.0).sin() * 8000.0) as i16;
    }
    let loud = |f: &Frame| f.iter().position(|s| s.unsigned_abs() > 1000);
    let entered = loud(&onset).unwrap_or(0);
    for tick in 0..50usize {
        st.push_frame(&onset).expect("push");
        let out = st.pull_frame();
        if let Some(i) = loud(&out) {
            return (tick * FRAME + i).saturating_sub(entered) as f32 / 8.0;
        }
    }
    f32::INFINITY
}

fn main() {
    let frames = speech(CALL_SECONDS);
    let call = Duration::from_secs(CALL_SECONDS as u64);
    let reference = best(|| g711_call(&frames));
    let level = best(|| level_call(&frames));
    let mut rows = Vec::new();
    for speed in SPEEDS {
        let mut max_lag = 0;
        let t = best(|| max_lag = slow_call(&frames, speed));
        rows.push((speed, t, max_lag));
    }
    let core = |t: Duration| 100.0 * t.as_secs_f64() / call.as_secs_f64();
    println!("## Slow mode (`cargo bench --bench slow_mode`)\n");
    println!(
        "{CALL_SECONDS} s of a call (synthetic voiced speech in ~12 s turns, 8 s of listening \
         between), one 20 ms frame in and out a tick; best of {RUNS} runs.\n"
    );
    println!("| stage | time per call | share of one core | vs G.711 |");
    println!("|---|---|---|---|");
    let r = reference.as_secs_f64();
    println!(
        "| reference: G.711 u-law encode + decode | {:.2} ms | {:.4} % | 1.0x |",
        r * 1e3,
        core(reference)
    );
    println!(
        "| level (AGC + limiter) only | {:.2} ms | {:.4} % | {:.1}x |",
        level.as_secs_f64() * 1e3,
        core(level),
        level.as_secs_f64() / r
    );
    for (speed, t, _) in &rows {
        println!(
            "| level + stretch at {speed}x | {:.2} ms | {:.4} % | {:.1}x |",
            t.as_secs_f64() * 1e3,
            core(*t),
            t.as_secs_f64() / r
        );
    }
    println!("\nGoal: at most 1 % of a core per call.\n");
    println!("| speed | onset latency added | largest lag in the call (3 s bound) |");
    println!("|---|---|---|");
    for (speed, _, max_lag) in &rows {
        println!(
            "| {speed}x | {:.1} ms | {max_lag} ms |",
            onset_latency(*speed)
        );
    }
    println!(
        "\nOnset latency: how far behind real time the first sample of speech after \
         a silence leaves (empty queue), beyond the stretch itself. Goal: at most 60 ms."
    );
}
