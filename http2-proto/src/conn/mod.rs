//! The connection: a thin coordinator over the frame codec, the stream table, flow
//! control, settings and timers.
//!
//! Input handling lives in `recv.rs`, commands in `send.rs`, graceful shutdown and
//! timers in `close.rs`; this file holds the state and the drains.

mod close;
mod idle;
mod recv;
mod send;
mod timeouts;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::flow::{DEFAULT_WINDOW, RecvWindow, SendWindow};
use crate::frame::{FrameKind, PrioritySpec, Setting, SettingsFrame, WindowUpdate};
use crate::output::Output;
use crate::settings::PendingSettings;
use crate::streams::{Stream, StreamState, Streams};
use crate::timer::{Timer, TimerTable};
use crate::{Config, ConnectionError, Event, Role, Settings, StreamId};

use http_core::TokenBucket;
pub use idle::IdleConnection;

/// The largest HPACK table our encoder uses, whatever the peer allows: a bigger table
/// buys little compression and costs memory per connection (the `h2` crate and nghttp2
/// cap theirs the same way).
const MAX_ENCODER_TABLE: u32 = 4096;

/// Where the connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Server: waiting for the client preface; `matched` octets seen so far.
    Preface { matched: usize },
    /// The peer's first frame must be SETTINGS (RFC 9113 §3.4).
    FirstSettings,
    /// Normal operation.
    Open,
}

/// A header block being assembled from HEADERS/PUSH_PROMISE and CONTINUATION frames.
#[derive(Debug)]
struct PartialBlock {
    stream: StreamId,
    kind: BlockKind,
    fragments: BytesMut,
    continuations: usize,
}

#[derive(Clone, Copy, Debug)]
enum BlockKind {
    Headers {
        end_stream: bool,
        priority: Option<PrioritySpec>,
    },
    PushPromise {
        promised: StreamId,
    },
}

/// Graceful shutdown progress (RFC 9113 §6.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GoAwayState {
    /// No GOAWAY sent.
    None,
    /// Server phase one: GOAWAY(2^31-1) and a PING are out; the final GOAWAY follows
    /// when the PING is answered or the drain timer fires.
    Draining { ping: [u8; 8] },
    /// The final GOAWAY is out, naming this last stream.
    Sent { last_stream: StreamId },
}

/// The denial-of-service counters (see [`Limits`](crate::Limits)).
#[derive(Clone, Debug)]
struct Guards {
    remote_resets: TokenBucket,
    local_resets: TokenBucket,
    small_data: TokenBucket,
    empty_data: u32,
    window_updates: u32,
    peer_streams: u32,
}

/// A sans-IO HTTP/2 connection, client or server (RFC 9113).
///
/// # Driving it
///
/// Feed received bytes to [`recv`](Self::recv) and call
/// [`handle_timeout`](Self::handle_timeout) when [`poll_timeout`](Self::poll_timeout)'s
/// deadline passes. After every such call or command, drain in this order:
/// [`poll_event`](Self::poll_event) until `None`, then
/// [`poll_transmit`](Self::poll_transmit) until `None` (write every segment, in order),
/// then read `poll_timeout`. Stop when [`is_closed`](Self::is_closed) is true and the
/// transmit queue is empty.
///
/// ```no_run
/// use std::io::{Read, Write};
/// use std::time::Instant;
/// use weft_http2::{Config, Connection, Event};
///
/// # fn main() -> std::io::Result<()> {
/// let mut sock = std::net::TcpStream::connect("127.0.0.1:8080")?; // accepted, in a real server
/// let mut conn = Connection::new(Instant::now(), Config::server());
/// let mut buf = [0u8; 16384];
/// loop {
///     while let Some(event) = conn.poll_event() {
///         if let Event::Headers { stream, .. } = event {
///             let head = [hpack::Header::new(":status", "200")];
///             let _ = conn.send_headers(stream, &head, true);
///         }
///     }
///     while let Some(bytes) = conn.poll_transmit() {
///         sock.write_all(&bytes)?;
///     }
///     if conn.is_closed() {
///         return Ok(());
///     }
///     let n = sock.read(&mut buf)?;
///     if n == 0 {
///         conn.recv_eof(Instant::now());
///     } else {
///         // A connection error queues the GOAWAY and a final `Event::ConnectionLost`:
///         // the next loop flushes the one and sees the other, then is_closed() is true.
///         conn.recv(Instant::now(), &buf[..n]);
///     }
/// }
/// # }
/// ```
///
/// # Errors and stream errors
///
/// Peer violations that RFC 9113 scopes to a stream (malformed requests, flow-control
/// errors on one stream, ...) reset that stream: an RST_STREAM is queued and
/// [`Event::StreamReset`] with [`Initiator::Local`](crate::Initiator::Local) reported
/// if the application had seen the stream. A connection error ends the connection: the
/// GOAWAY is queued, [`Event::ConnectionLost`] is the last event, and
/// [`error`](Self::error) returns it from then on.
#[derive(Debug)]
pub struct Connection {
    role: Role,
    /// Shared: a server's connections all have the same, and it is a few hundred
    /// bytes each idle connection need not copy.
    config: Arc<Config>,
    phase: Phase,
    read_buf: BytesMut,
    /// The connection window reopened after the peer had filled it (see
    /// `on_body_timeout`).
    body_window_reopened: bool,
    /// Where `read_buf` lives, so DATA payloads never pin it (see `on_data`).
    read_alloc: http_core::ReadAllocation,
    decoder: hpack::Decoder,
    encoder: hpack::Encoder,
    /// Our settings as the peer has acknowledged them (what it honours).
    local: Settings,
    pending_settings: PendingSettings,
    peer: Settings,
    streams: Streams,
    conn_send: SendWindow,
    conn_recv: RecvWindow,
    block: Option<PartialBlock>,
    events: VecDeque<Event>,
    out: Output,
    timers: TimerTable,
    /// PINGs sent by `ping`, awaiting ACK.
    user_pings: VecDeque<([u8; 8], Instant)>,
    keepalive_ping: Option<[u8; 8]>,
    ping_seq: u64,
    goaway: GoAwayState,
    /// The peer's GOAWAY: no new local streams; closes once streams finish.
    goaway_received: Option<StreamId>,
    error: Option<ConnectionError>,
    eof: bool,
    guards: Guards,
}

impl Connection {
    /// Creates a connection. A client queues the preface and its SETTINGS at once; a
    /// server queues its SETTINGS (the server preface, RFC 9113 §3.4) and then expects
    /// the client preface.
    ///
    /// `config` may be an `Arc<Config>`: a server with many connections then keeps one
    /// copy of it (a connection copies it only if it has to change it, see
    /// [`update_settings`](Self::update_settings)).
    pub fn new(now: Instant, config: impl Into<Arc<Config>>) -> Self {
        let config = config.into();
        let role = config.role;
        let mut conn = Self::bare(config);
        if role == Role::Client {
            conn.out.buf().extend_from_slice(crate::PREFACE);
            conn.phase = Phase::FirstSettings;
        }
        conn.send_initial_settings(now);
        conn
    }

    /// Creates a server connection for a request that arrived over HTTP/1.1 with
    /// `Upgrade: h2c` (RFC 7540 §3.2). `http2_settings` is the `HTTP2-Settings` header
    /// value. Stream 1 is that request, half-closed (remote): answer it with
    /// [`send_headers`](Self::send_headers) on `StreamId::new(1)` after sending the
    /// `101 Switching Protocols` response yourself. The client preface follows.
    ///
    /// # Errors
    ///
    /// [`H2cSettingsError`](crate::H2cSettingsError) when the header is not a valid
    /// SETTINGS payload (answer with 400 and stay on HTTP/1.1).
    pub fn new_h2c_upgrade(
        now: Instant,
        mut config: Config,
        http2_settings: &[u8],
    ) -> Result<Self, crate::H2cSettingsError> {
        let entries = crate::h2c::parse_h2c_settings(http2_settings)?;
        config.role = Role::Server;
        let mut conn = Self::new(now, config);
        for s in entries {
            conn.peer.apply(s);
        }
        conn.apply_peer_table_size();
        conn.streams.note_peer_id(StreamId::new(1));
        let mut stream = Stream::new(
            StreamState::HalfClosedRemote,
            conn.peer.initial_window_size,
            conn.local.initial_window_size,
        );
        stream.inbound = crate::streams::Inbound::Body;
        stream.surfaced = true;
        conn.streams.insert(StreamId::new(1), stream);
        Ok(conn)
    }

    /// Creates a client connection after a `101 Switching Protocols` answered an h2c
    /// upgrade request (RFC 7540 §3.2). Stream 1 is the upgraded request, half-closed
    /// (local); its response arrives as [`Event::Headers`]. Send the request with the
    /// header `HTTP2-Settings: {config.local.to_h2c_header_value()}`.
    pub fn new_h2c_client_upgrade(
        now: Instant,
        mut config: Config,
        request_was_head: bool,
    ) -> Self {
        config.role = Role::Client;
        let mut conn = Self::new(now, config);
        if let Some(id) = conn.streams.allocate_local() {
            let mut stream = Stream::new(
                StreamState::HalfClosedLocal,
                conn.peer.initial_window_size,
                conn.local.initial_window_size,
            );
            stream.head_request = request_was_head;
            stream.surfaced = true;
            conn.streams.insert(id, stream);
        }
        conn
    }

    fn bare(mut config: Arc<Config>) -> Self {
        if config.role == Role::Server && config.local.enable_push {
            // RFC 9113 §6.5.2: a server never sends ENABLE_PUSH = 1.
            Arc::make_mut(&mut config).local.enable_push = false;
        }
        if config.local.max_header_list_size.is_none() {
            let config = Arc::make_mut(&mut config);
            config.local.max_header_list_size = Some(config.limits.max_header_list_size);
        }
        let role = config.role;
        // Until the peer acknowledges our SETTINGS it may assume the RFC defaults, so
        // we enforce those (and adopt ours on ACK, RFC 9113 §6.5.3).
        let local = Settings::default();
        let mut decoder = hpack::Decoder::new(local.header_table_size as usize);
        decoder.set_max_header_list_size(config.limits.max_header_list_size as usize);
        let streams = Streams::new(role, config.limits.max_reset_streams);
        let guards = Guards {
            remote_resets: TokenBucket::new(config.limits.remote_reset_rate),
            local_resets: TokenBucket::new(config.limits.local_reset_rate),
            small_data: TokenBucket::new(config.limits.small_data_rate),
            empty_data: 0,
            window_updates: 0,
            peer_streams: 0,
        };
        Self {
            role,
            phase: Phase::Preface { matched: 0 },
            read_buf: BytesMut::new(),
            body_window_reopened: false,
            read_alloc: http_core::ReadAllocation::default(),
            decoder,
            encoder: hpack::Encoder::new(MAX_ENCODER_TABLE as usize),
            local,
            pending_settings: PendingSettings::default(),
            peer: Settings::default(),
            streams,
            conn_send: SendWindow::new(DEFAULT_WINDOW),
            conn_recv: RecvWindow::new(DEFAULT_WINDOW, DEFAULT_WINDOW),
            block: None,
            events: VecDeque::new(),
            out: Output::default(),
            timers: TimerTable::default(),
            user_pings: VecDeque::new(),
            keepalive_ping: None,
            ping_seq: 0,
            goaway: GoAwayState::None,
            goaway_received: None,
            error: None,
            eof: false,
            guards,
            config,
        }
    }

    fn send_initial_settings(&mut self, now: Instant) {
        let settings = self.config.local;
        self.queue_settings(now, settings);
        if let Some(inc) = self.conn_recv.grow_target(self.config.connection_window) {
            WindowUpdate {
                stream: StreamId::CONNECTION,
                increment: inc,
            }
            .encode(self.out.buf());
        }
        if let Some(interval) = self.config.keepalive_interval {
            self.timers.set(Timer::KeepAlivePing, now + interval);
        }
        if let Some(idle) = self.config.idle_timeout {
            self.timers.set(Timer::Idle, now + idle);
        }
    }

    fn queue_settings(&mut self, now: Instant, settings: Settings) {
        let mut frame = settings.to_frame();
        // The peer starts from the RFC defaults only for the first frame; later frames
        // must restate anything that changed back to a default.
        if !self.pending_settings.is_empty()
            || self.phase == Phase::Open
            || self.local != Settings::default()
        {
            frame = full_settings_frame(&settings);
        }
        frame.encode(self.out.buf());
        self.pending_settings.push(settings);
        if self.timers.get(Timer::SettingsAck).is_none() {
            self.timers
                .set(Timer::SettingsAck, now + self.config.settings_ack_timeout);
        }
    }

    // ---- A. getters -------------------------------------------------------------

    /// Client or server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration the connection was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The peer's settings as last received (RFC defaults before its SETTINGS arrive).
    pub fn peer_settings(&self) -> &Settings {
        &self.peer
    }

    /// Our settings as the peer has acknowledged them.
    pub fn local_settings(&self) -> &Settings {
        &self.local
    }

    /// The state of a stream; `None` for streams that are idle or closed and forgotten
    /// (closed streams leave the table at once).
    pub fn stream_state(&self, id: StreamId) -> Option<StreamState> {
        self.streams.get(id).map(|s| s.state)
    }

    /// Streams in the table (open, half-closed or reserved).
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Active streams the peer opened (counted against our MAX_CONCURRENT_STREAMS).
    pub fn active_peer_streams(&self) -> usize {
        self.streams.active_peer()
    }

    /// Active streams we opened (counted against the peer's MAX_CONCURRENT_STREAMS).
    pub fn active_local_streams(&self) -> usize {
        self.streams.active_local()
    }

    /// The connection-level send window (may be what limits `send_data`).
    pub fn connection_send_window(&self) -> i64 {
        self.conn_send.get()
    }

    /// A stream's send window, `None` if the stream is unknown. May be negative after a
    /// SETTINGS_INITIAL_WINDOW_SIZE decrease (RFC 9113 §6.9.2).
    pub fn stream_send_window(&self, id: StreamId) -> Option<i64> {
        self.streams.get(id).map(|s| s.send.get())
    }

    /// The connection-level window the peer may still fill.
    pub fn connection_recv_window(&self) -> i64 {
        self.conn_recv.window()
    }

    /// A stream's receive window the peer may still fill.
    pub fn stream_recv_window(&self, id: StreamId) -> Option<i64> {
        self.streams.get(id).map(|s| s.recv.window())
    }

    /// The fatal error, once one happened.
    pub fn error(&self) -> Option<&ConnectionError> {
        self.error.as_ref()
    }

    /// True when the connection is finished: after a connection error, after EOF, or
    /// after a GOAWAY (either way) once no stream is left. Flush `poll_transmit` first.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        if self.error.is_some() || self.eof {
            return true;
        }
        let going_away =
            matches!(self.goaway, GoAwayState::Sent { .. }) || self.goaway_received.is_some();
        going_away && self.streams.len() == 0
    }

    /// True once a GOAWAY was sent or received: no new streams will be accepted/opened.
    pub fn is_going_away(&self) -> bool {
        self.goaway != GoAwayState::None || self.goaway_received.is_some() || self.error.is_some()
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has bytes.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        self.out.len() > 0
    }

    /// Frees the capacity kept for reuse when nothing is in progress: no stream in
    /// the map (all idle or closed, RFC 9113 §5.1), no header block under way, no
    /// unread input, no event or output queued. A server calls it when a connection
    /// with no open stream starts waiting, so many such connections hold no buffers;
    /// the next frames grow them again. What the protocol must remember stays: the
    /// settings of both sides, the flow-control windows, the HPACK tables (entries
    /// the peer inserted and indexes into), recently closed streams, the flood
    /// guards. Otherwise it does nothing.
    pub fn shrink_when_idle(&mut self) {
        if !self.nothing_in_progress() {
            return;
        }
        self.read_buf = BytesMut::new();
        self.read_alloc = http_core::ReadAllocation::default();
        self.events = VecDeque::new();
        if self.user_pings.is_empty() {
            self.user_pings = VecDeque::new();
        }
        self.out.shrink_when_empty();
        self.streams.shrink_when_empty();
        self.decoder.release_scratch();
    }

    /// No stream in the map (all idle or closed, RFC 9113 §5.1), no header block
    /// under way, no unread input, no event or output queued.
    fn nothing_in_progress(&self) -> bool {
        self.streams.len() == 0
            && self.block.is_none()
            && self.read_buf.is_empty()
            && self.events.is_empty()
            && self.out.len() == 0
    }

    /// Octets queued for `poll_transmit`.
    #[must_use]
    pub fn pending_transmit(&self) -> usize {
        self.out.len()
    }

    // ---- D. drains --------------------------------------------------------------

    /// The next event, oldest first. [`Event::ConnectionLost`] is the last one.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next segment of bytes to write to the transport, in order. Frame headers and
    /// small frames are coalesced; large DATA payloads are the caller's own `Bytes`.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.poll()
    }

    /// The earliest deadline at which [`handle_timeout`](Self::handle_timeout) has work.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.error.is_some() {
            return None;
        }
        self.timers.next()
    }

    // ---- shared helpers -----------------------------------------------------------

    fn next_ping_payload(&mut self, tag: u8) -> [u8; 8] {
        self.ping_seq = self.ping_seq.wrapping_add(1);
        let mut p = self.ping_seq.to_be_bytes();
        p[0] = tag;
        p
    }

    /// Applies the peer's SETTINGS_HEADER_TABLE_SIZE to our encoder, capped.
    fn apply_peer_table_size(&mut self) {
        let size = self.peer.header_table_size.min(MAX_ENCODER_TABLE);
        self.encoder.set_max_table_size(size as usize);
    }

    /// Records a fatal error: queues GOAWAY (unless the peer ended things), reports
    /// `ConnectionLost`, stops all timers. Idempotent.
    fn fail(&mut self, err: ConnectionError) -> ConnectionError {
        if let Some(existing) = &self.error {
            return existing.clone();
        }
        let send_goaway = !matches!(
            err,
            ConnectionError::RemoteGoAway { .. } | ConnectionError::UnexpectedEof
        );
        if send_goaway {
            let debug = match &err {
                ConnectionError::Protocol { reason, .. }
                | ConnectionError::Flood { reason, .. } => Bytes::from_static(reason.as_bytes()),
                ConnectionError::HeaderBlockTimeout => Bytes::from_static(b"header block timeout"),
                _ => Bytes::new(),
            };
            let last_stream = self.streams.last_peer();
            crate::frame::GoAway {
                last_stream,
                code: err.code(),
                debug,
            }
            .encode(self.out.buf());
            self.goaway = GoAwayState::Sent { last_stream };
        }
        self.timers = TimerTable::default();
        self.block = None;
        self.streams.drain_all();
        self.events.push_back(Event::ConnectionLost(err.clone()));
        self.error = Some(err.clone());
        err
    }
}

/// Every parameter spelled out, for SETTINGS frames after the first (the peer's view is
/// no longer the RFC defaults, so omitting a parameter would not reset it).
fn full_settings_frame(s: &Settings) -> SettingsFrame {
    use crate::frame::SettingId as Id;
    let mut entries = vec![
        Setting {
            id: Id::HEADER_TABLE_SIZE,
            value: s.header_table_size,
        },
        Setting {
            id: Id::ENABLE_PUSH,
            value: u32::from(s.enable_push),
        },
        Setting {
            id: Id::INITIAL_WINDOW_SIZE,
            value: s.initial_window_size,
        },
        Setting {
            id: Id::MAX_FRAME_SIZE,
            value: s.max_frame_size,
        },
    ];
    if let Some(n) = s.max_concurrent_streams {
        entries.push(Setting {
            id: Id::MAX_CONCURRENT_STREAMS,
            value: n,
        });
    }
    if let Some(n) = s.max_header_list_size {
        entries.push(Setting {
            id: Id::MAX_HEADER_LIST_SIZE,
            value: n,
        });
    }
    if s.enable_connect_protocol {
        entries.push(Setting {
            id: Id::ENABLE_CONNECT_PROTOCOL,
            value: 1,
        });
    }
    SettingsFrame {
        ack: false,
        entries,
    }
}

/// Frame kinds that may legally appear between HEADERS and its last CONTINUATION: none
/// but CONTINUATION itself (RFC 9113 §6.10).
fn continues_block(kind: FrameKind) -> bool {
    kind == FrameKind::CONTINUATION
}
