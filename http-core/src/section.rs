//! Field-section validation shared by the framed HTTP versions: HTTP/2 (RFC 9113
//! §8.2-8.3) and HTTP/3 (RFC 9114 §4.2-4.3) hold a decoded field section to the same
//! rules, so both crates call these functions and can never disagree.
//!
//! A section that breaks these rules is *malformed*: the connection answers with a
//! stream error (PROTOCOL_ERROR in HTTP/2, H3_MESSAGE_ERROR in HTTP/3) and the
//! application never sees the message. Everything here is a pure function of the fields,
//! given as `(name, value)` pairs in wire order.

use crate::field::{
    ContentLengthError, is_connection_specific, is_ows, is_tchar, merge_content_length,
};

/// Why a field section is malformed; the static string goes nowhere on the wire but
/// makes tests and debugging precise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

/// What validation learned that the connection needs later.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageInfo {
    /// Parsed `content-length`, checked later against the DATA total (RFC 9113 §8.1.1,
    /// RFC 9114 §4.1.2).
    pub content_length: Option<u64>,
    /// A request's method was HEAD (its response has no body).
    pub head: bool,
    /// A response's status code.
    pub status: u16,
    /// A CONNECT request, plain (RFC 9113 §8.5, RFC 9114 §4.4) or extended (RFC 8441
    /// §4, RFC 9220 §3): after a 2xx the stream is a tunnel, without content-length
    /// semantics.
    pub connect: bool,
    /// The request carries `:protocol` (RFC 8441 §4, RFC 9220 §3).
    pub extended_connect: bool,
}

/// `tchar` without uppercase: HTTP/2 field names are lowercase (RFC 9113 §8.2.1, RFC 9114 §4.2).
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
fn regular_field(name: &[u8], value: &[u8], info: &mut MessageInfo) -> Result<(), Malformed> {
    check_field(name, value)?;
    if is_connection_specific(name, value) {
        return Err(Malformed("connection-specific field"));
    }
    if name == b"content-length" {
        info.content_length = Some(content_length(info.content_length, value)?);
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

/// Validates a request header section (RFC 9113 §8.3.1, RFC 9114 §4.3.1).
/// `extended_connect` allows the `:protocol` pseudo-header when we advertised
/// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3-4, RFC 9220 §3); an extended CONNECT
/// keeps `:scheme` and `:path`, unlike a plain one, and names its target in
/// `:authority`. A CONNECT request has no content (RFC 9110 §9.3.6): its DATA is a
/// tunnel, so a `content-length` describes nothing.
pub fn request<'a>(
    fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    extended_connect: bool,
) -> Result<MessageInfo, Malformed> {
    let mut info = MessageInfo::default();
    let (mut method, mut scheme, mut path, mut authority, mut protocol) =
        (None, None, None, None, None);
    let mut regular_seen = false;
    for (name, value) in fields {
        if let Some(pseudo) = name.strip_prefix(b":") {
            if regular_seen {
                return Err(Malformed("pseudo-header after regular field"));
            }
            check_value(value)?;
            let slot = match pseudo {
                b"method" => &mut method,
                b"scheme" => &mut scheme,
                b"path" => &mut path,
                b"authority" => &mut authority,
                b"protocol" if extended_connect => &mut protocol,
                _ => return Err(Malformed("unknown or response pseudo-header in request")),
            };
            if slot.replace(value).is_some() {
                return Err(Malformed("repeated pseudo-header"));
            }
        } else {
            regular_seen = true;
            regular_field(name, value, &mut info)?;
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
pub fn response<'a>(
    fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<MessageInfo, Malformed> {
    let mut info = MessageInfo::default();
    let mut status = None;
    let mut regular_seen = false;
    for (name, value) in fields {
        if name.first() == Some(&b':') {
            if regular_seen {
                return Err(Malformed("pseudo-header after regular field"));
            }
            if name != b":status" {
                return Err(Malformed("unknown or request pseudo-header in response"));
            }
            if status.replace(value).is_some() {
                return Err(Malformed("repeated :status"));
            }
        } else {
            regular_seen = true;
            regular_field(name, value, &mut info)?;
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
pub fn trailers<'a>(
    fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<(), Malformed> {
    let mut info = MessageInfo::default();
    for (name, value) in fields {
        if name.first() == Some(&b':') {
            return Err(Malformed("pseudo-header in trailers"));
        }
        regular_field(name, value, &mut info)?;
    }
    Ok(())
}

/// Checks on fields we are asked to send, the same RFC 9113 §8.2.1 rules we hold the
/// peer to: names are lowercase tokens (an uppercase name would make the peer reset the
/// stream), pseudo-headers come first, and values carry no NUL, CR or LF and no
/// whitespace at either end. A value with CR or LF is the dangerous one: a peer that
/// did not reject it and translated the message to HTTP/1.1 would split it into
/// fields of the sender's choosing.
pub fn outbound<'a>(fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> bool {
    let mut regular_seen = false;
    fields.into_iter().all(|(name, value)| {
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
            name != b":status" || matches!(value, [b'1'..=b'9', b'0'..=b'9', b'0'..=b'9']);
        name_ok && status_ok && check_value(value).is_ok()
    })
}

/// What an outbound final header section says about the body that follows: its
/// `content-length` (`Err` if one is not a number, or several disagree) and its
/// `:status` (0 for a request).
pub fn outbound_framing<'a>(
    fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<(Option<u64>, u16), Malformed> {
    let mut length = None;
    let mut status = 0;
    for (name, value) in fields {
        match name {
            b"content-length" => length = Some(content_length(length, value)?),
            b":status" => {
                status = value.iter().fold(0u16, |acc, &d| {
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

    type Field = (&'static [u8], &'static [u8]);

    fn h(n: &'static str, v: &'static str) -> Field {
        (n.as_bytes(), v.as_bytes())
    }

    fn request(fields: &[Field], extended_connect: bool) -> Result<MessageInfo, Malformed> {
        super::request(fields.iter().copied(), extended_connect)
    }

    fn response(fields: &[Field]) -> Result<MessageInfo, Malformed> {
        super::response(fields.iter().copied())
    }

    fn trailers(fields: &[Field]) -> Result<(), Malformed> {
        super::trailers(fields.iter().copied())
    }

    fn outbound(fields: &[Field]) -> bool {
        super::outbound(fields.iter().copied())
    }

    fn get() -> Vec<Field> {
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
        let cases: Vec<(Vec<Field>, &str)> = vec![
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
            let fields: Vec<Field> = ws()
                .into_iter()
                .filter(|f| f.0 != drop.as_bytes())
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
}
