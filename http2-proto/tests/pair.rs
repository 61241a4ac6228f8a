//! Client and server connections against each other on a virtual clock.

mod support;

use std::time::Duration;

use bytes::Bytes;
use support::pair::{Pair, body_of, bytes_of};
use weft_http2::{
    Config, Connection, ConnectionError, ErrorCode, Event, Header, HeadersKind, Initiator,
    SendError, StreamId,
};

fn request(method: &str) -> Vec<Header> {
    vec![
        Header::new(":method", method.to_string()),
        Header::new(":scheme", "https"),
        Header::new(":path", "/x"),
        Header::new(":authority", "example.com"),
        Header::new("user-agent", "pair-test"),
    ]
}

fn status(code: &'static str) -> Vec<Header> {
    vec![Header::new(":status", code), Header::new("server", "weft")]
}

#[test]
fn get_and_response_round_trip() {
    let mut p = Pair::new();
    let id = p.client.open_stream().unwrap();
    assert_eq!(id, StreamId::new(1));
    p.client.send_headers(id, &request("GET"), true).unwrap();
    p.drive();
    let ev = p.take_server_events();
    let req = ev.iter().find_map(|e| match e {
        Event::Headers {
            stream,
            headers,
            end_stream: true,
            kind:
                HeadersKind::Request {
                    content_length: None,
                    is_head: false,
                    extended_connect: false,
                },
        } => Some((*stream, headers.clone())),
        _ => None,
    });
    let (sid, headers) = req.expect("request event");
    assert_eq!(sid, id);
    assert_eq!(headers, request("GET"));
    p.server.send_headers(id, &status("200"), false).unwrap();
    assert_eq!(
        p.server.send_data(id, Bytes::from_static(b"hello"), true),
        Ok(5)
    );
    p.drive();
    let ev = p.take_client_events();
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Headers {
            kind: HeadersKind::Response,
            end_stream: false,
            ..
        }
    )));
    assert_eq!(body_of(&ev, id), b"hello");
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Data {
            end_stream: true,
            ..
        }
    )));
    assert_eq!(
        p.client.stream_state(id),
        None,
        "closed streams leave the table"
    );
    assert_eq!(p.server.stream_count(), 0);
}

#[test]
fn informational_then_final_then_trailers() {
    let mut p = Pair::new();
    let id = p.client.open_stream().unwrap();
    let mut req = request("POST");
    req.push(Header::new("content-length", "3"));
    p.client.send_headers(id, &req, false).unwrap();
    p.client
        .send_data(id, Bytes::from_static(b"abc"), false)
        .unwrap();
    p.client
        .send_trailers(id, &[Header::new("x-checksum", "1")])
        .unwrap();
    p.drive();
    let ev = p.take_server_events();
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Headers {
            kind: HeadersKind::Trailers,
            end_stream: true,
            ..
        }
    )));
    p.server.send_headers(id, &status("103"), false).unwrap();
    assert_eq!(
        p.server.send_headers(id, &status("100"), true),
        Err(SendError::InvalidState)
    );
    p.server.send_headers(id, &status("200"), false).unwrap();
    p.server
        .send_data(id, Bytes::from_static(b"ok"), false)
        .unwrap();
    // A second final head without END_STREAM is not allowed: only trailers may follow.
    assert_eq!(
        p.server.send_headers(id, &status("200"), false),
        Err(SendError::InvalidState)
    );
    p.server
        .send_trailers(id, &[Header::new("grpc-status", "0")])
        .unwrap();
    p.drive();
    let kinds: Vec<HeadersKind> = p
        .take_client_events()
        .iter()
        .filter_map(|e| match e {
            Event::Headers { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            HeadersKind::Informational,
            HeadersKind::Response,
            HeadersKind::Trailers
        ]
    );
    assert_eq!(
        p.server.send_data(id, Bytes::from_static(b"x"), true),
        Err(SendError::StreamClosed(id))
    );
}

/// Streams `len` octets from `from` to `to` through flow control, releasing capacity as
/// an application would, and returns what arrived.
fn upload(p: &mut Pair, len: usize) -> Vec<u8> {
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request("PUT"), false).unwrap();
    let mut rest = bytes_of(len);
    let mut received = Vec::new();
    let mut guard = 0;
    while !rest.is_empty() || received.len() < len {
        guard += 1;
        assert!(
            guard < 100_000,
            "upload stalled at {} of {len}",
            received.len()
        );
        if !rest.is_empty() {
            match p.client.send_data(id, rest.clone(), true) {
                Ok(n) => rest = rest.slice(n..),
                Err(SendError::Blocked) => {}
                Err(e) => panic!("{e}"),
            }
        }
        p.drive();
        for e in p.take_server_events() {
            if let Event::Data {
                stream,
                data,
                flow_len,
                ..
            } = e
            {
                received.extend_from_slice(&data);
                p.server.release_capacity(stream, flow_len);
            }
        }
        // Windows are never exceeded on either side.
        assert!(p.client.connection_send_window() >= 0);
        assert!(p.server.connection_recv_window() >= 0);
    }
    received
}

#[test]
fn multi_mib_upload_through_flow_control() {
    let mut p = Pair::new();
    let got = upload(&mut p, 5 * 1024 * 1024 + 123);
    assert_eq!(got, bytes_of(5 * 1024 * 1024 + 123).to_vec());
}

#[test]
fn upload_with_rfc_default_windows_sends_batched_window_updates() {
    let mut server = Config::server();
    server.local.initial_window_size = 65_535;
    server.connection_window = 65_535;
    let mut p = Pair::with(Config::client(), server);
    let before = p.to_client;
    let got = upload(&mut p, 1024 * 1024);
    assert_eq!(got.len(), 1024 * 1024);
    // Batched at half a window: about 2 updates (stream + connection) per 32 KiB, 13 octets each.
    let updates = (p.to_client - before) / 13;
    assert!(
        updates <= 2 * (1024 * 1024 / 32_767) + 8,
        "{updates} WINDOW_UPDATEs"
    );
}

#[test]
fn download_blocks_and_resumes_on_send_capacity() {
    let mut client = Config::client();
    client.local.initial_window_size = 1000;
    let mut p = Pair::with(client, Config::server());
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request("GET"), true).unwrap();
    p.drive();
    p.server.send_headers(id, &status("200"), false).unwrap();
    let body = bytes_of(5000);
    assert_eq!(p.server.send_data(id, body.clone(), true), Ok(1000));
    assert_eq!(
        p.server.send_data(id, body.slice(1000..), true),
        Err(SendError::Blocked)
    );
    assert_eq!(p.server.send_capacity(id), 0);
    p.drive();
    let ev = p.take_client_events();
    let got = body_of(&ev, id);
    assert_eq!(got.len(), 1000);
    p.client.release_capacity(id, 1000);
    p.drive();
    assert!(
        p.take_server_events()
            .iter()
            .any(|e| matches!(e, Event::SendCapacity { stream } if *stream == id))
    );
    assert_eq!(p.server.send_capacity(id), 1000);
}

#[test]
fn client_respects_max_concurrent_streams() {
    let mut server = Config::server();
    server.local.max_concurrent_streams = Some(2);
    let mut p = Pair::with(Config::client(), server);
    let a = p.client.open_stream().unwrap();
    p.client.send_headers(a, &request("GET"), false).unwrap();
    let b = p.client.open_stream().unwrap();
    p.client.send_headers(b, &request("GET"), false).unwrap();
    assert_eq!(p.client.open_stream(), Err(SendError::TooManyStreams));
    p.drive();
    p.server.send_headers(a, &status("200"), true).unwrap();
    p.client.send_data(a, Bytes::new(), true).unwrap();
    p.drive();
    assert!(p.client.open_stream().is_ok());
}

#[test]
fn server_push_promise_and_refusal() {
    let mut client = Config::client();
    client.local.enable_push = true;
    let mut p = Pair::with(client, Config::server());
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request("GET"), true).unwrap();
    p.drive();
    let promised = p.server.push_promise(id, &request("GET")).unwrap();
    assert_eq!(promised, StreamId::new(2));
    p.server.send_headers(id, &status("200"), true).unwrap();
    p.server
        .send_headers(promised, &status("200"), false)
        .unwrap();
    p.server
        .send_data(promised, Bytes::from_static(b"pushed"), true)
        .unwrap();
    p.drive();
    let ev = p.take_client_events();
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::PushPromise { promised: pr, .. } if *pr == promised))
    );
    assert_eq!(body_of(&ev, promised), b"pushed");

    // A client that disabled push makes the server refuse to promise.
    let mut p = Pair::new();
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request("GET"), true).unwrap();
    p.drive();
    assert_eq!(
        p.server.push_promise(id, &request("GET")),
        Err(SendError::PushDisabled)
    );
}

#[test]
fn graceful_goaway_lets_in_flight_streams_finish() {
    let mut p = Pair::new();
    let a = p.client.open_stream().unwrap();
    p.client.send_headers(a, &request("GET"), true).unwrap();
    p.drive();
    p.server
        .goaway(p.now, ErrorCode::NO_ERROR, Bytes::from_static(b"restart"));
    p.drive();
    // The PING round trip completed, so the final GOAWAY names stream 1.
    let goaways: Vec<StreamId> = p
        .take_client_events()
        .iter()
        .filter_map(|e| match e {
            Event::GoAway { last_stream, .. } => Some(*last_stream),
            _ => None,
        })
        .collect();
    assert_eq!(goaways, vec![StreamId::MAX, a]);
    assert!(!p.server.is_closed(), "stream 1 still open");
    assert_eq!(p.client.open_stream(), Err(SendError::ConnectionClosing));
    p.server.send_headers(a, &status("200"), true).unwrap();
    p.drive();
    assert!(p.server.is_closed());
    assert!(p.client.is_closed());
}

#[test]
fn goaway_refuses_streams_above_last() {
    let mut p = Pair::new();
    let a = p.client.open_stream().unwrap();
    p.client.send_headers(a, &request("GET"), true).unwrap();
    p.drive();
    // Stream 3 is sent but the server's final GOAWAY is already in flight.
    let b = p.client.open_stream().unwrap();
    p.server.goaway(p.now, ErrorCode::NO_ERROR, Bytes::new());
    p.advance(Duration::from_secs(2)); // no PING answer path needed: drain timer
    let ev = p.take_client_events();
    assert_eq!(
        p.client.send_headers(b, &request("GET"), true),
        Err(SendError::StreamClosed(b))
    );
    assert!(
        ev.iter().any(|e| matches!(e, Event::StreamReset { stream, code: ErrorCode::REFUSED_STREAM, by: Initiator::Remote } if *stream == b)),
        "{ev:?}"
    );
    assert_eq!(p.client.stream_state(b), None);
}

#[test]
fn ping_rtt_on_virtual_clock() {
    let mut p = Pair::new();
    p.client.ping(p.now, *b"rtt-test");
    p.drive();
    let ev = p.take_client_events();
    assert!(ev.iter().any(|e| matches!(e, Event::PingAcked { payload, rtt } if payload == b"rtt-test" && rtt.is_zero())));
}

#[test]
fn keepalive_ping_and_timeout() {
    let mut client = Config::client();
    client.keepalive_interval = Some(Duration::from_secs(30));
    client.keepalive_timeout = Duration::from_secs(5);
    let mut p = Pair::with(client, Config::server());
    // The server answers: no error after many intervals.
    for _ in 0..5 {
        p.advance_to_next_timeout();
    }
    assert!(p.client.error().is_none());
    // Now the server goes silent: its bytes are dropped.
    let t = p.client.poll_timeout().unwrap();
    p.now = t;
    p.client.handle_timeout(p.now);
    while p.client.poll_transmit().is_some() {}
    p.now += Duration::from_secs(5);
    p.client.handle_timeout(p.now);
    assert_eq!(p.client.error(), Some(&ConnectionError::KeepAliveTimeout));
    assert!(p.client.is_closed());
}

#[test]
fn settings_ack_timeout() {
    let now = support::epoch();
    let mut c = weft_http2::Connection::new(now, Config::client());
    while c.poll_transmit().is_some() {}
    let deadline = c.poll_timeout().unwrap();
    assert_eq!(deadline, now + Duration::from_secs(10));
    c.handle_timeout(now + Duration::from_secs(9));
    assert!(c.error().is_none());
    c.handle_timeout(deadline);
    assert_eq!(c.error(), Some(&ConnectionError::SettingsTimeout));
    let out: Vec<u8> = std::iter::from_fn(|| c.poll_transmit()).flatten().collect();
    let frames = support::parse_frames(&out);
    assert!(
        matches!(frames.last(), Some(weft_http2::frame::Frame::GoAway(g)) if g.code == ErrorCode::SETTINGS_TIMEOUT)
    );
}

#[test]
fn settings_update_applies_on_ack() {
    let mut p = Pair::new();
    let mut s = *p.server.local_settings();
    s.max_concurrent_streams = Some(7);
    s.initial_window_size = 1 << 20;
    p.server.update_settings(p.now, s);
    p.drive();
    assert_eq!(p.server.local_settings().max_concurrent_streams, Some(7));
    assert_eq!(p.client.peer_settings().max_concurrent_streams, Some(7));
    assert!(
        p.take_server_events()
            .iter()
            .any(|e| matches!(e, Event::SettingsAcked))
    );
}

#[test]
fn reset_stream_and_late_frames_are_ignored() {
    let mut p = Pair::new();
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request("POST"), false).unwrap();
    p.drive();
    p.server.reset_stream(p.now, id, ErrorCode::CANCEL).unwrap();
    // Client data already in flight when the reset arrives.
    p.client
        .send_data(id, Bytes::from_static(b"late"), false)
        .unwrap();
    p.drive();
    assert!(p.server.error().is_none());
    let ev = p.take_client_events();
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::StreamReset {
            code: ErrorCode::CANCEL,
            by: Initiator::Remote,
            ..
        }
    )));
    assert!(
        p.take_server_events()
            .iter()
            .all(|e| !matches!(e, Event::StreamReset { .. }))
    );
}

#[test]
fn eof_with_open_streams_is_reported() {
    let mut p = Pair::new();
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request("GET"), true).unwrap();
    p.drive();
    p.client.recv_eof(p.now);
    assert!(p.client.is_closed());
    let ev: Vec<Event> = std::iter::from_fn(|| p.client.poll_event()).collect();
    assert!(matches!(
        ev.last(),
        Some(Event::ConnectionLost(ConnectionError::UnexpectedEof))
    ));
    // After a clean end (no streams), EOF is not an error.
    let mut p = Pair::new();
    p.server.recv_eof(p.now);
    assert!(p.server.is_closed());
    assert!(
        std::iter::from_fn(|| p.server.poll_event())
            .all(|e| !matches!(e, Event::ConnectionLost(_)))
    );
}

#[test]
fn large_header_block_uses_continuation() {
    let mut p = Pair::new();
    let id = p.client.open_stream().unwrap();
    let mut req = request("GET");
    for i in 0..8 {
        req.push(Header::new(format!("x-big-{i}"), "v".repeat(4000)));
    }
    p.client.send_headers(id, &req, true).unwrap();
    p.drive();
    let ev = p.take_server_events();
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Headers { headers, .. } if headers.len() == req.len()))
    );
}

#[test]
fn h2c_upgrade_entry_points() {
    let now = support::epoch();
    let client_cfg = Config::client();
    let header = client_cfg.local.to_h2c_header_value();
    let mut server =
        weft_http2::Connection::new_h2c_upgrade(now, Config::server(), header.as_bytes()).unwrap();
    let mut client = weft_http2::Connection::new_h2c_client_upgrade(now, client_cfg, false);
    assert_eq!(
        server.peer_settings().initial_window_size,
        Config::client().local.initial_window_size
    );
    // The server answers stream 1, which the upgrade request opened.
    server
        .send_headers(StreamId::new(1), &status("200"), false)
        .unwrap();
    server
        .send_data(StreamId::new(1), Bytes::from_static(b"upgraded"), true)
        .unwrap();
    let mut to_client = Vec::new();
    while let Some(b) = server.poll_transmit() {
        to_client.extend_from_slice(&b);
    }
    while let Some(b) = client.poll_transmit() {
        server.recv(now, &b);
    }
    client.recv(now, &to_client);
    assert_eq!((server.error(), client.error()), (None, None));
    let ev: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
    assert_eq!(body_of(&ev, StreamId::new(1)), b"upgraded");
    assert!(weft_http2::Connection::new_h2c_upgrade(now, Config::server(), b"!!").is_err());
}

#[test]
fn peer_stream_id_space_ends_at_2_pow_31() {
    let mut s = support::Server::new();
    s.feed(&support::get(0x7fff_ffff));
    assert!(s.has_headers_on(0x7fff_ffff));
    // No identifier is left above it: any new request reuses a lower one.
    s.feed(&support::get(0x7fff_fffd));
    assert_eq!(s.goaway().map(|g| g.1), Some(ErrorCode::PROTOCOL_ERROR));
}

#[test]
fn client_refuses_push_when_disabled_and_server_enable_push() {
    use support::*;
    let now = support::epoch();
    let mut c = weft_http2::Connection::new(now, Config::client());
    while c.poll_transmit().is_some() {}
    c.recv(now, &cat(&[settings(&[]), settings_ack()]));
    assert_eq!(c.error(), None);
    let id = c.open_stream().unwrap();
    c.send_headers(id, &request("GET"), true).unwrap();
    let promise = raw(
        PUSH_PROMISE,
        END_HEADERS,
        1,
        &cat(&[vec![0, 0, 0, 2], get_block()]),
    );
    c.recv(now, &promise);
    assert_eq!(c.error().unwrap().code(), ErrorCode::PROTOCOL_ERROR);

    // RFC 9113 §6.5.2: a server never sends ENABLE_PUSH = 1.
    let mut c = weft_http2::Connection::new(now, Config::client());
    c.recv(now, &settings(&[(2, 1)]));
    let err = c.error().unwrap().clone();
    assert_eq!(err.code(), ErrorCode::PROTOCOL_ERROR);
    // The connection error is sticky, reported once as the last event, and later input
    // is ignored.
    let events: Vec<Event> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(events.last(), Some(&Event::ConnectionLost(err.clone())));
    c.recv(now, &settings(&[]));
    assert_eq!(c.error(), Some(&err));
    assert_eq!(c.poll_event(), None);
}

/// Opens a GET (or HEAD) on the pair and returns the stream, seen by the server.
fn opened(p: &mut Pair, method: &str) -> StreamId {
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request(method), true).unwrap();
    p.drive();
    p.take_server_events();
    id
}

fn with_length(code: &'static str, length: &'static str) -> Vec<Header> {
    let mut head = status(code);
    head.push(Header::new("content-length", length));
    head
}

#[test]
fn sent_data_must_add_up_to_the_declared_content_length() {
    // RFC 9113 §8.1.1: the peer would treat anything else as malformed, so nothing
    // of it is sent; the commands fail before queuing a byte.
    let mut p = Pair::new();
    let id = opened(&mut p, "GET");
    // A head that ends the stream cannot declare a body.
    assert_eq!(
        p.server.send_headers(id, &with_length("200", "5"), true),
        Err(SendError::ContentLengthMismatch)
    );
    p.server
        .send_headers(id, &with_length("200", "5"), false)
        .unwrap();
    // More than declared, at once or in total, is refused.
    let too_long = p.server.send_data(id, Bytes::from_static(b"123456"), false);
    assert_eq!(too_long, Err(SendError::ContentLengthMismatch));
    assert_eq!(
        p.server.send_data(id, Bytes::from_static(b"12"), false),
        Ok(2)
    );
    let too_long = p.server.send_data(id, Bytes::from_static(b"3456"), false);
    assert_eq!(too_long, Err(SendError::ContentLengthMismatch));
    // Ending short, by DATA or by trailers, is refused.
    let short = p.server.send_data(id, Bytes::from_static(b"3"), true);
    assert_eq!(short, Err(SendError::ContentLengthMismatch));
    let trailers = [Header::new("x-checksum", "ok")];
    assert_eq!(
        p.server.send_trailers(id, &trailers),
        Err(SendError::ContentLengthMismatch)
    );
    assert_eq!(
        p.server.send_data(id, Bytes::from_static(b"345"), true),
        Ok(3)
    );
    p.drive();
    let ev = p.take_client_events();
    assert_eq!(body_of(&ev, id), b"12345");
    assert!(!ev.iter().any(|e| matches!(e, Event::StreamReset { .. })));

    // Conflicting or unparsable lengths are not sent either.
    let id = opened(&mut p, "GET");
    let mut two = with_length("200", "5");
    two.push(Header::new("content-length", "6"));
    assert_eq!(
        p.server.send_headers(id, &two, false),
        Err(SendError::InvalidHeader)
    );
    let bad = with_length("200", "five");
    assert_eq!(
        p.server.send_headers(id, &bad, false),
        Err(SendError::InvalidHeader)
    );

    // The client's request body is held to its length the same way.
    let id = p.client.open_stream().unwrap();
    let mut post = request("POST");
    post.push(Header::new("content-length", "3"));
    p.client.send_headers(id, &post, false).unwrap();
    let short = p.client.send_data(id, Bytes::from_static(b"ab"), true);
    assert_eq!(short, Err(SendError::ContentLengthMismatch));
    assert_eq!(
        p.client.send_data(id, Bytes::from_static(b"abc"), true),
        Ok(3)
    );
}

#[test]
fn head_204_and_304_responses_declare_a_length_without_a_body() {
    let mut p = Pair::new();
    for (method, code) in [("HEAD", "200"), ("GET", "304"), ("GET", "204")] {
        let id = opened(&mut p, method);
        // The length describes the GET response (or the cached one); no DATA follows.
        p.server
            .send_headers(id, &with_length(code, "1234"), true)
            .unwrap();
        p.drive();
        let ev = p.take_client_events();
        assert!(
            !ev.iter().any(|e| matches!(e, Event::StreamReset { .. })),
            "{method} {code}: {ev:?}"
        );
    }
}

/// One GET answered 200 from client to server and back; returns the request's
/// fields as the server decoded them.
fn exchange(p: &mut Pair) -> Vec<Header> {
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request("GET"), true).unwrap();
    p.drive();
    let headers = p
        .take_server_events()
        .into_iter()
        .find_map(|e| match e {
            Event::Headers { headers, .. } => Some(headers),
            _ => None,
        })
        .expect("request event");
    p.server.send_headers(id, &status("200"), true).unwrap();
    p.drive();
    p.take_client_events();
    headers
}

#[test]
fn an_idle_connection_lets_go_of_its_buffers_but_not_of_its_state() {
    let mut p = Pair::new();
    assert_eq!(exchange(&mut p), request("GET"));
    // Both sides waiting, no stream open: shrinking keeps what the peer relies on.
    p.server.shrink_when_idle();
    p.client.shrink_when_idle();
    // The second request's fields are mostly indices into the dynamic table the
    // first one filled: they decode only if the table survived.
    assert_eq!(exchange(&mut p), request("GET"));
    p.server.shrink_when_idle();
    assert_eq!(exchange(&mut p), request("GET"));
    assert!(p.server.error().is_none() && p.client.error().is_none());

    // With a stream open it does nothing to that stream.
    upload_survives(&mut p, Connection::shrink_when_idle);
}

/// Opens an upload, calls `while_open` on the server with the stream open,
/// and checks that the body still arrives.
fn upload_survives(p: &mut Pair, while_open: impl FnOnce(&mut Connection)) {
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request("POST"), false).unwrap();
    p.drive();
    p.take_server_events();
    while_open(&mut p.server);
    p.client
        .send_data(id, Bytes::from_static(b"body"), true)
        .unwrap();
    p.drive();
    let events = p.take_server_events();
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Data { data, end_stream: true, .. } if &data[..] == b"body")
        ),
        "{events:?}"
    );
}

#[test]
fn a_parked_connection_resumes_where_it_stopped_in_any_spare_connection() {
    let mut p = Pair::new();
    assert_eq!(exchange(&mut p), request("GET"));
    let deadline = p.server.poll_timeout();

    // Parked, the server keeps its HPACK tables, settings and stream ids;
    // it resumes in the spare of another connection, with its capacity.
    let idle = p.server.park().expect("nothing in progress");
    assert_eq!(idle.poll_timeout(), deadline);
    let mut other = Pair::new();
    assert_eq!(exchange(&mut other), request("GET"));
    let spare_idle = other.server.park().expect("nothing in progress");
    std::mem::swap(&mut p.server, &mut other.server);
    p.server.resume(idle);
    assert_eq!(p.server.poll_timeout(), deadline);
    // The second request's fields are indices into the dynamic table the first
    // one filled, and its stream id must be above the first's.
    assert_eq!(exchange(&mut p), request("GET"));

    // A parked client too, into a connection of its own.
    let client_idle = p.client.park().expect("nothing in progress");
    p.client = client_idle.into_connection();
    assert_eq!(exchange(&mut p), request("GET"));
    assert!(p.server.error().is_none() && p.client.error().is_none());

    // The other pair's server continues in a new connection as well.
    other.server = spare_idle.into_connection();
    assert_eq!(exchange(&mut other), request("GET"));
    assert!(other.server.error().is_none());

    // With a stream open nothing is parked.
    upload_survives(&mut p, |server| assert!(server.park().is_none()));
}

#[test]
fn split_releases_give_each_window_back_once() {
    let mut server = Config::server();
    server.connection_window = 65_535;
    server.local.initial_window_size = 65_535;
    let mut p = Pair::with(Config::client(), server);
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request("PUT"), false).unwrap();
    assert_eq!(p.client.send_data(id, bytes_of(40_000), false), Ok(40_000));
    p.drive();
    let received: usize = p
        .take_server_events()
        .into_iter()
        .map(|e| match e {
            Event::Data { flow_len, .. } => flow_len,
            _ => 0,
        })
        .sum();
    assert_eq!(received, 40_000);
    assert_eq!(p.server.connection_recv_window(), 65_535 - 40_000);
    assert_eq!(p.server.stream_recv_window(id), Some(65_535 - 40_000));

    // The connection's share first, as a server does for a stream it lets proceed.
    p.server.release_connection_capacity(received);
    assert_eq!(p.server.connection_recv_window(), 65_535);
    assert_eq!(p.server.stream_recv_window(id), Some(65_535 - 40_000));
    p.server.release_stream_capacity(id, received);
    assert_eq!(p.server.stream_recv_window(id), Some(65_535));
    // Nothing is given twice: every release is clamped to what was received.
    p.server.release_capacity(id, received);
    p.server.release_connection_capacity(received);
    assert_eq!(p.server.connection_recv_window(), 65_535);
    assert_eq!(p.server.stream_recv_window(id), Some(65_535));
}
