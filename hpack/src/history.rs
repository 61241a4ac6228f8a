//! What the encoder learns about which fields are worth a table entry.

/// Learns, per name, whether the table entries an encoder makes get used,
/// so that values of names whose entries mostly go unused are indexed only
/// once they are seen a second time.
///
/// The table is small and evicts oldest first, so an entry that is never
/// used again costs the entries it pushes out. Measured on the http2jp
/// `raw-data` stories, for HPACK (RFC 7541) and for QPACK (RFC 9204), whose
/// encoders both use it: once a name's entries have been evicted unused
/// three more times than used, a value of that name is indexed only the
/// second time it is seen recently, so values that do repeat still make it
/// into the table.
///
/// Both sets are direct-mapped and made on first need: most connections
/// never evict, and an idle one should not pay for them.
#[derive(Debug, Default)]
pub struct InsertionHistory {
    /// Per name, by `name_hash % NAME_SLOTS`: how its evicted entries fared.
    name_usage: Option<Box<[NameUsage; NAME_SLOTS]>>,
    /// Hashes of fields recently not indexed because their name's entries
    /// tend to go unused, by `field_hash % SEEN_SLOTS`.
    recently_seen: Option<Box<[u64; SEEN_SLOTS]>>,
}

/// How many more of a name's entries must have been evicted unused than used
/// before that name's values are indexed only on their second sighting.
/// Measured on the http2jp `raw-data` stories: margins of 2 to 5 all beat
/// indexing on first sight by 3.1 to 3.9% in HPACK, 3 is best (and in QPACK).
const WASTE_MARGIN: u32 = 3;

/// Size of the direct-mapped sets of recently seen fields and of per-name
/// eviction counts.
const SEEN_SLOTS: usize = 256;
const NAME_SLOTS: usize = 256;

/// Eviction counts for the name whose hash is `name_hash`; a slot taken over
/// by another name starts again from zero.
#[derive(Debug, Clone, Copy, Default)]
struct NameUsage {
    name_hash: u64,
    evicted_unused: u32,
    evicted_used: u32,
}

impl InsertionHistory {
    /// Records that an entry with this name left the table, and whether it
    /// had been referred to since it was inserted.
    #[inline]
    pub fn record_eviction(&mut self, name_hash: u64, used: bool) {
        // Lossless: the remainder is below NAME_SLOTS.
        let usage = &mut self
            .name_usage
            .get_or_insert_with(|| Box::new([NameUsage::default(); NAME_SLOTS]))
            [(name_hash % NAME_SLOTS as u64) as usize];
        if usage.name_hash != name_hash {
            *usage = NameUsage {
                name_hash,
                ..NameUsage::default()
            };
        }
        if used {
            usage.evicted_used = usage.evicted_used.saturating_add(1);
        } else {
            usage.evicted_unused = usage.evicted_unused.saturating_add(1);
        }
    }

    /// Whether a field not found in the table should be added to it: always,
    /// unless its name's entries mostly went unused, in which case only if
    /// the same field was seen recently. Hashes come from [`crate::hash`]
    /// (a field's chained from its name's).
    #[inline]
    pub fn worth_indexing(&mut self, name_hash: u64, field_hash: u64) -> bool {
        if !self.names_go_unused(name_hash) {
            return true;
        }
        // Lossless: the remainder is below SEEN_SLOTS.
        let slot = &mut self
            .recently_seen
            .get_or_insert_with(|| Box::new([0; SEEN_SLOTS]))
            [(field_hash % SEEN_SLOTS as u64) as usize];
        if *slot == field_hash {
            return true;
        }
        *slot = field_hash;
        false
    }

    /// Whether entries with this name have been evicted unused clearly more
    /// often than used.
    fn names_go_unused(&self, name_hash: u64) -> bool {
        let Some(name_usage) = &self.name_usage else {
            return false;
        };
        // Lossless: the remainder is below NAME_SLOTS.
        let usage = name_usage[(name_hash % NAME_SLOTS as u64) as usize];
        usage.name_hash == name_hash
            && usage.evicted_unused >= usage.evicted_used.saturating_add(WASTE_MARGIN)
    }
}
