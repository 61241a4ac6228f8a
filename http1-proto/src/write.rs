//! The pure serializer: heads written into a `BytesMut`, refusing anything that would not
//! parse back the same (CR/LF injection, RUSTSEC-2017-0002; non-token names).

use bytes::{BufMut, BytesMut};

use crate::error::SendError;
use crate::head::{RequestHead, ResponseHead};
use crate::headers::HeaderMap;
use crate::scan;

/// Writes `method SP target SP version CRLF fields CRLF` (RFC 9112 §3).
///
/// # Errors
/// [`SendError::InvalidHead`] if the method is not a token, the target is not VCHARs, or a
/// field is invalid (see [`write_fields`]). Nothing is written then.
pub fn write_request_head(head: &RequestHead, dst: &mut BytesMut) -> Result<(), SendError> {
    write_request_head_with(head, &[], dst)
}

/// Writes `version SP status SP reason CRLF fields CRLF` (RFC 9112 §4).
///
/// # Errors
/// [`SendError::InvalidStatus`] outside 100..=999, [`SendError::InvalidHead`] for a reason
/// with control characters or an invalid field. Nothing is written then.
pub fn write_response_head(head: &ResponseHead, dst: &mut BytesMut) -> Result<(), SendError> {
    write_response_head_with(head, &[], dst)
}

/// Writes field lines, each `name: value CRLF`, without the closing empty line.
///
/// # Errors
/// [`SendError::InvalidHead`] if a name is not a token or a value holds a control
/// character other than HTAB. Nothing is written then.
pub fn write_fields(headers: &HeaderMap, dst: &mut BytesMut) -> Result<(), SendError> {
    validate_fields(headers)?;
    put_fields(headers, dst);
    Ok(())
}

pub(crate) fn write_request_head_with(
    head: &RequestHead,
    extra: &[(&[u8], &[u8])],
    dst: &mut BytesMut,
) -> Result<(), SendError> {
    if !scan::is_token(&head.method) {
        return Err(SendError::InvalidHead("method"));
    }
    if head.target.is_empty() || !head.target.iter().all(|b| (0x21..0x7f).contains(b)) {
        return Err(SendError::InvalidHead("request-target"));
    }
    validate_fields(&head.headers)?;
    dst.reserve(head.method.len() + head.target.len() + 12 + fields_len(&head.headers, extra));
    dst.put_slice(&head.method);
    dst.put_u8(b' ');
    dst.put_slice(&head.target);
    dst.put_u8(b' ');
    dst.put_slice(head.version.as_bytes());
    dst.put_slice(b"\r\n");
    put_fields(&head.headers, dst);
    put_extra(extra, dst);
    dst.put_slice(b"\r\n");
    Ok(())
}

pub(crate) fn write_response_head_with(
    head: &ResponseHead,
    extra: &[(&[u8], &[u8])],
    dst: &mut BytesMut,
) -> Result<(), SendError> {
    if !(100..=999).contains(&head.status) {
        return Err(SendError::InvalidStatus(head.status));
    }
    if !head.reason.iter().all(|&b| scan::is_value_byte(b)) {
        return Err(SendError::InvalidHead("reason phrase"));
    }
    validate_fields(&head.headers)?;
    dst.reserve(head.reason.len() + 15 + fields_len(&head.headers, extra));
    dst.put_slice(head.version.as_bytes());
    dst.put_u8(b' ');
    let status = head.status;
    dst.put_slice(&[
        b'0' + (status / 100) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
        b' ',
    ]);
    dst.put_slice(&head.reason);
    dst.put_slice(b"\r\n");
    put_fields(&head.headers, dst);
    put_extra(extra, dst);
    dst.put_slice(b"\r\n");
    Ok(())
}

fn validate_fields(headers: &HeaderMap) -> Result<(), SendError> {
    for (name, value) in headers {
        if !scan::is_token(name) {
            return Err(SendError::InvalidHead("field name"));
        }
        if !value.iter().all(|&b| scan::is_value_byte(b)) {
            return Err(SendError::InvalidHead("field value"));
        }
    }
    Ok(())
}

fn fields_len(headers: &HeaderMap, extra: &[(&[u8], &[u8])]) -> usize {
    let given: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
    let added: usize = extra.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
    given + added + 2
}

fn put_fields(headers: &HeaderMap, dst: &mut BytesMut) {
    for (name, value) in headers {
        dst.put_slice(name);
        dst.put_slice(b": ");
        dst.put_slice(value);
        dst.put_slice(b"\r\n");
    }
}

fn put_extra(extra: &[(&[u8], &[u8])], dst: &mut BytesMut) {
    for (name, value) in extra {
        dst.put_slice(name);
        dst.put_slice(b": ");
        dst.put_slice(value);
        dst.put_slice(b"\r\n");
    }
}
