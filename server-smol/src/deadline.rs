//! Sleeping until a deadline that keeps moving.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::clock;
use crate::runtime::Timer;

/// A connection's one timer, set to whichever deadline it waits for (its protocol's
/// next deadline, read again at each wait, or a write's). The timer is moved
/// only when it would fire too late: moving it costs a trip through the reactor, and a
/// deadline that moved later is found by waking once early and looking again.
#[derive(Debug)]
pub(crate) struct Deadline {
    timer: Timer,
    at: Option<Instant>,
}

impl Deadline {
    pub(crate) fn new() -> Self {
        Self {
            timer: Timer::never(),
            at: None,
        }
    }

    /// `Ready(now)` once `deadline` has passed; otherwise a wake-up is arranged.
    pub(crate) fn poll_until(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<Instant> {
        loop {
            if self.at.is_none_or(|at| at > deadline) {
                self.timer.set_at(deadline);
                self.at = Some(deadline);
            }
            if Pin::new(&mut self.timer).poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.at = None;
            let now = clock::now();
            if now >= deadline {
                return Poll::Ready(now);
            }
            // The timer was set for an earlier deadline that has since moved.
        }
    }
}
