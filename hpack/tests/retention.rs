//! What the dynamic table keeps alive is bounded by its size, not by the blocks its
//! entries came from: a peer that indexes one small field per block, each block padded
//! with a large literal, must not make the decoder hold those blocks (RFC 7541 §4.1
//! counts an entry as name + value + 32 octets; that is what the peer may make us keep).
//!
//! Live heap bytes are counted with a wrapping global allocator, per thread, and this
//! file holds one test so nothing else allocates on its thread meanwhile.
// The only way to observe heap use is a `GlobalAlloc`, an unsafe trait; this one only
// counts and delegates to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::BytesMut;
use weft_hpack::{Decoder, encode_integer, huffman};

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|n| n.set(n.get() + layout.size() as isize));
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|n| n.set(n.get() - layout.size() as isize));
        // SAFETY: `ptr` came from `System.alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// A string literal (RFC 7541 §5.2), Huffman-coded or not.
fn string(out: &mut BytesMut, s: &[u8], huffman_coded: bool) {
    if huffman_coded {
        let mut coded = BytesMut::new();
        huffman::encode(s, &mut coded);
        encode_integer(coded.len(), 7, 0x80, out);
        out.extend_from_slice(&coded);
    } else {
        encode_integer(s.len(), 7, 0, out);
        out.extend_from_slice(s);
    }
}

/// One block: a small field to index (RFC 7541 §6.2.1), then ~120 KiB of padding sent
/// without indexing (§6.2.2), which the table never counts.
fn padded_block(i: usize, huffman_coded: bool) -> BytesMut {
    let mut b = BytesMut::new();
    // The padding first, so a Huffman-coded small field lands in the same scratch
    // allocation as the large one.
    b.extend_from_slice(&[0x00]);
    string(&mut b, b"x-pad", huffman_coded);
    string(&mut b, &vec![b'a'; 120 * 1024], huffman_coded);
    b.extend_from_slice(&[0x40]);
    string(&mut b, b"x-id", huffman_coded);
    string(&mut b, format!("{i:06}").as_bytes(), huffman_coded);
    b
}

#[test]
fn table_entries_do_not_pin_their_blocks() {
    for huffman_coded in [false, true] {
        let mut decoder = Decoder::new(4096);
        let mut out = Vec::new();
        // Warm up the decoder's own scratch space before measuring.
        decoder
            .decode(padded_block(999, huffman_coded).freeze(), &mut out)
            .unwrap();
        out.clear();
        let before = live();
        for i in 0..40 {
            let block = padded_block(i, huffman_coded);
            decoder.decode(block.freeze(), &mut out).unwrap();
            assert_eq!(out.len(), 2);
            out.clear();
        }
        let held = live() - before;
        // 40 entries of 42 counted octets fit the 4,096-octet table; what they cost
        // beyond that is per-entry bookkeeping, a few hundred octets each at most.
        assert_eq!(decoder.table_entries().count(), 41);
        assert!(
            held < 32 * 1024,
            "huffman: {huffman_coded}: the table holds {held} bytes for {} counted",
            decoder.table_size()
        );
    }
}
