//! What [`Connection::poll_event`](crate::Connection::poll_event) hands out.

use bytes::Bytes;

use crate::error::RecvError;
use crate::head::{RequestHead, ResponseHead};
use crate::headers::HeaderMap;

/// Something the peer did. Each message is a head, zero or more `Data`, then one
/// `EndOfMessage`; `ConnectionClosed` ends the connection cleanly, `ConnectionLost` with
/// an error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A request head (server role).
    Request(RequestHead),
    /// A final response head, status 200..=999 (client role).
    Response(ResponseHead),
    /// A 1xx response head (client role); 101 switches protocols.
    Informational(ResponseHead),
    /// Body bytes: a zero-copy slice of the receive buffer when they are a large share
    /// of it, otherwise a copy, so keeping them never keeps the rest of that buffer
    /// (framing, pipelined requests) alive. Chunk boundaries are not preserved and
    /// carry no meaning (RFC 9112 §7.1).
    Data(Bytes),
    /// The body is complete; `trailers` holds the trailer section of a chunked body, if
    /// it had any fields (RFC 9112 §7.1.2).
    EndOfMessage {
        /// Trailer fields, `None` if there were none.
        trailers: Option<HeaderMap>,
    },
    /// The peer closed the connection at a message boundary (`recv_eof` with nothing
    /// pending). Reported once.
    ConnectionClosed,
    /// The peer broke the protocol, a limit was exceeded or a timer expired; reported
    /// once, and no event follows it. The error stays in
    /// [`Connection::error`](crate::Connection::error). A server may still answer it
    /// with [`RecvError::status_hint`] before closing.
    ConnectionLost(RecvError),
}
