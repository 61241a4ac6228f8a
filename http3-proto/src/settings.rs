//! HTTP/3 settings (RFC 9114 §7.2.4, RFC 9204 §5, RFC 9220 §3, RFC 9297 §2.1.1): the
//! values, and the SETTINGS frame payload in both directions.

use bytes::BufMut;

use crate::frame::{FrameHeader, PayloadError, grease, kind};
use crate::varint;

/// Setting identifiers.
pub mod id {
    /// SETTINGS_QPACK_MAX_TABLE_CAPACITY (RFC 9204 §5).
    pub const QPACK_MAX_TABLE_CAPACITY: u64 = 0x01;
    /// SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §7.2.4.1).
    pub const MAX_FIELD_SECTION_SIZE: u64 = 0x06;
    /// SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §5).
    pub const QPACK_BLOCKED_STREAMS: u64 = 0x07;
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 9220 §3).
    pub const ENABLE_CONNECT_PROTOCOL: u64 = 0x08;
    /// SETTINGS_H3_DATAGRAM (RFC 9297 §2.1.1).
    pub const H3_DATAGRAM: u64 = 0x33;

    /// Identifiers HTTP/2 defined without an HTTP/3 counterpart: receiving one is a
    /// connection error of type H3_SETTINGS_ERROR (RFC 9114 §7.2.4.1, §11.2.2).
    #[must_use]
    pub const fn is_reserved_http2(id: u64) -> bool {
        matches!(id, 0x00 | 0x02 | 0x03 | 0x04 | 0x05)
    }
}

/// One endpoint's settings. Absent settings take their defaults (RFC 9114 §7.2.4.1):
/// no dynamic table, no blocked streams, no limit on field sections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Settings {
    /// The QPACK dynamic table capacity the encoder may use towards us.
    pub qpack_max_table_capacity: u64,
    /// The largest field section (names, values and 32 octets per field, RFC 9114
    /// §4.2.2) the sender accepts; `None` is unlimited.
    pub max_field_section_size: Option<u64>,
    /// Streams that may be blocked on QPACK dynamic table updates at once.
    pub qpack_blocked_streams: u64,
    /// Extended CONNECT with `:protocol` is accepted (RFC 9220).
    pub enable_connect_protocol: bool,
    /// HTTP datagrams are accepted (RFC 9297).
    pub h3_datagram: bool,
}

impl Settings {
    /// Appends a whole SETTINGS frame carrying the values that differ from the defaults,
    /// plus the reserved setting `grease_seed` names, so that a peer that chokes on
    /// unknown settings is found early (RFC 9114 §7.2.4.1).
    pub(crate) fn encode_frame(&self, grease_seed: Option<u64>, out: &mut impl BufMut) {
        let mut pairs: Vec<(u64, u64)> = Vec::with_capacity(6);
        if self.qpack_max_table_capacity != 0 {
            pairs.push((id::QPACK_MAX_TABLE_CAPACITY, self.qpack_max_table_capacity));
        }
        if let Some(size) = self.max_field_section_size {
            pairs.push((id::MAX_FIELD_SECTION_SIZE, size));
        }
        if self.qpack_blocked_streams != 0 {
            pairs.push((id::QPACK_BLOCKED_STREAMS, self.qpack_blocked_streams));
        }
        if self.enable_connect_protocol {
            pairs.push((id::ENABLE_CONNECT_PROTOCOL, 1));
        }
        if self.h3_datagram {
            pairs.push((id::H3_DATAGRAM, 1));
        }
        if let Some(seed) = grease_seed {
            pairs.push((grease(seed), seed & 0xffff));
        }
        let len: usize = pairs
            .iter()
            .map(|&(k, v)| varint::len(k) + varint::len(v))
            .sum();
        FrameHeader {
            ty: kind::SETTINGS,
            len: len as u64,
        }
        .encode(out);
        for (k, v) in pairs {
            varint::encode(k, out);
            varint::encode(v, out);
        }
    }

    /// Parses a SETTINGS payload (RFC 9114 §7.2.4). Unknown identifiers are ignored;
    /// a repeated identifier, a reserved HTTP/2 one or a boolean setting other than 0 or
    /// 1 is an error, as is a payload that ends inside a pair. More than `max_entries`
    /// pairs is reported separately, as a flood.
    pub(crate) fn decode(payload: &[u8], max_entries: usize) -> Result<Self, SettingsError> {
        let mut settings = Self::default();
        let mut seen: Vec<u64> = Vec::new();
        let mut rest = payload;
        while !rest.is_empty() {
            let Some((key, a)) = varint::decode(rest) else {
                return Err(SettingsError::Malformed(PayloadError(
                    "SETTINGS ends inside an identifier",
                )));
            };
            let Some((value, b)) = rest.get(a..).and_then(varint::decode) else {
                return Err(SettingsError::Malformed(PayloadError(
                    "SETTINGS ends inside a value",
                )));
            };
            rest = &rest[a + b..];
            if seen.len() >= max_entries {
                return Err(SettingsError::TooMany);
            }
            if seen.contains(&key) {
                return Err(SettingsError::Invalid("repeated setting identifier"));
            }
            seen.push(key);
            let flag = || match value {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(SettingsError::Invalid("boolean setting other than 0 or 1")),
            };
            match key {
                id::QPACK_MAX_TABLE_CAPACITY => settings.qpack_max_table_capacity = value,
                id::MAX_FIELD_SECTION_SIZE => settings.max_field_section_size = Some(value),
                id::QPACK_BLOCKED_STREAMS => settings.qpack_blocked_streams = value,
                id::ENABLE_CONNECT_PROTOCOL => settings.enable_connect_protocol = flag()?,
                id::H3_DATAGRAM => settings.h3_datagram = flag()?,
                k if id::is_reserved_http2(k) => {
                    return Err(SettingsError::Invalid("HTTP/2 setting identifier"));
                }
                // Unknown and reserved (GREASE) settings are ignored (RFC 9114 §7.2.4).
                _ => {}
            }
        }
        Ok(settings)
    }
}

/// Why a SETTINGS payload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SettingsError {
    /// The payload does not split into pairs: H3_FRAME_ERROR (RFC 9114 §7.1).
    Malformed(PayloadError),
    /// A pair breaks a rule of RFC 9114 §7.2.4: H3_SETTINGS_ERROR.
    Invalid(&'static str),
    /// More pairs than `Limits::max_settings_entries`: H3_EXCESSIVE_LOAD.
    TooMany,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload_of(frame: &[u8]) -> &[u8] {
        let (h, n) = FrameHeader::decode(frame).unwrap();
        assert_eq!(h.ty, kind::SETTINGS);
        assert_eq!(h.len as usize, frame.len() - n);
        &frame[n..]
    }

    #[test]
    fn round_trip_with_grease() {
        let s = Settings {
            qpack_max_table_capacity: 4096,
            max_field_section_size: Some(65_536),
            qpack_blocked_streams: 100,
            enable_connect_protocol: true,
            h3_datagram: false,
        };
        let mut frame = Vec::new();
        s.encode_frame(Some(7), &mut frame);
        assert_eq!(Settings::decode(payload_of(&frame), 16), Ok(s));
        let mut empty = Vec::new();
        Settings::default().encode_frame(None, &mut empty);
        assert_eq!(empty, [0x04, 0x00]);
    }

    #[test]
    fn rule_breakers() {
        assert_eq!(
            Settings::decode(&[0x01, 0x00, 0x01, 0x00], 16),
            Err(SettingsError::Invalid("repeated setting identifier"))
        );
        for reserved in [0x00, 0x02, 0x03, 0x04, 0x05] {
            assert!(matches!(
                Settings::decode(&[reserved, 0x00], 16),
                Err(SettingsError::Invalid(_))
            ));
        }
        assert!(matches!(
            Settings::decode(&[0x08, 0x02], 16),
            Err(SettingsError::Invalid(_))
        ));
        assert!(matches!(
            Settings::decode(&[0x01], 16),
            Err(SettingsError::Malformed(_))
        ));
        assert_eq!(
            Settings::decode(&[0x21, 0x05, 0x0a, 0x00, 0x07, 0x03], 2),
            Err(SettingsError::TooMany)
        );
        // Unknown identifiers are ignored.
        let s = Settings::decode(&[0x21, 0x05, 0x0a, 0x00, 0x07, 0x03], 3).unwrap();
        assert_eq!(s.qpack_blocked_streams, 3);
    }
}
