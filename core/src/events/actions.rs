//! What the receiver does with each kind of event by itself ([`EventAction`]), before the
//! application's handlers run, and the event kinds handlers are registered for
//! ([`EventType`]).

use super::types::SecurityEvent;

/// The kind of a [`SecurityEvent`], without its payload: what actions and handlers are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// CAEP session-revoked.
    SessionRevoked,
    /// CAEP credential-change.
    CredentialChange,
    /// CAEP assurance-level-change.
    AssuranceLevelChange,
    /// CAEP token-claims-change.
    TokenClaimsChange,
    /// CAEP device-compliance-change.
    DeviceComplianceChange,
    /// RISC account-purged.
    AccountPurged,
    /// RISC account-disabled.
    AccountDisabled,
    /// RISC account-enabled.
    AccountEnabled,
    /// RISC account-credential-change-required.
    AccountCredentialChangeRequired,
    /// RISC credential-compromise.
    CredentialCompromise,
    /// RISC identifier-changed.
    IdentifierChanged,
    /// RISC identifier-recycled.
    IdentifierRecycled,
    /// RISC opt-in.
    OptIn,
    /// RISC opt-out-initiated.
    OptOutInitiated,
    /// RISC opt-out-cancelled.
    OptOutCancelled,
    /// RISC opt-out-effective.
    OptOutEffective,
    /// RISC recovery-activated.
    RecoveryActivated,
    /// RISC recovery-information-changed.
    RecoveryInformationChanged,
    /// RISC sessions-revoked (legacy).
    SessionsRevoked,
    /// One Login accountBlock.
    AccountBlock,
    /// One Login accountConcern.
    AccountConcern,
    /// One Login credentialConcern.
    CredentialConcern,
    /// One Login deviceConcern.
    DeviceConcern,
    /// One Login sessionRecovered.
    SessionRecovered,
    /// SSF verification (either URI).
    Verification,
    /// SSF stream-updated.
    StreamUpdated,
    /// Any other event type.
    Unknown,
}

impl EventType {
    /// The kind of `event`.
    pub fn of(event: &SecurityEvent) -> Self {
        use SecurityEvent as E;
        match event {
            E::SessionRevoked(_) => Self::SessionRevoked,
            E::CredentialChange(_) => Self::CredentialChange,
            E::AssuranceLevelChange(_) => Self::AssuranceLevelChange,
            E::TokenClaimsChange(_) => Self::TokenClaimsChange,
            E::DeviceComplianceChange(_) => Self::DeviceComplianceChange,
            E::AccountPurged(_) => Self::AccountPurged,
            E::AccountDisabled(_) => Self::AccountDisabled,
            E::AccountEnabled(_) => Self::AccountEnabled,
            E::AccountCredentialChangeRequired(_) => Self::AccountCredentialChangeRequired,
            E::CredentialCompromise(_) => Self::CredentialCompromise,
            E::IdentifierChanged(_) => Self::IdentifierChanged,
            E::IdentifierRecycled(_) => Self::IdentifierRecycled,
            E::OptIn(_) => Self::OptIn,
            E::OptOutInitiated(_) => Self::OptOutInitiated,
            E::OptOutCancelled(_) => Self::OptOutCancelled,
            E::OptOutEffective(_) => Self::OptOutEffective,
            E::RecoveryActivated(_) => Self::RecoveryActivated,
            E::RecoveryInformationChanged(_) => Self::RecoveryInformationChanged,
            E::SessionsRevoked(_) => Self::SessionsRevoked,
            E::AccountBlock(_) => Self::AccountBlock,
            E::AccountConcern(_) => Self::AccountConcern,
            E::CredentialConcern(_) => Self::CredentialConcern,
            E::DeviceConcern(_) => Self::DeviceConcern,
            E::SessionRecovered(_) => Self::SessionRecovered,
            E::Verification(_) => Self::Verification,
            E::StreamUpdated(_) => Self::StreamUpdated,
            E::Unknown { .. } => Self::Unknown,
        }
    }

    /// What the receiver does by itself for this kind unless configured otherwise: the events
    /// that mean the person's sessions must not go on end them (session-revoked,
    /// credential-change, account-purged, account-disabled, credential-compromise, the legacy
    /// sessions-revoked and accountBlock); an assurance-level change drops the verified
    /// identity kept with them; the rest are left to the application.
    pub fn default_action(self) -> EventAction {
        match self {
            Self::SessionRevoked
            | Self::CredentialChange
            | Self::AccountPurged
            | Self::AccountDisabled
            | Self::CredentialCompromise
            | Self::SessionsRevoked
            | Self::AccountBlock => EventAction::EndSessions,
            Self::AssuranceLevelChange => EventAction::DropIdentity,
            _ => EventAction::Nothing,
        }
    }
}

/// What the receiver does by itself with an event about a person who has sessions here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventAction {
    /// Ends every session of the subject, on every instance sharing the store, through the
    /// same revocation as back-channel logout.
    EndSessions,
    /// Drops the verified identity kept with the subject's sessions (on every instance): they
    /// stay signed in, and the next route that needs an identity asks One Login again.
    DropIdentity,
    /// Nothing: the application's handlers alone act on it.
    Nothing,
}
