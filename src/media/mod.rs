//! Media: 20 ms frames of 8 kHz audio, RTP packets and the buffers
//! between a network and a call.
//!
//! The cores are sans-IO: packets and frames go in, frames, packets and
//! counts come out, and time is the number of frames played. The two
//! ports are the edges: [`file_port`] reads and writes WAV files,
//! [`rtp_port`] owns one non-blocking UDP socket.
//!
//! - [`frame`]: the frame every port moves (160 samples, 20 ms).
//! - [`port`]: the media port, one frame each way per tick; [`file_port`]
//!   (WAV files) and [`rtp_port`] (a UDP socket) are ports.
//! - [`rtp`]: RTP packets (parsed and written with `rtp-types`), G.711
//!   payloads, sequence statistics and the sender's numbering.
//! - [`playout`]: the fixed-delay playout buffer: reorders, drops
//!   duplicates and late packets, fills gaps with silence.
//! - [`telephone_event`]: RFC 4733 telephone-events (keypad digits).
//! - [`dtmf`]: keypad tones in the audio (in-band DTMF).

pub mod dtmf;
pub mod file_port;
pub mod frame;
pub mod playout;
pub mod port;
pub mod rtp;
pub mod rtp_port;
pub mod telephone_event;
