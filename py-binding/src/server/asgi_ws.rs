//! ASGI `websocket` scopes (ASGI spec 2.4, "WebSocket"): the opening handshake decided
//! by the application's first message, then server-smol's [`WebSocket`] behind
//! `receive` and `send`.
//!
//! ```text
//!  upgrade ──▶ AsgiWsHandler ──LoopItem::AsgiWs──▶ app(scope, receive, send)
//!                   ▲                                   │ websocket.accept / .close /
//!                   └──────────── Decision ─────────────┘ .http.response.*
//! ```
//!
//! The handler on the I/O side waits for the application's decision: `websocket.accept`
//! (subprotocol, headers) accepts and puts the socket where `receive` and `send` find it;
//! `websocket.close` before accepting answers 403, and the `websocket.http.response`
//! extension answers with the application's own response. An application that returns
//! undecided gets 403, one that raises 500 before accepting and Close 1011 after.
//!
//! The handshake is an HTTP/1.1 Upgrade or an HTTP/2 extended CONNECT (RFC 8441 §4):
//! server-smol routes both to this handler (`App::try_route_and_ws`), and the scope's
//! `http_version` says which.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use server_smol::{Accept, Message, Response, WebSocket, WsFuture, WsHandler, WsUpgrade};
use smol::channel::Sender;

use super::ClientDisconnected;
use super::asgi::{ScopeBase, body_bytes, final_status, header_pair, ready, response_head};
use super::bridge::{Bridge, LoopItem, Outcome, Ready};
use super::on_loop::{self, Work};
use super::request::RequestData;

/// An upgrade on its way to the event loop.
#[derive(Debug)]
pub(crate) struct AsgiWsJob {
    request: Box<RequestData>,
    offered: Vec<String>,
    decision: Sender<Decision>,
}

/// What the application decided about the handshake.
enum Decision {
    Accept {
        protocol: Option<String>,
        headers: Vec<(Bytes, Bytes)>,
        shared: Arc<Mutex<Shared>>,
        /// Resolved once the socket is in `shared`, or with the reason it is not.
        future: Py<PyAny>,
        bridge: Arc<Bridge>,
    },
    Reject(Response),
}

impl std::fmt::Debug for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Accept { .. } => "Accept",
            Self::Reject(_) => "Reject",
        })
    }
}

/// The server-smol WebSocket handler of an ASGI host: every upgrade goes to the app.
pub(crate) struct AsgiWsHandler {
    pub(crate) bridge: Arc<Bridge>,
}

impl WsHandler for AsgiWsHandler {
    fn call(&self, mut upgrade: WsUpgrade) -> WsFuture {
        let bridge = self.bridge.clone();
        Box::pin(async move {
            let (decision, decided) = smol::channel::bounded(1);
            let offered = upgrade.protocols().to_vec();
            let request = Box::new(RequestData::new(upgrade.take_request(), Bytes::new()));
            bridge
                .to_loop_batched(LoopItem::AsgiWs(AsgiWsJob {
                    request,
                    offered,
                    decision,
                }))
                .await;
            match decided.recv().await {
                Ok(Decision::Accept {
                    protocol,
                    headers,
                    shared,
                    future,
                    bridge,
                }) => {
                    let mut accept = Accept::new().protocol_opt(protocol);
                    for (name, value) in headers {
                        accept = accept.header(name, value);
                    }
                    let accepted = match upgrade.accept(accept) {
                        Ok(socket) => {
                            lock(&shared).socket = Some(Arc::new(socket));
                            Ok(())
                        }
                        Err(e) => Err(e.error.to_string()),
                    };
                    bridge.to_loop(LoopItem::Resolve {
                        future,
                        outcome: Box::new(move |py| match accepted {
                            Ok(()) => Ok(py.None()),
                            Err(reason) => Err(ClientDisconnected::new_err(reason)),
                        }),
                    });
                }
                Ok(Decision::Reject(response)) => upgrade.reject(response),
                // The application ended without deciding (ASGI: 403).
                Err(_) => upgrade.reject(Response::status_page(403)),
            }
        })
    }
}

/// The state `receive` and `send` share.
#[derive(Debug, Default)]
struct Shared {
    connect_sent: bool,
    /// Taken by the decision.
    decision: Option<Sender<Decision>>,
    offered: Vec<String>,
    /// The accepted socket.
    socket: Option<Arc<WebSocket>>,
    /// `websocket.accept` was sent and not yet answered.
    accepting: bool,
    /// We sent a Close (or the handshake was refused): `send` raises from now on.
    closed: bool,
    /// `websocket.disconnect` was delivered.
    disconnected: bool,
    /// A `websocket.http.response` being assembled: status, fields, body so far.
    response: Option<Response>,
    body: Vec<u8>,
}

fn lock(m: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AsgiWsJob {
    /// Builds `(scope, receive, send)` for the application.
    pub(crate) fn into_py<'py>(
        self,
        py: Python<'py>,
        bridge: &Arc<Bridge>,
        base: &ScopeBase,
        state: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<(Bound<'py, PyDict>, Py<WsReceive>, Py<WsSend>)> {
        let scope = base.websocket_scope(py, &self.request, state)?;
        scope.set_item(pyo3::intern!(py, "subprotocols"), self.offered.clone())?;
        let shared = Arc::new(Mutex::new(Shared {
            decision: Some(self.decision),
            offered: self.offered,
            ..Shared::default()
        }));
        let receive = Py::new(
            py,
            WsReceive {
                shared: shared.clone(),
                bridge: bridge.clone(),
            },
        )?;
        let send = Py::new(
            py,
            WsSend {
                shared,
                bridge: bridge.clone(),
            },
        )?;
        Ok((scope, receive, send))
    }
}

fn typed_dict<'py>(py: Python<'py>, kind: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item(pyo3::intern!(py, "type"), kind)?;
    Ok(dict)
}

/// `websocket.disconnect` with how the connection ended (1006 when it ended without a
/// closing handshake, RFC 6455 §7.1.5).
fn disconnect(py: Python<'_>, socket: Option<&WebSocket>) -> PyResult<Py<PyAny>> {
    let dict = typed_dict(py, pyo3::intern!(py, "websocket.disconnect"))?;
    let (code, reason) = socket
        .and_then(WebSocket::close_info)
        .map_or((1006, String::new()), |i| (i.code, i.reason));
    dict.set_item(pyo3::intern!(py, "code"), code)?;
    dict.set_item(pyo3::intern!(py, "reason"), reason)?;
    Ok(dict.into_any().unbind())
}

/// ASGI `receive` of a websocket scope.
#[pyclass(module = "weft._weft", name = "WsReceive", frozen)]
#[derive(Debug)]
pub(crate) struct WsReceive {
    shared: Arc<Mutex<Shared>>,
    bridge: Arc<Bridge>,
}

#[pymethods]
impl WsReceive {
    fn __call__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut shared = lock(&self.shared);
        if !shared.connect_sent {
            shared.connect_sent = true;
            let connect = typed_dict(py, pyo3::intern!(py, "websocket.connect"))?;
            return Ok(Py::new(py, Ready::new(connect.into_any().unbind()))?.into_any());
        }
        if shared.disconnected {
            return Err(ClientDisconnected::new_err(
                "websocket.disconnect was already received",
            ));
        }
        let Some(socket) = shared.socket.clone() else {
            if shared.decision.is_none() && !shared.accepting {
                // Refused: the connection is over for the application.
                shared.disconnected = true;
                return Ok(Py::new(py, Ready::new(disconnect(py, None)?))?.into_any());
            }
            return Err(PyRuntimeError::new_err(
                "receive() before websocket.accept completed",
            ));
        };
        drop(shared);
        let shared = self.shared.clone();
        let work: Work = Box::pin(async move {
            let message = socket.recv().await;
            Box::new(move |py: Python<'_>| received(py, &shared, &socket, message)) as Outcome
        });
        on_loop::awaitable(py, &self.bridge, work)
    }
}

/// `websocket.receive` for a message, `websocket.disconnect` (once) at the end.
fn received(
    py: Python<'_>,
    shared: &Mutex<Shared>,
    socket: &WebSocket,
    message: Option<Message>,
) -> PyResult<Py<PyAny>> {
    let dict = typed_dict(py, pyo3::intern!(py, "websocket.receive"))?;
    match message {
        Some(Message::Text(text)) => {
            // From the bytes: `as_str` would check the UTF-8 that ws-proto has checked.
            dict.set_item(
                pyo3::intern!(py, "text"),
                PyString::from_bytes(py, text.as_bytes())?,
            )?;
        }
        Some(Message::Binary(data)) => {
            dict.set_item(pyo3::intern!(py, "bytes"), PyBytes::new(py, &data))?;
        }
        None => {
            lock(shared).disconnected = true;
            return disconnect(py, Some(socket));
        }
    }
    Ok(dict.into_any().unbind())
}

/// ASGI `send` of a websocket scope.
#[pyclass(module = "weft._weft", name = "WsSend", frozen)]
#[derive(Debug)]
pub(crate) struct WsSend {
    shared: Arc<Mutex<Shared>>,
    bridge: Arc<Bridge>,
}

/// The close code a `websocket.close` asks for, 1000 by default (ASGI 2.4).
fn close_code(message: &Bound<'_, PyDict>) -> PyResult<(u16, String)> {
    let py = message.py();
    let code: u16 = match message.get_item(pyo3::intern!(py, "code"))? {
        Some(c) if !c.is_none() => c.extract()?,
        _ => 1000,
    };
    let reason: String = match message.get_item(pyo3::intern!(py, "reason"))? {
        Some(r) if !r.is_none() => r.extract()?,
        _ => String::new(),
    };
    if !ws_proto::CloseCode(code).is_sendable() || reason.len() > 123 {
        return Err(PyValueError::new_err(format!(
            "close code {code} may not be sent, or the reason is over 123 bytes (RFC 6455 §5.5, §7.4)"
        )));
    }
    Ok((code, reason))
}

impl WsSend {
    fn decide(&self, shared: &mut Shared, decision: Decision) -> PyResult<()> {
        let sender = shared
            .decision
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("the handshake was already decided"))?;
        sender
            .try_send(decision)
            .map_err(|_| ClientDisconnected::new_err("the client went away"))
    }

    fn accept(&self, py: Python<'_>, message: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
        let mut shared = lock(&self.shared);
        let protocol: Option<String> = match message.get_item(pyo3::intern!(py, "subprotocol"))? {
            Some(p) if !p.is_none() => Some(p.extract()?),
            _ => None,
        };
        if let Some(p) = &protocol
            && !shared.offered.contains(p)
        {
            return Err(PyValueError::new_err(format!(
                "subprotocol {p:?} was not offered by the client (RFC 6455 §4.2.2)"
            )));
        }
        let mut headers = Vec::new();
        if let Some(list) = message.get_item(pyo3::intern!(py, "headers"))? {
            for item in list.try_iter()? {
                headers.push(header_pair(&item?)?);
            }
        }
        let future = self.bridge.create_future(py)?;
        self.decide(
            &mut shared,
            Decision::Accept {
                protocol,
                headers,
                shared: self.shared.clone(),
                future: future.clone().unbind(),
                bridge: self.bridge.clone(),
            },
        )?;
        shared.accepting = true;
        Ok(future.unbind())
    }

    fn reject(
        &self,
        py: Python<'_>,
        shared: &mut Shared,
        response: Response,
    ) -> PyResult<Py<PyAny>> {
        self.decide(shared, Decision::Reject(response))?;
        shared.closed = true;
        ready(py)
    }

    /// Sends `message` on the accepted socket, waiting while the peer is behind.
    fn send_on_socket(
        &self,
        py: Python<'_>,
        socket: Arc<WebSocket>,
        message: Message,
    ) -> PyResult<Py<PyAny>> {
        let work: Work = Box::pin(async move {
            let result = socket.send(message).await;
            // `None`, not the shared `Done`: this is the value `await send(..)` gives.
            Box::new(move |py: Python<'_>| match result {
                Ok(()) => Ok(py.None()),
                Err(e) => Err(ClientDisconnected::new_err(e.to_string())),
            }) as Outcome
        });
        on_loop::awaitable(py, &self.bridge, work)
    }

    /// `websocket.send`: one of `text` and `bytes`, on the accepted socket.
    fn send_message(&self, py: Python<'_>, message: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
        let socket = {
            let shared = lock(&self.shared);
            if shared.closed || shared.disconnected {
                // ASGI 2.4: send() on a closed connection raises an OSError.
                return Err(ClientDisconnected::new_err("the WebSocket is closed"));
            }
            shared
                .socket
                .clone()
                .ok_or_else(|| PyRuntimeError::new_err("websocket.send before websocket.accept"))?
        };
        let text = message.get_item(pyo3::intern!(py, "text"))?;
        let data = message.get_item(pyo3::intern!(py, "bytes"))?;
        let outgoing = match (text.filter(|t| !t.is_none()), data.filter(|d| !d.is_none())) {
            (Some(t), None) => Message::text(t.cast::<PyString>()?.to_cow()?.into_owned()),
            (None, Some(b)) => Message::binary(body_bytes(&b)?),
            _ => {
                return Err(PyValueError::new_err(
                    "websocket.send takes exactly one of 'bytes' and 'text'",
                ));
            }
        };
        self.send_on_socket(py, socket, outgoing)
    }

    /// The application's call ended (`failed`: it raised or was cancelled): 403 or 500
    /// if it never decided, its response if one was being sent, Close 1000 or 1011 on an
    /// accepted socket still open.
    pub(crate) fn finish(&self, failed: bool) {
        let mut shared = lock(&self.shared);
        if shared.decision.is_some() {
            let response = match shared.response.take() {
                Some(head) if !failed => head.with_body(std::mem::take(&mut shared.body)),
                _ => Response::status_page(if failed { 500 } else { 403 }),
            };
            if let Some(sender) = shared.decision.take() {
                let _ = sender.try_send(Decision::Reject(response));
            }
            return;
        }
        let Some(socket) = shared.socket.take() else {
            return;
        };
        if !shared.closed {
            shared.closed = true;
            let code = if failed { 1011 } else { 1000 };
            smol::spawn(async move {
                let _ = socket.close(code, "").await;
            })
            .detach();
        }
    }
}

#[pymethods]
impl WsSend {
    fn __call__(&self, py: Python<'_>, message: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
        let kind = message
            .get_item(pyo3::intern!(py, "type"))?
            .ok_or_else(|| PyValueError::new_err("ASGI message without 'type'"))?;
        // The message of every echo, whose type is usually a literal of the
        // application's and so the same interned object: no conversion (the abi3
        // build's `to_cow` makes a `bytes` object).
        if kind.is(pyo3::intern!(py, "websocket.send")) {
            return self.send_message(py, message);
        }
        let kind = kind.cast::<PyString>()?.to_cow()?;
        match &*kind {
            "websocket.send" => self.send_message(py, message),
            "websocket.accept" => self.accept(py, message),
            "websocket.close" => {
                let (code, reason) = close_code(message)?;
                let mut shared = lock(&self.shared);
                if shared.decision.is_some() {
                    // Before the handshake completes: refuse it (ASGI: 403).
                    return self.reject(py, &mut shared, Response::status_page(403));
                }
                if shared.closed || shared.disconnected {
                    return Err(ClientDisconnected::new_err("the WebSocket is closed"));
                }
                let socket = shared
                    .socket
                    .clone()
                    .ok_or_else(|| PyRuntimeError::new_err("websocket.close while accepting"))?;
                shared.closed = true;
                drop(shared);
                let mut closing = Box::pin(async move { socket.close(code, &reason).await });
                // Queuing a Close waits only for room in the command queue, so it is
                // usually done at the first poll; only one that is not is left to
                // finish on its own (a finished `async` block must not be polled again).
                if smol::block_on(smol::future::poll_once(closing.as_mut())).is_none() {
                    smol::spawn(closing).detach();
                }
                ready(py)
            }
            "websocket.http.response.start" => {
                let mut shared = lock(&self.shared);
                if shared.decision.is_none() || shared.response.is_some() {
                    return Err(PyRuntimeError::new_err(
                        "websocket.http.response.start after the handshake was decided",
                    ));
                }
                let status = final_status(message.get_item(pyo3::intern!(py, "status"))?)?;
                let head = response_head(status, message.get_item(pyo3::intern!(py, "headers"))?)?;
                shared.response = Some(head);
                ready(py)
            }
            "websocket.http.response.body" => {
                let mut shared = lock(&self.shared);
                if shared.response.is_none() {
                    return Err(PyRuntimeError::new_err(
                        "websocket.http.response.body before websocket.http.response.start",
                    ));
                }
                if let Some(b) = message.get_item(pyo3::intern!(py, "body"))? {
                    let chunk = body_bytes(&b)?;
                    shared.body.extend_from_slice(&chunk);
                }
                let more = match message.get_item(pyo3::intern!(py, "more_body"))? {
                    Some(m) => m.is_truthy()?,
                    None => false,
                };
                if more {
                    return ready(py);
                }
                let body = std::mem::take(&mut shared.body);
                let response = shared
                    .response
                    .take()
                    .map(|head| head.with_body(body))
                    .unwrap_or_else(|| Response::status_page(500));
                self.reject(py, &mut shared, response)
            }
            other => Err(PyValueError::new_err(format!(
                "unsupported ASGI message type {other:?} in a websocket scope"
            ))),
        }
    }
}
