//! The three deadlines of an HTTP/1.1 connection, kept from the `now` the driver passes
//! in: the head read (the slowloris guard), the gap between body reads, and keep-alive
//! idleness between messages (RFC 9112 §9.5).

use std::time::Instant;

use crate::config::Timeouts;
use crate::{Role, State};

/// Which timer expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expiry {
    Head,
    Body,
    Idle,
}

/// When each running timer started; which one applies is decided from the states.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timers {
    /// When the peer's current head started arriving.
    head_started: Option<Instant>,
    /// When the connection last became idle between messages.
    idle_since: Option<Instant>,
    /// When the last bytes of the peer's body (or its head) arrived.
    body_progress: Instant,
    /// The `now` of the latest input.
    pub(crate) last_input: Instant,
}

impl Timers {
    /// A server's first request is due from the start: a connection that sends nothing
    /// gets the head timeout, not the keep-alive one. A client waits for nothing until it
    /// sends a request.
    pub(crate) fn new(now: Instant, role: Role) -> Self {
        Self {
            head_started: (role == Role::Server).then_some(now),
            idle_since: None,
            body_progress: now,
            last_input: now,
        }
    }

    /// Bytes arrived at `now`; `head_starts` when they are the first of a head.
    pub(crate) fn received(&mut self, now: Instant, head_starts: bool, peer: State) {
        self.last_input = now;
        if head_starts && self.head_started.is_none() {
            self.head_started = Some(now);
        }
        if head_starts {
            self.idle_since = None;
        }
        if peer == State::SendBody {
            self.body_progress = now;
        }
    }

    /// A head was parsed from the latest input: its body's timer starts there.
    pub(crate) fn head_done(&mut self) {
        self.head_started = None;
        self.idle_since = None;
        self.body_progress = self.last_input;
    }

    /// A new cycle starts at `now`: the next head has begun if bytes are buffered.
    pub(crate) fn next_cycle(&mut self, now: Instant, buffered: bool) {
        self.head_started = buffered.then_some(now);
        self.idle_since = (!buffered).then_some(now);
    }

    pub(crate) fn body(&self, timeouts: &Timeouts) -> Option<(Instant, Expiry)> {
        Some((self.body_progress + timeouts.body?, Expiry::Body))
    }

    pub(crate) fn head_or_idle(&self, timeouts: &Timeouts) -> Option<(Instant, Expiry)> {
        if let Some(started) = self.head_started {
            return Some((started + timeouts.head?, Expiry::Head));
        }
        Some((self.idle_since? + timeouts.keep_alive?, Expiry::Idle))
    }
}
