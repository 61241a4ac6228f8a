//! The static table (RFC 7541 Appendix A), the decoder's dynamic table
//! (RFC 7541 §2.3.2, §4) and the field hash the encoder indexes both by.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::DecodeError;

/// The static table, `STATIC[i - 1]` being index `i` (RFC 7541 Appendix A).
pub(crate) const STATIC: [(&[u8], &[u8]); 61] = [
    (b":authority", b""),
    (b":method", b"GET"),
    (b":method", b"POST"),
    (b":path", b"/"),
    (b":path", b"/index.html"),
    (b":scheme", b"http"),
    (b":scheme", b"https"),
    (b":status", b"200"),
    (b":status", b"204"),
    (b":status", b"206"),
    (b":status", b"304"),
    (b":status", b"400"),
    (b":status", b"404"),
    (b":status", b"500"),
    (b"accept-charset", b""),
    (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b""),
    (b"accept-ranges", b""),
    (b"accept", b""),
    (b"access-control-allow-origin", b""),
    (b"age", b""),
    (b"allow", b""),
    (b"authorization", b""),
    (b"cache-control", b""),
    (b"content-disposition", b""),
    (b"content-encoding", b""),
    (b"content-language", b""),
    (b"content-length", b""),
    (b"content-location", b""),
    (b"content-range", b""),
    (b"content-type", b""),
    (b"cookie", b""),
    (b"date", b""),
    (b"etag", b""),
    (b"expect", b""),
    (b"expires", b""),
    (b"from", b""),
    (b"host", b""),
    (b"if-match", b""),
    (b"if-modified-since", b""),
    (b"if-none-match", b""),
    (b"if-range", b""),
    (b"if-unmodified-since", b""),
    (b"last-modified", b""),
    (b"link", b""),
    (b"location", b""),
    (b"max-forwards", b""),
    (b"proxy-authenticate", b""),
    (b"proxy-authorization", b""),
    (b"range", b""),
    (b"referer", b""),
    (b"refresh", b""),
    (b"retry-after", b""),
    (b"server", b""),
    (b"set-cookie", b""),
    (b"strict-transport-security", b""),
    (b"transfer-encoding", b""),
    (b"user-agent", b""),
    (b"vary", b""),
    (b"via", b""),
    (b"www-authenticate", b""),
];

/// Entries of the static table: index 62 is the newest dynamic entry.
pub(crate) const STATIC_LEN: usize = STATIC.len();

/// The size an entry counts for in a dynamic table: its name, its value and 32
/// bytes of overhead (RFC 7541 §4.1).
pub(crate) const fn entry_size(name_len: usize, value_len: usize) -> usize {
    name_len.saturating_add(value_len).saturating_add(32)
}

/// A fast non-cryptographic hash (the Fx scheme) over `bytes`, chained from
/// `seed`. Table sizes are small and keys come from the local application, so
/// flooding resistance is not needed; the encoder verifies every hit anyway.
pub(crate) const fn hash(seed: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut hash = seed;
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let word = u64::from_le_bytes([
            bytes[at],
            bytes[at + 1],
            bytes[at + 2],
            bytes[at + 3],
            bytes[at + 4],
            bytes[at + 5],
            bytes[at + 6],
            bytes[at + 7],
        ]);
        hash = (hash.rotate_left(5) ^ word).wrapping_mul(K);
        at += 8;
    }
    let mut tail = 0u64;
    let mut shift = 0;
    while at < bytes.len() {
        tail |= (bytes[at] as u64) << shift;
        shift += 8;
        at += 1;
    }
    hash = (hash.rotate_left(5) ^ tail).wrapping_mul(K);
    hash = (hash.rotate_left(5) ^ bytes.len() as u64).wrapping_mul(K);
    // Fold the well-mixed high half into the low bits hash tables index by.
    hash ^ (hash >> 32)
}

/// Slots of the static name index: a power of two comfortably above the 52
/// distinct names, so probes are short.
const STATIC_SLOTS: usize = 128;

/// Open-addressed index from a name hash to the first static entry with that
/// name (0 marks an empty slot; static indices start at 1).
const STATIC_BY_NAME: [u8; STATIC_SLOTS] = {
    let mut slots = [0u8; STATIC_SLOTS];
    let mut index = 1;
    while index <= STATIC_LEN {
        let name = STATIC[index - 1].0;
        let is_first = index == 1 || !bytes_eq(STATIC[index - 2].0, name);
        if is_first {
            let mut slot = (hash(0, name) as usize) % STATIC_SLOTS;
            while slots[slot] != 0 {
                slot = (slot + 1) % STATIC_SLOTS;
            }
            slots[slot] = index as u8;
        }
        index += 1;
    }
    slots
};

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut at = 0;
    while at < a.len() {
        if a[at] != b[at] {
            return false;
        }
        at += 1;
    }
    true
}

/// A match in the static table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StaticMatch {
    /// Name and value are both at this index.
    Field(usize),
    /// The name is at this index (its first occurrence), the value is not.
    Name(usize),
}

/// Finds `name` (whose [`hash`] with seed 0 is `name_hash`) and, if possible,
/// `value` in the static table.
pub(crate) fn find_static(name_hash: u64, name: &[u8], value: &[u8]) -> Option<StaticMatch> {
    let mut slot = (name_hash as usize) % STATIC_SLOTS;
    loop {
        let first = usize::from(STATIC_BY_NAME[slot]);
        let (first_name, _) = *STATIC.get(first.checked_sub(1)?)?;
        if first_name == name {
            // Entries sharing a name are adjacent in the static table.
            let mut index = first;
            while let Some(&(entry_name, entry_value)) = STATIC.get(index - 1) {
                if entry_name != name {
                    break;
                }
                if entry_value == value {
                    return Some(StaticMatch::Field(index));
                }
                index += 1;
            }
            return Some(StaticMatch::Name(first));
        }
        slot = (slot + 1) % STATIC_SLOTS;
    }
}

/// The decoder's dynamic table: a FIFO of fields bounded by a byte size.
#[derive(Debug)]
pub(crate) struct DynamicTable {
    /// Newest first, so dynamic index 62 is `entries[0]`.
    entries: VecDeque<(Bytes, Bytes)>,
    size: usize,
    capacity: usize,
}

impl DynamicTable {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            size: 0,
            capacity,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entries, newest (index 62) first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(Bytes, Bytes)> {
        self.entries.iter()
    }

    /// The field at a combined index (RFC 7541 §2.3.3).
    pub(crate) fn get(&self, index: usize) -> Result<(Bytes, Bytes), DecodeError> {
        if let Some(&(name, value)) = index.checked_sub(1).and_then(|at| STATIC.get(at)) {
            return Ok((Bytes::from_static(name), Bytes::from_static(value)));
        }
        index
            .checked_sub(STATIC_LEN + 1)
            .and_then(|at| self.entries.get(at))
            .cloned()
            .ok_or(DecodeError::InvalidIndex(index))
    }

    /// The name at a combined index, for literals with an indexed name.
    pub(crate) fn name(&self, index: usize) -> Result<Bytes, DecodeError> {
        if let Some(&(name, _)) = index.checked_sub(1).and_then(|at| STATIC.get(at)) {
            return Ok(Bytes::from_static(name));
        }
        index
            .checked_sub(STATIC_LEN + 1)
            .and_then(|at| self.entries.get(at))
            .map(|(name, _)| name.clone())
            .ok_or(DecodeError::InvalidIndex(index))
    }

    /// Adds a field, evicting the oldest entries to make room; a field larger
    /// than the whole table empties it and is not added (RFC 7541 §4.4).
    pub(crate) fn insert(&mut self, name: Bytes, value: Bytes) {
        let size = entry_size(name.len(), value.len());
        if size > self.capacity {
            self.entries.clear();
            self.size = 0;
            return;
        }
        self.evict_to(self.capacity - size);
        self.size += size;
        self.entries.push_front((name, value));
    }

    /// Applies a dynamic table size update (RFC 7541 §4.3, §6.3).
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.evict_to(capacity);
    }

    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            let Some((name, value)) = self.entries.pop_back() else {
                self.size = 0;
                break;
            };
            self.size -= entry_size(name.len(), value.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_lookup_finds_every_entry() {
        for (at, &(name, value)) in STATIC.iter().enumerate() {
            let index = at + 1;
            let found = find_static(hash(0, name), name, value);
            assert_eq!(found, Some(StaticMatch::Field(index)), "{index}");
            let first = STATIC.iter().position(|&(n, _)| n == name).unwrap() + 1;
            assert_eq!(
                find_static(hash(0, name), name, b"\x00unlikely"),
                Some(StaticMatch::Name(first))
            );
        }
        assert_eq!(find_static(hash(0, b"x-custom"), b"x-custom", b""), None);
        assert_eq!(find_static(hash(0, b""), b"", b""), None);
    }

    #[test]
    fn eviction_keeps_size_accounting() {
        let mut table = DynamicTable::new(100);
        table.insert(Bytes::from_static(b"aaaa"), Bytes::from_static(b"1111")); // 40
        table.insert(Bytes::from_static(b"bbbb"), Bytes::from_static(b"2222")); // 80
        assert_eq!((table.len(), table.size()), (2, 80));
        table.insert(Bytes::from_static(b"cccc"), Bytes::from_static(b"3333")); // evicts aaaa
        assert_eq!((table.len(), table.size()), (2, 80));
        assert_eq!(table.get(62).unwrap().0, "cccc");
        assert_eq!(table.get(63).unwrap().0, "bbbb");
        assert_eq!(table.get(64), Err(DecodeError::InvalidIndex(64)));
        table.insert(Bytes::from(vec![b'x'; 69]), Bytes::new()); // 101 > 100: empties
        assert_eq!((table.len(), table.size()), (0, 0));
        assert_eq!(table.get(0), Err(DecodeError::InvalidIndex(0)));
    }
}
