//! What a [`Connection`](crate::Connection) asks the QUIC transport to do.

use bytes::Bytes;

use crate::{ErrorCode, StreamId};

/// A stream this endpoint sends on.
///
/// Request streams are named by their QUIC identifier, which the transport assigned.
/// The three unidirectional streams every HTTP/3 endpoint opens (RFC 9114 §6.2) are
/// named by their role: the driver opens a unidirectional QUIC stream on the first
/// write to each and keeps it for the connection's life; that first write already
/// starts with the stream-type octet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A request stream (client-initiated, bidirectional).
    Request(StreamId),
    /// Our control stream (RFC 9114 §6.2.1).
    Control,
    /// Our QPACK encoder stream (RFC 9204 §4.2).
    QpackEncoder,
    /// Our QPACK decoder stream (RFC 9204 §4.2).
    QpackDecoder,
}

/// One instruction for the transport, in the order it must be carried out. Drain with
/// [`Connection::poll_transmit`](crate::Connection::poll_transmit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Append `data` to a stream, then finish it (QUIC FIN) if `fin`. `data` may be
    /// empty when only `fin` is set. A body given to `send_data` arrives here
    /// untouched, after a separate write with its frame header.
    Write {
        /// The stream.
        stream: Target,
        /// The octets.
        data: Bytes,
        /// End the stream after them.
        fin: bool,
    },
    /// Abandon our sending side of a request stream (QUIC RESET_STREAM).
    ResetStream {
        /// The stream.
        stream: StreamId,
        /// The application error code.
        code: ErrorCode,
    },
    /// Ask the peer to stop sending on a stream (QUIC STOP_SENDING): a request stream
    /// or a unidirectional stream the peer opened.
    StopSending {
        /// The stream.
        stream: StreamId,
        /// The application error code.
        code: ErrorCode,
    },
}
