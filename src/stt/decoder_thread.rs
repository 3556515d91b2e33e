//! The edge that runs whisper for one live stream: an OS thread that owns
//! the engine, takes [`DecodeJob`]s and hands back hypotheses.
//!
//! This module owns the engine while the stream lives, the timing of each
//! decode and the per-decode thread choice ([`ThreadChoice`]). It does not
//! schedule decodes or commit words (the sans-IO
//! [`StreamingTranscriber`](super::streaming::StreamingTranscriber) does)
//! and does not know where results go: the caller passes a sink, so a
//! blocking loop and an async task can both use it. whisper runs on a
//! plain thread because a decode blocks for up to a second.

use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use super::Segment;
use super::error::SttError;
use super::streaming::DecodeJob;
use super::thread_choice::{CpuSample, ThreadChoice, ThreadSetting};
use super::whisper::{Request, WhisperEngine};

/// Threads measured per decode, up to this machine's cores.
pub fn auto_threads() -> ThreadSetting {
    ThreadSetting::auto_for_cores(std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The engine's answer to one job.
#[derive(Debug)]
pub struct Hypothesis {
    /// The job's id, for
    /// [`StreamingTranscriber::handle_hypothesis`](super::streaming::StreamingTranscriber::handle_hypothesis).
    pub job: u64,
    /// Words of the hypothesis, or why the decode failed.
    pub result: Result<Vec<Segment>, SttError>,
}

/// A running decoder thread. Dropping it lets the thread finish the job
/// in hand and waits for it.
#[derive(Debug)]
pub struct DecoderThread {
    jobs: Option<mpsc::Sender<DecodeJob>>,
    handle: Option<JoinHandle<()>>,
}

/// The decoder thread has stopped: its sink refused a result, or the
/// engine panicked.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the speech decoder thread stopped")]
pub struct DecoderStopped;

impl DecoderThread {
    /// Starts a thread that decodes each job with `engine` through
    /// [`WhisperEngine::transcribe_live`], choosing its CPU threads by
    /// `threads`, and gives each result to `sink`. The thread ends when
    /// the `DecoderThread` is dropped or `sink` returns `false`.
    pub fn spawn<F>(engine: WhisperEngine, threads: ThreadSetting, sink: F) -> io::Result<Self>
    where
        F: FnMut(Hypothesis) -> bool + Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<DecodeJob>();
        let handle = std::thread::Builder::new()
            .name("whisper".into())
            .spawn(move || decode_loop(engine, ThreadChoice::new(threads), rx, sink))?;
        Ok(DecoderThread {
            jobs: Some(tx),
            handle: Some(handle),
        })
    }

    /// Queues a job. Jobs are decoded in order, one at a time.
    pub fn send(&self, job: DecodeJob) -> Result<(), DecoderStopped> {
        self.jobs
            .as_ref()
            .ok_or(DecoderStopped)?
            .send(job)
            .map_err(|_| DecoderStopped)
    }
}

impl Drop for DecoderThread {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(h) = self.handle.take() {
            // A panic in the engine has already been reported by the
            // panic hook; there is nothing left to clean up.
            let _ = h.join();
        }
    }
}

fn decode_loop(
    mut engine: WhisperEngine,
    mut choice: ThreadChoice,
    jobs: mpsc::Receiver<DecodeJob>,
    mut sink: impl FnMut(Hypothesis) -> bool,
) {
    let cpu = CpuClock::new();
    while let Ok(job) = jobs.recv() {
        if let Some(sample) = cpu.as_ref().and_then(CpuClock::sample) {
            choice.observe_cpu(sample);
        }
        let secs = job.audio.len() as f64 / 16_000.0;
        let threads = choice.next(secs);
        let request = Request {
            audio_ctx: Some(job.audio_ctx),
            threads: Some(threads),
        };
        let started = Instant::now();
        let result = engine.transcribe_live(&job.audio, &request);
        let elapsed = started.elapsed().as_secs_f64();
        if result.is_ok() {
            choice.record(threads, secs, elapsed);
        }
        tracing::debug!(
            job = job.id,
            audio_s = secs,
            threads,
            decode_s = elapsed,
            "decoded"
        );
        if !sink(Hypothesis {
            job: job.id,
            result,
        }) {
            // Refuse further jobs before the sink (and whatever it holds)
            // goes, so a caller that sees the sink's channel close finds
            // `send` failing too.
            drop(jobs);
            return;
        }
    }
}

/// Reads CPU time from Linux's `/proc`: the whole machine's from
/// `/proc/stat`, this process's from `/proc/self/stat`.
struct CpuClock {
    origin: Instant,
}

/// The kernel reports CPU time in these ticks per second (`USER_HZ`,
/// fixed at 100 in the Linux ABI on the architectures it runs on).
const TICKS_PER_SECOND: f64 = 100.0;

impl CpuClock {
    /// `None` where `/proc` cannot tell what other processes leave free:
    /// not Linux, or a container that sees more cores in `/proc/stat`
    /// than it may use (the other cores' load is not its concern).
    fn new() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cores = stat
            .lines()
            .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
            .count();
        let usable = std::thread::available_parallelism().ok()?.get();
        let clock = CpuClock {
            origin: Instant::now(),
        };
        (cores == usable && clock.sample().is_some()).then_some(clock)
    }

    fn sample(&self) -> Option<CpuSample> {
        let at = self.origin.elapsed().as_secs_f64();
        let machine = machine_busy_ticks(&std::fs::read_to_string("/proc/stat").ok()?)?;
        let own = process_busy_ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
        Some(CpuSample {
            at,
            machine_busy: machine as f64 / TICKS_PER_SECOND,
            own_busy: own as f64 / TICKS_PER_SECOND,
        })
    }
}

/// Busy ticks of all cores from `/proc/stat`'s first line: user, nice,
/// system, irq and softirq (idle, iowait and steal are not work done
/// here; guest time is already inside user).
fn machine_busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let f: Vec<u64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    Some(f.first()? + f.get(1)? + f.get(2)? + f.get(5)? + f.get(6)?)
}

/// User plus system ticks of this process, all threads, from
/// `/proc/self/stat` (fields 14 and 15; the name in parentheses may hold
/// spaces, so fields are counted after its closing parenthesis).
fn process_busy_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name, field 3 (state) is at index 0.
    let utime: u64 = f.get(14 - 3)?.parse().ok()?;
    let stime: u64 = f.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_lines_are_read_as_the_kernel_writes_them() {
        let stat = "cpu  1098710 0 63857 741354 2127 0 279 250 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        assert_eq!(machine_busy_ticks(stat), Some(1098710 + 63857 + 279));
        assert_eq!(machine_busy_ticks("cpu0 1 2 3\n"), None);
        assert_eq!(machine_busy_ticks("cpu  1 x 3 4 5 6 7\n"), None);
        let me = "4242 (whisper (x) y) R 1 4242 4242 0 -1 4194560 100 0 0 0 350 27 0 0 20 0 3 0";
        assert_eq!(process_busy_ticks(me), Some(377));
        assert_eq!(process_busy_ticks("4242 (cut short) R 1"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_sampled_from_proc() {
        let own = process_busy_ticks(&std::fs::read_to_string("/proc/self/stat").expect("read"));
        assert!(own.is_some());
        let machine = machine_busy_ticks(&std::fs::read_to_string("/proc/stat").expect("read"));
        assert!(machine >= own, "{machine:?} {own:?}");
    }
}
