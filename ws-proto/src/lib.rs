#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod close;
mod config;
mod conn;
mod deflate;
mod error;
mod event;
mod frame;
mod handshake;
mod mask;
mod params;
mod pool;
mod utf8;

pub use close::{CloseCode, CloseFrame};
pub use config::{Config, Limits, MessageMode};
pub use conn::Connection;
pub use deflate::{DeflateConfig, DeflateParams};
pub use error::{Error, FrameError, HandshakeError, SendError};
pub use event::{DataKind, Event};
pub use frame::{FrameHeader, OpCode, decode_header, encode_header};
pub use handshake::{
    ClientHandshake, ClientResponse, ServerAccept, ServerOptions, accept_extended_connect,
    accept_upgrade, accept_value, requested_protocols,
};
pub use http_core::Role;
pub use mask::apply_mask;
pub use pool::BufferPool;
