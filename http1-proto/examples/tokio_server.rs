//! HTTP/1.1 on tokio: the same `Connection` as the blocking example, driven by an async
//! loop. Nothing in weft-http1 knows which runtime runs it.
//!
//! ```text
//! cargo run -p weft-http1 --example tokio_server -- 127.0.0.1:8080
//! curl -v http://127.0.0.1:8080/hello
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // an example reports what it does
// The driver, not the protocol crate, reads the clock.
#![allow(clippy::disallowed_methods)]

use std::io;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use weft_http1::{Config, Connection, Event, RecvError, ResponseHead, State};

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = serve(stream).await {
                eprintln!("connection error: {e}");
            }
        });
    }
}

/// One connection, in the loop every weft protocol crate is driven by: input, drain
/// events, drain transmit, sleep until the input or `poll_timeout`, handle the timeout.
pub(crate) async fn serve(mut stream: TcpStream) -> io::Result<()> {
    let mut conn = Connection::new(Instant::now(), Config::server());
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Request(head) => {
                    if conn.client_is_waiting_for_100_continue() {
                        conn.send_continue().map_err(io::Error::other)?;
                    }
                    let text = format!("hello from tokio: {}\n", head.target.escape_ascii());
                    let response = ResponseHead::new(200)
                        .with_header("Content-Type", "text/plain")
                        .with_header("Content-Length", text.len().to_string());
                    conn.send_response(&response).map_err(io::Error::other)?;
                    conn.send_data(text.into()).map_err(io::Error::other)?;
                    conn.send_end(None).map_err(io::Error::other)?;
                }
                // The request body is not needed here; it is read and dropped.
                Event::Data(_) | Event::EndOfMessage { .. } => {}
                Event::ConnectionLost(error) => answer_error(&mut conn, error)?,
                _ => {}
            }
        }
        while let Some(bytes) = conn.poll_transmit() {
            stream.write_all(&bytes).await?;
        }
        if conn.is_closed() {
            return Ok(());
        }
        match (conn.our_state(), conn.their_state()) {
            (State::Done, State::Done) => {
                conn.start_next_cycle(Instant::now())
                    .map_err(io::Error::other)?;
                continue; // a pipelined request may already be buffered
            }
            (State::MustClose | State::Closed, _) | (_, State::Closed) => return Ok(()),
            _ => {}
        }
        let deadline = conn.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = stream.read(&mut buf) => match read? {
                0 => conn.recv_eof(Instant::now()),
                n => conn.recv(Instant::now(), &buf[..n]),
            },
            () = sleep => conn.handle_timeout(Instant::now()),
        }
    }
}

/// Answers a broken or late request with the status its error carries; an idle
/// connection that timed out is closed without a word.
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
