//! Sign-out: the end-session URL (RP-initiated) and back-channel `logout_token` checks.

use jsonwebtoken::Algorithm;
use serde::Deserialize;
use url::Url;

use super::OneLogin;
use crate::error::{Endpoint, Error, ProviderError, TokenError, TokenKind};
use crate::jwt::{self, Audience};
use crate::session::SessionId;
use crate::types::{IdToken, Subject};

const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How long a `jti` is remembered at least (One Login's docs: 3 minutes).
const MIN_JTI_MEMORY: i64 = 180;

/// A verified `logout_token` whose `jti` is not yet recorded.
struct CheckedLogout {
    subject: Subject,
    replay: crate::store::ReplayKey,
    remember_until: i64,
}

#[derive(Deserialize)]
struct LogoutClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    iat: Option<i64>,
    exp: Option<i64>,
    jti: Option<String>,
    events: Option<serde_json::Value>,
    nonce: Option<serde_json::Value>,
}

impl OneLogin {
    /// One Login's end-session URL with `id_token_hint`, `post_logout_redirect_uri` (when
    /// configured and a hint is given, as One Login requires) and `state`.
    pub async fn end_session_url(&self, id_token: Option<&IdToken>, state: Option<&str>) -> Result<Url, Error> {
        let meta = self.metadata().await?;
        let endpoint = meta.end_session_endpoint.as_deref().ok_or_else(|| ProviderError::InvalidResponse {
            endpoint: Endpoint::Discovery,
            reason: "no end_session_endpoint".into(),
        })?;
        let mut url = Url::parse(endpoint).map_err(|_| ProviderError::InvalidResponse {
            endpoint: Endpoint::Discovery,
            reason: "end_session_endpoint is not a URL".into(),
        })?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(hint) = id_token {
                q.append_pair("id_token_hint", hint.secret());
                if let Some(post) = &self.config().post_logout_redirect_uri {
                    q.append_pair("post_logout_redirect_uri", post.as_str());
                }
            }
            if let Some(state) = state {
                q.append_pair("state", state);
            }
        }
        Ok(url)
    }

    /// Ends the local session first, then gives the end-session URL to redirect to, as One
    /// Login's docs order it.
    pub async fn sign_out(&self, session: Option<SessionId>) -> Result<Url, Error> {
        let mut hint = None;
        if let Some(id) = session
            && let Some(record) = self.load_session(&id).await?
        {
            self.end_session(&id, &record).await?;
            self.store().delete_data(&id, &record.subject).await?;
            hint = Some(record.id_token());
            let signed_out = crate::hooks::SignOut { subject: record.subject.clone(), achieved: record.achieved() };
            self.hooks().signed_out(signed_out).await;
        }
        crate::telemetry::signed_out();
        self.end_session_url(hint.as_ref(), None).await
    }

    /// Ends every session of the signed-in user, on every device and every instance sharing
    /// the store (the same revocation as back-channel logout), then gives the end-session URL
    /// to redirect to, so that One Login signs them out too. Without a session it ends
    /// nothing, and gives the end-session URL alone.
    pub async fn sign_out_everywhere(&self, session: Option<SessionId>) -> Result<Url, Error> {
        let mut hint = None;
        if let Some(id) = session
            && let Some(record) = self.load_session(&id).await?
        {
            let ended = self.revoke_subject(&record.subject).await?;
            self.store().delete_data(&id, &record.subject).await?;
            hint = Some(record.id_token());
            // This browser signed out, as on the sign-out route; the other devices' sessions
            // ended by revocation.
            let signed_out = crate::hooks::SignOut { subject: record.subject.clone(), achieved: record.achieved() };
            self.hooks().signed_out(signed_out).await;
            let cause = crate::hooks::RevocationCause::SignOutEverywhere;
            self.hooks().revoked(crate::hooks::Revocation { subject: record.subject.clone(), cause, sessions: ended });
        }
        crate::telemetry::signed_out();
        self.end_session_url(hint.as_ref(), None).await
    }

    async fn check_logout_token(&self, token: &str) -> Result<CheckedLogout, Error> {
        let err = Error::token(TokenKind::LogoutToken);
        let jws = jwt::header(token, Algorithm::ES256).map_err(err)?;
        if let Some(typ) = jws.header.typ.as_deref()
            && !typ.eq_ignore_ascii_case("logout+jwt")
            && !typ.eq_ignore_ascii_case("application/logout+jwt")
        {
            return Err(err(TokenError::WrongType(crate::types::loggable(typ, 32))));
        }
        let kid = jws.header.kid.as_deref().ok_or(TokenError::MissingKeyId).map_err(err)?;
        let key = self.op_key(kid, TokenKind::LogoutToken).await?;
        let claims: LogoutClaims = jwt::verify(&jws, &key).map_err(err)?;
        let config = self.config();
        let iss = claims.iss.ok_or(TokenError::MissingClaim("iss")).map_err(err)?;
        if iss != config.issuer {
            return Err(err(TokenError::WrongIssuer {
                expected: config.issuer.clone(),
                found: crate::types::loggable(&iss, 256),
            }));
        }
        let aud = claims.aud.ok_or(TokenError::MissingClaim("aud")).map_err(err)?;
        if !aud.is_for(config.client_id.as_str(), None) {
            return Err(err(TokenError::WrongAudience { expected: config.client_id.to_string() }));
        }
        let now = self.unix_now();
        let leeway = config.clock_skew.as_secs() as i64;
        let iat = claims.iat.ok_or(TokenError::MissingClaim("iat")).map_err(err)?;
        jwt::check_times(now, leeway, claims.exp, Some(iat), None).map_err(err)?;
        let sub = claims.sub.filter(|s| !s.is_empty()).ok_or(TokenError::MissingClaim("sub")).map_err(err)?;
        let events_ok = claims.events.as_ref().and_then(|e| e.as_object()).is_some_and(|events| {
            events.len() == 1
                && events.get(BACKCHANNEL_EVENT).and_then(|v| v.as_object()).is_some_and(serde_json::Map::is_empty)
        });
        if !events_ok {
            return Err(err(TokenError::BadEvents));
        }
        if claims.nonce.is_some() {
            return Err(err(TokenError::NonceForbidden));
        }
        let jti = claims
            .jti
            .filter(|j| !j.is_empty() && j.len() <= 256)
            .ok_or(TokenError::MissingClaim("jti"))
            .map_err(err)?;
        let remember_until = claims.exp.unwrap_or(now).max(now).saturating_add(leeway + MIN_JTI_MEMORY);
        let subject = Subject::new(sub);
        // Kept beside the subject's state, by this path and by the back-channel route alike.
        let replay = crate::store::ReplayKey::logout_token(&iss, &jti).for_subject(&subject);
        Ok(CheckedLogout { subject, replay, remember_until })
    }

    /// Verifies a back-channel `logout_token` and returns its `sub`. Checks: `typ` (absent or
    /// `logout+jwt`), ES256 signature with an OP JWKS key, `iss`, `aud`, `iat`/`exp` with
    /// leeway, `sub` present, `events` exactly the back-channel event, no `nonce`, and a `jti`
    /// not seen before (remembered for at least 3 minutes, on every instance sharing the store).
    pub async fn verify_logout_token(&self, token: &str) -> Result<Subject, Error> {
        let checked = self.check_logout_token(token).await?;
        let remember_until = crate::clock::from_unix(checked.remember_until);
        if !self.store().insert_if_absent(&checked.replay, remember_until, self.now()).await? {
            return Err(Error::token(TokenKind::LogoutToken)(TokenError::Replayed));
        }
        Ok(checked.subject)
    }

    /// Handles a back-channel logout: verifies the token and ends every session of its `sub`.
    /// Remembering the `jti` and the revocation are one atomic step, so a delivery whose
    /// revocation failed (answer 5xx) is not refused as a replay when One Login retries it.
    /// Answer `200 OK` on `Ok` (One Login treats any other status as a failure) and 400 on
    /// `Err`.
    pub async fn backchannel_logout(&self, logout_token: &str) -> Result<usize, Error> {
        let ended = self.backchannel_logout_steps(logout_token).await;
        crate::telemetry::backchannel_logout(match &ended {
            Ok(_) => "ended",
            Err(Error::Token { .. }) => "refused",
            Err(_) => "failed",
        });
        ended
    }

    async fn backchannel_logout_steps(&self, logout_token: &str) -> Result<usize, Error> {
        let checked = self.check_logout_token(logout_token).await?;
        let ended = self
            .revoke(&checked.subject, Some((&checked.replay, checked.remember_until)))
            .await?
            .ok_or_else(|| Error::token(TokenKind::LogoutToken)(TokenError::Replayed))?;
        let cause = crate::hooks::RevocationCause::BackChannelLogout;
        self.hooks().revoked(crate::hooks::Revocation { subject: checked.subject, cause, sessions: ended });
        Ok(ended)
    }
}
