//! The stream table and the stream state machine of RFC 9113 §5.1.
//!
//! ```text
//!                           +--------+
//!                   send PP |        | recv PP
//!                  ,--------+  idle  +--------.
//!                 /         |        |         \
//!                v          +--------+          v
//!         +----------+          |           +----------+
//!         | reserved |          | send H /  | reserved |
//!         | (local)  |          | recv H    | (remote) |
//!         +---+------+          v           +------+---+
//!             |             +--------+             |
//!             |     recv ES |        | send ES     |
//!      send H |     ,-------+  open  +-------.     | recv H
//!             |    /        |        |        \    |
//!             v   v         +---+----+         v   v
//!         +----------+          |           +----------+
//!         |   half-  |          |           |   half-  |
//!         |  closed  |          | send R /  |  closed  |
//!         | (remote) |          | recv R    | (local)  |
//!         +----+-----+          |           +-----+----+
//!              | send ES /      |       recv ES / |
//!              | send R /       v        send R / |
//!              | recv R     +--------+   recv R   |
//!              `----------->|        |<-----------'
//!                           | closed |
//!                           +--------+
//! ```
//!
//! Closed streams leave the table at once; a bounded memory of recently closed ones
//! tells a late frame on a stream we reset (ignored) from one on a stream the peer
//! closed (STREAM_CLOSED), and the two identifier high-water marks tell idle from closed.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

use crate::flow::{RecvWindow, SendWindow};
use crate::{Role, StreamId};

/// A stream's state (RFC 9113 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamState {
    /// Allocated by `open_stream`, nothing sent yet.
    Idle,
    /// We promised this stream with PUSH_PROMISE.
    ReservedLocal,
    /// The peer promised this stream with PUSH_PROMISE.
    ReservedRemote,
    /// Both sides may send.
    Open,
    /// We ended our side; the peer may still send.
    HalfClosedLocal,
    /// The peer ended its side; we may still send.
    HalfClosedRemote,
    /// Both sides are done, or the stream was reset.
    Closed,
}

impl StreamState {
    /// The stream counts against MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2).
    pub(crate) fn is_active(self) -> bool {
        matches!(
            self,
            Self::Open | Self::HalfClosedLocal | Self::HalfClosedRemote
        )
    }

    /// We may still send frames that carry END_STREAM on this stream.
    pub(crate) fn can_send(self) -> bool {
        matches!(
            self,
            Self::Idle | Self::ReservedLocal | Self::Open | Self::HalfClosedRemote
        )
    }

    /// The peer may still send HEADERS/DATA on this stream.
    pub(crate) fn can_recv(self) -> bool {
        matches!(
            self,
            Self::ReservedRemote | Self::Open | Self::HalfClosedLocal
        )
    }

    /// The transition for sending a HEADERS frame.
    pub(crate) fn on_send_headers(self, end_stream: bool) -> Self {
        match (self, end_stream) {
            (Self::Idle, false) => Self::Open,
            (Self::Idle, true) | (Self::Open, true) => Self::HalfClosedLocal,
            (Self::ReservedLocal, false) => Self::HalfClosedRemote,
            (Self::ReservedLocal | Self::HalfClosedRemote, true) => Self::Closed,
            (other, _) => other,
        }
    }

    /// The transition for sending END_STREAM on DATA.
    pub(crate) fn on_send_end(self) -> Self {
        match self {
            Self::Open => Self::HalfClosedLocal,
            Self::HalfClosedRemote => Self::Closed,
            other => other,
        }
    }

    /// The transition for receiving a HEADERS frame.
    pub(crate) fn on_recv_headers(self, end_stream: bool) -> Self {
        match (self, end_stream) {
            (Self::Idle, false) => Self::Open,
            (Self::Idle, true) | (Self::Open, true) => Self::HalfClosedRemote,
            (Self::ReservedRemote, false) => Self::HalfClosedLocal,
            (Self::ReservedRemote | Self::HalfClosedLocal, true) => Self::Closed,
            (other, _) => other,
        }
    }

    /// The transition for receiving END_STREAM on DATA.
    pub(crate) fn on_recv_end(self) -> Self {
        match self {
            Self::Open => Self::HalfClosedRemote,
            Self::HalfClosedLocal => Self::Closed,
            other => other,
        }
    }
}

/// Where the inbound message of a stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inbound {
    /// Waiting for the (final) header section.
    Head,
    /// Header section received; DATA and trailers may follow.
    Body,
}

/// Where the outbound message of a stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outbound {
    /// Nothing or only 1xx responses sent.
    Head,
    /// Final header section sent; DATA and trailers may follow.
    Body,
}

/// Per-stream state.
#[derive(Debug)]
pub(crate) struct Stream {
    pub(crate) state: StreamState,
    pub(crate) send: SendWindow,
    pub(crate) recv: RecvWindow,
    pub(crate) inbound: Inbound,
    pub(crate) outbound: Outbound,
    /// Declared content-length of the inbound message (RFC 9113 §8.1.1).
    pub(crate) content_length: Option<u64>,
    /// DATA octets received (without padding).
    pub(crate) received: u64,
    /// The request on this stream was HEAD (sent by us as a client, received or
    /// promised by us as a server): the response has no body, and its content-length
    /// describes the GET response instead.
    pub(crate) head_request: bool,
    /// The content-length our outbound message declared, when its DATA must add up to
    /// it (RFC 9113 §8.1.1); `None` when undeclared or describing another message.
    pub(crate) send_length: Option<u64>,
    /// DATA octets we sent (without padding).
    pub(crate) sent: u64,
    /// The request is a CONNECT, plain (RFC 9113 §8.5) or extended (RFC 8441 §4).
    pub(crate) connect: bool,
    /// A 2xx answered the CONNECT: the stream is a tunnel whose DATA has no
    /// content-length (RFC 9110 §9.3.6) and may pause for as long as the tunnelled
    /// protocol likes, so the body timeout no longer applies.
    pub(crate) tunnel: bool,
    /// The application has seen an event for this stream.
    pub(crate) surfaced: bool,
    /// `send_data` could not take everything: report `SendCapacity` when the window grows.
    pub(crate) blocked: bool,
    /// When the peer's pause in sending its body runs out (`Config::body_timeout`);
    /// `None` once the peer ended its side, or while no body is expected.
    pub(crate) body_deadline: Option<Instant>,
    /// `Event::BodyTimeout` was reported once; the next expiry resets the stream.
    pub(crate) body_timeout_reported: bool,
    /// Our window for the stream reopened after the peer had filled it: the pause
    /// before it was ours, so the next body expiry starts the clock over.
    pub(crate) body_window_reopened: bool,
}

impl Stream {
    pub(crate) fn new(state: StreamState, send_window: u32, recv_window: u32) -> Self {
        Self {
            state,
            send: SendWindow::new(send_window),
            recv: RecvWindow::new(recv_window, recv_window),
            inbound: Inbound::Head,
            outbound: Outbound::Head,
            content_length: None,
            received: 0,
            head_request: false,
            send_length: None,
            sent: 0,
            connect: false,
            tunnel: false,
            surfaced: false,
            blocked: false,
            body_deadline: None,
            body_timeout_reported: false,
            body_window_reopened: false,
        }
    }
}

/// What the table knows about an identifier that has no live entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Never opened: above the high-water mark of its initiator.
    Idle,
    /// Closed after we reset it, within `reset_stream_duration`: frames are ignored.
    LocallyReset,
    /// Closed recently in any other way (remembered).
    RecentlyClosed,
    /// Below the high-water mark but not remembered: closed long ago or skipped.
    Forgotten,
}

#[derive(Clone, Copy, Debug)]
struct ClosedEntry {
    id: StreamId,
    /// Frames on this stream are ignored until then (we reset it).
    ignore_until: Option<Instant>,
}

/// Hashes stream identifiers with one multiply: they are small, distinct integers, so
/// SipHash's DoS resistance buys nothing while costing on every frame.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// All streams of a connection.
#[derive(Debug)]
pub(crate) struct Streams {
    map: HashMap<StreamId, Stream, BuildHasherDefault<IdHasher>>,
    role: Role,
    /// The next identifier we will open.
    next_local: u32,
    /// The highest identifier the peer has opened or promised.
    last_peer: u32,
    /// Active streams we opened / the peer opened (RFC 9113 §5.1.2 counting).
    active_local: usize,
    active_peer: usize,
    closed: VecDeque<ClosedEntry>,
    closed_cap: usize,
}

impl Streams {
    pub(crate) fn new(role: Role, closed_cap: usize) -> Self {
        Self {
            map: HashMap::default(),
            role,
            next_local: match role {
                Role::Client => 1,
                Role::Server => 2,
            },
            last_peer: 0,
            active_local: 0,
            active_peer: 0,
            closed: VecDeque::new(),
            closed_cap: closed_cap.max(1),
        }
    }

    /// The stream was (or would be) opened by us.
    pub(crate) fn is_local(&self, id: StreamId) -> bool {
        match self.role {
            Role::Client => id.is_client_initiated(),
            Role::Server => id.is_server_initiated(),
        }
    }

    pub(crate) fn get(&self, id: StreamId) -> Option<&Stream> {
        self.map.get(&id)
    }

    pub(crate) fn get_mut(&mut self, id: StreamId) -> Option<&mut Stream> {
        self.map.get_mut(&id)
    }

    pub(crate) fn last_peer(&self) -> StreamId {
        StreamId::new(self.last_peer)
    }

    pub(crate) fn active_local(&self) -> usize {
        self.active_local
    }

    pub(crate) fn active_peer(&self) -> usize {
        self.active_peer
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Frees the map's capacity when no stream is in it. The closed streams
    /// remembered for late frames stay.
    pub(crate) fn shrink_when_empty(&mut self) {
        if self.map.is_empty() {
            self.map = HashMap::default();
        }
    }

    /// What a parked connection remembers of its streams (identifiers used,
    /// counts, recently reset streams), leaving the empty map and its capacity
    /// here. Only called with the map empty.
    pub(crate) fn park(&mut self) -> Self {
        Self {
            map: HashMap::default(),
            role: self.role,
            next_local: self.next_local,
            last_peer: self.last_peer,
            active_local: self.active_local,
            active_peer: self.active_peer,
            closed: std::mem::take(&mut self.closed),
            closed_cap: self.closed_cap,
        }
    }

    /// Takes back what [`park`](Self::park) returned (of this connection or
    /// another), keeping this map's capacity.
    pub(crate) fn resume(&mut self, parked: Self) {
        let map = std::mem::take(&mut self.map);
        *self = parked;
        self.map = map;
        self.map.clear();
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = StreamId> + '_ {
        self.map.keys().copied()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&StreamId, &mut Stream)> {
        self.map.iter_mut()
    }

    /// Classifies an identifier with no live entry.
    pub(crate) fn unknown(&self, id: StreamId, now: Option<Instant>) -> Unknown {
        let high = if self.is_local(id) {
            self.next_local.saturating_sub(1)
        } else {
            self.last_peer
        };
        if id.get() > high {
            return Unknown::Idle;
        }
        match self.closed.iter().rev().find(|e| e.id == id) {
            Some(e)
                if e.ignore_until
                    .is_some_and(|t| now.is_none_or(|now| now < t)) =>
            {
                Unknown::LocallyReset
            }
            Some(_) => Unknown::RecentlyClosed,
            None => Unknown::Forgotten,
        }
    }

    /// Allocates the next local identifier, or `None` when the space is exhausted.
    pub(crate) fn allocate_local(&mut self) -> Option<StreamId> {
        if self.next_local > StreamId::MAX.get() {
            return None;
        }
        let id = StreamId::new(self.next_local);
        self.next_local += 2;
        Some(id)
    }

    /// Records that the peer used `id` (it must be above the previous mark).
    pub(crate) fn note_peer_id(&mut self, id: StreamId) {
        self.last_peer = self.last_peer.max(id.get());
    }

    /// Inserts a new stream.
    pub(crate) fn insert(&mut self, id: StreamId, stream: Stream) {
        if stream.state.is_active() {
            self.count(id, 1);
        }
        if stream.state == StreamState::Closed {
            self.remember(id, None);
            return;
        }
        self.map.insert(id, stream);
    }

    fn count(&mut self, id: StreamId, delta: isize) {
        let counter = if self.is_local(id) {
            &mut self.active_local
        } else {
            &mut self.active_peer
        };
        *counter = counter.saturating_add_signed(delta);
    }

    /// Moves a stream to `next`, keeping the counts; a closed stream leaves the table.
    /// Returns the removed stream when it closed.
    pub(crate) fn transition(&mut self, id: StreamId, next: StreamState) -> Option<Stream> {
        let stream = self.map.get_mut(&id)?;
        let was_active = stream.state.is_active();
        stream.state = next;
        match (was_active, next.is_active()) {
            (false, true) => self.count(id, 1),
            (true, false) => self.count(id, -1),
            _ => {}
        }
        if next == StreamState::Closed {
            self.remember(id, None);
            return self.map.remove(&id);
        }
        None
    }

    /// Removes a stream because it was reset; `ignore_until` is set when we sent the
    /// reset (late frames are then ignored until that instant).
    pub(crate) fn remove_reset(
        &mut self,
        id: StreamId,
        ignore_until: Option<Instant>,
    ) -> Option<Stream> {
        let stream = self.map.remove(&id);
        if let Some(s) = &stream
            && s.state.is_active()
        {
            self.count(id, -1);
        }
        self.remember(id, ignore_until);
        stream
    }

    fn remember(&mut self, id: StreamId, ignore_until: Option<Instant>) {
        if self.closed.len() >= self.closed_cap {
            self.closed.pop_front();
        }
        self.closed.push_back(ClosedEntry { id, ignore_until });
    }

    /// The earliest instant at which a locally-reset stream stops being ignored.
    pub(crate) fn next_reset_expiry(&self) -> Option<Instant> {
        self.closed.iter().filter_map(|e| e.ignore_until).min()
    }

    /// Forgets the ignore windows that have passed.
    pub(crate) fn expire_resets(&mut self, now: Instant) {
        for e in &mut self.closed {
            if e.ignore_until.is_some_and(|t| t <= now) {
                e.ignore_until = None;
            }
        }
    }

    /// Removes every stream (the connection ended) and returns their identifiers.
    pub(crate) fn drain_all(&mut self) -> Vec<(StreamId, Stream)> {
        self.active_local = 0;
        self.active_peer = 0;
        self.map.drain().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_rfc_diagram() {
        use StreamState::*;
        assert_eq!(Idle.on_recv_headers(false), Open);
        assert_eq!(Idle.on_recv_headers(true), HalfClosedRemote);
        assert_eq!(HalfClosedRemote.on_send_headers(true), Closed);
        assert_eq!(Open.on_send_end(), HalfClosedLocal);
        assert_eq!(HalfClosedLocal.on_recv_end(), Closed);
        assert_eq!(ReservedLocal.on_send_headers(false), HalfClosedRemote);
        assert_eq!(ReservedRemote.on_recv_headers(false), HalfClosedLocal);
        assert!(!Closed.can_send() && !Closed.can_recv());
    }

    #[test]
    fn local_ids_exhaust_at_2_pow_31() {
        let mut s = Streams::new(Role::Client, 4);
        s.next_local = StreamId::MAX.get() - 2;
        assert_eq!(s.allocate_local(), Some(StreamId::new(0x7fff_fffd)));
        assert_eq!(s.allocate_local(), Some(StreamId::MAX));
        assert_eq!(s.allocate_local(), None);
        assert_eq!(s.allocate_local(), None);
    }

    #[test]
    fn counts_and_closed_memory() {
        let t0 = crate::test_epoch();
        let mut s = Streams::new(Role::Server, 2);
        let id = StreamId::new(1);
        s.note_peer_id(id);
        s.insert(id, Stream::new(StreamState::Open, 10, 10));
        assert_eq!(s.active_peer(), 1);
        assert!(s.transition(id, StreamState::Closed).is_some());
        assert_eq!(s.active_peer(), 0);
        assert_eq!(s.unknown(id, Some(t0)), Unknown::RecentlyClosed);
        assert_eq!(s.unknown(StreamId::new(3), Some(t0)), Unknown::Idle);
        s.note_peer_id(StreamId::new(7));
        s.remove_reset(
            StreamId::new(5),
            Some(t0 + std::time::Duration::from_secs(1)),
        );
        assert_eq!(s.unknown(StreamId::new(5), Some(t0)), Unknown::LocallyReset);
        s.expire_resets(t0 + std::time::Duration::from_secs(1));
        assert_eq!(
            s.unknown(StreamId::new(5), Some(t0)),
            Unknown::RecentlyClosed
        );
        s.remove_reset(StreamId::new(7), None);
        s.remove_reset(StreamId::new(3), None);
        assert_eq!(s.unknown(id, Some(t0)), Unknown::Forgotten);
        assert_eq!(s.unknown(StreamId::new(2), Some(t0)), Unknown::Idle);
    }
}
