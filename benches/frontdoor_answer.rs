//! A TTY caller at the front door: from the answer to the queue's
//! INVITE with one typed answer, against the time the prompt takes to
//! print (goal, issue 14: at most the prompt's printing time plus 3 s).
//!
//! Real calls through `relaygate serve` on loopback: relaygate's software
//! TTY phone dials, reads the printed menu, waits a reaction time, types
//! `2 GA`; a software agent phone on the technical queue notes when its
//! INVITE arrives. The reference, measured in the same call, is the
//! prompt itself: from the answer to its last character on the TTY.
//!
//! ```text
//! cargo bench --bench frontdoor_answer            # 3 calls per case
//! RUNS=5 cargo bench --bench frontdoor_answer
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::sip_peer::{Server, free_port, write_config};
use common::stt::{model, temp_dir};
use relaygate::modem::session::SessionConfig;
use relaygate::softphone::{answer_one, tty_phone};

/// The contract's prompt, 19 characters.
const SHORT: &str = "BILLING 1 TECH 2 GA";
/// A prompt of 150 characters, the length the issue names (25 s at
/// 45.45 baud).
const LONG: &str = "WELCOME TO ACME PHONE SUPPORT. FOR BILLING AND PAYMENTS 1, \
                    FOR TECHNICAL HELP WITH A PHONE OR AN APP 2, FOR ORDERS AND \
                    DELIVERY 3. TYPE A NUMBER GA";
/// A fast reader's pause between the prompt's end and the first key.
/// The gateway cannot hear sooner than 0.75 s after its last tone (150
/// ms of hold, then 600 ms deaf to its own echo: docs/tty.md), so a
/// first key struck before then is lost, as with any half-duplex TTY.
const REACTION: Duration = Duration::from_millis(1000);
/// What the caller types.
const ANSWER: &str = "2 GA";

struct Case {
    name: &'static str,
    prompt: &'static str,
    /// The line's mode: `tty` prints at once, `auto` speaks until the
    /// caller's tones show a TTY.
    mode: &'static str,
}

struct Run {
    /// Answer to the first character on the TTY.
    first: Duration,
    /// Answer to the prompt's last character on the TTY.
    prompt: Duration,
    /// Answer to the queue's INVITE.
    invite: Duration,
}

fn config(prompt: &str, technical: u16, mode: &str) -> String {
    format!(
        r#"
[[queue]]
name = "billing"
uri = "sip:billing@127.0.0.1:{billing}"
[[queue]]
name = "technical"
uri = "sip:tech@127.0.0.1:{technical}"

[[line]]
user = "relay"
mode = "{mode}"

[menu]
start = "main"
[[menu.node]]
id = "main"
say = "For billing, press 1. For technical support, press 2. For orders, press 3."
type = "{prompt}"
options = {{ "1" = "queue:billing", "2" = "queue:technical", "3" = "queue:billing" }}
"#,
        billing = free_port()
    )
}

/// One call: returns its times, or why it failed.
fn one_call(sip: u16, technical: u16, case: &Case) -> Result<Run, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let agent = rt.spawn(answer_one(
        SocketAddr::from(([127, 0, 0, 1], technical)),
        vec![0; 800],
        Duration::ZERO,
        Duration::from_secs(8),
    ));
    // (when, what) for each character the TTY prints.
    let screen: Arc<Mutex<Vec<(Instant, char)>>> = Arc::default();
    let (lines, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let caller = {
        let screen = Arc::clone(&screen);
        let target = format!("sip:relay@127.0.0.1:{sip}");
        rt.spawn(async move {
            tty_phone(
                SocketAddr::from(([127, 0, 0, 1], free_port())),
                &target,
                SessionConfig::default(),
                rx,
                move |c| screen.lock().expect("screen").push((Instant::now(), c)),
                Duration::from_secs(3),
            )
            .await
        })
    };
    // The TTY leg may break a long prompt into lines: compare without
    // the breaks.
    let printed = |screen: &[(Instant, char)]| {
        screen
            .iter()
            .map(|(_, c)| *c)
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
    };
    let wanted: String = case.prompt.split_whitespace().collect();
    if case.mode == "auto" {
        // A TTY user on a line that speaks types to be recognised.
        lines.send("HELLO GA".into()).map_err(|e| e.to_string())?;
    }
    let start = Instant::now();
    let prompt_end = loop {
        {
            let s = screen.lock().expect("screen");
            if printed(&s).contains(&wanted) {
                break s.last().map(|(t, _)| *t).unwrap_or_else(Instant::now);
            }
        }
        if start.elapsed() > Duration::from_secs(60) {
            return Err(format!(
                "the prompt never printed: {:?}",
                printed(&screen.lock().expect("screen"))
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    std::thread::sleep(REACTION.saturating_sub(prompt_end.elapsed()));
    lines.send(ANSWER.into()).map_err(|e| e.to_string())?;
    drop(lines);
    let agent = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(30), agent).await })
        .map_err(|_| {
            format!(
                "no INVITE reached the technical queue; the TTY printed {:?}",
                printed(&screen.lock().expect("screen"))
            )
        })?
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let caller = rt
        .block_on(caller)
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let answered = caller.set_up_at.ok_or("the caller's call was not set up")?;
    let invited = agent.set_up_at.ok_or("the agent's INVITE has no time")?;
    let first = screen
        .lock()
        .expect("screen")
        .first()
        .map(|(t, _)| t.saturating_duration_since(answered))
        .unwrap_or_default();
    Ok(Run {
        first,
        prompt: prompt_end.saturating_duration_since(answered),
        invite: invited.saturating_duration_since(answered),
    })
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let cases = [
        Case {
            name: "tty line, contract menu",
            prompt: SHORT,
            mode: "tty",
        },
        Case {
            name: "tty line, 150-character prompt",
            prompt: LONG,
            mode: "tty",
        },
        Case {
            name: "auto line, caller types HELLO GA first",
            prompt: SHORT,
            mode: "auto",
        },
    ];
    let typing = (ANSWER.len() + 2) as f64 * 7.5 * 0.022;
    println!(
        "frontdoor_answer: {runs} calls per case; the caller waits {} ms after the prompt, then types {ANSWER:?} ({:.2} s of tones with CR LF)",
        REACTION.as_millis(),
        typing
    );
    println!();
    println!(
        "| case | prompt chars | calls | answer to first character (mean) | answer to prompt printed (mean) | answer to queue INVITE (mean) | beyond the prompt: mean | worst | goal |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut met = true;
    for case in &cases {
        let dir = temp_dir("bench-frontdoor-answer");
        let (sip, metrics, technical) = (free_port(), free_port(), free_port());
        let path = write_config(
            &dir,
            (sip, metrics),
            41000,
            &format!("sip:support@127.0.0.1:{}", free_port()),
            &config(case.prompt, technical, case.mode),
        );
        let server = Server::start(&path, &model("tiny.en"));
        let mut done = Vec::new();
        for i in 0..runs {
            match one_call(sip, technical, case) {
                Ok(r) => done.push(r),
                Err(e) => {
                    eprintln!("{}: call {i} failed: {e}\n{}", case.name, server.log_text());
                    met = false;
                }
            }
        }
        let _ = server.stop();
        let first: Vec<f64> = done.iter().map(|r| r.first.as_secs_f64()).collect();
        let prompt: Vec<f64> = done.iter().map(|r| r.prompt.as_secs_f64()).collect();
        let invite: Vec<f64> = done.iter().map(|r| r.invite.as_secs_f64()).collect();
        let beyond: Vec<f64> = done
            .iter()
            .map(|r| r.invite.as_secs_f64() - r.prompt.as_secs_f64())
            .collect();
        let worst = beyond.iter().copied().fold(0.0, f64::max);
        let ok = done.len() == runs && worst <= 3.0;
        met &= ok;
        println!(
            "| {} | {} | {} of {runs} | {:.2} s | {:.2} s | {:.2} s | {:.2} s | {:.2} s | {} |",
            case.name,
            case.prompt.len(),
            done.len(),
            mean(&first),
            mean(&prompt),
            mean(&invite),
            mean(&beyond),
            worst,
            if ok { "met (<= 3 s)" } else { "NOT met" }
        );
    }
    println!();
    println!(
        "frontdoor_answer: goal {}",
        if met { "met" } else { "not met" }
    );
}
