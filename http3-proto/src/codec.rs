//! QPACK (RFC 9204) as the connection uses it: one encoder and one decoder per
//! connection, their errors mapped to HTTP/3 connection and stream errors.

use bytes::Bytes;
use hpack::Header;
use qpack::{DecodeError, Decoded, Decoder, Encoder};

use crate::{ConnectionError, ErrorCode, Settings, StreamId};

/// Why a field section was not decoded.
#[derive(Debug)]
pub(crate) enum SectionError {
    /// Larger than our SETTINGS_MAX_FIELD_SECTION_SIZE: the table is in step and only
    /// the message is refused (a stream error).
    TooLarge,
    /// The QPACK state can no longer be trusted: a connection error.
    Connection(ConnectionError),
}

fn qpack_error(code: qpack::ErrorCode, reason: impl ToString) -> ConnectionError {
    ConnectionError::Qpack {
        code: ErrorCode(code.value()),
        reason: reason.to_string(),
    }
}

impl From<DecodeError> for SectionError {
    fn from(e: DecodeError) -> Self {
        match e.code() {
            None => Self::TooLarge,
            Some(code) => Self::Connection(qpack_error(code, e)),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Qpack {
    encoder: Encoder,
    decoder: Decoder,
}

impl Qpack {
    /// A decoder for what we advertise in `local`; the encoder keeps to the static
    /// table until the peer's SETTINGS arrive (RFC 9204 §3.2.3).
    pub(crate) fn new(local: &Settings, max_field_section_size: u64) -> Self {
        let mut decoder = Decoder::new(
            usize::try_from(local.qpack_max_table_capacity).unwrap_or(usize::MAX),
            usize::try_from(local.qpack_blocked_streams).unwrap_or(usize::MAX),
        );
        decoder.set_max_field_section_size(
            usize::try_from(max_field_section_size).unwrap_or(usize::MAX),
        );
        Self {
            encoder: Encoder::new(),
            decoder,
        }
    }

    pub(crate) fn apply_peer_settings(&mut self, peer: &Settings) {
        self.encoder
            .apply_settings(peer.qpack_max_table_capacity, peer.qpack_blocked_streams);
    }

    pub(crate) fn encode(&mut self, id: StreamId, headers: &[Header]) -> Bytes {
        self.encoder.encode(id.0, headers)
    }

    /// The fields, or `None` while the section waits for encoder-stream inserts.
    pub(crate) fn decode(
        &mut self,
        id: StreamId,
        block: Bytes,
    ) -> Result<Option<Vec<Header>>, SectionError> {
        match self.decoder.decode(id.0, block)? {
            Decoded::Fields(fields) => Ok(Some(fields)),
            Decoded::Blocked => Ok(None),
        }
    }

    pub(crate) fn resume(&mut self, id: StreamId) -> Option<Result<Vec<Header>, SectionError>> {
        self.decoder
            .resume(id.0)
            .map(|r| r.map_err(SectionError::from))
    }

    pub(crate) fn cancel_stream(&mut self, id: StreamId) {
        self.decoder.cancel_stream(id.0);
    }

    /// Bytes of the peer's encoder stream; the streams they unblocked.
    pub(crate) fn recv_encoder_stream(
        &mut self,
        bytes: &[u8],
    ) -> Result<Vec<StreamId>, ConnectionError> {
        self.decoder
            .recv_encoder_stream(bytes)
            .map(|ids| ids.into_iter().map(StreamId).collect())
            .map_err(|e| qpack_error(e.code(), e))
    }

    pub(crate) fn recv_decoder_stream(&mut self, bytes: &[u8]) -> Result<(), ConnectionError> {
        self.encoder
            .recv_decoder_stream(bytes)
            .map_err(|e| qpack_error(e.code(), e))
    }

    pub(crate) fn poll_encoder_stream(&mut self) -> Option<Bytes> {
        self.encoder.poll_transmit()
    }

    pub(crate) fn poll_decoder_stream(&mut self) -> Option<Bytes> {
        self.decoder.poll_transmit()
    }

    pub(crate) fn wants_write(&self) -> bool {
        self.encoder.wants_write() || self.decoder.wants_write()
    }
}
