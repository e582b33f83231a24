//! The demos' pages in the GOV.UK Design System: minijinja templates (embedded, HTML
//! autoescape on), rendered in English or Welsh, and [`GovukPages`], core's page hook with the
//! same layout, so a refused sign-in looks like the rest of the service.

use std::sync::OnceLock;

use govuk_one_login::web::{IdentityNotProvenPage, Locale, Pages, ProblemPage, SessionHandle};
use govuk_one_login::{Config, Requirement, ReturnPath, SessionRecord};
use minijinja::{Environment, Value, context};
use serde::Serialize;

use crate::assets;
use crate::texts::{self, Texts};

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // `.html` names turn autoescaping on (minijinja's default rule): every value is
        // escaped unless a template marks it safe, and none does.
        for (name, source) in [
            ("base.html", include_str!("../templates/base.html")),
            ("start.html", include_str!("../templates/start.html")),
            ("account.html", include_str!("../templates/account.html")),
            ("signed_out.html", include_str!("../templates/signed_out.html")),
            ("problem.html", include_str!("../templates/problem.html")),
            ("identity_not_proven.html", include_str!("../templates/identity_not_proven.html")),
        ] {
            env.add_template(name, source).expect("the embedded templates parse (a test renders each)");
        }
        env
    })
}

/// Where the header's "GOV.UK One Login" link goes: the user's One Login account home, as the
/// configuration knows it ([`Config::account_home`]). The local stand-in has none, so the
/// demo's own account page stands in.
pub fn account_home(config: &Config) -> String {
    config.account_home().map_or_else(|| "/account".to_owned(), |home| home.as_str().to_owned())
}

#[derive(Serialize)]
struct SignOut<'a> {
    action: &'a str,
    field: &'a str,
    token: &'a str,
}

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    text: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct Switch {
    href: String,
    lang: &'static str,
    text: &'static str,
}

#[derive(Serialize)]
struct Row {
    key: &'static str,
    value: String,
    id: Option<&'static str>,
}

#[derive(Serialize)]
struct Link {
    href: String,
    text: &'static str,
}

/// The link to the other language: to `path` with `?lang=…` (a query alone, `?lang=…`, when
/// the page does not know its path: the browser keeps the current one).
fn switch(locale: Locale, path: Option<&str>) -> Switch {
    let (lang, text) = match locale {
        Locale::Cy => ("en", "English"),
        _ => ("cy", "Cymraeg"),
    };
    Switch { href: format!("{}?lang={lang}", path.unwrap_or("")), lang, text }
}

/// What every page's layout needs.
struct Frame<'a> {
    locale: Locale,
    title: &'a str,
    path: Option<&'a str>,
    current: Option<&'static str>,
    sign_out: Option<SignOut<'a>>,
    account_home: &'a str,
}

fn render(template: &str, frame: &Frame<'_>, page: Value) -> String {
    let t: &Texts = texts::texts(frame.locale);
    let nav: Vec<NavItem> = [("/account", t.nav_account), ("/identity", t.nav_identity)]
        .into_iter()
        .map(|(href, text)| NavItem { href, text, current: frame.current == Some(href) })
        .collect();
    let assets = context! {
        css => assets::url("govuk-frontend.min.css"),
        js => assets::url("govuk-frontend.min.js"),
        header_css => assets::url("service-header.css"),
        manifest => assets::url("manifest.json"),
        favicon => assets::url("images/favicon.ico"),
        favicon_svg => assets::url("images/favicon.svg"),
    };
    let ctx = context! {
        lang => frame.locale.as_str(),
        t => Value::from_serialize(t),
        title => frame.title,
        switch => Value::from_serialize(switch(frame.locale, frame.path)),
        sign_out => Value::from_serialize(&frame.sign_out),
        account_home => frame.account_home,
        nav => Value::from_serialize(&nav),
        assets,
        ..page
    };
    match environment().get_template(template).and_then(|tmpl| tmpl.render(ctx)) {
        Ok(html) => html,
        Err(error) => {
            // The templates are embedded and each is rendered by a test: this is a bug.
            tracing::error!(%error, template, "a page template failed to render");
            String::from(
                "<!DOCTYPE html><html lang=\"en\"><title>Error</title><p>Sorry, there is a problem with the service.</p></html>",
            )
        }
    }
}

fn frame<'a>(handle: &'a SessionHandle, title: &'a str, path: &'a str, current: Option<&'static str>) -> Frame<'a> {
    let sign_out = handle.sign_out_form().map(|f| SignOut { action: f.action(), field: f.field(), token: f.token() });
    Frame {
        locale: handle.locale(),
        title,
        path: Some(path),
        current,
        sign_out,
        account_home: handle.account_home().unwrap_or("/account"),
    }
}

/// `/`: the start page, with a start button that signs in at `Cl.Cm` and lands on the account.
pub fn home(handle: &SessionHandle) -> String {
    let t = texts::texts(handle.locale());
    let achieved = handle.session().map(|s| s.achieved().to_string());
    let start_href = if handle.is_signed_in() {
        "/account".to_owned()
    } else {
        handle.sign_in_link(&Requirement::MEDIUM, &ReturnPath::parse("/account").unwrap_or_else(ReturnPath::root))
    };
    render("start.html", &frame(handle, t.start_title, "/", None), context! { achieved, start_href })
}

/// `/account`: the signed-in user's details, as a summary list.
pub fn account(handle: &SessionHandle, s: &SessionRecord, visits: u32) -> String {
    let t = texts::texts(handle.locale());
    let or_none = |v: Option<&str>| v.unwrap_or(t.not_given).to_owned();
    let rows = vec![
        Row { key: t.subject, value: s.subject().as_str().to_owned(), id: None },
        Row { key: t.email, value: or_none(s.email()), id: None },
        Row { key: t.phone, value: or_none(s.phone_number()), id: None },
        Row { key: t.level_achieved, value: s.achieved().to_string(), id: None },
        Row { key: t.visits, value: visits.to_string(), id: Some("visits") },
    ];
    let next = Link { href: "/identity".into(), text: t.see_identity };
    let everywhere =
        handle.sign_out_everywhere_form().map(|f| SignOut { action: f.action(), field: f.field(), token: f.token() });
    let page = context! {
        rows => Value::from_serialize(&rows),
        next => Value::from_serialize(&next),
        everywhere => Value::from_serialize(&everywhere),
        everywhere_heading => t.everywhere_heading,
        everywhere_body => t.everywhere_body,
        everywhere_button => t.everywhere_button,
    };
    render("account.html", &frame(handle, t.account_title, "/account", Some("/account")), page)
}

/// `/identity`: the verified name, date of birth and level, as a summary list.
pub fn identity(handle: &SessionHandle, s: &SessionRecord) -> String {
    let t = texts::texts(handle.locale());
    let j = crate::identity_json(s);
    let value = |key: &str| j[key].as_str().unwrap_or(t.not_given).to_owned();
    let rows = vec![
        Row { key: t.name, value: value("name"), id: None },
        Row { key: t.birth_date, value: value("birth_date"), id: None },
        Row { key: t.confidence, value: value("identity_level"), id: None },
    ];
    let page = context! { rows => Value::from_serialize(&rows) };
    render("account.html", &frame(handle, t.identity_title, "/identity", Some("/identity")), page)
}

/// `/signed-out`: where One Login sends the user back after signing out.
pub fn signed_out(handle: &SessionHandle) -> String {
    let t = texts::texts(handle.locale());
    render("signed_out.html", &frame(handle, t.signed_out_title, "/signed-out", None), context! {})
}

/// Core's pages ([`Pages`]) in the demos' GOV.UK layout, English or Welsh: every error page
/// (each [`ProblemKind`](govuk_one_login::web::ProblemKind), a cancelled sign-in included) in
/// the "There is a problem with the service" pattern, and the identity-not-proven page with
/// One Login's return codes.
#[derive(Debug, Clone)]
pub struct GovukPages {
    account_home: String,
}

impl GovukPages {
    /// The pages for a service with this configuration (the header's account link depends on
    /// the environment: [`account_home`]).
    pub fn new(config: &Config) -> Self {
        Self { account_home: account_home(config) }
    }

    fn frame<'a>(&'a self, locale: Locale, title: &'a str) -> Frame<'a> {
        // Core's pages do not know the session: the header shows no sign-out form, and the
        // language switch keeps the current path.
        Frame { locale, title, path: None, current: None, sign_out: None, account_home: &self.account_home }
    }
}

impl Pages for GovukPages {
    fn problem(&self, page: &ProblemPage<'_>) -> String {
        let t = texts::texts(page.locale());
        let (title, paragraphs) = texts::problem(page.kind(), page.locale());
        let retry_text = match page.kind() {
            govuk_one_login::web::ProblemKind::SignInCancelled | govuk_one_login::web::ProblemKind::SignedOut => {
                t.sign_in_again
            }
            _ => t.try_again,
        };
        let body = context! { paragraphs, retry => page.retry(), retry_text, code => page.kind().code() };
        render("problem.html", &self.frame(page.locale(), title), body)
    }

    fn identity_not_proven(&self, page: &IdentityNotProvenPage<'_>) -> String {
        let t = texts::texts(page.locale());
        let codes: Vec<&str> = page.return_codes().iter().map(govuk_one_login::identity::ReturnCode::code).collect();
        let body = context! { return_codes => codes, retry => page.retry() };
        render("identity_not_proven.html", &self.frame(page.locale(), t.not_proven_title), body)
    }
}

#[cfg(test)]
mod tests;
