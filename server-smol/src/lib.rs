//! weft's reference server: HTTP/1.1, HTTP/2 and TLS on smol.
//!
//! It drives the sans-IO crates (`http1-proto`, `http2-proto`, `router`) over
//! real sockets. Everything the protocol crates leave out lives here: sockets,
//! TLS (futures-rustls with ALPN `h2`, `http/1.1`), clocks and deadlines,
//! worker threads, limits and graceful shutdown.
//!
//! ```no_run
//! use server_smol::{App, Response, Server, ServerConfig};
//!
//! let mut app = App::new();
//! app.get("/", |_req| async { Response::text("hello\n") });
//! app.post("/echo", |mut req| async move {
//!     match req.take_body().bytes().await {
//!         Ok(body) => Response::new(200).with_body(body),
//!         Err(_) => Response::status_page(400),
//!     }
//! });
//! let server = Server::new(ServerConfig::default(), app).bind().unwrap();
//! server_smol::wait_for_signal().unwrap();
//! server.shutdown();
//! server.join();
//! ```
//!
//! # Connections
//!
//! Each connection is one task running one loop (DESIGN.md §3): drain the
//! protocol's events, run handlers, flush what the protocol wants to send,
//! then wait for exactly one thing — bytes, a handler's progress, or the next
//! deadline. The cleartext port serves HTTP/1.1 and, by detecting the
//! RFC 9113 §3.4 preface, HTTP/2 with prior knowledge; the TLS port picks the
//! protocol by ALPN (RFC 7301).
//!
//! # Limits
//!
//! Every byte a peer can make a connection hold is bounded by a field of
//! [`Limits`], and every wait by one of [`Timeouts`]. Reads borrow 16 KiB
//! buffers from a pool of 64 per server; at most 64 KiB of output is queued
//! before it is written; a connection yields to the others on its worker
//! after 64 KiB of work (bytes read, response bytes queued, 256 per request
//! event). Worst-case memory of one connection, with `S` =
//! [`Limits::h2_max_concurrent_streams`]:
//!
//! ```text
//! HTTP/1.1:  idle + 1 MiB (pipelined input) + max_body + 64 KiB (output) + one response chunk
//! HTTP/2:    idle + 16 KiB (one frame) + 128 KiB (header block) + 4 KiB (HPACK table)
//!                 + S x (h2_max_header_list + stream state)
//!                 + max(max_connection_body, max_body) + 64 KiB (output) + S x one response chunk
//! ```
//!
//! About 11.1 MiB (HTTP/1.1) and 18.3 MiB (HTTP/2) with the defaults, plus
//! what handlers allocate themselves. `idle` is what a connection waiting
//! for its next request costs: its serving state is freed meanwhile, so
//! only its task, its protocol state machine and its socket registration
//! remain.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod app;
mod body;
mod body_budget;
mod clock;
mod config;
mod conn;
mod context;
mod h1;
mod h2;
mod headers;
mod io;
mod listener;
mod outbox;
mod outgoing;
mod request;
mod response;
mod runtime;
mod scratch;
mod server;
mod shutdown;
mod static_files;
mod timer;
mod tls;
mod turn;

pub use app::{App, BoxFuture, Handler, RouteError};
pub use body::{Body, BodyError};
pub use config::{Layout, Limits, ServerConfig, Timeouts, TlsSource};
pub use headers::Headers;
pub use request::{Request, RequestInfo, Version};
pub use response::{BodyStream, Response, ResponseBody, Trailers, reason, status_has_no_body};
pub use server::{RunningServer, Server, ServerError, ShutdownHandle, wait_for_signal};
pub use static_files::StaticFiles;
pub use timer::sleep;
pub use tls::{ALPN, TlsError, server_config as tls_server_config};
