//! Flow-control windows (RFC 9113 §5.2, §6.9).
//!
//! Windows are kept as `i64` because a SETTINGS_INITIAL_WINDOW_SIZE decrease can make a
//! send window negative (RFC 9113 §6.9.2), and because the 2^31 - 1 overflow check is
//! simplest when the sum cannot overflow the representation.

/// The largest legal window (RFC 9113 §6.9.1).
pub(crate) const MAX_WINDOW: i64 = 0x7fff_ffff;

/// The RFC's initial window for streams and for the connection.
pub(crate) const DEFAULT_WINDOW: u32 = 65_535;

/// A window the peer grants us: how much we may send.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SendWindow(i64);

/// A WINDOW_UPDATE or SETTINGS change would push a window past 2^31 - 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WindowOverflow;

impl SendWindow {
    pub(crate) fn new(size: u32) -> Self {
        Self(i64::from(size))
    }

    /// Octets that may be sent now (0 when the window is negative).
    pub(crate) fn available(self) -> usize {
        usize::try_from(self.0.max(0)).unwrap_or(usize::MAX)
    }

    pub(crate) fn get(self) -> i64 {
        self.0
    }

    /// Spends `n` octets; callers never spend more than [`available`](Self::available).
    pub(crate) fn consume(&mut self, n: usize) {
        self.0 -= i64::try_from(n).unwrap_or(MAX_WINDOW);
    }

    /// Applies a WINDOW_UPDATE increment.
    pub(crate) fn increase(&mut self, increment: u32) -> Result<(), WindowOverflow> {
        self.adjust(i64::from(increment))
    }

    /// Applies a signed change (SETTINGS_INITIAL_WINDOW_SIZE delta, RFC 9113 §6.9.2).
    pub(crate) fn adjust(&mut self, delta: i64) -> Result<(), WindowOverflow> {
        let next = self.0 + delta;
        if next > MAX_WINDOW {
            return Err(WindowOverflow);
        }
        self.0 = next;
        Ok(())
    }
}

/// A window we grant the peer, plus the bookkeeping that decides when to announce more
/// with WINDOW_UPDATE.
///
/// Received octets are first *unreleased* (held by the application), then *released*
/// (the application is done with them), and announced once enough has been released
/// that a WINDOW_UPDATE is worth a frame: half the target window, or a smaller amount
/// when the peer is blocked (the python-hyper `WindowManager` rule). This batching keeps
/// a bulk transfer to a handful of WINDOW_UPDATE frames per window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RecvWindow {
    /// What the peer may still send before it must wait.
    window: i64,
    /// The window size we aim to keep open.
    target: u32,
    /// Received and not yet released by the application.
    unreleased: u64,
    /// Released but not yet announced.
    pending: u64,
}

/// The peer sent more than the window allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WindowExceeded;

impl RecvWindow {
    /// A window that starts at `initial` (what the peer assumes) and is kept at `target`.
    pub(crate) fn new(initial: u32, target: u32) -> Self {
        Self {
            window: i64::from(initial),
            target,
            unreleased: 0,
            pending: 0,
        }
    }

    pub(crate) fn window(&self) -> i64 {
        self.window
    }

    pub(crate) fn unreleased(&self) -> u64 {
        self.unreleased
    }

    /// Accounts `n` received flow-controlled octets.
    pub(crate) fn receive(&mut self, n: usize) -> Result<(), WindowExceeded> {
        let n = i64::try_from(n).map_err(|_| WindowExceeded)?;
        if n > self.window {
            return Err(WindowExceeded);
        }
        self.window -= n;
        self.unreleased += n.unsigned_abs();
        Ok(())
    }

    /// Marks up to `n` octets as released; returns an increment to announce if the
    /// threshold is crossed. Releasing more than was received is clamped, so a confused
    /// caller can never make us announce credit the peer has not used.
    pub(crate) fn release(&mut self, n: usize) -> Option<u32> {
        let n = u64::try_from(n).unwrap_or(u64::MAX).min(self.unreleased);
        self.unreleased -= n;
        self.pending += n;
        self.maybe_update()
    }

    /// Changes the target (our SETTINGS_INITIAL_WINDOW_SIZE was acknowledged, RFC 9113
    /// §6.9.2). The window moves by the same delta; a larger target may produce an update.
    pub(crate) fn set_target(&mut self, target: u32) -> Option<u32> {
        self.window += i64::from(target) - i64::from(self.target);
        self.target = target;
        self.maybe_update()
    }

    /// Raises the target without touching the window (connection windows are set up
    /// with an explicit WINDOW_UPDATE). Returns the increment to announce.
    pub(crate) fn grow_target(&mut self, target: u32) -> Option<u32> {
        if target <= self.target {
            return None;
        }
        let inc = target - self.target;
        self.target = target;
        self.window += i64::from(inc);
        Some(inc)
    }

    fn maybe_update(&mut self) -> Option<u32> {
        if self.pending == 0 {
            return None;
        }
        let target = u64::from(self.target);
        let blocked = self.window <= 0 && self.pending >= (target / 4).min(1024);
        if !(blocked || self.pending >= target / 2) {
            return None;
        }
        // Never announce past the target or the RFC maximum.
        let room = (i64::from(self.target) - self.window).clamp(0, MAX_WINDOW);
        let inc = self.pending.min(room.unsigned_abs());
        if inc == 0 {
            return None;
        }
        self.pending -= inc;
        self.window += i64::try_from(inc).unwrap_or(0);
        u32::try_from(inc).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_window_overflow_and_negative() {
        let mut w = SendWindow::new(65_535);
        assert_eq!(w.increase(0x7fff_ffff - 65_535), Ok(()));
        assert_eq!(w.increase(1), Err(WindowOverflow));
        let mut w = SendWindow::new(10);
        w.adjust(-20).unwrap();
        assert_eq!(w.available(), 0);
        assert_eq!(w.get(), -10);
    }

    #[test]
    fn recv_window_batches_updates() {
        let mut w = RecvWindow::new(65_535, 65_535);
        w.receive(1000).unwrap();
        assert_eq!(w.release(1000), None);
        w.receive(40_000).unwrap();
        assert_eq!(w.release(40_000), Some(41_000));
        assert_eq!(w.window(), 65_535);
        assert_eq!(w.receive(65_536), Err(WindowExceeded));
    }

    #[test]
    fn release_is_clamped_to_received() {
        let mut w = RecvWindow::new(100, 100);
        w.receive(10).unwrap();
        assert_eq!(w.release(1_000_000), None);
        assert_eq!(w.unreleased(), 0);
        // The 10 released octets are announced once the window is nearly used up.
        w.receive(90).unwrap();
        assert_eq!(w.release(90), Some(100));
    }
}
