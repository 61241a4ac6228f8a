//! Handler tasks: how `async def` handlers and ASGI applications run on the event loop.
//!
//! asyncio would make each call an `asyncio.Task`: a task object registered in a weak
//! set, a handle on the loop's ready queue, and a whole loop turn before the first line
//! of the handler runs. Most handlers never suspend (a hello-world ASGI app's `send()`
//! calls complete at once, see `asgi`), so weft starts each call *eagerly*, the way
//! CPython 3.12's `eager_start=True` does, on every supported version: the coroutine is
//! stepped at once from `Server.drain`, inside its own copy of the context and with a
//! [`HandlerTask`] entered as the loop's current task (`asyncio.tasks._enter_task`, the
//! interface asyncio keeps for third-party tasks). A call that finishes in that first
//! step answers without touching the loop's queues. One that suspends stays the same
//! task object: it is registered with asyncio (`asyncio.all_tasks()` lists it) and is
//! stepped again by its future's done-callback, exactly as `asyncio.Task.__step` and
//! `__wakeup` do (CPython `Lib/asyncio/tasks.py`), so `asyncio.current_task()` keeps
//! its identity across awaits, and `asyncio.timeout()`, `Task.cancel()` /
//! `uncancel()` / `cancelling()` and anyio's cancel scopes behave as on a real task.
//!
//! What it does not do: `get_stack()` / `print_stack()` are minimal, and the task is
//! not an `asyncio.Task` instance (code that type-checks for one will not accept it;
//! asyncio itself only duck-types tasks).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::PyBaseException;
use pyo3::exceptions::PyRuntimeError;
use pyo3::exceptions::asyncio::{CancelledError, InvalidStateError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use super::asgi::Send;
use super::asgi_ws::WsSend;
use super::loop_future::LoopFuture;
use super::request::RouteCall;
use super::resume::{Stepped, resume};

/// The asyncio functions and objects every handler task uses, looked up once per loop.
#[derive(Debug)]
pub(crate) struct TaskRuntime {
    event_loop: Py<PyAny>,
    enter_task: Py<PyAny>,
    leave_task: Py<PyAny>,
    register_task: Py<PyAny>,
    /// `contextvars.copy_context`, for the abi3 build (see `resume::copy_context`).
    #[cfg(Py_LIMITED_API)]
    copy_context: Py<PyAny>,
    /// `types.CoroutineType`: anything else is checked for `send` / `throw`.
    coroutine_type: Py<PyAny>,
    /// `weft._runtime.awaiting`: a coroutine that awaits another awaitable.
    awaiting: Py<PyAny>,
    /// `logging.getLogger("weft")`, for applications that fail.
    logger: Py<PyAny>,
    /// What a route's coroutine result or error goes to when it is not a plain
    /// response (`App._finish_async`); `None` for ASGI servers.
    route_finisher: Option<Py<PyAny>>,
}

impl TaskRuntime {
    pub(crate) fn new(
        py: Python<'_>,
        event_loop: Py<PyAny>,
        route_finisher: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let tasks = py.import("asyncio.tasks")?;
        Ok(Self {
            event_loop,
            enter_task: tasks.getattr("_enter_task")?.unbind(),
            leave_task: tasks.getattr("_leave_task")?.unbind(),
            register_task: tasks.getattr("_register_task")?.unbind(),
            #[cfg(Py_LIMITED_API)]
            copy_context: py.import("contextvars")?.getattr("copy_context")?.unbind(),
            coroutine_type: py.import("types")?.getattr("CoroutineType")?.unbind(),
            awaiting: py.import("weft._runtime")?.getattr("awaiting")?.unbind(),
            logger: py
                .import("logging")?
                .call_method1("getLogger", ("weft",))?
                .unbind(),
            route_finisher,
        })
    }

    /// `contextvars.copy_context()`.
    fn copy_context<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        #[cfg(Py_LIMITED_API)]
        return super::resume::copy_context(self.copy_context.bind(py));
        #[cfg(not(Py_LIMITED_API))]
        return super::resume::copy_context(py);
    }

    fn call_soon(
        &self,
        py: Python<'_>,
        callback: Bound<'_, PyAny>,
        args: Vec<Bound<'_, PyAny>>,
        context: &Py<PyAny>,
    ) -> PyResult<()> {
        let kwargs = PyDict::new(py);
        kwargs.set_item(pyo3::intern!(py, "context"), context.bind(py))?;
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(callback);
        all.extend(args);
        self.event_loop.bind(py).call_method(
            pyo3::intern!(py, "call_soon"),
            PyTuple::new(py, all)?,
            Some(&kwargs),
        )?;
        Ok(())
    }

    fn log_failure(&self, py: Python<'_>, message: &str, error: &Bound<'_, PyAny>) {
        let kwargs = PyDict::new(py);
        let logged = kwargs
            .set_item(pyo3::intern!(py, "exc_info"), error)
            .and_then(|()| {
                self.logger
                    .bind(py)
                    .call_method("error", (message,), Some(&kwargs))
            });
        if let Err(err) = logged {
            err.write_unraisable(py, None);
        }
    }
}

/// What is done with the coroutine's outcome when it ends.
// The finish lives inside the task object: boxing the large variant would only add an
// allocation per request.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Finish {
    /// An ASGI call: `send.finish(failed)` answers 500 if nothing was sent, or ends a
    /// started stream.
    Asgi(Py<Send>),
    /// An ASGI call for a WebSocket: `send.finish(failed)` answers 403 or 500 if the
    /// handshake was never decided, or closes an accepted socket with 1000 or 1011.
    AsgiWs(Py<WsSend>),
    /// A decorator route's handler: a plain result is answered here, anything else
    /// (a streamed body, an error) goes to the route finisher.
    Route(RouteCall),
    /// A coroutine that reports its own errors (the streaming tail of a route).
    Detached,
}

/// How a task (or a [`LoopFuture`]) ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Pending,
    Returned(Py<PyAny>),
    /// The exception object, not a `PyErr`: the garbage collector must see it.
    Raised(Py<PyBaseException>),
    Cancelled(Option<Py<PyAny>>),
}

#[derive(Debug)]
struct TaskState {
    /// `None` only once the garbage collector cleared the task.
    coro: Option<Py<PyAny>>,
    /// The task's copy of the context every step runs in.
    context: Option<Py<PyAny>>,
    outcome: Outcome,
    /// The future the coroutine waits on (`Task._fut_waiter`).
    fut_waiter: Option<Py<PyAny>>,
    /// A cancellation to deliver at the next step (`Task._must_cancel`).
    must_cancel: bool,
    cancel_message: Option<Py<PyAny>>,
    /// `Task.cancelling()`: cancellations requested and not yet `uncancel()`ed.
    cancels_requested: u32,
    /// Registered with asyncio (done the first time the coroutine suspends).
    registered: bool,
    finish: Option<Finish>,
    /// `add_done_callback` callbacks and their contexts.
    callbacks: Vec<(Py<PyAny>, Py<PyAny>)>,
    name: Option<Py<PyAny>>,
    /// The bound `_wakeup` and its `{"context": ..}` keywords, which every suspension
    /// hands to the awaited future's `add_done_callback`: made at the first one and
    /// reused (a WebSocket handler suspends once per message), dropped when the task
    /// completes, since the bound method refers back to the task.
    wakeup: Option<(Py<PyAny>, Py<PyDict>)>,
}

static TASK_NUMBERS: AtomicU64 = AtomicU64::new(1);

/// One handler call run as a task on the event loop (see the module docs).
///
/// It takes part in garbage collection: a task's outcome (an exception's traceback)
/// or its suspended coroutine can refer back to the task, as asyncio's tasks can.
#[pyclass(module = "weft._weft", name = "HandlerTask", frozen, weakref)]
#[derive(Debug)]
pub(crate) struct HandlerTask {
    runtime: Arc<TaskRuntime>,
    number: u64,
    state: Mutex<TaskState>,
}

fn lock(m: &Mutex<TaskState>) -> MutexGuard<'_, TaskState> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The `CancelledError` a cancelled task or future raises, with its message if any.
pub(crate) fn cancelled_error(py: Python<'_>, message: Option<&Py<PyAny>>) -> PyErr {
    match message {
        Some(message) => CancelledError::new_err((message.clone_ref(py),)),
        None => CancelledError::new_err(()),
    }
}

impl HandlerTask {
    /// Runs `coro` as a task: its first step happens now.
    pub(crate) fn start(
        py: Python<'_>,
        runtime: &Arc<TaskRuntime>,
        coro: Bound<'_, PyAny>,
        finish: Finish,
    ) -> PyResult<()> {
        let coro = if coro.get_type().is(runtime.coroutine_type.bind(py))
            || (coro.hasattr(pyo3::intern!(py, "send"))?
                && coro.hasattr(pyo3::intern!(py, "throw"))?)
        {
            coro
        } else {
            // Any other awaitable (an object with `__await__`, a future) is awaited
            // from a coroutine; a non-awaitable fails there with asyncio's TypeError.
            match runtime.awaiting.bind(py).call1((coro,)) {
                Ok(coro) => coro,
                Err(err) => return Self::failed(py, runtime, err, finish),
            }
        };
        let context = runtime.copy_context(py)?.unbind();
        let task = Bound::new(
            py,
            Self {
                runtime: runtime.clone(),
                number: TASK_NUMBERS.fetch_add(1, Ordering::Relaxed),
                state: Mutex::new(TaskState {
                    coro: Some(coro.unbind()),
                    context: Some(context),
                    outcome: Outcome::Pending,
                    fut_waiter: None,
                    must_cancel: false,
                    cancel_message: None,
                    cancels_requested: 0,
                    registered: false,
                    finish: Some(finish),
                    callbacks: Vec::new(),
                    wakeup: None,
                    name: None,
                }),
            },
        )?;
        Self::step(&task, None, true)
    }

    /// `Task.__step`: resumes the coroutine (with `error` thrown in, if any) and acts
    /// on what it did.
    ///
    /// `enter_context`: only the eager first step enters the task's context here;
    /// later steps run from loop callbacks registered with that context, which the
    /// loop has already entered (entering it twice is an error).
    fn step(slf: &Bound<'_, Self>, error: Option<PyErr>, enter_context: bool) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let (coro, context, error) = {
            let mut state = lock(&this.state);
            if !matches!(state.outcome, Outcome::Pending) {
                return Err(InvalidStateError::new_err(
                    "step(): the task is already done",
                ));
            }
            let (Some(coro), Some(context)) = (&state.coro, &state.context) else {
                return Err(InvalidStateError::new_err("step(): the task was cleared"));
            };
            let (coro, context) = (coro.clone_ref(py), context.clone_ref(py));
            state.fut_waiter = None;
            let error = if state.must_cancel {
                state.must_cancel = false;
                match error {
                    Some(e) if e.is_instance_of::<CancelledError>(py) => Some(e),
                    _ => Some(cancelled_error(py, state.cancel_message.as_ref())),
                }
            } else {
                error
            };
            (coro.into_bound(py), context.into_bound(py), error)
        };
        let runtime = &this.runtime;
        let event_loop = runtime.event_loop.bind(py);
        if let Err(err) = runtime.enter_task.bind(py).call1((event_loop, slf)) {
            return Self::complete(slf, Outcome::Raised(err.into_value(py)));
        }
        let context = enter_context.then_some(&context);
        let stepped = resume(
            &coro,
            context,
            error.map(|e| e.into_value(py).into_bound(py).into_any()),
        );
        let left = runtime.leave_task.bind(py).call1((event_loop, slf));
        let result = match stepped {
            Stepped::Yielded(yielded) => Self::suspended(slf, yielded),
            Stepped::Returned(value) => {
                let cancelled = {
                    let mut state = lock(&this.state);
                    std::mem::take(&mut state.must_cancel).then(|| state.cancel_message.take())
                };
                match cancelled {
                    // Cancelled right before the coroutine returned: the task ends
                    // cancelled, as asyncio's does.
                    Some(message) => Self::complete(slf, Outcome::Cancelled(message)),
                    None => Self::complete(slf, Outcome::Returned(value.unbind())),
                }
            }
            Stepped::Raised(err) if err.is_instance_of::<CancelledError>(py) => {
                let message = err
                    .value(py)
                    .getattr(pyo3::intern!(py, "args"))
                    .ok()
                    .and_then(|args| args.get_item(0).ok())
                    .map(Bound::unbind);
                Self::complete(slf, Outcome::Cancelled(message))
            }
            // Every exception ends only this call, `SystemExit` and `KeyboardInterrupt`
            // included: an asyncio.Task passes those two on to stop the loop, but a
            // server must not let one request's handler stop every other request (a
            // first step already could not), and uvicorn's `run_asgi` catches
            // `BaseException` too. Signals reach the server through the loop's own
            // handlers, not as exceptions in handler code.
            Stepped::Raised(err) => Self::complete(slf, Outcome::Raised(err.into_value(py))),
        };
        left?;
        result
    }

    /// The coroutine yielded `yielded` (`Task.__step`'s handling of a result).
    fn suspended(slf: &Bound<'_, Self>, yielded: Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let runtime = &this.runtime;
        Self::register(slf)?;
        if let Ok(future) = yielded.cast::<LoopFuture>()
            && future.get().wait_in(slf, &runtime.event_loop)
        {
            // The future steps this task itself once it settles: no done-callback.
            return Self::waits_on(slf, &yielded);
        }
        let blocking = yielded
            .getattr_opt(pyo3::intern!(py, "_asyncio_future_blocking"))?
            .filter(|b| !b.is_none());
        if let Some(blocking) = blocking {
            let future_loop = yielded.call_method0(pyo3::intern!(py, "get_loop"))?;
            if !future_loop.is(runtime.event_loop.bind(py)) {
                let error = PyRuntimeError::new_err(format!(
                    "Task {} got Future {} attached to a different loop",
                    slf.repr()?,
                    yielded.repr()?
                ));
                return Self::schedule_step(slf, Some(error));
            }
            if !blocking.is_truthy()? {
                let error = PyRuntimeError::new_err(format!(
                    "yield was used instead of yield from in task {} with {}",
                    slf.repr()?,
                    yielded.repr()?
                ));
                return Self::schedule_step(slf, Some(error));
            }
            yielded.setattr(pyo3::intern!(py, "_asyncio_future_blocking"), false)?;
            let (wakeup, kwargs) = Self::wakeup(slf)?;
            yielded.call_method(
                pyo3::intern!(py, "add_done_callback"),
                (wakeup,),
                Some(kwargs.bind(py)),
            )?;
            return Self::waits_on(slf, &yielded);
        }
        if yielded.is_none() {
            // A bare `yield`: run again on the next loop turn.
            return Self::schedule_step(slf, None);
        }
        let error = PyRuntimeError::new_err(format!("Task got bad yield: {}", yielded.repr()?));
        Self::schedule_step(slf, Some(error))
    }

    /// Notes `future` as the one the task waits on (`Task._fut_waiter`) and passes on
    /// a cancellation requested before it suspended.
    fn waits_on(slf: &Bound<'_, Self>, future: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let cancel = {
            let mut state = lock(&this.state);
            state.fut_waiter = Some(future.clone().unbind());
            state
                .must_cancel
                .then(|| state.cancel_message.as_ref().map(|m| m.clone_ref(py)))
        };
        if let Some(message) = cancel
            && future
                .call_method1(pyo3::intern!(py, "cancel"), (message,))?
                .is_truthy()?
        {
            lock(&this.state).must_cancel = false;
        }
        Ok(())
    }

    /// Resumes the task now: the [`LoopFuture`] it waits on settled, on the loop's
    /// thread outside any task (`Server.drain`), so the step enters the task's
    /// context itself, as the eager first step does.
    pub(crate) fn wake(slf: &Bound<'_, Self>, error: Option<PyErr>) -> PyResult<()> {
        if lock(&slf.get().state).is_done() {
            return Ok(());
        }
        Self::step(slf, error, true)
    }

    /// Schedules `_wakeup(future)` on the loop, as a future's done-callback would run:
    /// for a [`LoopFuture`] cancelled from inside some other step.
    pub(crate) fn schedule_wakeup(
        slf: &Bound<'_, Self>,
        future: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        let (wakeup, kwargs) = Self::wakeup(slf)?;
        slf.get().runtime.event_loop.bind(py).call_method(
            pyo3::intern!(py, "call_soon"),
            (wakeup, future),
            Some(kwargs.bind(py)),
        )?;
        Ok(())
    }

    /// The callback and keywords a suspension registers (see `TaskState::wakeup`).
    fn wakeup(slf: &Bound<'_, Self>) -> PyResult<(Py<PyAny>, Py<PyDict>)> {
        let py = slf.py();
        let this = slf.get();
        if let Some((wakeup, kwargs)) = &lock(&this.state).wakeup {
            return Ok((wakeup.clone_ref(py), kwargs.clone_ref(py)));
        }
        let wakeup = slf.getattr(pyo3::intern!(py, "_wakeup"))?.unbind();
        let kwargs = PyDict::new(py);
        kwargs.set_item(pyo3::intern!(py, "context"), this.context(py)?)?;
        let kwargs = kwargs.unbind();
        lock(&this.state).wakeup = Some((wakeup.clone_ref(py), kwargs.clone_ref(py)));
        Ok((wakeup, kwargs))
    }

    fn schedule_step(slf: &Bound<'_, Self>, error: Option<PyErr>) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let step = slf.getattr(pyo3::intern!(py, "_step"))?;
        let args = match error {
            Some(error) => vec![error.into_value(py).into_bound(py).into_any()],
            None => Vec::new(),
        };
        this.runtime.call_soon(py, step, args, &this.context(py)?)
    }

    fn context(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        lock(&self.state)
            .context
            .as_ref()
            .map(|c| c.clone_ref(py))
            .ok_or_else(|| InvalidStateError::new_err("the task was cleared"))
    }

    fn register(slf: &Bound<'_, Self>) -> PyResult<()> {
        let this = slf.get();
        if std::mem::replace(&mut lock(&this.state).registered, true) {
            return Ok(());
        }
        this.runtime.register_task.bind(slf.py()).call1((slf,))?;
        Ok(())
    }

    /// Records the outcome, then answers (`Finish`) and runs the done-callbacks.
    fn complete(slf: &Bound<'_, Self>, outcome: Outcome) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let (finish, callbacks, wakeup) = {
            let mut state = lock(&this.state);
            state.outcome = outcome.clone_ref(py);
            state.cancel_message = None;
            (
                state.finish.take(),
                std::mem::take(&mut state.callbacks),
                state.wakeup.take(),
            )
        };
        drop(wakeup);
        if let Some(finish) = finish {
            run_finish(py, &this.runtime, finish, outcome);
        }
        for (callback, context) in callbacks {
            this.runtime.call_soon(
                py,
                callback.into_bound(py),
                vec![slf.clone().into_any()],
                &context,
            )?;
        }
        Ok(())
    }

    /// Answers for a call that failed before it made a coroutine.
    pub(crate) fn failed(
        py: Python<'_>,
        runtime: &Arc<TaskRuntime>,
        error: PyErr,
        finish: Finish,
    ) -> PyResult<()> {
        run_finish(py, runtime, finish, Outcome::Raised(error.into_value(py)));
        Ok(())
    }
}

/// Acts on a call's outcome (see [`Finish`]).
fn run_finish(py: Python<'_>, runtime: &Arc<TaskRuntime>, finish: Finish, outcome: Outcome) {
    match finish {
        Finish::Asgi(send) => {
            let send = send.get();
            match &outcome {
                Outcome::Raised(err) => {
                    let message = if send.started() {
                        "ASGI application failed after starting a response"
                    } else {
                        "ASGI application failed"
                    };
                    runtime.log_failure(py, message, err.bind(py));
                }
                Outcome::Cancelled(_) => {
                    let err = cancelled_error(py, None).into_value(py);
                    runtime.log_failure(py, "ASGI application was cancelled", err.bind(py));
                }
                Outcome::Returned(_) | Outcome::Pending => {}
            }
            send.finish(py, !matches!(outcome, Outcome::Returned(_)));
        }
        Finish::AsgiWs(send) => {
            match &outcome {
                Outcome::Raised(err) => {
                    runtime.log_failure(py, "ASGI websocket application failed", err.bind(py));
                }
                Outcome::Cancelled(_) => {
                    let err = cancelled_error(py, None).into_value(py);
                    runtime.log_failure(py, "ASGI application was cancelled", err.bind(py));
                }
                Outcome::Returned(_) | Outcome::Pending => {}
            }
            send.get().finish(!matches!(outcome, Outcome::Returned(_)));
        }
        Finish::Route(mut call) => {
            let (result, error) = match outcome {
                Outcome::Returned(value) => match call.send_plain(py, value.bind(py)) {
                    Ok(true) => return,
                    Ok(false) => (value, py.None()),
                    Err(err) => (py.None(), err.into_value(py).into_any()),
                },
                other => match failure(py, other) {
                    Some(error) => (py.None(), error),
                    None => return,
                },
            };
            finish_route(py, runtime, call, result, error);
        }
        Finish::Detached => {
            if let Outcome::Raised(err) = outcome {
                PyErr::from_value(err.into_bound(py).into_any()).write_unraisable(py, None);
            }
        }
    }
}

/// The exception a failed or cancelled call hands to the route finisher.
fn failure(py: Python<'_>, outcome: Outcome) -> Option<Py<PyAny>> {
    match outcome {
        Outcome::Raised(err) => Some(err.into_any()),
        Outcome::Cancelled(message) => Some(
            cancelled_error(py, message.as_ref())
                .into_value(py)
                .into_any(),
        ),
        Outcome::Returned(_) | Outcome::Pending => None,
    }
}

/// Hands a route's result or error to `App._finish_async`, and runs the streaming
/// coroutine it may return as a task of its own.
fn finish_route(
    py: Python<'_>,
    runtime: &Arc<TaskRuntime>,
    mut call: RouteCall,
    result: Py<PyAny>,
    error: Py<PyAny>,
) {
    let Some(finisher) = runtime.route_finisher.as_ref() else {
        return;
    };
    let tail = call
        .py_args(py)
        .and_then(|(index, request, reply)| {
            finisher
                .bind(py)
                .call1((index, request, reply, result, error))
        })
        .and_then(|tail| {
            if tail.is_none() {
                Ok(())
            } else {
                HandlerTask::start(py, runtime, tail, Finish::Detached)
            }
        });
    if let Err(err) = tail {
        err.write_unraisable(py, None);
    }
}

impl Outcome {
    /// `Future.result()`: the value, or the error raised.
    pub(crate) fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self {
            Self::Pending => Err(InvalidStateError::new_err("Result is not set.")),
            Self::Returned(value) => Ok(value.clone_ref(py)),
            Self::Raised(err) => Err(PyErr::from_value(err.bind(py).clone().into_any())),
            Self::Cancelled(message) => Err(cancelled_error(py, message.as_ref())),
        }
    }

    /// `Future.exception()`: the error, `None` after a value.
    pub(crate) fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match self {
            Self::Pending => Err(InvalidStateError::new_err("Exception is not set.")),
            Self::Returned(_) => Ok(None),
            Self::Raised(err) => Ok(Some(err.clone_ref(py).into_any())),
            Self::Cancelled(message) => Err(cancelled_error(py, message.as_ref())),
        }
    }

    fn clone_ref(&self, py: Python<'_>) -> Self {
        match self {
            Self::Pending => Self::Pending,
            Self::Returned(v) => Self::Returned(v.clone_ref(py)),
            Self::Raised(e) => Self::Raised(e.clone_ref(py)),
            Self::Cancelled(m) => Self::Cancelled(m.as_ref().map(|m| m.clone_ref(py))),
        }
    }
}

#[pymethods]
impl HandlerTask {
    /// `Task.__wakeup`: the awaited future is done; resume with its result or error.
    fn _wakeup(slf: &Bound<'_, Self>, future: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        match future.call_method0(pyo3::intern!(py, "result")) {
            Ok(_) => Self::step(slf, None, false),
            Err(err) => Self::step(slf, Some(err), false),
        }
    }

    /// A step scheduled with `call_soon` (after a bare `yield` or a bad yield).
    #[pyo3(signature = (error = None))]
    fn _step(slf: &Bound<'_, Self>, error: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        if lock(&slf.get().state).is_done() {
            return Ok(());
        }
        Self::step(slf, error.map(|e| PyErr::from_value(e.clone())), false)
    }

    /// Requests cancellation: the awaited future is cancelled, or `CancelledError` is
    /// thrown into the coroutine at its next step. False if the task is done.
    #[pyo3(signature = (msg = None))]
    fn cancel(&self, py: Python<'_>, msg: Option<Py<PyAny>>) -> PyResult<bool> {
        let waiter = {
            let mut state = lock(&self.state);
            if state.is_done() {
                return Ok(false);
            }
            state.cancels_requested += 1;
            state.fut_waiter.as_ref().map(|w| w.clone_ref(py))
        };
        if let Some(waiter) = waiter {
            let message = msg.as_ref().map(|m| m.clone_ref(py));
            if waiter
                .bind(py)
                .call_method1(pyo3::intern!(py, "cancel"), (message,))?
                .is_truthy()?
            {
                return Ok(true);
            }
        }
        let mut state = lock(&self.state);
        state.must_cancel = true;
        state.cancel_message = msg;
        Ok(true)
    }

    /// The number of cancellation requests not yet taken back with `uncancel()`.
    fn cancelling(&self) -> u32 {
        lock(&self.state).cancels_requested
    }

    /// Takes back one cancellation request; returns how many remain.
    fn uncancel(&self) -> u32 {
        let mut state = lock(&self.state);
        state.cancels_requested = state.cancels_requested.saturating_sub(1);
        state.cancels_requested
    }

    /// Whether the task has finished (returned, raised or been cancelled).
    fn done(&self) -> bool {
        lock(&self.state).is_done()
    }

    /// Whether the task ended cancelled.
    fn cancelled(&self) -> bool {
        matches!(lock(&self.state).outcome, Outcome::Cancelled(_))
    }

    /// The coroutine's return value; raises its exception, or `CancelledError`.
    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        lock(&self.state).outcome.result(py)
    }

    /// The coroutine's exception, or `None`; raises `CancelledError` if cancelled.
    fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        lock(&self.state).outcome.exception(py)
    }

    /// Calls `fn(task)` through the loop once the task is done (at once if it is).
    #[pyo3(signature = (r#fn, *, context = None))]
    fn add_done_callback(
        slf: &Bound<'_, Self>,
        r#fn: Py<PyAny>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let context = match context {
            Some(context) => context,
            None => this.runtime.copy_context(py)?.unbind(),
        };
        {
            let mut state = lock(&this.state);
            if !state.is_done() {
                state.callbacks.push((r#fn, context));
                return Ok(());
            }
        }
        this.runtime.call_soon(
            py,
            r#fn.into_bound(py),
            vec![slf.clone().into_any()],
            &context,
        )
    }

    /// Removes every registration of `fn`; returns how many there were.
    fn remove_done_callback(&self, py: Python<'_>, r#fn: &Bound<'_, PyAny>) -> PyResult<usize> {
        let mut state = lock(&self.state);
        let before = state.callbacks.len();
        let mut kept = Vec::with_capacity(before);
        for (callback, context) in state.callbacks.drain(..) {
            if !callback.bind(py).eq(r#fn)? {
                kept.push((callback, context));
            }
        }
        state.callbacks = kept;
        Ok(before - state.callbacks.len())
    }

    /// The event loop the task runs on.
    fn get_loop(&self, py: Python<'_>) -> Py<PyAny> {
        self.runtime.event_loop.clone_ref(py)
    }

    /// The coroutine the task runs (`None` once the garbage collector cleared it).
    fn get_coro(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        lock(&self.state).coro.as_ref().map(|c| c.clone_ref(py))
    }

    /// The task's own copy of the context its steps run in.
    fn get_context(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        lock(&self.state).context.as_ref().map(|c| c.clone_ref(py))
    }

    /// The task's name, `weft-task-N` unless set.
    fn get_name(&self, py: Python<'_>) -> Py<PyAny> {
        let mut state = lock(&self.state);
        state
            .name
            .get_or_insert_with(|| {
                PyString::new(py, &format!("weft-task-{}", self.number))
                    .into_any()
                    .unbind()
            })
            .clone_ref(py)
    }

    /// Renames the task (`str(value)`).
    fn set_name(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let name = value.str()?.into_any().unbind();
        lock(&self.state).name = Some(name);
        Ok(())
    }

    /// No frames are collected: the stack is reported empty.
    #[pyo3(signature = (*, limit = None))]
    fn get_stack<'py>(
        &self,
        py: Python<'py>,
        limit: Option<i64>,
    ) -> Bound<'py, pyo3::types::PyList> {
        let _ = limit;
        pyo3::types::PyList::empty(py)
    }

    /// `Task._callbacks`, the `(callback, context)` pairs: anyio's `find_root_task`
    /// (behind `anyio.to_thread.run_sync`, so FastAPI's and Starlette's sync
    /// endpoints) reads it on every task `asyncio.all_tasks()` returns.
    #[getter]
    fn _callbacks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyList>> {
        let state = lock(&self.state);
        let pairs = state
            .callbacks
            .iter()
            .map(|(callback, context)| (callback.clone_ref(py), context.clone_ref(py)));
        pyo3::types::PyList::new(py, pairs)
    }

    /// `Task._must_cancel`, read by anyio's cancel scopes.
    #[getter]
    fn _must_cancel(&self) -> bool {
        lock(&self.state).must_cancel
    }

    /// `Task._fut_waiter`, read by anyio's cancel scopes.
    #[getter]
    fn _fut_waiter(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        lock(&self.state)
            .fut_waiter
            .as_ref()
            .map(|w| w.clone_ref(py))
    }

    /// Awaiting the task waits for it through a plain asyncio future.
    fn __await__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let future = this
            .runtime
            .event_loop
            .bind(py)
            .call_method0(pyo3::intern!(py, "create_future"))?;
        let relay = Py::new(
            py,
            Relay {
                future: future.clone().unbind(),
            },
        )?;
        Self::add_done_callback(slf, relay.into_any(), None)?;
        future.call_method0(pyo3::intern!(py, "__await__"))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let (status, coro) = {
            let state = lock(&self.state);
            let status = match state.outcome {
                Outcome::Pending if state.must_cancel => "cancelling",
                Outcome::Pending => "pending",
                Outcome::Returned(_) | Outcome::Raised(_) => "finished",
                Outcome::Cancelled(_) => "cancelled",
            };
            (status, state.coro.as_ref().map(|c| c.clone_ref(py)))
        };
        let coro = coro
            .and_then(|c| c.bind(py).repr().ok().map(|r| r.to_string()))
            .unwrap_or_default();
        format!("<HandlerTask {status} number={} coro={coro}>", self.number)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // The lock is only ever held for short stretches that may allocate; a
        // collection that lands in one sees fewer references, which keeps the task
        // alive rather than freeing it.
        let Ok(state) = self.state.try_lock() else {
            return Ok(());
        };
        visit.call(&state.coro)?;
        visit.call(&state.context)?;
        match &state.outcome {
            Outcome::Returned(value) => visit.call(value)?,
            Outcome::Cancelled(Some(message)) => visit.call(message)?,
            Outcome::Raised(err) => visit.call(err)?,
            Outcome::Cancelled(None) | Outcome::Pending => {}
        }
        visit.call(&state.fut_waiter)?;
        visit.call(&state.cancel_message)?;
        for (callback, context) in &state.callbacks {
            visit.call(callback)?;
            visit.call(context)?;
        }
        visit.call(&state.name)?;
        if let Some((wakeup, kwargs)) = &state.wakeup {
            visit.call(wakeup)?;
            visit.call(kwargs)?;
        }
        Ok(())
    }

    fn __clear__(&self) {
        // Taken out under the lock and dropped after it: dropping may run Python
        // code that comes back to this task.
        let taken = {
            let mut state = lock(&self.state);
            (
                state.coro.take(),
                state.context.take(),
                std::mem::replace(&mut state.outcome, Outcome::Cancelled(None)),
                state.fut_waiter.take(),
                state.cancel_message.take(),
                std::mem::take(&mut state.callbacks),
                state.name.take(),
                state.wakeup.take(),
            )
        };
        drop(taken);
    }
}

impl TaskState {
    fn is_done(&self) -> bool {
        !matches!(self.outcome, Outcome::Pending)
    }
}

/// Copies a finished task's outcome to a future (`HandlerTask.__await__`).
#[pyclass(module = "weft._weft", name = "TaskRelay", frozen)]
#[derive(Debug)]
struct Relay {
    future: Py<PyAny>,
}

#[pymethods]
impl Relay {
    fn __call__(&self, py: Python<'_>, task: &Bound<'_, HandlerTask>) -> PyResult<()> {
        let future = self.future.bind(py);
        if future
            .call_method0(pyo3::intern!(py, "done"))?
            .is_truthy()?
        {
            return Ok(());
        }
        let outcome = lock(&task.get().state).outcome.clone_ref(py);
        match outcome {
            Outcome::Returned(value) => {
                future.call_method1(pyo3::intern!(py, "set_result"), (value,))?;
            }
            Outcome::Raised(err) => {
                future.call_method1(pyo3::intern!(py, "set_exception"), (err,))?;
            }
            Outcome::Cancelled(message) => {
                future.call_method1(pyo3::intern!(py, "cancel"), (message,))?;
            }
            Outcome::Pending => {}
        }
        Ok(())
    }
}

/// Adds the task classes to `weft._weft`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<HandlerTask>()?;
    m.add_class::<Relay>()?;
    Ok(())
}
