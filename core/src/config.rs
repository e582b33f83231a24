//! Configuration: one builder, or [`Config::from_env`]. Everything is checked at start-up.
//!
//! ```
//! use govuk_one_login::{Config, Environment};
//! # let pem = govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM;
//! let config = Config::builder(Environment::Integration)
//!     .client_id("my-client-id")
//!     .redirect_uri("https://service.example/auth/callback")
//!     .signing_key_pem(pem)?
//!     .build()?;
//! assert_eq!(config.issuer(), "https://oidc.integration.account.gov.uk/");
//! # Ok::<(), govuk_one_login::ConfigError>(())
//! ```

mod env;
mod error;

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, jwk::Jwk};
use url::Url;

pub use error::ConfigError;

use crate::store::StoreSettings;
use crate::types::ClientId;

/// Which One Login to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `https://oidc.integration.account.gov.uk/`.
    Integration,
    /// `https://oidc.account.gov.uk/`.
    Production,
    /// Any other issuer: the local stand-in, or One Login's simulator. Plain `http` is allowed
    /// only on loopback. The identity issuer defaults to the issuer, and the DID document to
    /// `<issuer>.well-known/did.json`, as the simulator does.
    Custom {
        /// The issuer, exactly as the provider's tokens carry it (trailing `/` included).
        issuer: String,
    },
}

impl Environment {
    fn urls(&self) -> (String, String, String) {
        match self {
            Environment::Integration => (
                "https://oidc.integration.account.gov.uk/".into(),
                "https://identity.integration.account.gov.uk/".into(),
                "https://identity.integration.account.gov.uk/.well-known/did.json".into(),
            ),
            Environment::Production => (
                "https://oidc.account.gov.uk/".into(),
                "https://identity.account.gov.uk/".into(),
                "https://identity.account.gov.uk/.well-known/did.json".into(),
            ),
            Environment::Custom { issuer } => {
                let base = issuer.trim_end_matches('/');
                (issuer.clone(), issuer.clone(), format!("{base}/.well-known/did.json"))
            }
        }
    }
}

/// The ID token signing algorithm registered for the client (`IdTokenSigningAlgorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdTokenAlgorithm {
    /// ES256, One Login's default.
    #[default]
    Es256,
    /// RS256, for clients registered with it.
    Rs256,
}

impl IdTokenAlgorithm {
    pub(crate) fn jwt(self) -> Algorithm {
        match self {
            IdTokenAlgorithm::Es256 => Algorithm::ES256,
            IdTokenAlgorithm::Rs256 => Algorithm::RS256,
        }
    }
}

/// The algorithm for our client assertions and request objects. One Login verifies RSA only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientSigningAlgorithm {
    /// RS256 (default).
    #[default]
    Rs256,
    /// PS256.
    Ps256,
}

impl ClientSigningAlgorithm {
    pub(crate) fn jwt(self) -> Algorithm {
        match self {
            ClientSigningAlgorithm::Rs256 => Algorithm::RS256,
            ClientSigningAlgorithm::Ps256 => Algorithm::PS256,
        }
    }
}

/// An identity claim that can be requested with an identity vector of trust. Each must be
/// registered on the client, or One Login refuses the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentityClaim {
    /// `coreIdentityJWT`: the signed core identity. Always requested.
    CoreIdentity,
    /// `address`.
    Address,
    /// `passport`.
    Passport,
    /// `drivingPermit`.
    DrivingPermit,
    /// `returnCode`.
    ReturnCode,
}

impl IdentityClaim {
    /// Every claim.
    pub const ALL: [IdentityClaim; 5] = [
        IdentityClaim::CoreIdentity,
        IdentityClaim::Address,
        IdentityClaim::Passport,
        IdentityClaim::DrivingPermit,
        IdentityClaim::ReturnCode,
    ];
    /// The short name used in `ONE_LOGIN_IDENTITY_CLAIMS`, such as `drivingPermit`.
    pub const fn name(self) -> &'static str {
        match self {
            IdentityClaim::CoreIdentity => "coreIdentityJWT",
            IdentityClaim::Address => "address",
            IdentityClaim::Passport => "passport",
            IdentityClaim::DrivingPermit => "drivingPermit",
            IdentityClaim::ReturnCode => "returnCode",
        }
    }
    /// The claim URI, such as `https://vocab.account.gov.uk/v1/address`.
    pub fn uri(self) -> String {
        format!("https://vocab.account.gov.uk/v1/{}", self.name())
    }
    /// Parses a short name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The paths of the routes the adapters mount. The callback path is the redirect URI's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    /// Starts a sign-in (GET, `?level=…&return_to=…`), default `/auth/login`.
    pub login: String,
    /// Sign-out (POST with the session's CSRF token), default `/auth/logout`.
    pub logout: String,
    /// Back-channel logout (POST from One Login), default `/auth/backchannel-logout`.
    pub backchannel_logout: String,
    /// Our public JWKS, when published.
    pub jwks: Option<String>,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            login: "/auth/login".into(),
            logout: "/auth/logout".into(),
            backchannel_logout: "/auth/backchannel-logout".into(),
            jwks: None,
        }
    }
}

/// The builder state before a signing key is set: [`ConfigBuilder::build`] does not exist yet.
#[derive(Debug)]
pub struct NoKey;

/// The builder state once the RSA signing key is set.
pub struct WithKey(SigningKey);

impl std::fmt::Debug for WithKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WithKey([redacted])")
    }
}

/// Our RSA signing key, for `private_key_jwt` client assertions and request objects.
#[derive(Clone)]
pub(crate) struct SigningKey {
    pub(crate) key: EncodingKey,
    pub(crate) public: Jwk,
}

impl SigningKey {
    fn from_pem(pem: &[u8]) -> Result<Self, ConfigError> {
        let key = match EncodingKey::from_rsa_pem(pem) {
            Ok(key) => key,
            Err(_) if EncodingKey::from_ec_pem(pem).is_ok() => {
                return Err(ConfigError::EcKeyNotAccepted);
            }
            Err(e) => {
                return Err(ConfigError::invalid(
                    "ONE_LOGIN_PRIVATE_KEY",
                    format!("not an RSA private key in PEM form ({e})"),
                ));
            }
        };
        let public = Jwk::from_encoding_key(&key, Algorithm::RS256)
            .map_err(|e| ConfigError::invalid("ONE_LOGIN_PRIVATE_KEY", format!("unusable RSA key ({e})")))?;
        Ok(Self { key, public })
    }
}

/// Builds a [`Config`]. Start with [`Config::builder`].
#[derive(Debug)]
#[must_use]
pub struct ConfigBuilder<K = NoKey> {
    settings: Settings,
    key: K,
}

/// Everything but the key, as set so far.
#[derive(Debug)]
struct Settings {
    environment: Environment,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    post_logout_redirect_uri: Option<String>,
    scopes: Vec<String>,
    ui_locales: Option<String>,
    identity_issuer: Option<String>,
    did_url: Option<String>,
    id_token_alg: IdTokenAlgorithm,
    client_signing_alg: ClientSigningAlgorithm,
    key_id: Option<String>,
    clock_skew: Duration,
    request_objects: bool,
    identity_claims: Vec<IdentityClaim>,
    user_agent: String,
    http_timeout: Duration,
    session_ttl: Duration,
    session_idle_timeout: Duration,
    pending_login_ttl: Duration,
    store: StoreSettings,
    key_cache_floor: Duration,
    key_cache_ceiling: Duration,
    unknown_kid_refetch_interval: Duration,
    routes: Routes,
}

/// The longest clock-skew leeway accepted: ID tokens live only 120 seconds.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);

impl<K> ConfigBuilder<K> {
    /// The client id from One Login's admin tool (`ONE_LOGIN_CLIENT_ID`).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.settings.client_id = Some(client_id.into());
        self
    }
    /// The registered callback URL, such as `https://service.example/auth/callback`
    /// (`ONE_LOGIN_REDIRECT_URI`). Its path is the callback route the adapters mount.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.settings.redirect_uri = Some(uri.into());
        self
    }
    /// Where One Login sends the user after sign-out (`ONE_LOGIN_POST_LOGOUT_REDIRECT_URI`).
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.settings.post_logout_redirect_uri = Some(uri.into());
        self
    }
    /// Scopes (`ONE_LOGIN_SCOPES`, default `openid email phone`). Must include `openid`.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.settings.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }
    /// `en` or `cy` (`ONE_LOGIN_UI_LOCALES`).
    pub fn ui_locales(mut self, locales: impl Into<String>) -> Self {
        self.settings.ui_locales = Some(locales.into());
        self
    }
    /// Overrides the core identity issuer (`ONE_LOGIN_IDENTITY_ISSUER`).
    pub fn identity_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.settings.identity_issuer = Some(issuer.into());
        self
    }
    /// Overrides the DID document URL (`ONE_LOGIN_DID_URL`).
    pub fn did_url(mut self, url: impl Into<String>) -> Self {
        self.settings.did_url = Some(url.into());
        self
    }
    /// The registered ID token algorithm (`ONE_LOGIN_ID_TOKEN_ALG`, default ES256).
    pub fn id_token_alg(mut self, alg: IdTokenAlgorithm) -> Self {
        self.settings.id_token_alg = alg;
        self
    }
    /// RS256 (default) or PS256 for client assertions and request objects
    /// (`ONE_LOGIN_CLIENT_ASSERTION_ALG`).
    pub fn client_signing_alg(mut self, alg: ClientSigningAlgorithm) -> Self {
        self.settings.client_signing_alg = alg;
        self
    }
    /// The `kid` to put in our JWT headers, needed when One Login fetches our keys from a
    /// published JWKS (`ONE_LOGIN_PRIVATE_KEY_ID`).
    pub fn key_id(mut self, kid: impl Into<String>) -> Self {
        self.settings.key_id = Some(kid.into());
        self
    }
    /// Leeway on token times (`ONE_LOGIN_CLOCK_SKEW_SECONDS`, default 30, at most 60).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.settings.clock_skew = skew;
        self
    }
    /// Whether to send a signed request object (`ONE_LOGIN_REQUEST_OBJECT`, default true).
    pub fn request_objects(mut self, enabled: bool) -> Self {
        self.settings.request_objects = enabled;
        self
    }
    /// The identity claims to request with an identity level (`ONE_LOGIN_IDENTITY_CLAIMS`,
    /// space- or comma-separated short names). `coreIdentityJWT` is always requested, and is
    /// the default; add only what is registered on the client (One Login refuses the rest).
    pub fn identity_claims(mut self, claims: impl IntoIterator<Item = IdentityClaim>) -> Self {
        self.settings.identity_claims = claims.into_iter().collect();
        self
    }
    /// The User-Agent on every call to One Login (`ONE_LOGIN_USER_AGENT`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.settings.user_agent = ua.into();
        self
    }
    /// The timeout of each call to One Login (default 10 s).
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.settings.http_timeout = timeout;
        self
    }
    /// How long a signed-in session lasts whatever its activity (`ONE_LOGIN_SESSION_LIFETIME`,
    /// default 8 hours; One Login recommends at least its own hour).
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.settings.session_ttl = ttl;
        self
    }
    /// Ends a session after this long without a request (`ONE_LOGIN_SESSION_IDLE_TIMEOUT`,
    /// default 30 minutes), beside the absolute [`ConfigBuilder::session_ttl`]. The deadline
    /// moves at most about once a minute per session, so requests do not write to the store.
    ///
    /// ```
    /// # use govuk_one_login::{Config, Environment};
    /// # use std::time::Duration;
    /// let builder = Config::builder(Environment::Integration).session_idle_timeout(Duration::from_secs(15 * 60));
    /// # let _ = builder;
    /// ```
    pub fn session_idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.session_idle_timeout = timeout;
        self
    }
    /// Where sessions, pending logins, revocations and replay records live
    /// (`ONE_LOGIN_SESSION_STORE`, `REDIS_URL`, `ONE_LOGIN_REDIS_*`). In memory by default.
    ///
    /// ```
    /// # use govuk_one_login::{Config, Environment};
    /// use govuk_one_login::store::{RedisSettings, StoreSettings};
    /// let builder = Config::builder(Environment::Integration)
    ///     .session_store(StoreSettings::Redis(RedisSettings::new("redis://127.0.0.1:6379").prefix("my-service:")));
    /// # let _ = builder;
    /// ```
    pub fn session_store(mut self, store: StoreSettings) -> Self {
        self.settings.store = store;
        self
    }
    /// How long a started sign-in may take (default 10 minutes).
    pub fn pending_login_ttl(mut self, ttl: Duration) -> Self {
        self.settings.pending_login_ttl = ttl;
        self
    }
    /// Bounds on the cache lifetime taken from `Cache-Control: max-age` for discovery, JWKS
    /// and DID documents (default 60 s to 24 h).
    pub fn key_cache_bounds(mut self, floor: Duration, ceiling: Duration) -> Self {
        self.settings.key_cache_floor = floor;
        self.settings.key_cache_ceiling = ceiling;
        self
    }
    /// The shortest time between two refetches caused by an unknown `kid` (default 60 s), so
    /// that forged key ids cannot make the service hammer One Login.
    pub fn unknown_kid_refetch_interval(mut self, interval: Duration) -> Self {
        self.settings.unknown_kid_refetch_interval = interval;
        self
    }
    /// The path of the sign-in route (GET, default `/auth/login`).
    pub fn login_path(mut self, path: impl Into<String>) -> Self {
        self.settings.routes.login = path.into();
        self
    }
    /// The path of the sign-out route (POST, default `/auth/logout`).
    pub fn logout_path(mut self, path: impl Into<String>) -> Self {
        self.settings.routes.logout = path.into();
        self
    }
    /// The path of the back-channel logout route (POST, default `/auth/backchannel-logout`).
    pub fn backchannel_logout_path(mut self, path: impl Into<String>) -> Self {
        self.settings.routes.backchannel_logout = path.into();
        self
    }
    /// Publishes our public key as a JWKS at this path (such as `/.well-known/jwks.json`), so
    /// One Login can fetch it and keys can rotate. Off by default.
    pub fn publish_jwks_at(mut self, path: impl Into<String>) -> Self {
        self.settings.routes.jwks = Some(path.into());
        self
    }
    /// Our RSA private key in PEM form (`ONE_LOGIN_PRIVATE_KEY` or `ONE_LOGIN_PRIVATE_KEY_FILE`).
    /// An EC key is refused: One Login verifies client keys only with RSA.
    pub fn signing_key_pem(self, pem: impl AsRef<[u8]>) -> Result<ConfigBuilder<WithKey>, ConfigError> {
        let key = SigningKey::from_pem(pem.as_ref())?;
        Ok(ConfigBuilder { settings: self.settings, key: WithKey(key) })
    }
}

fn parse_url(var: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::invalid(var, format!("`{value}` is not a URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => {
            Err(ConfigError::invalid(var, "plain http is allowed only on loopback (127.0.0.1, localhost, [::1])"))
        }
        other => Err(ConfigError::invalid(var, format!("scheme `{other}` is not https"))),
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

impl ConfigBuilder<WithKey> {
    /// Checks everything and builds the configuration.
    pub fn build(self) -> Result<Config, ConfigError> {
        let ConfigBuilder { settings, key } = self;
        let (issuer, identity_issuer, did_url) = settings.environment.urls();
        parse_url(
            match settings.environment {
                Environment::Custom { .. } => "ONE_LOGIN_ISSUER",
                _ => "ONE_LOGIN_ENVIRONMENT",
            },
            &issuer,
        )?;
        let client_id = settings.client_id.filter(|c| !c.trim().is_empty()).ok_or(ConfigError::Missing {
            var: "ONE_LOGIN_CLIENT_ID",
            hint: "the client id from One Login's admin tool",
        })?;
        let redirect_uri = parse_url(
            "ONE_LOGIN_REDIRECT_URI",
            settings.redirect_uri.as_deref().ok_or(ConfigError::Missing {
                var: "ONE_LOGIN_REDIRECT_URI",
                hint: "the registered callback URL, such as https://service.example/auth/callback",
            })?,
        )?;
        if redirect_uri.query().is_some() || redirect_uri.fragment().is_some() {
            return Err(ConfigError::invalid("ONE_LOGIN_REDIRECT_URI", "must have no query or fragment"));
        }
        let post_logout_redirect_uri = settings
            .post_logout_redirect_uri
            .as_deref()
            .map(|u| parse_url("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI", u))
            .transpose()?;
        if !settings.scopes.iter().any(|s| s == "openid") {
            return Err(ConfigError::invalid("ONE_LOGIN_SCOPES", "must include `openid`"));
        }
        if let Some(bad) = settings.scopes.iter().find(|s| s.is_empty() || s.contains(char::is_whitespace)) {
            return Err(ConfigError::invalid("ONE_LOGIN_SCOPES", format!("scope `{bad}` is not a single token")));
        }
        if let Some(l) = &settings.ui_locales
            && l.split(' ').any(|t| !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || t.is_empty())
        {
            return Err(ConfigError::invalid("ONE_LOGIN_UI_LOCALES", "expected language tags such as `en` or `cy`"));
        }
        let identity_issuer = settings.identity_issuer.unwrap_or(identity_issuer);
        parse_url("ONE_LOGIN_IDENTITY_ISSUER", &identity_issuer)?;
        let did_url = parse_url("ONE_LOGIN_DID_URL", settings.did_url.as_deref().unwrap_or(&did_url))?;
        if settings.clock_skew > MAX_CLOCK_SKEW {
            return Err(ConfigError::invalid(
                "ONE_LOGIN_CLOCK_SKEW_SECONDS",
                format!("{}s is over the maximum of 60s (ID tokens live 120s)", settings.clock_skew.as_secs()),
            ));
        }
        if settings.user_agent.trim().is_empty() || !settings.user_agent.chars().all(|c| (' '..='~').contains(&c)) {
            return Err(ConfigError::invalid("ONE_LOGIN_USER_AGENT", "must be non-empty printable ASCII"));
        }
        if settings.session_ttl < Duration::from_secs(1) {
            return Err(ConfigError::invalid("ONE_LOGIN_SESSION_LIFETIME", "must be at least one second"));
        }
        if settings.session_idle_timeout < Duration::from_secs(1) {
            return Err(ConfigError::invalid("ONE_LOGIN_SESSION_IDLE_TIMEOUT", "must be at least one second"));
        }
        if let StoreSettings::Redis(redis) = &settings.store {
            redis.check()?;
        }
        if settings.key_cache_floor > settings.key_cache_ceiling {
            return Err(ConfigError::invalid("key_cache_bounds", "the floor is above the ceiling"));
        }
        for (var, path) in [
            ("login_path", Some(&settings.routes.login)),
            ("logout_path", Some(&settings.routes.logout)),
            ("backchannel_logout_path", Some(&settings.routes.backchannel_logout)),
            ("publish_jwks_at", settings.routes.jwks.as_ref()),
        ] {
            if let Some(p) = path
                && (!p.starts_with('/') || p.contains(['?', '#']) || p == redirect_uri.path())
            {
                return Err(ConfigError::invalid(
                    var,
                    format!("`{p}` must be a plain absolute path, distinct from the callback"),
                ));
            }
        }
        let discovery_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let mut key = key.0;
        key.public.common.key_id = settings.key_id.clone();
        key.public.common.key_algorithm = Some(settings.client_signing_alg.jwt().into());
        key.public.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(Config {
            environment: settings.environment,
            issuer,
            discovery_url,
            identity_issuer,
            did_url,
            client_id: ClientId::new(client_id),
            redirect_uri,
            post_logout_redirect_uri,
            scopes: settings.scopes,
            ui_locales: settings.ui_locales,
            id_token_alg: settings.id_token_alg,
            client_signing_alg: settings.client_signing_alg,
            key_id: settings.key_id,
            signing_key: key,
            clock_skew: settings.clock_skew,
            request_objects: settings.request_objects,
            identity_claims: settings.identity_claims.iter().fold(vec![IdentityClaim::CoreIdentity], |mut all, c| {
                if !all.contains(c) {
                    all.push(*c);
                }
                all
            }),
            user_agent: settings.user_agent,
            http_timeout: settings.http_timeout,
            session_ttl: settings.session_ttl,
            session_idle_timeout: settings.session_idle_timeout,
            pending_login_ttl: settings.pending_login_ttl,
            store: settings.store,
            key_cache_floor: settings.key_cache_floor,
            key_cache_ceiling: settings.key_cache_ceiling,
            unknown_kid_refetch_interval: settings.unknown_kid_refetch_interval,
            routes: settings.routes,
        })
    }
}

/// A checked configuration. Build it with [`Config::builder`] or [`Config::from_env`].
#[derive(Clone)]
pub struct Config {
    pub(crate) environment: Environment,
    pub(crate) issuer: String,
    pub(crate) discovery_url: String,
    pub(crate) identity_issuer: String,
    pub(crate) did_url: Url,
    pub(crate) client_id: ClientId,
    pub(crate) redirect_uri: Url,
    pub(crate) post_logout_redirect_uri: Option<Url>,
    pub(crate) scopes: Vec<String>,
    pub(crate) ui_locales: Option<String>,
    pub(crate) id_token_alg: IdTokenAlgorithm,
    pub(crate) client_signing_alg: ClientSigningAlgorithm,
    pub(crate) key_id: Option<String>,
    pub(crate) signing_key: SigningKey,
    pub(crate) clock_skew: Duration,
    pub(crate) request_objects: bool,
    pub(crate) identity_claims: Vec<IdentityClaim>,
    pub(crate) user_agent: String,
    pub(crate) http_timeout: Duration,
    pub(crate) session_ttl: Duration,
    pub(crate) session_idle_timeout: Duration,
    pub(crate) pending_login_ttl: Duration,
    pub(crate) store: StoreSettings,
    pub(crate) key_cache_floor: Duration,
    pub(crate) key_cache_ceiling: Duration,
    pub(crate) unknown_kid_refetch_interval: Duration,
    pub(crate) routes: Routes,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("signing_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Starts a builder for an environment.
    pub fn builder(environment: Environment) -> ConfigBuilder<NoKey> {
        let settings = Settings {
            environment,
            client_id: None,
            redirect_uri: None,
            post_logout_redirect_uri: None,
            scopes: vec!["openid".into(), "email".into(), "phone".into()],
            ui_locales: None,
            identity_issuer: None,
            did_url: None,
            id_token_alg: IdTokenAlgorithm::Es256,
            client_signing_alg: ClientSigningAlgorithm::Rs256,
            key_id: None,
            clock_skew: Duration::from_secs(30),
            request_objects: true,
            identity_claims: vec![IdentityClaim::CoreIdentity],
            user_agent: concat!("govuk-one-login-rs/", env!("CARGO_PKG_VERSION")).into(),
            http_timeout: Duration::from_secs(10),
            session_ttl: Duration::from_secs(8 * 3600),
            session_idle_timeout: Duration::from_secs(30 * 60),
            pending_login_ttl: Duration::from_secs(600),
            store: StoreSettings::default(),
            key_cache_floor: Duration::from_secs(60),
            key_cache_ceiling: Duration::from_secs(86_400),
            unknown_kid_refetch_interval: Duration::from_secs(60),
            routes: Routes::default(),
        };
        ConfigBuilder { settings, key: NoKey }
    }

    /// The environment.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }
    /// The OIDC issuer, exactly as tokens carry it.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The core identity issuer.
    pub fn identity_issuer(&self) -> &str {
        &self.identity_issuer
    }
    /// The DID document URL.
    pub fn did_url(&self) -> &str {
        self.did_url.as_str()
    }
    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }
    /// The registered callback URL.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }
    /// The path of the callback route, taken from the redirect URI.
    pub fn callback_path(&self) -> &str {
        self.redirect_uri.path()
    }
    /// Where One Login sends the user after sign-out.
    pub fn post_logout_redirect_uri(&self) -> Option<&Url> {
        self.post_logout_redirect_uri.as_ref()
    }
    /// The scopes.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }
    /// The User-Agent sent on every call.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }
    /// The leeway applied to token times.
    pub fn clock_skew(&self) -> Duration {
        self.clock_skew
    }
    /// How long a signed-in session lasts.
    pub fn session_ttl(&self) -> Duration {
        self.session_ttl
    }
    /// How long a session lives without a request.
    pub fn session_idle_timeout(&self) -> Duration {
        self.session_idle_timeout
    }
    /// Where state lives.
    pub fn session_store(&self) -> &StoreSettings {
        &self.store
    }
    /// Whether cookies get the `Secure` attribute and the `__Host-` prefix: always, unless the
    /// redirect URI is plain http on loopback (local development).
    pub fn secure_cookies(&self) -> bool {
        self.redirect_uri.scheme() == "https"
    }
    /// The routes the adapters mount.
    pub fn routes(&self) -> &Routes {
        &self.routes
    }
    /// The identity claims requested with an identity level (`coreIdentityJWT` first).
    pub fn identity_claims(&self) -> &[IdentityClaim] {
        &self.identity_claims
    }
    /// Whether the login request goes as a signed request object.
    pub fn request_objects(&self) -> bool {
        self.request_objects
    }
    /// Our public key as a JWK set, for a `/.well-known/jwks.json` route that One Login can
    /// fetch (set a key id with [`ConfigBuilder::key_id`] when publishing).
    pub fn public_jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.signing_key.public] })
    }
}

#[cfg(test)]
mod tests;
