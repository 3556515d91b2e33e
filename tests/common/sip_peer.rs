//! The server process for `relaygate serve` tests, and small helpers
//! around it. The phones that call it are `relaygate::softphone`'s.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A free local port number (UDP and TCP both free at the time asked).
pub fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A running `relaygate serve` and its stderr lines.
pub struct Server {
    pub child: Child,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `relaygate serve --config FILE` and waits until it serves.
    pub fn start(config: &Path, model: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_relaygate"))
            .args(["serve", "--config"])
            .arg(config)
            .arg("--model")
            .arg(model)
            // RELAYGATE_TEST_LOG raises the level and echoes the log, to look
            // into a failure.
            .env(
                "RELAYGATE_LOG",
                std::env::var("RELAYGATE_TEST_LOG")
                    .unwrap_or_else(|_| "info,rsipstack=warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("relaygate serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let echo = std::env::var_os("RELAYGATE_TEST_LOG").is_some();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if echo {
                        eprintln!("serve: {line}");
                    }
                    if line.contains("relaygate serving") {
                        let _ = tx.send(());
                    }
                    log.lock().expect("log").push(line);
                }
            });
        }
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = child.kill();
            panic!(
                "relaygate serve did not start: {:?}",
                log.lock().expect("log")
            );
        }
        Server { child, log }
    }

    /// Everything logged so far.
    pub fn log_text(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    /// The end of a test of one relayed call: the metrics on `metrics`
    /// show it relayed with nothing lost, the server stops cleanly on
    /// SIGTERM, and nothing of `secrets` (what was typed or said) is in
    /// its log. Returns the metrics, for the test's own checks.
    pub fn finish_one_relayed_call(self, metrics: u16, secrets: &[&str]) -> String {
        let m = http_get(SocketAddr::from(([127, 0, 0, 1], metrics)), "/metrics");
        // The `call ended` line says how the call ended and when.
        let ended = self.log_text();
        let ended: Vec<&str> = ended.lines().filter(|l| l.contains("call ended")).collect();
        assert!(
            m.contains("relaygate_calls_total{outcome=\"relayed\"} 1"),
            "{m}\n{ended:?}"
        );
        // The whole log (metadata only) says what the call was doing.
        assert!(
            m.contains("relaygate_characters_total{direction=\"lost\"} 0"),
            "{m}\n{}",
            self.log_text()
        );
        let (status, log) = self.stop_with_log();
        assert!(status.success(), "serve exited with {status}: {log}");
        for secret in secrets {
            assert!(
                !log.contains(secret),
                "the log carries conversation text ({secret:?}): {log}"
            );
        }
        m
    }

    /// SIGTERM, then the exit status and everything logged.
    pub fn stop_with_log(self) -> (std::process::ExitStatus, String) {
        let log = self.log.clone();
        let status = self.stop();
        let text = log.lock().expect("log").join("\n");
        (status, text)
    }

    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "relaygate serve did not stop on SIGTERM: {}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    /// A test that fails leaves no server behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Writes `relaygate.toml` in `dir` for a test server: SIP and metrics
/// on loopback, RTP ports from `rtp` (100 or more, distinct per test
/// binary), one queue `support` at `queue_uri`, then `extra` (more TOML).
pub fn write_config(
    dir: &Path,
    (sip, metrics): (u16, u16),
    rtp: u16,
    queue_uri: &str,
    extra: &str,
) -> std::path::PathBuf {
    let path = dir.join("relaygate.toml");
    let last = rtp + 999;
    std::fs::write(
        &path,
        format!(
            "[sip]\nlisten = \"127.0.0.1:{sip}\"\nrtp_ports = [{rtp}, {last}]\n\
             [[queue]]\nname = \"support\"\nuri = \"{queue_uri}\"\n\
             [metrics]\nlisten = \"127.0.0.1:{metrics}\"\n{extra}"
        ),
    )
    .expect("config");
    path
}

/// A GET of `path` on `addr` over plain HTTP/1.0: the body.
pub fn http_get(addr: SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("response");
    out
}
