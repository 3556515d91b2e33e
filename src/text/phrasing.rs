//! When typed TTY text becomes a spoken phrase.
//!
//! A TTY user types a character at a time, at most six a second. Speaking
//! each word as it arrives would sound broken; waiting for the whole turn
//! would keep the agent waiting. A phrase is spoken when it closes: on
//! GA, at the end of a line, after sentence punctuation, or after a
//! typing pause (2 s by default). A phrase never ends mid-word: after a
//! pause only complete words go, and a lone unfinished word waits for a
//! second pause.
//!
//! XXX erases the word before it while that word is still waiting here,
//! and a phrase retyped after it reaches back to the word it repeats
//! ([`crate::text::erasure`]). The words wait with their XXX, as typed,
//! and the erasing is done when the phrase is spoken. A stretch that ends
//! in XXX is a correction still being typed: like an unfinished word, it
//! waits out a second pause. Once spoken, a word cannot be taken back: an
//! XXX with nothing unspoken before it is dropped, and what follows is
//! spoken as typed.
//!
//! The last words of the phrase spoken before are kept as context for
//! reading numbers ("MY ACCT NBR IS", a pause, then "4471" is still read
//! digit by digit); a GA or SK ends that context.
//!
//! A sans-IO state machine: characters and call time in
//! ([`Phraser::push_text`], [`Phraser::handle_timeout`]), events out
//! ([`Phraser::poll_event`]), the next deadline from
//! [`Phraser::poll_timeout`]. It never reads a clock.

use std::collections::VecDeque;
use std::time::Duration;

use super::conventions::{Convention, Ending, convention_at};
use super::numbers::abbreviation_dot;
use super::speakable::{SpokenForms, to_speech_after};

/// How many words of the phrase spoken before are context for the next.
const CONTEXT_WORDS: usize = 6;

/// Phrasing settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhrasingConfig {
    /// Typing pause that closes a phrase.
    pub pause: Duration,
    /// How long a GA waits for a following "OR SK" before it is spoken.
    pub ga_grace: Duration,
    /// What is said for GA, SK and the like.
    pub forms: SpokenForms,
}

impl Default for PhrasingConfig {
    fn default() -> Self {
        PhrasingConfig {
            pause: Duration::from_secs(2),
            ga_grace: Duration::from_millis(800),
            forms: SpokenForms::default(),
        }
    }
}

/// What the phraser has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhraseEvent {
    /// The TTY user began typing a new phrase (the agent side can show
    /// or say that they are typing).
    Typing,
    /// A closed phrase: `spoken` is for the speech engine, `typed` is
    /// what the user typed (for the transcript).
    Speak {
        /// The words as typed.
        typed: String,
        /// The speakable form.
        spoken: String,
    },
    /// GA: the agent's turn.
    Turn,
    /// The TTY user is ending the call.
    Ending(Ending),
}

/// A convention word seen but not yet settled, because the next word
/// could extend it (GA -> GA OR SK, SK -> SK SK).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Ga,
    GaOr,
    Sk,
}

/// Turns typed characters into phrases.
#[derive(Debug, Clone)]
pub struct Phraser {
    config: PhrasingConfig,
    /// Complete words not yet spoken, as typed (XXX included).
    words: Vec<String>,
    /// The last words spoken, as typed: context for reading numbers.
    context: String,
    /// The word being typed.
    partial: String,
    held: Option<(Held, String)>,
    last_input: Option<Duration>,
    /// Whether the pause has already flushed the complete words since
    /// the last input (the next pause takes the partial word too).
    paused_once: bool,
    typing: bool,
    events: VecDeque<PhraseEvent>,
}

impl Phraser {
    /// A phraser with `config`.
    pub fn new(config: PhrasingConfig) -> Self {
        Phraser {
            config,
            words: Vec::new(),
            context: String::new(),
            partial: String::new(),
            held: None,
            last_input: None,
            paused_once: false,
            typing: false,
            events: VecDeque::new(),
        }
    }

    /// Text typed on the TTY at call time `now`.
    pub fn push_text(&mut self, text: &str, now: Duration) {
        for c in text.chars() {
            self.push_char(c);
        }
        self.last_input = Some(now);
        self.paused_once = false;
    }

    /// When [`Phraser::handle_timeout`] should next be called, if ever.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let last = self.last_input?;
        if self.held.is_some() {
            return Some(last + self.config.ga_grace);
        }
        if self.words.is_empty() && self.partial.is_empty() {
            return None;
        }
        // Whatever the first pause left waits for the second.
        let pauses = if self.paused_once { 2 } else { 1 };
        Some(last + self.config.pause * pauses)
    }

    /// Advances call time to `now`, closing phrases whose pause is over.
    pub fn handle_timeout(&mut self, now: Duration) {
        let Some(last) = self.last_input else { return };
        if self.held.is_some() && now >= last + self.config.ga_grace {
            self.release_held();
        }
        if now >= last + self.config.pause && !self.paused_once {
            self.paused_once = true;
            if !self.correcting() {
                self.close();
            }
        }
        let left = !self.partial.is_empty() || !self.words.is_empty();
        if now >= last + self.config.pause * 2 && left {
            self.finish_word();
            self.release_held();
            self.close();
        }
    }

    /// Ends the input (the call is over): everything still waiting is
    /// spoken.
    pub fn flush(&mut self) {
        self.finish_word();
        self.release_held();
        self.close();
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<PhraseEvent> {
        self.events.pop_front()
    }

    /// Words typed and not yet spoken, the unfinished one included.
    pub fn pending_text(&self) -> String {
        let mut words = self.words.clone();
        if let Some((_, raw)) = &self.held {
            words.push(raw.clone());
        }
        if !self.partial.is_empty() {
            words.push(self.partial.clone());
        }
        words.join(" ")
    }

    fn push_char(&mut self, c: char) {
        match c {
            '\n' | '\r' => {
                self.finish_word();
                self.release_held();
                self.close();
            }
            c if c.is_whitespace() => self.finish_word(),
            c if c.is_control() => {}
            c => {
                if !self.typing {
                    self.typing = true;
                    self.events.push_back(PhraseEvent::Typing);
                }
                self.partial.push(c);
            }
        }
    }

    fn finish_word(&mut self) {
        if self.partial.is_empty() {
            return;
        }
        let word = std::mem::take(&mut self.partial);
        let core: String = word
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_ascii_uppercase();
        if let Some((held, raw)) = self.held.take() {
            match (held, core.as_str()) {
                (Held::Ga, "OR" | "TO") => {
                    self.held = Some((Held::GaOr, format!("{raw} {word}")));
                    return;
                }
                (Held::GaOr, "SK") => {
                    self.convention(Convention::GoAheadOrStop, format!("{raw} {word}"));
                    return;
                }
                (Held::Sk, "SK") => {
                    self.convention(Convention::HangingUp, format!("{raw} {word}"));
                    return;
                }
                _ => {
                    self.held = Some((held, raw));
                    self.release_held();
                }
            }
        }
        match convention_at(&[core.as_str()]).map(|(c, _)| c) {
            Some(Convention::GoAhead) => {
                self.close();
                self.held = Some((Held::Ga, word));
            }
            Some(Convention::StopKeying) => {
                self.close();
                self.held = Some((Held::Sk, word));
            }
            Some(Convention::Erase) => {
                // Erased when spoken, so that a retyped phrase can still
                // reach back; with nothing unspoken, there is nothing to
                // erase.
                if !self.words.is_empty() {
                    self.words.push(word);
                }
            }
            Some(Convention::Question) => {
                self.words.push(word);
                self.close();
            }
            Some(c) => {
                self.close();
                self.convention(c, word);
            }
            None => {
                // "ORDER NO." has its number still to come.
                let before = match self.words.last() {
                    Some(w) => Some(w.as_str()),
                    None => self.context.split(' ').next_back(),
                };
                let ends_sentence =
                    word.ends_with(['.', '?', '!']) && !abbreviation_dot(before, &word);
                self.words.push(word);
                if ends_sentence {
                    self.close();
                }
            }
        }
    }

    /// Settles a held GA or SK as what it is on its own.
    fn release_held(&mut self) {
        match self.held.take() {
            Some((Held::Ga, raw)) => self.convention(Convention::GoAhead, raw),
            Some((Held::Sk, raw)) => self.convention(Convention::StopKeying, raw),
            Some((Held::GaOr, raw)) => {
                // "GA OR" and then something else: GA, then "OR" as a word.
                let mut parts = raw.splitn(2, ' ');
                let ga = parts.next().unwrap_or_default().to_owned();
                let rest = parts.next().unwrap_or_default().to_owned();
                self.convention(Convention::GoAhead, ga);
                if !rest.is_empty() {
                    self.words.push(rest);
                }
            }
            None => {}
        }
    }

    /// Speaks a convention's spoken form and raises its event.
    fn convention(&mut self, c: Convention, typed: String) {
        let forms = &self.config.forms;
        let (spoken, event) = match c {
            Convention::GoAhead => (&forms.go_ahead, PhraseEvent::Turn),
            Convention::GoAheadOrStop => (
                &forms.go_ahead_or_stop,
                PhraseEvent::Ending(Ending::GoAheadOrStop),
            ),
            Convention::StopKeying => (&forms.stop_keying, PhraseEvent::Ending(Ending::StopKeying)),
            Convention::HangingUp => (&forms.hanging_up, PhraseEvent::Ending(Ending::HangingUp)),
            Convention::Question | Convention::Erase => return,
        };
        self.events.push_back(PhraseEvent::Speak {
            typed,
            spoken: spoken.clone(),
        });
        self.events.push_back(event);
        self.typing = false;
        // A turn or an ending: what follows is a new thought.
        self.context.clear();
    }

    /// Whether the user is retyping: an XXX is being typed, or ends the
    /// words waiting (the word after it, which decides how far the
    /// correction reaches, may be half typed).
    fn correcting(&self) -> bool {
        let is_erase = |w: &str| {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            convention_at(&[core]).is_some_and(|(c, _)| c == Convention::Erase)
        };
        is_erase(&self.partial) || self.words.last().is_some_and(|w| is_erase(w))
    }

    /// Speaks the complete words waiting, if any.
    fn close(&mut self) {
        if self.words.is_empty() {
            return;
        }
        let typed = self.words.join(" ");
        let spoken = to_speech_after(&self.context, &typed, &self.config.forms).text;
        let keep = self.words.len().saturating_sub(CONTEXT_WORDS);
        self.context = self.words.split_off(keep).join(" ");
        self.words.clear();
        if !spoken.is_empty() {
            self.events.push_back(PhraseEvent::Speak { typed, spoken });
        }
        if self.partial.is_empty() {
            self.typing = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Types `text` at Baudot speed (one character every 165 ms) from
    /// `start`, running timeouts as they fall due; returns the events and
    /// the time after the last character.
    fn type_at_line_speed(p: &mut Phraser, text: &str, start: Duration) -> Duration {
        let mut now = start;
        for c in text.chars() {
            while let Some(t) = p.poll_timeout() {
                if t > now {
                    break;
                }
                p.handle_timeout(t);
            }
            p.push_text(&c.to_string(), now);
            now += ms(165);
        }
        now
    }

    fn drain(p: &mut Phraser) -> Vec<PhraseEvent> {
        std::iter::from_fn(|| p.poll_event()).collect()
    }

    fn spoken(events: &[PhraseEvent]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                PhraseEvent::Speak { spoken, .. } => Some(spoken.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn ga_closes_the_phrase_and_hands_over_the_turn() {
        let mut p = Phraser::new(PhrasingConfig::default());
        let end = type_at_line_speed(&mut p, "HI PLS HELP ME GA ", ms(0));
        p.handle_timeout(end + ms(800));
        let events = drain(&mut p);
        assert_eq!(events[0], PhraseEvent::Typing);
        assert_eq!(spoken(&events), ["Hi please help me", "Go ahead."]);
        assert_eq!(events.last(), Some(&PhraseEvent::Turn));
    }

    #[test]
    fn ga_or_sk_is_one_ending_not_a_go_ahead() {
        let mut p = Phraser::new(PhrasingConfig::default());
        let end = type_at_line_speed(&mut p, "THX GA OR SK ", ms(0));
        p.handle_timeout(end + ms(5000));
        let events = drain(&mut p);
        assert_eq!(
            spoken(&events),
            ["Thanks", "Go ahead, or we can end the call."]
        );
        assert!(events.contains(&PhraseEvent::Ending(Ending::GoAheadOrStop)));
        assert!(!events.contains(&PhraseEvent::Turn));
    }

    #[test]
    fn sk_sk_is_hanging_up() {
        let mut p = Phraser::new(PhrasingConfig::default());
        type_at_line_speed(&mut p, "BYE SK SK\n", ms(0));
        let events = drain(&mut p);
        assert!(events.contains(&PhraseEvent::Ending(Ending::HangingUp)));
        assert!(!events.contains(&PhraseEvent::Ending(Ending::StopKeying)));
    }

    #[test]
    fn sentence_punctuation_and_line_ends_close_phrases() {
        let mut p = Phraser::new(PhrasingConfig::default());
        type_at_line_speed(&mut p, "MY CARD IS LOST. IT WAS STOLEN\nHELP", ms(0));
        let events = drain(&mut p);
        assert_eq!(spoken(&events), ["My card is lost.", "It was stolen"]);
        assert_eq!(p.pending_text(), "HELP");
    }

    #[test]
    fn a_pause_closes_complete_words_but_never_mid_word() {
        let mut p = Phraser::new(PhrasingConfig::default());
        let end = type_at_line_speed(&mut p, "I NEED TO CHA", ms(0));
        let last = end - ms(165);
        assert_eq!(p.poll_timeout(), Some(last + ms(2000)));
        p.handle_timeout(last + ms(2000));
        assert_eq!(spoken(&drain(&mut p)), ["I need to"]);
        // The unfinished word waits for a second pause, then goes too.
        assert_eq!(p.poll_timeout(), Some(last + ms(4000)));
        p.handle_timeout(last + ms(4000));
        assert_eq!(spoken(&drain(&mut p)), ["Cha"]);
    }

    #[test]
    fn pause_is_configurable() {
        let config = PhrasingConfig {
            pause: ms(500),
            ..PhrasingConfig::default()
        };
        let mut p = Phraser::new(config);
        p.push_text("HELLO THERE ", ms(0));
        p.handle_timeout(ms(499));
        assert!(spoken(&drain(&mut p)).is_empty());
        p.handle_timeout(ms(500));
        assert_eq!(spoken(&drain(&mut p)), ["Hello there"]);
    }

    #[test]
    fn xxx_erases_an_unspoken_word_only() {
        let mut p = Phraser::new(PhrasingConfig::default());
        type_at_line_speed(&mut p, "MY CAT XXX DOG IS SICK.", ms(0));
        p.push_text(" ", ms(10_000));
        assert_eq!(spoken(&drain(&mut p)), ["My dog is sick."]);
        // "SICK." is spoken already: this XXX cannot take it back.
        p.push_text("XXX HELLO\n", ms(10_100));
        assert_eq!(spoken(&drain(&mut p)), ["Hello"]);
    }

    #[test]
    fn a_retyped_phrase_reaches_back_and_the_transcript_keeps_the_xxx() {
        let mut p = Phraser::new(PhrasingConfig::default());
        type_at_line_speed(&mut p, "MY FLIGHT IS ON MONDAY XXX ON TUESDAY\n", ms(0));
        let events = drain(&mut p);
        assert_eq!(spoken(&events), ["My flight is on tuesday"]);
        assert!(events.contains(&PhraseEvent::Speak {
            typed: "MY FLIGHT IS ON MONDAY XXX ON TUESDAY".into(),
            spoken: "My flight is on tuesday".into(),
        }));
    }

    #[test]
    fn a_pause_after_xxx_waits_for_the_correction() {
        let mut p = Phraser::new(PhrasingConfig::default());
        let end = type_at_line_speed(&mut p, "I WANT TO GO XXX ", ms(0));
        let last = end - ms(165);
        p.handle_timeout(last + ms(2000));
        assert!(spoken(&drain(&mut p)).is_empty());
        assert_eq!(p.pending_text(), "I WANT TO GO XXX");
        // Waiting for the second pause, not due again at once.
        assert_eq!(p.poll_timeout(), Some(last + ms(4000)));
        type_at_line_speed(&mut p, "TO FLY\n", last + ms(3000));
        assert_eq!(spoken(&drain(&mut p)), ["I want to fly"]);
    }

    #[test]
    fn a_half_typed_correction_waits_too() {
        let mut p = Phraser::new(PhrasingConfig::default());
        let end = type_at_line_speed(&mut p, "I WANT TO GO XXX T", ms(0));
        let last = end - ms(165);
        p.handle_timeout(last + ms(2000));
        assert!(spoken(&drain(&mut p)).is_empty());
        type_at_line_speed(&mut p, "O FLY\n", last + ms(2500));
        assert_eq!(spoken(&drain(&mut p)), ["I want to fly"]);
    }

    #[test]
    fn a_correction_never_typed_goes_after_the_second_pause() {
        let mut p = Phraser::new(PhrasingConfig::default());
        let end = type_at_line_speed(&mut p, "MY FLIGHT IS ON MONDAY XXX", ms(0));
        let last = end - ms(165);
        p.handle_timeout(last + ms(2000));
        assert!(spoken(&drain(&mut p)).is_empty());
        p.handle_timeout(last + ms(4000));
        assert_eq!(spoken(&drain(&mut p)), ["My flight is on"]);
        assert_eq!(p.poll_timeout(), None);
        assert_eq!(p.pending_text(), "");
    }

    #[test]
    fn a_spoken_phrase_is_not_replayed_by_a_correction() {
        let mut p = Phraser::new(PhrasingConfig::default());
        let end = type_at_line_speed(&mut p, "MY FLIGHT IS ON MONDAY ", ms(0));
        p.handle_timeout(end + ms(2000));
        assert_eq!(spoken(&drain(&mut p)), ["My flight is on monday"]);
        type_at_line_speed(&mut p, "XXX ON TUESDAY\n", end + ms(3000));
        assert_eq!(spoken(&drain(&mut p)), ["On tuesday"]);
    }

    #[test]
    fn numbers_keep_their_context_across_a_pause() {
        let mut p = Phraser::new(PhrasingConfig::default());
        let end = type_at_line_speed(&mut p, "MY ACCT NBR IS ", ms(0));
        p.handle_timeout(end + ms(2000));
        type_at_line_speed(&mut p, "4471 GA ", end + ms(6000));
        p.flush();
        assert_eq!(
            spoken(&drain(&mut p)),
            ["My account number is", "4 4 7 1", "Go ahead."]
        );
        // After the GA, a new thought: no context.
        p.push_text("4471\n", ms(30_000));
        assert_eq!(spoken(&drain(&mut p)), ["4471"]);
    }

    #[test]
    fn an_abbreviation_dot_does_not_close_the_phrase() {
        let mut p = Phraser::new(PhrasingConfig::default());
        type_at_line_speed(&mut p, "ORDER NO. 4471. I SAID NO. OK\n", ms(0));
        assert_eq!(
            spoken(&drain(&mut p)),
            ["Order number 4 4 7 1.", "I said no.", "Ok"]
        );
    }

    #[test]
    fn q_makes_a_question() {
        let mut p = Phraser::new(PhrasingConfig::default());
        type_at_line_speed(&mut p, "R U THERE Q ", ms(0));
        assert_eq!(spoken(&drain(&mut p)), ["Are you there?"]);
    }

    #[test]
    fn flush_speaks_everything_left() {
        let mut p = Phraser::new(PhrasingConfig::default());
        p.push_text("LAST WORDS GA", ms(0));
        p.flush();
        let events = drain(&mut p);
        assert_eq!(spoken(&events), ["Last words", "Go ahead."]);
        assert_eq!(p.pending_text(), "");
    }
}
