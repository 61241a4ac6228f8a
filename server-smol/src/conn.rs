//! One accepted connection: TLS and ALPN, or h2c preface detection, then the
//! HTTP/1.1 or HTTP/2 driver.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use futures_lite::AsyncRead;
use http2_proto::PrefaceCheck;
use smol::lock::SemaphoreGuardArc;

use crate::context::{ConnContext, Shared};
use crate::io::{TcpIo, with_timeout};
use crate::scratch::ReadBuffers;
use crate::{h1, h2, listener};

/// Which listener a connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Plain,
    Tls,
}

/// Serves one connection to its end. The permit is held until then, which
/// is what bounds the number of open connections.
///
/// Each driver runs in its own box: the task's own future is as large as
/// its largest path (HTTP/2 over TLS), and a plain HTTP/1.1 connection
/// should not carry that size for its whole life.
pub(crate) async fn serve<S: TcpIo>(
    stream: S,
    peer: SocketAddr,
    transport: Transport,
    shared: Arc<Shared>,
    permit: SemaphoreGuardArc,
) {
    if let Err(error) = listener::tune(stream.tcp()) {
        tracing::debug!(%peer, %error, "setting socket options");
    }
    let context = ConnContext {
        shared,
        peer,
        tls: transport == Transport::Tls,
    };
    let result = match transport {
        Transport::Plain => serve_plain(stream, context).await,
        // TLS state is large: in a box of its own, not in every task.
        Transport::Tls => Box::pin(serve_tls(stream, context)).await,
    };
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
    drop(permit);
}

async fn serve_plain<S: TcpIo>(mut stream: S, context: ConnContext) -> io::Result<()> {
    let mut initial = BytesMut::new();
    if context.shared.config.h2c {
        let header_timeout = context.shared.config.timeouts.header_read;
        let buffers = &context.shared.read_buffers;
        let sniff = sniff_preface(&mut stream, buffers, &mut initial);
        let is_h2 = with_timeout(header_timeout, sniff).await?;
        match is_h2 {
            Some(true) => return Box::pin(h2::serve(stream, initial, context)).await,
            // RFC 9113 §3.4: an invalid connection preface is a connection
            // error. A first line that is not an HTTP/1.x request line either
            // is not answered with an HTTP/1.1 400 the peer could not read as
            // frames; the connection is just closed.
            Some(false) if !may_be_http1(&initial) => return Ok(()),
            Some(false) => {}
            // The peer closed before sending anything recognisable.
            None => return Ok(()),
        }
    }
    Box::pin(h1::serve(stream, initial, context)).await
}

async fn serve_tls<S: TcpIo>(stream: S, context: ConnContext) -> io::Result<()> {
    let Some(acceptor) = context.shared.tls.clone() else {
        return Ok(());
    };
    let header_timeout = context.shared.config.timeouts.header_read;
    let tls = with_timeout(header_timeout, acceptor.accept(stream)).await?;
    let is_h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
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
}
