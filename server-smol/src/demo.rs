//! The demo application the binary serves. It is not part of the library:
//! it shows what an application built on it looks like, and the integration
//! tests include this file to serve the same routes.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /` | `Hello, World!` as text (the benchmark route) |
//! | `POST /echo` | reads the whole body, then streams it back chunk by chunk |
//! | `GET /users/{id}` | `{"id": 7, "name": "user 7"}`; 400 if `id` is not a number |
//! | `GET /static/{*path}` | files under the static root ([`StaticFiles`]) |
//! | `GET /sse` | server-sent events: one `tick` a second (`?count=N` stops after N, `?interval_ms=M` paces them) |
//! | `GET /ws` | WebSocket echo: every text and binary message comes back as it was (permessage-deflate when offered) |
//! | `GET /chat` | a chat page whose script joins `/chat/ws` |
//! | `GET /chat/ws` | WebSocket chat room: each text message goes to every member, the sender too |

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use weft_server::{App, BodyError, Message, Request, Response, StaticFiles, WebSocket};

/// The body of `GET /`, also what the benchmark's hyper server answers.
pub(crate) const HELLO: &str = "Hello, World!";

/// The directory with the demo's static files, inside this crate.
pub(crate) fn default_static_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static")
}

/// Builds the demo app, serving files under `static_root`.
pub(crate) fn app(static_root: impl Into<PathBuf>) -> io::Result<App> {
    let files = Arc::new(StaticFiles::new(static_root.into())?);
    let mut app = App::new();
    app.get("/", |_req| async { Response::text(HELLO) });
    app.post("/echo", echo);
    app.get("/users/{id}", user);
    app.get("/static/{*path}", move |req: Request| {
        let files = files.clone();
        async move {
            let path = req.param("path").unwrap_or("");
            files.serve(&req, path).await
        }
    });
    app.get("/sse", sse);
    app.ws_accept("/ws", echo_ws);
    app.get("/chat", |_req| async {
        Response::new(200)
            .with_header("content-type", "text/html; charset=utf-8")
            .with_body(CHAT_PAGE)
    });
    let room = Arc::new(Room::default());
    app.ws_accept("/chat/ws", move |socket, _req| {
        let room = room.clone();
        async move { room.join(socket).await }
    });
    Ok(app)
}

/// Sends every message back as it came.
async fn echo_ws(socket: WebSocket, _req: Request) {
    while let Some(message) = socket.recv().await {
        if socket.send(message).await.is_err() {
            break;
        }
    }
}

/// The chat page: its script joins `/chat/ws` over `ws:` or `wss:` as the page came.
const CHAT_PAGE: &str = include_str!("demo_chat.html");

/// Messages that may wait for one chat member; past it that member misses messages
/// rather than hold the others up.
const MEMBER_BACKLOG: usize = 64;

/// The members of the chat, each with a queue of messages to send it.
#[derive(Default)]
struct Room {
    next_id: AtomicU64,
    members: Mutex<HashMap<u64, smol::channel::Sender<Message>>>,
}

impl Room {
    /// Serves one member until it leaves: what it says goes to everyone, and what
    /// everyone says goes to it.
    async fn join(&self, socket: WebSocket) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, inbox) = smol::channel::bounded(MEMBER_BACKLOG);
        if let Ok(mut members) = self.members.lock() {
            members.insert(id, tx);
        }
        let (receiver, sender) = socket.split();
        let forward = async {
            while let Ok(message) = inbox.recv().await {
                if sender.send(message).await.is_err() {
                    break;
                }
            }
        };
        let listen = async {
            while let Some(message) = receiver.recv().await {
                if let Message::Text(_) = message {
                    self.broadcast(&message);
                }
            }
        };
        futures_lite::future::or(forward, listen).await;
        if let Ok(mut members) = self.members.lock() {
            members.remove(&id);
        }
    }

    fn broadcast(&self, message: &Message) {
        if let Ok(members) = self.members.lock() {
            for member in members.values() {
                let _ = member.try_send(message.clone());
            }
        }
    }
}

/// Reads the whole body first (so a failed or oversized upload gets a clean
/// error status), then streams the received chunks back unchanged.
async fn echo(mut req: Request) -> Response {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut body = req.take_body();
    while let Some(chunk) = body.chunk().await {
        match chunk {
            Ok(chunk) => chunks.push(chunk),
            Err(BodyError::TooLarge { .. }) => return Response::status_page(413),
            Err(BodyError::Timeout) => return Response::status_page(408),
            Err(_) => return Response::status_page(400),
        }
    }
    let content_type = req
        .header("content-type")
        .unwrap_or("application/octet-stream")
        .to_owned();
    Response::stream(futures_lite::stream::iter(chunks.into_iter().map(Ok)))
        .with_header("content-type", content_type)
}

async fn user(req: Request) -> Response {
    let id = req.param("id").unwrap_or("");
    match id.parse::<u64>() {
        Ok(id) => Response::json(&serde_json::json!({ "id": id, "name": format!("user {id}") })),
        Err(_) => {
            Response::json(&serde_json::json!({ "error": "id must be a number" })).with_status(400)
        }
    }
}

async fn sse(req: Request) -> Response {
    let query = req.query().unwrap_or("");
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    let count = param("count");
    let interval = Duration::from_millis(param("interval_ms").unwrap_or(1000).clamp(1, 60_000));
    let ticks = futures_lite::stream::unfold(0u64, move |n| async move {
        if count.is_some_and(|count| n >= count) {
            return None;
        }
        if n > 0 {
            weft_server::sleep(interval).await;
        }
        let event = format!("id: {n}\nevent: tick\ndata: {{\"n\": {n}}}\n\n");
        Some((Ok(Bytes::from(event)), n + 1))
    });
    Response::stream(ticks)
        .with_header("content-type", "text/event-stream")
        .with_header("cache-control", "no-cache")
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::StreamExt;
    use weft_server::{Body, Headers, ResponseBody};

    fn call(method: &str, target: &str, body: Body) -> Response {
        let app = app(default_static_root()).unwrap();
        smol::block_on(app.call(Request::new(method, target, Headers::new(), body)))
    }

    fn collect(mut response: Response) -> Vec<u8> {
        match response.take_body() {
            ResponseBody::Full(b) => b.to_vec(),
            ResponseBody::Stream(s) => smol::block_on(async {
                let parts: Vec<io::Result<Bytes>> = s.collect().await;
                parts
                    .into_iter()
                    .flat_map(|p| p.unwrap().to_vec())
                    .collect()
            }),
            ResponseBody::File { mut file, len } => smol::block_on(async {
                use futures_lite::AsyncReadExt;
                let mut out = vec![0; len as usize];
                file.read_exact(&mut out).await.unwrap();
                out
            }),
            _ => Vec::new(),
        }
    }

    #[test]
    fn demo_routes() {
        assert_eq!(collect(call("GET", "/", Body::empty())), HELLO.as_bytes());
        assert_eq!(collect(call("POST", "/echo", Body::full("abc"))), b"abc");
        assert_eq!(
            collect(call("GET", "/users/7", Body::empty())),
            br#"{"id":7,"name":"user 7"}"#
        );
        assert_eq!(call("GET", "/users/x", Body::empty()).status(), 400);
        let sse = collect(call("GET", "/sse?count=2&interval_ms=1", Body::empty()));
        let text = String::from_utf8(sse).unwrap();
        assert_eq!(text.matches("event: tick").count(), 2, "{text}");
        let file = call("GET", "/static/hello.txt", Body::empty());
        assert_eq!(file.status(), 200);
        assert_eq!(
            file.headers().get_str("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert!(collect(file).starts_with(b"Hello from a static file."));
        assert_eq!(
            call("GET", "/static/..%2fCargo.toml", Body::empty()).status(),
            403
        );
        assert_eq!(call("GET", "/static/missing", Body::empty()).status(), 404);
    }
}
