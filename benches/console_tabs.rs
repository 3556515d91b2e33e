//! Console tabs for benches/serve_calls.sh: N live channels, each signed
//! in on a session of its own, each following one live call (the i-th to
//! appear) with caption review on, sending every held caption back at
//! once, corrected (upper case), as an operator pressing "Send" would.
//!
//! Measures, on one clock with the server (same machine):
//! - held: a committed caption's commit (`at_ms`) to its `held` message
//!   arriving in the tab;
//! - send: "Send" to the `unheld` message coming back, the round trip of
//!   a corrected caption leaving for the TTY (an upper bound of the way
//!   there);
//!
//! ```text
//! cargo bench --bench console_tabs -- ADDR USER PASSWORD TABS SECONDS
//! ```
//!
//! Tab i signs in as USER followed by i + 1 (`bench1`, `bench2`, ...), a
//! supervisor each: one name signing in twenty times would be slowed by
//! the sign-in limits, as it should be.
//!
//! Prints `console_tabs signed_in=TABS` once every tab has signed in and
//! opened its live channel (benches/serve_calls.sh places its calls after
//! that line, as operators are signed in before calls come), then at the
//! end one line per measure: `console_tabs <measure> count=… mean_ms=…
//! p95_ms=… max_ms=…`, `console_tabs calls_followed=…` and `console_tabs
//! cpu_s=…`, this process's own CPU time (user + system, from
//! /proc/self/stat in USER_HZ, 100 a second on Linux): what the tabs cost
//! the machine they run on, which is the server's in this bench.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn sign_in(addr: SocketAddr, user: &str, password: &str) -> Result<String, String> {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let body = format!("username={user}&password={}", password.replace(' ', "+"));
    let req = format!(
        "POST /sign-in HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: \
         application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    answer
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie:")
                .then(|| l[11..].trim().split(';').next().unwrap_or("").to_owned())
        })
        .ok_or_else(|| format!("sign-in refused: {}", answer.lines().next().unwrap_or("")))
}

#[derive(Default)]
struct Measures {
    held: Vec<f64>,
    send: Vec<f64>,
    followed: bool,
}

/// This process's CPU seconds (user + system) so far, from
/// /proc/self/stat (fields 14 and 15, in USER_HZ: 100 a second).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

type Live =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the live channel of a signed-in session.
async fn open_live(addr: SocketAddr, cookie: &str, index: usize) -> Option<Live> {
    let mut req = format!("ws://{addr}/live").into_client_request().ok()?;
    if let (Ok(c), Ok(o)) = (cookie.parse(), format!("http://{addr}").parse()) {
        req.headers_mut().insert("cookie", c);
        req.headers_mut().insert("origin", o);
    }
    // As a browser does: no Nagle delay on its small frames.
    match tokio_tungstenite::connect_async_with_config(req, None, true).await {
        Ok((ws, _)) => Some(ws),
        Err(e) => {
            eprintln!("console_tabs: tab {index} could not open the live channel: {e}");
            None
        }
    }
}

/// One tab: follows the `index`-th call to appear until it ends.
async fn tab(mut ws: Live, index: usize, until: f64) -> Measures {
    let mut m = Measures::default();
    let mut seen: Vec<u64> = Vec::new();
    let mut following: Option<u64> = None;
    let mut sent_at: std::collections::HashMap<u64, f64> = Default::default();
    loop {
        let left = until - now_ms();
        if left <= 0.0 {
            break;
        }
        let frame = tokio::time::timeout(Duration::from_millis(left as u64), ws.next()).await;
        let Ok(Some(Ok(Message::Text(t)))) = frame else {
            if matches!(frame, Ok(Some(Ok(_)))) {
                continue;
            }
            break;
        };
        let arrived = now_ms();
        let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
            continue;
        };
        let mut send = Vec::new();
        match v["type"].as_str() {
            Some("calls") if following.is_none() => {
                for c in v["calls"].as_array().into_iter().flatten() {
                    if let Some(id) = c["id"].as_u64()
                        && !seen.contains(&id)
                    {
                        seen.push(id);
                    }
                }
                if let Some(&id) = seen.get(index) {
                    following = Some(id);
                    send.push(json!({"cmd": "open", "call": id}));
                    send.push(json!({"cmd": "review", "call": id, "on": true}));
                }
            }
            Some("opened") => m.followed = true,
            Some("held") => {
                m.held
                    .push(arrived - v["at_ms"].as_f64().unwrap_or(arrived));
                let (Some(id), Some(call)) = (v["id"].as_u64(), v["call"].as_u64()) else {
                    continue;
                };
                let text = v["text"].as_str().unwrap_or("").to_uppercase();
                sent_at.insert(id, now_ms());
                send.push(json!({"cmd": "send_caption", "call": call, "id": id, "text": text}));
            }
            Some("unheld") => {
                if let Some(t) = v["id"].as_u64().and_then(|id| sent_at.remove(&id)) {
                    m.send.push(arrived - t);
                }
            }
            Some("ended") if Some(v["call"].as_u64().unwrap_or(0)) == following => break,
            _ => {}
        }
        for c in send {
            if ws.send(Message::Text(c.to_string().into())).await.is_err() {
                return m;
            }
        }
    }
    m
}

fn report(name: &str, v: &mut [f64]) {
    if v.is_empty() {
        println!("console_tabs {name} count=0");
        return;
    }
    v.sort_by(f64::total_cmp);
    let p95 = v[((v.len() as f64 * 0.95).ceil() as usize).clamp(1, v.len()) - 1];
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "console_tabs {name} count={} mean_ms={mean:.1} p95_ms={p95:.1} max_ms={:.1}",
        v.len(),
        v[v.len() - 1]
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [addr, user, password, tabs, seconds] = args.as_slice() else {
        eprintln!("usage: console_tabs ADDR USER PASSWORD TABS SECONDS");
        std::process::exit(2);
    };
    let (Ok(addr), Ok(tabs), Ok(seconds)) = (
        addr.parse::<SocketAddr>(),
        tabs.parse::<usize>(),
        seconds.parse::<f64>(),
    ) else {
        eprintln!("console_tabs: bad arguments");
        std::process::exit(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("console_tabs: {e}");
            std::process::exit(1);
        }
    };
    runtime.block_on(async {
        let until = now_ms() + seconds * 1000.0;
        let mut tasks = Vec::new();
        for i in 0..tabs {
            let cookie = match sign_in(addr, &format!("{user}{}", i + 1), password).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("console_tabs: {e}");
                    std::process::exit(1);
                }
            };
            let Some(ws) = open_live(addr, &cookie, i).await else {
                continue;
            };
            tasks.push(tokio::spawn(tab(ws, i, until)));
        }
        println!("console_tabs signed_in={}", tasks.len());
        let mut all = Measures::default();
        let mut followed = 0;
        for t in tasks {
            if let Ok(m) = t.await {
                followed += usize::from(m.followed);
                all.held.extend(m.held);
                all.send.extend(m.send);
            }
        }
        report("held", &mut all.held);
        report("send", &mut all.send);
        println!("console_tabs calls_followed={followed}");
        match cpu_seconds() {
            Some(s) => println!("console_tabs cpu_s={s:.2}"),
            None => println!("console_tabs cpu_s=-"),
        }
    });
}
