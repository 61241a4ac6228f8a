//! Limits and opt-in leniencies.
//!
//! Every default is strict: a rule listed in [`Leniency`] is enforced unless the caller
//! switches that one rule off, in the style of llhttp's per-rule `lenient_*` flags. Each flag
//! names the RFC 9112 rule it relaxes and the smuggling risk it reopens.

use std::time::Duration;

use http_core::Role;

/// Upper bounds on what a peer can make the connection buffer or scan.
///
/// A limit is enforced on the bytes scanned, not only when a parse stalls: a 70 KB head that
/// arrives in a single read is refused after the first `max_head_bytes` bytes are looked at
/// (h11 only checks when it would return `NEED_DATA`, so one large read slips past its limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Limits {
    /// Bytes in a request or response head, start line through the blank line (431).
    /// Also bounds the trailer section of a chunked body.
    pub max_head_bytes: usize,
    /// Field lines in one head or trailer section (431).
    pub max_headers: usize,
    /// Bytes in a request-target (414, RFC 9112 §3 and RFC 9110 §4.1).
    pub max_target_bytes: usize,
    /// Bytes of chunk extensions on one chunk-size line (400, RFC 9112 §7.1.1), leading
    /// zeros of the chunk size included: both are filler that costs the sender nothing.
    pub max_chunk_ext_per_line: usize,
    /// Bytes of chunk extensions and leading zeros summed over one message (413): the
    /// chunk-extension overhead attack (CVE-2024-22019, Nowotarski 2024).
    pub max_chunk_ext_per_message: usize,
    /// Received bytes held unconsumed (400, [`RecvError::BufferFull`]): how far a peer can
    /// pipeline ahead while the connection is paused, or what piles up when a driver keeps
    /// calling `recv` without draining `poll_event`. Checked before each `recv` appends, so
    /// the buffer never exceeds this plus one `recv`'s worth. Past it the connection fails
    /// (the response in progress can still be sent) and further input is dropped; a driver
    /// that stops reading while [`is_paused`](crate::Connection::is_paused) never reaches it.
    ///
    /// [`RecvError::BufferFull`]: crate::RecvError::BufferFull
    pub max_buffered_bytes: usize,
}

impl Default for Limits {
    /// 16 KiB heads (h11), 100 fields (hyper), 8 KiB targets, 1 KiB of extensions per
    /// chunk line and 16 KiB per message (hyper's `CHUNKED_EXTENSIONS_LIMIT`), 1 MiB
    /// buffered.
    fn default() -> Self {
        Self {
            max_head_bytes: 16 * 1024,
            max_headers: 100,
            max_target_bytes: 8 * 1024,
            max_chunk_ext_per_line: 1024,
            max_chunk_ext_per_message: 16 * 1024,
            max_buffered_bytes: 1024 * 1024,
        }
    }
}

/// Rules of RFC 9112 that can be relaxed one at a time. All `false` by default (strict).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Leniency {
    /// Accept a bare LF as a line end in the head, trailers and chunk-size lines
    /// (RFC 9112 §2.2 MAY). Risk: CVE-2022-32214, "funky chunks" TERM.EXT.
    pub bare_lf: bool,
    /// Accept whitespace between a field name and its colon in responses, dropping it
    /// (RFC 9112 §5.1 lets a proxy strip it from responses). Requests are always refused.
    pub space_before_colon_in_responses: bool,
    /// Accept a request with both Content-Length and Transfer-Encoding: chunked, framing
    /// it by Transfer-Encoding and closing after the response (RFC 9112 §6.1 allows this
    /// instead of rejecting). Risk: the classic CL.TE / TE.CL desync behind a proxy.
    pub content_length_with_transfer_encoding: bool,
    /// Accept an HTTP/1.1 request without a Host field (RFC 9112 §3.2 MUST reject).
    pub missing_host: bool,
    /// Accept whitespace after the chunk size when no extension follows
    /// (`5 \r\n`; llhttp `lenient_spaces_after_chunk_size`, h11 0.14).
    pub whitespace_after_chunk_size: bool,
    /// Accept bytes 0x80..=0xFF in the request-target (raw UTF-8; httparse accepts it).
    pub non_ascii_target: bool,
}

/// How long the peer may take (RFC 9112 §9.5: a server may close an idle connection;
/// RFC 9110 §15.5.9: 408 for a request that did not arrive in time). `None` turns a timer
/// off. The defaults are those of weft's reference server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Timeouts {
    /// From the first byte of the peer's head until the head is complete; for a server's
    /// first request, from the connection's start (the slowloris guard). 10 s.
    pub head: Option<Duration>,
    /// The longest gap between two reads that carry the peer's body. 30 s.
    pub body: Option<Duration>,
    /// How long the connection waits between messages for the next head to start. 60 s.
    pub keep_alive: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            head: Some(Duration::from_secs(10)),
            body: Some(Duration::from_secs(30)),
            keep_alive: Some(Duration::from_secs(60)),
        }
    }
}

impl Timeouts {
    /// No timers at all: the driver keeps time itself, or there is none to keep.
    pub fn none() -> Self {
        Self {
            head: None,
            body: None,
            keep_alive: None,
        }
    }
}

/// Everything a [`Connection`](crate::Connection) or the pure parser needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Config {
    /// Which end of the connection this is.
    pub role: Role,
    /// Size bounds.
    pub limits: Limits,
    /// Opt-in relaxations of strict parsing.
    pub leniency: Leniency,
    /// Deadlines, reported through [`poll_timeout`](crate::Connection::poll_timeout).
    pub timeouts: Timeouts,
}

impl Config {
    /// A strict configuration for `role` with the default limits and timeouts.
    pub fn new(role: Role) -> Self {
        Self {
            role,
            limits: Limits::default(),
            leniency: Leniency::default(),
            timeouts: Timeouts::default(),
        }
    }

    /// [`Config::new`] for a server.
    pub fn server() -> Self {
        Self::new(Role::Server)
    }

    /// [`Config::new`] for a client.
    pub fn client() -> Self {
        Self::new(Role::Client)
    }
}
