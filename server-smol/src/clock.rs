//! The one place in the server that reads the clocks.
//!
//! The protocol crates take `now` as an argument (the driver contract, ARCHITECTURE.md); everything
//! here that needs the time asks this module, so tests and reviews have one
//! spot to look at.

use std::cell::Cell;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

thread_local! {
    /// On a per-core worker: the time its reactor last woke up.
    static LOOP_TIME: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The monotonic clock, for deadlines and the HTTP/2 timers.
///
/// On a per-core worker this is the time the reactor last returned from
/// its wait, read once per batch of events instead of several times per
/// request (the deadlines it feeds are seconds long; a batch takes well
/// under a millisecond). Elsewhere it reads the clock.
pub(crate) fn now() -> Instant {
    LOOP_TIME
        .try_with(Cell::get)
        .ok()
        .flatten()
        .unwrap_or_else(precise_now)
}

/// The monotonic clock, read now.
#[allow(clippy::disallowed_methods)] // the I/O layer is where time is read
pub(crate) fn precise_now() -> Instant {
    Instant::now()
}

/// Reads the clock and makes the reading this thread's [`now`] until the
/// next call (`None` goes back to reading the clock each time). Called by a
/// worker's reactor after each wait.
pub(crate) fn set_loop_time(enabled: bool) -> Instant {
    let now = precise_now();
    let _ = LOOP_TIME.try_with(|t| t.set(enabled.then_some(now)));
    now
}

/// The wall clock, for `Date` headers and `Last-Modified` comparisons.
#[allow(clippy::disallowed_methods)] // the I/O layer is where time is read
pub(crate) fn wall() -> SystemTime {
    SystemTime::now()
}

/// A cached `Date` header value (RFC 9110 §6.6.1), reformatted at most once
/// per second.
///
/// Each connection owns one, so no lock or shared cache line is touched per
/// request; the cost is one 29-byte format per connection per second.
#[derive(Debug, Default)]
pub(crate) struct DateCache {
    second: u64,
    value: Bytes,
}

impl DateCache {
    /// The `Date` value for the current second.
    pub(crate) fn get(&mut self) -> Bytes {
        let now = wall();
        let second = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if second != self.second || self.value.is_empty() {
            self.second = second;
            self.value = Bytes::from(httpdate::fmt_http_date(now));
        }
        self.value.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_is_an_imf_fixdate_and_cached_within_a_second() {
        let mut cache = DateCache::default();
        let first = cache.get();
        assert_eq!(first.len(), 29, "{first:?}");
        assert!(first.ends_with(b" GMT"));
        assert!(httpdate::parse_http_date(std::str::from_utf8(&first).unwrap()).is_ok());
    }
}
