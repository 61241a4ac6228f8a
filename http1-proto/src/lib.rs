#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod body;
mod config;
mod conn;
mod error;
mod event;
mod framing;
mod head;
mod headers;
mod parse;
mod scan;
mod state;
mod timer;
mod write;

pub use config::{Config, Leniency, Limits, Timeouts};
pub use conn::Connection;
pub use error::{ParseError, RecvError, SendError};
pub use event::Event;
pub use head::{RequestHead, ResponseHead, Version, canonical_reason};
pub use headers::HeaderMap;
pub use http_core::Role;
pub use parse::{
    ChunkLine, Field, ParsedRequest, ParsedResponse, Span, Status, parse_chunk_line, parse_fields,
    parse_request_head, parse_response_head,
};
pub use state::State;
pub use write::{write_fields, write_request_head, write_response_head};
