//! Input from the transport: which stream the bytes are for, and what a stream's
//! abnormal end means (RFC 9114 §6).

use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::{Connection, Phase, Stream, Uni};
use crate::{ConnectionError, ErrorCode, Event, Initiator, Role, StreamId, Target, Transmit};

impl Connection {
    /// Octets arrived on stream `id`, in order; `fin` says the peer finished the stream
    /// after them (QUIC FIN). Pass every stream the peer can send on: request streams,
    /// and the unidirectional streams the peer opens (their type is read here).
    ///
    /// `data` is sliced, not copied, into [`Event::Data`] when the body is a large
    /// share of it.
    pub fn recv_stream_data(&mut self, now: Instant, id: StreamId, data: Bytes, fin: bool) {
        if self.error.is_some() || self.transport_closed {
            return;
        }
        let role = self.config.role;
        match (id.is_bidi(), id.initiator() == role) {
            // A request stream: the client's, which a server reads requests on and a
            // client reads responses on.
            (true, _) if id.initiator() == Role::Client => {
                if role == Role::Server && !self.open_request(now, id) {
                    return;
                }
                self.recv_request(now, id, data, fin);
            }
            // A server-initiated bidirectional stream: no use is defined (RFC 9114
            // §6.1). A server never sees one from itself.
            (true, _) => {
                if role == Role::Client {
                    self.fail(ConnectionError::protocol(
                        ErrorCode::H3_STREAM_CREATION_ERROR,
                        "server-initiated bidirectional stream",
                    ));
                }
            }
            (false, false) => self.recv_uni(now, id, data, fin),
            // Our own unidirectional streams carry nothing towards us.
            (false, true) => {}
        }
    }

    /// The peer reset stream `id` (QUIC RESET_STREAM) with `code`: nothing more arrives
    /// on it.
    pub fn recv_reset(&mut self, now: Instant, id: StreamId, code: ErrorCode) {
        if self.error.is_some() || self.transport_closed {
            return;
        }
        if !id.is_bidi() {
            match self.uni.remove(&id) {
                Some(Uni::Control { .. } | Uni::Encoder | Uni::Decoder) => {
                    self.fail(ConnectionError::protocol(
                        ErrorCode::H3_CLOSED_CRITICAL_STREAM,
                        "critical stream reset by peer",
                    ));
                }
                // A stream whose type never arrived, or one we ignore.
                Some(Uni::Type(_)) | None => {}
            }
            return;
        }
        let role = self.config.role;
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if stream.recv.phase == Phase::Closed {
            return;
        }
        // A request cancelled before we finished answering it cost us work for nothing
        // (Rapid Reset, CVE-2023-44487).
        let cancelled_early = role == Role::Server && stream.send.phase != Phase::Closed;
        stream.recv.phase = Phase::Closed;
        stream.deadline = None;
        self.qpack.cancel_stream(id);
        self.events.push_back(Event::StreamReset {
            stream: id,
            code,
            by: Initiator::Remote,
        });
        self.retire_if_done(id);
        if cancelled_early && !self.guards.remote_resets.take(now) {
            self.fail(ConnectionError::flood(
                "too many requests cancelled by peer",
            ));
        }
    }

    /// The peer asked us to stop sending on one of our streams (QUIC STOP_SENDING),
    /// named as in [`Transmit::Write`]. On a request stream our side is reset with the
    /// peer's code; on one of our critical streams it is a connection error (RFC 9114
    /// §6.2.1, RFC 9204 §4.2).
    pub fn recv_stop_sending(&mut self, _now: Instant, target: Target, code: ErrorCode) {
        if self.error.is_some() || self.transport_closed {
            return;
        }
        let id = match target {
            Target::Request(id) => id,
            Target::Control | Target::QpackEncoder | Target::QpackDecoder => {
                self.fail(ConnectionError::protocol(
                    ErrorCode::H3_CLOSED_CRITICAL_STREAM,
                    "peer stopped a critical stream",
                ));
                return;
            }
        };
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if stream.send.phase == Phase::Closed {
            return;
        }
        stream.send.phase = Phase::Closed;
        self.out
            .push_back(Transmit::ResetStream { stream: id, code });
        self.events
            .push_back(Event::StopSending { stream: id, code });
        self.retire_if_done(id);
    }

    /// The QUIC connection ended (closed by either side, or its idle timeout). Requests
    /// still open end with [`ConnectionError::TransportClosed`].
    pub fn recv_closed(&mut self, _now: Instant) {
        if self.error.is_none() && !self.transport_closed {
            let open_streams = self.streams.len();
            if open_streams > 0 {
                self.fail(ConnectionError::TransportClosed { open_streams });
            }
        }
        self.transport_closed = true;
    }

    /// Server: makes sure request stream `id` is known, opening it and any lower one
    /// QUIC opened implicitly (RFC 9000 §3.2). False when the stream was closed, or is
    /// refused now.
    fn open_request(&mut self, now: Instant, id: StreamId) -> bool {
        if self.streams.contains_key(&id) {
            return true;
        }
        let index = id.index();
        if index < self.next_request_index {
            return false;
        }
        // Streams QUIC let the peer open implicitly count against the same limit; a gap
        // wider than it cannot come from a transport configured with that limit.
        let gap = index - self.next_request_index;
        if gap >= self.config.limits.max_concurrent_streams as u64 {
            self.fail(ConnectionError::flood(
                "request stream far beyond the open ones",
            ));
            return false;
        }
        for i in self.next_request_index..=index {
            self.open_one_request(now, StreamId(i << 2));
        }
        self.next_request_index = index + 1;
        self.streams.contains_key(&id)
    }

    fn open_one_request(&mut self, now: Instant, id: StreamId) {
        let refused_by_goaway = match self.goaway {
            super::GoAway::Sent { id: last } => id.0 >= last,
            _ => false,
        };
        if refused_by_goaway || self.streams.len() >= self.config.limits.max_concurrent_streams {
            // Not processed at all: safe for the client to retry (RFC 9114 §8.1).
            let code = ErrorCode::H3_REQUEST_REJECTED;
            self.out
                .push_back(Transmit::StopSending { stream: id, code });
            self.out
                .push_back(Transmit::ResetStream { stream: id, code });
            return;
        }
        let mut stream = Stream::new();
        stream.deadline = self.config.header_timeout.map(|t| now + t);
        self.streams.insert(id, stream);
    }

    /// Makes sure the peer's unidirectional stream `id` is known; false when it was
    /// closed or ignored already.
    pub(super) fn open_uni(&mut self, id: StreamId) -> bool {
        if self.uni.contains_key(&id) {
            return true;
        }
        let index = id.index();
        if index < self.next_uni_index {
            return false;
        }
        // Three critical streams plus those we may ignore: a wider gap is a flood.
        let room = u64::from(self.config.limits.max_ignored_uni_streams) + 3;
        if index - self.next_uni_index >= room {
            self.fail(ConnectionError::flood(
                "unidirectional stream far beyond the open ones",
            ));
            return false;
        }
        let base = id.0 & 3;
        for i in self.next_uni_index..=index {
            self.uni
                .insert(StreamId((i << 2) | base), Uni::Type(BytesMut::new()));
        }
        self.next_uni_index = index + 1;
        true
    }
}
