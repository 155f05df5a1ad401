//! The wire format: a fixed header (who, to whom, which datagram, which call, when sent)
//! followed by the serde-encoded typed message (postcard).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::trace::HostId;

/// Anything that travels between hosts. Its `Debug` form labels it in traces.
pub trait Message: Serialize + DeserializeOwned + std::fmt::Debug + 'static {}
impl<T: Serialize + DeserializeOwned + std::fmt::Debug + 'static> Message for T {}

/// What a datagram is to the message layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A request that expects a response with the same call id.
    Request,
    /// The response to call `call`.
    Response,
    /// Fire and forget.
    OneWay,
}

/// The envelope's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The datagram's id in the trace (copies made by duplication share it).
    pub uid: u64,
    pub from: HostId,
    pub to: HostId,
    /// Simulated time of sending.
    pub sent_at_ms: u64,
    /// Correlates a response with its request (unique per host across incarnations).
    pub call: u64,
    pub kind: Kind,
}

/// Encode header and body.
pub(crate) fn encode<M: Message>(header: &Header, body: &M) -> Vec<u8> {
    let mut out = postcard::to_allocvec(header).expect("header encodes");
    out.extend(postcard::to_allocvec(body).expect("message encodes"));
    out
}

/// Decode the header; the rest is the body.
pub(crate) fn decode_header(bytes: &[u8]) -> Option<(Header, &[u8])> {
    postcard::take_from_bytes::<Header>(bytes).ok()
}

/// Decode a body.
pub(crate) fn decode_body<M: Message>(bytes: &[u8]) -> Option<M> {
    postcard::from_bytes(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_body_round_trip() {
        let h = Header {
            uid: 9,
            from: HostId(1),
            to: HostId(2),
            sent_at_ms: 1234,
            call: 77,
            kind: Kind::Request,
        };
        let bytes = encode(&h, &("reserve".to_string(), 3u32));
        let (h2, rest) = decode_header(&bytes).unwrap();
        assert_eq!(h, h2);
        assert_eq!(
            decode_body::<(String, u32)>(rest).unwrap(),
            ("reserve".to_string(), 3)
        );
    }
}
