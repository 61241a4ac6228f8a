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
use qpack::{Decoded, Decoder, Delivery, Encoder, Field, Header, STATIC_TABLE};

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

/// Reads an encoding as the C harness does: the whole file in one buffer,
/// each section and encoder-stream piece a slice of it, in order. The buffer
/// is static, so that handing a section over (a `Bytes` clone, which the
/// passes need because they decode the same input again and again, and a
/// connection does not: it moves the frame's buffer in) costs nothing, as
/// the harness passes a pointer.
fn read_encoded(path: &Path) -> Encoded {
    let data: &'static [u8] = Vec::leak(std::fs::read(path).unwrap());
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
                    let stream = Bytes::from_static(&data[at..at + len]);
                    at += len;
                    let len = u32_at(&mut at);
                    let section = Bytes::from_static(&data[at..at + len]);
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

/// What weft's decoder does with each field in a decode pass.
#[derive(Clone, Copy, Debug)]
enum Sink {
    /// `Decoder::decode`: a `Vec<Header>` per section, each name and value a
    /// `Bytes` (a static string, a shared slice of the section or of a table
    /// entry, or a Huffman decoding copied into the decoder's arena).
    Headers,
    /// `Decoder::decode_with` and a sink that copies each name and value into
    /// one buffer of the caller's, reused: what ls-qpack does with every
    /// field (it decodes or copies name and value into the buffer its
    /// `dhi_prepare_decode` callback hands it, then calls
    /// `dhi_process_header`, which in the harness counts the field).
    Copy,
}

fn decode_pass(encoded: &Encoded, sink: Sink) -> usize {
    let mut fields = 0;
    let mut buffer: Vec<u8> = Vec::with_capacity(1 << 16);
    for story in encoded {
        let mut decoder = Decoder::new(CAPACITY as usize, BLOCKED as usize);
        for (number, (stream, section, expected)) in story.iter().enumerate() {
            if !stream.is_empty() {
                decoder.recv_encoder_stream(stream).unwrap();
            }
            let stream_id = 4 * number as u64;
            let decoded = match sink {
                Sink::Headers => match decoder.decode(stream_id, section.clone()).unwrap() {
                    Decoded::Fields(decoded) => {
                        let count = decoded.len();
                        black_box(decoded);
                        count
                    }
                    Decoded::Blocked => panic!("blocked with the encoder stream delivered first"),
                },
                Sink::Copy => {
                    let mut count = 0;
                    let mut copy = |field: Field<'_>| {
                        buffer.clear();
                        buffer.extend_from_slice(field.name());
                        buffer.extend_from_slice(field.value());
                        black_box(&buffer);
                        count += 1;
                    };
                    let delivery = decoder
                        .decode_with(stream_id, section.clone(), &mut copy)
                        .unwrap();
                    assert_eq!(delivery, Delivery::Complete);
                    count
                }
            };
            assert_eq!(decoded, *expected);
            fields += decoded;
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
    let weft_encoded = read_encoded(&weft_encoded_path);
    let (_, ls_bytes) = harness(&[
        "encode",
        corpus.to_str().unwrap(),
        ls_encoded_path.to_str().unwrap(),
        "1",
    ]);
    let ls_encoded = read_encoded(&ls_encoded_path);
    for sink in [Sink::Headers, Sink::Copy] {
        assert_eq!(decode_pass(&ls_encoded, sink), fields_total);
        assert_eq!(decode_pass(&weft_encoded, sink), fields_total);
    }
    let (_, ls_fields) = harness(&["decode", weft_encoded_path.to_str().unwrap(), "1"]);
    assert_eq!(ls_fields as usize, fields_total);

    // QPACK_BENCH_PROFILE=decode (the copying sink), =decode-headers or
    // =encode: only weft, in a loop, for a profiler.
    let profile = |sink| {
        for _ in 0..300 {
            black_box(decode_pass(&ls_encoded, sink));
            black_box(decode_pass(&weft_encoded, sink));
        }
    };
    match std::env::var("QPACK_BENCH_PROFILE").as_deref() {
        Ok("decode") => return profile(Sink::Copy),
        Ok("decode-headers") => return profile(Sink::Headers),
        Ok("encode") => {
            for _ in 0..300 {
                black_box(encode_pass(&stories, None));
            }
            return;
        }
        _ => {}
    }
    let rounds =
        std::env::var("QPACK_BENCH_ROUNDS").map_or(ROUNDS, |rounds| rounds.parse().unwrap());
    let passes = PASSES.to_string();
    let mut encode_ratios = Vec::new();
    // Per encoding (ls-qpack's, weft's) and per sink (copy, headers).
    let mut decode_ratios = [[(); 2]; 2].map(|row| row.map(|()| Vec::new()));
    let encodings = [
        ("ls-qpack's", &ls_encoded, &ls_encoded_path),
        ("weft's", &weft_encoded, &weft_encoded_path),
    ];
    for round in 0..rounds {
        let (ls_encode, _) = harness(&[
            "encode",
            corpus.to_str().unwrap(),
            ls_encoded_path.to_str().unwrap(),
            &passes,
        ]);
        let weft_encode = time_median(|| {
            black_box(encode_pass(&stories, None));
        });
        let mut line = format!(
            "round {round}: encode weft {:.2} ms ls-qpack {:.2} ms",
            weft_encode / 1e6,
            ls_encode / 1e6
        );
        encode_ratios.push(ls_encode / weft_encode);
        for (ratios, (name, encoded, path)) in decode_ratios.iter_mut().zip(encodings) {
            let (ls, _) = harness(&["decode", path.to_str().unwrap(), &passes]);
            let copy = time_median(|| {
                black_box(decode_pass(encoded, Sink::Copy));
            });
            let headers = time_median(|| {
                black_box(decode_pass(encoded, Sink::Headers));
            });
            line += &format!(
                " | decode {name}: ls-qpack {:.2} ms, weft copy {:.2} ms, headers {:.2} ms",
                ls / 1e6,
                copy / 1e6,
                headers / 1e6
            );
            ratios[0].push(ls / copy);
            ratios[1].push(ls / headers);
        }
        println!("{line}");
    }
    println!(
        "{} stories, {} header lists, {fields_total} fields",
        stories.len(),
        stories.iter().map(Vec::len).sum::<usize>()
    );
    println!(
        "encode: weft is {:.2}x ls-qpack (median of {rounds} rounds, ls-qpack time / weft time)",
        median(encode_ratios)
    );
    for ((name, _, _), [copy, headers]) in encodings.iter().zip(decode_ratios) {
        println!(
            "decode of {name} encoding: weft is {:.2}x ls-qpack copying each field into a buffer as ls-qpack does, {:.2}x building a Vec<Header>",
            median(copy),
            median(headers)
        );
    }
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
