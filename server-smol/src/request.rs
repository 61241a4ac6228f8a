//! What a handler receives.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use crate::body::Body;
use crate::headers::Headers;
use crate::interim::Interim;
use crate::tls_info::TlsInfo;

/// The protocol a request arrived over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Version {
    /// HTTP/1.0.
    Http10,
    /// HTTP/1.1.
    Http11,
    /// HTTP/2 (over TLS or h2c).
    H2,
    /// HTTP/3 (over QUIC).
    H3,
}

/// One request: method, target, path parameters, headers and a streaming body.
#[derive(Debug)]
pub struct Request {
    pub(crate) method: Bytes,
    pub(crate) target: Bytes,
    /// Length of the path part of `target` (before `?`).
    pub(crate) path_len: usize,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) headers: Headers,
    pub(crate) version: Version,
    pub(crate) body: Body,
    pub(crate) peer: Option<SocketAddr>,
    /// The connection's TLS facts; `None` over cleartext.
    pub(crate) tls: Option<Arc<TlsInfo>>,
    /// Where 1xx heads go, when the app sends them ([`App::interim_responses`]).
    ///
    /// [`App::interim_responses`]: crate::App::interim_responses
    pub(crate) interim: Option<Interim>,
}

impl Request {
    /// Builds a request by hand (tests, or embedding the app elsewhere).
    /// `target` is the origin-form request target, e.g. `/users/7?x=1`.
    pub fn new(method: &str, target: &str, headers: Headers, body: Body) -> Self {
        Self::from_parts(
            Bytes::copy_from_slice(method.as_bytes()),
            Bytes::copy_from_slice(target.as_bytes()),
            headers,
            Version::Http11,
            body,
            None,
        )
    }

    pub(crate) fn from_parts(
        method: Bytes,
        target: Bytes,
        headers: Headers,
        version: Version,
        body: Body,
        peer: Option<SocketAddr>,
    ) -> Self {
        let target = origin_form(target);
        let path_len = memchr_question(&target);
        Self {
            method,
            target,
            path_len,
            params: Vec::new(),
            headers,
            version,
            body,
            peer,
            tls: None,
            interim: None,
        }
    }

    /// The method, e.g. `GET`.
    pub fn method(&self) -> &str {
        std::str::from_utf8(&self.method).unwrap_or("")
    }

    /// The request target in origin form (path and query); an absolute-form
    /// target (`http://host/path`) is reduced to its path and query.
    pub fn target(&self) -> &str {
        std::str::from_utf8(&self.target).unwrap_or("")
    }

    /// The path, without the query, still percent-encoded.
    pub fn path(&self) -> &str {
        self.target().get(..self.path_len).unwrap_or("")
    }

    /// The query string after `?`, if any, still percent-encoded.
    pub fn query(&self) -> Option<&str> {
        self.target().get(self.path_len..)?.strip_prefix('?')
    }

    /// A path parameter captured by the route, percent-decoded
    /// (`/users/{id}` → `param("id")`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All path parameters, in route order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The first value of header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get_str(name)
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The client's address, when the request came from a socket.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// What the TLS handshake of the request's connection settled; `None` when
    /// the request came over cleartext.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_deref()
    }

    /// The sender of 1xx responses that precede the final one (103 Early Hints,
    /// RFC 8297); `None` unless the app turned them on with
    /// [`App::interim_responses`](crate::App::interim_responses), or for a request
    /// that was not read from a connection.
    pub fn interim(&self) -> Option<&Interim> {
        self.interim.as_ref()
    }

    /// The body, for reading in place.
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Takes the body out, leaving an empty one.
    pub fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.body)
    }
}

/// Reduces an absolute-form target (`http://host/path?q`) to its origin form
/// (`/path?q`): RFC 9112 §3.2.2 says a server MUST accept the absolute form,
/// and routing only ever looks at the path. The authority is already checked
/// against Host by http1-proto. Origin-form targets pass through untouched.
fn origin_form(target: Bytes) -> Bytes {
    let scheme_len = if starts_with_ignore_case(&target, b"http://") {
        7
    } else if starts_with_ignore_case(&target, b"https://") {
        8
    } else {
        return target;
    };
    let authority_end = target[scheme_len..]
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .map_or(target.len(), |at| scheme_len + at);
    if target.get(authority_end) == Some(&b'/') {
        target.slice(authority_end..)
    } else {
        // `http://host` or `http://host?q`: the path is empty, which means `/`.
        let mut origin = Vec::with_capacity(1 + target.len() - authority_end);
        origin.push(b'/');
        origin.extend_from_slice(&target[authority_end..]);
        Bytes::from(origin)
    }
}

fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn memchr_question(target: &[u8]) -> usize {
    target
        .iter()
        .position(|&b| b == b'?')
        .unwrap_or(target.len())
}

/// What the `after` middleware hook sees of a request: enough for an access
/// log, kept by the connection while the handler owns the [`Request`].
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub(crate) method: Bytes,
    pub(crate) target: Bytes,
    pub(crate) version: Version,
    pub(crate) peer: Option<SocketAddr>,
}

impl RequestInfo {
    /// Writes the access-log line for this request (target `weft::access`),
    /// the same for both protocols; `stream` is the HTTP/2 stream id.
    pub(crate) fn log_access(&self, peer: Option<SocketAddr>, status: u16, stream: Option<u32>) {
        tracing::info!(
            target: "weft::access",
            peer = peer.map(tracing::field::display),
            method = self.method(),
            target = self.target(),
            version = ?self.version(),
            status,
            stream,
        );
    }

    pub(crate) fn of(request: &Request) -> Self {
        Self {
            method: request.method.clone(),
            target: request.target.clone(),
            version: request.version,
            peer: request.peer,
        }
    }

    /// The method.
    pub fn method(&self) -> &str {
        std::str::from_utf8(&self.method).unwrap_or("")
    }

    /// The request target.
    pub fn target(&self) -> &str {
        std::str::from_utf8(&self.target).unwrap_or("")
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The client's address.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_split_at_the_first_question_mark() {
        let r = Request::new("GET", "/a/b?x=1?y", Headers::new(), Body::empty());
        assert_eq!(r.path(), "/a/b");
        assert_eq!(r.query(), Some("x=1?y"));
        let r = Request::new("GET", "/a", Headers::new(), Body::empty());
        assert_eq!(r.path(), "/a");
        assert_eq!(r.query(), None);
    }

    #[test]
    fn absolute_form_targets_route_by_their_path() {
        let cases = [
            ("http://example.com/users/7?x=1", "/users/7", Some("x=1")),
            ("HTTPS://example.com:8443/a", "/a", None),
            ("http://example.com", "/", None),
            ("http://example.com?q", "/", Some("q")),
            ("/plain?x", "/plain", Some("x")),
        ];
        for (target, path, query) in cases {
            let r = Request::new("GET", target, Headers::new(), Body::empty());
            assert_eq!(r.path(), path, "{target}");
            assert_eq!(r.query(), query, "{target}");
        }
    }
}
