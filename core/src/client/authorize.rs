//! Starting a login: the pending-login record and the `/authorize` URL, as a signed request
//! object (JAR) by default or as plain query parameters.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tracing::Instrument;
use url::Url;

use super::OneLogin;
use super::assertion::{LIFETIME, sign};
use crate::config::RequestObjectForm;
use crate::error::{AuthorizeError, Error};
use crate::levels::{Requirement, VectorOfTrust};
use crate::return_path::ReturnPath;
use crate::types::{IdToken, Nonce, PkceVerifier, State, random_token, sha256_b64};
use crate::web::Locale;

/// One Login's firewall refuses an `/authorize` query longer than this.
pub(super) const MAX_AUTHORIZE_QUERY: usize = 4096;

/// What to start a login for: [`LoginRequest::new`], then set the optional fields. `Debug`
/// shows neither the flow cookie nor the login hint (an email address).
#[derive(Clone)]
#[non_exhaustive]
pub struct LoginRequest {
    /// The levels to ask for.
    pub requirement: Requirement,
    /// Where to land afterwards (local paths only).
    pub return_to: ReturnPath,
    /// The browser's existing flow cookie, if it has one, so parallel tabs share it.
    pub flow_cookie: Option<String>,
    /// Force re-authentication with this ID token as `id_token_hint` (`prompt=login`).
    pub reauthenticate: Option<IdToken>,
    /// Pre-fill the email address (`login_hint`, at most 256 characters).
    pub login_hint: Option<String>,
    /// The language for One Login's pages (`ui_locales`), in place of the configured
    /// [`ui_locales`](crate::ConfigBuilder::ui_locales): the user's choice on this service
    /// (the guards fill it from [`RequestInfo::lang`](crate::web::RequestInfo::lang)).
    pub ui_locale: Option<Locale>,
}

impl LoginRequest {
    /// A login for `requirement`, returning to `return_to`.
    pub fn new(requirement: Requirement, return_to: ReturnPath) -> Self {
        Self { requirement, return_to, flow_cookie: None, reauthenticate: None, login_hint: None, ui_locale: None }
    }
}

/// Where to send the browser, and the flow cookie to set first. `Debug` shows the URL without
/// its query (which carries the `state`, the `nonce` and the request object) and no cookie.
#[derive(Clone)]
#[non_exhaustive]
pub struct LoginRedirect {
    /// The One Login `/authorize` URL.
    pub url: Url,
    /// The flow cookie value binding this login to this browser. Set it (HttpOnly) before
    /// redirecting; the callback needs it back.
    pub flow_cookie: String,
}

/// `[redacted]` for a value that is there.
#[allow(clippy::ref_option, reason = "called on struct fields, which are `Option`s")]
pub(crate) fn redacted<T>(value: &Option<T>) -> Option<&'static str> {
    value.as_ref().map(|_| "[redacted]")
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("requirement", &self.requirement)
            .field("return_to", &self.return_to)
            .field("flow_cookie", &redacted(&self.flow_cookie))
            .field("reauthenticate", &self.reauthenticate)
            .field("login_hint", &redacted(&self.login_hint))
            .field("ui_locale", &self.ui_locale)
            .finish()
    }
}

impl std::fmt::Debug for LoginRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRedirect")
            .field("url", &&self.url[..url::Position::AfterPath])
            .field("flow_cookie", &"[redacted]")
            .finish()
    }
}

/// Who a login is started for, which decides whether the sign-in start limit applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// A request without a session: anyone can cause one, so it counts against the limit.
    Anonymous,
    /// A signed-in user's step-up or re-authentication.
    SignedIn,
    /// The retry of a sign-in whose ID token verified but was too old for `max_age`; its
    /// callback does not retry again.
    FreshnessRetry,
}

/// A started login, kept server-side under a digest of its `state` until the callback takes
/// it, once. Opaque: stores keep it (it serialises with serde) and core reads it. `Debug`
/// shows nothing of it.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub(crate) state: State,
    pub(crate) nonce: Nonce,
    pub(crate) pkce_verifier: PkceVerifier,
    pub(crate) vector: VectorOfTrust,
    pub(crate) max_age: Option<u64>,
    pub(crate) return_to: ReturnPath,
    /// SHA-256 of the flow cookie.
    pub(crate) flow_hash: String,
    pub(crate) expires_at: i64,
    /// Started again because the first sign-in was too old for `max_age`: not retried twice.
    #[serde(default)]
    pub(crate) freshness_retry: bool,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingLogin([redacted])")
    }
}

impl OneLogin {
    /// Starts a login: stores the pending record and returns the `/authorize` URL.
    ///
    /// A requirement with a `max_age` sends it to One Login, and needs signed request objects,
    /// like `reauthenticate` and `login_hint`: One Login honours `prompt=login` only inside
    /// one, and a sign-in that comes back too old is retried once with it.
    ///
    /// It counts against [`max_sign_in_starts_per_second`](crate::ConfigBuilder::max_sign_in_starts_per_second),
    /// as the guards' sign-ins for requests without a session do.
    pub async fn start_login(&self, request: LoginRequest) -> Result<LoginRedirect, Error> {
        self.start(request, Start::Anonymous).await
    }

    /// [`start_login`](Self::start_login) for a login of this kind.
    pub(crate) async fn start(&self, request: LoginRequest, kind: Start) -> Result<LoginRedirect, Error> {
        let span = tracing::info_span!("sign_in_start", requirement = %request.requirement);
        let level = request.requirement.vector();
        let started = self.start_steps(request, kind).instrument(span).await;
        if started.is_ok() {
            let kind = match kind {
                Start::Anonymous => "sign_in",
                Start::SignedIn => "step_up",
                Start::FreshnessRetry => "freshness_retry",
            };
            crate::telemetry::sign_in_started(level, kind);
        }
        started
    }

    async fn start_steps(&self, request: LoginRequest, kind: Start) -> Result<LoginRedirect, Error> {
        let config = self.config();
        if let Some(hint) = &request.login_hint
            && hint.chars().count() > 256
        {
            return Err(AuthorizeError::LoginHintTooLong { length: hint.chars().count() }.into());
        }
        if !config.request_objects
            && (request.reauthenticate.is_some()
                || request.login_hint.is_some()
                || request.requirement.max_age().is_some())
        {
            return Err(AuthorizeError::NeedsRequestObject.into());
        }
        let now = self.unix_now();
        // Before any signing, storing or fetching: these are what a flood would cost. Only
        // starts without a session count: anyone can cause those.
        if kind == Start::Anonymous {
            self.inner.starts.admit(now)?;
        }
        let meta = self.metadata().await?;
        let flow_cookie = request
            .flow_cookie
            .filter(|c| {
                (16..=64).contains(&c.len()) && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
            .unwrap_or_else(|| random_token(16));
        let pending = PendingLogin {
            state: State::generate(),
            nonce: Nonce::generate(),
            pkce_verifier: PkceVerifier::generate(),
            vector: request.requirement.vector(),
            max_age: request.requirement.max_age().map(|d| d.as_secs()),
            return_to: request.return_to,
            flow_hash: sha256_b64(flow_cookie.as_bytes()),
            expires_at: now + config.pending_login_ttl.as_secs() as i64,
            freshness_retry: kind == Start::FreshnessRetry,
        };

        let mut params = Map::new();
        let mut put = |k: &str, v: Value| {
            params.insert(k.to_owned(), v);
        };
        put("response_type", json!("code"));
        put("scope", json!(config.scopes.join(" ")));
        put("client_id", json!(config.client_id.as_str()));
        put("redirect_uri", json!(config.redirect_uri.as_str()));
        put("state", json!(pending.state.secret()));
        put("nonce", json!(pending.nonce.secret()));
        put("vtr", json!([pending.vector.to_string()]));
        if pending.vector.needs_identity() {
            let claims: Map<String, Value> = config.identity_claims.iter().map(|c| (c.uri(), Value::Null)).collect();
            put("claims", json!({ "userinfo": claims }));
        }
        if let Some(l) = request.ui_locale {
            put("ui_locales", json!(l.as_str()));
        } else if let Some(l) = &config.ui_locales {
            put("ui_locales", json!(l));
        }
        put("code_challenge", json!(pending.pkce_verifier.challenge()));
        put("code_challenge_method", json!("S256"));
        if let Some(max_age) = pending.max_age {
            put("max_age", json!(max_age));
        }
        if let Some(hint) = &request.reauthenticate {
            put("prompt", json!("login"));
            put("id_token_hint", json!(hint.secret()));
        }
        if let Some(hint) = &request.login_hint {
            put("login_hint", json!(hint));
        }

        let mut url =
            Url::parse(&meta.authorization_endpoint).map_err(|_| crate::error::ProviderError::InvalidResponse {
                endpoint: crate::error::Endpoint::Discovery,
                reason: "authorization_endpoint is not a URL".into(),
            })?;
        {
            let mut q = url.query_pairs_mut();
            if config.request_objects {
                q.append_pair("response_type", "code");
                q.append_pair("scope", &config.scopes.join(" "));
                q.append_pair("client_id", config.client_id.as_str());
                // The members whose form differs (see `RequestObjectForm`): each is JSON text
                // either way, as its query parameter would be.
                let as_text = |params: &mut Map<String, Value>, key: &str| {
                    if let Some(value) = params.get_mut(key) {
                        *value = Value::String(value.to_string());
                    }
                };
                let audience = match config.request_object_form {
                    // One Login's simulator answers 500 to a `claims` object.
                    RequestObjectForm::OneLogin => {
                        as_text(&mut params, "claims");
                        meta.authorization_endpoint.as_str()
                    }
                    // A standard provider reads an array member as a repeated parameter.
                    RequestObjectForm::Standard => {
                        as_text(&mut params, "vtr");
                        config.issuer.as_str()
                    }
                };
                params.insert("iss".into(), json!(config.client_id.as_str()));
                params.insert("aud".into(), json!(audience));
                params.insert("iat".into(), json!(now));
                params.insert("nbf".into(), json!(now));
                params.insert("exp".into(), json!(now + LIFETIME));
                params.insert("jti".into(), json!(random_token(16)));
                q.append_pair("request", &sign(config, &params, Some("JWT")));
            } else {
                for (k, v) in &params {
                    match v {
                        Value::String(s) => q.append_pair(k, s),
                        other => q.append_pair(k, &other.to_string()),
                    };
                }
            }
        }
        let length = url.query().map_or(0, str::len);
        if length > MAX_AUTHORIZE_QUERY {
            return Err(AuthorizeError::QueryTooLong { length }.into());
        }
        // Kept a minute past its expiry so that a late callback is reported as expired.
        let (keep_until, now) = (crate::clock::from_unix(pending.expires_at + 60), crate::clock::from_unix(now));
        self.store().put_pending(&pending, keep_until, now).await?;
        Ok(LoginRedirect { url, flow_cookie })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_cookie_hint_or_query() {
        let mut request = LoginRequest::new(Requirement::MEDIUM, ReturnPath::root());
        request.flow_cookie = Some("secret-flow".into());
        request.login_hint = Some("secret@example.com".into());
        request.reauthenticate = Some(IdToken::new("secret.id.token"));
        let redirect = LoginRedirect {
            url: Url::parse("https://oidc.example/authorize?state=secret-state&nonce=secret-nonce").unwrap(),
            flow_cookie: "secret-flow".into(),
        };
        for printed in [format!("{request:?}"), format!("{redirect:?}")] {
            assert!(!printed.contains("secret"), "{printed}");
        }
        assert!(format!("{redirect:?}").contains("https://oidc.example/authorize"));
    }
}
