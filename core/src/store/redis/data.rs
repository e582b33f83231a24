//! The application's session data in Redis: one hash per session, beside its subject's other
//! keys (`{prefix}{u:<subject digest>}:d:<session digest>`), so a move at sign-in is one
//! `RENAME` on one slot. Every change is one script; every hash has a TTL.

use std::sync::LazyLock;

use async_trait::async_trait;
use fred::prelude::KeysInterface;
use time::OffsetDateTime;

use super::scripts::{self, Script};
use super::{RedisStore, session_digest, unavailable};
use crate::session::SessionId;
use crate::store::{MAX_DATA_ENTRIES, SessionData, SessionDataStore, StoreError, subject_digest};
use crate::types::Subject;

/// KEYS[1] the hash. ARGV: name, `1` to set or `0` to remove, value, TTL in seconds, limit.
/// Returns -1 when a new entry would pass the limit (nothing changed), else 0.
const DATA_WRITE: &str = r"
if ARGV[2] == '1' then
  if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
    return -1
  end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
return 0
";

/// KEYS[1] the old hash, KEYS[2] the new. ARGV: TTL in seconds.
const DATA_MOVE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[1])
end
return 0
";

/// KEYS[1] the hash. Returns name, value, name, value…
const DATA_LOAD: &str = r"return redis.call('HGETALL', KEYS[1])";

static WRITE: LazyLock<Script> = LazyLock::new(|| Script::new(DATA_WRITE));
static MOVE: LazyLock<Script> = LazyLock::new(|| Script::new(DATA_MOVE));
static LOAD: LazyLock<Script> = LazyLock::new(|| Script::new(DATA_LOAD));

fn ttl(expires_at: OffsetDateTime, now: OffsetDateTime) -> String {
    (expires_at.unix_timestamp() - now.unix_timestamp()).max(1).to_string()
}

impl RedisStore {
    fn data_key(&self, id: &SessionId, subject: &Subject) -> String {
        self.subject_key(&subject_digest(subject), &format!("d:{}", session_digest(id)))
    }

    /// Deletes the data of the sessions with these key digests, of one subject (one slot: one
    /// `DEL`). Sessions take their data along when they end.
    pub(super) async fn delete_data_of(&self, subject_digest: &str, sessions: &[String]) -> Result<(), StoreError> {
        if sessions.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = sessions.iter().map(|s| self.subject_key(subject_digest, &format!("d:{s}"))).collect();
        let _: i64 = self.client().del(keys).await.map_err(unavailable("delete session data"))?;
        Ok(())
    }
}

#[async_trait]
impl SessionDataStore for RedisStore {
    async fn load_data(
        &self,
        id: &SessionId,
        subject: &Subject,
        _now: OffsetDateTime,
    ) -> Result<SessionData, StoreError> {
        let flat: Vec<String> = scripts::run(self.client(), &LOAD, vec![self.data_key(id, subject)], vec![])
            .await
            .map_err(unavailable("load session data"))?;
        let mut data = SessionData::new();
        let mut it = flat.into_iter();
        while let (Some(name), Some(value)) = (it.next(), it.next()) {
            data.insert(name, value);
        }
        Ok(data)
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
        let args = vec![
            name.to_owned(),
            if value.is_some() { "1" } else { "0" }.to_owned(),
            value.unwrap_or("").to_owned(),
            ttl(expires_at, now),
            MAX_DATA_ENTRIES.to_string(),
        ];
        let outcome: i64 = scripts::run(self.client(), &WRITE, vec![self.data_key(id, subject)], args)
            .await
            .map_err(unavailable("write session data"))?;
        if outcome < 0 {
            return Err(StoreError::Full { what: "session data entries", capacity: MAX_DATA_ENTRIES });
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
        let keys = vec![self.data_key(from, subject), self.data_key(to, subject)];
        let _: i64 = scripts::run(self.client(), &MOVE, keys, vec![ttl(expires_at, now)])
            .await
            .map_err(unavailable("move session data"))?;
        Ok(())
    }

    async fn delete_data(&self, id: &SessionId, subject: &Subject) -> Result<(), StoreError> {
        let _: i64 = self.client().del(self.data_key(id, subject)).await.map_err(unavailable("delete session data"))?;
        Ok(())
    }
}
