//! `cargo bench --bench relay`: the relay core's cost per call on the
//! text path, and how busy it keeps the TTY line.
//!
//! A scripted five-minute conversation (a TTY typing at Baudot speed, an
//! agent speaking at 15 characters a second in commits of a few words)
//! runs through `relaygate::relay::Call` on a virtual clock ticking every
//! 20 ms, as the call runner drives it. The reference in the same run is
//! the cheapest possible loop over the same ticks and inputs (no relay),
//! so the ratio shows what the relay itself costs. Prints Markdown for
//! docs/benchmarks.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use relaygate::relay::{Call, Output, RelayConfig};

const TICK: Duration = Duration::from_millis(20);
const CALL_SECONDS: u64 = 300;

const TYPED: &str = "HI I HAVE A QUESTION ABT MY BILL PLS. I WAS CHARGED TWICE FOR THE SAME \
    ORDER AND I NEED ONE OF THEM REFUNDED ASAP. MY ACCOUNT NBR IS 88214-07 GA ";
const SPOKEN: &str = "thanks for waiting I can see the two charges on your card from the \
    fourteenth of March and I have already started a refund for the second one it should \
    show up on your statement within three to five working days and you will get an email \
    to confirm it is there anything else I can help you with today";

/// Inputs of one call: (time, typed char) and (time, agent commit).
struct Script {
    typed: Vec<(Duration, String)>,
    spoken: Vec<(Duration, String)>,
}

fn script() -> Script {
    let mut typed = Vec::new();
    let mut spoken = Vec::new();
    let mut t = Duration::from_secs(2);
    // Turns: the TTY types a paragraph, then the agent answers.
    while t < Duration::from_secs(CALL_SECONDS - 60) {
        for c in TYPED.chars() {
            typed.push((t, c.to_string()));
            t += Duration::from_millis(165);
        }
        t += Duration::from_secs(2);
        let words: Vec<&str> = SPOKEN.split(' ').collect();
        for chunk in words.chunks(3) {
            let text = chunk.join(" ");
            t += Duration::from_millis((text.len() as u64 + 1) * 1000 / 15);
            spoken.push((t, text));
        }
        t += Duration::from_secs(30);
    }
    Script { typed, spoken }
}

/// Runs one call; returns (TTY characters printed, their print times).
fn run_call(s: &Script, with_relay: bool) -> (usize, Vec<Duration>) {
    let mut call = Call::new(RelayConfig::default(), Duration::ZERO);
    call.handle_agent_joined(Duration::ZERO);
    let (mut ti, mut si) = (0, 0);
    let mut printed = Vec::new();
    let mut in_flight: Vec<u64> = Vec::new();
    let mut now = Duration::ZERO;
    let mut count = 0usize;
    while now < Duration::from_secs(CALL_SECONDS) {
        now += TICK;
        while ti < s.typed.len() && s.typed[ti].0 <= now {
            if with_relay {
                call.handle_tty_text(&s.typed[ti].1, now);
            } else {
                count += black_box(s.typed[ti].1.len());
            }
            ti += 1;
        }
        while si < s.spoken.len() && s.spoken[si].0 <= now {
            if with_relay {
                call.handle_agent_voice(true, now);
                call.handle_agent_speech(&s.spoken[si].1, now);
            } else {
                count += black_box(s.spoken[si].1.len());
            }
            si += 1;
        }
        if !with_relay {
            continue;
        }
        if si > 0 && s.spoken[si - 1].0 + Duration::from_secs(1) < now {
            call.handle_agent_voice(false, now);
        }
        // The agent leg plays each utterance at once (cost is the relay's).
        for id in in_flight.drain(..) {
            call.handle_speech_started(id, now);
            call.handle_speech_finished(id, now);
        }
        call.handle_timeout(now);
        while let Some(out) = call.poll_output() {
            match out {
                Output::Tty(_) => printed.push(now),
                Output::Speak(u) => in_flight.push(u.id),
                _ => {}
            }
        }
    }
    black_box(count);
    (printed.len(), printed)
}

fn main() {
    let s = script();
    let calls = 200;
    // Warm up, then time the relay and the bare loop on the same script.
    run_call(&s, true);
    let t = Instant::now();
    let mut printed = (0, Vec::new());
    for _ in 0..calls {
        printed = run_call(black_box(&s), true);
    }
    let relay = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..calls {
        run_call(black_box(&s), false);
    }
    let bare = t.elapsed().as_secs_f64();

    let call_seconds = (calls as u64 * CALL_SECONDS) as f64;
    println!("## Relay core ({calls} calls of {CALL_SECONDS} s each, text path, one thread)\n");
    println!("| loop | CPU seconds | per call-second | concurrent calls per core |");
    println!("|---|---|---|---|");
    for (name, secs) in [("relay core", relay), ("bare tick loop (reference)", bare)] {
        println!(
            "| {name} | {secs:.3} | {:.2} µs | {:.0} |",
            secs / call_seconds * 1e6,
            call_seconds / secs
        );
    }
    println!("\nrelay / bare loop time ratio: {:.1}", relay / bare);

    // Printing utilisation while a backlog lasts: characters printed over
    // the characters the line could print in the same span.
    let times = &printed.1;
    let cps = RelayConfig::default().tty_chars_per_second;
    let mut busy_chars = 0usize;
    let mut busy_span = 0.0;
    let mut run_start = 0;
    for i in 1..=times.len() {
        let gap = if i < times.len() {
            (times[i] - times[i - 1]).as_secs_f64()
        } else {
            f64::MAX
        };
        // A gap of more than two character times ends a busy run.
        if gap > 2.0 / cps {
            if i - run_start > 20 {
                busy_chars += i - run_start - 1;
                busy_span += (times[i - 1] - times[run_start]).as_secs_f64();
            }
            run_start = i;
        }
    }
    println!(
        "\nTTY printing utilisation during backlogs: {:.1} % of the Baudot maximum ({cps:.2} characters/s)",
        100.0 * busy_chars as f64 / (busy_span * cps)
    );
}
