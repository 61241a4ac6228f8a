//! The head, body and keep-alive timers on a virtual clock, and the one error channel
//! they report through.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::now;
use weft_http1::{Config, Connection, Event, RecvError, ResponseHead, Timeouts};

const SECOND: Duration = Duration::from_secs(1);

fn server() -> Connection {
    let mut config = Config::server();
    config.timeouts = Timeouts {
        head: Some(10 * SECOND),
        body: Some(30 * SECOND),
        keep_alive: Some(60 * SECOND),
    };
    Connection::new(now(), config)
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

#[test]
fn a_silent_new_connection_gets_the_head_timeout() {
    let mut conn = server();
    assert_eq!(conn.poll_timeout(), Some(now() + 10 * SECOND));
    conn.handle_timeout(now() + 9 * SECOND);
    assert_eq!(conn.poll_event(), None, "calling early is harmless");
    conn.handle_timeout(now() + 10 * SECOND);
    assert_eq!(
        events(&mut conn),
        [Event::ConnectionLost(RecvError::HeadTimeout)]
    );
    assert_eq!(conn.error(), Some(&RecvError::HeadTimeout));
    assert_eq!(conn.poll_timeout(), None);
    // The application's 408 is still accepted.
    conn.send_response(&ResponseHead::new(408).with_header("Content-Length", "0"))
        .unwrap();
    conn.send_end(None).unwrap();
    assert!(conn.wants_write());
    assert!(conn.is_closed());
}

#[test]
fn a_trickling_head_times_out_from_its_first_byte() {
    let mut conn = server();
    let t = now() + 60 * SECOND;
    // A keep-alive cycle first, so the head timer is the one the bytes start.
    conn.recv(now(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(events(&mut conn).len(), 2);
    conn.send_response(&ResponseHead::new(204)).unwrap();
    conn.send_end(None).unwrap();
    conn.start_next_cycle(now()).unwrap();
    assert_eq!(conn.poll_timeout(), Some(now() + 60 * SECOND));

    conn.recv(t, b"GET / HT");
    assert_eq!(conn.poll_event(), None);
    assert_eq!(conn.poll_timeout(), Some(t + 10 * SECOND));
    // Later bytes of the same head do not move it.
    conn.recv(t + 5 * SECOND, b"TP/1.1\r\n");
    assert_eq!(conn.poll_event(), None);
    assert_eq!(conn.poll_timeout(), Some(t + 10 * SECOND));
    conn.handle_timeout(t + 10 * SECOND);
    assert_eq!(
        conn.poll_event(),
        Some(Event::ConnectionLost(RecvError::HeadTimeout))
    );
    assert_eq!(RecvError::HeadTimeout.status_hint(), 408);
    assert_eq!(conn.poll_event(), None, "reported once");
}

#[test]
fn body_timer_measures_the_gap_between_reads() {
    let mut conn = server();
    conn.recv(
        now(),
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello",
    );
    assert!(matches!(conn.poll_event(), Some(Event::Request(_))));
    assert_eq!(conn.poll_event(), Some(Event::Data(Bytes::from("hello"))));
    assert_eq!(conn.poll_event(), None);
    assert_eq!(conn.poll_timeout(), Some(now() + 30 * SECOND));
    let t = now() + 20 * SECOND;
    conn.recv(t, b"wor");
    assert_eq!(conn.poll_event(), Some(Event::Data(Bytes::from("wor"))));
    assert_eq!(conn.poll_timeout(), Some(t + 30 * SECOND));
    conn.handle_timeout(t + 30 * SECOND);
    assert_eq!(
        conn.poll_event(),
        Some(Event::ConnectionLost(RecvError::BodyTimeout))
    );
    // Input after the error is ignored.
    conn.recv(t + 31 * SECOND, b"ld");
    assert_eq!(conn.poll_event(), None);
}

#[test]
fn an_idle_keep_alive_connection_times_out_quietly() {
    let mut conn = server();
    conn.recv(now(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(events(&mut conn).len(), 2);
    // While the response is being made, no timer runs: the peer owes nothing.
    assert_eq!(conn.poll_timeout(), None);
    conn.send_response(&ResponseHead::new(204)).unwrap();
    conn.send_end(None).unwrap();
    let t = now() + 3 * SECOND;
    conn.start_next_cycle(t).unwrap();
    assert_eq!(conn.poll_timeout(), Some(t + 60 * SECOND));
    conn.handle_timeout(t + 60 * SECOND);
    assert_eq!(
        events(&mut conn),
        [Event::ConnectionLost(RecvError::IdleTimeout)]
    );
    assert!(conn.is_closed());
}

#[test]
fn timers_can_be_switched_off() {
    let mut config = Config::server();
    config.timeouts = Timeouts::none();
    let mut conn = Connection::new(now(), config);
    assert_eq!(conn.poll_timeout(), None);
    conn.recv(now(), b"GET / HT");
    assert_eq!(conn.poll_timeout(), None);
    conn.handle_timeout(now() + 1000 * SECOND);
    assert_eq!(conn.poll_event(), None);
}

#[test]
fn a_client_waits_for_nothing_until_the_response_starts() {
    let mut client = Connection::new(now(), Config::client());
    assert_eq!(client.poll_timeout(), None);
    client
        .send_request(&weft_http1::RequestHead::new("GET", "/").with_header("Host", "a"))
        .unwrap();
    client.send_end(None).unwrap();
    assert_eq!(client.poll_timeout(), None);
    client.recv(now(), b"HTTP/1.1 200 OK\r\n");
    assert_eq!(client.poll_event(), None);
    assert_eq!(client.poll_timeout(), Some(now() + 10 * SECOND));
}

#[test]
fn received_heads_carry_their_validated_framing() {
    let mut conn = server();
    conn.recv(
        now(),
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello",
    );
    let Some(Event::Request(head)) = conn.poll_event() else {
        panic!()
    };
    assert_eq!(head.content_length(), Some(5));
    assert!(head.has_body() && !head.is_chunked() && !head.is_head());

    let mut conn = server();
    conn.recv(
        now(),
        b"HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let Some(Event::Request(head)) = conn.poll_event() else {
        panic!()
    };
    assert_eq!(head.content_length(), None);
    assert!(head.has_body() && head.is_chunked() && head.is_head());

    let mut conn = server();
    conn.recv(
        now(),
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
    );
    let Some(Event::Request(head)) = conn.poll_event() else {
        panic!()
    };
    assert_eq!(head.content_length(), Some(0));
    assert!(!head.has_body());
}

#[test]
fn closed_only_once_nothing_is_owed() {
    // The client sends a whole request and half-closes: its response is still owed.
    let mut conn = server();
    conn.recv(now(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    conn.recv_eof(now());
    let seen = events(&mut conn);
    assert_eq!(
        (seen.len(), seen.last()),
        (3, Some(&Event::ConnectionClosed))
    );
    assert!(!conn.is_closed());
    conn.send_response(&ResponseHead::new(200).with_header("Content-Length", "2"))
        .unwrap();
    assert!(!conn.is_closed());
    conn.send_data(Bytes::from("ok")).unwrap();
    conn.send_end(None).unwrap();
    assert!(conn.is_closed());

    // A broken head: nothing is owed, the 400 is the server's choice.
    let mut conn = server();
    conn.recv(now(), b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n");
    assert!(matches!(
        events(&mut conn)[..],
        [Event::ConnectionLost(RecvError::Parse(_))]
    ));
    assert!(conn.is_closed());
    assert!(!conn.wants_write());
}
