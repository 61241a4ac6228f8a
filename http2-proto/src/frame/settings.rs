//! SETTINGS frames (RFC 9113 §6.5).

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::{
    DEFAULT_MAX_FRAME_SIZE, FrameError, FrameHeader, FrameKind, MAX_MAX_FRAME_SIZE, flags,
    invalid_length, require_connection,
};
use crate::StreamId;

/// A SETTINGS parameter identifier (RFC 9113 §6.5.2); unknown ones are ignored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SettingId(pub u16);

impl SettingId {
    /// SETTINGS_HEADER_TABLE_SIZE.
    pub const HEADER_TABLE_SIZE: Self = Self(0x1);
    /// SETTINGS_ENABLE_PUSH.
    pub const ENABLE_PUSH: Self = Self(0x2);
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub const MAX_CONCURRENT_STREAMS: Self = Self(0x3);
    /// SETTINGS_INITIAL_WINDOW_SIZE.
    pub const INITIAL_WINDOW_SIZE: Self = Self(0x4);
    /// SETTINGS_MAX_FRAME_SIZE.
    pub const MAX_FRAME_SIZE: Self = Self(0x5);
    /// SETTINGS_MAX_HEADER_LIST_SIZE.
    pub const MAX_HEADER_LIST_SIZE: Self = Self(0x6);
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441).
    pub const ENABLE_CONNECT_PROTOCOL: Self = Self(0x8);
}

impl fmt::Debug for SettingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0x1 => "HEADER_TABLE_SIZE",
            0x2 => "ENABLE_PUSH",
            0x3 => "MAX_CONCURRENT_STREAMS",
            0x4 => "INITIAL_WINDOW_SIZE",
            0x5 => "MAX_FRAME_SIZE",
            0x6 => "MAX_HEADER_LIST_SIZE",
            0x8 => "ENABLE_CONNECT_PROTOCOL",
            other => return write!(f, "SettingId({other:#x})"),
        };
        f.write_str(name)
    }
}

/// One identifier/value pair of a SETTINGS frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Setting {
    /// Which parameter.
    pub id: SettingId,
    /// Its value.
    pub value: u32,
}

impl Setting {
    /// Checks the value ranges of RFC 9113 §6.5.2 and RFC 8441 §3.
    ///
    /// # Errors
    ///
    /// [`FrameError::InvalidSetting`] when the value is out of range.
    pub fn validate(&self) -> Result<(), FrameError> {
        let ok = match self.id {
            SettingId::ENABLE_PUSH | SettingId::ENABLE_CONNECT_PROTOCOL => self.value <= 1,
            SettingId::INITIAL_WINDOW_SIZE => self.value <= 0x7fff_ffff,
            SettingId::MAX_FRAME_SIZE => {
                (DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&self.value)
            }
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(FrameError::InvalidSetting {
                id: self.id,
                value: self.value,
            })
        }
    }
}

/// A SETTINGS frame (RFC 9113 §6.5).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SettingsFrame {
    /// ACK flag: acknowledges the peer's SETTINGS; carries no entries.
    pub ack: bool,
    /// The parameters in frame order (order matters, RFC 9113 §6.5.3).
    pub entries: Vec<Setting>,
}

impl SettingsFrame {
    /// An acknowledgement.
    pub fn ack() -> Self {
        Self {
            ack: true,
            entries: Vec::new(),
        }
    }

    pub(crate) fn decode(head: FrameHeader, payload: &[u8]) -> Result<Self, FrameError> {
        require_connection(&head)?;
        if head.has(flags::ACK) {
            if !payload.is_empty() {
                return Err(FrameError::SettingsAckWithPayload);
            }
            return Ok(Self::ack());
        }
        if !payload.len().is_multiple_of(6) {
            return Err(invalid_length(&head));
        }
        let entries = payload
            .chunks_exact(6)
            .map(|c| {
                let setting = Setting {
                    id: SettingId(u16::from_be_bytes([c[0], c[1]])),
                    value: u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
                };
                setting.validate().map(|()| setting)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            ack: false,
            entries,
        })
    }

    /// Writes the frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        let flag_bits = if self.ack { flags::ACK } else { 0 };
        let length = u32::try_from(self.entries.len() * 6).unwrap_or(u32::MAX);
        FrameHeader {
            length,
            kind: FrameKind::SETTINGS,
            flags: flag_bits,
            stream: StreamId::CONNECTION,
        }
        .encode(dst);
        for s in &self.entries {
            dst.put_u16(s.id.0);
            dst.put_u32(s.value);
        }
    }
}
