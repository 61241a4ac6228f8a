//! A handler's response made ready for the wire, by the rules both protocols
//! share (RFC 9110): the `Date` field, the `Content-Length` of a body whose
//! length is known, no body for HEAD and for 1xx/204/304, no trailers where
//! there is no body, and a 500 instead of a response the protocol refuses.
//! The drivers only translate the result into their own framing.

use bytes::Bytes;

use crate::clock::DateCache;
use crate::config::ResponseDefaults;
use crate::response::{BodySource, Response, ResponseBody, Trailers, sendable, status_has_no_body};

/// A header field: name and value.
pub(crate) type Field = (Bytes, Bytes);

/// What differs between the protocols' framing, as far as finishing a
/// response is concerned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Framing {
    /// A body with trailers cannot carry a `Content-Length` (HTTP/1.1
    /// needs chunked coding for trailers, RFC 9112 §7.1.2).
    pub(crate) trailers_need_unknown_length: bool,
    /// A handler's field as this protocol sends it, or `None` to drop it.
    pub(crate) field: fn(Field) -> Option<Field>,
}

/// The response body, after the status and the request method have had
/// their say.
pub(crate) enum OutgoingBody {
    /// Nothing to send after the head (besides trailers).
    None,
    /// All of it, non-empty.
    Full(Bytes),
    /// Produced over time.
    Source(BodySource),
}

/// Where a protocol collects the fields of a response head, so that they
/// go straight into its own head type, with no list in between.
pub(crate) trait FieldSink {
    /// Makes room for `n` more fields.
    fn reserve(&mut self, n: usize);
    /// Appends one field.
    fn push(&mut self, name: Bytes, value: Bytes);
}

/// A response ready to be framed; its fields went to a [`FieldSink`]: the
/// handler's (as [`Framing::field`] kept them), then the server's defaults
/// (`Date` and the configured fields) and `Content-Length` where the
/// handler set none.
pub(crate) struct Outgoing {
    pub(crate) status: u16,
    pub(crate) body: OutgoingBody,
    /// Only where a body may follow the head.
    pub(crate) trailers: Option<Trailers>,
}

impl Outgoing {
    /// Finishes `response` to a request that was HEAD if `is_head`,
    /// writing its head's fields to `fields`.
    pub(crate) fn new(
        response: Response,
        is_head: bool,
        framing: Framing,
        date: &mut DateCache,
        defaults: &ResponseDefaults,
        fields: &mut impl FieldSink,
    ) -> Self {
        let Response {
            status,
            headers,
            body,
            trailers,
        } = sendable(response, is_head);
        let no_body = status_has_no_body(status);
        let skip_body = is_head || no_body;
        let trailers = trailers.filter(|_| !skip_body);
        fields.reserve(headers.len() + 2 + defaults.fields.len());
        // Framing the handler chose itself (a length, or chunked coding) is kept.
        let (mut has_length, mut has_date) = (false, false);
        // Bit i: the handler set a field named like default i (past 64
        // defaults, the rest are always added).
        let mut overridden = 0u64;
        for (name, value) in headers.into_iter().filter_map(framing.field) {
            has_length |= name.eq_ignore_ascii_case(b"content-length")
                || name.eq_ignore_ascii_case(b"transfer-encoding");
            has_date |= name.eq_ignore_ascii_case(b"date");
            for (bit, (default, _)) in defaults.fields.iter().take(64).enumerate() {
                if name.eq_ignore_ascii_case(default) {
                    overridden |= 1 << bit;
                }
            }
            fields.push(name, value);
        }
        for (bit, (name, value)) in defaults.fields.iter().enumerate() {
            if bit >= 64 || overridden & (1 << bit) == 0 {
                fields.push(name.clone(), value.clone());
            }
        }
        // Date is a single value (RFC 9110 §6.6.1): a handler's own is kept.
        if !has_date && defaults.date {
            fields.push(Bytes::from_static(b"date"), date.get());
        }
        // A HEAD response announces the length the GET would have
        // (RFC 9110 §9.3.2); 1xx, 204 and 304 announce none of their own.
        let trailers_rule_out_length = framing.trailers_need_unknown_length && trailers.is_some();
        if !(no_body || has_length || trailers_rule_out_length)
            && let Some(len) = body.len()
        {
            let mut digits = itoa::Buffer::new();
            fields.push(
                Bytes::from_static(b"content-length"),
                Bytes::copy_from_slice(digits.format(len).as_bytes()),
            );
        }
        let body = match body {
            _ if skip_body => OutgoingBody::None,
            ResponseBody::Empty => OutgoingBody::None,
            ResponseBody::Full(bytes) if bytes.is_empty() => OutgoingBody::None,
            ResponseBody::Full(bytes) => OutgoingBody::Full(bytes),
            ResponseBody::Stream(stream) => OutgoingBody::Source(BodySource::Stream(stream)),
            ResponseBody::File { file, len } => OutgoingBody::Source(BodySource::file(file, len)),
        };
        Self {
            status,
            body,
            trailers,
        }
    }
}

/// What to send instead of a response whose head the protocol refused (a
/// field it cannot carry, e.g. CR or LF in a value): nothing has gone out
/// yet, so the client gets a 500. `None` if the refused one was that 500.
pub(crate) fn replacement(status: u16, error: &dyn std::fmt::Display) -> Option<Response> {
    if status == 500 {
        return None;
    }
    tracing::warn!(%error, status, "invalid response; sending 500");
    Some(Response::status_page(500))
}

/// Whether the app or the access log needs a
/// [`RequestInfo`](crate::request::RequestInfo) of each request.
pub(crate) fn wants_info(app: &crate::App) -> bool {
    app.has_after_hooks() || tracing::enabled!(target: "weft::access", tracing::Level::INFO)
}
