//! HTTP/1.1 over blocking `std::net` and nothing else: the same `Connection` that
//! server-smol drives from async code, driven here by a plain read/write loop with one
//! thread per connection.
//!
//! ```text
//! cargo run -p http1-proto --example blocking_server -- 127.0.0.1:8080
//! curl -v http://127.0.0.1:8080/hello
//! curl -v --data-binary @Cargo.toml http://127.0.0.1:8080/echo
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // an example reports what it does

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};

use bytes::{Bytes, BytesMut};
use http1_proto::{Connection, Event, Limits, ResponseHead, Role, State};

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on http://{}", listener.local_addr()?);
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || {
            if let Err(e) = serve(stream) {
                eprintln!("connection error: {e}");
            }
        });
    }
    Ok(())
}

/// One connection: read, drain events, answer, flush, repeat (the loop of the driver contract, ARCHITECTURE.md).
pub(crate) fn serve(mut stream: TcpStream) -> io::Result<()> {
    let mut conn = Connection::new(Role::Server, Limits::default());
    let mut request: Option<(Bytes, Bytes)> = None;
    let mut body = BytesMut::new();
    loop {
        // 1. Drain every event the buffered bytes give.
        loop {
            match conn.poll_event() {
                Ok(Some(Event::Request(head))) => {
                    if conn.client_is_waiting_for_100_continue() {
                        conn.send_continue().map_err(io::Error::other)?;
                    }
                    request = Some((head.method, head.target));
                    body.clear();
                }
                Ok(Some(Event::Data(data))) => body.extend_from_slice(&data),
                Ok(Some(Event::EndOfMessage { .. })) => {
                    let (method, target) = request.take().unwrap_or_default();
                    respond(&mut conn, &method, &target, &body)?;
                }
                Ok(Some(Event::ConnectionClosed)) => {}
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) => {
                    // Answer with the status the error carries, then close.
                    let status = error.status_hint();
                    let text = format!("{error}\n");
                    let head = ResponseHead::new(status)
                        .with_header("Content-Length", text.len().to_string());
                    if conn.send_response(&head).is_ok() {
                        conn.send_data(text.into()).map_err(io::Error::other)?;
                        conn.send_end(None).map_err(io::Error::other)?;
                    }
                    flush(&mut conn, &mut stream)?;
                    return Ok(());
                }
            }
        }
        // 2. Write everything out.
        flush(&mut conn, &mut stream)?;
        // 3. Next request on the same connection, or close.
        match (conn.our_state(), conn.their_state()) {
            (State::Done, State::Done) => {
                conn.start_next_cycle().map_err(io::Error::other)?;
                continue; // a pipelined request may already be buffered
            }
            (State::MustClose | State::Closed, _) | (_, State::Closed) => return Ok(()),
            _ => {}
        }
        // 4. Wait for exactly one thing: more bytes.
        let mut buf = vec![0u8; 16 * 1024];
        let n = stream.read(&mut buf)?;
        if n == 0 {
            conn.recv_eof();
        } else {
            conn.recv(&buf[..n]);
        }
    }
}

fn respond(conn: &mut Connection, method: &[u8], target: &[u8], body: &[u8]) -> io::Result<()> {
    let text = match target {
        b"/echo" => Bytes::copy_from_slice(body),
        _ => format!(
            "hello from http1-proto: {} {}\n",
            String::from_utf8_lossy(method),
            String::from_utf8_lossy(target)
        )
        .into(),
    };
    let head = ResponseHead::new(200)
        .with_header("Content-Type", "text/plain")
        .with_header("Content-Length", text.len().to_string());
    conn.send_response(&head).map_err(io::Error::other)?;
    conn.send_data(text).map_err(io::Error::other)?;
    conn.send_end(None).map_err(io::Error::other)
}

fn flush(conn: &mut Connection, stream: &mut TcpStream) -> io::Result<()> {
    while let Some(bytes) = conn.poll_transmit() {
        stream.write_all(&bytes)?;
    }
    stream.flush()
}
