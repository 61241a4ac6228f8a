//! Body chunks that never pin a connection's read buffer.
//!
//! A protocol crate hands body data out as `Bytes`, and the application may keep a chunk
//! for as long as it likes (a slow reader, a buffered upload). A zero-copy slice of the
//! read buffer keeps that buffer's whole allocation alive, including bytes the peer sent
//! for free alongside the chunk: an ignored HTTP/2 frame, padding, chunk-size filler. So
//! a chunk is handed out zero-copy only when it is a large share of the allocation it
//! would pin; otherwise it is copied out, and what the application holds is bounded by
//! the body bytes it accepted, not by the bytes the peer sent.

use bytes::{Bytes, BytesMut};

/// A zero-copy chunk may pin at most this many times its own length.
const MAX_PINNED_PER_BYTE: usize = 4;

/// The allocation a connection's read buffer currently lives in, as far as it can be
/// seen from the outside: `BytesMut` does not report it, so it is noted whenever the
/// buffer may have moved to a new one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadAllocation {
    /// Address of the first byte of the allocation (as seen when it was first noted).
    start: usize,
    /// Bytes from `start` to the end of the allocation.
    size: usize,
}

impl ReadAllocation {
    /// Notes where `buf` lives after it may have grown: call it after every append to
    /// the read buffer and every `reserve`. A buffer still inside the noted allocation
    /// (bytes consumed from its front, or moved back to its start) keeps it; anything
    /// else is a new allocation, which starts at the buffer's first byte.
    pub fn note(&mut self, buf: &BytesMut) {
        let at = buf.as_ptr() as usize;
        let end = self.start.saturating_add(self.size);
        if self.size == 0 || at < self.start || at >= end {
            self.start = at;
            self.size = buf.capacity();
        } else {
            // The same allocation, perhaps grown in place by the allocator.
            self.size = end.max(at.saturating_add(buf.capacity())) - self.start;
        }
    }

    /// Notes a buffer adopted from the caller (`recv_owned`): always a new allocation,
    /// even if an old one it replaces was freed at the same address.
    pub fn adopt(&mut self, buf: &BytesMut) {
        self.size = 0;
        self.note(buf);
    }

    /// The size of the allocation a slice of the read buffer would keep alive.
    pub fn size(&self) -> usize {
        self.size
    }

    /// A body chunk sliced from the read buffer, ready to be handed out: unchanged when it
    /// is at least a quarter of the allocation it pins, otherwise copied into an
    /// allocation of its own.
    #[must_use]
    pub fn detach(&self, chunk: Bytes) -> Bytes {
        if chunk.is_empty() || chunk.len().saturating_mul(MAX_PINNED_PER_BYTE) >= self.size {
            chunk
        } else {
            Bytes::copy_from_slice(&chunk)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_chunks_are_copied_large_ones_are_not() {
        let mut buf = BytesMut::with_capacity(64 * 1024);
        buf.extend_from_slice(&[b'x'; 64 * 1024]);
        let mut alloc = ReadAllocation::default();
        alloc.note(&buf);
        assert_eq!(alloc.size(), 64 * 1024);

        let small = alloc.detach(buf.split_to(100).freeze());
        assert!(small.is_unique(), "a copy owns its allocation");
        assert_eq!(small.try_into_mut().unwrap().capacity(), 100);

        let large = buf.split_to(16 * 1024).freeze();
        let at = large.as_ptr();
        let large = alloc.detach(large);
        assert_eq!(
            large.as_ptr(),
            at,
            "a quarter of the allocation stays a slice"
        );
    }

    #[test]
    fn consumed_bytes_do_not_hide_the_allocation() {
        // 16 KiB of filler, then a 10-byte chunk, in one allocation: the chunk would pin
        // the filler, though the buffer's own view has shrunk to the chunk.
        let mut buf = BytesMut::with_capacity(16 * 1024 + 10);
        buf.extend_from_slice(&[0; 16 * 1024 + 10]);
        let mut alloc = ReadAllocation::default();
        alloc.note(&buf);
        drop(buf.split_to(16 * 1024));
        alloc.note(&buf);
        assert_eq!(alloc.size(), 16 * 1024 + 10);
        let chunk = alloc.detach(buf.split_to(10).freeze());
        assert!(chunk.is_unique());
    }

    #[test]
    fn a_new_allocation_is_noticed() {
        let mut buf = BytesMut::with_capacity(8);
        let mut alloc = ReadAllocation::default();
        alloc.note(&buf);
        buf.extend_from_slice(&[0; 8]);
        let held = buf.split_to(8).freeze();
        buf.extend_from_slice(&[0; 100_000]);
        alloc.note(&buf);
        assert!(alloc.size() >= 100_000);
        drop(held);
        alloc.adopt(&BytesMut::with_capacity(10));
        assert_eq!(alloc.size(), 10);
    }
}
