//! Session state: the one record type a signed-in user has, and the id the browser holds.
//! Storage is the [`crate::store`] contract.

use std::fmt;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

use crate::clock::from_unix;
use crate::identity::{CoreIdentity, ReturnCode};
use crate::levels::{AuthLevel, IdentityLevel, VectorOfTrust};
use crate::types::{ClientId, IdToken, Subject};

mod kept_token;
pub(crate) use kept_token::KeptToken;

/// A session id: 256 random bits, what the session cookie holds (43 characters of base64url).
/// Its `Debug` output is redacted; stores key sessions by a digest of it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId([u8; 32]);

impl SessionId {
    /// A fresh random id from the operating system's CSPRNG.
    pub(crate) fn generate() -> Self {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator failed");
        Self(bytes)
    }
    /// Parses a cookie value. Anything that is not a session id gives `None`.
    pub fn parse(value: &str) -> Option<Self> {
        if value.len() != 43 {
            return None;
        }
        let mut bytes = [0u8; 32];
        match URL_SAFE_NO_PAD.decode_slice(value, &mut bytes) {
            Ok(32) => Some(Self(bytes)),
            _ => None,
        }
    }
    /// The cookie value.
    pub fn to_cookie_value(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
    /// The raw bytes (stores hash them into a key).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
    /// An id with these bytes (tests that need ids in a chosen place).
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

/// The issuer and client a session was made for. Every session of a deployment has the same
/// pair, so records share one copy ([`MadeFor::shared`]): no heap block of its own per session,
/// and the check that a session belongs to this deployment is a pointer comparison.
#[derive(PartialEq, Eq)]
pub(crate) struct MadeFor {
    pub(crate) issuer: String,
    pub(crate) client_id: ClientId,
}

/// How many distinct pairs [`MadeFor::shared`] keeps; more (a process serving many clients)
/// get a copy each, which is only a little memory and a byte comparison.
const SHARED_PAIRS: usize = 16;

static SHARED: Mutex<Vec<Arc<MadeFor>>> = Mutex::new(Vec::new());

impl MadeFor {
    /// The process's one copy of this pair.
    pub(crate) fn shared(issuer: &str, client_id: &ClientId) -> Arc<Self> {
        let mut shared = SHARED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = shared.iter().find(|m| m.issuer == issuer && m.client_id == *client_id) {
            return found.clone();
        }
        let made = Arc::new(Self { issuer: issuer.to_owned(), client_id: client_id.clone() });
        if shared.len() < SHARED_PAIRS {
            shared.push(made.clone());
        }
        made
    }

    /// Whether a session made for `self` belongs to `expected`: the same copy, or equal text.
    pub(crate) fn is(self: &Arc<Self>, expected: &Arc<Self>) -> bool {
        Arc::ptr_eq(self, expected) || **self == **expected
    }
}

/// What the service knows of a signed-in user. Stored server-side; the browser holds only
/// the session id. `Debug` prints no personal data and no token.
///
/// Only a completed sign-in makes one. It has no `Serialize` or `Deserialize`: the stores keep
/// it through a private form, so no JSON can be turned into a session.
///
/// ```compile_fail
/// fn from_json<T: serde::de::DeserializeOwned>() {}
/// from_json::<govuk_one_login::SessionRecord>();
/// ```
#[derive(Clone)]
// `repr(C)`, in this order: what every guarded request reads (the issuer and client, the
// expiry, the sign-in time, the levels, the identity's level) sits with the `Arc`'s counts in
// the record's first cache line, so a request touches one line of the record, not several.
#[repr(C)]
pub struct SessionRecord {
    /// The issuer and client the session was made for: a session of another is refused.
    pub(crate) made_for: Arc<MadeFor>,
    /// When the session ends whatever its activity (seconds since the epoch).
    pub(crate) expires_at: i64,
    pub(crate) auth_time: Option<i64>,
    pub(crate) auth_level: AuthLevel,
    /// This session's sign-in asked for an identity and One Login could not confirm it.
    pub(crate) identity_not_proven: bool,
    pub(crate) email_verified: bool,
    pub(crate) phone_number_verified: bool,
    /// Its level first (see [`CoreIdentity`]'s layout).
    pub(crate) identity: Option<CoreIdentity>,
    /// When the callback that made this session began (this engine's clock, to the
    /// microsecond). Revocation compares against it: a session whose sign-in began at or before
    /// a subject's revoked-at time is never honoured.
    pub(crate) signed_in_at: OffsetDateTime,
    pub(crate) subject: Subject,
    pub(crate) email: Option<Box<str>>,
    pub(crate) phone_number: Option<Box<str>>,
    pub(crate) return_codes: Box<[ReturnCode]>,
    pub(crate) sid: Option<Box<str>>,
    pub(crate) id_token: KeptToken,
    /// A per-session token for the sign-out form (CSRF protection).
    pub(crate) csrf_token: Box<str>,
}

impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
    pub fn identity(&self) -> Option<&CoreIdentity> {
        self.identity.as_ref()
    }
    /// Return codes from the last identity request.
    pub fn return_codes(&self) -> &[ReturnCode] {
        &self.return_codes
    }
    /// Whether this session's sign-in asked for a verified identity and One Login could not
    /// confirm it (the user is signed in at the authentication level only).
    pub fn identity_not_proven(&self) -> bool {
        self.identity_not_proven
    }
    /// When the user last entered their credentials (`auth_time`), if One Login said.
    pub fn auth_time(&self) -> Option<OffsetDateTime> {
        self.auth_time.map(from_unix)
    }
    /// When the sign-in that made this session began (the engine's clock, to the microsecond).
    pub fn signed_in_at(&self) -> OffsetDateTime {
        self.signed_in_at
    }
    /// When this session ends whatever its activity.
    pub fn expires_at(&self) -> OffsetDateTime {
        from_unix(self.expires_at)
    }
    /// The issuer this session was made for.
    pub fn issuer(&self) -> &str {
        &self.made_for.issuer
    }
    /// The client this session was made for.
    pub fn client_id(&self) -> &ClientId {
        &self.made_for.client_id
    }
    /// One Login's journey id (`sid`) of the sign-in.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }
    /// The raw ID token, for `id_token_hint` at logout and re-authentication. The session
    /// keeps it as the bytes it encodes, so this makes its text.
    pub fn id_token(&self) -> IdToken {
        self.id_token.token()
    }
    /// The same session without its verified identity (what a security event's
    /// assurance-level change leaves), or `None` when it has none.
    pub fn without_identity(&self) -> Option<SessionRecord> {
        self.identity.as_ref()?;
        Some(SessionRecord { identity: None, ..self.clone() })
    }
    /// The token the sign-out form must carry as `csrf_token` (see [`crate::web`]).
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;
    use std::mem::offset_of;

    /// What the guard reads on every request lies in the record's first cache line, which it
    /// shares with the `Arc`'s two counts (16 bytes).
    #[test]
    fn the_fields_every_request_reads_are_in_the_first_cache_line() {
        let identity_level = offset_of!(SessionRecord, identity) + offset_of!(CoreIdentity, level);
        let hot = [
            offset_of!(SessionRecord, made_for) + size_of::<Arc<MadeFor>>(),
            offset_of!(SessionRecord, expires_at) + size_of::<i64>(),
            offset_of!(SessionRecord, auth_time) + size_of::<Option<i64>>(),
            offset_of!(SessionRecord, auth_level) + size_of::<AuthLevel>(),
            identity_level + size_of::<IdentityLevel>(),
        ];
        for end in hot {
            assert!(16 + end <= 64, "a hot field ends at byte {end} of the record");
        }
        // `Option<CoreIdentity>` keeps the identity's layout (its tag is a niche), so the
        // level's offset holds inside the option too.
        assert_eq!(size_of::<Option<CoreIdentity>>(), size_of::<CoreIdentity>());
    }
}
