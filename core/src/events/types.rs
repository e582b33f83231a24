//! The typed events of a SET's `events` claim ([`SecurityEvent`]) and the subject identifiers
//! they name ([`SubjectId`], RFC 9493). Known event types are checked against their
//! definitions (CAEP 1.0, RISC 1.0, SSF 1.0 and One Login's own vocabulary); unknown members
//! are ignored, unknown types kept raw. `Debug` never prints personal data.

use std::fmt;

use serde_json::{Map, Value};

use crate::types::{Subject, loggable};

const CAEP: &str = "https://schemas.openid.net/secevent/caep/event-type/";
const RISC: &str = "https://schemas.openid.net/secevent/risc/event-type/";
const NOTIFICATION: &str = "https://vocab.account.gov.uk/secevent/v1/notification/";
const ONE_LOGIN_V1: &str = "https://vocab.account.gov.uk/secevent/v1/";
const SESSION_RECOVERED: &str = "https://vocab.account.gov.uk/secevent/v1/activity/sessionRecovered";
const VERIFICATION: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";
const VERIFICATION_SSE: &str = "https://schemas.openid.net/secevent/sse/event-type/verification";
const STREAM_UPDATED: &str = "https://schemas.openid.net/secevent/ssf/event-type/stream-updated";

/// An RFC 9493 subject identifier, and the legacy spellings One Login's libraries use.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubjectId {
    /// `uri`: what One Login's user events carry; the `uri` is the relying party's pairwise
    /// `sub`.
    Uri {
        /// The URI.
        uri: String,
    },
    /// `iss_sub` (legacy `iss-sub`): a subject of an issuer.
    IssSub {
        /// The issuer.
        iss: String,
        /// The subject.
        sub: String,
    },
    /// `opaque`: such as a stream id.
    Opaque {
        /// The identifier.
        id: String,
    },
    /// `email`.
    Email {
        /// The address.
        email: String,
    },
    /// `phone_number` (legacy `phone`).
    PhoneNumber {
        /// The number.
        phone_number: String,
    },
    /// `account` (an `acct:` URI).
    Account {
        /// The URI.
        uri: String,
    },
    /// Any other format (`complex`, `did`, `aliases`, …), kept as it came.
    Other {
        /// The format.
        format: String,
        /// The whole identifier.
        raw: Value,
    },
}

impl fmt::Debug for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectId::Opaque { id } => write!(f, "SubjectId::Opaque({})", loggable(id, 64)),
            SubjectId::Other { format, .. } => write!(f, "SubjectId::Other({}, [redacted])", loggable(format, 32)),
            other => write!(f, "SubjectId({}, [redacted])", other.format()),
        }
    }
}

fn text(value: &Value, member: &str) -> Option<String> {
    value.get(member)?.as_str().map(str::to_owned)
}

impl SubjectId {
    /// Reads `{"format" (or the legacy "subject_type"): …, …}`. `None` when it is not an object,
    /// has no string format, or a known format lacks its member.
    pub fn from_json(value: &Value) -> Option<SubjectId> {
        let format = value.get("format").or_else(|| value.get("subject_type"))?.as_str()?;
        Some(match format {
            "uri" => SubjectId::Uri { uri: text(value, "uri")? },
            "iss_sub" | "iss-sub" => SubjectId::IssSub { iss: text(value, "iss")?, sub: text(value, "sub")? },
            "opaque" => SubjectId::Opaque { id: text(value, "id")? },
            "email" => SubjectId::Email { email: text(value, "email")? },
            "phone_number" | "phone" => SubjectId::PhoneNumber { phone_number: text(value, "phone_number")? },
            "account" => SubjectId::Account { uri: text(value, "uri")? },
            other => SubjectId::Other { format: other.to_owned(), raw: value.clone() },
        })
    }

    /// The format's name: `uri`, `iss_sub`, `opaque`, `email`, `phone_number`, `account`, or
    /// the other's.
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
    /// `oidc_issuer`: a `uri`'s URI, or an `iss_sub`'s subject when its issuer is exactly that
    /// one; `None` otherwise.
    pub fn subject_for(&self, oidc_issuer: &str) -> Option<Subject> {
        match self {
            SubjectId::Uri { uri } if !uri.is_empty() => Some(Subject::new(uri.clone())),
            SubjectId::IssSub { iss, sub } if iss == oidc_issuer && !sub.is_empty() => Some(Subject::new(sub.clone())),
            _ => None,
        }
    }
}

/// The optional members CAEP, RISC and One Login's notifications share.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct EventCommon {
    /// When the event happened (`event_timestamp`, seconds).
    pub event_timestamp: Option<i64>,
    /// `admin`, `user`, `policy` or `system` (`initiating_entity`).
    pub initiating_entity: Option<String>,
    /// A reason for administrators, by language tag (`reason_admin`).
    pub reason_admin: Option<Map<String, Value>>,
    /// A reason for the user, by language tag (`reason_user`).
    pub reason_user: Option<Map<String, Value>>,
}

impl fmt::Debug for EventCommon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventCommon")
            .field("event_timestamp", &self.event_timestamp)
            .field("initiating_entity", &self.initiating_entity.as_deref().map(|e| loggable(e, 16)))
            .finish_non_exhaustive()
    }
}

/// A CAEP event with no members of its own (session-revoked).
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct CaepEvent {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
}

/// A RISC event with no members of its own.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct RiscEvent {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
}

/// What a credential change did (CAEP `change_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeType {
    /// `create`.
    Create,
    /// `revoke`.
    Revoke,
    /// `update`.
    Update,
    /// `delete`.
    Delete,
}

/// CAEP credential-change. One Login sends `credential_type` `password` or `email`.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct CredentialChange {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
    /// Which credential (`credential_type`).
    pub credential_type: String,
    /// What happened to it (`change_type`).
    pub change_type: ChangeType,
    /// `friendly_name`.
    pub friendly_name: Option<String>,
    /// `x509_issuer`.
    pub x509_issuer: Option<String>,
    /// `x509_serial`.
    pub x509_serial: Option<String>,
    /// `fido2_aaguid`.
    pub fido2_aaguid: Option<String>,
}

impl fmt::Debug for CredentialChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialChange")
            .field("subject", &self.subject)
            .field("credential_type", &loggable(&self.credential_type, 32))
            .field("change_type", &self.change_type)
            .finish_non_exhaustive()
    }
}

/// CAEP assurance-level-change.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct AssuranceLevelChange {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
    /// The level's namespace (`namespace`).
    pub namespace: String,
    /// The level now (`current_level`).
    pub current_level: String,
    /// The level before (`previous_level`).
    pub previous_level: Option<String>,
    /// `increase` or `decrease` (`change_direction`).
    pub change_direction: Option<String>,
}

/// CAEP token-claims-change. The claims may be personal data: `Debug` shows their names.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct TokenClaimsChange {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
    /// The changed claims and their new values.
    pub claims: Map<String, Value>,
}

impl fmt::Debug for TokenClaimsChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClaimsChange")
            .field("subject", &self.subject)
            .field("claims", &self.claims.keys().map(|k| loggable(k, 64)).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// CAEP device-compliance-change.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct DeviceComplianceChange {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
    /// `compliant` or `not-compliant` before.
    pub previous_status: String,
    /// `compliant` or `not-compliant` now.
    pub current_status: String,
}

/// RISC account-disabled.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct AccountDisabled {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
    /// `hijacking` or `bulk-account` (`reason`).
    pub reason: Option<String>,
}

/// RISC credential-compromise.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct CredentialCompromise {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
    /// Which credential (`credential_type`).
    pub credential_type: String,
}

/// RISC identifier-changed. The new value is personal data: `Debug` hides it.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct IdentifierChanged {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
    /// The new identifier (`new-value`).
    pub new_value: Option<String>,
}

impl fmt::Debug for IdentifierChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentifierChanged")
            .field("subject", &self.subject)
            .field("new_value", &self.new_value.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// One of One Login's notifications (accountBlock, accountConcern, credentialConcern,
/// deviceConcern).
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct Notification {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
    /// `rationale.code`, when sent.
    pub rationale_code: Option<String>,
    /// `event_timeframe`, as sent.
    pub event_timeframe: Option<Value>,
}

/// One Login's sessionRecovered activity.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionRecovered {
    /// The event's `subject`.
    pub subject: Option<SubjectId>,
    /// The shared optional members.
    pub common: EventCommon,
    /// `previous_session_id`.
    pub previous_session_id: Option<String>,
    /// `session`, as sent.
    pub session: Option<Value>,
}

impl fmt::Debug for SessionRecovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecovered").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// The SSF verification event (under its 1.0 URI or the older `sse` one).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Verification {
    /// The `state` the receiver asked for; none in an unsolicited one.
    pub state: Option<String>,
    /// Whether it came under the pre-1.0 `sse` URI (as One Login sends it).
    pub legacy_sse: bool,
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verification")
            .field("state", &self.state.as_ref().map(|_| "[redacted]"))
            .field("legacy_sse", &self.legacy_sse)
            .finish()
    }
}

/// A stream's status (SSF stream-updated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamStatus {
    /// `enabled`.
    Enabled,
    /// `paused`.
    Paused,
    /// `disabled`.
    Disabled,
}

/// The SSF stream-updated event.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct StreamUpdated {
    /// The stream's status now.
    pub status: StreamStatus,
    /// Why, when said.
    pub reason: Option<String>,
}

/// One event of a SET's `events` claim, typed by its URI.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum SecurityEvent {
    /// CAEP session-revoked.
    SessionRevoked(CaepEvent),
    /// CAEP credential-change.
    CredentialChange(CredentialChange),
    /// CAEP assurance-level-change.
    AssuranceLevelChange(AssuranceLevelChange),
    /// CAEP token-claims-change.
    TokenClaimsChange(TokenClaimsChange),
    /// CAEP device-compliance-change.
    DeviceComplianceChange(DeviceComplianceChange),
    /// RISC account-purged.
    AccountPurged(RiscEvent),
    /// RISC account-disabled.
    AccountDisabled(AccountDisabled),
    /// RISC account-enabled.
    AccountEnabled(RiscEvent),
    /// RISC account-credential-change-required.
    AccountCredentialChangeRequired(RiscEvent),
    /// RISC credential-compromise.
    CredentialCompromise(CredentialCompromise),
    /// RISC identifier-changed.
    IdentifierChanged(IdentifierChanged),
    /// RISC identifier-recycled.
    IdentifierRecycled(RiscEvent),
    /// RISC opt-in.
    OptIn(RiscEvent),
    /// RISC opt-out-initiated.
    OptOutInitiated(RiscEvent),
    /// RISC opt-out-cancelled.
    OptOutCancelled(RiscEvent),
    /// RISC opt-out-effective.
    OptOutEffective(RiscEvent),
    /// RISC recovery-activated.
    RecoveryActivated(RiscEvent),
    /// RISC recovery-information-changed.
    RecoveryInformationChanged(RiscEvent),
    /// RISC sessions-revoked (deprecated by RISC 1.0 for CAEP session-revoked).
    SessionsRevoked(RiscEvent),
    /// One Login accountBlock.
    AccountBlock(Notification),
    /// One Login accountConcern.
    AccountConcern(Notification),
    /// One Login credentialConcern.
    CredentialConcern(Notification),
    /// One Login deviceConcern.
    DeviceConcern(Notification),
    /// One Login sessionRecovered.
    SessionRecovered(SessionRecovered),
    /// SSF verification.
    Verification(Verification),
    /// SSF stream-updated.
    StreamUpdated(StreamUpdated),
    /// Any other event type, kept as it came.
    Unknown {
        /// Its URI.
        uri: String,
        /// Its payload. It may hold personal data: `Debug` shows its member names.
        payload: Value,
    },
}

impl fmt::Debug for SecurityEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecurityEvent::Unknown { uri, payload } => {
                let keys: Vec<String> =
                    payload.as_object().map(|o| o.keys().map(|k| loggable(k, 64)).collect()).unwrap_or_default();
                f.debug_struct("Unknown").field("uri", &loggable(uri, 200)).field("members", &keys).finish()
            }
            SecurityEvent::SessionRevoked(e) => f.debug_tuple("SessionRevoked").field(e).finish(),
            SecurityEvent::CredentialChange(e) => f.debug_tuple("CredentialChange").field(e).finish(),
            SecurityEvent::AssuranceLevelChange(e) => f.debug_tuple("AssuranceLevelChange").field(e).finish(),
            SecurityEvent::TokenClaimsChange(e) => f.debug_tuple("TokenClaimsChange").field(e).finish(),
            SecurityEvent::DeviceComplianceChange(e) => f.debug_tuple("DeviceComplianceChange").field(e).finish(),
            SecurityEvent::AccountDisabled(e) => f.debug_tuple("AccountDisabled").field(e).finish(),
            SecurityEvent::CredentialCompromise(e) => f.debug_tuple("CredentialCompromise").field(e).finish(),
            SecurityEvent::IdentifierChanged(e) => f.debug_tuple("IdentifierChanged").field(e).finish(),
            SecurityEvent::AccountBlock(e)
            | SecurityEvent::AccountConcern(e)
            | SecurityEvent::CredentialConcern(e)
            | SecurityEvent::DeviceConcern(e) => f.debug_tuple(self.name()).field(e).finish(),
            SecurityEvent::SessionRecovered(e) => f.debug_tuple("SessionRecovered").field(e).finish(),
            SecurityEvent::Verification(e) => f.debug_tuple("Verification").field(e).finish(),
            SecurityEvent::StreamUpdated(e) => f.debug_tuple("StreamUpdated").field(e).finish(),
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
            | SecurityEvent::SessionsRevoked(e) => f.debug_tuple(self.name()).field(e).finish(),
        }
    }
}

/// Reads an event's members, answering with the member's name when one does not fit.
struct Members<'a>(&'a Map<String, Value>);

impl Members<'_> {
    fn text(&self, name: &'static str) -> Result<Option<String>, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("`{name}` is not a string")),
        }
    }
    fn required(&self, name: &'static str) -> Result<String, String> {
        self.text(name)?.ok_or_else(|| format!("`{name}` is missing"))
    }
    fn object(&self, name: &'static str) -> Result<Option<Map<String, Value>>, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o.clone())),
            Some(_) => Err(format!("`{name}` is not an object")),
        }
    }
    fn subject(&self) -> Result<Option<SubjectId>, String> {
        match self.0.get("subject") {
            None | Some(Value::Null) => Ok(None),
            Some(value) => {
                SubjectId::from_json(value).map(Some).ok_or_else(|| "subject is not a subject identifier".into())
            }
        }
    }
    fn common(&self) -> Result<EventCommon, String> {
        let event_timestamp = match self.0.get("event_timestamp") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or("`event_timestamp` is not an integer")?),
        };
        Ok(EventCommon {
            event_timestamp,
            initiating_entity: self.text("initiating_entity")?,
            reason_admin: self.object("reason_admin")?,
            reason_user: self.object("reason_user")?,
        })
    }
    fn caep(&self) -> Result<CaepEvent, String> {
        Ok(CaepEvent { subject: self.subject()?, common: self.common()? })
    }
    fn risc(&self) -> Result<RiscEvent, String> {
        Ok(RiscEvent { subject: self.subject()?, common: self.common()? })
    }
    fn notification(&self) -> Result<Notification, String> {
        let rationale_code = match self.object("rationale")? {
            None => None,
            Some(r) => Members(&r).text("code")?,
        };
        Ok(Notification {
            subject: self.subject()?,
            common: self.common()?,
            rationale_code,
            event_timeframe: self.0.get("event_timeframe").cloned(),
        })
    }
}

impl SecurityEvent {
    /// Types one entry of `events`. A known type whose payload does not fit its definition (not
    /// an object, a required member missing or of the wrong JSON type, an unknown
    /// `change_type` or `status`) is an error naming the member, never its value; an unknown
    /// type is [`SecurityEvent::Unknown`].
    pub fn parse(uri: &str, payload: &Value) -> Result<SecurityEvent, String> {
        let Some(object) = payload.as_object() else {
            return if Self::is_known(uri) {
                Err("the event is not an object".into())
            } else {
                Ok(SecurityEvent::Unknown { uri: uri.to_owned(), payload: payload.clone() })
            };
        };
        let m = Members(object);
        let unknown = || SecurityEvent::Unknown { uri: uri.to_owned(), payload: payload.clone() };
        if let Some(name) = uri.strip_prefix(CAEP) {
            return Ok(match name {
                "session-revoked" => SecurityEvent::SessionRevoked(m.caep()?),
                "credential-change" => SecurityEvent::CredentialChange(CredentialChange {
                    subject: m.subject()?,
                    common: m.common()?,
                    credential_type: m.required("credential_type")?,
                    change_type: match m.required("change_type")?.as_str() {
                        "create" => ChangeType::Create,
                        "revoke" => ChangeType::Revoke,
                        "update" => ChangeType::Update,
                        "delete" => ChangeType::Delete,
                        _ => return Err("`change_type` is not create, revoke, update or delete".into()),
                    },
                    friendly_name: m.text("friendly_name")?,
                    x509_issuer: m.text("x509_issuer")?,
                    x509_serial: m.text("x509_serial")?,
                    fido2_aaguid: m.text("fido2_aaguid")?,
                }),
                "assurance-level-change" => SecurityEvent::AssuranceLevelChange(AssuranceLevelChange {
                    subject: m.subject()?,
                    common: m.common()?,
                    namespace: m.required("namespace")?,
                    current_level: m.required("current_level")?,
                    previous_level: m.text("previous_level")?,
                    change_direction: m.text("change_direction")?,
                }),
                "token-claims-change" => SecurityEvent::TokenClaimsChange(TokenClaimsChange {
                    subject: m.subject()?,
                    common: m.common()?,
                    claims: m.object("claims")?.ok_or("`claims` is missing")?,
                }),
                "device-compliance-change" => SecurityEvent::DeviceComplianceChange(DeviceComplianceChange {
                    subject: m.subject()?,
                    common: m.common()?,
                    previous_status: m.required("previous_status")?,
                    current_status: m.required("current_status")?,
                }),
                _ => unknown(),
            });
        }
        if let Some(name) = uri.strip_prefix(RISC) {
            return Ok(match name {
                "account-purged" => SecurityEvent::AccountPurged(m.risc()?),
                "account-disabled" => SecurityEvent::AccountDisabled(AccountDisabled {
                    subject: m.subject()?,
                    common: m.common()?,
                    reason: m.text("reason")?,
                }),
                "account-enabled" => SecurityEvent::AccountEnabled(m.risc()?),
                "account-credential-change-required" => SecurityEvent::AccountCredentialChangeRequired(m.risc()?),
                "credential-compromise" => SecurityEvent::CredentialCompromise(CredentialCompromise {
                    subject: m.subject()?,
                    common: m.common()?,
                    credential_type: m.required("credential_type")?,
                }),
                "identifier-changed" => SecurityEvent::IdentifierChanged(IdentifierChanged {
                    subject: m.subject()?,
                    common: m.common()?,
                    new_value: m.text("new-value")?,
                }),
                "identifier-recycled" => SecurityEvent::IdentifierRecycled(m.risc()?),
                "opt-in" => SecurityEvent::OptIn(m.risc()?),
                "opt-out-initiated" => SecurityEvent::OptOutInitiated(m.risc()?),
                "opt-out-cancelled" => SecurityEvent::OptOutCancelled(m.risc()?),
                "opt-out-effective" => SecurityEvent::OptOutEffective(m.risc()?),
                "recovery-activated" => SecurityEvent::RecoveryActivated(m.risc()?),
                "recovery-information-changed" => SecurityEvent::RecoveryInformationChanged(m.risc()?),
                "sessions-revoked" => SecurityEvent::SessionsRevoked(m.risc()?),
                _ => unknown(),
            });
        }
        if let Some(name) = uri.strip_prefix(NOTIFICATION) {
            return Ok(match name {
                "accountBlock" => SecurityEvent::AccountBlock(m.notification()?),
                "accountConcern" => SecurityEvent::AccountConcern(m.notification()?),
                "credentialConcern" => SecurityEvent::CredentialConcern(m.notification()?),
                "deviceConcern" => SecurityEvent::DeviceConcern(m.notification()?),
                _ => unknown(),
            });
        }
        Ok(match uri {
            SESSION_RECOVERED => SecurityEvent::SessionRecovered(SessionRecovered {
                subject: m.subject()?,
                common: m.common()?,
                previous_session_id: m.text("previous_session_id")?,
                session: object.get("session").cloned(),
            }),
            VERIFICATION | VERIFICATION_SSE => {
                let state = m.text("state")?;
                if state.as_ref().is_some_and(|s| s.len() > 1024) {
                    return Err("`state` is longer than 1024 characters".into());
                }
                SecurityEvent::Verification(Verification { state, legacy_sse: uri == VERIFICATION_SSE })
            }
            STREAM_UPDATED => SecurityEvent::StreamUpdated(StreamUpdated {
                status: match m.required("status")?.as_str() {
                    "enabled" => StreamStatus::Enabled,
                    "paused" => StreamStatus::Paused,
                    "disabled" => StreamStatus::Disabled,
                    _ => return Err("`status` is not enabled, paused or disabled".into()),
                },
                reason: m.text("reason")?,
            }),
            _ => unknown(),
        })
    }

    /// Whether `uri` names a type this crate types (not only one under a known prefix).
    fn is_known(uri: &str) -> bool {
        !matches!(Self::parse(uri, &Value::Object(Map::new())), Ok(SecurityEvent::Unknown { .. }))
            || [VERIFICATION, VERIFICATION_SSE, STREAM_UPDATED].contains(&uri)
    }

    /// The event type's URI (for a verification event, the one it came under).
    pub fn uri(&self) -> &str {
        let name = match self {
            SecurityEvent::Unknown { uri, .. } => return uri,
            SecurityEvent::Verification(v) => return if v.legacy_sse { VERIFICATION_SSE } else { VERIFICATION },
            SecurityEvent::StreamUpdated(_) => return STREAM_UPDATED,
            SecurityEvent::SessionRecovered(_) => return SESSION_RECOVERED,
            _ => self.name(),
        };
        // `name` is `<family>.<type>`: every family's URIs share one prefix.
        match name.split_once('.') {
            Some(("caep", t)) => uri_of(CAEP, t),
            Some(("risc", t)) => uri_of(RISC, t),
            Some((_, t)) => uri_of(NOTIFICATION, t),
            None => "",
        }
    }

    /// A short, log-safe name: `caep.session-revoked`, `risc.account-purged`,
    /// `onelogin.accountBlock`, `ssf.verification`, `unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            SecurityEvent::SessionRevoked(_) => "caep.session-revoked",
            SecurityEvent::CredentialChange(_) => "caep.credential-change",
            SecurityEvent::AssuranceLevelChange(_) => "caep.assurance-level-change",
            SecurityEvent::TokenClaimsChange(_) => "caep.token-claims-change",
            SecurityEvent::DeviceComplianceChange(_) => "caep.device-compliance-change",
            SecurityEvent::AccountPurged(_) => "risc.account-purged",
            SecurityEvent::AccountDisabled(_) => "risc.account-disabled",
            SecurityEvent::AccountEnabled(_) => "risc.account-enabled",
            SecurityEvent::AccountCredentialChangeRequired(_) => "risc.account-credential-change-required",
            SecurityEvent::CredentialCompromise(_) => "risc.credential-compromise",
            SecurityEvent::IdentifierChanged(_) => "risc.identifier-changed",
            SecurityEvent::IdentifierRecycled(_) => "risc.identifier-recycled",
            SecurityEvent::OptIn(_) => "risc.opt-in",
            SecurityEvent::OptOutInitiated(_) => "risc.opt-out-initiated",
            SecurityEvent::OptOutCancelled(_) => "risc.opt-out-cancelled",
            SecurityEvent::OptOutEffective(_) => "risc.opt-out-effective",
            SecurityEvent::RecoveryActivated(_) => "risc.recovery-activated",
            SecurityEvent::RecoveryInformationChanged(_) => "risc.recovery-information-changed",
            SecurityEvent::SessionsRevoked(_) => "risc.sessions-revoked",
            SecurityEvent::AccountBlock(_) => "onelogin.accountBlock",
            SecurityEvent::AccountConcern(_) => "onelogin.accountConcern",
            SecurityEvent::CredentialConcern(_) => "onelogin.credentialConcern",
            SecurityEvent::DeviceConcern(_) => "onelogin.deviceConcern",
            SecurityEvent::SessionRecovered(_) => "onelogin.sessionRecovered",
            SecurityEvent::Verification(_) => "ssf.verification",
            SecurityEvent::StreamUpdated(_) => "ssf.stream-updated",
            SecurityEvent::Unknown { .. } => "unknown",
        }
    }

    /// The event's own `subject`, when its type has one and it was sent.
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
            SecurityEvent::AccountBlock(e)
            | SecurityEvent::AccountConcern(e)
            | SecurityEvent::CredentialConcern(e)
            | SecurityEvent::DeviceConcern(e) => e.subject.as_ref(),
            SecurityEvent::SessionRecovered(e) => e.subject.as_ref(),
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
            SecurityEvent::Verification(_) | SecurityEvent::StreamUpdated(_) | SecurityEvent::Unknown { .. } => None,
        }
    }
}

/// The full URI of a family's type `name`, from the static list of known ones.
fn uri_of(prefix: &'static str, name: &str) -> &'static str {
    KNOWN_URIS.iter().find(|u| u.strip_prefix(prefix) == Some(name)).copied().unwrap_or("")
}

/// Every typed URI under the CAEP, RISC and One Login notification prefixes.
const KNOWN_URIS: &[&str] = &[
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
    "https://schemas.openid.net/secevent/caep/event-type/credential-change",
    "https://schemas.openid.net/secevent/caep/event-type/assurance-level-change",
    "https://schemas.openid.net/secevent/caep/event-type/token-claims-change",
    "https://schemas.openid.net/secevent/caep/event-type/device-compliance-change",
    "https://schemas.openid.net/secevent/risc/event-type/account-purged",
    "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
    "https://schemas.openid.net/secevent/risc/event-type/account-enabled",
    "https://schemas.openid.net/secevent/risc/event-type/account-credential-change-required",
    "https://schemas.openid.net/secevent/risc/event-type/credential-compromise",
    "https://schemas.openid.net/secevent/risc/event-type/identifier-changed",
    "https://schemas.openid.net/secevent/risc/event-type/identifier-recycled",
    "https://schemas.openid.net/secevent/risc/event-type/opt-in",
    "https://schemas.openid.net/secevent/risc/event-type/opt-out-initiated",
    "https://schemas.openid.net/secevent/risc/event-type/opt-out-cancelled",
    "https://schemas.openid.net/secevent/risc/event-type/opt-out-effective",
    "https://schemas.openid.net/secevent/risc/event-type/recovery-activated",
    "https://schemas.openid.net/secevent/risc/event-type/recovery-information-changed",
    "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked",
    "https://vocab.account.gov.uk/secevent/v1/notification/accountBlock",
    "https://vocab.account.gov.uk/secevent/v1/notification/accountConcern",
    "https://vocab.account.gov.uk/secevent/v1/notification/credentialConcern",
    "https://vocab.account.gov.uk/secevent/v1/notification/deviceConcern",
];

/// Whether `uri` is one of One Login's companion entries, sent beside the main event rather
/// than an event itself: `…/v1/eventMetadata`, `…/v1/<event>/eventDetails`,
/// `…/v1/<event>/eventInformation`.
pub fn is_companion(uri: &str) -> bool {
    uri.strip_prefix(ONE_LOGIN_V1).is_some_and(|rest| {
        rest == "eventMetadata" || rest.ends_with("/eventDetails") || rest.ends_with("/eventInformation")
    })
}

/// Types a SET's `events` claim: an error when it is not a non-empty object, holds only
/// companions, or a known event does not fit. The events come in the claim's order; the
/// companion entries come back as they were.
pub(crate) fn parse_events(events: &Value) -> Result<(Vec<SecurityEvent>, Map<String, Value>), String> {
    let object = events.as_object().ok_or("events is not an object")?;
    let mut typed = Vec::new();
    let mut companions = Map::new();
    for (uri, payload) in object {
        if is_companion(uri) {
            companions.insert(uri.clone(), payload.clone());
        } else {
            typed.push(SecurityEvent::parse(uri, payload).map_err(|why| format!("{}: {why}", loggable(uri, 200)))?);
        }
    }
    if typed.is_empty() {
        return Err("events holds no event".into());
    }
    Ok((typed, companions))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SUB: &str = "urn:fdc:gov.uk:2022:secret-subject";

    fn user(extra: Value) -> Value {
        let mut event = json!({ "subject": { "format": "uri", "uri": SUB } });
        if let Value::Object(extra) = extra {
            event.as_object_mut().unwrap().extend(extra);
        }
        event
    }

    #[test]
    fn one_logins_credential_change_and_its_companion() {
        let companion = "https://vocab.account.gov.uk/secevent/v1/credentialChange/eventInformation";
        for info in [json!({ "email": "new@example.com" }), Value::Null] {
            let events = json!({
                format!("{CAEP}credential-change"): user(json!({"change_type": "update", "credential_type": "password", "initiating_entity": "user"})),
                companion: info.clone(),
            });
            let (typed, companions) = parse_events(&events).unwrap();
            assert_eq!(typed.len(), 1);
            let SecurityEvent::CredentialChange(change) = &typed[0] else { panic!("{typed:?}") };
            assert_eq!(change.change_type, ChangeType::Update);
            assert_eq!(change.credential_type, "password");
            assert_eq!(change.common.initiating_entity.as_deref(), Some("user"));
            assert_eq!(change.subject, Some(SubjectId::Uri { uri: SUB.into() }));
            assert_eq!(companions[companion], info);
            assert_eq!(typed[0].uri(), format!("{CAEP}credential-change"));
            assert_eq!(typed[0].name(), "caep.credential-change");
        }
    }

    #[test]
    fn every_known_uri_is_typed_and_named_back() {
        let minimal = |uri: &str| -> Value {
            match uri.rsplit('/').next().unwrap() {
                "credential-change" => user(json!({"change_type": "create", "credential_type": "email"})),
                "assurance-level-change" => user(json!({"namespace": "n", "current_level": "P0"})),
                "token-claims-change" => user(json!({"claims": {"a": 1}})),
                "device-compliance-change" => user(json!({"previous_status": "a", "current_status": "b"})),
                "credential-compromise" => user(json!({"credential_type": "password"})),
                _ => user(json!({})),
            }
        };
        for uri in KNOWN_URIS.iter().chain(&[SESSION_RECOVERED]) {
            let event = SecurityEvent::parse(uri, &minimal(uri)).unwrap();
            assert!(!matches!(event, SecurityEvent::Unknown { .. }), "{uri}");
            assert_eq!(event.uri(), *uri);
            assert_eq!(event.subject(), Some(&SubjectId::Uri { uri: SUB.into() }), "{uri}");
        }
        for (uri, sse) in [(VERIFICATION, false), (VERIFICATION_SSE, true)] {
            for payload in [json!({"state": "abc"}), json!({})] {
                let SecurityEvent::Verification(v) = SecurityEvent::parse(uri, &payload).unwrap() else { panic!() };
                assert_eq!(v.legacy_sse, sse);
                assert_eq!(v.state.is_some(), payload.get("state").is_some());
                assert_eq!(SecurityEvent::Verification(v).uri(), uri);
            }
        }
        let updated = SecurityEvent::parse(STREAM_UPDATED, &json!({"status": "paused", "reason": "r"})).unwrap();
        assert!(matches!(updated, SecurityEvent::StreamUpdated(StreamUpdated { status: StreamStatus::Paused, .. })));
    }

    #[test]
    fn known_events_that_do_not_fit_are_refused_by_member_name() {
        let cases = [
            (format!("{CAEP}credential-change"), user(json!({"credential_type": "password"}))),
            (
                format!("{CAEP}credential-change"),
                user(json!({"credential_type": "password", "change_type": "explode"})),
            ),
            (format!("{CAEP}credential-change"), user(json!({"change_type": "update"}))),
            (format!("{CAEP}assurance-level-change"), user(json!({"namespace": "n"}))),
            (format!("{CAEP}token-claims-change"), user(json!({}))),
            (format!("{CAEP}device-compliance-change"), user(json!({"current_status": "x"}))),
            (format!("{RISC}credential-compromise"), user(json!({}))),
            (format!("{RISC}account-purged"), json!({"subject": "not an identifier"})),
            (format!("{RISC}account-purged"), json!({"subject": {"format": "uri"}})),
            (format!("{RISC}account-purged"), user(json!({"event_timestamp": "yesterday"}))),
            (format!("{RISC}account-purged"), user(json!({"reason_admin": "text"}))),
            (format!("{RISC}account-purged"), json!("not an object")),
            (format!("{NOTIFICATION}accountBlock"), user(json!({"rationale": {"code": 7}}))),
            (STREAM_UPDATED.to_owned(), json!({"status": "gone"})),
            (STREAM_UPDATED.to_owned(), json!({})),
            (VERIFICATION.to_owned(), json!({"state": 5})),
            (VERIFICATION.to_owned(), json!({"state": "s".repeat(1025)})),
        ];
        for (uri, payload) in cases {
            let err = SecurityEvent::parse(&uri, &payload).unwrap_err();
            assert!(!err.contains(SUB) && !err.contains("explode") && !err.contains("yesterday"), "{err}");
        }
    }

    #[test]
    fn unknown_types_are_kept_and_the_claim_must_hold_an_event() {
        let unknown = SecurityEvent::parse("https://example.com/new", &json!({"x": SUB})).unwrap();
        assert_eq!(
            unknown,
            SecurityEvent::Unknown { uri: "https://example.com/new".into(), payload: json!({"x": SUB}) }
        );
        assert_eq!(unknown.name(), "unknown");
        let under_prefix = SecurityEvent::parse(&format!("{CAEP}risk-level-change"), &json!({})).unwrap();
        assert!(matches!(under_prefix, SecurityEvent::Unknown { .. }), "a CAEP type this crate does not type");
        for events in [
            json!({}),
            json!([]),
            json!("events"),
            json!({"https://vocab.account.gov.uk/secevent/v1/eventMetadata": {"event_timestamp_ms": 1}}),
        ] {
            assert!(parse_events(&events).is_err(), "{events}");
        }
        assert!(is_companion("https://vocab.account.gov.uk/secevent/v1/accountBlock/eventDetails"));
        assert!(!is_companion(&format!("{NOTIFICATION}accountBlock")));
    }

    #[test]
    fn subject_identifiers_in_every_format() {
        let cases = [
            (json!({"format": "uri", "uri": SUB}), Some("uri")),
            (json!({"subject_type": "iss-sub", "iss": "https://op/", "sub": "s"}), Some("iss_sub")),
            (json!({"format": "iss_sub", "iss": "https://op/", "sub": "s"}), Some("iss_sub")),
            (json!({"format": "opaque", "id": "stream"}), Some("opaque")),
            (json!({"format": "email", "email": "a@b.c"}), Some("email")),
            (json!({"format": "phone", "phone_number": "+44"}), Some("phone_number")),
            (json!({"format": "account", "uri": "acct:a@b.c"}), Some("account")),
            (json!({"format": "complex", "user": {}}), Some("complex")),
            (json!({"format": "uri"}), None),
            (json!({"uri": SUB}), None),
            (json!("uri"), None),
        ];
        for (value, format) in cases {
            assert_eq!(SubjectId::from_json(&value).as_ref().map(SubjectId::format), format, "{value}");
        }
        let op = "https://oidc.example/";
        assert_eq!(SubjectId::Uri { uri: SUB.into() }.subject_for(op), Some(Subject::new(SUB)));
        let iss_sub = |iss: &str| SubjectId::IssSub { iss: iss.into(), sub: "s".into() };
        assert_eq!(iss_sub(op).subject_for(op), Some(Subject::new("s")));
        assert_eq!(iss_sub("https://oidc.example").subject_for(op), None, "exactly the issuer");
        assert_eq!(SubjectId::Email { email: "a@b.c".into() }.subject_for(op), None);
        assert_eq!(SubjectId::Opaque { id: "stream".into() }.subject_for(op), None);
    }

    #[test]
    fn debug_shows_no_personal_data() {
        let secret_values = [SUB, "new@example.com", "+447", "hidden-state", "claim-value", "acct:x@y"];
        let events = [
            SecurityEvent::parse(&format!("{RISC}identifier-changed"), &user(json!({"new-value": "new@example.com"}))).unwrap(),
            SecurityEvent::parse(&format!("{CAEP}token-claims-change"), &user(json!({"claims": {"email": "claim-value"}}))).unwrap(),
            SecurityEvent::parse(VERIFICATION, &json!({"state": "hidden-state"})).unwrap(),
            SecurityEvent::parse("https://example.com/x", &json!({"email": "new@example.com"})).unwrap(),
            SecurityEvent::parse(&format!("{CAEP}credential-change"), &user(json!({"change_type": "update", "credential_type": "email", "reason_user": {"en": "new@example.com"}}))).unwrap(),
            SecurityEvent::parse(SESSION_RECOVERED, &user(json!({"session": {"ip": "+447"}}))).unwrap(),
        ];
        let subjects = [
            SubjectId::Email { email: "new@example.com".into() },
            SubjectId::PhoneNumber { phone_number: "+447".into() },
            SubjectId::Account { uri: "acct:x@y".into() },
            SubjectId::IssSub { iss: "i".into(), sub: SUB.into() },
            SubjectId::Other { format: "complex".into(), raw: json!({"user": SUB}) },
        ];
        let shown: Vec<String> =
            events.iter().map(|e| format!("{e:?}")).chain(subjects.iter().map(|s| format!("{s:?}"))).collect();
        for text in &shown {
            for value in secret_values {
                assert!(!text.contains(value), "{text} shows {value}");
            }
        }
    }
}
