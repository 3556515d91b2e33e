//! Helpers shared by the integration tests. Each test binary uses only
//! part of them.
#![allow(dead_code)]

pub mod baresip;
pub mod cli;
pub mod distance;
pub mod frontdoor;
pub mod modem;
pub mod peers;
pub mod pty;
pub mod sip_peer;
pub mod stt;
pub mod turns;
