//! The header-block and body timeouts on a virtual clock: a header block is timed from
//! its first octet to END_HEADERS, and a request body from one DATA frame to the next.

mod support;

use std::time::Duration;

use support::*;
use weft_http2::{Config, ConnectionError, ErrorCode, Event, Initiator, StreamId};

const SECS: fn(u64) -> Duration = Duration::from_secs;

fn config(header_block: Option<u64>, body: Option<u64>) -> Config {
    let mut c = Config::server();
    c.header_block_timeout = header_block.map(SECS);
    c.body_timeout = body.map(SECS);
    c
}

fn lost(s: &Server) -> Option<ConnectionError> {
    s.events.iter().find_map(|e| match e {
        Event::ConnectionLost(err) => Some(err.clone()),
        _ => None,
    })
}

fn body_timeouts(s: &Server) -> Vec<StreamId> {
    s.events
        .iter()
        .filter_map(|e| match e {
            Event::BodyTimeout { stream } => Some(*stream),
            _ => None,
        })
        .collect()
}

// ---- header block -------------------------------------------------------------------

#[test]
fn continuations_do_not_restart_the_header_block_clock() {
    let mut s = Server::handshaken(config(Some(5), None));
    let b = get_block();
    s.feed(&headers(1, &b[..2], END_STREAM));
    for _ in 0..4 {
        s.advance(SECS(1));
        s.feed(&continuation(1, &[], 0));
    }
    assert_eq!(lost(&s), None, "4 s into a 5 s budget");
    s.advance(SECS(1));
    assert_eq!(lost(&s), Some(ConnectionError::HeaderBlockTimeout));
    assert_eq!(s.goaway().map(|g| g.1), Some(ErrorCode::ENHANCE_YOUR_CALM));
    assert_eq!(s.conn.poll_timeout(), None);
}

#[test]
fn a_header_frame_dripped_octet_by_octet_is_timed_from_its_first_octet() {
    let mut s = Server::handshaken(config(Some(5), None));
    let frame = get(1);
    // The frame header alone: no frame is complete yet, the clock already runs.
    s.feed(&frame[..9]);
    for octet in &frame[9..frame.len() - 1] {
        s.advance(Duration::from_millis(400));
        s.feed(std::slice::from_ref(octet));
    }
    assert!(frame.len() - 10 >= 13, "enough octets to pass 5 s");
    assert_eq!(lost(&s), Some(ConnectionError::HeaderBlockTimeout));
}

#[test]
fn complete_header_blocks_stop_the_clock() {
    let mut s = Server::handshaken(config(Some(5), None));
    let b = get_block();
    s.feed(&headers(1, &b[..2], END_STREAM));
    s.advance(SECS(4));
    s.feed(&continuation(1, &b[2..], END_HEADERS));
    assert!(s.has_headers_on(1));
    assert_eq!(s.conn.poll_timeout(), None, "no block pending, no deadline");
    s.advance(SECS(60));
    s.feed(&get(3));
    assert_eq!(lost(&s), None);
    assert!(s.has_headers_on(3));
}

#[test]
fn header_block_timeout_can_be_disabled() {
    let mut s = Server::handshaken(config(None, None));
    s.feed(&headers(1, &get_block()[..2], END_STREAM));
    assert_eq!(s.conn.poll_timeout(), None);
    s.advance(SECS(3600));
    assert_eq!(lost(&s), None);
}

// ---- body ---------------------------------------------------------------------------

#[test]
fn a_stalled_body_before_any_response_is_reported_then_reset() {
    let mut s = Server::handshaken(config(None, Some(10)));
    s.respond = false;
    s.feed(&post(1));
    s.advance(SECS(6));
    s.feed(&data(1, b"abc", false));
    // 9 s after the last DATA frame, 15 s after the head: still within the budget.
    s.advance(SECS(9));
    assert!(body_timeouts(&s).is_empty());
    s.advance(SECS(1));
    assert_eq!(body_timeouts(&s), vec![StreamId::new(1)]);
    assert!(s.resets().is_empty(), "the application may still answer");

    // The application does not answer and the peer stays silent: the stream goes.
    s.advance(SECS(10));
    assert_eq!(s.resets(), vec![(StreamId::new(1), ErrorCode::CANCEL)]);
    assert!(s.events.contains(&Event::StreamReset {
        stream: StreamId::new(1),
        code: ErrorCode::CANCEL,
        by: Initiator::Local,
    }));
    assert_eq!(lost(&s), None, "only the stream ends");
    assert_eq!(s.conn.stream_count(), 0);
}

#[test]
fn a_stalled_body_can_be_answered_with_408() {
    let mut s = Server::handshaken(config(None, Some(10)));
    s.respond = false;
    s.feed(&post(1));
    s.advance(SECS(10));
    assert_eq!(body_timeouts(&s), vec![StreamId::new(1)]);
    let head = [weft_http2::Header::new(":status", "408")];
    s.conn
        .send_headers(StreamId::new(1), &head, true)
        .expect("the stream still takes a response");
    s.conn
        .reset_stream(s.now, StreamId::new(1), ErrorCode::NO_ERROR)
        .expect("reset after a complete response");
    s.drain();
    assert!(s.has_headers_on(1));
    assert_eq!(s.resets(), vec![(StreamId::new(1), ErrorCode::NO_ERROR)]);
    assert_eq!(s.conn.stream_count(), 0);
}

#[test]
fn a_stalled_body_after_the_response_started_is_reset() {
    let mut s = Server::handshaken(config(None, Some(10)));
    s.respond = false;
    s.feed(&post(1));
    let head = [weft_http2::Header::new(":status", "200")];
    s.conn.send_headers(StreamId::new(1), &head, false).unwrap();
    s.advance(SECS(10));
    assert!(body_timeouts(&s).is_empty());
    assert_eq!(s.resets(), vec![(StreamId::new(1), ErrorCode::CANCEL)]);
    assert_eq!(lost(&s), None);
}

#[test]
fn each_stream_has_its_own_body_clock() {
    let mut s = Server::handshaken(config(None, Some(10)));
    s.respond = false;
    s.feed(&post(1));
    s.advance(SECS(5));
    s.feed(&post(3));
    for _ in 0..3 {
        s.advance(SECS(4));
        s.feed(&data(3, b"x", false));
    }
    // Stream 1 timed out at 10 s; stream 3 keeps sending.
    assert_eq!(body_timeouts(&s), vec![StreamId::new(1)]);
    s.feed(&data(3, b"x", true));
    s.advance(SECS(60));
    assert_eq!(
        body_timeouts(&s),
        vec![StreamId::new(1)],
        "stream 3 finished"
    );
}

#[test]
fn a_peer_blocked_by_our_window_is_not_timed_out() {
    let mut c = config(None, Some(10));
    c.local.initial_window_size = 16;
    let mut s = Server::handshaken(c);
    s.respond = false;
    s.feed(&post(1));
    // The window is full and the application has not released it.
    s.feed(&data(1, &[b'x'; 16], false));
    s.advance(SECS(30));
    assert!(body_timeouts(&s).is_empty());
    assert!(s.resets().is_empty());
    // Once the window reopens the peer has at least one full period (and at most
    // two: `release_capacity` is not told the time) before it is timed out.
    s.conn.release_capacity(StreamId::new(1), 16);
    s.drain();
    s.advance(SECS(10));
    assert!(body_timeouts(&s).is_empty());
    s.advance(SECS(10));
    assert_eq!(body_timeouts(&s), vec![StreamId::new(1)]);
}

#[test]
fn a_window_reopened_just_before_the_deadline_gives_the_peer_a_full_period() {
    let mut c = config(None, Some(10));
    c.local.initial_window_size = 16;
    let mut s = Server::handshaken(c);
    s.respond = false;
    s.feed(&post(1));
    s.feed(&data(1, &[b'x'; 16], false));
    // Blocked by us at the first expiry (10 s): the clock restarts, to 20 s.
    s.advance(SECS(10));
    s.advance(SECS(9));
    s.conn.release_capacity(StreamId::new(1), 16);
    s.drain();
    // 1 s after the window reopened is too early to blame the peer.
    s.advance(SECS(1));
    assert!(body_timeouts(&s).is_empty());
    s.advance(SECS(10));
    assert_eq!(body_timeouts(&s), vec![StreamId::new(1)]);
}

#[test]
fn a_finished_body_is_not_timed() {
    let mut s = Server::handshaken(config(None, Some(10)));
    s.respond = false;
    s.feed(&post(1));
    s.feed(&data(1, b"abc", true));
    assert_eq!(s.conn.poll_timeout(), None);
    s.advance(SECS(60));
    assert!(body_timeouts(&s).is_empty());
    assert!(s.resets().is_empty());
}

#[test]
fn body_timeout_can_be_disabled() {
    let mut s = Server::handshaken(config(None, None));
    s.respond = false;
    s.feed(&post(1));
    assert_eq!(s.conn.poll_timeout(), None);
    s.advance(SECS(3600));
    assert!(body_timeouts(&s).is_empty());
    assert!(s.resets().is_empty());
}

#[test]
fn timeouts_between_two_peers_in_memory() {
    // A client that sends a request head and then nothing: the server's body clock
    // runs, the client's (off by default) does not.
    let mut server = Config::server();
    server.body_timeout = Some(SECS(10));
    let mut p = pair::Pair::with(Config::client(), server);
    let start = p.now;
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &request_head(), false).unwrap();
    p.drive();
    let deadline = p.advance_to_next_timeout().expect("the body clock");
    assert_eq!(deadline, start + SECS(10));
    let events = p.take_server_events();
    assert!(events.contains(&Event::BodyTimeout { stream: id }));
}

fn request_head() -> Vec<weft_http2::Header> {
    POST.iter()
        .map(|(n, v)| weft_http2::Header::new(*n, *v))
        .collect()
}

// ---- idle ---------------------------------------------------------------------------

fn idle_config() -> Config {
    let mut c = Config::server();
    c.idle_timeout = Some(SECS(60));
    c.keepalive_interval = Some(SECS(25));
    c
}

#[test]
fn answers_to_keepalive_pings_do_not_keep_an_idle_connection_open() {
    let mut s = Server::handshaken(idle_config());
    // A client that answers every keep-alive PING, and sends its own PINGs and
    // WINDOW_UPDATEs, but opens no stream: idle all the same.
    let mut seen = 0;
    for _ in 0..3 {
        s.advance(SECS(25));
        let pings: Vec<[u8; 8]> = s.frames[seen..]
            .iter()
            .filter_map(|f| match f {
                weft_http2::frame::Frame::Ping(p) if !p.ack => Some(p.payload),
                _ => None,
            })
            .collect();
        seen = s.frames.len();
        assert!(
            !pings.is_empty() || s.goaway().is_some(),
            "no keep-alive PING"
        );
        for payload in pings {
            let mut ack = raw(0x6, 0x1, 0, &payload);
            ack.extend(ping(*b"clientpi"));
            ack.extend(window_update(0, 1));
            s.feed(&ack);
        }
    }
    assert_eq!(
        s.goaway().map(|g| g.1),
        Some(ErrorCode::NO_ERROR),
        "{:?}",
        s.frames
    );
}

#[test]
fn the_idle_clock_restarts_with_each_request() {
    let mut s = Server::handshaken(idle_config());
    s.advance(SECS(50));
    s.feed(&get(1));
    assert!(s.has_headers_on(1));
    s.clear();
    // 50 + 50 s: past the first deadline, but 50 s after the request.
    s.advance(SECS(50));
    assert_eq!(s.goaway(), None);
    s.advance(SECS(11));
    assert_eq!(s.goaway().map(|g| g.1), Some(ErrorCode::NO_ERROR));
}
