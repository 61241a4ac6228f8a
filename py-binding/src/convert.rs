//! Conversions between Python values and the byte types of the protocol crates.

use bytes::Bytes;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// Copies a `bytes` (or `bytearray`, `memoryview`) or encodes a `str` as UTF-8.
pub(crate) fn as_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Bytes::copy_from_slice(s.to_cow()?.as_bytes()));
    }
    let raw: Vec<u8> = obj.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "expected bytes or str, got {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    Ok(Bytes::from(raw))
}

/// A `bytes` object holding `raw` in ASCII lower case (HTTP field names are
/// case-insensitive; h11 and h2 hand them out lower-cased).
pub(crate) fn lower_bytes<'py>(py: Python<'py>, raw: &[u8]) -> Bound<'py, PyBytes> {
    if raw.iter().any(u8::is_ascii_uppercase) {
        PyBytes::new(py, &raw.to_ascii_lowercase())
    } else {
        PyBytes::new(py, raw)
    }
}
