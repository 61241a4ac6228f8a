//! Shared test support: a frame builder that writes raw HTTP/3 frames independently of
//! the crate's own encoder paths, a harness that drives one connection with raw stream
//! bytes (the peer played by the test), and a client/server pair in memory on a virtual
//! clock.
#![allow(dead_code, unreachable_pub)]

pub mod pair;

use std::time::Instant;

use bytes::Bytes;
use http3_proto::{
    Config, Connection, ConnectionError, ErrorCode, Event, Header, StreamId, Target, Transmit,
};

// ---- frame builder ----------------------------------------------------------------------

pub fn varint(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    http3_proto::varint::encode(v, &mut out);
    out
}

/// One raw frame.
pub fn frame(ty: u64, payload: &[u8]) -> Vec<u8> {
    let mut v = varint(ty);
    v.extend(varint(payload.len() as u64));
    v.extend_from_slice(payload);
    v
}

pub fn settings(pairs: &[(u64, u64)]) -> Vec<u8> {
    let mut p = Vec::new();
    for &(k, v) in pairs {
        p.extend(varint(k));
        p.extend(varint(v));
    }
    frame(0x04, &p)
}

/// A control stream's opening: the stream type and an empty SETTINGS frame.
pub fn control_preface() -> Vec<u8> {
    let mut v = varint(0x00);
    v.extend(settings(&[]));
    v
}

/// A field section encoded with the static table only (no encoder stream needed).
pub fn section(fields: &[(&str, &str)]) -> Vec<u8> {
    let headers: Vec<Header> = fields
        .iter()
        .map(|&(n, v)| Header::new(n.to_owned(), v.to_owned()))
        .collect();
    let mut encoder = qpack::Encoder::new();
    encoder.encode(0, &headers).to_vec()
}

pub fn headers_frame(fields: &[(&str, &str)]) -> Vec<u8> {
    frame(0x01, &section(fields))
}

pub fn data_frame(body: &[u8]) -> Vec<u8> {
    frame(0x00, body)
}

pub const GET: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "https"),
    (":authority", "example.com"),
    (":path", "/"),
];

pub fn h(name: &str, value: &str) -> Header {
    Header::new(name.to_owned(), value.to_owned())
}

pub fn epoch() -> Instant {
    #[allow(clippy::disallowed_methods)]
    Instant::now()
}

// ---- one connection, raw peer -----------------------------------------------------------

/// One connection whose peer is the test: it feeds raw bytes on stream identifiers of
/// its choosing and looks at the events and transmits.
pub struct Raw {
    pub conn: Connection,
    pub now: Instant,
    pub events: Vec<Event>,
    pub out: Vec<Transmit>,
}

/// The peer's control stream, as a client (2) or server (3) sees its peer's first
/// unidirectional stream.
pub const CLIENT_UNI_0: StreamId = StreamId(2);
pub const CLIENT_UNI_1: StreamId = StreamId(6);
pub const CLIENT_UNI_2: StreamId = StreamId(10);
pub const CLIENT_UNI_3: StreamId = StreamId(14);

impl Raw {
    pub fn new(config: Config) -> Self {
        let now = epoch();
        let mut raw = Self {
            conn: Connection::new(now, config),
            now,
            events: Vec::new(),
            out: Vec::new(),
        };
        raw.drain();
        raw
    }

    /// A server whose client already opened its control stream with empty SETTINGS.
    pub fn server() -> Self {
        Self::server_with(Config::server())
    }

    pub fn server_with(config: Config) -> Self {
        let mut raw = Self::new(config);
        raw.feed(CLIENT_UNI_0, &control_preface(), false);
        raw.events.clear();
        raw.out.clear();
        raw
    }

    pub fn drain(&mut self) {
        while let Some(e) = self.conn.poll_event() {
            self.events.push(e);
        }
        while let Some(t) = self.conn.poll_transmit() {
            self.out.push(t);
        }
    }

    pub fn feed(&mut self, id: StreamId, bytes: &[u8], fin: bool) {
        self.conn
            .recv_stream_data(self.now, id, Bytes::copy_from_slice(bytes), fin);
        self.drain();
    }

    /// The connection error, if the connection failed.
    pub fn lost(&self) -> Option<&ConnectionError> {
        self.events.iter().find_map(|e| match e {
            Event::ConnectionLost(err) => Some(err),
            _ => None,
        })
    }

    pub fn lost_code(&self) -> Option<ErrorCode> {
        self.lost().map(ConnectionError::code)
    }

    /// The code a stream was reset with, by us.
    pub fn reset_code(&self, id: StreamId) -> Option<ErrorCode> {
        self.out.iter().find_map(|t| match t {
            Transmit::ResetStream { stream, code } if *stream == id => Some(*code),
            _ => None,
        })
    }

    pub fn stop_code(&self, id: StreamId) -> Option<ErrorCode> {
        self.out.iter().find_map(|t| match t {
            Transmit::StopSending { stream, code } if *stream == id => Some(*code),
            _ => None,
        })
    }

    /// Everything written to `target`, concatenated, and whether it was finished.
    pub fn written(&self, target: Target) -> (Vec<u8>, bool) {
        let mut bytes = Vec::new();
        let mut fin = false;
        for t in &self.out {
            if let Transmit::Write {
                stream,
                data,
                fin: f,
            } = t
                && *stream == target
            {
                bytes.extend_from_slice(data);
                fin |= *f;
            }
        }
        (bytes, fin)
    }
}
