//! Configuration: role, local settings, timers and the denial-of-service limits.

use std::time::Duration;

use crate::{RateLimit, Role, Settings};

/// Denial-of-service guards. Each bounds what a peer can make this endpoint hold or do;
/// the connection-level ones end the connection with H3_EXCESSIVE_LOAD, the
/// stream-level ones reset the stream. Defaults follow the HTTP/2 crate's where the
/// flood has the same shape.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest decoded field section we accept (names, values and 32 octets per
    /// field, RFC 9114 §4.2.2), advertised as SETTINGS_MAX_FIELD_SECTION_SIZE. A larger
    /// section is still decoded (to keep QPACK in sync) but its stream is reset with
    /// H3_EXCESSIVE_LOAD; the connection lives. Default 64 KiB.
    pub max_field_section_size: u64,
    /// The largest encoded HEADERS payload held while it arrives: a longer frame resets
    /// its stream with H3_EXCESSIVE_LOAD without being read. Default 64 KiB.
    pub max_headers_frame_size: u64,
    /// The largest payload of a SETTINGS, GOAWAY, MAX_PUSH_ID or CANCEL_PUSH frame on
    /// the control stream (they are held whole); larger is H3_EXCESSIVE_LOAD. Unknown
    /// frames are skipped without being held. Default 4 KiB.
    pub max_control_frame_size: u64,
    /// Pairs in the peer's SETTINGS frame; more is H3_EXCESSIVE_LOAD. Default 32.
    pub max_settings_entries: usize,
    /// Request streams open at once. The QUIC transport's own stream limit should be
    /// set to this; a stream beyond it is refused with H3_REQUEST_REJECTED (safe to
    /// retry, RFC 9114 §8.1). Default 100.
    pub max_concurrent_streams: usize,
    /// Octets that arrive on a request stream while its field section waits for the
    /// QPACK encoder stream (RFC 9204 §2.1.2); more resets the stream with
    /// H3_EXCESSIVE_LOAD. A transport whose stream receive window is no larger never
    /// lets a conforming peer trip it. Default 256 KiB.
    pub max_blocked_stream_bytes: usize,
    /// Requests the peer cancels (RESET_STREAM) before we finished answering them
    /// (Rapid Reset, CVE-2023-44487, as over HTTP/2). Default 1000 burst, 33/s.
    pub remote_reset_rate: RateLimit,
    /// Stream errors the peer provokes us into (malformed messages, blocked-stream
    /// overflows, timeouts: MadeYouReset, CVE-2025-8671). Default 1000 burst, 100/s.
    pub local_reset_rate: RateLimit,
    /// Frames with nothing in them over the connection's life: empty DATA and unknown
    /// frames of length zero, which cost work and carry nothing (the HTTP/2 Empty Frames
    /// Flood, CVE-2019-9518). Default 1000.
    pub max_empty_frames: u32,
    /// Unidirectional streams of unknown or reserved type over the connection's life;
    /// each is refused with STOP_SENDING (RFC 9114 §6.2). Default 100.
    pub max_ignored_uni_streams: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_field_section_size: 64 * 1024,
            max_headers_frame_size: 64 * 1024,
            max_control_frame_size: 4 * 1024,
            max_settings_entries: 32,
            max_concurrent_streams: 100,
            max_blocked_stream_bytes: 256 * 1024,
            remote_reset_rate: RateLimit {
                burst: 1000,
                per_second: 33,
            },
            local_reset_rate: RateLimit {
                burst: 1000,
                per_second: 100,
            },
            max_empty_frames: 1000,
            max_ignored_uni_streams: 100,
        }
    }
}

/// Everything a [`Connection`](crate::Connection) is created with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Client or server.
    pub role: Role,
    /// The SETTINGS we send. `max_field_section_size` is filled from `limits` if `None`.
    pub local: Settings,
    /// Denial-of-service guards.
    pub limits: Limits,
    /// Send reserved values (RFC 9114 §7.2.8, §7.2.4.1, "GREASE") so that peers that
    /// mistake unknown values for errors are found: a reserved setting, and a reserved
    /// frame after SETTINGS on the control stream. `Some(seed)` picks which reserved
    /// values; a driver passes a random seed. Default `Some(0)`.
    pub grease: Option<u64>,
    /// Graceful shutdown (RFC 9114 §5.2): after a first GOAWAY that refuses nothing
    /// yet, how long requests already in flight have to arrive before the final GOAWAY
    /// names the first one not processed. Zero sends the final GOAWAY at once. Default
    /// 1 s.
    pub goaway_drain_timeout: Duration,
    /// The longest a request stream may take, from its first octet, to complete its
    /// request field section (server role). On expiry the stream is reset with
    /// H3_REQUEST_INCOMPLETE. `None` disables it. Default 10 s for a server.
    pub header_timeout: Option<Duration>,
    /// The longest pause allowed between octets of a message body the peer is still
    /// sending. On expiry, while we have not sent our final field section, the
    /// application gets [`Event::BodyTimeout`](crate::Event::BodyTimeout) and may
    /// answer (a 408); otherwise, or if the peer stalls again, the stream is reset with
    /// H3_REQUEST_CANCELLED. `None` disables it. Default 60 s for a server, off for a
    /// client.
    pub body_timeout: Option<Duration>,
}

impl Config {
    /// Defaults for `role`: a 4 KiB QPACK dynamic table with up to 100 blocked streams
    /// towards us, and extended CONNECT (RFC 9220) offered by servers.
    pub fn new(role: Role) -> Self {
        let limits = Limits::default();
        let local = Settings {
            qpack_max_table_capacity: 4096,
            max_field_section_size: Some(limits.max_field_section_size),
            qpack_blocked_streams: 100,
            enable_connect_protocol: role == Role::Server,
            ..Settings::default()
        };
        let server = role == Role::Server;
        Self {
            role,
            local,
            limits,
            grease: Some(0),
            goaway_drain_timeout: Duration::from_secs(1),
            header_timeout: server.then_some(Duration::from_secs(10)),
            body_timeout: server.then_some(Duration::from_secs(60)),
        }
    }

    /// Defaults for a server.
    pub fn server() -> Self {
        Self::new(Role::Server)
    }

    /// Defaults for a client.
    pub fn client() -> Self {
        Self::new(Role::Client)
    }
}
