//! A request stream opened by an extended CONNECT (RFC 8441 §5 over HTTP/2, RFC 9220
//! §3 over HTTP/3), seen as a byte stream: what a WebSocket session runs on over the
//! framed protocols, as it runs on a TCP or TLS stream over HTTP/1.1.
//!
//! The two directions are the stream's DATA (RFC 9113 §8.5, RFC 9114 §4.4: after the
//! 2xx, DATA carries the tunnelled protocol's bytes and the end of the stream ends one
//! direction):
//!
//! - Reading takes the request body the driver feeds (a [`Body`] with flow-control
//!   credit): credit goes back to the peer only for what was read, so a session that
//!   does not read stops the peer through HTTP/2's or QUIC's flow control (RFC 9113
//!   §5.2, RFC 9000 §4).
//! - Writing queues bytes in a bounded [`Pipe`] whose other end is the response body
//!   the driver sends as the stream's windows allow; a full pipe makes the writer wait,
//!   and a flush waits until the driver has taken everything, so the peer's windows
//!   are the session's back-pressure. Closing the writer ends the response body, which
//!   the driver sends as the end of the stream.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_lite::{AsyncRead, AsyncWrite, Stream};

use crate::body::{Body, BodyError};
use crate::io::Io;

/// Bytes a tunnel's writer may queue before it waits for the driver to send them:
/// about one peer stream window (65,535 octets by default, RFC 9113 §6.9.2).
pub(crate) const PIPE_CAPACITY: usize = 64 * 1024;

/// A bounded queue of byte chunks from one writer to one reader, each side woken by
/// the other.
#[derive(Debug, Default)]
struct Pipe {
    state: Mutex<PipeState>,
}

#[derive(Debug, Default)]
struct PipeState {
    chunks: VecDeque<Bytes>,
    queued: usize,
    /// The writer closed (or was dropped): the reader ends once the queue is empty.
    write_closed: bool,
    /// The reader was dropped (the stream is gone): writes fail.
    read_closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, PipeState> {
        // The state is consistent after every statement, so a panic elsewhere while
        // it was held leaves nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Wakes a stored waker, outside the lock.
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// The driver's end of a tunnel: the response body, a stream of the chunks the
/// session wrote, ending when the session closes its side.
#[derive(Debug)]
pub(crate) struct TunnelOutput {
    pipe: Arc<Pipe>,
}

impl Stream for TunnelOutput {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut state = self.pipe.lock();
        if let Some(chunk) = state.chunks.pop_front() {
            state.queued -= chunk.len();
            let writer = state.writer.take();
            drop(state);
            wake(writer);
            return Poll::Ready(Some(Ok(chunk)));
        }
        if state.write_closed {
            return Poll::Ready(None);
        }
        state.reader = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for TunnelOutput {
    fn drop(&mut self) {
        let mut state = self.pipe.lock();
        state.read_closed = true;
        state.chunks.clear();
        state.queued = 0;
        let writer = state.writer.take();
        drop(state);
        wake(writer);
    }
}

/// The session's end of a tunnel: reads the stream's inbound DATA, writes its
/// outbound DATA.
#[derive(Debug)]
pub(crate) struct TunnelIo {
    inbound: Body,
    /// The part of the last inbound chunk not read yet (at most one DATA frame).
    leftover: Bytes,
    pipe: Arc<Pipe>,
}

impl TunnelIo {
    /// A tunnel reading `inbound` (the stream's request body), and the response body
    /// that carries what it writes.
    pub(crate) fn new(inbound: Body) -> (Self, TunnelOutput) {
        let pipe = Arc::new(Pipe::default());
        let output = TunnelOutput { pipe: pipe.clone() };
        let io = Self {
            inbound,
            leftover: Bytes::new(),
            pipe,
        };
        (io, output)
    }

    fn close_writer(&self) {
        let mut state = self.pipe.lock();
        state.write_closed = true;
        let reader = state.reader.take();
        drop(state);
        wake(reader);
    }
}

impl Drop for TunnelIo {
    fn drop(&mut self) {
        self.close_writer();
        // DATA queued but never read still holds its flow-control credit, which the
        // body returns as it is read: read it out, so a session that ended does not
        // shrink the connection's window by what it left behind.
        let mut cx = Context::from_waker(Waker::noop());
        while let Poll::Ready(Some(_)) = Pin::new(&mut self.inbound).poll_next(&mut cx) {}
    }
}

/// How an inbound body that broke off reads: the peer reset the stream or the
/// connection went, as a TCP stream would report it.
fn read_error(error: BodyError) -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, error)
}

impl AsyncRead for TunnelIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        while this.leftover.is_empty() {
            match std::task::ready!(Pin::new(&mut this.inbound).poll_next(cx)) {
                Some(Ok(chunk)) => this.leftover = chunk,
                Some(Err(error)) => return Poll::Ready(Err(read_error(error))),
                // END_STREAM: the peer ended its direction.
                None => return Poll::Ready(Ok(0)),
            }
        }
        let n = buf.len().min(this.leftover.len());
        buf[..n].copy_from_slice(&this.leftover.split_to(n));
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for TunnelIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut state = self.pipe.lock();
        if state.read_closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if state.write_closed {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        }
        let room = PIPE_CAPACITY.saturating_sub(state.queued);
        if room == 0 {
            state.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = room.min(buf.len());
        state.chunks.push_back(Bytes::copy_from_slice(&buf[..n]));
        state.queued += n;
        let reader = state.reader.take();
        drop(state);
        wake(reader);
        Poll::Ready(Ok(n))
    }

    /// Waits until the driver has taken every queued byte into the stream (as the
    /// peer's windows allow), so a flush that returns means the bytes are on their way,
    /// and one the peer holds back runs into the writer's own timeout.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.pipe.lock();
        if state.queued == 0 || state.read_closed {
            return Poll::Ready(Ok(()));
        }
        state.writer = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Ends our direction: END_STREAM once the queued bytes are sent.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.close_writer();
        Poll::Ready(Ok(()))
    }
}

/// No socket underneath to ask: a read that may find bytes is simply tried.
impl Io for TunnelIo {}

#[cfg(test)]
mod tests {
    use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt, future};

    use super::*;

    #[test]
    fn bytes_cross_both_ways_and_close_ends_the_output() {
        future::block_on(async {
            let (tx, inbound) = Body::channel();
            let (mut io, mut output) = TunnelIo::new(inbound);
            tx.send(Ok(Bytes::from_static(b"hello "))).await.unwrap();
            tx.send(Ok(Bytes::from_static(b"world"))).await.unwrap();
            drop(tx);
            let mut read = Vec::new();
            io.read_to_end(&mut read).await.unwrap();
            assert_eq!(read, b"hello world");

            io.write_all(b"abc").await.unwrap();
            io.write_all(b"def").await.unwrap();
            io.close().await.unwrap();
            let mut written = Vec::new();
            while let Some(chunk) = output.next().await {
                written.extend_from_slice(&chunk.unwrap());
            }
            assert_eq!(written, b"abcdef");
        });
    }

    #[test]
    fn a_full_pipe_makes_the_writer_wait_until_the_driver_takes_some() {
        future::block_on(async {
            let (_tx, inbound) = Body::channel();
            let (mut io, mut output) = TunnelIo::new(inbound);
            let big = vec![7u8; PIPE_CAPACITY + 10];
            let n = io.write(&big).await.unwrap();
            assert_eq!(n, PIPE_CAPACITY, "the pipe holds no more than its capacity");
            let mut blocked = io.write(&big[n..]);
            assert!(
                future::poll_once(&mut blocked).await.is_none(),
                "a full pipe waits"
            );
            let first = output.next().await.unwrap().unwrap();
            assert_eq!(first.len(), PIPE_CAPACITY);
            assert_eq!(blocked.await.unwrap(), 10);
        });
    }

    #[test]
    fn a_flush_waits_until_the_driver_took_everything() {
        future::block_on(async {
            let (_tx, inbound) = Body::channel();
            let (mut io, mut output) = TunnelIo::new(inbound);
            io.write_all(b"abc").await.unwrap();
            let mut flush = io.flush();
            assert!(
                future::poll_once(&mut flush).await.is_none(),
                "nothing taken yet"
            );
            assert_eq!(&output.next().await.unwrap().unwrap()[..], b"abc");
            flush.await.unwrap();
        });
    }

    #[test]
    fn a_reset_reads_as_an_error_and_a_gone_stream_fails_writes() {
        future::block_on(async {
            let (tx, inbound) = Body::channel();
            let (mut io, output) = TunnelIo::new(inbound);
            tx.send(Err(BodyError::Reset)).await.unwrap();
            let mut buf = [0u8; 8];
            let error = io.read(&mut buf).await.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
            drop(output);
            let error = io.write(b"x").await.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
        });
    }

    #[test]
    fn what_a_dropped_session_left_unread_is_credited() {
        // Credit for DATA goes back as it is read; a session that ends with DATA still
        // queued must not take that share of the connection window with it.
        future::block_on(async {
            let (credit_tx, credit_rx) = smol::channel::unbounded();
            let (tx, inbound) = Body::channel_with_credit(7, credit_tx);
            let (mut io, _output) = TunnelIo::new(inbound);
            for chunk in [&b"read"[..], b"unread", b"also unread"] {
                tx.send(Ok(Bytes::from_static(chunk))).await.unwrap();
            }
            let mut buf = [0u8; 4];
            io.read_exact(&mut buf).await.unwrap();
            drop(io);
            let credited: usize = std::iter::from_fn(|| credit_rx.try_recv().ok())
                .map(|(stream, n)| {
                    assert_eq!(stream, 7);
                    n
                })
                .sum();
            assert_eq!(credited, 4 + 6 + 11);
        });
    }

    #[test]
    fn a_dropped_session_ends_the_output() {
        future::block_on(async {
            let (_tx, inbound) = Body::channel();
            let (mut io, mut output) = TunnelIo::new(inbound);
            io.write_all(b"last words").await.unwrap();
            drop(io);
            assert_eq!(&output.next().await.unwrap().unwrap()[..], b"last words");
            assert!(output.next().await.is_none());
        });
    }
}
