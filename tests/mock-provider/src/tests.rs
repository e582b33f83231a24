//! The stand-in's own checks: a lenient stand-in would make the relying-party tests prove less.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::{CLIENT_ID, MockProvider, keys, tokens};

mod events;

const REDIRECT: &str = "http://127.0.0.1:9/cb";

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).user_agent("mock-tests").build().unwrap()
}

fn assertion(mock: &MockProvider, key_pem: &str) -> String {
    let now = tokens::now();
    let claims = json!({"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": format!("{}token", mock.issuer()), "iat": now, "exp": now + 300, "jti": tokens::random(16)});
    jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &claims,
        &EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// The stand-in's /authorize URL for the test client, with `extra` parameters after the usual.
fn authorize_url(mock: &MockProvider, extra: &[(&str, &str)]) -> url::Url {
    let mut url = url::Url::parse(&format!("{}authorize", mock.issuer())).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", "s")
        .append_pair("nonce", "n")
        .extend_pairs(extra);
    url
}

/// Runs /authorize with PKCE for `verifier`; returns the code.
async fn code(mock: &MockProvider, verifier: &str) -> String {
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()));
    let url = authorize_url(mock, &[("code_challenge", &challenge), ("code_challenge_method", "S256")]);
    let r = client().get(url.as_str()).send().await.unwrap();
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    loc.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned()
}

async fn token(mock: &MockProvider, form: &[(&str, &str)]) -> (u16, Value) {
    let r = client().post(format!("{}token", mock.issuer())).form(form).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn form<'a>(code: &'a str, assertion: &'a str, verifier: &'a str, redirect: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion),
        ("code_verifier", verifier),
    ]
}

#[tokio::test]
async fn token_endpoint_checks_like_one_login() {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT);
    let verifier = "v".repeat(43);
    let good = assertion(&mock, keys::RP_PRIVATE_KEY_PEM);

    let c = code(&mock, &verifier).await;
    let (status, body) = token(&mock, &form(&c, &good, &verifier, REDIRECT)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id_token"].as_str().unwrap().starts_with("eyJ"));
    let (_, again) = token(&mock, &form(&c, &good, &verifier, REDIRECT)).await;
    assert_eq!(again["error"], "invalid_grant", "codes are single use");

    let c = code(&mock, &verifier).await;
    assert_eq!(token(&mock, &form(&c, &good, &"w".repeat(43), REDIRECT)).await.1["error"], "invalid_grant", "PKCE");
    let c = code(&mock, &verifier).await;
    assert_eq!(
        token(&mock, &form(&c, &good, &verifier, "http://127.0.0.1:9/other")).await.1["error"],
        "invalid_grant",
        "redirect URI"
    );
    let c = code(&mock, &verifier).await;
    let forged = assertion(&mock, keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM);
    assert_eq!(
        token(&mock, &form(&c, &forged, &verifier, REDIRECT)).await.1["error"],
        "invalid_client",
        "assertion signature"
    );

    let no_ua =
        reqwest::Client::new().post(format!("{}token", mock.issuer())).header("user-agent", "").send().await.unwrap();
    assert_eq!(no_ua.status(), 403, "no User-Agent, no answer");
}

#[tokio::test]
async fn unregistered_redirect_uris_get_an_error_page_not_a_redirect() {
    let mock = MockProvider::start().await;
    let url = format!(
        "{}authorize?response_type=code&scope=openid&client_id={CLIENT_ID}&redirect_uri=https://evil.example/&state=s&nonce=n",
        mock.issuer()
    );
    let r = client().get(url).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn the_sign_in_page_offers_users_and_outcomes_and_speaks_welsh() {
    let mock = MockProvider::start().await;
    mock.set_auto_approve(false);
    mock.register_redirect_uri(REDIRECT);
    let authorize =
        |ui_locales: &'static str| authorize_url(&mock, &[("vtr", "[\"Cl.Cm.P2\"]"), ("ui_locales", ui_locales)]);
    let page = client().get(authorize("cy en").as_str()).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<html lang=\"cy\""), "{page}");
    assert!(page.contains("Mewngofnodi i&#39;r gwasanaeth") && page.contains(">Parhau</button>"));
    for needle in [
        "name=\"user\" type=\"radio\" value=\"1\"",
        "name=\"user\" type=\"radio\" value=\"2\"",
        "Kenneth Decerqueira",
        "Siân Williams",
        "name=\"level\" type=\"radio\" value=\"pass\"",
        "name=\"level\" type=\"radio\" value=\"fail\"",
        "name=\"decision\" value=\"approve\"",
        "name=\"decision\" value=\"cancel\"",
        "<legend",
        "<label class=\"govuk-label govuk-radios__label\" for=\"user-2\">",
    ] {
        assert!(page.contains(needle), "{needle}: {page}");
    }
    let english = client().get(authorize("en").as_str()).send().await.unwrap().text().await.unwrap();
    assert!(english.contains("<html lang=\"en\"") && english.contains(">Continue</button>"));
    let css = client().get(format!("{}assets/govuk-frontend.min.css", mock.issuer())).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

    // The chosen user is the one signed in.
    let code = decide(&mock, &english, &[("user", "2"), ("level", "pass")]).await;
    let user = mock.shared.lock().codes[&code].user.clone();
    assert_eq!(user.email, "sian.williams@example.com");
    assert_eq!(mock.shared.lock().codes[&code].proven_at, None, "proven at the level asked for");

    // The level of confidence: the one asked for is checked; another chosen is the one proven.
    assert!(
        english.contains(
            "name=\"confidence\" type=\"radio\" value=\"P2\" aria-describedby=\"confidence-P2-hint\" checked"
        ),
        "{english}"
    );
    for level in ["P1", "P3"] {
        assert!(english.contains(&format!("name=\"confidence\" type=\"radio\" value=\"{level}\">")), "{level}");
    }
    let page = client().get(authorize("en").as_str()).send().await.unwrap().text().await.unwrap();
    let code = decide(&mock, &page, &[("level", "pass"), ("confidence", "P1")]).await;
    assert_eq!(mock.shared.lock().codes[&code].proven_at.as_deref(), Some("P1"));
}

/// Posts the sign-in page's form, approved with `choices`, and gives the code it was answered
/// with.
async fn decide(mock: &MockProvider, page: &str, choices: &[(&str, &str)]) -> String {
    let id = page.split("name=\"id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let mut form = vec![("id", id.as_str()), ("decision", "approve")];
    form.extend_from_slice(choices);
    let r = client().post(format!("{}authorize/decision", mock.issuer())).form(&form).send().await.unwrap();
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    loc.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned()
}
