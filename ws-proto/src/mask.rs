//! Masking (RFC 6455 §5.3): XOR of the payload with a repeating 4-byte key.
//!
//! This runs over every byte a server receives, so it works on 32-byte arrays whose XOR
//! the compiler turns into one or two vector instructions, without `unsafe`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use bytes::BufMut;

/// The block the loops work on: a whole number of key periods and one or two vector
/// registers.
const BLOCK: usize = 32;

/// The key repeated over a block, starting `offset` bytes into the payload.
fn key_block(key: [u8; 4], offset: usize) -> [u8; BLOCK] {
    std::array::from_fn(|i| key[(offset + i) % 4])
}

/// XORs `buf` with `key`, as if `buf` started `offset` bytes into the payload (RFC 6455
/// §5.3: octet *i* is XORed with key octet *i* mod 4). Masking and unmasking are the same
/// operation; `offset` lets a payload that arrives in pieces be unmasked piece by piece.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let k = key_block(key, offset);
    let (blocks, tail) = buf.as_chunks_mut::<BLOCK>();
    for block in blocks {
        xor_block(block, &k);
    }
    // The short end goes through one block as well, rather than byte by byte.
    let mut last = [0u8; BLOCK];
    last[..tail.len()].copy_from_slice(tail);
    xor_block(&mut last, &k);
    tail.copy_from_slice(&last[..tail.len()]);
}

fn xor_block(block: &mut [u8; BLOCK], k: &[u8; BLOCK]) {
    for (b, k) in block.iter_mut().zip(k) {
        *b ^= k;
    }
}

/// Appends `src` to `dst`, unmasked with `key` from `offset` when there is a key: the
/// payload goes from the transport's bytes to the message in one copy. (A copy that
/// unmasks on the way is no faster in safe code: each block's append then waits on the
/// length stored by the one before.)
pub(crate) fn extend_unmasked<D: BufMut + AsMut<[u8]>>(
    dst: &mut D,
    src: &[u8],
    key: Option<[u8; 4]>,
    offset: usize,
) {
    let start = dst.as_mut().len();
    dst.put_slice(src);
    if let Some(key) = key {
        apply_mask(&mut dst.as_mut()[start..], key, offset);
    }
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
    fn extend_unmasked_matches_apply_mask() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let data: Vec<u8> = (0..200u8).collect();
        for len in [0, 1, 31, 32, 33, 64, 100, 200] {
            for offset in 0..5 {
                let mut expected = data[..len].to_vec();
                naive(&mut expected, key, offset);
                let mut v = vec![9u8];
                extend_unmasked(&mut v, &data[..len], Some(key), offset);
                assert_eq!(v[1..], expected[..], "len {len} offset {offset}");
                let mut b = bytes::BytesMut::new();
                extend_unmasked(&mut b, &data[..len], None, offset);
                assert_eq!(b[..], data[..len]);
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
