//! The guard: the one place that decides whether a request may reach a protected handler, and
//! the one way a sign-in starts.
//!
//! Every guard (the `require` layers and the extractors of both adapters) calls
//! [`OneLogin::guard`], so a page behaves the same however it is protected: a page request
//! that needs a sign-in gets its redirect to One Login at once, with the flow cookie on the
//! same response. Starting at once, rather than through a hop to the local sign-in route,
//! saves the user a round trip and binds the pending login to the response that sets its
//! cookie; it costs what a hit on the sign-in route costs (one signature, one pending record
//! in its own bounded table), which anyone can cause anyway. The sign-in route remains for
//! links ([`OneLogin::login_link`]) and calls the same guard.

use std::sync::Arc;

use super::cookies::{self, Names};
use super::decision::{Decision, Denial, DenialCode};
use super::pages::{IdentityNotProvenPage, ProblemPage};
use super::request::{RequestInfo, under};
use super::{SessionContext, WebResponse};
use crate::client::{LoginRequest, OneLogin, Start};
use crate::error::{AuthorizeError, Error};
use crate::identity::CoreIdentity;
use crate::levels::{Requirement, VectorOfTrust};
use crate::return_path::ReturnPath;
use crate::session::SessionRecord;

/// The longest `max_age` the sign-in route accepts from its query (one year).
const MAX_AGE_CAP: u64 = 366 * 24 * 3600;

impl OneLogin {
    /// Whether this request is an API call: its own facts
    /// ([`RequestInfo::api`], `Accept: application/json`, a method other than GET/HEAD), or a
    /// path under one of the builder's [`api_paths`](crate::OneLoginBuilder::api_paths). API
    /// calls get 401/403 JSON ([`Denial`]); pages get redirects and HTML.
    pub fn is_api(&self, request: &RequestInfo<'_>) -> bool {
        request.is_api_by_headers() || self.api_paths().iter().any(|prefix| under(request.path(), prefix))
    }

    /// Decides, without I/O, what `requirement` means for this request and session:
    ///
    /// - the session meets it: [`Decision::Allow`];
    /// - no session: [`Decision::SignIn`] for pages, 401 [`Denial::unauthenticated`] for APIs;
    /// - a session below the level: [`Decision::StepUp`] for pages (back to the same path and
    ///   query afterwards), 403 [`Denial::insufficient_level`] for APIs;
    /// - a session whose sign-in asked for an identity that One Login could not confirm, on a
    ///   route that needs one: 403 [`Denial::identity_not_proven`] (for pages, the
    ///   identity-not-proven page with a link that tries again);
    /// - a session at the level, signed in longer ago than its `max_age`:
    ///   [`Decision::Reauthenticate`] for pages, 403 [`Denial::reauthentication_required`] for
    ///   APIs.
    pub fn decide(&self, requirement: &Requirement, ctx: &SessionContext, request: &RequestInfo<'_>) -> Decision {
        if let Some(s) = self.allowed(requirement, ctx) {
            // The hot path: an allowed request reads no header and matches no API path.
            return Decision::Allow(s.clone());
        }
        let record = ctx.record.as_ref();
        let now = self.now() - self.config().clock_skew();
        let api = self.is_api(request);
        let login = |reauthenticate| {
            let mut login = LoginRequest::new(*requirement, ReturnPath::parse_or_root(request.path_and_query()));
            login.flow_cookie.clone_from(&ctx.flow_cookie);
            login.reauthenticate = reauthenticate;
            login.ui_locale = request.lang_choice();
            login
        };
        match record {
            // One Login could not confirm this user's identity at this session's sign-in: say
            // so (the page's retry link starts verification again) rather than loop back.
            Some(s)
                if requirement.vector().needs_identity()
                    && s.identity_not_proven()
                    && s.identity().is_none()
                    && s.auth_level() >= requirement.vector().auth() =>
            {
                Decision::Deny(Denial::identity_not_proven(requirement))
            }
            Some(_) if api => {
                let s = record.map(|r| r.achieved());
                if s.is_some_and(|a| a.meets(requirement.vector())) {
                    Decision::Deny(Denial::reauthentication_required(requirement))
                } else {
                    Decision::Deny(Denial::insufficient_level(requirement))
                }
            }
            Some(s) if s.achieved().meets(requirement.vector()) => Decision::Reauthenticate(login(Some(s.id_token()))),
            // A step-up that also needs a fresher sign-in than this session's must make One
            // Login ask for credentials again, or it would come back with the old `auth_time`.
            Some(s) if !requirement.is_fresh(s.auth_time(), now) => Decision::StepUp(login(Some(s.id_token()))),
            Some(_) => Decision::StepUp(login(None)),
            None if api => Decision::Deny(Denial::unauthenticated(requirement)),
            None => Decision::SignIn(login(None)),
        }
    }

    /// The session, when it meets `requirement` as it is: [`OneLogin::decide`]'s
    /// [`Decision::Allow`], without reading the request. An adapter's hot path asks this
    /// first and builds the request's facts only when the answer is `None`.
    pub fn allowed<'c>(&self, requirement: &Requirement, ctx: &'c SessionContext) -> Option<&'c Arc<SessionRecord>> {
        let record = ctx.record.as_ref()?;
        if !record.achieved().meets(requirement.vector()) {
            return None;
        }
        if requirement.max_age().is_none() {
            // No freshness to check: no clock read.
            return Some(record);
        }
        // Freshness with the callback's leeway, so that a sign-in the callback accepted as
        // fresh is fresh here too (and cannot bounce back to One Login for the leeway's span).
        let now = self.now() - self.config().clock_skew();
        requirement.is_fresh(record.auth_time(), now).then_some(record)
    }

    /// The identity guard's decision, without I/O: a session at `Cl.Cm.P2` or higher that
    /// holds a verified core identity, with that identity; otherwise what to do instead (never
    /// [`Decision::Allow`]). A session whose sign-in asked for an identity that One Login could
    /// not confirm is denied with [`Denial::identity_not_proven`] (the identity-not-proven
    /// page, whose retry link starts verification again, or 403 JSON for APIs) rather than sent
    /// straight back to One Login.
    #[allow(
        clippy::result_large_err,
        reason = "a Decision by value, as `decide` returns it; the Err side is the cold path and moved once"
    )]
    pub fn decide_identity(
        &self,
        ctx: &SessionContext,
        request: &RequestInfo<'_>,
    ) -> Result<(Arc<SessionRecord>, CoreIdentity), Decision> {
        let requirement = Requirement::IDENTITY_P2;
        match self.decide(&requirement, ctx, request) {
            Decision::Allow(record) => match record.identity() {
                Some(identity) => Ok((record.clone(), identity.clone())),
                None => Err(Decision::Deny(Denial::identity_not_proven(&requirement))),
            },
            other => Err(other),
        }
    }

    /// Acts on a decision: the session when it is allowed, otherwise the response to send: the
    /// redirect to One Login (with the flow cookie) that starts the sign-in, step-up or
    /// re-authentication (see [`login_redirect`](Self::login_redirect)), or the
    /// [`deny_response`](Self::deny_response).
    pub async fn respond(
        &self,
        decision: Decision,
        request: &RequestInfo<'_>,
    ) -> Result<Arc<SessionRecord>, WebResponse> {
        match decision {
            Decision::Allow(record) => Ok(record),
            Decision::Deny(denial) => Err(self.deny_response(&denial, request)),
            Decision::SignIn(login) => Err(self.redirect_to_start(login, request, Start::Anonymous).await),
            Decision::StepUp(login) | Decision::Reauthenticate(login) => {
                Err(self.redirect_to_start(login, request, Start::SignedIn).await)
            }
        }
    }

    /// The response for a denial: its JSON body for API calls; for a page whose identity could
    /// not be confirmed, the [`Pages::identity_not_proven`](super::Pages::identity_not_proven)
    /// page; otherwise the JSON body.
    pub fn deny_response(&self, denial: &Denial, request: &RequestInfo<'_>) -> WebResponse {
        if denial.code() == DenialCode::IdentityNotProven && !self.is_api(request) {
            let return_to = ReturnPath::parse_or_root(request.path_and_query());
            return self.identity_not_proven_page(request, &return_to, &[]);
        }
        denial.to_response()
    }

    /// [`decide`](Self::decide) and [`respond`](Self::respond): what the `require` guards and
    /// the `AuthenticatedUser` extractors do.
    pub async fn guard(
        &self,
        requirement: &Requirement,
        ctx: &SessionContext,
        request: &RequestInfo<'_>,
    ) -> Result<Arc<SessionRecord>, WebResponse> {
        self.respond(self.decide(requirement, ctx, request), request).await
    }

    /// [`decide_identity`](Self::decide_identity) and [`respond`](Self::respond): what the
    /// `VerifiedIdentity` extractors do.
    pub async fn guard_identity(
        &self,
        ctx: &SessionContext,
        request: &RequestInfo<'_>,
    ) -> Result<(Arc<SessionRecord>, CoreIdentity), WebResponse> {
        match self.decide_identity(ctx, request) {
            Ok(found) => Ok(found),
            Err(decision) => match self.respond(decision, request).await {
                // `decide_identity` never allows without an identity.
                Ok(_) => Err(Denial::identity_not_proven(&Requirement::IDENTITY_P2).to_response()),
                Err(response) => Err(response),
            },
        }
    }

    /// A link to the local sign-in route that signs in at `requirement` and returns to
    /// `return_to`: use it for "Sign in" links.
    pub fn login_link(&self, requirement: &Requirement, return_to: &ReturnPath) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("level", &requirement.vector().to_string());
        if let Some(max_age) = requirement.max_age() {
            // As the sign-in route reads it (a year at most), so that no link it makes is refused.
            q.append_pair("max_age", &max_age.as_secs().min(MAX_AGE_CAP).to_string());
        }
        q.append_pair("return_to", return_to.as_str());
        format!("{}?{}", self.config().routes().login, q.finish())
    }

    /// `GET <login>?level=…&max_age=…&return_to=…`: the guard for that level (so a sign-in,
    /// step-up or re-authentication starts exactly as it would on a guarded page), and
    /// straight to `return_to` (local paths only) when the session already meets it. A `level`
    /// that is not a vector of trust, or a `max_age` that is not a number of seconds, gets 400
    /// ([`AuthorizeError::InvalidSignInLink`](crate::error::AuthorizeError::InvalidSignInLink)).
    pub async fn login_route(&self, request: &RequestInfo<'_>, ctx: &SessionContext) -> WebResponse {
        let (mut level, mut max_age, mut return_to, mut invalid) = (None, None, None, None);
        for (k, v) in url::form_urlencoded::parse(request.query().as_bytes()) {
            match &*k {
                "level" => match v.parse::<VectorOfTrust>() {
                    Ok(v) => level = Some(v),
                    Err(_) => invalid = Some("level"),
                },
                // Seconds, as digits (no sign), at most i64::MAX as a JSON integer can say.
                "max_age" => match v.parse::<i64>() {
                    Ok(m) if m >= 0 && v.bytes().all(|b| b.is_ascii_digit()) => {
                        max_age = Some(m.unsigned_abs().min(MAX_AGE_CAP));
                    }
                    _ => invalid = Some("max_age"),
                },
                "return_to" => return_to = Some(ReturnPath::parse_or_root(&v)),
                _ => {}
            }
        }
        let return_to = return_to.unwrap_or_else(ReturnPath::root);
        // The guard sees the request as the page it returns to, so the same decision is made.
        let page = RequestInfo::new("GET", return_to.as_str())
            .accept_language(request.accept_language_header())
            .lang(request.lang_choice());
        if let Some(parameter) = invalid {
            // Anyone can edit this query: refused without a log line per request.
            return self.problem(&AuthorizeError::InvalidSignInLink { parameter }.into(), &page, None, None);
        }
        if max_age.is_some() && !self.config().request_objects() {
            // Anyone can put max_age in this query: refused without a log line per request (a
            // guarded route that asks for it fails, and logs, in the guard).
            return self.problem(&AuthorizeError::NeedsRequestObject.into(), &page, None, None);
        }
        let mut requirement = Requirement::vector_of_trust(level.unwrap_or(VectorOfTrust::MEDIUM));
        if let Some(m) = max_age {
            requirement = requirement.with_max_age(std::time::Duration::from_secs(m));
        }
        let decision = match self.decide(&requirement, ctx, &page) {
            // The identity-not-proven page's "try again" link: an explicit new attempt.
            Decision::Deny(denial) if denial.code() == DenialCode::IdentityNotProven => {
                let mut login = LoginRequest::new(requirement, return_to.clone());
                login.flow_cookie.clone_from(&ctx.flow_cookie);
                login.ui_locale = request.lang_choice();
                Decision::StepUp(login)
            }
            other => other,
        };
        match self.respond(decision, &page).await {
            Ok(_) => WebResponse::redirect(303, return_to.as_str()),
            Err(response) => response,
        }
    }

    /// Starts a login and answers with the redirect to One Login (and the flow cookie), or an
    /// error page when it cannot be started.
    /// It counts against the sign-in start limit, as a sign-in without a session does.
    pub async fn login_redirect(&self, login: LoginRequest, request: &RequestInfo<'_>) -> WebResponse {
        self.redirect_to_start(login, request, Start::Anonymous).await
    }

    /// [`login_redirect`](Self::login_redirect) for a login of this kind.
    pub(crate) async fn redirect_to_start(
        &self,
        login: LoginRequest,
        request: &RequestInfo<'_>,
        kind: Start,
    ) -> WebResponse {
        let return_to = login.return_to.clone();
        match self.start(login, kind).await {
            Ok(start) => {
                let names = Names::for_config(self.config());
                let max_age = self.config().pending_login_ttl.as_secs() as i64;
                WebResponse::redirect(302, start.url.as_str())
                    .header("set-cookie", cookies::set(names.flow, &start.flow_cookie, max_age, names.secure))
            }
            // The limiter logs its refusals itself, at most once per interval.
            Err(error @ Error::Authorize(AuthorizeError::TooManySignIns { .. })) => {
                self.problem(&error, request, Some(return_to.as_str()), Some(&return_to)).header("retry-after", "1")
            }
            Err(error) => {
                tracing::warn!(?error, "could not start a One Login sign-in");
                self.problem(&error, request, Some(return_to.as_str()), Some(&return_to))
            }
        }
    }

    /// The response for an error: JSON `{"error", "message"}` for API calls, otherwise the
    /// [`Pages::problem`](super::Pages::problem) page. Never shows internals. It logs the error
    /// once, with its causes (at `error` when the answer is 500, otherwise `warn`), so that the
    /// caller need not.
    pub fn error_response(&self, error: &Error, request: &RequestInfo<'_>) -> WebResponse {
        if error.http_status() == http::StatusCode::INTERNAL_SERVER_ERROR || matches!(error, Error::Store(_)) {
            tracing::error!(?error, "answered with an error page");
        } else {
            tracing::warn!(?error, "answered with an error page");
        }
        self.problem(error, request, None, None)
    }

    pub(crate) fn problem(
        &self,
        error: &Error,
        request: &RequestInfo<'_>,
        retry: Option<&str>,
        return_to: Option<&ReturnPath>,
    ) -> WebResponse {
        let (kind, status) = (error.problem_kind(), error.http_status());
        if self.is_api(request) {
            return Denial::problem(kind, status).to_response();
        }
        let page = ProblemPage { kind, status, locale: request.locale(), retry, return_to };
        WebResponse::new(status).html(self.pages().problem(&page))
    }

    pub(crate) fn identity_not_proven_page(
        &self,
        request: &RequestInfo<'_>,
        return_to: &ReturnPath,
        return_codes: &[crate::identity::ReturnCode],
    ) -> WebResponse {
        let retry = self.login_link(&Requirement::IDENTITY_P2, return_to);
        let page = IdentityNotProvenPage { locale: request.locale(), return_to, retry: &retry, return_codes };
        WebResponse::new(http::StatusCode::FORBIDDEN).html(self.pages().identity_not_proven(&page))
    }
}
