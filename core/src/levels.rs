//! Levels of authentication and identity confidence, as ordered types.
//!
//! One Login speaks in vectors of trust (RFC 8485): `Cl` or `Cl.Cm` for authentication, and
//! `P0`..`P3` for identity confidence, joined as `"Cl.Cm.P2"`. Routes never carry these strings:
//! they carry a [`Requirement`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Why a level string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LevelError {
    /// A component that is neither a known credential (`Cl`, `Cm`) nor identity (`P0`..`P3`) value.
    #[error("unknown vector-of-trust component `{0}`: expected Cl, Cl.Cm, or a P0..P3 suffix")]
    UnknownComponent(String),
    /// No credential component (`Cl`).
    #[error("vector of trust has no credential component: it must start with `Cl` or `Cl.Cm`")]
    MissingCredential,
    /// `Cm` without `Cl`, or a component given twice.
    #[error("vector of trust `{0}` is not a valid combination")]
    InvalidCombination(String),
    /// An identity level above P0 with low (`Cl`) authentication, which One Login refuses.
    #[error("identity level {0} needs medium authentication (Cl.Cm), not Cl")]
    IdentityNeedsMedium(IdentityLevel),
    /// A `vtr` that is not a JSON array of strings, or is empty.
    #[error("vtr must be a non-empty JSON array of vector strings, such as [\"Cl.Cm.P2\"]")]
    MalformedVtr,
}

/// Authentication level: `Cl` (low, password only) < `Cl.Cm` (medium, with a second factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AuthLevel {
    /// `Cl`: email and password.
    #[serde(rename = "Cl")]
    Low,
    /// `Cl.Cm`: email, password and a second factor. One Login's default.
    #[serde(rename = "Cl.Cm")]
    Medium,
}

impl AuthLevel {
    /// The `vot`/`vtr` form: `Cl` or `Cl.Cm`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthLevel::Low => "Cl",
            AuthLevel::Medium => "Cl.Cm",
        }
    }
}

impl fmt::Display for AuthLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthLevel {
    type Err = LevelError;
    /// Parses an ID token `vot`: `Cl` or `Cl.Cm` (components in any order), never a P value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v: VectorOfTrust = s.parse()?;
        if s.split('.').any(|c| c.starts_with('P')) {
            return Err(LevelError::InvalidCombination(s.to_owned()));
        }
        Ok(v.auth)
    }
}

/// Identity confidence: `P0` (none) < `P1` (low) < `P2` (medium) < `P3` (high).
///
/// One Login's identity service produces P0, P1 and P2 only; `P3` parses but is never issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IdentityLevel {
    /// No identity confidence.
    P0,
    /// Low confidence.
    P1,
    /// Medium confidence: the usual level for identity services.
    P2,
    /// High confidence (accepted by One Login's parser, not produced by its identity service).
    P3,
}

impl IdentityLevel {
    /// The `vot` form, such as `P2`.
    pub const fn as_str(self) -> &'static str {
        match self {
            IdentityLevel::P0 => "P0",
            IdentityLevel::P1 => "P1",
            IdentityLevel::P2 => "P2",
            IdentityLevel::P3 => "P3",
        }
    }
}

impl fmt::Display for IdentityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IdentityLevel {
    type Err = LevelError;
    /// Parses a core identity `vot`, such as `P2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "P0" => Ok(IdentityLevel::P0),
            "P1" => Ok(IdentityLevel::P1),
            "P2" => Ok(IdentityLevel::P2),
            "P3" => Ok(IdentityLevel::P3),
            other => Err(LevelError::UnknownComponent(other.to_owned())),
        }
    }
}

/// One vector of trust: an authentication level and an identity level, such as `Cl.Cm.P2`.
///
/// Only valid vectors can be built: an identity level above P0 always has `Cl.Cm`. That makes
/// the order total, and `a >= b` exactly when `a` meets `b` in both parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VectorOfTrust {
    auth: AuthLevel,
    identity: IdentityLevel,
}

impl VectorOfTrust {
    /// `Cl`.
    pub const LOW: Self = Self { auth: AuthLevel::Low, identity: IdentityLevel::P0 };
    /// `Cl.Cm`.
    pub const MEDIUM: Self = Self { auth: AuthLevel::Medium, identity: IdentityLevel::P0 };

    /// Builds a vector, refusing identity above P0 with low authentication.
    pub fn new(auth: AuthLevel, identity: IdentityLevel) -> Result<Self, LevelError> {
        if auth == AuthLevel::Low && identity > IdentityLevel::P0 {
            return Err(LevelError::IdentityNeedsMedium(identity));
        }
        Ok(Self { auth, identity })
    }

    /// `Cl.Cm` with the given identity level.
    pub const fn identity(level: IdentityLevel) -> Self {
        Self { auth: AuthLevel::Medium, identity: level }
    }

    /// The authentication part.
    pub const fn auth(self) -> AuthLevel {
        self.auth
    }

    /// The identity part.
    pub const fn identity_level(self) -> IdentityLevel {
        self.identity
    }

    /// Whether identity (P1 or above) is asked for.
    pub fn needs_identity(self) -> bool {
        self.identity > IdentityLevel::P0
    }

    /// Whether `self` (achieved) meets `required` in both parts.
    pub fn meets(self, required: VectorOfTrust) -> bool {
        self.auth >= required.auth && self.identity >= required.identity
    }

    /// The `vtr` request parameter: a JSON array with this one vector, e.g. `["Cl.Cm.P2"]`.
    pub fn to_vtr(self) -> String {
        serde_json::to_string(&[self.to_string()]).unwrap_or_default()
    }

    /// Parses a `vtr` JSON array. One Login sorts several vectors and uses the lowest for
    /// authentication; this returns the lowest, since that is the guarantee the request gives.
    pub fn parse_vtr(vtr: &str) -> Result<Self, LevelError> {
        let list: Vec<String> = serde_json::from_str(vtr).map_err(|_| LevelError::MalformedVtr)?;
        let mut vectors = list.iter().map(|s| s.parse::<VectorOfTrust>()).collect::<Result<Vec<_>, _>>()?;
        vectors.sort();
        vectors.first().copied().ok_or(LevelError::MalformedVtr)
    }
}

impl PartialOrd for VectorOfTrust {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for VectorOfTrust {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.identity, self.auth).cmp(&(other.identity, other.auth))
    }
}

impl fmt::Display for VectorOfTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.auth.as_str())?;
        if self.identity > IdentityLevel::P0 {
            write!(f, ".{}", self.identity)?;
        }
        Ok(())
    }
}

impl FromStr for VectorOfTrust {
    type Err = LevelError;
    /// Parses `Cl`, `Cl.Cm`, `Cl.Cm.P2` and the like. Components may come in any order, as
    /// One Login sorts them (`Cm.Cl` reads as `Cl.Cm`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (mut cl, mut cm, mut p) = (false, false, None);
        for part in s.split('.') {
            let seen = match part {
                "Cl" => std::mem::replace(&mut cl, true),
                "Cm" => std::mem::replace(&mut cm, true),
                _ if part.starts_with('P') => p.replace(part.parse::<IdentityLevel>()?).is_some(),
                other => return Err(LevelError::UnknownComponent(other.to_owned())),
            };
            if seen {
                return Err(LevelError::InvalidCombination(s.to_owned()));
            }
        }
        let auth = match (cl, cm) {
            (true, true) => AuthLevel::Medium,
            (true, false) => AuthLevel::Low,
            (false, true) => return Err(LevelError::InvalidCombination(s.to_owned())),
            (false, false) => return Err(LevelError::MissingCredential),
        };
        VectorOfTrust::new(auth, p.unwrap_or(IdentityLevel::P0))
    }
}

impl Serialize for VectorOfTrust {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VectorOfTrust {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a route needs: a vector of trust, and optionally a sign-in no older than `max_age`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Requirement {
    vector: VectorOfTrust,
    max_age: Option<Duration>,
}

impl Requirement {
    /// `Cl`: password only.
    pub const LOW: Self = Self { vector: VectorOfTrust::LOW, max_age: None };
    /// `Cl.Cm`: password and second factor. One Login's default.
    pub const MEDIUM: Self = Self { vector: VectorOfTrust::MEDIUM, max_age: None };
    /// `Cl.Cm.P1`.
    pub const IDENTITY_P1: Self = Self::vector_of_trust(VectorOfTrust::identity(IdentityLevel::P1));
    /// `Cl.Cm.P2`: the usual identity level.
    pub const IDENTITY_P2: Self = Self::vector_of_trust(VectorOfTrust::identity(IdentityLevel::P2));

    /// A requirement for any other vector, such as one parsed from configuration (the
    /// constants above name the usual ones).
    pub const fn vector_of_trust(vector: VectorOfTrust) -> Self {
        Self { vector, max_age: None }
    }
    /// Also asks that the user entered their credentials within `max_age`, which is sent to
    /// One Login. When a session's sign-in is older, the guard sends the user to
    /// re-authenticate (`prompt=login` with `id_token_hint`); a sign-in that comes back too old
    /// anyway (One Login applies `max_age` only where it has enabled it for the client) is asked
    /// for once more with `prompt=login`, then refused. Needs signed request objects (the
    /// default): without them, starting such a login fails with
    /// [`AuthorizeError::NeedsRequestObject`](crate::error::AuthorizeError::NeedsRequestObject).
    pub const fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }
    /// The vector of trust to request.
    pub const fn vector(&self) -> VectorOfTrust {
        self.vector
    }
    /// The freshness bound, if any.
    pub const fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// Whether a session with the `achieved` levels, whose user last entered their credentials
    /// at `auth_time`, meets this requirement at `now`.
    pub fn is_met_by(&self, achieved: VectorOfTrust, auth_time: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
        achieved.meets(self.vector) && self.is_fresh(auth_time, now)
    }

    /// Whether `auth_time` is recent enough for `max_age` (always true without `max_age`).
    pub fn is_fresh(&self, auth_time: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
        match (self.max_age, auth_time) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(max), Some(at)) => now - at <= max,
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.vector)?;
        if let Some(m) = self.max_age {
            write!(f, " (signed in within {}s)", m.as_secs())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
