//! A client and a server connection of this crate, talking in memory on a virtual clock.

mod support;

use std::time::Duration;

use bytes::Bytes;
use http3_proto::{Config, ErrorCode, Event, Header, HeadersKind, Initiator, SendError, StreamId};
use support::pair::Pair;
use support::{GET, h};

fn get() -> Vec<Header> {
    GET.iter().map(|&(n, v)| h(n, v)).collect()
}

fn post(len: usize) -> Vec<Header> {
    vec![
        h(":method", "POST"),
        h(":scheme", "https"),
        h(":authority", "example.com"),
        h(":path", "/upload"),
        h("content-length", &len.to_string()),
    ]
}

fn ok() -> Vec<Header> {
    vec![h(":status", "200"), h("content-type", "text/plain")]
}

/// A message as one side received it: its field sections, its body, and whether the
/// stream ended.
type Message = (Vec<(HeadersKind, Vec<Header>)>, Vec<u8>, bool);

/// Everything a side received on `id`.
fn message(events: &[Event], id: StreamId) -> Message {
    let mut sections = Vec::new();
    let mut body = Vec::new();
    let mut ended = false;
    for e in events {
        match e {
            Event::Headers {
                stream,
                headers,
                kind,
                end_stream,
            } if *stream == id => {
                sections.push((*kind, headers.clone()));
                ended |= end_stream;
            }
            Event::Data {
                stream,
                data,
                end_stream,
            } if *stream == id => {
                body.extend_from_slice(data);
                ended |= end_stream;
            }
            _ => {}
        }
    }
    (sections, body, ended)
}

#[test]
fn settings_are_exchanged() {
    let mut pair = Pair::with(Config::client(), Config::server());
    pair.run();
    let peer = pair.client.conn.peer_settings().copied().unwrap();
    assert!(peer.enable_connect_protocol);
    assert_eq!(peer.max_field_section_size, Some(64 * 1024));
    assert_eq!(
        pair.server
            .conn
            .peer_settings()
            .unwrap()
            .qpack_max_table_capacity,
        4096
    );
    assert!(pair.client.conn.error().is_none() && pair.server.conn.error().is_none());
}

#[test]
fn get_and_response_with_body() {
    let mut pair = Pair::new();
    let id = pair.request(&get(), true).unwrap();
    pair.run();
    let (sections, _, ended) = message(&pair.server.take_events(), id);
    assert!(ended);
    assert_eq!(
        sections[0].0,
        HeadersKind::Request {
            content_length: None,
            is_head: false
        }
    );
    assert_eq!(sections[0].1, get());
    pair.server.conn.send_headers(id, &ok(), false).unwrap();
    pair.server
        .conn
        .send_data(id, Bytes::from_static(b"hello"), true)
        .unwrap();
    pair.run();
    let (sections, body, ended) = message(&pair.client.take_events(), id);
    assert_eq!(sections[0].0, HeadersKind::Response { status: 200 });
    assert_eq!(body, b"hello");
    assert!(ended);
    // Both sides forgot the finished stream.
    assert_eq!(pair.client.conn.stream_count(), 0);
    assert_eq!(pair.server.conn.stream_count(), 0);
}

#[test]
fn post_with_large_body_and_trailers_both_ways() {
    let mut pair = Pair::new();
    let body: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    let id = pair.request(&post(body.len()), false).unwrap();
    for chunk in body.chunks(16_384) {
        pair.client
            .conn
            .send_data(id, Bytes::copy_from_slice(chunk), false)
            .unwrap();
    }
    pair.client
        .conn
        .send_trailers(id, &[h("x-checksum", "abc")])
        .unwrap();
    pair.run();
    let (sections, got, ended) = message(&pair.server.take_events(), id);
    assert!(got == body, "{} of {} octets", got.len(), body.len());
    assert!(ended);
    assert_eq!(sections.last().unwrap().0, HeadersKind::Trailers);
    assert_eq!(sections.last().unwrap().1, vec![h("x-checksum", "abc")]);

    pair.server.conn.send_headers(id, &ok(), false).unwrap();
    pair.server
        .conn
        .send_data(id, Bytes::from_static(b"done"), false)
        .unwrap();
    pair.server
        .conn
        .send_trailers(id, &[h("grpc-status", "0")])
        .unwrap();
    pair.run();
    let (sections, got, ended) = message(&pair.client.take_events(), id);
    assert_eq!(got, b"done");
    assert!(ended);
    assert_eq!(
        sections[1],
        (HeadersKind::Trailers, vec![h("grpc-status", "0")])
    );
}

#[test]
fn many_concurrent_streams_share_the_dynamic_table() {
    let mut pair = Pair::new();
    let mut ids = Vec::new();
    for i in 0..50 {
        let mut req = get();
        req.push(h("x-request", &format!("{i}")));
        req.push(h("user-agent", "weft-test/1.0 with a long value to index"));
        ids.push(pair.request(&req, true).unwrap());
    }
    pair.run();
    let events = pair.server.take_events();
    for &id in &ids {
        let (sections, _, ended) = message(&events, id);
        assert_eq!(sections.len(), 1, "{id:?}");
        assert!(ended);
    }
    for &id in ids.iter().rev() {
        pair.server.conn.send_headers(id, &ok(), false).unwrap();
        pair.server
            .conn
            .send_data(id, Bytes::from(format!("{}", id.0)), true)
            .unwrap();
    }
    pair.run();
    let events = pair.client.take_events();
    for &id in &ids {
        let (_, body, ended) = message(&events, id);
        assert_eq!(body, format!("{}", id.0).as_bytes());
        assert!(ended);
    }
    assert!(pair.client.conn.error().is_none() && pair.server.conn.error().is_none());
}

#[test]
fn a_section_blocked_on_the_encoder_stream_resumes_in_order() {
    let mut pair = Pair::new();
    // The first request inserts into the dynamic table; hold the client's encoder
    // stream so the server sees the request stream first (RFC 9204 §2.1.2).
    pair.client.hold = Some(http3_proto::Target::QpackEncoder);
    let mut req = post(5);
    req.push(h("x-custom", "a value worth indexing"));
    let id = pair.request(&req, false).unwrap();
    pair.client
        .conn
        .send_data(id, Bytes::from_static(b"hello"), true)
        .unwrap();
    pair.run();
    assert!(
        message(&pair.server.events, id).0.is_empty(),
        "the section must wait for the inserts"
    );
    assert!(!pair.client.held.is_empty(), "the encoder inserted nothing");
    let now = pair.now;
    Pair::release(now, &mut pair.client, &mut pair.server);
    pair.run();
    let (sections, body, ended) = message(&pair.server.take_events(), id);
    assert_eq!(sections[0].1, req);
    assert_eq!(body, b"hello");
    assert!(ended);
}

#[test]
fn server_graceful_goaway_refuses_late_requests() {
    let mut pair = Pair::new();
    let early = pair.request(&get(), true).unwrap();
    pair.run();
    let now = pair.now;
    pair.server.conn.goaway(now);
    pair.run();
    assert!(
        pair.client
            .take_events()
            .contains(&Event::GoAway { id: (1 << 62) - 4 })
    );
    // A request sent during the drain is still served.
    let during = pair.request(&get(), true).unwrap();
    pair.run();
    pair.advance(Duration::from_secs(2));
    let events = pair.client.take_events();
    let final_id = (during.0 >> 2) + 1;
    assert!(
        events.contains(&Event::GoAway { id: final_id << 2 }),
        "{events:?}"
    );
    assert_eq!(
        pair.request(&get(), true),
        Err(SendError::ConnectionClosing)
    );
    for id in [early, during] {
        pair.server.conn.send_headers(id, &ok(), true).unwrap();
    }
    pair.run();
    assert!(pair.server.conn.is_closed());
    assert!(pair.client.conn.is_closed());
}

#[test]
fn goaway_from_server_rejects_unprocessed_client_requests() {
    let mut pair = Pair::with(Config::client(), {
        let mut c = Config::server();
        c.goaway_drain_timeout = Duration::ZERO;
        c
    });
    let first = pair.request(&get(), true).unwrap();
    pair.run();
    let now = pair.now;
    pair.server.conn.goaway(now);
    // The client opens another before the GOAWAY arrives.
    let late = pair.request(&get(), true).unwrap();
    pair.run();
    let events = pair.client.take_events();
    assert!(events.contains(&Event::StreamReset {
        stream: late,
        code: ErrorCode::H3_REQUEST_REJECTED,
        by: Initiator::Remote
    }));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::StreamReset { stream, .. } if *stream == first))
    );
}

#[test]
fn client_goaway_is_push_id_zero() {
    let mut pair = Pair::new();
    let now = pair.now;
    pair.client.conn.goaway(now);
    pair.run();
    assert!(pair.server.take_events().contains(&Event::GoAway { id: 0 }));
    assert!(pair.client.conn.is_closed());
}

#[test]
fn extended_connect_needs_the_peers_setting() {
    let connect = vec![
        h(":method", "CONNECT"),
        h(":protocol", "websocket"),
        h(":scheme", "https"),
        h(":authority", "example.com"),
        h(":path", "/chat"),
    ];
    let mut pair = Pair::new();
    let id = pair.request(&connect, false).unwrap();
    pair.run();
    let (sections, _, _) = message(&pair.server.take_events(), id);
    assert_eq!(sections[0].1, connect);

    let mut server = Config::server();
    server.local.enable_connect_protocol = false;
    let mut pair = Pair::with(Config::client(), server);
    assert_eq!(
        pair.request(&connect, false),
        Err(SendError::ExtendedConnectDisabled)
    );
}

#[test]
fn peers_max_field_section_size_is_kept() {
    let mut server = Config::server();
    server.local.max_field_section_size = Some(200);
    let mut pair = Pair::with(Config::client(), server);
    let mut big = get();
    big.push(h("x-big", &"a".repeat(300)));
    assert_eq!(
        pair.request(&big, true),
        Err(SendError::FieldSectionTooLarge)
    );
    assert!(pair.request(&get(), true).is_ok());
}

#[test]
fn a_too_large_section_resets_only_its_stream() {
    let mut server = Config::server();
    server.limits.max_field_section_size = 300;
    // Advertise nothing, so that the client sends it anyway.
    server.local.max_field_section_size = Some(1 << 20);
    let mut pair = Pair::with(Config::client(), server);
    let mut big = get();
    big.push(h("x-big", &"a".repeat(400)));
    let id = pair.request(&big, true).unwrap();
    pair.run();
    assert!(pair.server.take_events().contains(&Event::StreamReset {
        stream: id,
        code: ErrorCode::H3_EXCESSIVE_LOAD,
        by: Initiator::Local
    }));
    let next = pair.request(&get(), true).unwrap();
    pair.run();
    assert_eq!(message(&pair.server.take_events(), next).0.len(), 1);
}

#[test]
fn header_timeout_resets_a_request_that_never_completes() {
    let mut pair = Pair::new();
    let id = pair.open();
    // One octet of a HEADERS frame, then nothing.
    let now = pair.now;
    pair.server
        .conn
        .recv_stream_data(now, id, Bytes::from_static(&[0x01]), false);
    pair.run();
    pair.advance(Duration::from_secs(11));
    assert!(pair.server.take_events().contains(&Event::StreamReset {
        stream: id,
        code: ErrorCode::H3_REQUEST_INCOMPLETE,
        by: Initiator::Local
    }));
}

#[test]
fn body_timeout_lets_the_server_answer_then_resets() {
    let mut pair = Pair::new();
    let id = pair.request(&post(10), false).unwrap();
    pair.client
        .conn
        .send_data(id, Bytes::from_static(b"abc"), false)
        .unwrap();
    pair.run();
    pair.server.take_events();
    pair.advance(Duration::from_secs(61));
    assert_eq!(
        pair.server.take_events(),
        vec![Event::BodyTimeout { stream: id }]
    );
    pair.advance(Duration::from_secs(61));
    assert!(pair.server.take_events().contains(&Event::StreamReset {
        stream: id,
        code: ErrorCode::H3_REQUEST_CANCELLED,
        by: Initiator::Local
    }));
    assert!(pair.client.take_events().iter().any(|e| matches!(
        e,
        Event::StreamReset { stream, code: ErrorCode::H3_REQUEST_CANCELLED, by: Initiator::Remote } if *stream == id
    )));
}

#[test]
fn an_accepted_extended_connect_is_a_tunnel_that_may_pause() {
    // After a 2xx to CONNECT the stream carries the tunnelled protocol (RFC 9220 §3,
    // RFC 9110 §9.3.6), whose silences are its own: an idle WebSocket is not a stalled
    // upload, so neither the body timeout nor its reset applies.
    let connect = vec![
        h(":method", "CONNECT"),
        h(":protocol", "websocket"),
        h(":scheme", "https"),
        h(":authority", "example.com"),
        h(":path", "/chat"),
    ];
    let mut pair = Pair::new();
    let id = pair.request(&connect, false).unwrap();
    pair.run();
    pair.server.take_events();
    pair.server
        .conn
        .send_headers(id, &[h(":status", "200")], false)
        .unwrap();
    pair.client
        .conn
        .send_data(id, Bytes::from_static(b"ping"), false)
        .unwrap();
    pair.run();
    pair.advance(Duration::from_secs(600));
    pair.client
        .conn
        .send_data(id, Bytes::from_static(b"later"), false)
        .unwrap();
    pair.run();
    let events = pair.server.take_events();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::StreamReset { .. } | Event::BodyTimeout { .. })),
        "{events:?}"
    );
    let (_, body, ended) = message(&events, id);
    assert_eq!(body, b"pinglater");
    assert!(!ended);
}

#[test]
fn stop_sending_and_reset_reach_the_other_side() {
    let mut pair = Pair::new();
    let id = pair.request(&post(100), false).unwrap();
    pair.run();
    pair.server
        .conn
        .reset_stream(id, ErrorCode::H3_REQUEST_REJECTED)
        .unwrap();
    pair.run();
    let events = pair.client.take_events();
    assert!(events.contains(&Event::StopSending {
        stream: id,
        code: ErrorCode::H3_REQUEST_REJECTED
    }));
    assert!(events.contains(&Event::StreamReset {
        stream: id,
        code: ErrorCode::H3_REQUEST_REJECTED,
        by: Initiator::Remote
    }));
    assert_eq!(
        pair.client
            .conn
            .send_data(id, Bytes::from_static(b"x"), false),
        Err(SendError::NoSuchStream(id))
    );
}

#[test]
fn send_errors_are_the_callers() {
    let mut pair = Pair::new();
    let id = pair.request(&post(3), false).unwrap();
    assert_eq!(
        pair.client
            .conn
            .send_data(id, Bytes::from_static(b"abcd"), true),
        Err(SendError::ContentLengthMismatch)
    );
    assert_eq!(
        pair.client.conn.send_trailers(id, &[h("x", "1")]),
        Err(SendError::ContentLengthMismatch)
    );
    assert_eq!(
        pair.client.conn.send_headers(StreamId(2), &get(), true),
        Err(SendError::WrongStream(StreamId(2)))
    );
    assert_eq!(
        pair.client.conn.send_headers(id, &get(), true),
        Err(SendError::InvalidState)
    );
    let bad = vec![h(":method", "GET"), h("X-Upper", "1")];
    let next = pair.open();
    assert_eq!(
        pair.client.conn.send_headers(next, &bad, true),
        Err(SendError::InvalidHeader)
    );
    pair.run();
    // A server cannot answer before the request, nor with 101.
    assert_eq!(
        pair.server.conn.send_headers(StreamId(400), &ok(), true),
        Err(SendError::NoSuchStream(StreamId(400)))
    );
    assert_eq!(
        pair.server
            .conn
            .send_headers(id, &[h(":status", "101")], false),
        Err(SendError::InvalidHeader)
    );
    assert_eq!(
        pair.server
            .conn
            .send_data(id, Bytes::from_static(b"x"), false),
        Err(SendError::InvalidState)
    );
}

#[test]
fn informational_then_final_response() {
    let mut pair = Pair::new();
    let id = pair.request(&get(), true).unwrap();
    pair.run();
    pair.server
        .conn
        .send_headers(id, &[h(":status", "103"), h("link", "</a.css>")], false)
        .unwrap();
    pair.server.conn.send_headers(id, &ok(), true).unwrap();
    pair.run();
    let (sections, _, ended) = message(&pair.client.take_events(), id);
    assert_eq!(sections[0].0, HeadersKind::Informational { status: 103 });
    assert_eq!(sections[1].0, HeadersKind::Response { status: 200 });
    assert!(ended);
}

#[test]
fn head_response_carries_no_content() {
    let mut pair = Pair::new();
    let head = vec![
        h(":method", "HEAD"),
        h(":scheme", "https"),
        h(":authority", "a"),
        h(":path", "/"),
    ];
    let id = pair.request(&head, true).unwrap();
    pair.run();
    let (sections, _, _) = message(&pair.server.take_events(), id);
    assert_eq!(
        sections[0].0,
        HeadersKind::Request {
            content_length: None,
            is_head: true
        }
    );
    let with_length = vec![h(":status", "200"), h("content-length", "1234")];
    pair.server
        .conn
        .send_headers(id, &with_length, true)
        .unwrap();
    pair.run();
    let (sections, body, ended) = message(&pair.client.take_events(), id);
    assert_eq!(sections.len(), 1);
    assert!(body.is_empty() && ended);
    assert!(pair.client.conn.error().is_none());
}

#[test]
fn transport_closing_with_open_requests_is_reported() {
    let mut pair = Pair::new();
    pair.request(&get(), false).unwrap();
    pair.run();
    let now = pair.now;
    pair.server.conn.recv_closed(now);
    pair.run();
    assert!(matches!(
        pair.server.take_events().last(),
        Some(Event::ConnectionLost(
            http3_proto::ConnectionError::TransportClosed { open_streams: 1 }
        ))
    ));
}
