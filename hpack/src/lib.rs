#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod decoder;
mod encoder;
mod encoder_table;
mod error;
mod history;
pub mod huffman;
mod integer;
mod table;

use bytes::Bytes;
#[cfg(doc)]
use bytes::BytesMut;

pub use decoder::{DEFAULT_MAX_HEADER_LIST_SIZE, Decoder};
pub use encoder::{Encoder, MAX_ENCODER_TABLE_SIZE, RARELY_REPEATING_NAMES, SENSITIVE_NAMES};
pub use encoder_table::{EncoderTable, TableMatch};
pub use error::DecodeError;
pub use history::InsertionHistory;
pub use integer::{decode_integer_up_to, encode_integer};
pub use table::{bytes_eq, hash};

/// One header field: a name, a value and whether it must never be indexed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// The field name; HTTP/2 requires it in lower case (RFC 9113 §8.2.1).
    pub name: Bytes,
    /// The field value.
    pub value: Bytes,
    /// Sent as a never-indexed literal, so that neither this hop nor any
    /// intermediary adds it to a compression table (RFC 7541 §7.1.3). The
    /// decoder sets it on fields that arrived that way.
    pub sensitive: bool,
}

impl Header {
    /// A field the encoder may index.
    pub fn new(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            sensitive: false,
        }
    }

    /// A field that is never indexed, e.g. one carrying a secret
    /// (RFC 7541 §7.1.3).
    pub fn sensitive(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            sensitive: true,
        }
    }

    /// The size the field counts for in a dynamic table and in a header list:
    /// name + value + 32 (RFC 7541 §4.1, RFC 9113 §6.5.2).
    pub fn size(&self) -> usize {
        table::entry_size(self.name.len(), self.value.len())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Header {
    fn arbitrary(input: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let name: Vec<u8> = input.arbitrary()?;
        let value: Vec<u8> = input.arbitrary()?;
        Ok(Self {
            name: name.into(),
            value: value.into(),
            sensitive: input.arbitrary()?,
        })
    }
}
