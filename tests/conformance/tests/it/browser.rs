//! A real browser: headless Chromium, driven through chromedriver, signs in to each demo binary
//! (run as its own process) through the stand-in's person-facing page, steps up to a verified
//! identity, switches to Welsh and back, signs out, and cancels a sign-in. On every page it
//! visits it runs axe-core (WCAG 2.2 AA) and saves a screenshot to
//! `<target>/browser-screenshots/<demo>/<NN-page>.png`. It reads the cookies the browser really
//! holds, and checks that they are sent back on the top-level navigation from the stand-in to
//! the demo, also when that navigation is truly cross-site (`127.0.0.1` to `localhost`).
//!
//! Needs Debian's chromium and chromium-driver and axe-core in `tests/browser/node_modules`,
//! which `./scripts/test` installs; fails, never skips, without them.

mod driver;

use std::sync::Arc;

use cookie::SameSite;
use driver::Browser;
use govuk_one_login::web::{FLOW_COOKIE_INSECURE, SESSION_COOKIE_INSECURE};
use govuk_one_login_conformance::process::{DemoKind, DemoProcess, env_for, free_port};

/// The stand-in's Continue and Cancel buttons.
const CONTINUE: &str = "button[name=decision][value=approve]";
const CANCEL: &str = "button[name=decision][value=cancel]";
/// The stand-in's "identity check succeeds" choice, offered when identity is asked for.
const IDENTITY_PASSES: &str = "input[name=level][value=pass]";
/// The stand-in's "identity check fails" choice.
const IDENTITY_FAILS: &str = "input[name=level][value=fail]";
/// The stand-in's test user's verified name.
const NAME: &str = "Kenneth Decerqueira";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_journey() {
    journey(DemoKind::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_journey() {
    journey(DemoKind::Actix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_cookies_cross_site() {
    cross_site(DemoKind::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_cookies_cross_site() {
    cross_site(DemoKind::Actix).await;
}

/// The whole journey against `kind`'s binary with its embedded stand-in (no `ONE_LOGIN_*` set):
/// the demo and the stand-in are on two ports of 127.0.0.1, so same-site but cross-origin.
async fn journey(kind: DemoKind) {
    let demo = Arc::new(tokio::task::block_in_place(|| DemoProcess::spawn(kind, free_port(), &[])));
    let base = demo.base();
    let printed = Arc::clone(&demo);
    let mut b = Browser::start(kind.binary_name(), move || printed.output()).await;

    b.goto(&format!("{base}/")).await;
    // GOV.UK Frontend's JavaScript loaded and initialised the start button.
    b.wait_for("[data-module=govuk-button][data-govuk-button-init]").await;
    b.look("start").await;

    // Sign in (Cl.Cm) through the stand-in's page.
    b.click("a[href*='/auth/login']").await;
    b.wait_for(CONTINUE).await;
    assert_ne!(b.url().await.origin(), url::Url::parse(&base).unwrap().origin(), "at the stand-in");
    b.look("stand-in-sign-in").await;
    flow_cookie(&mut b, &base, Keep).await;
    b.click(CONTINUE).await;
    b.wait_for_path("/account").await;
    account_page(&mut b).await;
    held_cookie(&mut b, SESSION_COOKIE_INSECURE, "after signing in").await;
    b.look("account").await;

    // Step up to a verified identity (Cl.Cm.P2).
    b.goto(&format!("{base}/identity")).await;
    b.click(IDENTITY_PASSES).await;
    b.look("stand-in-identity").await;
    b.click(CONTINUE).await;
    b.wait_for_path("/identity").await;
    if !b.text().await.contains(NAME) {
        b.fail(&format!("the identity page does not show the verified name {NAME}")).await;
    }
    b.look("identity").await;

    welsh(&mut b, "identity").await;

    // Sign out with the header's button; the session is gone.
    b.click("header form button").await;
    b.wait_for_path("/signed-out").await;
    b.look("signed-out").await;
    let left: Vec<String> = b.cookies().await.iter().map(|c| c.name().to_owned()).collect();
    if left.iter().any(|name| name == SESSION_COOKIE_INSECURE) {
        b.fail(&format!("the session cookie is still set after signing out: {left:?}")).await;
    }
    b.goto(&format!("{base}/account")).await;
    b.wait_for(CONTINUE).await;
    b.look("stand-in-sign-in-again").await;

    // Cancel at the stand-in: the service's cancelled page.
    b.click(CANCEL).await;
    b.wait_for_path("/auth/callback").await;
    if !b.text().await.contains("did not finish signing in") {
        b.fail("the cancelled page does not say that the sign-in was not finished").await;
    }
    b.look("cancelled").await;
    // The switch on a page of the callback's: the callback cannot be answered twice, so the
    // Welsh page is the expired-link page, in Welsh.
    welsh(&mut b, "callback-error").await;

    // An identity check that fails: signed in, with the identity-not-proven page.
    b.goto(&format!("{base}/identity")).await;
    b.click(IDENTITY_FAILS).await;
    b.click(CONTINUE).await;
    b.wait_for_path("/auth/callback").await;
    if !b.text().await.contains("could not confirm your identity") {
        let text: String = b.text().await.chars().take(200).collect();
        b.fail(&format!("the identity-not-proven page does not say so: {text:?}")).await;
    }
    b.look("identity-not-proven").await;

    // Trying again (the page's button), and an identity proven below the route's level (P1
    // for P2): refused, with an error page.
    b.click("main a.govuk-button").await;
    b.click("input[name=confidence][value=P1]").await;
    b.click(CONTINUE).await;
    b.wait_for_path("/auth/callback").await;
    let text = b.text().await;
    if text.contains(NAME) || !text.contains("Signing in could not be completed") {
        let text: String = text.chars().take(200).collect();
        b.fail(&format!(
            "an identity proven at P1 for a P2 route is not refused with the sign-in-failed page: {text:?}"
        ))
        .await;
    }
    b.look("identity-below-the-level").await;
    // Still no verified identity: the identity page shows none.
    b.goto(&format!("{base}/identity")).await;
    b.wait_for("h1").await;
    if b.text().await.contains(NAME) {
        b.fail("after the refused P1 identity, /identity shows a verified name").await;
    }

    // A sign-in link that is no longer valid: the error page.
    b.goto(&format!("{base}/auth/callback?code=unknown&state=unknown")).await;
    b.wait_for("h1").await;
    if !b.text().await.contains("expired or was already used") {
        b.fail("an unknown sign-in link does not get the expired-link page").await;
    }
    b.look("link-expired").await;

    b.finish().await;
    drop(demo);
}

/// The account page, where the sign-in lands (through One Login's redirects, which the
/// browser marks as cross-site: the page's own session-data write must still work).
async fn account_page(b: &mut Browser) {
    if !is_account(b).await {
        let text: String = b.text().await.chars().take(200).collect();
        b.fail(&format!("/account, reached through the redirects from the stand-in, is not the account: {text:?}"))
            .await;
    }
}

async fn is_account(b: &mut Browser) -> bool {
    let heading = b.wait_for("h1").await;
    let heading = b.step("read the heading", |_| async move { heading.text().await }).await;
    heading.to_lowercase().contains("account")
}

/// The Welsh switch on the current page: `a[hreflang=cy]` gives `<html lang="cy">`, and
/// `a[hreflang=en]` back; each language's page is looked at as `<name>-cy` and `<name>-en`.
async fn welsh(b: &mut Browser, name: &str) {
    if b.find("a[hreflang=cy]").await.is_none() {
        let path = b.url().await.path().to_owned();
        b.fail(&format!("no Welsh switch (`a[hreflang=cy]`) on {path}")).await;
    }
    b.click("a[hreflang=cy]").await;
    b.wait_for("html[lang=cy]").await;
    b.look(&format!("{name}-cy")).await;
    if b.find("a[hreflang=en]").await.is_none() {
        b.fail("no `a[hreflang=en]` link back to English on the Welsh page").await;
    }
    b.click("a[hreflang=en]").await;
    b.wait_for("html[lang=en]").await;
    b.look(&format!("{name}-en")).await;
}

/// What [`flow_cookie`] does to the flow cookie after checking it.
#[derive(PartialEq)]
enum FlowCookie {
    Keep,
    Delete,
}
use FlowCookie::{Delete, Keep};

/// While the stand-in's page shows, opens the demo in a second tab and checks the flow cookie
/// the browser holds for it (HttpOnly, SameSite=Lax, Path=/, not Secure on http), then deletes
/// it if asked, and comes back to the stand-in's tab.
async fn flow_cookie(b: &mut Browser, base: &str, then: FlowCookie) {
    let stand_in = b.step("read the window handle", |c| async move { c.window().await }).await;
    let tab = b.step("open a tab", |c| async move { c.new_window(true).await }).await;
    b.step("switch to the new tab", |c| async move { c.switch_to_window(tab.handle).await }).await;
    b.goto(&format!("{base}/")).await;
    held_cookie(b, FLOW_COOKIE_INSECURE, "while signing in").await;
    if then == Delete {
        b.step("delete the flow cookie", |c| async move { c.delete_cookie(FLOW_COOKIE_INSECURE).await }).await;
    }
    b.step("close the tab", |c| async move { c.close_window().await }).await;
    b.step("switch back to the stand-in's tab", |c| async move { c.switch_to_window(stand_in).await }).await;
}

/// The cookie `name` that the browser holds for the page's origin: there, with the right
/// attributes.
async fn held_cookie(b: &mut Browser, name: &str, when: &str) {
    let cookies = b.cookies().await;
    if let Some(cookie) = cookies.iter().find(|c| c.name() == name) {
        check_attributes(b, cookie).await;
    } else {
        let names: Vec<&str> = cookies.iter().map(cookie::Cookie::name).collect();
        b.fail(&format!("no {name} cookie {when}; the browser holds {names:?}")).await;
    }
}

/// HttpOnly, SameSite=Lax, Path=/, and no `Secure` on plain-http loopback.
async fn check_attributes(b: &mut Browser, cookie: &cookie::Cookie<'_>) {
    let ok = cookie.http_only() == Some(true)
        && cookie.same_site() == Some(SameSite::Lax)
        && cookie.path() == Some("/")
        && cookie.secure() != Some(true)
        && cookie.domain().is_none_or(|d| !d.starts_with('.'));
    if !ok {
        b.fail(&format!(
            "cookie {} has http_only {:?}, same_site {:?}, path {:?}, secure {:?}, domain {:?}; \
             expected HttpOnly, SameSite=Lax, Path=/, not Secure, host-only",
            cookie.name(),
            cookie.http_only(),
            cookie.same_site(),
            cookie.path(),
            cookie.secure(),
            cookie.domain()
        ))
        .await;
    }
}

/// The demo on `http://localhost:<port>` and the stand-in on `http://127.0.0.1:<port>`: two
/// sites, so the return from the stand-in to the callback is a cross-site top-level navigation.
/// Signing in completes only because the SameSite=Lax flow cookie is sent on it; with that
/// cookie deleted, the same return fails.
async fn cross_site(kind: DemoKind) {
    let mock = govuk_one_login_mock::MockProvider::start().await;
    mock.set_auto_approve(false);
    let listen = free_port();
    let base = format!("http://localhost:{}", listen.port());
    let mut env = env_for(&mock, &base);
    mock.register_post_logout_redirect_uri(&format!("{base}/signed-out"));
    env.push(("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI".into(), format!("{base}/signed-out")));
    let demo = Arc::new(tokio::task::block_in_place(|| DemoProcess::spawn(kind, listen, &env)));
    let printed = Arc::clone(&demo);
    let mut b = Browser::start(&format!("{}-cross-site", kind.binary_name()), move || printed.output()).await;

    b.goto(&format!("{base}/account")).await;
    b.wait_for(CONTINUE).await;
    let at = b.url().await;
    assert_eq!(at.host_str(), Some("127.0.0.1"), "the stand-in is on 127.0.0.1, another site than localhost");
    flow_cookie(&mut b, &base, Keep).await;
    b.click(CONTINUE).await;
    let account = b.wait_for_path("/account").await;
    assert_eq!(account.host_str(), Some("localhost"));
    account_page(&mut b).await;
    held_cookie(&mut b, SESSION_COOKIE_INSECURE, "after signing in").await;

    // The control: without the flow cookie, the same cross-site return does not sign in.
    b.goto(&format!("{base}/identity")).await;
    b.wait_for(IDENTITY_PASSES).await;
    flow_cookie(&mut b, &base, Delete).await;
    b.click(CONTINUE).await;
    b.wait_for_path("/auth/callback").await;
    let text = b.text().await;
    if text.contains(NAME) || !text.contains("expired or was already used") {
        b.fail("the callback without the flow cookie is not refused with the expired-link page").await;
    }

    b.finish().await;
    drop(demo);
    drop(mock);
}
