//! The checks [`ConfigBuilder::build`](super::ConfigBuilder::build) runs, one function per
//! setting. Each names the builder method that sets its value; [`Checks::origin`] turns that
//! into the environment variable read when [`Config::from_env`] filled the builder.

use std::time::Duration;

use url::Url;

use super::{Config, ConfigError, ConfigSource, Environment, IdentityClaim, MAX_CLOCK_SKEW, RequestObjectForm};
use crate::store::StoreSettings;
use crate::types::ClientId;

/// What the checks need beside the value: where values came from, and the environment's
/// defaults.
pub(super) struct Checks {
    /// Whether [`Config::from_env`] filled the builder.
    pub(super) from_env: bool,
    pub(super) environment: Environment,
    /// The environment's identity issuer and DID document URL, used unless overridden.
    pub(super) identity_issuer: String,
    pub(super) did_url: String,
    /// The signing key's derived secret (see `SigningKey`).
    pub(super) derived_secret: [u8; 32],
}

impl Checks {
    /// Where the value set by `method` (such as `ConfigBuilder::redirect_uri`) came from.
    pub(super) fn origin(&self, method: &'static str) -> ConfigSource {
        match self.from_env.then(|| super::env::variable_for(method, &self.environment)).flatten() {
            Some(var) => ConfigSource::Env(var),
            None => ConfigSource::Builder(method),
        }
    }
}

/// An `https` URL, or plain `http` on loopback, with no credentials (`user:password@`) and no
/// fragment: the URLs set here name themselves in logs and errors, so none may carry a secret.
pub(crate) fn url(origin: ConfigSource, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::invalid_at(origin, format!("not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::invalid_at(origin, "a URL here carries no user name or password (`user:pass@`)"));
    }
    if url.fragment().is_some() {
        return Err(ConfigError::invalid_at(origin, "a URL here has no fragment (`#...`)"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => {
            Err(ConfigError::invalid_at(origin, "plain http is allowed only on loopback (127.0.0.1, localhost, [::1])"))
        }
        other => Err(ConfigError::invalid_at(origin, format!("scheme `{other}` is not https"))),
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
/// OpenID Connect Discovery 1.0, section 3: an issuer has no query and no fragment.
pub(super) fn issuer(issuer: &str, cx: &Checks) -> Result<(), ConfigError> {
    let origin = cx.origin("Config::builder");
    let parsed = url(origin, issuer)?;
    if parsed.query().is_some() {
        return Err(ConfigError::invalid_at(origin, "an issuer has no query (`?...`)"));
    }
    // The issuer is compared as a string with the one discovery names: one the URL parser
    // reads as another (upper case, a backslash, a tab) could never match it.
    let rewritten = issuer.chars().any(|c| c == '\\' || c.is_ascii_whitespace() || c.is_ascii_control())
        || !issuer.starts_with(&format!("{}://", parsed.scheme()))
        || parsed.host_str().is_some_and(|host| !issuer.contains(host));
    if rewritten {
        return Err(ConfigError::invalid_at(origin, format!("write the issuer in its usual form, such as `{parsed}`")));
    }
    Ok(())
}

pub(super) fn client_id(id: Option<String>, cx: &Checks) -> Result<ClientId, ConfigError> {
    match id.filter(|c| !c.trim().is_empty()) {
        Some(id) => Ok(ClientId::new(id)),
        None => Err(ConfigError::Missing {
            origin: cx.origin("ConfigBuilder::client_id"),
            hint: "the client id from One Login's admin tool",
        }),
    }
}

pub(super) fn redirect_uri(uri: Option<String>, cx: &Checks) -> Result<Url, ConfigError> {
    let origin = cx.origin("ConfigBuilder::redirect_uri");
    let uri = uri.ok_or(ConfigError::Missing {
        origin,
        hint: "the registered callback URL, such as https://service.example/auth/callback",
    })?;
    let uri = url(origin, &uri)?;
    if uri.query().is_some() || uri.fragment().is_some() {
        return Err(ConfigError::invalid_at(origin, "must have no query or fragment"));
    }
    Ok(uri)
}

pub(super) fn post_logout_redirect_uri(uri: Option<String>, cx: &Checks) -> Result<Option<Url>, ConfigError> {
    uri.map(|u| url(cx.origin("ConfigBuilder::post_logout_redirect_uri"), &u)).transpose()
}

/// The account home: the one given, else the environment's (none for a custom issuer).
pub(super) fn account_home_url(url_text: Option<String>, cx: &Checks) -> Result<Option<Url>, ConfigError> {
    let fallback = match cx.environment {
        Environment::Integration => Some("https://home.integration.account.gov.uk/"),
        Environment::Production => Some("https://home.account.gov.uk/"),
        Environment::Custom { .. } => None,
    };
    url_text
        .or_else(|| fallback.map(str::to_owned))
        .map(|u| url(cx.origin("ConfigBuilder::account_home_url"), &u))
        .transpose()
}

/// The most keys published beside the signing key.
const MAX_PUBLISHED_KEYS: usize = 10;

/// The further public keys to publish: each JWK or JWKS text read, every key an RSA public
/// key of 2048 bits or more with an odd exponent of at least 65537 and a `kid`, no private
/// member, and not the stand-in's published key (but for a loopback issuer). Each is
/// published as `{kty, n, e, kid, use: "sig", alg}` alone, whatever else it carried.
pub(super) fn published_keys(texts: Vec<String>, cx: &Checks) -> Result<Vec<serde_json::Value>, ConfigError> {
    use base64::Engine as _;
    let origin = cx.origin("ConfigBuilder::publish_keys");
    let refuse = |why: &str| ConfigError::invalid_at(origin, why.to_owned());
    let loopback = match &cx.environment {
        Environment::Custom { issuer } => Url::parse(issuer).is_ok_and(|u| is_loopback(&u)),
        _ => false,
    };
    let mut keys = Vec::new();
    for text in texts {
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| ConfigError::invalid_at(origin, format!("not JSON ({})", crate::error::JsonFault::of(&e))))?;
        let listed = match json.get("keys") {
            Some(serde_json::Value::Array(list)) => list.clone(),
            Some(_) => return Err(refuse("`keys` is not a list")),
            None => vec![json],
        };
        for key in listed {
            let field = |name: &str| key.get(name).and_then(serde_json::Value::as_str);
            if ["d", "p", "q", "dp", "dq", "qi", "oth", "k"].iter().any(|m| key.get(m).is_some()) {
                return Err(refuse(
                    "a key to publish holds private members: give its public JWK (govuk-one-login jwks prints it)",
                ));
            }
            let decode =
                |v: Option<&str>| v.and_then(|v| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(v).ok());
            let (Some(n), Some(e)) = (decode(field("n")), decode(field("e"))) else {
                return Err(refuse("a key to publish must be an RSA public JWK (kty RSA, n and e)"));
            };
            let n_bytes = n.iter().skip_while(|b| **b == 0).count();
            let e_value = e
                .iter()
                .skip_while(|b| **b == 0)
                .try_fold(0u64, |acc, b| acc.checked_mul(256).map(|a| a | u64::from(*b)));
            let e_ok = e_value.is_some_and(|e| e >= 65_537 && e % 2 == 1);
            if field("kty") != Some("RSA") || n_bytes * 8 < 2048 || !e_ok {
                return Err(refuse(
                    "a key to publish must be an RSA public JWK of 2048 bits or more, with an odd exponent of at least 65537",
                ));
            }
            if field("alg").is_some_and(|a| !matches!(a, "RS256" | "PS256")) || field("use").is_some_and(|u| u != "sig")
            {
                return Err(refuse("a key to publish signs client assertions: `alg` RS256 or PS256, `use` sig"));
            }
            let Some(kid) = field("kid").filter(|k| !k.is_empty()) else {
                return Err(refuse("a key to publish needs a `kid` (One Login picks keys by it)"));
            };
            if !loopback && is_stand_in_modulus(&n) {
                return Err(refuse(
                    "this is the local stand-in's test key, published in the govuk-one-login-rs repository: generate a key of your own",
                ));
            }
            let mut published = serde_json::json!({
                "kty": "RSA", "n": field("n"), "e": field("e"), "kid": kid, "use": "sig",
            });
            if let Some(alg) = field("alg") {
                published["alg"] = alg.into();
            }
            keys.push(published);
        }
    }
    if keys.len() > MAX_PUBLISHED_KEYS {
        return Err(ConfigError::invalid_at(
            origin,
            format!("{} keys to publish: at most {MAX_PUBLISHED_KEYS}", keys.len()),
        ));
    }
    Ok(keys)
}

pub(super) fn scopes(scopes: Vec<String>, cx: &Checks) -> Result<Vec<String>, ConfigError> {
    let origin = cx.origin("ConfigBuilder::scopes");
    if !scopes.iter().any(|s| s == "openid") {
        return Err(ConfigError::invalid_at(origin, "must include `openid`"));
    }
    if let Some(bad) = scopes.iter().find(|s| s.is_empty() || s.contains(char::is_whitespace)) {
        return Err(ConfigError::invalid_at(origin, format!("scope `{bad}` is not a single token")));
    }
    Ok(scopes)
}

pub(super) fn ui_locales(locales: Option<String>, cx: &Checks) -> Result<Option<String>, ConfigError> {
    if let Some(l) = &locales
        && l.split(' ').any(|t| t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(ConfigError::invalid_at(
            cx.origin("ConfigBuilder::ui_locales"),
            "expected language tags such as `en` or `cy`",
        ));
    }
    Ok(locales)
}

pub(super) fn identity_issuer(issuer: Option<String>, cx: &Checks) -> Result<String, ConfigError> {
    let issuer = issuer.unwrap_or_else(|| cx.identity_issuer.clone());
    url(cx.origin("ConfigBuilder::identity_issuer"), &issuer)?;
    Ok(issuer)
}

#[allow(clippy::needless_pass_by_value, reason = "every check in the settings table takes its value")]
pub(super) fn did_url(did: Option<String>, cx: &Checks) -> Result<Url, ConfigError> {
    url(cx.origin("ConfigBuilder::did_url"), did.as_deref().unwrap_or(&cx.did_url))
}

pub(super) fn clock_skew(skew: Duration, cx: &Checks) -> Result<Duration, ConfigError> {
    if skew > MAX_CLOCK_SKEW {
        return Err(ConfigError::invalid_at(
            cx.origin("ConfigBuilder::clock_skew"),
            format!("{}s is over the maximum of 60s (ID tokens live 120s)", skew.as_secs()),
        ));
    }
    Ok(skew)
}

/// `coreIdentityJWT` first, then the others once each.
#[allow(clippy::unnecessary_wraps, reason = "every check in the settings table has this signature")]
pub(super) fn identity_claims(claims: Vec<IdentityClaim>, _: &Checks) -> Result<Vec<IdentityClaim>, ConfigError> {
    Ok(claims.into_iter().fold(vec![IdentityClaim::CoreIdentity], |mut all, c| {
        if !all.contains(&c) {
            all.push(c);
        }
        all
    }))
}

pub(super) fn user_agent(ua: String, cx: &Checks) -> Result<String, ConfigError> {
    if ua.trim().is_empty() || !ua.chars().all(|c| (' '..='~').contains(&c)) {
        return Err(ConfigError::invalid_at(
            cx.origin("ConfigBuilder::user_agent"),
            "must be non-empty printable ASCII",
        ));
    }
    Ok(ua)
}

pub(super) fn session_ttl(ttl: Duration, cx: &Checks) -> Result<Duration, ConfigError> {
    at_least_a_second(ttl, cx.origin("ConfigBuilder::session_ttl"))
}

pub(super) fn session_idle_timeout(timeout: Duration, cx: &Checks) -> Result<Duration, ConfigError> {
    at_least_a_second(timeout, cx.origin("ConfigBuilder::session_idle_timeout"))
}

fn at_least_a_second(d: Duration, origin: ConfigSource) -> Result<Duration, ConfigError> {
    if d < Duration::from_secs(1) {
        return Err(ConfigError::invalid_at(origin, "must be at least one second"));
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
pub(super) fn together(config: &Config, cx: &Checks) -> Result<(), ConfigError> {
    if config.key_cache_floor > config.key_cache_ceiling {
        return Err(ConfigError::invalid_at(
            cx.origin("ConfigBuilder::key_cache_bounds"),
            "the floor is above the ceiling",
        ));
    }
    let routes = &config.routes;
    for (method, path) in [
        ("ConfigBuilder::login_path", Some(&routes.login)),
        ("ConfigBuilder::logout_path", Some(&routes.logout)),
        ("ConfigBuilder::backchannel_logout_path", Some(&routes.backchannel_logout)),
        ("ConfigBuilder::sign_out_everywhere_path", Some(&routes.sign_out_everywhere)),
        ("ConfigBuilder::publish_jwks_at", routes.jwks.as_ref()),
    ] {
        if let Some(p) = path
            && (!p.starts_with('/') || p.contains(['?', '#']) || p == config.redirect_uri.path())
        {
            return Err(ConfigError::invalid_at(
                cx.origin(method),
                format!("`{p}` must be a plain absolute path, distinct from the callback"),
            ));
        }
    }
    let mounted = [
        Some(&routes.login),
        Some(&routes.logout),
        Some(&routes.backchannel_logout),
        Some(&routes.sign_out_everywhere),
        routes.jwks.as_ref(),
    ];
    if let Some((i, Some(p))) = mounted.iter().enumerate().find(|(i, p)| p.is_some() && mounted[..*i].contains(p)) {
        let method = [
            "",
            "ConfigBuilder::logout_path",
            "ConfigBuilder::backchannel_logout_path",
            "ConfigBuilder::sign_out_everywhere_path",
            "ConfigBuilder::publish_jwks_at",
        ][i];
        return Err(ConfigError::invalid_at(cx.origin(method), format!("`{p}` is already the path of another route")));
    }
    if !config.published_keys.is_empty() {
        let origin = cx.origin("ConfigBuilder::publish_keys");
        if routes.jwks.is_none() {
            return Err(ConfigError::invalid_at(
                origin,
                "keys to publish need the JWKS route (ConfigBuilder::publish_jwks_at)",
            ));
        }
        let Some(current) = config.key_id.as_deref() else {
            return Err(ConfigError::invalid_at(
                origin,
                "keys to publish need the signing key's kid (ONE_LOGIN_PRIVATE_KEY_ID)",
            ));
        };
        let mut kids = vec![current];
        for key in &config.published_keys {
            let kid = key["kid"].as_str().unwrap_or_default();
            let same_key =
                key.get("n") == serde_json::to_value(&config.signing_key.public).ok().as_ref().and_then(|k| k.get("n"));
            if kids.contains(&kid) && !(kid == current && same_key) {
                return Err(ConfigError::invalid_at(
                    origin,
                    format!("the kid `{}` is published twice", crate::types::loggable(kid, 64)),
                ));
            }
            kids.push(kid);
        }
    }
    if let Some(events) = &config.events {
        let taken = [
            Some(routes.login.as_str()),
            Some(routes.logout.as_str()),
            Some(routes.backchannel_logout.as_str()),
            Some(routes.sign_out_everywhere.as_str()),
            routes.jwks.as_deref(),
            Some(config.redirect_uri.path()),
        ];
        for (method, path) in [
            ("EventsSettings::receiver_path", events.receiver_path()),
            ("EventsSettings::token_path", events.token_path()),
        ] {
            if taken.contains(&Some(path)) {
                return Err(ConfigError::invalid_at(
                    ConfigSource::Builder(method),
                    format!("`{path}` is already the path of another route"),
                ));
            }
        }
    }
    Ok(())
}

/// SHA-256 of the modulus of the local stand-in's client key, which is published in this
/// project's repository (`tests/mock-provider/keys/rp-rsa.pem`) and so signs for anyone.
const STAND_IN_KEY_MODULUS_SHA256: &str = "1f58eb92fd5570495d93c2ac162f8818b057ebc0aa101be64a40c7cdc97c0d35";

/// Whether an RSA modulus (big-endian bytes, as a JWK's `n` decodes) is the stand-in's.
fn is_stand_in_modulus(modulus: &[u8]) -> bool {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, modulus);
    let hex = digest.as_ref().iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = std::fmt::Write::write_fmt(&mut hex, format_args!("{b:02x}"));
        hex
    });
    hex == STAND_IN_KEY_MODULUS_SHA256
}

/// Refuses the stand-in's published test key for any issuer but one on loopback: a service
/// registered with it at One Login (or any real provider) would let anyone sign as it.
pub(super) fn not_the_stand_in_key(key: &super::SigningKey, issuer: &str) -> Result<(), ConfigError> {
    use base64::Engine as _;
    let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = &key.public.algorithm else { return Ok(()) };
    let Ok(modulus) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&rsa.n) else { return Ok(()) };
    let loopback = Url::parse(issuer).is_ok_and(|u| is_loopback(&u));
    if is_stand_in_modulus(&modulus) && !loopback {
        return Err(ConfigError::invalid_at(
            key.origin,
            "this is the local stand-in's test key, published in the govuk-one-login-rs repository: \
             it may sign only for a loopback issuer; generate a key of your own (see docs/integration.md)",
        ));
    }
    Ok(())
}

/// The security-event receiver, when one is configured (its presets follow the environment).
pub(super) fn events(
    settings: Option<crate::events::EventsSettings>,
    cx: &Checks,
) -> Result<Option<crate::events::EventsConfig>, ConfigError> {
    settings.map(|s| s.check(&cx.environment, &cx.derived_secret)).transpose()
}

/// The request object's form: One Login's own (the default) for Integration and Production,
/// which answer the standard form's audience (the issuer) with `access_denied` for every user.
pub(super) fn request_object_form(form: RequestObjectForm, cx: &Checks) -> Result<RequestObjectForm, ConfigError> {
    if form == RequestObjectForm::Standard && !matches!(cx.environment, Environment::Custom { .. }) {
        return Err(ConfigError::invalid_at(
            cx.origin("ConfigBuilder::request_object_form"),
            "`standard` is for a provider other than One Login: its integration and production environments refuse \
             that request object (remove the setting)",
        ));
    }
    Ok(form)
}
