//! The `weft` Python package's native module, `weft._weft`.
//!
//! Thin `#[pyclass]` wrappers over the sans-IO crates, with the names Python users know
//! from `hpack`, `h11` and `h2`, plus the application server on `server-smol`. The pure
//! Python package in `python/weft/` re-exports these classes under `weft.hpack`,
//! `weft.http1`, `weft.http2` and `weft`, and holds the parts that are plain Python
//! (the decorator API's signature handling, the ASGI adapter's command line).
//!
//! Layout:
//! - `errors`: the exception hierarchy, each carrying its wire meaning
//!   (`error_status_hint` for HTTP/1.1, `error_code` for HTTP/2).
//! - `sentinel`: h11-style sentinels (`CLIENT`, `SERVER`, `NEED_DATA`, states).
//! - `hpack`, `router`, `http1`, `http2`, `ws`: the sans-IO classes.
//! - `server`: the bridge between server-smol's I/O threads and Python handlers.

// PyO3's `#[pyclass]`, `#[pymethods]` and `#[pymodule]` expand to `unsafe` FFI glue.
// The crate's own `unsafe` is the few CPython calls in `server::resume`, each with
// its SAFETY note.
#![allow(unsafe_code)]

mod clock;
mod convert;
mod errors;
mod hpack;
mod http1;
mod http2;
mod router;
mod sentinel;
mod server;
mod ws;

use pyo3::prelude::*;

/// The module's Rust allocations (request and response buffers, queued jobs) go through
/// mimalloc, not glibc's malloc. They are made on an I/O thread and freed on the
/// event loop thread, or the other way round, for every request; glibc returns such
/// blocks to the arena that made them under its lock, while mimalloc hands them back
/// through a lock-free list. Python objects keep CPython's own allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Builds `weft._weft` and its submodules (`hpack`, `http1`, `http2`, `ws`).
#[pymodule]
fn _weft(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    errors::register(m)?;
    sentinel::register(m)?;
    m.add_class::<router::Router>()?;
    m.add_class::<router::Match>()?;
    server::register(m)?;

    let hpack_module = PyModule::new(py, "hpack")?;
    hpack::register(&hpack_module)?;
    m.add_submodule(&hpack_module)?;

    let http1_module = PyModule::new(py, "http1")?;
    http1::register(&http1_module)?;
    m.add_submodule(&http1_module)?;

    let http2_module = PyModule::new(py, "http2")?;
    http2::register(&http2_module)?;
    m.add_submodule(&http2_module)?;

    let ws_module = PyModule::new(py, "ws")?;
    ws::register(&ws_module)?;
    m.add_submodule(&ws_module)?;
    Ok(())
}
