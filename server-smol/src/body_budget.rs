//! The per-connection budget for request-body bytes (HTTP/2).
//!
//! `max_body` bounds one request. An HTTP/2 connection carries many at
//! once, and a handler may keep what it read until it answers (the demo's
//! `/echo` does), so the bytes one connection holds could reach
//! `max_body` times the number of streams. The budget bounds their sum.
//!
//! It works through flow control (RFC 9113 §5.2): the peer may only send
//! what our windows allow, and credit goes back only while
//!
//! ```text
//! held + window <= limit
//! ```
//!
//! where `held` is the body bytes handed to handlers of streams still
//! open, and `window` the connection-level credit the peer has not used.
//! Credit the budget cannot take yet waits until a stream ends. Bytes never
//! handed to a handler (padding, refused uploads) are credited at once.

use std::collections::VecDeque;

use crate::config::Limits;

/// The budget a connection gets: `max_connection_body`, but never less
/// than one largest request, nor less than the smallest connection window
/// HTTP/2 allows (65,535, RFC 9113 §6.9.2).
pub(crate) fn body_budget_limit(limits: &Limits) -> u64 {
    limits.max_connection_body.max(limits.max_body).max(65_535)
}

/// Request-body bytes one connection may hold, and the credit waiting for
/// room in it.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    limit: u64,
    held: u64,
    window: u64,
    owed: VecDeque<(u32, usize)>,
}

impl BodyBudget {
    /// A budget of `limit` bytes for a connection that opened its
    /// connection-level window to `window` (which must not exceed it).
    pub(crate) fn new(limit: u64, window: u32) -> Self {
        Self {
            limit,
            held: 0,
            window: u64::from(window),
            owed: VecDeque::new(),
        }
    }

    /// The window it counts, when no handler holds body bytes and no credit
    /// waits: all a connection with no open stream needs to keep of it.
    pub(crate) fn idle_window(&self) -> Option<u64> {
        (self.held == 0 && self.owed.is_empty()).then_some(self.window)
    }

    /// The budget of a connection that kept only [`idle_window`](Self::idle_window).
    pub(crate) fn resume(limit: u64, window: u64) -> Self {
        Self {
            limit,
            held: 0,
            window,
            owed: VecDeque::new(),
        }
    }

    /// The peer sent a DATA frame of `flow_len` flow-controlled bytes, of
    /// which `held` went to a handler.
    pub(crate) fn received(&mut self, flow_len: usize, held: usize) {
        self.window = self.window.saturating_sub(flow_len as u64);
        self.held = self.held.saturating_add(held as u64);
    }

    /// Credit for bytes nobody holds: always returned.
    pub(crate) fn release_unheld(&mut self, n: usize) {
        self.window = self.window.saturating_add(n as u64);
    }

    /// A stream ended; its handler's `held` bytes no longer count.
    pub(crate) fn stream_ended(&mut self, held: u64) {
        self.held = self.held.saturating_sub(held);
    }

    /// A handler consumed `n` bytes of stream `id`: `Some` if that credit
    /// may go back now, otherwise it waits (see [`BodyBudget::next_owed`]).
    pub(crate) fn consumed(&mut self, id: u32, n: usize) -> Option<(u32, usize)> {
        if self.owed.is_empty() && self.fits(n) {
            self.window += n as u64;
            return Some((id, n));
        }
        self.owed.push_back((id, n));
        None
    }

    /// Waiting credit that fits the budget now, oldest first.
    pub(crate) fn next_owed(&mut self) -> Option<(u32, usize)> {
        let &(_, n) = self.owed.front()?;
        if !self.fits(n) {
            return None;
        }
        self.window += n as u64;
        self.owed.pop_front()
    }

    fn fits(&self, n: usize) -> bool {
        self.held
            .saturating_add(self.window)
            .saturating_add(n as u64)
            <= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_waits_while_handlers_hold_the_budget() {
        let mut budget = BodyBudget::new(100, 60);
        // 60 bytes arrive on stream 1 and are handed over.
        budget.received(60, 60);
        // Consumed but still held: 40 of credit fit (60 held + 40 window).
        assert_eq!(budget.consumed(1, 40), Some((1, 40)));
        assert_eq!(budget.consumed(1, 20), None);
        budget.received(40, 40);
        assert_eq!(budget.next_owed(), None);
        // Padding and refused bytes are credited at once.
        budget.received(10, 0);
        budget.release_unheld(10);
        // The stream ends: its 100 held bytes free the waiting credit.
        budget.stream_ended(100);
        assert_eq!(budget.next_owed(), Some((1, 20)));
        assert_eq!(budget.next_owed(), None);
    }
}
