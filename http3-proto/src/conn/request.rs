//! Request streams (RFC 9114 §4.1): the frame sequence HEADERS, DATA*, trailers, the
//! field sections through QPACK, the content-length rule and the end of the stream.

use std::time::Instant;

use bytes::Bytes;
use hpack::Header;
use http_core::section;

use super::{Connection, Phase};
use crate::codec::SectionError;
use crate::frame::{FrameHeader, kind};
use crate::reader::Piece;
use crate::{ConnectionError, ErrorCode, Event, HeadersKind, Role, StreamId};

/// A body chunk is handed out as a slice of the caller's input only when it is at least
/// this fraction of it, so keeping the chunk never keeps much else alive.
const MAX_PINNED_PER_BYTE: usize = 4;

fn detach(chunk: Bytes, input_len: usize) -> Bytes {
    if chunk.len().saturating_mul(MAX_PINNED_PER_BYTE) >= input_len {
        chunk
    } else {
        Bytes::copy_from_slice(&chunk)
    }
}

impl Connection {
    pub(super) fn recv_request(&mut self, now: Instant, id: StreamId, data: Bytes, fin: bool) {
        let body_timeout = self.config.body_timeout;
        let max_blocked = self.config.limits.max_blocked_stream_bytes;
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if stream.recv.phase == Phase::Closed {
            return;
        }
        if matches!(stream.recv.phase, Phase::Body | Phase::Trailers)
            && !data.is_empty()
            && !stream.tunnel
        {
            stream.deadline = body_timeout.map(|t| now + t);
        }
        if stream.recv.blocked {
            if stream.recv.blocked_input.len() + data.len() > max_blocked {
                self.stream_error(now, id, ErrorCode::H3_EXCESSIVE_LOAD);
                return;
            }
            stream.recv.blocked_input.extend_from_slice(&data);
            stream.recv.blocked_fin |= fin;
            return;
        }
        self.read_request(now, id, data, fin);
    }

    /// Reads frames from `data` until it is used up, the stream ends, or a field
    /// section blocks on QPACK (then the rest waits in `blocked_input`).
    fn read_request(&mut self, now: Instant, id: StreamId, mut data: Bytes, fin: bool) {
        let input_len = data.len();
        loop {
            if self.error.is_some() {
                return;
            }
            let Some(stream) = self.streams.get_mut(&id) else {
                return;
            };
            if stream.recv.blocked {
                let max = self.config.limits.max_blocked_stream_bytes;
                if data.len() > max {
                    self.stream_error(now, id, ErrorCode::H3_EXCESSIVE_LOAD);
                    return;
                }
                stream.recv.blocked_input.extend_from_slice(&data);
                stream.recv.blocked_fin = fin;
                return;
            }
            let Some(piece) = stream.recv.reader.next(&mut data) else {
                break;
            };
            match piece {
                Piece::Start(h) => self.request_frame_start(now, id, h),
                Piece::Frame { payload, .. } => self.field_section(now, id, payload),
                Piece::Chunk(chunk) => self.request_data(now, id, detach(chunk, input_len)),
            }
        }
        if fin {
            self.request_fin(now, id);
        }
    }

    /// What a frame may be at this point of a request stream (RFC 9114 §4.1, §7.2).
    fn request_frame_start(&mut self, now: Instant, id: StreamId, h: FrameHeader) {
        let role = self.config.role;
        let max_headers = self.config.limits.max_headers_frame_size;
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        let unexpected = |reason| ConnectionError::protocol(ErrorCode::H3_FRAME_UNEXPECTED, reason);
        let outcome = match h.ty {
            kind::DATA if stream.recv.phase == Phase::Body => {
                stream.recv.reader.pass();
                self.count_empty_frame(h.len)
            }
            kind::DATA => Err(unexpected("DATA before HEADERS or after trailers")),
            kind::HEADERS if stream.recv.phase == Phase::Trailers => {
                Err(unexpected("HEADERS after trailers"))
            }
            kind::HEADERS if h.len > max_headers => {
                // Too large to hold: the stream goes, the connection stays.
                self.stream_error(now, id, ErrorCode::H3_EXCESSIVE_LOAD);
                Ok(())
            }
            kind::HEADERS => {
                stream.recv.reader.hold();
                Ok(())
            }
            kind::PUSH_PROMISE if role == Role::Client => Err(ConnectionError::protocol(
                ErrorCode::H3_ID_ERROR,
                "PUSH_PROMISE without MAX_PUSH_ID",
            )),
            kind::PUSH_PROMISE => Err(unexpected("PUSH_PROMISE from a client")),
            kind::CANCEL_PUSH | kind::SETTINGS | kind::GOAWAY | kind::MAX_PUSH_ID => {
                Err(unexpected("control frame on a request stream"))
            }
            ty if kind::is_reserved_http2(ty) => Err(unexpected("HTTP/2 frame type")),
            // Unknown and reserved types are skipped (RFC 9114 §9).
            _ => {
                stream.recv.reader.skip();
                self.count_empty_frame(h.len)
            }
        };
        if let Err(e) = outcome {
            self.fail(e);
        }
    }

    /// A complete HEADERS payload: decode it, or wait for the inserts it needs.
    fn field_section(&mut self, now: Instant, id: StreamId, block: Bytes) {
        match self.qpack.decode(id, block) {
            Ok(Some(fields)) => self.deliver_section(now, id, fields),
            Ok(None) => {
                if let Some(stream) = self.streams.get_mut(&id) {
                    stream.recv.blocked = true;
                }
            }
            Err(e) => self.section_error(now, id, e),
        }
    }

    fn section_error(&mut self, now: Instant, id: StreamId, e: SectionError) {
        match e {
            // The dynamic table is in step; only this message is refused.
            SectionError::TooLarge => self.stream_error(now, id, ErrorCode::H3_EXCESSIVE_LOAD),
            SectionError::Connection(e) => self.fail(e),
        }
    }

    /// The peer's encoder stream delivered what a blocked section of `id` waited for.
    pub(super) fn resume_blocked(&mut self, now: Instant, id: StreamId) {
        let Some(result) = self.qpack.resume(id) else {
            return;
        };
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        stream.recv.blocked = false;
        let input = stream.recv.blocked_input.split().freeze();
        let fin = std::mem::take(&mut stream.recv.blocked_fin);
        match result {
            Ok(fields) => self.deliver_section(now, id, fields),
            Err(e) => self.section_error(now, id, e),
        }
        if self.streams.contains_key(&id) && self.error.is_none() {
            self.read_request(now, id, input, fin);
        }
    }

    /// A decoded field section: validate it for its place in the message (RFC 9114
    /// §4.1, §4.3) and report it.
    fn deliver_section(&mut self, now: Instant, id: StreamId, fields: Vec<Header>) {
        let role = self.config.role;
        let extended_connect = self.local.enable_connect_protocol;
        let body_timeout = self.config.body_timeout;
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        let pairs = fields.iter().map(|h| (&h.name[..], &h.value[..]));
        let kind = match (role, stream.recv.phase) {
            (Role::Server, Phase::Head) => match section::request(pairs, extended_connect) {
                Ok(info) => {
                    stream.recv.phase = Phase::Body;
                    stream.recv.content_length = info.content_length;
                    stream.head_request = info.head;
                    stream.connect = info.connect;
                    stream.deadline = body_timeout.map(|t| now + t);
                    HeadersKind::Request {
                        content_length: info.content_length,
                        is_head: info.head,
                    }
                }
                Err(_) => return self.stream_error(now, id, ErrorCode::H3_MESSAGE_ERROR),
            },
            (Role::Client, Phase::Head) => match section::response(pairs) {
                // HTTP/3 has no protocol switching (RFC 9114 §4.5).
                Ok(info) if info.status == 101 => {
                    return self.stream_error(now, id, ErrorCode::H3_MESSAGE_ERROR);
                }
                Ok(info) if info.status < 200 => HeadersKind::Informational {
                    status: info.status,
                },
                Ok(info) => {
                    stream.recv.phase = Phase::Body;
                    stream.recv.content_length = info.content_length;
                    stream.recv.no_content =
                        stream.head_request || matches!(info.status, 204 | 304);
                    stream.deadline = body_timeout.map(|t| now + t);
                    HeadersKind::Response {
                        status: info.status,
                    }
                }
                Err(_) => return self.stream_error(now, id, ErrorCode::H3_MESSAGE_ERROR),
            },
            (_, Phase::Body) => match section::trailers(pairs) {
                Ok(()) => {
                    stream.recv.phase = Phase::Trailers;
                    HeadersKind::Trailers
                }
                Err(_) => return self.stream_error(now, id, ErrorCode::H3_MESSAGE_ERROR),
            },
            // HEADERS after trailers was refused when the frame began.
            (_, Phase::Trailers | Phase::Closed) => return,
        };
        self.events.push_back(Event::Headers {
            stream: id,
            headers: fields,
            end_stream: false,
            kind,
        });
    }

    fn request_data(&mut self, now: Instant, id: StreamId, chunk: Bytes) {
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        let recv = &mut stream.recv;
        recv.received = recv.received.saturating_add(chunk.len() as u64);
        let too_long = recv.content_length.is_some_and(|n| recv.received > n);
        if (too_long && !recv.no_content) || (recv.no_content && !chunk.is_empty()) {
            return self.stream_error(now, id, ErrorCode::H3_MESSAGE_ERROR);
        }
        if !chunk.is_empty() {
            self.events.push_back(Event::Data {
                stream: id,
                data: chunk,
                end_stream: false,
            });
        }
    }

    /// The peer finished the stream: it must end between frames, with a complete
    /// message whose content matches its `content-length` (RFC 9114 §4.1, §7.1).
    fn request_fin(&mut self, now: Instant, id: StreamId) {
        if self.error.is_some() {
            return;
        }
        let role = self.config.role;
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if !stream.recv.reader.at_boundary() {
            return self.fail(ConnectionError::protocol(
                ErrorCode::H3_FRAME_ERROR,
                "stream ended inside a frame",
            ));
        }
        let recv = &stream.recv;
        let complete = match recv.phase {
            Phase::Head => false,
            Phase::Body => {
                recv.no_content || recv.content_length.is_none_or(|n| n == recv.received)
            }
            Phase::Trailers | Phase::Closed => true,
        };
        if !complete {
            let code = match (role, recv.phase) {
                (Role::Server, Phase::Head) => ErrorCode::H3_REQUEST_INCOMPLETE,
                _ => ErrorCode::H3_MESSAGE_ERROR,
            };
            return self.stream_error(now, id, code);
        }
        stream.recv.phase = Phase::Closed;
        stream.deadline = None;
        let marked = match self.events.back_mut() {
            Some(
                Event::Headers {
                    stream, end_stream, ..
                }
                | Event::Data {
                    stream, end_stream, ..
                },
            ) if *stream == id => {
                *end_stream = true;
                true
            }
            _ => false,
        };
        if !marked {
            self.events.push_back(Event::Data {
                stream: id,
                data: Bytes::new(),
                end_stream: true,
            });
        }
        self.retire_if_done(id);
    }
}
