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

/// Buffers kept for reuse; beyond this, returned buffers are freed.
const POOL_SIZE: usize = 64;

/// A pool of read buffers shared by a server's connections.
#[derive(Debug)]
pub(crate) struct ReadBuffers {
    free: ConcurrentQueue<Box<[u8]>>,
}

impl Default for ReadBuffers {
    fn default() -> Self {
        Self {
            free: ConcurrentQueue::bounded(POOL_SIZE),
        }
    }
}

impl ReadBuffers {
    fn take(&self) -> Box<[u8]> {
        self.free
            .pop()
            .unwrap_or_else(|_| vec![0; READ_BUFFER].into_boxed_slice())
    }

    fn give(&self, buffer: Box<[u8]>) {
        // A full pool means enough spares exist; let this one go.
        let _ = self.free.push(buffer);
    }

    /// Polls one read from `io`, handing the bytes to `sink`. `Ready(Ok(0))`
    /// is the end of the stream.
    pub(crate) fn poll_read<R: AsyncRead + Unpin + ?Sized>(
        &self,
        io: &mut R,
        cx: &mut Context<'_>,
        sink: impl FnOnce(&[u8]),
    ) -> Poll<io::Result<usize>> {
        let mut buffer = self.take();
        let result = Pin::new(io).poll_read(cx, &mut buffer);
        if let Poll::Ready(Ok(n)) = result {
            sink(buffer.get(..n).unwrap_or_default());
        }
        self.give(buffer);
        result
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
}
