//! Informational (1xx) responses a handler sends before its final response,
//! such as 103 Early Hints (RFC 8297): the client can start fetching what the
//! `Link` fields name while the handler is still working on the answer.
//!
//! The handler holds an [`Interim`]; the connection driver holds the other end
//! and writes each head on the handler's stream, in order, before the final
//! response. Both protocols already know how to send a 1xx (the 100 Continue
//! path of HTTP/1.1, a non-final HEADERS frame in HTTP/2, RFC 9113 §8.1).
//!
//! Few handlers ever send one, so a request costs nothing until its handler does:
//! the queues of a connection's requests live in one [`InterimPort`], made with the
//! connection's first request, and a request's own queue is a slot in it whose
//! storage is taken by its first head.

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
pub struct Interim {
    port: Arc<Mutex<Slots>>,
    key: u64,
}

/// The driver's end for one request; dropping it closes the request's slot.
#[derive(Debug)]
pub(crate) struct InterimReceiver {
    port: Arc<Mutex<Slots>>,
    key: u64,
}

/// The 1xx queues of one connection's requests.
#[derive(Debug, Default)]
pub(crate) struct InterimPort(Arc<Mutex<Slots>>);

#[derive(Debug, Default)]
struct Slots {
    /// The requests whose final response has not been made yet: one at a time over
    /// HTTP/1.1, up to the concurrent streams over HTTP/2.
    open: Vec<Slot>,
    next_key: u64,
}

#[derive(Debug)]
struct Slot {
    key: u64,
    /// Empty, and unallocated, until the handler sends a head.
    heads: VecDeque<(u16, Headers)>,
    waker: Option<Waker>,
}

impl Slots {
    fn slot(&mut self, key: u64) -> Option<&mut Slot> {
        self.open.iter_mut().find(|slot| slot.key == key)
    }
}

fn lock(slots: &Mutex<Slots>) -> MutexGuard<'_, Slots> {
    slots
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl InterimPort {
    /// A connected pair for the connection's next request.
    pub(crate) fn open(&self) -> (Interim, InterimReceiver) {
        let key = {
            let mut slots = lock(&self.0);
            let key = slots.next_key;
            slots.next_key += 1;
            slots.open.push(Slot {
                key,
                heads: VecDeque::new(),
                waker: None,
            });
            key
        };
        (
            Interim {
                port: self.0.clone(),
                key,
            },
            InterimReceiver {
                port: self.0.clone(),
                key,
            },
        )
    }
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
        let mut slots = lock(&self.port);
        let slot = slots.slot(self.key).ok_or(InterimError::Closed)?;
        if slot.heads.len() >= MAX_QUEUED {
            return Err(InterimError::Full);
        }
        slot.heads.push_back((status, headers));
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
        Ok(())
    }
}

impl InterimReceiver {
    /// The next queued head, or `Pending` with a wake-up registered for when
    /// the handler sends one.
    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<(u16, Headers)> {
        let mut slots = lock(&self.port);
        let Some(slot) = slots.slot(self.key) else {
            return Poll::Pending;
        };
        match slot.heads.pop_front() {
            Some(head) => Poll::Ready(head),
            None => {
                match &slot.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => slot.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Whatever is still queued, without registering a wake-up: called once
    /// the final response is ready, so that no 1xx sent before it is lost.
    pub(crate) fn drain(&self) -> Vec<(u16, Headers)> {
        lock(&self.port)
            .slot(self.key)
            .map(|slot| slot.heads.drain(..).collect())
            .unwrap_or_default()
    }
}

impl Drop for InterimReceiver {
    /// Heads sent after the final response are refused, not queued forever.
    fn drop(&mut self) {
        let mut slots = lock(&self.port);
        if let Some(index) = slots.open.iter().position(|slot| slot.key == self.key) {
            slots.open.swap_remove(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_arrive_in_order_and_are_bounded() {
        let port = InterimPort::default();
        let (tx, rx) = port.open();
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

    #[test]
    fn requests_of_a_connection_share_its_port_without_mixing_heads() {
        let port = InterimPort::default();
        let (first, first_rx) = port.open();
        let (second, second_rx) = port.open();
        // Nothing is stored for a request until its handler sends a head.
        assert!(
            lock(&port.0)
                .open
                .iter()
                .all(|slot| slot.heads.capacity() == 0)
        );
        first.send(103, Headers::new()).unwrap();
        let mut links = Headers::new();
        links.append("link", "</b.js>; rel=preload");
        second.send(103, links.clone()).unwrap();
        assert_eq!(second_rx.drain(), vec![(103, links)]);
        assert_eq!(first_rx.drain().len(), 1);
        // The first response went out: its handler is refused, the other is not,
        // and the port keeps no slot for a finished request.
        drop(first_rx);
        assert_eq!(first.send(103, Headers::new()), Err(InterimError::Closed));
        second.send(103, Headers::new()).unwrap();
        drop(second_rx);
        assert!(lock(&port.0).open.is_empty());
        let (third, _third_rx) = port.open();
        assert_eq!(second.send(103, Headers::new()), Err(InterimError::Closed));
        third.send(103, Headers::new()).unwrap();
    }
}
