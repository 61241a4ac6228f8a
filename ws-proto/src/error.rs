//! Errors: the peer's ([`Error`], terminal), the caller's ([`SendError`]), the frame
//! decoder's ([`FrameError`]) and the opening handshake's ([`HandshakeError`]).

use crate::close::{CloseCode, CloseFrame};

/// A frame header that breaks RFC 6455 §5 whatever was negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// An opcode reserved for further definition (§5.2).
    #[error("reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// A 16- or 64-bit length that would have fitted a shorter form (§5.2).
    #[error("payload length not minimally encoded")]
    NonMinimalLength,
    /// A 64-bit length with its most significant bit set (§5.2).
    #[error("payload length has its most significant bit set")]
    LengthOverflow,
    /// A control frame without FIN (§5.5).
    #[error("fragmented control frame")]
    FragmentedControl,
    /// A control frame with more than 125 bytes of payload (§5.5).
    #[error("control frame longer than 125 bytes")]
    ControlTooLong,
}

/// What ended the connection. Reported once, as
/// [`Event::ConnectionLost`](crate::Event::ConnectionLost), then by
/// [`Connection::error`](crate::Connection::error).
///
/// [`Error::Closed`] is the clean end, a completed closing handshake; every other variant
/// is a failure of the peer or the clock (RFC 6455 §7.1.7, "Fail the WebSocket
/// Connection"), and [`Error::close_code`] is the code already queued in a Close frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The closing handshake completed: the peer's Close frame, whichever side began.
    #[error("closed by the peer with {}", .0.code.0)]
    Closed(CloseFrame),
    /// A frame header breaking §5.
    #[error("bad frame: {0}")]
    Frame(#[from] FrameError),
    /// A server received an unmasked frame, or a client a masked one (§5.1).
    #[error("frame masking does not match the sender's role")]
    Masking,
    /// RSV bits set that no negotiated extension defines (§5.2), or RSV1 on a control or
    /// continuation frame (RFC 7692 §6.1).
    #[error("reserved bits set")]
    ReservedBits,
    /// A continuation frame with no message in progress, or a new message before the
    /// previous one ended (§5.4).
    #[error("bad fragmentation")]
    Fragmentation,
    /// A Close frame with a 1-byte body (§5.5.1).
    #[error("close frame with a 1-byte body")]
    InvalidCloseFrame,
    /// A Close frame with a code that may not be sent (§7.4).
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
    /// A text message or close reason that is not UTF-8 (§8.1).
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// Compressed data that does not inflate (RFC 7692 §7.2.2).
    #[error("invalid compressed data")]
    Deflate,
    /// A frame longer than [`Limits::max_frame_size`](crate::Limits::max_frame_size).
    #[error("frame too big")]
    FrameTooBig,
    /// A message longer than [`Limits::max_message_size`](crate::Limits::max_message_size),
    /// counted after inflation.
    #[error("message too big")]
    MessageTooBig,
    /// Unprocessed input past
    /// [`Limits::max_buffered_bytes`](crate::Limits::max_buffered_bytes).
    #[error("receive buffer full")]
    BufferFull,
    /// The peer did not answer our Close within
    /// [`Config::close_timeout`](crate::Config::close_timeout) (§7.1.1).
    #[error("closing handshake timed out")]
    CloseTimeout,
    /// The peer sent nothing within [`Config::pong_timeout`](crate::Config::pong_timeout)
    /// of our keep-alive Ping (§5.5.2). The Close sent carries 1011 (§7.4.1, an
    /// unexpected condition), and no closing handshake is waited for: the peer has
    /// stopped answering.
    #[error("keep-alive ping unanswered")]
    PingTimeout,
    /// The transport ended before the closing handshake (§7.1.5: code 1006).
    #[error("connection ended without a closing handshake")]
    UnexpectedEof,
}

impl Error {
    /// The close code: the peer's for [`Error::Closed`], the one we sent for a failure, and
    /// 1006 (never sent) when nothing could be sent.
    #[must_use]
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::Closed(frame) => frame.code,
            Self::Frame(_)
            | Self::Masking
            | Self::ReservedBits
            | Self::Fragmentation
            | Self::InvalidCloseFrame
            | Self::InvalidCloseCode(_) => CloseCode::PROTOCOL_ERROR,
            Self::InvalidUtf8 | Self::Deflate => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooBig | Self::MessageTooBig => CloseCode::MESSAGE_TOO_BIG,
            Self::BufferFull => CloseCode::POLICY_VIOLATION,
            Self::PingTimeout => CloseCode::INTERNAL_ERROR,
            Self::CloseTimeout | Self::UnexpectedEof => CloseCode::ABNORMAL,
        }
    }

    /// Whether the connection ended with a completed closing handshake.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        matches!(self, Self::Closed(_))
    }
}

/// A command the connection cannot carry out: the caller's mistake, never the peer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A Close was sent or the connection ended: nothing more may be sent (§5.5.1).
    #[error("the connection is closing or closed")]
    Closed,
    /// A new message, or a fragment of another kind, while a fragmented message is still
    /// being sent (§5.4).
    #[error("a fragmented message is in progress")]
    MessageInProgress,
    /// A ping, pong or close payload over 125 bytes (§5.5).
    #[error("control frame payload over 125 bytes")]
    ControlTooLong,
    /// A close code that may not be sent (§7.4).
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
}

/// An opening handshake that cannot proceed (RFC 6455 §4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The request is not a WebSocket upgrade, or a required field is missing or wrong;
    /// names the field.
    #[error("bad or missing {0}")]
    BadRequest(&'static str),
    /// `Sec-WebSocket-Version` is not 13 (§4.4): answer 426 with `Sec-WebSocket-Version: 13`.
    #[error("unsupported WebSocket version")]
    UnsupportedVersion,
    /// The server's response does not complete the handshake (§4.2.2, §4.1 items 1-6);
    /// names what is wrong.
    #[error("bad response: {0}")]
    BadResponse(&'static str),
}

impl HandshakeError {
    /// The status a server answers with (§4.2.1, §4.4): 426 for the version, else 400.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::UnsupportedVersion => 426,
            Self::BadRequest(_) | Self::BadResponse(_) => 400,
        }
    }
}
