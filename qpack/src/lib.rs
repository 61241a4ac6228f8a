#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod decoder;
mod encoder;
mod error;
mod section;
mod sink;
mod static_table;
mod table;
mod wire;

pub use decoder::{DEFAULT_MAX_FIELD_SECTION_SIZE, Decoded, Decoder, Delivery};
pub use encoder::{Encoder, MAX_ENCODER_TABLE_CAPACITY};
pub use error::{DecodeError, DecoderStreamError, EncoderStreamError, ErrorCode};
/// One field line: QPACK's fields are HPACK's, and its never-indexed bit
/// (the N bit, RFC 9204 §4.5.4) is [`Header::sensitive`].
pub use hpack::Header;
pub use sink::{Field, FieldSink};
pub use static_table::STATIC as STATIC_TABLE;
