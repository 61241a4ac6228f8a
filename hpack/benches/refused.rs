//! The cost of a refused header block: one-octet references to a large
//! table entry, far past SETTINGS_MAX_HEADER_LIST_SIZE, which the decoder
//! must still read to its end to keep its table in step (RFC 9113 §10.5.1).
//! The attack suite's weakness-2 test sends blocks of this shape as fast as
//! the server takes them.
//!
//! `cargo bench -p weft-hpack --bench refused`
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::{BufMut, Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weft_hpack::{DecodeError, Decoder, encode_integer};

/// server-smol's default SETTINGS_MAX_HEADER_LIST_SIZE.
const MAX_HEADER_LIST: usize = 16 * 1024;

fn refused(c: &mut Criterion) {
    let mut decoder = Decoder::default();
    decoder.set_max_header_list_size(MAX_HEADER_LIST);
    // Index a 4,000-octet field (RFC 7541 §6.2.1), as the attacker's first block does.
    let mut first = BytesMut::new();
    first.put_slice(&[0x40, 5]);
    first.put_slice(b"x-big");
    encode_integer(4000, 7, 0, &mut first);
    first.put_bytes(b'b', 4000);
    let mut out = Vec::new();
    decoder
        .decode(first.freeze(), &mut out)
        .expect("the first block fits");
    // A 16 KiB block of references to it (dynamic index 62).
    let block = Bytes::from(vec![0xbe; 16 * 1024]);
    let mut group = c.benchmark_group("refused_block");
    group.throughput(Throughput::Bytes(block.len() as u64));
    group.bench_function("weft", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            let result = decoder.decode(block.clone(), &mut out);
            assert!(matches!(result, Err(DecodeError::HeaderListTooLarge(_))));
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, refused);
criterion_main!(benches);
