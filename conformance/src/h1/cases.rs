//! The HTTP/1.1 cases. Requests are byte templates where `{host}`, `{path}`
//! and `{post}` (the POST path) stand for the target; each case names the RFC text it checks.
//! Where the RFC lets a server either reject or repair (obs-fold, bare LF),
//! the case accepts both but still requires that the connection does not
//! desynchronise.

use super::{After, Case, Ctx, Status};
use crate::report::{CaseResult, Failure};

type Run = fn(&mut Ctx<'_>) -> CaseResult;

fn group(
    key: &str,
    title: &'static str,
    cases: Vec<(&'static str, &'static str, Run)>,
) -> (&'static str, Vec<Case>) {
    let cases = cases
        .into_iter()
        .enumerate()
        .map(|(i, (case_title, requirement, run))| Case {
            id: format!("h1/{key}/{}", i + 1),
            title: case_title,
            requirement,
            run,
        })
        .collect();
    (title, cases)
}

const BAD_REQUEST: Status = Status::OneOf(&[400]);

/// Every section of the suite, in order.
pub(super) fn sections() -> Vec<(&'static str, Vec<Case>)> {
    vec![
        messages(),
        connection(),
        smuggling(),
        chunked(),
        fields(),
        host(),
        version(),
        limits(),
    ]
}

fn messages() -> (&'static str, Vec<Case>) {
    group(
        "message",
        "1. Messages (RFC 9112 §2-§3, §6)",
        vec![
            (
                "Sends a GET request",
                "A server MUST answer a valid request (RFC 9112 §3).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n",
                        Status::Success,
                        After::KeepAlive,
                    )
                },
            ),
            (
                "Sends a HEAD request",
                "A response to HEAD carries no content, whatever its framing headers say (RFC 9110 §9.3.2, RFC 9112 §6.3).",
                |c| {
                    c.exchange(
                        b"HEAD {path} HTTP/1.1\r\nHost: {host}\r\n\r\n",
                        Status::Success,
                        After::KeepAlive,
                    )
                },
            ),
            (
                "Sends a POST request with Content-Length",
                "The body is framed by Content-Length (RFC 9112 §6.3).",
                |c| {
                    c.exchange(
                        b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\n\r\ntest",
                        Status::Success,
                        After::KeepAlive,
                    )
                },
            ),
            (
                "Sends a chunked POST request with a chunk extension and a trailer",
                "A recipient MUST be able to parse the chunked coding and ignore unknown extensions (RFC 9112 §7.1).",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n\
                      4;ext=1\r\ntest\r\n0\r\nX-Trailer: ok\r\n\r\n",
                    Status::Success,
                    After::KeepAlive,
                )
                },
            ),
            (
                "Sends a request in absolute-form",
                "A server MUST accept the absolute-form in requests (RFC 9112 §3.2.2).",
                |c| {
                    c.exchange(
                        b"GET http://{host}{path} HTTP/1.1\r\nHost: {host}\r\n\r\n",
                        Status::Success,
                        After::KeepAlive,
                    )
                },
            ),
            (
                "Sends an empty line before the request line",
                "A server SHOULD ignore at least one empty line received before the request-line (RFC 9112 §2.2).",
                |c| {
                    c.exchange(
                        b"\r\nGET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n",
                        Status::Success,
                        After::KeepAlive,
                    )
                },
            ),
            (
                "Sends a request with an invalid method token",
                "A request-line that does not match the grammar is invalid: 400 (RFC 9112 §3, RFC 9110 §9.1).",
                |c| {
                    c.exchange(
                        b"GE(T {path} HTTP/1.1\r\nHost: {host}\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
        ],
    )
}

fn connection() -> (&'static str, Vec<Case>) {
    group(
        "connection",
        "2. Connection management (RFC 9112 §9)",
        vec![
            (
                "Sends three requests one after another on one connection",
                "HTTP/1.1 connections are persistent by default (RFC 9112 §9.3).",
                |c| {
                    for _ in 0..2 {
                        c.send(b"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
                        c.expect_status(Status::Success, false)?;
                    }
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n",
                        Status::Success,
                        After::KeepAlive,
                    )
                },
            ),
            (
                "Sends a request with Connection: close",
                "A server that receives \"close\" MUST close the connection after the response (RFC 9112 §9.6).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
                        Status::Success,
                        After::Close,
                    )
                },
            ),
            (
                "Sends an HTTP/1.0 request without keep-alive",
                "An HTTP/1.0 connection is not persistent unless keep-alive is asked for (RFC 9112 §9.3).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n",
                        Status::Success,
                        After::Close,
                    )
                },
            ),
            (
                "Sends GET, HEAD and GET pipelined in one write",
                "A server MUST send responses in the order the requests were received (RFC 9112 §9.3.2).",
                |c| {
                    c.send(
                    b"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\nHEAD {path} HTTP/1.1\r\nHost: {host}\r\n\r\n\
                      GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n",
                );
                    let first = c.expect_status(Status::Success, false)?;
                    let second = c.expect_status(Status::Success, true)?;
                    let third = c.expect_status(Status::Success, false)?;
                    // The HEAD answer must not carry a body: if it did, the third response would not parse.
                    if first.body != third.body {
                        return Err(Failure::Mismatch {
                            expected: vec!["the same body for both GET responses".into()],
                            actual: format!("{} and {} octets", first.body.len(), third.body.len()),
                        });
                    }
                    c.expect_after(&second, After::KeepAlive)
                },
            ),
            (
                "Sends a request after one with Connection: close, in the same write",
                "A server MUST NOT process further requests after one with \"close\" (RFC 9112 §9.6).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n\
                      GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n",
                        Status::Success,
                        After::Close,
                    )
                },
            ),
            (
                "Sends Expect: 100-continue and waits before sending the body",
                "A server MUST either send a final status or 100 (Continue) before reading the body (RFC 9110 §10.1.1).",
                |c| {
                    c.send(b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
                    let expected =
                        || vec!["100 (Continue) or a final status without the body".to_owned()];
                    let first = c
                        .client
                        .read_response(false)
                        .map_err(|err| Failure::Mismatch {
                            expected: expected(),
                            actual: err.to_string(),
                        })?;
                    if first.status != 100 {
                        return if first.status >= 200 {
                            c.expect_after(&first, After::Either)
                        } else {
                            Err(Failure::Mismatch {
                                expected: expected(),
                                actual: format!("status {}", first.status),
                            })
                        };
                    }
                    c.send(b"test");
                    let response = c.expect_status(Status::Success, false)?;
                    c.expect_after(&response, After::KeepAlive)
                },
            ),
            (
                "Sends Expect: 100-continue with the body right away",
                "A client may send the body without waiting; the server still answers once (RFC 9110 §10.1.1).",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\ntest",
                    Status::Success,
                    After::KeepAlive,
                )
                },
            ),
        ],
    )
}

fn smuggling() -> (&'static str, Vec<Case>) {
    group(
        "smuggling",
        "3. Message body length (RFC 9112 §6)",
        vec![
            (
                "Sends both Content-Length and Transfer-Encoding",
                "A server MAY reject or use Transfer-Encoding alone, and MUST close the connection after responding (RFC 9112 §6.1).",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n\
                      0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: {host}\r\n\r\n",
                    Status::SuccessOr(&[400]),
                    After::Close,
                )
                },
            ),
            (
                "Sends Transfer-Encoding whose final coding is not chunked",
                "The server MUST respond with 400 and then close the connection (RFC 9112 §6.3).",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: gzip\r\n\r\ntest",
                    Status::OneOf(&[400, 501]),
                    After::Close,
                )
                },
            ),
            (
                "Sends Transfer-Encoding in an HTTP/1.0 request",
                "The framing is faulty; the server MUST close the connection after processing (RFC 9112 §6.1).",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.0\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ntest\r\n0\r\n\r\n",
                    Status::OneOf(&[400]),
                    After::Close,
                )
                },
            ),
            (
                "Sends Transfer-Encoding: chunked twice",
                "A sender MUST NOT apply chunked more than once; the framing is invalid (RFC 9112 §6.1, §6.3).",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
                    Status::OneOf(&[400, 501]),
                    After::Close,
                )
                },
            ),
            (
                "Sends an unknown transfer coding",
                "A server SHOULD answer 501 to a transfer coding it does not understand; without chunked last, 400 (RFC 9112 §6.1, §6.3).",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
                    Status::OneOf(&[400, 501]),
                    After::Close,
                )
                },
            ),
            (
                "Sends a non-numeric Content-Length",
                "An invalid Content-Length is an unrecoverable error: 400, then close (RFC 9112 §6.3).",
                |c| {
                    c.exchange(
                        b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: abc\r\n\r\ntest",
                        BAD_REQUEST,
                        After::Close,
                    )
                },
            ),
            (
                "Sends two Content-Length fields with different values",
                "An invalid Content-Length is an unrecoverable error: 400, then close (RFC 9112 §6.3).",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\ntest",
                    BAD_REQUEST,
                    After::Close,
                )
                },
            ),
            (
                "Sends a Content-Length list with different values",
                "An invalid Content-Length is an unrecoverable error: 400, then close (RFC 9112 §6.3, RFC 9110 §8.6).",
                |c| {
                    c.exchange(
                        b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4, 5\r\n\r\ntest",
                        BAD_REQUEST,
                        After::Close,
                    )
                },
            ),
            (
                "Sends a negative Content-Length",
                "Content-Length is 1*DIGIT; anything else is invalid: 400, then close (RFC 9110 §8.6, RFC 9112 §6.3).",
                |c| {
                    c.exchange(
                        b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: -1\r\n\r\ntest",
                        BAD_REQUEST,
                        After::Close,
                    )
                },
            ),
            (
                "Sends a Content-Length with a plus sign",
                "Content-Length is 1*DIGIT; anything else is invalid: 400, then close (RFC 9110 §8.6, RFC 9112 §6.3).",
                |c| {
                    c.exchange(
                        b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: +4\r\n\r\ntest",
                        BAD_REQUEST,
                        After::Close,
                    )
                },
            ),
            (
                "Sends a Content-Length too large for any integer",
                "A recipient MUST anticipate large numerals and prevent overflows (RFC 9110 §8.6): 400 or 413, then close.",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 99999999999999999999999999\r\n\r\ntest",
                    Status::OneOf(&[400, 413]),
                    After::Close,
                )
                },
            ),
        ],
    )
}

fn chunked() -> (&'static str, Vec<Case>) {
    group(
        "chunked",
        "4. Chunked transfer coding (RFC 9112 §7.1)",
        vec![
            (
                "Sends a chunk size that is not hexadecimal",
                "The chunked framing is invalid: 400, then close (RFC 9112 §7.1).",
                |c| {
                    c.exchange(
                b"POST {post} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\ntest\r\n0\r\n\r\n",
                BAD_REQUEST,
                After::Close,
            )
                },
            ),
            (
                "Sends a chunk size that overflows",
                "A recipient MUST anticipate large hex numerals and prevent overflows (RFC 9112 §7.1): 400 or 413, then close.",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n\
                      10000000000000000000004\r\ntest\r\n0\r\n\r\n",
                    Status::OneOf(&[400, 413]),
                    After::Close,
                )
                },
            ),
            (
                "Sends a chunk size with a 0x prefix",
                "chunk-size is 1*HEXDIG: 400, then close (RFC 9112 §7.1).",
                |c| {
                    c.exchange(
                b"POST {post} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n0x4\r\ntest\r\n0\r\n\r\n",
                BAD_REQUEST,
                After::Close,
            )
                },
            ),
            (
                "Sends chunk data longer than its size",
                "chunk-data is followed by CRLF; anything else is invalid: 400, then close (RFC 9112 §7.1).",
                |c| {
                    c.exchange(
                    b"POST {post} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\ntest\r\n0\r\n\r\n",
                    BAD_REQUEST,
                    After::Close,
                )
                },
            ),
        ],
    )
}

fn fields() -> (&'static str, Vec<Case>) {
    group(
        "fields",
        "5. Field syntax (RFC 9112 §5, §2.2)",
        vec![
            (
                "Sends whitespace between a field name and the colon",
                "A server MUST reject such a request with 400 (RFC 9112 §5.1).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Test : ok\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
            (
                "Sends an obs-fold line",
                "A server MUST reject obs-fold with 400 or replace it with SP (RFC 9112 §5.2).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Test: a\r\n b\r\n\r\n",
                        Status::SuccessOr(&[400]),
                        After::Either,
                    )
                },
            ),
            (
                "Sends a whitespace-preceded line right after the request line",
                "A recipient MUST reject it or ignore the line; either way Host is then missing: 400 (RFC 9112 §2.2, §3.2).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\n Host: {host}\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
            (
                "Sends a bare CR inside a field value",
                "A bare CR MUST be treated as invalid or replaced with SP (RFC 9112 §2.2).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Test: a\rb\r\n\r\n",
                        Status::SuccessOr(&[400]),
                        After::Either,
                    )
                },
            ),
            (
                "Sends bare LF line endings",
                "A recipient MAY accept a bare LF as a line terminator (RFC 9112 §2.2); it must not desynchronise.",
                |c| {
                    c.send(b"GET {path} HTTP/1.1\nHost: {host}\n\n");
                    let response = c.expect_status(Status::SuccessOr(&[400]), false)?;
                    let after = if (200..300).contains(&response.status) {
                        After::KeepAlive
                    } else {
                        After::Either
                    };
                    c.expect_after(&response, after)
                },
            ),
            (
                "Sends a NUL octet in a field value",
                "NUL is not allowed in a field value: 400 (RFC 9110 §5.5).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Test: a\x00b\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
            (
                "Sends a space inside a field name",
                "A field name is a token; a server SHOULD answer a request off the grammar with 400 (RFC 9110 §5.1, RFC 9112 §2.2).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\nX Test: ok\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
            (
                "Sends a field line without a colon",
                "A field line is name \":\" value; a server SHOULD answer a request off the grammar with 400 (RFC 9112 §5, §2.2).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\nNoColon\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
        ],
    )
}

fn host() -> (&'static str, Vec<Case>) {
    group(
        "host",
        "6. Host (RFC 9112 §3.2)",
        vec![
            (
                "Sends an HTTP/1.1 request without Host",
                "A server MUST respond with 400 (RFC 9112 §3.2).",
                |c| c.exchange(b"GET {path} HTTP/1.1\r\n\r\n", BAD_REQUEST, After::Either),
            ),
            (
                "Sends two Host fields",
                "A server MUST respond with 400 (RFC 9112 §3.2).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: {host}\r\nHost: other.example\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
            (
                "Sends an invalid Host value",
                "A server MUST respond with 400 to an invalid Host (RFC 9112 §3.2).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1.1\r\nHost: a b\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
        ],
    )
}

fn version() -> (&'static str, Vec<Case>) {
    group(
        "version",
        "7. HTTP version (RFC 9112 §2.3)",
        vec![
            (
                "Sends HTTP/2.0 in an HTTP/1.1 request line",
                "A server answers an unsupported major version with 505 (RFC 9110 §15.6.6), or rejects it with 400.",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/2.0\r\nHost: {host}\r\n\r\n",
                        Status::OneOf(&[505, 400]),
                        After::Either,
                    )
                },
            ),
            (
                "Sends HTTP/1.2",
                "A higher minor version is processed as the highest the server supports, and answered as HTTP/1.1 (RFC 9112 §2.3).",
                |c| {
                    c.send(b"GET {path} HTTP/1.2\r\nHost: {host}\r\n\r\n");
                    let response = c.expect_status(Status::Success, false)?;
                    if response.minor_version != 1 {
                        return Err(Failure::Mismatch {
                            expected: vec!["an HTTP/1.1 response".into()],
                            actual: format!("HTTP/1.{}", response.minor_version),
                        });
                    }
                    Ok(())
                },
            ),
            (
                "Sends a version without a minor number",
                "HTTP-version is HTTP/DIGIT.DIGIT: 400 (RFC 9112 §2.3).",
                |c| {
                    c.exchange(
                        b"GET {path} HTTP/1\r\nHost: {host}\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
            (
                "Sends a lowercase protocol name",
                "HTTP-name is case-sensitive: 400 (RFC 9112 §2.3).",
                |c| {
                    c.exchange(
                        b"GET {path} http/1.1\r\nHost: {host}\r\n\r\n",
                        BAD_REQUEST,
                        After::Either,
                    )
                },
            ),
        ],
    )
}

/// A request whose target, one field or field count is oversized.
fn oversized(c: &mut Ctx<'_>, what: &str, status: Status) -> CaseResult {
    let mut request = Vec::new();
    match what {
        "target" => {
            request.extend_from_slice(b"GET /");
            request.extend(std::iter::repeat_n(b'a', 128 * 1024));
            request.extend_from_slice(b" HTTP/1.1\r\nHost: {host}\r\n\r\n");
        }
        "field" => {
            request.extend_from_slice(b"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Big: ");
            request.extend(std::iter::repeat_n(b'a', 128 * 1024));
            request.extend_from_slice(b"\r\n\r\n");
        }
        _ => {
            request.extend_from_slice(b"GET {path} HTTP/1.1\r\nHost: {host}\r\n");
            for i in 0..10_000 {
                request.extend_from_slice(format!("X-F{i}: v\r\n").as_bytes());
            }
            request.extend_from_slice(b"\r\n");
        }
    }
    c.exchange(&request, status, After::Either)
}

fn limits() -> (&'static str, Vec<Case>) {
    group(
        "limits",
        "8. Limits (RFC 9112 §3, RFC 9110 §15.5)",
        vec![
            (
                "Sends a 128 KiB request target",
                "A server answers a target longer than it will parse with 414 (RFC 9112 §3, RFC 9110 §15.5.15).",
                |c| oversized(c, "target", Status::OneOf(&[414, 431, 400])),
            ),
            (
                "Sends a 128 KiB field value",
                "A server answers fields larger than it will process with 431 (RFC 6585 §5) or 400.",
                |c| oversized(c, "field", Status::OneOf(&[431, 400, 413])),
            ),
            (
                "Sends 10000 fields",
                "A server answers more fields than it will process with 431 (RFC 6585 §5) or 400.",
                |c| oversized(c, "count", Status::OneOf(&[431, 400, 413])),
            ),
        ],
    )
}
