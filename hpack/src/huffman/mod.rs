//! The static Huffman code of RFC 7541 §5.2 and Appendix B.
//!
//! Decoding looks up thirteen bits at a time in a table that yields up to two
//! symbols per step; the rare codes longer than thirteen bits are found by their
//! canonical order. The tables are built at compile time from the code table
//! of RFC 7541 Appendix B, so there is no generated source to keep in sync
//! with the RFC. Encoding packs codes into a 64-bit accumulator and flushes
//! whole 32-bit words.

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
    encode_reserved(src, dst);
}

/// [`encode`] without sizing `dst` first: the caller has reserved room or
/// accepts growth as it goes.
pub(crate) fn encode_reserved(src: &[u8], dst: &mut BytesMut) {
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
    dst.resize(start + decode_room(src.len()), 0);
    let result = decode_into(src, &mut dst[start..]);
    dst.truncate(start + *result.as_ref().unwrap_or(&0));
    result.map(drop)
}

/// [`decode`] into a `Vec`, for a caller that keeps one scratch buffer and
/// borrows from it, with no reference count per string.
pub fn decode_to_vec(src: &[u8], dst: &mut Vec<u8>) -> Result<(), DecodeError> {
    let start = dst.len();
    dst.resize(start + decode_room(src.len()), 0);
    let result = decode_into(src, &mut dst[start..]);
    dst.truncate(start + *result.as_ref().unwrap_or(&0));
    result.map(drop)
}

/// The room [`decode_into`] needs for `len` bytes of code. The shortest code
/// is five bits, so they hold at most `8 * len / 5` symbols; two spare bytes
/// let every step store three symbol slots unconditionally and then advance
/// by the number it really decoded.
const fn decode_room(len: usize) -> usize {
    len / 5 * 8 + (len % 5) * 8 / 5 + 2
}

/// Decodes `src` into `out`, which has room for every symbol plus two bytes;
/// returns the number of symbols.
fn decode_into(src: &[u8], out: &mut [u8]) -> Result<usize, DecodeError> {
    // Pending bits, left-aligned: the next bit to decode is bit 63. Bits
    // below the `pending_bits` valid ones are zero.
    let mut pending: u64 = 0;
    let mut pending_bits: u32 = 0;
    let mut input = src;
    let mut written = 0;
    loop {
        if pending_bits <= 32 {
            if let Some((word, rest)) = input.split_first_chunk::<4>() {
                pending |= u64::from(u32::from_be_bytes(*word)) << (32 - pending_bits);
                pending_bits += 32;
                input = rest;
            } else {
                while let (true, Some((&byte, rest))) = (pending_bits <= 56, input.split_first()) {
                    pending |= u64::from(byte) << (56 - pending_bits);
                    pending_bits += 8;
                    input = rest;
                }
            }
        }
        // With 30 bits (the longest code) pending every code is complete;
        // fewer means the input is exhausted and only the tail is left.
        if pending_bits < 30 {
            break;
        }
        let at = (pending >> (64 - WIDE_BITS)) as usize;
        let step = STEP_LEN.get(at).copied().unwrap_or_default();
        if step == 0 {
            let (symbol, len) = decode_long(pending);
            let symbol = u8::try_from(symbol).map_err(|_| DecodeError::InvalidHuffman)?;
            if let Some(slot) = out.get_mut(written) {
                *slot = symbol;
            }
            written += 1;
            pending <<= len;
            pending_bits -= len;
            continue;
        }
        // Both symbol slots are stored whatever the count; the spare bytes
        // of `out` take an unused one past the last symbol.
        if let (Some(slots), Some(symbols)) =
            (out.get_mut(written..written + 2), STEP_SYMBOLS.get(at))
        {
            slots.copy_from_slice(symbols);
        }
        written += usize::from(step >> 6);
        // The length is the low six bits: the shift needs no other masking.
        let consumed = u32::from(step & 0x3f);
        pending <<= consumed;
        pending_bits -= consumed;
    }
    // The tail: decode codes that lie wholly within the remaining bits. Bits
    // past the end read as ones, so what is left over when the next code
    // would reach past the end is padding: a prefix of EOS.
    while pending_bits > 0 {
        let window = pending | (u64::MAX >> pending_bits);
        let at = (window >> (64 - WIDE_BITS)) as usize;
        let step = STEP_LEN.get(at).copied().unwrap_or_default();
        let symbols = STEP_SYMBOLS.get(at).copied().unwrap_or_default();
        let total_len = u32::from(step & 0x3f);
        if step != 0 && total_len <= pending_bits {
            // Every code of the step lies within the real bits.
            if let Some(slots) = out.get_mut(written..written + 2) {
                slots.copy_from_slice(&symbols);
            }
            written += usize::from(step >> 6);
            pending <<= total_len;
            pending_bits -= total_len;
            continue;
        }
        let (symbol, len) = match step {
            0 => decode_long(window),
            _ => (
                u16::from(symbols[0]),
                u32::from(LENGTHS[usize::from(symbols[0])]),
            ),
        };
        if len > pending_bits {
            break;
        }
        // EOS is 30 bits, more than the tail ever holds.
        let symbol = u8::try_from(symbol).map_err(|_| DecodeError::InvalidHuffman)?;
        if let Some(slot) = out.get_mut(written) {
            *slot = symbol;
        }
        written += 1;
        pending <<= len;
        pending_bits -= len;
    }
    let all_ones = pending_bits == 0 || pending >> (64 - pending_bits) == (1 << pending_bits) - 1;
    if pending_bits > 7 || !all_ones {
        return Err(DecodeError::InvalidHuffman);
    }
    Ok(written)
}

/// Decodes a code longer than [`WIDE_BITS`] from the left-aligned `window`,
/// using the canonical ordering of the code (RFC 7541 Appendix B): codes of
/// one length are consecutive integers, and every prefix of a longer code is
/// numerically above all codes of the prefix's length.
fn decode_long(window: u64) -> (u16, u32) {
    let mut len = WIDE_BITS + 1;
    while len <= 30 {
        let code = (window >> (64 - len)) as u32;
        let Canonical {
            first_code,
            count,
            offset,
        } = CANONICAL[len as usize];
        let rank = code.wrapping_sub(first_code);
        if rank < count {
            return (SORTED[(offset + rank) as usize], len);
        }
        len += 1;
    }
    // Thirty ones: EOS, the only code this long with nothing after it.
    (256, 30)
}

/// Bits looked at per step of the fast path. Every code of up to this many
/// bits decodes in one table lookup, together with the codes after it that
/// fit in the same bits: up to three, as many as [`WideStep`] holds, though
/// at thirteen bits no more than two fit, the shortest code being five bits.
/// Thirteen bits keep the table at 32 KiB, within a first-level data cache:
/// sixteen bits (256 KiB, ls-qpack's width) measured slower, the lookups
/// missing the cache more than the extra symbols per step saved.
const WIDE_BITS: u32 = 13;

/// One entry of [`wide`], packed: the symbols in bits 0-7, 8-15 and 16-23
/// (unused ones zero), the total length of their codes in bits 24-28, and
/// their count (0 to 3; 0 when the first code is longer than [`WIDE_BITS`])
/// in bits 29-30.
#[derive(Clone, Copy)]
struct WideStep(u32);

impl WideStep {
    const fn total_len(self) -> u32 {
        (self.0 >> 24) & 0x1f
    }
    const fn count(self) -> u32 {
        (self.0 >> 29) & 0x3
    }
    /// This step followed by `symbol`, whose code is `len` bits long.
    const fn then(self, symbol: u16, len: u32) -> Self {
        let count = (self.0 >> 29) & 0x3;
        let total_len = ((self.0 >> 24) & 0x1f) + len;
        Self(
            (self.0 & 0x00ff_ffff)
                | ((symbol as u32) << (8 * count))
                | (total_len << 24)
                | ((count + 1) << 29),
        )
    }
}

/// The decoding loop's half of [`wide`], on its critical path: per entry, the
/// total length of the codes in bits 0-5 and their count in bits 6-7 (0 when
/// the first code is longer than [`WIDE_BITS`]). At one byte an entry, the
/// table takes 8 KiB of the first-level cache, where the whole step took 32.
static STEP_LEN: [u8; 1 << WIDE_BITS] = {
    let wide = wide();
    let mut table = [0u8; 1 << WIDE_BITS];
    let mut at = 0;
    while at < table.len() {
        let step = wide[at];
        // Two symbols at most: the shortest code is five bits.
        assert!(step.count() < 3);
        table[at] = (step.total_len() | (step.count() << 6)) as u8;
        at += 1;
    }
    table
};

/// The other half of [`wide`]: the (up to two) symbols of each entry, read
/// off the critical path.
static STEP_SYMBOLS: [[u8; 2]; 1 << WIDE_BITS] = {
    let wide = wide();
    let mut table = [[0u8; 2]; 1 << WIDE_BITS];
    let mut at = 0;
    while at < table.len() {
        let step = wide[at].0;
        table[at] = [step as u8, (step >> 8) as u8];
        at += 1;
    }
    table
};

/// `wide()[bits]`: what the next [`WIDE_BITS`] bits decode to.
///
/// Built by walking the sequences of up to three codes that fit in
/// [`WIDE_BITS`] bits, shortest codes first, and filling the range of
/// entries each sequence is a prefix of; a longer sequence overwrites the
/// entries of its own prefix. This touches each entry at most three times,
/// where decoding every entry bit by bit would take far longer to evaluate.
const fn wide() -> [WideStep; 1 << WIDE_BITS] {
    let mut table = [WideStep(0); 1 << WIDE_BITS];
    let mut first = 0;
    while first < SORTED.len() {
        let symbol = SORTED[first];
        let (code, len) = CODES[symbol as usize];
        let len = len as u32;
        if len > WIDE_BITS {
            break;
        }
        let step = WideStep(0).then(symbol, len);
        let prefix = code << (WIDE_BITS - len);
        fill(&mut table, prefix, len, step);
        let mut second = 0;
        while second < SORTED.len() {
            let symbol = SORTED[second];
            let (code, len2) = CODES[symbol as usize];
            let len2 = len2 as u32;
            if len + len2 > WIDE_BITS {
                break;
            }
            let step = step.then(symbol, len2);
            let prefix = prefix | (code << (WIDE_BITS - len - len2));
            fill(&mut table, prefix, len + len2, step);
            let mut third = 0;
            while third < SORTED.len() {
                let symbol = SORTED[third];
                let (code, len3) = CODES[symbol as usize];
                let len3 = len3 as u32;
                if len + len2 + len3 > WIDE_BITS {
                    break;
                }
                let step = step.then(symbol, len3);
                let prefix = prefix | (code << (WIDE_BITS - len - len2 - len3));
                fill(&mut table, prefix, len + len2 + len3, step);
                third += 1;
            }
            second += 1;
        }
        first += 1;
    }
    table
}

/// Sets every entry of `table` whose top `len` bits are those of `prefix`.
const fn fill(table: &mut [WideStep; 1 << WIDE_BITS], prefix: u32, len: u32, step: WideStep) {
    let mut at = prefix as usize;
    let end = at + (1 << (WIDE_BITS - len));
    while at < end {
        table[at] = step;
        at += 1;
    }
}

/// Per code length: the numerically first code, how many codes have that
/// length, and where their symbols start in [`SORTED`].
#[derive(Clone, Copy)]
struct Canonical {
    first_code: u32,
    count: u32,
    offset: u32,
}

const CANONICAL: [Canonical; 31] = {
    let mut table = [Canonical {
        first_code: u32::MAX,
        count: 0,
        offset: 0,
    }; 31];
    let mut offset = 0;
    let mut len = 1;
    while len <= 30 {
        table[len].offset = offset;
        let mut symbol = 0;
        while symbol < 257 {
            let (code, code_len) = CODES[symbol];
            if code_len as usize == len {
                if code < table[len].first_code {
                    table[len].first_code = code;
                }
                table[len].count += 1;
            }
            symbol += 1;
        }
        offset += table[len].count;
        len += 1;
    }
    table
};

/// Symbols ordered by code length, then by code (which, the code being
/// canonical, is symbol order).
const SORTED: [u16; 257] = {
    let mut sorted = [0u16; 257];
    let mut at = 0;
    let mut len = 1;
    while len <= 30 {
        let mut symbol = 0;
        while symbol < 257 {
            if CODES[symbol].1 as usize == len {
                sorted[at] = symbol as u16;
                at += 1;
            }
            symbol += 1;
        }
        len += 1;
    }
    sorted
};

#[cfg(test)]
/// A child in the code tree: an internal node id, or a leaf carrying a symbol.
const LEAF: u16 = 0x8000;
#[cfg(test)]
/// Marks a child slot that has not been filled yet (the root is never a child).
const EMPTY: u16 = 0;

#[cfg(test)]
/// The code tree, which the tests' bit-by-bit reference decoder walks: 257 leaves make exactly
/// 256 internal nodes. Node 0 is the root.
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

    /// The decoder relies on the code being canonical.
    #[test]
    fn the_code_is_canonical() {
        for (len, canonical) in CANONICAL.iter().enumerate().skip(1) {
            let codes: Vec<u32> = CODES
                .iter()
                .filter(|&&(_, l)| usize::from(l) == len)
                .map(|&(c, _)| c)
                .collect();
            for (rank, &code) in codes.iter().enumerate() {
                assert_eq!(code, canonical.first_code + rank as u32, "length {len}");
            }
        }
    }

    /// Decodes one bit at a time by walking the tree: slow and obviously
    /// right, the reference for the table-driven decoder.
    fn reference_decode(src: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        let (mut node, mut depth, mut all_ones) = (0usize, 0, true);
        for bit in src
            .iter()
            .flat_map(|&byte| (0..8).rev().map(move |shift| (byte >> shift) & 1))
        {
            let child = TREE[node][usize::from(bit)];
            depth += 1;
            all_ones &= bit == 1;
            if child & LEAF != 0 {
                let symbol = child & !LEAF;
                out.push(u8::try_from(symbol).map_err(|_| DecodeError::InvalidHuffman)?);
                (node, depth, all_ones) = (0, 0, true);
            } else {
                node = usize::from(child);
            }
        }
        if depth > 7 || !all_ones {
            return Err(DecodeError::InvalidHuffman);
        }
        Ok(out)
    }

    #[test]
    fn table_decoder_matches_the_reference_on_every_short_input() {
        for len in 1..=2 {
            for value in 0..(1u32 << (8 * len)) {
                let src = &value.to_be_bytes()[4 - len..];
                assert_eq!(decode_to_vec(src), reference_decode(src), "{src:02x?}");
            }
        }
    }

    #[test]
    fn table_decoder_matches_the_reference_on_noisy_input() {
        // Deterministic pseudo-random bytes, mostly valid Huffman with noise.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for round in 0..20_000 {
            let mut text = Vec::new();
            for _ in 0..(round % 23) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push(state as u8);
            }
            let mut encoded = BytesMut::new();
            encode(&text, &mut encoded);
            assert_eq!(decode_to_vec(&encoded).unwrap(), text);
            if let Some(last) = encoded.last_mut() {
                *last ^= (state >> 8) as u8;
            }
            assert_eq!(
                decode_to_vec(&encoded),
                reference_decode(&encoded),
                "{encoded:02x?}"
            );
            assert_eq!(decode_to_vec(&text), reference_decode(&text), "{text:02x?}");
        }
    }

    /// Every entry of the step tables holds the longest run of whole codes
    /// that the tree finds in its bits: its count, total length and symbols.
    #[test]
    fn every_step_entry_matches_the_tree() {
        for bits in 0..1usize << WIDE_BITS {
            let (mut node, mut depth, mut symbols, mut total_len) = (0usize, 0, Vec::new(), 0);
            for shift in (0..WIDE_BITS).rev() {
                let child = TREE[node][(bits >> shift) & 1];
                depth += 1;
                if child & LEAF != 0 {
                    symbols.push(u8::try_from(child & !LEAF).unwrap());
                    total_len += depth;
                    (node, depth) = (0, 0);
                } else {
                    node = usize::from(child);
                }
            }
            let step = STEP_LEN[bits];
            assert_eq!(usize::from(step >> 6), symbols.len(), "{bits:013b}");
            if !symbols.is_empty() {
                assert_eq!(step & 0x3f, total_len, "{bits:013b}");
                assert_eq!(STEP_SYMBOLS[bits][..symbols.len()], symbols, "{bits:013b}");
            }
        }
    }

    #[test]
    fn failure_leaves_dst_untouched() {
        let mut dst = BytesMut::from(&b"kept"[..]);
        assert!(decode(&[0x18], &mut dst).is_err());
        assert_eq!(&dst[..], b"kept");
    }
}
