//! Spoken answers at the front door with the real recogniser: short
//! answers to the contract's menu (billing 1, technical 2, slower speech
//! 3), each spoken by relaygate's voices and by espeak-ng, shifted in
//! pitch, over a telephone line, go through the gateway's listener
//! (`gateway::spoken_answer`, whisper tiny.en on the shared decoders,
//! prompted with the menu's words) into the menu's state machine, which
//! must choose what the caller asked for. Runs faster than real time.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::cli::{espeak, sox, tts_say};
use common::frontdoor::contract_menu;
use common::peers::read_wav;
use common::stt::{model, telephone, temp_dir};
use relaygate::frontdoor::menu::{
    CallerKind, Destination, Menu, MenuEvent, MenuSettings, MenuTree,
};
use relaygate::gateway::spoken_answer::SpokenAnswers;
use relaygate::media::frame::FRAME;
use relaygate::stt::decoder_thread::{DecoderPool, auto_threads};
use relaygate::stt::whisper::{WhisperModel, WhisperOptions};

fn tree() -> Arc<MenuTree> {
    let path = temp_dir("frontdoor-spoken-config").join("relaygate.toml");
    std::fs::write(
        &path,
        contract_menu("sip:billing@127.0.0.1:5071", "sip:tech@127.0.0.1:5072"),
    )
    .expect("config");
    let config = relaygate::config::Config::load(&path).expect("the menu is valid");
    Arc::new(MenuTree::new(config.menu.as_ref().expect("a menu")))
}

/// What the caller wants, as the menu should end up.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Wanted {
    Queue(&'static str),
    Human,
    SlowMode,
}

/// `text` spoken by `voice` (a relaygate profile, or `espeak:VOICE`),
/// shifted by `cents`, after a telephone line: 8 kHz samples.
fn spoken(text: &str, voice: &str, cents: i32, label: &str) -> Vec<i16> {
    let dir = temp_dir(label);
    let raw = dir.join("said.wav");
    if let Some(v) = voice.strip_prefix("espeak:") {
        espeak([
            "-v",
            v,
            "-s",
            "160",
            "-w",
            raw.to_str().expect("UTF-8"),
            text,
        ]);
    } else {
        tts_say(voice, text, &raw);
    }
    let shifted = dir.join("shifted.wav");
    sox([
        raw.to_str().expect("UTF-8"),
        shifted.to_str().expect("UTF-8"),
        "pitch",
        &cents.to_string(),
    ]);
    let (rate, samples) = read_wav(&telephone(&shifted, label));
    assert_eq!(rate, 8000);
    samples
}

/// Plays `samples` (after half a second of quiet, then quiet again) to
/// a listener in real time, as a call would, and gives each utterance it
/// hands over to a fresh menu, as the gateway does. What the menu
/// decided, and what was heard.
fn answer(
    pool: &DecoderPool,
    vocabulary: &Arc<str>,
    samples: &[i16],
) -> (Option<Wanted>, Vec<String>) {
    let mut ears = SpokenAnswers::new(pool, Arc::clone(vocabulary)).expect("a listener");
    let mut menu = Menu::new(
        tree(),
        None,
        CallerKind::Voice,
        false,
        MenuSettings::default(),
    );
    while menu.poll_event().is_some() {}
    let mut audio = vec![0i16; 4000];
    audio.extend_from_slice(samples);
    let mut heard = Vec::new();
    let mut frames = audio.chunks(FRAME).map(<[i16]>::to_vec);
    let start = Instant::now();
    let mut at = Duration::ZERO;
    let limit = Duration::from_secs(6) + Duration::from_millis(samples.len() as u64 / 8);
    while at < limit {
        let frame = frames.next().unwrap_or_else(|| vec![0; FRAME]);
        if let Some(said) = ears.push(&frame) {
            menu.handle_heard(&said, at);
            heard.push(said);
        }
        at += Duration::from_millis(20);
        while let Some(ev) = menu.poll_event() {
            let wanted = match ev {
                MenuEvent::SlowMode => Wanted::SlowMode,
                MenuEvent::Done(o) => match o.to {
                    Destination::Queue(q) if q == "billing" => Wanted::Queue("billing"),
                    Destination::Queue(q) if q == "technical" => Wanted::Queue("technical"),
                    Destination::Human => Wanted::Human,
                    _ => Wanted::Queue("elsewhere"),
                },
                _ => continue,
            };
            return (Some(wanted), heard);
        }
        // The call's clock: one frame each 20 ms.
        if let Some(wait) = at.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    (None, heard)
}

#[test]
fn short_spoken_answers_choose_what_the_caller_asked_for() {
    let model = WhisperModel::load(&model("tiny.en"), WhisperOptions::default()).expect("model");
    let pool = DecoderPool::for_model(&model, 1, auto_threads()).expect("decoders");
    let vocabulary: Arc<str> = tree().vocabulary().into();
    assert!(
        vocabulary.contains("billing") && vocabulary.contains("technical support"),
        "{vocabulary}"
    );
    // Answers as callers give them. A lone "Two." from the neural voice
    // is often a clipped syllable that whisper tiny.en cannot hear even
    // off the line ("Tune.", nothing), so digits come with a word.
    let answers: [(&str, Wanted); 7] = [
        ("Number two.", Wanted::Queue("technical")),
        ("Billing, please.", Wanted::Queue("billing")),
        ("Technical support, please.", Wanted::Queue("technical")),
        ("I have a question about billing.", Wanted::Queue("billing")),
        ("Option one.", Wanted::Queue("billing")),
        ("Slower speech, please.", Wanted::SlowMode),
        ("Can I talk to an agent?", Wanted::Human),
    ];
    let voices: [(&str, i32); 3] = [("standard", 0), ("espeak:en-us", 0), ("standard", -300)];
    let mut understood = 0;
    let mut own_voice = 0;
    let mut total = 0;
    let mut report = Vec::new();
    for (v, (voice, cents)) in voices.iter().enumerate() {
        for (i, (text, want)) in answers.iter().enumerate() {
            let samples = spoken(text, voice, *cents, &format!("spoken-{v}-{i}"));
            let (got, heard) = answer(&pool, &vocabulary, &samples);
            total += 1;
            let line = format!("{voice} {cents:+}: {text:?} heard {heard:?} -> {got:?}");
            eprintln!("{line}");
            // Never the wrong place: a caller not understood is asked
            // again (or goes on at the timeout), never sent elsewhere.
            assert!(got.is_none() || got == Some(*want), "routed wrong: {line}");
            if got == Some(*want) {
                understood += 1;
                if *voice == "standard" && *cents == 0 {
                    own_voice += 1;
                }
            }
            report.push(line);
        }
    }
    // relaygate's own voice, as it is: all but one (its synthesis is
    // sampled, and now and then swallows a word).
    assert!(
        own_voice + 1 >= answers.len(),
        "the standard voice understood {own_voice} of {}:\n{}",
        answers.len(),
        report.join("\n")
    );
    // espeak-ng over a phone line, and a voice pitched three semitones
    // down, are hard for whisper tiny.en ("Billing" comes back "Billie",
    // "Can I talk to an agent?" as "... to a good?"): those callers are
    // asked again, and keys always work. Two answers in three get
    // through (15 of 21 when this was written).
    assert!(
        understood * 3 >= total * 2,
        "only {understood} of {total} answers understood:\n{}",
        report.join("\n")
    );
}
