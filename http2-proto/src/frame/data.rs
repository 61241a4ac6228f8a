//! DATA frames (RFC 9113 §6.1).

use bytes::{Bytes, BytesMut};

use super::{FrameError, FrameHeader, FrameKind, flags, put_pad_len, put_padding, require_stream};
use crate::StreamId;

/// A DATA frame: a slice of a stream's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Data {
    /// The stream (never 0).
    pub stream: StreamId,
    /// The payload without padding; a zero-copy slice of the read buffer.
    pub data: Bytes,
    /// END_STREAM was set.
    pub end_stream: bool,
    /// Padding length, if the frame was padded.
    pub pad: Option<u8>,
}

impl Data {
    /// A frame without padding.
    pub fn new(stream: StreamId, data: Bytes, end_stream: bool) -> Self {
        Self {
            stream,
            data,
            end_stream,
            pad: None,
        }
    }

    pub(crate) fn decode(head: FrameHeader, payload: Bytes) -> Result<Self, FrameError> {
        require_stream(&head)?;
        let padded = head.has(flags::PADDED);
        let (data, pad) = super::strip_padding(&head, payload)?;
        Ok(Self {
            stream: head.stream,
            data,
            end_stream: head.has(flags::END_STREAM),
            pad: padded.then_some(pad),
        })
    }

    /// The length this frame counts against flow control: the whole payload including
    /// the Pad Length octet and the padding (RFC 9113 §6.9).
    pub fn flow_len(&self) -> usize {
        self.data.len() + self.pad.map_or(0, |p| 1 + usize::from(p))
    }

    /// Writes only the frame header (and Pad Length): the caller sends `data` and the
    /// padding itself, so a large body goes out without a copy.
    pub fn encode_head(&self, dst: &mut BytesMut) {
        let mut flag_bits = 0;
        if self.end_stream {
            flag_bits |= flags::END_STREAM;
        }
        if self.pad.is_some() {
            flag_bits |= flags::PADDED;
        }
        let length = u32::try_from(self.flow_len()).unwrap_or(u32::MAX);
        FrameHeader {
            length,
            kind: FrameKind::DATA,
            flags: flag_bits,
            stream: self.stream,
        }
        .encode(dst);
        put_pad_len(dst, self.pad);
    }

    /// Writes the whole frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.encode_head(dst);
        dst.extend_from_slice(&self.data);
        put_padding(dst, self.pad);
    }
}
