//! The claims that come with a verified core identity ([`CoreIdentity`]):
//! names, birth dates, addresses, passports, driving permits and return codes.

mod claims;
pub(crate) mod core_jwt;
mod packed;
pub(crate) mod verified;
pub(crate) mod wire;

pub use claims::{Address, BirthDate, DrivingPermit, Name, NamePart, Passport, ReturnCode};
pub(crate) use verified::{CoreIdentity, IdentityOutcome};
