//! Configuration: role, local settings, timers and the denial-of-service limits.

use std::time::Duration;

pub use http_core::RateLimit;

use crate::{Role, Settings};

/// Denial-of-service guards, one per known HTTP/2 flood. Every guard closes the
/// connection with GOAWAY(ENHANCE_YOUR_CALM) and a debug string naming it, except where
/// a field says otherwise. Defaults follow nghttp2 and the `h2` crate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Decoded header-list size (name + value + 32 per field, RFC 9113 §6.5.2) we accept
    /// and advertise as SETTINGS_MAX_HEADER_LIST_SIZE. A larger block is still decoded
    /// (to keep HPACK in sync) but its stream is refused with RST_STREAM(REFUSED_STREAM),
    /// as the `h2` crate does; the connection lives (HPACK bomb, CVE-2016-6581).
    /// Default 64 KiB.
    pub max_header_list_size: u32,
    /// Encoded octets of one header block across HEADERS/PUSH_PROMISE and its
    /// CONTINUATION frames. Default 128 KiB.
    pub max_header_block_size: usize,
    /// CONTINUATION frames allowed after one HEADERS/PUSH_PROMISE (CONTINUATION flood,
    /// CVE-2024-28182 and kin). Default 16.
    pub max_continuation_frames: usize,
    /// RST_STREAM frames the peer may send for streams we have not finished (Rapid
    /// Reset, CVE-2023-44487). Default 1000 burst, 33/s (nghttp2).
    pub remote_reset_rate: RateLimit,
    /// Stream errors the peer may provoke us into (MadeYouReset, CVE-2025-8671; Reset
    /// Flood, CVE-2019-9514). Default 1000 burst, 100/s.
    pub local_reset_rate: RateLimit,
    /// PING and SETTINGS acknowledgements queued but not yet taken by `poll_transmit`
    /// (Ping Flood CVE-2019-9512, Settings Flood CVE-2019-9515). Default 1000.
    pub max_pending_acks: usize,
    /// Entries in one SETTINGS frame (CVE-2020-11080). Default 32.
    pub max_settings_entries: usize,
    /// Empty DATA frames without END_STREAM over the connection's life (Empty Frames
    /// Flood, CVE-2019-9518). Default 100.
    pub max_empty_data_frames: u32,
    /// DATA frames shorter than [`small_data_frame_size`](Self::small_data_frame_size)
    /// and without END_STREAM. Default 10,000 burst, 1000/s.
    pub small_data_rate: RateLimit,
    /// Threshold for [`small_data_rate`](Self::small_data_rate). Default 64 octets.
    pub small_data_frame_size: usize,
    /// WINDOW_UPDATE frames accepted while we send no DATA and the peer opens no stream
    /// (WINDOW_UPDATE flood). Default 1000.
    pub max_window_updates_without_data: u32,
    /// Locally reset streams remembered so late frames on them are ignored (bounded
    /// reset-stream memory). Default 128.
    pub max_reset_streams: usize,
    /// Peer-initiated streams over the connection's life; once reached, a server starts
    /// a graceful GOAWAY and refuses further streams. `None`: up to the stream-ID space.
    pub max_streams_per_connection: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_header_list_size: 64 * 1024,
            max_header_block_size: 128 * 1024,
            max_continuation_frames: 16,
            remote_reset_rate: RateLimit {
                burst: 1000,
                per_second: 33,
            },
            local_reset_rate: RateLimit {
                burst: 1000,
                per_second: 100,
            },
            max_pending_acks: 1000,
            max_settings_entries: 32,
            max_empty_data_frames: 100,
            small_data_rate: RateLimit {
                burst: 10_000,
                per_second: 1000,
            },
            small_data_frame_size: 64,
            max_window_updates_without_data: 1000,
            max_reset_streams: 128,
            max_streams_per_connection: None,
        }
    }
}

/// Everything a [`Connection`](crate::Connection) is created with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Client or server.
    pub role: Role,
    /// The SETTINGS we send. `max_header_list_size` is filled from `limits` if `None`.
    pub local: Settings,
    /// The connection-level receive window we keep open (RFC 9113 §6.9); raised from
    /// 65,535 with a WINDOW_UPDATE right after the preface. Default 1 MiB.
    pub connection_window: u32,
    /// Denial-of-service guards.
    pub limits: Limits,
    /// How long the peer has to acknowledge our SETTINGS (RFC 9113 §6.5.3). Default 10 s.
    pub settings_ack_timeout: Duration,
    /// How long frames on a stream we reset are silently ignored. Default 1 s.
    pub reset_stream_duration: Duration,
    /// Send a PING after this long without receiving anything. Default off.
    pub keepalive_interval: Option<Duration>,
    /// How long a keep-alive PING may go unanswered. Default 20 s.
    pub keepalive_timeout: Duration,
    /// Graceful GOAWAY: the longest wait between the first GOAWAY and the final one if
    /// the PING that measures the round trip is not answered. Default 1 s.
    pub goaway_drain_timeout: Duration,
    /// Close (GOAWAY NO_ERROR) after this long with no open streams. Default off.
    pub idle_timeout: Option<Duration>,
    /// The longest a header block may take, from the first octet of its HEADERS or
    /// PUSH_PROMISE frame to the frame that carries END_HEADERS. A block must arrive as
    /// one uninterrupted run of frames (RFC 9113 §4.3, §6.10) and holds its fragments
    /// and the HPACK context meanwhile, so frames inside it (even empty CONTINUATION)
    /// do not restart this clock. On expiry the connection ends with
    /// [`ConnectionError::HeaderBlockTimeout`](crate::ConnectionError::HeaderBlockTimeout)
    /// and a GOAWAY. `None` disables it. Default 10 s.
    pub header_block_timeout: Option<Duration>,
    /// The longest pause allowed between DATA frames (and from the header section to
    /// the first DATA frame) of a stream whose body the peer is still sending
    /// (RFC 9113 §8.1). Time the peer spends blocked by our flow-control windows
    /// (RFC 9113 §5.2) does not count: once a window reopens the peer has at least one
    /// full period (at most two) before it is timed out. On expiry, while we have not started our own
    /// message head on the stream (a server that has not responded), the application
    /// gets [`Event::BodyTimeout`](crate::Event::BodyTimeout) and may answer, e.g. with
    /// a 408; otherwise, or if the peer stalls again after that, the stream is reset with
    /// RST_STREAM(CANCEL) (RFC 9113 §8.1, §6.4) and reported as
    /// [`Event::StreamReset`](crate::Event::StreamReset). `None` disables it. Default
    /// 60 s for a server, off for a client (a response may stream slowly on purpose).
    pub body_timeout: Option<Duration>,
    /// Release received DATA capacity as soon as it is reported, instead of waiting for
    /// [`release_capacity`](crate::Connection::release_capacity). Default false.
    pub auto_release_capacity: bool,
}

impl Config {
    /// Defaults for `role`.
    pub fn new(role: Role) -> Self {
        let limits = Limits::default();
        let local = Settings {
            enable_push: false,
            max_concurrent_streams: Some(100),
            initial_window_size: 256 * 1024,
            max_header_list_size: Some(limits.max_header_list_size),
            ..Settings::default()
        };
        Self {
            role,
            local,
            connection_window: 1024 * 1024,
            limits,
            settings_ack_timeout: Duration::from_secs(10),
            reset_stream_duration: Duration::from_secs(1),
            keepalive_interval: None,
            keepalive_timeout: Duration::from_secs(20),
            goaway_drain_timeout: Duration::from_secs(1),
            idle_timeout: None,
            header_block_timeout: Some(Duration::from_secs(10)),
            body_timeout: match role {
                Role::Server => Some(Duration::from_secs(60)),
                Role::Client => None,
            },
            auto_release_capacity: false,
        }
    }

    /// Defaults for a server.
    pub fn server() -> Self {
        Self::new(Role::Server)
    }

    /// Defaults for a client (push disabled).
    pub fn client() -> Self {
        Self::new(Role::Client)
    }
}
