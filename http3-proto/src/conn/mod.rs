//! The connection: a coordinator over the frame reader, the stream table, QPACK and the
//! timers.
//!
//! Peer input is dispatched in `recv.rs`; request streams are read in `request.rs`, the
//! peer's unidirectional streams (control, QPACK) in `uni.rs`; commands live in
//! `send.rs`, timers and graceful shutdown in `close.rs`. This file holds the state and
//! the drains.

mod close;
mod recv;
mod request;
mod send;
mod uni;

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use http_core::TokenBucket;

use crate::codec::Qpack;
use crate::frame::{FrameHeader, grease, stream_type};
use crate::reader::FrameReader;
use crate::varint;
use crate::{
    Config, ConnectionError, ErrorCode, Event, Initiator, Role, Settings, StreamId, Target,
    Transmit,
};

/// Where a message is, on one side of a request stream (RFC 9114 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Before the final field section (interim 1xx sections may have passed).
    Head,
    /// After the final field section: DATA, then perhaps trailers.
    Body,
    /// Trailers passed: only the end of the stream may follow.
    Trailers,
    /// Finished or reset: nothing more.
    Closed,
}

/// The receiving side of a request stream.
#[derive(Debug)]
struct RecvSide {
    phase: Phase,
    reader: FrameReader,
    /// `content-length` of the message being received, checked against its DATA.
    content_length: Option<u64>,
    /// DATA octets received so far.
    received: u64,
    /// The message has no content whatever its fields say (a response to HEAD, a 204 or
    /// a 304, RFC 9110 §6.4.1).
    no_content: bool,
    /// A field section waits for QPACK encoder-stream inserts (RFC 9204 §2.1.2); what
    /// arrives meanwhile waits in `blocked_input`, and `blocked_fin` says the stream
    /// ended behind it.
    blocked: bool,
    blocked_input: BytesMut,
    blocked_fin: bool,
}

/// The sending side of a request stream.
#[derive(Debug)]
struct SendSide {
    phase: Phase,
    content_length: Option<u64>,
    sent: u64,
    no_content: bool,
}

/// One request stream.
#[derive(Debug)]
struct Stream {
    recv: RecvSide,
    send: SendSide,
    /// Server: the request was a HEAD. Client: the request we sent was a HEAD.
    head_request: bool,
    /// When the peer's message times out (header or body timeout), if it can.
    deadline: Option<Instant>,
    /// The body timeout already fired once (the second one resets).
    body_timed_out: bool,
    /// Server: the request is a CONNECT (RFC 9114 §4.4, extended by RFC 9220).
    connect: bool,
    /// A 2xx answered the CONNECT: the stream carries the tunnelled protocol, whose
    /// pauses are its own, so the body timeout no longer applies (RFC 9110 §9.3.6).
    tunnel: bool,
}

impl Stream {
    fn new() -> Self {
        Self {
            recv: RecvSide {
                phase: Phase::Head,
                reader: FrameReader::default(),
                content_length: None,
                received: 0,
                no_content: false,
                blocked: false,
                blocked_input: BytesMut::new(),
                blocked_fin: false,
            },
            send: SendSide {
                phase: Phase::Head,
                content_length: None,
                sent: 0,
                no_content: false,
            },
            head_request: false,
            connect: false,
            tunnel: false,
            deadline: None,
            body_timed_out: false,
        }
    }

    fn is_done(&self) -> bool {
        self.recv.phase == Phase::Closed && self.send.phase == Phase::Closed
    }
}

/// A unidirectional stream the peer opened.
#[derive(Debug)]
enum Uni {
    /// Its stream type has not fully arrived.
    Type(BytesMut),
    /// The peer's control stream; `settings_seen` once its first frame was SETTINGS.
    Control {
        reader: FrameReader,
        settings_seen: bool,
    },
    /// The peer's QPACK encoder stream, read by our decoder.
    Encoder,
    /// The peer's QPACK decoder stream, read by our encoder.
    Decoder,
}

/// Graceful shutdown progress (RFC 9114 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GoAway {
    /// No GOAWAY sent.
    None,
    /// Server: a first GOAWAY that refuses nothing is out; the final one follows at
    /// the deadline.
    Draining { until: Instant },
    /// The final GOAWAY is out with this identifier.
    Sent { id: u64 },
}

/// Counters behind the denial-of-service guards (see [`Limits`](crate::Limits)).
#[derive(Debug)]
struct Guards {
    remote_resets: TokenBucket,
    local_resets: TokenBucket,
    empty_frames: u32,
    ignored_uni_streams: u32,
}

/// An HTTP/3 connection, client or server, over streams of any QUIC implementation.
///
/// # Driving it
///
/// The driver owns the QUIC connection. It passes in what happens to streams —
/// [`recv_stream_data`](Self::recv_stream_data) for bytes (and the end of a stream),
/// [`recv_reset`](Self::recv_reset) for a peer's RESET_STREAM,
/// [`recv_stop_sending`](Self::recv_stop_sending) for its STOP_SENDING,
/// [`recv_closed`](Self::recv_closed) when the QUIC connection ends — and after each,
/// drains [`poll_event`](Self::poll_event), then [`poll_transmit`](Self::poll_transmit)
/// (writes, resets and stop requests for its streams, in order), then
/// [`poll_timeout`](Self::poll_timeout). On [`Event::ConnectionLost`] it closes the QUIC
/// connection with the error's [`code`](ConnectionError::code).
///
/// A client opens a bidirectional QUIC stream for each request and names it in
/// [`send_headers`](Self::send_headers); a server answers on the stream the request
/// came on.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    /// The SETTINGS we sent.
    local: Settings,
    /// The peer's SETTINGS, once its control stream delivered them.
    peer: Option<Settings>,
    qpack: Qpack,
    streams: HashMap<StreamId, Stream>,
    /// Request streams whose identifiers are below this ordinal were opened already
    /// (QUIC opens streams of one kind in order, RFC 9000 §2.1): one not in `streams` is
    /// closed, and late input on it is dropped.
    next_request_index: u64,
    uni: HashMap<StreamId, Uni>,
    /// The same for the peer's unidirectional streams.
    next_uni_index: u64,
    peer_control: bool,
    peer_encoder: bool,
    peer_decoder: bool,
    /// Server: the client's MAX_PUSH_ID, if any (we never push, but the client may
    /// cancel pushes up to it, RFC 9114 §7.2.3).
    max_push_id: Option<u64>,
    goaway: GoAway,
    /// The identifier of the last GOAWAY the peer sent.
    goaway_received: Option<u64>,
    guards: Guards,
    events: VecDeque<Event>,
    out: VecDeque<Transmit>,
    error: Option<ConnectionError>,
    /// The QUIC connection ended.
    transport_closed: bool,
}

impl Connection {
    /// A new connection, created once QUIC's handshake has chosen `h3` by ALPN
    /// (RFC 9114 §3.1). The control stream with our SETTINGS and the two QPACK streams
    /// are queued for `poll_transmit` at once (RFC 9114 §6.2.1).
    pub fn new(_now: Instant, mut config: Config) -> Self {
        if config.local.max_field_section_size.is_none() {
            config.local.max_field_section_size = Some(config.limits.max_field_section_size);
        }
        let local = config.local;
        let qpack = Qpack::new(&local, config.limits.max_field_section_size);
        let guards = Guards {
            remote_resets: TokenBucket::new(config.limits.remote_reset_rate),
            local_resets: TokenBucket::new(config.limits.local_reset_rate),
            empty_frames: 0,
            ignored_uni_streams: 0,
        };
        let mut conn = Self {
            config,
            local,
            peer: None,
            qpack,
            streams: HashMap::new(),
            next_request_index: 0,
            uni: HashMap::new(),
            next_uni_index: 0,
            peer_control: false,
            peer_encoder: false,
            peer_decoder: false,
            max_push_id: None,
            goaway: GoAway::None,
            goaway_received: None,
            guards,
            events: VecDeque::new(),
            out: VecDeque::new(),
            error: None,
            transport_closed: false,
        };
        conn.open_local_streams();
        conn
    }

    /// Queues the first bytes of our three unidirectional streams: the control stream
    /// with SETTINGS (and, with GREASE, a reserved frame after it), and the QPACK
    /// encoder and decoder stream types (RFC 9204 §4.2).
    fn open_local_streams(&mut self) {
        let mut control = BytesMut::with_capacity(64);
        varint::encode(stream_type::CONTROL, &mut control);
        self.local.encode_frame(self.config.grease, &mut control);
        if let Some(seed) = self.config.grease {
            // A reserved frame type with a short payload (RFC 9114 §7.2.8).
            FrameHeader {
                ty: grease(seed.wrapping_add(1)),
                len: 1,
            }
            .encode(&mut control);
            control.put_u8(0);
        }
        self.write(Target::Control, control.freeze(), false);
        self.write(
            Target::QpackEncoder,
            Bytes::from_static(&[stream_type::QPACK_ENCODER as u8]),
            false,
        );
        self.write(
            Target::QpackDecoder,
            Bytes::from_static(&[stream_type::QPACK_DECODER as u8]),
            false,
        );
    }

    // ---- getters ------------------------------------------------------------------

    /// The role this connection was built with.
    pub fn role(&self) -> Role {
        self.config.role
    }

    /// The configuration this connection was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The SETTINGS we sent.
    pub fn local_settings(&self) -> &Settings {
        &self.local
    }

    /// The peer's SETTINGS, once they arrived.
    pub fn peer_settings(&self) -> Option<&Settings> {
        self.peer.as_ref()
    }

    /// Request streams open in either direction.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// The fatal error, once one happened.
    pub fn error(&self) -> Option<&ConnectionError> {
        self.error.as_ref()
    }

    /// True once a GOAWAY was sent or received, or the connection failed: no new
    /// requests.
    pub fn is_going_away(&self) -> bool {
        self.goaway != GoAway::None || self.goaway_received.is_some() || self.error.is_some()
    }

    /// True when nothing more will happen: after a connection error or the end of the
    /// transport, or after a GOAWAY (either way) once no request stream is left. Flush
    /// `poll_transmit`, then close the QUIC connection with H3_NO_ERROR (or the error's
    /// code).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        if self.error.is_some() || self.transport_closed {
            return true;
        }
        let final_goaway = match self.config.role {
            Role::Server => matches!(self.goaway, GoAway::Sent { .. }),
            Role::Client => self.goaway != GoAway::None,
        };
        (final_goaway || self.goaway_received.is_some()) && self.streams.is_empty()
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has something.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        !self.out.is_empty() || self.qpack.wants_write()
    }

    // ---- drains -------------------------------------------------------------------

    /// The next event, oldest first. [`Event::ConnectionLost`] is the last one.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next instruction for the transport, in order.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.flush_qpack();
        self.out.pop_front()
    }

    /// The earliest deadline at which [`handle_timeout`](Self::handle_timeout) has work.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.error.is_some() || self.transport_closed {
            return None;
        }
        let streams = self.streams.values().filter_map(|s| s.deadline).min();
        let drain = match self.goaway {
            GoAway::Draining { until } => Some(until),
            _ => None,
        };
        streams.into_iter().chain(drain).min()
    }

    // ---- shared helpers -----------------------------------------------------------

    fn write(&mut self, stream: Target, data: Bytes, fin: bool) {
        self.out.push_back(Transmit::Write { stream, data, fin });
    }

    /// Moves what QPACK has for its two streams into the output. Commands call it
    /// right after encoding, so the inserts a field section refers to are queued ahead
    /// of the section: the peer then rarely finds a section blocked (RFC 9204 §2.1.2),
    /// though the transport may still deliver the streams in any order.
    fn flush_qpack(&mut self) {
        if let Some(bytes) = self.qpack.poll_encoder_stream() {
            self.write(Target::QpackEncoder, bytes, false);
        }
        if let Some(bytes) = self.qpack.poll_decoder_stream() {
            self.write(Target::QpackDecoder, bytes, false);
        }
    }

    /// Ends the connection with `error`: reported once, as the last event. Input after
    /// it is ignored.
    fn fail(&mut self, error: ConnectionError) {
        if self.error.is_some() {
            return;
        }
        self.error = Some(error.clone());
        self.events.push_back(Event::ConnectionLost(error));
    }

    /// Abandons a request stream in both directions with `code`, as a stream error
    /// (`by` Local) or on the application's request, and forgets it.
    fn abandon_stream(&mut self, id: StreamId, code: ErrorCode, by: Initiator, report: bool) {
        let Some(stream) = self.streams.remove(&id) else {
            return;
        };
        if stream.recv.phase != Phase::Closed {
            self.out
                .push_back(Transmit::StopSending { stream: id, code });
            // Sections of this stream that were never decoded will not be acknowledged
            // (RFC 9204 §4.4.2).
            self.qpack.cancel_stream(id);
        }
        if stream.send.phase != Phase::Closed {
            self.out
                .push_back(Transmit::ResetStream { stream: id, code });
        }
        // Nothing follows the terminal ConnectionLost.
        if report && self.error.is_none() {
            self.events.push_back(Event::StreamReset {
                stream: id,
                code,
                by,
            });
        }
    }

    /// A stream error the peer provoked (RFC 9114 §8): the stream is reset with `code`,
    /// and a peer that provokes too many ends the connection (MadeYouReset).
    fn stream_error(&mut self, now: Instant, id: StreamId, code: ErrorCode) {
        self.abandon_stream(id, code, Initiator::Local, true);
        if !self.guards.local_resets.take(now) {
            self.fail(ConnectionError::flood("too many stream errors"));
        }
    }

    /// Forgets a stream once both of its sides are finished.
    fn retire_if_done(&mut self, id: StreamId) {
        if self.streams.get(&id).is_some_and(Stream::is_done) {
            self.streams.remove(&id);
        }
    }
}
