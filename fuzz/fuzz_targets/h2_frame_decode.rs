#![no_main]
//! The HTTP/2 frame codec on arbitrary bytes: decoding never panics, and every frame
//! that decodes re-encodes to bytes that decode to the same frame.

use bytes::BytesMut;
use http2_proto::frame::{self, Frame};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    // Exercise both the minimum and a large SETTINGS_MAX_FRAME_SIZE.
    let max = if sel & 1 == 0 { frame::DEFAULT_MAX_FRAME_SIZE } else { frame::MAX_MAX_FRAME_SIZE };
    let mut buf = BytesMut::from(rest);
    loop {
        let before = buf.len();
        match frame::decode_from(&mut buf, max) {
            Ok(Some(f)) => {
                assert!(buf.len() < before, "decoding must consume input");
                if matches!(f, Frame::Unknown(_)) {
                    continue;
                }
                let mut out = BytesMut::new();
                f.encode(&mut out);
                let back = frame::decode_from(&mut out, frame::MAX_MAX_FRAME_SIZE)
                    .expect("our encoding decodes")
                    .expect("our encoding is complete");
                assert_eq!(back, f);
                assert!(out.is_empty());
            }
            Ok(None) => break,
            Err(e) => {
                // Every error maps to a defined code.
                assert!(e.code().name().is_some());
                // Skip the offending frame's header and keep going, as a
                // resynchronising reader would.
                if buf.len() < frame::FRAME_HEADER_LEN {
                    break;
                }
                let _ = buf.split_to(frame::FRAME_HEADER_LEN);
            }
        }
    }
});
