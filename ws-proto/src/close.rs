//! Close codes and the Close frame's body (RFC 6455 §5.5.1, §7.4).

use crate::error::Error;

/// A close status code (RFC 6455 §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: going away (a server shutting down, a browser leaving the page).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: a protocol error.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: a kind of data that cannot be accepted.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no status code was present. Never sent on the wire.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: closed without a Close frame. Never sent on the wire.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: data inconsistent with the message type (text that is not UTF-8).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message violates policy (here: the receive buffer bound).
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);

    /// Whether this code may appear in a Close frame on the wire (RFC 6455 §7.4.1, §7.4.2
    /// and the IANA registry of §11.7): 1000-1003, 1007-1014, and 3000-4999 (registered
    /// and private use). 1004 is reserved; 1005, 1006 and 1015 are for reporting only;
    /// 0-999 and the rest of 1016-2999 are not used.
    #[must_use]
    pub fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

/// The body of a Close frame: a code and a UTF-8 reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code; [`CloseCode::NO_STATUS`] when the frame had no body.
    pub code: CloseCode,
    /// The reason, at most 123 bytes (the control frame limit less the code).
    pub reason: String,
}

/// The longest reason that fits a control frame after the 2-byte code (§5.5).
pub(crate) const MAX_REASON_LEN: usize = 123;

impl CloseFrame {
    /// Parses the payload of a received Close frame (§5.5.1): empty, or a sendable code
    /// followed by UTF-8. A 1-byte body is a protocol error.
    pub(crate) fn parse(payload: &[u8]) -> Result<Self, Error> {
        match payload {
            [] => Ok(Self {
                code: CloseCode::NO_STATUS,
                reason: String::new(),
            }),
            [_] => Err(Error::InvalidCloseFrame),
            [hi, lo, reason @ ..] => {
                let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
                if !code.is_sendable() {
                    return Err(Error::InvalidCloseCode(code.0));
                }
                let reason = std::str::from_utf8(reason).map_err(|_| Error::InvalidUtf8)?;
                Ok(Self {
                    code,
                    reason: reason.to_owned(),
                })
            }
        }
    }

    /// The payload to send: nothing for [`CloseCode::NO_STATUS`], else code and reason.
    pub(crate) fn payload(code: CloseCode, reason: &str) -> Vec<u8> {
        if code == CloseCode::NO_STATUS {
            return Vec::new();
        }
        let mut p = Vec::with_capacity(2 + reason.len());
        p.extend_from_slice(&code.0.to_be_bytes());
        p.extend_from_slice(reason.as_bytes());
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendable_codes() {
        for ok in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
        ] {
            assert!(CloseCode(ok).is_sendable(), "{ok}");
        }
        // Autobahn 7.9.x and the reporting-only codes.
        for bad in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(bad).is_sendable(), "{bad}");
        }
    }

    #[test]
    fn parse_bodies() {
        assert_eq!(CloseFrame::parse(&[]).unwrap().code, CloseCode::NO_STATUS);
        assert_eq!(CloseFrame::parse(&[3]), Err(Error::InvalidCloseFrame));
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xEC]),
            Err(Error::InvalidCloseCode(1004))
        );
        assert_eq!(CloseFrame::parse(b"\x03\xe8\xff"), Err(Error::InvalidUtf8));
        let f = CloseFrame::parse(b"\x03\xe8bye").unwrap();
        assert_eq!((f.code, f.reason.as_str()), (CloseCode::NORMAL, "bye"));
    }
}
