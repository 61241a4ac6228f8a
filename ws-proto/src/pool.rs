//! Reuse of large message buffers across messages and connections.
//!
//! A large message is assembled in a buffer of its own, handed to the application as
//! [`Bytes`], and usually dropped soon after (an echo, a forward). Freed, a buffer of
//! tens of KiB goes back to the allocator, which may return the pages to the kernel
//! (glibc trims the top of its heap past 128 KiB free), and the next message's buffer
//! then faults fresh zeroed pages in: a profile of a 64 KiB echo put a third of the
//! server's time there. Handed out through [`into_bytes`], a buffer comes back here once
//! the last `Bytes` that refers to it is dropped, and the next large message takes it.
//!
//! The pool must cover the messages in progress at once, not one: a server with 64
//! connections that each send 64 KiB has dozens half-received at any time, and a pool
//! of eight left the rest to fault in fresh pages (4.5 page faults per message still).
//! What is kept is bounded by what was received, not by what a peer announces: only
//! buffers that held a whole message come back, none larger than [`LARGEST`], and at
//! most [`KEPT_BYTES`] of them in all, shared by every connection given the same
//! [`BufferPool`]. Small messages never take one (a retained small message must not pin
//! a large buffer).
//!
//! The pool belongs to the embedder, not to this crate: a sans-IO crate keeps no state
//! of its own beyond its connections, so the driver decides which connections share one
//! (a server makes one per worker thread, so that its connections reuse the buffers
//! warm in that core's cache) and a connection given none allocates each buffer afresh.

use std::fmt;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

/// Bytes of buffer capacity kept for reuse, in all.
const KEPT_BYTES: usize = 8 * 1024 * 1024;

/// The largest buffer kept; larger ones go back to the allocator.
const LARGEST: usize = 512 * 1024;

/// The smallest buffer worth keeping: below this, the allocator's own free lists do as
/// well, and a small retained message would pin it.
pub(crate) const SMALLEST: usize = 4096;

/// Buffers of large received messages, kept for the next ones (see the module
/// documentation): set [`Config::buffer_pool`](crate::Config::buffer_pool) to share one
/// among connections. Cheap to clone; the clones share the same buffers, at most 8 MiB
/// of them in all.
#[derive(Clone, Default)]
pub struct BufferPool(Arc<Pool>);

impl BufferPool {
    /// An empty pool.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes of buffer capacity kept now.
    #[must_use]
    pub fn kept_bytes(&self) -> usize {
        self.0.free.lock().map_or(0, |free| free.bytes)
    }
}

impl fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferPool")
            .field("kept_bytes", &self.kept_bytes())
            .finish()
    }
}

/// Two configurations are the same when they share one pool, not merely two pools
/// that hold alike.
impl PartialEq for BufferPool {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for BufferPool {}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for BufferPool {
    fn arbitrary(_: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self::new())
    }
}

/// An empty buffer for a message of at least `expected` bytes: a kept one when `pool`
/// has one, a new one otherwise.
pub(crate) fn take(pool: Option<&BufferPool>, expected: usize) -> Vec<u8> {
    pool.map_or_else(Vec::new, |pool| pool.0.take(expected))
}

/// The message in `buf` as `Bytes` that return the buffer to `pool` when the last of
/// them is dropped; without a pool, or outside the kept sizes, plain `Bytes`.
pub(crate) fn into_bytes(pool: Option<&BufferPool>, buf: Vec<u8>) -> Bytes {
    match pool {
        Some(pool) => Pool::lend(&pool.0, buf),
        None => Bytes::from(buf),
    }
}

/// Kept buffers, the most recently returned last (the warmest in cache is taken first).
#[derive(Default)]
struct Pool {
    free: Mutex<Free>,
}

/// The kept buffers and their capacity in all.
#[derive(Default)]
struct Free {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

impl Pool {
    /// The smallest kept buffer that holds `expected` bytes, else the largest (it grows
    /// once, in memory already mapped); none several times larger than the message, which
    /// the application could keep and so pin the difference.
    fn take(&self, expected: usize) -> Vec<u8> {
        if expected < SMALLEST {
            return Vec::new();
        }
        let Ok(mut free) = self.free.lock() else {
            return Vec::new();
        };
        let buffers = &free.buffers;
        let fits = |buf: &&Vec<u8>| buf.capacity() >= expected;
        let pick = buffers
            .iter()
            .enumerate()
            .filter(|(_, buf)| fits(buf))
            .min_by_key(|(_, buf)| buf.capacity())
            .or_else(|| {
                buffers
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, buf)| buf.capacity())
            })
            .map(|(i, _)| i)
            .filter(|&i| buffers[i].capacity() / 4 <= expected);
        match pick {
            Some(i) => {
                let mut buf = free.buffers.swap_remove(i);
                free.bytes -= buf.capacity();
                buf.clear();
                buf
            }
            None => Vec::new(),
        }
    }

    fn lend(this: &Arc<Self>, buf: Vec<u8>) -> Bytes {
        if (SMALLEST..=LARGEST).contains(&buf.capacity()) && buf.len() >= SMALLEST {
            Bytes::from_owner(Returned {
                buf,
                pool: this.clone(),
            })
        } else {
            Bytes::from(buf)
        }
    }

    fn give(&self, buf: Vec<u8>) {
        // A poisoned lock or a full pool: the buffer is simply freed.
        if let Ok(mut free) = self.free.lock()
            && free.bytes + buf.capacity() <= KEPT_BYTES
        {
            free.bytes += buf.capacity();
            free.buffers.push(buf);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.free.lock().map_or(0, |free| free.buffers.len())
    }
}

/// A buffer on loan to the application, returned on drop.
struct Returned {
    buf: Vec<u8>,
    pool: Arc<Pool>,
}

impl AsRef<[u8]> for Returned {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Returned {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Arc<Pool> {
        Arc::default()
    }

    impl Pool {
        fn lend_to(self: &Arc<Self>, buf: Vec<u8>) -> Bytes {
            Pool::lend(self, buf)
        }
    }

    fn filled(capacity: usize, len: usize) -> Vec<u8> {
        let mut buf = Vec::with_capacity(capacity);
        buf.resize(len, 7);
        buf
    }

    #[test]
    fn a_dropped_message_lends_its_buffer_to_the_next() {
        let pool = pool();
        let buf = filled(64 * 1024, 64 * 1024);
        let at = buf.as_ptr();
        let message = pool.lend_to(buf);
        let copy = message.slice(10..20);
        drop(message);
        // Still referred to by the slice: not back yet.
        assert_eq!(pool.len(), 0);
        assert_eq!(copy[0], 7);
        drop(copy);
        let next = pool.take(64 * 1024);
        assert_eq!(next.as_ptr(), at);
        assert!(next.is_empty());
        assert_eq!(next.capacity(), 64 * 1024);
    }

    #[test]
    fn small_messages_neither_take_nor_return_buffers() {
        let pool = pool();
        drop(pool.lend_to(filled(SMALLEST * 2, SMALLEST)));
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.take(SMALLEST - 1).capacity(), 0);
        // A small message in a large buffer would pin it: not handed out this way.
        drop(pool.lend_to(filled(SMALLEST * 2, 10)));
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn a_message_takes_the_closest_buffer_and_none_far_larger() {
        let pool = pool();
        for capacity in [SMALLEST, 64 * 1024, 256 * 1024] {
            drop(pool.lend_to(filled(capacity, capacity)));
        }
        // Far larger than the message: left for a larger one.
        let mut small = filled(SMALLEST * 2, SMALLEST);
        drop(pool.lend_to(std::mem::take(&mut small)));
        assert_eq!(pool.take(40 * 1024).capacity(), 64 * 1024);
        assert_eq!(pool.take(300 * 1024).capacity(), 256 * 1024);
        assert_eq!(pool.take(SMALLEST).capacity(), SMALLEST);
        assert_eq!(pool.take(SMALLEST).capacity(), SMALLEST * 2);
        assert_eq!(pool.len(), 0);
        drop(pool.lend_to(filled(256 * 1024, 256 * 1024)));
        assert_eq!(pool.take(SMALLEST).capacity(), 0);
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn what_is_kept_is_bounded() {
        let pool = pool();
        let messages: Vec<Bytes> = (0..KEPT_BYTES / LARGEST * 2)
            .map(|_| pool.lend_to(filled(LARGEST, LARGEST)))
            .collect();
        drop(messages);
        assert_eq!(pool.len(), KEPT_BYTES / LARGEST);

        let pool = super::tests::pool();
        drop(pool.lend_to(filled(LARGEST + 1, LARGEST + 1)));
        assert_eq!(pool.len(), 0);
    }
}
