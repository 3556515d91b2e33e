//! `relaygate phone`: software phones for trying `relaygate serve`.

use super::*;

#[derive(Debug, Subcommand)]
pub(super) enum PhoneCommand {
    /// Dial a SIP URI as a TTY: lines on stdin are typed as Baudot tones
    /// over RTP, what the line prints goes to stdout.
    Tty(PhoneTtyArgs),
    /// Answer one SIP call as an agent: play a recording into it and
    /// record what is heard.
    Agent(PhoneAgentArgs),
}

#[derive(Debug, Args)]
pub(super) struct PhoneTtyArgs {
    /// Whom to call, e.g. sip:relay@127.0.0.1:5060.
    #[arg(long)]
    pub(super) call: String,
    /// Local SIP address of this phone.
    #[arg(long, default_value = "127.0.0.1:5080")]
    pub(super) listen: std::net::SocketAddr,
    /// TTY profile [default: us-generic].
    #[arg(long, default_value = "us-generic")]
    pub(super) device: String,
    /// Seconds to stay on the line after stdin ends.
    #[arg(long, default_value_t = 10.0)]
    pub(super) linger: f64,
    /// Where to write what the TTY heard (8 kHz mono WAV), for decoding
    /// with another modem.
    #[arg(long, value_name = "OUT.wav")]
    pub(super) record: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(super) struct PhoneAgentArgs {
    /// Local SIP address to answer on.
    #[arg(long, default_value = "127.0.0.1:5070")]
    pub(super) listen: std::net::SocketAddr,
    /// What the agent says: an 8 kHz mono WAV.
    #[arg(long, value_name = "IN.wav")]
    pub(super) say: PathBuf,
    /// Seconds after answering before it speaks.
    #[arg(long, default_value_t = 0.0)]
    pub(super) after: f64,
    /// Where to write what the agent heard.
    #[arg(long, value_name = "OUT.wav")]
    pub(super) record: Option<PathBuf>,
    /// Hang up after this many seconds at most.
    #[arg(long, default_value_t = 300.0)]
    pub(super) max_seconds: f64,
}

pub(super) fn phone_tty(args: &PhoneTtyArgs) -> Result<()> {
    use relaygate::modem::session::SessionConfig;
    use tokio::io::AsyncBufReadExt;
    let profile = device_profile(&args.device)?;
    let linger = seconds(args.linger, "--linger")?;
    let recording = open_recording(args.record.as_ref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(async move {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(async move {
                let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            let mut out = io::stdout();
            relaygate::softphone::tty_phone(
                args.listen,
                &args.call,
                SessionConfig::from_profile(&profile, 8000),
                rx,
                |c| {
                    let _ = write!(out, "{c}");
                    let _ = out.flush();
                },
                linger,
            )
            .await
            .map_err(|e| anyhow!(e))
        })
        .and_then(|call| match (&args.record, recording) {
            (Some(path), Some(file)) => write_recording(path, file, &call.heard),
            _ => Ok(()),
        })
}

/// Opens the file for what a phone hears before the call, so a bad path
/// is reported before anything happens.
fn open_recording(path: Option<&PathBuf>) -> Result<Option<File>> {
    path.map(|p| File::create(p).map_err(|e| bad(format!("cannot write {}: {e}", p.display()))))
        .transpose()
}

/// Writes what a phone heard as an 8 kHz mono WAV.
fn write_recording(path: &Path, file: File, heard: &[i16]) -> Result<()> {
    let mut w = BufWriter::new(file);
    wav::write_pcm16(&mut w, 8000, heard)
        .and_then(|()| w.flush())
        .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
}

pub(super) fn phone_agent(args: &PhoneAgentArgs) -> Result<()> {
    let file = File::open(&args.say)
        .map_err(|e| bad(format!("cannot open {}: {e}", args.say.display())))?;
    let (spec, voice) = wav::read_all(BufReader::new(file))
        .map_err(|e| bad(format!("{}: {e}", args.say.display())))?;
    if spec.sample_rate != 8000 {
        return Err(bad(format!(
            "{}: {} Hz; the agent phone needs 8000 Hz",
            args.say.display(),
            spec.sample_rate
        )));
    }
    let after = seconds(args.after, "--after")?;
    let limit = seconds(args.max_seconds, "--max-seconds")?;
    let recording = open_recording(args.record.as_ref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let call = runtime
        .block_on(relaygate::softphone::answer_one(
            args.listen,
            voice,
            after,
            limit,
        ))
        .map_err(|e| anyhow!(e))?;
    if let (Some(path), Some(file)) = (&args.record, recording) {
        write_recording(path, file, &call.heard)?;
    }
    eprintln!(
        "agent phone: call ended by {}; relay marker {}",
        if call.ended_by_peer {
            "the caller's side"
        } else {
            "the agent"
        },
        call.marker.as_deref().unwrap_or("(none)")
    );
    Ok(())
}
