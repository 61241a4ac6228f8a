//! Encoder behaviour: sensitivity, table size updates and the options.

use bytes::{Bytes, BytesMut};
use weft_hpack::{Decoder, Encoder, Header};

fn encode(encoder: &mut Encoder, headers: &[Header]) -> Bytes {
    let mut block = BytesMut::new();
    encoder.encode(headers, &mut block);
    block.freeze()
}

#[test]
fn sensitive_fields_are_never_indexed() {
    let mut encoder = Encoder::default();
    let headers = [
        Header::new("authorization", "Bearer abc"),
        Header::new("proxy-authorization", "Basic xyz"),
        Header::new("cookie", "a=b"),
        Header::new("set-cookie", "c=d"),
        Header::sensitive("x-secret", "42"),
    ];
    let block = encode(&mut encoder, &headers);
    assert_eq!(encoder.table_size(), 0);
    // Sending them again costs the same: nothing was indexed.
    assert_eq!(encode(&mut encoder, &headers).len(), block.len());
    let mut out = Vec::new();
    Decoder::default().decode(block, &mut out).unwrap();
    assert!(out.iter().all(|header| header.sensitive), "{out:?}");
    assert_eq!(out.len(), headers.len());
}

#[test]
fn repeated_fields_become_one_byte() {
    let mut encoder = Encoder::default();
    let headers = [
        Header::new("user-agent", "weft/0.1"),
        Header::new("x-trace", "abc"),
    ];
    assert!(encode(&mut encoder, &headers).len() > 2);
    assert_eq!(&encode(&mut encoder, &headers)[..], [0xbf, 0xbe]);
}

#[test]
fn table_size_changes_are_signalled_at_the_next_block() {
    let mut encoder = Encoder::new(4096);
    let mut decoder = Decoder::new(4096);
    encoder.set_max_table_size(0);
    encoder.set_max_table_size(2048);
    decoder.set_max_table_size(0);
    decoder.set_max_table_size(2048);
    let block = encode(&mut encoder, &[Header::new(":method", "GET")]);
    // The smallest value first, then the final one (RFC 7541 §4.2).
    assert_eq!(&block[..], [0x20, 0x3f, 0xe1, 0x0f, 0x82]);
    assert_eq!(encoder.table_capacity(), 2048);
    let mut out = Vec::new();
    decoder.decode(block, &mut out).unwrap();
    assert_eq!(decoder.table_capacity(), 2048);
    // Only once.
    assert_eq!(
        &encode(&mut encoder, &[Header::new(":method", "GET")])[..],
        [0x82]
    );
}

#[test]
fn unchanged_table_size_sends_no_update() {
    let mut encoder = Encoder::new(4096);
    encoder.set_max_table_size(4096);
    assert_eq!(
        &encode(&mut encoder, &[Header::new(":method", "GET")])[..],
        [0x82]
    );
}

#[test]
fn peer_table_size_is_capped() {
    let mut encoder = Encoder::new(4096);
    encoder.set_max_table_size(1 << 30);
    encode(&mut encoder, &[]);
    assert_eq!(encoder.table_capacity(), weft_hpack::MAX_ENCODER_TABLE_SIZE);
}

#[test]
fn options_turn_huffman_and_indexing_off() {
    let headers = [Header::new("x-custom", "a value that huffman shortens")];
    let mut plain = Encoder::default();
    plain.set_huffman(false);
    let block = encode(&mut plain, &headers);
    assert!(block.windows(8).any(|window| window == b"x-custom"));
    assert_eq!(plain.table_size(), headers[0].size());

    let mut unindexed = Encoder::default();
    unindexed.set_indexing(false);
    let first = encode(&mut unindexed, &headers);
    assert_eq!(first[0] & 0xf0, 0x00, "literal without indexing");
    assert_eq!(unindexed.table_size(), 0);
    assert_eq!(encode(&mut unindexed, &headers), first);
}

#[test]
fn big_fields_are_not_indexed() {
    let mut encoder = Encoder::new(256);
    encoder.encode(
        &[Header::new("x-big", "v".repeat(200))],
        &mut BytesMut::new(),
    );
    assert_eq!(encoder.table_size(), 0);
}

#[test]
fn eviction_in_the_encoder_matches_the_decoder() {
    let mut encoder = Encoder::new(128);
    let mut decoder = Decoder::new(128);
    for round in 0..50 {
        let headers: Vec<Header> = (0..3)
            .map(|field| {
                Header::new(
                    format!("x-{}", (round + field) % 7),
                    format!("{}", round % 5),
                )
            })
            .collect();
        let block = encode(&mut encoder, &headers);
        let mut out = Vec::new();
        decoder.decode(block, &mut out).unwrap();
        assert_eq!(out, headers, "round {round}");
        assert_eq!(encoder.table_size(), decoder.table_size(), "round {round}");
    }
}
