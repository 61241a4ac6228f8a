//! One UDP socket and quinn-proto's `Endpoint` over it: datagrams in, each to its
//! connection (by connection ID, which quinn-proto reads), transmits out, and one
//! timer for the earliest deadline of all the connections.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;
use quinn_proto::{ConnectionHandle, DatagramEvent, EndpointConfig, ServerConfig, Transmit};
use smol::Async;
use socket2::{Domain, Protocol, Socket, Type};

use super::conn::{Conn, WakeList};
use crate::clock;
use crate::context::Shared;
use crate::runtime::Timer;

/// The largest UDP payload we read (a datagram never exceeds it; GRO is not used).
const MAX_DATAGRAM: usize = 65_535;

/// Datagrams read in one go before the connections get a turn.
const READ_BATCH: usize = 64;

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
    let socket = match Async::new(socket) {
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
        recv_buf: vec![0; MAX_DATAGRAM],
        send_buf: Vec::with_capacity(MAX_DATAGRAM),
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
    socket: Async<UdpSocket>,
    quic: quinn_proto::Endpoint,
    conns: HashMap<ConnectionHandle, Conn>,
    wake: Arc<WakeList>,
    recv_buf: Vec<u8>,
    send_buf: Vec<u8>,
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
            progressed |= self.drive_connections(now);
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
            match self.socket.get_ref().recv_from(&mut self.recv_buf) {
                Ok((n, from)) => {
                    read += 1;
                    self.on_datagram(now, from, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.socket.poll_readable(cx).is_ready() {
                        continue;
                    }
                    break;
                }
                // An ICMP error for an earlier datagram, reported on this one.
                Err(error) => {
                    tracing::debug!(%error, "reading the HTTP/3 socket");
                    read += 1;
                }
            }
        }
        read > 0
    }

    fn on_datagram(&mut self, now: Instant, from: SocketAddr, len: usize) {
        let data = BytesMut::from(&self.recv_buf[..len]);
        self.send_buf.clear();
        let event = self
            .quic
            .handle(now, from, None, None, data, &mut self.send_buf);
        match event {
            Some(DatagramEvent::ConnectionEvent(handle, event)) => {
                if let Some(conn) = self.conns.get_mut(&handle) {
                    conn.quic.handle_event(event);
                }
            }
            Some(DatagramEvent::NewConnection(incoming)) => {
                if self.stopping {
                    self.send_buf.clear();
                    let transmit = self.quic.refuse(incoming, &mut self.send_buf);
                    self.send(&transmit);
                    return;
                }
                self.send_buf.clear();
                match self.quic.accept(incoming, now, &mut self.send_buf, None) {
                    Ok((handle, quic)) => {
                        let conn = Conn::new(quic, handle, self.shared.clone(), self.wake.clone());
                        self.conns.insert(handle, conn);
                    }
                    Err(error) => {
                        tracing::debug!(cause = %error.cause, "refusing a QUIC connection");
                        if let Some(transmit) = error.response {
                            self.send(&transmit);
                        }
                    }
                }
            }
            Some(DatagramEvent::Response(transmit)) => self.send(&transmit),
            None => {}
        }
    }

    /// Runs every connection, exchanges their endpoint events and sends what they
    /// produce; forgets the drained ones. True if anything happened.
    fn drive_connections(&mut self, now: Instant) -> bool {
        let mut progressed = false;
        let mut drained = Vec::new();
        for (&handle, conn) in &mut self.conns {
            progressed |= conn.drive(now);
            while let Some(event) = conn.quic.poll_endpoint_events() {
                progressed = true;
                if let Some(event) = self.quic.handle_event(handle, event) {
                    conn.quic.handle_event(event);
                }
            }
            loop {
                self.send_buf.clear();
                let Some(transmit) = conn.quic.poll_transmit(now, 1, &mut self.send_buf) else {
                    break;
                };
                progressed = true;
                send_to(&self.socket, &self.send_buf, &transmit);
            }
            if conn.is_drained() {
                drained.push(handle);
            }
        }
        for handle in drained {
            self.conns.remove(&handle);
        }
        progressed
    }

    fn send(&self, transmit: &Transmit) {
        send_to(&self.socket, &self.send_buf, transmit);
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

/// Sends one datagram. A full socket buffer drops it, as the network may: QUIC
/// retransmits what was lost (RFC 9002).
fn send_to(socket: &Async<UdpSocket>, buf: &[u8], transmit: &Transmit) {
    let Some(data) = buf.get(..transmit.size) else {
        return;
    };
    if let Err(error) = socket.get_ref().send_to(data, transmit.destination) {
        tracing::trace!(%error, "sending a datagram");
    }
}
