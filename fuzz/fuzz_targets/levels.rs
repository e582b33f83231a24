//! `vtr` and `vot` parsing: `VectorOfTrust`, `AuthLevel` (an ID token's `vot`),
//! `IdentityLevel` (a core identity's `vot`), `VectorOfTrust::parse_vtr`, and `Requirement`.
#![no_main]

use std::time::Duration;

use govuk_one_login::{AuthLevel, IdentityLevel, Requirement, VectorOfTrust};
use libfuzzer_sys::fuzz_target;

const ALL: [VectorOfTrust; 5] = [
    VectorOfTrust::LOW,
    VectorOfTrust::MEDIUM,
    VectorOfTrust::identity(IdentityLevel::P1),
    VectorOfTrust::identity(IdentityLevel::P2),
    VectorOfTrust::identity(IdentityLevel::P3),
];

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };

    // A vector: what it prints parses back to itself, and its `vtr` too.
    if let Ok(v) = s.parse::<VectorOfTrust>() {
        assert_eq!(v.to_string().parse::<VectorOfTrust>(), Ok(v), "{s:?}");
        assert_eq!(VectorOfTrust::parse_vtr(&v.to_vtr()), Ok(v), "{s:?}");
        assert!(!(v.auth() == AuthLevel::Low && v.needs_identity()), "Cl with identity from {s:?}");
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(serde_json::from_str::<VectorOfTrust>(&json).unwrap(), v);
        // Only the components `Cl`, `Cm` and `P0`..`P3` make a vector.
        assert!(s.split('.').all(|c| matches!(c, "Cl" | "Cm" | "P0" | "P1" | "P2" | "P3")), "{s:?}");
    }

    // An ID token's `vot`: only `Cl`/`Cl.Cm`, never an identity component.
    if let Ok(a) = s.parse::<AuthLevel>() {
        assert!(!s.contains('P'), "{s:?} read as {a}");
        assert_eq!(a.to_string().parse::<AuthLevel>(), Ok(a));
    }

    // A core identity's `vot`: exactly `P0`..`P3`.
    if let Ok(p) = s.parse::<IdentityLevel>() {
        assert_eq!(p.as_str(), s);
    }

    // A `vtr` array: the lowest of its vectors, each of which parses on its own.
    if let Ok(lowest) = VectorOfTrust::parse_vtr(s) {
        let list: Vec<String> = serde_json::from_str(s).expect("a parsed vtr is a JSON array of strings");
        assert!(!list.is_empty());
        let vectors: Vec<VectorOfTrust> = list.iter().map(|v| v.parse().expect("each vector parses")).collect();
        assert!(vectors.contains(&lowest));
        assert!(vectors.iter().all(|v| *v >= lowest), "{s:?} gave {lowest}, not the lowest");
    }

    // Requirements over arbitrary times: `is_met_by` is `meets` and freshness, and the order
    // agrees with `meets` for every pair of vectors.
    if data.len() >= 18 {
        let pick = |b: u8| ALL[usize::from(b) % ALL.len()];
        let (required, achieved) = (pick(data[0]), pick(data[1]));
        assert_eq!(achieved >= required, achieved.meets(required), "{achieved} vs {required}");
        let max_age = u64::from_le_bytes(data[2..10].try_into().unwrap());
        let offset = i64::from_le_bytes(data[10..18].try_into().unwrap());
        let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_800_000_000);
        let auth_time = now.checked_sub(time::Duration::seconds(offset % (200 * 365 * 86_400)));
        let requirement = Requirement::vector_of_trust(required).with_max_age(Duration::from_secs(max_age));
        let met = requirement.is_met_by(achieved, auth_time, now);
        assert_eq!(met, achieved.meets(required) && requirement.is_fresh(auth_time, now));
        assert!(!Requirement::vector_of_trust(required).with_max_age(Duration::ZERO).is_fresh(None, now));
        assert!(Requirement::vector_of_trust(required).is_met_by(required, None, now));
        let _ = requirement.to_string();
    }
});
