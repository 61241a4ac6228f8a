#![no_main]
//! The WebSocket frame header decoder on arbitrary bytes: decoding never panics, a header
//! that decodes re-encodes to exactly the bytes it came from (lengths are minimal, so
//! there is one encoding), and unmasking twice gives the payload back.

use ws_proto::{apply_mask, decode_header, encode_header};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((header, len))) = decode_header(rest) {
        assert!((2..=14).contains(&len) && len <= rest.len());
        assert_eq!(header.encoded_len(), len);
        let mut out = Vec::new();
        encode_header(&header, &mut out);
        assert_eq!(out, &rest[..len]);
        if header.opcode.is_control() {
            assert!(header.fin && header.payload_len <= 125);
        }
        let body_len = usize::try_from(header.payload_len).unwrap_or(usize::MAX).min(rest.len() - len);
        let body = &rest[len..len + body_len];
        if let Some(key) = header.mask {
            let offset = body_len % 7;
            let mut copy = body.to_vec();
            apply_mask(&mut copy, key, offset);
            for (i, (m, b)) in copy.iter().zip(body).enumerate() {
                assert_eq!(*m, b ^ key[(offset + i) % 4]);
            }
            apply_mask(&mut copy, key, offset);
            assert_eq!(copy, body);
        }
        rest = &rest[len + body_len..];
    }
});
