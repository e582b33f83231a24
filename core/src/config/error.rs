use std::fmt;
use std::path::PathBuf;

/// Where a configuration value came from, and so where to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigSource {
    /// An environment variable, read by [`Config::from_env`](crate::Config::from_env) or
    /// [`StoreSettings::from_env`](crate::store::StoreSettings::from_env), such as
    /// `ONE_LOGIN_REDIRECT_URI`.
    Env(&'static str),
    /// A method of the builder API, written `Type::method`: `ConfigBuilder::redirect_uri`,
    /// `Config::builder` (for the environment's issuer), or `RedisSettings::prefix` (for
    /// settings given to [`ConfigBuilder::session_store`](crate::ConfigBuilder::session_store)).
    Builder(&'static str),
}

impl ConfigSource {
    /// The variable or method alone, such as `ONE_LOGIN_REDIRECT_URI` or
    /// `ConfigBuilder::redirect_uri`.
    pub fn name(self) -> &'static str {
        match self {
            ConfigSource::Env(name) | ConfigSource::Builder(name) => name,
        }
    }
}

/// `ONE_LOGIN_REDIRECT_URI (environment variable)` or `ConfigBuilder::redirect_uri`.
impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Env(var) => write!(f, "{var} (environment variable)"),
            ConfigSource::Builder(method) => f.write_str(method),
        }
    }
}

/// A configuration problem, found at start-up. A bad or missing value names where it came
/// from ([`ConfigSource`]): the environment variable read, or the builder method called.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required value is missing.
    #[error("{origin} is not set: {hint}")]
    Missing {
        /// The variable to set, or the builder method to call.
        origin: ConfigSource,
        /// What to set it to.
        hint: &'static str,
    },
    /// A value could not be used.
    #[error("{origin}: {reason}")]
    Invalid {
        /// Where the value came from.
        origin: ConfigSource,
        /// Why.
        reason: String,
    },
    /// The private key is an EC key. One Login verifies client assertions and request objects
    /// only with RSA keys.
    #[error(
        "{origin} is an EC key, but One Login accepts only RSA client keys (RS256/PS256): generate one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`"
    )]
    EcKeyNotAccepted {
        /// Where the key came from.
        origin: ConfigSource,
    },
    /// The private key file could not be read.
    #[error("ONE_LOGIN_PRIVATE_KEY_FILE `{path}` could not be read")]
    KeyFile {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built")]
    HttpClient(#[source] crate::transport::TransportError),
}

/// The message and its causes, so that `main() -> Result<(), Box<dyn Error>>` (which prints
/// `Debug`) shows what to fix rather than a bare variant name.
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::write_chain(self, f)
    }
}

impl ConfigError {
    /// Where the bad or missing value came from, when the error is about one value.
    pub fn origin(&self) -> Option<ConfigSource> {
        match self {
            ConfigError::Missing { origin, .. }
            | ConfigError::Invalid { origin, .. }
            | ConfigError::EcKeyNotAccepted { origin } => Some(*origin),
            ConfigError::KeyFile { .. } => Some(ConfigSource::Env("ONE_LOGIN_PRIVATE_KEY_FILE")),
            ConfigError::HttpClient(_) => None,
        }
    }

    pub(crate) fn invalid_at(origin: ConfigSource, reason: impl Into<String>) -> Self {
        ConfigError::Invalid { origin, reason: reason.into() }
    }

    /// A bad value read from the environment variable `var`. The checks outside configuration
    /// (the Redis connection, the TLS set-up) use it too, not knowing where a value came from.
    pub(crate) fn invalid(var: &'static str, reason: impl Into<String>) -> Self {
        Self::invalid_at(ConfigSource::Env(var), reason)
    }
}
