//! What a TLS handshake settled, kept for the requests of the connection:
//! handlers that decide by the client's certificate or report the protocol
//! (the ASGI `tls` extension) read it from [`Request::tls`](crate::Request::tls).

use rustls::server::ServerConnection;
use rustls_pki_types::CertificateDer;

/// The negotiated parameters and the client's certificates of one TLS connection.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    protocol_version: u16,
    cipher_suite: Option<u16>,
    peer_certificates: Vec<CertificateDer<'static>>,
}

impl TlsInfo {
    /// Reads the facts off a connection whose handshake is complete.
    pub(crate) fn of(connection: &ServerConnection) -> Self {
        Self {
            protocol_version: connection.protocol_version().map_or(0, u16::from),
            cipher_suite: connection
                .negotiated_cipher_suite()
                .map(|suite| u16::from(suite.suite())),
            peer_certificates: connection
                .peer_certificates()
                .map(|chain| chain.iter().map(|cert| cert.clone().into_owned()).collect())
                .unwrap_or_default(),
        }
    }

    /// Reads the facts off a QUIC connection's handshake. QUIC always runs TLS 1.3
    /// (RFC 9001 §4.2); quinn-proto does not tell which cipher suite it settled on.
    pub(crate) fn of_quic(session: &dyn quinn_proto::crypto::Session) -> Self {
        let peer_certificates = session
            .peer_identity()
            .and_then(|identity| identity.downcast::<Vec<CertificateDer<'static>>>().ok())
            .map(|chain| *chain)
            .unwrap_or_default();
        Self {
            protocol_version: 0x0304,
            cipher_suite: None,
            peer_certificates,
        }
    }

    /// The protocol version as its wire code (RFC 8446 §4.2.1: `0x0304` for TLS 1.3,
    /// `0x0303` for TLS 1.2).
    pub fn protocol_version(&self) -> u16 {
        self.protocol_version
    }

    /// The cipher suite as its two-byte IANA code (RFC 8446 §B.4, RFC 5246 §A.5);
    /// `None` over HTTP/3, whose QUIC stack does not report it.
    pub fn cipher_suite(&self) -> Option<u16> {
        self.cipher_suite
    }

    /// The client's certificate chain in DER, its own certificate first; empty
    /// when it sent none. Only a chain the configured authorities verified gets
    /// this far: the handshake fails otherwise (RFC 8446 §4.4.2.4).
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        &self.peer_certificates
    }
}
