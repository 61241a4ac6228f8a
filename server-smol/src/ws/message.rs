//! What travels over a WebSocket: data messages and the closing status.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// UTF-8 text held in [`Bytes`]: a received text message is handed over without a copy,
/// its UTF-8 already checked by ws-proto (RFC 6455 §8.1).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Text from bytes that are known to be UTF-8; `None` when they are not.
    pub fn from_bytes(bytes: Bytes) -> Option<Self> {
        std::str::from_utf8(&bytes).is_ok().then_some(Self(bytes))
    }

    /// Text ws-proto has already checked.
    pub(crate) fn from_checked(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// Text from a static string.
    pub const fn from_static(text: &'static str) -> Self {
        Self(Bytes::from_static(text.as_bytes()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // The constructors only take UTF-8; an impossible failure reads as empty text
        // rather than a panic.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// The bytes, taken out.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for Utf8Bytes {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Self(Bytes::from(text))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Self(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A data message (RFC 6455 §5.6). Control frames (Ping, Pong, Close) are handled by the
/// socket itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Binary(data.into())
    }

    /// The payload's length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(t) => t.as_bytes().len(),
            Self::Binary(b) => b.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a WebSocket connection ended (RFC 6455 §7.1.5, §7.1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close code: the peer's when it closed (1005 when its Close had no code), the
    /// one we sent when we failed the connection, 1006 when it ended without a closing
    /// handshake (RFC 6455 §7.4.1).
    pub code: u16,
    /// The reason the peer gave, or what went wrong on our side.
    pub reason: String,
    /// Whether the closing handshake completed.
    pub clean: bool,
}

impl CloseInfo {
    /// The status ws-proto reports when a connection ends.
    pub(crate) fn from_error(error: &ws_proto::Error) -> Self {
        match error {
            ws_proto::Error::Closed(frame) => Self {
                code: frame.code.0,
                reason: frame.reason.clone(),
                clean: true,
            },
            other => Self {
                code: other.close_code().0,
                reason: other.to_string(),
                clean: false,
            },
        }
    }

    /// An end without a closing handshake (RFC 6455 §7.1.5: 1006).
    pub(crate) fn abnormal(reason: impl Into<String>) -> Self {
        Self {
            code: ws_proto::CloseCode::ABNORMAL.0,
            reason: reason.into(),
            clean: false,
        }
    }
}
