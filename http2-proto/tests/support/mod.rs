//! Shared test support: a frame builder (python-hyper's `FrameFactory` idea) that writes
//! raw frames independently of the crate's encoder, and a scripted server peer that
//! answers requests the way h2spec expects (200 with a non-empty body).
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use weft_http2::frame::{self, Frame};
use weft_http2::{
    Config, Connection, ConnectionError, ErrorCode, Event, HeadersKind, PREFACE, StreamId,
};

pub mod pair;

// ---- frame builder --------------------------------------------------------------------

pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const PRIORITY: u8 = 0x2;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PUSH_PROMISE: u8 = 0x5;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;

pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIORITY_FLAG: u8 = 0x20;

/// One raw frame.
pub fn raw(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut v = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    v.extend_from_slice(&stream.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

pub fn settings(entries: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    for (id, v) in entries {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    raw(SETTINGS, 0, 0, &p)
}

pub fn settings_ack() -> Vec<u8> {
    raw(SETTINGS, ACK, 0, &[])
}

pub fn ping(payload: [u8; 8]) -> Vec<u8> {
    raw(PING, 0, 0, &payload)
}

pub fn window_update(stream: u32, inc: u32) -> Vec<u8> {
    raw(WINDOW_UPDATE, 0, stream, &inc.to_be_bytes())
}

pub fn rst(stream: u32, code: u32) -> Vec<u8> {
    raw(RST_STREAM, 0, stream, &code.to_be_bytes())
}

pub fn priority(stream: u32, dep: u32, exclusive: bool, weight: u8) -> Vec<u8> {
    let mut p = (dep | if exclusive { 0x8000_0000 } else { 0 })
        .to_be_bytes()
        .to_vec();
    p.push(weight);
    raw(PRIORITY, 0, stream, &p)
}

pub fn goaway(last: u32, code: u32) -> Vec<u8> {
    let mut p = last.to_be_bytes().to_vec();
    p.extend_from_slice(&code.to_be_bytes());
    raw(GOAWAY, 0, 0, &p)
}

pub fn data(stream: u32, payload: &[u8], end: bool) -> Vec<u8> {
    raw(DATA, if end { END_STREAM } else { 0 }, stream, payload)
}

pub fn headers(stream: u32, block: &[u8], flags: u8) -> Vec<u8> {
    raw(HEADERS, flags, stream, block)
}

pub fn continuation(stream: u32, block: &[u8], flags: u8) -> Vec<u8> {
    raw(CONTINUATION, flags, stream, block)
}

/// An HPACK block of literal-without-indexing fields: stateless, so blocks can be built
/// in any order without sharing an encoder with the connection under test.
pub fn block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut b = BytesMut::new();
    for (n, v) in fields {
        b.extend_from_slice(&[0x00]);
        hpack::encode_integer(n.len(), 7, 0, &mut b);
        b.extend_from_slice(n.as_bytes());
        hpack::encode_integer(v.len(), 7, 0, &mut b);
        b.extend_from_slice(v.as_bytes());
    }
    b.to_vec()
}

pub const GET: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "localhost"),
];
pub const POST: &[(&str, &str)] = &[
    (":method", "POST"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "localhost"),
];

pub fn get_block() -> Vec<u8> {
    block(GET)
}

pub fn with(
    base: &[(&'static str, &'static str)],
    extra: &[(&'static str, &'static str)],
) -> Vec<u8> {
    let mut all = base.to_vec();
    all.extend_from_slice(extra);
    block(&all)
}

/// A GET request ending the stream.
pub fn get(stream: u32) -> Vec<u8> {
    headers(stream, &get_block(), END_HEADERS | END_STREAM)
}

/// A POST request head (body follows).
pub fn post(stream: u32) -> Vec<u8> {
    headers(stream, &block(POST), END_HEADERS)
}

pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// Parses every complete frame in `bytes`.
pub fn parse_frames(bytes: &[u8]) -> Vec<Frame> {
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    while let Some(f) =
        frame::decode_from(&mut buf, frame::MAX_MAX_FRAME_SIZE).expect("our output decodes")
    {
        out.push(f);
    }
    assert!(buf.is_empty(), "trailing partial frame in output");
    out
}

/// The origin of the virtual clock: tests only ever add durations to it.
#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

// ---- scripted server peer -------------------------------------------------------------

pub const BODY: &[u8] = b"hello, world!";

/// A server `Connection` driven like a tiny application: every complete request gets
/// `200` and [`BODY`], respecting flow control.
pub struct Server {
    pub conn: Connection,
    pub now: Instant,
    pub frames: Vec<Frame>,
    pub events: Vec<Event>,
    pub result: Result<(), ConnectionError>,
    pending: HashMap<StreamId, Bytes>,
    pub respond: bool,
}

impl Server {
    pub fn with_config(config: Config) -> Self {
        let now = epoch();
        let conn = Connection::new(now, config);
        let mut s = Self {
            conn,
            now,
            frames: Vec::new(),
            events: Vec::new(),
            result: Ok(()),
            pending: HashMap::new(),
            respond: true,
        };
        s.drain();
        s
    }

    /// A server after the full handshake (preface, empty SETTINGS, ACK of ours), with the
    /// handshake's frames and events cleared.
    pub fn new() -> Self {
        Self::handshaken(Config::server())
    }

    pub fn handshaken(config: Config) -> Self {
        let mut s = Self::with_config(config);
        let first = s.frames.first().cloned();
        assert!(
            matches!(first, Some(Frame::Settings(ref f)) if !f.ack),
            "server's first frame must be SETTINGS, got {first:?}"
        );
        let mut hs = PREFACE.to_vec();
        hs.extend(settings(&[]));
        hs.extend(settings_ack());
        s.feed(&hs);
        s.result.clone().expect("handshake");
        s.clear();
        s
    }

    pub fn clear(&mut self) {
        self.frames.clear();
        self.events.clear();
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.conn.handle_timeout(self.now);
        self.drain();
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.conn.recv(self.now, bytes);
        if self.result.is_ok()
            && let Some(error) = self.conn.error()
        {
            self.result = Err(error.clone());
        }
        self.drain();
    }

    pub fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(ev) = self.conn.poll_event() {
                progressed = true;
                self.act(&ev);
                self.events.push(ev);
            }
            let mut out = Vec::new();
            while let Some(b) = self.conn.poll_transmit() {
                out.extend_from_slice(&b);
            }
            if !out.is_empty() {
                self.frames.extend(parse_frames(&out));
            }
            if !progressed {
                break;
            }
        }
    }

    fn act(&mut self, ev: &Event) {
        if !self.respond {
            return;
        }
        match ev {
            Event::Headers {
                stream,
                end_stream: true,
                kind: HeadersKind::Request { .. } | HeadersKind::Trailers,
                ..
            }
            | Event::Data {
                stream,
                end_stream: true,
                ..
            } => {
                let head = [hpack::Header::new(":status", "200")];
                if self.conn.send_headers(*stream, &head, false).is_ok() {
                    self.pending.insert(*stream, Bytes::from_static(BODY));
                    self.push_body(*stream);
                }
            }
            Event::SendCapacity { stream } => self.push_body(*stream),
            _ => {}
        }
        if let Event::Data {
            stream, flow_len, ..
        } = ev
        {
            self.conn.release_capacity(*stream, *flow_len);
        }
    }

    fn push_body(&mut self, stream: StreamId) {
        let Some(body) = self.pending.remove(&stream) else {
            return;
        };
        match self.conn.send_data(stream, body.clone(), true) {
            Ok(n) if n == body.len() => {}
            Ok(n) => {
                self.pending.insert(stream, body.slice(n..));
            }
            Err(weft_http2::SendError::Blocked) => {
                self.pending.insert(stream, body);
            }
            Err(_) => {}
        }
    }

    // ---- queries ----

    pub fn goaway(&self) -> Option<(StreamId, ErrorCode)> {
        self.frames.iter().find_map(|f| match f {
            Frame::GoAway(g) => Some((g.last_stream, g.code)),
            _ => None,
        })
    }

    pub fn resets(&self) -> Vec<(StreamId, ErrorCode)> {
        self.frames
            .iter()
            .filter_map(|f| match f {
                Frame::RstStream(r) => Some((r.stream, r.code)),
                _ => None,
            })
            .collect()
    }

    pub fn has_headers_on(&self, stream: u32) -> bool {
        self.frames
            .iter()
            .any(|f| matches!(f, Frame::Headers(h) if h.stream.get() == stream))
    }

    pub fn data_lengths_on(&self, stream: u32) -> Vec<usize> {
        self.frames
            .iter()
            .filter_map(|f| match f {
                Frame::Data(d) if d.stream.get() == stream => Some(d.data.len()),
                _ => None,
            })
            .collect()
    }

    pub fn ping_acks(&self) -> Vec<[u8; 8]> {
        self.frames
            .iter()
            .filter_map(|f| match f {
                Frame::Ping(p) if p.ack => Some(p.payload),
                _ => None,
            })
            .collect()
    }

    pub fn settings_acks(&self) -> usize {
        self.frames
            .iter()
            .filter(|f| matches!(f, Frame::Settings(s) if s.ack))
            .count()
    }
}
