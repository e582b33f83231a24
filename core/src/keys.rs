//! Caches for the documents One Login publishes: discovery, the OP JWKS and the DID document.
//!
//! Each document lives in a moka cache for the `max-age` its `Cache-Control` header gives,
//! clamped to a floor and a ceiling. One fetch runs at a time per document. A failed refresh
//! keeps the last good copy (and retries after the floor). A token with an unknown `kid`
//! causes at most one refetch per interval, so forged key ids cannot make us hammer One Login.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;

use crate::error::ProviderError;
use crate::fetch::Fetched;

/// The part of the discovery document this crate uses.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ProviderMetadata {
    pub(crate) issuer: String,
    pub(crate) authorization_endpoint: String,
    pub(crate) token_endpoint: String,
    pub(crate) userinfo_endpoint: String,
    pub(crate) jwks_uri: String,
    #[serde(default)]
    pub(crate) end_session_endpoint: Option<String>,
}

/// A JWK set. Keys this crate cannot read are skipped, not fatal.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySet {
    pub(crate) keys: Vec<Jwk>,
}

impl<'de> Deserialize<'de> for KeySet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            keys: Vec<serde_json::Value>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(KeySet { keys: raw.keys.into_iter().filter_map(|k| serde_json::from_value(k).ok()).collect() })
    }
}

impl KeySet {
    pub(crate) fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.common.key_id.as_deref() == Some(kid))
    }
}

/// The part of a DID document this crate uses.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DidDocument {
    pub(crate) id: String,
    #[serde(rename = "assertionMethod", default)]
    pub(crate) assertion_method: Vec<serde_json::Value>,
}

/// One usable `assertionMethod` entry.
pub(crate) struct DidKey {
    pub(crate) controller: Option<String>,
    pub(crate) jwk: Jwk,
}

impl DidDocument {
    pub(crate) fn find(&self, full_kid: &str) -> Option<DidKey> {
        self.assertion_method.iter().find_map(|entry| {
            if entry.get("id")?.as_str()? != full_kid {
                return None;
            }
            let jwk = serde_json::from_value(entry.get("publicKeyJwk")?.clone()).ok()?;
            let controller = entry.get("controller").and_then(|c| c.as_str()).map(str::to_owned);
            Some(DidKey { controller, jwk })
        })
    }
}

struct Entry<T> {
    value: Arc<T>,
    ttl: Duration,
}

impl<T> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Self { value: self.value.clone(), ttl: self.ttl }
    }
}

struct TtlFromEntry;

impl<T> moka::Expiry<(), Entry<T>> for TtlFromEntry {
    fn expire_after_create(&self, (): &(), value: &Entry<T>, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }
    fn expire_after_update(&self, (): &(), value: &Entry<T>, _: Instant, _: Option<Duration>) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// One cached document.
pub(crate) struct DocCache<T> {
    fresh: moka::future::Cache<(), Entry<T>>,
    last_good: Mutex<Option<Arc<T>>>,
    refresh: tokio::sync::Mutex<Option<Instant>>,
    floor: Duration,
    ceiling: Duration,
    refetch_interval: Duration,
}

impl<T: Send + Sync + 'static> DocCache<T> {
    pub(crate) fn new(floor: Duration, ceiling: Duration, refetch_interval: Duration) -> Self {
        Self {
            fresh: moka::future::Cache::builder().max_capacity(1).expire_after(TtlFromEntry).build(),
            last_good: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(None),
            floor,
            ceiling,
            refetch_interval,
        }
    }

    fn last_good(&self) -> Option<Arc<T>> {
        self.last_good.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The cached document, fetching it when stale.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<T>, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched<T>, ProviderError>>,
    {
        if let Some(entry) = self.fresh.get(&()).await {
            return Ok(entry.value);
        }
        let _flight = self.refresh.lock().await;
        if let Some(entry) = self.fresh.get(&()).await {
            return Ok(entry.value);
        }
        self.fetch_now(fetch).await
    }

    /// A refetch because a token named a key we do not have: at most one per interval. When
    /// the interval has not passed, answers with the current copy.
    pub(crate) async fn refetch<F, Fut>(&self, fetch: F) -> Result<Arc<T>, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched<T>, ProviderError>>,
    {
        let mut last = self.refresh.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.refetch_interval) {
            if let Some(entry) = self.fresh.get(&()).await {
                return Ok(entry.value);
            }
            if let Some(v) = self.last_good() {
                return Ok(v);
            }
        }
        *last = Some(Instant::now());
        self.fetch_now(fetch).await
    }

    async fn fetch_now<F, Fut>(&self, fetch: F) -> Result<Arc<T>, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched<T>, ProviderError>>,
    {
        match fetch().await {
            Ok(fetched) => {
                let value = Arc::new(fetched.value);
                let ttl = fetched.max_age.unwrap_or(self.floor).clamp(self.floor, self.ceiling);
                self.fresh.insert((), Entry { value: value.clone(), ttl }).await;
                *self.last_good.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(value.clone());
                Ok(value)
            }
            Err(error) => match self.last_good() {
                Some(value) => {
                    tracing::warn!(%error, "refresh failed; keeping the last good copy");
                    self.fresh.insert((), Entry { value: value.clone(), ttl: self.floor }).await;
                    Ok(value)
                }
                None => Err(error),
            },
        }
    }
}
