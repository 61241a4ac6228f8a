//! Read buffers lent to connections for the length of one read.
//!
//! The drivers copy what a read returns straight into the protocol state
//! machine (`recv`), so a read buffer is needed only inside one poll. Keeping
//! one per connection would cost 16 KiB for every idle keep-alive connection;
//! lending them from a small lock-free pool costs two atomic operations per
//! read and no memory while a connection waits.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use concurrent_queue::ConcurrentQueue;
use futures_lite::AsyncRead;

/// Size of one read.
pub(crate) const READ_BUFFER: usize = 16 * 1024;

/// Size of one read of a WebSocket session: its messages can be far larger than an HTTP
/// request head, and a 64 KiB message then takes one or two reads instead of five.
pub(crate) const WS_READ_BUFFER: usize = 128 * 1024;

/// Buffers kept for reuse; beyond this, returned buffers are freed.
const POOL_SIZE: usize = 64;

/// WebSocket read buffers kept: only reads in progress at once use one, so a few per
/// worker are enough, and they are larger.
const WS_POOL_SIZE: usize = 8;

/// A pool of read buffers shared by a server's connections.
#[derive(Debug)]
pub(crate) struct ReadBuffers {
    free: ConcurrentQueue<Box<[u8]>>,
    /// [`WS_READ_BUFFER`]-sized ones, lent to WebSocket sessions.
    ws_free: ConcurrentQueue<Box<[u8]>>,
}

impl Default for ReadBuffers {
    fn default() -> Self {
        Self {
            free: ConcurrentQueue::bounded(POOL_SIZE),
            ws_free: ConcurrentQueue::bounded(WS_POOL_SIZE),
        }
    }
}

impl ReadBuffers {
    /// Polls one read of up to [`WS_READ_BUFFER`] bytes from `io`, handing the bytes to
    /// `sink`, for a WebSocket session. `Ready(Ok(0))` is the end of the stream.
    pub(crate) fn poll_read_ws<R: AsyncRead + Unpin + ?Sized>(
        &self,
        io: &mut R,
        cx: &mut Context<'_>,
        sink: impl FnOnce(&[u8]),
    ) -> Poll<io::Result<usize>> {
        lend(&self.ws_free, WS_READ_BUFFER, io, cx, sink)
    }

    /// Polls one read from `io`, handing the bytes to `sink`. `Ready(Ok(0))`
    /// is the end of the stream.
    pub(crate) fn poll_read<R: AsyncRead + Unpin + ?Sized>(
        &self,
        io: &mut R,
        cx: &mut Context<'_>,
        sink: impl FnOnce(&[u8]),
    ) -> Poll<io::Result<usize>> {
        lend(&self.free, READ_BUFFER, io, cx, sink)
    }

    /// Reads once from `io`, handing the bytes to `sink`.
    pub(crate) async fn read<R: AsyncRead + Unpin + ?Sized>(
        &self,
        io: &mut R,
        mut sink: impl FnMut(&[u8]),
    ) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_read(io, cx, &mut sink)).await
    }
}

/// One read into a buffer of `size` bytes from `free` (a new one if it is empty), given
/// back after `sink` has the bytes.
fn lend<R: AsyncRead + Unpin + ?Sized>(
    free: &ConcurrentQueue<Box<[u8]>>,
    size: usize,
    io: &mut R,
    cx: &mut Context<'_>,
    sink: impl FnOnce(&[u8]),
) -> Poll<io::Result<usize>> {
    let mut buffer = free
        .pop()
        .unwrap_or_else(|_| vec![0; size].into_boxed_slice());
    let result = Pin::new(io).poll_read(cx, &mut buffer);
    if let Poll::Ready(Ok(n)) = result {
        sink(buffer.get(..n).unwrap_or_default());
    }
    // A full pool means enough spares exist; let this one go.
    let _ = free.push(buffer);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_reads_delivered() {
        let pool = ReadBuffers::default();
        let mut source = futures_lite::io::Cursor::new(b"hello".to_vec());
        let mut got = Vec::new();
        let n = smol::block_on(pool.read(&mut source, |b| got.extend_from_slice(b))).unwrap();
        assert_eq!((n, &got[..]), (5, &b"hello"[..]));
        assert_eq!(pool.free.len(), 1);
        let n = smol::block_on(pool.read(&mut source, |_| {})).unwrap();
        assert_eq!(n, 0);
        assert_eq!(pool.free.len(), 1);
    }

    #[test]
    fn websocket_reads_take_up_to_their_larger_buffer() {
        let pool = ReadBuffers::default();
        let mut source = futures_lite::io::Cursor::new(vec![7u8; 100 * 1024]);
        let mut got = 0;
        let read =
            std::future::poll_fn(|cx| pool.poll_read_ws(&mut source, cx, |b| got += b.len()));
        let n = smol::block_on(read).unwrap();
        assert_eq!((n, got), (100 * 1024, 100 * 1024));
        assert_eq!((pool.ws_free.len(), pool.free.len()), (1, 0));
    }
}
