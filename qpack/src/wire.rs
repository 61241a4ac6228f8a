//! The primitives of RFC 9204 §4.1: prefix integers and string literals,
//! which QPACK takes from HPACK (RFC 7541 §5) with prefixes of other widths.
//! The integer and Huffman codecs are `hpack`'s.

use bytes::{BufMut, BytesMut};
use hpack::{decode_integer_up_to, encode_integer, huffman};

/// The largest integer accepted: QPACK implementations must decode up to 62
/// bits (RFC 9204 §4.1.1), the largest QUIC stream id.
pub(crate) const MAX_INTEGER: u64 = (1 << 62) - 1;

/// What went wrong reading a primitive. `Truncated` is only an error inside a
/// field section; on a stream it means "wait for more bytes".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireError {
    Truncated,
    IntegerOverflow,
    InvalidHuffman,
}

impl From<hpack::DecodeError> for WireError {
    fn from(error: hpack::DecodeError) -> Self {
        match error {
            hpack::DecodeError::Truncated => Self::Truncated,
            hpack::DecodeError::InvalidHuffman => Self::InvalidHuffman,
            _ => Self::IntegerOverflow,
        }
    }
}

/// Reads a prefix integer at `*cursor`, advancing past it.
#[inline]
pub(crate) fn read_integer(
    src: &[u8],
    cursor: &mut usize,
    prefix_bits: u8,
) -> Result<u64, WireError> {
    Ok(decode_integer_up_to(src, cursor, prefix_bits, MAX_INTEGER)?)
}

/// Appends a prefix integer; `flags` holds the bits above the prefix.
#[inline]
pub(crate) fn write_integer(value: u64, prefix_bits: u8, flags: u8, dst: &mut BytesMut) {
    // Lossless on 64-bit targets; elsewhere no value this large is ever sent.
    encode_integer(
        usize::try_from(value).unwrap_or(usize::MAX),
        prefix_bits,
        flags,
        dst,
    );
}

/// A string literal's place in its input: `huffman` tells whether the bytes
/// at `start..end` still need decoding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StringRef {
    pub(crate) huffman: bool,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Reads a string literal's header (H bit at `1 << prefix_bits`, then the
/// length) and checks that its bytes are all there.
///
/// `max_len` bounds the decoded length: a string that cannot fit in it is
/// refused as soon as its length is read, before its bytes arrive.
#[inline]
pub(crate) fn read_string(
    src: &[u8],
    cursor: &mut usize,
    prefix_bits: u8,
    max_len: usize,
) -> Result<Result<StringRef, u64>, WireError> {
    let mut at = *cursor;
    let huffman = src.get(at).ok_or(WireError::Truncated)? & (1 << prefix_bits) != 0;
    let len = read_integer(src, &mut at, prefix_bits)?;
    let min_decoded = if huffman {
        (len.saturating_mul(8).saturating_sub(7)) / 30
    } else {
        len
    };
    if min_decoded > max_len as u64 {
        return Ok(Err(min_decoded));
    }
    // Lossless: len <= max_len or len <= max_len * 30 / 8 + 1, both usize.
    let len = usize::try_from(len).map_err(|_| WireError::IntegerOverflow)?;
    let end = at.checked_add(len).ok_or(WireError::Truncated)?;
    if end > src.len() {
        return Err(WireError::Truncated);
    }
    *cursor = end;
    Ok(Ok(StringRef {
        huffman,
        start: at,
        end,
    }))
}

/// Where a string literal's bytes are: raw in the input, at `start..end`, or
/// Huffman-decoded into a scratch buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Span {
    Input(usize, usize),
    Scratch(usize, usize),
}

impl Span {
    pub(crate) fn len(self) -> usize {
        match self {
            Self::Input(start, end) | Self::Scratch(start, end) => end - start,
        }
    }

    pub(crate) fn of<'a>(self, input: &'a [u8], scratch: &'a [u8]) -> &'a [u8] {
        match self {
            Self::Input(start, end) => input.get(start..end),
            Self::Scratch(start, end) => scratch.get(start..end),
        }
        .unwrap_or_default()
    }
}

/// Reads a string literal as [`read_string`] does and, when it is
/// Huffman-coded, decodes it after what `scratch` holds.
#[inline]
pub(crate) fn read_literal(
    src: &[u8],
    cursor: &mut usize,
    prefix_bits: u8,
    max_len: usize,
    scratch: &mut Vec<u8>,
) -> Result<Result<Span, u64>, WireError> {
    let string = match read_string(src, cursor, prefix_bits, max_len)? {
        Ok(string) => string,
        Err(size) => return Ok(Err(size)),
    };
    if !string.huffman {
        return Ok(Ok(Span::Input(string.start, string.end)));
    }
    let encoded = src
        .get(string.start..string.end)
        .ok_or(WireError::Truncated)?;
    let start = scratch.len();
    huffman::decode_to_vec(encoded, scratch)?;
    Ok(Ok(Span::Scratch(start, scratch.len())))
}

/// Appends a string literal: the H bit at `1 << prefix_bits` and the length
/// in the `prefix_bits` below it, `flags` above. Huffman-coded only when that
/// is strictly shorter (RFC 9204 §4.1.2 leaves the choice to the encoder).
#[inline]
pub(crate) fn write_string(
    string: &[u8],
    prefix_bits: u8,
    flags: u8,
    huffman_on: bool,
    dst: &mut BytesMut,
) {
    let huffman_bit = 1u8 << prefix_bits;
    if huffman_on {
        let encoded_len = huffman::encoded_len(string);
        if encoded_len < string.len() {
            write_integer(encoded_len as u64, prefix_bits, flags | huffman_bit, dst);
            huffman::encode(string, dst);
            return;
        }
    }
    write_integer(string.len() as u64, prefix_bits, flags, dst);
    dst.put_slice(string);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huffman_only_when_strictly_shorter() {
        let mut dst = BytesMut::new();
        // "a" codes to 5 bits, one byte: a tie, so raw.
        write_string(b"a", 7, 0, true, &mut dst);
        assert_eq!(&dst[..], [0x01, b'a']);
        dst.clear();
        // "www.example.com" codes to 12 bytes (RFC 7541 C.4.1).
        write_string(b"www.example.com", 7, 0, true, &mut dst);
        assert_eq!(dst[0], 0x80 | 12);
        dst.clear();
        // A 3-bit prefix with the H bit at 0x08 and flags above it.
        write_string(b"custom-key", 3, 0x20, false, &mut dst);
        assert_eq!(&dst[..2], [0x27, 0x03]);
    }

    #[test]
    fn strings_read_back() {
        let mut dst = BytesMut::new();
        write_string(b"www.example.com", 5, 0x40, true, &mut dst);
        write_string(b"custom-value", 7, 0, false, &mut dst);
        let input = dst.freeze();
        let mut cursor = 0;
        let mut scratch = Vec::new();
        let first = read_literal(&input, &mut cursor, 5, 100, &mut scratch)
            .unwrap()
            .unwrap();
        assert_eq!(first.of(&input, &scratch), b"www.example.com");
        let second = read_literal(&input, &mut cursor, 7, 100, &mut scratch)
            .unwrap()
            .unwrap();
        assert!(matches!(second, Span::Input(..)));
        assert_eq!(second.of(&input, &scratch), b"custom-value");
        assert_eq!(cursor, input.len());
        // Refused on its length alone when it cannot fit.
        let mut cursor = 0;
        assert_eq!(
            read_string(&input, &mut cursor, 5, 1).unwrap().unwrap_err(),
            2
        );
        // Truncated strings leave the cursor in place.
        let mut cursor = 0;
        assert_eq!(
            read_string(&input[..5], &mut cursor, 5, 100).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(cursor, 0);
    }
}
