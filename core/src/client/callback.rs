//! Completing a login: the callback checks, the code exchange, ID token and userinfo checks,
//! core identity verification, and the new session.

use jsonwebtoken::Algorithm;
use serde::Deserialize;
use tracing::Instrument;

use super::OneLogin;
use super::assertion::client_assertion;
use super::authorize::PendingLogin;
use crate::config::IdentityClaim;
use crate::error::{CallbackError, Endpoint, Error, OpErrorCode, ProviderError, TokenError, TokenKind};
use crate::fetch::read_json;
use crate::identity::core_jwt::{self, Expectations};
use crate::identity::{Address, DrivingPermit, IdentityOutcome, Passport, ReturnCode, wire};
use crate::jwt::{self, Audience};
use crate::levels::AuthLevel;
use crate::return_path::ReturnPath;
use crate::session::{KeptToken, SessionId, SessionRecord};
use crate::types::{AccessToken, IdToken, Subject, ct_eq, sha256_b64};

/// Longest callback parameter accepted (codes and states are far shorter).
const MAX_PARAM: usize = 2048;

/// The callback's query parameters: [`CallbackParams::from_query`], or deserialise them with
/// a framework's query extractor. `Debug` shows neither the code nor the state.
#[derive(Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct CallbackParams {
    /// The authorization code.
    pub code: Option<String>,
    /// The state.
    pub state: Option<String>,
    /// One Login's error code.
    pub error: Option<String>,
    /// One Login's error description (logged, never shown).
    pub error_description: Option<String>,
}

/// A completed login.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoginOutcome {
    /// The new session's id (never the pre-login one). Set it as the session cookie.
    pub session_id: SessionId,
    /// The new session.
    pub session: SessionRecord,
    /// Where to send the user.
    pub return_to: ReturnPath,
    /// What came of the identity request, if there was one.
    pub identity: IdentityOutcome,
}

impl std::fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use super::authorize::redacted;
        f.debug_struct("CallbackParams")
            .field("code", &redacted(&self.code))
            .field("state", &redacted(&self.state))
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .finish()
    }
}

impl CallbackParams {
    /// Reads the parameters from the callback's query string (without the `?`). Other
    /// parameters are ignored; of a repeated one, the first counts.
    pub fn from_query(query: &str) -> Self {
        let mut p = Self::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*k {
                "code" => &mut p.code,
                "state" => &mut p.state,
                "error" => &mut p.error,
                "error_description" => &mut p.error_description,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        p
    }
}

/// What [`OneLogin::complete`] came to.
pub(crate) enum Completion {
    /// A new session.
    SignedIn(Box<LoginOutcome>),
    /// Every check passed but freshness: the sign-in is `by` older than `max_age` allows.
    Stale {
        /// How much too old.
        by: std::time::Duration,
        /// The verified ID token, the hint for a `prompt=login` retry.
        id_token: IdToken,
        /// The login it completed.
        pending: PendingLogin,
    },
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    access_token: Option<String>,
    token_type: Option<String>,
}

#[derive(Deserialize)]
struct TokenErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct IdTokenClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    azp: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    nonce: Option<String>,
    vot: Option<String>,
    vtm: Option<String>,
    sid: Option<String>,
    auth_time: Option<i64>,
}

#[derive(Deserialize)]
struct Userinfo {
    sub: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
    phone_number: Option<String>,
    #[serde(default)]
    phone_number_verified: Option<bool>,
    #[serde(rename = "https://vocab.account.gov.uk/v1/coreIdentityJWT")]
    core_identity: Option<String>,
    #[serde(rename = "https://vocab.account.gov.uk/v1/address", default, deserialize_with = "null_as_empty")]
    address: Vec<wire::Address>,
    #[serde(rename = "https://vocab.account.gov.uk/v1/passport", default, deserialize_with = "null_as_empty")]
    passport: Vec<wire::Passport>,
    #[serde(rename = "https://vocab.account.gov.uk/v1/drivingPermit", default, deserialize_with = "null_as_empty")]
    driving_permit: Vec<wire::DrivingPermit>,
    #[serde(rename = "https://vocab.account.gov.uk/v1/returnCode", default, deserialize_with = "null_as_empty")]
    return_code: Vec<wire::ReturnCode>,
}

/// An array claim that may also come as `null`.
fn null_as_empty<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A positive number of seconds as a duration.
fn seconds(secs: i64) -> std::time::Duration {
    std::time::Duration::from_secs(secs.max(0) as u64)
}

fn bounded(value: Option<String>, param: &'static str) -> Result<Option<String>, CallbackError> {
    match value {
        Some(v) if v.len() > MAX_PARAM => Err(CallbackError::TooLong { param }),
        other => Ok(other),
    }
}

impl OneLogin {
    /// Completes a login from the callback's parameters.
    ///
    /// `flow_cookie` is the browser's flow cookie; `current` is the session the browser had
    /// before (for step-up). On success the old session is deleted and a new one, with a new
    /// id, is created. On One Login's `login_required` the old session is deleted too, as
    /// One Login has already signed the user out.
    ///
    /// A sign-in older than the requirement's `max_age` is refused with
    /// [`TokenError::NotFresh`]; the [callback route](Self::callback_route) instead asks One
    /// Login once more, with `prompt=login`.
    pub async fn complete_login(
        &self,
        params: CallbackParams,
        flow_cookie: Option<&str>,
        current: Option<SessionId>,
    ) -> Result<LoginOutcome, Error> {
        match self.complete(params, flow_cookie, current).await? {
            Completion::SignedIn(outcome) => Ok(*outcome),
            Completion::Stale { by, .. } => Err(Error::token(TokenKind::IdToken)(TokenError::NotFresh { by })),
        }
    }

    /// [`complete_login`](Self::complete_login), except that a sign-in too old for `max_age`
    /// (its ID token otherwise valid) comes back with that token and the pending login, so
    /// that the caller can ask for a fresh one.
    pub(crate) async fn complete(
        &self,
        params: CallbackParams,
        flow_cookie: Option<&str>,
        current: Option<SessionId>,
    ) -> Result<Completion, Error> {
        // The sign-in's steps (the code exchange, the ID token, userinfo, the core identity) are
        // spans of their own inside this one, at `debug`.
        let completed =
            self.complete_steps(params, flow_cookie, current).instrument(tracing::info_span!("sign_in_callback")).await;
        match &completed {
            Ok(Completion::SignedIn(outcome)) => crate::telemetry::sign_in_completed(outcome.session.achieved()),
            Ok(Completion::Stale { .. }) => {}
            Err(error) => crate::telemetry::sign_in_failed(error),
        }
        completed
    }

    async fn complete_steps(
        &self,
        params: CallbackParams,
        flow_cookie: Option<&str>,
        current: Option<SessionId>,
    ) -> Result<Completion, Error> {
        // The sign-in begins as the callback arrives: a revocation recorded while the pending
        // login is taken from the store (a round trip to Redis) is later than it, so ends it.
        let began = self.precise_now();
        let state = bounded(params.state, "state")?;
        let code = bounded(params.code, "code")?;
        let error = bounded(params.error, "error")?;
        let description = bounded(params.error_description, "error_description")?;
        let Some(state) = state else {
            // A provider that could not read the request (a refused request object, a missing
            // `state`) redirects with its error and no state. Nothing binds that to a sign-in,
            // so it is refused as any callback without state, with what it says for the log.
            return Err(match &error {
                Some(error) => CallbackError::ErrorWithoutState {
                    code: OpErrorCode::parse(error),
                    description: description.as_deref().map(|d| crate::types::loggable(d, 256)),
                },
                None => CallbackError::MissingState,
            }
            .into());
        };

        let pending: PendingLogin = self
            .store()
            .take_pending(&crate::types::State::new(state.clone()))
            .await?
            .ok_or(CallbackError::UnknownState)?;
        if !pending.state.ct_eq(&state) {
            return Err(CallbackError::UnknownState.into());
        }
        let flow_ok =
            flow_cookie.is_some_and(|c| ct_eq(sha256_b64(c.as_bytes()).as_bytes(), pending.flow_hash.as_bytes()));
        if !flow_ok {
            return Err(CallbackError::BrowserMismatch.into());
        }
        let now = crate::clock::unix(began);
        if now > pending.expires_at {
            return Err(CallbackError::Expired { by: seconds(now - pending.expires_at) }.into());
        }
        if let Some(error) = error {
            let code = OpErrorCode::parse(&error);
            if code == OpErrorCode::LoginRequired
                && let Some(old) = current
                && let Some(record) = self.load_session(&old).await?
            {
                self.end_session(&old, &record).await?;
                self.store().delete_data(&old, &record.subject).await?;
            }
            tracing::info!(error = %code, "One Login returned an error to the callback");
            let description = description.map(|d| crate::types::loggable(&d, 256));
            return Err(CallbackError::OneLogin { code, description }.into());
        }
        let code = code.ok_or(CallbackError::MissingCode)?;

        let (id_token, access_token) =
            self.exchange_code(&code, &pending).instrument(tracing::debug_span!("token_exchange")).await?;
        let claims = self.verify_id_token(&id_token, &pending).instrument(tracing::debug_span!("id_token")).await?;
        if let Some(by) = self.staleness(&claims, &pending) {
            return Ok(Completion::Stale { by, id_token: IdToken::new(id_token), pending });
        }
        let sub = claims.sub.clone().unwrap_or_default();
        let userinfo = self.userinfo(&access_token, &sub).instrument(tracing::debug_span!("userinfo")).await?;
        let return_codes: Vec<ReturnCode> = userinfo.return_code.into_iter().map(ReturnCode::from_wire).collect();

        let (identity, outcome) = if pending.vector.needs_identity() {
            match &userinfo.core_identity {
                Some(jwt) => {
                    let mut identity = self
                        .verify_core_identity(jwt, &sub, &pending)
                        .instrument(tracing::debug_span!("core_identity"))
                        .await?;
                    identity.addresses = userinfo.address.into_iter().map(Address::from_wire).collect();
                    identity.passports = userinfo.passport.into_iter().map(Passport::from_wire).collect();
                    identity.driving_permits =
                        userinfo.driving_permit.into_iter().map(DrivingPermit::from_wire).collect();
                    self.keep_asked_claims(&mut identity);
                    let level = identity.level;
                    (Some(identity), IdentityOutcome::Verified { level, return_codes: return_codes.clone() })
                }
                None => (None, IdentityOutcome::NotProven { return_codes: return_codes.clone() }),
            }
        } else {
            (None, IdentityOutcome::NotRequested)
        };

        // The session this sign-in replaces ends once the new one exists (and the
        // application's data has moved to it), so a failure on the way leaves the old one.
        let previous = match current {
            Some(id) => self.load_session(&id).await?.map(|old| (id, old)),
            None => None,
        };
        // A sign-in that did not ask for an identity (a step-up of the credential level, a
        // re-authentication) keeps the same user's verified identity, if it is recent enough.
        let reuse_max_age = i64::try_from(self.config().identity_reuse_max_age.as_secs()).unwrap_or(i64::MAX);
        let identity = identity.or_else(|| {
            previous
                .as_ref()
                .map(|(_, p)| p)
                .filter(|p| ct_eq(p.subject.as_str().as_bytes(), sub.as_bytes()) && !pending.vector.needs_identity())
                .and_then(|p| p.identity.clone())
                .filter(|i| now.saturating_sub(i.verified_at) <= reuse_max_age)
                .map(|mut i| {
                    // Kept under an older configuration, perhaps: what is asked for now.
                    self.keep_asked_claims(&mut i);
                    i
                })
        });
        let auth_level = claims.vot.as_deref().and_then(|v| v.parse::<AuthLevel>().ok()).unwrap_or(AuthLevel::Low);
        let session = SessionRecord {
            subject: Subject::new(sub),
            email: userinfo.email.map(String::into_boxed_str),
            email_verified: userinfo.email_verified.unwrap_or(false),
            phone_number: userinfo.phone_number.map(String::into_boxed_str),
            phone_number_verified: userinfo.phone_number_verified.unwrap_or(false),
            auth_level,
            identity,
            identity_not_proven: matches!(outcome, IdentityOutcome::NotProven { .. }),
            return_codes: return_codes.into_boxed_slice(),
            auth_time: claims.auth_time,
            signed_in_at: began,
            expires_at: now.saturating_add(self.config().session_ttl.as_secs() as i64),
            made_for: self.made_for().clone(),
            sid: claims.sid.map(String::into_boxed_str),
            id_token: KeptToken::new(&id_token),
            csrf_token: crate::types::random_token(24).into_boxed_str(),
        };
        let session_id = self.create_session(session.clone()).await?;
        if let Some((old_id, old)) = &previous {
            self.carry_data(old_id, old, &session_id, &session).await?;
            self.end_session(old_id, old).await?;
        }
        if self.hooks().has_sign_in_hooks() {
            let (kind, before) = crate::hooks::sign_in_kind(
                previous.as_ref().map(|(_, old)| (&old.subject, old.achieved())),
                &session.subject,
                session.achieved(),
            );
            let event = crate::hooks::SignIn { session: std::sync::Arc::new(session.clone()), previous: before, kind };
            self.hooks().signed_in(event).await;
        }
        Ok(Completion::SignedIn(Box::new(LoginOutcome {
            session_id,
            session,
            return_to: pending.return_to,
            identity: outcome,
        })))
    }

    /// Drops the identity claims the service does not ask for, whatever One Login sent.
    fn keep_asked_claims(&self, identity: &mut crate::identity::CoreIdentity) {
        let asked = |claim| self.config().identity_claims.contains(&claim);
        if !asked(IdentityClaim::Address) {
            identity.addresses = Box::default();
        }
        if !asked(IdentityClaim::Passport) {
            identity.passports = Box::default();
        }
        if !asked(IdentityClaim::DrivingPermit) {
            identity.driving_permits = Box::default();
        }
    }

    async fn exchange_code(&self, code: &str, pending: &PendingLogin) -> Result<(String, AccessToken), Error> {
        let meta = self.metadata().await?;
        let config = self.config();
        let assertion = client_assertion(config, &meta.token_endpoint, self.unix_now());
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", config.redirect_uri.as_str()),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", &assertion),
            ("code_verifier", pending.pkce_verifier.secret()),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let request = crate::fetch::request(http::Method::POST, &meta.token_endpoint)
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        let response = self.http().send(Endpoint::Token, request, body.into_bytes()).await?;
        let status = response.status();
        if status.is_client_error() && status != http::StatusCode::FORBIDDEN {
            let body: Result<TokenErrorBody, _> = read_json(Endpoint::Token, &response);
            return Err(match body {
                Ok(TokenErrorBody { error: Some(error), error_description }) => ProviderError::TokenRequestRejected {
                    error: crate::types::loggable(&error, 64),
                    description: error_description.map(|d| crate::types::loggable(&d, 256)),
                },
                _ => ProviderError::Status { endpoint: Endpoint::Token, status: status.as_u16() },
            }
            .into());
        }
        if !status.is_success() {
            return Err(ProviderError::Status { endpoint: Endpoint::Token, status: status.as_u16() }.into());
        }
        let body: TokenResponse = read_json(Endpoint::Token, &response)?;
        let invalid =
            |reason: &str| ProviderError::InvalidResponse { endpoint: Endpoint::Token, reason: reason.into() };
        if !body.token_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
            return Err(invalid("token_type is not Bearer").into());
        }
        let id_token = body.id_token.ok_or_else(|| invalid("no id_token"))?;
        let access_token = body.access_token.ok_or_else(|| invalid("no access_token"))?;
        Ok((id_token, AccessToken::new(access_token)))
    }

    async fn verify_id_token(&self, token: &str, pending: &PendingLogin) -> Result<IdTokenClaims, Error> {
        let err = Error::token(TokenKind::IdToken);
        let config = self.config();
        let alg: Algorithm = config.id_token_alg.jwt();
        let jws = jwt::header(token, alg).map_err(err)?;
        let kid = jws.header.kid.as_deref().ok_or(TokenError::MissingKeyId).map_err(err)?;
        let key = self.op_key(kid, TokenKind::IdToken).await?;
        let claims: IdTokenClaims = jwt::verify(&jws, &key).map_err(err)?;
        self.check_id_token_claims(&claims, pending).map_err(Error::token(TokenKind::IdToken))?;
        Ok(claims)
    }

    fn check_id_token_claims(&self, c: &IdTokenClaims, pending: &PendingLogin) -> Result<(), TokenError> {
        let config = self.config();
        let iss = c.iss.as_deref().ok_or(TokenError::MissingClaim("iss"))?;
        if iss != config.issuer {
            return Err(TokenError::WrongIssuer {
                expected: config.issuer.clone(),
                found: crate::types::loggable(iss, 256),
            });
        }
        let aud = c.aud.as_ref().ok_or(TokenError::MissingClaim("aud"))?;
        if !aud.is_for(config.client_id.as_str(), c.azp.as_deref()) {
            return Err(TokenError::WrongAudience { expected: config.client_id.to_string() });
        }
        if c.sub.as_deref().is_none_or(str::is_empty) {
            return Err(TokenError::MissingClaim("sub"));
        }
        let now = self.unix_now();
        let leeway = config.clock_skew.as_secs() as i64;
        jwt::check_times(now, leeway, c.exp, Some(c.iat.ok_or(TokenError::MissingClaim("iat"))?), c.nbf)?;
        let nonce = c.nonce.as_deref().ok_or(TokenError::MissingClaim("nonce"))?;
        if !pending.nonce.ct_eq(nonce) {
            return Err(TokenError::NonceMismatch);
        }
        let vot = c.vot.as_deref().ok_or(TokenError::MissingClaim("vot"))?;
        let required = pending.vector.auth();
        let too_low =
            || TokenError::LevelTooLow { required: required.to_string(), found: crate::types::loggable(vot, 32) };
        let achieved: AuthLevel = vot.parse().map_err(|_| too_low())?;
        if achieved < required {
            return Err(too_low());
        }
        if c.vtm.as_deref().is_none_or(str::is_empty) {
            return Err(TokenError::MissingClaim("vtm"));
        }
        if pending.max_age.is_some() && c.auth_time.is_none() {
            return Err(TokenError::MissingClaim("auth_time"));
        }
        Ok(())
    }

    /// How much older than the pending login's `max_age` the sign-in is, if it is.
    fn staleness(&self, c: &IdTokenClaims, pending: &PendingLogin) -> Option<std::time::Duration> {
        let (max_age, auth_time) = (pending.max_age?, c.auth_time?);
        let leeway = self.config().clock_skew.as_secs() as i64;
        // Saturating throughout: `max_age` may come from the sign-in route's query, and
        // `auth_time` from the token.
        let allowed = i64::try_from(max_age).unwrap_or(i64::MAX).saturating_add(leeway);
        let age = self.unix_now().saturating_sub(auth_time);
        (age > allowed).then(|| seconds(age.saturating_sub(allowed)))
    }

    async fn userinfo(&self, access_token: &AccessToken, sub: &str) -> Result<Userinfo, Error> {
        let meta = self.metadata().await?;
        let mut bearer = http::HeaderValue::try_from(format!("Bearer {}", access_token.secret())).map_err(|_| {
            ProviderError::InvalidResponse {
                endpoint: Endpoint::Userinfo,
                reason: "the access token is not a header value".into(),
            }
        })?;
        bearer.set_sensitive(true);
        let request = crate::fetch::request(http::Method::GET, &meta.userinfo_endpoint)
            .header(http::header::AUTHORIZATION, bearer);
        let response = self.http().send(Endpoint::Userinfo, request, Vec::new()).await?;
        if !response.status().is_success() {
            return Err(
                ProviderError::Status { endpoint: Endpoint::Userinfo, status: response.status().as_u16() }.into()
            );
        }
        let info: Userinfo = read_json(Endpoint::Userinfo, &response)?;
        let found =
            info.sub.as_deref().ok_or(TokenError::MissingClaim("sub")).map_err(Error::token(TokenKind::Userinfo))?;
        if !ct_eq(found.as_bytes(), sub.as_bytes()) {
            return Err(Error::token(TokenKind::Userinfo)(TokenError::SubjectMismatch));
        }
        Ok(info)
    }

    async fn verify_core_identity(
        &self,
        token: &str,
        sub: &str,
        pending: &PendingLogin,
    ) -> Result<crate::identity::CoreIdentity, Error> {
        let err = Error::token(TokenKind::CoreIdentity);
        let jws = jwt::header(token, Algorithm::ES256).map_err(err)?;
        let kid = jws.header.kid.as_deref().ok_or(TokenError::MissingKeyId).map_err(err)?;
        let key = self.did_key(kid).await?;
        let config = self.config();
        let ex = Expectations {
            identity_issuer: &config.identity_issuer,
            client_id: config.client_id.as_str(),
            subject: sub,
            required: pending.vector.identity_level(),
            now: self.unix_now(),
            leeway: config.clock_skew.as_secs() as i64,
        };
        core_jwt::verify(&jws, &key, &ex).map_err(Error::token(TokenKind::CoreIdentity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_params_from_a_query() {
        let p = CallbackParams::from_query("state=s%2B1&code=c&code=second&other=x&error_description=a+b");
        assert_eq!(p.state.as_deref(), Some("s+1"));
        assert_eq!(p.code.as_deref(), Some("c"), "the first of a repeated parameter counts");
        assert_eq!(p.error, None);
        assert_eq!(p.error_description.as_deref(), Some("a b"));
        assert!(CallbackParams::from_query("").state.is_none());
    }

    #[test]
    fn debug_shows_no_code_or_state() {
        let printed = format!("{:?}", CallbackParams::from_query("code=secret-code&state=secret-state&error=x"));
        assert!(!printed.contains("secret"), "{printed}");
        assert!(
            printed.contains(r#"code: Some("[redacted]")"#) && printed.contains(r#"error: Some("x")"#),
            "{printed}"
        );
    }
}
