//! Rust futures that Python awaits, polled on the event loop's thread.
//!
//! A WebSocket `receive` or `send` usually either completes at once (a message is
//! waiting, the send queue has room) or waits for the connection's task on an I/O
//! worker. It is polled once where Python calls it; if it must wait, it is kept beside
//! the [`LoopFuture`] Python awaits, and its waker queues it for the loop, which polls
//! it again and resolves that future. The waker runs where the progress happens, the
//! I/O worker that delivered a message, so a round's deliveries reach the loop as one
//! batch with one wake-up ([`Bridge::to_loop_from_waker`]), and no thread stands
//! between the I/O worker and the loop: a task on another executor would add a
//! thread hand-off, and a wake-up of the loop, per message.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Wake, Waker};

use pyo3::prelude::*;

use super::bridge::{Bridge, LoopItem, Outcome, Ready, done};
use super::loop_future::LoopFuture;

/// The work behind an awaitable: its output builds the value under the GIL.
pub(crate) type Work = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// A future Python waits for, and the [`LoopFuture`] it resolves.
pub(crate) struct LoopPoll {
    bridge: Weak<Bridge>,
    /// Queued for the loop and not polled since: a second wake-up adds nothing.
    queued: AtomicBool,
    /// `None` once resolved.
    waiting: Mutex<Option<Waiting>>,
}

pub(crate) struct Waiting {
    work: Work,
    future: Py<LoopFuture>,
}

fn lock(m: &Mutex<Option<Waiting>>) -> MutexGuard<'_, Option<Waiting>> {
    // Poll and take are single steps under the lock: a poisoned lock is consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Polls `work` once: its value as an already-complete awaitable, or a [`LoopFuture`]
/// resolved on the loop once `work` completes.
///
/// A value of `None` (an accepted `send`) comes back as the shared
/// [`Done`](super::bridge::Done): no object is made, and awaiting it raises no
/// `StopIteration`, on the path of every message.
pub(crate) fn awaitable(
    py: Python<'_>,
    bridge: &Arc<Bridge>,
    mut work: Work,
) -> PyResult<Py<PyAny>> {
    let poll = Arc::new(LoopPoll {
        bridge: Arc::downgrade(bridge),
        queued: AtomicBool::new(false),
        waiting: Mutex::new(None),
    });
    // Held across the first poll and the store: a wake-up in between is polled by the
    // loop only after `work` is stored, whichever thread fired it.
    let mut waiting = lock(&poll.waiting);
    let waker = Waker::from(poll.clone());
    if let Poll::Ready(outcome) = work.as_mut().poll(&mut Context::from_waker(&waker)) {
        let value = outcome(py)?;
        if value.is_none(py) {
            return done(py);
        }
        return Ok(Py::new(py, Ready::new(value))?.into_any());
    }
    let future = Py::new(
        py,
        LoopFuture::new(bridge.event_loop(py)?.unbind(), Arc::downgrade(&poll)),
    )?;
    *waiting = Some(Waiting {
        work,
        future: future.clone_ref(py),
    });
    Ok(future.into_any())
}

impl LoopPoll {
    /// Polls the work again (on the loop, after a wake-up); resolves the future once it
    /// is done.
    pub(crate) fn run(self: Arc<Self>, py: Python<'_>) -> PyResult<()> {
        self.queued.store(false, Ordering::Release);
        let mut slot = lock(&self.waiting);
        let Some(waiting) = slot.as_mut() else {
            return Ok(());
        };
        let waker = Waker::from(self.clone());
        let Poll::Ready(outcome) = waiting.work.as_mut().poll(&mut Context::from_waker(&waker))
        else {
            return Ok(());
        };
        let Some(done) = slot.take() else {
            return Ok(());
        };
        drop(slot);
        LoopFuture::settle(done.future.bind(py), outcome)
    }

    /// Takes the work and its future away (the future was cancelled): dropping the
    /// work withdraws what it asked of the connection.
    pub(crate) fn withdraw(&self) -> Option<Waiting> {
        lock(&self.waiting).take()
    }
}

impl Wake for LoopPoll {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(bridge) = self.bridge.upgrade() {
            bridge.to_loop_from_waker(LoopItem::Poll(self.clone()));
        }
    }
}

impl std::fmt::Debug for LoopPoll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopPoll")
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
