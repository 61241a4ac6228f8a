//! A deliberately small HPACK writer for request header blocks (RFC 7541).
//!
//! It never touches the dynamic table: a field that matches a static entry
//! exactly is indexed (§6.1), everything else is a literal without indexing
//! (§6.2.2) with raw (non-Huffman) strings. That keeps every block
//! self-contained, so a case can replay a block, cut it in pieces or send it
//! on another stream without the server's table drifting from ours. Uppercase
//! names are written as given: some cases need them on the wire.

use bytes::{BufMut, Bytes, BytesMut};
// Prefix integers (RFC 7541 §5.1) come from the hpack crate, whose tests pin
// them to the RFC's C.1 examples; this module only picks the representations.
use hpack::encode_integer;

/// RFC 7541 Appendix A, index 1..=61.
const STATIC_TABLE: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

fn put_string(dst: &mut BytesMut, s: &[u8]) {
    encode_integer(s.len(), 7, 0, dst);
    dst.put_slice(s);
}

/// Encodes the fields in order into one header block.
pub(crate) fn encode<N: AsRef<[u8]>, V: AsRef<[u8]>>(fields: &[(N, V)]) -> Bytes {
    let mut dst = BytesMut::new();
    for (name, value) in fields {
        let (name, value) = (name.as_ref(), value.as_ref());
        let exact = STATIC_TABLE
            .iter()
            .position(|&(n, v)| !v.is_empty() && n.as_bytes() == name && v.as_bytes() == value);
        if let Some(index) = exact {
            encode_integer(index + 1, 7, 0x80, &mut dst);
            continue;
        }
        match STATIC_TABLE.iter().position(|&(n, _)| n.as_bytes() == name) {
            Some(index) => encode_integer(index + 1, 4, 0x00, &mut dst),
            None => {
                dst.put_u8(0x00);
                put_string(&mut dst, name);
            }
        }
        put_string(&mut dst, value);
    }
    dst.freeze()
}

/// A dynamic table size update (RFC 7541 §6.3).
pub(crate) fn size_update(size: usize) -> Bytes {
    let mut dst = BytesMut::new();
    encode_integer(size, 5, 0x20, &mut dst);
    dst.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_updates_match_h2spec_bytes() {
        // h2spec generic/5/15 sends 3f 61 (128) and 3f e1 1f (4096).
        assert_eq!(&size_update(128)[..], &[0x3f, 0x61]);
        assert_eq!(&size_update(4096)[..], &[0x3f, 0xe1, 0x1f]);
        assert_eq!(&size_update(4097)[..], &[0x3f, 0xe2, 0x1f]);
    }

    #[test]
    fn static_matches_and_literals() {
        let block = encode(&[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "a:1"),
            ("x-test", "ok"),
            ("X-TEST", "ok"),
        ]);
        let expected: &[u8] = &[
            0x82, 0x86, 0x84, // indexed
            0x01, 3, b'a', b':', b'1', // :authority, indexed name 1
            0x00, 6, b'x', b'-', b't', b'e', b's', b't', 2, b'o', b'k', // new name
            0x00, 6, b'X', b'-', b'T', b'E', b'S', b'T', 2, b'o', b'k',
        ];
        assert_eq!(&block[..], expected);
    }

    #[test]
    fn indexed_name_beyond_prefix() {
        // user-agent is entry 58: 4-bit prefix 15, then 43.
        let block = encode(&[("user-agent", "h")]);
        assert_eq!(&block[..], &[0x0f, 43, 1, b'h']);
    }
}
