//! Waiting inside handlers.

use std::time::Duration;

/// Completes after `duration`.
///
/// On a per-core worker the timer is an entry in the worker's own reactor,
/// so a handler that paces its output (server-sent events, retries) wakes
/// on its own thread without a system call; elsewhere it is async-io's
/// timer.
pub async fn sleep(duration: Duration) {
    crate::runtime::Timer::after(duration).await;
}
