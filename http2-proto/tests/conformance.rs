//! The h2spec catalogue (the same cases `conformance h2` sends over a socket) at the state-machine level: for every
//! case, the bytes h2spec sends after the handshake go into a server `Connection`, and
//! the frames that come out are checked against the case's pass criterion.

mod support;

use bytes::BytesMut;
use support::*;
use weft_http2::{ErrorCode, PREFACE, StreamId};

/// The pass criteria of h2spec's `spec/verifier.go`.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// GOAWAY with one of the codes, and the connection closed.
    Conn(&'static [ErrorCode]),
    /// RST_STREAM or GOAWAY with one of the codes.
    Stream(&'static [ErrorCode]),
    /// A PING sent afterwards is acknowledged, and no GOAWAY was sent.
    PingAck,
    /// A PING ACK or a close (GOAWAY + closed).
    PingOrClose,
    /// A HEADERS response on the stream.
    Headers(u32),
    /// A DATA frame of exactly one octet on the stream (flow-control cases).
    OneByteData(u32),
    /// A SETTINGS ACK.
    SettingsAck,
}

const PROTOCOL: &[ErrorCode] = &[ErrorCode::PROTOCOL_ERROR];
const FRAME_SIZE: &[ErrorCode] = &[ErrorCode::FRAME_SIZE_ERROR];
const COMPRESSION: &[ErrorCode] = &[ErrorCode::COMPRESSION_ERROR];
const STREAM_CLOSED: &[ErrorCode] = &[ErrorCode::STREAM_CLOSED];
const CLOSED_OR_PROTOCOL: &[ErrorCode] = &[ErrorCode::STREAM_CLOSED, ErrorCode::PROTOCOL_ERROR];
const FLOW: &[ErrorCode] = &[ErrorCode::FLOW_CONTROL_ERROR];

type Script = fn(&mut Server);

fn ctx(id: &str, s: &Server) -> String {
    format!("{id}: frames {:#?}\nresult {:?}", s.frames, s.result)
}

fn check(id: &str, s: &mut Server, expect: Expect) {
    match expect {
        Expect::Conn(codes) => {
            let ga = s.goaway();
            assert!(
                ga.is_some_and(|(_, c)| codes.contains(&c)),
                "{}",
                ctx(id, s)
            );
            assert!(s.conn.is_closed(), "{id}: connection not closed");
            assert!(
                s.result.is_err(),
                "{id}: recv did not report the connection error"
            );
        }
        Expect::Stream(codes) => {
            let rst = s.resets().iter().any(|(_, c)| codes.contains(c));
            let ga = s.goaway().is_some_and(|(_, c)| codes.contains(&c));
            assert!(rst || ga, "{}", ctx(id, s));
        }
        Expect::PingAck | Expect::PingOrClose => {
            let closed = s.conn.is_closed() && s.goaway().is_some();
            if matches!(expect, Expect::PingOrClose) && closed {
                return;
            }
            s.feed(&ping(*b"h2spec!!"));
            assert!(s.ping_acks().contains(b"h2spec!!"), "{}", ctx(id, s));
            assert!(s.goaway().is_none(), "{}", ctx(id, s));
        }
        Expect::Headers(stream) => {
            assert!(s.has_headers_on(stream), "{}", ctx(id, s));
            assert!(s.goaway().is_none(), "{}", ctx(id, s));
        }
        Expect::OneByteData(stream) => {
            assert!(s.has_headers_on(stream), "{}", ctx(id, s));
            assert_eq!(
                s.data_lengths_on(stream).first(),
                Some(&1),
                "{}",
                ctx(id, s)
            );
        }
        Expect::SettingsAck => assert!(s.settings_acks() >= 1, "{}", ctx(id, s)),
    }
}

fn feed(s: &mut Server, parts: &[Vec<u8>]) {
    s.feed(&cat(parts));
}

/// Sends a GET on `stream` and waits for the response to end (h2spec's
/// `VerifyStreamClose` setup), then clears the recorded frames.
fn closed_stream(s: &mut Server, stream: u32) {
    s.feed(&get(stream));
    assert!(s.has_headers_on(stream));
    assert!(s.conn.stream_state(StreamId::new(stream)).is_none());
    s.clear();
}

fn padded(pad: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![pad];
    p.extend_from_slice(body);
    p.extend(std::iter::repeat_n(0, usize::from(pad)));
    p
}

fn raw_block(bytes: &[u8]) -> Vec<u8> {
    // The four request pseudo-headers as static-table references, then `bytes`.
    let mut b = vec![0x82, 0x86, 0x84, 0x41, 0x09];
    b.extend_from_slice(b"localhost");
    b.extend_from_slice(bytes);
    b
}

fn huffman_literal_new_name(name: &str, value: &str) -> Vec<u8> {
    let mut b = BytesMut::new();
    let mut n = BytesMut::new();
    hpack::huffman::encode(name.as_bytes(), &mut n);
    let mut v = BytesMut::new();
    hpack::huffman::encode(value.as_bytes(), &mut v);
    hpack::encode_integer(n.len(), 7, 0x80, &mut b);
    b.extend_from_slice(&n);
    hpack::encode_integer(v.len(), 7, 0x80, &mut b);
    b.extend_from_slice(&v);
    b.to_vec()
}

fn literal(
    prefix: u8,
    bits: u8,
    index: usize,
    name: Option<&str>,
    value: &str,
    huffman: bool,
) -> Vec<u8> {
    let mut b = BytesMut::new();
    hpack::encode_integer(index, bits, prefix, &mut b);
    let mut out = b.to_vec();
    match (name, huffman) {
        (Some(n), true) => out.extend(huffman_literal_new_name(n, value)),
        (Some(n), false) => {
            out.extend(block(&[(n, value)])[1..].iter());
        }
        (None, true) => {
            let mut v = BytesMut::new();
            hpack::huffman::encode(value.as_bytes(), &mut v);
            let mut l = BytesMut::new();
            hpack::encode_integer(v.len(), 7, 0x80, &mut l);
            out.extend_from_slice(&l);
            out.extend_from_slice(&v);
        }
        (None, false) => {
            let mut l = BytesMut::new();
            hpack::encode_integer(value.len(), 7, 0, &mut l);
            out.extend_from_slice(&l);
            out.extend_from_slice(value.as_bytes());
        }
    }
    out
}

fn hpack_case(s: &mut Server, field: Vec<u8>) {
    s.feed(&headers(1, &raw_block(&field), END_HEADERS | END_STREAM));
}

fn cases() -> Vec<(&'static str, Script, Expect)> {
    use Expect::*;
    vec![
        // ---- generic ----
        (
            "generic/2/1",
            |s| s.feed(&priority(3, 0, false, 15)),
            PingAck,
        ),
        (
            "generic/2/2",
            |s| feed(s, &[get(1), window_update(1, 100)]),
            Headers(1),
        ),
        (
            "generic/2/3",
            |s| feed(s, &[get(1), priority(1, 0, false, 15)]),
            Headers(1),
        ),
        (
            "generic/2/4",
            |s| feed(s, &[get(1), rst(1, 8)]),
            PingOrClose,
        ),
        (
            "generic/2/5",
            |s| {
                closed_stream(s, 1);
                s.feed(&priority(1, 0, false, 15))
            },
            PingAck,
        ),
        (
            "generic/3.1/1",
            |s| feed(s, &[post(1), data(1, b"test", true)]),
            Headers(1),
        ),
        (
            "generic/3.1/2",
            |s| feed(s, &[post(1), data(1, b"te", false), data(1, b"st", true)]),
            Headers(1),
        ),
        (
            "generic/3.1/3",
            |s| {
                feed(
                    s,
                    &[
                        post(1),
                        raw(DATA, PADDED | END_STREAM, 1, &padded(8, b"test")),
                    ],
                )
            },
            Headers(1),
        ),
        ("generic/3.2/1", |s| s.feed(&get(1)), Headers(1)),
        (
            "generic/3.2/2",
            |s| {
                s.feed(&raw(
                    HEADERS,
                    PADDED | END_HEADERS | END_STREAM,
                    1,
                    &padded(8, &get_block()),
                ))
            },
            Headers(1),
        ),
        (
            "generic/3.2/3",
            |s| {
                let mut p = vec![0, 0, 0, 0, 255];
                p.extend(get_block());
                s.feed(&raw(
                    HEADERS,
                    PRIORITY_FLAG | END_HEADERS | END_STREAM,
                    1,
                    &p,
                ))
            },
            Headers(1),
        ),
        (
            "generic/3.3/1",
            |s| feed(s, &[priority(1, 0, false, 0), get(1)]),
            Headers(1),
        ),
        (
            "generic/3.3/2",
            |s| feed(s, &[priority(1, 0, false, 255), get(1)]),
            Headers(1),
        ),
        (
            "generic/3.3/3",
            |s| feed(s, &[priority(1, 3, false, 15), get(1)]),
            Headers(1),
        ),
        (
            "generic/3.3/4",
            |s| feed(s, &[priority(1, 3, true, 15), get(1)]),
            Headers(1),
        ),
        (
            "generic/3.3/5",
            |s| feed(s, &[priority(5, 0, false, 15), get(3)]),
            Headers(3),
        ),
        (
            "generic/3.4/1",
            |s| feed(s, &[post(1), rst(1, 8)]),
            PingOrClose,
        ),
        (
            "generic/3.5/1",
            |s| s.feed(&settings(&[(3, 100)])),
            SettingsAck,
        ),
        ("generic/3.7/1", |_| {}, PingAck),
        ("generic/3.8/1", |s| s.feed(&goaway(0, 0)), PingOrClose),
        ("generic/3.9/1", |s| s.feed(&window_update(0, 1)), PingAck),
        (
            "generic/3.9/2",
            |s| feed(s, &[post(1), window_update(1, 1), data(1, b"x", true)]),
            Headers(1),
        ),
        (
            "generic/3.10/1",
            |s| {
                let b = get_block();
                feed(
                    s,
                    &[
                        headers(1, &b[..5], END_STREAM),
                        continuation(1, &b[5..], END_HEADERS),
                    ],
                )
            },
            Headers(1),
        ),
        (
            "generic/3.10/2",
            |s| {
                let b = get_block();
                feed(
                    s,
                    &[
                        headers(1, &b[..3], END_STREAM),
                        continuation(1, &b[3..6], 0),
                        continuation(1, &b[6..9], 0),
                        continuation(1, &b[9..], END_HEADERS),
                    ],
                )
            },
            Headers(1),
        ),
        ("generic/4/1", |s| s.feed(&get(1)), Headers(1)),
        (
            "generic/4/2",
            |s| {
                s.feed(&headers(
                    1,
                    &block(&[
                        (":method", "HEAD"),
                        (":scheme", "http"),
                        (":path", "/"),
                        (":authority", "a"),
                    ]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Headers(1),
        ),
        (
            "generic/4/3",
            |s| {
                feed(
                    s,
                    &[
                        headers(1, &with(POST, &[("content-length", "4")]), END_HEADERS),
                        data(1, b"test", true),
                    ],
                )
            },
            Headers(1),
        ),
        (
            "generic/4/4",
            |s| {
                feed(
                    s,
                    &[
                        post(1),
                        data(1, b"test", false),
                        headers(1, &block(&[("trailer", "x")]), END_HEADERS | END_STREAM),
                    ],
                )
            },
            Headers(1),
        ),
        ("generic/5/1", |s| hpack_case(s, vec![0x90]), Headers(1)), // indexed accept-encoding: gzip, deflate
        (
            "generic/5/2",
            |s| hpack_case(s, literal(0x40, 6, 58, None, "gzip", false)),
            Headers(1),
        ),
        (
            "generic/5/3",
            |s| hpack_case(s, literal(0x40, 6, 58, None, "gzip", true)),
            Headers(1),
        ),
        (
            "generic/5/4",
            |s| hpack_case(s, literal(0x40, 6, 0, Some("x-new"), "v", false)),
            Headers(1),
        ),
        (
            "generic/5/5",
            |s| hpack_case(s, literal(0x40, 6, 0, Some("x-new"), "v", true)),
            Headers(1),
        ),
        (
            "generic/5/6",
            |s| hpack_case(s, literal(0x00, 4, 58, None, "gzip", false)),
            Headers(1),
        ),
        (
            "generic/5/7",
            |s| hpack_case(s, literal(0x00, 4, 58, None, "gzip", true)),
            Headers(1),
        ),
        (
            "generic/5/8",
            |s| hpack_case(s, literal(0x00, 4, 0, Some("x-new"), "v", false)),
            Headers(1),
        ),
        (
            "generic/5/9",
            |s| hpack_case(s, literal(0x00, 4, 0, Some("x-new"), "v", true)),
            Headers(1),
        ),
        (
            "generic/5/10",
            |s| hpack_case(s, literal(0x10, 4, 58, None, "gzip", false)),
            Headers(1),
        ),
        (
            "generic/5/11",
            |s| hpack_case(s, literal(0x10, 4, 58, None, "gzip", true)),
            Headers(1),
        ),
        (
            "generic/5/12",
            |s| hpack_case(s, literal(0x10, 4, 0, Some("x-new"), "v", false)),
            Headers(1),
        ),
        (
            "generic/5/13",
            |s| hpack_case(s, literal(0x10, 4, 0, Some("x-new"), "v", true)),
            Headers(1),
        ),
        (
            "generic/5/14",
            |s| {
                let mut b = vec![0x3f, 0xe1, 0x1f]; // size update to 4096
                b.extend(raw_block(&[]));
                s.feed(&headers(1, &b, END_HEADERS | END_STREAM))
            },
            Headers(1),
        ),
        (
            "generic/5/15",
            |s| {
                let mut b = vec![0x20, 0x3f, 0xe1, 0x1f]; // 0, then 4096
                b.extend(raw_block(&[]));
                s.feed(&headers(1, &b, END_HEADERS | END_STREAM))
            },
            Headers(1),
        ),
        // ---- http2/4 ----
        (
            "http2/4.1/1",
            |s| s.feed(&raw(0x16, 0, 0, b"unknown!")),
            PingAck,
        ),
        (
            "http2/4.1/2",
            |s| s.feed(&raw(PING, 0x16, 0, b"h2spec!!")),
            PingAck,
        ),
        (
            "http2/4.1/3",
            |s| {
                s.feed(&headers(
                    0x8000_0001,
                    &get_block(),
                    END_HEADERS | END_STREAM,
                ))
            },
            Headers(1),
        ),
        (
            "http2/4.2/1",
            |s| feed(s, &[post(1), data(1, &[b'x'; 16384], true)]),
            Headers(1),
        ),
        (
            "http2/4.2/2",
            |s| feed(s, &[post(1), data(1, &[b'x'; 16385], true)]),
            Stream(FRAME_SIZE),
        ),
        (
            "http2/4.2/3",
            |s| {
                let big = "x".repeat(16384);
                s.feed(&headers(
                    1,
                    &with(GET, &[("x-big", Box::leak(big.into_boxed_str()))]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Conn(FRAME_SIZE),
        ),
        (
            "http2/4.3/1",
            |s| {
                s.feed(&headers(
                    1,
                    &[0xff, 0xff, 0xff, 0xff],
                    END_HEADERS | END_STREAM,
                ))
            },
            Conn(COMPRESSION),
        ),
        (
            "http2/4.3/2",
            |s| {
                feed(
                    s,
                    &[
                        headers(1, &get_block(), END_STREAM),
                        priority(1, 0, false, 15),
                    ],
                )
            },
            Conn(PROTOCOL),
        ),
        (
            "http2/4.3/3",
            |s| feed(s, &[headers(1, &get_block(), END_STREAM), get(3)]),
            Conn(PROTOCOL),
        ),
        // ---- http2/5.1 ----
        (
            "http2/5.1/1",
            |s| s.feed(&data(1, b"x", true)),
            Stream(CLOSED_OR_PROTOCOL),
        ),
        ("http2/5.1/2", |s| s.feed(&rst(1, 8)), Conn(PROTOCOL)),
        (
            "http2/5.1/3",
            |s| s.feed(&window_update(1, 100)),
            Conn(PROTOCOL),
        ),
        (
            "http2/5.1/4",
            |s| s.feed(&continuation(1, &get_block(), END_HEADERS)),
            Conn(PROTOCOL),
        ),
        (
            "http2/5.1/5",
            |s| {
                s.respond = false;
                feed(s, &[get(1), data(1, b"x", true)])
            },
            Stream(STREAM_CLOSED),
        ),
        (
            "http2/5.1/6",
            |s| {
                s.respond = false;
                feed(s, &[get(1), get(1)])
            },
            Stream(STREAM_CLOSED),
        ),
        (
            "http2/5.1/7",
            |s| {
                s.respond = false;
                feed(s, &[get(1), continuation(1, &get_block(), END_HEADERS)])
            },
            Stream(CLOSED_OR_PROTOCOL),
        ),
        (
            "http2/5.1/8",
            |s| feed(s, &[post(1), rst(1, 8), data(1, b"x", true)]),
            Stream(STREAM_CLOSED),
        ),
        (
            "http2/5.1/9",
            |s| feed(s, &[post(1), rst(1, 8), get(1)]),
            Stream(STREAM_CLOSED),
        ),
        (
            "http2/5.1/10",
            |s| {
                feed(
                    s,
                    &[
                        post(1),
                        rst(1, 8),
                        continuation(1, &get_block(), END_HEADERS),
                    ],
                )
            },
            Stream(CLOSED_OR_PROTOCOL),
        ),
        (
            "http2/5.1/11",
            |s| {
                closed_stream(s, 1);
                s.feed(&data(1, b"x", true))
            },
            Stream(STREAM_CLOSED),
        ),
        (
            "http2/5.1/12",
            |s| {
                closed_stream(s, 1);
                s.feed(&get(1))
            },
            Conn(STREAM_CLOSED),
        ),
        (
            "http2/5.1/13",
            |s| {
                closed_stream(s, 1);
                s.feed(&continuation(1, &get_block(), END_HEADERS))
            },
            Conn(CLOSED_OR_PROTOCOL),
        ),
        ("http2/5.1.1/1", |s| s.feed(&get(2)), Conn(PROTOCOL)),
        (
            "http2/5.1.1/2",
            |s| feed(s, &[get(5), get(3)]),
            Conn(PROTOCOL),
        ),
        (
            "http2/5.1.2/1",
            |s| {
                let max = s
                    .conn
                    .local_settings()
                    .max_concurrent_streams
                    .expect("advertised");
                let reqs: Vec<Vec<u8>> = (0..=max).map(|i| post(1 + 2 * i)).collect();
                feed(s, &reqs)
            },
            Stream(&[ErrorCode::PROTOCOL_ERROR, ErrorCode::REFUSED_STREAM]),
        ),
        (
            "http2/5.3.1/1",
            |s| {
                let mut p = vec![0, 0, 0, 1, 15];
                p.extend(get_block());
                s.feed(&raw(
                    HEADERS,
                    PRIORITY_FLAG | END_HEADERS | END_STREAM,
                    1,
                    &p,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/5.3.1/2",
            |s| feed(s, &[post(1), priority(1, 1, false, 15)]),
            Stream(PROTOCOL),
        ),
        (
            "http2/5.4.1/1",
            |s| s.feed(&raw(PING, 0, 3, b"h2spec!!")),
            Conn(PROTOCOL),
        ),
        (
            "http2/5.4.1/2",
            |s| s.feed(&raw(PING, 0, 3, b"h2spec!!")),
            Conn(PROTOCOL),
        ),
        (
            "http2/5.5/1",
            |s| s.feed(&raw(0xff, 0, 0, b"extension")),
            PingAck,
        ),
        (
            "http2/5.5/2",
            |s| {
                feed(
                    s,
                    &[
                        headers(1, &get_block(), END_STREAM),
                        raw(0xff, 0, 1, b"ext"),
                    ],
                )
            },
            Conn(PROTOCOL),
        ),
        // ---- http2/6.1-6.4 ----
        (
            "http2/6.1/1",
            |s| feed(s, &[post(1), data(0, b"x", true)]),
            Conn(PROTOCOL),
        ),
        (
            "http2/6.1/2",
            |s| {
                s.respond = false;
                feed(s, &[get(1), data(1, b"x", true)])
            },
            Stream(STREAM_CLOSED),
        ),
        (
            "http2/6.1/3",
            |s| {
                feed(
                    s,
                    &[
                        post(1),
                        raw(DATA, PADDED | END_STREAM, 1, &[6, b't', b'e', b's', b't']),
                    ],
                )
            },
            Conn(PROTOCOL),
        ),
        (
            "http2/6.2/1",
            |s| {
                feed(
                    s,
                    &[
                        headers(1, &get_block(), END_STREAM),
                        priority(1, 0, false, 15),
                    ],
                )
            },
            Conn(PROTOCOL),
        ),
        (
            "http2/6.2/2",
            |s| feed(s, &[headers(1, &get_block(), END_STREAM), get(3)]),
            Conn(PROTOCOL),
        ),
        ("http2/6.2/3", |s| s.feed(&get(0)), Conn(PROTOCOL)),
        (
            "http2/6.2/4",
            |s| {
                let b = get_block();
                let mut p = vec![b.len() as u8 + 1];
                p.extend(b);
                s.feed(&raw(HEADERS, PADDED | END_HEADERS | END_STREAM, 1, &p))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/6.3/1",
            |s| feed(s, &[post(1), priority(0, 1, false, 15)]),
            Conn(PROTOCOL),
        ),
        (
            "http2/6.3/2",
            |s| feed(s, &[post(1), raw(PRIORITY, 0, 1, &[0, 0, 0, 3])]),
            Stream(FRAME_SIZE),
        ),
        ("http2/6.4/1", |s| s.feed(&rst(0, 8)), Conn(PROTOCOL)),
        ("http2/6.4/2", |s| s.feed(&rst(1, 8)), Conn(PROTOCOL)),
        (
            "http2/6.4/3",
            |s| feed(s, &[post(1), raw(RST_STREAM, 0, 1, &[0, 0, 8])]),
            Stream(FRAME_SIZE),
        ),
        // ---- http2/6.5 ----
        (
            "http2/6.5/1",
            |s| s.feed(&raw(SETTINGS, ACK, 0, &[0, 3, 0, 0, 0, 100])),
            Conn(FRAME_SIZE),
        ),
        (
            "http2/6.5/2",
            |s| s.feed(&raw(SETTINGS, 0, 1, &[0, 3, 0, 0, 0, 100])),
            Conn(PROTOCOL),
        ),
        (
            "http2/6.5/3",
            |s| s.feed(&raw(SETTINGS, 0, 0, &[0, 3, 0])),
            Stream(&[ErrorCode::PROTOCOL_ERROR, ErrorCode::FRAME_SIZE_ERROR]),
        ),
        (
            "http2/6.5.2/1",
            |s| s.feed(&settings(&[(2, 2)])),
            Conn(PROTOCOL),
        ),
        (
            "http2/6.5.2/2",
            |s| s.feed(&settings(&[(4, 1 << 31)])),
            Conn(FLOW),
        ),
        (
            "http2/6.5.2/3",
            |s| s.feed(&settings(&[(5, 16383)])),
            Conn(PROTOCOL),
        ),
        (
            "http2/6.5.2/4",
            |s| s.feed(&settings(&[(5, 1 << 24)])),
            Conn(PROTOCOL),
        ),
        (
            "http2/6.5.2/5",
            |s| s.feed(&settings(&[(0xff, 1)])),
            PingAck,
        ),
        (
            "http2/6.5.3/1",
            |s| feed(s, &[settings(&[(4, 100), (4, 1)]), get(1)]),
            OneByteData(1),
        ),
        ("http2/6.5.3/2", |s| s.feed(&settings(&[])), SettingsAck),
        // ---- http2/6.7-6.8 ----
        ("http2/6.7/1", |_| {}, PingAck),
        (
            "http2/6.7/2",
            |s| s.feed(&raw(PING, ACK, 0, b"unsolici")),
            PingAck,
        ),
        (
            "http2/6.7/3",
            |s| s.feed(&raw(PING, 0, 1, b"h2spec!!")),
            Conn(PROTOCOL),
        ),
        (
            "http2/6.7/4",
            |s| s.feed(&raw(PING, 0, 0, b"h2spec")),
            Conn(FRAME_SIZE),
        ),
        (
            "http2/6.8/1",
            |s| s.feed(&raw(GOAWAY, 0, 1, &[0, 0, 0, 0, 0, 0, 0, 0])),
            Conn(PROTOCOL),
        ),
        // ---- http2/6.9 ----
        (
            "http2/6.9/1",
            |s| s.feed(&window_update(0, 0)),
            Conn(PROTOCOL),
        ),
        (
            "http2/6.9/2",
            |s| feed(s, &[post(1), window_update(1, 0)]),
            Stream(PROTOCOL),
        ),
        (
            "http2/6.9/3",
            |s| s.feed(&raw(WINDOW_UPDATE, 0, 0, &[0, 0, 1])),
            Conn(FRAME_SIZE),
        ),
        (
            "http2/6.9.1/1",
            |s| feed(s, &[settings(&[(4, 1)]), get(1)]),
            OneByteData(1),
        ),
        (
            "http2/6.9.1/2",
            |s| {
                feed(
                    s,
                    &[window_update(0, 0x7fff_ffff), window_update(0, 0x7fff_ffff)],
                )
            },
            Conn(FLOW),
        ),
        (
            "http2/6.9.1/3",
            |s| {
                feed(
                    s,
                    &[
                        post(1),
                        window_update(1, 0x7fff_ffff),
                        window_update(1, 0x7fff_ffff),
                    ],
                )
            },
            Stream(FLOW),
        ),
        (
            "http2/6.9.2/1",
            |s| feed(s, &[settings(&[(4, 0)]), get(1), settings(&[(4, 1)])]),
            OneByteData(1),
        ),
        (
            "http2/6.9.2/2",
            |s| {
                feed(s, &[settings(&[(4, 3)]), get(1)]);
                assert_eq!(s.data_lengths_on(1), vec![3]);
                s.clear();
                feed(s, &[settings(&[(4, 2)]), window_update(1, 2)]);
                assert!(s.data_lengths_on(1) == vec![1]);
                // The check below looks for the HEADERS of the response, sent earlier.
                s.frames.insert(
                    0,
                    weft_http2::frame::Frame::Headers(weft_http2::frame::Headers {
                        stream: StreamId::new(1),
                        block: bytes::Bytes::new(),
                        end_stream: false,
                        end_headers: true,
                        priority: None,
                        pad: None,
                    }),
                );
            },
            OneByteData(1),
        ),
        (
            "http2/6.9.2/3",
            |s| s.feed(&settings(&[(4, 1 << 31)])),
            Conn(FLOW),
        ),
        // ---- http2/6.10 ----
        (
            "http2/6.10/1",
            |s| {
                let b = get_block();
                feed(
                    s,
                    &[
                        headers(1, &b[..4], END_STREAM),
                        continuation(1, &b[4..8], 0),
                        continuation(1, &b[8..], END_HEADERS),
                    ],
                )
            },
            Headers(1),
        ),
        (
            "http2/6.10/2",
            |s| {
                let b = get_block();
                feed(
                    s,
                    &[
                        headers(1, &b[..4], 0),
                        continuation(1, &b[4..8], 0),
                        data(1, b"x", true),
                    ],
                )
            },
            Conn(PROTOCOL),
        ),
        (
            "http2/6.10/3",
            |s| {
                let b = get_block();
                feed(
                    s,
                    &[
                        headers(1, &b[..4], END_STREAM),
                        continuation(0, &b[4..], END_HEADERS),
                    ],
                )
            },
            Conn(PROTOCOL),
        ),
        (
            "http2/6.10/4",
            |s| feed(s, &[get(1), continuation(1, &get_block(), END_HEADERS)]),
            Conn(PROTOCOL),
        ),
        (
            "http2/6.10/5",
            |s| {
                let b = get_block();
                feed(
                    s,
                    &[
                        headers(1, &b[..4], END_STREAM),
                        continuation(1, &b[4..], END_HEADERS),
                        continuation(1, &b[4..], END_HEADERS),
                    ],
                )
            },
            Conn(PROTOCOL),
        ),
        (
            "http2/6.10/6",
            |s| {
                feed(
                    s,
                    &[
                        post(1),
                        data(1, b"x", false),
                        continuation(1, &get_block(), END_HEADERS),
                    ],
                )
            },
            Conn(PROTOCOL),
        ),
        // ---- http2/7 ----
        ("http2/7/1", |s| s.feed(&goaway(0, 0xff)), PingOrClose),
        (
            "http2/7/2",
            |s| feed(s, &[post(1), rst(1, 0xff)]),
            PingOrClose,
        ),
        // ---- http2/8 ----
        (
            "http2/8.1/1",
            |s| {
                feed(
                    s,
                    &[
                        post(1),
                        data(1, b"x", false),
                        headers(1, &block(&[("x-trailer", "a")]), END_HEADERS),
                    ],
                )
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2/1",
            |s| {
                s.feed(&headers(
                    1,
                    &with(GET, &[("X-Upper", "a")]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.1/1",
            |s| {
                s.feed(&headers(
                    1,
                    &with(GET, &[(":unknown", "a")]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.1/2",
            |s| {
                s.feed(&headers(
                    1,
                    &with(GET, &[(":status", "200")]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.1/3",
            |s| {
                feed(
                    s,
                    &[
                        post(1),
                        data(1, b"x", false),
                        headers(1, &block(&[(":method", "POST")]), END_HEADERS | END_STREAM),
                    ],
                )
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.1/4",
            |s| {
                s.feed(&headers(
                    1,
                    &block(&[
                        (":method", "GET"),
                        (":scheme", "http"),
                        ("x", "y"),
                        (":path", "/"),
                    ]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.2/1",
            |s| {
                s.feed(&headers(
                    1,
                    &with(GET, &[("connection", "keep-alive")]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.2/2",
            |s| {
                s.feed(&headers(
                    1,
                    &with(GET, &[("te", "trailers, deflate")]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.3/1",
            |s| {
                s.feed(&headers(
                    1,
                    &block(&[
                        (":method", "GET"),
                        (":scheme", "http"),
                        (":path", ""),
                        (":authority", "a"),
                    ]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.3/2",
            |s| {
                s.feed(&headers(
                    1,
                    &block(&[(":scheme", "http"), (":path", "/"), (":authority", "a")]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.3/3",
            |s| {
                s.feed(&headers(
                    1,
                    &block(&[(":method", "GET"), (":path", "/"), (":authority", "a")]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.3/4",
            |s| {
                s.feed(&headers(
                    1,
                    &block(&[(":method", "GET"), (":scheme", "http"), (":authority", "a")]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.3/5",
            |s| {
                s.feed(&headers(
                    1,
                    &block(&[
                        (":method", "GET"),
                        (":method", "GET"),
                        (":scheme", "http"),
                        (":path", "/"),
                    ]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.3/6",
            |s| {
                s.feed(&headers(
                    1,
                    &block(&[
                        (":method", "GET"),
                        (":scheme", "http"),
                        (":scheme", "http"),
                        (":path", "/"),
                    ]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.3/7",
            |s| {
                s.feed(&headers(
                    1,
                    &block(&[
                        (":method", "GET"),
                        (":scheme", "http"),
                        (":path", "/"),
                        (":path", "/"),
                    ]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.6/1",
            |s| {
                feed(
                    s,
                    &[
                        headers(1, &with(POST, &[("content-length", "1")]), END_HEADERS),
                        data(1, b"test", true),
                    ],
                )
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.1.2.6/2",
            |s| {
                feed(
                    s,
                    &[
                        headers(1, &with(POST, &[("content-length", "1")]), END_HEADERS),
                        data(1, b"te", false),
                        data(1, b"st", true),
                    ],
                )
            },
            Stream(PROTOCOL),
        ),
        (
            "http2/8.2/1",
            |s| {
                feed(
                    s,
                    &[
                        post(1),
                        raw(
                            PUSH_PROMISE,
                            END_HEADERS,
                            1,
                            &cat(&[vec![0, 0, 0, 2], get_block()]),
                        ),
                    ],
                )
            },
            Conn(PROTOCOL),
        ),
        // ---- hpack ----
        (
            "hpack/2.3.3/1",
            |s| hpack_case(s, vec![0xff, 0x80, 0x01]),
            Conn(COMPRESSION),
        ), // index 255
        (
            "hpack/2.3.3/2",
            |s| hpack_case(s, literal(0x40, 6, 200, None, "x", false)),
            Conn(COMPRESSION),
        ),
        (
            "hpack/4.2/1",
            |s| {
                s.feed(&headers(
                    1,
                    &cat(&[raw_block(&[]), vec![0x3f, 0xe1, 0x1f]]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Conn(COMPRESSION),
        ),
        (
            "hpack/5.2/1",
            |s| hpack_case(s, vec![0x00, 0x81, b'x', 0x81, 0xff]),
            Conn(COMPRESSION),
        ), // 8 bits of padding
        (
            "hpack/5.2/2",
            |s| hpack_case(s, vec![0x00, 0x81, b'x', 0x81, 0x00]),
            Conn(COMPRESSION),
        ), // zero padding
        (
            "hpack/5.2/3",
            |s| hpack_case(s, vec![0x00, 0x81, b'x', 0x84, 0xff, 0xff, 0xff, 0xff]),
            Conn(COMPRESSION),
        ), // EOS
        (
            "hpack/6.1/1",
            |s| hpack_case(s, vec![0x80]),
            Conn(COMPRESSION),
        ),
        (
            "hpack/6.3/1",
            |s| {
                s.feed(&headers(
                    1,
                    &cat(&[vec![0x3f, 0xe2, 0x1f], raw_block(&[])]),
                    END_HEADERS | END_STREAM,
                ))
            },
            Conn(COMPRESSION),
        ),
    ]
}

#[test]
fn every_catalogue_case_passes() {
    let cases = cases();
    let mut failures = Vec::new();
    for (id, script, expect) in &cases {
        let mut s = Server::new();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            script(&mut s);
            check(id, &mut s, *expect);
        }));
        if let Err(e) = outcome {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            failures.push(format!("{id}: {}", msg.unwrap_or_default()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    // The table holds every case of the catalogue that runs after a normal handshake;
    // the preface cases (generic/1/1, http2/3.5/1-2) are the tests below.
    assert_eq!(cases.len(), 147 - 3);
}

#[test]
fn generic_1_1_and_http2_3_5_1_server_preface_is_settings() {
    // Server::new asserts that the first frame is a non-ACK SETTINGS.
    let s = Server::new();
    assert!(s.goaway().is_none());
}

#[test]
fn http2_3_5_2_invalid_preface() {
    let mut s = Server::with_config(weft_http2::Config::server());
    s.clear();
    s.feed(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n");
    assert_eq!(s.goaway().map(|g| g.1), Some(ErrorCode::PROTOCOL_ERROR));
    assert!(s.conn.is_closed());
}

#[test]
fn preface_split_byte_by_byte() {
    let mut s = Server::with_config(weft_http2::Config::server());
    for b in PREFACE.iter().chain(settings(&[]).iter()) {
        s.feed(&[*b]);
    }
    assert!(s.result.is_ok());
    assert!(s.settings_acks() >= 1);
}
