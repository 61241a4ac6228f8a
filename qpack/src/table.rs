//! The decoder's dynamic table (RFC 9204 §3.2), addressed by absolute index.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// The size an entry counts for: its name, its value and 32 bytes of
/// overhead (RFC 9204 §3.2.1).
pub(crate) const fn entry_size(name_len: usize, value_len: usize) -> usize {
    name_len.saturating_add(value_len).saturating_add(32)
}

/// How much the table's own storage grows by at a time, so that many small
/// entries share one allocation.
const ARENA_CHUNK: usize = 4096;

/// A FIFO of fields bounded by a byte size.
///
/// Entries own their bytes, copied into the table's storage: a slice of the
/// encoder stream's buffer would keep that whole buffer alive with it.
#[derive(Debug)]
pub(crate) struct DynamicTable {
    /// Oldest first: `entries[0]` has absolute index `dropped`.
    entries: VecDeque<(Bytes, Bytes)>,
    /// Entries evicted so far: the absolute index of the oldest live entry.
    dropped: u64,
    size: usize,
    capacity: usize,
    arena: BytesMut,
}

impl DynamicTable {
    pub(crate) fn new() -> Self {
        Self {
            entries: VecDeque::new(),
            dropped: 0,
            size: 0,
            capacity: 0,
            arena: BytesMut::new(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Entries inserted since the connection began (RFC 9204 §3.2.4).
    pub(crate) fn insert_count(&self) -> u64 {
        self.dropped + self.entries.len() as u64
    }

    /// The entry with absolute index `index`, if it is still in the table.
    #[inline]
    pub(crate) fn get(&self, index: u64) -> Option<&(Bytes, Bytes)> {
        let at = usize::try_from(index.checked_sub(self.dropped)?).ok()?;
        self.entries.get(at)
    }

    /// Evicts oldest first until the table fits `capacity`, then keeps it.
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.evict_to(capacity);
    }

    /// Adds an entry the caller has checked fits the capacity, evicting as
    /// needed (RFC 9204 §3.2.2). The bytes are copied in.
    pub(crate) fn insert(&mut self, name: &[u8], value: &[u8]) {
        let size = entry_size(name.len(), value.len());
        self.evict_to(self.capacity.saturating_sub(size));
        let len = name.len() + value.len();
        if self.arena.capacity() - self.arena.len() < len {
            self.arena.reserve(len.max(ARENA_CHUNK));
        }
        self.arena.extend_from_slice(name);
        let name = self.arena.split().freeze();
        self.arena.extend_from_slice(value);
        let value = self.arena.split().freeze();
        self.entries.push_back((name, value));
        self.size += size;
    }

    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            let Some((name, value)) = self.entries.pop_front() else {
                self.size = 0;
                break;
            };
            self.size -= entry_size(name.len(), value.len());
            self.dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_indices_survive_eviction() {
        let mut table = DynamicTable::new();
        table.set_capacity(100);
        table.insert(b"aaaa", b"1111"); // 40
        table.insert(b"bbbb", b"2222"); // 80
        table.insert(b"cccc", b"3333"); // evicts absolute 0
        assert_eq!((table.insert_count(), table.size()), (3, 80));
        assert!(table.get(0).is_none());
        assert_eq!(table.get(1).unwrap().0, "bbbb");
        assert_eq!(table.get(2).unwrap().1, "3333");
        assert!(table.get(3).is_none());
        table.set_capacity(40);
        assert!(table.get(1).is_none());
        assert_eq!(table.size(), 40);
    }
}
