//! Caches for the documents One Login publishes: discovery, the OP JWKS and the DID document.
//!
//! Each document is served for the `max-age` its `Cache-Control` header gives,
//! clamped to a floor and a ceiling. One fetch runs at a time per document. A failed refresh
//! keeps the last good copy (and retries after the floor). A token with an unknown `kid`
//! causes at most one refetch per interval, so forged key ids cannot make us hammer One Login.
//!
//! A failed fetch with no good copy to fall back on (One Login down before the first success)
//! is remembered for [`FAILURE_MEMORY`]: meanwhile every caller gets the same typed error at
//! once, with no new fetch and no wait behind the refresh lock, and the failure is logged once.

use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::error::ProviderError;
use crate::fetch::Fetched;
use crate::jwt::PublicKey;

/// How long a failed fetch is remembered when there is no good copy to serve instead.
///
/// A constant, not a setting: it only has to outlast a burst of requests arriving during an
/// outage (so that they queue behind no fetch and wait for no timeout), and to be short enough
/// that a recovered One Login is used again within seconds. Five seconds does both whatever the
/// timeouts and cache bounds are configured to; a failure never hides a good copy (a failed
/// refresh keeps serving the last good one and is not remembered).
pub(crate) const FAILURE_MEMORY: Duration = Duration::from_secs(5);

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

/// A JWK set, its keys read for verification as it is fetched. Keys this crate cannot read
/// are skipped, not fatal.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySet {
    pub(crate) keys: Vec<Arc<PublicKey>>,
}

impl<'de> Deserialize<'de> for KeySet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            keys: Vec<serde_json::Value>,
        }
        let raw = Raw::deserialize(d)?;
        let keys = raw.keys.into_iter().filter_map(|k| serde_json::from_value(k).ok());
        Ok(KeySet { keys: keys.map(|jwk| Arc::new(PublicKey::new(jwk))).collect() })
    }
}

impl KeySet {
    pub(crate) fn find(&self, kid: &str) -> Option<&Arc<PublicKey>> {
        self.keys.iter().find(|k| k.kid() == Some(kid))
    }
}

/// The part of a DID document this crate uses, with its keys parsed once when it is fetched
/// (not at each core identity checked).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DidDocument {
    pub(crate) id: String,
    /// The `assertionMethod` entries with an `id` and a usable `publicKeyJwk`; others are
    /// skipped, as an unusable JWKS key is.
    #[serde(rename = "assertionMethod", default, deserialize_with = "usable_did_keys")]
    assertion_method: Vec<(String, DidKey)>,
}

/// One usable `assertionMethod` entry.
#[derive(Debug, Clone)]
pub(crate) struct DidKey {
    pub(crate) controller: Option<String>,
    pub(crate) key: Arc<PublicKey>,
}

fn usable_did_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(String, DidKey)>, D::Error> {
    let entries = Vec::<serde_json::Value>::deserialize(d)?;
    Ok(entries
        .into_iter()
        .filter_map(|mut entry| {
            let id = entry.get("id")?.as_str()?.to_owned();
            let controller = entry.get("controller").and_then(|c| c.as_str()).map(str::to_owned);
            let jwk = serde_json::from_value(entry.get_mut("publicKeyJwk")?.take()).ok()?;
            Some((id, DidKey { controller, key: Arc::new(PublicKey::new(jwk)) }))
        })
        .collect())
}

impl DidDocument {
    pub(crate) fn find(&self, full_kid: &str) -> Option<DidKey> {
        self.assertion_method.iter().find(|(id, _)| id == full_kid).map(|(_, key)| key.clone())
    }
}

/// How long a copy is served when its lifetime does not fit in an `Instant`.
const LONGEST_FRESH: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// A copy and the instant it stops being fresh.
struct Fresh<T> {
    value: Arc<T>,
    until: Instant,
}

/// One cached document.
pub(crate) struct DocCache<T> {
    /// The copy to serve while it is fresh: one document, read on every login several times,
    /// so a read lock and a clock read rather than a cache keyed by nothing.
    fresh: RwLock<Option<Fresh<T>>>,
    last_good: Mutex<Option<Arc<T>>>,
    refresh: tokio::sync::Mutex<Option<Instant>>,
    /// The last failed fetch, when there was no good copy to serve instead, and when it failed.
    failed: Mutex<Option<(Instant, ProviderError)>>,
    failure_memory: Duration,
    floor: Duration,
    ceiling: Duration,
    refetch_interval: Duration,
}

impl<T: Send + Sync + 'static> DocCache<T> {
    pub(crate) fn new(floor: Duration, ceiling: Duration, refetch_interval: Duration) -> Self {
        Self {
            fresh: RwLock::new(None),
            last_good: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(None),
            failed: Mutex::new(None),
            failure_memory: FAILURE_MEMORY,
            floor,
            ceiling,
            refetch_interval,
        }
    }

    /// The same cache, remembering failures for `memory` instead of [`FAILURE_MEMORY`] (tests).
    #[cfg(test)]
    fn with_failure_memory(mut self, memory: Duration) -> Self {
        self.failure_memory = memory;
        self
    }

    /// The copy, while it is fresh.
    fn fresh(&self) -> Option<Arc<T>> {
        let fresh = self.fresh.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        fresh.as_ref().filter(|f| Instant::now() < f.until).map(|f| f.value.clone())
    }

    /// Serves `value` for `ttl` from now.
    fn keep_fresh(&self, value: Arc<T>, ttl: Duration) {
        let now = Instant::now();
        // A ceiling of `Duration::MAX` means "no ceiling": serve the copy for ten years rather
        // than never.
        let until = now.checked_add(ttl).or_else(|| now.checked_add(LONGEST_FRESH)).unwrap_or(now);
        *self.fresh.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Fresh { value, until });
    }

    fn last_good(&self) -> Option<Arc<T>> {
        self.last_good.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn failed(&self) -> std::sync::MutexGuard<'_, Option<(Instant, ProviderError)>> {
        self.failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The error of a fetch that failed less than [`FAILURE_MEMORY`] ago with no good copy to
    /// serve instead.
    fn recent_failure(&self) -> Option<ProviderError> {
        match &*self.failed() {
            Some((at, error)) if at.elapsed() < self.failure_memory => Some(error.clone()),
            _ => None,
        }
    }

    /// The cached document, fetching it when stale.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<T>, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched<T>, ProviderError>>,
    {
        if let Some(value) = self.fresh() {
            return Ok(value);
        }
        if let Some(error) = self.recent_failure() {
            return Err(error);
        }
        let _flight = self.refresh.lock().await;
        if let Some(value) = self.fresh() {
            return Ok(value);
        }
        // The fetch this caller queued behind failed: its answer, not another fetch.
        if let Some(error) = self.recent_failure() {
            return Err(error);
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
        Ok(self.refetch_reporting(fetch).await?.0)
    }

    /// [`DocCache::refetch`], saying whether the copy it answers with was fetched just now
    /// (`false`: the interval had not passed, or the fetch failed and the last good copy
    /// stands in).
    pub(crate) async fn refetch_reporting<F, Fut>(&self, fetch: F) -> Result<(Arc<T>, bool), ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched<T>, ProviderError>>,
    {
        let mut last = self.refresh.lock().await;
        if let Some(error) = self.recent_failure()
            && self.last_good().is_none()
        {
            return Err(error);
        }
        if last.is_some_and(|at| at.elapsed() < self.refetch_interval) {
            if let Some(value) = self.fresh() {
                return Ok((value, false));
            }
            if let Some(v) = self.last_good() {
                return Ok((v, false));
            }
        }
        *last = Some(Instant::now());
        let before = self.last_good();
        let value = self.fetch_now(fetch).await?;
        let fetched = before.is_none_or(|b| !Arc::ptr_eq(&b, &value));
        Ok((value, fetched))
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
                self.keep_fresh(value.clone(), ttl);
                *self.last_good.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(value.clone());
                *self.failed() = None;
                Ok(value)
            }
            Err(error) => {
                if let Some(value) = self.last_good() {
                    tracing::warn!(%error, "refresh failed; keeping the last good copy");
                    self.keep_fresh(value.clone(), self.floor);
                    return Ok(value);
                }
                tracing::warn!(
                    %error,
                    remembered_for_secs = self.failure_memory.as_secs_f32(),
                    "fetch failed and there is no good copy: answering with this error until it is retried"
                );
                *self.failed() = Some((Instant::now(), error.clone()));
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::error::Endpoint;

    fn cache() -> Arc<DocCache<u32>> {
        Arc::new(DocCache::new(Duration::from_secs(60), Duration::from_secs(600), Duration::from_secs(60)))
    }

    /// A fetch that counts its calls, takes `delay`, and gives `outcome`.
    async fn fetch(
        calls: &AtomicUsize,
        delay: Duration,
        outcome: Result<u32, ProviderError>,
    ) -> Result<Fetched<u32>, ProviderError> {
        calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(delay).await;
        outcome.map(|value| Fetched { value, max_age: None })
    }

    fn down() -> ProviderError {
        ProviderError::Status { endpoint: Endpoint::Jwks, status: 503 }
    }

    #[tokio::test]
    async fn callers_during_an_outage_share_one_fetch_and_its_error() {
        let cache = cache();
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, calls) = (cache.clone(), calls.clone());
                tokio::spawn(async move {
                    cache.get(|| fetch(&calls, Duration::from_millis(200), Err(down()))).await.map(|v| *v)
                })
            })
            .collect();
        for task in tasks {
            let err = task.await.unwrap().unwrap_err();
            assert!(matches!(err, ProviderError::Status { endpoint: Endpoint::Jwks, status: 503 }), "{err:?}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the callers queued behind the one fetch take its answer");
        // Later callers within the memory get the error at once, with no fetch.
        let err = cache.get(|| fetch(&calls, Duration::ZERO, Ok(1))).await.unwrap_err();
        assert!(matches!(err, ProviderError::Status { status: 503, .. }));
        let err = cache.refetch(|| fetch(&calls, Duration::ZERO, Ok(1))).await.unwrap_err();
        assert!(matches!(err, ProviderError::Status { status: 503, .. }));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_lifetime_too_long_for_the_clock_is_still_cached() {
        let cache = DocCache::new(Duration::from_secs(60), Duration::MAX, Duration::from_secs(60));
        let calls = AtomicUsize::new(0);
        let forever = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(Fetched { value: 1, max_age: Some(Duration::MAX) })
        };
        assert_eq!(*cache.get(forever).await.unwrap(), 1);
        assert_eq!(*cache.get(forever).await.unwrap(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "served from the cache, not fetched again");
    }

    #[tokio::test]
    async fn a_remembered_failure_expires_and_success_clears_it() {
        let cache = Arc::new(
            DocCache::new(Duration::from_secs(60), Duration::from_secs(600), Duration::from_secs(60))
                .with_failure_memory(Duration::from_millis(200)),
        );
        let calls = AtomicUsize::new(0);
        assert!(cache.get(|| fetch(&calls, Duration::ZERO, Err(down()))).await.is_err());
        assert!(cache.get(|| fetch(&calls, Duration::ZERO, Ok(7))).await.is_err(), "remembered");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(*cache.get(|| fetch(&calls, Duration::ZERO, Ok(7))).await.unwrap(), 7, "retried after it");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(cache.failed().is_none(), "a success forgets the failure");
    }

    #[tokio::test]
    async fn a_failure_never_hides_a_good_copy() {
        // A floor of zero: every get refetches, so each one meets the outage.
        let cache = DocCache::new(Duration::ZERO, Duration::ZERO, Duration::ZERO);
        let calls = AtomicUsize::new(0);
        assert_eq!(*cache.get(|| fetch(&calls, Duration::ZERO, Ok(1))).await.unwrap(), 1);
        for _ in 0..3 {
            assert_eq!(*cache.get(|| fetch(&calls, Duration::ZERO, Err(down()))).await.unwrap(), 1, "last good");
            assert_eq!(*cache.refetch(|| fetch(&calls, Duration::ZERO, Err(down()))).await.unwrap(), 1);
        }
        assert!(cache.failed().is_none(), "a failure with a good copy is not remembered");
        assert_eq!(calls.load(Ordering::SeqCst), 7, "each refresh was tried");
    }

    #[test]
    fn a_did_document_keeps_its_usable_keys_and_skips_the_rest() {
        let jwk = serde_json::json!({ "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" });
        let doc: DidDocument = serde_json::from_value(serde_json::json!({
            "id": "did:web:x",
            "assertionMethod": [
                "did:web:x#a-reference",
                { "id": "did:web:x#no-key" },
                { "id": "did:web:x#bad-key", "publicKeyJwk": "not a key" },
                { "publicKeyJwk": jwk },
                { "id": "did:web:x#k1", "controller": "did:web:x", "publicKeyJwk": jwk },
            ]
        }))
        .unwrap();
        let key = doc.find("did:web:x#k1").expect("the usable key");
        assert_eq!(key.controller.as_deref(), Some("did:web:x"));
        assert!(matches!(key.key.jwk.algorithm, jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_)));
        for kid in ["did:web:x#no-key", "did:web:x#bad-key", "did:web:x#a-reference", ""] {
            assert!(doc.find(kid).is_none(), "{kid}");
        }
        let no_keys: DidDocument = serde_json::from_value(serde_json::json!({ "id": "did:web:x" })).unwrap();
        assert!(no_keys.find("did:web:x#k1").is_none());
    }
}
