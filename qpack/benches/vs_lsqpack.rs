//! weft's QPACK side by side with ls-qpack (C): encode and decode of every
//! raw-data header list of the HPACK corpus, each story a fresh connection
//! with capacity 4096 and 100 blocked streams, and the total encoded size
//! (sections plus encoder stream) against ls-qpack's and against a
//! static-table-only encoder built the way hyperium's h3 crate encodes
//! (`encode_stateless`: static index, else a literal with a static name
//! reference, else a literal name; every string Huffman-coded).
//!
//! ls-qpack runs in its own process (`benches/lsqpack_harness.c`, built by
//! `scripts/bench-qpack` from the pylsqpack sdist), timing its own passes;
//! rounds alternate between the two libraries and the medians are compared.
//!
//! `LSQPACK_HARNESS=… QPACK_BENCH_DIR=… cargo bench -p weft-qpack --bench vs_lsqpack`
// The one unsafe call reads this thread's CPU clock (libc), which std does
// not offer; the library itself forbids unsafe code.
#![allow(
    unsafe_code,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

#[path = "../../hpack/tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::{Bytes, BytesMut};
use qpack::{Decoded, Decoder, Encoder, Header, STATIC_TABLE};

const CAPACITY: u64 = 4096;
const BLOCKED: u64 = 100;
/// Passes per measurement, of which the median is kept.
const PASSES: usize = 15;
const ROUNDS: usize = 7;

type Story = Vec<Vec<Header>>;

fn stories() -> Vec<Story> {
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

fn put_u32(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(&u32::try_from(value).unwrap().to_le_bytes());
}

fn write_corpus(stories: &[Story], path: &Path) {
    let mut out = Vec::new();
    put_u32(&mut out, stories.len());
    for story in stories {
        put_u32(&mut out, story.len());
        for fields in story {
            put_u32(&mut out, fields.len());
            for field in fields {
                put_u32(&mut out, field.name.len());
                out.extend_from_slice(&field.name);
                put_u32(&mut out, field.value.len());
                out.extend_from_slice(&field.value);
            }
        }
    }
    std::fs::write(path, out).unwrap();
}

/// Per story, per section: the encoder-stream bytes to deliver first, the
/// section, and its field count.
type Encoded = Vec<Vec<(Bytes, Bytes, usize)>>;

fn read_encoded(path: &Path) -> Encoded {
    let data = std::fs::read(path).unwrap();
    let mut at = 0;
    let u32_at = |at: &mut usize| {
        let value = u32::from_le_bytes(data[*at..*at + 4].try_into().unwrap()) as usize;
        *at += 4;
        value
    };
    let stories = u32_at(&mut at);
    (0..stories)
        .map(|_| {
            let cases = u32_at(&mut at);
            (0..cases)
                .map(|_| {
                    let len = u32_at(&mut at);
                    let stream = Bytes::copy_from_slice(&data[at..at + len]);
                    at += len;
                    let len = u32_at(&mut at);
                    let section = Bytes::copy_from_slice(&data[at..at + len]);
                    at += len;
                    (stream, section, u32_at(&mut at))
                })
                .collect()
        })
        .collect()
}

fn write_encoded(encoded: &Encoded, path: &Path) {
    let mut out = Vec::new();
    put_u32(&mut out, encoded.len());
    for story in encoded {
        put_u32(&mut out, story.len());
        for (stream, section, fields) in story {
            put_u32(&mut out, stream.len());
            out.extend_from_slice(stream);
            put_u32(&mut out, section.len());
            out.extend_from_slice(section);
            put_u32(&mut out, *fields);
        }
    }
    std::fs::write(path, out).unwrap();
}

/// One encode pass; the simulated decoder acknowledges each section that
/// refers to the dynamic table at once and confirms the other inserts, as the
/// C harness does for ls-qpack.
fn encode_pass(stories: &[Story], keep: Option<&mut Encoded>) -> usize {
    let mut total = 0;
    let mut kept = Vec::new();
    let mut feedback = BytesMut::new();
    for story in stories {
        let mut encoder = Encoder::new();
        encoder.apply_settings(CAPACITY, BLOCKED);
        let mut sections = Vec::new();
        for (number, fields) in story.iter().enumerate() {
            let stream_id = 4 * number as u64;
            let section = encoder.encode(stream_id, fields);
            let mut stream = BytesMut::new();
            while let Some(bytes) = encoder.poll_transmit() {
                stream.extend_from_slice(&bytes);
            }
            total += section.len() + stream.len();
            feedback.clear();
            if section[0] != 0 {
                hpack::encode_integer(stream_id as usize, 7, 0x80, &mut feedback);
                encoder.recv_decoder_stream(&feedback).unwrap();
            }
            let unconfirmed = encoder.insert_count() - encoder.known_received_count();
            if unconfirmed > 0 {
                feedback.clear();
                hpack::encode_integer(unconfirmed as usize, 6, 0x00, &mut feedback);
                encoder.recv_decoder_stream(&feedback).unwrap();
            }
            if keep.is_some() {
                sections.push((stream.freeze(), section, fields.len()));
            } else {
                black_box(&section);
            }
        }
        kept.push(sections);
    }
    if let Some(keep) = keep {
        *keep = kept;
    }
    total
}

fn decode_pass(encoded: &Encoded) -> usize {
    let mut fields = 0;
    for story in encoded {
        let mut decoder = Decoder::new(CAPACITY as usize, BLOCKED as usize);
        for (number, (stream, section, expected)) in story.iter().enumerate() {
            if !stream.is_empty() {
                decoder.recv_encoder_stream(stream).unwrap();
            }
            match decoder.decode(4 * number as u64, section.clone()).unwrap() {
                Decoded::Fields(decoded) => {
                    assert_eq!(decoded.len(), *expected);
                    fields += decoded.len();
                    black_box(decoded);
                }
                Decoded::Blocked => panic!("blocked with the encoder stream delivered first"),
            }
            while let Some(bytes) = decoder.poll_transmit() {
                black_box(bytes);
            }
        }
    }
    fields
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// CPU time of this thread in nanoseconds: on a shared machine, wall time
/// counts whatever else runs. The C harness measures the same way.
fn thread_cpu_ns() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call's duration.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0);
    now.tv_sec as f64 * 1e9 + now.tv_nsec as f64
}

fn time_median(mut pass: impl FnMut()) -> f64 {
    let times: Vec<f64> = (0..PASSES)
        .map(|_| {
            let start = thread_cpu_ns();
            pass();
            thread_cpu_ns() - start
        })
        .collect();
    median(times)
}

/// Runs the C harness and returns its (ns, second number) line.
fn harness(args: &[&str]) -> (f64, u64) {
    let binary =
        std::env::var("LSQPACK_HARNESS").expect("LSQPACK_HARNESS: run scripts/bench-qpack");
    let output = Command::new(binary).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let words: Vec<&str> = text.split_whitespace().collect();
    (words[1].parse().unwrap(), words[3].parse().unwrap())
}

/// The size of a string literal as h3 writes it: always Huffman-coded.
fn h3_string(string: &[u8], prefix_bits: u8) -> usize {
    let mut length = BytesMut::new();
    let huffman = hpack::huffman::encoded_len(string);
    hpack::encode_integer(huffman, prefix_bits, 0, &mut length);
    length.len() + huffman
}

fn h3_static_only_size(stories: &[Story]) -> usize {
    let mut total = 0;
    for story in stories {
        for fields in story {
            total += 2;
            for field in fields {
                let (name, value) = (&field.name[..], &field.value[..]);
                let mut index = BytesMut::new();
                if let Some(at) = STATIC_TABLE
                    .iter()
                    .position(|entry| entry == &(name, value))
                {
                    hpack::encode_integer(at, 6, 0xc0, &mut index);
                    total += index.len();
                } else if let Some(at) = STATIC_TABLE.iter().position(|entry| entry.0 == name) {
                    hpack::encode_integer(at, 4, 0x50, &mut index);
                    total += index.len() + h3_string(value, 7);
                } else {
                    total += h3_string(name, 3) + h3_string(value, 7);
                }
            }
        }
    }
    total
}

fn static_only_weft_size(stories: &[Story]) -> usize {
    let mut total = 0;
    for story in stories {
        let mut encoder = Encoder::new();
        for (number, fields) in story.iter().enumerate() {
            total += encoder.encode(4 * number as u64, fields).len();
        }
    }
    total
}

fn main() {
    let dir = PathBuf::from(
        std::env::var("QPACK_BENCH_DIR").expect("QPACK_BENCH_DIR: run scripts/bench-qpack"),
    );
    let stories = stories();
    let fields_total: usize = stories.iter().flatten().map(Vec::len).sum();
    let corpus = dir.join("corpus.bin");
    write_corpus(&stories, &corpus);
    let ls_encoded_path = dir.join("lsqpack-encoded.bin");
    let weft_encoded_path = dir.join("weft-encoded.bin");

    // Each decoder must read both encodings, checked field by field count.
    let mut weft_encoded = Vec::new();
    let weft_bytes = encode_pass(&stories, Some(&mut weft_encoded));
    write_encoded(&weft_encoded, &weft_encoded_path);
    let (_, ls_bytes) = harness(&[
        "encode",
        corpus.to_str().unwrap(),
        ls_encoded_path.to_str().unwrap(),
        "1",
    ]);
    let ls_encoded = read_encoded(&ls_encoded_path);
    assert_eq!(decode_pass(&ls_encoded), fields_total);
    assert_eq!(decode_pass(&weft_encoded), fields_total);
    let (_, ls_fields) = harness(&["decode", weft_encoded_path.to_str().unwrap(), "1"]);
    assert_eq!(ls_fields as usize, fields_total);

    // QPACK_BENCH_PROFILE=decode or =encode: only weft, in a loop, for a
    // profiler.
    match std::env::var("QPACK_BENCH_PROFILE").as_deref() {
        Ok("decode") => {
            for _ in 0..300 {
                black_box(decode_pass(&ls_encoded));
                black_box(decode_pass(&weft_encoded));
            }
            return;
        }
        Ok("encode") => {
            for _ in 0..300 {
                black_box(encode_pass(&stories, None));
            }
            return;
        }
        _ => {}
    }
    let passes = PASSES.to_string();
    let mut encode_ratios = Vec::new();
    let mut decode_ratios = Vec::new();
    let mut decode_weft_input_ratios = Vec::new();
    for round in 0..ROUNDS {
        let (ls_encode, _) = harness(&[
            "encode",
            corpus.to_str().unwrap(),
            ls_encoded_path.to_str().unwrap(),
            &passes,
        ]);
        let weft_encode = time_median(|| {
            black_box(encode_pass(&stories, None));
        });
        let (ls_decode, _) = harness(&["decode", ls_encoded_path.to_str().unwrap(), &passes]);
        let weft_decode = time_median(|| {
            black_box(decode_pass(&ls_encoded));
        });
        let (ls_decode_weft, _) =
            harness(&["decode", weft_encoded_path.to_str().unwrap(), &passes]);
        let weft_decode_weft = time_median(|| {
            black_box(decode_pass(&weft_encoded));
        });
        println!(
            "round {round}: encode weft {:.2} ms ls-qpack {:.2} ms | decode (ls-qpack's encoding) weft {:.2} ms ls-qpack {:.2} ms | decode (weft's encoding) weft {:.2} ms ls-qpack {:.2} ms",
            weft_encode / 1e6,
            ls_encode / 1e6,
            weft_decode / 1e6,
            ls_decode / 1e6,
            weft_decode_weft / 1e6,
            ls_decode_weft / 1e6,
        );
        encode_ratios.push(ls_encode / weft_encode);
        decode_ratios.push(ls_decode / weft_decode);
        decode_weft_input_ratios.push(ls_decode_weft / weft_decode_weft);
    }
    println!(
        "{} stories, {} header lists, {fields_total} fields",
        stories.len(),
        stories.iter().map(Vec::len).sum::<usize>()
    );
    println!(
        "encode: weft is {:.2}x ls-qpack (median of {ROUNDS} rounds, ls-qpack time / weft time)",
        median(encode_ratios)
    );
    println!(
        "decode of ls-qpack's encoding: weft is {:.2}x ls-qpack",
        median(decode_ratios)
    );
    println!(
        "decode of weft's encoding: weft is {:.2}x ls-qpack",
        median(decode_weft_input_ratios)
    );
    let h3 = h3_static_only_size(&stories);
    let weft_static = static_only_weft_size(&stories);
    println!(
        "encoded bytes at capacity {CAPACITY} (sections + encoder stream): weft {weft_bytes}, ls-qpack {ls_bytes} ({:+.2}%)",
        (weft_bytes as f64 / ls_bytes as f64 - 1.0) * 100.0
    );
    println!(
        "static table only: h3's way {h3}, weft at capacity 0 {weft_static}; weft at {CAPACITY} is {:.1}% smaller than h3's",
        (1.0 - weft_bytes as f64 / h3 as f64) * 100.0
    );
}
