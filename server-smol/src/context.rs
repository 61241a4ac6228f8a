//! What every connection of a server shares, and what a protocol driver
//! gets besides its byte stream. Kept apart from the listeners and the
//! drivers so that both can name it without depending on each other.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_rustls::TlsAcceptor;
use smol::lock::Semaphore;

use crate::app::App;
use crate::config::ServerConfig;
use crate::scratch::ReadBuffers;
use crate::shutdown::Shutdown;

/// State every connection of one server shares.
pub(crate) struct Shared {
    pub(crate) app: App,
    pub(crate) config: ServerConfig,
    pub(crate) tls: Option<TlsAcceptor>,
    pub(crate) connections: Arc<Semaphore>,
    pub(crate) shutdown: Shutdown,
    pub(crate) read_buffers: ReadBuffers,
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
#[derive(Debug)]
pub(crate) struct ConnContext {
    pub(crate) shared: Arc<Shared>,
    pub(crate) peer: SocketAddr,
}
