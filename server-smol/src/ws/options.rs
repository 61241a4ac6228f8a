//! What a WebSocket route agrees to: subprotocols, compression, sizes, keep-alive.

use std::time::Duration;

/// Settings of WebSocket connections, server-wide ([`ServerConfig::ws`]) or for one route
/// ([`App::ws_with`]).
///
/// [`ServerConfig::ws`]: crate::ServerConfig::ws
/// [`App::ws_with`]: crate::App::ws_with
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WsOptions {
    /// Subprotocols the route speaks, most preferred first (RFC 6455 §1.9, §4.2.2 item
    /// 5.5). A route that accepts on its own ([`App::ws_accept`](crate::App::ws_accept))
    /// picks the first of these the client offers, or none; a handler that accepts
    /// itself may pick any offered one ([`Accept::protocol`](crate::Accept::protocol)).
    pub protocols: Vec<String>,
    /// Agree to permessage-deflate (RFC 7692) when the client offers it.
    pub compression: bool,
    /// Largest message accepted, after inflation; a larger one closes the connection
    /// with 1009 (RFC 6455 §7.4.1). Also the largest frame.
    pub max_message_size: usize,
    /// After this long without a byte from the peer, send a Ping (RFC 6455 §5.5.2).
    /// `None` sends none.
    pub ping_interval: Option<Duration>,
    /// How long a Ping may go unanswered before the peer counts as gone: the
    /// connection is then closed with 1011 without waiting for a closing handshake the
    /// silent peer would not complete.
    pub pong_timeout: Duration,
    /// How long to wait for the peer's Close after sending ours (RFC 6455 §7.1.1).
    pub close_timeout: Duration,
}

impl Default for WsOptions {
    /// No subprotocols, compression on, 16 MiB messages, a Ping after 30 s of silence
    /// answered within 20 s, a 5 s closing handshake.
    fn default() -> Self {
        Self {
            protocols: Vec::new(),
            compression: true,
            max_message_size: 16 << 20,
            ping_interval: Some(Duration::from_secs(30)),
            pong_timeout: Duration::from_secs(20),
            close_timeout: Duration::from_secs(5),
        }
    }
}

impl WsOptions {
    /// Sets [`protocols`](Self::protocols).
    #[must_use]
    pub fn with_protocols<S: Into<String>>(
        mut self,
        protocols: impl IntoIterator<Item = S>,
    ) -> Self {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`compression`](Self::compression).
    #[must_use]
    pub fn with_compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// Sets [`max_message_size`](Self::max_message_size).
    #[must_use]
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`ping_interval`](Self::ping_interval) and [`pong_timeout`](Self::pong_timeout).
    #[must_use]
    pub fn with_ping(mut self, interval: Option<Duration>, pong_timeout: Duration) -> Self {
        self.ping_interval = interval;
        self.pong_timeout = pong_timeout;
        self
    }

    /// What ws-proto negotiates with.
    pub(crate) fn server_options(&self) -> ws_proto::ServerOptions {
        ws_proto::ServerOptions {
            protocols: Vec::new(),
            deflate: self.compression.then(ws_proto::DeflateConfig::default),
        }
    }

    /// The connection settings after a handshake that agreed on `deflate`.
    pub(crate) fn connection_config(
        &self,
        deflate: Option<ws_proto::DeflateParams>,
    ) -> ws_proto::Config {
        let mut config = ws_proto::Config::server();
        config.deflate = deflate;
        config.close_timeout = self.close_timeout;
        config.ping_interval = self.ping_interval;
        config.pong_timeout = self.pong_timeout;
        config.limits.max_message_size = self.max_message_size;
        config.limits.max_frame_size = self.max_message_size;
        config.buffer_pool = WORKER_BUFFERS.try_with(Clone::clone).ok();
        config
    }
}

thread_local! {
    /// The buffers of large received messages, shared by the WebSocket connections of
    /// one worker thread: a message's buffer comes back when the application drops it,
    /// warm in this core's cache, for the next message of any of them. Bounded per
    /// worker (8 MiB); a buffer dropped on another thread still goes back to its own.
    static WORKER_BUFFERS: ws_proto::BufferPool = ws_proto::BufferPool::new();
}
