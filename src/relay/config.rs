//! Settings of a relay call: what each side is told, and the thresholds
//! of pacing and turn-taking.

use std::time::Duration;

use crate::device::DeviceProfile;
use crate::text::baudot::Table;
use crate::text::phrasing::PhrasingConfig;

/// How a call is relayed.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayConfig {
    /// How typed text becomes phrases, and what GA and SK are spoken as.
    pub phrasing: PhrasingConfig,
    /// Character table of the TTY, for what can be printed on it.
    pub table: Table,
    /// Characters the TTY prints per second.
    pub tty_chars_per_second: f64,
    /// Spoken to each agent who joins, before anything else.
    pub agent_greeting: String,
    /// Printed on the TTY when the call starts.
    pub tty_greeting: String,
    /// Spoken to the agent when the TTY falls behind.
    pub backlog_notice: String,
    /// Backlog (in seconds of printing) past which the agent hears the
    /// notice.
    pub backlog_threshold: Duration,
    /// Least time between two notices.
    pub notice_interval: Duration,
    /// Agent silence after which, with the queue drained, the TTY gets GA.
    pub agent_turn_silence: Duration,
    /// How long typed phrases are kept after they were played, so that
    /// an agent leg whose media turns out to have died meanwhile can be
    /// given them again ([`super::Call::handle_agent_lost`]). At least
    /// the time the media needs to be counted as gone.
    pub replay_window: Duration,
    /// A word the TTY user types to ask for a human operator (whole word,
    /// any case); none: the request is not offered.
    pub operator_word: Option<String>,
    /// Printed on the TTY when the operator word is typed.
    pub operator_notice: String,
    /// How long a caption held for review waits before it is sent as it
    /// is; none (the default): until the operator acts (WCAG 2.2.1).
    pub caption_release: Option<Duration>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig::for_device(&DeviceProfile::default())
    }
}

impl RelayConfig {
    /// Settings for a TTY described by `profile`.
    pub fn for_device(profile: &DeviceProfile) -> Self {
        RelayConfig {
            phrasing: PhrasingConfig::default(),
            table: profile.table,
            tty_chars_per_second: profile.chars_per_second(),
            agent_greeting: "Hello. This is a relay call from a caller using a text \
                telephone. A computer voice reads you what they type, and your words \
                are shown to them as text. Please speak normally, and wait for their \
                reply when you finish."
                .into(),
            tty_greeting: "(RELAY CALL, AGENT ON THE LINE)\n".into(),
            backlog_notice: "One moment please, the caller is still reading.".into(),
            backlog_threshold: Duration::from_secs(8),
            notice_interval: Duration::from_secs(20),
            agent_turn_silence: Duration::from_millis(1500),
            replay_window: Duration::from_secs(60),
            operator_word: Some("OPR".into()),
            operator_notice: "(ASKING FOR AN OPERATOR, PLEASE HOLD)\n".into(),
            caption_release: None,
        }
    }
}
