//! A timer that uses the worker's reactor when there is one.
//!
//! On a worker thread ([`super::block_on`]) a timer is an entry in the
//! reactor's ordered map: setting, moving and cancelling it are map
//! operations, with no system call and no lock. Anywhere else (the shared
//! layout's threads, tests on `smol::block_on`) it is async-io's timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::reactor;
use crate::clock;

/// A future that completes at a deadline, which can be moved.
#[derive(Debug)]
pub(crate) struct Timer {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Local {
        at: Option<Instant>,
        /// The reactor entry, while one is registered.
        key: Option<(Instant, u64)>,
    },
    Global(async_io::Timer),
}

impl Timer {
    /// A timer that never fires until [`Timer::set_at`].
    pub(crate) fn never() -> Self {
        let kind = if reactor::current().is_some() {
            Kind::Local {
                at: None,
                key: None,
            }
        } else {
            Kind::Global(async_io::Timer::never())
        };
        Self { kind }
    }

    /// A timer firing at `at`.
    pub(crate) fn at(at: Instant) -> Self {
        let mut timer = Self::never();
        timer.set_at(at);
        timer
    }

    /// A timer firing after `duration`.
    pub(crate) fn after(duration: Duration) -> Self {
        Self::at(clock::now() + duration)
    }

    /// Moves the deadline to `at`.
    pub(crate) fn set_at(&mut self, new: Instant) {
        match &mut self.kind {
            Kind::Local { at, key } => {
                *at = Some(new);
                cancel(key);
            }
            Kind::Global(timer) => timer.set_at(new),
        }
    }
}

impl Future for Timer {
    type Output = Instant;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        match &mut self.kind {
            Kind::Global(timer) => Pin::new(timer).poll(cx),
            Kind::Local { at, key } => {
                let Some(deadline) = *at else {
                    return Poll::Pending;
                };
                let now = clock::now();
                if now >= deadline {
                    cancel(key);
                    return Poll::Ready(now);
                }
                // Polled on a thread without a reactor (a future moved off
                // its worker): nothing can wake it but its owner.
                let Some(reactor) = reactor::current() else {
                    return Poll::Pending;
                };
                match *key {
                    Some(existing) if reactor.update_timer(existing, cx.waker()) => {}
                    _ => *key = Some(reactor.insert_timer(deadline, cx.waker().clone())),
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let Kind::Local { key, .. } = &mut self.kind {
            cancel(key);
        }
    }
}

/// Removes a local timer's reactor entry, if it has one.
fn cancel(key: &mut Option<(Instant, u64)>) {
    if let Some(old) = key.take()
        && let Some(reactor) = reactor::current()
    {
        reactor.remove_timer(old);
    }
}
