#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod codec;
mod config;
mod conn;
mod error;
mod event;
pub mod frame;
mod id;
mod reader;
pub mod settings;
mod transmit;
pub mod varint;

pub use config::{Config, Limits};
pub use conn::Connection;
pub use error::{ConnectionError, ErrorCode, Initiator, SendError};
pub use event::{Event, HeadersKind};
pub use hpack::Header;
pub use http_core::{RateLimit, Role};
pub use id::StreamId;
pub use settings::Settings;
pub use transmit::{Target, Transmit};
