//! Server settings: addresses, workers, TLS, timeouts and limits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How connections are spread over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Layout {
    /// One single-threaded executor per worker thread, each with its own
    /// `SO_REUSEPORT` listener: the kernel balances connections and a
    /// connection never leaves its thread (the nginx / actix shape).
    #[default]
    PerCore,
    /// One multi-threaded executor shared by all worker threads, fed by one
    /// listener: tasks migrate to idle threads (the tokio multi-thread shape).
    Shared,
}

/// Where the TLS certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsSource {
    /// A self-signed certificate for `localhost`, `127.0.0.1` and `::1`,
    /// generated at start (rcgen). For development only.
    #[default]
    SelfSigned,
    /// A PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1).
    Files {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
}

/// Deadlines that protect the server from slow or idle peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the first byte of a request head (or the TLS handshake) until
    /// it is complete: the slowloris guard. Over HTTP/2 it covers a header
    /// block from its first frame to END_HEADERS; frames inside the block
    /// do not restart it. Expiry closes the connection (HTTP/1.1 answers a
    /// partial head with 408 first; HTTP/2 sends GOAWAY).
    pub header_read: Duration,
    /// Longest pause while a request body is arriving (between two reads
    /// over HTTP/1.1, between two DATA frames of a stream over HTTP/2):
    /// expiry answers 408 if no response has started, else closes the
    /// connection (HTTP/1.1) or resets the stream (HTTP/2). Also the
    /// longest wait for a client to take a response write: a client that
    /// stops reading is disconnected, on either protocol.
    pub body_read: Duration,
    /// How long an idle keep-alive connection (HTTP/1.1) or an HTTP/2
    /// connection without streams stays open.
    pub keep_alive: Duration,
    /// Interval of HTTP/2 keep-alive PINGs on an otherwise silent connection;
    /// an unanswered PING closes the connection.
    pub h2_ping: Option<Duration>,
    /// How long a graceful shutdown waits for in-flight requests.
    pub shutdown: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            keep_alive: Duration::from_secs(60),
            h2_ping: Some(Duration::from_secs(30)),
            shutdown: Duration::from_secs(30),
        }
    }
}

/// Resource limits. Protocol-level limits (head size, header count, HTTP/2
/// streams and header lists) are handed to the protocol crates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open connections across all workers. When reached the server stops
    /// accepting (connections wait in the kernel backlog) rather than drop.
    pub max_connections: usize,
    /// Largest request body accepted; a larger `Content-Length` or a body
    /// that grows past it is answered with 413.
    pub max_body: u64,
    /// Most request-body bytes one connection holds across all its
    /// requests at once: received and handed to handlers of requests not
    /// yet finished, whether or not the handler has read them yet. HTTP/2
    /// flow control enforces it (the windows are at most this large, and
    /// credit goes back only while the sum stays within it); HTTP/1.1
    /// carries one request at a time, so `max_body` bounds it there.
    /// Never less than `max_body`, so that one largest request still fits.
    pub max_connection_body: u64,
    /// Largest HTTP/1.1 request head (request line plus headers); larger
    /// heads get 431.
    pub max_head: usize,
    /// Most header fields in one request; more get 431.
    pub max_headers: usize,
    /// HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`.
    pub h2_max_concurrent_streams: u32,
    /// HTTP/2 `SETTINGS_MAX_HEADER_LIST_SIZE`.
    pub h2_max_header_list: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 25_000,
            max_body: 10 * 1024 * 1024,
            max_connection_body: 16 * 1024 * 1024,
            max_head: 16 * 1024,
            max_headers: 100,
            h2_max_concurrent_streams: 128,
            h2_max_header_list: 16 * 1024,
        }
    }
}

/// Everything [`Server::bind`](crate::Server::bind) needs besides the app.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The cleartext listener: HTTP/1.1, plus h2c with prior knowledge when
    /// [`h2c`](Self::h2c) is on. `None` disables it.
    pub bind: Option<SocketAddr>,
    /// The TLS listener (ALPN `h2`, `http/1.1`). `None` disables it.
    pub tls_bind: Option<SocketAddr>,
    /// Certificate for the TLS listener.
    pub tls: TlsSource,
    /// Accept HTTP/2 prior knowledge on the cleartext listener.
    pub h2c: bool,
    /// Worker threads; 0 means one per available core.
    pub workers: usize,
    /// Thread layout.
    pub layout: Layout,
    /// Deadlines.
    pub timeouts: Timeouts,
    /// Limits.
    pub limits: Limits,
    /// WebSocket settings for routes without their own
    /// ([`App::ws_with`](crate::App::ws_with) sets a route's).
    pub ws: crate::ws::WsOptions,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            tls_bind: None,
            tls: TlsSource::SelfSigned,
            h2c: true,
            workers: 0,
            layout: Layout::PerCore,
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            ws: crate::ws::WsOptions::default(),
        }
    }
}

impl ServerConfig {
    /// The number of worker threads this config asks for, resolving 0 to the
    /// available parallelism (which honours CPU affinity, e.g. `taskset`).
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            return self.workers;
        }
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}
