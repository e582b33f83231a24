use std::time::Duration;

use govuk_one_login::error::{Endpoint, ProviderError, TokenError, TokenKind};
use govuk_one_login::{Error, Requirement};
use govuk_one_login_mock::Fault;

use crate::*;

async fn token_error(fault: Fault, requirement: Requirement) -> (TokenKind, TokenError) {
    let h = harness().await;
    h.mock.set_fault(fault);
    match h.login(requirement).await.unwrap_err() {
        Error::Token { kind, source } => (kind, source),
        other => panic!("{fault:?}: expected a token error, got {other:?}"),
    }
}

#[tokio::test]
async fn id_token_bad_signature() {
    assert_eq!(
        token_error(Fault::IdTokenBadSignature, Requirement::MEDIUM).await,
        (TokenKind::IdToken, TokenError::BadSignature)
    );
}

#[tokio::test]
async fn id_token_wrong_issuer() {
    let (kind, e) = token_error(Fault::IdTokenWrongIssuer, Requirement::MEDIUM).await;
    assert_eq!(kind, TokenKind::IdToken);
    assert!(matches!(e, TokenError::WrongIssuer { ref found, .. } if found == "https://evil.example/"), "{e:?}");
}

#[tokio::test]
async fn id_token_wrong_audience() {
    assert_eq!(
        token_error(Fault::IdTokenWrongAudience, Requirement::MEDIUM).await,
        (TokenKind::IdToken, TokenError::WrongAudience { expected: CLIENT_ID.into() })
    );
}

#[tokio::test]
async fn id_token_expired() {
    let (kind, e) = token_error(Fault::IdTokenExpired, Requirement::MEDIUM).await;
    assert_eq!(kind, TokenKind::IdToken);
    assert!(matches!(e, TokenError::Expired { by } if by >= Duration::from_secs(500)), "{e:?}");
}

#[tokio::test]
async fn id_token_not_yet_valid() {
    let (kind, e) = token_error(Fault::IdTokenNotYetValid, Requirement::MEDIUM).await;
    assert_eq!(kind, TokenKind::IdToken);
    assert!(matches!(e, TokenError::NotYetValid { by } if by > Duration::from_secs(80_000)), "{e:?}");
}

#[tokio::test]
async fn id_token_wrong_nonce() {
    assert_eq!(
        token_error(Fault::IdTokenWrongNonce, Requirement::MEDIUM).await,
        (TokenKind::IdToken, TokenError::NonceMismatch)
    );
}

#[tokio::test]
async fn id_token_wrong_vot() {
    assert_eq!(
        token_error(Fault::IdTokenWrongVot, Requirement::MEDIUM).await,
        (TokenKind::IdToken, TokenError::LevelTooLow { required: "Cl.Cm".into(), found: "Cl".into() })
    );
}

#[tokio::test]
async fn id_token_missing_vtm() {
    assert_eq!(
        token_error(Fault::IdTokenMissingVtm, Requirement::MEDIUM).await,
        (TokenKind::IdToken, TokenError::MissingClaim("vtm"))
    );
}

#[tokio::test]
async fn core_identity_wrong_subject() {
    assert_eq!(
        token_error(Fault::CoreIdentityWrongSubject, Requirement::IDENTITY_P2).await,
        (TokenKind::CoreIdentity, TokenError::SubjectMismatch)
    );
}

#[tokio::test]
async fn core_identity_wrong_audience() {
    assert_eq!(
        token_error(Fault::CoreIdentityWrongAudience, Requirement::IDENTITY_P2).await,
        (TokenKind::CoreIdentity, TokenError::WrongAudience { expected: CLIENT_ID.into() })
    );
}

#[tokio::test]
async fn core_identity_wrong_issuer() {
    let (kind, e) = token_error(Fault::CoreIdentityWrongIssuer, Requirement::IDENTITY_P2).await;
    assert_eq!(kind, TokenKind::CoreIdentity);
    assert!(
        matches!(e, TokenError::WrongIssuer { ref found, .. } if found == "https://identity.evil.example/"),
        "{e:?}"
    );
}

#[tokio::test]
async fn core_identity_bad_signature() {
    assert_eq!(
        token_error(Fault::CoreIdentityBadSignature, Requirement::IDENTITY_P2).await,
        (TokenKind::CoreIdentity, TokenError::BadSignature)
    );
}

#[tokio::test]
async fn core_identity_expired() {
    let (kind, e) = token_error(Fault::CoreIdentityExpired, Requirement::IDENTITY_P2).await;
    assert_eq!(kind, TokenKind::CoreIdentity);
    assert!(matches!(e, TokenError::Expired { .. }), "{e:?}");
}

#[tokio::test]
async fn userinfo_for_another_subject() {
    assert_eq!(
        token_error(Fault::UserinfoWrongSubject, Requirement::MEDIUM).await,
        (TokenKind::Userinfo, TokenError::SubjectMismatch)
    );
}

#[tokio::test]
async fn rs256_id_tokens_are_refused_when_es256_is_pinned_and_accepted_when_configured() {
    let (kind, e) = {
        let h = harness().await;
        h.mock.set_id_token_alg_rs256(true);
        match h.login(Requirement::MEDIUM).await.unwrap_err() {
            Error::Token { kind, source } => (kind, source),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        (kind, e),
        (TokenKind::IdToken, TokenError::AlgorithmNotAllowed { expected: "ES256", found: "RS256".into() })
    );

    let h = harness_with(|b| b.id_token_alg(govuk_one_login::IdTokenAlgorithm::Rs256)).await;
    h.mock.set_id_token_alg_rs256(true);
    h.login(Requirement::MEDIUM).await.unwrap();
    h.mock.set_id_token_alg_rs256(false);
    let err = h.login(Requirement::MEDIUM).await.unwrap_err();
    assert!(matches!(err, Error::Token { source: TokenError::AlgorithmNotAllowed { expected: "RS256", .. }, .. }));
}

#[tokio::test]
async fn rotated_signing_key_is_fetched_once_on_the_unknown_kid() {
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
async fn slow_endpoint_times_out_with_a_typed_error() {
    let h = harness().await;
    h.mock.set_delay("/token", Duration::from_secs(4));
    let err = h.login(Requirement::MEDIUM).await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::Timeout { endpoint: Endpoint::Token })), "{err:?}");
    assert_eq!(err.http_status(), 503);
}

#[tokio::test]
async fn down_endpoints_give_typed_errors() {
    let h = harness().await;
    h.mock.set_down("/token", true);
    let err = h.login(Requirement::MEDIUM).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::Status { endpoint: Endpoint::Token, status: 503 })),
        "{err:?}"
    );
    assert_eq!(err.http_status(), 503);

    let h = harness().await;
    h.mock.set_down("*", true);
    let err = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::Status { endpoint: Endpoint::Discovery, status: 503 })),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_a_typed_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = Config::builder(Environment::Custom { issuer: format!("http://127.0.0.1:{port}/") })
        .client_id(CLIENT_ID)
        .redirect_uri(REDIRECT_URI)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let ol = OneLogin::new(config).unwrap();
    let err = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::Unreachable { endpoint: Endpoint::Discovery, .. })),
        "{err:?}"
    );
    assert_eq!(err.http_status(), 502);
}
