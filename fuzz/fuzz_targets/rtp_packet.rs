//! Arbitrary bytes into `rtp_packet`. The body is in `fuzz/bodies.rs`,
//! shared with `tests/fuzz_smoke.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../bodies.rs"]
mod bodies;

fuzz_target!(|data: &[u8]| {
    bodies::rtp_packet(data);
});
