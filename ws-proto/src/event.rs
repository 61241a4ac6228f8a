//! What the connection reports.

use bytes::Bytes;

use crate::error::Error;

/// The kind of a data message (RFC 6455 §5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum DataKind {
    /// UTF-8 text.
    Text,
    /// Binary data.
    Binary,
}

/// An event from [`Connection::poll_event`](crate::Connection::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A whole text message, already checked to be UTF-8
    /// ([`MessageMode::Whole`](crate::MessageMode::Whole)).
    Text(Bytes),
    /// A whole binary message ([`MessageMode::Whole`](crate::MessageMode::Whole)).
    Binary(Bytes),
    /// Part of a message: as it arrives ([`MessageMode::Streaming`](crate::MessageMode::Streaming)),
    /// or one whole frame ([`MessageMode::Frames`](crate::MessageMode::Frames)).
    /// Inflated when compressed. Text is checked as it comes, so a piece may end inside a
    /// character, and the piece with `fin` is delivered only once the whole message is
    /// known to be UTF-8.
    Fragment {
        /// The kind, from the message's first frame.
        kind: DataKind,
        /// The bytes.
        data: Bytes,
        /// The last piece of the message.
        fin: bool,
    },
    /// A Ping's payload (§5.5.2); the Pong is already queued unless
    /// [`Config::auto_pong`](crate::Config::auto_pong) is off.
    Ping(Bytes),
    /// A Pong's payload (§5.5.3).
    Pong(Bytes),
    /// The connection has ended, cleanly ([`Error::Closed`]) or not. Always the last event.
    ConnectionLost(Error),
}
