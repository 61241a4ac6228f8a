//! The write side shared by both drivers: queued segments, small ones
//! coalesced into one buffer (reused across writes), written vectored.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_lite::AsyncWrite;

use crate::clock;
use crate::deadline::Deadline;

/// Segments below this size are copied together into one write buffer;
/// larger ones (bodies) are written as they are, vectored. TLS streams
/// write one slice per call, so coalescing matters most there.
const COALESCE_BELOW: usize = 4096;
/// Most segments handed to one vectored write.
const MAX_IOVECS: usize = 32;

/// Bytes waiting to be written, in order.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    segments: Vec<Bytes>,
    len: usize,
    coalesce: BytesMut,
    /// When the write in progress gives up, once it had to wait.
    write_deadline: Option<Instant>,
}

impl Outbox {
    pub(crate) fn new() -> Self {
        Self {
            segments: Vec::new(),
            len: 0,
            // Grown on first use: an idle connection should hold no buffer.
            coalesce: BytesMut::new(),
            write_deadline: None,
        }
    }

    /// Queued bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// If nothing is queued, frees the capacity kept for the next write
    /// beyond what an ordinary exchange needs: an outbox kept for reuse (in
    /// a pool) should not hold on to the largest burst it ever wrote.
    pub(crate) fn trim_when_empty(&mut self) {
        if self.len == 0
            && (self.coalesce.capacity() > COALESCE_BELOW || self.segments.capacity() > MAX_IOVECS)
        {
            *self = Self::new();
        }
    }

    pub(crate) fn push(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        self.len += bytes.len();
        self.segments.push(bytes);
    }

    /// Merges runs of small segments into single buffers (a pipelined burst
    /// becomes one write; TLS gets one record instead of dozens). Done at
    /// write time, so the common single-segment response is never copied.
    fn coalesce_small(&mut self) {
        if self.segments.len() < 2 {
            return;
        }
        let mut merged = Vec::with_capacity(self.segments.len());
        for segment in self.segments.drain(..) {
            if segment.len() < COALESCE_BELOW {
                self.coalesce.extend_from_slice(&segment);
                continue;
            }
            if !self.coalesce.is_empty() {
                merged.push(self.coalesce.split().freeze());
            }
            merged.push(segment);
        }
        if !self.coalesce.is_empty() {
            merged.push(self.coalesce.split().freeze());
        }
        self.segments = merged;
    }

    /// Writes everything queued, giving up with `TimedOut` if the peer does
    /// not take it within `timeout`, for a driver that awaits its writes:
    /// the timer is only made when the write does not complete at once.
    pub(crate) async fn write_within<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        timeout: Duration,
    ) -> io::Result<()> {
        let mut write = std::pin::pin!(std::future::poll_fn(|cx| self.poll_write_to(io, cx)));
        if let Some(result) = futures_lite::future::poll_once(&mut write).await {
            return result;
        }
        crate::io::with_timeout(timeout, write).await
    }

    /// Writes everything queued, giving up with `TimedOut` if the peer does
    /// not take it within `timeout` (a client that stops reading must not
    /// hold its connection forever). The deadline is set only when a write
    /// has to wait, so the usual write costs no timer; `timer` is the
    /// connection's.
    pub(crate) fn poll_write_within<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
        timeout: Duration,
        timer: &mut Deadline,
    ) -> Poll<io::Result<()>> {
        if let Poll::Ready(result) = self.poll_write_to(io, cx) {
            self.write_deadline = None;
            return Poll::Ready(result);
        }
        let deadline = *self
            .write_deadline
            .get_or_insert_with(|| clock::now() + timeout);
        ready!(timer.poll_until(deadline, cx));
        self.write_deadline = None;
        Poll::Ready(Err(io::ErrorKind::TimedOut.into()))
    }

    /// Writes everything queued, vectored, then flushes `io`. What was
    /// written leaves the queue as it goes, so a `Pending` resumes where it
    /// stopped: a driver can poll this from its own state, with no future
    /// to keep.
    pub(crate) fn poll_write_to<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        self.coalesce_small();
        while self.len > 0 {
            let written = if let [only] = self.segments.as_slice() {
                // One buffer (the usual small response): a plain write is
                // cheaper than writev, and TLS takes one slice per call anyway.
                ready!(Pin::new(&mut *io).poll_write(cx, only))?
            } else {
                let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
                let count = self.segments.len().min(MAX_IOVECS);
                for (slice, bytes) in slices.iter_mut().zip(&self.segments) {
                    *slice = IoSlice::new(bytes);
                }
                let slices = slices.get(..count).unwrap_or_default();
                ready!(Pin::new(&mut *io).poll_write_vectored(cx, slices))?
            };
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.consume(written);
        }
        Pin::new(io).poll_flush(cx)
    }

    /// Drops `written` bytes from the front of the queue.
    fn consume(&mut self, mut written: usize) {
        self.len = self.len.saturating_sub(written);
        let mut done = 0;
        for segment in &mut self.segments {
            if written < segment.len() {
                let _ = segment.split_to(written);
                break;
            }
            written -= segment.len();
            done += 1;
        }
        self.segments.drain(..done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_segments_coalesce_and_order_is_kept() {
        let mut outbox = Outbox::new();
        outbox.push(Bytes::from_static(b"head "));
        outbox.push(Bytes::from(vec![b'x'; 5000]));
        outbox.push(Bytes::from_static(b" tail"));
        assert_eq!(outbox.len(), 5010);
        let mut sink = futures_lite::io::Cursor::new(Vec::new());
        smol::block_on(std::future::poll_fn(|cx| {
            outbox.poll_write_to(&mut sink, cx)
        }))
        .unwrap();
        let written = sink.into_inner();
        assert_eq!(&written[..5], b"head ");
        assert_eq!(written.len(), 5010);
        assert!(written.ends_with(b"x tail"));
        assert_eq!(outbox.len(), 0);
    }

    /// Takes at most three bytes per call and is not ready every other call.
    struct Trickle {
        written: Vec<u8>,
        calls: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.calls += 1;
            if self.calls.is_multiple_of(2) {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let n = buf.len().min(3);
            self.written.extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn a_write_that_has_to_wait_resumes_where_it_stopped() {
        let mut outbox = Outbox::new();
        let body = vec![b'x'; 5000];
        outbox.push(Bytes::from_static(b"head "));
        outbox.push(Bytes::from(body.clone()));
        outbox.push(Bytes::from_static(b" tail"));
        let mut sink = Trickle {
            written: Vec::new(),
            calls: 0,
        };
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut pending = 0;
        while outbox.poll_write_to(&mut sink, &mut cx).is_pending() {
            pending += 1;
        }
        assert!(pending > 1000, "{pending}");
        let expected = [&b"head "[..], &body, b" tail"].concat();
        assert!(sink.written == expected, "bytes lost or repeated");
        assert_eq!(outbox.len(), 0);
    }
}
