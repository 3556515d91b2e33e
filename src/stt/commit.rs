//! The commit policy for live captions: successive hypotheses of one
//! utterance in, committed words out (local agreement).
//!
//! A TTY cannot erase what it has printed, so a word is sent only once it
//! is stable. While an utterance grows, the recogniser transcribes it again
//! from its start every 0.8 s or so; each result is a *hypothesis*, a
//! list of words with the audio time where each ends. [`LocalAgreement`]
//! commits a word once two consecutive hypotheses agree on it and on every
//! word before it, with the earlier of the two end times the hypotheses
//! give it. When speech ends, [`LocalAgreement::flush`] commits
//! whatever the last hypothesis has beyond the committed words.
//!
//! Committed words are never taken back. A later hypothesis may spell the
//! committed part differently (whisper changes its mind about earlier
//! words); the policy then finds where the committed words end in that
//! hypothesis by aligning the two word lists (edit distance, ties broken
//! by audio time) and only looks at what follows. Words are compared
//! without case and punctuation, so `"you,"` and `"You."` agree.
//!
//! This module owns only that decision. It is pure: words and the time
//! (`now`, seconds on the caller's clock) come in as arguments; it never
//! reads the clock and knows nothing about audio or engines.

/// A recognised word and where it ends in the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The word as the recogniser spelled it, punctuation included.
    pub text: String,
    /// Where the word ends, in seconds from the start of the stream.
    pub end: f64,
}

impl Word {
    /// A word ending at `end` seconds.
    pub fn new(text: impl Into<String>, end: f64) -> Self {
        Word {
            text: text.into(),
            end,
        }
    }
}

/// Words that became final.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The committed words, joined with single spaces.
    pub text: String,
    /// Where the last committed word ends, in seconds from the start of
    /// the stream.
    pub audio_end: f64,
    /// When the words were committed (the `now` given with the hypothesis).
    pub committed_at: f64,
}

/// A word's comparison key: lower case, letters, digits and apostrophes.
pub fn normalise(word: &str) -> String {
    word.chars()
        .map(|c| if c == '\u{2019}' { '\'' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == '\'')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether two normalised words can be the same spoken word spelled
/// twice: equal; one the other with an ending ("ask" and "asked", "card"
/// and "cards"); one a prefix of the other at least 4 letters long
/// ("america" and "american"); or words of 4 letters or more one letter
/// apart ("cart" and "card"). Used only to find the committed words in a
/// hypothesis; agreement still needs equal words. Short words that merely
/// begin alike ("you" and "your", "the" and "then") are different words.
fn respelled(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let ending = |rest: &str| ["s", "es", "ed", "d", "ing", "'s", "s'"].contains(&rest);
    short == long
        || (long.starts_with(short) && (short.chars().count() >= 4 || ending(&long[short.len()..])))
        || (short.chars().count() >= 4 && one_letter_apart(short, long))
}

/// An alignment's cost: fewer edits first, then more words spelled the
/// same, so a hypothesis word that equals a committed one is taken for
/// it before one that only looks like it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cost {
    edits: usize,
    same: usize,
}

impl Cost {
    fn plus(self, edits: usize, same: usize) -> Cost {
        Cost {
            edits: self.edits + edits,
            same: self.same + same,
        }
    }
}

impl Ord for Cost {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.edits
            .cmp(&other.edits)
            .then(other.same.cmp(&self.same))
    }
}

impl PartialOrd for Cost {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// How far (seconds) a hypothesis word that ends a sentence may end from
/// where the committed words end a sentence and still be taken for that
/// sentence end heard again. New speech after a committed sentence comes
/// after a pause, or at least a word later.
const SENTENCE_END_SLACK: f64 = 0.5;

/// Whether a word as the recogniser spelled it closes a sentence.
fn ends_sentence(text: &str) -> bool {
    text.trim_end().ends_with(['.', '?', '!'])
}

/// Whether `a` becomes `b` by changing, adding or removing one letter.
fn one_letter_apart(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let head = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[head..].iter().skip(1).eq(long[head..].iter().skip(1))
    } else {
        short[head..].iter().eq(&long[head + 1..])
    }
}

/// Local agreement over the hypotheses of one utterance.
#[derive(Debug, Clone, Default)]
pub struct LocalAgreement {
    /// Words committed so far, as spelled when committed.
    committed: Vec<Word>,
    /// The previous hypothesis, whole.
    previous: Option<Vec<Word>>,
    /// Where the hypotheses' audio starts, in seconds from the start of
    /// the stream: the time of a hypothesis with no word covered.
    start: f64,
    /// Where the speech not heard before starts (seconds into the
    /// stream); the audio before it is context, decoded again.
    new_from: f64,
}

impl LocalAgreement {
    /// A policy for a new utterance: nothing committed, no hypothesis yet.
    pub fn new() -> Self {
        LocalAgreement::default()
    }

    /// A policy for hypotheses of audio from `start` (seconds into the
    /// stream) that carries on after `committed`, words already sent from
    /// that audio (decoded again as context). They are matched like the
    /// policy's own commits and never sent again.
    pub fn resume(committed: Vec<Word>, start: f64) -> Self {
        LocalAgreement {
            committed,
            previous: None,
            start,
            new_from: start,
        }
    }

    /// The same policy, told that the audio before `at` (seconds into
    /// the stream) is context: speech already heard. Hypothesis words
    /// that end there may be passed over when finding the committed
    /// words in a hypothesis, and no commit ends before it.
    ///
    /// The committed words are only those whose times fall in the
    /// window, and whisper's times are rough: in a window that opened
    /// on the last word of a sentence, it heard the whole sentence
    /// again in the context audio, and matching the one committed word
    /// against the start of that sentence cost more than saying it was
    /// not heard at all, so the sentence was printed twice.
    pub fn with_new_speech_at(mut self, at: f64) -> Self {
        self.new_from = at.max(self.start);
        self
    }

    /// The words committed so far.
    pub fn committed(&self) -> &[Word] {
        &self.committed
    }

    /// Takes a new hypothesis of the whole utterance so far; commits the
    /// words beyond the committed ones that this hypothesis and the
    /// previous one agree on, up to the first disagreement.
    pub fn hypothesis(&mut self, words: &[Word], now: f64) -> Option<Commit> {
        let commit = self.previous.as_ref().and_then(|prev| {
            let prev_tail = &prev[self.covered(prev)..];
            let cur_tail = &words[self.covered(words)..];
            // The newer spelling, and the earlier of the two end times:
            // a recogniser tends to stretch the last words of cut-off
            // audio to the cut, never to end them early.
            let agreed: Vec<Word> = prev_tail
                .iter()
                .zip(cur_tail)
                .take_while(|(a, b)| normalise(&a.text) == normalise(&b.text))
                .map(|(a, b)| Word::new(b.text.clone(), a.end.min(b.end)))
                .collect();
            Some(agreed).filter(|w| !w.is_empty())
        });
        self.previous = Some(words.to_vec());
        commit.and_then(|w| self.commit(w, now))
    }

    /// End of the utterance: commits everything `last` (the final
    /// hypothesis) has beyond the committed words.
    pub fn flush(&mut self, last: &[Word], now: f64) -> Option<Commit> {
        let tail = last[self.covered(last)..].to_vec();
        self.previous = None;
        self.commit(tail, now)
    }

    fn commit(&mut self, words: Vec<Word>, now: f64) -> Option<Commit> {
        let last_end = self.committed.last().map_or(0.0, |w| w.end);
        let words: Vec<Word> = words
            .into_iter()
            .filter(|w| !w.text.trim().is_empty())
            .collect();
        // Whatever whisper says, a new word was spoken in the new speech:
        // one timed back into the context would claim a caption delay
        // seconds longer than the real one.
        let end = words.last()?.end.max(last_end).max(self.new_from);
        let text = words
            .iter()
            .map(|w| w.text.trim())
            .collect::<Vec<_>>()
            .join(" ");
        self.committed.extend(words);
        Some(Commit {
            text,
            audio_end: end,
            committed_at: now,
        })
    }

    /// How many leading words of `hyp` the committed words account for:
    /// the prefix length with the smallest word edit distance to the
    /// committed words; among equals, the one whose last word ends
    /// closest to where the committed words end (the empty prefix ends
    /// where the audio starts).
    ///
    /// A prefix only counts as the committed words heard again if some
    /// word of it matches one of them: when the best distance is no
    /// better than dropping every committed word, the hypothesis did not
    /// hear them at all (context audio whisper left out, or a committed
    /// word with hardly any audio in the window), and none of its words
    /// is taken for them. Taking its first words for respellings there
    /// lost the first word of every new sentence after a long pause.
    /// Failing that, a prefix that spells at least two committed words
    /// exactly, and more than half of them, did hear them, however many
    /// words whisper garbled around them ("your order ships tomorrow."
    /// heard again as "to the board of ships tomorrow."); and failing
    /// that too, a sentence end in the context audio where the committed
    /// words end one. By the edit count alone those sentences were taken
    /// for new and printed twice.
    ///
    /// Leading hypothesis words that end in the context audio cost
    /// nothing to pass over: they are speech heard before, committed in
    /// an earlier window, whatever of it the committed words hold.
    fn covered(&self, hyp: &[Word]) -> usize {
        let c: Vec<String> = self.committed.iter().map(|w| normalise(&w.text)).collect();
        if c.is_empty() {
            return 0;
        }
        let h: Vec<String> = hyp.iter().map(|w| normalise(&w.text)).collect();
        // Word edit distance, one row per committed word; the last row
        // gives the cost of every prefix of the hypothesis. Besides the
        // usual steps, two words spelled as one ("all right" and
        // "alright", "Harbor Pay" and "HarborPay") match at no cost.
        let joined = |a: &str, b: &str| format!("{a}{b}");
        let edits = |n: usize| Cost { edits: n, same: 0 };
        let context = hyp.iter().take_while(|w| w.end < self.new_from).count();
        let mut rows: Vec<Vec<Cost>> = vec![
            (0..=h.len())
                .map(|j| edits(j.saturating_sub(context)))
                .collect(),
        ];
        for (i, cw) in c.iter().enumerate() {
            let mut next = vec![edits(i + 1); h.len() + 1];
            for (j, hw) in h.iter().enumerate() {
                let step = if cw == hw {
                    rows[i][j].plus(0, 1)
                } else {
                    rows[i][j].plus(usize::from(!respelled(cw, hw)), 0)
                };
                let mut d = step.min(rows[i][j + 1].plus(1, 0)).min(next[j].plus(1, 0));
                if i > 0 && joined(&c[i - 1], cw) == *hw {
                    d = d.min(rows[i - 1][j]);
                }
                if j > 0 && joined(&h[j - 1], hw) == *cw {
                    d = d.min(rows[i][j - 1]);
                }
                next[j + 1] = d;
            }
            rows.push(next);
        }
        let row = rows.pop().unwrap_or_default();
        let target = self.committed.last().map_or(self.start, |w| w.end);
        let gap = |k: usize| {
            let end = if k == 0 { self.start } else { hyp[k - 1].end };
            (end - target).abs()
        };
        let by_cost =
            |a: &usize, b: &usize| row[*a].cmp(&row[*b]).then(gap(*a).total_cmp(&gap(*b)));
        // Where the committed words end a sentence, a hypothesis word that
        // ends one where they end (in time) is that sentence end heard
        // again, however differently whisper worded the words before it
        // ("cost." heard again as "clause.", "optimize now." as "off to
        // my is now.", "tomorrow." as "to borrow."): by spelling alone
        // those words would be taken for new ones and printed twice.
        let sentence_ends = self
            .committed
            .last()
            .is_some_and(|w| ends_sentence(&w.text));
        let ends_there =
            |k: usize| k > 0 && ends_sentence(&hyp[k - 1].text) && gap(k) <= SENTENCE_END_SLACK;
        let weakly_heard = row
            .iter()
            .map(|d| d.edits)
            .min()
            .is_some_and(|best| best < c.len());
        let by_spelling = if weakly_heard {
            (0..=h.len()).min_by(by_cost).unwrap_or(0)
        } else if let Some(k) = (0..=h.len())
            .filter(|&k| row[k].same >= 2 && row[k].same * 2 > c.len())
            .min_by(by_cost)
        {
            k
        } else if sentence_ends {
            // Not heard by spelling: only a sentence end in the context
            // audio, where the committed words end, is taken for them.
            return (1..=h.len())
                .filter(|&k| ends_there(k) && hyp[k - 1].end < self.new_from)
                .min_by(|&a, &b| gap(a).total_cmp(&gap(b)))
                .unwrap_or(0);
        } else {
            return 0;
        };
        // The sentence end only ever takes in more of the hypothesis than
        // spelling does: an earlier sentence end near in time (whisper's
        // times are rough) is not a reason to send committed words again.
        if sentence_ends
            && let Some(k) = (by_spelling.max(1)..=h.len())
                .filter(|&k| ends_there(k))
                .min_by(by_cost)
        {
            return k;
        }
        by_spelling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words from "text@end text@end ...".
    fn hyp(s: &str) -> Vec<Word> {
        s.split_whitespace()
            .map(|t| {
                let (text, end) = t.rsplit_once('@').expect("word@end");
                Word::new(text, end.parse().expect("a time"))
            })
            .collect()
    }

    fn texts(commits: &[Commit]) -> String {
        commits
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn nothing_is_committed_from_a_single_hypothesis() {
        let mut p = LocalAgreement::new();
        assert_eq!(p.hypothesis(&hyp("and@0.3 so@0.6 my@0.9"), 1.0), None);
        assert!(p.committed().is_empty());
    }

    #[test]
    fn words_two_hypotheses_agree_on_are_committed_up_to_the_first_difference() {
        let mut p = LocalAgreement::new();
        p.hypothesis(&hyp("and@0.3 so@0.6 my@0.9 fell@1.0"), 1.0);
        let c = p
            .hypothesis(&hyp("and@0.3 so@0.6 my@0.9 fellow@1.2 Americans@1.9"), 2.0)
            .expect("a commit");
        assert_eq!(c.text, "and so my");
        assert_eq!(c.audio_end, 0.9);
        assert_eq!(c.committed_at, 2.0);
        let c = p
            .hypothesis(
                &hyp("and@0.3 so@0.6 my@0.9 fellow@1.2 Americans,@1.9 ask@2.5"),
                3.0,
            )
            .expect("a commit");
        assert_eq!(c.text, "fellow Americans,");
        assert_eq!(c.audio_end, 1.9);
    }

    #[test]
    fn a_later_word_that_agrees_is_held_back_behind_a_disagreement() {
        let mut p = LocalAgreement::new();
        p.hypothesis(&hyp("ask@0.5 not@0.8 what@1.0"), 1.0);
        let c = p.hypothesis(&hyp("ask@0.5 knot@0.8 what@1.0"), 2.0);
        assert_eq!(c.map(|c| c.text), Some("ask".to_string()));
    }

    #[test]
    fn case_and_punctuation_do_not_count_as_disagreement() {
        let mut p = LocalAgreement::new();
        p.hypothesis(&hyp("you.@1.0 Ask@1.5 what's@1.8"), 1.0);
        let c = p.hypothesis(&hyp("you,@1.0 ask@1.5 What\u{2019}s@1.8 your@2.0"), 2.0);
        // The newer spelling is what gets sent.
        assert_eq!(
            c.map(|c| c.text),
            Some("you, ask What\u{2019}s".to_string())
        );
    }

    #[test]
    fn committed_words_are_never_retracted_when_a_hypothesis_rewrites_them() {
        let mut p = LocalAgreement::new();
        let mut commits = Vec::new();
        commits.extend(p.hypothesis(&hyp("ask@0.5 not@0.8 what@1.0"), 1.0));
        commits.extend(p.hypothesis(&hyp("ask@0.5 not@0.8 what@1.0 your@1.3"), 2.0));
        assert_eq!(texts(&commits), "ask not what");
        // Whisper now hears the start differently, and one word fewer.
        commits.extend(p.hypothesis(&hyp("Ask@0.5 knot@0.8 what@1.0 your@1.3 country@1.8"), 3.0));
        commits.extend(p.hypothesis(&hyp("ask@0.4 what@1.0 your@1.3 country@1.8 can@2.0"), 4.0));
        assert_eq!(texts(&commits), "ask not what your country");
        commits.extend(p.flush(
            &hyp("ask@0.4 what@1.0 your@1.3 country@1.8 can@2.0 do@2.2"),
            5.0,
        ));
        assert_eq!(texts(&commits), "ask not what your country can do");
        // Each commit adds; where the words end never goes back.
        for pair in commits.windows(2) {
            assert!(pair[1].audio_end >= pair[0].audio_end, "{commits:?}");
        }
    }

    #[test]
    fn repeated_words_are_kept_as_often_as_they_are_said() {
        let mut p = LocalAgreement::new();
        let mut commits = Vec::new();
        commits.extend(p.hypothesis(&hyp("no@0.3 no@0.6"), 1.0));
        commits.extend(p.hypothesis(&hyp("no@0.3 no@0.6 no@0.9"), 2.0));
        assert_eq!(texts(&commits), "no no");
        // A third "no" agreed on is new, not the committed ones again.
        commits.extend(p.hypothesis(&hyp("no@0.3 no@0.6 no@0.9 I@1.2 said@1.4"), 3.0));
        assert_eq!(texts(&commits), "no no no");
        commits.extend(p.flush(&hyp("no@0.3 no@0.6 no@0.9 I@1.2 said@1.4 no.@1.7"), 4.0));
        assert_eq!(texts(&commits), "no no no I said no.");
    }

    #[test]
    fn a_committed_word_respelled_longer_is_not_sent_again() {
        let mut p = LocalAgreement::new();
        let mut commits = Vec::new();
        commits.extend(p.hypothesis(&hyp("so@0.6 my@0.9 fellow@1.4 america@1.6"), 3.0));
        commits.extend(p.hypothesis(&hyp("so@0.6 my@0.9 fellow@1.4 america@1.6 ask@3.9"), 4.0));
        assert_eq!(texts(&commits), "so my fellow america");
        // whisper now hears "American" and times the words anew: the
        // committed "america" ended nearer to where "fellow" now ends.
        let h = "so@0.6 my@0.9 fellow@1.55 American@2.5 ask@3.9 not@4.4";
        commits.extend(p.hypothesis(&hyp(h), 5.0));
        commits.extend(p.hypothesis(&hyp(&format!("{h} what@5.2")), 6.0));
        assert_eq!(texts(&commits), "so my fellow america ask not");
    }

    #[test]
    fn a_dropped_committed_word_is_told_apart_by_time() {
        let mut p = LocalAgreement::new();
        p.hypothesis(&hyp("and@0.3 so@0.6 my@0.9"), 1.0);
        p.hypothesis(&hyp("and@0.3 so@0.6 my@0.9 friends@1.5"), 2.0);
        assert_eq!(p.committed().len(), 3);
        // "my" is gone; "fellow" (ending well after it) is a new word,
        // not a respelling of it, even though both cost one edit.
        let c = p.flush(&hyp("and@0.3 so@0.6 fellow@1.6 Americans@1.9"), 3.0);
        assert_eq!(c.map(|c| c.text), Some("fellow Americans".to_string()));
    }

    #[test]
    fn flush_commits_the_rest_of_the_last_hypothesis_once() {
        let mut p = LocalAgreement::new();
        p.hypothesis(&hyp("and@0.3 so@0.6"), 1.0);
        p.hypothesis(&hyp("and@0.3 so@0.6 my@0.9"), 2.0);
        let c = p
            .flush(&hyp("and@0.3 so@0.6 my@0.9 fellow@1.2"), 2.5)
            .expect("the rest");
        assert_eq!(c.text, "my fellow");
        assert_eq!((c.audio_end, c.committed_at), (1.2, 2.5));
        assert_eq!(p.flush(&hyp("and@0.3 so@0.6 my@0.9 fellow@1.2"), 3.0), None);
        // A flush of an utterance nothing was heard in commits nothing.
        assert_eq!(LocalAgreement::new().flush(&[], 1.0), None);
    }

    #[test]
    fn audio_end_never_goes_back_even_if_timestamps_do() {
        let mut p = LocalAgreement::new();
        p.hypothesis(&hyp("one@1.0 two@2.0"), 1.0);
        let a = p
            .hypothesis(&hyp("one@1.0 two@2.0 three@2.5"), 2.0)
            .expect("commit");
        assert_eq!(a.audio_end, 2.0);
        let b = p
            .flush(&hyp("one@1.0 two@2.0 three@1.5"), 3.0)
            .expect("commit");
        assert_eq!(b.text, "three");
        assert_eq!(b.audio_end, 2.0);
    }

    #[test]
    fn a_resumed_policy_does_not_send_the_context_words_again() {
        let mut p = LocalAgreement::resume(hyp("your@1.0 country.@1.5"), 0.5);
        p.hypothesis(&hyp("your@1.0 country.@1.6 And@3.0 so@3.3"), 4.0);
        let c = p.hypothesis(&hyp("your@1.0 country.@1.5 And@3.0 so@3.3 my@3.6"), 5.0);
        assert_eq!(c.map(|c| c.text), Some("And so".to_string()));
    }

    #[test]
    fn the_earlier_of_two_agreeing_end_times_is_kept() {
        let mut p = LocalAgreement::new();
        p.hypothesis(&hyp("and@0.7 so@1.0"), 1.0);
        let c = p
            .hypothesis(&hyp("and@0.4 so@2.0 my@2.0"), 2.0)
            .expect("a commit");
        assert_eq!((c.text.as_str(), c.audio_end), ("and so", 1.0));
    }

    #[test]
    fn respellings_are_told_from_other_words() {
        for (a, b) in [
            ("america", "american"),
            ("cart", "card"),
            ("card", "cards"),
            ("color", "colour"),
            ("you", "you"),
        ] {
            assert!(respelled(a, b) && respelled(b, a), "{a} / {b}");
        }
        for (a, b) in [("ask", "asked"), ("you", "you's"), ("car", "cars")] {
            assert!(respelled(a, b) && respelled(b, a), "{a} / {b}");
        }
        // Short words that only begin alike, or are too easily one letter
        // apart, are different words.
        for (a, b) in [
            ("you", "your"),
            ("the", "then"),
            ("to", "too"),
            ("for", "form"),
            ("hold", "hello"),
            ("card", "cat"),
        ] {
            assert!(!respelled(a, b) && !respelled(b, a), "{a} / {b}");
        }
    }

    #[test]
    fn words_joined_or_split_in_a_later_hypothesis_are_not_sent_again() {
        let mut p = LocalAgreement::resume(hyp("sound@9.0 all@9.3 right?@9.6"), 8.5);
        p.hypothesis(&hyp("sound@9.0 alright?@9.6 Great.@11.0"), 12.0);
        let c = p.hypothesis(&hyp("sound@9.0 alright?@9.6 Great.@11.0 I@11.6"), 13.0);
        assert_eq!(c.map(|c| c.text), Some("Great.".to_string()));
        let mut p = LocalAgreement::resume(hyp("at@3.0 HarborPay.@3.8"), 2.5);
        p.hypothesis(&hyp("at@3.0 Harbor@3.4 Pay.@3.8 I@5.0 am@5.2"), 6.0);
        let c = p.hypothesis(
            &hyp("at@3.0 Harbor@3.4 Pay.@3.8 I@5.0 am@5.2 sorry@5.6"),
            7.0,
        );
        assert_eq!(c.map(|c| c.text), Some("I am".to_string()));
    }

    #[test]
    fn a_committed_word_heard_again_the_same_is_matched_before_a_look_alike() {
        // The context "do for your country." is heard as "you are
        // country", and whisper times "country" late, across the pause:
        // by time alone "are" would end where the committed words end.
        let mut p =
            LocalAgreement::resume(hyp("do@22.32 for@22.32 your@23.05 country.@23.13"), 22.21);
        p.hypothesis(
            &hyp("you@22.66 are@23.12 country@25.32 and@25.77 so@26.0"),
            26.0,
        );
        let c = p.hypothesis(
            &hyp("you@22.66 are@23.12 country@25.32 and@26.21 so@26.56 my@26.8"),
            27.0,
        );
        assert_eq!(c.map(|c| c.text), Some("and so".to_string()));
    }

    #[test]
    fn a_respelled_context_word_is_not_sent_again() {
        // The window's context ends in "cart?", which the new decode
        // hears as "card?" before the new sentence.
        let mut p = LocalAgreement::resume(hyp("the@9.0 cart?@9.5"), 8.5);
        p.hypothesis(&hyp("the@9.0 card?@9.6 Thank@11.0 you.@11.3"), 12.0);
        let c = p.hypothesis(
            &hyp("the@9.0 card?@9.6 Thank@11.0 you.@11.3 That@11.6"),
            13.0,
        );
        assert_eq!(c.map(|c| c.text), Some("Thank you.".to_string()));
    }

    #[test]
    fn context_the_decode_did_not_hear_takes_no_new_word() {
        // The context word has hardly any audio in the window; whisper
        // writes only the new sentence, its first word timed close to
        // where the context ends.
        let mut p = LocalAgreement::resume(hyp("change.@30.34"), 30.33);
        p.hypothesis(&hyp("Thanks@31.66 for@33.33 your@33.39 time.@33.81"), 34.0);
        let c = p.hypothesis(
            &hyp("Thanks@31.63 for@32.28 your@33.40 patience,@34.60"),
            35.0,
        );
        assert_eq!(c.map(|c| c.text), Some("Thanks for your".to_string()));
    }

    #[test]
    fn a_reworded_sentence_end_in_the_context_is_not_sent_again() {
        // The window's context ends "find the cost."; the new decode hears
        // the same sentence end as "clause." and times it late. By time
        // alone "the" ends nearer, and "clause." would be sent as new.
        let mut p = LocalAgreement::resume(hyp("find@20.1 the@20.3 cost.@20.6"), 19.5);
        let h = "find@20.1 the@20.4 clause.@21.0 Have@23.9 you@24.1";
        p.hypothesis(&hyp(h), 24.5);
        let c = p.hypothesis(&hyp(&format!("{h} tried@24.4")), 25.0);
        assert_eq!(c.map(|c| c.text), Some("Have you".to_string()));
        // Without the sentence end, timing still decides: a committed word
        // the decode dropped leaves the next word new.
        let mut p = LocalAgreement::resume(hyp("find@20.1 the@20.3 cost@20.6"), 19.5);
        let h = "find@20.1 the@20.4 clause@21.0 Have@23.9 you@24.1";
        p.hypothesis(&hyp(h), 24.5);
        let c = p.hypothesis(&hyp(&format!("{h} tried@24.4")), 25.0);
        assert_eq!(c.map(|c| c.text), Some("clause Have you".to_string()));
    }

    #[test]
    fn a_garbled_context_sentence_is_matched_by_where_it_ends() {
        // "optimize now." heard again as "off to my is now.": four words
        // for two, so spelling alone takes "my is now." for new words.
        let mut p = LocalAgreement::resume(
            hyp("the@21.0 bottom@21.3 that@21.5 says@21.8 optimize@22.3 now.@22.6"),
            20.4,
        );
        let h = "The@21.0 bottom@21.3 that@21.5 says,@21.8 off@22.0 to@22.1 my@22.3 is@22.4 \
                 now.@22.7 Press@24.5 it@24.7";
        p.hypothesis(&hyp(h), 25.0);
        let c = p.hypothesis(&hyp(&format!("{h} once@25.0")), 25.5);
        assert_eq!(c.map(|c| c.text), Some("Press it".to_string()));
        // A sentence that follows at once is new, not the context again.
        let mut p = LocalAgreement::resume(hyp("I@5.0 see.@5.4"), 4.6);
        p.hypothesis(&hyp("I@5.0 see.@5.4 Yes.@5.8 Go@6.3"), 6.5);
        let c = p.hypothesis(&hyp("I@5.0 see.@5.4 Yes.@5.8 Go@6.3 on.@6.6"), 7.0);
        assert_eq!(c.map(|c| c.text), Some("Yes. Go".to_string()));
    }

    #[test]
    fn an_earlier_sentence_end_near_in_time_does_not_send_committed_words_again() {
        // The flush hears the whole window again; "plug." ends close to
        // where whisper timed the committed "gently.", but spelling says
        // every committed word is there: nothing is new.
        let mut p = LocalAgreement::resume(hyp("blocks@22.7 the@22.8 plug.@24.1"), 20.3);
        p.hypothesis(&hyp("blocks@22.7 the@22.8 plug.@24.1 I@24.1"), 24.5);
        p.hypothesis(
            &hyp("blocks@22.7 the@22.8 plug.@24.9 I@24.9 would@25.0"),
            25.0,
        );
        let h = "blocks@22.7 the@22.8 plug.@24.5 A@24.5 wooden@24.7 toothpick@25.1 \
                 can@25.2 clear@25.6 it@25.6 out@25.6 gently.@25.6";
        p.hypothesis(&hyp(h), 25.8);
        let c = p.hypothesis(&hyp(h), 26.2).expect("the sentence");
        assert_eq!(c.text, "A wooden toothpick can clear it out gently.");
        let again = "blocks@22.7 the@22.8 plug.@25.3 A@25.3 wooden@25.7 toothpick@26.1 \
                     can@26.2 clear@26.2 it@26.2 out@26.2 gently.@26.4";
        assert_eq!(p.flush(&hyp(again), 27.0), None);
    }

    #[test]
    fn a_context_sentence_whose_start_fell_before_the_window_is_not_sent_again() {
        // From a streamed call: the window opened where whisper had ended
        // "anything", so only "else?" of the committed "Is there anything
        // else?" is in it. The decode hears the whole sentence again in
        // the context audio and stretches "else?" over the pause. Without
        // the context rule the sentence was printed twice.
        let mut p = LocalAgreement::resume(hyp("else?@30.23"), 29.0).with_new_speech_at(30.53);
        let h = "Is@29.21 there@29.64 anything@30.32 else?@34.81 Thank@34.81 you.@35.2";
        p.hypothesis(&hyp(h), 35.4);
        let c = p.hypothesis(&hyp(&format!("{h} Have@35.6")), 35.8);
        assert_eq!(c.map(|c| c.text), Some("Thank you.".to_string()));
        // Spelling still decides within the new speech.
        let c = p.flush(
            &hyp(&format!("{h} Have@35.6 a@35.7 good@35.9 day.@36.2")),
            36.5,
        );
        assert_eq!(c.map(|c| c.text), Some("Have a good day.".to_string()));
    }

    #[test]
    fn a_garbled_context_with_most_committed_words_spelled_is_heard() {
        // "your order ships tomorrow?" is the context; the decode garbles
        // its start and times it all into the new speech.
        let mut p = LocalAgreement::resume(hyp("order@24.32 ships@24.53 tomorrow.@24.97"), 23.70)
            .with_new_speech_at(28.55);
        let h = "to@28.97 the@29.34 board@29.34 of@29.34 ships@29.34 tomorrow.@29.34 Is@29.34 \
                 there@29.34";
        p.hypothesis(&hyp(h), 30.0);
        let c = p.hypothesis(&hyp(&format!("{h} anything@30.14")), 30.4);
        assert_eq!(c.map(|c| c.text), Some("Is there".to_string()));
        // Whisper heard "tomorrow." as "to borrow.", dropped the words
        // before it and timed "Is" into the context too: the sentence end
        // in the context is the committed one.
        let mut p = LocalAgreement::resume(hyp("order@24.40 shifts@24.61 tomorrow.@25.08"), 23.73)
            .with_new_speech_at(28.64);
        let c = p.flush(
            &hyp("to@23.91 borrow.@24.73 Is@24.93 there@29.01 anything@29.56 else?@30.29"),
            30.5,
        );
        assert_eq!(
            c.map(|c| (c.text, c.audio_end)),
            Some(("Is there anything else?".to_string(), 30.29))
        );
        // One committed word found among new ones is chance, not a sign
        // the context was heard: the new words stay new.
        let mut p = LocalAgreement::resume(hyp("you.@10.0"), 9.8);
        p.hypothesis(&hyp("Thank@12.3 you@12.5 for@12.7"), 13.0);
        let c = p.hypothesis(&hyp("Thank@12.3 you@12.5 for@12.7 calling.@13.2"), 13.4);
        assert_eq!(c.map(|c| c.text), Some("Thank you for".to_string()));
    }

    #[test]
    fn a_new_word_timed_back_into_the_context_ends_where_the_new_speech_starts() {
        // Whisper timed the first new word seconds early, inside the
        // context audio; its delay is measured from the new speech.
        let mut p = LocalAgreement::resume(hyp("help.@23.9"), 23.5).with_new_speech_at(28.9);
        let c = p
            .flush(&hyp("help.@23.9 Is@24.41"), 29.4)
            .expect("a commit");
        assert_eq!(c.text, "Is");
        assert_eq!(c.audio_end, 28.9);
    }

    #[test]
    fn normalise_keeps_letters_digits_and_apostrophes() {
        assert_eq!(normalise("Americans,"), "americans");
        assert_eq!(normalise("What\u{2019}s"), "what's");
        assert_eq!(normalise("(music)"), "music");
        assert_eq!(normalise("10."), "10");
    }
}
