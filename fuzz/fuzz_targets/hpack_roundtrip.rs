//! Arbitrary header lists and table size changes: whatever the encoder writes,
//! the decoder must read back unchanged, with both tables in step.
#![no_main]

use arbitrary::Arbitrary;
use bytes::BytesMut;
use hpack::{Decoder, Encoder, Header};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Step {
    Block(Vec<Header>),
    /// The peer's SETTINGS_HEADER_TABLE_SIZE, acknowledged before the next block.
    TableSize(u16),
}

#[derive(Debug, Arbitrary)]
struct Input {
    initial_table_size: u16,
    huffman: bool,
    indexing: bool,
    name_policies: bool,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let initial = usize::from(input.initial_table_size);
    let mut encoder = Encoder::new(initial);
    encoder.set_huffman(input.huffman);
    encoder.set_indexing(input.indexing);
    encoder.set_name_policies(input.name_policies);
    let mut decoder = Decoder::new(initial);
    decoder.set_max_header_list_size(usize::MAX);
    for step in input.steps {
        match step {
            Step::TableSize(size) => {
                encoder.set_max_table_size(usize::from(size));
                decoder.set_max_table_size(usize::from(size));
            }
            Step::Block(headers) => {
                let mut block = BytesMut::new();
                encoder.encode(&headers, &mut block);
                let mut decoded = Vec::new();
                if let Err(error) = decoder.decode(block.clone().freeze(), &mut decoded) {
                    panic!("{error}: {headers:?} encoded as {block:02x?}");
                }
                assert_eq!(decoded.len(), headers.len());
                for (sent, received) in headers.iter().zip(&decoded) {
                    assert_eq!(sent.name, received.name);
                    assert_eq!(sent.value, received.value);
                    assert!(!sent.sensitive || received.sensitive);
                }
                assert_eq!(encoder.table_size(), decoder.table_size());
            }
        }
    }
});
