//! The peer's unidirectional streams (RFC 9114 §6.2): the stream type, the control
//! stream and its frames, and the QPACK encoder and decoder streams (RFC 9204 §4.2).

use std::time::Instant;

use bytes::{Buf, Bytes};

use super::{Connection, Uni};
use crate::frame::{PayloadError, decode_single_varint, kind, stream_type};
use crate::reader::{FrameReader, Piece};
use crate::settings::SettingsError;
use crate::{
    ConnectionError, ErrorCode, Event, Initiator, Role, Settings, StreamId, Transmit, varint,
};

/// The longest stream type: one eight-octet integer.
const MAX_TYPE_LEN: usize = 8;

fn unexpected(reason: &'static str) -> ConnectionError {
    ConnectionError::protocol(ErrorCode::H3_FRAME_UNEXPECTED, reason)
}

fn frame_error(e: PayloadError) -> ConnectionError {
    ConnectionError::protocol(ErrorCode::H3_FRAME_ERROR, e.0)
}

fn id_error(reason: &'static str) -> ConnectionError {
    ConnectionError::protocol(ErrorCode::H3_ID_ERROR, reason)
}

impl Connection {
    pub(super) fn recv_uni(&mut self, now: Instant, id: StreamId, mut data: Bytes, fin: bool) {
        if !self.open_uni(id) {
            return;
        }
        let Some(state) = self.uni.remove(&id) else {
            return;
        };
        let result = match state {
            Uni::Type(mut partial) => {
                let before = partial.len();
                let take = (MAX_TYPE_LEN - before).min(data.len());
                partial.extend_from_slice(&data[..take]);
                match varint::decode(&partial) {
                    None => {
                        // A stream that ends before its type is simply dropped.
                        if !fin {
                            self.uni.insert(id, Uni::Type(partial));
                        }
                        return;
                    }
                    Some((ty, used)) => {
                        data.advance(used - before);
                        match self.classify_uni(id, ty) {
                            Ok(Some(state)) => self.recv_typed_uni(now, id, state, data, fin),
                            Ok(None) => return,
                            Err(e) => Err(e),
                        }
                    }
                }
            }
            state => self.recv_typed_uni(now, id, state, data, fin),
        };
        if let Err(e) = result {
            self.fail(e);
        }
    }

    /// What a new unidirectional stream of type `ty` is (RFC 9114 §6.2): `None` for one
    /// we ignore, refused with STOP_SENDING.
    fn classify_uni(&mut self, id: StreamId, ty: u64) -> Result<Option<Uni>, ConnectionError> {
        let duplicate = |seen: &mut bool, what: &'static str| {
            if std::mem::replace(seen, true) {
                Err(ConnectionError::protocol(
                    ErrorCode::H3_STREAM_CREATION_ERROR,
                    what,
                ))
            } else {
                Ok(())
            }
        };
        Ok(Some(match ty {
            stream_type::CONTROL => {
                duplicate(&mut self.peer_control, "second control stream")?;
                Uni::Control {
                    reader: FrameReader::default(),
                    settings_seen: false,
                }
            }
            stream_type::QPACK_ENCODER => {
                duplicate(&mut self.peer_encoder, "second QPACK encoder stream")?;
                Uni::Encoder
            }
            stream_type::QPACK_DECODER => {
                duplicate(&mut self.peer_decoder, "second QPACK decoder stream")?;
                Uni::Decoder
            }
            stream_type::PUSH => {
                return Err(match self.config.role {
                    // Only servers push (RFC 9114 §6.2.2).
                    Role::Server => ConnectionError::protocol(
                        ErrorCode::H3_STREAM_CREATION_ERROR,
                        "push stream from a client",
                    ),
                    // We never sent MAX_PUSH_ID, so every push ID is too large (§4.6).
                    Role::Client => id_error("push stream without MAX_PUSH_ID"),
                });
            }
            _ => {
                // Unknown and reserved types are not errors (RFC 9114 §6.2); we stop
                // reading them, and a peer that opens them without end is a flood.
                self.guards.ignored_uni_streams += 1;
                if self.guards.ignored_uni_streams > self.config.limits.max_ignored_uni_streams {
                    return Err(ConnectionError::flood(
                        "too many unknown unidirectional streams",
                    ));
                }
                self.out.push_back(Transmit::StopSending {
                    stream: id,
                    code: ErrorCode::H3_STREAM_CREATION_ERROR,
                });
                return Ok(None);
            }
        }))
    }

    fn recv_typed_uni(
        &mut self,
        now: Instant,
        id: StreamId,
        mut state: Uni,
        mut data: Bytes,
        fin: bool,
    ) -> Result<(), ConnectionError> {
        match &mut state {
            Uni::Control {
                reader,
                settings_seen,
            } => self.recv_control(now, reader, settings_seen, &mut data)?,
            Uni::Encoder => {
                for stream in self.qpack.recv_encoder_stream(&data)? {
                    self.resume_blocked(now, stream);
                }
            }
            Uni::Decoder => self.qpack.recv_decoder_stream(&data)?,
            Uni::Type(_) => {}
        }
        if fin {
            return Err(ConnectionError::protocol(
                ErrorCode::H3_CLOSED_CRITICAL_STREAM,
                "critical stream finished by peer",
            ));
        }
        if self.error.is_none() {
            self.uni.insert(id, state);
        }
        Ok(())
    }

    /// Frames of the peer's control stream (RFC 9114 §6.2.1).
    fn recv_control(
        &mut self,
        now: Instant,
        reader: &mut FrameReader,
        settings_seen: &mut bool,
        data: &mut Bytes,
    ) -> Result<(), ConnectionError> {
        while let Some(piece) = reader.next(data) {
            match piece {
                Piece::Start(h) => {
                    if !*settings_seen && h.ty != kind::SETTINGS {
                        return Err(ConnectionError::protocol(
                            ErrorCode::H3_MISSING_SETTINGS,
                            "control stream does not start with SETTINGS",
                        ));
                    }
                    match h.ty {
                        kind::SETTINGS if *settings_seen => {
                            return Err(unexpected("second SETTINGS frame"));
                        }
                        kind::SETTINGS | kind::GOAWAY | kind::MAX_PUSH_ID | kind::CANCEL_PUSH => {
                            if h.len > self.config.limits.max_control_frame_size {
                                return Err(ConnectionError::flood("control frame too large"));
                            }
                            *settings_seen = true;
                            reader.hold();
                        }
                        kind::DATA | kind::HEADERS | kind::PUSH_PROMISE => {
                            return Err(unexpected("message frame on the control stream"));
                        }
                        ty if kind::is_reserved_http2(ty) => {
                            return Err(unexpected("HTTP/2 frame type"));
                        }
                        _ => {
                            self.count_empty_frame(h.len)?;
                            reader.skip();
                        }
                    }
                }
                Piece::Frame { ty, payload } => self.control_frame(now, ty, &payload)?,
                // Nothing on the control stream is passed on piecewise.
                Piece::Chunk(_) => {}
            }
        }
        Ok(())
    }

    fn control_frame(
        &mut self,
        now: Instant,
        ty: u64,
        payload: &[u8],
    ) -> Result<(), ConnectionError> {
        let role = self.config.role;
        match ty {
            kind::SETTINGS => {
                let settings = Settings::decode(payload, self.config.limits.max_settings_entries)
                    .map_err(|e| match e {
                    SettingsError::Malformed(e) => frame_error(e),
                    SettingsError::Invalid(reason) => {
                        ConnectionError::protocol(ErrorCode::H3_SETTINGS_ERROR, reason)
                    }
                    SettingsError::TooMany => ConnectionError::flood("too many settings"),
                })?;
                self.qpack.apply_peer_settings(&settings);
                self.peer = Some(settings);
                self.events.push_back(Event::Settings(settings));
            }
            kind::GOAWAY => {
                let id = decode_single_varint(payload).map_err(frame_error)?;
                self.recv_goaway(now, id)?;
            }
            kind::MAX_PUSH_ID => {
                if role == Role::Client {
                    return Err(unexpected("MAX_PUSH_ID from a server"));
                }
                let id = decode_single_varint(payload).map_err(frame_error)?;
                if self.max_push_id.is_some_and(|max| id < max) {
                    return Err(id_error("MAX_PUSH_ID decreased"));
                }
                self.max_push_id = Some(id);
            }
            kind::CANCEL_PUSH => {
                decode_single_varint(payload).map_err(frame_error)?;
                // Neither role ever mentions a push ID: a server here never sends
                // PUSH_PROMISE, and a client never sends MAX_PUSH_ID. So any push ID a
                // peer cancels was never promised (server) or never allowed (client),
                // both H3_ID_ERROR (RFC 9114 §7.2.3).
                return Err(id_error("CANCEL_PUSH for a push never promised"));
            }
            _ => {}
        }
        Ok(())
    }

    /// GOAWAY from the peer (RFC 9114 §5.2).
    fn recv_goaway(&mut self, _now: Instant, id: u64) -> Result<(), ConnectionError> {
        if self.config.role == Role::Client && !StreamId(id).is_request() {
            return Err(id_error(
                "GOAWAY names a stream that is not a request stream",
            ));
        }
        if self.goaway_received.is_some_and(|last| id > last) {
            return Err(id_error("GOAWAY identifier increased"));
        }
        self.goaway_received = Some(id);
        self.events.push_back(Event::GoAway { id });
        if self.config.role == Role::Client {
            // Requests from `id` on were not processed: safe to retry elsewhere.
            let mut refused: Vec<StreamId> =
                self.streams.keys().copied().filter(|s| s.0 >= id).collect();
            refused.sort_unstable();
            for stream in refused {
                self.abandon_stream(
                    stream,
                    ErrorCode::H3_REQUEST_CANCELLED,
                    Initiator::Local,
                    false,
                );
                self.events.push_back(Event::StreamReset {
                    stream,
                    code: ErrorCode::H3_REQUEST_REJECTED,
                    by: Initiator::Remote,
                });
            }
        }
        Ok(())
    }

    /// One more frame that carries nothing; too many over the connection's life is a
    /// flood (RFC 9114 §10.5).
    pub(super) fn count_empty_frame(&mut self, len: u64) -> Result<(), ConnectionError> {
        if len == 0 {
            self.guards.empty_frames += 1;
            if self.guards.empty_frames > self.config.limits.max_empty_frames {
                return Err(ConnectionError::flood("too many empty frames"));
            }
        }
        Ok(())
    }
}
