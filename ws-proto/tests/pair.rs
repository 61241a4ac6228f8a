//! A client and a server talking in memory on a virtual clock: every close path, ping and
//! pong, fragments, limits, timeouts and deflate.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Pair, events, frame, from_client, transmit};
use ws_proto::{
    CloseCode, CloseFrame, Config, Connection, DataKind, DeflateConfig, DeflateParams, Error,
    Event, FrameError, Limits, MessageMode, OpCode, Role, SendError,
};

fn server() -> (Instant, Connection) {
    let now = common::epoch();
    (now, Connection::new(now, Config::server()))
}

/// The close code of the Close frame a server queued, read back as a client would.
fn sent_close_code(server: &mut Connection) -> Option<u16> {
    let bytes = transmit(server);
    let mut client = Connection::new(common::epoch(), Config::client());
    client.recv(common::epoch(), &bytes);
    events(&mut client).into_iter().find_map(|e| match e {
        Event::ConnectionLost(Error::Closed(f)) => Some(f.code.0),
        _ => None,
    })
}

fn lost(events: &[Event]) -> Option<&Error> {
    match events.last() {
        Some(Event::ConnectionLost(e)) => Some(e),
        _ => None,
    }
}

#[test]
fn messages_both_ways() {
    let mut p = Pair::plain();
    p.client.send_text("hello").unwrap();
    p.client.send_binary(&[0, 1, 2]).unwrap();
    p.server.send_text("héllo").unwrap();
    p.server.send_binary(&vec![9; 70_000]).unwrap();
    p.drive();
    assert_eq!(
        p.server_events,
        [
            Event::Text(Bytes::from_static(b"hello")),
            Event::Binary(Bytes::from_static(&[0, 1, 2]))
        ]
    );
    assert_eq!(p.client_events[0], Event::Text("héllo".into()));
    assert_eq!(p.client_events[1], Event::Binary(vec![9; 70_000].into()));
    assert!(p.client.poll_timeout().is_none());
}

#[test]
fn the_client_masks_and_the_server_does_not() {
    let mut p = Pair::plain();
    p.client.send_text("Hello").unwrap();
    let wire = transmit(&mut p.client);
    assert_eq!(&wire[..2], &[0x81, 0x85]);
    p.server.send_text("Hello").unwrap();
    assert_eq!(
        transmit(&mut p.server),
        [0x81, 0x05, b'H', b'e', b'l', b'l', b'o']
    );
}

#[test]
fn masking_is_enforced_both_ways() {
    let (now, mut s) = server();
    s.recv(now, &frame(true, false, OpCode::Text, None, b"hi"));
    assert_eq!(lost(&events(&mut s)), Some(&Error::Masking));
    assert_eq!(sent_close_code(&mut s), Some(1002));

    let mut c = Connection::new(now, Config::client());
    c.recv(now, &from_client(true, OpCode::Text, b"hi"));
    assert_eq!(lost(&events(&mut c)), Some(&Error::Masking));
}

#[test]
fn reserved_bits_and_opcodes_are_refused() {
    for (wire, err) in [
        (
            frame(true, true, OpCode::Text, Some(common::KEY), b"x"),
            Error::ReservedBits,
        ),
        (vec![0xA1, 0x80, 0, 0, 0, 0], Error::ReservedBits),
        (vec![0x91, 0x80, 0, 0, 0, 0], Error::ReservedBits),
        (
            vec![0x83, 0x80, 0, 0, 0, 0],
            Error::Frame(FrameError::ReservedOpcode(3)),
        ),
        (
            vec![0x8F, 0x80, 0, 0, 0, 0],
            Error::Frame(FrameError::ReservedOpcode(0xF)),
        ),
    ] {
        let (now, mut s) = server();
        s.recv(now, &wire);
        assert_eq!(lost(&events(&mut s)), Some(&err));
        assert_eq!(sent_close_code(&mut s), Some(1002));
        assert!(s.is_closed());
    }
}

#[test]
fn fragments_with_control_frames_between() {
    let (now, mut s) = server();
    let mut wire = from_client(false, OpCode::Text, b"frag");
    wire.extend(from_client(true, OpCode::Ping, b"p"));
    wire.extend(from_client(false, OpCode::Continuation, "mént".as_bytes()));
    wire.extend(from_client(true, OpCode::Pong, b""));
    wire.extend(from_client(true, OpCode::Continuation, b"ed"));
    s.recv(now, &wire);
    assert_eq!(
        events(&mut s),
        [
            Event::Ping("p".into()),
            Event::Pong(Bytes::new()),
            Event::Text("fragménted".into())
        ]
    );
    // The automatic Pong.
    assert_eq!(transmit(&mut s), [0x8A, 0x01, b'p']);
}

#[test]
fn streaming_mode_hands_out_pieces() {
    let now = common::epoch();
    let mut s = Connection::new(
        now,
        Config {
            mode: MessageMode::Streaming,
            ..Config::server()
        },
    );
    let first = from_client(false, OpCode::Binary, &[1; 10]);
    s.recv(now, &first[..8]);
    assert_eq!(
        events(&mut s),
        [Event::Fragment {
            kind: DataKind::Binary,
            data: vec![1; 2].into(),
            fin: false
        }]
    );
    s.recv(now, &first[8..]);
    s.recv(now, &from_client(true, OpCode::Continuation, b""));
    assert_eq!(
        events(&mut s),
        [
            Event::Fragment {
                kind: DataKind::Binary,
                data: vec![1; 8].into(),
                fin: false
            },
            Event::Fragment {
                kind: DataKind::Binary,
                data: Bytes::new(),
                fin: true
            },
        ]
    );
}

#[test]
fn bad_fragmentation() {
    for wire in [
        from_client(true, OpCode::Continuation, b"x"),
        [
            from_client(false, OpCode::Text, b"x"),
            from_client(true, OpCode::Text, b"y"),
        ]
        .concat(),
        [
            from_client(false, OpCode::Binary, b"x"),
            from_client(true, OpCode::Binary, b"y"),
        ]
        .concat(),
    ] {
        let (now, mut s) = server();
        s.recv(now, &wire);
        assert_eq!(lost(&events(&mut s)), Some(&Error::Fragmentation));
    }
    // Fragmented and oversized control frames.
    let (now, mut s) = server();
    s.recv(now, &from_client(false, OpCode::Ping, b"x"));
    assert_eq!(
        lost(&events(&mut s)),
        Some(&Error::Frame(FrameError::FragmentedControl))
    );
    let (now, mut s) = server();
    s.recv(now, &from_client(true, OpCode::Ping, &[0; 126]));
    assert_eq!(
        lost(&events(&mut s)),
        Some(&Error::Frame(FrameError::ControlTooLong))
    );
}

#[test]
fn invalid_utf8_fails_at_the_first_bad_byte_mid_frame() {
    let (now, mut s) = server();
    let mut text = b"valid, then ".to_vec();
    text.extend_from_slice(&[0xce, 0xba, 0xf4, 0x90, 0x80, 0x80]); // U+110000
    text.extend_from_slice(&[b'x'; 100]);
    let wire = from_client(true, OpCode::Text, &text);
    // Header (6) plus up to and including the byte after 0xf4: the rest never arrives.
    let cut = 6 + 12 + 4;
    s.recv(now, &wire[..cut - 1]);
    assert_eq!(events(&mut s), []);
    s.recv(now, &wire[cut - 1..cut]);
    assert_eq!(lost(&events(&mut s)), Some(&Error::InvalidUtf8));
    assert_eq!(sent_close_code(&mut s), Some(1007));
    // An invalid byte inside one read of a long frame (not at a read boundary).
    let (now, mut s) = server();
    let mut text = vec![b'x'; 3000];
    text[100] = 0xff;
    let wire = from_client(true, OpCode::Text, &text);
    s.recv(now, &wire[..300]);
    assert_eq!(lost(&events(&mut s)), Some(&Error::InvalidUtf8));
    // A character cut off by the end of the message.
    let (now, mut s) = server();
    s.recv(now, &from_client(true, OpCode::Text, &[b'a', 0xe2, 0x82]));
    assert_eq!(lost(&events(&mut s)), Some(&Error::InvalidUtf8));
}

#[test]
fn close_initiated_by_the_client() {
    let mut p = Pair::plain();
    p.client.close(p.now, CloseCode::NORMAL, "bye").unwrap();
    assert!(p.client.poll_timeout().is_some());
    assert_eq!(p.client.send_text("late"), Err(SendError::Closed));
    p.drive();
    let peer = |code: u16, reason: &str| {
        Error::Closed(CloseFrame {
            code: CloseCode(code),
            reason: reason.into(),
        })
    };
    assert_eq!(p.server_events, [Event::ConnectionLost(peer(1000, "bye"))]);
    // The server echoed the code.
    assert_eq!(p.client_events, [Event::ConnectionLost(peer(1000, ""))]);
    assert!(p.client.is_closed() && p.server.is_closed());
    assert_eq!(p.client.poll_timeout(), None);
    assert_eq!(
        p.server.error().map(Error::close_code),
        Some(CloseCode::NORMAL)
    );
}

#[test]
fn close_initiated_by_the_server_and_at_the_same_time() {
    let mut p = Pair::plain();
    p.server.close(p.now, CloseCode::GOING_AWAY, "").unwrap();
    p.drive();
    assert!(
        matches!(lost(&p.client_events), Some(Error::Closed(f)) if f.code == CloseCode::GOING_AWAY)
    );
    assert!(
        matches!(lost(&p.server_events), Some(Error::Closed(f)) if f.code == CloseCode::GOING_AWAY)
    );

    // Both send Close before seeing the other's: neither echoes, both end cleanly.
    let mut p = Pair::plain();
    p.server.close(p.now, CloseCode::GOING_AWAY, "").unwrap();
    p.client.close(p.now, CloseCode::NORMAL, "").unwrap();
    p.drive();
    assert!(
        matches!(lost(&p.client_events), Some(Error::Closed(f)) if f.code == CloseCode::GOING_AWAY)
    );
    assert!(
        matches!(lost(&p.server_events), Some(Error::Closed(f)) if f.code == CloseCode::NORMAL)
    );
    assert!(p.client.is_closed() && p.server.is_closed());
}

#[test]
fn a_close_without_a_body_is_echoed_without_a_body() {
    let (now, mut s) = server();
    s.recv(now, &from_client(true, OpCode::Close, b""));
    assert_eq!(
        events(&mut s),
        [Event::ConnectionLost(Error::Closed(CloseFrame {
            code: CloseCode::NO_STATUS,
            reason: String::new()
        }))]
    );
    assert_eq!(transmit(&mut s), [0x88, 0x00]);
}

#[test]
fn bad_close_frames() {
    for (payload, err, code) in [
        (vec![0x03], Error::InvalidCloseFrame, 1002),
        (vec![0x03, 0xED], Error::InvalidCloseCode(1005), 1002),
        (vec![0x03, 0xE7], Error::InvalidCloseCode(999), 1002),
        (vec![0x0B, 0xB7], Error::InvalidCloseCode(2999), 1002),
        (vec![0x03, 0xE8, 0xff], Error::InvalidUtf8, 1007),
    ] {
        let (now, mut s) = server();
        s.recv(now, &from_client(true, OpCode::Close, &payload));
        assert_eq!(lost(&events(&mut s)), Some(&err));
        assert_eq!(sent_close_code(&mut s), Some(code));
    }
}

#[test]
fn nothing_is_accepted_after_close() {
    let (now, mut s) = server();
    let mut wire = from_client(true, OpCode::Close, &[0x03, 0xE8]);
    wire.extend(from_client(true, OpCode::Text, b"after"));
    wire.extend(from_client(true, OpCode::Ping, b"after"));
    s.recv(now, &wire);
    s.recv(now, &from_client(true, OpCode::Text, b"later"));
    let ev = events(&mut s);
    assert_eq!(ev.len(), 1, "{ev:?}");
    // Only the echoed Close goes out, no Pong.
    assert_eq!(transmit(&mut s), [0x88, 0x02, 0x03, 0xE8]);
    assert_eq!(s.send_ping(b""), Err(SendError::Closed));
}

#[test]
fn after_our_close_data_still_arrives_but_no_pong_goes_out() {
    let (now, mut s) = server();
    s.close(now, CloseCode::NORMAL, "").unwrap();
    let _ = transmit(&mut s);
    let mut wire = from_client(true, OpCode::Text, b"in flight");
    wire.extend(from_client(true, OpCode::Ping, b"x"));
    s.recv(now, &wire);
    assert_eq!(
        events(&mut s),
        [Event::Text("in flight".into()), Event::Ping("x".into())]
    );
    assert!(!s.wants_write());
}

#[test]
fn the_closing_deadline() {
    let mut p = Pair::plain();
    p.client.close(p.now, CloseCode::NORMAL, "").unwrap();
    let _ = transmit(&mut p.client); // lost on the way: the server never answers
    let deadline = p.client.poll_timeout().unwrap();
    assert_eq!(deadline, p.now + Duration::from_secs(5));
    p.advance(Duration::from_secs(4));
    assert_eq!(events(&mut p.client), []);
    p.advance(Duration::from_secs(1));
    assert_eq!(
        events(&mut p.client),
        [Event::ConnectionLost(Error::CloseTimeout)]
    );
    assert!(p.client.is_closed());
    assert_eq!(
        p.client.error().map(Error::close_code),
        Some(CloseCode::ABNORMAL)
    );
    assert_eq!(p.client.poll_timeout(), None);
}

#[test]
fn end_of_input_before_closing() {
    let (now, mut s) = server();
    s.recv(now, &from_client(false, OpCode::Text, b"half"));
    s.recv_eof(now);
    assert_eq!(
        events(&mut s),
        [Event::ConnectionLost(Error::UnexpectedEof)]
    );
    assert!(!s.wants_write(), "1006 is never sent");
    assert!(s.is_closed());
    s.recv_eof(now);
    assert_eq!(events(&mut s), []);
}

#[test]
fn pings_and_pongs() {
    let mut p = Pair::plain();
    p.client.send_ping(b"are you there").unwrap();
    p.drive();
    assert_eq!(p.server_events, [Event::Ping("are you there".into())]);
    assert_eq!(p.client_events, [Event::Pong("are you there".into())]);
    assert_eq!(
        p.client.send_ping(&[0; 126]),
        Err(SendError::ControlTooLong)
    );

    let mut p = Pair::new(
        Config::client(),
        Config {
            auto_pong: false,
            ..Config::server()
        },
    );
    p.client.send_ping(b"1").unwrap();
    p.drive();
    assert_eq!(p.server_events, [Event::Ping("1".into())]);
    assert_eq!(p.client_events, []);
    p.server.send_pong(b"1").unwrap();
    p.drive();
    assert_eq!(p.client_events, [Event::Pong("1".into())]);
}

#[test]
fn send_errors() {
    let mut p = Pair::plain();
    p.client.send_fragment(DataKind::Text, b"a", false).unwrap();
    assert_eq!(p.client.send_text("b"), Err(SendError::MessageInProgress));
    assert_eq!(
        p.client.send_fragment(DataKind::Binary, b"b", true),
        Err(SendError::MessageInProgress)
    );
    p.client.send_ping(b"between").unwrap();
    p.client.send_fragment(DataKind::Text, b"b", true).unwrap();
    assert_eq!(
        p.client.close(p.now, CloseCode(1005), "why"),
        Err(SendError::InvalidCloseCode(1005))
    );
    assert_eq!(
        p.client.close(p.now, CloseCode(1006), ""),
        Err(SendError::InvalidCloseCode(1006))
    );
    assert_eq!(
        p.client.close(p.now, CloseCode::NORMAL, &"x".repeat(124)),
        Err(SendError::ControlTooLong)
    );
    p.drive();
    assert_eq!(
        p.server_events,
        [Event::Ping("between".into()), Event::Text("ab".into())]
    );
}

#[test]
fn frame_and_message_limits() {
    let limits = Limits {
        max_frame_size: 100,
        max_message_size: 150,
        ..Limits::default()
    };
    let cfg = Config {
        limits,
        ..Config::server()
    };
    let now = common::epoch();

    // Refused on the header, before the payload arrives.
    let mut s = Connection::new(now, cfg.clone());
    s.recv(now, &from_client(true, OpCode::Binary, &[0; 101])[..8]);
    assert_eq!(lost(&events(&mut s)), Some(&Error::FrameTooBig));
    assert_eq!(sent_close_code(&mut s), Some(1009));

    let mut s = Connection::new(now, cfg);
    let mut wire = from_client(false, OpCode::Binary, &[0; 100]);
    wire.extend(from_client(true, OpCode::Continuation, &[0; 51]));
    s.recv(now, &wire);
    assert_eq!(lost(&events(&mut s)), Some(&Error::MessageTooBig));
    assert_eq!(sent_close_code(&mut s), Some(1009));
}

#[test]
fn a_driver_that_does_not_drain_hits_the_buffer_bound() {
    let limits = Limits {
        max_buffered_bytes: 4096,
        ..Limits::default()
    };
    let now = common::epoch();
    let mut s = Connection::new(
        now,
        Config {
            limits,
            ..Config::server()
        },
    );
    let ping = from_client(true, OpCode::Ping, &[0; 125]);
    let mut fed = 0;
    while s.error().is_none() {
        s.recv(now, &ping);
        fed += ping.len();
        assert!(fed < 64 * 1024, "never stopped");
    }
    assert_eq!(s.error(), Some(&Error::BufferFull));
    // Queued events and output stayed near the bound: about 4 KiB of pongs and pings.
    assert!(transmit(&mut s).len() < 2 * 4096);
    assert_eq!(lost(&events(&mut s)), Some(&Error::BufferFull));

    // The same flood, drained after each read as the driver contract says, is fine.
    let mut s = Connection::new(
        now,
        Config {
            limits,
            ..Config::server()
        },
    );
    for _ in 0..1000 {
        s.recv(now, &ping);
        let _ = events(&mut s);
        let _ = transmit(&mut s);
    }
    assert!(s.error().is_none());
}

#[test]
fn input_held_back_resumes_when_drained() {
    let limits = Limits {
        max_buffered_bytes: 300,
        ..Limits::default()
    };
    let now = common::epoch();
    let mut s = Connection::new(
        now,
        Config {
            limits,
            ..Config::server()
        },
    );
    let mut wire = Vec::new();
    for i in 0..3u8 {
        wire.extend(from_client(true, OpCode::Binary, &[i; 200]));
    }
    s.recv(now, &wire);
    let got: Vec<Event> = events(&mut s);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(s.error().is_none());
}

/// Context takeover both ways and full windows, at `level`.
fn deflate_params(level: u32) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
        level,
    }
}

fn deflate_pair(client: DeflateConfig, server: DeflateConfig) -> Pair {
    let offer = ws_proto::ClientHandshake::new(vec![], Some(client));
    let req = offer.upgrade_headers();
    let accept = ws_proto::accept_upgrade(
        b"GET",
        req.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())),
        &ws_proto::ServerOptions {
            protocols: vec![],
            deflate: Some(server),
        },
    )
    .unwrap();
    let done = offer
        .finish_upgrade(
            101,
            accept
                .headers
                .iter()
                .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
        )
        .unwrap();
    assert!(done.deflate.is_some());
    Pair::new(done.config(), accept.config())
}

#[test]
fn deflate_both_ways_with_and_without_context_takeover() {
    for nct in [false, true] {
        let cfg = DeflateConfig {
            server_no_context_takeover: nct,
            client_no_context_takeover: nct,
            ..DeflateConfig::default()
        };
        let mut p = deflate_pair(cfg, cfg);
        let text = "compress me, compress me, compress me ".repeat(50);
        for _ in 0..3 {
            p.client.send_text(&text).unwrap();
            p.server.send_text(&text).unwrap();
        }
        p.client
            .send_fragment(DataKind::Binary, &[5; 1000], false)
            .unwrap();
        p.client.send_ping(b"mid").unwrap();
        p.client
            .send_fragment(DataKind::Binary, &[6; 1000], true)
            .unwrap();
        p.client.send_binary(b"").unwrap();
        let wire = transmit(&mut p.client);
        assert!(wire.len() < text.len(), "compressed: {}", wire.len());
        p.server.recv(p.now, &wire);
        p.drive();
        let mut expected: Vec<Event> = vec![Event::Text(text.clone().into()); 3];
        expected.push(Event::Ping("mid".into()));
        expected.push(Event::Binary(
            [vec![5; 1000], vec![6; 1000]].concat().into(),
        ));
        expected.push(Event::Binary(Bytes::new()));
        assert_eq!(p.server_events, expected);
        assert_eq!(
            p.client_events[..3],
            vec![Event::Text(text.clone().into()); 3][..]
        );
    }
}

/// Every parameter of RFC 7692 §7.1, asked for by either side, agreed through the
/// handshake helpers and then used both ways: the messages arrive intact, including an
/// empty one and a fragmented one whose last piece is empty.
#[test]
fn deflate_parameters_negotiated_and_used_both_ways() {
    let none = DeflateConfig::default();
    let all = DeflateConfig {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: 9,
        client_max_window_bits: 8,
        level: 6,
    };
    let text: String = (0..400).map(|i| format!("{} ", i * 7919 % 1000)).collect();
    for (client, server) in [(all, none), (none, all), (all, all)] {
        let mut p = deflate_pair(client, server);
        let agreed = p.client.config().deflate.unwrap();
        assert_eq!(p.server.config().deflate, Some(agreed));
        assert!(agreed.server_no_context_takeover && agreed.client_no_context_takeover);
        assert_eq!(agreed.server_max_window_bits, 9);
        // Named by the server, or the client's own offered limit: 8 either way.
        assert_eq!(agreed.client_max_window_bits, 8);
        for _ in 0..3 {
            p.client.send_text(&text).unwrap();
            p.server.send_text(&text).unwrap();
        }
        for c in [&mut p.client, &mut p.server] {
            c.send_binary(b"").unwrap();
            c.send_fragment(DataKind::Binary, &[9; 700], false).unwrap();
            c.send_fragment(DataKind::Binary, b"", true).unwrap();
        }
        p.drive();
        let mut expected = vec![Event::Text(text.clone().into()); 3];
        expected.push(Event::Binary(Bytes::new()));
        expected.push(Event::Binary(vec![9; 700].into()));
        assert_eq!(p.server_events, expected);
        assert_eq!(p.client_events, expected);
    }
}

/// A client offering several parameter sets (RFC 7692 §5) gets the first the server
/// takes, and checks the response against that offer.
#[test]
fn the_server_takes_the_first_acceptable_of_several_offers() {
    let offers = vec![
        DeflateConfig {
            server_no_context_takeover: true,
            server_max_window_bits: 9,
            ..DeflateConfig::default()
        },
        DeflateConfig::default(),
    ];
    let client = ws_proto::ClientHandshake::new(vec![], None).with_deflate_offers(offers);
    let req = client.upgrade_headers();
    let ext = &req
        .iter()
        .find(|(n, _)| *n == "sec-websocket-extensions")
        .unwrap()
        .1;
    assert_eq!(
        ext,
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; \
         client_max_window_bits, permessage-deflate; client_max_window_bits"
    );
    let pairs = |h: &[(&'static str, String)]| -> Vec<(Vec<u8>, Vec<u8>)> {
        h.iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    };
    let accept = ws_proto::accept_upgrade(
        b"GET",
        pairs(&req).iter().map(|(n, v)| (&n[..], &v[..])),
        &ws_proto::ServerOptions {
            protocols: vec![],
            deflate: Some(DeflateConfig::default()),
        },
    )
    .unwrap();
    let done = client
        .finish_upgrade(
            101,
            pairs(&accept.headers).iter().map(|(n, v)| (&n[..], &v[..])),
        )
        .unwrap();
    let agreed = done.deflate.unwrap();
    assert!(agreed.server_no_context_takeover);
    assert_eq!(agreed.server_max_window_bits, 9);
    assert_eq!(Some(agreed), accept.deflate);
}

#[test]
fn a_decompression_bomb_reaches_the_message_limit() {
    let params = deflate_params(9);
    let limits = Limits {
        max_message_size: 1 << 20,
        ..Limits::default()
    };
    let mut p = Pair::new(
        Config {
            deflate: Some(params),
            ..Config::client()
        },
        Config {
            deflate: Some(params),
            limits,
            ..Config::server()
        },
    );
    p.client.send_binary(&vec![0; 16 << 20]).unwrap();
    let wire = transmit(&mut p.client);
    assert!(wire.len() < 100_000, "{}", wire.len());
    p.server.recv(p.now, &wire);
    assert_eq!(lost(&events(&mut p.server)), Some(&Error::MessageTooBig));
    assert_eq!(sent_close_code(&mut p.server), Some(1009));
}

#[test]
fn rsv1_needs_deflate_and_only_on_the_first_frame() {
    let params = deflate_params(6);
    let now = common::epoch();
    let mut s = Connection::new(
        now,
        Config {
            deflate: Some(params),
            ..Config::server()
        },
    );
    let mut wire = frame(false, true, OpCode::Text, Some(common::KEY), &[]);
    wire.extend(frame(
        true,
        true,
        OpCode::Continuation,
        Some(common::KEY),
        &[],
    ));
    s.recv(now, &wire);
    assert_eq!(lost(&events(&mut s)), Some(&Error::ReservedBits));
    let mut s = Connection::new(
        now,
        Config {
            deflate: Some(params),
            ..Config::server()
        },
    );
    s.recv(
        now,
        &frame(true, true, OpCode::Ping, Some(common::KEY), &[]),
    );
    assert_eq!(lost(&events(&mut s)), Some(&Error::ReservedBits));
}

/// RFC 7692 §7.2.3, every example, received by a client from a server.
#[test]
fn rfc7692_section_7_2_3_examples() {
    let params = deflate_params(6);
    let client = || {
        Connection::new(
            common::epoch(),
            Config {
                deflate: Some(params),
                ..Config::client()
            },
        )
    };
    let hello = || Event::Text("Hello".into());
    /// A name, the frames as received, the events expected.
    type Case<'a> = (&'a str, Vec<&'a [u8]>, Vec<Event>);
    let cases: Vec<Case<'_>> = vec![
        (
            "7.2.3.1 one frame",
            vec![&[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]],
            vec![hello()],
        ),
        (
            "7.2.3.1 fragmented",
            vec![
                &[0x41, 0x03, 0xf2, 0x48, 0xcd],
                &[0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00],
            ],
            vec![hello()],
        ),
        (
            "7.2.3.2 sharing the window",
            vec![
                &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
                &[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00],
            ],
            vec![hello(), hello()],
        ),
        (
            "7.2.3.3 no compression",
            vec![&[
                0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ]],
            vec![hello()],
        ),
        (
            "7.2.3.4 BFINAL",
            vec![&[0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]],
            vec![hello()],
        ),
        (
            "7.2.3.5 two blocks",
            vec![&[
                0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07,
                0x00,
            ]],
            vec![hello()],
        ),
        (
            "7.2.3.6 empty",
            vec![&[0xc1, 0x01, 0x00]],
            vec![Event::Text(Bytes::new())],
        ),
    ];
    for (name, frames, expected) in cases {
        let mut c = client();
        for f in frames {
            c.recv(common::epoch(), f);
        }
        assert_eq!(events(&mut c), expected, "{name}");
    }
    // BFINAL then another message: the inflater starts a new stream.
    let mut c = client();
    c.recv(
        common::epoch(),
        &[0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
    );
    c.recv(
        common::epoch(),
        &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
    );
    assert_eq!(events(&mut c), [hello(), hello()]);
    // Corrupt compressed data: 1007.
    let mut c = client();
    c.recv(common::epoch(), &[0xc1, 0x02, 0xff, 0xff]);
    assert_eq!(lost(&events(&mut c)), Some(&Error::Deflate));
}

#[test]
fn getters() {
    let p = Pair::plain();
    assert_eq!(p.client.role(), Role::Client);
    assert_eq!(p.server.config().role, Role::Server);
    assert!(!p.server.wants_write() && !p.server.is_closed() && !p.server.is_closing());
    assert!(p.server.error().is_none());
}

#[test]
fn one_large_read_of_several_big_messages_is_not_a_flood() {
    // Two 1.5 MiB messages in one read: the first one's event fills the queue past the
    // 1 MiB bound, so the second waits in the receive buffer until it is drained.
    let (now, mut s) = server();
    let mut wire = from_client(true, OpCode::Binary, &vec![1; 3 << 19]);
    wire.extend(from_client(true, OpCode::Binary, &vec![2; 3 << 19]));
    s.recv(now, &wire);
    let got = events(&mut s);
    assert_eq!(
        got.len(),
        2,
        "{:?}",
        got.iter().map(std::mem::discriminant).collect::<Vec<_>>()
    );
    assert!(s.error().is_none());
}

#[test]
fn the_first_fault_in_a_compressed_text_message_wins_whatever_the_reads() {
    // A stored block inflating to "a\xffb" (not UTF-8), then a block of the reserved
    // type (corrupt). The invalid text comes first in the message, so 1007 it is, whether
    // the frame arrives whole or in pieces.
    let payload = [0x00, 0x03, 0x00, 0xfc, 0xff, 0x61, 0xff, 0x62, 0x06];
    let wire = frame(true, true, OpCode::Text, Some(common::KEY), &payload);
    for cut in 0..wire.len() {
        let now = common::epoch();
        let mut s = Connection::new(
            now,
            Config {
                deflate: Some(deflate_params(6)),
                ..Config::server()
            },
        );
        s.recv(now, &wire[..cut]);
        s.recv(now, &wire[cut..]);
        assert_eq!(
            lost(&events(&mut s)),
            Some(&Error::InvalidUtf8),
            "cut {cut}"
        );
    }
}

#[test]
fn a_message_read_before_a_failure_can_still_be_answered() {
    // Autobahn 3.2: a message, then a frame with a reserved bit, in one read. The
    // application's echo of the message goes out before the Close 1002, not never.
    let now = common::epoch();
    let mut c = Connection::new(now, Config::client());
    let mut wire = frame(true, false, OpCode::Text, None, b"Hello");
    wire.extend([0xA1, 0x00]); // RSV2 set
    wire.extend(frame(true, false, OpCode::Ping, None, b""));
    c.recv(now, &wire);
    assert_eq!(c.poll_event(), Some(Event::Text("Hello".into())));
    assert!(c.error().is_none());
    c.send_text("Hello").unwrap();
    assert_eq!(
        c.poll_event(),
        Some(Event::ConnectionLost(Error::ReservedBits))
    );
    assert_eq!(c.poll_event(), None);
    let out = transmit(&mut c);
    // The masked echo (2 + 4 + 5 bytes), then the masked Close with 1002.
    assert_eq!(out.len(), 11 + 8);
    assert_eq!((out[0], out[11]), (0x81, 0x88));
    // The same for the peer's Close: answered after the echo.
    let mut c = Connection::new(now, Config::client());
    let mut wire = frame(true, false, OpCode::Binary, None, b"x");
    wire.extend(frame(true, false, OpCode::Close, None, &[0x03, 0xE8]));
    c.recv(now, &wire);
    assert_eq!(c.poll_event(), Some(Event::Binary("x".into())));
    c.send_binary(b"x").unwrap();
    assert!(matches!(
        c.poll_event(),
        Some(Event::ConnectionLost(Error::Closed(_)))
    ));
    let out = transmit(&mut c);
    assert_eq!((out[0], out[7]), (0x82, 0x88));
}

#[test]
fn frames_mode_hands_out_one_piece_per_frame() {
    let now = common::epoch();
    let mut s = Connection::new(
        now,
        Config {
            mode: MessageMode::Frames,
            ..Config::server()
        },
    );
    // A frame split across reads is handed out once whole; an empty frame in the middle
    // of a message is still one piece, and a text frame may end inside a character.
    let first = from_client(false, OpCode::Text, b"h\xc3");
    s.recv(now, &first[..7]);
    assert_eq!(events(&mut s), []);
    s.recv(now, &first[7..]);
    s.recv(now, &from_client(false, OpCode::Continuation, b""));
    s.recv(now, &from_client(true, OpCode::Continuation, &[0xA9]));
    s.recv(now, &from_client(true, OpCode::Binary, b"whole"));
    let piece = |kind, data: &[u8], fin| Event::Fragment {
        kind,
        data: Bytes::copy_from_slice(data),
        fin,
    };
    assert_eq!(
        events(&mut s),
        [
            piece(DataKind::Text, b"h\xc3", false),
            piece(DataKind::Text, b"", false),
            piece(DataKind::Text, b"\xa9", true),
            Event::Binary(Bytes::from_static(b"whole")),
        ]
    );
}

#[test]
fn frames_mode_counts_earlier_frames_against_the_message_limit() {
    let now = common::epoch();
    let mut s = Connection::new(
        now,
        Config {
            mode: MessageMode::Frames,
            limits: Limits {
                max_message_size: 10,
                ..Limits::default()
            },
            ..Config::server()
        },
    );
    s.recv(now, &from_client(false, OpCode::Binary, &[1; 6]));
    s.recv(now, &from_client(true, OpCode::Continuation, &[2; 6]));
    let got = events(&mut s);
    assert_eq!(lost(&got), Some(&Error::MessageTooBig));
}

#[test]
fn without_auto_close_the_application_answers_the_close() {
    let now = common::epoch();
    let mut s = Connection::new(
        now,
        Config {
            auto_close: false,
            ..Config::server()
        },
    );
    s.recv(now, &from_client(true, OpCode::Close, b"\x03\xe8bye"));
    let got = events(&mut s);
    assert!(matches!(lost(&got), Some(Error::Closed(f)) if f.reason == "bye"));
    assert!(
        !s.wants_write(),
        "nothing is sent on the application's behalf"
    );
    assert_eq!(s.send_text("late"), Err(SendError::Closed));
    s.close(now, CloseCode::NORMAL, "bye").unwrap();
    assert_eq!(transmit(&mut s), [0x88, 0x05, 0x03, 0xe8, b'b', b'y', b'e']);
    assert_eq!(
        s.close(now, CloseCode::NORMAL, ""),
        Err(SendError::Closed),
        "one Close only"
    );
    assert!(s.is_closed());

    // A failure is reported the same way, and its Close is the application's too.
    let mut s = Connection::new(
        now,
        Config {
            auto_close: false,
            ..Config::server()
        },
    );
    s.recv(now, &frame(true, false, OpCode::Text, None, b"hi"));
    assert_eq!(lost(&events(&mut s)), Some(&Error::Masking));
    assert!(!s.wants_write());
    s.close(now, CloseCode::PROTOCOL_ERROR, "").unwrap();
    assert_eq!(sent_close_code(&mut s), Some(1002));
}

/// A connection with keep-alive Pings after `interval` of silence, answered within
/// `timeout`.
fn keep_alive(config: Config, interval: u64, timeout: u64) -> Config {
    Config {
        ping_interval: Some(Duration::from_secs(interval)),
        pong_timeout: Duration::from_secs(timeout),
        ..config
    }
}

#[test]
fn keep_alive_pings_a_silent_peer_then_gives_up() {
    let start = common::epoch();
    let mut s = Connection::new(start, keep_alive(Config::server(), 30, 20));
    assert_eq!(s.poll_timeout(), Some(start + Duration::from_secs(30)));
    s.handle_timeout(start + Duration::from_secs(29));
    assert!(!s.wants_write(), "no Ping before the interval");

    let pinged = start + Duration::from_secs(30);
    s.handle_timeout(pinged);
    let mut client = Connection::new(start, Config::client());
    client.recv(pinged, &transmit(&mut s));
    assert_eq!(events(&mut client), [Event::Ping(Bytes::new())]);
    assert_eq!(s.poll_timeout(), Some(pinged + Duration::from_secs(20)));
    s.handle_timeout(pinged + Duration::from_secs(19));
    assert_eq!(events(&mut s), []);

    // The Pong never comes (the client's answer is dropped): 1011 and the end, without
    // waiting for a closing handshake from a peer that has stopped answering.
    s.handle_timeout(pinged + Duration::from_secs(20));
    assert_eq!(events(&mut s), [Event::ConnectionLost(Error::PingTimeout)]);
    assert_eq!(sent_close_code(&mut s), Some(1011));
    assert!(s.is_closed());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn keep_alive_is_satisfied_by_any_bytes_and_works_in_both_roles() {
    let mut p = Pair::new(
        keep_alive(Config::client(), 10, 5),
        keep_alive(Config::server(), 30, 20),
    );
    // The client, with the shorter interval, pings; the server's automatic Pong answers
    // it, and hearing the Ping counts for the server too.
    p.advance(Duration::from_secs(10));
    p.drive();
    assert_eq!(p.server_events, [Event::Ping(Bytes::new())]);
    assert_eq!(p.client_events, [Event::Pong(Bytes::new())]);
    assert_eq!(
        p.client.poll_timeout(),
        Some(p.now + Duration::from_secs(10))
    );
    assert_eq!(
        p.server.poll_timeout(),
        Some(p.now + Duration::from_secs(30))
    );

    // Data keeps both sides quiet for as long as it flows.
    for _ in 0..20 {
        p.advance(Duration::from_secs(9));
        p.client.send_text("tick").unwrap();
        p.server.send_text("tock").unwrap();
        p.drive();
    }
    assert!(p.client_events.iter().all(|e| !matches!(e, Event::Ping(_))));
    assert!(
        p.server_events
            .iter()
            .skip(1)
            .all(|e| !matches!(e, Event::Ping(_)))
    );
    assert_eq!(p.client.error(), None);
    assert_eq!(p.server.error(), None);

    // Once a Close is out only the closing deadline counts: no Ping follows it.
    p.client.close(p.now, CloseCode::NORMAL, "").unwrap();
    let _ = transmit(&mut p.client);
    assert_eq!(
        p.client.poll_timeout(),
        Some(p.now + Duration::from_secs(5))
    );
    p.advance(Duration::from_secs(5));
    assert_eq!(
        events(&mut p.client),
        [Event::ConnectionLost(Error::CloseTimeout)]
    );
}

#[test]
fn a_large_binary_payload_held_as_bytes_goes_out_uncopied_and_in_order() {
    let payload = Bytes::from((0..70_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    let mut p = Pair::plain();
    p.server.send_ping(b"first").unwrap();
    p.server.send_binary_bytes(payload.clone()).unwrap();
    p.server.send_text("after").unwrap();
    let pieces: Vec<Bytes> = std::iter::from_fn(|| p.server.poll_transmit()).collect();
    // A server does not mask (RFC 6455 §5.1), so the payload is written as it is.
    assert!(
        pieces.iter().any(|b| b.as_ptr() == payload.as_ptr()),
        "the payload was copied"
    );
    for piece in &pieces {
        p.client.recv(p.now, piece);
    }
    assert_eq!(
        events(&mut p.client),
        [
            Event::Ping("first".into()),
            Event::Binary(payload.clone()),
            Event::Text("after".into()),
        ]
    );

    // A client masks, and deflate rewrites: both still send it, copied.
    let mut p = deflate_pair(DeflateConfig::default(), DeflateConfig::default());
    p.client.send_binary_bytes(payload.clone()).unwrap();
    p.server.send_binary_bytes(payload.clone()).unwrap();
    p.drive();
    assert_eq!(p.server_events, [Event::Binary(payload.clone())]);
    assert_eq!(p.client_events, [Event::Binary(payload)]);
}
