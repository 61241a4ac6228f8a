//! Configuration and limits.

use std::time::Duration;

use http_core::Role;

use crate::deflate::DeflateParams;
use crate::pool::BufferPool;

/// Upper bounds on what a peer can make the connection hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Limits {
    /// Payload bytes in one frame, as sent (close 1009). Checked on the header, before any
    /// of the payload is read.
    pub max_frame_size: usize,
    /// Bytes in one message after inflation (close 1009, RFC 6455 §7.4.1). Checked while
    /// inflating, so a decompression bomb stops here, not at the allocator.
    pub max_message_size: usize,
    /// Received bytes held unprocessed (close 1008, [`Error::BufferFull`]). Input is
    /// processed only while the events and output waiting to be polled stay below this
    /// bound, and the rest waits in the receive buffer. A driver that drains `poll_event`
    /// and `poll_transmit` after each read never reaches it; one that keeps calling `recv`
    /// without draining (a flood of pings against a socket that cannot be written) fails
    /// here rather than growing. Checked before each `recv` appends, so the buffer never
    /// exceeds this plus one read.
    ///
    /// [`Error::BufferFull`]: crate::Error::BufferFull
    pub max_buffered_bytes: usize,
}

impl Default for Limits {
    /// 16 MiB frames and messages (tungstenite's frame default), 1 MiB buffered.
    fn default() -> Self {
        Self {
            max_frame_size: 16 << 20,
            max_message_size: 16 << 20,
            max_buffered_bytes: 1 << 20,
        }
    }
}

/// How received data messages are handed out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MessageMode {
    /// Whole messages, as [`Event::Text`](crate::Event::Text) and
    /// [`Event::Binary`](crate::Event::Binary), assembled from their fragments.
    #[default]
    Whole,
    /// Pieces as they arrive, as [`Event::Fragment`](crate::Event::Fragment): nothing is
    /// assembled, so memory does not grow with the message.
    Streaming,
    /// One [`Event::Fragment`](crate::Event::Fragment) per frame (RFC 6455 §5.4), handed
    /// out once the frame is whole, even when it is empty: the fragmentation the sender
    /// chose is kept, as wsproto reports it. A message of one small frame comes as
    /// [`Event::Text`](crate::Event::Text) or [`Event::Binary`](crate::Event::Binary).
    /// Memory grows with the frame, up to
    /// [`Limits::max_frame_size`](crate::Limits::max_frame_size), never with the message.
    Frames,
}

/// Everything a [`Connection`](crate::Connection) needs to know.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Config {
    /// Which end this is: a client masks what it sends and refuses masked frames, a
    /// server the reverse (RFC 6455 §5.1).
    pub role: Role,
    /// Size bounds.
    pub limits: Limits,
    /// Whole messages or pieces.
    pub mode: MessageMode,
    /// Answer each Ping with a Pong carrying its payload (§5.5.2). On by default; when off,
    /// the application answers [`Event::Ping`](crate::Event::Ping) itself.
    pub auto_pong: bool,
    /// Send a Close on the application's behalf (§5.5.1, §7.1.7): the answer to the peer's
    /// Close, echoing its code, and the Close of a failure, with the failure's code. On by
    /// default; when off, [`Event::ConnectionLost`](crate::Event::ConnectionLost) is still
    /// reported but nothing is queued, and the application may send one Close with
    /// [`Connection::close`](crate::Connection::close) after it, with the code and reason
    /// of its choice (wsproto's model, where the application answers every Close).
    pub auto_close: bool,
    /// How long to wait for the peer's Close after sending ours (§7.1.1) before giving up
    /// with [`Error::CloseTimeout`](crate::Error::CloseTimeout).
    pub close_timeout: Duration,
    /// After this long without a byte from the peer, send a Ping (RFC 6455 §5.5.2) to
    /// learn whether it is still there; `None` (the default) sends none. Any bytes heard
    /// count, not only a Ping or a Pong: a peer in the middle of a long message is alive.
    pub ping_interval: Option<Duration>,
    /// How long that Ping may go unanswered (§5.5.3: a Pong, or any other bytes) before
    /// the connection fails with [`Error::PingTimeout`](crate::Error::PingTimeout).
    pub pong_timeout: Duration,
    /// permessage-deflate, as negotiated in the opening handshake (RFC 7692); `None` when
    /// not negotiated, and then RSV1 is refused.
    pub deflate: Option<DeflateParams>,
    /// Where large received messages get their buffers, and return them once the
    /// application drops them: connections that share a [`BufferPool`] reuse each
    /// other's warm memory instead of faulting in fresh pages per message. `None` (the
    /// default) allocates each afresh.
    pub buffer_pool: Option<BufferPool>,
}

impl Config {
    /// Defaults for `role`: whole messages, automatic pongs and closes, a 5 second closing
    /// deadline, no keep-alive Pings (a 20 second answer once an interval is set), no
    /// compression.
    #[must_use]
    pub fn new(role: Role) -> Self {
        Self {
            role,
            limits: Limits::default(),
            mode: MessageMode::Whole,
            auto_pong: true,
            auto_close: true,
            close_timeout: Duration::from_secs(5),
            ping_interval: None,
            pong_timeout: Duration::from_secs(20),
            deflate: None,
            buffer_pool: None,
        }
    }

    /// [`Config::new`] for a server.
    #[must_use]
    pub fn server() -> Self {
        Self::new(Role::Server)
    }

    /// [`Config::new`] for a client.
    #[must_use]
    pub fn client() -> Self {
        Self::new(Role::Client)
    }
}
