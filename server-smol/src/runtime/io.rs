//! TCP sockets driven by the worker's reactor.
//!
//! Readiness is a hint kept per direction: a read or write is attempted
//! while the socket may be ready, and only `EAGAIN` (or, for reads, a short
//! read, which means the receive queue was emptied) clears it. The
//! edge-triggered registration sets it again on the next arrival, so no
//! system call is spent re-arming.

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::{AsyncRead, AsyncWrite};

use super::reactor::{Direction, Reactor, Registration};

/// Runs `op` while the source may be ready in `direction`, clearing the hint
/// on `EAGAIN` and waiting for the next edge.
fn poll_io<T>(
    registration: &Registration,
    direction: Direction,
    cx: &mut Context<'_>,
    mut op: impl FnMut() -> io::Result<T>,
) -> Poll<io::Result<T>> {
    let source = registration.source();
    loop {
        if !source.is_ready(direction) {
            source.register(direction, cx.waker());
            // An event may have arrived between the failed attempt and the
            // registration only on another thread; the reactor runs on this
            // one, so there is no window to re-check.
            return Poll::Pending;
        }
        match op() {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => source.clear(direction),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            result => return Poll::Ready(result),
        }
    }
}

/// A connected TCP socket on the worker's reactor.
#[derive(Debug)]
pub(crate) struct EtStream {
    registration: Registration,
    stream: TcpStream,
}

impl EtStream {
    /// Registers a connected socket with `reactor` (it is made non-blocking).
    pub(crate) fn new(stream: TcpStream, reactor: &std::rc::Rc<Reactor>) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        let registration = reactor.register(stream.as_fd())?;
        Ok(Self {
            registration,
            stream,
        })
    }

    /// The socket, for options.
    pub(crate) fn get_ref(&self) -> &TcpStream {
        &self.stream
    }

    /// Whether a read may find bytes, without a system call; `Pending`
    /// arranges a wake-up for when it may.
    pub(crate) fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<()> {
        let source = self.registration.source();
        if source.is_ready(Direction::Read) {
            Poll::Ready(())
        } else {
            source.register(Direction::Read, cx.waker());
            Poll::Pending
        }
    }
}

impl Drop for EtStream {
    fn drop(&mut self) {
        self.registration.deregister(self.stream.as_fd());
    }
}

impl AsyncRead for EtStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let stream = &this.stream;
        let registration = &this.registration;
        let result = poll_io(registration, Direction::Read, cx, || (&*stream).read(buf));
        if let Poll::Ready(Ok(n)) = result
            && n > 0
            && n < buf.len()
        {
            // A short read emptied the receive queue; anything arriving
            // later raises a new edge. (End of stream, `0`, keeps the hint:
            // it stays readable.)
            registration.source().clear(Direction::Read);
        }
        result
    }
}

impl AsyncWrite for EtStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let stream = &this.stream;
        poll_io(&this.registration, Direction::Write, cx, || {
            (&*stream).write(buf)
        })
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let stream = &this.stream;
        poll_io(&this.registration, Direction::Write, cx, || {
            (&*stream).write_vectored(bufs)
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(match self.stream.shutdown(Shutdown::Write) {
            Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(()),
            result => result,
        })
    }
}

/// A listening socket on the worker's reactor.
#[derive(Debug)]
pub(crate) struct EtListener {
    registration: Registration,
    listener: TcpListener,
}

impl EtListener {
    /// Registers a listener (already non-blocking, see `listener::bind`).
    pub(crate) fn new(listener: TcpListener, reactor: &std::rc::Rc<Reactor>) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        let registration = reactor.register(listener.as_fd())?;
        Ok(Self {
            registration,
            listener,
        })
    }

    /// Accepts one connection, registered with the same reactor.
    pub(crate) async fn accept(&self) -> io::Result<(EtStream, SocketAddr)> {
        let (stream, peer) = std::future::poll_fn(|cx| {
            poll_io(&self.registration, Direction::Read, cx, || {
                self.listener.accept()
            })
        })
        .await?;
        let stream = EtStream::new(stream, self.registration.reactor())?;
        Ok((stream, peer))
    }
}

impl Drop for EtListener {
    fn drop(&mut self) {
        self.registration.deregister(self.listener.as_fd());
    }
}
