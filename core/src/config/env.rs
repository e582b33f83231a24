//! [`Config::from_env`]: the `ONE_LOGIN_*` variables, each mapped onto the builder method it
//! stands for, so that the builder's checks name the variable when it is the source.

use std::time::Duration;

use super::{
    ClientSigningAlgorithm, Config, ConfigBuilder, ConfigError, ConfigSource, Environment, IdTokenAlgorithm,
    IdentityClaim, RequestObjectForm, WithKey,
};
use crate::store::config::duration;

/// A variable that sets one builder setting.
struct Var {
    name: &'static str,
    /// The builder method it stands for, such as `ConfigBuilder::client_id`.
    method: &'static str,
    /// Parses the text and calls the method: a parse failure is the reason the value is bad.
    apply: fn(ConfigBuilder, &str) -> Result<ConfigBuilder, String>,
}

/// `"VARIABLE" => method(parse)`: `parse` turns the text into the argument of
/// `ConfigBuilder::method`.
macro_rules! vars {
    ($($name:literal => $method:ident($parse:path),)*) => {
        &[$(Var {
            name: $name,
            method: concat!("ConfigBuilder::", stringify!($method)),
            apply: |b, v| Ok(b.$method($parse(v)?)),
        },)*]
    };
}

/// Every variable that sets one builder setting. The environment, the key and the store
/// (`ONE_LOGIN_SESSION_STORE`, `REDIS_URL`, `ONE_LOGIN_REDIS_*`) are read on their own below.
const VARS: &[Var] = vars! {
    "ONE_LOGIN_CLIENT_ID" => client_id(trimmed),
    "ONE_LOGIN_REDIRECT_URI" => redirect_uri(trimmed),
    "ONE_LOGIN_POST_LOGOUT_REDIRECT_URI" => post_logout_redirect_uri(trimmed),
    "ONE_LOGIN_ACCOUNT_HOME_URL" => account_home_url(trimmed),
    "ONE_LOGIN_SCOPES" => scopes(words),
    "ONE_LOGIN_UI_LOCALES" => ui_locales(trimmed),
    "ONE_LOGIN_IDENTITY_CLAIMS" => identity_claims(claims),
    "ONE_LOGIN_IDENTITY_ISSUER" => identity_issuer(trimmed),
    "ONE_LOGIN_DID_URL" => did_url(trimmed),
    "ONE_LOGIN_ID_TOKEN_ALG" => id_token_alg(id_token_alg),
    "ONE_LOGIN_CLIENT_ASSERTION_ALG" => client_signing_alg(client_signing_alg),
    "ONE_LOGIN_CLOCK_SKEW_SECONDS" => clock_skew(seconds),
    "ONE_LOGIN_REQUEST_OBJECT" => request_objects(boolean),
    "ONE_LOGIN_REQUEST_OBJECT_FORM" => request_object_form(request_object_form),
    "ONE_LOGIN_USER_AGENT" => user_agent(verbatim),
    "ONE_LOGIN_SESSION_LIFETIME" => session_ttl(duration),
    "ONE_LOGIN_SESSION_IDLE_TIMEOUT" => session_idle_timeout(duration),
    "ONE_LOGIN_IDENTITY_REUSE_MAX_AGE" => identity_reuse_max_age(duration),
    "ONE_LOGIN_MAX_SIGN_IN_STARTS_PER_SECOND" => max_sign_in_starts_per_second(count),
    "ONE_LOGIN_PRIVATE_KEY_ID" => key_id(trimmed),
    "ONE_LOGIN_PUBLISHED_KEYS" => publish_keys(key_files),
    "ONE_LOGIN_JWKS_PATH" => publish_jwks_at(trimmed),
};

const ISSUER: &str = "ONE_LOGIN_ISSUER";
const ENVIRONMENT: &str = "ONE_LOGIN_ENVIRONMENT";
const KEY: &str = "ONE_LOGIN_PRIVATE_KEY";
const KEY_FILE: &str = "ONE_LOGIN_PRIVATE_KEY_FILE";

/// The variable read for the value that `method` sets, in a builder [`Config::from_env`] filled.
/// Whether `Config::from_env` reads a variable of this name (for messages that name one).
#[cfg(test)]
pub(crate) fn is_read(name: &str) -> bool {
    [ISSUER, ENVIRONMENT, KEY, KEY_FILE].contains(&name) || VARS.iter().any(|v| v.name == name)
}

pub(super) fn variable_for(method: &str, environment: &Environment) -> Option<&'static str> {
    match method {
        "Config::builder" => Some(match environment {
            Environment::Custom { .. } => ISSUER,
            _ => ENVIRONMENT,
        }),
        _ => VARS.iter().find(|v| v.method == method).map(|v| v.name),
    }
}

impl Config {
    /// Reads the configuration from the `ONE_LOGIN_*` environment variables listed in the
    /// [guide on `Config`](crate::Config#environment-variables). A missing or malformed
    /// value is an error naming the variable ([`ConfigSource::Env`]).
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `var` (handy in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let mut b = Config::builder(environment(&get)?);
        b.from_env = true;
        for v in VARS {
            if let Some(text) = get(v.name) {
                b = (v.apply)(b, &text).map_err(|reason| ConfigError::invalid_at(ConfigSource::Env(v.name), reason))?;
            }
        }
        b = b.session_store(crate::store::config::from_vars(&get)?);
        if let Some(events) = crate::events::EventsSettings::from_vars(&get)? {
            b = b.security_events(events);
        }
        signing_key(b, &get)?.build()
    }
}

fn environment(get: &dyn Fn(&str) -> Option<String>) -> Result<Environment, ConfigError> {
    match (get(ISSUER), get(ENVIRONMENT)) {
        (Some(issuer), None) => Ok(Environment::Custom { issuer }),
        (None, Some(env)) => match env.trim().to_ascii_lowercase().as_str() {
            "integration" => Ok(Environment::Integration),
            "production" => Ok(Environment::Production),
            other => Err(ConfigError::invalid_at(
                ConfigSource::Env(ENVIRONMENT),
                format!("`{other}` is not `integration` or `production`"),
            )),
        },
        (Some(_), Some(_)) => Err(ConfigError::invalid_at(
            ConfigSource::Env(ISSUER),
            "set either ONE_LOGIN_ISSUER or ONE_LOGIN_ENVIRONMENT, not both",
        )),
        (None, None) => Err(ConfigError::Missing {
            origin: ConfigSource::Env(ENVIRONMENT),
            hint: "set it to `integration` or `production`, or set ONE_LOGIN_ISSUER to a custom issuer",
        }),
    }
}

/// The key from `ONE_LOGIN_PRIVATE_KEY` or `ONE_LOGIN_PRIVATE_KEY_FILE`. A bad key read from
/// a file names the file's variable and path.
fn signing_key(b: ConfigBuilder, get: &dyn Fn(&str) -> Option<String>) -> Result<ConfigBuilder<WithKey>, ConfigError> {
    match (get(KEY), get(KEY_FILE)) {
        (Some(pem), None) => b.signing_key(pem.as_bytes(), ConfigSource::Env(KEY)),
        (None, Some(path)) => {
            let pem =
                std::fs::read(&path).map_err(|source| ConfigError::KeyFile { path: path.clone().into(), source })?;
            b.signing_key(&pem, ConfigSource::Env(KEY_FILE)).map_err(|e| match e {
                ConfigError::Invalid { origin, reason } => {
                    ConfigError::Invalid { origin, reason: format!("`{path}`: {reason}") }
                }
                e => e,
            })
        }
        (Some(_), Some(_)) => Err(ConfigError::invalid_at(
            ConfigSource::Env(KEY),
            "set either ONE_LOGIN_PRIVATE_KEY or ONE_LOGIN_PRIVATE_KEY_FILE, not both",
        )),
        (None, None) => Err(ConfigError::Missing {
            origin: ConfigSource::Env(KEY),
            hint: "our RSA private key as PEM text, or set ONE_LOGIN_PRIVATE_KEY_FILE to its path",
        }),
    }
}

#[allow(clippy::unnecessary_wraps, reason = "every parser in the variable table has this signature")]
fn trimmed(v: &str) -> Result<String, String> {
    Ok(v.trim().to_owned())
}

#[allow(clippy::unnecessary_wraps, reason = "every parser in the variable table has this signature")]
fn verbatim(v: &str) -> Result<String, String> {
    Ok(v.to_owned())
}

/// JSON text (a JWK or JWKS), or comma-separated paths of files holding it: each file is read
/// here, and a file that cannot be read is named.
fn key_files(v: &str) -> Result<Vec<String>, String> {
    const MAX_FILE: u64 = 64 * 1024;
    let v = v.trim();
    if v.starts_with('{') {
        return Ok(vec![v.to_owned()]);
    }
    // A key pasted into the wrong variable is never echoed into the error (and so the log).
    if v.contains("-----BEGIN") || v.contains(['\n', '\r']) {
        return Err(
            "this looks like a PEM key: give public JWKs (govuk-one-login jwks prints them), or files holding them"
                .into(),
        );
    }
    v.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|path| {
            let shown = crate::types::loggable(path, 128);
            let size = std::fs::metadata(path).map_err(|e| format!("`{shown}`: cannot read it ({e})"))?.len();
            if size > MAX_FILE {
                return Err(format!("`{shown}`: larger than 64 KiB, no key set is"));
            }
            std::fs::read_to_string(path).map_err(|e| format!("`{shown}`: cannot read it ({e})"))
        })
        .collect()
}

#[allow(clippy::unnecessary_wraps, reason = "every parser in the variable table has this signature")]
fn words(v: &str) -> Result<Vec<String>, String> {
    Ok(v.split_whitespace().map(str::to_owned).collect())
}

/// Space- or comma-separated short names.
fn claims(v: &str) -> Result<Vec<IdentityClaim>, String> {
    v.split([' ', ','])
        .filter(|c| !c.is_empty())
        .map(|c| {
            IdentityClaim::parse(c).ok_or_else(|| {
                format!("`{c}` is not one of coreIdentityJWT, address, passport, drivingPermit, returnCode")
            })
        })
        .collect()
}

fn id_token_alg(v: &str) -> Result<IdTokenAlgorithm, String> {
    match v.trim() {
        "ES256" => Ok(IdTokenAlgorithm::Es256),
        "RS256" => Ok(IdTokenAlgorithm::Rs256),
        other => Err(format!("`{other}` is not ES256 or RS256")),
    }
}

fn client_signing_alg(v: &str) -> Result<ClientSigningAlgorithm, String> {
    match v.trim() {
        "RS256" => Ok(ClientSigningAlgorithm::Rs256),
        "PS256" => Ok(ClientSigningAlgorithm::Ps256),
        other => Err(format!("`{other}` is not RS256 or PS256")),
    }
}

fn request_object_form(v: &str) -> Result<RequestObjectForm, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "one-login" => Ok(RequestObjectForm::OneLogin),
        "standard" => Ok(RequestObjectForm::Standard),
        other => Err(format!("`{other}` is not one-login or standard")),
    }
}

fn seconds(v: &str) -> Result<Duration, String> {
    v.trim().parse().map(Duration::from_secs).map_err(|_| format!("`{v}` is not a whole number of seconds"))
}

fn count(v: &str) -> Result<u32, String> {
    v.trim().parse().map_err(|_| format!("`{v}` is not a whole number"))
}

fn boolean(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(format!("`{other}` is not true or false")),
    }
}

#[cfg(test)]
pub(super) fn variables() -> impl Iterator<Item = (&'static str, &'static str)> {
    VARS.iter().map(|v| (v.name, v.method))
}
