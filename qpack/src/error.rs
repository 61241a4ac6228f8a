//! What can go wrong on each QPACK surface, with the error codes of RFC 9204 §6.

/// The QPACK error codes an HTTP/3 endpoint closes the connection with
/// (RFC 9204 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// QPACK_DECOMPRESSION_FAILED (0x0200): a field section could not be
    /// interpreted.
    DecompressionFailed,
    /// QPACK_ENCODER_STREAM_ERROR (0x0201): an instruction on the encoder
    /// stream could not be interpreted.
    EncoderStreamError,
    /// QPACK_DECODER_STREAM_ERROR (0x0202): an instruction on the decoder
    /// stream could not be interpreted.
    DecoderStreamError,
}

impl ErrorCode {
    /// The code's value on the wire, for an HTTP/3 CONNECTION_CLOSE.
    pub const fn value(self) -> u64 {
        match self {
            Self::DecompressionFailed => 0x0200,
            Self::EncoderStreamError => 0x0201,
            Self::DecoderStreamError => 0x0202,
        }
    }
}

/// Why a field section could not be decoded ([`crate::Decoder::decode`]).
///
/// Every variant but [`DecodeError::FieldSectionTooLarge`] is a connection
/// error of type QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.2.3, §4.5). The
/// dynamic table is never changed by a field section, so after
/// `FieldSectionTooLarge` the connection stays usable and only the message is
/// refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The section ends in the middle of a representation, or a string claims
    /// more bytes than the section has left (RFC 9204 §4.5).
    #[error("field section is truncated")]
    Truncated,
    /// A prefix integer is larger than any valid value (RFC 9204 §4.1.1).
    #[error("prefix integer overflows")]
    IntegerOverflow,
    /// A Huffman string holds EOS or ends in invalid padding (RFC 9204 §4.1.2).
    #[error("invalid Huffman-coded string")]
    InvalidHuffman,
    /// The encoded Required Insert Count, or the Base derived with it, is one
    /// no conforming encoder could have produced (RFC 9204 §4.5.1.1, §4.5.1.2).
    #[error("invalid Required Insert Count or Base")]
    InvalidPrefix,
    /// The Required Insert Count is not one more than the largest absolute
    /// index the section refers to, which is the value a conforming encoder
    /// sends (RFC 9204 §2.1.2, §4.5.1.1).
    #[error("Required Insert Count {declared} does not match the references, which need {needed}")]
    RequiredInsertCountMismatch {
        /// The count the section declared.
        declared: u64,
        /// One more than the largest absolute index the section referred to.
        needed: u64,
    },
    /// A static index past the end of the static table (RFC 9204 §3.1).
    #[error("static index {0} is not in the static table")]
    InvalidStaticIndex(u64),
    /// A dynamic reference to an entry that was evicted, or at or past the
    /// Required Insert Count (RFC 9204 §2.2.3).
    #[error("dynamic reference to absolute index {0}, which the section may not use")]
    InvalidDynamicIndex(u64),
    /// A section that needs inserts not yet received, when
    /// SETTINGS_QPACK_BLOCKED_STREAMS streams are blocked already
    /// (RFC 9204 §2.1.2).
    #[error("a field section would block more than {0} streams")]
    TooManyBlockedStreams(usize),
    /// The decoded field section (name + value + 32 per field, RFC 9114
    /// §4.2.2) exceeds the limit set with
    /// [`crate::Decoder::set_max_field_section_size`]. Not a connection
    /// error: the table is untouched, and the message alone is refused.
    #[error("decoded field section exceeds the limit of {0} bytes")]
    FieldSectionTooLarge(usize),
}

impl DecodeError {
    /// The connection error to close with, or `None` for
    /// [`DecodeError::FieldSectionTooLarge`], which refuses the message only.
    pub const fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::FieldSectionTooLarge(_) => None,
            _ => Some(ErrorCode::DecompressionFailed),
        }
    }
}

/// Why the encoder stream the peer sent could not be read
/// ([`crate::Decoder::recv_encoder_stream`]): always a connection error of
/// type QPACK_ENCODER_STREAM_ERROR (RFC 9204 §4.3, §6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncoderStreamError {
    /// A prefix integer is larger than any valid value (RFC 9204 §4.1.1).
    #[error("prefix integer overflows")]
    IntegerOverflow,
    /// A Huffman string holds EOS or ends in invalid padding (RFC 9204 §4.1.2).
    #[error("invalid Huffman-coded string")]
    InvalidHuffman,
    /// Set Dynamic Table Capacity above our SETTINGS_QPACK_MAX_TABLE_CAPACITY
    /// (RFC 9204 §4.3.1).
    #[error("dynamic table capacity {requested} exceeds the maximum of {max}")]
    CapacityTooLarge {
        /// The capacity the instruction asked for.
        requested: u64,
        /// The maximum this decoder advertised.
        max: usize,
    },
    /// An insert whose entry is larger than the table's capacity
    /// (RFC 9204 §3.2.2).
    #[error("an entry of {size} bytes does not fit a table of {capacity}")]
    EntryTooLarge {
        /// The entry's size, or a lower bound on it when refused early.
        size: u64,
        /// The table's current capacity.
        capacity: usize,
    },
    /// A static index past the end of the static table (RFC 9204 §3.1).
    #[error("static index {0} is not in the static table")]
    InvalidStaticIndex(u64),
    /// A relative index to an entry that was evicted or never inserted
    /// (RFC 9204 §4.3.2, §4.3.4).
    #[error("relative index {0} is not in the dynamic table")]
    InvalidRelativeIndex(u64),
}

impl EncoderStreamError {
    /// Always [`ErrorCode::EncoderStreamError`].
    pub const fn code(&self) -> ErrorCode {
        ErrorCode::EncoderStreamError
    }
}

/// Why the decoder stream the peer sent could not be read
/// ([`crate::Encoder::recv_decoder_stream`]): always a connection error of
/// type QPACK_DECODER_STREAM_ERROR (RFC 9204 §4.4, §6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecoderStreamError {
    /// A prefix integer is larger than any valid value (RFC 9204 §4.1.1).
    #[error("prefix integer overflows")]
    IntegerOverflow,
    /// A Section Acknowledgment for a stream with no unacknowledged field
    /// section that refers to the dynamic table (RFC 9204 §4.4.1).
    #[error("section acknowledgment for stream {0}, which has none outstanding")]
    UnexpectedAcknowledgment(u64),
    /// An Insert Count Increment of zero, or one past the inserts sent
    /// (RFC 9204 §4.4.3).
    #[error("insert count increment of {0} is invalid")]
    InvalidIncrement(u64),
}

impl DecoderStreamError {
    /// Always [`ErrorCode::DecoderStreamError`].
    pub const fn code(&self) -> ErrorCode {
        ErrorCode::DecoderStreamError
    }
}
