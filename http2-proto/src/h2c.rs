//! Cleartext HTTP/2 entry points: prior-knowledge preface detection (RFC 9113 §3.3) and
//! the HTTP/1.1 Upgrade path (RFC 7540 §3.2, whose `HTTP2-Settings` header carries a
//! base64url SETTINGS payload).

use crate::frame::{FrameError, Setting, SettingId};

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Result of looking at the first bytes of a cleartext connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefaceCheck {
    /// The bytes start with the full HTTP/2 preface: speak HTTP/2 (prior knowledge).
    Http2,
    /// The bytes so far match the preface but are too few to be sure.
    NeedMore,
    /// Not HTTP/2: hand the bytes to an HTTP/1.1 parser.
    NotHttp2,
}

/// Checks whether a cleartext connection starts with the HTTP/2 preface, so a server can
/// pick HTTP/1.1 or HTTP/2 without ALPN. Feed the same bytes to the chosen protocol.
pub fn detect_preface(buf: &[u8]) -> PrefaceCheck {
    let n = buf.len().min(PREFACE.len());
    if buf[..n] != PREFACE[..n] {
        PrefaceCheck::NotHttp2
    } else if n < PREFACE.len() {
        PrefaceCheck::NeedMore
    } else {
        PrefaceCheck::Http2
    }
}

/// Why an `HTTP2-Settings` header value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum H2cSettingsError {
    /// Not base64url (RFC 4648 §5) or not a whole number of 6-octet entries.
    #[error("HTTP2-Settings is not a valid base64url SETTINGS payload")]
    Encoding,
    /// A setting value is out of range.
    #[error(transparent)]
    Setting(#[from] FrameError),
}

/// Decodes an `HTTP2-Settings` header value into its settings entries.
///
/// # Errors
///
/// [`H2cSettingsError`] for bad encoding or out-of-range values.
pub fn parse_h2c_settings(value: &[u8]) -> Result<Vec<Setting>, H2cSettingsError> {
    let raw = base64url_decode(value).ok_or(H2cSettingsError::Encoding)?;
    if raw.len() % 6 != 0 {
        return Err(H2cSettingsError::Encoding);
    }
    raw.chunks_exact(6)
        .map(|c| {
            let s = Setting {
                id: SettingId(u16::from_be_bytes([c[0], c[1]])),
                value: u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
            };
            s.validate().map(|()| s).map_err(H2cSettingsError::from)
        })
        .collect()
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn sextet(b: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a == b)
        .and_then(|p| u32::try_from(p).ok())
}

/// base64url without padding (RFC 4648 §5); a dozen lines, so no dependency.
pub(crate) fn base64url_encode(src: &[u8]) -> String {
    let mut out = String::with_capacity(src.len().div_ceil(3) * 4);
    for chunk in src.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(ALPHABET[idx as usize]));
        }
    }
    out
}

/// Decodes base64url, tolerating trailing `=` padding.
pub(crate) fn base64url_decode(src: &[u8]) -> Option<Vec<u8>> {
    let src = src
        .strip_suffix(b"==")
        .or_else(|| src.strip_suffix(b"="))
        .unwrap_or(src);
    if src.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(src.len() * 3 / 4);
    for chunk in src.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= sextet(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preface_detection() {
        assert_eq!(detect_preface(b"PRI * HT"), PrefaceCheck::NeedMore);
        assert_eq!(
            detect_preface(b"GET / HTTP/1.1\r\n"),
            PrefaceCheck::NotHttp2
        );
        assert_eq!(detect_preface(PREFACE), PrefaceCheck::Http2);
        assert_eq!(detect_preface(b""), PrefaceCheck::NeedMore);
    }

    #[test]
    fn base64url_round_trip() {
        for len in 0..20 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 251) as u8).collect();
            let enc = base64url_encode(&data);
            assert!(!enc.contains('='));
            assert_eq!(base64url_decode(enc.as_bytes()).unwrap(), data);
        }
        assert_eq!(
            base64url_decode(b"AAMAAABkAAQAAP__").unwrap(),
            vec![0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 255, 255]
        );
        assert!(base64url_decode(b"A").is_none());
        assert!(base64url_decode(b"A*AA").is_none());
    }

    #[test]
    fn h2c_settings() {
        let s = parse_h2c_settings(b"AAMAAABkAAQAAP__").unwrap();
        assert_eq!(
            s[0],
            Setting {
                id: SettingId::MAX_CONCURRENT_STREAMS,
                value: 100
            }
        );
        assert_eq!(
            s[1],
            Setting {
                id: SettingId::INITIAL_WINDOW_SIZE,
                value: 65535
            }
        );
        assert!(parse_h2c_settings(b"AAIAAAAC").is_err()); // ENABLE_PUSH = 2
    }
}
