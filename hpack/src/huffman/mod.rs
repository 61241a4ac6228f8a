//! The static Huffman code of RFC 7541 §5.2 and Appendix B.
//!
//! Decoding walks a 256-state automaton four bits at a time: the table is built
//! at compile time from [`codes::CODES`], so there is no generated source to keep
//! in sync with the RFC. Encoding packs codes into a 64-bit accumulator and
//! flushes whole 32-bit words.

mod codes;

use bytes::{BufMut, BytesMut};

use crate::DecodeError;
use codes::CODES;

/// The bit length of each symbol's code, split out of [`CODES`] so the length
/// scan in [`encoded_len`] touches a 256-byte table.
const LENGTHS: [u8; 256] = {
    let mut lengths = [0u8; 256];
    let mut symbol = 0;
    while symbol < 256 {
        lengths[symbol] = CODES[symbol].1;
        symbol += 1;
    }
    lengths
};

/// The number of bytes `src` occupies once Huffman-coded (RFC 7541 §5.2),
/// including the final padding.
pub fn encoded_len(src: &[u8]) -> usize {
    let bits: usize = src
        .iter()
        .map(|&byte| usize::from(LENGTHS[usize::from(byte)]))
        .sum();
    bits.div_ceil(8)
}

/// Appends the Huffman coding of `src` to `dst`, padded with the most
/// significant bits of EOS (all ones) as RFC 7541 §5.2 requires.
pub fn encode(src: &[u8], dst: &mut BytesMut) {
    dst.reserve(encoded_len(src));
    // Codes are at most 30 bits and fewer than 32 bits wait in the accumulator
    // between flushes, so 64 bits never overflow before the pending bits are
    // written out.
    let mut pending: u64 = 0;
    let mut pending_bits: u32 = 0;
    for &byte in src {
        let (code, length) = CODES[usize::from(byte)];
        pending = (pending << length) | u64::from(code);
        pending_bits += u32::from(length);
        if pending_bits >= 32 {
            pending_bits -= 32;
            // Truncation keeps exactly the 32 oldest pending bits.
            dst.put_u32((pending >> pending_bits) as u32);
        }
    }
    while pending_bits >= 8 {
        pending_bits -= 8;
        dst.put_u8((pending >> pending_bits) as u8);
    }
    if pending_bits > 0 {
        let padding = 8 - pending_bits;
        dst.put_u8(((pending << padding) | ((1 << padding) - 1)) as u8);
    }
}

/// Appends the decoding of the Huffman-coded string `src` to `dst`.
///
/// Fails with [`DecodeError::InvalidHuffman`] when the string contains the EOS
/// symbol, or ends in padding that is longer than seven bits or not all ones
/// (RFC 7541 §5.2). On failure `dst` is left as it was.
pub fn decode(src: &[u8], dst: &mut BytesMut) -> Result<(), DecodeError> {
    let start = dst.len();
    // The shortest code is five bits, so `src` holds at most `8 * len / 5`
    // symbols; one spare byte lets every step store its symbol unconditionally
    // and only advance the cursor when the step really emitted one.
    let capacity = src.len() / 5 * 8 + (src.len() % 5) * 8 / 5 + 1;
    dst.resize(start + capacity, 0);
    let out = &mut dst[start..];
    let mut written = 0;
    let mut state = 0u8;
    let mut accepting = true;
    let mut failed = 0u8;
    for &byte in src {
        let high = DECODE[usize::from(state)][usize::from(byte >> 4)];
        if let Some(slot) = out.get_mut(written) {
            *slot = high.symbol;
        }
        written += usize::from(high.flags & EMIT);
        let low = DECODE[usize::from(high.next)][usize::from(byte & 0x0f)];
        if let Some(slot) = out.get_mut(written) {
            *slot = low.symbol;
        }
        written += usize::from(low.flags & EMIT);
        failed |= (high.flags | low.flags) & FAIL;
        state = low.next;
        accepting = low.flags & ACCEPT != 0;
    }
    if failed != 0 || !accepting {
        dst.truncate(start);
        return Err(DecodeError::InvalidHuffman);
    }
    dst.truncate(start + written);
    Ok(())
}

/// This step completed a symbol, stored in [`Step::symbol`].
const EMIT: u8 = 0b001;
/// This step decoded EOS, which must never appear in a string (RFC 7541 §5.2).
const FAIL: u8 = 0b010;
/// The string may end here: the bits since the last symbol are a prefix of EOS
/// (all ones) no longer than seven bits.
const ACCEPT: u8 = 0b100;

/// One transition of the nibble automaton.
#[derive(Clone, Copy)]
struct Step {
    /// The state after the nibble: an internal node of the code tree.
    next: u8,
    /// The symbol completed by the nibble, when `flags` has [`EMIT`].
    symbol: u8,
    flags: u8,
}

/// A child in the code tree: an internal node id, or a leaf carrying a symbol.
const LEAF: u16 = 0x8000;
/// Marks a child slot that has not been filled yet (the root is never a child).
const EMPTY: u16 = 0;

/// The code tree: 257 leaves make exactly 256 internal nodes, so a state fits
/// in a `u8`. Node 0 is the root.
const TREE: [[u16; 2]; 256] = {
    let mut tree = [[EMPTY; 2]; 256];
    let mut allocated = 1;
    let mut symbol = 0;
    while symbol < 257 {
        let (code, length) = CODES[symbol];
        let mut node = 0;
        let mut bit = length;
        while bit > 1 {
            bit -= 1;
            let direction = ((code >> bit) & 1) as usize;
            if tree[node][direction] == EMPTY {
                tree[node][direction] = allocated as u16;
                allocated += 1;
            }
            node = tree[node][direction] as usize;
        }
        tree[node][(code & 1) as usize] = LEAF | symbol as u16;
        symbol += 1;
    }
    tree
};

/// Internal nodes reached from the root by at most seven one-bits: ending a
/// string there is valid padding.
const ACCEPTING: [bool; 256] = {
    let mut accepting = [false; 256];
    accepting[0] = true;
    let mut node = 0;
    let mut depth = 0;
    while depth < 7 {
        node = TREE[node][1] as usize;
        accepting[node] = true;
        depth += 1;
    }
    accepting
};

/// `DECODE[state][nibble]`: feed four bits to the automaton. A nibble completes
/// at most one symbol because no code is shorter than five bits.
const DECODE: [[Step; 16]; 256] = {
    let mut table = [[Step {
        next: 0,
        symbol: 0,
        flags: 0,
    }; 16]; 256];
    let mut state = 0;
    while state < 256 {
        let mut nibble = 0;
        while nibble < 16 {
            let mut node = state;
            let mut symbol = 0u8;
            let mut flags = 0u8;
            let mut bit = 4;
            while bit > 0 {
                bit -= 1;
                let child = TREE[node][(nibble >> bit) & 1];
                if child & LEAF != 0 {
                    let decoded = child & !LEAF;
                    if decoded == 256 {
                        flags |= FAIL;
                    } else {
                        symbol = decoded as u8;
                        flags |= EMIT;
                    }
                    node = 0;
                } else {
                    node = child as usize;
                }
            }
            if ACCEPTING[node] {
                flags |= ACCEPT;
            }
            table[state][nibble] = Step {
                next: node as u8,
                symbol,
                flags,
            };
            nibble += 1;
        }
        state += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_to_vec(src: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let mut dst = BytesMut::new();
        decode(src, &mut dst).map(|()| dst.to_vec())
    }

    #[test]
    fn every_symbol_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        let mut encoded = BytesMut::new();
        encode(&all, &mut encoded);
        assert_eq!(encoded.len(), encoded_len(&all));
        assert_eq!(decode_to_vec(&encoded).unwrap(), all);
    }

    #[test]
    fn rfc7541_c4_www_example_com() {
        let mut encoded = BytesMut::new();
        encode(b"www.example.com", &mut encoded);
        assert_eq!(
            &encoded[..],
            b"\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff"
        );
        assert_eq!(decode_to_vec(&encoded).unwrap(), b"www.example.com");
    }

    #[test]
    fn empty_string() {
        assert_eq!(encoded_len(b""), 0);
        assert_eq!(decode_to_vec(b"").unwrap(), b"");
    }

    #[test]
    fn padding_of_a_whole_byte_is_rejected() {
        // 'a' is 00011 (5 bits) + 3 bits of padding; one more 0xff byte makes
        // eleven bits of padding.
        assert_eq!(decode_to_vec(&[0x1f]).unwrap(), b"a");
        assert_eq!(
            decode_to_vec(&[0x1f, 0xff]),
            Err(DecodeError::InvalidHuffman)
        );
        assert_eq!(decode_to_vec(&[0xff]), Err(DecodeError::InvalidHuffman));
    }

    #[test]
    fn padding_that_is_not_all_ones_is_rejected() {
        assert_eq!(decode_to_vec(&[0x18]), Err(DecodeError::InvalidHuffman));
        assert_eq!(decode_to_vec(&[0x1e]), Err(DecodeError::InvalidHuffman));
    }

    #[test]
    fn encoded_eos_is_rejected() {
        // EOS is thirty one-bits; here it is followed by two bits of padding.
        assert_eq!(
            decode_to_vec(&[0xff, 0xff, 0xff, 0xff]),
            Err(DecodeError::InvalidHuffman)
        );
        // 'a' then EOS then padding.
        assert_eq!(
            decode_to_vec(&[0x1f, 0xff, 0xff, 0xff, 0xff]),
            Err(DecodeError::InvalidHuffman)
        );
    }

    #[test]
    fn failure_leaves_dst_untouched() {
        let mut dst = BytesMut::from(&b"kept"[..]);
        assert!(decode(&[0x18], &mut dst).is_err());
        assert_eq!(&dst[..], b"kept");
    }
}
