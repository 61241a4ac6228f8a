//! HTTP/2 on tokio: the same `Connection` as the blocking example, driven by an async
//! loop. Nothing in weft-http2 knows which runtime runs it.
//!
//! Run it and try `curl --http2-prior-knowledge http://127.0.0.1:8080/`:
//! `cargo run -p weft-http2 --example tokio_server -- 127.0.0.1:8080`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // an example reports what it does

use std::io;
use std::time::Instant;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use weft_http2::{Config, Connection, Event, Header, HeadersKind, SendError, StreamId};

/// The clock lives here, in the driver, never in the protocol crate.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

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
pub(crate) async fn serve(mut sock: TcpStream) -> io::Result<()> {
    let mut conn = Connection::new(now(), Config::server());
    // Response bodies the flow-control windows have not taken yet.
    let mut pending: Vec<(StreamId, Bytes)> = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Headers {
                    stream,
                    headers,
                    end_stream: true,
                    kind: HeadersKind::Request { .. },
                } => {
                    let path = headers
                        .iter()
                        .find(|h| &h.name[..] == b":path")
                        .map(|h| h.value.clone())
                        .unwrap_or_default();
                    let body = Bytes::from(format!("hello from tokio, path {path:?}\n"));
                    let head = [
                        Header::new(":status", "200"),
                        Header::new("content-type", "text/plain"),
                    ];
                    if conn.send_headers(stream, &head, false).is_ok() {
                        pending.push((stream, body));
                    }
                }
                Event::Data {
                    stream, flow_len, ..
                } => conn.release_capacity(stream, flow_len),
                Event::ConnectionLost(error) => eprintln!("connection lost: {error}"),
                _ => {}
            }
        }
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
            sock.write_all(&bytes).await?;
        }
        if conn.is_closed() {
            return Ok(());
        }
        let deadline = conn.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = sock.read(&mut buf) => match read? {
                0 => conn.recv_eof(now()),
                n => conn.recv(now(), &buf[..n]),
            },
            () = sleep => conn.handle_timeout(now()),
        }
    }
}
