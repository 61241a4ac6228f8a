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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod app;
mod body;
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
