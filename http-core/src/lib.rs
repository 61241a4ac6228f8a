#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod field;
mod rate;
mod read_allocation;
mod role;
pub mod section;

pub use rate::{RateLimit, TokenBucket};
pub use read_allocation::ReadAllocation;
pub use role::{Initiator, Role};
