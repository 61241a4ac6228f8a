//! The per-connection budget for request-body bytes (HTTP/2; HTTP/3 counts against
//! the same limit in `h3/conn.rs`).
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

/// What [`first_upload`] needs to know of one open request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UploadState {
    /// A tunnel's bytes are not a body the budget counts.
    pub(crate) tunnel: bool,
    /// Body bytes its handler was handed and still counts against the budget.
    pub(crate) held: u64,
    /// Its body is still arriving.
    pub(crate) arriving: bool,
}

/// The oldest request whose body counts against the budget (still arriving, or
/// handed to a handler that has not finished), if its body is still arriving: the
/// one upload that proceeds whatever the budget holds, so uploads that together
/// exceed the budget finish one after another instead of each waiting for credit
/// only another's end would free. While the oldest waits for its response to
/// finish, no other request passes the budget.
///
/// Request ids grow with age on both protocols (RFC 9113 §5.1.1, RFC 9000 §2.1).
pub(crate) fn first_upload<Id: Ord>(
    requests: impl IntoIterator<Item = (Id, UploadState)>,
) -> Option<Id> {
    let (id, state) = requests
        .into_iter()
        .filter(|(_, state)| !state.tunnel && (state.held > 0 || state.arriving))
        .min_by(|a, b| a.0.cmp(&b.0))?;
    state.arriving.then_some(id)
}

/// Request-body bytes one connection may hold, and the credit waiting for
/// room in it.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    limit: u64,
    held: u64,
    window: u64,
    owed: VecDeque<Owed>,
}

/// Credit a handler consumed that waits for room in the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owed {
    pub(crate) stream: u32,
    pub(crate) octets: usize,
    /// Its connection-level share went back ahead of the budget
    /// ([`BodyBudget::lend_connection`]); only the stream's share is left to give.
    pub(crate) lent: bool,
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
        self.owed.push_back(Owed {
            stream: id,
            octets: n,
            lent: false,
        });
        None
    }

    /// Waiting credit that fits the budget now, oldest first.
    pub(crate) fn next_owed(&mut self) -> Option<Owed> {
        let owed = *self.owed.front()?;
        let connection = if owed.lent { 0 } else { owed.octets };
        if !self.fits(connection) {
            return None;
        }
        self.window += connection as u64;
        self.owed.pop_front()
    }

    /// Whether any credit waits for room.
    pub(crate) fn owes(&self) -> bool {
        !self.owed.is_empty()
    }

    /// All credit waiting for stream `id`, released whatever the budget holds:
    /// `(stream octets, connection octets)`, the second smaller when some of the
    /// connection's share was lent already.
    ///
    /// The driver calls it for the connection's oldest upload, which always
    /// proceeds (`max_body` bounds it): uploads that together exceed the budget
    /// then finish one after another, instead of each waiting for another to end
    /// until the body timeout.
    pub(crate) fn release_first(&mut self, id: u32) -> Option<(usize, usize)> {
        let (mut stream, mut connection) = (0, 0);
        self.owed.retain(|owed| {
            let this = owed.stream == id;
            if this {
                stream += owed.octets;
                if !owed.lent {
                    connection += owed.octets;
                }
            }
            !this
        });
        self.window += connection as u64;
        (stream > 0).then_some((stream, connection))
    }

    /// Lends up to about `max` octets of connection-level credit ahead of the
    /// budget, from the connection shares of waiting credit, oldest first; returns
    /// the octets lent.
    ///
    /// For an oldest upload that the peer cannot send because the connection
    /// window is spent (HTTP/2 windows are per connection as well as per stream,
    /// RFC 9113 §5.2): its own stream window is open, while the streams whose
    /// credit waits have theirs closing, so the lent credit goes to it. What other
    /// streams may take of it is bounded by their open stream windows.
    pub(crate) fn lend_connection(&mut self, max: usize) -> usize {
        let mut lent = 0;
        for owed in self.owed.iter_mut().filter(|owed| !owed.lent) {
            if lent >= max {
                break;
            }
            owed.lent = true;
            lent += owed.octets;
        }
        self.window += lent as u64;
        lent
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
        assert_eq!(
            budget.next_owed(),
            Some(Owed {
                stream: 1,
                octets: 20,
                lent: false
            })
        );
        assert_eq!(budget.next_owed(), None);
    }

    fn upload(tunnel: bool, held: u64, arriving: bool) -> UploadState {
        UploadState {
            tunnel,
            held,
            arriving,
        }
    }

    #[test]
    fn the_first_upload_is_the_oldest_counted_request_while_it_arrives() {
        // Tunnels and requests that neither hold nor receive a body do not count.
        let requests = [
            (1u32, upload(true, 10, true)),
            (3, upload(false, 0, false)),
            (5, upload(false, 0, true)),
            (7, upload(false, 9, true)),
        ];
        assert_eq!(first_upload(requests), Some(5));
        // The oldest counted request has all its body and waits for its handler:
        // no upload passes the budget until it finishes.
        let requests = [(5u64, upload(false, 4, false)), (7, upload(false, 9, true))];
        assert_eq!(first_upload(requests), None);
        assert_eq!(first_upload(Vec::<(u32, UploadState)>::new()), None);
    }

    #[test]
    fn the_first_upload_gets_its_credit_past_a_full_budget() {
        let mut budget = BodyBudget::new(100, 100);
        // Streams 1 and 3 took 100 bytes between them: the budget is full.
        budget.received(100, 100);
        assert_eq!(budget.consumed(1, 30), None);
        assert_eq!(budget.consumed(3, 20), None);
        assert_eq!(budget.consumed(1, 20), None);
        assert!(budget.owes());
        assert_eq!(budget.next_owed(), None);
        // Stream 1 is the oldest upload: all of its credit goes back, stream 3's waits.
        assert_eq!(budget.release_first(1), Some((50, 50)));
        assert_eq!(budget.release_first(1), None);
        assert!(budget.owes());
        assert_eq!(budget.next_owed(), None);
        assert_eq!(budget.release_first(3), Some((20, 20)));
        assert!(!budget.owes());
    }

    #[test]
    fn connection_credit_is_lent_from_waiting_credit_and_not_given_twice() {
        let mut budget = BodyBudget::new(100, 100);
        budget.received(100, 100);
        assert_eq!(budget.consumed(3, 30), None);
        assert_eq!(budget.consumed(5, 30), None);
        assert_eq!(budget.consumed(3, 10), None);
        // The oldest upload (stream 1) has nothing waiting and the window is spent.
        assert_eq!(budget.lend_connection(40), 60);
        assert_eq!(budget.lend_connection(40), 10);
        assert_eq!(budget.lend_connection(40), 0);
        budget.stream_ended(100);
        // Each stream's share is still owed; the connection's went back already.
        let first = budget.next_owed().unwrap();
        assert_eq!((first.stream, first.octets, first.lent), (3, 30, true));
        assert_eq!(budget.release_first(5), Some((30, 0)));
        assert_eq!(budget.release_first(3), Some((10, 0)));
        assert!(!budget.owes());
    }
}
