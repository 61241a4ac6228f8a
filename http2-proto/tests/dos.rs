//! Denial-of-service guards against the known HTTP/2 floods (large header lists,
//! CONTINUATION, rapid reset, provoked resets, PING and SETTINGS, empty DATA,
//! WINDOW_UPDATE, stream count): each trips under attack with
//! GOAWAY(ENHANCE_YOUR_CALM) and stays quiet under heavy normal traffic.

mod support;

use std::time::Duration;

use support::*;
use weft_http2::{Config, ErrorCode, Event};

const CALM: Option<ErrorCode> = Some(ErrorCode::ENHANCE_YOUR_CALM);

fn code(s: &Server) -> Option<ErrorCode> {
    s.goaway().map(|g| g.1)
}

#[test]
fn header_list_size() {
    let mut s = Server::new();
    let big = "v".repeat(70 * 1024);
    let b = with(GET, &[("x-big", Box::leak(big.into_boxed_str()))]);
    // Split so each frame fits the 16 KiB frame size.
    let mut parts = vec![headers(1, &b[..16_000], END_STREAM)];
    let chunks: Vec<&[u8]> = b[16_000..].chunks(16_000).collect();
    for (i, c) in chunks.iter().enumerate() {
        parts.push(continuation(
            1,
            c,
            if i + 1 == chunks.len() {
                END_HEADERS
            } else {
                0
            },
        ));
    }
    s.feed(&cat(&parts));
    assert_eq!(
        s.resets(),
        vec![(weft_http2::StreamId::new(1), ErrorCode::REFUSED_STREAM)]
    );
    assert_eq!(code(&s), None, "HPACK stays in sync; the connection lives");
    s.feed(&get(3));
    assert!(s.has_headers_on(3));

    // Normal: 30 KiB of headers is fine.
    let mut s = Server::new();
    let ok = "v".repeat(15 * 1024);
    let b = with(
        GET,
        &[
            ("x-a", Box::leak(ok.clone().into_boxed_str())),
            ("x-b", Box::leak(ok.into_boxed_str())),
        ],
    );
    s.feed(&cat(&[
        headers(1, &b[..16_000], END_STREAM),
        continuation(1, &b[16_000..], END_HEADERS),
    ]));
    assert!(s.has_headers_on(1));
}

#[test]
fn continuation_flood() {
    let mut s = Server::new();
    let b = get_block();
    let mut parts = vec![headers(1, &b, END_STREAM)];
    parts.extend((0..17).map(|_| continuation(1, &[], 0)));
    s.feed(&cat(&parts));
    assert_eq!(code(&s), CALM);

    // Too many bytes across few frames.
    let mut s = Server::new();
    let mut parts = vec![headers(1, &[0u8; 16_000], END_STREAM)];
    parts.extend((0..9).map(|_| continuation(1, &[0u8; 16_000], 0)));
    s.feed(&cat(&parts));
    assert_eq!(code(&s), CALM);

    // Normal: ten CONTINUATION frames per block, many blocks.
    let mut s = Server::new();
    for i in 0..200u32 {
        let b = get_block();
        let mut parts = vec![headers(1 + 2 * i, &b[..2], END_STREAM)];
        for j in 0..10 {
            let end = if j == 9 { END_HEADERS } else { 0 };
            let chunk = if j == 9 { &b[2..] } else { &b[2..2] };
            parts.push(continuation(1 + 2 * i, chunk, end));
        }
        s.feed(&cat(&parts));
    }
    assert_eq!(code(&s), None);
    assert!(s.has_headers_on(399));
}

#[test]
fn rapid_reset() {
    let mut s = Server::new();
    s.respond = false;
    let mut attack = Vec::new();
    for i in 0..1100u32 {
        attack.extend(post(1 + 2 * i));
        attack.extend(rst(1 + 2 * i, 8));
    }
    s.feed(&attack);
    assert_eq!(code(&s), CALM);

    // Normal: a browser cancelling 20 requests per second for ten minutes.
    let mut s = Server::new();
    s.respond = false;
    let mut id = 1u32;
    for _ in 0..600 {
        let mut burst = Vec::new();
        for _ in 0..20 {
            burst.extend(post(id));
            burst.extend(rst(id, 8));
            id += 2;
        }
        s.feed(&burst);
        s.now += Duration::from_secs(1);
    }
    assert_eq!(code(&s), None);

    // Resets of streams we already finished cost nothing and are not counted.
    let mut s = Server::new();
    for i in 0..3000u32 {
        s.feed(&get(1 + 2 * i));
        s.feed(&rst(1 + 2 * i, 8));
    }
    assert_eq!(code(&s), None);
}

#[test]
fn provoked_resets_made_you_reset() {
    let mut s = Server::new();
    s.respond = false;
    let mut attack = Vec::new();
    for i in 0..1100u32 {
        attack.extend(post(1 + 2 * i));
        attack.extend(window_update(1 + 2 * i, 0)); // a stream error each
    }
    s.feed(&attack);
    assert_eq!(code(&s), CALM);

    // Normal: thousands of valid requests provoke no resets at all.
    let mut s = Server::new();
    for i in 0..5000u32 {
        s.feed(&get(1 + 2 * i));
    }
    assert!(s.resets().is_empty());
    assert_eq!(code(&s), None);
}

#[test]
fn ping_and_settings_floods() {
    let mut s = Server::new();
    let flood: Vec<u8> = (0..1001).flat_map(|_| ping(*b"flooding")).collect();
    s.conn.recv(s.now, &flood);
    assert!(s.conn.error().is_some());
    s.drain();
    assert_eq!(code(&s), CALM);

    let mut s = Server::new();
    let flood: Vec<u8> = (0..1001).flat_map(|_| settings(&[])).collect();
    s.conn.recv(s.now, &flood);
    assert!(s.conn.error().is_some());
    s.drain();
    assert_eq!(code(&s), CALM);

    // Normal: a hundred thousand PINGs, drained as a driver does after each read.
    let mut s = Server::new();
    let batch: Vec<u8> = (0..100).flat_map(|_| ping(*b"keepaliv")).collect();
    for _ in 0..1000 {
        s.feed(&batch);
        s.frames.clear();
    }
    assert_eq!(code(&s), None);
}

#[test]
fn settings_entries_per_frame() {
    let mut s = Server::new();
    let entries: Vec<(u16, u32)> = (0..33).map(|i| (0x100 + i, 1)).collect();
    s.feed(&settings(&entries));
    assert_eq!(code(&s), CALM);

    let mut s = Server::new();
    let entries: Vec<(u16, u32)> = (0..32).map(|i| (0x100 + i, 1)).collect();
    s.feed(&settings(&entries));
    assert_eq!(code(&s), None);
    assert_eq!(s.settings_acks(), 1);
}

#[test]
fn empty_and_small_data_frames() {
    let mut s = Server::new();
    let mut attack = post(1);
    for _ in 0..101 {
        attack.extend(data(1, b"", false));
    }
    s.feed(&attack);
    assert_eq!(code(&s), CALM);

    let mut s = Server::new();
    let mut attack = post(1);
    for _ in 0..10_001 {
        attack.extend(data(1, b"x", false));
    }
    s.feed(&attack);
    assert_eq!(code(&s), CALM);

    // Normal: empty DATA with END_STREAM closing many uploads, and a slow trickle of
    // one-byte chunks (500 per second for a minute).
    let mut s = Server::new();
    for i in 0..2000u32 {
        s.feed(&cat(&[post(1 + 2 * i), data(1 + 2 * i, b"", true)]));
    }
    assert_eq!(code(&s), None);
    let mut s = Server::new();
    s.feed(&post(1));
    for _ in 0..60 {
        let chunk: Vec<u8> = (0..500).flat_map(|_| data(1, b"x", false)).collect();
        s.feed(&chunk);
        s.now += Duration::from_secs(1);
    }
    s.feed(&data(1, b"", true));
    assert_eq!(code(&s), None);
    assert!(s.has_headers_on(1));
}

#[test]
fn window_update_flood() {
    let mut s = Server::new();
    let flood: Vec<u8> = (0..1001).flat_map(|_| window_update(0, 1)).collect();
    s.feed(&flood);
    assert_eq!(code(&s), CALM);

    // Normal: a client acknowledging every DATA frame of a long download.
    let mut cfg = Config::server();
    cfg.auto_release_capacity = true;
    let mut s = Server::handshaken(cfg);
    s.respond = false;
    s.feed(&get(1));
    s.conn
        .send_headers(
            weft_http2::StreamId::new(1),
            &[hpack::Header::new(":status", "200")],
            false,
        )
        .unwrap();
    for _ in 0..5000 {
        let n = s
            .conn
            .send_data(
                weft_http2::StreamId::new(1),
                bytes::Bytes::from_static(&[7; 10]),
                false,
            )
            .unwrap();
        s.drain();
        s.feed(&cat(&[
            window_update(0, n as u32),
            window_update(1, n as u32),
        ]));
    }
    assert_eq!(code(&s), None);
}

#[test]
fn streams_per_connection_cap() {
    let mut cfg = Config::server();
    cfg.limits.max_streams_per_connection = Some(10);
    let mut s = Server::handshaken(cfg);
    for i in 0..11u32 {
        s.feed(&get(1 + 2 * i));
    }
    assert!(s.has_headers_on(19));
    assert_eq!(
        s.resets(),
        vec![(weft_http2::StreamId::new(21), ErrorCode::REFUSED_STREAM)]
    );
    // A graceful GOAWAY started.
    assert_eq!(
        s.goaway(),
        Some((weft_http2::StreamId::MAX, ErrorCode::NO_ERROR))
    );
}

#[test]
fn reset_memory_is_bounded_and_expires() {
    // Frames on a stream we reset are ignored for reset_stream_duration, then answered
    // with STREAM_CLOSED.
    let mut s = Server::new();
    s.respond = false;
    s.feed(&post(1));
    s.conn
        .reset_stream(s.now, weft_http2::StreamId::new(1), ErrorCode::CANCEL)
        .unwrap();
    s.drain();
    s.clear();
    s.feed(&data(1, b"late", false));
    assert!(s.resets().is_empty());
    s.advance(Duration::from_secs(2));
    s.feed(&data(1, b"later", false));
    assert_eq!(
        s.resets(),
        vec![(weft_http2::StreamId::new(1), ErrorCode::STREAM_CLOSED)]
    );
    assert!(
        s.events
            .iter()
            .all(|e| !matches!(e, Event::ConnectionLost(_)))
    );
}
