//! A `MemoryStore` that counts the pending logins put into it (so a test can tell whether a
//! request started a sign-in) and the sessions loaded from it, on either path.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use govuk_one_login::store::{
    LoadedSession, MemoryStore, PendingLogin, ReplayKey, SessionData, SessionDataStore, Store, StoreError,
};
use govuk_one_login::{SessionId, SessionRecord, State, Subject};
use time::OffsetDateTime;

#[derive(Debug, Clone, Default)]
pub(crate) struct CountingStore {
    inner: MemoryStore,
    pending: Arc<AtomicUsize>,
    loads: Arc<AtomicUsize>,
}

impl CountingStore {
    /// How many pending logins were stored.
    pub(crate) fn pending_logins(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }
    /// How many sessions were loaded.
    pub(crate) fn session_loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Store for CountingStore {
    fn backend(&self) -> &'static str {
        "counting"
    }
    async fn put_pending(
        &self,
        login: &PendingLogin,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.pending.fetch_add(1, Ordering::SeqCst);
        self.inner.put_pending(login, expires_at, now).await
    }
    async fn take_pending(&self, state: &State) -> Result<Option<PendingLogin>, StoreError> {
        self.inner.take_pending(state).await
    }
    async fn insert_if_absent(
        &self,
        key: &ReplayKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.inner.insert_if_absent(key, expires_at, now).await
    }
    async fn remove_replay(&self, key: &ReplayKey) -> Result<(), StoreError> {
        self.inner.remove_replay(key).await
    }
    async fn drop_identity(&self, subject: &Subject, now: OffsetDateTime) -> Result<usize, StoreError> {
        self.inner.drop_identity(subject, now).await
    }
    async fn create_session(
        &self,
        id: &SessionId,
        record: Arc<SessionRecord>,
        idle_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.inner.create_session(id, record, idle_until, now).await
    }
    async fn load_session(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<LoadedSession>, StoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load_session(id, now).await
    }
    /// Forwarded, so that the adapters' tests take the hot path the memory store gives them.
    fn load_session_now(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Option<Result<Option<LoadedSession>, StoreError>> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load_session_now(id, now)
    }
    async fn touch_session(
        &self,
        id: &SessionId,
        record: &SessionRecord,
        idle_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.inner.touch_session(id, record, idle_until, now).await
    }
    async fn delete_session(&self, id: &SessionId, subject: &Subject) -> Result<(), StoreError> {
        self.inner.delete_session(id, subject).await
    }
    async fn count_sessions(&self, subject: &Subject, now: OffsetDateTime) -> Result<usize, StoreError> {
        self.inner.count_sessions(subject, now).await
    }
    async fn revoke_subject(
        &self,
        subject: &Subject,
        at: OffsetDateTime,
        keep_until: OffsetDateTime,
        now: OffsetDateTime,
        once: Option<(&ReplayKey, OffsetDateTime)>,
    ) -> Result<Option<usize>, StoreError> {
        self.inner.revoke_subject(subject, at, keep_until, now, once).await
    }
}

#[async_trait::async_trait]
impl SessionDataStore for CountingStore {
    async fn load_data(
        &self,
        id: &SessionId,
        subject: &Subject,
        now: OffsetDateTime,
    ) -> Result<SessionData, StoreError> {
        self.inner.load_data(id, subject, now).await
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
        self.inner.write_data(id, subject, name, value, expires_at, now).await
    }
    async fn move_data(
        &self,
        from: &SessionId,
        to: &SessionId,
        subject: &Subject,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.inner.move_data(from, to, subject, expires_at, now).await
    }
    async fn delete_data(&self, id: &SessionId, subject: &Subject) -> Result<(), StoreError> {
        self.inner.delete_data(id, subject).await
    }
}
