//! The HTTP/3 frame layer (RFC 9114 §7): frame and stream type codes, the frame header,
//! and the payloads made of one variable-length integer. Pure functions; the
//! connection decides which frame is allowed where.

use bytes::BufMut;

use crate::varint;

/// Frame types (RFC 9114 §7.2).
pub mod kind {
    /// DATA: a piece of message content.
    pub const DATA: u64 = 0x00;
    /// HEADERS: a QPACK-encoded field section.
    pub const HEADERS: u64 = 0x01;
    /// CANCEL_PUSH: a server push is cancelled.
    pub const CANCEL_PUSH: u64 = 0x03;
    /// SETTINGS: the configuration of the sender, first on its control stream.
    pub const SETTINGS: u64 = 0x04;
    /// PUSH_PROMISE: a server push is promised.
    pub const PUSH_PROMISE: u64 = 0x05;
    /// GOAWAY: graceful shutdown.
    pub const GOAWAY: u64 = 0x07;
    /// MAX_PUSH_ID: the highest push identifier a client accepts.
    pub const MAX_PUSH_ID: u64 = 0x0d;

    /// Types HTTP/2 defined that HTTP/3 reserves (PRIORITY, PING, WINDOW_UPDATE,
    /// CONTINUATION): receiving one is a connection error of type H3_FRAME_UNEXPECTED
    /// (RFC 9114 §7.2.8).
    #[must_use]
    pub const fn is_reserved_http2(ty: u64) -> bool {
        matches!(ty, 0x02 | 0x06 | 0x08 | 0x09)
    }
}

/// Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2).
pub mod stream_type {
    /// The control stream.
    pub const CONTROL: u64 = 0x00;
    /// A push stream.
    pub const PUSH: u64 = 0x01;
    /// The QPACK encoder stream.
    pub const QPACK_ENCODER: u64 = 0x02;
    /// The QPACK decoder stream.
    pub const QPACK_DECODER: u64 = 0x03;
}

/// The `n`-th reserved value of the form `0x1f * N + 0x21`, which frame types, stream
/// types, settings and error codes set aside so that peers keep ignoring unknown values
/// (RFC 9114 §7.2.8, §6.2.3, §7.2.4.1, §8.1).
#[must_use]
pub const fn grease(n: u64) -> u64 {
    0x1f * (n % ((varint::MAX - 0x21) / 0x1f)) + 0x21
}

/// Whether `value` is one of the reserved [`grease`] values.
#[must_use]
pub const fn is_grease(value: u64) -> bool {
    value >= 0x21 && (value - 0x21).is_multiple_of(0x1f)
}

/// The type and payload length that open every frame (RFC 9114 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// The frame type.
    pub ty: u64,
    /// Octets of payload that follow.
    pub len: u64,
}

/// The longest frame header: two eight-octet integers.
pub const MAX_HEADER_LEN: usize = 16;

impl FrameHeader {
    /// Reads a frame header from the front of `buf`: the header and the octets it took,
    /// or `None` when `buf` ends inside it.
    #[must_use]
    pub fn decode(buf: &[u8]) -> Option<(Self, usize)> {
        let (ty, a) = varint::decode(buf)?;
        let (len, b) = varint::decode(buf.get(a..)?)?;
        Some((Self { ty, len }, a + b))
    }

    /// Appends the header.
    pub fn encode(self, out: &mut impl BufMut) {
        varint::encode(self.ty, out);
        varint::encode(self.len, out);
    }
}

/// Why a frame payload does not parse (a connection error of type H3_FRAME_ERROR,
/// RFC 9114 §7.1, or H3_SETTINGS_ERROR for SETTINGS, §7.2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadError(pub &'static str);

/// The one integer a GOAWAY, CANCEL_PUSH or MAX_PUSH_ID frame carries, which must fill
/// the payload exactly (RFC 9114 §7.1: "redundant data" is a frame error).
pub fn decode_single_varint(payload: &[u8]) -> Result<u64, PayloadError> {
    match varint::decode(payload) {
        Some((value, n)) if n == payload.len() => Ok(value),
        Some(_) => Err(PayloadError("extra octets after the frame's identifier")),
        None => Err(PayloadError("frame payload ends inside its identifier")),
    }
}

/// Appends a whole frame whose payload is one integer (GOAWAY, CANCEL_PUSH,
/// MAX_PUSH_ID).
pub fn encode_single_varint(ty: u64, value: u64, out: &mut impl BufMut) {
    FrameHeader {
        ty,
        len: varint::len(value) as u64,
    }
    .encode(out);
    varint::encode(value, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_incomplete() {
        let mut out = Vec::new();
        FrameHeader {
            ty: kind::HEADERS,
            len: 300,
        }
        .encode(&mut out);
        assert_eq!(out, [0x01, 0x41, 0x2c]);
        let (h, n) = FrameHeader::decode(&out).unwrap();
        assert_eq!((h.ty, h.len, n), (kind::HEADERS, 300, 3));
        assert_eq!(FrameHeader::decode(&out[..2]), None);
        assert_eq!(FrameHeader::decode(&out[..1]), None);
    }

    #[test]
    fn single_varint_payloads() {
        let mut out = Vec::new();
        encode_single_varint(kind::GOAWAY, 16_384, &mut out);
        assert_eq!(out, [0x07, 0x04, 0x80, 0x00, 0x40, 0x00]);
        assert_eq!(decode_single_varint(&out[2..]), Ok(16_384));
        assert!(decode_single_varint(&[0x04, 0x00]).is_err());
        assert!(decode_single_varint(&[0x40]).is_err());
        assert!(decode_single_varint(&[]).is_err());
    }

    #[test]
    fn grease_values() {
        assert_eq!(grease(0), 0x21);
        assert_eq!(grease(1), 0x40);
        assert!(is_grease(grease(12_345)));
        assert!(!is_grease(0x22) && !is_grease(0x20));
        assert!(grease(u64::MAX) <= varint::MAX);
        assert!(is_grease(grease(u64::MAX)));
    }
}
