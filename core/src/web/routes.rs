//! The routes adapters mount: callback, sign-out, back-channel logout and (optionally) our JWKS.

use serde_json::json;

use super::cookies::{self, Names};
use super::pages;
use super::{SessionContext, WebResponse};
use crate::client::{CallbackParams, OneLogin};
use crate::identity::IdentityOutcome;
use crate::types::ct_eq;

/// Largest form body the sign-out and back-channel routes read.
pub const MAX_FORM_BODY: usize = 16 * 1024;

fn form_value(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

impl OneLogin {
    fn clear_session_cookie(&self) -> String {
        let names = Names::for_config(self.config());
        cookies::set(names.session, "", 0, names.secure)
    }

    /// `GET <callback>?code=…&state=…`: completes the login, sets a new session cookie (the
    /// session id changes at every login) and redirects to the return path. One Login errors
    /// and refused callbacks get a page with the right status; `login_required` also clears
    /// the local session.
    pub async fn callback_route(&self, query: &str, ctx: &SessionContext) -> WebResponse {
        let params: CallbackParams = serde_urlencoded_params(query);
        match self.complete_login(params, ctx.flow_cookie.as_deref(), ctx.id).await {
            Ok(outcome) => {
                let names = Names::for_config(self.config());
                let cookie = cookies::set(
                    names.session,
                    &outcome.session_id.to_cookie_value(),
                    self.config().session_ttl.as_secs() as i64,
                    names.secure,
                );
                if let IdentityOutcome::NotProven { return_codes } = &outcome.identity {
                    tracing::info!(return_codes = return_codes.len(), "identity was not proven");
                    return pages::page(
                        403,
                        "We could not confirm your identity",
                        "<p>You are signed in, but GOV.UK One Login could not confirm your identity.</p>\
                         <p><a href=\"/\">Go to the start page</a></p>",
                    )
                    .header("set-cookie", cookie);
                }
                WebResponse::redirect(303, outcome.return_to.as_str()).header("set-cookie", cookie)
            }
            Err(error) => {
                tracing::warn!(%error, "sign-in callback refused");
                let response = self.error_response(&error, false);
                if error.ends_session() { response.header("set-cookie", self.clear_session_cookie()) } else { response }
            }
        }
    }

    /// `POST <logout>` with the form field `csrf_token`: ends the local session, then sends the
    /// browser to One Login's end-session endpoint with `id_token_hint` and
    /// `post_logout_redirect_uri`. A missing or wrong CSRF token gets 403.
    pub async fn logout_route(&self, ctx: &SessionContext, body: &[u8]) -> WebResponse {
        if let Some(record) = &ctx.record {
            let token = form_value(&body[..body.len().min(MAX_FORM_BODY)], "csrf_token").unwrap_or_default();
            if !ct_eq(token.as_bytes(), record.csrf_token().as_bytes()) {
                return pages::problem(403, "The sign-out form has expired. Go back and try again.", false);
            }
        }
        match self.sign_out(ctx.id).await {
            Ok(url) => WebResponse::redirect(303, url.as_str()).header("set-cookie", self.clear_session_cookie()),
            Err(error) => {
                if matches!(error, crate::Error::Store(_)) {
                    tracing::error!(%error, "sign-out failed: the session could not be ended in the store");
                } else {
                    tracing::warn!(%error, "sign-out could not reach One Login; the local session was ended");
                }
                self.error_response(&error, false).header("set-cookie", self.clear_session_cookie())
            }
        }
    }

    /// `POST <backchannel-logout>` from One Login with a form-encoded `logout_token`: verifies
    /// it, ends every session of its `sub` and answers exactly 200 (One Login treats any other
    /// status as a failure). An invalid token gets 400. When the token could not be checked or
    /// the sessions could not be ended (store or key-fetch failure) the answer is 501, as One
    /// Login's documentation asks ("you have not been able to log the user out").
    pub async fn backchannel_logout_route(&self, content_type: Option<&str>, body: &[u8]) -> WebResponse {
        let is_form =
            content_type.is_some_and(|c| c.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        let token = (is_form && body.len() <= MAX_FORM_BODY).then(|| form_value(body, "logout_token")).flatten();
        let Some(token) = token else {
            return WebResponse::new(400).json(&json!({ "error": "invalid_request" }));
        };
        match self.backchannel_logout(&token).await {
            Ok(_) => WebResponse::new(200),
            Err(error) => {
                tracing::warn!(%error, "back-channel logout refused");
                if error.http_status() == http::StatusCode::BAD_REQUEST {
                    WebResponse::new(400).json(&json!({ "error": "invalid_request" }))
                } else {
                    WebResponse::new(501).json(&json!({ "error": "logout_failed" }))
                }
            }
        }
    }

    /// `GET <jwks>`: our public key set.
    pub fn jwks_route(&self) -> WebResponse {
        let mut r = WebResponse::new(200).json(&self.config().public_jwks());
        r.headers.retain(|(n, _)| *n != "cache-control");
        r.header("cache-control", "max-age=300")
    }
}

fn serde_urlencoded_params(query: &str) -> CallbackParams {
    let mut p = CallbackParams::default();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match &*k {
            "code" => &mut p.code,
            "state" => &mut p.state,
            "error" => &mut p.error,
            "error_description" => &mut p.error_description,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v.into_owned());
        }
    }
    p
}
