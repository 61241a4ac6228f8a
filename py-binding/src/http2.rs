//! `weft.http2`: an h2-compatible `Connection` over `http2-proto` (RFC 9113).
//!
//! Method names, arguments and event classes follow python h2: `receive_data(bytes)`
//! returns a list of events (`RequestReceived`, `DataReceived`, `StreamEnded`, ...),
//! `send_headers` / `send_data` / `end_stream` / `reset_stream` queue frames, and
//! `data_to_send()` returns the bytes to write. Errors carry `error_code`.

use bytes::Bytes;
use http2_proto::{
    Config, ConnectionError, ErrorCode, Event, HeadersKind, Initiator, SendError, Settings,
    StreamId, StreamState,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::clock::now;
use crate::convert::as_bytes;
use crate::errors::{self, http2 as exc, with_attr};

/// Declares an event class: keyword constructor, read-write attributes, h2's repr.
macro_rules! event_class {
    ($rust:ident, $name:literal, $doc:literal, [$($field:ident),*]) => {
        #[doc = $doc]
        #[pyclass(module = "weft.http2", name = $name, get_all, set_all)]
        #[derive(Debug)]
        pub(crate) struct $rust {
            $(pub(crate) $field: Py<PyAny>,)*
        }

        #[pymethods]
        impl $rust {
            #[new]
            #[pyo3(signature = ($($field = None),*))]
            fn new(py: Python<'_>, $($field: Option<Py<PyAny>>),*) -> Self {
                Self { $($field: $field.unwrap_or_else(|| py.None()),)* }
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let parts: Vec<String> = vec![
                    $(format!("{}:{}", stringify!($field), self.$field.bind(py).repr()?),)*
                ];
                Ok(format!("<{} {}>", $name, parts.join(", ")))
            }
        }
    };
}

event_class!(
    RequestReceived,
    "RequestReceived",
    "A request's headers arrived (server).",
    [stream_id, headers, stream_ended, priority_updated]
);
event_class!(
    ResponseReceived,
    "ResponseReceived",
    "A response's headers arrived (client).",
    [stream_id, headers, stream_ended, priority_updated]
);
event_class!(
    TrailersReceived,
    "TrailersReceived",
    "Trailers arrived; the stream ends with them.",
    [stream_id, headers, stream_ended, priority_updated]
);
event_class!(
    InformationalResponseReceived,
    "InformationalResponseReceived",
    "A 1xx response arrived (client).",
    [stream_id, headers, priority_updated]
);
event_class!(
    DataReceived,
    "DataReceived",
    "Body data arrived; acknowledge `flow_controlled_length` with `acknowledge_received_data`.",
    [stream_id, data, flow_controlled_length, stream_ended]
);
event_class!(
    StreamEnded,
    "StreamEnded",
    "The peer ended its side of the stream.",
    [stream_id]
);
event_class!(
    StreamReset,
    "StreamReset",
    "The stream was reset (`remote_reset`: by the peer).",
    [stream_id, error_code, remote_reset]
);
event_class!(
    WindowUpdated,
    "WindowUpdated",
    "Send capacity came back for a stream that was blocked.",
    [stream_id, delta]
);
event_class!(
    RemoteSettingsChanged,
    "RemoteSettingsChanged",
    "The peer's SETTINGS were applied; `changed_settings` maps setting codes to values.",
    [changed_settings]
);
event_class!(
    SettingsAcknowledged,
    "SettingsAcknowledged",
    "The peer acknowledged our SETTINGS.",
    [changed_settings]
);
event_class!(
    PingAckReceived,
    "PingAckReceived",
    "The peer answered our PING.",
    [ping_data]
);
event_class!(
    ConnectionTerminated,
    "ConnectionTerminated",
    "The peer sent GOAWAY, or the connection failed.",
    [error_code, last_stream_id, additional_data]
);
event_class!(
    PushedStreamReceived,
    "PushedStreamReceived",
    "The server promised a pushed response (client).",
    [pushed_stream_id, parent_stream_id, headers]
);

/// Settings for a `Connection` (h2's `H2Configuration`).
///
/// `client_side` picks the role (True, as in h2, by default); `header_encoding`
/// (e.g. `"utf-8"`) makes received headers `str` instead of `bytes`.
#[pyclass(module = "weft.http2", name = "H2Configuration", get_all, set_all)]
#[derive(Debug, Clone)]
pub(crate) struct H2Configuration {
    client_side: bool,
    header_encoding: Option<String>,
}

#[pymethods]
impl H2Configuration {
    #[new]
    #[pyo3(signature = (client_side = true, header_encoding = None, **_ignored))]
    fn new(
        client_side: bool,
        header_encoding: Option<String>,
        _ignored: Option<&Bound<'_, PyDict>>,
    ) -> Self {
        Self {
            client_side,
            header_encoding,
        }
    }
}

fn connection_error(py: Python<'_>, err: &ConnectionError) -> PyErr {
    let code = err.code();
    let message = err.to_string();
    let error = if code == ErrorCode::FLOW_CONTROL_ERROR {
        exc::FlowControlError::new_err(message)
    } else if code == ErrorCode::FRAME_SIZE_ERROR {
        exc::FrameTooLargeError::new_err(message)
    } else if code == ErrorCode::ENHANCE_YOUR_CALM {
        exc::DenialOfServiceError::new_err(message)
    } else if code == ErrorCode::STREAM_CLOSED {
        exc::StreamClosedError::new_err(message)
    } else {
        exc::ProtocolError::new_err(message)
    };
    with_attr(py, error, "error_code", code.0)
}

fn send_error(py: Python<'_>, err: &SendError) -> PyErr {
    let message = err.to_string();
    let (error, code) = match err {
        SendError::StreamClosed(_) => (
            exc::StreamClosedError::new_err(message),
            ErrorCode::STREAM_CLOSED,
        ),
        SendError::NoSuchStream(_) => (
            exc::NoSuchStreamError::new_err(message),
            ErrorCode::PROTOCOL_ERROR,
        ),
        SendError::Blocked => (
            exc::FlowControlError::new_err(message),
            ErrorCode::FLOW_CONTROL_ERROR,
        ),
        SendError::TooManyStreams => (
            exc::TooManyStreamsError::new_err(message),
            ErrorCode::REFUSED_STREAM,
        ),
        _ => (
            exc::ProtocolError::new_err(message),
            ErrorCode::PROTOCOL_ERROR,
        ),
    };
    with_attr(py, error, "error_code", code.0)
}

fn local_error(py: Python<'_>, message: String, code: ErrorCode) -> PyErr {
    with_attr(
        py,
        exc::ProtocolError::new_err(message),
        "error_code",
        code.0,
    )
}

/// What h2's default `normalize_outbound_headers` does to fields before they are
/// checked and sent: names in lower case, values without whitespace at either end
/// (RFC 9113 §8.2.1 forbids it there).
fn normalize_outbound(fields: &mut [http2_proto::Header]) {
    for field in fields {
        if field.name.iter().any(u8::is_ascii_uppercase) {
            field.name = Bytes::from(field.name.to_ascii_lowercase());
        }
        let trimmed = field.value.trim_ascii();
        if trimmed.len() != field.value.len() {
            field.value = field.value.slice_ref(trimmed);
        }
    }
}

fn stream_id(id: u32) -> PyResult<StreamId> {
    if id == 0 || id > StreamId::MAX.get() {
        return Err(PyValueError::new_err(format!("invalid stream id {id}")));
    }
    Ok(StreamId::new(id))
}

/// One HTTP/2 connection, either role, with python h2's interface.
///
/// ```python
/// conn = weft.http2.Connection(weft.http2.H2Configuration(client_side=False))
/// conn.initiate_connection()
/// events = conn.receive_data(data)          # [RequestReceived(...), StreamEnded(...)]
/// conn.send_headers(1, [(":status", "200")])
/// conn.send_data(1, b"hello", end_stream=True)
/// sock.sendall(conn.data_to_send())
/// ```
#[pyclass(module = "weft.http2", name = "Connection")]
#[derive(Debug)]
pub(crate) struct Connection {
    inner: http2_proto::Connection,
    config: H2Configuration,
    /// Output kept back by `data_to_send(amount)`.
    pending_out: Vec<u8>,
    /// Client: the stream `get_next_available_stream_id` opened, not yet used.
    reserved: Option<StreamId>,
    /// Server: the last stream id promised with `push_stream`.
    last_promised: u32,
    /// The highest stream id either side has used: an unknown id at or below it was
    /// closed and forgotten (StreamClosedError), above it never existed.
    highest_stream: u32,
    fields: Vec<::hpack::Header>,
}

#[pymethods]
impl Connection {
    #[new]
    #[pyo3(signature = (config = None))]
    fn new(config: Option<PyRef<'_, H2Configuration>>) -> Self {
        let config = config.map(|c| c.clone()).unwrap_or(H2Configuration {
            client_side: true,
            header_encoding: None,
        });
        let proto = if config.client_side {
            Config::client()
        } else {
            Config::server()
        };
        Self {
            inner: http2_proto::Connection::new(now(), proto),
            config,
            pending_out: Vec::new(),
            reserved: None,
            last_promised: 0,
            highest_stream: 0,
            fields: Vec::new(),
        }
    }

    /// The configuration this connection was made with.
    #[getter]
    fn config(&self) -> H2Configuration {
        self.config.clone()
    }

    /// Starts the connection. The preface (client) and SETTINGS are queued when the
    /// connection is created, so this only exists for h2 compatibility.
    fn initiate_connection(&self) {}

    /// Feeds bytes from the peer and returns the events they produced.
    ///
    /// Raises a `ProtocolError` subclass (with `error_code`) when the peer broke
    /// HTTP/2; the GOAWAY telling it so is already queued in `data_to_send()`.
    fn receive_data<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        match data.cast::<PyBytes>() {
            Ok(b) => self.inner.recv(now(), b.as_bytes()),
            Err(_) => self.inner.recv(now(), &as_bytes(data)?),
        }
        // h2 raises on every call once the connection has failed.
        let result = self.inner.error().cloned().map_or(Ok(()), Err);
        let events = PyList::empty(py);
        match result {
            Ok(()) => {}
            Err(ConnectionError::RemoteGoAway { code, debug }) => {
                // python h2 reports a GOAWAY as an event, not an exception.
                self.drain_events(py, &events)?;
                events.append(Py::new(
                    py,
                    ConnectionTerminated {
                        error_code: code.0.into_pyobject(py)?.into_any().unbind(),
                        last_stream_id: py.None(),
                        additional_data: PyBytes::new(py, &debug).into_any().unbind(),
                    },
                )?)?;
                return Ok(events);
            }
            Err(err) => return Err(connection_error(py, &err)),
        }
        self.drain_events(py, &events)?;
        Ok(events)
    }

    /// The next stream id a client may open (opened now, used by the next
    /// `send_headers`); for a server, the next id `push_stream` will promise.
    fn get_next_available_stream_id(&mut self, py: Python<'_>) -> PyResult<u32> {
        if !self.config.client_side {
            return Ok(self.last_promised.saturating_add(2));
        }
        if let Some(id) = self.reserved
            && self.inner.stream_state(id) == Some(StreamState::Idle)
        {
            return Ok(id.get());
        }
        let id = self.inner.open_stream().map_err(|e| send_error(py, &e))?;
        self.reserved = Some(id);
        Ok(id.get())
    }

    /// Sends a header block on `stream_id`: a request (client; the stream is opened),
    /// a response or 1xx (server), or trailers with `end_stream=True`. Names are
    /// lower-cased and whitespace around values is stripped, as h2 does by default
    /// (`normalize_outbound_headers`); a value with CR, LF or NUL inside raises
    /// ProtocolError. `(name, value, True)` or a `NeverIndexedHeaderTuple` is sent
    /// never-indexed.
    #[pyo3(signature = (stream_id, headers, end_stream = false, **_priority))]
    fn send_headers(
        &mut self,
        py: Python<'_>,
        stream_id: u32,
        headers: &Bound<'_, PyAny>,
        end_stream: bool,
        _priority: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let id = self::stream_id(stream_id)?;
        self.fields.clear();
        crate::hpack::collect_headers(headers, &mut self.fields)?;
        normalize_outbound(&mut self.fields);
        if self.config.client_side && self.inner.stream_state(id).is_none() {
            let opened = match self.reserved.take() {
                Some(reserved) => reserved,
                None => self.inner.open_stream().map_err(|e| send_error(py, &e))?,
            };
            if opened != id {
                self.reserved = Some(opened);
                return Err(local_error(
                    py,
                    format!(
                        "stream {stream_id} is not the next stream to open ({})",
                        opened.get()
                    ),
                    ErrorCode::PROTOCOL_ERROR,
                ));
            }
        } else if self.reserved == Some(id) {
            self.reserved = None;
        }
        self.highest_stream = self.highest_stream.max(stream_id);
        let fields = std::mem::take(&mut self.fields);
        let result = self.inner.send_headers(id, &fields, end_stream);
        self.fields = fields;
        result.map_err(|e| send_error(py, &e))
    }

    /// Sends body data. Like h2, refuses (FlowControlError) data larger than the
    /// flow-control window (`local_flow_control_window`) rather than buffering it.
    /// Unlike h2, refuses (ProtocolError) data that would not add up to a
    /// `content-length` the headers declared (RFC 9113 §8.1.1): more than it says, or
    /// the end of the stream before all of it; the peer would reject the message.
    #[pyo3(signature = (stream_id, data, end_stream = false, pad_length = None))]
    fn send_data(
        &mut self,
        py: Python<'_>,
        stream_id: u32,
        data: &Bound<'_, PyAny>,
        end_stream: bool,
        pad_length: Option<usize>,
    ) -> PyResult<()> {
        let _ = pad_length;
        let id = self::stream_id(stream_id)?;
        let data = as_bytes(data)?;
        self.check_stream(py, id)?;
        let window = self.inner.send_capacity(id);
        if window == 0 && !data.is_empty() {
            // Offer the data anyway: it is refused (nothing is taken), and the
            // connection then reports WindowUpdated when capacity returns.
            let _ = self.inner.send_data(id, data.clone(), end_stream);
        }
        if data.len() > window {
            return Err(with_attr(
                py,
                exc::FlowControlError::new_err(format!(
                    "Cannot send {} bytes, flow control window is {window}",
                    data.len()
                )),
                "error_code",
                ErrorCode::FLOW_CONTROL_ERROR.0,
            ));
        }
        let len = data.len();
        let sent = self
            .inner
            .send_data(id, data, end_stream)
            .map_err(|e| send_error(py, &e))?;
        if sent != len {
            return Err(local_error(
                py,
                format!("only {sent} of {len} bytes fitted the window"),
                ErrorCode::FLOW_CONTROL_ERROR,
            ));
        }
        Ok(())
    }

    /// Ends our side of the stream (an empty DATA frame with END_STREAM).
    fn end_stream(&mut self, py: Python<'_>, stream_id: u32) -> PyResult<()> {
        let id = self::stream_id(stream_id)?;
        self.check_stream(py, id)?;
        self.inner
            .send_data(id, Bytes::new(), true)
            .map(drop)
            .map_err(|e| send_error(py, &e))
    }

    /// Resets the stream with RST_STREAM (`error_code`, default NO_ERROR).
    #[pyo3(signature = (stream_id, error_code = 0))]
    fn reset_stream(&mut self, py: Python<'_>, stream_id: u32, error_code: u32) -> PyResult<()> {
        let id = self::stream_id(stream_id)?;
        self.inner
            .reset_stream(now(), id, ErrorCode(error_code))
            .map_err(|e| send_error(py, &e))
    }

    /// Server push (RFC 9113 §8.4): promises `promised_stream_id` (the value of
    /// `get_next_available_stream_id()`) with `request_headers` on `stream_id`.
    fn push_stream(
        &mut self,
        py: Python<'_>,
        stream_id: u32,
        promised_stream_id: u32,
        request_headers: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let id = self::stream_id(stream_id)?;
        let expected = self.last_promised.saturating_add(2);
        if promised_stream_id != expected {
            return Err(local_error(
                py,
                format!("promised stream must be {expected}, not {promised_stream_id}"),
                ErrorCode::PROTOCOL_ERROR,
            ));
        }
        self.fields.clear();
        crate::hpack::collect_headers(request_headers, &mut self.fields)?;
        normalize_outbound(&mut self.fields);
        let fields = std::mem::take(&mut self.fields);
        let result = self.inner.push_promise(id, &fields);
        self.fields = fields;
        let promised = result.map_err(|e| send_error(py, &e))?;
        self.last_promised = promised.get();
        self.highest_stream = self.highest_stream.max(promised.get());
        Ok(())
    }

    /// Sends a PING with 8 bytes of `opaque_data`; the answer is `PingAckReceived`.
    fn ping(&mut self, opaque_data: &[u8]) -> PyResult<()> {
        let payload: [u8; 8] = opaque_data
            .try_into()
            .map_err(|_| PyValueError::new_err("PING data must be 8 bytes"))?;
        self.inner.ping(now(), payload);
        Ok(())
    }

    /// Sends GOAWAY with `error_code` (and optional debug data).
    #[pyo3(signature = (error_code = 0, additional_data = None, last_stream_id = None))]
    fn close_connection(
        &mut self,
        error_code: u32,
        additional_data: Option<&[u8]>,
        last_stream_id: Option<u32>,
    ) {
        let _ = last_stream_id;
        let debug = Bytes::copy_from_slice(additional_data.unwrap_or_default());
        self.inner.goaway(now(), ErrorCode(error_code), debug);
    }

    /// Gives back `acknowledged_size` bytes of receive window for `stream_id` (the
    /// `flow_controlled_length` of processed `DataReceived` events).
    fn acknowledge_received_data(
        &mut self,
        acknowledged_size: usize,
        stream_id: u32,
    ) -> PyResult<()> {
        let id = self::stream_id(stream_id)?;
        self.inner.release_capacity(id, acknowledged_size);
        Ok(())
    }

    /// How many body bytes may be sent on `stream_id` right now (the smaller of the
    /// stream and connection send windows).
    fn local_flow_control_window(&self, py: Python<'_>, stream_id: u32) -> PyResult<usize> {
        let id = self::stream_id(stream_id)?;
        self.check_stream(py, id)?;
        Ok(self.inner.send_capacity(id))
    }

    /// The peer's remaining window to send to us on `stream_id`.
    fn remote_flow_control_window(&self, py: Python<'_>, stream_id: u32) -> PyResult<i64> {
        let id = self::stream_id(stream_id)?;
        self.check_stream(py, id)?;
        Ok(self
            .inner
            .stream_recv_window(id)
            .unwrap_or(0)
            .min(self.inner.connection_recv_window()))
    }

    /// Bytes to write to the peer (at most `amount`, the rest kept for next time).
    #[pyo3(signature = (amount = None))]
    fn data_to_send<'py>(&mut self, py: Python<'py>, amount: Option<usize>) -> Bound<'py, PyBytes> {
        if self.pending_out.is_empty()
            && amount.is_none()
            && let Some(first) = self.inner.poll_transmit()
        {
            match self.inner.poll_transmit() {
                None => return PyBytes::new(py, &first),
                Some(second) => {
                    self.pending_out.extend_from_slice(&first);
                    self.pending_out.extend_from_slice(&second);
                }
            }
        }
        while let Some(chunk) = self.inner.poll_transmit() {
            self.pending_out.extend_from_slice(&chunk);
        }
        let take = amount
            .unwrap_or(self.pending_out.len())
            .min(self.pending_out.len());
        let out = PyBytes::new(py, &self.pending_out[..take]);
        self.pending_out.drain(..take);
        out
    }

    /// Clears buffered output (h2 compatibility).
    fn clear_outbound_data_buffer(&mut self) {
        self.pending_out.clear();
        while self.inner.poll_transmit().is_some() {}
    }

    /// Applies new local SETTINGS (`{setting code: value}`) and sends them.
    fn update_settings(&mut self, new_settings: &Bound<'_, PyDict>) -> PyResult<()> {
        let mut settings: Settings = *self.inner.local_settings();
        for (key, value) in new_settings.iter() {
            let code: u16 = key.extract()?;
            let value: u32 = value.extract()?;
            match code {
                1 => settings.header_table_size = value,
                2 => settings.enable_push = value != 0,
                3 => settings.max_concurrent_streams = Some(value),
                4 => settings.initial_window_size = value,
                5 => settings.max_frame_size = value,
                6 => settings.max_header_list_size = Some(value),
                8 => settings.enable_connect_protocol = value != 0,
                other => return Err(PyValueError::new_err(format!("unknown setting {other}"))),
            }
        }
        self.inner.update_settings(now(), settings);
        Ok(())
    }

    /// Runs due timers (SETTINGS acknowledgement, GOAWAY drain); call when
    /// `next_timeout()` seconds have passed.
    fn handle_timeout(&mut self) {
        self.inner.handle_timeout(now());
    }

    /// Seconds until `handle_timeout()` is due, or `None`.
    fn next_timeout(&self) -> Option<f64> {
        self.inner
            .poll_timeout()
            .map(|at| at.saturating_duration_since(now()).as_secs_f64())
    }

    /// The peer's SETTINGS as `{code: value}`.
    #[getter]
    fn remote_settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        settings_dict(py, self.inner.peer_settings())
    }

    /// Our SETTINGS as `{code: value}`.
    #[getter]
    fn local_settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        settings_dict(py, self.inner.local_settings())
    }

    /// The largest DATA frame payload the peer accepts.
    #[getter]
    fn max_outbound_frame_size(&self) -> u32 {
        self.inner.peer_settings().max_frame_size
    }

    /// Streams we opened that are still open.
    #[getter]
    fn open_outbound_streams(&self) -> usize {
        self.inner.active_local_streams()
    }

    /// Streams the peer opened that are still open.
    #[getter]
    fn open_inbound_streams(&self) -> usize {
        self.inner.active_peer_streams()
    }

    /// Whether the connection is finished (GOAWAY exchanged or failed).
    #[getter]
    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

impl Connection {
    fn check_stream(&self, py: Python<'_>, id: StreamId) -> PyResult<()> {
        match self.inner.stream_state(id) {
            Some(StreamState::Closed) => Err(with_attr(
                py,
                exc::StreamClosedError::new_err(format!("stream {} is closed", id.get())),
                "error_code",
                ErrorCode::STREAM_CLOSED.0,
            )),
            Some(_) => Ok(()),
            None if id.get() <= self.highest_stream => Err(with_attr(
                py,
                exc::StreamClosedError::new_err(format!("stream {} is closed", id.get())),
                "error_code",
                ErrorCode::STREAM_CLOSED.0,
            )),
            None => Err(with_attr(
                py,
                exc::NoSuchStreamError::new_err(format!("no such stream {}", id.get())),
                "error_code",
                ErrorCode::PROTOCOL_ERROR.0,
            )),
        }
    }

    fn headers<'py>(
        &self,
        py: Python<'py>,
        fields: &[::hpack::Header],
    ) -> PyResult<Bound<'py, PyList>> {
        if self.config.header_encoding.is_none() {
            return crate::hpack::headers_to_list(py, fields, true);
        }
        let list = PyList::empty(py);
        for field in fields {
            let name = PyString::new(py, &String::from_utf8_lossy(&field.name));
            let value = PyString::new(py, &String::from_utf8_lossy(&field.value));
            list.append(PyTuple::new(py, [name, value])?)?;
        }
        Ok(list)
    }

    fn drain_events<'py>(&mut self, py: Python<'py>, out: &Bound<'py, PyList>) -> PyResult<()> {
        while let Some(event) = self.inner.poll_event() {
            if let Event::Headers { stream, .. }
            | Event::PushPromise {
                promised: stream, ..
            } = &event
            {
                self.highest_stream = self.highest_stream.max(stream.get());
            }
            self.push_event(py, out, event)?;
        }
        Ok(())
    }

    fn push_event<'py>(
        &self,
        py: Python<'py>,
        out: &Bound<'py, PyList>,
        event: Event,
    ) -> PyResult<()> {
        let int = |v: u32| -> PyResult<Py<PyAny>> { Ok(v.into_pyobject(py)?.into_any().unbind()) };
        match event {
            Event::Headers {
                stream,
                headers,
                end_stream,
                kind,
            } => {
                let id = int(stream.get())?;
                let list = self.headers(py, &headers)?.into_any().unbind();
                let ended = if end_stream {
                    Some(Py::new(
                        py,
                        StreamEnded {
                            stream_id: id.clone_ref(py),
                        },
                    )?)
                } else {
                    None
                };
                let ended_attr = ended
                    .as_ref()
                    .map_or_else(|| py.None(), |e| e.clone_ref(py).into_any());
                match kind {
                    HeadersKind::Request { .. } => out.append(Py::new(
                        py,
                        RequestReceived {
                            stream_id: id,
                            headers: list,
                            stream_ended: ended_attr,
                            priority_updated: py.None(),
                        },
                    )?)?,
                    HeadersKind::Response => out.append(Py::new(
                        py,
                        ResponseReceived {
                            stream_id: id,
                            headers: list,
                            stream_ended: ended_attr,
                            priority_updated: py.None(),
                        },
                    )?)?,
                    HeadersKind::Trailers => out.append(Py::new(
                        py,
                        TrailersReceived {
                            stream_id: id,
                            headers: list,
                            stream_ended: ended_attr,
                            priority_updated: py.None(),
                        },
                    )?)?,
                    HeadersKind::Informational => out.append(Py::new(
                        py,
                        InformationalResponseReceived {
                            stream_id: id,
                            headers: list,
                            priority_updated: py.None(),
                        },
                    )?)?,
                }
                if let Some(ended) = ended {
                    out.append(ended)?;
                }
            }
            Event::Data {
                stream,
                data,
                end_stream,
                flow_len,
            } => {
                let id = int(stream.get())?;
                let ended = if end_stream {
                    Some(Py::new(
                        py,
                        StreamEnded {
                            stream_id: id.clone_ref(py),
                        },
                    )?)
                } else {
                    None
                };
                out.append(Py::new(
                    py,
                    DataReceived {
                        stream_id: id,
                        data: PyBytes::new(py, &data).into_any().unbind(),
                        flow_controlled_length: flow_len.into_pyobject(py)?.into_any().unbind(),
                        stream_ended: ended
                            .as_ref()
                            .map_or_else(|| py.None(), |e| e.clone_ref(py).into_any()),
                    },
                )?)?;
                if let Some(ended) = ended {
                    out.append(ended)?;
                }
            }
            Event::StreamReset { stream, code, by } => out.append(Py::new(
                py,
                StreamReset {
                    stream_id: int(stream.get())?,
                    error_code: int(code.0)?,
                    remote_reset: pyo3::types::PyBool::new(py, by == Initiator::Remote)
                        .to_owned()
                        .into_any()
                        .unbind(),
                },
            )?)?,
            Event::SendCapacity { stream } => out.append(Py::new(
                py,
                WindowUpdated {
                    stream_id: int(stream.get())?,
                    delta: py.None(),
                },
            )?)?,
            Event::SettingsChanged(settings) => out.append(Py::new(
                py,
                RemoteSettingsChanged {
                    changed_settings: settings_dict(py, &settings)?.into_any().unbind(),
                },
            )?)?,
            Event::SettingsAcked => out.append(Py::new(
                py,
                SettingsAcknowledged {
                    changed_settings: settings_dict(py, self.inner.local_settings())?
                        .into_any()
                        .unbind(),
                },
            )?)?,
            Event::PingAcked { payload, .. } => out.append(Py::new(
                py,
                PingAckReceived {
                    ping_data: PyBytes::new(py, &payload).into_any().unbind(),
                },
            )?)?,
            Event::GoAway {
                last_stream,
                code,
                debug,
            } => out.append(Py::new(
                py,
                ConnectionTerminated {
                    error_code: int(code.0)?,
                    last_stream_id: int(last_stream.get())?,
                    additional_data: PyBytes::new(py, &debug).into_any().unbind(),
                },
            )?)?,
            Event::PushPromise {
                stream,
                promised,
                headers,
            } => out.append(Py::new(
                py,
                PushedStreamReceived {
                    pushed_stream_id: int(promised.get())?,
                    parent_stream_id: int(stream.get())?,
                    headers: self.headers(py, &headers)?.into_any().unbind(),
                },
            )?)?,
            Event::ConnectionLost(err) => out.append(Py::new(
                py,
                ConnectionTerminated {
                    error_code: int(err.code().0)?,
                    last_stream_id: py.None(),
                    additional_data: PyString::new(py, &err.to_string()).into_any().unbind(),
                },
            )?)?,
            _ => {}
        }
        Ok(())
    }
}

fn settings_dict<'py>(py: Python<'py>, s: &Settings) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item(1, s.header_table_size)?;
    dict.set_item(2, u32::from(s.enable_push))?;
    if let Some(n) = s.max_concurrent_streams {
        dict.set_item(3, n)?;
    }
    dict.set_item(4, s.initial_window_size)?;
    dict.set_item(5, s.max_frame_size)?;
    if let Some(n) = s.max_header_list_size {
        dict.set_item(6, n)?;
    }
    dict.set_item(8, u32::from(s.enable_connect_protocol))?;
    Ok(dict)
}

/// Fills the `weft._weft.http2` submodule.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Connection>()?;
    m.add_class::<H2Configuration>()?;
    m.add_class::<RequestReceived>()?;
    m.add_class::<ResponseReceived>()?;
    m.add_class::<TrailersReceived>()?;
    m.add_class::<InformationalResponseReceived>()?;
    m.add_class::<DataReceived>()?;
    m.add_class::<StreamEnded>()?;
    m.add_class::<StreamReset>()?;
    m.add_class::<WindowUpdated>()?;
    m.add_class::<RemoteSettingsChanged>()?;
    m.add_class::<SettingsAcknowledged>()?;
    m.add_class::<PingAckReceived>()?;
    m.add_class::<ConnectionTerminated>()?;
    m.add_class::<PushedStreamReceived>()?;
    errors::register_http2(m)?;
    Ok(())
}
