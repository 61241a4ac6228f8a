//! Stream identifiers (RFC 9113 §5.1.1).

use std::fmt;

/// A 31-bit HTTP/2 stream identifier (RFC 9113 §5.1.1).
///
/// Odd identifiers belong to streams the client opens, even ones to streams the server
/// reserves with PUSH_PROMISE; 0 names the connection itself.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct StreamId(u32);

impl StreamId {
    /// Stream 0: frames that concern the whole connection.
    pub const CONNECTION: Self = Self(0);
    /// The largest identifier a stream can have (2^31 - 1).
    pub const MAX: Self = Self(0x7fff_ffff);

    /// Wraps a raw identifier, clearing the reserved high bit as RFC 9113 §4.1 says a
    /// receiver must.
    pub const fn new(id: u32) -> Self {
        Self(id & 0x7fff_ffff)
    }

    /// The identifier as a number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// True for stream 0.
    pub const fn is_connection(self) -> bool {
        self.0 == 0
    }

    /// True for identifiers a client opens (odd numbers).
    pub const fn is_client_initiated(self) -> bool {
        self.0 % 2 == 1
    }

    /// True for identifiers a server opens with PUSH_PROMISE (even, non-zero).
    pub const fn is_server_initiated(self) -> bool {
        self.0 != 0 && self.0.is_multiple_of(2)
    }
}

impl fmt::Debug for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamId({})", self.0)
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<StreamId> for u32 {
    fn from(id: StreamId) -> u32 {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_bit_is_cleared() {
        assert_eq!(StreamId::new(0x8000_0001).get(), 1);
        assert!(StreamId::new(1).is_client_initiated());
        assert!(StreamId::new(2).is_server_initiated());
        assert!(!StreamId::CONNECTION.is_server_initiated());
    }
}
