//! The examples of RFC 7541 Appendix C, byte-exact in both directions: our
//! encoder must produce exactly the RFC's blocks, and our decoder must read
//! them back to the RFC's header lists and dynamic tables.

use bytes::{Bytes, BytesMut};
use weft_hpack::{Decoder, Encoder, Header};

fn unhex(hex: &str) -> Vec<u8> {
    let digits: Vec<u8> = hex.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// One example: the headers, the block, and the dynamic table afterwards
/// (newest first) with its size.
struct Example {
    headers: &'static [(&'static str, &'static str)],
    wire: &'static str,
    table: &'static [(&'static str, &'static str)],
    table_size: usize,
}

fn headers(list: &[(&'static str, &'static str)]) -> Vec<Header> {
    list.iter()
        .map(|&(name, value)| Header::new(name, value))
        .collect()
}

/// Runs a sequence of examples through one encoder and one decoder.
fn run(mut encoder: Encoder, mut decoder: Decoder, examples: &[Example]) {
    for (number, example) in examples.iter().enumerate() {
        let wire = unhex(example.wire);
        let expected = headers(example.headers);

        let mut encoded = BytesMut::new();
        encoder.encode(&expected, &mut encoded);
        assert_eq!(
            hex(&encoded),
            hex(&wire),
            "encoding of example {}",
            number + 1
        );
        assert_eq!(
            encoder.table_size(),
            example.table_size,
            "encoder table of example {}",
            number + 1
        );

        let mut decoded = Vec::new();
        decoder.decode(Bytes::from(wire), &mut decoded).unwrap();
        assert_eq!(decoded, expected, "decoding of example {}", number + 1);
        let table: Vec<(&[u8], &[u8])> = decoder
            .table_entries()
            .map(|(name, value)| (&name[..], &value[..]))
            .collect();
        let expected_table: Vec<(&[u8], &[u8])> = example
            .table
            .iter()
            .map(|&(name, value)| (name.as_bytes(), value.as_bytes()))
            .collect();
        assert_eq!(
            table,
            expected_table,
            "decoder table of example {}",
            number + 1
        );
        assert_eq!(
            decoder.table_size(),
            example.table_size,
            "decoder table size of example {}",
            number + 1
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn plain_encoder(table_size: usize) -> Encoder {
    let mut encoder = Encoder::new(table_size);
    encoder.set_huffman(false);
    encoder.set_name_policies(false);
    encoder
}

fn huffman_encoder(table_size: usize) -> Encoder {
    let mut encoder = Encoder::new(table_size);
    encoder.set_name_policies(false);
    encoder
}

#[test]
fn c2_1_literal_with_indexing() {
    let mut encoder = Encoder::default();
    encoder.set_huffman(false);
    run(
        encoder,
        Decoder::default(),
        &[Example {
            headers: &[("custom-key", "custom-header")],
            wire: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
            table: &[("custom-key", "custom-header")],
            table_size: 55,
        }],
    );
}

#[test]
fn c2_2_literal_without_indexing() {
    // With the default policies :path is not indexed, which is this example.
    let mut encoder = Encoder::default();
    encoder.set_huffman(false);
    run(
        encoder,
        Decoder::default(),
        &[Example {
            headers: &[(":path", "/sample/path")],
            wire: "040c 2f73 616d 706c 652f 7061 7468",
            table: &[],
            table_size: 0,
        }],
    );
}

#[test]
fn c2_3_literal_never_indexed() {
    let wire = unhex("1008 7061 7373 776f 7264 0673 6563 7265 74");
    let field = Header::sensitive("password", "secret");
    let mut encoder = Encoder::default();
    encoder.set_huffman(false);
    let mut encoded = BytesMut::new();
    encoder.encode([&field], &mut encoded);
    assert_eq!(hex(&encoded), hex(&wire));
    assert_eq!(encoder.table_size(), 0);

    let mut decoder = Decoder::default();
    let mut decoded = Vec::new();
    decoder.decode(Bytes::from(wire), &mut decoded).unwrap();
    assert_eq!(decoded, [field]);
    assert!(decoded[0].sensitive);
    assert_eq!(decoder.table_size(), 0);
}

#[test]
fn c2_4_indexed_field() {
    run(
        plain_encoder(4096),
        Decoder::default(),
        &[Example {
            headers: &[(":method", "GET")],
            wire: "82",
            table: &[],
            table_size: 0,
        }],
    );
}

const C3_TABLE_1: &[(&str, &str)] = &[(":authority", "www.example.com")];
const C3_TABLE_2: &[(&str, &str)] = &[
    ("cache-control", "no-cache"),
    (":authority", "www.example.com"),
];
const C3_TABLE_3: &[(&str, &str)] = &[
    ("custom-key", "custom-value"),
    ("cache-control", "no-cache"),
    (":authority", "www.example.com"),
];
const C3_HEADERS_1: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
];
const C3_HEADERS_2: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
    ("cache-control", "no-cache"),
];
const C3_HEADERS_3: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/index.html"),
    (":authority", "www.example.com"),
    ("custom-key", "custom-value"),
];

#[test]
fn c3_requests_without_huffman() {
    run(
        plain_encoder(4096),
        Decoder::default(),
        &[
            Example {
                headers: C3_HEADERS_1,
                wire: "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                table: C3_TABLE_1,
                table_size: 57,
            },
            Example {
                headers: C3_HEADERS_2,
                wire: "8286 84be 5808 6e6f 2d63 6163 6865",
                table: C3_TABLE_2,
                table_size: 110,
            },
            Example {
                headers: C3_HEADERS_3,
                wire: "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
                table: C3_TABLE_3,
                table_size: 164,
            },
        ],
    );
}

#[test]
fn c4_requests_with_huffman() {
    run(
        huffman_encoder(4096),
        Decoder::default(),
        &[
            Example {
                headers: C3_HEADERS_1,
                wire: "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                table: C3_TABLE_1,
                table_size: 57,
            },
            Example {
                headers: C3_HEADERS_2,
                wire: "8286 84be 5886 a8eb 1064 9cbf",
                table: C3_TABLE_2,
                table_size: 110,
            },
            Example {
                headers: C3_HEADERS_3,
                wire: "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
                table: C3_TABLE_3,
                table_size: 164,
            },
        ],
    );
}

const DATE_1: &str = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE_2: &str = "Mon, 21 Oct 2013 20:13:22 GMT";
const LOCATION: &str = "https://www.example.com";
const SET_COOKIE: &str = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const C5_HEADERS_1: &[(&str, &str)] = &[
    (":status", "302"),
    ("cache-control", "private"),
    ("date", DATE_1),
    ("location", LOCATION),
];
const C5_TABLE_1: &[(&str, &str)] = &[
    ("location", LOCATION),
    ("date", DATE_1),
    ("cache-control", "private"),
    (":status", "302"),
];
const C5_HEADERS_2: &[(&str, &str)] = &[
    (":status", "307"),
    ("cache-control", "private"),
    ("date", DATE_1),
    ("location", LOCATION),
];
const C5_TABLE_2: &[(&str, &str)] = &[
    (":status", "307"),
    ("location", LOCATION),
    ("date", DATE_1),
    ("cache-control", "private"),
];
const C5_HEADERS_3: &[(&str, &str)] = &[
    (":status", "200"),
    ("cache-control", "private"),
    ("date", DATE_2),
    ("location", LOCATION),
    ("content-encoding", "gzip"),
    ("set-cookie", SET_COOKIE),
];
const C5_TABLE_3: &[(&str, &str)] = &[
    ("set-cookie", SET_COOKIE),
    ("content-encoding", "gzip"),
    ("date", DATE_2),
];

#[test]
fn c5_responses_without_huffman() {
    run(
        plain_encoder(256),
        Decoder::new(256),
        &[
            Example {
                headers: C5_HEADERS_1,
                wire: "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230
                       3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65
                       7861 6d70 6c65 2e63 6f6d",
                table: C5_TABLE_1,
                table_size: 222,
            },
            Example {
                headers: C5_HEADERS_2,
                wire: "4803 3330 37c1 c0bf",
                table: C5_TABLE_2,
                table_size: 222,
            },
            Example {
                headers: C5_HEADERS_3,
                wire: "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220
                       474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157
                       454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076
                       6572 7369 6f6e 3d31",
                table: C5_TABLE_3,
                table_size: 215,
            },
        ],
    );
}

#[test]
fn c6_responses_with_huffman() {
    run(
        huffman_encoder(256),
        Decoder::new(256),
        &[
            Example {
                headers: C5_HEADERS_1,
                wire: "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0
                       82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
                table: C5_TABLE_1,
                table_size: 222,
            },
            Example {
                headers: C5_HEADERS_2,
                wire: "4883 640e ffc1 c0bf",
                table: C5_TABLE_2,
                table_size: 222,
            },
            Example {
                headers: C5_HEADERS_3,
                wire: "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b
                       d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27
                       0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
                table: C5_TABLE_3,
                table_size: 215,
            },
        ],
    );
}
