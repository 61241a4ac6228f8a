//! Server options that embedders (the Python package's uvicorn-style flags)
//! set: default response fields, the Date switch, an inherited listener.

mod common;

use std::net::TcpListener;
use std::sync::Arc;

use bytes::Bytes;
use common::{Reader, app, config, connect, get, start};
use weft_server::Server;

#[test]
fn default_fields_are_added_unless_the_handler_set_them() {
    let mut config = config();
    config.response_defaults.fields = vec![
        (Bytes::from_static(b"server"), Bytes::from_static(b"weft")),
        (Bytes::from_static(b"date"), Bytes::from_static(b"ignored")),
        (Bytes::from_static(b"x-team"), Bytes::from_static(b"blue")),
    ];
    let (server, addr) = start(config);
    let reply = get(addr, "/", "");
    assert_eq!(reply.header("server"), Some("weft"));
    assert_eq!(reply.header("x-team"), Some("blue"));
    // The handler's own Date wins over a default of the same name.
    let reply = get(addr, "/own-date", "");
    assert_eq!(reply.header("date"), Some("Tue, 01 Jan 2030 00:00:00 GMT"));
    assert_eq!(
        reply
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("date"))
            .count(),
        1
    );
    server.shutdown();
    server.join();
}

#[test]
fn the_date_field_can_be_turned_off() {
    let mut config = config();
    config.response_defaults.date = false;
    let (server, addr) = start(config);
    let reply = get(addr, "/", "");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("date"), None);
    // A handler's own Date is still sent.
    assert!(get(addr, "/own-date", "").header("date").is_some());
    server.shutdown();
    server.join();
}

#[test]
fn an_inherited_listener_is_accepted_on_and_outlives_the_server() {
    let inherited = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
    let addr = inherited.local_addr().unwrap();
    let mut config = config();
    config.bind = None;
    config.workers = 2;
    config.listener = Some(inherited.clone());
    let server = Server::new(config, app()).bind().unwrap();
    assert_eq!(get(addr, "/", "").status, 200);
    server.shutdown();
    server.join();
    // The owner's socket is still listening: a connection made now waits in its
    // queue for the next process that accepts, instead of being refused.
    assert!(std::net::TcpStream::connect(addr).is_ok());
}

/// A connection between two requests when the server stops, and the request that
/// the client sends at that moment.
fn request_after_shutdown(linger: bool) -> Option<u16> {
    let mut config = config();
    config.timeouts.keep_alive = std::time::Duration::from_secs(2);
    config.timeouts.linger_idle_on_shutdown = linger;
    let (server, addr) = start(config);
    let mut reader = Reader::new(connect(addr));
    reader.send(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(reader.reply().status, 200);
    server.shutdown();
    std::thread::sleep(std::time::Duration::from_millis(100));
    // A write to a socket the server already closed may still succeed; the
    // answer tells.
    let _ = std::io::Write::write_all(&mut reader.stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    let reply = reader.reply_with(false).map(|reply| {
        assert_eq!(reply.header("connection"), Some("close"));
        reply.status
    });
    server.join();
    reply
}

#[test]
fn at_shutdown_an_idle_connection_is_closed_at_once_by_default() {
    assert_eq!(request_after_shutdown(false), None);
}

#[test]
fn at_shutdown_a_lingering_idle_connection_answers_its_next_request_and_closes() {
    assert_eq!(request_after_shutdown(true), Some(200));
}

/// Two workers in `layout` serving only a Unix socket the embedder bound, in a
/// fresh folder named after `tag`: the config, the folder and the socket's path.
fn unix_only_config(
    tag: &str,
    layout: weft_server::Layout,
) -> (
    weft_server::ServerConfig,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let name = format!("weft-uds-{tag}-{}-{layout:?}", std::process::id());
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sock");
    let _ = std::fs::remove_file(&path);
    let mut config = config();
    config.bind = None;
    config.workers = 2;
    config.layout = layout;
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    config.unix_listener = Some(Arc::new(listener));
    (config, dir, path)
}

/// A Unix domain socket, bound by the embedder, served alongside TCP in both
/// thread layouts: HTTP/1.1 and h2c, and handlers see no peer address.
#[test]
fn a_unix_listener_serves_http1_and_h2c_without_a_peer_address() {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    for layout in [weft_server::Layout::PerCore, weft_server::Layout::Shared] {
        let (config, dir, path) = unix_only_config("plain", layout);
        let mut app = app();
        app.get("/peer", |req: weft_server::Request| async move {
            weft_server::Response::text(format!("{:?}", req.peer_addr()))
        });
        let server = Server::new(config, app).bind().unwrap();
        let mut stream = UnixStream::connect(&path).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        stream
            .write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.ends_with("\r\n\r\nNone"), "{reply}");
        // h2c with prior knowledge: the server's SETTINGS answer the preface.
        let mut stream = UnixStream::connect(&path).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        stream.write_all(http2_proto::PREFACE).unwrap();
        stream.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).unwrap();
        let mut frame = [0u8; 9];
        stream.read_exact(&mut frame).unwrap();
        assert_eq!(frame[3], 4, "a SETTINGS frame first");
        server.shutdown();
        server.join();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// With `unix_tls`, the Unix listener speaks TLS (HTTP/1.1 and HTTP/2 by ALPN) in both
/// thread layouts, with the TLS listener's certificate, and no cleartext.
#[test]
fn a_unix_listener_with_unix_tls_serves_tls() {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    for layout in [weft_server::Layout::PerCore, weft_server::Layout::Shared] {
        let (mut config, dir, path) = unix_only_config("tls", layout);
        config.unix_tls = true;
        let server = Server::new(config, app()).bind().unwrap();
        let connect = || {
            let stream = UnixStream::connect(&path).unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            stream
        };
        let mut tls = common::tls_client(connect(), &[b"http/1.1"]);
        tls.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut reply = Vec::new();
        // rustls reports the peer's TCP-less close without close_notify as an error
        // after the data; what was read is what counts.
        let _ = tls.read_to_end(&mut reply);
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        // HTTP/2 by ALPN: the server's SETTINGS answer the preface.
        let mut tls = common::tls_client(connect(), &[b"h2"]);
        tls.write_all(http2_proto::PREFACE).unwrap();
        tls.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).unwrap();
        let mut frame = [0u8; 9];
        tls.read_exact(&mut frame).unwrap();
        assert_eq!(frame[3], 4, "a SETTINGS frame first");
        assert_eq!(tls.conn.alpn_protocol(), Some(&b"h2"[..]));
        // Cleartext gets no answer of HTTP.
        let mut plain = connect();
        plain
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut reply = Vec::new();
        let _ = plain.read_to_end(&mut reply);
        assert!(!reply.starts_with(b"HTTP/1.1 200"), "{reply:?}");
        server.shutdown();
        server.join();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
