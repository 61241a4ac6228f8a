//! What the two connection targets share: frames built from structured input (so the
//! fuzzer reaches deflate and fragmentation, not only the header checks), then raw bytes,
//! fed in arbitrary splits. Invariants: no panic; the same events however the bytes are
//! split; `ConnectionLost` comes once and last; the buffered input and the events held
//! stay within the configured bounds; messages stay within the message limit. What the
//! connection sends, compressed with the fuzzed parameters (windows of 8 to 15 bits, with
//! or without context takeover), reaches a peer with the same parameters as the messages
//! that were sent.

use std::time::{Duration, Instant};

use libfuzzer_sys::arbitrary;
use ws_proto::{
    Config, Connection, DataKind, DeflateParams, Event, FrameHeader, Limits, MessageMode,
    OpCode, Role, apply_mask, encode_header,
};

#[derive(Debug, arbitrary::Arbitrary)]
pub struct Frame {
    fin: bool,
    rsv1: bool,
    opcode: OpCode,
    key: [u8; 4],
    payload: Vec<u8>,
}

#[derive(Debug, arbitrary::Arbitrary)]
pub enum Command {
    Text(String),
    Binary(Vec<u8>),
    Fragment(bool, Vec<u8>, bool),
    Ping(Vec<u8>),
    Close(u16),
    Timeout(u8),
}

#[derive(Debug, arbitrary::Arbitrary)]
pub struct Input {
    deflate: DeflateParams,
    streaming: bool,
    auto_pong: bool,
    small_limits: bool,
    frames: Vec<Frame>,
    raw_tail: Vec<u8>,
    splits: Vec<u16>,
    commands: Vec<Command>,
    eof: bool,
}

fn config(role: Role, input: &Input) -> Config {
    let mut deflate = input.deflate;
    deflate.level %= 10;
    let limits = if input.small_limits {
        Limits { max_frame_size: 300, max_message_size: 1000, max_buffered_bytes: 2000 }
    } else {
        Limits::default()
    };
    Config {
        limits,
        mode: if input.streaming { MessageMode::Streaming } else { MessageMode::Whole },
        auto_pong: input.auto_pong,
        close_timeout: Duration::from_secs(1),
        deflate: Some(deflate),
        ..Config::new(role)
    }
}

/// The bytes the peer of `role` would send.
fn wire(role: Role, input: &Input) -> Vec<u8> {
    let mut out = Vec::new();
    for f in &input.frames {
        let mask = (role == Role::Server).then_some(f.key);
        let header = FrameHeader {
            fin: f.fin,
            rsv1: f.rsv1,
            rsv2: false,
            rsv3: false,
            opcode: f.opcode,
            mask,
            payload_len: f.payload.len() as u64,
        };
        encode_header(&header, &mut out);
        let start = out.len();
        out.extend_from_slice(&f.payload);
        if let Some(key) = mask {
            apply_mask(&mut out[start..], key, 0);
        }
    }
    out.extend_from_slice(&input.raw_tail);
    out
}

fn run(role: Role, input: &Input, wire: &[u8], split: bool) -> Vec<Event> {
    let cfg = config(role, input);
    let limits = cfg.limits;
    let mut now = Instant::now();
    let mut conn = Connection::new(now, cfg);
    let mut seen = Vec::new();
    let mut sent = Vec::new();
    let mut rest = wire;
    let mut pieces = input.splits.iter();
    loop {
        let n = if split { pieces.next().map_or(rest.len(), |&n| usize::from(n)) } else { rest.len() };
        let (piece, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        conn.recv(now, piece);
        drain(&mut conn, &mut seen, &mut sent, limits);
        if rest.is_empty() {
            break;
        }
    }
    // The messages sent, in order, and the one being sent in pieces.
    let mut messages: Vec<(DataKind, Vec<u8>)> = Vec::new();
    let mut piece: Option<(DataKind, Vec<u8>)> = None;
    for cmd in &input.commands {
        let _ = match cmd {
            Command::Text(t) => conn.send_text(t).map(|()| {
                messages.push((DataKind::Text, t.as_bytes().to_vec()));
            }),
            Command::Binary(b) => conn.send_binary(b).map(|()| {
                messages.push((DataKind::Binary, b.clone()));
            }),
            Command::Fragment(text, b, fin) => {
                let kind = if *text { DataKind::Text } else { DataKind::Binary };
                conn.send_fragment(kind, b, *fin).map(|()| {
                    piece.get_or_insert_with(|| (kind, Vec::new())).1.extend_from_slice(b);
                    if *fin {
                        messages.extend(piece.take());
                    }
                })
            }
            Command::Ping(p) => conn.send_ping(p),
            Command::Close(code) => conn.close(now, ws_proto::CloseCode(*code), ""),
            Command::Timeout(secs) => {
                now += Duration::from_millis(u64::from(*secs) * 10);
                conn.handle_timeout(now);
                Ok(())
            }
        };
        drain(&mut conn, &mut seen, &mut sent, limits);
    }
    if input.eof {
        conn.recv_eof(now);
        drain(&mut conn, &mut seen, &mut sent, limits);
    }
    // A message left unfinished counts for the UTF-8 check: its pieces so far may fail.
    messages.extend(piece);
    check_peer(role, input, &sent, &messages);
    let lost = seen.iter().filter(|e| matches!(e, Event::ConnectionLost(_))).count();
    assert!(lost <= 1);
    if lost == 1 {
        assert!(matches!(seen.last(), Some(Event::ConnectionLost(_))));
        assert!(conn.error().is_some());
    }
    seen
}

/// A peer with the same parameters reads what the connection sent: the messages sent
/// arrive whole and in order, up to the first text message that is not UTF-8 (pieces of
/// text need not be, and the peer then fails it), and nothing else fails the peer. The
/// last of `messages` may be unfinished.
fn check_peer(role: Role, input: &Input, sent: &[u8], messages: &[(DataKind, Vec<u8>)]) {
    let mut cfg = config(role.peer(), input);
    cfg.limits = Limits::default();
    cfg.mode = MessageMode::Whole;
    let now = Instant::now();
    let mut peer = Connection::new(now, cfg);
    peer.recv(now, sent);
    let mut events = Vec::new();
    let mut ignored = Vec::new();
    drain(&mut peer, &mut events, &mut ignored, Limits::default());
    let mut expected = messages.iter();
    for event in events {
        match event {
            Event::Text(data) | Event::Binary(data) => {
                let Some((_, m)) = expected.next() else { panic!("a message nobody sent") };
                assert_eq!(&data[..], &m[..]);
            }
            Event::ConnectionLost(ws_proto::Error::InvalidUtf8) => {
                let next = expected.next();
                assert!(next.is_some_and(|(k, m)| *k == DataKind::Text && std::str::from_utf8(m).is_err()));
                return;
            }
            Event::ConnectionLost(ws_proto::Error::Closed(_)) => return,
            Event::ConnectionLost(e) => panic!("the peer failed: {e:?}"),
            _ => {}
        }
    }
}

/// Drains as the driver contract says, until neither queue has anything: taking output
/// can let held-back input through, which can queue more events. What is sent is kept.
fn drain(conn: &mut Connection, seen: &mut Vec<Event>, sent: &mut Vec<u8>, limits: Limits) {
    loop {
        let mut any = false;
        while let Some(e) = conn.poll_event() {
            match &e {
                Event::Text(b) | Event::Binary(b) => assert!(b.len() <= limits.max_message_size),
                Event::Fragment { data, .. } => assert!(data.len() <= limits.max_message_size),
                Event::Ping(b) | Event::Pong(b) => assert!(b.len() <= 125),
                Event::ConnectionLost(_) => {}
            }
            seen.push(e);
            any = true;
        }
        while let Some(bytes) = conn.poll_transmit() {
            sent.extend_from_slice(&bytes);
            any = true;
        }
        if !any {
            return;
        }
    }
}

pub fn check(role: Role, input: Input) {
    let bytes = wire(role, &input);
    let whole = run(role, &input, &bytes, false);
    let split = run(role, &input, &bytes, true);
    // Streamed pieces are cut where the reads were cut; compare them joined.
    assert_eq!(settle(whole), settle(split));
}

/// Joins adjacent pieces, then drops the pieces of a message the connection failed in:
/// how much of it was handed out before the failure depends on where the reads ended
/// (inflated or checked data is delivered as soon as it is known good).
fn settle(events: Vec<Event>) -> Vec<Event> {
    let mut out = join(events);
    let complete = out
        .iter()
        .rposition(|e| matches!(e, Event::Fragment { fin: true, .. }))
        .map_or(0, |i| i + 1);
    let tail: Vec<Event> = out
        .split_off(complete)
        .into_iter()
        .filter(|e| !matches!(e, Event::Fragment { fin: false, .. }))
        .collect();
    out.extend(tail);
    out
}

fn join(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for e in events {
        if let (Some(Event::Fragment { kind, data, fin: false }), Event::Fragment { data: more, fin, .. }) =
            (out.last_mut(), &e)
        {
            let mut joined = data.to_vec();
            joined.extend_from_slice(more);
            let kind = *kind;
            *out.last_mut().unwrap() = Event::Fragment { kind, data: joined.into(), fin: *fin };
            continue;
        }
        out.push(e);
    }
    out
}
