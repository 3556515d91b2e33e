//! The gateway's Prometheus metrics (`prometheus-client`) and the
//! `/metrics` listener (axum).
//!
//! Owns the registry and every metric's name and help text. Metadata
//! only: counts, outcomes and delays, never text, audio or digits.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// How a call ended, as a label.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum Outcome {
    /// A relay call that ran and ended normally.
    Relayed,
    /// A voice caller bridged to the agent.
    Bridged,
    /// Refused before answer (no G.711, full, bad request).
    Refused,
    /// The caller hung up before it was connected to anyone.
    Abandoned,
    /// No agent could be reached.
    NoAgent,
    /// Ended by the server stopping.
    Shutdown,
    /// Something failed inside relaygate.
    Failed,
    /// Out of service hours: the caller was told, and no agent dialled.
    Closed,
}

impl Outcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Relayed => "relayed",
            Outcome::Bridged => "bridged",
            Outcome::Refused => "refused",
            Outcome::Abandoned => "abandoned",
            Outcome::NoAgent => "no-agent",
            Outcome::Shutdown => "shutdown",
            Outcome::Failed => "failed",
            Outcome::Closed => "closed",
        }
    }
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, enc: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        enc.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: Outcome,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LegLabel {
    leg: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectionLabel {
    direction: &'static str,
}

/// Every metric the gateway keeps.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    active: Gauge,
    calls: Family<OutcomeLabel, Counter>,
    tty_detections: Counter,
    voice_callers: Counter,
    detect_seconds: Histogram,
    chars: Family<DirectionLabel, Counter>,
    caption_delay: Histogram,
    phrase_to_speech: Histogram,
    rtp_lost: Family<LegLabel, Counter>,
    rtp_late: Family<LegLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every metric at zero.
    pub fn new() -> Metrics {
        let mut r = Registry::default();
        let m = Metrics {
            registry: Arc::new(Registry::default()),
            active: Gauge::default(),
            calls: Family::default(),
            tty_detections: Counter::default(),
            voice_callers: Counter::default(),
            detect_seconds: Histogram::new([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0]),
            chars: Family::default(),
            caption_delay: Histogram::new([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0]),
            phrase_to_speech: Histogram::new([0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0]),
            rtp_lost: Family::default(),
            rtp_late: Family::default(),
        };
        r.register(
            "relaygate_calls_active",
            "Calls in progress",
            m.active.clone(),
        );
        r.register(
            "relaygate_calls",
            "Calls ended, by outcome",
            m.calls.clone(),
        );
        r.register(
            "relaygate_tty_detections",
            "Callers recognised as TTYs",
            m.tty_detections.clone(),
        );
        r.register(
            "relaygate_voice_callers",
            "Callers bridged as voice calls",
            m.voice_callers.clone(),
        );
        r.register(
            "relaygate_tty_detect_seconds",
            "First TTY character to the TTY verdict",
            m.detect_seconds.clone(),
        );
        r.register(
            "relaygate_characters",
            "Characters typed, spoken to the agent, printed on the TTY, and lost",
            m.chars.clone(),
        );
        r.register(
            "relaygate_caption_delay_seconds",
            "Agent word spoken to its commit as a caption",
            m.caption_delay.clone(),
        );
        r.register(
            "relaygate_phrase_to_speech_seconds",
            "Phrase closed on the TTY to the first agent audio",
            m.phrase_to_speech.clone(),
        );
        r.register(
            "relaygate_rtp_lost_packets",
            "RTP packets lost, by leg",
            m.rtp_lost.clone(),
        );
        r.register(
            "relaygate_rtp_late_packets",
            "RTP packets too late to play, by leg",
            m.rtp_late.clone(),
        );
        Metrics {
            registry: Arc::new(r),
            ..m
        }
    }

    /// A call began.
    pub fn call_started(&self) {
        self.active.inc();
    }

    /// A call ended with `outcome`.
    pub fn call_ended(&self, outcome: Outcome) {
        self.active.dec();
        self.calls.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    /// A call refused before it began.
    pub fn call_refused(&self) {
        self.calls
            .get_or_create(&OutcomeLabel {
                outcome: Outcome::Refused,
            })
            .inc();
    }

    /// A TTY was recognised `seconds` after its first character.
    pub fn tty_detected(&self, seconds: Option<f64>) {
        self.tty_detections.inc();
        if let Some(s) = seconds {
            self.detect_seconds.observe(s);
        }
    }

    /// A caller was bridged as a voice call.
    pub fn voice_caller(&self) {
        self.voice_callers.inc();
    }

    /// Character counts of one call.
    pub fn characters(&self, typed: u64, spoken: u64, printed: u64, lost: u64) {
        for (direction, n) in [
            ("typed", typed),
            ("spoken", spoken),
            ("printed", printed),
            ("lost", lost),
        ] {
            self.chars
                .get_or_create(&DirectionLabel { direction })
                .inc_by(n);
        }
    }

    /// One committed caption word's delay.
    pub fn caption_delay(&self, seconds: f64) {
        self.caption_delay.observe(seconds);
    }

    /// One phrase's delay to speech.
    pub fn phrase_to_speech(&self, seconds: f64) {
        self.phrase_to_speech.observe(seconds);
    }

    /// RTP counts of one leg (`customer` or `agent`).
    pub fn rtp(&self, leg: &'static str, lost: u64, late: u64) {
        self.rtp_lost.get_or_create(&LegLabel { leg }).inc_by(lost);
        self.rtp_late.get_or_create(&LegLabel { leg }).inc_by(late);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut body = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut body, &self.registry);
        body
    }

    /// Serves `/metrics` on `listen` until `stop` resolves.
    pub async fn serve(
        &self,
        listen: SocketAddr,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<tokio::task::JoinHandle<()>> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let app = Router::new()
            .route("/metrics", get(handler))
            .with_state(self.clone());
        Ok(tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
            {
                tracing::error!(error = %e, "metrics listener");
            }
        }))
    }
}

async fn handler(State(m): State<Metrics>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_characters_show_in_the_exposition() {
        let m = Metrics::new();
        m.call_started();
        m.call_ended(Outcome::Relayed);
        m.characters(10, 10, 30, 0);
        let text = m.render();
        assert!(
            text.contains("relaygate_calls_total{outcome=\"relayed\"} 1"),
            "{text}"
        );
        assert!(text.contains("relaygate_calls_active 0"), "{text}");
        assert!(
            text.contains("relaygate_characters_total{direction=\"lost\"} 0"),
            "{text}"
        );
    }
}
