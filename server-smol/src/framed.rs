//! What the drivers of the framed protocols, HTTP/2 and HTTP/3, do alike: both carry a
//! request as a field section with pseudo-headers and a response head as `:status` plus
//! lowercase fields (RFC 9113 §8.3, RFC 9114 §4.3), so the translation between those and
//! the App's `Request` and `Response` is written once here.

use bytes::Bytes;
use http2_proto::Header;

use crate::clock::DateCache;
use crate::config::ResponseDefaults;
use crate::h2::{H2Fields, HTTP2, h2_field};
use crate::headers::Headers;
use crate::outgoing::{Outgoing, OutgoingBody};
use crate::response::{BodySource, Response, Trailers};

/// A request's method, path and regular fields, from its validated field section.
pub(crate) struct RequestHead {
    pub(crate) method: Bytes,
    /// Empty for a CONNECT request, which has no `:path`.
    pub(crate) path: Bytes,
    pub(crate) headers: Headers,
    /// The `:protocol` of an extended CONNECT (RFC 8441 §4, RFC 9220 §3).
    pub(crate) protocol: Option<Bytes>,
}

impl RequestHead {
    /// Splits the pseudo-headers off; `:authority` becomes `host` when the request
    /// has none, as an HTTP/1.1 application expects (RFC 9113 §8.3.1, RFC 9114 §4.3.1).
    /// An extended CONNECT stands for the GET of an HTTP/1.1 upgrade (RFC 8441 §5,
    /// RFC 6455 §4.1): routes and handlers see it as that GET.
    pub(crate) fn new(fields: Vec<Header>) -> Self {
        let mut method = Bytes::new();
        let mut path = Bytes::new();
        let mut authority = None;
        let mut protocol = None;
        let mut headers = Headers::with_capacity(fields.len());
        for field in fields {
            match &field.name[..] {
                b":method" => method = field.value,
                b":path" => path = field.value,
                b":authority" => authority = Some(field.value),
                b":protocol" => protocol = Some(field.value),
                b":scheme" => {}
                _ => headers.append(field.name, field.value),
            }
        }
        if let Some(authority) = authority
            && !headers.contains("host")
        {
            headers.append(Bytes::from_static(b"host"), authority);
        }
        if protocol.is_some() {
            method = Bytes::from_static(b"GET");
        }
        Self {
            method,
            path,
            headers,
            protocol,
        }
    }
}

/// A response ready for a framed protocol: its head's fields with `:status` first,
/// the body as it is to be sent, and its trailers.
pub(crate) struct ResponseHead {
    pub(crate) status: u16,
    pub(crate) fields: Vec<Header>,
    /// All of the body, when it was complete.
    pub(crate) full: Option<Bytes>,
    /// The body produced over time.
    pub(crate) source: Option<BodySource>,
    pub(crate) trailers: Option<Trailers>,
}

impl ResponseHead {
    /// Finishes `response` to a request that was HEAD if `is_head` (the rules of
    /// [`Outgoing`]), in HTTP/2's and HTTP/3's field form.
    pub(crate) fn new(
        response: Response,
        is_head: bool,
        date: &mut DateCache,
        defaults: &ResponseDefaults,
    ) -> Self {
        let mut fields = H2Fields(Vec::new());
        let Outgoing {
            status,
            body,
            trailers,
        } = Outgoing::new(response, is_head, HTTP2, date, defaults, &mut fields);
        let mut fields = fields.0;
        if let Some(first) = fields.first_mut() {
            let mut digits = itoa::Buffer::new();
            first.value = Bytes::copy_from_slice(digits.format(status).as_bytes());
        }
        let (full, source) = match body {
            OutgoingBody::None => (None, None),
            OutgoingBody::Full(bytes) => (Some(bytes), None),
            OutgoingBody::Source(source) => (None, Some(source)),
        };
        Self {
            status,
            fields,
            full,
            source,
            trailers,
        }
    }

    /// Nothing follows the head.
    pub(crate) fn ends_stream(&self) -> bool {
        self.full.is_none() && self.source.is_none() && self.trailers.is_none()
    }
}

/// A trailer section as the framed protocols send it (names lowercased, no
/// connection-specific fields).
pub(crate) fn trailer_fields(fields: Headers) -> Vec<Header> {
    fields
        .into_iter()
        .filter_map(h2_field)
        .map(|(name, value)| Header::new(name, value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(fields: &[(&'static str, &'static str)]) -> RequestHead {
        RequestHead::new(
            fields
                .iter()
                .map(|&(name, value)| Header::new(name, value))
                .collect(),
        )
    }

    #[test]
    fn pseudo_headers_are_split_off_and_authority_stands_in_for_host() {
        let head = head(&[
            (":method", "POST"),
            (":scheme", "https"),
            (":authority", "example.com"),
            (":path", "/upload?x=1"),
            ("content-type", "text/plain"),
        ]);
        assert_eq!(head.method, "POST");
        assert_eq!(head.path, "/upload?x=1");
        assert_eq!(head.protocol, None);
        assert_eq!(head.headers.get_str("host"), Some("example.com"));
        assert_eq!(head.headers.get_str("content-type"), Some("text/plain"));
        assert!(!head.headers.contains(":scheme"));
    }

    #[test]
    fn a_host_field_wins_over_authority() {
        let head = head(&[
            (":method", "GET"),
            (":authority", "a.example"),
            (":path", "/"),
            ("host", "b.example"),
        ]);
        assert_eq!(head.headers.get_all("host").count(), 1);
        assert_eq!(head.headers.get_str("host"), Some("b.example"));
    }

    #[test]
    fn an_extended_connect_reads_as_the_get_of_an_upgrade() {
        let head = head(&[
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":authority", "example.com"),
            (":path", "/ws"),
        ]);
        assert_eq!(head.method, "GET");
        assert_eq!(head.protocol.as_deref(), Some(&b"websocket"[..]));
    }

    #[test]
    fn a_plain_connect_has_no_path() {
        let head = head(&[(":method", "CONNECT"), (":authority", "example.com:443")]);
        assert_eq!(head.method, "CONNECT");
        assert!(head.path.is_empty());
    }
}
