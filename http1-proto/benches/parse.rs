//! Side by side with httparse and picohttpparser (C, SSE4.2), in one run:
//! `cargo bench -p weft-http1 --bench parse`.
//!
//! Head parsing runs with all our validation on (strict RFC 9112, limits), which httparse
//! and pico only partly do. The chunked body goes through the whole `Connection`.
// Calling the C peer needs `unsafe`; the crate itself forbids it.
#![allow(unsafe_code, missing_docs)]
// The interleaved pass prints its ratios.
#![allow(clippy::print_stdout)]
// The bench is the driver: it reads the clock once and hands the instant in.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::mem::MaybeUninit;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weft_http1::{
    Config, Connection, Event, Field, ResponseHead, Status, parse_chunk_line, parse_request_head,
};

/// httparse's `REQ` (benches/parse.rs), the 720-byte "kittyhell" browser GET.
const BROWSER_GET: &[u8] = b"\
GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n\
Keep-Alive: 115\r\n\
Connection: keep-alive\r\n\
Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; __utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral|padding=under256\r\n\r\n";

/// httparse's `REQ_SHORT` (68 bytes).
const SHORT_GET: &[u8] = b"\
GET / HTTP/1.0\r\n\
Host: example.com\r\n\
Cookie: session=60; user_id=1\r\n\r\n";

fn forty_headers() -> Vec<u8> {
    let mut out = b"GET /api/v1/items?page=2 HTTP/1.1\r\nHost: api.example.com\r\n".to_vec();
    for i in 0..39 {
        out.extend_from_slice(
            format!("X-Custom-Header-{i:02}: value-{i}-abcdefghij\r\n").as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn pipelined_16() -> Vec<u8> {
    let one = b"GET /static/app.js HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n\r\n";
    one.repeat(16)
}

fn chunked_64k(chunk: usize) -> (Vec<u8>, usize) {
    let mut out =
        b"POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    let total = 64 * 1024;
    let data = vec![b'x'; chunk];
    for _ in 0..total / chunk {
        out.extend_from_slice(format!("{chunk:x}\r\n").as_bytes());
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    (out, total)
}

fn ours(buf: &[u8], config: &Config, fields: &mut Vec<Field>) -> usize {
    match parse_request_head(buf, config, fields) {
        Ok(Status::Complete(p)) => p.head_len,
        other => panic!("{other:?}"),
    }
}

/// httparse as a speed-minded caller uses it: uninitialised header slots (hyper does the
/// same), so no 64-slot array is zeroed per request.
fn httparse_req(buf: &[u8]) -> usize {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 64];
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(buf, &mut headers) {
        Ok(httparse::Status::Complete(n)) => n,
        other => panic!("{other:?}"),
    }
}

fn pico_req(buf: &[u8]) -> usize {
    use picohttpparser_sys::{phr_header, phr_parse_request};
    let mut method = std::ptr::null();
    let mut method_len = 0;
    let mut path = std::ptr::null();
    let mut path_len = 0;
    let mut minor = 0;
    // Uninitialised like httparse's: pico only writes slots.
    let mut headers = [const { MaybeUninit::<phr_header>::uninit() }; 64];
    let mut num_headers = headers.len();
    // SAFETY: every pointer is valid for the call; pico only reads `buf[..len]` and
    // writes within `headers[..num_headers]` (MaybeUninit<T> has T's layout).
    let n = unsafe {
        phr_parse_request(
            buf.as_ptr().cast(),
            buf.len(),
            &mut method,
            &mut method_len,
            &mut path,
            &mut path_len,
            &mut minor,
            headers.as_mut_ptr().cast(),
            &mut num_headers,
            0,
        )
    };
    assert!(n > 0, "pico: {n}");
    n as usize
}

fn heads(c: &mut Criterion) {
    let config = Config::server();
    let forty = forty_headers();
    let samples: [(&str, &[u8]); 3] = [
        ("browser_get_720b", BROWSER_GET),
        ("short_get_68b", SHORT_GET),
        ("40_headers", &forty),
    ];
    for (name, input) in samples {
        let mut group = c.benchmark_group(format!("head/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        let mut fields = Vec::with_capacity(64);
        group.bench_function("http1-proto", |b| {
            b.iter(|| ours(black_box(input), &config, &mut fields))
        });
        group.bench_function("httparse", |b| b.iter(|| httparse_req(black_box(input))));
        group.bench_function("picohttpparser", |b| b.iter(|| pico_req(black_box(input))));
        group.finish();
    }

    let pipelined = pipelined_16();
    let mut group = c.benchmark_group("head/pipelined_16");
    group.throughput(Throughput::Bytes(pipelined.len() as u64));
    let mut fields = Vec::with_capacity(64);
    group.bench_function("http1-proto", |b| {
        b.iter(|| {
            let mut rest = black_box(&pipelined[..]);
            while !rest.is_empty() {
                rest = &rest[ours(rest, &config, &mut fields)..];
            }
        })
    });
    group.bench_function("httparse", |b| {
        b.iter(|| {
            let mut rest = black_box(&pipelined[..]);
            while !rest.is_empty() {
                rest = &rest[httparse_req(rest)..];
            }
        })
    });
    group.bench_function("picohttpparser", |b| {
        b.iter(|| {
            let mut rest = black_box(&pipelined[..]);
            while !rest.is_empty() {
                rest = &rest[pico_req(rest)..];
            }
        })
    });
    // The whole server path: events with Bytes-backed heads, responses, next cycle.
    let response = ResponseHead::new(204);
    group.bench_function("http1-proto Connection", |b| {
        b.iter(|| {
            let mut conn = Connection::new(epoch(), Config::server());
            conn.recv(epoch(), black_box(&pipelined));
            let mut requests = 0;
            loop {
                match conn.poll_event() {
                    Some(Event::Request(_)) => requests += 1,
                    Some(Event::EndOfMessage { .. }) => {
                        conn.send_response(&response).unwrap();
                        conn.send_end(None).unwrap();
                        while conn.poll_transmit().is_some() {}
                        conn.start_next_cycle(epoch()).unwrap();
                    }
                    Some(Event::ConnectionLost(e)) => panic!("{e}"),
                    Some(_) => {}
                    None => break,
                }
            }
            assert_eq!(requests, 16);
        })
    });
    group.finish();
}

/// The instant every connection in the bench is created and fed at: no timer fires.
fn epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

fn drive_chunked(conn: &mut Connection) -> usize {
    let mut body = 0;
    loop {
        match conn.poll_event() {
            Some(Event::Data(d)) => body += d.len(),
            Some(Event::EndOfMessage { .. }) => return body,
            Some(Event::ConnectionLost(e)) => panic!("{e}"),
            Some(_) => {}
            None => panic!("incomplete body"),
        }
    }
}

/// The same body decoded with httparse's `parse_chunk_size`, slicing like we do but
/// without a connection around it (the peer baseline for the framing work).
fn httparse_chunked(mut buf: &[u8]) -> usize {
    let mut body = 0;
    loop {
        match httparse::parse_chunk_size(buf) {
            Ok(httparse::Status::Complete((n, 0))) => {
                buf = &buf[n..];
                assert!(buf.starts_with(b"\r\n"));
                return body;
            }
            Ok(httparse::Status::Complete((n, size))) => {
                let size = size as usize;
                black_box(&buf[n..n + size]);
                body += size;
                assert_eq!(&buf[n + size..n + size + 2], b"\r\n");
                buf = &buf[n + size + 2..];
            }
            other => panic!("{other:?}"),
        }
    }
}

fn chunked(c: &mut Criterion) {
    for chunk in [4096, 16384] {
        let (input, total) = chunked_64k(chunk);
        let head_len = input.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let mut group = c.benchmark_group(format!("chunked_64k/{}k_chunks", chunk / 1024));
        group.throughput(Throughput::Bytes(total as u64));
        group.bench_function("Connection recv (copy)", |b| {
            b.iter(|| {
                let mut conn = Connection::new(epoch(), Config::server());
                conn.recv(epoch(), black_box(&input));
                assert_eq!(drive_chunked(&mut conn), total);
            })
        });
        let owned = Bytes::from(input.clone());
        group.bench_function("Connection recv_owned", |b| {
            b.iter_batched(
                || BytesMut::from(&owned[..]),
                |buf| {
                    let mut conn = Connection::new(epoch(), Config::server());
                    conn.recv_owned(epoch(), buf);
                    assert_eq!(drive_chunked(&mut conn), total);
                },
                criterion::BatchSize::SmallInput,
            )
        });
        let body = &input[head_len..];
        group.bench_function("pure parse_chunk_line loop", |b| {
            let config = Config::server();
            b.iter(|| {
                let mut buf = black_box(body);
                let mut n = 0;
                loop {
                    let Ok(Status::Complete(line)) = parse_chunk_line(buf, &config) else {
                        panic!()
                    };
                    if line.size == 0 {
                        break;
                    }
                    let size = line.size as usize;
                    black_box(&buf[line.line_len..line.line_len + size]);
                    n += size;
                    buf = &buf[line.line_len + size + 2..];
                }
                assert_eq!(n, total);
            })
        });
        group.bench_function("httparse parse_chunk_size loop", |b| {
            b.iter(|| assert_eq!(httparse_chunked(black_box(body)), total))
        });
        group.finish();
    }
}

/// Criterion runs one benchmark after another, so on a shared, noisy machine a burst of
/// load can land on one parser and not the other. This pass times them interleaved
/// (ours, httparse, pico, ours, ...) in short batches and reports the median of the
/// per-round ratios and the ratio of the fastest rounds: the figures BENCHMARKS.md quotes.
#[allow(clippy::disallowed_methods)] // a benchmark harness reads the clock by design
fn interleaved(_: &mut Criterion) {
    use std::time::Instant;
    // Positional arguments are criterion name filters; flag values
    // (`--measurement-time 5`) are numbers.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a.parse::<f64>().is_err())
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| f.contains("interleaved")) {
        return;
    }
    const ROUNDS: usize = 2001;
    fn time(batch: usize, mut f: impl FnMut()) -> f64 {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed().as_nanos() as f64 / batch as f64
    }
    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
    let config = Config::server();
    let mut fields = Vec::with_capacity(64);
    let forty = forty_headers();
    let pipelined = pipelined_16();
    let samples: [(&str, &[u8], usize); 4] = [
        ("browser_get_720b", BROWSER_GET, 1),
        ("short_get_68b", SHORT_GET, 1),
        ("40_headers", &forty, 1),
        ("pipelined_16", &pipelined, 16),
    ];
    for (name, input, requests) in samples {
        fn parse_all(input: &[u8], requests: usize, mut parse: impl FnMut(&[u8]) -> usize) {
            let mut rest = black_box(input);
            for _ in 0..requests {
                rest = &rest[parse(rest)..];
            }
        }
        let batch = 20_000 / input.len().max(64) + 1;
        let (mut ours_t, mut httparse_t, mut pico_t) = (Vec::new(), Vec::new(), Vec::new());
        let (mut vs_httparse, mut vs_pico) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let o = time(batch, || {
                parse_all(input, requests, |b| ours(b, &config, &mut fields))
            });
            let h = time(batch, || parse_all(input, requests, httparse_req));
            let p = time(batch, || parse_all(input, requests, pico_req));
            vs_httparse.push(h / o);
            vs_pico.push(p / o);
            ours_t.push(o);
            httparse_t.push(h);
            pico_t.push(p);
        }
        let (o, h, p) = (
            median(&mut ours_t),
            median(&mut httparse_t),
            median(&mut pico_t),
        );
        println!(
            "interleaved head/{name}: http1-proto {o:.1} ns, httparse {h:.1} ns, pico {p:.1} ns; \
             http1-proto is {:.2}x httparse, {:.2}x pico (median of {ROUNDS} per-round ratios); \
             fastest rounds {:.2}x httparse, {:.2}x pico",
            median(&mut vs_httparse),
            median(&mut vs_pico),
            httparse_t[0] / ours_t[0],
            pico_t[0] / ours_t[0],
        );
    }
    for chunk in [4096, 16384] {
        let (input, total) = chunked_64k(chunk);
        let mut rates = Vec::new();
        for _ in 0..ROUNDS / 4 {
            let ns = time(20, || {
                let mut conn = Connection::new(epoch(), Config::server());
                conn.recv(epoch(), black_box(&input));
                assert_eq!(drive_chunked(&mut conn), total);
            });
            rates.push(total as f64 / ns);
        }
        let best = rates.iter().copied().fold(0.0, f64::max);
        println!(
            "interleaved chunked_64k/{}k_chunks through Connection (recv, copy): median {:.2} GB/s, best {best:.2} GB/s",
            chunk / 1024,
            median(&mut rates)
        );
    }
}

criterion_group!(benches, heads, chunked, interleaved);
criterion_main!(benches);
