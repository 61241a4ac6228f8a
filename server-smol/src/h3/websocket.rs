//! WebSocket over HTTP/3 (RFC 9220): an extended CONNECT with `:protocol = websocket`
//! on a WebSocket route runs the route's handler; when it accepts, the request stream
//! is answered with 200 and its DATA carries the session both ways, QUIC's stream flow
//! control being the back-pressure. The decision and the session are the same as over
//! HTTP/2 (`ws/connect.rs`); this file only ties them to a request stream.

use std::task::{Context, Poll};

use super::conn::{Conn, Job, Phase};
use crate::context::ConnContext;
use crate::request::{Request, RequestInfo};
use crate::ws::connect::PendingWs;

impl Conn {
    /// Starts an extended CONNECT request (RFC 9220 §3): the handler of a WebSocket
    /// route for `websocket`, an HTTP answer for anything else.
    pub(super) fn start_extended_connect(
        &mut self,
        id: u64,
        mut job: Job,
        protocol: &[u8],
        request: Request,
        info: Option<RequestInfo>,
    ) {
        match PendingWs::start(&self.shared, protocol, request, info) {
            Ok(pending) => {
                job.phase = Phase::Upgrade(Box::new(pending));
                self.jobs.insert(id, job);
                self.to_poll.push(id);
            }
            Err(refused) => {
                job.body_tx = None;
                self.jobs.insert(id, job);
                self.respond(id, refused.response, refused.info.as_ref());
            }
        }
    }

    /// Polls a deciding WebSocket handler; on its decision, answers the stream and, on
    /// accept, starts the session on it.
    pub(super) fn poll_upgrade(&mut self, id: u64, cx: &mut Context<'_>) {
        let Some(job) = self.jobs.get_mut(&id) else {
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
            shared: self.shared.clone(),
            peer: Some(self.peer),
            // HTTP/3 runs over QUIC, whose packets TLS protects (RFC 9001).
            tls: true,
            tls_info: self.tls_info.clone(),
        };
        let decided = pending.decide(outcome, context, waker);
        if let Some(session) = decided.session {
            self.sessions.insert(id, session);
            self.to_poll.push(id);
        }
        self.respond(id, decided.response, decided.info.as_ref());
    }

    /// Polls the WebSocket session of stream `id`, if it has one, dropping it once it
    /// has ended. Its output, and then the end of the stream, go out as QUIC takes
    /// them; a stream the peer reset ends the session through its inbound side.
    pub(super) fn poll_session(&mut self, id: u64) {
        let Some(session) = self.sessions.get_mut(&id) else {
            return;
        };
        if session.poll().is_ready() {
            self.sessions.remove(&id);
            self.to_poll.push(id);
        }
    }
}
