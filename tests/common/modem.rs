//! Our own modem driven through the library, for sweeps and benchmarks:
//! text to samples with any line parameters, samples to text.

use relaygate::modem::{BaudMode, Demodulator, LineParams, Modulator};
use relaygate::text::baudot::{Decoder, Encoder, Table};

/// Tones for `text` with `params`, between half a second of silence on
/// each side (as a call would carry it).
pub fn encode(text: &str, params: LineParams, rate: u32) -> Vec<i16> {
    let (codes, unsendable) = Encoder::new(Table::Us).encode(text);
    assert!(
        unsendable.is_empty(),
        "test text not sendable: {unsendable:?}"
    );
    let mut m = Modulator::new(params, rate);
    m.push_codes(&codes);
    let pad = rate as usize / 2;
    let mut out = vec![0i16; pad];
    out.extend(m.render());
    out.extend(std::iter::repeat_n(0, pad));
    out
}

/// Text decoded from `samples`, fed in 20 ms blocks as a call delivers them.
pub fn decode(samples: &[i16], rate: u32, mode: BaudMode) -> String {
    let mut demod = Demodulator::new(rate, mode);
    let mut frames = Vec::new();
    for block in samples.chunks(rate as usize / 50) {
        demod.push(block, &mut frames);
    }
    demod.flush(&mut frames);
    let mut decoder = Decoder::new(Table::Us, true);
    frames
        .iter()
        .filter_map(|f| decoder.push_code(f.code))
        .collect()
}
