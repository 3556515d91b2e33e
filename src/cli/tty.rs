//! `relaygate tty` (decode, encode, terminal) and `relaygate devices`.

use super::*;

#[derive(Debug, Subcommand)]
pub(super) enum TtyCommand {
    /// Decode Baudot tones in a WAV file; prints the text on stdout.
    Decode(DecodeArgs),
    /// Encode text from stdin as Baudot tones into a WAV file.
    Encode(EncodeArgs),
    /// A software TTY on a serial port: types stdin at the TTY's pace and
    /// prints what it receives (for trying a line, and for demos).
    Terminal(TerminalArgs),
}

#[derive(Debug, Args)]
pub(super) struct TerminalArgs {
    /// Serial port (or pseudo-terminal) the TTY is on.
    #[arg(long)]
    pub(super) port: PathBuf,
    /// TTY profile: a built-in name (`relaygate devices`) or a TOML file.
    #[arg(long, default_value = "us-generic")]
    pub(super) device: String,
    /// Seconds to keep listening after stdin ends.
    #[arg(long, default_value_t = 5.0)]
    pub(super) linger: f64,
}

#[derive(Debug, Args)]
pub(super) struct DecodeArgs {
    /// WAV file: 16-bit PCM, mu-law or A-law, mono, 8000/16000/44100/48000 Hz.
    #[arg(long)]
    pub(super) input: PathBuf,
    /// Sender's baud rate: `auto` (42 to 50), `45.45` or `50`.
    #[arg(long, default_value = "auto", value_parser = parse_baud_mode)]
    pub(super) baud: BaudMode,
    /// Character table of the sending TTY.
    #[arg(long, value_enum, default_value_t = TableArg::Us)]
    pub(super) table: TableArg,
    /// Keep figures after a space (for senders that never resend FIGS)
    /// [default: learn the sender's habit from the text].
    #[arg(long, conflicts_with = "unshift_on_space")]
    pub(super) no_unshift_on_space: bool,
    /// Return to letters after a space (for senders that always resend
    /// FIGS).
    #[arg(long)]
    pub(super) unshift_on_space: bool,
}

#[derive(Debug, Args)]
pub(super) struct EncodeArgs {
    /// WAV file to write (16-bit PCM, mono).
    #[arg(long)]
    pub(super) output: PathBuf,
    /// Sample rate of the output.
    #[arg(long, default_value_t = 8000, value_parser = parse_rate)]
    pub(super) sample_rate: u32,
    /// Baud rate: `45.45` (US) or `50` (Europe).
    #[arg(long, default_value = "45.45", value_parser = parse_baud)]
    pub(super) baud: f64,
    /// Character table of the receiving TTY.
    #[arg(long, value_enum, default_value_t = TableArg::Us)]
    pub(super) table: TableArg,
    /// Stop bits per character: 1, 1.5 or 2. The default, 2, is read by
    /// every receiver (minimodem's TDD mode needs it); 1.5 is 6 % faster.
    #[arg(long, default_value_t = 2.0, value_parser = parse_stop_bits)]
    pub(super) stop_bits: f64,
}

#[derive(Debug, Args)]
pub(super) struct DevicesArgs {
    /// A profile file to load and validate instead of listing the built-ins.
    #[arg(long)]
    pub(super) check: Option<PathBuf>,
}

pub(super) fn tty_decode(args: &DecodeArgs) -> Result<()> {
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

pub(super) fn print_frames(
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

pub(super) fn tty_encode(args: &EncodeArgs) -> Result<()> {
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

pub(super) fn devices(args: &DevicesArgs) -> Result<()> {
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

pub(super) fn describe(p: &DeviceProfile) -> String {
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

pub(super) fn parse_baud_mode(s: &str) -> Result<BaudMode, String> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(BaudMode::Auto);
    }
    parse_baud(s).map(BaudMode::Fixed)
}

/// A number within `range`, or the error `'{s}' is not {what}`.
pub(super) fn number_in(
    s: &str,
    range: std::ops::RangeInclusive<f64>,
    what: &str,
) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(format!("'{s}' is not {what}")),
    }
}

pub(super) fn parse_baud(s: &str) -> Result<f64, String> {
    number_in(
        s,
        40.0..=110.0,
        "a Baudot baud rate: use 45.45 (US), 50 (Europe) or another value from 40 to 110",
    )
}

pub(super) fn parse_rate(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(r) if [8000, 16000, 44100, 48000].contains(&r) => Ok(r),
        _ => Err(format!(
            "'{s}' is not supported: use 8000, 16000, 44100 or 48000"
        )),
    }
}

pub(super) fn parse_stop_bits(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(b) if [1.0, 1.5, 2.0].contains(&b) => Ok(b),
        _ => Err(format!("'{s}' stop bits: use 1, 1.5 or 2")),
    }
}

pub(super) fn tty_terminal(args: &TerminalArgs) -> Result<()> {
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
