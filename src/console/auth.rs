//! Signing in and out, and who is signed in.
//!
//! Owns the sign-in form's handling (Argon2id verification off the async
//! runtime, the session id renewed at sign-in, attempts limited per name
//! and per address), sign-out, and [`SignedIn`], the extractor every
//! other page and answer uses to refuse a request without a session.
//! Sessions and cookies are tower-sessions'; hashing is argon2's; the
//! limits are governor's. Logs say who signed in or out, never a
//! password, and a refused attempt only from which address.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use tracing::info;

use super::directory::Directory;
use super::page;
use super::users::{Role, Users};

/// The session key of the signed-in user.
const USER_KEY: &str = "user";

/// A signed-in user, from the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// Their name.
    pub name: String,
    /// Their role, as the users file has it now.
    pub role: Role,
    /// Their password's [`credential`](super::users::User::credential)
    /// at sign-in.
    #[serde(default)]
    pub credential: String,
}

impl<S> FromRequestParts<S> for SignedIn
where
    S: Send + Sync,
    Directory: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let unauthorized = || (StatusCode::UNAUTHORIZED, "sign in first\n").into_response();
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| unauthorized())?;
        SignedIn::of(&session, &Directory::from_ref(state))
            .await
            .ok_or_else(unauthorized)
    }
}

impl SignedIn {
    /// The user of `session`, if one signed in and is still in the users
    /// file with the same password, with the role the file gives them
    /// now: an admin's change takes effect at the user's next request, and
    /// the session of a removed user, or one whose password was changed,
    /// ends.
    pub async fn of(session: &Session, directory: &Directory) -> Option<SignedIn> {
        let user = session.get::<SignedIn>(USER_KEY).await.ok().flatten()?;
        let users = directory.current().await;
        match user.role_in(&users) {
            Some(role) => Some(SignedIn { role, ..user }),
            None => {
                let _ = session.flush().await;
                let why = if users.get(&user.name).is_some() {
                    "session ended: the password was changed"
                } else {
                    "session ended: no longer a console user"
                };
                info!(user = %user.name, "{why}");
                None
            }
        }
    }

    /// The role `users` gives this user now; `None` if they are gone or
    /// their password was set anew since they signed in.
    pub fn role_in(&self, users: &Users) -> Option<Role> {
        users
            .get(&self.name)
            .filter(|u| u.credential() == self.credential)
            .map(|u| u.role)
    }
}

/// Limits on sign-in attempts: per name and per address, each a bucket
/// that refills, so a burst is slowed down but nobody is ever locked out
/// (a lockout would let anyone lock an operator out mid-shift).
pub struct AttemptLimits {
    per_name: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for AttemptLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttemptLimits").finish_non_exhaustive()
    }
}

/// Keys kept before old ones are forgotten, so names made up by an
/// attacker cannot grow the limiter without end.
const MAX_KEYS: usize = 10_000;

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Default for AttemptLimits {
    fn default() -> Self {
        AttemptLimits {
            // Five tries at once for a name, then one every 20 s.
            per_name: RateLimiter::keyed(quota(5, Duration::from_secs(20))),
            // An address (a call centre behind one NAT) gets more.
            per_address: RateLimiter::keyed(quota(30, Duration::from_secs(2))),
        }
    }
}

impl AttemptLimits {
    /// Counts an attempt; `Err(wait)` if it must wait.
    pub fn check(&self, name: &str, address: IpAddr) -> Result<(), Duration> {
        for limiter_len in [self.per_name.len(), self.per_address.len()] {
            if limiter_len > MAX_KEYS {
                self.per_name.retain_recent();
                self.per_address.retain_recent();
            }
        }
        let now = DefaultClock::default().now();
        self.per_address
            .check_key(&address)
            .map_err(|n| n.wait_time_from(now))?;
        self.per_name
            .check_key(&name.to_lowercase())
            .map_err(|n| n.wait_time_from(now))
    }
}

/// What sign-in needs.
#[derive(Debug, Clone)]
pub struct SignInState {
    /// The users file, as it is at each sign-in.
    pub directory: Directory,
    /// The attempt limits.
    pub limits: Arc<AttemptLimits>,
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
}

/// `GET /sign-in`.
pub async fn form(State(state): State<SignInState>, session: Session) -> Response {
    if SignedIn::of(&session, &state.directory).await.is_some() {
        return Redirect::to("/").into_response();
    }
    page::sign_in(StatusCode::OK, "", None)
}

/// `POST /sign-in`.
pub async fn sign_in(
    State(state): State<SignInState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    Form(form): Form<SignInForm>,
) -> Response {
    let name = form.username.trim().to_owned();
    if name.is_empty() || form.password.is_empty() {
        return page::sign_in(
            StatusCode::UNAUTHORIZED,
            &name,
            Some("Enter your username and password"),
        );
    }
    if let Err(wait) = state.limits.check(&name, peer.ip()) {
        let seconds = wait.as_secs().max(1);
        info!(address = %peer.ip(), "sign-in slowed down: too many attempts");
        let mut response = page::sign_in(
            StatusCode::TOO_MANY_REQUESTS,
            &name,
            Some(&format!(
                "Too many sign-in attempts. Wait {seconds} seconds, then try again"
            )),
        );
        if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return response;
    }
    let users = state.directory.current().await;
    let (who, password) = (name.clone(), form.password);
    let verified = tokio::task::spawn_blocking(move || {
        let role = users.verify(&who, &password);
        let credential = users.get(&who).map(|u| u.credential().to_owned());
        (role, credential.unwrap_or_default())
    })
    .await;
    let Ok((role, credential)) = verified else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(role) = role else {
        info!(address = %peer.ip(), "sign-in refused");
        return page::sign_in(
            StatusCode::UNAUTHORIZED,
            &name,
            Some("The username or password is wrong"),
        );
    };
    // A new session id at sign-in: an id planted before cannot be used.
    let user = SignedIn {
        name: name.clone(),
        role,
        credential,
    };
    if session.cycle_id().await.is_err() || session.insert(USER_KEY, &user).await.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    info!(user = %name, role = %role, "signed in");
    Redirect::to("/").into_response()
}

/// `POST /sign-out`.
pub async fn sign_out(user: SignedIn, session: Session) -> Response {
    let _ = session.flush().await;
    info!(user = %user.name, "signed out");
    Redirect::to("/sign-in").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_attempts_is_slowed_and_never_locked_out() {
        let limits = AttemptLimits::default();
        let ip = IpAddr::from([10, 0, 0, 1]);
        for _ in 0..5 {
            assert!(limits.check("alice", ip).is_ok());
        }
        let wait = limits.check("alice", ip).expect_err("the sixth waits");
        assert!(
            wait <= Duration::from_secs(20),
            "{wait:?}: a wait, not a lockout"
        );
        assert!(
            limits.check("ALICE", IpAddr::from([10, 0, 0, 2])).is_err(),
            "the name is limited whatever its case or address"
        );
        assert!(limits.check("bob", ip).is_ok(), "other names are not");
    }

    #[test]
    fn one_address_cannot_try_name_after_name_at_full_speed() {
        let limits = AttemptLimits::default();
        let ip = IpAddr::from([10, 0, 0, 3]);
        let refused = (0..40)
            .filter(|i| limits.check(&format!("user{i}"), ip).is_err())
            .count();
        assert!(refused >= 9, "{refused} of 40 refused");
    }
}
