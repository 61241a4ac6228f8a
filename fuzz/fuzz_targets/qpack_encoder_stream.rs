//! Encoder-stream bytes, whole and cut at arbitrary points: the decoder must
//! reach the same table (or the same error) either way, never panic, and
//! never hold more than its capacity.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use qpack::Decoder;

#[derive(Debug, Arbitrary)]
struct Input {
    capacity: u16,
    bytes: Vec<u8>,
    cuts: Vec<u16>,
}

fuzz_target!(|input: Input| {
    let capacity = usize::from(input.capacity);
    let mut whole = Decoder::new(capacity, 0);
    let whole_result = whole.recv_encoder_stream(&input.bytes).map(|_| ());
    let mut pieces = Decoder::new(capacity, 0);
    let mut rest = &input.bytes[..];
    let mut pieces_result = Ok(());
    for cut in input.cuts {
        let (piece, after) = rest.split_at(usize::from(cut).min(rest.len()));
        rest = after;
        pieces_result = pieces.recv_encoder_stream(piece).map(|_| ());
        if pieces_result.is_err() {
            break;
        }
    }
    if pieces_result.is_ok() {
        pieces_result = pieces.recv_encoder_stream(rest).map(|_| ());
    }
    assert_eq!(whole_result, pieces_result);
    if whole_result.is_ok() {
        assert_eq!(whole.insert_count(), pieces.insert_count());
        assert_eq!(whole.table_size(), pieces.table_size());
        assert_eq!(whole.table_capacity(), pieces.table_capacity());
    }
    assert!(whole.table_size() <= capacity);
});
