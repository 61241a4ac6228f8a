//! `weft.ws`: a WebSocket connection with wsproto's interface over `ws-proto` (RFC 6455,
//! RFC 7692).
//!
//! wsproto's model differs from ws-proto's defaults in two ways, both set in the
//! [`Config`] built here: every frame is reported as it was sent
//! ([`MessageMode::Frames`]), and nothing is sent on the application's behalf, neither
//! the Pong to a Ping nor the Close answering a Close or a failure
//! (`auto_pong` and `auto_close` off): the application sends them with `send`.
//!
//! The Python half, `python/weft/ws.py`, holds the opening handshake (on `weft.http1`
//! and the handshake helpers below), the enums, the handshake events and the exceptions.

use bytes::Bytes;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyIterator, PyList, PyString};
use ws_proto::{
    ClientHandshake as Handshake, CloseCode, Config, DataKind, DeflateConfig, DeflateParams, Error,
    Event, MessageMode, Role, SendError, ServerOptions,
};

use crate::clock;

/// wsproto's `ConnectionState`, as far as the connection after the handshake goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    RemoteClosing,
    LocalClosing,
    Closed,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::RemoteClosing => "REMOTE_CLOSING",
            Self::LocalClosing => "LOCAL_CLOSING",
            Self::Closed => "CLOSED",
        }
    }
}

/// The names `weft/ws.py` defines and this module hands out or raises.
struct PySide {
    module: Py<PyModule>,
    close_reason: Py<PyAny>,
    local_error: Py<PyAny>,
}

static PY_SIDE: PyOnceLock<PySide> = PyOnceLock::new();

/// `weft.ws`, imported on first use: it imports this module, so it is complete by the
/// time a connection exists.
fn py_side(py: Python<'_>) -> PyResult<&PySide> {
    PY_SIDE.get_or_try_init(py, || {
        let module = py.import("weft.ws")?;
        Ok::<_, PyErr>(PySide {
            close_reason: module.getattr("CloseReason")?.unbind(),
            local_error: module.getattr("LocalProtocolError")?.unbind(),
            module: module.unbind(),
        })
    })
}

fn local_error(py: Python<'_>, message: String) -> PyErr {
    match py_side(py) {
        Ok(side) => PyErr::from_value(
            side.local_error
                .bind(py)
                .call1((message,))
                .unwrap_or_else(|e| e.into_value(py).into_bound(py).into_any()),
        ),
        Err(e) => e,
    }
}

/// The largest close reason: a control frame's 125 bytes less the code (RFC 6455 §5.5).
const MAX_REASON: usize = 123;

/// The zlib default level, which wsproto compresses with.
const DEFLATE_LEVEL: u32 = 6;

/// One WebSocket connection after the opening handshake, with wsproto's `Connection`
/// interface: `receive_data(bytes | None)`, `events()`, `send(event) -> bytes`, `state`.
#[pyclass(module = "weft.ws", name = "Connection")]
#[derive(Debug)]
pub(crate) struct Connection {
    inner: ws_proto::Connection,
    client: bool,
    state: State,
    /// The first bytes of a character split between two text frames: wsproto decodes
    /// text incrementally, so a frame's text ends at its last whole character.
    partial_char: Vec<u8>,
    /// A second end of input, after the connection had already ended: wsproto reports
    /// code 1006 again.
    eof_again: bool,
}

fn role_is_client(connection_type: &Bound<'_, PyAny>) -> PyResult<bool> {
    // wsproto's `ConnectionType`: CLIENT = 1, SERVER = 2.
    let value: Option<u8> = connection_type
        .getattr("value")
        .and_then(|v| v.extract())
        .ok();
    match value {
        Some(1) => Ok(true),
        Some(2) => Ok(false),
        _ => Err(PyTypeError::new_err(
            "connection_type must be ConnectionType.CLIENT or ConnectionType.SERVER",
        )),
    }
}

/// permessage-deflate as agreed, from an enabled `PerMessageDeflate` among `extensions`.
fn deflate_of(extensions: &Bound<'_, PyAny>) -> PyResult<Option<DeflateParams>> {
    for ext in extensions.try_iter()? {
        let ext = ext?;
        let name: String = ext.getattr("name")?.extract()?;
        if name != "permessage-deflate" || !ext.call_method0("enabled")?.is_truthy()? {
            continue;
        }
        return Ok(Some(DeflateParams {
            server_no_context_takeover: ext.getattr("server_no_context_takeover")?.extract()?,
            client_no_context_takeover: ext.getattr("client_no_context_takeover")?.extract()?,
            server_max_window_bits: ext.getattr("server_max_window_bits")?.extract()?,
            client_max_window_bits: ext.getattr("client_max_window_bits")?.extract()?,
            level: DEFLATE_LEVEL,
        }));
    }
    Ok(None)
}

/// The `bytes` of a payload given as `bytes`, `bytearray` or `memoryview`.
fn payload_of(obj: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Bytes::from(b.to_vec()));
    }
    let raw: Vec<u8> = obj
        .extract()
        .map_err(|_| PyTypeError::new_err("a payload must be bytes"))?;
    Ok(Bytes::from(raw))
}

#[pymethods]
impl Connection {
    #[new]
    #[pyo3(signature = (connection_type, extensions = None, trailing_data = None))]
    fn new(
        py: Python<'_>,
        connection_type: &Bound<'_, PyAny>,
        extensions: Option<&Bound<'_, PyAny>>,
        trailing_data: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let client = role_is_client(connection_type)?;
        let deflate = match extensions {
            Some(e) if !e.is_none() => deflate_of(e)?,
            _ => None,
        };
        let config = Config {
            mode: MessageMode::Frames,
            auto_pong: false,
            auto_close: false,
            deflate,
            ..Config::new(if client { Role::Client } else { Role::Server })
        };
        let mut conn = Self {
            inner: ws_proto::Connection::new(clock::now(), config),
            client,
            state: State::Open,
            partial_char: Vec::new(),
            eof_again: false,
        };
        if let Some(data) = trailing_data {
            conn.receive_data(py, Some(data))?;
        }
        Ok(conn)
    }

    /// `ConnectionState.OPEN`, `REMOTE_CLOSING`, `LOCAL_CLOSING` or `CLOSED`.
    #[getter]
    fn state(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let side = py_side(py)?;
        Ok(side
            .module
            .bind(py)
            .getattr("ConnectionState")?
            .getattr(self.state.name())?
            .unbind())
    }

    /// Whether this is the client end.
    #[getter]
    fn client(&self) -> bool {
        self.client
    }

    /// Bytes from the peer; `None` is the end of input (close code 1006, RFC 6455 §7.1.5).
    #[pyo3(signature = (data))]
    fn receive_data(&mut self, py: Python<'_>, data: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let Some(data) = data.filter(|d| !d.is_none()) else {
            if self.inner.error().is_some() {
                self.eof_again = true;
            } else {
                self.inner.recv_eof(clock::now());
            }
            self.state = State::Closed;
            return Ok(());
        };
        match self.state {
            State::Closed => Err(local_error(py, "Connection already closed.".to_owned())),
            // wsproto reads nothing more once the peer has closed.
            State::RemoteClosing => Ok(()),
            State::Open | State::LocalClosing => {
                if let Ok(b) = data.cast::<PyBytes>() {
                    self.inner.recv(clock::now(), b.as_bytes());
                } else {
                    let raw = payload_of(data)?;
                    self.inner.recv(clock::now(), &raw);
                }
                Ok(())
            }
        }
    }

    /// The events the received bytes make, as an iterator.
    fn events<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        let out = PyList::empty(py);
        while let Some(event) = self.inner.poll_event() {
            out.append(self.event_to_py(py, event)?)?;
        }
        if std::mem::take(&mut self.eof_again) {
            out.append(close_event(py, CloseCode::ABNORMAL.0, None)?)?;
        }
        PyIterator::from_object(&out)
    }

    /// The bytes for `event`: a message or a fragment of one, a `Ping`, a `Pong` or a
    /// `CloseConnection`. Raises `LocalProtocolError` when the state does not allow it.
    fn send<'py>(
        &mut self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let result = if let Ok(m) = event.cast::<TextMessage>() {
            let m = m.get();
            self.send_message(py, event, m.data.bind(py), m.message_finished)?
        } else if let Ok(m) = event.cast::<BytesMessage>() {
            let m = m.get();
            self.send_message(py, event, m.data.bind(py), m.message_finished)?
        } else if let Ok(p) = event.cast::<Ping>() {
            self.require_open(py, event)?;
            let payload = payload_of(p.get().payload.bind(py))?;
            self.inner.send_ping(&payload)
        } else if let Ok(p) = event.cast::<Pong>() {
            self.require_open(py, event)?;
            let payload = payload_of(p.get().payload.bind(py))?;
            self.inner.send_pong(&payload)
        } else if let Ok(c) = event.cast::<CloseConnection>() {
            self.send_close(py, event, c.get())?;
            Ok(())
        } else {
            return Err(self.refuse(py, event));
        };
        result.map_err(|e| send_error(py, e))?;
        Ok(self.take_output(py))
    }

    fn __repr__(&self) -> String {
        format!(
            "Connection(client={}, state={})",
            self.client,
            self.state.name()
        )
    }
}

impl Connection {
    fn refuse(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyErr {
        let shown = event
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "?".to_owned());
        local_error(
            py,
            format!(
                "Event {shown} cannot be sent in state ConnectionState.{}.",
                self.state.name()
            ),
        )
    }

    fn require_open(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.state == State::Open {
            Ok(())
        } else {
            Err(self.refuse(py, event))
        }
    }

    /// A message or a fragment of one: text for a `str`, binary for bytes, whatever the
    /// event's class (as wsproto does).
    fn send_message(
        &mut self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
        fin: bool,
    ) -> PyResult<Result<(), SendError>> {
        self.require_open(py, event)?;
        if let Ok(s) = data.cast::<PyString>() {
            let text = s.to_cow()?;
            return Ok(self
                .inner
                .send_fragment(DataKind::Text, text.as_bytes(), fin));
        }
        if let Ok(b) = data.cast::<PyBytes>() {
            return Ok(self
                .inner
                .send_fragment(DataKind::Binary, b.as_bytes(), fin));
        }
        let raw =
            payload_of(data).map_err(|_| PyTypeError::new_err("Must provide bytes or text"))?;
        Ok(self.inner.send_fragment(DataKind::Binary, &raw, fin))
    }

    /// wsproto's `close`: no code (or `CloseReason.NO_STATUS_RCVD`) sends an empty Close,
    /// a code only for reporting (1005, 1006, 1015, RFC 6455 §7.4.1) becomes 1000, and the
    /// reason is cut to 123 bytes at a character boundary.
    fn send_close(
        &mut self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        close: &CloseConnection,
    ) -> PyResult<()> {
        if !matches!(self.state, State::Open | State::RemoteClosing) {
            return Err(self.refuse(py, event));
        }
        let code = close.code.bind(py);
        let no_status = code.is_none()
            || code.is(&py_side(py)?
                .close_reason
                .bind(py)
                .getattr("NO_STATUS_RCVD")?);
        let reason: Option<String> = close.reason.extract(py)?;
        let reason = reason.unwrap_or_default();
        let (code, reason) = if no_status {
            if !reason.is_empty() {
                return Err(PyTypeError::new_err(
                    "cannot specify a reason without a code",
                ));
            }
            (CloseCode::NO_STATUS, "")
        } else {
            let mut code: u16 = code.extract()?;
            if matches!(code, 1005 | 1006 | 1015) {
                code = CloseCode::NORMAL.0;
            }
            let mut end = reason.len().min(MAX_REASON);
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            (CloseCode(code), &reason[..end])
        };
        self.inner
            .close(clock::now(), code, reason)
            .map_err(|e| send_error(py, e))?;
        self.state = if self.state == State::RemoteClosing {
            State::Closed
        } else {
            State::LocalClosing
        };
        Ok(())
    }

    fn take_output<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let Some(first) = self.inner.poll_transmit() else {
            return PyBytes::new(py, b"");
        };
        let Some(second) = self.inner.poll_transmit() else {
            return PyBytes::new(py, &first);
        };
        let mut all = first.to_vec();
        all.extend_from_slice(&second);
        while let Some(more) = self.inner.poll_transmit() {
            all.extend_from_slice(&more);
        }
        PyBytes::new(py, &all)
    }

    fn event_to_py(&mut self, py: Python<'_>, event: Event) -> PyResult<Py<PyAny>> {
        Ok(match event {
            Event::Text(data) => Py::new(
                py,
                TextMessage {
                    data: PyString::new(py, text_of(&data)).into_any().unbind(),
                    frame_finished: true,
                    message_finished: true,
                },
            )?
            .into_any(),
            Event::Binary(data) => Py::new(py, BytesMessage::received(py, &data, true))?.into_any(),
            Event::Fragment {
                kind: DataKind::Text,
                data,
                fin,
            } => {
                let text = self.decode_piece(py, &data);
                Py::new(
                    py,
                    TextMessage {
                        data: text.into_any().unbind(),
                        frame_finished: true,
                        message_finished: fin,
                    },
                )?
                .into_any()
            }
            Event::Fragment {
                kind: DataKind::Binary,
                data,
                fin,
            } => Py::new(py, BytesMessage::received(py, &data, fin))?.into_any(),
            Event::Ping(payload) => Py::new(
                py,
                Ping {
                    payload: PyBytes::new(py, &payload).into_any().unbind(),
                },
            )?
            .into_any(),
            Event::Pong(payload) => Py::new(
                py,
                Pong {
                    payload: PyBytes::new(py, &payload).into_any().unbind(),
                },
            )?
            .into_any(),
            Event::ConnectionLost(error) => self.lost(py, &error)?,
        })
    }

    /// The end: the peer's Close moves to REMOTE_CLOSING (or CLOSED after ours); a
    /// failure is reported with the code it calls for and leaves the state alone, as
    /// wsproto does; the end of input is code 1006.
    fn lost(&mut self, py: Python<'_>, error: &Error) -> PyResult<Py<PyAny>> {
        match error {
            Error::Closed(frame) => {
                self.state = if self.state == State::LocalClosing {
                    State::Closed
                } else {
                    State::RemoteClosing
                };
                close_event(py, frame.code.0, Some(&frame.reason))
            }
            Error::UnexpectedEof => close_event(py, CloseCode::ABNORMAL.0, None),
            other => close_event(py, other.close_code().0, Some(&other.to_string())),
        }
    }

    /// A text frame's characters: ws-proto has checked the message is UTF-8, but a frame
    /// may end inside a character, whose first bytes wait for the next frame.
    fn decode_piece<'py>(&mut self, py: Python<'py>, data: &[u8]) -> Bound<'py, PyString> {
        if self.partial_char.is_empty()
            && let Ok(text) = std::str::from_utf8(data)
        {
            return PyString::new(py, text);
        }
        let mut all = std::mem::take(&mut self.partial_char);
        all.extend_from_slice(data);
        let whole = match std::str::from_utf8(&all) {
            Ok(_) => all.len(),
            Err(e) => e.valid_up_to(),
        };
        self.partial_char = all.split_off(whole);
        PyString::new(py, text_of(&all))
    }
}

/// Text ws-proto has already checked to be UTF-8.
fn text_of(data: &[u8]) -> &str {
    std::str::from_utf8(data).unwrap_or_default()
}

fn close_event(py: Python<'_>, code: u16, reason: Option<&str>) -> PyResult<Py<PyAny>> {
    // wsproto reports a code it knows as a `CloseReason` member.
    let code = py_side(py)?
        .close_reason
        .bind(py)
        .call1((code,))
        .or_else(|_| code.into_pyobject(py).map(Bound::into_any))?
        .unbind();
    let reason = match reason {
        Some(r) => PyString::new(py, r).into_any().unbind(),
        None => py.None(),
    };
    Ok(Py::new(py, CloseConnection { code, reason })?.into_any())
}

fn send_error(py: Python<'_>, error: SendError) -> PyErr {
    match error {
        SendError::MessageInProgress => PyTypeError::new_err("Data type mismatch inside message"),
        SendError::ControlTooLong => PyValueError::new_err("payload too long for control frame"),
        SendError::InvalidCloseCode(code) => local_error(
            py,
            format!("close code {code} may not be sent (RFC 6455 §7.4)"),
        ),
        other => local_error(py, other.to_string()),
    }
}

/// Compares the fields of two events of the same class, as a dataclass does.
fn fields_eq(py: Python<'_>, a: &[&Py<PyAny>], b: &[&Py<PyAny>]) -> PyResult<bool> {
    for (x, y) in a.iter().zip(b) {
        if !x.bind(py).eq(y.bind(py))? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn repr_of(py: Python<'_>, value: &Py<PyAny>) -> PyResult<String> {
    Ok(value.bind(py).repr()?.to_string())
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// A data message class: its data, and where it stands in the frame and the message
/// (`frame_finished`, `message_finished`), with a dataclass's `==` and `repr`.
macro_rules! message_class {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(module = "weft.ws", frozen, get_all, subclass)]
        #[derive(Debug)]
        pub(crate) struct $name {
            data: Py<PyAny>,
            frame_finished: bool,
            message_finished: bool,
        }

        #[pymethods]
        impl $name {
            #[new]
            #[pyo3(signature = (data, frame_finished = true, message_finished = true))]
            fn new(data: Py<PyAny>, frame_finished: bool, message_finished: bool) -> Self {
                Self {
                    data,
                    frame_finished,
                    message_finished,
                }
            }

            fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
                let Ok(o) = other.cast::<Self>() else {
                    return Ok(false);
                };
                let o = o.get();
                Ok(self.frame_finished == o.frame_finished
                    && self.message_finished == o.message_finished
                    && fields_eq(py, &[&self.data], &[&o.data])?)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                Ok(format!(
                    "{}(data={}, frame_finished={}, message_finished={})",
                    stringify!($name),
                    repr_of(py, &self.data)?,
                    py_bool(self.frame_finished),
                    py_bool(self.message_finished)
                ))
            }
        }
    };
}

message_class!(
    TextMessage,
    "A text message, or a frame of one: `data` is a `str` (RFC 6455 §5.6)."
);
message_class!(
    BytesMessage,
    "A binary message, or a frame of one: `data` is `bytes` (RFC 6455 §5.6)."
);

impl BytesMessage {
    fn received(py: Python<'_>, data: &[u8], fin: bool) -> Self {
        Self {
            data: PyBytes::new(py, data).into_any().unbind(),
            frame_finished: true,
            message_finished: fin,
        }
    }
}

/// A Ping (RFC 6455 §5.5.2), received or to send; `response()` is the Pong to answer.
#[pyclass(module = "weft.ws", name = "Ping", frozen, get_all, subclass)]
#[derive(Debug)]
pub(crate) struct Ping {
    payload: Py<PyAny>,
}

#[pymethods]
impl Ping {
    #[new]
    #[pyo3(signature = (payload = None))]
    fn new(py: Python<'_>, payload: Option<Py<PyAny>>) -> Self {
        Self {
            payload: payload.unwrap_or_else(|| PyBytes::new(py, b"").into_any().unbind()),
        }
    }

    /// The Pong carrying this Ping's payload (§5.5.3).
    fn response(&self, py: Python<'_>) -> Pong {
        Pong {
            payload: self.payload.clone_ref(py),
        }
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Self>() {
            Ok(o) => fields_eq(py, &[&self.payload], &[&o.get().payload]),
            Err(_) => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Ping(payload={})", repr_of(py, &self.payload)?))
    }
}

/// A Pong (RFC 6455 §5.5.3), received or to send.
#[pyclass(module = "weft.ws", name = "Pong", frozen, get_all, subclass)]
#[derive(Debug)]
pub(crate) struct Pong {
    payload: Py<PyAny>,
}

#[pymethods]
impl Pong {
    #[new]
    #[pyo3(signature = (payload = None))]
    fn new(py: Python<'_>, payload: Option<Py<PyAny>>) -> Self {
        Self {
            payload: payload.unwrap_or_else(|| PyBytes::new(py, b"").into_any().unbind()),
        }
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Self>() {
            Ok(o) => fields_eq(py, &[&self.payload], &[&o.get().payload]),
            Err(_) => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Pong(payload={})", repr_of(py, &self.payload)?))
    }
}

/// A Close (RFC 6455 §5.5.1, §7.4): received, or to send. Nothing answers a received
/// Close on its own: send `response()` while the state is `REMOTE_CLOSING`.
#[pyclass(
    module = "weft.ws",
    name = "CloseConnection",
    frozen,
    get_all,
    subclass
)]
#[derive(Debug)]
pub(crate) struct CloseConnection {
    code: Py<PyAny>,
    reason: Py<PyAny>,
}

#[pymethods]
impl CloseConnection {
    #[new]
    #[pyo3(signature = (code, reason = None))]
    fn new(py: Python<'_>, code: Py<PyAny>, reason: Option<Py<PyAny>>) -> Self {
        Self {
            code,
            reason: reason.unwrap_or_else(|| py.None()),
        }
    }

    /// The Close that answers this one: the same code and reason.
    fn response(&self, py: Python<'_>) -> Self {
        Self {
            code: self.code.clone_ref(py),
            reason: self.reason.clone_ref(py),
        }
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Self>() {
            Ok(o) => {
                let o = o.get();
                fields_eq(py, &[&self.code, &self.reason], &[&o.code, &o.reason])
            }
            Err(_) => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "CloseConnection(code={}, reason={})",
            repr_of(py, &self.code)?,
            repr_of(py, &self.reason)?
        ))
    }
}

// ----- the opening handshake (RFC 6455 §4), for weft/ws.py -----

type Fields = Vec<(Py<PyBytes>, Py<PyBytes>)>;

/// `(server_no_context_takeover, client_no_context_takeover, server_max_window_bits,
/// client_max_window_bits)`: permessage-deflate as agreed.
type AgreedDeflate = (bool, bool, u8, u8);

fn agreed(p: Option<DeflateParams>) -> Option<AgreedDeflate> {
    p.map(|p| {
        (
            p.server_no_context_takeover,
            p.client_no_context_takeover,
            p.server_max_window_bits,
            p.client_max_window_bits,
        )
    })
}

/// What we ask for or agree to: `(server_no_context_takeover,
/// client_no_context_takeover, server_max_window_bits, client_max_window_bits)`.
type WantedDeflate = (bool, bool, u8, u8);

fn deflate_config(wanted: Option<WantedDeflate>) -> Option<DeflateConfig> {
    wanted.map(|(server, client, server_bits, client_bits)| DeflateConfig {
        server_no_context_takeover: server,
        client_no_context_takeover: client,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
        level: DEFLATE_LEVEL,
    })
}

fn to_fields(py: Python<'_>, headers: &[(&'static str, String)]) -> Fields {
    headers
        .iter()
        .map(|(n, v)| {
            (
                PyBytes::new(py, n.as_bytes()).unbind(),
                PyBytes::new(py, v.as_bytes()).unbind(),
            )
        })
        .collect()
}

/// `ValueError(message, status)`: the handshake cannot proceed, and the status a server
/// answers (RFC 6455 §4.2.1, §4.4).
fn handshake_error(e: &ws_proto::HandshakeError) -> PyErr {
    PyValueError::new_err((e.to_string(), e.status()))
}

/// A server's check of an Upgrade request (RFC 6455 §4.2.1) with ws-proto's
/// `accept_upgrade`: returns `(subprotocol, deflate, response fields)`, choosing among
/// `protocols` and agreeing to permessage-deflate when `deflate` (see
/// [`WantedDeflate`]) is given.
#[pyfunction]
#[pyo3(signature = (method, headers, protocols, deflate = None))]
fn accept_upgrade(
    py: Python<'_>,
    method: &[u8],
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    protocols: Vec<String>,
    deflate: Option<WantedDeflate>,
) -> PyResult<(Option<String>, Option<AgreedDeflate>, Fields)> {
    let options = ServerOptions {
        protocols,
        deflate: deflate_config(deflate),
    };
    let pairs = headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice()));
    let accept =
        ws_proto::accept_upgrade(method, pairs, &options).map_err(|e| handshake_error(&e))?;
    Ok((
        accept.protocol,
        agreed(accept.deflate),
        to_fields(py, &accept.headers),
    ))
}

/// The client's side of the opening handshake (RFC 6455 §4.1), ws-proto's
/// `ClientHandshake`: the request fields with a fresh key, then the response's check.
#[pyclass(module = "weft.ws", name = "ClientHandshake", frozen)]
#[derive(Debug)]
pub(crate) struct ClientHandshake(Handshake);

#[pymethods]
impl ClientHandshake {
    #[new]
    #[pyo3(signature = (protocols, deflate = None))]
    fn new(protocols: Vec<String>, deflate: Option<WantedDeflate>) -> Self {
        Self(Handshake::new(protocols, deflate_config(deflate)))
    }

    /// The `Sec-WebSocket-Key` sent.
    #[getter]
    fn key(&self) -> &str {
        self.0.key()
    }

    /// The request's WebSocket fields (besides `Host`).
    fn upgrade_headers(&self, py: Python<'_>) -> Fields {
        to_fields(py, &self.0.upgrade_headers())
    }

    /// Checks the response (§4.1): `(subprotocol, deflate)`, or `ValueError`.
    fn finish_upgrade(
        &self,
        status: u16,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
    ) -> PyResult<(Option<String>, Option<AgreedDeflate>)> {
        let pairs = headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice()));
        let done = self
            .0
            .finish_upgrade(status, pairs)
            .map_err(|e| handshake_error(&e))?;
        Ok((done.protocol, agreed(done.deflate)))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Connection>()?;
    m.add_class::<TextMessage>()?;
    m.add_class::<BytesMessage>()?;
    m.add_class::<Ping>()?;
    m.add_class::<Pong>()?;
    m.add_class::<CloseConnection>()?;
    m.add_class::<ClientHandshake>()?;
    m.add_function(wrap_pyfunction!(accept_upgrade, m)?)?;
    Ok(())
}
