//! Error codes (RFC 9113 §7) and the error types of the API surfaces.

use std::fmt;

use bytes::Bytes;

pub use http_core::Initiator;

use crate::StreamId;

/// An HTTP/2 error code as carried by RST_STREAM and GOAWAY (RFC 9113 §7).
///
/// The set is open: peers may send codes this crate does not know, and those must not
/// trigger special behaviour (RFC 9113 §7), so this is a newtype with constants rather
/// than an enum.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    /// Graceful shutdown or no error.
    pub const NO_ERROR: Self = Self(0x0);
    /// Unspecific protocol violation.
    pub const PROTOCOL_ERROR: Self = Self(0x1);
    /// Unexpected internal error.
    pub const INTERNAL_ERROR: Self = Self(0x2);
    /// The peer violated flow control.
    pub const FLOW_CONTROL_ERROR: Self = Self(0x3);
    /// SETTINGS were not acknowledged in time.
    pub const SETTINGS_TIMEOUT: Self = Self(0x4);
    /// A frame arrived after the stream was half-closed.
    pub const STREAM_CLOSED: Self = Self(0x5);
    /// A frame had an invalid size.
    pub const FRAME_SIZE_ERROR: Self = Self(0x6);
    /// The stream was refused before any processing; safe to retry.
    pub const REFUSED_STREAM: Self = Self(0x7);
    /// The stream is no longer needed.
    pub const CANCEL: Self = Self(0x8);
    /// The HPACK compression context could not be maintained.
    pub const COMPRESSION_ERROR: Self = Self(0x9);
    /// A CONNECT tunnel failed.
    pub const CONNECT_ERROR: Self = Self(0xa);
    /// The peer behaves in a way that looks abusive.
    pub const ENHANCE_YOUR_CALM: Self = Self(0xb);
    /// The transport does not meet minimum security requirements.
    pub const INADEQUATE_SECURITY: Self = Self(0xc);
    /// HTTP/1.1 is required for this request.
    pub const HTTP_1_1_REQUIRED: Self = Self(0xd);

    /// The registered name of the code, if it has one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0 => "NO_ERROR",
            0x1 => "PROTOCOL_ERROR",
            0x2 => "INTERNAL_ERROR",
            0x3 => "FLOW_CONTROL_ERROR",
            0x4 => "SETTINGS_TIMEOUT",
            0x5 => "STREAM_CLOSED",
            0x6 => "FRAME_SIZE_ERROR",
            0x7 => "REFUSED_STREAM",
            0x8 => "CANCEL",
            0x9 => "COMPRESSION_ERROR",
            0xa => "CONNECT_ERROR",
            0xb => "ENHANCE_YOUR_CALM",
            0xc => "INADEQUATE_SECURITY",
            0xd => "HTTP_1_1_REQUIRED",
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

/// A fatal connection error (RFC 9113 §5.4.1).
///
/// When `recv` or `handle_timeout` reports one, the GOAWAY that tells the peer is
/// already queued: keep draining `poll_transmit`, then close the transport.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The peer broke a rule of the protocol; `code` is what our GOAWAY carries.
    #[error("protocol violation by peer: {reason} ({code})")]
    Protocol {
        /// The code sent in our GOAWAY.
        code: ErrorCode,
        /// A short, static description, also sent as GOAWAY debug data.
        reason: &'static str,
    },
    /// The peer's header block could not be decoded (COMPRESSION_ERROR).
    #[error("HPACK decoding failed: {0}")]
    Compression(#[from] hpack::DecodeError),
    /// The peer tripped one of the denial-of-service guards in [`Limits`](crate::Limits).
    #[error("peer exceeded a limit: {reason} ({code})")]
    Flood {
        /// The code sent in our GOAWAY, usually ENHANCE_YOUR_CALM.
        code: ErrorCode,
        /// Which guard tripped (also sent as GOAWAY debug data).
        reason: &'static str,
    },
    /// The peer closed the connection with a GOAWAY carrying an error code.
    #[error("peer closed the connection: {code}")]
    RemoteGoAway {
        /// The peer's error code.
        code: ErrorCode,
        /// The peer's debug data.
        debug: Bytes,
    },
    /// Our SETTINGS were not acknowledged within `Config::settings_ack_timeout`.
    #[error("SETTINGS not acknowledged in time")]
    SettingsTimeout,
    /// A keep-alive PING was not answered within `Config::keepalive_timeout`.
    #[error("keep-alive PING unanswered")]
    KeepAliveTimeout,
    /// A header block was not completed within `Config::header_block_timeout`
    /// (RFC 9113 §6.10: the frames of one block arrive back to back).
    #[error("header block not completed in time")]
    HeaderBlockTimeout,
    /// The transport ended while streams were still open.
    #[error("connection closed by peer with streams still open")]
    UnexpectedEof,
    /// The application closed the connection with an error code.
    #[error("closed locally: {0}")]
    LocalClose(ErrorCode),
}

impl ConnectionError {
    /// The code this endpoint sends (or received) in GOAWAY for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Protocol { code, .. } | Self::Flood { code, .. } => *code,
            Self::RemoteGoAway { code, .. } => *code,
            Self::Compression(_) => ErrorCode::COMPRESSION_ERROR,
            Self::SettingsTimeout => ErrorCode::SETTINGS_TIMEOUT,
            Self::KeepAliveTimeout | Self::UnexpectedEof => ErrorCode::NO_ERROR,
            // A peer that keeps a block open holds our HPACK context and its fragments
            // without progress: excessive load in the sense of RFC 9113 §7.
            Self::HeaderBlockTimeout => ErrorCode::ENHANCE_YOUR_CALM,
            Self::LocalClose(code) => *code,
        }
    }

    /// Which side caused the error.
    pub fn initiator(&self) -> Initiator {
        match self {
            Self::LocalClose(_) | Self::SettingsTimeout | Self::KeepAliveTimeout => {
                Initiator::Local
            }
            _ => Initiator::Remote,
        }
    }

    pub(crate) fn protocol(code: ErrorCode, reason: &'static str) -> Self {
        Self::Protocol { code, reason }
    }

    pub(crate) fn flood(reason: &'static str) -> Self {
        Self::Flood {
            code: ErrorCode::ENHANCE_YOUR_CALM,
            reason,
        }
    }
}

/// Why a command (`send_*`, `open_stream`, `reset_stream`, ...) was refused.
///
/// These are local conditions: nothing was sent and the connection is unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The stream is closed for sending (ended, reset, or never opened by us).
    #[error("stream {0} is closed for sending")]
    StreamClosed(StreamId),
    /// No stream with this identifier is known.
    #[error("no such stream {0}")]
    NoSuchStream(StreamId),
    /// The flow-control window is zero; wait for `Event::SendCapacity`.
    #[error("flow-control window is exhausted")]
    Blocked,
    /// Opening another stream would exceed the peer's MAX_CONCURRENT_STREAMS.
    #[error("peer's concurrent stream limit reached")]
    TooManyStreams,
    /// All stream identifiers have been used; open a new connection (RFC 9113 §5.1.1).
    #[error("stream identifiers exhausted")]
    StreamIdsExhausted,
    /// A GOAWAY was sent or received, or the connection failed.
    #[error("connection is closing")]
    ConnectionClosing,
    /// The operation does not exist for this role (e.g. a server opening a request stream).
    #[error("not allowed for this role")]
    WrongRole,
    /// The call does not fit the stream's message state (e.g. headers after trailers).
    #[error("invalid in the stream's current state")]
    InvalidState,
    /// The peer disabled server push (SETTINGS_ENABLE_PUSH = 0).
    #[error("peer disabled server push")]
    PushDisabled,
    /// A field that must not be sent (RFC 9113 §8.2.1): a name that is not a lowercase
    /// token, a pseudo-header after a regular field, or a value with NUL, CR or LF or
    /// with whitespace at either end.
    #[error("invalid header field to send")]
    InvalidHeader,
    /// The DATA would not add up to the message's own `content-length` (RFC 9113
    /// §8.1.1): more octets than it declares, or the end of the stream before all of
    /// them. The peer would have to treat the message as malformed.
    #[error("DATA does not add up to the declared content-length")]
    ContentLengthMismatch,
    /// A request with the `:protocol` pseudo-header (an extended CONNECT) before the
    /// peer sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3, §4).
    #[error("peer has not enabled extended CONNECT")]
    ExtendedConnectDisabled,
}
