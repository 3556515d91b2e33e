//! SDP offer and answer for one G.711 audio stream (RFC 3264), with the
//! webrtc-rs `sdp` crate doing the parsing and writing.
//!
//! Owns: what relaygate reads from a peer's SDP (where to send RTP, which
//! G.711 flavour, the telephone-event payload type, hold) and the SDP it
//! sends back or offers. Pure code: bytes in, values and text out. Must
//! not touch: SIP, sockets, RTP.

use std::net::{IpAddr, SocketAddr};

use sdp::description::common::{Address, Attribute, ConnectionInformation};
use sdp::description::media::{MediaDescription, MediaName, RangedPort};
use sdp::description::session::{Origin, SessionDescription, TimeDescription, Timing};

use crate::media::rtp::Codec;

/// A stream's direction attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways (the default).
    SendRecv,
    /// The peer only sends (it has put us on hold).
    SendOnly,
    /// The peer only receives.
    RecvOnly,
    /// Neither.
    Inactive,
}

impl Direction {
    fn attr(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an answer takes to this offer (RFC 3264 §6.1).
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }
}

/// Why a peer's SDP cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// It does not parse.
    #[error("SDP does not parse: {0}")]
    Parse(String),
    /// No audio stream with a port.
    #[error("SDP has no active audio stream")]
    NoAudio,
    /// No connection address for the audio stream.
    #[error("SDP gives no connection address for audio")]
    NoAddress,
    /// Audio, but neither PCMU nor PCMA (answered with 488).
    #[error("SDP offers no G.711 (PCMU or PCMA) audio")]
    NoG711,
}

/// What relaygate uses of the peer's audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAudio {
    /// Where the peer wants RTP (0.0.0.0 for an old-style hold).
    pub rtp: SocketAddr,
    /// The G.711 flavour: the first the peer lists.
    pub codec: Codec,
    /// The telephone-event payload type, if offered.
    pub telephone_event: Option<u8>,
    /// The peer's direction.
    pub direction: Direction,
}

impl RemoteAudio {
    /// Whether the peer has put the call on hold.
    pub fn on_hold(&self) -> bool {
        matches!(self.direction, Direction::SendOnly | Direction::Inactive)
            || self.rtp.ip().is_unspecified()
    }
}

fn direction_of(attrs: &[Attribute]) -> Option<Direction> {
    attrs.iter().find_map(|a| match a.key.as_str() {
        "sendrecv" => Some(Direction::SendRecv),
        "sendonly" => Some(Direction::SendOnly),
        "recvonly" => Some(Direction::RecvOnly),
        "inactive" => Some(Direction::Inactive),
        _ => None,
    })
}

/// Reads the peer's audio stream from an offer or an answer.
pub fn parse_remote(body: &[u8]) -> Result<RemoteAudio, SdpError> {
    let mut cursor = std::io::Cursor::new(body);
    let sd =
        SessionDescription::unmarshal(&mut cursor).map_err(|e| SdpError::Parse(e.to_string()))?;
    let m = sd
        .media_descriptions
        .iter()
        .find(|m| m.media_name.media == "audio" && m.media_name.port.value > 0)
        .ok_or(SdpError::NoAudio)?;
    let port = u16::try_from(m.media_name.port.value).map_err(|_| SdpError::NoAudio)?;
    // A media-level c= overrides the session's.
    let ip = m
        .connection_information
        .as_ref()
        .or(sd.connection_information.as_ref())
        .and_then(|c| c.address.as_ref())
        .and_then(|a| a.address.split('/').next()?.parse::<IpAddr>().ok())
        .ok_or(SdpError::NoAddress)?;
    let codec = m
        .media_name
        .formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .find_map(Codec::from_payload_type)
        .ok_or(SdpError::NoG711)?;
    let telephone_event = m.attributes.iter().find_map(|a| {
        if a.key != "rtpmap" {
            return None;
        }
        let (pt, enc) = a.value.as_deref()?.split_once(' ')?;
        enc.to_ascii_lowercase()
            .starts_with("telephone-event/8000")
            .then(|| pt.trim().parse().ok())
            .flatten()
    });
    let direction = direction_of(&m.attributes)
        .or_else(|| direction_of(&sd.attributes))
        .unwrap_or(Direction::SendRecv);
    Ok(RemoteAudio {
        rtp: SocketAddr::new(ip, port),
        codec,
        telephone_event,
        direction,
    })
}

/// The telephone-event payload type relaygate offers.
pub const TELEPHONE_EVENT_PT: u8 = 101;

/// Our side of a stream, for an offer or an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAudio {
    /// Where we take RTP.
    pub rtp: SocketAddr,
    /// Codecs, in our order of preference.
    pub codecs: Vec<Codec>,
    /// Telephone-event payload type.
    pub telephone_event: Option<u8>,
    /// Our direction.
    pub direction: Direction,
    /// `o=` session version: one more for every changed description.
    pub version: u64,
}

impl LocalAudio {
    /// Our answer to a peer's offer: its codec, its event type mirrored.
    pub fn answering(offer: &RemoteAudio, rtp: SocketAddr, version: u64) -> LocalAudio {
        LocalAudio {
            rtp,
            codecs: vec![offer.codec],
            telephone_event: offer.telephone_event,
            direction: offer.direction.answer(),
            version,
        }
    }

    /// An offer for a call we place: PCMU, then PCMA, with events.
    pub fn offering(rtp: SocketAddr) -> LocalAudio {
        LocalAudio {
            rtp,
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            telephone_event: Some(TELEPHONE_EVENT_PT),
            direction: Direction::SendRecv,
            version: 1,
        }
    }

    /// The SDP text.
    pub fn to_sdp(&self) -> String {
        let ip = self.rtp.ip();
        let ip_type = if ip.is_ipv4() { "IP4" } else { "IP6" };
        let mut m = MediaDescription {
            media_name: MediaName {
                media: "audio".into(),
                port: RangedPort {
                    value: self.rtp.port() as isize,
                    range: None,
                },
                protos: vec!["RTP".into(), "AVP".into()],
                formats: vec![],
            },
            ..Default::default()
        };
        for c in &self.codecs {
            m = m.with_codec(c.payload_type(), c.name().into(), 8000, 0, String::new());
        }
        if let Some(pt) = self.telephone_event {
            m = m.with_codec(pt, "telephone-event".into(), 8000, 0, "0-15".into());
        }
        m = m
            .with_value_attribute("ptime".into(), "20".into())
            .with_property_attribute(self.direction.attr().into());
        let connection = ConnectionInformation {
            network_type: "IN".into(),
            address_type: ip_type.into(),
            address: Some(Address {
                address: ip.to_string(),
                ttl: None,
                range: None,
            }),
        };
        let sd = SessionDescription {
            version: 0,
            origin: Origin {
                username: "relaygate".into(),
                session_id: 1,
                session_version: self.version,
                network_type: "IN".into(),
                address_type: ip_type.into(),
                unicast_address: ip.to_string(),
            },
            session_name: "relaygate".into(),
            connection_information: Some(connection),
            time_descriptions: vec![TimeDescription {
                timing: Timing {
                    start_time: 0,
                    stop_time: 0,
                },
                repeat_times: vec![],
            }],
            media_descriptions: vec![m],
            ..Default::default()
        };
        sd.marshal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 9 8 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\na=sendrecv\r\n";

    #[test]
    fn an_offer_gives_address_codec_events_and_direction() {
        let r = parse_remote(OFFER.as_bytes()).expect("offer");
        assert_eq!(r.rtp, "10.0.0.5:4000".parse().expect("addr"));
        assert_eq!(r.codec, Codec::Pcma, "the first G.711 in the peer's order");
        assert_eq!(r.telephone_event, Some(101));
        assert!(!r.on_hold());
    }

    #[test]
    fn our_answer_parses_back_as_what_we_chose() {
        let r = parse_remote(OFFER.as_bytes()).expect("offer");
        let ours = LocalAudio::answering(&r, "127.0.0.1:20000".parse().expect("addr"), 1).to_sdp();
        let back = parse_remote(ours.as_bytes()).expect("answer");
        assert_eq!(back.rtp.port(), 20000);
        assert_eq!(back.codec, Codec::Pcma);
        assert_eq!(back.telephone_event, Some(101));
        let offer = LocalAudio::offering("127.0.0.1:20002".parse().expect("addr")).to_sdp();
        assert!(offer.contains("m=audio 20002 RTP/AVP 0 8 101"), "{offer}");
    }

    #[test]
    fn hold_and_bad_offers_are_recognised() {
        let hold = OFFER.replace("a=sendrecv", "a=sendonly");
        assert!(parse_remote(hold.as_bytes()).expect("hold").on_hold());
        let zero = OFFER.replace("c=IN IP4 10.0.0.5", "c=IN IP4 0.0.0.0");
        assert!(parse_remote(zero.as_bytes()).expect("old hold").on_hold());
        let g722 = OFFER.replace("RTP/AVP 9 8 0 101", "RTP/AVP 9 101");
        assert!(matches!(
            parse_remote(g722.as_bytes()),
            Err(SdpError::NoG711)
        ));
        assert!(matches!(parse_remote(b"garbage"), Err(SdpError::Parse(_))));
        let video = OFFER.replace("m=audio", "m=video");
        assert!(matches!(
            parse_remote(video.as_bytes()),
            Err(SdpError::NoAudio)
        ));
        // Cut before the m= line: no audio stream is left.
        let truncated = &OFFER[..OFFER.find("m=").expect("m line")];
        assert!(parse_remote(truncated.as_bytes()).is_err());
    }
}
