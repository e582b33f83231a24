//! The optional verification client (SSF §8.1.4): on a schedule, it asks the transmitter's
//! verification endpoint to send a verification event carrying a fresh `state`, and checks that
//! the event that follows carries it.
//!
//! A `state` is `v1.<unix time>.<nonce>.<tag>`, the tag an HMAC of the rest under a key derived
//! from the receiver's client secret, so any instance recognises any instance's `state`
//! without shared memory. The instance that asked learns whether the event came through the
//! store: the receiver records each `state` it sees (an insert-if-absent), and at its next
//! round the asker tries to insert the same record: finding it there means the event arrived.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use url::Url;

use crate::client::OneLogin;
use crate::config::{ConfigError, ConfigSource};
use crate::error::Endpoint;
use crate::store::ReplayKey;

/// Settings of the verification client, given to
/// [`EventsSettings::verification`](super::EventsSettings::verification).
#[derive(Clone)]
#[must_use]
pub struct VerificationSettings {
    pub(crate) endpoint: String,
    pub(crate) token_url: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) interval: Duration,
    pub(crate) stream_id: Option<String>,
}

impl std::fmt::Debug for VerificationSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationSettings")
            .field("endpoint", &self.endpoint)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl VerificationSettings {
    /// POSTs `{"state": …}` to the transmitter's verification `endpoint` with the credentials
    /// One Login gave this service for it (HTTP Basic), every 10 minutes.
    pub fn new(endpoint: impl Into<String>, client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            token_url: None,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            interval: Duration::from_secs(600),
            stream_id: None,
        }
    }
    /// Gets an access token from `url` first (the client-credentials grant, HTTP Basic) and
    /// calls the verification endpoint with it as a bearer token instead of the credentials.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }
    /// How often (default 10 minutes, at least 1 minute).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }
    /// A `stream_id` to send (One Login identifies the stream by the credentials; leave unset).
    pub fn stream_id(mut self, id: impl Into<String>) -> Self {
        self.stream_id = Some(id.into());
        self
    }

    pub(crate) fn check(self) -> Result<VerificationConfig, ConfigError> {
        let origin = ConfigSource::Builder("VerificationSettings::new");
        let endpoint = crate::config::check_url(origin, &self.endpoint)?;
        let token_url = self
            .token_url
            .map(|u| crate::config::check_url(ConfigSource::Builder("VerificationSettings::token_url"), &u))
            .transpose()?;
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            return Err(ConfigError::invalid_at(origin, "the client id and secret must not be empty"));
        }
        if self.interval < Duration::from_secs(60) {
            return Err(ConfigError::invalid_at(
                ConfigSource::Builder("VerificationSettings::interval"),
                "at least 1 minute",
            ));
        }
        Ok(VerificationConfig {
            endpoint,
            token_url,
            client_id: self.client_id,
            client_secret: self.client_secret,
            interval: self.interval,
            stream_id: self.stream_id,
        })
    }
}

/// The checked verification settings.
#[derive(Clone)]
pub(crate) struct VerificationConfig {
    pub(crate) endpoint: Url,
    pub(crate) token_url: Option<Url>,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) interval: Duration,
    pub(crate) stream_id: Option<String>,
}

/// What this instance knows of its verification rounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerificationStatus {
    /// When this instance last asked for a verification event and the transmitter said yes.
    pub last_requested: Option<OffsetDateTime>,
    /// When a verification event carrying a `state` this instance asked for was last seen
    /// to have arrived (on any instance).
    pub last_confirmed: Option<OffsetDateTime>,
    /// Why the last round failed, if it did (log-safe).
    pub last_failure: Option<String>,
}

/// The instance's rounds: the `state` awaiting its event, and the status.
#[derive(Default)]
pub(crate) struct Rounds {
    pending: Option<String>,
    status: VerificationStatus,
}

pub(crate) type SharedRounds = Arc<Mutex<Rounds>>;

fn tag(key: &[u8; 32], text: &str) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    URL_SAFE_NO_PAD.encode(hmac::sign(&key, format!("ssf-verification\0{text}").as_bytes()))
}

/// A fresh `state`, made at `now`.
pub(crate) fn new_state(key: &[u8; 32], now: i64) -> String {
    let text = format!("v1.{now}.{}", crate::types::random_token(12));
    let tag = tag(key, &text);
    format!("{text}.{tag}")
}

/// Whether `state` is one of ours, made within `max_age` of `now`.
pub(crate) fn is_ours(key: &[u8; 32], state: &str, now: i64, max_age: Duration) -> bool {
    let Some((text, given)) = state.rsplit_once('.') else { return false };
    if !crate::types::ct_eq(tag(key, text).as_bytes(), given.as_bytes()) {
        return false;
    }
    let made = text.strip_prefix("v1.").and_then(|rest| rest.split('.').next()).and_then(|t| t.parse::<i64>().ok());
    made.is_some_and(|made| made <= now.saturating_add(60) && now.saturating_sub(made) <= max_age.as_secs() as i64)
}

/// The record a verification event's `state` leaves in the store.
pub(crate) fn seen_key(state: &str) -> ReplayKey {
    ReplayKey::security_event("verification-state", state)
}

impl OneLogin {
    /// What this instance knows of its verification rounds (all `None` without a verification
    /// client). A `last_confirmed` older than two intervals means the events stopped arriving.
    pub fn events_verification_status(&self) -> VerificationStatus {
        self.verification_rounds().lock().unwrap_or_else(std::sync::PoisonError::into_inner).status.clone()
    }

    /// One round: confirms the last round's `state` (its event arrived if the receiver recorded
    /// it), then asks the transmitter for a verification event with a fresh `state`.
    pub async fn verify_event_stream(&self) -> Result<(), String> {
        let Some(verification) = self.events_config().and_then(|e| e.verification.as_ref()) else {
            return Err("no verification client is configured".into());
        };
        let rounds = self.verification_rounds();
        let pending = rounds.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pending.take();
        let remember =
            crate::clock::from_unix(self.unix_now().saturating_add(verification.interval.as_secs() as i64 * 3));
        if let Some(state) = pending {
            // Finding the record means the receiver (on some instance) saw the event.
            let arrived = !self
                .store()
                .insert_if_absent(&seen_key(&state), remember, self.now())
                .await
                .map_err(|e| e.to_string())?;
            let mut r = rounds.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if arrived {
                r.status.last_confirmed = Some(self.now());
            } else {
                tracing::warn!("no verification event arrived for the last request: is the event stream paused?");
            }
        }
        let key = self.events_config().map(|e| e.state_key).unwrap_or_default();
        let state = new_state(&key, self.unix_now());
        let outcome = self.request_verification(verification, &state).await;
        let mut r = rounds.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match &outcome {
            Ok(()) => {
                r.pending = Some(state);
                r.status.last_requested = Some(self.now());
                r.status.last_failure = None;
            }
            Err(why) => {
                tracing::warn!(reason = %why, "the verification request failed");
                r.status.last_failure = Some(why.clone());
            }
        }
        outcome
    }

    async fn request_verification(&self, v: &VerificationConfig, state: &str) -> Result<(), String> {
        // RFC 6749 §2.3.1: each part form-encoded, then base64.
        let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let pair = format!("{}:{}", encode(&v.client_id), encode(&v.client_secret));
        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
        let authorization = match &v.token_url {
            None => basic,
            Some(url) => {
                let request = crate::fetch::request(http::Method::POST, url.as_str())
                    .header(http::header::AUTHORIZATION, basic)
                    .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                let response = self
                    .http()
                    .send(Endpoint::EventsVerification, request, b"grant_type=client_credentials".to_vec())
                    .await
                    .map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!("the verification token endpoint answered {}", response.status().as_u16()));
                }
                let body: serde_json::Value =
                    crate::fetch::read_json(Endpoint::EventsVerification, &response).map_err(|e| e.to_string())?;
                let token = body["access_token"].as_str().ok_or("the token answer has no access_token")?;
                format!("Bearer {token}")
            }
        };
        let mut body = serde_json::json!({ "state": state });
        if let Some(stream) = &v.stream_id {
            body["stream_id"] = stream.clone().into();
        }
        let request = crate::fetch::request(http::Method::POST, v.endpoint.as_str())
            .header(http::header::AUTHORIZATION, authorization)
            .header(http::header::CONTENT_TYPE, "application/json");
        let response = self
            .http()
            .send(Endpoint::EventsVerification, request, body.to_string().into_bytes())
            .await
            .map_err(|e| e.to_string())?;
        match response.status().as_u16() {
            204 => Ok(()),
            status => Err(format!("the verification endpoint answered {status}, not 204")),
        }
    }

    /// Records a verification event's `state` for the instance that asked, when it is one of
    /// ours. Every verification event is accepted (202), whether or not the verification client
    /// is configured and whatever its `state`: a `state` that is not ours is logged, and simply
    /// never confirms a round.
    pub(crate) async fn receive_verification(&self, state: Option<&str>) -> Result<(), crate::store::StoreError> {
        let (Some(state), Some(events)) = (state, self.events_config()) else { return Ok(()) };
        let Some(verification) = &events.verification else { return Ok(()) };
        let max_age = verification.interval.saturating_mul(3);
        if !is_ours(&events.state_key, state, self.unix_now(), max_age) {
            tracing::warn!(
                "a verification event carries a state this service did not ask for (or asked for too long ago)"
            );
            return Ok(());
        }
        let remember = crate::clock::from_unix(self.unix_now().saturating_add(max_age.as_secs() as i64));
        self.store().insert_if_absent(&seen_key(state), remember, self.now()).await?;
        Ok(())
    }
}

/// Runs [`OneLogin::verify_event_stream`] every interval while the engine lives, starting one
/// interval after start-up.
pub(crate) fn spawn(engine: Weak<crate::client::Inner>, interval: Duration) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no Tokio runtime at start-up: the security-event verification client does not run");
        return;
    };
    runtime.spawn(async move {
        // The first round one interval after start-up, not at once: fifty instances starting
        // together do not all call the transmitter in the same second.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(inner) = engine.upgrade() else { return };
            let one_login = OneLogin::from_inner(inner);
            let _ = one_login.verify_event_stream().await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_ours_only_with_its_tag_and_within_its_age() {
        let key = [7u8; 32];
        let state = new_state(&key, 1_000_000);
        let day = Duration::from_secs(86_400);
        assert!(is_ours(&key, &state, 1_000_000, day));
        assert!(is_ours(&key, &state, 1_000_000 + 86_400, day));
        assert!(!is_ours(&key, &state, 1_000_000 + 86_401, day), "too old");
        assert!(!is_ours(&[8u8; 32], &state, 1_000_000, day), "another receiver's");
        let (text, _) = state.rsplit_once('.').unwrap();
        assert!(!is_ours(&key, &format!("{text}.forged"), 1_000_000, day));
        assert!(!is_ours(&key, &state.replace("v1.1000000", "v1.1000001"), 1_000_000, day), "the time is signed");
        assert!(!is_ours(&key, "health-check-state", 1_000_000, day));
    }
}
