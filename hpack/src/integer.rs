//! Prefix integers (RFC 7541 §5.1).

use bytes::{BufMut, BytesMut};

use crate::DecodeError;

/// The largest integer the decoder accepts. Every length and index in a block
/// is far below it, and it bounds the number of continuation bytes to five.
const MAX_INTEGER: u64 = u32::MAX as u64;

/// Appends `value` as an integer with an N-bit prefix (RFC 7541 §5.1).
///
/// `prefix_bits` is N (1 to 8); `first_byte_flags` holds the representation's
/// pattern in the bits above the prefix, e.g. `0x80` for an indexed field.
pub fn encode_integer(value: usize, prefix_bits: u8, first_byte_flags: u8, dst: &mut BytesMut) {
    let prefix_bits = prefix_bits.clamp(1, 8);
    let max_prefix = (1usize << prefix_bits) - 1;
    if value < max_prefix {
        // Lossless: value < max_prefix <= 255.
        dst.put_u8(first_byte_flags | value as u8);
        return;
    }
    dst.put_u8(first_byte_flags | max_prefix as u8);
    let mut rest = value - max_prefix;
    while rest >= 0x80 {
        dst.put_u8(0x80 | (rest & 0x7f) as u8);
        rest >>= 7;
    }
    dst.put_u8(rest as u8);
}

/// Reads an integer with a `prefix_bits`-bit prefix at `*cursor`, advancing the
/// cursor past it.
pub(crate) fn decode_integer(
    block: &[u8],
    cursor: &mut usize,
    prefix_bits: u8,
) -> Result<usize, DecodeError> {
    let value = decode_integer_up_to(block, cursor, prefix_bits, MAX_INTEGER)?;
    usize::try_from(value).map_err(|_| DecodeError::IntegerOverflow)
}

/// Reads an integer with an N-bit prefix (RFC 7541 §5.1) at `*cursor` and
/// advances the cursor past it; `prefix_bits` is N (1 to 8) and the bits above
/// the prefix are ignored.
///
/// Values above `max` fail with [`DecodeError::IntegerOverflow`], and so do
/// encodings with more continuation bytes than a value up to `max` needs, so
/// the work per integer is bounded. HPACK allows 32 bits; QPACK reuses this
/// encoding for values of up to 62 bits (RFC 9204 §4.1.1). Input that ends
/// inside the integer fails with [`DecodeError::Truncated`], with the cursor
/// left where it was.
#[inline]
pub fn decode_integer_up_to(
    src: &[u8],
    cursor: &mut usize,
    prefix_bits: u8,
    max: u64,
) -> Result<u64, DecodeError> {
    let prefix_bits = prefix_bits.clamp(1, 8);
    let max_prefix = (1u16 << prefix_bits) - 1;
    let mut at = *cursor;
    let first = *src.get(at).ok_or(DecodeError::Truncated)?;
    at += 1;
    let prefix = u16::from(first) & max_prefix;
    if prefix < max_prefix {
        if u64::from(prefix) > max {
            return Err(DecodeError::IntegerOverflow);
        }
        *cursor = at;
        return Ok(u64::from(prefix));
    }
    // A value up to `max` needs no continuation byte at a shift of its bit
    // length or more: such bytes are refused, whatever their content.
    let max_bits = (64 - max.leading_zeros()).max(1);
    let mut value = u64::from(prefix);
    let mut shift = 0u32;
    loop {
        let byte = *src.get(at).ok_or(DecodeError::Truncated)?;
        at += 1;
        // shift < 64 here, and the term is checked before it is added.
        let term = u64::from(byte & 0x7f)
            .checked_shl(shift)
            .filter(|term| term >> shift == u64::from(byte & 0x7f))
            .ok_or(DecodeError::IntegerOverflow)?;
        value = value
            .checked_add(term)
            .filter(|&value| value <= max)
            .ok_or(DecodeError::IntegerOverflow)?;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift >= max_bits {
            return Err(DecodeError::IntegerOverflow);
        }
    }
    *cursor = at;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: usize, prefix_bits: u8) -> Vec<u8> {
        let mut dst = BytesMut::new();
        encode_integer(value, prefix_bits, 0, &mut dst);
        dst.to_vec()
    }

    fn decoded(bytes: &[u8], prefix_bits: u8) -> Result<(usize, usize), DecodeError> {
        let mut cursor = 0;
        decode_integer(bytes, &mut cursor, prefix_bits).map(|value| (value, cursor))
    }

    #[test]
    fn rfc7541_c1_examples() {
        assert_eq!(encoded(10, 5), [0x0a]); // C.1.1
        assert_eq!(encoded(1337, 5), [0x1f, 0x9a, 0x0a]); // C.1.2
        assert_eq!(encoded(42, 8), [0x2a]); // C.1.3
        assert_eq!(decoded(&[0x0a], 5), Ok((10, 1)));
        assert_eq!(decoded(&[0x1f, 0x9a, 0x0a], 5), Ok((1337, 3)));
        assert_eq!(decoded(&[0x2a], 8), Ok((42, 1)));
    }

    #[test]
    fn flags_above_the_prefix_are_ignored_and_kept() {
        let mut dst = BytesMut::new();
        encode_integer(3, 7, 0x80, &mut dst);
        assert_eq!(&dst[..], [0x83]);
        assert_eq!(decoded(&[0xe3], 5), Ok((3, 1)));
    }

    #[test]
    fn round_trips_across_prefixes() {
        for prefix_bits in 1..=8 {
            for value in [
                0,
                1,
                30,
                31,
                127,
                128,
                255,
                256,
                16_383,
                1 << 20,
                u32::MAX as usize,
            ] {
                assert_eq!(
                    decoded(&encoded(value, prefix_bits), prefix_bits).map(|(v, _)| v),
                    Ok(value)
                );
            }
        }
    }

    #[test]
    fn sixty_two_bits_for_qpack() {
        let max = (1u64 << 62) - 1;
        let mut dst = BytesMut::new();
        encode_integer(max as usize, 6, 0, &mut dst);
        let mut cursor = 0;
        assert_eq!(decode_integer_up_to(&dst, &mut cursor, 6, max), Ok(max));
        assert_eq!(cursor, dst.len());
        let mut cursor = 0;
        assert_eq!(
            decode_integer_up_to(&dst, &mut cursor, 6, max - 1),
            Err(DecodeError::IntegerOverflow)
        );
        // The most continuation bytes any u64 needs, plus one zero byte.
        let mut cursor = 0;
        let padded = [
            0x3f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
        ];
        assert_eq!(
            decode_integer_up_to(&padded, &mut cursor, 6, u64::MAX),
            Err(DecodeError::IntegerOverflow)
        );
        // A truncated integer leaves the cursor where it was.
        let mut cursor = 0;
        assert_eq!(
            decode_integer_up_to(&dst[..3], &mut cursor, 6, max),
            Err(DecodeError::Truncated)
        );
        assert_eq!(cursor, 0);
    }

    #[test]
    fn truncated() {
        assert_eq!(decoded(&[], 5), Err(DecodeError::Truncated));
        assert_eq!(decoded(&[0x1f], 5), Err(DecodeError::Truncated));
        assert_eq!(decoded(&[0x1f, 0x80], 5), Err(DecodeError::Truncated));
    }

    #[test]
    fn overflow() {
        // Ten continuation bytes.
        let mut long = vec![0x1f];
        long.extend([0xff; 10]);
        long.push(0x01);
        assert_eq!(decoded(&long, 5), Err(DecodeError::IntegerOverflow));
        // 2^32 fits in five continuation bytes but not in 32 bits.
        assert_eq!(
            decoded(&[0x7f, 0x81, 0xff, 0xff, 0xff, 0x0f], 7),
            Err(DecodeError::IntegerOverflow)
        );
        // Redundant zero continuation bytes beyond five are refused too.
        assert_eq!(
            decoded(&[0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 5),
            Err(DecodeError::IntegerOverflow)
        );
    }
}
