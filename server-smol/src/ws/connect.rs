//! WebSocket over an extended CONNECT (RFC 8441 for HTTP/2, RFC 9220 for HTTP/3): a
//! request with `:protocol = websocket` on a WebSocket route runs the route's handler,
//! checked without the fields the framed protocols do without, as an HTTP/1.1 upgrade
//! does; when the handler accepts, the stream is answered with 200 and becomes the
//! session's byte stream ([`TunnelIo`]).
//!
//! ```text
//!  HEADERS :method CONNECT, :protocol websocket ──route──▶ handler decides
//!        accept ──▶ 200, session on the stream's DATA (flow control is back-pressure)
//!        reject ──▶ that response (never a 2xx: it would open the tunnel)
//! ```
//!
//! Both drivers (`h2/websocket.rs`, `h3/websocket.rs`) take the decision and the
//! session from here and only move the stream's bytes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;

use super::http1::{Outcome, PendingUpgrade};
use super::session::SessionSeed;
use super::upgrade;
use crate::app::Routed;
use crate::body::Body;
use crate::context::{ConnContext, Shared};
use crate::request::{Request, RequestInfo};
use crate::response::Response;
use crate::tunnel::TunnelIo;

/// A WebSocket session running on a tunnel; how it ended is the socket's to report.
type SessionFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An accepted WebSocket's session, polled with its stream's waker: what wakes it (its
/// stream's DATA or window) makes the driver poll that one stream, not every one.
pub(crate) struct Session {
    waker: Waker,
    future: SessionFuture,
}

impl Session {
    /// Runs the session as far as it can; ready once it has ended.
    pub(crate) fn poll(&mut self) -> Poll<()> {
        self.future
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }

    /// The stream's waker, for the driver's work on the stream once the session ended.
    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }
}

/// A WebSocket request whose handler is deciding.
pub(crate) struct PendingWs {
    pending: PendingUpgrade,
    /// The stream's DATA, which the tunnel reads once accepted.
    inbound: Body,
    info: Option<RequestInfo>,
}

/// What the stream gets once the handler decided: the response to send (a 200 whose
/// body is what the session writes, or a refusal), and on accept the session.
pub(crate) struct Decided {
    pub(crate) response: Response,
    pub(crate) session: Option<Session>,
    pub(crate) info: Option<RequestInfo>,
}

impl PendingWs {
    /// Starts an extended CONNECT request: the handler of a WebSocket route for
    /// `websocket`. The error is the response to send instead (never a 2xx), the
    /// App's `after` hooks applied.
    pub(crate) fn start(
        shared: &Shared,
        protocol: &[u8],
        request: Request,
        info: Option<RequestInfo>,
    ) -> Result<Self, Box<Decided>> {
        match route(shared, protocol, request) {
            Ok((pending, inbound)) => Ok(Self {
                pending,
                inbound,
                info,
            }),
            Err(response) => {
                let mut response = *response;
                if let Some(info) = &info {
                    shared.app.finish(info, &mut response);
                }
                Err(Box::new(Decided {
                    response,
                    session: None,
                    info,
                }))
            }
        }
    }

    /// Polls the handler until it decided.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        self.pending.poll(cx)
    }

    /// The stream's answer to `outcome`; an accepted session runs on the stream for
    /// the connection `context`, woken through the stream's `waker`.
    pub(crate) fn decide(self, outcome: Outcome, context: ConnContext, waker: Waker) -> Decided {
        let Self { inbound, info, .. } = self;
        match outcome {
            // As over HTTP/1.1, the `after` hooks see no accepted handshake: a status
            // or field they changed could undo it.
            Outcome::Accept(head, seed) => {
                let (response, future) = accept(&head, seed, inbound, context);
                Decided {
                    response,
                    session: Some(Session { waker, future }),
                    info,
                }
            }
            Outcome::Reject(response) => {
                let mut response = refusal(response);
                if let Some(info) = &info {
                    context.shared.app.finish(info, &mut response);
                }
                Decided {
                    response,
                    session: None,
                    info,
                }
            }
        }
    }
}

/// Routes an extended CONNECT: the handler of a WebSocket route for `websocket`, with
/// the stream's inbound DATA (`request`'s body), which the tunnel reads once accepted.
fn route(
    shared: &Shared,
    protocol: &[u8],
    mut request: Request,
) -> Result<(PendingUpgrade, Body), Box<Response>> {
    if protocol != b"websocket" {
        // The protocols a server tunnels are its own choice (RFC 8441 §4, RFC 9220
        // §3); this one tunnels WebSocket only.
        return Err(Box::new(Response::status_page(501)));
    }
    match shared.app.route_extended_connect(&mut request) {
        Routed::WebSocket(route) => {
            let inbound = request.take_body();
            let options = route.options_or(&Arc::new(shared.config.ws.clone()));
            let handshake = upgrade::check_extended_connect(&request, &options)
                .map_err(|r| Box::new(refusal(*r)))?;
            let pending = PendingUpgrade::new(&route, options, request, handshake);
            Ok((pending, inbound))
        }
        // Over HTTP/1.1 such a handler would answer the request itself; here its
        // answer would read as the tunnel's.
        Routed::Handler(_) => Err(Box::new(Response::status_page(400))),
        Routed::Answer(response) => Err(Box::new(refusal(response))),
    }
}

/// A 2xx to CONNECT means the tunnel is open (RFC 9110 §9.3.6, RFC 8441 §5, RFC 9220
/// §3): an answer that does not accept must not be one.
fn refusal(response: Response) -> Response {
    if (200..300).contains(&response.status()) {
        Response::status_page(500)
    } else {
        response
    }
}

/// An accepted handshake: the 200 to send, whose body is what the session writes, and
/// the session, reading `inbound`.
fn accept(
    head: &http1_proto::ResponseHead,
    seed: SessionSeed,
    inbound: Body,
    context: ConnContext,
) -> (Response, SessionFuture) {
    let (io, output) = TunnelIo::new(inbound);
    let mut response = Response::stream(output);
    for (name, value) in head.headers.iter() {
        response = response.with_header(name.clone(), value.clone());
    }
    let turn = crate::turn::Turn::default();
    let serve = super::session::serve(io, BytesMut::new(), false, seed, context, turn);
    let session = Box::pin(async move {
        let _ = serve.await;
    });
    (response, session)
}
