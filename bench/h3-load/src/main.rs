//! `h3-load ADDR CONNECTIONS STREAMS SECONDS [PATH [WARM_UP_SECONDS]]`: keeps STREAMS
//! GET requests in flight on each of CONNECTIONS HTTP/3 connections for SECONDS after a
//! warm-up (1 s by default), then prints `requests/s` and `MB/s` of response bodies. One thread and one UDP socket, driven the
//! sans-IO way: quinn-proto for QUIC, http3-proto (client role) for HTTP/3, so the load
//! generator exercises the same crate as the server it loads, from the other side.
//!
//! It does not verify the server's certificate: it loads a local test server.

use std::collections::HashMap;
use std::io::IoSliceMut;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http3_proto::{Config, Connection as H3, Event as H3Event, Header, StreamId, Target, Transmit};
use quinn_proto::crypto::rustls::QuicClientConfig;
use quinn_proto::{
    ClientConfig, ConnectionHandle, DatagramEvent, Dir, Endpoint, EndpointConfig, Event, ReadError,
    StreamEvent, VarInt,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use quinn_udp::{RecvMeta, UdpSocketState};

/// Socket buffers asked for: the default (about 200 KiB) overflows during a fast
/// download, and each datagram it drops is a loss the server's congestion control
/// answers by halving its window, which would measure the client, not the server.
const SOCKET_BUFFER: usize = 4 * 1024 * 1024;

/// QUIC's stream receive window, quinn-proto's default (1.25 MB).
const STREAM_WINDOW: u32 = 1_250_000;

/// The largest datagram quinn-proto sends by default; a GRO buffer holds up to 64.
const MAX_QUIC_DATAGRAM: usize = 1_472;

#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn client_config() -> ClientConfig {
    // The same provider as the server's (ring), whatever rustls now prefers.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h3".to_vec()];
    let mut config = ClientConfig::new(Arc::new(
        QuicClientConfig::try_from(tls).expect("QUIC suite"),
    ));
    let mut transport = quinn_proto::TransportConfig::default();
    transport.stream_receive_window(VarInt::from_u32(STREAM_WINDOW));
    config.transport_config(Arc::new(transport));
    config
}

/// One connection: QUIC, HTTP/3 over it, and the streams it maps between them.
struct Conn {
    quic: quinn_proto::Connection,
    h3: Option<H3>,
    uni: HashMap<Target, quinn_proto::StreamId>,
    unsent: HashMap<Target, Vec<(Bytes, bool)>>,
    in_flight: usize,
}

fn quic_id(id: StreamId) -> quinn_proto::StreamId {
    quinn_proto::StreamId::from(VarInt::from_u64(id.0).expect("stream id"))
}

struct Load {
    path: String,
    authority: String,
    streams: usize,
    done: u64,
    body_bytes: u64,
    errors: u64,
    counting: bool,
}

impl Conn {
    fn drive(&mut self, now: Instant, load: &mut Load) {
        loop {
            let mut step = false;
            while let Some(event) = self.quic.poll() {
                step = true;
                match event {
                    Event::Connected => {
                        let mut config = Config::client();
                        // A response whose field section waits for QPACK encoder
                        // instructions (RFC 9204 §2.1.2) may have as much body behind it
                        // as QUIC's stream window lets in: all of it waits, as on the server.
                        config.limits.max_blocked_stream_bytes = STREAM_WINDOW as usize;
                        self.h3 = Some(H3::new(now, config));
                    }
                    Event::Stream(StreamEvent::Readable { id }) => self.read(now, id),
                    Event::Stream(StreamEvent::Opened { dir: Dir::Uni }) => {
                        while let Some(id) = self.quic.streams().accept(Dir::Uni) {
                            self.read(now, id);
                        }
                    }
                    Event::Stream(StreamEvent::Writable { .. } | StreamEvent::Available { .. }) => {
                        let targets: Vec<Target> = self.unsent.keys().copied().collect();
                        for t in targets {
                            self.flush(t);
                        }
                    }
                    Event::ConnectionLost { reason } => {
                        eprintln!("h3-load: connection lost: {reason}");
                        load.errors += 1;
                        self.h3 = None;
                    }
                    _ => {}
                }
            }
            let Some(h3) = self.h3.as_mut() else { return };
            while let Some(event) = h3.poll_event() {
                step = true;
                match event {
                    H3Event::Data {
                        data, end_stream, ..
                    } => {
                        if load.counting {
                            load.body_bytes += data.len() as u64;
                        }
                        if end_stream {
                            self.in_flight -= 1;
                            if load.counting {
                                load.done += 1;
                            }
                        }
                    }
                    H3Event::Headers {
                        end_stream: true, ..
                    } => {
                        self.in_flight -= 1;
                        if load.counting {
                            load.done += 1;
                        }
                    }
                    H3Event::StreamReset { stream, code, by } => {
                        eprintln!("h3-load: stream {} reset by {by:?}: {code:?}", stream.0);
                        self.in_flight -= 1;
                        load.errors += 1;
                    }
                    H3Event::ConnectionLost(error) => {
                        eprintln!("h3-load: HTTP/3 connection lost: {error}");
                        load.errors += 1;
                    }
                    _ => {}
                }
            }
            let h3 = self.h3.as_mut().expect("h3");
            while self.in_flight < load.streams {
                let Some(id) = self.quic.streams().open(Dir::Bi) else {
                    break;
                };
                let id = StreamId(VarInt::from(id).into_inner());
                let request = [
                    Header::new(":method", "GET"),
                    Header::new(":scheme", "https"),
                    Header::new(":authority", load.authority.clone()),
                    Header::new(":path", load.path.clone()),
                ];
                h3.send_headers(id, &request, true).expect("request");
                self.in_flight += 1;
                step = true;
            }
            let mut touched = Vec::new();
            while let Some(t) = h3.poll_transmit() {
                step = true;
                match t {
                    Transmit::Write { stream, data, fin } => {
                        self.unsent.entry(stream).or_default().push((data, fin));
                        touched.push(stream);
                    }
                    Transmit::ResetStream { stream, code } => {
                        let _ = self
                            .quic
                            .send_stream(quic_id(stream))
                            .reset(VarInt::from_u64(code.0).unwrap_or(VarInt::MAX));
                    }
                    Transmit::StopSending { stream, code } => {
                        let _ = self
                            .quic
                            .recv_stream(quic_id(stream))
                            .stop(VarInt::from_u64(code.0).unwrap_or(VarInt::MAX));
                    }
                }
            }
            for t in touched {
                self.flush(t);
            }
            if !step {
                return;
            }
        }
    }

    fn flush(&mut self, target: Target) {
        let id = match target {
            Target::Request(id) => quic_id(id),
            _ => match self.uni.get(&target) {
                Some(&id) => id,
                None => match self.quic.streams().open(Dir::Uni) {
                    Some(id) => *self.uni.entry(target).or_insert(id),
                    None => return,
                },
            },
        };
        let Some(queue) = self.unsent.get_mut(&target) else {
            return;
        };
        let mut sent = 0;
        for (data, fin) in queue.iter_mut() {
            if !data.is_empty() {
                match self
                    .quic
                    .send_stream(id)
                    .write_chunks(std::slice::from_mut(data))
                {
                    Ok(_) if data.is_empty() => {}
                    Ok(_) | Err(_) => break,
                }
            }
            if *fin {
                let _ = self.quic.send_stream(id).finish();
            }
            sent += 1;
        }
        queue.drain(..sent);
        if queue.is_empty() {
            self.unsent.remove(&target);
        }
    }

    fn read(&mut self, now: Instant, id: quinn_proto::StreamId) {
        let Some(h3) = self.h3.as_mut() else { return };
        let stream = StreamId(VarInt::from(id).into_inner());
        let mut recv = self.quic.recv_stream(id);
        let Ok(mut chunks) = recv.read(true) else {
            return;
        };
        let mut fin = false;
        let mut pieces = Vec::new();
        loop {
            match chunks.next(usize::MAX) {
                Ok(Some(chunk)) => pieces.push(chunk.bytes),
                Ok(None) => {
                    fin = true;
                    break;
                }
                Err(ReadError::Blocked) => break,
                Err(ReadError::Reset(code)) => {
                    h3.recv_reset(now, stream, http3_proto::ErrorCode(code.into_inner()));
                    break;
                }
            }
        }
        let _ = chunks.finalize();
        let n = pieces.len();
        for (i, bytes) in pieces.into_iter().enumerate() {
            h3.recv_stream_data(now, stream, bytes, fin && i + 1 == n);
        }
        if fin && n == 0 {
            h3.recv_stream_data(now, stream, Bytes::new(), true);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: h3-load ADDR CONNECTIONS STREAMS SECONDS [PATH [WARM_UP_SECONDS]]");
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1].parse().expect("ADDR");
    let connections: usize = args[2].parse().expect("CONNECTIONS");
    let streams: usize = args[3].parse().expect("STREAMS");
    let seconds: f64 = args[4].parse().expect("SECONDS");
    let path = args.get(5).cloned().unwrap_or_else(|| "/".into());
    let warm_up: f64 = args
        .get(6)
        .map_or(1.0, |s| s.parse().expect("WARM_UP_SECONDS"));
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    // quinn's socket layer: GRO on receive and GSO on send where the kernel has them.
    let udp = UdpSocketState::new((&socket).into()).expect("socket state");
    let _ = udp.set_recv_buffer_size((&socket).into(), SOCKET_BUFFER);
    let _ = udp.set_send_buffer_size((&socket).into(), SOCKET_BUFFER);
    let slot = 65_535.max(udp.gro_segments() * MAX_QUIC_DATAGRAM);
    let batch = 8;
    let mut metas = [RecvMeta::default(); 8];
    let mut endpoint = Endpoint::new(Arc::new(EndpointConfig::default()), None, true, None);
    let mut conns: HashMap<ConnectionHandle, Conn> = HashMap::new();
    let start = Instant::now();
    for _ in 0..connections {
        let (handle, quic) = endpoint
            .connect(start, client_config(), addr, "localhost")
            .expect("connect");
        conns.insert(
            handle,
            Conn {
                quic,
                h3: None,
                uni: HashMap::new(),
                unsent: HashMap::new(),
                in_flight: 0,
            },
        );
    }
    let mut load = Load {
        path,
        authority: addr.to_string(),
        streams,
        done: 0,
        body_bytes: 0,
        errors: 0,
        counting: false,
    };
    // A warm-up (handshakes, QPACK tables), then the measured period.
    let warm = start + Duration::from_secs_f64(warm_up);
    let end = warm + Duration::from_secs_f64(seconds);
    let mut buf = vec![0u8; slot * batch];
    let mut out = Vec::with_capacity(65_535);
    loop {
        let now = Instant::now();
        if !load.counting && now >= warm {
            load.counting = true;
        }
        if now >= end {
            break;
        }
        let mut idle = true;
        for _ in 0..8 {
            let mut bufs: Vec<IoSliceMut<'_>> = buf.chunks_mut(slot).map(IoSliceMut::new).collect();
            let Ok(n) = udp.recv((&socket).into(), &mut bufs, &mut metas) else {
                break;
            };
            idle = false;
            for (meta, b) in metas.iter().zip(bufs.iter()).take(n) {
                for datagram in b[..meta.len].chunks(meta.stride.max(1)) {
                    out.clear();
                    let ecn = meta.ecn.and_then(|e| quinn_proto::EcnCodepoint::from_bits(e as u8));
                    match endpoint.handle(
                        now,
                        meta.addr,
                        meta.dst_ip,
                        ecn,
                        BytesMut::from(datagram),
                        &mut out,
                    ) {
                        Some(DatagramEvent::ConnectionEvent(h, e)) => {
                            if let Some(c) = conns.get_mut(&h) {
                                c.quic.handle_event(e);
                            }
                        }
                        Some(DatagramEvent::Response(t)) => {
                            let _ = socket.send_to(&out[..t.size], t.destination);
                        }
                        _ => {}
                    }
                }
            }
        }
        for (&h, c) in conns.iter_mut() {
            if c.quic.poll_timeout().is_some_and(|t| t <= now) {
                c.quic.handle_timeout(now);
            }
            c.drive(now, &mut load);
            while let Some(e) = c.quic.poll_endpoint_events() {
                if let Some(e) = endpoint.handle_event(h, e) {
                    c.quic.handle_event(e);
                }
            }
            loop {
                out.clear();
                let Some(t) = c.quic.poll_transmit(now, udp.max_gso_segments().min(10), &mut out) else {
                    break;
                };
                idle = false;
                let transmit = quinn_udp::Transmit {
                    destination: t.destination,
                    ecn: t.ecn.and_then(|e| quinn_udp::EcnCodepoint::from_bits(e as u8)),
                    contents: &out[..t.size],
                    segment_size: t.segment_size,
                    src_ip: t.src_ip,
                };
                let _ = udp.try_send((&socket).into(), &transmit);
            }
        }
        if idle {
            std::thread::sleep(Duration::from_micros(50));
        }
    }
    let secs = seconds;
    println!(
        "requests/s {:.0} MB/s {:.1} requests {} errors {}",
        load.done as f64 / secs,
        load.body_bytes as f64 / secs / 1e6,
        load.done,
        load.errors
    );
}
