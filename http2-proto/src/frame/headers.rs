//! HEADERS, PUSH_PROMISE and CONTINUATION frames (RFC 9113 §6.2, §6.6, §6.10): the
//! frames that carry header-block fragments.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::{
    FrameError, FrameHeader, FrameKind, flags, invalid_length, put_pad_len, put_padding,
    require_stream, strip_padding,
};
use crate::StreamId;

/// The deprecated priority fields of HEADERS and PRIORITY (RFC 9113 §5.3.2). Parsed so
/// the frame can be checked and skipped; never acted upon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PrioritySpec {
    /// The stream this one depends on.
    pub dependency: StreamId,
    /// The exclusive bit.
    pub exclusive: bool,
    /// Weight minus one, as on the wire.
    pub weight: u8,
}

impl PrioritySpec {
    pub(crate) fn parse(src: &mut Bytes) -> Self {
        let raw = src.get_u32();
        let weight = src.get_u8();
        Self {
            dependency: StreamId::new(raw),
            exclusive: raw & 0x8000_0000 != 0,
            weight,
        }
    }

    pub(crate) fn put(&self, dst: &mut BytesMut) {
        let excl = if self.exclusive { 0x8000_0000 } else { 0 };
        dst.put_u32(self.dependency.get() | excl);
        dst.put_u8(self.weight);
    }
}

/// A HEADERS frame: opens a stream or carries trailers (RFC 9113 §6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headers {
    /// The stream (never 0).
    pub stream: StreamId,
    /// Header-block fragment (HPACK), padding removed.
    pub block: Bytes,
    /// END_STREAM was set.
    pub end_stream: bool,
    /// END_HEADERS was set: no CONTINUATION follows.
    pub end_headers: bool,
    /// Priority fields, if the PRIORITY flag was set.
    pub priority: Option<PrioritySpec>,
    /// Padding length, if padded.
    pub pad: Option<u8>,
}

impl Headers {
    pub(crate) fn decode(head: FrameHeader, payload: Bytes) -> Result<Self, FrameError> {
        require_stream(&head)?;
        let padded = head.has(flags::PADDED);
        let (mut block, pad) = strip_padding(&head, payload)?;
        let priority = if head.has(flags::PRIORITY) {
            if block.len() < 5 {
                // The priority fields must fit between Pad Length and padding.
                return Err(if padded {
                    FrameError::InvalidPadding
                } else {
                    invalid_length(&head)
                });
            }
            Some(PrioritySpec::parse(&mut block))
        } else {
            None
        };
        Ok(Self {
            stream: head.stream,
            block,
            end_stream: head.has(flags::END_STREAM),
            end_headers: head.has(flags::END_HEADERS),
            priority,
            pad: padded.then_some(pad),
        })
    }

    /// Writes the frame. `block` must fit the peer's SETTINGS_MAX_FRAME_SIZE.
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut flag_bits = 0;
        if self.end_stream {
            flag_bits |= flags::END_STREAM;
        }
        if self.end_headers {
            flag_bits |= flags::END_HEADERS;
        }
        if self.pad.is_some() {
            flag_bits |= flags::PADDED;
        }
        if self.priority.is_some() {
            flag_bits |= flags::PRIORITY;
        }
        let length = self.block.len()
            + self.pad.map_or(0, |p| 1 + usize::from(p))
            + if self.priority.is_some() { 5 } else { 0 };
        let length = u32::try_from(length).unwrap_or(u32::MAX);
        FrameHeader {
            length,
            kind: FrameKind::HEADERS,
            flags: flag_bits,
            stream: self.stream,
        }
        .encode(dst);
        put_pad_len(dst, self.pad);
        if let Some(p) = &self.priority {
            p.put(dst);
        }
        dst.extend_from_slice(&self.block);
        put_padding(dst, self.pad);
    }
}

/// A PUSH_PROMISE frame: the server reserves a stream for a response it will push
/// (RFC 9113 §6.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushPromise {
    /// The stream of the request the push belongs to.
    pub stream: StreamId,
    /// The reserved stream.
    pub promised: StreamId,
    /// Header-block fragment of the promised request.
    pub block: Bytes,
    /// END_HEADERS was set.
    pub end_headers: bool,
    /// Padding length, if padded.
    pub pad: Option<u8>,
}

impl PushPromise {
    pub(crate) fn decode(head: FrameHeader, payload: Bytes) -> Result<Self, FrameError> {
        require_stream(&head)?;
        let padded = head.has(flags::PADDED);
        let (mut block, pad) = strip_padding(&head, payload)?;
        if block.len() < 4 {
            return Err(if padded {
                FrameError::InvalidPadding
            } else {
                invalid_length(&head)
            });
        }
        let promised = StreamId::new(block.get_u32());
        Ok(Self {
            stream: head.stream,
            promised,
            block,
            end_headers: head.has(flags::END_HEADERS),
            pad: padded.then_some(pad),
        })
    }

    /// Writes the frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut flag_bits = 0;
        if self.end_headers {
            flag_bits |= flags::END_HEADERS;
        }
        if self.pad.is_some() {
            flag_bits |= flags::PADDED;
        }
        let length = 4 + self.block.len() + self.pad.map_or(0, |p| 1 + usize::from(p));
        let length = u32::try_from(length).unwrap_or(u32::MAX);
        FrameHeader {
            length,
            kind: FrameKind::PUSH_PROMISE,
            flags: flag_bits,
            stream: self.stream,
        }
        .encode(dst);
        put_pad_len(dst, self.pad);
        dst.put_u32(self.promised.get());
        dst.extend_from_slice(&self.block);
        put_padding(dst, self.pad);
    }
}

/// A CONTINUATION frame: the next fragment of a header block (RFC 9113 §6.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Continuation {
    /// The stream the header block belongs to.
    pub stream: StreamId,
    /// Header-block fragment.
    pub block: Bytes,
    /// END_HEADERS was set.
    pub end_headers: bool,
}

impl Continuation {
    pub(crate) fn decode(head: FrameHeader, payload: Bytes) -> Result<Self, FrameError> {
        require_stream(&head)?;
        Ok(Self {
            stream: head.stream,
            block: payload,
            end_headers: head.has(flags::END_HEADERS),
        })
    }

    /// Writes the frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        let flag_bits = if self.end_headers {
            flags::END_HEADERS
        } else {
            0
        };
        let length = u32::try_from(self.block.len()).unwrap_or(u32::MAX);
        FrameHeader {
            length,
            kind: FrameKind::CONTINUATION,
            flags: flag_bits,
            stream: self.stream,
        }
        .encode(dst);
        dst.extend_from_slice(&self.block);
    }
}
