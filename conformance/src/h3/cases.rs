//! The catalogue: RFC 9114 cases under `h3/`, RFC 9204 cases under `qpack/`, each
//! grouped by the section whose requirement it checks.

use http3_proto::ErrorCode;
use http3_proto::frame::{grease, kind, stream_type};
use http3_proto::settings::id;

use super::wire::{self, data, frame, headers, int, settings};
use super::{Case, Ctx, Section, Verdict, case, conn, malformed, section, stream, success};
use crate::report::{CaseResult, Failure};

type Fields = Vec<(String, String)>;

/// The HTTP/2 frame types HTTP/3 reserves (RFC 9114 §7.2.8, §11.2.1).
const HTTP2_FRAMES: [(u64, &str); 4] = [
    (0x02, "PRIORITY"),
    (0x06, "PING"),
    (0x08, "WINDOW_UPDATE"),
    (0x09, "CONTINUATION"),
];

/// Every section, in order.
pub(super) fn sections() -> Vec<Section> {
    vec![
        section("h3", "HTTP/3 (RFC 9114)", vec![]),
        section("h3/4.1", "4.1. HTTP Message Framing", message_framing()),
        section("h3/4.2", "4.2. HTTP Fields", fields()),
        section("h3/4.3", "4.3. HTTP Control Data", pseudo_headers()),
        section("h3/4.4", "4.4. The CONNECT Method", connect()),
        section("h3/5.2", "5.2. Connection Shutdown", shutdown()),
        section("h3/6.1", "6.1. Bidirectional Streams", bidirectional()),
        section("h3/6.2", "6.2. Unidirectional Streams", unidirectional()),
        section("h3/6.2.1", "6.2.1. Control Streams", control_streams()),
        section("h3/7.1", "7.1. Frame Layout", frame_layout()),
        section(
            "h3/7.2.1",
            "7.2.1. DATA",
            on_control_only(kind::DATA, "DATA"),
        ),
        section(
            "h3/7.2.2",
            "7.2.2. HEADERS",
            on_control_only(kind::HEADERS, "HEADERS"),
        ),
        section("h3/7.2.3", "7.2.3. CANCEL_PUSH", cancel_push()),
        section("h3/7.2.4", "7.2.4. SETTINGS", settings_cases()),
        section("h3/7.2.5", "7.2.5. PUSH_PROMISE", push_promise()),
        section("h3/7.2.6", "7.2.6. GOAWAY", goaway()),
        section("h3/7.2.7", "7.2.7. MAX_PUSH_ID", max_push_id()),
        section("h3/7.2.8", "7.2.8. Reserved Frame Types", reserved_frames()),
        section("qpack", "QPACK (RFC 9204)", vec![]),
        section("qpack/2.1.2", "2.1.2. Blocked Streams", blocked_streams()),
        section("qpack/3.1", "3.1. Static Table", static_table()),
        section("qpack/3.2", "3.2. Dynamic Table", dynamic_table()),
        section(
            "qpack/4.2",
            "4.2. Encoder and Decoder Streams",
            qpack_streams(),
        ),
        section(
            "qpack/4.3",
            "4.3. Encoder Instructions",
            encoder_instructions(),
        ),
        section(
            "qpack/4.4",
            "4.4. Decoder Instructions",
            decoder_instructions(),
        ),
        section(
            "qpack/4.5.1",
            "4.5.1. Encoded Field Section Prefix",
            section_prefix(),
        ),
    ]
}

// --- helpers ------------------------------------------------------------------------

/// Opens the control stream with an empty SETTINGS followed by `frames`, and expects
/// the connection to end with `code`.
fn control_then(frames: Vec<u8>, code: ErrorCode) -> impl Fn(&mut Ctx<'_>) -> CaseResult {
    move |ctx| {
        let mut bytes = settings(&[]);
        bytes.extend_from_slice(&frames);
        ctx.control(&bytes)?;
        ctx.expect(None, &conn(code))
    }
}

/// Opens the control stream with `control` on it, then sends a GET, which must succeed:
/// what the control stream carried is to be ignored.
fn control_then_get(control: Vec<u8>) -> impl Fn(&mut Ctx<'_>) -> CaseResult {
    move |ctx| {
        ctx.control(&control)?;
        let id = ctx.request(&headers(&ctx.get()), true)?;
        ctx.expect(Some(id), &success())
    }
}

/// Sends `build(ctx)` as a whole request stream and checks the answer against `accepted`.
fn request_then(
    build: impl Fn(&Ctx<'_>) -> Vec<u8> + Send + Sync + 'static,
    accepted: Vec<Verdict>,
) -> impl Fn(&mut Ctx<'_>) -> CaseResult {
    move |ctx| {
        ctx.setup()?;
        let bytes = build(ctx);
        let id = ctx.request(&bytes, true)?;
        ctx.expect(Some(id), &accepted)
    }
}

/// A GET whose fields `edit` changes, which must be treated as malformed (RFC 9114 §4.1.2).
fn malformed_get(
    edit: impl Fn(&mut Fields) + Send + Sync + 'static,
) -> impl Fn(&mut Ctx<'_>) -> CaseResult {
    request_then(
        move |ctx| {
            let mut fields = ctx.get();
            edit(&mut fields);
            headers(&fields)
        },
        malformed(),
    )
}

fn remove(fields: &mut Fields, name: &str) {
    fields.retain(|(n, _)| n != name);
}

fn add(fields: &mut Fields, name: &str, value: &str) {
    fields.push((name.into(), value.into()));
}

/// The field lines of a static-only section, without its two-octet prefix (which
/// for a section that refers to no dynamic entry is `0x00 0x00`, RFC 9204 §4.5.1).
fn lines_of(fields: &Fields) -> Vec<u8> {
    wire::section(fields)[2..].to_vec()
}

/// A HEADERS frame whose section has the given prefix, then `fields`, then `extra` lines.
fn headers_with_prefix(encoded_insert_count: u64, fields: &Fields, extra: &[u8]) -> Vec<u8> {
    let mut section = wire::section_prefix(encoded_insert_count).to_vec();
    section.extend_from_slice(&lines_of(fields));
    section.extend_from_slice(extra);
    frame(kind::HEADERS, &section)
}

/// The server's SETTINGS_QPACK_MAX_TABLE_CAPACITY and SETTINGS_QPACK_BLOCKED_STREAMS
/// (0 when absent, RFC 9204 §5).
fn qpack_settings(ctx: &mut Ctx<'_>) -> Result<(u64, u64), Failure> {
    let capacity = ctx.setting(id::QPACK_MAX_TABLE_CAPACITY)?.unwrap_or(0);
    let blocked = ctx.setting(id::QPACK_BLOCKED_STREAMS)?.unwrap_or(0);
    Ok((capacity, blocked))
}

// --- RFC 9114 ------------------------------------------------------------------------

fn message_framing() -> Vec<Case> {
    vec![
        case(
            "Sends a GET request",
            "A server answers a well-formed request (RFC 9114 §4.1).",
            request_then(|ctx| headers(&ctx.get()), success()),
        ),
        case(
            "Sends a POST request with a body in two DATA frames and trailers",
            "A request is HEADERS, DATA frames, then an optional trailing HEADERS (RFC 9114 §4.1).",
            request_then(
                |ctx| {
                    let mut bytes = headers(&ctx.post());
                    bytes.extend(data(b"hello, "));
                    bytes.extend(data(b"world"));
                    bytes.extend(headers(&[("x-trailer", "done")]));
                    bytes
                },
                success(),
            ),
        ),
        case(
            "Sends DATA before HEADERS",
            "Receipt of an invalid sequence of frames MUST be treated as a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §4.1).",
            request_then(
                |ctx| {
                    let mut bytes = data(b"early");
                    bytes.extend(headers(&ctx.get()));
                    bytes
                },
                conn(ErrorCode::H3_FRAME_UNEXPECTED),
            ),
        ),
        case(
            "Sends a DATA frame after the trailers",
            "Receipt of an invalid sequence of frames MUST be treated as a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §4.1).",
            request_then(
                |ctx| {
                    let mut bytes = headers(&ctx.post());
                    bytes.extend(data(b"body"));
                    bytes.extend(headers(&[("x-trailer", "done")]));
                    bytes.extend(data(b"late"));
                    bytes
                },
                conn(ErrorCode::H3_FRAME_UNEXPECTED),
            ),
        ),
        case(
            "Sends a third HEADERS frame after the trailers",
            "Receipt of an invalid sequence of frames MUST be treated as a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §4.1).",
            request_then(
                |ctx| {
                    let mut bytes = headers(&ctx.post());
                    bytes.extend(headers(&[("x-trailer", "one")]));
                    bytes.extend(headers(&[("x-trailer", "two")]));
                    bytes
                },
                conn(ErrorCode::H3_FRAME_UNEXPECTED),
            ),
        ),
        case(
            "Sends an unknown frame type before and after HEADERS",
            "Frame types that are not defined MUST be ignored (RFC 9114 §9, §7.2.8).",
            request_then(
                |ctx| {
                    let mut bytes = frame(grease(7), b"ignore me");
                    bytes.extend(headers(&ctx.get()));
                    bytes.extend(frame(0x2f_4a, b""));
                    bytes
                },
                success(),
            ),
        ),
        case(
            "Sends content-length 10 with 4 octets of DATA",
            "A request is malformed if the value of a content-length header field does not equal the sum of the DATA frame lengths received (RFC 9114 §4.1.2).",
            request_then(
                |ctx| {
                    let mut fields = ctx.post();
                    add(&mut fields, "content-length", "10");
                    let mut bytes = headers(&fields);
                    bytes.extend(data(b"four"));
                    bytes
                },
                malformed(),
            ),
        ),
        case(
            "Sends content-length 2 with 4 octets of DATA",
            "A request is malformed if the value of a content-length header field does not equal the sum of the DATA frame lengths received (RFC 9114 §4.1.2).",
            request_then(
                |ctx| {
                    let mut fields = ctx.post();
                    add(&mut fields, "content-length", "2");
                    let mut bytes = headers(&fields);
                    bytes.extend(data(b"four"));
                    bytes
                },
                malformed(),
            ),
        ),
        case(
            "Ends a request stream before any frame",
            "If a client-initiated stream terminates without enough of the HTTP message to provide a complete response, the server SHOULD abort its response stream with the error code H3_REQUEST_INCOMPLETE (RFC 9114 §4.1); a malformed-request answer passes too.",
            request_then(|_| Vec::new(), {
                let mut accepted = stream(ErrorCode::H3_REQUEST_INCOMPLETE);
                accepted.extend(malformed());
                accepted
            }),
        ),
        case(
            "Resets a request stream after its HEADERS, then sends a GET",
            "A client can cancel a request by resetting its stream (RFC 9114 §4.1.1); the connection stays usable for the next request.",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                let cancelled = ctx.request(&headers(&ctx.post()), false)?;
                ctx.pause();
                ctx.reset(cancelled, ErrorCode::H3_REQUEST_CANCELLED);
                let id = ctx.request(&headers(&ctx.get()), true)?;
                ctx.expect(Some(id), &success())
            },
        ),
    ]
}

fn fields() -> Vec<Case> {
    let forbidden = |name: &'static str, value: &'static str| {
        case(
            format!("Sends a connection-specific field: {name}: {value}"),
            "An HTTP/3 message containing connection-specific fields MUST be treated as malformed (RFC 9114 §4.2).",
            malformed_get(move |f| add(f, name, value)),
        )
    };
    vec![
        case(
            "Sends a field name with uppercase letters",
            "Characters in field names MUST be converted to lowercase; a message with uppercase field names MUST be treated as malformed (RFC 9114 §4.2).",
            malformed_get(|f| add(f, "X-Upper", "1")),
        ),
        forbidden("connection", "keep-alive"),
        forbidden("transfer-encoding", "chunked"),
        forbidden("keep-alive", "timeout=5"),
        forbidden("proxy-connection", "keep-alive"),
        forbidden("upgrade", "websocket"),
        case(
            "Sends te: gzip",
            "The TE header field MAY be present in an HTTP/3 request header; when it is, it MUST NOT contain any value other than \"trailers\" (RFC 9114 §4.2).",
            malformed_get(|f| add(f, "te", "gzip")),
        ),
        case(
            "Sends te: trailers",
            "te: trailers is the one value allowed (RFC 9114 §4.2).",
            request_then(
                |ctx| {
                    let mut fields = ctx.get();
                    add(&mut fields, "te", "trailers");
                    headers(&fields)
                },
                success(),
            ),
        ),
        case(
            "Sends a field value with a line feed",
            "A message with invalid characters in field names or values MUST be treated as malformed (RFC 9114 §4.1.2, §10.3).",
            malformed_get(|f| add(f, "x-split", "a\r\nx-injected: b")),
        ),
        case(
            "Sends a field name with a space",
            "A message with invalid characters in field names or values MUST be treated as malformed (RFC 9114 §4.1.2, §10.3).",
            malformed_get(|f| add(f, "x bad", "1")),
        ),
        case(
            "Sends a header section larger than SETTINGS_MAX_FIELD_SECTION_SIZE",
            "A server that receives a larger header section than it is willing to handle can send a 431 (RFC 9114 §4.2.2); the RFC names no error code, so a 431 or a stream error of H3_EXCESSIVE_LOAD, H3_MESSAGE_ERROR or H3_REQUEST_REJECTED all pass.",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                let Some(limit) = ctx.setting(id::MAX_FIELD_SECTION_SIZE)? else {
                    return Err(Failure::Skipped(
                        "the server sets no SETTINGS_MAX_FIELD_SECTION_SIZE".into(),
                    ));
                };
                let Ok(len) = usize::try_from(limit) else {
                    return Err(Failure::Skipped(
                        "the server's limit is too large to exceed".into(),
                    ));
                };
                if len > 1 << 20 {
                    return Err(Failure::Skipped(format!(
                        "the server's limit of {limit} octets is too large to exceed here"
                    )));
                }
                let mut fields = ctx.get();
                add(&mut fields, "x-large", &"a".repeat(len + 1));
                let id = ctx.request(&headers(&fields), true)?;
                let mut accepted = vec![Verdict::Status(431, 431)];
                for code in [
                    ErrorCode::H3_EXCESSIVE_LOAD,
                    ErrorCode::H3_MESSAGE_ERROR,
                    ErrorCode::H3_REQUEST_REJECTED,
                ] {
                    accepted.extend(stream(code));
                }
                ctx.expect(Some(id), &accepted)
            },
        ),
    ]
}

fn pseudo_headers() -> Vec<Case> {
    let required = "All HTTP/3 requests MUST include exactly one value for the :method, :scheme, and :path pseudo-header fields, unless the request is a CONNECT request (RFC 9114 §4.3.1); the absence of mandatory pseudo-header fields makes it malformed (§4.1.2).";
    vec![
        case(
            "Sends a request without :method",
            required,
            malformed_get(|f| remove(f, ":method")),
        ),
        case(
            "Sends a request without :scheme",
            required,
            malformed_get(|f| remove(f, ":scheme")),
        ),
        case(
            "Sends a request without :path",
            required,
            malformed_get(|f| remove(f, ":path")),
        ),
        case(
            "Sends a request with an empty :path",
            "This pseudo-header field MUST NOT be empty for \"http\" or \"https\" URIs (RFC 9114 §4.3.1).",
            malformed_get(|f| {
                for field in f.iter_mut().filter(|(n, _)| n == ":path") {
                    field.1.clear();
                }
            }),
        ),
        case(
            "Sends two :path pseudo-header fields",
            required,
            malformed_get(|f| add(f, ":path", "/again")),
        ),
        case(
            "Sends a pseudo-header field after a regular field",
            "All pseudo-header fields MUST appear in the header section before regular header fields; otherwise the message MUST be treated as malformed (RFC 9114 §4.3).",
            malformed_get(|f| {
                let path = f.pop().unwrap_or_default();
                f.push(("x-before".into(), "1".into()));
                f.push(path);
            }),
        ),
        case(
            "Sends an undefined pseudo-header field",
            "Endpoints MUST NOT generate pseudo-header fields other than those defined in this document (RFC 9114 §4.3); a message with one is malformed (§4.1.2).",
            malformed_get(|f| add(f, ":undefined", "x")),
        ),
        case(
            "Sends the response pseudo-header field :status in a request",
            "Pseudo-header fields defined for responses MUST NOT appear in requests (RFC 9114 §4.3).",
            malformed_get(|f| add(f, ":status", "200")),
        ),
        case(
            "Sends :authority and a different host",
            "If both fields are present, they MUST contain the same value (RFC 9114 §4.3.1). The RFC does not list this among the malformed cases of §4.1.2 by name, so a success passes too.",
            request_then(
                |ctx| {
                    let mut fields = ctx.get();
                    add(&mut fields, "host", "other.example");
                    headers(&fields)
                },
                {
                    let mut accepted = malformed();
                    accepted.extend(success());
                    accepted
                },
            ),
        ),
    ]
}

fn connect() -> Vec<Case> {
    vec![
        case(
            "Sends CONNECT without :authority",
            "The :authority pseudo-header field contains the host and port to connect to; a CONNECT request that does not conform is malformed (RFC 9114 §4.4).",
            malformed_get(|f| {
                f.retain(|(n, _)| n == ":method");
                f[0].1 = "CONNECT".into();
            }),
        ),
        case(
            "Sends CONNECT with :scheme and :path",
            "The :scheme and :path pseudo-header fields are omitted in a CONNECT request (RFC 9114 §4.4).",
            malformed_get(|f| f[0].1 = "CONNECT".into()),
        ),
    ]
}

fn shutdown() -> Vec<Case> {
    vec![case(
        "Sends a second GOAWAY with a larger push ID",
        "An endpoint MUST NOT increase the value it sends in a GOAWAY frame; receiving a GOAWAY containing a larger identifier than previously received MUST be treated as a connection error of type H3_ID_ERROR (RFC 9114 §5.2).",
        control_then(
            [frame(kind::GOAWAY, &int(0)), frame(kind::GOAWAY, &int(4))].concat(),
            ErrorCode::H3_ID_ERROR,
        ),
    )]
}

fn bidirectional() -> Vec<Case> {
    vec![case(
        "Sends 100 GET requests at once",
        "A server answers each request stream (RFC 9114 §6.1).",
        |ctx: &mut Ctx<'_>| {
            ctx.setup()?;
            let request = headers(&ctx.get());
            let mut ids = Vec::new();
            for _ in 0..100 {
                ids.push(ctx.request(&request, true)?);
            }
            for id in ids {
                ctx.expect(Some(id), &success())?;
            }
            Ok(())
        },
    )]
}

fn unidirectional() -> Vec<Case> {
    vec![
        case(
            "Opens a stream of a reserved (GREASE) type",
            "Recipients of unknown stream types MUST either abort reading of the stream or discard incoming data without further processing (RFC 9114 §6.2, §6.2.3).",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                ctx.uni(grease(11), b"some octets", false)?;
                let id = ctx.request(&headers(&ctx.get()), true)?;
                ctx.expect(Some(id), &success())
            },
        ),
        case(
            "Opens a stream of an unknown type",
            "Recipients of unknown stream types MUST either abort reading of the stream or discard incoming data without further processing (RFC 9114 §6.2).",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                ctx.uni(0x54, b"some octets", true)?;
                let id = ctx.request(&headers(&ctx.get()), true)?;
                ctx.expect(Some(id), &success())
            },
        ),
        case(
            "Opens a push stream from the client",
            "Only servers can push; if a server receives a client-initiated push stream, this MUST be treated as a connection error of type H3_STREAM_CREATION_ERROR (RFC 9114 §6.2.2).",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                ctx.uni(stream_type::PUSH, &int(0), false)?;
                ctx.expect(None, &conn(ErrorCode::H3_STREAM_CREATION_ERROR))
            },
        ),
    ]
}

fn control_streams() -> Vec<Case> {
    vec![
        case(
            "Sends MAX_PUSH_ID as the first frame of the control stream",
            "If the first frame of the control stream is any other frame type [than SETTINGS], this MUST be treated as a connection error of type H3_MISSING_SETTINGS (RFC 9114 §6.2.1).",
            |ctx: &mut Ctx<'_>| {
                ctx.control(&frame(kind::MAX_PUSH_ID, &int(0)))?;
                ctx.expect(None, &conn(ErrorCode::H3_MISSING_SETTINGS))
            },
        ),
        case(
            "Opens a second control stream",
            "Only one control stream per peer is permitted; receipt of a second stream claiming to be a control stream MUST be treated as a connection error of type H3_STREAM_CREATION_ERROR (RFC 9114 §6.2.1).",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                ctx.control(&settings(&[]))?;
                ctx.expect(None, &conn(ErrorCode::H3_STREAM_CREATION_ERROR))
            },
        ),
        case(
            "Closes the control stream",
            "If either control stream is closed at any point, this MUST be treated as a connection error of type H3_CLOSED_CRITICAL_STREAM (RFC 9114 §6.2.1).",
            |ctx: &mut Ctx<'_>| {
                let id = ctx.setup()?;
                ctx.write(id, &[], true);
                ctx.expect(None, &conn(ErrorCode::H3_CLOSED_CRITICAL_STREAM))
            },
        ),
        case(
            "Resets the control stream",
            "The sender MUST NOT close the control stream, and the receiver MUST NOT request that the sender close the control stream (RFC 9114 §6.2.1); H3_CLOSED_CRITICAL_STREAM.",
            |ctx: &mut Ctx<'_>| {
                let id = ctx.setup()?;
                ctx.pause();
                ctx.reset(id, ErrorCode::H3_NO_ERROR);
                ctx.expect(None, &conn(ErrorCode::H3_CLOSED_CRITICAL_STREAM))
            },
        ),
        case(
            "Receives the server's SETTINGS first on its control stream",
            "Each side MUST initiate a single control stream; a SETTINGS frame MUST be sent as the first frame of each control stream (RFC 9114 §6.2.1).",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                ctx.server_settings().map(|_| ())
            },
        ),
    ]
}

fn frame_layout() -> Vec<Case> {
    let layout = "A frame payload that contains additional bytes after the identified fields or a frame payload that terminates before the end of the identified fields MUST be treated as a connection error of type H3_FRAME_ERROR (RFC 9114 §7.1).";
    let truncated = "When a stream terminates cleanly, if the last frame on the stream was truncated, this MUST be treated as a connection error of type H3_FRAME_ERROR (RFC 9114 §7.1).";
    vec![
        case(
            "Sends a GOAWAY frame with octets after its identifier",
            layout,
            control_then(
                frame(kind::GOAWAY, &[0x00, 0x00]),
                ErrorCode::H3_FRAME_ERROR,
            ),
        ),
        case(
            "Sends a MAX_PUSH_ID frame with an empty payload",
            layout,
            control_then(frame(kind::MAX_PUSH_ID, &[]), ErrorCode::H3_FRAME_ERROR),
        ),
        case(
            "Sends a SETTINGS frame that ends inside a setting",
            layout,
            |ctx: &mut Ctx<'_>| {
                // Identifier 0x06 and a two-octet value cut after its first octet.
                ctx.control(&frame(kind::SETTINGS, &[0x06, 0x44]))?;
                ctx.expect(None, &conn(ErrorCode::H3_FRAME_ERROR))
            },
        ),
        case(
            "Ends a request stream inside a DATA frame",
            truncated,
            request_then(
                |ctx| {
                    let mut bytes = headers(&ctx.post());
                    bytes.extend(int(kind::DATA));
                    bytes.extend(int(10));
                    bytes.extend_from_slice(b"abc");
                    bytes
                },
                conn(ErrorCode::H3_FRAME_ERROR),
            ),
        ),
        case(
            "Ends a request stream inside a HEADERS frame",
            truncated,
            request_then(
                |ctx| {
                    let whole = headers(&ctx.get());
                    whole[..whole.len() - 2].to_vec()
                },
                conn(ErrorCode::H3_FRAME_ERROR),
            ),
        ),
    ]
}

/// DATA or HEADERS on the control stream.
fn on_control_only(ty: u64, name: &'static str) -> Vec<Case> {
    vec![case(
        format!("Sends a {name} frame on the control stream"),
        "If a DATA or HEADERS frame is received on a control stream, the recipient MUST respond with a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §7.2.1, §7.2.2).",
        move |ctx: &mut Ctx<'_>| {
            let payload = if ty == kind::HEADERS {
                wire::section(&ctx.get()).to_vec()
            } else {
                b"data".to_vec()
            };
            let mut bytes = settings(&[]);
            bytes.extend(frame(ty, &payload));
            ctx.control(&bytes)?;
            ctx.expect(None, &conn(ErrorCode::H3_FRAME_UNEXPECTED))
        },
    )]
}

fn cancel_push() -> Vec<Case> {
    vec![
        case(
            "Sends CANCEL_PUSH for a push ID the server never promised",
            "If a server receives a CANCEL_PUSH frame for a push ID that has not yet been mentioned by a PUSH_PROMISE frame, this MUST be treated as a connection error of type H3_ID_ERROR (RFC 9114 §7.2.3).",
            control_then(
                [
                    frame(kind::MAX_PUSH_ID, &int(10)),
                    frame(kind::CANCEL_PUSH, &int(3)),
                ]
                .concat(),
                ErrorCode::H3_ID_ERROR,
            ),
        ),
        case(
            "Sends CANCEL_PUSH on a request stream",
            "A CANCEL_PUSH frame is sent on the control stream; receiving a CANCEL_PUSH frame on a stream other than the control stream MUST be treated as a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §7.2.3).",
            request_then(
                |ctx| [headers(&ctx.get()), frame(kind::CANCEL_PUSH, &int(0))].concat(),
                conn(ErrorCode::H3_FRAME_UNEXPECTED),
            ),
        ),
    ]
}

fn settings_cases() -> Vec<Case> {
    let mut cases = vec![
        case(
            "Sends a second SETTINGS frame",
            "If an endpoint receives a second SETTINGS frame on the control stream, the endpoint MUST respond with a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §7.2.4).",
            control_then(settings(&[]), ErrorCode::H3_FRAME_UNEXPECTED),
        ),
        case(
            "Sends SETTINGS on a request stream",
            "If an endpoint receives a SETTINGS frame on a different stream, the endpoint MUST respond with a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §7.2.4).",
            request_then(
                |ctx| [settings(&[]), headers(&ctx.get())].concat(),
                conn(ErrorCode::H3_FRAME_UNEXPECTED),
            ),
        ),
        case(
            "Sends the same setting twice",
            "The same setting identifier MUST NOT occur more than once in the SETTINGS frame. A receiver MAY treat the presence of duplicate setting identifiers as a connection error of type H3_SETTINGS_ERROR (RFC 9114 §7.2.4); a server that does not passes too.",
            |ctx: &mut Ctx<'_>| {
                ctx.control(&settings(&[
                    (id::MAX_FIELD_SECTION_SIZE, 65_536),
                    (id::MAX_FIELD_SECTION_SIZE, 65_536),
                ]))?;
                let id = ctx.request(&headers(&ctx.get()), true)?;
                let mut accepted = conn(ErrorCode::H3_SETTINGS_ERROR);
                accepted.extend(success());
                ctx.expect(Some(id), &accepted)
            },
        ),
        case(
            "Sends unknown and reserved (GREASE) settings",
            "Setting identifiers of the format 0x1f * N + 0x21 are reserved to exercise the requirement that unknown identifiers be ignored (RFC 9114 §7.2.4.1).",
            control_then_get(settings(&[(grease(5), 7), (0x4242, 1), (grease(9), 0)])),
        ),
    ];
    for (ident, name) in [
        (0x02, "ENABLE_PUSH"),
        (0x03, "MAX_CONCURRENT_STREAMS"),
        (0x04, "INITIAL_WINDOW_SIZE"),
        (0x05, "MAX_FRAME_SIZE"),
    ] {
        cases.push(case(
            format!("Sends the HTTP/2 setting SETTINGS_{name} (0x{ident:02x})"),
            "Setting identifiers that were defined in HTTP/2 where there is no corresponding HTTP/3 setting have been reserved; their receipt MUST be treated as a connection error of type H3_SETTINGS_ERROR (RFC 9114 §7.2.4.1).",
            move |ctx: &mut Ctx<'_>| {
                ctx.control(&settings(&[(ident, 0)]))?;
                ctx.expect(None, &conn(ErrorCode::H3_SETTINGS_ERROR))
            },
        ));
    }
    cases
}

fn push_promise() -> Vec<Case> {
    let rule = "A client MUST NOT send a PUSH_PROMISE frame. A server MUST treat the receipt of a PUSH_PROMISE frame as a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §7.2.5).";
    vec![
        case(
            "Sends PUSH_PROMISE on a request stream",
            rule,
            request_then(
                |ctx| {
                    let mut promise = int(0);
                    promise.extend_from_slice(&wire::section(&ctx.get()));
                    [headers(&ctx.get()), frame(kind::PUSH_PROMISE, &promise)].concat()
                },
                conn(ErrorCode::H3_FRAME_UNEXPECTED),
            ),
        ),
        case(
            "Sends PUSH_PROMISE on the control stream",
            rule,
            control_then(
                frame(kind::PUSH_PROMISE, &[0x00, 0x00, 0x00]),
                ErrorCode::H3_FRAME_UNEXPECTED,
            ),
        ),
    ]
}

fn goaway() -> Vec<Case> {
    vec![case(
        "Sends GOAWAY on a request stream",
        "The GOAWAY frame is always sent on the control stream (RFC 9114 §7.2.6); on a request stream it breaks the frame sequence of §4.1, a connection error of type H3_FRAME_UNEXPECTED.",
        request_then(
            |ctx| [headers(&ctx.get()), frame(kind::GOAWAY, &int(0))].concat(),
            conn(ErrorCode::H3_FRAME_UNEXPECTED),
        ),
    )]
}

fn max_push_id() -> Vec<Case> {
    vec![
        case(
            "Sends a MAX_PUSH_ID smaller than the one before",
            "A MAX_PUSH_ID frame cannot reduce the maximum push ID; receipt of a MAX_PUSH_ID frame that contains a smaller value than previously received MUST be treated as a connection error of type H3_ID_ERROR (RFC 9114 §7.2.7).",
            control_then(
                [
                    frame(kind::MAX_PUSH_ID, &int(5)),
                    frame(kind::MAX_PUSH_ID, &int(2)),
                ]
                .concat(),
                ErrorCode::H3_ID_ERROR,
            ),
        ),
        case(
            "Sends MAX_PUSH_ID on a request stream",
            "Receipt of a MAX_PUSH_ID frame on any other stream [than the control stream] MUST be treated as a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §7.2.7).",
            request_then(
                |ctx| [headers(&ctx.get()), frame(kind::MAX_PUSH_ID, &int(3))].concat(),
                conn(ErrorCode::H3_FRAME_UNEXPECTED),
            ),
        ),
    ]
}

fn reserved_frames() -> Vec<Case> {
    let rule = "Frame types that were used in HTTP/2 where there is no corresponding HTTP/3 frame have been reserved; their receipt MUST be treated as a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8).";
    let mut cases = Vec::new();
    for (ty, name) in HTTP2_FRAMES {
        cases.push(case(
            format!("Sends the HTTP/2 frame type {name} (0x{ty:02x}) on the control stream"),
            rule,
            control_then(frame(ty, &[0; 8]), ErrorCode::H3_FRAME_UNEXPECTED),
        ));
    }
    for (ty, name) in HTTP2_FRAMES {
        cases.push(case(
            format!("Sends the HTTP/2 frame type {name} (0x{ty:02x}) on a request stream"),
            rule,
            request_then(
                move |ctx| [headers(&ctx.get()), frame(ty, &[0; 8])].concat(),
                conn(ErrorCode::H3_FRAME_UNEXPECTED),
            ),
        ));
    }
    cases.push(case(
        "Sends unknown and reserved (GREASE) frame types on the control stream",
        "Implementations MUST ignore unknown or unsupported values in all extensible protocol elements (RFC 9114 §9); reserved frame types of the format 0x1f * N + 0x21 have no semantics (§7.2.8).",
        control_then_get(
            [
                settings(&[]),
                frame(grease(3), b"grease"),
                frame(0x4a_4a, b"unknown"),
            ]
            .concat(),
        ),
    ));
    cases
}

// --- RFC 9204 ------------------------------------------------------------------------

/// A GET whose section refers to the one entry the case inserts (or never inserts):
/// Required Insert Count 1, Base 1, the static fields, then the dynamic entry at
/// relative index 0 (RFC 9204 §4.5.2).
fn blocked_get(ctx: &Ctx<'_>, capacity: u64) -> Vec<u8> {
    let mut line = bytes::BytesMut::new();
    wire::indexed_line(0, false, &mut line);
    headers_with_prefix(wire::encoded_insert_count(1, capacity), &ctx.get(), &line)
}

fn blocked_streams() -> Vec<Case> {
    vec![
        case(
            "Sends a request that waits for an insert, then the insert",
            "A decoder blocks a stream whose Required Insert Count is greater than its Insert Count and resumes it once the entries arrive, for up to SETTINGS_QPACK_BLOCKED_STREAMS streams (RFC 9204 §2.1.2, §2.2.1).",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                let (capacity, blocked) = qpack_settings(ctx)?;
                if capacity < 64 || blocked == 0 {
                    return Err(Failure::Skipped(format!(
                        "the server allows no blocked stream (capacity {capacity}, blocked streams {blocked})"
                    )));
                }
                let request = blocked_get(ctx, capacity);
                let id = ctx.request(&request, true)?;
                ctx.pause();
                let mut encoder = wire::set_capacity(capacity.min(4096));
                encoder.extend(wire::insert_literal(b"x-h3conf", b"inserted"));
                ctx.uni(stream_type::QPACK_ENCODER, &encoder, false)?;
                ctx.expect(Some(id), &success())
            },
        ),
        case(
            "Sends one blocked request more than SETTINGS_QPACK_BLOCKED_STREAMS",
            "If a decoder encounters more blocked streams than it promised to support, it MUST treat this as a connection error of type QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.1.2).",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                let (capacity, blocked) = qpack_settings(ctx)?;
                if blocked >= 256 {
                    return Err(Failure::Skipped(format!(
                        "the server allows {blocked} blocked streams; the case opens at most 256"
                    )));
                }
                let request = blocked_get(ctx, capacity.max(32));
                for n in 0..=blocked {
                    // A blocked stream stays open, so the server's stream limit
                    // (RFC 9000 §4.6) may keep the last one from ever opening.
                    if let Err(Failure::Error(why)) = ctx.request(&request, true) {
                        return Err(Failure::Skipped(format!(
                            "{n} streams open and blocked, and {why}: its stream limit is not above its SETTINGS_QPACK_BLOCKED_STREAMS of {blocked}"
                        )));
                    }
                }
                ctx.expect(None, &conn(ErrorCode::QPACK_DECOMPRESSION_FAILED))
            },
        ),
    ]
}

fn static_table() -> Vec<Case> {
    vec![case(
        "Sends a field line that refers to static entry 120",
        "When the decoder encounters an invalid static table index in a field line format, it MUST treat this as a connection error of type QPACK_DECOMPRESSION_FAILED (RFC 9204 §3.1).",
        request_then(
            |ctx| {
                let mut line = bytes::BytesMut::new();
                wire::indexed_line(120, true, &mut line);
                headers_with_prefix(0, &ctx.get(), &line)
            },
            conn(ErrorCode::QPACK_DECOMPRESSION_FAILED),
        ),
    )]
}

fn dynamic_table() -> Vec<Case> {
    vec![case(
        "Sends a dynamic reference in a section whose Required Insert Count is 0",
        "If the decoder encounters a reference in a field line representation to a dynamic table entry that has an absolute index greater than or equal to the declared Required Insert Count, it MUST treat this as a connection error of type QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.2.3, §3.2).",
        request_then(
            |ctx| {
                let mut line = bytes::BytesMut::new();
                wire::indexed_line(0, false, &mut line);
                headers_with_prefix(0, &ctx.get(), &line)
            },
            conn(ErrorCode::QPACK_DECOMPRESSION_FAILED),
        ),
    )]
}

fn qpack_streams() -> Vec<Case> {
    let second = "Each endpoint MUST initiate at most one encoder stream and at most one decoder stream; receipt of a second instance of either stream type MUST be treated as a connection error of type H3_STREAM_CREATION_ERROR (RFC 9204 §4.2).";
    let closed = "The sender MUST NOT close either of these streams, and the receiver MUST NOT request that the sender close either of these streams. Closure of either unidirectional stream type MUST be treated as a connection error of type H3_CLOSED_CRITICAL_STREAM (RFC 9204 §4.2).";
    let mut cases = Vec::new();
    for (ty, name) in [
        (stream_type::QPACK_ENCODER, "encoder"),
        (stream_type::QPACK_DECODER, "decoder"),
    ] {
        cases.push(case(
            format!("Opens a second {name} stream"),
            second,
            move |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                ctx.uni(ty, &[], false)?;
                ctx.uni(ty, &[], false)?;
                ctx.expect(None, &conn(ErrorCode::H3_STREAM_CREATION_ERROR))
            },
        ));
        cases.push(case(
            format!("Closes the {name} stream"),
            closed,
            move |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                ctx.uni(ty, &[], true)?;
                ctx.expect(None, &conn(ErrorCode::H3_CLOSED_CRITICAL_STREAM))
            },
        ));
    }
    cases
}

fn encoder_instructions() -> Vec<Case> {
    let on_encoder = |build: fn(u64) -> Vec<u8>| {
        move |ctx: &mut Ctx<'_>| {
            ctx.setup()?;
            let (capacity, _) = qpack_settings(ctx)?;
            ctx.uni(stream_type::QPACK_ENCODER, &build(capacity), false)?;
            ctx.expect(None, &conn(ErrorCode::QPACK_ENCODER_STREAM_ERROR))
        }
    };
    vec![
        case(
            "Sets a dynamic table capacity above SETTINGS_QPACK_MAX_TABLE_CAPACITY",
            "The decoder MUST treat a new dynamic table capacity value that exceeds this limit as a connection error of type QPACK_ENCODER_STREAM_ERROR (RFC 9204 §4.3.1).",
            on_encoder(|capacity| wire::set_capacity(capacity + 1)),
        ),
        case(
            "Inserts an entry larger than the table capacity",
            "It is an error if the encoder attempts to add an entry that is larger than the dynamic table capacity; the decoder MUST treat this as a connection error of type QPACK_ENCODER_STREAM_ERROR (RFC 9204 §3.2.2).",
            on_encoder(|_| wire::insert_literal(b"x-h3conf", b"no room")),
        ),
        case(
            "Inserts with a reference to static entry 150",
            "If this index is received on the encoder stream, this MUST be treated as a connection error of type QPACK_ENCODER_STREAM_ERROR (RFC 9204 §3.1).",
            on_encoder(|capacity| {
                [
                    wire::set_capacity(capacity.min(4096)),
                    wire::insert_name_ref(150, true, b"v"),
                ]
                .concat()
            }),
        ),
        case(
            "Inserts with a reference to a dynamic entry that does not exist",
            "If the decoder encounters a reference in an encoder instruction to a dynamic table entry that has already been evicted [or was never inserted], it MUST treat this as a connection error of type QPACK_ENCODER_STREAM_ERROR (RFC 9204 §3.2.4, §4.3.2).",
            on_encoder(|capacity| {
                [
                    wire::set_capacity(capacity.min(4096)),
                    wire::insert_name_ref(0, false, b"v"),
                ]
                .concat()
            }),
        ),
    ]
}

fn decoder_instructions() -> Vec<Case> {
    let on_decoder = |bytes: Vec<u8>| {
        move |ctx: &mut Ctx<'_>| {
            ctx.setup()?;
            ctx.uni(stream_type::QPACK_DECODER, &bytes, false)?;
            ctx.expect(None, &conn(ErrorCode::QPACK_DECODER_STREAM_ERROR))
        }
    };
    vec![
        case(
            "Acknowledges a section the server never sent",
            "If an encoder receives a Section Acknowledgment instruction referring to a stream on which every encoded field section with a non-zero Required Insert Count has already been acknowledged, this MUST be treated as a connection error of type QPACK_DECODER_STREAM_ERROR (RFC 9204 §4.4.1).",
            on_decoder(wire::section_ack(0)),
        ),
        case(
            "Sends an Insert Count Increment of 0",
            "An encoder that receives an Increment field equal to zero MUST treat this as a connection error of type QPACK_DECODER_STREAM_ERROR (RFC 9204 §4.4.3).",
            on_decoder(wire::insert_count_increment(0)),
        ),
        case(
            "Acknowledges an insert the server never made",
            "An encoder that receives an Insert Count Increment instruction that increases the Known Received Count beyond the number of dynamic table entries it has sent MUST treat this as a connection error of type QPACK_DECODER_STREAM_ERROR (RFC 9204 §4.4.3).",
            on_decoder(wire::insert_count_increment(1)),
        ),
    ]
}

fn section_prefix() -> Vec<Case> {
    vec![
        case(
            "Sends an encoded Required Insert Count beyond 2 * MaxEntries",
            "If the decoder encounters a value of Required Insert Count that exceeds the encoding's full range, it MUST treat this as a connection error of type QPACK_DECOMPRESSION_FAILED (RFC 9204 §4.5.1.1).",
            |ctx: &mut Ctx<'_>| {
                ctx.setup()?;
                let (capacity, _) = qpack_settings(ctx)?;
                let max_entries = capacity / 32;
                let request = headers_with_prefix(2 * max_entries + 1, &ctx.get(), &[]);
                let id = ctx.request(&request, true)?;
                ctx.expect(Some(id), &conn(ErrorCode::QPACK_DECOMPRESSION_FAILED))
            },
        ),
        case(
            "Sends a literal whose length runs past the end of the section",
            "If the decoder encounters ... a representation that cannot be decoded, it MUST treat this as a connection error of type QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.2, §6).",
            request_then(
                |ctx| {
                    // Literal Field Line with Literal Name: name length 100, two octets follow.
                    headers_with_prefix(0, &ctx.get(), &[0x27, 0x55, b'a', b'b'])
                },
                conn(ErrorCode::QPACK_DECOMPRESSION_FAILED),
            ),
        ),
    ]
}
