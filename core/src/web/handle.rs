//! [`SessionHandle`]: what a handler acts through: the current session or none, the links and
//! forms that sign in and out, the application's own data in the session, and the actions on
//! the user's sessions.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SessionContext;
use super::pages::Locale;
use super::request::RequestInfo;
use super::routes::CSRF_FIELD;
use crate::client::OneLogin;
use crate::error::{Error, SessionDataError};
use crate::levels::Requirement;
use crate::return_path::ReturnPath;
use crate::session::SessionRecord;
use crate::store::{MAX_DATA_NAME, MAX_DATA_VALUE};

/// The request's session and the engine, for handlers. The adapters' `OneLoginSession`
/// extractor wraps one; it never rejects a request (a request without a session has a handle
/// whose [`session`](Self::session) is `None`).
#[derive(Clone, Debug)]
pub struct SessionHandle {
    one_login: OneLogin,
    ctx: SessionContext,
    locale: Locale,
    api: bool,
    /// The browser marked the request cross-site: sign-out everywhere is refused, and so are
    /// writes unless the method is GET or HEAD.
    cross_site: bool,
    /// A top-level GET or HEAD navigation (`Sec-Fetch-Mode: navigate`), as the user's own
    /// return from One Login is.
    navigation: bool,
}

/// What a sign-out form needs: `<form method="post" action="{action}">` with a hidden input
/// named [`field`](Self::field) holding [`token`](Self::token). `Debug` hides the token.
#[derive(Clone, Copy)]
pub struct SignOutForm<'a> {
    action: &'a str,
    token: &'a str,
}

impl std::fmt::Debug for SignOutForm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignOutForm").field("action", &self.action).field("token", &"[redacted]").finish()
    }
}

impl<'a> SignOutForm<'a> {
    /// The sign-out route's path (the form's `action`, method POST).
    pub fn action(&self) -> &'a str {
        self.action
    }
    /// The hidden field's name.
    pub fn field(&self) -> &'static str {
        CSRF_FIELD
    }
    /// The hidden field's value: this session's CSRF token.
    pub fn token(&self) -> &'a str {
        self.token
    }
    /// The whole form as HTML, with a button labelled `label` (escaped).
    pub fn to_html(&self, label: &str) -> String {
        use super::escape_html as e;
        format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"{}\" value=\"{}\">\
             <button type=\"submit\">{}</button></form>",
            e(self.action),
            CSRF_FIELD,
            e(self.token),
            e(label)
        )
    }
}

fn check_name(name: &str) -> Result<(), SessionDataError> {
    if name.is_empty() || name.len() > MAX_DATA_NAME || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SessionDataError::BadName { max: MAX_DATA_NAME });
    }
    Ok(())
}

impl SessionHandle {
    /// A handle on this request's session (adapters build it from the context their layer
    /// loaded and the request's facts).
    pub fn new(one_login: OneLogin, ctx: SessionContext, request: &RequestInfo<'_>) -> Self {
        let api = one_login.is_api(request);
        let navigation = request.is_navigation();
        Self { locale: request.locale(), api, cross_site: request.is_cross_site(), navigation, one_login, ctx }
    }

    /// The response the library would give for `error` on this request: the
    /// [`Pages::problem`](super::Pages::problem) page, or JSON for API calls. Use it when a
    /// handler's own call (such as [`insert`](Self::insert)) fails, so that its error looks
    /// like the library's.
    pub fn error_response(&self, error: &Error) -> super::WebResponse {
        let path = "/";
        let info = RequestInfo::new("GET", path).api(self.api).lang(Some(self.locale));
        self.one_login.error_response(error, &info)
    }

    /// The language to write this request's pages in: the user's choice (the
    /// [`LANG_COOKIE`](super::LANG_COOKIE)), otherwise `Accept-Language`'s preference, as
    /// core's own pages do ([`RequestInfo::locale`]).
    pub fn locale(&self) -> Locale {
        self.locale
    }
    /// The engine.
    pub fn one_login(&self) -> &OneLogin {
        &self.one_login
    }
    /// The signed-in session, if any (at any level).
    pub fn session(&self) -> Option<&SessionRecord> {
        self.ctx.record.as_deref()
    }
    /// Whether the request has a live session.
    pub fn is_signed_in(&self) -> bool {
        self.ctx.record.is_some()
    }
    /// A link that signs in (or steps up) to `requirement` and comes back to `return_to`.
    pub fn sign_in_link(&self, requirement: &Requirement, return_to: &ReturnPath) -> String {
        self.one_login.login_link(requirement, return_to)
    }
    /// The sign-out form's facts, when there is a session to sign out of.
    pub fn sign_out_form(&self) -> Option<SignOutForm<'_>> {
        let record = self.ctx.record.as_deref()?;
        Some(SignOutForm { action: &self.one_login.config().routes().logout, token: record.csrf_token() })
    }
    /// The form that signs the user out on every device (the sign-out-everywhere route), when
    /// there is a session.
    pub fn sign_out_everywhere_form(&self) -> Option<SignOutForm<'_>> {
        let record = self.ctx.record.as_deref()?;
        Some(SignOutForm { action: &self.one_login.config().routes().sign_out_everywhere, token: record.csrf_token() })
    }

    /// The user's GOV.UK One Login account home, for the "GOV.UK One Login" link of the
    /// service header ([`Config::account_home`](crate::Config::account_home)).
    pub fn account_home(&self) -> Option<&str> {
        self.one_login.config().account_home().map(url::Url::as_str)
    }

    /// The live session, for a change of its data: refused when the browser marked the request
    /// as coming from another site, unless it is a top-level GET or HEAD navigation (the
    /// SameSite=Lax cookie already keeps cross-site posts out; this also covers sibling sites,
    /// whose images and scripts carry the cookie). A navigation is let through: the user's
    /// first page after signing in is reached through One Login's redirect, which the browser
    /// marks as cross-site.
    fn live_for_change(&self) -> Result<(&crate::session::SessionId, &SessionRecord), Error> {
        if self.cross_site && !self.navigation {
            return Err(SessionDataError::CrossSite.into());
        }
        self.live()
    }

    /// The live session, for ending it everywhere: refused whenever the browser marked the
    /// request as coming from another site, whatever the method.
    fn live_for_ending(&self) -> Result<(&crate::session::SessionId, &SessionRecord), Error> {
        if self.cross_site {
            return Err(SessionDataError::CrossSite.into());
        }
        self.live()
    }

    fn live(&self) -> Result<(&crate::session::SessionId, &SessionRecord), Error> {
        match (&self.ctx.id, self.ctx.record.as_deref()) {
            (Some(id), Some(record)) => Ok((id, record)),
            _ => Err(SessionDataError::NoSession.into()),
        }
    }

    /// The application's value named `name` in this session, if one was
    /// [`insert`](Self::insert)ed. It follows the user through step-ups; it ends with the
    /// session.
    pub async fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Error> {
        check_name(name)?;
        let (id, record) = self.live()?;
        let data = self.one_login.store().load_data(id, record.subject(), self.one_login.now()).await?;
        match data.get(name) {
            Some(json) => Ok(Some(serde_json::from_str(json).map_err(|e| SessionDataError::convert(&e))?)),
            None => Ok(None),
        }
    }

    /// Keeps `value` (as JSON, at most [`MAX_DATA_VALUE`] bytes) under `name` (1 to
    /// [`MAX_DATA_NAME`] visible ASCII characters) in this session, in one atomic step on the
    /// store, replacing any value of that name. At most
    /// [`MAX_DATA_ENTRIES`](crate::store::MAX_DATA_ENTRIES) names per session. Keep personal
    /// data out of it unless you need it: it lives as long as the session. Refused
    /// ([`SessionDataError::CrossSite`], 403) when the browser marked the request as coming
    /// from another site, unless it is a top-level GET or HEAD navigation (`Sec-Fetch-Mode:
    /// navigate`); so is [`remove`](Self::remove).
    /// [`sign_out_everywhere`](Self::sign_out_everywhere) is refused for any cross-site request.
    pub async fn insert<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<(), Error> {
        check_name(name)?;
        let json = serde_json::to_string(value).map_err(|e| SessionDataError::convert(&e))?;
        if json.len() > MAX_DATA_VALUE {
            return Err(SessionDataError::TooLarge { length: json.len(), max: MAX_DATA_VALUE }.into());
        }
        let (id, record) = self.live_for_change()?;
        let now = self.one_login.now();
        let store = self.one_login.store();
        store.write_data(id, record.subject(), name, Some(&json), record.expires_at(), now).await?;
        Ok(())
    }

    /// Removes the value named `name`, if any.
    pub async fn remove(&self, name: &str) -> Result<(), Error> {
        check_name(name)?;
        let (id, record) = self.live_for_change()?;
        let now = self.one_login.now();
        self.one_login.store().write_data(id, record.subject(), name, None, record.expires_at(), now).await?;
        Ok(())
    }

    /// How many live sessions this user has, on every device and instance (this one included):
    /// what "you are signed in on N devices" shows. `Ok(0)` without a session.
    pub async fn session_count(&self) -> Result<usize, Error> {
        match self.ctx.record.as_deref() {
            Some(record) => self.one_login.session_count(record.subject()).await,
            None => Ok(0),
        }
    }

    /// Ends every session of this user, on every device and every instance sharing the store,
    /// this one included (the browser's cookie then names nothing). It does not sign the user
    /// out of GOV.UK One Login itself. Returns how many sessions were listed for the user.
    pub async fn sign_out_everywhere(&self) -> Result<usize, Error> {
        let (id, record) = self.live_for_ending()?;
        let ended = self.one_login.revoke_subject(record.subject()).await?;
        self.one_login.store().delete_data(id, record.subject()).await?;
        let cause = crate::hooks::RevocationCause::SignOutEverywhere;
        let revocation = crate::hooks::Revocation { subject: record.subject().clone(), cause, sessions: ended };
        self.one_login.hooks().revoked(revocation);
        Ok(ended)
    }
}
