//! WebSocket routes (RFC 6455), on top of ws-proto.
//!
//! ```text
//!  request ──route──▶ upgrade::check ──▶ WsHandler(WsUpgrade) ──accept──▶ 101 ──▶ session
//!                     (400 / 426)                           └─reject──▶ any Response
//! ```
//!
//! - [`upgrade`]: what the application sees of the opening handshake. A route's
//!   [`WsHandler`] gets a [`WsUpgrade`] (the request, the offered subprotocols) and
//!   accepts it, choosing a subprotocol and adding response fields ([`Accept`]), or
//!   rejects it with any [`Response`](crate::Response). Undecided means 403.
//! - [`socket`]: the application's [`WebSocket`]: `recv`, `send`, `close`, and how it
//!   ended ([`CloseInfo`]). It meets the connection in a small shared hand-over, so
//!   it is `Send` and `Sync` and can be used from any task or thread;
//!   [`WebSocket::split`] gives a receiver and a cloneable sender.
//! - [`session`]: the connection's driver after the handshake: ws-proto's `Connection`
//!   between the byte stream and the socket's hand-over, with keep-alive Pings, the
//!   closing handshake, Close 1001 on shutdown, fair turns and the write timeout.
//! - [`http1`]: the HTTP/1.1 form of the handshake. The HTTP/1.1 driver (`h1.rs`)
//!   routes the request here, polls the handler until it decides, sends the 101
//!   through http1-proto (which then switches protocols), and hands its byte stream and
//!   the bytes received after the request (`Connection::into_parts`) to the session.
//! - [`connect`]: the form of the framed protocols, HTTP/2 (RFC 8441) and HTTP/3 (RFC
//!   9220): an extended CONNECT with `:protocol: websocket`, checked with
//!   `ws_proto::accept_extended_connect`, then the same handler decision. The drivers
//!   (`h2/websocket.rs`, `h3/websocket.rs`) answer an accept with 200 and run the
//!   session on the stream (`tunnel.rs`).
//! - [`options`]: [`WsOptions`], server-wide or per route.
//! - `wake`: the waker the session polls with, so that the wake-ups its own poll causes
//!   (a message handed to an in-task handler, its echo, its next `recv`) do not make the
//!   executor poll the task again.
//!
//! # The transport of a session
//!
//! A session runs on any byte stream the drivers accept, the crate's `Io` trait
//! (`AsyncRead + AsyncWrite + Unpin`, with an optional readiness hint):
//! [`session::serve`] takes the stream, the bytes already received after the handshake,
//! whether the peer has closed, a [`session::SessionSeed`] (the handler future, the
//! connection's end of the socket, the ws-proto `Config` the handshake negotiated) and the
//! connection's context. Over HTTP/1.1 the stream is the TCP or TLS stream itself.
//! Over HTTP/2 (RFC 8441) it is one extended-CONNECT stream: the HTTP/2 driver gives
//! the session an `Io` whose reads are the stream's DATA and whose writes become DATA
//! (flow control is the HTTP/2 driver's, so a peer that does not read makes `send`
//! wait), and whose end is END_STREAM or a reset (CANCEL when the session ends with
//! output the peer holds back); the handshake is `ws_proto::accept_extended_connect`
//! answered with 200, and the decision comes from the same [`WsUpgrade`] and
//! [`Decision`](upgrade::Decision) as here. Over HTTP/3 (RFC 9220) it is the same on
//! a QUIC request stream, QUIC's stream flow control being the back-pressure. Only an
//! app with WebSocket routes advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, over both.

pub(crate) mod connect;
pub(crate) mod http1;
mod message;
mod options;
pub(crate) mod session;
mod socket;
pub(crate) mod upgrade;
mod wake;

pub use message::{CloseInfo, Message, Utf8Bytes};
pub use options::WsOptions;
pub use socket::{WebSocket, WsError, WsReceiver, WsSender};
pub use upgrade::{Accept, AcceptError, AutoAccept, WsFuture, WsHandler, WsUpgrade};
