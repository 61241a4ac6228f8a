//! What can be wrong with a header block.

/// Why a header block could not be decoded.
///
/// Every variant is a compression error: an HTTP/2 endpoint answers it with a
/// connection error of type `COMPRESSION_ERROR` (RFC 9113 §4.3), except
/// [`DecodeError::HeaderListTooLarge`], after which the dynamic table is still
/// in sync and the stream alone can be refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The block ends in the middle of a representation, or a string claims
    /// more bytes than the block has left (RFC 7541 §5.1, §5.2).
    #[error("header block is truncated")]
    Truncated,
    /// A prefix integer does not fit in 32 bits or uses more continuation
    /// bytes than such a value needs (RFC 7541 §5.1).
    #[error("prefix integer overflows")]
    IntegerOverflow,
    /// An index that is zero or past the end of the static and dynamic tables
    /// (RFC 7541 §2.3.3).
    #[error("index {0} is not in the static or dynamic table")]
    InvalidIndex(usize),
    /// A Huffman string holds EOS, or ends in padding that is longer than seven
    /// bits or not all ones (RFC 7541 §5.2).
    #[error("invalid Huffman-coded string")]
    InvalidHuffman,
    /// A dynamic table size update above the maximum this endpoint allows
    /// (RFC 7541 §6.3).
    #[error("dynamic table size update to {requested} exceeds the maximum of {max}")]
    SizeUpdateTooLarge {
        /// The size the update asked for.
        requested: usize,
        /// The maximum set with `Decoder::set_max_table_size`.
        max: usize,
    },
    /// A dynamic table size update after the first field representation of
    /// the block (RFC 7541 §4.2).
    #[error("dynamic table size update after the start of the header block")]
    LateSizeUpdate,
    /// The maximum table size was lowered below the table's current size and
    /// the next block did not begin with a size update (RFC 7541 §4.2).
    #[error("header block does not begin with the required dynamic table size update")]
    MissingSizeUpdate,
    /// The decoded header list (name + value + 32 per field, RFC 9113 §6.5.2)
    /// exceeds the configured maximum. The block was still decoded to its end,
    /// so the dynamic table remains usable. Carries the size of the whole list.
    #[error("decoded header list of {0} bytes exceeds the limit")]
    HeaderListTooLarge(usize),
}
