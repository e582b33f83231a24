//! [`RedisStore`]: the shared store for many instances, on Redis or Redis Cluster (`fred`,
//! rustls for `rediss://`).
//!
//! Keys (every one starts with the prefix and has a TTL):
//!
//! | key | holds | TTL |
//! |---|---|---|
//! | `<prefix>s:<digest of session id>` | the session record (JSON) | until the idle deadline, at most the absolute expiry; moved by a touch at most once a minute |
//! | `<prefix>{u:<digest of sub>}:index` | sorted set of the subject's session key digests, scored by expiry | the latest session's expiry |
//! | `<prefix>{u:<digest of sub>}:revoked` | the subject's revoked-at time, whole seconds (as earlier versions keep it) | the session lifetime plus a minute, and at least as long as the index it emptied |
//! | `<prefix>{u:<digest of sub>}:revoked-us` | the same time in microseconds since the epoch | as `:revoked` |
//! | `<prefix>p:<digest of state>` | a pending login (JSON) | 10 minutes and a margin |
//! | `<prefix>{u:<digest of sub>}:once:<digest>` | a back-channel `logout_token`'s replay record, set by the revocation script itself | the token's lifetime plus 3 minutes |
//! | `<prefix>r:<digest>` | other replay records | their lifetime plus 3 minutes |
//!
//! No raw session id, `state` or `sub` is ever part of a key: someone who can list keys learns
//! nothing that signs anyone in. A subject's keys share the hash tag `{u:…}`, so the scripts
//! that change both stay on one cluster slot.
//!
//! Changes other instances must see at once are published on `<prefix>events`; see the
//! invalidation module for the heartbeat that bounds how stale a local copy can be.

mod data;
mod invalidation;
mod scripts;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use fred::clients::{Pool, SubscriberClient};
use fred::prelude::*;
use time::OffsetDateTime;

use self::invalidation::Invalidation;
use self::scripts::Scripts;
use super::table::{self, Expires, Read, Table};
use super::{
    LoadedSession, MAX_SESSIONS_PER_SUBJECT, PendingLogin, RedisSettings, ReplayKey, Store, StoreError, pending_digest,
    subject_digest, ttl_secs, wire,
};
use crate::clock::{from_unix, from_unix_micros, unix, unix_micros};
use crate::session::{SessionId, SessionRecord};
use crate::types::{State, Subject, sha256_b64};

const BACKEND: &str = "redis";

/// The local table of decoded sessions, keyed by their key digests.
type LocalTable = Table<LocalKey, Local>;

/// A SHA-256 digest held as its 32 raw bytes. Redis keys, indexes and the channel's messages
/// name sessions and subjects by digests in base64url; this process keeps them raw: the local
/// table's keys, and the subject of each local copy and of each revocation it knows.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Digest([u8; 32]);

/// A session id's digest (the SHA-256 of the id), as the local table keys it.
pub(super) type LocalKey = Digest;

impl Digest {
    fn of(id: &SessionId) -> Self {
        Self(crate::types::sha256(id.as_bytes()))
    }
    /// The digest that names `subject` ([`subject_digest`], raw).
    fn of_subject(subject: &Subject) -> Self {
        Self(super::subject_digest_raw(subject))
    }
    /// From the base64url digest that Redis keys, indexes and messages carry (`None` for text
    /// that is not one, which names no session or subject of ours).
    pub(super) fn parse(digest: &str) -> Option<Self> {
        use base64::Engine as _;
        let mut bytes = [0; 32];
        match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode_slice(digest, &mut bytes) {
            Ok(32) => Some(Self(bytes)),
            _ => None,
        }
    }
    fn digest(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0)
    }
}

impl table::Key for LocalKey {
    fn shard_byte(&self) -> u8 {
        self.0[0]
    }
}

/// A decoded session kept in this process.
pub(super) struct Local {
    record: Arc<SessionRecord>,
    /// Its subject's digest, raw: read by every load, for the subject's revocation.
    subject: Digest,
    idle_until: i64,
    epoch: u64,
    /// When its read from Redis began (a touch does not move it).
    fetched: std::time::Instant,
}

impl Expires for Local {
    fn ends_at(&self) -> i64 {
        self.idle_until
    }
}

/// On Redis Cluster, how long a copy read from Redis is served without asking again: the
/// revocation bound there, with room for the read itself.
const CLUSTER_CACHE_TTL: std::time::Duration = std::time::Duration::from_millis(800);

/// The Redis store. Cheap to clone. Build it inside a Tokio runtime: it starts the connection
/// pool, the subscription and the heartbeat in the background and never blocks start-up, so
/// an instance starts while Redis is down and serves as soon as it is back (requests that need
/// Redis fail closed in the meantime, with [`StoreError::Unavailable`]).
///
/// ```no_run
/// # fn demo() -> Result<(), govuk_one_login::ConfigError> {
/// use govuk_one_login::store::{RedisSettings, RedisStore};
/// let store = RedisStore::connect(RedisSettings::new("redis://127.0.0.1:6379").prefix("my-service:"))?;
/// # let _ = store; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    subscriber: SubscriberClient,
    prefix: String,
    channel: String,
    scripts: Scripts,
    local: Arc<LocalTable>,
    invalidation: Arc<Invalidation>,
    /// On Redis Cluster a publish goes through whichever node, and messages from different
    /// nodes reach a subscriber in no promised order, so the heartbeat proves nothing there:
    /// a local copy is served for at most [`CLUSTER_CACHE_TTL`] after it was read instead.
    clustered: bool,
    settings: RedisSettings,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let (pool, subscriber) = (self.pool.clone(), self.subscriber.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = subscriber.quit().await;
                let _ = pool.quit().await;
            });
        }
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("settings", &self.inner.settings).finish_non_exhaustive()
    }
}

/// A subject's revoked-at time in microseconds, from its two keys. This version writes both;
/// an earlier one writes only whole seconds, which count as the end of their second when they
/// are all there is, or name a later second than the microseconds do. (An earlier version's
/// revocation in the very second of a later one's is taken at the later one's microsecond.)
fn revoked_micros(secs: Option<i64>, micros: Option<i64>) -> Option<i64> {
    match (secs, micros) {
        (Some(secs), Some(micros)) if secs > micros.div_euclid(1_000_000) => Some(whole_second_end(secs)),
        (_, Some(micros)) => Some(micros),
        (secs, None) => secs.map(whole_second_end),
    }
}

/// The last microsecond of second `secs`.
fn whole_second_end(secs: i64) -> i64 {
    secs.saturating_mul(1_000_000).saturating_add(999_999)
}

fn unavailable(operation: &'static str) -> impl FnOnce(Error) -> StoreError {
    move |e| StoreError::unavailable(BACKEND, operation, e)
}

fn decode<T: serde::de::DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Decode { what, source: crate::error::JsonFault::of(&e) })
}

fn encode<T: serde::Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Decode { what, source: crate::error::JsonFault::of(&e) })
}

impl RedisStore {
    /// Starts connecting to Redis with `settings`. Fails only on settings that cannot work
    /// (a malformed URL, no Tokio runtime); an unreachable Redis is logged and retried.
    pub fn connect(settings: RedisSettings) -> Result<Self, crate::ConfigError> {
        settings.check()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(crate::ConfigError::invalid(
                "REDIS_URL",
                "the Redis store must be started inside a Tokio runtime",
            ));
        }
        let config = Config::from_url(&settings.url).map_err(|e| {
            crate::ConfigError::invalid("REDIS_URL", format!("{} ({})", settings.redacted_url(), e.details()))
        })?;
        let clustered = config.server.is_clustered();
        let mut config = config;
        if config.tls.is_some() {
            config.tls = Some(tls(&settings)?.into());
        } else if settings.ca_file.is_some() {
            return Err(crate::ConfigError::invalid(
                "ONE_LOGIN_REDIS_CA_FILE",
                "is set, but REDIS_URL is not rediss:// (TLS)",
            ));
        }
        let mut builder = Builder::from_config(config);
        builder
            .with_config(|c| c.fail_fast = false)
            .with_performance_config(|p| p.default_command_timeout = settings.command_timeout)
            .with_connection_config(|c| {
                c.connection_timeout = settings.connect_timeout;
                c.internal_command_timeout = settings.command_timeout;
                c.max_command_attempts = 2;
                c.unresponsive.max_timeout = Some(settings.command_timeout * 2);
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 1000, 2));
        let build_err = |e: Error| crate::ConfigError::invalid("REDIS_URL", e.details().to_owned());
        let pool = builder.build_pool(settings.pool_size).map_err(build_err)?;
        let subscriber = builder.build_subscriber_client().map_err(build_err)?;
        let local = Arc::new(Table::new(usize::try_from(settings.local_cache_capacity).unwrap_or(usize::MAX)));
        let invalidation = Arc::new(Invalidation::new(200_000));
        let channel = format!("{}events", settings.prefix);
        report_connection_state(&pool, &settings);
        warn_on_evicting_policy(pool.clone());
        let _ = pool.connect_pool();
        invalidation::spawn(
            Arc::downgrade(&invalidation),
            local.clone(),
            subscriber.clone(),
            pool.clone(),
            channel.clone(),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                subscriber,
                prefix: settings.prefix.clone(),
                channel,
                scripts: Scripts::new(),
                local,
                invalidation,
                clustered,
                settings,
            }),
        })
    }

    /// Waits until the pool is connected (start-up checks and tests).
    pub async fn wait_connected(&self) -> Result<(), StoreError> {
        self.inner.pool.wait_for_connect().await.map_err(unavailable("connect"))
    }

    /// Whether the local cache is trusted right now (the heartbeat has been seen within the
    /// bound). When it is not, every load reads Redis. Always `false` on Redis Cluster, where
    /// no heartbeat is trusted and a copy is served for at most 0.8 s after it was read.
    pub fn local_cache_trusted(&self) -> bool {
        !self.inner.clustered && self.inner.invalidation.healthy()
    }

    /// Whether a local copy may be served without asking Redis.
    fn trusts(&self, local: &Local) -> bool {
        if self.inner.clustered {
            local.fetched.elapsed() < CLUSTER_CACHE_TTL
        } else {
            self.inner.invalidation.trusts(local.epoch)
        }
    }

    /// The channel scripts publish on, or empty on a cluster (no local cache to keep true).
    fn script_channel(&self) -> &str {
        if self.inner.clustered { "" } else { &self.inner.channel }
    }

    /// The key a session is stored under (tests and operators' tooling).
    pub fn session_key(&self, id: &SessionId) -> String {
        format!("{}s:{}", self.inner.prefix, session_digest(id))
    }

    fn subject_key(&self, subject_digest: &str, what: &str) -> String {
        format!("{}{{u:{subject_digest}}}:{what}", self.inner.prefix)
    }

    /// A replay record's key: beside its subject's keys when it names one.
    fn replay_key(&self, key: &ReplayKey) -> String {
        match key.subject_digest() {
            Some(subject) => self.subject_key(subject, &format!("once:{}", key.digest())),
            None => format!("{}r:{}", self.inner.prefix, key.digest()),
        }
    }

    fn client(&self) -> &Client {
        self.inner.pool.next()
    }

    /// Ends sessions by key digest, here and (through the channel, in the same step as the
    /// delete) on every instance.
    async fn end_sessions(&self, digests: &[String]) -> Result<(), StoreError> {
        for digest in digests {
            self.forget_local(digest);
            let _: i64 = scripts::run(
                self.client(),
                &self.inner.scripts.session_delete,
                vec![format!("{}s:{digest}", self.inner.prefix)],
                vec![self.script_channel().to_owned(), format!("d {digest}")],
            )
            .await
            .map_err(unavailable("delete session"))?;
        }
        Ok(())
    }

    /// Drops the local copy of the session with this key digest, if there is one.
    fn forget_local(&self, digest: &str) {
        if let Some(key) = LocalKey::parse(digest) {
            self.inner.local.remove(&key);
        }
    }

    /// The local copy of a session, when it may be served without asking Redis.
    fn load_local(&self, key: &LocalKey, now: i64) -> Option<LoadedSession> {
        let read = self.inner.local.read(key, now, |local| {
            // The revocation first, then the trust: revocations too many to remember are
            // forgotten and every copy distrusted in one step, so a load that read the emptied
            // table sees the distrust.
            let revoked_at = self.inner.invalidation.revoked_at(&local.subject, now);
            self.trusts(local).then(|| {
                LoadedSession::new(local.record.clone(), from_unix(local.idle_until), revoked_at.map(from_unix_micros))
            })
        });
        match read {
            Read::Live(found) => found,
            Read::Absent | Read::Ended(_) => None,
        }
    }

    async fn fetch_session(&self, local_key: &LocalKey, now: i64) -> Result<Option<LoadedSession>, StoreError> {
        let digest = local_key.digest();
        let digest = digest.as_str();
        let inv = &self.inner.invalidation;
        let (epoch, generation) = (inv.epoch(), inv.generation());
        // A copy's age runs from before the session is read, not from when the read of its
        // subject's revocation answers (on a cluster, perhaps from a slower node).
        let fetched = std::time::Instant::now();
        let key = format!("{}s:{digest}", self.inner.prefix);
        let found: Vec<Value> = scripts::run(self.client(), &self.inner.scripts.session_get, vec![key], vec![])
            .await
            .map_err(unavailable("load session"))?;
        let mut found = found.into_iter();
        let (Some(value), Some(pttl)) = (found.next(), found.next()) else {
            self.inner.local.remove(local_key);
            return Ok(None);
        };
        let bytes = value
            .as_bytes()
            .ok_or_else(|| StoreError::unavailable(BACKEND, "load session", "the session value is not a string"))?;
        let record: Arc<SessionRecord> = match wire::decode_session(bytes) {
            Ok(record) => Arc::new(record),
            Err(error) => {
                // Written by another version, or not by this crate: it is no session. Deleted so
                // that the next request does not read it again. Where it failed, not the
                // message: serde's messages quote the value, which may be personal data.
                tracing::warn!(
                    category = ?error.classify(),
                    line = error.line(),
                    column = error.column(),
                    "a stored session could not be read and was treated as signed out"
                );
                if let Err(error) = self.end_sessions(&[digest.to_owned()]).await {
                    tracing::warn!(%error, "the unreadable session could not be deleted yet");
                }
                return Ok(None);
            }
        };
        let pttl = pttl.as_i64().unwrap_or(0);
        let idle_until = (now + pttl / 1000).min(record.expires_at);
        let subject_key = Digest::of_subject(&record.subject);
        let subject = subject_key.digest();
        let (secs, micros): (Option<i64>, Option<i64>) = self
            .client()
            .mget(vec![self.subject_key(&subject, "revoked"), self.subject_key(&subject, "revoked-us")])
            .await
            .map_err(unavailable("load revocation"))?;
        let remote = revoked_micros(secs, micros);
        if let Some(at) = remote {
            inv.note_revocation(subject_key, at, record.expires_at.max(now + 1));
        }
        let revoked_at = inv.revoked_at(&subject_key, now).max(remote);
        let local = Local { record: record.clone(), subject: subject_key, idle_until, epoch, fetched };
        // What the insert pushes out (ended copies, the least recently used one when the table
        // is full) is only a copy: nothing to clean up after.
        drop(self.inner.local.insert(*local_key, local, now));
        if inv.generation() != generation {
            // A change was applied while we read: our copy may predate it.
            self.inner.local.remove(local_key);
        }
        Ok(Some(LoadedSession::new(record, from_unix(idle_until), revoked_at.map(from_unix_micros))))
    }
}

/// rustls on aws-lc-rs with the web PKI roots and any configured CA, as for One Login.
fn tls(settings: &RedisSettings) -> Result<TlsConnector, crate::ConfigError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let var = "ONE_LOGIN_REDIS_CA_FILE";
    let mut extra = Vec::new();
    if let Some(path) = &settings.ca_file {
        for cert in CertificateDer::pem_file_iter(path)
            .map_err(|e| crate::ConfigError::invalid(var, format!("{}: {e}", path.display())))?
        {
            extra.push(cert.map_err(|e| crate::ConfigError::invalid(var, format!("{}: {e}", path.display())))?);
        }
        if extra.is_empty() {
            return Err(crate::ConfigError::invalid(var, format!("{}: no PEM certificate in it", path.display())));
        }
    }
    let config = crate::fetch::tls_client_config(extra).map_err(|e| crate::ConfigError::invalid(var, e))?;
    Ok(config.into())
}

fn session_digest(id: &SessionId) -> String {
    sha256_b64(id.as_bytes())
}

/// Warns once at start-up when Redis may evict keys before their TTL (any `maxmemory-policy`
/// but `noeviction`): a revocation or replay record could then vanish early. Best effort:
/// managed services often refuse `CONFIG`.
fn warn_on_evicting_policy(pool: Pool) {
    tokio::spawn(async move {
        if pool.wait_for_connect().await.is_err() {
            return;
        }
        let config = fred::types::CustomCommand::new_static("CONFIG", fred::types::ClusterHash::Random, false);
        let reply: Result<Vec<String>, _> = pool.next().custom(config, vec!["GET", "maxmemory-policy"]).await;
        if let Ok(reply) = reply
            && let Some(policy) = reply.get(1)
            && policy != "noeviction"
        {
            tracing::warn!(
                policy = %policy,
                "Redis maxmemory-policy is not noeviction: under memory pressure it may evict revocations and replay records before their time"
            );
        }
    });
}

/// Logs once when Redis becomes unreachable (with the cause) and once when it is back.
fn report_connection_state(pool: &Pool, settings: &RedisSettings) {
    let down = Arc::new(AtomicBool::new(false));
    for client in pool.clients() {
        let (d, url) = (down.clone(), settings.redacted_url());
        drop(client.on_error(move |(error, _)| {
            if !d.swap(true, Ordering::SeqCst) {
                tracing::error!(url = %url, error = %error.details(), kind = ?error.kind(),
                    "Redis is unreachable: guarded requests fail closed (503) until it is back");
            }
            async { Ok(()) }
        }));
        let (d, url) = (down.clone(), settings.redacted_url());
        drop(client.on_reconnect(move |_| {
            if d.swap(false, Ordering::SeqCst) {
                tracing::info!(url = %url, "Redis is reachable again");
            }
            async { Ok(()) }
        }));
    }
}

#[async_trait]
impl Store for RedisStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn put_pending(
        &self,
        login: &PendingLogin,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (expires_at, now) = (unix(expires_at), unix(now));
        let key = format!("{}p:{}", self.inner.prefix, pending_digest(&login.state));
        let value = encode("pending login", login)?;
        let _: () = self
            .client()
            .set(key, value.as_slice(), Some(Expiration::EX(ttl_secs(expires_at, now) as i64)), None, false)
            .await
            .map_err(unavailable("store pending login"))?;
        Ok(())
    }

    async fn take_pending(&self, state: &State) -> Result<Option<PendingLogin>, StoreError> {
        let key = format!("{}p:{}", self.inner.prefix, pending_digest(state));
        let found: Option<Vec<u8>> = self.client().getdel(key).await.map_err(unavailable("take pending login"))?;
        found.map(|bytes| decode("pending login", &bytes)).transpose()
    }

    async fn insert_if_absent(
        &self,
        key: &ReplayKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (expires_at, now) = (unix(expires_at), unix(now));
        let key = self.replay_key(key);
        // A per-call nonce, and GET to see what was there: the client re-sends a command whose
        // connection dropped, and a re-sent call that finds its own nonce is not a replay.
        let nonce = crate::types::random_token(16);
        let previous: Option<String> = self
            .client()
            .set(
                key,
                nonce.as_str(),
                Some(Expiration::EX(ttl_secs(expires_at, now) as i64)),
                Some(SetOptions::NX),
                true,
            )
            .await
            .map_err(unavailable("record replay"))?;
        Ok(previous.is_none_or(|p| p == nonce))
    }

    async fn remove_replay(&self, key: &ReplayKey) -> Result<(), StoreError> {
        let key = self.replay_key(key);
        let _: i64 = self.client().del(key).await.map_err(unavailable("remove replay record"))?;
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
        let digest = session_digest(id);
        let subject = subject_digest(&record.subject);
        let expires_at = record.expires_at;
        let ended: Vec<String> = scripts::run(
            self.client(),
            &self.inner.scripts.index_add,
            vec![self.subject_key(&subject, "index")],
            vec![
                digest.clone(),
                expires_at.to_string(),
                now.to_string(),
                MAX_SESSIONS_PER_SUBJECT.to_string(),
                ttl_secs(expires_at, now).to_string(),
            ],
        )
        .await
        .map_err(unavailable("index session"))?;
        let value = wire::encode_session(&record)
            .map_err(|e| StoreError::Decode { what: "session", source: crate::error::JsonFault::of(&e) })?;
        let ttl = ttl_secs(idle_until.min(expires_at), now) as i64;
        let _: () = self
            .client()
            .set(self.session_key(id), value.as_slice(), Some(Expiration::EX(ttl)), None, false)
            .await
            .map_err(unavailable("store session"))?;
        // Not cached here: the first load reads the subject's revoked-at time from Redis with it.
        self.end_sessions(&ended).await
    }

    async fn load_session(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<LoadedSession>, StoreError> {
        let now = unix(now);
        let key = LocalKey::of(id);
        match self.load_local(&key, now) {
            Some(found) => Ok(Some(found)),
            None => self.fetch_session(&key, now).await,
        }
    }

    fn load_session_now(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Option<Result<Option<LoadedSession>, StoreError>> {
        self.load_local(&LocalKey::of(id), unix(now)).map(|found| Ok(Some(found)))
    }

    async fn touch_session(
        &self,
        id: &SessionId,
        record: &SessionRecord,
        idle_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (idle_until, now) = (unix(idle_until), unix(now));
        let ttl = ttl_secs(idle_until.min(record.expires_at), now) as i64;
        let key = LocalKey::of(id);
        let generation = self.inner.invalidation.generation();
        // EXPIRE never creates a key: a session deleted meanwhile stays deleted.
        let touched: i64 =
            self.client().expire(self.session_key(id), ttl, None).await.map_err(unavailable("touch session"))?;
        if touched == 1 {
            self.inner.local.update(&key, |local| {
                local.idle_until = idle_until;
                true
            });
            if self.inner.invalidation.generation() != generation {
                // A deletion may have been applied between the EXPIRE and the update.
                self.inner.local.remove(&key);
            }
        } else {
            self.inner.local.remove(&key);
        }
        Ok(())
    }

    async fn delete_session(&self, id: &SessionId, subject: &Subject) -> Result<(), StoreError> {
        let digest = session_digest(id);
        let _: i64 = self
            .client()
            .zrem(self.subject_key(&subject_digest(subject), "index"), digest.as_str())
            .await
            .map_err(unavailable("unindex session"))?;
        self.end_sessions(std::slice::from_ref(&digest)).await?;
        self.delete_data_of(&subject_digest(subject), &[digest]).await
    }

    async fn count_sessions(&self, subject: &Subject, now: OffsetDateTime) -> Result<usize, StoreError> {
        // The index's members not past their absolute expiry, then each one's key: a session
        // ended by idleness is a key Redis has expired.
        let listed: Vec<String> = self
            .client()
            .zrangebyscore(
                self.subject_key(&subject_digest(subject), "index"),
                now.unix_timestamp() + 1,
                "+inf",
                false,
                None,
            )
            .await
            .map_err(unavailable("list sessions"))?;
        let mut live = 0;
        for digest in listed {
            let exists: i64 = self
                .client()
                .exists(format!("{}s:{digest}", self.inner.prefix))
                .await
                .map_err(unavailable("count sessions"))?;
            live += usize::from(exists > 0);
        }
        Ok(live)
    }

    async fn drop_identity(&self, subject: &Subject, _now: OffsetDateTime) -> Result<usize, StoreError> {
        let listed: Vec<String> = self
            .client()
            .zrange(self.subject_key(&subject_digest(subject), "index"), 0, -1, None, false, None, false)
            .await
            .map_err(unavailable("list sessions"))?;
        let mut dropped = 0;
        for digest in listed {
            let key = format!("{}s:{digest}", self.inner.prefix);
            // A session changed between the read and the write (a touch changes only its TTL,
            // which the replacement keeps) is read again; three tries are plenty, and a fourth
            // is an error (the caller answers 5xx and the event comes again).
            let mut settled = false;
            for _ in 0..3 {
                let value: Option<Vec<u8>> = self.client().get(&key).await.map_err(unavailable("load session"))?;
                let Some(value) = value else {
                    settled = true;
                    break;
                };
                let Ok(record) = wire::decode_session(&value) else {
                    settled = true;
                    break;
                };
                let Some(without) = record.without_identity() else {
                    settled = true;
                    break;
                };
                let new = wire::encode_session(&without)
                    .map_err(|e| StoreError::Decode { what: "session", source: crate::error::JsonFault::of(&e) })?;
                self.forget_local(&digest);
                let replaced: i64 = scripts::run(
                    self.client(),
                    &self.inner.scripts.session_replace,
                    vec![key.clone()],
                    vec![
                        String::from_utf8_lossy(&value).into_owned(),
                        String::from_utf8_lossy(&new).into_owned(),
                        self.script_channel().to_owned(),
                        format!("d {digest}"),
                    ],
                )
                .await
                .map_err(unavailable("replace session"))?;
                self.forget_local(&digest);
                if replaced == 1 {
                    dropped += 1;
                    settled = true;
                    break;
                }
            }
            if !settled {
                return Err(StoreError::unavailable(BACKEND, "drop identity", "the session kept changing"));
            }
        }
        Ok(dropped)
    }

    async fn revoke_subject(
        &self,
        subject: &Subject,
        at: OffsetDateTime,
        keep_until: OffsetDateTime,
        now: OffsetDateTime,
        once: Option<(&ReplayKey, OffsetDateTime)>,
    ) -> Result<Option<usize>, StoreError> {
        let (at_us, at, keep_until, now) = (unix_micros(at), unix(at), unix(keep_until), unix(now));
        let once = once.map(|(key, until)| (key, unix(until)));
        let digest = subject_digest(subject);
        let mut keys = vec![
            self.subject_key(&digest, "revoked"),
            self.subject_key(&digest, "index"),
            self.subject_key(&digest, "revoked-us"),
        ];
        let mut args = vec![
            at.to_string(),
            ttl_secs(keep_until, now).to_string(),
            self.script_channel().to_owned(),
            // Earlier versions read the first four fields.
            format!("r {digest} {at} {keep_until} {at_us}"),
            at_us.to_string(),
        ];
        if let Some((key, until)) = once {
            // On the subject's slot, so that the script may touch it in the same step.
            if key.subject_digest() != Some(digest.as_str()) {
                return Err(StoreError::unavailable(BACKEND, "revoke", "the replay record names another subject"));
            }
            keys.push(self.replay_key(key));
            args.push(ttl_secs(until, now).to_string());
            args.push(crate::types::random_token(16));
        }
        let reply: Vec<String> =
            scripts::run(self.client(), &self.inner.scripts.revoke, keys, args).await.map_err(unavailable("revoke"))?;
        let mut reply = reply.into_iter();
        match reply.next().as_deref() {
            Some("ok") => {}
            Some("replayed") => return Ok(None),
            _ => return Err(StoreError::unavailable(BACKEND, "revoke", "unexpected script reply")),
        }
        let listed: Vec<String> = reply.collect();
        self.inner.invalidation.note_revocation(Digest::of_subject(subject), at_us, keep_until);
        // The revocation is in force (recorded and published by the script); deleting the
        // listed sessions only frees their memory, so a failure here is logged, not returned
        // (an error would make One Login retry a logout that already took effect).
        if let Err(error) = self.end_sessions(&listed).await {
            tracing::warn!(%error, "revoked, but the revoked sessions could not be deleted yet (they are refused on use)");
        }
        if let Err(error) = self.delete_data_of(&digest, &listed).await {
            tracing::warn!(%error, "revoked, but the revoked sessions' data could not be deleted yet (it expires with them)");
        }
        Ok(Some(listed.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::{LocalKey, revoked_micros, session_digest};
    use crate::session::SessionId;

    #[test]
    fn the_local_key_is_the_digest_that_names_the_session_in_redis() {
        let id = SessionId::generate();
        let key = LocalKey::of(&id);
        assert_eq!(key.digest(), session_digest(&id));
        assert!(LocalKey::parse(&session_digest(&id)) == Some(key));
        for not_one in ["", "abc", &format!("{}A", session_digest(&id)), &session_digest(&id)[1..], "!!!!"] {
            assert!(LocalKey::parse(not_one).is_none(), "{not_one:?}");
        }
    }

    #[test]
    fn a_revocation_time_reads_from_either_version() {
        assert_eq!(revoked_micros(None, None), None);
        assert_eq!(revoked_micros(Some(10), None), Some(10_999_999), "seconds alone: the end of that second");
        assert_eq!(revoked_micros(Some(10), Some(10_500_000)), Some(10_500_000), "both from this version");
        assert_eq!(revoked_micros(None, Some(10_500_000)), Some(10_500_000));
        assert_eq!(revoked_micros(Some(12), Some(10_500_000)), Some(12_999_999), "an earlier version's later one");
        assert_eq!(revoked_micros(Some(i64::MAX), None), Some(i64::MAX));
    }
}
