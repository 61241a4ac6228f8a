//! The future a WebSocket `receive` or `send` returns when it has to wait: a native
//! stand-in for an `asyncio.Future` that the loop resolves from Rust.
//!
//! An echo handler waits once per message, and with an `asyncio.Future` each wait cost
//! the loop's `create_future`, the task's `add_done_callback`, the future's
//! `set_result` (a `call_soon` handle) and, a loop turn later, the task's wake-up
//! calling `result()`. A [`LoopFuture`] awaited by a [`HandlerTask`] keeps the task
//! itself and steps it directly when the message is delivered, inside the loop's
//! `drain` callback, as a new handler call is started there; nothing is scheduled.
//!
//! To everything else it is an asyncio future (asyncio duck-types them: `isfuture`,
//! `Task.__step` and `__wakeup` in CPython's `Lib/asyncio/tasks.py` and `futures.py`):
//! `_asyncio_future_blocking`, `get_loop`, `add_done_callback` (called through the loop,
//! with the given context), `result`, `exception`, `done`, `cancelled` and `cancel`, so
//! an `asyncio.Task`, `asyncio.wait_for` or `gather` can wait on it as well.
//!
//! Cancelling it drops the Rust work at once: a cancelled `receive` withdraws its ask,
//! and the next message goes to the next `receive` (server-smol's `WebSocket::recv`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, Weak};

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::{PyTraverseError, PyVisit};

use super::bridge::Outcome;
use super::on_loop::LoopPoll;
use super::task::{HandlerTask, Outcome as Settled, cancelled_error};

#[derive(Debug)]
struct FutureState {
    settled: Settled,
    /// The handler task suspended on this future: stepped directly once it settles.
    task: Option<Py<HandlerTask>>,
    /// `add_done_callback` callbacks and their contexts, run through the loop.
    callbacks: Vec<(Py<PyAny>, Option<Py<PyAny>>)>,
}

/// A future the event loop resolves from Rust (see the module docs).
#[pyclass(module = "weft._weft", name = "LoopFuture", frozen, weakref)]
#[derive(Debug)]
pub(crate) struct LoopFuture {
    event_loop: Py<PyAny>,
    /// The work behind it, dropped if it is cancelled.
    poll: Weak<LoopPoll>,
    /// asyncio's `_asyncio_future_blocking`: set when `await` yields the future,
    /// cleared by the task that takes it.
    blocking: AtomicBool,
    state: Mutex<FutureState>,
}

fn lock(m: &Mutex<FutureState>) -> MutexGuard<'_, FutureState> {
    // Every change is a single step under the lock: a poisoned lock is consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LoopFuture {
    pub(crate) fn new(event_loop: Py<PyAny>, poll: Weak<LoopPoll>) -> Self {
        Self {
            event_loop,
            poll,
            blocking: AtomicBool::new(false),
            state: Mutex::new(FutureState {
                settled: Settled::Pending,
                task: None,
                callbacks: Vec::new(),
            }),
        }
    }

    /// Takes `task` as the one to step once this settles, instead of a done-callback;
    /// false if this is not a pending future yielded by `await` on `task`'s loop (the
    /// task then treats it as any other future).
    pub(crate) fn wait_in(&self, task: &Bound<'_, HandlerTask>, task_loop: &Py<PyAny>) -> bool {
        if !self.event_loop.is(task_loop) || !self.blocking.load(Ordering::Acquire) {
            return false;
        }
        let mut state = lock(&self.state);
        if !matches!(state.settled, Settled::Pending) || state.task.is_some() {
            return false;
        }
        self.blocking.store(false, Ordering::Release);
        state.task = Some(task.clone().unbind());
        true
    }

    /// Resolves the future with `outcome` (on the loop, from `drain`): a waiting handler
    /// task is stepped now, done-callbacks are scheduled. A cancelled future drops it.
    pub(crate) fn settle(slf: &Bound<'_, Self>, outcome: Outcome) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        if !matches!(lock(&this.state).settled, Settled::Pending) {
            return Ok(());
        }
        let settled = match outcome(py) {
            Ok(value) => Settled::Returned(value),
            Err(err) => Settled::Raised(err.into_value(py)),
        };
        let error = match &settled {
            Settled::Raised(err) => Some(PyErr::from_value(err.bind(py).clone().into_any())),
            _ => None,
        };
        let (task, callbacks) = {
            let mut state = lock(&this.state);
            if !matches!(state.settled, Settled::Pending) {
                return Ok(());
            }
            state.settled = settled;
            (state.task.take(), std::mem::take(&mut state.callbacks))
        };
        Self::schedule_callbacks(slf, callbacks)?;
        match task {
            Some(task) => HandlerTask::wake(task.bind(py), error),
            None => Ok(()),
        }
    }

    fn schedule_callbacks(
        slf: &Bound<'_, Self>,
        callbacks: Vec<(Py<PyAny>, Option<Py<PyAny>>)>,
    ) -> PyResult<()> {
        let py = slf.py();
        for (callback, context) in callbacks {
            let event_loop = slf.get().event_loop.bind(py);
            match context {
                Some(context) => {
                    let kwargs = PyDict::new(py);
                    kwargs.set_item(pyo3::intern!(py, "context"), context)?;
                    event_loop.call_method(
                        pyo3::intern!(py, "call_soon"),
                        (callback, slf),
                        Some(&kwargs),
                    )?
                }
                None => event_loop.call_method1(pyo3::intern!(py, "call_soon"), (callback, slf))?,
            };
        }
        Ok(())
    }
}

#[pymethods]
impl LoopFuture {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Yields the future itself while it is pending (asyncio's `Future.__await__`),
    /// then ends with its value. `None` ends the iteration without a `StopIteration`
    /// (an accepted `send`).
    fn __next__(slf: &Bound<'_, Self>) -> PyResult<Option<Py<PyAny>>> {
        let py = slf.py();
        let this = slf.get();
        if matches!(lock(&this.state).settled, Settled::Pending) {
            this.blocking.store(true, Ordering::Release);
            return Ok(Some(slf.clone().into_any().unbind()));
        }
        let value = lock(&this.state).settled.result(py)?;
        if value.is_none(py) {
            return Ok(None);
        }
        Err(PyStopIteration::new_err((value,)))
    }

    fn send(slf: &Bound<'_, Self>, _value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match Self::__next__(slf)? {
            Some(yielded) => Ok(yielded),
            None => Err(PyStopIteration::new_err(())),
        }
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

    #[getter(_asyncio_future_blocking)]
    fn future_blocking(&self) -> bool {
        self.blocking.load(Ordering::Acquire)
    }

    #[setter(_asyncio_future_blocking)]
    fn set_future_blocking(&self, value: bool) {
        self.blocking.store(value, Ordering::Release);
    }

    fn get_loop(&self, py: Python<'_>) -> Py<PyAny> {
        self.event_loop.clone_ref(py)
    }

    fn done(&self) -> bool {
        !matches!(lock(&self.state).settled, Settled::Pending)
    }

    fn cancelled(&self) -> bool {
        matches!(lock(&self.state).settled, Settled::Cancelled(_))
    }

    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        lock(&self.state).settled.result(py)
    }

    fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        lock(&self.state).settled.exception(py)
    }

    /// The `CancelledError` a cancelled future raises (read by `asyncio.gather`).
    fn _make_cancelled_error(&self, py: Python<'_>) -> Py<PyAny> {
        let message = match &lock(&self.state).settled {
            Settled::Cancelled(message) => message.as_ref().map(|m| m.clone_ref(py)),
            _ => None,
        };
        cancelled_error(py, message.as_ref())
            .into_value(py)
            .into_any()
    }

    /// Calls `fn(future)` through the loop once the future is done (soon if it is).
    #[pyo3(signature = (r#fn, *, context = None))]
    fn add_done_callback(
        slf: &Bound<'_, Self>,
        r#fn: Py<PyAny>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        {
            let mut state = lock(&slf.get().state);
            if matches!(state.settled, Settled::Pending) {
                state.callbacks.push((r#fn, context));
                return Ok(());
            }
        }
        Self::schedule_callbacks(slf, vec![(r#fn, context)])
    }

    /// Removes every registration of `fn`; returns how many there were.
    fn remove_done_callback(&self, py: Python<'_>, r#fn: &Bound<'_, PyAny>) -> PyResult<usize> {
        let callbacks = std::mem::take(&mut lock(&self.state).callbacks);
        let before = callbacks.len();
        let mut kept = Vec::with_capacity(before);
        for (callback, context) in callbacks {
            if !callback.bind(py).eq(r#fn)? {
                kept.push((callback, context));
            }
        }
        let removed = before - kept.len();
        lock(&self.state).callbacks.extend(kept);
        Ok(removed)
    }

    /// Cancels the future and drops the work behind it (a `receive` withdraws its
    /// ask); the waiting task is woken through the loop, as asyncio's would be.
    #[pyo3(signature = (msg = None))]
    fn cancel(slf: &Bound<'_, Self>, msg: Option<Py<PyAny>>) -> PyResult<bool> {
        let py = slf.py();
        let this = slf.get();
        let (task, callbacks) = {
            let mut state = lock(&this.state);
            if !matches!(state.settled, Settled::Pending) {
                return Ok(false);
            }
            state.settled = Settled::Cancelled(msg);
            (state.task.take(), std::mem::take(&mut state.callbacks))
        };
        if let Some(poll) = this.poll.upgrade() {
            drop(poll.withdraw());
        }
        Self::schedule_callbacks(slf, callbacks)?;
        if let Some(task) = task {
            HandlerTask::schedule_wakeup(task.bind(py), slf.as_any())?;
        }
        Ok(true)
    }

    fn __repr__(&self) -> String {
        let status = match lock(&self.state).settled {
            Settled::Pending => "pending",
            Settled::Cancelled(_) => "cancelled",
            Settled::Returned(_) | Settled::Raised(_) => "finished",
        };
        format!("<LoopFuture {status}>")
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // As `HandlerTask`'s: a collection that lands while the lock is held sees fewer
        // references, which keeps the future alive rather than freeing it.
        let Ok(state) = self.state.try_lock() else {
            return Ok(());
        };
        match &state.settled {
            Settled::Returned(value) => visit.call(value)?,
            Settled::Raised(err) => visit.call(err)?,
            Settled::Cancelled(message) => visit.call(message)?,
            Settled::Pending => {}
        }
        visit.call(&state.task)?;
        for (callback, context) in &state.callbacks {
            visit.call(callback)?;
            visit.call(context)?;
        }
        Ok(())
    }

    fn __clear__(&self) {
        let taken = {
            let mut state = lock(&self.state);
            (
                std::mem::replace(&mut state.settled, Settled::Cancelled(None)),
                state.task.take(),
                std::mem::take(&mut state.callbacks),
            )
        };
        drop(taken);
    }
}
