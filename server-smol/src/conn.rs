//! One accepted connection: TLS and ALPN, or h2c preface detection, then the
//! HTTP/1.1 or HTTP/2 driver.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use futures_lite::AsyncRead;
use http2_proto::PrefaceCheck;
use smol::lock::SemaphoreGuardArc;

use crate::context::{ConnContext, Shared};
use crate::io::{Accepted, with_timeout};
use crate::scratch::ReadBuffers;
use crate::tls_info::TlsInfo;
use crate::{h1, h2};

/// Which listener a connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Plain,
    Tls,
}

/// Serves one connection to its end. The permit is held until then, which
/// is what bounds the number of open connections.
///
/// The task's own future is as large as its largest state, and a task
/// lives as long as its connection. Only the plain HTTP/1.1 driver, whose
/// idle state is small, runs inside it; the preface sniff runs in a box
/// freed once it decided, and TLS and HTTP/2 in boxes paid only by the
/// connections that use them. Not an `async fn`: its arguments would be
/// kept apart from what they are moved into.
pub(crate) fn serve<S: Accepted>(
    stream: S,
    peer: Option<SocketAddr>,
    transport: Transport,
    shared: Arc<Shared>,
    permit: SemaphoreGuardArc,
) -> impl Future<Output = ()> {
    if let Err(error) = stream.tune() {
        tracing::debug!(?peer, %error, "setting socket options");
    }
    async move {
        let context = ConnContext {
            shared,
            peer,
            tls: transport == Transport::Tls,
            tls_info: None,
        };
        let result = match transport {
            Transport::Plain => {
                let (chosen, stream, initial, context) =
                    Box::pin(choose_plain(stream, context)).await;
                match chosen {
                    Ok(Some(Protocol::Http1)) => h1::serve(stream, initial, context).await,
                    Ok(Some(Protocol::Http2)) => {
                        Box::pin(h2::serve(stream, initial, context)).await
                    }
                    Ok(None) => Ok(()),
                    Err(error) => Err(error),
                }
            }
            Transport::Tls => Box::pin(serve_tls(stream, context)).await,
        };
        if let Err(error) = result {
            tracing::debug!(?peer, %error, "connection ended with an error");
        }
        drop(permit);
    }
}

/// The protocol a cleartext connection speaks.
enum Protocol {
    Http1,
    Http2,
}

/// Tells HTTP/2 with prior knowledge (RFC 9113 §3.4) from HTTP/1.1 when
/// the server accepts h2c; `None`: neither, or the peer left, nothing to
/// serve. Hands back the connection and the bytes read to find out.
async fn choose_plain<S: Accepted>(
    mut stream: S,
    context: ConnContext,
) -> (io::Result<Option<Protocol>>, S, BytesMut, ConnContext) {
    let mut initial = BytesMut::new();
    let chosen = sniff_protocol(&mut stream, &context, &mut initial).await;
    (chosen, stream, initial, context)
}

async fn sniff_protocol<S: Accepted>(
    stream: &mut S,
    context: &ConnContext,
    initial: &mut BytesMut,
) -> io::Result<Option<Protocol>> {
    if !context.shared.config.h2c {
        return Ok(Some(Protocol::Http1));
    }
    let header_timeout = context.shared.config.timeouts.header_read;
    let buffers = &context.shared.read_buffers;
    let sniff = sniff_preface(stream, buffers, initial);
    Ok(match with_timeout(header_timeout, sniff).await? {
        Some(true) => Some(Protocol::Http2),
        // RFC 9113 §3.4: an invalid connection preface is a connection
        // error. A first line that is not an HTTP/1.x request line either
        // is not answered with an HTTP/1.1 400 the peer could not read as
        // frames; the connection is just closed.
        Some(false) if !may_be_http1(initial) => None,
        Some(false) => Some(Protocol::Http1),
        // The peer closed before sending anything recognisable.
        None => None,
    })
}

async fn serve_tls<S: Accepted>(stream: S, mut context: ConnContext) -> io::Result<()> {
    let Some(acceptor) = context.shared.tls.clone() else {
        return Ok(());
    };
    let header_timeout = context.shared.config.timeouts.header_read;
    let tls = with_timeout(header_timeout, acceptor.accept(stream)).await?;
    let is_h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    context.tls_info = Some(Arc::new(TlsInfo::of(tls.get_ref().1)));
    let initial = BytesMut::new();
    if is_h2 {
        Box::pin(h2::serve(tls, initial, context)).await
    } else {
        Box::pin(h1::serve(tls, initial, context)).await
    }
}

/// Reads until the bytes either are the HTTP/2 preface (`Some(true)`) or
/// cannot become it (`Some(false)`); `None` if the peer closed first. What
/// was read stays in `buffer` for the chosen driver. An HTTP/1.1 request
/// usually decides this on its first byte, so it costs no extra read.
async fn sniff_preface<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffers: &ReadBuffers,
    buffer: &mut BytesMut,
) -> io::Result<Option<bool>> {
    loop {
        let n = buffers
            .read(stream, |data| buffer.extend_from_slice(data))
            .await?;
        if n == 0 {
            return Ok(if buffer.is_empty() { None } else { Some(false) });
        }
        match http2_proto::detect_preface(buffer) {
            PrefaceCheck::Http2 => return Ok(Some(true)),
            PrefaceCheck::NotHttp2 => return Ok(Some(false)),
            _ => {}
        }
    }
}

/// Whether the first bytes of a connection can be an HTTP/1.x request: true
/// until the first line is complete (leading empty lines are allowed, RFC
/// 9112 §2.2), then only if that line ends in an `HTTP/` version token (in
/// any case). The line runs to the first CRLF: a bare LF inside it is one of
/// the malformations of an HTTP/1.x request line (RFC 9112 §2.2), not the end
/// of something else. Bad requests that still look like HTTP/1.x are left to
/// http1-proto, which answers them with the right status.
fn may_be_http1(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    let Some(line_end) = rest.windows(2).position(|pair| pair == b"\r\n") else {
        return true;
    };
    let line = &rest[..line_end];
    let version = line.rsplit(|&b| b == b' ').next().unwrap_or(line);
    // Case-blind: a lowercase `http/1.1` is still an HTTP/1 request, one that
    // http1-proto answers with 400 (HTTP-name is case-sensitive).
    version
        .get(..5)
        .is_some_and(|name| name.eq_ignore_ascii_case(b"HTTP/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http2_proto::PREFACE;

    fn sniff(chunks: &[&[u8]]) -> (Option<bool>, Vec<u8>) {
        let data: Vec<u8> = chunks.concat();
        let mut reader = futures_lite::io::Cursor::new(data);
        let mut buffer = BytesMut::new();
        let buffers = ReadBuffers::default();
        let verdict = smol::block_on(sniff_preface(&mut reader, &buffers, &mut buffer)).unwrap();
        (verdict, buffer.to_vec())
    }

    #[test]
    fn first_lines_that_cannot_be_http1_are_told_apart() {
        assert!(may_be_http1(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assert!(may_be_http1(b"\r\nGE(T / HTTP/1.1\r\n"));
        assert!(may_be_http1(b"GET / HTTP/2.0\n"));
        assert!(may_be_http1(b"GET / http/1.1\r\n"));
        assert!(may_be_http1(b"GET / HT"));
        assert!(may_be_http1(b""));
        assert!(!may_be_http1(b"INVALID CONNECTION PREFACE\r\n\r\n"));
        assert!(!may_be_http1(b"GET /\r\n"));
        assert!(may_be_http1(b"GET /a\nb HTTP/1.1\r\n"));
        assert!(may_be_http1(b"GET / HTTP/1.1\nHost: a\n\n"));
    }

    #[test]
    fn preface_detection() {
        assert_eq!(sniff(&[PREFACE, b"\x00\x00"]).0, Some(true));
        let (verdict, kept) = sniff(&[b"GET / HTTP/1.1\r\n\r\n"]);
        assert_eq!(verdict, Some(false));
        assert_eq!(kept, b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(sniff(&[b"PRI * HTTP/1.1\r\n"]).0, Some(false));
        assert_eq!(sniff(&[b"PRI * HT"]).0, Some(false));
        assert_eq!(sniff(&[]).0, None);
    }

    /// A connection's task lives as long as the connection, idle or not, and
    /// its future is the task's size: only what an idle plain HTTP/1.1
    /// connection holds may be in it (the socket, the shared state, a timer,
    /// the permit); the sniff, TLS, HTTP/2 and the serving state are boxed.
    #[test]
    fn the_task_of_a_connection_stays_small() {
        let context = ConnContext::for_tests(crate::app::App::new(), Default::default());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let stream = smol::Async::new(client).unwrap();
        let permits = Arc::new(smol::lock::Semaphore::new(1));
        let permit = permits.try_acquire_arc().unwrap();
        let task = serve(
            stream,
            context.peer,
            Transport::Plain,
            context.shared,
            permit,
        );
        let size = std::mem::size_of_val(&task);
        assert!(size <= 400, "{size} B");
    }
}
