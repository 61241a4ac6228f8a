//! The HTTP/1.1 driver: one loop per connection over `http1_proto::Connection`.
//!
//! Everything that can progress without waiting is done inside one poll
//! ([`Serving::poll_progress`]): protocol events are drained, the request body is
//! fed to the handler, the handler and the response body are polled, and the
//! next pipelined request is started. Only when nothing moves does the loop
//! flush what was queued (one vectored write for a whole pipeline burst) and
//! wait for exactly one thing: bytes, the handler, a deadline, or shutdown.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_lite::AsyncWriteExt;
use http1_proto::{
    Config, Connection, Event, RecvError, RequestHead, ResponseHead, State, Timeouts,
};
use smol::channel::TrySendError;

use crate::app::{BoxFuture, Routed};
use crate::body::{Body, BodyError, BodySender};
use crate::clock::{self, DateCache};
use crate::config::ServerConfig;
use crate::context::ConnContext;
use crate::deadline::Deadline;
use crate::headers::Headers;
use crate::interim::{InterimPort, InterimReceiver};
use crate::io::{Io, with_timeout};
use crate::outbox::Outbox;
use crate::outgoing::{FieldSink, Framing, Outgoing, OutgoingBody, replacement, wants_info};
use crate::request::{Request, RequestInfo, Version};
use crate::response::{BodySource, Response, ResponseBody, Trailers};
use crate::scratch::READ_BUFFER;
use crate::shutdown::Signal;
use crate::spares::{self, Spares};
use crate::turn::{EVENT_COST, Turn};
use crate::ws;
use crate::ws::http1::{Outcome, PendingUpgrade};
use crate::ws::session::SessionSeed;

/// HTTP/1.1 keeps a handler's fields as they are; trailers need chunked
/// coding, so they rule out an announced length (RFC 9112 §7.1.2).
const HTTP1: Framing = Framing {
    trailers_need_unknown_length: true,
    field: Some,
};

/// Flush once this much is queued, even if more responses are ready.
const FLUSH_THRESHOLD: usize = 64 * 1024;
/// After an error response, how long and how much we keep reading (and
/// discarding) so the client sees the response instead of a reset.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 256 * 1024;

thread_local! {
    /// Serving states of idle keep-alive connections, for the next that wakes.
    static SPARE_STATES: Spares<Serving> = const { Spares::new() };
}

/// Serves HTTP/1.1 on `io` until the connection ends. `initial` holds bytes
/// already read (by the h2c preface check).
///
/// Not an `async fn`, and `run` borrows the connection: a future keeps its
/// arguments apart from its locals, so either would hold it twice.
pub(crate) fn serve(
    io: impl Io,
    initial: BytesMut,
    context: ConnContext,
) -> impl Future<Output = io::Result<()>> {
    let now = clock::now();
    let mut serving = Serving::take(&context, now);
    if !initial.is_empty() {
        serving.conn.recv_owned(now, initial);
    }
    let mut shell = Shell::new(io, context);
    async move {
        let Some(mut serving) = shell.run(serving).await? else {
            return Ok(());
        };
        // The session continues this connection's fair turn.
        let turn = std::mem::take(&mut serving.turn);
        let Some((conn, seed)) = serving.into_session() else {
            return Ok(());
        };
        let Shell { io, context, .. } = shell;
        // The bytes after the request are the WebSocket's (RFC 6455 §4.1). Boxed: only
        // an upgraded connection carries the session's size.
        let (received, peer_eof) = conn.into_parts();
        Box::pin(ws::session::serve(
            io, received, peer_eof, seed, context, turn,
        ))
        .await
    }
}

/// What the serving loop asks of its async caller, once what is queued is
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Continue serving.
    Flush,
    /// Close.
    Close,
    /// Close after a short linger: an error response went out while the
    /// client may still be sending.
    CloseAfterError,
    /// Nothing in progress: wait for the next request.
    Idle,
    /// Write what is queued (the 101), then hand the connection to WebSocket.
    Upgrade,
}

/// Why an idle connection stopped waiting.
enum Wake {
    /// Bytes may have arrived (or the end of the stream).
    Readable,
    /// The keep-alive deadline passed, or shutdown began: close.
    Close,
}

/// Queues a 1xx head the handler sent. One the protocol refuses (any 1xx to an
/// HTTP/1.0 client, RFC 9110 §15.2) is dropped: it is advice, and the final
/// response still follows.
fn send_interim(conn: &mut Connection, (status, headers): (u16, Headers)) {
    let mut head = ResponseHead::new(status);
    for (name, value) in headers.iter() {
        head.headers.append(name.clone(), value.clone());
    }
    if let Err(error) = conn.send_informational(&head) {
        tracing::debug!(%error, status, "informational response not sent");
    }
}

/// The request/response exchange in progress.
enum Job {
    /// Waiting for a request.
    Idle,
    /// The handler is running.
    Handler {
        future: BoxFuture,
        info: Option<RequestInfo>,
        /// The 1xx heads the handler sends before its response.
        interim: Option<InterimReceiver>,
    },
    /// The response head is sent; its body is being produced, and trailers
    /// may follow it.
    Body(BodySource, Option<Trailers>),
    /// The body is sent; the trailers are being produced.
    Trailers(Trailers),
    /// Our response is complete; the request body may still be arriving.
    Finished,
    /// A WebSocket route's handler is deciding whether to accept.
    Upgrade {
        pending: PendingUpgrade,
        info: Option<RequestInfo>,
    },
    /// The 101 is queued: the connection is the WebSocket session's once it is written.
    Switched(SessionSeed),
}

/// What a connection holds for its whole life, serving or idle: the socket,
/// what it shares with the server, its one timer and the shutdown signal.
/// An idle keep-alive connection is only this (and its task); everything
/// else is in a [`Serving`] it takes when bytes arrive.
struct Shell<S> {
    io: S,
    context: ConnContext,
    /// Set to the protocol's deadline (`poll_timeout`: head read, body
    /// read, keep-alive idle) or a write's, read again each wait.
    timer: Deadline,
    shutdown: Signal,
}

/// The state of the exchanges in progress on one connection. HTTP/1.1 has
/// none to carry between a response and the next request (RFC 9112 §9.3),
/// so a connection that goes idle gives this back to its worker's pool and
/// takes one again when the next request's bytes arrive.
struct Serving {
    conn: Connection,
    job: Job,
    /// The handler's end of the request body, while it is arriving.
    body_tx: Option<BodySender>,
    /// A body chunk waiting for room in the handler's channel. While it is
    /// there no further events are taken, so the socket is not read: a slow
    /// handler slows the client down.
    pending_send: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// Request body bytes received in this cycle (for `max_body`).
    body_received: u64,
    /// Bytes to write, in order.
    out: Outbox,
    /// What to do once `out` is written, while it is being written.
    unflushed: Option<Step>,
    /// Whether the current request is HEAD (its response body is skipped).
    request_is_head: bool,
    /// Close after the current response (shutdown, or the peer closed).
    closing: bool,
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

/// The protocol configuration the server's settings ask for.
fn protocol_config(config: &ServerConfig) -> Config {
    Config {
        limits: http1_proto::Limits {
            max_head_bytes: config.limits.max_head,
            max_headers: config.limits.max_headers,
            ..http1_proto::Limits::default()
        },
        timeouts: Timeouts {
            head: Some(config.timeouts.header_read),
            body: Some(config.timeouts.body_read),
            keep_alive: Some(config.timeouts.keep_alive),
        },
        ..Config::server()
    }
}

impl<S: Io> Shell<S> {
    fn new(io: S, context: ConnContext) -> Self {
        Self {
            io,
            shutdown: Signal::new(&context.shared.shutdown),
            context,
            timer: Deadline::new(),
        }
    }

    /// Alternates between serving and waiting idle. While it waits, a
    /// keep-alive connection holds no [`Serving`] state, no buffer and no
    /// future of the serving side: the serving loop is polled from here
    /// with nothing of its own to keep.
    ///
    /// Returns the serving state when the connection switched to WebSocket
    /// (its job holds the session to start), `None` once it is closed.
    async fn run(&mut self, mut serving: Box<Serving>) -> io::Result<Option<Box<Serving>>> {
        loop {
            match poll_fn(|cx| serving.poll_serve(self, cx)).await? {
                Step::Idle => {}
                Step::Upgrade => return Ok(Some(serving)),
                Step::Close | Step::Flush => {
                    drop(serving);
                    let _ = self.io.close().await;
                    return Ok(None);
                }
                Step::CloseAfterError => {
                    drop(serving);
                    let _ = self.io.close().await;
                    Box::pin(self.linger()).await;
                    return Ok(None);
                }
            }
            // The keep-alive deadline is all the protocol would remember.
            let until = serving.conn.poll_timeout();
            serving.give_back();
            match poll_fn(|cx| self.poll_idle(until, cx)).await {
                Wake::Readable => serving = Serving::take(&self.context, clock::now()),
                Wake::Close => {
                    let _ = self.io.close().await;
                    return Ok(None);
                }
            }
        }
    }

    /// Waits idle until there may be bytes to read, the keep-alive deadline
    /// `until` passes, or shutdown begins.
    fn poll_idle(&mut self, until: Option<Instant>, cx: &mut Context<'_>) -> Poll<Wake> {
        if self.io.poll_read_hint(cx).is_ready() {
            return Poll::Ready(Wake::Readable);
        }
        if let Some(until) = until
            && self.timer.poll_until(until, cx).is_ready()
        {
            return Poll::Ready(Wake::Close);
        }
        // Unless idle connections linger through a shutdown, for their next
        // request (answered with `Connection: close`) or their keep-alive expiry.
        let linger = self.context.shared.config.timeouts.linger_idle_on_shutdown;
        if !linger && self.shutdown.poll_raised(cx) {
            return Poll::Ready(Wake::Close);
        }
        Poll::Pending
    }

    /// Reads and discards for a moment after an error response, so that the
    /// close does not turn into a reset that destroys the response.
    async fn linger(&mut self) {
        let mut discarded = 0;
        let _ = with_timeout(LINGER, async {
            while discarded < LINGER_BYTES {
                let n = self
                    .context
                    .shared
                    .read_buffers
                    .read(&mut self.io, |_| {})
                    .await?;
                if n == 0 {
                    break;
                }
                discarded += n;
            }
            Ok(())
        })
        .await;
    }
}

impl Serving {
    fn new(now: Instant, config: Config) -> Self {
        Self {
            conn: Connection::new(now, config),
            job: Job::Idle,
            body_tx: None,
            pending_send: None,
            body_received: 0,
            out: Outbox::new(),
            unflushed: None,
            request_is_head: false,
            closing: false,
            peer_eof: false,
            maybe_readable: true,
            date: DateCache::default(),
            turn: Turn::default(),
            interim: None,
        }
    }

    /// A serving state for a connection of `context` that starts (or wakes)
    /// at `now`: one from the worker's pool if it has one, restarted.
    fn take(context: &ConnContext, now: Instant) -> Box<Self> {
        let config = protocol_config(&context.shared.config);
        let mut serving = match spares::take(&SPARE_STATES) {
            Some(mut serving) => {
                serving.conn.restart(now, config);
                serving.body_received = 0;
                serving.unflushed = None;
                serving.request_is_head = false;
                serving.peer_eof = false;
                serving.maybe_readable = true;
                serving.turn = Turn::default();
                serving
            }
            None => Box::new(Self::new(now, config)),
        };
        serving.closing = context.shared.shutdown.is_raised();
        serving
    }

    /// The protocol state and the session to start, once the connection
    /// switched to WebSocket.
    fn into_session(self: Box<Self>) -> Option<(Connection, SessionSeed)> {
        let Self { conn, job, .. } = *self;
        match job {
            Job::Switched(seed) => Some((conn, seed)),
            _ => None,
        }
    }

    /// Returns an idle state to the worker's pool (or frees it if the pool
    /// is full).
    fn give_back(mut self: Box<Self>) {
        self.out.trim_when_empty();
        spares::give_back(&SPARE_STATES, self);
    }

    /// Serves until the connection must close or goes idle, writing what
    /// is queued before each of these (and whenever the work in between
    /// queued enough).
    fn poll_serve<S: Io>(
        &mut self,
        shell: &mut Shell<S>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Step>> {
        loop {
            if let Some(step) = self.unflushed {
                ready!(self.poll_flush(shell, cx))?;
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

    /// Writes everything queued; a client that stops reading gets the body
    /// timeout to take it.
    fn poll_flush<S: Io>(
        &mut self,
        shell: &mut Shell<S>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        let timeout = shell.context.shared.config.timeouts.body_read;
        self.out
            .poll_write_within(&mut shell.io, cx, timeout, &mut shell.timer)
    }

    /// Whether the connection waits for a next request with nothing in
    /// progress, and the stream told us (by a short read) that it is
    /// drained, so a readiness wake-up will bring us back.
    fn is_idle(&self) -> bool {
        matches!(self.job, Job::Idle)
            && self.conn.their_state() == State::Idle
            && self.conn.trailing_data().0.is_empty()
            && self.pending_send.is_none()
            && self.out.len() == 0
            && !self.maybe_readable
            && !self.closing
            && !self.peer_eof
    }

    /// Does all the work that needs no waiting; returns when something must
    /// be written or the connection must close, and is pending otherwise.
    fn poll_progress<S: Io>(
        &mut self,
        shell: &mut Shell<S>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Step>> {
        loop {
            if self.turn.poll_yield(cx).is_pending() {
                return Poll::Pending;
            }
            let mut progressed = false;

            // 1. Protocol events, unless the handler has not taken the last chunk.
            while self.pending_send.is_none() {
                let Some(event) = self.conn.poll_event() else {
                    break;
                };
                progressed = true;
                self.turn.charge(EVENT_COST);
                if let Some(step) = self.on_event(event, &shell.context) {
                    return Poll::Ready(Ok(step));
                }
            }

            // 2. A held-back body chunk.
            if let Some(send) = self.pending_send.as_mut()
                && send.as_mut().poll(cx).is_ready()
            {
                self.pending_send = None;
                progressed = true;
            }

            // 3. The handler, then the response body.
            match self.poll_job(cx, &shell.context) {
                Ok(moved) => progressed |= moved,
                Err(step) => return Poll::Ready(Ok(step)),
            }

            // 4. The exchange is over on our side: next cycle, or close.
            if matches!(self.job, Job::Finished)
                && let Some(step) = self.after_response(&mut progressed)
            {
                return Poll::Ready(Ok(step));
            }
            if matches!(self.job, Job::Idle) && (self.closing_idle(&shell.context) || self.peer_eof)
            {
                return Poll::Ready(Ok(Step::Close));
            }

            self.collect_transmit();
            if progressed {
                if self.out.len() >= FLUSH_THRESHOLD {
                    return Poll::Ready(Ok(Step::Flush));
                }
                continue;
            }

            // 5. Nothing moves by itself: write what is queued before waiting.
            if self.out.len() > 0 {
                return Poll::Ready(Ok(Step::Flush));
            }

            // 6. Wait for one thing: bytes, the handler (registered in step 3),
            //    a deadline, or shutdown.
            if self.wants_read() && self.readable_now(&shell.io, cx) {
                let buffers = &shell.context.shared.read_buffers;
                let conn = &mut self.conn;
                let now = clock::now();
                match buffers.poll_read(&mut shell.io, cx, |data| conn.recv(now, data)) {
                    Poll::Ready(Ok(0)) => {
                        self.peer_eof = true;
                        self.conn.recv_eof(now);
                        if self.responding() {
                            // The client hung up while its response is still being
                            // made: drop the handler or the body stream (which is how
                            // an application learns of the disconnect) rather than
                            // finish for nobody. Half-closed requests are not served,
                            // as with hyper's and nginx's defaults.
                            return Poll::Ready(Ok(Step::Close));
                        }
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
                    // request came in the preface sniff's read would never
                    // count as idle and would keep its serving state.
                    Poll::Pending => self.maybe_readable = shell.io.poll_read_hint(cx).is_ready(),
                }
            }
            if self.poll_deadline(shell, cx).is_ready() {
                continue; // the expiry is the protocol's next event
            }
            if !self.closing && shell.shutdown.poll_raised(cx) {
                self.closing = true;
                continue;
            }
            self.turn.end();
            if self.is_idle() {
                return Poll::Ready(Ok(Step::Idle));
            }
            return Poll::Pending;
        }
    }

    /// Whether the socket should be read now. Not while a body chunk waits
    /// for the handler, not while the protocol holds a pipelined request
    /// back (it would only buffer more), not after the peer's EOF.
    ///
    /// While a response is being made for a complete request, the socket is
    /// still watched: a pipelined request is only buffered (bounded by
    /// `max_buffered_bytes`), and an end of stream means the client is gone.
    fn wants_read(&self) -> bool {
        !self.peer_eof
            && self.pending_send.is_none()
            && !self.conn.is_paused()
            && (matches!(self.conn.their_state(), State::Idle | State::SendBody)
                || self.responding())
    }

    /// Whether the request is complete and its response is still being made
    /// (the handler runs, or the body or trailers are still coming).
    fn responding(&self) -> bool {
        self.conn.their_state() == State::Done
            && matches!(
                self.job,
                Job::Handler { .. } | Job::Body(..) | Job::Trailers(_)
            )
    }

    /// Whether to attempt a read: always, unless the last one drained the
    /// socket and the reactor has not reported new bytes since.
    fn readable_now(&mut self, io: &impl Io, cx: &mut Context<'_>) -> bool {
        if !self.maybe_readable && io.poll_read_hint(cx).is_ready() {
            self.maybe_readable = true;
        }
        self.maybe_readable
    }

    /// Acts on one protocol event; `Some` ends the connection.
    fn on_event(&mut self, event: Event, context: &ConnContext) -> Option<Step> {
        match event {
            Event::Request(head) => self.start_request(head, context),
            Event::Data(data) => {
                self.body_received = self.body_received.saturating_add(data.len() as u64);
                if self.body_received > context.shared.config.limits.max_body {
                    return Some(self.body_too_large(context));
                }
                self.deliver(Ok(data));
                None
            }
            Event::EndOfMessage { .. } => {
                // Dropping the sender ends the handler's body stream.
                self.body_tx = None;
                None
            }
            Event::ConnectionClosed => {
                self.peer_eof = true;
                self.closing = true;
                None
            }
            Event::ConnectionLost(error) => Some(self.connection_lost(error, context)),
            _ => None,
        }
    }

    /// Hands a body chunk (or error) to the handler, holding it back if the
    /// handler's channel is full.
    fn deliver(&mut self, item: Result<Bytes, BodyError>) {
        let Some(tx) = &self.body_tx else {
            return; // no handler wants it (answered already): discard
        };
        match tx.try_send(item) {
            Ok(()) => {}
            Err(TrySendError::Full(item)) => {
                let tx = tx.clone();
                self.pending_send = Some(Box::pin(async move {
                    let _ = tx.send(item).await;
                }));
            }
            // The handler dropped its body: nobody reads the rest.
            Err(TrySendError::Closed(_)) => self.body_tx = None,
        }
    }

    fn start_request(&mut self, head: RequestHead, context: &ConnContext) -> Option<Step> {
        let shared = &context.shared;
        // The framing the protocol crate validated; never parsed again here.
        let has_body = head.has_body();
        if head
            .content_length()
            .is_some_and(|n| n > shared.config.limits.max_body)
        {
            // Refuse before reading a byte of it (RFC 9110 §15.5.14).
            self.closing = true;
            self.send_response(Response::status_page(413), false, None, context);
            return None;
        }
        let version = match head.version {
            http1_proto::Version::Http10 => Version::Http10,
            _ => Version::Http11,
        };
        let is_head = head.is_head();
        self.request_is_head = is_head;
        let headers: Headers = head
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let body = if has_body {
            let (tx, body) = Body::channel();
            self.body_tx = Some(tx);
            body
        } else {
            Body::empty()
        };
        let mut request = Request::from_parts(
            head.method,
            head.target,
            headers,
            version,
            body,
            context.peer,
        );
        request.tls = context.tls_info.clone();
        let info = wants_info(&shared.app).then(|| RequestInfo::of(&request));
        match shared.app.route_request(&mut request) {
            Routed::Handler(handler) => {
                if self.conn.client_is_waiting_for_100_continue() {
                    // A handler will read the body: invite it (RFC 9110 §10.1.1).
                    let _ = self.conn.send_continue();
                }
                let interim = shared.app.sends_interim().then(|| {
                    let (tx, rx) = self.interim.get_or_insert_with(InterimPort::default).open();
                    request.interim = Some(tx);
                    rx
                });
                self.job = Job::Handler {
                    future: handler.call(request),
                    info,
                    interim,
                };
            }
            Routed::WebSocket(route) => {
                let options = Arc::new(shared.config.ws.clone());
                match ws::http1::start(&route, &options, request, has_body) {
                    Ok(pending) => self.job = Job::Upgrade { pending, info },
                    Err(response) => self.answer(*response, info, context),
                }
            }
            Routed::Answer(response) => self.answer(response, info, context),
        }
        None
    }

    /// Sends a response no handler made, through the `after` hooks.
    fn answer(&mut self, mut response: Response, info: Option<RequestInfo>, context: &ConnContext) {
        if let Some(info) = &info {
            context.shared.app.finish(info, &mut response);
        }
        let is_head = self.request_is_head;
        self.send_response(response, is_head, info.as_ref(), context);
    }

    /// Polls a WebSocket route's handler until it decides; `Err(Step::Upgrade)` once
    /// the 101 is queued.
    fn poll_upgrade(&mut self, cx: &mut Context<'_>, context: &ConnContext) -> Result<bool, Step> {
        let Job::Upgrade { pending, info } = &mut self.job else {
            return Ok(false);
        };
        let Poll::Ready(outcome) = pending.poll(cx) else {
            return Ok(false);
        };
        let info = info.take();
        match outcome {
            Outcome::Accept(head, seed) => match self.conn.send_informational(&head) {
                Ok(()) => {
                    if let Some(info) = &info {
                        info.log_access(context.peer, 101, None);
                    }
                    self.job = Job::Switched(seed);
                    self.collect_transmit();
                    Err(Step::Upgrade)
                }
                Err(error) => {
                    // A field the handler added cannot be sent: nothing went out yet.
                    self.job = Job::Idle;
                    if let Some(page) = replacement(101, &error) {
                        self.answer(page, info, context);
                    }
                    Ok(true)
                }
            },
            Outcome::Reject(response) => {
                self.job = Job::Idle;
                self.answer(response, info, context);
                Ok(true)
            }
        }
    }

    /// Polls the handler or the response body; `Ok(true)` if anything moved.
    fn poll_job(&mut self, cx: &mut Context<'_>, context: &ConnContext) -> Result<bool, Step> {
        match &mut self.job {
            Job::Handler {
                future,
                info,
                interim,
            } => {
                let mut moved = false;
                if let Some(interim) = interim {
                    while let Poll::Ready(head) = interim.poll_next(cx) {
                        send_interim(&mut self.conn, head);
                        moved = true;
                    }
                }
                let Poll::Ready(mut response) = crate::app::poll_handler(future, cx) else {
                    if moved {
                        self.collect_transmit();
                    }
                    return Ok(moved);
                };
                // Heads sent in the same turn as the response still precede it.
                for head in interim.take().map(|rx| rx.drain()).unwrap_or_default() {
                    send_interim(&mut self.conn, head);
                }
                let info = info.take();
                if let Some(info) = &info {
                    context.shared.app.finish(info, &mut response);
                }
                let is_head = self.request_is_head;
                self.send_response(response, is_head, info.as_ref(), context);
                Ok(true)
            }
            Job::Body(..) => self.poll_body(cx, context),
            Job::Trailers(trailers) => match trailers.poll(cx) {
                Poll::Ready(fields) => {
                    self.send_trailers(fields);
                    self.job = Job::Finished;
                    self.collect_transmit();
                    Ok(true)
                }
                Poll::Pending => Ok(false),
            },
            Job::Upgrade { .. } => self.poll_upgrade(cx, context),
            Job::Idle | Job::Finished | Job::Switched(_) => Ok(false),
        }
    }

    /// Streams the response body until it pauses, ends, or enough is queued.
    fn poll_body(&mut self, cx: &mut Context<'_>, context: &ConnContext) -> Result<bool, Step> {
        let mut moved = false;
        loop {
            let Job::Body(source, trailers) = &mut self.job else {
                return Ok(moved);
            };
            let next = source.poll_chunk(cx);
            match next {
                Poll::Ready(Some(Ok(chunk))) => {
                    moved = true;
                    self.turn.charge(chunk.len());
                    if !chunk.is_empty() && self.conn.send_data(chunk).is_err() {
                        return Err(Step::Close);
                    }
                    self.collect_transmit();
                    if self.out.len() >= FLUSH_THRESHOLD {
                        return Ok(true);
                    }
                }
                Poll::Ready(None) => {
                    if let Some(trailers) = trailers.take() {
                        self.job = Job::Trailers(trailers);
                        return self.poll_job(cx, context);
                    }
                    if self.conn.send_end(None).is_err() {
                        return Err(Step::Close);
                    }
                    self.job = Job::Finished;
                    return Ok(true);
                }
                Poll::Ready(Some(Err(error))) => {
                    // Closing without the final chunk tells the client the
                    // body is incomplete (RFC 9112 §8).
                    tracing::debug!(%error, "response body failed");
                    return Err(Step::Close);
                }
                Poll::Pending => return Ok(moved),
            }
        }
    }

    /// Sends the head of `response` and, for complete bodies, the body too.
    fn send_response(
        &mut self,
        response: Response,
        is_head: bool,
        info: Option<&RequestInfo>,
        context: &ConnContext,
    ) {
        let mut headers = http1_proto::HeaderMap::new();
        let Outgoing {
            status,
            body,
            trailers,
        } = Outgoing::new(
            response,
            is_head,
            HTTP1,
            &mut self.date,
            context.response_defaults(),
            &mut headers,
        );
        if let Some(info) = info {
            info.log_access(context.peer, status, None);
        }
        let mut head = ResponseHead::new(status);
        head.headers = headers;
        if self.closing {
            head.headers.append(&b"connection"[..], &b"close"[..]);
        }
        if let Err(error) = self.conn.send_response(&head) {
            match replacement(status, &error) {
                Some(page) => self.send_response(page, is_head, None, context),
                None => {
                    self.closing = true;
                    self.job = Job::Finished;
                }
            }
            return;
        }
        self.job = match body {
            OutgoingBody::None => self.end_now_or(trailers),
            OutgoingBody::Full(bytes) => {
                if self.conn.send_data(bytes).is_err() {
                    self.closing = true;
                }
                self.end_now_or(trailers)
            }
            OutgoingBody::Source(source) => Job::Body(source, trailers),
        };
        self.collect_transmit();
    }

    /// Ends the message now, or once `trailers` are ready.
    fn end_now_or(&mut self, trailers: Option<Trailers>) -> Job {
        match trailers {
            Some(trailers) => Job::Trailers(trailers),
            None => self.end_now(),
        }
    }

    /// Ends the message with `fields` as its trailer section, or without
    /// one where the framing has no room for it (see [`Trailers`]).
    fn send_trailers(&mut self, fields: Headers) {
        let mut map = http1_proto::HeaderMap::with_capacity(fields.len());
        for (name, value) in fields {
            map.append(name, value);
        }
        if let Err(error) = self.conn.send_end(Some(&map)) {
            tracing::debug!(%error, "trailers dropped");
            if self.conn.send_end(None).is_err() {
                self.closing = true;
            }
        }
    }

    fn end_now(&mut self) -> Job {
        if self.conn.send_end(None).is_err() {
            self.closing = true;
        }
        Job::Finished
    }

    /// Our response is complete. Returns a step if the connection ends.
    fn after_response(&mut self, progressed: &mut bool) -> Option<Step> {
        match (self.conn.our_state(), self.conn.their_state()) {
            (State::Done, State::Done) if !self.closing => {
                if self.conn.start_next_cycle(clock::now()).is_err() {
                    return Some(Step::Close);
                }
                self.next_cycle();
                *progressed = true;
                None
            }
            // The request is complete too, or the connection will not be reused.
            (_, State::Done | State::MustClose | State::Closed | State::Error)
            | (State::MustClose | State::Closed | State::Error, _) => Some(Step::Close),
            // The request body is still arriving: keep reading and discarding
            // it (bounded by max_body and the body timeout) to reach the next
            // request — unless we are closing anyway.
            _ if self.closing => Some(Step::Close),
            _ => None,
        }
    }

    /// Whether a connection waiting for its next request closes now because
    /// the server is closing (see `Timeouts::linger_idle_on_shutdown`): a
    /// lingering one waits for its next request or its keep-alive expiry.
    fn closing_idle(&self, context: &ConnContext) -> bool {
        self.closing
            && !(context.shared.config.timeouts.linger_idle_on_shutdown
                && context.shared.shutdown.is_raised()
                && self.conn.their_state() == State::Idle)
    }

    fn next_cycle(&mut self) {
        self.job = Job::Idle;
        self.body_tx = None;
        self.pending_send = None;
        self.body_received = 0;
    }

    /// The peer broke the protocol: answer with the status the protocol
    /// crate suggests if no response has started, then close.
    fn protocol_error(&mut self, error: RecvError, context: &ConnContext) -> Step {
        let status = error.status_hint();
        tracing::debug!(peer = ?context.peer, %error, status, "bad request");
        if matches!(self.job, Job::Idle | Job::Handler { .. })
            && matches!(self.conn.our_state(), State::Idle | State::SendResponse)
        {
            self.closing = true;
            self.send_error_response(status, context);
            return Step::CloseAfterError;
        }
        Step::Close
    }

    /// The request body grew past `max_body`.
    fn body_too_large(&mut self, context: &ConnContext) -> Step {
        self.body_tx = None;
        if matches!(self.job, Job::Handler { .. }) {
            // The handler has not answered: it never will now.
            self.closing = true;
            self.send_error_response(413, context);
            return Step::CloseAfterError;
        }
        Step::Close
    }

    /// Sends a status page for `status`. Through the protocol when it still
    /// owes a response; otherwise (the request line itself was unreadable)
    /// as raw bytes.
    fn send_error_response(&mut self, status: u16, context: &ConnContext) {
        self.job = Job::Idle;
        let page = Response::status_page(status).with_header("connection", "close");
        if matches!(self.conn.our_state(), State::SendResponse) {
            self.send_response(page, false, None, context);
            return;
        }
        let body = match &page.body {
            ResponseBody::Full(b) => b.clone(),
            _ => Bytes::new(),
        };
        let mut raw = BytesMut::with_capacity(128 + body.len());
        raw.extend_from_slice(b"HTTP/1.1 ");
        raw.extend_from_slice(status.to_string().as_bytes());
        raw.extend_from_slice(b" ");
        raw.extend_from_slice(crate::response::reason(status).as_bytes());
        raw.extend_from_slice(
            b"\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\ndate: ",
        );
        raw.extend_from_slice(&self.date.get());
        raw.extend_from_slice(b"\r\ncontent-length: ");
        raw.extend_from_slice(body.len().to_string().as_bytes());
        raw.extend_from_slice(b"\r\n\r\n");
        raw.extend_from_slice(&body);
        self.push_out(raw.freeze());
    }

    /// Sleeps until the protocol's next deadline, then hands the expiry to
    /// it (it comes back as [`Event::ConnectionLost`]). While a body chunk
    /// waits for the handler the socket is not read on purpose, so the body
    /// timeout does not run against the client.
    fn poll_deadline<S: Io>(&mut self, shell: &mut Shell<S>, cx: &mut Context<'_>) -> Poll<()> {
        if self.pending_send.is_some() {
            return Poll::Pending;
        }
        let Some(deadline) = self.conn.poll_timeout() else {
            return Poll::Pending;
        };
        ready!(shell.timer.poll_until(deadline, cx));
        self.conn.handle_timeout(clock::now());
        Poll::Ready(())
    }

    /// The connection ended on the peer's side: a protocol error or a timeout.
    fn connection_lost(&mut self, error: RecvError, context: &ConnContext) -> Step {
        match error {
            RecvError::IdleTimeout => Step::Close,
            // A partial head gets 408 (RFC 9110 §15.5.9); a silent connection
            // is just closed.
            RecvError::HeadTimeout if self.conn.trailing_data().0.is_empty() => Step::Close,
            RecvError::BodyTimeout if !matches!(self.job, Job::Handler { .. }) => Step::Close,
            RecvError::BodyTimeout => {
                self.deliver_timeout();
                self.protocol_error(error, context)
            }
            _ => self.protocol_error(error, context),
        }
    }

    fn deliver_timeout(&mut self) {
        if let Some(tx) = self.body_tx.take() {
            let _ = tx.try_send(Err(BodyError::Timeout));
        }
    }

    fn collect_transmit(&mut self) {
        while let Some(bytes) = self.conn.poll_transmit() {
            self.push_out(bytes);
        }
    }

    fn push_out(&mut self, bytes: Bytes) {
        self.out.push(bytes);
    }
}

impl FieldSink for http1_proto::HeaderMap {
    fn reserve(&mut self, n: usize) {
        // Room for `Connection: close` too.
        if self.is_empty() {
            *self = Self::with_capacity(n + 1);
        }
    }

    fn push(&mut self, name: Bytes, value: Bytes) {
        self.append(name, value);
    }
}
