//! A voice caller's spoken answers at the front door: the caller's audio
//! goes through a caption stream on the whisper decoders every call
//! shares, and each utterance, once whisper has committed all of it, is
//! handed to the menu whole.
//!
//! Owns that stream and the words of the utterance under way. Whole
//! utterances, because a menu reads an answer once: "for technical
//! support" committed a word at a time would be answered "not one of the
//! choices" at "for". Must not touch the menu (the front door gives it
//! the text) and never logs what was said.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::stt::decoder_thread::{DecodeStream, DecoderPool, Hypothesis};
use crate::stt::streaming::{StreamConfig, StreamingTranscriber};

/// A pause that ends a spoken answer. Answers are a few words, so the
/// menu need not wait the 1.5 s a caption stream gives a sentence to go
/// on; 0.7 s still keeps "technical ... support" together.
const ANSWER_PAUSE: f64 = 0.7;

/// Encoder positions added to what an answer needs: enough for whisper's
/// whole 30 s window. A window sized to a one-word answer, as captions
/// use, made whisper tiny.en repeat the word to the end of its tokens
/// ("two, two, two, ...", read back as "10") or hear "slower speech" as
/// "floor speech"; with the whole window it writes "Two." and, prompted
/// with the menu's words, "slower speech." One decode per answer, so the
/// cost stays small.
const WHOLE_WINDOW: u32 = crate::stt::streaming::MAX_AUDIO_CTX;

/// Seconds after a key press within which a finished utterance is taken
/// for the key's tones (the detector reports a key once its tone ends;
/// the utterance ends a pause later).
const KEY_MUTES: f64 = 2.0;

/// Listens to one caller during the menu.
pub struct SpokenAnswers {
    transcriber: StreamingTranscriber,
    decoder: DecodeStream,
    hypotheses: mpsc::UnboundedReceiver<Hypothesis>,
    /// The menu's words, whisper's prompt for every decode.
    vocabulary: Arc<str>,
    /// Words committed in the utterance under way.
    words: String,
    /// When a key was last pressed (stream seconds): its tones are not
    /// words, so the utterance that holds them is dropped.
    keyed_at: Option<f64>,
    /// Seconds of the caller's audio heard so far (the stream's clock).
    heard: f64,
    /// Seconds since the recogniser last heard speech.
    quiet: f64,
}

impl SpokenAnswers {
    /// A stream on `pool` for one caller, whose decodes are prompted
    /// with `vocabulary` (the menu's words, [`MenuTree::vocabulary`]:
    /// prompted with them, whisper tiny.en writes "slower speech" where
    /// it otherwise writes "floor speech"); `None` if the transcriber
    /// cannot be set up (the caller can still answer by keypad).
    ///
    /// [`MenuTree::vocabulary`]: crate::frontdoor::menu::MenuTree::vocabulary
    pub fn new(pool: &DecoderPool, vocabulary: Arc<str>) -> Option<SpokenAnswers> {
        // One decode when the answer is over, none while it is said:
        // a menu reads the answer whole.
        let config = StreamConfig {
            flush_pause: ANSWER_PAUSE,
            decode_interval: 3600.0,
            audio_ctx_margin: WHOLE_WINDOW,
            // A lone "two" is a fifth of a second of voice: heard whole,
            // with room before and after.
            min_speech: 0.1,
            preroll: 0.6,
            tail: 0.4,
            ..StreamConfig::default()
        };
        let transcriber = match StreamingTranscriber::new(config) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "spoken answers are off for this call");
                return None;
            }
        };
        let (tx, hypotheses) = mpsc::unbounded_channel();
        let decoder = pool.stream(move |h| tx.send(h).is_ok());
        Some(SpokenAnswers {
            transcriber,
            decoder,
            hypotheses,
            vocabulary,
            words: String::new(),
            keyed_at: None,
            heard: 0.0,
            quiet: 0.0,
        })
    }

    /// One 20 ms frame of the caller at 8 kHz. Returns an utterance once
    /// all of it is committed.
    pub fn push(&mut self, frame: &[i16]) -> Option<String> {
        let seconds = frame.len() as f64 / 8000.0;
        self.heard += seconds;
        if let Err(e) = self.transcriber.push_frame(frame) {
            tracing::warn!(error = %e, "caller's audio not transcribed");
        }
        self.quiet = if self.transcriber.in_speech() {
            0.0
        } else {
            self.quiet + seconds
        };
        while let Ok(h) = self.hypotheses.try_recv() {
            // A failed decode heard nothing; the flush covers the audio.
            let segments = h.result.unwrap_or_default();
            for c in self
                .transcriber
                .handle_hypothesis(h.job, &segments, self.heard)
            {
                if !self.words.is_empty() {
                    self.words.push(' ');
                }
                self.words.push_str(c.text.trim());
            }
        }
        if let Some(mut job) = self.transcriber.poll_job() {
            job.prompt = Some(Arc::clone(&self.vocabulary));
            if self.decoder.send(job).is_err() {
                tracing::warn!("whisper decoders stopped; spoken answers end");
            }
        }
        // Over once the caller has paused and whisper has answered for
        // all of it.
        let done = self.quiet >= ANSWER_PAUSE && self.transcriber.is_idle();
        if !done {
            return None;
        }
        let words = std::mem::take(&mut self.words);
        if words.trim().is_empty() {
            // The key's tones may end an utterance whisper heard nothing
            // in; a press long before the next words no longer counts.
            if self.keyed_at.is_some_and(|t| self.heard - t > KEY_MUTES) {
                self.keyed_at = None;
            }
            return None;
        }
        match self.keyed_at.take() {
            Some(_) => None,
            None => Some(words),
        }
    }

    /// The caller pressed a key: the key answers, and whatever whisper
    /// makes of its tones (the utterance that holds them) does not.
    pub fn key_pressed(&mut self) {
        self.keyed_at = Some(self.heard);
    }
}
