//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs`
//! (libFuzzer, nightly) and `tests/fuzz_smoke.rs` (proptest, stable, on
//! every `cargo test`), so both always check the same things.
//!
//! Demodulator input layout: byte 0 picks the sample rate, byte 1 the
//! baud mode, bytes 2..6 four block sizes used in turn, the rest
//! little-endian samples.

// Each target and test uses only some of the bodies.
#![allow(dead_code)]

use relaygate::audio::wav;
use relaygate::modem::{BaudMode, Demodulator, RxFrame};

/// The rates the CLI accepts, then any rate from 4 kHz up.
pub fn rate(b: u8) -> u32 {
    match b {
        0..=127 => [8000, 16000, 44100, 48000][usize::from(b % 4)],
        _ => 4000 + u32::from(b - 128) * 500,
    }
}

/// Automatic, or a fixed rate from 0 to 127.5 baud in half-baud steps
/// (the demodulator clamps out-of-range rates).
pub fn mode(b: u8) -> BaudMode {
    if b < 64 {
        BaudMode::Auto
    } else {
        BaudMode::Fixed(f64::from(b - 64) * 2.0)
    }
}

/// Feeds `data` to a demodulator: it must never panic, and the frames it
/// reports must make sense. Returns them, so tests can check the input
/// reached the frame decisions.
pub fn demodulator(data: &[u8]) -> Vec<RxFrame> {
    if data.len() < 6 {
        return Vec::new();
    }
    let (rate, mode) = (rate(data[0]), mode(data[1]));
    let sizes: Vec<usize> = data[2..6].iter().map(|&b| usize::from(b) * 8 + 1).collect();
    let samples: Vec<i16> = data[6..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();

    let mut demod = Demodulator::new(rate, mode);
    let mut frames = Vec::new();
    // An empty block must be harmless too.
    demod.push(&[], &mut frames);
    let mut rest = &samples[..];
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (block, tail) = rest.split_at(size.min(rest.len()));
        demod.push(block, &mut frames);
        rest = tail;
    }
    demod.flush(&mut frames);

    // What flush adds: 0.4 s of silence.
    let fed = samples.len() as u64 + u64::from(rate) * 2 / 5;
    let mut last = None;
    for f in &frames {
        assert!(f.code < 32, "{f:?}");
        assert!(f.sample < fed, "{f:?} after the end of {fed} samples");
        assert!(
            last.is_none_or(|l| f.sample > l),
            "{f:?} not after {last:?}"
        );
        assert!(f.baud.is_finite() && f.baud > 0.0, "{f:?}");
        last = Some(f.sample);
    }
    assert!(!demod.in_burst(), "flush must forget the sender");
    frames
}

/// Feeds `data` to the WAV reader: an error or samples, never a panic,
/// and never audio the input does not hold.
pub fn wav_reader(data: &[u8]) {
    if let Ok((spec, samples)) = wav::read_all(data) {
        // Every sample comes from at least one input byte, so a header
        // declaring a huge size cannot make the reader allocate beyond it.
        assert!(samples.len() <= data.len());
        assert_eq!(spec.channels, 1);
        assert!(spec.sample_rate > 0);
    }
}

/// Arbitrary bytes as an SDP offer: never a panic; what parses gives a
/// usable stream, and our answer to it parses back to the same codec.
pub fn sdp_offer(data: &[u8]) {
    use relaygate::sip::sdp::{LocalAudio, parse_remote};
    if let Ok(remote) = parse_remote(data) {
        assert!(remote.rtp.port() > 0);
        let answer = LocalAudio::answering(&remote, "127.0.0.1:20000".parse().expect("addr"), 1);
        let back = parse_remote(answer.to_sdp().as_bytes()).expect("our answer parses");
        assert_eq!(back.codec, remote.codec);
    }
}

/// Arbitrary bytes as RTP: never a panic; a parsed payload lies inside
/// the datagram.
pub fn rtp_packet(data: &[u8]) {
    if let Ok(p) = relaygate::media::rtp::parse(data) {
        assert!(p.payload.len() + 12 <= data.len());
    }
}

/// Arbitrary packets through the playout buffer: byte 0 picks the
/// delay, then 7-byte records (ssrc byte, timestamp, length byte, value).
/// Never a panic, one frame per pop, and nothing held beyond its limit.
pub fn playout(data: &[u8]) {
    use relaygate::media::frame::FRAME;
    use relaygate::media::playout::{PlayoutBuffer, PlayoutConfig};
    let Some((&delay, rest)) = data.split_first() else {
        return;
    };
    let config = PlayoutConfig {
        delay_frames: usize::from(delay % 8),
        ..PlayoutConfig::default()
    };
    let mut buf = PlayoutBuffer::new(config);
    for r in rest.chunks_exact(7) {
        let ts = u32::from_le_bytes([r[1], r[2], r[3], r[4]]);
        let len = usize::from(r[5]) * 2;
        buf.push(u32::from(r[0] % 3), ts, &vec![i16::from(r[6]); len]);
        let frame = buf.pop();
        assert_eq!(frame.len(), FRAME);
        // Ahead of the play point at most the limit, and before anything
        // plays the start may move back by as much once per waiting frame.
        let limit = (config.max_ahead_frames + 1) * FRAME;
        assert!(buf.held() <= (config.delay_frames + 2) * limit + len);
    }
    let s = buf.stats();
    assert!(s.placed + s.duplicates + s.late <= rest.len() as u64 / 7);
}
