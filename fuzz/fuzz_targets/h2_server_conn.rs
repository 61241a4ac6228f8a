#![no_main]
//! A server `Connection` driven by arbitrary frame sequences, raw bytes, byte splits,
//! application commands and clock ticks. Invariants: no panic; a connection error is
//! sticky; everything the server transmits parses as valid frames; windows and stream
//! counts stay within their bounds.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use bytes::{Bytes, BytesMut};
use http2_proto::frame::{self, Frame};
use http2_proto::{Config, Connection, ErrorCode, Event, Header, StreamId};

#[derive(Arbitrary, Debug)]
enum Op {
    /// A frame with a small stream id so the state machine is hit, not the id checks.
    Frame { kind: u8, flags: u8, stream: u8, payload: Vec<u8> },
    /// A HEADERS frame with a valid HPACK block built by a shared encoder.
    Headers { stream: u8, flags: u8, fields: Vec<(u8, Vec<u8>)> },
    /// Raw bytes (may desynchronise framing; that must be handled too).
    Raw(Vec<u8>),
    /// Feed everything pending, split at this many bytes per `recv`.
    Split(u8),
    Respond { stream: u8, body: u16, end: bool },
    Release { stream: u8, n: u16 },
    Reset { stream: u8 },
    GoAway,
    Ping,
    Tick(u16),
}

const NAMES: [&str; 12] = [
    ":method", ":scheme", ":path", ":authority", ":status", "content-length", "te", "connection",
    "x-a", "cookie", "X-Upper", ":protocol",
];

/// The fuzzer's clock origin (the harness is the I/O layer).
#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    static T: OnceLock<Instant> = OnceLock::new();
    *T.get_or_init(Instant::now)
}

fn raw(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len().min(0xff_ffff) as u32;
    let mut v = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    v.extend_from_slice(&stream.to_be_bytes());
    v.extend_from_slice(&payload[..len as usize]);
    v
}

fn check_output(conn: &mut Connection, parse: &mut BytesMut) {
    while let Some(b) = conn.poll_transmit() {
        parse.extend_from_slice(&b);
    }
    while let Some(f) = frame::decode_from(parse, frame::MAX_MAX_FRAME_SIZE).expect("server output is valid frames") {
        if let Frame::Data(d) = &f {
            assert!(d.data.len() <= frame::DEFAULT_MAX_FRAME_SIZE as usize);
        }
    }
}

libfuzzer_sys::fuzz_target!(|ops: Vec<Op>| {
    let mut now = epoch();
    let mut conn = Connection::new(now, Config::server());
    let mut encoder = hpack::Encoder::new(4096);
    let mut pending: Vec<u8> = http2_proto::PREFACE.to_vec();
    pending.extend(raw(4, 0, 0, &[]));
    let mut out = BytesMut::new();
    let mut streams: Vec<StreamId> = Vec::new();
    let mut failed: Option<http2_proto::ConnectionError> = None;
    let mut lost = false;
    for op in ops.into_iter().take(256) {
        match op {
            Op::Frame { kind, flags, stream, payload } => pending.extend(raw(kind, flags, u32::from(stream), &payload)),
            Op::Headers { stream, flags, fields } => {
                let headers: Vec<Header> = fields
                    .into_iter()
                    .take(16)
                    .map(|(n, v)| Header::new(NAMES[usize::from(n) % NAMES.len()], Bytes::from(v)))
                    .collect();
                let mut block = BytesMut::new();
                encoder.encode(&headers, &mut block);
                pending.extend(raw(1, flags | 0x4, u32::from(stream), &block));
            }
            Op::Raw(bytes) => pending.extend(bytes),
            Op::Split(n) => {
                let n = usize::from(n).max(1);
                for chunk in pending.chunks(n) {
                    conn.recv(now, chunk);
                    if let Some(error) = &failed {
                        assert_eq!(conn.error(), Some(error), "connection errors are sticky");
                    }
                    failed = conn.error().cloned();
                }
                pending.clear();
            }
            Op::Respond { stream, body, end } => {
                if let Some(&id) = streams.get(usize::from(stream) % streams.len().max(1)) {
                    let _ = conn.send_headers(id, &[Header::new(":status", "200")], body == 0 && end);
                    let _ = conn.send_data(id, Bytes::from(vec![0; usize::from(body)]), end);
                }
            }
            Op::Release { stream, n } => {
                if let Some(&id) = streams.get(usize::from(stream) % streams.len().max(1)) {
                    conn.release_capacity(id, usize::from(n));
                }
            }
            Op::Reset { stream } => {
                if let Some(&id) = streams.get(usize::from(stream) % streams.len().max(1)) {
                    let _ = conn.reset_stream(now, id, ErrorCode::CANCEL);
                }
            }
            Op::GoAway => conn.goaway(now, ErrorCode::NO_ERROR, Bytes::new()),
            Op::Ping => conn.ping(now, *b"fuzzping"),
            Op::Tick(ms) => {
                now += Duration::from_millis(u64::from(ms));
                conn.handle_timeout(now);
            }
        }
        while let Some(ev) = conn.poll_event() {
            assert!(!lost, "no event follows ConnectionLost");
            lost = matches!(ev, Event::ConnectionLost(_));
            if let Event::Headers { stream, .. } = ev {
                if !streams.contains(&stream) {
                    streams.push(stream);
                }
            }
        }
        check_output(&mut conn, &mut out);
        assert!(conn.connection_recv_window() >= 0 && conn.connection_recv_window() <= 0x7fff_ffff);
        assert!(conn.connection_send_window() <= 0x7fff_ffff);
        assert!(conn.active_peer_streams() <= 100);
    }
    conn.recv(now, &pending);
    if let Some(error) = &failed {
        assert_eq!(conn.error(), Some(error));
    }
    check_output(&mut conn, &mut out);
});
