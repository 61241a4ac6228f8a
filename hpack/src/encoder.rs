//! Header block encoding (RFC 7541 §3, §6) and the indexing strategy.

use bytes::{BufMut, BytesMut};

use crate::table::{STATIC, STATIC_LEN, StaticMatch, bytes_eq, entry_size, find_static, hash};
use crate::{EncoderTable, Header, TableMatch, encode_integer, huffman};

/// The most table space the encoder uses, whatever the peer allows: RFC 7541
/// §4.2 lets an encoder use less than the maximum, and this bounds what one
/// connection keeps alive.
pub const MAX_ENCODER_TABLE_SIZE: usize = 1 << 16;

/// Encodes header lists into header blocks.
///
/// The strategy: fields found whole in the static or dynamic table are sent as
/// an index; other fields are added to the dynamic table unless they are
/// sensitive, big (over three quarters of the table) or of a kind whose values
/// rarely repeat (`:path`, `content-length`, `etag`, …); strings are
/// Huffman-coded unless that makes them longer.
///
/// The table is small (4096 bytes by default) and evicts oldest first, so an
/// entry that is never used again costs the entries it pushes out. The
/// encoder therefore learns per name, from what eviction finds, whether that
/// name's entries get used: once a name's entries have been evicted unused
/// three more times than used, a value of that name is only indexed
/// the second time it is seen recently, so values that do repeat still make it
/// into the table.
#[derive(Debug)]
pub struct Encoder {
    table: EncoderTable,
    /// Table size changes from the peer's SETTINGS not yet signalled.
    pending_size_update: Option<PendingSizeUpdate>,
    huffman: bool,
    indexing: bool,
    name_policies: bool,
}

#[derive(Debug, Clone, Copy)]
struct PendingSizeUpdate {
    /// RFC 7541 §4.2: if the maximum shrank and grew again between blocks,
    /// the smallest value must be signalled first so the decoder evicts too.
    smallest: usize,
    latest: usize,
}

impl Default for Encoder {
    /// An encoder with the protocol's initial table size of 4096 bytes.
    fn default() -> Self {
        Self::new(4096)
    }
}

impl Encoder {
    /// An encoder whose dynamic table holds `max_table_size` bytes: the size
    /// the peer's decoder starts with (4096 in HTTP/2, RFC 9113 §6.5.2).
    pub fn new(max_table_size: usize) -> Self {
        Self {
            table: EncoderTable::new(max_table_size),
            pending_size_update: None,
            huffman: true,
            indexing: true,
            name_policies: true,
        }
    }

    /// Applies the peer's SETTINGS_HEADER_TABLE_SIZE. The next block starts
    /// with the dynamic table size update(s) that tell the peer's decoder
    /// (RFC 7541 §4.2, §6.3). Values above [`MAX_ENCODER_TABLE_SIZE`] are
    /// lowered to it.
    pub fn set_max_table_size(&mut self, max: usize) {
        let max = max.min(MAX_ENCODER_TABLE_SIZE);
        let smallest = self
            .pending_size_update
            .map_or(max, |pending| pending.smallest.min(max));
        self.pending_size_update = Some(PendingSizeUpdate {
            smallest,
            latest: max,
        });
    }

    /// Turns Huffman coding of string literals on (the default) or off.
    pub fn set_huffman(&mut self, on: bool) {
        self.huffman = on;
    }

    /// Turns adding fields to the dynamic table on (the default) or off. When
    /// off, the encoder still refers to entries of the static table.
    pub fn set_indexing(&mut self, on: bool) {
        self.indexing = on;
    }

    /// Turns the name-based policies on (the default) or off: never indexing
    /// `authorization`, `proxy-authorization`, `cookie` and `set-cookie`, not
    /// indexing fields whose values rarely repeat, and indexing values of
    /// names whose entries went unused only on their second sighting. When off, every field
    /// not marked sensitive is indexed if it fits, as in the examples of
    /// RFC 7541 Appendix C.
    pub fn set_name_policies(&mut self, on: bool) {
        self.name_policies = on;
    }

    /// The dynamic table's current size limit.
    pub fn table_capacity(&self) -> usize {
        self.table.capacity()
    }

    /// The bytes the dynamic table's entries count for (RFC 7541 §4.1).
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    /// Appends one header block holding `headers`, in order, to `dst`.
    ///
    /// Fields marked [`Header::sensitive`], and unless turned off with
    /// [`Encoder::set_name_policies`] `authorization`, `proxy-authorization`,
    /// `cookie` and `set-cookie`, are sent as never-indexed literals
    /// (RFC 7541 §6.2.3, §7.1.3).
    pub fn encode<'a, I: IntoIterator<Item = &'a Header>>(
        &mut self,
        headers: I,
        dst: &mut BytesMut,
    ) {
        if let Some(pending) = self.pending_size_update.take() {
            // Nothing is pinned, so the capacity always changes.
            if pending.smallest < self.table.capacity() {
                self.table
                    .set_capacity(pending.smallest, EncoderTable::NOTHING_PINNED);
                encode_integer(pending.smallest, 5, 0x20, dst);
            }
            if pending.latest != self.table.capacity() {
                self.table
                    .set_capacity(pending.latest, EncoderTable::NOTHING_PINNED);
                encode_integer(pending.latest, 5, 0x20, dst);
            }
        }
        for header in headers {
            self.encode_field(header, dst);
        }
    }

    fn encode_field(&mut self, header: &Header, dst: &mut BytesMut) {
        let (name, value) = (&header.name[..], &header.value[..]);
        let static_match = find_static(name, value);
        // Every name the policies cover is in the static table, so its index
        // tells the policy without comparing the name again.
        let policy = match static_match {
            Some(found) if self.name_policies => {
                STATIC_POLICY.get(found.name).copied().unwrap_or(0)
            }
            _ => 0,
        };
        let sensitive = header.sensitive || policy & SENSITIVE_BY_DEFAULT != 0;
        if !sensitive
            && let Some(StaticMatch {
                field: Some(index), ..
            }) = static_match
        {
            encode_integer(index, 7, 0x80, dst);
            return;
        }
        // A name in the static table is keyed by its index, which spares
        // hashing it; the key only has to be the same every time.
        let name_hash = static_match.map_or_else(|| hash(0, name), |found| found.name as u64);
        let field_hash = hash(name_hash, value);
        let dynamic_match = self.table.find(name_hash, field_hash, name, value);
        if let (false, Some(TableMatch::Field(absolute))) = (sensitive, dynamic_match) {
            self.table.mark_used(absolute);
            encode_integer(self.index_of(absolute), 7, 0x80, dst);
            return;
        }
        // A static name index never changes and is never larger.
        let name_index = match (static_match, dynamic_match) {
            (Some(StaticMatch { name: index, .. }), _) => Some(index),
            (None, Some(TableMatch::Name(absolute) | TableMatch::Field(absolute))) => {
                Some(self.index_of(absolute))
            }
            (None, None) => None,
        };
        let size = entry_size(name.len(), value.len());
        let index_it = !sensitive
            && self.indexing
            // Big fields would flush the table for little chance of reuse.
            && size <= self.table.capacity() / 4 * 3
            && policy & RARELY_REPEATS == 0
            && (!self.name_policies || self.table.history_mut().worth_indexing(name_hash, field_hash));
        let (flags, prefix_bits) = if index_it {
            (0x40, 6)
        } else if sensitive {
            (0x10, 4)
        } else {
            (0x00, 4)
        };
        match name_index {
            Some(index) => encode_integer(index, prefix_bits, flags, dst),
            None => {
                dst.put_u8(flags);
                self.write_string(name, dst);
            }
        }
        self.write_string(value, dst);
        // Indexed fields take at most three quarters of the capacity, and
        // nothing is pinned: there is always room.
        if index_it && self.table.make_room(size, EncoderTable::NOTHING_PINNED) {
            self.table.insert(name, value, name_hash, field_hash);
        }
    }

    /// The index of HPACK's index space (RFC 7541 §2.3.3) of the entry with
    /// absolute index `absolute`: the dynamic table follows the static one,
    /// newest entry first.
    fn index_of(&self, absolute: u64) -> usize {
        let age = self.table.insert_count().saturating_sub(absolute + 1);
        STATIC_LEN + 1 + usize::try_from(age).unwrap_or(usize::MAX - STATIC_LEN - 1)
    }

    /// Writes a string literal (RFC 7541 §5.2), Huffman-coded when enabled and
    /// no longer than the raw string (ties go to Huffman, as in the examples
    /// of RFC 7541 Appendix C.6).
    fn write_string(&self, string: &[u8], dst: &mut BytesMut) {
        if self.huffman {
            if string.len() < 0x7f {
                // A Huffman string no longer than the raw one has a one-byte
                // length too, so encode straight into place behind a
                // placeholder and only fall back if the coding came out longer.
                let start = dst.len();
                // No code is longer than 30 bits.
                dst.reserve(1 + string.len() * 4);
                dst.put_u8(0x80);
                huffman::encode_reserved(string, dst);
                let encoded_len = dst.len() - start - 1;
                if encoded_len <= string.len() {
                    if let Some(prefix) = dst.get_mut(start) {
                        // Lossless: encoded_len <= string.len() < 0x7f.
                        *prefix = 0x80 | encoded_len as u8;
                    }
                    return;
                }
                dst.truncate(start);
            } else {
                let encoded_len = huffman::encoded_len(string);
                if encoded_len <= string.len() {
                    encode_integer(encoded_len, 7, 0x80, dst);
                    huffman::encode(string, dst);
                    return;
                }
            }
        }
        encode_integer(string.len(), 7, 0x00, dst);
        dst.extend_from_slice(string);
    }
}

/// Fields never added to the table unless the caller asks otherwise: they
/// carry credentials or session state (RFC 7541 §7.1.3). Public so that
/// QPACK applies the same policy.
pub const SENSITIVE_NAMES: [&[u8]; 4] = [
    b"authorization",
    b"proxy-authorization",
    b"cookie",
    b"set-cookie",
];

/// Fields whose values are nearly always new, so indexing them would only
/// push out entries that do repeat. This is nghttp2's list less `location` and
/// `if-modified-since`, whose values do repeat within a connection: indexing
/// them saves 1.3 kB over the http2jp corpus. Public so that QPACK applies
/// the same policy.
pub const RARELY_REPEATING_NAMES: [&[u8]; 5] = [
    b":path",
    b"age",
    b"content-length",
    b"etag",
    b"if-none-match",
];

const SENSITIVE_BY_DEFAULT: u8 = 1;
const RARELY_REPEATS: u8 = 2;

/// The name policies by static table index. All the names above are in the
/// static table (a test checks it).
const STATIC_POLICY: [u8; STATIC_LEN + 1] = {
    let mut policy = [0u8; STATIC_LEN + 1];
    let mut index = 1;
    while index <= STATIC_LEN {
        let name = STATIC[index - 1].0;
        let mut at = 0;
        while at < SENSITIVE_NAMES.len() {
            if bytes_eq(SENSITIVE_NAMES[at], name) {
                policy[index] |= SENSITIVE_BY_DEFAULT;
            }
            at += 1;
        }
        let mut at = 0;
        while at < RARELY_REPEATING_NAMES.len() {
            if bytes_eq(RARELY_REPEATING_NAMES[at], name) {
                policy[index] |= RARELY_REPEATS;
            }
            at += 1;
        }
        index += 1;
    }
    policy
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_name_is_in_the_static_table() {
        for name in SENSITIVE_NAMES.iter().chain(&RARELY_REPEATING_NAMES) {
            assert!(
                find_static(name, b"").is_some(),
                "{}",
                String::from_utf8_lossy(name)
            );
        }
        let flagged = STATIC_POLICY.iter().filter(|&&policy| policy != 0).count();
        // :path has two static entries.
        assert_eq!(
            flagged,
            SENSITIVE_NAMES.len() + RARELY_REPEATING_NAMES.len() + 1
        );
    }
}
