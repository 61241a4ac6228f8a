//! What a [`Connection`](crate::Connection) reports to the application.

use std::time::Duration;

use bytes::Bytes;
use hpack::Header;

use crate::{ConnectionError, ErrorCode, Initiator, Settings, StreamId};

/// What a HEADERS event carries (RFC 9113 §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadersKind {
    /// A request (server role), already validated per RFC 9113 §8.3.1, with what the
    /// validation learned: a driver never parses these fields again.
    Request {
        /// The `content-length`, one value however many times it was sent (`5, 5` is 5,
        /// RFC 9110 §8.6); the DATA that follows must add up to it (RFC 9113 §8.1.1).
        content_length: Option<u64>,
        /// The method is HEAD: the response has no content (RFC 9110 §9.3.2).
        is_head: bool,
        /// An extended CONNECT (RFC 8441 §4): the `:protocol` pseudo-header names the
        /// protocol the stream will carry (read it with
        /// [`protocol`](HeadersKind::protocol)). Once a 2xx answers it, the stream is a
        /// tunnel: DATA flows both ways with no content-length, and END_STREAM closes
        /// one direction (RFC 8441 §5, RFC 9113 §8.5).
        extended_connect: bool,
    },
    /// A final response (client role), validated per RFC 9113 §8.3.2.
    Response,
    /// A 1xx informational response (client role); more headers follow.
    Informational,
    /// Trailers: the last field section of a message, no pseudo-headers.
    Trailers,
}

impl HeadersKind {
    /// The `:protocol` of an extended CONNECT request (RFC 8441 §4), such as
    /// `websocket`, from the `headers` of the same event; `None` for any other section.
    pub fn protocol<'h>(&self, headers: &'h [Header]) -> Option<&'h [u8]> {
        if !matches!(
            self,
            Self::Request {
                extended_connect: true,
                ..
            }
        ) {
            return None;
        }
        headers
            .iter()
            .take_while(|h| h.name.first() == Some(&b':'))
            .find(|h| &h.name[..] == b":protocol")
            .map(|h| &h.value[..])
    }
}

/// An event for the application. Drain with [`Connection::poll_event`](crate::Connection::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A complete, validated field section arrived.
    Headers {
        /// The stream.
        stream: StreamId,
        /// The fields in wire order, pseudo-headers first.
        headers: Vec<Header>,
        /// The peer ended its side of the stream with this block.
        end_stream: bool,
        /// Request, response, informational or trailers.
        kind: HeadersKind,
    },
    /// Body data arrived.
    Data {
        /// The stream.
        stream: StreamId,
        /// The data: a zero-copy slice of the read buffer when it is a large share of
        /// it, otherwise a copy, so keeping it never keeps the rest of that buffer
        /// (other frames, padding) alive.
        data: Bytes,
        /// The peer ended its side of the stream with this frame.
        end_stream: bool,
        /// Octets this frame consumed of the flow-control windows (data plus padding):
        /// give it back with [`release_capacity`](crate::Connection::release_capacity)
        /// unless `Config::auto_release_capacity` is set.
        flow_len: usize,
    },
    /// The server promised a pushed response (client role, RFC 9113 §8.4).
    PushPromise {
        /// The request stream the push is associated with.
        stream: StreamId,
        /// The reserved stream that will carry the response.
        promised: StreamId,
        /// The promised request's fields.
        headers: Vec<Header>,
    },
    /// A stream was reset, by us (a stream error, or `reset_stream`) or by the peer.
    StreamReset {
        /// The stream.
        stream: StreamId,
        /// The RST_STREAM code.
        code: ErrorCode,
        /// Who reset it.
        by: Initiator,
    },
    /// The peer paused its body on this stream for longer than `Config::body_timeout`
    /// before we started our message head. The stream stays open so the application
    /// can answer (a server typically sends a 408 with END_STREAM, then resets the
    /// stream with NO_ERROR, RFC 9113 §8.1); if the peer stalls again for as long, the
    /// stream is reset with CANCEL.
    BodyTimeout {
        /// The stream.
        stream: StreamId,
    },
    /// Send capacity returned for a stream that was blocked: call `send_data` again.
    SendCapacity {
        /// The stream.
        stream: StreamId,
    },
    /// The peer's SETTINGS were applied (and acknowledged).
    SettingsChanged(Settings),
    /// The peer acknowledged our SETTINGS.
    SettingsAcked,
    /// The peer answered one of our PINGs.
    PingAcked {
        /// The payload we sent.
        payload: [u8; 8],
        /// Time between sending and the answer, measured on the caller's clock.
        rtt: Duration,
    },
    /// The peer sent GOAWAY: no new streams; streams above `last_stream` were not
    /// processed and are reported as reset with REFUSED_STREAM (safe to retry).
    GoAway {
        /// The highest stream of ours the peer may have processed.
        last_stream: StreamId,
        /// The peer's reason.
        code: ErrorCode,
        /// The peer's debug data.
        debug: Bytes,
    },
    /// The connection failed; no more events follow except those already queued.
    ConnectionLost(ConnectionError),
}
