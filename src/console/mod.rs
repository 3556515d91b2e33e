//! The relay operator's console: who may sign in and what they may do.
//!
//! Owns the console's users and roles ([`users`]). The web console
//! itself (sign-in, the live channel, the page) is built on these.
//! Must not touch: calls, legs, the relay core.

pub mod users;
