//! Header block decoding (RFC 7541 §3, §6).

use bytes::{Bytes, BytesMut};

use crate::integer::decode_integer;
use crate::table::{DynamicTable, entry_size};
use crate::{DecodeError, Header, huffman};

/// The default limit on a decoded header list: generous for real traffic,
/// yet a bound on what one block can make the caller hold.
pub const DEFAULT_MAX_HEADER_LIST_SIZE: usize = 1 << 20;

/// How much room to reserve for Huffman-decoded strings at a time, so that
/// many short strings share one allocation.
const SCRATCH_CHUNK: usize = 4096;

/// Decodes header blocks, keeping the dynamic table in step with the peer's
/// encoder.
///
/// Blocks must be decoded in the order they arrive on the connection and in
/// full, even for streams that are being refused, or the table falls out of
/// sync (RFC 7541 §2.2).
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    /// Our SETTINGS_HEADER_TABLE_SIZE: no size update may exceed it.
    max_table_size: usize,
    /// Set when the maximum dropped below the table's capacity: the next block
    /// must begin with a size update (RFC 7541 §4.2).
    size_update_required: bool,
    max_header_list_size: usize,
    /// Where Huffman-coded strings are decoded to before being split off as
    /// `Bytes`; kept between blocks so allocations are amortized.
    scratch: BytesMut,
}

impl Default for Decoder {
    /// A decoder with the protocol's initial table size of 4096 bytes.
    fn default() -> Self {
        Self::new(4096)
    }
}

impl Decoder {
    /// A decoder whose dynamic table starts at, and may grow to,
    /// `max_table_size` bytes: the SETTINGS_HEADER_TABLE_SIZE this endpoint
    /// advertises (4096 unless changed, RFC 9113 §6.5.2).
    pub fn new(max_table_size: usize) -> Self {
        Self {
            table: DynamicTable::new(max_table_size),
            max_table_size,
            size_update_required: false,
            max_header_list_size: DEFAULT_MAX_HEADER_LIST_SIZE,
            scratch: BytesMut::new(),
        }
    }

    /// Changes the largest table size the peer's encoder may use, once our
    /// SETTINGS_HEADER_TABLE_SIZE takes effect (RFC 7541 §4.2).
    ///
    /// Size updates in later blocks are checked against `max`. If `max` is
    /// below the table's current size, the next block must start with a size
    /// update or it fails with [`DecodeError::MissingSizeUpdate`].
    pub fn set_max_table_size(&mut self, max: usize) {
        self.max_table_size = max;
        if max < self.table.capacity() {
            self.size_update_required = true;
        }
    }

    /// Limits the decoded header list: the sum of name + value + 32 over its
    /// fields (SETTINGS_MAX_HEADER_LIST_SIZE, RFC 9113 §6.5.2). The default is
    /// [`DEFAULT_MAX_HEADER_LIST_SIZE`].
    pub fn set_max_header_list_size(&mut self, max: usize) {
        self.max_header_list_size = max;
    }

    /// Frees the scratch buffer Huffman-coded strings are decoded into, which is
    /// otherwise kept between blocks. For a connection that expects no header block
    /// for a while (an idle HTTP/2 connection): the table's entries, which the peer
    /// indexes into, stay.
    pub fn release_scratch(&mut self) {
        self.scratch = BytesMut::new();
    }

    /// The dynamic table's current size limit, as last set by a size update.
    pub fn table_capacity(&self) -> usize {
        self.table.capacity()
    }

    /// The bytes the dynamic table's entries count for (RFC 7541 §4.1).
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    /// The dynamic table's entries as `(name, value)`, newest (index 62) first.
    pub fn table_entries(&self) -> impl Iterator<Item = (&Bytes, &Bytes)> {
        self.table.iter().map(|(name, value)| (name, value))
    }

    /// Decodes one complete header block (a HEADERS or PUSH_PROMISE fragment
    /// joined with its CONTINUATIONs), appending its fields to `out`.
    ///
    /// String literals that are not Huffman-coded come out as slices of
    /// `block`, without copying: they are for immediate use. The dynamic table
    /// keeps its own copies of the fields it indexes, so it never holds `block`
    /// alive (RFC 7541 §4.1 bounds what it keeps). Fields sent as never-indexed come out with
    /// `sensitive` set, so that a proxy re-encodes them the same way
    /// (RFC 7541 §7.1.3).
    ///
    /// On [`DecodeError::HeaderListTooLarge`] the block has still been decoded
    /// to its end and the table is in sync; `out` then holds the fields that
    /// came before the limit was crossed. After any other error the table is
    /// unusable and the connection must end with `COMPRESSION_ERROR`.
    pub fn decode(&mut self, block: Bytes, out: &mut Vec<Header>) -> Result<(), DecodeError> {
        let wire: &[u8] = &block;
        let mut cursor = 0;
        let mut list_size = 0usize;
        let mut at_block_start = true;
        while let Some(&first) = wire.get(cursor) {
            if first & 0x80 != 0 && list_size > self.max_header_list_size {
                // Past the limit nothing more is handed out, and an indexed
                // field leaves the table as it is: only its size counts. A
                // block of one-octet references to a large entry is what a
                // peer sends to make refusing it cost the most, so no
                // reference to the entry's bytes is taken (RFC 9113 §10.5.1).
                let index = decode_integer(wire, &mut cursor, 7)?;
                list_size = list_size.saturating_add(self.table.field_size(index)?);
                continue;
            }
            let header = if first & 0x80 != 0 {
                // Indexed field (RFC 7541 §6.1).
                let index = decode_integer(wire, &mut cursor, 7)?;
                let (name, value) = self.table.get(index)?;
                Header {
                    name,
                    value,
                    sensitive: false,
                }
            } else if first & 0x40 != 0 {
                // Literal with incremental indexing (RFC 7541 §6.2.1).
                let header = self.literal(&block, &mut cursor, 6, false)?;
                self.table.insert(&header.name, &header.value);
                header
            } else if first & 0x20 != 0 {
                // Dynamic table size update (RFC 7541 §6.3).
                if !at_block_start {
                    return Err(DecodeError::LateSizeUpdate);
                }
                let requested = decode_integer(wire, &mut cursor, 5)?;
                if requested > self.max_table_size {
                    return Err(DecodeError::SizeUpdateTooLarge {
                        requested,
                        max: self.max_table_size,
                    });
                }
                self.table.set_capacity(requested);
                self.size_update_required = false;
                continue;
            } else {
                // Literal without indexing (0000) or never indexed (0001)
                // (RFC 7541 §6.2.2, §6.2.3).
                self.literal(&block, &mut cursor, 4, first & 0x10 != 0)?
            };
            if at_block_start {
                at_block_start = false;
                if self.size_update_required {
                    return Err(DecodeError::MissingSizeUpdate);
                }
            }
            // Past the limit the block is still decoded, to keep the table in
            // sync, but nothing more is handed out.
            list_size = list_size.saturating_add(entry_size(header.name.len(), header.value.len()));
            if list_size <= self.max_header_list_size {
                out.push(header);
            }
        }
        if self.size_update_required {
            return Err(DecodeError::MissingSizeUpdate);
        }
        if list_size > self.max_header_list_size {
            return Err(DecodeError::HeaderListTooLarge(list_size));
        }
        Ok(())
    }

    /// Reads a literal field whose name index has a `prefix_bits` prefix.
    fn literal(
        &mut self,
        block: &Bytes,
        cursor: &mut usize,
        prefix_bits: u8,
        sensitive: bool,
    ) -> Result<Header, DecodeError> {
        let name_index = decode_integer(block, cursor, prefix_bits)?;
        let name = if name_index == 0 {
            self.string(block, cursor)?
        } else {
            self.table.name(name_index)?
        };
        let value = self.string(block, cursor)?;
        Ok(Header {
            name,
            value,
            sensitive,
        })
    }

    /// Reads a string literal (RFC 7541 §5.2).
    fn string(&mut self, block: &Bytes, cursor: &mut usize) -> Result<Bytes, DecodeError> {
        let huffman_coded = block.get(*cursor).ok_or(DecodeError::Truncated)? & 0x80 != 0;
        let len = decode_integer(block, cursor, 7)?;
        let start = *cursor;
        // The length is checked against the block before anything is
        // allocated, so a string claiming 2^31 bytes costs nothing.
        let end = start
            .checked_add(len)
            .filter(|&end| end <= block.len())
            .ok_or(DecodeError::Truncated)?;
        *cursor = end;
        if !huffman_coded {
            return Ok(block.slice(start..end));
        }
        let encoded = block.get(start..end).ok_or(DecodeError::Truncated)?;
        // Decoded Huffman is at most 8/5 of its encoding; reserve whole chunks
        // so consecutive strings share one allocation.
        let needed = len / 5 * 8 + 8;
        if self.scratch.capacity() - self.scratch.len() < needed {
            self.scratch.reserve(needed.max(SCRATCH_CHUNK));
        }
        huffman::decode(encoded, &mut self.scratch)?;
        Ok(self.scratch.split().freeze())
    }
}
