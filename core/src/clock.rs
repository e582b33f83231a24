//! Time, behind a trait so that tests can move it.

use time::{OffsetDateTime, PrimitiveDateTime};

/// A source of the current time.
///
/// Every time check in this crate (token lifetimes, pending-login expiry, session freshness)
/// asks the [`Clock`] held by [`OneLogin`](crate::OneLogin), never the system directly. The
/// engine keeps whole seconds of what it answers, as token and session times are whole seconds,
/// except when a sign-in begins and when a subject is revoked: those keep microseconds, so that
/// a sign-in right after a logout is told apart from one before it.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> OffsetDateTime;

    /// The current time as microseconds since the Unix epoch: what the engine reads on every
    /// guarded request. The default converts [`now`](Self::now); [`SystemClock`] and
    /// [`OffsetClock`] read the system clock without building a calendar date.
    fn unix_micros(&self) -> i64 {
        unix_micros(self.now())
    }
}

/// The system clock as microseconds since the Unix epoch (negative before it).
fn system_unix_micros() -> i64 {
    let micros = |d: std::time::Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => micros(since),
        Err(before) => -micros(before.duration()),
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
    fn unix_micros(&self) -> i64 {
        system_unix_micros()
    }
}

/// A clock that reads the system time plus a fixed offset, for tests of skew and expiry.
#[derive(Debug, Clone, Copy, Default)]
pub struct OffsetClock {
    offset: time::Duration,
}

impl OffsetClock {
    /// The system time moved by `offset` (a negative offset moves it back).
    pub const fn new(offset: time::Duration) -> Self {
        Self { offset }
    }
    /// The offset added to the system time.
    pub const fn offset(&self) -> time::Duration {
        self.offset
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        SystemClock.now().saturating_add(self.offset)
    }
    fn unix_micros(&self) -> i64 {
        let offset = i64::try_from(self.offset.whole_microseconds()).unwrap_or(i64::MAX);
        system_unix_micros().saturating_add(offset)
    }
}

/// Whole seconds since the Unix epoch, what tokens and stored records carry.
pub(crate) fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// The time `secs` seconds after the Unix epoch, clamped to the range `time` can represent (a
/// token's claim may hold any number).
pub(crate) fn from_unix(secs: i64) -> OffsetDateTime {
    let min = PrimitiveDateTime::MIN.assume_utc().unix_timestamp();
    let max = PrimitiveDateTime::MAX.assume_utc().unix_timestamp();
    OffsetDateTime::from_unix_timestamp(secs.clamp(min, max)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Microseconds since the Unix epoch: the resolution of sign-in and revocation times, which
/// must tell apart a logout and the sign-in that follows it within the same second.
pub(crate) fn unix_micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1000)).unwrap_or(if t.year() < 0 { i64::MIN } else { i64::MAX })
}

/// The time `micros` microseconds after the Unix epoch, clamped like [`from_unix`].
pub(crate) fn from_unix_micros(micros: i64) -> OffsetDateTime {
    let whole = from_unix(micros.div_euclid(1_000_000));
    whole.replace_microsecond(micros.rem_euclid(1_000_000) as u32).unwrap_or(whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_round_trip_and_clamp() {
        assert_eq!(unix(from_unix(1_700_000_000)), 1_700_000_000);
        assert_eq!(from_unix(i64::MAX).year(), 9999);
        assert_eq!(from_unix(i64::MIN), PrimitiveDateTime::MIN.assume_utc());
        for micros in [0, 1_700_000_000_123_456, -1, 1_999_999] {
            assert_eq!(unix_micros(from_unix_micros(micros)), micros);
        }
        assert_eq!(unix(from_unix_micros(1_700_000_000_999_999)), 1_700_000_000);
        let ahead = OffsetClock::new(time::Duration::minutes(10)).now() - SystemClock.now();
        assert!((time::Duration::seconds(599)..=time::Duration::seconds(601)).contains(&ahead), "{ahead}");
    }

    /// A clock that only says `now`.
    #[derive(Debug)]
    struct Fixed;
    impl Clock for Fixed {
        fn now(&self) -> OffsetDateTime {
            from_unix_micros(1_700_000_000_123_456)
        }
    }

    #[test]
    fn the_fast_unix_reading_agrees_with_now() {
        for (clock, offset) in [
            (&SystemClock as &dyn Clock, 0),
            (&OffsetClock::new(time::Duration::minutes(10)), 600_000_000),
            (&OffsetClock::new(time::Duration::minutes(-10)), -600_000_000),
        ] {
            let before = unix_micros(SystemClock.now()) + offset;
            let fast = clock.unix_micros();
            let slow = unix_micros(clock.now());
            let after = unix_micros(SystemClock.now()) + offset;
            assert!(before <= fast && fast <= slow && slow <= after, "{before} {fast} {slow} {after}");
        }
        // A clock that only says `now` gets the conversion.
        assert_eq!(Fixed.unix_micros(), 1_700_000_000_123_456);
    }
}
