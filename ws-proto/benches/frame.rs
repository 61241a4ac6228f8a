//! Frame parse plus unmask, side by side with tungstenite in one run:
//! `cargo bench -p weft-ws --bench frame`.
//!
//! Both receive the same masked client frames as a server and hand out whole binary (or
//! text) messages: weft-ws through `Connection::recv` and `poll_event`, tungstenite through
//! `WebSocket::read` over an in-memory stream. Both are long-lived, as a server's are, and
//! take the same frames again on each pass. tungstenite's frame-level API
//! (`FrameSocket`) does not unmask and its unmasking function is private, so its message
//! layer is the smallest public path that parses and unmasks. Reads are 128 KiB on both
//! sides (tungstenite's default read buffer). The interleaved pass also prints the time
//! per message, beside what handing out one `Bytes` per message costs with no parsing at
//! all, the part both libraries pay.
#![allow(missing_docs)]
// The interleaved pass prints its ratios, and a benchmark reads the clock.
#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::time::Instant;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tungstenite::protocol::{Role as TRole, WebSocket};
use ws_proto::{Config, Connection, Event, FrameHeader, OpCode, apply_mask, encode_header};

const READ: usize = 128 * 1024;

/// `count` masked frames of `size` bytes each, as a client sends them.
fn frames(opcode: OpCode, size: usize, count: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..count {
        let key = [i as u8, 0x5a, 0xc3, 0x17];
        let header = FrameHeader {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask: Some(key),
            payload_len: size as u64,
        };
        encode_header(&header, &mut out);
        let start = out.len();
        out.extend((0..size).map(|j| b'a' + (j % 26) as u8));
        apply_mask(&mut out[start..], key, 0);
    }
    out
}

/// A long-lived server connection, as a server holds one per client.
struct Ours {
    now: Instant,
    conn: Connection,
}

impl Ours {
    fn new(now: Instant) -> Self {
        Self {
            now,
            conn: Connection::new(now, Config::server()),
        }
    }

    /// Receives `wire` in reads of `READ` bytes, taking every message.
    fn run(&mut self, wire: &[u8]) -> usize {
        let mut total = 0;
        for read in wire.chunks(READ) {
            self.conn.recv(self.now, read);
            while let Some(event) = self.conn.poll_event() {
                if let Event::Binary(b) | Event::Text(b) = event {
                    total += b.len();
                }
            }
        }
        total
    }
}

/// The same frames over and over, as a read side; the write side discards.
struct Looping {
    wire: Vec<u8>,
    pos: usize,
}

impl Read for Looping {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.wire.len() {
            self.pos = 0;
        }
        let n = buf.len().min(self.wire.len() - self.pos);
        buf[..n].copy_from_slice(&self.wire[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Looping {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A long-lived tungstenite server socket over the looping stream.
struct Theirs {
    ws: WebSocket<Looping>,
    count: usize,
}

impl Theirs {
    fn new(wire: &[u8], count: usize) -> Self {
        let stream = Looping {
            wire: wire.to_vec(),
            pos: 0,
        };
        Self {
            ws: WebSocket::from_raw_socket(stream, TRole::Server, None),
            count,
        }
    }

    /// Reads one pass over the frames: `count` messages.
    fn run(&mut self) -> usize {
        let mut total = 0;
        for _ in 0..self.count {
            total += self.ws.read().map_or(0, |m| m.len());
        }
        total
    }
}

/// A name, the frames, how many, and their payload bytes.
fn workloads() -> Vec<(&'static str, Vec<u8>, usize, usize)> {
    vec![
        (
            "binary_16b_x4096",
            frames(OpCode::Binary, 16, 4096),
            4096,
            16 * 4096,
        ),
        (
            "binary_1k_x256",
            frames(OpCode::Binary, 1024, 256),
            256,
            1024 * 256,
        ),
        (
            "binary_64k_x16",
            frames(OpCode::Binary, 64 * 1024, 16),
            16,
            64 * 1024 * 16,
        ),
        (
            "text_1k_x256",
            frames(OpCode::Text, 1024, 256),
            256,
            1024 * 256,
        ),
    ]
}

fn criterion_groups(c: &mut Criterion) {
    let now = Instant::now();
    let mut g = c.benchmark_group("recv");
    for (name, wire, count, payload) in workloads() {
        let mut o = Ours::new(now);
        let mut t = Theirs::new(&wire, count);
        assert_eq!(o.run(&wire), payload);
        assert_eq!(t.run(), payload);
        g.throughput(Throughput::Bytes(payload as u64));
        g.bench_function(format!("{name}/weft-ws"), |b| {
            b.iter(|| o.run(black_box(&wire)))
        });
        g.bench_function(format!("{name}/tungstenite"), |b| b.iter(|| t.run()));
    }
    g.finish();
}

/// The arena of [`handover`]; larger messages are not handed out from a shared buffer.
const ARENA: usize = 32 * 1024;

/// What handing out `count` messages like `payload` (at most [`ARENA`] bytes) as `Bytes`
/// costs by itself, with no parsing or unmasking: each copied into a shared arena, split
/// off, frozen and dropped, as the small-message path does and as tungstenite does with
/// its read buffer (two atomic reference-count changes each). The floor of any design that
/// hands out one `Bytes` per message.
fn handover(payload: &[u8], count: usize) -> usize {
    let mut arena = BytesMut::new();
    let mut total = 0;
    for _ in 0..count {
        if arena.capacity() < payload.len() {
            arena = BytesMut::with_capacity(ARENA);
        }
        arena.extend_from_slice(black_box(payload));
        total += black_box(arena.split().freeze()).len();
    }
    total
}

/// Criterion runs one benchmark after the other, so a burst of load from the other jobs on
/// this shared machine can land on one side only. This pass alternates the two in short
/// rounds (with the `Bytes` hand-over alone as a third) and reports the median of the
/// per-round ratios.
fn interleaved(_: &mut Criterion) {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a.parse::<f64>().is_err())
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| f.contains("interleaved")) {
        return;
    }
    const ROUNDS: usize = 301;
    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
    fn timed<T>(f: impl FnOnce() -> T) -> f64 {
        let start = Instant::now();
        black_box(f());
        start.elapsed().as_nanos() as f64
    }
    let now = Instant::now();
    for (name, wire, count, payload) in workloads() {
        let mut ours = Ours::new(now);
        let mut theirs = Theirs::new(&wire, count);
        // Small messages only: a large one's buffer is its own (see `handover`).
        let one = (payload / count <= ARENA).then(|| vec![b'a'; payload / count]);
        let (mut ours_t, mut theirs_t, mut handover_t, mut ratio) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let o = timed(|| ours.run(black_box(&wire)));
            let t = timed(|| theirs.run());
            // The hand-over alone, in the same round, so that it shares its load.
            if let Some(one) = &one {
                handover_t.push(timed(|| handover(one, count)));
            }
            ours_t.push(o);
            theirs_t.push(t);
            ratio.push(t / o);
        }
        let (o, t) = (median(&mut ours_t), median(&mut theirs_t));
        println!(
            "interleaved {name}: weft-ws {:.2} GB/s, tungstenite {:.2} GB/s; weft-ws is {:.2}x \
             (median of {ROUNDS} per-round ratios)",
            payload as f64 / o,
            payload as f64 / t,
            median(&mut ratio)
        );
        let per = |ns: f64| ns / count as f64;
        let alone = if handover_t.is_empty() {
            String::new()
        } else {
            format!(
                ", the Bytes hand-over alone {:.1} ns",
                per(median(&mut handover_t))
            )
        };
        println!(
            "interleaved {name}: per message weft-ws {:.1} ns, tungstenite {:.1} ns{alone}",
            per(o),
            per(t),
        );
    }
}

criterion_group!(benches, criterion_groups, interleaved);
criterion_main!(benches);
