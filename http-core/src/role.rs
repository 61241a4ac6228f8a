//! Which end of a connection a state machine plays.

/// Which end of the connection this is. Every protocol crate of weft takes it inside its
/// `Config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Role {
    /// Sends requests (opens streams), receives responses.
    Client,
    /// Receives requests, sends responses.
    Server,
}

impl Role {
    /// The other end.
    #[must_use]
    pub fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}
