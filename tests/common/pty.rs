//! A serial line for tests: a socat-linked pair of pseudo-terminals,
//! one end for relaygate and one for the test TTY, which can be
//! "unplugged" and plugged back in.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A socat-linked pair of pseudo-terminals: `gw` for relaygate, `user`
/// for the test TTY.
pub struct Line {
    dir: PathBuf,
    socat: Child,
}

impl Line {
    pub fn plug(dir: &Path) -> Line {
        Line {
            dir: dir.to_path_buf(),
            socat: Line::socat(dir),
        }
    }

    /// Plugs the cable back in after [`Line::unplug`].
    pub fn replug(&mut self) {
        self.socat = Line::socat(&self.dir);
    }

    fn socat(dir: &Path) -> Child {
        let gw = dir.join("gw");
        let user = dir.join("user");
        let socat = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", gw.display()))
            .arg(format!("pty,raw,echo=0,link={}", user.display()))
            .stderr(Stdio::null())
            .spawn()
            .expect("socat runs (apt-get install socat)");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !(gw.exists() && user.exists()) {
            assert!(Instant::now() < deadline, "socat made no pty links");
            thread::sleep(Duration::from_millis(20));
        }
        socat
    }

    pub fn unplug(&mut self) {
        let _ = self.socat.kill();
        let _ = self.socat.wait();
        let _ = fs::remove_file(self.dir.join("gw"));
        let _ = fs::remove_file(self.dir.join("user"));
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        self.unplug();
    }
}

/// The test TTY's end of the line, reopened after a replug.
pub fn open_user(dir: &Path) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join("user"))
        .expect("opening the TTY end of the line")
}
