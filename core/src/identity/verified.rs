//! The verified core identity, and what came of an identity request.

use super::{Address, BirthDate, DrivingPermit, Name, Passport, ReturnCode, wire};
use crate::levels::IdentityLevel;

/// A core identity whose `coreIdentityJWT` was verified against the DID document keys, with the
/// address, passport and driving-permit claims that came in the same userinfo answer.
///
/// This value exists only after verification: a service cannot build one from strings, and it
/// has no `Deserialize` (stores keep it through a private form).
/// Its `Debug` output carries the level only.
///
/// ```compile_fail
/// fn from_json<T: serde::de::DeserializeOwned>() {}
/// from_json::<govuk_one_login::CoreIdentity>();
/// ```
#[derive(Clone, PartialEq, Eq)]
// `repr(C)` with the level first: a guarded request reads the level, and this puts it in the
// session record's first cache line (see `SessionRecord`).
#[repr(C)]
pub struct CoreIdentity {
    pub(crate) level: IdentityLevel,
    pub(crate) names: Box<[Name]>,
    pub(crate) birth_dates: Box<[BirthDate]>,
    pub(crate) addresses: Box<[Address]>,
    pub(crate) passports: Box<[Passport]>,
    pub(crate) driving_permits: Box<[DrivingPermit]>,
    pub(crate) verified_at: i64,
}

impl From<&CoreIdentity> for wire::StoredIdentity {
    fn from(i: &CoreIdentity) -> Self {
        Self {
            level: i.level,
            names: i.names.iter().map(Name::to_wire).collect(),
            birth_dates: i.birth_dates.iter().map(BirthDate::to_wire).collect(),
            addresses: i.addresses.iter().map(Address::to_wire).collect(),
            passports: i.passports.iter().map(Passport::to_wire).collect(),
            driving_permits: i.driving_permits.iter().map(DrivingPermit::to_wire).collect(),
            verified_at: i.verified_at,
        }
    }
}

impl From<wire::StoredIdentity> for CoreIdentity {
    fn from(s: wire::StoredIdentity) -> Self {
        Self {
            level: s.level,
            names: s.names.into_iter().map(Name::from_wire).collect(),
            birth_dates: s.birth_dates.into_iter().map(BirthDate::from_wire).collect(),
            addresses: s.addresses.into_iter().map(Address::from_wire).collect(),
            passports: s.passports.into_iter().map(Passport::from_wire).collect(),
            driving_permits: s.driving_permits.into_iter().map(DrivingPermit::from_wire).collect(),
            verified_at: s.verified_at,
        }
    }
}

impl std::fmt::Debug for CoreIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreIdentity").field("level", &self.level).finish_non_exhaustive()
    }
}

impl CoreIdentity {
    /// The verified level of confidence (the core identity's `vot`).
    pub fn level(&self) -> IdentityLevel {
        self.level
    }
    /// All names, most relevant first. One Login currently sends the current name only.
    pub fn names(&self) -> &[Name] {
        &self.names
    }
    /// The current name (no `validUntil`), or the first one.
    pub fn current_name(&self) -> Option<&Name> {
        self.names.iter().find(|n| n.is_current()).or_else(|| self.names.first())
    }
    /// Birth dates, most trusted first.
    pub fn birth_dates(&self) -> &[BirthDate] {
        &self.birth_dates
    }
    /// The most trusted birth date.
    pub fn birth_date(&self) -> Option<&BirthDate> {
        self.birth_dates.first()
    }
    /// Addresses, when the address claim was requested.
    pub fn addresses(&self) -> &[Address] {
        &self.addresses
    }
    /// Passports used for the check, when requested.
    pub fn passports(&self) -> &[Passport] {
        &self.passports
    }
    /// Driving licences used for the check, when requested.
    pub fn driving_permits(&self) -> &[DrivingPermit] {
        &self.driving_permits
    }
    /// When the core identity was verified (the engine's clock, whole seconds).
    pub fn verified_at(&self) -> time::OffsetDateTime {
        crate::clock::from_unix(self.verified_at)
    }
}

/// What came of an identity request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityOutcome {
    /// Identity was not asked for (authentication only).
    NotRequested,
    /// A core identity was verified.
    Verified {
        /// The level achieved.
        level: IdentityLevel,
        /// Return codes that came with it (they can appear on success).
        return_codes: Vec<ReturnCode>,
    },
    /// No core identity came back: identity was not proven. The user is still signed in at
    /// the authentication level. Return codes (opaque letters) say why, when the client has
    /// them enabled.
    NotProven {
        /// The return codes, possibly empty.
        return_codes: Vec<ReturnCode>,
    },
}
