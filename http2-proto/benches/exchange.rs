//! Side by side with the `h2` crate, both ends in one process over an
//! in-memory tokio duplex on a current-thread runtime:
//!
//! - `exchanges`: 10,000 GET requests with 8 header fields, each answered with a 13-byte
//!   body, on one connection, 100 in flight at a time;
//! - `upload_64mib`: one 64 MiB POST body through flow control with each library's
//!   default windows (and, for weft, also with the RFC's 65,535-octet windows, the same
//!   as h2's defaults).
//!
//! `cargo bench -p weft-http2 --bench exchange`

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use weft_http2::{Config, Connection, Event, Header, HeadersKind, SendError, StreamId};

const EXCHANGES: usize = 10_000;
const IN_FLIGHT: usize = 100;
const RESPONSE_BODY: &[u8] = b"hello, world!";
const UPLOAD: usize = 64 * 1024 * 1024;
const DUPLEX: usize = 256 * 1024;

/// The bench is the I/O layer: it owns the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn request_headers() -> Vec<Header> {
    vec![
        Header::new(":method", "GET"),
        Header::new(":scheme", "http"),
        Header::new(":path", "/bench"),
        Header::new(":authority", "localhost"),
        Header::new("user-agent", "weft-bench/1.0"),
        Header::new("accept", "*/*"),
        Header::new("accept-encoding", "gzip, deflate"),
        Header::new("x-request-id", "0123456789abcdef"),
    ]
}

fn as_client(mut config: Config) -> Config {
    config.role = weft_http2::Role::Client;
    config
}

// ---- weft -----------------------------------------------------------------------------

/// Writes everything queued with vectored writes: frame headers and control frames come
/// out coalesced, DATA payloads as the caller's own `Bytes`, so nothing is copied here.
async fn flush(io: &mut DuplexStream, conn: &mut Connection) {
    let mut segs: VecDeque<Bytes> = std::iter::from_fn(|| conn.poll_transmit()).collect();
    while !segs.is_empty() {
        let slices: Vec<IoSlice<'_>> = segs.iter().take(64).map(|b| IoSlice::new(b)).collect();
        let mut n = io.write_vectored(&slices).await.unwrap();
        while n > 0 {
            let Some(front) = segs.front_mut() else { break };
            if n >= front.len() {
                n -= front.len();
                segs.pop_front();
            } else {
                front.advance(n);
                n = 0;
            }
        }
    }
}

/// Reads once into a fresh buffer and hands it over without a copy (`recv_owned`).
async fn read_into(io: &mut DuplexStream, conn: &mut Connection, buf: &mut BytesMut) -> bool {
    buf.reserve(64 * 1024);
    let n = io.read_buf(buf).await.unwrap();
    if n == 0 {
        conn.recv_eof(now());
        return false;
    }
    conn.recv_owned(now(), buf.split());
    assert!(conn.error().is_none());
    true
}

/// A server that answers every request with 200 and `RESPONSE_BODY`, and drains
/// uploads; runs until the client closes.
async fn weft_server(mut io: DuplexStream, config: Config) {
    let mut conn = Connection::new(now(), config);
    let mut buf = BytesMut::new();
    let head = [
        Header::new(":status", "200"),
        Header::new("content-type", "text/plain"),
    ];
    loop {
        while let Some(ev) = conn.poll_event() {
            match ev {
                Event::Headers {
                    stream,
                    end_stream,
                    kind: HeadersKind::Request { .. },
                    ..
                } if end_stream => {
                    conn.send_headers(stream, &head, false).unwrap();
                    conn.send_data(stream, Bytes::from_static(RESPONSE_BODY), true)
                        .unwrap();
                }
                Event::Data {
                    stream,
                    flow_len,
                    end_stream,
                    ..
                } => {
                    conn.release_capacity(stream, flow_len);
                    if end_stream {
                        conn.send_headers(stream, &head, true).unwrap();
                    }
                }
                _ => {}
            }
        }
        flush(&mut io, &mut conn).await;
        if conn.is_closed() || !read_into(&mut io, &mut conn, &mut buf).await {
            return;
        }
    }
}

async fn weft_exchanges(config: Config) {
    let (mut io, server_io) = tokio::io::duplex(DUPLEX);
    let server = tokio::spawn(weft_server(server_io, config.clone()));
    let mut conn = Connection::new(now(), as_client(config));
    let mut buf = BytesMut::new();
    let headers = request_headers();
    let mut done = 0;
    while done < EXCHANGES {
        for _ in 0..IN_FLIGHT {
            let id = conn.open_stream().unwrap();
            conn.send_headers(id, &headers, true).unwrap();
        }
        flush(&mut io, &mut conn).await;
        let mut batch = 0;
        while batch < IN_FLIGHT {
            read_into(&mut io, &mut conn, &mut buf).await;
            while let Some(ev) = conn.poll_event() {
                if let Event::Data {
                    stream,
                    end_stream: true,
                    flow_len,
                    data,
                } = ev
                {
                    assert_eq!(&data[..], RESPONSE_BODY);
                    conn.release_capacity(stream, flow_len);
                    batch += 1;
                }
            }
            flush(&mut io, &mut conn).await;
        }
        done += batch;
    }
    drop(io);
    server.await.unwrap();
}

async fn weft_upload(config: Config) {
    let (mut io, server_io) = tokio::io::duplex(DUPLEX);
    let server = tokio::spawn(weft_server(server_io, config.clone()));
    let mut conn = Connection::new(now(), as_client(config));
    let mut buf = BytesMut::new();
    let mut head = request_headers();
    head[0] = Header::new(":method", "POST");
    let id: StreamId = conn.open_stream().unwrap();
    conn.send_headers(id, &head, false).unwrap();
    let mut rest = Bytes::from(vec![0x5a; UPLOAD]);
    let mut finished = false;
    while !finished {
        while !rest.is_empty() {
            match conn.send_data(id, rest.clone(), true) {
                Ok(n) => rest = rest.slice(n..),
                Err(SendError::Blocked) => break,
                Err(e) => panic!("{e}"),
            }
        }
        flush(&mut io, &mut conn).await;
        read_into(&mut io, &mut conn, &mut buf).await;
        while let Some(ev) = conn.poll_event() {
            if let Event::Headers {
                end_stream: true, ..
            } = ev
            {
                finished = true;
            }
        }
    }
    drop(io);
    server.await.unwrap();
}

// ---- h2 -------------------------------------------------------------------------------

async fn h2_server(io: DuplexStream) {
    let mut srv = h2::server::handshake(io).await.unwrap();
    while let Some(req) = srv.accept().await {
        let (req, mut respond) = req.unwrap();
        let resp = || {
            http::Response::builder()
                .status(200)
                .header("content-type", "text/plain")
                .body(())
                .unwrap()
        };
        if req.body().is_end_stream() {
            let mut send = respond.send_response(resp(), false).unwrap();
            send.send_data(Bytes::from_static(RESPONSE_BODY), true)
                .unwrap();
        } else {
            tokio::spawn(async move {
                let mut body = req.into_body();
                while let Some(chunk) = body.data().await {
                    let chunk = chunk.unwrap();
                    body.flow_control().release_capacity(chunk.len()).unwrap();
                }
                respond.send_response(resp(), true).unwrap();
            });
        }
    }
}

fn h2_request(method: &str) -> http::Request<()> {
    http::Request::builder()
        .method(method)
        .uri("http://localhost/bench")
        .header("user-agent", "weft-bench/1.0")
        .header("accept", "*/*")
        .header("accept-encoding", "gzip, deflate")
        .header("x-request-id", "0123456789abcdef")
        .body(())
        .unwrap()
}

async fn h2_exchanges() {
    let (io, server_io) = tokio::io::duplex(DUPLEX);
    let server = tokio::spawn(h2_server(server_io));
    let (client, conn) = h2::client::handshake(io).await.unwrap();
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client;
    let mut done = 0;
    while done < EXCHANGES {
        let mut pending = VecDeque::with_capacity(IN_FLIGHT);
        for _ in 0..IN_FLIGHT {
            client = client.ready().await.unwrap();
            let (resp, _) = client.send_request(h2_request("GET"), true).unwrap();
            pending.push_back(resp);
        }
        while let Some(resp) = pending.pop_front() {
            let mut body = resp.await.unwrap().into_body();
            while let Some(chunk) = body.data().await {
                let chunk = chunk.unwrap();
                assert_eq!(&chunk[..], RESPONSE_BODY);
                body.flow_control().release_capacity(chunk.len()).unwrap();
            }
            done += 1;
        }
    }
    drop(client);
    conn.await.unwrap();
    server.await.unwrap();
}

async fn h2_upload() {
    let (io, server_io) = tokio::io::duplex(DUPLEX);
    let server = tokio::spawn(h2_server(server_io));
    let (mut client, conn) = h2::client::handshake(io).await.unwrap();
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let (resp, mut send) = client.send_request(h2_request("POST"), false).unwrap();
    // h2's documented backpressure: reserve, wait for capacity, send that much. (One
    // 64 MiB send_data would exceed its send-buffer cap and never be granted capacity.)
    let mut rest = Bytes::from(vec![0x5a; UPLOAD]);
    while !rest.is_empty() {
        send.reserve_capacity(rest.len().min(1 << 20));
        let cap = std::future::poll_fn(|cx| send.poll_capacity(cx))
            .await
            .unwrap()
            .unwrap();
        let chunk = rest.split_to(cap.min(rest.len()));
        send.send_data(chunk, rest.is_empty()).unwrap();
    }
    let resp = resp.await.unwrap();
    assert_eq!(resp.status(), 200);
    // The stream's handles must go before the connection can finish.
    drop((resp, send));
    drop(client);
    conn.await.unwrap();
    server.await.unwrap();
}

// ---- criterion ------------------------------------------------------------------------

fn rfc_windows() -> Config {
    let mut c = Config::server();
    c.local.initial_window_size = 65_535;
    c.connection_window = 65_535;
    c
}

fn benches(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("exchanges_10k");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("weft", |b| {
        b.iter(|| rt.block_on(weft_exchanges(Config::server())))
    });
    g.bench_function("h2", |b| b.iter(|| rt.block_on(h2_exchanges())));
    g.finish();

    let mut g = c.benchmark_group("upload_64mib");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("weft_default_windows", |b| {
        b.iter(|| rt.block_on(weft_upload(Config::server())))
    });
    g.bench_function("weft_rfc_windows", |b| {
        b.iter(|| rt.block_on(weft_upload(rfc_windows())))
    });
    g.bench_function("h2", |b| b.iter(|| rt.block_on(h2_upload())));
    g.finish();
}

criterion_group!(exchange, benches);
criterion_main!(exchange);
