//! The receiver's settings ([`EventsSettings`], given to
//! [`ConfigBuilder::security_events`](crate::ConfigBuilder::security_events) or read from the
//! `ONE_LOGIN_EVENTS_*` variables) and their checked form ([`EventsConfig`]).

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use url::Url;

use super::actions::{EventAction, EventType};
use crate::config::{ConfigError, ConfigSource, Environment};

/// The issuer One Login's transmitter puts in every SET, in integration and production alike
/// (trailing `/` included).
pub const ONE_LOGIN_EVENTS_ISSUER: &str = "https://ssf.account.gov.uk/";
/// The transmitter's key set in One Login's integration environment.
pub const INTEGRATION_EVENTS_JWKS_URL: &str =
    "https://ssf-transmitter.transaction.integration.account.gov.uk/jwks.json";
/// The transmitter's key set in One Login's production environment.
pub const PRODUCTION_EVENTS_JWKS_URL: &str = "https://shared-signals-transmitter.transaction.account.gov.uk/jwks.json";

/// The shortest client secret accepted for the transmitter's credentials at our token
/// endpoint: it is the only thing between the internet and the receiver.
pub const MIN_CLIENT_SECRET_LEN: usize = 32;

/// A signing algorithm the receiver may accept on SETs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventAlgorithm {
    /// RS256 (what One Login's transmitter uses).
    Rs256,
    /// ES256.
    Es256,
}

impl EventAlgorithm {
    pub(crate) fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            EventAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
            EventAlgorithm::Es256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

/// What to do with a SET whose event type the receiver does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnknownEvents {
    /// Accept it (202) and hand it to the handlers as [`SecurityEvent::Unknown`]
    /// (the default: RFC 8417 says to ignore what is not understood).
    ///
    /// [`SecurityEvent::Unknown`]: super::SecurityEvent::Unknown
    #[default]
    Accept,
    /// Refuse it with 400 `invalid_request`.
    Refuse,
}

/// Settings of the security-event receiver and its token endpoint. Start with
/// [`EventsSettings::new`]; the transmitter's issuer and key set follow the One Login
/// environment unless set.
///
/// ```
/// use govuk_one_login::events::EventsSettings;
/// let settings = EventsSettings::new("my-service-events", "one-login-ssf", "a-secret-of-at-least-thirty-two-characters");
/// # let _ = settings;
/// ```
#[derive(Clone)]
#[must_use]
pub struct EventsSettings {
    pub(crate) audience: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) issuer: Option<String>,
    pub(crate) jwks_url: Option<String>,
    pub(crate) algorithms: Vec<EventAlgorithm>,
    pub(crate) access_token_lifetime: Duration,
    pub(crate) max_event_age: Duration,
    pub(crate) unknown_events: UnknownEvents,
    pub(crate) receiver_path: String,
    pub(crate) token_path: String,
    pub(crate) actions: HashMap<EventType, EventAction>,
    pub(crate) verification: Option<super::VerificationSettings>,
    pub(crate) private_key_jwt: Option<(String, String)>,
    /// Where each value came from, for errors (`ONE_LOGIN_EVENTS_*` or a method).
    pub(crate) from_env: bool,
}

impl fmt::Debug for EventsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsSettings")
            .field("audience", &self.audience)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("issuer", &self.issuer)
            .field("jwks_url", &self.jwks_url)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl EventsSettings {
    /// The receiver for SETs addressed to `audience` (the value agreed with One Login: any
    /// string, not necessarily a URL), whose transmitter authenticates at our token endpoint
    /// with `client_id` and `client_secret` (at least [`MIN_CLIENT_SECRET_LEN`] characters:
    /// generate it, for instance with `openssl rand -base64 32`, and give it to One Login).
    pub fn new(audience: impl Into<String>, client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            issuer: None,
            jwks_url: None,
            algorithms: vec![EventAlgorithm::Rs256, EventAlgorithm::Es256],
            access_token_lifetime: Duration::from_secs(900),
            max_event_age: Duration::from_secs(7 * 24 * 3600),
            unknown_events: UnknownEvents::Accept,
            receiver_path: "/auth/events".into(),
            token_path: "/auth/events/token".into(),
            actions: HashMap::new(),
            verification: None,
            private_key_jwt: None,
            from_env: false,
        }
    }
    /// The transmitter's issuer, exactly as its SETs carry it (`ONE_LOGIN_EVENTS_ISSUER`;
    /// default [`ONE_LOGIN_EVENTS_ISSUER`] in integration and production). It replaces the
    /// preset: SETs whose `iss` differs by one character (a trailing `/`) are refused.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }
    /// The transmitter's key set (`ONE_LOGIN_EVENTS_JWKS_URL`; default
    /// [`INTEGRATION_EVENTS_JWKS_URL`] or [`PRODUCTION_EVENTS_JWKS_URL`] by environment).
    /// `https`, or plain `http` on loopback only.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }
    /// The signing algorithms accepted on SETs (default RS256 and ES256; never `none` or HS*).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = EventAlgorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }
    /// How long an access token from our token endpoint is good for (default 15 minutes, at
    /// most 1 hour).
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_token_lifetime = lifetime;
        self
    }
    /// How old a SET may be by its `iat` and still be acted on (default 7 days, at least 10
    /// minutes). Its `jti` is remembered as long, so a replay is never acted on twice.
    pub fn max_event_age(mut self, age: Duration) -> Self {
        self.max_event_age = age;
        self
    }
    /// Whether SETs of unknown event types are accepted (the default) or refused.
    pub fn unknown_events(mut self, unknown: UnknownEvents) -> Self {
        self.unknown_events = unknown;
        self
    }
    /// The receiver's path (POST, default `/auth/events`).
    pub fn receiver_path(mut self, path: impl Into<String>) -> Self {
        self.receiver_path = path.into();
        self
    }
    /// The token endpoint's path (POST, default `/auth/events/token`).
    pub fn token_path(mut self, path: impl Into<String>) -> Self {
        self.token_path = path.into();
        self
    }
    /// What the receiver does by itself with events of kind `event` (see
    /// [`EventType::default_action`] for the defaults).
    pub fn action(mut self, event: EventType, action: EventAction) -> Self {
        self.actions.insert(event, action);
        self
    }
    /// Also lets the transmitter authenticate at our token endpoint with `private_key_jwt`
    /// (RFC 7523): a client assertion signed by the key whose public JWK is `jwk` (RSA for
    /// RS256, or EC P-256 for ES256), with `iss` and `sub` the client id, `aud` naming
    /// `token_endpoint_url` (our token endpoint's public URL, as the transmitter calls it),
    /// valid for at most five minutes and used once. The client secret keeps working.
    pub fn private_key_jwt(mut self, token_endpoint_url: impl Into<String>, jwk: impl Into<String>) -> Self {
        self.private_key_jwt = Some((token_endpoint_url.into(), jwk.into()));
        self
    }
    /// Runs the verification client: on a schedule, it asks the transmitter for a
    /// verification event and checks that it comes (see
    /// [`OneLogin::events_verification_status`](crate::OneLogin::events_verification_status)).
    /// Off by default; verification events are accepted either way.
    pub fn verification(mut self, verification: super::VerificationSettings) -> Self {
        self.verification = Some(verification);
        self
    }
}

/// The checked receiver settings ([`Config::security_events`](crate::Config::security_events)).
#[derive(Clone)]
pub struct EventsConfig {
    pub(crate) issuer: String,
    pub(crate) jwks_url: Url,
    pub(crate) audience: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    /// The key our access tokens are signed with, derived from our signing key and the client
    /// secret (so every instance verifies every instance's tokens, and a captured token is no
    /// oracle for guessing the secret without the private key).
    pub(crate) token_key: [u8; 32],
    /// The key of the verification client's `state` tags, derived alike.
    pub(crate) state_key: [u8; 32],
    pub(crate) algorithms: Vec<EventAlgorithm>,
    pub(crate) access_token_lifetime: Duration,
    pub(crate) max_event_age: Duration,
    pub(crate) unknown_events: UnknownEvents,
    pub(crate) receiver_path: String,
    pub(crate) token_path: String,
    pub(crate) actions: HashMap<EventType, EventAction>,
    pub(crate) verification: Option<super::verification::VerificationConfig>,
    /// The transmitter's public key for `private_key_jwt`, when allowed.
    pub(crate) client_assertion_key: Option<jsonwebtoken::jwk::Jwk>,
    /// Our token endpoint's public URL, the `aud` of client assertions.
    pub(crate) token_endpoint_url: Option<String>,
}

impl fmt::Debug for EventsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsConfig")
            .field("issuer", &self.issuer)
            .field("jwks_url", &self.jwks_url.as_str())
            .field("audience", &self.audience)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("receiver_path", &self.receiver_path)
            .field("token_path", &self.token_path)
            .finish_non_exhaustive()
    }
}

impl EventsConfig {
    /// The transmitter's issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The transmitter's key set.
    pub fn jwks_url(&self) -> &str {
        self.jwks_url.as_str()
    }
    /// The audience SETs must name.
    pub fn audience(&self) -> &str {
        &self.audience
    }
    /// The transmitter's client id at our token endpoint.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The receiver's path.
    pub fn receiver_path(&self) -> &str {
        &self.receiver_path
    }
    /// The token endpoint's path.
    pub fn token_path(&self) -> &str {
        &self.token_path
    }
    /// How long our access tokens are good for.
    pub fn access_token_lifetime(&self) -> Duration {
        self.access_token_lifetime
    }
    /// How old a SET may be.
    pub fn max_event_age(&self) -> Duration {
        self.max_event_age
    }
    /// What the receiver does by itself with events of kind `event`.
    pub fn action(&self, event: EventType) -> EventAction {
        self.actions.get(&event).copied().unwrap_or_else(|| event.default_action())
    }
    pub(crate) fn allows(&self, alg: jsonwebtoken::Algorithm) -> bool {
        self.algorithms.iter().any(|a| a.jwt() == alg)
    }
}

/// The switch [`EventsSettings::from_vars`] reads first.
const ENABLED: &str = "ONE_LOGIN_EVENTS_ENABLED";
/// Every other `ONE_LOGIN_EVENTS_*` variable: setting one without the switch is a mistake.
const VARS: [&str; 10] = [
    "ONE_LOGIN_EVENTS_ISSUER",
    "ONE_LOGIN_EVENTS_JWKS_URL",
    "ONE_LOGIN_EVENTS_AUDIENCE",
    "ONE_LOGIN_EVENTS_CLIENT_ID",
    "ONE_LOGIN_EVENTS_CLIENT_SECRET",
    "ONE_LOGIN_EVENTS_VERIFICATION_URL",
    "ONE_LOGIN_EVENTS_VERIFICATION_CLIENT_ID",
    "ONE_LOGIN_EVENTS_VERIFICATION_CLIENT_SECRET",
    "ONE_LOGIN_EVENTS_VERIFICATION_TOKEN_URL",
    "ONE_LOGIN_EVENTS_VERIFICATION_INTERVAL",
];

impl EventsSettings {
    /// The settings the `ONE_LOGIN_EVENTS_*` variables give, read through `get` (which
    /// answers `None` for unset or blank variables): `None` unless
    /// `ONE_LOGIN_EVENTS_ENABLED` is true. Setting the others without it is an error, so that
    /// a receiver is never left off by mistake.
    pub(crate) fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let enabled = match get(ENABLED) {
            None => None,
            Some(v) => Some(match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                other => {
                    return Err(ConfigError::invalid_at(
                        ConfigSource::Env(ENABLED),
                        format!("`{other}` is not true or false"),
                    ));
                }
            }),
        };
        match enabled {
            Some(true) => {}
            Some(false) => return Ok(None),
            None => {
                if let Some(name) = VARS.iter().find(|name| get(name).is_some()) {
                    return Err(ConfigError::invalid_at(
                        ConfigSource::Env(ENABLED),
                        format!("{name} is set but the receiver is not enabled: set {ENABLED}=true (or false)"),
                    ));
                }
                return Ok(None);
            }
        }
        let required = |name: &'static str, hint: &'static str| {
            get(name).map(|v| v.trim().to_owned()).ok_or(ConfigError::Missing { origin: ConfigSource::Env(name), hint })
        };
        let mut settings = EventsSettings::new(
            required("ONE_LOGIN_EVENTS_AUDIENCE", "the audience agreed with One Login for this service's SETs")?,
            required("ONE_LOGIN_EVENTS_CLIENT_ID", "the client id One Login's transmitter uses at our token endpoint")?,
            get("ONE_LOGIN_EVENTS_CLIENT_SECRET").ok_or(ConfigError::Missing {
                origin: ConfigSource::Env("ONE_LOGIN_EVENTS_CLIENT_SECRET"),
                hint: "the client secret given to One Login's transmitter (at least 32 characters)",
            })?,
        );
        settings.issuer = get("ONE_LOGIN_EVENTS_ISSUER").map(|v| v.trim().to_owned());
        settings.jwks_url = get("ONE_LOGIN_EVENTS_JWKS_URL").map(|v| v.trim().to_owned());
        let verification = [
            "ONE_LOGIN_EVENTS_VERIFICATION_URL",
            "ONE_LOGIN_EVENTS_VERIFICATION_CLIENT_ID",
            "ONE_LOGIN_EVENTS_VERIFICATION_CLIENT_SECRET",
        ]
        .map(get);
        match verification {
            [Some(url), Some(id), Some(secret)] => {
                let mut v = super::VerificationSettings::new(url.trim(), id.trim(), secret);
                if let Some(token_url) = get("ONE_LOGIN_EVENTS_VERIFICATION_TOKEN_URL") {
                    v = v.token_url(token_url.trim());
                }
                if let Some(every) = get("ONE_LOGIN_EVENTS_VERIFICATION_INTERVAL") {
                    let every = crate::store::config::duration(&every).map_err(|reason| {
                        ConfigError::invalid_at(ConfigSource::Env("ONE_LOGIN_EVENTS_VERIFICATION_INTERVAL"), reason)
                    })?;
                    v = v.interval(every);
                }
                settings.verification = Some(v);
            }
            [None, None, None] => {}
            _ => {
                return Err(ConfigError::invalid_at(
                    ConfigSource::Env("ONE_LOGIN_EVENTS_VERIFICATION_URL"),
                    "set ONE_LOGIN_EVENTS_VERIFICATION_URL, _CLIENT_ID and _CLIENT_SECRET together",
                ));
            }
        }
        settings.from_env = true;
        Ok(Some(settings))
    }

    fn origin(&self, var: &'static str, method: &'static str) -> ConfigSource {
        if self.from_env { ConfigSource::Env(var) } else { ConfigSource::Builder(method) }
    }

    /// Checks the settings against the One Login `environment` (for the presets); the keys are
    /// derived from `derived_secret` (from our signing key) and the client secret.
    pub(crate) fn check(
        self,
        environment: &Environment,
        derived_secret: &[u8; 32],
    ) -> Result<EventsConfig, ConfigError> {
        let (preset_issuer, preset_jwks) = match environment {
            Environment::Integration => (Some(ONE_LOGIN_EVENTS_ISSUER), Some(INTEGRATION_EVENTS_JWKS_URL)),
            Environment::Production => (Some(ONE_LOGIN_EVENTS_ISSUER), Some(PRODUCTION_EVENTS_JWKS_URL)),
            Environment::Custom { .. } => (None, None),
        };
        let issuer_origin = self.origin("ONE_LOGIN_EVENTS_ISSUER", "EventsSettings::issuer");
        let issuer = match self.issuer.clone().or(preset_issuer.map(str::to_owned)) {
            Some(issuer) if !issuer.trim().is_empty() => issuer,
            _ => {
                return Err(ConfigError::Missing {
                    origin: issuer_origin,
                    hint: "a custom One Login environment has no transmitter preset: set the issuer its SETs carry",
                });
            }
        };
        let jwks_origin = self.origin("ONE_LOGIN_EVENTS_JWKS_URL", "EventsSettings::jwks_url");
        let jwks_url = match self.jwks_url.clone().or(preset_jwks.map(str::to_owned)) {
            Some(url) => crate::config::check_url(jwks_origin, &url)?,
            None => {
                return Err(ConfigError::Missing {
                    origin: jwks_origin,
                    hint: "a custom One Login environment has no transmitter preset: set the transmitter's JWKS URL",
                });
            }
        };
        let text = |value: &str, var: &'static str, what: &str| {
            if value.is_empty() || value.len() > 256 || !value.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::invalid_at(
                    self.origin(var, "EventsSettings::new"),
                    format!("the {what} must be 1 to 256 visible ASCII characters"),
                ));
            }
            Ok(())
        };
        text(&self.audience, "ONE_LOGIN_EVENTS_AUDIENCE", "audience")?;
        text(&self.client_id, "ONE_LOGIN_EVENTS_CLIENT_ID", "client id")?;
        if self.client_secret.chars().count() < MIN_CLIENT_SECRET_LEN {
            return Err(ConfigError::invalid_at(
                self.origin("ONE_LOGIN_EVENTS_CLIENT_SECRET", "EventsSettings::new"),
                format!(
                    "the client secret must be at least {MIN_CLIENT_SECRET_LEN} characters (generate one with `openssl rand -base64 32`)"
                ),
            ));
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError::invalid_at(
                ConfigSource::Builder("EventsSettings::algorithms"),
                "at least one algorithm must be accepted",
            ));
        }
        if self.access_token_lifetime < Duration::from_secs(60)
            || self.access_token_lifetime > Duration::from_secs(3600)
        {
            return Err(ConfigError::invalid_at(
                ConfigSource::Builder("EventsSettings::access_token_lifetime"),
                "must be between 1 minute and 1 hour",
            ));
        }
        if self.max_event_age < Duration::from_secs(600) || self.max_event_age > Duration::from_secs(30 * 24 * 3600) {
            return Err(ConfigError::invalid_at(
                ConfigSource::Builder("EventsSettings::max_event_age"),
                "must be between 10 minutes and 30 days",
            ));
        }
        for (path, method) in
            [(&self.receiver_path, "EventsSettings::receiver_path"), (&self.token_path, "EventsSettings::token_path")]
        {
            if !path.starts_with('/') || path.contains(['?', '#']) {
                return Err(ConfigError::invalid_at(
                    ConfigSource::Builder(method),
                    "must be a path starting with `/`, without query or fragment",
                ));
            }
        }
        if self.receiver_path == self.token_path {
            return Err(ConfigError::invalid_at(
                ConfigSource::Builder("EventsSettings::token_path"),
                "the receiver and the token endpoint need paths of their own",
            ));
        }
        let verification = self.verification.map(super::VerificationSettings::check).transpose()?;
        let (token_endpoint_url, client_assertion_key) = match &self.private_key_jwt {
            None => (None, None),
            Some((url, jwk)) => {
                let origin = ConfigSource::Builder("EventsSettings::private_key_jwt");
                let url = crate::config::check_url(origin, url)?;
                let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(jwk)
                    .map_err(|e| ConfigError::invalid_at(origin, format!("not a JWK ({e})")))?;
                let usable = crate::jwt::key_fits(&jwk, jsonwebtoken::Algorithm::RS256)
                    || crate::jwt::key_fits(&jwk, jsonwebtoken::Algorithm::ES256);
                if !usable || jsonwebtoken::DecodingKey::from_jwk(&jwk).is_err() {
                    return Err(ConfigError::invalid_at(
                        origin,
                        "the JWK must be an RSA key (RS256) or an EC P-256 key (ES256)",
                    ));
                }
                (Some(url.to_string()), Some(jwk))
            }
        };
        let token_key = derive(derived_secret, "access-token", &self.client_secret);
        let state_key = derive(derived_secret, "verification-state", &self.client_secret);
        Ok(EventsConfig {
            issuer,
            jwks_url,
            audience: self.audience,
            client_id: self.client_id,
            client_secret: self.client_secret,
            token_key,
            state_key,
            algorithms: self.algorithms,
            access_token_lifetime: self.access_token_lifetime,
            max_event_age: self.max_event_age,
            unknown_events: self.unknown_events,
            receiver_path: self.receiver_path,
            token_path: self.token_path,
            actions: self.actions,
            verification,
            client_assertion_key,
            token_endpoint_url,
        })
    }
}

/// A key for `purpose`: an HMAC of the purpose and the client secret under the secret derived
/// from our signing key, so every instance derives the same keys and nobody without the private
/// key can.
fn derive(derived_secret: &[u8; 32], purpose: &str, secret: &str) -> [u8; 32] {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, derived_secret);
    let tag = hmac::sign(&key, format!("govuk-one-login-rs/events/{purpose}/v1\0{secret}").as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}
