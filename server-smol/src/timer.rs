//! Waiting inside handlers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::clock;
use crate::runtime::Timer;

/// Completes after `duration`.
///
/// On a per-core worker the timer is an entry in the worker's own reactor,
/// so a handler that paces its output (server-sent events, retries) wakes
/// on its own thread without a system call; elsewhere it is async-io's
/// timer.
pub async fn sleep(duration: Duration) {
    crate::runtime::Timer::after(duration).await;
}

/// A connection's one timer, set to whichever deadline it waits for (a
/// protocol's `poll_timeout`, a write's). The timer is only moved when it
/// would fire too late: moving it costs a trip through the reactor, and a
/// wake-up a little early only means a second wait.
#[derive(Debug)]
pub(crate) struct DeadlineTimer {
    timer: Timer,
    /// The instant the timer is set to.
    at: Option<Instant>,
}

impl DeadlineTimer {
    pub(crate) fn new() -> Self {
        Self {
            timer: Timer::never(),
            at: None,
        }
    }

    /// Ready once `deadline` has passed; otherwise `cx` is woken by then.
    pub(crate) fn poll_until(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.at.is_none_or(|at| at > deadline) {
                self.timer.set_at(deadline);
                self.at = Some(deadline);
            }
            if Pin::new(&mut self.timer).poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.at = None;
            if clock::now() >= deadline {
                return Poll::Ready(());
            }
            // The timer was set for an earlier deadline that has since moved.
        }
    }
}
