//! The runner's own HTTP/2 frame writer and reader (RFC 9113 §4 and §6).
//!
//! Deliberately independent of `http2-proto`: the writer must be able to put
//! malformed frames on the wire (wrong lengths, reserved stream ids, padding
//! longer than the payload), and the reader must never reject what a server
//! sends, so a bug in our own protocol crate cannot hide itself here.

use std::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Length of the fixed frame header (RFC 9113 §4.1).
pub(crate) const FRAME_HEADER_LEN: usize = 9;

/// The largest payload the reader accepts: the 24-bit length field's maximum.
pub(crate) const MAX_FRAME_PAYLOAD: usize = (1 << 24) - 1;

/// The client connection preface (RFC 9113 §3.4).
pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A frame type octet (RFC 9113 §6); unknown values are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct FrameType(pub(crate) u8);

impl FrameType {
    pub(crate) const DATA: Self = Self(0x0);
    pub(crate) const HEADERS: Self = Self(0x1);
    pub(crate) const PRIORITY: Self = Self(0x2);
    pub(crate) const RST_STREAM: Self = Self(0x3);
    pub(crate) const SETTINGS: Self = Self(0x4);
    pub(crate) const PUSH_PROMISE: Self = Self(0x5);
    pub(crate) const PING: Self = Self(0x6);
    pub(crate) const GOAWAY: Self = Self(0x7);
    pub(crate) const WINDOW_UPDATE: Self = Self(0x8);
    pub(crate) const CONTINUATION: Self = Self(0x9);

    /// The name h2spec prints for the type.
    pub(crate) fn name(self) -> String {
        match self.0 {
            0x0 => "DATA".into(),
            0x1 => "HEADERS".into(),
            0x2 => "PRIORITY".into(),
            0x3 => "RST_STREAM".into(),
            0x4 => "SETTINGS".into(),
            0x5 => "PUSH_PROMISE".into(),
            0x6 => "PING".into(),
            0x7 => "GOAWAY".into(),
            0x8 => "WINDOW_UPDATE".into(),
            0x9 => "CONTINUATION".into(),
            other => format!("UNKNOWN_FRAME_TYPE_{other}"),
        }
    }
}

/// Frame flag bits (RFC 9113 §6); their meaning depends on the frame type.
pub(crate) mod flags {
    /// DATA, HEADERS: the last frame of the stream.
    pub(crate) const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: an acknowledgement.
    pub(crate) const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION: the header block is complete.
    pub(crate) const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE: a Pad Length octet leads the payload.
    pub(crate) const PADDED: u8 = 0x8;
    /// HEADERS: a stream dependency and weight follow.
    pub(crate) const PRIORITY: u8 = 0x20;
}

/// An HTTP/2 error code (RFC 9113 §7); unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct ErrorCode(pub(crate) u32);

impl ErrorCode {
    pub(crate) const NO_ERROR: Self = Self(0x0);
    pub(crate) const PROTOCOL_ERROR: Self = Self(0x1);
    pub(crate) const FLOW_CONTROL_ERROR: Self = Self(0x3);
    pub(crate) const STREAM_CLOSED: Self = Self(0x5);
    pub(crate) const FRAME_SIZE_ERROR: Self = Self(0x6);
    pub(crate) const REFUSED_STREAM: Self = Self(0x7);
    pub(crate) const CANCEL: Self = Self(0x8);
    pub(crate) const COMPRESSION_ERROR: Self = Self(0x9);
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0x0 => "NO_ERROR",
            0x1 => "PROTOCOL_ERROR",
            0x2 => "INTERNAL_ERROR",
            0x3 => "FLOW_CONTROL_ERROR",
            0x4 => "SETTINGS_TIMEOUT",
            0x5 => "STREAM_CLOSED",
            0x6 => "FRAME_SIZE_ERROR",
            0x7 => "REFUSED_STREAM",
            0x8 => "CANCEL",
            0x9 => "COMPRESSION_ERROR",
            0xa => "CONNECT_ERROR",
            0xb => "ENHANCE_YOUR_CALM",
            0xc => "INADEQUATE_SECURITY",
            0xd => "HTTP_1_1_REQUIRED",
            other => return write!(f, "unknown error code 0x{other:x}"),
        };
        f.write_str(name)
    }
}

/// SETTINGS parameter identifiers (RFC 9113 §6.5.2).
pub(crate) mod setting {
    pub(crate) const HEADER_TABLE_SIZE: u16 = 0x1;
    pub(crate) const ENABLE_PUSH: u16 = 0x2;
    pub(crate) const MAX_CONCURRENT_STREAMS: u16 = 0x3;
    pub(crate) const INITIAL_WINDOW_SIZE: u16 = 0x4;
    pub(crate) const MAX_FRAME_SIZE: u16 = 0x5;
    pub(crate) const MAX_HEADER_LIST_SIZE: u16 = 0x6;
    /// RFC 8441 §3.
    pub(crate) const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
}

/// One frame as read from the server: the header fields and the raw payload.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Frame {
    pub(crate) kind: FrameType,
    pub(crate) flags: u8,
    /// The stream identifier with the reserved bit cleared.
    pub(crate) stream_id: u32,
    pub(crate) payload: Bytes,
}

impl Frame {
    /// Whether the flag bit(s) are all set.
    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag == flag
    }

    /// The error code of a RST_STREAM or GOAWAY frame, if the payload holds one.
    pub(crate) fn error_code(&self) -> Option<ErrorCode> {
        let at = match self.kind {
            FrameType::RST_STREAM => 0,
            FrameType::GOAWAY => 4,
            _ => return None,
        };
        let bytes = self.payload.get(at..at + 4)?;
        let mut word = [0; 4];
        word.copy_from_slice(bytes);
        Some(ErrorCode(u32::from_be_bytes(word)))
    }

    /// The opaque data of a PING frame with a well-formed 8-octet payload.
    pub(crate) fn ping_data(&self) -> Option<[u8; 8]> {
        if self.kind != FrameType::PING {
            return None;
        }
        <[u8; 8]>::try_from(self.payload.as_ref()).ok()
    }

    /// Whether this frame ends its stream (DATA or HEADERS with END_STREAM).
    pub(crate) fn ends_stream(&self) -> bool {
        matches!(self.kind, FrameType::DATA | FrameType::HEADERS) && self.has(flags::END_STREAM)
    }

    /// The parameters of a SETTINGS frame, in order; a trailing partial entry is ignored.
    pub(crate) fn settings(&self) -> Vec<(u16, u32)> {
        let mut payload = self.payload.clone();
        let mut out = Vec::with_capacity(payload.len() / 6);
        while payload.remaining() >= 6 {
            out.push((payload.get_u16(), payload.get_u32()));
        }
        out
    }
}

impl fmt::Display for Frame {
    /// The shape h2spec prints, so reports compare line by line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} Frame (length:{}, flags:0x{:02x}, stream_id:{})",
            self.kind.name(),
            self.payload.len(),
            self.flags,
            self.stream_id
        )?;
        if let Some(code) = self.error_code() {
            write!(f, " (error_code:{code})")?;
        }
        Ok(())
    }
}

/// Why a frame could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The length field announced more than the reader is willing to buffer.
    TooLarge(usize),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge(len) => write!(f, "frame payload of {len} octets is too large"),
        }
    }
}

/// Takes one complete frame off the front of `buf`, or `Ok(None)` when more
/// bytes are needed. Nothing is consumed until the whole frame is there.
pub(crate) fn read_frame(
    buf: &mut BytesMut,
    max_payload: usize,
) -> Result<Option<Frame>, ReadError> {
    let Some(header) = buf.get(..FRAME_HEADER_LEN) else {
        return Ok(None);
    };
    let len = usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    if len > max_payload {
        return Err(ReadError::TooLarge(len));
    }
    if buf.len() < FRAME_HEADER_LEN + len {
        return Ok(None);
    }
    let kind = FrameType(header[3]);
    let flags = header[4];
    let stream_id = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff;
    buf.advance(FRAME_HEADER_LEN);
    let payload = buf.split_to(len).freeze();
    Ok(Some(Frame {
        kind,
        flags,
        stream_id,
        payload,
    }))
}

/// A stream dependency as carried by PRIORITY and prioritised HEADERS frames
/// (RFC 9113 §5.3.2, §6.3). `weight` is the wire octet (weight minus one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Priority {
    pub(crate) dependency: u32,
    pub(crate) exclusive: bool,
    pub(crate) weight: u8,
}

impl Priority {
    fn put(self, dst: &mut BytesMut) {
        let exclusive = if self.exclusive { 0x8000_0000 } else { 0 };
        dst.put_u32(self.dependency | exclusive);
        dst.put_u8(self.weight);
    }

    /// The all-zero priority is "none", as in Go's x/net/http2 that h2spec uses.
    fn is_zero(self) -> bool {
        self == Self::default()
    }
}

/// Appends one frame with an arbitrary header and payload.
///
/// A payload longer than the 24-bit length field can express cannot be
/// framed at all: nothing is appended, as Go's framer (which h2spec uses)
/// refuses such a write. [`fits`] tells a case beforehand.
pub(crate) fn write_raw(
    dst: &mut BytesMut,
    kind: FrameType,
    flags: u8,
    stream_id: u32,
    payload: &[u8],
) {
    let Ok(len) = u32::try_from(payload.len()) else {
        return;
    };
    if !fits(payload.len()) {
        return;
    }
    // 24-bit big-endian length: the low three octets of a u32.
    dst.put_slice(&len.to_be_bytes()[1..]);
    dst.put_u8(kind.0);
    dst.put_u8(flags);
    dst.put_u32(stream_id);
    dst.put_slice(payload);
}

/// Whether a payload of `len` octets can be framed (RFC 9113 §4.1).
pub(crate) fn fits(len: usize) -> bool {
    len <= MAX_FRAME_PAYLOAD
}

/// A HEADERS frame as a test describes it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Headers<'a> {
    pub(crate) stream_id: u32,
    pub(crate) end_stream: bool,
    pub(crate) end_headers: bool,
    pub(crate) block: &'a [u8],
    /// Padding octets to add; zero means no PADDED flag.
    pub(crate) pad_length: u8,
    /// A zero priority means no PRIORITY flag.
    pub(crate) priority: Priority,
}

/// Appends a HEADERS frame (RFC 9113 §6.2).
pub(crate) fn write_headers(dst: &mut BytesMut, headers: &Headers<'_>) {
    let mut frame_flags = 0;
    let mut payload =
        BytesMut::with_capacity(headers.block.len() + 6 + usize::from(headers.pad_length));
    if headers.end_stream {
        frame_flags |= flags::END_STREAM;
    }
    if headers.end_headers {
        frame_flags |= flags::END_HEADERS;
    }
    if headers.pad_length > 0 {
        frame_flags |= flags::PADDED;
        payload.put_u8(headers.pad_length);
    }
    if !headers.priority.is_zero() {
        frame_flags |= flags::PRIORITY;
        headers.priority.put(&mut payload);
    }
    payload.put_slice(headers.block);
    payload.put_bytes(0, usize::from(headers.pad_length));
    write_raw(
        dst,
        FrameType::HEADERS,
        frame_flags,
        headers.stream_id,
        &payload,
    );
}

/// Appends a DATA frame (RFC 9113 §6.1), padded when `pad` is given.
pub(crate) fn write_data(
    dst: &mut BytesMut,
    stream_id: u32,
    end_stream: bool,
    data: &[u8],
    pad: Option<&[u8]>,
) {
    let mut frame_flags = if end_stream { flags::END_STREAM } else { 0 };
    match pad {
        None => write_raw(dst, FrameType::DATA, frame_flags, stream_id, data),
        Some(pad) => {
            frame_flags |= flags::PADDED;
            let mut payload = BytesMut::with_capacity(1 + data.len() + pad.len());
            // Pad Length is one octet; a test never asks for more than 255.
            payload.put_u8(u8::try_from(pad.len()).unwrap_or(u8::MAX));
            payload.put_slice(data);
            payload.put_slice(pad);
            write_raw(dst, FrameType::DATA, frame_flags, stream_id, &payload);
        }
    }
}

/// Appends a PRIORITY frame (RFC 9113 §6.3).
pub(crate) fn write_priority(dst: &mut BytesMut, stream_id: u32, priority: Priority) {
    let mut payload = BytesMut::with_capacity(5);
    priority.put(&mut payload);
    write_raw(dst, FrameType::PRIORITY, 0, stream_id, &payload);
}

/// Appends a RST_STREAM frame (RFC 9113 §6.4).
pub(crate) fn write_rst_stream(dst: &mut BytesMut, stream_id: u32, code: ErrorCode) {
    write_raw(
        dst,
        FrameType::RST_STREAM,
        0,
        stream_id,
        &code.0.to_be_bytes(),
    );
}

/// Appends a SETTINGS frame (RFC 9113 §6.5) with the parameters in order.
pub(crate) fn write_settings(dst: &mut BytesMut, params: &[(u16, u32)]) {
    let mut payload = BytesMut::with_capacity(params.len() * 6);
    for &(id, value) in params {
        payload.put_u16(id);
        payload.put_u32(value);
    }
    write_raw(dst, FrameType::SETTINGS, 0, 0, &payload);
}

/// Appends an empty SETTINGS frame with ACK.
pub(crate) fn write_settings_ack(dst: &mut BytesMut) {
    write_raw(dst, FrameType::SETTINGS, flags::ACK, 0, &[]);
}

/// Appends a PUSH_PROMISE frame (RFC 9113 §6.6).
pub(crate) fn write_push_promise(
    dst: &mut BytesMut,
    stream_id: u32,
    promised: u32,
    end_headers: bool,
    block: &[u8],
) {
    let mut payload = BytesMut::with_capacity(4 + block.len());
    payload.put_u32(promised);
    payload.put_slice(block);
    let frame_flags = if end_headers { flags::END_HEADERS } else { 0 };
    write_raw(
        dst,
        FrameType::PUSH_PROMISE,
        frame_flags,
        stream_id,
        &payload,
    );
}

/// Appends a PING frame (RFC 9113 §6.7).
pub(crate) fn write_ping(dst: &mut BytesMut, ack: bool, data: [u8; 8]) {
    write_raw(
        dst,
        FrameType::PING,
        if ack { flags::ACK } else { 0 },
        0,
        &data,
    );
}

/// Appends a GOAWAY frame (RFC 9113 §6.8).
pub(crate) fn write_goaway(dst: &mut BytesMut, last_stream_id: u32, code: ErrorCode, debug: &[u8]) {
    let mut payload = BytesMut::with_capacity(8 + debug.len());
    payload.put_u32(last_stream_id);
    payload.put_u32(code.0);
    payload.put_slice(debug);
    write_raw(dst, FrameType::GOAWAY, 0, 0, &payload);
}

/// Appends a WINDOW_UPDATE frame (RFC 9113 §6.9).
pub(crate) fn write_window_update(dst: &mut BytesMut, stream_id: u32, increment: u32) {
    write_raw(
        dst,
        FrameType::WINDOW_UPDATE,
        0,
        stream_id,
        &increment.to_be_bytes(),
    );
}

/// Appends a CONTINUATION frame (RFC 9113 §6.10).
pub(crate) fn write_continuation(
    dst: &mut BytesMut,
    stream_id: u32,
    end_headers: bool,
    block: &[u8],
) {
    let frame_flags = if end_headers { flags::END_HEADERS } else { 0 };
    write_raw(dst, FrameType::CONTINUATION, frame_flags, stream_id, block);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(write: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
        let mut dst = BytesMut::new();
        write(&mut dst);
        dst.to_vec()
    }

    #[test]
    fn ping_layout_matches_rfc() {
        let wire = one(|d| write_ping(d, true, *b"h2spec\0\0"));
        assert_eq!(&wire[..9], &[0, 0, 8, 6, 1, 0, 0, 0, 0]);
        assert_eq!(&wire[9..], b"h2spec\0\0");
    }

    #[test]
    fn headers_with_padding_and_priority() {
        let wire = one(|d| {
            write_headers(
                d,
                &Headers {
                    stream_id: 3,
                    end_stream: true,
                    end_headers: true,
                    block: &[0x82],
                    pad_length: 2,
                    priority: Priority {
                        dependency: 1,
                        exclusive: true,
                        weight: 255,
                    },
                },
            );
        });
        // 1 pad length + 5 priority + 1 block + 2 padding.
        assert_eq!(&wire[..9], &[0, 0, 9, 1, 0x2d, 0, 0, 0, 3]);
        assert_eq!(&wire[9..], &[2, 0x80, 0, 0, 1, 255, 0x82, 0, 0]);
    }

    #[test]
    fn zero_priority_sets_no_flag() {
        let wire = one(|d| {
            write_headers(
                d,
                &Headers {
                    stream_id: 1,
                    end_headers: true,
                    block: &[0x82],
                    ..Headers::default()
                },
            );
        });
        assert_eq!(wire, [0, 0, 1, 1, 4, 0, 0, 0, 1, 0x82]);
    }

    #[test]
    fn padded_data() {
        let wire = one(|d| write_data(d, 1, true, b"test", Some(&[0; 5])));
        assert_eq!(&wire[..9], &[0, 0, 10, 0, 9, 0, 0, 0, 1]);
        assert_eq!(&wire[9..], b"\x05test\0\0\0\0\0");
    }

    #[test]
    fn settings_goaway_window_update_rst() {
        let wire = one(|d| write_settings(d, &[(setting::INITIAL_WINDOW_SIZE, 65535)]));
        assert_eq!(wire, [0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0xff, 0xff]);
        let wire = one(|d| write_goaway(d, 0, ErrorCode::NO_ERROR, b"x"));
        assert_eq!(
            wire,
            [0, 0, 9, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'x']
        );
        let wire = one(|d| write_window_update(d, 1, 0x7fff_ffff));
        assert_eq!(wire, [0, 0, 4, 8, 0, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff]);
        let wire = one(|d| write_rst_stream(d, 1, ErrorCode::CANCEL));
        assert_eq!(wire, [0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 8]);
    }

    #[test]
    fn reader_waits_for_whole_frame_and_clears_reserved_bit() {
        let mut wire =
            BytesMut::from(&one(|d| write_rst_stream(d, 5, ErrorCode::STREAM_CLOSED))[..]);
        wire[5] |= 0x80;
        let full = wire.clone();
        let mut partial = BytesMut::from(&full[..10]);
        assert_eq!(read_frame(&mut partial, MAX_FRAME_PAYLOAD), Ok(None));
        assert_eq!(partial.len(), 10, "nothing consumed from a partial frame");
        let frame = read_frame(&mut wire, MAX_FRAME_PAYLOAD).unwrap().unwrap();
        assert_eq!(frame.stream_id, 5);
        assert_eq!(frame.error_code(), Some(ErrorCode::STREAM_CLOSED));
        assert!(wire.is_empty());
        assert_eq!(
            frame.to_string(),
            "RST_STREAM Frame (length:4, flags:0x00, stream_id:5) (error_code:STREAM_CLOSED)"
        );
    }

    #[test]
    fn unframeable_payload_is_not_written() {
        let big = vec![0; MAX_FRAME_PAYLOAD + 1];
        assert!(one(|d| write_data(d, 1, true, &big, None)).is_empty());
        assert_eq!(
            one(|d| write_data(d, 1, true, &big[1..], None)).len(),
            FRAME_HEADER_LEN + MAX_FRAME_PAYLOAD
        );
        assert!(!fits(MAX_FRAME_PAYLOAD + 1));
    }

    #[test]
    fn reader_refuses_oversized_length() {
        let mut wire = BytesMut::from(&[0x01, 0, 0, 0, 0, 0, 0, 0, 1][..]);
        assert_eq!(
            read_frame(&mut wire, 16_384),
            Err(ReadError::TooLarge(65_536))
        );
    }

    #[test]
    fn frame_accessors() {
        let mut wire = BytesMut::new();
        write_goaway(&mut wire, 7, ErrorCode::COMPRESSION_ERROR, b"");
        write_settings(&mut wire, &[(1, 2), (3, 4)]);
        write_ping(&mut wire, false, [1; 8]);
        let goaway = read_frame(&mut wire, MAX_FRAME_PAYLOAD).unwrap().unwrap();
        assert_eq!(goaway.error_code(), Some(ErrorCode::COMPRESSION_ERROR));
        let settings = read_frame(&mut wire, MAX_FRAME_PAYLOAD).unwrap().unwrap();
        assert_eq!(settings.settings(), vec![(1, 2), (3, 4)]);
        assert_eq!(settings.error_code(), None);
        let ping = read_frame(&mut wire, MAX_FRAME_PAYLOAD).unwrap().unwrap();
        assert_eq!(ping.ping_data(), Some([1; 8]));
        assert!(!ping.has(flags::ACK));
    }
}
