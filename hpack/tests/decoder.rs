//! Decoder behaviour beyond the RFC examples: every `DecodeError` variant,
//! size update rules, the header list limit and zero-copy literals.

use bytes::{BufMut, Bytes, BytesMut};
use weft_hpack::{DecodeError, Decoder, Encoder, Header, encode_integer};

fn decode(decoder: &mut Decoder, block: &[u8]) -> Result<Vec<Header>, DecodeError> {
    let mut out = Vec::new();
    decoder
        .decode(Bytes::copy_from_slice(block), &mut out)
        .map(|()| out)
}

fn fresh(block: &[u8]) -> Result<Vec<Header>, DecodeError> {
    decode(&mut Decoder::default(), block)
}

/// A literal without indexing, with a new name, no Huffman.
fn literal(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut block = BytesMut::new();
    block.put_u8(0x00);
    encode_integer(name.len(), 7, 0, &mut block);
    block.extend_from_slice(name);
    encode_integer(value.len(), 7, 0, &mut block);
    block.extend_from_slice(value);
    block.to_vec()
}

#[test]
fn truncated_representations() {
    // Indexed field with a continuation byte missing.
    assert_eq!(fresh(&[0xff]), Err(DecodeError::Truncated));
    // Literal with indexed name and no value.
    assert_eq!(fresh(&[0x44]), Err(DecodeError::Truncated));
    // Literal with new name, name cut short.
    assert_eq!(
        fresh(&[0x40, 0x05, b'a', b'b']),
        Err(DecodeError::Truncated)
    );
    // Value cut short; every proper prefix of a valid literal is truncated.
    let whole = literal(b"name", b"value");
    for end in 1..whole.len() {
        assert_eq!(
            fresh(&whole[..end]),
            Err(DecodeError::Truncated),
            "prefix of {end} bytes"
        );
    }
    assert_eq!(fresh(&whole).unwrap(), [Header::new("name", "value")]);
}

#[test]
fn a_string_claiming_2_pow_31_bytes_is_truncated_not_allocated() {
    let mut block = BytesMut::new();
    block.put_u8(0x40);
    encode_integer(1 << 31, 7, 0x80, &mut block); // Huffman, 2^31 bytes
    block.extend_from_slice(b"abc");
    assert_eq!(fresh(&block), Err(DecodeError::Truncated));
}

#[test]
fn integer_overflow() {
    let mut ten_continuations = vec![0xff];
    ten_continuations.extend([0xff; 10]);
    ten_continuations.push(0x00);
    assert_eq!(fresh(&ten_continuations), Err(DecodeError::IntegerOverflow));
    // A string length of 2^32.
    assert_eq!(
        fresh(&[0x40, 0x7f, 0x81, 0xff, 0xff, 0xff, 0x0f]),
        Err(DecodeError::IntegerOverflow)
    );
}

#[test]
fn invalid_indices() {
    assert_eq!(fresh(&[0x80]), Err(DecodeError::InvalidIndex(0)));
    assert_eq!(fresh(&[0xbe]), Err(DecodeError::InvalidIndex(62)));
    assert_eq!(
        fresh(&[0x7f, 0x00, 0x00]),
        Err(DecodeError::InvalidIndex(63))
    );
    // Index 62 becomes valid once something is inserted, 63 does not.
    let mut decoder = Decoder::default();
    let mut block = vec![0x40];
    block.extend_from_slice(&literal(b"k", b"v")[1..]);
    decode(&mut decoder, &block).unwrap();
    assert_eq!(
        decode(&mut decoder, &[0xbe]).unwrap(),
        [Header::new("k", "v")]
    );
    assert_eq!(
        decode(&mut decoder, &[0xbf]),
        Err(DecodeError::InvalidIndex(63))
    );
}

#[test]
fn invalid_huffman() {
    // Name is Huffman 0xff: eight bits of padding.
    assert_eq!(
        fresh(&[0x00, 0x81, 0xff, 0x00]),
        Err(DecodeError::InvalidHuffman)
    );
    // Value is Huffman 'a' with zero padding.
    assert_eq!(fresh(&[0x04, 0x81, 0x18]), Err(DecodeError::InvalidHuffman));
    // Value contains EOS.
    assert_eq!(
        fresh(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff]),
        Err(DecodeError::InvalidHuffman)
    );
}

#[test]
fn size_updates() {
    let mut decoder = Decoder::new(4096);
    // Several in a row are allowed at the start.
    assert_eq!(
        decode(&mut decoder, &[0x20, 0x3f, 0xe1, 0x1f, 0x82]).unwrap(),
        [Header::new(":method", "GET")]
    );
    assert_eq!(decoder.table_capacity(), 4096);
    assert_eq!(decode(&mut decoder, &[0x3f, 0x45]).unwrap(), []);
    assert_eq!(decoder.table_capacity(), 100);
    // Above the maximum.
    assert_eq!(
        decode(&mut decoder, &[0x3f, 0xe2, 0x1f]),
        Err(DecodeError::SizeUpdateTooLarge {
            requested: 4097,
            max: 4096
        })
    );
    // After a field.
    assert_eq!(
        decode(&mut Decoder::default(), &[0x82, 0x20]),
        Err(DecodeError::LateSizeUpdate)
    );
}

#[test]
fn size_update_evicts() {
    let mut decoder = Decoder::default();
    let mut block = vec![0x40];
    block.extend_from_slice(&literal(b"k", b"v")[1..]);
    decode(&mut decoder, &block).unwrap();
    assert_eq!(decoder.table_size(), 34);
    decode(&mut decoder, &[0x20, 0x3f, 0xe1, 0x1f]).unwrap();
    assert_eq!(decoder.table_size(), 0);
    assert_eq!(
        decode(&mut decoder, &[0xbe]),
        Err(DecodeError::InvalidIndex(62))
    );
}

#[test]
fn lowered_maximum_requires_an_update() {
    let mut decoder = Decoder::new(4096);
    decoder.set_max_table_size(1000);
    assert_eq!(
        decode(&mut decoder, &[0x82]),
        Err(DecodeError::MissingSizeUpdate)
    );
    let mut decoder = Decoder::new(4096);
    decoder.set_max_table_size(1000);
    assert_eq!(
        decode(&mut decoder, &[]),
        Err(DecodeError::MissingSizeUpdate)
    );
    let mut decoder = Decoder::new(4096);
    decoder.set_max_table_size(1000);
    // 0x3f 0xc9 0x07 = 1000.
    assert_eq!(
        decode(&mut decoder, &[0x3f, 0xc9, 0x07, 0x82]).unwrap(),
        [Header::new(":method", "GET")]
    );
    assert_eq!(
        decode(&mut decoder, &[0x82]).unwrap(),
        [Header::new(":method", "GET")]
    );
    // Raising the maximum needs no update.
    let mut decoder = Decoder::new(4096);
    decoder.set_max_table_size(8192);
    assert_eq!(
        decode(&mut decoder, &[0x82]).unwrap(),
        [Header::new(":method", "GET")]
    );
}

#[test]
fn header_list_too_large_still_keeps_the_table_in_sync() {
    let mut encoder = Encoder::default();
    let mut decoder = Decoder::default();
    decoder.set_max_header_list_size(120);
    let big = [
        Header::new("x-a", "1".repeat(40)),
        Header::new("x-b", "2".repeat(40)),
        Header::new("x-c", "3"),
    ];
    let mut block = BytesMut::new();
    encoder.encode(&big, &mut block);
    let mut out = Vec::new();
    let result = decoder.decode(block.freeze(), &mut out);
    assert_eq!(result, Err(DecodeError::HeaderListTooLarge(75 + 75 + 36)));
    // Only what fit was handed out.
    assert_eq!(out, big[..1]);
    // The table still holds all three, so the next block decodes.
    let mut block = BytesMut::new();
    encoder.encode(&big[1..], &mut block);
    assert_eq!(block.len(), 2, "both fields are indexed");
    let mut out = Vec::new();
    decoder.decode(block.freeze(), &mut out).unwrap();
    assert_eq!(out, big[1..]);
}

/// Past the limit, references are still read to the end of the block: their
/// sizes count, and an index that names nothing is still an error.
#[test]
fn references_past_the_header_list_limit_are_counted_and_checked() {
    let mut decoder = Decoder::default();
    decoder.set_max_header_list_size(100);
    // A literal with incremental indexing (RFC 7541 §6.2.1), new name.
    let mut block = BytesMut::new();
    block.put_slice(&[0x40, 5]);
    block.put_slice(b"x-big");
    encode_integer(4000, 7, 0, &mut block);
    block.put_bytes(b'b', 4000);
    // Three references to it (dynamic index 62), then :method GET (static 2).
    block.put_slice(&[0xbe, 0xbe, 0xbe, 0x82]);
    let big = 5 + 4000 + 32;
    assert_eq!(
        decode(&mut decoder, &block),
        Err(DecodeError::HeaderListTooLarge(4 * big + 42))
    );
    // Index 63 names nothing: the table holds one entry.
    let mut decoder = Decoder::default();
    decoder.set_max_header_list_size(100);
    let mut bad = block.clone();
    bad.put_u8(0xbf);
    assert_eq!(
        decode(&mut decoder, &bad),
        Err(DecodeError::InvalidIndex(63))
    );
}

#[test]
fn plain_literals_are_slices_of_the_block() {
    let block = Bytes::from(literal(b"x-name", b"some value"));
    let range = block.as_ptr() as usize..block.as_ptr() as usize + block.len();
    let mut out = Vec::new();
    Decoder::default().decode(block.clone(), &mut out).unwrap();
    assert!(range.contains(&(out[0].name.as_ptr() as usize)));
    assert!(range.contains(&(out[0].value.as_ptr() as usize)));
    assert_eq!(out, [Header::new("x-name", "some value")]);
}

#[test]
fn never_indexed_fields_come_out_sensitive() {
    let mut block = literal(b"password", b"secret");
    block[0] = 0x10;
    assert_eq!(
        fresh(&block).unwrap(),
        [Header::sensitive("password", "secret")]
    );
}

#[test]
fn oversized_insert_empties_the_table() {
    let mut decoder = Decoder::new(64);
    let mut block = vec![0x40];
    block.extend_from_slice(&literal(b"k", b"v")[1..]);
    decode(&mut decoder, &block).unwrap();
    assert_eq!(decoder.table_size(), 34);
    let mut block = vec![0x40];
    block.extend_from_slice(&literal(b"name", &[b'v'; 40])[1..]);
    assert_eq!(
        decode(&mut decoder, &block).unwrap(),
        [Header::new("name", "v".repeat(40))]
    );
    assert_eq!(decoder.table_size(), 0);
}
