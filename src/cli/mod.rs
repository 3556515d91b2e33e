//! Command-line interface: argument parsing, file and terminal I/O, and
//! the mapping of errors to one-line messages and exit statuses.
//!
//! Everything that decides anything lives in the library; this module
//! only moves bytes between files, stdin/stdout and the library's state
//! machines. Exit status 2 means the input was unusable, 1 any other
//! failure.
//!
//! This file holds the argument tree, the dispatch and the helpers the
//! commands share; each command has its own file: `tty.rs` (tty,
//! devices), `text.rs`, `stt.rs` (models, stt), `speak.rs` (tts,
//! voices), `call.rs`, `serve.rs` (serve, config), `phone.rs` and
//! `users.rs`.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::progress;
use relaygate::audio::wav::{self, WavReader};
use relaygate::device::{self, DeviceProfile};
use relaygate::modem::{BaudMode, Demodulator, LineParams, Modulator};
use relaygate::text::baudot::{Decoder, Encoder, Table};
use relaygate::text::shift_habit::{HabitDecoder, UnshiftOnSpace};
use relaygate::tts::{self, NeuralVoice, VoiceProfile, fetch};

mod call;
mod phone;
mod serve;
mod speak;
mod stt;
mod text;
mod tty;
mod users;

use call::*;
use phone::*;
use serve::*;
use speak::*;
use stt::*;
use text::*;
use tty::*;
use users::*;

/// relaygate: a gateway between text telephones (TTYs) and voice calls.
#[derive(Debug, Parser)]
#[command(name = "relaygate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Baudot TTY tones: decode a recording to text, or text to tones.
    #[command(subcommand)]
    Tty(TtyCommand),
    /// List the built-in TTY device profiles, or check a profile file.
    Devices(DevicesArgs),
    /// Run one relay call: a TTY on a serial port and an agent leg from
    /// WAV files. Prints a JSON summary (metadata only).
    Call(CallArgs),
    /// TTY text paths: what the agent hears, what a TTY receives.
    #[command(subcommand)]
    Text(TextCommand),
    /// Speech-to-text models: fetch known ones, import CTranslate2 ones.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Speech-to-text: transcribe a recording.
    #[command(subcommand)]
    Stt(SttCommand),
    /// Text to speech: write what the agent would hear to a WAV file.
    #[command(subcommand)]
    Tts(TtsCommand),
    /// Voice profiles and the neural voice: list them, or fetch the voice.
    #[command(subcommand)]
    Voices(VoicesCommand),
    /// Run the gateway: answer SIP calls, recognise TTY callers, dial the
    /// agent queue and relay, until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Configuration files for `relaygate serve`.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Software phones for trying `relaygate serve` without a phone
    /// network: a TTY that dials, an agent that answers.
    #[command(subcommand)]
    Phone(PhoneCommand),
    /// The operator console's users: add one (the password is read from
    /// standard input) or list them.
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TableArg {
    /// US TTY (TIA-825-A).
    Us,
    /// ITU-T ITA2 (Europe).
    Ita2,
}

impl From<TableArg> for Table {
    fn from(t: TableArg) -> Table {
        match t {
            TableArg::Us => Table::Us,
            TableArg::Ita2 => Table::Ita2,
        }
    }
}

/// An error caused by what the user gave us: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BadInput(String);

fn bad(msg: impl Into<String>) -> anyhow::Error {
    anyhow!(BadInput(msg.into()))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs one line per call; other commands keep stderr for
    // warnings. rsipstack logs whole SIP messages at info: kept at warn.
    init_tracing(if matches!(cli.command, Command::Serve(_)) {
        "info,rsipstack=warn"
    } else {
        "warn"
    });
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let status = if e.downcast_ref::<BadInput>().is_some() {
                2
            } else {
                1
            };
            eprintln!("relaygate: {e:#}");
            ExitCode::from(status)
        }
    }
}

fn init_tracing(default: &str) {
    // Diagnostics go to stderr: stdout is reserved for command output
    // that other tools parse.
    let filter = tracing_subscriber::EnvFilter::try_from_env("RELAYGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr)
        .try_init();
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Tty(TtyCommand::Decode(a)) => tty_decode(&a),
        Command::Tty(TtyCommand::Encode(a)) => tty_encode(&a),
        Command::Tty(TtyCommand::Terminal(a)) => tty_terminal(&a),
        Command::Devices(a) => devices(&a),
        Command::Call(a) => call(&a),
        Command::Text(TextCommand::SpeakForm(a)) => {
            println!("{}", relaygate::text::speakable(&text_arg(a.text)?));
            Ok(())
        }
        Command::Text(TextCommand::TtyForm(a)) => tty_form(&text_arg(a.text)?, a.table.into()),
        Command::Models(c) => models(&c),
        Command::Stt(c) => stt(&c),
        Command::Tts(TtsCommand::Say(a)) => tts_say(&a),
        Command::Voices(VoicesCommand::Fetch) => voices_fetch(),
        Command::Voices(VoicesCommand::List) => voices_list(),
        Command::Serve(a) => serve(&a),
        Command::Config(ConfigCommand::Check { file }) => config_check(&file),
        Command::Phone(PhoneCommand::Tty(a)) => phone_tty(&a),
        Command::Phone(PhoneCommand::Agent(a)) => phone_agent(&a),
        Command::Users(c) => users(&c),
    }
}

fn seconds(s: f64, what: &str) -> Result<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(s)
        .map_err(|_| bad(format!("{what} must be a number of seconds, 0 or more")))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The text argument, or stdin when there is none.
fn text_arg(text: Option<String>) -> Result<String> {
    match text {
        Some(t) => Ok(t),
        None => {
            let mut t = String::new();
            io::stdin()
                .read_to_string(&mut t)
                .map_err(|e| bad(format!("stdin is not readable text: {e}")))?;
            Ok(t)
        }
    }
}

fn write_wav(path: &Path, rate: u32, samples: &[i16]) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    wav::write_pcm16(&mut w, rate, samples)
        .and_then(|()| w.flush())
        .with_context(|| format!("cannot write {}", path.display()))
}

// ---------------------------------------------------------------------
// Speech-to-text commands: `models import|fetch` and `stt transcribe`.
// Kept together at the end of the file; the library side is `relaygate::stt`.
// ---------------------------------------------------------------------

/// The `--model` path, or the cached default with a hint when it is missing.
fn model_path(given: Option<&PathBuf>) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.clone());
    }
    let path = relaygate::stt::fetch::Cache::from_env()?.default_model_path();
    if !path.is_file() {
        return Err(bad(format!(
            "no model at {}: run `relaygate models fetch tiny.en` or pass --model",
            path.display()
        )));
    }
    Ok(path)
}

/// The neural voice's place in the cache.
fn neural_voice() -> Result<NeuralVoice> {
    let cache = fetch::cache_dir().map_err(|e| anyhow!("{e}"))?;
    Ok(NeuralVoice::in_cache(&cache))
}

/// A device profile from a built-in name or a TOML file.
fn device_profile(name_or_path: &str) -> Result<DeviceProfile> {
    if let Some(p) = device::builtin(name_or_path) {
        return Ok(p);
    }
    let path = Path::new(name_or_path);
    if !path.exists() {
        return Err(bad(format!(
            "no device profile '{name_or_path}': use one of {} or a .toml file",
            device::builtin_names().join(", ")
        )));
    }
    device::load(path).map_err(|e| bad(format!("{}: {e}", path.display())))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
