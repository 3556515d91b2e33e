//! The one place relaygate calls into libespeak-ng (C, via FFI).
//!
//! Owns: the `extern "C"` declarations, the process-wide lock that
//! serialises every call (libespeak-ng keeps global state and is not
//! thread safe), one-time initialisation in synchronous mode, and the
//! synth callback that collects samples. Exposes a small safe API to the
//! rest of `tts`: set a voice and its parameters, synthesize a piece of
//! text into 22,050 Hz samples, translate text to IPA phonemes.
//!
//! Must not touch: clause splitting, pauses, resampling or profiles
//! (those live in `tts`), and it never plays audio.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_int, c_short, c_uint, c_void};
use std::sync::{Mutex, MutexGuard};

use super::TtsError;

/// `AUDIO_OUTPUT_SYNCHRONOUS`: `espeak_Synth` returns when the samples
/// have all been handed to the callback, on the calling thread.
const AUDIO_OUTPUT_SYNCHRONOUS: c_int = 2;
/// `espeakINITIALIZE_DONT_EXIT`: report a missing data directory as an
/// error instead of calling `exit()`.
const INITIALIZE_DONT_EXIT: c_int = 0x8000;
/// `espeakCHARS_UTF8`.
const CHARS_UTF8: c_uint = 1;
/// `POS_CHARACTER`.
const POS_CHARACTER: c_int = 1;
/// `EE_OK`.
const EE_OK: c_int = 0;
/// Phoneme mode for `espeak_TextToPhonemes`: IPA as UTF-8.
const PHONEMES_IPA: c_int = 0x02;
/// Milliseconds of audio per callback in synchronous mode.
const BUFFER_MS: c_int = 60;

/// `espeak_PARAMETER` values.
#[derive(Debug, Clone, Copy)]
#[repr(i32)]
pub(crate) enum Param {
    /// Words per minute, 80 to 450.
    Rate = 1,
    /// Amplitude, 0 to 200; 100 is normal.
    Volume = 2,
    /// Base pitch, 0 to 100; 50 is normal.
    Pitch = 3,
    /// Pause between words, in units of 10 ms.
    WordGap = 7,
}

type SynthCallback = unsafe extern "C" fn(*mut c_short, c_int, *mut c_void) -> c_int;

#[link(name = "espeak-ng")]
unsafe extern "C" {
    fn espeak_Initialize(
        output: c_int,
        buflength: c_int,
        path: *const c_char,
        options: c_int,
    ) -> c_int;
    fn espeak_SetSynthCallback(callback: SynthCallback);
    fn espeak_SetParameter(parameter: c_int, value: c_int, relative: c_int) -> c_int;
    fn espeak_SetVoiceByName(name: *const c_char) -> c_int;
    fn espeak_Synth(
        text: *const c_void,
        size: usize,
        position: c_uint,
        position_type: c_int,
        end_position: c_uint,
        flags: c_uint,
        unique_identifier: *mut c_uint,
        user_data: *mut c_void,
    ) -> c_int;
    fn espeak_TextToPhonemes(
        textptr: *mut *const c_void,
        textmode: c_int,
        phonememode: c_int,
    ) -> *const c_char;
}

/// Sample rate reported by `espeak_Initialize`, or `None` before the
/// first successful initialisation.
static ENGINE: Mutex<Option<u32>> = Mutex::new(None);

thread_local! {
    /// Where the synth callback puts samples. Synchronous mode runs the
    /// callback on the thread that called `espeak_Synth`, which holds
    /// [`ENGINE`]'s lock, so one buffer per thread is enough.
    static SINK: RefCell<Vec<i16>> = const { RefCell::new(Vec::new()) };
}

/// Receives audio from libespeak-ng; returns 0 to go on.
unsafe extern "C" fn collect(wav: *mut c_short, count: c_int, _events: *mut c_void) -> c_int {
    let Ok(count) = usize::try_from(count) else {
        return 0;
    };
    if wav.is_null() || count == 0 {
        return 0;
    }
    // SAFETY: libespeak-ng passes a buffer of `count` valid samples that
    // stays alive for the duration of this call; we only read it.
    let samples = unsafe { std::slice::from_raw_parts(wav, count) };
    SINK.with(|sink| {
        if let Ok(mut sink) = sink.try_borrow_mut() {
            sink.extend_from_slice(samples);
        }
    });
    0
}

/// Exclusive, initialised access to libespeak-ng. Holding it is the only
/// way to call the library.
pub(crate) struct Espeak {
    guard: MutexGuard<'static, Option<u32>>,
    sample_rate: u32,
}

impl Espeak {
    /// Waits for the library, initialising it on first use.
    pub(crate) fn lock() -> Result<Espeak, TtsError> {
        // A panic while holding the lock leaves no half-written state we
        // rely on (every call sets what it needs), so a poisoned lock is
        // still usable.
        let mut guard = ENGINE.lock().unwrap_or_else(|p| p.into_inner());
        let sample_rate = match *guard {
            Some(rate) => rate,
            None => {
                // SAFETY: called with the lock held, so no other thread is
                // inside libespeak-ng; a null path means the default data
                // directory; DONT_EXIT makes failure a return value.
                let rate = unsafe {
                    espeak_Initialize(
                        AUDIO_OUTPUT_SYNCHRONOUS,
                        BUFFER_MS,
                        std::ptr::null(),
                        INITIALIZE_DONT_EXIT,
                    )
                };
                let rate = u32::try_from(rate)
                    .ok()
                    .filter(|r| *r > 0)
                    .ok_or(TtsError::EspeakUnavailable)?;
                // SAFETY: `collect` matches `t_espeak_callback` and lives
                // for the whole program; the lock is held.
                unsafe { espeak_SetSynthCallback(collect) };
                *guard = Some(rate);
                rate
            }
        };
        Ok(Espeak { guard, sample_rate })
    }

    /// Rate of the samples [`Espeak::synth`] returns (22,050 Hz).
    pub(crate) fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Selects the voice for a language such as `en-us` or `es`.
    pub(crate) fn set_voice(&mut self, language: &str) -> Result<(), TtsError> {
        let unknown = || TtsError::UnknownLanguage {
            language: language.to_owned(),
        };
        let name = CString::new(language).map_err(|_| unknown())?;
        // SAFETY: `name` is a valid NUL-terminated string that outlives
        // the call; the lock is held (`self.guard`).
        let status = unsafe { espeak_SetVoiceByName(name.as_ptr()) };
        if status == EE_OK {
            Ok(())
        } else {
            Err(unknown())
        }
    }

    /// Sets one synthesis parameter (absolute value).
    pub(crate) fn set_param(&mut self, param: Param, value: i32) -> Result<(), TtsError> {
        // SAFETY: plain integers; the lock is held.
        let status = unsafe { espeak_SetParameter(param as c_int, value, 0) };
        if status == EE_OK {
            Ok(())
        } else {
            Err(TtsError::Espeak {
                status,
                what: "set a voice parameter",
            })
        }
    }

    /// Synthesizes `text` with the current voice and parameters; returns
    /// samples at [`Espeak::sample_rate`].
    pub(crate) fn synth(&mut self, text: &str) -> Result<Vec<i16>, TtsError> {
        let text = c_text(text);
        SINK.with(|s| s.borrow_mut().clear());
        // SAFETY: `text` is NUL-terminated and its size includes the NUL;
        // synchronous mode returns only after the last callback, so the
        // buffer outlives every use; the lock is held.
        let status = unsafe {
            espeak_Synth(
                text.as_ptr().cast(),
                text.as_bytes_with_nul().len(),
                0,
                POS_CHARACTER,
                0,
                CHARS_UTF8,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        let samples = SINK.with(|s| std::mem::take(&mut *s.borrow_mut()));
        if status == EE_OK {
            Ok(samples)
        } else {
            Err(TtsError::Espeak {
                status,
                what: "synthesize speech",
            })
        }
    }

    /// IPA phonemes for `text` in the current voice's language. Pieces
    /// libespeak-ng returns one by one are joined with a space.
    pub(crate) fn phonemes(&mut self, text: &str) -> String {
        let text = c_text(text);
        let mut out = String::new();
        let mut cursor: *const c_void = text.as_ptr().cast();
        while !cursor.is_null() {
            // SAFETY: `cursor` points into `text` (NUL-terminated, alive
            // for the loop) or is what the previous call advanced it to;
            // the library sets it to null at the end; the lock is held.
            let piece =
                unsafe { espeak_TextToPhonemes(&mut cursor, CHARS_UTF8 as c_int, PHONEMES_IPA) };
            if piece.is_null() {
                break;
            }
            // SAFETY: a non-null result is a NUL-terminated string in the
            // library's own buffer, valid until the next call; we copy it
            // at once.
            let piece = unsafe { CStr::from_ptr(piece) }.to_string_lossy();
            let piece = piece.trim();
            if !piece.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(piece);
            }
        }
        out
    }
}

impl std::fmt::Debug for Espeak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Espeak")
            .field("sample_rate", &*self.guard)
            .finish()
    }
}

/// `text` as a C string; NUL characters, which cannot be passed, are
/// dropped.
fn c_text(text: &str) -> CString {
    let clean: Vec<u8> = text.bytes().filter(|b| *b != 0).collect();
    // No NUL is left, so this cannot fail; fall back to empty anyway.
    CString::new(clean).unwrap_or_default()
}
