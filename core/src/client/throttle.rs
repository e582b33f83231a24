//! The bound on sign-in starts. Each start costs an RSA signature (the request object) and a
//! stored pending login, and anyone can cause one with a request to a guarded page, so a flood
//! of anonymous requests is held to a configured rate per instance. Over it, a start is
//! refused at once (503, before any signing or storing) and signed-in users, whose requests
//! never start a sign-in, are not slowed. Refusals are logged at most once per interval, with
//! their count, so that a flood cannot flood the log too.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::error::AuthorizeError;

/// Refusals are reported at most this often (seconds).
const REPORT_INTERVAL: i64 = 10;

/// The sign-in start limiter of one [`OneLogin`](super::OneLogin).
pub(crate) struct StartLimit {
    limiter: Option<DefaultDirectRateLimiter>,
    per_second: u32,
    refused: AtomicU64,
    /// When refusals were last reported (Unix seconds).
    reported_at: AtomicI64,
}

impl StartLimit {
    /// `per_second` starts a second, with bursts of as many; zero means no limit.
    pub(crate) fn new(per_second: u32) -> Self {
        Self {
            limiter: NonZeroU32::new(per_second).map(|n| RateLimiter::direct(Quota::per_second(n))),
            per_second,
            refused: AtomicU64::new(0),
            reported_at: AtomicI64::new(i64::MIN),
        }
    }

    /// Whether one more start may go ahead now (`now` in Unix seconds, for the report).
    pub(crate) fn admit(&self, now: i64) -> Result<(), AuthorizeError> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        if limiter.check().is_ok() {
            return Ok(());
        }
        self.refused.fetch_add(1, Ordering::Relaxed);
        let last = self.reported_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= REPORT_INTERVAL
            && self.reported_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            let refused = self.refused.swap(0, Ordering::Relaxed);
            tracing::warn!(
                refused,
                per_second = self.per_second,
                "sign-in starts over the limit were refused with 503 (an anonymous flood of guarded pages, or real \
                 traffic above ONE_LOGIN_MAX_SIGN_IN_STARTS_PER_SECOND): rate-limit by client address at the proxy, \
                 or raise the limit"
            );
        }
        Err(AuthorizeError::TooManySignIns { per_second: self.per_second })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_over_the_rate_is_refused_and_no_limit_refuses_nothing() {
        let limit = StartLimit::new(5);
        let admitted = (0..50).filter(|_| limit.admit(0).is_ok()).count();
        // The quota replenishes one start every 200 ms: at most one more can arrive while
        // the loop runs on a slow machine.
        assert!((5..=6).contains(&admitted), "{admitted}");
        assert_eq!(limit.admit(0), Err(AuthorizeError::TooManySignIns { per_second: 5 }));
        let unlimited = StartLimit::new(0);
        assert!((0..10_000).all(|_| unlimited.admit(0).is_ok()));
    }
}
