//! How many CPU threads each live whisper decode gets.
//!
//! This module owns that one choice. It is sans-IO: the edge that runs
//! the engine times each decode and reports the time here, and asks
//! before each decode how many threads to use. It never reads the clock
//! and never runs the engine.
//!
//! Why the choice is measured rather than configured: on an idle 2-core
//! machine a lone stream decodes about 1.8 times faster with two threads
//! than with one. But ggml's worker threads spin at every barrier, so when
//! another process holds one of the cores, two threads make each decode
//! several times slower than one. Which is faster depends on what else
//! the machine runs, and that changes during a call.
//!
//! The policy:
//!
//! - Candidates are 1, 2, 4 and 8 threads, up to the allowed maximum.
//! - Each candidate's cost is the decode time per second of audio, with a
//!   fixed [`OVERHEAD`] added to the audio so short and long windows
//!   compare (measured with tiny.en on 2 to 11 s windows, decode time
//!   grows in proportion to the audio plus about 1.5 s).
//! - Unmeasured candidates are tried first, fewest threads first, and only
//!   on short windows, so a bad try costs little.
//! - After that, the cheapest candidate is used. Another one replaces it
//!   only when it is at least [`SWITCH_MARGIN`] cheaper, so noise does not
//!   flip the choice back and forth.
//! - The one in use is measured on every decode, so when load arrives its
//!   cost rises and the choice moves away. The others are measured again
//!   by a probe every [`PROBE_EVERY`] decodes. A probe that loses doubles
//!   the wait before the next (up to [`PROBE_EVERY_MAX`]), so on a busy
//!   machine slow probes stay rare; a probe that wins resets it.
//! - Measuring alone reacts only after a slow decode, and one decode with
//!   spinning threads on a core another process holds can take seconds
//!   (3.5 s for 3.7 s of audio, against 0.5 s with one thread, next to a
//!   test using both cores). So where the edge can tell how much CPU
//!   other processes use ([`CpuSample`]), the thread count is also capped
//!   to the cores they leave free: with [`BUSY_CORE`] of a core or more
//!   taken, a core counts as taken.
//!
//! The choice sees other processes, not the speech engine in this one,
//! whose first clause is what the agent waits for. Live decodes therefore
//! also run at a lower scheduling priority than the rest of the process
//! ([`decode_nice`]; the edge applies it): on the cores they share, the
//! speech engine and the call loop run first, and a decode takes what
//! they leave. This needs no word between calls, so it holds with any
//! number of streams on one machine.

/// Seconds added to a window's audio when comparing decode times.
pub const OVERHEAD: f64 = 1.5;

/// A candidate must be this much cheaper (as a fraction) to take over.
pub const SWITCH_MARGIN: f64 = 0.1;

/// Decodes between probes of the candidates not in use, at first.
pub const PROBE_EVERY: u32 = 12;

/// The longest wait between probes, in decodes.
pub const PROBE_EVERY_MAX: u32 = 48;

/// Probes and first tries happen only on windows at most this long
/// (seconds), where even a slow decode is short.
pub const PROBE_MAX_AUDIO: f64 = 5.0;

/// Weight of a new measurement of the candidate in use.
const SMOOTHING: f64 = 0.3;

/// Share of a core other processes must use for it to count as taken.
pub const BUSY_CORE: f64 = 0.3;

/// Samples closer together than this (seconds) are not compared: the
/// kernel counts CPU time in 10 ms ticks.
const MIN_SAMPLE_GAP: f64 = 0.25;

/// Nice steps live decodes run below the thread that starts them: as far
/// as they go. On two cores with a decode running all the time, the
/// neural voice's first clause took twice its idle time at equal
/// priority (238 ms against 119 ms for 10 words), 16 % more 10 steps
/// down (138 ms) and its idle time at 19 (116 ms), while the decodes ran
/// no slower (3.7 a second, against 3.5 at equal priority). A decode
/// with the cores to itself runs as fast as ever.
pub const DECODE_NICENESS: i32 = 19;

/// The lowest priority a thread can have (the highest nice value).
const LOWEST_NICE: i32 = 19;

/// The nice value for the decoder thread, given the one it starts with.
pub fn decode_nice(current: i32) -> i32 {
    current.saturating_add(DECODE_NICENESS).min(LOWEST_NICE)
}

/// CPU time used so far, read by the edge before a decode. All in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuSample {
    /// When the sample was taken, on any clock that only goes forward.
    pub at: f64,
    /// CPU time every process on the cores this one may use has had.
    pub machine_busy: f64,
    /// CPU time this process has had, all its threads.
    pub own_busy: f64,
}

/// How the number of whisper threads is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadSetting {
    /// Always this many threads.
    Fixed(usize),
    /// Measured per decode, up to this many.
    Auto {
        /// Most threads one decode may get.
        max: usize,
    },
}

impl ThreadSetting {
    /// Measured choice over the machine's cores, up to 8.
    pub fn auto_for_cores(cores: usize) -> Self {
        ThreadSetting::Auto {
            max: cores.clamp(1, 8),
        }
    }
}

/// The per-decode thread choice for one stream.
#[derive(Debug, Clone)]
pub struct ThreadChoice {
    candidates: Vec<Candidate>,
    /// Index of the candidate in use.
    current: usize,
    /// Decodes since the last probe.
    since_probe: u32,
    probe_every: u32,
    /// The candidate index being probed by the decode in flight.
    probing: Option<usize>,
    /// Which side of `current` the next probe tries (alternates).
    probe_up: bool,
    /// Most threads the cores other processes leave free allow.
    cap: usize,
    last_sample: Option<CpuSample>,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    threads: usize,
    cost: Option<f64>,
}

impl ThreadChoice {
    /// A choice for `setting`.
    pub fn new(setting: ThreadSetting) -> Self {
        let threads: Vec<usize> = match setting {
            ThreadSetting::Fixed(n) => vec![n.max(1)],
            ThreadSetting::Auto { max } => [1, 2, 4, 8]
                .into_iter()
                .filter(|&n| n <= max.max(1))
                .collect(),
        };
        ThreadChoice {
            candidates: threads
                .into_iter()
                .map(|threads| Candidate {
                    threads,
                    cost: None,
                })
                .collect(),
            current: 0,
            since_probe: 0,
            probe_every: PROBE_EVERY,
            probing: None,
            probe_up: true,
            cap: usize::MAX,
            last_sample: None,
        }
    }

    /// How much CPU time has been used, machine-wide and by this process,
    /// up to now. Call before [`next`](Self::next) where the platform can
    /// tell; without samples, only measured decode times count.
    pub fn observe_cpu(&mut self, sample: CpuSample) {
        let Some(last) = self.last_sample else {
            self.last_sample = Some(sample);
            return;
        };
        let dt = sample.at - last.at;
        if !dt.is_finite() || dt < 0.0 {
            self.last_sample = Some(sample);
            return;
        }
        if dt < MIN_SAMPLE_GAP {
            return;
        }
        self.last_sample = Some(sample);
        let others =
            ((sample.machine_busy - last.machine_busy) - (sample.own_busy - last.own_busy)) / dt;
        if !others.is_finite() {
            return;
        }
        let largest = self.candidates.last().map_or(1, |c| c.threads);
        let taken = (others.max(0.0) + (1.0 - BUSY_CORE)).floor() as usize;
        let cap = largest.saturating_sub(taken).max(1);
        if cap > self.cap {
            // Cores came free: try the larger counts again soon.
            self.probe_every = PROBE_EVERY;
            self.since_probe = self.since_probe.max(PROBE_EVERY);
        }
        self.cap = cap;
    }

    /// Candidates the free cores allow (always at least the first).
    fn allowed(&self) -> usize {
        self.candidates
            .iter()
            .take_while(|c| c.threads <= self.cap)
            .count()
            .max(1)
    }

    /// Threads for the next decode, of `audio_secs` seconds of audio.
    /// Every call must be followed by one [`record`](Self::record) of
    /// that decode before the next call.
    pub fn next(&mut self, audio_secs: f64) -> usize {
        self.probing = None;
        let allowed = self.allowed();
        if self.current >= allowed {
            self.current = self.cheapest_of(allowed);
        }
        if allowed > 1 && audio_secs <= PROBE_MAX_AUDIO {
            if let Some(i) = self.candidates[..allowed]
                .iter()
                .position(|c| c.cost.is_none())
            {
                self.probing = Some(i);
            } else if self.since_probe >= self.probe_every {
                self.probing = Some(self.probe_target(allowed));
            }
        }
        let i = self.probing.unwrap_or(self.current);
        self.candidates[i].threads
    }

    /// The decode asked for by the last [`next`](Self::next) used
    /// `threads` threads on `audio_secs` of audio and took `elapsed_secs`.
    pub fn record(&mut self, threads: usize, audio_secs: f64, elapsed_secs: f64) {
        let Some(i) = self.candidates.iter().position(|c| c.threads == threads) else {
            return;
        };
        if !elapsed_secs.is_finite() || elapsed_secs < 0.0 || !audio_secs.is_finite() {
            return;
        }
        let cost = elapsed_secs / (audio_secs.max(0.0) + OVERHEAD);
        let probed = self.probing.take() == Some(i) && i != self.current;
        let c = &mut self.candidates[i];
        c.cost = Some(match c.cost {
            // A probe's figure replaces an old one: the old one may be
            // from before the load changed.
            Some(old) if !probed => old + SMOOTHING * (cost - old),
            _ => cost,
        });
        if probed {
            self.since_probe = 0;
        } else {
            self.since_probe = self.since_probe.saturating_add(1);
        }
        let before = self.current;
        self.current = self.cheapest_of(self.allowed());
        if probed {
            self.probe_every = if self.current == before {
                (self.probe_every * 2).min(PROBE_EVERY_MAX)
            } else {
                PROBE_EVERY
            };
        }
    }

    /// Threads the choice currently settles on (not counting probes).
    pub fn settled(&self) -> usize {
        self.candidates[self.current].threads
    }

    /// The cheapest of the first `allowed` candidates; the one in use
    /// unless another is clearly cheaper.
    fn cheapest_of(&self, allowed: usize) -> usize {
        let cost = |i: usize| self.candidates[i].cost.unwrap_or(f64::INFINITY);
        let best = (0..allowed)
            .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
            .unwrap_or(0);
        if self.current < allowed && cost(best) >= cost(self.current) * (1.0 - SWITCH_MARGIN) {
            self.current
        } else {
            best
        }
    }

    /// A neighbour of the candidate in use among the first `allowed`,
    /// alternating sides.
    fn probe_target(&mut self, allowed: usize) -> usize {
        let last = allowed - 1;
        let up = (self.current < last).then_some(self.current + 1);
        let down = self.current.checked_sub(1);
        let pick = match (up, down) {
            (Some(u), Some(d)) => {
                if self.probe_up {
                    u
                } else {
                    d
                }
            }
            (Some(u), None) => u,
            (None, Some(d)) => d,
            (None, None) => self.current,
        };
        self.probe_up = !self.probe_up;
        pick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `n` decodes of `secs` audio where `threads` threads take
    /// `speed(threads)` seconds per (audio + overhead) second; returns the
    /// threads used by each.
    fn run(
        choice: &mut ThreadChoice,
        n: usize,
        secs: f64,
        speed: impl Fn(usize) -> f64,
    ) -> Vec<usize> {
        (0..n)
            .map(|_| {
                let t = choice.next(secs);
                choice.record(t, secs, speed(t) * (secs + OVERHEAD));
                t
            })
            .collect()
    }

    /// Idle 2-core machine: two threads 1.8 times faster.
    fn idle(t: usize) -> f64 {
        if t >= 2 { 0.035 } else { 0.063 }
    }

    /// A busy process on one core: spinning threads crawl.
    fn loaded(t: usize) -> f64 {
        if t >= 2 { 0.4 } else { 0.09 }
    }

    #[test]
    fn a_fixed_setting_never_changes() {
        let mut c = ThreadChoice::new(ThreadSetting::Fixed(3));
        assert!(run(&mut c, 40, 2.0, loaded).iter().all(|&t| t == 3));
        let mut c = ThreadChoice::new(ThreadSetting::Fixed(0));
        assert_eq!(c.next(1.0), 1);
    }

    #[test]
    fn one_core_means_one_thread() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(1));
        assert!(run(&mut c, 30, 2.0, idle).iter().all(|&t| t == 1));
    }

    #[test]
    fn an_idle_machine_settles_on_both_cores() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(2));
        let used = run(&mut c, 100, 3.0, idle);
        assert_eq!(&used[..2], &[1, 2], "each candidate is tried once first");
        assert_eq!(c.settled(), 2);
        let ones = used[2..].iter().filter(|&&t| t == 1).count();
        assert!(ones <= 5, "probes of one thread stay rare: {ones} of 98");
    }

    #[test]
    fn load_moves_the_choice_to_one_thread_and_back() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(2));
        run(&mut c, 20, 3.0, idle);
        assert_eq!(c.settled(), 2);
        // Load arrives: the thread count in use gets measured as slow.
        let used = run(&mut c, 200, 3.0, loaded);
        assert_eq!(c.settled(), 1);
        let slow = used.iter().filter(|&&t| t == 2).count();
        assert!(slow <= 8, "{slow} of 200 decodes used the slow setting");
        // Load goes: the next probe finds two threads faster again.
        let used = run(&mut c, 100, 3.0, idle);
        assert_eq!(c.settled(), 2);
        assert!(used[60..].iter().all(|&t| t == 2));
    }

    #[test]
    fn probes_wait_for_a_short_window() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(2));
        // Only long windows: the first untried candidate waits.
        assert!(run(&mut c, 10, 11.0, idle).iter().all(|&t| t == 1));
        assert_eq!(c.next(2.0), 2, "tried on the first short window");
    }

    #[test]
    fn noise_does_not_flip_the_choice() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(2));
        run(&mut c, 4, 3.0, idle);
        let mut flips = 0;
        let mut last = c.settled();
        for k in 0..300 {
            // ±5 % noise around nearly equal speeds.
            let wobble = if k % 2 == 0 { 1.05 } else { 0.95 };
            let t = c.next(3.0);
            let speed = if t == 2 { 0.050 } else { 0.052 };
            c.record(t, 3.0, speed * wobble * (3.0 + OVERHEAD));
            if c.settled() != last {
                flips += 1;
                last = c.settled();
            }
        }
        assert!(flips <= 2, "{flips} flips");
    }

    #[test]
    fn more_cores_find_the_fastest_count() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(16));
        // Four threads best; eight spin against other work.
        let speed = |t: usize| match t {
            1 => 0.06,
            2 => 0.033,
            4 => 0.02,
            _ => 0.05,
        };
        run(&mut c, 200, 3.0, speed);
        assert_eq!(c.settled(), 4);
    }

    /// A machine whose other processes use `others` cores, sampled
    /// before each decode; decodes as in [`run`].
    struct Machine {
        at: f64,
        machine: f64,
        own: f64,
    }

    impl Machine {
        fn new() -> Self {
            Machine {
                at: 0.0,
                machine: 0.0,
                own: 0.0,
            }
        }

        fn run(
            &mut self,
            choice: &mut ThreadChoice,
            n: usize,
            secs: f64,
            others: f64,
            speed: impl Fn(usize) -> f64,
        ) -> Vec<usize> {
            (0..n)
                .map(|_| {
                    choice.observe_cpu(CpuSample {
                        at: self.at,
                        machine_busy: self.machine,
                        own_busy: self.own,
                    });
                    let t = choice.next(secs);
                    let elapsed = speed(t) * (secs + OVERHEAD);
                    choice.record(t, secs, elapsed);
                    // The decode, then the rest of a 0.8 s decode interval.
                    let wall = elapsed.max(0.8);
                    self.at += wall;
                    self.own += t as f64 * elapsed + 0.01;
                    self.machine += t as f64 * elapsed + 0.01 + others * wall;
                    t
                })
                .collect()
        }
    }

    #[test]
    fn a_busy_core_is_left_alone_before_any_decode_is_slow() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(2));
        let mut m = Machine::new();
        // Another process keeps one core busy from the start. Were two
        // threads tried they would crawl; they are never tried.
        let used = m.run(&mut c, 60, 3.0, 1.0, loaded);
        assert_eq!(used[0], 1);
        assert!(used.iter().all(|&t| t == 1), "{used:?}");
    }

    #[test]
    fn cores_coming_free_bring_two_threads_back_soon() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(2));
        let mut m = Machine::new();
        m.run(&mut c, 10, 3.0, 0.0, idle);
        assert_eq!(c.settled(), 2);
        m.run(&mut c, 100, 3.0, 0.9, loaded);
        assert_eq!(c.settled(), 1);
        let used = m.run(&mut c, 6, 3.0, 0.05, idle);
        assert_eq!(c.settled(), 2, "{used:?}");
    }

    #[test]
    fn a_light_load_does_not_take_a_core() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(2));
        let mut m = Machine::new();
        m.run(&mut c, 40, 3.0, 0.1, idle);
        assert_eq!(c.settled(), 2);
    }

    #[test]
    fn clock_trouble_in_samples_is_ignored() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(2));
        for (at, machine) in [(5.0, 1.0), (4.0, 1.0), (4.1, 9.0), (f64::NAN, 0.0)] {
            c.observe_cpu(CpuSample {
                at,
                machine_busy: machine,
                own_busy: 0.0,
            });
        }
        let t = c.next(2.0);
        c.record(t, 2.0, 0.2);
        assert_eq!(c.next(2.0), 2, "no sample pair said the cores are busy");
    }

    #[test]
    fn decodes_run_below_their_starter_within_the_nice_range() {
        assert_eq!(decode_nice(0), 19);
        assert_eq!(decode_nice(-20), -1);
        assert_eq!(decode_nice(-5), 14);
        assert_eq!(decode_nice(5), 19, "capped at the lowest priority");
        assert_eq!(decode_nice(19), 19);
    }

    #[test]
    fn nonsense_timings_are_ignored() {
        let mut c = ThreadChoice::new(ThreadSetting::auto_for_cores(2));
        let t = c.next(2.0);
        c.record(t, 2.0, f64::NAN);
        c.record(7, 2.0, 0.1);
        assert_eq!(c.next(2.0), t, "still untried");
    }
}
