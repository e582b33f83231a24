//! Storage through [`tower_sessions_core::SessionStore`], so that any tower-sessions store
//! (moka in memory, Redis, SQL) serves both adapters.
//!
//! Four kinds of record share the store, each under its own data key and with ids that cannot
//! be confused: sessions (random ids), pending logins (id derived from the `state`), the
//! per-`sub` index of sessions (id derived from the `sub`) and remembered `jti`s.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions_core::SessionStore;
use tower_sessions_core::session::{Id, Record};

use super::SessionRecord;
use crate::error::StoreError;
use crate::types::Subject;

const SESSION_KEY: &str = "govuk_one_login.session";
const PENDING_KEY: &str = "govuk_one_login.pending";
const INDEX_KEY: &str = "govuk_one_login.subject_index";
const JTI_KEY: &str = "govuk_one_login.jti";

/// The most live sessions one `sub` keeps; signing in beyond that ends the oldest, which keeps
/// the per-`sub` index (read at every sign-in and revocation) small.
pub const MAX_SESSIONS_PER_SUBJECT: usize = 32;

/// A session id: what the session cookie holds. Its `Debug` output is redacted.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(pub(crate) Id);

impl SessionId {
    /// Parses a cookie value. Anything that is not a session id gives `None`.
    pub fn parse(value: &str) -> Option<Self> {
        if value.len() > 64 {
            return None;
        }
        Id::from_str(value).ok().map(SessionId)
    }
    /// The cookie value.
    pub fn to_cookie_value(&self) -> String {
        self.0.to_string()
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

fn derived_id(tag: &str, value: &str) -> Id {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, format!("{tag}\0{value}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    Id(i128::from_le_bytes(bytes))
}

fn expiry(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[derive(Serialize, Deserialize, Default)]
struct SubjectIndex {
    /// (session id, expiry) pairs.
    sessions: Vec<(String, i64)>,
}

/// A handle on the session store. Cheap to clone.
#[derive(Clone)]
pub struct SessionStoreHandle {
    store: Arc<dyn SessionStore>,
}

impl fmt::Debug for SessionStoreHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionStoreHandle")
    }
}

impl SessionStoreHandle {
    pub(crate) fn new(store: Arc<dyn SessionStore>) -> Self {
        Self { store }
    }

    async fn load_data<T: DeserializeOwned>(&self, id: &Id, key: &str, now: i64) -> Result<Option<T>, StoreError> {
        let Some(record) = self.store.load(id).await.map_err(StoreError::Backend)? else {
            return Ok(None);
        };
        if record.expiry_date.unix_timestamp() <= now {
            return Ok(None);
        }
        match record.data.get(key) {
            Some(v) => T::deserialize(v).map(Some).map_err(StoreError::Decode),
            None => Ok(None),
        }
    }

    async fn save_data<T: Serialize>(&self, id: Id, key: &str, value: &T, expires_at: i64) -> Result<(), StoreError> {
        let value = serde_json::to_value(value).map_err(StoreError::Decode)?;
        let record = Record { id, data: HashMap::from([(key.to_owned(), value)]), expiry_date: expiry(expires_at) };
        self.store.save(&record).await.map_err(StoreError::Backend)
    }

    /// Loads a live session.
    pub async fn load_session(&self, id: &SessionId, now: i64) -> Result<Option<SessionRecord>, StoreError> {
        self.load_data(&id.0, SESSION_KEY, now).await
    }

    /// Stores a new session under a fresh random id and indexes it by `sub`.
    pub(crate) async fn create_session(
        &self,
        session: &SessionRecord,
        expires_at: i64,
        now: i64,
    ) -> Result<SessionId, StoreError> {
        let value = serde_json::to_value(session).map_err(StoreError::Decode)?;
        let mut record = Record {
            id: Id::default(),
            data: HashMap::from([(SESSION_KEY.to_owned(), value)]),
            expiry_date: expiry(expires_at),
        };
        self.store.create(&mut record).await.map_err(StoreError::Backend)?;
        let id = SessionId(record.id);
        self.index_add(&session.subject, id, expires_at, now).await?;
        Ok(id)
    }

    /// Deletes one session.
    pub async fn delete_session(&self, id: &SessionId) -> Result<(), StoreError> {
        self.store.delete(&id.0).await.map_err(StoreError::Backend)
    }

    async fn index_add(&self, sub: &Subject, id: SessionId, expires_at: i64, now: i64) -> Result<(), StoreError> {
        let index_id = derived_id(INDEX_KEY, sub.as_str());
        let mut index: SubjectIndex = self.load_data(&index_id, INDEX_KEY, now).await?.unwrap_or_default();
        index.sessions.retain(|(_, exp)| *exp > now);
        index.sessions.push((id.to_cookie_value(), expires_at));
        while index.sessions.len() > MAX_SESSIONS_PER_SUBJECT {
            let (oldest, _) = index.sessions.remove(0);
            if let Some(oldest) = SessionId::parse(&oldest) {
                self.delete_session(&oldest).await?;
            }
        }
        let until = index.sessions.iter().map(|(_, e)| *e).max().unwrap_or(expires_at);
        self.save_data(index_id, INDEX_KEY, &index, until).await
    }

    /// Ends every session of `sub`, found through the per-`sub` index (no scan). Returns how
    /// many sessions were listed.
    pub async fn revoke_subject(&self, sub: &Subject, now: i64) -> Result<usize, StoreError> {
        let index_id = derived_id(INDEX_KEY, sub.as_str());
        let index: SubjectIndex = self.load_data(&index_id, INDEX_KEY, now).await?.unwrap_or_default();
        for (id, _) in &index.sessions {
            if let Some(id) = SessionId::parse(id) {
                self.delete_session(&id).await?;
            }
        }
        self.store.delete(&index_id).await.map_err(StoreError::Backend)?;
        Ok(index.sessions.len())
    }

    /// Records `(iss, jti)` until `expires_at`. Returns `false` if it was already recorded
    /// (a replay).
    pub(crate) async fn remember_jti(
        &self,
        iss: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let id = derived_id(JTI_KEY, &format!("{iss}\0{jti}"));
        if self.load_data::<bool>(&id, JTI_KEY, now).await?.is_some() {
            return Ok(false);
        }
        self.save_data(id, JTI_KEY, &true, expires_at).await?;
        Ok(true)
    }

    pub(crate) async fn put_pending<T: Serialize>(
        &self,
        state: &str,
        pending: &T,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.save_data(derived_id(PENDING_KEY, state), PENDING_KEY, pending, expires_at).await
    }

    /// Loads and deletes a pending login: each `state` works once, whatever happens next.
    /// Records past their expiry are still returned so that the caller can say "expired".
    pub(crate) async fn take_pending<T: DeserializeOwned>(&self, state: &str) -> Result<Option<T>, StoreError> {
        let id = derived_id(PENDING_KEY, state);
        let found = self.load_data(&id, PENDING_KEY, i64::MIN).await?;
        if found.is_some() {
            self.store.delete(&id).await.map_err(StoreError::Backend)?;
        }
        Ok(found)
    }
}
