//! How work crosses between server-smol's I/O threads and Python.
//!
//! The I/O threads never take the GIL. Work for Python goes one of two ways:
//! - to the **handler threads** (sync decorator handlers): an unbounded channel the
//!   Python threads block on with the GIL released;
//! - to the **event loop** (async handlers, ASGI, completions of Rust futures that
//!   Python awaits): a queue plus one byte on a socket pair that the asyncio loop
//!   watches with `add_reader`. The byte is only written when the loop is not already
//!   due to drain, so a burst of requests costs one wake-up.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use pyo3::exceptions::{PyRuntimeError, PyStopIteration};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use smol::channel::{Receiver, Sender};

use super::asgi::AsgiJob;
use super::request::RouteJob;

/// Builds the value (or exception) a Python future is resolved with, under the GIL.
pub(crate) type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// Something the event loop has to do.
pub(crate) enum LoopItem {
    /// Run an async decorator handler.
    Route(RouteJob),
    /// Start an ASGI application call.
    Asgi(AsgiJob),
    /// Resolve an asyncio future a Rust task was working for.
    Resolve { future: Py<PyAny>, outcome: Outcome },
}

/// The shared state of one server's Python side.
pub(crate) struct Bridge {
    queue: Mutex<VecDeque<LoopItem>>,
    /// True while a wake-up byte is in flight, or the loop is draining.
    armed: AtomicBool,
    wake_tx: UnixStream,
    wake_rx: UnixStream,
    sync_tx: Sender<RouteJob>,
    sync_rx: Receiver<RouteJob>,
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
        let (sync_tx, sync_rx) = smol::channel::unbounded();
        Ok(Self {
            queue: Mutex::new(VecDeque::new()),
            armed: AtomicBool::new(false),
            wake_tx,
            wake_rx,
            sync_tx,
            sync_rx,
            event_loop: OnceLock::new(),
        })
    }

    /// The file descriptor the event loop watches (`loop.add_reader`).
    pub(crate) fn wake_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.wake_rx.as_raw_fd()
    }

    pub(crate) fn set_loop(&self, event_loop: Py<PyAny>) -> PyResult<()> {
        self.event_loop
            .set(event_loop)
            .map_err(|_| PyRuntimeError::new_err("the server is already started"))
    }

    pub(crate) fn event_loop<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.event_loop
            .get()
            .map(|l| l.bind(py).clone())
            .ok_or_else(|| PyRuntimeError::new_err("the server is not started"))
    }

    /// Queues work for the event loop and wakes it if it is not already due to drain.
    pub(crate) fn to_loop(&self, item: LoopItem) {
        if self.queue_for_loop(item) {
            self.wake_loop();
        }
    }

    /// Queues work for the event loop and wakes it after the I/O thread's other ready
    /// tasks had their turn, so that the requests that arrived together reach Python
    /// as one batch: one wake-up and one loop turn for all of them, instead of a
    /// context switch to the loop (which shares a core with the I/O thread in a
    /// one-worker deployment) for nearly every request.
    pub(crate) async fn to_loop_batched(&self, item: LoopItem) {
        if self.queue_for_loop(item) {
            // Armed by us: nobody else writes the byte until the loop drains, so it
            // must be written even if this future is dropped while it waits.
            let wake = WakeOnDrop(self);
            smol::future::yield_now().await;
            drop(wake);
        }
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

    /// Queues a sync handler call for the handler threads.
    pub(crate) fn to_threads(&self, job: RouteJob) {
        // Fails only once the threads were told to stop; the dropped reply then
        // answers 503 (see RouteJob's reply handling).
        let _ = self.sync_tx.try_send(job);
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

    /// The next sync job, blocking (call with the GIL released); `None` once stopped.
    pub(crate) fn next_sync_job(&self) -> Option<RouteJob> {
        self.sync_rx.recv_blocking().ok()
    }

    /// The next sync job if one is waiting, without blocking.
    pub(crate) fn try_sync_job(&self) -> Option<RouteJob> {
        self.sync_rx.try_recv().ok()
    }

    /// Lets the handler threads finish: `next_sync_job` returns `None` once drained.
    pub(crate) fn stop_threads(&self) {
        self.sync_tx.close();
    }

    /// A new asyncio future on the server's loop.
    pub(crate) fn create_future<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.event_loop(py)?
            .call_method0(pyo3::intern!(py, "create_future"))
    }
}

/// Writes the wake-up byte when dropped (see `Bridge::to_loop_batched`).
struct WakeOnDrop<'a>(&'a Bridge);

impl Drop for WakeOnDrop<'_> {
    fn drop(&mut self) {
        self.0.wake_loop();
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
