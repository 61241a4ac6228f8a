//! Commands: messages out on request streams (RFC 9114 §4.1), and resets.

use bytes::{Bytes, BytesMut};
use hpack::Header;
use http_core::section;

use super::{Connection, GoAway, Phase, SendSide, Stream};
use crate::frame::{FrameHeader, kind};
use crate::{ErrorCode, Initiator, Role, SendError, StreamId, Target};

/// The size a field section counts for against SETTINGS_MAX_FIELD_SECTION_SIZE: names,
/// values and 32 octets per field (RFC 9114 §4.2.2).
fn section_size(headers: &[Header]) -> u64 {
    headers
        .iter()
        .map(|h| h.name.len() as u64 + h.value.len() as u64 + 32)
        .sum()
}

fn pairs(headers: &[Header]) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers.iter().map(|h| (&h.name[..], &h.value[..]))
}

impl Connection {
    /// Sends a field section on request stream `id`: a request (client, on a
    /// bidirectional stream it just opened), an interim 1xx or final response (server),
    /// finishing the stream after it if `end_stream`.
    ///
    /// The fields are checked as the peer would check them (RFC 9114 §4.2, §4.3), and
    /// against the peer's SETTINGS_MAX_FIELD_SECTION_SIZE. Nothing is queued on error.
    pub fn send_headers(
        &mut self,
        id: StreamId,
        headers: &[Header],
        end_stream: bool,
    ) -> Result<(), SendError> {
        self.check_alive()?;
        if !id.is_request() {
            return Err(SendError::WrongStream(id));
        }
        if !section::outbound(pairs(headers)) {
            return Err(SendError::InvalidHeader);
        }
        let (content_length, status) =
            section::outbound_framing(pairs(headers)).map_err(|_| SendError::InvalidHeader)?;
        self.check_section_size(headers)?;
        let final_section = match self.config.role {
            Role::Server => {
                let stream = self.streams.get(&id).ok_or(SendError::NoSuchStream(id))?;
                match stream.send.phase {
                    Phase::Head => {}
                    Phase::Closed => return Err(SendError::StreamClosed(id)),
                    Phase::Body | Phase::Trailers => return Err(SendError::InvalidState),
                }
                // A response carries :status (RFC 9114 §4.3.2); 101 has no meaning in
                // HTTP/3 (§4.5), and an interim response cannot end the stream.
                if status == 0 || status == 101 {
                    return Err(SendError::InvalidHeader);
                }
                if status < 200 && end_stream {
                    return Err(SendError::InvalidState);
                }
                let no_content = stream.head_request || matches!(status, 204 | 304);
                (status >= 200).then_some(no_content)
            }
            Role::Client => {
                self.check_new_request(id)?;
                let protocol = headers.iter().any(|h| &h.name[..] == b":protocol");
                if protocol && !self.peer.is_some_and(|p| p.enable_connect_protocol) {
                    return Err(SendError::ExtendedConnectDisabled);
                }
                Some(false)
            }
        };
        if let Some(no_content) = final_section
            && end_stream
            && !no_content
            && content_length.is_some_and(|n| n > 0)
        {
            return Err(SendError::ContentLengthMismatch);
        }
        if self.config.role == Role::Client {
            let mut stream = Stream::new();
            stream.head_request = headers
                .iter()
                .any(|h| &h.name[..] == b":method" && &h.value[..] == b"HEAD");
            self.streams.insert(id, stream);
            self.next_request_index = self.next_request_index.max(id.index() + 1);
        }
        let block = self.qpack.encode(id, headers);
        self.flush_qpack();
        self.write_frame(id, kind::HEADERS, &block, end_stream);
        if let Some(stream) = self.streams.get_mut(&id)
            && let Some(no_content) = final_section
        {
            stream.send.phase = if end_stream {
                Phase::Closed
            } else {
                Phase::Body
            };
            stream.send.content_length = content_length;
            stream.send.no_content = no_content;
            if stream.connect && (200..300).contains(&status) {
                stream.tunnel = true;
                stream.deadline = None;
            }
        }
        self.retire_if_done(id);
        Ok(())
    }

    /// A client may open a request on `id`: a new stream, below any GOAWAY.
    fn check_new_request(&self, id: StreamId) -> Result<(), SendError> {
        if self.goaway != GoAway::None || self.goaway_received.is_some_and(|g| id.0 >= g) {
            return Err(SendError::ConnectionClosing);
        }
        if self.streams.contains_key(&id) {
            return Err(SendError::InvalidState);
        }
        if id.index() < self.next_request_index {
            return Err(SendError::StreamClosed(id));
        }
        Ok(())
    }

    /// Sends message content on request stream `id`, finishing the stream after it if
    /// `end_stream`. `data` goes to the transport untouched, after its frame header.
    pub fn send_data(
        &mut self,
        id: StreamId,
        data: Bytes,
        end_stream: bool,
    ) -> Result<(), SendError> {
        self.check_alive()?;
        let send = self.body_side(id)?;
        let sent = send.sent.saturating_add(data.len() as u64);
        if send.no_content && !data.is_empty() {
            return Err(SendError::InvalidState);
        }
        if let Some(n) = send.content_length
            && !send.no_content
            && (sent > n || (end_stream && sent != n))
        {
            return Err(SendError::ContentLengthMismatch);
        }
        send.sent = sent;
        if end_stream {
            send.phase = Phase::Closed;
        }
        if !data.is_empty() {
            let mut header = BytesMut::with_capacity(9);
            FrameHeader {
                ty: kind::DATA,
                len: data.len() as u64,
            }
            .encode(&mut header);
            self.write(Target::Request(id), header.freeze(), false);
            self.write(Target::Request(id), data, end_stream);
        } else if end_stream {
            self.write(Target::Request(id), Bytes::new(), true);
        }
        self.retire_if_done(id);
        Ok(())
    }

    /// Sends trailers on request stream `id` and finishes the stream (RFC 9114 §4.1).
    pub fn send_trailers(&mut self, id: StreamId, headers: &[Header]) -> Result<(), SendError> {
        self.check_alive()?;
        if headers.iter().any(|h| h.name.first() == Some(&b':'))
            || !section::outbound(pairs(headers))
        {
            return Err(SendError::InvalidHeader);
        }
        self.check_section_size(headers)?;
        let send = self.body_side(id)?;
        if send
            .content_length
            .is_some_and(|n| n != send.sent && !send.no_content)
        {
            return Err(SendError::ContentLengthMismatch);
        }
        send.phase = Phase::Closed;
        let block = self.qpack.encode(id, headers);
        self.flush_qpack();
        self.write_frame(id, kind::HEADERS, &block, true);
        self.retire_if_done(id);
        Ok(())
    }

    /// Abandons request stream `id` in both directions with `code` (QUIC RESET_STREAM
    /// and STOP_SENDING), e.g. H3_REQUEST_CANCELLED, or H3_NO_ERROR for a server that
    /// answered without reading the whole request (RFC 9114 §4.1). Reported as
    /// [`Event::StreamReset`](crate::Event::StreamReset) by [`Initiator::Local`].
    pub fn reset_stream(&mut self, id: StreamId, code: ErrorCode) -> Result<(), SendError> {
        self.check_alive()?;
        if !self.streams.contains_key(&id) {
            return Err(SendError::NoSuchStream(id));
        }
        self.abandon_stream(id, code, Initiator::Local, true);
        Ok(())
    }

    /// Stops reading request stream `id` (QUIC STOP_SENDING) while still answering on
    /// it: a server that has what it needs of a request (RFC 9114 §4.1, H3_NO_ERROR).
    pub fn stop_reading(&mut self, id: StreamId, code: ErrorCode) -> Result<(), SendError> {
        self.check_alive()?;
        let stream = self
            .streams
            .get_mut(&id)
            .ok_or(SendError::NoSuchStream(id))?;
        if stream.recv.phase != Phase::Closed {
            stream.recv.phase = Phase::Closed;
            stream.deadline = None;
            self.out
                .push_back(crate::Transmit::StopSending { stream: id, code });
            self.qpack.cancel_stream(id);
        }
        self.retire_if_done(id);
        Ok(())
    }

    /// Commands after the connection failed or the transport ended change nothing.
    fn check_alive(&self) -> Result<(), SendError> {
        if self.error.is_some() || self.transport_closed {
            return Err(SendError::ConnectionClosing);
        }
        Ok(())
    }

    /// Our side of stream `id`, if it may carry content now: after the final field
    /// section, before the end.
    fn body_side(&mut self, id: StreamId) -> Result<&mut SendSide, SendError> {
        let stream = self
            .streams
            .get_mut(&id)
            .ok_or(SendError::NoSuchStream(id))?;
        match stream.send.phase {
            Phase::Body => Ok(&mut stream.send),
            Phase::Head => Err(SendError::InvalidState),
            Phase::Trailers | Phase::Closed => Err(SendError::StreamClosed(id)),
        }
    }

    /// The peer's SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §4.2.2), once known.
    fn check_section_size(&self, headers: &[Header]) -> Result<(), SendError> {
        let max = self.peer.and_then(|p| p.max_field_section_size);
        if max.is_some_and(|max| section_size(headers) > max) {
            return Err(SendError::FieldSectionTooLarge);
        }
        Ok(())
    }

    fn write_frame(&mut self, id: StreamId, ty: u64, payload: &[u8], fin: bool) {
        let mut frame = BytesMut::with_capacity(payload.len() + 9);
        FrameHeader {
            ty,
            len: payload.len() as u64,
        }
        .encode(&mut frame);
        frame.extend_from_slice(payload);
        self.write(Target::Request(id), frame.freeze(), fin);
    }
}
