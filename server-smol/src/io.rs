//! The byte streams a connection runs on (TCP or a Unix domain socket, or TLS
//! over either) and the one way to put a deadline on an operation on them.

use std::io;
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

use futures_lite::{AsyncRead, AsyncWrite};
use smol::Async;

use crate::clock;
use crate::listener;
use crate::runtime::EtStream;

/// Runs `future` with a deadline; expiry is a `TimedOut` error.
pub(crate) async fn with_timeout<T>(
    timeout: std::time::Duration,
    future: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    let deadline = clock::now() + timeout;
    futures_lite::future::or(future, async {
        crate::runtime::Timer::at(deadline).await;
        Err(io::Error::from(io::ErrorKind::TimedOut))
    })
    .await
}

/// Byte streams the drivers accept: TCP or a Unix domain socket, or TLS over either.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin {
    /// Whether a read may find bytes, checked without a system call, after
    /// a read came back short (which drained the socket). `Pending` means
    /// "not yet" and arranges a wake-up for when it may. A stream with its
    /// own buffering (TLS) cannot tell from the socket, so it says `Ready`.
    fn poll_read_hint(&self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Ready(())
    }
}

/// Plain TCP: the reactor knows whether an event arrived since the last
/// read, which saves the read that would only return `EAGAIN` (one system
/// call per keep-alive request).
impl Io for Async<TcpStream> {
    fn poll_read_hint(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        // An error surfaces on the read itself.
        self.poll_readable(cx).map(|_| ())
    }
}

/// Plain TCP on a per-core worker's reactor: the readiness hint is kept in
/// the socket's registration.
impl Io for EtStream {
    fn poll_read_hint(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.poll_readable(cx)
    }
}

/// A Unix domain socket: as for TCP, the reactor's readiness saves a read.
impl Io for Async<UnixStream> {
    fn poll_read_hint(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.poll_readable(cx).map(|_| ())
    }
}

impl<S: Io> Io for futures_rustls::server::TlsStream<S> {}

/// An accepted connection, on either reactor.
pub(crate) trait Accepted: Io + 'static {
    /// Sets the per-connection socket options.
    fn tune(&self) -> io::Result<()>;
}

impl Accepted for Async<TcpStream> {
    fn tune(&self) -> io::Result<()> {
        listener::tune(self.get_ref())
    }
}

impl Accepted for EtStream {
    fn tune(&self) -> io::Result<()> {
        listener::tune(self.get_ref())
    }
}

/// A Unix domain socket has no Nagle delay to turn off.
impl Accepted for Async<UnixStream> {
    fn tune(&self) -> io::Result<()> {
        Ok(())
    }
}
