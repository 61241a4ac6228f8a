//! What every connection of a server shares, and what a protocol driver
//! gets besides its byte stream. Kept apart from the listeners and the
//! drivers so that both can name it without depending on each other.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_rustls::TlsAcceptor;
use smol::lock::Semaphore;

use crate::app::App;
use crate::config::{ResponseDefaults, ServerConfig};
use crate::scratch::ReadBuffers;
use crate::shutdown::Shutdown;
use crate::tls_info::TlsInfo;

/// State every connection of one server shares.
pub(crate) struct Shared {
    pub(crate) app: App,
    pub(crate) config: ServerConfig,
    pub(crate) tls: Option<TlsAcceptor>,
    pub(crate) connections: Arc<Semaphore>,
    pub(crate) shutdown: Shutdown,
    pub(crate) read_buffers: ReadBuffers,
    /// What every HTTP/2 connection is configured with.
    pub(crate) h2_config: Arc<http2_proto::Config>,
    /// What responses over TLS carry by default: the configured fields, plus an
    /// `Alt-Svc` naming the HTTP/3 port when HTTP/3 is served (RFC 7838 §3, RFC 9114
    /// §3.1.1).
    pub(crate) tls_response_defaults: ResponseDefaults,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// What a protocol driver gets besides the byte stream.
#[derive(Clone, Debug)]
pub(crate) struct ConnContext {
    pub(crate) shared: Arc<Shared>,
    /// The client's address; `None` over a Unix domain socket, whose peers have
    /// no address worth the name.
    pub(crate) peer: Option<SocketAddr>,
    /// The connection came over the TLS listener.
    pub(crate) tls: bool,
    /// What its handshake settled, once it is done.
    pub(crate) tls_info: Option<Arc<TlsInfo>>,
}

impl ConnContext {
    /// The fields this connection's responses carry unless their handler set them.
    pub(crate) fn response_defaults(&self) -> &ResponseDefaults {
        if self.tls {
            &self.shared.tls_response_defaults
        } else {
            &self.shared.config.response_defaults
        }
    }
}

#[cfg(test)]
impl ConnContext {
    /// A connection of a server that was never bound, for driver tests.
    pub(crate) fn for_tests(app: App, config: ServerConfig) -> Self {
        let shared = Shared {
            h2_config: Arc::new(crate::h2::protocol_config(&config, &app)),
            connections: Arc::new(Semaphore::new(1)),
            tls_response_defaults: config.response_defaults.clone(),
            app,
            config,
            tls: None,
            shutdown: Shutdown::new(),
            read_buffers: ReadBuffers::default(),
        };
        Self {
            shared: Arc::new(shared),
            peer: Some(SocketAddr::from(([127, 0, 0, 1], 9))),
            tls: false,
            tls_info: None,
        }
    }
}
