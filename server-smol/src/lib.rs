#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod app;
mod body;
mod body_budget;
mod clock;
mod config;
mod conn;
mod context;
mod deadline;
mod framed;
mod h1;
mod h2;
mod h3;
mod headers;
mod interim;
mod io;
mod listener;
mod outbox;
mod outgoing;
mod panic;
mod request;
mod response;
mod runtime;
mod scratch;
mod server;
mod shutdown;
mod spares;
mod static_files;
mod timer;
mod tls;
mod tls_info;
mod tunnel;
mod turn;
mod ws;

pub use app::{App, BoxFuture, Handler, RouteError};
pub use body::{Body, BodyError};
pub use config::{ClientAuth, Layout, Limits, ResponseDefaults, ServerConfig, Timeouts, TlsSource};
pub use headers::Headers;
pub use interim::{Interim, InterimError};
pub use request::{Request, RequestInfo, Version};
pub use response::{BodyStream, Response, ResponseBody, Trailers, reason, status_has_no_body};
pub use server::{RunningServer, Server, ServerError, ShutdownHandle, wait_for_signal};
pub use static_files::StaticFiles;
pub use timer::sleep;
pub use tls::{
    ALPN, TlsError, server_config as tls_server_config,
    server_config_with_client_auth as tls_server_config_with_client_auth,
};
pub use tls_info::TlsInfo;
pub use ws::{
    Accept, AcceptError, AutoAccept, CloseInfo, Message, Utf8Bytes, WebSocket, WsError, WsFuture,
    WsHandler, WsOptions, WsReceiver, WsSender, WsUpgrade,
};
