//! A blocking QUIC client for the HTTP/3 cases: quinn-proto's sans-IO state machine
//! driven from one UDP socket on the case's own thread.
//!
//! It knows nothing of HTTP/3. A case opens streams and writes whatever octets it
//! likes on them (that is the point: it must be able to send what a correct client
//! never would), and reads back what the server did: the octets and ends of the
//! streams, the codes of RESET_STREAM and STOP_SENDING, and how the connection ended.

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use quinn_proto::crypto::rustls::QuicClientConfig;
use quinn_proto::{
    ClientConfig, ConnectionError, ConnectionHandle, DatagramEvent, Dir, Endpoint, EndpointConfig,
    Event, ReadError, StreamEvent, StreamId, VarInt,
};

use crate::transport;

/// The largest UDP payload (RFC 768: a 16-bit length).
const MAX_DATAGRAM: usize = 65_535;

/// How the connection ended, when it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Closed {
    /// The server sent CONNECTION_CLOSE with this application error code
    /// (RFC 9000 §19.19, frame type 0x1d): HTTP/3's connection errors.
    Application(u64),
    /// Anything else: a transport error, an idle timeout, a reset.
    Other(String),
}

/// What the server sent on one stream.
#[derive(Debug, Default)]
pub(crate) struct Incoming {
    /// The stream's octets so far, in order.
    pub(crate) data: Vec<u8>,
    /// The server ended the stream cleanly.
    pub(crate) fin: bool,
    /// The server reset the stream with this code (RFC 9000 §19.4).
    pub(crate) reset: Option<u64>,
}

/// One QUIC connection to the target, and its socket.
pub(crate) struct Quic {
    socket: UdpSocket,
    endpoint: Endpoint,
    handle: ConnectionHandle,
    conn: quinn_proto::Connection,
    connected: bool,
    /// Set once the connection is over.
    pub(crate) closed: Option<Closed>,
    /// Streams the server wrote on: its own unidirectional streams and our bidirectional ones.
    pub(crate) incoming: HashMap<StreamId, Incoming>,
    /// The server's unidirectional streams, in the order they opened.
    pub(crate) peer_uni: Vec<StreamId>,
    /// STOP_SENDING codes the server sent for our streams (RFC 9000 §19.5).
    pub(crate) stopped: HashMap<StreamId, u64>,
    /// Writes that flow control has not let through yet, per stream, with their FIN.
    unsent: HashMap<StreamId, VecDeque<(Bytes, bool)>>,
    /// The datagram being sent.
    datagram: Vec<u8>,
    /// The datagram being received.
    received: Vec<u8>,
}

impl std::fmt::Debug for Quic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quic")
            .field("connected", &self.connected)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Quic {
    /// Connects and completes the handshake (TLS 1.3 with `tls`'s ALPN) within `timeout`.
    pub(crate) fn connect(
        addr: SocketAddr,
        server_name: &str,
        tls: rustls::ClientConfig,
        timeout: Duration,
    ) -> Result<Self, String> {
        let quic_tls = QuicClientConfig::try_from(tls).map_err(|err| err.to_string())?;
        let config = ClientConfig::new(Arc::new(quic_tls));
        let local: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0".parse().map_err(|_| "address")?
        } else {
            "[::]:0".parse().map_err(|_| "address")?
        };
        let socket = UdpSocket::bind(local).map_err(|err| format!("bind: {err}"))?;
        let mut endpoint = Endpoint::new(Arc::new(EndpointConfig::default()), None, true, None);
        let (handle, conn) = endpoint
            .connect(transport::now(), config, addr, server_name)
            .map_err(|err| format!("connect: {err}"))?;
        let mut quic = Self {
            socket,
            endpoint,
            handle,
            conn,
            connected: false,
            closed: None,
            incoming: HashMap::new(),
            peer_uni: Vec::new(),
            stopped: HashMap::new(),
            unsent: HashMap::new(),
            datagram: Vec::with_capacity(MAX_DATAGRAM),
            received: vec![0; MAX_DATAGRAM],
        };
        quic.wait(timeout, |q| q.connected);
        match (&quic.closed, quic.connected) {
            (_, true) => Ok(quic),
            (Some(closed), false) => Err(format!("handshake: {closed:?}")),
            (None, false) => Err("handshake timed out".into()),
        }
    }

    /// Opens a stream, waiting (within `timeout`) for the server to allow one more.
    pub(crate) fn open(&mut self, dir: Dir, timeout: Duration) -> Result<StreamId, String> {
        let deadline = transport::now() + timeout;
        loop {
            if let Some(id) = self.conn.streams().open(dir) {
                return Ok(id);
            }
            if self.closed.is_some() || transport::now() >= deadline {
                return Err(format!("the server allows no more {dir:?} streams"));
            }
            self.step(deadline);
        }
    }

    /// Queues `data` (and the stream's end, with `fin`) on stream `id` and sends what
    /// flow control allows now; the rest goes out as credit arrives.
    pub(crate) fn write(&mut self, id: StreamId, data: impl Into<Bytes>, fin: bool) {
        self.unsent
            .entry(id)
            .or_default()
            .push_back((data.into(), fin));
        self.flush(id);
        self.transmit();
    }

    /// Resets our sending side of `id` with `code` (RFC 9000 §19.4).
    pub(crate) fn reset(&mut self, id: StreamId, code: u64) {
        self.unsent.remove(&id);
        let _ = self
            .conn
            .send_stream(id)
            .reset(VarInt::from_u64(code).unwrap_or(VarInt::MAX));
        self.transmit();
    }

    /// Drives the connection until `done` holds, the connection ends, or `timeout`
    /// passes; returns whether `done` held.
    pub(crate) fn wait(&mut self, timeout: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let deadline = transport::now() + timeout;
        loop {
            if done(self) {
                return true;
            }
            if self.closed.is_some() || transport::now() >= deadline {
                return false;
            }
            self.step(deadline);
        }
    }

    /// Drives the connection for `duration` whatever happens (to let the server act).
    pub(crate) fn pause(&mut self, duration: Duration) {
        self.wait(duration, |_| false);
    }

    /// Closes the connection with H3_NO_ERROR and sends the close.
    pub(crate) fn close(&mut self) {
        if self.closed.is_none() {
            self.conn
                .close(transport::now(), VarInt::from_u32(0x100), Bytes::new());
            self.transmit();
        }
    }

    /// One round: send what is due, wait for a datagram or the next timer (at most
    /// until `deadline`), take it in, and collect the events it caused.
    fn step(&mut self, deadline: Instant) {
        self.transmit();
        let now = transport::now();
        let mut wake = deadline;
        if let Some(timer) = self.conn.poll_timeout() {
            wake = wake.min(timer);
        }
        let wait = wake
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        let _ = self.socket.set_read_timeout(Some(wait));
        let mut buf = std::mem::take(&mut self.received);
        match self.socket.recv_from(&mut buf) {
            Ok((n, from)) => self.datagram(from, &buf[..n]),
            Err(_) => {
                let now = transport::now();
                if self.conn.poll_timeout().is_some_and(|t| t <= now) {
                    self.conn.handle_timeout(now);
                }
            }
        }
        // Whatever else already waits in the socket, without blocking.
        let _ = self.socket.set_nonblocking(true);
        while let Ok((n, from)) = self.socket.recv_from(&mut buf) {
            self.datagram(from, &buf[..n]);
        }
        let _ = self.socket.set_nonblocking(false);
        self.received = buf;
        self.events();
        self.transmit();
    }

    fn datagram(&mut self, from: SocketAddr, bytes: &[u8]) {
        let mut response = Vec::new();
        match self.endpoint.handle(
            transport::now(),
            from,
            None,
            None,
            BytesMut::from(bytes),
            &mut response,
        ) {
            Some(DatagramEvent::ConnectionEvent(handle, event)) if handle == self.handle => {
                self.conn.handle_event(event);
            }
            Some(DatagramEvent::Response(transmit)) => {
                let _ = self
                    .socket
                    .send_to(&response[..transmit.size], transmit.destination);
            }
            _ => {}
        }
    }

    fn events(&mut self) {
        while let Some(event) = self.conn.poll() {
            match event {
                Event::Connected => self.connected = true,
                Event::ConnectionLost { reason } => {
                    self.closed = Some(match reason {
                        ConnectionError::ApplicationClosed(close) => {
                            Closed::Application(close.error_code.into_inner())
                        }
                        other => Closed::Other(other.to_string()),
                    });
                }
                Event::Stream(StreamEvent::Opened { dir: Dir::Uni }) => {
                    while let Some(id) = self.conn.streams().accept(Dir::Uni) {
                        self.peer_uni.push(id);
                        self.read(id);
                    }
                }
                Event::Stream(StreamEvent::Readable { id }) => self.read(id),
                Event::Stream(StreamEvent::Stopped { id, error_code }) => {
                    self.stopped.insert(id, error_code.into_inner());
                    self.unsent.remove(&id);
                }
                Event::Stream(StreamEvent::Writable { id }) => self.flush(id),
                _ => {}
            }
        }
        while let Some(event) = self.conn.poll_endpoint_events() {
            if let Some(event) = self.endpoint.handle_event(self.handle, event) {
                self.conn.handle_event(event);
            }
        }
    }

    fn read(&mut self, id: StreamId) {
        let incoming = self.incoming.entry(id).or_default();
        let mut stream = self.conn.recv_stream(id);
        let Ok(mut chunks) = stream.read(true) else {
            return;
        };
        loop {
            match chunks.next(usize::MAX) {
                Ok(Some(chunk)) => incoming.data.extend_from_slice(&chunk.bytes),
                Ok(None) => {
                    incoming.fin = true;
                    break;
                }
                Err(ReadError::Reset(code)) => {
                    incoming.reset = Some(code.into_inner());
                    break;
                }
                Err(ReadError::Blocked) => break,
            }
        }
        let _ = chunks.finalize();
    }

    fn flush(&mut self, id: StreamId) {
        let Some(queue) = self.unsent.get_mut(&id) else {
            return;
        };
        while let Some((data, fin)) = queue.front_mut() {
            if !data.is_empty() {
                match self
                    .conn
                    .send_stream(id)
                    .write_chunks(std::slice::from_mut(data))
                {
                    Ok(_) if data.is_empty() => {}
                    Ok(_) | Err(_) => return,
                }
            }
            if *fin {
                let _ = self.conn.send_stream(id).finish();
            }
            queue.pop_front();
        }
        self.unsent.remove(&id);
    }

    fn transmit(&mut self) {
        loop {
            self.datagram.clear();
            let Some(transmit) = self
                .conn
                .poll_transmit(transport::now(), 1, &mut self.datagram)
            else {
                break;
            };
            let _ = self
                .socket
                .send_to(&self.datagram[..transmit.size], transmit.destination);
        }
    }
}
