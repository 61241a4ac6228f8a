//! HTTP/3: QUIC by quinn-proto, HTTP/3 by http3-proto, both sans-IO, driven from one
//! UDP socket per endpoint, one endpoint per worker.
//!
//! `endpoint.rs` owns the socket and quinn-proto's `Endpoint`: it reads datagrams,
//! hands each to its connection, sends what the connections produce and sleeps until
//! the earliest of their deadlines. `conn.rs` is one QUIC connection with its
//! `http3_proto::Connection`: it moves stream bytes between the two, runs the App's
//! handlers for the requests, and streams their responses. `websocket.rs` serves
//! WebSocket routes over extended CONNECT (RFC 9220) on that connection.

mod conn;
mod endpoint;
mod socket;
mod websocket;

use std::sync::Arc;
use std::time::Duration;

use quinn_proto::crypto::rustls::QuicServerConfig;
use quinn_proto::{IdleTimeout, TransportConfig, VarInt};

use crate::body_budget::body_budget_limit;
use crate::config::ServerConfig;
use crate::tls::TlsError;

pub(crate) use endpoint::{bind, serve};

/// The ALPN identifier of HTTP/3 (RFC 9114 §3.1).
pub(crate) const ALPN_H3: &[u8] = b"h3";

/// Request-body bytes one stream may have read from QUIC and not yet handed to its
/// handler, and QUIC's stream receive window: QUIC grants the client more only as
/// the handler takes what it has, so a slow handler slows the upload down.
pub(crate) const STREAM_WINDOW: u32 = 256 * 1024;

/// Unidirectional streams a client may open at once: its control stream, its two
/// QPACK streams, and a few it may add (GREASE, extensions) that we stop.
const MAX_UNI_STREAMS: u32 = 8;

/// quinn-proto's server configuration: the TLS listener's certificate, with ALPN `h3`
/// (QUIC negotiates TLS 1.3 only, RFC 9001 §4.2), and transport limits taken from the
/// server's own.
///
/// With one socket per worker (`per_worker_sockets`), a client that moves to another
/// address would land on another worker, which does not know its connection: migration
/// (RFC 9000 §9) is then turned off, and such a client reconnects.
pub(crate) fn quic_config(
    config: &ServerConfig,
    tls: &rustls::ServerConfig,
    per_worker_sockets: bool,
) -> Result<Arc<quinn_proto::ServerConfig>, TlsError> {
    let mut crypto = tls.clone();
    crypto.alpn_protocols = vec![ALPN_H3.to_vec()];
    let crypto = QuicServerConfig::try_from(crypto).map_err(|_| TlsError::NoQuicCipherSuite)?;
    let mut transport = TransportConfig::default();
    transport
        .max_concurrent_bidi_streams(VarInt::from_u32(config.limits.h2_max_concurrent_streams))
        .max_concurrent_uni_streams(VarInt::from_u32(MAX_UNI_STREAMS))
        .stream_receive_window(VarInt::from_u32(STREAM_WINDOW))
        // What the client may send that no handler has read yet, across all its
        // streams: the connection's body budget, as HTTP/2's connection window is.
        .receive_window(VarInt::from_u64(body_budget_limit(&config.limits)).unwrap_or(VarInt::MAX))
        .max_idle_timeout(idle_timeout(config.timeouts.keep_alive));
    let mut server = quinn_proto::ServerConfig::with_crypto(Arc::new(crypto));
    server.transport_config(Arc::new(transport));
    server.migration(!per_worker_sockets);
    Ok(Arc::new(server))
}

/// QUIC's idle timeout (RFC 9000 §10.1), the keep-alive of the other protocols.
fn idle_timeout(keep_alive: Duration) -> Option<IdleTimeout> {
    IdleTimeout::try_from(keep_alive).ok()
}
