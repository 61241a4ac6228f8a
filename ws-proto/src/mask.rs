//! Masking (RFC 6455 §5.3): XOR of the payload with a repeating 4-byte key.
//!
//! This runs over every byte a server receives, so it works on 32-byte blocks that the
//! compiler turns into vector XORs, without `unsafe` alignment tricks.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// XORs `buf` with `key`, as if `buf` started `offset` bytes into the payload (RFC 6455
/// §5.3: octet *i* is XORed with key octet *i* mod 4). Masking and unmasking are the same
/// operation; `offset` lets a payload that arrives in pieces be unmasked piece by piece.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let wide = wide_key(key, offset);
    let (blocks, rest) = buf.as_chunks_mut::<32>();
    for block in blocks {
        // Four words per block: the compiler makes one or two vector XORs of it.
        for word in block.as_chunks_mut::<8>().0 {
            *word = (u64::from_le_bytes(*word) ^ wide).to_le_bytes();
        }
    }
    let (words, tail) = rest.as_chunks_mut::<8>();
    for word in words {
        *word = (u64::from_le_bytes(*word) ^ wide).to_le_bytes();
    }
    for (b, k) in tail.iter_mut().zip(wide.to_le_bytes()) {
        *b ^= k;
    }
}

/// The key as eight bytes, rotated so that its first byte is the one for payload octet
/// `offset`.
fn wide_key(key: [u8; 4], offset: usize) -> u64 {
    let key = u32::from_le_bytes(key).rotate_right(8 * (offset % 4) as u32);
    u64::from(key) | (u64::from(key) << 32)
}

/// Writes `src` XORed with `key` from `offset` into `dst`, of the same length: copy and
/// unmask in one pass, reading the transport's bytes once. With `ASCII`, returns whether
/// every byte written is ASCII, seen on the way (an OR of the words written), so that a
/// text message in ASCII, the common case, is known to be UTF-8 without a second pass over
/// it; binary payloads leave it off, as the OR slows the loop by a third.
fn unmask_into<const ASCII: bool>(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) -> bool {
    let wide = wide_key(key, offset);
    let mut lanes = [0u64; 4];
    let (dst_blocks, dst_rest) = dst.as_chunks_mut::<32>();
    let (src_blocks, src_rest) = src.as_chunks::<32>();
    for (d, s) in dst_blocks.iter_mut().zip(src_blocks) {
        for ((dw, sw), lane) in d
            .as_chunks_mut::<8>()
            .0
            .iter_mut()
            .zip(s.as_chunks::<8>().0)
            .zip(&mut lanes)
        {
            let word = u64::from_le_bytes(*sw) ^ wide;
            if ASCII {
                *lane |= word;
            }
            *dw = word.to_le_bytes();
        }
    }
    let mut seen = lanes[0] | lanes[1] | lanes[2] | lanes[3];
    let (dst_words, dst_tail) = dst_rest.as_chunks_mut::<8>();
    let (src_words, src_tail) = src_rest.as_chunks::<8>();
    for (dw, sw) in dst_words.iter_mut().zip(src_words) {
        let word = u64::from_le_bytes(*sw) ^ wide;
        if ASCII {
            seen |= word;
        }
        *dw = word.to_le_bytes();
    }
    for ((d, s), k) in dst_tail.iter_mut().zip(src_tail).zip(wide.to_le_bytes()) {
        *d = s ^ k;
        if ASCII {
            seen |= u64::from(*d);
        }
    }
    ASCII && seen & 0x8080_8080_8080_8080 == 0
}

/// Appends `src` to `dst`, unmasked with `key` from `offset` when there is a key: the
/// payload goes from the transport's bytes to the message in one copy.
pub(crate) fn extend_unmasked(dst: &mut Vec<u8>, src: &[u8], key: Option<[u8; 4]>, offset: usize) {
    let Some(key) = key else {
        dst.extend_from_slice(src);
        return;
    };
    let start = dst.len();
    // Zeroing the new bytes is a write-only pass, cheaper than copying them first and
    // unmasking in place (a read and a write more), and it keeps this safe code.
    dst.resize(start + src.len(), 0);
    unmask_into::<false>(&mut dst[start..], src, key, offset);
}

/// Payloads up to this size are copied and then unmasked in place: for them the call
/// that zeroes the new bytes costs more than the second pass, which stays in cache.
const SHORT: usize = 128;

/// [`extend_unmasked`] for a `BytesMut`. For `text`, returns `true` when the bytes
/// appended are known to be ASCII (found while unmasking a longer payload); `false` says
/// nothing.
pub(crate) fn extend_unmasked_bytes(
    dst: &mut bytes::BytesMut,
    src: &[u8],
    key: Option<[u8; 4]>,
    text: bool,
) -> bool {
    let start = dst.len();
    match key {
        None => dst.extend_from_slice(src),
        Some(key) if src.len() <= SHORT => {
            dst.extend_from_slice(src);
            apply_mask(&mut dst[start..], key, 0);
        }
        Some(key) => {
            dst.resize(start + src.len(), 0);
            let out = &mut dst[start..];
            return if text {
                unmask_into::<true>(out, src, key, 0)
            } else {
                unmask_into::<false>(out, src, key, 0)
            };
        }
    }
    false
}

/// Masking keys for a client (RFC 6455 §5.3: "derived from a strong source of entropy",
/// so that script in a browser cannot choose the bytes an intermediary sees).
///
/// SipHash keyed from the operating system's randomness (std's `RandomState`) over a
/// counter: a keyed pseudo-random function, without a dependency or a clock.
#[derive(Debug)]
pub(crate) struct KeySource {
    state: RandomState,
    counter: u64,
}

impl KeySource {
    pub(crate) fn new() -> Self {
        Self {
            state: RandomState::new(),
            counter: 0,
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        let mut h = self.state.build_hasher();
        h.write_u64(self.counter);
        h.finish()
    }

    pub(crate) fn mask_key(&mut self) -> [u8; 4] {
        let v = self.next_u64().to_le_bytes();
        [v[0], v[1], v[2], v[3]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn matches_the_definition_at_every_length_and_offset() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let data: Vec<u8> = (0..200u8).collect();
        for len in 0..data.len() {
            for offset in 0..8 {
                let mut a = data[..len].to_vec();
                let mut b = a.clone();
                apply_mask(&mut a, key, offset);
                naive(&mut b, key, offset);
                assert_eq!(a, b, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn copying_unmasks_like_the_definition_at_every_length_and_offset() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let data: Vec<u8> = (0..200u8).collect();
        for len in 0..data.len() {
            for offset in 0..8 {
                let mut expected = data[..len].to_vec();
                naive(&mut expected, key, offset);
                let mut copied = vec![9, 9, 9];
                extend_unmasked(&mut copied, &data[..len], Some(key), offset);
                assert_eq!(copied[..3], [9, 9, 9]);
                assert_eq!(copied[3..], expected, "len {len} offset {offset}");
                if offset == 0 {
                    let mut arena = bytes::BytesMut::from(&[7u8][..]);
                    extend_unmasked_bytes(&mut arena, &data[..len], Some(key), false);
                    assert_eq!(arena[1..], expected, "len {len}");
                }
            }
        }
    }

    #[test]
    fn ascii_is_reported_only_when_every_byte_is_ascii() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..200 {
            let text: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            for high in (0..len).map(Some).chain([None]) {
                let mut plain = text.clone();
                if let Some(at) = high {
                    plain[at] = 0xc3;
                }
                let mut masked = plain.clone();
                apply_mask(&mut masked, key, 0);
                let mut out = vec![0; len];
                assert_eq!(
                    unmask_into::<true>(&mut out, &masked, key, 0),
                    high.is_none(),
                    "len {len}, high byte at {high:?}"
                );
                assert_eq!(out, plain);
                let mut arena = bytes::BytesMut::new();
                let ascii = extend_unmasked_bytes(&mut arena, &masked, Some(key), true);
                assert_eq!(arena, plain);
                assert!(!ascii || high.is_none(), "len {len}, high byte at {high:?}");
            }
        }
    }

    #[test]
    fn pieces_unmask_like_the_whole() {
        let key = [1, 2, 3, 4];
        let mut whole: Vec<u8> = (0..77u8).collect();
        let mut pieces = whole.clone();
        apply_mask(&mut whole, key, 0);
        let (a, b) = pieces.split_at_mut(13);
        apply_mask(a, key, 0);
        apply_mask(b, key, 13);
        assert_eq!(whole, pieces);
    }

    #[test]
    fn keys_differ() {
        let mut k = KeySource::new();
        assert_ne!(k.next_u64(), k.next_u64());
    }
}
