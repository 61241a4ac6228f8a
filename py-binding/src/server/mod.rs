//! The application server behind `weft.App.run` and `weft.serve`.
//!
//! server-smol owns the sockets, TLS, HTTP/1.1 and HTTP/2 on its own threads; this
//! module plugs Python in as its handlers (see `bridge` for how work crosses over).
//! The Python package drives a `Server` like this:
//!
//! ```python
//! server = _weft.Server("127.0.0.1", 8000)
//! server.add_route("GET", "/users/{id}", 0, on_loop=False)
//! host, port = server.start(loop)
//! loop.add_reader(server.wake_fd, server.drain, dispatch_async, asgi_app)
//! threading.Thread(target=server.serve_threads, args=(dispatch_sync,)).start()
//! ...
//! server.shutdown(); server.join(); server.stop_threads()
//! ```

mod asgi;
mod asgi_ws;
mod bridge;
mod exchange;
mod listener;
mod on_loop;
mod proxy;
mod request;
mod resume;
mod task;
mod tls;
mod websocket;

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use server_smol::{App, ClientAuth, Layout, RunningServer, ServerConfig, TlsSource};

use asgi::{AsgiHandler, ScopeBase};
use asgi_ws::AsgiWsHandler;
use bridge::{Bridge, LoopItem};
use request::RouteHandler;
use websocket::{PySocket, WsRouteHandler};

// `create_exception!` declares a `pub struct`; Python reaches it through the module.
#[allow(unreachable_pub)]
mod exception {
    use super::*;
    create_exception!(
        weft,
        ClientDisconnected,
        PyOSError,
        "The client went away while the response was being sent (ASGI: a send() on a closed connection)."
    );
}
pub(crate) use exception::ClientDisconnected;

/// Methods the ASGI host routes (server-smol routes by method; anything else is 405).
const ASGI_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "QUERY", "TRACE",
];

/// One decorator route as registered from Python.
#[derive(Debug)]
struct Route {
    method: String,
    path: String,
    index: usize,
    on_loop: bool,
    direct: Option<DirectCall>,
}

/// A handler the server calls itself, without a Python dispatcher frame: it takes no
/// argument, or only the request (its call shape was decided at registration).
#[derive(Debug)]
struct DirectCall {
    endpoint: Py<PyAny>,
    pass_request: bool,
    /// The last call took longer than `SLOW_CALL` (or there was none yet): answers
    /// already given are sent before the next call (see `serve_threads`).
    slow: AtomicBool,
}

/// The Python halves of direct calls (`Server.set_direct`).
#[derive(Debug)]
struct Finishers {
    /// `finish_sync(index, request, reply, result, error)`: answers a result that is
    /// not plain (see `request::plain_response`), or the error a handler raised.
    sync: Py<PyAny>,
    /// `finish_async(coroutine, index, request, reply)`: a coroutine that awaits an
    /// async handler's coroutine and answers.
    on_loop: Py<PyAny>,
}

/// A handler call that took longer than this may take long again: answers waiting
/// for their deferred wake-up are not held behind it.
const SLOW_CALL: Duration = Duration::from_micros(200);

/// Deferred answers on a handler thread are flushed at least this often.
const MAX_DEFERRED: usize = 32;

/// A server-smol server driven from Python (`weft._weft.Server`).
#[pyclass(module = "weft._weft", name = "Server")]
#[derive(Debug)]
pub(crate) struct Server {
    config: ServerConfig,
    routes: Vec<Route>,
    /// ASGI apps get `websocket` scopes for upgrades (`--ws auto`); off (`--ws none`),
    /// an upgrade is a plain HTTP request.
    asgi_ws: bool,
    /// `@app.websocket` routes: path, route index and subprotocols.
    ws_routes: Vec<(String, usize, Arc<[String]>)>,
    /// `dispatch_ws(index, socket)`: the coroutine that runs a WebSocket handler.
    ws_dispatch: Option<Py<PyAny>>,
    asgi: bool,
    root_path: String,
    state: Option<Py<PyDict>>,
    /// Whose proxy headers are believed, for ASGI scopes (`--proxy-headers`).
    proxy: Option<proxy::ProxyTrust>,
    bridge: Arc<Bridge>,
    finishers: Option<Finishers>,
    /// `routes` by route index, for direct calls.
    direct: Vec<Option<usize>>,
    /// Behind a lock: `join` waits with the GIL released while the loop keeps
    /// calling `drain` on the same object.
    running: Mutex<Option<RunningServer>>,
    scope_base: Option<ScopeBase>,
    /// Made on the first `drain` (it needs the running loop).
    tasks: std::sync::OnceLock<Arc<task::TaskRuntime>>,
}

fn resolve_addr(host: &str, port: u16) -> PyResult<SocketAddr> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| PyOSError::new_err(format!("cannot resolve {host}:{port}: {e}")))?
        .next()
        .ok_or_else(|| PyOSError::new_err(format!("{host} has no address")))
}

#[pymethods]
impl Server {
    /// A server for `host:port`; TLS (ALPN h2 / http/1.1) when `certfile` and
    /// `keyfile` are given, otherwise cleartext HTTP/1.1 with h2c prior knowledge.
    /// The `ws_*` settings apply to every WebSocket (uvicorn's `--ws-*` flags).
    ///
    /// `reuse_port` lets several processes bind the same port (worker processes).
    ///
    /// `fd` is a socket that is already listening (a supervisor's, or one handed over
    /// by a service manager): it is accepted on instead of binding `host:port`, and
    /// the caller keeps it open for the server's life. It may be a Unix domain socket
    /// (cleartext HTTP/1.1 and h2c; its requests have no `client` or `server`). `ca_certs` with
    /// `cert_reqs` 1 (optional) or 2 (required) asks TLS clients for a certificate
    /// (the values of Python's `ssl.CERT_*`). `headers` are `(name, value)` fields
    /// every response carries unless the application set one of that name;
    /// `date_header` adds `Date` (RFC 9110 §6.6.1). `max_head` bounds an HTTP/1.1
    /// request head (431 beyond); `backlog` is the `listen(2)` queue length.
    /// `linger_idle_on_shutdown`: at shutdown, HTTP/1.1 connections between requests
    /// answer one more request (with `Connection: close`) until their keep-alive
    /// expiry, instead of closing under a client that is sending it.
    ///
    /// `h3` serves HTTP/3 (RFC 9114) over QUIC as well, with the same certificate, on
    /// UDP at the TLS port unless `h3_bind` names another `(host, port)`; TLS answers
    /// then carry `Alt-Svc` (RFC 7838) pointing clients at it. It needs TLS.
    #[new]
    #[pyo3(signature = (
        host = "127.0.0.1",
        port = 8000,
        *,
        certfile = None,
        keyfile = None,
        h2c = true,
        io_threads = 1,
        reuse_port = false,
        max_body = 10 * 1024 * 1024,
        max_connections = 25_000,
        keep_alive_timeout = 60.0,
        shutdown_timeout = 30.0,
        fd = None,
        backlog = 4096,
        max_head = 16 * 1024,
        headers = Vec::new(),
        date_header = true,
        ca_certs = None,
        cert_reqs = 0,
        linger_idle_on_shutdown = false,
        ws = true,
        ws_max_size = 16 * 1024 * 1024,
        ws_ping_interval = Some(20.0),
        ws_ping_timeout = 20.0,
        ws_per_message_deflate = true,
        h3 = false,
        h3_bind = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        host: &str,
        port: u16,
        certfile: Option<PathBuf>,
        keyfile: Option<PathBuf>,
        h2c: bool,
        io_threads: usize,
        reuse_port: bool,
        max_body: u64,
        max_connections: usize,
        keep_alive_timeout: f64,
        shutdown_timeout: f64,
        fd: Option<i32>,
        backlog: u32,
        max_head: usize,
        headers: Vec<(String, String)>,
        date_header: bool,
        ca_certs: Option<PathBuf>,
        cert_reqs: u8,
        linger_idle_on_shutdown: bool,
        ws: bool,
        ws_max_size: usize,
        ws_ping_interval: Option<f64>,
        ws_ping_timeout: f64,
        ws_per_message_deflate: bool,
        h3: bool,
        h3_bind: Option<(String, u16)>,
    ) -> PyResult<Self> {
        let mut config = ServerConfig::default();
        let addr = match fd.map(listener::inherit).transpose()? {
            Some(listener::Inherited::Tcp(listener)) => {
                let addr = listener
                    .local_addr()
                    .map_err(|e| PyOSError::new_err(format!("listening socket: {e}")))?;
                config.listener = Some(Arc::new(listener));
                Some(addr)
            }
            Some(listener::Inherited::Unix(listener)) => {
                config.unix_listener = Some(Arc::new(listener));
                None
            }
            None => Some(resolve_addr(host, port)?),
        };
        match (certfile, keyfile, addr) {
            (Some(cert), Some(key), None) => {
                config.bind = None;
                config.unix_tls = true;
                config.tls = TlsSource::Files { cert, key };
            }
            (None, None, None) => config.bind = None,
            (Some(cert), Some(key), Some(addr)) => {
                config.bind = None;
                config.tls_bind = Some(addr);
                config.tls = TlsSource::Files { cert, key };
            }
            (None, None, Some(addr)) => config.bind = Some(addr),
            _ => return Err(PyValueError::new_err("certfile and keyfile go together")),
        }
        config.tls_client_auth = match (cert_reqs, ca_certs) {
            (0, _) => ClientAuth::None,
            (1, Some(ca)) => ClientAuth::Optional { ca },
            (2, Some(ca)) => ClientAuth::Required { ca },
            (1 | 2, None) => {
                return Err(PyValueError::new_err(
                    "client certificates (cert_reqs 1 or 2) need ca_certs",
                ));
            }
            _ => return Err(PyValueError::new_err("cert_reqs must be 0, 1 or 2")),
        };
        if config.tls_bind.is_none() && config.tls_client_auth != ClientAuth::None {
            return Err(PyValueError::new_err(
                "client certificates need TLS (certfile and keyfile)",
            ));
        }
        config.h3_bind = match (h3, h3_bind) {
            (false, None) => None,
            // QUIC carries TLS 1.3 inside it (RFC 9001): there is no HTTP/3 without a
            // certificate.
            _ if config.tls_bind.is_none() => {
                return Err(PyValueError::new_err(
                    "HTTP/3 runs over QUIC, which needs TLS: give certfile and keyfile",
                ));
            }
            (_, Some((host, port))) => Some(resolve_addr(&host, port)?),
            // UDP on the TLS port, the port `Alt-Svc: h3=":port"` advertises.
            (true, None) => config.tls_bind,
        };
        config.backlog = backlog;
        config.limits.max_head = max_head;
        config.response_defaults.date = date_header;
        config.response_defaults.fields = listener::response_fields(headers)?;
        config.h2c = h2c;
        // server-smol sets SO_REUSEPORT only when one process binds several listeners,
        // so a worker process that must share its port with its siblings runs two.
        // Worker processes that inherit one listening descriptor each bind their own
        // UDP socket on its port: those need SO_REUSEPORT as well.
        let reuse_port = reuse_port || (fd.is_some() && config.h3_bind.is_some());
        config.workers = if reuse_port {
            io_threads.max(2)
        } else {
            io_threads.max(1)
        };
        config.layout = Layout::PerCore;
        config.limits.max_body = max_body;
        config.limits.max_connections = max_connections;
        config.timeouts.keep_alive = duration(keep_alive_timeout)?;
        config.timeouts.shutdown = duration(shutdown_timeout)?;
        config.timeouts.linger_idle_on_shutdown = linger_idle_on_shutdown;
        // uvicorn's defaults: 16 MiB messages, a Ping every 20 s answered within 20 s,
        // permessage-deflate (RFC 7692) when the client offers it.
        let ping = match ws_ping_interval {
            Some(s) if s > 0.0 => Some(duration(s)?),
            _ => None,
        };
        config.ws = server_smol::WsOptions::default()
            .with_max_message_size(ws_max_size)
            .with_ping(ping, duration(ws_ping_timeout)?)
            .with_compression(ws_per_message_deflate);
        Ok(Self {
            config,
            routes: Vec::new(),
            asgi_ws: ws,
            ws_routes: Vec::new(),
            ws_dispatch: None,
            asgi: false,
            root_path: String::new(),
            state: None,
            proxy: None,
            bridge: Arc::new(
                Bridge::new().map_err(|e| PyOSError::new_err(format!("socket pair: {e}")))?,
            ),
            finishers: None,
            direct: Vec::new(),
            running: Mutex::new(None),
            scope_base: None,
            tasks: std::sync::OnceLock::new(),
        })
    }

    /// Routes `method path` to the Python route `index`, run on the event loop
    /// (`on_loop`, async handlers) or on the handler threads.
    ///
    /// With `endpoint` (and `set_direct`), the server calls `endpoint()` itself, or
    /// `endpoint(request)` with `pass_request`, instead of the dispatcher.
    #[pyo3(signature = (method, path, index, on_loop, endpoint = None, pass_request = false))]
    fn add_route(
        &mut self,
        method: &str,
        path: &str,
        index: usize,
        on_loop: bool,
        endpoint: Option<Py<PyAny>>,
        pass_request: bool,
    ) {
        self.routes.push(Route {
            method: method.to_owned(),
            path: path.to_owned(),
            index,
            on_loop,
            direct: endpoint.map(|endpoint| DirectCall {
                endpoint,
                pass_request,
                slow: AtomicBool::new(true),
            }),
        });
    }

    /// Routes WebSocket upgrades (RFC 6455) on `path` to the Python route `index`, run
    /// on the event loop by `dispatch(index, socket)` (a coroutine). The upgrade is
    /// accepted before the handler runs, with the first of `subprotocols` the client
    /// offered.
    #[pyo3(signature = (path, index, dispatch, subprotocols = Vec::new()))]
    fn add_ws_route(
        &mut self,
        path: &str,
        index: usize,
        dispatch: Py<PyAny>,
        subprotocols: Vec<String>,
    ) {
        self.ws_routes
            .push((path.to_owned(), index, subprotocols.into()));
        self.ws_dispatch = Some(dispatch);
    }

    /// Enables direct calls of the routes added with an `endpoint`: results that are
    /// `str`, `bytes`, `dict` / `list` (made JSON by `json(value) -> bytes`) or `None`
    /// are answered without Python; `finish_sync` and `finish_async` do the rest (see
    /// `Finishers`).
    fn set_direct(&mut self, finish_sync: Py<PyAny>, finish_async: Py<PyAny>, json: Py<PyAny>) {
        self.bridge.set_json(json);
        self.finishers = Some(Finishers {
            sync: finish_sync,
            on_loop: finish_async,
        });
    }

    /// Sends every request to the ASGI dispatcher instead of routes. `state` is the
    /// lifespan state, copied into each scope. `proxy` is `(everyone, hosts,
    /// networks)`: the peers whose `Forwarded` / `X-Forwarded-*` fields set the
    /// scope's `client` and `scheme`; `None` ignores those fields.
    #[pyo3(signature = (root_path = String::new(), state = None, proxy = None))]
    fn set_asgi(
        &mut self,
        root_path: String,
        state: Option<Py<PyDict>>,
        proxy: Option<(bool, Vec<String>, Vec<String>)>,
    ) -> PyResult<()> {
        self.proxy = proxy
            .map(|(everyone, hosts, networks)| proxy::ProxyTrust::new(everyone, hosts, &networks))
            .transpose()
            .map_err(|network| PyValueError::new_err(format!("{network:?} is not a network")))?;
        self.asgi = true;
        self.root_path = root_path;
        self.state = state;
        Ok(())
    }

    /// Binds and starts the I/O threads; returns the bound `(host, port)`.
    fn start(&mut self, py: Python<'_>, event_loop: Py<PyAny>) -> PyResult<(String, u16)> {
        if lock(&self.running).is_some() {
            return Err(PyRuntimeError::new_err("the server is already running"));
        }
        self.bridge.set_loop(py, event_loop)?;
        let slots = self.routes.iter().map(|r| r.index + 1).max().unwrap_or(0);
        self.direct = vec![None; slots];
        if self.finishers.is_some() {
            for (position, route) in self.routes.iter().enumerate() {
                if route.direct.is_some() {
                    self.direct[route.index] = Some(position);
                }
            }
        }
        let mut app = App::new();
        if self.asgi {
            // `http.response.early_hint`: handlers send 103s before their response.
            app.interim_responses();
            for method in ASGI_METHODS {
                for path in ["/", "/{*path}"] {
                    let handler = AsgiHandler {
                        bridge: self.bridge.clone(),
                    };
                    let routed = if method == "GET" && self.asgi_ws {
                        // WebSocket upgrades are GETs: they get a `websocket` scope.
                        let ws = AsgiWsHandler {
                            bridge: self.bridge.clone(),
                        };
                        app.try_route_and_ws(path, None, handler, ws)
                    } else {
                        app.try_route(method, path, handler)
                    };
                    routed.map_err(|e| PyValueError::new_err(e.to_string()))?;
                }
            }
        } else {
            for route in &self.routes {
                let handler = RouteHandler {
                    bridge: self.bridge.clone(),
                    route: route.index,
                    on_loop: route.on_loop,
                };
                app.try_route(&route.method, &route.path, handler)
                    .map_err(|e| crate::errors::InsertError::new_err(e.to_string()))?;
            }
            for (path, index, protocols) in &self.ws_routes {
                let handler = WsRouteHandler {
                    bridge: self.bridge.clone(),
                    index: *index,
                    protocols: protocols.clone(),
                };
                app.try_ws(path, None, handler)
                    .map_err(|e| crate::errors::InsertError::new_err(e.to_string()))?;
            }
        }
        let config = self.config.clone();
        let tls = config.tls_bind.is_some() || config.unix_tls;
        let server_cert = match &config.tls {
            TlsSource::Files { cert, .. } if tls => tls::first_certificate_pem(cert),
            _ => None,
        };
        let bridge = self.bridge.clone();
        let running = py
            .detach(|| {
                server_smol::Server::new(config, app)
                    .on_round_end(move || bridge.round_end())
                    .bind()
            })
            .map_err(|e| PyOSError::new_err(e.to_string()))?;
        let bound = match running.local_addr().or_else(|| running.tls_local_addr()) {
            Some(addr) => (addr.ip().to_string(), addr.port()),
            // A Unix domain socket: its path, and no port. Scopes then carry no
            // `server`, as uvicorn's do there (ASGI: `None` when unknown).
            None => {
                let path = self
                    .config
                    .unix_listener
                    .as_ref()
                    .and_then(|unix| unix.local_addr().ok())
                    .and_then(|addr| addr.as_pathname().map(|p| p.display().to_string()))
                    .ok_or_else(|| PyRuntimeError::new_err("the server bound no listener"))?;
                (path, 0)
            }
        };
        self.scope_base = Some(ScopeBase::new(
            py,
            if tls { "https" } else { "http" },
            (bound.1 != 0).then(|| bound.clone()),
            &self.root_path,
            self.state.is_some(),
            server_cert,
            self.proxy.clone(),
        )?);
        *lock(&self.running) = Some(running);
        Ok(bound)
    }

    /// The bound HTTP/3 (UDP) address as `(host, port)` once started, if HTTP/3 is on.
    #[getter]
    fn h3_address(&self) -> Option<(String, u16)> {
        let running = lock(&self.running);
        let addr = running.as_ref()?.h3_local_addr()?;
        Some((addr.ip().to_string(), addr.port()))
    }

    /// The descriptor the event loop watches: readable when `drain` has work.
    #[getter]
    fn wake_fd(&self) -> i32 {
        self.bridge.wake_fd()
    }

    /// Runs the work queued for the event loop (the `add_reader` callback): async
    /// routes, ASGI calls (`asgi_app(scope, receive, send)`), and completions.
    ///
    /// Each async handler call and ASGI call runs as a [`task::HandlerTask`], started
    /// here eagerly: a call that never suspends is answered before `drain` returns.
    /// Routes without a direct call go through `dispatch_async(index, request,
    /// reply)`, which returns the handler's coroutine (or `None` once it has answered
    /// an error itself).
    fn drain(
        &self,
        py: Python<'_>,
        dispatch_async: &Bound<'_, PyAny>,
        asgi_app: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        bridge::enter_loop_role();
        let state = self.state.as_ref().map(|s| s.bind(py));
        let runtime = self.task_runtime(py)?;
        let draining = bridge::enter_drain_role();
        for item in self.bridge.take_loop_items() {
            let result = match item {
                LoopItem::Route(job) => self.start_route(py, job, dispatch_async, runtime),
                LoopItem::Asgi(job) => {
                    let Some(base) = self.scope_base.as_ref() else {
                        continue;
                    };
                    job.into_py(py, &self.bridge, base, state)
                        .and_then(|(scope, receive, send)| {
                            let finish = task::Finish::Asgi(send.clone_ref(py));
                            match asgi_app.call1((scope, receive, send)) {
                                Ok(coro) => task::HandlerTask::start(py, runtime, coro, finish),
                                Err(err) => task::HandlerTask::failed(py, runtime, err, finish),
                            }
                        })
                }
                LoopItem::Ws(job) => self.start_ws(py, job, runtime),
                LoopItem::AsgiWs(job) => {
                    let Some(base) = self.scope_base.as_ref() else {
                        continue;
                    };
                    job.into_py(py, &self.bridge, base, state)
                        .and_then(|(scope, receive, send)| {
                            let finish = task::Finish::AsgiWs(send.clone_ref(py));
                            match asgi_app.call1((scope, receive, send)) {
                                Ok(coro) => task::HandlerTask::start(py, runtime, coro, finish),
                                Err(err) => task::HandlerTask::failed(py, runtime, err, finish),
                            }
                        })
                }
                LoopItem::Resolve { future, outcome } => {
                    bridge::resolve(py, future.bind(py), outcome)
                }
                LoopItem::Poll(poll) => poll.run(py),
            };
            // One failed dispatch must not starve the rest of the batch; the
            // dispatcher reports its own errors, so this is a last resort.
            if let Err(err) = result {
                err.write_unraisable(py, None);
            }
        }
        drop(draining);
        // The batch's answers wake their I/O tasks together.
        if self.bridge.has_unflushed() {
            self.bridge.flush_replies();
        }
        Ok(())
    }

    /// Runs sync handlers until `stop_threads()`: call from each handler thread with
    /// `dispatch_sync(index, request, reply)`. Waits with the GIL released.
    ///
    /// Answers are handed to the I/O thread with their wake-ups deferred, and the
    /// wake-ups sent before this thread waits for more work (or every
    /// `MAX_DEFERRED` answers, or before a call to a route that was slow last time),
    /// so that a burst costs one wake-up of the I/O thread (see `bridge`).
    fn serve_threads(&self, py: Python<'_>, dispatch_sync: &Bound<'_, PyAny>) -> PyResult<()> {
        let _role = bridge::enter_handler_role();
        let mut deferred = 0;
        loop {
            // Take queued work while holding the GIL; release it only to wait.
            let job = match self.bridge.try_sync_job() {
                Some(job) => job,
                None => {
                    self.bridge.flush_replies();
                    deferred = 0;
                    match py.detach(|| self.bridge.next_sync_job()) {
                        Some(job) => job,
                        None => return Ok(()),
                    }
                }
            };
            let direct = self.direct_call(job.route);
            let slow = direct.is_none_or(|(d, _)| d.slow.load(Ordering::Relaxed));
            if (slow || deferred >= MAX_DEFERRED) && self.bridge.has_unflushed() {
                self.bridge.flush_replies();
                deferred = 0;
            }
            let started = crate::clock::now();
            let result = match direct {
                Some((direct, finishers)) => self.run_direct_sync(py, job, direct, finishers),
                None => job
                    .into_call(&self.bridge)
                    .py_args(py)
                    .and_then(|args| dispatch_sync.call1(args).map(drop)),
            };
            if let Some((direct, _)) = direct {
                direct
                    .slow
                    .store(started.elapsed() > SLOW_CALL, Ordering::Relaxed);
            }
            deferred += 1;
            if let Err(err) = result {
                err.write_unraisable(py, None);
            }
        }
    }

    /// Lets `serve_threads` return once the queued jobs are done.
    fn stop_threads(&self) {
        self.bridge.stop_threads();
    }

    /// Starts a graceful shutdown: stop accepting, finish in-flight requests.
    fn shutdown(&self) {
        if let Some(running) = lock(&self.running).as_ref() {
            running.shutdown();
        }
    }

    /// Waits (GIL released) until the I/O threads have stopped.
    fn join(&self, py: Python<'_>) {
        let running = lock(&self.running).take();
        if let Some(running) = running {
            py.detach(|| running.join());
        }
        // A worker's last round may have handed work over without its hook running.
        self.bridge.send_due_wakeups();
    }
}

impl Server {
    /// The direct call of route `index`, if it has one.
    fn direct_call(&self, index: usize) -> Option<(&DirectCall, &Finishers)> {
        let position = (*self.direct.get(index)?)?;
        let direct = self.routes.get(position)?.direct.as_ref()?;
        Some((direct, self.finishers.as_ref()?))
    }

    fn call_endpoint<'py>(
        py: Python<'py>,
        direct: &DirectCall,
        call: &mut request::RouteCall,
    ) -> PyResult<Bound<'py, PyAny>> {
        let endpoint = direct.endpoint.bind(py);
        if direct.pass_request {
            endpoint.call1((call.request(py)?,))
        } else {
            endpoint.call0()
        }
    }

    /// Calls a sync handler and answers a plain result; hands anything else (or an
    /// error) to `finish_sync`.
    fn run_direct_sync(
        &self,
        py: Python<'_>,
        job: request::RouteJob,
        direct: &DirectCall,
        finishers: &Finishers,
    ) -> PyResult<()> {
        let mut call = job.into_call(&self.bridge);
        let (result, error) = match Self::call_endpoint(py, direct, &mut call) {
            Ok(result) => match call.send_plain(py, &result) {
                Ok(true) => return Ok(()),
                Ok(false) => (Some(result), None),
                Err(error) => (None, Some(error.into_value(py))),
            },
            Err(error) => (None, Some(error.into_value(py))),
        };
        let (index, request, reply) = call.py_args(py)?;
        finishers
            .sync
            .bind(py)
            .call1((index, request, reply, result, error))
            .map(drop)
    }

    /// The asyncio glue handler tasks share, made on the first `drain`.
    fn task_runtime(&self, py: Python<'_>) -> PyResult<&Arc<task::TaskRuntime>> {
        if let Some(runtime) = self.tasks.get() {
            return Ok(runtime);
        }
        let event_loop = self.bridge.event_loop(py)?.unbind();
        let finisher = self.finishers.as_ref().map(|f| f.on_loop.clone_ref(py));
        let runtime = Arc::new(task::TaskRuntime::new(py, event_loop, finisher)?);
        Ok(self.tasks.get_or_init(|| runtime))
    }

    /// Starts a WebSocket route's handler: `dispatch_ws(index, socket)` makes the
    /// coroutine, which closes the socket and reports its own errors.
    fn start_ws(
        &self,
        py: Python<'_>,
        job: websocket::WsJob,
        runtime: &Arc<task::TaskRuntime>,
    ) -> PyResult<()> {
        let Some(dispatch) = self.ws_dispatch.as_ref() else {
            return Ok(());
        };
        let index = job.index;
        let socket = Py::new(py, PySocket::new(job, self.bridge.clone()))?;
        let coroutine = dispatch.bind(py).call1((index, socket))?;
        task::HandlerTask::start(py, runtime, coroutine, task::Finish::Detached)
    }

    /// Calls an async route's handler, which only makes its coroutine, and starts
    /// the coroutine as a task.
    fn start_route(
        &self,
        py: Python<'_>,
        job: request::RouteJob,
        dispatch_async: &Bound<'_, PyAny>,
        runtime: &Arc<task::TaskRuntime>,
    ) -> PyResult<()> {
        let direct = self.direct_call(job.route);
        let mut call = job.into_call(&self.bridge);
        let coroutine = match direct {
            Some((direct, _)) => Self::call_endpoint(py, direct, &mut call),
            None => {
                let coroutine = dispatch_async.call1(call.py_args(py)?)?;
                if coroutine.is_none() {
                    // The dispatcher answered an error in the arguments itself.
                    return Ok(());
                }
                Ok(coroutine)
            }
        };
        let finish = task::Finish::Route(call);
        match coroutine {
            Ok(coroutine) => task::HandlerTask::start(py, runtime, coroutine, finish),
            Err(error) => task::HandlerTask::failed(py, runtime, error, finish),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn duration(seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| PyValueError::new_err(format!("invalid duration {seconds}")))
}

/// Adds the server classes to `weft._weft`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Server>()?;
    m.add_class::<request::PyRequest>()?;
    m.add_class::<request::Reply>()?;
    m.add_class::<request::BodyWriter>()?;
    m.add_class::<bridge::Ready>()?;
    m.add_class::<bridge::Done>()?;
    m.add_class::<bridge::FlushReplies>()?;
    m.add_class::<asgi::Receive>()?;
    m.add_class::<asgi::Send>()?;
    m.add_class::<websocket::PySocket>()?;
    m.add_class::<asgi_ws::WsReceive>()?;
    m.add_class::<asgi_ws::WsSend>()?;
    task::register(m)?;
    m.add("ClientDisconnected", py.get_type::<ClientDisconnected>())?;
    Ok(())
}
