//! Each denial-of-service guard of `Limits`, tripped: the connection or the stream ends
//! with the documented code, and what the peer sent is not held beyond the limit.

mod support;

use http3_proto::{Config, ConnectionError, ErrorCode, Event, RateLimit, StreamId};
use support::{
    CLIENT_UNI_0, GET, Raw, control_preface, data_frame, frame, headers_frame, settings, varint,
};

fn server(configure: impl FnOnce(&mut Config)) -> Raw {
    let mut config = Config::server();
    configure(&mut config);
    Raw::server_with(config)
}

fn flood(raw: &Raw) -> Option<&'static str> {
    match raw.lost() {
        Some(ConnectionError::Flood { code, reason }) => {
            assert_eq!(*code, ErrorCode::H3_EXCESSIVE_LOAD);
            Some(reason)
        }
        _ => None,
    }
}

#[test]
fn headers_frame_larger_than_the_limit_resets_the_stream_unread() {
    let mut s = server(|c| c.limits.max_headers_frame_size = 100);
    // Only the frame header arrives: the stream is refused before any payload is held.
    let mut bytes = varint(0x01);
    bytes.extend(varint(101));
    s.feed(StreamId(0), &bytes, false);
    assert_eq!(
        s.reset_code(StreamId(0)),
        Some(ErrorCode::H3_EXCESSIVE_LOAD)
    );
    assert_eq!(s.lost(), None);
    s.feed(StreamId(0), &[0u8; 101], true);
    assert_eq!(s.lost(), None);
}

#[test]
fn decoded_section_larger_than_the_limit_resets_the_stream() {
    let mut s = server(|c| c.limits.max_field_section_size = 200);
    // The limit is ours to decode against, whatever we advertised.
    let mut fields: Vec<(&str, &str)> = GET.to_vec();
    let long = "v".repeat(200);
    fields.push(("x-long", &long));
    s.feed(StreamId(0), &headers_frame(&fields), true);
    assert_eq!(
        s.reset_code(StreamId(0)),
        Some(ErrorCode::H3_EXCESSIVE_LOAD)
    );
    assert_eq!(s.lost(), None);
    s.feed(StreamId(4), &headers_frame(GET), true);
    assert!(s.events.iter().any(|e| matches!(
        e,
        Event::Headers {
            stream: StreamId(4),
            ..
        }
    )));
}

#[test]
fn control_frame_larger_than_the_limit_is_a_flood() {
    let mut s = Raw::new(Config::server());
    let mut bytes = varint(0x00);
    bytes.extend(varint(0x04));
    bytes.extend(varint(4097));
    s.feed(CLIENT_UNI_0, &bytes, false);
    assert_eq!(flood(&s), Some("control frame too large"));
}

#[test]
fn too_many_settings_is_a_flood() {
    let mut s = Raw::new(Config::server());
    let pairs: Vec<(u64, u64)> = (0..33).map(|i| (0x21 + 0x1f * i, 0)).collect();
    let mut bytes = varint(0x00);
    bytes.extend(settings(&pairs));
    s.feed(CLIENT_UNI_0, &bytes, false);
    assert_eq!(flood(&s), Some("too many settings"));
}

#[test]
fn streams_beyond_the_concurrency_limit_are_rejected() {
    let mut s = server(|c| c.limits.max_concurrent_streams = 2);
    for i in 0..3 {
        s.feed(StreamId(i * 4), &headers_frame(GET), false);
    }
    assert_eq!(s.conn.stream_count(), 2);
    assert_eq!(
        s.reset_code(StreamId(8)),
        Some(ErrorCode::H3_REQUEST_REJECTED)
    );
    assert_eq!(
        s.stop_code(StreamId(8)),
        Some(ErrorCode::H3_REQUEST_REJECTED)
    );
    // A stream identifier far past the open ones cannot come from a transport kept to
    // the same limit.
    s.feed(StreamId(4 * 1000), &headers_frame(GET), false);
    assert!(flood(&s).is_some());
}

#[test]
fn bytes_behind_a_blocked_section_are_bounded() {
    let mut s = server(|c| c.limits.max_blocked_stream_bytes = 1000);
    // Required Insert Count 1 (encoded 2) with nothing inserted: the section blocks.
    let mut bytes = frame(0x01, &[0x02, 0x00, 0x80]);
    bytes.extend(data_frame(&[0u8; 500]));
    s.feed(StreamId(0), &bytes, false);
    assert_eq!(s.reset_code(StreamId(0)), None);
    s.feed(StreamId(0), &data_frame(&[0u8; 600]), false);
    assert_eq!(
        s.reset_code(StreamId(0)),
        Some(ErrorCode::H3_EXCESSIVE_LOAD)
    );
    assert_eq!(s.lost(), None);
}

#[test]
fn rapid_reset_is_a_flood() {
    let mut s = server(|c| {
        c.limits.remote_reset_rate = RateLimit {
            burst: 5,
            per_second: 1,
        }
    });
    let now = s.now;
    for i in 0..6 {
        let id = StreamId(i * 4);
        s.feed(id, &headers_frame(GET), false);
        s.conn.recv_reset(now, id, ErrorCode::H3_REQUEST_CANCELLED);
        s.drain();
    }
    assert_eq!(flood(&s), Some("too many requests cancelled by peer"));
}

#[test]
fn provoked_stream_errors_are_a_flood() {
    let mut s = server(|c| {
        c.limits.local_reset_rate = RateLimit {
            burst: 3,
            per_second: 1,
        }
    });
    for i in 0..4 {
        // Uppercase name: malformed, a stream error each (MadeYouReset).
        s.feed(
            StreamId(i * 4),
            &headers_frame(&[(":method", "GET"), ("X", "1")]),
            true,
        );
    }
    assert_eq!(flood(&s), Some("too many stream errors"));
}

#[test]
fn empty_frames_are_a_flood() {
    let mut s = server(|c| c.limits.max_empty_frames = 10);
    let mut bytes = headers_frame(GET);
    for _ in 0..5 {
        bytes.extend(data_frame(&[]));
        bytes.extend(frame(0x21, &[]));
    }
    s.feed(StreamId(0), &bytes, false);
    assert_eq!(s.lost(), None);
    s.feed(StreamId(0), &data_frame(&[]), false);
    assert_eq!(flood(&s), Some("too many empty frames"));
    // Empty unknown frames on the control stream count too.
    let mut s = server(|c| c.limits.max_empty_frames = 3);
    s.feed(CLIENT_UNI_0, &frame(0x21, &[]).repeat(4), false);
    assert_eq!(flood(&s), Some("too many empty frames"));
}

#[test]
fn unknown_unidirectional_streams_are_a_flood() {
    let mut s = server(|c| c.limits.max_ignored_uni_streams = 3);
    for i in 1..=3 {
        s.feed(StreamId(2 + 4 * i), &varint(0x21), true);
    }
    assert_eq!(s.lost(), None);
    s.feed(StreamId(2 + 4 * 4), &varint(0x21), true);
    assert_eq!(flood(&s), Some("too many unknown unidirectional streams"));
}

#[test]
fn a_trickled_control_stream_holds_at_most_one_frame_header() {
    // The control stream's type and SETTINGS arrive one octet at a time: nothing is
    // lost, and the connection only ever holds the few octets of a frame header.
    let mut s = Raw::new(Config::server());
    for b in control_preface() {
        s.feed(CLIENT_UNI_0, &[b], false);
    }
    assert!(s.events.iter().any(|e| matches!(e, Event::Settings(_))));
    assert_eq!(s.lost(), None);
}
