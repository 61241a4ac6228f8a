//! Large received messages reuse the buffers of earlier ones once the application drops
//! them, instead of taking fresh memory from the allocator for each (whose pages, once
//! returned to the kernel, fault in again zeroed), when the embedder gives them a
//! `BufferPool`; without one, nothing is kept.

mod common;

use common::from_client;
use ws_proto::{BufferPool, Config, Connection, Event, OpCode};

/// Receives one 64 KiB binary message in 16 KiB reads, as a server reads a socket.
fn receive(server: &mut Connection, fill: u8) -> bytes::Bytes {
    let wire = from_client(true, OpCode::Binary, &vec![fill; 64 * 1024]);
    for read in wire.chunks(16 * 1024) {
        server.recv(common::epoch(), read);
    }
    match server.poll_event() {
        Some(Event::Binary(data)) => data,
        other => panic!("expected a binary message, got {other:?}"),
    }
}

#[test]
fn a_large_message_reuses_the_buffer_of_one_dropped_before() {
    let pool = BufferPool::new();
    let config = Config {
        buffer_pool: Some(pool.clone()),
        ..Config::server()
    };
    let mut server = Connection::new(common::epoch(), config.clone());
    let first = receive(&mut server, 1);
    let (at, capacity) = (first.as_ptr(), first.len());
    assert!(first.iter().all(|&b| b == 1));
    drop(first);
    // Whatever the allocator would hand out next, taken first: a freed buffer would be
    // this one.
    let squatter = vec![0u8; capacity];
    let second = receive(&mut server, 2);
    assert_eq!(second.as_ptr(), at, "the second message got a new buffer");
    assert!(second.iter().all(|&b| b == 2));
    drop(squatter);

    // Another connection given the same pool takes what this one's messages leave.
    drop(second);
    assert_eq!(pool.kept_bytes(), capacity);
    let mut other = Connection::new(common::epoch(), config);
    let third = receive(&mut other, 3);
    assert_eq!(third.as_ptr(), at, "the pool was not shared");
    assert_eq!(pool.kept_bytes(), 0);
}

#[test]
fn without_a_pool_nothing_is_kept() {
    let mut server = Connection::new(common::epoch(), Config::server());
    let pool = BufferPool::new();
    drop(receive(&mut server, 1));
    assert_eq!(pool.kept_bytes(), 0);
    assert_eq!(server.config().buffer_pool, None);
}
