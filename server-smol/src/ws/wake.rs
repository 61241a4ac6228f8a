//! Wake-ups that arrive while the session is polling, absorbed instead of rescheduling it.
//!
//! The session's loop polls the application's handler, its hand-over, the socket and the
//! timers, and polls all of them again after any of them progressed. When the handler
//! runs in the session's own task (the common case: the route's future), everything it
//! does wakes that task: the message handed to it, its echo, its next `recv`. Each of
//! those wake-ups would reschedule the task, which the executor then polls once more for
//! nothing, a whole pass per message. Polled with a [`LoopWaker`] instead, what wakes
//! during a poll only marks the pass, which the loop looks at before it returns
//! `Pending`; a wake-up after that (another thread, the reactor, a timer) goes to the
//! task as usual.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};

/// The waker the session polls with; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct LoopWaker {
    /// The task's own waker, as of the last poll.
    task: Mutex<Option<Waker>>,
    /// The session is inside a poll and will look at `woken` before it waits.
    polling: AtomicBool,
    /// A wake-up since the current pass started.
    woken: AtomicBool,
}

impl LoopWaker {
    /// A waker for the session to poll with, and its handle.
    pub(crate) fn new() -> (Arc<Self>, Waker) {
        let this = Arc::new(Self::default());
        let waker = Waker::from(this.clone());
        (this, waker)
    }

    /// A poll of the task begins: `task` is the waker that reschedules it.
    pub(crate) fn enter(&self, task: &Waker) {
        if let Ok(mut stored) = self.task.lock() {
            match stored.as_ref() {
                Some(current) if current.will_wake(task) => {}
                _ => *stored = Some(task.clone()),
            }
        }
        self.polling.store(true, Ordering::SeqCst);
    }

    /// A pass over everything the session polls begins: a wake-up from here on is
    /// news to it.
    pub(crate) fn pass(&self) {
        self.woken.store(false, Ordering::SeqCst);
    }

    /// The poll ends; `true` when something woke during the last pass, after what it
    /// concerned was polled, and the session must pass again before it waits. Wake-ups
    /// from here on reschedule the task.
    #[must_use]
    pub(crate) fn leave(&self) -> bool {
        // Stored before `woken` is read, as a waker stores `woken` before it reads
        // `polling`: one of the two sees the other's write, so no wake-up is lost.
        self.polling.store(false, Ordering::SeqCst);
        self.woken.swap(false, Ordering::SeqCst)
    }
}

impl Wake for LoopWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if !self.polling.load(Ordering::SeqCst)
            && let Ok(task) = self.task.lock()
            && let Some(task) = task.as_ref()
        {
            task.wake_by_ref();
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// A waker that counts its wake-ups.
    #[derive(Default)]
    pub(crate) struct Count(pub(crate) AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wake_ups_during_a_poll_are_noted_and_later_ones_reach_the_task() {
        let count = Arc::new(Count::default());
        let task = Waker::from(count.clone());
        let (loop_waker, waker) = LoopWaker::new();

        loop_waker.enter(&task);
        loop_waker.pass();
        waker.wake_by_ref();
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            0,
            "rescheduled while polling"
        );
        assert!(loop_waker.leave(), "the wake-up was lost");

        loop_waker.enter(&task);
        loop_waker.pass();
        assert!(!loop_waker.leave());
        waker.wake_by_ref();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);

        // A wake-up before a pass concerns what the pass polls: not news after it.
        loop_waker.enter(&task);
        waker.wake_by_ref();
        loop_waker.pass();
        assert!(!loop_waker.leave());
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }
}
