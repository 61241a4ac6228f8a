//! What a handler returns.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;

use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_lite::{AsyncRead, Stream};
use http_core::field::parse_content_length;

use crate::headers::Headers;

/// A boxed stream of response body chunks.
pub type BodyStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'static>>;

/// A response body.
#[non_exhaustive]
pub enum ResponseBody {
    /// No body (`Content-Length: 0` unless the status forbids a body).
    Empty,
    /// A complete body, sent with `Content-Length`.
    Full(Bytes),
    /// Chunks produced over time (HTTP/1.1 chunked encoding, HTTP/2 DATA
    /// frames). An `Err` item aborts the response: the connection is closed
    /// (HTTP/1.1) or the stream reset (HTTP/2), so the client never takes a
    /// truncated body for a complete one.
    Stream(BodyStream),
    /// `len` bytes of an open file, read from its current position.
    File {
        /// The file, positioned at the first byte to send.
        file: smol::fs::File,
        /// How many bytes to send.
        len: u64,
    },
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Full(b) => f.debug_tuple("Full").field(&b.len()).finish(),
            Self::Stream(_) => f.write_str("Stream"),
            Self::File { len, .. } => f.debug_struct("File").field("len", len).finish(),
        }
    }
}

impl ResponseBody {
    /// The exact body length when it is known before sending.
    pub fn len(&self) -> Option<u64> {
        match self {
            Self::Empty => Some(0),
            Self::Full(b) => Some(b.len() as u64),
            Self::Stream(_) => None,
            Self::File { len, .. } => Some(*len),
        }
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

/// Trailer fields, sent after the body (RFC 9110 §6.5): a future that
/// yields them once the body has ended, so a handler can compute them from
/// what it streamed (a checksum, a gRPC status).
///
/// HTTP/2 sends them as a final HEADERS frame (RFC 9113 §8.1). HTTP/1.1
/// sends them in the chunked trailer section (RFC 9112 §7.1.2), so a
/// response with trailers gets chunked framing instead of `Content-Length`;
/// where that framing is not possible (an HTTP/1.0 client, or a
/// `Content-Length` the handler set itself) they are dropped, as RFC 9110
/// §6.5.1 allows. Bodiless responses (HEAD, 204, 304) send none.
pub struct Trailers(Pin<Box<dyn Future<Output = Headers> + Send + 'static>>);

impl Trailers {
    /// Trailers computed by `future` after the body ends.
    pub fn new(future: impl Future<Output = Headers> + Send + 'static) -> Self {
        Self(Box::pin(future))
    }

    /// Trailers known up front.
    pub fn ready(headers: Headers) -> Self {
        Self::new(std::future::ready(headers))
    }

    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Headers> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for Trailers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Trailers")
    }
}

/// A response: status, headers and body.
///
/// ```
/// use weft_server::Response;
/// let r = Response::text("hello").with_header("cache-control", "no-store");
/// assert_eq!(r.status(), 200);
/// ```
#[derive(Debug)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Headers,
    pub(crate) body: ResponseBody,
    pub(crate) trailers: Option<Trailers>,
}

impl Response {
    /// A response with `status`, no headers and no body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Headers::new(),
            body: ResponseBody::Empty,
            trailers: None,
        }
    }

    /// 200 with a `text/plain; charset=utf-8` body.
    pub fn text(body: impl Into<Bytes>) -> Self {
        Self::new(200)
            .with_header("content-type", "text/plain; charset=utf-8")
            .with_body(body.into())
    }

    /// 200 with an `application/json` body.
    pub fn json(value: &serde_json::Value) -> Self {
        // Serialising a `Value` into a Vec cannot fail.
        let body = serde_json::to_vec(value).unwrap_or_default();
        Self::new(200)
            .with_header("content-type", "application/json")
            .with_body(body)
    }

    /// 200 with a streamed body.
    pub fn stream(stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static) -> Self {
        Self {
            status: 200,
            headers: Headers::new(),
            body: ResponseBody::Stream(Box::pin(stream)),
            trailers: None,
        }
    }

    /// A response with `status` and a short plain-text body naming it.
    pub fn status_page(status: u16) -> Self {
        let text = format!("{status} {}\n", reason(status));
        Self::new(status)
            .with_header("content-type", "text/plain; charset=utf-8")
            .with_body(text)
    }

    /// Replaces the status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Replaces the body with a complete one.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = ResponseBody::Full(body.into());
        self
    }

    /// Replaces the body.
    pub fn with_response_body(mut self, body: ResponseBody) -> Self {
        self.body = body;
        self
    }

    /// Sends `trailers` after the body (see [`Trailers`]).
    ///
    /// ```
    /// use weft_server::{Headers, Response, Trailers};
    /// let mut fields = Headers::new();
    /// fields.append("grpc-status", "0");
    /// let r = Response::text("hello").with_trailers(Trailers::ready(fields));
    /// assert!(r.has_trailers());
    /// ```
    pub fn with_trailers(mut self, trailers: Trailers) -> Self {
        self.trailers = Some(trailers);
        self
    }

    /// Whether trailers follow the body.
    pub fn has_trailers(&self) -> bool {
        self.trailers.is_some()
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The header fields, for changing.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &ResponseBody {
        &self.body
    }

    /// Takes the body out, leaving it empty.
    pub fn take_body(&mut self) -> ResponseBody {
        std::mem::replace(&mut self.body, ResponseBody::Empty)
    }
}

/// Chunk size for file bodies.
const FILE_CHUNK: usize = 64 * 1024;

/// Where the bytes of a streamed response body come from, for the drivers.
pub(crate) enum BodySource {
    Stream(BodyStream),
    File {
        file: smol::fs::File,
        remaining: u64,
        buffer: BytesMut,
    },
}

impl BodySource {
    pub(crate) fn file(file: smol::fs::File, len: u64) -> Self {
        Self::File {
            file,
            remaining: len,
            buffer: BytesMut::new(),
        }
    }

    /// The file of a file source, to read another range of it.
    pub(crate) fn into_file(self) -> Option<smol::fs::File> {
        match self {
            Self::File { file, .. } => Some(file),
            Self::Stream(_) => None,
        }
    }

    /// Whether the source is known to have nothing more, so the last chunk
    /// can carry the end of the message (HTTP/2 END_STREAM) instead of an
    /// empty frame after it.
    pub(crate) fn is_exhausted(&self) -> bool {
        matches!(self, Self::File { remaining: 0, .. })
    }

    /// The next chunk; `None` at the end.
    pub(crate) fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        match self {
            Self::Stream(stream) => stream.as_mut().poll_next(cx),
            Self::File {
                file,
                remaining,
                buffer,
            } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let want = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(FILE_CHUNK);
                buffer.resize(want, 0);
                match Pin::new(file).poll_read(cx, buffer) {
                    Poll::Ready(Ok(0)) => {
                        // The file shrank under us: never pad or truncate silently.
                        Poll::Ready(Some(Err(io::ErrorKind::UnexpectedEof.into())))
                    }
                    Poll::Ready(Ok(n)) => {
                        buffer.truncate(n);
                        *remaining -= n as u64;
                        Poll::Ready(Some(Ok(buffer.split().freeze())))
                    }
                    Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

/// A handler's answer as it may go on the wire, or a 500 in its place: what fails
/// here is the handler's bug, and both protocols answer it alike.
///
/// - It must be a final response, with a three-digit status of 200 or more (RFC 9110
///   §15; 1xx responses are interim, and the server sends its own).
/// - A `content-length` the handler set must match a body of known length (RFC 9110
///   §8.6), unless it describes another response (to HEAD, or a 304) or there is no
///   body (204). Sent as is, HTTP/1.1 would end the connection mid-response and
///   HTTP/2 would reset the stream; a 500 says what happened.
/// - A 204 loses any `content-length` or `transfer-encoding` the handler gave it.
pub(crate) fn sendable(mut response: Response, is_head: bool) -> Response {
    let status = response.status;
    if !(200..=999).contains(&status) {
        tracing::warn!(
            status,
            "a final response needs a status in 200..=999; sending 500"
        );
        return Response::status_page(500);
    }
    if !is_head
        && !status_has_no_body(status)
        && let Some(len) = response.body.len()
        && response
            .headers
            .get_all("content-length")
            .any(|declared| parse_content_length(declared) != Ok(len))
    {
        tracing::warn!(
            status,
            body = len,
            "content-length does not match the response body; sending 500"
        );
        return Response::status_page(500);
    }
    if status == 204 {
        // A 204 has no body and must not announce one (RFC 9110 §8.6, RFC 9112
        // §6.1): a handler's framing fields would have the client expect bytes that
        // are never sent. A 304's Content-Length describes the selected
        // representation instead (RFC 9110 §15.4.5) and stays.
        response.headers.remove("content-length");
        response.headers.remove("transfer-encoding");
    }
    response
}

/// Whether a response with this status carries no body at all
/// (RFC 9110 §6.4.1: 1xx, 204, 304).
pub fn status_has_no_body(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// The reason phrase for a status (RFC 9110 §15): http1-proto's table, so
/// the status pages and the HTTP/1.1 status line always agree.
pub fn reason(status: u16) -> &'static str {
    http1_proto::canonical_reason(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_set_type_and_length() {
        let r = Response::json(&serde_json::json!({"id": 7}));
        assert_eq!(
            r.headers().get_str("content-type"),
            Some("application/json")
        );
        assert_eq!(r.body().len(), Some(8));
        let r = Response::status_page(404);
        assert_eq!(r.status(), 404);
        assert!(matches!(r.body(), ResponseBody::Full(b) if b.starts_with(b"404 Not Found")));
        assert!(status_has_no_body(304) && status_has_no_body(204) && !status_has_no_body(200));
    }
}
