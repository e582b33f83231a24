use govuk_one_login::error::{AuthorizeError, CallbackError};
use govuk_one_login::web::{RequestInfo, SessionContext};
use govuk_one_login::{Error, IdToken, RequestObjectForm, Requirement};
use serde_json::json;

use crate::*;

fn query(url: &url::Url) -> std::collections::HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// The `claims` member of a request object as One Login's tools send it: a JSON string, parsed.
fn claims_string(params: &serde_json::Map<String, serde_json::Value>) -> serde_json::Value {
    let text = params["claims"].as_str().unwrap_or_else(|| panic!("claims is not a JSON string: {}", params["claims"]));
    serde_json::from_str(text).expect("claims holds JSON")
}

#[tokio::test]
async fn signed_request_object_by_default() {
    let h = harness_with(|b| b.ui_locales("cy").key_id("rp-key-1")).await;
    let start = h.ol.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await.unwrap();
    let q = query(&start.url);
    let mut keys: Vec<_> = q.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["client_id", "request", "response_type", "scope"], "nothing else outside the request object");
    assert_eq!(q["scope"], "openid email phone");
    authorize(&start.url).await;
    let seen = h.mock.last_authorize().unwrap();
    assert!(seen.request_object);
    assert_eq!(seen.request_object_kid.as_deref(), Some("rp-key-1"));
    let p = &seen.params;
    assert_eq!(p["response_type"], "code");
    assert_eq!(p["client_id"], CLIENT_ID);
    assert_eq!(p["iss"], CLIENT_ID);
    assert_eq!(p["aud"], format!("{}authorize", h.mock.issuer()));
    assert_eq!(p["redirect_uri"], REDIRECT_URI);
    assert_eq!(p["vtr"], json!(["Cl.Cm.P2"]));
    assert_eq!(p["ui_locales"], "cy");
    assert_eq!(p["code_challenge_method"], "S256");
    assert_eq!(p["code_challenge"].as_str().unwrap().len(), 43);
    assert!(p["state"].as_str().unwrap().len() >= 22);
    assert!(p["nonce"].as_str().unwrap().len() >= 22);
    assert!(p["exp"].as_i64().unwrap() > p["iat"].as_i64().unwrap());
    let claims = claims_string(p);
    let claims = claims["userinfo"].as_object().unwrap();
    for c in ["coreIdentityJWT", "address", "passport", "drivingPermit", "returnCode"] {
        assert!(claims.contains_key(&format!("https://vocab.account.gov.uk/v1/{c}")), "{c}");
    }
    assert!(p.get("prompt").is_none());
}

#[tokio::test]
async fn the_standard_form_sends_claims_as_an_object_vtr_as_text_and_the_issuer_as_audience() {
    use base64::Engine as _;
    let h = harness_with(|b| b.request_object_form(RequestObjectForm::Standard)).await;
    let start = h.ol.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await.unwrap();
    // Read as sent: the stand-in, like One Login, takes only the authorize URL as audience.
    let request = query(&start.url).remove("request").expect("a request object");
    let payload = request.split('.').nth(1).expect("a JWS");
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    let p: serde_json::Value = serde_json::from_slice(&payload).expect("JSON claims");
    let claims = p["claims"]["userinfo"].as_object().unwrap_or_else(|| panic!("not a JSON object: {}", p["claims"]));
    assert_eq!(claims.get("https://vocab.account.gov.uk/v1/coreIdentityJWT"), Some(&serde_json::Value::Null));
    assert_eq!(p["vtr"], r#"["Cl.Cm.P2"]"#, "JSON text, as the query parameter would be");
    assert_eq!(p["aud"], h.mock.issuer(), "the issuer, as RFC 9101 gives it");
    assert_eq!(p["iss"], CLIENT_ID);
}

#[tokio::test]
async fn outside_a_request_object_both_forms_send_the_same_query() {
    let mut queries = Vec::new();
    for form in [RequestObjectForm::OneLogin, RequestObjectForm::Standard] {
        let h = harness_with(|b| b.request_objects(false).request_object_form(form)).await;
        let start = h.ol.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await.unwrap();
        let mut q = query(&start.url);
        let text = q.remove("claims").unwrap_or_else(|| panic!("{form:?}: no claims"));
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{form:?}: {text}: {e}"));
        assert!(
            parsed["userinfo"].get("https://vocab.account.gov.uk/v1/coreIdentityJWT").is_some(),
            "{form:?}: {text}"
        );
        assert_eq!(q["vtr"], r#"["Cl.Cm.P2"]"#, "{form:?}");
        queries.push(
            q.into_iter()
                .filter(|(k, _)| !matches!(k.as_str(), "state" | "nonce" | "code_challenge"))
                .collect::<std::collections::BTreeMap<_, _>>(),
        );
    }
    assert_eq!(queries[0], queries[1]);
}

#[tokio::test]
async fn plain_query_parameters_as_an_option() {
    let h = harness_with(|b| b.request_objects(false)).await;
    let start = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let q = query(&start.url);
    for k in [
        "response_type",
        "scope",
        "client_id",
        "redirect_uri",
        "state",
        "nonce",
        "vtr",
        "code_challenge",
        "code_challenge_method",
    ] {
        assert!(q.contains_key(k), "{k}");
    }
    assert_eq!(q["vtr"], r#"["Cl.Cm"]"#);
    assert!(!q.contains_key("claims"), "no identity claims without an identity level");
    assert!(!q.contains_key("request"));
    assert!(start.url.as_str().contains("vtr=%5B%22Cl.Cm%22%5D"), "vtr is URL-encoded JSON");
    h.ol.complete_login(authorize(&start.url).await, Some(&start.flow_cookie), None).await.unwrap();
    assert!(!h.mock.last_authorize().unwrap().request_object);
}

#[tokio::test]
async fn reauthentication_and_login_hint_go_inside_the_request_object() {
    let h = harness().await;
    let first = h.login(Requirement::MEDIUM).await.unwrap();
    let mut req = LoginRequest::new(Requirement::MEDIUM.with_max_age(Duration::from_secs(300)), ReturnPath::root());
    req.reauthenticate = Some(first.session.id_token().clone());
    req.login_hint = Some("test@example.com".into());
    let start = h.ol.start_login(req).await.unwrap();
    h.ol.complete_login(authorize(&start.url).await, Some(&start.flow_cookie), None).await.unwrap();
    let p = h.mock.last_authorize().unwrap().params;
    assert_eq!(p["prompt"], "login");
    assert_eq!(p["id_token_hint"], first.session.id_token().secret());
    assert_eq!(p["login_hint"], "test@example.com");
}

#[tokio::test]
async fn a_stale_sign_in_fails_the_freshness_check() {
    let h = harness().await;
    h.mock.set_auth_time_offset(-3600);
    let err = h.login(Requirement::MEDIUM.with_max_age(Duration::from_secs(300))).await.unwrap_err();
    assert!(
        matches!(err, Error::Token { source: govuk_one_login::error::TokenError::NotFresh { by }, .. } if by.as_secs() > 3000),
        "{err:?}"
    );
    assert_eq!(h.mock.last_authorize().unwrap().params["max_age"], 300, "max_age was sent, in the request object");
}

#[tokio::test]
async fn max_age_is_sent_and_one_login_applies_it_where_enabled() {
    let h = harness().await;
    h.mock.set_auth_time_offset(-3600);
    h.mock.set_max_age_enabled(true);
    let out = h.login(Requirement::MEDIUM.with_max_age(Duration::from_secs(300))).await.unwrap();
    assert_eq!(h.mock.reauthentications(), 1, "One Login made the user sign in again");
    assert!(out.session.auth_time().is_some());
}

#[tokio::test]
async fn max_age_needs_request_objects() {
    let h = harness_with(|b| b.request_objects(false)).await;
    let req = LoginRequest::new(Requirement::MEDIUM.with_max_age(Duration::from_secs(300)), ReturnPath::root());
    let err = h.ol.start_login(req).await.unwrap_err();
    assert!(matches!(err, Error::Authorize(AuthorizeError::NeedsRequestObject)), "{err:?}");
    assert_eq!(h.mock.hits("/authorize"), 0);
}

#[tokio::test]
async fn reauthentication_needs_request_objects() {
    let h = harness_with(|b| b.request_objects(false)).await;
    let mut req = LoginRequest::new(Requirement::MEDIUM, ReturnPath::root());
    req.reauthenticate = Some(IdToken::new("a.b.c"));
    let err = h.ol.start_login(req).await.unwrap_err();
    assert!(matches!(err, Error::Authorize(AuthorizeError::NeedsRequestObject)));
}

#[tokio::test]
async fn oversized_authorize_requests_are_refused_before_sending() {
    let locales = vec!["en"; 1400].join(" ");
    let h = harness_with(|b| b.ui_locales(locales.clone())).await;
    let err = h.ol.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await.unwrap_err();
    assert!(matches!(err, Error::Authorize(AuthorizeError::QueryTooLong { length }) if length > 4096), "{err:?}");
    assert_eq!(h.mock.hits("/authorize"), 0);

    let h = harness().await;
    let mut req = LoginRequest::new(Requirement::MEDIUM, ReturnPath::root());
    req.login_hint = Some("a".repeat(257));
    let err = h.ol.start_login(req).await.unwrap_err();
    assert!(matches!(err, Error::Authorize(AuthorizeError::LoginHintTooLong { length: 257 })));
}

#[tokio::test]
async fn each_login_gets_fresh_state_nonce_and_verifier() {
    let h = harness_with(|b| b.request_objects(false)).await;
    let a = query(&h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap().url);
    let b = query(&h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap().url);
    for k in ["state", "nonce", "code_challenge"] {
        assert_ne!(a[k], b[k], "{k}");
    }
}

#[tokio::test]
async fn identity_levels_map_to_vtr() {
    let h = harness_with(|b| b.request_objects(false)).await;
    let start = h.ol.start_login(LoginRequest::new(Requirement::IDENTITY_P1, ReturnPath::root())).await.unwrap();
    assert_eq!(query(&start.url)["vtr"], r#"["Cl.Cm.P1"]"#);
}

#[tokio::test]
async fn only_configured_identity_claims_are_requested() {
    let h = harness_with(|b| b.identity_claims([])).await;
    let out = h.login(Requirement::IDENTITY_P2).await.unwrap();
    let claims = claims_string(&h.mock.last_authorize().unwrap().params)["userinfo"].as_object().unwrap().clone();
    assert_eq!(claims.keys().collect::<Vec<_>>(), ["https://vocab.account.gov.uk/v1/coreIdentityJWT"]);
    let id = out.session.identity().unwrap();
    assert!(id.addresses().is_empty() && id.passports().is_empty(), "nothing unrequested comes back");
}

#[tokio::test]
async fn the_users_language_choice_is_sent_as_ui_locales() {
    use govuk_one_login::web::{Locale, RequestInfo, SessionContext};
    let h = harness_with(|b| b.ui_locales("en")).await;
    // Through the sign-in route, as a "Sign in" link with the `lang` cookie set to Welsh.
    let info = RequestInfo::new("GET", "/auth/login?level=Cl.Cm&return_to=/account").lang(Some(Locale::Cy));
    let r = h.ol.login_route(&info, &SessionContext::default()).await;
    let url = url::Url::parse(r.header_value("location").unwrap()).unwrap();
    authorize(&url).await;
    assert_eq!(h.mock.last_authorize().unwrap().params["ui_locales"], "cy");
    // Without a choice, the configured value.
    let info = RequestInfo::new("GET", "/auth/login?level=Cl.Cm&return_to=/account").accept_language(Some("cy"));
    let r = h.ol.login_route(&info, &SessionContext::default()).await;
    authorize(&url::Url::parse(r.header_value("location").unwrap()).unwrap()).await;
    assert_eq!(h.mock.last_authorize().unwrap().params["ui_locales"], "en");
    // Set on the request directly.
    let mut login = LoginRequest::new(Requirement::MEDIUM, ReturnPath::root());
    login.ui_locale = Some(Locale::Cy);
    authorize(&h.ol.start_login(login).await.unwrap().url).await;
    assert_eq!(h.mock.last_authorize().unwrap().params["ui_locales"], "cy");
}

/// A provider that could not read the request object redirects with its error and no `state`
/// (oidc-provider does, and One Login for a request without one): refused as a callback without
/// state, with the provider's error in the log, where it used to be lost.
#[tokio::test]
async fn an_error_without_state_is_refused_and_logged() {
    let (logs, _guard) = opaque::Captured::install(tracing::Level::INFO);
    let h = harness().await;
    let start = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let params = CallbackParams::from_query(
        "error=invalid_request&error_description=%27vtr%27+parameter+must+not+be+provided+twice",
    );
    let refused = h.ol.complete_login(params, Some(&start.flow_cookie), None).await.unwrap_err();
    let Error::Callback(CallbackError::ErrorWithoutState { code, description }) = &refused else {
        panic!("{refused:?}")
    };
    assert_eq!(code.to_string(), "invalid_request");
    assert_eq!(description.as_deref(), Some("'vtr' parameter must not be provided twice"));
    assert_eq!(refused.http_status(), 400);
    // Logged once, by the callback route, with the error's cause.
    let r = h
        .ol
        .callback_route(&RequestInfo::new("GET", "/auth/callback?error=invalid_request"), &SessionContext::default())
        .await;
    assert_eq!(r.status, 400);
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line = "no state parameter but the error `invalid_request`, described as None";
    assert_eq!(logged.matches(line).count(), 1, "{logged}");
    // Anyone can send one: a line break, an escape or a long text cannot forge or flood a line.
    let long = "x".repeat(400);
    let query = format!("error=access_denied%0Aforged&error_description=line%0Aforged%1B%5B31m{long}");
    let refused = h.ol.complete_login(CallbackParams::from_query(&query), None, None).await.unwrap_err();
    let Error::Callback(CallbackError::ErrorWithoutState { code, description }) = &refused else {
        panic!("{refused:?}")
    };
    let description = description.as_deref().unwrap();
    assert!(description.chars().all(|c| !c.is_control()) && description.chars().count() <= 256, "{description}");
    assert!(!code.to_string().contains('\n'), "{code}");
    assert!(!refused.to_string().contains('\n') && !refused.to_string().contains('\u{1b}'), "{refused}");
}
