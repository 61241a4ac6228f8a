//! ASGI 3 hosting: the `http` scope, and the `receive` / `send` callables backed by
//! server-smol's streamed request body and streamed response.
//!
//! `receive()` and `send()` return an already-complete awaitable whenever they can
//! (the whole body is there; the response fits the stream's buffer), and an asyncio
//! future resolved through the bridge otherwise, so a hello-world app never waits on
//! a loop round trip.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http_core::field::is_token;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use server_smol::{Body, BoxFuture, Handler, Response, status_has_no_body};
use smol::stream::StreamExt;

use super::bridge::{Bridge, LoopItem, Ready, Replier, reply_slot};
use super::exchange::{Exchange, ExchangeGuard};
use super::proxy::{ProxyTrust, forwarded};
use super::request::{
    BodyWriter, RequestData, body_channel, disconnected, header_pairs, version_str,
};

/// One ASGI call on its way to the event loop.
#[derive(Debug)]
pub(crate) struct AsgiJob {
    /// Boxed: the job moves through the loop's queue.
    request: Box<RequestData>,
    body: Body,
    reply: Replier,
    /// Tells `receive()` when the exchange is over, to report `http.disconnect`;
    /// `send` joins it for a streamed response body.
    exchange: Arc<Exchange>,
}

/// The server-smol handler that routes every request to the ASGI application.
pub(crate) struct AsgiHandler {
    pub(crate) bridge: Arc<Bridge>,
}

impl Handler for AsgiHandler {
    fn call(&self, mut request: server_smol::Request) -> BoxFuture {
        let bridge = self.bridge.clone();
        Box::pin(async move {
            let body = request.take_body();
            let (reply, answer) = reply_slot(&bridge);
            let (exchange, guard) = Exchange::open();
            bridge
                .to_loop_batched(LoopItem::Asgi(AsgiJob {
                    request: Box::new(RequestData::new(request, Bytes::new())),
                    body,
                    reply,
                    exchange,
                }))
                .await;
            let response = answer.await.unwrap_or_else(|| Response::status_page(500));
            // Keeps the exchange open until the answer is back or the connection
            // drops this future.
            drop(guard);
            response
        })
    }
}

/// Fixed facts every scope repeats, kept as dictionaries that each scope starts as
/// a copy of (one `dict.copy()` instead of an insertion per key). The values are
/// immutable (strings, a tuple), so the copies can share them.
#[derive(Debug)]
pub(crate) struct ScopeBase {
    /// `type`, `scheme`, `root_path`, `server` and `extensions`, and every per-request key already
    /// present (as `None`): a copy then has room for all of them, and filling it in
    /// replaces values instead of growing the table.
    scope: Py<PyDict>,
    /// The `asgi` entry: `version` and `spec_version`.
    asgi: Py<PyDict>,
    /// The last client host made into a Python string, reused while it repeats.
    client_host: Mutex<Option<(IpAddr, Py<PyString>)>>,
    /// The `extensions` every scope shares; a TLS connection's scopes get a copy
    /// with its `tls` entry added.
    extensions: Py<PyDict>,
    /// The server's certificate in PEM, for the `tls` extension.
    server_cert: Option<Py<PyString>>,
    /// Whose proxy headers set `client` and `scheme`; `None` when they are ignored.
    proxy: Option<ProxyTrust>,
}

impl ScopeBase {
    pub(crate) fn new(
        py: Python<'_>,
        scheme: &'static str,
        server: Option<(String, u16)>,
        root_path: &str,
        with_state: bool,
        server_cert: Option<String>,
        proxy: Option<ProxyTrust>,
    ) -> PyResult<Self> {
        let scope = PyDict::new(py);
        scope.set_item(pyo3::intern!(py, "type"), pyo3::intern!(py, "http"))?;
        scope.set_item(pyo3::intern!(py, "scheme"), PyString::intern(py, scheme))?;
        scope.set_item(pyo3::intern!(py, "root_path"), PyString::new(py, root_path))?;
        scope.set_item(pyo3::intern!(py, "server"), server)?;
        let mut per_request = vec![
            pyo3::intern!(py, "asgi"),
            pyo3::intern!(py, "http_version"),
            pyo3::intern!(py, "method"),
            pyo3::intern!(py, "path"),
            pyo3::intern!(py, "raw_path"),
            pyo3::intern!(py, "query_string"),
            pyo3::intern!(py, "headers"),
            pyo3::intern!(py, "client"),
        ];
        if with_state {
            per_request.push(pyo3::intern!(py, "state"));
        }
        for key in per_request {
            scope.set_item(key, py.None())?;
        }
        let asgi = PyDict::new(py);
        asgi.set_item(pyo3::intern!(py, "version"), pyo3::intern!(py, "3.0"))?;
        asgi.set_item(pyo3::intern!(py, "spec_version"), pyo3::intern!(py, "2.4"))?;
        // ASGI extensions: trailers (chunked trailers over HTTP/1.1, a trailing
        // HEADERS frame over HTTP/2, RFC 9110 §6.5), pathsend (the server reads the
        // file) and early_hint (103 responses before the final one, RFC 8297). Each
        // is an empty dict: they take no parameters.
        // One dict that every scope's copy shares, so it costs a request nothing:
        // the extensions take no parameters and an application only looks names up.
        let extensions = PyDict::new(py);
        for name in [
            "http.response.trailers",
            "http.response.pathsend",
            "http.response.early_hint",
        ] {
            extensions.set_item(PyString::intern(py, name), PyDict::new(py))?;
        }
        scope.set_item(pyo3::intern!(py, "extensions"), &extensions)?;
        Ok(Self {
            scope: scope.unbind(),
            asgi: asgi.unbind(),
            client_host: Mutex::new(None),
            extensions: extensions.unbind(),
            server_cert: server_cert.map(|pem| PyString::new(py, &pem).unbind()),
            proxy,
        })
    }

    /// `ip` as a Python string; the last one is kept, as clients tend to repeat.
    fn client_host<'py>(&self, py: Python<'py>, ip: IpAddr) -> Bound<'py, PyString> {
        let mut cached = lock(&self.client_host);
        if let Some((last, host)) = cached.as_ref()
            && *last == ip
        {
            return host.bind(py).clone();
        }
        let host = PyString::new(py, &ip.to_string());
        *cached = Some((ip, host.clone().unbind()));
        host
    }
}

/// The method as a shared Python string: the common ones are interned once.
fn method_str<'py>(py: Python<'py>, method: &str) -> Bound<'py, PyString> {
    let interned = match method {
        "GET" => pyo3::intern!(py, "GET"),
        "POST" => pyo3::intern!(py, "POST"),
        "HEAD" => pyo3::intern!(py, "HEAD"),
        "PUT" => pyo3::intern!(py, "PUT"),
        "DELETE" => pyo3::intern!(py, "DELETE"),
        "PATCH" => pyo3::intern!(py, "PATCH"),
        "OPTIONS" => pyo3::intern!(py, "OPTIONS"),
        _ => return PyString::new(py, method),
    };
    interned.clone()
}

fn version_pystr(py: Python<'_>, version: server_smol::Version) -> Bound<'_, PyString> {
    match version_str(version) {
        "1.0" => pyo3::intern!(py, "1.0"),
        "1.1" => pyo3::intern!(py, "1.1"),
        "3" => pyo3::intern!(py, "3"),
        _ => pyo3::intern!(py, "2"),
    }
    .clone()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AsgiJob {
    /// Builds `(scope, receive, send)` for the application.
    pub(crate) fn into_py<'py>(
        self,
        py: Python<'py>,
        bridge: &Arc<Bridge>,
        base: &ScopeBase,
        state: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<(Bound<'py, PyDict>, Py<Receive>, Py<Send>)> {
        let request = &self.request;
        let head_request = request.method() == "HEAD";
        let scope = base.request_scope(py, request, state)?;
        scope.set_item(
            pyo3::intern!(py, "method"),
            method_str(py, request.method()),
        )?;
        let receive = Py::new(
            py,
            Receive {
                state: Arc::new(Mutex::new(ReceiveState {
                    body: Some(self.body),
                    body_done: false,
                    exchange: self.exchange.clone(),
                })),
                bridge: bridge.clone(),
            },
        )?;
        let send = Py::new(
            py,
            Send {
                state: Mutex::new(SendState {
                    reply: Some(self.reply),
                    head: None,
                    writer: None,
                    exchange: self.exchange,
                    finished: false,
                    head_request,
                    discarding: false,
                    trailers: TrailerState::None,
                    interim: request.request.interim().cloned(),
                }),
                bridge: bridge.clone(),
            },
        )?;
        Ok((scope, receive, send))
    }
}

impl ScopeBase {
    /// The keys an `http` and a `websocket` scope share (ASGI 2.4), filled in for
    /// `request`, on a copy of the fixed ones.
    fn request_scope<'py>(
        &self,
        py: Python<'py>,
        request: &RequestData,
        state: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let base = self;
        let scope = base.scope.bind(py).copy()?;
        // Keys and the small fixed values are interned: a scope is built per request.
        scope.set_item(pyo3::intern!(py, "asgi"), base.asgi.bind(py).copy()?)?;
        scope.set_item(
            pyo3::intern!(py, "http_version"),
            version_pystr(py, request.version()),
        )?;
        let path = request.path();
        let decoded = router::percent_decode(path).unwrap_or(std::borrow::Cow::Borrowed(path));
        scope.set_item(pyo3::intern!(py, "path"), PyString::new(py, &decoded))?;
        scope.set_item(
            pyo3::intern!(py, "raw_path"),
            PyBytes::new(py, path.as_bytes()),
        )?;
        let query = request.query();
        scope.set_item(
            pyo3::intern!(py, "query_string"),
            PyBytes::new(py, query.as_bytes()),
        )?;
        scope.set_item(
            pyo3::intern!(py, "headers"),
            header_pairs(py, request.headers())?,
        )?;
        scope.set_item(
            pyo3::intern!(py, "client"),
            request
                .peer()
                .map(|a| (base.client_host(py, a.ip()), a.port())),
        )?;
        if let Some(trust) = &base.proxy
            && trust.trusts_peer(request.peer().map(|a| a.ip()))
        {
            let reported = forwarded(trust, request.headers());
            if let Some(client) = reported.client {
                scope.set_item(pyo3::intern!(py, "client"), client)?;
            }
            if let Some(scheme) = reported.scheme {
                scope.set_item(pyo3::intern!(py, "scheme"), PyString::intern(py, scheme))?;
            }
        }
        if let Some(state) = state {
            scope.set_item(pyo3::intern!(py, "state"), state.copy()?)?;
        }
        if let Some(info) = request.request.tls() {
            let extensions = base.extensions.bind(py).copy()?;
            extensions.set_item(
                pyo3::intern!(py, "tls"),
                super::tls::scope_entry(py, info, base.server_cert.as_ref())?,
            )?;
            scope.set_item(pyo3::intern!(py, "extensions"), extensions)?;
        }
        Ok(scope)
    }

    /// A `websocket` scope (ASGI 2.4) for an upgrade request; the caller adds
    /// `subprotocols`. The `websocket.http.response` extension is offered: the
    /// application may refuse the handshake with a response of its own.
    pub(crate) fn websocket_scope<'py>(
        &self,
        py: Python<'py>,
        request: &RequestData,
        state: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let scope = self.request_scope(py, request, state)?;
        scope.set_item(pyo3::intern!(py, "type"), pyo3::intern!(py, "websocket"))?;
        // `wss` too: a proxy may report the WebSocket scheme itself.
        let secure = scope
            .get_item(pyo3::intern!(py, "scheme"))?
            .is_some_and(|s| s.eq("https").unwrap_or(false) || s.eq("wss").unwrap_or(false));
        scope.set_item(
            pyo3::intern!(py, "scheme"),
            if secure {
                pyo3::intern!(py, "wss")
            } else {
                pyo3::intern!(py, "ws")
            },
        )?;
        scope.del_item(pyo3::intern!(py, "method"))?;
        // The HTTP scope's extensions (trailers, early hints) do not apply; what the
        // TLS handshake settled does.
        let extensions = PyDict::new(py);
        extensions.set_item(
            pyo3::intern!(py, "websocket.http.response"),
            PyDict::new(py),
        )?;
        if let Some(info) = request.request.tls() {
            extensions.set_item(
                pyo3::intern!(py, "tls"),
                super::tls::scope_entry(py, info, self.server_cert.as_ref())?,
            )?;
        }
        scope.set_item(pyo3::intern!(py, "extensions"), extensions)?;
        Ok(scope)
    }
}

#[derive(Debug)]
struct ReceiveState {
    /// `None` while a Rust task is waiting for the next chunk.
    body: Option<Body>,
    body_done: bool,
    exchange: Arc<Exchange>,
}

/// A message for `receive()`.
enum Message {
    Body(Bytes, bool),
    Disconnect,
}

impl Message {
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let dict = PyDict::new(py);
        match self {
            Self::Body(chunk, more) => {
                dict.set_item(pyo3::intern!(py, "type"), pyo3::intern!(py, "http.request"))?;
                dict.set_item(pyo3::intern!(py, "body"), PyBytes::new(py, &chunk))?;
                dict.set_item(pyo3::intern!(py, "more_body"), more)?;
            }
            Self::Disconnect => {
                dict.set_item(
                    pyo3::intern!(py, "type"),
                    pyo3::intern!(py, "http.disconnect"),
                )?;
            }
        }
        Ok(dict.into_any().unbind())
    }
}

/// What one chunk read means for `receive()`.
fn message_for(
    state: &mut ReceiveState,
    chunk: Option<Result<Bytes, server_smol::BodyError>>,
) -> Message {
    match chunk {
        Some(Ok(data)) => {
            // A complete body is known to be over once taken; a streamed one ends with
            // an empty `more_body=False` message.
            let more = !state.body.as_ref().is_none_or(Body::is_empty);
            if !more {
                state.body_done = true;
            }
            Message::Body(data, more)
        }
        None => {
            state.body_done = true;
            Message::Body(Bytes::new(), false)
        }
        Some(Err(_)) => {
            state.body_done = true;
            Message::Disconnect
        }
    }
}

/// ASGI `receive`: request body chunks, then `http.disconnect` once the exchange is over.
#[pyclass(module = "weft._weft", name = "Receive", frozen)]
#[derive(Debug)]
pub(crate) struct Receive {
    state: Arc<Mutex<ReceiveState>>,
    bridge: Arc<Bridge>,
}

#[pymethods]
impl Receive {
    fn __call__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut state = lock(&self.state);
        if !state.body_done {
            let Some(mut body) = state.body.take() else {
                return Err(PyRuntimeError::new_err("receive() is already waiting"));
            };
            if let Some(chunk) = smol::block_on(smol::future::poll_once(body.chunk())) {
                state.body = Some(body);
                let message = message_for(&mut state, chunk);
                return Ok(Py::new(py, Ready::new(message.into_py(py)?))?.into_any());
            }
            drop(state);
            let future = self.bridge.create_future(py)?.unbind();
            let waiter = future.clone_ref(py);
            let shared = self.state.clone();
            let bridge = self.bridge.clone();
            smol::spawn(async move {
                let chunk = body.chunk().await;
                let message = {
                    let mut state = lock(&shared);
                    state.body = Some(body);
                    message_for(&mut state, chunk)
                };
                bridge.to_loop(LoopItem::Resolve {
                    future: waiter,
                    outcome: Box::new(move |py| message.into_py(py)),
                });
            })
            .detach();
            return Ok(future);
        }
        let exchange = state.exchange.clone();
        drop(state);
        if exchange.is_over() {
            return Ok(Py::new(py, Ready::new(Message::Disconnect.into_py(py)?))?.into_any());
        }
        let future = self.bridge.create_future(py)?.unbind();
        let waiter = future.clone_ref(py);
        let bridge = self.bridge.clone();
        smol::spawn(async move {
            exchange.closed().await;
            bridge.to_loop(LoopItem::Resolve {
                future: waiter,
                outcome: Box::new(|py| Message::Disconnect.into_py(py)),
            });
        })
        .detach();
        Ok(future)
    }
}

#[derive(Debug)]
struct SendState {
    reply: Option<Replier>,
    head: Option<Response>,
    writer: Option<BodyWriter>,
    /// Joined by a streamed body. `send` itself holds no guard: before the
    /// response starts, the I/O task waiting for it holds the exchange open, and
    /// it is dropped when the client goes away.
    exchange: Arc<Exchange>,
    finished: bool,
    /// The request is HEAD: whatever body the app sends is not for the wire.
    head_request: bool,
    /// The response was answered without a body (HEAD, 204, 304) and the app is
    /// streaming one anyway: its chunks are taken and dropped, as for GET they
    /// would be sent. The server has no stream to write them to, and an app that
    /// streams the same way for HEAD as for GET has done nothing wrong.
    discarding: bool,
    trailers: TrailerState,
    /// Where `http.response.early_hint` messages go (103 Early Hints, RFC 8297).
    interim: Option<server_smol::Interim>,
}

/// The `http.response.trailers` extension of one response.
#[derive(Debug)]
enum TrailerState {
    /// `http.response.start` did not announce trailers.
    None,
    /// Announced; the response has not been handed over yet.
    Announced,
    /// Handed over: the server waits for the fields on this channel once the body
    /// is sent. Fields of messages with `more_trailers` gather here meanwhile.
    Waiting(
        smol::channel::Sender<server_smol::Headers>,
        server_smol::Headers,
    ),
    /// Sent (or given up, when the response had no room for them).
    Done,
}

impl TrailerState {
    /// Attaches the trailers future to `response` if trailers were announced. An
    /// application that never sends them ends the response with none.
    fn attach(&mut self, response: Response) -> Response {
        if !matches!(self, Self::Announced) {
            return response;
        }
        let (tx, rx) = smol::channel::bounded(1);
        *self = Self::Waiting(tx, server_smol::Headers::new());
        response.with_trailers(server_smol::Trailers::new(async move {
            rx.recv().await.unwrap_or_default()
        }))
    }
}

/// The messages `send` takes.
enum SendKind {
    Start,
    Body,
    Trailers,
    PathSend,
    EarlyHint,
}

/// ASGI `send`: `http.response.start`, then `http.response.body` messages.
#[pyclass(module = "weft._weft", name = "Send", frozen)]
#[derive(Debug)]
pub(crate) struct Send {
    state: Mutex<SendState>,
    bridge: Arc<Bridge>,
}

pub(crate) fn ready(py: Python<'_>) -> PyResult<Py<PyAny>> {
    super::bridge::done(py)
}

/// The end of an ASGI call, run by its handler task (`task::run_finish`).
impl Send {
    /// Called when the application returned or raised: answers 500 if it never
    /// started a response, and cuts a started stream short if it raised.
    pub(crate) fn finish(&self, py: Python<'_>, failed: bool) {
        let mut state = lock(&self.state);
        if let Some(reply) = state.reply.take() {
            reply.answer(py, Response::status_page(500));
        }
        if let Some(writer) = state.writer.take() {
            if failed || !state.finished {
                writer.abort_stream();
            } else {
                writer.finish();
            }
        }
        state.finished = true;
        // Announced trailers that never came: the response ends without them
        // rather than waiting for a `send` that can no longer happen.
        state.trailers = TrailerState::Done;
    }

    /// Whether `http.response.start` was accepted.
    pub(crate) fn started(&self) -> bool {
        let state = lock(&self.state);
        state.head.is_some() || state.reply.is_none()
    }
}

#[pymethods]
impl Send {
    fn __call__(&self, py: Python<'_>, message: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
        let kind = message
            .get_item(pyo3::intern!(py, "type"))?
            .ok_or_else(|| PyValueError::new_err("ASGI message without 'type'"))?;
        let kind = kind.cast::<PyString>()?;
        // Compared as Python strings: decoding to Rust would allocate under abi3.
        let kind = if kind.as_any().eq(pyo3::intern!(py, "http.response.body"))? {
            SendKind::Body
        } else if kind.as_any().eq(pyo3::intern!(py, "http.response.start"))? {
            SendKind::Start
        } else if kind
            .as_any()
            .eq(pyo3::intern!(py, "http.response.trailers"))?
        {
            SendKind::Trailers
        } else if kind
            .as_any()
            .eq(pyo3::intern!(py, "http.response.pathsend"))?
        {
            SendKind::PathSend
        } else if kind
            .as_any()
            .eq(pyo3::intern!(py, "http.response.early_hint"))?
        {
            SendKind::EarlyHint
        } else {
            return Err(PyValueError::new_err(format!(
                "unsupported ASGI message type {:?}",
                kind.to_cow()?
            )));
        };
        let mut state = lock(&self.state);
        match kind {
            SendKind::Start => {
                if state.head.is_some() || state.reply.is_none() {
                    return Err(PyRuntimeError::new_err("http.response.start sent twice"));
                }
                // ASGI 2.4: send() on a closed connection raises an OSError. The
                // exchange is over once the client has gone before any answer.
                if state.exchange.is_over() {
                    return Err(disconnected());
                }
                let status = final_status(message.get_item(pyo3::intern!(py, "status"))?)?;
                let head = response_head(status, message.get_item(pyo3::intern!(py, "headers"))?)?;
                let trailers = match message.get_item(pyo3::intern!(py, "trailers"))? {
                    Some(flag) => flag.is_truthy()?,
                    None => false,
                };
                state.head = Some(head);
                if trailers {
                    state.trailers = TrailerState::Announced;
                }
                ready(py)
            }
            SendKind::EarlyHint => {
                if state.head.is_some() || state.reply.is_none() {
                    return Err(PyRuntimeError::new_err(
                        "http.response.early_hint after http.response.start",
                    ));
                }
                let links = message
                    .get_item(pyo3::intern!(py, "links"))?
                    .ok_or_else(|| {
                        PyValueError::new_err("http.response.early_hint without 'links'")
                    })?;
                if is_byte_or_text_string(&links) {
                    return Err(PyTypeError::new_err(
                        "'links' must be a list of bytes, one Link field value each",
                    ));
                }
                let mut fields = server_smol::Headers::new();
                for link in links.try_iter()? {
                    fields.append(Bytes::from_static(b"link"), header_value(&link?)?);
                }
                let Some(interim) = &state.interim else {
                    return ready(py);
                };
                match interim.send(103, fields) {
                    Ok(()) => ready(py),
                    Err(server_smol::InterimError::Closed) => Err(disconnected()),
                    Err(error) => Err(PyRuntimeError::new_err(format!(
                        "http.response.early_hint: {error}"
                    ))),
                }
            }
            SendKind::Trailers => {
                let more = match message.get_item(pyo3::intern!(py, "more_trailers"))? {
                    Some(m) => m.is_truthy()?,
                    None => false,
                };
                let fields = response_head(200, message.get_item(pyo3::intern!(py, "headers"))?)?;
                if state.discarding {
                    return ready(py);
                }
                if !state.finished {
                    return Err(PyRuntimeError::new_err(
                        "http.response.trailers before the last http.response.body",
                    ));
                }
                let TrailerState::Waiting(_, gathered) = &mut state.trailers else {
                    return Err(PyRuntimeError::new_err(
                        "http.response.trailers without 'trailers': True in http.response.start",
                    ));
                };
                for (name, value) in fields.headers().iter() {
                    gathered.append(name.clone(), value.clone());
                }
                if !more
                    && let TrailerState::Waiting(tx, gathered) =
                        std::mem::replace(&mut state.trailers, TrailerState::Done)
                {
                    // The connection may be gone; the trailers are then for nobody.
                    let _ = tx.try_send(gathered);
                }
                ready(py)
            }
            SendKind::PathSend => {
                if state.writer.is_some() || state.finished {
                    return Err(PyRuntimeError::new_err(
                        "http.response.pathsend after http.response.body",
                    ));
                }
                let path = message
                    .get_item(pyo3::intern!(py, "path"))?
                    .ok_or_else(|| {
                        PyValueError::new_err("http.response.pathsend without 'path'")
                    })?;
                let path: std::path::PathBuf = path.extract()?;
                let head = state.head.take().ok_or_else(|| {
                    PyRuntimeError::new_err("http.response.pathsend before http.response.start")
                })?;
                let reply = state
                    .reply
                    .take()
                    .ok_or_else(|| PyRuntimeError::new_err("the response was already sent"))?;
                let opened = std::fs::File::open(&path).and_then(|file| {
                    let len = file.metadata()?.len();
                    Ok((file, len))
                });
                let (file, len) = match opened {
                    Ok(opened) => opened,
                    Err(error) => {
                        // Nothing went out: the application may still answer.
                        state.head = Some(head);
                        state.reply = Some(reply);
                        // OSError(errno, text, path) makes the subclass the errno
                        // names (FileNotFoundError, PermissionError, ...).
                        return Err(pyo3::exceptions::PyOSError::new_err((
                            error.raw_os_error().unwrap_or(0),
                            format!("http.response.pathsend: {error}"),
                            path.display().to_string(),
                        )));
                    }
                };
                state.finished = true;
                let body = server_smol::ResponseBody::File {
                    file: smol::fs::File::from(file),
                    len,
                };
                let response = state.trailers.attach(head.with_response_body(body));
                if reply.answer(py, response) {
                    ready(py)
                } else {
                    Err(disconnected())
                }
            }
            SendKind::Body => {
                if state.finished {
                    return Err(PyRuntimeError::new_err("the response is already complete"));
                }
                let body = match message.get_item(pyo3::intern!(py, "body"))? {
                    Some(b) => body_bytes(&b)?,
                    None => Bytes::new(),
                };
                let more = match message.get_item(pyo3::intern!(py, "more_body"))? {
                    Some(m) => m.is_truthy()?,
                    None => false,
                };
                if state.discarding {
                    state.finished = !more;
                    return ready(py);
                }
                let mut first = None;
                if state.writer.is_none() {
                    let head = state.head.take().ok_or_else(|| {
                        PyRuntimeError::new_err("http.response.body before http.response.start")
                    })?;
                    let reply = state
                        .reply
                        .take()
                        .ok_or_else(|| PyRuntimeError::new_err("the response was already sent"))?;
                    if !more {
                        state.finished = true;
                        let response = state.trailers.attach(head.with_body(body));
                        return if reply.answer(py, response) {
                            ready(py)
                        } else {
                            Err(disconnected())
                        };
                    }
                    if state.head_request || status_has_no_body(head.status()) {
                        // An empty stream: the head goes out as it would with the
                        // streamed body (no content-length is made up for HEAD), and
                        // the chunks have nowhere to go.
                        let empty =
                            server_smol::ResponseBody::Stream(Box::pin(smol::stream::empty()));
                        if !reply.answer_now(py, head.with_response_body(empty)) {
                            return Err(disconnected());
                        }
                        state.discarding = true;
                        return ready(py);
                    }
                    let (writer, stream) = body_channel(self.bridge.clone());
                    let guard = ExchangeGuard::join(&state.exchange);
                    // The stream keeps the exchange open (and `receive()` from reporting
                    // a disconnect) until server-smol is done with it.
                    let stream = stream.map(move |item| {
                        let _ = &guard;
                        item
                    });
                    let response = head
                        .with_response_body(server_smol::ResponseBody::Stream(Box::pin(stream)));
                    let response = state.trailers.attach(response);
                    state.writer = Some(writer);
                    first = Some((reply, response));
                }
                let Some(writer) = state.writer.as_ref() else {
                    return Err(PyRuntimeError::new_err("no response stream"));
                };
                let awaitable = if body.is_empty() {
                    ready(py)?
                } else {
                    writer.write_awaitable(py, body)?
                };
                if !more {
                    writer.finish();
                    state.finished = true;
                }
                // The head is handed over only once this message's chunk is in its
                // stream (new and empty, so it took the chunk at once): the two leave
                // together. Handed over first, the head could reach a client that hangs
                // up on it before the chunk was queued; the stream would be dropped
                // and this `send()` report a disconnect for a response the client read.
                if let Some((reply, response)) = first
                    && !reply.answer_now(py, response)
                {
                    state.writer = None;
                    return Err(disconnected());
                }
                Ok(awaitable)
            }
        }
    }
}

/// The status of an `http.response.start`: an `int` (an `IntEnum` such as
/// `HTTPStatus` is one; a `bool` is a mistake) that a final response can have.
/// RFC 9110 §15 gives statuses three digits, and the 1xx are interim responses,
/// which the ASGI message cannot send.
pub(crate) fn final_status(value: Option<Bound<'_, PyAny>>) -> PyResult<u16> {
    let value =
        value.ok_or_else(|| PyValueError::new_err("http.response.start without 'status'"))?;
    if !value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "'status' must be an int, not {}",
            type_name(&value)
        )));
    }
    value
        .extract::<u16>()
        .ok()
        .filter(|status| (200..=999).contains(status))
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "'status' must be a final status, 200 to 999; got {value}"
            ))
        })
}

/// The head of `http.response.start`: `headers` is an iterable of `[name, value]`
/// pairs of byte strings. Everything is checked before anything is kept, so a
/// refused message leaves `send` as it was and the app can still answer.
pub(crate) fn response_head(status: u16, headers: Option<Bound<'_, PyAny>>) -> PyResult<Response> {
    let mut response = Response::new(status);
    let Some(headers) = headers else {
        return Ok(response);
    };
    // A dict iterates over its keys and a string over its characters: both would
    // otherwise be taken apart into fields nobody meant.
    if is_byte_or_text_string(&headers) || headers.is_instance_of::<PyDict>() {
        return Err(PyTypeError::new_err(format!(
            "'headers' must be an iterable of [name, value] pairs, not {}",
            type_name(&headers)
        )));
    }
    for item in headers.try_iter()? {
        let (name, value) = header_pair(&item?)?;
        response.headers_mut().append(name, value);
    }
    Ok(response)
}

/// One `[name, value]` pair: a tuple or list (the common case), or any iterable of
/// two byte strings.
pub(crate) fn header_pair(item: &Bound<'_, PyAny>) -> PyResult<(Bytes, Bytes)> {
    let not_a_pair = |len: usize| {
        PyValueError::new_err(format!(
            "a header must be a [name, value] pair; got {len} item(s)"
        ))
    };
    // Tuples and lists are read in place; `get_item` fails only when the length
    // check below refuses the pair anyway.
    let sized = if let Ok(tuple) = item.cast::<PyTuple>() {
        Some((tuple.len(), tuple.get_item(0), tuple.get_item(1)))
    } else if let Ok(list) = item.cast::<PyList>() {
        Some((list.len(), list.get_item(0), list.get_item(1)))
    } else {
        None
    };
    if let Some((len, name, value)) = sized {
        if len != 2 {
            return Err(not_a_pair(len));
        }
        return Ok((header_name(&name?)?, header_value(&value?)?));
    }
    if is_byte_or_text_string(item) {
        return Err(PyTypeError::new_err(format!(
            "a header must be a [name, value] pair, not {}",
            type_name(item)
        )));
    }
    // At most three items are looked at: enough to tell a pair from anything else.
    let parts = item
        .try_iter()?
        .take(3)
        .collect::<PyResult<Vec<Bound<'_, PyAny>>>>()?;
    match parts.as_slice() {
        [name, value] => Ok((header_name(name)?, header_value(value)?)),
        other => Err(not_a_pair(other.len())),
    }
}

/// A header name: a non-empty token (RFC 9110 §5.1, §5.6.2), lower-cased as ASGI
/// asks and HTTP/2 requires (RFC 9113 §8.2.1).
fn header_name(name: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    let name = field_bytes(name, "name")?;
    if !is_token(&name) {
        return Err(PyValueError::new_err(format!(
            "invalid header name {:?}",
            String::from_utf8_lossy(&name)
        )));
    }
    if name.iter().any(u8::is_ascii_uppercase) {
        return Ok(Bytes::from(name.to_ascii_lowercase()));
    }
    Ok(name)
}

/// A header value: no control characters but horizontal tab (RFC 9110 §5.5). CR
/// and LF would split the field, and NUL is refused by every peer.
fn header_value(value: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    let value = field_bytes(value, "value")?;
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(PyValueError::new_err(format!(
            "invalid header value {:?}: control characters are not allowed",
            String::from_utf8_lossy(&value)
        )));
    }
    Ok(value)
}

/// A header name or value: `bytes` (or a `bytearray`), never `str`, as ASGI
/// specifies; an encoding guessed here would hide the app's mistake.
fn field_bytes(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Bytes> {
    byte_string(obj).ok_or_else(|| {
        PyTypeError::new_err(format!(
            "a header {what} must be bytes, not {}",
            type_name(obj)
        ))
    })
}

/// A copy of a `bytes` or `bytearray`; `None` for anything else.
fn byte_string(obj: &Bound<'_, PyAny>) -> Option<Bytes> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return Some(Bytes::copy_from_slice(bytes.as_bytes()));
    }
    obj.cast::<PyByteArray>()
        .ok()
        .map(|array| Bytes::from(array.to_vec()))
}

/// The `body` of `http.response.body`: `bytes`, or another bytes-like object
/// (`bytearray`, `memoryview`). A `str` has no one right encoding and a list of
/// ints is not a body, so both are refused.
pub(crate) fn body_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Some(bytes) = byte_string(obj) {
        return Ok(bytes);
    }
    if obj.is_instance_of::<PyMemoryView>() {
        // `bytes(view)` copies what the view shows (respecting slices and strides)
        // through the buffer protocol, which the stable ABI does not expose before 3.11.
        let copy = obj.py().get_type::<PyBytes>().call1((obj,))?;
        return Ok(Bytes::copy_from_slice(copy.cast::<PyBytes>()?.as_bytes()));
    }
    Err(PyTypeError::new_err(format!(
        "'body' must be bytes, not {}",
        type_name(obj)
    )))
}

fn is_byte_or_text_string(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyByteArray>()
        || obj.is_instance_of::<PyMemoryView>()
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_default()
}
