//! Deadlines the connection keeps on the caller's clock (quinn's `TimerTable` shape).
//!
//! Nothing here reads a clock: deadlines are computed from the `now` the caller passes
//! to `recv`, `handle_timeout` and the commands, and `poll_timeout` reports the earliest.

use std::time::Instant;

/// The connection's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Our oldest unacknowledged SETTINGS expires (RFC 9113 §6.5.3, SETTINGS_TIMEOUT).
    SettingsAck,
    /// Time to send a keep-alive PING because nothing was received for a while.
    KeepAlivePing,
    /// The keep-alive PING went unanswered.
    KeepAliveTimeout,
    /// Phase one of a graceful GOAWAY is over: send the final GOAWAY (RFC 9113 §6.8).
    GoAwayDrain,
    /// The oldest remembered locally-reset stream can be forgotten.
    ResetExpiry,
    /// No streams for a while: close the connection.
    Idle,
    /// A header block in progress took too long (RFC 9113 §6.10).
    HeaderBlock,
    /// The earliest per-stream body deadline may have passed; the streams keep their
    /// own deadlines and this fires at or before the earliest of them.
    Body,
}

const COUNT: usize = 8;

impl Timer {
    const ALL: [Self; COUNT] = [
        Self::SettingsAck,
        Self::KeepAlivePing,
        Self::KeepAliveTimeout,
        Self::GoAwayDrain,
        Self::ResetExpiry,
        Self::Idle,
        Self::HeaderBlock,
        Self::Body,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// One optional deadline per [`Timer`].
#[derive(Clone, Debug, Default)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; COUNT],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer.index()] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer.index()]
    }

    /// The earliest deadline of all running timers.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Stops and returns every timer whose deadline is at or before `now`, in a fixed
    /// order so handling is deterministic.
    pub(crate) fn expired(&mut self, now: Instant) -> impl Iterator<Item = Timer> + use<> {
        let mut fired = [None; COUNT];
        for timer in Timer::ALL {
            if self.deadlines[timer.index()].is_some_and(|at| at <= now) {
                self.deadlines[timer.index()] = None;
                fired[timer.index()] = Some(timer);
            }
        }
        fired.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn earliest_deadline_and_expiry() {
        let t0 = crate::test_epoch();
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Idle, t0 + Duration::from_secs(5));
        t.set(Timer::SettingsAck, t0 + Duration::from_secs(1));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(1)));
        let fired: Vec<_> = t.expired(t0 + Duration::from_secs(2)).collect();
        assert_eq!(fired, vec![Timer::SettingsAck]);
        assert_eq!(t.get(Timer::SettingsAck), None);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(5)));
    }
}
