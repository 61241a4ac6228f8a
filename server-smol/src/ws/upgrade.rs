//! The opening handshake as the application sees it: a request to accept or reject.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use smol::channel::{Receiver, Sender};

use super::options::WsOptions;
use super::socket::{self, SocketLink, WebSocket, WsError};
use crate::headers::Headers;
use crate::request::Request;
use crate::response::Response;

/// A boxed WebSocket handler future.
pub type WsFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A WebSocket route's handler: it gets the [`WsUpgrade`] and either accepts it, and
/// then talks over the [`WebSocket`], or rejects it with an HTTP response. Implemented
/// for every `Fn(WsUpgrade) -> impl Future<Output = ()>` that is `Send + Sync`.
///
/// A handler whose future ends (or that drops the upgrade) without deciding gets the
/// client a 403, as an ASGI server answers an application that returns without
/// accepting. The future keeps being polled after it accepts, on the connection's task,
/// until it ends; the connection closes (1000) once every handle to the socket is gone.
pub trait WsHandler: Send + Sync + 'static {
    /// Handles one upgrade request.
    fn call(&self, upgrade: WsUpgrade) -> WsFuture;
}

impl<F, Fut> WsHandler for F
where
    F: Fn(WsUpgrade) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, upgrade: WsUpgrade) -> WsFuture {
        Box::pin(self(upgrade))
    }
}

/// A handler that accepts every upgrade, choosing the first of the route's
/// [`protocols`](WsOptions::protocols) the client offers, then runs `F` with the socket
/// and the request. [`App::ws_accept`](crate::App::ws_accept) builds one;
/// [`App::ws_with`](crate::App::ws_with) takes one for a route with its own options.
#[derive(Debug, Clone, Copy)]
pub struct AutoAccept<F>(pub F);

impl<F, Fut> WsHandler for AutoAccept<F>
where
    F: Fn(WebSocket, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, mut upgrade: WsUpgrade) -> WsFuture {
        let accept = Accept::new().protocol_opt(upgrade.preferred_protocol().map(str::to_owned));
        let request = upgrade.take_request();
        match upgrade.accept(accept) {
            Ok(socket) => Box::pin((self.0)(socket, request)),
            Err(_) => Box::pin(async {}),
        }
    }
}

/// A WebSocket route: its handler and, unless it uses the server's, its options.
pub(crate) struct WsRoute {
    pub(crate) handler: Arc<dyn WsHandler>,
    pub(crate) options: Option<Arc<WsOptions>>,
}

/// What the application decided about an upgrade.
pub(crate) enum Decision {
    Accept { accept: Accept, link: SocketLink },
    Reject(Response),
}

/// How to accept: the subprotocol chosen and extra response fields.
#[derive(Debug, Clone, Default)]
pub struct Accept {
    pub(crate) protocol: Option<String>,
    pub(crate) headers: Headers,
}

/// Response fields the opening handshake writes itself; an [`Accept`] cannot set them.
const HANDSHAKE_FIELDS: [&str; 6] = [
    "upgrade",
    "connection",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "content-length",
];

impl Accept {
    /// Accept with no subprotocol and no extra fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses `protocol`, which must be one the client offered
    /// ([`WsUpgrade::protocols`]).
    #[must_use]
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = Some(protocol.into());
        self
    }

    /// Chooses `protocol` if there is one.
    #[must_use]
    pub fn protocol_opt(mut self, protocol: Option<String>) -> Self {
        self.protocol = protocol;
        self
    }

    /// Adds a field to the 101 (or, over HTTP/2, 200) response, such as a `Set-Cookie`.
    /// The handshake's own fields are the handshake's: one of them given here is left
    /// out.
    #[must_use]
    pub fn header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The extra fields, without the handshake's own.
    pub(crate) fn extra_headers(&self) -> impl Iterator<Item = (&Bytes, &Bytes)> {
        self.headers.iter().filter(|(name, _)| {
            !HANDSHAKE_FIELDS
                .iter()
                .any(|own| own.as_bytes().eq_ignore_ascii_case(name))
        })
    }
}

/// A request to open a WebSocket on a route of [`App::ws`](crate::App::ws), valid as far
/// as RFC 6455 §4.2.1 goes: the handler accepts it ([`accept`](Self::accept)) or rejects
/// it with any HTTP response ([`reject`](Self::reject)).
///
/// It is `Send`: the decision may be made on another task or thread.
pub struct WsUpgrade {
    request: Request,
    offered: Vec<String>,
    options: Arc<WsOptions>,
    decision: Option<Sender<Decision>>,
}

impl std::fmt::Debug for WsUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsUpgrade")
            .field("request", &self.request)
            .field("offered", &self.offered)
            .finish_non_exhaustive()
    }
}

/// The connection's end of an upgrade: where the decision arrives.
pub(crate) type DecisionReceiver = Receiver<Decision>;

impl WsUpgrade {
    pub(crate) fn new(
        request: Request,
        offered: Vec<String>,
        options: Arc<WsOptions>,
    ) -> (Self, DecisionReceiver) {
        let (tx, rx) = smol::channel::bounded(1);
        let upgrade = Self {
            request,
            offered,
            options,
            decision: Some(tx),
        };
        (upgrade, rx)
    }

    /// The request (its body is empty).
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Takes the request out, leaving an empty one behind.
    pub fn take_request(&mut self) -> Request {
        std::mem::replace(
            &mut self.request,
            Request::new("GET", "/", Headers::new(), crate::Body::empty()),
        )
    }

    /// The subprotocols the client offered, in its order (RFC 6455 §4.1 item 10).
    pub fn protocols(&self) -> &[String] {
        &self.offered
    }

    /// The first of the route's [`protocols`](WsOptions::protocols) the client offered.
    pub fn preferred_protocol(&self) -> Option<&str> {
        self.options
            .protocols
            .iter()
            .find(|p| self.offered.contains(p))
            .map(String::as_str)
    }

    /// The options of the route.
    pub fn options(&self) -> &WsOptions {
        &self.options
    }

    /// Accepts: the connection answers 101 (with the subprotocol and fields of `accept`)
    /// and switches to WebSocket. The socket can be used at once; what is sent before
    /// the 101 is written follows it.
    ///
    /// # Errors
    /// [`WsError::ProtocolNotOffered`] for a subprotocol the client did not offer (RFC
    /// 6455 §4.2.2 item 5.5: the server picks one of the client's); the upgrade is then
    /// still undecided and comes back in the error. [`WsError::Closed`] when the client
    /// has gone already.
    pub fn accept(mut self, accept: Accept) -> Result<WebSocket, AcceptError> {
        if let Some(p) = &accept.protocol
            && !self.offered.contains(p)
        {
            let protocol = p.clone();
            return Err(AcceptError {
                error: WsError::ProtocolNotOffered(protocol),
                upgrade: Some(Box::new(self)),
            });
        }
        let Some(decision) = self.decision.take() else {
            return Err(AcceptError::closed());
        };
        let (socket, link) = socket::pair(accept.protocol.clone());
        match decision.try_send(Decision::Accept { accept, link }) {
            Ok(()) => Ok(socket),
            Err(_) => Err(AcceptError::closed()),
        }
    }

    /// Rejects with `response`, sent as the HTTP answer to the request (a 1xx status
    /// becomes 500: it would not end the exchange).
    pub fn reject(mut self, response: Response) {
        if let Some(decision) = self.decision.take() {
            let _ = decision.try_send(Decision::Reject(response));
        }
    }
}

/// [`WsUpgrade::accept`] failed.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct AcceptError {
    /// Why.
    pub error: WsError,
    /// The upgrade, still undecided, when it can still be accepted or rejected.
    pub upgrade: Option<Box<WsUpgrade>>,
}

impl AcceptError {
    fn closed() -> Self {
        Self {
            error: WsError::Closed,
            upgrade: None,
        }
    }
}

/// Checks a request against RFC 6455 §4.2.1 before any handler sees it; the error is the
/// response to send: 426 with `Upgrade: websocket` to a request that does not ask to
/// upgrade (RFC 9110 §15.5.22), 426 with `Sec-WebSocket-Version: 13` for another version
/// (RFC 6455 §4.4), 400 for the rest.
pub(crate) fn check(
    request: &Request,
    options: &WsOptions,
) -> Result<ws_proto::ServerAccept, Box<Response>> {
    let fields = request.headers().iter().map(|(n, v)| (&n[..], &v[..]));
    ws_proto::accept_upgrade(
        request.method().as_bytes(),
        fields,
        &options.server_options(),
    )
    .map_err(|error| {
        Box::new(match error {
            ws_proto::HandshakeError::BadRequest("upgrade") => Response::status_page(426)
                .with_header("upgrade", "websocket")
                .with_header("connection", "upgrade"),
            ws_proto::HandshakeError::UnsupportedVersion => {
                Response::status_page(426).with_header("sec-websocket-version", "13")
            }
            other => Response::status_page(other.status()),
        })
    })
}

/// The subprotocols `request` offers.
pub(crate) fn offered_protocols(request: &Request) -> Vec<String> {
    ws_proto::requested_protocols(request.headers().iter().map(|(n, v)| (&n[..], &v[..])))
}
