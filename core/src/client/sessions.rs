//! A session's life through the store: created at sign-in, checked at every use (lifetime,
//! inactivity, issuer and client, revocation), touched at most about once a minute, ended at
//! sign-out or by revocation. Every check is made here, once, whatever the backend.

use std::sync::Arc;

use super::OneLogin;
use crate::clock::{from_unix, unix};
use crate::error::Error;
use crate::session::{SessionId, SessionRecord};
use crate::store::{LoadedSession, StoreError};
use crate::types::Subject;

/// The longest the idle deadline is left unmoved while a session is in use.
const TOUCH_EVERY: i64 = 60;

/// What the checks make of a loaded session.
enum Loaded {
    /// Honoured as it is.
    Honoured(Arc<SessionRecord>),
    /// Honoured, and its idle deadline is due to move.
    Due(Arc<SessionRecord>),
    /// Not a session (unknown, unreadable, another deployment's): nothing to do.
    Refused,
    /// Ended (expired, idle or revoked): refused, and deleted.
    Ended(Arc<SessionRecord>),
}

/// Whether a session whose sign-in began at `signed_in_at` is ended by a revocation at
/// `revoked_at`: it is when it began at or before that time (ties go to the revocation). A time
/// on a whole second may come from a store that keeps only seconds: it counts as the end of that
/// second, as whole-second times always did, so a sign-in earlier in that second stays ended.
fn revoked_by(signed_in_at: time::OffsetDateTime, revoked_at: Option<time::OffsetDateTime>) -> bool {
    revoked_at.is_some_and(|at| {
        let at = if at.nanosecond() == 0 { at.saturating_add(time::Duration::nanoseconds(999_999_999)) } else { at };
        signed_in_at <= at
    })
}

/// The time a revocation made at `now` is recorded with. Never on a whole second: a time on the
/// second is read as coming from a store that keeps only seconds (see [`revoked_by`]), so one
/// made there is moved a microsecond later, and a sign-in later in that second still lives.
fn revocation_time(now: time::OffsetDateTime) -> time::OffsetDateTime {
    if now.nanosecond() == 0 { now.saturating_add(time::Duration::microseconds(1)) } else { now }
}

impl OneLogin {
    /// Loads the session a cookie value names. An unknown, expired, idle, revoked or malformed
    /// id is `None`, as is a session made for another issuer or client; a store failure is an
    /// error (the session is not silently dropped).
    pub async fn session(&self, cookie_value: &str) -> Result<Option<(SessionId, Arc<SessionRecord>)>, Error> {
        let Some(id) = SessionId::parse(cookie_value) else {
            return Ok(None);
        };
        Ok(self.load_session(&id).await?.map(|r| (id, r)))
    }

    pub(crate) async fn load_session(&self, id: &SessionId) -> Result<Option<Arc<SessionRecord>>, Error> {
        let now = self.unix_now();
        let found = self.store().load_session(id, from_unix(now)).await;
        match self.check_loaded(found, now)? {
            Loaded::Honoured(record) => Ok(Some(record)),
            Loaded::Refused => Ok(None),
            Loaded::Ended(record) => {
                self.store().delete_session(id, &record.subject).await?;
                Ok(None)
            }
            Loaded::Due(record) => {
                let idle = self.config().session_idle_timeout.as_secs() as i64;
                self.store().touch_session(id, &record, from_unix(now.saturating_add(idle)), from_unix(now)).await?;
                Ok(Some(record))
            }
        }
    }

    /// [`OneLogin::load_session`] from memory alone: `None` when answering needs the store's
    /// I/O (a copy not at hand, a session to delete, an idle deadline due to move).
    pub(crate) fn load_session_now(
        &self,
        id: &SessionId,
        now: i64,
    ) -> Option<Result<Option<Arc<SessionRecord>>, Error>> {
        let found = self.store().load_session_now(id, from_unix(now))?;
        match self.check_loaded(found, now) {
            Ok(Loaded::Honoured(record)) => Some(Ok(Some(record))),
            Ok(Loaded::Refused) => Some(Ok(None)),
            Ok(Loaded::Ended(_) | Loaded::Due(_)) => None,
            Err(error) => Some(Err(error)),
        }
    }

    /// Every check of a loaded session, made here once for both paths.
    fn check_loaded(&self, found: Result<Option<LoadedSession>, StoreError>, now: i64) -> Result<Loaded, Error> {
        let found = match found {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(Loaded::Refused),
            Err(StoreError::Decode { what, source }) => {
                // A record another version wrote, or not this crate: it is no session. Where it
                // failed, not the message: serde's messages quote the value, which may be
                // personal data.
                tracing::warn!(
                    what,
                    category = source.category(),
                    line = source.line(),
                    column = source.column(),
                    "a stored session could not be read and was treated as signed out"
                );
                return Ok(Loaded::Refused);
            }
            Err(error) => return Err(error.into()),
        };
        let record = found.record;
        let config = self.config();
        if !record.made_for.is(self.made_for()) {
            // Left in place: it belongs to whichever deployment shares this store by mistake.
            tracing::warn!(
                session_issuer = %record.issuer(),
                expected_issuer = %config.issuer,
                "a session made for another issuer or client was refused: is one store shared by two environments?"
            );
            return Ok(Loaded::Refused);
        }
        let idle_until = unix(found.idle_until);
        if revoked_by(record.signed_in_at, found.revoked_at) || record.expires_at <= now || idle_until <= now {
            return Ok(Loaded::Ended(record));
        }
        let idle = config.session_idle_timeout.as_secs() as i64;
        let since_touch = idle - (idle_until - now);
        Ok(if since_touch >= TOUCH_EVERY.min(idle / 2).max(1) { Loaded::Due(record) } else { Loaded::Honoured(record) })
    }

    pub(crate) async fn create_session(&self, record: SessionRecord) -> Result<SessionId, Error> {
        let id = SessionId::generate();
        let now = self.unix_now();
        let idle_until = now.saturating_add(self.config().session_idle_timeout.as_secs() as i64);
        self.store().create_session(&id, Arc::new(record), from_unix(idle_until), from_unix(now)).await?;
        Ok(id)
    }

    /// After a sign-in that replaced session `from`: the application's data follows the user
    /// to the new session `to` when both belong to the same subject, and is deleted otherwise
    /// (another person signed in on this browser).
    pub(crate) async fn carry_data(
        &self,
        from: &SessionId,
        old: &SessionRecord,
        to: &SessionId,
        new: &SessionRecord,
    ) -> Result<(), Error> {
        let store = self.store();
        if crate::types::ct_eq(old.subject.as_str().as_bytes(), new.subject.as_str().as_bytes()) {
            let (expires_at, now) = (new.expires_at(), self.now());
            store.move_data(from, to, &new.subject, expires_at, now).await?;
        } else {
            store.delete_data(from, &old.subject).await?;
        }
        Ok(())
    }

    /// Ends one session, on every instance sharing the store.
    pub(crate) async fn end_session(&self, id: &SessionId, record: &SessionRecord) -> Result<(), Error> {
        Ok(self.store().delete_session(id, &record.subject).await?)
    }

    /// Ends every session of `sub`, on every instance sharing the store, including any sign-in
    /// still in flight: a session whose sign-in began at or before now is never honoured
    /// again. Returns how many sessions the index listed.
    pub async fn revoke_subject(&self, sub: &Subject) -> Result<usize, Error> {
        Ok(self.revoke(sub, None).await?.unwrap_or(0))
    }

    /// How many live sessions `sub` has, on every instance sharing the store (for "signed in on
    /// N devices"; [`Store::count_sessions`](crate::store::Store::count_sessions)).
    pub async fn session_count(&self, sub: &Subject) -> Result<usize, Error> {
        Ok(self.store().count_sessions(sub, self.now()).await?)
    }

    /// Drops the verified identity kept with every session of `sub`, on every instance sharing
    /// the store: they stay signed in at their authentication level, and the next route that
    /// needs an identity asks One Login again. Returns how many sessions had one.
    pub async fn drop_identity(&self, sub: &Subject) -> Result<usize, Error> {
        Ok(self.store().drop_identity(sub, self.now()).await?)
    }

    /// Revokes, and with `once` records that replay key in the same atomic step (`None` when
    /// it was recorded already).
    pub(crate) async fn revoke(
        &self,
        sub: &Subject,
        once: Option<(&crate::store::ReplayKey, i64)>,
    ) -> Result<Option<usize>, Error> {
        let at = revocation_time(self.precise_now());
        let now = unix(at);
        // Long enough to outlive every session it governs (their sign-in began by `now`).
        let keep_until = now.saturating_add(self.config().session_ttl.as_secs() as i64).saturating_add(60);
        let once = once.map(|(key, until)| (key, from_unix(until)));
        let (now, keep_until) = (from_unix(now), from_unix(keep_until));
        Ok(self.store().revoke_subject(sub, at, keep_until, now, once).await?)
    }
}

#[cfg(test)]
mod tests {
    use time::{Duration, OffsetDateTime};

    use super::{revocation_time, revoked_by};

    fn at(secs: i64, micros: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap() + Duration::microseconds(micros)
    }

    #[test]
    fn a_revocation_on_a_whole_second_ends_a_sign_in_from_earlier_in_that_second() {
        // A store that keeps only seconds hands back 1_700_000_000.000000 for a revocation at
        // .750000: a sign-in at .500000 began before it and must stay ended.
        assert!(revoked_by(at(1_700_000_000, 500_000), Some(at(1_700_000_000, 0))));
        assert!(revoked_by(at(1_700_000_000, 999_999), Some(at(1_700_000_000, 0))));
        assert!(!revoked_by(at(1_700_000_001, 0), Some(at(1_700_000_000, 0))));
    }

    /// A revocation made exactly on a whole second (one in a million) is recorded a microsecond
    /// later, so it is not read as a whole-second time, which would end a sign-in made later in
    /// that second. (The soak lost one re-sign-in in 298,554 before this.)
    #[test]
    fn a_revocation_made_on_a_whole_second_leaves_a_later_sign_in_in_that_second_alone() {
        let revoked = Some(revocation_time(at(1_700_000_000, 0)));
        assert!(!revoked_by(at(1_700_000_000, 500_000), revoked));
        assert!(revoked_by(at(1_700_000_000, 0), revoked), "a sign-in at that instant is still ended");
        assert_eq!(revocation_time(at(1_700_000_000, 7)), at(1_700_000_000, 7), "other times are kept");
    }

    #[test]
    fn a_revocation_in_microseconds_ends_only_what_began_at_or_before_it() {
        let revoked = Some(at(1_700_000_000, 300_000));
        assert!(revoked_by(at(1_699_999_999, 900_000), revoked));
        assert!(revoked_by(at(1_700_000_000, 300_000), revoked), "a tie goes to the revocation");
        assert!(!revoked_by(at(1_700_000_000, 300_001), revoked));
        assert!(!revoked_by(at(1_700_000_000, 300_000), None));
    }
}
