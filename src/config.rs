//! `relaygate serve`'s configuration: one TOML file, read with serde.
//!
//! Owns the configuration's types, its embedded defaults
//! ([`DEFAULT_CONFIG`], printed by `relaygate serve
//! --print-default-config`), and its checks: unknown keys are errors, and
//! every error names the file, the line and the key. Must not touch:
//! sockets, engines, profiles on disk (the server resolves device and
//! voice names when it starts; `Config::check` only checks that they
//! name something).
//!
//! Pure code: text in, a [`Config`] or a [`ConfigError`] out.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::frontdoor::hours::HoursConfig;
use crate::frontdoor::menu_config::MenuConfig;
use crate::frontdoor::route::{RouteConfig, RouteTable};
use std::collections::BTreeMap;

/// The configuration the server runs on without `--config`.
pub const DEFAULT_CONFIG: &str = include_str!("config/default.toml");

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The SIP listener.
    #[serde(default)]
    pub sip: SipConfig,
    /// Agent queues; calls to a user part with no line go to the first.
    #[serde(default = "default_queues")]
    pub queue: Vec<QueueConfig>,
    /// Called user parts with settings of their own.
    #[serde(default)]
    pub line: Vec<LineConfig>,
    /// The Prometheus endpoint.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// What callers and agents are told.
    #[serde(default)]
    pub greetings: Greetings,
    /// How the agent's INVITE marks a relay call.
    #[serde(default)]
    pub relay_marker: RelayMarker,
    /// Limits on calls.
    #[serde(default)]
    pub limits: Limits,
    /// TTY profile and voice for lines that do not name their own.
    #[serde(default)]
    pub defaults: LineDefaults,
    /// The operator console; none without a `[console]` table.
    #[serde(default)]
    pub console: Option<ConsoleConfig>,
    /// The front door's menu tree; calls go straight to their queue
    /// without a `[menu]` table.
    #[serde(default)]
    pub menu: Option<MenuConfig>,
    /// Rules from the menu's choices to a queue; first match wins.
    #[serde(default)]
    pub route: Vec<RouteConfig>,
}

/// `[console]`: the relay operators' web console.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Where it listens. Without TLS only a loopback address is allowed.
    #[serde(default = "default_console_listen")]
    pub listen: SocketAddr,
    /// The users file `relaygate users add` writes; a relative path is
    /// relative to the configuration file's folder.
    pub users: PathBuf,
    /// PEM certificate chain for HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS.
    pub tls_key: Option<PathBuf>,
    /// The word a TTY caller types to ask for a human operator; empty to
    /// offer none.
    #[serde(default = "default_opr_word")]
    pub opr_word: String,
    /// Seconds a caption held for review waits before it is sent as it
    /// is; 0 (the default) waits for the operator.
    #[serde(default)]
    pub caption_release_seconds: u32,
    /// The console's address as browsers see it (`https://relay.example`),
    /// when a proxy stands in front; WebSocket upgrades from any other
    /// origin are refused. Unset: the request's own host.
    pub public_origin: Option<String>,
}

fn default_console_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_opr_word() -> String {
    "OPR".into()
}

impl ConsoleConfig {
    /// Resolves relative paths against `dir`, the configuration file's
    /// folder.
    pub fn resolve_paths(&mut self, dir: &Path) {
        for p in [
            Some(&mut self.users),
            self.tls_cert.as_mut(),
            self.tls_key.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
    }

    fn check(&self) -> Result<(), (String, String)> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => {
                return Err(("console.tls_key".into(), "tls_cert needs tls_key".into()));
            }
            (None, Some(_)) => {
                return Err(("console.tls_cert".into(), "tls_key needs tls_cert".into()));
            }
            (None, None) if !self.listen.ip().is_loopback() => {
                return Err((
                    "console.listen".into(),
                    format!(
                        "{} is not a loopback address: without tls_cert and tls_key the \
                         console only listens on 127.0.0.1 or ::1 (passwords and calls \
                         must not cross a network in clear)",
                        self.listen
                    ),
                ));
            }
            _ => {}
        }
        if !self.opr_word.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err((
                "console.opr_word".into(),
                format!("{:?} is not one word of letters and digits", self.opr_word),
            ));
        }
        if let Some(o) = &self.public_origin
            && !(o.starts_with("https://") || o.starts_with("http://"))
        {
            return Err((
                "console.public_origin".into(),
                format!("{o:?} is not an origin like https://relay.example"),
            ));
        }
        Ok(())
    }
}

/// `[sip]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipConfig {
    /// Address for SIP over UDP and TCP.
    #[serde(default = "default_sip_listen")]
    pub listen: SocketAddr,
    /// The address put in SDP and Contact headers when `listen` is a
    /// wildcard (0.0.0.0); by default the listen address.
    #[serde(default)]
    pub public_address: Option<std::net::IpAddr>,
    /// First and last UDP port for RTP (an even port per leg).
    #[serde(default = "default_rtp_ports")]
    pub rtp_ports: [u16; 2],
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            listen: default_sip_listen(),
            public_address: None,
            rtp_ports: default_rtp_ports(),
        }
    }
}

/// One `[[queue]]`: where agents answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// The name lines refer to.
    pub name: Spanned<String>,
    /// The SIP URI relaygate dials.
    pub uri: Spanned<String>,
    /// Digest user name, when the queue asks for authentication.
    #[serde(default)]
    pub username: Option<String>,
    /// Digest password.
    #[serde(default)]
    pub password: Option<String>,
    /// Seconds to wait for an agent to answer before the caller is told.
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_seconds: u32,
    /// The IANA zone of `hours` and `holidays` (`Europe/Berlin`).
    #[serde(default)]
    pub time_zone: Option<Spanned<String>>,
    /// When agents answer (`"mon-fri 08:00-18:00"`); always without.
    #[serde(default)]
    pub hours: Option<Spanned<Vec<Spanned<String>>>>,
    /// Dates closed all day, in the queue's zone (`"2026-12-25"`).
    #[serde(default)]
    pub holidays: Option<Spanned<Vec<Spanned<String>>>>,
    /// What a voice caller hears out of hours.
    #[serde(default)]
    pub closed_say: Option<Spanned<String>>,
    /// What a TTY prints out of hours.
    #[serde(default)]
    pub closed_type: Option<Spanned<String>>,
    /// What a caller can press out of hours (menu targets).
    #[serde(default)]
    pub closed_options: BTreeMap<String, Spanned<String>>,
}

impl QueueConfig {
    /// The queue's service hours as written.
    pub fn hours_config(&self) -> HoursConfig {
        HoursConfig {
            time_zone: self.time_zone.clone(),
            hours: self.hours.clone(),
            holidays: self.holidays.clone(),
            closed_say: self.closed_say.clone(),
            closed_type: self.closed_type.clone(),
            closed_options: self.closed_options.clone(),
        }
    }
}

/// How a line treats its callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LineMode {
    /// Listen for TTY tones; a caller who speaks is bridged to the agent.
    #[default]
    Auto,
    /// Every caller is a TTY; the greeting goes out at once.
    Tty,
}

/// One `[[line]]`: settings for calls to one user part.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineConfig {
    /// The called user part (`relay` in `sip:relay@host`).
    pub user: Spanned<String>,
    /// `auto` (the default) or `tty`.
    #[serde(default)]
    pub mode: LineMode,
    /// The queue's name; by default the first queue.
    #[serde(default)]
    pub queue: Option<Spanned<String>>,
    /// TTY hardware profile, a built-in name or a file.
    #[serde(default)]
    pub device: Option<String>,
    /// Voice profile for the agent's ear, a built-in name or a file.
    #[serde(default)]
    pub voice: Option<String>,
    /// The menu node its callers start at; by default `[menu]`'s start,
    /// when there is a `[menu]`.
    #[serde(default)]
    pub menu: Option<Spanned<String>>,
    /// Voice callers start in slow mode: the agent's speech reaches them
    /// slower and leveled, and menus use the `slow` voice.
    #[serde(default)]
    pub slow: bool,
}

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address of the `/metrics` endpoint.
    #[serde(default = "default_metrics_listen")]
    pub listen: SocketAddr,
    /// Set to `false` to serve no metrics.
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: default_metrics_listen(),
            enabled: true,
        }
    }
}

/// `[greetings]`: the words relaygate says itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Greetings {
    /// Printed to a TTY caller once the line knows it is one.
    #[serde(default = "default_tty_greeting")]
    pub tty: String,
    /// Printed when no agent could be reached.
    #[serde(default = "default_tty_no_agent")]
    pub tty_no_agent: String,
    /// Spoken to the agent when the call connects.
    #[serde(default = "default_agent_greeting")]
    pub agent: String,
}

impl Default for Greetings {
    fn default() -> Self {
        Greetings {
            tty: default_tty_greeting(),
            tty_no_agent: default_tty_no_agent(),
            agent: default_agent_greeting(),
        }
    }
}

/// `[relay_marker]`: what the agent's side sees before answering.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayMarker {
    /// Header name on the agent's INVITE.
    #[serde(default = "default_marker_header")]
    pub header: String,
    /// Its value.
    #[serde(default = "default_marker_value")]
    pub value: String,
    /// Put before the caller's display name.
    #[serde(default = "default_display_prefix")]
    pub display_prefix: String,
}

impl Default for RelayMarker {
    fn default() -> Self {
        RelayMarker {
            header: default_marker_header(),
            value: default_marker_value(),
            display_prefix: default_display_prefix(),
        }
    }
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Calls at once; the next gets 503.
    #[serde(default = "default_max_calls")]
    pub max_calls: u32,
    /// A call is ended after this long.
    #[serde(default = "default_max_call_seconds")]
    pub max_call_seconds: u32,
    /// A leg with no RTP for this long has gone.
    #[serde(default = "default_rtp_timeout")]
    pub rtp_timeout_seconds: u32,
    /// After a hangup, how long pending speech and text may take.
    #[serde(default = "default_hangup_grace")]
    pub hangup_grace_seconds: u32,
    /// Whisper decoding states shared by all calls' captions: how many
    /// decodes run at once. Unset: one per core, at most four. Each
    /// costs about 40 MB with tiny.en, once, whatever the number of calls.
    #[serde(default)]
    pub caption_decoders: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_calls: default_max_calls(),
            max_call_seconds: default_max_call_seconds(),
            rtp_timeout_seconds: default_rtp_timeout(),
            hangup_grace_seconds: default_hangup_grace(),
            caption_decoders: None,
        }
    }
}

/// `[defaults]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineDefaults {
    /// TTY hardware profile.
    #[serde(default = "default_device")]
    pub device: String,
    /// Voice profile.
    #[serde(default = "default_voice")]
    pub voice: String,
}

impl Default for LineDefaults {
    fn default() -> Self {
        LineDefaults {
            device: default_device(),
            voice: default_voice(),
        }
    }
}

fn default_sip_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5060))
}
fn default_rtp_ports() -> [u16; 2] {
    [20000, 20999]
}
fn default_metrics_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9464))
}
fn default_queues() -> Vec<QueueConfig> {
    vec![QueueConfig {
        name: Spanned::new(0..0, "agent".into()),
        uri: Spanned::new(0..0, "sip:agent@127.0.0.1:5070".into()),
        username: None,
        password: None,
        ring_timeout_seconds: default_ring_timeout(),
        time_zone: None,
        hours: None,
        holidays: None,
        closed_say: None,
        closed_type: None,
        closed_options: BTreeMap::new(),
    }]
}
fn default_ring_timeout() -> u32 {
    60
}
fn yes() -> bool {
    true
}
fn default_tty_greeting() -> String {
    "RELAY SERVICE CONNECTING YOU TO AN AGENT PLS HOLD GA".into()
}
fn default_tty_no_agent() -> String {
    "SORRY NO AGENT COULD BE REACHED PLS CALL AGAIN LATER SK".into()
}
fn default_agent_greeting() -> String {
    "Hello, this is a relay call from a text telephone user. \
     Your words will be typed to them. Please speak normally, and say go ahead when you finish."
        .into()
}
fn default_marker_header() -> String {
    "X-Relay-Call".into()
}
fn default_marker_value() -> String {
    "tty".into()
}
fn default_display_prefix() -> String {
    "TTY: ".into()
}
fn default_max_calls() -> u32 {
    20
}
fn default_max_call_seconds() -> u32 {
    4 * 3600
}
fn default_rtp_timeout() -> u32 {
    30
}
fn default_hangup_grace() -> u32 {
    30
}
fn default_device() -> String {
    "us-generic".into()
}
fn default_voice() -> String {
    "standard".into()
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{}: {message}", .file.display(), .line.map(|l| format!(":{l}")).unwrap_or_default(), .key.as_ref().map(|k| format!(": {k}")).unwrap_or_default())]
pub struct ConfigError {
    /// The file (`<embedded defaults>` for the built-in text).
    pub file: PathBuf,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// The key, as a dotted path (`sip.listen`, `queue[1].uri`).
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Config {
    /// Parses and checks configuration text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let config: Config = parse_toml(text, file)?;
        config.check().map_err(|(span, key, message)| ConfigError {
            file: file.to_owned(),
            line: span.map(|s| line_at(text, s.start)),
            key: Some(key),
            message,
        })?;
        Ok(config)
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read_text(path)?;
        let mut config = Config::parse(&text, path)?;
        if let Some(c) = &mut config.console {
            c.resolve_paths(path.parent().unwrap_or(Path::new(".")));
        }
        Ok(config)
    }

    /// The embedded defaults.
    pub fn embedded() -> Config {
        // The embedded text is checked by a test; should it ever fail,
        // the built-in values (the same ones) are used.
        Config::parse(DEFAULT_CONFIG, Path::new("<embedded defaults>")).unwrap_or_else(|_| Config {
            sip: SipConfig::default(),
            queue: default_queues(),
            line: Vec::new(),
            metrics: MetricsConfig::default(),
            greetings: Greetings::default(),
            relay_marker: RelayMarker::default(),
            limits: Limits::default(),
            defaults: LineDefaults::default(),
            console: None,
            menu: None,
            route: Vec::new(),
        })
    }

    /// The queue for calls to `user`, and the line's settings if it has
    /// its own.
    pub fn route(&self, user: &str) -> (Option<&LineConfig>, &QueueConfig) {
        let line = self
            .line
            .iter()
            .find(|l| l.user.get_ref().eq_ignore_ascii_case(user));
        let queue = line
            .and_then(|l| l.queue.as_ref())
            .and_then(|q| self.queue.iter().find(|x| x.name.get_ref() == q.get_ref()))
            .or(self.queue.first());
        // `check` makes sure there is a first queue.
        (line, queue.unwrap_or_else(|| unreachable_queue()))
    }

    /// The checks serde cannot make: every reference resolves, every URI
    /// and header name is valid, numbers are in range.
    fn check(&self) -> Result<(), (Option<std::ops::Range<usize>>, String, String)> {
        if self.queue.is_empty() {
            return Err((
                None,
                "queue".into(),
                "at least one [[queue]] is needed".into(),
            ));
        }
        for (i, q) in self.queue.iter().enumerate() {
            let key = |k: &str| format!("queue[{}].{k}", i + 1);
            if q.name.get_ref().trim().is_empty() {
                return Err((
                    Some(q.name.span()),
                    key("name"),
                    "a queue needs a name".into(),
                ));
            }
            if self.queue[..i]
                .iter()
                .any(|o| o.name.get_ref() == q.name.get_ref())
            {
                return Err((
                    Some(q.name.span()),
                    key("name"),
                    format!("a second queue named {:?}", q.name.get_ref()),
                ));
            }
            if let Err(why) = crate::sip::stack::check_uri(q.uri.get_ref()) {
                return Err((Some(q.uri.span()), key("uri"), why));
            }
            if q.password.is_some() && q.username.is_none() {
                return Err((
                    Some(q.uri.span()),
                    key("username"),
                    "a password needs a username".into(),
                ));
            }
        }
        for (i, l) in self.line.iter().enumerate() {
            let key = |k: &str| format!("line[{}].{k}", i + 1);
            let user = l.user.get_ref();
            if user.is_empty()
                || !user
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,;?/%".contains(c))
            {
                return Err((
                    Some(l.user.span()),
                    key("user"),
                    format!("{user:?} is not a SIP user part"),
                ));
            }
            if self.line[..i]
                .iter()
                .any(|o| o.user.get_ref().eq_ignore_ascii_case(user))
            {
                return Err((
                    Some(l.user.span()),
                    key("user"),
                    format!("a second line for {user:?}"),
                ));
            }
            if let Some(q) = &l.queue
                && !self.queue.iter().any(|x| x.name.get_ref() == q.get_ref())
            {
                let names: Vec<&str> = self
                    .queue
                    .iter()
                    .map(|x| x.name.get_ref().as_str())
                    .collect();
                return Err((
                    Some(q.span()),
                    key("queue"),
                    format!(
                        "no queue named {:?} (queues: {})",
                        q.get_ref(),
                        names.join(", ")
                    ),
                ));
            }
        }
        let header = &self.relay_marker.header;
        if header.is_empty()
            || !header
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.!%*+`'~".contains(c))
        {
            return Err((
                None,
                "relay_marker.header".into(),
                format!("{header:?} is not a SIP header name"),
            ));
        }
        if self.relay_marker.value.chars().any(|c| c.is_control()) {
            return Err((
                None,
                "relay_marker.value".into(),
                "control characters cannot go in a header".into(),
            ));
        }
        let [lo, hi] = self.sip.rtp_ports;
        if lo < 1024 || lo >= hi {
            return Err((
                None,
                "sip.rtp_ports".into(),
                format!("[{lo}, {hi}] is not a range of unprivileged ports"),
            ));
        }
        if self.limits.max_calls == 0 {
            return Err((None, "limits.max_calls".into(), "must be at least 1".into()));
        }
        if let Some(c) = &self.console {
            c.check().map_err(|(key, why)| (None, key, why))?;
        }
        self.check_menu()?;
        self.check_hours_and_routes()?;
        if self.limits.caption_decoders == Some(0) {
            return Err((
                None,
                "limits.caption_decoders".into(),
                "must be at least 1 (leave it out for one per core)".into(),
            ));
        }
        if u32::from(hi - lo + 1) / 2 < self.limits.max_calls * 2 {
            return Err((
                None,
                "sip.rtp_ports".into(),
                format!(
                    "{} ports are too few for {} calls of two legs",
                    hi - lo + 1,
                    self.limits.max_calls
                ),
            ));
        }
        Ok(())
    }
}

impl Config {
    /// The menu node calls to `line` start at: the line's own, else the
    /// menu's start; `None` when calls go straight to their queue.
    pub fn menu_start<'a>(&'a self, line: Option<&'a LineConfig>) -> Option<&'a str> {
        let menu = self.menu.as_ref()?;
        Some(
            line.and_then(|l| l.menu.as_ref())
                .unwrap_or(&menu.start)
                .get_ref(),
        )
    }

    /// The menu tree against the queues, and the lines' starts.
    fn check_menu(&self) -> Result<(), (Option<std::ops::Range<usize>>, String, String)> {
        let starts: Vec<(&Spanned<String>, String)> = self
            .line
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                l.menu
                    .as_ref()
                    .map(|m| (m, format!("line[{}].menu", i + 1)))
            })
            .collect();
        let Some(menu) = &self.menu else {
            return match starts.first() {
                Some((m, key)) => Err((
                    Some(m.span()),
                    key.clone(),
                    format!("names menu node {:?}, but there is no [menu]", m.get_ref()),
                )),
                None => Ok(()),
            };
        };
        let queues = self.queue_names();
        menu.check(&queues, &starts)
    }

    fn queue_names(&self) -> Vec<&str> {
        self.queue
            .iter()
            .map(|q| q.name.get_ref().as_str())
            .collect()
    }

    /// Each queue's hours compile and lead somewhere; the route table
    /// names queues and every rule can match.
    fn check_hours_and_routes(
        &self,
    ) -> Result<(), (Option<std::ops::Range<usize>>, String, String)> {
        let queues = self.queue_names();
        let nodes: Vec<&str> = self
            .menu
            .iter()
            .flat_map(|m| m.node.iter().map(|n| n.id.get_ref().as_str()))
            .collect();
        for (i, q) in self.queue.iter().enumerate() {
            let key = format!("queue[{}]", i + 1);
            let hours = q.hours_config();
            hours.compile(&key)?;
            hours.check_targets(&key, &queues, &nodes)?;
        }
        if !self.route.is_empty() && self.menu.is_none() {
            return Err((
                None,
                "route".into(),
                "routes choose from the menu's answers: add a [menu]".into(),
            ));
        }
        RouteTable::new(&self.route, &queues).map(|_| ())
    }
}

/// The first queue when `check` has run; never reached.
fn unreachable_queue() -> &'static QueueConfig {
    static FALLBACK: std::sync::OnceLock<QueueConfig> = std::sync::OnceLock::new();
    FALLBACK.get_or_init(|| default_queues().remove(0))
}

/// Reads a file of this family as text; an error names the file.
pub(crate) fn read_text(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_owned(),
        line: None,
        key: None,
        message: format!("cannot read: {e}"),
    })
}

/// Parses TOML `text` into `T`; a syntax error or a key `T` does not
/// know names `file`, the line and the key. Other files of the same
/// family (the console's users file) share it.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| s.start);
        ConfigError {
            file: file.to_owned(),
            line: at.map(|a| line_at(text, a)),
            key: at.and_then(|a| key_at(text, a)),
            message: first_line(e.message()),
        }
    })
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

/// 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The dotted key at a byte offset: the nearest table header above it
/// and the key on its line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = text[line_start..line_end].trim();
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    if line.starts_with('[') {
        return Some(
            line.trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned(),
        );
    }
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_owned())?;
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("relaygate.toml"))
    }

    #[test]
    fn the_embedded_defaults_parse_and_say_what_the_docs_say() {
        let c = Config::parse(DEFAULT_CONFIG, Path::new("<embedded>")).expect("defaults");
        assert_eq!(c.sip.listen, "127.0.0.1:5060".parse().expect("addr"));
        assert_eq!(c.metrics.listen, "127.0.0.1:9464".parse().expect("addr"));
        assert_eq!(c.queue.len(), 1);
        assert_eq!(c.queue[0].uri.get_ref(), "sip:agent@127.0.0.1:5070");
        assert_eq!(c.relay_marker.header, "X-Relay-Call");
    }

    #[test]
    fn the_console_listens_beyond_loopback_only_with_tls() {
        let c = parse("[console]\nlisten = \"127.0.0.1:8080\"\nusers = \"USERS.toml\"\n")
            .expect("the contract's example");
        let console = c.console.expect("a console");
        assert_eq!(console.opr_word, "OPR");
        assert_eq!(console.caption_release_seconds, 0);
        let e = parse("[console]\nlisten = \"0.0.0.0:8080\"\nusers = \"u.toml\"\n")
            .expect_err("clear text on a network");
        assert_eq!(e.key.as_deref(), Some("console.listen"));
        assert!(e.to_string().contains("loopback"), "{e}");
        let e = parse("[console]\nusers = \"u.toml\"\ntls_cert = \"c.pem\"\n").expect_err("no key");
        assert_eq!(e.key.as_deref(), Some("console.tls_key"));
        parse(
            "[console]\nlisten = \"0.0.0.0:8443\"\nusers = \"u.toml\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n",
        )
        .expect("HTTPS may listen anywhere");
        let e = parse("[console]\nusers = \"u.toml\"\nopr_word = \"HELP ME\"\n")
            .expect_err("two words");
        assert_eq!(e.key.as_deref(), Some("console.opr_word"));
        let e = parse("[console]\nlisten = \"127.0.0.1:8080\"\n").expect_err("no users");
        assert!(e.to_string().contains("users"), "{e}");
    }

    #[test]
    fn the_contract_keys_work() {
        let c = parse(
            "[sip]\nlisten = \"127.0.0.1:5090\"\n[[queue]]\nname = \"support\"\nuri = \"sip:gw@127.0.0.1:5070\"\n[metrics]\nlisten = \"127.0.0.1:9465\"\n",
        )
        .expect("valid");
        assert_eq!(c.sip.listen.port(), 5090);
        assert_eq!(c.metrics.listen.port(), 9465);
        let (line, queue) = c.route("anyone");
        assert!(line.is_none());
        assert_eq!(queue.name.get_ref(), "support");
    }

    #[test]
    fn lines_pick_their_queue_and_mode() {
        let c = parse(
            "[[queue]]\nname = \"a\"\nuri = \"sip:a@127.0.0.1\"\n[[queue]]\nname = \"b\"\nuri = \"sip:b@127.0.0.1\"\n[[line]]\nuser = \"tty\"\nmode = \"tty\"\nqueue = \"b\"\n",
        )
        .expect("valid");
        let (line, queue) = c.route("TTY");
        assert_eq!(line.map(|l| l.mode), Some(LineMode::Tty));
        assert_eq!(queue.name.get_ref(), "b");
        assert_eq!(c.route("other").1.name.get_ref(), "a");
    }

    #[test]
    fn an_unknown_key_names_file_line_and_key() {
        let e = parse("[sip]\nlisten = \"127.0.0.1:5060\"\nlissen = 1\n").expect_err("unknown");
        assert_eq!(e.line, Some(3));
        assert_eq!(e.key.as_deref(), Some("sip.lissen"));
        let shown = e.to_string();
        assert!(
            shown.starts_with("relaygate.toml:3: sip.lissen: unknown field"),
            "{shown}"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = parse("[sip]\nlisten = \"nowhere\"\n").expect_err("bad address");
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("sip.listen")));
        let e = parse("[[queue]]\nname = \"q\"\nuri = \"http://x\"\n").expect_err("bad uri");
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("queue[1].uri")));
        let e = parse("[[queue]]\nname = \"q\"\nuri = \"sip:q@h\"\n[[line]]\nuser = \"u\"\nqueue = \"nope\"\n")
            .expect_err("unknown queue");
        assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("line[1].queue")));
        assert!(e.message.contains("no queue named \"nope\""), "{e}");
        let e = parse("[line]\nuser = 1\n").expect_err("not an array");
        assert!(e.line.is_some());
        let e = parse("[limits]\nmax_calls = 0\n").expect_err("zero");
        assert_eq!(e.key.as_deref(), Some("limits.max_calls"));
        let e = parse("[limits]\ncaption_decoders = 0\n").expect_err("zero");
        assert_eq!(e.key.as_deref(), Some("limits.caption_decoders"));
    }
}
