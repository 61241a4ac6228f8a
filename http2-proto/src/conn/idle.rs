//! Parking a connection that has nothing in progress: what the protocol must
//! remember moves into an [`IdleConnection`], and the rest (buffers, queues, the
//! stream map) stays behind in the `Connection`, which a server can keep for the
//! next connection that wakes up.

use std::sync::Arc;
use std::time::Instant;

use crate::Config;
use crate::flow::{RecvWindow, SendWindow};
use crate::settings::{PendingSettings, Settings};
use crate::streams::Streams;
use crate::timer::TimerTable;

use super::{Connection, GoAwayState, Guards, Phase};

/// The read buffer capacity a parked connection leaves for reuse: enough for
/// the frames of ordinary requests, not what one large frame needed.
const KEEP_READ_CAPACITY: usize = 32 * 1024;

/// An HTTP/2 connection with no stream in the table, no header block under way, no
/// unread input and nothing queued, reduced to what RFC 9113 has it remember between
/// streams:
///
/// - the settings of both sides and ours awaiting acknowledgement (§6.5.3);
/// - the connection-level flow-control windows (§6.9.1);
/// - both HPACK tables, whose entries the peer indexes into and mirrors
///   (RFC 7541 §2.3.2), and any table size update still to be signalled (§4.2);
/// - the highest stream identifiers used on each side (§5.1.1) and the recently
///   reset streams whose late frames are still expected (§5.4.2);
/// - the timers (keep-alive PING, idle close, settings acknowledgement, ...), the
///   GOAWAY state either way (§6.8) and the flood guards.
///
/// Made by [`Connection::park`]; [`Connection::resume`] or
/// [`into_connection`](Self::into_connection) turn it back into a connection that
/// continues exactly where the parked one stopped.
#[derive(Debug)]
pub struct IdleConnection {
    config: Arc<Config>,
    phase: Phase,
    body_window_reopened: bool,
    decoder: hpack::Decoder,
    encoder: hpack::Encoder,
    local: Settings,
    pending_settings: PendingSettings,
    peer: Settings,
    streams: Streams,
    conn_send: SendWindow,
    conn_recv: RecvWindow,
    timers: TimerTable,
    keepalive_ping: Option<[u8; 8]>,
    ping_seq: u64,
    goaway: GoAwayState,
    goaway_received: Option<crate::StreamId>,
    guards: Guards,
}

impl IdleConnection {
    /// The earliest deadline at which the connection has work: wake it up
    /// ([`Connection::resume`]) and call
    /// [`handle_timeout`](Connection::handle_timeout) then.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The configuration the connection was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A connection that continues where the parked one stopped, with buffers of
    /// its own still to grow.
    pub fn into_connection(self) -> Connection {
        let mut conn = Connection::bare(self.config.clone());
        conn.resume(self);
        conn
    }
}

impl Connection {
    /// Parks the connection when nothing is in progress: no stream in the table (all
    /// idle or closed, RFC 9113 §5.1), no header block under way, no unread input, no
    /// event, output or PING of ours outstanding, and no error or end of input. The
    /// state the protocol must remember moves into the returned [`IdleConnection`];
    /// this connection keeps only spare capacity and must not be driven again until
    /// [`resume`](Self::resume) gives it a parked state (its own or another's).
    /// Returns `None`, changing nothing, when something is in progress.
    pub fn park(&mut self) -> Option<IdleConnection> {
        let idle = self.nothing_in_progress()
            && self.user_pings.is_empty()
            && self.error.is_none()
            && !self.eof;
        if !idle {
            return None;
        }
        let decoder_size = self.local.header_table_size as usize;
        // The decoder goes with the parked state: what it kept for the next
        // Huffman-coded string does not. The read buffer stays here, for reuse,
        // unless a large frame grew it.
        self.decoder.release_scratch();
        if self.read_buf.capacity() > KEEP_READ_CAPACITY {
            self.read_buf = bytes::BytesMut::new();
            self.read_alloc = http_core::ReadAllocation::default();
        }
        Some(IdleConnection {
            config: self.config.clone(),
            phase: self.phase,
            body_window_reopened: self.body_window_reopened,
            decoder: std::mem::replace(&mut self.decoder, hpack::Decoder::new(decoder_size)),
            encoder: std::mem::replace(&mut self.encoder, hpack::Encoder::new(0)),
            local: self.local,
            // Empty once our SETTINGS were acknowledged; its capacity is not kept.
            pending_settings: std::mem::take(&mut self.pending_settings).shrunk(),
            peer: self.peer,
            streams: self.streams.park(),
            conn_send: self.conn_send,
            conn_recv: self.conn_recv,
            timers: std::mem::take(&mut self.timers),
            keepalive_ping: self.keepalive_ping.take(),
            ping_seq: self.ping_seq,
            goaway: self.goaway,
            goaway_received: self.goaway_received,
            guards: self.guards.clone(),
        })
    }

    /// Continues the parked connection `idle` in this one, keeping this one's
    /// spare capacity (its queues and stream map, all empty). This one may be a
    /// connection parked before, of this peer or another, with the same role.
    pub fn resume(&mut self, idle: IdleConnection) {
        let IdleConnection {
            config,
            phase,
            body_window_reopened,
            decoder,
            encoder,
            local,
            pending_settings,
            peer,
            streams,
            conn_send,
            conn_recv,
            timers,
            keepalive_ping,
            ping_seq,
            goaway,
            goaway_received,
            guards,
        } = idle;
        self.role = config.role;
        self.config = config;
        self.phase = phase;
        self.body_window_reopened = body_window_reopened;
        self.decoder = decoder;
        self.encoder = encoder;
        self.local = local;
        self.pending_settings = pending_settings;
        self.peer = peer;
        self.streams.resume(streams);
        self.conn_send = conn_send;
        self.conn_recv = conn_recv;
        self.timers = timers;
        self.keepalive_ping = keepalive_ping;
        self.ping_seq = ping_seq;
        self.goaway = goaway;
        self.goaway_received = goaway_received;
        self.guards = guards;
        // Nothing of another connection may be left in what is kept for reuse.
        self.read_buf.clear();
        self.block = None;
        self.events.clear();
        self.out.clear();
        self.user_pings.clear();
        self.error = None;
        self.eof = false;
    }
}
