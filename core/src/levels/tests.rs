use proptest::prelude::*;

use super::*;

fn any_vector() -> impl Strategy<Value = VectorOfTrust> {
    prop_oneof![
        Just(VectorOfTrust::LOW),
        Just(VectorOfTrust::MEDIUM),
        Just(VectorOfTrust::identity(IdentityLevel::P0)),
        Just(VectorOfTrust::identity(IdentityLevel::P1)),
        Just(VectorOfTrust::identity(IdentityLevel::P2)),
        Just(VectorOfTrust::identity(IdentityLevel::P3)),
    ]
}

#[test]
fn parses_and_prints_one_login_vectors() {
    for (s, printed) in [
        ("Cl", "Cl"),
        ("Cl.Cm", "Cl.Cm"),
        ("Cm.Cl", "Cl.Cm"),
        ("Cl.Cm.P0", "Cl.Cm"),
        ("Cl.Cm.P1", "Cl.Cm.P1"),
        ("Cl.Cm.P2", "Cl.Cm.P2"),
        ("P2.Cl.Cm", "Cl.Cm.P2"),
    ] {
        assert_eq!(s.parse::<VectorOfTrust>().unwrap().to_string(), printed, "{s}");
    }
}

#[test]
fn refuses_invalid_vectors_with_typed_errors() {
    assert_eq!("Cl.P2".parse::<VectorOfTrust>(), Err(LevelError::IdentityNeedsMedium(IdentityLevel::P2)));
    assert_eq!("Cm".parse::<VectorOfTrust>(), Err(LevelError::InvalidCombination("Cm".into())));
    assert_eq!("P2".parse::<VectorOfTrust>(), Err(LevelError::MissingCredential));
    assert_eq!("Cl.Cl".parse::<VectorOfTrust>(), Err(LevelError::InvalidCombination("Cl.Cl".into())));
    assert_eq!("Cl.Cm.P4".parse::<VectorOfTrust>(), Err(LevelError::UnknownComponent("P4".into())));
    assert_eq!("Cl.Cm.P1.P2".parse::<VectorOfTrust>(), Err(LevelError::InvalidCombination("Cl.Cm.P1.P2".into())));
    assert_eq!("Cl.Cx".parse::<VectorOfTrust>(), Err(LevelError::UnknownComponent("Cx".into())));
    assert_eq!("".parse::<VectorOfTrust>(), Err(LevelError::UnknownComponent(String::new())));
}

#[test]
fn vtr_is_a_json_array() {
    assert_eq!(VectorOfTrust::identity(IdentityLevel::P2).to_vtr(), r#"["Cl.Cm.P2"]"#);
    assert_eq!(VectorOfTrust::MEDIUM.to_vtr(), r#"["Cl.Cm"]"#);
    assert_eq!(VectorOfTrust::parse_vtr(r#"["Cl.Cm.P2","Cl.Cm.P1"]"#).unwrap().to_string(), "Cl.Cm.P1");
    assert_eq!(VectorOfTrust::parse_vtr("[]"), Err(LevelError::MalformedVtr));
    assert_eq!(VectorOfTrust::parse_vtr("Cl.Cm"), Err(LevelError::MalformedVtr));
}

#[test]
fn vot_values_parse_by_kind() {
    assert_eq!("Cl.Cm".parse::<AuthLevel>(), Ok(AuthLevel::Medium));
    assert_eq!("Cl".parse::<AuthLevel>(), Ok(AuthLevel::Low));
    assert!("Cl.Cm.P2".parse::<AuthLevel>().is_err(), "an ID token vot never carries a P value");
    assert_eq!("P2".parse::<IdentityLevel>(), Ok(IdentityLevel::P2));
    assert!("Cl.Cm".parse::<IdentityLevel>().is_err());
}

#[test]
fn freshness() {
    let at = |secs| OffsetDateTime::from_unix_timestamp(secs).unwrap();
    let r = Requirement::MEDIUM.with_max_age(Duration::from_secs(300));
    assert!(r.is_met_by(VectorOfTrust::MEDIUM, Some(at(1_000)), at(1_300)));
    assert!(!r.is_met_by(VectorOfTrust::MEDIUM, Some(at(1_000)), at(1_301)));
    assert!(!r.is_met_by(VectorOfTrust::MEDIUM, None, at(1_000)));
    assert!(Requirement::MEDIUM.is_met_by(VectorOfTrust::MEDIUM, None, at(1_000)));
    assert!(r.is_met_by(VectorOfTrust::MEDIUM, Some(at(1_300)), at(1_000)), "a future auth_time is fresh");
}

proptest! {
    #[test]
    fn order_agrees_with_meets(a in any_vector(), b in any_vector()) {
        prop_assert_eq!(a >= b, a.meets(b));
    }

    #[test]
    fn order_is_transitive(a in any_vector(), b in any_vector(), c in any_vector()) {
        if a >= b && b >= c { prop_assert!(a >= c); }
    }

    #[test]
    fn higher_identity_meets_lower(p in 0usize..4, q in 0usize..4) {
        let levels = [IdentityLevel::P0, IdentityLevel::P1, IdentityLevel::P2, IdentityLevel::P3];
        let (a, b) = (VectorOfTrust::identity(levels[p]), VectorOfTrust::identity(levels[q]));
        prop_assert_eq!(a.meets(b), p >= q);
        prop_assert_eq!(Requirement::vector_of_trust(b).is_met_by(a, None, OffsetDateTime::UNIX_EPOCH), p >= q);
    }

    #[test]
    fn print_parse_round_trip(a in any_vector()) {
        prop_assert_eq!(a.to_string().parse::<VectorOfTrust>().unwrap(), a);
        prop_assert_eq!(VectorOfTrust::parse_vtr(&a.to_vtr()).unwrap(), a);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,40}") {
        let _ = s.parse::<VectorOfTrust>();
        let _ = VectorOfTrust::parse_vtr(&s);
    }
}
