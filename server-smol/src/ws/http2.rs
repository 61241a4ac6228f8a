//! The HTTP/2 side of the opening handshake (RFC 8441 §5): an extended CONNECT with
//! `:protocol: websocket`, checked without the fields HTTP/2 does without, then the
//! same handler decision as over HTTP/1.1 ([`PendingUpgrade`]); the HTTP/2 driver
//! (`h2/websocket.rs`) answers an accept with 200 and runs the session on the stream.

use std::sync::Arc;

use super::http1::PendingUpgrade;
use super::options::WsOptions;
use super::upgrade::{self, WsRoute};
use crate::request::Request;
use crate::response::Response;

/// Checks an extended CONNECT for a WebSocket route and starts its handler; the error
/// is the response to send instead.
pub(crate) fn start(
    route: &WsRoute,
    default_options: &Arc<WsOptions>,
    request: Request,
) -> Result<PendingUpgrade, Box<Response>> {
    let options = route.options_or(default_options);
    let handshake = upgrade::check_extended_connect(&request, &options)?;
    Ok(PendingUpgrade::new(route, options, request, handshake))
}
