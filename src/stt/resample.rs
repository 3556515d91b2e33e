//! Sample-format and sample-rate conversion for the speech engine's
//! input: 16-bit telephone PCM at 8 or 16 kHz to 16 kHz mono `f32`.
//!
//! This module owns only that conversion. It is pure (slices in, vectors
//! out) and knows nothing about models or WAV files.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use super::error::SttError;

/// The rate whisper models take.
pub const MODEL_RATE: u32 = 16_000;
/// Input frames the FFT resampler takes per step.
const CHUNK: usize = 1024;

/// 16-bit PCM to `f32` in [-1, 1).
pub fn pcm16_to_f32(samples: &[i16]) -> Vec<f32> {
    samples.iter().map(|s| f32::from(*s) / 32768.0).collect()
}

/// Mono audio at `rate` (8000 or 16000 Hz) to 16 kHz. 16 kHz input is
/// returned as is; 8 kHz input goes through rubato's FFT resampler, whose
/// anti-imaging filter keeps the empty 4-8 kHz band empty, as a telephone
/// line leaves it. The output is aligned with the input (the filter delay
/// is trimmed) and twice as long.
pub fn to_model_rate(samples: &[f32], rate: u32) -> Result<Vec<f32>, SttError> {
    match rate {
        MODEL_RATE => Ok(samples.to_vec()),
        8000 => upsample(samples, rate),
        other => Err(SttError::SampleRate(other)),
    }
}

fn upsample(samples: &[f32], rate: u32) -> Result<Vec<f32>, SttError> {
    if samples.is_empty() {
        return Ok(Vec::new());
    }
    let err = |e: &dyn std::fmt::Display| SttError::Resample(e.to_string());
    let mut resampler = Fft::<f32>::new(
        rate as usize,
        MODEL_RATE as usize,
        CHUNK,
        1,
        FixedSync::Input,
    )
    .map_err(|e| err(&e))?;
    let input = InterleavedSlice::new(samples, 1, samples.len()).map_err(|e| err(&e))?;
    let needed = resampler.process_all_needed_output_len(samples.len());
    let mut out = vec![0.0f32; needed];
    let mut output = InterleavedSlice::new_mut(&mut out, 1, needed).map_err(|e| err(&e))?;
    let (_, produced) = resampler
        .process_all_into_buffer(&input, &mut output, samples.len(), None)
        .map_err(|e| err(&e))?;
    out.truncate(produced);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_keeps_its_pitch_and_level_when_upsampled() {
        let f = 1000.0f32;
        let x: Vec<f32> = (0..8000)
            .map(|n| 0.5 * (2.0 * std::f32::consts::PI * f * n as f32 / 8000.0).sin())
            .collect();
        let y = to_model_rate(&x, 8000).unwrap();
        assert_eq!(y.len(), 16000);
        // Compare with the ideal 16 kHz tone away from the edges.
        let mut err = 0.0f32;
        for (n, v) in y.iter().enumerate().skip(1000).take(14000) {
            let ideal = 0.5 * (2.0 * std::f32::consts::PI * f * n as f32 / 16000.0).sin();
            err = err.max((v - ideal).abs());
        }
        assert!(err < 0.01, "max error {err}");
    }

    #[test]
    fn other_rates_are_refused_and_16k_passes_through() {
        assert!(matches!(
            to_model_rate(&[0.0], 44100),
            Err(SttError::SampleRate(44100))
        ));
        assert_eq!(
            to_model_rate(&[0.25, -0.5], 16000).unwrap(),
            vec![0.25, -0.5]
        );
        assert!(to_model_rate(&[], 8000).unwrap().is_empty());
    }
}
