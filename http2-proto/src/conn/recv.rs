//! Input: preface, frame splitting, and one handler per frame type (RFC 9113 §5-6, §8).

use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use hpack::Header;

use super::{BlockKind, Connection, GoAwayState, PartialBlock, Phase, continues_block};
use crate::frame::{
    self, Continuation, Data, FRAME_HEADER_LEN, Frame, FrameHeader, FrameKind, GoAway, Headers,
    Ping, Priority, PushPromise, RstStream, SettingId, SettingsFrame, WindowUpdate,
};
use crate::streams::{Inbound, Stream, StreamState, Unknown};
use crate::timer::Timer;
use crate::validate::{self, Malformed};
use crate::{ConnectionError, ErrorCode, Event, HeadersKind, Initiator, Role, StreamId};

type Result<T = ()> = std::result::Result<T, ConnectionError>;

fn proto(reason: &'static str) -> ConnectionError {
    ConnectionError::protocol(ErrorCode::PROTOCOL_ERROR, reason)
}

impl Connection {
    /// Feeds bytes received from the transport (copied once into the read buffer).
    ///
    /// A peer that violates the protocol at connection level ends the connection: the
    /// GOAWAY is queued for [`poll_transmit`](Self::poll_transmit), the terminal
    /// [`Event::ConnectionLost`] for [`poll_event`](Self::poll_event), and
    /// [`error`](Self::error) returns the error from then on. Input after it is ignored.
    pub fn recv(&mut self, now: Instant, data: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.read_buf.extend_from_slice(data);
        self.read_alloc.note(&self.read_buf);
        self.process(now);
    }

    /// Feeds bytes received from the transport, adopting the buffer without a copy when
    /// nothing is pending. Errors end the connection as for [`recv`](Self::recv).
    pub fn recv_owned(&mut self, now: Instant, data: BytesMut) {
        if self.error.is_some() {
            return;
        }
        if self.read_buf.is_empty() {
            self.read_buf = data;
            self.read_alloc.adopt(&self.read_buf);
        } else {
            self.read_buf.extend_from_slice(&data);
            self.read_alloc.note(&self.read_buf);
        }
        self.process(now);
    }

    /// The transport reached end of input. Streams still open are lost: an
    /// [`Event::ConnectionLost`] with [`ConnectionError::UnexpectedEof`] reports them.
    pub fn recv_eof(&mut self, _now: Instant) {
        if self.eof || self.error.is_some() {
            return;
        }
        let clean = self.streams.len() == 0 && self.block.is_none();
        if !clean {
            self.fail(ConnectionError::UnexpectedEof);
        }
        self.eof = true;
        self.timers = Default::default();
    }

    fn process(&mut self, now: Instant) {
        if let Some(interval) = self.config.keepalive_interval {
            self.timers.set(Timer::KeepAlivePing, now + interval);
            self.timers.stop(Timer::KeepAliveTimeout);
            self.keepalive_ping = None;
        }
        // Idle means no open streams (`Config::idle_timeout`): frames that concern no
        // stream (PING answers to our keep-alive, SETTINGS, WINDOW_UPDATE) do not
        // restart it, or a peer that merely answers PINGs would never be idle.
        let last_peer = self.streams.last_peer();
        let had_streams = self.streams.len() > 0;
        match self.process_frames(now) {
            Ok(()) => self.update_header_block_timer(now),
            Err(err) => {
                self.fail(err);
            }
        }
        if let Some(idle) = self.config.idle_timeout
            && self.error.is_none()
        {
            let stream_activity = had_streams
                || self.streams.len() > 0
                || self.streams.last_peer() != last_peer
                || self.block.is_some();
            if stream_activity {
                self.timers.set(Timer::Idle, now + idle);
            }
        }
    }

    fn process_frames(&mut self, now: Instant) -> Result {
        if let Phase::Preface { matched } = self.phase {
            let preface = crate::PREFACE;
            let take = self.read_buf.len().min(preface.len() - matched);
            if self.read_buf[..take] != preface[matched..matched + take] {
                return Err(proto("invalid connection preface"));
            }
            self.read_buf.advance(take);
            if matched + take < preface.len() {
                self.phase = Phase::Preface {
                    matched: matched + take,
                };
                return Ok(());
            }
            self.phase = Phase::FirstSettings;
        }
        while self.error.is_none() {
            let Some(head) = self
                .read_buf
                .first_chunk::<FRAME_HEADER_LEN>()
                .map(FrameHeader::parse)
            else {
                break;
            };
            let max = self.max_recv_frame_size();
            if head.length > max {
                return Err(ConnectionError::protocol(
                    ErrorCode::FRAME_SIZE_ERROR,
                    "frame exceeds max frame size",
                ));
            }
            let total = FRAME_HEADER_LEN + head.length as usize;
            if self.read_buf.len() < total {
                self.read_buf.reserve(total - self.read_buf.len());
                self.read_alloc.note(&self.read_buf);
                break;
            }
            self.read_buf.advance(FRAME_HEADER_LEN);
            let payload = self.read_buf.split_to(head.length as usize).freeze();
            self.on_frame(now, head, payload)?;
        }
        Ok(())
    }

    /// While our larger SETTINGS_MAX_FRAME_SIZE awaits ACK the peer may already use it.
    fn max_recv_frame_size(&self) -> u32 {
        let pending = self
            .pending_settings
            .latest()
            .map_or(0, |s| s.max_frame_size);
        self.local.max_frame_size.max(pending)
    }

    fn on_frame(&mut self, now: Instant, head: FrameHeader, payload: Bytes) -> Result {
        if self.phase == Phase::FirstSettings {
            if head.kind != FrameKind::SETTINGS || head.has(frame::flags::ACK) {
                return Err(proto("first frame is not SETTINGS"));
            }
            self.phase = Phase::Open;
        }
        if let Some(block) = &self.block
            && (!continues_block(head.kind) || head.stream != block.stream)
        {
            return Err(proto("header block interrupted"));
        }
        let frame = match frame::decode(head, payload) {
            Ok(frame) => frame,
            Err(err) => {
                if let Some(stream) = err.stream() {
                    return self.stream_error(now, stream, err.code());
                }
                return Err(ConnectionError::protocol(err.code(), err.reason()));
            }
        };
        match frame {
            Frame::Data(f) => self.on_data(now, f),
            Frame::Headers(f) => self.on_headers(now, f),
            Frame::Priority(f) => self.on_priority(now, f),
            Frame::RstStream(f) => self.on_rst_stream(now, f),
            Frame::Settings(f) => self.on_settings(now, f),
            Frame::PushPromise(f) => self.on_push_promise(now, f),
            Frame::Ping(f) => self.on_ping(now, f),
            Frame::GoAway(f) => {
                self.on_goaway(f);
                Ok(())
            }
            Frame::WindowUpdate(f) => self.on_window_update(now, f),
            Frame::Continuation(f) => self.on_continuation(now, f),
            // Unknown types and extension frames are ignored (RFC 9113 §5.5).
            _ => Ok(()),
        }
    }

    // ---- stream errors --------------------------------------------------------------

    /// Resets a stream because of a peer violation (RFC 9113 §5.4.2). Provoked resets
    /// are rate-limited (MadeYouReset / Reset Flood).
    pub(super) fn stream_error(&mut self, now: Instant, id: StreamId, code: ErrorCode) -> Result {
        if !self.guards.local_resets.take(now) {
            return Err(ConnectionError::flood("too many stream errors"));
        }
        self.reset_locally(now, id, code);
        Ok(())
    }

    /// Queues RST_STREAM, drops the stream, remembers it as locally reset.
    pub(super) fn reset_locally(&mut self, now: Instant, id: StreamId, code: ErrorCode) {
        RstStream { stream: id, code }.encode(self.out.buf());
        let until = now + self.config.reset_stream_duration;
        if let Some(stream) = self.streams.remove_reset(id, Some(until)) {
            // Octets the application will never see must not stay charged to the
            // connection window.
            self.release_connection(stream.recv.unreleased() as usize);
            if stream.surfaced {
                self.events.push_back(Event::StreamReset {
                    stream: id,
                    code,
                    by: Initiator::Local,
                });
            }
        }
        if self.timers.get(Timer::ResetExpiry).is_none() {
            self.timers.set(Timer::ResetExpiry, until);
        }
    }

    /// Gives connection-level credit back (data that was discarded or released).
    pub(super) fn release_connection(&mut self, n: usize) {
        let was_blocked = self.conn_recv.window() <= 0;
        if let Some(inc) = self.conn_recv.release(n) {
            self.body_window_reopened |= was_blocked;
            WindowUpdate {
                stream: StreamId::CONNECTION,
                increment: inc,
            }
            .encode(self.out.buf());
        }
    }

    // ---- DATA -----------------------------------------------------------------------

    fn on_data(&mut self, now: Instant, f: Data) -> Result {
        let flow = f.flow_len();
        if self.conn_recv.receive(flow).is_err() {
            return Err(ConnectionError::protocol(
                ErrorCode::FLOW_CONTROL_ERROR,
                "connection window exceeded",
            ));
        }
        if !f.end_stream {
            if f.data.is_empty() {
                self.guards.empty_data += 1;
                if self.guards.empty_data > self.config.limits.max_empty_data_frames {
                    return Err(ConnectionError::flood("too many empty DATA frames"));
                }
            } else if f.data.len() < self.config.limits.small_data_frame_size
                && !self.guards.small_data.take(now)
            {
                return Err(ConnectionError::flood("too many small DATA frames"));
            }
        }
        let id = f.stream;
        let auto = self.config.auto_release_capacity;
        let Some(stream) = self.streams.get(id) else {
            self.release_connection(flow);
            return match self.streams.unknown(id, Some(now)) {
                Unknown::Idle => Err(proto("DATA on idle stream")),
                Unknown::LocallyReset => Ok(()),
                Unknown::RecentlyClosed | Unknown::Forgotten => {
                    self.stream_error(now, id, ErrorCode::STREAM_CLOSED)
                }
            };
        };
        let refusal = if stream.state == StreamState::HalfClosedRemote {
            Some(ErrorCode::STREAM_CLOSED)
        } else if !stream.state.can_recv()
            || stream.state == StreamState::ReservedRemote
            || stream.inbound != Inbound::Body
        {
            // DATA before the (final) header section, or on a reserved stream.
            Some(ErrorCode::PROTOCOL_ERROR)
        } else {
            None
        };
        if let Some(code) = refusal {
            self.release_connection(flow);
            return self.stream_error(now, id, code);
        }
        let Some(stream) = self.streams.get_mut(id) else {
            return Ok(());
        };
        if stream.recv.receive(flow).is_err() {
            self.release_connection(flow);
            return self.stream_error(now, id, ErrorCode::FLOW_CONTROL_ERROR);
        }
        stream.received += f.data.len() as u64;
        // `content_length` is only set when it describes this body (a response to
        // HEAD, a 204 or a 304 clears it).
        let length_ok = match stream.content_length {
            Some(cl) => stream.received <= cl && (!f.end_stream || stream.received == cl),
            None => true,
        };
        if !length_ok {
            // The stream's share is released by the reset itself.
            return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
        }
        stream.surfaced = true;
        let next = f.end_stream.then(|| stream.state.on_recv_end());
        self.events.push_back(Event::Data {
            stream: id,
            // The application may keep it: copied out unless it is a large share of
            // the read buffer, so padding and ignored frames are not kept with it.
            data: self.read_alloc.detach(f.data),
            end_stream: f.end_stream,
            flow_len: flow,
        });
        if auto {
            self.release_capacity(id, flow);
        }
        if let Some(next) = next {
            self.streams.transition(id, next);
        }
        self.touch_body_timer(now, id);
        Ok(())
    }

    // ---- HEADERS / PUSH_PROMISE / CONTINUATION --------------------------------------

    fn on_headers(&mut self, now: Instant, f: Headers) -> Result {
        let kind = BlockKind::Headers {
            end_stream: f.end_stream,
            priority: f.priority,
        };
        if f.end_headers {
            return self.on_header_block(now, f.stream, kind, f.block);
        }
        self.start_block(f.stream, kind, &f.block);
        Ok(())
    }

    fn on_push_promise(&mut self, now: Instant, f: PushPromise) -> Result {
        if self.role == Role::Server {
            return Err(proto("PUSH_PROMISE sent by a client"));
        }
        if !self.local.enable_push
            && self
                .pending_settings
                .latest()
                .is_none_or(|s| !s.enable_push)
        {
            return Err(proto("PUSH_PROMISE with push disabled"));
        }
        let kind = BlockKind::PushPromise {
            promised: f.promised,
        };
        if f.end_headers {
            return self.on_header_block(now, f.stream, kind, f.block);
        }
        self.start_block(f.stream, kind, &f.block);
        Ok(())
    }

    fn start_block(&mut self, stream: StreamId, kind: BlockKind, first: &Bytes) {
        let mut fragments = BytesMut::with_capacity(first.len() * 2);
        fragments.extend_from_slice(first);
        self.block = Some(PartialBlock {
            stream,
            kind,
            fragments,
            continuations: 0,
        });
    }

    fn on_continuation(&mut self, now: Instant, f: Continuation) -> Result {
        let Some(block) = &mut self.block else {
            return Err(proto("CONTINUATION without a header block"));
        };
        block.continuations += 1;
        if block.continuations > self.config.limits.max_continuation_frames {
            return Err(ConnectionError::flood("too many CONTINUATION frames"));
        }
        if block.fragments.len() + f.block.len() > self.config.limits.max_header_block_size {
            return Err(ConnectionError::flood("header block too large"));
        }
        block.fragments.extend_from_slice(&f.block);
        if !f.end_headers {
            return Ok(());
        }
        let Some(block) = self.block.take() else {
            return Ok(());
        };
        self.on_header_block(now, block.stream, block.kind, block.fragments.freeze())
    }

    /// A complete header block: decode it (always, to keep HPACK in sync), then act.
    fn on_header_block(
        &mut self,
        now: Instant,
        id: StreamId,
        kind: BlockKind,
        block: Bytes,
    ) -> Result {
        self.header_block_done();
        if block.len() > self.config.limits.max_header_block_size {
            return Err(ConnectionError::flood("header block too large"));
        }
        let mut headers = Vec::new();
        let too_large = match self.decoder.decode(block, &mut headers) {
            Ok(()) => false,
            Err(hpack::DecodeError::HeaderListTooLarge(_)) => true,
            Err(err) => return Err(ConnectionError::Compression(err)),
        };
        match kind {
            BlockKind::Headers {
                end_stream,
                priority,
            } => {
                if priority.is_some_and(|p| p.dependency == id) {
                    // RFC 9113 §5.3.1: a stream cannot depend on itself.
                    self.note_if_new_peer_stream(id);
                    return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
                }
                self.on_request_or_response(now, id, end_stream, headers, too_large)
            }
            BlockKind::PushPromise { promised } => {
                self.on_promise(now, id, promised, headers, too_large)
            }
        }
    }

    fn note_if_new_peer_stream(&mut self, id: StreamId) {
        if !self.streams.is_local(id) && id > self.streams.last_peer() {
            self.streams.note_peer_id(id);
        }
    }

    fn on_request_or_response(
        &mut self,
        now: Instant,
        id: StreamId,
        end_stream: bool,
        headers: Vec<Header>,
        too_large: bool,
    ) -> Result {
        if self.streams.get(id).is_some() {
            return self.on_headers_existing(now, id, end_stream, headers, too_large);
        }
        match self.streams.unknown(id, Some(now)) {
            Unknown::Idle if self.role == Role::Server && id.is_client_initiated() => {
                self.on_new_request(now, id, end_stream, headers, too_large)
            }
            Unknown::Idle => Err(proto("HEADERS on idle stream")),
            Unknown::LocallyReset => Ok(()),
            Unknown::RecentlyClosed => Err(ConnectionError::protocol(
                ErrorCode::STREAM_CLOSED,
                "HEADERS on closed stream",
            )),
            Unknown::Forgotten if self.streams.is_local(id) => Err(ConnectionError::protocol(
                ErrorCode::STREAM_CLOSED,
                "HEADERS on closed stream",
            )),
            Unknown::Forgotten => Err(proto("stream id lower than a previous one")),
        }
    }

    fn on_new_request(
        &mut self,
        now: Instant,
        id: StreamId,
        end_stream: bool,
        headers: Vec<Header>,
        too_large: bool,
    ) -> Result {
        self.streams.note_peer_id(id);
        self.guards.window_updates = 0;
        if let GoAwayState::Sent { last_stream } = self.goaway
            && id > last_stream
        {
            // Above our final GOAWAY: not processed (RFC 9113 §6.8); the peer
            // will retry it elsewhere.
            let until = now + self.config.reset_stream_duration;
            self.streams.remove_reset(id, Some(until));
            return Ok(());
        }
        self.guards.peer_streams = self.guards.peer_streams.saturating_add(1);
        if let Some(max) = self.config.limits.max_streams_per_connection
            && self.guards.peer_streams > max
        {
            self.reset_locally(now, id, ErrorCode::REFUSED_STREAM);
            self.goaway_graceful(now);
            return Ok(());
        }
        let limit = self
            .config
            .local
            .max_concurrent_streams
            .map_or(usize::MAX, |n| n as usize);
        if too_large || self.streams.active_peer() >= limit {
            // Refused before any processing: safe for the client to retry (§8.7).
            return self.stream_error(now, id, ErrorCode::REFUSED_STREAM);
        }
        // What we advertised, acknowledged or not: a client may send an extended
        // CONNECT as soon as it has read our setting (RFC 8441 §3), and we never take
        // the setting back (see `update_settings`).
        let info = match validate::request(&headers, self.config.local.enable_connect_protocol) {
            Ok(info) => info,
            Err(Malformed(_)) => return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR),
        };
        if end_stream && info.content_length.is_some_and(|n| n != 0) {
            return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
        }
        let state = StreamState::Idle.on_recv_headers(end_stream);
        let mut stream = Stream::new(
            state,
            self.peer.initial_window_size,
            self.local.initial_window_size,
        );
        stream.inbound = Inbound::Body;
        stream.content_length = info.content_length;
        stream.head_request = info.head;
        stream.connect = info.connect;
        stream.surfaced = true;
        self.streams.insert(id, stream);
        self.events.push_back(Event::Headers {
            stream: id,
            headers,
            end_stream,
            kind: HeadersKind::Request {
                content_length: info.content_length,
                is_head: info.head,
                extended_connect: info.extended_connect,
            },
        });
        self.touch_body_timer(now, id);
        Ok(())
    }

    fn on_headers_existing(
        &mut self,
        now: Instant,
        id: StreamId,
        end_stream: bool,
        headers: Vec<Header>,
        too_large: bool,
    ) -> Result {
        let Some(stream) = self.streams.get_mut(id) else {
            return Ok(());
        };
        if !stream.state.can_recv() {
            let code = if stream.state == StreamState::HalfClosedRemote {
                ErrorCode::STREAM_CLOSED
            } else {
                ErrorCode::PROTOCOL_ERROR
            };
            return self.stream_error(now, id, code);
        }
        if too_large {
            return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
        }
        let kind = match stream.inbound {
            Inbound::Body => {
                // Trailers: must end the stream and carry no pseudo-headers (§8.1).
                if !end_stream || validate::trailers(&headers).is_err() {
                    return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
                }
                let cl_ok = stream.content_length.is_none_or(|cl| cl == stream.received);
                if !cl_ok {
                    return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
                }
                HeadersKind::Trailers
            }
            Inbound::Head => {
                // Client role: a response on our stream (or a pushed one).
                let Ok(info) = validate::response(&headers) else {
                    return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
                };
                if (100..200).contains(&info.status) {
                    if end_stream || info.status == 101 {
                        return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
                    }
                    HeadersKind::Informational
                } else {
                    let bodyless = stream.head_request || info.status == 204 || info.status == 304;
                    // A 2xx to CONNECT opens a tunnel; its Content-Length, if any, is
                    // ignored (RFC 9110 §9.3.6).
                    stream.tunnel = stream.connect && (200..300).contains(&info.status);
                    stream.content_length = if bodyless || stream.tunnel {
                        None
                    } else {
                        info.content_length
                    };
                    if end_stream && stream.content_length.is_some_and(|n| n != 0) {
                        return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
                    }
                    stream.inbound = Inbound::Body;
                    HeadersKind::Response
                }
            }
        };
        stream.surfaced = true;
        let next = if kind == HeadersKind::Informational {
            stream.state
        } else {
            stream.state.on_recv_headers(end_stream)
        };
        self.events.push_back(Event::Headers {
            stream: id,
            headers,
            end_stream,
            kind,
        });
        self.streams.transition(id, next);
        self.touch_body_timer(now, id);
        Ok(())
    }

    fn on_promise(
        &mut self,
        now: Instant,
        id: StreamId,
        promised: StreamId,
        headers: Vec<Header>,
        too_large: bool,
    ) -> Result {
        let associated_ok = self
            .streams
            .get(id)
            .is_some_and(|s| matches!(s.state, StreamState::Open | StreamState::HalfClosedLocal));
        if !associated_ok {
            if self.streams.unknown(id, Some(now)) == Unknown::LocallyReset {
                // We reset the request; refuse the push too so the server can stop.
                self.streams.note_peer_id(promised);
                self.reset_locally(now, promised, ErrorCode::REFUSED_STREAM);
                return Ok(());
            }
            return Err(proto("PUSH_PROMISE on a stream that is not open"));
        }
        if !promised.is_server_initiated() || promised <= self.streams.last_peer() {
            return Err(proto("invalid promised stream id"));
        }
        self.streams.note_peer_id(promised);
        if too_large || validate::request(&headers, false).is_err() {
            return self.stream_error(now, promised, ErrorCode::PROTOCOL_ERROR);
        }
        let mut stream = Stream::new(
            StreamState::ReservedRemote,
            self.peer.initial_window_size,
            self.local.initial_window_size,
        );
        stream.surfaced = true;
        self.streams.insert(promised, stream);
        self.events.push_back(Event::PushPromise {
            stream: id,
            promised,
            headers,
        });
        Ok(())
    }

    // ---- PRIORITY / RST_STREAM ------------------------------------------------------

    fn on_priority(&mut self, now: Instant, f: Priority) -> Result {
        // Deprecated (RFC 9113 §5.3.2): checked, then ignored. No state is created for
        // idle streams, so PRIORITY cannot be used to make us allocate.
        if f.spec.dependency == f.stream {
            return self.stream_error(now, f.stream, ErrorCode::PROTOCOL_ERROR);
        }
        Ok(())
    }

    fn on_rst_stream(&mut self, now: Instant, f: RstStream) -> Result {
        let id = f.stream;
        let Some(stream) = self.streams.get(id) else {
            return match self.streams.unknown(id, Some(now)) {
                Unknown::Idle => Err(proto("RST_STREAM on idle stream")),
                _ => Ok(()),
            };
        };
        // A peer cancelling streams we are still serving is what Rapid Reset looks
        // like; cancelling after we finished costs us nothing.
        let unfinished = stream.state.can_send();
        if unfinished && !self.guards.remote_resets.take(now) {
            return Err(ConnectionError::flood("too many resets"));
        }
        let surfaced = stream.surfaced;
        if let Some(stream) = self.streams.remove_reset(id, None) {
            self.release_connection(stream.recv.unreleased() as usize);
        }
        if surfaced {
            self.events.push_back(Event::StreamReset {
                stream: id,
                code: f.code,
                by: Initiator::Remote,
            });
        }
        Ok(())
    }

    // ---- SETTINGS -------------------------------------------------------------------

    fn on_settings(&mut self, now: Instant, f: SettingsFrame) -> Result {
        if f.ack {
            self.on_settings_ack(now);
            return Ok(());
        }
        if f.entries.len() > self.config.limits.max_settings_entries {
            return Err(ConnectionError::flood("too many SETTINGS entries"));
        }
        for s in &f.entries {
            match s.id {
                SettingId::ENABLE_PUSH if self.role == Role::Client && s.value == 1 => {
                    return Err(proto("server sent ENABLE_PUSH = 1"));
                }
                // RFC 8441 §3: once sent as 1, the setting is never sent as 0.
                SettingId::ENABLE_CONNECT_PROTOCOL
                    if s.value == 0 && self.peer.enable_connect_protocol =>
                {
                    return Err(proto("ENABLE_CONNECT_PROTOCOL changed from 1 to 0"));
                }
                SettingId::INITIAL_WINDOW_SIZE => {
                    let delta = i64::from(s.value) - i64::from(self.peer.initial_window_size);
                    self.adjust_stream_send_windows(delta)?;
                }
                _ => {}
            }
            self.peer.apply(*s);
        }
        self.apply_peer_table_size();
        SettingsFrame::ack().encode(self.out.buf());
        self.note_ack_queued()?;
        self.events.push_back(Event::SettingsChanged(self.peer));
        Ok(())
    }

    fn adjust_stream_send_windows(&mut self, delta: i64) -> Result {
        let mut ready = Vec::new();
        for (id, stream) in self.streams.iter_mut() {
            if stream.send.adjust(delta).is_err() {
                return Err(ConnectionError::protocol(
                    ErrorCode::FLOW_CONTROL_ERROR,
                    "INITIAL_WINDOW_SIZE overflows a window",
                ));
            }
            if delta > 0 && stream.blocked && stream.send.available() > 0 {
                stream.blocked = false;
                ready.push(*id);
            }
        }
        if self.conn_send.available() > 0 {
            ready.sort_unstable();
            for stream in ready {
                self.events.push_back(Event::SendCapacity { stream });
            }
        }
        Ok(())
    }

    fn on_settings_ack(&mut self, now: Instant) {
        let Some(acked) = self.pending_settings.pop() else {
            // An ACK for nothing: harmless, ignore.
            return;
        };
        let old = self.local;
        self.local = acked;
        self.decoder
            .set_max_table_size(acked.header_table_size as usize);
        if acked.initial_window_size != old.initial_window_size {
            let target = acked.initial_window_size;
            let mut updates = Vec::new();
            for (id, stream) in self.streams.iter_mut() {
                if let Some(inc) = stream.recv.set_target(target) {
                    updates.push(WindowUpdate {
                        stream: *id,
                        increment: inc,
                    });
                }
            }
            for wu in updates {
                wu.encode(self.out.buf());
            }
        }
        if self.pending_settings.is_empty() {
            self.timers.stop(Timer::SettingsAck);
        } else {
            self.timers
                .set(Timer::SettingsAck, now + self.config.settings_ack_timeout);
        }
        self.events.push_back(Event::SettingsAcked);
    }

    /// Counts a PING/SETTINGS acknowledgement waiting in the transmit queue.
    fn note_ack_queued(&mut self) -> Result {
        self.out.pending_acks += 1;
        if self.out.pending_acks > self.config.limits.max_pending_acks {
            return Err(ConnectionError::flood(
                "too many unflushed PING/SETTINGS acknowledgements",
            ));
        }
        Ok(())
    }

    // ---- PING / GOAWAY / WINDOW_UPDATE ----------------------------------------------

    fn on_ping(&mut self, now: Instant, f: Ping) -> Result {
        if !f.ack {
            Ping {
                ack: true,
                payload: f.payload,
            }
            .encode(self.out.buf());
            return self.note_ack_queued();
        }
        if self.keepalive_ping == Some(f.payload) {
            self.keepalive_ping = None;
            self.timers.stop(Timer::KeepAliveTimeout);
            return Ok(());
        }
        if self.goaway == (GoAwayState::Draining { ping: f.payload }) {
            self.send_final_goaway();
            return Ok(());
        }
        if let Some(pos) = self.user_pings.iter().position(|(p, _)| *p == f.payload)
            && let Some((payload, sent)) = self.user_pings.remove(pos)
        {
            let rtt = now.saturating_duration_since(sent);
            self.events.push_back(Event::PingAcked { payload, rtt });
        }
        Ok(())
    }

    fn on_goaway(&mut self, f: GoAway) {
        let last = f.last_stream;
        // Our streams above `last` were never processed: report them refused so the
        // application can retry them on a new connection.
        let refused: Vec<StreamId> = self
            .streams
            .ids()
            .filter(|id| self.streams.is_local(*id) && *id > last)
            .collect();
        let mut refused = refused;
        refused.sort_unstable();
        for id in refused {
            if let Some(stream) = self.streams.remove_reset(id, None) {
                self.release_connection(stream.recv.unreleased() as usize);
                if stream.surfaced || self.role == Role::Client {
                    self.events.push_back(Event::StreamReset {
                        stream: id,
                        code: ErrorCode::REFUSED_STREAM,
                        by: Initiator::Remote,
                    });
                }
            }
        }
        let prev = self.goaway_received.replace(last);
        if prev.is_some_and(|p| p < last) {
            // A later GOAWAY may not raise the last stream id; keep the lower one.
            self.goaway_received = prev;
        }
        self.events.push_back(Event::GoAway {
            last_stream: last,
            code: f.code,
            debug: f.debug,
        });
    }

    fn on_window_update(&mut self, now: Instant, f: WindowUpdate) -> Result {
        self.guards.window_updates += 1;
        if self.guards.window_updates > self.config.limits.max_window_updates_without_data {
            return Err(ConnectionError::flood("too many WINDOW_UPDATE frames"));
        }
        if f.stream.is_connection() {
            if f.increment == 0 {
                return Err(proto("WINDOW_UPDATE with zero increment"));
            }
            if self.conn_send.increase(f.increment).is_err() {
                return Err(ConnectionError::protocol(
                    ErrorCode::FLOW_CONTROL_ERROR,
                    "connection window overflow",
                ));
            }
            self.notify_capacity();
            return Ok(());
        }
        let id = f.stream;
        let Some(stream) = self.streams.get_mut(id) else {
            return match self.streams.unknown(id, Some(now)) {
                Unknown::Idle => Err(proto("WINDOW_UPDATE on idle stream")),
                _ => Ok(()),
            };
        };
        if f.increment == 0 {
            return self.stream_error(now, id, ErrorCode::PROTOCOL_ERROR);
        }
        if stream.send.increase(f.increment).is_err() {
            return self.stream_error(now, id, ErrorCode::FLOW_CONTROL_ERROR);
        }
        if stream.blocked && stream.send.available() > 0 && self.conn_send.available() > 0 {
            stream.blocked = false;
            self.events.push_back(Event::SendCapacity { stream: id });
        }
        Ok(())
    }

    /// The connection window grew: every blocked stream with stream credit may go on.
    fn notify_capacity(&mut self) {
        if self.conn_send.available() == 0 {
            return;
        }
        let mut ready = Vec::new();
        for (id, stream) in self.streams.iter_mut() {
            if stream.blocked && stream.send.available() > 0 {
                stream.blocked = false;
                ready.push(*id);
            }
        }
        ready.sort_unstable();
        for stream in ready {
            self.events.push_back(Event::SendCapacity { stream });
        }
    }
}
