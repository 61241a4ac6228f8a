//! Message framing from the field section: Content-Length, Transfer-Encoding, Connection,
//! Host, Expect and Upgrade, read in one pass (RFC 9112 §6, §9.3; RFC 9110 §7.2, §7.8,
//! §10.1.1).

use crate::error::RecvError;
use http_core::field::{ContentLengthError, merge_content_length, trim_ows};

use crate::headers::HeaderMap;
use crate::scan;

/// How a message body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyLength {
    /// Exactly this many bytes (0: no body).
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the connection closes (responses only).
    UntilEof,
}

/// What the framing-relevant fields of one head say.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HeadFacts {
    pub(crate) content_length: Option<u64>,
    pub(crate) transfer_encoding: Option<TransferEncoding>,
    pub(crate) connection_close: bool,
    pub(crate) connection_keep_alive: bool,
    pub(crate) hosts: usize,
    pub(crate) host_valid: bool,
    pub(crate) expect_continue: bool,
    pub(crate) upgrade: bool,
}

/// The result of reading every Transfer-Encoding line as one list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransferEncoding {
    /// Exactly one `chunked`, and it is the only coding.
    Chunked,
    /// Well-formed, `chunked` once and last, but after codings we do not implement.
    ChunkedAfterOthers,
    /// Well-formed but `chunked` is not the final coding (or absent).
    NotChunked,
    /// Empty list elements, non-token codings, parameters, or `chunked` twice.
    Malformed,
}

/// Reads the framing fields of `headers`. Errors only for Content-Length problems, which
/// are malformed whatever the message; Transfer-Encoding verdicts depend on the role and
/// are returned as [`TransferEncoding`].
pub(crate) fn head_facts(headers: &HeaderMap) -> Result<HeadFacts, RecvError> {
    let mut facts = HeadFacts::default();
    let mut te = TeReader::default();
    for (name, value) in headers {
        // Dispatch on length first: most fields are none of these.
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"host") => {
                facts.hosts += 1;
                facts.host_valid = is_valid_host(value);
            }
            6 if name.eq_ignore_ascii_case(b"expect") => {
                // RFC 9110 §10.1.1: the only expectation defined.
                facts.expect_continue |= value.eq_ignore_ascii_case(b"100-continue");
            }
            7 if name.eq_ignore_ascii_case(b"upgrade") => facts.upgrade = true,
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for token in value.split(|&b| b == b',').map(trim_ows) {
                    if token.eq_ignore_ascii_case(b"close") {
                        facts.connection_close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        facts.connection_keep_alive = true;
                    }
                }
            }
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                facts.content_length = Some(
                    merge_content_length(facts.content_length, value).map_err(|e| match e {
                        ContentLengthError::Invalid => RecvError::InvalidContentLength,
                        ContentLengthError::Conflicting => RecvError::ConflictingContentLength,
                    })?,
                );
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => te.line(value),
            _ => {}
        }
    }
    facts.transfer_encoding = te.finish();
    Ok(facts)
}

/// `uri-host [ ":" port ]` (RFC 3986 §3.2.2): reg-name, IPv4 or a bracketed IP literal,
/// checked by byte class only. Empty is allowed (RFC 9112 §3.2: a target without an
/// authority is sent with an empty Host). Userinfo (`@`), paths and whitespace are not.
pub(crate) fn is_valid_host(value: &[u8]) -> bool {
    value.iter().all(|&b| HOST_BYTES[usize::from(b)])
}

/// unreserved / pct-encoded / sub-delims (RFC 3986 §2), plus `:` `[` `]` for the port
/// and IP literals.
static HOST_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let extra = b"-._~%!$&'()*+,;=:[]";
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    let mut b = 0;
    while b < 256 {
        if (b as u8).is_ascii_alphanumeric() {
            table[b] = true;
        }
        b += 1;
    }
    table
};

/// Whether `target` has a form RFC 9112 §3.2 allows for `method`.
pub(crate) fn is_valid_target_form(method: &[u8], target: &[u8]) -> bool {
    if method == b"CONNECT" {
        // authority-form: host ":" port, nothing else.
        return target.contains(&b':') && !target.starts_with(b"/") && is_valid_host(target);
    }
    match target {
        [b'/', ..] => true,
        b"*" => method == b"OPTIONS",
        // absolute-form: scheme "://" authority ... (RFC 3986 §3.1). The authority is
        // required: without it a target such as `example.com:80` is authority-form,
        // which only CONNECT may use.
        [first, rest @ ..] if first.is_ascii_alphabetic() => {
            let scheme_len = rest
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
                .count();
            rest[scheme_len..]
                .strip_prefix(b"://")
                .is_some_and(is_valid_absolute_authority)
        }
        _ => false,
    }
}

/// The authority of an absolute-form target, followed by the rest of the target: a
/// host must be present (RFC 9110 §4.2.1: a recipient MUST reject an `http` URI with an
/// empty host) and userinfo must not (RFC 9110 §4.2.4: its presence is an error).
fn is_valid_absolute_authority(after_slashes: &[u8]) -> bool {
    let end = after_slashes
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after_slashes.len());
    let authority = &after_slashes[..end];
    let host_len = match authority {
        [b'[', literal @ ..] => literal.iter().position(|&b| b == b']').unwrap_or(0),
        _ => authority
            .iter()
            .position(|&b| b == b':')
            .unwrap_or(authority.len()),
    };
    host_len > 0 && !authority.contains(&b'@') && is_valid_host(authority)
}

/// Reads Transfer-Encoding lines in order as one comma-separated list (RFC 9110 §5.3),
/// so that `chunked` on one line and `identity` on the next is not chunked
/// (CVE-2021-21299).
#[derive(Default)]
struct TeReader {
    present: bool,
    malformed: bool,
    chunked_count: usize,
    last_is_chunked: bool,
    others: bool,
}

impl TeReader {
    fn line(&mut self, value: &[u8]) {
        self.present = true;
        for coding in value.split(|&b| b == b',') {
            let coding = trim_ows(coding);
            // Parameters (`;q=`) are tokens too far: nothing we implement takes one.
            if !scan::is_token(coding) {
                self.malformed = true;
            } else if coding.eq_ignore_ascii_case(b"chunked") {
                self.chunked_count += 1;
                self.last_is_chunked = true;
            } else {
                self.others = true;
                self.last_is_chunked = false;
            }
        }
    }

    fn finish(self) -> Option<TransferEncoding> {
        if !self.present {
            return None;
        }
        Some(if self.malformed || self.chunked_count > 1 {
            TransferEncoding::Malformed
        } else if !self.last_is_chunked {
            TransferEncoding::NotChunked
        } else if self.others {
            TransferEncoding::ChunkedAfterOthers
        } else {
            TransferEncoding::Chunked
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content_length(lines: &[&[u8]]) -> Result<Option<u64>, RecvError> {
        let headers: HeaderMap = lines
            .iter()
            .map(|v| (&b"Content-Length"[..], v.to_vec()))
            .collect();
        head_facts(&headers).map(|facts| facts.content_length)
    }

    #[test]
    fn content_length_lines() {
        assert_eq!(content_length(&[]), Ok(None));
        assert_eq!(content_length(&[b"5, 5", b"5"]), Ok(Some(5)));
        assert_eq!(
            content_length(&[b"5", b"6"]),
            Err(RecvError::ConflictingContentLength)
        );
        assert_eq!(
            content_length(&[b"5", b"+5"]),
            Err(RecvError::InvalidContentLength)
        );
    }

    fn te(lines: &[&[u8]]) -> Option<TransferEncoding> {
        let headers: HeaderMap = lines
            .iter()
            .map(|v| (&b"Transfer-Encoding"[..], v.to_vec()))
            .collect();
        head_facts(&headers).unwrap().transfer_encoding
    }

    #[test]
    fn transfer_encoding_lists() {
        use TransferEncoding::*;
        assert_eq!(te(&[]), None);
        assert_eq!(te(&[b"chunked"]), Some(Chunked));
        assert_eq!(te(&[b"CHUNKED"]), Some(Chunked));
        assert_eq!(te(&[b"gzip, chunked"]), Some(ChunkedAfterOthers));
        assert_eq!(te(&[b"gzip", b"chunked"]), Some(ChunkedAfterOthers));
        assert_eq!(te(&[b"chunked", b"identity"]), Some(NotChunked));
        assert_eq!(te(&[b"chunked, gzip"]), Some(NotChunked));
        assert_eq!(te(&[b"gzip"]), Some(NotChunked));
        assert_eq!(te(&[b"xchunked"]), Some(NotChunked));
        assert_eq!(te(&[b"chunked, chunked"]), Some(Malformed));
        assert_eq!(te(&[b"chunked", b"chunked"]), Some(Malformed));
        assert_eq!(te(&[b",chunked"]), Some(Malformed));
        assert_eq!(te(&[b"chunked;q=1"]), Some(Malformed));
        assert_eq!(te(&[b"\"chunked\""]), Some(Malformed));
        assert_eq!(te(&[b""]), Some(Malformed));
    }
}
