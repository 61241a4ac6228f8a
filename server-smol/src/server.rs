//! Listeners, worker threads, accepting with back-pressure, and shutdown.

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use futures_rustls::TlsAcceptor;
use smol::lock::{Semaphore, SemaphoreGuardArc};
use smol::{Async, Executor, LocalExecutor};

use crate::app::App;
use crate::clock;
use crate::config::{Layout, ResponseDefaults, ServerConfig};
use crate::conn::{self, Transport};
use crate::context::Shared;
use crate::h3;
use crate::io::Accepted;
use crate::listener;
use crate::runtime::{self, EtListener, EtStream, Timer};
use crate::scratch::ReadBuffers;
use crate::shutdown::Shutdown;
use crate::tls::{self, TlsError};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Binding a listener or starting a thread failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: io::Error,
    },
    /// The TLS configuration is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Neither a cleartext nor a TLS address was configured.
    #[error("no listener configured (set bind, tls_bind, h3_bind or unix_listener)")]
    NoListener,
}

/// A server that is not running yet.
///
/// ```no_run
/// use weft_server::{App, Response, Server, ServerConfig};
/// let mut app = App::new();
/// app.get("/", |_req| async { Response::text("hello") });
/// let running = Server::new(ServerConfig::default(), app).bind().unwrap();
/// weft_server::wait_for_signal().unwrap();
/// running.shutdown();
/// running.join();
/// ```
pub struct Server {
    config: ServerConfig,
    app: App,
    round_hook: Option<RoundHook>,
}

/// Called by a worker after each round of ready tasks; see [`Server::on_round_end`].
pub(crate) type RoundHook = Arc<dyn Fn() + Send + Sync>;

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .field("round_hook", &self.round_hook.is_some())
            .finish_non_exhaustive()
    }
}

/// A running server: its addresses, and the handle to stop it.
#[derive(Debug)]
pub struct RunningServer {
    addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
    h3_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

/// Something that can start a graceful shutdown from anywhere.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(Arc<Shared>);

impl ShutdownHandle {
    /// Stops accepting, asks connections to finish (HTTP/1.1
    /// `Connection: close`, HTTP/2 GOAWAY) and lets in-flight requests
    /// complete until the shutdown timeout. Idempotent.
    pub fn shutdown(&self) {
        self.0.shutdown.raise();
    }
}

impl Server {
    /// A server for `app` with `config`.
    pub fn new(config: ServerConfig, app: App) -> Self {
        Self {
            config,
            app,
            round_hook: None,
        }
    }

    /// Runs `hook` on each per-core worker thread after every round of ready
    /// tasks, just before the worker polls for I/O (and possibly sleeps).
    ///
    /// This is where work handed to other threads during the round can be
    /// signalled once for the whole round: an embedding that runs handlers
    /// on another thread (the Python binding) wakes that thread here rather
    /// than once per request, so a burst of requests costs one wake-up and
    /// the other thread does not preempt the worker mid-round. Under
    /// continuous load a round is at most a few hundred task polls, so work
    /// signalled here waits at most that long. The hook must be cheap and
    /// must not block. Only the per-core layout calls it.
    pub fn on_round_end(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.round_hook = Some(Arc::new(hook));
        self
    }

    /// Binds the listeners and starts the worker threads. Returns once the
    /// server accepts connections; port 0 picks a free port, readable
    /// through [`RunningServer::local_addr`].
    ///
    /// The first call in a process puts a hook in front of the panic hook
    /// (`std::panic::set_hook`): a handler's panic is answered 500 and
    /// reported through `tracing` (message and location), not through the
    /// process's hook, whose backtrace would stall the worker. Other panics
    /// still reach the hook that was set before.
    pub fn bind(self) -> Result<RunningServer, ServerError> {
        let Self {
            config,
            app,
            round_hook,
        } = self;
        crate::panic::install();
        if config.bind.is_none()
            && config.tls_bind.is_none()
            && config.listener.is_none()
            && config.unix_listener.is_none()
            && config.h3_bind.is_none()
        {
            return Err(ServerError::NoListener);
        }
        let workers = config.worker_count();
        let per_core = config.layout == Layout::PerCore;
        // One certificate for TLS over TCP, over a Unix socket and over QUIC.
        let unix_tls = config.unix_tls && config.unix_listener.is_some();
        let rustls = match (config.tls_bind, config.h3_bind) {
            (None, None) if !unix_tls => None,
            _ => Some(tls::server_config_with_client_auth(
                &config.tls,
                &config.tls_client_auth,
                true,
            )?),
        };
        let tls = (config.tls_bind.is_some() || unix_tls)
            .then(|| rustls.clone())
            .flatten()
            .map(TlsAcceptor::from);
        // One listener per worker in the per-core layout; the first one
        // resolves port 0 so that the others bind the same port.
        let sets = if per_core { workers } else { 1 };
        let quic = match (&rustls, config.h3_bind) {
            (Some(rustls), Some(_)) => Some(h3::quic_config(&config, rustls, sets > 1)?),
            _ => None,
        };
        let (plain, secure) = match &config.listener {
            Some(inherited) => {
                let copies =
                    listener::duplicate(&**inherited, sets).map_err(|source| ServerError::Io {
                        what: "duplicating the inherited listener".into(),
                        source,
                    })?;
                match config.tls_bind {
                    Some(_) => (bind_set(config.bind, sets, config.backlog)?, copies),
                    None => (copies, Vec::new()),
                }
            }
            None => (
                bind_set(config.bind, sets, config.backlog)?,
                bind_set(config.tls_bind, sets, config.backlog)?,
            ),
        };
        let unix = match &config.unix_listener {
            Some(listener) => {
                listener::duplicate(&**listener, sets).map_err(|source| ServerError::Io {
                    what: "duplicating the Unix listener".into(),
                    source,
                })?
            }
            None => Vec::new(),
        };
        let addr = local_addr(&plain)?;
        let tls_addr = local_addr(&secure)?;
        // HTTP/3 on the TLS address (the usual deployment, and what `Alt-Svc: h3=":port"`
        // names) takes the TLS listener's port, also when that port was chosen by the
        // system.
        let h3_bind = match (config.h3_bind, tls_addr) {
            (Some(h3), Some(tls)) if Some(h3) == config.tls_bind => Some(tls),
            (h3, _) => h3,
        };
        let udp = bind_udp_set(h3_bind, sets)?;
        let h3_addr = udp
            .first()
            .map(std::net::UdpSocket::local_addr)
            .transpose()
            .map_err(|source| ServerError::Io {
                what: "reading the bound address".into(),
                source,
            })?;
        // A QUIC endpoint per socket: one per worker in the per-core layout.
        let mut h3_endpoints = udp
            .into_iter()
            .filter_map(|socket| Some((socket, quic.clone()?)));
        let tls_response_defaults = alt_svc(&config.response_defaults, h3_addr);
        let shared = Arc::new(Shared {
            h2_config: Arc::new(crate::h2::protocol_config(&config, &app)),
            connections: Arc::new(Semaphore::new(config.limits.max_connections.max(1))),
            tls_response_defaults,
            app,
            config,
            tls,
            shutdown: Shutdown::new(),
            read_buffers: ReadBuffers::default(),
        });
        let mut plain = plain.into_iter();
        let mut secure = secure.into_iter();
        let mut unix = unix.into_iter();
        let mut threads = Vec::with_capacity(workers);
        if per_core {
            for index in 0..workers {
                let listeners = Listeners {
                    plain: plain.next(),
                    secure: secure.next(),
                    unix: unix.next(),
                    h3: h3_endpoints.next(),
                };
                let shared = shared.clone();
                let round_hook = round_hook.clone();
                threads.push(spawn_thread(index, move || {
                    per_core_worker(shared, listeners, round_hook)
                })?);
            }
        } else {
            let executor = Arc::new(Executor::new());
            let listeners = Listeners {
                plain: plain.next(),
                secure: secure.next(),
                unix: unix.next(),
                h3: None,
            };
            if let Some((socket, quic)) = h3_endpoints.next() {
                executor
                    .spawn(h3::serve(socket, shared.clone(), quic))
                    .detach();
            }
            let (registered, unix) = listeners.register().map_err(|source| ServerError::Io {
                what: "registering the listeners".into(),
                source,
            })?;
            if let Some(listener) = unix {
                let transport = unix_transport(&shared.config);
                executor
                    .spawn(serve_on_shared(listener, transport, &executor, &shared))
                    .detach();
            }
            for (listener, transport) in registered {
                executor
                    .spawn(serve_on_shared(listener, transport, &executor, &shared))
                    .detach();
            }
            for index in 0..workers {
                let shared = shared.clone();
                let executor = executor.clone();
                threads.push(spawn_thread(index, move || {
                    shared_worker(shared, executor)
                })?);
            }
        }
        Ok(RunningServer {
            addr,
            tls_addr,
            h3_addr,
            shared,
            threads,
        })
    }
}

impl RunningServer {
    /// The cleartext listener's address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// The TLS listener's address.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// The HTTP/3 (UDP) listener's address.
    pub fn h3_local_addr(&self) -> Option<SocketAddr> {
        self.h3_addr
    }

    /// A handle that can stop the server from another thread or task.
    pub fn handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shared.clone())
    }

    /// Starts a graceful shutdown (see [`ShutdownHandle::shutdown`]).
    pub fn shutdown(&self) {
        self.shared.shutdown.raise();
    }

    /// Waits until every worker has stopped: after a shutdown, when all
    /// connections are closed or the shutdown timeout has passed.
    pub fn join(self) {
        for thread in self.threads {
            // A worker that panicked has already lost its connections;
            // there is nothing further to recover here.
            let _ = thread.join();
        }
    }
}

/// Blocks the calling thread until SIGINT or SIGTERM arrives.
pub fn wait_for_signal() -> io::Result<()> {
    use async_signal::{Signal, Signals};
    let mut signals = Signals::new([Signal::Int, Signal::Term])?;
    smol::block_on(async {
        let signal = futures_lite::StreamExt::next(&mut signals).await;
        tracing::info!(?signal, "shutting down");
    });
    Ok(())
}

/// The listeners one worker accepts on.
struct Listeners {
    plain: Option<TcpListener>,
    secure: Option<TcpListener>,
    /// A Unix domain socket, served in cleartext.
    unix: Option<UnixListener>,
    /// The worker's HTTP/3 socket and its QUIC configuration.
    h3: Option<(std::net::UdpSocket, Arc<quinn_proto::ServerConfig>)>,
}

impl Listeners {
    /// The listeners registered with the reactor, with their transports, and
    /// the Unix one.
    #[allow(clippy::type_complexity)]
    fn register(
        self,
    ) -> io::Result<(
        Vec<(Async<TcpListener>, Transport)>,
        Option<Async<UnixListener>>,
    )> {
        let mut registered = Vec::with_capacity(2);
        for (listener, transport) in [
            (self.plain, Transport::Plain),
            (self.secure, Transport::Tls),
        ] {
            if let Some(listener) = listener {
                registered.push((Async::new(listener)?, transport));
            }
        }
        let unix = self.unix.map(Async::new).transpose()?;
        Ok((registered, unix))
    }
}

fn bind_set(
    addr: Option<SocketAddr>,
    count: usize,
    backlog: u32,
) -> Result<Vec<TcpListener>, ServerError> {
    let Some(mut addr) = addr else {
        return Ok(Vec::new());
    };
    let mut listeners = Vec::with_capacity(count);
    for _ in 0..count {
        let listener =
            listener::bind(addr, count > 1, backlog).map_err(|source| ServerError::Io {
                what: format!("binding {addr}"),
                source,
            })?;
        if addr.port() == 0 {
            addr = listener.local_addr().map_err(|source| ServerError::Io {
                what: "reading the bound address".into(),
                source,
            })?;
        }
        listeners.push(listener);
    }
    Ok(listeners)
}

/// The default fields of responses over TLS: `defaults`, plus `Alt-Svc` naming the
/// HTTP/3 port when there is one (RFC 7838 §3; `h3` is HTTP/3's ALPN identifier, RFC
/// 9114 §3.1), so that a client that came over TCP can move to QUIC; it may keep using
/// it for a day (`ma`, in seconds).
fn alt_svc(defaults: &ResponseDefaults, h3: Option<SocketAddr>) -> ResponseDefaults {
    let mut defaults = defaults.clone();
    if let Some(h3) = h3 {
        let value = format!("h3=\":{}\"; ma=86400", h3.port());
        defaults
            .fields
            .push((Bytes::from_static(b"alt-svc"), Bytes::from(value)));
    }
    defaults
}

/// The HTTP/3 sockets: `count` on the same address (the first resolves port 0).
fn bind_udp_set(
    addr: Option<SocketAddr>,
    count: usize,
) -> Result<Vec<std::net::UdpSocket>, ServerError> {
    let Some(mut addr) = addr else {
        return Ok(Vec::new());
    };
    let mut sockets = Vec::with_capacity(count);
    for _ in 0..count {
        let socket = h3::bind(addr, count > 1).map_err(|source| ServerError::Io {
            what: format!("binding {addr} (UDP)"),
            source,
        })?;
        if addr.port() == 0 {
            addr = socket.local_addr().map_err(|source| ServerError::Io {
                what: "reading the bound address".into(),
                source,
            })?;
        }
        sockets.push(socket);
    }
    Ok(sockets)
}

fn local_addr(listeners: &[TcpListener]) -> Result<Option<SocketAddr>, ServerError> {
    listeners
        .first()
        .map(TcpListener::local_addr)
        .transpose()
        .map_err(|source| ServerError::Io {
            what: "reading the bound address".into(),
            source,
        })
}

fn spawn_thread(
    index: usize,
    body: impl FnOnce() + Send + 'static,
) -> Result<JoinHandle<()>, ServerError> {
    std::thread::Builder::new()
        .name(format!("weft-worker-{index}"))
        .spawn(body)
        .map_err(|source| ServerError::Io {
            what: "starting a worker thread".into(),
            source,
        })
}

/// A per-core worker: its own executor, its own listeners, its own reactor
/// (`runtime`), so nothing a connection does touches another thread.
fn per_core_worker(shared: Arc<Shared>, listeners: Listeners, round_hook: Option<RoundHook>) {
    let executor = Rc::new(LocalExecutor::new());
    let run = executor.run(async {
        let Some(reactor) = runtime::current() else {
            return;
        };
        if let Some((socket, quic)) = listeners.h3 {
            executor
                .spawn(h3::serve(socket, shared.clone(), quic))
                .detach();
        }
        for (listener, transport) in [
            (listeners.plain, Transport::Plain),
            (listeners.secure, Transport::Tls),
        ] {
            let Some(listener) = listener else { continue };
            let listener = match EtListener::new(listener, &reactor) {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::error!(%error, "registering a listener");
                    shared.shutdown.raise();
                    return;
                }
            };
            serve_on_local(listener, transport, &executor, &shared);
        }
        // On smol's reactor, not the worker's own: that one speaks TCP only, and
        // a Unix socket is for local clients that care less for the last
        // system call.
        if let Some(listener) = listeners.unix {
            let listener = match Async::new(listener) {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::error!(%error, "registering the Unix listener");
                    shared.shutdown.raise();
                    return;
                }
            };
            serve_on_local(listener, unix_transport(&shared.config), &executor, &shared);
        }
        shared.shutdown.wait().await;
        drain(&shared, || executor.is_empty()).await;
    });
    if let Err(error) = runtime::block_on(run, round_hook.as_deref()) {
        tracing::error!(%error, "worker reactor failed");
    }
}

/// What the Unix listener speaks.
fn unix_transport(config: &ServerConfig) -> Transport {
    if config.unix_tls {
        Transport::Tls
    } else {
        Transport::Plain
    }
}

/// Accepts on `listener` until shutdown and serves each connection as a task
/// of this worker's executor, so that it never leaves the worker's thread.
fn serve_on_local<L: Accept + 'static>(
    listener: L,
    transport: Transport,
    executor: &Rc<LocalExecutor<'static>>,
    shared: &Arc<Shared>,
) {
    let spawner = executor.clone();
    let spawn_shared = shared.clone();
    let spawn = move |stream, peer, permit| {
        let serve = conn::serve(stream, peer, transport, spawn_shared.clone(), permit);
        spawner.spawn(serve).detach();
    };
    executor
        .spawn(accept_loop(listener, shared.clone(), spawn))
        .detach();
}

/// A thread of the shared executor.
fn shared_worker(shared: Arc<Shared>, executor: Arc<Executor<'static>>) {
    smol::block_on(executor.run(async {
        shared.shutdown.wait().await;
        drain(&shared, || executor.is_empty()).await;
    }));
}

/// Accepts on `listener` until shutdown, serving each connection as a task of
/// the shared executor, which any worker thread may run.
///
/// Returned rather than spawned: whether the accepting future may move between
/// threads depends on the concrete listener's `accept`, which only the caller
/// can name.
fn serve_on_shared<L>(
    listener: L,
    transport: Transport,
    executor: &Arc<Executor<'static>>,
    shared: &Arc<Shared>,
) -> impl Future<Output = ()> + use<L>
where
    L: Accept,
    L::Stream: Send,
{
    let spawner = executor.clone();
    let spawn_shared = shared.clone();
    let spawn = move |stream, peer, permit| {
        let serve = conn::serve(stream, peer, transport, spawn_shared.clone(), permit);
        spawner.spawn(serve).detach();
    };
    accept_loop(listener, shared.clone(), spawn)
}

/// After a shutdown: waits until no task is left (connections finished)
/// or the shutdown timeout has passed; the executor drops what remains.
async fn drain(shared: &Shared, is_empty: impl Fn() -> bool) {
    let deadline = clock::now() + shared.config.timeouts.shutdown;
    while !is_empty() && clock::now() < deadline {
        Timer::after(Duration::from_millis(10)).await;
    }
}

/// A listening socket on either reactor.
trait Accept {
    /// What it accepts.
    type Stream: Accepted;
    /// The next connection, and the peer's address if it has one.
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Stream, Option<SocketAddr>)>>;
}

impl Accept for Async<TcpListener> {
    type Stream = Async<TcpStream>;
    async fn accept(&self) -> io::Result<(Self::Stream, Option<SocketAddr>)> {
        let (stream, peer) = Async::<TcpListener>::accept(self).await?;
        Ok((stream, Some(peer)))
    }
}

impl Accept for EtListener {
    type Stream = EtStream;
    async fn accept(&self) -> io::Result<(Self::Stream, Option<SocketAddr>)> {
        let (stream, peer) = EtListener::accept(self).await?;
        Ok((stream, Some(peer)))
    }
}

/// A Unix domain socket's peer is usually unnamed: there is no address to give.
impl Accept for Async<UnixListener> {
    type Stream = Async<UnixStream>;
    async fn accept(&self) -> io::Result<(Self::Stream, Option<SocketAddr>)> {
        let (stream, _) = Async::<UnixListener>::accept(self).await?;
        Ok((stream, None))
    }
}

/// Accepts until shutdown, handing each connection to `spawn`. A connection
/// permit is taken *before* accepting, so at `max_connections` new clients
/// wait in the kernel backlog.
async fn accept_loop<L: Accept>(
    listener: L,
    shared: Arc<Shared>,
    spawn: impl Fn(L::Stream, Option<SocketAddr>, SemaphoreGuardArc),
) {
    let stopped = shared.shutdown.subscribe();
    loop {
        let permit = shared.connections.acquire_arc();
        let accepted = futures_lite::future::or(
            async {
                let permit = permit.await;
                Some((permit, listener.accept().await))
            },
            async {
                let _ = stopped.recv().await;
                None
            },
        )
        .await;
        let Some((permit, accepted)) = accepted else {
            return;
        };
        match accepted {
            Ok((stream, peer)) => spawn(stream, peer, permit),
            Err(error) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                Timer::after(Duration::from_millis(50)).await;
            }
        }
    }
}
