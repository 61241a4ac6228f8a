//! A line protocol over stdin and stdout that drives one `Encoder` and one
//! `Decoder`, so that a test in another language can pair them with a
//! different QPACK implementation (the ls-qpack oracle of
//! `tests/oracle/test_lsqpack.py`). Bytes travel as hex; field lists as
//! `name:value` pairs of hex separated by spaces.
//!
//! Commands, one per line, each answered by one line:
//!
//! | command | answer |
//! |---|---|
//! | `settings CAPACITY BLOCKED` | `ok`: both sides configured |
//! | `encode STREAM FIELDS…` | `SECTION ENCODER_STREAM` (`-` for none) |
//! | `decoder_stream HEX` | `ok` or `error …` |
//! | `encoder_stream HEX` | `unblocked STREAM…` or `error …` |
//! | `decode STREAM HEX` | `fields FIELDS…`, `blocked` or `error …` |
//! | `resume STREAM` | `fields FIELDS…`, `blocked` or `error …` |
//! | `cancel STREAM` | `ok` |
//! | `poll` | the decoder stream's pending bytes as hex (`-` for none) |
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::io::{BufRead, Write};

use bytes::Bytes;
use qpack::{Decoded, Decoder, Encoder, Header};

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".to_owned();
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    if text == "-" {
        return Vec::new();
    }
    (0..text.len() / 2)
        .map(|at| u8::from_str_radix(&text[2 * at..2 * at + 2], 16).unwrap())
        .collect()
}

fn fields_line(fields: &[Header]) -> String {
    let mut line = "fields".to_owned();
    for field in fields {
        line.push_str(&format!(" {}:{}", hex(&field.name), hex(&field.value)));
    }
    line
}

fn main() {
    let mut encoder = Encoder::new();
    let mut decoder = Decoder::new(0, 0);
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split(' ').collect();
        let answer = match words[..] {
            ["settings", capacity, blocked] => {
                let (capacity, blocked): (u64, u64) =
                    (capacity.parse().unwrap(), blocked.parse().unwrap());
                encoder = Encoder::new();
                encoder.apply_settings(capacity, blocked);
                decoder = Decoder::new(capacity as usize, blocked as usize);
                decoder.set_max_field_section_size(usize::MAX);
                "ok".to_owned()
            }
            ["encode", stream, ref pairs @ ..] => {
                let fields: Vec<Header> = pairs
                    .iter()
                    .map(|pair| {
                        let (name, value) = pair.split_once(':').unwrap();
                        Header::new(unhex(name), unhex(value))
                    })
                    .collect();
                let section = encoder.encode(stream.parse().unwrap(), &fields);
                let mut stream_bytes = Vec::new();
                while let Some(bytes) = encoder.poll_transmit() {
                    stream_bytes.extend_from_slice(&bytes);
                }
                format!("{} {}", hex(&section), hex(&stream_bytes))
            }
            ["decoder_stream", bytes] => match encoder.recv_decoder_stream(&unhex(bytes)) {
                Ok(()) => "ok".to_owned(),
                Err(error) => format!("error {error}"),
            },
            ["encoder_stream", bytes] => match decoder.recv_encoder_stream(&unhex(bytes)) {
                Ok(streams) => {
                    let ids: Vec<String> = streams.iter().map(u64::to_string).collect();
                    format!("unblocked {}", ids.join(" ")).trim_end().to_owned()
                }
                Err(error) => format!("error {error}"),
            },
            ["decode", stream, bytes] => {
                match decoder.decode(stream.parse().unwrap(), Bytes::from(unhex(bytes))) {
                    Ok(Decoded::Fields(fields)) => fields_line(&fields),
                    Ok(Decoded::Blocked) => "blocked".to_owned(),
                    Err(error) => format!("error {error}"),
                }
            }
            ["resume", stream] => match decoder.resume(stream.parse().unwrap()) {
                Some(Ok(fields)) => fields_line(&fields),
                Some(Err(error)) => format!("error {error}"),
                None => "blocked".to_owned(),
            },
            ["cancel", stream] => {
                decoder.cancel_stream(stream.parse().unwrap());
                "ok".to_owned()
            }
            ["poll"] => {
                let mut bytes = Vec::new();
                while let Some(chunk) = decoder.poll_transmit() {
                    bytes.extend_from_slice(&chunk);
                }
                hex(&bytes)
            }
            _ => format!("error unknown command {line}"),
        };
        writeln!(stdout, "{answer}").unwrap();
        stdout.flush().unwrap();
    }
}
