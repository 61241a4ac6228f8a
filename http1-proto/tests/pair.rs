//! A client and a server `Connection` talking to each other in memory (h11's
//! `ConnectionPair`): every feature exercised from both ends at once.

mod common;

use bytes::Bytes;
use common::{drain, now, poll};
use weft_http1::{
    Config, Connection, Event, HeaderMap, RequestHead, ResponseHead, Role, SendError, State,
    Version,
};

fn pair() -> (Connection, Connection) {
    (
        Connection::new(now(), Config::new(Role::Client)),
        Connection::new(now(), Config::new(Role::Server)),
    )
}

/// Moves everything `from` wants to write into `to`; returns the bytes moved.
fn pump(from: &mut Connection, to: &mut Connection) -> Vec<u8> {
    let mut wire = Vec::new();
    while let Some(bytes) = from.poll_transmit() {
        wire.extend_from_slice(&bytes);
        to.recv(now(), &bytes);
    }
    wire
}

fn get(target: &str) -> RequestHead {
    RequestHead::new("GET", target.to_owned()).with_header("Host", "example.com")
}

#[test]
fn keep_alive_round_trips() {
    let (mut client, mut server) = pair();
    for round in 0..3 {
        client.send_request(&get(&format!("/{round}"))).unwrap();
        client.send_end(None).unwrap();
        pump(&mut client, &mut server);
        let (events, error) = drain(&mut server);
        assert_eq!(error, None);
        assert_eq!(
            events,
            [
                format!("Request GET /{round} Http11 [Host=example.com]"),
                "End".into()
            ]
        );
        server
            .send_response(&ResponseHead::new(200).with_header("Content-Length", "5"))
            .unwrap();
        server.send_data(Bytes::from_static(b"hello")).unwrap();
        server.send_end(None).unwrap();
        let wire = pump(&mut server, &mut client);
        assert_eq!(wire, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        let (events, error) = drain(&mut client);
        assert_eq!(error, None);
        assert_eq!(
            events,
            [
                "Response 200 OK Http11 [Content-Length=5]",
                "Data hello",
                "End"
            ]
        );
        for conn in [&mut client, &mut server] {
            assert_eq!(
                (conn.our_state(), conn.their_state()),
                (State::Done, State::Done)
            );
            assert!(conn.keep_alive());
            conn.start_next_cycle(now()).unwrap();
        }
    }
}

#[test]
fn chunked_both_ways_with_trailers() {
    let (mut client, mut server) = pair();
    let request = RequestHead::new("POST", "/upload")
        .with_header("Host", "h")
        .with_header("Transfer-Encoding", "chunked");
    client.send_request(&request).unwrap();
    client.send_data(Bytes::from_static(b"abc")).unwrap();
    client.send_data(Bytes::new()).unwrap();
    client.send_data(Bytes::from(vec![b'x'; 2000])).unwrap();
    let mut trailers = HeaderMap::new();
    trailers.append("X-Checksum", "42");
    client.send_end(Some(&trailers)).unwrap();
    pump(&mut client, &mut server);
    let (events, error) = drain(&mut server);
    assert_eq!(error, None);
    assert_eq!(events[1], format!("Data abc{}", "x".repeat(2000)));
    assert_eq!(events[2], "End [X-Checksum=42]");

    // No framing given and the peer speaks 1.1: chunked is chosen.
    server.send_response(&ResponseHead::new(200)).unwrap();
    server.send_data(Bytes::from_static(b"hello ")).unwrap();
    server.send_data(Bytes::from_static(b"world")).unwrap();
    server.send_end(Some(&trailers)).unwrap();
    let wire = pump(&mut server, &mut client);
    assert_eq!(
        wire,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\nX-Checksum: 42\r\n\r\n"
    );
    let (events, error) = drain(&mut client);
    assert_eq!(error, None);
    assert_eq!(&events[1..], ["Data hello world", "End [X-Checksum=42]"]);
}

#[test]
fn large_bodies_pass_through_untouched() {
    let (mut client, mut server) = pair();
    client.send_request(&get("/")).unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    drain(&mut server);
    server
        .send_response(&ResponseHead::new(200).with_header("Content-Length", "100000"))
        .unwrap();
    let body = Bytes::from(vec![7u8; 100_000]);
    server.send_data(body.clone()).unwrap();
    server.send_end(None).unwrap();
    let head = server.poll_transmit().unwrap();
    assert!(head.starts_with(b"HTTP/1.1 200 OK"));
    let sent = server.poll_transmit().unwrap();
    assert_eq!(
        sent.as_ptr(),
        body.as_ptr(),
        "the caller's Bytes, not a copy"
    );
    assert_eq!(server.poll_transmit(), None);
}

#[test]
fn head_204_304_have_no_body() {
    for (method, status) in [("HEAD", 200), ("GET", 204), ("GET", 304)] {
        let (mut client, mut server) = pair();
        client
            .send_request(&RequestHead::new(method, "/").with_header("Host", "h"))
            .unwrap();
        client.send_end(None).unwrap();
        pump(&mut client, &mut server);
        drain(&mut server);
        server
            .send_response(&ResponseHead::new(status).with_header("Content-Length", "10"))
            .unwrap();
        assert_eq!(
            server.send_data(Bytes::from_static(b"x")),
            Err(SendError::BodyNotAllowed)
        );
        server.send_end(None).unwrap();
        pump(&mut server, &mut client);
        let (events, error) = drain(&mut client);
        assert_eq!(error, None, "{method} {status}");
        assert_eq!(events.len(), 2, "{method} {status}: {events:?}");
        assert_eq!(events[1], "End");
        assert_eq!(client.their_state(), State::Done);
    }
}

#[test]
fn http10_close_delimited_and_keep_alive() {
    // A 1.0 client without keep-alive: no chunked, body runs until close.
    let (mut client, mut server) = pair();
    let mut request = get("/");
    request.version = Version::Http10;
    client.send_request(&request).unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    drain(&mut server);
    assert!(!server.keep_alive());
    server.send_response(&ResponseHead::new(200)).unwrap();
    server
        .send_data(Bytes::from_static(b"until close"))
        .unwrap();
    server.send_end(None).unwrap();
    let wire = pump(&mut server, &mut client);
    assert_eq!(
        wire,
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close"
    );
    assert_eq!(server.our_state(), State::MustClose);
    let (events, _) = drain(&mut client);
    assert_eq!(events.len(), 2, "{events:?}");
    client.recv_eof(now());
    let (events, error) = drain(&mut client);
    assert_eq!(error, None);
    assert_eq!(events, ["End", "Closed"]);

    // A 1.0 client asking for keep-alive gets it, with a length and the header.
    let (mut client, mut server) = pair();
    let mut request = get("/").with_header("Connection", "keep-alive");
    request.version = Version::Http10;
    client.send_request(&request).unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    drain(&mut server);
    assert!(server.keep_alive());
    server
        .send_response(&ResponseHead::new(200).with_header("Content-Length", "0"))
        .unwrap();
    server.send_end(None).unwrap();
    let wire = pump(&mut server, &mut client);
    assert_eq!(
        wire,
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
    );
    assert_eq!(server.our_state(), State::Done);
}

#[test]
fn connection_close_from_either_side() {
    let (mut client, mut server) = pair();
    client
        .send_request(&get("/").with_header("Connection", "close"))
        .unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    drain(&mut server);
    server
        .send_response(&ResponseHead::new(200).with_header("Content-Length", "0"))
        .unwrap();
    server.send_end(None).unwrap();
    let wire = pump(&mut server, &mut client);
    assert_eq!(
        wire,
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(server.our_state(), State::MustClose);
    assert!(matches!(
        server.start_next_cycle(now()),
        Err(SendError::InvalidState { .. })
    ));
    drain(&mut client);
    assert_eq!(client.our_state(), State::MustClose);

    let (mut client, mut server) = pair();
    client.send_request(&get("/")).unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    drain(&mut server);
    server
        .send_response(
            &ResponseHead::new(200)
                .with_header("Content-Length", "0")
                .with_header("Connection", "close"),
        )
        .unwrap();
    server.send_end(None).unwrap();
    pump(&mut server, &mut client);
    drain(&mut client);
    assert!(!client.keep_alive());
    assert_eq!(client.their_state(), State::MustClose);
    client.recv_eof(now());
    assert_eq!(drain(&mut client).0, ["Closed"]);
}

#[test]
fn expect_100_continue() {
    let (mut client, mut server) = pair();
    client
        .send_request(
            &RequestHead::new("PUT", "/f")
                .with_header("Host", "h")
                .with_header("Content-Length", "4")
                .with_header("Expect", "100-continue"),
        )
        .unwrap();
    assert!(client.client_is_waiting_for_100_continue());
    pump(&mut client, &mut server);
    let (events, _) = drain(&mut server);
    assert_eq!(events.len(), 1);
    assert!(server.client_is_waiting_for_100_continue());
    server.send_continue().unwrap();
    assert!(!server.client_is_waiting_for_100_continue());
    pump(&mut server, &mut client);
    let (events, _) = drain(&mut client);
    assert_eq!(events, ["Informational 100 []"]);
    assert!(!client.client_is_waiting_for_100_continue());
    client.send_data(Bytes::from_static(b"data")).unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    assert_eq!(drain(&mut server).0, ["Data data", "End"]);
    server
        .send_response(&ResponseHead::new(201).with_header("Content-Length", "0"))
        .unwrap();
    server.send_end(None).unwrap();
    assert!(server.keep_alive());

    // A final response instead of 100: the body may never come, so close afterwards.
    let (mut client, mut server) = pair();
    client
        .send_request(
            &RequestHead::new("PUT", "/f")
                .with_header("Host", "h")
                .with_header("Content-Length", "4")
                .with_header("Expect", "100-continue"),
        )
        .unwrap();
    pump(&mut client, &mut server);
    drain(&mut server);
    server
        .send_response(&ResponseHead::new(417).with_header("Content-Length", "0"))
        .unwrap();
    server.send_end(None).unwrap();
    let wire = pump(&mut server, &mut client);
    assert!(wire.ends_with(b"Connection: close\r\n\r\n"));
    assert!(!server.keep_alive());
}

#[test]
fn upgrade_hands_back_the_trailing_bytes() {
    let (mut client, mut server) = pair();
    client
        .send_request(
            &get("/chat")
                .with_header("Connection", "Upgrade")
                .with_header("Upgrade", "websocket"),
        )
        .unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    server.recv(now(), b"\x81\x05hello");
    let (events, error) = drain(&mut server);
    assert_eq!((events.len(), error), (2, None));
    assert_eq!(server.their_state(), State::MightSwitchProtocol);
    assert!(server.is_paused());
    server
        .send_response(
            &ResponseHead::new(101)
                .with_header("Connection", "Upgrade")
                .with_header("Upgrade", "websocket"),
        )
        .unwrap();
    assert_eq!(server.our_state(), State::SwitchedProtocol);
    assert_eq!(server.their_state(), State::SwitchedProtocol);
    pump(&mut server, &mut client);
    client.recv(now(), b"\x81\x02ok");
    let (events, error) = drain(&mut client);
    assert_eq!(error, None);
    assert_eq!(
        events,
        ["Informational 101 [Connection=Upgrade|Upgrade=websocket]"]
    );
    assert_eq!(client.our_state(), State::SwitchedProtocol);
    assert_eq!(client.into_parts(), (b"\x81\x02ok"[..].into(), false));
    assert_eq!(server.into_parts(), (b"\x81\x05hello"[..].into(), false));
}

#[test]
fn denied_upgrade_keeps_http() {
    let (mut client, mut server) = pair();
    client
        .send_request(&get("/").with_header("Upgrade", "h2c"))
        .unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    drain(&mut server);
    server
        .send_response(&ResponseHead::new(200).with_header("Content-Length", "0"))
        .unwrap();
    server.send_end(None).unwrap();
    assert_eq!(server.their_state(), State::Done);
    pump(&mut server, &mut client);
    drain(&mut client);
    assert_eq!(
        (client.our_state(), client.their_state()),
        (State::Done, State::Done)
    );
    client.start_next_cycle(now()).unwrap();
    server.start_next_cycle(now()).unwrap();
}

#[test]
fn connect_tunnel() {
    let (mut client, mut server) = pair();
    client
        .send_request(
            &RequestHead::new("CONNECT", "example.com:443").with_header("Host", "example.com:443"),
        )
        .unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    server.recv(now(), b"\x16\x03\x01 tls hello");
    let (events, _) = drain(&mut server);
    assert_eq!(
        events[0],
        "Request CONNECT example.com:443 Http11 [Host=example.com:443]"
    );
    server.send_response(&ResponseHead::new(200)).unwrap();
    assert_eq!(server.our_state(), State::SwitchedProtocol);
    let wire = pump(&mut server, &mut client);
    assert_eq!(
        wire, b"HTTP/1.1 200 OK\r\n\r\n",
        "no framing added to a tunnel"
    );
    let (events, _) = drain(&mut client);
    assert_eq!(events, ["Response 200 OK Http11 []"]);
    assert_eq!(client.our_state(), State::SwitchedProtocol);
    assert_eq!(server.into_parts().0, &b"\x16\x03\x01 tls hello"[..]);
}

#[test]
fn pipelined_requests_wait_their_turn() {
    let mut server = Connection::new(now(), Config::new(Role::Server));
    server.recv(
        now(),
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\
          POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\
          GET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    let mut wire = Vec::new();
    let mut seen = Vec::new();
    for n in 1..=3 {
        let (events, error) = drain(&mut server);
        assert_eq!(error, None);
        assert!(server.is_paused() || n == 3);
        seen.extend(events);
        let body = format!("response {n}");
        server
            .send_response(
                &ResponseHead::new(200).with_header("Content-Length", body.len().to_string()),
            )
            .unwrap();
        server.send_data(body.into()).unwrap();
        server.send_end(None).unwrap();
        while let Some(b) = server.poll_transmit() {
            wire.extend_from_slice(&b);
        }
        server.start_next_cycle(now()).unwrap();
    }
    assert_eq!(
        seen,
        [
            "Request GET /1 Http11 [Host=a]",
            "End",
            "Request POST /2 Http11 [Host=a|Content-Length=3]",
            "Data abc",
            "End",
            "Request GET /3 Http11 [Host=a]",
            "End"
        ]
    );
    // The client reads the responses back in order.
    let mut client = Connection::new(now(), Config::new(Role::Client));
    client.recv(now(), &wire);
    for n in 1..=3 {
        client.send_request(&get("/")).unwrap();
        client.send_end(None).unwrap();
        let (events, error) = drain(&mut client);
        assert_eq!(error, None);
        assert_eq!(events[1], format!("Data response {n}"));
        client.start_next_cycle(now()).unwrap();
    }
}

#[test]
fn local_errors_queue_nothing() {
    let (mut client, mut server) = pair();
    assert!(matches!(
        server.send_data(Bytes::from_static(b"x")),
        Err(SendError::InvalidState { .. })
    ));
    assert!(matches!(
        server.send_request(&get("/")),
        Err(SendError::InvalidState { .. })
    ));
    assert_eq!(
        client.send_request(&get("/").with_header("X", "a\r\nInjected: 1")),
        Err(SendError::InvalidHead("field value"))
    );
    assert_eq!(
        client.send_request(&RequestHead::new("GE T", "/")),
        Err(SendError::InvalidHead("method"))
    );
    assert_eq!(
        client.send_request(&RequestHead::new("GET", "/ HTTP/1.1\r\n")),
        Err(SendError::InvalidHead("request-target"))
    );
    assert_eq!(client.poll_transmit(), None);
    client
        .send_request(
            &RequestHead::new("POST", "/")
                .with_header("Host", "h")
                .with_header("Content-Length", "3"),
        )
        .unwrap();
    assert_eq!(
        client.send_data(Bytes::from_static(b"toolong")),
        Err(SendError::BodyTooLong)
    );
    client.send_data(Bytes::from_static(b"ab")).unwrap();
    assert_eq!(
        client.send_end(None),
        Err(SendError::BodyTooShort { missing: 1 })
    );
    let mut trailers = HeaderMap::new();
    trailers.append("X", "1");
    client.send_data(Bytes::from_static(b"c")).unwrap();
    assert_eq!(
        client.send_end(Some(&trailers)),
        Err(SendError::TrailersNotAllowed)
    );
    client.send_end(None).unwrap();
    let wire = pump(&mut client, &mut server);
    assert_eq!(
        wire,
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
    );
    drain(&mut server);
    assert_eq!(
        server.send_response(&ResponseHead::new(101)),
        Err(SendError::InvalidStatus(101)),
        "101 without an Upgrade proposal"
    );
    assert_eq!(
        server.send_response(&ResponseHead::new(1000)),
        Err(SendError::InvalidStatus(1000))
    );
    assert_eq!(
        server.send_response(
            &ResponseHead::new(200)
                .with_header("Content-Length", "1")
                .with_header("Transfer-Encoding", "chunked")
        ),
        Err(SendError::InvalidFraming)
    );
}

#[test]
fn error_response_after_a_bad_request() {
    let mut server = Connection::new(now(), Config::new(Role::Server));
    server.recv(now(), b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n");
    let error = poll(&mut server).unwrap_err();
    assert_eq!(error.status_hint(), 400);
    assert_eq!(server.their_state(), State::Error);
    server
        .send_response(&ResponseHead::new(error.status_hint()).with_header("Content-Length", "0"))
        .unwrap();
    server.send_end(None).unwrap();
    let mut wire = Vec::new();
    while let Some(b) = server.poll_transmit() {
        wire.extend_from_slice(&b);
    }
    assert_eq!(
        wire,
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(server.our_state(), State::MustClose);
}

#[test]
fn client_reads_hostile_responses() {
    let cases: &[(&[u8], Option<weft_http1::RecvError>)] = &[
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            Some(weft_http1::RecvError::ContentLengthWithTransferEncoding),
        ),
        (
            b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
            Some(weft_http1::RecvError::Parse(
                weft_http1::ParseError::ObsFold,
            )),
        ),
        (
            b"HTTP/1.1 99 Low\r\n\r\n",
            Some(weft_http1::RecvError::Parse(weft_http1::ParseError::Status)),
        ),
        (
            b"HTTP/1.1 2000 OK\r\n\r\n",
            Some(weft_http1::RecvError::Parse(weft_http1::ParseError::Status)),
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
            Some(weft_http1::RecvError::UnexpectedInformational),
        ),
        (b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", None),
    ];
    for (input, expected) in cases {
        let mut client = Connection::new(now(), Config::new(Role::Client));
        client.send_request(&get("/")).unwrap();
        client.send_end(None).unwrap();
        client.recv(now(), input);
        let (_, error) = drain(&mut client);
        assert_eq!(error, *expected, "{}", String::from_utf8_lossy(input));
    }
    // Transfer-Encoding that does not end in chunked: read until close (RFC 9112 §6.3).
    let mut client = Connection::new(now(), Config::new(Role::Client));
    client.send_request(&get("/")).unwrap();
    client.send_end(None).unwrap();
    client.recv(
        now(),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw",
    );
    client.recv_eof(now());
    let (events, error) = drain(&mut client);
    assert_eq!(error, None);
    assert_eq!(&events[1..], ["Data raw", "End", "Closed"]);
    assert!(!client.keep_alive());
}

#[test]
fn events_are_zero_copy_slices() {
    // Head fields are for immediate use and always slices; a body is a slice when it is
    // most of the buffer, as here, and copied out when it is a small share of it (it
    // would pin the whole buffer while the application keeps it).
    let body = vec![b'b'; 4000];
    let mut server = Connection::new(now(), Config::new(Role::Server));
    let mut input = bytes::BytesMut::new();
    input.extend_from_slice(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4000\r\n\r\n");
    input.extend_from_slice(&body);
    let base = input.as_ptr() as usize;
    let end = base + input.len();
    server.recv_owned(now(), input);
    let Ok(Some(Event::Request(head))) = poll(&mut server) else {
        panic!()
    };
    let Ok(Some(Event::Data(data))) = poll(&mut server) else {
        panic!()
    };
    assert_eq!(data, body);
    for b in [
        &head.method,
        &head.target,
        head.headers.get("host").unwrap(),
        &data,
    ] {
        let p = b.as_ptr() as usize;
        assert!(
            (base..end).contains(&p),
            "{:?} was copied",
            b.escape_ascii()
        );
    }

    let mut server = Connection::new(now(), Config::new(Role::Server));
    let mut input = bytes::BytesMut::with_capacity(4096);
    input.extend_from_slice(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody");
    let base = input.as_ptr() as usize;
    server.recv_owned(now(), input);
    let Ok(Some(Event::Request(_))) = poll(&mut server) else {
        panic!()
    };
    let Ok(Some(Event::Data(data))) = poll(&mut server) else {
        panic!()
    };
    assert_eq!(data, "body");
    let p = data.as_ptr() as usize;
    assert!(
        !(base..base + 4096).contains(&p),
        "4 bytes pin a 4 KiB buffer"
    );
}

#[test]
fn response_without_request_closes() {
    let mut server = Connection::new(now(), Config::new(Role::Server));
    server
        .send_response(&ResponseHead::new(408).with_header("Content-Length", "0"))
        .unwrap();
    server.send_end(None).unwrap();
    let mut wire = Vec::new();
    while let Some(b) = server.poll_transmit() {
        wire.extend_from_slice(&b);
    }
    assert_eq!(
        wire,
        b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert!(!server.keep_alive());
    assert_eq!(server.our_state(), State::MustClose);
}

#[test]
fn a_restarted_connection_is_a_new_one() {
    let (mut client, mut server) = pair();
    // A server that answered once, then failed on garbage with bytes left unread.
    client.send_request(&get("/a")).unwrap();
    client.send_end(None).unwrap();
    pump(&mut client, &mut server);
    drain(&mut server);
    server
        .send_response(&ResponseHead::new(200).with_header("Content-Length", "2"))
        .unwrap();
    server.send_data(Bytes::from_static(b"ok")).unwrap();
    server.send_end(None).unwrap();
    let sent = server.poll_transmit().unwrap();
    let before = sent.clone();
    server.start_next_cycle(now()).unwrap();
    server.recv(now(), b"GET / HTTP/9\r\n\r\nleft over");
    let (_, error) = drain(&mut server);
    assert!(error.is_some());

    let later = now() + std::time::Duration::from_secs(7);
    let config = Config::new(Role::Server);
    let head_timeout = config.timeouts.head.unwrap();
    server.restart(later, config);
    // Bytes handed out before the restart are untouched by what follows.
    assert_eq!(server.error(), None);
    assert_eq!(server.trailing_data(), (&b""[..], false));
    assert_eq!(
        (server.our_state(), server.their_state()),
        (State::Idle, State::Idle)
    );
    // Its clock starts at the restart: the first head is due a head timeout later.
    assert_eq!(server.poll_timeout(), Some(later + head_timeout));
    server.recv(later, b"GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    let (events, error) = drain(&mut server);
    assert_eq!(error, None);
    assert_eq!(events, ["Request GET /b Http11 [Host=h]", "End"]);
    server.send_response(&ResponseHead::new(204)).unwrap();
    server.send_end(None).unwrap();
    assert!(server.poll_transmit().unwrap().starts_with(b"HTTP/1.1 204"));
    assert_eq!(sent, before);
}
