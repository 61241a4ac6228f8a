//! How work crosses between server-smol's I/O threads and Python.
//!
//! The I/O threads never take the GIL. Work for Python goes one of two ways:
//! - to the **handler threads** (sync decorator handlers): a queue the Python threads
//!   wait on with the GIL released;
//! - to the **event loop** (async handlers, ASGI, completions of Rust futures that
//!   Python awaits): a queue plus one byte on a socket pair that the asyncio loop
//!   watches with `add_reader`.
//!
//! Both directions are batched, so that a burst of requests costs one wake-up of each
//! thread instead of one per request, whatever the scheduler policy:
//! - an I/O thread only marks a wake-up of Python as due, and server-smol's round hook
//!   (`Bridge::round_end`, run by each worker after a round of ready tasks, before it
//!   polls I/O) sends it once for the whole round: the requests that arrived together
//!   reach Python as one batch, and the woken Python thread cannot preempt the I/O
//!   thread mid-round on a shared core. Hand-offs from any other thread wake at once;
//! - answers go into a [`ReplySlot`] without waking anyone; the Python side flushes
//!   the wake-ups once per batch (the loop at the end of its turn, a handler thread
//!   before it waits), and the first woken I/O task wakes the others from the I/O
//!   thread itself (`Bridge::wake_ready`), which costs no system call. Without this,
//!   on one core the woken I/O thread preempts Python at the first answer, writes it,
//!   sleeps, and the two threads take turns for every request.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::task::{Context, Poll, Waker};

use pyo3::exceptions::{PyRuntimeError, PyStopIteration};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use server_smol::Response;

use super::asgi::AsgiJob;
use super::asgi_ws::AsgiWsJob;
use super::on_loop::LoopPoll;
use super::request::RouteJob;
use super::websocket::WsJob;

/// Builds the value (or exception) a Python future is resolved with, under the GIL.
pub(crate) type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// Something the event loop has to do.
pub(crate) enum LoopItem {
    /// Run an async decorator handler.
    Route(RouteJob),
    /// Start an ASGI application call.
    Asgi(AsgiJob),
    /// Start a WebSocket route's handler on its accepted socket.
    Ws(WsJob),
    /// Start an ASGI application call for a WebSocket upgrade.
    AsgiWs(AsgiWsJob),
    /// Resolve an asyncio future a Rust task was working for.
    Resolve { future: Py<PyAny>, outcome: Outcome },
    /// Poll again a Rust future Python awaits, whose waker fired.
    Poll(Arc<LoopPoll>),
}

/// Who the current thread is to the bridge: decides when an answer's wake-up is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Any other thread: wake at once.
    Other,
    /// The event loop's thread: wake at the end of the loop's current turn.
    Loop,
    /// A handler thread inside `serve_threads`: wake before it waits for work.
    Handler,
    /// The event loop's thread inside `Server.drain`, where handler tasks start
    /// eagerly and most answers are given: wake once the batch is done.
    Draining,
}

thread_local! {
    static ROLE: Cell<Role> = const { Cell::new(Role::Other) };
    /// The bridge whose round hook runs on this thread (an I/O worker of its server),
    /// as an address; 0 on every other thread.
    static ROUND_OF: Cell<usize> = const { Cell::new(0) };
}

/// Marks the calling thread as the event loop's (see [`Role`]).
pub(crate) fn enter_loop_role() {
    ROLE.with(|r| r.set(Role::Loop));
}

/// Marks the calling thread as draining a batch (see [`Role`]) until the guard
/// drops; the caller then sends the batch's wake-ups with `flush_replies`.
pub(crate) fn enter_drain_role() -> RoleGuard {
    RoleGuard::enter(Role::Draining)
}

/// Marks the calling thread as a handler thread until the guard drops.
pub(crate) fn enter_handler_role() -> RoleGuard {
    RoleGuard::enter(Role::Handler)
}

/// Puts the calling thread's previous [`Role`] back when dropped.
pub(crate) struct RoleGuard(Role);

impl RoleGuard {
    fn enter(role: Role) -> Self {
        Self(ROLE.with(|r| r.replace(role)))
    }
}

impl Drop for RoleGuard {
    fn drop(&mut self) {
        ROLE.with(|r| r.set(self.0));
    }
}

/// The sync handler queue.
#[derive(Default)]
struct SyncQueue {
    jobs: VecDeque<RouteJob>,
    stopped: bool,
}

/// The shared state of one server's Python side.
pub(crate) struct Bridge {
    queue: Mutex<VecDeque<LoopItem>>,
    /// True while a wake-up byte is in flight, or the loop is draining.
    armed: AtomicBool,
    wake_tx: UnixStream,
    wake_rx: UnixStream,
    sync: Mutex<SyncQueue>,
    sync_ready: Condvar,
    /// Handler threads waiting on `sync_ready` (changed under the `sync` lock).
    sync_idle: AtomicUsize,
    /// A waiting handler thread was notified and has not run yet: notifying again
    /// would only cost a system call.
    sync_notified: AtomicBool,
    /// True while an I/O task has promised to notify the handler threads.
    sync_armed: AtomicBool,
    /// The loop's wake-up byte is owed at the end of an I/O round (`round_end`).
    loop_wake_due: AtomicBool,
    /// The handler threads' notification is owed at the end of an I/O round.
    threads_notify_due: AtomicBool,
    /// Answered slots whose waiters have not been woken yet.
    to_wake: Mutex<VecDeque<Arc<ReplySlot>>>,
    has_to_wake: AtomicBool,
    /// True while a `FlushReplies` call is scheduled on the loop.
    loop_flush_due: AtomicBool,
    flusher: OnceLock<Py<PyAny>>,
    /// `json(value) -> bytes` for dict and list results of decorator handlers.
    json: OnceLock<Py<PyAny>>,
    /// The asyncio loop serving this bridge, set once by `Server.start`.
    event_loop: OnceLock<Py<PyAny>>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("armed", &self.armed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the queue half-updated (push and
    // take are single operations), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Bridge {
    pub(crate) fn new() -> std::io::Result<Self> {
        let (wake_tx, wake_rx) = UnixStream::pair()?;
        wake_tx.set_nonblocking(true)?;
        wake_rx.set_nonblocking(true)?;
        Ok(Self {
            queue: Mutex::new(VecDeque::new()),
            armed: AtomicBool::new(false),
            wake_tx,
            wake_rx,
            sync: Mutex::new(SyncQueue::default()),
            sync_ready: Condvar::new(),
            sync_idle: AtomicUsize::new(0),
            sync_notified: AtomicBool::new(false),
            sync_armed: AtomicBool::new(false),
            loop_wake_due: AtomicBool::new(false),
            threads_notify_due: AtomicBool::new(false),
            to_wake: Mutex::new(VecDeque::new()),
            has_to_wake: AtomicBool::new(false),
            loop_flush_due: AtomicBool::new(false),
            flusher: OnceLock::new(),
            json: OnceLock::new(),
            event_loop: OnceLock::new(),
        })
    }

    /// The file descriptor the event loop watches (`loop.add_reader`).
    pub(crate) fn wake_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.wake_rx.as_raw_fd()
    }

    pub(crate) fn set_loop(
        self: &Arc<Self>,
        py: Python<'_>,
        event_loop: Py<PyAny>,
    ) -> PyResult<()> {
        self.event_loop
            .set(event_loop)
            .map_err(|_| PyRuntimeError::new_err("the server is already started"))?;
        let flusher = Py::new(
            py,
            FlushReplies {
                bridge: Arc::downgrade(self),
            },
        )?;
        let _ = self.flusher.set(flusher.into_any());
        Ok(())
    }

    /// Sets how dict and list results become JSON bytes (once).
    pub(crate) fn set_json(&self, json: Py<PyAny>) {
        let _ = self.json.set(json);
    }

    pub(crate) fn json<'py>(&self, py: Python<'py>) -> Option<&Bound<'py, PyAny>> {
        self.json.get().map(|j| j.bind(py))
    }

    pub(crate) fn event_loop<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.event_loop
            .get()
            .map(|l| l.bind(py).clone())
            .ok_or_else(|| PyRuntimeError::new_err("the server is not started"))
    }

    /// Queues work for the event loop and wakes it if it is not already due to drain.
    pub(crate) fn to_loop(&self, item: LoopItem) {
        // A wake-up an I/O round still owes is sent now too: this thread cannot
        // rely on a round ending (the worker that owes it may have exited).
        if self.queue_for_loop(item) || self.loop_wake_due.swap(false, Ordering::AcqRel) {
            self.wake_loop();
        }
    }

    /// Queues work for the event loop from an I/O task and wakes the loop once the
    /// I/O thread's round of ready tasks is over, so that the requests that arrived
    /// together reach Python as one batch: one wake-up and one loop turn for all of
    /// them, instead of a context switch to the loop (which shares a core with the
    /// I/O thread in a one-worker deployment) for nearly every request.
    pub(crate) async fn to_loop_batched(&self, item: LoopItem) {
        if self.queue_for_loop(item) {
            self.wake_after_round(&self.loop_wake_due, Bridge::wake_loop)
                .await;
        }
    }

    /// Queues work for the event loop from a waker: on an I/O worker the loop is woken
    /// once the worker's round of ready tasks is over, as by
    /// [`to_loop_batched`](Self::to_loop_batched), so that the messages a round delivers
    /// reach Python as one batch; from any other thread at once, as by
    /// [`to_loop`](Self::to_loop).
    pub(crate) fn to_loop_from_waker(&self, item: LoopItem) {
        let armed = self.queue_for_loop(item);
        if self.on_round_thread() {
            if armed {
                self.loop_wake_due.store(true, Ordering::Release);
            }
        } else if armed || self.loop_wake_due.swap(false, Ordering::AcqRel) {
            self.wake_loop();
        }
    }

    /// Sends a wake-up the caller armed once this I/O thread's round of ready tasks
    /// is over: by the round hook where it runs (`due` marks it owed), else after
    /// this thread's other ready tasks had their turn. Armed by the caller: nobody
    /// else sends it, so it is sent even if this future is dropped while it waits.
    async fn wake_after_round(&self, due: &AtomicBool, wake: fn(&Bridge)) {
        if self.on_round_thread() {
            // `round_end` runs on this thread before it polls I/O or sleeps.
            due.store(true, Ordering::Release);
            return;
        }
        let guard = WakeOnDrop(self, wake);
        smol::future::yield_now().await;
        drop(guard);
    }

    /// Queues `item`; true if the caller armed the wake-up and must write the byte.
    fn queue_for_loop(&self, item: LoopItem) -> bool {
        lock(&self.queue).push_back(item);
        !self.armed.swap(true, Ordering::AcqRel)
    }

    fn wake_loop(&self) {
        // One byte in a fresh socket buffer cannot block; if the loop is gone the
        // write fails and there is nobody to wake.
        let _ = (&self.wake_tx).write(&[1]);
    }

    /// Queues a sync handler call for the handler threads, waking one (if one is
    /// waiting) once the I/O thread's round is over, as `to_loop_batched` does for
    /// the loop.
    pub(crate) async fn to_threads_batched(&self, job: RouteJob) {
        {
            let mut queue = lock(&self.sync);
            if queue.stopped {
                // The dropped job's reply answers 500 (see `Replier`'s drop).
                return;
            }
            queue.jobs.push_back(job);
        }
        if !self.sync_armed.swap(true, Ordering::AcqRel) {
            self.wake_after_round(&self.threads_notify_due, Bridge::notify_threads)
                .await;
        }
    }

    fn notify_threads(&self) {
        self.sync_armed.store(false, Ordering::Release);
        // A thread that found the queue empty counted itself idle under the lock the
        // push above took afterwards, so it is seen here.
        self.wake_one_thread();
    }

    /// True if this thread is an I/O worker whose round hook is this bridge's.
    fn on_round_thread(&self) -> bool {
        ROUND_OF.with(Cell::get) == std::ptr::from_ref(self) as usize
    }

    /// server-smol's round hook (`Server::on_round_end`): runs on each I/O worker
    /// after a round of ready tasks, and sends the wake-ups the round's hand-offs
    /// marked as due. Two atomic loads when there are none.
    pub(crate) fn round_end(&self) {
        ROUND_OF.with(|r| r.set(std::ptr::from_ref(self) as usize));
        self.send_due_wakeups();
    }

    /// Sends the wake-ups owed by I/O rounds: from `round_end`, and once the I/O
    /// threads have exited (a worker that ends does not run its hook again).
    pub(crate) fn send_due_wakeups(&self) {
        // A load first: the usual round owes nothing, and a swap would take the
        // cache line for writing every time.
        let owed =
            |due: &AtomicBool| due.load(Ordering::Acquire) && due.swap(false, Ordering::AcqRel);
        if owed(&self.loop_wake_due) {
            self.wake_loop();
        }
        if owed(&self.threads_notify_due) {
            self.notify_threads();
        }
    }

    /// Wakes one waiting handler thread, unless one is already on its way.
    fn wake_one_thread(&self) {
        if self.sync_idle.load(Ordering::Acquire) > 0
            && !self.sync_notified.swap(true, Ordering::AcqRel)
        {
            self.sync_ready.notify_one();
        }
    }

    /// Takes everything queued for the loop (called from the loop's reader callback).
    pub(crate) fn take_loop_items(&self) -> VecDeque<LoopItem> {
        let mut sink = [0u8; 64];
        while matches!((&self.wake_rx).read(&mut sink), Ok(n) if n > 0) {}
        // Disarm before taking: an item pushed after this point either lands in this
        // batch or writes a new wake-up byte.
        self.armed.store(false, Ordering::Release);
        std::mem::take(&mut *lock(&self.queue))
    }

    /// The next sync job if one is waiting, without blocking. When more are waiting
    /// and another handler thread is idle, wakes it: this one may be about to run a
    /// slow handler, which must not hold up the others.
    pub(crate) fn try_sync_job(&self) -> Option<RouteJob> {
        let mut queue = lock(&self.sync);
        let job = queue.jobs.pop_front()?;
        if !queue.jobs.is_empty() {
            self.wake_one_thread();
        }
        Some(job)
    }

    /// The next sync job, blocking (call with the GIL released); `None` once stopped
    /// and drained.
    pub(crate) fn next_sync_job(&self) -> Option<RouteJob> {
        let mut queue = lock(&self.sync);
        loop {
            if let Some(job) = queue.jobs.pop_front() {
                return Some(job);
            }
            if queue.stopped {
                return None;
            }
            self.sync_idle.fetch_add(1, Ordering::AcqRel);
            queue = self
                .sync_ready
                .wait(queue)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.sync_idle.fetch_sub(1, Ordering::AcqRel);
            self.sync_notified.store(false, Ordering::Release);
        }
    }

    /// Lets the handler threads finish: `next_sync_job` returns `None` once drained.
    pub(crate) fn stop_threads(&self) {
        lock(&self.sync).stopped = true;
        self.sync_ready.notify_all();
    }

    /// A new asyncio future on the server's loop.
    pub(crate) fn create_future<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.event_loop(py)?
            .call_method0(pyo3::intern!(py, "create_future"))
    }

    /// Notes that `slot` was answered; its waiter is woken according to the calling
    /// thread's [`Role`].
    fn answered(&self, py: Python<'_>, slot: Arc<ReplySlot>) {
        {
            let mut to_wake = lock(&self.to_wake);
            to_wake.push_back(slot);
            self.has_to_wake.store(true, Ordering::Release);
        }
        match ROLE.with(Cell::get) {
            Role::Handler | Role::Draining => {}
            Role::Loop => self.schedule_loop_flush(py),
            Role::Other => self.flush_replies(),
        }
    }

    fn schedule_loop_flush(&self, py: Python<'_>) {
        if self.loop_flush_due.swap(true, Ordering::AcqRel) {
            return;
        }
        // `call_soon` queues the flush behind the handles the loop already has ready
        // (the tasks this batch started), so it runs once they all had their turn.
        let scheduled = match (self.event_loop.get(), self.flusher.get()) {
            (Some(event_loop), Some(flusher)) => event_loop
                .bind(py)
                .call_method1(pyo3::intern!(py, "call_soon"), (flusher.bind(py),))
                .is_ok(),
            _ => false,
        };
        if !scheduled {
            self.loop_flush_due.store(false, Ordering::Release);
            self.flush_replies();
        }
    }

    /// True if answers wait for their wake-up.
    pub(crate) fn has_unflushed(&self) -> bool {
        self.has_to_wake.load(Ordering::Acquire)
    }

    /// Wakes the waiters of every answered slot. The first wake-up may hand the core
    /// to the I/O thread, which then wakes the rest itself (`wake_ready`); the slots
    /// are taken one at a time so that neither side wakes a task twice.
    pub(crate) fn flush_replies(&self) {
        loop {
            let slot = {
                let mut to_wake = lock(&self.to_wake);
                let slot = to_wake.pop_front();
                if to_wake.is_empty() {
                    self.has_to_wake.store(false, Ordering::Release);
                }
                slot
            };
            let Some(slot) = slot else { return };
            slot.wake();
        }
    }

    /// Wakes the waiters of every answered slot from an I/O thread (`ReplyWait::poll`):
    /// a local wake-up, no system call.
    fn wake_ready(&self) {
        if !self.has_to_wake.load(Ordering::Acquire) {
            return;
        }
        let slots = {
            let mut to_wake = lock(&self.to_wake);
            self.has_to_wake.store(false, Ordering::Release);
            std::mem::take(&mut *to_wake)
        };
        for slot in slots {
            slot.wake();
        }
    }
}

/// Where one answer goes: written by Python (`Replier`), read by the I/O task
/// (`ReplyWait`). Cheaper than a channel, and the wake-up can be deferred.
#[derive(Debug, Default)]
pub(crate) struct ReplySlot {
    state: Mutex<SlotState>,
}

#[derive(Debug, Default)]
struct SlotState {
    response: Option<Response>,
    waker: Option<Waker>,
    /// The replier answered or is gone.
    closed: bool,
    /// The waiting I/O task is gone (the connection dropped the request).
    abandoned: bool,
}

impl ReplySlot {
    fn wake(&self) {
        let waker = lock(&self.state).waker.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A reply slot's two ends.
pub(crate) fn reply_slot(bridge: &Arc<Bridge>) -> (Replier, ReplyWait) {
    let slot = Arc::new(ReplySlot::default());
    (
        Replier {
            slot: slot.clone(),
            bridge: bridge.clone(),
        },
        ReplyWait {
            slot,
            bridge: bridge.clone(),
        },
    )
}

/// Python's end of a reply slot: `answer` once; dropping it unanswered answers 500.
#[derive(Debug)]
pub(crate) struct Replier {
    slot: Arc<ReplySlot>,
    bridge: Arc<Bridge>,
}

impl Replier {
    /// Hands `response` to the waiting I/O task; false if it is gone (the client
    /// went away). The wake-up is deferred per the calling thread's role.
    pub(crate) fn answer(self, py: Python<'_>, response: Response) -> bool {
        {
            let mut state = lock(&self.slot.state);
            state.closed = true;
            if state.abandoned {
                return false;
            }
            state.response = Some(response);
        }
        self.bridge.answered(py, self.slot.clone());
        true
    }

    /// Like `answer`, but wakes the I/O task at once: for a streamed response, whose
    /// body the handler writes next and which the I/O thread must start sending.
    pub(crate) fn answer_now(self, py: Python<'_>, response: Response) -> bool {
        let bridge = self.bridge.clone();
        let accepted = self.answer(py, response);
        bridge.flush_replies();
        accepted
    }
}

impl Drop for Replier {
    fn drop(&mut self) {
        let waker = {
            let mut state = lock(&self.slot.state);
            if state.closed {
                return;
            }
            state.closed = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The I/O task's end of a reply slot: the answer, or `None` if the replier was
/// dropped without one.
#[derive(Debug)]
pub(crate) struct ReplyWait {
    slot: Arc<ReplySlot>,
    bridge: Arc<Bridge>,
}

impl Future for ReplyWait {
    type Output = Option<Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Whoever runs first on the I/O thread wakes the other answered tasks.
        self.bridge.wake_ready();
        let mut state = lock(&self.slot.state);
        if let Some(response) = state.response.take() {
            return Poll::Ready(Some(response));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for ReplyWait {
    fn drop(&mut self) {
        let response = {
            let mut state = lock(&self.slot.state);
            state.abandoned = true;
            state.waker = None;
            state.response.take()
        };
        drop(response);
    }
}

/// Runs the deferred wake-ups of answers given on the loop thread; scheduled with
/// `call_soon` once per loop turn (see `Bridge::schedule_loop_flush`).
#[pyclass(module = "weft._weft", name = "FlushReplies", frozen)]
#[derive(Debug)]
pub(crate) struct FlushReplies {
    bridge: Weak<Bridge>,
}

#[pymethods]
impl FlushReplies {
    fn __call__(&self) {
        if let Some(bridge) = self.bridge.upgrade() {
            bridge.loop_flush_due.store(false, Ordering::Release);
            bridge.flush_replies();
        }
    }
}

/// Runs a promised wake-up when dropped (see `Bridge::to_loop_batched`).
struct WakeOnDrop<'a>(&'a Bridge, fn(&Bridge));

impl Drop for WakeOnDrop<'_> {
    fn drop(&mut self) {
        (self.1)(self.0);
    }
}

/// Resolves `future` with `outcome` unless it was cancelled meanwhile.
pub(crate) fn resolve(py: Python<'_>, future: &Bound<'_, PyAny>, outcome: Outcome) -> PyResult<()> {
    if future
        .call_method0(pyo3::intern!(py, "done"))?
        .is_truthy()?
    {
        return Ok(());
    }
    match outcome(py) {
        Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,))?,
        Err(err) => {
            future.call_method1(pyo3::intern!(py, "set_exception"), (err.into_value(py),))?
        }
    };
    Ok(())
}

/// An awaitable that is already complete: `await Ready(v)` gives `v` without
/// suspending, so the common case of ASGI `send` / `receive` costs no loop round trip.
#[pyclass(module = "weft._weft", name = "Ready")]
#[derive(Debug)]
pub(crate) struct Ready {
    value: Option<Py<PyAny>>,
}

impl Ready {
    pub(crate) fn new(value: Py<PyAny>) -> Self {
        Self { value: Some(value) }
    }
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value = self.value.take().unwrap_or_else(|| py.None());
        Err(PyStopIteration::new_err((value,)))
    }

    fn send(&mut self, py: Python<'_>, _value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.__next__(py)
    }

    #[pyo3(signature = (exc, _value = None, _traceback = None))]
    fn throw(
        &mut self,
        exc: &Bound<'_, PyAny>,
        _value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Err(PyErr::from_value(exc.clone()))
    }

    fn close(&mut self) {
        self.value = None;
    }
}

/// An awaitable that is already complete with `None`; stateless, so one shared
/// instance serves every `send()` that is accepted at once (no allocation per call).
///
/// `__next__` ends the iteration without raising: CPython's `await` takes a bare end
/// of iteration as the value `None`, so no `StopIteration` is built either.
#[pyclass(module = "weft._weft", name = "Done", frozen)]
#[derive(Debug)]
pub(crate) struct Done;

static DONE: PyOnceLock<Py<Done>> = PyOnceLock::new();

/// The shared already-complete awaitable (see [`Done`]).
pub(crate) fn done(py: Python<'_>) -> PyResult<Py<PyAny>> {
    let done = DONE.get_or_try_init(py, || Py::new(py, Done))?;
    Ok(done.clone_ref(py).into_any())
}

#[pymethods]
impl Done {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self) -> Option<Py<PyAny>> {
        None
    }

    fn send(&self, _value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Err(PyStopIteration::new_err(()))
    }

    #[pyo3(signature = (exc, _value = None, _traceback = None))]
    fn throw(
        &self,
        exc: &Bound<'_, PyAny>,
        _value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Err(PyErr::from_value(exc.clone()))
    }

    fn close(&self) {}
}
