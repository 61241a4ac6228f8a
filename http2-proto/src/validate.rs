//! Header-section validation (RFC 9113 §8.2-8.3): the rules live in
//! `http_core::section`, which HTTP/3 shares; this adapts them to HPACK's `Header`.

use hpack::Header;
pub(crate) use http_core::section::{Malformed, MessageInfo};

fn pairs(headers: &[Header]) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers.iter().map(|h| (&h.name[..], &h.value[..]))
}

/// Validates a request header section (RFC 9113 §8.3.1). `extended_connect` allows the
/// `:protocol` pseudo-header (RFC 8441) when we advertised it.
pub(crate) fn request(
    headers: &[Header],
    extended_connect: bool,
) -> Result<MessageInfo, Malformed> {
    http_core::section::request(pairs(headers), extended_connect)
}

/// Validates a response header section (RFC 9113 §8.3.2).
pub(crate) fn response(headers: &[Header]) -> Result<MessageInfo, Malformed> {
    http_core::section::response(pairs(headers))
}

/// Validates a trailer section: regular fields only (RFC 9113 §8.1).
pub(crate) fn trailers(headers: &[Header]) -> Result<(), Malformed> {
    http_core::section::trailers(pairs(headers))
}

/// Whether fields we are asked to send keep the rules we hold the peer to (RFC 9113
/// §8.2.1).
pub(crate) fn outbound(headers: &[Header]) -> bool {
    http_core::section::outbound(pairs(headers))
}

/// The `content-length` and `:status` of an outbound final header section.
pub(crate) fn outbound_framing(headers: &[Header]) -> Result<(Option<u64>, u16), Malformed> {
    http_core::section::outbound_framing(pairs(headers))
}
