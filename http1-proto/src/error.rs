//! Errors: what the peer got wrong ([`ParseError`], [`RecvError`]) apart from what the
//! caller got wrong ([`SendError`]), as h11 separates `RemoteProtocolError` from
//! `LocalProtocolError`.
//!
//! Peer errors carry the status a server should answer with ([`RecvError::status_hint`]).
//! Incomplete input is never an error: it is [`Status::Partial`](crate::Status::Partial) or
//! `None` from [`Connection::poll_event`](crate::Connection::poll_event).

use crate::state::State;

/// A malformed head, field section or chunk-size line (RFC 9112 §2-§7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The method is empty or holds a byte outside `tchar` (RFC 9110 §9.1, §5.6.2).
    #[error("invalid method")]
    Method,
    /// The request-target is empty or holds a byte outside VCHAR (RFC 9112 §3.2).
    #[error("invalid request-target")]
    Target,
    /// The request-target is longer than [`Limits::max_target_bytes`](crate::Limits).
    #[error("request-target too long")]
    TargetTooLong,
    /// The start line does not hold a well-formed `HTTP/x.y` (RFC 9112 §2.3).
    #[error("invalid HTTP version")]
    Version,
    /// A well-formed version that is not HTTP/1.x (505, RFC 9110 §15.6.6).
    #[error("HTTP version not supported")]
    UnsupportedVersion,
    /// Start-line delimiters are not exactly one SP (RFC 9112 §3, §4).
    #[error("invalid start-line delimiter")]
    Delimiter,
    /// The status code is not three digits from 100 to 999 (RFC 9112 §4).
    #[error("invalid status code")]
    Status,
    /// The reason phrase holds a control character (RFC 9112 §4).
    #[error("invalid reason phrase")]
    Reason,
    /// A field name is empty or holds a byte outside `tchar` (RFC 9110 §5.1).
    #[error("invalid field name")]
    FieldName,
    /// Whitespace between a field name and the colon (RFC 9112 §5.1 MUST reject).
    #[error("whitespace before colon in field line")]
    SpaceBeforeColon,
    /// A field value holds a control character other than HTAB (RFC 9110 §5.5).
    #[error("invalid field value")]
    FieldValue,
    /// A line starting with whitespace: obs-fold, or whitespace before the first field
    /// (RFC 9112 §5.2, §2.2).
    #[error("obsolete line folding")]
    ObsFold,
    /// A CR not followed by LF (RFC 9112 §2.2).
    #[error("bare CR")]
    BareCr,
    /// A LF not preceded by CR used as a line end (RFC 9112 §2.2; allowed only with
    /// [`Leniency::bare_lf`](crate::Leniency)).
    #[error("bare LF as line end")]
    BareLf,
    /// More field lines than [`Limits::max_headers`](crate::Limits) (431).
    #[error("too many header fields")]
    TooManyHeaders,
    /// The head did not end within [`Limits::max_head_bytes`](crate::Limits) (431).
    #[error("head too large")]
    HeadTooLarge,
    /// A chunk size that is empty, not hex, or followed by junk (RFC 9112 §7.1).
    #[error("invalid chunk size")]
    ChunkSize,
    /// A chunk size that does not fit in 64 bits (CVE-2021-32714).
    #[error("chunk size overflows")]
    ChunkSizeOverflow,
    /// A malformed chunk extension (RFC 9112 §7.1.1).
    #[error("invalid chunk extension")]
    ChunkExtension,
    /// Chunk extensions and leading zeros of the size on one line exceed
    /// [`Limits::max_chunk_ext_per_line`](crate::Limits).
    #[error("chunk extension too long")]
    ChunkExtensionTooLong,
}

impl ParseError {
    /// The status a server should answer with (RFC 9110 §15).
    pub fn status_hint(self) -> u16 {
        match self {
            Self::TargetTooLong => 414,
            Self::UnsupportedVersion => 505,
            Self::TooManyHeaders | Self::HeadTooLarge => 431,
            _ => 400,
        }
    }
}

/// The peer broke HTTP/1.1, a limit was exceeded or a timer expired: the error of
/// [`Event::ConnectionLost`](crate::Event::ConnectionLost). Sticky: nothing after the
/// offending bytes is parsed, so a smuggled message can never surface as an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// A malformed head, field line or chunk line.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A Content-Length that is not 1*DIGIT or overflows 64 bits (RFC 9110 §8.6;
    /// `+5` is CVE-2021-32715).
    #[error("invalid Content-Length")]
    InvalidContentLength,
    /// Several Content-Length values that differ (RFC 9112 §6.3 item 5).
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
    /// Both Content-Length and Transfer-Encoding (RFC 9112 §6.1, §11.2).
    #[error("both Content-Length and Transfer-Encoding")]
    ContentLengthWithTransferEncoding,
    /// Transfer-Encoding whose final coding is not `chunked`, that repeats `chunked`, or
    /// that is not a well-formed list of codings (RFC 9112 §6.3 item 4;
    /// CVE-2021-21299).
    #[error("Transfer-Encoding does not end in a single chunked")]
    InvalidTransferEncoding,
    /// A transfer coding we do not implement before the final `chunked` (501, RFC 9112 §6.1).
    #[error("unsupported transfer coding")]
    UnsupportedTransferCoding,
    /// Transfer-Encoding in an HTTP/1.0 message (RFC 9112 §6.1: framing is faulty).
    #[error("Transfer-Encoding in an HTTP/1.0 message")]
    TransferEncodingInHttp10,
    /// An HTTP/1.1 request without Host (RFC 9112 §3.2).
    #[error("missing Host")]
    MissingHost,
    /// A request with more than one Host line (RFC 9112 §3.2).
    #[error("more than one Host")]
    DuplicateHost,
    /// A Host value that is not `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2).
    #[error("invalid Host")]
    InvalidHost,
    /// A request-target in none of the four forms RFC 9112 §3.2 allows for its method:
    /// origin-form (`/path`), absolute-form (`scheme://host...`), authority-form (CONNECT
    /// only) or asterisk-form (`*`, OPTIONS only).
    #[error("request-target form not allowed")]
    InvalidTargetForm,
    /// Chunk data not followed by CRLF (RFC 9112 §7.1; h11 CVE-2025-43859).
    #[error("chunk data not followed by CRLF")]
    ChunkDataNotTerminated,
    /// Chunk extensions and leading zeros over one message exceed
    /// [`Limits::max_chunk_ext_per_message`](crate::Limits) (413).
    #[error("too many chunk-extension bytes in one message")]
    ChunkExtensionsTooLarge,
    /// The connection closed in the middle of a head.
    #[error("connection closed mid-head")]
    IncompleteHead,
    /// The connection closed before the body was complete (RFC 9112 §8).
    #[error("connection closed mid-body")]
    IncompleteBody,
    /// Bytes arrived where the protocol allows none, e.g. a response before any request.
    #[error("unexpected data from peer")]
    UnexpectedData,
    /// A 1xx response to an HTTP/1.0 request, or a 101 without a pending Upgrade
    /// (RFC 9110 §15.2).
    #[error("unexpected informational response")]
    UnexpectedInformational,
    /// More than [`Limits::max_buffered_bytes`](crate::Limits) received and not yet
    /// consumed: the peer pipelined too far ahead of our responses.
    #[error("too many unconsumed bytes buffered")]
    BufferFull,
    /// The head did not arrive within [`Timeouts::head`](crate::Timeouts) (408,
    /// RFC 9110 §15.5.9).
    #[error("head not received in time")]
    HeadTimeout,
    /// No body bytes arrived for [`Timeouts::body`](crate::Timeouts) (408).
    #[error("body not received in time")]
    BodyTimeout,
    /// No new message began within [`Timeouts::keep_alive`](crate::Timeouts): close
    /// quietly (RFC 9112 §9.5), the peer asked for nothing.
    #[error("idle connection timed out")]
    IdleTimeout,
}

impl RecvError {
    /// The status a server should answer with, as h11's `error_status_hint`.
    pub fn status_hint(&self) -> u16 {
        match self {
            Self::Parse(error) => error.status_hint(),
            Self::UnsupportedTransferCoding => 501,
            Self::ChunkExtensionsTooLarge => 413,
            Self::HeadTimeout | Self::BodyTimeout | Self::IdleTimeout => 408,
            _ => 400,
        }
    }
}

/// The caller asked for something the protocol or the current state does not allow.
/// Nothing was queued for transmission when this is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The call is not valid in our current state, e.g. `send_data` before a head.
    #[error("cannot {action} in state {state:?}")]
    InvalidState {
        /// The refused call.
        action: &'static str,
        /// Our state at the time.
        state: State,
    },
    /// More body bytes than the declared Content-Length (RFC 9112 §6.2).
    #[error("body longer than Content-Length")]
    BodyTooLong,
    /// `send_end` before Content-Length bytes were sent.
    #[error("body shorter than Content-Length: {missing} bytes missing")]
    BodyTooShort {
        /// Bytes still owed.
        missing: u64,
    },
    /// Body bytes for a message that has none (HEAD response, 1xx, 204, 304).
    #[error("this message has no body")]
    BodyNotAllowed,
    /// Trailers on a message that is not chunked (RFC 9112 §7.1.2).
    #[error("trailers need chunked framing")]
    TrailersNotAllowed,
    /// A method, target, reason, field name or value that would not survive the wire
    /// (control characters, CR/LF injection, non-token names).
    #[error("invalid {0} in outgoing head")]
    InvalidHead(&'static str),
    /// Our own Content-Length or Transfer-Encoding fields are contradictory or malformed.
    #[error("invalid framing fields in outgoing head")]
    InvalidFraming,
    /// A status outside 100..=999, a 1xx through `send_response` when a final one is
    /// required, or a final one where a 1xx is required.
    #[error("invalid status code {0}")]
    InvalidStatus(u16),
}
