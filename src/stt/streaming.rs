//! Live captions: telephone audio in, committed text with timing out.
//!
//! This module owns the streaming schedule: when to decode, what to
//! decode, and what to do with the result. It is sans-IO. It never runs
//! the speech engine, never reads the clock and never touches a file; the
//! caller (the edge) does those:
//!
//! ```text
//!   push_frame(20 ms of 8 kHz PCM)   -> resample to 16 kHz -> VAD -> window audio
//!   poll_job()                        -> DecodeJob { audio, audio_ctx }   (edge runs whisper)
//!   handle_hypothesis(id, words, now) -> LocalAgreement -> Vec<Commit>
//!   finish()                          -> speech ends; a last flush job may follow
//! ```
//!
//! - Each frame gets one 16-bit step of dither first, so
//!   pauses of digital silence do not throw whisper off.
//! - Audio is upsampled with rubato's FFT resampler, one 20 ms frame at a
//!   time, and aligned with the input (the filter delay is trimmed), so a
//!   time in the 16 kHz stream is the same time in the telephone stream.
//! - [`Vad`](super::vad::Vad) cuts the stream into utterances (speech
//!   with pauses shorter than the hangover). Decodes are asked for only
//!   while an utterance is open or has just ended, so silence and
//!   non-speech the detector rejects produce no decode and no text.
//!   Utterances with less than `min_speech` of voiced frames (a cough, a
//!   click) are not decoded.
//! - Utterances are decoded inside a **window**: the audio from the start
//!   of the first of a run of utterances separated by pauses shorter than
//!   `flush_pause`, up to `max_window` long. A short utterance ("ask
//!   not") decoded on its own loses the context whisper needs; inside the
//!   window it is heard with the speech around it. A new window starts
//!   with up to `context` seconds of already committed speech, decoded
//!   again as left context and matched, never re-sent.
//! - While an utterance is open, a [`DecodeJob`] of the whole window so
//!   far is offered each time `decode_interval` of new audio has arrived;
//!   the hypothesis goes to the window's [`LocalAgreement`]. At most one
//!   job is in flight, so a slow engine gets fewer, longer jobs instead
//!   of a queue. The job's encoder window is sized to its audio
//!   ([`audio_ctx_for`]).
//! - When speech ends (a pause of `flush_pause` after the last
//!   utterance, the window's length limit, or the end of the stream), a
//!   **flush** job of the window up to the end of its speech is offered;
//!   everything in that hypothesis beyond the committed words is
//!   committed, and the window closes. If whisper ended that text early
//!   and stretched its last word over the rest ([`skipped_tail`]), the
//!   words before it are committed and the rest of the audio is flushed
//!   again as a short window of its own, so no speech is lost.
//! - Hypothesis words inside brackets or parentheses (`[MUSIC]`,
//!   `(upbeat music)`, `[BLANK_AUDIO]`) and words with no letter or digit
//!   (`♪`) are dropped before the commit policy sees them: whisper writes
//!   such tags for non-speech, and a TTY user must not get them as words.
//!   A decoder loop (the same phrase over and over, see
//!   [`cut_repetition`]) is cut after its first copy.
//!
//! Times: a [`Commit`]'s `audio_end` is seconds into the stream (the
//! stream starts at the first sample pushed); `committed_at` is the `now`
//! the caller passed with the hypothesis, on whatever clock it uses.

use std::collections::VecDeque;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use super::Segment;
use super::commit::{Commit, LocalAgreement, Word, normalise};
use super::error::SttError;
use super::resample::{MODEL_RATE, pcm16_to_f32};
use super::vad::{Vad, VadConfig, VadEvent};

/// Encoder positions per second of audio (whisper: 1500 for 30 s).
const CTX_PER_SECOND: f64 = 50.0;
/// The encoder's full window.
pub const MAX_AUDIO_CTX: u32 = 1500;
/// Audio kept before the current position, for the pre-roll and the
/// context of a new window.
const RECENT_SAMPLES: usize = 8 * MODEL_RATE as usize;

/// How the streaming transcriber behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamConfig {
    /// Sample rate of the pushed frames: 8000 (telephone) or 16000.
    pub input_rate: u32,
    /// Seconds of new audio between decodes during an utterance.
    pub decode_interval: f64,
    /// Encoder positions added to the ones the audio needs.
    pub audio_ctx_margin: u32,
    /// Seconds of audio kept before the detected speech start.
    pub preroll: f64,
    /// Seconds of audio kept after the last speech frame of an utterance.
    pub tail: f64,
    /// Utterances with fewer seconds of voiced frames are not decoded.
    pub min_speech: f64,
    /// A pause at least this long (seconds) ends the speech: the rest of
    /// the hypothesis is flushed and the decode window closes. Shorter
    /// pauses keep the window open, so the words before them are decided
    /// hearing the words after them.
    pub flush_pause: f64,
    /// Longest decode window, in seconds (whisper sees 30 s at most).
    pub max_window: f64,
    /// Seconds of already committed speech a new window starts with, so
    /// its first words are heard in context (at most 7).
    pub context: f64,
    /// Voice activity detection.
    pub vad: VadConfig,
}

impl Default for StreamConfig {
    /// 8 kHz input, a decode every 0.8 s, 128 extra encoder positions
    /// (2.56 s), 0.4 s pre-roll, 0.2 s tail, 0.2 s of speech at least,
    /// a flush after 1.5 s of silence, windows up to 20 s long, each new
    /// window starting with up to 3 s of committed speech as context.
    ///
    /// The interval and the context were measured together (jfk over a
    /// telephone line, see `docs/stt.md`). Every 0.8 s commits words
    /// 0.2 to 0.3 s sooner than every second at the same word error
    /// rate; 0.5 s lets tiny.en agree twice on a half-heard word. 5 s of
    /// context made tiny.en hear "and so my fellow" as "and so am I
    /// fell" in up to five copies of six; 3 s did not. The flush pause
    /// was 1.2 s, and the 1.3 s pause after "Americans" flushed the
    /// phrase as whisper reads it when nothing follows, "am I fellow
    /// American."; at 1.5 s the sentence goes on in the window.
    fn default() -> Self {
        StreamConfig {
            input_rate: 8000,
            decode_interval: 0.8,
            audio_ctx_margin: 128,
            preroll: 0.4,
            tail: 0.2,
            min_speech: 0.2,
            flush_pause: 1.5,
            max_window: 20.0,
            context: 3.0,
            vad: VadConfig::default(),
        }
    }
}

/// The encoder window for `seconds` of audio: `ceil(seconds * 50) +
/// margin`, at most [`MAX_AUDIO_CTX`].
pub fn audio_ctx_for(seconds: f64, margin: u32) -> u32 {
    let needed = (seconds.max(0.0) * CTX_PER_SECOND).ceil() as u32;
    needed.saturating_add(margin).min(MAX_AUDIO_CTX)
}

/// A request to transcribe an utterance so far.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeJob {
    /// Identifies the job in [`StreamingTranscriber::handle_hypothesis`].
    pub id: u64,
    /// The decode window from its start, 16 kHz mono in [-1, 1].
    pub audio: Vec<f32>,
    /// Encoder window for this audio (see [`audio_ctx_for`]).
    pub audio_ctx: u32,
    /// Where `audio` starts, in seconds into the stream.
    pub start: f64,
    /// Part of a pause left out of `audio`: `(at, seconds)`, where the
    /// stream goes on `seconds` later than `at` seconds into `audio`.
    pub gap: Option<(f64, f64)>,
    /// An utterance has ended at the end of `audio`: everything in this
    /// hypothesis will be committed.
    pub is_final: bool,
    /// Words the audio is likely to hold, for whisper's prompt (see
    /// [`Request::prompt`](super::whisper::Request::prompt)); the
    /// transcriber leaves it empty, an edge that knows sets it.
    pub prompt: Option<std::sync::Arc<str>>,
}

/// Words of a hypothesis that are speech: bracketed or parenthesised
/// tags and words without a letter or digit are left out. Each
/// segment's text may hold several words; they share its end time.
pub fn speech_words(segments: &[Segment]) -> Vec<(String, f64)> {
    let mut depth = 0i32;
    let mut words = Vec::new();
    for seg in segments {
        for token in seg.text.split_whitespace() {
            let inside = depth > 0;
            let mut bracketed = false;
            for c in token.chars() {
                match c {
                    '[' | '(' | '{' => {
                        depth += 1;
                        bracketed = true;
                    }
                    ']' | ')' | '}' => {
                        depth = (depth - 1).max(0);
                        bracketed = true;
                    }
                    _ => {}
                }
            }
            if inside || bracketed || !token.chars().any(char::is_alphanumeric) {
                continue;
            }
            words.push((token.to_string(), seg.end));
        }
    }
    words
}

/// Cuts a decoder loop off a hypothesis: where a run of words repeats
/// back to back (a phrase of 4 or more words twice, 2 or 3 words three
/// times, one word five times), everything after its first copy goes.
/// whisper falls into such loops when its encoder window is cut short
/// or opens on a long silence, and a loop can be a whole sentence long;
/// people do not speak that way.
pub fn cut_repetition<T>(words: &mut Vec<T>, key: impl Fn(&T) -> String) {
    let keys: Vec<String> = words.iter().map(key).collect();
    let copies_needed = |n: usize| match n {
        1 => 5,
        2 | 3 => 3,
        _ => 2,
    };
    for i in 0..keys.len() {
        for n in 1..=(keys.len() - i) / 2 {
            let copies = copies_needed(n);
            if i + n * copies > keys.len() {
                continue;
            }
            let phrase = &keys[i..i + n];
            let repeated = (1..copies).all(|c| &keys[i + c * n..i + (c + 1) * n] == phrase);
            if repeated {
                words.truncate(i + n);
                return;
            }
        }
    }
}

/// Seconds of the pause after a window's context speech that are kept
/// before its new speech and its pre-roll; see
/// [`StreamingTranscriber::open_window`].
const CONTEXT_PAUSE: f64 = 0.3;

/// Words ending this close together at the end of the audio are a pile.
const PILE_SPAN: f64 = 0.1;
/// A pile of this many words or more is text without audio behind it.
const PILE_MIN: usize = 5;

/// Cuts a loop whisper wrote past the end of the audio: when the last
/// [`PILE_MIN`] words or more all end within [`PILE_SPAN`] of the end of
/// the audio, the pile is cut after its earliest word from which on the
/// rest (at least [`PILE_MIN`] - 1 words) says again, in the same
/// order, two thirds or more of its words: the longest common
/// subsequence with the words up to there.
///
/// When whisper runs out of audio and starts the sentence again (often
/// not at a word boundary, where [`cut_repetition`] would see it), the
/// extra words all get the time of the end of the audio; a flush that
/// committed them printed whole sentences twice. Real words pile up at
/// the end too, when whisper cannot place them in a short clip, but
/// they are words not yet said in it; and the last real words of the
/// audio are often in the pile with the loop. The loop is not always a
/// clean copy: "you today. Your order ships tomorrow." came back as "I
/// hope you today your order ships tomorrow.", two words of eight new.
/// The order keeps speech that only reuses words: the end of "ask not
/// what your country can do for you, ask what you can do for your
/// country" is not a loop.
pub fn cut_pile(words: &mut Vec<Word>, audio_end: f64) {
    let piled = words
        .iter()
        .rev()
        .take_while(|w| w.end >= audio_end - PILE_SPAN)
        .count();
    if piled < PILE_MIN {
        return;
    }
    let norm: Vec<String> = words.iter().map(|w| normalise(&w.text)).collect();
    let first = words.len() - piled;
    let loop_from = (first..words.len() - (PILE_MIN - 1)).find(|&keep| {
        let rest = &norm[keep + 1..];
        common_subsequence(&norm[..=keep], rest) * 3 >= rest.len() * 2
    });
    if let Some(keep) = loop_from {
        words.truncate(keep + 1);
    }
}

/// The length of the longest common subsequence of `a` and `b`.
fn common_subsequence(a: &[String], b: &[String]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A last word whisper stretched over at least this many seconds, up to
/// the end of the audio, stands for speech it skipped.
const SKIP_STRETCH: f64 = 1.5;
/// Seconds of committed speech the second decode of a skipped end starts
/// with, so its first new word is heard in context.
const RETRY_CONTEXT: f64 = 1.0;

/// Where a hypothesis of audio from `start` to `audio_end` (seconds into
/// the stream) skipped speech: the index of its last word, if that word
/// runs to the end of the audio and lasts [`SKIP_STRETCH`] or more.
///
/// On a long window whisper sometimes ends its text early and stretches
/// the last word it wrote over the rest of the audio: "... for you, ask
/// what" with "what" spread over the two seconds of "what you can do for
/// your country". No spoken word lasts that long, and at a flush those
/// words would be lost for good.
pub fn skipped_tail(words: &[Word], start: f64, audio_end: f64) -> Option<usize> {
    let k = words.len().checked_sub(1)?;
    let last = &words[k];
    let begins = if k == 0 { start } else { words[k - 1].end };
    (last.end >= audio_end - 0.05 && last.end - begins >= SKIP_STRETCH).then_some(k)
}

/// Adds noise of one 16-bit step (about -90 dBFS) to `samples`.
///
/// VoIP calls without comfort noise carry pauses of digital silence,
/// exact zeros. whisper hears the speech after such a pause worse than
/// after the faintest line noise: on the benchmark file (jfk over a
/// telephone line, six copies separated by 1.5 s of zeros) tiny.en heard
/// "my fellow" as "am I fell" in three copies of six without the dither
/// and in none with it. The noise is far below anything a telephone line
/// carries, so real line noise is left as it is.
fn dither(samples: &mut [f32], state: &mut u64) {
    const STEP: f32 = 1.0 / 32768.0;
    for x in samples {
        // xorshift64: cheap, deterministic, and good enough for noise.
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let unit = (*state >> 40) as f32 / (1u64 << 24) as f32;
        *x += (2.0 * unit - 1.0) * STEP;
    }
}

/// A run of utterances decoded together.
#[derive(Debug)]
struct Window {
    id: u64,
    /// Stream position (16 kHz samples) of `audio[0]`.
    start: u64,
    audio: Vec<f32>,
    /// Where the audio leaves out part of a pause: `(offset, samples)`,
    /// the offset in `audio` where the stream goes on `samples` later.
    /// A window's context (committed speech before a long pause) is
    /// joined to the new speech across a short stretch of that pause
    /// only; see [`StreamingTranscriber::open_window`].
    gap: Option<(usize, u64)>,
    /// Takes no more audio (a long pause, the length limit, the end).
    closed: bool,
    /// An utterance is open in it.
    speaking: bool,
    /// A decode was made during the open (or last) utterance.
    heard: bool,
    /// Audio length at the last job offered (or where the open
    /// utterance's speech starts, if later).
    decoded: usize,
    /// Speech ended and the pause is long enough: audio length up to
    /// which a flush is due.
    flush_due: Option<usize>,
    /// An utterance ended: audio length up to which a flush will be due
    /// if the pause lasts `flush_pause`.
    flush_pending: Option<usize>,
    /// Stream position where the last utterance in it ended.
    last_end: u64,
    /// The commit policy for this window.
    policy: LocalAgreement,
    /// The policy has been given the committed words in the window's
    /// context audio (done at its first job, once the windows before it
    /// have flushed).
    seeded: bool,
    /// A second decode of the end of an earlier window whose flush
    /// skipped speech (see [`skipped_tail`]); it is not retried again.
    retry: bool,
    /// Stream position where the speech not heard before starts: the
    /// audio before it is context (see [`LocalAgreement::with_new_speech_at`]).
    new_speech: u64,
}

impl Window {
    /// Stream position of `offset` samples into the window's audio.
    fn stream_pos(&self, offset: usize) -> u64 {
        let skipped = match self.gap {
            Some((at, samples)) if offset >= at => samples,
            _ => 0,
        };
        self.start + offset as u64 + skipped
    }

    /// Offset into the window's audio of stream position `pos`; a
    /// position inside the part of a pause that was left out maps to
    /// where it was left out, one before the start to 0.
    fn offset_of(&self, pos: u64) -> usize {
        let rel = pos.saturating_sub(self.start);
        let offset = match self.gap {
            Some((at, samples)) if rel > at as u64 => rel.saturating_sub(samples).max(at as u64),
            _ => rel,
        };
        usize::try_from(offset).unwrap_or(usize::MAX)
    }

    /// Seconds into the stream of `seconds` into the window's audio.
    fn stream_time(&self, seconds: f64) -> f64 {
        let rate = f64::from(MODEL_RATE);
        let offset = (seconds.max(0.0) * rate).round() as usize;
        let skipped = self.stream_pos(offset) - self.start - offset as u64;
        (self.start + skipped) as f64 / rate + seconds.max(0.0)
    }

    /// Takes no more audio; a pending flush becomes due.
    fn close(&mut self) {
        self.closed = true;
        if let Some(len) = self.flush_pending.take() {
            self.flush_due = Some(len);
        }
    }
}

/// Which job the edge is running.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    job: u64,
    window: u64,
    is_final: bool,
    /// Where the job's audio ends, seconds into the stream.
    audio_end: f64,
}

/// 8 kHz to 16 kHz, one frame at a time, aligned with the input.
struct Upsampler {
    fft: Fft<f32>,
    /// Input not yet making up a whole chunk.
    pending: Vec<f32>,
    out: Vec<f32>,
    /// Output samples still to drop (the resampler's delay).
    skip: usize,
    consumed: u64,
    produced: u64,
}

/// Input samples per resampler step (20 ms at 8 kHz).
const UP_CHUNK: usize = 160;

impl Upsampler {
    fn new(rate: u32) -> Result<Self, SttError> {
        let fft = Fft::<f32>::new(
            rate as usize,
            MODEL_RATE as usize,
            UP_CHUNK,
            1,
            FixedSync::Input,
        )
        .map_err(|e| SttError::Resample(e.to_string()))?;
        let skip = fft.output_delay();
        let out = vec![0.0; fft.output_frames_max()];
        Ok(Upsampler {
            fft,
            pending: Vec::with_capacity(UP_CHUNK),
            out,
            skip,
            consumed: 0,
            produced: 0,
        })
    }

    fn step(&mut self, len: usize, sink: &mut Vec<f32>) -> Result<(), SttError> {
        let err = |e: &dyn std::fmt::Display| SttError::Resample(e.to_string());
        self.pending.resize(UP_CHUNK, 0.0);
        let input = InterleavedSlice::new(&self.pending, 1, UP_CHUNK).map_err(|e| err(&e))?;
        let n = self.out.len();
        let mut output = InterleavedSlice::new_mut(&mut self.out, 1, n).map_err(|e| err(&e))?;
        let (_, produced) = self
            .fft
            .process_into_buffer(&input, &mut output, None)
            .map_err(|e| err(&e))?;
        self.pending.clear();
        self.consumed += len as u64;
        let drop = self.skip.min(produced);
        self.skip -= drop;
        sink.extend_from_slice(&self.out[drop..produced]);
        self.produced += (produced - drop) as u64;
        Ok(())
    }

    fn push(&mut self, input: &[f32], sink: &mut Vec<f32>) -> Result<(), SttError> {
        let mut rest = input;
        while !rest.is_empty() {
            let take = (UP_CHUNK - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == UP_CHUNK {
                self.step(UP_CHUNK, sink)?;
            }
        }
        Ok(())
    }

    /// Pushes out what the filter still holds, up to twice the input.
    fn flush(&mut self, sink: &mut Vec<f32>) -> Result<(), SttError> {
        let pending = self.pending.len();
        let target = (self.consumed + pending as u64) * 2;
        let mut out = Vec::new();
        if pending > 0 {
            self.step(pending, &mut out)?;
        }
        while self.produced < target {
            let before = self.produced;
            self.step(0, &mut out)?;
            if self.produced == before {
                break;
            }
        }
        let excess = self.produced.saturating_sub(target) as usize;
        out.truncate(out.len().saturating_sub(excess));
        self.produced -= excess as u64;
        sink.extend(out);
        Ok(())
    }
}

/// The streaming transcriber: frames in, decode jobs out, hypotheses in,
/// commits out. See the module documentation for the run loop.
///
/// Calls: [`push_frame`](Self::push_frame) for each frame, then
/// [`poll_job`](Self::poll_job) (run any job it returns, then pass the
/// result to [`handle_hypothesis`](Self::handle_hypothesis)); at the end
/// of the stream [`finish`](Self::finish), then the same until
/// [`is_idle`](Self::is_idle).
pub struct StreamingTranscriber {
    config: StreamConfig,
    /// `None` for 16 kHz input.
    upsampler: Option<Upsampler>,
    vad: Vad,
    /// The last second of 16 kHz audio, for the pre-roll.
    recent: VecDeque<f32>,
    /// Stream position of `recent[0]`.
    recent_start: u64,
    /// 16 kHz samples in the stream so far.
    total: u64,
    /// Windows not yet done, oldest first; only the last can be open.
    windows: VecDeque<Window>,
    in_flight: Option<InFlight>,
    next_job: u64,
    next_window: u64,
    /// The largest `audio_end` committed, so it never goes back.
    last_audio_end: f64,
    /// Committed words still inside `recent`, for a new window's context.
    history: VecDeque<Word>,
    /// Stream position where the last utterance's kept audio ends.
    speech_end: u64,
    /// The last hypothesis's words after the committed ones: what the
    /// agent is heard saying, not final yet.
    tentative: String,
    /// Scratch for VAD events.
    events: Vec<VadEvent>,
    /// Scratch for resampled audio.
    scratch: Vec<f32>,
    /// State of the dither's noise generator.
    noise: u64,
}

impl std::fmt::Debug for StreamingTranscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingTranscriber")
            .field("config", &self.config)
            .field("total", &self.total)
            .field("windows", &self.windows.len())
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl StreamingTranscriber {
    /// A transcriber at the start of a stream. Fails for an input rate
    /// other than 8000 or 16000 Hz.
    pub fn new(config: StreamConfig) -> Result<Self, SttError> {
        let upsampler = match config.input_rate {
            MODEL_RATE => None,
            8000 => Some(Upsampler::new(8000)?),
            other => return Err(SttError::SampleRate(other)),
        };
        Ok(StreamingTranscriber {
            config,
            upsampler,
            vad: Vad::new(config.vad),
            recent: VecDeque::with_capacity(RECENT_SAMPLES + 1024),
            recent_start: 0,
            total: 0,
            windows: VecDeque::new(),
            in_flight: None,
            next_job: 0,
            next_window: 0,
            last_audio_end: 0.0,
            history: VecDeque::new(),
            tentative: String::new(),
            speech_end: 0,
            events: Vec::new(),
            scratch: Vec::new(),
            noise: 0x9E37_79B9_7F4A_7C15,
        })
    }

    /// Seconds of audio pushed so far.
    pub fn audio_seconds(&self) -> f64 {
        self.total as f64 / f64::from(MODEL_RATE)
    }

    /// Whether an utterance is open (the detector hears speech now).
    pub fn in_speech(&self) -> bool {
        self.vad.in_speech()
    }

    /// No job in flight and none due: after [`finish`](Self::finish),
    /// the stream is done.
    pub fn is_idle(&self) -> bool {
        self.in_flight.is_none()
            && self
                .windows
                .iter()
                .all(|w| w.flush_due.is_none() && !w.speaking)
    }

    /// Pushes PCM samples at the input rate (normally one 20 ms frame;
    /// any length works).
    pub fn push_frame(&mut self, frame: &[i16]) -> Result<(), SttError> {
        let mut samples = pcm16_to_f32(frame);
        dither(&mut samples, &mut self.noise);
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        match &mut self.upsampler {
            Some(up) => up.push(&samples, &mut scratch)?,
            None => scratch.extend_from_slice(&samples),
        }
        self.ingest(&scratch);
        self.scratch = scratch;
        Ok(())
    }

    /// End of the stream: the resampler is drained, an open utterance
    /// ends (its flush job follows from [`poll_job`](Self::poll_job)) and
    /// the window closes.
    pub fn finish(&mut self) -> Result<(), SttError> {
        let mut tail = Vec::new();
        if let Some(up) = &mut self.upsampler {
            up.flush(&mut tail)?;
        }
        self.ingest(&tail);
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        self.vad.finish(&mut events);
        for ev in &events {
            self.apply(*ev);
        }
        self.events = events;
        if let Some(w) = self.windows.back_mut() {
            w.close();
        }
        Ok(())
    }

    /// The next decode to run, if one is due and none is in flight.
    pub fn poll_job(&mut self) -> Option<DecodeJob> {
        if self.in_flight.is_some() {
            return None;
        }
        let interval = self.interval_samples();
        loop {
            let w = self.windows.front_mut()?;
            if !w.seeded {
                // Every earlier window is done: their words are all in
                // the history now, including a flush still running when
                // this window opened.
                let start = w.start as f64 / f64::from(MODEL_RATE);
                let seeds: Vec<Word> = self
                    .history
                    .iter()
                    .filter(|h| h.end > start + 1e-3)
                    .cloned()
                    .collect();
                let new_from = w.new_speech as f64 / f64::from(MODEL_RATE);
                w.policy = LocalAgreement::resume(seeds, start).with_new_speech_at(new_from);
                w.seeded = true;
            }
            let (len, is_final) = if let Some(len) = w.flush_due.take() {
                (len.min(w.audio.len()), true)
            } else if w.speaking && w.audio.len() >= w.decoded + interval {
                w.heard = true;
                (w.audio.len(), false)
            } else if w.closed && !w.speaking {
                self.windows.pop_front();
                continue;
            } else {
                return None;
            };
            w.decoded = w.decoded.max(len);
            let rate = f64::from(MODEL_RATE);
            let start = w.start as f64 / rate;
            let seconds = len as f64 / rate;
            let job = DecodeJob {
                id: self.next_job,
                audio: w.audio[..len].to_vec(),
                audio_ctx: audio_ctx_for(seconds, self.config.audio_ctx_margin),
                start,
                gap: w
                    .gap
                    .filter(|&(at, _)| at < len)
                    .map(|(at, samples)| (at as f64 / rate, samples as f64 / rate)),
                is_final,
                prompt: None,
            };
            self.in_flight = Some(InFlight {
                job: job.id,
                window: w.id,
                is_final,
                audio_end: w.stream_pos(len) as f64 / rate,
            });
            self.next_job += 1;
            return Some(job);
        }
    }

    /// The agent's words heard after the committed ones in the last
    /// hypothesis: shown apart as not final, never printed.
    pub fn tentative(&self) -> &str {
        &self.tentative
    }

    /// The engine's result for job `job`: one segment per word (or a few
    /// words per segment), times relative to the job's audio. Returns the
    /// words this makes final (at most one commit). A result for a job
    /// that is not in flight is ignored.
    pub fn handle_hypothesis(&mut self, job: u64, segments: &[Segment], now: f64) -> Vec<Commit> {
        let Some(flight) = self.in_flight.filter(|f| f.job == job) else {
            return Vec::new();
        };
        self.in_flight = None;
        let Some(w) = self.windows.iter_mut().find(|w| w.id == flight.window) else {
            return Vec::new();
        };
        let start = w.start as f64 / f64::from(MODEL_RATE);
        let mut words: Vec<Word> = speech_words(segments)
            .into_iter()
            .map(|(text, end)| Word::new(text, w.stream_time(end).clamp(start, flight.audio_end)))
            .collect();
        cut_repetition(&mut words, |w| normalise(&w.text));
        cut_pile(&mut words, flight.audio_end);
        // A flush that skipped the end of the speech must not lose it:
        // keep what came before and decode the rest again on its own.
        let mut retry = None;
        if flight.is_final
            && !w.retry
            && let Some(k) = skipped_tail(&words, start, flight.audio_end)
        {
            let resume = if k == 0 { start } else { words[k - 1].end };
            words.truncate(k);
            // Speech after a gap that whisper did not reach is decoded
            // again without the context before the gap: tiny.en, given a
            // whole sentence and then a short one, wrote the first and
            // ended, in the retry too.
            let new_speech = w.gap.map_or(start, |(at, _)| {
                w.stream_pos(at) as f64 / f64::from(MODEL_RATE)
            });
            retry = Some(if resume < new_speech {
                (new_speech, new_speech)
            } else {
                ((resume - RETRY_CONTEXT).max(start), resume)
            });
        }
        let before = w.policy.committed().len();
        let commit = if flight.is_final {
            w.policy.flush(&words, now)
        } else {
            w.policy.hypothesis(&words, now)
        };
        self.history
            .extend(w.policy.committed()[before..].iter().cloned());
        let committed_end = w.policy.committed().last().map_or(start, |c| c.end);
        self.tentative = if flight.is_final {
            String::new()
        } else {
            let after: Vec<&str> = words
                .iter()
                .filter(|x| x.end > committed_end)
                .map(|x| x.text.as_str())
                .collect();
            after.join(" ")
        };
        if let Some((from, new_from)) = retry {
            self.retry_tail(flight.window, from, new_from, flight.audio_end);
        }
        commit
            .map(|mut c| {
                c.audio_end = c.audio_end.max(self.last_audio_end);
                self.last_audio_end = c.audio_end;
                c
            })
            .into_iter()
            .collect()
    }

    fn interval_samples(&self) -> usize {
        (self.config.decode_interval.max(0.02) * f64::from(MODEL_RATE)) as usize
    }

    fn samples(&self, s: f64) -> u64 {
        (s.max(0.0) * f64::from(MODEL_RATE)) as u64
    }

    /// Takes 16 kHz stream audio: keeps it for the pre-roll, grows the
    /// open window, applies the detector's boundaries and closes the
    /// window after a long pause.
    fn ingest(&mut self, samples: &[f32]) {
        self.recent.extend(samples);
        let excess = self.recent.len().saturating_sub(RECENT_SAMPLES);
        self.recent.drain(..excess);
        self.recent_start += excess as u64;
        self.total += samples.len() as u64;
        if let Some(w) = self.windows.back_mut().filter(|w| !w.closed) {
            w.audio.extend_from_slice(samples);
        }
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        self.vad.push(samples, &mut events);
        for ev in &events {
            self.apply(*ev);
        }
        self.events = events;
        let pause = self.samples(self.config.flush_pause);
        let max = self.samples(self.config.max_window) as usize;
        let total = self.total;
        if let Some(w) = self.windows.back_mut().filter(|w| !w.closed) {
            if !w.speaking && total.saturating_sub(w.last_end) >= pause {
                w.close();
            } else if w.speaking && w.audio.len() >= max {
                // Speech without a pause for the whole window: flush what
                // there is and go on in a new window from here.
                let at = w.stream_pos(w.audio.len());
                w.flush_pending = Some(w.audio.len());
                w.speaking = false;
                w.close();
                self.open_window(at, at);
                if let Some(n) = self.windows.back_mut() {
                    n.speaking = true;
                }
            }
        }
    }

    fn apply(&mut self, event: VadEvent) {
        match event {
            VadEvent::Start { at } => self.utterance_start(at),
            VadEvent::End { at, speech } => {
                let keep = at + self.samples(self.config.tail);
                self.utterance_end(keep, speech);
            }
            VadEvent::Split { at, speech } => {
                self.utterance_end(at, speech);
                if let Some(w) = self.windows.back_mut() {
                    w.close();
                }
                self.open_window(at, at);
                if let Some(w) = self.windows.back_mut() {
                    w.speaking = true;
                }
            }
        }
    }

    fn utterance_start(&mut self, at: u64) {
        let from = at.saturating_sub(self.samples(self.config.preroll));
        let max = self.samples(self.config.max_window);
        // Room for at least a quarter window of new speech.
        let reuse = self
            .windows
            .back()
            .is_some_and(|w| !w.closed && w.audio.len() as u64 + max / 4 < max);
        if !reuse {
            if let Some(w) = self.windows.back_mut() {
                w.close();
            }
            self.open_window(from, self.speech_end.min(from));
        }
        if let Some(w) = self.windows.back_mut() {
            w.speaking = true;
            w.heard = false;
            // The first decode is due one interval after speech starts.
            w.decoded = w.decoded.max(w.offset_of(from));
        }
    }

    fn utterance_end(&mut self, keep_until: u64, speech: u64) {
        let min_speech = self.samples(self.config.min_speech);
        self.speech_end = self.speech_end.max(keep_until);
        let Some(w) = self.windows.back_mut().filter(|w| w.speaking) else {
            return;
        };
        w.speaking = false;
        w.last_end = keep_until;
        let len = w.offset_of(keep_until).min(w.audio.len());
        // A blip too short to be a word gets no flush of its own; a job
        // already made during it is flushed as usual.
        if speech >= min_speech || w.heard {
            w.flush_pending = Some(len);
        }
    }

    /// Opens a window for speech from `from`, starting earlier at the end
    /// of a committed word if one ends within `context` seconds before
    /// `speech_until` (where the speech before `from` ends): the words
    /// after it are decoded again as context, and are given to the
    /// window's policy as already committed at its first job.
    ///
    /// Of the pause between that speech and `from`, only
    /// [`CONTEXT_PAUSE`] is kept; the rest is left out of the window's
    /// audio ([`Window::gap`]). A window that opened on seconds of
    /// silence before its new speech made whisper loop on the sentence
    /// after it or stop after its first words, and the context then was
    /// mostly silence rather than the speech it is there for.
    fn open_window(&mut self, from: u64, speech_until: u64) {
        let rate = f64::from(MODEL_RATE);
        let oldest = self.recent_start as f64 / rate;
        while self.history.front().is_some_and(|w| w.end < oldest) {
            self.history.pop_front();
        }
        // The context is what the window holds before the new speech:
        // committed speech, then the pause up to `from`, of which at most
        // CONTEXT_PAUSE is kept.
        let kept = from
            .saturating_sub(speech_until)
            .min(self.samples(CONTEXT_PAUSE));
        let until_s = speech_until as f64 / rate;
        let earliest = until_s - (self.config.context.clamp(0.0, 7.0) - kept as f64 / rate);
        let start = self
            .history
            .iter()
            .find(|w| w.end >= earliest && w.end < until_s)
            .map_or(from, |w| ((w.end * rate) as u64).min(from))
            .max(self.recent_start);
        let index = |pos: u64| ((pos - self.recent_start) as usize).min(self.recent.len());
        let context_end = speech_until.saturating_add(kept);
        let (audio, gap) = if start < from && context_end < from {
            let mut audio: Vec<f32> = self
                .recent
                .range(index(start)..index(context_end))
                .copied()
                .collect();
            let at = audio.len();
            audio.extend(self.recent.range(index(from)..));
            (audio, Some((at, from - context_end)))
        } else {
            (self.recent.range(index(start)..).copied().collect(), None)
        };
        self.windows.push_back(Window {
            id: self.next_window,
            start,
            audio,
            gap,
            closed: false,
            speaking: false,
            decoded: 0,
            flush_due: None,
            flush_pending: None,
            heard: false,
            last_end: start,
            policy: LocalAgreement::new(),
            seeded: false,
            retry: false,
            new_speech: from.max(start),
        });
        self.next_window += 1;
    }

    /// Queues a second flush of window `id`'s audio from `from` (seconds
    /// into the stream) to `to`, as a window of its own right after it;
    /// its speech not committed yet starts at `new_from`. Its first job
    /// seeds it with the words committed in that audio, as for any
    /// window.
    fn retry_tail(&mut self, id: u64, from: f64, new_from: f64, to: f64) {
        let Some(pos) = self.windows.iter().position(|w| w.id == id) else {
            return;
        };
        let w = &self.windows[pos];
        let offset = w.offset_of(self.samples(from));
        let end = w.offset_of(self.samples(to)).min(w.audio.len());
        if offset >= end {
            return;
        }
        let retry = Window {
            id: self.next_window,
            start: w.stream_pos(offset),
            audio: w.audio[offset..end].to_vec(),
            gap: w
                .gap
                .filter(|&(at, _)| at > offset)
                .map(|(at, samples)| (at - offset, samples)),
            closed: true,
            speaking: false,
            heard: true,
            decoded: end - offset,
            flush_due: Some(end - offset),
            flush_pending: None,
            last_end: w.last_end,
            policy: LocalAgreement::new(),
            seeded: false,
            retry: true,
            new_speech: self.samples(new_from).max(w.stream_pos(offset)),
        };
        self.next_window += 1;
        self.windows.insert(pos + 1, retry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stt::resample::to_model_rate;

    fn seg(text: &str, end: f64) -> Segment {
        Segment {
            text: text.to_string(),
            start: 0.0,
            end,
        }
    }

    #[test]
    fn the_encoder_window_follows_the_audio_length() {
        assert_eq!(audio_ctx_for(1.0, 64), 114);
        assert_eq!(audio_ctx_for(2.01, 0), 101);
        assert_eq!(audio_ctx_for(0.0, 64), 64);
        assert_eq!(audio_ctx_for(29.0, 64), 1500);
        assert_eq!(audio_ctx_for(1e9, 64), 1500);
    }

    #[test]
    fn non_speech_tags_and_symbols_are_not_words() {
        let words = speech_words(&[
            seg(" [MUSIC]", 1.0),
            seg(" (upbeat", 1.5),
            seg(" music)", 2.0),
            seg(" \u{266a}", 2.2),
            seg(" Ask", 2.5),
            seg(" not,", 2.8),
            seg(" [BLANK_AUDIO]", 3.0),
            seg(" what (laughs) you", 3.5),
        ]);
        let texts: Vec<&str> = words.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["Ask", "not,", "what", "you"]);
        assert_eq!(words[0].1, 2.5);
    }

    #[test]
    fn a_last_word_stretched_over_the_rest_of_the_audio_marks_skipped_speech() {
        let words =
            |ends: &[f64]| -> Vec<Word> { ends.iter().map(|&e| Word::new("w", e)).collect() };
        // "ask" ends at 21.1; "what" claims the next 2.6 s, up to the cut.
        assert_eq!(
            skipped_tail(&words(&[20.7, 21.1, 23.7]), 12.0, 23.7),
            Some(2)
        );
        // A last word ending at the cut after a normal length is speech.
        assert_eq!(skipped_tail(&words(&[20.7, 21.1, 21.6]), 12.0, 21.6), None);
        // A long word that ends well before the cut is a pause, not a skip.
        assert_eq!(skipped_tail(&words(&[14.2, 15.8]), 12.0, 18.0), None);
        // A lone word is measured from the window start.
        assert_eq!(skipped_tail(&words(&[14.0]), 12.0, 14.0), Some(0));
        assert_eq!(skipped_tail(&[], 12.0, 14.0), None);
    }

    #[test]
    fn decoder_loops_are_cut_after_the_first_copy() {
        let cut = |s: &str| {
            let mut w: Vec<String> = s.split_whitespace().map(str::to_string).collect();
            cut_repetition(&mut w, |x| normalise(x));
            w.join(" ")
        };
        assert_eq!(
            cut("And so my fellow Americans. And so my fellow Americans."),
            "And so my fellow Americans."
        );
        assert_eq!(cut("and so and so and so and so and"), "and so");
        assert_eq!(
            cut("Americans asked, asked, asked, asked, asked,"),
            "Americans asked,"
        );
        assert_eq!(
            cut("Americans asked, asked, asked, asked,"),
            "Americans asked, asked, asked, asked,"
        );
        // What people do say is left alone.
        assert_eq!(cut("no no no"), "no no no");
        assert_eq!(cut("very very good"), "very very good");
        assert_eq!(
            cut("ask not what you can do ask what you can do"),
            "ask not what you can do ask what you can do"
        );
        assert_eq!(cut("bye bye, bye bye"), "bye bye, bye bye");
    }

    #[test]
    fn a_sentence_long_loop_is_cut_and_so_is_one_at_the_very_end() {
        let cut = |s: &str| {
            let mut w: Vec<String> = s.split_whitespace().map(str::to_string).collect();
            cut_repetition(&mut w, |x| normalise(x));
            w.join(" ")
        };
        let once = "It looks like a security hold was placed after a large purchase overseas.";
        assert_eq!(cut(&format!("{once} {once}")), once);
        assert_eq!(
            cut("please hold the line please hold the line"),
            "please hold the line"
        );
    }

    fn timed(s: &str) -> Vec<Word> {
        s.split_whitespace()
            .map(|t| {
                let (text, end) = t.rsplit_once('@').expect("word@end");
                Word::new(text, end.parse().expect("a time"))
            })
            .collect()
    }

    fn texts(words: &[Word]) -> String {
        words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn words_written_past_the_audio_that_repeat_what_was_said_are_cut() {
        // whisper finished the sentence and started it again, every extra
        // word at the end of the audio.
        let mut w = timed(
            "for@27.71 your@28.03 patience@28.53 while@28.77 I@28.83 looked@29.22 into@29.49 \
             this.@30.05 Thanks@30.05 for@30.05 your@30.05 patience@30.05 while@30.05 I@30.05 \
             looked@30.05 into@30.05 this.@30.06",
        );
        cut_pile(&mut w, 30.06);
        assert_eq!(texts(&w), "for your patience while I looked into this.");
        // A loop that garbles a few words of the copy is a loop too.
        let mut w = timed(
            "you@18.87 today.@23.53 Your@23.98 order@24.10 ships@24.23 tomorrow.@25.06 I@25.06 \
             hope@25.06 you@25.06 today@25.06 your@25.06 order@25.06 ships@25.06 tomorrow.@25.06",
        );
        cut_pile(&mut w, 25.06);
        assert_eq!(texts(&w), "you today. Your order ships tomorrow.");
        // The last real words can be in the pile with the loop.
        let mut w = timed(
            "you@19.02 today.@23.58 Your@24.02 order@25.03 shifts@25.03 tomorrow.@25.03 I@25.03 \
             hope@25.03 you@25.03 today@25.03 your@25.03 order@25.03 shifts@25.03 tomorrow.@25.03",
        );
        cut_pile(&mut w, 25.03);
        assert_eq!(texts(&w), "you today. Your order shifts tomorrow.");
        // Speech that reuses the words before it, in another order, is
        // speech.
        let mut w = timed(
            "can@7.01 do@7.20 for@7.66 you@8.19 ask@8.63 what@10.99 you@10.99 can@10.99 \
             do@10.99 for@10.99 your@10.99 country@10.99",
        );
        cut_pile(&mut w, 10.99);
        assert_eq!(w.len(), 12);
    }

    #[test]
    fn new_words_piled_at_the_end_of_a_short_clip_are_kept() {
        // In a clip of two seconds whisper can time every word at its end.
        let mut w = timed("Does@16.04 that@16.04 sound@16.04 all@16.04 right?@16.04");
        cut_pile(&mut w, 16.04);
        assert_eq!(w.len(), 5);
        // Words already committed from earlier decodes of the same audio
        // are read again, not repeated.
        let mut w = timed(
            "still@24.24 blank@25.03 sc@25.16 orange,@25.16 we@25.16 will@25.16 book@25.16 \
             a@25.16 technician@25.16 visit.@25.16",
        );
        cut_pile(&mut w, 25.16);
        assert_eq!(w.len(), 10);
    }

    #[test]
    fn silence_asks_for_no_decode() {
        let mut st = StreamingTranscriber::new(StreamConfig::default()).unwrap();
        for _ in 0..500 {
            st.push_frame(&[0i16; 160]).unwrap();
            assert_eq!(st.poll_job(), None);
        }
        st.finish().unwrap();
        assert_eq!(st.poll_job(), None);
        assert!(st.is_idle());
        assert!((st.audio_seconds() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn other_input_rates_are_refused() {
        let config = StreamConfig {
            input_rate: 44100,
            ..StreamConfig::default()
        };
        assert!(matches!(
            StreamingTranscriber::new(config),
            Err(SttError::SampleRate(44100))
        ));
    }

    #[test]
    fn frame_by_frame_upsampling_matches_the_whole_file_resampler() {
        let x: Vec<f32> = (0..8000 + 77)
            .map(|n| 0.4 * (2.0 * std::f32::consts::PI * 700.0 * n as f32 / 8000.0).sin())
            .collect();
        let whole = to_model_rate(&x, 8000).unwrap();
        let mut up = Upsampler::new(8000).unwrap();
        let mut out = Vec::new();
        for chunk in x.chunks(160) {
            up.push(chunk, &mut out).unwrap();
        }
        up.flush(&mut out).unwrap();
        assert_eq!(out.len(), x.len() * 2);
        assert_eq!(whole.len(), x.len() * 2);
        // Same time alignment: no lag between the two away from the ends.
        let diff = out[400..15_000]
            .iter()
            .zip(&whole[400..15_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(diff < 0.01, "max difference {diff}");
    }

    #[test]
    fn a_result_for_an_unknown_job_is_ignored() {
        let mut st = StreamingTranscriber::new(StreamConfig::default()).unwrap();
        assert!(
            st.handle_hypothesis(7, &[seg(" hello", 0.5)], 1.0)
                .is_empty()
        );
        assert!(st.is_idle());
    }
}
