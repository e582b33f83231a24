//! What each stage of [`Error`] says went wrong. Every variant says what failed
//! and what to check; none carries a token, a `sub` or other personal data, so every error is
//! safe to log.

use std::fmt;
use std::time::Duration;

pub use crate::levels::LevelError;

pub(crate) mod top;
pub(crate) use top::Error;

/// Writes an error's message and, after it, each cause's: what `Debug` shows for this crate's
/// errors, so that a `main` returning one prints what to fix.
pub(crate) fn write_chain(error: &dyn std::error::Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Messages that already quote their cause (`… rejected: {source}`) do not repeat it.
        if !text.ends_with(&cause_text) {
            text.push_str(": caused by: ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    f.write_str(&text)
}

/// Why the application's session data ([`SessionHandle`](crate::web::SessionHandle)) could
/// not be read or written. These are the application's mistakes, not the user's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionDataError {
    /// The request has no session to keep data in.
    #[error("there is no session to keep data in: sign the user in first")]
    NoSession,
    /// The browser marked the request as coming from another site (`Sec-Fetch-Site:
    /// cross-site` or `same-site`): session data is not changed by such a request unless it is
    /// a top-level GET or HEAD navigation, and sessions are not ended, on another site's behalf
    /// (cross-site request forgery).
    #[error("the browser says this request came from another site: session data is not changed on its behalf")]
    CrossSite,
    /// An entry name is empty, longer than the limit, or not visible ASCII.
    #[error("a session data name must be 1 to {max} visible ASCII characters")]
    BadName {
        /// The longest name.
        max: usize,
    },
    /// A value's JSON is longer than the limit.
    #[error("a session data value is {length} bytes of JSON; at most {max} are kept")]
    TooLarge {
        /// Its length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// A value could not be turned into JSON, or the JSON kept is not of the type asked for.
    /// The message gives serde's category and position only (its own message can quote the
    /// value, which may be personal data).
    #[error("a session data value could not be converted ({category} error at line {line}, column {column})")]
    Convert {
        /// `syntax`, `data`, `eof` or `io`.
        category: &'static str,
        /// Where in the JSON.
        line: usize,
        /// Where in the line.
        column: usize,
    },
}

/// Why a login could not be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeError {
    /// The authorize URL would exceed One Login's 4,096-character query limit, which its firewall
    /// answers with a 403 page the service never sees.
    #[error(
        "the /authorize query would be {length} characters, over One Login's limit of 4096: shorten login_hint, ui_locales or requested claims"
    )]
    QueryTooLong {
        /// The length the query would have had.
        length: usize,
    },
    /// `login_hint` is over One Login's 256-character limit.
    #[error("login_hint is {length} characters, over One Login's limit of 256")]
    LoginHintTooLong {
        /// Its length.
        length: usize,
    },
    /// `prompt=login` and `login_hint` are honoured only inside a signed request object, and a
    /// requirement's `max_age` needs `prompt=login` when One Login does not apply it.
    #[error("re-authentication, max_age and login_hint need signed request objects: set ONE_LOGIN_REQUEST_OBJECT=true")]
    NeedsRequestObject,
    /// A sign-in link (the sign-in route's query) whose `level` is not a vector of trust, or
    /// whose `max_age` is not a number of seconds: refused with 400 rather than read as another
    /// level. The field names the parameter.
    #[error("the sign-in link's {parameter} is not valid")]
    InvalidSignInLink {
        /// `level` or `max_age`.
        parameter: &'static str,
    },
    /// More sign-ins are being started than this instance's limit allows
    /// (`ONE_LOGIN_MAX_SIGN_IN_STARTS_PER_SECOND`): refused before any work, with 503.
    #[error("more than {per_second} sign-ins a second are being started: refused until the rate falls")]
    TooManySignIns {
        /// The configured limit.
        per_second: u32,
    },
}

/// The callback (`/auth/callback?code=…&state=…`) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// No `state` parameter.
    #[error("the callback has no state parameter")]
    MissingState,
    /// No `state` parameter, but an `error`: what a provider sends when it could not read the
    /// request at all (a refused request object, say). Nothing binds it to a sign-in, so it is
    /// refused as [`MissingState`](Self::MissingState) is; its code and description (cut to 256
    /// printable characters) say why, for the log. Anyone can send one.
    #[error("the callback has no state parameter but the error `{code}`, described as {description:?}")]
    ErrorWithoutState {
        /// The `error` parameter.
        code: OpErrorCode,
        /// The `error_description` parameter, cut and made printable.
        description: Option<String>,
    },
    /// The `state` matches no pending login: it was used already, has expired, or was forged.
    #[error("the callback state matches no pending login (already used, expired after 10 minutes, or forged)")]
    UnknownState,
    /// The pending login was found but has expired.
    #[error("the pending login expired {}s ago: the user took too long at One Login", by.as_secs())]
    Expired {
        /// How long ago it expired.
        by: Duration,
    },
    /// The login was started in another browser (the flow cookie is missing or does not match).
    #[error("the callback came from a browser that did not start this login (flow cookie missing or different)")]
    BrowserMismatch,
    /// No `code` and no `error`.
    #[error("the callback has neither a code nor an error parameter")]
    MissingCode,
    /// A parameter is longer than any One Login issues.
    #[error("callback parameter `{param}` is too long")]
    TooLong {
        /// The parameter's name.
        param: &'static str,
    },
    /// One Login redirected back with an `error`.
    #[error("One Login returned error `{code}`")]
    OneLogin {
        /// The OAuth error code.
        code: OpErrorCode,
        /// One Login's `error_description`: for logs only, never shown to users.
        description: Option<String>,
    },
}

/// An OAuth/OIDC `error` value from One Login's redirect back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpErrorCode {
    /// The user cancelled, lost their session, or identity could not be proven.
    AccessDenied,
    /// One Login or identity proving is overloaded or in maintenance, or a rate limit was hit.
    TemporarilyUnavailable,
    /// Re-authentication failed: One Login has signed the user out, and so must the service.
    LoginRequired,
    /// A bad or missing request parameter (a bug or misconfiguration).
    InvalidRequest,
    /// A scope that is not registered for the client.
    InvalidScope,
    /// The client is deactivated or deprecated.
    UnauthorizedClient,
    /// `response_type` other than `code`.
    UnsupportedResponseType,
    /// One Login failed internally.
    ServerError,
    /// Any other code, kept verbatim (bounded length).
    Other(String),
}

impl OpErrorCode {
    /// Maps an `error` parameter.
    pub fn parse(code: &str) -> Self {
        match code {
            "access_denied" => Self::AccessDenied,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "login_required" => Self::LoginRequired,
            "invalid_request" => Self::InvalidRequest,
            "invalid_scope" => Self::InvalidScope,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "server_error" => Self::ServerError,
            other => Self::Other(other.chars().filter(char::is_ascii_graphic).take(64).collect()),
        }
    }
}

impl fmt::Display for OpErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AccessDenied => "access_denied",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidScope => "invalid_scope",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::Other(s) => s,
        })
    }
}

/// One Login's endpoints, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// `/.well-known/openid-configuration`.
    Discovery,
    /// The OP's `jwks_uri`.
    Jwks,
    /// The DID document with the core identity keys.
    DidDocument,
    /// `/token`.
    Token,
    /// `/userinfo`.
    Userinfo,
    /// The security-event transmitter's key set.
    EventsJwks,
    /// The security-event transmitter's verification endpoint (or its token endpoint).
    EventsVerification,
    /// This service's own published key set, as the doctor fetches it.
    PublishedKeys,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Endpoint::Discovery => "discovery document",
            Endpoint::Jwks => "JWKS",
            Endpoint::DidDocument => "DID document",
            Endpoint::Token => "token endpoint",
            Endpoint::Userinfo => "userinfo endpoint",
            Endpoint::EventsJwks => "security-event transmitter's JWKS",
            Endpoint::EventsVerification => "security-event verification endpoint",
            Endpoint::PublishedKeys => "this service's published JWKS",
        })
    }
}

/// A call to One Login failed, or its answer could not be used. `Clone`: a failed document
/// fetch is remembered for a few seconds and every caller meanwhile gets the same error.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The connection failed.
    #[error("could not reach One Login's {endpoint} at {url}: check the issuer URL and network")]
    Unreachable {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The URL asked (an endpoint of One Login's: no token or personal data is ever in it).
        url: String,
        /// The transport error (shared: a failure fetching a document is remembered for a few
        /// seconds and given to every caller meanwhile).
        #[source]
        source: std::sync::Arc<crate::transport::TransportError>,
    },
    /// No answer within the configured timeout.
    #[error("One Login's {endpoint} at {url} did not answer within the timeout")]
    Timeout {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The URL asked.
        url: String,
    },
    /// An unexpected HTTP status (a 403 often means a missing User-Agent).
    #[error("One Login's {endpoint} answered HTTP {status}")]
    Status {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The status code.
        status: u16,
    },
    /// The answer was not what the protocol says (wrong content type, bad JSON, too large).
    #[error("One Login's {endpoint} sent an unusable answer: {reason}")]
    InvalidResponse {
        /// Which endpoint.
        endpoint: Endpoint,
        /// What was wrong.
        reason: String,
    },
    /// The token endpoint refused the code exchange.
    #[error(
        "the token endpoint refused the code exchange with `{error}`: check the client id, the registered public key, the redirect URI and the clock"
    )]
    TokenRequestRejected {
        /// The OAuth `error` code, such as `invalid_grant` or `invalid_client`.
        error: String,
        /// The `error_description`, for logs.
        description: Option<String>,
    },
    /// The discovery document names another issuer than the one configured.
    #[error(
        "discovery names issuer `{found}`, but `{expected}` is configured: the strings must match exactly, trailing `/` included"
    )]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The discovered issuer.
        found: String,
    },
}

/// Which token failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// The ID token from the token endpoint.
    IdToken,
    /// The `coreIdentityJWT` from userinfo.
    CoreIdentity,
    /// A back-channel `logout_token`.
    LogoutToken,
    /// The userinfo answer as a whole.
    Userinfo,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenKind::IdToken => "ID token",
            TokenKind::CoreIdentity => "core identity JWT",
            TokenKind::LogoutToken => "logout token",
            TokenKind::Userinfo => "userinfo",
        })
    }
}

/// A token check that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a well-formed compact JWS, or its JSON is not the expected shape.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The header's `crit` lists extensions this crate does not understand (RFC 7515
    /// §4.1.11), or is present and empty.
    #[error("the header marks extensions critical that are not supported: [{0}]")]
    UnsupportedCritical(String),
    /// The header `alg` is not the pinned algorithm.
    #[error(
        "algorithm {found} is not allowed: expected {expected} (check ONE_LOGIN_ID_TOKEN_ALG against the client registration)"
    )]
    AlgorithmNotAllowed {
        /// The pinned algorithm.
        expected: &'static str,
        /// The header's algorithm.
        found: String,
    },
    /// The header has no `kid`.
    #[error("the token header has no kid")]
    MissingKeyId,
    /// No key with this `kid`, even after a refetch.
    #[error("no key with kid `{kid}` in the published keys, even after a refetch")]
    UnknownKey {
        /// The header's `kid` (public, not secret).
        kid: String,
    },
    /// The key found has another type or algorithm than the header says.
    #[error("key `{kid}` does not match the header algorithm")]
    KeyMismatch {
        /// The key id.
        kid: String,
    },
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// `iss` is not the expected issuer.
    #[error("issuer is `{found}`, expected `{expected}`")]
    WrongIssuer {
        /// What was expected.
        expected: String,
        /// What the token says.
        found: String,
    },
    /// `aud` does not contain the client id.
    #[error("audience does not contain the client id `{expected}`: check ONE_LOGIN_CLIENT_ID")]
    WrongAudience {
        /// The client id.
        expected: String,
    },
    /// `exp` has passed, beyond the leeway.
    #[error("expired {}s ago (leeway included): check the server clock", by.as_secs())]
    Expired {
        /// How long past `exp` + leeway.
        by: Duration,
    },
    /// `auth_time` is older than the requirement's `max_age`: One Login did not make the user
    /// sign in again (the callback route retries once with `prompt=login`).
    #[error("the sign-in is {}s older than max_age allows (leeway included)", by.as_secs())]
    NotFresh {
        /// How long past `auth_time` + `max_age` + leeway.
        by: Duration,
    },
    /// `iat` or `nbf` is in the future, beyond the leeway.
    #[error(
        "not valid for another {}s (iat/nbf in the future, leeway included): check the server clock",
        by.as_secs()
    )]
    NotYetValid {
        /// How long until it becomes valid.
        by: Duration,
    },
    /// `nonce` does not match the pending login's.
    #[error("nonce does not match the one sent with this login")]
    NonceMismatch,
    /// `vot` does not meet what was requested.
    #[error("level `{found}` does not meet the requested `{required}`")]
    LevelTooLow {
        /// What was requested.
        required: String,
        /// What the token says.
        found: String,
    },
    /// A required claim is missing.
    #[error("required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// The `sub` differs from the ID token's.
    #[error("sub does not match the ID token's sub")]
    SubjectMismatch,
    /// The header `typ` is present and wrong.
    #[error("header typ is `{0}`, expected `logout+jwt`")]
    WrongType(String),
    /// The `events` claim is not exactly the back-channel logout event.
    #[error("events must hold exactly the back-channel logout event with an empty object")]
    BadEvents,
    /// A logout token carried a `nonce`, which the spec forbids.
    #[error("a logout token must not contain a nonce")]
    NonceForbidden,
    /// The `jti` was seen before: a replay.
    #[error("jti was already used: replay refused")]
    Replayed,
    /// The DID key's controller does not match the DID document.
    #[error("the key's controller `{found}` does not match the DID document id `{expected}`")]
    WrongController {
        /// The DID document `id`.
        expected: String,
        /// The controller in the `kid` or key entry.
        found: String,
    },
}

impl SessionDataError {
    pub(crate) fn convert(e: &serde_json::Error) -> Self {
        let JsonFault { category, line, column } = JsonFault::of(e);
        SessionDataError::Convert { category, line, column }
    }
}

/// Where JSON could not be read: serde's category and position, never its message, which can
/// quote the value (a claim, an email address, a stored record's contents) into errors and
/// logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a JSON {category} error at line {line}, column {column}")]
pub struct JsonFault {
    category: &'static str,
    line: usize,
    column: usize,
}

impl JsonFault {
    /// The category and position of `e`.
    pub fn of(e: &serde_json::Error) -> Self {
        let category = match e.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        };
        Self { category, line: e.line(), column: e.column() }
    }
    /// `syntax`, `data`, `eof` or `io`.
    pub fn category(&self) -> &'static str {
        self.category
    }
    /// The line where it failed (1-based; 0 when serde does not say).
    pub fn line(&self) -> usize {
        self.line
    }
    /// The column where it failed.
    pub fn column(&self) -> usize {
        self.column
    }
}
