//! The one place relaygate calls into libsonic (C, via FFI).
//!
//! Owns: the `extern "C"` declarations for libsonic 0.2 (Debian
//! `libsonic0`, header from `libsonic-dev`), the stream pointer's
//! lifetime, and the conversions between Rust slices and C counts.
//! Exposes [`Sonic`], a safe handle to one mono 16-bit stream: set the
//! speed, pitch, rate and quality, write samples, read what is ready,
//! flush.
//!
//! Must not touch: voice activity, pauses, lag, repeat or gain (those are
//! [`super::stretch`] and [`super::level`]). It never does I/O.
#![allow(unsafe_code)]

use std::ffi::{c_float, c_int, c_short};
use std::ptr::NonNull;

/// What can go wrong inside libsonic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SonicError {
    /// `sonicCreateStream` returned null (no memory, or a bad rate).
    #[error("libsonic could not create a stream at {sample_rate} Hz")]
    Create {
        /// The sample rate that was asked for.
        sample_rate: u32,
    },
    /// The sample rate does not fit a C `int` or is zero.
    #[error("sample rate {0} Hz is not usable by libsonic")]
    BadRate(u32),
    /// libsonic failed to grow a buffer (`realloc` returned null).
    #[error("libsonic ran out of memory while {what}")]
    OutOfMemory {
        /// What the stream was doing.
        what: &'static str,
    },
}

/// libsonic's opaque `struct sonicStreamStruct`.
#[repr(C)]
struct SonicStreamStruct {
    _private: [u8; 0],
}

type SonicStream = *mut SonicStreamStruct;

#[link(name = "sonic")]
unsafe extern "C" {
    fn sonicCreateStream(sample_rate: c_int, num_channels: c_int) -> SonicStream;
    fn sonicDestroyStream(stream: SonicStream);
    fn sonicSetSpeed(stream: SonicStream, speed: c_float);
    fn sonicSetPitch(stream: SonicStream, pitch: c_float);
    fn sonicSetRate(stream: SonicStream, rate: c_float);
    fn sonicSetQuality(stream: SonicStream, quality: c_int);
    fn sonicWriteShortToStream(
        stream: SonicStream,
        samples: *mut c_short,
        num_samples: c_int,
    ) -> c_int;
    fn sonicReadShortFromStream(
        stream: SonicStream,
        samples: *mut c_short,
        max_samples: c_int,
    ) -> c_int;
    fn sonicFlushStream(stream: SonicStream) -> c_int;
    fn sonicSamplesAvailable(stream: SonicStream) -> c_int;
}

/// Largest block handed to libsonic in one call; its counts are C `int`s.
const MAX_BLOCK: usize = 1 << 20;

/// One libsonic stream: mono, 16-bit. Dropping it destroys the stream.
pub struct Sonic {
    /// Never null; owned by this value alone.
    stream: NonNull<SonicStreamStruct>,
}

// SAFETY: a sonic stream is a plain heap object with no global state and
// no thread affinity; `Sonic` owns it exclusively and every call needs
// `&mut self` (or `&self` for a read-only query), so moving it to another
// thread is sound. It is deliberately not `Sync`.
unsafe impl Send for Sonic {}

impl Sonic {
    /// A mono stream at `sample_rate`, speed, pitch and rate 1.0.
    pub fn new(sample_rate: u32) -> Result<Sonic, SonicError> {
        let rate = c_int::try_from(sample_rate)
            .ok()
            .filter(|r| *r > 0)
            .ok_or(SonicError::BadRate(sample_rate))?;
        // SAFETY: plain integers; the result is checked for null.
        let raw = unsafe { sonicCreateStream(rate, 1) };
        let stream = NonNull::new(raw).ok_or(SonicError::Create { sample_rate })?;
        Ok(Sonic { stream })
    }

    /// Time scale: below 1.0 slows down (0.7 gives 1/0.7 = 1.43x as many
    /// samples), at the same pitch. Takes effect for input not yet
    /// processed. Non-finite or non-positive values are ignored.
    pub fn set_speed(&mut self, speed: f32) {
        if speed.is_finite() && speed > 0.0 {
            // SAFETY: the stream is valid and exclusively ours.
            unsafe { sonicSetSpeed(self.stream.as_ptr(), speed) };
        }
    }

    /// Pitch scale (1.0 leaves pitch alone). Bad values are ignored.
    pub fn set_pitch(&mut self, pitch: f32) {
        if pitch.is_finite() && pitch > 0.0 {
            // SAFETY: as in `set_speed`.
            unsafe { sonicSetPitch(self.stream.as_ptr(), pitch) };
        }
    }

    /// Playback rate, changing speed and pitch together (1.0: none).
    /// Bad values are ignored.
    pub fn set_rate(&mut self, rate: f32) {
        if rate.is_finite() && rate > 0.0 {
            // SAFETY: as in `set_speed`.
            unsafe { sonicSetRate(self.stream.as_ptr(), rate) };
        }
    }

    /// `true` makes the pitch search use every sample instead of
    /// decimating to 4 kHz: better at 8 kHz, a little more CPU.
    pub fn set_quality(&mut self, high: bool) {
        // SAFETY: as in `set_speed`.
        unsafe { sonicSetQuality(self.stream.as_ptr(), c_int::from(high)) };
    }

    /// Appends samples; libsonic processes what it can at once.
    pub fn write(&mut self, samples: &[i16]) -> Result<(), SonicError> {
        for block in samples.chunks(MAX_BLOCK) {
            let len = c_int::try_from(block.len()).unwrap_or(c_int::MAX);
            // SAFETY: `block` is valid for `len` reads. libsonic takes a
            // non-const pointer but only copies from it (it never writes
            // through it), so casting away const is sound.
            let ok = unsafe {
                sonicWriteShortToStream(self.stream.as_ptr(), block.as_ptr().cast_mut(), len)
            };
            if ok == 0 {
                return Err(SonicError::OutOfMemory {
                    what: "taking samples",
                });
            }
        }
        Ok(())
    }

    /// Moves up to `out.len()` processed samples into `out`; returns how
    /// many. Zero when nothing is ready, which is not an error.
    pub fn read(&mut self, out: &mut [i16]) -> usize {
        let max = c_int::try_from(out.len().min(MAX_BLOCK)).unwrap_or(c_int::MAX);
        // SAFETY: `out` is valid for `max` writes and libsonic writes at
        // most `max` samples (one channel).
        let n = unsafe { sonicReadShortFromStream(self.stream.as_ptr(), out.as_mut_ptr(), max) };
        usize::try_from(n).unwrap_or(0).min(out.len())
    }

    /// Processed samples ready to [`Sonic::read`].
    pub fn available(&self) -> usize {
        // SAFETY: a read-only query of a valid stream.
        let n = unsafe { sonicSamplesAvailable(self.stream.as_ptr()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Processes everything written so far, padding with silence, so all
    /// of it becomes readable. Mid-word this can distort a little.
    pub fn flush(&mut self) -> Result<(), SonicError> {
        // SAFETY: the stream is valid and exclusively ours.
        let ok = unsafe { sonicFlushStream(self.stream.as_ptr()) };
        if ok == 0 {
            Err(SonicError::OutOfMemory { what: "flushing" })
        } else {
            Ok(())
        }
    }

    /// Empties the stream: flushes and throws the output away, so the
    /// next write starts from nothing (libsonic 0.2 has no reset).
    pub fn clear(&mut self) -> Result<(), SonicError> {
        self.flush()?;
        let mut sink = [0i16; 1024];
        while self.read(&mut sink) > 0 {}
        Ok(())
    }
}

impl Drop for Sonic {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `sonicCreateStream`, is destroyed
        // exactly once, and is not used after this.
        unsafe { sonicDestroyStream(self.stream.as_ptr()) };
    }
}

impl std::fmt::Debug for Sonic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sonic")
            .field("available", &self.available())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn is_send() {
        assert_send::<Sonic>();
    }

    #[test]
    fn rejects_a_zero_rate() {
        assert_eq!(Sonic::new(0).err(), Some(SonicError::BadRate(0)));
    }

    #[test]
    fn slows_down_by_the_speed() {
        let mut s = Sonic::new(8000).expect("stream");
        s.set_speed(0.5);
        s.set_quality(true);
        // 1 s of a 200 Hz tone.
        let tone: Vec<i16> = (0..8000)
            .map(|i| {
                ((i as f32 * 2.0 * std::f32::consts::PI * 200.0 / 8000.0).sin() * 8000.0) as i16
            })
            .collect();
        s.write(&tone).expect("write");
        s.flush().expect("flush");
        let mut out = vec![0i16; 40_000];
        let n = s.read(&mut out);
        assert!((15_000..=17_000).contains(&n), "got {n} samples");
        assert_eq!(s.available(), 0);
    }

    #[test]
    fn ignores_bad_speeds_and_clears() {
        let mut s = Sonic::new(8000).expect("stream");
        s.set_speed(f32::NAN);
        s.set_speed(-1.0);
        s.set_pitch(0.0);
        s.set_rate(f32::INFINITY);
        s.write(&[1000; 4000]).expect("write");
        s.clear().expect("clear");
        assert_eq!(s.available(), 0);
        // Still speed 1.0: output length equals input length.
        s.write(&[1000; 4000]).expect("write");
        s.flush().expect("flush");
        let mut out = vec![0i16; 8000];
        let n = s.read(&mut out);
        assert!((3900..=4100).contains(&n), "got {n}");
    }
}
