//! Which end of a connection a state machine plays, and which end ended something.

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

/// Who ended a stream or a connection: the HTTP/2 and HTTP/3 crates report it with
/// every reset and every connection error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiator {
    /// This endpoint (the application, or the protocol crate on its behalf).
    Local,
    /// The peer.
    Remote,
}
