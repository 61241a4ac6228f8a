//! The decorator API's request, reply and streamed body, and the server-smol handler
//! that hands a request to Python.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use server_smol::{BodyError, BoxFuture, Handler, Headers, Response, Version};
use smol::channel::{Receiver, Sender, TrySendError};

use super::ClientDisconnected;
use super::bridge::{Bridge, LoopItem, Replier, reply_slot};
use crate::convert::{as_bytes, lower_bytes};

/// Chunks of a streamed response that may wait before the writer has to wait too.
pub(crate) const STREAM_DEPTH: usize = 16;

/// What Python sees of one request: server-smol's request, moved over whole (no
/// copies on the I/O thread), and its body, already read in full.
#[derive(Debug)]
pub(crate) struct RequestData {
    pub(crate) request: server_smol::Request,
    pub(crate) body: Bytes,
}

impl RequestData {
    /// `request`'s body must have been taken (it is read in full or streamed
    /// separately).
    pub(crate) fn new(request: server_smol::Request, body: Bytes) -> Self {
        Self { request, body }
    }

    pub(crate) fn method(&self) -> &str {
        self.request.method()
    }

    pub(crate) fn target(&self) -> &str {
        self.request.target()
    }

    pub(crate) fn path(&self) -> &str {
        self.request.path()
    }

    /// The query string without `?` (empty if none).
    pub(crate) fn query(&self) -> &str {
        self.request.query().unwrap_or("")
    }

    pub(crate) fn headers(&self) -> &Headers {
        self.request.headers()
    }

    pub(crate) fn version(&self) -> Version {
        self.request.version()
    }

    pub(crate) fn peer(&self) -> Option<SocketAddr> {
        self.request.peer_addr()
    }
}

pub(crate) fn version_str(version: Version) -> &'static str {
    match version {
        Version::Http10 => "1.0",
        Version::Http11 => "1.1",
        Version::H3 => "3",
        _ => "2",
    }
}

/// A request to a decorator-API handler (`weft.Request`).
///
/// The body has been read (up to the server's `max_body`) before the handler runs, so
/// `body()` and `json()` never wait.
#[pyclass(module = "weft", name = "Request", frozen)]
#[derive(Debug)]
pub(crate) struct PyRequest {
    data: RequestData,
}

#[pymethods]
impl PyRequest {
    /// The method, e.g. `"GET"`.
    #[getter]
    fn method(&self) -> &str {
        self.data.method()
    }

    /// The path as sent, without the query (not percent-decoded).
    #[getter]
    fn path(&self) -> &str {
        self.data.path()
    }

    /// The request-target as sent: path and query.
    #[getter]
    fn target(&self) -> &str {
        self.data.target()
    }

    /// The query string without `?` (empty if none).
    #[getter]
    fn query(&self) -> &str {
        self.data.query()
    }

    /// The route's parameters, percent-decoded, as strings.
    #[getter]
    fn path_params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self.data.request.params() {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    /// The header fields as a list of `(name, value)` strings, names lower-cased.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for (name, value) in self.data.headers().iter() {
            list.append(PyTuple::new(
                py,
                [
                    PyString::new(py, &String::from_utf8_lossy(name).to_ascii_lowercase()),
                    PyString::new(py, &String::from_utf8_lossy(value)),
                ],
            )?)?;
        }
        Ok(list)
    }

    /// The first value of header `name` (case-insensitive), or `default`.
    #[pyo3(signature = (name, default = None))]
    fn header(&self, name: &str, default: Option<String>) -> Option<String> {
        self.data
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .or(default)
    }

    /// `"1.0"`, `"1.1"`, `"2"` or `"3"`.
    #[getter]
    fn http_version(&self) -> &'static str {
        version_str(self.data.version())
    }

    /// The peer's `(host, port)`, if known.
    #[getter]
    fn client(&self) -> Option<(String, u16)> {
        self.data.peer().map(|a| (a.ip().to_string(), a.port()))
    }

    /// The whole body.
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.data.body)
    }

    /// The body decoded as UTF-8; `weft.BadRequestBody` (400, a `ValueError`) if it is
    /// not UTF-8.
    fn text(&self, py: Python<'_>) -> PyResult<String> {
        String::from_utf8(self.data.body.to_vec()).map_err(|e| {
            bad_request_body(py, format!("request body is not valid UTF-8: {e}"), None)
        })
    }

    /// The body parsed as JSON (`json.loads`); `weft.BadRequestBody` (400, a
    /// `ValueError`) if it is not JSON.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?
            .call_method1("loads", (PyBytes::new(py, &self.data.body),))
            .map_err(|e| {
                if e.is_instance_of::<PyValueError>(py) {
                    let detail = format!("request body is not valid JSON: {}", e.value(py));
                    bad_request_body(py, detail, Some(e))
                } else {
                    e
                }
            })
    }

    fn __repr__(&self) -> String {
        format!(
            "<weft.Request {} {}>",
            self.data.method(),
            self.data.target()
        )
    }
}

/// One decorator-route call on its way to Python.
#[derive(Debug)]
pub(crate) struct RouteJob {
    pub(crate) route: usize,
    /// Boxed: the job moves through queues and into a task; the request stays put.
    pub(crate) request: Box<RequestData>,
    pub(crate) reply: Replier,
}

impl RouteJob {
    /// The call, with its Python objects left to be made when Python needs them.
    pub(crate) fn into_call(self, bridge: &Arc<Bridge>) -> RouteCall {
        RouteCall {
            index: self.route,
            request: Some(self.request),
            request_object: None,
            reply: Some(self.reply),
            reply_object: None,
            bridge: bridge.clone(),
        }
    }
}

/// A decorator-route call on the Python side. Its `Request` and `Reply` objects are
/// made on first use: a handler that takes no request and returns a plain result
/// needs neither.
#[derive(Debug)]
pub(crate) struct RouteCall {
    pub(crate) index: usize,
    /// Moved into `request_object` when that is made.
    request: Option<Box<RequestData>>,
    request_object: Option<Py<PyRequest>>,
    /// Moved into `reply_object` when that is made.
    reply: Option<Replier>,
    reply_object: Option<Py<Reply>>,
    bridge: Arc<Bridge>,
}

impl RouteCall {
    /// The request as a Python object (made on first use).
    pub(crate) fn request(&mut self, py: Python<'_>) -> PyResult<Py<PyRequest>> {
        if let Some(object) = &self.request_object {
            return Ok(object.clone_ref(py));
        }
        let data = self
            .request
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("the request is gone"))?;
        let object = Py::new(py, PyRequest { data: *data })?;
        self.request_object = Some(object.clone_ref(py));
        Ok(object)
    }

    /// The reply as a Python object (made on first use).
    pub(crate) fn reply(&mut self, py: Python<'_>) -> PyResult<Py<Reply>> {
        if let Some(object) = &self.reply_object {
            return Ok(object.clone_ref(py));
        }
        let object = Py::new(
            py,
            Reply {
                replier: Mutex::new(self.reply.take()),
                bridge: self.bridge.clone(),
            },
        )?;
        self.reply_object = Some(object.clone_ref(py));
        Ok(object)
    }

    /// Answers with `result` if it converts without Python help (see
    /// [`plain_response`]); false (and still unanswered) otherwise.
    pub(crate) fn send_plain(
        &mut self,
        py: Python<'_>,
        result: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        if let Some(object) = &self.reply_object {
            return object.get().send_plain(py, result);
        }
        let Some(response) = plain_response(py, &self.bridge, result)? else {
            return Ok(false);
        };
        let replier = self
            .reply
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this request was already answered"))?;
        // The connection may be gone already; then nobody waits for the answer.
        replier.answer(py, response);
        Ok(true)
    }

    /// `(index, request, reply)` for the Python dispatchers and finishers.
    pub(crate) fn py_args(
        &mut self,
        py: Python<'_>,
    ) -> PyResult<(usize, Py<PyRequest>, Py<Reply>)> {
        Ok((self.index, self.request(py)?, self.reply(py)?))
    }
}

/// The server-smol handler of one decorator route: reads the body, then queues the
/// call for the handler threads or the event loop and waits for the reply.
pub(crate) struct RouteHandler {
    pub(crate) bridge: Arc<Bridge>,
    pub(crate) route: usize,
    pub(crate) on_loop: bool,
}

impl Handler for RouteHandler {
    fn call(&self, mut request: server_smol::Request) -> BoxFuture {
        let bridge = self.bridge.clone();
        let route = self.route;
        let on_loop = self.on_loop;
        Box::pin(async move {
            let body = if request.body_mut().is_empty() {
                Bytes::new()
            } else {
                match request.take_body().bytes().await {
                    Ok(body) => body,
                    Err(BodyError::TooLarge { .. }) => return Response::status_page(413),
                    Err(BodyError::Timeout) => return Response::status_page(408),
                    Err(_) => return Response::status_page(400),
                }
            };
            let (reply, answer) = reply_slot(&bridge);
            let job = RouteJob {
                route,
                request: Box::new(RequestData::new(request, body)),
                reply,
            };
            if on_loop {
                bridge.to_loop_batched(LoopItem::Route(job)).await;
            } else {
                bridge.to_threads_batched(job).await;
            }
            // A reply object dropped without answering (handler crashed in a way the
            // Python side could not report, or the server stopped) is a 500.
            answer.await.unwrap_or_else(|| Response::status_page(500))
        })
    }
}

/// `weft.BadRequestBody(detail)`, raised from `cause` if given: a body the client got
/// wrong is answered 400, not 500.
fn bad_request_body(py: Python<'_>, detail: String, cause: Option<PyErr>) -> PyErr {
    let made = py
        .import("weft.app")
        .and_then(|app| app.getattr("BadRequestBody"))
        .and_then(|class| class.call1((detail,)));
    match made {
        Ok(error) => {
            let error = PyErr::from_value(error);
            error.set_cause(py, cause);
            error
        }
        Err(err) => err,
    }
}

/// Builds a server-smol response head from Python values.
pub(crate) fn response_head(status: u16, headers: &Bound<'_, PyAny>) -> PyResult<Response> {
    let mut response = Response::new(status);
    for item in headers.try_iter()? {
        let item = item?;
        let name = as_bytes(&item.get_item(0)?)?;
        let value = as_bytes(&item.get_item(1)?)?;
        response.headers_mut().append(name, value);
    }
    Ok(response)
}

const TEXT: &str = "text/plain; charset=utf-8";
const OCTETS: &str = "application/octet-stream";
const JSON: &str = "application/json";

/// The response for a handler result that needs no Python help: `str` (text),
/// `bytes`, `dict` / `list` (JSON, encoded by the app's `json` function) and `None`
/// (204); `Ok(None)` for anything else (a `Response`, a tuple, a stream...).
/// The same conversions as `weft.app._plain`.
pub(crate) fn plain_response(
    py: Python<'_>,
    bridge: &Bridge,
    result: &Bound<'_, PyAny>,
) -> PyResult<Option<Response>> {
    let (content_type, body) = if let Ok(text) = result.cast_exact::<PyString>() {
        (TEXT, Bytes::copy_from_slice(text.encode_utf8()?.as_bytes()))
    } else if let Ok(bytes) = result.cast_exact::<PyBytes>() {
        (OCTETS, Bytes::copy_from_slice(bytes.as_bytes()))
    } else if result.is_none() {
        return Ok(Some(Response::new(204)));
    } else if result.is_exact_instance_of::<PyDict>() || result.is_exact_instance_of::<PyList>() {
        let Some(json) = bridge.json(py) else {
            return Ok(None);
        };
        (JSON, as_bytes(&json.call1((result,))?)?)
    } else {
        return Ok(None);
    };
    Ok(Some(
        Response::new(200)
            .with_header(
                Bytes::from_static(b"content-type"),
                Bytes::from_static(content_type.as_bytes()),
            )
            .with_body(body),
    ))
}

/// Where a handler's answer goes (`weft._weft.Reply`): call `send` once, or `start`
/// for a streamed body.
#[pyclass(module = "weft._weft", name = "Reply", frozen)]
#[derive(Debug)]
pub(crate) struct Reply {
    replier: Mutex<Option<Replier>>,
    bridge: Arc<Bridge>,
}

impl Reply {
    fn take(&self) -> PyResult<Replier> {
        self.replier
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .ok_or_else(|| PyRuntimeError::new_err("this request was already answered"))
    }

    /// Answers with `result` if it converts without Python help (see
    /// [`plain_response`]); false (and still unanswered) otherwise.
    pub(crate) fn send_plain(&self, py: Python<'_>, result: &Bound<'_, PyAny>) -> PyResult<bool> {
        match plain_response(py, &self.bridge, result)? {
            Some(response) => {
                // The connection may be gone already; then nobody waits for the answer.
                self.take()?.answer(py, response);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[pymethods]
impl Reply {
    /// Answers with a complete body.
    fn send(
        &self,
        py: Python<'_>,
        status: u16,
        headers: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let response = response_head(status, headers)?.with_body(as_bytes(body)?);
        // The connection may be gone already; then nobody waits for the answer.
        self.take()?.answer(py, response);
        Ok(())
    }

    /// Answers with a handler's result when it is a `str`, `bytes`, `dict`, `list` or
    /// `None`, and returns True; returns False for anything else.
    fn send_result(&self, py: Python<'_>, result: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.send_plain(py, result)
    }

    /// Sends the head of a streamed response and returns the body's writer.
    fn start(
        &self,
        py: Python<'_>,
        status: u16,
        headers: &Bound<'_, PyAny>,
    ) -> PyResult<BodyWriter> {
        let head = response_head(status, headers)?;
        let (writer, stream) = body_channel(self.bridge.clone());
        let response = head.with_response_body(server_smol::ResponseBody::Stream(Box::pin(stream)));
        self.take()?.answer_now(py, response);
        Ok(writer)
    }

    /// Whether `send` or `start` was called.
    #[getter]
    fn answered(&self) -> bool {
        self.replier.lock().map(|s| s.is_none()).unwrap_or(true)
    }
}

/// The stream handed to server-smol: chunks from Python, ended when the writer closes.
pub(crate) type BodyStream = Receiver<io::Result<Bytes>>;

pub(crate) fn body_channel(bridge: Arc<Bridge>) -> (BodyWriter, BodyStream) {
    let (tx, rx) = smol::channel::bounded(STREAM_DEPTH);
    (
        BodyWriter {
            sender: Mutex::new(Some(tx)),
            bridge,
        },
        rx,
    )
}

/// Writes a streamed response body (`weft._weft.BodyWriter`).
///
/// `write(chunk)` (threads: waits with the GIL released while the client is slow),
/// `await write_async(chunk)` (event loop), `close()`; writing after the client went
/// away raises `ClientDisconnected`.
#[pyclass(module = "weft._weft", name = "BodyWriter", frozen)]
#[derive(Debug)]
pub(crate) struct BodyWriter {
    sender: Mutex<Option<Sender<io::Result<Bytes>>>>,
    bridge: Arc<Bridge>,
}

impl BodyWriter {
    fn sender(&self) -> PyResult<Sender<io::Result<Bytes>>> {
        self.sender
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| PyRuntimeError::new_err("the body is already closed"))
    }

    /// Queues `chunk`; returns an awaitable that completes once it is accepted.
    pub(crate) fn write_awaitable(&self, py: Python<'_>, chunk: Bytes) -> PyResult<Py<PyAny>> {
        let sender = self.sender()?;
        match sender.try_send(Ok(chunk)) {
            Ok(()) => super::bridge::done(py),
            Err(TrySendError::Closed(_)) => Err(disconnected()),
            Err(TrySendError::Full(item)) => {
                let future = self.bridge.create_future(py)?.unbind();
                let waiter = future.clone_ref(py);
                let bridge = self.bridge.clone();
                smol::spawn(async move {
                    let sent = sender.send(item).await.is_ok();
                    bridge.to_loop(LoopItem::Resolve {
                        future: waiter,
                        outcome: Box::new(move |py| {
                            if sent {
                                Ok(py.None())
                            } else {
                                Err(disconnected())
                            }
                        }),
                    });
                })
                .detach();
                Ok(future)
            }
        }
    }

    pub(crate) fn finish(&self) {
        if let Ok(mut s) = self.sender.lock() {
            s.take();
        }
    }

    /// Ends the stream with an error, so the client sees it cut short.
    pub(crate) fn abort_stream(&self) {
        if let Ok(mut s) = self.sender.lock()
            && let Some(sender) = s.take()
        {
            let failure = Err(io::Error::other("handler failed"));
            if let Err(TrySendError::Full(failure)) = sender.try_send(failure) {
                // Queue the failure behind the chunks already waiting, or the stream
                // would end cleanly and the client take a cut body for a whole one.
                smol::spawn(async move {
                    let _ = sender.send(failure).await;
                })
                .detach();
            }
        }
    }
}

pub(crate) fn disconnected() -> PyErr {
    ClientDisconnected::new_err("the client went away")
}

#[pymethods]
impl BodyWriter {
    /// Writes a chunk, waiting (GIL released) while the client is slow. For handler
    /// threads.
    fn write(&self, py: Python<'_>, chunk: &Bound<'_, PyAny>) -> PyResult<()> {
        let chunk = as_bytes(chunk)?;
        let sender = self.sender()?;
        match sender.try_send(Ok(chunk)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(_)) => Err(disconnected()),
            Err(TrySendError::Full(item)) => py
                .detach(|| sender.send_blocking(item))
                .map_err(|_| disconnected()),
        }
    }

    /// Writes a chunk from the event loop: `await writer.write_async(chunk)`.
    fn write_async(&self, py: Python<'_>, chunk: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.write_awaitable(py, as_bytes(chunk)?)
    }

    /// Ends the body.
    fn close(&self) {
        self.finish();
    }

    /// Ends the body abnormally: the client sees a truncated response (HTTP/1.1: the
    /// connection closes; HTTP/2: the stream is reset).
    fn abort(&self) {
        self.abort_stream();
    }
}

/// `bytes` of a header name in lower case; used by the ASGI scope.
pub(crate) fn header_pairs<'py>(
    py: Python<'py>,
    headers: &Headers,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (name, value) in headers.iter() {
        list.append(PyTuple::new(
            py,
            [lower_bytes(py, name), PyBytes::new(py, value)],
        )?)?;
    }
    Ok(list)
}
