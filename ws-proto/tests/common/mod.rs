//! A client and a server in memory on a virtual clock, and raw frame builders.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use ws_proto::{Config, Connection, Event, FrameHeader, OpCode, apply_mask, encode_header};

#[derive(Debug)]
pub struct Pair {
    pub now: Instant,
    pub client: Connection,
    pub server: Connection,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
}

impl Pair {
    pub fn new(client: Config, server: Config) -> Self {
        let now = epoch();
        Self {
            now,
            client: Connection::new(now, client),
            server: Connection::new(now, server),
            client_events: Vec::new(),
            server_events: Vec::new(),
        }
    }

    pub fn plain() -> Self {
        Self::new(Config::client(), Config::server())
    }

    /// Moves bytes both ways until neither side has anything to say.
    pub fn drive(&mut self) {
        loop {
            let mut moved = false;
            while let Some(e) = self.client.poll_event() {
                self.client_events.push(e);
            }
            while let Some(e) = self.server.poll_event() {
                self.server_events.push(e);
            }
            while let Some(b) = self.client.poll_transmit() {
                self.server.recv(self.now, &b);
                moved = true;
            }
            while let Some(b) = self.server.poll_transmit() {
                self.client.recv(self.now, &b);
                moved = true;
            }
            if !moved {
                while let Some(e) = self.client.poll_event() {
                    self.client_events.push(e);
                }
                while let Some(e) = self.server.poll_event() {
                    self.server_events.push(e);
                }
                return;
            }
        }
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
    }
}

/// The origin of the virtual clock: tests only ever add durations to it.
#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

/// Drains a connection's events.
pub fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Drains a connection's output into one buffer.
pub fn transmit(conn: &mut Connection) -> Vec<u8> {
    std::iter::from_fn(|| conn.poll_transmit())
        .flat_map(|b| b.to_vec())
        .collect()
}

/// A frame as a client sends it (masked) or a server sends it (`mask` None).
pub fn frame(
    fin: bool,
    rsv1: bool,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) -> Vec<u8> {
    let header = FrameHeader {
        fin,
        rsv1,
        rsv2: false,
        rsv3: false,
        opcode,
        mask,
        payload_len: payload.len() as u64,
    };
    let mut out = Vec::new();
    encode_header(&header, &mut out);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key, 0);
    }
    out
}

pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A masked frame from a client.
pub fn from_client(fin: bool, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    frame(fin, false, opcode, Some(KEY), payload)
}
