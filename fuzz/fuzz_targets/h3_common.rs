//! Shared by the HTTP/3 connection targets: a connection of either role driven by
//! arbitrary stream bytes (raw, or frames with field sections from a real QPACK
//! encoder whose encoder stream is fed too), resets, stop requests, application
//! commands and clock ticks. Invariants: no panic; the connection error is reported
//! once and last; every byte written on a request stream parses as frames.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use bytes::Bytes;
use http3_proto::frame::FrameHeader;
use http3_proto::{Config, Connection, ErrorCode, Event, Header, Role, StreamId, Target, Transmit};

#[derive(Arbitrary, Debug)]
pub enum Op {
    /// Raw bytes on a stream the peer can send on (small identifiers, so the state
    /// machine is hit rather than the identifier checks).
    Bytes {
        stream: u8,
        data: Vec<u8>,
        fin: bool,
    },
    /// A frame of any type on a stream.
    Frame {
        stream: u8,
        ty: u16,
        payload: Vec<u8>,
        fin: bool,
    },
    /// A HEADERS frame with a section from the peer's QPACK encoder; its inserts go out
    /// on the peer's encoder stream now or later.
    Headers {
        stream: u8,
        fields: Vec<(u8, Vec<u8>)>,
        fin: bool,
        encoder_now: bool,
    },
    /// Deliver the encoder-stream bytes held back.
    EncoderStream,
    Reset {
        stream: u8,
        code: u16,
    },
    StopSending {
        stream: u8,
        code: u16,
    },
    /// The application answers or sends on a stream.
    Send {
        stream: u8,
        body: u16,
        end: bool,
        trailers: bool,
    },
    AppReset {
        stream: u8,
    },
    GoAway,
    Tick(u16),
    Closed,
}

const NAMES: [&str; 12] = [
    ":method",
    ":scheme",
    ":path",
    ":authority",
    ":status",
    "content-length",
    "te",
    "connection",
    "x-a",
    "cookie",
    "X-Upper",
    ":protocol",
];

/// The fuzzer's clock origin (the harness is the I/O layer).
#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    static T: OnceLock<Instant> = OnceLock::new();
    *T.get_or_init(Instant::now)
}

fn varint(v: u64, out: &mut Vec<u8>) {
    http3_proto::varint::encode(v, out);
}

/// Stream `n` of the kinds the peer may send on: request streams, and the peer's
/// unidirectional streams.
fn stream_id(role: Role, n: u8) -> StreamId {
    let index = u64::from(n >> 1);
    let peer_uni = match role {
        Role::Server => 2,
        Role::Client => 3,
    };
    if n & 1 == 0 {
        StreamId(index << 2)
    } else {
        StreamId((index << 2) | peer_uni)
    }
}

/// Checks that `bytes` is a whole number of frames.
fn parse_frames(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let (h, n) = FrameHeader::decode(bytes).expect("a frame header");
        let len = usize::try_from(h.len).expect("frame length");
        bytes = bytes.get(n + len..).expect("a whole frame");
    }
}

pub fn run(role: Role, ops: Vec<Op>) {
    let mut now = epoch();
    let mut conn = Connection::new(now, Config::new(role));
    let mut encoder = qpack::Encoder::new();
    encoder.apply_settings(4096, 100);
    let peer_uni = match role {
        Role::Server => 2,
        Role::Client => 3,
    };
    // The peer's control stream, SETTINGS allowing a dynamic table, and its encoder
    // stream's type.
    // Stream type 0, SETTINGS of three octets: QPACK_MAX_TABLE_CAPACITY = 4096.
    let control = [0x00, 0x04, 0x03, 0x01, 0x50, 0x00];
    conn.recv_stream_data(
        now,
        StreamId(peer_uni),
        Bytes::copy_from_slice(&control),
        false,
    );
    conn.recv_stream_data(
        now,
        StreamId(peer_uni + 4),
        Bytes::from_static(&[0x02]),
        false,
    );
    let encoder_stream = StreamId(peer_uni + 4);
    let mut held_encoder: Vec<u8> = Vec::new();
    let mut written: HashMap<StreamId, Vec<u8>> = HashMap::new();
    let mut lost = false;
    for op in ops.into_iter().take(256) {
        match op {
            Op::Bytes { stream, data, fin } => {
                conn.recv_stream_data(now, stream_id(role, stream), Bytes::from(data), fin);
            }
            Op::Frame {
                stream,
                ty,
                payload,
                fin,
            } => {
                let mut f = Vec::new();
                varint(u64::from(ty), &mut f);
                varint(payload.len() as u64, &mut f);
                f.extend_from_slice(&payload);
                conn.recv_stream_data(now, stream_id(role, stream), Bytes::from(f), fin);
            }
            Op::Headers {
                stream,
                fields,
                fin,
                encoder_now,
            } => {
                let headers: Vec<Header> = fields
                    .into_iter()
                    .take(16)
                    .map(|(n, v)| Header::new(NAMES[usize::from(n) % NAMES.len()], v))
                    .collect();
                let id = stream_id(role, stream);
                let block = encoder.encode(id.0, &headers);
                if let Some(inserts) = encoder.poll_transmit() {
                    held_encoder.extend_from_slice(&inserts);
                }
                if encoder_now {
                    let bytes = std::mem::take(&mut held_encoder);
                    conn.recv_stream_data(now, encoder_stream, Bytes::from(bytes), false);
                }
                let mut f = Vec::new();
                varint(0x01, &mut f);
                varint(block.len() as u64, &mut f);
                f.extend_from_slice(&block);
                conn.recv_stream_data(now, id, Bytes::from(f), fin);
            }
            Op::EncoderStream => {
                let bytes = std::mem::take(&mut held_encoder);
                conn.recv_stream_data(now, encoder_stream, Bytes::from(bytes), false);
            }
            Op::Reset { stream, code } => {
                conn.recv_reset(now, stream_id(role, stream), ErrorCode(u64::from(code)));
            }
            Op::StopSending { stream, code } => {
                let target = match stream % 4 {
                    0 => Target::Control,
                    _ => Target::Request(StreamId(u64::from(stream) << 2)),
                };
                conn.recv_stop_sending(now, target, ErrorCode(u64::from(code)));
            }
            Op::Send {
                stream,
                body,
                end,
                trailers,
            } => {
                let id = StreamId(u64::from(stream) << 2);
                let head = match role {
                    Role::Server => vec![Header::new(":status", "200")],
                    Role::Client => vec![
                        Header::new(":method", "POST"),
                        Header::new(":scheme", "https"),
                        Header::new(":authority", "a"),
                        Header::new(":path", "/"),
                    ],
                };
                let _ = conn.send_headers(id, &head, false);
                let _ = conn.send_data(id, Bytes::from(vec![0u8; usize::from(body % 4096)]), end);
                if trailers {
                    let _ = conn.send_trailers(id, &[Header::new("x-t", "1")]);
                }
            }
            Op::AppReset { stream } => {
                let _ = conn.reset_stream(
                    StreamId(u64::from(stream) << 2),
                    ErrorCode::H3_REQUEST_CANCELLED,
                );
            }
            Op::GoAway => conn.goaway(now),
            Op::Tick(ms) => {
                now += Duration::from_millis(u64::from(ms) * 10);
                conn.handle_timeout(now);
            }
            Op::Closed => conn.recv_closed(now),
        }
        while let Some(e) = conn.poll_event() {
            assert!(!lost, "an event after ConnectionLost: {e:?}");
            lost = matches!(e, Event::ConnectionLost(_));
        }
        while let Some(t) = conn.poll_transmit() {
            if let Transmit::Write {
                stream: Target::Request(id),
                data,
                ..
            } = t
            {
                written.entry(id).or_default().extend_from_slice(&data);
            }
        }
        if let Some(deadline) = conn.poll_timeout() {
            assert!(deadline >= now || conn.error().is_none());
        }
    }
    for bytes in written.values() {
        parse_frames(bytes);
    }
}
