//! The exception hierarchy of the `weft` package.
//!
//! Names follow the libraries Python users already catch: `hpack`'s `HPACKError`
//! family, h11's `LocalProtocolError` / `RemoteProtocolError` (with
//! `error_status_hint`, the status a server should answer with), and h2's
//! `ProtocolError` family (with `error_code`, the RFC 9113 §7 code sent in GOAWAY or
//! RST_STREAM). Every class derives from `weft.WeftError`.

// `create_exception!` declares `pub struct`s; they are reachable through the module
// object, which is what matters to Python.
#![allow(unreachable_pub)]

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    weft,
    WeftError,
    PyException,
    "Base class of every exception weft raises."
);
create_exception!(
    weft,
    InsertError,
    WeftError,
    "A route could not be inserted: it conflicts with an existing one or is malformed."
);
create_exception!(weft, MatchError, WeftError, "No route matches the path.");

/// Exceptions of `weft.hpack`, named as in the `hpack` package.
pub mod hpack {
    use super::*;
    create_exception!(
        weft.hpack,
        HPACKError,
        WeftError,
        "Base class of HPACK errors."
    );
    create_exception!(
        weft.hpack,
        HPACKDecodingError,
        HPACKError,
        "A header block could not be decoded (RFC 7541); an HTTP/2 peer treats this as COMPRESSION_ERROR."
    );
    create_exception!(
        weft.hpack,
        InvalidTableIndexError,
        HPACKDecodingError,
        "A field referenced an index outside the static and dynamic tables (RFC 7541 §2.3.3)."
    );
    create_exception!(
        weft.hpack,
        OversizedHeaderListError,
        HPACKDecodingError,
        "The decoded header list exceeds max_header_list_size (RFC 9113 §6.5.2)."
    );
    create_exception!(
        weft.hpack,
        InvalidTableSizeError,
        HPACKDecodingError,
        "A dynamic table size update was larger than allowed or misplaced (RFC 7541 §4.2, §6.3)."
    );
}

/// Exceptions of `weft.http1`, named as in h11.
pub mod http1 {
    use super::*;
    create_exception!(
        weft.http1,
        ProtocolError,
        WeftError,
        "Base class of HTTP/1.1 protocol errors; `error_status_hint` is the status to answer with."
    );
    create_exception!(
        weft.http1,
        LocalProtocolError,
        ProtocolError,
        "We tried to do something HTTP/1.1 does not allow (API misuse)."
    );
    create_exception!(
        weft.http1,
        RemoteProtocolError,
        ProtocolError,
        "The peer broke HTTP/1.1 (RFC 9112); the connection is in state ERROR."
    );
}

/// Exceptions of `weft.http2`, named as in h2.
pub mod http2 {
    use super::*;
    create_exception!(
        weft.http2,
        H2Error,
        WeftError,
        "Base class of HTTP/2 errors."
    );
    create_exception!(
        weft.http2,
        ProtocolError,
        H2Error,
        "An HTTP/2 protocol error; `error_code` is the RFC 9113 §7 code."
    );
    create_exception!(
        weft.http2,
        FrameTooLargeError,
        ProtocolError,
        "A frame exceeds SETTINGS_MAX_FRAME_SIZE (FRAME_SIZE_ERROR)."
    );
    create_exception!(
        weft.http2,
        TooManyStreamsError,
        ProtocolError,
        "Opening the stream would exceed SETTINGS_MAX_CONCURRENT_STREAMS."
    );
    create_exception!(
        weft.http2,
        FlowControlError,
        ProtocolError,
        "A flow-control window was violated (FLOW_CONTROL_ERROR)."
    );
    create_exception!(
        weft.http2,
        NoSuchStreamError,
        ProtocolError,
        "The stream ID refers to no stream this connection knows."
    );
    create_exception!(
        weft.http2,
        StreamClosedError,
        NoSuchStreamError,
        "The stream is closed (STREAM_CLOSED)."
    );
    create_exception!(
        weft.http2,
        DenialOfServiceError,
        ProtocolError,
        "The peer's behaviour looks abusive (ENHANCE_YOUR_CALM)."
    );
}

/// Returns `err` with `attr` set on its exception instance, so that Python code can read
/// e.g. `exc.error_status_hint` or `exc.error_code`.
pub(crate) fn with_attr(py: Python<'_>, err: PyErr, attr: &str, value: u32) -> PyErr {
    // Setting an attribute on a fresh exception instance cannot fail short of memory
    // exhaustion; if it does, the original error is still the better one to raise.
    let _ = err.value(py).setattr(attr, value);
    err
}

/// Adds every exception class to its module (`weft._weft` for the shared ones, the
/// submodule for the rest).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("WeftError", py.get_type::<WeftError>())?;
    m.add("InsertError", py.get_type::<InsertError>())?;
    m.add("MatchError", py.get_type::<MatchError>())?;
    Ok(())
}

/// Adds the `weft.hpack` exceptions to that submodule.
pub(crate) fn register_hpack(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("HPACKError", py.get_type::<hpack::HPACKError>())?;
    m.add(
        "HPACKDecodingError",
        py.get_type::<hpack::HPACKDecodingError>(),
    )?;
    m.add(
        "InvalidTableIndexError",
        py.get_type::<hpack::InvalidTableIndexError>(),
    )?;
    m.add(
        "InvalidTableIndex",
        py.get_type::<hpack::InvalidTableIndexError>(),
    )?;
    m.add(
        "OversizedHeaderListError",
        py.get_type::<hpack::OversizedHeaderListError>(),
    )?;
    m.add(
        "InvalidTableSizeError",
        py.get_type::<hpack::InvalidTableSizeError>(),
    )?;
    Ok(())
}

/// Adds the `weft.http1` exceptions to that submodule.
pub(crate) fn register_http1(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ProtocolError", py.get_type::<http1::ProtocolError>())?;
    m.add(
        "LocalProtocolError",
        py.get_type::<http1::LocalProtocolError>(),
    )?;
    m.add(
        "RemoteProtocolError",
        py.get_type::<http1::RemoteProtocolError>(),
    )?;
    Ok(())
}

/// Adds the `weft.http2` exceptions to that submodule.
pub(crate) fn register_http2(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("H2Error", py.get_type::<http2::H2Error>())?;
    m.add("ProtocolError", py.get_type::<http2::ProtocolError>())?;
    m.add(
        "FrameTooLargeError",
        py.get_type::<http2::FrameTooLargeError>(),
    )?;
    m.add(
        "TooManyStreamsError",
        py.get_type::<http2::TooManyStreamsError>(),
    )?;
    m.add("FlowControlError", py.get_type::<http2::FlowControlError>())?;
    m.add(
        "NoSuchStreamError",
        py.get_type::<http2::NoSuchStreamError>(),
    )?;
    m.add(
        "StreamClosedError",
        py.get_type::<http2::StreamClosedError>(),
    )?;
    m.add(
        "DenialOfServiceError",
        py.get_type::<http2::DenialOfServiceError>(),
    )?;
    Ok(())
}
