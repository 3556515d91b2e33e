//! The support line's front door: what happens to a call before an
//! agent answers it (issue 14: menus, routing, service hours, case
//! numbers, slow mode). Sans-IO: the menus, routes and hours are state
//! machines and pure functions fed text, digits and `now`.
//!
//! - [`answer`]: what a TTY caller's typed answer to a menu means.
//! - [`case_number`]: ten-digit case numbers with a Damm check digit.
//! - [`hours`]: service hours per queue (time zone, weekly ranges,
//!   holidays) and what a caller gets when a queue is closed.
//! - [`keys`]: one keypad press from RFC 4733 events and in-band tones.
//! - [`menu`]: the menu's state machine, one per caller.
//! - [`menu_config`]: the menu tree as the configuration writes it, and
//!   its checks.
//! - [`route`]: the route table from a caller's menu choices to a
//!   queue, and the X-Relay-Route header that carries the choices.
//! - [`routing`]: after the menu, the queue and whether it is open now.

pub mod answer;
pub mod case_number;
pub mod hours;
pub mod keys;
pub mod menu;
pub mod menu_config;
pub mod route;
pub mod routing;
