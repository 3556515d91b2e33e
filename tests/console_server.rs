//! The operator console's server over real sockets: sign-in, sessions,
//! rate limits, the live channel's Origin check, every command's
//! authorization, and the admin's management of users. The calls are the registry's own (a tap stands in for
//! the call loop), so each rule is tried on a call in a known state; the
//! browser tests (tests/browser) run it with real calls.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::cli::TempDir;
use futures_util::{SinkExt, StreamExt};
use relaygate::config::ConsoleConfig;
use relaygate::console::users::{Role, Users, hash_password};
use relaygate::gateway::registry::{CallTap, OperatorCommand, Registry};
use relaygate::relay::review::HeldCaption;
use relaygate::relay::{Output, Party, TranscriptEntry};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "a long enough password";

/// A console on a free loopback port over `registry`.
struct Running {
    addr: SocketAddr,
    _dir: TempDir,
    stop: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn console(registry: Registry) -> Running {
    console_with(registry, TempDir::new(), "").await
}

async fn console_with(registry: Registry, dir: TempDir, extra: &str) -> Running {
    let users_file = dir.join("users.toml");
    let mut users = Users::default();
    for (name, role) in [
        ("alice", Role::Operator),
        ("bob", Role::Operator),
        ("sam", Role::Supervisor),
        ("ada", Role::Admin),
    ] {
        users.set(name, role, hash_password(PASSWORD).expect("hash"));
    }
    users.save(&users_file).expect("users file");
    let config: ConsoleConfig = toml::from_str(&format!(
        "listen = \"127.0.0.1:0\"\nusers = {:?}\n{extra}",
        users_file.display().to_string()
    ))
    .expect("console config");
    let stop = CancellationToken::new();
    let c = relaygate::console::start(&config, registry, stop.clone())
        .await
        .expect("console starts");
    Running {
        addr: c.local_addr,
        _dir: dir,
        stop,
    }
}

/// One HTTP/1.1 answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    /// The session cookie it sets, as `name=value`.
    fn cookie(&self) -> Option<String> {
        let set = self.header("set-cookie")?;
        set.split(';').next().map(str::to_owned)
    }
}

fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).expect("request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("answer");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

fn form(user: &str, password: &str) -> String {
    format!("username={user}&password={}", password.replace(' ', "+"))
}

/// Signs in off the async runtime; the session cookie.
async fn sign_in(addr: SocketAddr, user: &str) -> String {
    let user = user.to_owned();
    tokio::task::spawn_blocking(move || {
        let a = request(addr, "POST", "/sign-in", &[], &form(&user, PASSWORD));
        assert_eq!(a.status, 303, "{a:?}");
        a.cookie().expect("a session cookie")
    })
    .await
    .expect("sign-in")
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn live(addr: SocketAddr, cookie: &str, origin: Option<&str>) -> Result<Ws, u16> {
    let mut req = format!("ws://{addr}/live")
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("cookie", cookie.parse().expect("cookie"));
    if let Some(o) = origin {
        req.headers_mut()
            .insert("origin", o.parse().expect("origin"));
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

async fn open_live(addr: SocketAddr, user: &str) -> Ws {
    let cookie = sign_in(addr, user).await;
    let mut ws = live(addr, &cookie, Some(&format!("http://{addr}")))
        .await
        .expect("upgrade");
    let hello = next(&mut ws, "hello").await;
    assert_eq!(hello["name"], user);
    next(&mut ws, "calls").await;
    ws
}

/// The next message of `kind`, skipping call-list updates and others.
async fn next(ws: &mut Ws, kind: &str) -> Value {
    let wait = async {
        while let Some(m) = ws.next().await {
            if let Ok(Message::Text(t)) = m {
                let v: Value = serde_json::from_str(t.as_str()).expect("JSON");
                if v["type"] == kind {
                    return v;
                }
            }
        }
        panic!("the channel closed before a {kind:?} message");
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {kind:?} message"))
}

/// Sends `cmd` and waits for its answer (`ok`, `opened` or `error`).
async fn ask(ws: &mut Ws, mut cmd: Value) -> Value {
    static REF: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let r = REF.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    cmd["ref"] = json!(r);
    ws.send(Message::Text(cmd.to_string().into()))
        .await
        .expect("send");
    answer(ws, r).await
}

async fn answer(ws: &mut Ws, r: u64) -> Value {
    let wait = async {
        while let Some(Ok(m)) = ws.next().await {
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(t.as_str()).expect("JSON");
                if v["ref"] == json!(r) {
                    return v;
                }
            }
        }
        panic!("the channel closed before the answer");
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("an answer")
}

async fn command(tap: &mut CallTap) -> OperatorCommand {
    tokio::time::timeout(Duration::from_secs(5), tap.next_command())
        .await
        .expect("a command reaches the call")
        .expect("the call is live")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_but_sign_in_answers_without_a_session() {
    let c = console(Registry::default()).await;
    let addr = c.addr;
    tokio::task::spawn_blocking(move || {
        let a = request(addr, "GET", "/", &[], "");
        assert_eq!(a.status, 303);
        assert_eq!(a.header("location").as_deref(), Some("/sign-in"));
        for path in ["/api/calls", "/api/me", "/console.js", "/live"] {
            assert_eq!(request(addr, "GET", path, &[], "").status, 401, "{path}");
        }
        assert_eq!(request(addr, "POST", "/sign-out", &[], "").status, 401);
        let forged = [("Cookie", "relaygate_session=AAAAAAAAAAAAAAAAAAAAAA")];
        assert_eq!(request(addr, "GET", "/api/calls", &forged, "").status, 401);
        let page = request(addr, "GET", "/sign-in", &[], "");
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Username") && page.body.contains("Sign in"));
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(
            page.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
    })
    .await
    .expect("checks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_renews_the_session_and_sign_out_ends_it() {
    let c = console(Registry::default()).await;
    let addr = c.addr;
    tokio::task::spawn_blocking(move || {
        let wrong = request(
            addr,
            "POST",
            "/sign-in",
            &[],
            &form("alice", "not it at all"),
        );
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("There is a problem"), "{}", wrong.body);
        assert!(wrong.body.contains("value=\"alice\""), "the name is kept");
        assert!(wrong.cookie().is_none(), "no session for a failed sign-in");

        let ok = request(addr, "POST", "/sign-in", &[], &form("alice", PASSWORD));
        assert_eq!(ok.status, 303);
        let set = ok.header("set-cookie").expect("cookie");
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure"),
            "{set}"
        );
        let first = ok.cookie().expect("cookie");
        let me = request(addr, "GET", "/api/me", &[("Cookie", &first)], "");
        assert_eq!(me.status, 200);
        assert!(me.body.contains("\"role\":\"operator\""), "{}", me.body);
        assert_eq!(me.header("cache-control").as_deref(), Some("no-store"));

        // Signing in again on that session gives it a new id; the old
        // one no longer opens anything.
        let again = request(
            addr,
            "POST",
            "/sign-in",
            &[("Cookie", &first)],
            &form("alice", PASSWORD),
        );
        let second = again.cookie().expect("a renewed cookie");
        assert_ne!(first, second);
        assert_eq!(
            request(addr, "GET", "/api/me", &[("Cookie", &first)], "").status,
            401
        );
        assert_eq!(
            request(addr, "GET", "/api/me", &[("Cookie", &second)], "").status,
            200
        );

        // A cross-site form cannot sign anybody out.
        let cross = [
            ("Cookie", second.as_str()),
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ];
        assert_eq!(request(addr, "POST", "/sign-out", &cross, "").status, 403);
        let out = request(addr, "POST", "/sign-out", &[("Cookie", &second)], "");
        assert_eq!(out.status, 303);
        assert_eq!(
            request(addr, "GET", "/api/me", &[("Cookie", &second)], "").status,
            401
        );
    })
    .await
    .expect("checks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sign_in_attempts_is_slowed_and_the_server_keeps_serving() {
    let c = console(Registry::default()).await;
    let addr = c.addr;
    tokio::task::spawn_blocking(move || {
        let statuses: Vec<u16> = (0..8)
            .map(|_| request(addr, "POST", "/sign-in", &[], &form("alice", "guess guess")).status)
            .collect();
        assert!(statuses[..5].iter().all(|&s| s == 401), "{statuses:?}");
        assert!(statuses[5..].iter().all(|&s| s == 429), "{statuses:?}");
        let slowed = request(addr, "POST", "/sign-in", &[], &form("alice", PASSWORD));
        assert_eq!(slowed.status, 429, "even the right password waits its turn");
        let wait: u64 = slowed
            .header("retry-after")
            .and_then(|s| s.parse().ok())
            .expect("Retry-After");
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(slowed.body.contains("Too many sign-in attempts"));
        // Another user is not locked out by alice's attacker.
        assert_eq!(
            request(addr, "POST", "/sign-in", &[], &form("bob", PASSWORD)).status,
            303
        );
        assert_eq!(request(addr, "GET", "/sign-in", &[], "").status, 200);
    })
    .await
    .expect("checks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_channel_wants_a_session_and_the_consoles_own_origin() {
    let c = console(Registry::default()).await;
    let cookie = sign_in(c.addr, "alice").await;
    let own = format!("http://{}", c.addr);
    assert_eq!(
        live(c.addr, "relaygate_session=forged", Some(&own))
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        live(c.addr, &cookie, Some("http://evil.example"))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(live(c.addr, &cookie, None).await.err(), Some(403));
    let mut ws = live(c.addr, &cookie, Some(&own)).await.expect("own origin");
    let hello = next(&mut ws, "hello").await;
    assert_eq!(
        (hello["name"].as_str(), hello["role"].as_str()),
        (Some("alice"), Some("operator"))
    );

    // Signing out in another tab closes this channel too.
    let addr = c.addr;
    let out = tokio::task::spawn_blocking(move || {
        request(addr, "POST", "/sign-out", &[("Cookie", &cookie)], "")
    })
    .await
    .expect("sign-out");
    assert_eq!(out.status, 303);
    let closed = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(m) = ws.next().await {
            if let Ok(Message::Close(frame)) = m {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("the channel closes");
    assert_eq!(closed, Some(4401));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_cannot_read_or_act_on_another_operators_call() {
    let registry = Registry::default();
    let mut tap = registry.register(1, "relay");
    tap.output(
        &Output::Line(TranscriptEntry {
            at: Duration::from_secs(2),
            party: Party::Customer,
            text: "MY CARD NUMBER IS 4242".into(),
            relayed: true,
        }),
        Duration::from_secs(2),
    );
    let c = console(registry.clone()).await;
    let mut alice = open_live(c.addr, "alice").await;
    let mut bob = open_live(c.addr, "bob").await;
    let mut sam = open_live(c.addr, "sam").await;

    // Alice opens the call nobody handles: it is hers, with its past.
    let opened = ask(&mut alice, json!({"cmd": "open", "call": 1})).await;
    assert_eq!(opened["type"], "opened", "{opened}");
    assert_eq!(opened["lines"][0]["text"], "MY CARD NUMBER IS 4242");
    assert_eq!(registry.list()[0].handler.as_deref(), Some("alice"));
    let ok = ask(
        &mut alice,
        json!({"cmd": "type", "call": 1, "text": "HELLO "}),
    )
    .await;
    assert_eq!(ok["type"], "ok");
    assert_eq!(
        command(&mut tap).await,
        OperatorCommand::Type("HELLO ".into())
    );

    // Bob may neither read it nor act on it.
    for cmd in [
        json!({"cmd": "open", "call": 1}),
        json!({"cmd": "type", "call": 1, "text": "X"}),
        json!({"cmd": "speak", "call": 1, "text": "X"}),
        json!({"cmd": "review", "call": 1, "on": true}),
        json!({"cmd": "take_over", "call": 1}),
        json!({"cmd": "release", "call": 1}),
        json!({"cmd": "leave", "call": 1}),
        json!({"cmd": "assign", "call": 1, "user": "bob"}),
        json!({"cmd": "send_caption", "call": 1, "id": 1, "text": "X"}),
        json!({"cmd": "discard_caption", "call": 1, "id": 1}),
        json!({"cmd": "editing", "call": 1, "id": 1, "on": true}),
    ] {
        let a = ask(&mut bob, cmd.clone()).await;
        assert_eq!(a["code"], "forbidden", "{cmd} -> {a}");
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(300), tap.next_command())
            .await
            .is_err(),
        "nothing bob asked reached the call"
    );

    // A supervisor sees it and may take it over; it is then theirs.
    let seen = ask(&mut sam, json!({"cmd": "open", "call": 1})).await;
    assert_eq!(seen["type"], "opened");
    assert_eq!(
        ask(&mut sam, json!({"cmd": "take_over", "call": 1})).await["type"],
        "ok"
    );
    assert_eq!(command(&mut tap).await, OperatorCommand::TakeOver(true));
    assert_eq!(registry.list()[0].handler.as_deref(), Some("sam"));
    let a = ask(&mut alice, json!({"cmd": "type", "call": 1, "text": "X"})).await;
    assert_eq!(a["code"], "forbidden", "alice's call was taken from her");

    // The supervisor hands it to bob, who may now act on it.
    let a = ask(
        &mut sam,
        json!({"cmd": "assign", "call": 1, "user": "nobody"}),
    )
    .await;
    assert_eq!(a["code"], "not-found");
    assert_eq!(
        ask(&mut sam, json!({"cmd": "assign", "call": 1, "user": "bob"})).await["type"],
        "ok"
    );
    assert_eq!(
        ask(&mut bob, json!({"cmd": "open", "call": 1})).await["type"],
        "opened"
    );
    assert_eq!(
        ask(
            &mut bob,
            json!({"cmd": "speak", "call": 1, "text": "One moment."})
        )
        .await["type"],
        "ok"
    );
    assert_eq!(
        command(&mut tap).await,
        OperatorCommand::Speak("One moment.".into())
    );

    // A line said now reaches those following the call.
    tap.output(
        &Output::Line(TranscriptEntry {
            at: Duration::from_secs(9),
            party: Party::Agent,
            text: "thank you".into(),
            relayed: true,
        }),
        Duration::from_secs(9),
    );
    let line = next(&mut bob, "line").await;
    assert_eq!(
        (line["who"].as_str(), line["text"].as_str()),
        (Some("agent"), Some("thank you"))
    );

    // Bob's only tab closes: the call goes back to the automatic relay.
    drop(bob);
    assert_eq!(command(&mut tap).await, OperatorCommand::Review(false));
    assert_eq!(command(&mut tap).await, OperatorCommand::TakeOver(false));

    // The call ends: its followers are told, and it is gone.
    drop(tap);
    let ended = next(&mut sam, "ended").await;
    assert_eq!(ended["call"], 1);
    assert_eq!(
        ask(&mut sam, json!({"cmd": "open", "call": 1})).await["code"],
        "not-found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_are_refused_and_the_channel_stays_open() {
    let registry = Registry::default();
    let mut tap = registry.register(4, "relay");
    let c = console(registry).await;
    let mut ws = open_live(c.addr, "sam").await;
    for (frame, code) in [
        (Message::Text("not json".into()), "bad-frame"),
        (Message::Text("[1, 2]".into()), "bad-frame"),
        (Message::Binary(vec![1, 2, 3].into()), "bad-frame"),
        (
            Message::Text(
                format!(
                    "{{\"cmd\":\"type\",\"call\":4,\"text\":\"{}\"}}",
                    "A".repeat(20_000)
                )
                .into(),
            ),
            "bad-frame",
        ),
        (
            Message::Text(r#"{"cmd":"dance"}"#.into()),
            "unknown-command",
        ),
        (
            Message::Text(r#"{"cmd":"type","call":"four"}"#.into()),
            "bad-request",
        ),
        (
            Message::Text(r#"{"cmd":"send_caption","call":4,"id":99,"text":"x"}"#.into()),
            "not-found",
        ),
        (
            Message::Text(r#"{"cmd":"open","call":77}"#.into()),
            "not-found",
        ),
    ] {
        ws.send(frame).await.expect("send");
        let e = next(&mut ws, "error").await;
        assert_eq!(e["code"], code, "{e}");
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(300), tap.next_command())
            .await
            .is_err(),
        "a refused frame reached the call"
    );
    let a = ask(
        &mut ws,
        json!({"cmd": "type", "call": 4, "text": "STILL HERE "}),
    )
    .await;
    assert_eq!(a["type"], "ok", "the channel still works: {a}");
    assert_eq!(
        command(&mut tap).await,
        OperatorCommand::Type("STILL HERE ".into())
    );

    // A frame over 1 MiB closes that channel (1009); the console, the
    // call and other channels go on.
    let mut other = open_live(c.addr, "alice").await;
    let huge = format!(
        "{{\"cmd\":\"type\",\"call\":4,\"text\":\"{}\"}}",
        "A".repeat(1_100_000)
    );
    let _ = ws.send(Message::Text(huge.into())).await;
    assert_eq!(
        closed_with(&mut ws, Duration::from_secs(10)).await,
        Some(1009)
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), tap.next_command())
            .await
            .is_err(),
        "the oversized frame reached the call"
    );
    assert_eq!(
        ask(&mut other, json!({"cmd": "open", "call": 4})).await["type"],
        "opened"
    );
    let mut again = open_live(c.addr, "sam").await;
    assert_eq!(
        ask(&mut again, json!({"cmd": "open", "call": 4})).await["type"],
        "opened"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_command_is_checked_against_the_users_file_as_it_is_now() {
    let dir = TempDir::new();
    let file = dir.join("users.toml");
    let registry = Registry::default();
    let mut tap = registry.register(6, "relay");
    let c = console_with(registry.clone(), dir, "").await;
    let mut alice = open_live(c.addr, "alice").await;
    let mut sam = open_live(c.addr, "sam").await;
    let mut bob = open_live(c.addr, "bob").await;
    assert_eq!(
        ask(&mut alice, json!({"cmd": "open", "call": 6})).await["type"],
        "opened"
    );
    assert_eq!(
        ask(&mut sam, json!({"cmd": "open", "call": 6})).await["type"],
        "opened",
        "a supervisor sees alice's call"
    );

    // An admin makes sam an operator and removes bob (the file as
    // `relaygate users add` or the Users page would leave it).
    let mut users = Users::load(&file).expect("users");
    assert!(users.set_role("sam", Role::Operator));
    assert!(users.remove("bob"));
    users.save(&file).expect("save");

    // Sam's very next command is an operator's: refused on alice's call,
    // and the page is told the new role.
    let take_over = json!({"cmd": "take_over", "call": 6, "ref": 6006});
    sam.send(Message::Text(take_over.to_string().into()))
        .await
        .expect("send");
    let hello = next(&mut sam, "hello").await;
    assert_eq!(hello["role"], "operator");
    let a = answer(&mut sam, 6006).await;
    assert_eq!(a["code"], "forbidden", "{a}");

    // Bob's next command finds him gone: refused, and the channel closes
    // at once, not at the next periodic check (unless that check, every
    // 15 s, came first on a slow machine: then it closed the channel).
    let open = json!({"cmd": "open", "call": 6, "ref": 6007});
    let _ = bob.send(Message::Text(open.to_string().into())).await;
    let mut refused = None;
    let closed = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(m) = bob.next().await {
            match m {
                Ok(Message::Text(t)) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("JSON");
                    if v["ref"] == json!(6007) {
                        refused = Some(v);
                    }
                }
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                _ => {}
            }
        }
        None
    })
    .await
    .expect("the channel closes");
    if let Some(a) = refused {
        assert_eq!(a["code"], "signed-out", "{a}");
    }
    assert_eq!(closed, Some(4401));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), tap.next_command())
            .await
            .is_err(),
        "nothing sam or bob asked reached the call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_closed_mid_edit_lets_the_release_timer_run_again() {
    let registry = Registry::default();
    let mut tap = registry.register(8, "relay");
    let c = console(registry.clone()).await;
    let mut alice = open_live(c.addr, "alice").await;
    let mut sam = open_live(c.addr, "sam").await;
    assert_eq!(
        ask(&mut alice, json!({"cmd": "open", "call": 8})).await["type"],
        "opened"
    );
    assert_eq!(
        ask(&mut sam, json!({"cmd": "open", "call": 8})).await["type"],
        "opened"
    );
    tap.output(
        &Output::Held(HeldCaption {
            id: 1,
            text: "your bill is due".into(),
            release_at: Some(Duration::from_secs(20)),
        }),
        Duration::from_secs(10),
    );
    next(&mut sam, "held").await;
    // The supervisor, not the handler, starts editing, then closes the tab.
    assert_eq!(
        ask(
            &mut sam,
            json!({"cmd": "editing", "call": 8, "id": 1, "on": true})
        )
        .await["type"],
        "ok"
    );
    assert_eq!(command(&mut tap).await, OperatorCommand::Editing(true));
    drop(sam);
    assert_eq!(command(&mut tap).await, OperatorCommand::Editing(false));
    // Alice still handles the call: nothing else changed.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), tap.next_command())
            .await
            .is_err(),
        "closing a supervisor's tab handed the call back"
    );
    assert_eq!(registry.list()[0].handler.as_deref(), Some("alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_certificate_the_console_speaks_only_https_and_its_cookie_is_secure() {
    let dir = TempDir::new();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (scripts/debian-packages installs it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let extra = format!(
        "tls_cert = {:?}\ntls_key = {:?}\n",
        cert.display().to_string(),
        key.display().to_string()
    );
    let c = console_with(Registry::default(), dir, &extra).await;
    let addr = c.addr;
    tokio::task::spawn_blocking(move || {
        let curl = |args: &[&str]| {
            let out = std::process::Command::new("curl")
                .args(["-s", "-i", "--max-time", "10"])
                .args(args)
                .output()
                .expect("curl (scripts/debian-packages installs it)");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let signed = curl(&[
            "--cacert",
            &cert.display().to_string(),
            "-d",
            &form("alice", PASSWORD),
            &format!("https://{addr}/sign-in"),
        ]);
        let status = signed.lines().next().unwrap_or_default();
        assert!(
            status.starts_with("HTTP/") && status.contains(" 303"),
            "{signed}"
        );
        let cookie = signed
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .expect("a session cookie");
        assert!(cookie.contains("Secure"), "{cookie}");
        let plain = curl(&[&format!("http://{addr}/sign-in")]);
        assert!(
            !plain.contains("200 OK"),
            "no page over plain HTTP: {plain}"
        );
    })
    .await
    .expect("checks");
}

/// Waits for the live channel to be closed; its close code.
async fn closed_with(ws: &mut Ws, within: Duration) -> Option<u16> {
    tokio::time::timeout(within, async {
        while let Some(m) = ws.next().await {
            if let Ok(Message::Close(frame)) = m {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("the channel closes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_manages_users_and_nobody_else_can() {
    let dir = TempDir::new();
    let file = dir.join("users.toml");
    let c = console_with(Registry::default(), dir, "").await;
    let addr = c.addr;
    let ada = sign_in(addr, "ada").await;
    let alice = sign_in(addr, "alice").await;
    let sam = sign_in(addr, "sam").await;
    let bob = sign_in(addr, "bob").await;
    let names = |file: &std::path::Path| -> Vec<String> {
        let users = Users::load(file).expect("the users file stays valid");
        users
            .users
            .iter()
            .map(|u| format!("{}:{}", u.name, u.role))
            .collect()
    };
    let four = names(&file);
    let (f, ada2) = (file.clone(), ada.clone());
    let carol = tokio::task::spawn_blocking(move || {
        let (file, ada) = (f, ada2);
        let post = |cookie: &str, path: &str, body: &str| {
            request(addr, "POST", path, &[("Cookie", cookie)], body)
        };
        let get = |cookie: &str, path: &str| request(addr, "GET", path, &[("Cookie", cookie)], "");
        let add = "username=carol&role=operator&password=carol+password&confirm=carol+password";

        // Without a session, nothing; an operator or a supervisor is refused.
        assert_eq!(request(addr, "GET", "/users", &[], "").status, 401);
        assert_eq!(request(addr, "POST", "/users/add", &[], add).status, 401);
        for who in [&alice, &sam] {
            let page = get(who, "/users");
            assert_eq!(page.status, 403, "{page:?}");
            assert!(page.body.contains("Only an admin"), "{}", page.body);
            assert_eq!(post(who, "/users/add", add).status, 403);
            assert_eq!(
                post(who, "/users/remove", "username=bob&confirm=yes").status,
                403
            );
        }
        assert_eq!(names(&file), four, "refused changes change nothing");

        // The admin's page lists everyone, never a hash.
        let page = get(&ada, "/users");
        assert_eq!(page.status, 200);
        for label in ["Role of alice", "Role of sam", "Add user", "Set password"] {
            assert!(page.body.contains(label), "{label}: {}", page.body);
        }
        assert!(!page.body.contains("argon2"), "{}", page.body);
        assert!(
            !page.body.contains("Role of ada"),
            "no role form for oneself"
        );

        // Adding: refusals keep the file and what was typed, except passwords.
        for (body, status, says) in [
            (
                "username=bad+name&role=operator&password=carol+password&confirm=carol+password",
                400,
                "is not a user name",
            ),
            (
                "username=carol&role=&password=carol+password&confirm=carol+password",
                400,
                "Choose a role",
            ),
            (
                "username=carol&role=boss&password=carol+password&confirm=carol+password",
                400,
                "Choose a role",
            ),
            (
                "username=carol&role=operator&password=short&confirm=short",
                400,
                "must be 8 to 256 characters",
            ),
            (
                "username=carol&role=operator&password=carol+password&confirm=carol+passwort",
                400,
                "The two passwords differ",
            ),
            (
                "username=alice&role=operator&password=carol+password&confirm=carol+password",
                409,
                "alice is already a user",
            ),
        ] {
            let a = post(&ada, "/users/add", body);
            assert_eq!(a.status, status, "{body}: {a:?}");
            assert!(a.body.contains(says), "{body}: {}", a.body);
            assert!(a.body.contains("There is a problem"), "{}", a.body);
            assert!(a.body.contains("aria-invalid=\"true\""), "{}", a.body);
            assert!(!a.body.contains("carol password") && !a.body.contains("short\""));
        }
        let kept = post(
            &ada,
            "/users/add",
            "username=carol&role=supervisor&password=short&confirm=short",
        );
        assert!(kept.body.contains("value=\"carol\""), "{}", kept.body);
        assert!(
            kept.body.contains("<option value=\"supervisor\" selected>"),
            "{}",
            kept.body
        );
        assert_eq!(names(&file), four);

        let added = post(&ada, "/users/add", add);
        assert_eq!(
            (added.status, added.header("location").as_deref()),
            (303, Some("/users"))
        );
        let page = get(&ada, "/users");
        assert!(
            page.body.contains("Added carol as an operator."),
            "{}",
            page.body
        );
        assert!(
            !get(&ada, "/users").body.contains("Added carol"),
            "the notice shows once"
        );
        let a = request(
            addr,
            "POST",
            "/sign-in",
            &[],
            "username=carol&password=carol+password",
        );
        assert_eq!(a.status, 303, "the new user signs in: {a:?}");
        let carol = a.cookie().expect("a session");

        // A role change reaches a signed-in user at their next request.
        let me = |cookie: &str| get(cookie, "/api/me");
        assert!(me(&alice).body.contains("\"operator\""));
        assert_eq!(
            post(&ada, "/users/role", "username=alice&role=supervisor").status,
            303
        );
        assert!(
            me(&alice).body.contains("\"supervisor\""),
            "{:?}",
            me(&alice)
        );
        assert!(
            get(&ada, "/users")
                .body
                .contains("alice is now a supervisor.")
        );

        // A new password ends the user's sessions; the old one no longer works.
        let set = "username=bob&password=bobs+new+password&confirm=bobs+new+password";
        assert_eq!(post(&ada, "/users/password", set).status, 303);
        assert_eq!(me(&bob).status, 401, "bob's old session ended");
        let old = request(addr, "POST", "/sign-in", &[], &form("bob", PASSWORD));
        assert_eq!(old.status, 401);
        let new = request(
            addr,
            "POST",
            "/sign-in",
            &[],
            "username=bob&password=bobs+new+password",
        );
        assert_eq!(new.status, 303);

        // Oneself and unknown names.
        for (path, body, status, says) in [
            (
                "/users/role",
                "username=ada&role=operator",
                400,
                "your own role",
            ),
            (
                "/users/remove",
                "username=ada&confirm=yes",
                400,
                "cannot remove yourself",
            ),
            (
                "/users/role",
                "username=zed&role=operator",
                404,
                "no user called zed",
            ),
            (
                "/users/remove",
                "username=zed&confirm=yes",
                404,
                "no user called zed",
            ),
            (
                "/users/password",
                "username=zed&password=long+enough&confirm=long+enough",
                404,
                "no user called zed",
            ),
        ] {
            let a = post(&ada, path, body);
            assert_eq!(a.status, status, "{path} {body}: {a:?}");
            assert!(a.body.contains(says), "{path} {body}: {}", a.body);
        }
        carol
    })
    .await
    .expect("the users page");

    // Removing: a confirmation first; then the user's session and live
    // channel end.
    let mut ws = live(addr, &carol, Some(&format!("http://{addr}")))
        .await
        .expect("carol's live channel");
    next(&mut ws, "hello").await;
    let (f, ada2, carol2) = (file.clone(), ada.clone(), carol.clone());
    tokio::task::spawn_blocking(move || {
        let post = |path: &str, body: &str| request(addr, "POST", path, &[("Cookie", &ada2)], body);
        let ask = post("/users/remove", "username=carol");
        assert_eq!(ask.status, 200);
        assert!(ask.body.contains("Remove carol?"), "{}", ask.body);
        assert!(
            names(&f).contains(&"carol:operator".to_owned()),
            "not yet removed"
        );
        let done = post("/users/remove", "username=carol&confirm=yes");
        assert_eq!(done.status, 303, "{done:?}");
        assert!(!names(&f).iter().any(|n| n.starts_with("carol:")));
        let me = request(addr, "GET", "/api/me", &[("Cookie", &carol2)], "");
        assert_eq!(me.status, 401, "carol's session ended");
    })
    .await
    .expect("removal");
    assert_eq!(
        closed_with(&mut ws, Duration::from_secs(30)).await,
        Some(4401)
    );

    // The file is the one `relaygate users list` reads.
    let listed = common::cli::relaygate()
        .args(["users", "list", "--file", file.to_str().expect("UTF-8")])
        .output()
        .expect("users list runs");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "alice\tsupervisor",
            "bob\toperator",
            "sam\tsupervisor",
            "ada\tadmin"
        ]
    );
}
