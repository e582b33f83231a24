//! The identity claims as they are written: in One Login's userinfo and `coreIdentityJWT`
//! answers, and in stored session records. Only this crate reads them; the public types in
//! [`super`] are built from them after verification, and have no `Deserialize` of their own.
//!
//! Every field is optional and unknown fields are ignored, as One Login may add fields. The
//! stored format is these structs' serde form, so a change here is a change of the Redis
//! session format.

use serde::{Deserialize, Serialize};

use crate::levels::IdentityLevel;

/// Reads a text field that One Login may send as a string or a number (its documentation's
/// examples send `uprn` as a string, its specification as a number). Other JSON is `None`.
fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NamePart {
    pub(crate) value: String,
    #[serde(rename = "type", default)]
    pub(crate) kind: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Name {
    #[serde(default)]
    pub(crate) name_parts: Vec<NamePart>,
    #[serde(default)]
    pub(crate) valid_from: Option<String>,
    #[serde(default)]
    pub(crate) valid_until: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BirthDate {
    pub(crate) value: String,
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Address {
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) uprn: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) organisation_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) department_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) sub_building_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) building_number: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) building_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) dependent_street_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) street_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) double_dependent_address_locality: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) dependent_address_locality: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) address_locality: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) address_region: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) postal_code: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) address_country: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) valid_from: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) valid_until: Option<String>,
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Passport {
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) document_number: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) icao_issuer_code: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) expiry_date: Option<String>,
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct DrivingPermit {
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) personal_number: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) expiry_date: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) issued_by: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) issue_number: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) issue_date: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub(crate) full_address: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct ReturnCode {
    pub(crate) code: String,
}

/// A verified core identity as a session record stores it.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredIdentity {
    pub(crate) level: IdentityLevel,
    pub(crate) names: Vec<Name>,
    pub(crate) birth_dates: Vec<BirthDate>,
    #[serde(default)]
    pub(crate) addresses: Vec<Address>,
    #[serde(default)]
    pub(crate) passports: Vec<Passport>,
    #[serde(default)]
    pub(crate) driving_permits: Vec<DrivingPermit>,
    pub(crate) verified_at: i64,
}
