//! Sans-IO HTTP/1.1 (RFC 9110, RFC 9112) for clients and servers.
//!
//! Two layers, both public:
//!
//! - **The pure layer**, httparse-shaped: [`parse_request_head`], [`parse_response_head`],
//!   [`parse_fields`] and [`parse_chunk_line`] over `&[u8]`, returning
//!   [`Status::Complete`] or [`Status::Partial`] and [`Span`] offsets into the input;
//!   [`write_request_head`], [`write_response_head`] and [`write_fields`] to serialize.
//! - **[`Connection`]**, h11-shaped: one state machine per connection, in
//!   [`Role::Server`] or [`Role::Client`], handling keep-alive, pipelining, Content-Length,
//!   chunked and close-delimited bodies with trailers, `Expect: 100-continue`, and the
//!   hand-off of the connection after Upgrade or CONNECT. Bytes go in with
//!   [`Connection::recv`], events come out of [`Connection::poll_event`], bytes to write
//!   come out of [`Connection::poll_transmit`]. No sockets, clocks or threads: timeouts
//!   (header read, keep-alive idle) belong to the driver, which can decide them from
//!   [`Connection::their_state`] and [`Connection::is_paused`].
//!
//! Parsing is strict by default: RFC 9112's framing rules are the request-smuggling
//! defences (§11), so bare CR or LF, obs-fold, whitespace before a colon, Content-Length
//! together with Transfer-Encoding, anything but a final `chunked`, bad chunk lines and
//! missing or repeated Host are refused with a [`RecvError`] that carries the status to
//! answer with. Each relaxation is a separate opt-in flag in [`Leniency`]. Every buffer is
//! bounded by [`Limits`].
//!
//! ```text
//!   socket bytes ──recv──▶ ┌────────────┐ ──poll_event──▶ Request / Data / EndOfMessage
//!                          │ Connection │
//!   socket ◀─poll_transmit─└────────────┘ ◀──send_response / send_data / send_end
//! ```
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
