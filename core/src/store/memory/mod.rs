//! [`MemoryStore`]: the embedded default, for one process. Bounded, with a stated behaviour
//! when full:
//!
//! - **Sessions** (default 100,000): the least recently used session ends (LRU, not
//!   frequency-based admission, so a new sign-in is never the one refused). Its index entry
//!   goes with it.
//! - **Pending logins** (default 100,000) live in their own table, so a flood of anonymous
//!   sign-in starts can push out only other pending logins, never a session. The least
//!   recently started goes first; its callback then says "start again".
//! - **Revocations and replay records** (default 200,000 each) are never dropped before their
//!   time: expired ones are swept when the table fills, and if it is still full the operation
//!   is refused with [`StoreError::Full`], so a back-channel logout answers 5xx and One Login
//!   retries, rather than a revocation being forgotten.
//!
//! Records are kept decoded (`Arc<SessionRecord>`) in a table of its own ([`table`]): a load
//! is a shard's read lock, a hash lookup and a reference count, with no copy, no parse and no
//! bookkeeping queued for later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use time::OffsetDateTime;

use super::table::{self, Expires, Hasher, Read, SWEEP_EVERY, Table, lock};
use super::{
    LoadedSession, MAX_DATA_ENTRIES, MAX_SESSIONS_PER_SUBJECT, PendingLogin, ReplayKey, SessionData, SessionDataStore,
    Store, StoreError, pending_digest,
};
use crate::clock::{from_unix, from_unix_micros, unix, unix_micros};
use crate::session::{SessionId, SessionRecord};
use crate::types::{State, Subject};

/// How many records each table of a [`MemoryStore`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryStoreLimits {
    /// Live sessions; beyond it the least recently used ends.
    pub sessions: u64,
    /// Pending logins; beyond it the oldest is dropped.
    pub pending_logins: u64,
    /// Subjects with a live "revoked at" time; beyond it revocations are refused.
    pub revocations: usize,
    /// Replay records; beyond it new ones are refused.
    pub replay_records: usize,
}

impl Default for MemoryStoreLimits {
    fn default() -> Self {
        Self { sessions: 100_000, pending_logins: 100_000, revocations: 200_000, replay_records: 200_000 }
    }
}

impl MemoryStoreLimits {
    /// The same limit for every table (tests of full tables).
    pub fn all(n: usize) -> Self {
        Self { sessions: n as u64, pending_logins: n as u64, revocations: n, replay_records: n }
    }
    /// Sets the session limit.
    pub fn sessions(mut self, n: u64) -> Self {
        self.sessions = n;
        self
    }
    /// Sets the pending-login limit.
    pub fn pending_logins(mut self, n: u64) -> Self {
        self.pending_logins = n;
        self
    }
    /// Sets the revocation limit.
    pub fn revocations(mut self, n: usize) -> Self {
        self.revocations = n;
        self
    }
    /// Sets the replay-record limit.
    pub fn replay_records(mut self, n: usize) -> Self {
        self.replay_records = n;
        self
    }
}

/// The in-memory store. Cheap to clone: clones share the same tables, so two engines in one
/// process can share it as two instances would share Redis.
///
/// ```
/// use govuk_one_login::store::{MemoryStore, MemoryStoreLimits};
/// let store = MemoryStore::with_limits(MemoryStoreLimits::default().sessions(10_000));
/// # let _ = store;
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

/// A live session as the table holds it.
struct Entry {
    record: Arc<SessionRecord>,
    /// The idle deadline (seconds).
    idle_until: i64,
    /// The subject's revocation, shared with the index (none if the subject had none when
    /// the session was made): read on every load without a lock.
    revoked: Option<Arc<RevokedCell>>,
}

impl Expires for Entry {
    /// The earlier of its idle deadline and its absolute expiry.
    fn ends_at(&self) -> i64 {
        self.idle_until.min(self.record.expires_at)
    }
}

type SessionTable = Table<SessionId, Entry>;
type Removed = table::Removed<SessionId, Entry>;

struct Inner {
    sessions: SessionTable,
    /// The latest time the store was told of (seconds), for sweeps outside a call.
    seen_now: AtomicI64,
    pending: Cache<String, PendingEntry>,
    subjects: Mutex<Subjects>,
    replays: Mutex<Facts>,
    data: Mutex<DataTable>,
    limits: MemoryStoreLimits,
}

/// The application's data per session; entries go with their session.
#[derive(Default)]
struct DataTable {
    map: HashMap<SessionId, DataEntry>,
}

struct DataEntry {
    subject: Subject,
    data: SessionData,
    expires_at: i64,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("limits", &self.inner.limits).finish_non_exhaustive()
    }
}

/// A subject's "revoked at" time, shared by the index and every session of the subject made
/// after it, so that a load reads it without the index's lock or a hash of the subject. It is
/// made at the subject's first revocation: a session made before that is in the index, and the
/// revocation ends it; one made after takes the cell. A session enters the table under the
/// index's lock, so none falls between the two. Both values only grow. A revocation raises
/// `until` before `at`, and a load reads `at` before `until`: a load that sees a new `at` sees
/// its `until` too.
#[derive(Default)]
struct RevokedCell {
    /// Revoked at, in microseconds; 0 for never.
    at: AtomicI64,
    /// Kept until, in seconds (after it, every session the revocation governs has expired).
    until: AtomicI64,
}

impl RevokedCell {
    fn get(&self, now: i64) -> Option<i64> {
        let at = self.at.load(Ordering::SeqCst);
        (at != 0 && self.until.load(Ordering::SeqCst) > now).then_some(at)
    }
    fn raise(&self, at: i64, until: i64) {
        self.until.fetch_max(until, Ordering::SeqCst);
        self.at.fetch_max(at, Ordering::SeqCst);
    }
}

#[derive(Clone)]
struct PendingEntry {
    login: Arc<PendingLogin>,
    ttl: Duration,
}

#[derive(Default)]
struct SubjectState {
    /// (session, absolute expiry), oldest first.
    sessions: Vec<(SessionId, i64)>,
    /// The subject's revocation, as its sessions read it; none before its first.
    cell: Option<Arc<RevokedCell>>,
    /// Whether the subject holds a live revocation (one counted against the limit).
    revoked: bool,
}

#[derive(Default)]
struct Subjects {
    map: HashMap<Subject, SubjectState, Hasher>,
    revocations: usize,
    /// When [`Subjects::sweep`] last ran.
    swept_at: i64,
}

impl Subjects {
    fn forget_session(&mut self, subject: &Subject, id: &SessionId) {
        if let Some(state) = self.map.get_mut(subject) {
            state.sessions.retain(|(s, _)| s != id);
            if state.sessions.is_empty() && !state.revoked {
                self.map.remove(subject);
            }
        }
    }

    /// Drops revocations past their time, sessions past their expiry, and subjects left with
    /// nothing. Returns the sessions dropped, for the caller to take out of the table under
    /// the same lock (see [`MemoryStore::take_out`]).
    fn sweep(&mut self, now: i64) -> Vec<SessionId> {
        self.swept_at = now;
        let mut dropped = 0;
        let mut ended = Vec::new();
        self.map.retain(|_, state| {
            if state.revoked && state.cell.as_ref().is_none_or(|c| c.until.load(Ordering::SeqCst) <= now) {
                state.revoked = false;
                dropped += 1;
            }
            ended.extend(state.sessions.extract_if(.., |(_, exp)| *exp <= now).map(|(id, _)| id));
            !state.sessions.is_empty() || state.revoked
        });
        self.revocations -= dropped;
        ended
    }
}

#[derive(Default)]
struct Facts {
    map: HashMap<String, i64>,
    /// When the records past their time were last dropped.
    swept_at: i64,
}

impl Facts {
    /// Whether `key` may be recorded now: `false` when it is recorded already (a replay), an
    /// error when the table is full even after dropping the records past their time.
    fn admits(&mut self, key: &ReplayKey, now: i64, capacity: usize) -> Result<bool, StoreError> {
        if self.map.get(key.digest()).is_some_and(|until| *until > now) {
            return Ok(false);
        }
        if now.saturating_sub(self.swept_at) >= SWEEP_EVERY {
            self.map.retain(|_, until| *until > now);
            self.swept_at = now;
        }
        if self.map.len() >= capacity {
            self.map.retain(|_, until| *until > now);
            if self.map.len() >= capacity {
                return Err(StoreError::Full { what: "replay record", capacity });
            }
        }
        Ok(true)
    }
}

fn secs(until: i64, now: i64) -> Duration {
    Duration::from_secs(super::ttl_secs(until, now))
}

struct PendingExpiry;

impl moka::Expiry<String, PendingEntry> for PendingExpiry {
    fn expire_after_create(&self, _: &String, value: &PendingEntry, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_limits(MemoryStoreLimits::default())
    }
}

impl MemoryStore {
    /// A store with the default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store with these limits.
    pub fn with_limits(limits: MemoryStoreLimits) -> Self {
        let sessions = SessionTable::new(usize::try_from(limits.sessions).unwrap_or(usize::MAX));
        let pending = Cache::builder()
            .max_capacity(limits.pending_logins)
            .eviction_policy(EvictionPolicy::lru())
            .expire_after(PendingExpiry)
            .build();
        let inner = Inner {
            sessions,
            seen_now: AtomicI64::new(i64::MIN),
            pending,
            subjects: Mutex::default(),
            replays: Mutex::default(),
            data: Mutex::default(),
            limits,
        };
        Self { inner: Arc::new(inner) }
    }

    /// Runs the tables' pending maintenance (expiries, and the pending-login table's
    /// evictions) now, as of the latest time the store was given. Tests use it to see a full
    /// table's behaviour without waiting.
    pub fn run_pending_tasks(&self) {
        let now = self.inner.seen_now.load(Ordering::Relaxed);
        if now != i64::MIN {
            self.forget(self.inner.sessions.sweep_all(now));
        }
        self.inner.pending.run_pending_tasks();
    }

    /// Takes a session out, under its shard's lock, so that a concurrent touch can never put
    /// a removed session back.
    fn remove_session(&self, id: &SessionId) {
        self.forget(self.take_out([*id]));
    }

    /// Takes sessions out of the table, leaving the index to the caller: called under the
    /// index's lock, so that a session the index no longer lists is in no table either (a
    /// session listed nowhere could escape a revocation).
    fn take_out(&self, ids: impl IntoIterator<Item = SessionId>) -> Removed {
        ids.into_iter().filter_map(|id| self.inner.sessions.remove(&id).map(|entry| (id, entry))).collect()
    }

    /// Takes sessions that left the table out of the subject index, with their data: a
    /// session takes its data along however it ends (a sign-in moves the data to the new
    /// session before the old one ends).
    fn forget(&self, removed: Removed) {
        if removed.is_empty() {
            return;
        }
        {
            let mut subjects = lock(&self.inner.subjects);
            for (id, entry) in &removed {
                subjects.forget_session(&entry.record.subject, id);
            }
        }
        let mut data = lock(&self.inner.data);
        for (id, entry) in removed {
            data.map.remove(&id);
            // The record goes once nothing else holds it.
            drop(entry);
        }
    }

    fn saw(&self, now: i64) {
        self.inner.seen_now.fetch_max(now, Ordering::Relaxed);
    }

    /// How many sessions the store holds.
    pub fn session_count(&self) -> u64 {
        self.inner.sessions.len() as u64
    }

    /// How many pending logins the store holds (after [`MemoryStore::run_pending_tasks`]).
    pub fn pending_login_count(&self) -> u64 {
        self.inner.pending.entry_count()
    }

    /// A session with its idle deadline and its subject's "revoked at" time: all in memory.
    fn load(&self, id: &SessionId, now: OffsetDateTime) -> Option<LoadedSession> {
        let now = unix(now);
        let read = self.inner.sessions.read(id, now, |entry| {
            let revoked_at = entry.revoked.as_ref().and_then(|cell| cell.get(now)).map(from_unix_micros);
            LoadedSession::new(entry.record.clone(), from_unix(entry.idle_until), revoked_at)
        });
        match read {
            Read::Live(loaded) => Some(loaded),
            Read::Absent => None,
            Read::Ended(entry) => {
                self.forget(vec![(*id, entry)]);
                None
            }
        }
    }

    /// How many sessions the index lists for `subject`.
    pub fn indexed_sessions(&self, subject: &Subject) -> usize {
        lock(&self.inner.subjects).map.get(subject).map_or(0, |s| s.sessions.len())
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn put_pending(
        &self,
        login: &PendingLogin,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let entry = PendingEntry { login: Arc::new(login.clone()), ttl: secs(unix(expires_at), unix(now)) };
        self.inner.pending.insert(pending_digest(&login.state), entry);
        Ok(())
    }

    async fn take_pending(&self, state: &State) -> Result<Option<PendingLogin>, StoreError> {
        Ok(self.inner.pending.remove(&pending_digest(state)).map(|e| Arc::unwrap_or_clone(e.login)))
    }

    async fn insert_if_absent(
        &self,
        key: &ReplayKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (expires_at, now) = (unix(expires_at), unix(now));
        let mut facts = lock(&self.inner.replays);
        if !facts.admits(key, now, self.inner.limits.replay_records)? {
            return Ok(false);
        }
        facts.map.insert(key.digest().to_owned(), expires_at);
        Ok(true)
    }

    async fn remove_replay(&self, key: &ReplayKey) -> Result<(), StoreError> {
        lock(&self.inner.replays).map.remove(key.digest());
        Ok(())
    }

    async fn create_session(
        &self,
        id: &SessionId,
        record: Arc<SessionRecord>,
        idle_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (idle_until, now) = (unix(idle_until), unix(now));
        let expires_at = record.expires_at;
        self.saw(now);
        // A full table gathers its next eviction candidates (a pass over the table) here, not
        // under the index's lock.
        self.inner.sessions.prepare_eviction();
        let removed = {
            let mut subjects = lock(&self.inner.subjects);
            let state = subjects.map.entry(record.subject.clone()).or_default();
            let mut ended: Vec<SessionId> =
                state.sessions.extract_if(.., |(_, exp)| *exp <= now).map(|(id, _)| id).collect();
            // Most subjects have one session: no room kept for three more.
            state.sessions.reserve_exact(1);
            state.sessions.push((*id, expires_at));
            let revoked = state.cell.clone();
            let extra = state.sessions.len().saturating_sub(MAX_SESSIONS_PER_SUBJECT);
            ended.extend(state.sessions.drain(..extra).map(|(s, _)| s));
            // Under the index's lock: a revocation either comes first, and the session takes
            // its cell, or lists the session and finds it in the table (see `RevokedCell`);
            // and the sessions the index drops leave the table before anything can miss them.
            let mut removed = self.take_out(ended);
            removed.extend(self.inner.sessions.insert(*id, Entry { record, idle_until, revoked }, now));
            removed
        };
        self.forget(removed);
        Ok(())
    }

    async fn load_session(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<LoadedSession>, StoreError> {
        Ok(self.load(id, now))
    }

    fn load_session_now(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Option<Result<Option<LoadedSession>, StoreError>> {
        Some(Ok(self.load(id, now)))
    }

    async fn touch_session(
        &self,
        id: &SessionId,
        _record: &SessionRecord,
        idle_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.saw(unix(now));
        self.inner.sessions.update(id, |entry| {
            entry.idle_until = unix(idle_until);
            true
        });
        Ok(())
    }

    async fn delete_session(&self, id: &SessionId, subject: &Subject) -> Result<(), StoreError> {
        self.remove_session(id);
        lock(&self.inner.subjects).forget_session(subject, id);
        Ok(())
    }

    async fn count_sessions(&self, subject: &Subject, now: OffsetDateTime) -> Result<usize, StoreError> {
        let now = unix(now);
        let subjects = lock(&self.inner.subjects);
        let listed = subjects.map.get(subject).map(|state| state.sessions.as_slice()).unwrap_or_default();
        // Present, and neither past its absolute expiry nor idle (`ends_at` is the earlier).
        Ok(listed
            .iter()
            .filter(|(id, expiry)| *expiry > now && self.inner.sessions.update(id, |e| e.ends_at() > now))
            .count())
    }

    async fn drop_identity(&self, subject: &Subject, _now: OffsetDateTime) -> Result<usize, StoreError> {
        // Under the index's lock, as every change to a subject's sessions is.
        let subjects = lock(&self.inner.subjects);
        let listed = subjects.map.get(subject).map(|state| state.sessions.as_slice()).unwrap_or_default();
        Ok(listed
            .iter()
            .filter(|(id, _)| {
                self.inner.sessions.update(id, |entry| match entry.record.without_identity() {
                    Some(without) => {
                        entry.record = Arc::new(without);
                        true
                    }
                    None => false,
                })
            })
            .count())
    }

    async fn revoke_subject(
        &self,
        subject: &Subject,
        at: OffsetDateTime,
        keep_until: OffsetDateTime,
        now: OffsetDateTime,
        once: Option<(&ReplayKey, OffsetDateTime)>,
    ) -> Result<Option<usize>, StoreError> {
        let (at, keep_until, now) = (unix_micros(at), unix(keep_until), unix(now));
        let once = once.map(|(key, until)| (key, unix(until)));
        // Lock order: replay records, then subjects (the only place both are held).
        let mut replays = once.map(|_| lock(&self.inner.replays));
        if let (Some(facts), Some((key, _))) = (&mut replays, once)
            && !facts.admits(key, now, self.inner.limits.replay_records)?
        {
            return Ok(None);
        }
        let mut removed = Removed::new();
        let outcome = {
            let mut subjects = lock(&self.inner.subjects);
            let capacity = self.inner.limits.revocations;
            if now.saturating_sub(subjects.swept_at) >= SWEEP_EVERY {
                removed.extend(self.take_out(subjects.sweep(now)));
            }
            let has_live = subjects.map.get(subject).is_some_and(|s| s.revoked);
            if !has_live && subjects.revocations >= capacity {
                removed.extend(self.take_out(subjects.sweep(now)));
            }
            if !has_live && subjects.revocations >= capacity {
                Err(StoreError::Full { what: "revocation", capacity })
            } else {
                let state = subjects.map.entry(subject.clone()).or_default();
                let fresh = !state.revoked;
                state.revoked = true;
                state.cell.get_or_insert_with(Arc::default).raise(at, keep_until);
                let listed = std::mem::take(&mut state.sessions).into_iter().map(|(s, _)| s);
                // Out of the table before the lock is let go: sessions made before the
                // subject's first revocation have no cell to refuse them by.
                let ended = self.take_out(listed);
                if fresh {
                    subjects.revocations += 1;
                }
                Ok(ended)
            }
        };
        self.forget(removed);
        let ended = outcome?;
        if let (Some(mut facts), Some((key, until))) = (replays, once) {
            facts.map.insert(key.digest().to_owned(), until);
        }
        let count = ended.len();
        self.forget(ended);
        Ok(Some(count))
    }
}

#[async_trait]
impl SessionDataStore for MemoryStore {
    async fn load_data(
        &self,
        id: &SessionId,
        subject: &Subject,
        now: OffsetDateTime,
    ) -> Result<SessionData, StoreError> {
        let table = lock(&self.inner.data);
        Ok(match table.map.get(id) {
            Some(e) if &e.subject == subject && e.expires_at > now.unix_timestamp() => e.data.clone(),
            _ => SessionData::new(),
        })
    }

    async fn write_data(
        &self,
        id: &SessionId,
        subject: &Subject,
        name: &str,
        value: Option<&str>,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (now, expires_at) = (now.unix_timestamp(), expires_at.unix_timestamp());
        let mut table = lock(&self.inner.data);
        let capacity = self.inner.limits.sessions as usize;
        if !table.map.contains_key(id) && table.map.len() >= capacity {
            table.map.retain(|_, e| e.expires_at > now);
            if table.map.len() >= capacity {
                return Err(StoreError::Full { what: "session data", capacity });
            }
        }
        let entry = table.map.entry(*id).or_insert_with(|| DataEntry {
            subject: subject.clone(),
            data: SessionData::new(),
            expires_at,
        });
        if &entry.subject != subject || entry.expires_at <= now {
            *entry = DataEntry { subject: subject.clone(), data: SessionData::new(), expires_at };
        }
        match value {
            Some(v) => {
                if !entry.data.contains_key(name) && entry.data.len() >= MAX_DATA_ENTRIES {
                    return Err(StoreError::Full { what: "session data entries", capacity: MAX_DATA_ENTRIES });
                }
                entry.data.insert(name.to_owned(), v.to_owned());
            }
            None => {
                entry.data.remove(name);
            }
        }
        entry.expires_at = expires_at;
        if entry.data.is_empty() {
            table.map.remove(id);
        }
        Ok(())
    }

    async fn move_data(
        &self,
        from: &SessionId,
        to: &SessionId,
        subject: &Subject,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut table = lock(&self.inner.data);
        if let Some(mut entry) = table.map.remove(from)
            && &entry.subject == subject
            && entry.expires_at > now.unix_timestamp()
        {
            entry.expires_at = expires_at.unix_timestamp();
            table.map.insert(*to, entry);
        }
        Ok(())
    }

    async fn delete_data(&self, id: &SessionId, _subject: &Subject) -> Result<(), StoreError> {
        lock(&self.inner.data).map.remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::from_unix;

    /// Records past their time are dropped as new ones come, at most a minute late, not only
    /// when the table is full: memory follows what is live.
    #[tokio::test]
    async fn replay_and_revocation_records_past_their_time_are_dropped_as_new_ones_come() {
        let store = MemoryStore::new();
        let t0 = 1_700_000_000;
        for i in 0..100 {
            let key = ReplayKey::logout_token("test", &format!("jti-{i}"));
            assert!(store.insert_if_absent(&key, from_unix(t0 + 10), from_unix(t0)).await.unwrap());
            let subject = Subject::new(format!("sub-{i}"));
            store.revoke_subject(&subject, from_unix(t0), from_unix(t0 + 10), from_unix(t0), None).await.unwrap();
        }
        assert_eq!(lock(&store.inner.replays).map.len(), 100);
        assert_eq!(lock(&store.inner.subjects).revocations, 100);

        let later = t0 + 11 + SWEEP_EVERY;
        let key = ReplayKey::logout_token("test", "jti-late");
        assert!(store.insert_if_absent(&key, from_unix(later + 10), from_unix(later)).await.unwrap());
        let subject = Subject::new("sub-late".to_owned());
        store.revoke_subject(&subject, from_unix(later), from_unix(later + 10), from_unix(later), None).await.unwrap();
        assert_eq!(lock(&store.inner.replays).map.len(), 1, "only the live replay record is left");
        let subjects = lock(&store.inner.subjects);
        assert_eq!((subjects.revocations, subjects.map.len()), (1, 1), "only the live revocation is left");
    }

    /// The index drops a subject's sessions past their expiry when the subject signs in again;
    /// such a session leaves the table at once. Were it left there, listed nowhere and made
    /// before the subject's first revocation (so with no cell), a revocation after the clock
    /// stepped back would not reach it.
    #[tokio::test]
    async fn a_session_the_index_drops_leaves_the_table_and_no_revocation_misses_it() {
        let store = MemoryStore::new();
        let t = 1_700_000_000;
        let record = |expires_at| {
            let stored = include_str!("../wire/stored_session.json").trim_end();
            let mut r = crate::store::wire::decode_session(stored.as_bytes()).unwrap();
            r.expires_at = expires_at;
            Arc::new(r)
        };
        let (a, b) = (SessionId::generate(), SessionId::generate());
        store.create_session(&a, record(t + 100), from_unix(t + 100), from_unix(t)).await.unwrap();
        store.create_session(&b, record(t + 1_000), from_unix(t + 400), from_unix(t + 100)).await.unwrap();
        assert_eq!(store.session_count(), 1, "the expired session left the table with the index");
        let subject = record(0).subject.clone();
        let back = t + 96;
        store.revoke_subject(&subject, from_unix(back), from_unix(t + 2_000), from_unix(back), None).await.unwrap();
        assert!(store.load(&a, from_unix(back)).is_none(), "a session no revocation could reach was honoured");
        assert!(store.load(&b, from_unix(back)).is_none());
        assert_eq!(store.session_count(), 0);
    }
}
