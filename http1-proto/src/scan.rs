//! Byte classes and the scanning loops the parser spends its time in.
//!
//! Long runs (field values, request-targets, the search for the end of a head) are scanned
//! eight bytes at a time with SWAR word tricks in safe code; short runs (methods, field
//! names) go through a 256-entry class table, one lookup per byte and no branches on the
//! byte's value.

pub(crate) use http_core::field::{is_tchar, is_token};

/// Whether `b` may appear in a field value or reason phrase: HTAB, SP, VCHAR, obs-text
/// (RFC 9110 §5.5, RFC 9112 §4).
#[inline(always)]
pub(crate) fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// Index of the first token byte-run end at or after `i`.
#[inline(always)]
pub(crate) fn skip_tchars(buf: &[u8], mut i: usize) -> usize {
    while let Some(&b) = buf.get(i) {
        if !is_tchar(b) {
            break;
        }
        i += 1;
    }
    i
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `x` that is below `n` (n <= 128). Bytes above the lowest
/// flagged one may be flagged falsely (borrows propagate upwards), so only the lowest set
/// bit is meaningful; the scanners only ever use that one.
#[inline(always)]
const fn bytes_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(LO * n as u64) & !x & HI
}

/// High bit set in each byte of `x` equal to `b` (lowest set bit exact, as above).
#[inline(always)]
const fn bytes_equal(x: u64, b: u8) -> u64 {
    bytes_below(x ^ (LO * b as u64), 1)
}

#[inline(always)]
fn word_at(buf: &[u8], i: usize) -> Option<u64> {
    buf.get(i..)?
        .first_chunk::<8>()
        .map(|w| u64::from_le_bytes(*w))
}

/// Index of the first byte at or after `i` that is a control character (< 0x20, which
/// includes HTAB, CR and LF) or DEL, or `buf.len()`. Field values and reason phrases run
/// until such a byte; the caller decides whether it is HTAB, CRLF or an error.
#[inline(always)]
pub(crate) fn find_ctl(buf: &[u8], mut i: usize) -> usize {
    while let Some(x) = word_at(buf, i) {
        let hits = bytes_below(x, 0x20) | bytes_equal(x, 0x7f);
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = buf.get(i) {
        if b < 0x20 || b == 0x7f {
            return i;
        }
        i += 1;
    }
    i
}

/// Index of the first byte at or after `i` that cannot be in a strict request-target
/// (anything but VCHAR 0x21..=0x7E), or `buf.len()`.
#[inline(always)]
pub(crate) fn find_non_vchar(buf: &[u8], mut i: usize) -> usize {
    while let Some(x) = word_at(buf, i) {
        let hits = bytes_below(x, 0x21) | bytes_equal(x, 0x7f) | (x & HI);
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = buf.get(i) {
        if !(0x21..0x7f).contains(&b) {
            return i;
        }
        i += 1;
    }
    i
}

/// [`skip_tchars`] eight bytes per step: one branch per block of eight `tchar`s instead
/// of one per byte, and the per-byte loop only for the last partial block.
#[inline(always)]
pub(crate) fn skip_tchars_blocks(buf: &[u8], mut i: usize) -> usize {
    while let Some(block) = buf.get(i..).and_then(|s| s.first_chunk::<8>()) {
        if !all_tchar(block) {
            break;
        }
        i += 8;
    }
    skip_tchars(buf, i)
}

/// Whether every byte of `s` is a `tchar`, without an early exit (no branch per byte).
#[inline(always)]
pub(crate) fn all_tchar(s: &[u8]) -> bool {
    s.iter().fold(true, |ok, &b| ok & is_tchar(b))
}

/// Like [`find_non_vchar`] but lets obs-text (0x80..=0xFF) through.
pub(crate) fn find_target_end_lenient(buf: &[u8], mut i: usize) -> usize {
    while let Some(&b) = buf.get(i) {
        if b <= 0x20 || b == 0x7f {
            return i;
        }
        i += 1;
    }
    i
}

/// Index of the first LF at or after `i`, or `None`.
#[inline(always)]
pub(crate) fn find_lf(buf: &[u8], mut i: usize) -> Option<usize> {
    while let Some(x) = word_at(buf, i) {
        let hits = bytes_equal(x, b'\n');
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    while let Some(&b) = buf.get(i) {
        if b == b'\n' {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Where a field section that starts at offset 0 ends: the offset just past the first
/// empty line (`\r\n` or a bare `\n`), searching from `from` (a previous search's resume
/// point, so a head arriving byte by byte is scanned once, as picohttpparser's
/// `last_len`). Returns `Err(resume)` when no end is in `buf` yet.
///
/// This only finds a candidate: the parser validates every line, bare LFs included.
pub(crate) fn find_section_end(buf: &[u8], from: usize) -> Result<usize, usize> {
    // An empty section is only an empty line; checked whatever `from` says, since a
    // search over a lone `\r` resumes past it.
    match buf {
        [b'\r', b'\n', ..] => return Ok(2),
        [b'\n', ..] => return Ok(1),
        _ => {}
    }
    let mut i = from;
    while let Some(lf) = find_lf(buf, i) {
        match (buf.get(lf + 1), buf.get(lf + 2)) {
            (Some(b'\n'), _) => return Ok(lf + 2),
            (Some(b'\r'), Some(b'\n')) => return Ok(lf + 3),
            (None, _) | (Some(b'\r'), None) => return Err(lf),
            _ => i = lf + 1,
        }
    }
    Err(buf.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_scanners_match_bytewise_definitions() {
        for len in 0..40 {
            for pos in 0..len {
                for special in [0u8, b'\t', b'\r', b'\n', 0x1f, 0x7f, 0x80, b' ', 0xff, b':'] {
                    let mut buf = vec![b'a'; len];
                    buf[pos] = special;
                    let ctl = buf.iter().position(|&b| b < 0x20 || b == 0x7f);
                    assert_eq!(find_ctl(&buf, 0), ctl.unwrap_or(len), "{buf:?}");
                    let vchar = buf.iter().position(|&b| !(0x21..0x7f).contains(&b));
                    assert_eq!(find_non_vchar(&buf, 0), vchar.unwrap_or(len), "{buf:?}");
                    let name = buf.iter().position(|&b| !is_tchar(b));
                    assert_eq!(skip_tchars_blocks(&buf, 0), name.unwrap_or(len), "{buf:?}");
                    let lf = buf.iter().position(|&b| b == b'\n');
                    assert_eq!(find_lf(&buf, 0), lf, "{buf:?}");
                }
            }
        }
    }

    #[test]
    fn swar_first_hit_is_exact_with_borrows_above() {
        // A low byte that borrows must not hide or fake the first hit.
        let buf = [b'a', b'b', 0x00, 0x01, b'\n', 0x7f, 0x20, 0x1f];
        assert_eq!(find_ctl(&buf, 0), 2);
        assert_eq!(find_lf(&buf, 0), Some(4));
        let buf = [b'a', 0x80, 0x00, b'b', b'c', b'd', b'e', b'f'];
        assert_eq!(find_ctl(&buf, 0), 2);
        assert_eq!(find_non_vchar(&buf, 0), 1);
    }

    #[test]
    fn section_end_resumes() {
        assert_eq!(find_section_end(b"\r\n", 0), Ok(2));
        assert_eq!(find_section_end(b"a: b\r\n\r\n", 0), Ok(8));
        assert_eq!(find_section_end(b"a: b\r\n\r", 0), Err(5));
        assert_eq!(find_section_end(b"a: b\r\n\r\nrest", 5), Ok(8));
        assert_eq!(find_section_end(b"a: b\n\n", 0), Ok(6));
        assert_eq!(find_section_end(b"a: b\r\nc: d", 0), Err(10));
        assert_eq!(find_section_end(b"\r", 0), Err(1));
        assert_eq!(find_section_end(b"\r\n", 1), Ok(2));
    }
}
