use govuk_one_login::error::{CallbackError, OpErrorCode};
use std::time::Duration;

use govuk_one_login::{AuthLevel, Error, IdentityClaim, IdentityLevel, IdentityOutcome, Requirement};

use crate::*;

#[tokio::test]
async fn happy_path_cl() {
    let h = harness().await;
    let out = h.login(Requirement::LOW).await.unwrap();
    assert_eq!(out.session.auth_level(), AuthLevel::Low);
    assert_eq!(out.identity, IdentityOutcome::NotRequested);
    assert_eq!(out.return_to.as_str(), "/next?x=1");
    let (_, stored) = h.ol.session(&out.session_id.to_cookie_value()).await.unwrap().unwrap();
    assert_eq!(stored.subject(), out.session.subject());
}

#[tokio::test]
async fn happy_path_cl_cm_with_contact_claims() {
    let h = harness().await;
    let out = h.login(Requirement::MEDIUM).await.unwrap();
    let s = &out.session;
    assert_eq!(s.auth_level(), AuthLevel::Medium);
    assert_eq!(s.identity_level(), IdentityLevel::P0);
    assert!(s.identity().is_none());
    assert_eq!(s.subject().as_str(), govuk_one_login_mock::TestUser::default().sub);
    assert_eq!(s.email(), Some("test@example.com"));
    assert!(s.email_verified());
    assert_eq!(s.phone_number(), Some("+447123456789"));
    assert!(s.phone_number_verified());
    assert!(s.auth_time().is_some());
    assert!(s.sid().is_some());
    assert_eq!(s.id_token().secret().split('.').count(), 3);
    assert!(!format!("{s:?}").contains("test@example.com"), "Debug must not print personal data");
}

#[tokio::test]
async fn happy_path_cl_cm_p2_with_verified_identity_and_claims() {
    let h = harness().await;
    let out = h.login(Requirement::IDENTITY_P2).await.unwrap();
    assert_eq!(out.identity, IdentityOutcome::Verified { level: IdentityLevel::P2, return_codes: vec![] });
    let id = out.session.identity().expect("verified identity");
    assert_eq!(id.level(), IdentityLevel::P2);
    assert_eq!(id.current_name().unwrap().full(), "Kenneth Decerqueira");
    assert_eq!(id.current_name().unwrap().given_names(), "Kenneth");
    assert_eq!(id.birth_date().unwrap().date(), time::Date::from_calendar_date(1965, time::Month::July, 8).ok());
    assert_eq!(id.addresses()[0].postal_code(), Some("BA2 5AA"));
    assert_eq!(id.addresses()[0].uprn(), Some("10022812929"));
    assert_eq!(id.passports()[0].document_number(), Some("321654987"));
    assert_eq!(id.driving_permits()[0].issued_by(), Some("DVLA"));
    assert!(Requirement::IDENTITY_P2.is_met_by(out.session.achieved(), None, h.ol.now()));
}

#[tokio::test]
async fn a_session_keeps_only_the_identity_claims_it_asked_for() {
    // By default only the core identity (name and birth date) is asked for and kept, even
    // when One Login sends more.
    let h = harness_with(|b| b.identity_claims([IdentityClaim::CoreIdentity])).await;
    h.mock.set_fault(govuk_one_login_mock::Fault::UserinfoUnrequestedClaims);
    let out = h.login(Requirement::IDENTITY_P2).await.unwrap();
    let (_, stored) = h.ol.session(&out.session_id.to_cookie_value()).await.unwrap().unwrap();
    for id in [out.session.identity().unwrap(), stored.identity().unwrap()] {
        assert_eq!(id.current_name().unwrap().full(), "Kenneth Decerqueira");
        assert!(id.birth_date().is_some());
        assert!(id.addresses().is_empty() && id.passports().is_empty() && id.driving_permits().is_empty());
    }
    let stored = String::from_utf8(govuk_one_login::store::encode_session(&stored).unwrap()).unwrap();
    for document in ["321654987", "DECER607085K99AE", "HADLEY ROAD"] {
        assert!(!stored.contains(document), "{document} is not stored");
    }
    // Asked for, the address is kept; the passport, not asked for, is not.
    let h = harness_with(|b| b.identity_claims([IdentityClaim::CoreIdentity, IdentityClaim::Address])).await;
    h.mock.set_fault(govuk_one_login_mock::Fault::UserinfoUnrequestedClaims);
    let out = h.login(Requirement::IDENTITY_P2).await.unwrap();
    let id = out.session.identity().unwrap();
    assert_eq!(id.addresses().len(), 1);
    assert!(id.passports().is_empty() && id.driving_permits().is_empty());
}

#[tokio::test]
async fn an_identity_passes_into_a_later_sign_in_only_while_it_is_recent() {
    let h = harness_with(|b| b.identity_reuse_max_age(Duration::from_secs(1))).await;
    let verified = h.login(Requirement::IDENTITY_P2).await.unwrap();
    // A re-authentication at once keeps it...
    let again = h.login_from(Requirement::MEDIUM, Some(verified.session_id)).await.unwrap();
    assert_eq!(again.session.identity_level(), IdentityLevel::P2, "carried while recent");
    // ...one after the reuse bound leaves it behind: the next identity route asks again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let later = h.login_from(Requirement::MEDIUM, Some(again.session_id)).await.unwrap();
    assert!(later.session.identity().is_none(), "an identity older than the bound is not carried");
    assert_eq!(later.session.identity_level(), IdentityLevel::P0);
    assert_eq!(harness().await.ol.config().identity_reuse_max_age(), Duration::from_secs(3600), "the default");
}

#[tokio::test]
async fn step_up_rotates_the_session_and_keeps_the_user() {
    let h = harness().await;
    let first = h.login(Requirement::MEDIUM).await.unwrap();
    let second = h.login_from(Requirement::IDENTITY_P2, Some(first.session_id)).await.unwrap();
    assert_ne!(first.session_id, second.session_id, "the session id must change at login");
    assert!(h.ol.session(&first.session_id.to_cookie_value()).await.unwrap().is_none(), "old id is dead");
    let (_, s) = h.ol.session(&second.session_id.to_cookie_value()).await.unwrap().unwrap();
    assert_eq!(s.identity_level(), IdentityLevel::P2);
}

#[tokio::test]
async fn callback_from_another_browser_is_refused_and_consumes_the_state() {
    let h = harness().await;
    let start = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let params = authorize(&start.url).await;
    for cookie in [None, Some("AAAAAAAAAAAAAAAAAAAAAA")] {
        let err = h.ol.complete_login(params.clone(), cookie, None).await.unwrap_err();
        let expected_first = cookie.is_none();
        if expected_first {
            assert!(matches!(err, Error::Callback(CallbackError::BrowserMismatch)), "{err:?}");
        } else {
            assert!(matches!(err, Error::Callback(CallbackError::UnknownState)), "used once: {err:?}");
        }
    }
}

#[tokio::test]
async fn parallel_logins_in_two_tabs_both_complete() {
    let h = harness().await;
    let a = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::parse_or_root("/a"))).await.unwrap();
    let mut second = LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::parse_or_root("/b"));
    second.flow_cookie = Some(a.flow_cookie.clone());
    let b = h.ol.start_login(second).await.unwrap();
    assert_eq!(a.flow_cookie, b.flow_cookie, "one browser, one flow cookie");
    let (pa, pb) = (authorize(&a.url).await, authorize(&b.url).await);
    let out_b = h.ol.complete_login(pb, Some(&b.flow_cookie), None).await.unwrap();
    let out_a = h.ol.complete_login(pa, Some(&a.flow_cookie), None).await.unwrap();
    assert_eq!(out_a.return_to.as_str(), "/a");
    assert_eq!(out_b.return_to.as_str(), "/b");
}

#[tokio::test]
async fn callback_without_code_or_error() {
    let h = harness().await;
    let start = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let mut params = authorize(&start.url).await;
    params.code = None;
    let err = h.ol.complete_login(params, Some(&start.flow_cookie), None).await.unwrap_err();
    assert!(matches!(err, Error::Callback(CallbackError::MissingCode)), "{err:?}");
}

#[tokio::test]
async fn a_callback_after_ten_minutes_is_expired() {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    let store = govuk_one_login::store::MemoryStore::new();
    let config = config_for(&mock).signing_key_pem(keys::RP_PRIVATE_KEY_PEM).unwrap().build().unwrap();
    let now = OneLogin::builder(config.clone()).store(store.clone()).build().unwrap();
    let later = OneLogin::builder(config)
        .store(store)
        .clock(govuk_one_login::clock::OffsetClock::new(time::Duration::seconds(601)))
        .build()
        .unwrap();
    let start = now.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let params = authorize(&start.url).await;
    let err = later.complete_login(params, Some(&start.flow_cookie), None).await.unwrap_err();
    assert!(matches!(err, Error::Callback(CallbackError::Expired { by }) if by >= Duration::from_secs(1)), "{err:?}");
}

#[tokio::test]
async fn one_login_errors_are_typed_and_access_denied_is_distinct() {
    let h = harness().await;
    for (fault, code, status) in [
        (govuk_one_login_mock::Fault::AccessDenied, OpErrorCode::AccessDenied, 403),
        (govuk_one_login_mock::Fault::TemporarilyUnavailable, OpErrorCode::TemporarilyUnavailable, 503),
    ] {
        h.mock.clear_faults();
        h.mock.set_fault(fault);
        let err = h.login(Requirement::MEDIUM).await.unwrap_err();
        match &err {
            Error::Callback(CallbackError::OneLogin { code: c, description }) => {
                assert_eq!(*c, code);
                assert!(description.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.http_status(), status);
        assert!(!err.public_message().contains("fault switch"), "never show error_description");
        assert!(!err.ends_session());
    }
}

#[tokio::test]
async fn login_required_after_failed_reauthentication_ends_the_local_session() {
    let h = harness().await;
    let first = h.login(Requirement::MEDIUM).await.unwrap();
    h.mock.set_fault(govuk_one_login_mock::Fault::LoginRequired);
    let err = h.login_from(Requirement::MEDIUM, Some(first.session_id)).await.unwrap_err();
    assert!(matches!(err, Error::Callback(CallbackError::OneLogin { code: OpErrorCode::LoginRequired, .. })));
    assert!(err.ends_session());
    assert!(h.ol.session(&first.session_id.to_cookie_value()).await.unwrap().is_none());
}

#[tokio::test]
async fn missing_core_identity_surfaces_the_return_code() {
    let h = harness().await;
    h.mock.set_fault(govuk_one_login_mock::Fault::CoreIdentityMissing);
    let out = h.login(Requirement::IDENTITY_P2).await.unwrap();
    let IdentityOutcome::NotProven { return_codes } = &out.identity else {
        panic!("identity was not proven: {:?}", out.identity);
    };
    assert_eq!(return_codes.iter().map(govuk_one_login::identity::ReturnCode::code).collect::<Vec<_>>(), ["X"]);
    assert!(out.session.identity().is_none(), "no identity is assumed");
    assert_eq!(out.session.auth_level(), AuthLevel::Medium);
}

#[tokio::test]
async fn a_wrong_client_key_is_refused_by_the_token_endpoint() {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    // Plain query parameters, so that the token endpoint (not the JAR check) sees the key.
    let config = config_for(&mock)
        .request_objects(false)
        .signing_key_pem(keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let h = Harness { mock, ol: OneLogin::new(config).unwrap() };
    let err = h.login(Requirement::MEDIUM).await.unwrap_err();
    match err {
        Error::Provider(govuk_one_login::error::ProviderError::TokenRequestRejected { error, .. }) => {
            assert_eq!(error, "invalid_client");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn ps256_client_assertions_and_request_objects_work() {
    let h = harness_with(|b| b.client_signing_alg(govuk_one_login::ClientSigningAlgorithm::Ps256)).await;
    h.login(Requirement::MEDIUM).await.unwrap();
}

#[tokio::test]
async fn the_client_assertion_is_private_key_jwt_as_one_login_expects() {
    let h = harness_with(|b| b.key_id("rp-key-7")).await;
    h.login(Requirement::MEDIUM).await.unwrap();
    let (kid, claims) = h.mock.last_client_assertion().expect("an assertion was verified");
    assert_eq!(kid.as_deref(), Some("rp-key-7"), "kid when keys are published");
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["aud"], format!("{}token", h.mock.issuer()));
    let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
    assert!(exp - iat <= 300 && exp > iat, "a short lifetime");
    let jti = claims["jti"].as_str().unwrap().to_owned();
    assert!(jti.len() >= 16);
    h.login(Requirement::MEDIUM).await.unwrap();
    assert_ne!(h.mock.last_client_assertion().unwrap().1["jti"], jti, "a fresh jti each time");
}

async fn decide_on_the_page(
    h: &Harness,
    requirement: Requirement,
    form: &[(&str, &str)],
) -> Result<LoginOutcome, Error> {
    let start = h.ol.start_login(LoginRequest::new(requirement, ReturnPath::root())).await?;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(start.url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200, "the stand-in shows a sign-in page to people");
    let html = page.text().await.unwrap();
    let id = html.split("name=\"id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let mut fields = vec![("id", id.as_str())];
    fields.extend_from_slice(form);
    let back = client.post(format!("{}authorize/decision", h.mock.issuer())).form(&fields).send().await.unwrap();
    let location = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    let params = CallbackParams::from_query(location.query().unwrap_or_default());
    h.ol.complete_login(params, Some(&start.flow_cookie), None).await
}

#[tokio::test]
async fn a_person_decides_on_the_stand_in_page() {
    let h = harness().await;
    h.mock.set_auto_approve(false);
    let ok =
        decide_on_the_page(&h, Requirement::IDENTITY_P2, &[("decision", "approve"), ("level", "pass")]).await.unwrap();
    assert!(matches!(ok.identity, IdentityOutcome::Verified { level: IdentityLevel::P2, .. }));
    let failed =
        decide_on_the_page(&h, Requirement::IDENTITY_P2, &[("decision", "approve"), ("level", "fail")]).await.unwrap();
    assert!(matches!(failed.identity, IdentityOutcome::NotProven { ref return_codes } if return_codes.len() == 1));
    let again =
        decide_on_the_page(&h, Requirement::IDENTITY_P2, &[("decision", "approve"), ("level", "pass")]).await.unwrap();
    assert!(matches!(again.identity, IdentityOutcome::Verified { .. }), "a failed check does not stick");
    let cancelled = decide_on_the_page(&h, Requirement::MEDIUM, &[("decision", "cancel")]).await.unwrap_err();
    assert!(matches!(cancelled, Error::Callback(CallbackError::OneLogin { code: OpErrorCode::AccessDenied, .. })));
}

/// A `max_age` beyond what an `i64` holds means "any age", not a wrapped negative number that
/// refuses every sign-in older than the leeway.
#[tokio::test]
async fn a_huge_max_age_is_saturated_not_wrapped() {
    let h = harness().await;
    h.mock.set_auth_time_offset(-100);
    let requirement = Requirement::MEDIUM.with_max_age(Duration::from_secs(u64::MAX));
    let out = h.login(requirement).await;
    assert!(out.is_ok(), "{out:?}");
}
