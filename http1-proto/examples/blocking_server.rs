//! HTTP/1.1 over blocking `std::net` and nothing else: the same `Connection` that
//! server-smol drives from async code, driven here by a plain read/write loop with one
//! thread per connection.
//!
//! ```text
//! cargo run -p weft-http1 --example blocking_server -- 127.0.0.1:8080
//! curl -v http://127.0.0.1:8080/hello
//! curl -v --data-binary @Cargo.toml http://127.0.0.1:8080/echo
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // an example reports what it does
// The driver, not the protocol crate, reads the clock.
#![allow(clippy::disallowed_methods)]

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use weft_http1::{Config, Connection, Event, RecvError, ResponseHead, State};

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

/// One connection, in the loop every weft protocol crate is driven by: input, drain
/// events, drain transmit, sleep until the input or `poll_timeout`, handle the timeout.
pub(crate) fn serve(mut stream: TcpStream) -> io::Result<()> {
    let mut conn = Connection::new(Instant::now(), Config::server());
    let mut request: Option<(Bytes, Bytes)> = None;
    let mut body = BytesMut::new();
    loop {
        // 1. Drain every event the buffered bytes give.
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Request(head) => {
                    if conn.client_is_waiting_for_100_continue() {
                        conn.send_continue().map_err(io::Error::other)?;
                    }
                    request = Some((head.method, head.target));
                    body.clear();
                }
                Event::Data(data) => body.extend_from_slice(&data),
                Event::EndOfMessage { .. } => {
                    let (method, target) = request.take().unwrap_or_default();
                    respond(&mut conn, &method, &target, &body)?;
                }
                Event::ConnectionLost(error) => answer_error(&mut conn, error)?,
                _ => {}
            }
        }
        // 2. Write everything out.
        flush(&mut conn, &mut stream)?;
        if conn.is_closed() {
            return Ok(());
        }
        // 3. Next request on the same connection, or close.
        match (conn.our_state(), conn.their_state()) {
            (State::Done, State::Done) => {
                conn.start_next_cycle(Instant::now())
                    .map_err(io::Error::other)?;
                continue; // a pipelined request may already be buffered
            }
            (State::MustClose | State::Closed, _) | (_, State::Closed) => return Ok(()),
            _ => {}
        }
        // 4. Wait for one thing: more bytes, or the connection's next deadline.
        let deadline = conn.poll_timeout();
        let wait = deadline.map(|at| at.saturating_duration_since(Instant::now()));
        if wait.is_some_and(|wait| wait.is_zero()) {
            conn.handle_timeout(Instant::now());
            continue;
        }
        stream.set_read_timeout(wait)?;
        let mut buf = vec![0u8; 16 * 1024];
        match stream.read(&mut buf) {
            Ok(0) => conn.recv_eof(Instant::now()),
            Ok(n) => conn.recv(Instant::now(), &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                conn.handle_timeout(Instant::now());
            }
            Err(e) => return Err(e),
        }
    }
}

/// Answers a broken or late request with the status its error carries (400, 408, 431,
/// ...); an idle connection that timed out is closed without a word.
fn answer_error(conn: &mut Connection, error: RecvError) -> io::Result<()> {
    if error == RecvError::IdleTimeout {
        return Ok(());
    }
    let text = format!("{error}\n");
    let head = ResponseHead::new(error.status_hint())
        .with_header("Content-Length", text.len().to_string());
    if conn.send_response(&head).is_ok() {
        conn.send_data(text.into()).map_err(io::Error::other)?;
        conn.send_end(None).map_err(io::Error::other)?;
    }
    Ok(())
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
