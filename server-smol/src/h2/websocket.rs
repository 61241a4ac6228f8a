//! WebSocket over HTTP/2 (RFC 8441): an extended CONNECT with `:protocol = websocket`
//! on a WebSocket route runs the route's handler, as an HTTP/1.1 upgrade does; when it
//! accepts, the stream is answered with 200 and becomes the session's byte stream
//! ([`TunnelIo`]).
//!
//! ```text
//!  HEADERS :method CONNECT, :protocol websocket ──route──▶ handler decides
//!        accept ──▶ 200, session on the stream's DATA (flow control is back-pressure)
//!        reject ──▶ that response (never a 2xx: it would open the tunnel)
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use http2_proto::{ErrorCode, StreamId};

use super::tunnel::TunnelIo;
use super::{Phase, Serving, StreamJob};
use crate::app::Routed;
use crate::body::Body;
use crate::clock;
use crate::context::ConnContext;
use crate::request::{Request, RequestInfo};
use crate::response::Response;
use crate::ws::http1::{Outcome, PendingUpgrade};

/// A WebSocket request whose handler is deciding.
pub(super) struct PendingWs {
    pending: PendingUpgrade,
    /// The stream's DATA, which the tunnel reads once accepted.
    inbound: Body,
    info: Option<RequestInfo>,
}

/// An accepted WebSocket's session, polled with its stream's waker.
pub(super) struct Session {
    waker: Waker,
    future: Pin<Box<dyn Future<Output = ()> + Send>>,
}

/// A 2xx to CONNECT means the tunnel is open (RFC 9110 §9.3.6, RFC 8441 §5): an answer
/// that does not accept must not be one.
fn refusal(response: Response) -> Response {
    if (200..300).contains(&response.status()) {
        Response::status_page(500)
    } else {
        response
    }
}

impl Serving {
    /// Starts an extended CONNECT request (RFC 8441 §4): the handler of a WebSocket
    /// route for `websocket`, an HTTP answer for anything else.
    pub(super) fn start_extended_connect(
        &mut self,
        id: u32,
        mut job: StreamJob,
        protocol: &[u8],
        mut request: Request,
        info: Option<RequestInfo>,
    ) {
        let shared = self.context.shared.clone();
        let started = if protocol == b"websocket" {
            match shared.app.route_extended_connect(&mut request) {
                Routed::WebSocket(route) => {
                    let inbound = request.take_body();
                    let options = Arc::new(shared.config.ws.clone());
                    crate::ws::http2::start(&route, &options, request)
                        .map(|pending| (pending, inbound))
                        .map_err(|response| *response)
                }
                // Over HTTP/1.1 such a handler would answer the request itself; here
                // its answer would read as the tunnel's.
                Routed::Handler(_) => Err(Response::status_page(400)),
                Routed::Answer(response) => Err(response),
            }
        } else {
            // The protocols a server tunnels are its own choice (RFC 8441 §4); this
            // one tunnels WebSocket only.
            Err(Response::status_page(501))
        };
        match started {
            Ok((pending, inbound)) => {
                job.phase = Phase::Upgrade(Box::new(PendingWs {
                    pending,
                    inbound,
                    info,
                }));
                self.streams.insert(id, job);
                self.to_poll.push(id);
            }
            Err(response) => {
                job.body_tx = None;
                let mut response = refusal(response);
                if let Some(info) = &info {
                    shared.app.finish(info, &mut response);
                }
                self.streams.insert(id, job);
                self.respond(id, response, info.as_ref());
            }
        }
    }

    /// Polls a deciding WebSocket handler; on its decision, answers the stream and, on
    /// accept, starts the session on it.
    pub(super) fn poll_upgrade(&mut self, id: u32, cx: &mut Context<'_>) {
        let Some(job) = self.streams.get_mut(&id) else {
            return;
        };
        let Phase::Upgrade(pending) = &mut job.phase else {
            return;
        };
        let Poll::Ready(outcome) = pending.pending.poll(cx) else {
            return;
        };
        let waker = job.waker.clone();
        let idle = Phase::Sending {
            pending: None,
            source: None,
            trailers: None,
        };
        let Phase::Upgrade(pending) = std::mem::replace(&mut job.phase, idle) else {
            return;
        };
        let PendingWs { inbound, info, .. } = *pending;
        match outcome {
            Outcome::Accept(head, seed) => {
                let (io, output) = TunnelIo::new(inbound);
                let mut response = Response::stream(output);
                for (name, value) in head.headers.iter() {
                    response = response.with_header(name.clone(), value.clone());
                }
                let context = ConnContext {
                    shared: self.context.shared.clone(),
                    peer: self.context.peer,
                    tls: self.context.tls,
                    tls_info: self.context.tls_info.clone(),
                };
                let turn = crate::turn::Turn::default();
                let serve =
                    crate::ws::session::serve(io, BytesMut::new(), false, seed, context, turn);
                self.sessions.insert(
                    id,
                    Session {
                        waker,
                        future: Box::pin(async move {
                            // How the session ended is the socket's to report.
                            let _ = serve.await;
                        }),
                    },
                );
                self.to_poll.push(id);
                // As over HTTP/1.1, the `after` hooks see no accepted handshake: a
                // status or field they changed could undo it.
                self.respond(id, response, info.as_ref());
            }
            Outcome::Reject(response) => {
                let mut response = refusal(response);
                if let Some(info) = &info {
                    self.context.shared.app.finish(info, &mut response);
                }
                self.respond(id, response, info.as_ref());
            }
        }
    }

    /// Polls the WebSocket session of stream `id`, if it has one, dropping it once it
    /// has ended.
    pub(super) fn poll_session(&mut self, id: u32) {
        let Some(session) = self.sessions.get_mut(&id) else {
            return;
        };
        let waker = session.waker.clone();
        let mut cx = Context::from_waker(&waker);
        if session.future.as_mut().poll(&mut cx).is_ready() {
            self.sessions.remove(&id);
            self.session_ended(id, &mut cx);
        }
    }

    /// What the session wrote goes out as the windows allow, then END_STREAM. But
    /// output that the peer's windows hold back when the session has ended will not go:
    /// the session gave up on a peer that does not read (its write timeout), or left
    /// more than the peer takes. The stream is then cancelled (RFC 9113 §8.1), as an
    /// HTTP/1.1 WebSocket's connection would be closed, so the peer learns the socket
    /// is gone instead of sending into it.
    fn session_ended(&mut self, id: u32, cx: &mut Context<'_>) {
        self.pump_body(id, cx);
        let stream = StreamId::new(id);
        if self.streams.contains_key(&id) && self.conn.send_capacity(stream) == 0 {
            tracing::debug!(%stream, "websocket output held back by the peer: cancelled");
            self.remove_stream(id);
            let _ = self
                .conn
                .reset_stream(clock::now(), stream, ErrorCode::CANCEL);
        }
    }
}
