//! The peer's deadlines for what it started sending: a header block must reach
//! END_HEADERS within `Config::header_block_timeout`, and a body must not pause longer
//! than `Config::body_timeout` between DATA frames.
//!
//! Both guard against a peer that holds our memory by sending slowly (slowloris over
//! HTTP/2): a partial block holds its fragments and blocks the HPACK context for the
//! whole connection (RFC 9113 §4.3, §6.10), and a stalled body holds a stream slot and
//! whatever the application buffered for it.

use std::time::Instant;

use super::Connection;
use crate::frame::{FRAME_HEADER_LEN, FrameHeader, FrameKind};
use crate::streams::{Inbound, Outbound};
use crate::timer::Timer;
use crate::{ConnectionError, ErrorCode, Event, StreamId};

impl Connection {
    /// After input was processed: the header-block clock runs while a block is open,
    /// or while the frame waiting in the read buffer starts one. It is never restarted
    /// by frames inside the block, only stopped by its end (see `header_block_done`).
    pub(super) fn update_header_block_timer(&mut self, now: Instant) {
        let Some(timeout) = self.config.header_block_timeout else {
            return;
        };
        let starts_block = self
            .read_buf
            .first_chunk::<FRAME_HEADER_LEN>()
            .map(FrameHeader::parse)
            .is_some_and(|h| matches!(h.kind, FrameKind::HEADERS | FrameKind::PUSH_PROMISE));
        if self.block.is_some() || starts_block {
            if self.timers.get(Timer::HeaderBlock).is_none() {
                self.timers.set(Timer::HeaderBlock, now + timeout);
            }
        } else {
            self.timers.stop(Timer::HeaderBlock);
        }
    }

    /// A header block reached END_HEADERS: the next block gets a fresh clock.
    pub(super) fn header_block_done(&mut self) {
        self.timers.stop(Timer::HeaderBlock);
    }

    pub(super) fn on_header_block_timeout(&mut self) {
        self.fail(ConnectionError::HeaderBlockTimeout);
    }

    /// The peer sent on stream `id` (its final header section or a DATA frame): its body
    /// clock starts over while it is still sending, and stops once it ended its side.
    pub(super) fn touch_body_timer(&mut self, now: Instant, id: StreamId) {
        let Some(timeout) = self.config.body_timeout else {
            return;
        };
        let deadline = self.streams.get_mut(id).and_then(|stream| {
            let sending =
                stream.inbound == Inbound::Body && stream.state.can_recv() && !stream.tunnel;
            stream.body_deadline = sending.then_some(now + timeout);
            stream.body_deadline
        });
        match deadline {
            Some(at) => self.arm_body_timer(at),
            // A body ended (once per stream): aim the timer at the streams still
            // sending, so a connection with none reports no deadline.
            None if self.timers.get(Timer::Body).is_some() => {
                self.timers.stop(Timer::Body);
                let next = self
                    .streams
                    .iter_mut()
                    .filter_map(|(_, s)| s.body_deadline)
                    .min();
                if let Some(at) = next {
                    self.arm_body_timer(at);
                }
            }
            None => {}
        }
    }

    /// Keeps the shared timer at or before every stream's deadline. A stream's deadline
    /// only moves later, so a timer that fires early finds nothing due and re-arms.
    fn arm_body_timer(&mut self, at: Instant) {
        if self.timers.get(Timer::Body).is_none_or(|t| at < t) {
            self.timers.set(Timer::Body, at);
        }
    }

    /// Streams whose peer paused its body too long. A peer held back by our own
    /// flow-control windows (RFC 9113 §5.2), now or at some point since its clock last
    /// started, is not pausing: its clock restarts. Before
    /// our message head the application is told and may answer (a 408, then
    /// RST_STREAM(NO_ERROR), RFC 9113 §8.1); otherwise, or on a second expiry, the
    /// stream is reset with CANCEL (RFC 9113 §6.4).
    pub(super) fn on_body_timeout(&mut self, now: Instant) {
        let Some(timeout) = self.config.body_timeout else {
            return;
        };
        let conn_blocked =
            self.conn_recv.window() <= 0 || std::mem::take(&mut self.body_window_reopened);
        let mut due = Vec::new();
        let mut next: Option<Instant> = None;
        for (id, stream) in self.streams.iter_mut() {
            let Some(at) = stream.body_deadline else {
                continue;
            };
            if at > now {
                next = Some(next.map_or(at, |n| n.min(at)));
                continue;
            }
            let restart = now + timeout;
            let reopened = std::mem::take(&mut stream.body_window_reopened);
            if conn_blocked || reopened || stream.recv.window() <= 0 {
                stream.body_deadline = Some(restart);
                next = Some(next.map_or(restart, |n| n.min(restart)));
            } else if stream.outbound == Outbound::Head && !stream.body_timeout_reported {
                stream.body_timeout_reported = true;
                stream.body_deadline = Some(restart);
                next = Some(next.map_or(restart, |n| n.min(restart)));
                due.push((*id, false));
            } else {
                due.push((*id, true));
            }
        }
        // The table is a hash map: report in stream order so runs are deterministic.
        due.sort_unstable();
        for (id, reset) in due {
            if reset {
                self.reset_locally(now, id, ErrorCode::CANCEL);
            } else {
                self.events.push_back(Event::BodyTimeout { stream: id });
            }
        }
        if let Some(at) = next {
            self.arm_body_timer(at);
        }
    }
}
