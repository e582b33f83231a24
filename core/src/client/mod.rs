//! [`OneLogin`]: the engine both adapters hold. It starts logins, completes them, loads
//! sessions and handles logout. Cheap to clone.

mod assertion;
mod authorize;
mod callback;
mod logout;
pub(crate) mod sessions;
mod throttle;

use std::sync::Arc;

use crate::jwt::PublicKey;

pub(crate) use authorize::Start;
pub use authorize::{LoginRedirect, LoginRequest, PendingLogin};
pub(crate) use callback::Completion;
pub use callback::{CallbackParams, LoginOutcome};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::error::{Endpoint, Error, ProviderError, TokenError, TokenKind};
use crate::fetch::Http;
use crate::keys::{DidDocument, DocCache, KeySet, ProviderMetadata};
use crate::session::MadeFor;
use crate::store::{MemoryStore, Store, StoreSettings};
use crate::transport::HttpTransport;
use crate::web::{DefaultPages, Pages};

/// The GOV.UK One Login relying party. Build it once at start-up and share it (it is an `Arc`).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use govuk_one_login::{Config, OneLogin};
/// // In-memory state by default; REDIS_URL (or ONE_LOGIN_SESSION_STORE=redis) for many instances.
/// let one_login = OneLogin::new(Config::from_env()?)?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OneLogin {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: Config,
    http: Http,
    discovery: DocCache<ProviderMetadata>,
    jwks: DocCache<KeySet>,
    did: DocCache<DidDocument>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    pages: Arc<dyn Pages>,
    api_paths: Vec<String>,
    starts: throttle::StartLimit,
    events_jwks: DocCache<KeySet>,
    event_handlers: crate::events::EventHandlers,
    hooks: crate::hooks::Hooks,
    verification: crate::events::verification::SharedRounds,
    /// This deployment's issuer and client, the copy its sessions share.
    made_for: Arc<MadeFor>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneLogin").field("config", &self.config).field("store", &self.store).finish_non_exhaustive()
    }
}

/// Builds a [`OneLogin`] with a chosen store or clock.
#[must_use]
pub struct OneLoginBuilder {
    config: Config,
    store: Option<Arc<dyn Store>>,
    clock: Arc<dyn Clock>,
    pages: Arc<dyn Pages>,
    api_paths: Vec<String>,
    transport: Option<Arc<dyn HttpTransport>>,
    event_handlers: crate::events::EventHandlers,
    hooks: crate::hooks::Hooks,
}

impl std::fmt::Debug for OneLoginBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneLoginBuilder")
            .field("config", &self.config)
            .field("store", &self.store)
            .field("pages", &self.pages)
            .field("api_paths", &self.api_paths)
            .field("transport", &self.transport)
            .field("hooks", &self.hooks)
            .finish_non_exhaustive()
    }
}

impl OneLoginBuilder {
    /// Keeps sessions, pending logins, revocations and replay records in `store` instead of
    /// the one the configuration names ([`Config::session_store`]). Give every instance the
    /// same shared store (or, in one process, clones of one [`MemoryStore`]) to make them
    /// behave as one.
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store));
        self
    }
    /// Renders core's pages (error pages, identity not proven) with `pages` instead of
    /// [`DefaultPages`].
    pub fn pages(mut self, pages: impl Pages) -> Self {
        self.pages = Arc::new(pages);
        self
    }
    /// Declares paths that are APIs: a request at or below any of them (`/api` covers `/api`
    /// and `/api/me`, not `/apis`) always gets 401/403 JSON, never a redirect to One Login,
    /// whatever its `Accept` header. A path without a leading `/` gets one. Declare only
    /// prefixes that hold APIs alone: pages under a declared prefix (under `/`, every page)
    /// can never start a sign-in.
    pub fn api_paths<I, P>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.api_paths.extend(paths.into_iter().map(|p| {
            let p = p.into();
            if p.starts_with('/') { p } else { format!("/{p}") }
        }));
        self
    }
    /// Sends the engine's requests to One Login through `transport` instead of the default
    /// (reqwest on rustls with the web PKI roots): an egress proxy, a pinned CA, or answers
    /// given in-process. The engine still sets the User-Agent, bounds each call by
    /// [`ConfigBuilder::http_timeout`](crate::ConfigBuilder::http_timeout) and checks every
    /// answer itself. See [`crate::transport`].
    pub fn http_transport(mut self, transport: impl HttpTransport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }
    /// The application's handlers for security events (see [`crate::events`]); they run
    /// after the receiver's own action on each event.
    pub fn security_event_handlers(mut self, handlers: crate::events::EventHandlers) -> Self {
        self.event_handlers = handlers;
        self
    }
    /// The application's hooks on sign-in, step-up, sign-out and revocation (see
    /// [`crate::hooks`]).
    pub fn hooks(mut self, hooks: crate::hooks::Hooks) -> Self {
        self.hooks = hooks;
        self
    }
    /// Uses another clock (tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
    /// Builds the engine. A Redis store starts connecting in the background (inside the
    /// current Tokio runtime); start-up does not wait for it.
    pub fn build(self) -> Result<OneLogin, ConfigError> {
        let c = &self.config;
        let store = match self.store {
            Some(store) => store,
            None => store_from_settings(c.session_store())?,
        };
        tracing::info!(store = store.backend(), settings = ?c.session_store(), "session store");
        let verify_every = c.security_events().and_then(|e| e.verification.as_ref()).map(|v| v.interval);
        let one_login = OneLogin {
            inner: Arc::new(Inner {
                http: Http::new(
                    c,
                    match self.transport {
                        Some(transport) => transport,
                        None => crate::fetch::default_transport(c)?,
                    },
                )?,
                discovery: doc_cache(c),
                jwks: doc_cache(c),
                did: doc_cache(c),
                store,
                clock: self.clock,
                pages: self.pages,
                api_paths: self.api_paths,
                starts: throttle::StartLimit::new(self.config.max_sign_in_starts_per_second),
                events_jwks: doc_cache(c),
                event_handlers: self.event_handlers,
                hooks: self.hooks,
                verification: Arc::default(),
                made_for: MadeFor::shared(&self.config.issuer, &self.config.client_id),
                config: self.config,
            }),
        };
        if let Some(interval) = verify_every {
            crate::events::verification::spawn(Arc::downgrade(&one_login.inner), interval);
        }
        Ok(one_login)
    }
}

fn store_from_settings(settings: &StoreSettings) -> Result<Arc<dyn Store>, ConfigError> {
    Ok(match settings {
        StoreSettings::Memory(limits) => Arc::new(MemoryStore::with_limits(*limits)),
        #[cfg(feature = "redis")]
        StoreSettings::Redis(redis) => Arc::new(crate::store::RedisStore::connect(redis.clone())?),
        #[cfg(not(feature = "redis"))]
        StoreSettings::Redis(_) => {
            return Err(ConfigError::invalid(
                "ONE_LOGIN_SESSION_STORE",
                "this build has no Redis support: enable the `redis` feature of govuk-one-login",
            ));
        }
    })
}

/// One Login serves every endpoint from its issuer's origin (§1.1 of the spec): a discovery
/// document naming another scheme, host or port for any of them is refused, so that codes,
/// client assertions, access tokens and key lookups never go elsewhere.
fn check_endpoint_origins(meta: &ProviderMetadata) -> Result<(), ProviderError> {
    let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin()).filter(url::Origin::is_tuple);
    let issuer = origin(&meta.issuer);
    let endpoints = [
        ("authorization_endpoint", Some(&meta.authorization_endpoint)),
        ("token_endpoint", Some(&meta.token_endpoint)),
        ("userinfo_endpoint", Some(&meta.userinfo_endpoint)),
        ("jwks_uri", Some(&meta.jwks_uri)),
        ("end_session_endpoint", meta.end_session_endpoint.as_ref()),
    ];
    for (name, value) in endpoints {
        if let Some(value) = value
            && (issuer.is_none() || origin(value) != issuer)
        {
            return Err(ProviderError::InvalidResponse {
                endpoint: Endpoint::Discovery,
                reason: format!("{name} is not on the issuer's scheme, host and port"),
            });
        }
    }
    Ok(())
}

fn doc_cache<T: Send + Sync + 'static>(c: &Config) -> DocCache<T> {
    DocCache::new(c.key_cache_floor, c.key_cache_ceiling, c.unknown_kid_refetch_interval)
}

impl OneLogin {
    /// An engine with the store the configuration names (in memory by default) and the
    /// system clock.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Self::builder(config).build()
    }

    /// A builder, to choose the store or clock.
    pub fn builder(config: Config) -> OneLoginBuilder {
        OneLoginBuilder {
            config,
            store: None,
            clock: Arc::new(SystemClock),
            pages: Arc::new(DefaultPages),
            api_paths: Vec::new(),
            transport: None,
            event_handlers: crate::events::EventHandlers::new(),
            hooks: crate::hooks::Hooks::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// This deployment's issuer and client, as its sessions share them.
    pub(crate) fn made_for(&self) -> &Arc<MadeFor> {
        &self.inner.made_for
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.inner.store
    }

    /// The current time by this engine's clock, in whole seconds (UTC): every time this crate
    /// checks, stores or hands to a [`Store`] is whole seconds, but for a session's sign-in time
    /// and a subject's revoked-at time, which are microseconds.
    pub fn now(&self) -> time::OffsetDateTime {
        crate::clock::from_unix(self.unix_now())
    }

    /// [`OneLogin::now`] as seconds since the Unix epoch, for token claims and arithmetic.
    pub(crate) fn unix_now(&self) -> i64 {
        self.inner.clock.unix_micros().div_euclid(1_000_000)
    }

    /// The current time to the microsecond: when a sign-in began and when a subject was
    /// revoked, so that a sign-in right after a logout is not taken for one before it.
    pub(crate) fn precise_now(&self) -> time::OffsetDateTime {
        crate::clock::from_unix_micros(self.inner.clock.unix_micros())
    }

    /// The discovery document (cached), checked when it is fetched to name the configured
    /// issuer and to keep every endpoint on its origin. A refetched document that fails the
    /// checks is a failed fetch: the last good copy stays in use (and the failure is logged).
    pub(crate) async fn metadata(&self) -> Result<Arc<ProviderMetadata>, Error> {
        let inner = &self.inner;
        let fetch = || async {
            let fetched =
                inner.http.get_json::<ProviderMetadata>(Endpoint::Discovery, &inner.config.discovery_url).await?;
            if fetched.value.issuer != inner.config.issuer {
                return Err(ProviderError::IssuerMismatch {
                    expected: inner.config.issuer.clone(),
                    found: fetched.value.issuer.clone(),
                });
            }
            check_endpoint_origins(&fetched.value)?;
            Ok(fetched)
        };
        Ok(inner.discovery.get(fetch).await?)
    }

    /// Checks, before the first user arrives, that One Login answers as this engine is
    /// configured: fetches the discovery document (it must name the configured issuer exactly,
    /// trailing `/` included, with every endpoint on its origin) and the OP's key set. Both
    /// stay cached for the first sign-ins. Call it at start-up, so that a wrong issuer, port or
    /// trailing `/` stops the service with its cause rather than showing the first user an
    /// error page. A failure is also logged once, with its cause, by the fetch that met it.
    ///
    /// # Errors
    ///
    /// [`Error::Provider`] with the cause, such as [`ProviderError::IssuerMismatch`] (naming
    /// both issuers), [`ProviderError::Unreachable`] or [`ProviderError::InvalidResponse`].
    pub async fn preflight(&self) -> Result<(), Error> {
        let meta = self.metadata().await?;
        let inner = &self.inner;
        inner.jwks.get(|| inner.http.get_json(Endpoint::Jwks, &meta.jwks_uri)).await?;
        Ok(())
    }

    /// One Login's key set (cached), for the doctor.
    pub(crate) async fn provider_keys(&self) -> Result<Arc<KeySet>, Error> {
        let meta = self.metadata().await?;
        let inner = &self.inner;
        Ok(inner.jwks.get(|| inner.http.get_json(Endpoint::Jwks, &meta.jwks_uri)).await?)
    }

    /// Fetches (or finds cached) the DID document and reads its keys, for the doctor.
    pub(crate) async fn did_document(&self) -> Result<(), Error> {
        let inner = &self.inner;
        let url = &inner.config.did_url;
        inner.did.get(|| inner.http.get_json(Endpoint::DidDocument, url.as_str())).await?;
        Ok(())
    }

    /// The OP key named `kid`, refetching the JWKS once (rate-limited) when it is unknown.
    pub(crate) async fn op_key(&self, kid: &str, kind: TokenKind) -> Result<Arc<PublicKey>, Error> {
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
            .ok_or_else(|| Error::token(kind)(TokenError::UnknownKey { kid: crate::types::loggable(kid, 128) }))
    }

    /// The DID key for a core identity `kid`, refetching the DID document once when unknown.
    pub(crate) async fn did_key(&self, kid: &str) -> Result<Arc<PublicKey>, Error> {
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
                Error::token(TokenKind::CoreIdentity)(TokenError::UnknownKey { kid: crate::types::loggable(kid, 128) })
            })
    }

    pub(crate) fn pages(&self) -> &dyn Pages {
        &*self.inner.pages
    }

    pub(crate) fn api_paths(&self) -> &[String] {
        &self.inner.api_paths
    }

    pub(crate) fn http(&self) -> &Http {
        &self.inner.http
    }

    pub(crate) fn events_config(&self) -> Option<&crate::events::EventsConfig> {
        self.inner.config.security_events()
    }

    pub(crate) fn events_jwks(&self) -> &DocCache<KeySet> {
        &self.inner.events_jwks
    }

    pub(crate) fn event_handlers(&self) -> &crate::events::EventHandlers {
        &self.inner.event_handlers
    }

    pub(crate) fn hooks(&self) -> &crate::hooks::Hooks {
        &self.inner.hooks
    }

    pub(crate) fn verification_rounds(&self) -> &crate::events::verification::SharedRounds {
        &self.inner.verification
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self { inner }
    }
}
