//! RFC 9114 and RFC 9204 rules, one test each, with the peer's bytes written by hand
//! (tests/support builds frames without the crate's own encoder).

mod support;

use http3_proto::{
    Config, ConnectionError, ErrorCode, Event, HeadersKind, Initiator, SendError, StreamId, Target,
};
use support::{
    CLIENT_UNI_0, CLIENT_UNI_1, CLIENT_UNI_2, CLIENT_UNI_3, GET, Raw, control_preface, data_frame,
    frame, headers_frame, settings, varint,
};

const REQ: StreamId = StreamId(0);

fn with(fields: &[(&str, &str)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .chain(extra)
        .map(|&(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

fn headers_of(fields: &[(String, String)]) -> Vec<u8> {
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    headers_frame(&refs)
}

fn server_after(stream: StreamId, bytes: &[u8], fin: bool) -> Raw {
    let mut s = Raw::server();
    s.feed(stream, bytes, fin);
    s
}

// ---- what we send -----------------------------------------------------------------------

#[test]
fn we_open_control_and_qpack_streams_with_settings_and_grease() {
    let raw = Raw::new(Config::server());
    let (control, fin) = raw.written(Target::Control);
    assert!(!fin);
    assert_eq!(control[0], 0x00, "control stream type");
    assert_eq!(control[1], 0x04, "SETTINGS first (RFC 9114 §6.2.1)");
    let (settings_len, n) = http3_proto::varint::decode(&control[2..]).unwrap();
    let payload = &control[2 + n..2 + n + settings_len as usize];
    let mut ids = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let (k, a) = http3_proto::varint::decode(rest).unwrap();
        let (_, b) = http3_proto::varint::decode(&rest[a..]).unwrap();
        ids.push(k);
        rest = &rest[a + b..];
    }
    assert!(
        ids.iter().any(|&k| http3_proto::frame::is_grease(k)),
        "{ids:?}"
    );
    // A reserved frame type follows SETTINGS (RFC 9114 §7.2.8).
    let after = &control[2 + n + settings_len as usize..];
    let (ty, _) = http3_proto::varint::decode(after).unwrap();
    assert!(http3_proto::frame::is_grease(ty));
    assert_eq!(raw.written(Target::QpackEncoder).0, [0x02]);
    assert_eq!(raw.written(Target::QpackDecoder).0, [0x03]);
}

// ---- the control stream (RFC 9114 §6.2.1, §7.2.4) ------------------------------------------

#[test]
fn control_stream_must_start_with_settings() {
    let mut s = Raw::new(Config::server());
    let mut bytes = varint(0x00);
    bytes.extend(frame(0x07, &varint(0)));
    s.feed(CLIENT_UNI_0, &bytes, false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_MISSING_SETTINGS));
}

#[test]
fn second_settings_is_unexpected() {
    let s = server_after(CLIENT_UNI_0, &settings(&[]), false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_UNEXPECTED));
}

#[test]
fn second_control_stream_is_a_creation_error() {
    let s = server_after(CLIENT_UNI_1, &control_preface(), false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_STREAM_CREATION_ERROR));
}

#[test]
fn closing_the_control_stream_is_critical() {
    let s = server_after(CLIENT_UNI_0, &[], true);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_CLOSED_CRITICAL_STREAM));
    let mut s = Raw::server();
    let now = s.now;
    s.conn.recv_reset(now, CLIENT_UNI_0, ErrorCode::H3_NO_ERROR);
    s.drain();
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_CLOSED_CRITICAL_STREAM));
    let mut s = Raw::server();
    let now = s.now;
    s.conn
        .recv_stop_sending(now, Target::Control, ErrorCode::H3_NO_ERROR);
    s.drain();
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_CLOSED_CRITICAL_STREAM));
}

#[test]
fn message_frames_on_the_control_stream_are_unexpected() {
    for f in [data_frame(b"x"), headers_frame(GET), frame(0x05, &[0, 0])] {
        let s = server_after(CLIENT_UNI_0, &f, false);
        assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_UNEXPECTED), "{f:?}");
    }
}

#[test]
fn http2_frame_types_are_unexpected_anywhere() {
    for ty in [0x02, 0x06, 0x08, 0x09] {
        let s = server_after(CLIENT_UNI_0, &frame(ty, &[0; 4]), false);
        assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_UNEXPECTED), "{ty}");
        let mut bytes = headers_frame(GET);
        bytes.extend(frame(ty, &[0; 4]));
        let s = server_after(REQ, &bytes, false);
        assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_UNEXPECTED), "{ty}");
    }
}

#[test]
fn settings_errors() {
    let cases: [(&[(u64, u64)], ErrorCode); 4] = [
        (&[(0x02, 0)], ErrorCode::H3_SETTINGS_ERROR),
        (&[(0x06, 100), (0x06, 100)], ErrorCode::H3_SETTINGS_ERROR),
        (&[(0x08, 2)], ErrorCode::H3_SETTINGS_ERROR),
        (&[(0x00, 0)], ErrorCode::H3_SETTINGS_ERROR),
    ];
    for (pairs, code) in cases {
        let mut s = Raw::new(Config::server());
        let mut bytes = varint(0x00);
        bytes.extend(settings(pairs));
        s.feed(CLIENT_UNI_0, &bytes, false);
        assert_eq!(s.lost_code(), Some(code), "{pairs:?}");
    }
    // A payload that ends inside a pair is a frame error.
    let mut s = Raw::new(Config::server());
    let mut bytes = varint(0x00);
    bytes.extend(frame(0x04, &[0x06]));
    s.feed(CLIENT_UNI_0, &bytes, false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_ERROR));
}

#[test]
fn unknown_settings_and_frames_are_ignored() {
    let mut s = Raw::new(Config::server());
    let mut bytes = varint(0x00);
    bytes.extend(settings(&[(0x21, 7), (0x4242, 1), (0x06, 1000)]));
    bytes.extend(frame(0x21, b"grease"));
    bytes.extend(frame(0x1234_5678, &[]));
    s.feed(CLIENT_UNI_0, &bytes, false);
    assert_eq!(s.lost(), None);
    assert!(s.events.iter().any(|e| matches!(
        e,
        Event::Settings(p) if p.max_field_section_size == Some(1000)
    )));
}

#[test]
fn goaway_and_push_id_rules() {
    // A server may receive GOAWAY with a push ID; it must not increase.
    let mut s = server_after(CLIENT_UNI_0, &frame(0x07, &varint(8)), false);
    assert!(s.events.contains(&Event::GoAway { id: 8 }));
    s.feed(CLIENT_UNI_0, &frame(0x07, &varint(9)), false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_ID_ERROR));
    // MAX_PUSH_ID must not decrease. A server that never sent PUSH_PROMISE has
    // mentioned no push ID, so CANCEL_PUSH is an ID error at, below and above the
    // client's MAX_PUSH_ID alike (RFC 9114 §7.2.3).
    for push in [0, 5, 6] {
        let mut s = server_after(CLIENT_UNI_0, &frame(0x0d, &varint(5)), false);
        assert_eq!(s.lost(), None);
        s.feed(CLIENT_UNI_0, &frame(0x03, &varint(push)), false);
        assert_eq!(s.lost_code(), Some(ErrorCode::H3_ID_ERROR), "push {push}");
    }
    let s = server_after(
        CLIENT_UNI_0,
        &[frame(0x0d, &varint(5)), frame(0x0d, &varint(4))].concat(),
        false,
    );
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_ID_ERROR));
    // A GOAWAY with a trailing octet is a frame error (RFC 9114 §7.1).
    let s = server_after(CLIENT_UNI_0, &frame(0x07, &[0x00, 0x00]), false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_ERROR));
}

#[test]
fn client_rules_for_what_a_server_sends() {
    let client = || {
        let mut c = Raw::new(Config::client());
        c.feed(StreamId(3), &control_preface(), false);
        c
    };
    // GOAWAY must name a client-initiated bidirectional stream.
    let mut c = client();
    c.feed(StreamId(3), &frame(0x07, &varint(1)), false);
    assert_eq!(c.lost_code(), Some(ErrorCode::H3_ID_ERROR));
    // A client never allows pushes here: MAX_PUSH_ID from a server is unexpected,
    // and a push stream is an ID error.
    let mut c = client();
    c.feed(StreamId(3), &frame(0x0d, &varint(1)), false);
    assert_eq!(c.lost_code(), Some(ErrorCode::H3_FRAME_UNEXPECTED));
    let mut c = client();
    c.feed(StreamId(7), &varint(0x01), false);
    assert_eq!(c.lost_code(), Some(ErrorCode::H3_ID_ERROR));
    // A server-initiated bidirectional stream has no meaning.
    let mut c = client();
    c.feed(StreamId(1), b"x", false);
    assert_eq!(c.lost_code(), Some(ErrorCode::H3_STREAM_CREATION_ERROR));
}

// ---- other unidirectional streams (RFC 9114 §6.2, RFC 9204 §4.2) -----------------------------

#[test]
fn unknown_stream_types_are_stopped_not_fatal() {
    let mut s = Raw::server();
    s.feed(CLIENT_UNI_1, &varint(0x21), false);
    assert_eq!(s.lost(), None);
    assert_eq!(
        s.stop_code(CLIENT_UNI_1),
        Some(ErrorCode::H3_STREAM_CREATION_ERROR)
    );
    // Later bytes on it are dropped.
    s.feed(CLIENT_UNI_1, b"anything", true);
    assert_eq!(s.lost(), None);
}

#[test]
fn push_stream_from_a_client_is_a_creation_error() {
    let s = server_after(CLIENT_UNI_1, &varint(0x01), false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_STREAM_CREATION_ERROR));
}

#[test]
fn qpack_streams_are_unique_and_critical() {
    for ty in [0x02, 0x03] {
        let mut s = server_after(CLIENT_UNI_1, &varint(ty), false);
        s.feed(CLIENT_UNI_2, &varint(ty), false);
        assert_eq!(s.lost_code(), Some(ErrorCode::H3_STREAM_CREATION_ERROR));
        let s = server_after(CLIENT_UNI_1, &varint(ty), true);
        assert_eq!(s.lost_code(), Some(ErrorCode::H3_CLOSED_CRITICAL_STREAM));
    }
}

#[test]
fn qpack_stream_errors_carry_their_codes() {
    // Set Dynamic Table Capacity above what we advertised (RFC 9204 §4.3.1).
    let mut bytes = varint(0x02);
    bytes.extend([0x3f, 0xe1, 0xff, 0x03]);
    let s = server_after(CLIENT_UNI_1, &bytes, false);
    assert_eq!(s.lost_code(), Some(ErrorCode::QPACK_ENCODER_STREAM_ERROR));
    // An Insert Count Increment of zero (RFC 9204 §4.4.3).
    let s = server_after(CLIENT_UNI_1, &[0x03, 0x00], false);
    assert_eq!(s.lost_code(), Some(ErrorCode::QPACK_DECODER_STREAM_ERROR));
    // A section that refers to the dynamic table beyond anything inserted, with
    // blocking off, cannot be decoded.
    let mut config = Config::server();
    config.local.qpack_blocked_streams = 0;
    let mut s = Raw::server_with(config);
    s.feed(REQ, &frame(0x01, &[0x02, 0x00, 0x80]), false);
    assert_eq!(s.lost_code(), Some(ErrorCode::QPACK_DECOMPRESSION_FAILED));
}

#[test]
fn streams_opened_out_of_order_are_all_read() {
    let mut s = Raw::new(Config::server());
    // The control stream (2) arrives after a later unknown stream (6).
    s.feed(CLIENT_UNI_3, &varint(0x54), false);
    s.feed(CLIENT_UNI_0, &control_preface(), false);
    assert_eq!(s.lost(), None);
    assert!(s.events.iter().any(|e| matches!(e, Event::Settings(_))));
    // Request 8 before request 0 and 4.
    s.feed(StreamId(8), &headers_frame(GET), true);
    s.feed(StreamId(0), &headers_frame(GET), true);
    let requests = s
        .events
        .iter()
        .filter(|e| matches!(e, Event::Headers { .. }))
        .count();
    assert_eq!(requests, 2);
}

// ---- request streams (RFC 9114 §4.1, §7.1) --------------------------------------------------

#[test]
fn a_request_is_reported_validated() {
    let s = server_after(REQ, &headers_frame(GET), true);
    assert_eq!(
        s.events,
        vec![Event::Headers {
            stream: REQ,
            headers: GET.iter().map(|&(n, v)| support::h(n, v)).collect(),
            end_stream: true,
            kind: HeadersKind::Request {
                content_length: None,
                is_head: false
            },
        }]
    );
}

#[test]
fn data_before_headers_is_unexpected() {
    let s = server_after(REQ, &data_frame(b"x"), false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_UNEXPECTED));
}

#[test]
fn frames_after_trailers_are_unexpected() {
    let mut bytes = headers_frame(GET);
    bytes.extend(headers_frame(&[("x-trailer", "1")]));
    bytes.extend(data_frame(b"late"));
    let s = server_after(REQ, &bytes, false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_UNEXPECTED));
}

#[test]
fn control_frames_on_a_request_stream_are_unexpected() {
    for f in [
        settings(&[]),
        frame(0x07, &varint(0)),
        frame(0x0d, &varint(0)),
        frame(0x03, &varint(0)),
    ] {
        let mut bytes = headers_frame(GET);
        bytes.extend(&f);
        let s = server_after(REQ, &bytes, false);
        assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_UNEXPECTED), "{f:?}");
    }
    let s = server_after(REQ, &frame(0x05, &[0, 0]), false);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_UNEXPECTED));
}

#[test]
fn a_stream_that_ends_inside_a_frame_is_a_frame_error() {
    let mut bytes = headers_frame(GET);
    bytes.extend([0x00, 0x05, b'a']);
    let s = server_after(REQ, &bytes, true);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_ERROR));
    // Inside a frame header, too.
    let s = server_after(REQ, &[0x01], true);
    assert_eq!(s.lost_code(), Some(ErrorCode::H3_FRAME_ERROR));
}

#[test]
fn unknown_frames_on_a_request_stream_are_skipped() {
    let mut bytes = frame(0x21, b"grease before headers");
    bytes.extend(headers_frame(GET));
    bytes.extend(frame(0x40, b"and between"));
    let s = server_after(REQ, &bytes, true);
    assert_eq!(s.lost(), None);
    assert!(matches!(
        s.events[0],
        Event::Headers {
            end_stream: true,
            ..
        }
    ));
}

#[test]
fn malformed_requests_are_message_errors() {
    let cases: Vec<Vec<(String, String)>> = vec![
        with(
            &[
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", "a"),
            ],
            &[],
        ),
        with(&[(":scheme", "https"), (":path", "/")], &[]),
        with(GET, &[("Upper", "x")]),
        with(GET, &[("connection", "keep-alive")]),
        with(GET, &[("transfer-encoding", "chunked")]),
        with(GET, &[(":status", "200")]),
        with(GET, &[("te", "gzip")]),
        with(GET, &[("x", "a\u{0}b")]),
        with(
            &[
                (":method", "GET"),
                ("x", "1"),
                (":path", "/"),
                (":scheme", "https"),
            ],
            &[],
        ),
    ];
    for fields in cases {
        let s = server_after(REQ, &headers_of(&fields), true);
        assert_eq!(s.lost(), None, "{fields:?}");
        assert_eq!(
            s.reset_code(REQ),
            Some(ErrorCode::H3_MESSAGE_ERROR),
            "{fields:?}"
        );
        assert!(s.events.contains(&Event::StreamReset {
            stream: REQ,
            code: ErrorCode::H3_MESSAGE_ERROR,
            by: Initiator::Local
        }));
    }
}

#[test]
fn protocol_pseudo_header_needs_extended_connect() {
    let connect = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":authority", "a"),
        (":path", "/"),
    ];
    let s = server_after(REQ, &headers_frame(&connect), false);
    assert!(matches!(s.events[0], Event::Headers { .. }));
    let mut config = Config::server();
    config.local.enable_connect_protocol = false;
    let mut s = Raw::server_with(config);
    s.feed(REQ, &headers_frame(&connect), false);
    assert_eq!(s.reset_code(REQ), Some(ErrorCode::H3_MESSAGE_ERROR));
}

#[test]
fn content_length_must_match_the_data() {
    let post = with(GET, &[("content-length", "3")]);
    let mut longer = headers_of(&post);
    longer.extend(data_frame(b"abcd"));
    let s = server_after(REQ, &longer, true);
    assert_eq!(s.reset_code(REQ), Some(ErrorCode::H3_MESSAGE_ERROR));
    let mut shorter = headers_of(&post);
    shorter.extend(data_frame(b"ab"));
    let s = server_after(REQ, &shorter, true);
    assert_eq!(s.reset_code(REQ), Some(ErrorCode::H3_MESSAGE_ERROR));
    let mut exact = headers_of(&post);
    exact.extend(data_frame(b"ab"));
    exact.extend(data_frame(b"c"));
    let s = server_after(REQ, &exact, true);
    assert_eq!(s.reset_code(REQ), None);
    assert!(matches!(
        s.events.last(),
        Some(Event::Data {
            end_stream: true,
            ..
        })
    ));
}

#[test]
fn a_stream_that_ends_before_its_request_is_incomplete() {
    let s = server_after(REQ, &frame(0x21, b"x"), true);
    assert_eq!(s.lost(), None);
    assert_eq!(s.reset_code(REQ), Some(ErrorCode::H3_REQUEST_INCOMPLETE));
}

#[test]
fn a_peer_reset_is_reported_and_late_bytes_dropped() {
    let mut s = server_after(REQ, &headers_frame(GET), false);
    let now = s.now;
    s.conn.recv_reset(now, REQ, ErrorCode::H3_REQUEST_CANCELLED);
    s.drain();
    assert!(s.events.contains(&Event::StreamReset {
        stream: REQ,
        code: ErrorCode::H3_REQUEST_CANCELLED,
        by: Initiator::Remote
    }));
    s.feed(REQ, &data_frame(b"late"), true);
    assert!(!s.events.iter().any(|e| matches!(e, Event::Data { .. })));
}

#[test]
fn a_connection_error_is_reported_once_and_last() {
    let mut s = server_after(REQ, &data_frame(b"x"), false);
    s.feed(REQ, &headers_frame(GET), true);
    s.feed(StreamId(4), &headers_frame(GET), true);
    let lost: Vec<&ConnectionError> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionLost(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(lost.len(), 1);
    // The application's commands after it change nothing either.
    assert_eq!(
        s.conn.reset_stream(REQ, ErrorCode::H3_REQUEST_CANCELLED),
        Err(SendError::ConnectionClosing)
    );
    assert_eq!(
        s.conn.stop_reading(REQ, ErrorCode::H3_NO_ERROR),
        Err(SendError::ConnectionClosing)
    );
    s.drain();
    assert!(matches!(s.events.last(), Some(Event::ConnectionLost(_))));
    assert!(s.conn.is_closed());
    assert_eq!(s.conn.poll_timeout(), None);
}
