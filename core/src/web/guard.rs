//! The guard: the one place that decides whether a request may reach a protected handler.

use std::sync::Arc;

use serde_json::json;

use super::cookies::{self, Names};
use super::{SessionContext, WebResponse};
use crate::client::{LoginRequest, OneLogin};
use crate::levels::Requirement;
use crate::return_path::ReturnPath;
use crate::session::SessionRecord;

/// The request facts the guard needs.
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    /// The method, such as `GET`.
    pub method: &'a str,
    /// The path and query, such as `/apply?step=2`: where to return after sign-in.
    pub path_and_query: &'a str,
    /// The `Accept` header.
    pub accept: Option<&'a str>,
}

impl RequestInfo<'_> {
    /// Whether this is an API request: `Accept: application/json`, or a method other than
    /// GET/HEAD (which a redirect to One Login could not complete).
    pub fn wants_json(&self) -> bool {
        self.accept.is_some_and(|a| a.to_ascii_lowercase().contains("application/json"))
            || !(self.method.eq_ignore_ascii_case("GET") || self.method.eq_ignore_ascii_case("HEAD"))
    }
}

/// The guard's decision.
#[derive(Debug)]
pub enum GuardOutcome {
    /// The session meets the requirement: run the handler.
    Allow(Arc<SessionRecord>),
    /// Answer with this instead: a redirect to One Login (sign-in or step-up) for pages, or a
    /// 401/403 JSON body for APIs, or an error page when One Login cannot be reached.
    Respond(WebResponse),
}

impl OneLogin {
    /// Checks `requirement` against the request's session.
    ///
    /// - No session: pages get a redirect to One Login with the requirement's `vtr`; APIs get
    ///   401 with a JSON body.
    /// - A session below the requirement, or signed in longer ago than its `max_age`: pages
    ///   step up (back to the same path and query afterwards; re-authentication when only
    ///   freshness is missing); APIs get 403 with a JSON body.
    /// - Otherwise: [`GuardOutcome::Allow`], with no call to One Login.
    pub async fn guard(
        &self,
        requirement: &Requirement,
        ctx: &SessionContext,
        request: &RequestInfo<'_>,
    ) -> GuardOutcome {
        let now = self.now();
        let reauthenticate = match &ctx.record {
            Some(s) if requirement.is_met_by(s.achieved(), s.auth_time(), now) => {
                return GuardOutcome::Allow(s.clone());
            }
            Some(s) if s.achieved().meets(requirement.vector()) => Some(s.id_token().clone()),
            _ => None,
        };
        if request.wants_json() {
            let (status, error) =
                if ctx.record.is_some() { (403, "insufficient_level") } else { (401, "unauthenticated") };
            return GuardOutcome::Respond(WebResponse::new(status).json(&json!({
                "error": error,
                "required": requirement.vector().to_string(),
                "message": if status == 401 { "Sign in to continue." } else { "A higher level of assurance is needed." },
            })));
        }
        let mut login = LoginRequest::new(*requirement, ReturnPath::parse_or_root(request.path_and_query));
        login.flow_cookie = ctx.flow_cookie.clone();
        login.reauthenticate = reauthenticate.filter(|_| self.config().request_objects());
        GuardOutcome::Respond(self.login_redirect(login).await)
    }

    /// Starts a login and answers with the redirect to One Login (and the flow cookie), or an
    /// error page when it cannot be started.
    pub async fn login_redirect(&self, login: LoginRequest) -> WebResponse {
        match self.start_login(login).await {
            Ok(start) => {
                let names = Names::for_config(self.config());
                let max_age = self.config().pending_login_ttl.as_secs() as i64;
                WebResponse::redirect(302, start.url.as_str())
                    .header("set-cookie", cookies::set(names.flow, &start.flow_cookie, max_age, names.secure))
            }
            Err(error) => {
                tracing::warn!(%error, "could not start a One Login sign-in");
                self.error_response(&error, false)
            }
        }
    }
}
