//! Body chunks a driver keeps hold only what the peer sent as body: filler that arrived
//! beside them (an unknown frame type, padding) is not kept alive with them.

mod support;

use bytes::Bytes;
use support::*;
use weft_http2::Event;

/// The `Data` chunks of `events`, each with the allocation it keeps alive, once nothing
/// but the chunks holds on to anything (`None` for a chunk sharing its allocation).
fn pinned(events: Vec<Event>) -> Vec<(usize, Option<usize>)> {
    events
        .into_iter()
        .filter_map(|e| match e {
            Event::Data { data, .. } => Some(data),
            _ => None,
        })
        .map(|data: Bytes| {
            let len = data.len();
            (len, data.try_into_mut().ok().map(|b| b.capacity()))
        })
        .collect()
}

#[test]
fn small_chunks_beside_filler_are_copied_out() {
    let mut s = Server::new();
    s.respond = false;
    s.feed(&post(1));
    let filler = vec![0u8; 16 * 1024];
    for _ in 0..64 {
        // One read: a 1-byte DATA frame, then a frame of an unknown type that the
        // connection ignores (RFC 9113 §5.5) but that shares the read buffer.
        s.feed(&cat(&[data(1, b"x", false), raw(0x20, 0, 0, &filler)]));
        // The same with the filler first.
        s.feed(&cat(&[raw(0x20, 0, 0, &filler), data(1, b"y", false)]));
    }
    // Padding (RFC 9113 §6.1) is filler too.
    let mut padded = vec![255u8];
    padded.push(b'z');
    padded.extend_from_slice(&[0; 255]);
    s.feed(&raw(DATA, PADDED, 1, &padded));
    let events = std::mem::take(&mut s.events);
    drop(s);
    let chunks = pinned(events);
    assert_eq!(chunks.len(), 129);
    for (len, capacity) in chunks {
        assert_eq!(
            capacity,
            Some(len),
            "a {len}-byte chunk keeps {capacity:?} bytes alive"
        );
    }
}

#[test]
fn large_chunks_pin_at_most_a_few_times_their_size() {
    let mut s = Server::new();
    s.respond = false;
    s.feed(&post(1));
    let body = vec![7u8; 16 * 1024];
    for _ in 0..8 {
        s.feed(&data(1, &body, false));
    }
    let events = std::mem::take(&mut s.events);
    drop(s);
    let mut held = 0;
    let mut body_bytes = 0;
    for (len, capacity) in pinned(events) {
        body_bytes += len;
        held += capacity.unwrap_or(0);
    }
    assert_eq!(body_bytes, 8 * 16 * 1024);
    assert!(held <= 4 * body_bytes, "{held} bytes held for {body_bytes}");
}
