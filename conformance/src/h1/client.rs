//! A raw HTTP/1.1 client for the suite: it writes requests byte for byte
//! (malformed ones included) and reads responses with just enough framing
//! (RFC 9112 §6.3) to find where each one ends.

use std::io::{ErrorKind, Read, Write};

use crate::report::Failure;
use crate::transport::{self, Stream, Target};

/// A response as read off the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The minor version of `HTTP/1.x` in the status line.
    pub(crate) minor_version: u8,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) body: Vec<u8>,
    /// The body was delimited by the connection closing.
    pub(crate) closed: bool,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

/// How reading a response went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The server closed before (the rest of) a response.
    Closed,
    Timeout,
    Malformed(String),
    Io(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Closed => f.write_str("connection closed without a (complete) response"),
            Self::Timeout => f.write_str("Timeout"),
            Self::Malformed(why) => write!(f, "malformed response: {why}"),
            Self::Io(err) => write!(f, "I/O error: {err}"),
        }
    }
}

/// One connection to the server under test.
#[derive(Debug)]
pub(crate) struct Client {
    stream: Stream,
    buf: Vec<u8>,
    eof: bool,
}

/// Bounds what a misbehaving server can make us buffer.
const MAX_RESPONSE: usize = 8 << 20;

impl Client {
    pub(crate) fn connect(target: &Target) -> Result<Self, Failure> {
        let stream = target
            .connect()
            .map_err(|err| Failure::Error(format!("connect to {}: {err}", target.authority())))?;
        Ok(Self {
            stream,
            buf: Vec::new(),
            eof: false,
        })
    }

    /// Writes bytes as they are; errors are left for the next read to report.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        let _ = self
            .stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush());
    }

    /// Reads once more from the server: `Ok(false)` on end of stream.
    fn fill(&mut self) -> Result<bool, ReadError> {
        if self.eof {
            return Ok(false);
        }
        if self.buf.len() > MAX_RESPONSE {
            return Err(ReadError::Malformed(format!(
                "more than {MAX_RESPONSE} octets"
            )));
        }
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) if transport::is_timeout(&err) => return Err(ReadError::Timeout),
                Err(err) if transport::is_closed(&err) => {
                    self.eof = true;
                    return Ok(false);
                }
                Err(err) => return Err(ReadError::Io(err.to_string())),
            }
        }
    }

    /// Reads the next response, interim (1xx) ones included.
    pub(crate) fn read_response(&mut self, head_request: bool) -> Result<Response, ReadError> {
        let (status, minor_version, headers, head_len) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 128];
            let mut parsed = httparse::Response::new(&mut slots);
            match parsed.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let headers = parsed
                        .headers
                        .iter()
                        .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
                        .collect();
                    break (
                        parsed.code.unwrap_or_default(),
                        parsed.version.unwrap_or_default(),
                        headers,
                        len,
                    );
                }
                Ok(httparse::Status::Partial) => {
                    if !self.fill()? {
                        return Err(ReadError::Closed);
                    }
                }
                Err(err) => return Err(ReadError::Malformed(err.to_string())),
            }
        };
        self.buf.drain(..head_len);
        let mut response = Response {
            status,
            minor_version,
            headers,
            body: Vec::new(),
            closed: false,
        };
        if head_request || (100..200).contains(&status) || status == 204 || status == 304 {
            return Ok(response);
        }
        let chunked = response.header("transfer-encoding").is_some_and(|te| {
            te.rsplit(|&b| b == b',')
                .next()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"))
        });
        if chunked {
            response.body = self.read_chunked()?;
        } else if let Some(len) = response.header("content-length") {
            let len = std::str::from_utf8(len)
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .filter(|&len| len <= MAX_RESPONSE)
                .ok_or_else(|| ReadError::Malformed("bad Content-Length".into()))?;
            while self.buf.len() < len {
                if !self.fill()? {
                    return Err(ReadError::Closed);
                }
            }
            response.body = self.buf.drain(..len).collect();
        } else {
            while self.fill()? {}
            response.body = std::mem::take(&mut self.buf);
            response.closed = true;
        }
        Ok(response)
    }

    /// Reads the next final (non-1xx) response.
    pub(crate) fn read_final_response(
        &mut self,
        head_request: bool,
    ) -> Result<Response, ReadError> {
        loop {
            let response = self.read_response(head_request)?;
            if !(100..200).contains(&response.status) {
                return Ok(response);
            }
        }
    }

    fn read_line(&mut self) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..end].to_vec();
                self.buf.drain(..end + 2);
                return Ok(line);
            }
            if !self.fill()? {
                return Err(ReadError::Closed);
            }
        }
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line()?;
            let size = line.split(|&b| b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size)
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .filter(|&size| size <= MAX_RESPONSE)
                .ok_or_else(|| {
                    ReadError::Malformed(format!(
                        "bad chunk size line {:?}",
                        String::from_utf8_lossy(&line)
                    ))
                })?;
            if size == 0 {
                // Trailer section, up to the empty line.
                while !self.read_line()?.is_empty() {}
                return Ok(body);
            }
            while self.buf.len() < size + 2 {
                if !self.fill()? {
                    return Err(ReadError::Closed);
                }
            }
            body.extend(self.buf.drain(..size));
            if self.buf.drain(..2).as_slice() != b"\r\n" {
                return Err(ReadError::Malformed(
                    "chunk data not followed by CRLF".into(),
                ));
            }
        }
    }

    /// Whether the server closes the connection now, with nothing more sent.
    pub(crate) fn expect_close(&mut self) -> Result<(), String> {
        if !self.buf.is_empty() {
            return Err(format!("{} more octets after the response", self.buf.len()));
        }
        match self.fill() {
            Ok(false) => Ok(()),
            Ok(true) => Err(format!("{} more octets after the response", self.buf.len())),
            Err(ReadError::Timeout) => Err("the connection stayed open".into()),
            Err(err) => Err(err.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::Duration;

    use super::*;
    use crate::transport::TlsOptions;

    /// A one-shot server that writes `reply` after reading anything, then closes.
    fn serve(reply: &'static [u8]) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            let mut buf = [0; 1024];
            let _ = sock.read(&mut buf);
            sock.write_all(reply).unwrap();
        });
        let tls = TlsOptions {
            enabled: false,
            insecure: false,
        };
        Target::new("127.0.0.1", port, tls, b"http/1.1", Duration::from_secs(2)).unwrap()
    }

    #[test]
    fn reads_interim_chunked_and_length_delimited_responses() {
        let target = serve(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n0\r\nT: 1\r\n\r\n\
              HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnopHTTP/1.0 200 OK\r\n\r\nrest",
        );
        let mut client = Client::connect(&target).unwrap();
        client.send(b"GET / HTTP/1.1\r\n\r\n");
        let first = client.read_final_response(false).unwrap();
        assert_eq!((first.status, first.body.as_slice()), (200, &b"abcd"[..]));
        let second = client.read_final_response(false).unwrap();
        assert_eq!(
            (second.status, second.body.as_slice(), second.closed),
            (404, &b"nop"[..], false)
        );
        let third = client.read_final_response(false).unwrap();
        assert_eq!(
            (third.minor_version, third.body.as_slice(), third.closed),
            (0, &b"rest"[..], true)
        );
        assert_eq!(client.read_response(false), Err(ReadError::Closed));
    }

    #[test]
    fn head_responses_have_no_body_and_close_is_seen() {
        let target = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
        let mut client = Client::connect(&target).unwrap();
        client.send(b"HEAD / HTTP/1.1\r\n\r\n");
        let response = client.read_final_response(true).unwrap();
        assert_eq!((response.status, response.body.len()), (200, 0));
        assert_eq!(response.header("Content-Length"), Some(&b"10"[..]));
        assert_eq!(client.expect_close(), Ok(()));
    }

    #[test]
    fn extra_bytes_are_not_a_close() {
        let target =
            serve(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n");
        let mut client = Client::connect(&target).unwrap();
        client.send(b"x");
        assert_eq!(client.read_final_response(false).unwrap().status, 400);
        assert!(client.expect_close().is_err());
    }

    #[test]
    fn malformed_chunk_size_is_reported() {
        let target = serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        let mut client = Client::connect(&target).unwrap();
        client.send(b"x");
        assert!(matches!(
            client.read_final_response(false),
            Err(ReadError::Malformed(_))
        ));
    }
}
