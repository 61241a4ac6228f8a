//! Large received messages reuse the buffers of earlier ones once the application drops
//! them, instead of taking fresh memory from the allocator for each (whose pages, once
//! returned to the kernel, fault in again zeroed). In a file of its own: the buffers are
//! shared by the whole process, and other tests running beside it would take them.

mod common;

use common::from_client;
use ws_proto::{Config, Connection, Event, OpCode};

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
    let mut server = Connection::new(common::epoch(), Config::server());
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
}
