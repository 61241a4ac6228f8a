//! The HTTP/2 driver: one loop per connection over `http2_proto::Connection`.
//!
//! Handlers run concurrently, one future per stream, polled by the
//! connection's own task: each stream has a waker that records its id in a
//! ready list, so a wake-up polls only the streams that asked for it. This
//! keeps a stream's work on the connection's thread (no cross-thread hop per
//! request, which matters for the per-core layout) while handlers still
//! interleave freely. Response bodies are sent as far as flow control allows
//! (RFC 9113 §5.2); the rest waits for `Event::SendCapacity`. Request bodies
//! return flow-control credit only as the handler consumes them.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker, ready};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_lite::{AsyncWriteExt, Stream};
use http_core::field::{is_connection_specific, trim_ows};
use http2_proto::{
    Config, Connection, ErrorCode, Event, Header, HeadersKind, IdleConnection, Initiator,
    SendError, StreamId,
};
use smol::channel::Receiver;

use crate::app::{App, BoxFuture};
use crate::body::{Body, BodyError, BodySender};
use crate::body_budget::{BodyBudget, UploadState, body_budget_limit, first_upload};
use crate::clock::{self, DateCache};
use crate::config::ServerConfig;
use crate::context::ConnContext;
use crate::deadline::Deadline;
use crate::framed::{RequestHead, ResponseHead, trailer_fields};
use crate::headers::Headers;
use crate::interim::{InterimPort, InterimReceiver};
use crate::io::Io;
use crate::outbox::Outbox;
use crate::outgoing::{Field, FieldSink, Framing, replacement, wants_info};
use crate::request::{Request, RequestInfo, Version};
use crate::response::{BodySource, Response, Trailers};
use crate::scratch::READ_BUFFER;
use crate::shutdown::Signal;
use crate::spares::{self, Spares};
use crate::turn::{EVENT_COST, Turn};

mod websocket;

/// Flush once this much is queued, even if more work is ready.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// HTTP/2 frames delimit the body, so trailers and a length go together;
/// fields are lowercased and the connection-specific ones dropped.
pub(crate) const HTTP2: Framing = Framing {
    trailers_need_unknown_length: false,
    field: h2_field,
};

/// Serves HTTP/2 on `io` until the connection ends. `initial` holds bytes
/// already read (the preface, when detected on the cleartext port).
///
/// Not an `async fn`, and `run` borrows the driver: a future keeps its
/// arguments apart from its locals, so either would hold the driver twice.
pub(crate) fn serve(
    io: impl Io,
    initial: BytesMut,
    context: ConnContext,
) -> impl Future<Output = io::Result<()>> {
    let mut serving = Serving::start(&context, clock::now());
    if !initial.is_empty() {
        // A connection error comes back as the first events' last one.
        serving.conn.recv_owned(clock::now(), initial);
    }
    let mut shell = Shell::new(io, context);
    async move { shell.run(serving).await }
}

thread_local! {
    /// Serving states of HTTP/2 connections with no open stream, for the next
    /// connection that wakes.
    static SPARE_STATES: Spares<Serving> = const { Spares::new() };
}

/// The protocol configuration the server's settings ask for, made once per
/// server and shared by its connections.
pub(crate) fn protocol_config(settings: &ServerConfig, app: &App) -> Config {
    let mut config = Config::server();
    config.local.max_concurrent_streams = Some(settings.limits.h2_max_concurrent_streams);
    config.local.max_header_list_size = Some(settings.limits.h2_max_header_list);
    config.limits.max_header_list_size = settings.limits.h2_max_header_list;
    config.keepalive_interval = settings.timeouts.h2_ping;
    // The windows never offer more than the body budget can hold.
    let budget_limit = body_budget_limit(&settings.limits);
    let fit = |window: u32| u32::try_from(budget_limit).map_or(window, |limit| window.min(limit));
    config.connection_window = fit(config.connection_window);
    config.local.initial_window_size = fit(config.local.initial_window_size);
    config.idle_timeout = Some(settings.timeouts.keep_alive);
    // The same deadlines as over HTTP/1.1: a request head (here a header
    // block, first frame to END_HEADERS) and each pause in a request body.
    config.header_block_timeout = Some(settings.timeouts.header_read);
    config.body_timeout = Some(settings.timeouts.body_read);
    // WebSocket over HTTP/2 (RFC 8441 §3), offered by an app that can open one.
    config.local.enable_connect_protocol = app.has_websocket_routes();
    config
}

/// Ids of streams whose futures asked to be polled again.
#[derive(Default)]
struct ReadyList {
    ids: Mutex<Vec<u32>>,
    task: Mutex<Option<Waker>>,
}

/// The waker a stream's handler and body see.
struct StreamWaker {
    id: u32,
    ready: Arc<ReadyList>,
}

impl Wake for StreamWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Ok(mut ids) = self.ready.ids.lock() {
            ids.push(self.id);
        }
        if let Ok(task) = self.ready.task.lock()
            && let Some(task) = task.as_ref()
        {
            task.wake_by_ref();
        }
    }
}

/// The channel handlers return flow-control credit through. Unbounded:
/// what is sent is bounded by the body bytes handed out.
struct Credit {
    tx: smol::channel::Sender<(u32, usize)>,
    rx: Pin<Box<Receiver<(u32, usize)>>>,
}

impl Credit {
    fn new() -> Self {
        let (tx, rx) = smol::channel::unbounded();
        Self {
            tx,
            rx: Box::pin(rx),
        }
    }

    /// Nothing waiting in it and no sender left but ours.
    fn is_unused(&self) -> bool {
        self.rx.is_empty() && self.tx.sender_count() == 1
    }
}

/// One request in progress.
struct StreamJob {
    waker: Waker,
    body_tx: Option<BodySender>,
    body_received: u64,
    /// Body bytes handed to the handler, counted against the connection's
    /// [`BodyBudget`] until the stream ends.
    held: u64,
    is_head: bool,
    /// An extended CONNECT (RFC 8441): DATA is tunnelled bytes, not a request
    /// body, so `max_body` does not apply and the bytes are credited as the
    /// tunnel's reader takes them rather than held against the body budget.
    tunnel: bool,
    phase: Phase,
}

enum Phase {
    /// The handler is running.
    Handler {
        future: BoxFuture,
        info: Option<RequestInfo>,
        /// The 1xx heads the handler sends before its response.
        interim: Option<InterimReceiver>,
    },
    /// Headers sent; body bytes flow as the windows allow. `pending` is
    /// data the windows could not take yet; `source` what is still to come
    /// (`None` once exhausted: then `pending` ends the stream).
    Sending {
        pending: Option<Bytes>,
        source: Option<BodySource>,
        trailers: Option<Trailers>,
    },
    /// The body is sent (without END_STREAM); the trailers end the stream.
    Trailers(Trailers),
    /// A WebSocket handler deciding whether to accept (RFC 8441).
    Upgrade(Box<crate::ws::connect::PendingWs>),
}

/// What the serving loop does once what is queued is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Flush,
    Close,
    /// Nothing in progress: wait idle.
    Idle,
}

/// What an HTTP/2 connection holds for its whole life: the socket, what it
/// shares with the server, its one timer and the shutdown signal. While no
/// stream is open it holds only this and a [`Parked`] protocol state; a
/// [`Serving`] comes from the worker's spares when bytes arrive.
struct Shell<S> {
    io: S,
    context: ConnContext,
    /// Set to the protocol's next deadline, or a write's.
    timer: Deadline,
    shutdown: Signal,
    /// The protocol state while the connection waits with no open stream.
    /// Kept here, not in a local of `run`: its future would hold it twice.
    parked: Option<Parked>,
}

/// What an HTTP/2 connection with no open stream and nothing queued
/// remembers (RFC 9113: settings, windows, HPACK tables, stream ids, timers).
struct Parked {
    conn: IdleConnection,
    /// The connection window as the [`BodyBudget`] counts it.
    body_window: u64,
}

/// The state of the streams in progress on one connection, and the
/// protocol's buffers: given back to the worker's spares while the
/// connection waits with no open stream.
struct Serving {
    conn: Connection,
    /// A clone of the shell's, for the handlers' requests (a spare keeps it:
    /// a worker serves one server).
    context: ConnContext,
    streams: HashMap<u32, StreamJob>,
    ready: Arc<ReadyList>,
    /// Streams to poll on this pass (woken, new, or given send capacity).
    to_poll: Vec<u32>,
    /// Flow-control credit: `(stream, bytes)` the handlers consumed. Made
    /// for the first request body, dropped when the connection goes idle.
    credit: Option<Credit>,
    /// What the handlers of this connection may hold of request bodies.
    budget: BodyBudget,
    /// WebSocket sessions on extended-CONNECT streams, by stream: polled like
    /// the stream's handler, and kept until they end, after the stream if need
    /// be (their handlers run on after the close).
    sessions: HashMap<u32, crate::ws::connect::Session>,
    out: Outbox,
    /// What to do once `out` is written, while it is being written.
    unflushed: Option<Step>,
    going_away: bool,
    peer_eof: bool,
    /// False after a short read: the socket is drained until the reactor
    /// says otherwise ([`Io::poll_read_hint`]).
    maybe_readable: bool,
    date: DateCache,
    /// Work since the executor last had a turn.
    turn: Turn,
    /// The 1xx queues of this connection's requests, made with the first request
    /// when the app sends 1xx responses.
    interim: Option<InterimPort>,
}

impl<S: Io> Shell<S> {
    fn new(io: S, context: ConnContext) -> Self {
        Self {
            io,
            shutdown: Signal::new(&context.shared.shutdown),
            context,
            timer: Deadline::new(),
            parked: None,
        }
    }

    /// Alternates between serving and waiting idle. The serving loop is
    /// polled from here with no future of its own; while the connection
    /// waits with no open stream, its serving state is parked and given
    /// back, and only what the protocol must remember stays here.
    async fn run(&mut self, mut serving: Box<Serving>) -> io::Result<()> {
        loop {
            if poll_fn(|cx| serving.poll_serve(self, cx)).await? != Step::Idle {
                drop(serving);
                let _ = self.io.close().await;
                return Ok(());
            }
            serving = match self.park(serving) {
                Ok(()) => {
                    poll_fn(|cx| self.poll_parked(cx)).await;
                    let Some(parked) = self.parked.take() else {
                        return Ok(());
                    };
                    Serving::resume(&self.context, parked)
                }
                // A handler still holds a request body that could credit
                // this connection: it waits with its serving state.
                Err(mut serving) => {
                    serving.shrink_when_idle();
                    poll_fn(|cx| serving.poll_idle(self, cx)).await;
                    serving
                }
            };
        }
    }

    /// Parks the connection and gives its serving state back, if nothing
    /// in progress needs it; otherwise hands it back.
    fn park(&mut self, mut serving: Box<Serving>) -> Result<(), Box<Serving>> {
        let Some(parked) = serving.park() else {
            return Err(serving);
        };
        serving.give_back();
        self.parked = Some(parked);
        Ok(())
    }

    /// Waits, parked, until there may be bytes to read, the protocol's
    /// next deadline passes, or shutdown begins.
    fn poll_parked(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.io.poll_read_hint(cx).is_ready() {
            return Poll::Ready(());
        }
        let until = self
            .parked
            .as_ref()
            .and_then(|parked| parked.conn.poll_timeout());
        if let Some(until) = until
            && self.timer.poll_until(until, cx).is_ready()
        {
            return Poll::Ready(());
        }
        if self.shutdown.poll_raised(cx) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Serving {
    fn new(conn: Connection, context: &ConnContext) -> Self {
        let budget_limit = body_budget_limit(&context.shared.config.limits);
        let budget = BodyBudget::new(budget_limit, conn.config().connection_window);
        Self {
            conn,
            context: context.clone(),
            streams: HashMap::new(),
            ready: Arc::new(ReadyList::default()),
            to_poll: Vec::new(),
            credit: None,
            budget,
            sessions: HashMap::new(),
            out: Outbox::new(),
            unflushed: None,
            going_away: false,
            peer_eof: false,
            maybe_readable: true,
            date: DateCache::default(),
            turn: Turn::default(),
            interim: None,
        }
    }

    /// The serving state of a new connection of `context`, a spare if the
    /// worker has one.
    fn start(context: &ConnContext, now: Instant) -> Box<Self> {
        let conn = Connection::new(now, context.shared.h2_config.clone());
        match spares::take(&SPARE_STATES) {
            Some(mut serving) => {
                let budget_limit = body_budget_limit(&context.shared.config.limits);
                serving.budget = BodyBudget::new(budget_limit, conn.config().connection_window);
                serving.conn = conn;
                serving.reset(context);
                serving
            }
            None => Box::new(Self::new(conn, context)),
        }
    }

    /// The serving state of a parked connection that woke, a spare if the
    /// worker has one.
    fn resume(context: &ConnContext, parked: Parked) -> Box<Self> {
        let budget_limit = body_budget_limit(&context.shared.config.limits);
        let budget = BodyBudget::resume(budget_limit, parked.body_window);
        let mut serving = match spares::take(&SPARE_STATES) {
            Some(mut serving) => {
                serving.conn.resume(parked.conn);
                serving.reset(context);
                serving
            }
            None => Box::new(Self::new(parked.conn.into_connection(), context)),
        };
        serving.budget = budget;
        serving
    }

    /// What a spare must not carry over from the connection it served.
    fn reset(&mut self, context: &ConnContext) {
        self.context = context.clone();
        self.unflushed = None;
        self.going_away = false;
        self.peer_eof = false;
        self.maybe_readable = true;
        self.turn = Turn::default();
    }

    /// The protocol state to keep while the connection waits with no open
    /// stream; `None` while anything in progress needs the serving state.
    fn park(&mut self) -> Option<Parked> {
        if !self.credit.as_ref().is_none_or(Credit::is_unused) || !self.sessions.is_empty() {
            return None;
        }
        let body_window = self.budget.idle_window()?;
        let conn = self.conn.park()?;
        Some(Parked { conn, body_window })
    }

    /// Gives a parked connection's serving state to the worker's spares. It
    /// keeps its capacity (the spare connection's queues, the maps), so that
    /// a connection that goes idle between bursts of streams takes it back
    /// without allocating; only an outbox grown past an ordinary exchange
    /// is trimmed.
    fn give_back(mut self: Box<Self>) {
        self.out.trim_when_empty();
        self.credit = None;
        // A waker a handler kept past its stream must not reach the next
        // connection's task, nor keep this one's alive.
        if Arc::strong_count(&self.ready) == 1 {
            if let Ok(mut task) = self.ready.task.lock() {
                *task = None;
            }
        } else {
            self.ready = Arc::new(ReadyList::default());
        }
        spares::give_back(&SPARE_STATES, self);
    }

    /// Serves until the connection closes or has no stream open, nothing
    /// to write and nothing to read, writing what is queued before each of
    /// these (and whenever the work in between queued enough).
    fn poll_serve<S: Io>(
        &mut self,
        shell: &mut Shell<S>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Step>> {
        loop {
            if let Some(step) = self.unflushed {
                let timeout = shell.context.shared.config.timeouts.body_read;
                ready!(
                    self.out
                        .poll_write_within(&mut shell.io, cx, timeout, &mut shell.timer)
                )?;
                self.unflushed = None;
                if step != Step::Flush {
                    return Poll::Ready(Ok(step));
                }
            }
            let step = ready!(self.poll_progress(shell, cx))?;
            self.collect_transmit();
            self.unflushed = Some(step);
        }
    }

    /// Frees what the connection kept for its next streams, as it starts
    /// waiting with none open: many such connections should hold no buffers.
    fn shrink_when_idle(&mut self) {
        self.conn.shrink_when_idle();
        self.out.trim_when_empty();
        self.streams = HashMap::new();
        self.to_poll = Vec::new();
        // Unless a handler still holds a request body that could credit.
        if self.credit.as_ref().is_some_and(Credit::is_unused) {
            self.credit = None;
        }
        if let Ok(mut ids) = self.ready.ids.lock()
            && ids.is_empty()
        {
            *ids = Vec::new();
        }
    }

    /// Waits idle, not parked, until there may be bytes to read, a protocol
    /// timer is due (it has fired when this returns), or shutdown began.
    fn poll_idle<S: Io>(&mut self, shell: &mut Shell<S>, cx: &mut Context<'_>) -> Poll<()> {
        self.register_task(cx);
        if shell.io.poll_read_hint(cx).is_ready() {
            self.maybe_readable = true;
            return Poll::Ready(());
        }
        if self.poll_timer(shell, cx) || shell.shutdown.poll_raised(cx) {
            return Poll::Ready(());
        }
        if self.ready.ids.lock().is_ok_and(|ids| !ids.is_empty()) {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// No stream open, nothing to write, and the stream drained (a short
    /// read), so a readiness wake-up brings the connection back.
    fn is_idle<S>(&self, shell: &Shell<S>) -> bool {
        self.streams.is_empty()
            && self.sessions.is_empty()
            && self.to_poll.is_empty()
            && self.out.len() == 0
            && self.conn.pending_transmit() == 0
            && !self.maybe_readable
            && !self.peer_eof
            && !shell.shutdown.has_fired()
    }

    fn poll_progress<S: Io>(
        &mut self,
        shell: &mut Shell<S>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Step>> {
        self.register_task(cx);
        if shell.shutdown.poll_raised(cx) && !self.going_away {
            self.going_away = true;
            self.conn.goaway(
                clock::now(),
                ErrorCode::NO_ERROR,
                Bytes::from_static(b"shutdown"),
            );
        }
        loop {
            if self.turn.poll_yield(cx).is_pending() {
                return Poll::Pending;
            }
            let mut progressed = false;

            // 1. Protocol events.
            while let Some(event) = self.conn.poll_event() {
                progressed = true;
                self.turn.charge(EVENT_COST);
                self.on_event(event);
            }

            // 2. Credit for consumed request bodies.
            //    The budget may hold some back until a stream ends.
            if let Some(credit) = self.credit.as_mut() {
                while let Poll::Ready(Some((id, n))) = credit.rx.as_mut().poll_next(cx) {
                    if let Some((id, n)) = self.budget.consumed(id, n) {
                        self.conn.release_capacity(StreamId::new(id), n);
                    }
                    progressed = true;
                }
            }
            while let Some(owed) = self.budget.next_owed() {
                let stream = StreamId::new(owed.stream);
                if owed.lent {
                    self.conn.release_stream_capacity(stream, owed.octets);
                } else {
                    self.conn.release_capacity(stream, owed.octets);
                }
                progressed = true;
            }
            if self.budget.owes()
                && let Some(first) = self.first_upload()
            {
                // The oldest upload proceeds whatever the budget holds.
                if let Some((own, connection)) = self.budget.release_first(first) {
                    self.conn.release_stream_capacity(StreamId::new(first), own);
                    self.conn.release_connection_capacity(connection);
                    progressed = true;
                } else if self.conn.connection_recv_window() <= 0 {
                    let lent = self
                        .budget
                        .lend_connection(self.conn.config().connection_window as usize);
                    self.conn.release_connection_capacity(lent);
                    progressed |= lent > 0;
                }
            }

            // 3. Streams that were woken, are new, or got capacity.
            if let Ok(mut ids) = self.ready.ids.lock() {
                self.to_poll.append(&mut ids);
            }
            if !self.to_poll.is_empty() {
                progressed = true;
                let mut ids = std::mem::take(&mut self.to_poll);
                ids.sort_unstable();
                ids.dedup();
                self.turn.charge(EVENT_COST.saturating_mul(ids.len()));
                for id in ids.drain(..) {
                    self.poll_stream(id);
                }
                // Streams may have queued themselves again while being polled.
                let requeued = std::mem::replace(&mut self.to_poll, ids);
                self.to_poll.extend(requeued);
            }

            self.collect_transmit();
            if self.conn.is_closed() {
                return Poll::Ready(Ok(Step::Close));
            }
            if progressed {
                if self.out.len() >= FLUSH_THRESHOLD {
                    return Poll::Ready(Ok(Step::Flush));
                }
                continue;
            }
            if self.out.len() > 0 {
                return Poll::Ready(Ok(Step::Flush));
            }

            // 4. Wait: bytes, a protocol timer, or a stream (registered above).
            if !self.peer_eof && self.readable_now(shell, cx) {
                let buffers = &shell.context.shared.read_buffers;
                let conn = &mut self.conn;
                // A connection error queues the GOAWAY (it goes out with the
                // next flush) and ends the events with `ConnectionLost`.
                let read = buffers.poll_read(&mut shell.io, cx, |data| {
                    conn.recv(clock::now(), data);
                });
                match read {
                    Poll::Ready(Ok(0)) => {
                        self.peer_eof = true;
                        self.conn.recv_eof(clock::now());
                        continue;
                    }
                    Poll::Ready(Ok(n)) => {
                        self.maybe_readable = n == READ_BUFFER;
                        self.turn.charge(n);
                        continue;
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    // The socket is drained. Unless the stream cannot tell
                    // (TLS buffers its own), note it, or a connection whose
                    // first frames came in the preface sniff's read would
                    // never count as idle and would keep its serving state.
                    Poll::Pending => self.maybe_readable = shell.io.poll_read_hint(cx).is_ready(),
                }
            }
            if self.poll_timer(shell, cx) {
                continue;
            }
            if !self.going_away && shell.shutdown.poll_raised(cx) {
                self.going_away = true;
                self.conn.goaway(
                    clock::now(),
                    ErrorCode::NO_ERROR,
                    Bytes::from_static(b"shutdown"),
                );
                continue;
            }
            if self.peer_eof && self.streams.is_empty() {
                return Poll::Ready(Ok(Step::Close));
            }
            self.turn.end();
            if self.is_idle(shell) {
                return Poll::Ready(Ok(Step::Idle));
            }
            return Poll::Pending;
        }
    }

    /// Whether to attempt a read: always, unless the last one drained the
    /// socket and the reactor has not reported new bytes since.
    fn readable_now<S: Io>(&mut self, shell: &mut Shell<S>, cx: &mut Context<'_>) -> bool {
        if !self.maybe_readable && shell.io.poll_read_hint(cx).is_ready() {
            self.maybe_readable = true;
        }
        self.maybe_readable
    }

    fn register_task(&self, cx: &Context<'_>) {
        if let Ok(mut task) = self.ready.task.lock() {
            match task.as_ref() {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => *task = Some(cx.waker().clone()),
            }
        }
    }

    /// Fires the protocol's timers when due; true if it did.
    fn poll_timer<S>(&mut self, shell: &mut Shell<S>, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.conn.poll_timeout() else {
            return false;
        };
        if shell.timer.poll_until(deadline, cx).is_pending() {
            return false;
        }
        self.conn.handle_timeout(clock::now());
        true
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Headers {
                stream,
                headers,
                end_stream,
                kind:
                    HeadersKind::Request {
                        content_length,
                        is_head,
                        ..
                    },
            } => self.start_request(stream, headers, end_stream, content_length, is_head),
            Event::Headers {
                stream,
                kind: HeadersKind::Trailers,
                ..
            } => {
                if let Some(job) = self.streams.get_mut(&u32::from(stream)) {
                    job.body_tx = None;
                }
            }
            Event::Data {
                stream,
                data,
                end_stream,
                flow_len,
            } => self.on_data(stream, data, end_stream, flow_len),
            Event::StreamReset { stream, code, by } => {
                if let Some(job) = self.remove_stream(u32::from(stream)) {
                    if let Some(tx) = job.body_tx {
                        let _ = tx.try_send(Err(BodyError::Reset));
                    }
                    if by == Initiator::Remote {
                        tracing::debug!(%stream, ?code, "stream reset by the client");
                    }
                }
            }
            Event::BodyTimeout { stream } => self.body_timed_out(stream),
            Event::SendCapacity { stream } => {
                tracing::trace!(%stream, "send capacity");
                self.to_poll.push(u32::from(stream));
            }
            Event::ConnectionLost(error) => {
                tracing::debug!(peer = ?self.context.peer, %error, "HTTP/2 connection lost");
                self.streams.clear();
            }
            _ => {}
        }
    }

    fn on_data(&mut self, stream: StreamId, data: Bytes, end_stream: bool, flow_len: usize) {
        let id = u32::from(stream);
        let max_body = self.context.shared.config.limits.max_body;
        let Some(job) = self.streams.get_mut(&id) else {
            self.budget.received(flow_len, 0);
            self.budget.release_unheld(flow_len);
            self.conn.release_capacity(stream, flow_len);
            return;
        };
        let len = data.len();
        job.body_received = job.body_received.saturating_add(len as u64);
        let too_large = !job.tunnel && job.body_received > max_body;
        let delivered = match (&job.body_tx, too_large) {
            (Some(tx), false) => tx.try_send(Ok(data)).is_ok(),
            _ => false,
        };
        let taken = if delivered { len } else { 0 };
        // A tunnel's reader keeps nothing it took (its protocol bounds itself).
        let held = if job.tunnel { 0 } else { taken };
        job.held += held as u64;
        self.budget.received(flow_len, held);
        // Padding, and data nobody will read, are credited at once.
        let unheld = flow_len - taken;
        if unheld > 0 {
            self.budget.release_unheld(unheld);
            self.conn.release_capacity(stream, unheld);
        }
        if end_stream {
            job.body_tx = None;
        }
        if too_large {
            self.refuse_too_large(stream);
        }
    }

    /// The body grew past `max_body`: answer 413 if the handler has not
    /// answered, and stop the upload (RFC 9113 §8.1: a complete response,
    /// then RST_STREAM NO_ERROR).
    fn refuse_too_large(&mut self, stream: StreamId) {
        let id = u32::from(stream);
        let answered = match self.streams.get_mut(&id) {
            Some(job) => {
                job.body_tx = None;
                !matches!(job.phase, Phase::Handler { .. })
            }
            None => return,
        };
        if answered {
            self.remove_stream(id);
            let _ = self
                .conn
                .reset_stream(clock::now(), stream, ErrorCode::CANCEL);
        } else {
            // Without a body: the response must be complete (END_STREAM) before the
            // reset, or the client sees an aborted stream instead of the 413.
            self.respond(id, Response::new(413), None);
            self.remove_stream(id);
            let _ = self
                .conn
                .reset_stream(clock::now(), stream, ErrorCode::NO_ERROR);
        }
    }

    /// The upload that proceeds whatever the budget holds ([`first_upload`]).
    fn first_upload(&self) -> Option<u32> {
        first_upload(self.streams.iter().map(|(&id, job)| {
            let state = UploadState {
                tunnel: job.tunnel,
                held: job.held,
                arriving: job.body_tx.is_some(),
            };
            (id, state)
        }))
    }

    /// Forgets a stream: its handler's body bytes leave the budget.
    fn remove_stream(&mut self, id: u32) -> Option<StreamJob> {
        let job = self.streams.remove(&id)?;
        self.budget.stream_ended(job.held);
        Some(job)
    }

    /// The client paused its upload longer than the body timeout before we
    /// answered: the handler's body ends with [`BodyError::Timeout`], and
    /// the client gets a 408 (RFC 9110 §15.5.9), then RST_STREAM(NO_ERROR)
    /// stops the rest of the upload (RFC 9113 §8.1).
    fn body_timed_out(&mut self, stream: StreamId) {
        let id = u32::from(stream);
        let Some(job) = self.streams.get_mut(&id) else {
            return;
        };
        tracing::debug!(peer = ?self.context.peer, %stream, "request body timeout");
        if let Some(tx) = job.body_tx.take() {
            let _ = tx.try_send(Err(BodyError::Timeout));
        }
        // A response already under way cannot become a 408: the stream is
        // cancelled instead (RFC 9113 §8.1).
        let code = if matches!(job.phase, Phase::Handler { .. } | Phase::Upgrade(_)) {
            self.respond(id, Response::status_page(408), None);
            ErrorCode::NO_ERROR
        } else {
            ErrorCode::CANCEL
        };
        self.remove_stream(id);
        let _ = self.conn.reset_stream(clock::now(), stream, code);
    }

    fn start_request(
        &mut self,
        stream: StreamId,
        fields: Vec<Header>,
        end_stream: bool,
        declared: Option<u64>,
        is_head: bool,
    ) {
        let id = u32::from(stream);
        let shared = self.context.shared.clone();
        let RequestHead {
            method,
            path,
            headers,
            protocol,
        } = RequestHead::new(fields);
        let waker = Waker::from(Arc::new(StreamWaker {
            id,
            ready: self.ready.clone(),
        }));
        let mut job = StreamJob {
            waker,
            body_tx: None,
            body_received: 0,
            held: 0,
            is_head,
            tunnel: protocol.is_some(),
            phase: Phase::Sending {
                pending: None,
                source: None,
                trailers: None,
            },
        };
        if path.is_empty() {
            // CONNECT (no :path) is not something this server does.
            self.streams.insert(id, job);
            self.respond(id, Response::status_page(501), None);
            return;
        }
        if declared.is_some_and(|n| n > shared.config.limits.max_body) {
            self.streams.insert(id, job);
            // Complete (no body, so END_STREAM at once) before the reset below.
            self.respond(id, Response::new(413), None);
            if !end_stream {
                let _ = self
                    .conn
                    .reset_stream(clock::now(), stream, ErrorCode::NO_ERROR);
                self.remove_stream(id);
            }
            return;
        }
        let body = if end_stream {
            Body::empty()
        } else {
            let credit = self.credit.get_or_insert_with(Credit::new);
            let (tx, body) = Body::channel_with_credit(id, credit.tx.clone());
            job.body_tx = Some(tx);
            body
        };
        let mut request =
            Request::from_parts(method, path, headers, Version::H2, body, self.context.peer);
        request.tls = self.context.tls_info.clone();
        let info = wants_info(&shared.app).then(|| RequestInfo::of(&request));
        if let Some(protocol) = protocol {
            self.start_extended_connect(id, job, &protocol, request, info);
            return;
        }
        match shared.app.route_request(&mut request).http_only() {
            Ok(handler) => {
                let interim = shared.app.sends_interim().then(|| {
                    let (tx, rx) = self.interim.get_or_insert_with(InterimPort::default).open();
                    request.interim = Some(tx);
                    rx
                });
                job.phase = Phase::Handler {
                    future: handler.call(request),
                    info,
                    interim,
                };
                self.streams.insert(id, job);
                self.to_poll.push(id);
            }
            Err(mut response) => {
                drop(request);
                job.body_tx = None;
                if let Some(info) = &info {
                    shared.app.finish(info, &mut response);
                }
                self.streams.insert(id, job);
                self.respond(id, *response, info.as_ref());
            }
        }
    }

    /// Polls a stream's handler or response body, and its WebSocket session.
    fn poll_stream(&mut self, id: u32) {
        self.poll_session(id);
        let Some(job) = self.streams.get_mut(&id) else {
            return;
        };
        let waker = job.waker.clone();
        let mut cx = Context::from_waker(&waker);
        if matches!(job.phase, Phase::Upgrade(_)) {
            self.poll_upgrade(id, &mut cx);
        }
        let Some(job) = self.streams.get_mut(&id) else {
            return;
        };
        if let Phase::Handler {
            future,
            info,
            interim,
        } = &mut job.phase
        {
            let mut heads = Vec::new();
            if let Some(interim) = interim {
                while let Poll::Ready(head) = interim.poll_next(&mut cx) {
                    heads.push(head);
                }
            }
            let ready = crate::app::poll_handler(future, &mut cx);
            if ready.is_ready() {
                // Heads sent in the same turn as the response still precede it.
                heads.extend(interim.take().map(|rx| rx.drain()).unwrap_or_default());
            }
            let info = if ready.is_ready() { info.take() } else { None };
            for head in heads {
                self.send_interim(id, head);
            }
            let Poll::Ready(mut response) = ready else {
                return;
            };
            if let Some(info) = &info {
                self.context.shared.app.finish(info, &mut response);
            }
            self.respond(id, response, info.as_ref());
        }
        self.pump_body(id, &mut cx);
    }

    /// Sends a 1xx head the handler made before its response (RFC 9113 §8.1: a
    /// HEADERS frame without END_STREAM, any number of them before the final one).
    /// One whose fields cannot go on the wire is dropped: it is advice, and the
    /// final response still follows.
    fn send_interim(&mut self, id: u32, (status, headers): (u16, Headers)) {
        let mut digits = itoa::Buffer::new();
        let mut fields = vec![Header::new(
            Bytes::from_static(b":status"),
            Bytes::copy_from_slice(digits.format(status).as_bytes()),
        )];
        fields.extend(
            headers
                .iter()
                .filter_map(|(name, value)| h2_field((name.clone(), value.clone())))
                .map(|(name, value)| Header::new(name, value)),
        );
        if let Err(error) = self.conn.send_headers(StreamId::new(id), &fields, false) {
            tracing::debug!(%error, status, "informational response not sent");
        }
    }

    /// Sends the response head, and queues its body for [`pump_body`](Self::pump_body).
    fn respond(&mut self, id: u32, response: Response, info: Option<&RequestInfo>) {
        let stream = StreamId::new(id);
        let Some(job) = self.streams.get_mut(&id) else {
            return;
        };
        let head = ResponseHead::new(
            response,
            job.is_head,
            &mut self.date,
            self.context.response_defaults(),
        );
        let status = head.status;
        if let Some(info) = info {
            info.log_access(self.context.peer, status, Some(id));
        }
        let end_stream = head.ends_stream();
        let ResponseHead {
            fields,
            full: pending,
            source,
            trailers,
            ..
        } = head;
        if let Err(error) = self.conn.send_headers(stream, &fields, end_stream) {
            // The handler made a field that cannot go on the wire (RFC 9113
            // §8.2.1, e.g. CR or LF in a value).
            if error == SendError::InvalidHeader
                && let Some(page) = replacement(status, &error)
            {
                self.respond(id, page, None);
                return;
            }
            tracing::debug!(%stream, %error, "sending response headers");
            self.remove_stream(id);
            let _ = self
                .conn
                .reset_stream(clock::now(), stream, ErrorCode::INTERNAL_ERROR);
            return;
        }
        if end_stream {
            self.remove_stream(id);
        } else {
            job.phase = Phase::Sending {
                pending,
                source,
                trailers,
            };
            self.to_poll.push(id);
        }
    }

    /// Moves response body bytes into the connection until the windows close
    /// or the source has nothing ready.
    fn pump_body(&mut self, id: u32, cx: &mut Context<'_>) {
        let stream = StreamId::new(id);
        loop {
            let Some(job) = self.streams.get_mut(&id) else {
                return;
            };
            let phase = match &mut job.phase {
                Phase::Sending {
                    pending: None,
                    source: None,
                    trailers,
                } => match trailers.take() {
                    Some(trailers) => {
                        job.phase = Phase::Trailers(trailers);
                        continue;
                    }
                    None => return,
                },
                Phase::Trailers(trailers) => {
                    let Poll::Ready(fields) = trailers.poll(cx) else {
                        return;
                    };
                    self.remove_stream(id);
                    self.send_trailers(stream, fields);
                    return;
                }
                phase => phase,
            };
            let Phase::Sending {
                pending,
                source,
                trailers,
            } = phase
            else {
                return;
            };
            if let Some(data) = pending.take() {
                let end = source.is_none() && trailers.is_none();
                if !end && data.is_empty() {
                    // An empty chunk only matters when it carries END_STREAM.
                    continue;
                }
                let sent = self.conn.send_data(stream, data.clone(), end);
                if let Ok(n) = sent {
                    self.turn.charge(n);
                }
                tracing::trace!(%stream, len = data.len(), end, ?sent, "send_data");
                match sent {
                    Ok(n) if n == data.len() => {
                        if end {
                            self.remove_stream(id);
                            return;
                        }
                    }
                    Ok(n) => {
                        // The windows took part of it; the rest waits for capacity.
                        *pending = Some(data.slice(n..));
                        return;
                    }
                    Err(http2_proto::SendError::Blocked) => {
                        *pending = Some(data);
                        return;
                    }
                    Err(error) => {
                        // The stream is gone (reset by the peer, connection closing),
                        // or the body broke its own head (more or less than its
                        // content-length): end the stream rather than leave it open.
                        tracing::debug!(%stream, %error, "sending response body");
                        self.remove_stream(id);
                        let _ =
                            self.conn
                                .reset_stream(clock::now(), stream, ErrorCode::INTERNAL_ERROR);
                        return;
                    }
                }
                if self.out.len() + self.conn.pending_transmit() >= FLUSH_THRESHOLD {
                    // Let the socket catch up; the ready list brings us back.
                    self.to_poll.push(id);
                    return;
                }
                continue;
            }
            let Some(body) = source else {
                return;
            };
            match body.poll_chunk(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    if body.is_exhausted() {
                        // Send the end with this chunk, not in an empty DATA frame.
                        *source = None;
                        *pending = Some(chunk);
                    } else if !chunk.is_empty() {
                        *pending = Some(chunk);
                    }
                }
                Poll::Ready(None) => {
                    *source = None;
                    *pending = Some(Bytes::new());
                }
                Poll::Ready(Some(Err(error))) => {
                    tracing::debug!(%stream, %error, "response body failed");
                    self.remove_stream(id);
                    let _ = self
                        .conn
                        .reset_stream(clock::now(), stream, ErrorCode::INTERNAL_ERROR);
                    return;
                }
                Poll::Pending => return,
            }
        }
    }

    /// Ends the stream with a trailing HEADERS frame (RFC 9113 §8.1).
    fn send_trailers(&mut self, stream: StreamId, fields: Headers) {
        if let Err(error) = self.conn.send_trailers(stream, &trailer_fields(fields)) {
            // Invalid trailer fields: the body is complete but the message
            // cannot end as the handler asked; reset rather than pretend.
            tracing::debug!(%stream, %error, "sending trailers");
            let _ = self
                .conn
                .reset_stream(clock::now(), stream, ErrorCode::INTERNAL_ERROR);
        }
    }

    fn collect_transmit(&mut self) {
        while let Some(bytes) = self.conn.poll_transmit() {
            self.out.push(bytes);
        }
    }
}

/// A response head's fields as HTTP/2 sends them: `:status` first, filled
/// in once the status is known.
pub(crate) struct H2Fields(pub(crate) Vec<Header>);

impl FieldSink for H2Fields {
    fn reserve(&mut self, n: usize) {
        self.0.reserve(n + 1);
        if self.0.is_empty() {
            self.0
                .push(Header::new(Bytes::from_static(b":status"), Bytes::new()));
        }
    }

    fn push(&mut self, name: Bytes, value: Bytes) {
        self.0.push(Header::new(name, value));
    }
}

/// A handler's field as HTTP/2 sends it: the name lowercased, the value without the
/// whitespace around it (not part of the value, RFC 9110 §5.5, and not allowed there over
/// HTTP/2, RFC 9113 §8.2.1, where a handler's `"text/plain "` would otherwise cost the
/// whole response), and `None` for the connection-specific fields HTTP/2 forbids
/// (RFC 9113 §8.2.2).
pub(crate) fn h2_field((name, value): Field) -> Option<Field> {
    if is_connection_specific(&name, &value) {
        return None;
    }
    let trimmed = value.slice_ref(trim_ows(&value));
    Some((lowercase(name), trimmed))
}

/// HTTP/2 field names are lowercase (RFC 9113 §8.2.1); handlers may write
/// them in any case.
fn lowercase(name: Bytes) -> Bytes {
    if name.iter().any(u8::is_ascii_uppercase) {
        Bytes::from(name.to_ascii_lowercase())
    } else {
        name
    }
}
