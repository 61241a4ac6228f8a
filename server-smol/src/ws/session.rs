//! The WebSocket driver: one loop per connection over `ws_proto::Connection`, on any
//! byte stream ([`Io`]), after the opening handshake.
//!
//! As in the HTTP drivers, everything that can progress without waiting is done inside
//! one poll ([`Session::poll_progress`]): protocol events go to the application's
//! hand-over, the application's commands become frames, the handler future is polled.
//! Only when nothing moves does the loop write what was queued and wait for exactly one
//! thing: bytes, the application, a deadline, or shutdown.
//!
//! Input is taken on demand. Once a message is handed to the application, the next
//! protocol event is taken only when the application asks for another message
//! (the hand-over holds one message), and the socket is read only once every event is
//! taken. What the application answers to message N is therefore queued before
//! the session acts on anything that followed message N: a protocol error or the peer's
//! Close right behind a message is answered after the application's reply to it, however
//! late the application runs (on another thread, or an event loop a round trip away).
//! Until the first message is handed over, and once our Close is out, events are taken
//! as they come, so an application that only sends still sees the peer's Pongs and
//! Close. ws-proto holds at most one read of input and a slow application slows the
//! peer down. Commands are taken from the application only while less than
//! [`HIGH_WATER`] bytes wait to be written, and writing waits for the peer (up to the
//! write timeout), so `send` waits for a peer that does not read.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use futures_lite::AsyncWriteExt;
use ws_proto::{CloseCode, Connection, Event};

use super::message::{CloseInfo, Message, Utf8Bytes};
use super::socket::{Command, Inbox, Next, SocketLink};
use super::upgrade::WsFuture;
use super::wake::LoopWaker;
use crate::clock;
use crate::context::ConnContext;
use crate::deadline::Deadline;
use crate::io::Io;
use crate::outbox::Outbox;
use crate::scratch::WS_READ_BUFFER;
use crate::turn::{EVENT_COST, Turn};

/// Bytes queued for the peer past which no further commands are taken from the
/// application: its `send` then waits.
pub(crate) const HIGH_WATER: usize = 64 * 1024;

/// Times one poll passes again for wake-ups during its own passes before it leaves them
/// to the executor.
const MAX_PASSES_AGAIN: u32 = 2;

/// Everything a WebSocket connection starts from once the handshake is decided.
pub(crate) struct SessionSeed {
    /// The application's handler, polled here until it ends.
    pub(crate) handler: Option<WsFuture>,
    pub(crate) link: SocketLink,
    /// The connection's settings, keep-alive Pings included.
    pub(crate) config: ws_proto::Config,
}

/// Runs a WebSocket connection on `io` to its end, then the handler to its end.
/// `received` holds the bytes that followed the handshake, `peer_eof` whether the peer
/// closed already; `turn` is the work the task has done in its current turn (an
/// HTTP/1.1 connection's, which the session continues).
pub(crate) fn serve<S: Io>(
    io: S,
    received: BytesMut,
    peer_eof: bool,
    seed: SessionSeed,
    context: ConnContext,
    turn: Turn,
) -> impl Future<Output = io::Result<()>> {
    let mut session = Session::new(io, seed, context, turn);
    let now = clock::now();
    if !received.is_empty() {
        session.conn.recv_owned(now, received);
    }
    if peer_eof {
        session.peer_eof = true;
        session.conn.recv_eof(now);
    }
    async move { session.run().await }
}

/// What the loop asks of its async caller.
enum Step {
    /// Write what is queued, then continue.
    Flush,
    /// The connection has ended: write what is queued (the last Close), then close.
    End(CloseInfo),
}

struct Session<S> {
    io: S,
    conn: Connection,
    handler: Option<WsFuture>,
    /// The hand-over to the application.
    link: SocketLink,
    /// The application still receives messages.
    receiving: bool,
    /// The application may still send commands.
    sending: bool,
    /// Messages handed to the application, against its asks ([`SocketLink::asks`]).
    delivered: u64,
    /// Every event ws-proto had has been taken since the last read: reading more is
    /// safe.
    drained: bool,
    out: Outbox,
    deadline: Deadline,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    shutting_down: bool,
    peer_eof: bool,
    maybe_readable: bool,
    turn: Turn,
    context: ConnContext,
    /// What everything but the turn is polled with: the handler's and the hand-over's
    /// wake-ups during a poll do not reschedule the task.
    loop_waker: Arc<LoopWaker>,
    waker: Waker,
    /// The last pass ended waiting for something (not yielding its turn).
    waiting: bool,
}

impl<S: Io> Session<S> {
    fn new(io: S, seed: SessionSeed, context: ConnContext, turn: Turn) -> Self {
        let now = clock::now();
        let stopped = context.shared.shutdown.subscribe();
        let (loop_waker, waker) = LoopWaker::new();
        seed.link.attach(&waker);
        Self {
            io,
            conn: Connection::new(now, seed.config),
            handler: seed.handler,
            link: seed.link,
            receiving: true,
            sending: true,
            delivered: 0,
            drained: false,
            out: Outbox::new(),
            deadline: Deadline::new(),
            shutdown: Box::pin(async move {
                let _ = stopped.recv().await;
            }),
            shutting_down: false,
            peer_eof: false,
            maybe_readable: true,
            turn,
            context,
            loop_waker,
            waker,
            waiting: false,
        }
    }

    async fn run(&mut self) -> io::Result<()> {
        if self.context.shared.shutdown.is_raised() {
            self.start_close(CloseCode::GOING_AWAY, "server shutting down");
            self.shutting_down = true;
        }
        let info = loop {
            let step = poll_fn(|cx| self.poll_progress(cx)).await;
            let timeout = self.context.shared.config.timeouts.body_read;
            let written = self.out.write_within(&mut self.io, timeout).await;
            match (step, written) {
                (Step::End(info), _) => break info,
                (Step::Flush, Ok(())) => {}
                (Step::Flush, Err(error)) => {
                    tracing::debug!(peer = ?self.context.peer, %error, "websocket write failed");
                    break CloseInfo::abnormal(error.to_string());
                }
            }
        };
        let _ = self.io.close().await;
        self.finish(info).await;
        Ok(())
    }

    /// After the connection: the application learns how it ended, the hand-over ends
    /// (a message not taken yet can still be received), and its handler runs to its end
    /// (the connection's task is its home).
    async fn finish(&mut self, info: CloseInfo) {
        self.link.end(info);
        poll_fn(|cx| match self.handler.as_mut() {
            Some(handler) => poll_handler(handler, cx),
            None => Poll::Ready(()),
        })
        .await;
    }

    fn poll_progress(&mut self, task: &mut Context<'_>) -> Poll<Step> {
        self.loop_waker.enter(task.waker());
        let waker = self.waker.clone();
        let mut cx = Context::from_waker(&waker);
        for again in 0.. {
            let waiting = match self.poll_passes(task, &mut cx) {
                Poll::Ready(step) => {
                    let _ = self.loop_waker.leave();
                    return Poll::Ready(step);
                }
                Poll::Pending => self.waiting,
            };
            // Woken during the last pass, after what woke it was polled: pass again
            // rather than have the executor poll the task again for it. A yield has
            // its own wake-up arranged.
            if !self.loop_waker.leave() || !waiting {
                return Poll::Pending;
            }
            if again == MAX_PASSES_AGAIN {
                // A handler that wakes itself on every poll (a yield) gets the executor's
                // turn, not a loop here that would keep the worker's other tasks waiting.
                task.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.loop_waker.enter(task.waker());
        }
        Poll::Pending
    }

    /// Passes over everything until nothing moves; `task` is the task's own context
    /// (for the turn's yield), `cx` the loop's.
    fn poll_passes(&mut self, task: &mut Context<'_>, cx: &mut Context<'_>) -> Poll<Step> {
        loop {
            if self.turn.poll_yield(task).is_pending() {
                self.waiting = false;
                return Poll::Pending;
            }
            self.loop_waker.pass();
            let mut progressed = false;
            // The application's asks as of now, before its commands are taken: what it
            // sent before asking for more is then taken in step 2 before step 3 acts on
            // the ask, even when it runs on another thread while this loop runs.
            let asks = self.link.asks();

            // 1. The handler, whose sends step 2 takes at once.
            if let Some(handler) = self.handler.as_mut()
                && poll_handler(handler, cx).is_ready()
            {
                self.handler = None;
                progressed = true;
            }

            // 2. The application's commands, while the peer keeps up: before the next
            //    event, so that an answer to a message precedes what follows it.
            while self.sending && self.out.len() < HIGH_WATER && !self.conn.is_closing() {
                match self.link.next_command() {
                    Next::Command(command, more) => {
                        progressed = true;
                        self.on_command(command);
                        if !more {
                            // The next pass looks again: no lock taken to learn that
                            // the queue is empty.
                            self.collect_transmit();
                            break;
                        }
                    }
                    Next::Gone => {
                        // Every handle to the socket is gone: nobody will send again.
                        self.sending = false;
                        progressed = true;
                        self.start_close(CloseCode::NORMAL, "");
                    }
                    Next::Empty => break,
                }
                self.collect_transmit();
            }

            // 3. Protocol events, each once the application has asked for the next
            //    message, and not while commands wait for room (they come first).
            while self.out.len() < HIGH_WATER && self.app_wants_next(asks, &mut progressed) {
                let Some(event) = self.conn.poll_event() else {
                    self.drained = true;
                    break;
                };
                progressed = true;
                self.turn.charge(EVENT_COST);
                if let Some(info) = self.on_event(event) {
                    self.collect_transmit();
                    return Poll::Ready(Step::End(info));
                }
            }

            self.collect_transmit();
            if progressed {
                if self.out.len() >= HIGH_WATER {
                    return Poll::Ready(Step::Flush);
                }
                continue;
            }

            // 4. Nothing moves by itself: write what is queued before waiting.
            if self.out.len() > 0 {
                return Poll::Ready(Step::Flush);
            }

            // 5. Wait for one thing: bytes, the application (registered above), a
            //    deadline, or shutdown.
            if self.wants_read() && self.readable_now(cx) {
                let buffers = &self.context.shared.read_buffers;
                let conn = &mut self.conn;
                let now = clock::now();
                match buffers.poll_read_ws(&mut self.io, cx, |data| conn.recv(now, data)) {
                    Poll::Ready(Ok(0)) => {
                        self.peer_eof = true;
                        self.conn.recv_eof(now);
                        continue;
                    }
                    Poll::Ready(Ok(n)) => {
                        self.maybe_readable = n == WS_READ_BUFFER;
                        self.drained = false;
                        self.turn.charge(n);
                        continue;
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Poll::Ready(Err(error)) => {
                        return Poll::Ready(Step::End(CloseInfo::abnormal(error.to_string())));
                    }
                    Poll::Pending => {}
                }
            }
            if self.poll_deadline(cx).is_ready() {
                continue;
            }
            if !self.shutting_down && self.shutdown.as_mut().poll(cx).is_ready() {
                self.shutting_down = true;
                self.start_close(CloseCode::GOING_AWAY, "server shutting down");
                continue;
            }
            self.turn.end();
            self.waiting = true;
            return Poll::Pending;
        }
    }

    /// Only once every event of the last read is taken, and not after the peer's EOF.
    fn wants_read(&self) -> bool {
        !self.peer_eof && self.drained && self.conn.error().is_none()
    }

    /// Whether the next event may be taken: the application has asked for a message
    /// since the last one it was handed (or has stopped receiving), by `asks`, the
    /// count read before this pass took the commands. Before the first message and
    /// after our Close nothing it answers can be out of order, so events flow then, one
    /// message waiting in the hand-over at most. If not, the next ask wakes the task
    /// (every ask does); one made since `asks` was read sets `progressed`, for another
    /// pass that takes the commands sent before it first.
    fn app_wants_next(&mut self, asks: u64, progressed: &mut bool) -> bool {
        if !self.receiving {
            return true;
        }
        let (now, inbox) = self.link.demand();
        if self.wants_next(asks, inbox) {
            return true;
        }
        if now != asks && self.wants_next(now, inbox) {
            *progressed = true;
        }
        false
    }

    fn wants_next(&mut self, asks: u64, inbox: Inbox) -> bool {
        match inbox {
            Inbox::Gone => {
                self.receiving = false;
                true
            }
            Inbox::Full => false,
            Inbox::Free => self.delivered < asks.max(1) || self.conn.is_closing(),
        }
    }

    /// Whether to attempt a read: always, unless the last one drained the socket and
    /// the reactor has not reported new bytes since.
    fn readable_now(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.maybe_readable && self.io.poll_read_hint(cx).is_ready() {
            self.maybe_readable = true;
        }
        self.maybe_readable
    }

    /// Acts on one protocol event; `Some` when the connection has ended.
    fn on_event(&mut self, event: Event) -> Option<CloseInfo> {
        match event {
            Event::Text(text) => self.deliver(Message::Text(Utf8Bytes::from_checked(text))),
            Event::Binary(data) => self.deliver(Message::Binary(data)),
            // Answered (and the keep-alive kept) by ws-proto; a whole-message connection
            // has no fragments.
            Event::Ping(_) | Event::Pong(_) | Event::Fragment { .. } => {}
            Event::ConnectionLost(error) => {
                tracing::debug!(peer = ?self.context.peer, %error, "websocket ended");
                return Some(CloseInfo::from_error(&error));
            }
        }
        None
    }

    /// Hands a message to the application, whose slot is free (see
    /// [`app_wants_next`](Self::app_wants_next)).
    fn deliver(&mut self, message: Message) {
        if !self.receiving {
            return;
        }
        if self.link.deliver(message) {
            self.delivered += 1;
        } else {
            // The application dropped its receiving half: nobody reads.
            self.receiving = false;
        }
    }

    fn on_command(&mut self, command: Command) {
        // A command the connection refuses comes after a Close: the socket reports it
        // closed to the sender from then on, so the message is dropped here.
        match command {
            Command::Send(message) => {
                self.turn.charge(message.len());
                let _ = match message {
                    Message::Text(text) => self.conn.send_text(&text),
                    // Large payloads go to the socket as they are, uncopied.
                    Message::Binary(data) => self.conn.send_binary_bytes(data),
                };
            }
            Command::Close(code, reason) => {
                let _ = self.conn.close(clock::now(), code, &reason);
            }
        }
    }

    fn start_close(&mut self, code: CloseCode, reason: &str) {
        if !self.conn.is_closing() && self.conn.error().is_none() {
            let _ = self.conn.close(clock::now(), code, reason);
            self.collect_transmit();
        }
    }

    /// Sleeps until ws-proto's next deadline (a keep-alive Ping, its answer, the closing
    /// handshake) and hands it the time; what that queued is taken by the loop.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.drained {
            // The peer is not being read on purpose (the application has not asked for
            // the next message): its silence is ours.
            return Poll::Pending;
        }
        let Some(deadline) = self.conn.poll_timeout() else {
            return Poll::Pending;
        };
        let Poll::Ready(now) = self.deadline.poll_until(deadline, cx) else {
            return Poll::Pending;
        };
        self.conn.handle_timeout(now);
        Poll::Ready(())
    }

    fn collect_transmit(&mut self) {
        while let Some(bytes) = self.conn.poll_transmit() {
            self.out.push(bytes);
        }
    }
}

/// Polls a WebSocket handler, ending it on a panic: a bug in one handler must not take
/// the worker down with it.
pub(crate) fn poll_handler(future: &mut WsFuture, cx: &mut Context<'_>) -> Poll<()> {
    match crate::panic::poll_caught(|| future.as_mut().poll(cx)) {
        Ok(poll) => poll,
        Err(panic) => {
            tracing::error!(%panic, "websocket handler panicked");
            Poll::Ready(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::task::Waker;

    use futures_lite::{AsyncRead, AsyncWrite};

    use super::*;
    use crate::{App, ServerConfig};

    const MESSAGES: usize = 200;

    /// A peer that answers each write of the server (the 101, then each echo) with its
    /// next message, and then a Close. The answer is on the wire once the server's task
    /// has nothing left to do, as over a real network: then its reader is woken.
    #[derive(Default)]
    struct PingPong {
        inbox: VecDeque<Vec<u8>>,
        in_flight: VecDeque<Vec<u8>>,
        sent: usize,
        reader: Option<Waker>,
    }

    impl PingPong {
        /// The network delivers what is in flight; `false` if nothing was.
        fn deliver(&mut self) -> bool {
            if self.in_flight.is_empty() {
                return false;
            }
            self.inbox.append(&mut self.in_flight);
            if let Some(reader) = self.reader.take() {
                reader.wake();
            }
            true
        }
    }

    /// The executor's waker, and whether the task was woken during its poll (so that
    /// the executor polls it again at once).
    #[derive(Default)]
    struct Relay {
        woken: std::sync::atomic::AtomicBool,
        task: Mutex<Option<Waker>>,
    }

    impl std::task::Wake for Relay {
        fn wake(self: Arc<Self>) {
            self.woken.store(true, std::sync::atomic::Ordering::SeqCst);
            if let Some(task) = self.task.lock().unwrap().as_ref() {
                task.wake_by_ref();
            }
        }
    }

    #[derive(Clone, Default)]
    struct Peer(Arc<Mutex<PingPong>>);

    /// A masked 16-byte text message (RFC 6455 §5.2).
    fn message() -> Vec<u8> {
        let mut frame = vec![0x81, 0x80 | 16, 1, 2, 3, 4];
        frame.extend((0..16u8).map(|i| b'a' ^ [1, 2, 3, 4][usize::from(i % 4)]));
        frame
    }

    impl AsyncRead for Peer {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let mut peer = self.0.lock().unwrap();
            match peer.inbox.pop_front() {
                Some(bytes) => {
                    buf[..bytes.len()].copy_from_slice(&bytes);
                    Poll::Ready(Ok(bytes.len()))
                }
                None => {
                    peer.reader = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    impl AsyncWrite for Peer {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let mut peer = self.0.lock().unwrap();
            if peer.sent < MESSAGES {
                peer.sent += 1;
                peer.in_flight.push_back(message());
            } else if peer.sent == MESSAGES {
                peer.sent += 1;
                // A Close with code 1000, masked.
                let close = [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8];
                peer.in_flight.push_back(close.to_vec());
            }
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl crate::io::Io for Peer {
        /// Readable only when the peer has queued bytes, as the reactor would say.
        fn poll_read_hint(&self, cx: &mut Context<'_>) -> Poll<()> {
            let mut peer = self.0.lock().unwrap();
            if peer.inbox.is_empty() {
                peer.reader = Some(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }
    }

    /// An echo handler in the connection's own task: each message's hand-over, echo and
    /// next `recv` wake that task, and the session polls all of them in the same poll.
    /// The executor should poll the task about once per message (the peer's bytes),
    /// not again for wake-ups the session has already acted on.
    #[test]
    fn an_echo_costs_one_poll_of_the_task_per_message() {
        let mut app = App::new();
        app.ws_accept("/ws", |socket, _req| async move {
            while let Some(message) = socket.recv().await {
                if socket.send(message).await.is_err() {
                    break;
                }
            }
        });
        let mut config = ServerConfig::default();
        config.ws.compression = false;
        let context = crate::context::ConnContext::for_tests(app, config);
        let peer = Peer::default();
        let upgrade = b"GET /ws HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\n\
            connection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            sec-websocket-version: 13\r\n\r\n";
        peer.0.lock().unwrap().inbox.push_back(upgrade.to_vec());
        let mut serve = Box::pin(crate::h1::serve(peer.clone(), BytesMut::new(), context));
        let relay = Arc::new(Relay::default());
        let waker = Waker::from(relay.clone());
        let mut polls = 0;
        let outcome = smol::block_on(std::future::poll_fn(|cx| {
            polls += 1;
            *relay.task.lock().unwrap() = Some(cx.waker().clone());
            relay
                .woken
                .store(false, std::sync::atomic::Ordering::SeqCst);
            let poll = serve.as_mut().poll(&mut Context::from_waker(&waker));
            if poll.is_pending()
                && !relay.woken.load(std::sync::atomic::Ordering::SeqCst)
                && !peer.0.lock().unwrap().deliver()
            {
                return Poll::Ready(Err(io::Error::other("the session waits for nothing")));
            }
            poll
        }));
        outcome.unwrap();
        assert_eq!(
            peer.0.lock().unwrap().sent,
            MESSAGES + 1,
            "not every echo came"
        );
        assert!(
            polls <= MESSAGES + MESSAGES / 10,
            "{polls} polls for {MESSAGES} messages"
        );
    }
}
