//! Arbitrary field lists, settings and delivery timing: whatever the encoder
//! writes, the decoder reads back unchanged, with sections that arrive before
//! their inserts resumed later, and both tables in step at the end.
#![no_main]

use std::collections::VecDeque;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use qpack::{Decoded, Decoder, Encoder, Header};

#[derive(Debug, Arbitrary)]
enum Step {
    /// A section on stream slot `0..8`.
    Section(u8, Vec<Header>),
    /// Deliver this many bytes of the encoder stream.
    EncoderStream(u8),
    /// Deliver this many bytes of the decoder stream.
    DecoderStream(u8),
}

#[derive(Debug, Arbitrary)]
struct Input {
    capacity: u16,
    blocked_streams: u8,
    huffman: bool,
    name_policies: bool,
    steps: Vec<Step>,
}

fn same(sent: &[Header], received: &[Header]) {
    assert_eq!(sent.len(), received.len());
    for (sent, received) in sent.iter().zip(received) {
        assert_eq!(sent.name, received.name);
        assert_eq!(sent.value, received.value);
        assert!(!sent.sensitive || received.sensitive);
    }
}

fuzz_target!(|input: Input| {
    let capacity = u64::from(input.capacity);
    let blocked = u64::from(input.blocked_streams % 8);
    let mut encoder = Encoder::new();
    encoder.set_huffman(input.huffman);
    encoder.set_name_policies(input.name_policies);
    encoder.apply_settings(capacity, blocked);
    let mut decoder = Decoder::new(capacity as usize, blocked as usize);
    decoder.set_max_field_section_size(usize::MAX);
    let mut encoder_stream: VecDeque<u8> = VecDeque::new();
    let mut decoder_stream: VecDeque<u8> = VecDeque::new();
    let mut waiting: Vec<Option<Vec<Header>>> = vec![None; 8];
    let mut generation = [0u64; 8];
    let stream_id = |slot: usize, generation: u64| 4 * (slot as u64 + 8 * generation);
    let resume = |decoder: &mut Decoder, waiting: &mut Vec<Option<Vec<Header>>>, ids: Vec<u64>| {
        for id in ids {
            let slot = (id / 4 % 8) as usize;
            let fields = decoder
                .resume(id)
                .expect("named as unblocked")
                .expect("decodes");
            same(&waiting[slot].take().expect("was blocked"), &fields);
        }
    };
    for step in input.steps {
        match step {
            Step::Section(slot, fields) => {
                let slot = usize::from(slot % 8);
                if waiting[slot].is_some() {
                    continue;
                }
                generation[slot] += 1;
                let id = stream_id(slot, generation[slot]);
                let section = encoder.encode(id, &fields);
                while let Some(bytes) = encoder.poll_transmit() {
                    encoder_stream.extend(bytes);
                }
                match decoder.decode(id, section).expect("decodes") {
                    Decoded::Fields(received) => same(&fields, &received),
                    Decoded::Blocked => waiting[slot] = Some(fields),
                }
            }
            Step::EncoderStream(count) => {
                let count = usize::from(count).min(encoder_stream.len());
                let bytes: Vec<u8> = encoder_stream.drain(..count).collect();
                let ids = decoder
                    .recv_encoder_stream(&bytes)
                    .expect("valid encoder stream");
                resume(&mut decoder, &mut waiting, ids);
            }
            Step::DecoderStream(count) => {
                while let Some(bytes) = decoder.poll_transmit() {
                    decoder_stream.extend(bytes);
                }
                let count = usize::from(count).min(decoder_stream.len());
                let bytes: Vec<u8> = decoder_stream.drain(..count).collect();
                encoder
                    .recv_decoder_stream(&bytes)
                    .expect("valid decoder stream");
            }
        }
        assert!(encoder.table_size() <= capacity as usize);
    }
    let rest: Vec<u8> = encoder_stream.drain(..).collect();
    let ids = decoder
        .recv_encoder_stream(&rest)
        .expect("valid encoder stream");
    resume(&mut decoder, &mut waiting, ids);
    assert!(waiting.iter().all(Option::is_none));
    assert_eq!(encoder.insert_count(), decoder.insert_count());
    assert_eq!(encoder.table_size(), decoder.table_size());
});
