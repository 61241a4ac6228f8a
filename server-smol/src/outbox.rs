//! The write side shared by both drivers: queued segments, small ones
//! coalesced into one buffer (reused across writes), written vectored.

use std::io::{self, IoSlice};

use bytes::{Bytes, BytesMut};
use futures_lite::{AsyncWrite, AsyncWriteExt};

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
}

impl Outbox {
    pub(crate) fn new() -> Self {
        Self {
            segments: Vec::new(),
            len: 0,
            // Grown on first use: an idle connection should hold no buffer.
            coalesce: BytesMut::new(),
        }
    }

    /// Queued bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
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
    /// not take it within `timeout` (a client that stops reading must not
    /// hold its connection forever). The timer is only armed when the write
    /// does not complete at once, so the usual write costs no timer.
    pub(crate) async fn write_within<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        timeout: std::time::Duration,
    ) -> io::Result<()> {
        let mut write = std::pin::pin!(self.write_to(io));
        if let Some(result) = futures_lite::future::poll_once(&mut write).await {
            return result;
        }
        crate::io::with_timeout(timeout, write).await
    }

    /// Writes everything queued, vectored, then flushes `io`.
    pub(crate) async fn write_to<W: AsyncWrite + Unpin>(&mut self, io: &mut W) -> io::Result<()> {
        self.coalesce_small();
        if let [only] = self.segments.as_mut_slice() {
            // One buffer (the usual small response): a plain write is cheaper
            // than writev, and TLS takes one slice per call anyway.
            while !only.is_empty() {
                let n = io.write(only).await?;
                if n == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                let _ = only.split_to(n);
            }
            self.segments.clear();
            self.len = 0;
            return io.flush().await;
        }
        let mut first = 0;
        while first < self.segments.len() {
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let batch = self.segments.get(first..).unwrap_or_default();
            let count = batch.len().min(MAX_IOVECS);
            for (slice, bytes) in slices.iter_mut().zip(batch) {
                *slice = IoSlice::new(bytes);
            }
            let mut written = io
                .write_vectored(slices.get(..count).unwrap_or_default())
                .await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            while written > 0 {
                let Some(segment) = self.segments.get_mut(first) else {
                    break;
                };
                if written >= segment.len() {
                    written -= segment.len();
                    first += 1;
                } else {
                    let _ = segment.split_to(written);
                    written = 0;
                }
            }
        }
        self.segments.clear();
        self.len = 0;
        io.flush().await
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
        smol::block_on(outbox.write_to(&mut sink)).unwrap();
        let written = sink.into_inner();
        assert_eq!(&written[..5], b"head ");
        assert_eq!(written.len(), 5010);
        assert!(written.ends_with(b"x tail"));
        assert_eq!(outbox.len(), 0);
    }
}
