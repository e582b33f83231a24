//! The typed events of a Security Event Token (SET, RFC 8417) as GOV.UK One Login's Signal
//! Exchange pushes them, and the subject identifiers (RFC 9493) they name.
//!
//! A SET's `events` claim maps event type URIs to event objects. [`SecurityEvent::parse`] types
//! one entry: the CAEP 1.0 and RISC 1.0 events, One Login's notification and activity events,
//! and the SSF control events (verification, under both its 1.0 and its older URI, and
//! stream-updated). Any other URI is kept raw as [`SecurityEvent::Unknown`]. One Login also
//! sends companion keys next to the main event (see [`is_companion`]); they are not events.
//!
//! Parsing tolerates members it does not know (SETs may grow) and treats a `null` optional
//! member as absent, but a member it knows must have the JSON type the specification gives it.
//!
//! Every `Debug` here hides personal data: subject identifiers, email addresses, new
//! identifier values, verification states and claim values print `[redacted]` or only their
//! key names.

use std::fmt;

use serde_json::{Map, Value};

use crate::types::{Subject, loggable};

// ---------------------------------------------------------------------------------------------
// Subject identifiers
// ---------------------------------------------------------------------------------------------

/// An RFC 9493 subject identifier (and One Login's legacy spellings).
///
/// Its `Debug` shows the format and `[redacted]` for every value but a stream's opaque id.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubjectId {
    /// Format `uri`: One Login's user events. The `uri` is the relying party's pairwise `sub`.
    Uri {
        /// The URI (for One Login, `urn:fdc:gov.uk:2022:...`).
        uri: String,
    },
    /// Format `iss_sub` (the legacy spelling `iss-sub` is accepted): an issuer and a subject.
    IssSub {
        /// The issuer.
        iss: String,
        /// The subject, as that issuer names it.
        sub: String,
    },
    /// Format `opaque`: the stream id of a verification or stream-updated event.
    Opaque {
        /// The opaque identifier.
        id: String,
    },
    /// Format `email`.
    Email {
        /// The email address.
        email: String,
    },
    /// Format `phone_number` (the legacy spelling `phone` is accepted).
    PhoneNumber {
        /// The phone number.
        phone_number: String,
    },
    /// Format `account`: an `acct:` URI.
    Account {
        /// The account URI.
        uri: String,
    },
    /// Any other format (`complex`, `did`, `aliases`, ...), kept raw.
    Other {
        /// The format, as sent.
        format: String,
        /// The whole identifier object.
        raw: Value,
    },
}

impl SubjectId {
    /// Parses `{format|subject_type, ...}`; `None` when it is not an object or has no string
    /// format, or a known format lacks its member (then it is not a usable identifier).
    ///
    /// `format` is read first, then RISC's legacy `subject_type`. A member that is not a
    /// string, or is empty, counts as lacking.
    pub fn from_json(value: &Value) -> Option<SubjectId> {
        let object = value.as_object()?;
        let format = match object.get("format") {
            Some(Value::String(format)) => format.as_str(),
            _ => object.get("subject_type")?.as_str()?,
        };
        let member = |name: &str| object.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
        Some(match format {
            "uri" => SubjectId::Uri { uri: member("uri")? },
            "iss_sub" | "iss-sub" => SubjectId::IssSub { iss: member("iss")?, sub: member("sub")? },
            "opaque" => SubjectId::Opaque { id: member("id")? },
            "email" => SubjectId::Email { email: member("email")? },
            "phone_number" | "phone" => SubjectId::PhoneNumber { phone_number: member("phone_number")? },
            "account" => SubjectId::Account { uri: member("uri")? },
            _ => SubjectId::Other { format: format.to_owned(), raw: value.clone() },
        })
    }

    /// The format: `uri`, `iss_sub`, `opaque`, `email`, `phone_number`, `account`, or the
    /// [`Other`](SubjectId::Other)'s format as sent. Legacy spellings give the canonical one.
    pub fn format(&self) -> &str {
        match self {
            SubjectId::Uri { .. } => "uri",
            SubjectId::IssSub { .. } => "iss_sub",
            SubjectId::Opaque { .. } => "opaque",
            SubjectId::Email { .. } => "email",
            SubjectId::PhoneNumber { .. } => "phone_number",
            SubjectId::Account { .. } => "account",
            SubjectId::Other { format, .. } => format,
        }
    }

    /// The pairwise subject this identifier names for a relying party whose OIDC issuer is
    /// `oidc_issuer`: a [`Uri`](SubjectId::Uri) gives its `uri`; an
    /// [`IssSub`](SubjectId::IssSub) whose `iss` equals `oidc_issuer` exactly gives its `sub`;
    /// anything else gives `None`.
    ///
    /// A CAEP `complex` subject names its person in `user` (beside a `session` or `tenant`),
    /// and an `aliases` one lists `identifiers`: the first of those this relying party can
    /// resolve is the answer (one level deep, as SSF nests them).
    pub fn subject_for(&self, oidc_issuer: &str) -> Option<Subject> {
        self.subject_within(oidc_issuer, 1)
    }

    fn subject_within(&self, oidc_issuer: &str, depth: u8) -> Option<Subject> {
        match self {
            SubjectId::Uri { uri } => Some(Subject::new(uri.clone())),
            SubjectId::IssSub { iss, sub } if iss == oidc_issuer => Some(Subject::new(sub.clone())),
            SubjectId::Other { format, raw } if depth > 0 => {
                let nested = match format.as_str() {
                    "complex" => raw.get("user").into_iter().collect::<Vec<_>>(),
                    "aliases" => raw.get("identifiers").and_then(Value::as_array).into_iter().flatten().collect(),
                    _ => Vec::new(),
                };
                nested
                    .into_iter()
                    .filter_map(SubjectId::from_json)
                    .find_map(|id| id.subject_within(oidc_issuer, depth - 1))
            }
            _ => None,
        }
    }
}

impl fmt::Debug for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SubjectId");
        match self {
            SubjectId::Uri { .. } | SubjectId::Account { .. } => {
                d.field("format", &self.format()).field("uri", &Redacted)
            }
            SubjectId::IssSub { .. } => d.field("format", &"iss_sub").field("iss", &Redacted).field("sub", &Redacted),
            SubjectId::Opaque { id } => d.field("format", &"opaque").field("id", &Safe(id, 64)),
            SubjectId::Email { .. } => d.field("format", &"email").field("email", &Redacted),
            SubjectId::PhoneNumber { .. } => d.field("format", &"phone_number").field("phone_number", &Redacted),
            SubjectId::Other { format, .. } => d.field("format", &Safe(format, 64)).field("raw", &Redacted),
        };
        d.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Event payloads
// ---------------------------------------------------------------------------------------------

/// The optional claims CAEP, RISC and One Login events share.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct EventCommon {
    /// `event_timestamp`: when the event happened, in seconds since the Unix epoch.
    pub event_timestamp: Option<i64>,
    /// `initiating_entity`: `admin`, `user`, `policy` or `system` in CAEP (not checked).
    pub initiating_entity: Option<String>,
    /// `reason_admin`: a reason for an administrator, keyed by BCP 47 language tag.
    pub reason_admin: Option<Map<String, Value>>,
    /// `reason_user`: a reason for the user, keyed by BCP 47 language tag.
    pub reason_user: Option<Map<String, Value>>,
}

impl fmt::Debug for EventCommon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventCommon")
            .field("event_timestamp", &self.event_timestamp)
            .field("initiating_entity", &safe(self.initiating_entity.as_ref(), 32))
            .field("reason_admin", &self.reason_admin.as_ref().map(Keys))
            .field("reason_user", &self.reason_user.as_ref().map(Keys))
            .finish()
    }
}

/// A CAEP event with no members of its own (`session-revoked`).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct CaepEvent {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
}

/// A RISC event with no members of its own (`account-purged`, `account-enabled`, ...).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct RiscEvent {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
}

/// CAEP `change_type` of a credential change.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ChangeType {
    /// `create`: a credential was created.
    Create,
    /// `revoke`: a credential was revoked.
    Revoke,
    /// `update`: a credential was updated (One Login: a new password or email address).
    Update,
    /// `delete`: a credential was deleted.
    Delete,
}

impl ChangeType {
    /// The value as CAEP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Create => "create",
            ChangeType::Revoke => "revoke",
            ChangeType::Update => "update",
            ChangeType::Delete => "delete",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "create" => ChangeType::Create,
            "revoke" => ChangeType::Revoke,
            "update" => ChangeType::Update,
            "delete" => ChangeType::Delete,
            _ => return None,
        })
    }
}

/// CAEP `credential-change`. One Login sends it when a user changes their password or email
/// address, with the new address in a companion key, not here.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct CredentialChange {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
    /// `credential_type`: CAEP's `password`, `fido2-roaming`, ..., or One Login's `email`; a
    /// free string. CAEP requires it, One Login's own schema does not: a credential change
    /// without one still ends the user's sessions rather than being refused.
    pub credential_type: Option<String>,
    /// `change_type` (required).
    pub change_type: ChangeType,
    /// `friendly_name`: the credential's name as the user sees it.
    pub friendly_name: Option<String>,
    /// `x509_issuer`: the issuer of an X.509 credential.
    pub x509_issuer: Option<String>,
    /// `x509_serial`: the serial number of an X.509 credential.
    pub x509_serial: Option<String>,
    /// `fido2_aaguid`: the authenticator model of a FIDO2 credential.
    pub fido2_aaguid: Option<String>,
}

impl fmt::Debug for CredentialChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialChange")
            .field("subject", &self.subject)
            .field("common", &self.common)
            .field("credential_type", &safe(self.credential_type.as_ref(), 64))
            .field("change_type", &self.change_type)
            .field("friendly_name", &redacted(self.friendly_name.as_ref()))
            .field("x509_issuer", &redacted(self.x509_issuer.as_ref()))
            .field("x509_serial", &redacted(self.x509_serial.as_ref()))
            .field("fido2_aaguid", &safe(self.fido2_aaguid.as_ref(), 64))
            .finish()
    }
}

/// CAEP `assurance-level-change`.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct AssuranceLevelChange {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
    /// `namespace` (required): the scheme the levels belong to.
    pub namespace: String,
    /// `current_level` (required).
    pub current_level: String,
    /// `previous_level`.
    pub previous_level: Option<String>,
    /// `change_direction`: `increase` or `decrease` in CAEP (not checked).
    pub change_direction: Option<String>,
}

impl fmt::Debug for AssuranceLevelChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssuranceLevelChange")
            .field("subject", &self.subject)
            .field("common", &self.common)
            .field("namespace", &Safe(&self.namespace, 64))
            .field("current_level", &Safe(&self.current_level, 64))
            .field("previous_level", &safe(self.previous_level.as_ref(), 64))
            .field("change_direction", &safe(self.change_direction.as_ref(), 32))
            .finish()
    }
}

/// CAEP `token-claims-change`. Its `Debug` shows the claims' names, not their values.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct TokenClaimsChange {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
    /// `claims` (required): the changed claims and their new values.
    pub claims: Map<String, Value>,
}

impl fmt::Debug for TokenClaimsChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClaimsChange")
            .field("subject", &self.subject)
            .field("common", &self.common)
            .field("claims", &Keys(&self.claims))
            .finish()
    }
}

/// CAEP `device-compliance-change`.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct DeviceComplianceChange {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
    /// `previous_status` (required): `compliant` or `not-compliant` in CAEP (not checked).
    pub previous_status: String,
    /// `current_status` (required): `compliant` or `not-compliant` in CAEP (not checked).
    pub current_status: String,
}

impl fmt::Debug for DeviceComplianceChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceComplianceChange")
            .field("subject", &self.subject)
            .field("common", &self.common)
            .field("previous_status", &Safe(&self.previous_status, 32))
            .field("current_status", &Safe(&self.current_status, 32))
            .finish()
    }
}

/// RISC `account-disabled`.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct AccountDisabled {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
    /// `reason`: `hijacking` or `bulk-account` in RISC (not checked).
    pub reason: Option<String>,
}

impl fmt::Debug for AccountDisabled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountDisabled")
            .field("subject", &self.subject)
            .field("common", &self.common)
            .field("reason", &safe(self.reason.as_ref(), 64))
            .finish()
    }
}

/// RISC `credential-compromise`.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct CredentialCompromise {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
    /// `credential_type` (required).
    pub credential_type: String,
}

impl fmt::Debug for CredentialCompromise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialCompromise")
            .field("subject", &self.subject)
            .field("common", &self.common)
            .field("credential_type", &Safe(&self.credential_type, 64))
            .finish()
    }
}

/// RISC `identifier-changed`. Its `Debug` hides the new value.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct IdentifierChanged {
    /// The event's inner `subject` (the old identifier).
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
    /// `new-value`: the new identifier (an email address, a phone number): personal data.
    pub new_value: Option<String>,
}

impl fmt::Debug for IdentifierChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentifierChanged")
            .field("subject", &self.subject)
            .field("common", &self.common)
            .field("new_value", &redacted(self.new_value.as_ref()))
            .finish()
    }
}

/// One Login's notification events (`accountBlock`, `accountConcern`, `credentialConcern`,
/// `deviceConcern`).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Notification {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
    /// `rationale.code`: why One Login is concerned.
    pub rationale_code: Option<String>,
    /// `event_timeframe` (`{start_time, end_time}` in One Login's schemas), kept raw.
    pub event_timeframe: Option<Value>,
}

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("subject", &self.subject)
            .field("common", &self.common)
            .field("rationale_code", &safe(self.rationale_code.as_ref(), 64))
            .field("event_timeframe", &self.event_timeframe.as_ref().map(Shape))
            .finish()
    }
}

/// One Login's `activity/sessionRecovered`.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionRecovered {
    /// The event's inner `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional claims.
    pub common: EventCommon,
    /// `previous_session_id`.
    pub previous_session_id: Option<String>,
    /// `session`, kept raw.
    pub session: Option<Value>,
}

impl fmt::Debug for SessionRecovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecovered")
            .field("subject", &self.subject)
            .field("common", &self.common)
            .field("previous_session_id", &redacted(self.previous_session_id.as_ref()))
            .field("session", &self.session.as_ref().map(Shape))
            .finish()
    }
}

/// SSF `verification`: the transmitter checks the stream; `state` is the value the receiver
/// asked for, echoed back. Its `Debug` hides the state.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Verification {
    /// `state`: the value given in the verification request.
    pub state: Option<String>,
    /// Whether it came under the pre-1.0 URI
    /// `https://schemas.openid.net/secevent/sse/event-type/verification` (as the GOV.UK App's
    /// receiver sees it from One Login) rather than SSF 1.0's `.../ssf/event-type/verification`.
    pub legacy_sse: bool,
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verification")
            .field("state", &redacted(self.state.as_ref()))
            .field("legacy_sse", &self.legacy_sse)
            .finish()
    }
}

/// SSF `status` of a stream.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum StreamStatus {
    /// `enabled`: events are delivered.
    Enabled,
    /// `paused`: events are held by the transmitter.
    Paused,
    /// `disabled`: events are not delivered, nor held.
    Disabled,
}

impl StreamStatus {
    /// The value as SSF spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Enabled => "enabled",
            StreamStatus::Paused => "paused",
            StreamStatus::Disabled => "disabled",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "enabled" => StreamStatus::Enabled,
            "paused" => StreamStatus::Paused,
            "disabled" => StreamStatus::Disabled,
            _ => return None,
        })
    }
}

/// SSF `stream-updated`: the transmitter changed the stream's status.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct StreamUpdated {
    /// `status` (required).
    pub status: StreamStatus,
    /// `reason`: why, for an administrator.
    pub reason: Option<String>,
}

impl fmt::Debug for StreamUpdated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamUpdated")
            .field("status", &self.status)
            .field("reason", &safe(self.reason.as_ref(), 200))
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// One event of a SET's `events` claim, typed by its URI.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum SecurityEvent {
    /// CAEP `session-revoked`.
    SessionRevoked(CaepEvent),
    /// CAEP `credential-change` (One Login: a new password or email address).
    CredentialChange(CredentialChange),
    /// CAEP `assurance-level-change`.
    AssuranceLevelChange(AssuranceLevelChange),
    /// CAEP `token-claims-change`.
    TokenClaimsChange(TokenClaimsChange),
    /// CAEP `device-compliance-change`.
    DeviceComplianceChange(DeviceComplianceChange),
    /// RISC `account-purged` (One Login: the user deleted their account).
    AccountPurged(RiscEvent),
    /// RISC `account-disabled`.
    AccountDisabled(AccountDisabled),
    /// RISC `account-enabled`.
    AccountEnabled(RiscEvent),
    /// RISC `account-credential-change-required`.
    AccountCredentialChangeRequired(RiscEvent),
    /// RISC `credential-compromise`.
    CredentialCompromise(CredentialCompromise),
    /// RISC `identifier-changed`.
    IdentifierChanged(IdentifierChanged),
    /// RISC `identifier-recycled`.
    IdentifierRecycled(RiscEvent),
    /// RISC `opt-in`.
    OptIn(RiscEvent),
    /// RISC `opt-out-initiated`.
    OptOutInitiated(RiscEvent),
    /// RISC `opt-out-cancelled`.
    OptOutCancelled(RiscEvent),
    /// RISC `opt-out-effective`.
    OptOutEffective(RiscEvent),
    /// RISC `recovery-activated`.
    RecoveryActivated(RiscEvent),
    /// RISC `recovery-information-changed`.
    RecoveryInformationChanged(RiscEvent),
    /// RISC `sessions-revoked` (deprecated by RISC 1.0 for CAEP `session-revoked`).
    SessionsRevoked(RiscEvent),
    /// One Login `notification/accountBlock`.
    AccountBlock(Notification),
    /// One Login `notification/accountConcern`.
    AccountConcern(Notification),
    /// One Login `notification/credentialConcern`.
    CredentialConcern(Notification),
    /// One Login `notification/deviceConcern`.
    DeviceConcern(Notification),
    /// One Login `activity/sessionRecovered`.
    SessionRecovered(SessionRecovered),
    /// SSF `verification`, under its 1.0 URI or the older SSE one.
    Verification(Verification),
    /// SSF `stream-updated`.
    StreamUpdated(StreamUpdated),
    /// Any other URI: kept raw. Its `Debug` shows the URI and the payload's key names.
    Unknown {
        /// The event type URI.
        uri: String,
        /// The event object, as sent.
        payload: Value,
    },
}

/// Declares the known event types: each one's URI (a match pattern, so a literal) and its
/// short log name.
macro_rules! kinds {
    ($($kind:ident => $uri:literal, $name:literal;)*) => {
        /// A known event type.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        enum Kind {
            $($kind,)*
        }

        impl Kind {
            #[cfg(test)]
            const ALL: &[Kind] = &[$(Kind::$kind,)*];

            fn from_uri(uri: &str) -> Option<Kind> {
                match uri {
                    $($uri => Some(Kind::$kind),)*
                    _ => None,
                }
            }

            fn uri(self) -> &'static str {
                match self {
                    $(Kind::$kind => $uri,)*
                }
            }

            fn name(self) -> &'static str {
                match self {
                    $(Kind::$kind => $name,)*
                }
            }
        }
    };
}

kinds! {
    SessionRevoked => "https://schemas.openid.net/secevent/caep/event-type/session-revoked", "caep.session-revoked";
    CredentialChange => "https://schemas.openid.net/secevent/caep/event-type/credential-change", "caep.credential-change";
    AssuranceLevelChange =>
        "https://schemas.openid.net/secevent/caep/event-type/assurance-level-change", "caep.assurance-level-change";
    TokenClaimsChange =>
        "https://schemas.openid.net/secevent/caep/event-type/token-claims-change", "caep.token-claims-change";
    DeviceComplianceChange =>
        "https://schemas.openid.net/secevent/caep/event-type/device-compliance-change", "caep.device-compliance-change";
    AccountPurged => "https://schemas.openid.net/secevent/risc/event-type/account-purged", "risc.account-purged";
    AccountDisabled => "https://schemas.openid.net/secevent/risc/event-type/account-disabled", "risc.account-disabled";
    AccountEnabled => "https://schemas.openid.net/secevent/risc/event-type/account-enabled", "risc.account-enabled";
    AccountCredentialChangeRequired =>
        "https://schemas.openid.net/secevent/risc/event-type/account-credential-change-required",
        "risc.account-credential-change-required";
    CredentialCompromise =>
        "https://schemas.openid.net/secevent/risc/event-type/credential-compromise", "risc.credential-compromise";
    IdentifierChanged =>
        "https://schemas.openid.net/secevent/risc/event-type/identifier-changed", "risc.identifier-changed";
    IdentifierRecycled =>
        "https://schemas.openid.net/secevent/risc/event-type/identifier-recycled", "risc.identifier-recycled";
    OptIn => "https://schemas.openid.net/secevent/risc/event-type/opt-in", "risc.opt-in";
    OptOutInitiated => "https://schemas.openid.net/secevent/risc/event-type/opt-out-initiated", "risc.opt-out-initiated";
    OptOutCancelled => "https://schemas.openid.net/secevent/risc/event-type/opt-out-cancelled", "risc.opt-out-cancelled";
    OptOutEffective => "https://schemas.openid.net/secevent/risc/event-type/opt-out-effective", "risc.opt-out-effective";
    RecoveryActivated =>
        "https://schemas.openid.net/secevent/risc/event-type/recovery-activated", "risc.recovery-activated";
    RecoveryInformationChanged =>
        "https://schemas.openid.net/secevent/risc/event-type/recovery-information-changed",
        "risc.recovery-information-changed";
    SessionsRevoked => "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked", "risc.sessions-revoked";
    AccountBlock => "https://vocab.account.gov.uk/secevent/v1/notification/accountBlock", "onelogin.accountBlock";
    AccountConcern => "https://vocab.account.gov.uk/secevent/v1/notification/accountConcern", "onelogin.accountConcern";
    CredentialConcern =>
        "https://vocab.account.gov.uk/secevent/v1/notification/credentialConcern", "onelogin.credentialConcern";
    DeviceConcern => "https://vocab.account.gov.uk/secevent/v1/notification/deviceConcern", "onelogin.deviceConcern";
    SessionRecovered =>
        "https://vocab.account.gov.uk/secevent/v1/activity/sessionRecovered", "onelogin.sessionRecovered";
    Verification => "https://schemas.openid.net/secevent/ssf/event-type/verification", "ssf.verification";
    VerificationSse => "https://schemas.openid.net/secevent/sse/event-type/verification", "ssf.verification";
    StreamUpdated => "https://schemas.openid.net/secevent/ssf/event-type/stream-updated", "ssf.stream-updated";
}

impl SecurityEvent {
    /// Types one entry of `events`: a known URI whose payload does not fit (not an object, a
    /// required member missing or of the wrong JSON type, an unknown `change_type` or `status`)
    /// is an `Err` with a short reason (no payload values in the reason, only member names); an
    /// unknown URI is `Ok(Unknown)`.
    ///
    /// Members it does not know are ignored, and a `null` optional member counts as absent. An
    /// inner `subject` that is present but not a usable [`SubjectId`] is an `Err`.
    pub fn parse(uri: &str, payload: &Value) -> Result<SecurityEvent, String> {
        let Some(kind) = Kind::from_uri(uri) else {
            return Ok(SecurityEvent::Unknown { uri: uri.to_owned(), payload: payload.clone() });
        };
        let m = Members::of(payload)?;
        let caep = || -> Result<CaepEvent, String> { Ok(CaepEvent { subject: m.subject()?, common: m.common()? }) };
        let risc = || -> Result<RiscEvent, String> { Ok(RiscEvent { subject: m.subject()?, common: m.common()? }) };
        let notification = || -> Result<Notification, String> {
            let rationale_code = match m.opt_object("rationale")? {
                None => None,
                Some(rationale) => Members { map: rationale, prefix: "rationale." }.opt_string("code")?,
            };
            Ok(Notification {
                subject: m.subject()?,
                common: m.common()?,
                rationale_code,
                event_timeframe: m.get("event_timeframe").cloned(),
            })
        };
        Ok(match kind {
            Kind::SessionRevoked => SecurityEvent::SessionRevoked(caep()?),
            Kind::CredentialChange => SecurityEvent::CredentialChange(CredentialChange {
                subject: m.subject()?,
                common: m.common()?,
                credential_type: m.opt_string("credential_type")?,
                change_type: ChangeType::parse(&m.string("change_type")?)
                    .ok_or("change_type is not one of create, revoke, update, delete")?,
                friendly_name: m.opt_string("friendly_name")?,
                x509_issuer: m.opt_string("x509_issuer")?,
                x509_serial: m.opt_string("x509_serial")?,
                fido2_aaguid: m.opt_string("fido2_aaguid")?,
            }),
            Kind::AssuranceLevelChange => SecurityEvent::AssuranceLevelChange(AssuranceLevelChange {
                subject: m.subject()?,
                common: m.common()?,
                namespace: m.string("namespace")?,
                current_level: m.string("current_level")?,
                previous_level: m.opt_string("previous_level")?,
                change_direction: m.opt_string("change_direction")?,
            }),
            Kind::TokenClaimsChange => SecurityEvent::TokenClaimsChange(TokenClaimsChange {
                subject: m.subject()?,
                common: m.common()?,
                claims: m.object("claims")?.clone(),
            }),
            Kind::DeviceComplianceChange => SecurityEvent::DeviceComplianceChange(DeviceComplianceChange {
                subject: m.subject()?,
                common: m.common()?,
                previous_status: m.string("previous_status")?,
                current_status: m.string("current_status")?,
            }),
            Kind::AccountPurged => SecurityEvent::AccountPurged(risc()?),
            Kind::AccountDisabled => SecurityEvent::AccountDisabled(AccountDisabled {
                subject: m.subject()?,
                common: m.common()?,
                reason: m.opt_string("reason")?,
            }),
            Kind::AccountEnabled => SecurityEvent::AccountEnabled(risc()?),
            Kind::AccountCredentialChangeRequired => SecurityEvent::AccountCredentialChangeRequired(risc()?),
            Kind::CredentialCompromise => SecurityEvent::CredentialCompromise(CredentialCompromise {
                subject: m.subject()?,
                common: m.common()?,
                credential_type: m.string("credential_type")?,
            }),
            Kind::IdentifierChanged => SecurityEvent::IdentifierChanged(IdentifierChanged {
                subject: m.subject()?,
                common: m.common()?,
                new_value: m.opt_string("new-value")?,
            }),
            Kind::IdentifierRecycled => SecurityEvent::IdentifierRecycled(risc()?),
            Kind::OptIn => SecurityEvent::OptIn(risc()?),
            Kind::OptOutInitiated => SecurityEvent::OptOutInitiated(risc()?),
            Kind::OptOutCancelled => SecurityEvent::OptOutCancelled(risc()?),
            Kind::OptOutEffective => SecurityEvent::OptOutEffective(risc()?),
            Kind::RecoveryActivated => SecurityEvent::RecoveryActivated(risc()?),
            Kind::RecoveryInformationChanged => SecurityEvent::RecoveryInformationChanged(risc()?),
            Kind::SessionsRevoked => SecurityEvent::SessionsRevoked(risc()?),
            Kind::AccountBlock => SecurityEvent::AccountBlock(notification()?),
            Kind::AccountConcern => SecurityEvent::AccountConcern(notification()?),
            Kind::CredentialConcern => SecurityEvent::CredentialConcern(notification()?),
            Kind::DeviceConcern => SecurityEvent::DeviceConcern(notification()?),
            Kind::SessionRecovered => SecurityEvent::SessionRecovered(SessionRecovered {
                subject: m.subject()?,
                common: m.common()?,
                previous_session_id: m.opt_string("previous_session_id")?,
                session: m.get("session").cloned(),
            }),
            Kind::Verification | Kind::VerificationSse => SecurityEvent::Verification(Verification {
                state: m.opt_string("state")?,
                legacy_sse: kind == Kind::VerificationSse,
            }),
            Kind::StreamUpdated => SecurityEvent::StreamUpdated(StreamUpdated {
                status: StreamStatus::parse(&m.string("status")?)
                    .ok_or("status is not one of enabled, paused, disabled")?,
                reason: m.opt_string("reason")?,
            }),
        })
    }

    fn kind(&self) -> Option<Kind> {
        Some(match self {
            SecurityEvent::SessionRevoked(_) => Kind::SessionRevoked,
            SecurityEvent::CredentialChange(_) => Kind::CredentialChange,
            SecurityEvent::AssuranceLevelChange(_) => Kind::AssuranceLevelChange,
            SecurityEvent::TokenClaimsChange(_) => Kind::TokenClaimsChange,
            SecurityEvent::DeviceComplianceChange(_) => Kind::DeviceComplianceChange,
            SecurityEvent::AccountPurged(_) => Kind::AccountPurged,
            SecurityEvent::AccountDisabled(_) => Kind::AccountDisabled,
            SecurityEvent::AccountEnabled(_) => Kind::AccountEnabled,
            SecurityEvent::AccountCredentialChangeRequired(_) => Kind::AccountCredentialChangeRequired,
            SecurityEvent::CredentialCompromise(_) => Kind::CredentialCompromise,
            SecurityEvent::IdentifierChanged(_) => Kind::IdentifierChanged,
            SecurityEvent::IdentifierRecycled(_) => Kind::IdentifierRecycled,
            SecurityEvent::OptIn(_) => Kind::OptIn,
            SecurityEvent::OptOutInitiated(_) => Kind::OptOutInitiated,
            SecurityEvent::OptOutCancelled(_) => Kind::OptOutCancelled,
            SecurityEvent::OptOutEffective(_) => Kind::OptOutEffective,
            SecurityEvent::RecoveryActivated(_) => Kind::RecoveryActivated,
            SecurityEvent::RecoveryInformationChanged(_) => Kind::RecoveryInformationChanged,
            SecurityEvent::SessionsRevoked(_) => Kind::SessionsRevoked,
            SecurityEvent::AccountBlock(_) => Kind::AccountBlock,
            SecurityEvent::AccountConcern(_) => Kind::AccountConcern,
            SecurityEvent::CredentialConcern(_) => Kind::CredentialConcern,
            SecurityEvent::DeviceConcern(_) => Kind::DeviceConcern,
            SecurityEvent::SessionRecovered(_) => Kind::SessionRecovered,
            SecurityEvent::Verification(v) if v.legacy_sse => Kind::VerificationSse,
            SecurityEvent::Verification(_) => Kind::Verification,
            SecurityEvent::StreamUpdated(_) => Kind::StreamUpdated,
            SecurityEvent::Unknown { .. } => return None,
        })
    }

    /// The event type URI: the one it came under (a [`Verification`] remembers which of its
    /// two URIs), or an [`Unknown`](SecurityEvent::Unknown)'s as sent.
    pub fn uri(&self) -> &str {
        if let SecurityEvent::Unknown { uri, .. } = self {
            return uri;
        }
        self.kind().map_or("", Kind::uri)
    }

    /// A short log-safe name: `caep.session-revoked`, `risc.account-purged`,
    /// `onelogin.accountBlock`, `onelogin.sessionRecovered`, `ssf.verification` (for both of
    /// its URIs), `ssf.stream-updated`, or `unknown`.
    pub fn name(&self) -> &'static str {
        self.kind().map_or("unknown", Kind::name)
    }

    /// The event's inner `subject`, if the variant has one and it was sent. Verification,
    /// stream-updated and unknown events have none (SSF puts the stream's id in the SET's
    /// top-level `sub_id`).
    pub fn subject(&self) -> Option<&SubjectId> {
        match self {
            SecurityEvent::SessionRevoked(e) => e.subject.as_ref(),
            SecurityEvent::CredentialChange(e) => e.subject.as_ref(),
            SecurityEvent::AssuranceLevelChange(e) => e.subject.as_ref(),
            SecurityEvent::TokenClaimsChange(e) => e.subject.as_ref(),
            SecurityEvent::DeviceComplianceChange(e) => e.subject.as_ref(),
            SecurityEvent::AccountDisabled(e) => e.subject.as_ref(),
            SecurityEvent::CredentialCompromise(e) => e.subject.as_ref(),
            SecurityEvent::IdentifierChanged(e) => e.subject.as_ref(),
            SecurityEvent::AccountPurged(e)
            | SecurityEvent::AccountEnabled(e)
            | SecurityEvent::AccountCredentialChangeRequired(e)
            | SecurityEvent::IdentifierRecycled(e)
            | SecurityEvent::OptIn(e)
            | SecurityEvent::OptOutInitiated(e)
            | SecurityEvent::OptOutCancelled(e)
            | SecurityEvent::OptOutEffective(e)
            | SecurityEvent::RecoveryActivated(e)
            | SecurityEvent::RecoveryInformationChanged(e)
            | SecurityEvent::SessionsRevoked(e) => e.subject.as_ref(),
            SecurityEvent::AccountBlock(e)
            | SecurityEvent::AccountConcern(e)
            | SecurityEvent::CredentialConcern(e)
            | SecurityEvent::DeviceConcern(e) => e.subject.as_ref(),
            SecurityEvent::SessionRecovered(e) => e.subject.as_ref(),
            SecurityEvent::Verification(_) | SecurityEvent::StreamUpdated(_) | SecurityEvent::Unknown { .. } => None,
        }
    }
}

impl fmt::Debug for SecurityEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner: &dyn fmt::Debug = match self {
            SecurityEvent::SessionRevoked(e) => e,
            SecurityEvent::CredentialChange(e) => e,
            SecurityEvent::AssuranceLevelChange(e) => e,
            SecurityEvent::TokenClaimsChange(e) => e,
            SecurityEvent::DeviceComplianceChange(e) => e,
            SecurityEvent::AccountDisabled(e) => e,
            SecurityEvent::CredentialCompromise(e) => e,
            SecurityEvent::IdentifierChanged(e) => e,
            SecurityEvent::AccountPurged(e)
            | SecurityEvent::AccountEnabled(e)
            | SecurityEvent::AccountCredentialChangeRequired(e)
            | SecurityEvent::IdentifierRecycled(e)
            | SecurityEvent::OptIn(e)
            | SecurityEvent::OptOutInitiated(e)
            | SecurityEvent::OptOutCancelled(e)
            | SecurityEvent::OptOutEffective(e)
            | SecurityEvent::RecoveryActivated(e)
            | SecurityEvent::RecoveryInformationChanged(e)
            | SecurityEvent::SessionsRevoked(e) => e,
            SecurityEvent::AccountBlock(e)
            | SecurityEvent::AccountConcern(e)
            | SecurityEvent::CredentialConcern(e)
            | SecurityEvent::DeviceConcern(e) => e,
            SecurityEvent::SessionRecovered(e) => e,
            SecurityEvent::Verification(e) => e,
            SecurityEvent::StreamUpdated(e) => e,
            SecurityEvent::Unknown { uri, payload } => {
                return f
                    .debug_struct("Unknown")
                    .field("uri", &Safe(uri, 200))
                    .field("payload", &Shape(payload))
                    .finish();
            }
        };
        // The variant's name is its log name: `caep.credential-change(CredentialChange { .. })`.
        f.debug_tuple(self.name()).field(inner).finish()
    }
}

impl fmt::Debug for CaepEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaepEvent").field("subject", &self.subject).field("common", &self.common).finish()
    }
}

impl fmt::Debug for RiscEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RiscEvent").field("subject", &self.subject).field("common", &self.common).finish()
    }
}

// ---------------------------------------------------------------------------------------------
// The `events` claim
// ---------------------------------------------------------------------------------------------

const ONE_LOGIN_V1: &str = "https://vocab.account.gov.uk/secevent/v1/";

/// Whether `uri` is a One Login companion key sent next to the main event, not an event
/// itself: `https://vocab.account.gov.uk/secevent/v1/eventMetadata`,
/// `.../v1/<anything>/eventDetails`, `.../v1/credentialChange/eventInformation` (any key under
/// `https://vocab.account.gov.uk/secevent/v1/` ending in `/eventDetails` or
/// `/eventInformation`, or exactly `.../v1/eventMetadata`).
pub fn is_companion(uri: &str) -> bool {
    uri.strip_prefix(ONE_LOGIN_V1).is_some_and(|rest| {
        rest == "eventMetadata" || rest.ends_with("/eventDetails") || rest.ends_with("/eventInformation")
    })
}

/// Types a SET's whole `events` claim: `Err` when it is not a non-empty object, when it holds
/// only companions, or when a known event is malformed (the reason then starts with the
/// event's log name). Returns the events (in the map's key order) and the companion entries
/// untouched.
pub(crate) fn parse_events(events: &Value) -> Result<(Vec<SecurityEvent>, Map<String, Value>), String> {
    let events = events.as_object().ok_or("events is not an object")?;
    if events.is_empty() {
        return Err("events is empty".to_owned());
    }
    let mut typed = Vec::with_capacity(1);
    let mut companions = Map::new();
    for (uri, payload) in events {
        if is_companion(uri) {
            companions.insert(uri.clone(), payload.clone());
            continue;
        }
        let event = SecurityEvent::parse(uri, payload)
            .map_err(|reason| format!("{}: {reason}", Kind::from_uri(uri).map_or("unknown", Kind::name)))?;
        typed.push(event);
    }
    if typed.is_empty() {
        return Err("events holds only companion keys".to_owned());
    }
    Ok((typed, companions))
}

// ---------------------------------------------------------------------------------------------
// Private helpers
// ---------------------------------------------------------------------------------------------

/// The members of one event object (or of a nested object, whose name prefixes the member
/// names in reasons). Reasons name members, never their values.
struct Members<'a> {
    map: &'a Map<String, Value>,
    prefix: &'static str,
}

impl<'a> Members<'a> {
    fn of(payload: &'a Value) -> Result<Self, String> {
        payload
            .as_object()
            .map(|map| Members { map, prefix: "" })
            .ok_or_else(|| "the event is not an object".to_owned())
    }

    /// A member, `null` counting as absent.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn missing(&self, name: &str) -> String {
        format!("{}{name} is missing", self.prefix)
    }

    fn not_a(&self, name: &str, what: &str) -> String {
        format!("{}{name} is not {what}", self.prefix)
    }

    fn opt_string(&self, name: &str) -> Result<Option<String>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.not_a(name, "a string")),
        }
    }

    fn string(&self, name: &str) -> Result<String, String> {
        self.opt_string(name)?.ok_or_else(|| self.missing(name))
    }

    fn opt_object(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(self.not_a(name, "an object")),
        }
    }

    fn object(&self, name: &str) -> Result<&'a Map<String, Value>, String> {
        self.opt_object(name)?.ok_or_else(|| self.missing(name))
    }

    /// The inner `subject`: absent gives `None`; present but not a usable identifier is an
    /// error (an event about someone we cannot name must not pass as one about no one).
    fn subject(&self) -> Result<Option<SubjectId>, String> {
        match self.get("subject") {
            None => Ok(None),
            Some(value) => {
                SubjectId::from_json(value).map(Some).ok_or_else(|| self.not_a("subject", "a subject identifier"))
            }
        }
    }

    fn common(&self) -> Result<EventCommon, String> {
        let event_timestamp = match self.get("event_timestamp") {
            None => None,
            Some(value) => Some(value.as_i64().ok_or_else(|| self.not_a("event_timestamp", "an integer"))?),
        };
        Ok(EventCommon {
            event_timestamp,
            initiating_entity: self.opt_string("initiating_entity")?,
            reason_admin: self.opt_object("reason_admin")?.cloned(),
            reason_user: self.opt_object("reason_user")?.cloned(),
        })
    }
}

/// `Debug`s as `[redacted]`.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `Some([redacted])` or `None`.
fn redacted<T>(value: Option<&T>) -> Option<Redacted> {
    value.map(|_| Redacted)
}

/// A string from outside, `Debug`ged quoted and log-safe: at most so many characters.
struct Safe<'a>(&'a str, usize);

impl fmt::Debug for Safe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&loggable(self.0, self.1), f)
    }
}

fn safe(value: Option<&String>, max: usize) -> Option<Safe<'_>> {
    value.map(|s| Safe(s, max))
}

/// At most this many key names are shown.
const MAX_KEYS: usize = 16;

/// An object's key names (log-safe, at most [`MAX_KEYS`]), not its values.
struct Keys<'a>(&'a Map<String, Value>);

impl fmt::Debug for Keys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        list.entries(self.0.keys().take(MAX_KEYS).map(|k| Safe(k, 64)));
        if self.0.len() > MAX_KEYS { list.finish_non_exhaustive() } else { list.finish() }
    }
}

/// A JSON value's shape: an object's key names, or the type of anything else.
struct Shape<'a>(&'a Value);

impl fmt::Debug for Shape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Object(map) => fmt::Debug::fmt(&Keys(map), f),
            Value::Null => f.write_str("null"),
            Value::Bool(_) => f.write_str("<bool>"),
            Value::Number(_) => f.write_str("<number>"),
            Value::String(_) => f.write_str("<string>"),
            Value::Array(a) => write!(f, "<array of {}>", a.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ISSUER: &str = "https://oidc.account.gov.uk/";
    const SUB: &str = "urn:fdc:gov.uk:2022:secret-sub-abc";
    const EMAIL: &str = "jo.bloggs@example.org";

    fn subject_json() -> Value {
        json!({"format": "uri", "uri": SUB})
    }

    fn uri_subject() -> SubjectId {
        SubjectId::Uri { uri: SUB.to_owned() }
    }

    fn parse(kind: Kind, payload: &Value) -> Result<SecurityEvent, String> {
        SecurityEvent::parse(kind.uri(), payload)
    }

    /// The debug string of `value` contains none of `secrets`.
    fn assert_hides(value: &impl fmt::Debug, secrets: &[&str]) -> String {
        let printed = format!("{value:?}");
        for secret in secrets {
            assert!(!printed.contains(secret), "{printed} shows {secret}");
        }
        printed
    }

    // --- Subject identifiers ---

    #[test]
    fn subject_ids_of_every_format() {
        let cases = [
            (json!({"format": "uri", "uri": SUB}), SubjectId::Uri { uri: SUB.into() }),
            (
                json!({"format": "iss_sub", "iss": ISSUER, "sub": "s1"}),
                SubjectId::IssSub { iss: ISSUER.into(), sub: "s1".into() },
            ),
            (
                json!({"format": "iss-sub", "iss": ISSUER, "sub": "s1"}),
                SubjectId::IssSub { iss: ISSUER.into(), sub: "s1".into() },
            ),
            (
                json!({"subject_type": "iss-sub", "iss": ISSUER, "sub": "s1"}),
                SubjectId::IssSub { iss: ISSUER.into(), sub: "s1".into() },
            ),
            (json!({"format": "opaque", "id": "stream-1"}), SubjectId::Opaque { id: "stream-1".into() }),
            (json!({"format": "email", "email": EMAIL}), SubjectId::Email { email: EMAIL.into() }),
            (json!({"subject_type": "email", "email": EMAIL}), SubjectId::Email { email: EMAIL.into() }),
            (
                json!({"format": "phone_number", "phone_number": "+447700900123"}),
                SubjectId::PhoneNumber { phone_number: "+447700900123".into() },
            ),
            (
                json!({"subject_type": "phone", "phone_number": "+447700900123"}),
                SubjectId::PhoneNumber { phone_number: "+447700900123".into() },
            ),
            (
                json!({"format": "account", "uri": "acct:jo@example.org"}),
                SubjectId::Account { uri: "acct:jo@example.org".into() },
            ),
            (json!({"format": "uri", "uri": SUB, "extra": 1}), SubjectId::Uri { uri: SUB.into() }),
        ];
        for (json, expected) in cases {
            assert_eq!(SubjectId::from_json(&json), Some(expected), "{json}");
        }
        let complex = json!({"format": "complex", "user": {"format": "email", "email": EMAIL}});
        let parsed = SubjectId::from_json(&complex).unwrap();
        assert_eq!(parsed, SubjectId::Other { format: "complex".into(), raw: complex.clone() });
        assert_eq!(parsed.format(), "complex");
        let did = json!({"format": "did", "url": "did:example:123"});
        assert_eq!(SubjectId::from_json(&did).unwrap().format(), "did");
        // `format` wins over `subject_type`.
        let both = json!({"format": "opaque", "subject_type": "email", "id": "x"});
        assert_eq!(SubjectId::from_json(&both), Some(SubjectId::Opaque { id: "x".into() }));
    }

    #[test]
    fn formats_are_canonical() {
        let formats = [
            (json!({"format": "uri", "uri": "u"}), "uri"),
            (json!({"format": "iss-sub", "iss": "i", "sub": "s"}), "iss_sub"),
            (json!({"format": "opaque", "id": "i"}), "opaque"),
            (json!({"format": "email", "email": "e"}), "email"),
            (json!({"subject_type": "phone", "phone_number": "p"}), "phone_number"),
            (json!({"format": "account", "uri": "acct:a"}), "account"),
            (json!({"format": "aliases", "identifiers": []}), "aliases"),
        ];
        for (json, format) in formats {
            assert_eq!(SubjectId::from_json(&json).unwrap().format(), format);
        }
    }

    #[test]
    fn unusable_subject_ids_are_none() {
        let cases = [
            json!("urn:fdc:gov.uk:2022:abc"),
            json!(null),
            json!([]),
            json!({}),
            json!({"uri": SUB}),
            json!({"format": 1, "uri": SUB}),
            json!({"subject_type": null, "uri": SUB}),
            json!({"format": "uri"}),
            json!({"format": "uri", "uri": 7}),
            json!({"format": "uri", "uri": ""}),
            json!({"format": "iss_sub", "iss": ISSUER}),
            json!({"format": "iss_sub", "sub": "s"}),
            json!({"format": "opaque"}),
            json!({"format": "email"}),
            json!({"format": "phone_number", "phone": "+44"}),
            json!({"format": "account", "acct": "acct:a"}),
        ];
        for json in cases {
            assert_eq!(SubjectId::from_json(&json), None, "{json}");
        }
    }

    #[test]
    fn subject_for_the_relying_party() {
        assert_eq!(uri_subject().subject_for(ISSUER).unwrap().as_str(), SUB);
        let iss_sub = SubjectId::IssSub { iss: ISSUER.into(), sub: SUB.into() };
        assert_eq!(iss_sub.subject_for(ISSUER).unwrap().as_str(), SUB);
        assert_eq!(iss_sub.subject_for("https://oidc.account.gov.uk"), None, "the issuer must match exactly");
        assert_eq!(iss_sub.subject_for("https://elsewhere.example/"), None);
        assert_eq!(SubjectId::Email { email: EMAIL.into() }.subject_for(ISSUER), None);
        assert_eq!(SubjectId::Opaque { id: "s".into() }.subject_for(ISSUER), None);
        assert_eq!(SubjectId::Account { uri: "acct:a".into() }.subject_for(ISSUER), None);
    }

    #[test]
    fn subject_id_debug_hides_personal_data() {
        let ids = [
            SubjectId::Uri { uri: SUB.into() },
            SubjectId::IssSub { iss: ISSUER.into(), sub: SUB.into() },
            SubjectId::Email { email: EMAIL.into() },
            SubjectId::PhoneNumber { phone_number: "+447700900123".into() },
            SubjectId::Account { uri: format!("acct:{EMAIL}") },
            SubjectId::Other { format: "complex".into(), raw: json!({"format": "complex", "user": {"email": EMAIL}}) },
        ];
        for id in &ids {
            let printed = assert_hides(id, &[SUB, EMAIL, "+447700900123", ISSUER]);
            assert!(printed.contains("[redacted]"), "{printed}");
            assert!(printed.contains(id.format()), "{printed}");
        }
        let opaque = format!("{:?}", SubjectId::Opaque { id: "stream-1".into() });
        assert_eq!(opaque, r#"SubjectId { format: "opaque", id: "stream-1" }"#);
        let long = format!("{:?}", SubjectId::Opaque { id: format!("{}\n", "x".repeat(100)) });
        assert!(long.contains(&"x".repeat(64)) && !long.contains(&"x".repeat(65)) && !long.contains('\n'), "{long}");
    }

    // --- Events: every URI ---

    #[test]
    fn one_logins_credential_change() {
        let payload = json!({
            "subject": {"format": "uri", "uri": "urn:fdc:gov.uk:2022:abc"},
            "change_type": "update",
            "credential_type": "password",
            "initiating_entity": "user"
        });
        let event = parse(Kind::CredentialChange, &payload).unwrap();
        let SecurityEvent::CredentialChange(change) = &event else { panic!("{event:?}") };
        assert_eq!(change.subject, Some(SubjectId::Uri { uri: "urn:fdc:gov.uk:2022:abc".into() }));
        assert_eq!(change.change_type, ChangeType::Update);
        assert_eq!(change.credential_type.as_deref(), Some("password"));
        assert_eq!(change.common.initiating_entity.as_deref(), Some("user"));
        assert_eq!(change.common.event_timestamp, None);
        assert_eq!(change.friendly_name, None);
        assert_eq!(event.name(), "caep.credential-change");
        assert_eq!(event.uri(), "https://schemas.openid.net/secevent/caep/event-type/credential-change");
        assert_eq!(event.subject().unwrap().subject_for(ISSUER).unwrap().as_str(), "urn:fdc:gov.uk:2022:abc");
        assert_hides(&event, &["urn:fdc:gov.uk:2022:abc"]);
    }

    #[test]
    fn credential_change_with_its_companion() {
        let companion = "https://vocab.account.gov.uk/secevent/v1/credentialChange/eventInformation";
        for info in [json!({"email": EMAIL}), json!(null), json!({"email": null})] {
            let events = json!({
                "https://schemas.openid.net/secevent/caep/event-type/credential-change": {
                    "subject": subject_json(),
                    "change_type": "update",
                    "credential_type": "email",
                    "initiating_entity": "user"
                },
                companion: info.clone(),
            });
            let (typed, companions) = parse_events(&events).unwrap();
            assert_eq!(typed.len(), 1);
            let SecurityEvent::CredentialChange(change) = &typed[0] else { panic!("{:?}", typed[0]) };
            assert_eq!(change.credential_type.as_deref(), Some("email"));
            assert_eq!(companions.len(), 1);
            assert_eq!(companions.get(companion), Some(&info));
            assert_hides(&typed, &[EMAIL, SUB]);
        }
    }

    #[test]
    fn credential_change_every_member() {
        let payload = json!({
            "subject": subject_json(),
            "credential_type": "fido2-roaming",
            "change_type": "create",
            "friendly_name": "Jo's key",
            "x509_issuer": "CN=Jo Bloggs",
            "x509_serial": "0badc0ffee",
            "fido2_aaguid": "aaguid-1",
            "event_timestamp": 1_700_000_000,
            "reason_admin": {"en": "Jo Bloggs added a key"},
            "reason_user": {"en": "You added a key", "cy": "..."},
        });
        let event = parse(Kind::CredentialChange, &payload).unwrap();
        let SecurityEvent::CredentialChange(change) = &event else { panic!() };
        assert_eq!(change.change_type, ChangeType::Create);
        assert_eq!(change.friendly_name.as_deref(), Some("Jo's key"));
        assert_eq!(change.x509_issuer.as_deref(), Some("CN=Jo Bloggs"));
        assert_eq!(change.x509_serial.as_deref(), Some("0badc0ffee"));
        assert_eq!(change.fido2_aaguid.as_deref(), Some("aaguid-1"));
        assert_eq!(change.common.event_timestamp, Some(1_700_000_000));
        assert_eq!(change.common.reason_admin.as_ref().unwrap()["en"], "Jo Bloggs added a key");
        assert_eq!(change.common.reason_user.as_ref().unwrap().len(), 2);
        let printed = assert_hides(&event, &[SUB, "Jo", "0badc0ffee", "You added"]);
        assert!(printed.contains("\"en\"") && printed.contains("\"cy\""), "{printed}");
        for (change_type, expected) in
            [("revoke", ChangeType::Revoke), ("delete", ChangeType::Delete), ("update", ChangeType::Update)]
        {
            let payload = json!({"credential_type": "password", "change_type": change_type});
            let SecurityEvent::CredentialChange(c) = parse(Kind::CredentialChange, &payload).unwrap() else { panic!() };
            assert_eq!(c.change_type, expected);
            assert_eq!(c.change_type.as_str(), change_type);
            assert_eq!(c.subject, None);
        }
    }

    #[test]
    fn caep_events() {
        let session = json!({
            "subject": {"format": "complex", "user": {"format": "iss_sub", "iss": ISSUER, "sub": SUB}},
            "initiating_entity": "policy",
            "event_timestamp": 1_615_304_991
        });
        let event = parse(Kind::SessionRevoked, &session).unwrap();
        let SecurityEvent::SessionRevoked(e) = &event else { panic!() };
        assert_eq!(e.subject.as_ref().unwrap().format(), "complex");
        assert_eq!(e.common.initiating_entity.as_deref(), Some("policy"));
        assert_eq!(e.common.event_timestamp, Some(1_615_304_991));
        assert_hides(&event, &[SUB]);

        let level = json!({
            "subject": subject_json(), "namespace": "NIST-AAL", "current_level": "nist-aal2",
            "previous_level": "nist-aal1", "change_direction": "increase"
        });
        let SecurityEvent::AssuranceLevelChange(e) = parse(Kind::AssuranceLevelChange, &level).unwrap() else {
            panic!()
        };
        assert_eq!(e.subject, Some(uri_subject()));
        assert_eq!((e.namespace.as_str(), e.current_level.as_str()), ("NIST-AAL", "nist-aal2"));
        assert_eq!(e.previous_level.as_deref(), Some("nist-aal1"));
        assert_eq!(e.change_direction.as_deref(), Some("increase"));
        let minimal = json!({"namespace": "NIST-AAL", "current_level": "nist-aal2"});
        let SecurityEvent::AssuranceLevelChange(e) = parse(Kind::AssuranceLevelChange, &minimal).unwrap() else {
            panic!()
        };
        assert_eq!((e.previous_level, e.change_direction), (None, None));

        let claims = json!({"subject": subject_json(), "claims": {"email": EMAIL, "role": "secret-role"}});
        let event = parse(Kind::TokenClaimsChange, &claims).unwrap();
        let SecurityEvent::TokenClaimsChange(e) = &event else { panic!() };
        assert_eq!(e.claims["email"], EMAIL);
        let printed = assert_hides(&event, &[EMAIL, "secret-role", SUB]);
        assert!(printed.contains("\"email\"") && printed.contains("\"role\""), "{printed}");

        let device =
            json!({"subject": subject_json(), "previous_status": "compliant", "current_status": "not-compliant"});
        let SecurityEvent::DeviceComplianceChange(e) = parse(Kind::DeviceComplianceChange, &device).unwrap() else {
            panic!()
        };
        assert_eq!((e.previous_status.as_str(), e.current_status.as_str()), ("compliant", "not-compliant"));
    }

    #[test]
    fn risc_events() {
        type AsRisc = fn(&SecurityEvent) -> Option<&RiscEvent>;
        let plain: [(Kind, AsRisc); 11] = [
            (Kind::AccountPurged, |e| if let SecurityEvent::AccountPurged(r) = e { Some(r) } else { None }),
            (Kind::AccountEnabled, |e| if let SecurityEvent::AccountEnabled(r) = e { Some(r) } else { None }),
            (Kind::AccountCredentialChangeRequired, |e| {
                if let SecurityEvent::AccountCredentialChangeRequired(r) = e { Some(r) } else { None }
            }),
            (Kind::IdentifierRecycled, |e| if let SecurityEvent::IdentifierRecycled(r) = e { Some(r) } else { None }),
            (Kind::OptIn, |e| if let SecurityEvent::OptIn(r) = e { Some(r) } else { None }),
            (Kind::OptOutInitiated, |e| if let SecurityEvent::OptOutInitiated(r) = e { Some(r) } else { None }),
            (Kind::OptOutCancelled, |e| if let SecurityEvent::OptOutCancelled(r) = e { Some(r) } else { None }),
            (Kind::OptOutEffective, |e| if let SecurityEvent::OptOutEffective(r) = e { Some(r) } else { None }),
            (Kind::RecoveryActivated, |e| if let SecurityEvent::RecoveryActivated(r) = e { Some(r) } else { None }),
            (Kind::RecoveryInformationChanged, |e| {
                if let SecurityEvent::RecoveryInformationChanged(r) = e { Some(r) } else { None }
            }),
            (Kind::SessionsRevoked, |e| if let SecurityEvent::SessionsRevoked(r) = e { Some(r) } else { None }),
        ];
        let payload =
            json!({"subject": subject_json(), "event_timestamp": 1_700_000_000, "initiating_entity": "system"});
        for (kind, variant) in plain {
            let event = parse(kind, &payload).unwrap();
            let risc = variant(&event).unwrap_or_else(|| panic!("{kind:?} gave {event:?}"));
            assert_eq!(risc.subject, Some(uri_subject()));
            assert_eq!(risc.common.event_timestamp, Some(1_700_000_000));
            assert_eq!(risc.common.initiating_entity.as_deref(), Some("system"));
            assert_eq!(event.uri(), kind.uri());
            assert!(event.name().starts_with("risc."), "{}", event.name());
            assert_eq!(event.subject(), Some(&uri_subject()));
            assert_hides(&event, &[SUB]);
        }
        assert_eq!(
            parse(Kind::AccountPurged, &json!({"subject": subject_json()})).unwrap().name(),
            "risc.account-purged"
        );

        let SecurityEvent::AccountDisabled(e) =
            parse(Kind::AccountDisabled, &json!({"subject": subject_json(), "reason": "hijacking"})).unwrap()
        else {
            panic!()
        };
        assert_eq!(e.reason.as_deref(), Some("hijacking"));
        let SecurityEvent::AccountDisabled(e) = parse(Kind::AccountDisabled, &json!({})).unwrap() else { panic!() };
        assert_eq!((e.subject, e.reason), (None, None));

        let SecurityEvent::CredentialCompromise(e) = parse(
            Kind::CredentialCompromise,
            &json!({"subject": subject_json(), "credential_type": "password", "reason_user": {"en": "x"}}),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(e.credential_type, "password");
        assert!(e.common.reason_user.is_some());

        let changed = json!({"subject": {"format": "email", "email": "old@example.org"}, "new-value": EMAIL});
        let event = parse(Kind::IdentifierChanged, &changed).unwrap();
        let SecurityEvent::IdentifierChanged(e) = &event else { panic!() };
        assert_eq!(e.new_value.as_deref(), Some(EMAIL));
        assert_eq!(e.subject, Some(SubjectId::Email { email: "old@example.org".into() }));
        let printed = assert_hides(&event, &[EMAIL, "old@example.org"]);
        assert!(printed.contains("new_value: Some([redacted])"), "{printed}");
    }

    #[test]
    fn one_login_events() {
        let notifications: [(Kind, &str); 4] = [
            (Kind::AccountBlock, "onelogin.accountBlock"),
            (Kind::AccountConcern, "onelogin.accountConcern"),
            (Kind::CredentialConcern, "onelogin.credentialConcern"),
            (Kind::DeviceConcern, "onelogin.deviceConcern"),
        ];
        let payload = json!({
            "subject": subject_json(),
            "reason_admin": {"en": "Suspected fraud by Jo Bloggs"},
            "initiating_entity": "admin",
            "event_timeframe": {"start_time": 1_700_000_000, "end_time": 1_700_000_600},
            "rationale": {"code": "R1"},
        });
        for (kind, name) in notifications {
            let event = parse(kind, &payload).unwrap();
            let n = match &event {
                SecurityEvent::AccountBlock(n) if kind == Kind::AccountBlock => n,
                SecurityEvent::AccountConcern(n) if kind == Kind::AccountConcern => n,
                SecurityEvent::CredentialConcern(n) if kind == Kind::CredentialConcern => n,
                SecurityEvent::DeviceConcern(n) if kind == Kind::DeviceConcern => n,
                other => panic!("{kind:?} gave {other:?}"),
            };
            assert_eq!(n.subject, Some(uri_subject()));
            assert_eq!(n.rationale_code.as_deref(), Some("R1"));
            assert_eq!(n.event_timeframe, Some(json!({"start_time": 1_700_000_000, "end_time": 1_700_000_600})));
            assert_eq!(n.common.initiating_entity.as_deref(), Some("admin"));
            assert_eq!(event.name(), name);
            assert_eq!(event.uri(), kind.uri());
            let printed = assert_hides(&event, &[SUB, "Jo Bloggs", "1700000000"]);
            assert!(printed.contains("start_time"), "{printed}");
        }
        let SecurityEvent::AccountBlock(n) = parse(Kind::AccountBlock, &json!({"subject": subject_json()})).unwrap()
        else {
            panic!()
        };
        assert_eq!((n.rationale_code, n.event_timeframe), (None, None));
        assert!(parse(Kind::AccountConcern, &json!({"rationale": {}})).is_ok());
        assert_eq!(parse(Kind::AccountConcern, &json!({"rationale": "R1"})).unwrap_err(), "rationale is not an object");
        assert_eq!(
            parse(Kind::AccountConcern, &json!({"rationale": {"code": 1}})).unwrap_err(),
            "rationale.code is not a string"
        );

        let recovered = json!({"subject": subject_json(), "previous_session_id": "old-session-secret", "session": {"id": "new-session-secret"}});
        let event = parse(Kind::SessionRecovered, &recovered).unwrap();
        let SecurityEvent::SessionRecovered(e) = &event else { panic!() };
        assert_eq!(e.previous_session_id.as_deref(), Some("old-session-secret"));
        assert_eq!(e.session, Some(json!({"id": "new-session-secret"})));
        assert_eq!(event.name(), "onelogin.sessionRecovered");
        assert_hides(&event, &[SUB, "old-session-secret", "new-session-secret"]);
    }

    #[test]
    fn verification_under_both_uris() {
        let ssf = "https://schemas.openid.net/secevent/ssf/event-type/verification";
        let sse = "https://schemas.openid.net/secevent/sse/event-type/verification";
        for (uri, legacy) in [(ssf, false), (sse, true)] {
            let event = SecurityEvent::parse(uri, &json!({"state": "state-secret-123"})).unwrap();
            assert_eq!(
                event,
                SecurityEvent::Verification(Verification {
                    state: Some("state-secret-123".into()),
                    legacy_sse: legacy
                })
            );
            assert_eq!(event.uri(), uri);
            assert_eq!(event.name(), "ssf.verification");
            assert_eq!(event.subject(), None);
            let printed = assert_hides(&event, &["state-secret-123"]);
            assert!(printed.contains("state: Some([redacted])"), "{printed}");

            let event = SecurityEvent::parse(uri, &json!({})).unwrap();
            assert_eq!(event, SecurityEvent::Verification(Verification { state: None, legacy_sse: legacy }));
            assert!(format!("{event:?}").contains("state: None"));
            assert_eq!(SecurityEvent::parse(uri, &json!({"state": 5})).unwrap_err(), "state is not a string");
            assert_eq!(SecurityEvent::parse(uri, &json!("state")).unwrap_err(), "the event is not an object");
        }
    }

    #[test]
    fn stream_updated() {
        let uri = "https://schemas.openid.net/secevent/ssf/event-type/stream-updated";
        for (status, expected) in
            [("enabled", StreamStatus::Enabled), ("paused", StreamStatus::Paused), ("disabled", StreamStatus::Disabled)]
        {
            let event = SecurityEvent::parse(uri, &json!({"status": status, "reason": "maintenance"})).unwrap();
            assert_eq!(
                event,
                SecurityEvent::StreamUpdated(StreamUpdated { status: expected, reason: Some("maintenance".into()) })
            );
            assert_eq!(expected.as_str(), status);
            assert_eq!((event.uri(), event.name(), event.subject()), (uri, "ssf.stream-updated", None));
        }
        let SecurityEvent::StreamUpdated(e) = SecurityEvent::parse(uri, &json!({"status": "paused"})).unwrap() else {
            panic!()
        };
        assert_eq!(e.reason, None);
        assert_eq!(
            SecurityEvent::parse(uri, &json!({"status": "stopped"})).unwrap_err(),
            "status is not one of enabled, paused, disabled"
        );
        assert_eq!(
            SecurityEvent::parse(uri, &json!({"status": "Enabled"})).unwrap_err(),
            "status is not one of enabled, paused, disabled"
        );
        assert_eq!(SecurityEvent::parse(uri, &json!({})).unwrap_err(), "status is missing");
        assert_eq!(SecurityEvent::parse(uri, &json!({"status": true})).unwrap_err(), "status is not a string");
    }

    #[test]
    fn unknown_uris_are_kept_raw() {
        let uri = "https://example.org/secevent/new-thing";
        let payload = json!({"subject": {"format": "email", "email": EMAIL}, "secret": "value-xyz"});
        let event = SecurityEvent::parse(uri, &payload).unwrap();
        assert_eq!(event, SecurityEvent::Unknown { uri: uri.into(), payload: payload.clone() });
        assert_eq!((event.uri(), event.name(), event.subject()), (uri, "unknown", None));
        let printed = assert_hides(&event, &[EMAIL, "value-xyz"]);
        assert_eq!(printed, format!("Unknown {{ uri: {uri:?}, payload: [\"secret\", \"subject\"] }}"));
        // Not necessarily an object.
        let event = SecurityEvent::parse(uri, &json!("a string")).unwrap();
        assert_eq!(event, SecurityEvent::Unknown { uri: uri.into(), payload: json!("a string") });
        assert!(!format!("{event:?}").contains("a string"));
        // A near miss of a known URI is unknown, and the URI is bounded and log-safe in Debug.
        let near = "https://schemas.openid.net/secevent/caep/event-type/Credential-Change";
        assert!(matches!(SecurityEvent::parse(near, &json!(null)), Ok(SecurityEvent::Unknown { .. })));
        let forged = format!("{}\nINFO forged", "u".repeat(300));
        let printed = format!("{:?}", SecurityEvent::parse(&forged, &json!({})).unwrap());
        assert!(!printed.contains('\n') && !printed.contains(&"u".repeat(201)), "{printed}");
    }

    #[test]
    fn every_kind_round_trips_its_uri() {
        let minimal = json!({
            "credential_type": "password", "change_type": "update", "namespace": "n", "current_level": "l",
            "claims": {}, "previous_status": "compliant", "current_status": "compliant", "status": "enabled",
        });
        assert_eq!(Kind::ALL.len(), 27);
        for &kind in Kind::ALL {
            assert_eq!(Kind::from_uri(kind.uri()), Some(kind));
            let event = SecurityEvent::parse(kind.uri(), &minimal).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert!(!matches!(event, SecurityEvent::Unknown { .. }), "{kind:?}");
            assert_eq!(event.uri(), kind.uri());
            assert_eq!(event.name(), kind.name());
            assert!(format!("{event:?}").starts_with(kind.name()), "{event:?}");
            assert_eq!(
                SecurityEvent::parse(kind.uri(), &json!([])).unwrap_err(),
                "the event is not an object",
                "{kind:?}"
            );
            assert_eq!(SecurityEvent::parse(kind.uri(), &json!(null)).unwrap_err(), "the event is not an object");
        }
    }

    // --- Malformed known events ---

    /// One Login's schema makes `credential_type` optional: a credential change without it is
    /// typed (and so ends the user's sessions), not refused.
    #[test]
    fn a_credential_change_without_its_type_is_still_typed() {
        let event = SecurityEvent::parse(
            "https://schemas.openid.net/secevent/caep/event-type/credential-change",
            &json!({"subject": subject_json(), "change_type": "update"}),
        )
        .unwrap();
        let SecurityEvent::CredentialChange(change) = event else { panic!("{event:?}") };
        assert_eq!(change.credential_type, None);
    }

    /// CAEP's session-revoked names its person inside a `complex` subject; SSF's `aliases`
    /// lists several identifiers. Both resolve to the pairwise `sub` they hold.
    #[test]
    fn complex_and_aliases_subjects_resolve_to_their_user() {
        let op = "https://oidc.example/";
        let complex = SubjectId::from_json(&json!({
            "format": "complex",
            "user": {"format": "iss_sub", "iss": op, "sub": "the-sub"},
            "session": {"format": "opaque", "id": "s"},
        }))
        .unwrap();
        assert_eq!(complex.subject_for(op), Some(Subject::new("the-sub")));
        assert_eq!(complex.subject_for("https://elsewhere/"), None);
        let aliases = SubjectId::from_json(&json!({
            "format": "aliases",
            "identifiers": [{"format": "email", "email": "a@b.c"}, {"format": "uri", "uri": "urn:x"}],
        }))
        .unwrap();
        assert_eq!(aliases.subject_for(op), Some(Subject::new("urn:x")));
        let nested = SubjectId::from_json(&json!({
            "format": "complex",
            "user": {"format": "complex", "user": {"format": "uri", "uri": "urn:deep"}},
        }))
        .unwrap();
        assert_eq!(nested.subject_for(op), None, "one level deep only");
    }

    #[test]
    fn missing_required_members_are_errors() {
        let cases: [(Kind, Value, &str); 8] = [
            (Kind::CredentialChange, json!({"credential_type": "password"}), "change_type is missing"),
            (Kind::AssuranceLevelChange, json!({"current_level": "l"}), "namespace is missing"),
            (Kind::AssuranceLevelChange, json!({"namespace": "n"}), "current_level is missing"),
            (Kind::TokenClaimsChange, json!({"subject": subject_json()}), "claims is missing"),
            (Kind::DeviceComplianceChange, json!({"current_status": "compliant"}), "previous_status is missing"),
            (Kind::DeviceComplianceChange, json!({"previous_status": "compliant"}), "current_status is missing"),
            (Kind::CredentialCompromise, json!({"subject": subject_json()}), "credential_type is missing"),
            (Kind::StreamUpdated, json!({"reason": "r"}), "status is missing"),
        ];
        for (kind, payload, reason) in cases {
            assert_eq!(parse(kind, &payload).unwrap_err(), reason, "{kind:?}");
        }
        // A required member sent as `null` is missing.
        assert_eq!(
            parse(Kind::CredentialChange, &json!({"credential_type": "password", "change_type": null})).unwrap_err(),
            "change_type is missing"
        );
    }

    #[test]
    fn wrong_types_are_errors_naming_the_member_only() {
        let good = json!({"subject": subject_json(), "credential_type": "password", "change_type": "update"});
        let with = |member: &str, value: Value| {
            let mut payload = good.clone();
            payload[member] = value;
            parse(Kind::CredentialChange, &payload).unwrap_err()
        };
        assert_eq!(
            with("change_type", json!("rotate-secret-x")),
            "change_type is not one of create, revoke, update, delete"
        );
        assert_eq!(with("change_type", json!("UPDATE")), "change_type is not one of create, revoke, update, delete");
        assert_eq!(with("credential_type", json!(1)), "credential_type is not a string");
        assert_eq!(with("friendly_name", json!(["x"])), "friendly_name is not a string");
        assert_eq!(with("fido2_aaguid", json!(false)), "fido2_aaguid is not a string");
        assert_eq!(with("event_timestamp", json!("1700000000")), "event_timestamp is not an integer");
        assert_eq!(with("event_timestamp", json!(1.5)), "event_timestamp is not an integer");
        assert_eq!(with("event_timestamp", json!(u64::MAX)), "event_timestamp is not an integer");
        assert_eq!(with("initiating_entity", json!({"who": "user"})), "initiating_entity is not a string");
        assert_eq!(with("reason_admin", json!("Jo Bloggs did it")), "reason_admin is not an object");
        assert_eq!(with("reason_user", json!(["en"])), "reason_user is not an object");
        assert_eq!(with("subject", json!({"format": "uri"})), "subject is not a subject identifier");
        assert_eq!(with("subject", json!(SUB)), "subject is not a subject identifier");
        assert_eq!(with("subject", json!({"uri": SUB})), "subject is not a subject identifier");
        assert_eq!(
            parse(Kind::TokenClaimsChange, &json!({"claims": ["email"]})).unwrap_err(),
            "claims is not an object"
        );
        assert_eq!(parse(Kind::IdentifierChanged, &json!({"new-value": 7})).unwrap_err(), "new-value is not a string");
        assert_eq!(
            parse(Kind::AccountPurged, &json!({"subject": 1})).unwrap_err(),
            "subject is not a subject identifier"
        );
        assert_eq!(
            parse(Kind::SessionRecovered, &json!({"previous_session_id": 1})).unwrap_err(),
            "previous_session_id is not a string"
        );
    }

    #[test]
    fn tolerances() {
        // Unknown members anywhere, and `null` optional members, are ignored.
        let payload = json!({
            "subject": {"format": "uri", "uri": SUB, "future": {"x": 1}},
            "credential_type": "password",
            "change_type": "update",
            "friendly_name": null,
            "event_timestamp": null,
            "subject_extra": [1, 2],
            "reason_admin": {"en": "x", "future": 1},
        });
        let SecurityEvent::CredentialChange(change) = parse(Kind::CredentialChange, &payload).unwrap() else {
            panic!()
        };
        assert_eq!(change.subject, Some(uri_subject()));
        assert_eq!((change.friendly_name, change.common.event_timestamp), (None, None));
        // An explicit `null` subject counts as absent; a negative timestamp is an integer.
        let SecurityEvent::AccountPurged(e) =
            parse(Kind::AccountPurged, &json!({"subject": null, "event_timestamp": -1})).unwrap()
        else {
            panic!()
        };
        assert_eq!((e.subject, e.common.event_timestamp), (None, Some(-1)));
    }

    // --- The whole `events` claim ---

    #[test]
    fn companions() {
        for uri in [
            "https://vocab.account.gov.uk/secevent/v1/eventMetadata",
            "https://vocab.account.gov.uk/secevent/v1/credentialChange/eventInformation",
            "https://vocab.account.gov.uk/secevent/v1/accountBlock/eventDetails",
            "https://vocab.account.gov.uk/secevent/v1/notification/accountBlock/eventDetails",
        ] {
            assert!(is_companion(uri), "{uri}");
        }
        for uri in [
            "https://vocab.account.gov.uk/secevent/v1/notification/accountBlock",
            "https://vocab.account.gov.uk/secevent/v1/activity/sessionRecovered",
            "https://vocab.account.gov.uk/secevent/v1/eventMetadata/extra",
            "https://vocab.account.gov.uk/secevent/v1/eventDetails",
            "https://vocab.account.gov.uk/secevent/v2/credentialChange/eventInformation",
            "http://vocab.account.gov.uk/secevent/v1/eventMetadata",
            "https://example.org/secevent/v1/x/eventDetails",
            "https://schemas.openid.net/secevent/caep/event-type/credential-change",
        ] {
            assert!(!is_companion(uri), "{uri}");
        }
    }

    #[test]
    fn parse_events_types_the_claim() {
        let events = json!({
            "https://schemas.openid.net/secevent/risc/event-type/account-purged": {"subject": subject_json()},
            "https://vocab.account.gov.uk/secevent/v1/eventMetadata": {"event_timestamp_ms": 1_700_000_000_000_i64},
            "https://vocab.account.gov.uk/secevent/v1/accountPurged/eventDetails": {"device_id": "d"},
            "https://example.org/another": {"x": 1},
        });
        let (typed, companions) = parse_events(&events).unwrap();
        assert_eq!(typed.len(), 2);
        assert_eq!(
            typed[0],
            SecurityEvent::Unknown { uri: "https://example.org/another".into(), payload: json!({"x": 1}) }
        );
        assert_eq!(typed[1].name(), "risc.account-purged");
        assert_eq!(typed[1].subject(), Some(&uri_subject()));
        assert_eq!(companions.len(), 2);
        assert_eq!(
            companions["https://vocab.account.gov.uk/secevent/v1/accountPurged/eventDetails"],
            json!({"device_id": "d"})
        );

        // Only an unknown event is still an event.
        let (typed, companions) = parse_events(&json!({"urn:example:thing": {}})).unwrap();
        assert_eq!((typed.len(), companions.len()), (1, 0));
    }

    #[test]
    fn parse_events_errors() {
        assert_eq!(parse_events(&json!({})).unwrap_err(), "events is empty");
        for not_object in [json!(null), json!([]), json!("events"), json!(1)] {
            assert_eq!(parse_events(&not_object).unwrap_err(), "events is not an object");
        }
        let only_companions = json!({
            "https://vocab.account.gov.uk/secevent/v1/credentialChange/eventInformation": {"email": EMAIL},
            "https://vocab.account.gov.uk/secevent/v1/eventMetadata": null,
        });
        assert_eq!(parse_events(&only_companions).unwrap_err(), "events holds only companion keys");
        let malformed = json!({
            "https://schemas.openid.net/secevent/caep/event-type/credential-change": {
                "subject": {"format": "email", "email": EMAIL}, "credential_type": "email", "change_type": EMAIL
            },
            "https://vocab.account.gov.uk/secevent/v1/credentialChange/eventInformation": {"email": EMAIL},
        });
        let reason = parse_events(&malformed).unwrap_err();
        assert_eq!(reason, "caep.credential-change: change_type is not one of create, revoke, update, delete");
        assert!(!reason.contains(EMAIL));
        let malformed_sse = json!({"https://schemas.openid.net/secevent/sse/event-type/verification": "s"});
        assert_eq!(parse_events(&malformed_sse).unwrap_err(), "ssf.verification: the event is not an object");
    }

    #[test]
    fn common_debug_shows_keys_not_values() {
        let common = EventCommon {
            event_timestamp: Some(5),
            initiating_entity: Some("admin".into()),
            reason_admin: Some(json!({"en": "Jo Bloggs"}).as_object().unwrap().clone()),
            reason_user: None,
        };
        assert_eq!(
            assert_hides(&common, &["Jo Bloggs"]),
            r#"EventCommon { event_timestamp: Some(5), initiating_entity: Some("admin"), reason_admin: Some(["en"]), reason_user: None }"#
        );
        let many: Map<String, Value> = (0..20).map(|i| (format!("k{i:02}"), json!(i))).collect();
        let printed = format!("{:?}", Keys(&many));
        assert!(printed.contains("k15") && !printed.contains("k16") && printed.ends_with(", ..]"), "{printed}");
    }
}
