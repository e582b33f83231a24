//! [`Config::from_env`]: the `ONE_LOGIN_*` variables.

use std::time::Duration;

use super::{ClientSigningAlgorithm, Config, ConfigBuilder, ConfigError, Environment, IdTokenAlgorithm, IdentityClaim};

impl Config {
    /// Reads the configuration from `ONE_LOGIN_*` environment variables:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `ONE_LOGIN_ENVIRONMENT` | `integration` or `production`: fills in every URL |
    /// | `ONE_LOGIN_ISSUER` | a custom issuer instead (the local stand-in, the simulator); http only on loopback |
    /// | `ONE_LOGIN_CLIENT_ID` | the client id |
    /// | `ONE_LOGIN_PRIVATE_KEY` / `ONE_LOGIN_PRIVATE_KEY_FILE` | our RSA private key, PEM text or a path |
    /// | `ONE_LOGIN_PRIVATE_KEY_ID` | optional `kid` for our JWT headers (needed with a published JWKS) |
    /// | `ONE_LOGIN_CLIENT_ASSERTION_ALG` | `RS256` (default) or `PS256` |
    /// | `ONE_LOGIN_REDIRECT_URI` | the registered callback URL |
    /// | `ONE_LOGIN_POST_LOGOUT_REDIRECT_URI` | optional, where One Login returns after sign-out |
    /// | `ONE_LOGIN_SCOPES` | default `openid email phone` |
    /// | `ONE_LOGIN_UI_LOCALES` | optional, `en` or `cy` |
    /// | `ONE_LOGIN_IDENTITY_CLAIMS` | identity claims to request, from `coreIdentityJWT address passport drivingPermit returnCode` (default `coreIdentityJWT`; only those registered on the client) |
    /// | `ONE_LOGIN_IDENTITY_ISSUER`, `ONE_LOGIN_DID_URL` | optional overrides |
    /// | `ONE_LOGIN_ID_TOKEN_ALG` | `ES256` (default) or `RS256` |
    /// | `ONE_LOGIN_CLOCK_SKEW_SECONDS` | default 30, at most 60 |
    /// | `ONE_LOGIN_REQUEST_OBJECT` | `true` (default) or `false` |
    /// | `ONE_LOGIN_USER_AGENT` | default `govuk-one-login-rs/<version>` |
    /// | `ONE_LOGIN_SESSION_LIFETIME` | absolute session lifetime, such as `8h` (the default), `30m` or `1800` (seconds) |
    /// | `ONE_LOGIN_SESSION_IDLE_TIMEOUT` | a session ends after this long without a request, default `30m` |
    /// | `ONE_LOGIN_SESSION_STORE` | `memory` or `redis`; unset: `redis` when `REDIS_URL` is set, else `memory` |
    /// | `REDIS_URL` | `redis://`, `rediss://` (TLS), `redis-cluster://host:port?node=host:port…` |
    /// | `ONE_LOGIN_REDIS_PREFIX` | key prefix, default `govuk-one-login:` |
    /// | `ONE_LOGIN_REDIS_TIMEOUT_MS`, `ONE_LOGIN_REDIS_CONNECT_TIMEOUT_MS` | default 1000 each |
    /// | `ONE_LOGIN_REDIS_POOL_SIZE` | default 4 |
    /// | `ONE_LOGIN_REDIS_CA_FILE` | a PEM file of CA certificates to trust for `rediss://`, beside the web PKI roots |
    ///
    /// A missing or malformed value is an error naming the variable.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `var` (handy in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let environment = match (get("ONE_LOGIN_ISSUER"), get("ONE_LOGIN_ENVIRONMENT")) {
            (Some(issuer), None) => Environment::Custom { issuer },
            (None, Some(env)) => match env.trim().to_ascii_lowercase().as_str() {
                "integration" => Environment::Integration,
                "production" => Environment::Production,
                other => {
                    return Err(ConfigError::invalid(
                        "ONE_LOGIN_ENVIRONMENT",
                        format!("`{other}` is not `integration` or `production`"),
                    ));
                }
            },
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    "ONE_LOGIN_ISSUER",
                    "set either ONE_LOGIN_ISSUER or ONE_LOGIN_ENVIRONMENT, not both",
                ));
            }
            (None, None) => {
                return Err(ConfigError::Missing {
                    var: "ONE_LOGIN_ENVIRONMENT",
                    hint: "set it to `integration` or `production`, or set ONE_LOGIN_ISSUER to a custom issuer",
                });
            }
        };
        let mut b: ConfigBuilder = Config::builder(environment);
        if let Some(v) = get("ONE_LOGIN_CLIENT_ID") {
            b = b.client_id(v.trim());
        }
        if let Some(v) = get("ONE_LOGIN_REDIRECT_URI") {
            b = b.redirect_uri(v.trim());
        }
        if let Some(v) = get("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI") {
            b = b.post_logout_redirect_uri(v.trim());
        }
        if let Some(v) = get("ONE_LOGIN_SCOPES") {
            b = b.scopes(v.split_whitespace());
        }
        if let Some(v) = get("ONE_LOGIN_UI_LOCALES") {
            b = b.ui_locales(v.trim());
        }
        if let Some(v) = get("ONE_LOGIN_IDENTITY_CLAIMS") {
            let claims = v
                .split([' ', ','])
                .filter(|c| !c.is_empty())
                .map(|c| {
                    IdentityClaim::parse(c).ok_or_else(|| {
                        ConfigError::invalid(
                            "ONE_LOGIN_IDENTITY_CLAIMS",
                            format!(
                                "`{c}` is not one of coreIdentityJWT, address, passport, drivingPermit, returnCode"
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            b = b.identity_claims(claims);
        }
        if let Some(v) = get("ONE_LOGIN_IDENTITY_ISSUER") {
            b = b.identity_issuer(v.trim());
        }
        if let Some(v) = get("ONE_LOGIN_DID_URL") {
            b = b.did_url(v.trim());
        }
        if let Some(v) = get("ONE_LOGIN_ID_TOKEN_ALG") {
            b = b.id_token_alg(match v.trim() {
                "ES256" => IdTokenAlgorithm::Es256,
                "RS256" => IdTokenAlgorithm::Rs256,
                other => {
                    return Err(ConfigError::invalid(
                        "ONE_LOGIN_ID_TOKEN_ALG",
                        format!("`{other}` is not ES256 or RS256"),
                    ));
                }
            });
        }
        if let Some(v) = get("ONE_LOGIN_CLIENT_ASSERTION_ALG") {
            b = b.client_signing_alg(match v.trim() {
                "RS256" => ClientSigningAlgorithm::Rs256,
                "PS256" => ClientSigningAlgorithm::Ps256,
                other => {
                    return Err(ConfigError::invalid(
                        "ONE_LOGIN_CLIENT_ASSERTION_ALG",
                        format!("`{other}` is not RS256 or PS256"),
                    ));
                }
            });
        }
        if let Some(v) = get("ONE_LOGIN_CLOCK_SKEW_SECONDS") {
            let secs: u64 = v.trim().parse().map_err(|_| {
                ConfigError::invalid("ONE_LOGIN_CLOCK_SKEW_SECONDS", format!("`{v}` is not a whole number of seconds"))
            })?;
            b = b.clock_skew(Duration::from_secs(secs));
        }
        if let Some(v) = get("ONE_LOGIN_REQUEST_OBJECT") {
            b = b.request_objects(match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                other => {
                    return Err(ConfigError::invalid(
                        "ONE_LOGIN_REQUEST_OBJECT",
                        format!("`{other}` is not true or false"),
                    ));
                }
            });
        }
        if let Some(v) = get("ONE_LOGIN_USER_AGENT") {
            b = b.user_agent(v);
        }
        if let Some(v) = get("ONE_LOGIN_SESSION_LIFETIME") {
            b = b.session_ttl(crate::store::config::duration("ONE_LOGIN_SESSION_LIFETIME", &v)?);
        }
        if let Some(v) = get("ONE_LOGIN_SESSION_IDLE_TIMEOUT") {
            b = b.session_idle_timeout(crate::store::config::duration("ONE_LOGIN_SESSION_IDLE_TIMEOUT", &v)?);
        }
        b = b.session_store(crate::store::config::from_vars(&get)?);
        if let Some(v) = get("ONE_LOGIN_PRIVATE_KEY_ID") {
            b = b.key_id(v.trim());
        }
        let (pem, from_file) = match (get("ONE_LOGIN_PRIVATE_KEY"), get("ONE_LOGIN_PRIVATE_KEY_FILE")) {
            (Some(pem), None) => (pem.into_bytes(), None),
            (None, Some(path)) => {
                let pem = std::fs::read(&path)
                    .map_err(|source| ConfigError::KeyFile { path: path.clone().into(), source })?;
                (pem, Some(path))
            }
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    "ONE_LOGIN_PRIVATE_KEY",
                    "set either ONE_LOGIN_PRIVATE_KEY or ONE_LOGIN_PRIVATE_KEY_FILE, not both",
                ));
            }
            (None, None) => {
                return Err(ConfigError::Missing {
                    var: "ONE_LOGIN_PRIVATE_KEY",
                    hint: "our RSA private key as PEM text, or set ONE_LOGIN_PRIVATE_KEY_FILE to its path",
                });
            }
        };
        // A bad key read from a file names the file's variable and path, not the PEM variable.
        let with_key = b.signing_key_pem(pem).map_err(|e| match (e, &from_file) {
            (ConfigError::Invalid { var: "ONE_LOGIN_PRIVATE_KEY", reason }, Some(path)) => {
                ConfigError::Invalid { var: "ONE_LOGIN_PRIVATE_KEY_FILE", reason: format!("`{path}`: {reason}") }
            }
            (e, _) => e,
        })?;
        with_key.build()
    }
}
