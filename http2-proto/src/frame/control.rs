//! The fixed-size control frames: PRIORITY, RST_STREAM, PING, GOAWAY and WINDOW_UPDATE
//! (RFC 9113 §6.3, §6.4, §6.7, §6.8, §6.9).

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::{
    FrameError, FrameHeader, FrameKind, PrioritySpec, flags, invalid_length, require_connection,
    require_stream,
};
use crate::{ErrorCode, StreamId};

/// A PRIORITY frame (RFC 9113 §6.3): deprecated, parsed and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Priority {
    /// The stream being prioritised (may be idle).
    pub stream: StreamId,
    /// The priority fields.
    pub spec: PrioritySpec,
}

impl Priority {
    pub(crate) fn decode(head: FrameHeader, payload: &[u8]) -> Result<Self, FrameError> {
        require_stream(&head)?;
        if payload.len() != 5 {
            return Err(invalid_length(&head));
        }
        let mut buf = Bytes::copy_from_slice(payload);
        Ok(Self {
            stream: head.stream,
            spec: PrioritySpec::parse(&mut buf),
        })
    }

    /// Writes the frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        FrameHeader {
            length: 5,
            kind: FrameKind::PRIORITY,
            flags: 0,
            stream: self.stream,
        }
        .encode(dst);
        self.spec.put(dst);
    }
}

/// An RST_STREAM frame (RFC 9113 §6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RstStream {
    /// The stream being reset.
    pub stream: StreamId,
    /// Why.
    pub code: ErrorCode,
}

impl RstStream {
    pub(crate) fn decode(head: FrameHeader, payload: &[u8]) -> Result<Self, FrameError> {
        require_stream(&head)?;
        let Ok(code) = <[u8; 4]>::try_from(payload) else {
            return Err(invalid_length(&head));
        };
        Ok(Self {
            stream: head.stream,
            code: ErrorCode(u32::from_be_bytes(code)),
        })
    }

    /// Writes the frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        FrameHeader {
            length: 4,
            kind: FrameKind::RST_STREAM,
            flags: 0,
            stream: self.stream,
        }
        .encode(dst);
        dst.put_u32(self.code.0);
    }
}

/// A PING frame (RFC 9113 §6.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ping {
    /// ACK flag: this answers the peer's PING.
    pub ack: bool,
    /// Opaque data, echoed in the ACK.
    pub payload: [u8; 8],
}

impl Ping {
    pub(crate) fn decode(head: FrameHeader, payload: &[u8]) -> Result<Self, FrameError> {
        require_connection(&head)?;
        let Ok(payload) = <[u8; 8]>::try_from(payload) else {
            return Err(invalid_length(&head));
        };
        Ok(Self {
            ack: head.has(flags::ACK),
            payload,
        })
    }

    /// Writes the frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        let flag_bits = if self.ack { flags::ACK } else { 0 };
        FrameHeader {
            length: 8,
            kind: FrameKind::PING,
            flags: flag_bits,
            stream: StreamId::CONNECTION,
        }
        .encode(dst);
        dst.put_slice(&self.payload);
    }
}

/// A GOAWAY frame (RFC 9113 §6.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoAway {
    /// The highest peer-initiated stream the sender may have processed.
    pub last_stream: StreamId,
    /// Why the connection is closing.
    pub code: ErrorCode,
    /// Opaque diagnostic data.
    pub debug: Bytes,
}

impl GoAway {
    pub(crate) fn decode(head: FrameHeader, mut payload: Bytes) -> Result<Self, FrameError> {
        require_connection(&head)?;
        if payload.len() < 8 {
            return Err(invalid_length(&head));
        }
        let last_stream = StreamId::new(payload.get_u32());
        let code = ErrorCode(payload.get_u32());
        Ok(Self {
            last_stream,
            code,
            debug: payload,
        })
    }

    /// Writes the frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        let length = u32::try_from(8 + self.debug.len()).unwrap_or(u32::MAX);
        FrameHeader {
            length,
            kind: FrameKind::GOAWAY,
            flags: 0,
            stream: StreamId::CONNECTION,
        }
        .encode(dst);
        dst.put_u32(self.last_stream.get());
        dst.put_u32(self.code.0);
        dst.extend_from_slice(&self.debug);
    }
}

/// A WINDOW_UPDATE frame (RFC 9113 §6.9). An increment of 0 decodes successfully: it is
/// a connection error on stream 0 but a stream error elsewhere, which the connection
/// decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowUpdate {
    /// The stream, or 0 for the connection window.
    pub stream: StreamId,
    /// The 31-bit increment.
    pub increment: u32,
}

impl WindowUpdate {
    pub(crate) fn decode(head: FrameHeader, payload: &[u8]) -> Result<Self, FrameError> {
        let Ok(raw) = <[u8; 4]>::try_from(payload) else {
            return Err(invalid_length(&head));
        };
        Ok(Self {
            stream: head.stream,
            increment: u32::from_be_bytes(raw) & 0x7fff_ffff,
        })
    }

    /// Writes the frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        FrameHeader {
            length: 4,
            kind: FrameKind::WINDOW_UPDATE,
            flags: 0,
            stream: self.stream,
        }
        .encode(dst);
        dst.put_u32(self.increment & 0x7fff_ffff);
    }
}
