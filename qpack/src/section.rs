//! The field lines of a section (RFC 9204 §4.5.2 to §4.5.6), read into a
//! [`FieldSink`].

use bytes::Bytes;

use crate::error::DecodeError;
use crate::sink::{Field, FieldSink, Piece};
use crate::static_table::STATIC;
use crate::table::{DynamicTable, entry_size};
use crate::wire::{Span, WireError, read_integer, read_literal};

/// What a section's prefix says (RFC 9204 §4.5.1), and where its field
/// lines start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prefix {
    pub(crate) required_insert_count: u64,
    pub(crate) base: u64,
    pub(crate) lines_start: usize,
}

/// A section whose inserts have all arrived, with what reading it needs.
pub(crate) struct SectionLines<'a> {
    pub(crate) table: &'a DynamicTable,
    /// Where Huffman-coded strings are decoded to; cleared per field line.
    pub(crate) scratch: &'a mut Vec<u8>,
    pub(crate) block: &'a Bytes,
    pub(crate) prefix: Prefix,
    /// The limit on the decoded section: name + value + 32 per field.
    pub(crate) max_size: usize,
}

/// Where a name or value is while its field line is read: the scratch
/// buffer may still grow, so borrowing from it waits until the line is whole.
#[derive(Clone, Copy)]
enum Text<'a> {
    Static(&'static [u8]),
    Entry(&'a Bytes),
    Literal(Span),
}

impl SectionLines<'_> {
    /// Hands every field line to `sink`, in order, and checks that the
    /// references match the Required Insert Count (§2.1.2).
    pub(crate) fn read<S: FieldSink + ?Sized>(self, sink: &mut S) -> Result<(), DecodeError> {
        let Self {
            table,
            scratch,
            block,
            prefix,
            max_size,
        } = self;
        let Prefix {
            required_insert_count,
            base,
            lines_start,
        } = prefix;
        // A dynamic entry a section may refer to: below its Required Insert
        // Count and not evicted (§2.2.3).
        let entry = |absolute: u64| {
            table
                .get(absolute)
                .filter(|_| absolute < required_insert_count)
                .ok_or(DecodeError::InvalidDynamicIndex(absolute))
        };
        let mut cursor = lines_start;
        // What the size limit leaves for the rest of the section.
        let mut room = max_size;
        // One more than the largest absolute index referred to.
        let mut needed = 0;
        while let Some(&first) = block.get(cursor) {
            scratch.clear();
            let (name, value, sensitive) = if first & 0x80 != 0 {
                // Indexed Field Line (§4.5.2).
                let index = read_integer(block, &mut cursor, 6).map_err(section_error)?;
                if first & 0x40 != 0 {
                    let (name, value) = static_entry(index)?;
                    (Text::Static(name), Text::Static(value), false)
                } else {
                    let absolute = relative_to_absolute(base, index)?;
                    let (name, value) = entry(absolute)?;
                    needed = needed.max(absolute + 1);
                    (Text::Entry(name), Text::Entry(value), false)
                }
            } else if first & 0x40 != 0 {
                // Literal Field Line with Name Reference (§4.5.4).
                let index = read_integer(block, &mut cursor, 4).map_err(section_error)?;
                let name = if first & 0x10 != 0 {
                    Text::Static(static_entry(index)?.0)
                } else {
                    let absolute = relative_to_absolute(base, index)?;
                    needed = needed.max(absolute + 1);
                    Text::Entry(&entry(absolute)?.0)
                };
                let room = room.saturating_sub(entry_size(name.len(), 0));
                let value = literal(block, &mut cursor, 7, room, scratch, max_size)?;
                (name, Text::Literal(value), first & 0x20 != 0)
            } else if first & 0x20 != 0 {
                // Literal Field Line with Literal Name (§4.5.6).
                let name = literal(
                    block,
                    &mut cursor,
                    3,
                    room.saturating_sub(32),
                    scratch,
                    max_size,
                )?;
                let room = room.saturating_sub(entry_size(name.len(), 0));
                let value = literal(block, &mut cursor, 7, room, scratch, max_size)?;
                (Text::Literal(name), Text::Literal(value), first & 0x10 != 0)
            } else if first & 0x10 != 0 {
                // Indexed Field Line with Post-Base Index (§4.5.3).
                let index = read_integer(block, &mut cursor, 4).map_err(section_error)?;
                let absolute = post_base_to_absolute(base, index)?;
                let (name, value) = entry(absolute)?;
                needed = needed.max(absolute + 1);
                (Text::Entry(name), Text::Entry(value), false)
            } else {
                // Literal Field Line with Post-Base Name Reference (§4.5.5).
                let index = read_integer(block, &mut cursor, 3).map_err(section_error)?;
                let absolute = post_base_to_absolute(base, index)?;
                let name = &entry(absolute)?.0;
                needed = needed.max(absolute + 1);
                let room = room.saturating_sub(entry_size(name.len(), 0));
                let value = literal(block, &mut cursor, 7, room, scratch, max_size)?;
                (Text::Entry(name), Text::Literal(value), first & 0x08 != 0)
            };
            let field = Field::new(
                piece(name, block, scratch),
                piece(value, block, scratch),
                sensitive,
            );
            room = room
                .checked_sub(field.size())
                .ok_or(DecodeError::FieldSectionTooLarge(max_size))?;
            sink.field(field);
        }
        if needed != required_insert_count {
            return Err(DecodeError::RequiredInsertCountMismatch {
                declared: required_insert_count,
                needed,
            });
        }
        Ok(())
    }
}

/// Reads a string literal of a field line, refusing it on its length alone
/// when it cannot fit in `room`, what the limit of `max_size` has left.
#[inline]
fn literal(
    block: &[u8],
    cursor: &mut usize,
    prefix_bits: u8,
    room: usize,
    scratch: &mut Vec<u8>,
    max_size: usize,
) -> Result<Span, DecodeError> {
    read_literal(block, cursor, prefix_bits, room, scratch)
        .map_err(section_error)?
        .map_err(|_| DecodeError::FieldSectionTooLarge(max_size))
}

impl Text<'_> {
    fn len(self) -> usize {
        match self {
            Self::Static(bytes) => bytes.len(),
            Self::Entry(bytes) => bytes.len(),
            Self::Literal(span) => span.len(),
        }
    }
}

#[inline(always)]
fn piece<'a>(text: Text<'a>, block: &'a Bytes, scratch: &'a [u8]) -> Piece<'a> {
    match text {
        Text::Static(bytes) => Piece::from_static(bytes),
        Text::Entry(bytes) => Piece::entry(bytes),
        Text::Literal(Span::Input(start, end)) => {
            Piece::within(block, block.get(start..end).unwrap_or_default())
        }
        Text::Literal(span @ Span::Scratch(..)) => Piece::scratch(span.of(block, scratch)),
    }
}

pub(crate) fn section_error(error: WireError) -> DecodeError {
    match error {
        WireError::Truncated => DecodeError::Truncated,
        WireError::IntegerOverflow => DecodeError::IntegerOverflow,
        WireError::InvalidHuffman => DecodeError::InvalidHuffman,
    }
}

fn static_entry(index: u64) -> Result<(&'static [u8], &'static [u8]), DecodeError> {
    usize::try_from(index)
        .ok()
        .and_then(|index| STATIC.get(index))
        .copied()
        .ok_or(DecodeError::InvalidStaticIndex(index))
}

/// A relative index in a field line counts back from the Base (RFC 9204
/// §3.2.5).
fn relative_to_absolute(base: u64, index: u64) -> Result<u64, DecodeError> {
    base.checked_sub(index)
        .and_then(|next| next.checked_sub(1))
        .ok_or(DecodeError::InvalidDynamicIndex(index))
}

/// A post-base index counts on from the Base (RFC 9204 §3.2.6).
fn post_base_to_absolute(base: u64, index: u64) -> Result<u64, DecodeError> {
    base.checked_add(index)
        .ok_or(DecodeError::InvalidDynamicIndex(index))
}
