//! The examples of RFC 9204 Appendix B, byte for byte: the decoder reads the
//! encoder stream and the sections and writes the decoder stream as in the
//! RFC; the encoder writes B.1 and B.2 and reads B's decoder stream.

use bytes::Bytes;
use qpack::{Decoded, Decoder, Encoder, Header};

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn fields(pairs: &[(&str, &str)]) -> Vec<Header> {
    pairs
        .iter()
        .map(|&(name, value)| Header::new(name.to_owned(), value.to_owned()))
        .collect()
}

fn drain(decoder: &mut Decoder) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(bytes) = decoder.poll_transmit() {
        out.extend_from_slice(&bytes);
    }
    out
}

#[test]
fn decoder_follows_every_example() {
    let mut decoder = Decoder::new(220, 100);

    // B.1: Literal Field Line with Name Reference.
    let section = Bytes::from(hex("0000 510b 2f69 6e64 6578 2e68 746d 6c"));
    assert_eq!(
        decoder.decode(0, section).unwrap(),
        Decoded::Fields(fields(&[(":path", "/index.html")]))
    );
    assert_eq!(drain(&mut decoder), b"");

    // B.2: Dynamic Table.
    let unblocked = decoder
        .recv_encoder_stream(&hex(
            "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468",
        ))
        .unwrap();
    assert!(unblocked.is_empty());
    assert_eq!(decoder.table_capacity(), 220);
    assert_eq!(decoder.table_size(), 106);
    assert_eq!(
        decoder.decode(4, Bytes::from(hex("0381 10 11"))).unwrap(),
        Decoded::Fields(fields(&[
            (":authority", "www.example.com"),
            (":path", "/sample/path")
        ]))
    );
    assert_eq!(drain(&mut decoder), hex("84"));

    // B.3: Speculative Insert.
    decoder
        .recv_encoder_stream(&hex(
            "4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565",
        ))
        .unwrap();
    assert_eq!(decoder.table_size(), 160);
    assert_eq!(drain(&mut decoder), hex("01"));

    // B.4: Duplicate Instruction, Stream Cancellation.
    decoder.recv_encoder_stream(&hex("02")).unwrap();
    assert_eq!(decoder.table_size(), 217);
    assert_eq!(
        decoder
            .decode(8, Bytes::from(hex("0500 80 c1 81")))
            .unwrap(),
        Decoded::Fields(fields(&[
            (":authority", "www.example.com"),
            (":path", "/"),
            ("custom-key", "custom-value"),
        ]))
    );
    // The RFC's decoder reads the section, then the stream is reset before
    // it acknowledges; this one acknowledged at once, so the cancellation
    // follows the acknowledgment.
    assert_eq!(drain(&mut decoder), hex("88"));
    decoder.cancel_stream(8);
    assert_eq!(drain(&mut decoder), hex("48"));

    // B.5: Dynamic Table Insert, Eviction.
    decoder
        .recv_encoder_stream(&hex("810d 6375 7374 6f6d 2d76 616c 7565 32"))
        .unwrap();
    assert_eq!(decoder.table_size(), 215);
    assert_eq!(decoder.insert_count(), 5);
    assert_eq!(drain(&mut decoder), hex("01"));
}

#[test]
fn encoder_writes_b1_and_b2() {
    let mut encoder = Encoder::new();
    encoder.set_huffman(false);
    encoder.set_name_policies(false);
    // B.1: before the peer's settings, the static table only.
    assert_eq!(
        encoder.encode(0, &fields(&[(":path", "/index.html")]))[..],
        hex("0000 510b 2f69 6e64 6578 2e68 746d 6c")
    );
    assert_eq!(encoder.poll_transmit(), None);

    // B.2.
    encoder.apply_settings(220, 100);
    let section = encoder.encode(
        4,
        &fields(&[(":authority", "www.example.com"), (":path", "/sample/path")]),
    );
    assert_eq!(section[..], hex("0381 10 11"));
    assert_eq!(
        encoder.poll_transmit().unwrap()[..],
        hex("3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468")
    );
    assert_eq!(encoder.blocked_streams(), 1);
    encoder.recv_decoder_stream(&hex("84")).unwrap();
    assert_eq!(encoder.known_received_count(), 2);
    assert_eq!(encoder.blocked_streams(), 0);

    // A second acknowledgment for stream 4 is a decoder-stream error.
    assert_eq!(
        encoder.recv_decoder_stream(&hex("84")).unwrap_err().code(),
        qpack::ErrorCode::DecoderStreamError
    );
}
