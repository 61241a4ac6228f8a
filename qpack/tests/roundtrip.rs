//! Property tests: whatever the encoder writes, the decoder reads back, across
//! random field lists, table capacities, blocked-stream limits and delivery
//! timing of the encoder and decoder streams (split anywhere, held back,
//! sections arriving before their inserts).

use std::collections::VecDeque;

use bytes::Bytes;
use proptest::prelude::*;
use qpack::{Decoded, Decoder, Delivery, Encoder, Field, Header};

fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            ":authority",
            ":path",
            ":status",
            "content-type",
            "cookie",
            "authorization",
            "proxy-authorization",
            "user-agent",
            "x-custom",
            "x-other",
        ])
        .prop_map(|name| name.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec!["", "200", "/", "text/html", "a", "gzip, deflate, br"])
            .prop_map(|value| value.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..40),
        prop::collection::vec(b'a'..=b'e', 0..300),
    ]
}

fn field() -> impl Strategy<Value = Header> {
    (name(), value(), prop::bool::weighted(0.1)).prop_map(|(name, value, sensitive)| Header {
        name: name.into(),
        value: value.into(),
        sensitive,
    })
}

/// What happens next on the connection.
#[derive(Debug, Clone)]
enum Step {
    /// Encode a section on the stream (an index into a few stream ids);
    /// the decoder receives it at once.
    Section(u8, Vec<Header>),
    /// Deliver this many bytes (modulo what is queued) of the encoder stream.
    EncoderStream(u16),
    /// Deliver this many bytes of the decoder stream.
    DecoderStream(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..6, prop::collection::vec(field(), 0..8)).prop_map(|(stream, fields)| Step::Section(stream, fields)),
        2 => any::<u16>().prop_map(Step::EncoderStream),
        2 => any::<u16>().prop_map(Step::DecoderStream),
    ]
}

fn capacity() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(220), Just(4096), 32u64..20_000]
}

/// A sink keeping owned copies of the fields it is lent.
fn copies(fields: &mut Vec<Header>) -> impl FnMut(Field<'_>) + '_ {
    |field| {
        fields.push(Header {
            name: Bytes::copy_from_slice(field.name()),
            value: Bytes::copy_from_slice(field.value()),
            sensitive: field.is_sensitive(),
        });
    }
}

fn drain(decoder: &mut Decoder) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(bytes) = decoder.poll_transmit() {
        out.extend_from_slice(&bytes);
    }
    out
}

fn deliver(queue: &mut VecDeque<u8>, count: usize) -> Vec<u8> {
    let count = count.min(queue.len());
    queue.drain(..count).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn round_trip(
        capacity in capacity(),
        blocked_streams in 0u64..4,
        huffman in any::<bool>(),
        name_policies in any::<bool>(),
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let mut encoder = Encoder::new();
        encoder.set_huffman(huffman);
        encoder.set_name_policies(name_policies);
        encoder.apply_settings(capacity, blocked_streams);
        let mut decoder = Decoder::new(capacity as usize, blocked_streams as usize);
        decoder.set_max_field_section_size(usize::MAX);
        // Fed the same bytes, read through `decode_with`: it must lend the
        // sink what `decode` returns, and write the same decoder stream.
        let mut lending = Decoder::new(capacity as usize, blocked_streams as usize);
        lending.set_max_field_section_size(usize::MAX);
        let mut encoder_stream = VecDeque::new();
        let mut decoder_stream = VecDeque::new();
        // Per stream id, the field lists sent and not yet decoded, in order.
        let mut waiting: Vec<VecDeque<Vec<Header>>> = vec![VecDeque::new(); 6];
        // HTTP/3 sends one section per stream at a time here; a stream whose
        // section is blocked gets no other until it is resumed.
        let mut next_stream_id = [0u64, 4, 8, 12, 16, 20];
        let check = |sent: Vec<Header>, received: Vec<Header>| {
            prop_assert_eq!(sent.len(), received.len());
            for (sent, received) in sent.iter().zip(&received) {
                prop_assert_eq!(&sent.name, &received.name);
                prop_assert_eq!(&sent.value, &received.value);
                prop_assert!(!sent.sensitive || received.sensitive);
            }
            Ok(())
        };
        for step in steps {
            match step {
                Step::Section(slot, fields) => {
                    let slot = usize::from(slot);
                    if !waiting[slot].is_empty() {
                        continue;
                    }
                    let stream_id = next_stream_id[slot];
                    let section = encoder.encode(stream_id, &fields);
                    while let Some(bytes) = encoder.poll_transmit() {
                        encoder_stream.extend(bytes);
                    }
                    let mut lent = Vec::new();
                    let delivery = lending.decode_with(stream_id, section.clone(), &mut copies(&mut lent));
                    match decoder.decode(stream_id, section) {
                        Ok(Decoded::Fields(received)) => {
                            prop_assert_eq!(delivery, Ok(Delivery::Complete));
                            prop_assert_eq!(&lent, &received);
                            check(fields, received)?;
                        }
                        Ok(Decoded::Blocked) => {
                            prop_assert_eq!(delivery, Ok(Delivery::Blocked));
                            waiting[slot].push_back(fields);
                        }
                        Err(error) => prop_assert!(false, "{error}"),
                    }
                    prop_assert!(decoder.blocked_streams() as u64 <= blocked_streams);
                }
                Step::EncoderStream(count) => {
                    let bytes = deliver(&mut encoder_stream, usize::from(count % 64));
                    let unblocked = decoder.recv_encoder_stream(&bytes);
                    prop_assert!(unblocked.is_ok(), "{:?}", unblocked);
                    prop_assert_eq!(lending.recv_encoder_stream(&bytes), unblocked.clone());
                    for stream_id in unblocked.unwrap() {
                        let slot = (stream_id % 24 / 4) as usize;
                        let received = decoder.resume(stream_id).unwrap().unwrap();
                        let mut lent = Vec::new();
                        prop_assert_eq!(lending.resume_with(stream_id, &mut copies(&mut lent)), Some(Ok(())));
                        prop_assert_eq!(&lent, &received);
                        check(waiting[slot].pop_front().unwrap(), received)?;
                        next_stream_id[slot] += 24;
                    }
                }
                Step::DecoderStream(count) => {
                    let acknowledgments = drain(&mut decoder);
                    prop_assert_eq!(drain(&mut lending), acknowledgments.clone());
                    decoder_stream.extend(acknowledgments);
                    let bytes = deliver(&mut decoder_stream, usize::from(count % 16));
                    prop_assert_eq!(encoder.recv_decoder_stream(&bytes), Ok(()));
                }
            }
            prop_assert!(encoder.table_size() <= capacity as usize);
        }
        // Everything delivered: nothing stays blocked, the tables agree.
        let rest: Vec<u8> = encoder_stream.drain(..).collect();
        for stream_id in decoder.recv_encoder_stream(&rest).unwrap() {
            let slot = (stream_id % 24 / 4) as usize;
            check(waiting[slot].pop_front().unwrap(), decoder.resume(stream_id).unwrap().unwrap())?;
        }
        prop_assert!(waiting.iter().all(VecDeque::is_empty));
        prop_assert_eq!(encoder.table_size(), decoder.table_size());
        prop_assert_eq!(encoder.insert_count(), decoder.insert_count());
        while let Some(bytes) = decoder.poll_transmit() {
            decoder_stream.extend(bytes);
        }
        let rest: Vec<u8> = decoder_stream.drain(..).collect();
        prop_assert_eq!(encoder.recv_decoder_stream(&rest), Ok(()));
        prop_assert_eq!(encoder.blocked_streams(), 0);
        prop_assert_eq!(encoder.known_received_count(), encoder.insert_count());
    }
}

#[test]
fn sections_beyond_the_blocked_streams_limit_are_refused() {
    let mut decoder = Decoder::new(4096, 1);
    let mut encoder = Encoder::new();
    encoder.apply_settings(4096, 1);
    let insert = encoder.poll_transmit().unwrap();
    decoder.recv_encoder_stream(&insert).unwrap();
    // Two streams whose sections need an insert the decoder has not seen.
    let first = encoder.encode(0, &[Header::new("x-a", "1")]);
    let held_back = encoder.poll_transmit().unwrap();
    assert_eq!(decoder.decode(0, first).unwrap(), Decoded::Blocked);
    // A hand-made section on stream 4 needing that insert too.
    let second = Bytes::from_static(&[0x02, 0x80, 0x10]);
    let error = decoder.decode(4, second).unwrap_err();
    assert_eq!(error, qpack::DecodeError::TooManyBlockedStreams(1));
    assert_eq!(error.code(), Some(qpack::ErrorCode::DecompressionFailed));
    assert_eq!(decoder.recv_encoder_stream(&held_back).unwrap(), vec![0]);
    assert_eq!(
        decoder.resume(0).unwrap().unwrap(),
        vec![Header::new("x-a", "1")]
    );
}
