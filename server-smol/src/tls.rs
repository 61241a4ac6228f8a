//! TLS settings: rustls on the `ring` provider, ALPN `h2` and `http/1.1`.

use std::sync::Arc;

use rustls::ServerConfig as RustlsConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::config::{ClientAuth, TlsSource};

/// Why the TLS listener could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate file could not be read or held no PEM certificate.
    #[error("reading certificates from {path}: {source}")]
    Certificates {
        /// The file.
        path: String,
        /// What went wrong.
        source: rustls_pki_types::pem::Error,
    },
    /// The key file could not be read or held no PEM private key.
    #[error("reading the private key from {path}: {source}")]
    PrivateKey {
        /// The file.
        path: String,
        /// What went wrong.
        source: rustls_pki_types::pem::Error,
    },
    /// Generating the self-signed certificate failed.
    #[error("generating a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// The client authorities' file could not be read or held no PEM
    /// certificate.
    #[error("reading client certificate authorities from {path}: {source}")]
    ClientAuthorities {
        /// The file.
        path: String,
        /// What went wrong.
        source: rustls_pki_types::pem::Error,
    },
    /// rustls refused an authority certificate, or the list was empty.
    #[error("client certificate verifier: {0}")]
    ClientVerifier(#[from] rustls::server::VerifierBuilderError),
    /// rustls refused the certificate or key.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The crypto provider has no cipher suite QUIC's Initial packets can use
    /// (TLS_AES_128_GCM_SHA256, RFC 9001 §5.2).
    #[error("no TLS 1.3 cipher suite QUIC can use")]
    NoQuicCipherSuite,
}

/// The ALPN identifiers we offer, most preferred first (RFC 7301, RFC 9113 §3.2).
pub const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Builds the rustls server configuration for `source`, advertising ALPN
/// `h2` (when `h2` is true) and `http/1.1`, without client certificates.
pub fn server_config(source: &TlsSource, h2: bool) -> Result<Arc<RustlsConfig>, TlsError> {
    server_config_with_client_auth(source, &ClientAuth::None, h2)
}

/// [`server_config`] that also asks clients for a certificate as
/// `client_auth` says (RFC 8446 §4.3.2), verified against its authorities.
pub fn server_config_with_client_auth(
    source: &TlsSource,
    client_auth: &ClientAuth,
    h2: bool,
) -> Result<Arc<RustlsConfig>, TlsError> {
    let (chain, key) = match source {
        TlsSource::SelfSigned => self_signed()?,
        TlsSource::Files { cert, key } => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|source| TlsError::Certificates {
                    path: cert.display().to_string(),
                    source,
                })?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::PrivateKey {
                path: key.display().to_string(),
                source,
            })?;
            (chain, key)
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = RustlsConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match client_auth {
        ClientAuth::Optional { ca } | ClientAuth::Required { ca } => {
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(ca)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|source| TlsError::ClientAuthorities {
                    path: ca.display().to_string(),
                    source,
                })?;
            for cert in certs {
                roots.add(cert)?;
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider);
            let verifier = if matches!(client_auth, ClientAuth::Optional { .. }) {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(verifier.build()?)
        }
        _ => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = ALPN
        .iter()
        .filter(|proto| h2 || **proto != b"h2")
        .map(|proto| proto.to_vec())
        .collect();
    Ok(Arc::new(config))
}

/// A fresh certificate for the loopback names, and its key.
fn self_signed() -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let names = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    let certified = rcgen::generate_simple_self_signed(names)?;
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    Ok((vec![certified.cert.der().clone()], key.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_config_offers_h2_then_http11() {
        let config = server_config(&TlsSource::SelfSigned, true).unwrap();
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        let config = server_config(&TlsSource::SelfSigned, false).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn missing_files_are_a_typed_error() {
        let source = TlsSource::Files {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
        };
        assert!(matches!(
            server_config(&source, true),
            Err(TlsError::Certificates { .. })
        ));
    }

    #[test]
    fn pem_files_round_trip() {
        let dir = std::env::temp_dir().join(format!("weft-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
        let source = TlsSource::Files {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        let result = server_config(&source, true);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(result.is_ok(), "{result:?}");
    }

    #[test]
    fn client_authorities_must_be_readable() {
        let client_auth = ClientAuth::Required {
            ca: "/nonexistent/ca.pem".into(),
        };
        assert!(matches!(
            server_config_with_client_auth(&TlsSource::SelfSigned, &client_auth, true),
            Err(TlsError::ClientAuthorities { .. })
        ));
    }
}
