//! Error codes (RFC 9114 §8.1, RFC 9204 §6) and the error types of the API surfaces.

use std::fmt;

pub use http_core::Initiator;

use crate::StreamId;

/// An HTTP/3 application error code, as carried by QUIC's RESET_STREAM, STOP_SENDING and
/// CONNECTION_CLOSE frames (RFC 9114 §8).
///
/// The space is open (unknown codes carry no special meaning, RFC 9114 §9), so this is a
/// newtype with constants rather than an enum.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ErrorCode(pub u64);

impl ErrorCode {
    /// No error; used when closing the connection or a stream needs no reason.
    pub const H3_NO_ERROR: Self = Self(0x100);
    /// The peer violated the protocol in a way no more specific code covers.
    pub const H3_GENERAL_PROTOCOL_ERROR: Self = Self(0x101);
    /// An internal error in the HTTP stack.
    pub const H3_INTERNAL_ERROR: Self = Self(0x102);
    /// The peer created a stream that will not be accepted.
    pub const H3_STREAM_CREATION_ERROR: Self = Self(0x103);
    /// A stream required by the HTTP/3 connection was closed or reset.
    pub const H3_CLOSED_CRITICAL_STREAM: Self = Self(0x104);
    /// A frame not permitted in the current state or on the current stream.
    pub const H3_FRAME_UNEXPECTED: Self = Self(0x105);
    /// A frame that fails its layout requirements or has an invalid size.
    pub const H3_FRAME_ERROR: Self = Self(0x106);
    /// The peer behaves in a way that might be generating excessive load.
    pub const H3_EXCESSIVE_LOAD: Self = Self(0x107);
    /// A stream or push identifier was used incorrectly.
    pub const H3_ID_ERROR: Self = Self(0x108);
    /// An error in the payload of a SETTINGS frame.
    pub const H3_SETTINGS_ERROR: Self = Self(0x109);
    /// No SETTINGS frame at the beginning of the control stream.
    pub const H3_MISSING_SETTINGS: Self = Self(0x10a);
    /// The server rejected a request without any application processing: safe to retry.
    pub const H3_REQUEST_REJECTED: Self = Self(0x10b);
    /// The request or its response was cancelled.
    pub const H3_REQUEST_CANCELLED: Self = Self(0x10c);
    /// The client's stream ended without a fully formed request.
    pub const H3_REQUEST_INCOMPLETE: Self = Self(0x10d);
    /// An HTTP message was malformed and cannot be processed.
    pub const H3_MESSAGE_ERROR: Self = Self(0x10e);
    /// The TCP connection of a CONNECT request was reset or abnormally closed.
    pub const H3_CONNECT_ERROR: Self = Self(0x10f);
    /// The request should be retried over HTTP/1.1.
    pub const H3_VERSION_FALLBACK: Self = Self(0x110);
    /// A field section could not be decoded (RFC 9204 §6).
    pub const QPACK_DECOMPRESSION_FAILED: Self = Self(0x200);
    /// An encoder-stream instruction could not be interpreted (RFC 9204 §6).
    pub const QPACK_ENCODER_STREAM_ERROR: Self = Self(0x201);
    /// A decoder-stream instruction could not be interpreted (RFC 9204 §6).
    pub const QPACK_DECODER_STREAM_ERROR: Self = Self(0x202);

    /// The registered name of the code, if it has one.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x100 => "H3_NO_ERROR",
            0x101 => "H3_GENERAL_PROTOCOL_ERROR",
            0x102 => "H3_INTERNAL_ERROR",
            0x103 => "H3_STREAM_CREATION_ERROR",
            0x104 => "H3_CLOSED_CRITICAL_STREAM",
            0x105 => "H3_FRAME_UNEXPECTED",
            0x106 => "H3_FRAME_ERROR",
            0x107 => "H3_EXCESSIVE_LOAD",
            0x108 => "H3_ID_ERROR",
            0x109 => "H3_SETTINGS_ERROR",
            0x10a => "H3_MISSING_SETTINGS",
            0x10b => "H3_REQUEST_REJECTED",
            0x10c => "H3_REQUEST_CANCELLED",
            0x10d => "H3_REQUEST_INCOMPLETE",
            0x10e => "H3_MESSAGE_ERROR",
            0x10f => "H3_CONNECT_ERROR",
            0x110 => "H3_VERSION_FALLBACK",
            0x200 => "QPACK_DECOMPRESSION_FAILED",
            0x201 => "QPACK_ENCODER_STREAM_ERROR",
            0x202 => "QPACK_DECODER_STREAM_ERROR",
            _ => return None,
        })
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "ErrorCode({:#x})", self.0),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A fatal connection error (RFC 9114 §8).
///
/// The driver closes the QUIC connection with [`code`](Self::code) as the application
/// error code of its CONNECTION_CLOSE (RFC 9000 §19.19).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The peer broke a rule of the protocol.
    #[error("protocol violation by peer: {reason} ({code})")]
    Protocol {
        /// The code to close the connection with.
        code: ErrorCode,
        /// A short, static description, also usable as the close reason phrase.
        reason: &'static str,
    },
    /// The peer tripped one of the denial-of-service guards in [`Limits`](crate::Limits).
    #[error("peer exceeded a limit: {reason} ({code})")]
    Flood {
        /// The code to close the connection with: H3_EXCESSIVE_LOAD.
        code: ErrorCode,
        /// Which guard tripped.
        reason: &'static str,
    },
    /// The peer's QPACK encoder or decoder stream could not be interpreted, or one of its
    /// field sections could not be decoded (RFC 9204 §6).
    #[error("QPACK: {reason} ({code})")]
    Qpack {
        /// QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR or
        /// QPACK_DECODER_STREAM_ERROR.
        code: ErrorCode,
        /// What failed.
        reason: String,
    },
    /// The transport ended (the QUIC connection closed, by either side or by its idle
    /// timeout) with requests still open.
    #[error("transport closed with {open_streams} requests still open")]
    TransportClosed {
        /// Request streams that never completed.
        open_streams: usize,
    },
    /// The application closed the connection with an error code.
    #[error("closed locally: {0}")]
    LocalClose(ErrorCode),
}

impl ConnectionError {
    /// The application error code this connection closes with.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Protocol { code, .. } | Self::Flood { code, .. } | Self::Qpack { code, .. } => {
                *code
            }
            Self::TransportClosed { .. } => ErrorCode::H3_NO_ERROR,
            Self::LocalClose(code) => *code,
        }
    }

    /// Which side caused the error.
    #[must_use]
    pub fn initiator(&self) -> Initiator {
        match self {
            Self::LocalClose(_) => Initiator::Local,
            _ => Initiator::Remote,
        }
    }

    pub(crate) fn protocol(code: ErrorCode, reason: &'static str) -> Self {
        Self::Protocol { code, reason }
    }

    pub(crate) fn flood(reason: &'static str) -> Self {
        Self::Flood {
            code: ErrorCode::H3_EXCESSIVE_LOAD,
            reason,
        }
    }
}

/// Why a command (`send_*`, `reset_stream`, ...) was refused.
///
/// These are the caller's mistakes or local conditions: nothing was queued and the
/// connection is unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The stream is closed for sending (finished, reset, or stopped by the peer).
    #[error("stream {0} is closed for sending")]
    StreamClosed(StreamId),
    /// No request stream with this identifier is known.
    #[error("no such stream {0}")]
    NoSuchStream(StreamId),
    /// The identifier is not one this role may send a message on: a server answers on
    /// the client's bidirectional streams, a client opens its own (RFC 9114 §6.1).
    #[error("stream {0} cannot carry a message sent by this role")]
    WrongStream(StreamId),
    /// A GOAWAY was sent or received, or the connection failed.
    #[error("connection is closing")]
    ConnectionClosing,
    /// The call does not fit the stream's message state (e.g. DATA before HEADERS).
    #[error("invalid in the stream's current state")]
    InvalidState,
    /// A field that must not be sent (RFC 9114 §4.2): a name that is not a lowercase
    /// token, a pseudo-header after a regular field, a connection-specific field, or a
    /// value with NUL, CR or LF or with whitespace at either end.
    #[error("invalid header field to send")]
    InvalidHeader,
    /// The encoded field section is larger than the peer's
    /// SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §4.2.2).
    #[error("field section larger than the peer accepts")]
    FieldSectionTooLarge,
    /// The DATA would not add up to the message's own `content-length` (RFC 9114
    /// §4.1.2): the peer would have to treat the message as malformed.
    #[error("DATA does not add up to the declared content-length")]
    ContentLengthMismatch,
    /// The peer did not enable extended CONNECT (RFC 9220 §3).
    #[error("peer did not enable extended CONNECT")]
    ExtendedConnectDisabled,
}
