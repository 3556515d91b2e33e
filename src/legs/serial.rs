//! The serial TTY leg: a TTY wired to a serial port, through
//! `tokio-serial`.
//!
//! The task owns the port and nothing else. It turns bytes into text with
//! [`SerialCodec`] and reports it; it writes the text the relay hands it.
//! When the port goes away (a USB adapter unplugged, a cable pulled) it
//! keeps trying to open it again with backoff for as long as the call
//! lives, and text meant for the TTY waits meanwhile: nothing is lost.
//!
//! Port settings come from the device profile. A Baudot TTY runs at 5 data
//! bits and 2 stop bits (a 16550 UART sends 1.5 stop bits at 5 data bits
//! when asked for 2), at the whole baud nearest 45.45 or 50. Some ports,
//! pseudo-terminals among them, accept those settings and silently keep 8
//! data bits; the leg reads the setting back and warns rather than fails,
//! because the codec masks nothing and counts out-of-range bytes as
//! garbage either way. Pacing is the relay's job: it releases characters
//! no faster than the TTY prints them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio_serial::{DataBits, SerialPort, SerialPortBuilderExt, SerialStream, StopBits};
use tracing::{info, warn};

use tracing::Instrument;

use super::customer::{CustomerEvent, CustomerLeg};
use super::serial_codec::SerialCodec;
use crate::device::{DeviceProfile, Line};

/// What the serial leg reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SerialEvent {
    /// The port is open. `framing_ok` is false when the port would not
    /// take the profile's data bits (a pseudo-terminal, say).
    Connected {
        /// Whether the port reads back the data bits asked for.
        framing_ok: bool,
    },
    /// The TTY typed this.
    Text(String),
    /// Bytes no TTY of this kind sends arrived and were dropped.
    Garbage(usize),
    /// The port went away; the leg is trying to open it again.
    Disconnected,
}

/// Backoff between attempts to open the port.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Quiet on the line after which a word held back to decide its shift
/// is printed as it stands: a TTY types about six characters a second,
/// so a second of nothing means the typist has stopped.
const HOLD_RELEASE: Duration = Duration::from_secs(1);

/// Runs the leg until `shutdown` turns true (or its sender is dropped).
///
/// `to_tty` carries text to print; `events` reports what happens. Text
/// still waiting when the leg stops is returned, so the caller can count
/// it rather than lose it silently.
pub async fn run(
    path: PathBuf,
    profile: DeviceProfile,
    mut to_tty: mpsc::UnboundedReceiver<String>,
    events: mpsc::UnboundedSender<SerialEvent>,
    mut shutdown: watch::Receiver<bool>,
) -> String {
    let mut codec = SerialCodec::new(&profile);
    // Text for the TTY that has not been written yet.
    let mut pending = String::new();
    let mut backoff = BACKOFF_MIN;
    loop {
        if *shutdown.borrow() {
            return pending;
        }
        let mut port = match open(&path, &profile) {
            Ok((port, framing_ok)) => {
                if !framing_ok {
                    warn!(port = %path.display(), "port keeps 8 data bits; 5-bit framing is not honoured");
                }
                info!(port = %path.display(), "serial TTY connected");
                let _ = events.send(SerialEvent::Connected { framing_ok });
                backoff = BACKOFF_MIN;
                port
            }
            Err(e) => {
                tracing::debug!(port = %path.display(), error = %e, "cannot open serial port yet");
                tokio::select! {
                    // Waiting for the port to come back.
                    _ = tokio::time::sleep(backoff) => {}
                    // Text keeps arriving while the port is away; keep it.
                    Some(text) = to_tty.recv() => pending.push_str(&text),
                    // A dropped sender means the call is gone too.
                    changed = shutdown.changed() => if changed.is_err() {
                        return pending;
                    },
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue;
            }
        };
        // Whatever waited for the port goes first.
        if !pending.is_empty() && write(&mut port, &mut codec, &pending).await.is_ok() {
            pending.clear();
        }
        let mut buf = [0u8; 256];
        let lost_port = loop {
            let holding = codec.is_holding();
            tokio::select! {
                // A Baudot word held back to decide its shift prints once
                // the line has been quiet for a while.
                _ = tokio::time::sleep(HOLD_RELEASE), if holding => {
                    send_text(&events, codec.flush().text);
                }
                read = port.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break true,
                    Ok(n) => {
                        let decoded = codec.decode(&buf[..n]);
                        if decoded.garbage > 0 {
                            let _ = events.send(SerialEvent::Garbage(decoded.garbage));
                        }
                        send_text(&events, decoded.text);
                    }
                },
                text = to_tty.recv() => match text {
                    Some(text) => {
                        if write(&mut port, &mut codec, &text).await.is_err() {
                            pending.push_str(&text);
                            break true;
                        }
                    }
                    // The relay is gone: nothing more to print.
                    None => break false,
                },
                _ = shutdown.changed() => break false,
            }
        };
        // Nothing typed stays held back when the line goes.
        send_text(&events, codec.flush().text);
        if lost_port {
            warn!(port = %path.display(), "serial TTY disconnected; retrying");
            let _ = events.send(SerialEvent::Disconnected);
            continue;
        }
        // Print what is still queued before stopping.
        while let Ok(text) = to_tty.try_recv() {
            pending.push_str(&text);
        }
        if !pending.is_empty() && write(&mut port, &mut codec, &pending).await.is_ok() {
            pending.clear();
        }
        return pending;
    }
}

/// Reports decoded text, if there is any.
fn send_text(events: &mpsc::UnboundedSender<SerialEvent>, text: String) {
    if !text.is_empty() {
        let _ = events.send(SerialEvent::Text(text));
    }
}

fn open(path: &Path, profile: &DeviceProfile) -> tokio_serial::Result<(SerialStream, bool)> {
    let (baud, data_bits, stop_bits) = match profile.line {
        Line::Baudot => (profile.baud.round() as u32, DataBits::Five, StopBits::Two),
        Line::Ascii => {
            let stop = if profile.stop_bits >= 2.0 {
                StopBits::Two
            } else {
                StopBits::One
            };
            (profile.baud as u32, DataBits::Eight, stop)
        }
    };
    let port = tokio_serial::new(path.to_string_lossy(), baud)
        .data_bits(data_bits)
        .stop_bits(stop_bits)
        .parity(tokio_serial::Parity::None)
        .flow_control(tokio_serial::FlowControl::None)
        .open_native_async()?;
    // An Ok proves nothing: read the setting back.
    let framing_ok = port.data_bits().is_ok_and(|d| d == data_bits);
    Ok((port, framing_ok))
}

async fn write(
    port: &mut SerialStream,
    codec: &mut SerialCodec,
    text: &str,
) -> std::io::Result<()> {
    let (bytes, _) = codec.encode(text);
    port.write_all(&bytes).await?;
    port.flush().await
}
/// The serial leg as the call loop's [`CustomerLeg`]: the task above,
/// and the channels to it.
#[derive(Debug)]
pub struct SerialCustomer {
    to_tty: mpsc::UnboundedSender<String>,
    events: mpsc::UnboundedReceiver<SerialEvent>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<String>,
}

impl SerialCustomer {
    /// Starts the leg's task on `path` with `profile`'s settings.
    pub fn start(path: PathBuf, profile: DeviceProfile) -> SerialCustomer {
        let (to_tty, tty_rx) = mpsc::unbounded_channel();
        let (ev_tx, events) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(
            run(path, profile, tty_rx, ev_tx, stop_rx)
                .instrument(tracing::info_span!("leg", leg = "tty")),
        );
        SerialCustomer {
            to_tty,
            events,
            stop,
            task,
        }
    }
}

impl CustomerLeg for SerialCustomer {
    fn tick(&mut self, _events: &mut Vec<CustomerEvent>) {}

    async fn next_event(&mut self) -> Option<CustomerEvent> {
        let ev = self.events.recv().await?;
        Some(match ev {
            SerialEvent::Connected { .. } => CustomerEvent::Connected,
            SerialEvent::Text(t) => CustomerEvent::Text(t),
            SerialEvent::Garbage(n) => CustomerEvent::Garbage(n),
            SerialEvent::Disconnected => CustomerEvent::Disconnected,
        })
    }

    fn send_text(&mut self, text: &str) {
        let _ = self.to_tty.send(text.to_owned());
    }

    fn is_sending(&self) -> bool {
        // The relay core paces the text; what the task holds it prints
        // on stop.
        false
    }

    async fn finish(self) -> String {
        let _ = self.stop.send(true);
        drop(self.to_tty);
        self.task.await.unwrap_or_default()
    }
}
