//! Audio containers and codecs: WAV files and G.711 companding.
//!
//! This module owns byte-level formats only. It knows nothing of tones,
//! text or calls, and it does no I/O of its own beyond the `Read`/`Write`
//! values it is handed.

pub mod g711;
pub mod wav;
