//! Verifying a pushed Security Event Token (RFC 8417, in the order RFC 8935 and the Shared
//! Signals Framework give): the JOSE header, the transmitter's key, then the claims.

use serde::Deserialize;
use time::OffsetDateTime;

use super::config::EventsConfig;
use super::error::EventError;
use super::types::{SecurityEvent, SubjectId, parse_events};
use crate::client::OneLogin;
use crate::error::{Endpoint, TokenError};
use crate::jwt::{self, Audience};
use crate::types::loggable;

/// The only `typ` accepted (RFC 8417 §2.3, SSF §4.1.1), compared exactly.
pub const SET_TYPE: &str = "secevent+jwt";

/// A verified SET: who sent it, when, and its typed events.
#[derive(Clone)]
#[non_exhaustive]
pub struct ReceivedSet {
    /// The SET's `jti`: unique per SET, the key replays are recognised by.
    pub jti: String,
    /// The transmitter (`iss`).
    pub issuer: String,
    /// When the transmitter issued it (`iat`).
    pub issued_at: OffsetDateTime,
    /// The transaction id (`txn`), when sent.
    pub txn: Option<String>,
    /// When the event happened (`toe`), when sent.
    pub toe: Option<i64>,
    /// The top-level subject (`sub_id`, SSF 1.0), when sent. One Login's user events carry
    /// theirs inside the event instead ([`SecurityEvent::subject`]).
    pub sub_id: Option<SubjectId>,
    /// The events, in the order of the `events` claim.
    pub events: Vec<SecurityEvent>,
    /// One Login's companion entries sent beside an event (such as
    /// `https://vocab.account.gov.uk/secevent/v1/credentialChange/eventInformation`), as
    /// they came. They may hold personal data (an email address).
    pub companions: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for ReceivedSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceivedSet")
            .field("jti", &loggable(&self.jti, 64))
            .field("issuer", &self.issuer)
            .field("issued_at", &self.issued_at)
            .field("sub_id", &self.sub_id)
            .field("events", &self.events)
            .field("companions", &self.companions.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ReceivedSet {
    /// The subject `event` is about: its own `subject` (for an event of unknown type, a
    /// `subject` member that is a subject identifier), else the SET's `sub_id`.
    pub fn subject_of(&self, event: &SecurityEvent) -> Option<SubjectId> {
        let own = match event {
            SecurityEvent::Unknown { payload, .. } => payload.get("subject").and_then(SubjectId::from_json),
            known => known.subject().cloned(),
        };
        own.or_else(|| self.sub_id.clone())
    }
}

#[derive(Deserialize)]
struct SetClaims {
    iss: Option<String>,
    aud: Option<Audience>,
    iat: Option<i64>,
    exp: Option<i64>,
    jti: Option<String>,
    events: Option<serde_json::Value>,
    sub_id: Option<serde_json::Value>,
    txn: Option<String>,
    toe: Option<i64>,
    sub: Option<serde_json::Value>,
}

/// A refusal as `invalid_request`, its reason made fit for a log line and a response (a parse
/// error may quote what the sender wrote).
fn invalid(reason: impl AsRef<str>) -> EventError {
    EventError::InvalidRequest(loggable(reason.as_ref(), 200))
}

/// The header's `alg` as written, when it is one of `allowed`.
fn pinned_alg(config: &EventsConfig, token: &str) -> Result<jsonwebtoken::Algorithm, EventError> {
    let raw = jwt::raw_header_alg(token).map_err(|e| invalid(e.to_string()))?;
    let alg = match raw.as_str() {
        "RS256" => Some(jsonwebtoken::Algorithm::RS256),
        "ES256" => Some(jsonwebtoken::Algorithm::ES256),
        _ => None,
    };
    alg.filter(|alg| config.allows(*alg))
        .ok_or_else(|| invalid(format!("algorithm `{}` is not accepted", loggable(&raw, 16))))
}

impl OneLogin {
    /// Verifies a SET (the compact JWS a transmitter pushed) and types its events. Checks, in
    /// order: three parts and at most 64 KiB; `typ` exactly `secevent+jwt`; `alg` in the
    /// configured list (RS256 and ES256 by default); no `crit`; a `kid`, found in the
    /// transmitter's key set (refetched once, rate-limited, when unknown); the signature; `iss`
    /// exactly the configured issuer; `aud` (a string or a list) naming the configured
    /// audience; `iat` present, not in the future beyond the clock skew and not older than
    /// the maximum event age; `exp`, if present, not past; `jti` present; `events` a non-empty
    /// object whose known events fit their definitions (and unknown ones accepted unless
    /// configured otherwise); `sub_id`, if present, a subject identifier.
    ///
    /// It does not record the `jti`: [`OneLogin::receive_security_event`] does, and acts.
    pub async fn verify_security_event(&self, token: &str) -> Result<ReceivedSet, EventError> {
        let config = self.events_config().ok_or_else(|| invalid("no security-event receiver is configured"))?;
        let token = token.trim();
        let alg = pinned_alg(config, token)?;
        let jws = jwt::header(token, alg).map_err(|e| invalid(e.to_string()))?;
        if jws.header.typ.as_deref() != Some(SET_TYPE) {
            return Err(invalid(format!(
                "typ `{}` is not `{SET_TYPE}`",
                loggable(jws.header.typ.as_deref().unwrap_or(""), 32)
            )));
        }
        let kid = jws.header.kid.as_deref().ok_or(EventError::InvalidKey(TokenError::MissingKeyId))?;
        let key = self.transmitter_key(kid).await?;
        let claims: SetClaims = jwt::verify(&jws, &key).map_err(|e| match e {
            TokenError::Malformed(reason) => invalid(reason),
            other => EventError::InvalidKey(other),
        })?;
        let iss = claims.iss.ok_or_else(|| invalid("iss is missing"))?;
        if iss != config.issuer {
            return Err(EventError::InvalidIssuer { expected: config.issuer.clone(), found: loggable(&iss, 256) });
        }
        let names_us = match claims.aud.as_ref() {
            Some(Audience::One(a)) => *a == config.audience,
            Some(Audience::Many(list)) => list.contains(&config.audience),
            None => false,
        };
        if !names_us {
            return Err(EventError::InvalidAudience { expected: config.audience.clone() });
        }
        let now = self.unix_now();
        let leeway = self.config().clock_skew().as_secs() as i64;
        let iat = claims.iat.ok_or_else(|| invalid("iat is missing"))?;
        if iat > now.saturating_add(leeway) {
            return Err(invalid("iat is in the future"));
        }
        if iat < now.saturating_sub(config.max_event_age.as_secs() as i64) {
            return Err(invalid("the SET is older than the maximum event age"));
        }
        if let Some(exp) = claims.exp
            && exp.saturating_add(leeway) < now
        {
            return Err(invalid("the SET has expired"));
        }
        let jti = claims.jti.filter(|j| !j.is_empty() && j.len() <= 256).ok_or_else(|| invalid("jti is missing"))?;
        if claims.sub.is_some() {
            tracing::warn!(jti = %loggable(&jti, 64), "a SET carries a `sub` claim, which SSF forbids: ignored");
        }
        let (events, companions) =
            parse_events(claims.events.as_ref().ok_or_else(|| invalid("events is missing"))?).map_err(invalid)?;
        if config.unknown_events == super::UnknownEvents::Refuse
            && let Some(SecurityEvent::Unknown { uri, .. }) =
                events.iter().find(|e| matches!(e, SecurityEvent::Unknown { .. }))
        {
            return Err(invalid(format!("event type `{}` is not supported", loggable(uri, 200))));
        }
        let sub_id = match &claims.sub_id {
            None => None,
            Some(value) => {
                Some(SubjectId::from_json(value).ok_or_else(|| invalid("sub_id is not a subject identifier"))?)
            }
        };
        Ok(ReceivedSet {
            jti,
            issuer: iss,
            issued_at: crate::clock::from_unix(iat),
            txn: claims.txn,
            toe: claims.toe,
            sub_id,
            events,
            companions,
        })
    }

    /// The transmitter key named `kid`, refetching the key set once (rate-limited) when it is
    /// unknown.
    async fn transmitter_key(&self, kid: &str) -> Result<std::sync::Arc<jwt::PublicKey>, EventError> {
        let config = self.events_config().ok_or_else(|| invalid("no security-event receiver is configured"))?;
        let (http, cache) = (self.http(), self.events_jwks());
        let url = config.jwks_url.as_str();
        let fetch = || http.get_json(Endpoint::EventsJwks, url);
        if let Some(key) = cache.get(fetch).await.map_err(EventError::Keys)?.find(kid) {
            return Ok(key.clone());
        }
        let fetch = || http.get_json(Endpoint::EventsJwks, url);
        let (keys, fetched_now) = cache.refetch_reporting(fetch).await.map_err(EventError::Keys)?;
        match keys.find(kid) {
            Some(key) => Ok(key.clone()),
            // Not refused for good on a key set we could not refresh (refetched a moment ago, or
            // the refetch failed): the transmitter retries, and a rotated key is then found.
            None if !fetched_now => Err(EventError::KeysNotRefreshed),
            None => Err(EventError::InvalidKey(TokenError::UnknownKey { kid: loggable(kid, 128) })),
        }
    }
}
