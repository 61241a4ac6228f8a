//! The transmit queue: frame headers and control frames coalesced in one buffer, large
//! DATA payloads passed through as the caller's own `Bytes`.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// Payloads at least this long go out as their own segment instead of being copied:
/// below it, one coalesced write is cheaper than an extra segment.
const PASSTHROUGH_MIN: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Finished segments, in order, all before `buf`.
    segments: VecDeque<Bytes>,
    /// Bytes being coalesced after the last segment.
    buf: BytesMut,
    /// PING/SETTINGS acknowledgements queued since the queue was last empty.
    pub(crate) pending_acks: usize,
}

impl Output {
    /// The coalescing buffer, for writing frames.
    pub(crate) fn buf(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Appends a payload, copying it only when small.
    pub(crate) fn payload(&mut self, data: Bytes) {
        if data.len() < PASSTHROUGH_MIN {
            self.buf.extend_from_slice(&data);
            return;
        }
        if !self.buf.is_empty() {
            self.segments.push_back(self.buf.split().freeze());
        }
        self.segments.push_back(data);
    }

    /// The next segment to write, if any.
    pub(crate) fn poll(&mut self) -> Option<Bytes> {
        if let Some(seg) = self.segments.pop_front() {
            return Some(seg);
        }
        if self.buf.is_empty() {
            self.pending_acks = 0;
            return None;
        }
        Some(self.buf.split().freeze())
    }

    /// Octets queued and not yet taken.
    pub(crate) fn len(&self) -> usize {
        self.segments.iter().map(Bytes::len).sum::<usize>() + self.buf.len()
    }

    /// Forgets anything queued, keeping the capacity.
    pub(crate) fn clear(&mut self) {
        self.segments.clear();
        self.buf.clear();
        self.pending_acks = 0;
    }

    /// Frees the queue's and the buffer's capacity if nothing is queued.
    pub(crate) fn shrink_when_empty(&mut self) {
        if self.segments.is_empty() && self.buf.is_empty() {
            self.segments = VecDeque::new();
            self.buf = BytesMut::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_across_passthrough() {
        let mut out = Output::default();
        out.buf().extend_from_slice(b"head");
        out.payload(Bytes::from(vec![7u8; 2000]));
        out.buf().extend_from_slice(b"tail");
        out.payload(Bytes::from_static(b"small"));
        let mut all = Vec::new();
        while let Some(b) = out.poll() {
            all.extend_from_slice(&b);
        }
        assert_eq!(all.len(), 4 + 2000 + 4 + 5);
        assert_eq!(&all[..4], b"head");
        assert_eq!(&all[2004..], b"tailsmall");
        assert_eq!(out.len(), 0);
    }
}
