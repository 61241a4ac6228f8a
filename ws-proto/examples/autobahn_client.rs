//! A blocking client that drives the Autobahn TestSuite's fuzzing server, echoing every
//! message with permessage-deflate offered. Sections 13.2 to 13.7 accept only particular
//! offers; each 13.x case gets the suite's own client offers for its section. The server
//! does not say which case a number is, so the 13.x cases are taken to be the last 126
//! served (seven sections of 18), as they are in the whole suite and in a run of `13.*`;
//! run section 13 whole or not at all:
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

/// The 13.x cases: seven parameter sets, each with 18 message sizes.
const SECTION_13: usize = 7 * 18;

/// The permessage-deflate offers for a case: for 13.x, the suite's client offers of that
/// section (no context takeover, a server window or both, asked for of the server, with
/// `client_no_context_takeover` and `client_max_window_bits` offered, which 13.2 to 13.7
/// accept only when present); otherwise the default offer.
fn offers(section_13: Option<usize>) -> Vec<DeflateConfig> {
    let offer = |server_no_context_takeover, server_max_window_bits| DeflateConfig {
        server_no_context_takeover,
        client_no_context_takeover: true,
        server_max_window_bits,
        ..DeflateConfig::default()
    };
    match section_13 {
        Some(1) => vec![offer(false, 15)],
        Some(2) => vec![offer(true, 15)],
        Some(3) => vec![offer(false, 9)],
        Some(4) => vec![offer(false, 15)],
        Some(5) => vec![offer(true, 9)],
        Some(6) => vec![offer(true, 15)],
        Some(7) => vec![offer(true, 9), offer(true, 15), offer(false, 15)],
        _ => vec![DeflateConfig::default()],
    }
}

/// Opens `path` with `offers` and returns the socket, a client connection, and what
/// followed the head.
fn open(addr: &str, path: &str, offers: Vec<DeflateConfig>) -> Result<(TcpStream, Connection)> {
    let mut sock = TcpStream::connect(addr)?;
    sock.set_nodelay(true)?;
    let handshake = ClientHandshake::new(vec![], None).with_deflate_offers(offers);
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
fn run(addr: &str, path: &str, offers: Vec<DeflateConfig>) -> Result<Vec<String>> {
    let (mut sock, mut conn) = open(addr, path, offers)?;
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
    let plain = || vec![DeflateConfig::default()];
    let count: usize = run(&addr, "/getCaseCount", plain())?
        .first()
        .ok_or("no case count")?
        .trim()
        .parse()?;
    println!("{count} cases");
    let first_13 = count.checked_sub(SECTION_13).map(|before| before + 1);
    for case in 1..=count {
        // 13.1 to 13.7, for a case among the last 126.
        let section_13 = first_13
            .and_then(|first| case.checked_sub(first))
            .map(|k| k / 18 + 1);
        let path = format!("/runCase?case={case}&agent={AGENT}");
        if let Err(e) = run(&addr, &path, offers(section_13)) {
            eprintln!("case {case}: {e}");
        }
    }
    run(&addr, &format!("/updateReports?agent={AGENT}"), plain())?;
    println!("reports updated");
    Ok(())
}
