//! The base framing protocol (RFC 6455 §5.2): frame headers in and out.
//!
//! ```text
//!   0                   1                   2                   3
//!   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!  +-+-+-+-+-------+-+-------------+-------------------------------+
//!  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//!  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//!  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//!  | |1|2|3|       |K|             |                               |
//!  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! ```

use bytes::BufMut;

use crate::error::FrameError;

/// The largest payload of a control frame (RFC 6455 §5.5).
pub(crate) const MAX_CONTROL_PAYLOAD: usize = 125;

/// A frame's opcode (RFC 6455 §5.2, §11.8). Reserved opcodes are refused by
/// [`decode_header`], so they have no variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum OpCode {
    /// 0x0: a further fragment of the message in progress.
    Continuation,
    /// 0x1: the first frame of a text message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: the closing handshake (§5.5.1).
    Close,
    /// 0x9: a ping (§5.5.2).
    Ping,
    /// 0xA: a pong (§5.5.3).
    Pong,
}

impl OpCode {
    /// Control frames have the high bit of the opcode set (§5.5).
    #[must_use]
    pub fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }

    /// The 4-bit value on the wire.
    #[must_use]
    pub fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }
}

/// One frame header (RFC 6455 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FrameHeader {
    /// FIN: the last frame of its message.
    pub fin: bool,
    /// RSV1: "compressed" when permessage-deflate is in use (RFC 7692 §6).
    pub rsv1: bool,
    /// RSV2: no extension of ours gives it a meaning.
    pub rsv2: bool,
    /// RSV3: no extension of ours gives it a meaning.
    pub rsv3: bool,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present on every frame a client sends (§5.3).
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes.
    pub payload_len: u64,
}

impl FrameHeader {
    /// The number of bytes [`encode_header`] writes for this header.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let ext = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        2 + ext + if self.mask.is_some() { 4 } else { 0 }
    }
}

/// Decodes the frame header at the start of `buf`.
///
/// Returns `Ok(None)` until the whole header is there, then the header and its length in
/// bytes. Refused, whatever the role or the negotiated extensions: reserved opcodes (§5.2),
/// a 64-bit length with the top bit set or any length in more bytes than it needs ("the
/// minimal number of bytes MUST be used", §5.2), and control frames that are fragmented or
/// longer than 125 bytes (§5.5). Whether RSV bits and masking are allowed depends on the
/// connection, which checks them.
pub fn decode_header(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, FrameError> {
    let [b0, b1, rest @ ..] = buf else {
        return Ok(None);
    };
    let opcode = OpCode::from_bits(b0 & 0x0F).ok_or(FrameError::ReservedOpcode(b0 & 0x0F))?;
    let fin = b0 & 0x80 != 0;
    let masked = b1 & 0x80 != 0;
    let (payload_len, rest, mut len) = match b1 & 0x7F {
        126 => {
            let Some((ext, rest)) = rest.split_first_chunk::<2>() else {
                return Ok(None);
            };
            let n = u64::from(u16::from_be_bytes(*ext));
            if n < 126 {
                return Err(FrameError::NonMinimalLength);
            }
            (n, rest, 4)
        }
        127 => {
            let Some((ext, rest)) = rest.split_first_chunk::<8>() else {
                return Ok(None);
            };
            let n = u64::from_be_bytes(*ext);
            if n >> 63 != 0 {
                return Err(FrameError::LengthOverflow);
            }
            if n <= 0xFFFF {
                return Err(FrameError::NonMinimalLength);
            }
            (n, rest, 10)
        }
        n => (u64::from(n), rest, 2),
    };
    if opcode.is_control() {
        if !fin {
            return Err(FrameError::FragmentedControl);
        }
        if payload_len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(FrameError::ControlTooLong);
        }
    }
    let mask = if masked {
        let Some((key, _)) = rest.split_first_chunk::<4>() else {
            return Ok(None);
        };
        len += 4;
        Some(*key)
    } else {
        None
    };
    Ok(Some((
        FrameHeader {
            fin,
            rsv1: b0 & 0x40 != 0,
            rsv2: b0 & 0x20 != 0,
            rsv3: b0 & 0x10 != 0,
            opcode,
            mask,
            payload_len,
        },
        len,
    )))
}

/// Appends `header` to `out`, with the shortest length encoding (§5.2).
pub fn encode_header(header: &FrameHeader, out: &mut impl BufMut) {
    let mut b0 = header.opcode.bits();
    for (bit, set) in [
        (0x80, header.fin),
        (0x40, header.rsv1),
        (0x20, header.rsv2),
        (0x10, header.rsv3),
    ] {
        if set {
            b0 |= bit;
        }
    }
    let mask_bit = if header.mask.is_some() { 0x80 } else { 0 };
    match header.payload_len {
        // The match arms bound each length, so the casts cannot truncate.
        n @ 0..=125 => out.put_slice(&[b0, mask_bit | n as u8]),
        n @ 126..=0xFFFF => {
            out.put_slice(&[b0, mask_bit | 126]);
            out.put_u16(n as u16);
        }
        n => {
            out.put_slice(&[b0, mask_bit | 127]);
            out.put_u64(n);
        }
    }
    if let Some(key) = header.mask {
        out.put_slice(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::apply_mask;

    fn frame(header: FrameHeader, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_header(&header, &mut out);
        let start = out.len();
        out.extend_from_slice(payload);
        if let Some(key) = header.mask {
            apply_mask(&mut out[start..], key, 0);
        }
        out
    }

    fn header(fin: bool, opcode: OpCode, mask: Option<[u8; 4]>, len: usize) -> FrameHeader {
        FrameHeader {
            fin,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            payload_len: len as u64,
        }
    }

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// RFC 6455 §5.7, every example, byte for byte, both ways.
    #[test]
    fn rfc6455_section_5_7_examples() {
        let cases: Vec<(Vec<u8>, FrameHeader, Vec<u8>)> = vec![
            // A single-frame unmasked text message.
            (
                vec![0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
                header(true, OpCode::Text, None, 5),
                b"Hello".to_vec(),
            ),
            // A single-frame masked text message.
            (
                vec![
                    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
                ],
                header(true, OpCode::Text, Some(KEY), 5),
                b"Hello".to_vec(),
            ),
            // A fragmented unmasked text message: "Hel" then "lo".
            (
                vec![0x01, 0x03, 0x48, 0x65, 0x6c],
                header(false, OpCode::Text, None, 3),
                b"Hel".to_vec(),
            ),
            (
                vec![0x80, 0x02, 0x6c, 0x6f],
                header(true, OpCode::Continuation, None, 2),
                b"lo".to_vec(),
            ),
            // Unmasked Ping, and the masked Pong answering it.
            (
                vec![0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
                header(true, OpCode::Ping, None, 5),
                b"Hello".to_vec(),
            ),
            (
                vec![
                    0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
                ],
                header(true, OpCode::Pong, Some(KEY), 5),
                b"Hello".to_vec(),
            ),
        ];
        for (wire, h, payload) in cases {
            assert_eq!(frame(h, &payload), wire);
            let (decoded, len) = decode_header(&wire).unwrap().unwrap();
            assert_eq!(decoded, h);
            let mut body = wire[len..].to_vec();
            if let Some(key) = decoded.mask {
                apply_mask(&mut body, key, 0);
            }
            assert_eq!(body, payload);
        }
        // 256 bytes binary message in a single unmasked frame: 0x82 0x7E 0x0100.
        let h = header(true, OpCode::Binary, None, 256);
        let wire = frame(h, &[0xAB; 256]);
        assert_eq!(&wire[..4], &[0x82, 0x7E, 0x01, 0x00]);
        assert_eq!(decode_header(&wire).unwrap(), Some((h, 4)));
        // 64KiB binary message in a single unmasked frame: 0x82 0x7F 0x0000000000010000.
        let h = header(true, OpCode::Binary, None, 65536);
        let mut wire = Vec::new();
        encode_header(&h, &mut wire);
        assert_eq!(wire, [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(decode_header(&wire).unwrap(), Some((h, 10)));
    }

    #[test]
    fn partial_headers_wait() {
        let h = header(true, OpCode::Binary, Some(KEY), 70000);
        let mut wire = Vec::new();
        encode_header(&h, &mut wire);
        for cut in 0..wire.len() {
            assert_eq!(decode_header(&wire[..cut]).unwrap(), None, "cut {cut}");
        }
        assert_eq!(decode_header(&wire).unwrap(), Some((h, 14)));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            decode_header(&[0x83, 0x00]),
            Err(FrameError::ReservedOpcode(3))
        );
        assert_eq!(
            decode_header(&[0x8B, 0x00]),
            Err(FrameError::ReservedOpcode(0xB))
        );
        assert_eq!(
            decode_header(&[0x82, 0x7E, 0x00, 0x7D]),
            Err(FrameError::NonMinimalLength)
        );
        assert_eq!(
            decode_header(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
            Err(FrameError::NonMinimalLength)
        );
        assert_eq!(
            decode_header(&[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(FrameError::LengthOverflow)
        );
        assert_eq!(
            decode_header(&[0x09, 0x00]),
            Err(FrameError::FragmentedControl)
        );
        assert_eq!(
            decode_header(&[0x89, 0x7E, 0x00, 0x7E]),
            Err(FrameError::ControlTooLong)
        );
        assert_eq!(
            decode_header(&[0x89, 0x7E, 0x01, 0x00]),
            Err(FrameError::ControlTooLong)
        );
    }
}
