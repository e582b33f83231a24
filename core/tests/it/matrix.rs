//! The relying party's negative matrix against the stand-in: every hostile ID token, core
//! identity, logout token, callback and discovery document it must refuse, each with the exact
//! typed error. The adapters' tests drive the same cases through a real app for the statuses.

use std::time::Duration;

use govuk_one_login::error::{CallbackError, Endpoint, OpErrorCode, ProviderError, TokenError, TokenKind};
use govuk_one_login::{Error, Requirement};
use govuk_one_login_mock::{Fault, Tripwire};
use serde_json::{Value, json};

use crate::*;

/// The token error of a login the stand-in is set up to spoil.
async fn refused(h: &Harness, requirement: Requirement) -> (TokenKind, TokenError) {
    match h.login(requirement).await {
        Err(Error::Token { kind, source }) => (kind, source),
        other => panic!("expected a token error, got {other:?}"),
    }
}

/// A harness with `fault` on, and the token error of a login at `requirement`.
async fn with_fault(fault: Fault, requirement: Requirement) -> (TokenKind, TokenError) {
    let h = harness().await;
    h.mock.set_fault(fault);
    refused(&h, requirement).await
}

/// A harness whose ID tokens get `edit`, and the token error of a medium login.
async fn with_id_token_edit(
    edit: impl Fn(&mut jsonwebtoken::Header, &mut serde_json::Map<String, Value>) + Send + Sync + 'static,
) -> (TokenKind, TokenError) {
    let h = harness().await;
    h.mock.set_id_token_edit(edit);
    refused(&h, Requirement::MEDIUM).await
}

fn id(e: TokenError) -> (TokenKind, TokenError) {
    (TokenKind::IdToken, e)
}

fn core(e: TokenError) -> (TokenKind, TokenError) {
    (TokenKind::CoreIdentity, e)
}

fn not_allowed(found: &str) -> TokenError {
    TokenError::AlgorithmNotAllowed { expected: "ES256", found: found.into() }
}

fn wrong_audience() -> TokenError {
    TokenError::WrongAudience { expected: CLIENT_ID.into() }
}

// ---- ID token -------------------------------------------------------------------------------

#[tokio::test]
async fn id_token_alg_none_is_refused() {
    assert_eq!(with_fault(Fault::IdTokenAlgNone, Requirement::MEDIUM).await, id(not_allowed("none")));
}

#[tokio::test]
async fn id_token_hs256_keyed_with_the_op_public_key_is_refused() {
    assert_eq!(with_fault(Fault::IdTokenHs256WithPublicKey, Requirement::MEDIUM).await, id(not_allowed("HS256")));
}

#[tokio::test]
async fn rs256_id_tokens_are_refused_when_es256_is_pinned_and_accepted_when_configured() {
    let h = harness().await;
    h.mock.set_id_token_alg_rs256(true);
    assert_eq!(refused(&h, Requirement::MEDIUM).await, id(not_allowed("RS256")));

    let h = harness_with(|b| b.id_token_alg(govuk_one_login::IdTokenAlgorithm::Rs256)).await;
    h.mock.set_id_token_alg_rs256(true);
    h.login(Requirement::MEDIUM).await.unwrap();
    h.mock.set_id_token_alg_rs256(false);
    assert_eq!(
        refused(&h, Requirement::MEDIUM).await,
        id(TokenError::AlgorithmNotAllowed { expected: "RS256", found: "ES256".into() })
    );
}

/// `jku`, `jwk`, `x5u` and `x5c` name keys the token brings along: they are ignored (the key
/// comes from the OP's JWKS by `kid` only) and never fetched.
#[tokio::test]
async fn key_bearing_headers_are_ignored_and_never_fetched() {
    let tripwire = Tripwire::start().await;
    let (jku, x5u) = (tripwire.url("/jwks.json"), tripwire.url("/cert.pem"));
    let forged_jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(Tripwire::forged_key_jwk("forged")).expect("a JWK");
    let headers = move |hd: &mut jsonwebtoken::Header| {
        hd.jku = Some(jku.clone());
        hd.x5u = Some(x5u.clone());
        hd.jwk = Some(forged_jwk.clone());
        hd.x5c = Some(vec!["MIIBszCCAVmgAwIBAgIUJ3p0ZXN0".into()]);
    };

    // Signed by the OP: accepted, the headers are ignored.
    let h = harness().await;
    let set = headers.clone();
    h.mock.set_id_token_edit(move |hd, _| set(hd));
    h.login(Requirement::MEDIUM).await.unwrap();

    // Signed by the key the headers point at, under a published kid: the signature fails.
    h.mock.set_fault(Fault::IdTokenBadSignature);
    assert_eq!(refused(&h, Requirement::MEDIUM).await, id(TokenError::BadSignature));

    // Under a kid the OP never published: refused as an unknown key.
    h.mock.clear_faults();
    h.mock.set_fault(Fault::IdTokenUnknownKey);
    let set = headers.clone();
    h.mock.set_id_token_edit(move |hd, _| set(hd));
    assert!(matches!(refused(&h, Requirement::MEDIUM).await, (TokenKind::IdToken, TokenError::UnknownKey { .. })));

    // The core identity JWT (verified with the DID document's key) ignores them too.
    h.mock.clear_faults();
    let set = headers.clone();
    h.mock.set_core_identity_edit(move |hd, _| set(hd));
    h.login(Requirement::IDENTITY_P2).await.unwrap();
    h.mock.set_fault(Fault::CoreIdentityBadSignature);
    assert_eq!(refused(&h, Requirement::IDENTITY_P2).await, core(TokenError::BadSignature));

    assert_eq!(tripwire.hits(), 0, "no header URL was ever fetched");
}

#[tokio::test]
async fn an_unknown_critical_header_is_refused() {
    let (kind, e) = with_id_token_edit(|hd, _| hd.crit = Some(vec!["https://example.com/ext".into()])).await;
    assert_eq!(kind, TokenKind::IdToken);
    assert!(matches!(e, TokenError::UnsupportedCritical(ref names) if names == "https://example.com/ext"), "{e:?}");
}

#[tokio::test]
async fn a_signature_from_an_unknown_key_is_refused_after_one_refetch() {
    let h = harness().await;
    h.mock.set_fault(Fault::IdTokenUnknownKey);
    let (kind, e) = refused(&h, Requirement::MEDIUM).await;
    assert_eq!(kind, TokenKind::IdToken);
    assert!(matches!(e, TokenError::UnknownKey { ref kid } if kid.starts_with("unpublished-")), "{e:?}");
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 2, "the cached set, then one refetch");
}

#[tokio::test]
async fn a_token_without_kid_is_refused_while_the_jwks_holds_several_keys() {
    let h = harness().await;
    h.mock.publish_next_signing_key(true);
    h.mock.set_id_token_edit(|hd, _| hd.kid = None);
    assert_eq!(refused(&h, Requirement::MEDIUM).await, id(TokenError::MissingKeyId));
}

#[tokio::test]
async fn a_key_rotated_at_the_op_is_accepted_after_one_refetch() {
    let h = harness().await;
    h.login(Requirement::MEDIUM).await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 1);
    h.mock.rotate_signing_key();
    h.login(Requirement::MEDIUM).await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 2, "one refetch for the new kid");
    h.login(Requirement::MEDIUM).await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 2, "then served from the cache");
}

#[tokio::test]
async fn another_issuer_is_refused() {
    let (kind, e) = with_fault(Fault::IdTokenWrongIssuer, Requirement::MEDIUM).await;
    assert_eq!(kind, TokenKind::IdToken);
    assert!(matches!(e, TokenError::WrongIssuer { ref found, .. } if found == "https://evil.example/"), "{e:?}");
}

#[tokio::test]
async fn the_issuer_without_its_trailing_slash_is_refused() {
    let h = harness().await;
    let short = h.mock.issuer().trim_end_matches('/').to_owned();
    let claim = short.clone();
    h.mock.set_id_token_edit(move |_, c| {
        c.insert("iss".into(), json!(claim));
    });
    assert_eq!(
        refused(&h, Requirement::MEDIUM).await,
        id(TokenError::WrongIssuer { expected: h.mock.issuer().to_owned(), found: short })
    );
}

#[tokio::test]
async fn an_audience_without_us_is_refused() {
    assert_eq!(with_fault(Fault::IdTokenWrongAudience, Requirement::MEDIUM).await, id(wrong_audience()));
    let e = with_id_token_edit(|_, c| {
        c.insert("aud".into(), json!(["another-client"]));
    })
    .await;
    assert_eq!(e, id(wrong_audience()));
}

/// OIDC Core §3.1.3.7: refuse an ID token that "contains additional audiences not trusted by
/// the Client". This client trusts no other audience, so an extra one is refused, whatever
/// `azp` says.
#[tokio::test]
async fn an_audience_array_with_an_untrusted_extra_is_refused() {
    for azp in [None, Some(CLIENT_ID), Some("untrusted-client")] {
        let e = with_id_token_edit(move |_, c| {
            c.insert("aud".into(), json!([CLIENT_ID, "untrusted-client"]));
            if let Some(azp) = azp {
                c.insert("azp".into(), json!(azp));
            }
        })
        .await;
        assert_eq!(e, id(wrong_audience()), "azp {azp:?}");
    }
    // An array holding only us is our audience.
    let h = harness().await;
    h.mock.set_id_token_edit(|_, c| {
        c.insert("aud".into(), json!([CLIENT_ID]));
    });
    h.login(Requirement::MEDIUM).await.unwrap();
}

/// OIDC Core §3.1.3.7: when `azp` is present, it must be our client id.
#[tokio::test]
async fn an_azp_that_is_not_us_is_refused() {
    for aud in [json!(CLIENT_ID), json!([CLIENT_ID])] {
        let e = with_id_token_edit(move |_, c| {
            c.insert("aud".into(), aud.clone());
            c.insert("azp".into(), json!("another-client"));
        })
        .await;
        assert_eq!(e, id(wrong_audience()));
    }
    let h = harness().await;
    h.mock.set_id_token_edit(|_, c| {
        c.insert("azp".into(), json!(CLIENT_ID));
    });
    h.login(Requirement::MEDIUM).await.unwrap();
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let (kind, e) = with_fault(Fault::IdTokenExpired, Requirement::MEDIUM).await;
    assert_eq!(kind, TokenKind::IdToken);
    assert!(matches!(e, TokenError::Expired { by } if by >= Duration::from_secs(500)), "{e:?}");
}

#[tokio::test]
async fn an_iat_far_in_the_future_is_refused() {
    let (kind, e) = with_fault(Fault::IdTokenNotYetValid, Requirement::MEDIUM).await;
    assert_eq!(kind, TokenKind::IdToken);
    assert!(matches!(e, TokenError::NotYetValid { by } if by > Duration::from_secs(80_000)), "{e:?}");
}

#[tokio::test]
async fn a_missing_or_wrong_nonce_is_refused() {
    assert_eq!(with_fault(Fault::IdTokenWrongNonce, Requirement::MEDIUM).await, id(TokenError::NonceMismatch));
    let e = with_id_token_edit(|_, c| {
        c.remove("nonce");
    })
    .await;
    assert_eq!(e, id(TokenError::MissingClaim("nonce")));
}

#[tokio::test]
async fn a_vot_lower_than_asked_is_refused() {
    assert_eq!(
        with_fault(Fault::IdTokenWrongVot, Requirement::MEDIUM).await,
        id(TokenError::LevelTooLow { required: "Cl.Cm".into(), found: "Cl".into() })
    );
}

#[tokio::test]
async fn an_id_token_without_vtm_is_refused() {
    assert_eq!(with_fault(Fault::IdTokenMissingVtm, Requirement::MEDIUM).await, id(TokenError::MissingClaim("vtm")));
}

/// The ID token's `sub` must be the userinfo's and the core identity's.
#[tokio::test]
async fn a_sub_differing_between_id_token_userinfo_and_core_identity_is_refused() {
    assert_eq!(
        with_fault(Fault::UserinfoWrongSubject, Requirement::MEDIUM).await,
        (TokenKind::Userinfo, TokenError::SubjectMismatch)
    );
    let e = with_id_token_edit(|_, c| {
        c.insert("sub".into(), json!("urn:fdc:gov.uk:2022:someone-else"));
    })
    .await;
    assert_eq!(e, (TokenKind::Userinfo, TokenError::SubjectMismatch));
    assert_eq!(
        with_fault(Fault::CoreIdentityWrongSubject, Requirement::IDENTITY_P2).await,
        core(TokenError::SubjectMismatch)
    );
}

// ---- Core identity --------------------------------------------------------------------------

#[tokio::test]
async fn a_core_identity_with_a_forged_signature_is_refused() {
    assert_eq!(
        with_fault(Fault::CoreIdentityBadSignature, Requirement::IDENTITY_P2).await,
        core(TokenError::BadSignature)
    );
}

#[tokio::test]
async fn a_core_identity_key_not_in_the_did_document_is_refused_after_one_refetch() {
    let h = harness().await;
    h.mock.set_fault(Fault::CoreIdentityUnknownKey);
    let (kind, e) = refused(&h, Requirement::IDENTITY_P2).await;
    assert_eq!(kind, TokenKind::CoreIdentity);
    assert!(
        matches!(e, TokenError::UnknownKey { ref kid } if kid.starts_with(h.mock.did()) && kid.contains("#unpublished-")),
        "{e:?}"
    );
    assert_eq!(h.mock.hits("/.well-known/did.json"), 2, "the cached document, then one refetch");
}

#[tokio::test]
async fn a_core_identity_kid_of_another_did_controller_is_refused() {
    let h = harness().await;
    h.mock.set_fault(Fault::CoreIdentityForeignController);
    assert_eq!(
        refused(&h, Requirement::IDENTITY_P2).await,
        core(TokenError::WrongController {
            expected: h.mock.did().to_owned(),
            found: "did:web:identity.evil.example".into()
        })
    );
}

#[tokio::test]
async fn a_core_identity_with_another_issuer_or_audience_is_refused() {
    let (kind, e) = with_fault(Fault::CoreIdentityWrongIssuer, Requirement::IDENTITY_P2).await;
    assert_eq!(kind, TokenKind::CoreIdentity);
    assert!(
        matches!(e, TokenError::WrongIssuer { ref found, .. } if found == "https://identity.evil.example/"),
        "{e:?}"
    );
    assert_eq!(with_fault(Fault::CoreIdentityWrongAudience, Requirement::IDENTITY_P2).await, core(wrong_audience()));
}

#[tokio::test]
async fn an_expired_core_identity_is_refused() {
    let (kind, e) = with_fault(Fault::CoreIdentityExpired, Requirement::IDENTITY_P2).await;
    assert_eq!(kind, TokenKind::CoreIdentity);
    assert!(matches!(e, TokenError::Expired { .. }), "{e:?}");
}

#[tokio::test]
async fn a_core_identity_vot_below_the_route_is_refused() {
    let h = harness().await;
    h.mock.set_identity_level(Some("P1"));
    assert_eq!(
        refused(&h, Requirement::IDENTITY_P2).await,
        core(TokenError::LevelTooLow { required: "P2".into(), found: "P1".into() })
    );
}

// ---- Logout token ---------------------------------------------------------------------------

type Edit = Box<dyn FnOnce(&mut jsonwebtoken::Header, &mut serde_json::Map<String, Value>)>;
/// A logout case: its name, the edit of a good token, and whether an error is the expected one.
type LogoutCase = (&'static str, Edit, fn(&TokenError) -> bool);

fn logout_error(r: Result<govuk_one_login::Subject, Error>) -> TokenError {
    match r {
        Err(Error::Token { kind: TokenKind::LogoutToken, source }) => source,
        other => panic!("expected a logout token error, got {other:?}"),
    }
}

/// The logout token cases of the matrix, as edits of a good token and the error each gets.
fn logout_cases() -> Vec<LogoutCase> {
    const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
    vec![
        (
            "nonce",
            Box::new(|_, c| {
                c.insert("nonce".into(), json!("n"));
            }),
            |e| *e == TokenError::NonceForbidden,
        ),
        (
            "no events",
            Box::new(|_, c| {
                c.remove("events");
            }),
            |e| *e == TokenError::BadEvents,
        ),
        (
            "empty events",
            Box::new(|_, c| {
                c.insert("events".into(), json!({}));
            }),
            |e| *e == TokenError::BadEvents,
        ),
        (
            "an extra event",
            Box::new(|_, c| {
                c.insert("events".into(), json!({ EVENT: {}, "https://schemas.example/other-event": {} }));
            }),
            |e| *e == TokenError::BadEvents,
        ),
        (
            "expired",
            Box::new(|_, c| {
                let now = c["iat"].as_i64().unwrap();
                c.insert("iat".into(), json!(now - 600));
                c.insert("exp".into(), json!(now - 480));
            }),
            |e| matches!(e, TokenError::Expired { by } if *by >= Duration::from_secs(400)),
        ),
        (
            "sid only",
            Box::new(|_, c| {
                c.remove("sub");
                c.insert("sid".into(), json!("dX5xv0XgHh6yfD1xy-ss_1EDK0I"));
            }),
            |e| *e == TokenError::MissingClaim("sub"),
        ),
    ]
}

/// Each refused token gets 400 from the route's engine call and leaves the session alone.
#[tokio::test]
async fn hostile_logout_tokens_are_refused() {
    let h = harness().await;
    let out = h.login(Requirement::MEDIUM).await.unwrap();
    let sub = out.session.subject().as_str().to_owned();
    for (name, edit, expected) in logout_cases() {
        let error = h.ol.backchannel_logout(&h.mock.logout_token_with(&sub, edit)).await.unwrap_err();
        assert_eq!(error.http_status(), 400, "{name}");
        let Error::Token { kind: TokenKind::LogoutToken, source } = &error else { panic!("{name}: {error:?}") };
        assert!(expected(source), "{name}: got {source:?}");
        assert!(h.ol.session(&out.session_id.to_cookie_value()).await.unwrap().is_some(), "{name}");
    }
    // The same token unspoilt is accepted, so each case above fails for its edit alone.
    assert_eq!(h.ol.backchannel_logout(&h.mock.logout_token(&sub)).await.unwrap(), 1);
}

#[tokio::test]
async fn a_replayed_logout_jti_is_refused() {
    let h = harness().await;
    let out = h.login(Requirement::MEDIUM).await.unwrap();
    let token = h.mock.logout_token(out.session.subject().as_str());
    assert_eq!(h.ol.backchannel_logout(&token).await.unwrap(), 1);
    assert_eq!(logout_error(h.ol.verify_logout_token(&token).await), TokenError::Replayed);
    let err = h.ol.backchannel_logout(&token).await.unwrap_err();
    assert!(matches!(err, Error::Token { kind: TokenKind::LogoutToken, source: TokenError::Replayed }), "{err:?}");
    assert_eq!(err.http_status(), 400);
}

// ---- Callback -------------------------------------------------------------------------------

/// Starts a login and passes the stand-in: the parameters it sends back and the flow cookie.
async fn started(h: &Harness) -> (CallbackParams, String) {
    let start = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    (authorize(&start.url).await, start.flow_cookie)
}

fn callback_error(r: Result<LoginOutcome, Error>) -> CallbackError {
    match r {
        Err(Error::Callback(e)) => e,
        other => panic!("expected a callback error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_callback_without_state_or_with_an_unknown_state_is_refused() {
    let h = harness().await;
    let (mut params, flow) = started(&h).await;
    let state = params.state.take();
    let e = callback_error(h.ol.complete_login(params.clone(), Some(&flow), None).await);
    assert_eq!(e, CallbackError::MissingState);
    params.state = Some("forged-state".into());
    let e = callback_error(h.ol.complete_login(params.clone(), Some(&flow), None).await);
    assert_eq!(e, CallbackError::UnknownState);
    // The real state is still pending: neither attempt consumed it.
    params.state = state;
    h.ol.complete_login(params, Some(&flow), None).await.unwrap();
}

#[tokio::test]
async fn a_reused_state_is_refused() {
    let h = harness().await;
    let (params, flow) = started(&h).await;
    h.ol.complete_login(params.clone(), Some(&flow), None).await.unwrap();
    let err = h.ol.complete_login(params, Some(&flow), None).await.unwrap_err();
    assert!(matches!(err, Error::Callback(CallbackError::UnknownState)), "{err:?}");
    assert_eq!(err.http_status(), 400);
}

/// A code already exchanged, brought back with a fresh state: One Login refuses it.
#[tokio::test]
async fn a_reused_code_is_refused() {
    let h = harness().await;
    let (first, flow) = started(&h).await;
    h.ol.complete_login(first.clone(), Some(&flow), None).await.unwrap();
    let (mut second, flow) = started(&h).await;
    second.code = first.code;
    let err = h.ol.complete_login(second, Some(&flow), None).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::TokenRequestRejected { ref error, .. }) if error == "invalid_grant"),
        "{err:?}"
    );
    assert_eq!(err.http_status(), 502);
}

#[tokio::test]
async fn an_error_with_an_unexpected_value_is_typed_and_bounded() {
    let h = harness().await;
    for (value, code) in [
        ("interaction_required", OpErrorCode::Other("interaction_required".into())),
        ("<script>alert(1)</script>\r\nX-Forged: 1", OpErrorCode::Other("<script>alert(1)</script>X-Forged:1".into())),
        (&*"e".repeat(1000), OpErrorCode::Other("e".repeat(64))),
        ("", OpErrorCode::Other(String::new())),
    ] {
        let (mut params, flow) = started(&h).await;
        params.code = None;
        params.error = Some(value.to_owned());
        params.error_description = Some("description\nforged".into());
        let err = h.ol.complete_login(params, Some(&flow), None).await.unwrap_err();
        match &err {
            Error::Callback(CallbackError::OneLogin { code: c, description }) => {
                assert_eq!(*c, code, "{value:.20}");
                assert!(!description.as_deref().unwrap_or_default().contains('\n'), "{description:?}");
            }
            other => panic!("{value:.20}: {other:?}"),
        }
        assert_eq!(err.http_status(), 502, "{value:.20}");
    }
}

#[tokio::test]
async fn callback_parameters_of_100_kb_are_refused() {
    let h = harness().await;
    let big = "A".repeat(100 * 1024);
    let (params, flow) = started(&h).await;
    for param in ["state", "code", "error", "error_description"] {
        let mut p = params.clone();
        let slot = match param {
            "state" => &mut p.state,
            "code" => &mut p.code,
            "error" => &mut p.error,
            _ => &mut p.error_description,
        };
        *slot = Some(big.clone());
        let e = callback_error(h.ol.complete_login(p, Some(&flow), None).await);
        assert_eq!(e, CallbackError::TooLong { param }, "{param}");
    }
    // The whole query parsed from 100 KB too.
    let e = callback_error(h.ol.complete_login(CallbackParams::from_query(&format!("state={big}")), None, None).await);
    assert_eq!(e, CallbackError::TooLong { param: "state" });
    // Nothing was consumed: the login still completes.
    h.ol.complete_login(params, Some(&flow), None).await.unwrap();
}

// ---- Discovery ------------------------------------------------------------------------------

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let mock = MockProvider::start().await;
    // Same server, but the issuer string differs by the trailing slash.
    let issuer = mock.issuer().trim_end_matches('/').to_owned();
    let config = Config::builder(Environment::Custom { issuer })
        .client_id(CLIENT_ID)
        .redirect_uri(REDIRECT_URI)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let ol = OneLogin::new(config).unwrap();
    let err = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::IssuerMismatch { .. })), "{err:?}");

    let h = harness().await;
    h.mock.set_discovery_edit(|d| {
        d.insert("issuer".into(), json!("https://evil.example/"));
    });
    let err = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::IssuerMismatch { ref found, .. }) if found == "https://evil.example/"),
        "{err:?}"
    );
    assert_eq!(err.http_status(), 502);
}

/// One Login serves every endpoint from its own origin; a discovery document sending any of
/// them elsewhere is refused, and nothing is sent there.
#[tokio::test]
async fn discovery_endpoints_on_another_host_are_refused() {
    for field in ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"] {
        let tripwire = Tripwire::start().await;
        let h = harness().await;
        let elsewhere = tripwire.url("/elsewhere");
        h.mock.set_discovery_edit(move |d| {
            d.insert(field.into(), json!(elsewhere));
        });
        let err = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
        assert!(
            matches!(err, Error::Provider(ProviderError::InvalidResponse { endpoint: Endpoint::Discovery, ref reason }) if reason.contains(field)),
            "{field}: {err:?}"
        );
        assert_eq!(err.http_status(), 502);
        assert_eq!(tripwire.hits(), 0, "{field}");
    }
    // Another host name for the same address is another host too.
    let h = harness().await;
    let other = format!("http://localhost:{}/token", h.mock.addr().port());
    h.mock.set_discovery_edit(move |d| {
        d.insert("token_endpoint".into(), json!(other));
    });
    let err = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::InvalidResponse { endpoint: Endpoint::Discovery, .. })));
}

/// A token endpoint that redirects is an error; the redirect is never followed.
#[tokio::test]
async fn a_token_endpoint_that_redirects_is_refused_and_not_followed() {
    let tripwire = Tripwire::start().await;
    for status in [302, 307, 308] {
        let h = harness().await;
        h.mock.set_token_redirect(Some((status, &tripwire.url("/token"))));
        let err = h.login(Requirement::MEDIUM).await.unwrap_err();
        assert!(
            matches!(err, Error::Provider(ProviderError::Status { endpoint: Endpoint::Token, status: s }) if s == status),
            "{status}: {err:?}"
        );
        assert_eq!(err.http_status(), 502);
    }
    assert_eq!(tripwire.hits(), 0, "never followed");
}
