//! Graceful shutdown (RFC 9114 §5.2), closing, and the timers.

use std::time::Instant;

use bytes::BytesMut;

use super::{Connection, GoAway, Phase};
use crate::frame::{encode_single_varint, kind};
use crate::{ConnectionError, ErrorCode, Event, Role, StreamId, Target, varint};

/// The largest client-initiated bidirectional stream identifier: a GOAWAY naming it
/// refuses nothing yet (RFC 9114 §5.2).
const LAST_REQUEST_ID: u64 = varint::MAX - 3;

impl Connection {
    /// Starts a graceful shutdown (RFC 9114 §5.2). A server first sends a GOAWAY that
    /// refuses nothing, so requests already in flight still arrive, and after
    /// `Config::goaway_drain_timeout` the final one naming the first request it will
    /// not process; later requests are refused with H3_REQUEST_REJECTED. A client
    /// sends GOAWAY(0): it accepts no pushes. Requests already open finish; then
    /// [`is_closed`](Self::is_closed) turns true.
    pub fn goaway(&mut self, now: Instant) {
        if self.error.is_some() || self.transport_closed || self.goaway != GoAway::None {
            return;
        }
        match self.config.role {
            Role::Server if !self.config.goaway_drain_timeout.is_zero() => {
                self.send_goaway(LAST_REQUEST_ID);
                self.goaway = GoAway::Draining {
                    until: now + self.config.goaway_drain_timeout,
                };
            }
            Role::Server => self.final_goaway(),
            Role::Client => {
                self.send_goaway(0);
                self.goaway = GoAway::Sent { id: 0 };
            }
        }
    }

    /// The server's final GOAWAY: the first request stream not yet seen.
    fn final_goaway(&mut self) {
        let id = self.next_request_index << 2;
        self.send_goaway(id);
        self.goaway = GoAway::Sent { id };
    }

    fn send_goaway(&mut self, id: u64) {
        let mut frame = BytesMut::with_capacity(10);
        encode_single_varint(kind::GOAWAY, id, &mut frame);
        self.write(Target::Control, frame.freeze(), false);
    }

    /// Ends the connection now with `code`: reported as
    /// [`ConnectionError::LocalClose`]; the driver closes the QUIC connection with it.
    pub fn close(&mut self, code: ErrorCode) {
        self.fail(ConnectionError::LocalClose(code));
    }

    /// A deadline from [`poll_timeout`](Self::poll_timeout) has passed; calling early
    /// does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.error.is_some() || self.transport_closed {
            return;
        }
        if let GoAway::Draining { until } = self.goaway
            && until <= now
        {
            self.final_goaway();
        }
        let mut expired: Vec<StreamId> = self
            .streams
            .iter()
            .filter(|(_, s)| s.deadline.is_some_and(|d| d <= now))
            .map(|(&id, _)| id)
            .collect();
        expired.sort_unstable();
        for id in expired {
            self.stream_timeout(now, id);
        }
    }

    /// The peer's message on `id` stalled: its field section never completed (reset
    /// with H3_REQUEST_INCOMPLETE), or its body paused (first a chance to answer, then
    /// reset with H3_REQUEST_CANCELLED).
    fn stream_timeout(&mut self, now: Instant, id: StreamId) {
        let body_timeout = self.config.body_timeout;
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        match stream.recv.phase {
            Phase::Head => self.stream_error(now, id, ErrorCode::H3_REQUEST_INCOMPLETE),
            Phase::Body | Phase::Trailers
                if stream.send.phase == Phase::Head && !stream.body_timed_out =>
            {
                stream.body_timed_out = true;
                stream.deadline = body_timeout.map(|t| now + t);
                self.events.push_back(Event::BodyTimeout { stream: id });
            }
            Phase::Body | Phase::Trailers => {
                self.stream_error(now, id, ErrorCode::H3_REQUEST_CANCELLED);
            }
            Phase::Closed => stream.deadline = None,
        }
    }
}
