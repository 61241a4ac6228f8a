//! The static table (RFC 7541 Appendix A), the decoder's dynamic table
//! (RFC 7541 §2.3.2, §4) and the field hash the encoder indexes both by.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

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

/// Multiplies and folds the two halves of the 128-bit product: a fast mixer
/// with good output in every bit (the core of foldhash and wyhash).
#[inline(always)]
const fn folded_multiply(x: u64, y: u64) -> u64 {
    let full = (x as u128).wrapping_mul(y as u128);
    (full as u64) ^ ((full >> 64) as u64)
}

/// Digits of pi, as arbitrary odd-looking constants.
const HASH_KEYS: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];

#[inline(always)]
const fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes([
        bytes[at],
        bytes[at + 1],
        bytes[at + 2],
        bytes[at + 3],
        bytes[at + 4],
        bytes[at + 5],
        bytes[at + 6],
        bytes[at + 7],
    ])
}

#[inline(always)]
const fn read_u32(bytes: &[u8], at: usize) -> u64 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as u64
}

/// A fast non-cryptographic hash over `bytes`, chained from `seed`: sixteen
/// bytes per multiply. Table sizes are small and keys come from the local
/// application, so flooding resistance is not needed; the encoder verifies
/// every hit anyway. `const` so that the static index is built with it.
///
/// Public for the QPACK encoder, whose tables are indexed the same way; it is
/// not a stable hash (the constants may change between versions).
#[inline]
pub const fn hash(seed: u64, bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let mut acc = seed ^ folded_multiply(len as u64 ^ HASH_KEYS[0], HASH_KEYS[1]);
    if len > 16 {
        let mut at = 0;
        while at + 16 < len {
            acc = folded_multiply(
                read_u64(bytes, at) ^ acc,
                read_u64(bytes, at + 8) ^ HASH_KEYS[2],
            );
            at += 16;
        }
        // The last sixteen bytes, overlapping what came before.
        acc = folded_multiply(
            read_u64(bytes, len - 16) ^ acc,
            read_u64(bytes, len - 8) ^ HASH_KEYS[3],
        );
    } else {
        let (low, high) = if len >= 8 {
            (read_u64(bytes, 0), read_u64(bytes, len - 8))
        } else if len >= 4 {
            (read_u32(bytes, 0), read_u32(bytes, len - 4))
        } else if len > 0 {
            (
                (bytes[0] as u64)
                    | ((bytes[len / 2] as u64) << 8)
                    | ((bytes[len - 1] as u64) << 16),
                0,
            )
        } else {
            (0, 0)
        };
        acc = folded_multiply(low ^ acc, high ^ HASH_KEYS[3]);
    }
    folded_multiply(acc ^ HASH_KEYS[2], HASH_KEYS[0] ^ len as u64)
}

/// Slots of the static name index: a power of two comfortably above the 52
/// distinct names, so probes are short.
const STATIC_SLOTS: usize = 128;

/// Where a name's probe starts in [`STATIC_BY_NAME`]: a few bytes and the
/// length are enough to spread the 52 names, and cost less than hashing the
/// whole name.
const fn name_slot(name: &[u8]) -> usize {
    let len = name.len();
    if len == 0 {
        return 0;
    }
    (len * 31 + name[0] as usize * 7 + name[len / 2] as usize * 5 + name[len - 1] as usize * 3)
        % STATIC_SLOTS
}

/// Open-addressed index from a name's slot to the first static entry with
/// that name (0 marks an empty slot; static indices start at 1).
const STATIC_BY_NAME: [u8; STATIC_SLOTS] = {
    let mut slots = [0u8; STATIC_SLOTS];
    let mut index = 1;
    while index <= STATIC_LEN {
        let name = STATIC[index - 1].0;
        let is_first = index == 1 || !bytes_eq(STATIC[index - 2].0, name);
        if is_first {
            let mut slot = name_slot(name);
            while slots[slot] != 0 {
                slot = (slot + 1) % STATIC_SLOTS;
            }
            slots[slot] = index as u8;
        }
        index += 1;
    }
    slots
};

/// Byte-slice equality usable in `const` items, where `==` on slices is not
/// allowed: the static-table indices of HPACK and QPACK are built with it.
pub const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
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
pub(crate) struct StaticMatch {
    /// The first index with this name.
    pub(crate) name: usize,
    /// The index with this name and value, if there is one.
    pub(crate) field: Option<usize>,
}

/// Finds `name` and, if possible, `value` in the static table.
pub(crate) fn find_static(name: &[u8], value: &[u8]) -> Option<StaticMatch> {
    let mut slot = name_slot(name);
    loop {
        let first = usize::from(*STATIC_BY_NAME.get(slot)?);
        let (first_name, _) = *STATIC.get(first.checked_sub(1)?)?;
        if first_name == name {
            // Entries sharing a name are adjacent in the static table.
            let field = (first..=STATIC_LEN)
                .take_while(|&index| STATIC[index - 1].0 == name)
                .find(|&index| STATIC[index - 1].1 == value);
            return Some(StaticMatch { name: first, field });
        }
        slot = (slot + 1) % STATIC_SLOTS;
    }
}

/// How much the table's own storage grows by at a time, so that many small entries
/// share one allocation.
const ARENA_CHUNK: usize = 4096;

/// The decoder's dynamic table: a FIFO of fields bounded by a byte size.
///
/// Entries own their bytes: they are copied into the table's own storage on insert,
/// never kept as slices of the header block they came in (a slice would keep the
/// whole block, up to the largest block the connection accepts, alive for as long as
/// the entry lives). What the table holds is therefore its counted size (RFC 7541
/// §4.1) plus at most a few storage chunks, whatever the blocks looked like.
#[derive(Debug)]
pub(crate) struct DynamicTable {
    /// Newest first, so dynamic index 62 is `entries[0]`.
    entries: VecDeque<(Bytes, Bytes)>,
    size: usize,
    capacity: usize,
    /// Where entries are copied to; each entry is split off it, so entries inserted
    /// one after another share a chunk, and a chunk is freed with its last entry.
    arena: BytesMut,
}

impl DynamicTable {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            size: 0,
            capacity,
            arena: BytesMut::new(),
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

    /// The size a field at a combined index counts for in a header list
    /// (RFC 7541 §4.1), without taking a reference to its bytes.
    pub(crate) fn field_size(&self, index: usize) -> Result<usize, DecodeError> {
        if let Some(&(name, value)) = index.checked_sub(1).and_then(|at| STATIC.get(at)) {
            return Ok(entry_size(name.len(), value.len()));
        }
        index
            .checked_sub(STATIC_LEN + 1)
            .and_then(|at| self.entries.get(at))
            .map(|(name, value)| entry_size(name.len(), value.len()))
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

    /// Adds a copy of a field, evicting the oldest entries to make room; a field
    /// larger than the whole table empties it and is not added (RFC 7541 §4.4).
    pub(crate) fn insert(&mut self, name: &[u8], value: &[u8]) {
        let size = entry_size(name.len(), value.len());
        if size > self.capacity {
            self.entries.clear();
            self.size = 0;
            return;
        }
        self.evict_to(self.capacity - size);
        self.size += size;
        // Most indexed fields have a static-table name (`:authority`, `user-agent`,
        // `cookie`): that one is shared, not copied, and costs no reference count.
        let static_name = find_static(name, b"")
            .and_then(|found| STATIC.get(found.name.wrapping_sub(1)))
            .map(|&(name, _)| Bytes::from_static(name));
        let copied = if static_name.is_some() { 0 } else { name.len() };
        if self.arena.capacity() - self.arena.len() < copied + value.len() {
            self.arena = BytesMut::with_capacity((copied + value.len()).max(ARENA_CHUNK));
        }
        let name = static_name.unwrap_or_else(|| {
            self.arena.extend_from_slice(name);
            self.arena.split().freeze()
        });
        self.arena.extend_from_slice(value);
        let value = self.arena.split().freeze();
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
            let first = STATIC.iter().position(|&(n, _)| n == name).unwrap() + 1;
            assert_eq!(
                find_static(name, value),
                Some(StaticMatch {
                    name: first,
                    field: Some(index)
                }),
                "{index}"
            );
            assert_eq!(
                find_static(name, b"\x00unlikely"),
                Some(StaticMatch {
                    name: first,
                    field: None
                })
            );
        }
        assert_eq!(find_static(b"x-custom", b""), None);
        assert_eq!(find_static(b"", b""), None);
    }

    #[test]
    fn hash_tells_neighbours_apart() {
        // Every length around the word and block boundaries, and single-bit
        // changes at every position, give distinct hashes.
        let bytes: Vec<u8> = (0..64).collect();
        let mut seen = std::collections::HashSet::new();
        for len in 0..40 {
            assert!(seen.insert(hash(0, &bytes[..len])), "length {len}");
            for at in 0..len {
                let mut flipped = bytes[..len].to_vec();
                flipped[at] ^= 1;
                assert!(seen.insert(hash(0, &flipped)), "length {len}, bit at {at}");
            }
        }
        assert_ne!(hash(0, b"abc"), hash(1, b"abc"));
    }

    #[test]
    fn eviction_keeps_size_accounting() {
        let mut table = DynamicTable::new(100);
        table.insert(b"aaaa", b"1111"); // 40
        table.insert(b"bbbb", b"2222"); // 80
        assert_eq!((table.len(), table.size()), (2, 80));
        table.insert(b"cccc", b"3333"); // evicts aaaa
        assert_eq!((table.len(), table.size()), (2, 80));
        assert_eq!(table.get(62).unwrap().0, "cccc");
        assert_eq!(table.get(63).unwrap().0, "bbbb");
        assert_eq!(table.get(64), Err(DecodeError::InvalidIndex(64)));
        table.insert(&[b'x'; 69], b""); // 101 > 100: empties
        assert_eq!((table.len(), table.size()), (0, 0));
        assert_eq!(table.get(0), Err(DecodeError::InvalidIndex(0)));
    }
}
