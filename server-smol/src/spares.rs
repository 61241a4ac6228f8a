//! Serving states kept per worker thread for the next connection that wakes.
//!
//! A connection that waits with nothing in progress (HTTP/1.1 keep-alive, HTTP/2
//! with no open stream) gives its serving state (driver buffers, queues, maps)
//! back here and takes one again when bytes arrive. Beyond [`SPARES`] states per
//! protocol and worker, those given back are freed: what idle connections cost
//! together is bounded by this number, not by how many there are, and a client
//! that waits for each response takes a state without allocating.
//!
//! The states are thread-local: a worker thread serves one server, so a spare
//! only ever goes to a connection of the server it came from.

use std::cell::RefCell;
use std::thread::LocalKey;

/// How many spare states a worker keeps per protocol.
pub(crate) const SPARES: usize = 64;

/// A worker's spare states of one kind.
pub(crate) struct Spares<T>(RefCell<Vec<Box<T>>>);

impl<T> Spares<T> {
    pub(crate) const fn new() -> Self {
        Self(RefCell::new(Vec::new()))
    }
}

/// A spare state from this worker, if it has one.
pub(crate) fn take<T>(spares: &'static LocalKey<Spares<T>>) -> Option<Box<T>> {
    spares
        .try_with(|spares| spares.0.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten()
}

/// Keeps `state` for the next connection, or frees it if this worker has enough.
pub(crate) fn give_back<T>(spares: &'static LocalKey<Spares<T>>, state: Box<T>) {
    let _ = spares.try_with(|spares| {
        if let Ok(mut spares) = spares.0.try_borrow_mut()
            && spares.len() < SPARES
        {
            spares.push(state);
        }
    });
}
