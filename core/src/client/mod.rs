//! [`OneLogin`]: the engine both adapters hold. It starts logins, completes them, loads
//! sessions and handles logout. Cheap to clone.

mod assertion;
mod authorize;
mod callback;
mod logout;

use std::sync::Arc;

use jsonwebtoken::jwk::Jwk;
use tower_sessions_core::SessionStore;
use tower_sessions_moka_store::MokaStore;

pub use authorize::{LoginRedirect, LoginRequest};
pub use callback::{CallbackParams, LoginOutcome};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::error::{Endpoint, Error, ProviderError, TokenError, TokenKind};
use crate::fetch::Http;
use crate::keys::{DidDocument, DocCache, KeySet, ProviderMetadata};
use crate::session::{SessionId, SessionRecord, SessionStoreHandle};

/// How many records the default in-memory store holds before evicting the least used.
pub const DEFAULT_STORE_CAPACITY: u64 = 100_000;

/// The GOV.UK One Login relying party. Build it once at start-up and share it (it is an `Arc`).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use govuk_one_login::{Config, OneLogin};
/// let one_login = OneLogin::new(Config::from_env()?)?; // in-memory sessions by default
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OneLogin {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    http: Http,
    discovery: DocCache<ProviderMetadata>,
    jwks: DocCache<KeySet>,
    did: DocCache<DidDocument>,
    store: SessionStoreHandle,
    /// Pending logins. With the default in-memory store this is a separate cache, so that a
    /// flood of anonymous sign-in starts cannot evict signed-in sessions.
    pending: SessionStoreHandle,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneLogin").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Builds a [`OneLogin`] with a chosen store or clock.
#[must_use]
pub struct OneLoginBuilder {
    config: Config,
    store: Option<Arc<dyn SessionStore>>,
    pending_store: Option<Arc<dyn SessionStore>>,
    clock: Arc<dyn Clock>,
}

impl OneLoginBuilder {
    /// Persists sessions, the per-`sub` index, replay records and (unless
    /// [`OneLoginBuilder::pending_store`] says otherwise) pending logins in `store`.
    /// Share one store between instances (Redis, SQL) to make them behave as one.
    pub fn store(mut self, store: impl SessionStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }
    /// Keeps pending logins (10-minute, single-use records) in their own store. By default
    /// they share [`OneLoginBuilder::store`] when one is set, and otherwise get their own
    /// in-memory cache.
    pub fn pending_store(mut self, store: impl SessionStore) -> Self {
        self.pending_store = Some(Arc::new(store));
        self
    }
    /// Uses another clock (tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
    /// Builds the engine.
    pub fn build(self) -> Result<OneLogin, ConfigError> {
        let c = &self.config;
        let in_memory = || -> Arc<dyn SessionStore> { Arc::new(MokaStore::new(Some(DEFAULT_STORE_CAPACITY))) };
        let pending = self.pending_store.or_else(|| self.store.clone()).unwrap_or_else(in_memory);
        let store = self.store.unwrap_or_else(in_memory);
        Ok(OneLogin {
            inner: Arc::new(Inner {
                http: Http::new(c)?,
                discovery: doc_cache(c),
                jwks: doc_cache(c),
                did: doc_cache(c),
                store: SessionStoreHandle::new(store),
                pending: SessionStoreHandle::new(pending),
                clock: self.clock,
                config: self.config,
            }),
        })
    }
}

fn doc_cache<T: Send + Sync + 'static>(c: &Config) -> DocCache<T> {
    DocCache::new(c.key_cache_floor, c.key_cache_ceiling, c.unknown_kid_refetch_interval)
}

impl OneLogin {
    /// An engine with the in-memory (moka) store and the system clock.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Self::builder(config).build()
    }

    /// A builder, to choose the store or clock.
    pub fn builder(config: Config) -> OneLoginBuilder {
        OneLoginBuilder { config, store: None, pending_store: None, clock: Arc::new(SystemClock) }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The session store handle.
    pub fn store(&self) -> &SessionStoreHandle {
        &self.inner.store
    }

    pub(crate) fn pending_store(&self) -> &SessionStoreHandle {
        &self.inner.pending
    }

    /// The current time by this engine's clock.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// Loads the session a cookie value names. An unknown, expired or malformed id is `None`.
    pub async fn session(&self, cookie_value: &str) -> Result<Option<(SessionId, SessionRecord)>, Error> {
        let Some(id) = SessionId::parse(cookie_value) else {
            return Ok(None);
        };
        Ok(self.inner.store.load_session(&id, self.now()).await?.map(|r| (id, r)))
    }

    /// Ends every session of `sub` (all instances sharing the store). Returns how many.
    pub async fn revoke_subject(&self, sub: &crate::Subject) -> Result<usize, Error> {
        Ok(self.inner.store.revoke_subject(sub, self.now()).await?)
    }

    /// The discovery document (cached), checked to name the configured issuer.
    pub(crate) async fn metadata(&self) -> Result<Arc<ProviderMetadata>, Error> {
        let inner = &self.inner;
        let meta =
            inner.discovery.get(|| inner.http.get_json(Endpoint::Discovery, &inner.config.discovery_url)).await?;
        if meta.issuer != inner.config.issuer {
            return Err(ProviderError::IssuerMismatch {
                expected: inner.config.issuer.clone(),
                found: meta.issuer.clone(),
            }
            .into());
        }
        Ok(meta)
    }

    /// The OP key named `kid`, refetching the JWKS once (rate-limited) when it is unknown.
    pub(crate) async fn op_key(&self, kid: &str, kind: TokenKind) -> Result<Jwk, Error> {
        let meta = self.metadata().await?;
        let inner = &self.inner;
        let fetch = || inner.http.get_json(Endpoint::Jwks, &meta.jwks_uri);
        if let Some(k) = inner.jwks.get(fetch).await?.find(kid) {
            return Ok(k.clone());
        }
        let fetch = || inner.http.get_json(Endpoint::Jwks, &meta.jwks_uri);
        inner
            .jwks
            .refetch(fetch)
            .await?
            .find(kid)
            .cloned()
            .ok_or_else(|| Error::token(kind)(TokenError::UnknownKey { kid: kid.chars().take(128).collect() }))
    }

    /// The DID key for a core identity `kid`, refetching the DID document once when unknown.
    pub(crate) async fn did_key(&self, kid: &str) -> Result<Jwk, Error> {
        let inner = &self.inner;
        let url = &inner.config.did_url;
        let to_err = Error::token(TokenKind::CoreIdentity);
        let doc = inner.did.get(|| inner.http.get_json(Endpoint::DidDocument, url.as_str())).await?;
        if let Some(k) = crate::identity::core_jwt::select_key(&doc, kid, url).map_err(to_err)? {
            return Ok(k);
        }
        let doc = inner.did.refetch(|| inner.http.get_json(Endpoint::DidDocument, url.as_str())).await?;
        crate::identity::core_jwt::select_key(&doc, kid, url)
            .map_err(Error::token(TokenKind::CoreIdentity))?
            .ok_or_else(|| {
                Error::token(TokenKind::CoreIdentity)(TokenError::UnknownKey { kid: kid.chars().take(128).collect() })
            })
    }

    pub(crate) fn http(&self) -> &Http {
        &self.inner.http
    }
}
