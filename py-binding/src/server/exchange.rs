//! How long one ASGI exchange lasts, for `http.disconnect` (ASGI HTTP spec: `receive()`
//! reports the disconnect once the response is sent or the client went away).
//!
//! Each party that keeps the exchange open holds an [`ExchangeGuard`]: the I/O task
//! waiting for the answer (dropped with it when the connection goes, so a client that
//! leaves before the response starts is seen), and a streamed response body until
//! server-smol is done with it (it drops the body when the client hangs up).
//! When the last guard drops, the exchange is over. One allocation per exchange, and no
//! listener unless `receive()` has to wait for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use event_listener::Event;

/// One exchange's open/over state, shared by its guards and by `receive()`.
#[derive(Debug)]
pub(crate) struct Exchange {
    guards: AtomicUsize,
    over: Event,
}

/// Keeps an [`Exchange`] open while it lives (see the module docs).
#[derive(Debug)]
pub(crate) struct ExchangeGuard(Arc<Exchange>);

impl Exchange {
    /// A new exchange, open, and its first guard.
    pub(crate) fn open() -> (Arc<Self>, ExchangeGuard) {
        let exchange = Arc::new(Self {
            guards: AtomicUsize::new(1),
            over: Event::new(),
        });
        (exchange.clone(), ExchangeGuard(exchange))
    }

    /// True once every guard is gone.
    pub(crate) fn is_over(&self) -> bool {
        self.guards.load(Ordering::Acquire) == 0
    }

    /// Waits until the exchange is over.
    pub(crate) async fn closed(&self) {
        loop {
            if self.is_over() {
                return;
            }
            // Listening before the second check: a guard dropped in between still
            // notifies this listener.
            let listener = self.over.listen();
            if self.is_over() {
                return;
            }
            listener.await;
        }
    }
}

impl ExchangeGuard {
    /// Another guard on `exchange`.
    pub(crate) fn join(exchange: &Arc<Exchange>) -> Self {
        exchange.guards.fetch_add(1, Ordering::Relaxed);
        Self(exchange.clone())
    }
}

impl Drop for ExchangeGuard {
    fn drop(&mut self) {
        if self.0.guards.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.over.notify(usize::MAX);
        }
    }
}
