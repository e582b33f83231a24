use std::path::PathBuf;

/// A configuration problem, found at start-up. Each variant names the environment variable
/// (and so the builder setter) to fix.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required value is missing.
    #[error("{var} is not set: {hint}")]
    Missing {
        /// The environment variable (the builder setter has the matching name).
        var: &'static str,
        /// What to set it to.
        hint: &'static str,
    },
    /// A value could not be used.
    #[error("{var} is invalid: {reason}")]
    Invalid {
        /// The environment variable (the builder setter has the matching name).
        var: &'static str,
        /// Why.
        reason: String,
    },
    /// The private key is an EC key. One Login verifies client assertions and request objects
    /// only with RSA keys.
    #[error(
        "ONE_LOGIN_PRIVATE_KEY is an EC key, but One Login accepts only RSA client keys (RS256/PS256): generate one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`"
    )]
    EcKeyNotAccepted,
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
    HttpClient(#[source] reqwest::Error),
}

/// The message and its causes, so that `main() -> Result<(), Box<dyn Error>>` (which prints
/// `Debug`) shows what to fix rather than a bare variant name.
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::error::write_chain(self, f)
    }
}

impl ConfigError {
    pub(crate) fn invalid(var: &'static str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid { var, reason: reason.into() }
    }
}
