//! The http2jp corpus: every story of every encoder decodes to its headers,
//! and every raw story encoded by us decodes back with our decoder and with
//! two independent decoders from crates.io.

mod common;

use bytes::{Bytes, BytesMut};
use weft_hpack::{Decoder, Encoder, Header};

fn pairs(headers: &[Header]) -> Vec<(Vec<u8>, Vec<u8>)> {
    headers
        .iter()
        .map(|header| (header.name.to_vec(), header.value.to_vec()))
        .collect()
}

#[test]
fn every_encoded_story_decodes_to_its_headers() {
    let encoders = common::encoder_names();
    assert_eq!(encoders.len(), 14, "encoder directories: {encoders:?}");
    let (mut stories, mut cases) = (0, 0);
    for encoder in &encoders {
        for story in common::load(encoder) {
            stories += 1;
            let mut decoder = Decoder::new(4096);
            for (seqno, case) in story.cases.iter().enumerate() {
                if let Some(size) = case.table_size {
                    decoder.set_max_table_size(size);
                }
                let wire = case
                    .wire
                    .clone()
                    .unwrap_or_else(|| panic!("{}#{seqno}: no wire", story.name));
                let mut decoded = Vec::new();
                decoder
                    .decode(Bytes::from(wire), &mut decoded)
                    .unwrap_or_else(|error| panic!("{}#{seqno}: {error}", story.name));
                assert_eq!(pairs(&decoded), case.headers, "{}#{seqno}", story.name);
                cases += 1;
            }
        }
    }
    // The corpus is fixed: 478 files, 50,526 cases, of which raw-data holds
    // 32 stories and 3,384 cases.
    assert_eq!((stories, cases), (478 - 32, 50_526 - 3_384));
}

/// Encodes every raw story with `encoder` and checks that our decoder (and,
/// with `cross_check`, loona-hpack and httlib-hpack) gets the headers back.
/// Returns the total encoded size.
fn raw_stories_round_trip(cross_check: bool, configure: impl Fn(&mut Encoder)) -> usize {
    let stories = common::load("raw-data");
    assert_eq!(stories.len(), 32);
    let mut total = 0;
    for story in &stories {
        let mut encoder = Encoder::new(4096);
        configure(&mut encoder);
        let mut ours = Decoder::new(4096);
        let mut loona = loona_hpack::Decoder::new();
        let mut httlib = httlib_hpack::Decoder::with_dynamic_size(4096);
        for (seqno, case) in story.cases.iter().enumerate() {
            assert!(case.wire.is_none(), "raw-data has no wire form");
            let headers: Vec<Header> = case
                .headers
                .iter()
                .map(|(name, value)| Header::new(name.clone(), value.clone()))
                .collect();
            let mut block = BytesMut::new();
            encoder.encode(&headers, &mut block);
            total += block.len();

            let mut decoded = Vec::new();
            ours.decode(Bytes::copy_from_slice(&block), &mut decoded)
                .unwrap_or_else(|error| panic!("{}#{seqno}: ours: {error}", story.name));
            assert_eq!(
                pairs(&decoded),
                case.headers,
                "{}#{seqno}: ours",
                story.name
            );
            if !cross_check {
                continue;
            }

            let decoded = loona
                .decode(&block)
                .unwrap_or_else(|error| panic!("{}#{seqno}: loona-hpack: {error:?}", story.name));
            assert_eq!(decoded, case.headers, "{}#{seqno}: loona-hpack", story.name);

            let mut wire = block.to_vec();
            let mut fields = Vec::new();
            httlib
                .decode(&mut wire, &mut fields)
                .unwrap_or_else(|error| panic!("{}#{seqno}: httlib-hpack: {error:?}", story.name));
            let decoded: Vec<(Vec<u8>, Vec<u8>)> = fields
                .into_iter()
                .map(|(name, value, _)| (name, value))
                .collect();
            assert_eq!(
                decoded, case.headers,
                "{}#{seqno}: httlib-hpack",
                story.name
            );
        }
    }
    total
}

#[test]
fn raw_stories_encoded_by_us_decode_everywhere() {
    let default = raw_stories_round_trip(true, |_| {});
    let plain = raw_stories_round_trip(false, |encoder| encoder.set_huffman(false));
    let unindexed = raw_stories_round_trip(false, |encoder| encoder.set_indexing(false));
    let everything_indexed =
        raw_stories_round_trip(true, |encoder| encoder.set_name_policies(false));
    // Each option must do what it says: Huffman and indexing both save bytes.
    assert!(default < plain, "{default} vs {plain} without Huffman");
    assert!(
        default < unindexed,
        "{default} vs {unindexed} without indexing"
    );
    // The target: no more bytes than nghttp2 1.68.1's deflater
    // (358,782 for these stories, measured by `benches/codec.rs`), while
    // never indexing cookies, which nghttp2 does index.
    assert!(default <= 358_782, "{default} bytes, nghttp2 needs 358,782");
    // The name policies, including learning which names' entries go unused,
    // must beat indexing every field that fits.
    assert!(
        default < everything_indexed,
        "{default} vs {everything_indexed} with every field indexed"
    );
}
