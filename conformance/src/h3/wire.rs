//! The octets the HTTP/3 cases write, and a reader for what the server answers.
//!
//! Frame headers and integers come from `weft-http3`'s public encoders and field
//! sections from `weft-qpack`'s encoder with no dynamic table (static references and
//! literals only, so every section stands alone). What no correct endpoint would send
//! (a dynamic reference to nothing, an oversized table capacity) is assembled here from
//! the prefix integers of RFC 9204 §4.1.1, which are HPACK's (RFC 7541 §5.1).

use bytes::{BufMut, Bytes, BytesMut};
use hpack::encode_integer;
use http3_proto::frame::{FrameHeader, kind};
use http3_proto::varint;

/// A variable-length integer (RFC 9000 §16).
pub(crate) fn int(value: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(8);
    varint::encode(value, &mut out);
    out
}

/// A whole frame: type, length, payload (RFC 9114 §7.1).
pub(crate) fn frame(ty: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 4);
    FrameHeader {
        ty,
        len: payload.len() as u64,
    }
    .encode(&mut out);
    out.extend_from_slice(payload);
    out
}

/// A SETTINGS frame with these identifier/value pairs, in order (RFC 9114 §7.2.4).
pub(crate) fn settings(pairs: &[(u64, u64)]) -> Vec<u8> {
    let mut payload = Vec::new();
    for &(id, value) in pairs {
        varint::encode(id, &mut payload);
        varint::encode(value, &mut payload);
    }
    frame(kind::SETTINGS, &payload)
}

/// A field section of static references and literals (RFC 9204 §4.5), the fields
/// written as given: uppercase names and forbidden fields reach the wire unchanged.
pub(crate) fn section<N: AsRef<[u8]>, V: AsRef<[u8]>>(fields: &[(N, V)]) -> Bytes {
    let headers: Vec<hpack::Header> = fields
        .iter()
        .map(|(name, value)| {
            hpack::Header::new(
                Bytes::copy_from_slice(name.as_ref()),
                Bytes::copy_from_slice(value.as_ref()),
            )
        })
        .collect();
    qpack::Encoder::new().encode(0, &headers)
}

/// A HEADERS frame carrying `fields`.
pub(crate) fn headers<N: AsRef<[u8]>, V: AsRef<[u8]>>(fields: &[(N, V)]) -> Vec<u8> {
    frame(kind::HEADERS, &section(fields))
}

/// A DATA frame.
pub(crate) fn data(body: &[u8]) -> Vec<u8> {
    frame(kind::DATA, body)
}

/// The prefix of a field section (RFC 9204 §4.5.1): the encoded Required Insert Count
/// and a zero Delta Base (Base equals the Required Insert Count).
pub(crate) fn section_prefix(encoded_insert_count: u64) -> BytesMut {
    let mut out = BytesMut::new();
    encode_integer(to_usize(encoded_insert_count), 8, 0, &mut out);
    encode_integer(0, 7, 0, &mut out);
    out
}

/// The encoding of Required Insert Count `ric` for a decoder table of `capacity`
/// octets (RFC 9204 §4.5.1.1).
pub(crate) fn encoded_insert_count(ric: u64, capacity: u64) -> u64 {
    if ric == 0 {
        return 0;
    }
    let max_entries = capacity / 32;
    (ric % (2 * max_entries).max(1)) + 1
}

/// An Indexed Field Line (RFC 9204 §4.5.2) to the static table (`static_ref`) or to
/// the dynamic entry at relative index `index`.
pub(crate) fn indexed_line(index: u64, static_ref: bool, out: &mut BytesMut) {
    let flags = if static_ref { 0xc0 } else { 0x80 };
    encode_integer(to_usize(index), 6, flags, out);
}

/// Set Dynamic Table Capacity (RFC 9204 §4.3.1).
pub(crate) fn set_capacity(capacity: u64) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_integer(to_usize(capacity), 5, 0x20, &mut out);
    out.to_vec()
}

/// Insert with Literal Name (RFC 9204 §4.3.3), strings without Huffman coding.
pub(crate) fn insert_literal(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_integer(name.len(), 5, 0x40, &mut out);
    out.put_slice(name);
    encode_integer(value.len(), 7, 0, &mut out);
    out.put_slice(value);
    out.to_vec()
}

/// Insert with Name Reference (RFC 9204 §4.3.2) to the static table (`static_ref`)
/// or to the dynamic entry at relative index `index`.
pub(crate) fn insert_name_ref(index: u64, static_ref: bool, value: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    let flags = if static_ref { 0xc0 } else { 0x80 };
    encode_integer(to_usize(index), 6, flags, &mut out);
    encode_integer(value.len(), 7, 0, &mut out);
    out.put_slice(value);
    out.to_vec()
}

/// Section Acknowledgment for `stream` (RFC 9204 §4.4.1).
pub(crate) fn section_ack(stream: u64) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_integer(to_usize(stream), 7, 0x80, &mut out);
    out.to_vec()
}

/// Insert Count Increment (RFC 9204 §4.4.3).
pub(crate) fn insert_count_increment(increment: u64) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_integer(to_usize(increment), 6, 0x00, &mut out);
    out.to_vec()
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// One frame read back from a server's stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) ty: u64,
    pub(crate) payload: Vec<u8>,
}

/// The whole frames at the front of `buf` (a trailing partial frame is left out).
pub(crate) fn frames(mut buf: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    while let Some((header, n)) = FrameHeader::decode(buf) {
        let Ok(len) = usize::try_from(header.len) else {
            break;
        };
        let Some(payload) = buf.get(n..n.saturating_add(len)) else {
            break;
        };
        out.push(Frame {
            ty: header.ty,
            payload: payload.to_vec(),
        });
        buf = &buf[n + len..];
    }
    out
}

/// The identifier/value pairs of a SETTINGS payload; `None` if it does not parse.
pub(crate) fn settings_pairs(mut payload: &[u8]) -> Option<Vec<(u64, u64)>> {
    let mut pairs = Vec::new();
    while !payload.is_empty() {
        let (id, a) = varint::decode(payload)?;
        let (value, b) = varint::decode(payload.get(a..)?)?;
        pairs.push((id, value));
        payload = &payload[a + b..];
    }
    Some(pairs)
}

/// The `:status` of a response field section, decoded with a table-less QPACK decoder
/// (the runner's SETTINGS leave the server no dynamic table to refer to).
pub(crate) fn status(section: &[u8]) -> Result<u16, String> {
    let mut decoder = qpack::Decoder::new(0, 0);
    let decoded = decoder
        .decode(0, Bytes::copy_from_slice(section))
        .map_err(|err| format!("undecodable response section: {err}"))?;
    let qpack::Decoded::Fields(fields) = decoded else {
        return Err("the response section refers to a dynamic table we do not have".into());
    };
    fields
        .iter()
        .find(|h| h.name.as_ref() == b":status")
        .and_then(|h| std::str::from_utf8(&h.value).ok()?.parse().ok())
        .ok_or_else(|| "a response without a valid :status".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_stop_at_a_partial_frame() {
        let mut buf = frame(kind::DATA, b"abc");
        buf.extend(settings(&[(6, 1000), (0x21, 7)]));
        buf.extend_from_slice(&[0x01, 0x05, 0x00]);
        let read = frames(&buf);
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].payload, b"abc");
        assert_eq!(
            settings_pairs(&read[1].payload),
            Some(vec![(6, 1000), (0x21, 7)])
        );
    }

    #[test]
    fn insert_count_encoding_follows_rfc_9204_4_5_1_1() {
        // MaxEntries = 4096 / 32 = 128, FullRange = 256.
        assert_eq!(encoded_insert_count(0, 4096), 0);
        assert_eq!(encoded_insert_count(1, 4096), 2);
        assert_eq!(encoded_insert_count(256, 4096), 1);
    }

    #[test]
    fn status_of_a_static_section() {
        let block = section(&[(":status", "200"), ("content-type", "text/plain")]);
        assert_eq!(status(&block), Ok(200));
        assert!(status(&section(&[("a", "b")])).is_err());
    }
}
