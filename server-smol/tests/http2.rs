//! The server over HTTP/2 with prior knowledge, spoken to by `http2-proto`
//! in the client role over a blocking socket.
#![allow(clippy::disallowed_methods)] // the test client reads the clock it hands to the protocol

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http2_proto::{Config, Connection, ErrorCode, Event, Header, StreamId};

use common::{config, start};

#[derive(Debug, Default)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Fields of a HEADERS frame after the response head.
    trailers: Vec<(String, String)>,
    done: bool,
    reset: Option<ErrorCode>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Client {
    sock: TcpStream,
    conn: Connection,
    replies: HashMap<StreamId, Reply>,
    goaway: Option<(StreamId, ErrorCode)>,
    closed: bool,
    /// Keep the flow-control credit of received DATA: a peer that does not read.
    hold_credit: bool,
}

impl Client {
    fn connect(addr: SocketAddr) -> Self {
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut client = Self {
            sock,
            conn: Connection::new(Instant::now(), Config::client()),
            replies: HashMap::new(),
            goaway: None,
            closed: false,
            hold_credit: false,
        };
        client.flush();
        client
    }

    fn flush(&mut self) {
        while let Some(bytes) = self.conn.poll_transmit() {
            if self.sock.write_all(&bytes).is_err() {
                self.closed = true;
                return;
            }
        }
    }

    fn request(&mut self, method: &str, path: &str, end_stream: bool) -> StreamId {
        self.request_with(method, path, &[], end_stream)
    }

    /// A request with `fields` after the pseudo-headers.
    fn request_with(
        &mut self,
        method: &str,
        path: &str,
        fields: &[(&'static str, &'static str)],
        end_stream: bool,
    ) -> StreamId {
        let id = self.conn.open_stream().unwrap();
        let mut headers = vec![
            Header::new(":method", method.to_owned()),
            Header::new(":scheme", "http"),
            Header::new(":path", path.to_owned()),
            Header::new(":authority", "localhost"),
        ];
        headers.extend(fields.iter().map(|&(n, v)| Header::new(n, v)));
        self.conn.send_headers(id, &headers, end_stream).unwrap();
        self.replies.insert(id, Reply::default());
        self.flush();
        id
    }

    /// Sends `body` on `id`, ending the stream, waiting for flow-control credit as needed.
    fn send_body(&mut self, id: StreamId, body: &[u8]) {
        self.send_data(id, body, true);
    }

    /// Sends `data` on `id`, waiting for flow-control credit as needed.
    fn send_data(&mut self, id: StreamId, data: &[u8], end_stream: bool) {
        let mut rest = Bytes::copy_from_slice(data);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.conn.send_data(id, rest.clone(), end_stream) {
                Ok(n) if n == rest.len() => break,
                Ok(n) => rest = rest.slice(n..),
                Err(http2_proto::SendError::Blocked) => {}
                Err(e) => panic!("send_data: {e}"),
            }
            self.flush();
            assert!(Instant::now() < deadline, "no send capacity");
            self.pump();
        }
        self.flush();
    }

    /// One read, and everything it leads to.
    fn pump(&mut self) {
        let mut buf = [0u8; 65536];
        match self.sock.read(&mut buf) {
            Ok(0) => {
                self.closed = true;
                self.conn.recv_eof(Instant::now());
            }
            Ok(n) => {
                self.conn.recv(Instant::now(), &buf[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => self.closed = true,
        }
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Headers {
                    stream,
                    headers,
                    end_stream,
                    ..
                } => {
                    let reply = self.replies.entry(stream).or_default();
                    let is_trailer = reply.status >= 200;
                    for h in headers {
                        let name = String::from_utf8(h.name.to_vec()).unwrap();
                        let value = String::from_utf8(h.value.to_vec()).unwrap();
                        if name == ":status" {
                            reply.status = value.parse().unwrap();
                        } else if is_trailer {
                            reply.trailers.push((name, value));
                        } else {
                            reply.headers.push((name, value));
                        }
                    }
                    reply.done |= end_stream;
                }
                Event::Data {
                    stream,
                    data,
                    end_stream,
                    flow_len,
                } => {
                    let reply = self.replies.entry(stream).or_default();
                    reply.body.extend_from_slice(&data);
                    reply.done |= end_stream;
                    if !self.hold_credit {
                        self.conn.release_capacity(stream, flow_len);
                    }
                }
                Event::StreamReset { stream, code, .. } => {
                    let reply = self.replies.entry(stream).or_default();
                    reply.reset = Some(code);
                    reply.done = true;
                }
                Event::GoAway {
                    last_stream, code, ..
                } => self.goaway = Some((last_stream, code)),
                _ => {}
            }
        }
        self.flush();
    }

    fn wait(&mut self, mut done: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out");
            assert!(!self.closed, "connection closed early");
            self.pump();
        }
    }

    fn finish(&mut self, id: StreamId) -> Reply {
        self.wait(|c| c.replies.get(&id).is_some_and(|r| r.done));
        self.replies.remove(&id).unwrap()
    }
}

#[test]
fn trailers_end_the_stream_in_a_final_headers_frame() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let streamed = client.request("GET", "/trailers", true);
    let full = client.request("GET", "/trailers-full", true);
    let head = client.request("HEAD", "/trailers-full", true);
    let streamed = client.finish(streamed);
    assert_eq!(streamed.status, 200);
    assert_eq!(streamed.body, b"abcdefg");
    assert_eq!(
        streamed.trailers,
        [
            ("x-body-length".into(), "7".into()),
            ("x-checksum".into(), "ok".into())
        ]
    );
    let full = client.finish(full);
    assert_eq!(full.body, b"complete");
    // HTTP/2 frames the body itself: a length and trailers go together.
    assert_eq!(full.header("content-length"), Some("8"));
    assert_eq!(full.trailers, [("grpc-status".into(), "0".into())]);
    let head = client.finish(head);
    assert!(head.body.is_empty() && head.trailers.is_empty());
    assert_eq!(head.reset, None);
    server.shutdown();
    server.join();
}

#[test]
fn a_field_that_cannot_be_sent_becomes_a_500() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let bad = client.request("GET", "/bad-header", true);
    let padded = client.request("GET", "/padded-header", true);
    let bad = client.finish(bad);
    assert_eq!((bad.status, bad.reset), (500, None));
    assert_eq!(bad.header("x-bad"), None);
    assert!(bad.headers.iter().all(|(n, _)| n != "x-injected"));
    let padded = client.finish(padded);
    assert_eq!(padded.status, 200);
    assert_eq!(padded.header("x-padded"), Some("value"));
    for (code, want) in [(150, 500), (42, 500), (1000, 500), (299, 299)] {
        let id = client.request("GET", &format!("/final-status/{code}"), true);
        let reply = client.finish(id);
        assert_eq!((reply.status, reply.reset), (want, None), "{code}");
    }
    server.shutdown();
    server.join();
}

#[test]
fn a_date_the_handler_set_is_the_only_one() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let id = client.request("GET", "/own-date", true);
    let reply = client.finish(id);
    let dates: Vec<_> = reply
        .headers
        .iter()
        .filter(|(n, _)| n == "date")
        .map(|(_, v)| v.as_str())
        .collect();
    // RFC 9110 §6.6.1: one value; two make the field invalid.
    assert_eq!(dates, ["Tue, 01 Jan 2030 00:00:00 GMT"]);
    let id = client.request("GET", "/users/1", true);
    assert!(client.finish(id).header("date").is_some());
    server.shutdown();
    server.join();
}

#[test]
fn a_204_goes_out_without_framing_fields() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    for how in ["length", "chunked"] {
        let id = client.request("GET", &format!("/no-content-framed/{how}"), true);
        let reply = client.finish(id);
        assert_eq!((reply.status, reply.reset), (204, None), "{how}");
        assert!(reply.body.is_empty(), "{how}");
        assert_eq!(reply.header("content-length"), None, "{how}");
        assert_eq!(reply.header("transfer-encoding"), None, "{how}");
    }
    server.shutdown();
    server.join();
}

#[test]
fn a_declared_length_must_match_the_body() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let cases = [
        ("/declared-length/5", 200),
        ("/declared-length/4", 500),
        ("/declared-length/6", 500),
        ("/declared-length/x", 500),
    ];
    for (path, want) in cases {
        let id = client.request("GET", path, true);
        let reply = client.finish(id);
        assert_eq!((reply.status, reply.reset), (want, None), "{path}");
    }
    // The length of a HEAD response describes the GET one.
    let id = client.request("HEAD", "/declared-length/4", true);
    let reply = client.finish(id);
    assert_eq!((reply.status, reply.reset), (200, None));
    assert_eq!(reply.header("content-length"), Some("4"));
    // Streamed, the mismatch shows only on the way: the stream is reset instead of
    // ending with a body that does not match its head.
    let id = client.request("GET", "/declared-length-stream/9", true);
    let reply = client.finish(id);
    assert_eq!(
        (reply.status, reply.reset),
        (200, Some(ErrorCode::INTERNAL_ERROR))
    );
    // The connection carries on.
    let id = client.request("GET", "/declared-length/5", true);
    assert_eq!(client.finish(id).body, b"hello");
    server.shutdown();
    server.join();
}

#[test]
fn concurrent_streams_on_one_connection() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let ids: Vec<(u32, StreamId)> = (0..40)
        .map(|i| (i, client.request("GET", &format!("/users/{i}"), true)))
        .collect();
    for (i, id) in ids {
        let reply = client.finish(id);
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.body,
            format!(r#"{{"id":{i},"name":"user {i}"}}"#).as_bytes()
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert!(reply.header("date").is_some());
    }
    let id = client.request("GET", "/missing", true);
    assert_eq!(client.finish(id).status, 404);
    let id = client.request("DELETE", "/users/1", true);
    let reply = client.finish(id);
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    let id = client.request("HEAD", "/", true);
    let reply = client.finish(id);
    assert_eq!((reply.status, reply.body.len()), (200, 0));
    assert_eq!(reply.header("content-length"), Some("13"));
    server.shutdown();
    server.join();
}

#[test]
fn large_bodies_flow_through_the_windows_both_ways() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    // Larger than every default window, smaller than the test's max_body.
    let body: Vec<u8> = (0..60_000u32).map(|i| (i % 251) as u8).collect();
    for _ in 0..3 {
        let id = client.request("POST", "/echo", false);
        client.send_body(id, &body);
        let reply = client.finish(id);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body.len(), body.len());
        assert!(reply.body == body);
    }
    server.shutdown();
    server.join();
}

#[test]
fn body_over_the_limit_is_413() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let id = client.request("POST", "/echo", false);
    // 64 KiB limit in the test config: send more, in window-sized steps.
    let chunk = vec![b'x'; 16_000];
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sent = 0;
    while sent < 100_000 && client.replies.get(&id).is_none_or(|r| r.status == 0) {
        match client.conn.send_data(id, Bytes::from(chunk.clone()), false) {
            Ok(n) => sent += n,
            Err(http2_proto::SendError::Blocked) => {}
            Err(_) => break,
        }
        client.flush();
        client.pump();
        assert!(Instant::now() < deadline);
    }
    let reply = client.finish(id);
    assert_eq!(reply.status, 413);
    // The connection stays usable.
    let id = client.request("GET", "/", true);
    assert_eq!(client.finish(id).body, b"Hello, World!");
    server.shutdown();
    server.join();
}

/// `content-length: 5, 5` is 5 (RFC 9110 §8.6): the handler gets the five bytes, and
/// a repeated length over the limit is refused before the body is read.
#[test]
fn a_repeated_content_length_is_one_length() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let id = client.request_with("POST", "/echo", &[("content-length", "5, 5")], false);
    client.send_body(id, b"hello");
    let reply = client.finish(id);
    assert_eq!((reply.status, &reply.body[..]), (200, &b"hello"[..]));

    let id = client.request_with(
        "POST",
        "/echo",
        &[("content-length", "1000000, 1000000")],
        false,
    );
    // Nothing of the body is sent: the answer comes from the head alone.
    let reply = client.finish(id);
    assert_eq!(reply.status, 413);
    server.shutdown();
    server.join();
}

#[test]
fn graceful_shutdown_sends_goaway_and_finishes_streams_in_flight() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let slow: Vec<StreamId> = (0..4)
        .map(|_| client.request("GET", "/slow/300", true))
        .collect();
    // Let the requests reach the server before the shutdown starts.
    let warm = client.request("GET", "/", true);
    client.finish(warm);
    server.shutdown();
    for id in slow {
        let reply = client.finish(id);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, b"slept 300");
    }
    client.wait(|c| c.goaway.is_some());
    assert_eq!(client.goaway.map(|g| g.1), Some(ErrorCode::NO_ERROR));
    client.wait(|c| c.closed);
    server.join();
}

/// A connection with no open stream is parked between requests: what HTTP/2
/// remembers must survive it (HPACK tables, stream ids, keep-alive PINGs in
/// flight), and its timers must still run (PINGs, the idle close).
#[test]
fn a_connection_waiting_with_no_stream_keeps_its_state_and_its_timers() {
    // Keep-alive PINGs every 150 ms, several while the connection waits.
    let mut pinging = config();
    pinging.timeouts.h2_ping = Some(Duration::from_millis(150));
    // Waits of 600 ms well inside the keep-alive timeout, however late a loaded
    // machine runs the client between them (800 ms left it 200 ms, and it
    // once ran out).
    let mut waiting = pinging.clone();
    waiting.timeouts.keep_alive = Duration::from_secs(5);
    let (server, addr) = start(waiting);
    let mut client = Client::connect(addr);
    for _ in 0..3 {
        // After the first, the field is an index into the table the server
        // decodes with: a lost table would be a COMPRESSION_ERROR.
        let id = client.request_with("GET", "/", &[("x-kept", "in the table")], true);
        assert_eq!(client.finish(id).body, b"Hello, World!");
        // Wait, answering the PINGs as they come (four or so): a PING lost
        // while parked would end the connection.
        let until = Instant::now() + Duration::from_millis(600);
        client.wait(|_| Instant::now() >= until);
    }
    assert_eq!(client.goaway, None);
    server.shutdown();
    server.join();

    // A parked connection closes at the keep-alive timeout (800 ms in the test
    // config), with or without PINGs: answering them is not using the connection.
    // GOAWAY, then the close.
    let (server, addr) = start(pinging);
    let mut client = Client::connect(addr);
    let id = client.request("GET", "/", true);
    assert_eq!(client.finish(id).body, b"Hello, World!");
    let since = Instant::now();
    client.wait(|c| c.goaway.is_some());
    assert_eq!(client.goaway.map(|g| g.1), Some(ErrorCode::NO_ERROR));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !client.closed {
        assert!(Instant::now() < deadline, "not closed after GOAWAY");
        client.pump();
    }
    let idle = since.elapsed();
    assert!(idle < Duration::from_secs(3), "{idle:?}");
    server.shutdown();
    server.join();
}

#[test]
fn a_stalled_upload_gets_408_at_the_body_timeout() {
    // body_read is 400 ms in the test config.
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let id = client.request("POST", "/echo", false);
    client
        .conn
        .send_data(id, Bytes::from_static(b"some"), false)
        .unwrap();
    client.flush();
    let started = Instant::now();
    let reply = client.finish(id);
    assert_eq!(reply.status, 408);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Only the stream ends: the connection still serves.
    let id = client.request("GET", "/", true);
    assert_eq!(client.finish(id).body, b"Hello, World!");
    server.shutdown();
    server.join();
}

#[test]
fn a_header_block_dripped_in_frames_ends_at_the_header_timeout() {
    // header_read is 400 ms in the test config; every frame inside the block
    // must not restart that clock (RFC 9113 §6.10: a block is one run of frames).
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    client.pump();
    // HEADERS on stream 1 without END_HEADERS: `:method: GET` (static index 2).
    client
        .sock
        .write_all(&[0, 0, 1, 0x1, 0x0, 0, 0, 0, 1, 0x82])
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        // An empty CONTINUATION, still without END_HEADERS.
        if client
            .sock
            .write_all(&[0, 0, 0, 0x9, 0x0, 0, 0, 0, 1])
            .is_err()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        client.pump();
        if client.closed || client.goaway.is_some() {
            break;
        }
    }
    assert!(
        client.closed || client.goaway.is_some(),
        "still open after 3 s"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    server.shutdown();
    server.join();
}

#[test]
fn handlers_of_one_connection_hold_at_most_the_connection_body_budget() {
    const MAX_BODY: usize = 4 << 20;
    const BUDGET: usize = 1 << 20;
    // The server's stream window (http2-proto's default; the budget is larger).
    const STREAM_WINDOW: usize = 256 * 1024;
    const UPLOADS: usize = 8;
    let mut config = config();
    config.limits.max_body = MAX_BODY as u64;
    config.limits.max_connection_body = BUDGET as u64;
    let (server, addr) = start(config);
    let mut client = Client::connect(addr);
    // Eight uploads of 2 MiB each, all under max_body, to a handler that keeps
    // every byte for 3 s: only the budget can stop them short of 16 MiB.
    let ids: Vec<StreamId> = (0..UPLOADS)
        .map(|_| client.request("POST", "/hold/3000", false))
        .collect();
    let mut left: HashMap<StreamId, usize> = ids.iter().map(|&id| (id, 2 << 20)).collect();
    let chunk = Bytes::from(vec![b'x'; 16_384]);
    let mut most = 0;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        for &id in &ids {
            let rest = left[&id];
            if rest == 0 {
                continue;
            }
            let piece = chunk.slice(..rest.min(chunk.len()));
            match client
                .conn
                .send_data(id, piece.clone(), rest == piece.len())
            {
                Ok(n) => *left.get_mut(&id).unwrap() -= n,
                Err(http2_proto::SendError::Blocked) => {}
                Err(e) => panic!("send_data: {e}"),
            }
        }
        client.flush();
        client.pump();
        most = most.max(common::HELD_BODY_BYTES.load(std::sync::atomic::Ordering::SeqCst));
    }
    assert!(most > 0, "no upload arrived");
    // The budget, plus the oldest upload, which proceeds past it, plus what the
    // other streams may take of the connection credit lent to it: one stream
    // window each (see body_budget.rs).
    let bound = BUDGET + MAX_BODY + (UPLOADS - 1) * STREAM_WINDOW;
    assert!(most <= bound, "handlers held {most} bytes, over {bound}");
    drop(client);
    server.shutdown();
    server.join();
}

#[test]
fn a_client_that_stops_reading_is_dropped_at_the_write_timeout() {
    // body_read, which is also the write timeout, is 400 ms in the test config.
    let (server, addr) = start(config());
    let sock = TcpStream::connect(addr).unwrap();
    // Windows wide open, so flow control does not stop the server first.
    let mut config = Config::client();
    config.local.initial_window_size = 0x7fff_ffff;
    config.connection_window = 0x7fff_ffff;
    let mut client = Client {
        sock,
        conn: Connection::new(Instant::now(), config),
        replies: HashMap::new(),
        goaway: None,
        closed: false,
        hold_credit: false,
    };
    client.flush();
    client.request("GET", "/big", true);
    std::thread::sleep(Duration::from_secs(2));
    client
        .sock
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = vec![0; 1 << 16];
    let mut received = 0;
    while received < 64 << 20 {
        match client.sock.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => received += n,
        }
    }
    assert!(
        received < 32 << 20,
        "the server kept writing: {received} bytes"
    );
    server.shutdown();
    server.join();
}

// ---- WebSocket over HTTP/2 (RFC 8441) ----------------------------------------------

/// A WebSocket on an extended-CONNECT stream of a [`Client`]: ws-proto in the client
/// role, fed the stream's DATA and writing its frames as DATA.
struct H2Socket {
    id: StreamId,
    ws: ws_proto::Connection,
    /// Octets of the stream's DATA already given to `ws`.
    fed: usize,
}

impl H2Socket {
    /// Sends an extended CONNECT for `path` once the server has enabled it; the
    /// response is `client.replies[id]`.
    fn request(client: &mut Client, path: &str, protocol: &'static str) -> StreamId {
        client.wait(|c| c.conn.peer_settings().enable_connect_protocol);
        client.request_with(
            "CONNECT",
            path,
            &[(":protocol", protocol), ("sec-websocket-version", "13")],
            false,
        )
    }

    fn open(client: &mut Client, path: &str) -> Self {
        let id = Self::request(client, path, "websocket");
        client.wait(|c| c.replies[&id].status != 0);
        assert_eq!(client.replies[&id].status, 200, "{:?}", client.replies[&id]);
        assert_eq!(client.replies[&id].header("content-length"), None);
        Self {
            id,
            ws: ws_proto::Connection::new(Instant::now(), ws_proto::Config::client()),
            fed: 0,
        }
    }

    fn flush(&mut self, client: &mut Client) {
        let mut out = Vec::new();
        while let Some(bytes) = self.ws.poll_transmit() {
            out.extend_from_slice(&bytes);
        }
        if !out.is_empty() {
            client.send_data(self.id, &out, false);
        }
    }

    fn send_text(&mut self, client: &mut Client, text: &str) {
        self.ws.send_text(text).unwrap();
        self.flush(client);
    }

    fn send_binary(&mut self, client: &mut Client, data: &[u8]) {
        self.ws.send_binary(data).unwrap();
        self.flush(client);
    }

    /// The next WebSocket event, reading the stream as needed.
    fn next(&mut self, client: &mut Client) -> ws_proto::Event {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(event) = self.ws.poll_event() {
                self.flush(client);
                return event;
            }
            let body = &client.replies[&self.id].body;
            if body.len() > self.fed {
                self.ws.recv(Instant::now(), &body[self.fed..]);
                self.fed = body.len();
                continue;
            }
            assert!(Instant::now() < deadline, "no WebSocket event");
            assert!(!client.closed, "connection closed early");
            client.pump();
        }
    }

    /// The closing handshake (RFC 6455 §7), then END_STREAM both ways.
    fn close(mut self, client: &mut Client) {
        self.ws
            .close(Instant::now(), ws_proto::CloseCode::NORMAL, "bye")
            .unwrap();
        self.flush(client);
        match self.next(client) {
            ws_proto::Event::ConnectionLost(error) => {
                assert!(error.is_clean(), "{error:?}");
            }
            other => panic!("expected the server's Close, got {other:?}"),
        }
        client.send_data(self.id, &[], true);
        client.wait(|c| c.replies[&self.id].done);
        assert_eq!(client.replies[&self.id].reset, None);
    }
}

#[test]
fn websockets_and_requests_share_one_connection() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let mut first = H2Socket::open(&mut client, "/ws");
    let get = client.request("GET", "/", true);
    let mut second = H2Socket::open(&mut client, "/ws");
    first.send_text(&mut client, "hello over HTTP/2");
    second.send_binary(&mut client, &[0, 1, 2, 255]);
    assert_eq!(client.finish(get).body, b"Hello, World!");
    assert_eq!(
        first.next(&mut client),
        ws_proto::Event::Text(Bytes::from_static(b"hello over HTTP/2"))
    );
    assert_eq!(
        second.next(&mut client),
        ws_proto::Event::Binary(Bytes::from_static(&[0, 1, 2, 255]))
    );
    // Larger than every stream window, both ways.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    first.send_binary(&mut client, &big);
    assert_eq!(first.next(&mut client), ws_proto::Event::Binary(big.into()));
    first.close(&mut client);
    second.send_text(&mut client, "still open");
    assert_eq!(
        second.next(&mut client),
        ws_proto::Event::Text(Bytes::from_static(b"still open"))
    );
    second.close(&mut client);
    let get = client.request("GET", "/", true);
    assert_eq!(client.finish(get).status, 200);
    server.shutdown();
    server.join();
}

#[test]
fn a_websocket_is_not_a_request_body() {
    // The test config's body read timeout is 400 ms and its max_body 64 KiB: neither
    // applies to a tunnel, which may be quiet for long and carry any amount.
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let mut socket = H2Socket::open(&mut client, "/ws");
    let chunk = vec![b'w'; 50_000];
    for _ in 0..4 {
        // Quiet before the first message and between messages alike.
        std::thread::sleep(Duration::from_millis(600));
        socket.send_binary(&mut client, &chunk);
        assert_eq!(
            socket.next(&mut client),
            ws_proto::Event::Binary(chunk.clone().into())
        );
    }
    socket.close(&mut client);
    server.shutdown();
    server.join();
}

#[test]
fn an_extended_connect_without_a_websocket_route_gets_an_http_answer() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let id = H2Socket::request(&mut client, "/", "websocket");
    assert_eq!(client.finish(id).status, 400, "an HTTP route");
    let id = H2Socket::request(&mut client, "/missing", "websocket");
    assert_eq!(client.finish(id).status, 404);
    let id = H2Socket::request(&mut client, "/ws", "connect-udp");
    assert_eq!(
        client.finish(id).status,
        501,
        "a protocol the server does not tunnel"
    );
    server.shutdown();
    server.join();
}

#[test]
fn shutdown_closes_websockets_over_http2_with_1001() {
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let mut socket = H2Socket::open(&mut client, "/ws");
    server.shutdown();
    match socket.next(&mut client) {
        ws_proto::Event::ConnectionLost(error) => {
            assert_eq!(
                error.close_code(),
                ws_proto::CloseCode::GOING_AWAY,
                "{error:?}"
            );
        }
        other => panic!("expected Close 1001, got {other:?}"),
    }
    client.send_data(socket.id, &[], true);
    server.join();
}

#[test]
fn a_websocket_peer_that_does_not_read_is_held_back_by_flow_control() {
    // The echo's replies fill our windows, which we never reopen: its `send` waits, so
    // it stops receiving, so the session stops reading the stream, so the server stops
    // crediting our DATA. What the server holds meanwhile is bounded by windows and
    // queues, not by what we send. Once its write timeout (400 ms here) passes, the
    // session gives up and the stream is cancelled, as the connection would be closed
    // over HTTP/1.1: the peer learns the socket is gone.
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    let mut socket = H2Socket::open(&mut client, "/ws");
    client.hold_credit = true;
    let message = vec![b'p'; 16 * 1024];
    let mut sent = 0usize;
    let mut stalled_since: Option<Instant> = None;
    let stalled =
        |since: Option<Instant>| since.is_some_and(|t| t.elapsed() > Duration::from_secs(1));
    'sending: while sent < 32 << 20 && !stalled(stalled_since) {
        socket.ws.send_binary(&message).unwrap();
        let mut frame = Vec::new();
        while let Some(bytes) = socket.ws.poll_transmit() {
            frame.extend_from_slice(&bytes);
        }
        let mut rest = Bytes::from(frame);
        while !rest.is_empty() && !stalled(stalled_since) {
            match client.conn.send_data(socket.id, rest.clone(), false) {
                Ok(n) => {
                    sent += n;
                    rest = rest.slice(n..);
                    stalled_since = None;
                }
                Err(http2_proto::SendError::Blocked) => {
                    stalled_since.get_or_insert_with(Instant::now);
                }
                // Cancelled by the server: it stopped taking our DATA well before.
                Err(http2_proto::SendError::StreamClosed(_)) => break 'sending,
                Err(e) => panic!("send_data: {e}"),
            }
            client.flush();
            client.pump();
        }
    }
    assert!(
        sent < 4 << 20,
        "the server took {sent} bytes from a peer that reads nothing"
    );
    client.wait(|c| c.replies[&socket.id].done);
    assert_eq!(client.replies[&socket.id].reset, Some(ErrorCode::CANCEL));
    server.shutdown();
    server.join();
}

#[test]
fn an_app_without_websocket_routes_does_not_offer_extended_connect() {
    // RFC 8441 §3: the setting invites extended CONNECT; an app that can open no
    // WebSocket does not send it, so a `:protocol` request is malformed there (a
    // stream error) rather than an HTTP answer from a route that cannot serve it.
    let mut app = weft_server::App::new();
    app.get("/", |_req| async { weft_server::Response::text("plain") });
    let server = weft_server::Server::new(config(), app).bind().unwrap();
    let addr = server.local_addr().unwrap();
    let mut client = Client::connect(addr);
    let id = client.request("GET", "/", true);
    assert_eq!(client.finish(id).body, b"plain");
    assert!(!client.conn.peer_settings().enable_connect_protocol);
    server.shutdown();
    server.join();
    let (server, addr) = start(config());
    let mut client = Client::connect(addr);
    client.wait(|c| c.conn.peer_settings().enable_connect_protocol);
    server.shutdown();
    server.join();
}

#[test]
fn a_route_for_both_kinds_opens_websockets_over_http2() {
    // An ASGI host's routes serve plain requests and WebSocket handshakes on one path:
    // over HTTP/2 the handshake is an extended CONNECT (RFC 8441 §4), which has no
    // `Upgrade` field, and such an app offers it (§3).
    let mut app = weft_server::App::new();
    app.try_route_and_ws(
        "/{*path}",
        None,
        |_request: weft_server::Request| async { weft_server::Response::text("plain") },
        weft_server::AutoAccept(|socket: weft_server::WebSocket, _req| async move {
            while let Some(message) = socket.recv().await {
                let _ = socket.send(message).await;
            }
        }),
    )
    .unwrap();
    let server = weft_server::Server::new(config(), app).bind().unwrap();
    let addr = server.local_addr().unwrap();
    let mut client = Client::connect(addr);
    let mut socket = H2Socket::open(&mut client, "/any/path");
    let get = client.request("GET", "/any/path", true);
    assert_eq!(client.finish(get).body, b"plain");
    socket.send_text(&mut client, "both over HTTP/2");
    assert_eq!(
        socket.next(&mut client),
        ws_proto::Event::Text(Bytes::from_static(b"both over HTTP/2"))
    );
    socket.close(&mut client);
    server.shutdown();
    server.join();
}
