//! Commands: opening streams, sending headers, data, trailers, resets, pushes, pings
//! and settings (RFC 9113 §5-6, §8).

use std::time::Instant;

use bytes::{BufMut, Bytes};
use hpack::Header;

use super::{Connection, GoAwayState};
use crate::frame::{self, FRAME_HEADER_LEN, FrameHeader, FrameKind, Ping, flags};
use crate::streams::{Outbound, Stream, StreamState, Unknown};
use crate::{ErrorCode, Event, Initiator, Role, SendError, Settings, StreamId};

impl Connection {
    fn check_open_for_commands(&self) -> Result<(), SendError> {
        if self.error.is_some() || self.eof {
            return Err(SendError::ConnectionClosing);
        }
        Ok(())
    }

    /// Allocates the next client stream (RFC 9113 §5.1.1). Nothing is sent until
    /// [`send_headers`](Self::send_headers); send headers on streams in the order they
    /// were opened, because a higher identifier implicitly closes lower idle ones.
    ///
    /// # Errors
    ///
    /// [`SendError::WrongRole`] for servers, [`SendError::ConnectionClosing`] after a
    /// GOAWAY, [`SendError::TooManyStreams`] at the peer's MAX_CONCURRENT_STREAMS,
    /// [`SendError::StreamIdsExhausted`] when the identifier space is used up.
    pub fn open_stream(&mut self) -> Result<StreamId, SendError> {
        self.check_open_for_commands()?;
        if self.role != Role::Client {
            return Err(SendError::WrongRole);
        }
        if self.goaway_received.is_some() || self.goaway != GoAwayState::None {
            return Err(SendError::ConnectionClosing);
        }
        let limit = self
            .peer
            .max_concurrent_streams
            .map_or(usize::MAX, |n| n as usize);
        let idle = self.streams_idle_local();
        if self.streams.active_local() + idle >= limit {
            return Err(SendError::TooManyStreams);
        }
        let id = self
            .streams
            .allocate_local()
            .ok_or(SendError::StreamIdsExhausted)?;
        let stream = Stream::new(
            StreamState::Idle,
            self.peer.initial_window_size,
            self.local.initial_window_size,
        );
        self.streams.insert(id, stream);
        Ok(id)
    }

    fn streams_idle_local(&self) -> usize {
        // Idle streams are rare (open_stream is followed by send_headers), so a scan
        // only happens when some exist.
        if self.streams.len() == self.streams.active_local() + self.streams.active_peer() {
            return 0;
        }
        self.streams
            .ids()
            .filter(|id| {
                self.streams
                    .get(*id)
                    .is_some_and(|s| s.state == StreamState::Idle)
            })
            .count()
    }

    /// Sends a header section: a request (client, on a stream from `open_stream`), a
    /// response or 1xx informational response (server), or trailers (either; must end
    /// the stream). Fields are HPACK-encoded at once and split into HEADERS and
    /// CONTINUATION frames by the peer's SETTINGS_MAX_FRAME_SIZE.
    ///
    /// # Errors
    ///
    /// [`SendError::NoSuchStream`], [`SendError::StreamClosed`] when our side is done,
    /// [`SendError::InvalidState`] for a second final header section without
    /// END_STREAM, [`SendError::InvalidHeader`] for names that are not lowercase
    /// tokens or pseudo-headers after regular fields.
    pub fn send_headers(
        &mut self,
        id: StreamId,
        headers: &[Header],
        end_stream: bool,
    ) -> Result<(), SendError> {
        self.check_open_for_commands()?;
        if !crate::validate::outbound(headers) {
            return Err(SendError::InvalidHeader);
        }
        let informational = is_informational(headers);
        let (state, outbound, head_request, connect, unsent) = {
            let stream = self.streams.get(id).ok_or_else(|| self.missing(id))?;
            let unsent = stream.send_length.map(|n| n.saturating_sub(stream.sent));
            let (state, outbound) = (stream.state, stream.outbound);
            (state, outbound, stream.head_request, stream.connect, unsent)
        };
        if state == StreamState::Idle && self.role == Role::Client {
            self.check_extended_connect(headers)?;
        }
        if !state.can_send() {
            return Err(SendError::StreamClosed(id));
        }
        if state == StreamState::ReservedLocal && self.role == Role::Server && informational {
            return Err(SendError::InvalidState);
        }
        if outbound == Outbound::Body && !end_stream {
            return Err(SendError::InvalidState);
        }
        if informational && end_stream {
            return Err(SendError::InvalidState);
        }
        // RFC 9113 §8.1.1: the DATA of a message adds up to the content-length it
        // declares. A response to HEAD, a 204 and a 304 carry no body, and their
        // length (if any) describes another message.
        let final_head = !informational && outbound == Outbound::Head;
        let (send_length, opens_tunnel) = if final_head {
            let (declared, status) =
                crate::validate::outbound_framing(headers).map_err(|_| SendError::InvalidHeader)?;
            let bodyless =
                self.role == Role::Server && (head_request || status == 204 || status == 304);
            // RFC 9110 §9.3.6: a 2xx to CONNECT turns the stream into a tunnel and
            // carries no Content-Length (the client would ignore it).
            let opens_tunnel = self.role == Role::Server && connect && (200..300).contains(&status);
            if opens_tunnel && declared.is_some() {
                return Err(SendError::InvalidHeader);
            }
            (declared.filter(|_| !bodyless), opens_tunnel)
        } else {
            (None, false)
        };
        if end_stream {
            // A head that ends the stream sends no body; trailers come after all of it.
            let owed = if final_head { send_length } else { unsent };
            if owed.is_some_and(|n| n != 0) {
                return Err(SendError::ContentLengthMismatch);
            }
        }
        if state == StreamState::Idle {
            let limit = self
                .peer
                .max_concurrent_streams
                .map_or(usize::MAX, |n| n as usize);
            if self.streams.active_local() >= limit {
                return Err(SendError::TooManyStreams);
            }
        }
        self.write_header_block(FrameKind::HEADERS, id, None, headers, end_stream);
        let Some(stream) = self.streams.get_mut(id) else {
            return Ok(());
        };
        if final_head {
            stream.outbound = Outbound::Body;
            stream.send_length = send_length;
        }
        if opens_tunnel {
            stream.tunnel = true;
            stream.body_deadline = None;
        }
        if state == StreamState::Idle {
            let method = headers.iter().find(|h| &h.name[..] == b":method");
            let method = method.map(|h| &h.value[..]);
            stream.head_request = method == Some(b"HEAD");
            stream.connect = method == Some(b"CONNECT");
        }
        if state == StreamState::Idle && self.role == Role::Client {
            stream.surfaced = true;
        }
        let next = if informational {
            state
        } else {
            state.on_send_headers(end_stream)
        };
        self.streams.transition(id, next);
        Ok(())
    }

    /// Sends trailers, ending the stream. Same as `send_headers(id, headers, true)`
    /// after the message head.
    ///
    /// # Errors
    ///
    /// As [`send_headers`](Self::send_headers); [`SendError::InvalidState`] before the
    /// message head was sent.
    pub fn send_trailers(&mut self, id: StreamId, headers: &[Header]) -> Result<(), SendError> {
        let outbound = self.streams.get(id).map(|s| s.outbound);
        if outbound == Some(Outbound::Head) {
            return Err(SendError::InvalidState);
        }
        if headers.iter().any(|h| h.name.first() == Some(&b':')) {
            return Err(SendError::InvalidHeader);
        }
        self.send_headers(id, headers, true)
    }

    /// Sends body data, as much as the connection and stream windows allow right now,
    /// and returns how many octets were taken; keep `data.slice(n..)` and call again
    /// after [`Event::SendCapacity`]. `end_stream` applies only when all of `data` was
    /// taken. Accepted data is framed at once: nothing is buffered beyond the windows,
    /// and large payloads go out as slices of `data` without a copy.
    ///
    /// # Errors
    ///
    /// [`SendError::Blocked`] when nothing could be taken (windows at zero),
    /// [`SendError::NoSuchStream`] / [`SendError::StreamClosed`] for streams we cannot
    /// send on, [`SendError::InvalidState`] before the message head was sent.
    pub fn send_data(
        &mut self,
        id: StreamId,
        data: Bytes,
        end_stream: bool,
    ) -> Result<usize, SendError> {
        self.check_open_for_commands()?;
        let conn_avail = self.conn_send.available();
        let max_frame = self.peer.max_frame_size as usize;
        let stream = match self.streams.get_mut(id) {
            Some(s) => s,
            None => return Err(self.missing(id)),
        };
        if !stream.state.can_send() {
            return Err(SendError::StreamClosed(id));
        }
        if stream.outbound == Outbound::Head {
            return Err(SendError::InvalidState);
        }
        if let Some(declared) = stream.send_length {
            let total = stream.sent + data.len() as u64;
            if total > declared || (end_stream && total != declared) {
                return Err(SendError::ContentLengthMismatch);
            }
        }
        let n = data.len().min(conn_avail).min(stream.send.available());
        if n == 0 && !data.is_empty() {
            stream.blocked = true;
            return Err(SendError::Blocked);
        }
        let all = n == data.len();
        let end = end_stream && all;
        stream.send.consume(n);
        stream.sent += n as u64;
        stream.blocked = !all;
        let state = stream.state;
        self.conn_send.consume(n);
        self.guards.window_updates = 0;
        let mut rest = data.slice(..n);
        loop {
            let chunk = rest.split_to(rest.len().min(max_frame));
            let last = rest.is_empty();
            let flag_bits = if end && last { flags::END_STREAM } else { 0 };
            let length = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            FrameHeader {
                length,
                kind: FrameKind::DATA,
                flags: flag_bits,
                stream: id,
            }
            .encode(self.out.buf());
            self.out.payload(chunk);
            if last {
                break;
            }
        }
        if end {
            self.streams.transition(id, state.on_send_end());
        }
        Ok(n)
    }

    /// Octets `send_data` would take now on this stream: the smaller of the connection
    /// and stream windows (0 for unknown streams).
    pub fn send_capacity(&self, id: StreamId) -> usize {
        self.streams
            .get(id)
            .map_or(0, |s| s.send.available().min(self.conn_send.available()))
    }

    /// Gives back receive capacity the application has consumed (`flow_len` of
    /// [`Event::Data`]). WINDOW_UPDATE frames are batched: one goes out once half a
    /// window is released (RFC 9113 §6.9). Streams that have closed still return their
    /// share of the connection window.
    pub fn release_capacity(&mut self, id: StreamId, n: usize) {
        if let Some(released) = self.release_stream(id, n) {
            self.release_connection(released);
        }
    }

    /// The stream-level half of [`release_capacity`](Self::release_capacity), for
    /// capacity whose connection-level share went back earlier through
    /// [`release_connection_capacity`](Self::release_connection_capacity).
    pub fn release_stream_capacity(&mut self, id: StreamId, n: usize) {
        let _ = self.release_stream(id, n);
    }

    /// The connection-level half of [`release_capacity`](Self::release_capacity)
    /// (RFC 9113 §6.9.1): the peer may send `n` more octets on any stream whose own
    /// window is open. A server that holds back some streams' credit can let another
    /// stream proceed this way; that stream's half follows with
    /// [`release_stream_capacity`](Self::release_stream_capacity). Clamped to what the
    /// peer has sent, like every release.
    pub fn release_connection_capacity(&mut self, n: usize) {
        if self.error.is_none() {
            self.release_connection(n);
        }
    }

    /// Releases a stream's share; the connection-level octets that leaves to release
    /// (`None` after a fatal error).
    fn release_stream(&mut self, id: StreamId, n: usize) -> Option<usize> {
        if self.error.is_some() {
            return None;
        }
        if let Some(stream) = self.streams.get_mut(id) {
            let before = stream.recv.unreleased();
            let was_blocked = stream.recv.window() <= 0;
            let inc = if stream.state.can_recv() {
                stream.recv.release(n)
            } else {
                None
            };
            if !stream.state.can_recv() {
                // The peer will send nothing more; just drop the stream's share.
                let _ = stream.recv.release(n);
            }
            let released = before - stream.recv.unreleased();
            if let Some(inc) = inc {
                stream.body_window_reopened |= was_blocked;
                frame::WindowUpdate {
                    stream: id,
                    increment: inc,
                }
                .encode(self.out.buf());
            }
            Some(usize::try_from(released).unwrap_or(usize::MAX))
        } else {
            Some(n)
        }
    }

    /// Resets a stream (RFC 9113 §6.4), e.g. CANCEL, or NO_ERROR after a complete
    /// response to stop an upload (§8.1).
    ///
    /// # Errors
    ///
    /// [`SendError::NoSuchStream`] if the stream is not open.
    pub fn reset_stream(
        &mut self,
        now: Instant,
        id: StreamId,
        code: ErrorCode,
    ) -> Result<(), SendError> {
        self.check_open_for_commands()?;
        if self.streams.get(id).is_none() {
            return Err(SendError::NoSuchStream(id));
        }
        self.reset_locally(now, id, code);
        // The application asked for it; it does not need telling.
        if let Some(Event::StreamReset {
            stream,
            by: Initiator::Local,
            ..
        }) = self.events.back()
            && *stream == id
        {
            self.events.pop_back();
        }
        Ok(())
    }

    /// Promises a pushed response (server role, RFC 9113 §8.4): sends PUSH_PROMISE with
    /// the promised request's fields on `associated` and returns the reserved stream, on
    /// which to `send_headers` the response.
    ///
    /// # Errors
    ///
    /// [`SendError::WrongRole`] for clients, [`SendError::PushDisabled`] when the peer
    /// set ENABLE_PUSH = 0, [`SendError::StreamClosed`] when `associated` is not open
    /// from the client's side, [`SendError::StreamIdsExhausted`].
    pub fn push_promise(
        &mut self,
        associated: StreamId,
        request: &[Header],
    ) -> Result<StreamId, SendError> {
        self.check_open_for_commands()?;
        if self.role != Role::Server {
            return Err(SendError::WrongRole);
        }
        if !self.peer.enable_push {
            return Err(SendError::PushDisabled);
        }
        if self.goaway != GoAwayState::None || self.goaway_received.is_some() {
            return Err(SendError::ConnectionClosing);
        }
        if !crate::validate::outbound(request) {
            return Err(SendError::InvalidHeader);
        }
        let assoc_ok = self
            .streams
            .get(associated)
            .is_some_and(|s| matches!(s.state, StreamState::Open | StreamState::HalfClosedRemote));
        if !assoc_ok {
            return Err(SendError::StreamClosed(associated));
        }
        let promised = self
            .streams
            .allocate_local()
            .ok_or(SendError::StreamIdsExhausted)?;
        self.write_header_block(
            FrameKind::PUSH_PROMISE,
            associated,
            Some(promised),
            request,
            false,
        );
        let mut stream = Stream::new(
            StreamState::ReservedLocal,
            self.peer.initial_window_size,
            self.local.initial_window_size,
        );
        stream.surfaced = true;
        stream.head_request = request
            .iter()
            .any(|h| &h.name[..] == b":method" && &h.value[..] == b"HEAD");
        self.streams.insert(promised, stream);
        Ok(promised)
    }

    /// Sends a PING (RFC 9113 §6.7); the answer is reported as [`Event::PingAcked`]
    /// with the round-trip time on the caller's clock.
    pub fn ping(&mut self, now: Instant, payload: [u8; 8]) {
        if self.error.is_some() {
            return;
        }
        Ping {
            ack: false,
            payload,
        }
        .encode(self.out.buf());
        self.user_pings.push_back((payload, now));
        // Unanswered pings are bounded by the caller's own rate; keep the newest.
        if self.user_pings.len() > 64 {
            self.user_pings.pop_front();
        }
    }

    /// Sends new local SETTINGS (RFC 9113 §6.5.3). They take effect when the peer
    /// acknowledges them ([`Event::SettingsAcked`]).
    pub fn update_settings(&mut self, now: Instant, mut settings: Settings) {
        if self.error.is_some() {
            return;
        }
        if self.role == Role::Server {
            settings.enable_push = false;
        }
        // RFC 8441 §3: a sender never turns SETTINGS_ENABLE_CONNECT_PROTOCOL from 1 to 0.
        settings.enable_connect_protocol |= self.config.local.enable_connect_protocol;
        std::sync::Arc::make_mut(&mut self.config).local = settings;
        self.queue_settings(now, settings);
    }

    /// A request with `:protocol` is an extended CONNECT: the peer must have enabled
    /// it (RFC 8441 §3), and it is held to the rules the peer will check (§4: CONNECT
    /// with `:scheme`, `:path` and `:authority`), the same ones we check on receipt.
    fn check_extended_connect(&self, headers: &[Header]) -> Result<(), SendError> {
        if !headers.iter().any(|h| &h.name[..] == b":protocol") {
            return Ok(());
        }
        if !self.peer.enable_connect_protocol {
            return Err(SendError::ExtendedConnectDisabled);
        }
        match crate::validate::request(headers, true) {
            Ok(info) if info.extended_connect => Ok(()),
            _ => Err(SendError::InvalidHeader),
        }
    }

    fn missing(&self, id: StreamId) -> SendError {
        match self.streams.unknown(id, None) {
            Unknown::Idle => SendError::NoSuchStream(id),
            _ => SendError::StreamClosed(id),
        }
    }

    /// HPACK-encodes `headers` straight into the transmit buffer behind a HEADERS (or
    /// PUSH_PROMISE) frame header, splitting into CONTINUATION frames if needed.
    fn write_header_block(
        &mut self,
        kind: FrameKind,
        stream: StreamId,
        promised: Option<StreamId>,
        headers: &[Header],
        end_stream: bool,
    ) {
        let max = self.peer.max_frame_size as usize;
        let extra = if promised.is_some() { 4 } else { 0 };
        let buf = self.out.buf();
        let start = buf.len();
        buf.put_bytes(0, FRAME_HEADER_LEN + extra);
        self.encoder.encode(headers, buf);
        let block_len = buf.len() - start - FRAME_HEADER_LEN - extra;
        let end_flag = if end_stream && kind == FrameKind::HEADERS {
            flags::END_STREAM
        } else {
            0
        };
        if block_len + extra <= max {
            let head = FrameHeader {
                length: u32::try_from(block_len + extra).unwrap_or(u32::MAX),
                kind,
                flags: end_flag | flags::END_HEADERS,
                stream,
            };
            write_head_at(buf, start, &head, promised);
            return;
        }
        // Rare: a block larger than one frame. Move it out and re-frame it.
        let block = buf.split_off(start + FRAME_HEADER_LEN + extra).freeze();
        let first_len = max - extra;
        let head = FrameHeader {
            length: u32::try_from(max).unwrap_or(u32::MAX),
            kind,
            flags: end_flag,
            stream,
        };
        write_head_at(buf, start, &head, promised);
        buf.extend_from_slice(&block[..first_len]);
        let mut rest = block.slice(first_len..);
        while !rest.is_empty() {
            let chunk = rest.split_to(rest.len().min(max));
            frame::Continuation {
                stream,
                block: chunk,
                end_headers: rest.is_empty(),
            }
            .encode(buf);
        }
    }
}

/// Fills in a frame header reserved earlier, once the payload length is known.
fn write_head_at(
    buf: &mut bytes::BytesMut,
    at: usize,
    head: &FrameHeader,
    promised: Option<StreamId>,
) {
    let bytes = head.to_bytes();
    buf[at..at + FRAME_HEADER_LEN].copy_from_slice(&bytes);
    if let Some(p) = promised {
        let at = at + FRAME_HEADER_LEN;
        buf[at..at + 4].copy_from_slice(&p.get().to_be_bytes());
    }
}

fn is_informational(headers: &[Header]) -> bool {
    headers
        .iter()
        .find(|h| &h.name[..] == b":status")
        .is_some_and(|h| h.value.first() == Some(&b'1'))
}
