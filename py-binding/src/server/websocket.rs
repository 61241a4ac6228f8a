//! WebSocket routes of the decorator API (`@app.websocket(path)`): server-smol's
//! [`WebSocket`] handed to an `async def` handler as `weft.WebSocket`, whose `receive*`,
//! `send_*` and `close` methods and `async for` give awaitables.
//!
//! The upgrade is accepted before the handler runs, with the first of the route's
//! subprotocols that the client offered, if any (RFC 6455 §4.2.2 item 5.5). Each call
//! returns an already-complete awaitable when the socket can answer at once (a message
//! is waiting, the send queue has room), and otherwise an asyncio future the loop
//! resolves once the connection's task wakes the call (`on_loop`), as ASGI `receive`
//! does. The connection ends with a Close 1000
//! once the handler returns and the socket is dropped (server-smol's session closes
//! when no handle to the socket is left).

use std::sync::Arc;

use bytes::Bytes;
use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use server_smol::{CloseInfo, Message, WebSocket, WsError, WsFuture, WsHandler, WsUpgrade};

use super::ClientDisconnected;
use super::bridge::{Bridge, LoopItem, Outcome};
use super::on_loop::{self, Work};
use super::request::RequestData;
use crate::convert::lower_bytes;

/// An accepted WebSocket on its way to the event loop.
#[derive(Debug)]
pub(crate) struct WsJob {
    pub(crate) index: usize,
    pub(crate) request: Box<RequestData>,
    pub(crate) socket: WebSocket,
}

/// The server-smol handler of one `@app.websocket` route.
pub(crate) struct WsRouteHandler {
    pub(crate) bridge: Arc<Bridge>,
    pub(crate) index: usize,
    /// The subprotocols the route speaks, most preferred first.
    pub(crate) protocols: Arc<[String]>,
}

impl WsHandler for WsRouteHandler {
    fn call(&self, mut upgrade: WsUpgrade) -> WsFuture {
        let bridge = self.bridge.clone();
        let index = self.index;
        let protocol = self
            .protocols
            .iter()
            .find(|p| upgrade.protocols().contains(p))
            .cloned();
        Box::pin(async move {
            let request = upgrade.take_request();
            let accept = server_smol::Accept::new().protocol_opt(protocol);
            // A refused accept means the connection is already gone: nothing to run.
            if let Ok(socket) = upgrade.accept(accept) {
                bridge.to_loop(LoopItem::Ws(WsJob {
                    index,
                    request: Box::new(RequestData::new(request, Bytes::new())),
                    socket,
                }));
            }
        })
    }
}

/// The socket a handler gets: `weft.WebSocket` itself, so that a message costs no
/// Python frame of weft's own between the handler and this code.
#[pyclass(module = "weft._weft", name = "WebSocket", frozen)]
#[derive(Debug)]
pub(crate) struct PySocket {
    socket: Arc<WebSocket>,
    request: Box<RequestData>,
    bridge: Arc<Bridge>,
}

impl PySocket {
    pub(crate) fn new(job: WsJob, bridge: Arc<Bridge>) -> Self {
        Self {
            socket: Arc::new(job.socket),
            request: job.request,
            bridge,
        }
    }

    /// The next message as `into_py` gives it to Python.
    fn receive_as(
        &self,
        py: Python<'_>,
        into_py: fn(Python<'_>, Received) -> PyResult<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let socket = self.socket.clone();
        self.awaitable(
            py,
            async move { socket.recv().await.ok_or_else(|| socket.close_info()) },
            into_py,
        )
    }

    fn send(&self, py: Python<'_>, message: Message) -> PyResult<Py<PyAny>> {
        let socket = self.socket.clone();
        self.awaitable(py, async move { socket.send(message).await }, sent_to_py)
    }

    /// An awaitable for `work`, whose value `into_py` gives to Python (see
    /// [`on_loop::awaitable`]).
    fn awaitable<T, F>(
        &self,
        py: Python<'_>,
        work: F,
        into_py: fn(Python<'_>, T) -> PyResult<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>>
    where
        T: Send + 'static,
        F: std::future::Future<Output = T> + Send + 'static,
    {
        let work: Work = Box::pin(async move {
            let value = work.await;
            Box::new(move |py: Python<'_>| into_py(py, value)) as Outcome
        });
        on_loop::awaitable(py, &self.bridge, work)
    }
}

/// A text message as `str`, a binary one as `bytes`.
fn message_to_py(py: Python<'_>, message: Message) -> PyResult<Py<PyAny>> {
    Ok(match message {
        // From the bytes: `as_str` would check the UTF-8 that ws-proto has checked, and
        // CPython checks it again as it decodes.
        Message::Text(text) => PyString::from_bytes(py, text.as_bytes())?
            .into_any()
            .unbind(),
        Message::Binary(data) => PyBytes::new(py, &data).into_any().unbind(),
    })
}

/// `recv` for `async for`: the end of the connection ends the iteration.
fn next_to_py(py: Python<'_>, message: Option<Message>) -> PyResult<Py<PyAny>> {
    match message {
        Some(message) => message_to_py(py, message),
        None => Err(PyStopAsyncIteration::new_err(())),
    }
}

/// What `receive()` waits for: a message, or how the connection ended.
type Received = Result<Message, Option<CloseInfo>>;

/// `recv` for `receive()`: the end of the connection raises `WebSocketDisconnect` with
/// the peer's Close, or 1006 when there was none (RFC 6455 §7.1.5).
fn received_to_py(py: Python<'_>, received: Received) -> PyResult<Py<PyAny>> {
    match received {
        Ok(message) => message_to_py(py, message),
        Err(info) => {
            let (code, reason) = info.map_or((1006, String::new()), |i| (i.code, i.reason));
            let disconnect = py
                .import(pyo3::intern!(py, "weft.websocket"))?
                .getattr(pyo3::intern!(py, "WebSocketDisconnect"))?
                .call1((code, reason))?;
            Err(PyErr::from_value(disconnect))
        }
    }
}

/// `receive_text()`: as `receive()`, and a binary message is a `TypeError`.
fn text_to_py(py: Python<'_>, received: Received) -> PyResult<Py<PyAny>> {
    match received {
        Ok(Message::Binary(_)) => Err(PyTypeError::new_err(
            "expected a text message, got a binary one",
        )),
        other => received_to_py(py, other),
    }
}

/// `receive_bytes()`: as `receive()`, and a text message is a `TypeError`.
fn bytes_to_py(py: Python<'_>, received: Received) -> PyResult<Py<PyAny>> {
    match received {
        Ok(Message::Text(_)) => Err(PyTypeError::new_err(
            "expected a binary message, got a text one",
        )),
        other => received_to_py(py, other),
    }
}

fn sent_to_py(py: Python<'_>, result: Result<(), WsError>) -> PyResult<Py<PyAny>> {
    match result {
        Ok(()) => Ok(py.None()),
        Err(e) => Err(ClientDisconnected::new_err(e.to_string())),
    }
}

fn close_info_to_py(py: Python<'_>, info: Option<CloseInfo>) -> PyResult<Py<PyAny>> {
    Ok(match info {
        Some(i) => PyTuple::new(
            py,
            [
                i.code.into_pyobject(py)?.into_any(),
                PyString::new(py, &i.reason).into_any(),
            ],
        )?
        .into_any()
        .unbind(),
        None => py.None(),
    })
}

#[pymethods]
impl PySocket {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next message, `str` or `bytes`, for `async for`: the iteration ends with
    /// the connection.
    fn __anext__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let socket = self.socket.clone();
        self.awaitable(py, async move { socket.recv().await }, next_to_py)
    }

    /// The next message: `str` for text, `bytes` for binary. Raises
    /// `weft.WebSocketDisconnect` once the connection has ended.
    fn receive(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.receive_as(py, received_to_py)
    }

    /// The next message, which must be text.
    fn receive_text(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.receive_as(py, text_to_py)
    }

    /// The next message, which must be binary.
    fn receive_bytes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.receive_as(py, bytes_to_py)
    }

    /// Sends a text message. Waits while the peer is behind; raises
    /// `ClientDisconnected` once the connection has ended.
    fn send_text(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let text = data
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("send_text() takes a str"))?;
        self.send(py, Message::text(text.to_cow()?.into_owned()))
    }

    /// Sends a binary message (`bytes`, `bytearray`, `memoryview`). Waits while the
    /// peer is behind; raises `ClientDisconnected` once the connection has ended.
    fn send_bytes(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let message = if let Ok(b) = data.cast::<PyBytes>() {
            Message::binary(Bytes::copy_from_slice(b.as_bytes()))
        } else if data.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err("send_bytes() takes bytes"));
        } else {
            let raw: Vec<u8> = data
                .extract()
                .map_err(|_| PyTypeError::new_err("send_bytes() takes bytes"))?;
            Message::binary(raw)
        };
        self.send(py, message)
    }

    /// Starts the closing handshake (RFC 6455 §7.1.2) with `code` and `reason`.
    #[pyo3(signature = (code = 1000, reason = String::new()))]
    fn close(&self, py: Python<'_>, code: u16, reason: String) -> PyResult<Py<PyAny>> {
        if !(ws_proto::CloseCode(code).is_sendable()) || reason.len() > 123 {
            return Err(PyValueError::new_err(format!(
                "close code {code} may not be sent, or the reason is over 123 bytes (RFC 6455 §5.5, §7.4)"
            )));
        }
        let socket = self.socket.clone();
        self.awaitable(
            py,
            async move {
                // Closing twice, or after the end, is harmless.
                let _ = socket.close(code, &reason).await;
            },
            |py, ()| Ok(py.None()),
        )
    }

    /// `(code, reason)` once the connection has ended, else `None`.
    #[getter]
    fn close_status(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        close_info_to_py(py, self.socket.close_info())
    }

    /// The subprotocol agreed in the opening handshake.
    #[getter]
    fn subprotocol(&self) -> Option<&str> {
        self.socket.protocol()
    }

    /// The request path.
    #[getter]
    fn path(&self) -> &str {
        self.request.path()
    }

    /// The query string, without `?`.
    #[getter]
    fn query(&self) -> &str {
        self.request.query()
    }

    /// The route's path parameters.
    #[getter]
    fn path_params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self.request.request.params() {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    /// The request's fields, `(name, value)` bytes with lower-case names.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for (name, value) in self.request.headers().iter() {
            list.append((lower_bytes(py, name), PyBytes::new(py, value)))?;
        }
        Ok(list)
    }
}
