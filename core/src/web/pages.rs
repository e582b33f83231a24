//! Pages: what core asks the application to show, as typed data, and [`Pages`], the hook
//! that turns it into HTML. [`DefaultPages`] are plain, safe English pages: no internals, no
//! tokens, no personal data. Replace any of them on the builder
//! ([`OneLoginBuilder::pages`](crate::OneLoginBuilder::pages)).

use std::fmt;

use http::StatusCode;

use crate::error::{AuthorizeError, CallbackError, Error, OpErrorCode, ProviderError, TokenKind};
use crate::identity::ReturnCode;
use crate::return_path::ReturnPath;
use crate::store::StoreError;

/// The language of a page. GOV.UK services offer English and Welsh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub enum Locale {
    /// English (`en`).
    #[default]
    En,
    /// Welsh (`cy`).
    Cy,
}

impl Locale {
    /// `en` or `cy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Cy => "cy",
        }
    }
    /// `en` or `cy` (any case), as a `lang` cookie or query parameter names it; `None` for
    /// anything else.
    ///
    /// ```
    /// use govuk_one_login::web::Locale;
    /// assert_eq!(Locale::from_tag("cy"), Some(Locale::Cy));
    /// assert_eq!(Locale::from_tag("fr"), None);
    /// ```
    pub fn from_tag(tag: &str) -> Option<Self> {
        if tag.eq_ignore_ascii_case("cy") {
            Some(Locale::Cy)
        } else if tag.eq_ignore_ascii_case("en") {
            Some(Locale::En)
        } else {
            None
        }
    }
    /// Welsh when the header's most preferred language (highest `q`, first among equals) is
    /// `cy` or `cy-*`; English otherwise, and for a missing or unreadable header.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(header) = header.filter(|h| h.len() <= 1024) else { return Locale::En };
        let mut best: Option<(f32, &str)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            if !tag.is_empty() && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, tag));
            }
        }
        match best {
            Some((q, tag))
                if q > 0.0 && (tag.eq_ignore_ascii_case("cy") || tag.to_ascii_lowercase().starts_with("cy-")) =>
            {
                Locale::Cy
            }
            _ => Locale::En,
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong, in terms a page (and an API client) can act on. Its [`code`](Self::code)
/// is the machine-readable `error` of JSON bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The user stopped signing in or proving their identity (One Login's `access_denied`).
    SignInCancelled,
    /// One Login says the user is signed out (`login_required`): the local session ended too.
    SignedOut,
    /// The sign-in link expired or was already used (an unknown or replayed `state`, another
    /// browser's callback).
    LinkExpired,
    /// One Login's answer could not be verified; trying again usually works.
    SignInFailed,
    /// GOV.UK One Login says it is temporarily unavailable (`temporarily_unavailable`,
    /// `server_error`, or an answer of 429 or 5xx).
    OneLoginUnavailable,
    /// GOV.UK One Login could not be reached, or its answer could not be used.
    OneLoginUnreachable,
    /// The sign-out form's CSRF token was missing or wrong.
    SignOutFormExpired,
    /// This service's session store is unavailable.
    ServiceUnavailable,
    /// A problem with this service (its configuration or its registration with One Login): for
    /// example discovery naming another issuer than the one configured, a token endpoint that
    /// does not accept this client, or a 4xx answer from one of One Login's endpoints.
    ServiceError,
}

impl ProblemKind {
    /// Every kind.
    pub const ALL: &'static [ProblemKind] = &[
        ProblemKind::SignInCancelled,
        ProblemKind::SignedOut,
        ProblemKind::LinkExpired,
        ProblemKind::SignInFailed,
        ProblemKind::OneLoginUnavailable,
        ProblemKind::OneLoginUnreachable,
        ProblemKind::SignOutFormExpired,
        ProblemKind::ServiceUnavailable,
        ProblemKind::ServiceError,
    ];

    /// The machine-readable code, such as `sign_in_cancelled`.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::SignInCancelled => "sign_in_cancelled",
            ProblemKind::SignedOut => "signed_out",
            ProblemKind::LinkExpired => "link_expired",
            ProblemKind::SignInFailed => "sign_in_failed",
            ProblemKind::OneLoginUnavailable => "one_login_unavailable",
            ProblemKind::OneLoginUnreachable => "one_login_unreachable",
            ProblemKind::SignOutFormExpired => "sign_out_form_expired",
            ProblemKind::ServiceUnavailable => "service_unavailable",
            ProblemKind::ServiceError => "service_error",
        }
    }
    /// A sentence safe to show a user, in English.
    pub fn message(self) -> &'static str {
        match self {
            ProblemKind::SignInCancelled => {
                "You did not finish signing in or proving your identity. You can try again."
            }
            ProblemKind::SignedOut => "You have been signed out. Sign in again to continue.",
            ProblemKind::LinkExpired => {
                "This sign-in link has expired or was already used. Start again from the service."
            }
            ProblemKind::SignInFailed => "Sign-in could not be completed. Try again.",
            ProblemKind::OneLoginUnavailable => {
                "GOV.UK One Login is temporarily unavailable. Try again in a few minutes."
            }
            ProblemKind::OneLoginUnreachable => "GOV.UK One Login could not be reached. Try again in a few minutes.",
            ProblemKind::SignOutFormExpired => "The sign-out form has expired. Go back and try again.",
            ProblemKind::ServiceUnavailable => "Sorry, the service is unavailable. Try again in a few minutes.",
            ProblemKind::ServiceError => "Sorry, there is a problem with this service. Try again later.",
        }
    }
    /// A page title, in English.
    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::SignInCancelled | ProblemKind::SignedOut => "You need to sign in",
            ProblemKind::OneLoginUnavailable | ProblemKind::OneLoginUnreachable | ProblemKind::ServiceUnavailable => {
                "Sorry, the service is unavailable"
            }
            ProblemKind::ServiceError => "Sorry, there is a problem with the service",
            _ => "Sorry, there is a problem",
        }
    }
}

impl Error {
    /// What this error means for the user.
    pub fn problem_kind(&self) -> ProblemKind {
        match self {
            Error::Callback(CallbackError::OneLogin { code, .. }) => match code {
                OpErrorCode::AccessDenied => ProblemKind::SignInCancelled,
                OpErrorCode::LoginRequired => ProblemKind::SignedOut,
                OpErrorCode::TemporarilyUnavailable | OpErrorCode::ServerError => ProblemKind::OneLoginUnavailable,
                _ => ProblemKind::ServiceError,
            },
            Error::Callback(_) | Error::Authorize(AuthorizeError::InvalidSignInLink { .. }) => ProblemKind::LinkExpired,
            Error::Provider(error) => provider_problem(error),
            Error::Store(StoreError::Unavailable { .. } | StoreError::Full { .. })
            | Error::Authorize(AuthorizeError::TooManySignIns { .. }) => ProblemKind::ServiceUnavailable,
            Error::Token { kind: TokenKind::LogoutToken, .. } => ProblemKind::SignInFailed,
            Error::Token { .. } => ProblemKind::SignInFailed,
            _ => ProblemKind::ServiceError,
        }
    }
}

/// What a failure talking to One Login means for the user. An answer that only this service's
/// configuration or registration can cause (another issuer in discovery, a client the token
/// endpoint does not accept, a 4xx from an endpoint) is the service's problem, not One
/// Login's: saying One Login could not be reached would send the user, and the support desk,
/// the wrong way.
fn provider_problem(error: &ProviderError) -> ProblemKind {
    match error {
        ProviderError::IssuerMismatch { .. } => ProblemKind::ServiceError,
        // An expired or used code: a new sign-in works.
        ProviderError::TokenRequestRejected { error, .. } if error == "invalid_grant" => ProblemKind::SignInFailed,
        ProviderError::TokenRequestRejected { .. } => ProblemKind::ServiceError,
        ProviderError::Status { status: 429 | 500.., .. } => ProblemKind::OneLoginUnavailable,
        ProviderError::Status { .. } => ProblemKind::ServiceError,
        _ => ProblemKind::OneLoginUnreachable,
    }
}

/// An error page's facts.
#[derive(Debug, Clone, Copy)]
pub struct ProblemPage<'a> {
    pub(crate) kind: ProblemKind,
    pub(crate) status: StatusCode,
    pub(crate) locale: Locale,
    pub(crate) retry: Option<&'a str>,
    pub(crate) return_to: Option<&'a ReturnPath>,
}

impl<'a> ProblemPage<'a> {
    /// What went wrong.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }
    /// The status the page is sent with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The language to write it in.
    pub fn locale(&self) -> Locale {
        self.locale
    }
    /// A local link that tries again (a new sign-in, or the page the user asked for), when
    /// trying again can help.
    pub fn retry(&self) -> Option<&'a str> {
        self.retry
    }
    /// Where the user was going, when known.
    pub fn return_to(&self) -> Option<&'a ReturnPath> {
        self.return_to
    }
}

/// The facts of the page shown when One Login signed the user in but could not confirm their
/// identity (a `coreIdentityJWT` was asked for and none came). The user is signed in.
#[derive(Debug, Clone, Copy)]
pub struct IdentityNotProvenPage<'a> {
    pub(crate) locale: Locale,
    pub(crate) return_to: &'a ReturnPath,
    pub(crate) retry: &'a str,
    pub(crate) return_codes: &'a [ReturnCode],
}

impl<'a> IdentityNotProvenPage<'a> {
    /// The language to write it in.
    pub fn locale(&self) -> Locale {
        self.locale
    }
    /// Where the user was going.
    pub fn return_to(&self) -> &'a ReturnPath {
        self.return_to
    }
    /// A local link that starts identity verification again, back to the same place.
    pub fn retry(&self) -> &'a str {
        self.retry
    }
    /// One Login's return codes, which say why (agreed with One Login per service).
    pub fn return_codes(&self) -> &'a [ReturnCode] {
        self.return_codes
    }
}

/// The hook that renders core's pages. Each method returns the HTML body; core sends it with
/// the page's status, `content-type: text/html` and `cache-control: no-store`. Every method
/// has a default ([`DefaultPages`]'s), so override only the pages you restyle.
///
/// ```
/// use govuk_one_login::web::{DefaultPages, Locale, Pages, ProblemPage};
///
/// #[derive(Debug)]
/// struct Branded;
/// impl Pages for Branded {
///     fn problem(&self, page: &ProblemPage<'_>) -> String {
///         let lang = page.locale();
///         format!("<html lang=\"{lang}\"><h1>{}</h1><p>{}</p></html>", page.kind().title(), page.kind().message())
///     }
/// }
/// // `identity_not_proven` keeps the default page.
/// # let _ = DefaultPages;
/// ```
pub trait Pages: fmt::Debug + Send + Sync + 'static {
    /// An error page: a refused callback, One Login unreachable, an expired sign-out form, the
    /// store unavailable.
    fn problem(&self, page: &ProblemPage<'_>) -> String {
        default_problem(page)
    }
    /// The user signed in, but their identity could not be confirmed.
    fn identity_not_proven(&self, page: &IdentityNotProvenPage<'_>) -> String {
        default_identity_not_proven(page)
    }
}

/// The pages core shows unless the builder is given others: plain, in English.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultPages;

impl Pages for DefaultPages {}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn layout(locale: Locale, title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{locale}\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><main><h1>{t}</h1>{body_html}</main></body></html>",
        t = escape_html(title)
    )
}

/// [`DefaultPages`]' error page, for a [`Pages`] that wraps it.
pub fn default_problem(page: &ProblemPage<'_>) -> String {
    let retry =
        page.retry.map(|link| format!("<p><a href=\"{}\">Try again</a></p>", escape_html(link))).unwrap_or_default();
    let body =
        format!("<p>{}</p>{retry}<p><a href=\"/\">Go to the start page</a></p>", escape_html(page.kind.message()));
    layout(page.locale, page.kind.title(), &body)
}

/// [`DefaultPages`]' page for an identity that could not be confirmed.
pub fn default_identity_not_proven(page: &IdentityNotProvenPage<'_>) -> String {
    let body = format!(
        "<p>You are signed in, but GOV.UK One Login could not confirm your identity.</p>\
         <p><a href=\"{}\">Try again</a></p><p><a href=\"/\">Go to the start page</a></p>",
        escape_html(page.retry)
    );
    layout(page.locale, "We could not confirm your identity", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Endpoint;

    #[test]
    fn a_misconfiguration_is_the_services_problem_and_an_outage_is_one_logins() {
        let kind = |e: ProviderError| Error::Provider(e).problem_kind();
        let issuer = |s: &str| s.to_owned();
        let status = |status| ProviderError::Status { endpoint: Endpoint::Discovery, status };
        let rejected = |e: &str| ProviderError::TokenRequestRejected { error: e.into(), description: None };
        let mismatch = ProviderError::IssuerMismatch { expected: issuer("http://a/"), found: issuer("http://b/") };
        assert_eq!(kind(mismatch), ProblemKind::ServiceError);
        assert_eq!(kind(rejected("invalid_client")), ProblemKind::ServiceError);
        assert_eq!(kind(rejected("unauthorized_client")), ProblemKind::ServiceError);
        assert_eq!(kind(rejected("invalid_grant")), ProblemKind::SignInFailed);
        assert_eq!(kind(status(404)), ProblemKind::ServiceError);
        assert_eq!(kind(status(403)), ProblemKind::ServiceError);
        assert_eq!(kind(status(302)), ProblemKind::ServiceError);
        assert_eq!(kind(status(429)), ProblemKind::OneLoginUnavailable);
        assert_eq!(kind(status(503)), ProblemKind::OneLoginUnavailable);
        let timeout = ProviderError::Timeout { endpoint: Endpoint::Token, url: "https://op/token".into() };
        assert_eq!(kind(timeout), ProblemKind::OneLoginUnreachable);
        assert_eq!(
            ProblemKind::ServiceError.message(),
            "Sorry, there is a problem with this service. Try again later."
        );
    }

    #[test]
    fn welsh_only_when_preferred() {
        assert_eq!(Locale::from_accept_language(Some("cy")), Locale::Cy);
        assert_eq!(Locale::from_accept_language(Some("cy-GB,en;q=0.8")), Locale::Cy);
        assert_eq!(Locale::from_accept_language(Some("en-GB,cy;q=0.8")), Locale::En);
        assert_eq!(Locale::from_accept_language(Some("en;q=0.5, cy;q=0.9")), Locale::Cy);
        assert_eq!(Locale::from_accept_language(Some("cy;q=0")), Locale::En);
        assert_eq!(Locale::from_accept_language(Some("cymraeg")), Locale::En);
        assert_eq!(Locale::from_accept_language(None), Locale::En);
        assert_eq!(Locale::from_accept_language(Some(";;,,q=")), Locale::En);
    }

    #[test]
    fn default_pages_escape_what_they_show() {
        let back = ReturnPath::parse("/a").unwrap();
        let page = ProblemPage {
            kind: ProblemKind::LinkExpired,
            status: StatusCode::BAD_REQUEST,
            locale: Locale::Cy,
            retry: Some("/auth/login?a=1&b=\"2\""),
            return_to: Some(&back),
        };
        let html = DefaultPages.problem(&page);
        assert!(html.contains("lang=\"cy\""));
        assert!(html.contains("href=\"/auth/login?a=1&amp;b=&quot;2&quot;\""), "{html}");
        assert!(!html.contains("\"2\""));
    }
}
