//! Peer bytes into both halves of QPACK: field sections and encoder-stream
//! bytes into a decoder, interleaved with resumptions and cancellations, and
//! decoder-stream bytes into an encoder that is encoding. Nothing may panic,
//! and what the decoder holds stays within its limits.
#![no_main]

use arbitrary::Arbitrary;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use qpack::{Decoder, Encoder, Field, Header};

#[derive(Debug, Arbitrary)]
enum Step {
    EncoderStream(Vec<u8>),
    Section(u8, Vec<u8>),
    /// The same through `decode_with`, whose sink sees each field.
    SectionLent(u8, Vec<u8>),
    Resume(u8),
    ResumeLent(u8),
    Cancel(u8),
    Poll,
    /// The encoder encodes, then reads these decoder-stream bytes.
    Encode(u8, Vec<Header>, Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    capacity: u16,
    blocked_streams: u8,
    max_section: u16,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let mut decoder = Decoder::new(
        usize::from(input.capacity),
        usize::from(input.blocked_streams),
    );
    decoder.set_max_field_section_size(usize::from(input.max_section));
    let mut encoder = Encoder::new();
    encoder.apply_settings(u64::from(input.capacity), u64::from(input.blocked_streams));
    let mut encoder_failed = false;
    for step in input.steps {
        match step {
            Step::EncoderStream(bytes) => {
                if decoder.recv_encoder_stream(&bytes).is_err() {
                    return;
                }
            }
            Step::Section(stream, bytes) => {
                let _ = decoder.decode(u64::from(stream), Bytes::from(bytes));
            }
            Step::SectionLent(stream, bytes) => {
                let mut size = 0usize;
                let mut sink = |field: Field<'_>| size += field.size();
                let _ = decoder.decode_with(u64::from(stream), Bytes::from(bytes), &mut sink);
                assert!(size <= usize::from(input.max_section));
            }
            Step::Resume(stream) => {
                let _ = decoder.resume(u64::from(stream));
            }
            Step::ResumeLent(stream) => {
                let mut size = 0usize;
                let mut sink = |field: Field<'_>| size += field.size();
                let _ = decoder.resume_with(u64::from(stream), &mut sink);
                assert!(size <= usize::from(input.max_section));
            }
            Step::Cancel(stream) => decoder.cancel_stream(u64::from(stream)),
            Step::Poll => while decoder.poll_transmit().is_some() {},
            Step::Encode(stream, fields, decoder_stream) => {
                if encoder_failed {
                    continue;
                }
                let _ = encoder.encode(u64::from(stream), &fields);
                while encoder.poll_transmit().is_some() {}
                encoder_failed = encoder.recv_decoder_stream(&decoder_stream).is_err();
                assert!(encoder.table_size() <= usize::from(input.capacity));
            }
        }
        assert!(decoder.blocked_streams() <= usize::from(input.blocked_streams));
        assert!(decoder.table_size() <= decoder.table_capacity());
    }
});
