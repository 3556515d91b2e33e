//! From the synthesizers' 22,050 Hz to the rate a call or file needs.
//!
//! Owns: band-limited sample-rate conversion (`rubato`'s FFT resampler,
//! which filters out everything above the new Nyquist frequency before
//! decimating, so 22 kHz speech does not alias into the 0-4 kHz phone
//! band), and the final float-to-16-bit step with gain and clipping.
//!
//! Pure code on caller-owned buffers. Must not touch: synthesis, pauses.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _};

use super::TtsError;

/// Frames per FFT chunk: small enough that a short clause costs little.
const CHUNK: usize = 1024;

/// Converts whole clauses from one rate to another, keeping its filter
/// between calls.
pub struct Converter {
    from: u32,
    to: u32,
    fft: Option<Fft<f32>>,
}

impl std::fmt::Debug for Converter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converter")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

impl Converter {
    /// A converter from `from` Hz to `to` Hz; equal rates pass through.
    pub fn new(from: u32, to: u32) -> Result<Converter, TtsError> {
        let fft = if from == to {
            None
        } else {
            let f = Fft::<f32>::new(from as usize, to as usize, CHUNK, 1, FixedSync::Input)
                .map_err(|e| TtsError::Resample {
                    message: e.to_string(),
                })?;
            Some(f)
        };
        Ok(Converter { from, to, fft })
    }

    /// Input rate.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// Output rate.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Resamples one clause (mono, -1.0..1.0); the filter delay is
    /// trimmed, so the result lines up with the input.
    pub fn process(&mut self, input: &[f32]) -> Result<Vec<f32>, TtsError> {
        let Some(fft) = &mut self.fft else {
            return Ok(input.to_vec());
        };
        if input.is_empty() {
            return Ok(Vec::new());
        }
        let err = |e: &dyn std::fmt::Display| TtsError::Resample {
            message: e.to_string(),
        };
        let adapter = InterleavedSlice::new(input, 1, input.len()).map_err(|e| err(&e))?;
        let out = fft
            .process_all(&adapter, input.len(), None)
            .map_err(|e| err(&e))?;
        Ok(out.take_data())
    }
}

/// Float samples to 16-bit PCM, multiplied by `gain` and clipped.
pub fn to_pcm16(samples: &[f32], gain: f32, out: &mut Vec<i16>) {
    out.extend(samples.iter().map(|s| {
        let v = (s * gain * 32767.0).round();
        // `as` saturates, and maps NaN to 0.
        v.clamp(-32768.0, 32767.0) as i16
    }));
}

/// `ms` milliseconds of silence at `rate` Hz.
pub fn silence(rate: u32, ms: u32, out: &mut Vec<i16>) {
    let n = u64::from(rate) * u64::from(ms) / 1000;
    out.resize(out.len() + usize::try_from(n).unwrap_or(0), 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f32, rate: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    fn rms(s: &[f32]) -> f32 {
        (s.iter().map(|x| x * x).sum::<f32>() / s.len() as f32).sqrt()
    }

    #[test]
    fn keeps_duration_and_the_phone_band() {
        let mut c = Converter::new(22_050, 8000).unwrap();
        let out = c.process(&tone(1000.0, 22_050, 22_050)).unwrap();
        assert!((7990..=8010).contains(&out.len()), "{}", out.len());
        let level = rms(&out[800..7200]);
        assert!(
            (0.33..0.38).contains(&level),
            "1 kHz came out at rms {level}"
        );
    }

    #[test]
    fn removes_what_the_new_rate_cannot_carry() {
        // 6 kHz is above 8 kHz audio's 4 kHz limit: it must not fold back
        // into the band as a 2 kHz tone.
        let mut c = Converter::new(22_050, 8000).unwrap();
        let out = c.process(&tone(6000.0, 22_050, 22_050)).unwrap();
        let level = rms(&out[800..7200]);
        assert!(level < 0.01, "6 kHz leaked at rms {level}");
    }

    #[test]
    fn equal_rates_pass_through_and_pcm_clips() {
        let mut c = Converter::new(22_050, 22_050).unwrap();
        assert_eq!(c.process(&[0.25, -0.5]).unwrap(), [0.25, -0.5]);
        let mut pcm = Vec::new();
        to_pcm16(&[0.5, 2.0, -2.0, f32::NAN], 1.0, &mut pcm);
        assert_eq!(pcm, [16384, 32767, -32768, 0]);
        silence(8000, 250, &mut pcm);
        assert_eq!(pcm.len(), 4 + 2000);
    }
}
