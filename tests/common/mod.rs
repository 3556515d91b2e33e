//! Helpers shared by the integration tests. Each test binary uses only
//! part of them.
#![allow(dead_code)]

pub mod cli;
pub mod modem;
pub mod peers;
pub mod pty;
pub mod stt;
