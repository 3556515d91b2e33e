//! The relay operator's web console, served by `relaygate serve`.
//!
//! Owns the console's HTTP side: the router, its layers (sessions,
//! security headers, CSRF, body limits, tracing without cookies), TLS,
//! and shutdown. Rooms: [`users`] (the users file and roles),
//! [`directory`] (that file as the running console sees it), [`auth`]
//! (sign-in, sessions), [`access`] (who may do what to a call),
//! [`live`] (the WebSocket live channel), [`page`] (the page itself),
//! [`admin`] (the admin's Users page).
//! It reads calls through [`crate::gateway::registry`] and never touches
//! calls, legs or the relay core directly. Nothing of a conversation is
//! stored: text lives in the registry for live calls only.

pub mod access;
pub mod admin;
pub mod auth;
pub mod directory;
pub mod live;
pub mod page;
pub mod users;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, Json};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time;
use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer};
use tracing::{info, warn};

use crate::config::ConsoleConfig;
use crate::gateway::registry::Registry;
use auth::{AttemptLimits, SignInState, SignedIn};
use directory::Directory;
use live::LiveState;

/// Why the console could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// Its address could not be bound.
    #[error("cannot serve the console on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be loaded.
    #[error("cannot load the console's TLS certificate and key: {0}")]
    Tls(std::io::Error),
    /// The users file is missing or broken.
    #[error(transparent)]
    Users(#[from] users::UsersError),
}

/// A session lasts this long without use (a shift, with margin: WCAG
/// 2.2.1 asks for 20 hours or a warning).
const SESSION_IDLE: time::Duration = time::Duration::hours(20);
/// Largest request body (the sign-in form).
const MAX_BODY: usize = 16 * 1024;

#[derive(Clone)]
struct AppState {
    sign_in: SignInState,
    live: LiveState,
}

impl FromRef<AppState> for SignInState {
    fn from_ref(s: &AppState) -> Self {
        s.sign_in.clone()
    }
}

impl FromRef<AppState> for Directory {
    fn from_ref(s: &AppState) -> Self {
        s.sign_in.directory.clone()
    }
}

impl FromRef<AppState> for LiveState {
    fn from_ref(s: &AppState) -> Self {
        s.live.clone()
    }
}

/// The running console.
#[derive(Debug)]
pub struct Console {
    /// The address it listens on.
    pub local_addr: SocketAddr,
    task: JoinHandle<()>,
    tracker: TaskTracker,
}

impl Console {
    /// Waits until the server has stopped (after `stop`) and its live
    /// channels have closed.
    pub async fn stopped(self) {
        let _ = self.task.await;
        self.tracker.close();
        if tokio::time::timeout(Duration::from_secs(5), self.tracker.wait())
            .await
            .is_err()
        {
            warn!("some console channels did not close in time");
        }
    }
}

/// Starts the console of `config` over `registry`; it stops when `stop`
/// is cancelled. Errors (the address, the certificate, the users file)
/// come before anything is served.
pub async fn start(
    config: &ConsoleConfig,
    registry: Registry,
    stop: CancellationToken,
) -> Result<Console, ConsoleError> {
    // A broken users file is better found now than at the first sign-in.
    let directory = directory::Directory::open(&config.users)?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            // One process-wide provider; a second install is a no-op.
            let _ = rustls::crypto::ring::default_provider().install_default();
            Some(
                axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .map_err(ConsoleError::Tls)?,
            )
        }
        _ => None,
    };
    let tracker = TaskTracker::new();
    let state = AppState {
        sign_in: SignInState {
            directory: directory.clone(),
            limits: Arc::new(AttemptLimits::default()),
        },
        live: LiveState {
            registry,
            public_origin: config.public_origin.clone(),
            tls: tls.is_some(),
            directory,
            stop: stop.clone(),
            tracker: tracker.clone(),
            sessions: MemoryStore::default(),
        },
    };
    let app = router(state);
    let addr = config.listen;
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|source| ConsoleError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| ConsoleError::Bind { addr, source })?;
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = match tls {
        Some(tls) => {
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            let token = stop.clone();
            tokio::spawn(async move {
                token.cancelled().await;
                h.graceful_shutdown(Some(Duration::from_secs(5)));
            });
            // TCP_NODELAY: a live-channel answer often goes out as two
            // small frames, and Nagle's algorithm would hold the second
            // for the peer's delayed ACK (40 ms here).
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
                .acceptor(axum_server::accept::NoDelayAcceptor::new());
            let server = axum_server::from_tcp(listener)
                .map_err(|source| ConsoleError::Bind { addr, source })?
                .acceptor(acceptor)
                .handle(handle);
            tokio::spawn(async move {
                if let Err(e) = server.serve(service).await {
                    warn!(error = %e, "the console stopped");
                }
            })
        }
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)
                .map_err(|source| ConsoleError::Bind { addr, source })?
                .tap_io(|tcp| {
                    // As for HTTPS: no Nagle delay on the live channel.
                    let _ = tcp.set_nodelay(true);
                });
            tokio::spawn(async move {
                let served = axum::serve(listener, service)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await;
                if let Err(e) = served {
                    warn!(error = %e, "the console stopped");
                }
            })
        }
    };
    info!(console = %local_addr, https = config.tls_cert.is_some(), "operator console serving");
    Ok(Console {
        local_addr,
        task,
        tracker,
    })
}

fn router(state: AppState) -> Router {
    // Secure even without TLS: then the console is on loopback, which
    // browsers count as a secure origin and keep such cookies for.
    let sessions = SessionManagerLayer::new(state.live.sessions.clone())
        .with_name("relaygate_session")
        .with_secure(true)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    Router::new()
        .route("/", get(index))
        .route("/sign-in", get(auth::form).post(auth::sign_in))
        .route("/sign-out", post(auth::sign_out))
        .route("/console.css", get(|| async { page::style() }))
        .route("/console.js", get(script))
        .route("/api/me", get(me))
        .route("/api/calls", get(calls))
        .route("/live", get(live::upgrade))
        .route("/users", get(admin::page))
        .route("/users/add", post(admin::add))
        .route("/users/role", post(admin::role))
        .route("/users/password", post(admin::password))
        .route("/users/remove", post(admin::remove))
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such page\n") })
        .with_state(state)
        .layer(sessions)
        .layer(CsrfLayer::new())
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        // tower-sessions opens a span named "call" per request: ours
        // around it says these lines are the console's, not a phone call's.
        .layer(TraceLayer::new_for_http().make_span_with(|r: &axum::http::Request<_>| {
            tracing::info_span!("console", method = %r.method(), path = %r.uri().path())
        }))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::COOKIE,
            header::AUTHORIZATION,
        ]))
}

/// `GET /`: the console for a signed-in user, the sign-in form otherwise.
async fn index(
    axum::extract::State(directory): axum::extract::State<Directory>,
    session: Session,
) -> Response {
    match SignedIn::of(&session, &directory).await {
        Some(_) => page::app(),
        None => Redirect::to("/sign-in").into_response(),
    }
}

async fn script(_: SignedIn) -> Response {
    page::script()
}

/// `GET /api/me`.
async fn me(user: SignedIn) -> Response {
    no_store(Json(
        serde_json::json!({"name": user.name, "role": user.role}),
    ))
}

/// `GET /api/calls`: every live call's metadata.
async fn calls(
    _: SignedIn,
    axum::extract::State(live): axum::extract::State<LiveState>,
) -> Response {
    no_store(Json(live.registry.list()))
}

fn no_store(body: impl IntoResponse) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
