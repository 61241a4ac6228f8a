//! `http2`: "Hypertext Transfer Protocol Version 2 (HTTP/2)" (95 cases, one
//! of them strict-only). Each case sends what the catalogue says, frame for
//! frame, then applies its verifier.

use bytes::Bytes;

use super::verify::{self, CaseResult, Failure};
use super::{Ctx, Section, case, section, strict_case};
use crate::frame::{ErrorCode, FrameType, Headers, Priority, setting};

const ZERO_PING: [u8; 8] = [0; 8];
const H2SPEC_PING: [u8; 8] = *b"h2spec\0\0";
const WEIGHT_256: Priority = Priority {
    dependency: 0,
    exclusive: false,
    weight: 255,
};
const MAX_WINDOW: u32 = 0x7fff_ffff;

const PROTOCOL: &[ErrorCode] = &[ErrorCode::PROTOCOL_ERROR];
const STREAM_CLOSED: &[ErrorCode] = &[ErrorCode::STREAM_CLOSED];
const FRAME_SIZE: &[ErrorCode] = &[ErrorCode::FRAME_SIZE_ERROR];
const FLOW_CONTROL: &[ErrorCode] = &[ErrorCode::FLOW_CONTROL_ERROR];
const CLOSED_OR_PROTOCOL: &[ErrorCode] = &[ErrorCode::STREAM_CLOSED, ErrorCode::PROTOCOL_ERROR];

/// An unknown frame type (0x16) with an 8-octet payload (RFC 9113 §4.1, §5.5).
const UNKNOWN_FRAME: &[u8] =
    b"\x00\x00\x08\x16\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

fn headers(stream_id: u32, end_stream: bool, end_headers: bool, block: &[u8]) -> Headers<'_> {
    Headers {
        stream_id,
        end_stream,
        end_headers,
        block,
        ..Headers::default()
    }
}

/// Handshake, then a complete GET on stream 1 (END_STREAM and END_HEADERS).
fn get(c: &mut Ctx<'_>, end_stream: bool) -> Result<Bytes, Failure> {
    c.handshake()?;
    let block = c.block(&c.common());
    c.conn.headers(&headers(1, end_stream, true, &block));
    Ok(block)
}

/// Handshake, then a POST on stream 1 with `extra` fields and END_HEADERS.
fn post(c: &mut Ctx<'_>, end_stream: bool, extra: &[(&str, &str)]) -> CaseResult {
    c.handshake()?;
    let mut fields = c.post();
    fields.extend(extra.iter().map(|&(n, v)| (n.to_owned(), v.to_owned())));
    let block = c.block(&fields);
    c.conn.headers(&headers(1, end_stream, true, &block));
    Ok(())
}

/// Handshake, then `frames` after a HEADERS frame that leaves the header block open.
fn open_block(c: &mut Ctx<'_>, end_stream: bool, then: impl FnOnce(&mut Ctx<'_>)) -> CaseResult {
    c.handshake()?;
    let block = c.block(&c.common());
    c.conn.headers(&headers(1, end_stream, false, &block));
    then(c);
    Ok(())
}

/// Handshake, then raw bytes, then the connection error `codes`.
fn raw_then_connection_error(c: &mut Ctx<'_>, raw: &[u8], codes: &[ErrorCode]) -> CaseResult {
    c.handshake()?;
    c.conn.send(raw);
    verify::connection_error(&mut c.conn, codes)
}

/// Handshake, then a GET on stream 1 with `fields` instead of the common ones; a stream error is expected.
fn malformed_request(c: &mut Ctx<'_>, fields: &[(String, String)]) -> CaseResult {
    c.handshake()?;
    let block = c.block(fields);
    c.conn.headers(&headers(1, true, true, &block));
    verify::stream_error(&mut c.conn, PROTOCOL)
}

fn with_extra(c: &Ctx<'_>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = c.common();
    fields.extend(extra.iter().map(|&(n, v)| (n.to_owned(), v.to_owned())));
    fields
}

/// The flow-control cases need a response body; h2spec skips them otherwise.
fn require_body(c: &Ctx<'_>, at_least: usize) -> CaseResult {
    let len = c.server_data_length()?;
    if len < at_least {
        return Err(Failure::Skipped(format!(
            "the response to GET {} has {len} octets of DATA",
            c.path
        )));
    }
    Ok(())
}

fn section_3() -> Vec<Section> {
    vec![
        section(
            "http2",
            "Hypertext Transfer Protocol Version 2 (HTTP/2)",
            vec![],
        ),
        section("http2/3", "3. Starting HTTP/2", vec![]),
        section(
            "http2/3.5",
            "3.5. HTTP/2 Connection Preface",
            vec![
                case(
                    "Sends client connection preface",
                    "The server connection preface MUST be the first frame the server sends in the HTTP/2 connection.",
                    |c| {
                        c.conn.send(crate::frame::PREFACE);
                        c.conn.settings(&[(setting::INITIAL_WINDOW_SIZE, 65_535)]);
                        verify::first_frame_is_settings(&mut c.conn)
                    },
                ),
                case(
                    "Sends invalid connection preface",
                    "The endpoint MUST terminate the TCP connection.",
                    |c| {
                        c.conn.send(b"INVALID CONNECTION PREFACE\r\n\r\n");
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
            ],
        ),
    ]
}

fn section_4() -> Vec<Section> {
    vec![
        section("http2/4", "4. HTTP Frames", vec![]),
        section(
            "http2/4.1",
            "4.1. Frame Format",
            vec![
                case(
                    "Sends a frame with unknown type",
                    "The endpoint MUST ignore and discard any frame that has a type that is unknown.",
                    |c| {
                        c.handshake()?;
                        c.conn.send(UNKNOWN_FRAME);
                        c.conn.ping(false, ZERO_PING);
                        verify::ping_ack(&mut c.conn, ZERO_PING)
                    },
                ),
                case(
                    "Sends a frame with undefined flag",
                    "The endpoint MUST ignore any flags that is undefined.",
                    |c| {
                        c.handshake()?;
                        c.conn.send(
                            b"\x00\x00\x08\x06\x16\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                        );
                        verify::frame_type(&mut c.conn, FrameType::PING)
                    },
                ),
                case(
                    "Sends a frame with reserved field bit",
                    "The endpoint MUST ignore the value of reserved field.",
                    |c| {
                        c.handshake()?;
                        c.conn.send(
                            b"\x00\x00\x08\x06\x16\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                        );
                        verify::frame_type(&mut c.conn, FrameType::PING)
                    },
                ),
            ],
        ),
        section(
            "http2/4.2",
            "4.2. Frame Size",
            vec![
                case(
                    "Sends a DATA frame with 2^14 octets in length",
                    "The endpoint MUST be capable of receiving and minimally processing frames up to 2^14 octets in length.",
                    |c| {
                        post(c, false, &[])?;
                        let body = vec![b'x'; c.conn.max_frame_size() as usize];
                        c.conn.data(1, true, &body);
                        verify::headers_frame(&mut c.conn, 1)
                    },
                ),
                case(
                    "Sends a large size DATA frame that exceeds the SETTINGS_MAX_FRAME_SIZE",
                    "The endpoint MUST send an error code of FRAME_SIZE_ERROR.",
                    data_over_max_frame_size,
                ),
                case(
                    "Sends a large size HEADERS frame that exceeds the SETTINGS_MAX_FRAME_SIZE",
                    "The endpoint MUST respond with a connection error of type FRAME_SIZE_ERROR.",
                    |c| {
                        c.handshake()?;
                        let mut fields = c.common();
                        fields.extend(c.dummy(5));
                        let block = c.block(&fields);
                        c.conn.headers(&headers(1, true, true, &block));
                        verify::connection_error(&mut c.conn, FRAME_SIZE)
                    },
                ),
            ],
        ),
        section(
            "http2/4.3",
            "4.3. Header Compression and Decompression",
            vec![
                case(
                    "Sends invalid header block fragment",
                    "The endpoint MUST terminate the connection with a connection error of type COMPRESSION_ERROR.",
                    |c| {
                        raw_then_connection_error(
                            c,
                            b"\x00\x00\x01\x01\x05\x00\x00\x00\x01\x40",
                            &[ErrorCode::COMPRESSION_ERROR],
                        )
                    },
                ),
                case(
                    "Sends a PRIORITY frame while sending the header blocks",
                    "The endpoint MUST terminate the connection with a connection error of type PROTOCOL_ERROR.",
                    priority_inside_header_block,
                ),
                case(
                    "Sends a HEADERS frame to another stream while sending the header blocks",
                    "The endpoint MUST terminate the connection with a connection error of type PROTOCOL_ERROR.",
                    headers_inside_header_block,
                ),
            ],
        ),
    ]
}

/// http2/4.2/2. When the server allows 2^24-1 octets, no frame can exceed
/// it: like h2spec (whose framer refuses the write) nothing is sent and the
/// verdict stands, but the report says why.
fn data_over_max_frame_size(c: &mut Ctx<'_>) -> CaseResult {
    post(c, false, &[])?;
    let len = c.conn.max_frame_size() as usize + 1;
    c.conn.data(1, true, &vec![b'x'; len]);
    let verdict = verify::stream_error(&mut c.conn, FRAME_SIZE);
    if crate::frame::fits(len) {
        return verdict;
    }
    verdict.map_err(|failure| match failure {
        Failure::Mismatch { expected, actual } => Failure::Mismatch {
            expected,
            actual: format!(
                "{actual} (nothing sent: SETTINGS_MAX_FRAME_SIZE is {}, no frame can exceed it)",
                len - 1
            ),
        },
        other => other,
    })
}

fn priority_inside_header_block(c: &mut Ctx<'_>) -> CaseResult {
    open_block(c, false, |c| {
        c.conn.priority(1, WEIGHT_256);
        let dummy = c.block(&c.dummy(1));
        c.conn.continuation(1, true, &dummy);
    })?;
    verify::connection_error(&mut c.conn, PROTOCOL)
}

fn headers_inside_header_block(c: &mut Ctx<'_>) -> CaseResult {
    open_block(c, false, |c| {
        let block = c.block(&c.common());
        c.conn.headers(&headers(3, true, true, &block));
        let dummy = c.block(&c.dummy(1));
        c.conn.continuation(1, true, &dummy);
    })?;
    verify::connection_error(&mut c.conn, PROTOCOL)
}

fn section_5() -> Vec<Section> {
    vec![
        section("http2/5", "5. Streams and Multiplexing", vec![]),
        section(
            "http2/5.1",
            "5.1. Stream States",
            vec![
                case(
                    "idle: Sends a DATA frame",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.data(1, true, b"test");
                        verify::stream_error(
                            &mut c.conn,
                            &[ErrorCode::PROTOCOL_ERROR, ErrorCode::STREAM_CLOSED],
                        )
                    },
                ),
                case(
                    "idle: Sends a RST_STREAM frame",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.rst_stream(1, ErrorCode::CANCEL);
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "idle: Sends a WINDOW_UPDATE frame",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.window_update(1, 100);
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "idle: Sends a CONTINUATION frame",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        c.conn.continuation(1, true, &block);
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "half closed (remote): Sends a DATA frame",
                    "The endpoint MUST respond with a stream error of type STREAM_CLOSED.",
                    |c| {
                        get(c, true)?;
                        c.conn.data(1, true, b"test");
                        verify::stream_error(&mut c.conn, STREAM_CLOSED)
                    },
                ),
                case(
                    "half closed (remote): Sends a HEADERS frame",
                    "The endpoint MUST respond with a stream error of type STREAM_CLOSED.",
                    |c| {
                        let block = get(c, true)?;
                        c.conn.headers(&headers(1, true, true, &block));
                        verify::stream_error(&mut c.conn, STREAM_CLOSED)
                    },
                ),
                case(
                    "half closed (remote): Sends a CONTINUATION frame",
                    "The endpoint MUST respond with a stream error of type STREAM_CLOSED.",
                    |c| {
                        let block = get(c, true)?;
                        c.conn.continuation(1, true, &block);
                        verify::stream_error(&mut c.conn, CLOSED_OR_PROTOCOL)
                    },
                ),
                case(
                    "closed: Sends a DATA frame after sending RST_STREAM frame",
                    "The endpoint MUST treat this as a stream error of type STREAM_CLOSED.",
                    |c| {
                        get(c, false)?;
                        c.conn.rst_stream(1, ErrorCode::CANCEL);
                        c.conn.data(1, true, b"test");
                        verify::stream_error(&mut c.conn, STREAM_CLOSED)
                    },
                ),
                case(
                    "closed: Sends a HEADERS frame after sending RST_STREAM frame",
                    "The endpoint MUST treat this as a stream error of type STREAM_CLOSED.",
                    |c| {
                        let block = get(c, false)?;
                        c.conn.rst_stream(1, ErrorCode::CANCEL);
                        c.conn.headers(&headers(1, true, true, &block));
                        verify::stream_error(&mut c.conn, STREAM_CLOSED)
                    },
                ),
                case(
                    "closed: Sends a CONTINUATION frame after sending RST_STREAM frame",
                    "The endpoint MUST treat this as a stream error of type STREAM_CLOSED.",
                    |c| {
                        get(c, false)?;
                        c.conn.rst_stream(1, ErrorCode::CANCEL);
                        let dummy = c.block(&c.dummy(1));
                        c.conn.continuation(1, true, &dummy);
                        verify::stream_error(&mut c.conn, CLOSED_OR_PROTOCOL)
                    },
                ),
                case(
                    "closed: Sends a DATA frame",
                    "The endpoint MUST treat this as a connection error of type STREAM_CLOSED.",
                    |c| {
                        get(c, true)?;
                        verify::stream_close(&mut c.conn)?;
                        c.conn.data(1, true, b"test");
                        verify::stream_error(&mut c.conn, STREAM_CLOSED)
                    },
                ),
                case(
                    "closed: Sends a HEADERS frame",
                    "The endpoint MUST treat this as a connection error of type STREAM_CLOSED.",
                    |c| {
                        let block = get(c, true)?;
                        verify::stream_close(&mut c.conn)?;
                        c.conn.headers(&headers(1, true, true, &block));
                        verify::connection_error(&mut c.conn, STREAM_CLOSED)
                    },
                ),
                case(
                    "closed: Sends a CONTINUATION frame",
                    "The endpoint MUST treat this as a connection error of type STREAM_CLOSED.",
                    |c| {
                        get(c, true)?;
                        verify::stream_close(&mut c.conn)?;
                        let dummy = c.block(&c.dummy(1));
                        c.conn.continuation(1, true, &dummy);
                        verify::connection_error(&mut c.conn, CLOSED_OR_PROTOCOL)
                    },
                ),
            ],
        ),
        section(
            "http2/5.1.1",
            "5.1.1. Stream Identifiers",
            vec![
                case(
                    "Sends even-numbered stream identifier",
                    "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        c.conn.headers(&headers(2, true, true, &block));
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends stream identifier that is numerically smaller than previous",
                    "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        c.conn.headers(&headers(5, true, true, &block));
                        c.conn.headers(&headers(3, true, true, &block));
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
            ],
        ),
        section(
            "http2/5.1.2",
            "5.1.2. Stream Concurrency",
            vec![case(
                "Sends HEADERS frames that causes their advertised concurrent stream limit to be exceeded",
                "The endpoint MUST treat this as a stream error of type PROTOCOL_ERROR or REFUSED_STREAM.",
                exceed_concurrent_streams,
            )],
        ),
        section("http2/5.3", "5.3. Stream Priority", vec![]),
        section(
            "http2/5.3.1",
            "5.3.1. Stream Dependencies",
            vec![
                case(
                    "Sends HEADERS frame that depends on itself",
                    "The endpoint MUST treat this as a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        let priority = Priority {
                            dependency: 1,
                            exclusive: false,
                            weight: 255,
                        };
                        c.conn.headers(&Headers {
                            priority,
                            ..headers(1, true, true, &block)
                        });
                        verify::stream_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends PRIORITY frame that depend on itself",
                    "The endpoint MUST treat this as a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.priority(
                            1,
                            Priority {
                                dependency: 1,
                                exclusive: false,
                                weight: 255,
                            },
                        );
                        verify::stream_error(&mut c.conn, PROTOCOL)
                    },
                ),
            ],
        ),
        section("http2/5.4", "5.4. Error Handling", vec![]),
        section(
            "http2/5.4.1",
            "5.4.1. Connection Error Handling",
            vec![
                case(
                    "Sends an invalid PING frame for connection close",
                    "The endpoint MUST close the TCP connection",
                    |c| {
                        c.handshake()?;
                        c.conn.send(
                            b"\x00\x00\x08\x06\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00",
                        );
                        verify::connection_close(&mut c.conn)
                    },
                ),
                strict_case(
                    "Sends an invalid PING frame to receive GOAWAY frame",
                    "An endpoint that encounters a connection error SHOULD first send a GOAWAY frame",
                    |c| {
                        c.handshake()?;
                        c.conn.send(
                            b"\x00\x00\x08\x06\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00",
                        );
                        // As in h2spec, any GOAWAY passes; the expectation names the right code.
                        verify::wait_for(&mut c.conn, FrameType::GOAWAY)
                            .map(drop)
                            .map_err(|last| Failure::Mismatch {
                                expected: vec![format!(
                                    "GOAWAY Frame (Error Code: {})",
                                    ErrorCode::PROTOCOL_ERROR
                                )],
                                actual: last.map_or_else(
                                    || "nothing received".into(),
                                    |event| event.to_string(),
                                ),
                            })
                    },
                ),
            ],
        ),
        section(
            "http2/5.5",
            "5.5. Extending HTTP/2",
            vec![
                case(
                    "Sends an unknown extension frame",
                    "The endpoint MUST ignore unknown or unsupported values in all extensible protocol elements.",
                    |c| {
                        c.handshake()?;
                        c.conn.send(UNKNOWN_FRAME);
                        c.conn.ping(false, ZERO_PING);
                        verify::ping_ack(&mut c.conn, ZERO_PING)
                    },
                ),
                case(
                    "Sends an unknown extension frame in the middle of a header block",
                    "The endpoint MUST treat as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        open_block(c, true, |c| c.conn.send(UNKNOWN_FRAME))?;
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
            ],
        ),
    ]
}

/// h2spec opens one stream more than SETTINGS_MAX_CONCURRENT_STREAMS allows,
/// with our window at 0 so no response can finish and free a slot.
fn exceed_concurrent_streams(c: &mut Ctx<'_>) -> CaseResult {
    c.handshake()?;
    let Some(&max) = c.conn.settings.get(&setting::MAX_CONCURRENT_STREAMS) else {
        return Err(Failure::Skipped(
            "the server advertises no SETTINGS_MAX_CONCURRENT_STREAMS".into(),
        ));
    };
    // Stream ids are 31-bit odd numbers: beyond this the case cannot be built.
    if max >= 1 << 29 {
        return Err(Failure::Skipped(format!(
            "SETTINGS_MAX_CONCURRENT_STREAMS is {max}"
        )));
    }
    c.conn.settings(&[(setting::INITIAL_WINDOW_SIZE, 0)]);
    let block = c.block(&c.common());
    let mut wire = bytes::BytesMut::new();
    for i in 0..=max {
        crate::frame::write_headers(&mut wire, &headers(1 + 2 * i, true, true, &block));
    }
    c.conn.send(&wire);
    verify::stream_error(
        &mut c.conn,
        &[ErrorCode::PROTOCOL_ERROR, ErrorCode::REFUSED_STREAM],
    )
}

fn section_6_1_to_6_4() -> Vec<Section> {
    vec![
        section("http2/6", "6. Frame Definitions", vec![]),
        section(
            "http2/6.1",
            "6.1. DATA",
            vec![
                case(
                    "Sends a DATA frame with 0x0 stream identifier",
                    "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.data(0, true, b"test");
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends a DATA frame on the stream that is not in \"open\" or \"half-closed (local)\" state",
                    "The endpoint MUST respond with a stream error of type STREAM_CLOSED.",
                    |c| {
                        post(c, true, &[])?;
                        c.conn.data(1, true, b"test");
                        verify::stream_error(&mut c.conn, STREAM_CLOSED)
                    },
                ),
                case(
                    "Sends a DATA frame with invalid pad length",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        post(c, false, &[("content-length", "4")])?;
                        c.conn
                            .send(b"\x00\x00\x05\x00\x09\x00\x00\x00\x01\x06\x54\x65\x73\x74");
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
            ],
        ),
        section(
            "http2/6.2",
            "6.2. HEADERS",
            vec![
                case(
                    "Sends a HEADERS frame without the END_HEADERS flag, and a PRIORITY frame",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    priority_inside_header_block,
                ),
                case(
                    "Sends a HEADERS frame to another stream while sending a HEADERS frame",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    headers_inside_header_block,
                ),
                case(
                    "Sends a HEADERS frame with 0x0 stream identifier",
                    "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        c.conn.headers(&headers(0, true, true, &block));
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends a HEADERS frame with invalid pad length",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        let block = c.block(&c.common());
                        // Pad Length one more than the rest of the payload (RFC 9113 §6.2).
                        let mut payload = vec![u8::try_from(block.len() + 2).unwrap_or(u8::MAX)];
                        payload.extend_from_slice(&block);
                        let mut wire = bytes::BytesMut::new();
                        crate::frame::write_raw(&mut wire, FrameType::HEADERS, 0x0d, 1, &payload);
                        c.conn.send(&wire);
                        verify::stream_error(&mut c.conn, PROTOCOL)
                    },
                ),
            ],
        ),
        section(
            "http2/6.3",
            "6.3. PRIORITY",
            vec![
                case(
                    "Sends a PRIORITY frame with 0x0 stream identifier",
                    "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.priority(0, WEIGHT_256);
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends a PRIORITY frame with a length other than 5 octets",
                    "The endpoint MUST respond with a stream error of type FRAME_SIZE_ERROR.",
                    |c| {
                        get(c, true)?;
                        c.conn
                            .send(b"\x00\x00\x04\x02\x00\x00\x00\x00\x01\x80\x00\x00\x01");
                        verify::stream_error(&mut c.conn, FRAME_SIZE)
                    },
                ),
            ],
        ),
        section(
            "http2/6.4",
            "6.4. RST_STREAM",
            vec![
                case(
                    "Sends a RST_STREAM frame with 0x0 stream identifier",
                    "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.rst_stream(0, ErrorCode::CANCEL);
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends a RST_STREAM frame on a idle stream",
                    "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.rst_stream(1, ErrorCode::CANCEL);
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends a RST_STREAM frame with a length other than 4 octets",
                    "The endpoint MUST respond with a connection error of type FRAME_SIZE_ERROR.",
                    |c| {
                        get(c, true)?;
                        c.conn
                            .send(b"\x00\x00\x03\x03\x00\x00\x00\x00\x01\x00\x00\x00");
                        verify::stream_error(&mut c.conn, FRAME_SIZE)
                    },
                ),
            ],
        ),
    ]
}

fn settings_then_connection_error(
    c: &mut Ctx<'_>,
    params: &[(u16, u32)],
    codes: &[ErrorCode],
) -> CaseResult {
    c.handshake()?;
    c.conn.settings(params);
    verify::connection_error(&mut c.conn, codes)
}

fn section_6_5() -> Vec<Section> {
    vec![
        section(
            "http2/6.5",
            "6.5. SETTINGS",
            vec![
                case(
                    "Sends a SETTINGS frame with ACK flag and payload",
                    "The endpoint MUST respond with a connection error of type FRAME_SIZE_ERROR.",
                    |c| {
                        raw_then_connection_error(
                            c,
                            b"\x00\x00\x01\x04\x01\x00\x00\x00\x00\x00",
                            FRAME_SIZE,
                        )
                    },
                ),
                case(
                    "Sends a SETTINGS frame with a stream identifier other than 0x0",
                    "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        raw_then_connection_error(
                            c,
                            b"\x00\x00\x06\x04\x00\x00\x00\x00\x01\x00\x03\x00\x00\x00\x64",
                            PROTOCOL,
                        )
                    },
                ),
                case(
                    "Sends a SETTINGS frame with a length other than a multiple of 6 octets",
                    "The endpoint MUST respond with a connection error of type FRAME_SIZE_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn
                            .send(b"\x00\x00\x03\x04\x00\x00\x00\x00\x00\x00\x03\x00");
                        verify::stream_error(
                            &mut c.conn,
                            &[ErrorCode::PROTOCOL_ERROR, ErrorCode::FRAME_SIZE_ERROR],
                        )
                    },
                ),
            ],
        ),
        section(
            "http2/6.5.2",
            "6.5.2. Defined SETTINGS Parameters",
            vec![
                case(
                    "SETTINGS_ENABLE_PUSH (0x2): Sends the value other than 0 or 1",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| settings_then_connection_error(c, &[(setting::ENABLE_PUSH, 2)], PROTOCOL),
                ),
                case(
                    "SETTINGS_INITIAL_WINDOW_SIZE (0x4): Sends the value above the maximum flow control window size",
                    "The endpoint MUST treat this as a connection error of type FLOW_CONTROL_ERROR.",
                    |c| {
                        settings_then_connection_error(
                            c,
                            &[(setting::INITIAL_WINDOW_SIZE, 1 << 31)],
                            FLOW_CONTROL,
                        )
                    },
                ),
                case(
                    "SETTINGS_MAX_FRAME_SIZE (0x5): Sends the value below the initial value",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        settings_then_connection_error(
                            c,
                            &[(setting::MAX_FRAME_SIZE, 16_383)],
                            PROTOCOL,
                        )
                    },
                ),
                case(
                    "SETTINGS_MAX_FRAME_SIZE (0x5): Sends the value above the maximum allowed frame size",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        settings_then_connection_error(
                            c,
                            &[(setting::MAX_FRAME_SIZE, 1 << 24)],
                            PROTOCOL,
                        )
                    },
                ),
                case(
                    "Sends a SETTINGS frame with unknown identifier",
                    "The endpoint MUST ignore that setting.",
                    |c| {
                        c.handshake()?;
                        c.conn.settings(&[(0xff, 1)]);
                        c.conn.ping(false, ZERO_PING);
                        verify::ping_ack(&mut c.conn, ZERO_PING)
                    },
                ),
            ],
        ),
        section(
            "http2/6.5.3",
            "6.5.3. Settings Synchronization",
            vec![
                case(
                    "Sends multiple values of SETTINGS_INITIAL_WINDOW_SIZE",
                    "The endpoint MUST process the values in the settings in the order they apper.",
                    |c| {
                        require_body(c, 1)?;
                        c.handshake()?;
                        c.conn.settings(&[
                            (setting::INITIAL_WINDOW_SIZE, 100),
                            (setting::INITIAL_WINDOW_SIZE, 1),
                        ]);
                        verify::settings_ack(&mut c.conn)?;
                        let block = c.block(&c.common());
                        c.conn.headers(&headers(1, true, true, &block));
                        verify::one_octet_data(&mut c.conn, 1)
                    },
                ),
                case(
                    "Sends a SETTINGS frame without ACK flag",
                    "The endpoint MUST immediately emit a SETTINGS frame with the ACK flag set.",
                    |c| {
                        c.handshake()?;
                        c.conn.settings(&[(setting::ENABLE_PUSH, 0)]);
                        verify::settings_ack(&mut c.conn)
                    },
                ),
            ],
        ),
    ]
}

fn section_6_7_to_6_10() -> Vec<Section> {
    vec![
        section(
            "http2/6.7",
            "6.7. PING",
            vec![
                case(
                    "Sends a PING frame",
                    "The endpoint MUST sends a PING frame with ACK, with an identical payload.",
                    |c| {
                        c.handshake()?;
                        c.conn.ping(false, H2SPEC_PING);
                        verify::ping_ack(&mut c.conn, H2SPEC_PING)
                    },
                ),
                case(
                    "Sends a PING frame with ACK",
                    "The endpoint MUST NOT respond to PING frames with ACK.",
                    |c| {
                        c.handshake()?;
                        c.conn.ping(true, *b"invalid\0");
                        c.conn.ping(false, H2SPEC_PING);
                        verify::ping_ack(&mut c.conn, H2SPEC_PING)
                    },
                ),
                case(
                    "Sends a PING frame with a stream identifier field value other than 0x0",
                    "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        raw_then_connection_error(
                            c,
                            b"\x00\x00\x08\x06\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00",
                            PROTOCOL,
                        )
                    },
                ),
                case(
                    "Sends a PING frame with a length field value other than 8",
                    "The endpoint MUST treat this as a connection error of type FRAME_SIZE_ERROR.",
                    |c| {
                        raw_then_connection_error(
                            c,
                            b"\x00\x00\x06\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                            FRAME_SIZE,
                        )
                    },
                ),
            ],
        ),
        section(
            "http2/6.8",
            "6.8. GOAWAY",
            vec![case(
                "Sends a GOAWAY frame with a stream identifier other than 0x0",
                "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                |c| {
                    raw_then_connection_error(
                        c,
                        b"\x00\x00\x08\x07\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00",
                        PROTOCOL,
                    )
                },
            )],
        ),
        section(
            "http2/6.9",
            "6.9. WINDOW_UPDATE",
            vec![
                case(
                    "Sends a WINDOW_UPDATE frame with a flow control window increment of 0",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.window_update(0, 0);
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends a WINDOW_UPDATE frame with a flow control window increment of 0 on a stream",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        get(c, false)?;
                        c.conn.window_update(1, 0);
                        verify::stream_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends a WINDOW_UPDATE frame with a length other than 4 octets",
                    "The endpoint MUST treat this as a connection error of type FRAME_SIZE_ERROR.",
                    |c| {
                        raw_then_connection_error(
                            c,
                            b"\x00\x00\x03\x08\x00\x00\x00\x00\x00\x00\x00\x01",
                            FRAME_SIZE,
                        )
                    },
                ),
            ],
        ),
        section(
            "http2/6.9.1",
            "6.9.1. The Flow-Control Window",
            vec![
                case(
                    "Sends SETTINGS frame to set the initial window size to 1 and sends HEADERS frame",
                    "The endpoint MUST NOT send a flow-controlled frame with a length that exceeds the space available.",
                    |c| {
                        require_body(c, 1)?;
                        c.handshake()?;
                        c.conn.settings(&[(setting::INITIAL_WINDOW_SIZE, 1)]);
                        verify::settings_ack(&mut c.conn)?;
                        let block = c.block(&c.common());
                        c.conn.headers(&headers(1, true, true, &block));
                        verify::one_octet_data(&mut c.conn, 1)
                    },
                ),
                case(
                    "Sends multiple WINDOW_UPDATE frames increasing the flow control window to above 2^31-1",
                    "The endpoint MUST sends a GOAWAY frame with a FLOW_CONTROL_ERROR code.",
                    |c| {
                        c.handshake()?;
                        c.conn.window_update(0, MAX_WINDOW);
                        c.conn.window_update(0, MAX_WINDOW);
                        verify::goaway_with(&mut c.conn, ErrorCode::FLOW_CONTROL_ERROR)
                    },
                ),
                case(
                    "Sends multiple WINDOW_UPDATE frames increasing the flow control window to above 2^31-1 on a stream",
                    "The endpoint MUST sends a RST_STREAM frame with a FLOW_CONTROL_ERROR code.",
                    |c| {
                        get(c, false)?;
                        c.conn.window_update(1, MAX_WINDOW);
                        c.conn.window_update(1, MAX_WINDOW);
                        verify::rst_stream_with(&mut c.conn, 1, ErrorCode::FLOW_CONTROL_ERROR)
                    },
                ),
            ],
        ),
        section(
            "http2/6.9.2",
            "6.9.2. Initial Flow-Control Window Size",
            vec![
                case(
                    "Changes SETTINGS_INITIAL_WINDOW_SIZE after sending HEADERS frame",
                    "The endpoint MUST adjust the size of all stream flow-control windows.",
                    |c| {
                        require_body(c, 1)?;
                        c.handshake()?;
                        c.conn.settings(&[(setting::INITIAL_WINDOW_SIZE, 0)]);
                        verify::settings_ack(&mut c.conn)?;
                        let block = c.block(&c.common());
                        c.conn.headers(&headers(1, true, true, &block));
                        c.conn.settings(&[(setting::INITIAL_WINDOW_SIZE, 1)]);
                        verify::one_octet_data(&mut c.conn, 1)
                    },
                ),
                case(
                    "Sends a SETTINGS frame for window size to be negative",
                    "The endpoint MUST track the negative flow-control window.",
                    |c| {
                        require_body(c, 5)?;
                        c.handshake()?;
                        c.conn.settings(&[(setting::INITIAL_WINDOW_SIZE, 3)]);
                        verify::settings_ack(&mut c.conn)?;
                        let block = c.block(&c.common());
                        c.conn.headers(&headers(1, true, true, &block));
                        verify::frame_type(&mut c.conn, FrameType::DATA)?;
                        c.conn.settings(&[(setting::INITIAL_WINDOW_SIZE, 2)]);
                        verify::settings_ack(&mut c.conn)?;
                        c.conn.window_update(1, 2);
                        verify::one_octet_data(&mut c.conn, 1)
                    },
                ),
                case(
                    "Sends a SETTINGS_INITIAL_WINDOW_SIZE settings with an exceeded maximum window size value",
                    "The endpoint MUST treat this as a connection error of type FLOW_CONTROL_ERROR.",
                    |c| {
                        raw_then_connection_error(
                            c,
                            b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x04\x80\x00\x00\x00",
                            FLOW_CONTROL,
                        )
                    },
                ),
            ],
        ),
        section("http2/6.10", "6.10. CONTINUATION", continuation_cases()),
    ]
}

fn continuation_cases() -> Vec<super::Case> {
    vec![
        case(
            "Sends multiple CONTINUATION frames preceded by a HEADERS frame",
            "The endpoint must accept the frame.",
            |c| {
                open_block(c, true, |c| {
                    let dummy = c.block(&c.dummy(1));
                    c.conn.continuation(1, false, &dummy);
                    c.conn.continuation(1, true, &dummy);
                })?;
                verify::headers_frame(&mut c.conn, 1)
            },
        ),
        case(
            "Sends a CONTINUATION frame followed by any frame other than CONTINUATION",
            "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
            |c| {
                c.handshake()?;
                let block = c.block(&c.post());
                c.conn.headers(&headers(1, false, false, &block));
                let dummy = c.block(&c.dummy(1));
                c.conn.continuation(1, false, &dummy);
                c.conn.data(1, true, b"test");
                verify::connection_error(&mut c.conn, PROTOCOL)
            },
        ),
        case(
            "Sends a CONTINUATION frame with 0x0 stream identifier",
            "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
            |c| {
                open_block(c, true, |c| {
                    let dummy = c.block(&c.dummy(1));
                    c.conn.continuation(0, true, &dummy);
                })?;
                verify::connection_error(&mut c.conn, PROTOCOL)
            },
        ),
        case(
            "Sends a CONTINUATION frame preceded by a HEADERS frame with END_HEADERS flag",
            "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
            |c| {
                get(c, true)?;
                let dummy = c.block(&c.dummy(1));
                c.conn.continuation(1, true, &dummy);
                verify::connection_error(&mut c.conn, PROTOCOL)
            },
        ),
        case(
            "Sends a CONTINUATION frame preceded by a CONTINUATION frame with END_HEADERS flag",
            "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
            |c| {
                open_block(c, true, |c| {
                    let dummy = c.block(&c.dummy(1));
                    c.conn.continuation(1, true, &dummy);
                    c.conn.continuation(1, true, &dummy);
                })?;
                verify::connection_error(&mut c.conn, PROTOCOL)
            },
        ),
        case(
            "Sends a CONTINUATION frame preceded by a DATA frame",
            "The endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
            |c| {
                c.handshake()?;
                let block = c.block(&c.post());
                c.conn.headers(&headers(1, false, false, &block));
                c.conn.data(1, true, b"test");
                let dummy = c.block(&c.dummy(1));
                c.conn.continuation(1, false, &dummy);
                c.conn.continuation(0, true, &dummy);
                verify::connection_error(&mut c.conn, PROTOCOL)
            },
        ),
    ]
}

fn section_7_and_8() -> Vec<Section> {
    vec![
        section(
            "http2/7",
            "7. Error Codes",
            vec![
                case(
                    "Sends a GOAWAY frame with unknown error code",
                    "The endpoint MUST NOT trigger any special behavior.",
                    |c| {
                        c.handshake()?;
                        c.conn.goaway(0, ErrorCode(0xff), b"");
                        c.conn.ping(false, H2SPEC_PING);
                        verify::ping_ack_or_close(&mut c.conn, H2SPEC_PING)
                    },
                ),
                case(
                    "Sends a RST_STREAM frame with unknown error code",
                    "The endpoint MUST NOT trigger any special behavior.",
                    |c| {
                        post(c, false, &[])?;
                        c.conn.rst_stream(1, ErrorCode(0xff));
                        c.conn.ping(false, ZERO_PING);
                        verify::ping_ack_or_close(&mut c.conn, ZERO_PING)
                    },
                ),
            ],
        ),
        section("http2/8", "8. HTTP Message Exchanges", vec![]),
        section(
            "http2/8.1",
            "8.1. HTTP Request/Response Exchange",
            vec![case(
                "Sends a second HEADERS frame without the END_STREAM flag",
                "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                |c| trailers_without_end_stream(c, &[("x-test", "ok")]),
            )],
        ),
        section(
            "http2/8.1.2",
            "8.1.2. HTTP Header Fields",
            vec![case(
                "Sends a HEADERS frame that contains the header field name in uppercase letters",
                "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                |c| {
                    let fields = with_extra(c, &[("X-TEST", "ok")]);
                    malformed_request(c, &fields)
                },
            )],
        ),
        section(
            "http2/8.1.2.1",
            "8.1.2.1. Pseudo-Header Fields",
            vec![
                case(
                    "Sends a HEADERS frame that contains a unknown pseudo-header field",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        let fields = with_extra(c, &[(":test", "ok")]);
                        malformed_request(c, &fields)
                    },
                ),
                case(
                    "Sends a HEADERS frame that contains the pseudo-header field defined for response",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        let fields = with_extra(c, &[(":status", "200")]);
                        malformed_request(c, &fields)
                    },
                ),
                case(
                    "Sends a HEADERS frame that contains a pseudo-header field as trailers",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| trailers_without_end_stream(c, &[(":method", "POST")]),
                ),
                case(
                    "Sends a HEADERS frame that contains a pseudo-header field that appears in a header block after a regular header field",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        let mut fields = vec![("x-test".to_owned(), "ok".to_owned())];
                        fields.extend(c.common());
                        malformed_request(c, &fields)
                    },
                ),
            ],
        ),
        section(
            "http2/8.1.2.2",
            "8.1.2.2. Connection-Specific Header Fields",
            vec![
                case(
                    "Sends a HEADERS frame that contains the connection-specific header field",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        let fields = with_extra(c, &[("connection", "keep-alive")]);
                        malformed_request(c, &fields)
                    },
                ),
                case(
                    "Sends a HEADERS frame that contains the TE header field with any value other than \"trailers\"",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        let fields =
                            with_extra(c, &[("trailers", "test"), ("te", "trailers, deflate")]);
                        malformed_request(c, &fields)
                    },
                ),
            ],
        ),
        section(
            "http2/8.1.2.3",
            "8.1.2.3. Request Pseudo-Header Fields",
            pseudo_header_cases(),
        ),
        section(
            "http2/8.1.2.6",
            "8.1.2.6. Malformed Requests and Responses",
            vec![
                case(
                    "Sends a HEADERS frame with the \"content-length\" header field which does not equal the DATA frame payload length",
                    "The endpoint MUST treat this as a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        post(c, false, &[("content-length", "1")])?;
                        c.conn.data(1, true, b"test");
                        verify::stream_error(&mut c.conn, PROTOCOL)
                    },
                ),
                case(
                    "Sends a HEADERS frame with the \"content-length\" header field which does not equal the sum of the multiple DATA frames payload length",
                    "The endpoint MUST treat this as a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        post(c, false, &[("content-length", "1")])?;
                        c.conn.data(1, false, b"test");
                        c.conn.data(1, true, b"test");
                        verify::stream_error(&mut c.conn, PROTOCOL)
                    },
                ),
            ],
        ),
        section(
            "http2/8.2",
            "8.2. Server Push",
            vec![case(
                "Sends a PUSH_PROMISE frame",
                "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                |c| {
                    c.handshake()?;
                    let block = c.block(&c.common());
                    c.conn.push_promise(1, 3, &block);
                    verify::connection_error(&mut c.conn, PROTOCOL)
                },
            )],
        ),
    ]
}

/// POST, one DATA frame, then a second HEADERS block without END_STREAM.
fn trailers_without_end_stream(c: &mut Ctx<'_>, trailers: &[(&str, &str)]) -> CaseResult {
    post(c, false, &[])?;
    c.conn.data(1, false, b"test");
    let block = c.block(trailers);
    c.conn.headers(&headers(1, false, true, &block));
    verify::stream_error(&mut c.conn, PROTOCOL)
}

fn pseudo_header_cases() -> Vec<super::Case> {
    /// The common fields with the ones at `drop` left out.
    fn without(c: &Ctx<'_>, drop: &[usize]) -> Vec<(String, String)> {
        c.common()
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, f)| f)
            .collect()
    }
    fn duplicate(c: &Ctx<'_>, at: usize) -> Vec<(String, String)> {
        let mut fields = c.common();
        fields.push(fields[at].clone());
        fields
    }
    vec![
        case(
            "Sends a HEADERS frame with empty \":path\" pseudo-header field",
            "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
            |c| {
                let mut fields = c.common();
                fields[2].1.clear();
                malformed_request(c, &fields)
            },
        ),
        case(
            "Sends a HEADERS frame that omits \":method\" pseudo-header field",
            "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
            // h2spec drops :scheme here too (it slices an already shortened list).
            |c| {
                let fields = without(c, &[0, 1]);
                malformed_request(c, &fields)
            },
        ),
        case(
            "Sends a HEADERS frame that omits \":scheme\" pseudo-header field",
            "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
            |c| {
                let fields = without(c, &[1]);
                malformed_request(c, &fields)
            },
        ),
        case(
            "Sends a HEADERS frame that omits \":path\" pseudo-header field",
            "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
            |c| {
                let fields = without(c, &[2]);
                malformed_request(c, &fields)
            },
        ),
        case(
            "Sends a HEADERS frame with duplicated \":method\" pseudo-header field",
            "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
            |c| {
                let fields = duplicate(c, 0);
                malformed_request(c, &fields)
            },
        ),
        case(
            "Sends a HEADERS frame with duplicated \":scheme\" pseudo-header field",
            "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
            |c| {
                let fields = duplicate(c, 1);
                malformed_request(c, &fields)
            },
        ),
        case(
            "Sends a HEADERS frame with duplicated \":path\" pseudo-header field",
            "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
            |c| {
                let fields = duplicate(c, 2);
                malformed_request(c, &fields)
            },
        ),
    ]
}

pub(super) fn sections() -> Vec<Section> {
    let mut all = section_3();
    all.extend(section_4());
    all.extend(section_5());
    all.extend(section_6_1_to_6_4());
    all.extend(section_6_5());
    all.extend(section_6_7_to_6_10());
    all.extend(section_7_and_8());
    all
}
