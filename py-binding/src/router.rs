//! `weft.Router`: the `router` crate's trie, holding any Python object per route.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors;

/// A path router: `{name}` parameters, `{*rest}` catch-alls, static segments beat
/// parameters beat catch-alls, conflicts refused at insert time.
///
/// ```python
/// router = weft.Router()
/// router.insert("/users/{id}", "user")
/// m = router.at("/users/42")      # m.value == "user", m.params == {"id": "42"}
/// ```
///
/// Paths are matched as given: percent-decoding is up to the caller.
#[pyclass(module = "weft", name = "Router")]
#[derive(Debug, Default)]
pub(crate) struct Router {
    inner: ::router::Router<Py<PyAny>>,
}

#[pymethods]
impl Router {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Adds `route` with `value`; raises `InsertError` when it conflicts with a route
    /// already present or is malformed.
    fn insert(&mut self, route: &str, value: Py<PyAny>) -> PyResult<()> {
        self.inner
            .insert(route, value)
            .map_err(|e| errors::InsertError::new_err(e.to_string()))
    }

    /// The route matching `path`, with its parameters; raises `MatchError` if none does.
    fn at(&self, py: Python<'_>, path: &str) -> PyResult<Match> {
        let found = self
            .inner
            .at(path)
            .map_err(|e| errors::MatchError::new_err(format!("{path}: {e}")))?;
        let params = PyDict::new(py);
        for (name, value) in found.params.iter() {
            params.set_item(name, value)?;
        }
        Ok(Match {
            value: found.value.clone_ref(py),
            params: params.unbind(),
        })
    }

    /// Removes `route` (spelled as inserted) and returns its value, or `None`.
    fn remove(&mut self, route: &str) -> Option<Py<PyAny>> {
        self.inner.remove(route)
    }
}

/// The result of `Router.at`: the stored `value` and the `params` dict.
#[pyclass(module = "weft", name = "Match", frozen, get_all)]
#[derive(Debug)]
pub(crate) struct Match {
    /// The object stored with the matching route.
    value: Py<PyAny>,
    /// Parameter names mapped to the path segments they captured.
    params: Py<PyDict>,
}

#[pymethods]
impl Match {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Match(value={}, params={})",
            self.value.bind(py).repr()?,
            self.params.bind(py).repr()?
        ))
    }
}
