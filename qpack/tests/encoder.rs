//! The encoder's policies: what it never indexes, what it never evicts, and
//! how it keeps to the peer's blocked-streams limit.

use bytes::Bytes;
use qpack::{Decoded, Decoder, Encoder, Header};

/// The Required Insert Count byte of a section: 0 when it refers to no
/// dynamic entry.
fn uses_dynamic_table(section: &Bytes) -> bool {
    section[0] != 0
}

#[test]
fn sensitive_fields_are_never_indexed_literals() {
    for name in [
        "cookie",
        "authorization",
        "set-cookie",
        "proxy-authorization",
    ] {
        let mut encoder = Encoder::new();
        encoder.apply_settings(4096, 100);
        let _ = encoder.poll_transmit();
        let field = Header::new(name, "secret-value");
        let section = encoder.encode(0, [&field]);
        assert_eq!(encoder.insert_count(), 0, "{name}");
        assert_eq!(encoder.poll_transmit(), None, "{name}");
        // The N bit is set (a static name reference where the static table
        // has the name, else a literal name), and the decoder says so.
        let mut decoder = Decoder::new(4096, 100);
        let Decoded::Fields(fields) = decoder.decode(0, section).unwrap() else {
            panic!("blocked")
        };
        assert!(fields[0].sensitive, "{name}");

        // Unless the policy is turned off.
        let mut encoder = Encoder::new();
        encoder.set_name_policies(false);
        encoder.apply_settings(4096, 100);
        let _ = encoder.encode(0, [&field]);
        assert_eq!(encoder.insert_count(), 1, "{name}");
    }
    // A field the caller marks sensitive is never inserted either.
    let mut encoder = Encoder::new();
    encoder.apply_settings(4096, 100);
    let _ = encoder.encode(0, &[Header::sensitive("x-token", "abc")]);
    assert_eq!(encoder.insert_count(), 0);
}

#[test]
fn entries_unacknowledged_sections_use_are_not_evicted() {
    let mut encoder = Encoder::new();
    encoder.apply_settings(100, 10);
    let _ = encoder.poll_transmit();
    // 3 + 37 + 32 = 72 bytes: one such entry fits in 100, two do not.
    let first = Header::new("x-a", "a".repeat(37));
    let second = Header::new("x-b", "b".repeat(37));
    let section = encoder.encode(0, [&first]);
    assert!(uses_dynamic_table(&section));
    assert_eq!(encoder.insert_count(), 1);
    // Inserting `second` would evict `first`, which stream 0 still uses.
    let section = encoder.encode(4, [&second]);
    assert!(!uses_dynamic_table(&section));
    assert_eq!(encoder.insert_count(), 1);
    // Once stream 0 is acknowledged, the entry may go.
    encoder.recv_decoder_stream(&[0x80]).unwrap();
    let section = encoder.encode(8, [&second]);
    assert!(uses_dynamic_table(&section));
    assert_eq!((encoder.insert_count(), encoder.table_size()), (2, 72));
}

#[test]
fn the_blocked_streams_limit_is_kept() {
    let mut encoder = Encoder::new();
    encoder.apply_settings(4096, 1);
    let _ = encoder.poll_transmit();
    let section = encoder.encode(0, &[Header::new("x-a", "1")]);
    assert!(uses_dynamic_table(&section));
    assert_eq!(encoder.blocked_streams(), 1);
    // Stream 4 may not block too: its field is inserted for later, but sent
    // as a literal now.
    let section = encoder.encode(4, &[Header::new("x-b", "2")]);
    assert!(!uses_dynamic_table(&section));
    assert_eq!(encoder.insert_count(), 2);
    // Stream 0 is blocked already, so it may refer to the new entry.
    let section = encoder.encode(0, &[Header::new("x-b", "2")]);
    assert!(uses_dynamic_table(&section));
    assert_eq!(encoder.blocked_streams(), 1);
    // The decoder confirms both inserts: every stream may use them.
    encoder.recv_decoder_stream(&[0x02]).unwrap();
    assert_eq!(encoder.blocked_streams(), 0);
    let section = encoder.encode(8, &[Header::new("x-a", "1"), Header::new("x-b", "2")]);
    assert_eq!(&section[..], [0x03, 0x00, 0x81, 0x80]);
}

#[test]
fn no_blocked_streams_means_no_unacknowledged_references() {
    let mut encoder = Encoder::new();
    encoder.apply_settings(4096, 0);
    let _ = encoder.poll_transmit();
    let field = Header::new("x-a", "1");
    assert!(!uses_dynamic_table(&encoder.encode(0, [&field])));
    assert_eq!(encoder.insert_count(), 1);
    assert!(!uses_dynamic_table(&encoder.encode(4, [&field])));
    encoder.recv_decoder_stream(&[0x01]).unwrap();
    assert!(uses_dynamic_table(&encoder.encode(8, [&field])));
}
