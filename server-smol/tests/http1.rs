//! The server over real sockets, spoken to in raw HTTP/1.1 bytes.
#![allow(clippy::disallowed_methods)] // tests measure how long the server took

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{HANG_DROPS, IDLE_STREAM_DROPS, Reader, config, connect, get, start};

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    for id in 1..=3 {
        r.send(format!("GET /users/{id} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let reply = r.reply();
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.body,
            format!(r#"{{"id":{id},"name":"user {id}"}}"#).as_bytes()
        );
        assert!(reply.header("date").is_some());
        assert_eq!(reply.header("connection"), None);
    }
    server.shutdown();
    server.join();
}

#[test]
fn a_field_that_cannot_be_sent_becomes_a_500() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"GET /bad-header HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.status, 500);
    assert!(
        reply
            .headers
            .iter()
            .all(|(n, _)| n != "x-bad" && n != "x-injected")
    );
    let reply = get(addr, "/padded-header", "");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-padded"), Some("value"));
    // A 1xx is not a final response; 42 and 1000 are not status codes.
    for code in [150, 42, 1000] {
        assert_eq!(
            get(addr, &format!("/final-status/{code}"), "").status,
            500,
            "{code}"
        );
    }
    assert_eq!(get(addr, "/final-status/299", "").status, 299);
    server.shutdown();
    server.join();
}

#[test]
fn a_date_the_handler_set_is_the_only_one() {
    let (server, addr) = start(config());
    let reply = get(addr, "/own-date", "");
    let dates: Vec<_> = reply
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("date"))
        .map(|(_, v)| v.as_str())
        .collect();
    // RFC 9110 §6.6.1: one value; two make the field invalid.
    assert_eq!(dates, ["Tue, 01 Jan 2030 00:00:00 GMT"]);
    assert!(get(addr, "/users/1", "").header("date").is_some());
    server.shutdown();
    server.join();
}

#[test]
fn a_204_goes_out_without_framing_fields() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    for how in ["length", "chunked"] {
        r.send(format!("GET /no-content-framed/{how} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let reply = r.reply();
        assert_eq!(reply.status, 204, "{how}");
        assert!(reply.body.is_empty(), "{how}");
        // RFC 9110 §8.6, RFC 9112 §6.1.
        assert_eq!(reply.header("content-length"), None, "{how}");
        assert_eq!(reply.header("transfer-encoding"), None, "{how}");
    }
    // The connection is still in step: nothing was sent after either head.
    r.send(b"GET /users/1 HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.reply().status, 200);
    server.shutdown();
    server.join();
}

#[test]
fn a_declared_length_must_match_the_body() {
    let (server, addr) = start(config());
    assert_eq!(get(addr, "/declared-length/5", "").body, b"hello");
    for n in ["4", "6", "x"] {
        assert_eq!(
            get(addr, &format!("/declared-length/{n}"), "").status,
            500,
            "{n}"
        );
    }
    // The length of a HEAD response describes the GET one.
    let mut r = Reader::new(connect(addr));
    r.send(b"HEAD /declared-length/4 HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = r.reply_with(true).expect("a response");
    assert_eq!(
        (reply.status, reply.header("content-length")),
        (200, Some("4"))
    );
    // Streamed, the mismatch shows only on the way: the connection ends early
    // rather than carry a body that does not match its head.
    let mut r = Reader::new(connect(addr));
    r.send(b"GET /declared-length-stream/9 HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = r.reply_with(true).expect("a response head");
    assert_eq!(head.header("content-length"), Some("9"));
    assert_eq!(r.rest_until_closed(), b"hello");
    // Chunked coding the handler asked for is used, not contradicted by a length.
    let reply = get(addr, "/chunked-by-handler", "");
    assert_eq!((reply.status, &reply.body[..]), (200, &b"abc"[..]));
    assert_eq!(reply.header("content-length"), None);
    server.shutdown();
    server.join();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    let mut burst = Vec::new();
    for id in 0..16 {
        burst.extend_from_slice(format!("GET /users/{id} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
    }
    // A slow request in the middle must not reorder the ones after it.
    burst.extend_from_slice(b"GET /slow/50 HTTP/1.1\r\nHost: t\r\n\r\n");
    burst.extend_from_slice(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    burst.extend_from_slice(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    r.send(&burst);
    for id in 0..16 {
        let reply = r.reply();
        assert_eq!(
            reply.body,
            format!(r#"{{"id":{id},"name":"user {id}"}}"#).as_bytes()
        );
    }
    assert_eq!(r.reply().body, b"slept 50");
    assert_eq!(r.reply().body, b"abc");
    assert_eq!(r.reply().body, b"Hello, World!");
    server.shutdown();
    server.join();
}

#[test]
fn expect_100_continue_gets_an_interim_response_before_the_body() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    let interim = r.reply();
    assert_eq!(interim.status, 100);
    r.send(b"hello");
    let reply = r.reply();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"hello");
    // A route without a handler answers at once, without 100, and closes.
    r.send(b"POST /nope HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(r.is_closed());
    server.shutdown();
    server.join();
}

#[test]
fn chunked_in_and_out() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.body, b"hello world");
    // Still usable afterwards.
    r.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.reply().body, b"Hello, World!");
    server.shutdown();
    server.join();
}

#[test]
fn trailers_follow_a_chunked_body_and_are_dropped_where_framing_has_no_room() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"GET /trailers HTTP/1.1\r\nHost: t\r\nTE: trailers\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.body, b"abcdefg");
    // Computed after the stream ended: it saw every byte.
    assert_eq!(
        reply.trailers,
        [
            ("x-body-length".into(), "7".into()),
            ("x-checksum".into(), "ok".into())
        ]
    );
    // A complete body with trailers is chunked too, not Content-Length.
    r.send(b"GET /trailers-full HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.header("content-length"), None);
    assert_eq!(reply.body, b"complete");
    assert_eq!(reply.trailers, [("grpc-status".into(), "0".into())]);
    // HEAD: no body, so no trailers, and the connection stays in step.
    r.send(b"HEAD /trailers-full HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = r.reply_with(true).unwrap();
    assert_eq!(reply.status, 200);
    r.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.reply().body, b"Hello, World!");
    // HTTP/1.0 has no chunked framing: the body arrives whole, without them.
    let mut r = Reader::new(connect(addr));
    r.send(b"GET /trailers HTTP/1.0\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.body, b"abcdefg");
    assert!(reply.trailers.is_empty());
    server.shutdown();
    server.join();
}

#[test]
fn head_gets_the_get_headers_without_a_body() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = r.reply_with(true).unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("13"));
    // The next response follows immediately: no body bytes were sent for HEAD.
    assert_eq!(r.reply().body, b"Hello, World!");
    server.shutdown();
    server.join();
}

#[test]
fn not_found_and_method_not_allowed() {
    let (server, addr) = start(config());
    assert_eq!(get(addr, "/nowhere", "").status, 404);
    let mut r = Reader::new(connect(addr));
    r.send(b"DELETE /users/1 HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    server.shutdown();
    server.join();
}

#[test]
fn declared_body_over_the_limit_is_413_and_close() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.status, 413);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(r.is_closed());
    server.shutdown();
    server.join();
}

/// `Content-Length: 5, 5` is 5 (RFC 9110 §8.6, RFC 9112 §6.3): the handler gets the five
/// bytes, and a repeated length over the limit is refused before the body is read.
#[test]
fn a_repeated_content_length_is_one_length() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\nhello");
    let reply = r.reply();
    assert_eq!((reply.status, &reply.body[..]), (200, &b"hello"[..]));

    let mut r = Reader::new(connect(addr));
    r.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000, 1000000\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.status, 413);
    assert!(r.is_closed());
    server.shutdown();
    server.join();
}

#[test]
fn chunked_body_growing_over_the_limit_is_413_and_close() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    let chunk = vec![b'x'; 16 * 1024];
    for _ in 0..5 {
        let mut piece = format!("{:x}\r\n", chunk.len()).into_bytes();
        piece.extend_from_slice(&chunk);
        piece.extend_from_slice(b"\r\n");
        if r.stream.write_all(&piece).is_err() {
            break;
        }
    }
    let reply = r.reply();
    assert_eq!(reply.status, 413);
    assert!(r.is_closed());
    server.shutdown();
    server.join();
}

#[test]
fn oversized_head_is_431() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    let big = "a".repeat(10_000);
    r.send(format!("GET / HTTP/1.1\r\nHost: t\r\nX-Big: {big}\r\n\r\n").as_bytes());
    let reply = r.reply();
    assert_eq!(reply.status, 431);
    assert!(r.is_closed());
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let reply = get(addr, "/", &many);
    assert_eq!(reply.status, 431);
    server.shutdown();
    server.join();
}

#[test]
fn smuggling_shapes_are_400_and_close() {
    let (server, addr) = start(config());
    let shapes: [&[u8]; 6] = [
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello",
        b"GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : t\r\n\r\n",
    ];
    for shape in shapes {
        let mut r = Reader::new(connect(addr));
        r.send(shape);
        let reply = r.reply();
        assert_eq!(reply.status, 400, "{}", String::from_utf8_lossy(shape));
        assert_eq!(reply.header("connection"), Some("close"));
        assert!(r.is_closed(), "{}", String::from_utf8_lossy(shape));
    }
    // A malformed request line that still names HTTP/1.x gets 400 too.
    let mut r = Reader::new(connect(addr));
    r.send(b"GE(T / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.reply().status, 400);
    assert!(r.is_closed());
    // Request lines that are HTTP/1.x but malformed (RFC 9112 §3, §3.2): a bare LF
    // inside the line, an absolute-form target without a host, an authority-form
    // target on a method other than CONNECT. Each is answered, not just closed.
    for line in [
        &b"GET /a\nb HTTP/1.1\r\nHost: t\r\n\r\n"[..],
        b"GET http:/// HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET t:80 HTTP/1.1\r\nHost: t\r\n\r\n",
    ] {
        let mut r = Reader::new(connect(addr));
        r.send(line);
        assert_eq!(r.reply().status, 400, "{}", String::from_utf8_lossy(line));
        assert!(r.is_closed(), "{}", String::from_utf8_lossy(line));
    }
    // A first line that is neither HTTP/1.x nor the HTTP/2 preface (here a
    // TLS ClientHello) is closed without an HTTP/1.1 answer: this port also
    // speaks h2c, where an invalid preface is a connection error (RFC 9113
    // §3.4) and a 400 would be read as a broken frame.
    let mut r = Reader::new(connect(addr));
    r.send(b"\x16\x03\x01 not http\r\n\r\n");
    assert!(r.is_closed());
    server.shutdown();
    server.join();
}

#[test]
fn slowloris_is_cut_off_by_the_header_timeout() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    let started = Instant::now();
    r.send(b"GET / HTTP/1.1\r\n");
    // Keep trickling header bytes; the deadline counts from the first byte.
    for i in 0..20 {
        if r.stream
            .write_all(format!("X-{i}: v\r\n").as_bytes())
            .is_err()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        if started.elapsed() > Duration::from_millis(600) {
            break;
        }
    }
    let reply = r.reply_with(false);
    let waited = started.elapsed();
    assert_eq!(reply.map(|r| r.status), Some(408));
    assert!(r.is_closed());
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // A connection that says nothing is closed silently.
    let mut silent = Reader::new(connect(addr));
    assert!(silent.is_closed());
    server.shutdown();
    server.join();
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.reply().status, 200);
    let idle = Instant::now();
    assert!(r.is_closed());
    let waited = idle.elapsed();
    assert!(waited >= Duration::from_millis(600), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    server.shutdown();
    server.join();
}

#[test]
fn http10_and_connection_close() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"GET / HTTP/1.0\r\n\r\n");
    let reply = r.reply();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"Hello, World!");
    assert!(r.is_closed());
    let mut r = Reader::new(connect(addr));
    r.send(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(r.reply().header("connection"), Some("close"));
    assert!(r.is_closed());
    server.shutdown();
    server.join();
}

#[test]
fn static_files_ranges_validators_and_traversal() {
    let (server, addr) = start(config());
    let full = get(addr, "/static/hello.txt", "");
    assert_eq!(full.status, 200);
    assert_eq!(
        full.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    let etag = full.header("etag").unwrap().to_owned();
    let modified = full.header("last-modified").unwrap().to_owned();
    let text = std::fs::read(common::demo::default_static_root().join("hello.txt")).unwrap();
    assert_eq!(full.body, text);

    let part = get(addr, "/static/hello.txt", "Range: bytes=6-9\r\n");
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &text[6..=9]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 6-9/{}", text.len()).as_str())
    );
    let suffix = get(addr, "/static/hello.txt", "Range: bytes=-5\r\n");
    assert_eq!(suffix.body, &text[text.len() - 5..]);
    let unsatisfiable = get(addr, "/static/hello.txt", "Range: bytes=9999-\r\n");
    assert_eq!(unsatisfiable.status, 416);
    assert_eq!(
        unsatisfiable.header("content-range"),
        Some(format!("bytes */{}", text.len()).as_str())
    );
    // Two ranges: multipart/byteranges, each part with its own headers.
    let multi = get(addr, "/static/hello.txt", "Range: bytes=0-1, -3\r\n");
    assert_eq!(multi.status, 206);
    let content_type = multi.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap();
    let len = text.len();
    let mut expected = Vec::new();
    for (start, end) in [(0, 1), (len - 3, len - 1)] {
        expected.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-range: bytes {start}-{end}/{len}\r\n\r\n"
            )
            .as_bytes(),
        );
        expected.extend_from_slice(&text[start..=end]);
    }
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(
        String::from_utf8_lossy(&multi.body),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(
        multi.header("content-length"),
        Some(expected.len().to_string().as_str())
    );
    assert_eq!(multi.header("content-range"), None);
    // Overlapping ranges are merged into one plain 206.
    let merged = get(addr, "/static/hello.txt", "Range: bytes=2-5,0-3\r\n");
    assert_eq!(merged.status, 206);
    assert_eq!(merged.body, &text[0..=5]);
    let stale_if_range = get(
        addr,
        "/static/hello.txt",
        "Range: bytes=0-1\r\nIf-Range: \"old\"\r\n",
    );
    assert_eq!(stale_if_range.status, 200);

    let cached = get(
        addr,
        "/static/hello.txt",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    assert_eq!(cached.header("etag"), Some(etag.as_str()));
    let cached = get(
        addr,
        "/static/hello.txt",
        &format!("If-Modified-Since: {modified}\r\n"),
    );
    assert_eq!(cached.status, 304);
    let changed = get(addr, "/static/hello.txt", "If-None-Match: \"nope\"\r\n");
    assert_eq!(changed.status, 200);

    for target in [
        "/static/../Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/%2e%2e/%2e%2e/Cargo.toml",
        "/static/css/..%5c..%5cCargo.toml",
    ] {
        let refused = get(addr, target, "");
        assert_eq!(refused.status, 403, "{target}");
    }
    assert_eq!(get(addr, "/static/nope.txt", "").status, 404);
    let index = get(addr, "/static/css/site.css", "");
    assert_eq!(
        index.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    server.shutdown();
    server.join();
}

#[test]
fn graceful_shutdown_lets_in_flight_requests_finish() {
    let (server, addr) = start(config());
    let mut readers: Vec<Reader> = (0..8)
        .map(|_| {
            let mut r = Reader::new(connect(addr));
            r.send(b"GET /slow/300 HTTP/1.1\r\nHost: t\r\n\r\n");
            r
        })
        .collect();
    // An idle keep-alive connection too: it is closed without a response.
    let mut idle = Reader::new(connect(addr));
    idle.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(idle.reply().status, 200);
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    server.shutdown();
    for r in &mut readers {
        let reply = r.reply();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, b"slept 300");
        assert_eq!(reply.header("connection"), Some("close"));
        assert!(r.is_closed());
    }
    assert!(idle.is_closed());
    server.join();
    assert!(started.elapsed() < Duration::from_secs(4));
    // The listener is gone.
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[test]
fn a_stalled_body_gets_408_after_the_body_timeout() {
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    let started = Instant::now();
    r.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    let reply = r.reply();
    assert_eq!(reply.status, 408);
    assert!(r.is_closed());
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(350), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    server.shutdown();
    server.join();
}

#[test]
fn at_max_connections_new_clients_wait_instead_of_being_dropped() {
    let mut cfg = config();
    cfg.limits.max_connections = 2;
    cfg.timeouts.keep_alive = Duration::from_secs(10);
    let (server, addr) = start(cfg);
    let mut first = Reader::new(connect(addr));
    let mut second = Reader::new(connect(addr));
    for r in [&mut first, &mut second] {
        r.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(r.reply().status, 200);
    }
    // The third connection completes the TCP handshake (kernel backlog) but
    // is not accepted while two are open.
    let third = connect(addr);
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut third = Reader::new(third);
    third.send(b"GET /users/3 HTTP/1.1\r\nHost: t\r\n\r\n");
    let mut probe = [0u8; 1];
    let waiting = std::io::Read::read(&mut third.stream, &mut probe);
    assert!(
        matches!(&waiting, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        "{waiting:?}"
    );
    // A slot frees up: the waiting client is served, nothing was lost.
    drop(first);
    third
        .stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let reply = third.reply();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, br#"{"id":3,"name":"user 3"}"#);
    server.shutdown();
    server.join();
}

#[test]
fn both_layouts_serve_and_shut_down() {
    for layout in [weft_server::Layout::PerCore, weft_server::Layout::Shared] {
        let mut cfg = config();
        cfg.layout = layout;
        cfg.workers = 2;
        let (server, addr) = start(cfg);
        let mut readers: Vec<Reader> = (0..6).map(|_| Reader::new(connect(addr))).collect();
        for (i, r) in readers.iter_mut().enumerate() {
            r.send(format!("GET /users/{i} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        }
        for (i, r) in readers.iter_mut().enumerate() {
            let reply = r.reply();
            assert_eq!(
                reply.body,
                format!(r#"{{"id":{i},"name":"user {i}"}}"#).as_bytes(),
                "{layout:?}"
            );
        }
        server.shutdown();
        server.join();
    }
}

#[test]
fn a_client_that_stops_reading_is_disconnected() {
    let (server, addr) = start(config());
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let stream: std::net::TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut r = Reader::new(stream);
    r.send(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
    // Take nothing for longer than the write timeout (the body timeout, 400 ms).
    std::thread::sleep(Duration::from_millis(1500));
    let mut total = 0usize;
    let mut chunk = vec![0u8; 1 << 16];
    let ended = loop {
        match std::io::Read::read(&mut r.stream, &mut chunk) {
            Ok(0) => break true,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    assert!(ended, "the server kept the stalled connection open");
    assert!(total < 64 << 20, "the whole body arrived: {total}");
    server.shutdown();
    server.join();
}

/// Waits up to two seconds for `counter` to pass `before`.
fn dropped_since(counter: &std::sync::atomic::AtomicUsize, before: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if counter.load(std::sync::atomic::Ordering::SeqCst) > before {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn a_client_that_hangs_up_drops_the_running_handler() {
    let (server, addr) = start(config());
    let before = HANG_DROPS.load(std::sync::atomic::Ordering::SeqCst);
    let mut stream = connect(addr);
    stream
        .write_all(b"GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(stream);
    assert!(
        dropped_since(&HANG_DROPS, before),
        "the handler kept running for a client that was gone"
    );
    server.shutdown();
    server.join();
}

#[test]
fn a_client_that_hangs_up_drops_an_idle_response_stream() {
    let (server, addr) = start(config());
    let before = IDLE_STREAM_DROPS.load(std::sync::atomic::Ordering::SeqCst);
    let mut r = Reader::new(connect(addr));
    r.send(b"GET /idle-stream HTTP/1.1\r\nHost: t\r\n\r\n");
    // The head and the first chunk arrive; then the body goes quiet.
    let mut seen = Vec::new();
    while !seen.windows(5).any(|w| w == b"first") {
        let mut buf = [0u8; 1024];
        let n = std::io::Read::read(&mut r.stream, &mut buf).unwrap();
        assert!(n > 0, "the connection closed early");
        seen.extend_from_slice(&buf[..n]);
    }
    drop(r);
    assert!(
        dropped_since(&IDLE_STREAM_DROPS, before),
        "the idle body stream outlived its client"
    );
    server.shutdown();
    server.join();
}
