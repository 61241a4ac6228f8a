//! Connection settings (RFC 9113 §6.5.2) and the queue of local settings awaiting ACK.

use std::collections::VecDeque;

use crate::frame::{DEFAULT_MAX_FRAME_SIZE, Setting, SettingId, SettingsFrame};

/// The SETTINGS parameters of one endpoint (RFC 9113 §6.5.2).
///
/// `Default` gives the initial values the RFC defines, which is what an endpoint must
/// assume for its peer until the peer's SETTINGS frame arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Settings {
    /// SETTINGS_HEADER_TABLE_SIZE: the HPACK table the sender lets its peer's encoder use.
    pub header_table_size: u32,
    /// SETTINGS_ENABLE_PUSH: whether the sender accepts PUSH_PROMISE (clients only).
    pub enable_push: bool,
    /// SETTINGS_MAX_CONCURRENT_STREAMS; `None` means unlimited (not sent).
    pub max_concurrent_streams: Option<u32>,
    /// SETTINGS_INITIAL_WINDOW_SIZE for new streams.
    pub initial_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE the sender accepts.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE (advisory); `None` means unlimited (not sent).
    pub max_header_list_size: Option<u32>,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3): a server that sets it accepts
    /// extended CONNECT requests, which carry `:protocol` (WebSocket over HTTP/2,
    /// RFC 8441 §4-5); a client may send them once its peer's value is true. Once
    /// sent as true it is never sent as false again: `update_settings` keeps it, and a
    /// peer that turns it off commits a connection error (PROTOCOL_ERROR).
    pub enable_connect_protocol: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            header_table_size: 4096,
            enable_push: true,
            max_concurrent_streams: None,
            initial_window_size: 65_535,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_header_list_size: None,
            enable_connect_protocol: false,
        }
    }
}

impl Settings {
    /// Applies one validated entry; unknown identifiers are ignored (RFC 9113 §6.5.2).
    pub fn apply(&mut self, setting: Setting) {
        let v = setting.value;
        match setting.id {
            SettingId::HEADER_TABLE_SIZE => self.header_table_size = v,
            SettingId::ENABLE_PUSH => self.enable_push = v == 1,
            SettingId::MAX_CONCURRENT_STREAMS => self.max_concurrent_streams = Some(v),
            SettingId::INITIAL_WINDOW_SIZE => self.initial_window_size = v,
            SettingId::MAX_FRAME_SIZE => self.max_frame_size = v,
            SettingId::MAX_HEADER_LIST_SIZE => self.max_header_list_size = Some(v),
            SettingId::ENABLE_CONNECT_PROTOCOL => self.enable_connect_protocol = v == 1,
            _ => {}
        }
    }

    /// The entries that describe `self` to a peer that assumes the RFC initial values:
    /// only the parameters that differ are listed.
    pub fn entries(&self) -> Vec<Setting> {
        let d = Self::default();
        let mut out = Vec::new();
        let mut push = |id, value| out.push(Setting { id, value });
        if self.header_table_size != d.header_table_size {
            push(SettingId::HEADER_TABLE_SIZE, self.header_table_size);
        }
        if self.enable_push != d.enable_push {
            push(SettingId::ENABLE_PUSH, u32::from(self.enable_push));
        }
        if let Some(n) = self.max_concurrent_streams {
            push(SettingId::MAX_CONCURRENT_STREAMS, n);
        }
        if self.initial_window_size != d.initial_window_size {
            push(SettingId::INITIAL_WINDOW_SIZE, self.initial_window_size);
        }
        if self.max_frame_size != d.max_frame_size {
            push(SettingId::MAX_FRAME_SIZE, self.max_frame_size);
        }
        if let Some(n) = self.max_header_list_size {
            push(SettingId::MAX_HEADER_LIST_SIZE, n);
        }
        if self.enable_connect_protocol {
            push(SettingId::ENABLE_CONNECT_PROTOCOL, 1);
        }
        out
    }

    /// The SETTINGS frame announcing `self`.
    pub fn to_frame(&self) -> SettingsFrame {
        SettingsFrame {
            ack: false,
            entries: self.entries(),
        }
    }

    /// The value of the `HTTP2-Settings` header for an h2c upgrade request
    /// (RFC 7540 §3.2.1): the SETTINGS payload in base64url without padding.
    pub fn to_h2c_header_value(&self) -> String {
        let mut payload = Vec::new();
        for s in self.entries() {
            payload.extend_from_slice(&s.id.0.to_be_bytes());
            payload.extend_from_slice(&s.value.to_be_bytes());
        }
        crate::h2c::base64url_encode(&payload)
    }
}

/// Our SETTINGS frames sent but not yet acknowledged, oldest first (RFC 9113 §6.5.3:
/// the peer acknowledges them in order).
#[derive(Debug, Default)]
pub(crate) struct PendingSettings {
    queue: VecDeque<Settings>,
}

impl PendingSettings {
    pub(crate) fn push(&mut self, s: Settings) {
        self.queue.push_back(s);
    }

    pub(crate) fn pop(&mut self) -> Option<Settings> {
        self.queue.pop_front()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The same, without spare capacity: none at all when empty.
    pub(crate) fn shrunk(mut self) -> Self {
        self.queue.shrink_to_fit();
        self
    }

    /// The most recently sent settings, if any are pending.
    pub(crate) fn latest(&self) -> Option<&Settings> {
        self.queue.back()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_apply() {
        let s = Settings {
            header_table_size: 0,
            enable_push: false,
            max_concurrent_streams: Some(7),
            initial_window_size: 1 << 20,
            max_frame_size: 1 << 15,
            max_header_list_size: Some(1000),
            enable_connect_protocol: true,
        };
        let mut back = Settings::default();
        for e in s.entries() {
            e.validate().unwrap();
            back.apply(e);
        }
        assert_eq!(back, s);
        assert!(Settings::default().entries().is_empty());
    }
}
