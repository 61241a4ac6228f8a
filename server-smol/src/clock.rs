//! The one place in the server that reads the clocks.
//!
//! The protocol crates take `now` as an argument (DESIGN.md §2); everything
//! here that needs the time asks this module, so tests and reviews have one
//! spot to look at.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

/// The monotonic clock, for deadlines and the HTTP/2 timers.
#[allow(clippy::disallowed_methods)] // the I/O layer is where time is read
pub(crate) fn now() -> Instant {
    Instant::now()
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
