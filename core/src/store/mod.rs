//! The state contract: every piece of state the protocol keeps, and the atomic operations it
//! needs on it. One [`Store`] serves one or fifty instances; two instances behind one shared
//! store behave as one.
//!
//! | state | operation | atomic guarantee |
//! |---|---|---|
//! | pending logins (10 minutes, keyed by a digest of `state`) | [`Store::put_pending`], [`Store::take_pending`] | take-once: get and delete in one step, so a callback completes once, on one instance |
//! | replay records (`logout_token` `jti`, security event `jti`) | [`Store::insert_if_absent`], [`Store::remove_replay`] | insert-if-absent with a TTL: one instance wins; a record is removed only by the one that failed to act on it |
//! | sessions | [`Store::create_session`], [`Store::load_session`], [`Store::touch_session`], [`Store::delete_session`] | get/put/delete with a TTL; a touch never recreates a deleted session |
//! | per-`sub` index and "revoked at" time | [`Store::revoke_subject`], checked by every [`Store::load_session`] | the revocation time only grows, and it is returned with every session load |
//! | a subject's verified identity (a security event's assurance-level change) | [`Store::drop_identity`] | each session's record is replaced in one step, never recreated |
//!
//! # Why revocation cannot miss a session
//!
//! Deleting the sessions an index lists is not enough on its own: a callback that began before
//! a back-channel logout can write its session after the index was read. So each subject also
//! has a "revoked at" time, kept at least as long as any session it governs could live, and
//! every load returns it beside the session. Core refuses (and deletes) a session whose
//! sign-in began at or before that time, whatever the interleaving of the two writes.
//!
//! # Why not `tower_sessions_core::SessionStore`
//!
//! A generic key-value store trait has load, save and delete, and no atomic step. Built on it,
//! a pending login is load-then-delete (two instances can both complete one callback), a
//! replay record is load-then-save (two instances can both accept one `logout_token`), and the
//! per-`sub` index is load-append-save (two sign-ins at once lose an entry, so a revocation
//! misses a session). This crate keeps no adapter for one, for that reason: implement
//! [`Store`] instead, with your backend's own atomic operations.
//!
//! Backends: [`MemoryStore`] (the default, one process) and, with the `redis` feature,
//! [`RedisStore`] (Redis or Redis Cluster, many instances).

pub(crate) mod config;
mod data;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod table;
pub(crate) mod wire;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

pub use config::{RedisSettings, StoreSettings};
pub use data::{MAX_DATA_ENTRIES, MAX_DATA_NAME, MAX_DATA_VALUE, SessionData, SessionDataStore};
pub use memory::{MemoryStore, MemoryStoreLimits};
#[cfg(feature = "redis")]
pub use redis::RedisStore;

pub use crate::client::PendingLogin;
use crate::error::JsonFault;
use crate::session::{SessionId, SessionRecord};
use crate::types::{State, Subject, sha256_b64};

/// The most live sessions one `sub` keeps; signing in beyond that ends the oldest, which keeps
/// the per-`sub` index (read at every sign-in and revocation) small.
pub const MAX_SESSIONS_PER_SUBJECT: usize = 32;

/// A session as a backend returns it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadedSession {
    /// The record, decoded once and shared.
    pub record: Arc<SessionRecord>,
    /// When the session ends for inactivity unless touched.
    pub idle_until: OffsetDateTime,
    /// The subject's "revoked at" time, if it has one: sessions whose sign-in began at or
    /// before it are not honoured.
    pub revoked_at: Option<OffsetDateTime>,
}

impl LoadedSession {
    /// What [`Store::load_session`] answers: the record, its idle deadline and its subject's
    /// "revoked at" time.
    pub fn new(record: Arc<SessionRecord>, idle_until: OffsetDateTime, revoked_at: Option<OffsetDateTime>) -> Self {
        Self { record, idle_until, revoked_at }
    }
}

/// What a replay record guards, so that two kinds of identifier can never collide.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReplayKey {
    digest: String,
    subject: Option<String>,
}

impl ReplayKey {
    /// A `logout_token` from `issuer` with this `jti`.
    pub fn logout_token(issuer: &str, jti: &str) -> Self {
        Self { digest: sha256_b64(format!("logout\0{issuer}\0{jti}").as_bytes()), subject: None }
    }
    /// A security event (SET) from `issuer` with this `jti`.
    pub fn security_event(issuer: &str, jti: &str) -> Self {
        Self { digest: sha256_b64(format!("set\0{issuer}\0{jti}").as_bytes()), subject: None }
    }
    /// The same record, kept beside `subject`'s other state (on its cluster slot), so that
    /// the revocation it guards can write it in the same atomic step. Every path that records
    /// one kind of token must name the subject alike.
    pub fn for_subject(self, subject: &Subject) -> Self {
        Self { subject: Some(subject_digest(subject)), ..self }
    }
    /// A digest naming the record (safe to use as a key or to log).
    pub fn digest(&self) -> &str {
        &self.digest
    }
    /// The digest of the subject it is kept beside, if any.
    pub fn subject_digest(&self) -> Option<&str> {
        self.subject.as_deref()
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplayKey([digest])")
    }
}

/// A session record in its stored form, for a [`Store`] that keeps sessions outside the
/// process (a database, another cache). The bytes hold the user's claims and ID token: keep
/// them as secret as the sessions themselves. [`decode_session`] reads them back.
pub fn encode_session(record: &SessionRecord) -> Result<Vec<u8>, StoreError> {
    wire::encode_session(record).map_err(|e| StoreError::Decode { what: "session", source: JsonFault::of(&e) })
}

/// Reads a session record that [`encode_session`] wrote. Bytes that are not such a record (or
/// describe one no sign-in makes) are [`StoreError::Decode`]; a store should then answer "no
/// session", as the built-in ones do. The store is trusted: whatever it returns is honoured
/// once core's checks (expiry, idle time, issuer, client, revocation) pass, so keep these bytes
/// only where nobody but this service can write (never in a cookie or anything a client
/// controls).
pub fn decode_session(bytes: &[u8]) -> Result<SessionRecord, StoreError> {
    wire::decode_session(bytes).map_err(|e| StoreError::Decode { what: "session", source: JsonFault::of(&e) })
}

/// A digest of a pending login's `state` (the state itself never becomes a key).
pub(crate) fn pending_digest(state: &State) -> String {
    sha256_b64(format!("pending\0{}", state.secret()).as_bytes())
}

/// A digest of a subject (the `sub` itself never becomes a key).
pub(crate) fn subject_digest(subject: &Subject) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(subject_digest_raw(subject))
}

/// [`subject_digest`] as its 32 raw bytes.
pub(crate) fn subject_digest_raw(subject: &Subject) -> [u8; 32] {
    crate::types::sha256(format!("sub\0{}", subject.as_str()).as_bytes())
}

/// A store failure. It names the backend and the operation and carries no token or key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend could not be reached or did not answer in time. Requests fail closed (503).
    #[error("the {backend} store is unavailable ({operation}): {source}")]
    Unavailable {
        /// `memory` or `redis`.
        backend: &'static str,
        /// What was being done, such as `load session`.
        operation: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A record in the store could not be read as this crate's record type (written by
    /// another version, or not by this crate).
    #[error("a {what} record in the store could not be decoded")]
    Decode {
        /// Which kind of record.
        what: &'static str,
        /// Where the record's JSON failed (never serde's message, which quotes the value).
        #[source]
        source: JsonFault,
    },
    /// A bounded table is full of records that must not be dropped early (revocations, replay
    /// records). The operation is refused so that the sender retries.
    #[error("the {what} table is full ({capacity} records); raise the limit or use a shared store")]
    Full {
        /// Which table.
        what: &'static str,
        /// Its capacity.
        capacity: usize,
    },
}

impl StoreError {
    /// A backend failure.
    pub fn unavailable(
        backend: &'static str,
        operation: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable { backend, operation, source: source.into() }
    }
}

/// The state contract. Every method is one atomic step on the backend. Times are the engine's
/// clock, in whole seconds (`now` is passed in so that backends never read a clock of their
/// own); TTLs are derived from them, and every record a backend keeps has one.
///
/// Backends decide nothing: core checks expiry, idle time, issuer, client and revocation on
/// what [`Store::load_session`] returns.
#[async_trait]
pub trait Store: SessionDataStore + Send + Sync + fmt::Debug + 'static {
    /// The backend's name for logs and errors, such as `memory` or `redis`.
    fn backend(&self) -> &'static str;

    /// Keeps a pending login until `expires_at`.
    async fn put_pending(
        &self,
        login: &PendingLogin,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Gets and deletes the pending login for `state` in one step: of any number of callers,
    /// at most one gets it.
    async fn take_pending(&self, state: &State) -> Result<Option<PendingLogin>, StoreError>;

    /// Records `key` until `expires_at` unless it is already recorded. `true` when this call
    /// recorded it, `false` for a replay. The record must not disappear before `expires_at`
    /// (a full table refuses with [`StoreError::Full`] rather than evict).
    async fn insert_if_absent(
        &self,
        key: &ReplayKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Removes the replay record `key`, on every instance: called by the one caller whose
    /// [`Store::insert_if_absent`] recorded it and who then failed to act on what it guards (a
    /// security event whose handling failed), so that the sender's retry is acted on rather than
    /// taken for a replay. Removing a record that is not there is not an error.
    async fn remove_replay(&self, key: &ReplayKey) -> Result<(), StoreError>;

    /// Stores a new session under `id` (a fresh random id), indexes it under its subject and,
    /// beyond [`MAX_SESSIONS_PER_SUBJECT`], ends that subject's oldest sessions.
    async fn create_session(
        &self,
        id: &SessionId,
        record: Arc<SessionRecord>,
        idle_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The session `id` names, with its idle deadline and its subject's "revoked at" time.
    async fn load_session(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<LoadedSession>, StoreError>;

    /// What [`Store::load_session`] would answer, when the backend can answer from this
    /// process's memory alone (no I/O, no waiting); `None` when it would have to ask its
    /// server. The guard's hot path tries this first, so that a request whose session is at
    /// hand costs no future, no allocation for it and no task switch. The answer must be as
    /// true as `load_session`'s: a backend that is not sure (a local copy it cannot trust)
    /// says `None`. The default never answers, so that a wrapper store that adds its own
    /// checks or counts to `load_session` is never bypassed: a wrapper that overrides
    /// `load_session` must either leave this at the default (and lose only the fast path) or
    /// make the same checks here too.
    fn load_session_now(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Option<Result<Option<LoadedSession>, StoreError>> {
        let _ = (id, now);
        None
    }

    /// Moves a live session's idle deadline to `idle_until`. Does nothing when the session is
    /// gone (it never recreates one).
    async fn touch_session(
        &self,
        id: &SessionId,
        record: &SessionRecord,
        idle_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Replaces each live session of `subject` with the same session without its verified
    /// identity ([`SessionRecord::without_identity`]), on every instance: the sessions stay,
    /// and the next route that needs an identity asks One Login again. Returns how many
    /// sessions had an identity to drop. A sign-in still in flight (its core identity fetched
    /// before the change, its session stored after the index was read) keeps what it fetched:
    /// unlike revocation, there is no per-subject time to refuse it by.
    async fn drop_identity(&self, subject: &Subject, now: OffsetDateTime) -> Result<usize, StoreError>;

    /// Deletes one session, on every instance.
    async fn delete_session(&self, id: &SessionId, subject: &Subject) -> Result<(), StoreError>;

    /// How many live sessions `subject` has, on every instance: those the index lists whose
    /// record is still there and whose absolute expiry is after `now` (what a page saying
    /// "signed in on N devices" shows). A session that a revocation refuses on load (its
    /// sign-in raced the revocation) may be counted until it expires.
    async fn count_sessions(&self, subject: &Subject, now: OffsetDateTime) -> Result<usize, StoreError>;

    /// Raises `subject`'s "revoked at" time to `at` (it never goes down), keeps it until at
    /// least `keep_until`, and deletes the sessions the index lists. Returns how many it
    /// listed. When this returns, every instance refuses the subject's earlier sessions
    /// within the backend's stated bound.
    ///
    /// `at` carries microseconds, and a backend must keep them and hand them back with every
    /// load: a sign-in that begins just after a logout, in the same second, is not revoked by it.
    ///
    /// With `once`, the revocation and the replay record `(key, until)` are one atomic step:
    /// if the record exists already nothing changes and the answer is `None` (a replayed
    /// `logout_token`); if the revocation cannot be recorded, neither is the replay record, so
    /// the sender's retry is not mistaken for a replay.
    async fn revoke_subject(
        &self,
        subject: &Subject,
        at: OffsetDateTime,
        keep_until: OffsetDateTime,
        now: OffsetDateTime,
        once: Option<(&ReplayKey, OffsetDateTime)>,
    ) -> Result<Option<usize>, StoreError>;
}

/// Seconds from `now` to `until` (seconds since the epoch), at least 1 (a TTL of 0 would mean
/// "no expiry" to some backends and "expire now" to others).
pub(crate) fn ttl_secs(until: i64, now: i64) -> u64 {
    until.saturating_sub(now).max(1) as u64
}
