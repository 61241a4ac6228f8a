//! One HTTP/2 client connection as a test case drives it: raw writes of any
//! frame, and a stream of events (frames, close, timeout) with the same
//! bookkeeping h2spec does (automatic WINDOW_UPDATE on received DATA).

use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use bytes::BytesMut;

use crate::frame::{self, ErrorCode, Frame, FrameType, Headers, Priority, flags, setting};
use crate::transport::{self, Stream};

/// The default flow-control window (RFC 9113 §6.9.2).
pub(crate) const DEFAULT_WINDOW: i64 = 65_535;
/// The default SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2).
pub(crate) const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;

/// What happened next on the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    Frame(Frame),
    /// The server closed (or reset) the connection.
    Closed,
    /// Nothing arrived within the timeout.
    Timeout,
    /// The connection failed in some other way (malformed framing, I/O error).
    Error(String),
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(frame) => frame.fmt(f),
            Self::Closed => f.write_str("Connection closed"),
            Self::Timeout => f.write_str("Timeout"),
            Self::Error(err) => write!(f, "Error: {err}"),
        }
    }
}

/// A source of events: the live connection, or a script in unit tests.
pub(crate) trait Events {
    /// Waits for the next event. After `Closed`, `Timeout` or `Error` the
    /// source reports [`Events::is_done`], exactly as h2spec stops reading.
    fn next_event(&mut self) -> Event;
    /// Whether nothing more will be read.
    fn is_done(&self) -> bool;
}

/// A live connection to the server under test.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: Stream,
    read_buf: BytesMut,
    timeout: Duration,
    done: bool,
    /// The server's SETTINGS as received in the handshake.
    pub(crate) settings: HashMap<u16, u32>,
    /// Our receive windows by stream (0 = connection), replenished like h2spec does.
    windows: HashMap<u32, i64>,
}

/// Why the handshake did not complete.
#[derive(Debug)]
pub(crate) struct HandshakeError(pub(crate) String);

impl Conn {
    pub(crate) fn new(stream: Stream, timeout: Duration) -> Self {
        Self {
            stream,
            read_buf: BytesMut::with_capacity(32 * 1024),
            timeout,
            done: false,
            settings: HashMap::new(),
            windows: HashMap::new(),
        }
    }

    /// Writes bytes as they are. Write errors are ignored on purpose: the
    /// server may already have closed, and the verdict comes from what is read.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        let _ = self
            .stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush());
    }

    fn send_with(&mut self, build: impl FnOnce(&mut BytesMut)) {
        let mut dst = BytesMut::new();
        build(&mut dst);
        self.send(&dst);
    }

    pub(crate) fn headers(&mut self, headers: &Headers<'_>) {
        self.send_with(|d| frame::write_headers(d, headers));
    }

    pub(crate) fn data(&mut self, stream_id: u32, end_stream: bool, data: &[u8]) {
        self.send_with(|d| frame::write_data(d, stream_id, end_stream, data, None));
    }

    pub(crate) fn data_padded(
        &mut self,
        stream_id: u32,
        end_stream: bool,
        data: &[u8],
        pad: &[u8],
    ) {
        self.send_with(|d| frame::write_data(d, stream_id, end_stream, data, Some(pad)));
    }

    pub(crate) fn priority(&mut self, stream_id: u32, priority: Priority) {
        self.send_with(|d| frame::write_priority(d, stream_id, priority));
    }

    pub(crate) fn rst_stream(&mut self, stream_id: u32, code: ErrorCode) {
        self.send_with(|d| frame::write_rst_stream(d, stream_id, code));
    }

    pub(crate) fn settings(&mut self, params: &[(u16, u32)]) {
        self.send_with(|d| frame::write_settings(d, params));
    }

    pub(crate) fn push_promise(&mut self, stream_id: u32, promised: u32, block: &[u8]) {
        self.send_with(|d| frame::write_push_promise(d, stream_id, promised, true, block));
    }

    pub(crate) fn ping(&mut self, ack: bool, data: [u8; 8]) {
        self.send_with(|d| frame::write_ping(d, ack, data));
    }

    pub(crate) fn goaway(&mut self, last_stream_id: u32, code: ErrorCode, debug: &[u8]) {
        self.send_with(|d| frame::write_goaway(d, last_stream_id, code, debug));
    }

    pub(crate) fn window_update(&mut self, stream_id: u32, increment: u32) {
        self.send_with(|d| frame::write_window_update(d, stream_id, increment));
    }

    pub(crate) fn continuation(&mut self, stream_id: u32, end_headers: bool, block: &[u8]) {
        self.send_with(|d| frame::write_continuation(d, stream_id, end_headers, block));
    }

    /// The server's SETTINGS_MAX_FRAME_SIZE, or the default.
    pub(crate) fn max_frame_size(&self) -> u32 {
        self.settings
            .get(&setting::MAX_FRAME_SIZE)
            .copied()
            .unwrap_or(DEFAULT_MAX_FRAME_SIZE)
    }

    /// The client side of the connection preface (RFC 9113 §3.4): our
    /// preface and SETTINGS, then frames are read until the server's SETTINGS
    /// (acknowledged) and the ACK of ours have both arrived.
    pub(crate) fn handshake(&mut self) -> Result<(), HandshakeError> {
        self.send(frame::PREFACE);
        self.settings(&[(setting::INITIAL_WINDOW_SIZE, DEFAULT_WINDOW as u32)]);
        let deadline = transport::now() + self.timeout;
        let (mut acked, mut received) = (false, false);
        while !(acked && received) {
            let frame = match self.read_frame(deadline) {
                Event::Frame(frame) => frame,
                Event::Timeout => return Err(HandshakeError("Timeout".into())),
                Event::Error(err) => return Err(HandshakeError(err)),
                Event::Closed => return Err(HandshakeError("Connection closed".into())),
            };
            if frame.kind != FrameType::SETTINGS {
                continue;
            }
            if frame.has(flags::ACK) {
                acked = true;
            } else {
                received = true;
                self.settings.extend(frame.settings());
                self.send_with(frame::write_settings_ack);
            }
        }
        Ok(())
    }

    /// Reads one frame before `deadline`; closes, timeouts and errors mark the connection done.
    fn read_frame(&mut self, deadline: Instant) -> Event {
        loop {
            match frame::read_frame(&mut self.read_buf, frame::MAX_FRAME_PAYLOAD) {
                Ok(Some(frame)) => return Event::Frame(frame),
                Ok(None) => {}
                Err(err) => {
                    self.done = true;
                    return Event::Error(err.to_string());
                }
            }
            let Some(left) = deadline
                .checked_duration_since(transport::now())
                .filter(|d| !d.is_zero())
            else {
                self.done = true;
                return Event::Timeout;
            };
            if let Err(err) = self.stream.set_read_timeout(Some(left)) {
                self.done = true;
                return Event::Error(err.to_string());
            }
            let mut chunk = [0u8; 16 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.done = true;
                    // Like Go's framer: EOF between frames is a close, inside one an error.
                    return if self.read_buf.is_empty() {
                        Event::Closed
                    } else {
                        Event::Error("unexpected EOF inside a frame".into())
                    };
                }
                Ok(n) => self.read_buf.extend_from_slice(&chunk[..n]),
                Err(err) if transport::is_timeout(&err) => {}
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) if transport::is_closed(&err) => {
                    self.done = true;
                    return Event::Closed;
                }
                Err(err) => {
                    self.done = true;
                    return Event::Error(err.to_string());
                }
            }
        }
    }

    /// Keeps the server able to send, as h2spec does: once a window we
    /// advertised is used up, it is topped up to the default again.
    fn replenish(&mut self, frame: &Frame) {
        let len = frame.payload.len() as i64;
        for id in [frame.stream_id, 0] {
            let window = self.windows.entry(id).or_insert(DEFAULT_WINDOW);
            *window -= len;
            if *window <= 0 {
                let increment = DEFAULT_WINDOW - *window;
                *window += increment;
                self.window_update(id, increment as u32);
            }
            if frame.stream_id == 0 {
                break;
            }
        }
    }
}

impl Events for Conn {
    fn next_event(&mut self) -> Event {
        if self.done {
            return Event::Closed;
        }
        let event = self.read_frame(transport::now() + self.timeout);
        if let Event::Frame(frame) = &event
            && frame.kind == FrameType::DATA
        {
            self.replenish(frame);
        }
        event
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;
    use crate::transport::{Target, TlsOptions};

    /// A scripted server: reads the preface and our SETTINGS, answers with
    /// `reply`, then hands back everything it read afterwards.
    fn scripted(reply: Vec<u8>) -> (Target, std::thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            let mut head = vec![0; frame::PREFACE.len() + 9 + 6];
            sock.read_exact(&mut head).unwrap();
            assert_eq!(&head[..frame::PREFACE.len()], frame::PREFACE);
            sock.write_all(&reply).unwrap();
            sock.set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            let mut rest = Vec::new();
            let _ = sock.read_to_end(&mut rest);
            rest
        });
        let tls = TlsOptions {
            enabled: false,
            insecure: false,
        };
        let target = Target::new("127.0.0.1", port, tls, b"h2", Duration::from_secs(2)).unwrap();
        (target, server)
    }

    fn frames(write: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
        let mut wire = BytesMut::new();
        write(&mut wire);
        wire.to_vec()
    }

    #[test]
    fn handshake_records_settings_and_acknowledges() {
        let reply = frames(|w| {
            frame::write_settings(w, &[(setting::MAX_CONCURRENT_STREAMS, 7)]);
            frame::write_settings_ack(w);
            frame::write_goaway(w, 0, ErrorCode::PROTOCOL_ERROR, b"");
        });
        let (target, server) = scripted(reply);
        let mut conn = Conn::new(target.connect().unwrap(), target.timeout);
        conn.handshake().unwrap();
        assert_eq!(
            conn.settings.get(&setting::MAX_CONCURRENT_STREAMS),
            Some(&7)
        );
        let event = conn.next_event();
        let Event::Frame(goaway) = event else {
            panic!("{event}")
        };
        assert_eq!(goaway.error_code(), Some(ErrorCode::PROTOCOL_ERROR));
        drop(conn);
        let after = server.join().unwrap();
        assert_eq!(
            after,
            frames(frame::write_settings_ack),
            "our ACK of the server's SETTINGS"
        );
    }

    #[test]
    fn exhausted_windows_are_replenished_like_h2spec() {
        let reply = frames(|w| {
            frame::write_settings(w, &[]);
            frame::write_settings_ack(w);
            frame::write_data(w, 1, false, &[b'x'; 16_384], None);
            for _ in 0..3 {
                frame::write_data(w, 1, false, &[b'x'; 16_384], None);
            }
            frame::write_data(w, 1, true, &[b'x'; 100], None);
        });
        let (target, server) = scripted(reply);
        let mut conn = Conn::new(target.connect().unwrap(), target.timeout);
        conn.handshake().unwrap();
        for _ in 0..5 {
            assert!(matches!(conn.next_event(), Event::Frame(f) if f.kind == FrameType::DATA));
        }
        assert_eq!(conn.next_event(), Event::Closed);
        let after = server.join().unwrap();
        // After 4 * 16384 = 65536 octets both windows stand at -1: each is topped up by 65535 + 1.
        let expected = frames(|w| {
            frame::write_settings_ack(w);
            frame::write_window_update(w, 1, 65_536);
            frame::write_window_update(w, 0, 65_536);
        });
        assert_eq!(after, expected);
    }

    #[test]
    fn silence_is_a_timeout_and_ends_the_connection() {
        let reply = frames(|w| {
            frame::write_settings(w, &[]);
            frame::write_settings_ack(w);
        });
        let (target, _server) = scripted(reply);
        let mut conn = Conn::new(target.connect().unwrap(), Duration::from_millis(100));
        conn.handshake().unwrap();
        assert_eq!(conn.next_event(), Event::Timeout);
        assert!(conn.is_done());
    }
}
