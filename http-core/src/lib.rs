//! What the HTTP protocol crates of weft share: the connection [`Role`] and the field
//! grammar of RFC 9110 (one implementation of each rule, as h11 keeps `_abnf.py`).
//!
//! No I/O, no allocation on the hot paths, no dependencies.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod field;
mod role;

pub use role::Role;
