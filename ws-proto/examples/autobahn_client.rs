//! A blocking client that drives the Autobahn TestSuite's fuzzing server, echoing every
//! message with permessage-deflate offered:
//!
//! ```text
//! kosoku -m fuzzingserver 127.0.0.1:9001 -o reports &
//! cargo run --release -p weft-ws --example autobahn_client -- 127.0.0.1:9001
//! ```
//!
//! The opening handshake is ws-proto's `ClientHandshake` over http1-proto's response
//! parser; after it, the socket's bytes go to a client `Connection`.
// An example prints its progress, and a driver reads the clock.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ws_proto::{ClientHandshake, Connection, DeflateConfig, Event, Limits};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const AGENT: &str = "weft-ws";

/// Opens `path` and returns the socket, a client connection, and what followed the head.
fn open(addr: &str, path: &str) -> Result<(TcpStream, Connection)> {
    let mut sock = TcpStream::connect(addr)?;
    sock.set_nodelay(true)?;
    let handshake = ClientHandshake::new(vec![], Some(DeflateConfig::default()));
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n");
    for (name, value) in handshake.upgrade_headers() {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    sock.write_all(request.as_bytes())?;

    let config = http1_proto::Config::client();
    let mut fields = Vec::new();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (status, head_len) = loop {
        let n = sock.read(&mut chunk)?;
        if n == 0 {
            return Err("connection closed during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        match http1_proto::parse_response_head(&buf, &config, &mut fields)? {
            http1_proto::Status::Complete(head) => break (head.status, head.head_len),
            http1_proto::Status::Partial => {}
        }
    };
    let pairs = fields.iter().map(|f| (f.name.of(&buf), f.value.of(&buf)));
    let accepted = handshake.finish_upgrade(status, pairs)?;
    let mut config = accepted.config();
    // Section 9 sends messages of up to 16 MiB, and frames as large.
    config.limits = Limits {
        max_frame_size: 64 << 20,
        max_message_size: 64 << 20,
        max_buffered_bytes: 64 << 20,
    };
    let now = Instant::now();
    let mut conn = Connection::new(now, config);
    conn.recv(now, &buf[head_len..]);
    Ok((sock, conn))
}

/// Runs one connection to its end, echoing data messages; returns the text messages.
fn run(addr: &str, path: &str) -> Result<Vec<String>> {
    let (mut sock, mut conn) = open(addr, path)?;
    let mut texts = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Text(t) => {
                    let text = std::str::from_utf8(&t)?;
                    texts.push(text.to_owned());
                    let _ = conn.send_text(text);
                }
                Event::Binary(b) => {
                    let _ = conn.send_binary(&b);
                }
                Event::ConnectionLost(_) => {}
                Event::Ping(_) | Event::Pong(_) | Event::Fragment { .. } => {}
            }
        }
        while let Some(bytes) = conn.poll_transmit() {
            if sock.write_all(&bytes).is_err() {
                return Ok(texts);
            }
        }
        if conn.is_closed() {
            return Ok(texts);
        }
        let now = Instant::now();
        let wait = conn
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now));
        sock.set_read_timeout(wait.map(|w| w.max(Duration::from_millis(1))))?;
        match sock.read(&mut buf) {
            Ok(0) => conn.recv_eof(Instant::now()),
            Ok(n) => conn.recv(Instant::now(), &buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                conn.handle_timeout(Instant::now());
            }
            Err(_) => conn.recv_eof(Instant::now()),
        }
    }
}

fn main() -> Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let count: usize = run(&addr, "/getCaseCount")?
        .first()
        .ok_or("no case count")?
        .trim()
        .parse()?;
    println!("{count} cases");
    for case in 1..=count {
        if let Err(e) = run(&addr, &format!("/runCase?case={case}&agent={AGENT}")) {
            eprintln!("case {case}: {e}");
        }
    }
    run(&addr, &format!("/updateReports?agent={AGENT}"))?;
    println!("reports updated");
    Ok(())
}
