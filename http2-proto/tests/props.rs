//! Property tests: any split of the input gives the same events and output, and random
//! operation sequences on a client/server pair keep the invariants (windows within
//! bounds, stream counts within limits, no protocol error between two correct peers).

mod support;

use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use support::pair::Pair;
use support::*;
use weft_http2::{Config, Connection, ErrorCode, Event, Header, SendError, StreamId};

/// A conversation exercising most frame types, as one byte string from a client.
fn script() -> Vec<u8> {
    let b = get_block();
    cat(&[
        PREFACE_BYTES.to_vec(),
        settings(&[(4, 1000), (3, 10)]),
        settings_ack(),
        get(1),
        post(3),
        data(3, b"hello", false),
        raw(DATA, PADDED, 3, &[3, b'a', b'b', 0, 0, 0]),
        ping(*b"pingpong"),
        headers(5, &b[..3], END_STREAM),
        continuation(5, &b[3..], END_HEADERS),
        window_update(0, 1000),
        priority(7, 0, false, 1),
        headers(3, &block(&[("x-trailer", "1")]), END_HEADERS | END_STREAM),
        rst(5, 8),
        raw(0xee, 0, 0, b"unknown"),
        goaway(0, 0),
    ])
}

const PREFACE_BYTES: &[u8] = weft_http2::PREFACE;

fn run(chunks: &[&[u8]]) -> (Vec<Event>, Vec<u8>) {
    let now = epoch();
    let mut c = Connection::new(now, Config::server());
    let mut events = Vec::new();
    let mut out = Vec::new();
    for chunk in chunks {
        c.recv(now, chunk);
        assert_eq!(c.error(), None);
        events.extend(std::iter::from_fn(|| c.poll_event()));
        while let Some(b) = c.poll_transmit() {
            out.extend_from_slice(&b);
        }
    }
    (events, out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn split_invariance(cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..20)) {
        let input = script();
        let whole = run(&[&input]);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        points.sort_unstable();
        points.dedup();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in points {
            chunks.push(&input[last..p]);
            last = p;
        }
        chunks.push(&input[last..]);
        let split = run(&chunks);
        prop_assert_eq!(&split.0, &whole.0);
        prop_assert_eq!(&split.1, &whole.1);
        let saw_stream_5 = whole.0.iter().any(|e| matches!(e, Event::Headers { stream, .. } if stream.get() == 5));
        prop_assert!(saw_stream_5, "the script's CONTINUATION request was not seen");
    }
}

#[derive(Clone, Debug)]
enum Op {
    Request { body: u16, end: bool },
    ClientData { stream: u8, len: u16, end: bool },
    Respond { stream: u8, body: u16 },
    ServerData { stream: u8, len: u16, end: bool },
    ClientRelease { stream: u8 },
    ServerRelease { stream: u8 },
    ClientReset { stream: u8 },
    ServerReset { stream: u8 },
    Ping,
    Window { size: u32 },
    Drive,
    Tick { ms: u16 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u16>(), any::<bool>()).prop_map(|(body, end)| Op::Request { body, end }),
        (any::<u8>(), any::<u16>(), any::<bool>()).prop_map(|(stream, len, end)| Op::ClientData {
            stream,
            len,
            end
        }),
        (any::<u8>(), any::<u16>()).prop_map(|(stream, body)| Op::Respond { stream, body }),
        (any::<u8>(), any::<u16>(), any::<bool>()).prop_map(|(stream, len, end)| Op::ServerData {
            stream,
            len,
            end
        }),
        any::<u8>().prop_map(|stream| Op::ClientRelease { stream }),
        any::<u8>().prop_map(|stream| Op::ServerRelease { stream }),
        any::<u8>().prop_map(|stream| Op::ClientReset { stream }),
        any::<u8>().prop_map(|stream| Op::ServerReset { stream }),
        Just(Op::Ping),
        (0u32..300_000).prop_map(|size| Op::Window { size }),
        Just(Op::Drive),
        any::<u16>().prop_map(|ms| Op::Tick { ms }),
    ]
}

fn pick(ids: &[StreamId], i: u8) -> Option<StreamId> {
    (!ids.is_empty()).then(|| ids[usize::from(i) % ids.len()])
}

fn accept(r: Result<usize, SendError>) {
    match r {
        Ok(_)
        | Err(
            SendError::Blocked
            | SendError::StreamClosed(_)
            | SendError::NoSuchStream(_)
            | SendError::InvalidState,
        ) => {}
        Err(e) => panic!("unexpected send error {e}"),
    }
}

fn check_invariants(p: &Pair) {
    for c in [&p.client, &p.server] {
        assert!(
            c.error().is_none(),
            "protocol error between correct peers: {:?}",
            c.error()
        );
        assert!(c.connection_send_window() <= 0x7fff_ffff);
        assert!(c.connection_recv_window() >= 0 && c.connection_recv_window() <= 0x7fff_ffff);
    }
    let limit = p
        .server
        .local_settings()
        .max_concurrent_streams
        .unwrap_or(u32::MAX) as usize;
    assert!(p.server.active_peer_streams() <= limit);
    assert!(
        p.client.active_local_streams()
            <= limit.max(
                p.client
                    .peer_settings()
                    .max_concurrent_streams
                    .unwrap_or(u32::MAX) as usize
            )
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_keep_invariants(ops in proptest::collection::vec(op(), 1..80)) {
        let mut server_cfg = Config::server();
        server_cfg.local.max_concurrent_streams = Some(8);
        let mut p = Pair::with(Config::client(), server_cfg);
        let mut client_ids: Vec<StreamId> = Vec::new();
        let mut server_ids: Vec<StreamId> = Vec::new();
        let mut held_client: Vec<(StreamId, usize)> = Vec::new();
        let mut held_server: Vec<(StreamId, usize)> = Vec::new();
        for op in ops {
            match op {
                Op::Request { body, end } => {
                    if let Ok(id) = p.client.open_stream() {
                        let head = [Header::new(":method", "POST"), Header::new(":scheme", "https"), Header::new(":path", "/"), Header::new(":authority", "a")];
                        p.client.send_headers(id, &head, end && body == 0).unwrap();
                        if body > 0 {
                            accept(p.client.send_data(id, Bytes::from(vec![1; usize::from(body)]), end));
                        }
                        client_ids.push(id);
                    }
                }
                Op::ClientData { stream, len, end } => {
                    if let Some(id) = pick(&client_ids, stream) {
                        accept(p.client.send_data(id, Bytes::from(vec![2; usize::from(len)]), end));
                    }
                }
                Op::Respond { stream, body } => {
                    if let Some(id) = pick(&server_ids, stream) {
                        let r = p.server.send_headers(id, &[Header::new(":status", "200")], body == 0);
                        if r.is_ok() && body > 0 {
                            accept(p.server.send_data(id, Bytes::from(vec![3; usize::from(body)]), false));
                        }
                    }
                }
                Op::ServerData { stream, len, end } => {
                    if let Some(id) = pick(&server_ids, stream) {
                        accept(p.server.send_data(id, Bytes::from(vec![4; usize::from(len)]), end));
                    }
                }
                Op::ClientRelease { stream } => {
                    if let Some(i) = (!held_client.is_empty()).then(|| usize::from(stream) % held_client.len()) {
                        let (id, n) = held_client.swap_remove(i);
                        p.client.release_capacity(id, n);
                    }
                }
                Op::ServerRelease { stream } => {
                    if let Some(i) = (!held_server.is_empty()).then(|| usize::from(stream) % held_server.len()) {
                        let (id, n) = held_server.swap_remove(i);
                        p.server.release_capacity(id, n);
                    }
                }
                Op::ClientReset { stream } => {
                    if let Some(id) = pick(&client_ids, stream) {
                        let _ = p.client.reset_stream(p.now, id, ErrorCode::CANCEL);
                    }
                }
                Op::ServerReset { stream } => {
                    if let Some(id) = pick(&server_ids, stream) {
                        let _ = p.server.reset_stream(p.now, id, ErrorCode::NO_ERROR);
                    }
                }
                Op::Ping => p.client.ping(p.now, *b"proptest"),
                Op::Window { size } => {
                    let mut s = *p.server.local_settings();
                    s.initial_window_size = size;
                    p.server.update_settings(p.now, s);
                }
                Op::Drive => p.drive(),
                Op::Tick { ms } => p.advance(Duration::from_millis(u64::from(ms))),
            }
            p.drive();
            for e in p.take_server_events() {
                match e {
                    Event::Headers { stream, .. } if !server_ids.contains(&stream) => server_ids.push(stream),
                    Event::Data { stream, flow_len, .. } => held_server.push((stream, flow_len)),
                    _ => {}
                }
            }
            for e in p.take_client_events() {
                if let Event::Data { stream, flow_len, .. } = e {
                    held_client.push((stream, flow_len));
                }
            }
            check_invariants(&p);
        }
    }
}
