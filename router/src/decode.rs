//! Percent-decoding of parameter values (RFC 3986 §2.1).
//!
//! The router matches the raw path, so `%2F` inside a segment stays inside that segment's
//! parameter; the caller decodes the captured value afterwards, once it knows it wants it.

use std::borrow::Cow;

use crate::DecodeError;

/// Percent-decodes `s` (RFC 3986 §2.1): every `%XY` becomes the byte `0xXY`.
///
/// Returns the input unchanged (borrowed, no allocation) when it holds no `%`. A `%` not
/// followed by two hexadecimal digits, or decoded bytes that are not UTF-8, give an error.
/// `+` is left alone: it means a space only in form bodies, not in paths.
///
/// ```
/// assert_eq!(weft_router::percent_decode("a%20b").unwrap(), "a b");
/// assert_eq!(weft_router::percent_decode("plain").unwrap(), "plain");
/// assert!(weft_router::percent_decode("bad%2").is_err());
/// ```
pub fn percent_decode(s: &str) -> Result<Cow<'_, str>, DecodeError> {
    let bytes = s.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'%') else {
        return Ok(Cow::Borrowed(s));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(DecodeError::InvalidEscape { offset: i }),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| DecodeError::InvalidUtf8)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_keeps_plain_input_borrowed() {
        assert!(matches!(percent_decode("abc"), Ok(Cow::Borrowed("abc"))));
        assert_eq!(percent_decode("%41%62c").unwrap(), "Abc");
        assert_eq!(percent_decode("a%2Fb%2fc").unwrap(), "a/b/c");
        assert_eq!(percent_decode("%E2%82%AC").unwrap(), "\u{20ac}");
        assert_eq!(percent_decode("a+b").unwrap(), "a+b");
    }

    #[test]
    fn refuses_bad_escapes_and_bad_utf8() {
        assert_eq!(
            percent_decode("%"),
            Err(DecodeError::InvalidEscape { offset: 0 })
        );
        assert_eq!(
            percent_decode("ab%4"),
            Err(DecodeError::InvalidEscape { offset: 2 })
        );
        assert_eq!(
            percent_decode("%zz"),
            Err(DecodeError::InvalidEscape { offset: 0 })
        );
        assert_eq!(
            percent_decode("%41%g1"),
            Err(DecodeError::InvalidEscape { offset: 3 })
        );
        assert_eq!(percent_decode("%FF"), Err(DecodeError::InvalidUtf8));
        assert_eq!(percent_decode("%C3"), Err(DecodeError::InvalidUtf8));
    }
}
