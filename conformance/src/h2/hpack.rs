//! `hpack`: "HPACK: Header Compression for HTTP/2" (8 cases). Each sends a
//! GET whose header block carries one malformed representation (RFC 7541);
//! the server must treat it as a COMPRESSION_ERROR connection error.

use super::generic::get_with_representation;
use super::verify::{self, CaseResult};
use super::{Ctx, Section, case, section};
use crate::frame::{ErrorCode, Headers, setting};

fn decoding_error(c: &mut Ctx<'_>, prefix: &[u8], rep: &[u8]) -> CaseResult {
    c.handshake()?;
    send_and_expect_compression_error(c, prefix, rep)
}

fn send_and_expect_compression_error(c: &mut Ctx<'_>, prefix: &[u8], rep: &[u8]) -> CaseResult {
    let block = get_with_representation(c, prefix, rep);
    c.conn.headers(&Headers {
        stream_id: 1,
        end_stream: true,
        end_headers: true,
        block: &block,
        ..Headers::default()
    });
    verify::connection_error(&mut c.conn, &[ErrorCode::COMPRESSION_ERROR])
}

const DECODING_ERROR: &str = "The endpoint MUST treat this as a decoding error.";

pub(super) fn sections() -> Vec<Section> {
    vec![
        section("hpack", "HPACK: Header Compression for HTTP/2", vec![]),
        section("hpack/2", "2. Compression Process Overview", vec![]),
        section("hpack/2.3", "2.3. Indexing Tables", vec![]),
        section(
            "hpack/2.3.3",
            "2.3.3. Index Address Space",
            vec![
                case(
                    "Sends a indexed header field representation with invalid index",
                    DECODING_ERROR,
                    |c| decoding_error(c, b"", b"\xc6"),
                ),
                case(
                    "Sends a literal header field representation with invalid index",
                    DECODING_ERROR,
                    |c| decoding_error(c, b"", b"\x7f\x07\x00"),
                ),
            ],
        ),
        section("hpack/4", "4. Dynamic Table Management", vec![]),
        section(
            "hpack/4.2",
            "4.2. Maximum Table Size",
            vec![case(
                "Sends a dynamic table size update at the end of header block",
                DECODING_ERROR,
                |c| decoding_error(c, b"", b"\x21"),
            )],
        ),
        section("hpack/5", "5. Primitive Type Representations", vec![]),
        section(
            "hpack/5.2",
            "5.2. String Literal Representation",
            vec![
                case(
                    "Sends a Huffman-encoded string literal representation with padding longer than 7 bits",
                    DECODING_ERROR,
                    |c| decoding_error(c, b"", b"\x00\x85\xf2\xb2\x4a\x84\xff\x84\x49\x50\x9f\xff"),
                ),
                case(
                    "Sends a Huffman-encoded string literal representation padded by zero",
                    DECODING_ERROR,
                    |c| decoding_error(c, b"", b"\x00\x85\xf2\xb2\x4a\x84\xff\x83\x49\x50\x90"),
                ),
                case(
                    "Sends a Huffman-encoded string literal representation containing the EOS symbol",
                    DECODING_ERROR,
                    |c| {
                        decoding_error(
                            c,
                            b"",
                            b"\x00\x85\xf2\xb2\x4a\x84\xff\x87\x49\x51\xff\xff\xff\xfa\x7f",
                        )
                    },
                ),
            ],
        ),
        section("hpack/6", "6. Binary Format", vec![]),
        section(
            "hpack/6.1",
            "6.1. Indexed Header Field Representation",
            vec![case(
                "Sends a indexed header field representation with index 0",
                DECODING_ERROR,
                |c| decoding_error(c, b"", b"\x80"),
            )],
        ),
        section(
            "hpack/6.3",
            "6.3. Dynamic Table Size Update",
            vec![case(
                "Sends a dynamic table size update larger than the value of SETTINGS_HEADER_TABLE_SIZE",
                DECODING_ERROR,
                |c| {
                    c.handshake()?;
                    let limit = c
                        .conn
                        .settings
                        .get(&setting::HEADER_TABLE_SIZE)
                        .copied()
                        .unwrap_or(4096);
                    let update = crate::header_block::size_update(limit as usize + 1);
                    send_and_expect_compression_error(c, &update, b"")
                },
            )],
        ),
    ]
}
