//! Arbitrary bytes as header blocks: the decoder must return a value or a
//! typed error, never panic, and keep its table within its capacity.
#![no_main]

use bytes::Bytes;
use hpack::Decoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first two bytes choose the table size and the header list limit;
    // the rest is split into up to four blocks on one connection, at 0xff 0xfe
    // markers, so that table state carries from block to block.
    let [size, limit, rest @ ..] = data else { return };
    let mut decoder = Decoder::new(usize::from(*size) * 32);
    decoder.set_max_header_list_size(usize::from(*limit) * 64 + 32);
    let input = Bytes::copy_from_slice(rest);
    let mut start = 0;
    for _ in 0..4 {
        let end = input[start..]
            .windows(2)
            .position(|marker| marker == [0xff, 0xfe])
            .map_or(input.len(), |at| start + at);
        let mut out = Vec::new();
        let result = decoder.decode(input.slice(start..end), &mut out);
        assert!(decoder.table_size() <= decoder.table_capacity());
        let list_size: usize = out.iter().map(|header| header.size()).sum();
        assert!(list_size <= usize::from(*limit) * 64 + 32);
        if result.is_err() || end == input.len() {
            break;
        }
        start = end + 2;
    }
});
