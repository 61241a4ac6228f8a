//! What a [`Connection`](crate::Connection) reports to the application.

use bytes::Bytes;
use hpack::Header;

use crate::{ConnectionError, ErrorCode, Initiator, Settings, StreamId};

/// What a field section is (RFC 9114 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadersKind {
    /// A request (server role), validated per RFC 9114 §4.3.1, with what the validation
    /// learned: a driver never parses these fields again.
    Request {
        /// The `content-length`, one value however many times it was sent; the DATA
        /// that follows must add up to it (RFC 9114 §4.1.2).
        content_length: Option<u64>,
        /// The method is HEAD: the response has no content (RFC 9110 §9.3.2).
        is_head: bool,
    },
    /// A final response (client role), validated per RFC 9114 §4.3.2.
    Response {
        /// The status code.
        status: u16,
    },
    /// A 1xx informational response (client role); more field sections follow.
    Informational {
        /// The status code.
        status: u16,
    },
    /// Trailers: the last field section of a message, no pseudo-headers.
    Trailers,
}

/// An event for the application. Drain with
/// [`Connection::poll_event`](crate::Connection::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A complete, validated field section arrived.
    Headers {
        /// The request stream.
        stream: StreamId,
        /// The fields in wire order, pseudo-headers first.
        headers: Vec<Header>,
        /// The peer ended its side of the stream right after this section.
        end_stream: bool,
        /// Request, response, informational or trailers.
        kind: HeadersKind,
    },
    /// Message content arrived.
    Data {
        /// The request stream.
        stream: StreamId,
        /// The content: a zero-copy slice of the bytes given to `recv_stream_data` when
        /// it is a large share of them, otherwise a copy, so that keeping it never keeps
        /// alive what the peer sent around it.
        data: Bytes,
        /// The peer ended its side of the stream with these octets.
        end_stream: bool,
    },
    /// A request stream ended abnormally: by us (a stream error, a timeout, or
    /// `reset_stream`) or by the peer's RESET_STREAM. Nothing more arrives on it.
    StreamReset {
        /// The request stream.
        stream: StreamId,
        /// The application error code.
        code: ErrorCode,
        /// Who ended it.
        by: Initiator,
    },
    /// The peer asked us to stop sending on a request stream (STOP_SENDING, RFC 9000
    /// §3.5): our side is reset (already queued) and further sends are refused.
    StopSending {
        /// The request stream.
        stream: StreamId,
        /// The peer's code.
        code: ErrorCode,
    },
    /// The peer paused its message body for longer than `Config::body_timeout` before
    /// we sent our final field section. The stream stays open so the application can
    /// answer (a server typically sends a 408); if the peer stalls again for as long,
    /// the stream is reset with H3_REQUEST_CANCELLED.
    BodyTimeout {
        /// The request stream.
        stream: StreamId,
    },
    /// The peer's SETTINGS arrived (once per connection, RFC 9114 §7.2.4).
    Settings(Settings),
    /// The peer sent GOAWAY (RFC 9114 §5.2). From a server, `id` is the first request
    /// stream it did not and will not process: our streams from `id` on are reported
    /// as reset with H3_REQUEST_REJECTED (safe to retry elsewhere). From a client it is
    /// a push identifier.
    GoAway {
        /// The stream or push identifier.
        id: u64,
    },
    /// The connection failed; no more events follow.
    ConnectionLost(ConnectionError),
}
