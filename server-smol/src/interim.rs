//! Informational (1xx) responses a handler sends before its final response,
//! such as 103 Early Hints (RFC 8297): the client can start fetching what the
//! `Link` fields name while the handler is still working on the answer.
//!
//! The handler holds an [`Interim`]; the connection driver holds the other end
//! and writes each head on the handler's stream, in order, before the final
//! response. Both protocols already know how to send a 1xx (the 100 Continue
//! path of HTTP/1.1, a non-final HEADERS frame in HTTP/2, RFC 9113 §8.1).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::headers::Headers;

/// How many 1xx heads may wait for the driver at once. A handler that sends
/// faster than the connection writes is told so instead of growing a queue.
const MAX_QUEUED: usize = 16;

/// Why [`Interim::send`] refused a head.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InterimError {
    /// Only 102..=199 can precede a final response here: 100 is the server's own
    /// answer to `Expect`, and 101 switches protocols (RFC 9110 §15.2).
    #[error("status {0} cannot be sent as an informational response")]
    InvalidStatus(u16),
    /// The most heads a request may queue (sixteen) are already waiting to be written.
    #[error("too many informational responses waiting to be sent")]
    Full,
    /// The final response was already made, or the connection is gone.
    #[error("the response was already sent")]
    Closed,
}

/// The handler's end: sends 1xx heads on the request's stream.
#[derive(Debug, Clone)]
pub struct Interim(Arc<Mutex<Queue>>);

/// The driver's end.
#[derive(Debug)]
pub(crate) struct InterimReceiver(Arc<Mutex<Queue>>);

#[derive(Debug, Default)]
struct Queue {
    heads: VecDeque<(u16, Headers)>,
    waker: Option<Waker>,
    closed: bool,
}

/// A connected pair for one request.
pub(crate) fn channel() -> (Interim, InterimReceiver) {
    let queue = Arc::new(Mutex::new(Queue::default()));
    (Interim(queue.clone()), InterimReceiver(queue))
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Interim {
    /// Queues a `status` head with `headers` (e.g. 103 with `Link` fields) to go
    /// out before the final response. A client that cannot take a 1xx (HTTP/1.0,
    /// RFC 9110 §15.2) is sent nothing.
    ///
    /// # Errors
    /// [`InterimError`]: the status is not one a handler may send, the queue is
    /// full, or the final response has gone out.
    pub fn send(&self, status: u16, headers: Headers) -> Result<(), InterimError> {
        if !(102..200).contains(&status) {
            return Err(InterimError::InvalidStatus(status));
        }
        let mut queue = lock(&self.0);
        if queue.closed {
            return Err(InterimError::Closed);
        }
        if queue.heads.len() >= MAX_QUEUED {
            return Err(InterimError::Full);
        }
        queue.heads.push_back((status, headers));
        if let Some(waker) = queue.waker.take() {
            waker.wake();
        }
        Ok(())
    }
}

impl InterimReceiver {
    /// The next queued head, or `Pending` with a wake-up registered for when
    /// the handler sends one.
    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<(u16, Headers)> {
        let mut queue = lock(&self.0);
        match queue.heads.pop_front() {
            Some(head) => Poll::Ready(head),
            None => {
                queue.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Whatever is still queued, without registering a wake-up: called once
    /// the final response is ready, so that no 1xx sent before it is lost.
    pub(crate) fn drain(&self) -> Vec<(u16, Headers)> {
        lock(&self.0).heads.drain(..).collect()
    }
}

impl Drop for InterimReceiver {
    /// Heads sent after the final response are refused, not queued forever.
    fn drop(&mut self) {
        let mut queue = lock(&self.0);
        queue.closed = true;
        queue.heads.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_arrive_in_order_and_are_bounded() {
        let (tx, rx) = channel();
        let mut links = Headers::new();
        links.append("link", "</a.css>; rel=preload");
        tx.send(103, links.clone()).unwrap();
        tx.send(103, Headers::new()).unwrap();
        let drained = rx.drain();
        assert_eq!(drained.len(), 2);
        assert_eq!(drained[0], (103, links));
        for _ in 0..MAX_QUEUED {
            tx.send(103, Headers::new()).unwrap();
        }
        assert_eq!(tx.send(103, Headers::new()), Err(InterimError::Full));
        assert_eq!(
            tx.send(100, Headers::new()),
            Err(InterimError::InvalidStatus(100))
        );
        assert_eq!(
            tx.send(200, Headers::new()),
            Err(InterimError::InvalidStatus(200))
        );
        drop(rx);
        assert_eq!(tx.send(103, Headers::new()), Err(InterimError::Closed));
    }
}
