//! Shared helpers: an in-process server on 127.0.0.1:0 and a raw HTTP/1.1 client.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use weft_server::{App, Headers, Request, Response, RunningServer, Server, ServerConfig, Trailers};

/// The binary's demo app, compiled into the tests as well.
#[path = "../../src/demo.rs"]
pub mod demo;

/// Body bytes the `/hold` handlers keep right now, across all servers of
/// the test binary (only one test uses the route).
pub static HELD_BODY_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The demo app plus a slow route for shutdown tests.
pub fn app() -> App {
    let mut app = demo::app(demo::default_static_root()).unwrap();
    app.get("/slow/{ms}", |req: Request| async move {
        let ms: u64 = req.param("ms").and_then(|m| m.parse().ok()).unwrap_or(100);
        smol::Timer::after(Duration::from_millis(ms)).await;
        Response::text(format!("slept {ms}"))
    });
    app.get("/big", |_req: Request| async move {
        let chunk = bytes::Bytes::from(vec![b'x'; 1 << 20]);
        Response::stream(futures_lite::stream::iter(
            (0..64).map(move |_| Ok(chunk.clone())),
        ))
    });
    // Trailers computed from what the body stream produced.
    app.get("/trailers", |_req: Request| async move {
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = sent.clone();
        // Lazy: each chunk is counted only when the server pulls it.
        let chunks =
            futures_lite::StreamExt::map(futures_lite::stream::iter(["abc", "defg"]), move |c| {
                counter.fetch_add(c.len(), std::sync::atomic::Ordering::SeqCst);
                Ok(bytes::Bytes::from_static(c.as_bytes()))
            });
        let trailers = Trailers::new(async move {
            let mut fields = Headers::new();
            fields.append(
                "x-body-length",
                sent.load(std::sync::atomic::Ordering::SeqCst).to_string(),
            );
            fields.append("x-checksum", "ok");
            fields
        });
        Response::stream(chunks).with_trailers(trailers)
    });
    app.get("/trailers-full", |_req: Request| async move {
        let mut fields = Headers::new();
        fields.append("grpc-status", "0");
        Response::text("complete").with_trailers(Trailers::ready(fields))
    });
    // A handler that puts CR LF in a field value: it must not reach the wire.
    app.get("/bad-header", |_req: Request| async move {
        Response::text("never sent").with_header("x-bad", "a\r\nx-injected: 1")
    });
    // Any status a handler likes, even ones that cannot be a final response.
    app.get("/final-status/{code}", |req: Request| async move {
        let code: u16 = req
            .param("code")
            .and_then(|c| c.parse().ok())
            .unwrap_or(200);
        Response::new(code).with_body("body")
    });
    // A handler that dates its own response.
    app.get("/own-date", |_req: Request| async move {
        Response::text("dated").with_header("Date", "Tue, 01 Jan 2030 00:00:00 GMT")
    });
    // A 204 whose handler announced a body anyway, by length or by chunked coding.
    app.get("/no-content-framed/{how}", |req: Request| async move {
        let field = match req.param("how") {
            Some("chunked") => ("transfer-encoding", "chunked"),
            _ => ("content-length", "16"),
        };
        Response::new(204)
            .with_header(field.0, field.1)
            .with_body("must not be sent")
    });
    // "hello" with whatever content-length the path names, in one piece or streamed.
    app.get("/declared-length/{n}", |req: Request| async move {
        let n = req.param("n").unwrap_or("0").to_owned();
        Response::text("hello").with_header("content-length", n)
    });
    app.get("/declared-length-stream/{n}", |req: Request| async move {
        let n = req.param("n").unwrap_or("0").to_owned();
        let parts = ["hel", "lo"].map(|p| Ok(bytes::Bytes::from_static(p.as_bytes())));
        Response::stream(futures_lite::stream::iter(parts)).with_header("content-length", n)
    });
    // A handler that asks for chunked coding itself.
    app.get("/chunked-by-handler", |_req: Request| async move {
        Response::text("abc").with_header("transfer-encoding", "chunked")
    });
    // Whitespace around a value: not part of it (RFC 9110 §5.5).
    app.get("/padded-header", |_req: Request| async move {
        Response::text("padded").with_header("x-padded", " value\t")
    });
    // Never answers; counts in HANG_DROPS when the server drops it.
    // Reads the whole body and keeps it for `ms` before answering, counting
    // what it holds in HELD_BODY_BYTES meanwhile.
    app.post("/hold/{ms}", |mut req: Request| async move {
        let ms: u64 = req.param("ms").and_then(|m| m.parse().ok()).unwrap_or(100);
        let mut body = req.take_body();
        let mut kept = Vec::new();
        while let Some(Ok(chunk)) = body.chunk().await {
            HELD_BODY_BYTES.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
            kept.push(chunk);
        }
        smol::Timer::after(Duration::from_millis(ms)).await;
        let held: usize = kept.iter().map(|c| c.len()).sum();
        HELD_BODY_BYTES.fetch_sub(held, std::sync::atomic::Ordering::SeqCst);
        Response::text(held.to_string())
    });
    app.get("/hang", |_req: Request| async move {
        let _counted = CountDrop(&HANG_DROPS);
        futures_lite::future::pending::<()>().await;
        Response::text("unreachable")
    });
    // One chunk, then nothing; counts in IDLE_STREAM_DROPS when dropped.
    app.get("/idle-stream", |_req: Request| async move {
        let counted = CountDrop(&IDLE_STREAM_DROPS);
        let first = futures_lite::stream::once(Ok(bytes::Bytes::from_static(b"first")));
        let rest = futures_lite::stream::pending();
        Response::stream(futures_lite::StreamExt::map(
            futures_lite::StreamExt::chain(first, rest),
            move |item| {
                let _ = &counted;
                item
            },
        ))
    });
    app.get("/panic", |_req: Request| async move {
        if std::hint::black_box(true) {
            panic!("handler bug");
        }
        Response::text("unreachable")
    });
    app
}

/// How many `/hang` handlers and `/idle-stream` bodies the server has dropped.
pub static HANG_DROPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
pub static IDLE_STREAM_DROPS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// Adds one to its counter when dropped.
struct CountDrop(&'static std::sync::atomic::AtomicUsize);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A config for tests: one worker, loopback, short timeouts, small limits.
pub fn config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.bind = Some("127.0.0.1:0".parse().unwrap());
    config.tls_bind = None;
    config.workers = 1;
    config.timeouts.header_read = Duration::from_millis(400);
    config.timeouts.body_read = Duration::from_millis(400);
    config.timeouts.keep_alive = Duration::from_millis(800);
    config.timeouts.shutdown = Duration::from_secs(5);
    config.limits.max_body = 64 * 1024;
    config.limits.max_head = 8 * 1024;
    config
}

pub fn start(config: ServerConfig) -> (RunningServer, SocketAddr) {
    let server = Server::new(config, app()).bind().unwrap();
    let addr = server.local_addr().unwrap();
    (server, addr)
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// A parsed response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The chunked trailer section's fields.
    pub trailers: Vec<(String, String)>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads responses off one connection, keeping what is left over.
pub struct Reader {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Reader {
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 16384];
        match self.stream.read(&mut chunk) {
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                n
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
            Err(e) => panic!("read failed: {e}"),
        }
    }

    fn take_until(&mut self, pattern: &[u8]) -> Option<Vec<u8>> {
        loop {
            if let Some(pos) = self.buf.windows(pattern.len()).position(|w| w == pattern) {
                let rest = self.buf.split_off(pos + pattern.len());
                return Some(std::mem::replace(&mut self.buf, rest));
            }
            if self.fill() == 0 {
                return None;
            }
        }
    }

    fn take_exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.fill() > 0, "connection closed mid-body");
        }
        let rest = self.buf.split_off(n);
        std::mem::replace(&mut self.buf, rest)
    }

    /// The next response; `head_only` for responses to HEAD.
    pub fn reply_with(&mut self, head_only: bool) -> Option<Reply> {
        let head = self.take_until(b"\r\n\r\n")?;
        let head = String::from_utf8(head).unwrap();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
            trailers: Vec::new(),
        };
        if head_only || (100..200).contains(&status) || status == 204 || status == 304 {
            return Some(reply);
        }
        if reply
            .header("transfer-encoding")
            .is_some_and(|v| v.contains("chunked"))
        {
            loop {
                let line = self.take_until(b"\r\n").unwrap();
                let line = String::from_utf8(line).unwrap();
                let size =
                    usize::from_str_radix(line.trim_end().split(';').next().unwrap(), 16).unwrap();
                if size == 0 {
                    // The trailer section, up to its empty line.
                    loop {
                        let line = self.take_until(b"\r\n").unwrap();
                        let line = String::from_utf8(line).unwrap();
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        let (n, v) = line.split_once(':').unwrap();
                        reply
                            .trailers
                            .push((n.trim().to_owned(), v.trim().to_owned()));
                    }
                    break;
                }
                let data = self.take_exact(size);
                reply.body.extend_from_slice(&data);
                assert_eq!(self.take_exact(2), b"\r\n");
            }
        } else if let Some(len) = reply.header("content-length") {
            reply.body = self.take_exact(len.parse().unwrap());
        } else {
            while self.fill() > 0 {}
            reply.body = std::mem::take(&mut self.buf);
        }
        Some(reply)
    }

    pub fn reply(&mut self) -> Reply {
        self.reply_with(false).expect("a response")
    }

    /// Everything else the server sends, up to its end of the connection.
    pub fn rest_until_closed(&mut self) -> Vec<u8> {
        while self.fill() > 0 {}
        std::mem::take(&mut self.buf)
    }

    /// Whether the server closed the connection (EOF or reset) with nothing more sent.
    pub fn is_closed(&mut self) -> bool {
        self.buf.is_empty() && self.fill() == 0
    }
}

/// One request on a fresh connection.
pub fn get(addr: SocketAddr, target: &str, extra: &str) -> Reply {
    let mut r = Reader::new(connect(addr));
    r.send(format!("GET {target} HTTP/1.1\r\nHost: t\r\n{extra}\r\n").as_bytes());
    r.reply()
}

/// A TLS client over `stream` that trusts the test server's self-signed
/// certificate and offers `alpn`.
pub fn tls_client<S: Read + Write>(
    stream: S,
    alpn: &[&[u8]],
) -> rustls::StreamOwned<rustls::ClientConnection, S> {
    let mut tls = rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(AnyCertificate))
        .with_no_client_auth();
    tls.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let session = rustls::ClientConnection::new(std::sync::Arc::new(tls), name).unwrap();
    rustls::StreamOwned::new(session, stream)
}

/// Trusts whatever certificate the test server shows: it made it itself a moment ago.
#[derive(Debug)]
struct AnyCertificate;

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls_pki_types::CertificateDer<'_>,
        _intermediates: &[rustls_pki_types::CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &rustls::crypto::ring::default_provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &rustls::crypto::ring::default_provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
