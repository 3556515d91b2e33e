//! Feeds arbitrary bytes to the WAV reader: it must return an error or
//! samples, never panic, and never invent audio the input does not hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relaygate::audio::wav;

fuzz_target!(|data: &[u8]| {
    if let Ok((spec, samples)) = wav::read_all(data) {
        // Every sample comes from at least one input byte, so a header
        // declaring a huge size cannot make the reader allocate beyond it.
        assert!(samples.len() <= data.len());
        assert_eq!(spec.channels, 1);
        assert!(spec.sample_rate > 0);
    }
});
