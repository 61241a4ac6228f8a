//! `rfc8441`: "Bootstrapping WebSockets with HTTP/2" (8 cases), run with
//! `--extended-connect`: the server's SETTINGS_ENABLE_CONNECT_PROTOCOL, the
//! `:protocol` pseudo-header and its malformed uses, and one WebSocket through an
//! extended-CONNECT stream. Not part of h2spec's catalogue, whose case count and
//! verdicts stay as they are; a server that does not advertise the setting (nghttpd)
//! fails these, as it should.

use bytes::Bytes;

use super::verify::{self, CaseResult, Failure};
use super::{Ctx, Section, case, section};
use crate::frame::{ErrorCode, Headers, setting};

const PROTOCOL: &[ErrorCode] = &[ErrorCode::PROTOCOL_ERROR];

/// A WebSocket text frame from a client (RFC 6455 §5.2, masked as §5.3 requires),
/// and the unmasked frame an echo sends back.
pub(crate) const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
pub(crate) const MESSAGE: &[u8] = b"conformance";

pub(crate) fn masked_text(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&MASK);
    frame.extend(payload.iter().zip(MASK.iter().cycle()).map(|(b, m)| b ^ m));
    frame
}

/// The fields of an extended CONNECT for a WebSocket on the run's WebSocket path
/// (RFC 8441 §4-5): `:method`, `:protocol`, `:scheme`, `:path`, `:authority`, then
/// `sec-websocket-version`.
fn websocket(c: &Ctx<'_>) -> Vec<(String, String)> {
    let mut fields = c.common();
    fields[0].1 = "CONNECT".into();
    fields[2].1 = c.ws_path.into();
    fields.insert(1, (":protocol".into(), "websocket".into()));
    fields.push(("sec-websocket-version".into(), "13".into()));
    fields
}

fn without(mut fields: Vec<(String, String)>, name: &str) -> Vec<(String, String)> {
    fields.retain(|(n, _)| n != name);
    fields
}

/// Handshake, then `fields` as an open stream 1 (no END_STREAM: a tunnel follows).
fn connect(c: &mut Ctx<'_>, fields: &[(String, String)]) -> Result<Bytes, Failure> {
    c.handshake()?;
    let block = c.block(fields);
    c.conn.headers(&Headers {
        stream_id: 1,
        end_stream: false,
        end_headers: true,
        block: &block,
        ..Headers::default()
    });
    Ok(block)
}

fn malformed(c: &mut Ctx<'_>, fields: &[(String, String)]) -> CaseResult {
    connect(c, fields)?;
    verify::stream_error(&mut c.conn, PROTOCOL)
}

pub(super) fn sections() -> Vec<Section> {
    vec![
        section(
            "rfc8441",
            "Bootstrapping WebSockets with HTTP/2 (RFC 8441)",
            vec![],
        ),
        section(
            "rfc8441/3",
            "3. The SETTINGS_ENABLE_CONNECT_PROTOCOL SETTINGS Parameter",
            vec![
                case(
                    "Sends the connection preface",
                    "The server MUST send SETTINGS_ENABLE_CONNECT_PROTOCOL with the value 1 to allow extended CONNECT.",
                    |c| {
                        c.handshake()?;
                        let value = c.conn.settings.get(&setting::ENABLE_CONNECT_PROTOCOL);
                        if value == Some(&1) {
                            return Ok(());
                        }
                        Err(Failure::Mismatch {
                            expected: vec!["SETTINGS_ENABLE_CONNECT_PROTOCOL = 1".into()],
                            actual: format!("SETTINGS_ENABLE_CONNECT_PROTOCOL = {value:?}"),
                        })
                    },
                ),
                case(
                    "Sends SETTINGS_ENABLE_CONNECT_PROTOCOL with a value other than 0 or 1",
                    "The endpoint MUST treat this as a connection error of type PROTOCOL_ERROR.",
                    |c| {
                        c.handshake()?;
                        c.conn.settings(&[(setting::ENABLE_CONNECT_PROTOCOL, 2)]);
                        verify::connection_error(&mut c.conn, PROTOCOL)
                    },
                ),
            ],
        ),
        section(
            "rfc8441/4",
            "4. The Extended CONNECT Method",
            vec![
                case(
                    "Sends an extended CONNECT without the \":scheme\" pseudo-header field",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| malformed(c, &without(websocket(c), ":scheme")),
                ),
                case(
                    "Sends an extended CONNECT without the \":path\" pseudo-header field",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| malformed(c, &without(websocket(c), ":path")),
                ),
                case(
                    "Sends an extended CONNECT without the \":authority\" pseudo-header field",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| malformed(c, &without(websocket(c), ":authority")),
                ),
                case(
                    "Sends a GET with the \":protocol\" pseudo-header field",
                    "The endpoint MUST respond with a stream error of type PROTOCOL_ERROR.",
                    |c| {
                        let mut fields = websocket(c);
                        fields[0].1 = "GET".into();
                        malformed(c, &fields)
                    },
                ),
            ],
        ),
        section(
            "rfc8441/5",
            "5. Using Extended CONNECT to Bootstrap the WebSocket Protocol",
            vec![
                case(
                    "Sends an extended CONNECT with \":protocol\" websocket to the WebSocket path",
                    "The server MUST answer with a 2xx and keep the stream open as the WebSocket's byte stream.",
                    |c| {
                        let fields = websocket(c);
                        connect(c, &fields)?;
                        verify::tunnel_opened(&mut c.conn, 1)
                    },
                ),
                case(
                    "Sends a WebSocket text message in DATA on an accepted extended CONNECT stream",
                    "The WebSocket path echoes the message in DATA on the same stream.",
                    |c| {
                        let fields = websocket(c);
                        connect(c, &fields)?;
                        verify::tunnel_opened(&mut c.conn, 1)?;
                        c.conn.data(1, false, &masked_text(MESSAGE));
                        let mut echoed = vec![0x81, MESSAGE.len() as u8];
                        echoed.extend_from_slice(MESSAGE);
                        verify::data_on(&mut c.conn, 1, &echoed)
                    },
                ),
            ],
        ),
    ]
}
