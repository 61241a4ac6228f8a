//! `weft.http1`: an h11-compatible `Connection` over `http1-proto` (RFC 9112).
//!
//! The names, events and sentinels are h11's: `receive_data(b"")` is EOF,
//! `next_event()` returns an event or `NEED_DATA` / `PAUSED`, `send(event)` returns the
//! bytes to write. Peer errors raise `RemoteProtocolError` carrying
//! `error_status_hint`; API misuse raises `LocalProtocolError`.

use bytes::Bytes;
use http1_proto::{
    Config, Event, HeaderMap, Limits, RecvError, RequestHead, ResponseHead, Role, SendError, State,
    Timeouts, Version,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::clock;
use crate::convert::{as_bytes, lower_bytes};
use crate::errors::{self, with_attr};
use crate::sentinel::{self, Name};

/// h11's default `max_incomplete_event_size`.
const DEFAULT_MAX_INCOMPLETE_EVENT_SIZE: usize = 16 * 1024;

/// One HTTP/1.1 connection, either role, with h11's interface.
///
/// ```python
/// conn = weft.http1.Connection(weft.SERVER)
/// conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
/// conn.next_event()   # Request(method=b'GET', target=b'/', ...)
/// conn.next_event()   # EndOfMessage(headers=[])
/// wire = conn.send(weft.http1.Response(status_code=200, headers=[(b"content-length", b"2")]))
/// wire += conn.send(weft.http1.Data(data=b"hi")) + conn.send(weft.http1.EndOfMessage())
/// conn.start_next_cycle()
/// ```
#[pyclass(module = "weft.http1", name = "Connection")]
#[derive(Debug)]
pub(crate) struct Connection {
    inner: http1_proto::Connection,
    role: Role,
    /// We sent `ConnectionClosed` (h11 keeps this state on the Python side too).
    we_closed: bool,
    /// `send_failed()` was called or a send was refused: our side is in ERROR.
    we_failed: bool,
    /// The peer's EOF was reported, so a later `receive_data` with bytes is misuse.
    eof: bool,
    /// The version of the peer's last head; `None` until one arrives.
    their_version: Option<Version>,
}

fn role_of(obj: &Bound<'_, PyAny>) -> PyResult<Role> {
    if sentinel::is(obj, Name::Server)? {
        Ok(Role::Server)
    } else if sentinel::is(obj, Name::Client)? {
        Ok(Role::Client)
    } else {
        Err(PyTypeError::new_err(
            "our_role must be weft.CLIENT or weft.SERVER",
        ))
    }
}

fn role_sentinel(py: Python<'_>, role: Role) -> PyResult<Bound<'_, sentinel::Sentinel>> {
    sentinel::get(
        py,
        match role {
            Role::Client => Name::Client,
            Role::Server => Name::Server,
        },
    )
}

fn state_sentinel(py: Python<'_>, state: State) -> PyResult<Bound<'_, sentinel::Sentinel>> {
    sentinel::get(
        py,
        match state {
            State::Idle => Name::Idle,
            State::SendResponse => Name::SendResponse,
            State::SendBody => Name::SendBody,
            State::Done => Name::Done,
            State::MustClose => Name::MustClose,
            State::Closed => Name::Closed,
            State::MightSwitchProtocol => Name::MightSwitchProtocol,
            State::SwitchedProtocol => Name::SwitchedProtocol,
            State::Error => Name::Error,
        },
    )
}

fn remote_error(py: Python<'_>, err: RecvError) -> PyErr {
    with_attr(
        py,
        errors::http1::RemoteProtocolError::new_err(err.to_string()),
        "error_status_hint",
        u32::from(err.status_hint()),
    )
}

fn local_error(py: Python<'_>, err: impl std::fmt::Display) -> PyErr {
    with_attr(
        py,
        errors::http1::LocalProtocolError::new_err(err.to_string()),
        "error_status_hint",
        400,
    )
}

#[pymethods]
impl Connection {
    #[new]
    #[pyo3(signature = (our_role, max_incomplete_event_size = DEFAULT_MAX_INCOMPLETE_EVENT_SIZE))]
    fn new(our_role: &Bound<'_, PyAny>, max_incomplete_event_size: usize) -> PyResult<Self> {
        let role = role_of(our_role)?;
        let config = Config {
            limits: Limits {
                max_head_bytes: max_incomplete_event_size,
                ..Limits::default()
            },
            // h11 keeps no time: deadlines are the caller's.
            timeouts: Timeouts::none(),
            ..Config::new(role)
        };
        Ok(Self {
            inner: http1_proto::Connection::new(clock::now(), config),
            role,
            we_closed: false,
            we_failed: false,
            eof: false,
            their_version: None,
        })
    }

    /// `weft.CLIENT` or `weft.SERVER`.
    #[getter]
    fn our_role<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, sentinel::Sentinel>> {
        role_sentinel(py, self.role)
    }

    /// The peer's role.
    #[getter]
    fn their_role<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, sentinel::Sentinel>> {
        role_sentinel(py, self.role.peer())
    }

    /// Our side's state (`IDLE`, `SEND_RESPONSE`, `SEND_BODY`, `DONE`, `MUST_CLOSE`,
    /// `CLOSED`, `MIGHT_SWITCH_PROTOCOL`, `SWITCHED_PROTOCOL`, `ERROR`).
    #[getter]
    fn our_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, sentinel::Sentinel>> {
        if self.we_failed {
            return sentinel::get(py, Name::Error);
        }
        if self.we_closed {
            return sentinel::get(py, Name::Closed);
        }
        state_sentinel(py, self.inner.our_state())
    }

    /// The peer's state.
    #[getter]
    fn their_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, sentinel::Sentinel>> {
        state_sentinel(py, self.inner.their_state())
    }

    /// `{CLIENT: state, SERVER: state}`.
    #[getter]
    fn states<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item(self.our_role(py)?, self.our_state(py)?)?;
        dict.set_item(self.their_role(py)?, self.their_state(py)?)?;
        Ok(dict)
    }

    /// The HTTP version of the peer's last head, `b"1.0"` or `b"1.1"`; `None` until
    /// the first head arrives.
    #[getter]
    fn their_http_version(&self, py: Python<'_>) -> Option<Py<PyBytes>> {
        self.their_version.map(|v| version_bytes(py, v))
    }

    /// Whether the client sent `Expect: 100-continue` and still waits (RFC 9110 §10.1.1).
    #[getter]
    fn client_is_waiting_for_100_continue(&self) -> bool {
        self.inner.client_is_waiting_for_100_continue()
    }

    /// Whether the peer is a client waiting for a `100 Continue` from us.
    #[getter]
    fn they_are_waiting_for_100_continue(&self) -> bool {
        self.role == Role::Server && self.inner.client_is_waiting_for_100_continue()
    }

    /// `(unconsumed received bytes, whether the peer closed)`: after a protocol switch
    /// these belong to the new protocol.
    #[getter]
    fn trailing_data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let (data, closed) = self.inner.trailing_data();
        PyTuple::new(
            py,
            [
                PyBytes::new(py, data).into_any(),
                closed.into_pyobject(py)?.to_owned().into_any(),
            ],
        )
    }

    /// Feeds bytes received from the peer; `b""` means the peer closed (EOF).
    fn receive_data(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = data.cast::<PyBytes>();
        let slice: Bytes;
        let raw: &[u8] = match &bytes {
            Ok(b) => b.as_bytes(),
            Err(_) => {
                slice = as_bytes(data)?;
                &slice
            }
        };
        if raw.is_empty() {
            self.eof = true;
            self.inner.recv_eof(clock::now());
        } else if self.eof {
            return Err(local_error(py, "received data after EOF"));
        } else {
            self.inner.recv(clock::now(), raw);
        }
        Ok(())
    }

    /// The next event, or `NEED_DATA` (feed more bytes) or `PAUSED` (call
    /// `start_next_cycle()` first, or the protocol switched).
    ///
    /// Raises `RemoteProtocolError` (with `error_status_hint`) when the peer broke
    /// HTTP/1.1; the error is sticky.
    fn next_event(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        // h11's errors are sticky: every call after the first raises again.
        if let Some(err) = self.inner.error() {
            return Err(remote_error(py, *err));
        }
        match self.inner.poll_event() {
            Some(Event::ConnectionLost(err)) => Err(remote_error(py, err)),
            Some(event) => {
                match &event {
                    Event::Request(head) => self.their_version = Some(head.version),
                    Event::Response(head) | Event::Informational(head) => {
                        self.their_version = Some(head.version);
                    }
                    _ => {}
                }
                event_to_py(py, event)
            }
            None => {
                let name = if self.inner.is_paused() {
                    Name::Paused
                } else {
                    Name::NeedData
                };
                Ok(sentinel::get(py, name)?.into_any().unbind())
            }
        }
    }

    /// Converts an event we send into bytes to write (`None` for `ConnectionClosed`).
    ///
    /// Raises `LocalProtocolError` when the event is not allowed in our state or cannot
    /// be put on the wire; nothing is queued then.
    fn send(&mut self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyBytes>>> {
        let Some(segments) = self.send_segments(py, event)? else {
            return Ok(None);
        };
        let total = segments.iter().map(Bytes::len).sum();
        let mut joined = Vec::with_capacity(total);
        for segment in &segments {
            joined.extend_from_slice(segment);
        }
        Ok(Some(PyBytes::new(py, &joined).unbind()))
    }

    /// Like `send`, but returns the output as a list of `bytes` segments, so a large body
    /// is not copied into one buffer with its framing.
    fn send_with_data_passthrough(
        &mut self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Py<PyList>>> {
        let Some(segments) = self.send_segments(py, event)? else {
            return Ok(None);
        };
        let list = PyList::empty(py);
        for segment in &segments {
            list.append(PyBytes::new(py, segment))?;
        }
        Ok(Some(list.unbind()))
    }

    /// Tells the connection that writing its output failed: our state becomes `ERROR`.
    fn send_failed(&mut self) {
        self.we_failed = true;
    }

    /// Resets both sides to `IDLE` after a complete request/response cycle, to reuse
    /// the connection (keep-alive). Raises `LocalProtocolError` unless both are `DONE`.
    fn start_next_cycle(&mut self, py: Python<'_>) -> PyResult<()> {
        self.inner
            .start_next_cycle(clock::now())
            .map_err(|e| local_error(py, e))
    }

    fn __repr__(&self) -> String {
        format!(
            "<weft.http1.Connection our_role={:?} our_state={:?} their_state={:?}>",
            self.role,
            self.inner.our_state(),
            self.inner.their_state()
        )
    }
}

impl Connection {
    /// Applies one outgoing event and drains what it produced.
    fn send_segments(
        &mut self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Vec<Bytes>>> {
        if self.we_failed {
            return Err(local_error(py, "can't send data when our state is ERROR"));
        }
        let result: Result<(), SendError> = if let Ok(data) = event.cast::<Data>() {
            let data = as_bytes(data.get().data.bind(py))?;
            self.inner.send_data(data)
        } else if let Ok(end) = event.cast::<EndOfMessage>() {
            let trailers = header_map(end.get().headers.bind(py))?;
            self.inner
                .send_end((!trailers.is_empty()).then_some(&trailers))
        } else if let Ok(response) = event.cast::<Response>() {
            let head = response_head(py, response.get())?;
            self.inner.send_response(&head)
        } else if let Ok(info) = event.cast::<InformationalResponse>() {
            let head = response_head(py, &info.get().0)?;
            self.inner.send_informational(&head)
        } else if let Ok(request) = event.cast::<Request>() {
            let request = request.get();
            let mut head = RequestHead::new(
                as_bytes(request.method.bind(py))?,
                as_bytes(request.target.bind(py))?,
            );
            head.version = version_of(request.http_version.bind(py))?;
            head.headers = header_map(request.headers.bind(py))?;
            self.inner.send_request(&head)
        } else if event.cast::<ConnectionClosed>().is_ok() {
            self.we_closed = true;
            return Ok(None);
        } else {
            return Err(PyTypeError::new_err(
                "send() takes a weft.http1 event (Request, Response, InformationalResponse, Data, EndOfMessage, ConnectionClosed)",
            ));
        };
        result.map_err(|e| local_error(py, e))?;
        let mut segments = Vec::new();
        while let Some(segment) = self.inner.poll_transmit() {
            segments.push(segment);
        }
        Ok(Some(segments))
    }
}

fn version_of(obj: &Bound<'_, PyAny>) -> PyResult<Version> {
    match &*as_bytes(obj)? {
        b"1.1" => Ok(Version::Http11),
        b"1.0" => Ok(Version::Http10),
        other => Err(local_error(
            obj.py(),
            format!(
                "unsupported http_version {:?}",
                String::from_utf8_lossy(other)
            ),
        )),
    }
}

fn version_bytes(py: Python<'_>, version: Version) -> Py<PyBytes> {
    PyBytes::new(
        py,
        match version {
            Version::Http10 => b"1.0",
            Version::Http11 => b"1.1",
        },
    )
    .unbind()
}

fn header_map(headers: &Bound<'_, PyAny>) -> PyResult<HeaderMap> {
    let mut map = HeaderMap::new();
    for item in headers.try_iter()? {
        let item = item?;
        let pair = item
            .cast::<PyTuple>()
            .map_err(|_| PyTypeError::new_err("a header must be a (name, value) tuple"))?;
        if pair.len() != 2 {
            return Err(PyTypeError::new_err(
                "a header must be a (name, value) tuple",
            ));
        }
        map.append(as_bytes(&pair.get_item(0)?)?, as_bytes(&pair.get_item(1)?)?);
    }
    Ok(map)
}

fn headers_to_py<'py>(py: Python<'py>, headers: &HeaderMap) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (name, value) in headers.iter() {
        list.append(PyTuple::new(
            py,
            [lower_bytes(py, name), PyBytes::new(py, value)],
        )?)?;
    }
    Ok(list)
}

fn response_head(py: Python<'_>, response: &Response) -> PyResult<ResponseHead> {
    let mut head = ResponseHead::new(response.status_code);
    let reason = as_bytes(response.reason.bind(py))?;
    if !reason.is_empty() {
        head.reason = reason;
    }
    head.version = version_of(response.http_version.bind(py))?;
    head.headers = header_map(response.headers.bind(py))?;
    Ok(head)
}

fn event_to_py(py: Python<'_>, event: Event) -> PyResult<Py<PyAny>> {
    Ok(match event {
        Event::Request(head) => Py::new(
            py,
            Request {
                method: PyBytes::new(py, &head.method).unbind().into_any(),
                target: PyBytes::new(py, &head.target).unbind().into_any(),
                headers: headers_to_py(py, &head.headers)?.unbind().into_any(),
                http_version: version_bytes(py, head.version).into_any(),
            },
        )?
        .into_any(),
        Event::Response(head) => Py::new(py, response_from_head(py, &head)?)?.into_any(),
        Event::Informational(head) => {
            Py::new(py, InformationalResponse(response_from_head(py, &head)?))?.into_any()
        }
        Event::Data(data) => Py::new(
            py,
            Data {
                data: PyBytes::new(py, &data).unbind().into_any(),
                chunk_start: false,
                chunk_end: false,
            },
        )?
        .into_any(),
        Event::EndOfMessage { trailers } => {
            let headers = match trailers {
                Some(map) => headers_to_py(py, &map)?,
                None => PyList::empty(py),
            };
            Py::new(
                py,
                EndOfMessage {
                    headers: headers.unbind().into_any(),
                },
            )?
            .into_any()
        }
        Event::ConnectionClosed => Py::new(py, ConnectionClosed)?.into_any(),
        _ => return Err(local_error(py, "unknown event from http1-proto")),
    })
}

fn response_from_head(py: Python<'_>, head: &ResponseHead) -> PyResult<Response> {
    Ok(Response {
        status_code: head.status,
        headers: headers_to_py(py, &head.headers)?.unbind().into_any(),
        reason: PyBytes::new(py, &head.reason).unbind().into_any(),
        http_version: version_bytes(py, head.version).into_any(),
    })
}

/// Normalises a user-supplied header list the way h11 stores it: a list of
/// `(lower-cased name, value)` byte tuples.
fn normalise_headers<'py>(headers: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
    let py = headers.py();
    let list = PyList::empty(py);
    for item in headers.try_iter()? {
        let item = item?;
        let pair = item
            .cast::<PyTuple>()
            .map_err(|_| PyTypeError::new_err("a header must be a (name, value) tuple"))?;
        if pair.len() != 2 {
            return Err(PyTypeError::new_err(
                "a header must be a (name, value) tuple",
            ));
        }
        let name = as_bytes(&pair.get_item(0)?)?;
        let value = as_bytes(&pair.get_item(1)?)?;
        list.append(PyTuple::new(
            py,
            [lower_bytes(py, &name), PyBytes::new(py, &value)],
        )?)?;
    }
    Ok(list)
}

fn bytes_field(obj: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    Ok(PyBytes::new(obj.py(), &as_bytes(obj)?).unbind().into_any())
}

fn eq_fields(a: &[&Py<PyAny>], b: &[&Py<PyAny>], py: Python<'_>) -> PyResult<bool> {
    for (x, y) in a.iter().zip(b) {
        if !x.bind(py).eq(y.bind(py))? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A request head (h11 `Request`): `method`, `target`, `headers` (a list of
/// `(name, value)` bytes, names lower-cased), `http_version`.
#[pyclass(module = "weft.http1", name = "Request", frozen, get_all)]
#[derive(Debug)]
pub(crate) struct Request {
    method: Py<PyAny>,
    target: Py<PyAny>,
    headers: Py<PyAny>,
    http_version: Py<PyAny>,
}

#[pymethods]
impl Request {
    #[new]
    #[pyo3(signature = (*, method, target, headers, http_version = None))]
    fn new(
        method: &Bound<'_, PyAny>,
        target: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        http_version: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let py = method.py();
        Ok(Self {
            method: bytes_field(method)?,
            target: bytes_field(target)?,
            headers: normalise_headers(headers)?.unbind().into_any(),
            http_version: match http_version {
                Some(v) => bytes_field(v)?,
                None => PyBytes::new(py, b"1.1").unbind().into_any(),
            },
        })
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<Self>() else {
            return Ok(false);
        };
        let o = other.get();
        eq_fields(
            &[
                &self.method,
                &self.target,
                &self.headers,
                &self.http_version,
            ],
            &[&o.method, &o.target, &o.headers, &o.http_version],
            py,
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Request(method={}, target={}, headers={}, http_version={})",
            self.method.bind(py).repr()?,
            self.target.bind(py).repr()?,
            self.headers.bind(py).repr()?,
            self.http_version.bind(py).repr()?
        ))
    }
}

/// A final response head (h11 `Response`): `status_code`, `headers`, `reason`,
/// `http_version`.
#[pyclass(module = "weft.http1", name = "Response", frozen, get_all, subclass)]
#[derive(Debug)]
pub(crate) struct Response {
    status_code: u16,
    headers: Py<PyAny>,
    reason: Py<PyAny>,
    http_version: Py<PyAny>,
}

impl Response {
    fn build(
        status_code: u16,
        headers: &Bound<'_, PyAny>,
        reason: Option<&Bound<'_, PyAny>>,
        http_version: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let py = headers.py();
        Ok(Self {
            status_code,
            headers: normalise_headers(headers)?.unbind().into_any(),
            reason: match reason {
                Some(r) => bytes_field(r)?,
                None => PyBytes::new(py, b"").unbind().into_any(),
            },
            http_version: match http_version {
                Some(v) => bytes_field(v)?,
                None => PyBytes::new(py, b"1.1").unbind().into_any(),
            },
        })
    }

    fn eq(&self, py: Python<'_>, o: &Self) -> PyResult<bool> {
        Ok(self.status_code == o.status_code
            && eq_fields(
                &[&self.headers, &self.reason, &self.http_version],
                &[&o.headers, &o.reason, &o.http_version],
                py,
            )?)
    }

    fn repr(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        Ok(format!(
            "{name}(status_code={}, headers={}, reason={}, http_version={})",
            self.status_code,
            self.headers.bind(py).repr()?,
            self.reason.bind(py).repr()?,
            self.http_version.bind(py).repr()?
        ))
    }
}

#[pymethods]
impl Response {
    #[new]
    #[pyo3(signature = (*, status_code, headers, reason = None, http_version = None))]
    fn new(
        status_code: u16,
        headers: &Bound<'_, PyAny>,
        reason: Option<&Bound<'_, PyAny>>,
        http_version: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        if !(200..=999).contains(&status_code) {
            return Err(local_error(
                headers.py(),
                format!("Response status_code should be in range [200, 999], not {status_code}"),
            ));
        }
        Self::build(status_code, headers, reason, http_version)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast_exact::<Self>() {
            Ok(o) => self.eq(py, o.get()),
            Err(_) => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.repr(py, "Response")
    }
}

/// A 1xx response head (h11 `InformationalResponse`); same fields as `Response`.
#[pyclass(module = "weft.http1", name = "InformationalResponse", frozen)]
#[derive(Debug)]
pub(crate) struct InformationalResponse(Response);

#[pymethods]
impl InformationalResponse {
    #[new]
    #[pyo3(signature = (*, status_code, headers, reason = None, http_version = None))]
    fn new(
        status_code: u16,
        headers: &Bound<'_, PyAny>,
        reason: Option<&Bound<'_, PyAny>>,
        http_version: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        if !(100..200).contains(&status_code) {
            return Err(local_error(
                headers.py(),
                format!(
                    "InformationalResponse status_code should be in range [100, 200), not {status_code}"
                ),
            ));
        }
        Ok(Self(Response::build(
            status_code,
            headers,
            reason,
            http_version,
        )?))
    }

    #[getter]
    fn status_code(&self) -> u16 {
        self.0.status_code
    }

    #[getter]
    fn headers(&self, py: Python<'_>) -> Py<PyAny> {
        self.0.headers.clone_ref(py)
    }

    #[getter]
    fn reason(&self, py: Python<'_>) -> Py<PyAny> {
        self.0.reason.clone_ref(py)
    }

    #[getter]
    fn http_version(&self, py: Python<'_>) -> Py<PyAny> {
        self.0.http_version.clone_ref(py)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Self>() {
            Ok(o) => self.0.eq(py, &o.get().0),
            Err(_) => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.0.repr(py, "InformationalResponse")
    }
}

/// Body bytes (h11 `Data`). Chunk boundaries carry no meaning (RFC 9112 §7.1), so
/// `chunk_start` / `chunk_end` are accepted but always false on received events.
#[pyclass(module = "weft.http1", name = "Data", frozen, get_all)]
#[derive(Debug)]
pub(crate) struct Data {
    data: Py<PyAny>,
    chunk_start: bool,
    chunk_end: bool,
}

#[pymethods]
impl Data {
    #[new]
    #[pyo3(signature = (*, data, chunk_start = false, chunk_end = false))]
    fn new(data: Py<PyAny>, chunk_start: bool, chunk_end: bool) -> Self {
        Self {
            data,
            chunk_start,
            chunk_end,
        }
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Self>() {
            Ok(o) => {
                let o = o.get();
                Ok(self.chunk_start == o.chunk_start
                    && self.chunk_end == o.chunk_end
                    && self.data.bind(py).eq(o.data.bind(py))?)
            }
            Err(_) => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Data(data={}, chunk_start={}, chunk_end={})",
            self.data.bind(py).repr()?,
            if self.chunk_start { "True" } else { "False" },
            if self.chunk_end { "True" } else { "False" }
        ))
    }
}

/// The end of a message (h11 `EndOfMessage`); `headers` are trailers (chunked only).
#[pyclass(module = "weft.http1", name = "EndOfMessage", frozen, get_all)]
#[derive(Debug)]
pub(crate) struct EndOfMessage {
    headers: Py<PyAny>,
}

#[pymethods]
impl EndOfMessage {
    #[new]
    #[pyo3(signature = (*, headers = None))]
    fn new(py: Python<'_>, headers: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(Self {
            headers: match headers {
                Some(h) => normalise_headers(h)?.unbind().into_any(),
                None => PyList::empty(py).unbind().into_any(),
            },
        })
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Self>() {
            Ok(o) => self.headers.bind(py).eq(o.get().headers.bind(py)),
            Err(_) => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "EndOfMessage(headers={})",
            self.headers.bind(py).repr()?
        ))
    }
}

/// The connection closed (h11 `ConnectionClosed`).
#[pyclass(module = "weft.http1", name = "ConnectionClosed", frozen)]
#[derive(Debug)]
pub(crate) struct ConnectionClosed;

#[pymethods]
impl ConnectionClosed {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Self>().is_ok()
    }

    fn __repr__(&self) -> &'static str {
        "ConnectionClosed()"
    }
}

/// Fills the `weft._weft.http1` submodule.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Connection>()?;
    m.add_class::<Request>()?;
    m.add_class::<Response>()?;
    m.add_class::<InformationalResponse>()?;
    m.add_class::<Data>()?;
    m.add_class::<EndOfMessage>()?;
    m.add_class::<ConnectionClosed>()?;
    errors::register_http1(m)?;
    Ok(())
}
