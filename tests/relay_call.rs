//! The relay core on its own: a scripted conversation with a TTY typing
//! at Baudot speed and an agent speaking faster than the TTY can print,
//! on a virtual clock, in milliseconds of real time.

use std::time::Duration;

use relaygate::relay::{Call, CallEvent, Output, RelayConfig};
use relaygate::text::conventions::Ending;

const STEP: Duration = Duration::from_millis(10);
/// A Baudot character at 45.45 baud with 1.5 stop bits.
const CHAR_TIME: Duration = Duration::from_millis(165);

/// A simulated world around one call: a TTY that types and prints, an
/// agent leg that plays utterances at 15 characters a second.
struct World {
    call: Call,
    now: Duration,
    printed: String,
    print_times: Vec<Duration>,
    heard: Vec<String>,
    events: Vec<(Duration, CallEvent)>,
    /// Utterance being played and when it ends.
    playing: Option<(u64, Duration)>,
    queue: Vec<(u64, String)>,
    agent_present: bool,
    /// Captions held for the operator, as the console would show them.
    held: Vec<(u64, String)>,
}

impl World {
    fn new(config: RelayConfig) -> Self {
        World {
            call: Call::new(config, Duration::ZERO),
            now: Duration::ZERO,
            printed: String::new(),
            print_times: Vec::new(),
            heard: Vec::new(),
            events: Vec::new(),
            playing: None,
            queue: Vec::new(),
            agent_present: false,
            held: Vec::new(),
        }
    }

    fn join(&mut self) {
        self.agent_present = true;
        self.call.handle_agent_joined(self.now);
        self.drain();
    }

    fn drop_agent(&mut self) {
        self.agent_present = false;
        self.playing = None;
        self.queue.clear();
        self.call.handle_agent_left(self.now);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(out) = self.call.poll_output() {
            match out {
                Output::Tty(c) => {
                    self.printed.push(c);
                    self.print_times.push(self.now);
                }
                Output::Speak(u) => self.queue.push((u.id, u.text)),
                Output::Event(e) => self.events.push((self.now, e)),
                Output::Held(h) => self.held.push((h.id, h.text)),
                Output::Unheld { id, .. } => self.held.retain(|(h, _)| *h != id),
                _ => {}
            }
        }
    }

    /// Advances the clock by `d`, playing utterances and running timers.
    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += STEP;
            if let Some((id, done)) = self.playing
                && self.now >= done
            {
                self.call.handle_speech_finished(id, self.now);
                self.playing = None;
            }
            if self.playing.is_none() && self.agent_present && !self.queue.is_empty() {
                let (id, text) = self.queue.remove(0);
                self.call.handle_speech_started(id, self.now);
                let len = Duration::from_millis(text.len() as u64 * 1000 / 15);
                self.heard.push(text);
                self.playing = Some((id, self.now + len));
            }
            self.call.handle_timeout(self.now);
            self.drain();
        }
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.call.handle_tty_text(&c.to_string(), self.now);
            self.drain();
            self.run(CHAR_TIME);
        }
    }

    /// The agent says `words` at 15 characters a second; speech-to-text
    /// commits them a few words at a time.
    fn agent_says(&mut self, words: &str) {
        self.call.handle_agent_voice(true, self.now);
        let ws: Vec<&str> = words.split(' ').collect();
        for chunk in ws.chunks(3) {
            let text = chunk.join(" ");
            self.run(Duration::from_millis((text.len() as u64 + 1) * 1000 / 15));
            self.call.handle_agent_speech(&text, self.now);
            self.drain();
        }
        self.call.handle_agent_voice(false, self.now);
        self.drain();
    }

    fn count(&self, f: impl Fn(&CallEvent) -> bool) -> usize {
        self.events.iter().filter(|(_, e)| f(e)).count()
    }
}

const AGENT_ANSWER: &str = "Thanks for waiting. I can see the two charges on your card from the \
    fourteenth of March, and I have already started a refund for the second one. It should \
    show up on your statement within three to five working days, and you will get an email \
    to confirm it. Is there anything else I can help you with today?";

#[test]
fn a_whole_conversation_is_relayed_both_ways() {
    let mut w = World::new(RelayConfig::default());
    w.run(Duration::from_secs(1));
    w.join();
    w.run(Duration::from_secs(12));
    assert!(
        w.heard[0].contains("relay call"),
        "agent greeting: {:?}",
        w.heard
    );
    assert!(w.printed.starts_with("(RELAY CALL, AGENT ON THE LINE)"));

    w.type_text("HI I WAS CHARGED TWICE PLS HELP GA ");
    w.run(Duration::from_secs(5));
    assert!(
        w.heard
            .iter()
            .any(|h| h == "Hi I was charged twice please help"),
        "{:?}",
        w.heard
    );
    assert!(w.heard.iter().any(|h| h == "Go ahead."));
    assert_eq!(w.count(|e| *e == CallEvent::CustomerTurn), 1);
    assert!(w.count(|e| *e == CallEvent::CustomerTyping) >= 1);

    w.agent_says(AGENT_ANSWER);
    w.run(Duration::from_secs(90));
    // Verbatim: every word the agent said reached the TTY, in order.
    let expected =
        relaygate::text::tty_form::to_tty(AGENT_ANSWER, relaygate::text::baudot::Table::Us).text;
    assert!(w.printed.contains(&expected), "printed: {}", w.printed);
    // Then GA, once the TTY had printed everything and the agent was quiet.
    assert!(w.printed.trim_end().ends_with("GA"), "{}", w.printed);
    assert_eq!(w.count(|e| *e == CallEvent::AgentTurn), 1);

    w.type_text("NO THX BYE SKSK\n");
    w.run(Duration::from_secs(5));
    assert_eq!(w.count(|e| *e == CallEvent::Ending(Ending::HangingUp)), 1);
    w.call.finish(w.now);
    w.run(Duration::from_secs(5));
    assert!(w.call.is_idle());
    assert_eq!(w.call.unspoken_chars(), 0);
    let stats = w.call.stats();
    // Phrases that closed with the agent hearing nothing else went out on
    // the next tick of the simulated leg.
    assert!(!stats.phrase_to_speech_idle.is_empty());
    assert!(
        stats.phrase_to_speech_idle.iter().all(|d| *d <= STEP),
        "{stats:?}"
    );
    assert_eq!(stats.chars_spoken, stats.chars_typed);
    assert_eq!(
        stats.chars_typed,
        count_letters("HI I WAS CHARGED TWICE PLS HELP GA NO THX BYE SKSK")
    );
}

fn count_letters(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

#[test]
fn a_long_answer_builds_a_backlog_and_the_agent_is_asked_to_pause_once() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.run(Duration::from_secs(15));
    let heard_before = w.heard.len();
    w.agent_says(AGENT_ANSWER);
    // 15 characters a second in, 6 out: the backlog passes 8 s.
    let max = w
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            CallEvent::Backlog { seconds, .. } => Some(*seconds),
            _ => None,
        })
        .fold(0.0, f64::max);
    assert!(max > 8.0, "backlog peaked at {max} s");
    assert_eq!(w.count(|e| *e == CallEvent::BacklogNotice), 1);
    w.run(Duration::from_secs(1));
    assert!(
        w.heard[heard_before..]
            .iter()
            .any(|h| h.contains("still reading"))
    );
    // Still talking past the backlog: a second notice only after 20 s.
    let first = w
        .events
        .iter()
        .find(|(_, e)| *e == CallEvent::BacklogNotice)
        .map(|(t, _)| *t);
    w.agent_says(AGENT_ANSWER);
    let notices: Vec<Duration> = w
        .events
        .iter()
        .filter(|(_, e)| *e == CallEvent::BacklogNotice)
        .map(|(t, _)| *t)
        .collect();
    for pair in notices.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_secs(20), "{notices:?}");
    }
    assert!(first.is_some());
}

#[test]
fn the_tty_line_stays_busy_while_there_is_a_backlog() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.run(Duration::from_secs(15));
    let start = w.print_times.len();
    w.agent_says(AGENT_ANSWER);
    w.run(Duration::from_secs(80));
    // Print times of the answer: back to back at the line's rate.
    let times = &w.print_times[start..];
    let cps = RelayConfig::default().tty_chars_per_second;
    let span = (*times.last().unwrap() - times[0]).as_secs_f64();
    let utilisation = (times.len() - 1) as f64 / (span * cps);
    assert!(utilisation >= 0.95, "printing utilisation {utilisation:.3}");
}

#[test]
fn typed_text_survives_a_dropped_agent_leg() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.run(Duration::from_secs(15));
    w.type_text("MY ACCOUNT NBR IS 88214-07. ");
    // The phrase is handed to the agent leg, which drops before it ends.
    w.run(Duration::from_millis(300));
    assert!(w.playing.is_some());
    w.drop_agent();
    w.type_text(" I AM STILL HERE GA ");
    w.run(Duration::from_secs(3));
    assert!(w.call.unspoken_chars() > 0);
    let heard_before = w.heard.len();
    w.join();
    w.run(Duration::from_secs(30));
    let after = &w.heard[heard_before..];
    assert!(
        after[0].contains("relay call"),
        "new agent is greeted first: {after:?}"
    );
    assert!(
        after
            .iter()
            .any(|h| h == "My account number is 8 8 2, 1 4, 0 7."),
        "{after:?}"
    );
    assert!(after.iter().any(|h| h == "I am still here"), "{after:?}");
    assert_eq!(w.call.unspoken_chars(), 0);
    assert!(w.events.iter().any(|(_, e)| *e == CallEvent::AgentLeft));
}

#[test]
fn phrases_spoken_after_the_agents_media_died_go_to_the_next_agent() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.run(Duration::from_secs(15));
    w.type_text("I ORDERED A BLUE CASE. ");
    w.run(Duration::from_secs(3));
    // The agent's media stops here, unnoticed: the next phrase plays
    // into a dead line, and the loss is counted a few seconds later.
    let died = w.now;
    w.run(Duration::from_secs(1));
    w.type_text("IT CAME IN RED GA ");
    w.run(Duration::from_secs(4));
    let spoken_before = w.call.stats().chars_spoken;
    w.agent_present = false;
    w.playing = None;
    w.queue.clear();
    w.call.handle_agent_lost(died, w.now);
    w.drain();
    assert!(w.call.unspoken_chars() > 0, "the unheard phrase waits");
    assert!(w.call.stats().chars_spoken < spoken_before);
    let heard_before = w.heard.len();
    w.join();
    w.run(Duration::from_secs(30));
    let after = &w.heard[heard_before..];
    assert!(after[0].contains("relay call"), "greeted first: {after:?}");
    assert!(
        after.iter().any(|h| h.contains("came in red")),
        "the phrase the dead line swallowed is spoken again: {after:?}"
    );
    assert!(
        !after.iter().any(|h| h.contains("blue case")),
        "what the agent heard before its media died is not repeated: {after:?}"
    );
    assert_eq!(w.call.unspoken_chars(), 0);
    assert_eq!(w.call.stats().chars_spoken, w.call.stats().chars_typed);
}

#[test]
fn nothing_of_the_conversation_is_in_the_statistics() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.type_text("SECRET WORD IS PINEAPPLE GA ");
    w.agent_says("the code is four four two");
    w.run(Duration::from_secs(30));
    let stats = format!("{:?}", w.call.stats());
    assert!(!stats.contains("PINEAPPLE") && !stats.to_lowercase().contains("pineapple"));
    assert!(!stats.contains("four"));
    // The transcript has it, for the life of the call.
    assert!(
        w.call
            .transcript()
            .iter()
            .any(|e| e.text.contains("PINEAPPLE"))
    );
}

/// GA hands the TTY user the turn, so it must come after the agent's
/// last words. Live captions commit a sentence's last words a second or
/// two after they were said; a GA sent 1.5 s after the agent fell quiet,
/// before those words, would cut the agent off mid-sentence on paper.
#[test]
fn ga_waits_for_the_captions_of_the_agents_last_words() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.run(Duration::from_secs(15));
    let before = w.printed.len();
    w.call.handle_agent_voice(true, w.now);
    w.call.handle_captions_pending(true, w.now);
    w.run(Duration::from_secs(2));
    w.call.handle_agent_speech("YOUR REFUND", w.now);
    w.call.handle_agent_voice(false, w.now);
    w.drain();
    // The words after "refund" are still being decoded, long past the
    // agent's turn silence and after the TTY has printed what it had.
    w.run(Duration::from_secs(4));
    assert!(
        !w.printed[before..].contains("GA"),
        "GA before the captions were in: {:?}",
        &w.printed[before..]
    );
    w.call.handle_agent_speech("IS ON ITS WAY.", w.now);
    w.call.handle_captions_pending(false, w.now);
    w.drain();
    w.run(Duration::from_secs(8));
    let tail = w.printed[before..].trim_end().to_string();
    assert!(
        tail.ends_with("IS ON ITS WAY. GA"),
        "GA after the last words: {tail:?}"
    );
    assert_eq!(w.count(|e| *e == CallEvent::AgentTurn), 1);
}

#[test]
fn commit_to_tty_when_idle_leaves_out_the_wait_behind_earlier_text() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.run(Duration::from_secs(15));
    // The TTY has printed the greeting: the first commit prints at once.
    w.call
        .handle_agent_speech("YOUR REFUND IS ON ITS WAY.", w.now);
    w.drain();
    // The second comes while the first is still printing (26 characters,
    // over 4 s at the TTY's pace) and waits behind it.
    w.run(Duration::from_secs(1));
    w.call.handle_agent_speech("IT TAKES THREE DAYS.", w.now);
    w.drain();
    w.run(Duration::from_secs(10));
    let stats = w.call.stats();
    assert_eq!(stats.speech_to_tty.len(), 2, "{stats:?}");
    assert!(stats.speech_to_tty[0] <= STEP, "{stats:?}");
    assert!(
        stats.speech_to_tty[1] >= Duration::from_secs(3),
        "the second commit did not wait: {stats:?}"
    );
    // Only the commit that found the TTY idle counts as the caption
    // path's own delay.
    assert_eq!(stats.speech_to_tty_idle, [stats.speech_to_tty[0]]);
}

/// Caption review: what the agent says waits for the operator, and what
/// the operator sends, corrected, is what the TTY prints.
#[test]
fn held_captions_reach_the_tty_only_as_the_operator_sends_them() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.run(Duration::from_secs(20));
    let greeting = w.printed.clone();
    w.call.set_caption_review(true, w.now);
    w.agent_says("your card ends in four four two");
    w.run(Duration::from_secs(10));
    assert_eq!(w.printed, greeting, "nothing printed while held");
    assert!(!w.held.is_empty());
    assert_eq!(
        w.count(|e| matches!(e, CallEvent::AgentTurn)),
        0,
        "no GA over held words"
    );
    let ids: Vec<u64> = w.held.iter().map(|(id, _)| *id).collect();
    assert!(
        w.call
            .send_held_caption(ids[0], "YOUR CARD ENDS IN 4-4-2", w.now)
    );
    assert!(
        !w.call.send_held_caption(ids[0], "again", w.now),
        "a caption goes once"
    );
    for id in &ids[1..] {
        assert!(w.call.discard_held_caption(*id, w.now));
    }
    w.drain();
    w.run(Duration::from_secs(20));
    let new = &w.printed[greeting.len()..];
    assert!(new.contains("YOUR CARD ENDS IN 4-4-2"), "{new:?}");
    assert!(
        !new.contains("FOUR"),
        "the uncorrected words never print: {new:?}"
    );
    assert!(
        new.contains("GA"),
        "GA once the operator has sent it all: {new:?}"
    );
}

#[test]
fn turning_review_off_sends_what_is_held_in_order() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.call.set_caption_review(true, w.now);
    w.agent_says("one two three four five six");
    assert!(w.held.len() >= 2);
    w.call.set_caption_review(false, w.now);
    w.drain();
    assert!(w.held.is_empty());
    w.run(Duration::from_secs(30));
    let at = |word: &str| w.printed.find(word).unwrap_or(usize::MAX);
    assert!(
        at("ONE") < at("FOUR") && at("FOUR") < at("SIX"),
        "{:?}",
        w.printed
    );
}

#[test]
fn a_release_timer_sends_a_held_caption_unless_the_operator_is_editing() {
    let config = RelayConfig {
        caption_release: Some(Duration::from_secs(5)),
        ..RelayConfig::default()
    };
    let mut w = World::new(config);
    w.join();
    w.run(Duration::from_secs(20));
    w.call.set_caption_review(true, w.now);
    w.agent_says("hello");
    w.call.handle_caption_editing(true, w.now);
    w.run(Duration::from_secs(10));
    assert!(
        !w.printed.contains("HELLO"),
        "paused while the operator edits"
    );
    w.call.handle_caption_editing(false, w.now);
    w.run(Duration::from_secs(10));
    assert!(w.printed.contains("HELLO"), "{:?}", w.printed);
}

/// Taken over, the relay stops voicing and captioning by itself; the
/// operator types to the TTY and speaks to the agent instead.
#[test]
fn an_operator_who_takes_over_relays_by_hand() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.run(Duration::from_secs(20));
    let heard_before = w.heard.len();
    w.call.set_taken_over(true, w.now);
    assert!(w.call.is_taken_over());
    w.type_text("MY PIN IS SECRET GA ");
    w.agent_says("thank you");
    w.run(Duration::from_secs(10));
    assert_eq!(
        w.heard.len(),
        heard_before,
        "nothing typed was voiced by the relay"
    );
    assert!(!w.printed.contains("THANK"), "no automatic caption");
    w.call.handle_operator_text("Thank ", w.now);
    w.call.handle_operator_text("you\n", w.now);
    w.call
        .handle_operator_speech("The caller says hello.", w.now);
    w.drain();
    w.run(Duration::from_secs(10));
    assert!(w.printed.contains("THANK YOU\n"), "{:?}", w.printed);
    w.call.set_taken_over(false, w.now);
    w.agent_says("your order ships today");
    w.call.handle_operator_text("Operator ", w.now);
    w.drain();
    w.run(Duration::from_secs(5));
    assert!(
        w.printed.contains("TODAY OPERATOR"),
        "a space between a caption and the operator's word: {:?}",
        w.printed
    );
    w.call.set_taken_over(true, w.now);
    assert_eq!(
        w.heard.last().map(String::as_str),
        Some("The caller says hello.")
    );
    w.call.set_taken_over(false, w.now);
    w.type_text("BYE GA ");
    w.run(Duration::from_secs(10));
    assert!(
        w.heard.iter().any(|h| h.to_lowercase().contains("bye")),
        "voiced again once released: {:?}",
        w.heard
    );
}

#[test]
fn typing_the_operator_word_asks_for_a_human() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.type_text("I WANT AN OPERATOR ");
    assert_eq!(
        w.count(|e| matches!(e, CallEvent::OperatorRequested)),
        0,
        "a longer word"
    );
    w.type_text("OPR PLS ");
    assert_eq!(w.count(|e| matches!(e, CallEvent::OperatorRequested)), 1);
    w.run(Duration::from_secs(30));
    assert!(
        w.printed.contains("OPERATOR, PLEASE HOLD"),
        "{:?}",
        w.printed
    );
}

/// An operator's line to the TTY is printed whole: a caption committed
/// while the operator types waits for the line's end, or for the operator
/// to stop typing for a few seconds, never mixed into the line.
#[test]
fn a_caption_waits_for_the_operators_line_to_the_tty() {
    let mut w = World::new(RelayConfig::default());
    w.join();
    w.run(Duration::from_secs(20));
    w.call.handle_operator_text("Operator ", w.now);
    w.drain();
    w.agent_says("please hold the line");
    w.run(Duration::from_secs(1));
    w.call.handle_operator_text("here\n", w.now);
    w.drain();
    w.run(Duration::from_secs(15));
    let line = w.printed.find("OPERATOR HERE\n");
    let caption = w.printed.find("PLEASE HOLD THE LINE");
    assert!(
        matches!((line, caption), (Some(l), Some(c)) if c > l),
        "the operator's line whole, then the caption: {:?}",
        w.printed
    );
    // An operator who stops mid-line keeps captions back only briefly.
    w.call.handle_operator_text("One ", w.now);
    w.drain();
    w.agent_says("thank you");
    w.run(Duration::from_secs(2));
    assert!(!w.printed.contains("THANK"), "{:?}", w.printed);
    w.run(Duration::from_secs(10));
    assert!(w.printed.contains("ONE THANK YOU"), "{:?}", w.printed);
}
