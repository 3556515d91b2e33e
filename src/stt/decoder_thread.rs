//! The edge that runs whisper for live streams: a pool of decoder
//! threads, each owning one decoding state over the shared weights, that
//! take [`DecodeJob`]s from every stream in the order they come and hand
//! each hypothesis back to the stream that asked.
//!
//! This module owns the decoding states, the timing of each decode, the
//! per-decode thread choice ([`ThreadChoice`]) and the threads'
//! scheduling priority (below the rest of the process, see
//! [`decode_nice`]). It does not schedule decodes or commit words (the
//! sans-IO [`StreamingTranscriber`](super::streaming::StreamingTranscriber)
//! does) and does not know where results go: each stream passes a sink,
//! so a blocking loop and an async task can both use it. whisper runs on
//! plain threads because a decode blocks for up to a second.
//!
//! Why a pool and not a state per stream: a decoding state of tiny.en
//! holds about 40 MB (its key-value caches and compute buffers), and a
//! stream uses it only while one of its decodes runs, at most one at a
//! time. Decodes carry no context from one to the next (`no_context`), so
//! any state serves any stream. With as many states as cores, a call
//! costs its audio buffers, not a state, and the cores are shared out job
//! by job rather than by threads fighting for them.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Instant;

use super::Segment;
use super::error::SttError;
use super::streaming::DecodeJob;
use super::thread_choice::{CpuSample, ThreadChoice, ThreadSetting, decode_nice};
use super::whisper::{Request, WhisperEngine, WhisperModel};

/// Threads measured per decode, up to this machine's cores.
pub fn auto_threads() -> ThreadSetting {
    ThreadSetting::auto_for_cores(cores())
}

/// Threads measured per decode for each of `workers` decoders that share
/// this machine's cores: up to its share of them. Two decoders of two
/// threads each on two cores spin at each other's barriers (docs/stt.md,
/// "Whisper threads").
pub fn auto_threads_per_worker(workers: usize) -> ThreadSetting {
    ThreadSetting::auto_for_cores(cores() / workers.max(1))
}

/// Decoding states for a pool on this machine: one per core, at most
/// four (beyond that a state costs memory and a tiny.en decode gains
/// little from another worker).
pub fn auto_workers() -> usize {
    cores().min(4)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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

/// The stream has stopped: its sink refused a result, or the decoders
/// are gone (an engine panicked).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the speech decoder thread stopped")]
pub struct DecoderStopped;

type Sink = Box<dyn FnMut(Hypothesis) -> bool + Send>;

/// Where one stream's hypotheses go, and whether it still wants them.
struct StreamSink {
    open: AtomicBool,
    sink: Mutex<Option<Sink>>,
}

impl StreamSink {
    fn close(&self) {
        self.open.store(false, Ordering::Release);
        // The sink (and whatever it holds, such as a channel) goes now,
        // so a caller waiting on that channel sees it end.
        self.sink.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// Hands `h` to the sink; closes the stream when it refuses.
    fn deliver(&self, h: Hypothesis) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        let taken = sink.as_mut().is_some_and(|f| f(h));
        if !taken {
            self.open.store(false, Ordering::Release);
            sink.take();
        }
    }
}

struct Task {
    job: DecodeJob,
    stream: Arc<StreamSink>,
}

/// The pool's threads and the queue they share. Dropped when the pool
/// handle and every stream are gone: the queue closes, each thread
/// finishes the job in hand, and the drop waits for them.
struct Workers {
    jobs: Option<mpsc::Sender<Task>>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.jobs.take();
        for t in self.threads.drain(..) {
            // A panic in the engine has already been reported by the
            // panic hook; there is nothing left to clean up.
            let _ = t.join();
        }
    }
}

/// Decoder threads shared by any number of caption streams. Cloning it
/// shares the same threads.
#[derive(Clone)]
pub struct DecoderPool {
    workers: Arc<Workers>,
}

impl std::fmt::Debug for DecoderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecoderPool")
            .field("workers", &self.workers.threads.len())
            .finish()
    }
}

impl DecoderPool {
    /// Starts one thread per engine; each decodes jobs through
    /// [`WhisperEngine::transcribe_live`], choosing its CPU threads by
    /// `threads`. On Linux the threads (and the worker threads ggml
    /// starts from them) run at the lowest scheduling priority, so the
    /// speech engine and the call loops go first.
    pub fn spawn(engines: Vec<WhisperEngine>, threads: ThreadSetting) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Task>();
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::with_capacity(engines.len());
        for (i, engine) in engines.into_iter().enumerate() {
            let rx = Arc::clone(&rx);
            let handle = std::thread::Builder::new()
                .name(format!("whisper-{i}"))
                .spawn(move || decode_loop(engine, ThreadChoice::new(threads), &rx))?;
            handles.push(handle);
        }
        Ok(DecoderPool {
            workers: Arc::new(Workers {
                jobs: Some(tx),
                threads: handles,
            }),
        })
    }

    /// A pool of `workers` decoding states over `model`'s weights (at
    /// least one).
    pub fn for_model(
        model: &WhisperModel,
        workers: usize,
        threads: ThreadSetting,
    ) -> Result<Self, SttError> {
        let engines = (0..workers.max(1))
            .map(|_| model.engine())
            .collect::<Result<Vec<_>, _>>()?;
        DecoderPool::spawn(engines, threads).map_err(|e| SttError::Engine(e.to_string()))
    }

    /// How many decodes can run at once.
    pub fn workers(&self) -> usize {
        self.workers.threads.len()
    }

    /// A new stream whose hypotheses go to `sink`, one per job, in the
    /// order its jobs were sent. The stream stops when `sink` returns
    /// `false` or the [`DecodeStream`] is dropped; its jobs still queued
    /// are then skipped, not decoded.
    pub fn stream<F>(&self, sink: F) -> DecodeStream
    where
        F: FnMut(Hypothesis) -> bool + Send + 'static,
    {
        DecodeStream {
            workers: Arc::clone(&self.workers),
            sink: Arc::new(StreamSink {
                open: AtomicBool::new(true),
                sink: Mutex::new(Some(Box::new(sink))),
            }),
        }
    }
}

/// One caption stream's way into a [`DecoderPool`].
pub struct DecodeStream {
    workers: Arc<Workers>,
    sink: Arc<StreamSink>,
}

impl std::fmt::Debug for DecodeStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeStream")
            .field("open", &self.sink.is_open())
            .finish()
    }
}

impl DecodeStream {
    /// Queues a job. A stream's jobs are answered in the order sent (the
    /// streaming transcriber has at most one in flight).
    pub fn send(&self, job: DecodeJob) -> Result<(), DecoderStopped> {
        if !self.sink.is_open() {
            return Err(DecoderStopped);
        }
        self.workers
            .jobs
            .as_ref()
            .ok_or(DecoderStopped)?
            .send(Task {
                job,
                stream: Arc::clone(&self.sink),
            })
            .map_err(|_| DecoderStopped)
    }
}

impl Drop for DecodeStream {
    fn drop(&mut self) {
        self.sink.close();
    }
}

/// A pool of one engine with one stream: the whole edge for a single
/// live stream (`relaygate stt transcribe --stream`). Dropping it lets
/// the thread finish the job in hand and waits for it.
#[derive(Debug)]
pub struct DecoderThread {
    // Declared first so it drops first: the stream closes, then the
    // pool's last handle goes and its thread is joined.
    stream: DecodeStream,
    _pool: DecoderPool,
}

impl DecoderThread {
    /// Starts a thread that decodes each job with `engine`, choosing its
    /// CPU threads by `threads`, and gives each result to `sink`. The
    /// thread ends when the `DecoderThread` is dropped; after `sink`
    /// returns `false`, jobs are refused.
    pub fn spawn<F>(engine: WhisperEngine, threads: ThreadSetting, sink: F) -> io::Result<Self>
    where
        F: FnMut(Hypothesis) -> bool + Send + 'static,
    {
        let pool = DecoderPool::spawn(vec![engine], threads)?;
        Ok(DecoderThread {
            stream: pool.stream(sink),
            _pool: pool,
        })
    }

    /// Queues a job. Jobs are decoded in order, one at a time.
    pub fn send(&self, job: DecodeJob) -> Result<(), DecoderStopped> {
        self.stream.send(job)
    }
}

fn decode_loop(
    mut engine: WhisperEngine,
    mut choice: ThreadChoice,
    jobs: &Mutex<mpsc::Receiver<Task>>,
) {
    lower_priority();
    let cpu = CpuClock::new();
    loop {
        // The lock is held only while waiting: the next free thread takes
        // the next job, whichever stream sent it.
        let next = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(Task { job, stream }) = next else {
            return;
        };
        if !stream.is_open() {
            continue;
        }
        if let Some(sample) = cpu.as_ref().and_then(CpuClock::sample) {
            choice.observe_cpu(sample);
        }
        let secs = job.audio.len() as f64 / 16_000.0;
        let threads = choice.next(secs);
        let request = Request {
            audio_ctx: Some(job.audio_ctx),
            threads: Some(threads),
            prompt: job.prompt.clone(),
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
        stream.deliver(Hypothesis {
            job: job.id,
            result,
        });
    }
}

/// Lowers this thread's scheduling priority to [`decode_nice`] of what it
/// has. On Linux the nice value belongs to a thread, and a new thread
/// takes its creator's; ggml starts its worker threads from this thread
/// for every graph it computes (and leaves their priority as inherited),
/// so the whole decode runs below the speech engine and the call loop.
/// Raising a nice value needs no privilege. Where it fails anyway (a
/// sandbox that forbids the call), decodes run at normal priority.
#[cfg(target_os = "linux")]
fn lower_priority() {
    use rustix::process::{getpriority_process, setpriority_process};
    let me = Some(rustix::thread::gettid());
    let lowered =
        getpriority_process(me).and_then(|nice| setpriority_process(me, decode_nice(nice)));
    if let Err(e) = lowered {
        tracing::warn!(error = %e, "live decodes run at normal priority");
    }
}

/// Elsewhere the nice value may belong to the whole process (macOS), and
/// lowering it would slow the speech engine too, so it is left alone.
#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

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

    /// The mechanism the decoder relies on: a thread started from a
    /// lowered thread (as ggml starts its workers) runs lowered too, and
    /// the thread that started the decoder does not.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_lowered_priority_passes_to_threads_started_from_the_decoder() {
        use rustix::process::getpriority_process;
        let nice = || getpriority_process(Some(rustix::thread::gettid())).expect("getpriority");
        let before = nice();
        let (mine, child) = std::thread::spawn(move || {
            lower_priority();
            let child = std::thread::spawn(nice).join().expect("child");
            (nice(), child)
        })
        .join()
        .expect("decoder-like thread");
        assert_eq!(mine, decode_nice(before));
        assert_eq!(child, mine);
        assert_eq!(nice(), before, "only the decoder's thread is lowered");
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
