//! The stand-in's pages, in the GOV.UK style (GOV.UK Frontend's CSS, the demos' vendored copy,
//! served at `/assets/govuk-frontend.min.css`): the sign-in page a person sees when
//! auto-approve is off (choose a test user, the identity check's outcome, Continue or Cancel),
//! in English or in Welsh when the client's `ui_locales` starts with `cy`, and its error pages.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::TestUser;

/// GOV.UK Frontend's compiled CSS, from the copy the demos vendor (MIT; its licence is beside
/// it in `examples/demo-support/assets/govuk-frontend/LICENSE.txt`).
const GOVUK_CSS: &[u8] = include_bytes!("../../../examples/demo-support/assets/govuk-frontend/govuk-frontend.min.css");

/// `GET /assets/govuk-frontend.min.css`.
pub(crate) async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], GOVUK_CSS)
        .into_response()
}

/// The second test user the sign-in page offers, beside the configured one
/// ([`MockProvider::set_user`](crate::MockProvider::set_user)).
pub(crate) fn second_user() -> TestUser {
    TestUser {
        sub: "urn:fdc:gov.uk:2022:second-test-user-Jm3fQ0aXb9".into(),
        email: "sian.williams@example.com".into(),
        phone_number: None,
        given_name: "Siân".into(),
        family_name: "Williams".into(),
        birth_date: "1990-02-14".into(),
    }
}

/// The language of the stand-in's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    Cy,
}

impl Lang {
    /// Welsh when `ui_locales`' first choice is `cy` or `cy-*`.
    pub(crate) fn from_ui_locales(ui_locales: Option<&str>) -> Self {
        let first = ui_locales.and_then(|l| l.split_whitespace().next()).unwrap_or("").to_ascii_lowercase();
        if first == "cy" || first.starts_with("cy-") { Lang::Cy } else { Lang::En }
    }
    fn pick(self, en: &'static str, cy: &'static str) -> &'static str {
        if self == Lang::Cy { cy } else { en }
    }
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A whole page: `title` and `body_html` (already escaped) in the GOV.UK template.
pub(crate) fn page(status: StatusCode, lang: Lang, title: &str, body_html: &str) -> Response {
    let code = if lang == Lang::Cy { "cy" } else { "en" };
    let skip = lang.pick("Skip to main content", "Neidio i'r prif gynnwys");
    let tag = lang.pick("local stand-in", "efelychydd lleol");
    let note = lang.pick(
        "This is a local stand-in for GOV.UK One Login, for development. Its test users are not real people.",
        "Efelychydd lleol ar gyfer GOV.UK One Login yw hwn, ar gyfer datblygu. Nid yw ei ddefnyddwyr prawf yn bobl go iawn.",
    );
    let title = esc(title);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\" class=\"govuk-template\"><head><meta charset=\"utf-8\">\
         <title>{title} – GOV.UK One Login ({tag})</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/assets/govuk-frontend.min.css\">\
         <style>.stand-in-header{{background:#0b0c0c;color:#fff;border-bottom:10px solid #1d70b8;padding:15px 0}}\
         .stand-in-header__name{{font-family:\"GDS Transport\",arial,sans-serif;font-weight:700;font-size:1.5rem;margin:0}}</style></head>\
         <body class=\"govuk-template__body\">\
         <a href=\"#main-content\" class=\"govuk-skip-link\">{skip}</a>\
         <header class=\"stand-in-header\"><div class=\"govuk-width-container\">\
         <p class=\"stand-in-header__name\">GOV.UK One Login <strong class=\"govuk-tag govuk-tag--yellow\">{tag}</strong></p>\
         </div></header>\
         <div class=\"govuk-width-container\"><main class=\"govuk-main-wrapper\" id=\"main-content\">\
         <div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">\
         <h1 class=\"govuk-heading-l\">{title}</h1>{body_html}</div></div></main></div>\
         <footer class=\"govuk-footer\"><div class=\"govuk-width-container\"><div class=\"govuk-footer__meta\">\
         <div class=\"govuk-footer__meta-item\"><p class=\"govuk-footer__licence-description\">{note}</p></div></div></div></footer>\
         </body></html>"
    );
    (status, Html(html)).into_response()
}

fn radio(name: &str, id: &str, value: &str, label: &str, hint: Option<&str>, checked: bool) -> String {
    let hint_id = format!("{id}-hint");
    let described = hint.map(|_| format!(" aria-describedby=\"{hint_id}\"")).unwrap_or_default();
    let hint = hint
        .map(|h| format!("<div id=\"{hint_id}\" class=\"govuk-hint govuk-radios__hint\">{}</div>", esc(h)))
        .unwrap_or_default();
    format!(
        "<div class=\"govuk-radios__item\"><input class=\"govuk-radios__input\" id=\"{id}\" name=\"{name}\" \
         type=\"radio\" value=\"{value}\"{described}{checked}><label class=\"govuk-label govuk-radios__label\" \
         for=\"{id}\">{label}</label>{hint}</div>",
        label = esc(label),
        checked = if checked { " checked" } else { "" },
    )
}

fn fieldset(legend: &str, radios: &str) -> String {
    format!(
        "<div class=\"govuk-form-group\"><fieldset class=\"govuk-fieldset\"><legend class=\"govuk-fieldset__legend \
         govuk-fieldset__legend--m\">{}</legend><div class=\"govuk-radios\" data-module=\"govuk-radios\">{radios}</div>\
         </fieldset></div>",
        esc(legend)
    )
}

/// The sign-in page: `users` (the configured one first, checked), when an identity level was
/// asked for (`identity`) the identity outcome and the level of confidence it is proven at (the
/// one asked for checked), and Continue / Cancel.
pub(crate) fn sign_in(lang: Lang, vtr: &str, id: &str, users: &[TestUser], identity: Option<&str>) -> Response {
    let asks = lang.pick("The service asks for", "Mae'r gwasanaeth yn gofyn am");
    let people: String = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let name = format!("{} {}", u.given_name, u.family_name);
            radio("user", &format!("user-{}", i + 1), &(i + 1).to_string(), &name, Some(&u.email), i == 0)
        })
        .collect();
    let people =
        fieldset(lang.pick("Who do you want to sign in as?", "Fel pwy ydych chi eisiau mewngofnodi?"), &people);
    let outcomes = if let Some(asked) = identity {
        let levels: String = ["P1", "P2", "P3"]
            .iter()
            .map(|level| {
                let hint =
                    (*level == asked).then(|| lang.pick("As the service asks", "Fel y mae'r gwasanaeth yn gofyn"));
                radio("confidence", &format!("confidence-{level}"), level, level, hint, *level == asked)
            })
            .collect();
        let levels = fieldset(
            lang.pick(
                "At which level of confidence is the identity proven?",
                "Ar ba lefel hyder y mae'r hunaniaeth wedi'i phrofi?",
            ),
            &levels,
        );
        let outcomes = radio(
            "level",
            "level-pass",
            "pass",
            lang.pick("Succeed: the identity is proven", "Llwyddo: mae'r hunaniaeth wedi'i phrofi"),
            None,
            true,
        ) + &radio(
            "level",
            "level-fail",
            "fail",
            lang.pick("Fail: the identity cannot be proven", "Methu: nid oes modd profi'r hunaniaeth"),
            None,
            false,
        );
        fieldset(
            lang.pick("What should the identity check do?", "Beth ddylai'r gwiriad hunaniaeth ei wneud?"),
            &outcomes,
        ) + &levels
    } else {
        String::new()
    };
    let body = format!(
        "<p class=\"govuk-body\">{asks} <strong>{vtr}</strong>.</p>\
         <form method=\"post\" action=\"/authorize/decision\" novalidate>\
         <input type=\"hidden\" name=\"id\" value=\"{id}\">{people}{outcomes}\
         <div class=\"govuk-button-group\">\
         <button type=\"submit\" name=\"decision\" value=\"approve\" class=\"govuk-button\" data-module=\"govuk-button\">{continue_}</button>\
         <button type=\"submit\" name=\"decision\" value=\"cancel\" class=\"govuk-button govuk-button--secondary\" data-module=\"govuk-button\">{cancel}</button>\
         </div></form>",
        vtr = esc(vtr),
        id = esc(id),
        continue_ = lang.pick("Continue", "Parhau"),
        cancel = lang.pick("Cancel", "Canslo"),
    );
    page(StatusCode::OK, lang, lang.pick("Sign in to the service", "Mewngofnodi i'r gwasanaeth"), &body)
}
