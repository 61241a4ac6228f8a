//! Timers and shutdown: graceful two-phase GOAWAY (RFC 9113 §6.8), keep-alive PINGs,
//! SETTINGS acknowledgement timeout, reset-stream expiry and idle close.

use std::time::Instant;

use bytes::Bytes;

use super::{Connection, GoAwayState};
use crate::frame::{GoAway, Ping};
use crate::timer::Timer;
use crate::{ConnectionError, ErrorCode, Role, StreamId};

const GOAWAY_PING_TAG: u8 = 0xa5;
const KEEPALIVE_PING_TAG: u8 = 0x5a;

impl Connection {
    /// Starts closing the connection (RFC 9113 §6.8).
    ///
    /// With `NO_ERROR` the shutdown is graceful: a server first announces GOAWAY with
    /// the largest stream identifier and a PING, so requests already in flight are not
    /// lost, then sends the final GOAWAY naming the last stream it accepted once the PING
    /// returns (or `goaway_drain_timeout` passes); open streams run to completion and
    /// [`is_closed`](Self::is_closed) turns true when the last one ends. A client sends
    /// its final GOAWAY at once. With any other code the connection ends immediately:
    /// streams are dropped and `is_closed` is true.
    pub fn goaway(&mut self, now: Instant, code: ErrorCode, debug: Bytes) {
        if self.error.is_some() {
            return;
        }
        if code != ErrorCode::NO_ERROR {
            let last_stream = self.streams.last_peer();
            GoAway {
                last_stream,
                code,
                debug,
            }
            .encode(self.out.buf());
            self.goaway = GoAwayState::Sent { last_stream };
            self.error = Some(ConnectionError::LocalClose(code));
            self.streams.drain_all();
            self.timers = Default::default();
            return;
        }
        if self.goaway != GoAwayState::None {
            return;
        }
        if self.role == Role::Server {
            self.goaway_graceful_with(now, debug);
        } else {
            self.send_final_goaway_with(debug);
        }
    }

    pub(super) fn goaway_graceful(&mut self, now: Instant) {
        if self.goaway == GoAwayState::None {
            self.goaway_graceful_with(now, Bytes::new());
        }
    }

    fn goaway_graceful_with(&mut self, now: Instant, debug: Bytes) {
        GoAway {
            last_stream: StreamId::MAX,
            code: ErrorCode::NO_ERROR,
            debug,
        }
        .encode(self.out.buf());
        let ping = self.next_ping_payload(GOAWAY_PING_TAG);
        Ping {
            ack: false,
            payload: ping,
        }
        .encode(self.out.buf());
        self.goaway = GoAwayState::Draining { ping };
        self.timers
            .set(Timer::GoAwayDrain, now + self.config.goaway_drain_timeout);
    }

    pub(super) fn send_final_goaway(&mut self) {
        self.send_final_goaway_with(Bytes::new());
    }

    fn send_final_goaway_with(&mut self, debug: Bytes) {
        if matches!(self.goaway, GoAwayState::Sent { .. }) {
            return;
        }
        let last_stream = self.streams.last_peer();
        GoAway {
            last_stream,
            code: ErrorCode::NO_ERROR,
            debug,
        }
        .encode(self.out.buf());
        self.goaway = GoAwayState::Sent { last_stream };
        self.timers.stop(Timer::GoAwayDrain);
    }

    /// Runs the timers due at `now`: SETTINGS ACK timeout, keep-alive PING and its
    /// timeout, the graceful-GOAWAY drain, reset-stream expiry, idle close, and the
    /// header-block and body timeouts. Calls
    /// before any deadline are no-ops.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.error.is_some() {
            return;
        }
        let fired: Vec<Timer> = self.timers.expired(now).collect();
        for timer in fired {
            match timer {
                Timer::SettingsAck => {
                    if !self.pending_settings.is_empty() {
                        self.fail(ConnectionError::SettingsTimeout);
                        return;
                    }
                }
                Timer::KeepAlivePing => {
                    let payload = self.next_ping_payload(KEEPALIVE_PING_TAG);
                    Ping {
                        ack: false,
                        payload,
                    }
                    .encode(self.out.buf());
                    self.keepalive_ping = Some(payload);
                    self.timers
                        .set(Timer::KeepAliveTimeout, now + self.config.keepalive_timeout);
                }
                Timer::KeepAliveTimeout => {
                    if self.keepalive_ping.is_some() {
                        self.fail(ConnectionError::KeepAliveTimeout);
                        return;
                    }
                }
                Timer::GoAwayDrain => self.send_final_goaway(),
                Timer::ResetExpiry => {
                    self.streams.expire_resets(now);
                    if let Some(next) = self.streams.next_reset_expiry() {
                        self.timers.set(Timer::ResetExpiry, next);
                    }
                }
                Timer::HeaderBlock => {
                    self.on_header_block_timeout();
                    return;
                }
                Timer::Body => self.on_body_timeout(now),
                Timer::Idle => {
                    if self.streams.len() == 0 {
                        self.goaway(now, ErrorCode::NO_ERROR, Bytes::from_static(b"idle"));
                        if self.role == Role::Server {
                            // Nothing in flight to protect: skip the drain phase.
                            self.send_final_goaway();
                        }
                    } else if let Some(idle) = self.config.idle_timeout {
                        self.timers.set(Timer::Idle, now + idle);
                    }
                }
            }
        }
    }
}
