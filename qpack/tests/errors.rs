//! Each way a peer can get QPACK wrong ends in a typed error carrying the
//! right RFC 9204 §6 code, never a panic, and never a buffer that grows with
//! what the peer claims rather than what was accepted.

use bytes::Bytes;
use qpack::{
    DecodeError, Decoded, Decoder, DecoderStreamError, Encoder, EncoderStreamError, ErrorCode,
    Header,
};

fn section(decoder: &mut Decoder, bytes: &[u8]) -> Result<Decoded, DecodeError> {
    decoder.decode(0, Bytes::copy_from_slice(bytes))
}

/// A decoder with capacity 220 holding B.2's two entries.
fn with_two_entries() -> Decoder {
    let mut decoder = Decoder::new(220, 2);
    let mut stream = vec![0x3f, 0xbd, 0x01, 0xc0, 0x0f];
    stream.extend_from_slice(b"www.example.com");
    stream.extend_from_slice(&[0xc1, 0x0c]);
    stream.extend_from_slice(b"/sample/path");
    decoder.recv_encoder_stream(&stream).unwrap();
    decoder
}

#[test]
fn malformed_sections_fail_decompression() {
    let cases: &[(&[u8], DecodeError)] = &[
        (&[], DecodeError::Truncated),
        (&[0x00], DecodeError::Truncated),
        (&[0x00, 0x00, 0x51, 0x0b, b'/'], DecodeError::Truncated),
        (
            &[0x00, 0x00, 0xff, 0x24],
            DecodeError::InvalidStaticIndex(99),
        ),
        (
            &[
                0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ],
            DecodeError::IntegerOverflow,
        ),
        // A Huffman string of all-ones padding longer than seven bits.
        (
            &[0x00, 0x00, 0x51, 0x82, 0xff, 0xff],
            DecodeError::InvalidHuffman,
        ),
        // Encoded RIC 13 > 2 * MaxEntries (12).
        (&[0x0d, 0x00, 0x80], DecodeError::InvalidPrefix),
        // Base = RIC - delta - 1 < 0.
        (&[0x03, 0x82, 0x10], DecodeError::InvalidPrefix),
        // A dynamic reference in a section that declares no dynamic use.
        (&[0x00, 0x00, 0x80], DecodeError::InvalidDynamicIndex(0)),
        // RIC 2 declared, only entry 0 used.
        (
            &[0x03, 0x00, 0x81],
            DecodeError::RequiredInsertCountMismatch {
                declared: 2,
                needed: 1,
            },
        ),
        // Post-base reference at or past the RIC.
        (&[0x03, 0x81, 0x12], DecodeError::InvalidDynamicIndex(2)),
    ];
    for (bytes, expected) in cases {
        let mut decoder = with_two_entries();
        let error = section(&mut decoder, bytes).unwrap_err();
        assert_eq!(&error, expected, "{bytes:02x?}");
        assert_eq!(error.code(), Some(ErrorCode::DecompressionFailed));
        assert_eq!(ErrorCode::DecompressionFailed.value(), 0x200);
    }
}

#[test]
fn references_to_evicted_entries_fail() {
    let mut decoder = with_two_entries();
    // Capacity 100 keeps only the newest entry (size 54): absolute 0 is gone.
    decoder.recv_encoder_stream(&[0x3f, 0x45]).unwrap();
    assert_eq!(
        section(&mut decoder, &[0x02, 0x80, 0x10]).unwrap_err(),
        DecodeError::InvalidDynamicIndex(0)
    );
}

#[test]
fn oversized_sections_refuse_the_message_only() {
    let mut decoder = with_two_entries();
    decoder.set_max_field_section_size(60);
    // :authority www.example.com is 57 bytes; twice is too much.
    let error = section(&mut decoder, &[0x02, 0x80, 0x10, 0x10]).unwrap_err();
    assert_eq!(error, DecodeError::FieldSectionTooLarge(60));
    assert_eq!(error.code(), None);
    // The section's references are released with a Stream Cancellation
    // (then the increment for the two inserts).
    assert_eq!(&decoder.poll_transmit().unwrap()[..], [0x40, 0x02]);
    // The connection goes on.
    assert_eq!(
        section(&mut decoder, &[0x02, 0x80, 0x10]).unwrap(),
        Decoded::Fields(vec![Header::new(":authority", "www.example.com")])
    );
    // A literal longer than the limit is refused on its length.
    let mut huge = vec![0x00, 0x00, 0x51, 0x7f, 0xff, 0xff, 0x03];
    huge.push(b'x');
    assert_eq!(
        section(&mut decoder, &huge).unwrap_err(),
        DecodeError::FieldSectionTooLarge(60)
    );
}

#[test]
fn a_literal_too_large_for_the_section_releases_its_references() {
    let mut decoder = with_two_entries();
    decoder.set_max_field_section_size(60);
    // :authority www.example.com (57 bytes, dynamic), then :path with a
    // 200-byte value, refused on its length before its bytes arrive.
    let error = section(&mut decoder, &[0x02, 0x80, 0x10, 0x51, 0x7f, 0x49]).unwrap_err();
    assert_eq!(error, DecodeError::FieldSectionTooLarge(60));
    // The section referred to the dynamic table and will never be
    // acknowledged: a Stream Cancellation releases it, then the increment.
    assert_eq!(&decoder.poll_transmit().unwrap()[..], [0x40, 0x02]);
}

#[test]
fn encoder_stream_errors() {
    let cases: &[(&[u8], EncoderStreamError)] = &[
        // Capacity 221 > 220.
        (
            &[0x3f, 0xbe, 0x01],
            EncoderStreamError::CapacityTooLarge {
                requested: 221,
                max: 220,
            },
        ),
        (
            &[0xff, 0x24, 0x00],
            EncoderStreamError::InvalidStaticIndex(99),
        ),
        // Relative index 2 with two entries; duplicate of relative 5.
        (&[0x82, 0x00], EncoderStreamError::InvalidRelativeIndex(2)),
        (&[0x05], EncoderStreamError::InvalidRelativeIndex(5)),
        (
            &[
                0x5f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ],
            EncoderStreamError::IntegerOverflow,
        ),
        (
            &[0xc0, 0x82, 0xff, 0xff],
            EncoderStreamError::InvalidHuffman,
        ),
    ];
    for (bytes, expected) in cases {
        let mut decoder = with_two_entries();
        let error = decoder.recv_encoder_stream(bytes).unwrap_err();
        assert_eq!(&error, expected, "{bytes:02x?}");
        assert_eq!(error.code(), ErrorCode::EncoderStreamError);
    }
}

#[test]
fn an_entry_too_large_is_refused_before_its_bytes_arrive() {
    let mut decoder = with_two_entries();
    // Insert With Literal Name claiming a 1 GiB name: refused on the length,
    // so nothing of it is buffered.
    let error = decoder
        .recv_encoder_stream(&[0x5f, 0xe1, 0xff, 0xff, 0xff, 0x03])
        .unwrap_err();
    assert!(
        matches!(error, EncoderStreamError::EntryTooLarge { .. }),
        "{error:?}"
    );
    // One that fits the table except for its overhead.
    let mut decoder = with_two_entries();
    let mut insert = vec![0x5f, 0xa6, 0x01]; // 31 + 166 = 197-byte name
    insert.extend(std::iter::repeat_n(b'n', 197));
    insert.push(0x00); // empty value: 229 > 220
    assert!(matches!(
        decoder.recv_encoder_stream(&insert).unwrap_err(),
        EncoderStreamError::EntryTooLarge {
            size: 229,
            capacity: 220
        }
    ));
}

#[test]
fn instructions_split_anywhere_apply_once_complete() {
    let mut stream = vec![0x3f, 0xbd, 0x01, 0xc0, 0x0f];
    stream.extend_from_slice(b"www.example.com");
    stream.extend_from_slice(&[0x4a]);
    stream.extend_from_slice(b"custom-key");
    stream.extend_from_slice(&[0x0c]);
    stream.extend_from_slice(b"custom-value");
    stream.push(0x01);
    for cut in 0..=stream.len() {
        let mut decoder = Decoder::new(220, 0);
        decoder.recv_encoder_stream(&stream[..cut]).unwrap();
        decoder.recv_encoder_stream(&stream[cut..]).unwrap();
        assert_eq!(decoder.insert_count(), 3, "cut at {cut}");
        assert_eq!(decoder.table_size(), 57 + 54 + 57);
    }
}

#[test]
fn decoder_stream_errors() {
    let mut encoder = Encoder::new();
    encoder.apply_settings(4096, 10);
    let _ = encoder.encode(4, &[Header::new("x-a", "1")]);
    // Nothing outstanding on stream 8.
    assert_eq!(
        encoder.recv_decoder_stream(&[0x88]).unwrap_err(),
        DecoderStreamError::UnexpectedAcknowledgment(8)
    );
    let mut encoder = Encoder::new();
    encoder.apply_settings(4096, 10);
    let _ = encoder.encode(4, &[Header::new("x-a", "1")]);
    // An increment of zero, and one past the single insert.
    assert_eq!(
        encoder.recv_decoder_stream(&[0x00]).unwrap_err(),
        DecoderStreamError::InvalidIncrement(0)
    );
    let error = encoder.recv_decoder_stream(&[0x02]).unwrap_err();
    assert_eq!(error, DecoderStreamError::InvalidIncrement(2));
    assert_eq!(error.code(), ErrorCode::DecoderStreamError);
    assert_eq!(ErrorCode::DecoderStreamError.value(), 0x202);
    // Cancelling a stream nobody knows is harmless, also when the
    // instruction (stream 68) is split across reads; then an increment.
    encoder.recv_decoder_stream(&[0x7f]).unwrap();
    encoder.recv_decoder_stream(&[0x05, 0x01]).unwrap();
    assert_eq!(encoder.known_received_count(), 1);
}
