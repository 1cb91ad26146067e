//! Where the authenticator reads "now" from: the system clock in services, a fixed one in tests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in unix seconds.
pub trait Clock: Send + Sync + 'static {
    /// Now, in unix seconds.
    fn now(&self) -> u64;
}

/// The system's wall clock. A clock set before 1970 reads as 0, which every time caveat refuses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// A clock that reads what it was set to; share it through an [`Arc`] to move it from a test.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicU64);

impl FixedClock {
    /// A clock reading `now` (unix seconds).
    #[must_use]
    pub fn new(now: u64) -> Self {
        Self(AtomicU64::new(now))
    }

    /// Sets the time.
    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::Relaxed);
    }

    /// Moves the time forward by `seconds` (saturating).
    pub fn advance(&self, seconds: u64) {
        let now = self.0.load(Ordering::Relaxed);
        self.0.store(now.saturating_add(seconds), Ordering::Relaxed);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl<C: Clock> Clock for Arc<C> {
    fn now(&self) -> u64 {
        C::now(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = Arc::new(FixedClock::new(100));
        assert_eq!(clock.now(), 100);
        clock.advance(5);
        assert_eq!(Clock::now(&clock), 105);
        clock.set(7);
        assert_eq!(clock.now(), 7);
        clock.set(u64::MAX);
        clock.advance(1);
        assert_eq!(clock.now(), u64::MAX);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now() > 1_577_836_800);
    }
}
