//! The load client of `scripts/bench-ws`: WebSocket connections that each send a message,
//! wait for its echo and send the next, on one thread (tokio's current-thread runtime),
//! speaking weft-ws's client for the opening handshake. It reports the echoed messages
//! per second and its own CPU use, so a run can show whether the client was what limited
//! it.
//!
//! Uncompressed, the per-message path is as cheap as the client can make it, so that
//! the figure is the server's: each connection's frame is built and masked once (RFC
//! 6455 §5.2, §5.3) and written as it is for every message, and the echo is read with
//! one `read` per readiness into a buffer kept for the connection, its headers parsed
//! in place (weft-ws's `decode_header`) and its payload only counted. No allocation per
//! message. With permessage-deflate the echo has to be inflated, so that mode runs a
//! whole weft-ws client connection.
//!
//! ```text
//! ws-load echo <addr> <path> <connections> <text|binary> <size> <seconds> [deflate] [server=PID]
//! ws-load idle <addr> <path> <connections> <seconds>
//! ```
//!
//! `echo` prints `messages/s <n> client_cpu <percent> client_us_per_message <us>`, and
//! with `server=PID` also `server_cpu <percent> server_us_per_message <us>`: each side's
//! CPU time (every thread's, from `/proc/PID/task/*/schedstat`, in nanoseconds) over the
//! measured window, as a share of the window and divided by the messages echoed in it. That figure holds when other jobs share the
//! server's core, where the rate does not. `idle` opens the connections, each
//! with one echoed message so the server has set it up, prints `ready <n>` and holds them
//! open for `seconds`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_proto::{
    ClientHandshake, Connection, DataKind, DeflateConfig, Event, FrameHeader, Limits, OpCode,
    apply_mask, decode_header, encode_header,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Echoes received, by every connection.
static ECHOES: AtomicU64 = AtomicU64::new(0);

/// Connects and completes the opening handshake: the socket, the client connection, and
/// the bytes that followed the server's 101 (not yet given to the connection).
async fn open(addr: &str, path: &str, deflate: bool) -> Result<(TcpStream, Connection, Vec<u8>)> {
    let mut sock = TcpStream::connect(addr).await?;
    sock.set_nodelay(true)?;
    let handshake = ClientHandshake::new(vec![], deflate.then(DeflateConfig::default));
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n");
    for (name, value) in handshake.upgrade_headers() {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    sock.write_all(request.as_bytes()).await?;
    let config = http1_proto::Config::client();
    let mut fields = Vec::new();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (status, head_len) = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err("closed during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let http1_proto::Status::Complete(head) =
            http1_proto::parse_response_head(&buf, &config, &mut fields)?
        {
            break (head.status, head.head_len);
        }
    };
    let pairs = fields.iter().map(|f| (f.name.of(&buf), f.value.of(&buf)));
    let accepted = handshake.finish_upgrade(status, pairs)?;
    if deflate && accepted.deflate.is_none() {
        return Err("permessage-deflate was not accepted".into());
    }
    let mut config = accepted.config();
    config.limits = Limits {
        max_frame_size: 1 << 20,
        max_message_size: 1 << 20,
        max_buffered_bytes: 4 << 20,
    };
    let conn = Connection::new(Instant::now(), config);
    Ok((sock, conn, buf[head_len..].to_vec()))
}

async fn flush(sock: &mut TcpStream, conn: &mut Connection) -> Result<()> {
    while let Some(bytes) = conn.poll_transmit() {
        sock.write_all(&bytes).await?;
    }
    Ok(())
}

/// Sends `payload`, waits for its echo, `rounds` times (or until `until`).
async fn echo_loop(
    sock: &mut TcpStream,
    conn: &mut Connection,
    kind: DataKind,
    payload: &[u8],
    until: Option<Instant>,
    mut rounds: u64,
) -> Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    conn.send_fragment(kind, payload, true)?;
    flush(sock, conn).await?;
    loop {
        let n = sock.read(&mut buf).await?;
        if n == 0 {
            return Err("the server closed".into());
        }
        conn.recv(Instant::now(), &buf[..n]);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Text(m) | Event::Binary(m) => {
                    if m.len() != payload.len() {
                        return Err("the echo differs in length".into());
                    }
                    ECHOES.fetch_add(1, Ordering::Relaxed);
                    rounds = rounds.saturating_sub(1);
                    if rounds == 0 || until.is_some_and(|u| Instant::now() >= u) {
                        return Ok(());
                    }
                    conn.send_fragment(kind, payload, true)?;
                }
                Event::ConnectionLost(e) => return Err(e.to_string().into()),
                _ => {}
            }
        }
        flush(sock, conn).await?;
    }
}

/// One message framed and masked once (RFC 6455 §5.2, §5.3): every send of a
/// connection writes these bytes as they are.
fn masked_frame(kind: DataKind, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let header = FrameHeader {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: match kind {
            DataKind::Text => OpCode::Text,
            DataKind::Binary => OpCode::Binary,
        },
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    let mut frame = Vec::with_capacity(header.encoded_len() + payload.len());
    encode_header(&header, &mut frame);
    let start = frame.len();
    frame.extend_from_slice(payload);
    apply_mask(&mut frame[start..], key, 0);
    frame
}

/// Sends `frame`, waits for its echo (a message of `len` payload bytes), until `until`:
/// the uncompressed path, which reads frame headers in place and only counts payload
/// bytes, so that a message costs the client one `write` and one `read`.
async fn lean_echo_loop(
    sock: &mut TcpStream,
    leftover: &[u8],
    frame: &[u8],
    len: u64,
    until: Instant,
) -> Result<()> {
    // Room for a whole 64 KiB echo and then some: one read takes what is there.
    let mut buf = vec![0u8; 256 * 1024];
    buf[..leftover.len()].copy_from_slice(leftover);
    let mut held = leftover.len();
    // Payload bytes of the current frame still to come, whether that frame ends its
    // message, and the message's payload bytes so far.
    let (mut remaining, mut fin, mut message) = (0u64, false, 0u64);
    sock.write_all(frame).await?;
    loop {
        let mut at = 0;
        loop {
            if remaining > 0 {
                let take = remaining.min((held - at) as u64);
                remaining -= take;
                at += take as usize;
                if remaining > 0 {
                    break;
                }
            } else {
                let Some((header, header_len)) = decode_header(&buf[at..held])? else {
                    break;
                };
                if header.opcode.is_control() || header.mask.is_some() || header.rsv1 {
                    return Err(format!("unexpected frame from the server: {header:?}").into());
                }
                at += header_len;
                remaining = header.payload_len;
                fin = header.fin;
                message += header.payload_len;
                if remaining > 0 {
                    continue;
                }
            }
            if fin {
                if message != len {
                    return Err("the echo differs in length".into());
                }
                ECHOES.fetch_add(1, Ordering::Relaxed);
                if Instant::now() >= until {
                    return Ok(());
                }
                (fin, message) = (false, 0);
                sock.write_all(frame).await?;
            }
        }
        // What is left is part of a header: keep it at the front.
        buf.copy_within(at..held, 0);
        held -= at;
        let n = sock.read(&mut buf[held..]).await?;
        if n == 0 {
            return Err("the server closed".into());
        }
        held += n;
    }
}

/// CPU time of every thread of process `pid` so far (the first field of each
/// thread's schedstat: nanoseconds on a CPU).
fn process_cpu(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

async fn echo(args: &[String]) -> Result<()> {
    let [addr, path, conns, kind, size, seconds, rest @ ..] = args else {
        return Err(
            "echo <addr> <path> <connections> <text|binary> <size> <seconds> [deflate]".into(),
        );
    };
    let conns: usize = conns.parse()?;
    let size: usize = size.parse()?;
    let seconds: f64 = seconds.parse()?;
    let deflate = rest.iter().any(|a| a == "deflate");
    let server: Option<u32> = rest
        .iter()
        .find_map(|a| a.strip_prefix("server="))
        .map(str::parse)
        .transpose()?;
    let server_cpu = || server.map_or(Duration::ZERO, process_cpu);
    let kind = if kind == "text" {
        DataKind::Text
    } else {
        DataKind::Binary
    };
    // Text a little like chat; binary bytes that do not compress away entirely.
    let payload: Vec<u8> = match kind {
        DataKind::Text => "hello, websocket world! "
            .bytes()
            .cycle()
            .take(size)
            .collect(),
        DataKind::Binary => (0..size).map(|i| (i * 31 % 251) as u8).collect(),
    };
    let mut opened = Vec::new();
    for _ in 0..conns {
        opened.push(open(addr, path, deflate).await?);
    }
    // One second of warm-up, then the measured window.
    let warm = Duration::from_secs(1);
    let start = Instant::now();
    let until = start + warm + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for (i, (mut sock, mut conn, leftover)) in opened.into_iter().enumerate() {
        let payload = payload.clone();
        if deflate {
            tasks.push(tokio::spawn(async move {
                conn.recv(Instant::now(), &leftover);
                echo_loop(&mut sock, &mut conn, kind, &payload, Some(until), u64::MAX).await
            }));
        } else {
            // Any key will do for a benchmark; a different one per connection.
            let key = (0x9e37_79b9_u32.wrapping_mul(i as u32 + 1)).to_be_bytes();
            let frame = masked_frame(kind, &payload, key);
            let len = payload.len() as u64;
            tasks.push(tokio::spawn(async move {
                lean_echo_loop(&mut sock, &leftover, &frame, len, until).await
            }));
        }
    }
    tokio::time::sleep_until((start + warm).into()).await;
    let cpu_time = || process_cpu(std::process::id());
    let (count0, cpu0, server0, t0) = (
        ECHOES.load(Ordering::Relaxed),
        cpu_time(),
        server_cpu(),
        Instant::now(),
    );
    tokio::time::sleep_until(until.into()).await;
    let (count1, cpu1, server1, t1) = (
        ECHOES.load(Ordering::Relaxed),
        cpu_time(),
        server_cpu(),
        Instant::now(),
    );
    for t in tasks {
        t.await??;
    }
    let wall = (t1 - t0).as_secs_f64();
    let messages = count1 - count0;
    let client = (cpu1 - cpu0).as_secs_f64();
    print!(
        "messages/s {:.0} client_cpu {:.0} client_us_per_message {:.2}",
        messages as f64 / wall,
        100.0 * client / wall,
        1e6 * client / messages.max(1) as f64
    );
    if server.is_some() {
        let busy = (server1 - server0).as_secs_f64();
        print!(
            " server_cpu {:.0} server_us_per_message {:.2}",
            100.0 * busy / wall,
            1e6 * busy / messages.max(1) as f64
        );
    }
    println!();
    Ok(())
}

async fn idle(args: &[String]) -> Result<()> {
    let [addr, path, conns, seconds] = args else {
        return Err("idle <addr> <path> <connections> <seconds>".into());
    };
    let conns: usize = conns.parse()?;
    let mut held = Vec::with_capacity(conns);
    for _ in 0..conns {
        let (mut sock, mut conn, leftover) = open(addr, path, false).await?;
        conn.recv(Instant::now(), &leftover);
        echo_loop(&mut sock, &mut conn, DataKind::Text, b"hello", None, 1).await?;
        held.push((sock, conn));
    }
    println!("ready {}", held.len());
    tokio::time::sleep(Duration::from_secs_f64(seconds.parse()?)).await;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("echo") => echo(&args[1..]).await,
        Some("idle") => idle(&args[1..]).await,
        _ => Err("usage: ws-load echo|idle ...".into()),
    }
}
