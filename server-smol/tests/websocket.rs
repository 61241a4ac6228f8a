//! WebSocket routes over HTTP/1.1, cleartext and TLS, against tungstenite (an independent
//! client) and ws-proto's own client for permessage-deflate.
#![allow(clippy::disallowed_methods)] // tests measure how long the server took, and drive a client

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Reader;
use tungstenite::protocol::frame::coding::CloseCode;
use weft_server::{
    Accept, App, Message, Response, RunningServer, Server, ServerConfig, WsOptions, WsUpgrade,
};

/// Messages the `/flood` handler has handed to `send` so far.
static FLOOD_SENT: AtomicUsize = AtomicUsize::new(0);
const FLOOD_MESSAGE: usize = 64 * 1024;

/// The demo's routes plus routes that exercise each decision and option.
fn app() -> App {
    let mut app = common::app();
    app.ws("/reject", |upgrade: WsUpgrade| async move {
        upgrade.reject(
            Response::new(401)
                .with_header("www-authenticate", "Bearer")
                .with_body("who are you"),
        );
    });
    app.ws("/undecided", |upgrade: WsUpgrade| async move {
        drop(upgrade);
    });
    app.ws_with(
        "/proto",
        WsOptions::default().with_protocols(["v2", "v1"]),
        weft_server::AutoAccept(|socket: weft_server::WebSocket, _req| async move {
            let name = socket.protocol().unwrap_or("none").to_owned();
            let _ = socket.send(Message::text(name)).await;
            while socket.recv().await.is_some() {}
        }),
    );
    // The handler picks the client's last offer and sets a field of its own.
    app.ws("/choose", |upgrade: WsUpgrade| async move {
        let last = upgrade.protocols().last().cloned();
        let accept = Accept::new()
            .protocol_opt(last)
            .header("x-chosen", "by-handler")
            .header("sec-websocket-accept", "forged");
        let Ok(socket) = upgrade.accept(accept) else {
            return;
        };
        while socket.recv().await.is_some() {}
    });
    // A subprotocol the client never offered is refused, and the upgrade comes back.
    app.ws("/unoffered", |upgrade: WsUpgrade| async move {
        match upgrade.accept(Accept::new().protocol("never-offered")) {
            Ok(_) => {}
            Err(error) => {
                if let Some(upgrade) = error.upgrade {
                    upgrade.reject(Response::new(409).with_body(error.error.to_string()));
                }
            }
        }
    });
    app.ws_with(
        "/small",
        WsOptions::default().with_max_message_size(1024),
        weft_server::AutoAccept(|socket: weft_server::WebSocket, _req| async move {
            while let Some(message) = socket.recv().await {
                let _ = socket.send(message).await;
            }
        }),
    );
    app.ws_with(
        "/ping",
        WsOptions::default()
            .with_ping(Some(Duration::from_millis(200)), Duration::from_millis(300)),
        weft_server::AutoAccept(|socket: weft_server::WebSocket, _req| async move {
            while socket.recv().await.is_some() {}
        }),
    );
    app.ws_accept("/flood", |socket, _req| async move {
        let chunk = bytes::Bytes::from(vec![b'x'; FLOOD_MESSAGE]);
        while socket.send(Message::Binary(chunk.clone())).await.is_ok() {
            FLOOD_SENT.fetch_add(1, Ordering::SeqCst);
        }
    });
    // Sends until a send fails, and says so.
    app.ws_accept("/flood-until-cut", |socket, _req| async move {
        let chunk = bytes::Bytes::from(vec![b'y'; FLOOD_MESSAGE]);
        while socket.send(Message::Binary(chunk.clone())).await.is_ok() {}
        let code = socket.close_info().map_or(0, |info| info.code);
        CUT_CODE.store(usize::from(code), Ordering::SeqCst);
    });
    // The socket is driven from another thread, as the Python binding does.
    app.ws_accept("/thread", |socket, _req| async move {
        let (done_tx, done) = smol::channel::bounded::<()>(1);
        std::thread::spawn(move || {
            smol::block_on(async {
                while let Some(message) = socket.recv().await {
                    if let Message::Text(text) = &message {
                        let reply = format!("thread got {}", text.as_str());
                        if socket.send(Message::text(reply)).await.is_err() {
                            break;
                        }
                    }
                }
                let _ = done_tx.send(()).await;
            });
        });
        let _ = done.recv().await;
    });
    // Answers each message late, as an application on another thread or an event loop
    // does: the echo comes a while after the message was taken.
    app.ws_accept("/late-echo", |socket, _req| async move {
        while let Some(message) = socket.recv().await {
            smol::Timer::after(Duration::from_millis(50)).await;
            if socket.send(message).await.is_err() {
                break;
            }
        }
    });
    // Echoes from a thread of its own, as the Python binding's event loop does.
    app.ws_accept("/thread-echo", |socket, _req| async move {
        let (done_tx, done) = smol::channel::bounded::<()>(1);
        std::thread::spawn(move || {
            smol::block_on(async {
                while let Some(message) = socket.recv().await {
                    if socket.send(message).await.is_err() {
                        break;
                    }
                }
                let _ = done_tx.send(()).await;
            });
        });
        let _ = done.recv().await;
    });
    // Sends a tick every 10 ms and never receives.
    app.ws_accept("/ticker", |socket, _req| async move {
        while socket.send(Message::text("tick")).await.is_ok() {
            smol::Timer::after(Duration::from_millis(10)).await;
        }
    });
    // Closes with a code and reason of its own after the first message.
    app.ws_accept("/close-after-one", |socket, _req| async move {
        if socket.recv().await.is_some() {
            let _ = socket.close(4000, "enough").await;
        }
        while socket.recv().await.is_some() {}
        let info = socket.close_info().map(|i| (i.code, i.clean));
        let _ = CLOSE_SEEN.lock().map(|mut seen| *seen = info);
    });
    app
}

/// The close code the `/flood-until-cut` handler saw once its send failed.
static CUT_CODE: AtomicUsize = AtomicUsize::new(0);

static CLOSE_SEEN: std::sync::Mutex<Option<(u16, bool)>> = std::sync::Mutex::new(None);

fn config() -> ServerConfig {
    let mut config = common::config();
    // Clients left open at the end of a test get the shutdown's Close 1001 and do not
    // answer it: the server gives up on them sooner than the default 5 s.
    config.ws.close_timeout = Duration::from_millis(500);
    config
}

fn start(config: ServerConfig) -> (RunningServer, SocketAddr) {
    let server = Server::new(config, app()).bind().unwrap();
    let addr = server.local_addr().unwrap();
    (server, addr)
}

type Client = tungstenite::WebSocket<TcpStream>;

fn client(addr: SocketAddr, path: &str) -> (Client, tungstenite::handshake::client::Response) {
    client_offering(addr, path, None)
}

fn client_offering(
    addr: SocketAddr,
    path: &str,
    protocols: Option<&str>,
) -> (Client, tungstenite::handshake::client::Response) {
    use tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    if let Some(p) = protocols {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", p.parse().unwrap());
    }
    let stream = common::connect(addr);
    tungstenite::client::client(request, stream).unwrap()
}

fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: upgrade\r\n\
         sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n{extra}\r\n"
    )
}

#[test]
fn echo_text_and_binary() {
    let (server, addr) = start(config());
    let (mut ws, response) = client(addr, "/ws");
    assert_eq!(response.status(), 101);
    ws.send(tungstenite::Message::text("hello")).unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("hello"));
    let blob: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    ws.send(tungstenite::Message::binary(blob.clone())).unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::binary(blob));
    // Text that is not one frame: fragments come back as one message.
    ws.close(None).unwrap();
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    server.shutdown();
    server.join();
}

#[test]
fn handshake_answers() {
    let (server, addr) = start(config());
    // A plain GET to a WebSocket route: 426 naming the protocol to upgrade to.
    let reply = common::get(addr, "/ws", "");
    assert_eq!(reply.status, 426);
    assert_eq!(reply.header("upgrade"), Some("websocket"));
    // Another version: 426 naming ours (RFC 6455 §4.4).
    let mut reader = Reader::new(common::connect(addr));
    reader.send(
        upgrade_request("/ws", "")
            .replace("version: 13", "version: 8")
            .as_bytes(),
    );
    let reply = reader.reply();
    assert_eq!(reply.status, 426);
    assert_eq!(reply.header("sec-websocket-version"), Some("13"));
    // A key that is not 16 bytes of base64: 400.
    let mut reader = Reader::new(common::connect(addr));
    reader.send(
        upgrade_request("/ws", "")
            .replace("dGhlIHNhbXBsZSBub25jZQ==", "short")
            .as_bytes(),
    );
    assert_eq!(reader.reply().status, 400);
    // The handler rejects with a response of its own, and the connection stays HTTP.
    let mut reader = Reader::new(common::connect(addr));
    reader.send(upgrade_request("/reject", "").as_bytes());
    let reply = reader.reply();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(reply.body, b"who are you");
    reader.send(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(reader.reply().status, 200);
    // The handler decides nothing: 403.
    let mut reader = Reader::new(common::connect(addr));
    reader.send(upgrade_request("/undecided", "").as_bytes());
    assert_eq!(reader.reply().status, 403);
    // The RFC 6455 §1.3 example key, answered with its accept value.
    let mut reader = Reader::new(common::connect(addr));
    reader.send(upgrade_request("/ws", "").as_bytes());
    let reply = reader.reply_with(true).unwrap();
    assert_eq!(reply.status, 101);
    assert_eq!(
        reply.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    assert_eq!(reply.header("upgrade"), Some("websocket"));
    server.shutdown();
    server.join();
}

#[test]
fn subprotocols() {
    let (server, addr) = start(config());
    // The route's preference wins over the client's order.
    let (mut ws, response) = client_offering(addr, "/proto", Some("v1, v2"));
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap()),
        Some("v2")
    );
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("v2"));
    // Nothing in common: no subprotocol (which tungstenite would refuse, so by hand).
    let mut reader = Reader::new(common::connect(addr));
    reader.send(upgrade_request("/proto", "sec-websocket-protocol: v3\r\n").as_bytes());
    let reply = reader.reply_with(true).unwrap();
    assert_eq!(reply.status, 101);
    assert_eq!(reply.header("sec-websocket-protocol"), None);
    let (mut ws, _) = client(addr, "/proto");
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("none"));
    // The handler chooses, and adds a field; the handshake's own fields stay its own.
    let (_ws, response) = client_offering(addr, "/choose", Some("a, b"));
    let field = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &tungstenite::http::HeaderValue| v.to_str().unwrap().to_owned())
    };
    assert_eq!(field("sec-websocket-protocol").as_deref(), Some("b"));
    assert_eq!(field("x-chosen").as_deref(), Some("by-handler"));
    assert_ne!(field("sec-websocket-accept").as_deref(), Some("forged"));
    // One the client did not offer is the handler's error, not the wire's.
    let mut reader = Reader::new(common::connect(addr));
    reader.send(upgrade_request("/unoffered", "sec-websocket-protocol: a\r\n").as_bytes());
    let reply = reader.reply();
    assert_eq!(reply.status, 409);
    drop(ws);
    server.shutdown();
    server.join();
}

#[test]
fn message_over_the_limit_closes_with_1009() {
    let (server, addr) = start(config());
    let (mut ws, _) = client(addr, "/small");
    ws.send(tungstenite::Message::binary(vec![1u8; 1024]))
        .unwrap();
    assert_eq!(ws.read().unwrap().len(), 1024);
    ws.send(tungstenite::Message::binary(vec![1u8; 1025]))
        .unwrap();
    match ws.read().unwrap() {
        tungstenite::Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected Close 1009, got {other:?}"),
    }
    server.shutdown();
    server.join();
}

/// Reads one frame from a raw socket: (opcode, payload). Server frames are unmasked.
fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).ok()?;
    let mut len = u64::from(head[1] & 0x7f);
    if len == 126 {
        let mut b = [0u8; 2];
        stream.read_exact(&mut b).ok()?;
        len = u64::from(u16::from_be_bytes(b));
    } else if len == 127 {
        let mut b = [0u8; 8];
        stream.read_exact(&mut b).ok()?;
        len = u64::from_be_bytes(b);
    }
    let mut payload = vec![0u8; len as usize];
    stream.read_exact(&mut payload).ok()?;
    Some((head[0] & 0x0f, payload))
}

/// Opens `path` by hand and returns the socket just after the 101.
fn raw_open(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = common::connect(addr);
    stream
        .write_all(upgrade_request(path, "").as_bytes())
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
    stream
}

/// A client frame with `payload`, masked as RFC 6455 §5.3 requires.
fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let key = [1u8, 2, 3, 4];
    let mut frame = vec![first_byte, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

/// Autobahn 3.2 and its kind: a message, then a frame with RSV2 set, in one write. The
/// echo of the message goes out before the Close 1002 for the bad frame; the same for
/// the peer's own Close: the echoes, then the answering Close. Each burst is sent at
/// once after the handshake (the application has not asked yet) and after a pause
/// (the application waits in `recv`).
fn assert_answers_precede_the_close(addr: SocketAddr, path: &str) {
    for pause in [Duration::ZERO, Duration::from_millis(100)] {
        let mut stream = raw_open(addr, path);
        std::thread::sleep(pause);
        let mut burst = client_frame(0x81, b"first");
        burst.extend(client_frame(0xA1, b"bad"));
        stream.write_all(&burst).unwrap();
        assert_eq!(read_frame(&mut stream), Some((0x1, b"first".to_vec())));
        let (opcode, payload) = read_frame(&mut stream).expect("a close");
        assert_eq!((opcode, &payload[..2]), (0x8, &1002u16.to_be_bytes()[..]));
        let mut stream = raw_open(addr, path);
        std::thread::sleep(pause);
        let mut burst = client_frame(0x81, b"last");
        burst.extend(client_frame(0x82, b"words"));
        burst.extend(client_frame(0x88, &1000u16.to_be_bytes()));
        stream.write_all(&burst).unwrap();
        assert_eq!(read_frame(&mut stream), Some((0x1, b"last".to_vec())));
        assert_eq!(read_frame(&mut stream), Some((0x2, b"words".to_vec())));
        assert_eq!(read_frame(&mut stream).map(|f| f.0), Some(0x8));
    }
}

#[test]
fn the_answer_to_a_message_precedes_the_close_for_what_follows_it() {
    let (server, addr) = start(config());
    assert_answers_precede_the_close(addr, "/ws");
    server.shutdown();
    server.join();
}

#[test]
fn a_late_answer_still_precedes_the_close_for_what_follows_it() {
    // An application that answers 50 ms after it took the message: the session must
    // not act on the bad frame, nor on the peer's Close, until the application has
    // asked for the next message.
    let (server, addr) = start(config());
    assert_answers_precede_the_close(addr, "/late-echo");
    assert_answers_precede_the_close(addr, "/thread-echo");
    server.shutdown();
    server.join();
}

#[test]
fn an_application_that_never_receives_still_has_pings_and_close_answered() {
    // Input is taken on demand once a message was handed over; before that, control
    // frames flow, so a send-only application's peer gets its Pong and its Close
    // answered.
    let (server, addr) = start(config());
    let mut stream = raw_open(addr, "/ticker");
    stream
        .write_all(&client_frame(0x89, b"are you there"))
        .unwrap();
    let pong = std::iter::from_fn(|| read_frame(&mut stream)).find(|f| f.0 != 0x1);
    assert_eq!(pong, Some((0xA, b"are you there".to_vec())));
    stream
        .write_all(&client_frame(0x88, &1000u16.to_be_bytes()))
        .unwrap();
    let close = std::iter::from_fn(|| read_frame(&mut stream)).find(|f| f.0 != 0x1);
    assert_eq!(close.map(|f| f.0), Some(0x8));
    server.shutdown();
    server.join();
}

#[test]
fn silent_peer_is_pinged_then_closed() {
    let (server, addr) = start(config());
    let mut stream = raw_open(addr, "/ping");
    let start = Instant::now();
    // A Ping after the interval, which this peer never answers.
    let (opcode, _) = read_frame(&mut stream).expect("a ping");
    assert_eq!(opcode, 0x9);
    let pinged = start.elapsed();
    assert!(pinged >= Duration::from_millis(150), "{pinged:?}");
    // Then a Close with 1011 once the pong timeout has passed, and the end.
    let (opcode, payload) = read_frame(&mut stream).expect("a close");
    assert_eq!(opcode, 0x8);
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1011);
    assert!(start.elapsed() >= pinged + Duration::from_millis(250));
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");

    // A peer that answers stays: tungstenite answers Pings as it reads.
    let (mut ws, _) = client(addr, "/ping");
    ws.get_mut()
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let until = Instant::now() + Duration::from_millis(1200);
    let mut pings = 0;
    while Instant::now() < until {
        match ws.read() {
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Ok(tungstenite::Message::Ping(_)) => pings += 1,
            other => panic!("the answering peer was disturbed: {other:?}"),
        }
    }
    assert!(pings >= 2, "{pings} pings");
    server.shutdown();
    server.join();
}

#[test]
fn a_peer_that_does_not_read_makes_send_wait() {
    let mut config = config();
    // Long enough a write timeout that the stall is back-pressure, not a disconnect.
    config.timeouts.body_read = Duration::from_secs(10);
    let (server, addr) = start(config);
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    socket.connect(&addr.into()).unwrap();
    let stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    use tungstenite::client::IntoClientRequest;
    let request = format!("ws://{addr}/flood").into_client_request().unwrap();
    let (mut ws, _) = tungstenite::client::client(request, stream).unwrap();

    // The handler sends as fast as it can while nobody reads: it must stall.
    std::thread::sleep(Duration::from_millis(500));
    let stalled = FLOOD_SENT.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    let later = FLOOD_SENT.load(Ordering::SeqCst);
    assert_eq!(
        stalled, later,
        "send kept completing for a peer that reads nothing"
    );
    // What it could hand over is the kernel's buffers, the server's high-water mark
    // and the socket's channel: a few MiB, not the flood.
    assert!(
        later * FLOOD_MESSAGE < 16 << 20,
        "{later} messages of {FLOOD_MESSAGE} bytes handed over"
    );
    // Reading lets it go on.
    for _ in 0..later + 64 {
        assert_eq!(ws.read().unwrap().len(), FLOOD_MESSAGE);
    }
    assert!(FLOOD_SENT.load(Ordering::SeqCst) > later);
    drop(ws);
    server.shutdown();
    server.join();
}

#[test]
fn a_peer_that_never_reads_is_cut_off_at_the_write_timeout() {
    // The tests' write timeout (`body_read`) is 400 ms.
    let (server, addr) = start(config());
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    socket.connect(&addr.into()).unwrap();
    let stream: TcpStream = socket.into();
    use tungstenite::client::IntoClientRequest;
    let request = format!("ws://{addr}/flood-until-cut")
        .into_client_request()
        .unwrap();
    let (ws, _) = tungstenite::client::client(request, stream).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while CUT_CODE.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Ended without a closing handshake: 1006 (RFC 6455 §7.1.5).
    assert_eq!(CUT_CODE.load(Ordering::SeqCst), 1006);
    drop(ws);
    server.shutdown();
    server.join();
}

#[test]
fn shutdown_sends_1001_and_waits_for_the_handshake() {
    let (server, addr) = start(config());
    let (mut ws, _) = client(addr, "/ws");
    ws.send(tungstenite::Message::text("before")).unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("before"));
    let started = Instant::now();
    server.shutdown();
    match ws.read().unwrap() {
        tungstenite::Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected Close 1001, got {other:?}"),
    }
    // tungstenite writes its answering Close on the next read; the server then ends
    // at once, well before the shutdown timeout.
    assert!(ws.read().is_err());
    server.join();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn close_from_the_handler_and_from_the_peer() {
    let (server, addr) = start(config());
    let (mut ws, _) = client(addr, "/close-after-one");
    ws.send(tungstenite::Message::text("one")).unwrap();
    match ws.read().unwrap() {
        tungstenite::Message::Close(Some(frame)) => {
            assert_eq!(u16::from(frame.code), 4000);
            assert_eq!(frame.reason.as_str(), "enough");
        }
        other => panic!("expected Close 4000, got {other:?}"),
    }
    // tungstenite echoes; the handler learns that the handshake completed.
    let _ = ws.read();
    let deadline = Instant::now() + Duration::from_secs(2);
    while CLOSE_SEEN.lock().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*CLOSE_SEEN.lock().unwrap(), Some((4000, true)));
    server.shutdown();
    server.join();
}

#[test]
fn a_socket_driven_from_another_thread() {
    let (server, addr) = start(config());
    let (mut ws, _) = client(addr, "/thread");
    for i in 0..3 {
        ws.send(tungstenite::Message::text(format!("m{i}")))
            .unwrap();
        assert_eq!(
            ws.read().unwrap(),
            tungstenite::Message::text(format!("thread got m{i}"))
        );
    }
    drop(ws);
    server.shutdown();
    server.join();
}

#[test]
fn chat_broadcasts_between_members() {
    let (server, addr) = start(config());
    let page = common::get(addr, "/chat", "");
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("/chat/ws"));
    let (mut alice, _) = client(addr, "/chat/ws");
    let (mut bob, _) = client(addr, "/chat/ws");
    // Both are members once a message of each has come round.
    alice
        .send(tungstenite::Message::text("alice here"))
        .unwrap();
    assert_eq!(
        alice.read().unwrap(),
        tungstenite::Message::text("alice here")
    );
    bob.send(tungstenite::Message::text("hi alice")).unwrap();
    let mut seen = Vec::new();
    while seen.last() != Some(&tungstenite::Message::text("hi alice")) {
        seen.push(alice.read().unwrap());
    }
    server.shutdown();
    server.join();
}

#[test]
fn websocket_connections_count_against_max_connections() {
    let mut config = config();
    config.limits.max_connections = 1;
    let (server, addr) = start(config);
    let (mut ws, _) = client(addr, "/ws");
    // The second connection waits in the backlog while the WebSocket is open.
    let mut waiting = common::connect(addr);
    waiting
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    waiting
        .write_all(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 64];
    let early = waiting.read(&mut buf);
    assert!(
        matches!(&early, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "{early:?}"
    );
    ws.close(None).unwrap();
    while ws.read().is_ok() {}
    waiting
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let n = waiting.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    server.shutdown();
    server.join();
}

#[test]
fn permessage_deflate_is_agreed_and_used() {
    use ws_proto::{ClientHandshake, Connection, DeflateConfig, Event};
    let (server, addr) = start(config());
    let mut stream = common::connect(addr);
    let handshake = ClientHandshake::new(vec![], Some(DeflateConfig::default()));
    let mut request = format!("GET /ws HTTP/1.1\r\nhost: {addr}\r\n");
    for (name, value) in handshake.upgrade_headers() {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = Reader::new(stream.try_clone().unwrap());
    let reply = reader.reply_with(true).unwrap();
    assert_eq!(reply.status, 101);
    assert!(
        reply
            .header("sec-websocket-extensions")
            .is_some_and(|v| v.starts_with("permessage-deflate"))
    );
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = reply
        .headers
        .iter()
        .map(|(n, v)| (n.clone().into_bytes(), v.clone().into_bytes()))
        .collect();
    let accepted = handshake
        .finish_upgrade(101, pairs.iter().map(|(n, v)| (&n[..], &v[..])))
        .unwrap();
    assert!(accepted.deflate.is_some());
    let now = Instant::now();
    let mut conn = Connection::new(now, accepted.config());
    let text = "compressible ".repeat(1000);
    conn.send_text(&text).unwrap();
    while let Some(bytes) = conn.poll_transmit() {
        stream.write_all(&bytes).unwrap();
    }
    let mut wire = 0;
    let mut buf = [0u8; 16384];
    let echoed = loop {
        if let Some(event) = conn.poll_event() {
            break event;
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the echo");
        wire += n;
        conn.recv(Instant::now(), &buf[..n]);
    };
    assert_eq!(echoed, Event::Text(text.clone().into()));
    // The echo came compressed: far fewer bytes than the text.
    assert!(wire < text.len() / 10, "{wire} bytes on the wire");
    drop(stream);
    server.shutdown();
    server.join();
}

#[test]
fn tls_echo() {
    let mut config = config();
    config.tls_bind = Some("127.0.0.1:0".parse().unwrap());
    let server = Server::new(config, app()).bind().unwrap();
    let addr = server.tls_local_addr().unwrap();
    let stream = common::tls_client(common::connect(addr), &[]);
    use tungstenite::client::IntoClientRequest;
    let request = format!("wss://localhost:{}/ws", addr.port())
        .into_client_request()
        .unwrap();
    let (mut ws, response) = tungstenite::client::client(request, stream).unwrap();
    assert_eq!(response.status(), 101);
    ws.send(tungstenite::Message::text("over tls")).unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("over tls"));
    ws.send(tungstenite::Message::binary(vec![7u8; 100_000]))
        .unwrap();
    assert_eq!(ws.read().unwrap().len(), 100_000);
    drop(ws);
    server.shutdown();
    server.join();
}

#[test]
fn one_route_serves_plain_requests_and_upgrades() {
    let mut app = App::new();
    app.try_route_and_ws(
        "/{*path}",
        None,
        |_request: weft_server::Request| async { Response::new(200).with_body("plain") },
        weft_server::AutoAccept(|socket: weft_server::WebSocket, _req| async move {
            while let Some(message) = socket.recv().await {
                let _ = socket.send(message).await;
            }
        }),
    )
    .unwrap();
    let server = Server::new(config(), app).bind().unwrap();
    let addr = server.local_addr().unwrap();
    let reply = common::get(addr, "/any/path", "");
    assert_eq!((reply.status, reply.body.as_slice()), (200, &b"plain"[..]));
    // `Upgrade` is a list of tokens (RFC 9110 §7.8).
    let reply = common::get(addr, "/any/path", "upgrade: h2c\r\n");
    assert_eq!(reply.status, 200);
    let (mut ws, response) = client(addr, "/any/path");
    assert_eq!(response.status(), 101);
    ws.send(tungstenite::Message::text("both")).unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("both"));
    drop(ws);
    server.shutdown();
    server.join();
}
