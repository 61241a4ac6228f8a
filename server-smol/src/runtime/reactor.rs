//! A per-worker, edge-triggered epoll reactor with its own timers.
//!
//! Why not async-io's reactor: it is global (one lock, usually driven by its
//! own helper thread that hands readiness to the workers through a futex),
//! arms every source in oneshot mode (one `epoll_ctl` per event to re-arm),
//! and re-arms a timerfd and a notifier around each wait (three more calls).
//! On a keep-alive benchmark that is about 4.5 system calls per request
//! against tokio's 2. Here each worker thread owns an epoll instance; a socket
//! is registered once, edge-triggered, for both directions, and its readiness
//! is remembered until a read or write reports `EAGAIN`. Timers are an
//! ordered map consulted for the wait's timeout, so they cost no system call.
//!
//! Everything here lives on one thread: sources and timers are only touched
//! by the worker that owns the reactor. The only cross-thread entry point is
//! [`Notifier`], which wakes the worker out of `epoll_wait` through an
//! eventfd when a task is woken from another thread (a Python handler
//! finishing, a blocking file read, a shutdown).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use rustix::event::epoll::{self, EventData, EventFlags};
use rustix::event::{EventfdFlags, eventfd};
use rustix::time::Timespec;

use crate::clock;

/// Events fetched per `epoll_wait`.
const EVENTS_PER_WAIT: usize = 256;

/// The epoll data of the notifier's eventfd (sources use their slot index,
/// which never gets this large).
const NOTIFY_TOKEN: u64 = u64::MAX;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Reactor>>> = const { RefCell::new(None) };
}

/// The reactor of the current thread, if it runs one.
pub(crate) fn current() -> Option<Rc<Reactor>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Makes `reactor` the current thread's until the guard drops.
pub(crate) fn enter(reactor: Rc<Reactor>) -> EnterGuard {
    CURRENT.with(|c| *c.borrow_mut() = Some(reactor));
    EnterGuard(())
}

/// Uninstalls the thread's reactor on drop.
pub(crate) struct EnterGuard(());

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.borrow_mut().take());
    }
}

/// Readiness and wakers of one registered file descriptor.
#[derive(Default)]
pub(crate) struct Source {
    /// The peer has closed its side or the socket failed: reads no longer
    /// block, and no further edge will say so.
    hung_up: Cell<bool>,
    readable: Cell<bool>,
    writable: Cell<bool>,
    reader: Cell<Option<Waker>>,
    writer: Cell<Option<Waker>>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("hung_up", &self.hung_up.get())
            .field("readable", &self.readable.get())
            .field("writable", &self.writable.get())
            .finish_non_exhaustive()
    }
}

/// A direction of readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Source {
    fn flag(&self, direction: Direction) -> &Cell<bool> {
        match direction {
            Direction::Read => &self.readable,
            Direction::Write => &self.writable,
        }
    }

    fn waker(&self, direction: Direction) -> &Cell<Option<Waker>> {
        match direction {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        }
    }

    /// Whether the last attempt in `direction` may not have drained the
    /// socket (or an event has arrived since it did).
    pub(crate) fn is_ready(&self, direction: Direction) -> bool {
        self.flag(direction).get()
    }

    /// Records that the socket is drained in `direction` (`EAGAIN`, or a
    /// short read): the next edge-triggered event sets it again. After a
    /// hang-up the read side stays ready: the end of stream (or the error)
    /// arrived with an edge that has already been consumed, and the read
    /// that reports it is still to come.
    pub(crate) fn clear(&self, direction: Direction) {
        if direction == Direction::Write || !self.hung_up.get() {
            self.flag(direction).set(false);
        }
    }

    /// Stores the waker to call on the next event in `direction`.
    pub(crate) fn register(&self, direction: Direction, waker: &Waker) {
        let slot = self.waker(direction);
        let current = slot.take();
        let keep = match current {
            Some(w) if w.will_wake(waker) => w,
            _ => waker.clone(),
        };
        slot.set(Some(keep));
    }

    fn fire(&self, direction: Direction) {
        self.flag(direction).set(true);
        if let Some(waker) = self.waker(direction).take() {
            waker.wake();
        }
    }
}

/// Wakes a worker blocked in `epoll_wait` from any thread.
#[derive(Debug)]
pub(crate) struct Notifier {
    eventfd: OwnedFd,
    /// The worker is in, or about to enter, `epoll_wait`.
    sleeping: AtomicBool,
    /// Something asked the worker to poll its tasks again.
    notified: AtomicBool,
}

impl Notifier {
    /// Whether a wake-up arrived since the last [`Notifier::take`].
    pub(crate) fn take(&self) -> bool {
        self.notified.swap(false, Ordering::SeqCst)
    }
}

impl Wake for Notifier {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Dekker-style pairing with `Reactor::wait`: either this thread sees
        // `sleeping` and writes the eventfd, or the worker sees `notified`
        // and does not block.
        if !self.notified.swap(true, Ordering::SeqCst) && self.sleeping.load(Ordering::SeqCst) {
            // A full counter (EAGAIN) already means "wake up".
            let _ = rustix::io::write(&self.eventfd, &1u64.to_ne_bytes());
        }
    }
}

/// One worker's epoll instance, sources and timers.
pub(crate) struct Reactor {
    epoll: OwnedFd,
    notifier: Arc<Notifier>,
    sources: RefCell<Slots>,
    timers: RefCell<BTreeMap<(Instant, u64), Waker>>,
    next_timer_id: Cell<u64>,
    events: RefCell<Vec<epoll::Event>>,
    /// Tasks that gave up their turn: woken after the next look at epoll
    /// and the timers, so that they queue behind whatever that look wakes.
    yielded: RefCell<Vec<Waker>>,
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("epoll", &self.epoll)
            .field("timers", &self.timers.borrow().len())
            .finish_non_exhaustive()
    }
}

/// Registered sources by slot; a freed slot is reused.
#[derive(Debug, Default)]
struct Slots {
    entries: Vec<Option<Rc<Source>>>,
    free: Vec<usize>,
}

impl Slots {
    /// Stores `source` in a free slot, or a new one; returns the slot.
    fn insert(&mut self, source: Rc<Source>) -> usize {
        match self.free.pop() {
            Some(slot) => {
                if let Some(entry) = self.entries.get_mut(slot) {
                    *entry = Some(source);
                }
                slot
            }
            None => {
                self.entries.push(Some(source));
                self.entries.len() - 1
            }
        }
    }

    /// Frees `slot` for reuse.
    fn release(&mut self, slot: usize) {
        if let Some(entry) = self.entries.get_mut(slot) {
            *entry = None;
            self.free.push(slot);
        }
    }
}

/// A source's registration, until its owner calls [`Registration::deregister`].
#[derive(Debug)]
pub(crate) struct Registration {
    reactor: Rc<Reactor>,
    slot: usize,
    source: Rc<Source>,
}

impl Registration {
    /// Readiness and wakers of the registered descriptor.
    pub(crate) fn source(&self) -> &Source {
        &self.source
    }

    /// The reactor the descriptor is registered with.
    pub(crate) fn reactor(&self) -> &Rc<Reactor> {
        &self.reactor
    }

    /// Removes `fd` from the epoll set (closing it would too, but only if
    /// no duplicate of the descriptor exists) and frees the slot.
    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>) {
        let _ = epoll::delete(&self.reactor.epoll, fd);
        self.reactor.sources.borrow_mut().release(self.slot);
    }
}

impl Reactor {
    /// A new epoll instance with its notifier registered.
    pub(crate) fn new() -> io::Result<Rc<Self>> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let eventfd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        // Level-triggered: it stays reported until `wait` reads it, which it
        // only does when it fired.
        epoll::add(
            &epoll,
            &eventfd,
            EventData::new_u64(NOTIFY_TOKEN),
            EventFlags::IN,
        )?;
        Ok(Rc::new(Self {
            epoll,
            notifier: Arc::new(Notifier {
                eventfd,
                sleeping: AtomicBool::new(false),
                notified: AtomicBool::new(false),
            }),
            sources: RefCell::default(),
            timers: RefCell::default(),
            next_timer_id: Cell::new(0),
            events: RefCell::new(Vec::with_capacity(EVENTS_PER_WAIT)),
            yielded: RefCell::default(),
        }))
    }

    /// The cross-thread wake-up handle.
    pub(crate) fn notifier(&self) -> &Arc<Notifier> {
        &self.notifier
    }

    /// Registers `fd` for both directions, edge-triggered. It starts out
    /// ready both ways, so the first read or write is simply attempted.
    pub(crate) fn register(self: &Rc<Self>, fd: BorrowedFd<'_>) -> io::Result<Registration> {
        let source = Rc::new(Source::default());
        source.readable.set(true);
        source.writable.set(true);
        let slot = self.sources.borrow_mut().insert(source.clone());
        let flags = EventFlags::IN | EventFlags::OUT | EventFlags::RDHUP | EventFlags::ET;
        if let Err(error) = epoll::add(&self.epoll, fd, EventData::new_u64(slot as u64), flags) {
            self.sources.borrow_mut().release(slot);
            return Err(error.into());
        }
        Ok(Registration {
            reactor: self.clone(),
            slot,
            source,
        })
    }

    /// Adds a timer; returns its key for [`Reactor::remove_timer`].
    pub(crate) fn insert_timer(&self, at: Instant, waker: Waker) -> (Instant, u64) {
        let id = self.next_timer_id.get();
        self.next_timer_id.set(id.wrapping_add(1));
        self.timers.borrow_mut().insert((at, id), waker);
        (at, id)
    }

    /// Replaces the waker of a timer still pending; false if it has fired.
    pub(crate) fn update_timer(&self, key: (Instant, u64), waker: &Waker) -> bool {
        match self.timers.borrow_mut().get_mut(&key) {
            Some(stored) => {
                if !stored.will_wake(waker) {
                    stored.clone_from(waker);
                }
                true
            }
            None => false,
        }
    }

    /// Timers not yet fired or cancelled.
    #[cfg(test)]
    pub(crate) fn timers_pending(&self) -> usize {
        self.timers.borrow().len()
    }

    /// Cancels a timer (a no-op if it has fired).
    pub(crate) fn remove_timer(&self, key: (Instant, u64)) {
        // The waker is dropped after the borrow ends.
        let removed = self.timers.borrow_mut().remove(&key);
        drop(removed);
    }

    /// Wakes `waker` once the next [`wait`](Self::wait) has dispatched the
    /// readiness and timers it found.
    ///
    /// The executor runs a batch of up to 200 ready tasks before it lets
    /// the thread wait; a task that wakes itself at once is ready again
    /// within the batch, so a connection that keeps its socket full would
    /// run 200 turns back to back while no accept, read or timer is seen.
    pub(crate) fn wake_after_wait(&self, waker: &Waker) {
        self.yielded.borrow_mut().push(waker.clone());
    }

    /// Waits for I/O events or the first timer, and wakes whoever waits on
    /// them, then the tasks that yielded. Does not block when a wake-up is
    /// already pending or a task yielded.
    pub(crate) fn wait(&self) -> io::Result<()> {
        let timeout = self.timeout();
        // Announce the sleep before the last look at `notified` (see
        // `Notifier::wake_by_ref`).
        self.notifier.sleeping.store(true, Ordering::SeqCst);
        let timeout =
            if self.notifier.notified.load(Ordering::SeqCst) || !self.yielded.borrow().is_empty() {
                Some(Duration::ZERO)
            } else {
                timeout
            };
        let mut events = self.events.take();
        events.clear();
        let result = epoll::wait(
            &self.epoll,
            rustix::buffer::spare_capacity(&mut events),
            timeout.map(to_timespec).as_ref(),
        );
        self.notifier.sleeping.store(false, Ordering::SeqCst);
        let now = clock::set_loop_time(true);
        let outcome = match result {
            Ok(_) => Ok(()),
            Err(rustix::io::Errno::INTR) => Ok(()),
            Err(error) => Err(io::Error::from(error)),
        };
        for event in &events {
            self.dispatch(event);
        }
        self.events.replace(events);
        self.fire_timers(now);
        // Taken out first: a waker may run code that yields again.
        let yielded = self.yielded.take();
        for waker in yielded {
            waker.wake();
        }
        outcome
    }

    fn dispatch(&self, event: &epoll::Event) {
        let token = event.data.u64();
        if token == NOTIFY_TOKEN {
            let mut counter = [0u8; 8];
            let _ = rustix::io::read(&self.notifier.eventfd, &mut counter);
            return;
        }
        // A slot freed and reused within one batch may get an event meant
        // for its previous owner: readiness is only a hint, so the cost is
        // one attempt that returns `EAGAIN`.
        let source = usize::try_from(token)
            .ok()
            .and_then(|slot| self.sources.borrow().entries.get(slot).cloned().flatten());
        let Some(source) = source else { return };
        let flags = event.flags;
        let failed = flags.intersects(EventFlags::ERR | EventFlags::HUP);
        if failed || flags.contains(EventFlags::RDHUP) {
            source.hung_up.set(true);
        }
        if failed || flags.intersects(EventFlags::IN | EventFlags::RDHUP) {
            source.fire(Direction::Read);
        }
        if failed || flags.contains(EventFlags::OUT) {
            source.fire(Direction::Write);
        }
    }

    /// The time until the first timer, rounded up to whole milliseconds
    /// (epoll's resolution; rounding down would spin until the deadline).
    fn timeout(&self) -> Option<Duration> {
        let (first, _) = *self.timers.borrow().keys().next()?;
        let left = first.saturating_duration_since(clock::precise_now());
        let millis = left.as_nanos().div_ceil(1_000_000);
        Some(Duration::from_millis(
            u64::try_from(millis).unwrap_or(u64::MAX),
        ))
    }

    fn fire_timers(&self, now: Instant) {
        if self.timers.borrow().is_empty() {
            return;
        }
        loop {
            let due = {
                let mut timers = self.timers.borrow_mut();
                match timers.first_key_value() {
                    Some((&(at, _), _)) if at <= now => timers.pop_first(),
                    _ => None,
                }
            };
            match due {
                Some((_, waker)) => waker.wake(),
                None => break,
            }
        }
    }
}

fn to_timespec(duration: Duration) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(duration.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(duration.subsec_nanos()),
    }
}

impl AsFd for Reactor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}
