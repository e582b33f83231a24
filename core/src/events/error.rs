//! Why a SET or a token request was refused, typed, with the RFC 8935 or RFC 6749 error code
//! each one is answered with.

use http::StatusCode;

use crate::error::{ProviderError, TokenError};
use crate::store::StoreError;

/// A pushed SET that was not accepted. Each variant answers with the RFC 8935 error code
/// [`code`](Self::code) and the status [`http_status`](Self::http_status); none carries the
/// token or personal data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// No usable bearer token: 401 with `WWW-Authenticate: Bearer`.
    #[error("the transmitter's access token is {0}")]
    Unauthenticated(&'static str),
    /// The content type is not `application/secevent+jwt`: 415.
    #[error("content type `{0}` is not application/secevent+jwt")]
    WrongContentType(String),
    /// The body is over the limit or could not be read: 413.
    #[error("the body is larger than {max} bytes or could not be read")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// Not a SET this receiver can read, or an event that does not fit its definition
    /// (`invalid_request`).
    #[error("invalid SET: {0}")]
    InvalidRequest(String),
    /// The signing key is unknown or the signature does not verify (`invalid_key`).
    #[error("SET key refused: {0}")]
    InvalidKey(TokenError),
    /// `iss` is not the configured transmitter (`invalid_issuer`).
    #[error("SET issuer `{found}` is not the configured `{expected}` (compared exactly, trailing `/` included)")]
    InvalidIssuer {
        /// The configured issuer.
        expected: String,
        /// What the SET said (log-safe).
        found: String,
    },
    /// `aud` does not name this receiver (`invalid_audience`).
    #[error("SET audience does not include the configured `{expected}`")]
    InvalidAudience {
        /// The configured audience.
        expected: String,
    },
    /// The transmitter's keys could not be fetched (503: the transmitter retries).
    #[error("the transmitter's keys could not be fetched: {0}")]
    Keys(#[source] ProviderError),
    /// The SET names a key the cached key set lacks, and the set could not be refreshed just
    /// now (refetched a moment before, or the refetch failed): 503, so that the transmitter
    /// retries once a rotated key can be fetched, rather than a 400 that drops the event.
    #[error("the SET's key is not in the transmitter's key set as last fetched, and it could not be refetched yet")]
    KeysNotRefreshed,
    /// The store failed (503: the transmitter retries).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The action the receiver takes by itself (ending sessions) failed (503).
    #[error("the security event could not be acted on: {0}")]
    Action(#[source] Box<crate::Error>),
    /// Acting on the SET was cut short: a handler panicked, the actions took longer than
    /// [`ACT_TIMEOUT`](super::ACT_TIMEOUT), or the runtime stopped (503: the transmitter retries).
    #[error("the security event could not be acted on: {0}")]
    Interrupted(&'static str),
    /// An application handler failed (500: the transmitter retries).
    #[error("a security event handler failed: {0}")]
    Handler(#[source] super::HandlerError),
}

impl EventError {
    /// Every code [`code`](Self::code) gives.
    #[cfg(feature = "openapi")]
    pub(crate) const CODES: [&'static str; 4] =
        ["invalid_request", "invalid_key", "invalid_issuer", "invalid_audience"];

    /// The RFC 8935 `err` code of a 400 answer; `None` for the answers that are not 400.
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            EventError::InvalidRequest(_) => "invalid_request",
            EventError::InvalidKey(_) => "invalid_key",
            EventError::InvalidIssuer { .. } => "invalid_issuer",
            EventError::InvalidAudience { .. } => "invalid_audience",
            _ => return None,
        })
    }

    /// The status to answer with.
    pub fn http_status(&self) -> StatusCode {
        match self {
            EventError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            EventError::WrongContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            EventError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            EventError::InvalidRequest(_)
            | EventError::InvalidKey(_)
            | EventError::InvalidIssuer { .. }
            | EventError::InvalidAudience { .. } => StatusCode::BAD_REQUEST,
            EventError::Keys(_)
            | EventError::KeysNotRefreshed
            | EventError::Store(_)
            | EventError::Action(_)
            | EventError::Interrupted(_) => StatusCode::SERVICE_UNAVAILABLE,
            EventError::Handler(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A refused request at the token endpoint, answered with its RFC 6749 §5.2 error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRequestError {
    /// A missing or repeated parameter, a body that is not a form, or two client
    /// authentication methods at once (`invalid_request`, 400).
    #[error("invalid token request: {0}")]
    InvalidRequest(&'static str),
    /// Unknown client or wrong secret (`invalid_client`, 401).
    #[error("the client could not be authenticated")]
    InvalidClient,
    /// A grant other than `client_credentials` (`unsupported_grant_type`, 400).
    #[error("only the client_credentials grant is supported")]
    UnsupportedGrantType,
}

impl TokenRequestError {
    /// One of each kind (their codes are [`code`](Self::code)'s every value).
    #[cfg(feature = "openapi")]
    pub(crate) const ALL: [TokenRequestError; 3] = [
        TokenRequestError::InvalidRequest("a missing or repeated parameter"),
        TokenRequestError::InvalidClient,
        TokenRequestError::UnsupportedGrantType,
    ];

    /// The OAuth `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            TokenRequestError::InvalidRequest(_) => "invalid_request",
            TokenRequestError::InvalidClient => "invalid_client",
            TokenRequestError::UnsupportedGrantType => "unsupported_grant_type",
        }
    }
    /// The status to answer with.
    pub fn http_status(&self) -> StatusCode {
        match self {
            TokenRequestError::InvalidClient => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}
