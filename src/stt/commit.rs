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
/// twice: equal, or one a prefix of the other at least 3 letters long
/// ("america" and "american", "ask" and "asked"). Used only to find the
/// committed words in a hypothesis; agreement still needs equal words.
fn respelled(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long || (short.chars().count() >= 3 && long.starts_with(short))
}

/// Local agreement over the hypotheses of one utterance.
#[derive(Debug, Clone, Default)]
pub struct LocalAgreement {
    /// Words committed so far, as spelled when committed.
    committed: Vec<Word>,
    /// The previous hypothesis, whole.
    previous: Option<Vec<Word>>,
}

impl LocalAgreement {
    /// A policy for a new utterance: nothing committed, no hypothesis yet.
    pub fn new() -> Self {
        LocalAgreement::default()
    }

    /// A policy that carries on after `committed`, words already sent
    /// from audio the new hypotheses also cover (decoded again as
    /// context). They are matched like the policy's own commits and never
    /// sent again.
    pub fn resume(committed: Vec<Word>) -> Self {
        LocalAgreement {
            committed,
            previous: None,
        }
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
        let end = words.last()?.end.max(last_end);
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
    /// closest to where the committed words end.
    fn covered(&self, hyp: &[Word]) -> usize {
        let c: Vec<String> = self.committed.iter().map(|w| normalise(&w.text)).collect();
        if c.is_empty() {
            return 0;
        }
        let h: Vec<String> = hyp.iter().map(|w| normalise(&w.text)).collect();
        // Standard edit-distance table, one row per committed word; the
        // last row gives the distance to every prefix of the hypothesis.
        let mut row: Vec<usize> = (0..=h.len()).collect();
        for (i, cw) in c.iter().enumerate() {
            let mut next = vec![i + 1; h.len() + 1];
            for (j, hw) in h.iter().enumerate() {
                next[j + 1] = (row[j] + usize::from(!respelled(cw, hw)))
                    .min(row[j + 1] + 1)
                    .min(next[j] + 1);
            }
            row = next;
        }
        let target = self.committed.last().map_or(0.0, |w| w.end);
        let gap = |k: usize| {
            let end = if k == 0 { 0.0 } else { hyp[k - 1].end };
            (end - target).abs()
        };
        (0..=h.len())
            .min_by(|&a, &b| row[a].cmp(&row[b]).then(gap(a).total_cmp(&gap(b))))
            .unwrap_or(0)
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
        let mut p = LocalAgreement::resume(hyp("your@1.0 country.@1.5"));
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
    fn normalise_keeps_letters_digits_and_apostrophes() {
        assert_eq!(normalise("Americans,"), "americans");
        assert_eq!(normalise("What\u{2019}s"), "what's");
        assert_eq!(normalise("(music)"), "music");
        assert_eq!(normalise("10."), "10");
    }
}
