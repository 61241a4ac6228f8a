//! The application's end of an accepted WebSocket, and the hand-over it shares with the
//! connection's task: one slot for the message received, a short queue for commands.
//!
//! The two sides meet in one small [`Exchange`] behind a mutex, taken for a moment by
//! each side, rather than in channels: a message costs a handful of uncontended locks
//! and no allocation, and the wake-ups are exactly the ones the other side waits for.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};

use ws_proto::CloseCode;

use super::message::{CloseInfo, Message};

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
    /// Set by the connection once it has ended, before it ends the exchange.
    close: OnceLock<CloseInfo>,
    /// The application asked to close: nothing more may be sent.
    closing: AtomicBool,
    exchange: Mutex<Exchange>,
}

/// The hand-over between the application and the connection.
#[derive(Debug, Default)]
struct Exchange {
    /// The message the connection handed over, until a `recv` takes it. One at most:
    /// the connection hands over a message only when the application asks for one (see
    /// `asks`), and takes nothing more from ws-proto or the socket until it asks for the
    /// next. What the application answers to a message then goes out before anything
    /// ws-proto does about what followed it (a Close for a protocol error, the answer to
    /// the peer's Close), and a slow application slows the peer down through TCP.
    inbox: Option<Message>,
    /// `recv` calls waiting for `inbox`.
    readers: Wakers,
    /// Calls of `recv` so far, less those dropped before they got a message: the
    /// application's demand. A `recv` is counted before it looks at the inbox, so the
    /// connection, which counts the messages it handed over, can tell that the
    /// application has finished with the last one (it asks again) and not merely taken
    /// it.
    asks: u64,
    /// Messages taken by `recv`; with `asks`, whether another `recv` still waits.
    taken: u64,
    /// Commands not yet taken by the connection, at most [`SEND_DEPTH`].
    commands: VecDeque<Command>,
    /// `send` and `close` calls waiting for room in `commands`.
    writers: Wakers,
    /// The connection's task, woken by everything above that it waits for.
    session: Option<Waker>,
    /// Live [`WsSender`]s (one in each [`WebSocket`]): at none, nobody will send again.
    senders: usize,
    /// The [`WsReceiver`] is gone: nobody takes messages.
    receiver_gone: bool,
    /// The connection has ended, or will never start: nothing more is handed over or
    /// taken, though a message in `inbox` can still be received.
    ended: bool,
}

/// Tasks waiting on one side of the exchange. Each is kept once (a future polled again
/// by the same task does not add itself twice), and all are woken together: the few
/// that share a socket then race for the slot, as on a channel.
#[derive(Debug, Default)]
struct Wakers(Vec<Waker>);

impl Wakers {
    fn register(&mut self, waker: &Waker) {
        if !self.0.iter().any(|w| w.will_wake(waker)) {
            self.0.push(waker.clone());
        }
    }

    /// The waiting tasks, taken out to be woken once the exchange's lock is released:
    /// a waker may be anything (an event loop's, one that takes another lock), and
    /// must not run while the other side waits for this lock. The usual single waiter
    /// leaves the list's capacity behind, so a message allocates nothing.
    fn take(&mut self) -> Woken {
        if self.0.len() > 1 {
            Woken::Many(std::mem::take(&mut self.0))
        } else {
            Woken::One(self.0.pop())
        }
    }
}

/// Waiters taken out of [`Wakers`]; see [`Wakers::take`].
#[must_use = "the waiters are woken by `wake`"]
enum Woken {
    One(Option<Waker>),
    Many(Vec<Waker>),
}

impl Woken {
    fn wake(self) {
        match self {
            Self::One(waker) => waker.into_iter().for_each(Waker::wake),
            Self::Many(wakers) => wakers.into_iter().for_each(Waker::wake),
        }
    }
}

impl Exchange {
    /// Woken under the lock, unlike the application's waiters: the session's waker is
    /// its own `LoopWaker`, which only marks the pass or schedules the task on the
    /// worker's executor, and never waits for anything.
    fn wake_session(&self) {
        if let Some(session) = &self.session {
            session.wake_by_ref();
        }
    }
}

impl SocketState {
    fn exchange(&self) -> MutexGuard<'_, Exchange> {
        // Nothing panics while holding the lock; if something did, the exchange is
        // still whole (every update is one field), so carry on with it.
        self.exchange.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the connection finds when it looks for the application's next command.
#[derive(Debug)]
pub(crate) enum Next {
    /// The oldest command, and whether more wait behind it.
    Command(Command, bool),
    /// Nothing yet; the connection is woken when there is.
    Empty,
    /// Every handle that could send is gone, and every command was taken.
    Gone,
}

/// Where the message the connection last handed over is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inbox {
    /// Taken: the slot is free.
    Free,
    /// Still waiting for a `recv`.
    Full,
    /// Nobody receives: the application dropped its receiving half.
    Gone,
}

/// The connection's end of one socket. Dropping it (the connection's task ends, or the
/// upgrade never reaches one) ends the exchange, so that the application's `recv`
/// returns `None` and its `send` fails rather than wait forever.
#[derive(Debug)]
pub(crate) struct SocketLink {
    state: Arc<SocketState>,
}

impl SocketLink {
    /// The connection's task, woken by each `recv` (an ask), each command, and the last
    /// handle's drop.
    pub(crate) fn attach(&self, session: &Waker) {
        self.state.exchange().session = Some(session.clone());
    }

    /// See [`Exchange::asks`].
    pub(crate) fn asks(&self) -> u64 {
        self.state.exchange().asks
    }

    /// The application's next command, in the order it sent them.
    pub(crate) fn next_command(&self) -> Next {
        let mut exchange = self.state.exchange();
        match exchange.commands.pop_front() {
            Some(command) => {
                let more = !exchange.commands.is_empty();
                let writers = exchange.writers.take();
                drop(exchange);
                writers.wake();
                Next::Command(command, more)
            }
            None if exchange.senders == 0 => Next::Gone,
            None => Next::Empty,
        }
    }

    /// The application's asks so far, and whether the last message handed over has
    /// been taken: both at one moment, under one lock.
    pub(crate) fn demand(&self) -> (u64, Inbox) {
        let exchange = self.state.exchange();
        let inbox = if exchange.receiver_gone {
            Inbox::Gone
        } else if exchange.inbox.is_some() {
            Inbox::Full
        } else {
            Inbox::Free
        };
        (exchange.asks, inbox)
    }

    /// Hands a message to the application, whose slot is free (see [`demand`](Self::demand));
    /// `false` when nobody receives any more.
    pub(crate) fn deliver(&self, message: Message) -> bool {
        let mut exchange = self.state.exchange();
        if exchange.receiver_gone {
            return false;
        }
        exchange.inbox = Some(message);
        let readers = exchange.readers.take();
        drop(exchange);
        readers.wake();
        true
    }

    /// The connection has ended as `info` says: the application learns how, a message
    /// not taken yet can still be received, and nothing more can be sent.
    pub(crate) fn end(&self, info: CloseInfo) {
        let _ = self.state.close.set(info);
        self.end_exchange();
    }

    fn end_exchange(&self) {
        let mut exchange = self.state.exchange();
        if exchange.ended {
            return;
        }
        exchange.ended = true;
        let commands = std::mem::take(&mut exchange.commands);
        let session = exchange.session.take();
        let (readers, writers) = (exchange.readers.take(), exchange.writers.take());
        drop(exchange);
        drop((commands, session));
        readers.wake();
        writers.wake();
    }
}

impl Drop for SocketLink {
    fn drop(&mut self) {
        self.end_exchange();
    }
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
/// It meets the connection's task in a bounded hand-over (one received message, a few
/// commands), so it is `Send` and `Sync` and works from any task, executor or thread:
/// [`split`](Self::split) gives a receiving and a (cloneable) sending half for programs
/// that read and write from different places. Ping, Pong and the closing handshake are
/// answered by the connection; the socket sees data messages only.
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
    state: Arc<SocketState>,
}

/// The sending half of a [`WebSocket`]; clones send on the same connection.
#[derive(Debug)]
pub struct WsSender {
    state: Arc<SocketState>,
}

/// A socket and the connection's end of it.
pub(crate) fn pair(protocol: Option<String>) -> (WebSocket, SocketLink) {
    let state = Arc::new(SocketState::default());
    state.exchange().senders = 1;
    let socket = WebSocket {
        receiver: WsReceiver {
            state: state.clone(),
        },
        sender: WsSender {
            state: state.clone(),
        },
        protocol,
    };
    (socket, SocketLink { state })
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
        Recv {
            state: &self.state,
            asked: false,
        }
        .await
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.state.close.get().cloned()
    }
}

impl Drop for WsReceiver {
    fn drop(&mut self) {
        let mut exchange = self.state.exchange();
        exchange.receiver_gone = true;
        // A message nobody will take is not kept.
        exchange.inbox = None;
        exchange.wake_session();
    }
}

/// One `recv`: counted in [`Exchange::asks`] on its first poll until it gets a message,
/// withdrawn if it is dropped before (a cancelled `recv` does not ask for a message it
/// never takes).
struct Recv<'a> {
    state: &'a SocketState,
    asked: bool,
}

impl Future for Recv<'_> {
    type Output = Option<Message>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let state = self.state;
        let mut exchange = state.exchange();
        if !self.asked {
            self.asked = true;
            exchange.asks += 1;
            exchange.wake_session();
        }
        if let Some(message) = exchange.inbox.take() {
            self.asked = false;
            exchange.taken += 1;
            if exchange.asks > exchange.taken {
                // Another `recv` waits, and the connection may have seen this message
                // in the slot and gone to sleep: it can hand over the next now.
                exchange.wake_session();
            }
            return Poll::Ready(Some(message));
        }
        if exchange.ended {
            return Poll::Ready(None);
        }
        exchange.readers.register(cx.waker());
        Poll::Pending
    }
}

impl Drop for Recv<'_> {
    fn drop(&mut self) {
        if self.asked {
            let mut exchange = self.state.exchange();
            exchange.asks = exchange.asks.saturating_sub(1);
        }
    }
}

/// One `send` or `close`: parks its command once the queue has room.
struct Park<'a> {
    state: &'a SocketState,
    command: Option<Command>,
}

impl Future for Park<'_> {
    type Output = Result<(), WsError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        let state = self.state;
        let mut exchange = state.exchange();
        if exchange.ended {
            return Poll::Ready(Err(WsError::Closed));
        }
        if exchange.commands.len() >= SEND_DEPTH {
            exchange.writers.register(cx.waker());
            return Poll::Pending;
        }
        if let Some(command) = self.command.take() {
            exchange.commands.push_back(command);
            exchange.wake_session();
        }
        Poll::Ready(Ok(()))
    }
}

impl WsSender {
    /// Sends a message; see [`WebSocket::send`].
    pub async fn send(&self, message: Message) -> Result<(), WsError> {
        if self.state.closing.load(Ordering::Acquire) {
            return Err(WsError::Closed);
        }
        self.park(Command::Send(message)).await
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
        self.park(Command::Close(CloseCode(code), reason.to_owned()))
            .await
    }

    fn park(&self, command: Command) -> Park<'_> {
        Park {
            state: &self.state,
            command: Some(command),
        }
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.state.close.get().cloned()
    }
}

impl Clone for WsSender {
    fn clone(&self) -> Self {
        self.state.exchange().senders += 1;
        Self {
            state: self.state.clone(),
        }
    }
}

impl Drop for WsSender {
    fn drop(&mut self) {
        let mut exchange = self.state.exchange();
        exchange.senders = exchange.senders.saturating_sub(1);
        if exchange.senders == 0 {
            exchange.wake_session();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::task::Wake;

    use super::*;
    use crate::ws::wake::tests::Count;

    fn counter() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        (count, waker)
    }

    fn poll<F: Future>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn send_waits_while_the_commands_fill_the_queue_until_the_connection_takes_one() {
        let (socket, link) = pair(None);
        let (session, session_waker) = counter();
        link.attach(&session_waker);
        let (woken, waker) = counter();
        for _ in 0..SEND_DEPTH {
            let mut send = std::pin::pin!(socket.send(Message::text("a")));
            assert_eq!(poll(send.as_mut(), &waker), Poll::Ready(Ok(())));
        }
        assert_eq!(session.0.load(Ordering::SeqCst), SEND_DEPTH);
        let mut blocked = std::pin::pin!(socket.send(Message::text("b")));
        assert!(
            poll(blocked.as_mut(), &waker).is_pending(),
            "the queue grew"
        );
        assert!(matches!(link.next_command(), Next::Command(_, true)));
        assert_eq!(
            woken.0.load(Ordering::SeqCst),
            1,
            "the waiting send was not woken"
        );
        assert_eq!(poll(blocked.as_mut(), &waker), Poll::Ready(Ok(())));
    }

    #[test]
    fn every_waiting_recv_is_served_and_a_cancelled_one_withdraws_its_ask() {
        let (socket, link) = pair(None);
        let (first_woken, first_waker) = counter();
        let (second_woken, second_waker) = counter();
        let mut first = Box::pin(socket.recv());
        let mut second = Box::pin(socket.recv());
        assert!(poll(first.as_mut(), &first_waker).is_pending());
        assert!(poll(second.as_mut(), &second_waker).is_pending());
        assert_eq!(link.asks(), 2);

        assert!(link.deliver(Message::text("one")));
        assert_eq!(link.demand(), (2, Inbox::Full));
        assert_eq!(first_woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(second_woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            poll(first.as_mut(), &first_waker),
            Poll::Ready(Some(Message::text("one")))
        );
        assert!(poll(second.as_mut(), &second_waker).is_pending());
        assert_eq!(link.demand(), (2, Inbox::Free));

        assert!(link.deliver(Message::text("two")));
        assert_eq!(
            second_woken.0.load(Ordering::SeqCst),
            2,
            "a wake-up was lost"
        );
        assert_eq!(
            poll(second.as_mut(), &second_waker),
            Poll::Ready(Some(Message::text("two")))
        );

        let mut cancelled = Box::pin(socket.recv());
        assert!(poll(cancelled.as_mut(), &first_waker).is_pending());
        assert_eq!(link.asks(), 3);
        drop(cancelled);
        assert_eq!(link.asks(), 2, "a dropped recv still asks");
    }

    /// A waker that looks at the exchange when woken, as an event loop's waker might
    /// take a lock the application holds while it polls `recv`.
    struct Peeks {
        state: Arc<SocketState>,
        found_locked: AtomicBool,
    }

    impl Wake for Peeks {
        fn wake(self: Arc<Self>) {
            if self.state.exchange.try_lock().is_err() {
                self.found_locked.store(true, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn the_application_is_woken_after_the_exchange_is_unlocked() {
        let (socket, link) = pair(None);
        let peeks = Arc::new(Peeks {
            state: link.state.clone(),
            found_locked: AtomicBool::new(false),
        });
        let waker = Waker::from(peeks.clone());
        let mut recv = Box::pin(socket.recv());
        assert!(poll(recv.as_mut(), &waker).is_pending());
        let mut sends: Vec<_> = (0..=SEND_DEPTH)
            .map(|_| Box::pin(socket.send(Message::text("a"))))
            .collect();
        for send in &mut sends {
            let _ = poll(send.as_mut(), &waker);
        }
        assert!(link.deliver(Message::text("b")));
        assert!(matches!(link.next_command(), Next::Command(_, true)));
        drop(link);
        assert!(
            !peeks.found_locked.load(Ordering::SeqCst),
            "woken while the exchange was locked"
        );
    }

    #[test]
    fn commands_sent_before_the_last_handle_dropped_are_taken_before_it_is_gone() {
        let (socket, link) = pair(None);
        let (session, session_waker) = counter();
        link.attach(&session_waker);
        let sender = socket.sender();
        drop(socket);
        assert!(matches!(link.next_command(), Next::Empty));
        let mut send = Box::pin(sender.send(Message::text("last")));
        assert_eq!(poll(send.as_mut(), &session_waker), Poll::Ready(Ok(())));
        drop(send);
        let before = session.0.load(Ordering::SeqCst);
        drop(sender);
        assert!(
            session.0.load(Ordering::SeqCst) > before,
            "the connection was not told"
        );
        assert!(matches!(
            link.next_command(),
            Next::Command(Command::Send(_), false)
        ));
        assert!(matches!(link.next_command(), Next::Gone));
    }

    #[test]
    fn a_connection_that_ends_leaves_the_last_message_and_then_none() {
        let (socket, link) = pair(None);
        let (_, waker) = counter();
        assert!(link.deliver(Message::text("kept")));
        link.end(CloseInfo::abnormal("gone"));
        let mut recv = Box::pin(socket.recv());
        assert_eq!(
            poll(recv.as_mut(), &waker),
            Poll::Ready(Some(Message::text("kept")))
        );
        let mut recv = Box::pin(socket.recv());
        assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(None));
        let mut send = Box::pin(socket.send(Message::text("late")));
        assert_eq!(
            poll(send.as_mut(), &waker),
            Poll::Ready(Err(WsError::Closed))
        );
        assert_eq!(socket.close_info().map(|i| i.code), Some(1006));
    }

    #[test]
    fn an_upgrade_that_never_reaches_a_connection_fails_the_socket() {
        let (socket, link) = pair(None);
        drop(link);
        let (_, waker) = counter();
        let mut recv = Box::pin(socket.recv());
        assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(None));
        let mut send = Box::pin(socket.send(Message::text("a")));
        assert_eq!(
            poll(send.as_mut(), &waker),
            Poll::Ready(Err(WsError::Closed))
        );
    }
}
