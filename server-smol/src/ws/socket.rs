//! The application's end of an accepted WebSocket: channels to the connection's task.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use smol::channel::{Receiver, Sender};
use ws_proto::CloseCode;

use super::message::{CloseInfo, Message};

/// Received messages that may wait for the application. The connection hands over a
/// message only when the application asks for one (see [`SocketState::asks`]), and
/// takes nothing more from ws-proto or the socket until it asks for the next: what the
/// application answers to a message then goes out before anything ws-proto does about
/// what followed it (a Close for a protocol error, the answer to the peer's Close), and
/// a slow application slows the peer down through TCP.
pub(crate) const RECV_DEPTH: usize = 1;

/// Commands (messages to send, a Close) that may wait for the connection before
/// [`WsSender::send`] waits too. The connection takes a command only while what it has
/// queued for the peer is below its high-water mark, so a peer that does not read makes
/// `send` wait instead of growing the server's memory.
pub(crate) const SEND_DEPTH: usize = 4;

/// The longest Close reason: a control frame holds 125 bytes, two of them the code
/// (RFC 6455 §5.5).
const MAX_REASON: usize = 123;

/// What the application asks of the connection.
#[derive(Debug)]
pub(crate) enum Command {
    Send(Message),
    Close(CloseCode, String),
}

/// What both ends of a socket share with the connection.
#[derive(Debug, Default)]
pub(crate) struct SocketState {
    /// Set by the connection once it has ended, before it drops its channel ends.
    close: OnceLock<CloseInfo>,
    /// The application asked to close: nothing more may be sent.
    closing: AtomicBool,
    /// Calls of `recv` so far, less those dropped before they got a message: the
    /// application's demand. A `recv` is counted before it looks at the channel, so the
    /// connection, which counts the messages it delivered, can tell that the
    /// application has finished with the last one (it asks again) and not merely taken
    /// it.
    asks: AtomicU64,
    /// Messages taken by `recv`; with `asks`, whether another `recv` still waits.
    taken: AtomicU64,
}

impl SocketState {
    pub(crate) fn set_close(&self, info: CloseInfo) {
        let _ = self.close.set(info);
    }

    /// See [`asks`](Self::asks).
    pub(crate) fn asks(&self) -> u64 {
        self.asks.load(Ordering::Acquire)
    }
}

/// The connection's ends of the channels of one socket.
#[derive(Debug)]
pub(crate) struct SocketLink {
    pub(crate) to_app: Sender<Message>,
    /// A note for each time the application asks for a message.
    pub(crate) asked: Receiver<()>,
    pub(crate) from_app: Receiver<Command>,
    pub(crate) state: Arc<SocketState>,
}

/// Why a command could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// The connection has ended, or a Close was sent: nothing more can be sent. How it
    /// ended is in [`WsSender::close_info`] once it has.
    #[error("the WebSocket is closed")]
    Closed,
    /// A close code that may not be sent on the wire (RFC 6455 §7.4).
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
    /// A Close reason longer than 123 bytes (RFC 6455 §5.5).
    #[error("close reason longer than 123 bytes")]
    ReasonTooLong,
    /// A subprotocol the client did not offer (RFC 6455 §4.2.2 item 5.5).
    #[error("subprotocol {0:?} was not offered")]
    ProtocolNotOffered(String),
}

/// An accepted WebSocket (RFC 6455): receive with [`recv`](Self::recv), send with
/// [`send`](Self::send), end with [`close`](Self::close).
///
/// It talks to the connection's task through bounded channels, so it is `Send` and
/// `Sync` and works from any task, executor or thread: [`split`](Self::split) gives a
/// receiving and a (cloneable) sending half for programs that read and write from
/// different places. Ping, Pong and the closing handshake are answered by the
/// connection; the socket sees data messages only.
///
/// The connection ends when the peer closes, the application closes, the server shuts
/// down (Close 1001), or every handle to the socket is dropped (Close 1000).
/// [`recv`](Self::recv) then returns `None` and [`close_info`](Self::close_info) says
/// how it ended.
#[derive(Debug)]
pub struct WebSocket {
    receiver: WsReceiver,
    sender: WsSender,
    protocol: Option<String>,
}

/// The receiving half of a [`WebSocket`].
#[derive(Debug)]
pub struct WsReceiver {
    messages: Receiver<Message>,
    asked: Sender<()>,
    state: Arc<SocketState>,
}

/// The sending half of a [`WebSocket`]; clones send on the same connection.
#[derive(Debug, Clone)]
pub struct WsSender {
    commands: Sender<Command>,
    state: Arc<SocketState>,
}

/// A socket and the connection's end of its channels.
pub(crate) fn pair(protocol: Option<String>) -> (WebSocket, SocketLink) {
    let (to_app, messages) = smol::channel::bounded(RECV_DEPTH);
    let (commands, from_app) = smol::channel::bounded(SEND_DEPTH);
    let (asked_tx, asked) = smol::channel::bounded(1);
    let state = Arc::new(SocketState::default());
    let socket = WebSocket {
        receiver: WsReceiver {
            messages,
            asked: asked_tx,
            state: state.clone(),
        },
        sender: WsSender {
            commands,
            state: state.clone(),
        },
        protocol,
    };
    let link = SocketLink {
        to_app,
        asked,
        from_app,
        state,
    };
    (socket, link)
}

impl WebSocket {
    /// The next message; `None` once the connection has ended.
    pub async fn recv(&self) -> Option<Message> {
        self.receiver.recv().await
    }

    /// Sends a message. Waits while earlier messages have not been taken by the peer
    /// (back-pressure); fails once the connection has ended or a Close was sent.
    pub async fn send(&self, message: Message) -> Result<(), WsError> {
        self.sender.send(message).await
    }

    /// Starts the closing handshake with `code` and `reason` (RFC 6455 §7.1.2). Returns
    /// once the Close is queued; [`recv`](Self::recv) still hands out what the peer sent
    /// before its answering Close, then `None`.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), WsError> {
        self.sender.close(code, reason).await
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.sender.close_info()
    }

    /// The subprotocol agreed in the opening handshake.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// A handle that sends on this socket, for another task.
    pub fn sender(&self) -> WsSender {
        self.sender.clone()
    }

    /// The two halves, to receive and send from different tasks.
    pub fn split(self) -> (WsReceiver, WsSender) {
        (self.receiver, self.sender)
    }
}

impl WsReceiver {
    /// The next message; `None` once the connection has ended.
    pub async fn recv(&self) -> Option<Message> {
        let ask = Ask::new(&self.state);
        // A full note channel already tells the connection to look.
        let _ = self.asked.try_send(());
        let message = self.messages.recv().await.ok()?;
        ask.answered();
        let taken = self.state.taken.fetch_add(1, Ordering::AcqRel) + 1;
        if self.state.asks() > taken {
            // Another `recv` waits, and the connection may have seen this message in
            // the channel and gone to sleep: it can deliver the next now.
            let _ = self.asked.try_send(());
        }
        Some(message)
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.state.close.get().cloned()
    }
}

/// One `recv` counted in [`SocketState::asks`] until it gets a message; withdrawn if
/// it is dropped before (a cancelled `recv` does not ask for a message it never takes).
struct Ask<'a> {
    state: &'a SocketState,
    open: bool,
}

impl<'a> Ask<'a> {
    fn new(state: &'a SocketState) -> Self {
        state.asks.fetch_add(1, Ordering::AcqRel);
        Self { state, open: true }
    }

    fn answered(mut self) {
        self.open = false;
    }
}

impl Drop for Ask<'_> {
    fn drop(&mut self) {
        if self.open {
            self.state.asks.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl WsSender {
    /// Sends a message; see [`WebSocket::send`].
    pub async fn send(&self, message: Message) -> Result<(), WsError> {
        if self.state.closing.load(Ordering::Acquire) {
            return Err(WsError::Closed);
        }
        self.commands
            .send(Command::Send(message))
            .await
            .map_err(|_| WsError::Closed)
    }

    /// Starts the closing handshake; see [`WebSocket::close`].
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), WsError> {
        if !CloseCode(code).is_sendable() {
            return Err(WsError::InvalidCloseCode(code));
        }
        if reason.len() > MAX_REASON {
            return Err(WsError::ReasonTooLong);
        }
        if self.state.closing.swap(true, Ordering::AcqRel) {
            return Err(WsError::Closed);
        }
        self.commands
            .send(Command::Close(CloseCode(code), reason.to_owned()))
            .await
            .map_err(|_| WsError::Closed)
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.state.close.get().cloned()
    }
}
