//! baresip (Debian `baresip-core`) as a headless phone for the tests: a
//! WAV file is its microphone, and it records what it hears. One config
//! directory per phone.
//!
//! baresip 1.0.0 needs, headless: `aufile` as the source and `aubridge`
//! as the player (aufile plays nothing; `sndfile` records what is heard).
//! Not ALSA's `null` device: it takes samples as fast as they come, and
//! each phone's player thread then spins on a core, which starves the
//! server under test of CPU; aubridge's thread keeps real time. No
//! `stdio` module (it cannot poll
//! /dev/null); `net_interface 127.0.0.1`, or its SDP names another
//! address; and a free TCP port after its SIP port (it listens for TLS
//! there). It hangs up when its microphone file ends, so files are padded
//! to the call's length. Its stdout is block-buffered: the SIP trace
//! (`-s`) is read from its log once it has exited.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::peers::{read_wav, write_wav};

/// One baresip phone.
pub struct Baresip {
    child: Child,
    dir: PathBuf,
    control: Option<u16>,
}

/// How a phone behaves.
pub struct Phone<'a> {
    /// Its SIP port on 127.0.0.1 (the next port must be free too).
    pub port: u16,
    /// User part of its address.
    pub user: &'a str,
    /// What it says, 8 kHz mono, from the moment the call is answered.
    pub microphone: &'a [i16],
    /// Answers every call at once.
    pub auto_answer: bool,
    /// Number to dial at start, if any.
    pub dial: Option<&'a str>,
    /// baresip quits after this long.
    pub quit_after: Duration,
    /// A TCP port for commands (baresip's `ctrl_tcp`), when the test
    /// sends it any ([`Baresip::command`]).
    pub control: Option<u16>,
}

impl Baresip {
    /// Writes the phone's config under `dir` and starts it.
    pub fn start(dir: &Path, phone: &Phone) -> Baresip {
        std::fs::create_dir_all(dir.join("heard")).expect("baresip dir");
        let mic = dir.join("microphone.wav");
        write_wav(&mic, 8000, phone.microphone);
        let config = format!(
            "poll_method epoll\n\
             sip_listen 127.0.0.1:{port}\n\
             net_interface 127.0.0.1\n\
             audio_player aubridge,heard\n\
             audio_alert aubridge,alert\n\
             audio_source aufile,{mic}\n\
             audio_srate 8000\n\
             audio_channels 1\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\n\
             module aufile.so\n\
             module aubridge.so\n\
             module sndfile.so\n\
             module_app account.so\n\
             module_app menu.so\n\
             snd_path {heard}\n{control}",
            port = phone.port,
            mic = mic.display(),
            heard = dir.join("heard").display(),
            control = phone
                .control
                .map(|p| format!("module_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{p}\n"))
                .unwrap_or_default(),
        );
        std::fs::write(dir.join("config"), config).expect("baresip config");
        std::fs::write(
            dir.join("accounts"),
            format!(
                "<sip:{}@127.0.0.1:{}>;regint=0;audio_codecs=PCMU;answermode={}\n",
                phone.user,
                phone.port,
                if phone.auto_answer { "auto" } else { "manual" }
            ),
        )
        .expect("baresip accounts");
        std::fs::write(dir.join("contacts"), "").expect("baresip contacts");
        let mut cmd = Command::new("baresip");
        cmd.arg("-f")
            .arg(dir)
            .arg("-s")
            .args(["-t", &phone.quit_after.as_secs().to_string()]);
        if let Some(target) = phone.dial {
            cmd.args(["-e", &format!("/dial {target}")]);
        }
        let log = std::fs::File::create(dir.join("baresip.log")).expect("baresip log");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("baresip runs (Debian package baresip-core)");
        Baresip {
            child,
            dir: dir.to_path_buf(),
            control: phone.control,
        }
    }

    /// Sends a command (`sndcode`, `hangup`) with its parameters over
    /// `ctrl_tcp`, as a netstring of JSON; waits for baresip to listen.
    pub fn command(&self, command: &str, params: &str) {
        use std::io::Write;
        let port = self.control.expect("a phone started with a control port");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut stream = loop {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => panic!("baresip's ctrl_tcp: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        let json = format!(r#"{{"command":"{command}","params":"{params}","token":"t"}}"#);
        stream
            .write_all(format!("{}:{json},", json.len()).as_bytes())
            .expect("command sent");
        // baresip answers; the test does not need the answer.
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Waits for the phone to quit (at most `limit`), then gives what it
    /// heard (8 kHz) and its log.
    pub fn finish(mut self, limit: Duration) -> (Vec<i16>, String) {
        let deadline = Instant::now() + limit;
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = std::fs::read_to_string(self.dir.join("baresip.log")).unwrap_or_default();
        let heard = std::fs::read_dir(self.dir.join("heard"))
            .expect("recordings dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
            .map(|p| {
                let (rate, samples) = read_wav(&p);
                assert_eq!(rate, 8000, "baresip recorded at {rate} Hz");
                samples
            })
            .unwrap_or_default();
        (heard, log)
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
