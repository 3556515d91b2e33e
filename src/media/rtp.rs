//! RTP for one audio stream: packets in and out, G.711 payloads, and the
//! receiver's sequence statistics.
//!
//! Parsing and writing go through `rtp-types` (no hand-written header
//! code); this module adds what a telephone leg needs on top: which
//! payload types are audio, RTCP sent to the RTP port told apart from RTP
//! (RFC 5761), packets lost by sequence number (RFC 3550 A.3), and the
//! sender's sequence and timestamp numbering. Sans-IO: bytes in, bytes
//! out. Must not touch: sockets, timing, the order of playout
//! ([`super::playout`] owns that).

use rtp_types::{RtpPacket, RtpPacketBuilder};

use super::frame::{FRAME, Frame};
use crate::audio::g711;

/// The G.711 flavours a leg can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// mu-law, payload type 0.
    Pcmu,
    /// A-law, payload type 8.
    Pcma,
}

impl Codec {
    /// The static payload type (RFC 3551).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The codec of a static payload type, if it is G.711.
    pub fn from_payload_type(pt: u8) -> Option<Codec> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The SDP encoding name.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// One byte per sample.
    pub fn encode(self, samples: &[i16]) -> Vec<u8> {
        match self {
            Codec::Pcmu => samples.iter().map(|&s| g711::ulaw_encode(s)).collect(),
            Codec::Pcma => samples.iter().map(|&s| g711::alaw_encode(s)).collect(),
        }
    }

    /// One sample per byte.
    pub fn decode(self, payload: &[u8]) -> Vec<i16> {
        match self {
            Codec::Pcmu => payload.iter().map(|&b| g711::ulaw_decode(b)).collect(),
            Codec::Pcma => payload.iter().map(|&b| g711::alaw_decode(b)).collect(),
        }
    }
}

/// Why a datagram is not an RTP packet we can use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpError {
    /// The header does not parse (truncated, wrong version, bad padding).
    #[error("not an RTP packet: {0}")]
    Malformed(String),
    /// An RTCP packet on the RTP port (RFC 5761 multiplexing).
    #[error("an RTCP packet on the RTP port")]
    Rtcp,
}

/// The fields of a received packet that a leg uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received<'a> {
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Media timestamp, in samples.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Marker bit (the start of a talkspurt or of an event).
    pub marker: bool,
    /// The payload, padding removed.
    pub payload: &'a [u8],
}

/// Parses one datagram.
pub fn parse(data: &[u8]) -> Result<Received<'_>, RtpError> {
    // RFC 5761 §4: RTCP packet types 200-206 land on payload types 72-78
    // once the marker bit is taken off.
    if data.len() >= 2 && data[0] >> 6 == 2 && (200..=206).contains(&data[1]) {
        return Err(RtpError::Rtcp);
    }
    let p = RtpPacket::parse(data).map_err(|e| RtpError::Malformed(e.to_string()))?;
    let start = p.payload_offset();
    let payload = &data[start..start + p.payload_len()];
    Ok(Received {
        payload_type: p.payload_type(),
        sequence: p.sequence_number(),
        timestamp: p.timestamp(),
        ssrc: p.ssrc(),
        marker: p.marker_bit(),
        payload,
    })
}

/// Counts of a received stream, for metrics and the call's log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Packets received (duplicates included).
    pub received: u64,
    /// Packets expected from the sequence numbers minus those received;
    /// never below zero.
    pub lost: u64,
}

/// Sequence-number bookkeeping of one source (RFC 3550 A.1 and A.3),
/// restarted when the source changes.
#[derive(Debug, Clone, Default)]
pub struct SequenceTracker {
    ssrc: Option<u32>,
    base: u64,
    highest: u64,
    received: u64,
    /// Counts of earlier sources, kept when the source changes.
    earlier: StreamStats,
}

/// Sequence numbers further apart than this are a restart, not a loss.
const MAX_JUMP: i64 = 3000;

impl SequenceTracker {
    /// Notes one packet; returns `true` when it starts a new source
    /// (first packet, new SSRC, or a sequence jump too large to be loss).
    pub fn note(&mut self, ssrc: u32, sequence: u16) -> bool {
        let restart = match self.ssrc {
            None => true,
            Some(s) if s != ssrc => true,
            Some(_) => {
                let ext = self.extend(sequence);
                (ext as i64 - self.highest as i64).abs() > MAX_JUMP
            }
        };
        if restart {
            let now = self.stats_of_current();
            self.earlier.received += now.received;
            self.earlier.lost += now.lost;
            self.ssrc = Some(ssrc);
            // Start far from zero so a sequence that wraps below the first
            // number stays positive.
            self.base = (1 << 32) + u64::from(sequence);
            self.highest = self.base;
            self.received = 1;
            return true;
        }
        let ext = self.extend(sequence);
        self.highest = self.highest.max(ext);
        self.received += 1;
        false
    }

    /// The extended sequence number closest to the highest seen.
    fn extend(&self, sequence: u16) -> u64 {
        let cycle = self.highest & !0xffff;
        let candidates = [
            cycle.wrapping_sub(1 << 16) | u64::from(sequence),
            cycle | u64::from(sequence),
            (cycle + (1 << 16)) | u64::from(sequence),
        ];
        candidates
            .into_iter()
            .min_by_key(|&c| (c as i64 - self.highest as i64).unsigned_abs())
            .unwrap_or(cycle | u64::from(sequence))
    }

    fn stats_of_current(&self) -> StreamStats {
        if self.ssrc.is_none() {
            return StreamStats::default();
        }
        let expected = self.highest - self.base + 1;
        StreamStats {
            received: self.received,
            lost: expected.saturating_sub(self.received),
        }
    }

    /// Counts over every source seen so far.
    pub fn stats(&self) -> StreamStats {
        let now = self.stats_of_current();
        StreamStats {
            received: self.earlier.received + now.received,
            lost: self.earlier.lost + now.lost,
        }
    }
}

/// Numbers and writes the packets of one outgoing stream.
#[derive(Debug, Clone)]
pub struct RtpSender {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    codec: Codec,
    /// The next audio packet starts a talkspurt.
    first: bool,
}

impl RtpSender {
    /// A stream with its source id and first numbers (RFC 3550 wants the
    /// numbers random; the edge draws them).
    pub fn new(codec: Codec, ssrc: u32, sequence: u16, timestamp: u32) -> Self {
        RtpSender {
            ssrc,
            sequence,
            timestamp,
            codec,
            first: true,
        }
    }

    /// The codec in use.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Changes the codec (after a re-INVITE); numbering goes on.
    pub fn set_codec(&mut self, codec: Codec) {
        self.codec = codec;
    }

    /// The packet for one frame of audio; the timestamp moves on a frame.
    pub fn audio(&mut self, frame: &Frame) -> Vec<u8> {
        let payload = self.codec.encode(frame);
        let packet = self.write(
            self.codec.payload_type(),
            self.first,
            &payload,
            self.timestamp,
        );
        self.first = false;
        self.timestamp = self.timestamp.wrapping_add(FRAME as u32);
        packet
    }

    /// A telephone-event packet (RFC 4733) stamped at `timestamp`, which
    /// is the event's start; the audio clock is not moved.
    pub fn event(
        &mut self,
        payload_type: u8,
        payload: &[u8],
        marker: bool,
        timestamp: u32,
    ) -> Vec<u8> {
        self.write(payload_type, marker, payload, timestamp)
    }

    /// The timestamp the next audio frame will carry.
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    fn write(&mut self, payload_type: u8, marker: bool, payload: &[u8], timestamp: u32) -> Vec<u8> {
        let packet = RtpPacketBuilder::<&[u8], &[u8]>::new()
            .payload_type(payload_type)
            .sequence_number(self.sequence)
            .timestamp(timestamp)
            .ssrc(self.ssrc)
            .marker_bit(marker)
            .payload(payload)
            .write_vec_unchecked();
        self.sequence = self.sequence.wrapping_add(1);
        packet
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::frame::SILENCE;

    #[test]
    fn a_written_frame_parses_back() {
        let mut tx = RtpSender::new(Codec::Pcma, 0x1234_5678, 65535, 1000);
        let mut frame = SILENCE;
        frame[3] = 8000;
        let a = tx.audio(&frame);
        let b = tx.audio(&SILENCE);
        let pa = parse(&a).expect("first");
        let pb = parse(&b).expect("second");
        assert_eq!(
            (pa.payload_type, pa.sequence, pa.timestamp, pa.ssrc),
            (8, 65535, 1000, 0x1234_5678)
        );
        assert!(pa.marker && !pb.marker);
        assert_eq!((pb.sequence, pb.timestamp), (0, 1160));
        let back = Codec::Pcma.decode(pa.payload);
        assert_eq!(back.len(), FRAME);
        assert!((back[3] - 8000).abs() < 300);
    }

    #[test]
    fn garbage_and_rtcp_are_told_apart() {
        assert!(matches!(
            parse(&[0x80, 0x00, 1]),
            Err(RtpError::Malformed(_))
        ));
        assert!(matches!(parse(&[0x40; 20]), Err(RtpError::Malformed(_))));
        // An RTCP receiver report: version 2, packet type 201.
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
        assert_eq!(parse(&rr), Err(RtpError::Rtcp));
    }

    #[test]
    fn losses_count_across_a_wrap_and_reordering_is_not_loss() {
        let mut t = SequenceTracker::default();
        assert!(t.note(7, 65533));
        for s in [65535u16, 65534, 0, 2, 1, 4] {
            assert!(!t.note(7, s));
        }
        // 65533..=4 is 8 numbers; 3 never came.
        assert_eq!(
            t.stats(),
            StreamStats {
                received: 7,
                lost: 1
            }
        );
    }

    #[test]
    fn a_new_source_keeps_the_old_counts() {
        let mut t = SequenceTracker::default();
        t.note(1, 10);
        t.note(1, 12);
        assert!(t.note(2, 500), "a new SSRC restarts");
        t.note(2, 501);
        assert_eq!(
            t.stats(),
            StreamStats {
                received: 4,
                lost: 1
            }
        );
        assert!(t.note(2, 40000), "a jump this large is a restart");
        assert_eq!(t.stats().lost, 1);
    }
}
