//! Field section decoding (RFC 9204 §4.5), the encoder stream in (§4.3) and
//! the decoder stream out (§4.4).

use bytes::{Bytes, BytesMut};

use crate::Header;
use crate::error::{DecodeError, EncoderStreamError};
use crate::section::{Prefix, SectionLines, section_error};
use crate::sink::{FieldSink, HeaderList};
use crate::static_table::STATIC;
use crate::table::{DynamicTable, entry_size};
use crate::wire::{Span, WireError, read_integer, read_literal, write_integer};

/// The default limit on a decoded field section (name + value + 32 per
/// field): generous for real traffic, yet a bound on what one section can
/// make the caller hold.
pub const DEFAULT_MAX_FIELD_SECTION_SIZE: usize = hpack::DEFAULT_MAX_HEADER_LIST_SIZE;

/// The outcome of a field section that was read without error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Decoded {
    /// The section's fields, in order.
    Fields(Vec<Header>),
    /// The section refers to inserts that have not arrived on the encoder
    /// stream yet (RFC 9204 §2.1.2). The decoder keeps it; once
    /// [`Decoder::recv_encoder_stream`] names this stream,
    /// [`Decoder::resume`] returns its fields.
    Blocked,
}

/// What [`Decoder::decode_with`] did with a field section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Delivery {
    /// Every field went to the sink.
    Complete,
    /// The section waits for inserts, as with [`Decoded::Blocked`];
    /// [`Decoder::resume_with`] delivers it.
    Blocked,
}

/// A field section waiting for inserts.
#[derive(Debug)]
struct BlockedSection {
    stream_id: u64,
    prefix: Prefix,
    block: Bytes,
}

/// Decodes field sections and reads the peer's encoder stream, keeping the
/// dynamic table in step with the peer's encoder; queues the decoder-stream
/// instructions that tell the encoder what arrived.
///
/// Built with the two settings this endpoint advertises,
/// SETTINGS_QPACK_MAX_TABLE_CAPACITY and SETTINGS_QPACK_BLOCKED_STREAMS
/// (RFC 9204 §5). The table starts with capacity 0 until the encoder sets
/// it (§3.2.3).
///
/// Output is pulled: after any call, drain [`Decoder::poll_transmit`] onto
/// the decoder stream (after its stream type, which is the caller's).
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    max_table_capacity: usize,
    max_blocked_streams: usize,
    max_field_section_size: usize,
    /// Sections waiting for inserts, in arrival order; at most one stream's
    /// worth per blocked stream, and at most `max_blocked_streams` streams.
    blocked: Vec<BlockedSection>,
    /// The insert count the encoder knows we have (RFC 9204 §2.1.4).
    known_received_count: u64,
    /// The start of an encoder-stream instruction whose end has not arrived.
    /// An instruction holds at most one entry, which must fit the table, so
    /// this stays below the capacity plus a few integer bytes.
    partial_instruction: BytesMut,
    /// Decoder-stream bytes not yet polled.
    transmit: BytesMut,
    /// Where Huffman-coded strings are decoded to, reused for every string.
    scratch: Vec<u8>,
    /// Where [`Decoder::decode`] copies decoded strings to, for the
    /// [`Header`]s it returns: many fields share one allocation.
    arena: BytesMut,
}

impl Decoder {
    /// A decoder that lets the peer's encoder use a table of up to
    /// `max_table_capacity` bytes and block up to `max_blocked_streams`
    /// streams: the SETTINGS_QPACK_MAX_TABLE_CAPACITY and
    /// SETTINGS_QPACK_BLOCKED_STREAMS this endpoint sends (RFC 9204 §5).
    pub fn new(max_table_capacity: usize, max_blocked_streams: usize) -> Self {
        Self {
            table: DynamicTable::new(),
            max_table_capacity,
            max_blocked_streams,
            max_field_section_size: DEFAULT_MAX_FIELD_SECTION_SIZE,
            blocked: Vec::new(),
            known_received_count: 0,
            partial_instruction: BytesMut::new(),
            transmit: BytesMut::new(),
            scratch: Vec::new(),
            arena: BytesMut::new(),
        }
    }

    /// Limits a decoded field section: the sum of name + value + 32 over its
    /// fields (SETTINGS_MAX_FIELD_SECTION_SIZE, RFC 9114 §4.2.2). The default
    /// is [`DEFAULT_MAX_FIELD_SECTION_SIZE`].
    pub fn set_max_field_section_size(&mut self, max: usize) {
        self.max_field_section_size = max;
    }

    /// The dynamic table's capacity, as the encoder last set it.
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

    /// How many streams have a section waiting for inserts.
    pub fn blocked_streams(&self) -> usize {
        let mut count = 0;
        for (at, section) in self.blocked.iter().enumerate() {
            if !self.blocked[..at]
                .iter()
                .any(|earlier| earlier.stream_id == section.stream_id)
            {
                count += 1;
            }
        }
        count
    }

    /// Decodes the field section of a HEADERS frame on `stream_id`
    /// (RFC 9204 §4.5) into owned [`Header`]s.
    ///
    /// A section that needs inserts not yet received is kept and reported
    /// [`Decoded::Blocked`], or refused with
    /// [`DecodeError::TooManyBlockedStreams`] past the blocked-streams limit.
    /// A decoded section that referred to the dynamic table is acknowledged
    /// on the decoder stream (§4.4.1). [`Decoder::decode_with`] does the same
    /// without building a list.
    pub fn decode(&mut self, stream_id: u64, block: Bytes) -> Result<Decoded, DecodeError> {
        let mut fields = Vec::with_capacity(field_count_estimate(&block));
        let delivery = self.collect_headers(&mut fields, |decoder, sink| {
            decoder.decode_with(stream_id, block, sink)
        })?;
        Ok(match delivery {
            Delivery::Complete => Decoded::Fields(fields),
            Delivery::Blocked => Decoded::Blocked,
        })
    }

    /// Decodes the field section of a HEADERS frame on `stream_id`
    /// (RFC 9204 §4.5), handing each field to `sink` as it is read: no
    /// allocation or reference count per field. Blocking, limits, errors and
    /// acknowledgments are those of [`Decoder::decode`]; a blocked section is
    /// delivered later by [`Decoder::resume_with`].
    pub fn decode_with<S: FieldSink + ?Sized>(
        &mut self,
        stream_id: u64,
        block: Bytes,
        sink: &mut S,
    ) -> Result<Delivery, DecodeError> {
        let prefix = self.read_prefix(&block)?;
        if prefix.required_insert_count > self.table.insert_count() {
            let already_blocked = self
                .blocked
                .iter()
                .any(|section| section.stream_id == stream_id);
            if !already_blocked && self.blocked_streams() >= self.max_blocked_streams {
                return Err(DecodeError::TooManyBlockedStreams(self.max_blocked_streams));
            }
            self.blocked.push(BlockedSection {
                stream_id,
                prefix,
                block,
            });
            return Ok(Delivery::Blocked);
        }
        self.decode_lines(stream_id, &block, prefix, sink)?;
        Ok(Delivery::Complete)
    }

    /// Decodes the oldest section blocked on `stream_id` once the inserts it
    /// needs have arrived; `None` while it is still blocked, or if no section
    /// of that stream was blocked.
    pub fn resume(&mut self, stream_id: u64) -> Option<Result<Vec<Header>, DecodeError>> {
        let block = &self
            .blocked
            .iter()
            .find(|section| section.stream_id == stream_id)?
            .block;
        let mut fields = Vec::with_capacity(field_count_estimate(block));
        let resumed = self.collect_headers(&mut fields, |decoder, sink| {
            decoder.resume_with(stream_id, sink)
        })?;
        Some(resumed.map(|()| fields))
    }

    /// [`Decoder::resume`], handing the fields to `sink` as
    /// [`Decoder::decode_with`] does.
    pub fn resume_with<S: FieldSink + ?Sized>(
        &mut self,
        stream_id: u64,
        sink: &mut S,
    ) -> Option<Result<(), DecodeError>> {
        let insert_count = self.table.insert_count();
        let at = self
            .blocked
            .iter()
            .position(|section| section.stream_id == stream_id)?;
        if self.blocked.get(at)?.prefix.required_insert_count > insert_count {
            return None;
        }
        let section = self.blocked.remove(at);
        Some(self.decode_lines(stream_id, &section.block, section.prefix, sink))
    }

    /// Runs `decode` with a sink that turns each field into a [`Header`]
    /// pushed on `fields`, its decoded strings sharing the decoder's arena.
    fn collect_headers<T>(
        &mut self,
        fields: &mut Vec<Header>,
        decode: impl FnOnce(&mut Self, &mut HeaderList<'_>) -> T,
    ) -> T {
        let mut arena = std::mem::take(&mut self.arena);
        let mut sink = HeaderList {
            fields: std::mem::take(fields),
            arena: &mut arena,
        };
        let result = decode(self, &mut sink);
        *fields = sink.fields;
        self.arena = arena;
        result
    }

    /// Forgets what is blocked on `stream_id` and tells the encoder that the
    /// stream's sections will never be acknowledged (Stream Cancellation,
    /// RFC 9204 §4.4.2): call it when the stream is reset or its reading is
    /// abandoned. Nothing is sent when the table capacity is 0, as §4.4.2
    /// allows.
    pub fn cancel_stream(&mut self, stream_id: u64) {
        self.blocked
            .retain(|section| section.stream_id != stream_id);
        if self.max_table_capacity > 0 {
            write_integer(stream_id, 6, 0x40, &mut self.transmit);
        }
    }

    /// Reads bytes of the peer's encoder stream (RFC 9204 §4.3), after its
    /// stream type. Instructions may be split anywhere; the start of an
    /// incomplete one is kept until the rest arrives.
    ///
    /// Returns the streams that had a section blocked and can now go on: call
    /// [`Decoder::resume`] for each.
    pub fn recv_encoder_stream(&mut self, bytes: &[u8]) -> Result<Vec<u64>, EncoderStreamError> {
        if self.partial_instruction.is_empty() {
            let consumed = self.apply_instructions(bytes)?;
            self.partial_instruction
                .extend_from_slice(bytes.get(consumed..).unwrap_or_default());
        } else {
            self.partial_instruction.extend_from_slice(bytes);
            let pending = self.partial_instruction.split();
            let consumed = self.apply_instructions(&pending)?;
            self.partial_instruction
                .extend_from_slice(pending.get(consumed..).unwrap_or_default());
        }
        let insert_count = self.table.insert_count();
        let mut unblocked: Vec<u64> = Vec::new();
        for section in &self.blocked {
            if section.prefix.required_insert_count <= insert_count
                && !unblocked.contains(&section.stream_id)
            {
                unblocked.push(section.stream_id);
            }
        }
        Ok(unblocked)
    }

    /// The next bytes to write on the decoder stream, if any. An Insert
    /// Count Increment for inserts no acknowledgment has covered is added
    /// here, so one increment covers everything received before the poll
    /// (RFC 9204 §4.4.3).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        let insert_count = self.table.insert_count();
        if insert_count > self.known_received_count {
            write_integer(
                insert_count - self.known_received_count,
                6,
                0x00,
                &mut self.transmit,
            );
            self.known_received_count = insert_count;
        }
        (!self.transmit.is_empty()).then(|| self.transmit.split().freeze())
    }

    /// Whether [`Decoder::poll_transmit`] has bytes.
    pub fn wants_write(&self) -> bool {
        !self.transmit.is_empty() || self.table.insert_count() > self.known_received_count
    }

    /// Reads the Required Insert Count and Base (RFC 9204 §4.5.1).
    fn read_prefix(&self, block: &[u8]) -> Result<Prefix, DecodeError> {
        let mut cursor = 0;
        let encoded = read_integer(block, &mut cursor, 8).map_err(section_error)?;
        let sign = block.get(cursor).ok_or(DecodeError::Truncated)? & 0x80 != 0;
        let delta = read_integer(block, &mut cursor, 7).map_err(section_error)?;
        let required_insert_count = self.required_insert_count(encoded)?;
        let base = if sign {
            // §4.5.1.2: Base = RIC - DeltaBase - 1, which must not be negative.
            required_insert_count
                .checked_sub(delta)
                .and_then(|base| base.checked_sub(1))
                .ok_or(DecodeError::InvalidPrefix)?
        } else {
            required_insert_count
                .checked_add(delta)
                .ok_or(DecodeError::InvalidPrefix)?
        };
        Ok(Prefix {
            required_insert_count,
            base,
            lines_start: cursor,
        })
    }

    /// Recovers the Required Insert Count from its encoding modulo twice the
    /// table's maximum number of entries (RFC 9204 §4.5.1.1).
    fn required_insert_count(&self, encoded: u64) -> Result<u64, DecodeError> {
        if encoded == 0 {
            return Ok(0);
        }
        let max_entries = self.max_table_capacity as u64 / 32;
        let full_range = 2 * max_entries;
        if encoded > full_range {
            return Err(DecodeError::InvalidPrefix);
        }
        let max_value = self.table.insert_count() + max_entries;
        let max_wrapped = (max_value / full_range) * full_range;
        let mut required = max_wrapped + encoded - 1;
        if required > max_value {
            if required <= full_range {
                return Err(DecodeError::InvalidPrefix);
            }
            required -= full_range;
        }
        if required == 0 {
            return Err(DecodeError::InvalidPrefix);
        }
        Ok(required)
    }

    /// Decodes the field lines of a section whose inserts have all arrived
    /// (RFC 9204 §4.5.2 to §4.5.6), then acknowledges it (§4.4.1). A section
    /// over the size limit is cancelled instead (§4.4.2): its message will
    /// not be read, so its references must not hold entries in the encoder's
    /// table.
    fn decode_lines<S: FieldSink + ?Sized>(
        &mut self,
        stream_id: u64,
        block: &Bytes,
        prefix: Prefix,
        sink: &mut S,
    ) -> Result<(), DecodeError> {
        let required_insert_count = prefix.required_insert_count;
        let lines = SectionLines {
            table: &self.table,
            scratch: &mut self.scratch,
            block,
            prefix,
            max_size: self.max_field_section_size,
        };
        match lines.read(sink) {
            Ok(()) => {
                if required_insert_count > 0 {
                    write_integer(stream_id, 7, 0x80, &mut self.transmit);
                    self.known_received_count =
                        self.known_received_count.max(required_insert_count);
                }
                Ok(())
            }
            Err(error @ DecodeError::FieldSectionTooLarge(_)) => {
                if required_insert_count > 0 {
                    write_integer(stream_id, 6, 0x40, &mut self.transmit);
                }
                Err(error)
            }
            Err(error) => Err(error),
        }
    }

    /// Applies every complete instruction at the start of `src` and returns
    /// how many bytes they took.
    fn apply_instructions(&mut self, src: &[u8]) -> Result<usize, EncoderStreamError> {
        let mut cursor = 0;
        while cursor < src.len() {
            let start = cursor;
            match self.apply_instruction(src, &mut cursor) {
                Ok(()) => {}
                Err(InstructionError::Incomplete) => return Ok(start),
                Err(InstructionError::Invalid(error)) => return Err(error),
            }
        }
        Ok(cursor)
    }

    /// Applies the encoder-stream instruction at `*cursor` (RFC 9204 §4.3).
    fn apply_instruction(
        &mut self,
        src: &[u8],
        cursor: &mut usize,
    ) -> Result<(), InstructionError> {
        let first = *src.get(*cursor).ok_or(InstructionError::Incomplete)?;
        self.scratch.clear();
        if first & 0x80 != 0 {
            // Insert with Name Reference (§4.3.2).
            let index = read_integer(src, cursor, 6)?;
            let name = if first & 0x40 != 0 {
                Bytes::from_static(
                    STATIC
                        .get(usize::try_from(index).unwrap_or(usize::MAX))
                        .ok_or(EncoderStreamError::InvalidStaticIndex(index))?
                        .0,
                )
            } else {
                // The name is held by reference count: the insert may evict
                // the entry it names (§3.2.2).
                self.insert_relative(index)?.0
            };
            let room = self
                .table
                .capacity()
                .saturating_sub(entry_size(name.len(), 0));
            let value = self.read_instruction_string(src, cursor, 7, room)?;
            let value = value.of(src, &self.scratch);
            insert(&mut self.table, &name, value)?;
        } else if first & 0x40 != 0 {
            // Insert with Literal Name (§4.3.3).
            let room = self.table.capacity().saturating_sub(entry_size(0, 0));
            let name = self.read_instruction_string(src, cursor, 5, room)?;
            let room = room.saturating_sub(name.len());
            let value = self.read_instruction_string(src, cursor, 7, room)?;
            let (name, value) = (name.of(src, &self.scratch), value.of(src, &self.scratch));
            insert(&mut self.table, name, value)?;
        } else if first & 0x20 != 0 {
            // Set Dynamic Table Capacity (§4.3.1).
            let capacity = read_integer(src, cursor, 5)?;
            let capacity = usize::try_from(capacity)
                .ok()
                .filter(|&capacity| capacity <= self.max_table_capacity)
                .ok_or(EncoderStreamError::CapacityTooLarge {
                    requested: capacity,
                    max: self.max_table_capacity,
                })?;
            self.table.set_capacity(capacity);
        } else {
            // Duplicate (§4.3.4).
            let index = read_integer(src, cursor, 5)?;
            let (name, value) = self.insert_relative(index)?;
            insert(&mut self.table, &name, &value)?;
        }
        Ok(())
    }

    /// The entry at a relative index of the encoder stream (RFC 9204 §3.2.5).
    fn insert_relative(&self, index: u64) -> Result<(Bytes, Bytes), EncoderStreamError> {
        self.table
            .insert_count()
            .checked_sub(index)
            .and_then(|next| next.checked_sub(1))
            .and_then(|absolute| self.table.get(absolute))
            .cloned()
            .ok_or(EncoderStreamError::InvalidRelativeIndex(index))
    }

    /// Reads a string of an insert; `room` is what the table has left for
    /// it, so a string too large for the table is refused on its length.
    /// Huffman strings are decoded after what the scratch buffer holds.
    fn read_instruction_string(
        &mut self,
        src: &[u8],
        cursor: &mut usize,
        prefix_bits: u8,
        room: usize,
    ) -> Result<Span, InstructionError> {
        let capacity = self.table.capacity();
        let span =
            read_literal(src, cursor, prefix_bits, room, &mut self.scratch)?.map_err(|size| {
                EncoderStreamError::EntryTooLarge {
                    size: size.saturating_add(32),
                    capacity,
                }
            })?;
        Ok(span)
    }
}

/// Room for the fields of a section: they take six to eight bytes on
/// average in the raw-data stories, and a few more slots save growing the
/// list for most sections.
fn field_count_estimate(block: &[u8]) -> usize {
    block.len().min(1024) / 8 + 4
}

/// Inserts an entry the table's capacity allows (RFC 9204 §3.2.2).
fn insert(table: &mut DynamicTable, name: &[u8], value: &[u8]) -> Result<(), EncoderStreamError> {
    let size = entry_size(name.len(), value.len());
    if size > table.capacity() {
        return Err(EncoderStreamError::EntryTooLarge {
            size: size as u64,
            capacity: table.capacity(),
        });
    }
    table.insert(name, value);
    Ok(())
}

/// An encoder-stream instruction that could not be applied: cut short (wait
/// for more), or wrong.
enum InstructionError {
    Incomplete,
    Invalid(EncoderStreamError),
}

impl From<EncoderStreamError> for InstructionError {
    fn from(error: EncoderStreamError) -> Self {
        Self::Invalid(error)
    }
}

impl From<WireError> for InstructionError {
    fn from(error: WireError) -> Self {
        match error {
            WireError::Truncated => Self::Incomplete,
            WireError::IntegerOverflow => Self::Invalid(EncoderStreamError::IntegerOverflow),
            WireError::InvalidHuffman => Self::Invalid(EncoderStreamError::InvalidHuffman),
        }
    }
}
