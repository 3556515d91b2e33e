//! `relaygate call`: one relay call on a serial TTY with WAV files for the agent.

use super::*;

#[derive(Debug, Args)]
pub(super) struct CallArgs {
    /// Serial port of the TTY (a pseudo-terminal works too).
    #[arg(long)]
    pub(super) tty: PathBuf,
    /// TTY profile: a TOML file or a built-in name [default: us-generic,
    /// a US Baudot TTY on direct connect, 45.45 baud].
    #[arg(long, value_name = "FILE.toml")]
    pub(super) device: Option<String>,
    /// The agent's voice: 8 kHz mono WAV.
    #[arg(long, value_name = "IN.wav")]
    pub(super) agent_in: PathBuf,
    /// Where to write what the agent hears (8 kHz, same timeline).
    #[arg(long, value_name = "OUT.wav")]
    pub(super) agent_out: PathBuf,
    /// Voice profile the agent hears (`relaygate voices list`).
    #[arg(long, default_value = "standard")]
    pub(super) voice: String,
    /// whisper.cpp model [default: the cached tiny.en model].
    #[arg(long, value_name = "FILE.bin")]
    pub(super) model: Option<PathBuf>,
    /// End the call after this many seconds whatever happens.
    #[arg(long, value_name = "N")]
    pub(super) max_seconds: Option<f64>,
}

pub(super) fn call(args: &CallArgs) -> Result<()> {
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
