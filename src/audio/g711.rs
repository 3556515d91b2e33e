//! ITU-T G.711 companding: mu-law and A-law, one 8-bit code per sample.
//!
//! This module owns the sample-by-sample code conversion only. It knows
//! nothing of files, packets or sample rates; containers live in `wav`.
//!
//! Linear samples are 16-bit. The codes use the on-the-wire bit layout:
//! mu-law codes are complemented and A-law codes have their even bits
//! inverted (XOR 0x55), so silence is 0xFF (mu-law) and 0xD5/0x55 (A-law).

/// Added to the mu-law magnitude so every segment boundary is a power of two.
const ULAW_BIAS: i32 = 0x84;
/// Largest magnitude mu-law can represent once the bias is added.
const ULAW_CLIP: i32 = 32635;

/// Index of the highest set bit of a non-zero value.
fn top_bit(x: u32) -> u32 {
    31 - x.leading_zeros()
}

/// Encodes one linear sample as a G.711 mu-law code.
///
/// Magnitudes above 32635 saturate to the largest code.
pub fn ulaw_encode(s: i16) -> u8 {
    let x = i32::from(s);
    let (sign, mag) = if x < 0 { (0x80, -x) } else { (0x00, x) };
    // With the bias the magnitude lies in 132..=32767, i.e. its top bit is
    // 7..=14, which maps directly to the eight segments.
    let biased = mag.min(ULAW_CLIP) + ULAW_BIAS;
    let seg = top_bit(biased as u32) - 7;
    let mantissa = (biased >> (seg + 3)) & 0x0F;
    !(sign | ((seg as i32) << 4) | mantissa) as u8
}

/// Decodes one G.711 mu-law code to a linear sample.
pub fn ulaw_decode(b: u8) -> i16 {
    let b = !b;
    let seg = u32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0F);
    // The bias carries half a step, so this lands mid-interval.
    let mag = (((mantissa << 3) + ULAW_BIAS) << seg) - ULAW_BIAS;
    // Largest magnitude is 32124, so the cast cannot overflow.
    if b & 0x80 != 0 {
        -mag as i16
    } else {
        mag as i16
    }
}

/// Encodes one linear sample as a G.711 A-law code.
///
/// A-law keeps 13 bits of the input; the full 16-bit range is covered.
pub fn alaw_encode(s: i16) -> u8 {
    // A-law is a sign-magnitude code on the one's complement, so -1 and 0
    // share a magnitude; this also keeps -32768 in range.
    let (sign, mag) = if s >= 0 {
        (0x80u8, s as u16)
    } else {
        (0x00u8, !s as u16)
    };
    // Segments 0 and 1 share one step size (linear part of the curve).
    let seg = if mag < 0x100 {
        0
    } else {
        top_bit(u32::from(mag)) - 7
    };
    let shift = if seg == 0 { 4 } else { seg + 3 };
    let mantissa = ((mag >> shift) & 0x0F) as u8;
    (sign | ((seg as u8) << 4) | mantissa) ^ 0x55
}

/// Decodes one G.711 A-law code to a linear sample.
pub fn alaw_decode(b: u8) -> i16 {
    let b = b ^ 0x55;
    let seg = u32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0F) << 4;
    // Reconstruct mid-interval: +8 in the linear segment, and the implicit
    // leading one (0x100) plus half a step above it.
    let mag = if seg == 0 {
        mantissa + 8
    } else {
        (mantissa + 0x108) << (seg - 1)
    };
    // Largest magnitude is 32256, so the cast cannot overflow.
    if b & 0x80 != 0 {
        mag as i16
    } else {
        -mag as i16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quantisation step of the mu-law segment a magnitude falls in.
    fn ulaw_step(mag: i32) -> i32 {
        let seg = top_bit((mag + ULAW_BIAS) as u32) - 7;
        8 << seg
    }

    /// Quantisation step of the A-law segment a magnitude falls in.
    fn alaw_step(mag: i32) -> i32 {
        if mag < 0x200 {
            16
        } else {
            16 << (top_bit(mag as u32) - 8)
        }
    }

    #[test]
    fn silence_codes_match_the_standard() {
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
    }

    #[test]
    fn extreme_codes_match_the_standard() {
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn ulaw_round_trip_error_is_within_half_a_step() {
        for s in -ULAW_CLIP..=ULAW_CLIP {
            let back = i32::from(ulaw_decode(ulaw_encode(s as i16)));
            let step = ulaw_step(s.abs());
            assert!(
                (back - s).abs() <= step / 2,
                "sample {s} came back as {back} (step {step})"
            );
        }
    }

    #[test]
    fn ulaw_saturates_above_the_clip_level() {
        for s in ULAW_CLIP..=i32::from(i16::MAX) {
            assert_eq!(ulaw_encode(s as i16), ulaw_encode(ULAW_CLIP as i16));
            assert_eq!(ulaw_encode(-s as i16), ulaw_encode(-ULAW_CLIP as i16));
        }
    }

    #[test]
    fn alaw_round_trip_error_is_within_half_a_step() {
        for s in i16::MIN..=i16::MAX {
            let back = i32::from(alaw_decode(alaw_encode(s)));
            let s = i32::from(s);
            let step = alaw_step(if s < 0 { -s - 1 } else { s });
            assert!(
                (back - s).abs() <= step / 2,
                "sample {s} came back as {back} (step {step})"
            );
        }
    }

    #[test]
    fn decoded_level_never_decreases_as_input_rises() {
        let mut prev_u = i16::MIN;
        let mut prev_a = i16::MIN;
        for s in i16::MIN..=i16::MAX {
            let u = ulaw_decode(ulaw_encode(s));
            let a = alaw_decode(alaw_encode(s));
            assert!(u >= prev_u, "mu-law output fell at input {s}");
            assert!(a >= prev_a, "A-law output fell at input {s}");
            prev_u = u;
            prev_a = a;
        }
    }

    #[test]
    fn every_code_survives_decode_then_encode() {
        for b in 0..=255u8 {
            // mu-law has two zero codes; negative zero re-encodes as positive.
            let expected_u = if b == 0x7F { 0xFF } else { b };
            assert_eq!(ulaw_encode(ulaw_decode(b)), expected_u, "mu-law {b:#04x}");
            assert_eq!(alaw_encode(alaw_decode(b)), b, "A-law {b:#04x}");
        }
    }
}
