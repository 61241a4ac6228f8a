#![no_main]
//! A server `Connection` fed arbitrary bytes in arbitrary splits, answering every request
//! so pipelined ones keep flowing. Invariants: no panic; the events are the same however
//! the bytes were split; every message is a head, then data, then one end; a
//! Content-Length body delivers exactly that many bytes; errors are sticky; nothing is
//! buffered beyond what was received.

use bytes::Bytes;
use std::time::Instant;

use http1_proto::{Config, Connection, Event, Leniency, Limits, ResponseHead, State, Timeouts};
use libfuzzer_sys::{arbitrary, fuzz_target};

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    leniency: Leniency,
    small_limits: bool,
    respond_with_body: bool,
    splits: Vec<u16>,
    data: Vec<u8>,
}

#[derive(Debug, PartialEq)]
enum Seen {
    Request(Vec<u8>, Vec<u8>, usize),
    Data(Vec<u8>),
    End(usize),
    Closed,
    Error(http1_proto::RecvError),
}

fn run(config: Config, chunks: &[&[u8]], respond_with_body: bool) -> Vec<Seen> {
    // Time stands still: the timers are tested on their own, and splitting must not
    // depend on them.
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut conn = Connection::new(now, config);
    let mut seen = Vec::new();
    let mut received = 0;
    let mut declared: Option<u64> = None;
    let mut body_len: u64 = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        conn.recv(now, chunk);
        received += chunk.len();
        if i + 1 == chunks.len() {
            conn.recv_eof(now);
        }
        loop {
            assert!(conn.trailing_data().0.len() <= received);
            match conn.poll_event() {
                Some(Event::Request(head)) => {
                    assert!(declared.is_none(), "head inside a message");
                    // What the connection validated agrees with the field itself.
                    declared = head.content_length();
                    if let Some(n) = declared {
                        let field = head.headers.get("content-length").unwrap();
                        let first = std::str::from_utf8(field).unwrap().split(',').next();
                        assert_eq!(first.unwrap().trim().parse::<u64>().ok(), Some(n));
                    }
                    body_len = 0;
                    seen.push(Seen::Request(
                        head.method.to_vec(),
                        head.target.to_vec(),
                        head.headers.len(),
                    ));
                    // Sometimes answer 100-continue, as a server would.
                    if conn.client_is_waiting_for_100_continue() {
                        conn.send_continue().unwrap();
                    }
                }
                Some(Event::Data(d)) => {
                    assert!(!d.is_empty());
                    body_len += d.len() as u64;
                    match seen.last_mut() {
                        Some(Seen::Data(prev)) => prev.extend_from_slice(&d),
                        _ => seen.push(Seen::Data(d.to_vec())),
                    }
                }
                Some(Event::EndOfMessage { trailers }) => {
                    if let Some(n) = declared.take() {
                        assert_eq!(n, body_len, "Content-Length body delivered exactly");
                    }
                    seen.push(Seen::End(trailers.map_or(0, |t| t.len())));
                    assert_eq!(
                        conn.their_state() == State::Done
                            || conn.their_state() == State::MustClose
                            || conn.their_state() == State::MightSwitchProtocol,
                        true
                    );
                    let body = if respond_with_body {
                        Bytes::from_static(b"ok")
                    } else {
                        Bytes::new()
                    };
                    conn.send_response(&ResponseHead::new(200)).unwrap();
                    if conn.our_state() == State::SendBody {
                        conn.send_data(body).unwrap();
                        conn.send_end(None).unwrap();
                    }
                    while conn.poll_transmit().is_some() {}
                    let _ = conn.start_next_cycle(now);
                }
                Some(Event::ConnectionClosed) => seen.push(Seen::Closed),
                Some(Event::ConnectionLost(e)) => {
                    assert_eq!(conn.poll_event(), None, "reported once");
                    assert_eq!(conn.error(), Some(&e), "errors are sticky");
                    assert!(!conn.keep_alive());
                    seen.push(Seen::Error(e));
                    // The error response can still be sent.
                    if matches!(conn.our_state(), State::Idle | State::SendResponse) {
                        conn.send_response(
                            &ResponseHead::new(e.status_hint()).with_header("Content-Length", "0"),
                        )
                        .unwrap();
                        conn.send_end(None).unwrap();
                    }
                    return seen;
                }
                Some(other) => panic!("server got {other:?}"),
                None => break,
            }
        }
    }
    seen
}

fuzz_target!(|input: Input| {
    let limits = if input.small_limits {
        Limits {
            max_head_bytes: 128,
            max_headers: 4,
            max_target_bytes: 32,
            max_chunk_ext_per_line: 16,
            max_chunk_ext_per_message: 64,
            max_buffered_bytes: 512,
        }
    } else {
        Limits::default()
    };
    let config = Config {
        limits,
        leniency: input.leniency,
        timeouts: Timeouts::none(),
        ..Config::server()
    };
    let data = &input.data[..];
    let whole = run(config, &[data], input.respond_with_body);

    let mut cuts: Vec<usize> = input
        .splits
        .iter()
        .map(|&s| usize::from(s) % (data.len() + 1))
        .collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts {
        chunks.push(&data[start..cut]);
        start = cut;
    }
    chunks.push(&data[start..]);
    let split = run(config, &chunks, input.respond_with_body);
    assert_eq!(whole, split, "split invariance");
});
