//! Property tests: whatever the encoder writes, the decoder reads back, across
//! random header lists, options and table size changes between blocks.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use weft_hpack::{Decoder, Encoder, Header, huffman};

/// Names that hit the static table, the default-sensitive list and the
/// rarely-indexed list, plus random ones.
fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            ":method",
            ":path",
            ":status",
            "accept-encoding",
            "cookie",
            "authorization",
            "etag",
            "content-length",
            "x-custom",
            "user-agent",
        ])
        .prop_map(|name| name.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..20),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec!["GET", "/", "200", "gzip, deflate", "", "a=b; c=d"])
            .prop_map(|value| value.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..60),
        // Long enough to overflow small tables and to need multi-byte lengths.
        prop::collection::vec(any::<u8>(), 100..400),
    ]
}

fn header() -> impl Strategy<Value = Header> {
    (name(), value(), prop::bool::weighted(0.1)).prop_map(|(name, value, sensitive)| Header {
        name: name.into(),
        value: value.into(),
        sensitive,
    })
}

#[derive(Debug, Clone)]
enum Step {
    Block(Vec<Header>),
    /// The peer's SETTINGS_HEADER_TABLE_SIZE changes (and is acknowledged).
    TableSize(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => prop::collection::vec(header(), 0..12).prop_map(Step::Block),
        1 => prop_oneof![Just(0usize), 0usize..300, 0usize..8192].prop_map(Step::TableSize),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode_gives_the_list_back(
        steps in prop::collection::vec(step(), 1..24),
        huffman_on in any::<bool>(),
        indexing_on in any::<bool>(),
        policies_on in any::<bool>(),
        initial_size in prop_oneof![Just(4096usize), 0usize..1024],
    ) {
        let mut encoder = Encoder::new(initial_size);
        encoder.set_huffman(huffman_on);
        encoder.set_indexing(indexing_on);
        encoder.set_name_policies(policies_on);
        let mut decoder = Decoder::new(initial_size);
        for step in steps {
            match step {
                Step::TableSize(size) => {
                    encoder.set_max_table_size(size);
                    decoder.set_max_table_size(size);
                }
                Step::Block(headers) => {
                    let mut block = BytesMut::new();
                    encoder.encode(&headers, &mut block);
                    let mut decoded = Vec::new();
                    decoder.decode(block.freeze(), &mut decoded).unwrap();
                    prop_assert_eq!(decoded.len(), headers.len());
                    for (sent, received) in headers.iter().zip(&decoded) {
                        prop_assert_eq!(&sent.name, &received.name);
                        prop_assert_eq!(&sent.value, &received.value);
                        // Marked fields stay marked across the hop.
                        prop_assert!(!sent.sensitive || received.sensitive);
                    }
                    prop_assert_eq!(encoder.table_size(), decoder.table_size());
                    prop_assert!(decoder.table_size() <= decoder.table_capacity());
                }
            }
        }
    }

    #[test]
    fn huffman_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut encoded = BytesMut::new();
        huffman::encode(&bytes, &mut encoded);
        prop_assert_eq!(encoded.len(), huffman::encoded_len(&bytes));
        let mut decoded = BytesMut::new();
        huffman::decode(&encoded, &mut decoded).unwrap();
        prop_assert_eq!(&decoded[..], &bytes[..]);
    }

    #[test]
    fn arbitrary_blocks_never_panic(
        block in prop::collection::vec(any::<u8>(), 0..64),
        max_table_size in 0usize..5000,
    ) {
        let mut decoder = Decoder::new(max_table_size);
        let mut out = Vec::new();
        let _ = decoder.decode(Bytes::from(block), &mut out);
        prop_assert!(decoder.table_size() <= decoder.table_capacity());
    }
}
