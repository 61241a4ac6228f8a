//! The one place py-binding reads the clock: the sans-IO HTTP/2 connection takes
//! `now` as an argument (the driver contract, ARCHITECTURE.md), and Python's h2 API has no time parameter.

use std::time::Instant;

/// The current instant, for `http2_proto::Connection` calls.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> Instant {
    Instant::now()
}
