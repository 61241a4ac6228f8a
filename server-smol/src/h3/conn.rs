//! One QUIC connection and the HTTP/3 connection on it: stream bytes move between
//! quinn-proto and http3-proto, requests go to the App's handlers (one future per
//! request stream, polled by the endpoint's task), and responses stream back as fast
//! as QUIC's flow control takes them.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use bytes::Bytes;
use http3_proto::{
    Config, Connection as H3Connection, ErrorCode, Event as H3Event, Header, HeadersKind,
    SendError, StreamId, Target, Transmit,
};
use quinn_proto::{
    ConnectionHandle, Dir, Event as QuicEvent, ReadError, StreamEvent, VarInt, WriteError,
};

use super::STREAM_WINDOW;
use crate::app::BoxFuture;
use crate::body::{Body, BodyError, BodySender};
use crate::body_budget::{UploadState, body_budget_limit, first_upload};
use crate::clock::DateCache;
use crate::context::Shared;
use crate::framed::{RequestHead, ResponseHead, trailer_fields};
use crate::outgoing::{replacement, wants_info};
use crate::request::{Request, RequestInfo, Version};
use crate::response::{BodySource, Response, Trailers};
use crate::tls_info::TlsInfo;
use crate::ws::connect::PendingWs;
use crate::ws::connect::Session;

/// Bytes a request stream may be read for its head when the connection's body budget
/// is full: enough for a request's HEADERS frame in the common case, so a GET is not
/// held up by other requests' uploads; a longer head waits for room.
const HEAD_ROOM: usize = 16 * 1024;

/// Streams whose handlers or bodies asked to be polled again, across the connections
/// of one endpoint, and the endpoint's task to wake for them.
#[derive(Default)]
pub(crate) struct WakeList {
    ids: Mutex<Vec<(ConnectionHandle, u64)>>,
    task: Mutex<Option<Waker>>,
}

impl WakeList {
    pub(crate) fn register(&self, waker: &Waker) {
        if let Ok(mut task) = self.task.lock() {
            match task.as_ref() {
                Some(current) if current.will_wake(waker) => {}
                _ => *task = Some(waker.clone()),
            }
        }
    }

    pub(crate) fn take(&self) -> Vec<(ConnectionHandle, u64)> {
        self.ids
            .lock()
            .map(|mut ids| std::mem::take(&mut *ids))
            .unwrap_or_default()
    }
}

/// The waker a request's handler and body see.
struct StreamWaker {
    conn: ConnectionHandle,
    stream: u64,
    list: Arc<WakeList>,
}

impl Wake for StreamWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Ok(mut ids) = self.list.ids.lock() {
            ids.push((self.conn, self.stream));
        }
        if let Ok(task) = self.list.task.lock()
            && let Some(task) = task.as_ref()
        {
            task.wake_by_ref();
        }
    }
}

/// One request in progress.
pub(super) struct Job {
    pub(super) waker: Waker,
    pub(super) body_tx: Option<BodySender>,
    body_received: u64,
    /// Body bytes handed to the handler and not yet consumed by it.
    held: u64,
    /// Body bytes handed to the handler since the request began: what the
    /// connection's body budget counts for this request until it ends.
    handed: u64,
    is_head: bool,
    /// An extended CONNECT: its DATA is a tunnel's, not a body `max_body` bounds.
    tunnel: bool,
    pub(super) phase: Phase,
}

pub(super) enum Phase {
    /// The handler is running.
    Handler {
        future: BoxFuture,
        info: Option<RequestInfo>,
    },
    /// The head is sent; `pending` waits for QUIC to take it, `source` produces the
    /// rest (`None` once exhausted), then `trailers`.
    Sending {
        pending: Option<Bytes>,
        source: Option<BodySource>,
        trailers: Option<Trailers>,
    },
    /// The body is sent; the trailers end the stream.
    Trailers(Trailers),
    /// A WebSocket handler is deciding on an extended CONNECT (RFC 9220).
    Upgrade(Box<PendingWs>),
}

/// One QUIC connection.
pub(crate) struct Conn {
    pub(crate) quic: quinn_proto::Connection,
    handle: ConnectionHandle,
    pub(super) shared: Arc<Shared>,
    pub(super) peer: SocketAddr,
    wake: Arc<WakeList>,
    /// What the handshake settled, for [`Request::tls`]; set with `h3`.
    pub(super) tls_info: Option<Arc<TlsInfo>>,
    /// Present once the handshake chose `h3`.
    h3: Option<H3Connection>,
    /// Our unidirectional streams, opened on their first write.
    uni: HashMap<Target, quinn_proto::StreamId>,
    /// Writes QUIC has not taken yet, per stream, in order.
    unsent: HashMap<Target, VecDeque<(Bytes, bool)>>,
    pub(super) jobs: HashMap<u64, Job>,
    /// WebSocket sessions on extended-CONNECT streams, polled with their stream's
    /// waker beside the stream's response, which carries what they write.
    pub(super) sessions: HashMap<u64, Session>,
    pub(super) to_poll: Vec<u64>,
    /// Request streams not read further while their handler holds a full window.
    paused: HashSet<u64>,
    /// Request streams not read further while the connection's requests hold its
    /// whole body budget; read again when a request ends.
    starved: HashSet<u64>,
    /// Body bytes handed to the handlers of requests still in progress, and the most
    /// the connection may hold ([`body_budget_limit`]), as over HTTP/2.
    bodies: u64,
    budget: u64,
    credit_tx: smol::channel::Sender<(u32, usize)>,
    credit_rx: smol::channel::Receiver<(u32, usize)>,
    date: DateCache,
    /// The QUIC connection was told to close.
    closing: bool,
    going_away: bool,
}

/// The key a request body reports its consumption under: the request stream's
/// ordinal, which fits 32 bits for the first four billion requests of a connection.
fn credit_key(stream: u64) -> u32 {
    u32::try_from(stream >> 2).unwrap_or(u32::MAX)
}

fn quic_id(id: StreamId) -> quinn_proto::StreamId {
    quinn_proto::StreamId::from(VarInt::from_u64(id.0).unwrap_or(VarInt::MAX))
}

fn h3_id(id: quinn_proto::StreamId) -> StreamId {
    StreamId(VarInt::from(id).into_inner())
}

fn code(code: ErrorCode) -> VarInt {
    VarInt::from_u64(code.0).unwrap_or(VarInt::MAX)
}

impl Conn {
    pub(crate) fn new(
        quic: quinn_proto::Connection,
        handle: ConnectionHandle,
        shared: Arc<Shared>,
        wake: Arc<WakeList>,
    ) -> Self {
        let peer = quic.remote_address();
        let budget = body_budget_limit(&shared.config.limits);
        let (credit_tx, credit_rx) = smol::channel::unbounded();
        Self {
            quic,
            handle,
            shared,
            peer,
            wake,
            tls_info: None,
            h3: None,
            uni: HashMap::new(),
            unsent: HashMap::new(),
            jobs: HashMap::new(),
            sessions: HashMap::new(),
            to_poll: Vec::new(),
            paused: HashSet::new(),
            starved: HashSet::new(),
            bodies: 0,
            budget,
            credit_tx,
            credit_rx,
            date: DateCache::default(),
            closing: false,
            going_away: false,
        }
    }

    /// The earliest deadline of QUIC and of HTTP/3.
    pub(crate) fn poll_timeout(&mut self) -> Option<Instant> {
        let h3 = self.h3.as_ref().and_then(H3Connection::poll_timeout);
        [self.quic.poll_timeout(), h3].into_iter().flatten().min()
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.quic.handle_timeout(now);
        if let Some(h3) = self.h3.as_mut() {
            h3.handle_timeout(now);
        }
    }

    /// A handler or body of `stream` asked to be polled.
    pub(crate) fn woken(&mut self, stream: u64) {
        self.to_poll.push(stream);
    }

    /// Graceful shutdown: GOAWAY, then the requests in flight finish.
    pub(crate) fn shutdown(&mut self, now: Instant) {
        self.going_away = true;
        match self.h3.as_mut() {
            Some(h3) => h3.goaway(now),
            None => {
                self.quic.close(
                    now,
                    code(ErrorCode::H3_NO_ERROR),
                    Bytes::from_static(b"shutdown"),
                );
                self.closing = true;
            }
        }
    }

    /// Does everything that can be done now; false when nothing was.
    pub(crate) fn drive(&mut self, now: Instant) -> bool {
        let mut progressed = false;
        loop {
            let mut step = false;
            while let Some(event) = self.quic.poll() {
                step = true;
                self.on_quic_event(now, event);
            }
            while let Ok((key, n)) = self.credit_rx.try_recv() {
                step = true;
                self.credit(now, key, n);
            }
            if let Some(h3) = self.h3.as_mut() {
                let mut events = Vec::new();
                while let Some(event) = h3.poll_event() {
                    events.push(event);
                }
                for event in events {
                    step = true;
                    self.on_h3_event(now, event);
                }
            }
            if !self.to_poll.is_empty() {
                step = true;
                let mut ids = std::mem::take(&mut self.to_poll);
                ids.sort_unstable();
                ids.dedup();
                for id in ids {
                    self.poll_job(id);
                }
            }
            step |= self.carry_out(now);
            if !self.starved.is_empty()
                && (self.bodies < self.budget
                    || self
                        .first_upload()
                        .is_some_and(|id| self.starved.contains(&id)))
            {
                // A request ended or a head fitted, or an upload became the oldest.
                step = true;
                for stream in std::mem::take(&mut self.starved) {
                    self.read(now, quic_id(StreamId(stream)));
                }
            }
            if !step {
                break;
            }
            progressed = true;
        }
        progressed
    }

    /// Carries out what HTTP/3 asked of QUIC; true if there was anything.
    fn carry_out(&mut self, now: Instant) -> bool {
        let Some(h3) = self.h3.as_mut() else {
            return false;
        };
        let mut transmits = Vec::new();
        while let Some(t) = h3.poll_transmit() {
            transmits.push(t);
        }
        let closed = h3.is_closed();
        let error_code = h3.error().map(|e| e.code());
        let did = !transmits.is_empty();
        let mut touched = HashSet::new();
        for t in transmits {
            match t {
                Transmit::Write { stream, data, fin } => {
                    self.unsent
                        .entry(stream)
                        .or_default()
                        .push_back((data, fin));
                    touched.insert(stream);
                }
                Transmit::ResetStream { stream, code: c } => {
                    self.unsent.remove(&Target::Request(stream));
                    let _ = self.quic.send_stream(quic_id(stream)).reset(code(c));
                }
                Transmit::StopSending { stream, code: c } => {
                    let _ = self.quic.recv_stream(quic_id(stream)).stop(code(c));
                    self.paused.remove(&stream.0);
                    self.starved.remove(&stream.0);
                }
            }
        }
        for target in touched {
            self.flush(target);
        }
        if closed && !self.closing && self.unsent.values().all(VecDeque::is_empty) {
            self.closing = true;
            let c = error_code.unwrap_or(ErrorCode::H3_NO_ERROR);
            self.quic.close(now, code(c), Bytes::new());
        }
        did
    }

    /// Writes what waits for `target`, as far as QUIC takes it.
    fn flush(&mut self, target: Target) {
        let id = match target {
            Target::Request(id) => quic_id(id),
            _ => match self.uni.get(&target) {
                Some(&id) => id,
                None => match self.quic.streams().open(Dir::Uni) {
                    Some(id) => {
                        self.uni.insert(target, id);
                        id
                    }
                    // The client allows fewer unidirectional streams than HTTP/3
                    // needs (RFC 9114 §6.2); the write waits for more.
                    None => return,
                },
            },
        };
        let Some(queue) = self.unsent.get_mut(&target) else {
            return;
        };
        while let Some((data, fin)) = queue.front_mut() {
            if !data.is_empty() {
                match self
                    .quic
                    .send_stream(id)
                    .write_chunks(std::slice::from_mut(data))
                {
                    Ok(_) if data.is_empty() => {}
                    Ok(_) | Err(WriteError::Blocked) => return,
                    // Stopped or closed: nothing more goes out on it.
                    Err(_) => {
                        queue.clear();
                        break;
                    }
                }
            }
            if *fin {
                let _ = self.quic.send_stream(id).finish();
            }
            queue.pop_front();
        }
        if queue.is_empty() {
            self.unsent.remove(&target);
            // A response that waited for QUIC can produce more now.
            if let Target::Request(id) = target {
                self.to_poll.push(id.0);
            }
        }
    }

    fn unsent_len(&self, id: u64) -> usize {
        self.unsent
            .get(&Target::Request(StreamId(id)))
            .map_or(0, |q| q.iter().map(|(d, _)| d.len()).sum())
    }

    fn on_quic_event(&mut self, now: Instant, event: QuicEvent) {
        match event {
            QuicEvent::Connected => {
                let mut config = Config::server();
                let settings = &self.shared.config;
                config.limits.max_concurrent_streams =
                    settings.limits.h2_max_concurrent_streams as usize;
                config.limits.max_field_section_size =
                    u64::from(settings.limits.h2_max_header_list);
                config.local.max_field_section_size =
                    Some(u64::from(settings.limits.h2_max_header_list));
                config.limits.max_blocked_stream_bytes = STREAM_WINDOW as usize;
                config.header_timeout = Some(settings.timeouts.header_read);
                config.body_timeout = Some(settings.timeouts.body_read);
                config.goaway_drain_timeout = std::time::Duration::from_millis(100);
                // Extended CONNECT (RFC 9220 §3) is offered only where it can lead
                // somewhere: an app with WebSocket routes.
                config.local.enable_connect_protocol = self.shared.app.has_websocket_routes();
                let mut h3 = H3Connection::new(now, config);
                if self.going_away {
                    h3.goaway(now);
                }
                self.tls_info = Some(Arc::new(TlsInfo::of_quic(self.quic.crypto_session())));
                self.h3 = Some(h3);
                self.accept_streams(now);
            }
            QuicEvent::Stream(StreamEvent::Opened { .. }) => self.accept_streams(now),
            QuicEvent::Stream(StreamEvent::Readable { id }) => self.read(now, id),
            QuicEvent::Stream(StreamEvent::Writable { id }) => {
                let target = self
                    .uni
                    .iter()
                    .find_map(|(t, s)| (*s == id).then_some(*t))
                    .unwrap_or(Target::Request(h3_id(id)));
                self.flush(target);
            }
            QuicEvent::Stream(StreamEvent::Stopped { id, error_code }) => {
                let target = self
                    .uni
                    .iter()
                    .find_map(|(t, s)| (*s == id).then_some(*t))
                    .unwrap_or(Target::Request(h3_id(id)));
                self.unsent.remove(&target);
                if let Some(h3) = self.h3.as_mut() {
                    h3.recv_stop_sending(now, target, ErrorCode(error_code.into_inner()));
                }
            }
            QuicEvent::Stream(StreamEvent::Available { dir: Dir::Uni }) => {
                let waiting: Vec<Target> = self
                    .unsent
                    .keys()
                    .copied()
                    .filter(|t| !matches!(t, Target::Request(_)))
                    .collect();
                for target in waiting {
                    self.flush(target);
                }
            }
            QuicEvent::ConnectionLost { reason } => {
                tracing::debug!(peer = %self.peer, %reason, "QUIC connection lost");
                if let Some(h3) = self.h3.as_mut() {
                    h3.recv_closed(now);
                }
                self.fail_jobs();
            }
            _ => {}
        }
    }

    fn accept_streams(&mut self, now: Instant) {
        if self.h3.is_none() {
            return;
        }
        for dir in [Dir::Bi, Dir::Uni] {
            while let Some(id) = self.quic.streams().accept(dir) {
                self.read(now, id);
            }
        }
    }

    /// Reads what stream `id` has and hands it to HTTP/3, unless its handler holds a
    /// full window of body already, or the connection's requests hold its whole body
    /// budget.
    ///
    /// QUIC returns flow-control credit as we read (RFC 9000 §4.1), so not reading is
    /// how the budget holds: the client's unread bytes wait in quinn-proto, whose
    /// connection window is the budget too.
    fn read(&mut self, now: Instant, id: quinn_proto::StreamId) {
        if self.h3.is_none() {
            return;
        }
        let stream = h3_id(id);
        let job = self.jobs.get(&stream.0);
        if job.is_some_and(|job| job.held >= u64::from(STREAM_WINDOW)) {
            self.paused.insert(stream.0);
            return;
        }
        // Only request streams carry bodies: the control and QPACK streams
        // (RFC 9114 §6.2) are read whatever the budget holds, since a request head
        // may wait on the encoder stream. A tunnel's bytes are not a body the budget
        // counts; a stream whose request has not started may still carry its head,
        // which needs a little room.
        let left_in_budget =
            usize::try_from(self.budget.saturating_sub(self.bodies)).unwrap_or(usize::MAX);
        let room = match job {
            _ if id.dir() == Dir::Uni => usize::MAX,
            Some(job) if job.tunnel => usize::MAX,
            // The oldest upload always proceeds (`max_body` bounds it), so uploads
            // that together exceed the budget finish one after another rather than
            // all wait for each other until the body timeout.
            Some(_) if left_in_budget == 0 && self.first_upload() == Some(stream.0) => usize::MAX,
            Some(_) => left_in_budget,
            None => left_in_budget.max(HEAD_ROOM),
        };
        if room == 0 {
            self.starved.insert(stream.0);
            return;
        }
        let mut left = room;
        let mut recv = self.quic.recv_stream(id);
        let Ok(mut chunks) = recv.read(true) else {
            return;
        };
        let mut pieces = Vec::new();
        let mut fin = false;
        let mut reset = None;
        loop {
            if left == 0 {
                self.starved.insert(stream.0);
                break;
            }
            match chunks.next(left) {
                Ok(Some(chunk)) => {
                    left = left.saturating_sub(chunk.bytes.len());
                    pieces.push(chunk.bytes);
                }
                Ok(None) => {
                    fin = true;
                    break;
                }
                Err(ReadError::Blocked) => break,
                Err(ReadError::Reset(code)) => {
                    reset = Some(code);
                    break;
                }
            }
        }
        let _ = chunks.finalize();
        let Some(h3) = self.h3.as_mut() else {
            return;
        };
        let last = pieces.len();
        for (i, bytes) in pieces.into_iter().enumerate() {
            h3.recv_stream_data(now, stream, bytes, fin && i + 1 == last);
        }
        if fin && last == 0 {
            h3.recv_stream_data(now, stream, Bytes::new(), true);
        }
        if let Some(code) = reset {
            h3.recv_reset(now, stream, ErrorCode(code.into_inner()));
        }
    }

    /// The handler of request `key` consumed `n` body bytes: read more if it was paused.
    fn credit(&mut self, now: Instant, key: u32, n: usize) {
        let stream = u64::from(key) << 2;
        if let Some(job) = self.jobs.get_mut(&stream) {
            job.held = job.held.saturating_sub(n as u64);
            if job.held < u64::from(STREAM_WINDOW) && self.paused.remove(&stream) {
                self.read(now, quic_id(StreamId(stream)));
            }
        }
    }

    fn on_h3_event(&mut self, now: Instant, event: H3Event) {
        match event {
            H3Event::Headers {
                stream,
                headers,
                end_stream,
                kind:
                    HeadersKind::Request {
                        content_length,
                        is_head,
                    },
            } => self.start_request(now, stream, headers, end_stream, content_length, is_head),
            H3Event::Headers {
                stream,
                kind: HeadersKind::Trailers,
                ..
            } => {
                if let Some(job) = self.jobs.get_mut(&stream.0) {
                    job.body_tx = None;
                }
            }
            H3Event::Data {
                stream,
                data,
                end_stream,
            } => self.on_data(stream, data, end_stream),
            H3Event::StreamReset { stream, .. } | H3Event::StopSending { stream, .. } => {
                if let Some(job) = self.remove_job(stream.0)
                    && let Some(tx) = job.body_tx
                {
                    let _ = tx.try_send(Err(BodyError::Reset));
                }
            }
            H3Event::BodyTimeout { stream } => self.body_timed_out(stream),
            H3Event::ConnectionLost(error) => {
                tracing::debug!(peer = %self.peer, %error, "HTTP/3 connection lost");
                self.fail_jobs();
            }
            _ => {}
        }
    }

    /// The upload that proceeds whatever the budget holds ([`first_upload`]).
    fn first_upload(&self) -> Option<u64> {
        first_upload(self.jobs.iter().map(|(&id, job)| {
            let state = UploadState {
                tunnel: job.tunnel,
                held: job.handed,
                arriving: job.body_tx.is_some(),
            };
            (id, state)
        }))
    }

    /// Forgets request `id`: the body bytes its handler was handed leave the budget.
    fn remove_job(&mut self, id: u64) -> Option<Job> {
        let job = self.jobs.remove(&id)?;
        self.bodies = self.bodies.saturating_sub(job.handed);
        self.starved.remove(&id);
        Some(job)
    }

    fn fail_jobs(&mut self) {
        self.bodies = 0;
        self.starved.clear();
        for (_, job) in self.jobs.drain() {
            if let Some(tx) = job.body_tx {
                let _ = tx.try_send(Err(BodyError::Disconnected));
            }
        }
    }

    fn on_data(&mut self, stream: StreamId, data: Bytes, end_stream: bool) {
        let max_body = self.shared.config.limits.max_body;
        let Some(job) = self.jobs.get_mut(&stream.0) else {
            return;
        };
        let len = data.len() as u64;
        job.body_received = job.body_received.saturating_add(len);
        let too_large = !job.tunnel && job.body_received > max_body;
        if !too_large
            && !data.is_empty()
            && let Some(tx) = &job.body_tx
            && tx.try_send(Ok(data)).is_ok()
        {
            job.held += len;
            if !job.tunnel {
                job.handed += len;
                self.bodies += len;
            }
        }
        if end_stream {
            job.body_tx = None;
        }
        if too_large {
            self.refuse_too_large(stream);
        }
    }

    /// The body grew past `max_body`: a 413 if the handler has not answered, and the
    /// rest of the upload refused (RFC 9114 §4.1: a complete response, then
    /// STOP_SENDING with H3_NO_ERROR).
    fn refuse_too_large(&mut self, stream: StreamId) {
        let Some(job) = self.jobs.get_mut(&stream.0) else {
            return;
        };
        job.body_tx = None;
        let answered = !matches!(job.phase, Phase::Handler { .. });
        let Some(h3) = self.h3.as_mut() else {
            return;
        };
        if answered {
            let _ = h3.reset_stream(stream, ErrorCode::H3_REQUEST_CANCELLED);
            self.remove_job(stream.0);
        } else {
            let _ = h3.stop_reading(stream, ErrorCode::H3_NO_ERROR);
            self.respond(stream.0, Response::new(413), None);
        }
    }

    /// The client paused its upload longer than the body timeout before we answered:
    /// the handler's body ends with [`BodyError::Timeout`] and the client gets a 408.
    fn body_timed_out(&mut self, stream: StreamId) {
        let Some(job) = self.jobs.get_mut(&stream.0) else {
            return;
        };
        if let Some(tx) = job.body_tx.take() {
            let _ = tx.try_send(Err(BodyError::Timeout));
        }
        if matches!(job.phase, Phase::Handler { .. } | Phase::Upgrade(_)) {
            if let Some(h3) = self.h3.as_mut() {
                let _ = h3.stop_reading(stream, ErrorCode::H3_NO_ERROR);
            }
            self.respond(stream.0, Response::status_page(408), None);
        }
    }

    fn start_request(
        &mut self,
        _now: Instant,
        stream: StreamId,
        fields: Vec<Header>,
        end_stream: bool,
        declared: Option<u64>,
        is_head: bool,
    ) {
        let id = stream.0;
        let shared = self.shared.clone();
        let RequestHead {
            method,
            path,
            headers,
            protocol,
        } = RequestHead::new(fields);
        let waker = Waker::from(Arc::new(StreamWaker {
            conn: self.handle,
            stream: id,
            list: self.wake.clone(),
        }));
        let mut job = Job {
            waker,
            body_tx: None,
            body_received: 0,
            held: 0,
            handed: 0,
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
            self.jobs.insert(id, job);
            self.respond(id, Response::status_page(501), None);
            return;
        }
        if declared.is_some_and(|n| n > shared.config.limits.max_body) {
            self.jobs.insert(id, job);
            if !end_stream && let Some(h3) = self.h3.as_mut() {
                let _ = h3.stop_reading(stream, ErrorCode::H3_NO_ERROR);
            }
            self.respond(id, Response::new(413), None);
            return;
        }
        let body = if end_stream {
            Body::empty()
        } else {
            let (tx, body) = Body::channel_with_credit(credit_key(id), self.credit_tx.clone());
            job.body_tx = Some(tx);
            body
        };
        let mut request =
            Request::from_parts(method, path, headers, Version::H3, body, Some(self.peer));
        request.tls = self.tls_info.clone();
        let info = wants_info(&shared.app).then(|| RequestInfo::of(&request));
        if let Some(protocol) = protocol {
            self.start_extended_connect(id, job, &protocol, request, info);
            return;
        }
        // A WebSocket route answers a request that is not an extended CONNECT with
        // 400, as over HTTP/2.
        match shared.app.route_request(&mut request).http_only() {
            Ok(handler) => {
                job.phase = Phase::Handler {
                    future: handler.call(request),
                    info,
                };
                self.jobs.insert(id, job);
                self.to_poll.push(id);
            }
            Err(response) => {
                let mut response = *response;
                drop(request);
                job.body_tx = None;
                if let Some(info) = &info {
                    shared.app.finish(info, &mut response);
                }
                self.jobs.insert(id, job);
                self.respond(id, response, info.as_ref());
            }
        }
    }

    /// Polls a request's handler or response body, and its WebSocket session.
    fn poll_job(&mut self, id: u64) {
        self.poll_session(id);
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        let waker = job.waker.clone();
        let mut cx = Context::from_waker(&waker);
        if matches!(job.phase, Phase::Upgrade(_)) {
            // A decision answers the stream, which queues it to be polled again.
            self.poll_upgrade(id, &mut cx);
            return;
        }
        if let Phase::Handler { future, info } = &mut job.phase {
            let Poll::Ready(mut response) = crate::app::poll_handler(future, &mut cx) else {
                return;
            };
            let info = info.take();
            if let Some(info) = &info {
                self.shared.app.finish(info, &mut response);
            }
            self.respond(id, response, info.as_ref());
        }
        self.pump_body(id, &mut cx);
    }

    /// Sends the response head, and queues its body for [`pump_body`](Self::pump_body).
    pub(super) fn respond(&mut self, id: u64, response: Response, info: Option<&RequestInfo>) {
        let stream = StreamId(id);
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        let Some(h3) = self.h3.as_mut() else {
            return;
        };
        let head = ResponseHead::new(
            response,
            job.is_head,
            &mut self.date,
            &self.shared.config.response_defaults,
        );
        let status = head.status;
        if let Some(info) = info {
            info.log_access(Some(self.peer), status, u32::try_from(id).ok());
        }
        let end_stream = head.ends_stream();
        let ResponseHead {
            fields,
            full: pending,
            source,
            trailers,
            ..
        } = head;
        if let Err(error) = h3.send_headers(stream, &fields, end_stream) {
            if error == SendError::InvalidHeader
                && let Some(page) = replacement(status, &error)
            {
                self.respond(id, page, None);
                return;
            }
            tracing::debug!(stream = id, %error, "sending response headers");
            let _ = h3.reset_stream(stream, ErrorCode::H3_INTERNAL_ERROR);
            self.remove_job(id);
            return;
        }
        if end_stream {
            self.finish_job(id);
        } else {
            job.phase = Phase::Sending {
                pending,
                source,
                trailers,
            };
            self.to_poll.push(id);
        }
    }

    /// The response is complete; the request body may still be arriving (a
    /// handler that answered without reading it): it is not wanted.
    fn finish_job(&mut self, id: u64) {
        if let Some(job) = self.remove_job(id)
            && job.body_tx.is_some()
            && let Some(h3) = self.h3.as_mut()
        {
            let _ = h3.stop_reading(StreamId(id), ErrorCode::H3_NO_ERROR);
        }
    }

    /// Moves response body bytes to HTTP/3 until QUIC holds a window's worth
    /// unsent, or the source has nothing ready.
    fn pump_body(&mut self, id: u64, cx: &mut Context<'_>) {
        let stream = StreamId(id);
        loop {
            if self.unsent_len(id) >= STREAM_WINDOW as usize {
                // `flush` polls the stream again once QUIC took it all.
                return;
            }
            let Some(job) = self.jobs.get_mut(&id) else {
                return;
            };
            let Some(h3) = self.h3.as_mut() else {
                return;
            };
            match &mut job.phase {
                Phase::Handler { .. } | Phase::Upgrade(_) => return,
                Phase::Trailers(trailers) => {
                    let Poll::Ready(fields) = trailers.poll(cx) else {
                        return;
                    };
                    if let Err(error) = h3.send_trailers(stream, &trailer_fields(fields)) {
                        tracing::debug!(stream = id, %error, "sending trailers");
                        let _ = h3.reset_stream(stream, ErrorCode::H3_INTERNAL_ERROR);
                    }
                    self.finish_job(id);
                    return;
                }
                Phase::Sending {
                    pending,
                    source,
                    trailers,
                } => {
                    if let Some(data) = pending.take() {
                        let end = source.is_none() && trailers.is_none();
                        if let Err(error) = h3.send_data(stream, data, end) {
                            tracing::debug!(stream = id, %error, "sending response body");
                            let _ = h3.reset_stream(stream, ErrorCode::H3_INTERNAL_ERROR);
                            self.remove_job(id);
                            return;
                        }
                        if end {
                            self.finish_job(id);
                            return;
                        }
                        // Hand it to QUIC now, so the window check above sees it.
                        self.carry_out(crate::clock::now());
                        continue;
                    }
                    match source {
                        Some(body) => match body.poll_chunk(cx) {
                            Poll::Ready(Some(Ok(chunk))) => {
                                if body.is_exhausted() {
                                    *source = None;
                                }
                                *pending = Some(chunk);
                            }
                            Poll::Ready(None) => {
                                *source = None;
                                *pending = Some(Bytes::new());
                            }
                            Poll::Ready(Some(Err(error))) => {
                                tracing::debug!(stream = id, %error, "response body failed");
                                let _ = h3.reset_stream(stream, ErrorCode::H3_INTERNAL_ERROR);
                                self.remove_job(id);
                                return;
                            }
                            Poll::Pending => return,
                        },
                        None => match trailers.take() {
                            Some(trailers) => job.phase = Phase::Trailers(trailers),
                            None => return,
                        },
                    }
                }
            }
        }
    }

    /// Nothing left: the QUIC connection is drained, or HTTP/3 closed and QUIC
    /// finished closing.
    pub(crate) fn is_drained(&self) -> bool {
        self.quic.is_drained()
    }
}
