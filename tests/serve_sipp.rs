//! `relaygate serve` at the SIP signalling level against SIPp
//! (`tests/data/sipp/*.xml`), as a contact center's SIP side sees it: an
//! agent queue that rings forever (CANCEL after `ring_timeout_seconds`,
//! the TTY told, then BYE, no second dial), a caller who hangs up while
//! the agent rings (CANCEL to the agent), an agent queue nobody listens
//! on, hold and resume by re-INVITE from the caller (RFC 3264 answers,
//! no RTP while held), BYE from the caller and from the agent passed on
//! to the other leg, a call and OPTIONS over TCP, and malformed,
//! truncated and stray SIP over UDP. Every test ends with an OPTIONS
//! probe answered 200 (the server still serves), checks the call's
//! `call ended` log line (metadata only) and the metrics, and a clean
//! exit on SIGTERM.
//!
//! The caller's media goes to an RTP sink in this test (SIPp's `-key
//! rtp_port`), so what the TTY was sent can be decoded and hold can be
//! seen on the wire. SIPp agents send no RTP, so `rtp_timeout_seconds`
//! is set well above each test's length.

mod common;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::peers::minimodem_rx;
use common::sip_peer::{Server, free_port, http_get};
use common::stt::{model, temp_dir};
use relaygate::media::rtp::{self, Codec};

/// The queue's `ring_timeout_seconds` where a test waits for it.
const RING_SECONDS: u64 = 3;
/// `limits.hangup_grace_seconds` in every test.
const GRACE_SECONDS: u64 = 10;
/// What the TTY reads when no agent answered (`greetings.tty_no_agent`).
const NO_AGENT_NOTICE: &str = "NO AGENT SK";

/// A configuration with one queue at `queue_uri` and a `mode = "tty"`
/// line `tty`; RTP ports `rtp_base..rtp_base + 99`, distinct per test.
/// Short greetings keep the calls short.
fn config(
    dir: &Path,
    sip: u16,
    metrics: u16,
    queue_uri: &str,
    ring_seconds: u64,
    rtp_base: u16,
) -> PathBuf {
    let path = dir.join("relaygate.toml");
    let rtp_last = rtp_base + 99;
    std::fs::write(
        &path,
        format!(
            "[sip]\nlisten = \"127.0.0.1:{sip}\"\nrtp_ports = [{rtp_base}, {rtp_last}]\n\
             [[queue]]\nname = \"support\"\nuri = \"{queue_uri}\"\n\
             ring_timeout_seconds = {ring_seconds}\n\
             [[line]]\nuser = \"tty\"\nmode = \"tty\"\nqueue = \"support\"\n\
             [metrics]\nlisten = \"127.0.0.1:{metrics}\"\n\
             [limits]\nrtp_timeout_seconds = 60\nhangup_grace_seconds = {GRACE_SECONDS}\n\
             [greetings]\ntty = \"HOLD GA\"\ntty_no_agent = \"{NO_AGENT_NOTICE}\"\n\
             agent = \"Relay call.\"\n"
        ),
    )
    .expect("writing the config");
    path
}

/// The server under test; killed if the test panics before `stop`.
struct Running {
    server: Option<Server>,
    sip: u16,
    metrics: u16,
}

impl Running {
    /// `relaygate serve` with [`config`] for an agent queue on UDP
    /// `agent_port` ringing `ring` seconds at most.
    fn start(label: &str, agent_port: u16, ring: u64, rtp: u16) -> Running {
        let dir = temp_dir(label);
        let (sip, metrics) = (free_port(), free_port());
        let queue_uri = format!("sip:gw@127.0.0.1:{agent_port}");
        let cfg = config(&dir, sip, metrics, &queue_uri, ring, rtp);
        Running {
            server: Some(Server::start(&cfg, &model("tiny.en"))),
            sip,
            metrics,
        }
    }

    fn server(&self) -> &Server {
        self.server.as_ref().expect("the server is running")
    }

    fn log(&self) -> String {
        self.server().log_text()
    }

    /// The `call ended` lines, once there are `n` of them.
    fn calls_ended(&self, n: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let lines: Vec<String> = self
                .log()
                .lines()
                .filter(|l| l.contains("call ended"))
                .map(str::to_string)
                .collect();
            if lines.len() >= n {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "{} call(s) ended, not {n}, within {within:?}: {}",
                lines.len(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn metrics(&self) -> String {
        http_get(
            std::net::SocketAddr::from(([127, 0, 0, 1], self.metrics)),
            "/metrics",
        )
    }

    /// The server still answers an OPTIONS probe 200, over UDP and, with
    /// `tcp`, over TCP too.
    fn assert_still_serving(&self, tcp: bool) {
        let udp = Sipp::options(self.sip, false).finish();
        assert!(
            udp.passed,
            "OPTIONS over UDP not answered 200: {}\n{}",
            udp.trace,
            self.log()
        );
        if tcp {
            let t = Sipp::options(self.sip, true).finish();
            assert!(
                t.passed,
                "OPTIONS over TCP not answered 200: {}\n{}",
                t.trace,
                self.log()
            );
        }
    }

    /// The test's one call ended as `outcome` with `agent_legs` agent
    /// legs, in the log and in the metrics, and left nothing active; the
    /// server still serves (over TCP too with `tcp`) and stops cleanly.
    /// Returns its `call ended` line.
    fn ends_as(self, outcome: &str, agent_legs: &str, tcp: bool) -> String {
        let ended = self.calls_ended(1, Duration::from_secs(5));
        assert_eq!(field(&ended[0], "outcome"), Some(outcome), "{ended:?}");
        assert_eq!(
            field(&ended[0], "agent_legs"),
            Some(agent_legs),
            "{ended:?}"
        );
        let m = self.metrics();
        assert_eq!(calls_total(&m, outcome), 1.0, "{m}");
        assert_eq!(metric(&m, "relaygate_calls_active"), Some(0.0), "{m}");
        self.assert_still_serving(tcp);
        self.stop();
        ended[0].clone()
    }

    /// SIGTERM: the server exits 0.
    fn stop(mut self) {
        let server = self.server.take().expect("the server is running");
        let status = server.stop();
        assert!(status.success(), "relaygate serve exited {status}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
    }
}

/// A metric's value: the line `name value`.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn calls_total(text: &str, outcome: &str) -> f64 {
    metric(
        text,
        &format!("relaygate_calls_total{{outcome=\"{outcome}\"}}"),
    )
    .unwrap_or(0.0)
}

/// `key=value` in a log line, quotes taken off.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!(" {key}="))? + key.len() + 2;
    let rest = &line[start..];
    let value = rest.split(' ').next()?;
    Some(value.trim_matches('"'))
}

/// A SIPp run in the background, in its own directory (its message
/// trace lands there).
struct Sipp {
    child: Option<Child>,
    dir: PathBuf,
    /// When it must have ended.
    deadline: Instant,
    /// When it was first seen to have exited, and how.
    exited: Option<(Instant, bool)>,
}

/// How a SIPp run ended.
struct Finished {
    passed: bool,
    at: Instant,
    /// SIPp's message trace and errors, for failure messages.
    trace: String,
}

impl Sipp {
    /// Starts `sipp -sf SCENARIO ARGS` for one call, failing after
    /// `timeout_s` (SIPp's own `-timeout`).
    fn spawn(scenario: &str, timeout_s: u64, args: &[String]) -> Sipp {
        let dir = temp_dir(&format!("sipp-{}", scenario.trim_end_matches(".xml")));
        let stderr = std::fs::File::create(dir.join("stderr.txt")).expect("sipp stderr file");
        let child = Command::new("sipp")
            .arg("-sf")
            .arg(format!(
                "{}/tests/data/sipp/{scenario}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .args(["-m", "1", "-nostdin", "-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .args(["-timeout", &timeout_s.to_string(), "-timeout_error"])
            .args(["-trace_msg", "-trace_err"])
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("sipp runs (Debian package sip-tester)");
        Sipp {
            child: Some(child),
            dir,
            deadline: Instant::now() + Duration::from_secs(timeout_s + 5),
            exited: None,
        }
    }

    /// A SIPp agent (UAS) on `port`, once it listens there.
    fn agent(scenario: &str, port: u16, timeout_s: u64) -> Sipp {
        let s = Sipp::spawn(scenario, timeout_s, &["-p".into(), port.to_string()]);
        wait_until_bound(port);
        s
    }

    /// A SIPp caller (UAC) dialling `sip:tty@` the server, its media
    /// going to `rtp_port`; over TCP with `tcp`.
    fn caller(scenario: &str, sip: u16, rtp_port: u16, tcp: bool, timeout_s: u64) -> Sipp {
        let mut args: Vec<String> = vec![
            format!("127.0.0.1:{sip}"),
            "-s".into(),
            "tty".into(),
            "-l".into(),
            "1".into(),
            "-p".into(),
            free_port().to_string(),
            "-key".into(),
            "rtp_port".into(),
            rtp_port.to_string(),
        ];
        if tcp {
            args.extend(["-t".into(), "t1".into()]);
        }
        Sipp::spawn(scenario, timeout_s, &args)
    }

    /// The existing one-OPTIONS scenario.
    fn options(sip: u16, tcp: bool) -> Sipp {
        let mut args: Vec<String> = vec![
            format!("127.0.0.1:{sip}"),
            "-l".into(),
            "1".into(),
            "-p".into(),
            free_port().to_string(),
        ];
        if tcp {
            args.extend(["-t".into(), "t1".into()]);
        }
        Sipp::spawn("options.xml", 10, &args)
    }

    /// Whether it has exited (noting when); past its deadline it is
    /// killed and counts as failed.
    fn done(&mut self) -> bool {
        if self.exited.is_some() {
            return true;
        }
        let Some(child) = self.child.as_mut() else {
            return true;
        };
        match child.try_wait() {
            Ok(Some(status)) => self.exited = Some((Instant::now(), status.success())),
            Ok(None) if Instant::now() < self.deadline => return false,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                self.exited = Some((Instant::now(), false));
            }
        }
        true
    }

    /// Waits for SIPp to exit: whether its scenario passed, when it
    /// ended, and its trace.
    fn finish(mut self) -> Finished {
        while !self.done() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (at, passed) = self.exited.expect("exited");
        let mut trace = String::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                trace.push_str(&format!("--- {}\n{text}\n", e.path().display()));
            }
        }
        Finished { passed, at, trace }
    }
}

/// Waits for an agent and a caller together, so that each one's end is
/// timed as it happens.
fn finish_both(mut agent: Sipp, mut caller: Sipp) -> (Finished, Finished) {
    while !(agent.done() & caller.done()) {
        std::thread::sleep(Duration::from_millis(20));
    }
    (agent.finish(), caller.finish())
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits until something (SIPp) has bound UDP `port`.
fn wait_until_bound(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "sipp never bound port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One RTP packet as it arrived.
struct Packet {
    at: Instant,
    payload_type: u8,
    payload: Vec<u8>,
}

/// The caller's media: a UDP port that keeps every RTP packet sent to it.
struct RtpSink {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Packet>>>,
}

impl RtpSink {
    fn start() -> RtpSink {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("binding the RTP sink");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("read timeout");
        let port = socket.local_addr().expect("sink address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut packets = Vec::new();
            let mut buf = [0u8; 2048];
            while !flag.load(Ordering::Relaxed) {
                if let Ok((n, _)) = socket.recv_from(&mut buf)
                    && let Ok(p) = rtp::parse(&buf[..n])
                {
                    packets.push(Packet {
                        at: Instant::now(),
                        payload_type: p.payload_type,
                        payload: p.payload.to_vec(),
                    });
                }
            }
            packets
        });
        RtpSink {
            port,
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> Vec<Packet> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .expect("sink thread")
            .join()
            .expect("the RTP sink thread")
    }
}

/// The audio in `packets`, decoded.
fn audio(packets: &[Packet]) -> Vec<i16> {
    packets
        .iter()
        .filter_map(|p| Some(Codec::from_payload_type(p.payload_type)?.decode(&p.payload)))
        .flatten()
        .collect()
}

/// What a TTY prints from the audio it was sent.
fn tty_screen(packets: &[Packet]) -> String {
    minimodem_rx(&audio(packets), 8000, Some(1.5))
}

#[test]
fn an_agent_ringing_forever_is_cancelled_once_and_the_tty_is_told_before_bye() {
    let agent_port = free_port();
    let srv = Running::start("sipp-ring-forever", agent_port, RING_SECONDS, 41000);
    let agent = Sipp::agent("agent_rings_forever.xml", agent_port, 20);
    let sink = RtpSink::start();
    let t0 = Instant::now();
    let mut caller = Sipp::caller("caller_waits_for_bye.xml", srv.sip, sink.port, false, 40);

    // 180, then CANCEL after the ring timeout (200 to it, 487 to the
    // INVITE, ACK).
    let a = agent.finish();
    assert!(
        a.passed,
        "the ringing agent did not get CANCEL after {RING_SECONDS} s: {}\n{}",
        a.trace,
        srv.log()
    );
    let cancel_after = a.at - t0;
    assert!(
        cancel_after >= Duration::from_millis(RING_SECONDS * 1000 - 500)
            && cancel_after <= Duration::from_secs(RING_SECONDS + 3),
        "CANCEL came {cancel_after:?} after the call, the ring timeout is {RING_SECONDS} s"
    );

    // Nothing dials the queue again: the port is watched until the
    // caller's call is over (a UDP INVITE would be resent every 0.5 s).
    let watch = UdpSocket::bind(("127.0.0.1", agent_port)).expect("binding the agent port again");
    watch
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("read timeout");
    let mut second_invite = None;
    let mut buf = [0u8; 8192];
    while !caller.done() {
        if let Ok((n, _)) = watch.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if text.starts_with("INVITE") {
                second_invite.get_or_insert(text);
            }
        }
    }
    let c = caller.finish();
    let packets = sink.finish();
    assert!(
        c.passed,
        "the TTY caller got no BYE: {}\n{}",
        c.trace,
        srv.log()
    );
    assert!(
        second_invite.is_none(),
        "the queue was dialled again after the ring timeout: {second_invite:?}"
    );
    let bye_after = c.at - t0;
    assert!(
        bye_after >= Duration::from_secs(RING_SECONDS) && bye_after < Duration::from_secs(20),
        "the caller's BYE came {bye_after:?} after the call"
    );
    let screen = tty_screen(&packets);
    assert!(
        screen.contains("NO AGENT"),
        "the TTY was not told that no agent answered: {screen:?}"
    );

    let ended = srv.ends_as("no-agent", "0", false);
    assert_eq!(
        field(&ended, "chars_lost"),
        Some("0"),
        "the notice was cut short: {ended:?}"
    );
}

#[test]
fn a_caller_hanging_up_while_the_agent_rings_cancels_the_agent() {
    let agent_port = free_port();
    // The ring timeout is long: the CANCEL can only come from the BYE.
    let srv = Running::start("sipp-caller-leaves", agent_port, 30, 41200);
    let agent = Sipp::agent("agent_rings_forever.xml", agent_port, 20);
    let sink = RtpSink::start();
    let t0 = Instant::now();
    // INVITE, ACK, three seconds, BYE: expects 200.
    let caller = Sipp::caller("caller_hangs_up.xml", srv.sip, sink.port, false, 15);
    let (a, c) = finish_both(agent, caller);
    assert!(
        c.passed,
        "the caller's BYE was not answered 200: {}\n{}",
        c.trace,
        srv.log()
    );
    let _ = sink.finish();
    assert!(
        a.passed,
        "the ringing agent was not cancelled: {}\n{}",
        a.trace,
        srv.log()
    );
    assert!(
        a.at - t0 < Duration::from_secs(10),
        "the CANCEL came {:?} after the call, not on the caller's BYE",
        a.at - t0
    );
    assert!(
        a.at.saturating_duration_since(c.at) < Duration::from_secs(3),
        "the agent rang on {:?} after the caller hung up",
        a.at.saturating_duration_since(c.at)
    );
    // Never connected to anyone: abandoned, not relayed.
    srv.ends_as("abandoned", "0", false);
}

#[test]
fn an_agent_queue_nobody_listens_on_ends_the_call_after_the_ring_timeout() {
    // A port with nobody on it.
    let nobody = free_port();
    let srv = Running::start("sipp-no-agent", nobody, RING_SECONDS, 41400);
    let sink = RtpSink::start();
    let t0 = Instant::now();
    let c = Sipp::caller("caller_waits_for_bye.xml", srv.sip, sink.port, false, 30).finish();
    let packets = sink.finish();
    assert!(
        c.passed,
        "the TTY caller got no BYE: {}\n{}",
        c.trace,
        srv.log()
    );
    // UDP to a closed port looks like a queue that never answers: the
    // ring timeout ends it, then the notice, then BYE (about 5 s here).
    let bye_after = c.at - t0;
    assert!(
        bye_after >= Duration::from_secs(RING_SECONDS) && bye_after < Duration::from_secs(20),
        "the caller's BYE came {bye_after:?} after the call"
    );
    let screen = tty_screen(&packets);
    assert!(
        screen.contains("NO AGENT"),
        "the TTY was not told that no agent answered: {screen:?}"
    );
    srv.ends_as("no-agent", "0", false);
}

#[test]
fn hold_and_resume_from_the_caller_are_answered_per_rfc_3264_and_stop_our_rtp() {
    let agent_port = free_port();
    let srv = Running::start("sipp-hold", agent_port, RING_SECONDS, 41600);
    let agent = Sipp::agent("agent_answers.xml", agent_port, 30);
    let sink = RtpSink::start();
    // re-INVITE sendonly (answer recvonly or inactive, o= version 2),
    // 3 s on hold, re-INVITE sendrecv (answer sendrecv, version 3), BYE.
    let caller = Sipp::caller("caller_hold_resume.xml", srv.sip, sink.port, false, 20);
    let (a, c) = finish_both(agent, caller);
    let packets = sink.finish();
    assert!(
        c.passed,
        "hold and resume were not answered as RFC 3264 says: {}\n{}",
        c.trace,
        srv.log()
    );
    assert!(
        a.passed,
        "the agent did not get BYE after the caller's: {}\n{}",
        a.trace,
        srv.log()
    );
    // While held, relaygate sends the caller nothing; before and after,
    // a packet every 20 ms.
    let (gap_at, gap) = packets
        .windows(2)
        .map(|w| (w[1].at, w[1].at - w[0].at))
        .max_by_key(|(_, g)| *g)
        .expect("RTP reached the caller");
    assert!(
        gap >= Duration::from_secs(2) && gap < Duration::from_secs(5),
        "the longest pause in RTP to the caller was {gap:?}; on hold for 3 s"
    );
    let before = packets.iter().filter(|p| p.at < gap_at).count();
    let after = packets.iter().filter(|p| p.at >= gap_at).count();
    assert!(
        before > 25 && after > 25,
        "RTP before hold {before} packets, after resume {after}"
    );
    srv.ends_as("relayed", "1", false);
}

#[test]
fn a_bye_from_the_caller_hangs_up_the_agent() {
    let agent_port = free_port();
    let srv = Running::start("sipp-caller-bye", agent_port, RING_SECONDS, 41800);
    let agent = Sipp::agent("agent_answers.xml", agent_port, 30);
    let sink = RtpSink::start();
    let caller = Sipp::caller("caller_hangs_up.xml", srv.sip, sink.port, false, 15);
    let (a, c) = finish_both(agent, caller);
    let _ = sink.finish();
    assert!(
        c.passed,
        "the caller's BYE was not answered 200: {}\n{}",
        c.trace,
        srv.log()
    );
    assert!(a.passed, "the agent got no BYE: {}\n{}", a.trace, srv.log());
    // What is pending for the agent may play first, within the grace.
    let late = a.at.saturating_duration_since(c.at);
    assert!(
        late < Duration::from_secs(GRACE_SECONDS + 2),
        "the agent's BYE came {late:?} after the caller's"
    );
    srv.ends_as("relayed", "1", false);
}

/// The agent answers and hangs up 3 s later; relaygate answers its BYE
/// and then hangs up the caller, over UDP or TCP.
fn agent_bye_reaches_the_caller(label: &str, tcp: bool, rtp_base: u16) {
    let agent_port = free_port();
    let srv = Running::start(label, agent_port, RING_SECONDS, rtp_base);
    if tcp {
        srv.assert_still_serving(true);
    }
    let agent = Sipp::agent("agent_hangs_up.xml", agent_port, 20);
    let sink = RtpSink::start();
    let caller = Sipp::caller("caller_waits_for_bye.xml", srv.sip, sink.port, tcp, 30);
    let (a, c) = finish_both(agent, caller);
    let _ = sink.finish();
    assert!(
        a.passed,
        "the agent's BYE was not answered 200: {}\n{}",
        a.trace,
        srv.log()
    );
    assert!(
        c.passed,
        "the caller got no BYE after the agent's: {}\n{}",
        c.trace,
        srv.log()
    );
    let late = c.at.saturating_duration_since(a.at);
    assert!(
        late < Duration::from_secs(GRACE_SECONDS + 2),
        "the caller's BYE came {late:?} after the agent's"
    );
    srv.ends_as("relayed", "1", tcp);
}

#[test]
fn a_bye_from_the_agent_hangs_up_the_caller() {
    agent_bye_reaches_the_caller("sipp-agent-bye", false, 42000);
}

#[test]
fn over_tcp_options_and_a_call_hung_up_by_the_agent() {
    agent_bye_reaches_the_caller("sipp-tcp", true, 42200);
}

/// One datagram of a malformed-SIP case and what may answer it.
struct Case {
    name: &'static str,
    datagram: Vec<u8>,
    /// Status codes that are right; `None` in the list: silence is right.
    right: &'static [Option<u16>],
}

/// An INVITE to `sip:relay@` on `sip` from `local` (a user with no line:
/// an `auto` call that dials nobody while it listens), with a fresh
/// Call-ID and branch (a reused one would be answered as a
/// retransmission);
/// `drop` leaves a header out, `extra` adds a line, `content_length`
/// overrides the real one.
fn invite(
    sip: u16,
    local: u16,
    drop: &str,
    extra: &str,
    body: &str,
    content_length: Option<usize>,
) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let id = format!("{}x{n}", std::process::id());
    let headers = [
        (
            "Via",
            format!("Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-mal-{id}"),
        ),
        (
            "From",
            format!("From: <sip:m@127.0.0.1:{local}>;tag=mal{id}"),
        ),
        ("To", format!("To: <sip:relay@127.0.0.1:{sip}>")),
        ("Call-ID", format!("Call-ID: malformed-{id}")),
        ("CSeq", "CSeq: 1 INVITE".to_string()),
        ("Contact", format!("Contact: <sip:m@127.0.0.1:{local}>")),
        ("Max-Forwards", "Max-Forwards: 70".to_string()),
    ];
    let mut text = format!("INVITE sip:relay@127.0.0.1:{sip} SIP/2.0\r\n");
    for (name, line) in headers {
        if name != drop {
            text.push_str(&line);
            text.push_str("\r\n");
        }
    }
    if !extra.is_empty() {
        text.push_str(extra);
        text.push_str("\r\n");
    }
    if !body.is_empty() {
        text.push_str("Content-Type: application/sdp\r\n");
    }
    text.push_str(&format!(
        "Content-Length: {}\r\n\r\n{body}",
        content_length.unwrap_or(body.len())
    ));
    text
}

/// The status code of a SIP response.
fn status_of(reply: &str) -> Option<u16> {
    reply.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
}

/// A header line of a SIP message, by name.
fn header_line<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find(|l| {
        l.to_ascii_lowercase()
            .starts_with(&format!("{}:", name.to_ascii_lowercase()))
    })
}

#[test]
fn malformed_truncated_and_stray_sip_is_refused_or_ignored_and_calls_go_on() {
    let agent_port = free_port();
    let srv = Running::start("sipp-malformed", agent_port, RING_SECONDS, 42400);
    let sip = srv.sip;
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 45000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    let sockets: Vec<UdpSocket> = (0..11)
        .map(|_| {
            let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
            s.set_read_timeout(Some(Duration::from_millis(100)))
                .expect("read timeout");
            s
        })
        .collect();
    let port = |i: usize| sockets[i].local_addr().expect("addr").port();
    let silence_or_4xx: &[Option<u16>] = &[None, Some(400)];
    let cases = vec![
        Case {
            // RFC 3261 18.3: a request whose body is shorter than its
            // Content-Length SHOULD get 400.
            name: "Content-Length 200 bytes longer than the body",
            datagram: invite(sip, port(0), "", "", sdp, Some(sdp.len() + 200)).into_bytes(),
            right: &[Some(400)],
        },
        Case {
            name: "SDP cut mid-line, Content-Length of the whole",
            datagram: {
                let cut = &sdp[..sdp.find("RTP/AVP").expect("m line")];
                invite(sip, port(1), "", "", cut, Some(sdp.len())).into_bytes()
            },
            right: &[Some(400)],
        },
        Case {
            // Via, From, To, Call-ID and CSeq are all there, but the
            // message has no end of headers: the SIP stack (rsipstack)
            // drops it unread, so silence is what relaygate can give
            // (docs/serve.md, known limits).
            name: "headers cut mid-line, no end of headers",
            datagram: {
                let whole = invite(sip, port(2), "", "", sdp, None);
                let cut = whole.find("Contact:").expect("Contact") + 12;
                whole.as_bytes()[..cut].to_vec()
            },
            right: silence_or_4xx,
        },
        Case {
            name: "no Call-ID",
            datagram: invite(sip, port(3), "Call-ID", "", sdp, None).into_bytes(),
            right: silence_or_4xx,
        },
        Case {
            name: "no Via",
            datagram: invite(sip, port(4), "Via", "", sdp, None).into_bytes(),
            right: &[None],
        },
        Case {
            name: "no CSeq",
            datagram: invite(sip, port(5), "CSeq", "", sdp, None).into_bytes(),
            right: silence_or_4xx,
        },
        Case {
            name: "a body that is not SDP",
            datagram: invite(sip, port(6), "", "", "this is not sdp\r\n", None).into_bytes(),
            right: &[Some(400), Some(488)],
        },
        Case {
            // RFC 3261 18.1.2: a response that matches no transaction is
            // dropped.
            name: "a 200 to nothing",
            datagram: format!(
                "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:{sip};branch=z9hG4bKnothing\r\n\
                 From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\n\
                 Call-ID: nothing-{}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
                std::process::id()
            )
            .into_bytes(),
            right: &[None],
        },
        Case {
            name: "binary garbage",
            datagram: (0..1024u32).map(|i| (i * 7 % 256) as u8).collect(),
            right: &[None],
        },
        Case {
            // A legal request, 20 kB in one datagram. RFC 3261 18.1.1
            // asks a UDP element to take up to 65,535 bytes; the SIP
            // stack reads 8,192 at most and drops the rest unanswered
            // (docs/serve.md, known limits). Either is fine here, and the
            // server must go on serving.
            name: "OPTIONS with a 20,000-character header line",
            datagram: invite(
                sip,
                port(9),
                "",
                &format!("X-Long: {}", "a".repeat(20_000)),
                "",
                None,
            )
            .replacen("INVITE", "OPTIONS", 1)
            .replace("CSeq: 1 INVITE", "CSeq: 1 OPTIONS")
            .into_bytes(),
            right: &[None, Some(200), Some(400), Some(413), Some(513)],
        },
        Case {
            name: "a 3,000-character Request-URI user part",
            datagram: invite(sip, port(10), "", "", sdp, None)
                .replacen("sip:relay@", &format!("sip:{}@", "b".repeat(3000)), 1)
                .into_bytes(),
            // An INVITE to a user with no line goes to the first queue:
            // answered like any call.
            right: &[Some(200), Some(400), Some(414)],
        },
    ];
    for (i, c) in cases.iter().enumerate() {
        sockets[i]
            .send_to(&c.datagram, ("127.0.0.1", sip))
            .expect("send");
    }
    std::thread::sleep(Duration::from_millis(1500));
    let mut wrong = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let mut buf = vec![0u8; 65536];
        let mut first: Option<u16> = None;
        while let Ok((n, from)) = sockets[i].recv_from(&mut buf) {
            let reply = String::from_utf8_lossy(&buf[..n]).into_owned();
            let Some(code) = status_of(&reply) else {
                continue;
            };
            if first.is_none() {
                first = Some(code);
            }
            // An INVITE taken as a call: ACK and BYE, so it ends now.
            if (200..300).contains(&code) && reply.contains("CSeq: 1 INVITE") {
                let call_id = header_line(&reply, "Call-ID").expect("Call-ID");
                let from_h = header_line(&reply, "From").expect("From");
                let to_h = header_line(&reply, "To").expect("To");
                let local = sockets[i].local_addr().expect("addr").port();
                for (method, cseq) in [("ACK", 1), ("BYE", 2)] {
                    let msg = format!(
                        "{method} sip:relaygate@127.0.0.1:{sip} SIP/2.0\r\n\
                         Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-{method}-{i}-{}\r\n\
                         {from_h}\r\n{to_h}\r\n{call_id}\r\nCSeq: {cseq} {method}\r\n\
                         Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
                        std::process::id()
                    );
                    sockets[i].send_to(msg.as_bytes(), from).expect("send");
                }
            }
        }
        if !c.right.contains(&first) {
            wrong.push(format!(
                "{}: answered {}, right is {:?} (None: silence)",
                c.name,
                first.map_or("nothing".to_string(), |c| c.to_string()),
                c.right
            ));
        }
    }

    // Still serving: OPTIONS, and a whole call with an agent.
    srv.assert_still_serving(true);
    let agent = Sipp::agent("agent_answers.xml", agent_port, 30);
    let sink = RtpSink::start();
    let caller = Sipp::caller("caller_hangs_up.xml", srv.sip, sink.port, false, 15);
    let (a, c) = finish_both(agent, caller);
    let _ = sink.finish();
    assert!(
        c.passed && a.passed,
        "a normal call failed after malformed SIP: caller {}\nagent {}\n{}",
        c.trace,
        a.trace,
        srv.log()
    );
    // Calls taken from the malformed INVITEs end too; the normal one is
    // the only one that reached an agent.
    let with_agent = || {
        srv.log()
            .lines()
            .filter(|l| l.contains("call ended") && field(l, "agent_legs") == Some("1"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(GRACE_SECONDS + 5);
    while with_agent().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let ended = with_agent();
    assert_eq!(ended.len(), 1, "the normal call did not end: {}", srv.log());
    assert_eq!(field(&ended[0], "outcome"), Some("relayed"), "{ended:?}");
    let m = srv.metrics();
    assert!(calls_total(&m, "refused") >= 1.0, "{m}");
    // The INVITEs taken as calls were hung up with BYE: none is left.
    assert_eq!(metric(&m, "relaygate_calls_active"), Some(0.0), "{m}");
    srv.assert_still_serving(false);
    srv.stop();
    assert!(
        wrong.is_empty(),
        "malformed SIP answered wrongly:\n{wrong:#?}"
    );
}
