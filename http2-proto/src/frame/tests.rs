//! Frame codec vectors: known encodings, round trips and every error of RFC 9113 §4-6.

use bytes::{Bytes, BytesMut};

use super::*;
use crate::{ErrorCode, StreamId};

fn head(kind: FrameKind, flags: u8, stream: u32, length: usize) -> FrameHeader {
    FrameHeader {
        length: length as u32,
        kind,
        flags,
        stream: StreamId::new(stream),
    }
}

fn dec(kind: FrameKind, flag_bits: u8, stream: u32, payload: &[u8]) -> Result<Frame, FrameError> {
    decode(
        head(kind, flag_bits, stream, payload.len()),
        Bytes::copy_from_slice(payload),
    )
}

fn round_trip(frame: Frame) {
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    let back = decode_from(&mut buf, MAX_MAX_FRAME_SIZE).unwrap().unwrap();
    assert_eq!(back, frame);
    assert!(buf.is_empty());
}

#[test]
fn header_vector() {
    // RFC 9113 §4.1 layout: 24-bit length, type, flags, R + 31-bit stream.
    let bytes = [0x00, 0x00, 0x08, 0x06, 0x01, 0x80, 0x00, 0x00, 0x00];
    let h = FrameHeader::parse(&bytes);
    assert_eq!(h, head(FrameKind::PING, flags::ACK, 0, 8));
    let mut out = BytesMut::new();
    h.encode(&mut out);
    assert_eq!(&out[..], &[0, 0, 8, 6, 1, 0, 0, 0, 0]);
}

#[test]
fn settings_vector() {
    let payload = [
        0x00, 0x03, 0x00, 0x00, 0x00, 0x64, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00,
    ];
    let f = dec(FrameKind::SETTINGS, 0, 0, &payload).unwrap();
    let Frame::Settings(s) = f else { panic!() };
    assert_eq!(
        s.entries,
        vec![
            Setting {
                id: SettingId::MAX_CONCURRENT_STREAMS,
                value: 100
            },
            Setting {
                id: SettingId::INITIAL_WINDOW_SIZE,
                value: 65536
            }
        ]
    );
}

#[test]
fn round_trips() {
    let s = StreamId::new(7);
    round_trip(Frame::Data(Data::new(s, Bytes::from_static(b"body"), true)));
    round_trip(Frame::Data(Data {
        stream: s,
        data: Bytes::from_static(b"x"),
        end_stream: false,
        pad: Some(3),
    }));
    round_trip(Frame::Headers(Headers {
        stream: s,
        block: Bytes::from_static(b"\x82\x86"),
        end_stream: true,
        end_headers: false,
        priority: Some(PrioritySpec {
            dependency: StreamId::new(3),
            exclusive: true,
            weight: 9,
        }),
        pad: Some(2),
    }));
    round_trip(Frame::Priority(Priority {
        stream: s,
        spec: PrioritySpec {
            dependency: StreamId::new(1),
            exclusive: false,
            weight: 0,
        },
    }));
    round_trip(Frame::RstStream(RstStream {
        stream: s,
        code: ErrorCode::CANCEL,
    }));
    round_trip(Frame::Settings(SettingsFrame::ack()));
    round_trip(Frame::Settings(SettingsFrame {
        ack: false,
        entries: vec![Setting {
            id: SettingId(0x99),
            value: 5,
        }],
    }));
    round_trip(Frame::PushPromise(PushPromise {
        stream: s,
        promised: StreamId::new(2),
        block: Bytes::from_static(b"\x82"),
        end_headers: true,
        pad: None,
    }));
    round_trip(Frame::Ping(Ping {
        ack: true,
        payload: *b"12345678",
    }));
    round_trip(Frame::GoAway(GoAway {
        last_stream: s,
        code: ErrorCode(0xdead),
        debug: Bytes::from_static(b"bye"),
    }));
    round_trip(Frame::WindowUpdate(WindowUpdate {
        stream: s,
        increment: 0x7fff_ffff,
    }));
    round_trip(Frame::Continuation(Continuation {
        stream: s,
        block: Bytes::from_static(b"ab"),
        end_headers: true,
    }));
}

#[test]
fn padding_is_stripped_and_checked() {
    let f = dec(FrameKind::DATA, flags::PADDED, 1, &[2, b'h', b'i', 0, 0]).unwrap();
    let Frame::Data(d) = f else { panic!() };
    assert_eq!(&d.data[..], b"hi");
    assert_eq!(d.flow_len(), 5);
    // Padding that fills the payload exactly is legal; one more is not.
    assert!(dec(FrameKind::DATA, flags::PADDED, 1, &[2, 0, 0]).is_ok());
    assert_eq!(
        dec(FrameKind::DATA, flags::PADDED, 1, &[3, 0, 0]),
        Err(FrameError::InvalidPadding)
    );
    assert_eq!(
        dec(FrameKind::DATA, flags::PADDED, 1, &[]),
        Err(FrameError::InvalidPadding)
    );
    assert_eq!(
        dec(FrameKind::HEADERS, flags::PADDED, 1, &[9, 1]),
        Err(FrameError::InvalidPadding)
    );
    // Priority fields eaten by padding.
    assert_eq!(
        dec(
            FrameKind::HEADERS,
            flags::PADDED | flags::PRIORITY,
            1,
            &[2, 0, 0, 0, 0]
        ),
        Err(FrameError::InvalidPadding)
    );
}

#[test]
fn stream_id_rules() {
    for kind in [
        FrameKind::DATA,
        FrameKind::HEADERS,
        FrameKind::PRIORITY,
        FrameKind::RST_STREAM,
        FrameKind::PUSH_PROMISE,
        FrameKind::CONTINUATION,
    ] {
        let err = dec(kind, 0, 0, &[0; 5]).unwrap_err();
        assert_eq!(err, FrameError::MissingStreamId(kind));
        assert_eq!(err.code(), ErrorCode::PROTOCOL_ERROR);
    }
    for kind in [FrameKind::SETTINGS, FrameKind::PING, FrameKind::GOAWAY] {
        let err = dec(kind, 0, 1, &[0; 8]).unwrap_err();
        assert_eq!(err, FrameError::UnexpectedStreamId(kind));
    }
}

#[test]
fn length_rules() {
    let cases: [(FrameKind, u8, u32, usize); 8] = [
        (FrameKind::PRIORITY, 0, 1, 4),
        (FrameKind::RST_STREAM, 0, 1, 3),
        (FrameKind::PING, 0, 0, 7),
        (FrameKind::GOAWAY, 0, 0, 7),
        (FrameKind::WINDOW_UPDATE, 0, 0, 5),
        (FrameKind::SETTINGS, 0, 0, 5),
        (FrameKind::PUSH_PROMISE, 0, 1, 3),
        (FrameKind::HEADERS, flags::PRIORITY, 1, 4),
    ];
    for (kind, flag_bits, stream, len) in cases {
        let err = dec(kind, flag_bits, stream, &vec![0; len]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::FRAME_SIZE_ERROR, "{kind:?}");
        // Only PRIORITY's length error is scoped to the stream (RFC 9113 §6.3).
        assert_eq!(
            err.stream().is_some(),
            kind == FrameKind::PRIORITY,
            "{kind:?}"
        );
    }
    assert_eq!(
        dec(FrameKind::SETTINGS, flags::ACK, 0, &[0; 6]),
        Err(FrameError::SettingsAckWithPayload)
    );
}

#[test]
fn settings_values() {
    let bad: [(u16, u32); 5] = [
        (0x2, 2),
        (0x4, 0x8000_0000),
        (0x5, 16_383),
        (0x5, 1 << 24),
        (0x8, 2),
    ];
    for (id, value) in bad {
        let mut p = id.to_be_bytes().to_vec();
        p.extend_from_slice(&value.to_be_bytes());
        let err = dec(FrameKind::SETTINGS, 0, 0, &p).unwrap_err();
        let expected = if id == 0x4 {
            ErrorCode::FLOW_CONTROL_ERROR
        } else {
            ErrorCode::PROTOCOL_ERROR
        };
        assert_eq!(err.code(), expected, "setting {id:#x}={value}");
    }
}

#[test]
fn unknown_types_and_flags_are_ignored() {
    assert_eq!(
        dec(FrameKind(0xfa), 0xff, 3, b"xyz"),
        Ok(Frame::Unknown(head(FrameKind(0xfa), 0xff, 3, 3)))
    );
    // Undefined flags on PING are ignored; only ACK matters.
    let Frame::Ping(p) = dec(FrameKind::PING, 0xfe, 0, b"abcdefgh").unwrap() else {
        panic!()
    };
    assert!(!p.ack);
    // Reserved bits of WINDOW_UPDATE's increment and GOAWAY's last stream are ignored.
    let Frame::WindowUpdate(w) = dec(FrameKind::WINDOW_UPDATE, 0, 1, &[0x80, 0, 0, 1]).unwrap()
    else {
        panic!()
    };
    assert_eq!(w.increment, 1);
}

#[test]
fn decode_from_waits_and_limits() {
    let mut buf = BytesMut::from(&[0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0][..]);
    assert_eq!(decode_from(&mut buf, 16_384), Ok(None));
    buf.extend_from_slice(&[0, 8]);
    assert_eq!(
        decode_from(&mut buf, 16_384),
        Ok(Some(Frame::RstStream(RstStream {
            stream: StreamId::new(1),
            code: ErrorCode::CANCEL
        })))
    );
    let mut big = BytesMut::from(&[0, 0x40, 0x01, 0, 0, 0, 0, 0, 1][..]);
    assert_eq!(
        decode_from(&mut big, 16_384),
        Err(FrameError::TooLarge {
            length: 16_385,
            max: 16_384
        })
    );
}
