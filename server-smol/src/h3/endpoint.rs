//! One UDP socket and quinn-proto's `Endpoint` over it: datagrams in, each to its
//! connection (by connection ID, which quinn-proto reads), transmits out (a batch of
//! datagrams per system call where the kernel segments them, see `socket.rs`), and one
//! timer for the earliest deadline of all the connections.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use quinn_proto::{ConnectionHandle, DatagramEvent, EndpointConfig, ServerConfig, Transmit};
use socket2::{Domain, Protocol, Socket, Type};

use super::conn::{Conn, WakeList};
use super::socket::{Datagram, UdpIo};
use crate::clock;
use crate::context::Shared;
use crate::runtime::Timer;

/// Datagrams read in one go before the connections get a turn.
const READ_BATCH: usize = 64;

/// The most a transmit of quinn-proto may hold: `max_segments` datagrams of at most
/// this size each (quinn-proto's largest UDP payload).
const MAX_SEGMENT: usize = 1_472;

/// Binds a UDP socket HTTP/3 listens on; with `reuse_port`, one of several on the same
/// address (`SO_REUSEPORT`), among which the kernel picks by the datagram's addresses and
/// ports, so every packet of a connection reaches the same socket while the client's
/// address stays the same.
pub(crate) fn bind(addr: SocketAddr, reuse_port: bool) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// Serves HTTP/3 on `socket` until shutdown, then until the last connection closed.
pub(crate) async fn serve(socket: UdpSocket, shared: Arc<Shared>, config: Arc<ServerConfig>) {
    let socket = match UdpIo::new(socket, shared.config.udp_offload) {
        Ok(socket) => socket,
        Err(error) => {
            tracing::error!(%error, "registering the HTTP/3 socket");
            return;
        }
    };
    let stopped = shared.shutdown.subscribe();
    let mut endpoint = Endpoint {
        socket,
        quic: quinn_proto::Endpoint::new(
            Arc::new(EndpointConfig::default()),
            Some(config),
            true,
            None,
        ),
        conns: HashMap::new(),
        wake: Arc::new(WakeList::default()),
        send_buf: Vec::new(),
        reply_buf: Vec::new(),
        blocked: None,
        timer: Timer::never(),
        timer_at: None,
        shutdown: Some(Box::pin(async move {
            let _ = stopped.recv().await;
        })),
        stopping: false,
        shared,
    };
    poll_fn(|cx| endpoint.poll(cx)).await;
}

struct Endpoint {
    socket: UdpIo,
    quic: quinn_proto::Endpoint,
    conns: HashMap<ConnectionHandle, Conn>,
    wake: Arc<WakeList>,
    send_buf: Vec<u8>,
    /// A transmit the full socket buffer did not take, still in `send_buf`: it goes
    /// first once the socket is writable, and no connection sends before it.
    blocked: Option<Transmit>,
    reply_buf: Vec<u8>,
    timer: Timer,
    timer_at: Option<Instant>,
    shutdown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    stopping: bool,
    shared: Arc<Shared>,
}

impl Endpoint {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.wake.register(cx.waker());
        loop {
            let now = clock::precise_now();
            if !self.stopping && self.shutdown_requested(cx) {
                self.stopping = true;
                for conn in self.conns.values_mut() {
                    conn.shutdown(now);
                }
            }
            let mut progressed = self.read_datagrams(now, cx);
            for (handle, stream) in self.wake.take() {
                if let Some(conn) = self.conns.get_mut(&handle) {
                    conn.woken(stream);
                    progressed = true;
                }
            }
            progressed |= self.drive_connections(now, cx);
            if self.stopping && self.conns.is_empty() {
                return Poll::Ready(());
            }
            if self.poll_timer(cx) {
                continue;
            }
            if !progressed {
                return Poll::Pending;
            }
        }
    }

    /// Reads datagrams until the socket is empty (or a batch is done); true if any.
    fn read_datagrams(&mut self, now: Instant, cx: &mut Context<'_>) -> bool {
        let mut read = 0;
        while read < READ_BATCH {
            match self.socket.poll_recv(cx) {
                Poll::Ready(Ok(datagram)) => {
                    read += 1;
                    self.on_datagram(now, datagram);
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                // An ICMP error for an earlier datagram, reported on this one.
                Poll::Ready(Err(error)) => {
                    tracing::debug!(%error, "reading the HTTP/3 socket");
                    read += 1;
                }
                Poll::Pending => break,
            }
        }
        read > 0
    }

    fn on_datagram(&mut self, now: Instant, datagram: Datagram) {
        let Datagram {
            from,
            local_ip,
            ecn,
            data,
        } = datagram;
        // Answers of the endpoint itself (a version negotiation, a retry, a stateless
        // reset, a refusal) are written to their own buffer: `send_buf` may hold a
        // transmit that waits for the socket.
        self.reply_buf.clear();
        let event = self
            .quic
            .handle(now, from, local_ip, ecn, data, &mut self.reply_buf);
        match event {
            Some(DatagramEvent::ConnectionEvent(handle, event)) => {
                if let Some(conn) = self.conns.get_mut(&handle) {
                    conn.quic.handle_event(event);
                }
            }
            Some(DatagramEvent::NewConnection(incoming)) => {
                self.reply_buf.clear();
                if self.stopping {
                    let transmit = self.quic.refuse(incoming, &mut self.reply_buf);
                    self.reply(&transmit);
                    return;
                }
                match self.quic.accept(incoming, now, &mut self.reply_buf, None) {
                    Ok((handle, quic)) => {
                        let conn = Conn::new(quic, handle, self.shared.clone(), self.wake.clone());
                        self.conns.insert(handle, conn);
                    }
                    Err(error) => {
                        tracing::debug!(cause = %error.cause, "refusing a QUIC connection");
                        if let Some(transmit) = error.response {
                            self.reply(&transmit);
                        }
                    }
                }
            }
            Some(DatagramEvent::Response(transmit)) => self.reply(&transmit),
            None => {}
        }
    }

    /// Runs every connection, exchanges their endpoint events and sends what they
    /// produce, as many datagrams per system call as the socket takes; forgets the
    /// drained ones. True if anything happened.
    fn drive_connections(&mut self, now: Instant, cx: &mut Context<'_>) -> bool {
        let mut progressed = self.send_blocked(cx);
        let mut drained = Vec::new();
        for (&handle, conn) in &mut self.conns {
            progressed |= conn.drive(now);
            while let Some(event) = conn.quic.poll_endpoint_events() {
                progressed = true;
                if let Some(event) = self.quic.handle_event(handle, event) {
                    conn.quic.handle_event(event);
                }
            }
            while self.blocked.is_none() {
                let segments = self.socket.max_segments();
                self.send_buf.clear();
                self.send_buf.reserve(segments * MAX_SEGMENT);
                let Some(transmit) = conn.quic.poll_transmit(now, segments, &mut self.send_buf)
                else {
                    break;
                };
                progressed = true;
                if let Err(error) = self.socket.send(&transmit, &self.send_buf) {
                    debug_assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
                    self.blocked = Some(transmit);
                }
            }
            if conn.is_drained() {
                drained.push(handle);
            }
        }
        for handle in drained {
            self.conns.remove(&handle);
        }
        if self.blocked.is_some() {
            // Registers the wake-up for when the socket drains.
            progressed |= self.send_blocked(cx);
        }
        progressed
    }

    /// Sends the transmit the socket refused last time, once it is writable; true if
    /// it went out.
    fn send_blocked(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(transmit) = self.blocked.take() else {
            return false;
        };
        loop {
            match self.socket.send(&transmit, &self.send_buf) {
                Ok(()) => return true,
                Err(_) => {
                    if self.socket.poll_writable(cx).is_pending() {
                        self.blocked = Some(transmit);
                        return false;
                    }
                }
            }
        }
    }

    /// Sends an answer of the endpoint itself; dropped if the socket is full, as the
    /// network may drop it.
    fn reply(&mut self, transmit: &Transmit) {
        let _ = self.socket.send(transmit, &self.reply_buf);
    }

    /// Fires the connections' timers when the earliest is due; true if it did.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.conns.values_mut().filter_map(Conn::poll_timeout).min() else {
            return false;
        };
        if self.timer_at != Some(deadline) {
            self.timer.set_at(deadline);
            self.timer_at = Some(deadline);
        }
        if Pin::new(&mut self.timer).poll(cx).is_pending() {
            return false;
        }
        self.timer_at = None;
        let now = clock::precise_now();
        for conn in self.conns.values_mut() {
            if conn.poll_timeout().is_some_and(|at| at <= now) {
                conn.handle_timeout(now);
            }
        }
        true
    }

    fn shutdown_requested(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(signal) = self.shutdown.as_mut() else {
            return true;
        };
        if signal.as_mut().poll(cx).is_ready() {
            self.shutdown = None;
            return true;
        }
        false
    }
}
