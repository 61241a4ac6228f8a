//! The frame codec (RFC 9113 §4 and §6): pure functions from bytes to [`Frame`]s and back.
//!
//! Decoding is split in two steps so a receiver never buffers a payload it will refuse:
//! [`FrameHeader::parse`] reads the fixed 9-octet header, the caller checks the length
//! against its SETTINGS_MAX_FRAME_SIZE, then [`decode`] checks and splits the payload.
//! Payloads are `Bytes`, so DATA and header-block fragments stay zero-copy slices of the
//! read buffer. Unknown frame types decode to [`Frame::Unknown`] and unknown flags are
//! ignored (RFC 9113 §4.1, §5.5).

mod control;
mod data;
mod headers;
mod settings;

pub use control::{GoAway, Ping, Priority, RstStream, WindowUpdate};
pub use data::Data;
pub use headers::{Continuation, Headers, PrioritySpec, PushPromise};
pub use settings::{Setting, SettingId, SettingsFrame};

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::{ErrorCode, StreamId};

/// Length of the fixed frame header (RFC 9113 §4.1).
pub const FRAME_HEADER_LEN: usize = 9;

/// The smallest value SETTINGS_MAX_FRAME_SIZE may take, and its initial value.
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 1 << 14;

/// The largest value SETTINGS_MAX_FRAME_SIZE may take (2^24 - 1).
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;

/// A frame type octet (RFC 9113 §6); an open set because unknown types must be ignored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FrameKind(pub u8);

impl FrameKind {
    /// DATA (RFC 9113 §6.1).
    pub const DATA: Self = Self(0x0);
    /// HEADERS (§6.2).
    pub const HEADERS: Self = Self(0x1);
    /// PRIORITY (§6.3, deprecated; parsed and ignored).
    pub const PRIORITY: Self = Self(0x2);
    /// RST_STREAM (§6.4).
    pub const RST_STREAM: Self = Self(0x3);
    /// SETTINGS (§6.5).
    pub const SETTINGS: Self = Self(0x4);
    /// PUSH_PROMISE (§6.6).
    pub const PUSH_PROMISE: Self = Self(0x5);
    /// PING (§6.7).
    pub const PING: Self = Self(0x6);
    /// GOAWAY (§6.8).
    pub const GOAWAY: Self = Self(0x7);
    /// WINDOW_UPDATE (§6.9).
    pub const WINDOW_UPDATE: Self = Self(0x8);
    /// CONTINUATION (§6.10).
    pub const CONTINUATION: Self = Self(0x9);
}

impl fmt::Debug for FrameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0x0 => "DATA",
            0x1 => "HEADERS",
            0x2 => "PRIORITY",
            0x3 => "RST_STREAM",
            0x4 => "SETTINGS",
            0x5 => "PUSH_PROMISE",
            0x6 => "PING",
            0x7 => "GOAWAY",
            0x8 => "WINDOW_UPDATE",
            0x9 => "CONTINUATION",
            other => return write!(f, "FrameKind({other:#x})"),
        };
        f.write_str(name)
    }
}

/// Flag bits defined by RFC 9113 §6; bits a frame type does not define are ignored.
pub mod flags {
    /// DATA, HEADERS: last frame the sender sends on this stream.
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: this frame acknowledges the peer's.
    pub const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION: the header block ends in this frame.
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE: a Pad Length octet and padding are present.
    pub const PADDED: u8 = 0x8;
    /// HEADERS: the deprecated priority fields are present.
    pub const PRIORITY: u8 = 0x20;
}

/// The 9-octet header every frame starts with (RFC 9113 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FrameHeader {
    /// Payload length (24 bits).
    pub length: u32,
    /// Frame type.
    pub kind: FrameKind,
    /// Flag octet, including bits the type does not define.
    pub flags: u8,
    /// Stream identifier, reserved bit cleared.
    pub stream: StreamId,
}

impl FrameHeader {
    /// Reads a frame header. The reserved bit of the stream identifier is ignored.
    pub fn parse(src: &[u8; FRAME_HEADER_LEN]) -> Self {
        let [l0, l1, l2, kind, flags, s0, s1, s2, s3] = *src;
        Self {
            length: u32::from_be_bytes([0, l0, l1, l2]),
            kind: FrameKind(kind),
            flags,
            stream: StreamId::new(u32::from_be_bytes([s0, s1, s2, s3])),
        }
    }

    /// Writes the header; `length` must fit 24 bits (callers split larger payloads).
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.put_slice(&self.to_bytes());
    }

    /// The header's 9 octets.
    pub fn to_bytes(&self) -> [u8; FRAME_HEADER_LEN] {
        let [_, l0, l1, l2] = self.length.min(MAX_MAX_FRAME_SIZE).to_be_bytes();
        let [s0, s1, s2, s3] = self.stream.get().to_be_bytes();
        [l0, l1, l2, self.kind.0, self.flags, s0, s1, s2, s3]
    }

    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag == flag
    }
}

/// A decoded frame (RFC 9113 §6).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// DATA.
    Data(Data),
    /// HEADERS.
    Headers(Headers),
    /// PRIORITY.
    Priority(Priority),
    /// RST_STREAM.
    RstStream(RstStream),
    /// SETTINGS.
    Settings(SettingsFrame),
    /// PUSH_PROMISE.
    PushPromise(PushPromise),
    /// PING.
    Ping(Ping),
    /// GOAWAY.
    GoAway(GoAway),
    /// WINDOW_UPDATE.
    WindowUpdate(WindowUpdate),
    /// CONTINUATION.
    Continuation(Continuation),
    /// A frame of a type this crate does not know; to be ignored (RFC 9113 §5.5).
    Unknown(FrameHeader),
}

impl Frame {
    /// Writes the whole frame, header and payload.
    pub fn encode(&self, dst: &mut BytesMut) {
        match self {
            Self::Data(f) => f.encode(dst),
            Self::Headers(f) => f.encode(dst),
            Self::Priority(f) => f.encode(dst),
            Self::RstStream(f) => f.encode(dst),
            Self::Settings(f) => f.encode(dst),
            Self::PushPromise(f) => f.encode(dst),
            Self::Ping(f) => f.encode(dst),
            Self::GoAway(f) => f.encode(dst),
            Self::WindowUpdate(f) => f.encode(dst),
            Self::Continuation(f) => f.encode(dst),
            Self::Unknown(head) => {
                let mut head = *head;
                head.length = 0;
                head.encode(dst);
            }
        }
    }
}

/// A frame that breaks a rule of RFC 9113 §4-6 regardless of connection state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame needs a non-zero stream identifier (PROTOCOL_ERROR).
    #[error("{0:?} frame on stream 0")]
    MissingStreamId(FrameKind),
    /// The frame must be sent on stream 0 (PROTOCOL_ERROR).
    #[error("{0:?} frame on a non-zero stream")]
    UnexpectedStreamId(FrameKind),
    /// The payload length is wrong for the type (FRAME_SIZE_ERROR; a stream error for
    /// PRIORITY, RFC 9113 §6.3).
    #[error("{kind:?} frame with invalid length {length}")]
    InvalidLength {
        /// Frame type.
        kind: FrameKind,
        /// Stream the frame was on.
        stream: StreamId,
        /// Payload length received.
        length: u32,
    },
    /// The frame is larger than SETTINGS_MAX_FRAME_SIZE allows (FRAME_SIZE_ERROR, §4.2).
    #[error("frame of {length} octets exceeds the maximum of {max}")]
    TooLarge {
        /// Payload length received.
        length: u32,
        /// The maximum we advertised.
        max: u32,
    },
    /// The Pad Length is not smaller than the payload (PROTOCOL_ERROR, §6.1).
    #[error("padding exceeds the frame payload")]
    InvalidPadding,
    /// A SETTINGS ACK carries a payload (FRAME_SIZE_ERROR, §6.5).
    #[error("SETTINGS ACK with a payload")]
    SettingsAckWithPayload,
    /// A SETTINGS value is out of range (§6.5.2): FLOW_CONTROL_ERROR for
    /// INITIAL_WINDOW_SIZE, PROTOCOL_ERROR otherwise.
    #[error("invalid value {value} for setting {id:?}")]
    InvalidSetting {
        /// The setting.
        id: SettingId,
        /// The value received.
        value: u32,
    },
}

impl FrameError {
    /// The error code RFC 9113 assigns to this violation.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MissingStreamId(_) | Self::UnexpectedStreamId(_) | Self::InvalidPadding => {
                ErrorCode::PROTOCOL_ERROR
            }
            Self::InvalidLength { .. } | Self::TooLarge { .. } | Self::SettingsAckWithPayload => {
                ErrorCode::FRAME_SIZE_ERROR
            }
            Self::InvalidSetting { id, .. } if *id == SettingId::INITIAL_WINDOW_SIZE => {
                ErrorCode::FLOW_CONTROL_ERROR
            }
            Self::InvalidSetting { .. } => ErrorCode::PROTOCOL_ERROR,
        }
    }

    /// The stream to reset when the violation is a stream error rather than a connection
    /// error (only a PRIORITY frame of the wrong length, RFC 9113 §6.3).
    pub fn stream(&self) -> Option<StreamId> {
        match self {
            Self::InvalidLength { kind, stream, .. } if *kind == FrameKind::PRIORITY => {
                Some(*stream)
            }
            _ => None,
        }
    }

    /// A short static description, suitable for GOAWAY debug data.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingStreamId(_) => "frame requires a stream id",
            Self::UnexpectedStreamId(_) => "frame must be on stream 0",
            Self::InvalidLength { .. } => "invalid frame length",
            Self::TooLarge { .. } => "frame exceeds max frame size",
            Self::InvalidPadding => "invalid padding",
            Self::SettingsAckWithPayload => "SETTINGS ACK with payload",
            Self::InvalidSetting { .. } => "invalid SETTINGS value",
        }
    }
}

/// Decodes one frame's payload. `payload.len()` must equal `head.length`; the caller has
/// already refused lengths above its SETTINGS_MAX_FRAME_SIZE.
///
/// # Errors
///
/// A [`FrameError`] for any violation of the per-type rules of RFC 9113 §6 (stream-id
/// presence, payload length, padding, settings values).
pub fn decode(head: FrameHeader, payload: Bytes) -> Result<Frame, FrameError> {
    Ok(match head.kind {
        FrameKind::DATA => Frame::Data(Data::decode(head, payload)?),
        FrameKind::HEADERS => Frame::Headers(Headers::decode(head, payload)?),
        FrameKind::PRIORITY => Frame::Priority(Priority::decode(head, &payload)?),
        FrameKind::RST_STREAM => Frame::RstStream(RstStream::decode(head, &payload)?),
        FrameKind::SETTINGS => Frame::Settings(SettingsFrame::decode(head, &payload)?),
        FrameKind::PUSH_PROMISE => Frame::PushPromise(PushPromise::decode(head, payload)?),
        FrameKind::PING => Frame::Ping(Ping::decode(head, &payload)?),
        FrameKind::GOAWAY => Frame::GoAway(GoAway::decode(head, payload)?),
        FrameKind::WINDOW_UPDATE => Frame::WindowUpdate(WindowUpdate::decode(head, &payload)?),
        FrameKind::CONTINUATION => Frame::Continuation(Continuation::decode(head, payload)?),
        _ => Frame::Unknown(head),
    })
}

/// Decodes the next complete frame from the front of `src`, leaving partial input in
/// place. Returns `Ok(None)` when more bytes are needed.
///
/// # Errors
///
/// [`FrameError::TooLarge`] when the header announces more than `max_frame_size` octets
/// (checked before the payload is buffered), or any error of [`decode`].
pub fn decode_from(src: &mut BytesMut, max_frame_size: u32) -> Result<Option<Frame>, FrameError> {
    let Some(head_bytes) = src.first_chunk::<FRAME_HEADER_LEN>() else {
        return Ok(None);
    };
    let head = FrameHeader::parse(head_bytes);
    if head.length > max_frame_size {
        return Err(FrameError::TooLarge {
            length: head.length,
            max: max_frame_size,
        });
    }
    let total = FRAME_HEADER_LEN + head.length as usize;
    if src.len() < total {
        return Ok(None);
    }
    let mut frame = src.split_to(total);
    let payload = frame.split_off(FRAME_HEADER_LEN).freeze();
    decode(head, payload).map(Some)
}

pub(crate) fn require_stream(head: &FrameHeader) -> Result<(), FrameError> {
    if head.stream.is_connection() {
        return Err(FrameError::MissingStreamId(head.kind));
    }
    Ok(())
}

pub(crate) fn require_connection(head: &FrameHeader) -> Result<(), FrameError> {
    if !head.stream.is_connection() {
        return Err(FrameError::UnexpectedStreamId(head.kind));
    }
    Ok(())
}

pub(crate) fn invalid_length(head: &FrameHeader) -> FrameError {
    FrameError::InvalidLength {
        kind: head.kind,
        stream: head.stream,
        length: head.length,
    }
}

/// Strips the Pad Length octet and the padding of a PADDED frame (RFC 9113 §6.1).
/// Returns the remaining payload and the pad length (0 if not padded).
pub(crate) fn strip_padding(
    head: &FrameHeader,
    mut payload: Bytes,
) -> Result<(Bytes, u8), FrameError> {
    if !head.has(flags::PADDED) {
        return Ok((payload, 0));
    }
    let Some(&pad) = payload.first() else {
        return Err(FrameError::InvalidPadding);
    };
    let body_len = payload.len() - 1;
    // Padding equal to the remaining length is allowed only if nothing else must fit;
    // RFC 9113 §6.1: pad length >= payload length is a PROTOCOL_ERROR.
    if usize::from(pad) > body_len {
        return Err(FrameError::InvalidPadding);
    }
    let keep = body_len - usize::from(pad);
    payload = payload.slice(1..1 + keep);
    Ok((payload, pad))
}

/// Writes the optional Pad Length octet of a padded frame.
pub(crate) fn put_pad_len(dst: &mut BytesMut, pad: Option<u8>) {
    if let Some(pad) = pad {
        dst.put_u8(pad);
    }
}

/// Writes `pad` zero octets of padding.
pub(crate) fn put_padding(dst: &mut BytesMut, pad: Option<u8>) {
    if let Some(pad) = pad {
        dst.put_bytes(0, usize::from(pad));
    }
}

#[cfg(test)]
mod tests;
