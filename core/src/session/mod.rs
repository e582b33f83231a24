//! Session state: the one record type a signed-in user has, and its storage.

pub(crate) mod store;

use serde::{Deserialize, Serialize};

use crate::identity::{ReturnCode, VerifiedIdentity};
use crate::levels::{AuthLevel, IdentityLevel, VectorOfTrust};
use crate::types::{IdToken, Subject};

pub use store::{MAX_SESSIONS_PER_SUBJECT, SessionId, SessionStoreHandle};

/// What the service knows of a signed-in user. Stored server-side; the browser holds only
/// the session id. `Debug` prints no personal data and no token.
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub(crate) subject: Subject,
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) email_verified: bool,
    pub(crate) phone_number: Option<String>,
    #[serde(default)]
    pub(crate) phone_number_verified: bool,
    pub(crate) auth_level: AuthLevel,
    pub(crate) identity: Option<VerifiedIdentity>,
    #[serde(default)]
    pub(crate) return_codes: Vec<ReturnCode>,
    pub(crate) auth_time: Option<i64>,
    pub(crate) signed_in_at: i64,
    pub(crate) sid: Option<String>,
    pub(crate) id_token: IdToken,
    /// A per-session token for the sign-out form (CSRF protection).
    pub(crate) csrf_token: String,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("auth_level", &self.auth_level)
            .field("identity_level", &self.identity_level())
            .field("signed_in_at", &self.signed_in_at)
            .finish_non_exhaustive()
    }
}

impl SessionRecord {
    /// The user's pairwise subject identifier. Map it to your own user id; do not show it.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }
    /// The email address (scope `email`). One Login always verifies it.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }
    /// Whether One Login marked the email as verified.
    pub fn email_verified(&self) -> bool {
        self.email_verified
    }
    /// The phone number (scope `phone`), when SMS is the user's second factor.
    pub fn phone_number(&self) -> Option<&str> {
        self.phone_number.as_deref()
    }
    /// Whether One Login marked the phone number as verified.
    pub fn phone_number_verified(&self) -> bool {
        self.phone_number_verified
    }
    /// The authentication level from the verified ID token's `vot`.
    pub fn auth_level(&self) -> AuthLevel {
        self.auth_level
    }
    /// The identity level from a verified core identity; P0 without one.
    pub fn identity_level(&self) -> IdentityLevel {
        self.identity.as_ref().map_or(IdentityLevel::P0, |i| i.level)
    }
    /// The levels achieved, as one vector.
    pub fn achieved(&self) -> VectorOfTrust {
        // Identity is only ever verified with `Cl.Cm`, so the pair is valid; `Cl` is the floor.
        VectorOfTrust::new(self.auth_level, self.identity_level()).unwrap_or(VectorOfTrust::LOW)
    }
    /// The verified identity, if one was proven.
    pub fn identity(&self) -> Option<&VerifiedIdentity> {
        self.identity.as_ref()
    }
    /// Return codes from the last identity request.
    pub fn return_codes(&self) -> &[ReturnCode] {
        &self.return_codes
    }
    /// When the user last entered their credentials (`auth_time`), if One Login said.
    pub fn auth_time(&self) -> Option<i64> {
        self.auth_time
    }
    /// When this session was created (seconds since the epoch).
    pub fn signed_in_at(&self) -> i64 {
        self.signed_in_at
    }
    /// One Login's journey id (`sid`) of the sign-in.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }
    /// The raw ID token, for `id_token_hint` at logout and re-authentication.
    pub fn id_token(&self) -> &IdToken {
        &self.id_token
    }
    /// The token the sign-out form must carry as `csrf_token` (see [`crate::web`]).
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}
