//! Agent speech for live-caption tests and the stt bench: the turns of
//! `tests/data/agent_turns.txt` spoken by the neural voice, with pauses
//! between the sentences, over a telephone line.

use std::fs;
use std::path::Path;

use relaygate::audio::wav;
use relaygate::tts::{PiperEngine, TextToSpeech, VoiceProfile};

use super::cli::sox;
use super::stt::telephone;

/// The agent turns: a sentence a line, a blank line between turns.
pub fn agent_turns() -> Vec<Vec<String>> {
    let mut turns = vec![Vec::new()];
    for line in include_str!("../data/agent_turns.txt").lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if turns.last().is_some_and(|t| !t.is_empty()) {
                turns.push(Vec::new());
            }
            continue;
        }
        if let Some(t) = turns.last_mut() {
            t.push(line.to_string());
        }
    }
    turns.retain(|t| !t.is_empty());
    turns
}

/// `sentences` spoken by `voice` with `profile` at 16 kHz after 0.5 s of
/// silence, each followed by the next of `pauses` (in turn), shifted by
/// `cents` (sox `pitch`, so voices differ in more than pace), then sent
/// over a telephone line: 8 kHz PCM. Files go to `dir`.
pub fn speak_turn(
    voice: &mut PiperEngine,
    profile: &VoiceProfile,
    sentences: &[String],
    pauses: &[f64],
    cents: i32,
    dir: &Path,
) -> Vec<i16> {
    let mut pcm = vec![0i16; 8000];
    for (i, sentence) in sentences.iter().enumerate() {
        let spoken = voice
            .synthesize(sentence, profile, 16_000)
            .unwrap_or_else(|e| panic!("synthesis of {sentence:?}: {e}"));
        pcm.extend(spoken);
        let pause = pauses.get(i % pauses.len().max(1)).copied().unwrap_or(1.0);
        pcm.extend(std::iter::repeat_n(0i16, (pause * 16_000.0) as usize));
    }
    let plain = dir.join("turn.wav");
    wav::write_pcm16(&mut fs::File::create(&plain).expect("create"), 16_000, &pcm).expect("write");
    let shifted = dir.join("shifted.wav");
    sox([
        plain.to_str().expect("UTF-8"),
        shifted.to_str().expect("UTF-8"),
        "pitch",
        &cents.to_string(),
    ]);
    let line = telephone(&shifted, "turn-tel");
    let (spec, samples) = wav::read_all(std::io::BufReader::new(
        fs::File::open(&line).expect("open"),
    ))
    .expect("wav");
    assert_eq!(spec.sample_rate, 8000);
    samples
}
