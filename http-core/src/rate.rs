//! Rate limits for denial-of-service guards: a token bucket on the caller's clock, the
//! shape nghttp2 gives its reset and glitch limits. HTTP/2 and HTTP/3 meter rapid
//! resets and provoked stream errors with it.

use std::time::Instant;

/// A token bucket: `burst` events at once, refilled at `per_second` (nghttp2's shape
/// for its reset and glitch limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RateLimit {
    /// Tokens available at once.
    pub burst: u32,
    /// Tokens regained per second.
    pub per_second: u32,
}

/// A token bucket on the caller's clock.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    limit: RateLimit,
    /// Tokens in millitokens, so slow refill rates still accrue between close events.
    milli: u64,
    last: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket.
    #[must_use]
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            milli: u64::from(limit.burst) * 1000,
            last: None,
        }
    }

    /// Takes one token; false when the bucket is empty (the guard trips).
    pub fn take(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let elapsed_ms =
                u64::try_from(now.saturating_duration_since(last).as_millis()).unwrap_or(u64::MAX);
            let gained = elapsed_ms.saturating_mul(u64::from(self.limit.per_second));
            let cap = u64::from(self.limit.burst) * 1000;
            self.milli = self.milli.saturating_add(gained).min(cap);
        }
        self.last = Some(now);
        if self.milli < 1000 {
            return false;
        }
        self.milli -= 1000;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn bucket_empties_and_refills() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut b = TokenBucket::new(RateLimit {
            burst: 3,
            per_second: 10,
        });
        assert!(b.take(t0) && b.take(t0) && b.take(t0));
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_millis(100)));
        assert!(!b.take(t0 + Duration::from_millis(100)));
    }
}
