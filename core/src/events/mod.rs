//! Security events: a receiver for the Security Event Tokens (SETs, RFC 8417) that GOV.UK One
//! Login's Signal Exchange pushes (RFC 8935) under the OpenID Shared Signals Framework, and the
//! client-credentials token endpoint its transmitter authenticates at.
//!
//! Turn it on with [`ConfigBuilder::security_events`](crate::ConfigBuilder::security_events)
//! (or `ONE_LOGIN_EVENTS_ENABLED=true` and the variables below); the adapters then mount
//! `POST /auth/events` (the receiver) and `POST /auth/events/token` (its token endpoint) beside
//! the sign-in routes. Register what the application does with
//! [`OneLoginBuilder::security_event_handlers`](crate::OneLoginBuilder::security_event_handlers).
//!
//! | variable | meaning |
//! |---|---|
//! | `ONE_LOGIN_EVENTS_ENABLED` | `true` to receive events (any other `ONE_LOGIN_EVENTS_*` without it is an error) |
//! | `ONE_LOGIN_EVENTS_AUDIENCE` | the `aud` agreed with One Login (any string) |
//! | `ONE_LOGIN_EVENTS_CLIENT_ID`, `ONE_LOGIN_EVENTS_CLIENT_SECRET` | the credentials the transmitter uses at our token endpoint (a secret of at least 32 characters) |
//! | `ONE_LOGIN_EVENTS_ISSUER` | the transmitter's issuer; default [`ONE_LOGIN_EVENTS_ISSUER`] in integration and production |
//! | `ONE_LOGIN_EVENTS_JWKS_URL` | the transmitter's keys; default [`INTEGRATION_EVENTS_JWKS_URL`] or [`PRODUCTION_EVENTS_JWKS_URL`] |
//! | `ONE_LOGIN_EVENTS_VERIFICATION_URL`, `_CLIENT_ID`, `_CLIENT_SECRET` | turn on the verification client ([`VerificationSettings`]): One Login's verification endpoint and the credentials it gave this service |
//! | `ONE_LOGIN_EVENTS_VERIFICATION_TOKEN_URL` | get a bearer token there first (client credentials, HTTP Basic) |
//! | `ONE_LOGIN_EVENTS_VERIFICATION_INTERVAL` | how often: `10m` (default) |
//!
//! # What a transmitter can expect
//!
//! - **Transport.** `POST` with `Content-Type: application/secevent+jwt` (any other is refused
//!   with 415) and `Authorization: Bearer` with a token from our token endpoint (without one:
//!   401 with `WWW-Authenticate: Bearer`). A body over [`MAX_SET_BODY`] is refused with 413
//!   before it is parsed. An accepted SET gets 202 with an empty body; a refused one 400 with
//!   `{"err": ..., "description": ...}` (`invalid_request`, `invalid_key`, `invalid_issuer`,
//!   `invalid_audience`); a failure on our side (keys, store, an action or a
//!   handler) 5xx, so that the transmitter retries.
//! - **The SET.** `typ` must be exactly `secevent+jwt`; `alg` RS256 or ES256 (configurable;
//!   never `none` or HS*); a `kid` from the transmitter's JWKS (cached, refetched once when
//!   unknown); `iss` equal to the configured issuer exactly, trailing `/` included (a custom
//!   issuer replaces the preset); `aud` a string or a list naming the configured audience (any
//!   string, not necessarily a URL); `iat` not in the future beyond the clock skew and not older
//!   than [`EventsSettings::max_event_age`]; `jti` and a non-empty `events`. A plain-http JWKS
//!   URL is allowed on loopback only, as for One Login's own documents.
//! - **The subject** is taken from the event's own `subject: {format, uri}` (what One Login
//!   sends today) or from a top-level `sub_id` (SSF 1.0); its `uri` is the pairwise `sub`. An
//!   `iss_sub` subject of this service's issuer, and the `user` of a CAEP `complex` subject (or
//!   the identifiers of an `aliases` one), resolve too; an event that should end sessions but
//!   names no user this service can resolve is logged.
//! - **Accepted (202) but not acted on:** unknown event types (unless
//!   [`UnknownEvents::Refuse`]), a SET about a subject with no session, a replayed `jti` (its
//!   events are not handled twice, on any instance), and a verification event.
//! - **Default actions** ([`EventType::default_action`], each overridable with
//!   [`EventsSettings::action`]): session-revoked, credential-change, account-purged,
//!   account-disabled, credential-compromise, the legacy sessions-revoked and accountBlock end
//!   every session of the subject on every instance, through the same revocation as
//!   back-channel logout (so within its bound, counted from the 202); an assurance-level change
//!   drops the verified identity kept with the subject's sessions, so the next identity route
//!   steps up (403 JSON for APIs). A sign-in already in flight when the event arrives keeps the
//!   identity it fetched (revocation has a per-subject time for that case; identity does not).
//! - **Memory store sizing.** Each accepted SET keeps a replay record for the maximum event age
//!   (7 days by default) in the memory store's replay table (200,000 records, shared with
//!   back-channel logout): over about one SET every three seconds, sustained, raise
//!   `MemoryStoreLimits::replay_records`, shorten the age, or use Redis. A full table answers
//!   503 (retried), never drops a record early.
//! - **Verification events** are always accepted (202), whatever their `state`: with the
//!   verification client on ([`VerificationSettings`]), one carrying a `state` this service
//!   made confirms the round that asked for it ([`OneLogin::events_verification_status`](crate::OneLogin::events_verification_status));
//!   any other is logged and confirms nothing.
//! - **Keys.** A `kid` missing from the cached key set refetches it once per
//!   `unknown_kid_refetch_interval`; still missing after a fresh fetch it is `invalid_key`, but
//!   when the set could not be refreshed just then (the interval, or a failed fetch) the answer
//!   is 503, so that a SET signed with a newly rotated key is retried rather than dropped.
//! - **Token endpoint.** The client-credentials grant only, with the client id and secret by
//!   HTTP Basic (form-encoded as RFC 6749 says, or not) or in the form, or with a
//!   `private_key_jwt` client assertion when [`EventsSettings::private_key_jwt`] allows it (good
//!   once, on any instance). Tokens are HS256 JWTs for 15 minutes
//!   ([`EventsSettings::access_token_lifetime`]), keyed by a derivation of our signing key and
//!   the client secret: any instance verifies any instance's tokens, and changing either ends
//!   them all (the transmitter then asks for a new one).
//! - **Never lost, never twice.** The `jti` is recorded (insert-if-absent) before anything is
//!   acted on; a failure, a panic or more than [`ACT_TIMEOUT`] of acting removes the record and
//!   answers 5xx, so the transmitter's retry is acted on; the acting runs in a task of its own,
//!   so a transmitter that hangs up does not cut it short. What this cannot cover: a process
//!   killed while acting (the record stays, the retry is taken for a replay), and a second
//!   delivery of the same SET that arrives while the first is still being acted on (answered
//!   202 at once; if the first then fails, only its own 5xx asks for a retry).
//! - **Ordering.** Events arrive in no particular order: handlers must not assume one.
//!
//! ```
//! use govuk_one_login::events::{EventHandlers, EventType, EventsSettings};
//! use govuk_one_login::{Config, Environment, OneLogin};
//! # use govuk_one_login_mock::keys;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::builder(Environment::Integration)
//!     .client_id("my-client")
//!     .redirect_uri("https://service.example/auth/callback")
//!     .security_events(EventsSettings::new("service.example", "one-login-ssf", "r4nd0m-s3cret-of-at-least-32-chars"))
//!     .signing_key_pem(keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM)?
//!     .build()?;
//! let events = config.security_events().expect("enabled");
//! assert_eq!(events.issuer(), "https://ssf.account.gov.uk/");
//! assert_eq!(events.receiver_path(), "/auth/events");
//! let handlers = EventHandlers::new().on(EventType::AccountPurged, |delivery| async move {
//!     // Delete what the service holds about `delivery.subject()`.
//!     let _ = delivery.subject();
//!     Ok(())
//! });
//! # let _ = handlers;
//! # Ok(()) }
//! ```

mod actions;
mod config;
mod error;
mod handler;
mod receiver;
mod set;
pub mod types;
pub(crate) mod verification;

pub use actions::{EventAction, EventType};
pub use config::{
    EventAlgorithm, EventsConfig, EventsSettings, INTEGRATION_EVENTS_JWKS_URL, MIN_CLIENT_SECRET_LEN,
    ONE_LOGIN_EVENTS_ISSUER, PRODUCTION_EVENTS_JWKS_URL, UnknownEvents,
};
pub use error::{EventError, TokenRequestError};
pub use handler::{Delivery, EventHandlers, HandlerError};
pub use receiver::{ACT_TIMEOUT, EventRequest, MAX_SET_BODY, Receipt, SET_CONTENT_TYPE};
#[cfg(feature = "openapi")]
pub(crate) use receiver::{SetErrorBody, TokenErrorBody, TokenGrantedBody};
pub use set::{ReceivedSet, SET_TYPE};
pub use types::{SecurityEvent, SubjectId};
pub use verification::{VerificationSettings, VerificationStatus};

mod token;
