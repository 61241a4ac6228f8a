//! Resuming a handler's coroutine: the `coro.send(None)` / `coro.throw(exc)` at the
//! heart of `Task.__step`, inside the task's context.
//!
//! Two ways, chosen at build time:
//!
//! - **Version-specific builds** (the default for `pip install ./py-binding`) use the
//!   entry points the interpreter itself uses for `Context.run` and `await`:
//!   `PyContext_Enter` / `PyContext_Exit` around `PyIter_Send` (CPython 3.10+). A
//!   coroutine that returns hands its value back directly: no `StopIteration` is
//!   built, raised, fetched and unpacked, and no bound methods or argument tuples are
//!   made on the way in. The saving is measured in BENCHMARKS.md (py-binding).
//! - **The abi3 build** (`--features abi3`: one wheel for every CPython from 3.9) may
//!   only use the stable ABI, which has none of those. It calls
//!   `context.run(coro.send, None)` and catches `StopIteration`, as asyncio's pure
//!   Python task does.
//!
//! Both give the same results, and the Python suite passes against either.

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;

/// What one step of a coroutine did.
pub(crate) enum Stepped<'py> {
    /// It suspended, yielding this object (a future, or `None` for a bare yield).
    Yielded(Bound<'py, PyAny>),
    /// It returned this value.
    Returned(Bound<'py, PyAny>),
    /// It raised this error (never `StopIteration`: that is a return).
    Raised(PyErr),
}

/// Sorts out the result of calling `send` / `throw` as Python methods.
fn from_call<'py>(py: Python<'py>, result: PyResult<Bound<'py, PyAny>>) -> Stepped<'py> {
    match result {
        Ok(yielded) => Stepped::Yielded(yielded),
        Err(err) if err.is_instance_of::<PyStopIteration>(py) => {
            match err.value(py).getattr(pyo3::intern!(py, "value")) {
                Ok(value) => Stepped::Returned(value),
                Err(err) => Stepped::Raised(err),
            }
        }
        Err(err) => Stepped::Raised(err),
    }
}

/// `coro.send(None)` when `error` is `None`, else `coro.throw(error)`; inside
/// `context` when one is given (a task's eager first step: later steps run from loop
/// callbacks that have entered it already, and entering a context twice is an error).
#[cfg(Py_LIMITED_API)]
pub(crate) fn resume<'py>(
    coro: &Bound<'py, PyAny>,
    context: Option<&Bound<'py, PyAny>>,
    error: Option<Bound<'py, PyAny>>,
) -> Stepped<'py> {
    let py = coro.py();
    let (name, argument) = match error {
        None => (pyo3::intern!(py, "send"), py.None().into_bound(py)),
        Some(error) => (pyo3::intern!(py, "throw"), error),
    };
    let result = match context {
        Some(context) => coro
            .getattr(name)
            .and_then(|method| context.call_method1(pyo3::intern!(py, "run"), (method, argument))),
        None => coro.call_method1(name, (argument,)),
    };
    from_call(py, result)
}

/// See the abi3 version above; this one enters the context and sends in C.
#[cfg(not(Py_LIMITED_API))]
pub(crate) fn resume<'py>(
    coro: &Bound<'py, PyAny>,
    context: Option<&Bound<'py, PyAny>>,
    error: Option<Bound<'py, PyAny>>,
) -> Stepped<'py> {
    use pyo3::ffi;

    let py = coro.py();
    if let Some(context) = context {
        // SAFETY: `context` is a live object (borrowed for the call) and the GIL is
        // held; `PyContext_Enter` type-checks it and sets an error on failure.
        if unsafe { ffi::PyContext_Enter(context.as_ptr()) } < 0 {
            return Stepped::Raised(fetch(py));
        }
    }
    let stepped = match error {
        None => send_none(coro),
        Some(error) => from_call(py, coro.call_method1(pyo3::intern!(py, "throw"), (error,))),
    };
    if let Some(context) = context {
        // SAFETY: as above. Exiting fails only if the coroutine left the context in
        // a different state (it entered another and did not leave it); `Context.run`
        // then reports that error and drops the step's result, and so does this.
        if unsafe { ffi::PyContext_Exit(context.as_ptr()) } < 0 {
            return Stepped::Raised(fetch(py));
        }
    }
    stepped
}

/// `coro.send(None)` through `PyIter_Send`: coroutines implement it in C (`am_send`),
/// and a return comes back as a value rather than a `StopIteration`.
#[cfg(all(not(Py_LIMITED_API), Py_3_10))]
fn send_none<'py>(coro: &Bound<'py, PyAny>) -> Stepped<'py> {
    use pyo3::ffi;

    let py = coro.py();
    let mut result = std::ptr::null_mut();
    // SAFETY: `coro` and `None` are live objects and the GIL is held. On
    // `PYGEN_RETURN` and `PYGEN_NEXT`, `result` is a new (owned) reference; on
    // `PYGEN_ERROR` it is NULL and an error is set.
    let outcome = unsafe { ffi::PyIter_Send(coro.as_ptr(), ffi::Py_None(), &mut result) };
    match outcome {
        // SAFETY: a new reference, see above.
        ffi::PySendResult::PYGEN_RETURN => {
            Stepped::Returned(unsafe { Bound::from_owned_ptr(py, result) })
        }
        // SAFETY: a new reference, see above.
        ffi::PySendResult::PYGEN_NEXT => {
            Stepped::Yielded(unsafe { Bound::from_owned_ptr(py, result) })
        }
        ffi::PySendResult::PYGEN_ERROR => Stepped::Raised(fetch(py)),
    }
}

/// CPython 3.9 has no `PyIter_Send`: the method call, as the abi3 build makes it.
#[cfg(all(not(Py_LIMITED_API), not(Py_3_10)))]
fn send_none<'py>(coro: &Bound<'py, PyAny>) -> Stepped<'py> {
    let py = coro.py();
    from_call(
        py,
        coro.call_method1(pyo3::intern!(py, "send"), (py.None(),)),
    )
}

/// The error a failed C call set.
#[cfg(not(Py_LIMITED_API))]
fn fetch(py: Python<'_>) -> PyErr {
    PyErr::take(py).unwrap_or_else(|| {
        pyo3::exceptions::PySystemError::new_err("a coroutine step failed without an error set")
    })
}

/// `contextvars.copy_context()`: the context a new task runs in.
#[cfg(Py_LIMITED_API)]
pub(crate) fn copy_context<'py>(copy_context: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    copy_context.call0()
}

/// `contextvars.copy_context()`, in C.
#[cfg(not(Py_LIMITED_API))]
pub(crate) fn copy_context(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    // SAFETY: the GIL is held; the result is a new reference or NULL with an error set.
    unsafe { Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyContext_CopyCurrent()) }
}
