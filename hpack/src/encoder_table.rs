//! The encoder's copy of the peer decoder's dynamic table, indexed by hash
//! and addressed by absolute index: HPACK's (RFC 7541 §2.3.2, §4) and
//! QPACK's (RFC 9204 §3.2), which evict the same way.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use crate::InsertionHistory;
use crate::table::entry_size;

/// A match in an [`EncoderTable`], by absolute index: the number of entries
/// inserted before it (RFC 9204 §3.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableMatch {
    /// An entry with the name and the value.
    Field(u64),
    /// The newest entry with the name.
    Name(u64),
}

/// The encoder's copy of the dynamic table the peer's decoder keeps, oldest
/// entry first, evicting oldest first (RFC 7541 §4.4, RFC 9204 §3.2.2).
///
/// Eviction can be told to keep every entry from an absolute index on: a
/// QPACK encoder may not evict an entry that an unacknowledged section still
/// refers to (RFC 9204 §2.1.1). An HPACK encoder pins nothing
/// ([`EncoderTable::NOTHING_PINNED`]). Public for the QPACK encoder.
///
/// Names and values are copied into one buffer rather than held as `Bytes`:
/// a copy of a short string is cheaper than the reference counting of a
/// clone, and lookups compare against memory that is already in cache.
#[derive(Debug)]
pub struct EncoderTable {
    /// Oldest first: `entries[0]` has absolute index `dropped`.
    entries: VecDeque<Entry>,
    dropped: u64,
    size: usize,
    capacity: usize,
    /// Field hash → absolute index of the newest entry with that field.
    by_field: HashMap<u64, u64, BuildHasherDefault<Prehashed>>,
    /// Name hash → absolute index of the newest entry with that name.
    by_name: HashMap<u64, u64, BuildHasherDefault<Prehashed>>,
    /// Each entry's name then value, oldest first. Evicted bytes at the front
    /// are dropped in bulk once they are at least half of the buffer.
    data: Vec<u8>,
    /// The position in the stream of all inserted bytes where `data` starts.
    data_base: u64,
    /// What eviction shows about which names' entries get used.
    history: InsertionHistory,
}

#[derive(Debug)]
struct Entry {
    /// Position of the name in the stream of inserted bytes; the value
    /// follows it.
    start: u64,
    name_len: usize,
    value_len: usize,
    name_hash: u64,
    field_hash: u64,
    /// Whether a section has referred to the entry since it was inserted.
    used: bool,
}

impl EncoderTable {
    /// For `pinned_from`: every entry may be evicted.
    pub const NOTHING_PINNED: u64 = u64::MAX;

    /// An empty table with room for `capacity` bytes of entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            dropped: 0,
            size: 0,
            capacity,
            by_field: HashMap::default(),
            by_name: HashMap::default(),
            data: Vec::new(),
            data_base: 0,
            history: InsertionHistory::default(),
        }
    }

    /// The most bytes the entries may count for.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The bytes the entries count for: name + value + 32 each.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Entries inserted since the table was made; the newest has absolute
    /// index `insert_count() - 1`.
    pub fn insert_count(&self) -> u64 {
        self.dropped + self.entries.len() as u64
    }

    /// What eviction has shown about which names' entries get used; the
    /// encoder asks it whether a field is worth an entry.
    pub fn history_mut(&mut self) -> &mut InsertionHistory {
        &mut self.history
    }

    /// Whether the entry with absolute index `index` is still in the table.
    pub fn contains(&self, index: u64) -> bool {
        self.get(index).is_some()
    }

    fn get(&self, index: u64) -> Option<&Entry> {
        let at = usize::try_from(index.checked_sub(self.dropped)?).ok()?;
        self.entries.get(at)
    }

    fn fields(&self, entry: &Entry) -> Option<(&[u8], &[u8])> {
        let start = usize::try_from(entry.start.checked_sub(self.data_base)?).ok()?;
        let name_end = start.checked_add(entry.name_len)?;
        let bytes = self
            .data
            .get(start..name_end.checked_add(entry.value_len)?)?;
        Some(bytes.split_at(entry.name_len))
    }

    /// The newest entry with `name` and `value`, else the newest with
    /// `name`, found by the hashes they were inserted with.
    pub fn find(
        &self,
        name_hash: u64,
        field_hash: u64,
        name: &[u8],
        value: &[u8],
    ) -> Option<TableMatch> {
        if let Some(&index) = self.by_field.get(&field_hash)
            && let Some(entry) = self.get(index)
            && self.fields(entry) == Some((name, value))
        {
            return Some(TableMatch::Field(index));
        }
        let index = *self.by_name.get(&name_hash)?;
        let entry = self.get(index)?;
        (self.fields(entry)?.0 == name).then_some(TableMatch::Name(index))
    }

    /// Records that a field line referred to the entry, for
    /// [`EncoderTable::history_mut`].
    pub fn mark_used(&mut self, index: u64) {
        if let Some(at) = index
            .checked_sub(self.dropped)
            .and_then(|at| usize::try_from(at).ok())
            && let Some(entry) = self.entries.get_mut(at)
        {
            entry.used = true;
        }
    }

    /// Changes the capacity if the entries that must stay (from absolute
    /// index `pinned_from` on) fit in it; returns whether it did.
    pub fn set_capacity(&mut self, capacity: usize, pinned_from: u64) -> bool {
        if !self.evict_to(capacity, pinned_from) {
            return false;
        }
        self.capacity = capacity;
        true
    }

    /// Evicts so that an entry of `size` fits, unless that would evict an
    /// entry at or after `pinned_from`; returns whether the room was made.
    pub fn make_room(&mut self, size: usize, pinned_from: u64) -> bool {
        size <= self.capacity && self.evict_to(self.capacity - size, pinned_from)
    }

    /// Adds an entry for which [`EncoderTable::make_room`] made room and
    /// returns its absolute index. The hashes are what
    /// [`EncoderTable::find`] will be asked with.
    pub fn insert(&mut self, name: &[u8], value: &[u8], name_hash: u64, field_hash: u64) -> u64 {
        let index = self.insert_count();
        self.size += entry_size(name.len(), value.len());
        self.by_field.insert(field_hash, index);
        self.by_name.insert(name_hash, index);
        let start = self.data_base + self.data.len() as u64;
        self.data.extend_from_slice(name);
        self.data.extend_from_slice(value);
        self.entries.push_back(Entry {
            start,
            name_len: name.len(),
            value_len: value.len(),
            name_hash,
            field_hash,
            used: false,
        });
        index
    }

    /// Evicts oldest first down to `target` bytes, if that needs no entry at
    /// or after `pinned_from`; otherwise evicts nothing and returns false.
    fn evict_to(&mut self, target: usize, pinned_from: u64) -> bool {
        let mut size = self.size;
        let mut count = 0u64;
        for entry in &self.entries {
            if size <= target {
                break;
            }
            if self.dropped + count >= pinned_from {
                return false;
            }
            size -= entry_size(entry.name_len, entry.value_len);
            count += 1;
        }
        if size > target {
            return false;
        }
        for _ in 0..count {
            let index = self.dropped;
            let Some(entry) = self.entries.pop_front() else {
                break;
            };
            self.dropped += 1;
            self.history.record_eviction(entry.name_hash, entry.used);
            // Only forget the hash if no newer entry has taken it over.
            if self.by_field.get(&entry.field_hash) == Some(&index) {
                self.by_field.remove(&entry.field_hash);
            }
            if self.by_name.get(&entry.name_hash) == Some(&index) {
                self.by_name.remove(&entry.name_hash);
            }
        }
        self.size = size;
        // Drop the evicted bytes once they are the larger part of the buffer,
        // so each byte is moved at most once on average.
        let live_start = self
            .entries
            .front()
            .map_or(self.data_base + self.data.len() as u64, |oldest| {
                oldest.start
            });
        let dead = usize::try_from(live_start - self.data_base).unwrap_or(0);
        if dead > 0 && dead >= self.data.len() / 2 {
            self.data.drain(..dead.min(self.data.len()));
            self.data_base = live_start;
        }
        true
    }
}

/// A `Hasher` for keys that already are well-mixed hashes.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = crate::hash(self.0, bytes);
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}
