use govuk_one_login::error::{CallbackError, OpErrorCode};
use govuk_one_login::web::{Locale, ProblemKind, RequestInfo, SessionContext, SessionHandle};
use govuk_one_login::{Config, Environment, Error, OneLogin};

use super::*;

fn engine() -> OneLogin {
    let config = Config::builder(Environment::Custom { issuer: "http://127.0.0.1:9/".into() })
        .client_id("demo")
        .redirect_uri("http://127.0.0.1:8080/auth/callback")
        .signing_key_pem(govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let pages = GovukPages::new(&config);
    OneLogin::builder(config).pages(pages).build().unwrap()
}

fn handle(locale: Option<Locale>) -> SessionHandle {
    SessionHandle::new(engine(), SessionContext::default(), &RequestInfo::new("GET", "/").lang(locale))
}

fn title_of(html: &str) -> &str {
    let start = html.find("<title>").unwrap() + 7;
    &html[start..start + html[start..].find("</title>").unwrap()]
}

/// minijinja's HTML escaping writes `/` as `&#x2f;` too (which browsers read back as `/`).
fn decoded(html: &str) -> String {
    html.replace("&#x2f;", "/")
}

fn h1_count(html: &str) -> usize {
    html.matches("<h1").count()
}

#[test]
fn the_start_and_signed_out_pages_in_english_and_welsh() {
    let en = decoded(&home(&handle(None)));
    assert!(en.starts_with("<!DOCTYPE html>\n<html lang=\"en\" class=\"govuk-template\">"), "{en}");
    assert_eq!(title_of(&en), "Try signing in with GOV.UK One Login – One Login demo – GOV.UK");
    assert!(
        en.contains("govuk-button--start") && en.contains("href=\"/auth/login?level=Cl.Cm&amp;return_to=%2Faccount\"")
    );
    assert!(en.contains(
        "<a class=\"govuk-link\" href=\"/?lang=cy\" hreflang=\"cy\" lang=\"cy\" rel=\"alternate\">Cymraeg</a>"
    ));
    assert!(en.contains("id=\"main-content\"") && en.contains("govuk-skip-link") && en.contains("govuk-footer"));
    assert!(!en.contains("one-login-header__form"), "no sign-out form without a session");
    assert_eq!(h1_count(&en), 1);
    let cy = decoded(&home(&handle(Some(Locale::Cy))));
    assert!(cy.contains("<html lang=\"cy\""));
    assert!(title_of(&cy).starts_with("Rhowch gynnig ar fewngofnodi"));
    assert!(cy.contains("hreflang=\"en\"") && cy.contains(">English</a>") && cy.contains("Dechrau nawr"));
    let out = decoded(&signed_out(&handle(Some(Locale::Cy))));
    assert!(title_of(&out).starts_with("Rydych wedi allgofnodi"));
    assert!(out.contains("href=\"/signed-out?lang=en\""));
}

#[test]
fn every_problem_is_a_govuk_page_in_both_languages() {
    let ol = engine();
    for &kind in ProblemKind::ALL {
        let (en, _) = texts::problem(kind, Locale::En);
        let (cy, _) = texts::problem(kind, Locale::Cy);
        assert_ne!(en, cy, "{kind:?} has Welsh");
    }
    let cancelled = Error::Callback(CallbackError::OneLogin { code: OpErrorCode::AccessDenied, description: None });
    let page = ol.error_response(&cancelled, &RequestInfo::new("GET", "/auth/callback"));
    assert!(page.body.contains("<html lang=\"en\""));
    assert_eq!(title_of(&page.body), "You did not finish signing in – One Login demo – GOV.UK");
    assert!(page.body.contains("href=\"?lang=cy\" hreflang=\"cy\""), "a core page keeps its path");
    let page = ol.error_response(&cancelled, &RequestInfo::new("GET", "/").accept_language(Some("cy")));
    assert_eq!(title_of(&page.body), "Ni wnaethoch orffen mewngofnodi – Demo One Login – GOV.UK");
    let broken = Error::Callback(CallbackError::OneLogin { code: OpErrorCode::InvalidRequest, description: None });
    let page = ol.error_response(&broken, &RequestInfo::new("GET", "/").lang(Some(Locale::Cy)));
    assert!(
        page.body
            .contains("<h1 class=\"govuk-heading-l\">Mae&#x27;n ddrwg gennym, mae problem gyda&#x27;r gwasanaeth</h1>")
            || page.body.contains("Mae&#39;n ddrwg gennym, mae problem gyda&#39;r gwasanaeth"),
        "{}",
        page.body
    );
    assert_eq!(h1_count(&page.body), 1);
}

#[test]
fn values_are_escaped() {
    let html = decoded(&render(
        "problem.html",
        &Frame {
            locale: Locale::En,
            title: "<script>alert(1)</script>",
            path: Some("/x\"><script>"),
            current: None,
            sign_out: Some(SignOut { action: "/auth/logout", field: "csrf_token", token: "\"><b>" }),
            account_home: "/account",
        },
        context! { paragraphs => ["<i>x</i>"], retry => "/a?b=1&c=2" },
    ));
    assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(!html.contains("<i>x</i>") && !html.contains("\"><b>") && !html.contains("/x\"><script>"));
    assert!(html.contains("href=\"/a?b=1&amp;c=2\""));
    assert!(html.contains("<button type=\"submit\" class=\"one-login-header__button\">Sign out</button>"));
}

#[test]
fn the_account_link_follows_the_environment() {
    let config = |env| {
        Config::builder(env)
            .client_id("demo")
            .redirect_uri("https://service.example/auth/callback")
            .signing_key_pem(govuk_one_login_mock::keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM)
            .unwrap()
            .build()
            .unwrap()
    };
    assert_eq!(account_home(&config(Environment::Integration)), "https://home.integration.account.gov.uk/");
    assert_eq!(account_home(&config(Environment::Production)), "https://home.account.gov.uk/");
    assert_eq!(account_home(engine().config()), "/account");
}

/// Inside `<script>`, HTML entities are not decoded: the module's URL must come out as a JSON
/// string, not HTML-escaped, or GOV.UK Frontend's JavaScript never loads.
#[test]
fn the_frontend_script_imports_its_module_by_a_plain_url() {
    let html = home(&handle(None));
    let script = html.split("<script type=\"module\">").nth(1).unwrap().split("</script>").next().unwrap();
    assert!(script.starts_with("import { initAll } from \"/assets/govuk-frontend.min.js?v="), "{script}");
    assert!(!script.contains("&#x2f;"), "{script}");
}
