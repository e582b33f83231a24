//! Typed identity claims: the verified core identity's names and birth dates, and the address,
//! passport and driving-permit claims. They are read from One Login's answers through the
//! private forms in [`super::wire`] and can only come from a verified sign-in. Every field is
//! optional, as One Login may leave any out; dates are [`time::Date`]s (`None` when absent or
//! not a `YYYY-MM-DD` date). `Debug` prints no personal data.

use time::Date;

use super::wire;

macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { [personal data redacted] }"))
            }
        }
    )*};
}

/// Text fields as `Option<&str>` accessors.
macro_rules! text_accessors {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        pub fn $name(&self) -> Option<&str> {
            self.0.$name.as_deref()
        }
    )*};
}

/// Date fields as `Option<time::Date>` accessors.
macro_rules! date_accessors {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        pub fn $name(&self) -> Option<Date> {
            iso_date(self.0.$name.as_deref())
        }
    )*};
}

/// A `YYYY-MM-DD` calendar date.
fn iso_date(text: Option<&str>) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text?, &format).ok()
}

/// One part of a name.
#[derive(Clone, PartialEq, Eq)]
pub struct NamePart(wire::NamePart);

impl NamePart {
    /// The text.
    pub fn value(&self) -> &str {
        &self.0.value
    }
    /// `GivenName`, `FamilyName`, or another type One Login may add.
    pub fn kind(&self) -> &str {
        &self.0.kind
    }
    /// Whether this is a given name.
    pub fn is_given(&self) -> bool {
        self.0.kind == "GivenName"
    }
    /// Whether this is a family name.
    pub fn is_family(&self) -> bool {
        self.0.kind == "FamilyName"
    }
}

/// A name, with the dates it was valid. No end date means the current name.
#[derive(Clone, PartialEq, Eq)]
pub struct Name {
    parts: Vec<NamePart>,
    valid_from: Option<String>,
    valid_until: Option<String>,
}

impl Name {
    pub(crate) fn from_wire(w: wire::Name) -> Self {
        Self {
            parts: w.name_parts.into_iter().map(NamePart).collect(),
            valid_from: w.valid_from,
            valid_until: w.valid_until,
        }
    }
    pub(crate) fn to_wire(&self) -> wire::Name {
        wire::Name {
            name_parts: self.parts.iter().map(|p| p.0.clone()).collect(),
            valid_from: self.valid_from.clone(),
            valid_until: self.valid_until.clone(),
        }
    }
    /// The parts, in One Login's order.
    pub fn parts(&self) -> &[NamePart] {
        &self.parts
    }
    /// From when the name was used; `None` means possibly from birth.
    pub fn valid_from(&self) -> Option<Date> {
        iso_date(self.valid_from.as_deref())
    }
    /// Until when the name was used; `None` for the current name.
    pub fn valid_until(&self) -> Option<Date> {
        iso_date(self.valid_until.as_deref())
    }
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
    /// Whether this is the current name (One Login sent no end date).
    pub fn is_current(&self) -> bool {
        self.valid_until.is_none()
    }
    fn join(&self, pick: fn(&NamePart) -> bool) -> String {
        self.parts.iter().filter(|p| pick(p)).map(NamePart::value).collect::<Vec<_>>().join(" ")
    }
}

/// A birth date.
#[derive(Clone, PartialEq, Eq)]
pub struct BirthDate(pub(crate) wire::BirthDate);

impl BirthDate {
    /// The date, if One Login sent a valid `YYYY-MM-DD` calendar date.
    pub fn date(&self) -> Option<Date> {
        iso_date(Some(&self.0.value))
    }
}

/// A postal address. Map fields by name, never to fixed address lines.
#[derive(Clone, PartialEq, Eq)]
pub struct Address(pub(crate) wire::Address);

impl Address {
    text_accessors!(
        /// Unique Property Reference Number (UK only), as digits. One Login's specification
        /// sends a number and its documentation a string; both are read.
        uprn,
        /// The organisation name.
        organisation_name,
        /// The department name.
        department_name,
        /// The sub-building name, such as `FLAT 5`.
        sub_building_name,
        /// The building number.
        building_number,
        /// The building name.
        building_name,
        /// The dependent street name.
        dependent_street_name,
        /// The street name.
        street_name,
        /// The double dependent address locality.
        double_dependent_address_locality,
        /// The dependent address locality.
        dependent_address_locality,
        /// The post town.
        address_locality,
        /// The region (international addresses only).
        address_region,
        /// The postal code.
        postal_code,
        /// The country, ISO 3166-1 alpha-2.
        address_country,
    );
    date_accessors!(
        /// From when the user lived here (only the year is meaningful).
        valid_from,
        /// Until when the user lived here; `None` for the current address.
        valid_until,
    );
}

/// A passport used to prove identity.
#[derive(Clone, PartialEq, Eq)]
pub struct Passport(pub(crate) wire::Passport);

impl Passport {
    text_accessors!(
        /// The passport number.
        document_number,
        /// The ICAO issuer code, up to 3 characters.
        icao_issuer_code,
    );
    date_accessors!(
        /// The expiry date.
        expiry_date,
    );
}

/// A driving licence used to prove identity.
#[derive(Clone, PartialEq, Eq)]
pub struct DrivingPermit(pub(crate) wire::DrivingPermit);

impl DrivingPermit {
    text_accessors!(
        /// The licence number.
        personal_number,
        /// `DVLA` or `DVA`.
        issued_by,
        /// The issue number (DVLA licences only).
        issue_number,
        /// The address on the licence (undocumented; seen in app-journey data).
        full_address,
    );
    date_accessors!(
        /// The expiry date.
        expiry_date,
        /// The issue date (undocumented; seen in app-journey data).
        issue_date,
    );
}

/// A return code: a single letter whose meaning One Login shares privately. Treat it as opaque.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReturnCode(pub(crate) wire::ReturnCode);

impl ReturnCode {
    /// The code.
    pub fn code(&self) -> &str {
        &self.0.code
    }
}

impl std::fmt::Debug for ReturnCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReturnCode({:?})", self.0.code)
    }
}

redacted_debug!(NamePart, Name, BirthDate, Address, Passport, DrivingPermit);

#[cfg(test)]
mod tests {
    use time::Month;

    use super::*;

    fn read<T: serde::de::DeserializeOwned>(json: serde_json::Value) -> T {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn name_parts_and_dates() {
        let n = Name::from_wire(read(serde_json::json!({
            "nameParts": [{"value":"Kenneth","type":"GivenName"},{"value":"Decerqueira","type":"FamilyName"},{"value":"X","type":"Title"}],
            "validFrom": "2020-01-01", "unknown": 1
        })));
        assert_eq!(n.full(), "Kenneth Decerqueira");
        assert!(n.is_current());
        assert_eq!(n.valid_from(), Date::from_calendar_date(2020, Month::January, 1).ok());
        assert_eq!(n.parts()[2].kind(), "Title");
        assert_eq!(format!("{n:?}"), "Name { [personal data redacted] }");
        let b = BirthDate(wire::BirthDate { value: "1965-07-08".into() });
        assert_eq!(b.date().unwrap().year(), 1965);
        assert!(BirthDate(wire::BirthDate { value: "1965-13-40".into() }).date().is_none());
    }

    #[test]
    fn a_name_with_an_unreadable_end_date_is_not_current() {
        let n = Name::from_wire(read(serde_json::json!({"nameParts": [], "validUntil": "yesterday"})));
        assert!(!n.is_current());
        assert_eq!(n.valid_until(), None);
    }

    #[test]
    fn address_tolerates_partial_and_unknown_fields() {
        let a = Address(read(serde_json::json!({
            "uprn": 10_022_812_929u64, "buildingNumber": "8", "streetName": "HADLEY ROAD",
            "addressLocality": "BATH", "postalCode": "BA2 5AA", "addressCountry": "GB", "future": true
        })));
        assert_eq!(a.uprn(), Some("10022812929"));
        assert_eq!(a.building_number(), Some("8"));
        assert_eq!(a.sub_building_name(), None);
    }

    #[test]
    fn documentation_example_with_string_uprn_and_nulls() {
        let a = Address(read(serde_json::json!({
            "uprn": "10022812929", "subBuildingName": "FLAT 5", "buildingNumber": 16,
            "validUntil": null, "postalCode": "HP16 0AL", "addressCountry": "GB"
        })));
        assert_eq!(a.uprn(), Some("10022812929"));
        assert_eq!(a.building_number(), Some("16"));
        assert_eq!(a.valid_until(), None);
        let d =
            DrivingPermit(read(serde_json::json!({"issueNumber": 5, "issuedBy": "DVLA", "expiryDate": "2030-01-02"})));
        assert_eq!(d.issue_number(), Some("5"));
        assert_eq!(d.expiry_date(), Date::from_calendar_date(2030, Month::January, 2).ok());
    }
}
