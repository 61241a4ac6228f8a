//! QUIC stream identifiers (RFC 9000 §2.1), as far as HTTP/3 reads them.

use std::fmt;

use crate::Role;

/// A QUIC stream identifier. The two low bits say who opened the stream and whether it
/// is bidirectional (RFC 9000 §2.1): HTTP/3 carries requests on client-initiated
/// bidirectional streams and everything else on unidirectional ones (RFC 9114 §6).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct StreamId(pub u64);

impl StreamId {
    /// Who opened the stream.
    #[must_use]
    pub const fn initiator(self) -> Role {
        if self.0 & 1 == 0 {
            Role::Client
        } else {
            Role::Server
        }
    }

    /// Whether the stream carries data both ways.
    #[must_use]
    pub const fn is_bidi(self) -> bool {
        self.0 & 2 == 0
    }

    /// The ordinal of the stream among the streams of its kind (initiator and
    /// direction): streams of one kind open in order (RFC 9000 §2.1).
    pub(crate) const fn index(self) -> u64 {
        self.0 >> 2
    }

    /// Whether this is a request stream: client-initiated and bidirectional
    /// (RFC 9114 §6.1).
    #[must_use]
    pub const fn is_request(self) -> bool {
        self.0 & 3 == 0
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_bits_name_the_kind() {
        assert!(StreamId(0).is_request() && StreamId(4).is_request());
        assert!(!StreamId(1).is_request() && !StreamId(2).is_request());
        assert_eq!(StreamId(3).initiator(), Role::Server);
        assert!(!StreamId(3).is_bidi() && StreamId(1).is_bidi());
        assert_eq!(StreamId(10).index(), 2);
    }
}
