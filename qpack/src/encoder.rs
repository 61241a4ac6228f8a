//! Field section encoding (RFC 9204 §4.5), the encoder stream out (§4.3),
//! the decoder stream in (§4.4), and the strategy that decides what to
//! insert.

use std::collections::{HashMap, VecDeque};

use bytes::{Bytes, BytesMut};
use hpack::{RARELY_REPEATING_NAMES, SENSITIVE_NAMES, bytes_eq};

use crate::Header;
use crate::error::DecoderStreamError;
use crate::static_table::{STATIC, StaticMatch, field_hash, find_static, name_hash};
use crate::table::entry_size;
use crate::wire::{WireError, read_integer, write_integer, write_string};
use hpack::{EncoderTable, TableMatch};

/// The most table space the encoder uses, whatever the peer allows: RFC 9204
/// §3.2.3 lets an encoder use less than the maximum, and this bounds what one
/// connection keeps alive.
pub const MAX_ENCODER_TABLE_CAPACITY: usize = 1 << 16;

/// Encodes field sections, inserting into the dynamic table the fields
/// worth it, within the peer's settings.
///
/// The strategy follows `hpack`'s: a field found whole in the static table
/// or in a usable dynamic entry is sent as an index; other fields are
/// inserted unless they are sensitive, big (over three quarters of the
/// table) or of a kind whose values rarely repeat (`:path`,
/// `content-length`, `etag`, …); and, as `hpack` learns from eviction,
/// values of names whose entries mostly went unused are inserted only when
/// seen a second time ([`hpack::InsertionHistory`]). An entry is counted as
/// used when a later section refers to it, not the one that inserted it.
/// Strings are Huffman-coded only when that is shorter. QPACK adds two constraints (RFC 9204 §2.1): an entry that an
/// unacknowledged section refers to is never evicted (an insert that would
/// need that is not made), and a section refers to entries the decoder may
/// not have yet only while fewer than SETTINGS_QPACK_BLOCKED_STREAMS streams
/// are blocked; otherwise the fields inserted are sent as literals this time
/// and as indices once acknowledged.
///
/// Output is pulled: after [`Encoder::encode`] and
/// [`Encoder::apply_settings`], drain [`Encoder::poll_transmit`] onto the
/// encoder stream (after its stream type, which is the caller's).
#[derive(Debug)]
pub struct Encoder {
    table: EncoderTable,
    /// The peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY / 32, which the Required
    /// Insert Count is encoded modulo twice of (RFC 9204 §4.5.1.1).
    max_entries: u64,
    /// The peer's SETTINGS_QPACK_BLOCKED_STREAMS.
    max_blocked_streams: usize,
    /// The table capacity this encoder uses at most.
    capacity_limit: usize,
    /// Sections that refer to the dynamic table and are not acknowledged,
    /// oldest first per stream (RFC 9204 §2.1.1).
    outstanding: HashMap<u64, VecDeque<Section>>,
    /// The smallest absolute index an outstanding section refers to: that
    /// entry and all newer ones must not be evicted.
    pinned_from: u64,
    /// The insert count the decoder has confirmed (RFC 9204 §2.1.4).
    known_received_count: u64,
    /// The start of a decoder-stream instruction whose end has not arrived
    /// (at most one prefix integer, so a few bytes).
    partial_instruction: BytesMut,
    /// Encoder-stream bytes not yet polled.
    transmit: BytesMut,
    /// The field lines of the section being encoded, before its prefix is
    /// known.
    lines: BytesMut,
    /// Where sections are written; each is split off it.
    blocks: BytesMut,
    huffman: bool,
    indexing: bool,
    name_policies: bool,
}

/// An unacknowledged section that refers to the dynamic table.
#[derive(Debug, Clone, Copy)]
struct Section {
    required_insert_count: u64,
    smallest_reference: u64,
}

/// What the section being encoded has referred to so far.
#[derive(Debug, Clone, Copy)]
struct SectionState {
    base: u64,
    may_block: bool,
    largest_reference: Option<u64>,
    smallest_reference: Option<u64>,
}

impl SectionState {
    fn refer(&mut self, absolute: u64) {
        self.largest_reference = self.largest_reference.max(Some(absolute));
        self.smallest_reference = Some(
            self.smallest_reference
                .map_or(absolute, |smallest| smallest.min(absolute)),
        );
    }
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// An encoder that uses only the static table until
    /// [`Encoder::apply_settings`] gives it the peer's settings (RFC 9204
    /// §3.2.3: the table capacity starts at 0).
    pub fn new() -> Self {
        Self {
            table: EncoderTable::new(0),
            max_entries: 0,
            max_blocked_streams: 0,
            capacity_limit: MAX_ENCODER_TABLE_CAPACITY,
            outstanding: HashMap::new(),
            pinned_from: u64::MAX,
            known_received_count: 0,
            partial_instruction: BytesMut::new(),
            transmit: BytesMut::new(),
            lines: BytesMut::new(),
            blocks: BytesMut::new(),
            huffman: true,
            indexing: true,
            name_policies: true,
        }
    }

    /// Applies the peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY and
    /// SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §5). Call it once, when the
    /// peer's SETTINGS arrive: the encoder sets the table's capacity to the
    /// smaller of the peer's maximum and its own limit, with a Set Dynamic
    /// Table Capacity instruction queued for [`Encoder::poll_transmit`].
    pub fn apply_settings(&mut self, max_table_capacity: u64, max_blocked_streams: u64) {
        self.max_entries = max_table_capacity / 32;
        self.max_blocked_streams = usize::try_from(max_blocked_streams).unwrap_or(usize::MAX);
        let capacity = usize::try_from(max_table_capacity)
            .unwrap_or(usize::MAX)
            .min(self.capacity_limit);
        if capacity != self.table.capacity()
            && self.table.set_capacity(capacity, self.evictable_below())
        {
            // Set Dynamic Table Capacity (§4.3.1).
            write_integer(capacity as u64, 5, 0x20, &mut self.transmit);
        }
    }

    /// Lowers the table capacity this encoder will use, whatever the peer
    /// allows (the default is [`MAX_ENCODER_TABLE_CAPACITY`]). Takes effect
    /// at the next [`Encoder::apply_settings`].
    pub fn set_max_table_capacity(&mut self, limit: usize) {
        self.capacity_limit = limit.min(MAX_ENCODER_TABLE_CAPACITY);
    }

    /// Turns Huffman coding of string literals on (the default) or off.
    pub fn set_huffman(&mut self, on: bool) {
        self.huffman = on;
    }

    /// Turns inserting into the dynamic table on (the default) or off. When
    /// off, the encoder still refers to the static table and to entries
    /// already inserted.
    pub fn set_indexing(&mut self, on: bool) {
        self.indexing = on;
    }

    /// Turns the name-based policies on (the default) or off: never
    /// inserting `authorization`, `proxy-authorization`, `cookie` and
    /// `set-cookie` (sent as never-indexed literals, RFC 9204 §7.1.3) and not
    /// inserting fields whose values rarely repeat. When off, every field not
    /// marked sensitive is inserted if it fits, as in RFC 9204 Appendix B.
    pub fn set_name_policies(&mut self, on: bool) {
        self.name_policies = on;
    }

    /// The dynamic table's capacity.
    pub fn table_capacity(&self) -> usize {
        self.table.capacity()
    }

    /// The bytes the dynamic table's entries count for (RFC 9204 §3.2.1).
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    /// Entries inserted since the connection began (RFC 9204 §3.2.4).
    pub fn insert_count(&self) -> u64 {
        self.table.insert_count()
    }

    /// The insert count the decoder has confirmed (RFC 9204 §2.1.4).
    pub fn known_received_count(&self) -> u64 {
        self.known_received_count
    }

    /// How many streams have a section that refers to entries the decoder
    /// has not confirmed (RFC 9204 §2.1.2).
    pub fn blocked_streams(&self) -> usize {
        self.outstanding
            .values()
            .filter(|sections| self.is_blocking(sections))
            .count()
    }

    /// Encodes `fields`, in order, as the field section of a HEADERS frame
    /// on `stream_id` (RFC 9204 §4.5), and queues the inserts it makes on
    /// the encoder stream.
    ///
    /// Fields marked [`Header::sensitive`], and unless turned off with
    /// [`Encoder::set_name_policies`] `authorization`,
    /// `proxy-authorization`, `cookie` and `set-cookie`, are sent as
    /// never-indexed literals (RFC 9204 §4.5.4, §7.1.3).
    pub fn encode<'a, I: IntoIterator<Item = &'a Header>>(
        &mut self,
        stream_id: u64,
        fields: I,
    ) -> Bytes {
        let may_block = self.max_blocked_streams > 0
            && match self.outstanding.get(&stream_id) {
                Some(sections) if self.is_blocking(sections) => true,
                _ => self.blocked_streams() < self.max_blocked_streams,
            };
        let mut section = SectionState {
            base: self.table.insert_count(),
            may_block,
            largest_reference: None,
            smallest_reference: None,
        };
        self.lines.clear();
        for field in fields {
            self.encode_field(field, &mut section);
        }
        self.finish_section(stream_id, section)
    }

    /// Writes the section's prefix (RFC 9204 §4.5.1) and lines, and records
    /// what it refers to.
    fn finish_section(&mut self, stream_id: u64, section: SectionState) -> Bytes {
        let block = &mut self.blocks;
        block.reserve(self.lines.len() + 2 * 10);
        match (section.largest_reference, section.smallest_reference) {
            (Some(largest), Some(smallest)) => {
                let required = largest + 1;
                // max_entries > 0: an entry was referred to, so it fit.
                let full_range = 2 * self.max_entries.max(1);
                write_integer(required % full_range + 1, 8, 0x00, block);
                let base = section.base;
                if base >= required {
                    write_integer(base - required, 7, 0x00, block);
                } else {
                    write_integer(required - base - 1, 7, 0x80, block);
                }
                self.outstanding
                    .entry(stream_id)
                    .or_default()
                    .push_back(Section {
                        required_insert_count: required,
                        smallest_reference: smallest,
                    });
                self.pinned_from = self.pinned_from.min(smallest);
            }
            _ => block.extend_from_slice(&[0x00, 0x00]),
        }
        block.extend_from_slice(&self.lines);
        block.split().freeze()
    }

    fn encode_field(&mut self, field: &Header, section: &mut SectionState) {
        let (name, value) = (&field.name[..], &field.value[..]);
        let name_hash = name_hash(name);
        let field_hash = field_hash(name_hash, value);
        let static_match = find_static(name_hash, field_hash, name, value);
        let policy = if self.name_policies {
            name_policy(static_match, name)
        } else {
            0
        };
        let sensitive = field.sensitive || policy & SENSITIVE != 0;
        if !sensitive
            && let Some(StaticMatch {
                field: Some(index), ..
            }) = static_match
        {
            // Indexed Field Line, static (§4.5.2).
            write_integer(index as u64, 6, 0xc0, &mut self.lines);
            return;
        }
        let dynamic_match = self.table.find(name_hash, field_hash, name, value);
        if let (false, Some(TableMatch::Field(absolute))) = (sensitive, dynamic_match)
            && self.usable(absolute, section)
        {
            self.table.mark_used(absolute);
            self.write_indexed(absolute, section);
            return;
        }
        let size = entry_size(name.len(), value.len());
        let insert = !sensitive
            && self.indexing
            && !matches!(dynamic_match, Some(TableMatch::Field(_)))
            && size <= self.table.capacity() / 4 * 3
            && policy & RARELY_REPEATS == 0
            && (!self.name_policies
                || self
                    .table
                    .history_mut()
                    .worth_indexing(name_hash, field_hash))
            && self.table.make_room(
                size,
                self.evictable_below()
                    .min(section.smallest_reference.unwrap_or(u64::MAX)),
            );
        if insert {
            self.write_insert(name, value, static_match, dynamic_match);
            let absolute = self.table.insert(name, value, name_hash, field_hash);
            if section.may_block {
                // Not marked used: what counts is whether a later section
                // refers to the entry.
                self.write_indexed(absolute, section);
                return;
            }
        }
        let never_indexed = sensitive;
        match (static_match, dynamic_match) {
            (Some(StaticMatch { name: index, .. }), _) => {
                // Literal Field Line with Name Reference, static (§4.5.4).
                let flags = 0x50 | if never_indexed { 0x20 } else { 0 };
                write_integer(index as u64, 4, flags, &mut self.lines);
            }
            (None, Some(TableMatch::Name(absolute) | TableMatch::Field(absolute)))
                if self.table.contains(absolute) && self.usable(absolute, section) =>
            {
                section.refer(absolute);
                self.table.mark_used(absolute);
                if absolute < section.base {
                    let flags = 0x40 | if never_indexed { 0x20 } else { 0 };
                    write_integer(section.base - 1 - absolute, 4, flags, &mut self.lines);
                } else {
                    // Literal Field Line with Post-Base Name Reference (§4.5.5).
                    let flags = if never_indexed { 0x08 } else { 0 };
                    write_integer(absolute - section.base, 3, flags, &mut self.lines);
                }
            }
            _ => {
                // Literal Field Line with Literal Name (§4.5.6).
                let flags = 0x20 | if never_indexed { 0x10 } else { 0 };
                write_string(name, 3, flags, self.huffman, &mut self.lines);
            }
        }
        write_string(value, 7, 0x00, self.huffman, &mut self.lines);
    }

    /// Whether the section may refer to an entry: the decoder has it, or the
    /// section may block (RFC 9204 §2.1.2).
    fn usable(&self, absolute: u64, section: &SectionState) -> bool {
        absolute < self.known_received_count || section.may_block
    }

    /// An Indexed Field Line for a dynamic entry, relative to the Base or
    /// after it (RFC 9204 §4.5.2, §4.5.3).
    fn write_indexed(&mut self, absolute: u64, section: &mut SectionState) {
        section.refer(absolute);
        if absolute < section.base {
            write_integer(section.base - 1 - absolute, 6, 0x80, &mut self.lines);
        } else {
            write_integer(absolute - section.base, 4, 0x10, &mut self.lines);
        }
    }

    /// Queues the instruction that inserts a field, naming it by reference
    /// when the static table or a live dynamic entry has the name
    /// (RFC 9204 §4.3.2, §4.3.3).
    fn write_insert(
        &mut self,
        name: &[u8],
        value: &[u8],
        static_match: Option<StaticMatch>,
        dynamic_match: Option<TableMatch>,
    ) {
        match (static_match, dynamic_match) {
            (Some(StaticMatch { name: index, .. }), _) => {
                write_integer(index as u64, 6, 0xc0, &mut self.transmit);
            }
            (None, Some(TableMatch::Name(absolute) | TableMatch::Field(absolute)))
                if self.table.contains(absolute) =>
            {
                let relative = self.table.insert_count() - 1 - absolute;
                write_integer(relative, 6, 0x80, &mut self.transmit);
            }
            _ => write_string(name, 5, 0x40, self.huffman, &mut self.transmit),
        }
        write_string(value, 7, 0x00, self.huffman, &mut self.transmit);
    }

    fn is_blocking(&self, sections: &VecDeque<Section>) -> bool {
        sections
            .iter()
            .any(|section| section.required_insert_count > self.known_received_count)
    }

    /// The next bytes to write on the encoder stream, if any.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        (!self.transmit.is_empty()).then(|| self.transmit.split().freeze())
    }

    /// Whether [`Encoder::poll_transmit`] has bytes.
    pub fn wants_write(&self) -> bool {
        !self.transmit.is_empty()
    }

    /// Reads bytes of the peer's decoder stream (RFC 9204 §4.4), after its
    /// stream type. Instructions may be split anywhere.
    pub fn recv_decoder_stream(&mut self, bytes: &[u8]) -> Result<(), DecoderStreamError> {
        let mut pending = std::mem::take(&mut self.partial_instruction);
        let input: &[u8] = if pending.is_empty() {
            bytes
        } else {
            pending.extend_from_slice(bytes);
            &pending
        };
        let mut cursor = 0;
        let result = loop {
            let start = cursor;
            match self.apply_instruction(input, &mut cursor) {
                Ok(true) => {}
                Ok(false) => {
                    let rest = input.get(start..).unwrap_or_default();
                    self.partial_instruction.extend_from_slice(rest);
                    break Ok(());
                }
                Err(error) => break Err(error),
            }
        };
        self.recompute_pinned();
        result
    }

    /// Applies one decoder-stream instruction; `Ok(false)` when the input
    /// ends before it does.
    fn apply_instruction(
        &mut self,
        src: &[u8],
        cursor: &mut usize,
    ) -> Result<bool, DecoderStreamError> {
        let Some(&first) = src.get(*cursor) else {
            return Ok(false);
        };
        let prefix_bits = if first & 0x80 != 0 { 7 } else { 6 };
        let value = match read_integer(src, cursor, prefix_bits) {
            Ok(value) => value,
            Err(WireError::Truncated) => return Ok(false),
            Err(_) => return Err(DecoderStreamError::IntegerOverflow),
        };
        if first & 0x80 != 0 {
            // Section Acknowledgment (§4.4.1).
            let section = self
                .outstanding
                .get_mut(&value)
                .and_then(VecDeque::pop_front)
                .ok_or(DecoderStreamError::UnexpectedAcknowledgment(value))?;
            if self.outstanding.get(&value).is_some_and(VecDeque::is_empty) {
                self.outstanding.remove(&value);
            }
            self.known_received_count =
                self.known_received_count.max(section.required_insert_count);
        } else if first & 0x40 != 0 {
            // Stream Cancellation (§4.4.2).
            self.outstanding.remove(&value);
        } else {
            // Insert Count Increment (§4.4.3).
            let known = self
                .known_received_count
                .checked_add(value)
                .filter(|&known| value > 0 && known <= self.table.insert_count())
                .ok_or(DecoderStreamError::InvalidIncrement(value))?;
            self.known_received_count = known;
        }
        Ok(true)
    }

    /// The absolute index from which entries must stay: those an outstanding section
    /// refers to, and those the decoder may not have received yet. Evicting an insert
    /// the decoder has not confirmed would let the insert count run more than
    /// `MaxEntries` ahead of the decoder's, and a later Required Insert Count would
    /// then decode to the wrong value (RFC 9204 §2.1.1, §4.5.1.1).
    fn evictable_below(&self) -> u64 {
        self.pinned_from.min(self.known_received_count)
    }

    fn recompute_pinned(&mut self) {
        self.pinned_from = self
            .outstanding
            .values()
            .flatten()
            .map(|section| section.smallest_reference)
            .min()
            .unwrap_or(u64::MAX);
    }
}

const SENSITIVE: u8 = 1;
const RARELY_REPEATS: u8 = 2;

/// The name policies by static name index, built from `hpack`'s lists.
const STATIC_POLICY: [u8; STATIC.len()] = {
    let mut policy = [0u8; STATIC.len()];
    let mut index = 0;
    while index < STATIC.len() {
        let name = STATIC[index].0;
        if contains(&SENSITIVE_NAMES, name) {
            policy[index] |= SENSITIVE;
        }
        if contains(&RARELY_REPEATING_NAMES, name) {
            policy[index] |= RARELY_REPEATS;
        }
        index += 1;
    }
    policy
};

const fn contains(names: &[&[u8]], name: &[u8]) -> bool {
    let mut at = 0;
    while at < names.len() {
        if bytes_eq(names[at], name) {
            return true;
        }
        at += 1;
    }
    false
}

/// The policy for a name: by its static index when it has one, by the lists
/// otherwise (`proxy-authorization` is not in QPACK's static table).
fn name_policy(static_match: Option<StaticMatch>, name: &[u8]) -> u8 {
    match static_match {
        Some(found) => STATIC_POLICY.get(found.name).copied().unwrap_or(0),
        None => {
            let mut policy = 0;
            if SENSITIVE_NAMES.contains(&name) {
                policy |= SENSITIVE;
            }
            if RARELY_REPEATING_NAMES.contains(&name) {
                policy |= RARELY_REPEATS;
            }
            policy
        }
    }
}
