//! The support line's front door: what happens to a call before an
//! agent answers it (issue 14: menus, routing, service hours, case
//! numbers, slow mode). Sans-IO: the menus, routes and hours are state
//! machines and pure functions fed text, digits and `now`.
//!
//! - [`answer`]: what a TTY caller's typed answer to a menu means.
//! - [`case_number`]: ten-digit case numbers with a Damm check digit.
//! - [`menu_config`]: the menu tree as the configuration writes it, and
//!   its checks.

pub mod answer;
pub mod case_number;
pub mod hours;
pub mod menu;
pub mod menu_config;
pub mod route;
