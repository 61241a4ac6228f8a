//! hyper 1.x on tokio: the comparison server for `scripts/bench-server`.
//!
//! `GET` on any path answers `Hello, World!` as text/plain, as server-smol's
//! `GET /` does. The cleartext port auto-detects HTTP/1.1 and h2c prior
//! knowledge (hyper-util's auto builder); the TLS port offers ALPN h2 and
//! http/1.1 with a self-signed certificate. This is hyper's own hello-world
//! shape (examples/hello.rs) plus the auto builder and TLS.
//!
//! Usage: hyper-hello <plain addr> <tls addr>

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"Hello, World!")));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(response)
}

fn tls_config() -> Arc<rustls::ServerConfig> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).expect("certificate");
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key.into())
        .expect("certificate");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let plain: SocketAddr = args
        .next()
        .unwrap_or("127.0.0.1:9080".into())
        .parse()
        .expect("address");
    let secure: SocketAddr = args
        .next()
        .unwrap_or("127.0.0.1:9443".into())
        .parse()
        .expect("address");
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config());
    let plain = TcpListener::bind(plain).await.expect("bind");
    let secure = TcpListener::bind(secure).await.expect("bind");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = secure.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service_fn(hello))
                    .await;
            });
        }
    });
    loop {
        let Ok((stream, _)) = plain.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}
