//! Typed identity claims: the verified core identity (names, birth dates) and the address,
//! passport and driving-permit claims. Every field is optional and unknown fields are ignored,
//! as One Login may add fields. `Debug` prints no personal data.

use serde::{Deserialize, Serialize};

macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { [personal data redacted] }"))
            }
        }
    )*};
}

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

/// One part of a name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamePart {
    /// The text.
    pub value: String,
    /// `GivenName`, `FamilyName`, or another type One Login may add.
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl NamePart {
    /// Whether this is a given name.
    pub fn is_given(&self) -> bool {
        self.kind == "GivenName"
    }
    /// Whether this is a family name.
    pub fn is_family(&self) -> bool {
        self.kind == "FamilyName"
    }
}

/// A name, with the dates it was valid. No `valid_until` means the current name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    /// The parts, in One Login's order.
    #[serde(default)]
    pub name_parts: Vec<NamePart>,
    /// ISO date from which the name was used; absent means possibly from birth.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// ISO date until which the name was used; absent or null means current.
    #[serde(default)]
    pub valid_until: Option<String>,
}

impl Name {
    /// Given names joined by spaces.
    pub fn given_names(&self) -> String {
        self.join(NamePart::is_given)
    }
    /// Family names joined by spaces.
    pub fn family_name(&self) -> String {
        self.join(NamePart::is_family)
    }
    /// Given names then family names, for display.
    pub fn full(&self) -> String {
        let (g, f) = (self.given_names(), self.family_name());
        [g, f].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
    }
    /// Whether this is the current name.
    pub fn is_current(&self) -> bool {
        self.valid_until.is_none()
    }
    fn join(&self, pick: fn(&NamePart) -> bool) -> String {
        self.name_parts.iter().filter(|p| pick(p)).map(|p| p.value.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// A birth date, `YYYY-MM-DD`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthDate {
    /// The date as One Login sends it.
    pub value: String,
}

impl BirthDate {
    /// The date, if it is a valid calendar date.
    pub fn date(&self) -> Option<time::Date> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(&self.value, &format).ok()
    }
}

/// A postal address. Map fields by name, never to fixed address lines.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[allow(missing_docs)]
pub struct Address {
    /// Unique Property Reference Number (UK only), as digits. One Login's specification
    /// sends a number and its documentation a string; both are read.
    #[serde(deserialize_with = "lenient_text")]
    pub uprn: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub organisation_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub department_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub sub_building_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub building_number: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub building_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub dependent_street_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub street_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub double_dependent_address_locality: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub dependent_address_locality: Option<String>,
    /// The post town.
    #[serde(deserialize_with = "lenient_text")]
    pub address_locality: Option<String>,
    /// International addresses only.
    #[serde(deserialize_with = "lenient_text")]
    pub address_region: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(deserialize_with = "lenient_text")]
    pub address_country: Option<String>,
    /// Only the year is meaningful.
    #[serde(deserialize_with = "lenient_text")]
    pub valid_from: Option<String>,
    /// Absent for the current address.
    #[serde(deserialize_with = "lenient_text")]
    pub valid_until: Option<String>,
}

/// A passport used to prove identity.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Passport {
    /// The passport number.
    #[serde(deserialize_with = "lenient_text")]
    pub document_number: Option<String>,
    /// The ICAO issuer code, up to 3 characters.
    #[serde(deserialize_with = "lenient_text")]
    pub icao_issuer_code: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(deserialize_with = "lenient_text")]
    pub expiry_date: Option<String>,
}

/// A driving licence used to prove identity.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DrivingPermit {
    /// The licence number.
    #[serde(deserialize_with = "lenient_text")]
    pub personal_number: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(deserialize_with = "lenient_text")]
    pub expiry_date: Option<String>,
    /// `DVLA` or `DVA`.
    #[serde(deserialize_with = "lenient_text")]
    pub issued_by: Option<String>,
    /// DVLA licences only.
    #[serde(deserialize_with = "lenient_text")]
    pub issue_number: Option<String>,
    /// Undocumented; seen in app-journey data.
    #[serde(deserialize_with = "lenient_text")]
    pub issue_date: Option<String>,
    /// Undocumented; seen in app-journey data.
    #[serde(deserialize_with = "lenient_text")]
    pub full_address: Option<String>,
}

/// A return code: a single letter whose meaning One Login shares privately. Treat it as opaque.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReturnCode {
    /// The code.
    pub code: String,
}

redacted_debug!(NamePart, Name, BirthDate, Address, Passport, DrivingPermit);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_parts_and_dates() {
        let n: Name = serde_json::from_value(serde_json::json!({
            "nameParts": [{"value":"Kenneth","type":"GivenName"},{"value":"Decerqueira","type":"FamilyName"},{"value":"X","type":"Title"}],
            "validFrom": "2020-01-01", "unknown": 1
        }))
        .unwrap();
        assert_eq!(n.full(), "Kenneth Decerqueira");
        assert!(n.is_current());
        assert_eq!(format!("{n:?}"), "Name { [personal data redacted] }");
        let b = BirthDate { value: "1965-07-08".into() };
        assert_eq!(b.date().unwrap().year(), 1965);
        assert!(BirthDate { value: "1965-13-40".into() }.date().is_none());
    }

    #[test]
    fn address_tolerates_partial_and_unknown_fields() {
        let a: Address = serde_json::from_value(serde_json::json!({
            "uprn": 10022812929u64, "buildingNumber": "8", "streetName": "HADLEY ROAD",
            "addressLocality": "BATH", "postalCode": "BA2 5AA", "addressCountry": "GB", "future": true
        }))
        .unwrap();
        assert_eq!(a.uprn.as_deref(), Some("10022812929"));
        assert_eq!(a.building_number.as_deref(), Some("8"));
        assert_eq!(a.sub_building_name, None);
    }

    #[test]
    fn documentation_example_with_string_uprn_and_nulls() {
        let a: Address = serde_json::from_value(serde_json::json!({
            "uprn": "10022812929", "subBuildingName": "FLAT 5", "buildingNumber": 16,
            "validUntil": null, "postalCode": "HP16 0AL", "addressCountry": "GB"
        }))
        .unwrap();
        assert_eq!(a.uprn.as_deref(), Some("10022812929"));
        assert_eq!(a.building_number.as_deref(), Some("16"));
        assert_eq!(a.valid_until, None);
        let d: DrivingPermit =
            serde_json::from_value(serde_json::json!({"issueNumber": 5, "issuedBy": "DVLA"})).unwrap();
        assert_eq!(d.issue_number.as_deref(), Some("5"));
    }
}
