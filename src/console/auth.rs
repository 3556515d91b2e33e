//! Signing in and out, and who is signed in.
//!
//! Owns the sign-in form's handling (Argon2id verification off the async
//! runtime, the session id renewed at sign-in, attempts limited per name
//! and per address), sign-out, and [`SignedIn`], the extractor every
//! other page and answer uses to refuse a request without a session.
//! Sessions and cookies are tower-sessions'; hashing is argon2's; the
//! limits are governor's. Logs say who signed in or out, never a
//! password, and a refused attempt only from which address.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
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

/// Limits on sign-in attempts, each a bucket that refills, so a burst is
/// slowed down (the answer says how long to wait) but nobody is ever
/// locked out: a lockout would let anyone lock an operator out
/// mid-shift.
///
/// - per address, whatever the names: one machine cannot try name after
///   name at full speed;
/// - per name at one address: one machine cannot guess one password at
///   full speed;
/// - per name from addresses it has not signed in from: many machines
///   guessing one password are slowed together, while the user at a
///   place they signed in from before is not held up by those guesses.
pub struct AttemptLimits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_name_here: DefaultKeyedRateLimiter<(String, IpAddr)>,
    per_name_elsewhere: DefaultKeyedRateLimiter<String>,
    /// Names and the addresses they signed in from.
    known: Mutex<HashSet<(String, IpAddr)>>,
}

impl std::fmt::Debug for AttemptLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttemptLimits").finish_non_exhaustive()
    }
}

/// Keys kept before old ones are forgotten, so names made up by an
/// attacker cannot grow the limiters without end.
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
            // An address (a call centre behind one NAT) gets the most.
            per_address: RateLimiter::keyed(quota(30, Duration::from_secs(2))),
            // Five tries at once for a name from one place, then one
            // every 20 s.
            per_name_here: RateLimiter::keyed(quota(5, Duration::from_secs(20))),
            // Ten from new places together, then one every 30 s.
            per_name_elsewhere: RateLimiter::keyed(quota(10, Duration::from_secs(30))),
            known: Mutex::new(HashSet::new()),
        }
    }
}

impl AttemptLimits {
    /// Counts an attempt; `Err(wait)` if it must wait.
    pub fn check(&self, name: &str, address: IpAddr) -> Result<(), Duration> {
        if self.per_address.len() > MAX_KEYS
            || self.per_name_here.len() > MAX_KEYS
            || self.per_name_elsewhere.len() > MAX_KEYS
        {
            self.per_address.retain_recent();
            self.per_name_here.retain_recent();
            self.per_name_elsewhere.retain_recent();
        }
        let name = name.to_lowercase();
        let now = DefaultClock::default().now();
        let wait = |n: governor::NotUntil<_>| n.wait_time_from(now);
        self.per_address.check_key(&address).map_err(wait)?;
        let key = (name, address);
        self.per_name_here.check_key(&key).map_err(wait)?;
        let known = self
            .known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&key);
        if !known {
            self.per_name_elsewhere.check_key(&key.0).map_err(wait)?;
        }
        Ok(())
    }

    /// `name` signed in from `address`: from there, guesses made
    /// elsewhere no longer slow them down.
    pub fn signed_in(&self, name: &str, address: IpAddr) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= MAX_KEYS {
            known.clear();
        }
        known.insert((name.to_lowercase(), address));
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
    state.limits.signed_in(&name, peer.ip());
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
        let wait = limits.check("ALICE", ip).expect_err("the sixth waits");
        assert!(
            wait <= Duration::from_secs(20),
            "{wait:?}: a wait, not a lockout"
        );
        assert!(limits.check("bob", ip).is_ok(), "other names are not");
    }

    #[test]
    fn guesses_from_elsewhere_do_not_hold_up_a_user_where_they_signed_in() {
        let limits = AttemptLimits::default();
        let desk = IpAddr::from([10, 0, 0, 1]);
        assert!(limits.check("alice", desk).is_ok());
        limits.signed_in("alice", desk);
        // Many machines guess alice's password: slowed together.
        let refused = (0..40u8)
            .filter(|i| {
                limits
                    .check("alice", IpAddr::from([192, 0, 2, *i]))
                    .is_err()
            })
            .count();
        assert!(refused >= 25, "only {refused} of 40 guesses slowed");
        let wait = limits
            .check("alice", IpAddr::from([192, 0, 2, 200]))
            .expect_err("a new place waits");
        assert!(wait <= Duration::from_secs(30), "{wait:?}: not a lockout");
        // Alice at her desk is not held up by them.
        for _ in 0..4 {
            assert!(limits.check("Alice", desk).is_ok());
        }
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
