//! A client and a server connection in memory, on a virtual clock: each side's
//! transmits become the other side's stream input, with the unidirectional streams
//! given QUIC identifiers the way a transport would (client 2, 6, 10; server 3, 7, 11).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http3_proto::{Config, Connection, Event, Header, Role, SendError, StreamId, Target, Transmit};

use super::epoch;

/// One side: the connection, the QUIC identifiers of its unidirectional streams, and
/// what it reported.
pub struct Side {
    pub conn: Connection,
    uni: HashMap<Target, StreamId>,
    next_uni: u64,
    pub events: Vec<Event>,
    /// Writes held back per target (to deliver streams out of order).
    pub held: Vec<(Target, Bytes, bool)>,
    pub hold: Option<Target>,
}

impl Side {
    fn new(now: Instant, config: Config) -> Self {
        let role = config.role;
        Self {
            conn: Connection::new(now, config),
            uni: HashMap::new(),
            next_uni: match role {
                Role::Client => 2,
                Role::Server => 3,
            },
            events: Vec::new(),
            held: Vec::new(),
            hold: None,
        }
    }

    fn uni_id(&mut self, target: Target) -> StreamId {
        if let Target::Request(id) = target {
            return id;
        }
        let next = &mut self.next_uni;
        *self.uni.entry(target).or_insert_with(|| {
            let id = StreamId(*next);
            *next += 4;
            id
        })
    }

    fn target_of(&self, id: StreamId) -> Target {
        self.uni
            .iter()
            .find_map(|(t, s)| (*s == id).then_some(*t))
            .unwrap_or(Target::Request(id))
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

pub struct Pair {
    pub now: Instant,
    pub client: Side,
    pub server: Side,
    next_request: u64,
}

impl Pair {
    pub fn new() -> Self {
        Self::with(Config::client(), Config::server())
    }

    pub fn with(client: Config, server: Config) -> Self {
        let now = epoch();
        let mut pair = Self {
            now,
            client: Side::new(now, client),
            server: Side::new(now, server),
            next_request: 0,
        };
        pair.run();
        pair.client.events.clear();
        pair.server.events.clear();
        pair
    }

    /// The next request stream a QUIC client would open.
    pub fn open(&mut self) -> StreamId {
        let id = StreamId(self.next_request << 2);
        self.next_request += 1;
        id
    }

    /// Opens a stream and sends a request on it.
    pub fn request(&mut self, headers: &[Header], end_stream: bool) -> Result<StreamId, SendError> {
        let id = self.open();
        self.client.conn.send_headers(id, headers, end_stream)?;
        Ok(id)
    }

    /// Moves everything both sides want to send until both are quiet.
    pub fn run(&mut self) {
        loop {
            let a = Self::step(self.now, &mut self.client, &mut self.server);
            let b = Self::step(self.now, &mut self.server, &mut self.client);
            if !a && !b {
                break;
            }
        }
    }

    /// Delivers what `from` wants to send to `to`; false when there was nothing.
    fn step(now: Instant, from: &mut Side, to: &mut Side) -> bool {
        let mut moved = false;
        while let Some(e) = from.conn.poll_event() {
            from.events.push(e);
        }
        while let Some(t) = from.conn.poll_transmit() {
            moved = true;
            match t {
                Transmit::Write { stream, data, fin } => {
                    if from.hold == Some(stream) {
                        from.held.push((stream, data, fin));
                        continue;
                    }
                    let id = from.uni_id(stream);
                    to.conn.recv_stream_data(now, id, data, fin);
                }
                Transmit::ResetStream { stream, code } => to.conn.recv_reset(now, stream, code),
                Transmit::StopSending { stream, code } => {
                    let target = to.target_of(stream);
                    to.conn.recv_stop_sending(now, target, code);
                }
            }
        }
        while let Some(e) = to.conn.poll_event() {
            to.events.push(e);
        }
        moved
    }

    /// Delivers the writes `side` held back.
    pub fn release(now: Instant, from: &mut Side, to: &mut Side) {
        from.hold = None;
        for (target, data, fin) in std::mem::take(&mut from.held) {
            let id = from.uni_id(target);
            to.conn.recv_stream_data(now, id, data, fin);
        }
    }

    /// Advances the virtual clock to the earliest deadline of either side (at most
    /// `limit` ahead) and fires it.
    pub fn advance(&mut self, limit: Duration) {
        let deadline = [
            self.client.conn.poll_timeout(),
            self.server.conn.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        self.now = match deadline {
            Some(d) if d <= self.now + limit => d.max(self.now),
            _ => self.now + limit,
        };
        self.client.conn.handle_timeout(self.now);
        self.server.conn.handle_timeout(self.now);
        self.run();
    }
}
