//! The checks [`ConfigBuilder::build`](super::ConfigBuilder::build) runs, one function per
//! setting.

use std::time::Duration;

use url::Url;

use super::{Config, ConfigError, Environment, IdentityClaim, MAX_CLOCK_SKEW};
use crate::store::StoreSettings;
use crate::types::ClientId;

/// What the checks need beside the value: the environment's defaults.
pub(super) struct Checks {
    /// The environment's identity issuer and DID document URL, used unless overridden.
    pub(super) identity_issuer: String,
    pub(super) did_url: String,
}

/// An `https` URL, or plain `http` on loopback.
pub(super) fn url(origin: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::invalid(origin, format!("`{value}` is not a URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => {
            Err(ConfigError::invalid(origin, "plain http is allowed only on loopback (127.0.0.1, localhost, [::1])"))
        }
        other => Err(ConfigError::invalid(origin, format!("scheme `{other}` is not https"))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The environment's issuer (set with [`Config::builder`]).
pub(super) fn issuer(issuer: &str, environment: &Environment) -> Result<(), ConfigError> {
    let var = match environment {
        Environment::Custom { .. } => "ONE_LOGIN_ISSUER",
        _ => "ONE_LOGIN_ENVIRONMENT",
    };
    url(var, issuer).map(drop)
}

pub(super) fn client_id(id: Option<String>, _: &Checks) -> Result<ClientId, ConfigError> {
    match id.filter(|c| !c.trim().is_empty()) {
        Some(id) => Ok(ClientId::new(id)),
        None => {
            Err(ConfigError::Missing { var: "ONE_LOGIN_CLIENT_ID", hint: "the client id from One Login's admin tool" })
        }
    }
}

pub(super) fn redirect_uri(uri: Option<String>, _: &Checks) -> Result<Url, ConfigError> {
    let origin = "ONE_LOGIN_REDIRECT_URI";
    let uri = uri.ok_or(ConfigError::Missing {
        var: origin,
        hint: "the registered callback URL, such as https://service.example/auth/callback",
    })?;
    let uri = url(origin, &uri)?;
    if uri.query().is_some() || uri.fragment().is_some() {
        return Err(ConfigError::invalid(origin, "must have no query or fragment"));
    }
    Ok(uri)
}

pub(super) fn post_logout_redirect_uri(uri: Option<String>, _: &Checks) -> Result<Option<Url>, ConfigError> {
    uri.map(|u| url("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI", &u)).transpose()
}

pub(super) fn scopes(scopes: Vec<String>, _: &Checks) -> Result<Vec<String>, ConfigError> {
    let origin = "ONE_LOGIN_SCOPES";
    if !scopes.iter().any(|s| s == "openid") {
        return Err(ConfigError::invalid(origin, "must include `openid`"));
    }
    if let Some(bad) = scopes.iter().find(|s| s.is_empty() || s.contains(char::is_whitespace)) {
        return Err(ConfigError::invalid(origin, format!("scope `{bad}` is not a single token")));
    }
    Ok(scopes)
}

pub(super) fn ui_locales(locales: Option<String>, _: &Checks) -> Result<Option<String>, ConfigError> {
    if let Some(l) = &locales
        && l.split(' ').any(|t| t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(ConfigError::invalid("ONE_LOGIN_UI_LOCALES", "expected language tags such as `en` or `cy`"));
    }
    Ok(locales)
}

pub(super) fn identity_issuer(issuer: Option<String>, cx: &Checks) -> Result<String, ConfigError> {
    let issuer = issuer.unwrap_or_else(|| cx.identity_issuer.clone());
    url("ONE_LOGIN_IDENTITY_ISSUER", &issuer)?;
    Ok(issuer)
}

pub(super) fn did_url(did: Option<String>, cx: &Checks) -> Result<Url, ConfigError> {
    url("ONE_LOGIN_DID_URL", did.as_deref().unwrap_or(&cx.did_url))
}

pub(super) fn clock_skew(skew: Duration, _: &Checks) -> Result<Duration, ConfigError> {
    if skew > MAX_CLOCK_SKEW {
        return Err(ConfigError::invalid(
            "ONE_LOGIN_CLOCK_SKEW_SECONDS",
            format!("{}s is over the maximum of 60s (ID tokens live 120s)", skew.as_secs()),
        ));
    }
    Ok(skew)
}

/// `coreIdentityJWT` first, then the others once each.
pub(super) fn identity_claims(claims: Vec<IdentityClaim>, _: &Checks) -> Result<Vec<IdentityClaim>, ConfigError> {
    Ok(claims.into_iter().fold(vec![IdentityClaim::CoreIdentity], |mut all, c| {
        if !all.contains(&c) {
            all.push(c);
        }
        all
    }))
}

pub(super) fn user_agent(ua: String, _: &Checks) -> Result<String, ConfigError> {
    if ua.trim().is_empty() || !ua.chars().all(|c| (' '..='~').contains(&c)) {
        return Err(ConfigError::invalid("ONE_LOGIN_USER_AGENT", "must be non-empty printable ASCII"));
    }
    Ok(ua)
}

pub(super) fn session_ttl(ttl: Duration, _: &Checks) -> Result<Duration, ConfigError> {
    at_least_a_second(ttl, "ONE_LOGIN_SESSION_LIFETIME")
}

pub(super) fn session_idle_timeout(timeout: Duration, _: &Checks) -> Result<Duration, ConfigError> {
    at_least_a_second(timeout, "ONE_LOGIN_SESSION_IDLE_TIMEOUT")
}

fn at_least_a_second(d: Duration, origin: &'static str) -> Result<Duration, ConfigError> {
    if d < Duration::from_secs(1) {
        return Err(ConfigError::invalid(origin, "must be at least one second"));
    }
    Ok(d)
}

/// Redis settings name their own fields (`RedisSettings::prefix`); read from the environment,
/// they were checked, naming the variables, as they were read.
pub(super) fn store(store: StoreSettings, _: &Checks) -> Result<StoreSettings, ConfigError> {
    if let StoreSettings::Redis(redis) = &store {
        redis.check()?;
    }
    Ok(store)
}

/// The checks that involve more than one setting.
pub(super) fn together(config: &Config, _: &Checks) -> Result<(), ConfigError> {
    if config.key_cache_floor > config.key_cache_ceiling {
        return Err(ConfigError::invalid("key_cache_bounds", "the floor is above the ceiling"));
    }
    let routes = &config.routes;
    for (method, path) in [
        ("login_path", Some(&routes.login)),
        ("logout_path", Some(&routes.logout)),
        ("backchannel_logout_path", Some(&routes.backchannel_logout)),
        ("publish_jwks_at", routes.jwks.as_ref()),
    ] {
        if let Some(p) = path
            && (!p.starts_with('/') || p.contains(['?', '#']) || p == config.redirect_uri.path())
        {
            return Err(ConfigError::invalid(
                method,
                format!("`{p}` must be a plain absolute path, distinct from the callback"),
            ));
        }
    }
    Ok(())
}
