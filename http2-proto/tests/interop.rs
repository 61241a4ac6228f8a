//! Interop with the `h2` crate over an in-memory tokio duplex: h2 as client against our
//! server, and h2 as server against our client, with multi-MiB bodies both ways so flow
//! control and WINDOW_UPDATE batching are exercised against an independent peer.

mod support;

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use weft_http2::{Config, Connection, Event, Header, HeadersKind, SendError, StreamId};

const BODY_LEN: usize = 4 * 1024 * 1024 + 17;

fn body() -> Bytes {
    support::pair::bytes_of(BODY_LEN)
}

/// An application on top of our `Connection`: a server echoes every request body, a
/// client collects responses.
#[derive(Default)]
struct App {
    pending: HashMap<StreamId, Bytes>,
    bodies: HashMap<StreamId, Vec<u8>>,
    done: Vec<(StreamId, u16, Vec<u8>)>,
    statuses: HashMap<StreamId, u16>,
}

impl App {
    fn on_event(&mut self, conn: &mut Connection, ev: Event) {
        match ev {
            Event::Headers {
                stream,
                headers,
                end_stream,
                kind,
            } => {
                if kind == HeadersKind::Response {
                    let status = headers
                        .iter()
                        .find(|h| &h.name[..] == b":status")
                        .map(|h| std::str::from_utf8(&h.value).unwrap().parse().unwrap())
                        .unwrap();
                    self.statuses.insert(stream, status);
                }
                self.bodies.entry(stream).or_default();
                if end_stream {
                    self.finish(conn, stream, matches!(kind, HeadersKind::Request { .. }));
                }
            }
            Event::Data {
                stream,
                data,
                end_stream,
                flow_len,
            } => {
                self.bodies
                    .entry(stream)
                    .or_default()
                    .extend_from_slice(&data);
                conn.release_capacity(stream, flow_len);
                if end_stream {
                    self.finish(conn, stream, conn.role() == weft_http2::Role::Server);
                }
            }
            Event::SendCapacity { stream } => self.pump(conn, stream),
            Event::ConnectionLost(e) => panic!("connection lost: {e}"),
            _ => {}
        }
    }

    fn finish(&mut self, conn: &mut Connection, stream: StreamId, respond: bool) {
        let body = self.bodies.remove(&stream).unwrap_or_default();
        if respond {
            let head = [
                Header::new(":status", "200"),
                Header::new("content-length", body.len().to_string()),
            ];
            conn.send_headers(stream, &head, false).unwrap();
            self.pending.insert(stream, Bytes::from(body));
            self.pump(conn, stream);
        } else {
            let status = self.statuses.get(&stream).copied().unwrap_or(0);
            self.done.push((stream, status, body));
        }
    }

    fn pump(&mut self, conn: &mut Connection, stream: StreamId) {
        let Some(data) = self.pending.remove(&stream) else {
            return;
        };
        match conn.send_data(stream, data.clone(), true) {
            Ok(n) if n == data.len() => {}
            Ok(n) => {
                self.pending.insert(stream, data.slice(n..));
            }
            Err(SendError::Blocked) => {
                self.pending.insert(stream, data);
            }
            Err(e) => panic!("send_data: {e}"),
        }
    }
}

/// Drives our connection over `io` until `until(app)` holds (client) or the peer
/// closes (server).
async fn drive(
    mut io: DuplexStream,
    conn: &mut Connection,
    app: &mut App,
    until: impl Fn(&App) -> bool,
) {
    let now: Instant = support::epoch();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(ev) = conn.poll_event() {
            app.on_event(conn, ev);
        }
        while let Some(b) = conn.poll_transmit() {
            io.write_all(&b).await.unwrap();
        }
        if until(app) || conn.is_closed() {
            io.flush().await.unwrap();
            return;
        }
        let n = io.read(&mut buf).await.unwrap();
        if n == 0 {
            conn.recv_eof(now);
            return;
        }
        conn.recv(now, &buf[..n]);
        assert_eq!(conn.error(), None);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn h2_client_against_our_server() {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let mut conn = Connection::new(support::epoch(), Config::server());
        let mut app = App::default();
        drive(server_io, &mut conn, &mut app, |_| false).await;
    });

    let (mut client, h2conn) = h2::client::handshake(client_io).await.unwrap();
    let conn_task = tokio::spawn(async move {
        let _ = h2conn.await;
    });
    // Three uploads in parallel on one connection, echoed back.
    let mut handles = Vec::new();
    for i in 0..3 {
        let req = http::Request::post(format!("http://localhost/echo/{i}"))
            .body(())
            .unwrap();
        let (resp, mut send) = client.send_request(req, false).unwrap();
        send.send_data(body(), true).unwrap();
        handles.push(tokio::spawn(async move {
            let resp = resp.await.unwrap();
            assert_eq!(resp.status(), 200);
            let mut body = resp.into_body();
            let mut got = Vec::new();
            while let Some(chunk) = body.data().await {
                let chunk = chunk.unwrap();
                body.flow_control().release_capacity(chunk.len()).unwrap();
                got.extend_from_slice(&chunk);
            }
            got
        }));
    }
    for h in handles {
        let got = h.await.unwrap();
        assert_eq!(got.len(), BODY_LEN);
        assert!(got == body().to_vec());
    }
    drop(client);
    conn_task.await.unwrap();
    server.await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn our_client_against_h2_server() {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let mut srv = h2::server::handshake(server_io).await.unwrap();
        while let Some(req) = srv.accept().await {
            let (req, mut respond) = req.unwrap();
            tokio::spawn(async move {
                let mut body = req.into_body();
                let mut got = Vec::new();
                while let Some(chunk) = body.data().await {
                    let chunk = chunk.unwrap();
                    body.flow_control().release_capacity(chunk.len()).unwrap();
                    got.extend_from_slice(&chunk);
                }
                let resp = http::Response::builder().status(201).body(()).unwrap();
                let mut send = respond.send_response(resp, false).unwrap();
                send.send_data(Bytes::from(got), true).unwrap();
            });
        }
    });

    let mut conn = Connection::new(support::epoch(), Config::client());
    let mut app = App::default();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = conn.open_stream().unwrap();
        let head = [
            Header::new(":method", "POST"),
            Header::new(":scheme", "http"),
            Header::new(":path", "/echo"),
            Header::new(":authority", "localhost"),
        ];
        conn.send_headers(id, &head, false).unwrap();
        app.pending.insert(id, body());
        app.pump(&mut conn, id);
        ids.push(id);
    }
    drive(client_io, &mut conn, &mut app, |app| app.done.len() == 3).await;
    for (id, status, got) in &app.done {
        assert!(ids.contains(id));
        assert_eq!(*status, 201);
        assert_eq!(got.len(), BODY_LEN);
        assert!(*got == body().to_vec());
    }
    server.abort();
}
