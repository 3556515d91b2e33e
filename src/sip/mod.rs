//! SIP: the gateway on the phone network.
//!
//! - [`stack`]: the SIP user agent over rsipstack (both call directions);
//!   nothing outside this module names an rsipstack type.
//! - [`sdp`]: offer and answer for G.711 audio, over the `sdp` crate.

pub mod sdp;
pub mod stack;
