//! Counters behind the denial-of-service guards of [`Limits`](crate::Limits).

use std::time::Instant;

use crate::RateLimit;

/// A token bucket on the caller's clock.
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    limit: RateLimit,
    /// Tokens in millitokens, so slow refill rates still accrue between close events.
    milli: u64,
    last: Option<Instant>,
}

impl TokenBucket {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            milli: u64::from(limit.burst) * 1000,
            last: None,
        }
    }

    /// Takes one token; false when the bucket is empty (the guard trips).
    pub(crate) fn take(&mut self, now: Instant) -> bool {
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
        let t0 = crate::test_epoch();
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
