//! Runtime independence: an HTTP/2 server Connection driven by blocking `std::net`
//! sockets, one thread per connection, no async runtime.
//!
//! Run it and try `curl --http2-prior-knowledge http://127.0.0.1:8080/`:
//! `cargo run -p weft-http2 --example blocking_server -- 127.0.0.1:8080`.
//! With `--once` it serves a single connection and exits (used by the test suite).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use bytes::Bytes;
use weft_http2::{Config, Connection, Event, Header, HeadersKind, SendError, StreamId};

/// The clock lives here, in the I/O layer, never in the protocol crate.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// Serves one connection until it closes.
pub(crate) fn serve(mut sock: TcpStream) -> std::io::Result<()> {
    let mut conn = Connection::new(now(), Config::server());
    let mut pending: Vec<(StreamId, Bytes)> = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Headers {
                    stream,
                    headers,
                    end_stream,
                    kind: HeadersKind::Request { .. },
                } => {
                    let path = headers
                        .iter()
                        .find(|h| &h.name[..] == b":path")
                        .map(|h| h.value.clone());
                    if end_stream {
                        let body = Bytes::from(format!(
                            "hello from a blocking loop, path {:?}\n",
                            path.unwrap_or_default()
                        ));
                        let head = [
                            Header::new(":status", "200"),
                            Header::new("content-type", "text/plain"),
                        ];
                        if conn.send_headers(stream, &head, false).is_ok() {
                            pending.push((stream, body));
                        }
                    }
                }
                Event::Data {
                    stream, flow_len, ..
                } => conn.release_capacity(stream, flow_len),
                _ => {}
            }
        }
        // Send what flow control allows; keep the rest for a later SendCapacity.
        pending.retain_mut(
            |(stream, body)| match conn.send_data(*stream, body.clone(), true) {
                Ok(n) => {
                    *body = body.slice(n..);
                    !body.is_empty()
                }
                Err(SendError::Blocked) => true,
                Err(_) => false,
            },
        );
        while let Some(bytes) = conn.poll_transmit() {
            sock.write_all(&bytes)?;
        }
        if conn.is_closed() {
            return Ok(());
        }
        // Wait for bytes or the connection's next deadline, whichever comes first.
        let wait = conn
            .poll_timeout()
            .map(|at| at.saturating_duration_since(now()));
        if wait.is_some_and(|wait| wait.is_zero()) {
            conn.handle_timeout(now());
            continue;
        }
        sock.set_read_timeout(wait)?;
        match sock.read(&mut buf) {
            Ok(0) => {
                conn.recv_eof(now());
                return Ok(());
            }
            // On a connection error the GOAWAY is queued and `ConnectionLost` is the
            // last event; the next iteration sends the one and sees the other.
            Ok(n) => conn.recv(now(), &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                conn.handle_timeout(now());
            }
            Err(e) => return Err(e),
        }
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let once = args.any(|a| a == "--once");
    let listener = TcpListener::bind(&addr)?;
    for sock in listener.incoming() {
        let sock = sock?;
        if once {
            return serve(sock);
        }
        std::thread::spawn(move || {
            let _ = serve(sock);
        });
    }
    Ok(())
}
