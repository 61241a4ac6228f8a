//! Message heads and the protocol version.

use bytes::Bytes;

use crate::headers::HeaderMap;

/// The HTTP version of a message. Versions HTTP/1.2 to HTTP/1.9 are received as
/// [`Version::Http11`] (RFC 9112 §2.3: process a higher minor version as the highest we
/// support); other majors are refused with 505.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Version {
    /// HTTP/1.0: close by default, no chunked framing.
    Http10,
    /// HTTP/1.1.
    #[default]
    Http11,
}

impl Version {
    /// The wire form, `HTTP/1.0` or `HTTP/1.1`.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Self::Http10 => b"HTTP/1.0",
            Self::Http11 => b"HTTP/1.1",
        }
    }
}

/// A request line and its field section (RFC 9112 §3).
///
/// A head received by a server also carries what its framing fields declared, already
/// validated ([`content_length`](Self::content_length), [`is_chunked`](Self::is_chunked),
/// [`has_body`](Self::has_body)): a driver never parses those fields again. A head built
/// to send is framed by its fields alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// The method token, case-sensitive (RFC 9110 §9.1): compare with `head.method == "GET"`.
    pub method: Bytes,
    /// The request-target as sent (origin, absolute, authority or asterisk form).
    pub target: Bytes,
    /// The version from the request line.
    pub version: Version,
    /// The field lines.
    pub headers: HeaderMap,
    pub(crate) framing: RequestFraming,
}

/// How a received request's body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum RequestFraming {
    /// No Content-Length and no Transfer-Encoding: no body.
    #[default]
    None,
    /// The Content-Length, one value however many times it was sent.
    Length(u64),
    /// Transfer-Encoding: chunked.
    Chunked,
}

impl RequestHead {
    /// An HTTP/1.1 request without fields.
    pub fn new(method: impl Into<Bytes>, target: impl Into<Bytes>) -> Self {
        Self {
            method: method.into(),
            target: target.into(),
            version: Version::Http11,
            headers: HeaderMap::new(),
            framing: RequestFraming::None,
        }
    }

    /// Adds a field line; for building heads in a chain.
    pub fn with_header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        self.headers.append(name, value);
        self
    }

    /// A received request's Content-Length, validated (RFC 9110 §8.6): `5, 5` is 5.
    /// `None` when it has none or is chunked.
    #[must_use]
    pub fn content_length(&self) -> Option<u64> {
        match self.framing {
            RequestFraming::Length(length) => Some(length),
            _ => None,
        }
    }

    /// Whether a received request's body is chunked (RFC 9112 §7.1).
    #[must_use]
    pub fn is_chunked(&self) -> bool {
        self.framing == RequestFraming::Chunked
    }

    /// Whether a received request has body bytes to come: chunked, or a Content-Length
    /// above zero (RFC 9112 §6.3).
    #[must_use]
    pub fn has_body(&self) -> bool {
        match self.framing {
            RequestFraming::None => false,
            RequestFraming::Length(length) => length > 0,
            RequestFraming::Chunked => true,
        }
    }

    /// Whether the method is HEAD, whose response carries no body (RFC 9110 §9.3.2).
    #[must_use]
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// A status line and its field section (RFC 9112 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code, 100..=999.
    pub status: u16,
    /// The reason phrase; may be empty (RFC 9112 §4: clients ignore it).
    pub reason: Bytes,
    /// The version from the status line; we send what is given here (HTTP/1.1 by default).
    pub version: Version,
    /// The field lines.
    pub headers: HeaderMap,
}

impl ResponseHead {
    /// An HTTP/1.1 response with the canonical reason phrase for `status` and no fields.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            reason: Bytes::from_static(canonical_reason(status).as_bytes()),
            version: Version::Http11,
            headers: HeaderMap::new(),
        }
    }

    /// Adds a field line; for building heads in a chain.
    pub fn with_header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        self.headers.append(name, value);
        self
    }
}

/// The reason phrase RFC 9110 §15 gives a status code, or `""` for codes it does not name.
pub fn canonical_reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}
