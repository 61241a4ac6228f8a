//! The opening handshake (RFC 6455 §4) over HTTP/1.1 Upgrade, and its HTTP/2 form, the
//! extended CONNECT of RFC 8441.
//!
//! These helpers take and produce header name/value pairs, so they sit on top of any HTTP
//! layer: http1-proto's upgrade hand-off (whose trailing bytes go to
//! [`Connection::recv`](crate::Connection::recv)), an HTTP/2 stream, or a hand-written
//! request. Names are matched case-insensitively; the produced names are lowercase, as
//! HTTP/2 requires and HTTP/1.1 allows.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest, Sha1};

use crate::config::Config;
use crate::deflate::{DeflateConfig, DeflateParams, NAME as DEFLATE};
use crate::error::HandshakeError;
use crate::mask::KeySource;
use crate::params::{self, Extension, parse_extensions};

/// The GUID appended to the key (RFC 6455 §1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only version (RFC 6455 §4.1, §11.6).
const VERSION: &str = "13";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (§4.2.2 item 5.4): the base64 of the
/// SHA-1 of the key and the GUID.
#[must_use]
pub fn accept_value(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    BASE64.encode(sha.finalize())
}

/// The request or response fields the handshake reads, collected once.
#[derive(Default)]
struct Fields {
    upgrade: bool,
    connection_upgrade: bool,
    key: Option<String>,
    keys: usize,
    version: Option<String>,
    accept: Option<String>,
    protocols: Vec<String>,
    protocol_fields: usize,
    extensions: Vec<Extension>,
    bad_extensions: bool,
}

impl Fields {
    fn read<'a>(
        headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<Self, &'static str> {
        let mut f = Self::default();
        for (name, value) in headers {
            let name = name.to_ascii_lowercase();
            let value = std::str::from_utf8(value).map(str::trim);
            let text = || value.map_err(|_| "field value");
            match name.as_slice() {
                b"upgrade" => {
                    f.upgrade |= params::list(text()?).any(|t| t.eq_ignore_ascii_case("websocket"))
                }
                b"connection" => {
                    f.connection_upgrade |=
                        params::list(text()?).any(|t| t.eq_ignore_ascii_case("upgrade"));
                }
                b"sec-websocket-key" => {
                    f.keys += 1;
                    f.key = Some(text()?.to_owned());
                }
                b"sec-websocket-version" => f.version = Some(text()?.to_owned()),
                b"sec-websocket-accept" => f.accept = Some(text()?.to_owned()),
                b"sec-websocket-protocol" => {
                    f.protocol_fields += 1;
                    f.protocols.extend(params::list(text()?).map(str::to_owned));
                }
                b"sec-websocket-extensions" => match parse_extensions(text()?) {
                    Some(list) => f.extensions.extend(list),
                    None => f.bad_extensions = true,
                },
                _ => {}
            }
        }
        Ok(f)
    }
}

/// What a server accepts (RFC 6455 §4.2.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// Subprotocols the server speaks, most preferred first. The first of these the client
    /// offers is chosen; none when the client offers none of them (§4.2.2 item 5.5).
    pub protocols: Vec<String>,
    /// permessage-deflate, if the server agrees to it.
    pub deflate: Option<DeflateConfig>,
}

/// An accepted opening handshake, on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAccept {
    /// The chosen subprotocol.
    pub protocol: Option<String>,
    /// permessage-deflate as agreed, if it was.
    pub deflate: Option<DeflateParams>,
    /// The response's fields: for HTTP/1.1 with status 101, for HTTP/2 with status 200.
    pub headers: Vec<(&'static str, String)>,
}

impl ServerAccept {
    /// A server [`Config`] that applies what was negotiated.
    #[must_use]
    pub fn config(&self) -> Config {
        Config {
            deflate: self.deflate,
            ..Config::server()
        }
    }
}

/// Checks an HTTP/1.1 Upgrade request (RFC 6455 §4.2.1) and builds the 101 response's
/// fields. The method is checked here; the request-target, `Host` and HTTP/1.1 itself are
/// the HTTP layer's. An error's [`status`](HandshakeError::status) is what to answer;
/// with 426, send `Sec-WebSocket-Version: 13` as well (§4.4).
pub fn accept_upgrade<'a>(
    method: &[u8],
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    options: &ServerOptions,
) -> Result<ServerAccept, HandshakeError> {
    if method != b"GET" {
        return Err(HandshakeError::BadRequest("method"));
    }
    let f = Fields::read(headers).map_err(HandshakeError::BadRequest)?;
    if !f.upgrade {
        return Err(HandshakeError::BadRequest("upgrade"));
    }
    if !f.connection_upgrade {
        return Err(HandshakeError::BadRequest("connection"));
    }
    check_version(&f)?;
    // §4.2.1 item 5: base64 of 16 bytes, in exactly one field.
    let key = match &f.key {
        Some(k) if f.keys == 1 && BASE64.decode(k).is_ok_and(|raw| raw.len() == 16) => k.clone(),
        _ => return Err(HandshakeError::BadRequest("sec-websocket-key")),
    };
    let mut accept = negotiate(&f, options)?;
    accept.headers.splice(
        0..0,
        [
            ("upgrade", "websocket".to_owned()),
            ("connection", "Upgrade".to_owned()),
            ("sec-websocket-accept", accept_value(&key)),
        ],
    );
    Ok(accept)
}

/// Checks an RFC 8441 extended CONNECT request (§4, §5) and builds the 200 response's
/// fields. `protocol` is the `:protocol` pseudo-header, which must be `websocket`; the
/// other pseudo-headers (`:scheme`, `:path`, `:authority`) are the HTTP/2 layer's, as is
/// having sent `SETTINGS_ENABLE_CONNECT_PROTOCOL`. `Sec-WebSocket-Key` and
/// `Sec-WebSocket-Accept` are not used over HTTP/2 (§5).
pub fn accept_extended_connect<'a>(
    method: &[u8],
    protocol: Option<&[u8]>,
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    options: &ServerOptions,
) -> Result<ServerAccept, HandshakeError> {
    if method != b"CONNECT" {
        return Err(HandshakeError::BadRequest("method"));
    }
    if protocol != Some(b"websocket") {
        return Err(HandshakeError::BadRequest(":protocol"));
    }
    let f = Fields::read(headers).map_err(HandshakeError::BadRequest)?;
    check_version(&f)?;
    negotiate(&f, options)
}

/// The subprotocols a request offers in its `Sec-WebSocket-Protocol` fields, in order
/// (RFC 6455 §4.1 item 10, §11.3.4), for a server that lets the application choose among
/// them. Values that are not UTF-8 are skipped: [`accept_upgrade`] refuses such a request.
#[must_use]
pub fn requested_protocols<'a>(
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(b"sec-websocket-protocol")
            && let Ok(value) = std::str::from_utf8(value)
        {
            out.extend(params::list(value).map(str::to_owned));
        }
    }
    out
}

fn check_version(f: &Fields) -> Result<(), HandshakeError> {
    match f.version.as_deref() {
        Some(VERSION) => Ok(()),
        Some(_) => Err(HandshakeError::UnsupportedVersion),
        None => Err(HandshakeError::BadRequest("sec-websocket-version")),
    }
}

fn negotiate(f: &Fields, options: &ServerOptions) -> Result<ServerAccept, HandshakeError> {
    if f.bad_extensions {
        return Err(HandshakeError::BadRequest("sec-websocket-extensions"));
    }
    let protocol = options
        .protocols
        .iter()
        .find(|p| f.protocols.contains(p))
        .cloned();
    let deflate = options.deflate.and_then(|d| d.accept_offer(&f.extensions));
    let mut headers = Vec::new();
    if let Some(p) = &protocol {
        headers.push(("sec-websocket-protocol", p.clone()));
    }
    if let Some((_, response)) = &deflate {
        headers.push(("sec-websocket-extensions", response.clone()));
    }
    Ok(ServerAccept {
        protocol,
        deflate: deflate.map(|(params, _)| params),
        headers,
    })
}

/// The client's side of the opening handshake (RFC 6455 §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHandshake {
    key: String,
    protocols: Vec<String>,
    /// permessage-deflate offers, most preferred first.
    deflate: Vec<DeflateConfig>,
}

/// A completed opening handshake, on the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientResponse {
    /// The subprotocol the server chose, one of those offered.
    pub protocol: Option<String>,
    /// permessage-deflate as agreed, if it was.
    pub deflate: Option<DeflateParams>,
}

impl ClientResponse {
    /// A client [`Config`] that applies what was negotiated.
    #[must_use]
    pub fn config(&self) -> Config {
        Config {
            deflate: self.deflate,
            ..Config::client()
        }
    }
}

impl ClientHandshake {
    /// A handshake offering `protocols` (tokens, most preferred first) and, if given,
    /// permessage-deflate, with a fresh random key (§4.1 item 7: a nonce chosen at random
    /// for each connection).
    #[must_use]
    pub fn new(protocols: Vec<String>, deflate: Option<DeflateConfig>) -> Self {
        let mut keys = KeySource::new();
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&keys.next_u64().to_le_bytes());
        nonce[8..].copy_from_slice(&keys.next_u64().to_le_bytes());
        Self::with_nonce(nonce, protocols, deflate)
    }

    /// The same with a given nonce, for tests that need fixed bytes.
    #[must_use]
    pub fn with_nonce(
        nonce: [u8; 16],
        protocols: Vec<String>,
        deflate: Option<DeflateConfig>,
    ) -> Self {
        Self {
            key: BASE64.encode(nonce),
            protocols,
            deflate: deflate.into_iter().collect(),
        }
    }

    /// Offers permessage-deflate with each of `offers` in turn, most preferred first, in
    /// place of the one given to [`new`](Self::new): the server takes the first it can
    /// accept (RFC 7692 §5), and the response is checked against the offer it answers.
    #[must_use]
    pub fn with_deflate_offers(mut self, offers: Vec<DeflateConfig>) -> Self {
        self.deflate = offers;
        self
    }

    /// The `Sec-WebSocket-Key` sent.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    fn offer_fields(&self, out: &mut Vec<(&'static str, String)>) {
        out.push(("sec-websocket-version", VERSION.to_owned()));
        if !self.protocols.is_empty() {
            out.push(("sec-websocket-protocol", self.protocols.join(", ")));
        }
        if !self.deflate.is_empty() {
            let offers: Vec<String> = self.deflate.iter().map(DeflateConfig::offer).collect();
            out.push(("sec-websocket-extensions", offers.join(", ")));
        }
    }

    /// The fields of the HTTP/1.1 `GET` request, besides `Host` and the request line.
    #[must_use]
    pub fn upgrade_headers(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("upgrade", "websocket".to_owned()),
            ("connection", "Upgrade".to_owned()),
            ("sec-websocket-key", self.key.clone()),
        ];
        self.offer_fields(&mut out);
        out
    }

    /// The regular fields of an RFC 8441 request; the caller adds `:method: CONNECT`,
    /// `:protocol: websocket`, `:scheme`, `:path` and `:authority`.
    #[must_use]
    pub fn extended_connect_headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        self.offer_fields(&mut out);
        out
    }

    /// Checks the HTTP/1.1 response (§4.1, the server's response items 1-6): 101,
    /// `Upgrade: websocket`, `Connection: Upgrade`, the right `Sec-WebSocket-Accept`, and
    /// only a subprotocol and extensions that were offered.
    pub fn finish_upgrade<'a>(
        &self,
        status: u16,
        headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<ClientResponse, HandshakeError> {
        if status != 101 {
            return Err(HandshakeError::BadResponse("status"));
        }
        let f = Fields::read(headers).map_err(HandshakeError::BadResponse)?;
        if !f.upgrade {
            return Err(HandshakeError::BadResponse("upgrade"));
        }
        if !f.connection_upgrade {
            return Err(HandshakeError::BadResponse("connection"));
        }
        if f.accept.as_deref() != Some(accept_value(&self.key).as_str()) {
            return Err(HandshakeError::BadResponse("sec-websocket-accept"));
        }
        self.check_offer_taken(&f)
    }

    /// Checks the RFC 8441 response: a 2xx status (§5), and only a subprotocol and
    /// extensions that were offered.
    pub fn finish_extended_connect<'a>(
        &self,
        status: u16,
        headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<ClientResponse, HandshakeError> {
        if !(200..300).contains(&status) {
            return Err(HandshakeError::BadResponse("status"));
        }
        let f = Fields::read(headers).map_err(HandshakeError::BadResponse)?;
        self.check_offer_taken(&f)
    }

    fn check_offer_taken(&self, f: &Fields) -> Result<ClientResponse, HandshakeError> {
        let protocol = match f.protocols.as_slice() {
            [] if f.protocol_fields == 0 => None,
            [p] if f.protocol_fields == 1 && self.protocols.contains(p) => Some(p.clone()),
            _ => return Err(HandshakeError::BadResponse("sec-websocket-protocol")),
        };
        if f.bad_extensions {
            return Err(HandshakeError::BadResponse("sec-websocket-extensions"));
        }
        let deflate = match f.extensions.as_slice() {
            [] => None,
            [ext] if ext.name == DEFLATE => Some(
                self.deflate
                    .iter()
                    .find_map(|offer| offer.accept_response(ext))
                    .ok_or(HandshakeError::BadResponse("sec-websocket-extensions"))?,
            ),
            _ => return Err(HandshakeError::BadResponse("sec-websocket-extensions")),
        };
        Ok(ClientResponse { protocol, deflate })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs<'a>(h: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        h.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()))
    }

    #[test]
    fn rfc6455_accept_example() {
        // §1.3 and §4.2.2.
        assert_eq!(
            accept_value("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    const REQUEST: &[(&str, &str)] = &[
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "keep-alive, Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Origin", "http://example.com"),
        ("Sec-WebSocket-Protocol", "chat, superchat"),
        ("Sec-WebSocket-Version", "13"),
        (
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits",
        ),
    ];

    #[test]
    fn server_accepts_the_rfc_request() {
        let options = ServerOptions {
            protocols: vec!["superchat".into(), "chat".into()],
            deflate: Some(DeflateConfig::default()),
        };
        let a = accept_upgrade(b"GET", pairs(REQUEST), &options).unwrap();
        assert_eq!(a.protocol.as_deref(), Some("superchat"));
        assert!(a.deflate.is_some());
        assert_eq!(
            a.headers,
            vec![
                ("upgrade", "websocket".to_owned()),
                ("connection", "Upgrade".to_owned()),
                (
                    "sec-websocket-accept",
                    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".to_owned()
                ),
                ("sec-websocket-protocol", "superchat".to_owned()),
                ("sec-websocket-extensions", "permessage-deflate".to_owned()),
            ]
        );
        let plain = accept_upgrade(b"GET", pairs(REQUEST), &ServerOptions::default()).unwrap();
        assert_eq!(plain.headers.len(), 3);
    }

    #[test]
    fn requested_protocols_in_order() {
        let h = [
            ("Sec-WebSocket-Protocol", "chat, superchat"),
            ("Host", "x"),
            ("sec-websocket-protocol", " v2.json ,"),
        ];
        assert_eq!(
            requested_protocols(pairs(&h)),
            ["chat", "superchat", "v2.json"]
        );
        assert!(requested_protocols(pairs(&[("Host", "x")])).is_empty());
    }

    #[test]
    fn server_refusals() {
        let o = ServerOptions::default();
        assert_eq!(
            accept_upgrade(b"POST", pairs(REQUEST), &o),
            Err(HandshakeError::BadRequest("method"))
        );
        let without = |skip: &str| -> Vec<(&str, &str)> {
            REQUEST
                .iter()
                .copied()
                .filter(|(n, _)| *n != skip)
                .collect()
        };
        for (field, err) in [
            ("Upgrade", "upgrade"),
            ("Connection", "connection"),
            ("Sec-WebSocket-Key", "sec-websocket-key"),
            ("Sec-WebSocket-Version", "sec-websocket-version"),
        ] {
            let h = without(field);
            assert_eq!(
                accept_upgrade(b"GET", pairs(&h), &o),
                Err(HandshakeError::BadRequest(err))
            );
        }
        let mut h = without("Sec-WebSocket-Version");
        h.push(("Sec-WebSocket-Version", "8"));
        let e = accept_upgrade(b"GET", pairs(&h), &o).unwrap_err();
        assert_eq!(
            (e.clone(), e.status()),
            (HandshakeError::UnsupportedVersion, 426)
        );
        let mut h = without("Sec-WebSocket-Key");
        h.push(("Sec-WebSocket-Key", "c2hvcnQ="));
        assert_eq!(
            accept_upgrade(b"GET", pairs(&h), &o),
            Err(HandshakeError::BadRequest("sec-websocket-key"))
        );
        let mut h = without("Sec-WebSocket-Extensions");
        h.push(("Sec-WebSocket-Extensions", "permessage-deflate;;"));
        assert_eq!(
            accept_upgrade(b"GET", pairs(&h), &o),
            Err(HandshakeError::BadRequest("sec-websocket-extensions"))
        );
    }

    #[test]
    fn client_and_server_agree_over_http1() {
        let client = ClientHandshake::new(vec!["chat".into()], Some(DeflateConfig::default()));
        let request = client.upgrade_headers();
        let req: Vec<(&[u8], &[u8])> = request
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        let options = ServerOptions {
            protocols: vec!["chat".into()],
            deflate: Some(DeflateConfig::default()),
        };
        let accept = accept_upgrade(b"GET", req, &options).unwrap();
        let resp: Vec<(&[u8], &[u8])> = accept
            .headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        let done = client.finish_upgrade(101, resp.clone()).unwrap();
        assert_eq!(done.protocol.as_deref(), Some("chat"));
        assert_eq!(done.deflate.map(|d| d.server_max_window_bits), Some(15));
        assert_eq!(
            client.finish_upgrade(200, resp),
            Err(HandshakeError::BadResponse("status"))
        );
        let other = ClientHandshake::new(vec!["chat".into()], None);
        let resp: Vec<(&[u8], &[u8])> = accept
            .headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        assert_eq!(
            other.finish_upgrade(101, resp),
            Err(HandshakeError::BadResponse("sec-websocket-accept"))
        );
        assert_ne!(client.key(), other.key());
    }

    #[test]
    fn client_refuses_what_it_did_not_offer() {
        let client = ClientHandshake::with_nonce([1; 16], vec!["chat".into()], None);
        let accept = accept_value(client.key());
        let base = [
            ("Upgrade", "websocket"),
            ("Connection", "upgrade"),
            ("Sec-WebSocket-Accept", accept.as_str()),
        ];
        let with = |extra: (&'static str, &'static str)| {
            let mut v = base.to_vec();
            v.push(extra);
            v
        };
        assert!(client.finish_upgrade(101, pairs(&base)).is_ok());
        assert_eq!(
            client.finish_upgrade(101, pairs(&with(("Sec-WebSocket-Protocol", "other")))),
            Err(HandshakeError::BadResponse("sec-websocket-protocol"))
        );
        assert_eq!(
            client.finish_upgrade(
                101,
                pairs(&with(("Sec-WebSocket-Extensions", "permessage-deflate")))
            ),
            Err(HandshakeError::BadResponse("sec-websocket-extensions"))
        );
    }

    #[test]
    fn extended_connect_both_sides() {
        let client = ClientHandshake::new(vec![], Some(DeflateConfig::default()));
        let request = client.extended_connect_headers();
        assert!(request.iter().all(|(n, _)| *n != "sec-websocket-key"));
        let req: Vec<(&[u8], &[u8])> = request
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        let options = ServerOptions {
            deflate: Some(DeflateConfig::default()),
            ..ServerOptions::default()
        };
        assert_eq!(
            accept_extended_connect(b"CONNECT", Some(b"h2c"), req.clone(), &options),
            Err(HandshakeError::BadRequest(":protocol"))
        );
        assert_eq!(
            accept_extended_connect(b"GET", Some(b"websocket"), req.clone(), &options),
            Err(HandshakeError::BadRequest("method"))
        );
        let accept =
            accept_extended_connect(b"CONNECT", Some(b"websocket"), req, &options).unwrap();
        assert_eq!(
            accept.headers,
            vec![("sec-websocket-extensions", "permessage-deflate".to_owned())]
        );
        let resp: Vec<(&[u8], &[u8])> = accept
            .headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        let done = client.finish_extended_connect(200, resp).unwrap();
        assert!(done.deflate.is_some());
        assert!(client.finish_extended_connect(404, []).is_err());
    }
}
