//! The graceful-shutdown signal shared by listeners and connections.

use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Context;

use futures_lite::Stream;
use smol::channel::{Receiver, Sender};

/// Raised once; every clone of the receiver sees it.
///
/// The channel never carries a message: dropping the only sender closes it,
/// which wakes every pending `recv` at once, a broadcast without a list of
/// subscribers to keep.
#[derive(Debug)]
pub(crate) struct Shutdown {
    raised: AtomicBool,
    sender: Mutex<Option<Sender<()>>>,
    receiver: Receiver<()>,
}

impl Shutdown {
    pub(crate) fn new() -> Self {
        let (sender, receiver) = smol::channel::bounded(1);
        Self {
            raised: AtomicBool::new(false),
            sender: Mutex::new(Some(sender)),
            receiver,
        }
    }

    /// Starts the shutdown. Idempotent.
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
    }

    /// Whether [`raise`](Self::raise) has been called.
    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    /// A receiver whose `recv()` completes (with an error) once raised.
    pub(crate) fn subscribe(&self) -> Receiver<()> {
        self.receiver.clone()
    }

    /// Completes once raised.
    pub(crate) async fn wait(&self) {
        let _ = self.receiver.recv().await;
    }
}

/// One connection's view of the shutdown, polled from its own loop, with
/// no future of its own to keep: the receiver waits with its own listener.
#[derive(Debug)]
pub(crate) struct Signal {
    /// Dropped once it reported the shutdown.
    receiver: Option<Pin<Box<Receiver<()>>>>,
}

impl Signal {
    pub(crate) fn new(shutdown: &Shutdown) -> Self {
        Self {
            receiver: Some(Box::pin(shutdown.subscribe())),
        }
    }

    /// Whether [`poll_raised`](Self::poll_raised) has reported the shutdown.
    pub(crate) fn has_fired(&self) -> bool {
        self.receiver.is_none()
    }

    /// Whether the shutdown was raised; if not, `cx` is woken when it is.
    pub(crate) fn poll_raised(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(receiver) = self.receiver.as_mut() else {
            return true;
        };
        // The channel never carries a message: it ends when raised.
        if receiver.as_mut().poll_next(cx).is_ready() {
            self.receiver = None;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_wakes_every_waiter() {
        let shutdown = Shutdown::new();
        let a = shutdown.subscribe();
        assert!(!shutdown.is_raised());
        assert!(a.try_recv().is_err() && !a.is_closed());
        shutdown.raise();
        shutdown.raise();
        assert!(shutdown.is_raised());
        smol::block_on(async {
            assert!(a.recv().await.is_err());
            shutdown.wait().await;
        });
    }

    use std::task::Poll;

    #[test]
    fn a_signal_reports_the_shutdown_and_wakes_its_waiter() {
        let shutdown = std::sync::Arc::new(Shutdown::new());
        let mut signal = Signal::new(&shutdown);
        let waker = std::task::Waker::noop();
        assert!(!signal.poll_raised(&mut Context::from_waker(waker)));
        let raiser = shutdown.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            raiser.raise();
        });
        smol::block_on(std::future::poll_fn(|cx| {
            if signal.poll_raised(cx) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        thread.join().unwrap();
        assert!(signal.poll_raised(&mut Context::from_waker(waker)));
    }
}
