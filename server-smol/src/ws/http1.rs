//! The HTTP/1.1 side of the opening handshake (RFC 6455 §4.2): from a routed request to
//! the handler's decision, and from an accept to the 101 whose hand-off starts the
//! session.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_lite::StreamExt;

use super::options::WsOptions;
use super::session::{SessionSeed, poll_handler};
use super::upgrade::{self, Decision, DecisionReceiver, WsFuture, WsRoute, WsUpgrade};
use crate::request::{Request, Version};
use crate::response::Response;

/// An upgrade request whose handler is deciding.
pub(crate) struct PendingUpgrade {
    handler: Option<WsFuture>,
    /// Boxed: a channel receiver is not `Unpin`.
    decision: Pin<Box<DecisionReceiver>>,
    handshake: ws_proto::ServerAccept,
    options: Arc<WsOptions>,
}

/// What the handler decided.
pub(crate) enum Outcome {
    /// Send this 101, then hand the connection to the session.
    Accept(http1_proto::ResponseHead, SessionSeed),
    /// Answer with this response, as to any request.
    Reject(Response),
}

/// Checks `request` for a WebSocket route and starts its handler; the error is the
/// response to send instead. `has_body`: the request announced a body, which an
/// opening handshake has no use for (RFC 6455 §4.1: a GET without one).
pub(crate) fn start(
    route: &WsRoute,
    default_options: &Arc<WsOptions>,
    request: Request,
    has_body: bool,
) -> Result<PendingUpgrade, Box<Response>> {
    if has_body || request.version() != Version::Http11 {
        return Err(Box::new(Response::status_page(400)));
    }
    let options = route.options_or(default_options);
    let handshake = upgrade::check(&request, &options)?;
    Ok(PendingUpgrade::new(route, options, request, handshake))
}

impl PendingUpgrade {
    /// Starts `route`'s handler on a request whose handshake checked out as
    /// `handshake`, over either HTTP version.
    pub(crate) fn new(
        route: &WsRoute,
        options: Arc<WsOptions>,
        request: Request,
        handshake: ws_proto::ServerAccept,
    ) -> Self {
        let offered = upgrade::offered_protocols(&request);
        let (upgrade, decision) = WsUpgrade::new(request, offered, options.clone());
        Self {
            handler: Some(route.handler.call(upgrade)),
            decision: Box::pin(decision),
            handshake,
            options,
        }
    }

    /// Polls the handler until it decides; a handler that ends (or drops the upgrade)
    /// undecided gets the client a 403.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        match self.decision.as_mut().poll_next(cx) {
            Poll::Ready(Some(decision)) => return Poll::Ready(self.decided(decision)),
            Poll::Ready(None) => return Poll::Ready(Outcome::Reject(forbidden())),
            Poll::Pending => {}
        }
        let Some(handler) = self.handler.as_mut() else {
            return Poll::Pending;
        };
        if poll_handler(handler, cx).is_pending() {
            return Poll::Pending;
        }
        self.handler = None;
        // The decision may have come with the end: look again.
        match self.decision.try_recv() {
            Ok(decision) => Poll::Ready(self.decided(decision)),
            Err(_) => Poll::Ready(Outcome::Reject(forbidden())),
        }
    }

    fn decided(&mut self, decision: Decision) -> Outcome {
        let (accept, link) = match decision {
            Decision::Reject(response) if response.status() < 200 => {
                return Outcome::Reject(Response::status_page(500));
            }
            Decision::Reject(response) => return Outcome::Reject(response),
            Decision::Accept { accept, link } => (accept, link),
        };
        let mut head = http1_proto::ResponseHead::new(101);
        for (name, value) in &self.handshake.headers {
            head.headers.append(*name, value.clone());
        }
        if let Some(protocol) = &accept.protocol {
            head.headers
                .append(&b"sec-websocket-protocol"[..], protocol.clone());
        }
        for (name, value) in accept.extra_headers() {
            head.headers.append(name.clone(), value.clone());
        }
        let seed = SessionSeed {
            handler: self.handler.take(),
            link,
            config: self.options.connection_config(self.handshake.deflate),
        };
        Outcome::Accept(head, seed)
    }
}

/// The answer to an upgrade its handler did not accept.
fn forbidden() -> Response {
    Response::status_page(403)
}
