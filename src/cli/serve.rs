//! `relaygate serve` and `relaygate config`: the gateway and its configuration.

use super::*;

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// Configuration file [default: the embedded defaults, see
    /// --print-default-config].
    #[arg(long, value_name = "FILE.toml")]
    pub(super) config: Option<PathBuf>,
    /// Print the embedded default configuration and exit.
    #[arg(long)]
    pub(super) print_default_config: bool,
    /// whisper.cpp model [default: the cached tiny.en model].
    #[arg(long, value_name = "FILE.bin")]
    pub(super) model: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(super) enum ConfigCommand {
    /// Check a configuration file: every error names the file, the line
    /// and the key.
    Check {
        /// The file.
        file: PathBuf,
    },
}

pub(super) fn load_config(path: Option<&PathBuf>) -> Result<relaygate::config::Config> {
    use relaygate::config::Config;
    let config = match path {
        Some(p) => Config::load(p).map_err(|e| bad(e.to_string()))?,
        None => Config::embedded(),
    };
    relaygate::gateway::check_profiles(&config).map_err(|e| {
        bad(match path {
            Some(p) => format!("{}: {e}", p.display()),
            None => e.to_string(),
        })
    })?;
    Ok(config)
}

pub(super) fn config_check(file: &PathBuf) -> Result<()> {
    let config = load_config(Some(file))?;
    println!(
        "{}: ok ({} queue(s), {} line(s), SIP on {})",
        file.display(),
        config.queue.len(),
        config.line.len(),
        config.sip.listen
    );
    Ok(())
}

pub(super) fn serve(args: &ServeArgs) -> Result<()> {
    use relaygate::engines::Engines;
    use relaygate::gateway::{self, Metrics};
    use relaygate::stt::decoder_thread::auto_workers;
    if args.print_default_config {
        print!("{}", relaygate::config::DEFAULT_CONFIG);
        return Ok(());
    }
    let config = load_config(args.config.as_ref())?;
    let model = model_path(args.model.as_ref())?;
    let voice = gateway::default_voice(&config).map_err(|e| bad(e.to_string()))?;
    let neural = neural_voice()?;
    let engines = progress::while_running("loading the speech engines", || {
        let decoders = config
            .limits
            .caption_decoders
            .map_or_else(auto_workers, |n| n as usize);
        Engines::load(&model, decoders, &voice, &neural)
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let registry = relaygate::gateway::registry::Registry::default();
        let stop = tokio_util::sync::CancellationToken::new();
        let console = match &config.console {
            Some(c) => Some(
                relaygate::console::start(c, registry.clone(), stop.clone())
                    .await
                    .map_err(|e| bad(e.to_string()))?,
            ),
            None => None,
        };
        let served = gateway::serve(config, engines, Metrics::new(), registry, shutdown_signal())
            .await
            .map_err(|e| anyhow!(e));
        stop.cancel();
        if let Some(c) = console {
            c.stopped().await;
        }
        served
    })
}
