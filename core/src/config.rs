//! Configuration: [`Config`] and its builder. The items are re-exported at the crate root;
//! the guide is on [`Config`] (`config/guide.md`).

mod check;
pub(crate) mod env;
mod error;

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, jwk::Jwk};
use url::Url;

pub(crate) use check::url as check_url;
pub use error::{ConfigError, ConfigSource};

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

/// The form of the signed request object: One Login's, or OpenID Connect's for a standard
/// provider. Only the members below differ; outside a request object
/// (`ONE_LOGIN_REQUEST_OBJECT=false`) the query parameters are the same either way.
///
/// | member | [`OneLogin`](Self::OneLogin) (default) | [`Standard`](Self::Standard) |
/// |---|---|---|
/// | `claims` | a JSON string, `"{\"userinfo\":{…}}"` | a JSON object (OpenID Connect Core 5.5) |
/// | `vtr` | a JSON array, `["Cl.Cm"]` | the JSON text as a string, `"[\"Cl.Cm\"]"`, as an extension parameter's value |
/// | `aud` | the authorize URL, as One Login's docs give it | the issuer (RFC 9101 section 4) |
///
/// One Login's live service accepts `claims` either way, but its simulator, which service teams
/// test with, answers 500 to an object; One Login's own relying-party stub sends the string. A
/// standard provider (such as oidc-provider, see `docs/interop.md`) reads a JSON array member
/// as a repeated parameter, and refuses it, and wants its issuer as the audience. The default
/// is One Login's for every [`Environment`], as each is One Login or stands in for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RequestObjectForm {
    /// As One Login's own tools send it (default).
    #[default]
    OneLogin,
    /// As OpenID Connect Core and RFC 9101 give it, for a standard provider.
    Standard,
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
    /// Sign-out on every device (POST with the session's CSRF token), default
    /// `/auth/sign-out-everywhere`.
    pub sign_out_everywhere: String,
    /// Our public JWKS, when published.
    pub jwks: Option<String>,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            login: "/auth/login".into(),
            logout: "/auth/logout".into(),
            backchannel_logout: "/auth/backchannel-logout".into(),
            sign_out_everywhere: "/auth/sign-out-everywhere".into(),
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
    /// The key pair, parsed and checked once: parsing an RSA private key costs more than a
    /// signature with it (see `client::assertion::sign`).
    pub(crate) pair: std::sync::Arc<aws_lc_rs::signature::RsaKeyPair>,
    pub(crate) public: Jwk,
    /// A secret derived from the private key, which every instance has: the security-event
    /// receiver's keys are derived from it and the client secret, so a captured access token
    /// is no oracle for guessing the secret offline.
    pub(crate) derived_secret: [u8; 32],
    /// Where the key came from, for errors about it.
    pub(crate) origin: ConfigSource,
}

impl SigningKey {
    fn from_pem(pem: &[u8], origin: ConfigSource) -> Result<Self, ConfigError> {
        let key = match EncodingKey::from_rsa_pem(pem) {
            Ok(key) => key,
            Err(_) if EncodingKey::from_ec_pem(pem).is_ok() => return Err(ConfigError::EcKeyNotAccepted { origin }),
            Err(e) => {
                return Err(ConfigError::invalid_at(origin, format!("not an RSA private key in PEM form ({e})")));
            }
        };
        let public = Jwk::from_encoding_key(&key, Algorithm::RS256)
            .map_err(|e| ConfigError::invalid_at(origin, format!("unusable RSA key ({e})")))?;
        // The DER jsonwebtoken keeps is the RSAPrivateKey (PKCS#1), however the PEM wrapped it.
        let pair = aws_lc_rs::signature::RsaKeyPair::from_der(key.as_bytes())
            .map_err(|e| ConfigError::invalid_at(origin, format!("unusable RSA key ({e})")))?;
        let derived_secret = {
            use aws_lc_rs::hmac;
            let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes()), b"govuk-one-login-rs/derived/v1");
            let mut out = [0u8; 32];
            out.copy_from_slice(tag.as_ref());
            out
        };
        Ok(Self { pair: std::sync::Arc::new(pair), public, derived_secret, origin })
    }
}

/// Declares the configuration once. [`Config`]'s own fields are worked out by
/// [`ConfigBuilder::build`]; each setting after them gives its name, the type the builder
/// holds, its default and, when the value needs checking, the function in [`check`] that
/// checks it (into the type after `=>` when [`Config`] holds another). The macro writes the
/// builder's `Settings` with its `Default`, the fields of [`Config`], and `Settings::check`,
/// which runs each setting's check into its field.
macro_rules! settings {
    (
        $(#[$attr:meta])*
        pub struct Config { $($derived:ident: $derived_ty:ty,)* }
        struct Settings { $($field:ident: $ty:ty = $default:expr $(=> $checked:ty)? $(, $check:path)?;)* }
    ) => {
        /// Every setting as the builder holds it.
        #[derive(Debug)]
        struct Settings { $($field: $ty,)* }

        impl Default for Settings {
            fn default() -> Self {
                Self { $($field: $default,)* }
            }
        }

        /// [`Config`]'s fields that are not settings.
        struct Derived { $($derived: $derived_ty,)* }

        $(#[$attr])*
        #[derive(Clone)]
        pub struct Config {
            $(pub(crate) $derived: $derived_ty,)*
            $(pub(crate) $field: settings!(@type $ty $(=> $checked)?),)*
        }

        impl Settings {
            /// Checks each setting on its own, in order, into its field of [`Config`].
            fn check(self, cx: &check::Checks, derived: Derived) -> Result<Config, ConfigError> {
                Ok(Config {
                    $($derived: derived.$derived,)*
                    $($field: settings!(@check self.$field, cx $(, $check)?),)*
                })
            }
        }
    };
    (@type $ty:ty) => { $ty };
    (@type $ty:ty => $checked:ty) => { $checked };
    (@check $value:expr, $cx:expr) => { $value };
    (@check $value:expr, $cx:expr, $check:path) => { $check($value, $cx)? };
}

settings! {
    /// A checked configuration. Build it with [`Config::builder`] or [`Config::from_env`].
    ///
    #[doc = include_str!("config/guide.md")]
    pub struct Config {
        environment: Environment,
        issuer: String,
        discovery_url: String,
        signing_key: SigningKey,
    }
    struct Settings {
        client_id: Option<String> = None => ClientId, check::client_id;
        redirect_uri: Option<String> = None => Url, check::redirect_uri;
        post_logout_redirect_uri: Option<String> = None => Option<Url>, check::post_logout_redirect_uri;
        account_home_url: Option<String> = None => Option<Url>, check::account_home_url;
        scopes: Vec<String> = vec!["openid".into(), "email".into(), "phone".into()], check::scopes;
        ui_locales: Option<String> = None, check::ui_locales;
        identity_issuer: Option<String> = None => String, check::identity_issuer;
        did_url: Option<String> = None => Url, check::did_url;
        id_token_alg: IdTokenAlgorithm = IdTokenAlgorithm::Es256;
        client_signing_alg: ClientSigningAlgorithm = ClientSigningAlgorithm::Rs256;
        key_id: Option<String> = None;
        published_keys: Vec<String> = Vec::new() => Vec<serde_json::Value>, check::published_keys;
        clock_skew: Duration = Duration::from_secs(30), check::clock_skew;
        request_objects: bool = true;
        request_object_form: RequestObjectForm = RequestObjectForm::OneLogin, check::request_object_form;
        identity_claims: Vec<IdentityClaim> = vec![IdentityClaim::CoreIdentity], check::identity_claims;
        user_agent: String = concat!("govuk-one-login-rs/", env!("CARGO_PKG_VERSION")).into(), check::user_agent;
        http_timeout: Duration = Duration::from_secs(10);
        session_ttl: Duration = Duration::from_secs(8 * 3600), check::session_ttl;
        session_idle_timeout: Duration = Duration::from_secs(30 * 60), check::session_idle_timeout;
        identity_reuse_max_age: Duration = Duration::from_secs(3600);
        max_sign_in_starts_per_second: u32 = 100;
        pending_login_ttl: Duration = Duration::from_secs(600);
        store: StoreSettings = StoreSettings::default(), check::store;
        key_cache_floor: Duration = Duration::from_secs(60);
        key_cache_ceiling: Duration = Duration::from_secs(86_400);
        unknown_kid_refetch_interval: Duration = Duration::from_secs(60);
        routes: Routes = Routes::default();
        events: Option<crate::events::EventsSettings> = None => Option<crate::events::EventsConfig>, check::events;
    }
}

/// Builds a [`Config`]. Start with [`Config::builder`].
#[derive(Debug)]
#[must_use]
pub struct ConfigBuilder<K = NoKey> {
    environment: Environment,
    settings: Settings,
    key: K,
    /// Set by [`Config::from_env`], so that errors name the variables rather than the methods.
    from_env: bool,
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
    /// Where the user's GOV.UK One Login account home is, in place of the environment's
    /// ([`Config::account_home`]; `ONE_LOGIN_ACCOUNT_HOME_URL`).
    pub fn account_home_url(mut self, url: impl Into<String>) -> Self {
        self.settings.account_home_url = Some(url.into());
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
    /// The form of the signed request object (`ONE_LOGIN_REQUEST_OBJECT_FORM`, `one-login`, the
    /// default, or `standard`): see [`RequestObjectForm`]. Set [`RequestObjectForm::Standard`]
    /// only for a provider other than One Login; One Login's simulator refuses its `claims`, and
    /// [`build`](ConfigBuilder::build) refuses it for [`Environment::Integration`] and
    /// [`Environment::Production`].
    pub fn request_object_form(mut self, form: RequestObjectForm) -> Self {
        self.settings.request_object_form = form;
        self
    }
    /// The identity claims to request with an identity level (`ONE_LOGIN_IDENTITY_CLAIMS`,
    /// space- or comma-separated short names). `coreIdentityJWT` is always requested, and is
    /// the default; add only what is registered on the client (One Login refuses the rest).
    /// These are also the claims a session keeps: by default the name and birth date only, and
    /// never an address, passport or driving permit that was not asked for.
    pub fn identity_claims(mut self, claims: impl IntoIterator<Item = IdentityClaim>) -> Self {
        self.settings.identity_claims = claims.into_iter().collect();
        self
    }
    /// How old a verified identity may be and still pass into a later sign-in of the same
    /// user that did not ask for one, such as a re-authentication (`ONE_LOGIN_IDENTITY_REUSE_MAX_AGE`,
    /// default `1h`; zero never carries one). An older one is left behind with its session, and
    /// the next route that needs an identity asks One Login again.
    pub fn identity_reuse_max_age(mut self, max_age: Duration) -> Self {
        self.settings.identity_reuse_max_age = max_age;
        self
    }
    /// The most sign-ins this instance starts a second, in bursts of as many
    /// (`ONE_LOGIN_MAX_SIGN_IN_STARTS_PER_SECOND`, default 100; 0 for no limit). Each start
    /// signs a request object and stores a pending login, and an anonymous request to a
    /// guarded page causes one, so this bounds what a flood costs: over it, starts get 503
    /// with `Retry-After` before any work. Only starts for requests without a session count:
    /// signed-in users' requests, step-ups and re-authentications are never refused by it.
    pub fn max_sign_in_starts_per_second(mut self, per_second: u32) -> Self {
        self.settings.max_sign_in_starts_per_second = per_second;
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
    /// The path of the sign-out-on-every-device route (POST, default
    /// `/auth/sign-out-everywhere`).
    pub fn sign_out_everywhere_path(mut self, path: impl Into<String>) -> Self {
        self.settings.routes.sign_out_everywhere = path.into();
        self
    }
    /// Receives One Login's security events (SETs pushed by its Signal Exchange) and serves
    /// the token endpoint its transmitter authenticates at (`ONE_LOGIN_EVENTS_ENABLED` and the
    /// other `ONE_LOGIN_EVENTS_*` variables). Off by default. See [`crate::events`].
    pub fn security_events(mut self, events: crate::events::EventsSettings) -> Self {
        self.settings.events = Some(events);
        self
    }
    /// Further public keys to publish beside the signing key's, for a rotation without a
    /// failed sign-in: the next key before it signs, the previous one for a while after
    /// (`ONE_LOGIN_PUBLISHED_KEYS`). Each is a JWK or a JWKS as JSON text (what
    /// `govuk-one-login jwks` prints): RSA public keys of 2048 bits or more, each with a `kid`.
    /// The JWKS route ([`publish_jwks_at`](Self::publish_jwks_at)) serves the signing key
    /// first, then these.
    pub fn publish_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings.published_keys.extend(keys.into_iter().map(Into::into));
        self
    }
    /// Publishes our public key as a JWKS at this path (such as `/.well-known/jwks.json`), so
    /// One Login can fetch it and keys can rotate (`ONE_LOGIN_JWKS_PATH`). Off by default.
    pub fn publish_jwks_at(mut self, path: impl Into<String>) -> Self {
        self.settings.routes.jwks = Some(path.into());
        self
    }
    /// Our RSA private key in PEM form (`ONE_LOGIN_PRIVATE_KEY` or `ONE_LOGIN_PRIVATE_KEY_FILE`).
    /// An EC key is refused: One Login verifies client keys only with RSA.
    pub fn signing_key_pem(self, pem: impl AsRef<[u8]>) -> Result<ConfigBuilder<WithKey>, ConfigError> {
        self.signing_key(pem.as_ref(), ConfigSource::Builder("ConfigBuilder::signing_key_pem"))
    }

    fn signing_key(self, pem: &[u8], origin: ConfigSource) -> Result<ConfigBuilder<WithKey>, ConfigError> {
        let key = SigningKey::from_pem(pem, origin)?;
        let ConfigBuilder { environment, settings, key: _, from_env } = self;
        Ok(ConfigBuilder { environment, settings, key: WithKey(key), from_env })
    }
}

impl ConfigBuilder<WithKey> {
    /// Checks everything and builds the configuration.
    pub fn build(self) -> Result<Config, ConfigError> {
        let ConfigBuilder { environment, settings, key: WithKey(mut signing_key), from_env } = self;
        let (issuer, identity_issuer, did_url) = environment.urls();
        let cx = check::Checks {
            from_env,
            environment: environment.clone(),
            identity_issuer,
            did_url,
            derived_secret: signing_key.derived_secret,
        };
        check::issuer(&issuer, &cx)?;
        check::not_the_stand_in_key(&signing_key, &issuer)?;
        let discovery_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        signing_key.public.common.key_id.clone_from(&settings.key_id);
        signing_key.public.common.key_algorithm = Some(settings.client_signing_alg.jwt().into());
        signing_key.public.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        let config = settings.check(&cx, Derived { environment, issuer, discovery_url, signing_key })?;
        check::together(&config, &cx)?;
        Ok(config)
    }
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
        ConfigBuilder { environment, settings: Settings::default(), key: NoKey, from_env: false }
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
    /// The user's GOV.UK One Login account home, where a service links "GOV.UK One Login" (the
    /// service header) so that people can manage their sign-in details: the environment's own
    /// (`https://home.integration.account.gov.uk/`, `https://home.account.gov.uk/`), or
    /// [`ConfigBuilder::account_home_url`]'s; `None` for a custom issuer without one (the local
    /// stand-in has no account pages).
    pub fn account_home(&self) -> Option<&Url> {
        self.account_home_url.as_ref()
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
    /// How old a verified identity may be and still pass into a later sign-in that did not
    /// ask for one.
    pub fn identity_reuse_max_age(&self) -> Duration {
        self.identity_reuse_max_age
    }
    /// The most sign-ins this instance starts a second (0: no limit).
    pub fn max_sign_in_starts_per_second(&self) -> u32 {
        self.max_sign_in_starts_per_second
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
    /// The form of the signed request object.
    pub fn request_object_form(&self) -> RequestObjectForm {
        self.request_object_form
    }
    /// The security-event receiver's settings, when it is enabled.
    pub fn security_events(&self) -> Option<&crate::events::EventsConfig> {
        self.events.as_ref()
    }
    /// Our public key as a JWK set, for a `/.well-known/jwks.json` route that One Login can
    /// fetch (set a key id with [`ConfigBuilder::key_id`] when publishing).
    pub fn public_jwks(&self) -> serde_json::Value {
        let current = serde_json::to_value(&self.signing_key.public).unwrap_or_default();
        let same = |k: &serde_json::Value| k.get("n").is_some() && k.get("n") == current.get("n");
        let mut keys = vec![current.clone()];
        keys.extend(self.published_keys.iter().filter(|k| !same(k)).cloned());
        serde_json::json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests;
