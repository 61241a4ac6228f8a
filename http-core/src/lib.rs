#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod field;
mod read_allocation;
mod role;
pub mod section;

pub use read_allocation::ReadAllocation;
pub use role::Role;
