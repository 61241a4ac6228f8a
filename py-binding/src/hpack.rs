//! `weft.hpack`: `Encoder` and `Decoder` with the `hpack` package's names (RFC 7541).

use bytes::BytesMut;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::convert::as_bytes;
use crate::errors;

/// The `hpack` package's default for `Decoder(max_header_list_size=...)`.
const DEFAULT_MAX_HEADER_LIST_SIZE: usize = 1 << 16;
/// SETTINGS_HEADER_TABLE_SIZE's initial value (RFC 9113 §6.5.2).
const DEFAULT_TABLE_SIZE: usize = 4096;

/// HPACK encoder: turns header lists into header blocks, keeping the dynamic table.
///
/// `encode(headers, huffman=True)` accepts a dict or an iterable of `(name, value)` or
/// `(name, value, sensitive)` tuples, names and values as `bytes` or `str`. Sensitive
/// fields (a true third element, or a `NeverIndexedHeaderTuple`) are sent as
/// never-indexed literals (RFC 7541 §6.2.3).
#[pyclass(module = "weft.hpack", name = "Encoder")]
#[derive(Debug)]
pub(crate) struct Encoder {
    inner: ::hpack::Encoder,
    table_size: usize,
    fields: Vec<::hpack::Header>,
}

#[pymethods]
impl Encoder {
    #[new]
    fn new() -> Self {
        Self {
            inner: ::hpack::Encoder::new(DEFAULT_TABLE_SIZE),
            table_size: DEFAULT_TABLE_SIZE,
            fields: Vec::new(),
        }
    }

    /// The dynamic table's maximum size; setting it (to the peer's
    /// SETTINGS_HEADER_TABLE_SIZE) emits a size update at the start of the next block.
    #[getter]
    fn header_table_size(&self) -> usize {
        self.table_size
    }

    #[setter]
    fn set_header_table_size(&mut self, size: usize) {
        self.table_size = size;
        self.inner.set_max_table_size(size);
    }

    /// Encodes one header block.
    #[pyo3(signature = (headers, huffman = true))]
    fn encode<'py>(
        &mut self,
        headers: &Bound<'py, PyAny>,
        huffman: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let py = headers.py();
        self.fields.clear();
        collect_headers(headers, &mut self.fields)?;
        self.inner.set_huffman(huffman);
        let mut block = BytesMut::new();
        self.inner.encode(self.fields.iter(), &mut block);
        self.fields.clear();
        Ok(PyBytes::new(py, &block))
    }
}

/// Appends the fields of a Python header collection to `out`.
///
/// Accepts what `hpack.Encoder.encode` accepts: a mapping, or an iterable of 2- or
/// 3-tuples whose third element marks the field sensitive.
pub(crate) fn collect_headers(
    headers: &Bound<'_, PyAny>,
    out: &mut Vec<::hpack::Header>,
) -> PyResult<()> {
    if let Ok(dict) = headers.cast::<PyDict>() {
        for (name, value) in dict.iter() {
            out.push(::hpack::Header::new(as_bytes(&name)?, as_bytes(&value)?));
        }
        return Ok(());
    }
    for item in headers.try_iter()? {
        out.push(header_from_item(&item?)?);
    }
    Ok(())
}

/// Converts one `(name, value[, sensitive])` item.
pub(crate) fn header_from_item(item: &Bound<'_, PyAny>) -> PyResult<::hpack::Header> {
    let tuple = item
        .cast::<PyTuple>()
        .map_err(|_| PyTypeError::new_err("a header must be a (name, value) tuple"))?;
    let (name, value, sensitive) = match tuple.len() {
        2 => {
            let name = as_bytes(&tuple.get_item(0)?)?;
            let value = as_bytes(&tuple.get_item(1)?)?;
            // hpack.NeverIndexedHeaderTuple and our own subclass carry `indexable = False`.
            let sensitive = !tuple.is_exact_instance_of::<PyTuple>()
                && !tuple
                    .getattr(pyo3::intern!(tuple.py(), "indexable"))
                    .and_then(|v| v.is_truthy())
                    .unwrap_or(true);
            (name, value, sensitive)
        }
        3 => (
            as_bytes(&tuple.get_item(0)?)?,
            as_bytes(&tuple.get_item(1)?)?,
            tuple.get_item(2)?.is_truthy()?,
        ),
        n => {
            return Err(PyTypeError::new_err(format!(
                "a header must be a (name, value) or (name, value, sensitive) tuple, got {n} items"
            )));
        }
    };
    Ok(if sensitive {
        ::hpack::Header::sensitive(name, value)
    } else {
        ::hpack::Header::new(name, value)
    })
}

/// HPACK decoder: turns complete header blocks into header lists.
///
/// `decode(data, raw=False)` returns a list of `(name, value)` tuples, `str` unless
/// `raw=True`; fields sent as never-indexed come back as `NeverIndexedHeaderTuple`.
/// Errors are `HPACKDecodingError` subclasses; after one, the table may be out of sync
/// with the peer's and an HTTP/2 connection must end with COMPRESSION_ERROR.
#[pyclass(module = "weft.hpack", name = "Decoder")]
#[derive(Debug)]
pub(crate) struct Decoder {
    inner: ::hpack::Decoder,
    max_header_list_size: usize,
    max_allowed_table_size: usize,
    fields: Vec<::hpack::Header>,
}

#[pymethods]
impl Decoder {
    #[new]
    #[pyo3(signature = (max_header_list_size = DEFAULT_MAX_HEADER_LIST_SIZE))]
    fn new(max_header_list_size: usize) -> Self {
        let mut inner = ::hpack::Decoder::new(DEFAULT_TABLE_SIZE);
        inner.set_max_header_list_size(max_header_list_size);
        Self {
            inner,
            max_header_list_size,
            max_allowed_table_size: DEFAULT_TABLE_SIZE,
            fields: Vec::new(),
        }
    }

    /// Upper bound of the decoded header list (sum of name + value + 32 per field,
    /// RFC 9113 §6.5.2); larger blocks raise `OversizedHeaderListError`.
    #[getter]
    fn max_header_list_size(&self) -> usize {
        self.max_header_list_size
    }

    #[setter]
    fn set_max_header_list_size(&mut self, size: usize) {
        self.max_header_list_size = size;
        self.inner.set_max_header_list_size(size);
    }

    /// Our SETTINGS_HEADER_TABLE_SIZE: the largest dynamic table size update the peer
    /// may send (RFC 7541 §4.2).
    #[getter]
    fn max_allowed_table_size(&self) -> usize {
        self.max_allowed_table_size
    }

    #[setter]
    fn set_max_allowed_table_size(&mut self, size: usize) {
        self.max_allowed_table_size = size;
        self.inner.set_max_table_size(size);
    }

    /// The dynamic table's current maximum size, as last set by the peer's size update.
    #[getter]
    fn header_table_size(&self) -> usize {
        self.inner.table_capacity()
    }

    /// Decodes one complete header block.
    #[pyo3(signature = (data, raw = false))]
    fn decode<'py>(&mut self, data: &Bound<'py, PyAny>, raw: bool) -> PyResult<Bound<'py, PyList>> {
        let py = data.py();
        let block = as_bytes(data)?;
        self.fields.clear();
        let result = self.inner.decode(block, &mut self.fields);
        let fields = std::mem::take(&mut self.fields);
        result.map_err(decode_error)?;
        let list = headers_to_list(py, &fields, raw);
        self.fields = fields;
        self.fields.clear();
        list
    }
}

static NEVER_INDEXED: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();

/// Builds the Python list for a decoded header list.
pub(crate) fn headers_to_list<'py>(
    py: Python<'py>,
    fields: &[::hpack::Header],
    raw: bool,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for field in fields {
        let (name, value): (Bound<'py, PyAny>, Bound<'py, PyAny>) = if raw {
            (
                PyBytes::new(py, &field.name).into_any(),
                PyBytes::new(py, &field.value).into_any(),
            )
        } else {
            (utf8(py, &field.name)?, utf8(py, &field.value)?)
        };
        let item = if field.sensitive {
            NEVER_INDEXED
                .import(py, "weft.hpack", "NeverIndexedHeaderTuple")?
                .call1((name, value))?
        } else {
            PyTuple::new(py, [name, value])?.into_any()
        };
        list.append(item)?;
    }
    Ok(list)
}

fn utf8<'py>(py: Python<'py>, raw: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    match std::str::from_utf8(raw) {
        Ok(text) => Ok(PyString::new(py, text).into_any()),
        Err(e) => Err(errors::hpack::HPACKDecodingError::new_err(format!(
            "header field is not UTF-8 ({e}); decode with raw=True"
        ))),
    }
}

/// Maps the codec's error onto the `hpack` package's exception classes.
pub(crate) fn decode_error(err: ::hpack::DecodeError) -> PyErr {
    use ::hpack::DecodeError as E;
    let message = err.to_string();
    match err {
        E::InvalidIndex(_) => errors::hpack::InvalidTableIndexError::new_err(message),
        E::HeaderListTooLarge(_) => errors::hpack::OversizedHeaderListError::new_err(message),
        E::SizeUpdateTooLarge { .. } | E::LateSizeUpdate => {
            errors::hpack::InvalidTableSizeError::new_err(message)
        }
        _ => errors::hpack::HPACKDecodingError::new_err(message),
    }
}

/// Fills the `weft._weft.hpack` submodule.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Encoder>()?;
    m.add_class::<Decoder>()?;
    errors::register_hpack(m)?;
    Ok(())
}
