#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod config;
mod conn;
mod error;
mod event;
mod flow;
pub mod frame;
mod h2c;
mod id;
mod output;
mod settings;
mod streams;
mod timer;
mod validate;

pub use config::{Config, Limits, RateLimit};
pub use conn::{Connection, IdleConnection};
pub use error::{ConnectionError, ErrorCode, Initiator, SendError};
pub use event::{Event, HeadersKind};
pub use h2c::{H2cSettingsError, PREFACE, PrefaceCheck, detect_preface, parse_h2c_settings};
pub use hpack::Header;
pub use http_core::Role;
pub use id::StreamId;
pub use settings::Settings;
pub use streams::StreamState;

/// The origin of the virtual clock in unit tests: any instant works, because the
/// connection only ever compares instants it was given.
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
pub(crate) fn test_epoch() -> std::time::Instant {
    std::time::Instant::now()
}
