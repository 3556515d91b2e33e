//! The RTP port: one leg's audio over one UDP socket.
//!
//! Owns the socket (non-blocking, so an exchange never waits), where
//! packets go (the SDP address at first, then symmetric RTP: the address
//! the peer's packets come from), the G.711 codec, the playout buffer,
//! RFC 4733 keys, and the silence after which the peer counts as gone.
//! Each [`MediaPort::exchange`] drains what arrived, plays one frame and
//! sends one packet. Garbage, RTCP, unknown payload types and packets
//! from strangers are counted and dropped, never fatal.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};

use super::frame::{FRAME_MS, Frame};
use super::playout::{PlayoutBuffer, PlayoutConfig};
use super::port::MediaPort;
use super::rtp::{self, Codec, RtpSender, SequenceTracker};
use super::telephone_event::EventDecoder;
use crate::sip::sdp::RemoteAudio;

/// Hands out even UDP ports from a range, round the range.
#[derive(Debug, Clone)]
pub struct PortPool {
    range: [u16; 2],
    next: Arc<Mutex<u16>>,
}

impl PortPool {
    /// A pool over `[first, last]`.
    pub fn new(range: [u16; 2]) -> Self {
        let first = range[0] + range[0] % 2;
        PortPool {
            range: [first, range[1]],
            next: Arc::new(Mutex::new(first)),
        }
    }

    /// Binds a socket on `ip` at the next free even port.
    pub fn bind(&self, ip: IpAddr) -> io::Result<UdpSocket> {
        let [first, last] = self.range;
        let tries = (last.saturating_sub(first) / 2 + 1) as usize;
        for _ in 0..tries {
            let port = {
                let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
                let port = *next;
                *next = if port.saturating_add(2) > last {
                    first
                } else {
                    port + 2
                };
                port
            };
            match UdpSocket::bind(SocketAddr::new(ip, port)) {
                Ok(s) => return Ok(s),
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("no free RTP port in {first}-{last}"),
        ))
    }
}

/// What an RTP port counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtpCounts {
    /// Audio packets received and used.
    pub received: u64,
    /// Packets missing by sequence number.
    pub lost: u64,
    /// Packets that came after their time had played.
    pub late: u64,
    /// Duplicates dropped.
    pub duplicates: u64,
    /// Datagrams that were not RTP, and RTCP.
    pub garbage: u64,
    /// RTP with a payload type that was not agreed.
    pub unknown_payload: u64,
    /// RTP from an address other than the peer's.
    pub strangers: u64,
    /// Packets sent.
    pub sent: u64,
}

/// One leg's RTP.
#[derive(Debug)]
pub struct RtpPort {
    socket: UdpSocket,
    remote: Option<SocketAddr>,
    latched: bool,
    codec: Codec,
    telephone_event: Option<u8>,
    sender: RtpSender,
    playout: PlayoutBuffer,
    sequence: SequenceTracker,
    events: EventDecoder,
    keys: Vec<char>,
    send: bool,
    silent_frames: u64,
    timeout_frames: u64,
    closed: bool,
    /// The peer sent nothing for the timeout (see [`RtpPort::new`]).
    timed_out: bool,
    counts: RtpCounts,
}

fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(0x5eed);
    h.finish()
}

impl RtpPort {
    /// A port on `socket`; it sends nothing until told where
    /// ([`RtpPort::set_remote`]), and counts the peer as gone after
    /// `timeout_seconds` without a packet.
    pub fn new(socket: UdpSocket, timeout_seconds: u32) -> io::Result<RtpPort> {
        socket.set_nonblocking(true)?;
        let r = random_u64();
        Ok(RtpPort {
            socket,
            remote: None,
            latched: false,
            codec: Codec::Pcmu,
            telephone_event: None,
            sender: RtpSender::new(Codec::Pcmu, r as u32, (r >> 32) as u16, (r >> 48) as u32),
            playout: PlayoutBuffer::new(PlayoutConfig::default()),
            sequence: SequenceTracker::default(),
            events: EventDecoder::new(),
            keys: Vec::new(),
            send: true,
            silent_frames: 0,
            timeout_frames: u64::from(timeout_seconds) * 1000 / FRAME_MS,
            closed: false,
            timed_out: false,
            counts: RtpCounts::default(),
        })
    }

    /// Where this port takes RTP.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Applies the peer's SDP (an answer, or a re-INVITE): where to send,
    /// the codec, events, hold. A held call sends nothing and never
    /// times out.
    pub fn set_remote(&mut self, remote: &RemoteAudio) {
        if self.remote != Some(remote.rtp) && !remote.rtp.ip().is_unspecified() {
            self.remote = Some(remote.rtp);
            self.latched = false;
        }
        self.codec = remote.codec;
        self.sender.set_codec(remote.codec);
        self.telephone_event = remote.telephone_event;
        self.send = !remote.on_hold();
        self.silent_frames = 0;
        // A peer that had gone quiet and is told again (a new agent
        // answering on this port) starts over; a port closed on purpose
        // stays closed.
        self.timed_out = false;
    }

    /// Ends the port: every later exchange reports the input ended.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// What the port counted.
    pub fn counts(&self) -> RtpCounts {
        let seq = self.sequence.stats();
        let play = self.playout.stats();
        RtpCounts {
            lost: seq.lost,
            late: play.late,
            duplicates: play.duplicates,
            ..self.counts
        }
    }

    fn receive(&mut self) {
        let mut buf = [0u8; 2048];
        loop {
            let (n, from) = match self.socket.recv_from(&mut buf) {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                // ICMP port unreachable and the like surface here on
                // Linux: the peer is not there (yet); keep going.
                Err(_) => return,
            };
            let Ok(p) = rtp::parse(&buf[..n]) else {
                self.counts.garbage += 1;
                continue;
            };
            if self.latched && Some(from) != self.remote {
                self.counts.strangers += 1;
                continue;
            }
            if Some(p.payload_type) == self.telephone_event {
                self.silent_frames = 0;
                if let Ok(Some(key)) = self.events.handle(p.timestamp, p.payload) {
                    self.keys.push(key.key);
                }
                continue;
            }
            let Some(codec) = Codec::from_payload_type(p.payload_type) else {
                self.counts.unknown_payload += 1;
                continue;
            };
            // Symmetric RTP: answer to where the peer really sends from.
            if !self.latched {
                self.remote = Some(from);
                self.latched = true;
            }
            self.silent_frames = 0;
            self.counts.received += 1;
            self.sequence.note(p.ssrc, p.sequence);
            self.playout
                .push(p.ssrc, p.timestamp, &codec.decode(p.payload));
        }
    }
}

impl MediaPort for RtpPort {
    fn exchange(&mut self, out: &Frame) -> Option<Frame> {
        if self.closed || self.timed_out {
            return None;
        }
        self.receive();
        if self.send
            && let Some(to) = self.remote
        {
            let packet = self.sender.audio(out);
            if self.socket.send_to(&packet, to).is_ok() {
                self.counts.sent += 1;
            }
        }
        // Silence counts only once there is a peer to hear from: a leg
        // still ringing has none, and a held one sends nothing.
        if self.send && self.remote.is_some() {
            self.silent_frames += 1;
            if self.timeout_frames > 0 && self.silent_frames > self.timeout_frames {
                self.timed_out = true;
                return None;
            }
        }
        Some(self.playout.pop())
    }

    fn take_keys(&mut self) -> Vec<char> {
        std::mem::take(&mut self.keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::frame::{FRAME, SILENCE};
    use crate::sip::sdp::Direction;

    fn pair() -> (RtpPort, RtpPort) {
        let lo = IpAddr::from([127, 0, 0, 1]);
        let a = RtpPort::new(UdpSocket::bind((lo, 0)).expect("bind"), 1).expect("a");
        let b = RtpPort::new(UdpSocket::bind((lo, 0)).expect("bind"), 1).expect("b");
        (a, b)
    }

    fn remote(to: SocketAddr) -> RemoteAudio {
        RemoteAudio {
            rtp: to,
            codec: Codec::Pcma,
            telephone_event: Some(101),
            direction: Direction::SendRecv,
        }
    }

    #[test]
    fn audio_crosses_and_a_silent_peer_times_out() {
        let (mut a, mut b) = pair();
        a.set_remote(&remote(b.local_addr().expect("b")));
        b.set_remote(&remote(a.local_addr().expect("a")));
        let mut got = Vec::new();
        for i in 0..10 {
            let f = [1000 * (i as i16 + 1); FRAME];
            a.exchange(&f).expect("open");
            std::thread::sleep(std::time::Duration::from_millis(2));
            got.push(b.exchange(&SILENCE).expect("open")[0]);
        }
        // After the playout delay, the frames come in order.
        let heard: Vec<i16> = got.into_iter().filter(|&s| s != 0).collect();
        assert!(heard.len() >= 5, "{heard:?}");
        assert!(heard.windows(2).all(|w| w[0] < w[1]), "{heard:?}");
        assert_eq!(b.counts().lost, 0);
        // `a` stops sending; `b` gives up after a second of nothing.
        let ended = (0..60).any(|_| b.exchange(&SILENCE).is_none());
        assert!(ended);
    }

    #[test]
    fn a_port_with_no_peer_yet_never_times_out_and_a_new_peer_reopens_it() {
        let (mut a, mut b) = pair();
        // Ringing: no peer, minutes of nothing (the timeout is 1 s).
        assert!((0..200).all(|_| b.exchange(&SILENCE).is_some()));
        b.set_remote(&remote(a.local_addr().expect("a")));
        assert!((0..60).any(|_| b.exchange(&SILENCE).is_none()));
        // A new agent answers on the same port: it plays again.
        a.set_remote(&remote(b.local_addr().expect("b")));
        b.set_remote(&remote(a.local_addr().expect("a")));
        a.exchange(&[700; FRAME]).expect("open");
        assert!(b.exchange(&SILENCE).is_some());
        // Closed on purpose, it stays closed.
        b.close();
        b.set_remote(&remote(a.local_addr().expect("a")));
        assert!(b.exchange(&SILENCE).is_none());
    }

    #[test]
    fn garbage_and_strangers_are_counted_not_played() {
        let (mut a, mut b) = pair();
        let stranger = UdpSocket::bind("127.0.0.1:0").expect("bind");
        b.set_remote(&remote(a.local_addr().expect("a")));
        a.set_remote(&remote(b.local_addr().expect("b")));
        a.exchange(&[500; FRAME]).expect("open");
        std::thread::sleep(std::time::Duration::from_millis(5));
        b.exchange(&SILENCE).expect("open");
        let to = b.local_addr().expect("b");
        stranger.send_to(b"\x00garbage", to).expect("send");
        let mut s = RtpSender::new(Codec::Pcma, 9, 1, 1);
        stranger.send_to(&s.audio(&[9; FRAME]), to).expect("send");
        std::thread::sleep(std::time::Duration::from_millis(5));
        b.exchange(&SILENCE).expect("open");
        let c = b.counts();
        assert_eq!((c.garbage, c.strangers, c.received), (1, 1, 1));
    }
}
