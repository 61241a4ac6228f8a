//! Encodes two realistic requests on one connection, decodes them back and
//! shows the wire bytes and the dynamic table after each.
//!
//! `cargo run --release -p weft-hpack --example decode`
#![allow(clippy::print_stdout)]

use bytes::BytesMut;
use weft_hpack::{DecodeError, Decoder, Encoder, Header};

fn main() -> Result<(), DecodeError> {
    let first = [
        Header::new(":method", "GET"),
        Header::new(":scheme", "https"),
        Header::new(":authority", "www.example.com"),
        Header::new(":path", "/index.html"),
        Header::new(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ),
        Header::new(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
        Header::new("accept-encoding", "gzip, deflate, br"),
        Header::new("accept-language", "en-US,en;q=0.5"),
        Header::new("cookie", "session=4f2a9c1e; theme=dark"),
    ];
    let mut second = first.clone();
    second[3] = Header::new(":path", "/style.css");
    second[5] = Header::new("accept", "text/css,*/*;q=0.1");

    let mut encoder = Encoder::default();
    let mut decoder = Decoder::default();
    for (number, request) in [&first[..], &second[..]].into_iter().enumerate() {
        let mut block = BytesMut::new();
        encoder.encode(request, &mut block);
        let plain: usize = request
            .iter()
            .map(|header| header.name.len() + header.value.len() + 4)
            .sum();
        println!(
            "request {}: {} header bytes as HTTP/1.1 text, {} as HPACK",
            number + 1,
            plain,
            block.len()
        );
        for line in block.chunks(16) {
            let hex: Vec<String> = line.iter().map(|byte| format!("{byte:02x}")).collect();
            println!("  {}", hex.join(" "));
        }

        let mut decoded = Vec::new();
        decoder.decode(block.freeze(), &mut decoded)?;
        assert_eq!(decoded.len(), request.len());
        println!("decoded:");
        for header in &decoded {
            let marker = if header.sensitive {
                "  (never indexed)"
            } else {
                ""
            };
            println!(
                "  {}: {}{marker}",
                String::from_utf8_lossy(&header.name),
                String::from_utf8_lossy(&header.value)
            );
        }
        println!(
            "dynamic table ({} of {} bytes):",
            decoder.table_size(),
            decoder.table_capacity()
        );
        for (index, (name, value)) in (62..).zip(decoder.table_entries()) {
            println!(
                "  [{index}] {}: {}",
                String::from_utf8_lossy(name),
                String::from_utf8_lossy(value)
            );
        }
        println!();
    }
    Ok(())
}
