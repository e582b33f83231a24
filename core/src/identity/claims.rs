//! Typed identity claims: the verified core identity's names and birth dates, and the address,
//! passport and driving-permit claims. They are read from One Login's answers through the
//! private forms in [`super::wire`] and can only come from a verified sign-in. Every field is
//! optional, as One Login may leave any out; dates are [`time::Date`]s (`None` when absent or
//! not a `YYYY-MM-DD` date). `Debug` prints no personal data.

use time::Date;

use super::packed::Texts;
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

/// A claim whose fields are optional texts, kept packed ([`Texts`]): its conversions to and
/// from the wire form and its accessors, from one list of fields (name, kind, position).
macro_rules! packed_claim {
    ($ty:ident, $wire:ident, $n:literal, [$($(#[$m:meta])* $field:ident: $kind:ident = $i:literal),* $(,)?]) => {
        impl $ty {
            pub(crate) fn from_wire(w: wire::$wire) -> Self {
                let mut fields: [Option<String>; $n] = Default::default();
                $(fields[$i] = w.$field;)*
                Self(Texts::new(fields))
            }
            pub(crate) fn to_wire(&self) -> wire::$wire {
                wire::$wire { $($field: self.0.owned($i),)* }
            }
            $(packed_claim!(@accessor $kind, $(#[$m])* $field, $i);)*
        }
    };
    (@accessor text, $(#[$m:meta])* $field:ident, $i:literal) => {
        $(#[$m])*
        pub fn $field(&self) -> Option<&str> {
            self.0.get($i)
        }
    };
    (@accessor date, $(#[$m:meta])* $field:ident, $i:literal) => {
        $(#[$m])*
        pub fn $field(&self) -> Option<Date> {
            iso_date(self.0.get($i))
        }
    };
}

const ISO_DATE: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// A `YYYY-MM-DD` calendar date.
fn iso_date(text: Option<&str>) -> Option<Date> {
    Date::parse(text?, ISO_DATE).ok()
}

/// A date field as One Login sent it: a `YYYY-MM-DD` date kept as a date (no heap block),
/// anything else as its text, so that both read back as they came.
#[derive(Clone, PartialEq, Eq)]
enum DateText {
    Date(Date),
    Text(Box<str>),
}

impl DateText {
    fn new(text: String) -> Self {
        match iso_date(Some(&text)) {
            Some(date) if date.format(ISO_DATE).is_ok_and(|back| back == text) => Self::Date(date),
            _ => Self::Text(text.into_boxed_str()),
        }
    }
    fn date(&self) -> Option<Date> {
        match self {
            Self::Date(date) => Some(*date),
            Self::Text(text) => iso_date(Some(text)),
        }
    }
    fn text(&self) -> String {
        match self {
            Self::Date(date) => date.format(ISO_DATE).unwrap_or_default(),
            Self::Text(text) => text.to_string(),
        }
    }
}

/// A name part's type: the two One Login sends, without a heap block each, or another.
#[derive(Clone, PartialEq, Eq)]
enum NameKind {
    Given,
    Family,
    Other(Box<str>),
}

/// One part of a name.
#[derive(Clone, PartialEq, Eq)]
pub struct NamePart {
    value: Box<str>,
    kind: NameKind,
}

impl NamePart {
    fn from_wire(w: wire::NamePart) -> Self {
        let kind = match w.kind.as_str() {
            "GivenName" => NameKind::Given,
            "FamilyName" => NameKind::Family,
            _ => NameKind::Other(w.kind.into_boxed_str()),
        };
        Self { value: w.value.into_boxed_str(), kind }
    }
    fn to_wire(&self) -> wire::NamePart {
        wire::NamePart { value: self.value.to_string(), kind: self.kind().to_owned() }
    }
    /// The text.
    pub fn value(&self) -> &str {
        &self.value
    }
    /// `GivenName`, `FamilyName`, or another type One Login may add.
    pub fn kind(&self) -> &str {
        match &self.kind {
            NameKind::Given => "GivenName",
            NameKind::Family => "FamilyName",
            NameKind::Other(kind) => kind,
        }
    }
    /// Whether this is a given name.
    pub fn is_given(&self) -> bool {
        self.kind == NameKind::Given
    }
    /// Whether this is a family name.
    pub fn is_family(&self) -> bool {
        self.kind == NameKind::Family
    }
}

/// A name, with the dates it was valid. No end date means the current name.
#[derive(Clone, PartialEq, Eq)]
pub struct Name {
    parts: Box<[NamePart]>,
    valid_from: Option<DateText>,
    valid_until: Option<DateText>,
}

impl Name {
    pub(crate) fn from_wire(w: wire::Name) -> Self {
        Self {
            parts: w.name_parts.into_iter().map(NamePart::from_wire).collect(),
            valid_from: w.valid_from.map(DateText::new),
            valid_until: w.valid_until.map(DateText::new),
        }
    }
    pub(crate) fn to_wire(&self) -> wire::Name {
        wire::Name {
            name_parts: self.parts.iter().map(NamePart::to_wire).collect(),
            valid_from: self.valid_from.as_ref().map(DateText::text),
            valid_until: self.valid_until.as_ref().map(DateText::text),
        }
    }
    /// The parts, in One Login's order.
    pub fn parts(&self) -> &[NamePart] {
        &self.parts
    }
    /// From when the name was used; `None` means possibly from birth.
    pub fn valid_from(&self) -> Option<Date> {
        self.valid_from.as_ref().and_then(DateText::date)
    }
    /// Until when the name was used; `None` for the current name.
    pub fn valid_until(&self) -> Option<Date> {
        self.valid_until.as_ref().and_then(DateText::date)
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
pub struct BirthDate(DateText);

impl BirthDate {
    pub(crate) fn from_wire(w: wire::BirthDate) -> Self {
        Self(DateText::new(w.value))
    }
    pub(crate) fn to_wire(&self) -> wire::BirthDate {
        wire::BirthDate { value: self.0.text() }
    }
    /// The date, if One Login sent a valid `YYYY-MM-DD` calendar date.
    pub fn date(&self) -> Option<Date> {
        self.0.date()
    }
}

/// A postal address. Map fields by name, never to fixed address lines.
#[derive(Clone, PartialEq, Eq)]
pub struct Address(Texts<16>);

packed_claim!(Address, Address, 16, [
    /// Unique Property Reference Number (UK only), as digits. One Login's specification
    /// sends a number and its documentation a string; both are read.
    uprn: text = 0,
    /// The organisation name.
    organisation_name: text = 1,
    /// The department name.
    department_name: text = 2,
    /// The sub-building name, such as `FLAT 5`.
    sub_building_name: text = 3,
    /// The building number.
    building_number: text = 4,
    /// The building name.
    building_name: text = 5,
    /// The dependent street name.
    dependent_street_name: text = 6,
    /// The street name.
    street_name: text = 7,
    /// The double dependent address locality.
    double_dependent_address_locality: text = 8,
    /// The dependent address locality.
    dependent_address_locality: text = 9,
    /// The post town.
    address_locality: text = 10,
    /// The region (international addresses only).
    address_region: text = 11,
    /// The postal code.
    postal_code: text = 12,
    /// The country, ISO 3166-1 alpha-2.
    address_country: text = 13,
    /// From when the user lived here (only the year is meaningful).
    valid_from: date = 14,
    /// Until when the user lived here; `None` for the current address.
    valid_until: date = 15,
]);

/// A passport used to prove identity.
#[derive(Clone, PartialEq, Eq)]
pub struct Passport(Texts<3>);

packed_claim!(Passport, Passport, 3, [
    /// The passport number.
    document_number: text = 0,
    /// The ICAO issuer code, up to 3 characters.
    icao_issuer_code: text = 1,
    /// The expiry date.
    expiry_date: date = 2,
]);

/// A driving licence used to prove identity.
#[derive(Clone, PartialEq, Eq)]
pub struct DrivingPermit(Texts<6>);

packed_claim!(DrivingPermit, DrivingPermit, 6, [
    /// The licence number.
    personal_number: text = 0,
    /// `DVLA` or `DVA`.
    issued_by: text = 1,
    /// The issue number (DVLA licences only).
    issue_number: text = 2,
    /// The address on the licence (undocumented; seen in app-journey data).
    full_address: text = 3,
    /// The expiry date.
    expiry_date: date = 4,
    /// The issue date (undocumented; seen in app-journey data).
    issue_date: date = 5,
]);

/// A return code: a single letter whose meaning One Login shares privately. Treat it as opaque.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReturnCode(Box<str>);

impl ReturnCode {
    pub(crate) fn from_wire(w: wire::ReturnCode) -> Self {
        Self(w.code.into_boxed_str())
    }
    pub(crate) fn to_wire(&self) -> wire::ReturnCode {
        wire::ReturnCode { code: self.0.to_string() }
    }
    /// The code.
    pub fn code(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ReturnCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReturnCode({:?})", self.0)
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
        let b = BirthDate::from_wire(wire::BirthDate { value: "1965-07-08".into() });
        assert_eq!(b.date().unwrap().year(), 1965);
        assert!(BirthDate::from_wire(wire::BirthDate { value: "1965-13-40".into() }).date().is_none());
    }

    #[test]
    fn a_name_with_an_unreadable_end_date_is_not_current() {
        let n = Name::from_wire(read(serde_json::json!({"nameParts": [], "validUntil": "yesterday"})));
        assert!(!n.is_current());
        assert_eq!(n.valid_until(), None);
    }

    #[test]
    fn address_tolerates_partial_and_unknown_fields() {
        let a = Address::from_wire(read(serde_json::json!({
            "uprn": 10_022_812_929u64, "buildingNumber": "8", "streetName": "HADLEY ROAD",
            "addressLocality": "BATH", "postalCode": "BA2 5AA", "addressCountry": "GB", "future": true
        })));
        assert_eq!(a.uprn(), Some("10022812929"));
        assert_eq!(a.building_number(), Some("8"));
        assert_eq!(a.sub_building_name(), None);
    }

    #[test]
    fn documentation_example_with_string_uprn_and_nulls() {
        let a = Address::from_wire(read(serde_json::json!({
            "uprn": "10022812929", "subBuildingName": "FLAT 5", "buildingNumber": 16,
            "validUntil": null, "postalCode": "HP16 0AL", "addressCountry": "GB"
        })));
        assert_eq!(a.uprn(), Some("10022812929"));
        assert_eq!(a.building_number(), Some("16"));
        assert_eq!(a.valid_until(), None);
        let d = DrivingPermit::from_wire(read(
            serde_json::json!({"issueNumber": 5, "issuedBy": "DVLA", "expiryDate": "2030-01-02"}),
        ));
        assert_eq!(d.issue_number(), Some("5"));
        assert_eq!(d.expiry_date(), Date::from_calendar_date(2030, Month::January, 2).ok());
    }

    /// Every field of every claim carries its own text, so a field packed in the wrong place
    /// or left out does not read back.
    #[test]
    fn every_field_of_every_claim_reads_back_and_writes_the_same() {
        fn round_trip<W: serde::Serialize + serde::de::DeserializeOwned, T>(
            names: &[&str],
            from: fn(W) -> T,
            to: fn(&T) -> W,
        ) {
            let json: serde_json::Map<_, _> = names
                .iter()
                .enumerate()
                .map(|(i, n)| ((*n).to_owned(), serde_json::json!(format!("{n}-{i}"))))
                .collect();
            let back = serde_json::to_value(to(&from(read(serde_json::Value::Object(json.clone()))))).unwrap();
            assert_eq!(back, serde_json::Value::Object(json));
        }
        round_trip(
            &[
                "uprn",
                "organisationName",
                "departmentName",
                "subBuildingName",
                "buildingNumber",
                "buildingName",
                "dependentStreetName",
                "streetName",
                "doubleDependentAddressLocality",
                "dependentAddressLocality",
                "addressLocality",
                "addressRegion",
                "postalCode",
                "addressCountry",
                "validFrom",
                "validUntil",
            ],
            Address::from_wire,
            Address::to_wire,
        );
        round_trip(&["documentNumber", "icaoIssuerCode", "expiryDate"], Passport::from_wire, Passport::to_wire);
        round_trip(
            &["personalNumber", "expiryDate", "issuedBy", "issueNumber", "issueDate", "fullAddress"],
            DrivingPermit::from_wire,
            DrivingPermit::to_wire,
        );
        let a = Address::from_wire(read(serde_json::json!({"postalCode": "BA2 5AA", "validUntil": "2020-02-03"})));
        assert_eq!(a.postal_code(), Some("BA2 5AA"));
        assert_eq!(a.valid_until(), Date::from_calendar_date(2020, Month::February, 3).ok());
        assert_eq!((a.street_name(), a.valid_from()), (None, None));
        let name = serde_json::json!({
            "nameParts": [{"value":"A","type":"GivenName"},{"value":"B","type":"FamilyName"},{"value":"C","type":"Title"},{"value":"D","type":""}],
            "validFrom": "2001-01-01", "validUntil": "2002-02-02"
        });
        let n = Name::from_wire(read(name.clone()));
        assert_eq!(serde_json::to_value(n.to_wire()).unwrap(), name);
        assert_eq!(n.parts().iter().map(NamePart::kind).collect::<Vec<_>>(), ["GivenName", "FamilyName", "Title", ""]);
        assert!(!n.is_current());
        let code = ReturnCode::from_wire(read(serde_json::json!({"code": "X"})));
        assert_eq!(serde_json::to_value(code.to_wire()).unwrap(), serde_json::json!({"code": "X"}));
    }

    #[test]
    fn dates_read_back_as_they_came_whatever_they_are() {
        for text in
            ["1965-07-08", "0001-01-01", "1965-7-8", "1965-13-40", "yesterday", "", "+10000-01-01", "1965-07-08 "]
        {
            let b = BirthDate::from_wire(wire::BirthDate { value: text.to_owned() });
            assert_eq!(b.to_wire().value, text);
            assert_eq!(b.date(), iso_date(Some(text)), "{text:?}");
        }
        assert!(matches!(DateText::new("1965-07-08".to_owned()), DateText::Date(_)));
        assert!(matches!(DateText::new("1965-7-8".to_owned()), DateText::Text(_)));
    }
}
