//! Time, behind a trait so that tests can move it.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time, in whole seconds since the Unix epoch.
///
/// Every time check in this crate (token lifetimes, pending-login expiry, session freshness)
/// asks the [`Clock`] held by [`OneLogin`](crate::OneLogin), never the system directly.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }
}

/// A clock that reads the system time plus a fixed offset, for tests of skew and expiry.
#[derive(Debug, Clone, Copy, Default)]
pub struct OffsetClock {
    /// Seconds added to the system time (negative moves it back).
    pub offset: i64,
}

impl Clock for OffsetClock {
    fn now(&self) -> i64 {
        SystemClock.now() + self.offset
    }
}
