//! Decode every encoded story of the http2jp corpus and encode every raw
//! story, with weft's hpack side by side with loona-hpack, httlib-hpack and
//! nghttp2's C HPACK (through libnghttp2-sys). Each story starts from a fresh
//! decoder or encoder, as on a new connection.
//!
//! `cargo bench -p weft-hpack --bench codec`
//!
//! The FFI glue for nghttp2 lives here and only here; the library itself
//! forbids unsafe code.
#![allow(unsafe_code, clippy::print_stdout, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::os::raw::c_int;
use std::ptr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use libnghttp2_sys as ng;
use weft_hpack::Header;

/// An encoded story: per block, the table size to apply first and the wire.
struct EncodedStory {
    blocks: Vec<(Option<usize>, Bytes)>,
    /// Fields in the whole story, to check each decoder did all the work.
    fields: usize,
}

fn encoded_stories() -> Vec<EncodedStory> {
    common::encoder_names()
        .iter()
        .flat_map(|name| common::load(name))
        .map(|story| EncodedStory {
            fields: story.cases.iter().map(|case| case.headers.len()).sum(),
            blocks: story
                .cases
                .into_iter()
                .map(|case| {
                    let wire = Bytes::from(case.wire.expect("encoded story"));
                    // A block reaches the decoder as a frozen slice of the
                    // connection's read buffer, already shared; cloning once
                    // here gives the Vec-backed copy that same shared form.
                    drop(wire.clone());
                    (case.table_size, wire)
                })
                .collect(),
        })
        .collect()
}

fn raw_stories() -> Vec<Vec<Vec<Header>>> {
    common::load("raw-data")
        .into_iter()
        .map(|story| {
            story
                .cases
                .into_iter()
                .map(|case| {
                    case.headers
                        .into_iter()
                        .map(|(name, value)| Header::new(name, value))
                        .collect()
                })
                .collect()
        })
        .collect()
}

// --- decoders: each returns the number of fields decoded -------------------

fn decode_weft(stories: &[EncodedStory]) -> usize {
    let mut fields = 0;
    let mut out = Vec::with_capacity(64);
    for story in stories {
        let mut decoder = weft_hpack::Decoder::new(4096);
        for (table_size, wire) in &story.blocks {
            if let Some(size) = table_size {
                decoder.set_max_table_size(*size);
            }
            out.clear();
            decoder
                .decode(wire.clone(), &mut out)
                .expect("weft decodes the corpus");
            fields += out.len();
            black_box(&out);
        }
    }
    fields
}

fn decode_loona(stories: &[EncodedStory]) -> usize {
    let mut fields = 0;
    for story in stories {
        let mut decoder = loona_hpack::Decoder::new();
        for (table_size, wire) in &story.blocks {
            if let Some(size) = table_size {
                decoder.set_max_allowed_table_size(*size);
            }
            let out = decoder
                .decode(wire)
                .expect("loona-hpack decodes the corpus");
            fields += out.len();
            black_box(&out);
        }
    }
    fields
}

fn decode_httlib(stories: &[EncodedStory]) -> usize {
    let mut fields = 0;
    let mut out = Vec::with_capacity(64);
    for story in stories {
        let mut decoder = httlib_hpack::Decoder::with_dynamic_size(4096);
        for (table_size, wire) in &story.blocks {
            if let Some(size) = table_size {
                decoder.set_max_dynamic_size(*size as u32);
            }
            // httlib consumes its input, so it needs its own copy.
            let mut input = wire.to_vec();
            out.clear();
            decoder
                .decode(&mut input, &mut out)
                .expect("httlib-hpack decodes the corpus");
            fields += out.len();
            black_box(&out);
        }
    }
    fields
}

fn decode_nghttp2(stories: &[EncodedStory]) -> usize {
    let mut fields = 0;
    for story in stories {
        let mut inflater = ptr::null_mut();
        // SAFETY: nghttp2_hd_inflate_new writes a valid inflater or fails.
        assert_eq!(unsafe { ng::nghttp2_hd_inflate_new(&mut inflater) }, 0);
        for (table_size, wire) in &story.blocks {
            if let Some(size) = table_size {
                // SAFETY: the inflater is live and not inside a block.
                assert_eq!(
                    unsafe { ng::nghttp2_hd_inflate_change_table_size(inflater, *size) },
                    0
                );
            }
            let mut input: &[u8] = wire;
            loop {
                let mut nv = ng::nghttp2_nv {
                    name: ptr::null_mut(),
                    value: ptr::null_mut(),
                    namelen: 0,
                    valuelen: 0,
                    flags: 0,
                };
                let mut flags: c_int = 0;
                // SAFETY: `input` is a live slice; nghttp2 reads at most its length.
                let read = unsafe {
                    ng::nghttp2_hd_inflate_hd3(
                        inflater,
                        &mut nv,
                        &mut flags,
                        input.as_ptr(),
                        input.len(),
                        1,
                    )
                };
                let read = usize::try_from(read).expect("nghttp2 decodes the corpus");
                input = &input[read..];
                if flags & ng::NGHTTP2_HD_INFLATE_EMIT as c_int != 0 {
                    fields += 1;
                    black_box((nv.name, nv.namelen, nv.value, nv.valuelen));
                }
                if flags & ng::NGHTTP2_HD_INFLATE_FINAL as c_int != 0 {
                    // SAFETY: the inflater is live.
                    unsafe { ng::nghttp2_hd_inflate_end_headers(inflater) };
                    break;
                }
            }
        }
        // SAFETY: created above, not used after.
        unsafe { ng::nghttp2_hd_inflate_del(inflater) };
    }
    fields
}

// --- encoders: each returns the total encoded size -------------------------

fn encode_weft(stories: &[Vec<Vec<Header>>]) -> usize {
    encode_weft_with(stories, true)
}

/// weft without Huffman coding, the same work as loona-hpack's encoder does.
fn encode_weft_plain(stories: &[Vec<Vec<Header>>]) -> usize {
    encode_weft_with(stories, false)
}

fn encode_weft_with(stories: &[Vec<Vec<Header>>], huffman: bool) -> usize {
    let mut total = 0;
    let mut block = BytesMut::with_capacity(16 * 1024);
    for story in stories {
        let mut encoder = weft_hpack::Encoder::new(4096);
        encoder.set_huffman(huffman);
        for headers in story {
            block.clear();
            encoder.encode(headers, &mut block);
            total += block.len();
            black_box(&block);
        }
    }
    total
}

fn encode_loona(stories: &[Vec<Vec<Header>>]) -> usize {
    let mut total = 0;
    let mut block = Vec::with_capacity(16 * 1024);
    for story in stories {
        let mut encoder = loona_hpack::Encoder::new();
        for headers in story {
            block.clear();
            encoder
                .encode_into(
                    headers
                        .iter()
                        .map(|header| (&header.name[..], &header.value[..])),
                    &mut block,
                )
                .expect("writing to a Vec");
            total += block.len();
            black_box(&block);
        }
    }
    total
}

fn encode_httlib(stories: &[Vec<Vec<Header>>]) -> usize {
    // Huffman for name and value, incremental indexing, best representation.
    const FLAGS: u8 = 0x1 | 0x2 | 0x4 | 0x10;
    let mut total = 0;
    let mut block = Vec::with_capacity(16 * 1024);
    for story in stories {
        let mut encoder = httlib_hpack::Encoder::with_dynamic_size(4096);
        for headers in story {
            block.clear();
            for header in headers {
                // httlib takes owned vectors.
                encoder
                    .encode(
                        (header.name.to_vec(), header.value.to_vec(), FLAGS),
                        &mut block,
                    )
                    .expect("httlib-hpack encodes");
            }
            total += block.len();
            black_box(&block);
        }
    }
    total
}

/// nghttp2 field arrays pointing into the raw stories; `no_index` marks the
/// fields weft never indexes by default, for a like-for-like size comparison.
fn nghttp2_fields(stories: &[Vec<Vec<Header>>], no_index: bool) -> Vec<Vec<Vec<ng::nghttp2_nv>>> {
    let sensitive = |name: &[u8]| {
        matches!(
            name,
            b"authorization" | b"proxy-authorization" | b"cookie" | b"set-cookie"
        )
    };
    stories
        .iter()
        .map(|story| {
            story
                .iter()
                .map(|headers| {
                    headers
                        .iter()
                        .map(|header| ng::nghttp2_nv {
                            // nghttp2 only reads through these pointers.
                            name: header.name.as_ptr().cast_mut(),
                            value: header.value.as_ptr().cast_mut(),
                            namelen: header.name.len(),
                            valuelen: header.value.len(),
                            flags: if no_index && sensitive(&header.name) {
                                ng::NGHTTP2_NV_FLAG_NO_INDEX as u8
                            } else {
                                ng::NGHTTP2_NV_FLAG_NONE as u8
                            },
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn encode_nghttp2(stories: &[Vec<Vec<ng::nghttp2_nv>>]) -> usize {
    let mut total = 0;
    let mut block = vec![0u8; 64 * 1024];
    for story in stories {
        let mut deflater = ptr::null_mut();
        // SAFETY: nghttp2_hd_deflate_new writes a valid deflater or fails.
        assert_eq!(
            unsafe { ng::nghttp2_hd_deflate_new(&mut deflater, 4096) },
            0
        );
        for fields in story {
            // SAFETY: the deflater is live, `fields` point into live headers
            // and `block` is writable for its whole length, which
            // nghttp2_hd_deflate_bound shows is enough for these stories.
            let written = unsafe {
                debug_assert!(
                    ng::nghttp2_hd_deflate_bound(deflater, fields.as_ptr(), fields.len())
                        <= block.len()
                );
                ng::nghttp2_hd_deflate_hd2(
                    deflater,
                    block.as_mut_ptr(),
                    block.len(),
                    fields.as_ptr(),
                    fields.len(),
                )
            };
            total += usize::try_from(written).expect("nghttp2 encodes");
            black_box(&block);
        }
        // SAFETY: created above, not used after.
        unsafe { ng::nghttp2_hd_deflate_del(deflater) };
    }
    total
}

fn decode(c: &mut Criterion) {
    let encoded = encoded_stories();
    let wire_bytes: usize = encoded
        .iter()
        .flat_map(|story| &story.blocks)
        .map(|(_, wire)| wire.len())
        .sum();
    let fields: usize = encoded.iter().map(|story| story.fields).sum();
    let mut group = c.benchmark_group("decode corpus");
    group.throughput(Throughput::Bytes(wire_bytes as u64));
    group.sample_size(20);
    // Every decoder must do all the work before its speed means anything.
    group.bench_function("weft", |b| {
        assert_eq!(decode_weft(&encoded), fields);
        b.iter(|| decode_weft(&encoded));
    });
    group.bench_function("httlib-hpack", |b| {
        assert_eq!(decode_httlib(&encoded), fields);
        b.iter(|| decode_httlib(&encoded));
    });
    group.bench_function("nghttp2", |b| {
        assert_eq!(decode_nghttp2(&encoded), fields);
        b.iter(|| decode_nghttp2(&encoded));
    });
    // loona-hpack takes seconds per pass (its Huffman decoder walks one bit
    // at a time), so it gets the fewest samples criterion allows.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1));
    group.bench_function("loona-hpack", |b| {
        assert_eq!(decode_loona(&encoded), fields);
        b.iter(|| decode_loona(&encoded));
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let raw = raw_stories();
    let raw_bytes: usize = raw
        .iter()
        .flatten()
        .flatten()
        .map(|header| header.name.len() + header.value.len())
        .sum();
    let nghttp2_default = nghttp2_fields(&raw, false);
    let nghttp2_no_index = nghttp2_fields(&raw, true);
    println!("encoded size of raw-data ({raw_bytes} bytes of names and values):");
    println!("  weft                      {:>8}", encode_weft(&raw));
    println!("  weft without Huffman      {:>8}", encode_weft_plain(&raw));
    println!("  loona-hpack               {:>8}", encode_loona(&raw));
    println!("  httlib-hpack              {:>8}", encode_httlib(&raw));
    println!(
        "  nghttp2                   {:>8}",
        encode_nghttp2(&nghttp2_default)
    );
    println!(
        "  nghttp2, weft's no-index  {:>8}",
        encode_nghttp2(&nghttp2_no_index)
    );

    let mut group = c.benchmark_group("encode raw-data");
    group.throughput(Throughput::Bytes(raw_bytes as u64));
    group.sample_size(20);
    group.bench_function("weft", |b| b.iter(|| encode_weft(&raw)));
    group.bench_function("loona-hpack", |b| b.iter(|| encode_loona(&raw)));
    group.bench_function("httlib-hpack", |b| b.iter(|| encode_httlib(&raw)));
    group.bench_function("nghttp2", |b| b.iter(|| encode_nghttp2(&nghttp2_default)));
    group.finish();
}

/// The machine is shared and noisy, so besides criterion's figures each pair
/// is also timed interleaved (weft, peer, weft, peer, …) and the median of
/// the per-round ratios is reported: load that comes and goes hits both sides
/// of a round alike.
#[allow(clippy::disallowed_methods)] // a benchmark harness reads the clock by design
fn interleaved_ratios(_: &mut Criterion) {
    use std::time::Instant;
    const ROUNDS: usize = 21;
    fn time(f: &dyn Fn() -> usize) -> f64 {
        let start = Instant::now();
        black_box(f());
        start.elapsed().as_secs_f64()
    }
    /// Median over rounds of peer time / weft time. The two swap places
    /// every round, so neither always runs on the caches the other warmed.
    fn ratio(peer: &dyn Fn() -> usize, weft: &dyn Fn() -> usize) -> f64 {
        let mut ratios: Vec<f64> = (0..ROUNDS)
            .map(|round| {
                if round % 2 == 0 {
                    let peer_time = time(peer);
                    peer_time / time(weft)
                } else {
                    let weft_time = time(weft);
                    time(peer) / weft_time
                }
            })
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ROUNDS / 2]
    }
    // Criterion does not filter this one; honour a name filter by hand.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    if !filters.is_empty() && !filters.iter().any(|filter| filter.contains("interleaved")) {
        return;
    }

    let encoded = encoded_stories();
    let weft = || decode_weft(&encoded);
    let peers: [(&str, &dyn Fn() -> usize); 2] = [
        ("httlib-hpack", &|| decode_httlib(&encoded)),
        ("nghttp2", &|| decode_nghttp2(&encoded)),
    ];
    for (name, peer) in peers {
        println!(
            "decode corpus: weft is {:.2}x {name} (median of {ROUNDS} interleaved rounds)",
            ratio(peer, &weft)
        );
    }

    let raw = raw_stories();
    let nghttp2_default = nghttp2_fields(&raw, false);
    let weft = || encode_weft(&raw);
    let peers: [(&str, &dyn Fn() -> usize); 3] = [
        ("loona-hpack", &|| encode_loona(&raw)),
        ("httlib-hpack", &|| encode_httlib(&raw)),
        ("nghttp2", &|| encode_nghttp2(&nghttp2_default)),
    ];
    for (name, peer) in peers {
        println!(
            "encode raw-data: weft is {:.2}x {name} (median of {ROUNDS} interleaved rounds)",
            ratio(peer, &weft)
        );
    }
    println!(
        "encode raw-data: weft without Huffman is {:.2}x loona-hpack (median of {ROUNDS} interleaved rounds)",
        ratio(&|| encode_loona(&raw), &|| encode_weft_plain(&raw))
    );
}

criterion_group!(benches, decode, encode, interleaved_ratios);
criterion_main!(benches);
