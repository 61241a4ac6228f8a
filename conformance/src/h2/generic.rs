//! `generic`: "Generic tests for HTTP/2 server" (44 cases). Each case sends
//! what the catalogue says, frame for frame, then applies its verifier.

use super::verify;
use super::{Ctx, Section, case, section};
use crate::frame::{ErrorCode, FrameType, Headers, Priority, setting};

const ZERO_PING: [u8; 8] = [0; 8];
const H2SPEC_PING: [u8; 8] = *b"h2spec\0\0";
const WEIGHT_256: Priority = Priority {
    dependency: 0,
    exclusive: false,
    weight: 255,
};

/// A complete GET on stream 1, then the response is expected.
fn get_then_headers(c: &mut Ctx<'_>, headers: &Headers<'_>) -> verify::CaseResult {
    c.handshake()?;
    let block = c.block(&c.common());
    c.conn.headers(&Headers {
        block: &block,
        ..headers.clone()
    });
    verify::headers_frame(&mut c.conn, 1)
}

/// A POST on stream 1 whose body `send_body` sends, then the response is expected.
fn post_then_headers(c: &mut Ctx<'_>, send_body: impl FnOnce(&mut Ctx<'_>)) -> verify::CaseResult {
    c.handshake()?;
    let block = c.block(&c.post());
    c.conn.headers(&Headers {
        stream_id: 1,
        end_headers: true,
        block: &block,
        ..Headers::default()
    });
    send_body(c);
    verify::headers_frame(&mut c.conn, 1)
}

fn complete(stream_id: u32) -> Headers<'static> {
    Headers {
        stream_id,
        end_stream: true,
        end_headers: true,
        ..Headers::default()
    }
}

/// A GET on stream 1 whose header block ends with `rep` (generic/5 and hpack cases).
pub(super) fn get_with_representation(c: &mut Ctx<'_>, prefix: &[u8], rep: &[u8]) -> Vec<u8> {
    let mut block = prefix.to_vec();
    block.extend_from_slice(&c.block(&c.common()));
    block.extend_from_slice(rep);
    block
}

fn hpack_case(c: &mut Ctx<'_>, prefix: &[u8], rep: &[u8]) -> verify::CaseResult {
    c.handshake()?;
    let block = get_with_representation(c, prefix, rep);
    c.conn.headers(&Headers {
        block: &block,
        ..complete(1)
    });
    verify::headers_frame(&mut c.conn, 1)
}

fn priority_then_get(c: &mut Ctx<'_>, on: u32, priority: Priority) -> verify::CaseResult {
    c.handshake()?;
    c.conn.priority(on, priority);
    let block = c.block(&c.common());
    c.conn.headers(&Headers {
        block: &block,
        ..complete(1)
    });
    verify::headers_frame(&mut c.conn, 1)
}

/// A GET on stream 1 after setting our initial window to 0, so the response
/// body waits; then `frames` are sent and a DATA frame is expected.
fn half_closed_then_data(c: &mut Ctx<'_>, frames: impl FnOnce(&mut Ctx<'_>)) -> verify::CaseResult {
    c.handshake()?;
    c.conn.settings(&[(setting::INITIAL_WINDOW_SIZE, 0)]);
    let block = c.block(&c.common());
    c.conn.headers(&Headers {
        block: &block,
        ..complete(1)
    });
    frames(c);
    verify::frame_type(&mut c.conn, FrameType::DATA)
}

pub(super) fn sections() -> Vec<Section> {
    vec![
        section("generic", "Generic tests for HTTP/2 server", vec![]),
        section(
            "generic/1",
            "1. Starting HTTP/2",
            vec![case(
                "Sends a client connection preface",
                "The endpoint MUST accept client connection preface.",
                |c| {
                    c.conn.send(crate::frame::PREFACE);
                    c.conn.settings(&[(setting::INITIAL_WINDOW_SIZE, 65_535)]);
                    verify::first_frame_is_settings(&mut c.conn)
                },
            )],
        ),
        section(
            "generic/2",
            "2. Streams and Multiplexing",
            vec![
                case(
                    "Sends a PRIORITY frame on idle stream",
                    "The endpoint MUST accept PRIORITY frame.",
                    |c| {
                        c.handshake()?;
                        c.conn.priority(1, WEIGHT_256);
                        c.conn.ping(false, ZERO_PING);
                        verify::ping_ack(&mut c.conn, ZERO_PING)
                    },
                ),
                case(
                    "Sends a WINDOW_UPDATE frame on half-closed (remote) stream",
                    "The endpoint MUST accept WINDOW_UPDATE frame.",
                    |c| half_closed_then_data(c, |c| c.conn.window_update(1, 1)),
                ),
                case(
                    "Sends a PRIORITY frame on half-closed (remote) stream",
                    "The endpoint MUST accept PRIORITY frame.",
                    |c| {
                        half_closed_then_data(c, |c| {
                            c.conn.priority(1, WEIGHT_256);
                            c.conn.window_update(1, 1);
                        })
                    },
                ),
                case(
                    "Sends a RST_STREAM frame on half-closed (remote) stream",
                    "The endpoint MUST accept RST_STREAM frame.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        c.conn.headers(&Headers {
                            block: &block,
                            ..complete(1)
                        });
                        c.conn.rst_stream(1, ErrorCode::CANCEL);
                        c.conn.ping(false, ZERO_PING);
                        verify::ping_ack_or_close(&mut c.conn, ZERO_PING)
                    },
                ),
                case(
                    "Sends a PRIORITY frame on closed stream",
                    "The endpoint MUST accept PRIORITY frame.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        c.conn.headers(&Headers {
                            block: &block,
                            ..complete(1)
                        });
                        verify::stream_close(&mut c.conn)?;
                        c.conn.priority(1, WEIGHT_256);
                        c.conn.ping(false, ZERO_PING);
                        verify::ping_ack(&mut c.conn, ZERO_PING)
                    },
                ),
            ],
        ),
        section("generic/3", "3. Frame Definitions", vec![]),
        section(
            "generic/3.1",
            "3.1. DATA",
            vec![
                case(
                    "Sends a DATA frame",
                    "The endpoint MUST accept DATA frame.",
                    |c| post_then_headers(c, |c| c.conn.data(1, true, b"test")),
                ),
                case(
                    "Sends multiple DATA frames",
                    "The endpoint MUST accept multiple DATA frames.",
                    |c| {
                        post_then_headers(c, |c| {
                            c.conn.data(1, false, b"test");
                            c.conn.data(1, true, b"test");
                        })
                    },
                ),
                case(
                    "Sends a DATA frame with padding",
                    "The endpoint MUST accept DATA frame with padding.",
                    |c| post_then_headers(c, |c| c.conn.data_padded(1, true, b"test", &[0; 5])),
                ),
            ],
        ),
        section(
            "generic/3.2",
            "3.2. HEADERS",
            vec![
                case(
                    "Sends a HEADERS frame",
                    "The endpoint MUST accept HEADERS frame.",
                    |c| get_then_headers(c, &complete(1)),
                ),
                case(
                    "Sends a HEADERS frame with padding",
                    "The endpoint MUST accept HEADERS frame with padding.",
                    |c| {
                        get_then_headers(
                            c,
                            &Headers {
                                pad_length: 8,
                                ..complete(1)
                            },
                        )
                    },
                ),
                case(
                    "Sends a HEADERS frame with priority",
                    "The endpoint MUST accept HEADERS frame with priority.",
                    |c| {
                        get_then_headers(
                            c,
                            &Headers {
                                priority: WEIGHT_256,
                                ..complete(1)
                            },
                        )
                    },
                ),
            ],
        ),
        section(
            "generic/3.3",
            "3.3. PRIORITY",
            vec![
                case(
                    "Sends a PRIORITY frame with priority 1",
                    "The endpoint MUST accept PRIORITY frame with priority 1.",
                    |c| priority_then_get(c, 1, Priority::default()),
                ),
                case(
                    "Sends a PRIORITY frame with priority 256",
                    "The endpoint MUST accept PRIORITY frame with priority 256.",
                    |c| priority_then_get(c, 1, WEIGHT_256),
                ),
                case(
                    "Sends a PRIORITY frame with stream dependency",
                    "The endpoint MUST accept PRIORITY frame with stream dependency.",
                    |c| {
                        priority_then_get(
                            c,
                            3,
                            Priority {
                                dependency: 1,
                                exclusive: false,
                                weight: 0,
                            },
                        )
                    },
                ),
                case(
                    "Sends a PRIORITY frame with exclusive",
                    "The endpoint MUST accept PRIORITY frame with exclusive.",
                    |c| {
                        priority_then_get(
                            c,
                            1,
                            Priority {
                                dependency: 0,
                                exclusive: true,
                                weight: 0,
                            },
                        )
                    },
                ),
                case(
                    "Sends a PRIORITY frame for an idle stream, then send a HEADER frame for a lower stream ID",
                    "The endpoint MUST respond the HEADER frame.",
                    |c| priority_then_get(c, 3, WEIGHT_256),
                ),
            ],
        ),
        section(
            "generic/3.4",
            "3.4. RST_STREAM",
            vec![case(
                "Sends a RST_STREAM frame",
                "The endpoint MUST accept RST_STREAM frame.",
                |c| {
                    c.handshake()?;
                    let block = c.block(&c.common());
                    c.conn.headers(&Headers {
                        stream_id: 1,
                        end_headers: true,
                        block: &block,
                        ..Headers::default()
                    });
                    c.conn.rst_stream(1, ErrorCode::CANCEL);
                    c.conn.ping(false, ZERO_PING);
                    verify::ping_ack_or_close(&mut c.conn, ZERO_PING)
                },
            )],
        ),
        section(
            "generic/3.5",
            "3.5. SETTINGS",
            vec![case(
                "Sends a SETTINGS frame",
                "The endpoint MUST accept SETTINGS frame.",
                |c| {
                    c.handshake()?;
                    c.conn.settings(&[
                        (setting::HEADER_TABLE_SIZE, 4096),
                        (setting::ENABLE_PUSH, 1),
                        (setting::MAX_CONCURRENT_STREAMS, 100),
                        (setting::INITIAL_WINDOW_SIZE, 65_535),
                        (setting::MAX_FRAME_SIZE, 16_384),
                        (setting::MAX_HEADER_LIST_SIZE, 100),
                    ]);
                    verify::settings_ack(&mut c.conn)
                },
            )],
        ),
        section(
            "generic/3.7",
            "3.7. PING",
            vec![case(
                "Sends a PING frame",
                "The endpoint MUST accept PING frame.",
                |c| {
                    c.handshake()?;
                    c.conn.ping(false, H2SPEC_PING);
                    verify::ping_ack(&mut c.conn, H2SPEC_PING)
                },
            )],
        ),
        section(
            "generic/3.8",
            "3.8. GOAWAY",
            vec![case(
                "Sends a GOAWAY frame",
                "The endpoint MUST accept GOAWAY frame.",
                |c| {
                    c.handshake()?;
                    c.conn.goaway(0, ErrorCode::NO_ERROR, b"h2spec");
                    c.conn.ping(false, H2SPEC_PING);
                    verify::ping_ack_or_close(&mut c.conn, H2SPEC_PING)
                },
            )],
        ),
        section(
            "generic/3.9",
            "3.9. WINDOW_UPDATE",
            vec![
                case(
                    "Sends a WINDOW_UPDATE frame with stream ID 0",
                    "The endpoint MUST accept WINDOW_UPDATE frame.",
                    |c| {
                        c.handshake()?;
                        c.conn.window_update(0, 1);
                        c.conn.ping(false, ZERO_PING);
                        verify::ping_ack(&mut c.conn, ZERO_PING)
                    },
                ),
                case(
                    "Sends a WINDOW_UPDATE frame with stream ID 1",
                    "The endpoint MUST accept WINDOW_UPDATE frame.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        c.conn.headers(&Headers {
                            block: &block,
                            ..complete(1)
                        });
                        c.conn.window_update(1, 1);
                        verify::headers_frame(&mut c.conn, 1)
                    },
                ),
            ],
        ),
        section(
            "generic/3.10",
            "3.10. CONTINUATION",
            vec![
                case(
                    "Sends a CONTINUATION frame",
                    "The endpoint MUST accept CONTINUATION frame.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        let (head, tail) = block.split_at(5.min(block.len()));
                        c.conn.headers(&Headers {
                            stream_id: 1,
                            end_stream: true,
                            block: head,
                            ..Headers::default()
                        });
                        c.conn.continuation(1, true, tail);
                        verify::headers_frame(&mut c.conn, 1)
                    },
                ),
                case(
                    "Sends multiple CONTINUATION frames",
                    "The endpoint MUST accept multiple CONTINUATION frames.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        let (head, rest) = block.split_at(5.min(block.len()));
                        let (middle, tail) = rest.split_at(5.min(rest.len()));
                        c.conn.headers(&Headers {
                            stream_id: 1,
                            end_stream: true,
                            block: head,
                            ..Headers::default()
                        });
                        c.conn.continuation(1, false, middle);
                        c.conn.continuation(1, true, tail);
                        verify::headers_frame(&mut c.conn, 1)
                    },
                ),
            ],
        ),
        section(
            "generic/4",
            "4. HTTP Message Exchanges",
            vec![
                case(
                    "Sends a GET request",
                    "The endpoint MUST respond to the request.",
                    |c| get_then_headers(c, &complete(1)),
                ),
                case(
                    "Sends a HEAD request",
                    "The endpoint MUST respond to the request.",
                    |c| {
                        c.handshake()?;
                        let mut fields = c.common();
                        fields[0].1 = "HEAD".into();
                        let block = c.block(&fields);
                        c.conn.headers(&Headers {
                            block: &block,
                            ..complete(1)
                        });
                        verify::headers_frame(&mut c.conn, 1)
                    },
                ),
                case(
                    "Sends a POST request",
                    "The endpoint MUST respond to the request.",
                    |c| post_then_headers(c, |c| c.conn.data(1, true, b"test")),
                ),
                case(
                    "Sends a POST request with trailers",
                    "The endpoint MUST respond to the request.",
                    |c| {
                        c.handshake()?;
                        let mut fields = c.post();
                        fields.push(("trailer".into(), "x-test".into()));
                        let block = c.block(&fields);
                        c.conn.headers(&Headers {
                            stream_id: 1,
                            end_headers: true,
                            block: &block,
                            ..Headers::default()
                        });
                        c.conn.data(1, false, b"test");
                        let trailers = c.block(&[("x-test".to_owned(), "ok".to_owned())]);
                        c.conn.headers(&Headers {
                            block: &trailers,
                            ..complete(1)
                        });
                        verify::headers_frame(&mut c.conn, 1)
                    },
                ),
            ],
        ),
        section(
            "generic/5",
            "5. HPACK",
            vec![
                case(
                    "Sends a indexed header field representation",
                    "The endpoint MUST accept indexed header field representation",
                    |c| hpack_case(c, b"", b"\xba"),
                ),
                case(
                    "Sends a literal header field with incremental indexing - indexed name",
                    "The endpoint MUST accept literal header field with incremental indexing",
                    |c| {
                        hpack_case(
                            c,
                            b"",
                            b"\x40\x87\xb5\x05\xb1\x61\xcc\x5a\x93\x84\x9c\x48\xac\xa4",
                        )
                    },
                ),
                case(
                    "Sends a literal header field with incremental indexing - indexed name (with Huffman coding)",
                    "The endpoint MUST accept literal header field with incremental indexing",
                    |c| hpack_case(c, b"", b"\x40\x0auser-agent\x06h2spec"),
                ),
                case(
                    "Sends a literal header field with incremental indexing - new name",
                    "The endpoint MUST accept literal header field with incremental indexing",
                    |c| hpack_case(c, b"", b"\x40\x06x-test\x06h2spec"),
                ),
                case(
                    "Sends a literal header field with incremental indexing - new name (with Huffman coding)",
                    "The endpoint MUST accept literal header field with incremental indexing",
                    |c| hpack_case(c, b"", b"\x40\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4"),
                ),
                case(
                    "Sends a literal header field without indexing - indexed name",
                    "The endpoint MUST accept literal header field without indexing",
                    |c| hpack_case(c, b"", b"\x00\x0auser-agent\x06h2spec"),
                ),
                case(
                    "Sends a literal header field without indexing - indexed name (with Huffman coding)",
                    "The endpoint MUST accept literal header field without indexing",
                    |c| {
                        hpack_case(
                            c,
                            b"",
                            b"\x00\x87\xb5\x05\xb1\x61\xcc\x5a\x93\x84\x9c\x48\xac\xa4",
                        )
                    },
                ),
                case(
                    "Sends a literal header field without indexing - new name",
                    "The endpoint MUST accept literal header field without indexing",
                    |c| hpack_case(c, b"", b"\x00\x06x-test\x06h2spec"),
                ),
                case(
                    "Sends a literal header field without indexing - new name (huffman encoded)",
                    "The endpoint MUST accept literal header field without indexing",
                    |c| hpack_case(c, b"", b"\x00\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4"),
                ),
                case(
                    "Sends a literal header field never indexed - indexed name",
                    "The endpoint MUST accept literal header field never indexed",
                    |c| hpack_case(c, b"", b"\x10\x0auser-agent\x06h2spec"),
                ),
                case(
                    "Sends a literal header field never indexed - indexed name (huffman encoded)",
                    "The endpoint MUST accept literal header field never indexed",
                    |c| {
                        hpack_case(
                            c,
                            b"",
                            b"\x10\x87\xb5\x05\xb1\x61\xcc\x5a\x93\x84\x9c\x48\xac\xa4",
                        )
                    },
                ),
                case(
                    "Sends a literal header field never indexed - new name",
                    "The endpoint MUST accept literal header field never indexed",
                    |c| hpack_case(c, b"", b"\x10\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4"),
                ),
                case(
                    "Sends a literal header field never indexed - new name (huffman encoded)",
                    "The endpoint MUST accept literal header field never indexed",
                    |c| hpack_case(c, b"", b"\x10\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4"),
                ),
                case(
                    "Sends a dynamic table size update",
                    "The endpoint MUST accept dynamic table size update",
                    |c| hpack_case(c, &crate::header_block::size_update(128), b""),
                ),
                case(
                    "Sends multiple dynamic table size update",
                    "The endpoint MUST accept multiple dynamic table size update",
                    |c| hpack_case(c, b"\x3f\x61\x3f\xe1\x1f", b""),
                ),
            ],
        ),
    ]
}
