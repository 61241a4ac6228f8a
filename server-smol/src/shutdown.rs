//! The graceful-shutdown signal shared by listeners and connections.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

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
}
