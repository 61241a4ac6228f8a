//! Header-section validation (RFC 9113 §8.2-8.3).
//!
//! A section that breaks these rules is *malformed*: the connection answers with a
//! stream error of type PROTOCOL_ERROR (RFC 9113 §8.1.1) and the application never sees
//! the message. Everything here is a pure function of the decoded fields.

use hpack::Header;
use http_core::field::{
    ContentLengthError, is_connection_specific, is_ows, is_tchar, merge_content_length,
};

/// Why a field section is malformed; the static string goes nowhere on the wire but
/// makes tests and debugging precise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

/// What request validation learned that the connection needs later.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MessageInfo {
    /// Parsed `content-length`, checked later against the DATA total (§8.1.1).
    pub(crate) content_length: Option<u64>,
    /// A request's method was HEAD (its response has no body).
    pub(crate) head: bool,
    /// A response's status code.
    pub(crate) status: u16,
    /// A CONNECT request, plain (RFC 9113 §8.5) or extended (RFC 8441 §4): after a 2xx
    /// the stream is a tunnel, without content-length semantics.
    pub(crate) connect: bool,
    /// The request carries `:protocol` (RFC 8441 §4).
    pub(crate) extended_connect: bool,
}

/// `tchar` without uppercase: HTTP/2 field names are lowercase (RFC 9113 §8.2.1).
fn is_token_lower(b: u8) -> bool {
    is_tchar(b) && !b.is_ascii_uppercase()
}

/// RFC 9113 §8.2.1: names are lowercase tokens; values carry no NUL, CR or LF and no
/// leading or trailing whitespace.
fn check_field(name: &[u8], value: &[u8]) -> Result<(), Malformed> {
    if name.is_empty() || !name.iter().all(|&b| is_token_lower(b)) {
        return Err(Malformed("invalid or uppercase field name"));
    }
    check_value(value)
}

fn check_value(value: &[u8]) -> Result<(), Malformed> {
    if value.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n')) {
        return Err(Malformed("NUL, CR or LF in field value"));
    }
    if value.first().is_some_and(|&b| is_ows(b)) || value.last().is_some_and(|&b| is_ows(b)) {
        return Err(Malformed("whitespace around field value"));
    }
    Ok(())
}

/// Checks a regular (non-pseudo) field and folds `content-length` into `info`.
fn regular_field(h: &Header, info: &mut MessageInfo) -> Result<(), Malformed> {
    check_field(&h.name, &h.value)?;
    if is_connection_specific(&h.name, &h.value) {
        return Err(Malformed("connection-specific field"));
    }
    if &h.name[..] == b"content-length" {
        info.content_length = Some(content_length(info.content_length, &h.value)?);
    }
    Ok(())
}

/// One more `content-length` field, which must agree with the ones before it
/// (RFC 9110 §8.6, RFC 9113 §8.1.1).
fn content_length(previous: Option<u64>, value: &[u8]) -> Result<u64, Malformed> {
    merge_content_length(previous, value).map_err(|e| match e {
        ContentLengthError::Invalid => Malformed("invalid content-length"),
        ContentLengthError::Conflicting => Malformed("conflicting content-length"),
    })
}

/// Validates a request header section (RFC 9113 §8.3.1). `extended_connect` allows the
/// `:protocol` pseudo-header when we advertised SETTINGS_ENABLE_CONNECT_PROTOCOL
/// (RFC 8441 §3-4); an extended CONNECT keeps `:scheme` and `:path`, unlike a plain
/// one, and names its target in `:authority`. A CONNECT request has no content
/// (RFC 9110 §9.3.6): its DATA is a tunnel, so a `content-length` describes nothing.
pub(crate) fn request(
    headers: &[Header],
    extended_connect: bool,
) -> Result<MessageInfo, Malformed> {
    let mut info = MessageInfo::default();
    let (mut method, mut scheme, mut path, mut authority, mut protocol) =
        (None, None, None, None, None);
    let mut regular_seen = false;
    for h in headers {
        let name: &[u8] = &h.name;
        if let Some(pseudo) = name.strip_prefix(b":") {
            if regular_seen {
                return Err(Malformed("pseudo-header after regular field"));
            }
            check_value(&h.value)?;
            let slot = match pseudo {
                b"method" => &mut method,
                b"scheme" => &mut scheme,
                b"path" => &mut path,
                b"authority" => &mut authority,
                b"protocol" if extended_connect => &mut protocol,
                _ => return Err(Malformed("unknown or response pseudo-header in request")),
            };
            if slot.replace(&h.value[..]).is_some() {
                return Err(Malformed("repeated pseudo-header"));
            }
        } else {
            regular_seen = true;
            regular_field(h, &mut info)?;
        }
    }
    let Some(method) = method else {
        return Err(Malformed("missing :method"));
    };
    if method.is_empty() || !method.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(Malformed("invalid :method"));
    }
    info.head = method == b"HEAD";
    info.connect = method == b"CONNECT";
    if info.connect {
        info.content_length = None;
    }
    if info.connect && protocol.is_none() {
        // Plain CONNECT (RFC 9113 §8.5): only :method and :authority.
        if scheme.is_some() || path.is_some() || authority.is_none_or(<[u8]>::is_empty) {
            return Err(Malformed("malformed CONNECT request"));
        }
        return Ok(info);
    }
    if let Some(protocol) = protocol {
        if !info.connect {
            return Err(Malformed(":protocol without CONNECT"));
        }
        if protocol.is_empty() {
            return Err(Malformed("empty :protocol"));
        }
        if authority.is_none_or(<[u8]>::is_empty) {
            return Err(Malformed("extended CONNECT without :authority"));
        }
        info.extended_connect = true;
    }
    if scheme.is_none_or(<[u8]>::is_empty) {
        return Err(Malformed("missing :scheme"));
    }
    match path {
        None => return Err(Malformed("missing :path")),
        Some([]) => return Err(Malformed("empty :path")),
        Some(_) => {}
    }
    Ok(info)
}

/// Validates a response header section (RFC 9113 §8.3.2).
pub(crate) fn response(headers: &[Header]) -> Result<MessageInfo, Malformed> {
    let mut info = MessageInfo::default();
    let mut status = None;
    let mut regular_seen = false;
    for h in headers {
        let name: &[u8] = &h.name;
        if name.first() == Some(&b':') {
            if regular_seen {
                return Err(Malformed("pseudo-header after regular field"));
            }
            if name != b":status" {
                return Err(Malformed("unknown or request pseudo-header in response"));
            }
            if status.replace(&h.value[..]).is_some() {
                return Err(Malformed("repeated :status"));
            }
        } else {
            regular_seen = true;
            regular_field(h, &mut info)?;
        }
    }
    let Some(&[a, b, c]) = status else {
        return Err(Malformed("missing or invalid :status"));
    };
    if ![a, b, c].iter().all(u8::is_ascii_digit) || a == b'0' {
        return Err(Malformed("invalid :status"));
    }
    info.status = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    Ok(info)
}

/// Validates a trailer section: regular fields only (RFC 9113 §8.1).
pub(crate) fn trailers(headers: &[Header]) -> Result<(), Malformed> {
    let mut info = MessageInfo::default();
    for h in headers {
        if h.name.first() == Some(&b':') {
            return Err(Malformed("pseudo-header in trailers"));
        }
        regular_field(h, &mut info)?;
    }
    Ok(())
}

/// Checks on fields we are asked to send, the same RFC 9113 §8.2.1 rules we hold the
/// peer to: names are lowercase tokens (an uppercase name would make the peer reset the
/// stream), pseudo-headers come first, and values carry no NUL, CR or LF and no
/// whitespace at either end. A value with CR or LF is the dangerous one: a peer that
/// did not reject it and translated the message to HTTP/1.1 would split it into
/// fields of the sender's choosing.
pub(crate) fn outbound(headers: &[Header]) -> bool {
    let mut regular_seen = false;
    headers.iter().all(|h| {
        let name: &[u8] = &h.name;
        let name_ok = match name.strip_prefix(b":") {
            Some(rest) => {
                !regular_seen && !rest.is_empty() && rest.iter().all(|&b| is_token_lower(b))
            }
            None => {
                regular_seen = true;
                !name.is_empty() && name.iter().all(|&b| is_token_lower(b))
            }
        };
        // `:status` is three digits (RFC 9113 §8.3.2, RFC 9110 §15), 100 to 999.
        let status_ok =
            name != b":status" || matches!(&h.value[..], [b'1'..=b'9', b'0'..=b'9', b'0'..=b'9']);
        name_ok && status_ok && check_value(&h.value).is_ok()
    })
}

/// What an outbound final header section says about the body that follows: its
/// `content-length` (`Err` if one is not a number, or several disagree) and its
/// `:status` (0 for a request).
pub(crate) fn outbound_framing(headers: &[Header]) -> Result<(Option<u64>, u16), Malformed> {
    let mut length = None;
    let mut status = 0;
    for h in headers {
        match &h.name[..] {
            b"content-length" => length = Some(content_length(length, &h.value)?),
            b":status" => {
                status = h.value.iter().fold(0u16, |acc, &d| {
                    acc.saturating_mul(10)
                        .saturating_add(u16::from(d.wrapping_sub(b'0')))
                });
            }
            _ => {}
        }
    }
    Ok((length, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: &'static str, v: &'static str) -> Header {
        Header::new(n, v)
    }

    fn get() -> Vec<Header> {
        vec![
            h(":method", "GET"),
            h(":scheme", "https"),
            h(":path", "/"),
            h(":authority", "a"),
        ]
    }

    #[test]
    fn valid_request() {
        assert_eq!(request(&get(), false), Ok(MessageInfo::default()));
        let mut with_len = get();
        with_len.push(h("content-length", "12"));
        with_len.push(h("te", "trailers"));
        assert_eq!(request(&with_len, false).unwrap().content_length, Some(12));
    }

    #[test]
    fn malformed_requests() {
        let cases: Vec<(Vec<Header>, &str)> = vec![
            (
                vec![h(":method", "GET"), h(":scheme", "https")],
                "missing path",
            ),
            (
                vec![h(":scheme", "https"), h(":path", "/")],
                "missing method",
            ),
            (vec![h(":method", "GET"), h(":path", "/")], "missing scheme"),
            (
                vec![h(":method", "GET"), h(":scheme", "https"), h(":path", "")],
                "empty path",
            ),
            (
                vec![
                    h(":method", "GET"),
                    h(":method", "GET"),
                    h(":scheme", "s"),
                    h(":path", "/"),
                ],
                "dup",
            ),
            (
                vec![
                    h(":method", "GET"),
                    h(":scheme", "s"),
                    h(":path", "/"),
                    h(":status", "200"),
                ],
                "status",
            ),
            (
                vec![
                    h(":method", "GET"),
                    h(":scheme", "s"),
                    h(":path", "/"),
                    h(":foo", "x"),
                ],
                "unknown",
            ),
            (
                vec![
                    h(":method", "GET"),
                    h("x", "1"),
                    h(":scheme", "s"),
                    h(":path", "/"),
                ],
                "order",
            ),
            (
                vec![
                    h(":method", "GET"),
                    h(":scheme", "s"),
                    h(":path", "/"),
                    h("X-Up", "1"),
                ],
                "upper",
            ),
            (
                vec![
                    h(":method", "GET"),
                    h(":scheme", "s"),
                    h(":path", "/"),
                    h("connection", "x"),
                ],
                "conn",
            ),
            (
                vec![
                    h(":method", "GET"),
                    h(":scheme", "s"),
                    h(":path", "/"),
                    h("te", "gzip"),
                ],
                "te",
            ),
            (
                vec![
                    h(":method", "GET"),
                    h(":scheme", "s"),
                    h(":path", "/"),
                    h("content-length", "x"),
                ],
                "cl",
            ),
            (
                vec![
                    h(":method", "GET"),
                    h(":scheme", "s"),
                    h(":path", "/"),
                    h("a", " x"),
                ],
                "ws",
            ),
            (
                vec![
                    h(":method", "CONNECT"),
                    h(":scheme", "s"),
                    h(":authority", "a"),
                ],
                "connect",
            ),
        ];
        for (headers, what) in cases {
            assert!(request(&headers, false).is_err(), "{what} accepted");
        }
    }

    #[test]
    fn extended_connect() {
        let ws = || {
            vec![
                h(":method", "CONNECT"),
                h(":protocol", "websocket"),
                h(":scheme", "https"),
                h(":path", "/chat"),
                h(":authority", "a"),
                h("content-length", "5"),
            ]
        };
        let info = request(&ws(), true).unwrap();
        assert!(info.connect && info.extended_connect);
        assert_eq!(info.content_length, None, "a tunnel has no content-length");
        // Not advertised: `:protocol` is an unknown pseudo-header (RFC 9113 §8.3).
        assert!(request(&ws(), false).is_err());
        for drop in [":scheme", ":path", ":authority"] {
            let fields: Vec<Header> = ws()
                .into_iter()
                .filter(|f| &f.name[..] != drop.as_bytes())
                .collect();
            assert!(request(&fields, true).is_err(), "without {drop}");
        }
        let mut get = ws();
        get[0] = h(":method", "GET");
        assert!(request(&get, true).is_err());
        let plain = [h(":method", "CONNECT"), h(":authority", "a:443")];
        let info = request(&plain, true).unwrap();
        assert!(info.connect && !info.extended_connect);
    }

    #[test]
    fn responses_and_trailers() {
        assert_eq!(response(&[h(":status", "204")]).unwrap().status, 204);
        assert!(response(&[h(":status", "20")]).is_err());
        assert!(response(&[h(":status", "200"), h(":path", "/")]).is_err());
        assert!(response(&[h("a", "b")]).is_err());
        assert!(trailers(&[h("grpc-status", "0")]).is_ok());
        assert!(trailers(&[h(":status", "200")]).is_err());
        assert!(outbound(&get()));
        assert!(!outbound(&[h("Upper", "x")]));
        assert!(!outbound(&[h("a", "x"), h(":status", "200")]));
        // RFC 9113 §8.2.1: what we would reject from the peer, we do not send.
        for bad in ["a\r\nx-injected: 1", "a\nb", "a\0b", " a", "a\t"] {
            assert!(!outbound(&[h(":status", "200"), h("x", bad)]), "{bad:?}");
        }
        assert!(!outbound(&[h(":path", "/a\r\nb")]));
        for bad in ["42", "1000", "099", "20x", ""] {
            assert!(!outbound(&[h(":status", bad)]), "{bad:?}");
        }
        assert!(outbound(&[h(":status", "103")]) && outbound(&[h(":status", "999")]));
        assert!(outbound(&[
            h(":status", "200"),
            h("x", "a b\tc"),
            h("empty", "")
        ]));
    }
}
