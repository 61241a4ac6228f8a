//! A client and a server `Connection` in memory on a virtual clock (quinn's `Pair`).

use std::time::{Duration, Instant};

use bytes::Bytes;
use weft_http2::{Config, Connection, Event};

use super::epoch;

pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub now: Instant,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    /// Octets moved in each direction, for flow-control assertions.
    pub to_server: usize,
    pub to_client: usize,
}

impl Pair {
    pub fn new() -> Self {
        Self::with(Config::client(), Config::server())
    }

    pub fn with(client: Config, server: Config) -> Self {
        let now = epoch();
        let mut p = Self {
            client: Connection::new(now, client),
            server: Connection::new(now, server),
            now,
            client_events: Vec::new(),
            server_events: Vec::new(),
            to_server: 0,
            to_client: 0,
        };
        p.drive();
        p
    }

    /// Moves bytes both ways until neither side has anything to send.
    pub fn drive(&mut self) {
        for _ in 0..10_000 {
            let a = self.flush_client();
            let b = self.flush_server();
            if !a && !b {
                return;
            }
        }
        panic!("pair did not quiesce");
    }

    fn flush_client(&mut self) -> bool {
        let mut moved = false;
        while let Some(ev) = self.client.poll_event() {
            self.client_events.push(ev);
        }
        while let Some(b) = self.client.poll_transmit() {
            moved = true;
            self.to_server += b.len();
            self.server.recv(self.now, &b);
        }
        while let Some(ev) = self.server.poll_event() {
            self.server_events.push(ev);
        }
        moved
    }

    fn flush_server(&mut self) -> bool {
        let mut moved = false;
        while let Some(ev) = self.server.poll_event() {
            self.server_events.push(ev);
        }
        while let Some(b) = self.server.poll_transmit() {
            moved = true;
            self.to_client += b.len();
            self.client.recv(self.now, &b);
        }
        while let Some(ev) = self.client.poll_event() {
            self.client_events.push(ev);
        }
        moved
    }

    /// Jumps the clock to the earliest deadline of either side and runs it.
    pub fn advance_to_next_timeout(&mut self) -> Option<Instant> {
        let next = [self.client.poll_timeout(), self.server.poll_timeout()]
            .into_iter()
            .flatten()
            .min()?;
        self.now = self.now.max(next);
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
        self.drive();
        Some(next)
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
        self.drive();
    }

    pub fn take_client_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.client_events)
    }

    pub fn take_server_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.server_events)
    }
}

/// Collects a stream's body from `Data` events.
pub fn body_of(events: &[Event], id: weft_http2::StreamId) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        if let Event::Data { stream, data, .. } = e
            && *stream == id
        {
            out.extend_from_slice(data);
        }
    }
    out
}

pub fn bytes_of(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>())
}
