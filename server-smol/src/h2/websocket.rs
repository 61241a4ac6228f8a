//! WebSocket over HTTP/2 (RFC 8441): an extended CONNECT with `:protocol = websocket`
//! on a WebSocket route runs the route's handler, as an HTTP/1.1 upgrade does; when it
//! accepts, the stream is answered with 200 and becomes the session's byte stream
//! (`crate::tunnel::TunnelIo`). The decision and the session are shared with HTTP/3
//! (`ws/connect.rs`); this file ties them to an HTTP/2 stream.
//!
//! ```text
//!  HEADERS :method CONNECT, :protocol websocket ──route──▶ handler decides
//!        accept ──▶ 200, session on the stream's DATA (flow control is back-pressure)
//!        reject ──▶ that response (never a 2xx: it would open the tunnel)
//! ```

use std::task::{Context, Poll};

use http2_proto::{ErrorCode, StreamId};

use super::{Phase, Serving, StreamJob};
use crate::clock;
use crate::context::ConnContext;
use crate::request::{Request, RequestInfo};
use crate::ws::connect::PendingWs;

impl Serving {
    /// Starts an extended CONNECT request (RFC 8441 §4): the handler of a WebSocket
    /// route for `websocket`, an HTTP answer for anything else.
    pub(super) fn start_extended_connect(
        &mut self,
        id: u32,
        mut job: StreamJob,
        protocol: &[u8],
        request: Request,
        info: Option<RequestInfo>,
    ) {
        match PendingWs::start(&self.context.shared, protocol, request, info) {
            Ok(pending) => {
                job.phase = Phase::Upgrade(Box::new(pending));
                self.streams.insert(id, job);
                self.to_poll.push(id);
            }
            Err(refused) => {
                job.body_tx = None;
                self.streams.insert(id, job);
                self.respond(id, refused.response, refused.info.as_ref());
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
        let Poll::Ready(outcome) = pending.poll(cx) else {
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
        let context = ConnContext {
            shared: self.context.shared.clone(),
            peer: self.context.peer,
            tls: self.context.tls,
            tls_info: self.context.tls_info.clone(),
        };
        let decided = pending.decide(outcome, context, waker);
        if let Some(session) = decided.session {
            self.sessions.insert(id, session);
            self.to_poll.push(id);
        }
        self.respond(id, decided.response, decided.info.as_ref());
    }

    /// Polls the WebSocket session of stream `id`, if it has one, dropping it once it
    /// has ended.
    pub(super) fn poll_session(&mut self, id: u32) {
        let Some(session) = self.sessions.get_mut(&id) else {
            return;
        };
        if session.poll().is_ready() {
            let waker = session.waker().clone();
            self.sessions.remove(&id);
            self.session_ended(id, &mut Context::from_waker(&waker));
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
