//! h11-style sentinels: unique, comparable with `is`, printed by name.
//!
//! `weft.CLIENT` / `weft.SERVER` pick a role; `weft.http1.NEED_DATA` and `PAUSED` are
//! what `next_event()` returns when it has no event; the connection states
//! (`IDLE`, `SEND_BODY`, `DONE`, ...) are what `our_state` / `their_state` return.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// A named singleton, compared with `is` (h11's sentinel idiom).
#[pyclass(frozen, module = "weft")]
#[derive(Debug)]
pub(crate) struct Sentinel {
    name: &'static str,
}

#[pymethods]
impl Sentinel {
    fn __repr__(&self) -> &'static str {
        self.name
    }

    /// The sentinel's name, e.g. `"NEED_DATA"`.
    #[getter]
    fn name(&self) -> &'static str {
        self.name
    }

    // Sentinels are singletons: copying or pickling must give back the same object.
    fn __copy__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __deepcopy__(slf: Py<Self>, _memo: &Bound<'_, PyAny>) -> Py<Self> {
        slf
    }

    fn __reduce__(&self) -> String {
        self.name.to_owned()
    }
}

/// Every sentinel the package exposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Name {
    Client,
    Server,
    NeedData,
    Paused,
    Idle,
    SendResponse,
    SendBody,
    Done,
    MustClose,
    Closed,
    Error,
    MightSwitchProtocol,
    SwitchedProtocol,
}

const ALL: [(Name, &str); 13] = [
    (Name::Client, "CLIENT"),
    (Name::Server, "SERVER"),
    (Name::NeedData, "NEED_DATA"),
    (Name::Paused, "PAUSED"),
    (Name::Idle, "IDLE"),
    (Name::SendResponse, "SEND_RESPONSE"),
    (Name::SendBody, "SEND_BODY"),
    (Name::Done, "DONE"),
    (Name::MustClose, "MUST_CLOSE"),
    (Name::Closed, "CLOSED"),
    (Name::Error, "ERROR"),
    (Name::MightSwitchProtocol, "MIGHT_SWITCH_PROTOCOL"),
    (Name::SwitchedProtocol, "SWITCHED_PROTOCOL"),
];

static INSTANCES: PyOnceLock<Vec<Py<Sentinel>>> = PyOnceLock::new();

fn instances(py: Python<'_>) -> PyResult<&Vec<Py<Sentinel>>> {
    INSTANCES.get_or_try_init(py, || {
        ALL.iter()
            .map(|&(_, name)| Py::new(py, Sentinel { name }))
            .collect()
    })
}

/// The singleton for `name`.
pub(crate) fn get(py: Python<'_>, name: Name) -> PyResult<Bound<'_, Sentinel>> {
    // `ALL` lists the variants in declaration order, so the discriminant is the index.
    let index = name as usize;
    instances(py)?
        .get(index)
        .map(|s| s.bind(py).clone())
        .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("sentinel table out of sync"))
}

/// Whether `obj` is the singleton for `name`.
pub(crate) fn is(obj: &Bound<'_, PyAny>, name: Name) -> PyResult<bool> {
    Ok(obj.is(get(obj.py(), name)?))
}

/// Adds every sentinel to the module `weft._weft`, by name.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Sentinel>()?;
    for &(name, text) in &ALL {
        m.add(text, get(m.py(), name)?)?;
    }
    Ok(())
}
