//! The crate's error type, [`Error`]: what went wrong, by stage.

use std::fmt;

use http::StatusCode;

use super::{
    AuthorizeError, CallbackError, LevelError, OpErrorCode, ProviderError, SessionDataError, TokenError, TokenKind,
    write_chain,
};
use crate::config::ConfigError;
use crate::store::StoreError;

/// Everything that can go wrong, by stage. `Debug` prints the message and its causes.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is incomplete or inconsistent (found at start-up).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A level string could not be parsed.
    #[error(transparent)]
    Level(#[from] LevelError),
    /// The login could not be started.
    #[error(transparent)]
    Authorize(#[from] AuthorizeError),
    /// The browser's return to the callback was refused, or One Login reported an error there.
    #[error(transparent)]
    Callback(#[from] CallbackError),
    /// A call to One Login failed, or its answer could not be used.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A token failed verification.
    #[error("{kind} rejected: {source}")]
    Token {
        /// Which token.
        kind: TokenKind,
        /// What check failed.
        #[source]
        source: TokenError,
    },
    /// The session store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The application's session data could not be read or written as asked.
    #[error(transparent)]
    SessionData(#[from] SessionDataError),
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_chain(self, f)
    }
}

impl Error {
    pub(crate) fn token(kind: TokenKind) -> impl Fn(TokenError) -> Error + Copy {
        move |source| Error::Token { kind, source }
    }

    /// The HTTP status a service should answer with for this error.
    pub fn http_status(&self) -> StatusCode {
        match self {
            Error::Store(StoreError::Decode { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Authorize(AuthorizeError::TooManySignIns { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Authorize(AuthorizeError::InvalidSignInLink { .. }) => StatusCode::BAD_REQUEST,
            Error::Level(_) | Error::Authorize(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Callback(CallbackError::OneLogin { code, .. }) => match code {
                OpErrorCode::AccessDenied => StatusCode::FORBIDDEN,
                OpErrorCode::LoginRequired => StatusCode::UNAUTHORIZED,
                OpErrorCode::TemporarilyUnavailable | OpErrorCode::ServerError => StatusCode::SERVICE_UNAVAILABLE,
                OpErrorCode::UnauthorizedClient => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_GATEWAY,
            },
            Error::Callback(_) => StatusCode::BAD_REQUEST,
            Error::Provider(ProviderError::Timeout { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            // One Login says it is unavailable or busy: so does the answer (another 5xx is a
            // broken upstream, a bad gateway).
            Error::Provider(ProviderError::Status { status: 429 | 503, .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Provider(_) => StatusCode::BAD_GATEWAY,
            Error::Token { kind: TokenKind::LogoutToken, .. } => StatusCode::BAD_REQUEST,
            Error::Token { .. } => StatusCode::BAD_GATEWAY,
            Error::SessionData(SessionDataError::NoSession) => StatusCode::UNAUTHORIZED,
            Error::SessionData(SessionDataError::CrossSite) => StatusCode::FORBIDDEN,
            Error::SessionData(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short message that is safe to show to a user: no internals, no One Login
    /// `error_description`, no token content. It is the message of its
    /// [`problem_kind`](Self::problem_kind).
    pub fn public_message(&self) -> &'static str {
        self.problem_kind().message()
    }

    /// Whether the service must end the user's local session (One Login's `login_required`).
    pub fn ends_session(&self) -> bool {
        matches!(self, Error::Callback(CallbackError::OneLogin { code: OpErrorCode::LoginRequired, .. }))
    }
}
