//! `rfc9220`: "Bootstrapping WebSockets with HTTP/3" (RFC 9220), which carries RFC
//! 8441's extended CONNECT over to HTTP/3. Run with `--extended-connect WS_PATH`
//! against a server with a WebSocket echo at `WS_PATH`; outside the default catalogue,
//! since a server without WebSockets need not offer it.

use http3_proto::ErrorCode;
use http3_proto::settings::id;

use super::wire::{data, headers};
use super::{Ctx, Section, case, malformed, section};
use crate::h2::rfc8441::{MESSAGE, masked_text};
use crate::report::{CaseResult, Failure};

type Fields = Vec<(String, String)>;

/// The fields of an extended CONNECT for a WebSocket on the run's WebSocket path
/// (RFC 9220 §3, RFC 8441 §4-5).
fn websocket(ctx: &Ctx<'_>, ws_path: &str) -> Fields {
    let mut fields = ctx.get();
    fields[0].1 = "CONNECT".into();
    fields[3].1 = ws_path.into();
    fields.insert(1, (":protocol".into(), "websocket".into()));
    fields.push(("sec-websocket-version".into(), "13".into()));
    fields
}

fn ws_path(ctx: &Ctx<'_>) -> String {
    ctx.options
        .extended_connect
        .clone()
        .unwrap_or_else(|| "/".into())
}

/// An extended CONNECT that `edit` breaks, left open as a tunnel would be: malformed.
fn malformed_connect(edit: fn(&mut Fields)) -> impl Fn(&mut Ctx<'_>) -> CaseResult {
    move |ctx| {
        ctx.setup()?;
        let mut fields = websocket(ctx, &ws_path(ctx));
        edit(&mut fields);
        let id = ctx.request(&headers(&fields), false)?;
        ctx.expect(Some(id), &malformed())
    }
}

/// Opens the WebSocket tunnel and returns its stream, checking the 2xx.
fn open_tunnel(ctx: &mut Ctx<'_>) -> Result<quinn_proto::StreamId, Failure> {
    ctx.setup()?;
    let fields = websocket(ctx, &ws_path(ctx));
    let id = ctx.request(&headers(&fields), false)?;
    match ctx.tunnel_status(id)? {
        200..=299 => Ok(id),
        status => Err(Failure::Mismatch {
            expected: vec!["a 2xx response".into()],
            actual: format!("status {status}"),
        }),
    }
}

pub(super) fn sections() -> Vec<Section> {
    let required = "On requests bearing the :protocol pseudo-header field, the :scheme and :path pseudo-header fields of the target URI MUST also be included (RFC 8441 §4, RFC 9220 §3); the request is otherwise malformed (RFC 9114 §4.1.2).";
    vec![
        section(
            "rfc9220",
            "Bootstrapping WebSockets with HTTP/3 (RFC 9220)",
            vec![],
        ),
        section(
            "rfc9220/3",
            "3. WebSockets Upgrade over HTTP/3",
            vec![
                case(
                    "Receives SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 from the server",
                    "A server that supports extended CONNECT sends SETTINGS_ENABLE_CONNECT_PROTOCOL with the value 1 (RFC 9220 §3, RFC 8441 §3).",
                    |ctx: &mut Ctx<'_>| {
                        ctx.setup()?;
                        match ctx.setting(id::ENABLE_CONNECT_PROTOCOL)? {
                            Some(1) => Ok(()),
                            other => Err(Failure::Mismatch {
                                expected: vec!["SETTINGS_ENABLE_CONNECT_PROTOCOL = 1".into()],
                                actual: format!("SETTINGS_ENABLE_CONNECT_PROTOCOL = {other:?}"),
                            }),
                        }
                    },
                ),
                case(
                    "Sends an extended CONNECT without :scheme",
                    required,
                    malformed_connect(|f| f.retain(|(n, _)| n != ":scheme")),
                ),
                case(
                    "Sends an extended CONNECT without :path",
                    required,
                    malformed_connect(|f| f.retain(|(n, _)| n != ":path")),
                ),
                case(
                    "Sends an extended CONNECT without :authority",
                    "The :authority pseudo-header field is required of a CONNECT request (RFC 9114 §4.4, RFC 8441 §4); the request is otherwise malformed.",
                    malformed_connect(|f| f.retain(|(n, _)| n != ":authority")),
                ),
                case(
                    "Sends a GET with :protocol",
                    "The :protocol pseudo-header field belongs to extended CONNECT only (RFC 8441 §4, RFC 9220 §3): a GET with it carries an undefined pseudo-header and is malformed (RFC 9114 §4.3).",
                    malformed_connect(|f| f[0].1 = "GET".into()),
                ),
                case(
                    "Sends an extended CONNECT with :protocol websocket to the WebSocket path",
                    "The server answers with a 2xx and keeps the stream open as the WebSocket's byte stream (RFC 9220 §3, RFC 8441 §5).",
                    |ctx: &mut Ctx<'_>| open_tunnel(ctx).map(|_| ()),
                ),
                case(
                    "Sends a WebSocket text message in DATA on an accepted extended CONNECT stream",
                    "The WebSocket path echoes the message in DATA frames on the same stream (RFC 9220 §3); closing the tunnel is a reset with H3_REQUEST_CANCELLED or a clean end.",
                    |ctx: &mut Ctx<'_>| {
                        let id = open_tunnel(ctx)?;
                        ctx.write(id, &data(&masked_text(MESSAGE)), false);
                        let mut echoed = vec![0x81, MESSAGE.len() as u8];
                        echoed.extend_from_slice(MESSAGE);
                        let got = ctx.data_received(id, echoed.len());
                        ctx.reset(id, ErrorCode::H3_REQUEST_CANCELLED);
                        if got.starts_with(&echoed) {
                            Ok(())
                        } else {
                            Err(Failure::Mismatch {
                                expected: vec![format!("DATA {echoed:02x?}")],
                                actual: format!("DATA {got:02x?}"),
                            })
                        }
                    },
                ),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn seven_cases_in_their_own_group() {
        let sections = super::sections();
        assert_eq!(sections.iter().map(|s| s.cases.len()).sum::<usize>(), 7);
        assert!(sections.iter().all(|s| s.id.starts_with("rfc9220")));
    }
}
