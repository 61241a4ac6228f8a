//! Sans-IO HTTP/2 (RFC 9113) for clients and servers.
//!
//! A [`Connection`] is a state machine: bytes go in through [`Connection::recv`], events
//! come out of [`Connection::poll_event`], bytes to write come out of
//! [`Connection::poll_transmit`], and time is an argument (`now: Instant`) with the next
//! deadline from [`Connection::poll_timeout`]. It owns no socket, spawns nothing, reads
//! no clock and never blocks, so any runtime (or none) can drive it.
//!
//! ```text
//!   transport bytes ──► recv(now, &[u8]) ──►┌────────────────────┐──► poll_event()    ─► Event
//!                                            │     Connection      │
//!   send_headers / send_data / reset ──────►│ frames · streams ·  │──► poll_transmit() ─► transport
//!   goaway / ping / release_capacity        │ flow · settings ·   │
//!   handle_timeout(now) ───────────────────►│ timers · DoS guards │──► poll_timeout()  ─► deadline
//!                                            └────────────────────┘
//! ```
//!
//! Layers, each usable on its own:
//! - [`frame`]: the pure frame codec (RFC 9113 §4, §6).
//! - [`Connection`]: the stream state machine (§5.1), flow control (§5.2, §6.9),
//!   settings (§6.5), header validation (§8.2-8.3), GOAWAY (§6.8), server push (§8.4),
//!   and the denial-of-service guards of [`Limits`].
//! - [`detect_preface`] and [`Connection::new_h2c_upgrade`] for cleartext HTTP/2.
//!
//! HPACK comes from the `hpack` crate; its [`Header`] is the field type.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod config;
mod conn;
mod dos;
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

pub use config::{Config, Limits, RateLimit, Role};
pub use conn::Connection;
pub use error::{ConnectionError, ErrorCode, Initiator, SendError};
pub use event::{Event, HeadersKind};
pub use h2c::{H2cSettingsError, PREFACE, PrefaceCheck, detect_preface, parse_h2c_settings};
pub use hpack::Header;
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
