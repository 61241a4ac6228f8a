//! Body framing in both directions: the decoder turns received bytes into `Data` slices
//! of the read buffer (copied out by the connection when small) and an end-of-message, the encoder frames outgoing `Bytes` without
//! touching them, and the outbox queues what `poll_transmit` hands out.

use std::collections::VecDeque;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::config::Config;
use crate::error::{ParseError, RecvError, SendError};
use crate::headers::HeaderMap;
use crate::parse::{self, Field, Span, Status};
use crate::scan;

/// What the body decoder produced.
#[derive(Debug)]
pub(crate) enum BodyEvent {
    Data(Bytes),
    End(Option<HeaderMap>),
}

/// Reads one message body (RFC 9112 §6.3, §7.1).
#[derive(Clone, Debug)]
pub(crate) enum BodyDecoder {
    Length { remaining: u64 },
    Chunked(Chunked),
    UntilEof,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Chunked {
    state: ChunkState,
    extension_bytes: usize,
}

#[derive(Clone, Copy, Debug, Default)]
enum ChunkState {
    #[default]
    Size,
    Data {
        remaining: u64,
    },
    DataEnd,
    Trailers {
        scan_from: usize,
    },
    Done,
}

impl BodyDecoder {
    pub(crate) fn chunked() -> Self {
        Self::Chunked(Chunked::default())
    }

    /// The next body event, `Ok(None)` if more input is needed.
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        config: &Config,
        fields: &mut Vec<Field>,
    ) -> Result<Option<BodyEvent>, RecvError> {
        match self {
            Self::Length { remaining: 0 } => Ok(Some(BodyEvent::End(None))),
            Self::Length { remaining } => {
                if buf.is_empty() {
                    return if eof {
                        Err(RecvError::IncompleteBody)
                    } else {
                        Ok(None)
                    };
                }
                let n = take_len(*remaining, buf.len());
                *remaining -= n as u64;
                Ok(Some(BodyEvent::Data(buf.split_to(n).freeze())))
            }
            Self::UntilEof => {
                if !buf.is_empty() {
                    Ok(Some(BodyEvent::Data(buf.split().freeze())))
                } else if eof {
                    Ok(Some(BodyEvent::End(None)))
                } else {
                    Ok(None)
                }
            }
            Self::Chunked(chunked) => chunked.decode(buf, eof, config, fields),
        }
    }
}

/// `min(remaining, available)` without a lossy cast either way.
fn take_len(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |r| r.min(available))
}

impl Chunked {
    fn decode(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        config: &Config,
        fields: &mut Vec<Field>,
    ) -> Result<Option<BodyEvent>, RecvError> {
        loop {
            match self.state {
                ChunkState::Size => match parse::parse_chunk_line(buf, config)? {
                    Status::Complete(line) => {
                        self.extension_bytes += line.overhead_len;
                        if self.extension_bytes > config.limits.max_chunk_ext_per_message {
                            return Err(RecvError::ChunkExtensionsTooLarge);
                        }
                        buf.advance(line.line_len);
                        self.state = if line.size == 0 {
                            ChunkState::Trailers { scan_from: 0 }
                        } else {
                            ChunkState::Data {
                                remaining: line.size,
                            }
                        };
                    }
                    Status::Partial => return incomplete(eof),
                },
                ChunkState::Data { remaining } => {
                    if buf.is_empty() {
                        return incomplete(eof);
                    }
                    let n = take_len(remaining, buf.len());
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data { remaining }
                    };
                    return Ok(Some(BodyEvent::Data(buf.split_to(n).freeze())));
                }
                ChunkState::DataEnd => match (buf.first(), buf.get(1)) {
                    (Some(b'\r'), Some(b'\n')) => {
                        buf.advance(2);
                        self.state = ChunkState::Size;
                    }
                    (Some(b'\n'), _) if config.leniency.bare_lf => {
                        buf.advance(1);
                        self.state = ChunkState::Size;
                    }
                    (None, _) | (Some(b'\r'), None) => return incomplete(eof),
                    _ => return Err(RecvError::ChunkDataNotTerminated),
                },
                ChunkState::Trailers { scan_from } => {
                    let max = config.limits.max_head_bytes;
                    let window = buf.get(..max).unwrap_or(buf);
                    let end = match scan::find_section_end(window, scan_from) {
                        Ok(end) => end,
                        Err(resume) => {
                            if buf.len() >= max {
                                return Err(ParseError::HeadTooLarge.into());
                            }
                            self.state = ChunkState::Trailers { scan_from: resume };
                            return incomplete(eof);
                        }
                    };
                    let Some(section) = buf.get(..end) else {
                        return incomplete(eof);
                    };
                    match parse::parse_fields(section, config, fields)? {
                        Status::Complete(len) => {
                            let section = buf.split_to(len).freeze();
                            self.state = ChunkState::Done;
                            let trailers =
                                (!fields.is_empty()).then(|| fields_to_map(&section, fields));
                            return Ok(Some(BodyEvent::End(trailers)));
                        }
                        // Only reachable if the candidate end was not a real one.
                        Status::Partial => {
                            self.state = ChunkState::Trailers {
                                scan_from: end.saturating_sub(2),
                            };
                            return incomplete(eof);
                        }
                    }
                }
                ChunkState::Done => return Ok(None),
            }
        }
    }
}

fn incomplete(eof: bool) -> Result<Option<BodyEvent>, RecvError> {
    if eof {
        Err(RecvError::IncompleteBody)
    } else {
        Ok(None)
    }
}

/// A parsed span of `head` as a zero-copy `Bytes`.
pub(crate) fn span_bytes(head: &Bytes, span: Span) -> Bytes {
    if span.start <= span.end && span.end <= head.len() {
        head.slice(span.start..span.end)
    } else {
        Bytes::new()
    }
}

pub(crate) fn fields_to_map(head: &Bytes, fields: &[Field]) -> HeaderMap {
    fields
        .iter()
        .map(|f| (span_bytes(head, f.name), span_bytes(head, f.value)))
        .collect()
}

/// Frames one outgoing message body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyEncoder {
    /// Content-Length framing; bytes still owed.
    Length(u64),
    Chunked,
    /// Close-delimited (a response to HTTP/1.0 without a known length).
    UntilClose,
    /// No body may be sent (HEAD response, 204, 304, 1xx, 2xx to CONNECT).
    Nothing,
}

/// Bodies at most this long are copied next to their framing so a small response goes
/// out in one segment (one `write` instead of two); longer ones pass through untouched.
const COALESCE_MAX: usize = 1024;

impl BodyEncoder {
    pub(crate) fn data(&mut self, data: Bytes, out: &mut Outbox) -> Result<(), SendError> {
        match self {
            Self::Nothing if data.is_empty() => Ok(()),
            Self::Nothing => Err(SendError::BodyNotAllowed),
            Self::Length(remaining) => {
                if data.len() as u64 > *remaining {
                    return Err(SendError::BodyTooLong);
                }
                *remaining -= data.len() as u64;
                out.push_data(data);
                Ok(())
            }
            Self::Chunked => {
                // A zero-length chunk would end the body.
                if !data.is_empty() {
                    out.put_chunk_size(data.len());
                    out.push_data(data);
                    out.scratch.put_slice(b"\r\n");
                }
                Ok(())
            }
            Self::UntilClose => {
                out.push_data(data);
                Ok(())
            }
        }
    }

    pub(crate) fn end(
        &mut self,
        trailers: Option<&HeaderMap>,
        out: &mut Outbox,
    ) -> Result<(), SendError> {
        let has_trailers = trailers.is_some_and(|t| !t.is_empty());
        match self {
            Self::Chunked => {
                let mut section = BytesMut::new();
                if let Some(trailers) = trailers {
                    crate::write::write_fields(trailers, &mut section)?;
                }
                out.scratch.put_slice(b"0\r\n");
                out.scratch.put_slice(&section);
                out.scratch.put_slice(b"\r\n");
                Ok(())
            }
            _ if has_trailers => Err(SendError::TrailersNotAllowed),
            Self::Length(0) | Self::UntilClose | Self::Nothing => Ok(()),
            Self::Length(missing) => Err(SendError::BodyTooShort { missing: *missing }),
        }
    }
}

/// Outgoing bytes: framing is gathered in `scratch` and cut off into a segment whenever a
/// caller's body `Bytes` has to go out after it, so order is kept without copying bodies.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Bytes>,
    pub(crate) scratch: BytesMut,
}

impl Outbox {
    pub(crate) fn push_data(&mut self, data: Bytes) {
        if data.len() <= COALESCE_MAX {
            self.scratch.put_slice(&data);
            return;
        }
        if !self.scratch.is_empty() {
            self.queue.push_back(self.scratch.split().freeze());
        }
        self.queue.push_back(data);
    }

    fn put_chunk_size(&mut self, len: usize) {
        let mut digits = [0u8; 16];
        let mut n = len;
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b"0123456789abcdef"[n & 0xf];
            n >>= 4;
            if n == 0 || start == 0 {
                break;
            }
        }
        self.scratch.put_slice(&digits[start..]);
        self.scratch.put_slice(b"\r\n");
    }

    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        if let Some(segment) = self.queue.pop_front() {
            return Some(segment);
        }
        (!self.scratch.is_empty()).then(|| self.scratch.split().freeze())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty() && self.scratch.is_empty()
    }

    /// Empties the outbox; `false` if its buffers hold more than `max` bytes of
    /// capacity, which are then not worth keeping.
    pub(crate) fn clear_within(&mut self, max: usize) -> bool {
        self.queue.clear();
        self.scratch.clear();
        let queue = self.queue.capacity().saturating_mul(size_of::<Bytes>());
        queue <= max && self.scratch.capacity() <= max
    }
}
