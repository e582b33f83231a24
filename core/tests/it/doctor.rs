//! The preflight doctor against the stand-in: a good configuration passes, and each
//! misconfiguration it knows is set up and named, with its fix.

use std::time::Duration;

use govuk_one_login::clock::OffsetClock;
use govuk_one_login::doctor::{Cause, Check, Finding, Report, Severity};
use govuk_one_login::{Config, ConfigBuilder, Environment, OneLogin};
use govuk_one_login_mock::{MockProvider, keys};
use serde_json::{Value, json};

use crate::{POST_LOGOUT_URI, REDIRECT_URI, config_for};

async fn mock() -> MockProvider {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    mock.register_post_logout_redirect_uri(POST_LOGOUT_URI);
    mock
}

fn engine(config: ConfigBuilder) -> OneLogin {
    OneLogin::new(config.signing_key_pem(keys::RP_PRIVATE_KEY_PEM).unwrap().build().unwrap()).unwrap()
}

/// The causes of the report's problems, in order.
fn causes(report: &Report) -> Vec<Cause> {
    report.findings().iter().filter_map(Finding::cause).collect()
}

/// Serves `body` as JSON on a loopback port; returns its URL.
async fn serve_json(body: Value) -> String {
    crate::serve_json(std::sync::Arc::new(std::sync::Mutex::new(body.to_string()))).await
}

#[tokio::test]
async fn a_good_configuration_passes_every_check() {
    let mock = mock().await;
    let ol = engine(config_for(&mock));
    let report = ol.doctor().service_url("http://127.0.0.1:9/").run().await;
    assert!(report.is_ok(), "{report}");
    assert_eq!(causes(&report), [Cause::RedirectUriPlainHttp], "{report}");
    assert_eq!(report.worst(), Severity::Warning);
    for check in [Check::Discovery, Check::Algorithms, Check::ProviderKeys, Check::DidDocument, Check::Clock] {
        let finding = report.findings().iter().find(|f| f.check() == check).unwrap_or_else(|| panic!("{check:?}"));
        assert_eq!(finding.severity(), Severity::Pass, "{finding}");
    }
    let text = report.to_string();
    assert!(text.contains("[warning] redirect URI"), "{text}");
    assert!(text.contains(Cause::RedirectUriPlainHttp.fix()), "{text}");
}

#[tokio::test]
async fn another_issuer_in_discovery_is_named_with_both_issuers() {
    let mock = mock().await;
    let theirs = mock.issuer().replace("127.0.0.1", "localhost");
    let named = theirs.clone();
    mock.set_discovery_edit(move |d| {
        d.insert("issuer".into(), json!(named));
    });
    let report = engine(config_for(&mock)).doctor().run().await;
    assert!(!report.is_ok());
    let finding = report.find(Cause::IssuerMismatch).expect("an issuer mismatch");
    assert_eq!(finding.severity(), Severity::Error);
    assert!(finding.detail().contains(&theirs) && finding.detail().contains(mock.issuer()), "{finding}");
    assert!(finding.fix().unwrap().contains("ONE_LOGIN_ISSUER"));
}

#[tokio::test]
async fn a_wrong_port_is_an_unreachable_discovery() {
    let mock = mock().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config = Config::builder(Environment::Custom { issuer: format!("http://{closed}/") })
        .client_id(govuk_one_login_mock::CLIENT_ID)
        .redirect_uri(REDIRECT_URI)
        .http_timeout(Duration::from_secs(2));
    let report = engine(config).doctor().run().await;
    assert_eq!(report.find(Cause::DiscoveryUnreachable).map(Finding::severity), Some(Severity::Error), "{report}");
    assert!(report.find(Cause::DiscoveryUnreachable).unwrap().detail().contains(&closed.to_string()));
    drop(mock);
}

#[tokio::test]
async fn algorithms_and_methods_the_provider_does_not_offer_are_named() {
    let cases: [(&str, Value, Cause, Severity); 6] = [
        ("id_token_signing_alg_values_supported", json!(["RS256"]), Cause::IdTokenAlgorithmNotOffered, Severity::Error),
        (
            "token_endpoint_auth_methods_supported",
            json!(["client_secret_basic"]),
            Cause::ClientAuthenticationNotOffered,
            Severity::Error,
        ),
        (
            "token_endpoint_auth_signing_alg_values_supported",
            json!(["ES256"]),
            Cause::ClientSigningAlgorithmNotOffered,
            Severity::Error,
        ),
        ("code_challenge_methods_supported", json!(["plain"]), Cause::PkceNotOffered, Severity::Error),
        ("request_parameter_supported", json!(false), Cause::RequestObjectsNotOffered, Severity::Error),
        ("end_session_endpoint", Value::Null, Cause::EndSessionNotOffered, Severity::Warning),
    ];
    for (field, value, cause, severity) in cases {
        let mock = mock().await;
        mock.set_discovery_edit(move |d| {
            if value.is_null() {
                d.remove(field);
            } else {
                d.insert(field.into(), value.clone());
            }
        });
        let report = engine(config_for(&mock)).doctor().run().await;
        let finding = report.find(cause).unwrap_or_else(|| panic!("{field}: {report}"));
        assert_eq!(finding.severity(), severity, "{finding}");
        assert_eq!(finding.check(), Check::Algorithms);
        assert!(finding.detail().contains(field), "{finding}");
    }
}

#[tokio::test]
async fn request_objects_off_need_no_request_object_algorithm() {
    let mock = mock().await;
    mock.set_discovery_edit(|d| {
        d.insert("request_object_signing_alg_values_supported".into(), json!(["ES256"]));
    });
    let on = engine(config_for(&mock)).doctor().run().await;
    assert!(on.find(Cause::RequestObjectsNotOffered).is_some(), "{on}");
    let off = engine(config_for(&mock).request_objects(false)).doctor().run().await;
    assert!(off.find(Cause::RequestObjectsNotOffered).is_none(), "{off}");
}

#[tokio::test]
async fn provider_keys_and_the_did_document_unreachable_are_named() {
    let mock = mock().await;
    mock.set_down("/.well-known/jwks.json", true);
    mock.set_down("/.well-known/did.json", true);
    let report = engine(config_for(&mock)).doctor().run().await;
    assert_eq!(report.find(Cause::ProviderKeysUnavailable).map(Finding::severity), Some(Severity::Error), "{report}");
    // Only identity sign-ins need the DID document: a warning.
    assert_eq!(report.find(Cause::DidDocumentUnavailable).map(Finding::severity), Some(Severity::Warning), "{report}");
}

#[tokio::test]
async fn a_skewed_clock_is_estimated_from_the_date_header() {
    let mock = mock().await;
    let skewed = |secs: i64| {
        let config = config_for(&mock).clock_skew(Duration::from_secs(60));
        let config = config.signing_key_pem(keys::RP_PRIVATE_KEY_PEM).unwrap().build().unwrap();
        OneLogin::builder(config).clock(OffsetClock::new(time::Duration::seconds(secs))).build().unwrap()
    };
    let ahead = skewed(300).doctor().run().await;
    let finding = ahead.find(Cause::ClockSkew).unwrap_or_else(|| panic!("{ahead}"));
    assert_eq!(finding.severity(), Severity::Error);
    assert!(finding.detail().contains("ahead of"), "{finding}");
    let behind = skewed(-45).doctor().run().await;
    let finding = behind.find(Cause::ClockSkew).unwrap_or_else(|| panic!("{behind}"));
    assert_eq!(finding.severity(), Severity::Warning, "over half the allowance");
    assert!(finding.detail().contains("about 4"), "{finding}");
    let close = skewed(0).doctor().run().await;
    assert!(close.find(Cause::ClockSkew).is_none(), "{close}");
}

#[tokio::test]
async fn the_published_key_set_must_hold_the_signing_key_under_its_kid() {
    let mock = mock().await;
    let ol = engine(config_for(&mock).key_id("rp-key-1"));
    let good = serve_json(ol.config().public_jwks()).await;
    let report = ol.doctor().published_keys(&good).run().await;
    let finding = report.findings().iter().find(|f| f.check() == Check::PublishedKeys).unwrap();
    assert_eq!(finding.severity(), Severity::Pass, "{report}");

    let mut renamed = ol.config().public_jwks();
    renamed["keys"][0]["kid"] = json!("another-kid");
    let report = ol.doctor().published_keys(serve_json(renamed).await).run().await;
    let finding = report.find(Cause::KeyIdMismatch).unwrap_or_else(|| panic!("{report}"));
    assert!(finding.detail().contains("another-kid") && finding.detail().contains("rp-key-1"), "{finding}");

    let other = config_for(&mock).signing_key_pem(keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM).unwrap().build().unwrap();
    let stranger = other.public_jwks();
    let report = ol.doctor().published_keys(serve_json(stranger).await).run().await;
    assert_eq!(report.find(Cause::SigningKeyNotPublished).map(Finding::severity), Some(Severity::Error), "{report}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let report = ol.doctor().published_keys(format!("http://{closed}/jwks.json")).run().await;
    assert_eq!(report.find(Cause::PublishedKeysUnreachable).map(Finding::severity), Some(Severity::Error), "{report}");
}

#[tokio::test]
async fn a_service_opened_on_another_origin_than_its_redirect_uri_is_named() {
    let mock = mock().await;
    let ol = engine(config_for(&mock));
    let report = ol.doctor().service_url("http://localhost:9/").run().await;
    let finding = report.find(Cause::RedirectUriOtherOrigin).unwrap_or_else(|| panic!("{report}"));
    assert_eq!(finding.severity(), Severity::Error);
    assert!(
        finding.detail().contains("http://localhost:9") && finding.detail().contains("http://127.0.0.1:9"),
        "{finding}"
    );
    assert!(!ol.doctor().service_url("not a url").run().await.is_ok());
}
