//! The field grammar of RFC 9110 that more than one crate reads: tokens, optional
//! whitespace, Content-Length and the fields that belong to one connection only.
//!
//! Each rule has exactly one implementation here, so the HTTP/1.1 parser, the HTTP/2
//! validator and the drivers above them can never disagree about what a field means.

/// `tchar` (RFC 9110 §5.6.2): the bytes of methods, field names and transfer codings.
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let specials = b"!#$%&'*+-.^_`|~";
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = true;
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

/// Whether `b` may appear in a `token` (RFC 9110 §5.6.2).
#[inline(always)]
#[must_use]
pub fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// Whether `s` is a `token`: one or more `tchar` (RFC 9110 §5.6.2).
#[must_use]
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether `b` is optional whitespace, SP or HTAB (RFC 9110 §5.6.3).
#[inline(always)]
#[must_use]
pub fn is_ows(b: u8) -> bool {
    matches!(b, b' ' | b'\t')
}

/// `s` without the optional whitespace (RFC 9110 §5.6.3) at either end: the whitespace
/// around a field value or a list element is not part of it (RFC 9110 §5.5, §5.6.1).
#[must_use]
pub fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && is_ows(*first)
    {
        s = rest;
    }
    while let [rest @ .., last] = s
        && is_ows(*last)
    {
        s = rest;
    }
    s
}

/// Why a Content-Length field is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentLengthError {
    /// Not `1*DIGIT` (a sign, whitespace inside, an empty list element, a non-digit) or
    /// more than 64 bits (RFC 9110 §8.6; `+5` is CVE-2021-32715).
    Invalid,
    /// Values that differ, within one field line or across several (RFC 9112 §6.3
    /// item 5, RFC 9110 §8.6).
    Conflicting,
}

impl core::fmt::Display for ContentLengthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Invalid => "invalid content-length",
            Self::Conflicting => "conflicting content-length values",
        })
    }
}

impl std::error::Error for ContentLengthError {}

/// One Content-Length field value (RFC 9110 §8.6): `1*DIGIT`, or a comma-separated list
/// of identical values, which a recipient may accept as that one value (RFC 9110 §8.6,
/// RFC 9112 §6.3 item 5): `5, 5` is 5.
///
/// # Errors
/// [`ContentLengthError::Invalid`] for anything but digits (after trimming OWS around
/// each element) or an overflow; [`ContentLengthError::Conflicting`] for differing
/// values.
pub fn parse_content_length(value: &[u8]) -> Result<u64, ContentLengthError> {
    // The common case, one plain number, without the list machinery.
    if let Some(n) = parse_digits(value) {
        return Ok(n);
    }
    // Junk anywhere is `Invalid` even after a conflict, so the verdict does not depend
    // on the order of the elements.
    let (mut first, mut conflicting) = (None, false);
    for element in value.split(|&b| b == b',') {
        let n = parse_digits(trim_ows(element)).ok_or(ContentLengthError::Invalid)?;
        conflicting |= *first.get_or_insert(n) != n;
    }
    match first {
        Some(_) if conflicting => Err(ContentLengthError::Conflicting),
        Some(n) => Ok(n),
        None => Err(ContentLengthError::Invalid),
    }
}

/// Folds one more Content-Length field line into what the earlier lines of the same
/// section said: every line must agree (RFC 9112 §6.3 item 5, RFC 9113 §8.1.1).
///
/// # Errors
/// As [`parse_content_length`], and [`ContentLengthError::Conflicting`] when this line
/// disagrees with `previous`.
pub fn merge_content_length(
    previous: Option<u64>,
    value: &[u8],
) -> Result<u64, ContentLengthError> {
    let n = parse_content_length(value)?;
    match previous {
        Some(previous) if previous != n => Err(ContentLengthError::Conflicting),
        _ => Ok(n),
    }
}

/// `1*DIGIT` without overflow, or `None`.
fn parse_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// The fields that describe one HTTP/1.1 connection rather than the message, which
/// HTTP/2 forbids (RFC 9113 §8.2.2), lowercase. `te` is the exception with a value:
/// see [`is_connection_specific`].
pub const CONNECTION_SPECIFIC_FIELDS: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

/// Whether a field may not be sent over HTTP/2 (RFC 9113 §8.2.2): one of
/// [`CONNECTION_SPECIFIC_FIELDS`] (any case), or `te` with a value other than
/// `trailers`.
#[must_use]
pub fn is_connection_specific(name: &[u8], value: &[u8]) -> bool {
    match name.len() {
        2 => name.eq_ignore_ascii_case(b"te") && !value.eq_ignore_ascii_case(b"trailers"),
        _ => CONNECTION_SPECIFIC_FIELDS
            .iter()
            .any(|field| name.eq_ignore_ascii_case(field.as_bytes())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens() {
        assert!(is_token(b"GET"));
        assert!(is_token(b"x-custom_field.1~!#$%&'*+^`|"));
        for bad in [
            &b""[..],
            b"a b",
            b"a:b",
            b"a\"b",
            b"(a)",
            b"a\x7f",
            b"\x80",
            b"a,b",
        ] {
            assert!(!is_token(bad), "{bad:?}");
        }
        let tchars = (0..=255u8).filter(|&b| is_tchar(b)).count();
        // 26 * 2 letters, 10 digits, 15 specials.
        assert_eq!(tchars, 77);
    }

    #[test]
    fn ows() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"ab"), b"ab");
        assert_eq!(trim_ows(b" \t "), b"");
        assert_eq!(trim_ows(b""), b"");
        // Only SP and HTAB are OWS: other whitespace is part of the value.
        assert_eq!(trim_ows(b"\r\na\x0b"), b"\r\na\x0b");
    }

    #[test]
    fn content_length_values() {
        assert_eq!(parse_content_length(b"0"), Ok(0));
        assert_eq!(parse_content_length(b"42"), Ok(42));
        assert_eq!(parse_content_length(b"5, 5"), Ok(5));
        assert_eq!(parse_content_length(b"5,5 ,\t5"), Ok(5));
        assert_eq!(parse_content_length(b"007"), Ok(7));
        assert_eq!(parse_content_length(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [
            &b""[..],
            b" ",
            b"+5",
            b"-1",
            b"5 5",
            b"0x10",
            b"5,",
            b",5",
            b"5,,5",
            b"18446744073709551616",
            b"1e3",
            b"\xd9\xa5",
        ] {
            assert_eq!(
                parse_content_length(bad),
                Err(ContentLengthError::Invalid),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_content_length(b"4, 5"),
            Err(ContentLengthError::Conflicting)
        );
    }

    #[test]
    fn content_length_lines_must_agree() {
        assert_eq!(merge_content_length(None, b"5"), Ok(5));
        assert_eq!(merge_content_length(Some(5), b"5, 5"), Ok(5));
        assert_eq!(
            merge_content_length(Some(5), b"6"),
            Err(ContentLengthError::Conflicting)
        );
        assert_eq!(
            merge_content_length(Some(5), b"x"),
            Err(ContentLengthError::Invalid)
        );
    }

    #[test]
    fn connection_specific_fields() {
        for name in CONNECTION_SPECIFIC_FIELDS {
            assert!(is_connection_specific(name.as_bytes(), b""));
            assert!(is_connection_specific(
                name.to_ascii_uppercase().as_bytes(),
                b"x"
            ));
        }
        assert!(is_connection_specific(b"te", b"gzip"));
        assert!(!is_connection_specific(b"te", b"trailers"));
        assert!(!is_connection_specific(b"TE", b"Trailers"));
        assert!(!is_connection_specific(b"content-length", b"5"));
        assert!(!is_connection_specific(b"host", b"a"));
    }

    proptest! {
        #[test]
        fn content_length_matches_a_reference(value in "[0-9 ,\t+x-]{0,24}") {
            // Reference: split the list, trim, every element must be a u64 written in
            // plain digits, and all must be equal.
            let elements: Vec<&str> = value.split(',').map(|e| e.trim_matches([' ', '\t'])).collect();
            let numbers: Option<Vec<u64>> = elements
                .iter()
                .map(|e| {
                    (!e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| e.parse::<u64>().ok())
                        .flatten()
                })
                .collect();
            let expected = match numbers {
                None => Err(ContentLengthError::Invalid),
                Some(ns) if ns.windows(2).any(|w| w[0] != w[1]) => Err(ContentLengthError::Conflicting),
                Some(ns) => Ok(ns[0]),
            };
            prop_assert_eq!(parse_content_length(value.as_bytes()), expected);
        }

        #[test]
        fn any_u64_round_trips(n: u64, copies in 1usize..4, pad in "[ \t]{0,2}") {
            let list = vec![format!("{pad}{n}{pad}"); copies].join(",");
            prop_assert_eq!(parse_content_length(list.as_bytes()), Ok(n));
        }

        #[test]
        fn trim_ows_only_strips_the_ends(s in proptest::collection::vec(any::<u8>(), 0..16)) {
            let t = trim_ows(&s);
            prop_assert!(!t.first().is_some_and(|&b| is_ows(b)));
            prop_assert!(!t.last().is_some_and(|&b| is_ows(b)));
            // A contiguous piece of the input, with only OWS cut from either side.
            let start = s.iter().position(|&b| !is_ows(b)).unwrap_or(s.len());
            prop_assert_eq!(t, &s[start..start + t.len()]);
            prop_assert!(s[start + t.len()..].iter().all(|&b| is_ows(b)));
        }
    }
}
