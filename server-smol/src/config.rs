//! Server settings: addresses, workers, TLS, timeouts and limits.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

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

/// Whether the TLS listener asks clients for a certificate (mutual TLS,
/// RFC 8446 §4.3.2), and which authorities it accepts them from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// No certificate is requested.
    #[default]
    None,
    /// A certificate is requested; a client without one is still served,
    /// one with a certificate the authorities did not sign is refused.
    Optional {
        /// PEM certificates of the authorities client certificates chain to.
        ca: PathBuf,
    },
    /// The handshake fails without a certificate the authorities signed.
    Required {
        /// PEM certificates of the authorities client certificates chain to.
        ca: PathBuf,
    },
}

/// Fields every response carries unless its handler set one of the same
/// name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseDefaults {
    /// Add `Date` (RFC 9110 §6.6.1). An origin server with a clock must, so
    /// only a deployment whose proxy adds it should turn this off.
    pub date: bool,
    /// Further fields (`Server`, say), lowercase names. They must be valid
    /// fields (RFC 9110 §5.1, §5.5): a response the protocol refuses is
    /// answered with 500.
    pub fields: Vec<(Bytes, Bytes)>,
}

impl Default for ResponseDefaults {
    fn default() -> Self {
        Self {
            date: true,
            fields: Vec::new(),
        }
    }
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
    /// At shutdown, an HTTP/1.1 connection waiting for its next request stays
    /// open until its keep-alive expiry (within `shutdown`), and a request
    /// that arrives is answered with `Connection: close`, instead of the
    /// connection being closed at once. A client that sends its next request
    /// at the moment the server stops then gets an answer rather than a
    /// connection closed under it, which it may not retry (RFC 9112 §9.3.1):
    /// what replacing a worker without dropping requests needs.
    pub linger_idle_on_shutdown: bool,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            keep_alive: Duration::from_secs(60),
            h2_ping: Some(Duration::from_secs(30)),
            shutdown: Duration::from_secs(30),
            linger_idle_on_shutdown: false,
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
    /// The HTTP/3 listener: a UDP socket speaking QUIC (RFC 9000) with ALPN `h3`
    /// (RFC 9114), with the TLS listener's certificate. `None` disables it.
    pub h3_bind: Option<SocketAddr>,
    /// Send and receive several QUIC datagrams per system call where the kernel
    /// offers it (UDP generic segmentation offload and GRO, Linux 4.18 and 5.0).
    /// Off, every datagram is one `sendmsg` and one `recvmsg`, as on a kernel
    /// without them; on, a kernel that refuses turns it off by itself.
    pub udp_offload: bool,
    /// Certificate for the TLS listener.
    pub tls: TlsSource,
    /// Client certificates on the TLS listener.
    pub tls_client_auth: ClientAuth,
    /// A socket that is already listening (inherited from a supervisor
    /// process or a service manager), accepted on instead of binding:
    /// it replaces the TLS listener when `tls_bind` is set, else the
    /// cleartext one. Each worker thread accepts on a duplicate, so
    /// several processes can share one accept queue, and a process that
    /// stops accepting leaves the connections queued to the others.
    pub listener: Option<Arc<TcpListener>>,
    /// A Unix domain socket that is already listening, served in cleartext
    /// (HTTP/1.1, and h2c when [`h2c`](Self::h2c) is on) besides the other
    /// listeners, or over TLS with [`unix_tls`](Self::unix_tls). The caller
    /// binds it, so the path, its permissions and its removal stay theirs; each
    /// worker thread accepts on a duplicate. Requests from it have no peer
    /// address.
    pub unix_listener: Option<Arc<UnixListener>>,
    /// Serve TLS on [`unix_listener`](Self::unix_listener) instead of cleartext,
    /// with the [`tls`](Self::tls) certificate and [`tls_client_auth`](Self::tls_client_auth),
    /// HTTP/2 and HTTP/1.1 chosen by ALPN as on the TLS listener.
    pub unix_tls: bool,
    /// Kernel accept queue length of the sockets the server binds itself
    /// (`listen(2)`). Large, because back-pressure at `max_connections`
    /// leaves connections waiting there instead of refusing them.
    pub backlog: u32,
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
    /// Fields added to every response.
    pub response_defaults: ResponseDefaults,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            tls_bind: None,
            h3_bind: None,
            udp_offload: true,
            tls: TlsSource::SelfSigned,
            tls_client_auth: ClientAuth::None,
            listener: None,
            unix_listener: None,
            unix_tls: false,
            backlog: 4096,
            h2c: true,
            workers: 0,
            layout: Layout::PerCore,
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            ws: crate::ws::WsOptions::default(),
            response_defaults: ResponseDefaults::default(),
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
