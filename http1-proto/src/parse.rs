//! The pure layer: request and response heads, field sections and chunk-size lines parsed
//! from `&[u8]`, httparse-style (stateless, no allocation beyond the caller's field
//! vector), with every RFC 9112 rule enforced unless a [`Leniency`] flag relaxes it.
//!
//! Results are offsets ([`Span`]) into the input rather than borrowed slices, so a caller
//! holding the input in a `BytesMut` can `split_to(head_len).freeze()` it and turn each span
//! into a zero-copy `Bytes` with `slice`.

use crate::config::{Config, Leniency};
use crate::error::ParseError;
use crate::head::Version;
use crate::scan;

/// Outcome of parsing input that may not be complete yet. Incomplete input is not an
/// error (httparse's `Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status<T> {
    /// Parsed; the value says how far.
    Complete(T),
    /// More bytes are needed.
    Partial,
}

/// A byte range `start..end` of the parsed input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The bytes this span covers in `buf` (the buffer that was parsed), or an empty
    /// slice if `buf` is not that buffer.
    pub fn of<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One field line: name and value, the value stripped of surrounding whitespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Field {
    /// The field name, case as received.
    pub name: Span,
    /// The field value without leading or trailing OWS.
    pub value: Span,
}

/// A parsed request line; the fields are in the caller's vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedRequest {
    /// The method token.
    pub method: Span,
    /// The request-target.
    pub target: Span,
    /// The version (1.2 to 1.9 read as 1.1).
    pub version: Version,
    /// Bytes from the start of the input through the blank line; the body starts here.
    pub head_len: usize,
}

/// A parsed status line; the fields are in the caller's vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedResponse {
    /// The version.
    pub version: Version,
    /// The status code, 100..=999.
    pub status: u16,
    /// The reason phrase (possibly empty).
    pub reason: Span,
    /// Bytes from the start of the input through the blank line.
    pub head_len: usize,
}

/// A parsed chunk-size line (RFC 9112 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkLine {
    /// The chunk size; 0 is the last chunk.
    pub size: u64,
    /// Bytes of the line that carry nothing: the chunk extensions (everything between
    /// the size and the line end) and the size's leading zeros (all but one digit of a
    /// zero size). They cost the sender nothing, so they are what the chunk-extension
    /// budgets ([`Limits`](crate::Limits)) count, per line and per message.
    pub overhead_len: usize,
    /// Bytes of the whole line including its line end.
    pub line_len: usize,
}

type ParseResult<T> = Result<Status<T>, ParseError>;

/// Parses a request head (RFC 9112 §2.1, §3, §5). Fields go into `fields` (cleared first).
///
/// Leading empty lines are skipped (RFC 9112 §2.2). Only the first
/// `config.limits.max_head_bytes` bytes are ever looked at: a head that has not ended by
/// then is [`ParseError::HeadTooLarge`] however much more input there is.
///
/// # Errors
/// The first rule the input breaks; see [`ParseError`] and its `status_hint`.
pub fn parse_request_head(
    buf: &[u8],
    config: &Config,
    fields: &mut Vec<Field>,
) -> ParseResult<ParsedRequest> {
    fields.clear();
    let limited = limit(buf, config.limits.max_head_bytes);
    let parsed = request_head(limited, config, fields);
    over_limit_if_partial(parsed, buf.len(), config.limits.max_head_bytes)
}

/// Parses a response head (RFC 9112 §4, §5). Fields go into `fields` (cleared first).
/// A missing reason phrase (`HTTP/1.1 200\r\n`) is accepted: clients ignore the reason.
///
/// # Errors
/// The first rule the input breaks; see [`ParseError`].
pub fn parse_response_head(
    buf: &[u8],
    config: &Config,
    fields: &mut Vec<Field>,
) -> ParseResult<ParsedResponse> {
    fields.clear();
    let limited = limit(buf, config.limits.max_head_bytes);
    let parsed = response_head(limited, config, fields);
    over_limit_if_partial(parsed, buf.len(), config.limits.max_head_bytes)
}

/// Parses a field section that ends with an empty line, such as the trailer section of a
/// chunked body (RFC 9112 §7.1.2). Returns the bytes consumed.
///
/// # Errors
/// The first rule the input breaks; see [`ParseError`].
pub fn parse_fields(buf: &[u8], config: &Config, fields: &mut Vec<Field>) -> ParseResult<usize> {
    fields.clear();
    let limited = limit(buf, config.limits.max_head_bytes);
    let parsed = field_section(limited, 0, config, true, fields);
    over_limit_if_partial(parsed, buf.len(), config.limits.max_head_bytes)
}

fn limit(buf: &[u8], max: usize) -> &[u8] {
    buf.get(..max).unwrap_or(buf)
}

fn over_limit_if_partial<T>(parsed: ParseResult<T>, len: usize, max: usize) -> ParseResult<T> {
    match parsed {
        Ok(Status::Partial) if len >= max => Err(ParseError::HeadTooLarge),
        other => other,
    }
}

/// Consumes a line end at `i`: CRLF, or LF alone when allowed. Returns the index after it.
#[inline(always)]
fn line_end(buf: &[u8], i: usize, leniency: &Leniency) -> ParseResult<usize> {
    match buf.get(i) {
        Some(b'\r') => match buf.get(i + 1) {
            Some(b'\n') => Ok(Status::Complete(i + 2)),
            Some(_) => Err(ParseError::BareCr),
            None => Ok(Status::Partial),
        },
        Some(b'\n') if leniency.bare_lf => Ok(Status::Complete(i + 1)),
        Some(b'\n') => Err(ParseError::BareLf),
        Some(_) => Err(ParseError::Version),
        None => Ok(Status::Partial),
    }
}

macro_rules! complete {
    ($e:expr) => {
        match $e {
            Status::Complete(value) => value,
            Status::Partial => return Ok(Status::Partial),
        }
    };
}

fn request_head(
    buf: &[u8],
    config: &Config,
    fields: &mut Vec<Field>,
) -> ParseResult<ParsedRequest> {
    let leniency = &config.leniency;
    let mut i = 0;
    // RFC 9112 §2.2: a server SHOULD ignore empty lines before the request-line.
    loop {
        match buf.get(i) {
            Some(b'\r' | b'\n') => i = complete!(line_end(buf, i, leniency)?),
            Some(_) => break,
            None => return Ok(Status::Partial),
        }
    }

    let method_start = i;
    i = scan::skip_tchars(buf, i);
    match buf.get(i) {
        Some(b' ') if i > method_start => {}
        None => return Ok(Status::Partial),
        _ => return Err(ParseError::Method),
    }
    let method = Span {
        start: method_start,
        end: i,
    };
    i += 1;

    let target_start = i;
    i = if leniency.non_ascii_target {
        scan::find_target_end_lenient(buf, i)
    } else {
        scan::find_non_vchar(buf, i)
    };
    if i - target_start > config.limits.max_target_bytes {
        return Err(ParseError::TargetTooLong);
    }
    match buf.get(i) {
        Some(b' ') if i > target_start => {}
        Some(b' ') => return Err(ParseError::Delimiter),
        // "GET /\r\n" is HTTP/0.9, which has no version and no place here.
        Some(b'\r' | b'\n') => return Err(ParseError::Version),
        None => return Ok(Status::Partial),
        Some(_) => return Err(ParseError::Target),
    }
    let target = Span {
        start: target_start,
        end: i,
    };
    i += 1;

    let version = complete!(parse_version(buf, i)?);
    i += 8;
    i = match line_end(buf, i, leniency)? {
        Status::Complete(next) => next,
        Status::Partial => return Ok(Status::Partial),
    };
    let head_len = complete!(field_section(buf, i, config, true, fields)?);
    Ok(Status::Complete(ParsedRequest {
        method,
        target,
        version,
        head_len,
    }))
}

/// Parses `HTTP/1.x` at `i` (exactly eight bytes, RFC 9112 §2.3).
#[inline(always)]
fn parse_version(buf: &[u8], i: usize) -> ParseResult<Version> {
    let Some(rest) = buf.get(i..) else {
        return Ok(Status::Partial);
    };
    let Some(word) = rest.first_chunk::<8>() else {
        // Refuse garbage before waiting for more of it.
        let prefix = rest.get(..5).unwrap_or(rest);
        if !b"HTTP/".starts_with(prefix) {
            return Err(ParseError::Version);
        }
        return Ok(Status::Partial);
    };
    match word {
        b"HTTP/1.1" => Ok(Status::Complete(Version::Http11)),
        b"HTTP/1.0" => Ok(Status::Complete(Version::Http10)),
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            if *major == b'1' {
                Ok(Status::Complete(Version::Http11))
            } else {
                Err(ParseError::UnsupportedVersion)
            }
        }
        _ => Err(ParseError::Version),
    }
}

fn response_head(
    buf: &[u8],
    config: &Config,
    fields: &mut Vec<Field>,
) -> ParseResult<ParsedResponse> {
    let leniency = &config.leniency;
    let version = complete!(parse_version(buf, 0)?);
    let mut i = 8;
    match buf.get(i) {
        Some(b' ') => i += 1,
        None => return Ok(Status::Partial),
        Some(_) => return Err(ParseError::Delimiter),
    }
    let mut status: u16 = 0;
    for _ in 0..3 {
        match buf.get(i) {
            Some(d) if d.is_ascii_digit() => status = status * 10 + u16::from(d - b'0'),
            None => return Ok(Status::Partial),
            Some(_) => return Err(ParseError::Status),
        }
        i += 1;
    }
    if status < 100 {
        return Err(ParseError::Status);
    }
    let reason_start;
    match buf.get(i) {
        Some(b' ') => {
            i += 1;
            reason_start = i;
            loop {
                i = scan::find_ctl(buf, i);
                match buf.get(i) {
                    Some(b'\t') => i += 1,
                    Some(b'\r' | b'\n') => break,
                    None => return Ok(Status::Partial),
                    Some(_) => return Err(ParseError::Reason),
                }
            }
        }
        Some(b'\r' | b'\n') => reason_start = i,
        None => return Ok(Status::Partial),
        Some(_) => return Err(ParseError::Status),
    }
    let reason = Span {
        start: reason_start,
        end: i,
    };
    i = match line_end(buf, i, leniency)? {
        Status::Complete(next) => next,
        Status::Partial => return Ok(Status::Partial),
    };
    let head_len = complete!(field_section(buf, i, config, false, fields)?);
    Ok(Status::Complete(ParsedResponse {
        version,
        status,
        reason,
        head_len,
    }))
}

/// Parses field lines from `i` through the empty line that ends the section.
fn field_section(
    buf: &[u8],
    mut i: usize,
    config: &Config,
    is_request: bool,
    fields: &mut Vec<Field>,
) -> ParseResult<usize> {
    let leniency = &config.leniency;
    loop {
        match buf.get(i) {
            Some(b'\r') => {
                return match buf.get(i + 1) {
                    Some(b'\n') => Ok(Status::Complete(i + 2)),
                    Some(_) => Err(ParseError::BareCr),
                    None => Ok(Status::Partial),
                };
            }
            Some(b'\n') if leniency.bare_lf => return Ok(Status::Complete(i + 1)),
            Some(b'\n') => return Err(ParseError::BareLf),
            // obs-fold, or whitespace before the first field (RFC 9112 §2.2, §5.2).
            Some(b' ' | b'\t') => return Err(ParseError::ObsFold),
            Some(_) => {}
            None => return Ok(Status::Partial),
        }
        if fields.len() >= config.limits.max_headers {
            return Err(ParseError::TooManyHeaders);
        }

        let name_start = i;
        i = scan::skip_tchars_blocks(buf, i);
        let name_end = i;
        match buf.get(i) {
            Some(b':') if i > name_start => i += 1,
            Some(b' ' | b'\t') if i > name_start => {
                if is_request || !leniency.space_before_colon_in_responses {
                    return Err(ParseError::SpaceBeforeColon);
                }
                while let Some(b' ' | b'\t') = buf.get(i) {
                    i += 1;
                }
                match buf.get(i) {
                    Some(b':') => i += 1,
                    None => return Ok(Status::Partial),
                    Some(_) => return Err(ParseError::FieldName),
                }
            }
            None => return Ok(Status::Partial),
            Some(_) => return Err(ParseError::FieldName),
        }

        while let Some(b' ' | b'\t') = buf.get(i) {
            i += 1;
        }
        let value_start = i;
        let value_line_end;
        loop {
            i = scan::find_ctl(buf, i);
            match buf.get(i) {
                Some(b'\t') => i += 1,
                Some(b'\r') => match buf.get(i + 1) {
                    Some(b'\n') => {
                        value_line_end = i;
                        i += 2;
                        break;
                    }
                    Some(_) => return Err(ParseError::BareCr),
                    None => return Ok(Status::Partial),
                },
                Some(b'\n') if leniency.bare_lf => {
                    value_line_end = i;
                    i += 1;
                    break;
                }
                Some(b'\n') => return Err(ParseError::BareLf),
                None => return Ok(Status::Partial),
                Some(_) => return Err(ParseError::FieldValue),
            }
        }
        let mut value_end = value_line_end;
        while value_end > value_start && matches!(buf.get(value_end - 1), Some(b' ' | b'\t')) {
            value_end -= 1;
        }
        fields.push(Field {
            name: Span {
                start: name_start,
                end: name_end,
            },
            value: Span {
                start: value_start,
                end: value_end,
            },
        });
    }
}

/// Parses a chunk-size line with its extensions (RFC 9112 §7.1, §7.1.1):
/// `1*HEXDIG *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] ) CRLF`.
///
/// Extensions are validated and counted, not returned: nothing in HTTP/1.1 defines one,
/// and h11 and hyper drop them too. Leading zeros of the size are counted with them: both
/// are filler a peer can send for free. At most `max_chunk_ext_per_line` such bytes (plus
/// the significant size digits) are scanned, however long the input.
///
/// # Errors
/// [`ParseError::ChunkSize`], [`ParseError::ChunkSizeOverflow`],
/// [`ParseError::ChunkExtension`], [`ParseError::ChunkExtensionTooLong`], or a line-end
/// error.
pub fn parse_chunk_line(buf: &[u8], config: &Config) -> ParseResult<ChunkLine> {
    let leniency = &config.leniency;
    let max_overhead = config.limits.max_chunk_ext_per_line;
    let mut size: u64 = 0;
    // Zeros before the first significant digit; a zero size keeps one of them.
    let mut zeros = 0;
    let mut i = 0;
    while let Some(&b) = buf.get(i) {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => break,
        };
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(digit)))
            .ok_or(ParseError::ChunkSizeOverflow)?;
        if size == 0 {
            zeros += 1;
        }
        i += 1;
        // Leading zeros never overflow: bound them like extension bytes.
        if zeros > max_overhead + 1 {
            return Err(ParseError::ChunkExtensionTooLong);
        }
    }
    match buf.get(i) {
        None => return Ok(Status::Partial),
        Some(_) if i == 0 => return Err(ParseError::ChunkSize),
        Some(_) => {}
    }
    // A zero size's last zero is its digit; other leading zeros are filler.
    let leading = if size == 0 { zeros - 1 } else { zeros };
    if leading > max_overhead {
        return Err(ParseError::ChunkExtensionTooLong);
    }
    let max_ext = max_overhead - leading;
    let ext_start = i;
    let too_long = |i: usize| i - ext_start > max_ext;
    loop {
        if too_long(i) {
            return Err(ParseError::ChunkExtensionTooLong);
        }
        match buf.get(i) {
            Some(b'\r' | b'\n') => {
                let overhead_len = leading + (i - ext_start);
                let line_len = complete!(line_end(buf, i, leniency).map_err(|e| match e {
                    ParseError::Version => ParseError::ChunkSize,
                    other => other,
                })?);
                return Ok(Status::Complete(ChunkLine {
                    size,
                    overhead_len,
                    line_len,
                }));
            }
            Some(b' ' | b'\t') => {
                i = skip_ws(buf, i);
                match buf.get(i) {
                    Some(b';') => {}
                    Some(b'\r' | b'\n') if leniency.whitespace_after_chunk_size => {}
                    None if !too_long(i) => return Ok(Status::Partial),
                    None => return Err(ParseError::ChunkExtensionTooLong),
                    Some(_) => return Err(ParseError::ChunkSize),
                }
            }
            Some(b';') => {
                i = skip_ws(buf, i + 1);
                let name_start = i;
                i = scan::skip_tchars(buf, i);
                match buf.get(i) {
                    None if !too_long(i) => return Ok(Status::Partial),
                    None => return Err(ParseError::ChunkExtensionTooLong),
                    Some(_) if i == name_start => return Err(ParseError::ChunkExtension),
                    Some(_) => {}
                }
                let after_name = i;
                i = skip_ws(buf, i);
                match buf.get(i) {
                    Some(b'=') => {
                        i = skip_ws(buf, i + 1);
                        i = complete!(extension_value(buf, i, ext_start + max_ext)?);
                    }
                    // Whitespace must lead to `=` or `;`, never to the line end.
                    Some(b'\r' | b'\n') if i != after_name => {
                        return Err(ParseError::ChunkExtension);
                    }
                    Some(_) => {}
                    None if !too_long(i) => return Ok(Status::Partial),
                    None => return Err(ParseError::ChunkExtensionTooLong),
                }
            }
            None => return Ok(Status::Partial),
            Some(_) => return Err(ParseError::ChunkSize),
        }
    }
}

fn skip_ws(buf: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t') = buf.get(i) {
        i += 1;
    }
    i
}

/// A token or quoted-string (RFC 9110 §5.6.4) at `i`; returns the index after it.
/// Scans no further than `max_end`.
fn extension_value(buf: &[u8], mut i: usize, max_end: usize) -> ParseResult<usize> {
    match buf.get(i) {
        Some(b'"') => {
            i += 1;
            loop {
                if i > max_end {
                    return Err(ParseError::ChunkExtensionTooLong);
                }
                match buf.get(i) {
                    Some(b'"') => return Ok(Status::Complete(i + 1)),
                    Some(b'\\') => match buf.get(i + 1) {
                        Some(&b) if scan::is_value_byte(b) => i += 2,
                        None => return Ok(Status::Partial),
                        Some(_) => return Err(ParseError::ChunkExtension),
                    },
                    Some(&b) if scan::is_value_byte(b) => i += 1,
                    None => return Ok(Status::Partial),
                    Some(_) => return Err(ParseError::ChunkExtension),
                }
            }
        }
        Some(_) => {
            let start = i;
            i = scan::skip_tchars(buf, i);
            match buf.get(i) {
                None if i > max_end => Err(ParseError::ChunkExtensionTooLong),
                None => Ok(Status::Partial),
                Some(_) if i == start => Err(ParseError::ChunkExtension),
                Some(_) => Ok(Status::Complete(i)),
            }
        }
        None => Ok(Status::Partial),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(input: &[u8]) -> ParseResult<ChunkLine> {
        parse_chunk_line(input, &Config::server())
    }

    #[test]
    fn chunk_lines() {
        let ok = |size, overhead_len, line_len| {
            Ok(Status::Complete(ChunkLine {
                size,
                overhead_len,
                line_len,
            }))
        };
        assert_eq!(chunk(b"0\r\n"), ok(0, 0, 3));
        assert_eq!(chunk(b"fF\r\nxx"), ok(255, 0, 4));
        assert_eq!(chunk(b"ffffffffffffffff\r\n"), ok(u64::MAX, 0, 18));
        assert_eq!(chunk(b"5;a\r\n"), ok(5, 2, 5));
        assert_eq!(chunk(b"5 ; a = b\r\n"), ok(5, 8, 11));
        assert_eq!(chunk(b"5;a=\"x;\\\"y\"\r\n"), ok(5, 10, 13));
        assert_eq!(chunk(b"5;a;b=c\r\n"), ok(5, 6, 9));
        for partial in [&b""[..], b"5", b"5\r", b"5;", b"5;a", b"5;a=\"x", b"5 "] {
            assert_eq!(chunk(partial), Ok(Status::Partial), "{partial:?}");
        }
        for (bad, error) in [
            (&b"\r\n"[..], ParseError::ChunkSize),
            (b"g\r\n", ParseError::ChunkSize),
            (b"5g\r\n", ParseError::ChunkSize),
            (b" 5\r\n", ParseError::ChunkSize),
            (b"5 \r\n", ParseError::ChunkSize),
            (b"5\n", ParseError::BareLf),
            (b"5\rx", ParseError::BareCr),
            (b"10000000000000000\r\n", ParseError::ChunkSizeOverflow),
            (b"5;\r\n", ParseError::ChunkExtension),
            (b"5;a=\r\n", ParseError::ChunkExtension),
            (b"5;a \r\n", ParseError::ChunkExtension),
            (b"5;a=b c\r\n", ParseError::ChunkSize),
            (b"5;a=\"\x01\"\r\n", ParseError::ChunkExtension),
        ] {
            assert_eq!(chunk(bad), Err(error), "{bad:?}");
        }
        let long = [b"5;".as_slice(), &[b'a'; 2000]].concat();
        assert_eq!(chunk(&long), Err(ParseError::ChunkExtensionTooLong));
        let zeros = [&[b'0'; 2000][..], b"\r\n"].concat();
        assert_eq!(chunk(&zeros), Err(ParseError::ChunkExtensionTooLong));
        // Leading zeros are filler like extensions, and share their budget.
        assert_eq!(chunk(b"0005\r\n"), ok(5, 3, 6));
        assert_eq!(chunk(b"000\r\n"), ok(0, 2, 5));
        assert_eq!(chunk(b"005 ;a\r\n"), ok(5, 5, 8));
        let zeros = [&[b'0'; 1024][..], b"1\r\n"].concat();
        assert_eq!(chunk(&zeros), ok(1, 1024, 1027));
        let zeros = [&[b'0'; 1025][..], b"1\r\n"].concat();
        assert_eq!(chunk(&zeros), Err(ParseError::ChunkExtensionTooLong));
        let both = [&[b'0'; 1000][..], b"1;", &[b'a'; 100], b"\r\n"].concat();
        assert_eq!(chunk(&both), Err(ParseError::ChunkExtensionTooLong));
    }

    #[test]
    fn response_heads() {
        let mut fields = Vec::new();
        let config = Config::server();
        let parsed = parse_response_head(
            b"HTTP/1.1 404 Not Found\r\nA: b\r\n\r\nbody",
            &config,
            &mut fields,
        );
        let Ok(Status::Complete(head)) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!((head.status, head.head_len, fields.len()), (404, 32, 1));
        for (bad, error) in [
            (&b"HTTP/1.1 20 OK\r\n\r\n"[..], ParseError::Status),
            (b"HTTP/1.1 2000 OK\r\n\r\n", ParseError::Status),
            (b"HTTP/1.1  200 OK\r\n\r\n", ParseError::Status),
            (b"HTTP/1.1\t200 OK\r\n\r\n", ParseError::Delimiter),
            (b"HTTP/2.0 200 OK\r\n\r\n", ParseError::UnsupportedVersion),
            (b"HTTP/1.1 200 O\x00K\r\n\r\n", ParseError::Reason),
            (b"ICY 200 OK\r\n\r\n", ParseError::Version),
        ] {
            assert_eq!(
                parse_response_head(bad, &config, &mut fields),
                Err(error),
                "{bad:?}"
            );
        }
    }
}
