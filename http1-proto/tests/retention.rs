//! Body chunks a driver keeps hold only what the peer sent as body: framing that arrived
//! beside them (chunk extensions, pipelined bytes) is not kept alive with them.

mod common;

use bytes::Bytes;
use common::now;
use weft_http1::{Config, Connection, Event, Limits, Role};

/// Drains the `Data` chunks of `conn`.
fn chunks(conn: &mut Connection) -> Vec<Bytes> {
    let mut chunks = Vec::new();
    while let Some(event) = conn.poll_event() {
        if let Event::Data(data) = event {
            chunks.push(data);
        }
    }
    chunks
}

/// Each chunk's length and the allocation it keeps alive, to be called once nothing but
/// the chunks holds anything (`None` for a chunk sharing its allocation with another).
fn pinned(chunks: Vec<Bytes>) -> Vec<(usize, Option<usize>)> {
    chunks
        .into_iter()
        .map(|data| (data.len(), data.try_into_mut().ok().map(|b| b.capacity())))
        .collect()
}

#[test]
fn small_chunks_beside_extensions_are_copied_out() {
    // Extensions are allowed freely here, to show that what is allowed is still not kept.
    let limits = Limits {
        max_chunk_ext_per_message: usize::MAX,
        ..Limits::default()
    };
    let mut conn = Connection::new(
        now(),
        Config {
            limits,
            ..Config::new(Role::Server)
        },
    );
    conn.recv(
        now(),
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n",
    );
    let mut kept = Vec::new();
    for _ in 0..64 {
        // One read: a chunk's data, then the next chunk-size line with its extension.
        // (A chunk's capacity shows what follows it in its allocation, so the filler
        // goes after the data.)
        conn.recv(now(), format!("x\r\n1;{}\r\n", "e".repeat(1000)).as_bytes());
        kept.extend(chunks(&mut conn));
    }
    drop(conn);
    assert_eq!(kept.len(), 64);
    for (len, capacity) in pinned(kept) {
        assert_eq!(
            capacity,
            Some(len),
            "a {len}-byte chunk keeps {capacity:?} bytes alive"
        );
    }
}

#[test]
fn a_small_body_does_not_keep_the_pipelined_request_behind_it() {
    let mut conn = Connection::new(now(), Config::new(Role::Server));
    let mut input = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx".to_vec();
    input.extend_from_slice(
        format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "v".repeat(8000)
        )
        .as_bytes(),
    );
    conn.recv_owned(now(), bytes::BytesMut::from(&input[..]));
    let kept = chunks(&mut conn);
    drop(conn);
    assert_eq!(pinned(kept), vec![(1, Some(1))]);
}
