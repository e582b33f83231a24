//! [`RequestInfo`]: the request facts core's decisions and routes read, and what makes a
//! request an API call.

use cookie::Cookie;

use super::pages::Locale;

/// The cookie that carries a user's explicit choice of language (`en` or `cy`), as a GOV.UK
/// service's language switch sets it. Adapters read it into [`RequestInfo::lang`]: it wins
/// over `Accept-Language` for core's pages, and a sign-in started with it asks One Login for
/// its pages in that language (`ui_locales`). The application sets it (core never does).
pub const LANG_COOKIE: &str = "lang";

/// The locale a request's [`LANG_COOKIE`] names, read from every `Cookie` header of the
/// request in order (the first `lang` wins); `None` without one, or for a value other than
/// `en` or `cy`.
///
/// ```
/// use govuk_one_login::web::{Locale, lang_preference};
/// assert_eq!(lang_preference(["a=1; lang=cy"]), Some(Locale::Cy));
/// assert_eq!(lang_preference(["lang=fr"]), None);
/// ```
pub fn lang_preference<'a>(cookie_headers: impl IntoIterator<Item = &'a str>) -> Option<Locale> {
    for header in cookie_headers {
        // Every request through an extractor comes here: a header without the name anywhere
        // is passed over without being parsed.
        if !header.contains(LANG_COOKIE) {
            continue;
        }
        for c in Cookie::split_parse(header).flatten() {
            if c.name_raw() == Some(LANG_COOKIE) {
                return c.value_raw().and_then(Locale::from_tag);
            }
        }
    }
    None
}

/// The facts of one request that the guard and the routes read. Adapters fill it from their
/// framework's request; nothing else of the request reaches core.
///
/// ```
/// use govuk_one_login::web::RequestInfo;
/// let info = RequestInfo::new("GET", "/apply?step=2").accept(Some("text/html")).accept_language(Some("cy"));
/// assert_eq!(info.path(), "/apply");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    method: &'a str,
    path_and_query: &'a str,
    accept: Option<&'a str>,
    accept_language: Option<&'a str>,
    lang: Option<Locale>,
    content_type: Option<&'a str>,
    fetch_site: Option<&'a str>,
    fetch_mode: Option<&'a str>,
    api: bool,
}

impl<'a> RequestInfo<'a> {
    /// A request with this method (such as `GET`) and path and query (such as
    /// `/apply?step=2`: where to come back to after a sign-in).
    pub fn new(method: &'a str, path_and_query: &'a str) -> Self {
        Self {
            method,
            path_and_query,
            accept: None,
            accept_language: None,
            lang: None,
            content_type: None,
            fetch_site: None,
            fetch_mode: None,
            api: false,
        }
    }
    /// The `Accept` header.
    pub fn accept(mut self, accept: Option<&'a str>) -> Self {
        self.accept = accept;
        self
    }
    /// The `Accept-Language` header: pages are in Welsh when it prefers `cy`.
    pub fn accept_language(mut self, accept_language: Option<&'a str>) -> Self {
        self.accept_language = accept_language;
        self
    }
    /// The user's explicit choice of language (the [`LANG_COOKIE`], read with
    /// [`lang_preference`]): when set, core's pages are in it whatever `Accept-Language` says,
    /// and a sign-in this request starts sends it to One Login as `ui_locales`, in place of
    /// the configured [`ui_locales`](crate::ConfigBuilder::ui_locales).
    ///
    /// ```
    /// use govuk_one_login::web::{Locale, RequestInfo};
    /// let info = RequestInfo::new("GET", "/").accept_language(Some("en")).lang(Some(Locale::Cy));
    /// assert_eq!(info.locale(), Locale::Cy);
    /// ```
    pub fn lang(mut self, lang: Option<Locale>) -> Self {
        self.lang = lang;
        self
    }
    /// The `Content-Type` header (the back-channel logout route reads it).
    pub fn content_type(mut self, content_type: Option<&'a str>) -> Self {
        self.content_type = content_type;
        self
    }
    /// The `Sec-Fetch-Site` header (browsers send it): the sign-out route refuses a
    /// cross-site post that carries no session.
    pub fn fetch_site(mut self, fetch_site: Option<&'a str>) -> Self {
        self.fetch_site = fetch_site;
        self
    }
    /// The `Sec-Fetch-Mode` header (browsers send it with `Sec-Fetch-Site`): a request from
    /// another site may change session data only as a top-level navigation (`navigate`).
    pub fn fetch_mode(mut self, fetch_mode: Option<&'a str>) -> Self {
        self.fetch_mode = fetch_mode;
        self
    }
    /// Whether the browser says this is a top-level navigation, GET or HEAD: what a link, a
    /// typed address or One Login's redirect back is (`Sec-Fetch-Mode: navigate`), not an
    /// image, a script or a `fetch` another page made.
    pub(crate) fn is_navigation(&self) -> bool {
        matches!(self.method, "GET" | "HEAD") && self.fetch_mode.is_some_and(|m| m.eq_ignore_ascii_case("navigate"))
    }
    /// Whether the browser says the request came from another site (`Sec-Fetch-Site:
    /// cross-site` or `same-site`); `false` when the header is missing.
    pub fn is_cross_site(&self) -> bool {
        self.fetch_site.is_some_and(|s| !(s.eq_ignore_ascii_case("same-origin") || s.eq_ignore_ascii_case("none")))
    }
    /// Marks the request as an API call whatever its headers: it gets 401/403 JSON, never a
    /// redirect. Adapters set it for routes declared as APIs.
    pub fn api(mut self, api: bool) -> Self {
        self.api |= api;
        self
    }

    /// The method.
    pub fn method(&self) -> &'a str {
        self.method
    }
    /// The path and query.
    pub fn path_and_query(&self) -> &'a str {
        self.path_and_query
    }
    /// The path alone.
    pub fn path(&self) -> &'a str {
        self.path_and_query.split_once('?').map_or(self.path_and_query, |(p, _)| p)
    }
    /// The query alone (empty when there is none).
    pub fn query(&self) -> &'a str {
        self.path_and_query.split_once('?').map_or("", |(_, q)| q)
    }
    /// The `Content-Type` header.
    pub fn content_type_header(&self) -> Option<&'a str> {
        self.content_type
    }
    /// The `Accept-Language` header.
    pub fn accept_language_header(&self) -> Option<&'a str> {
        self.accept_language
    }
    /// The user's explicit choice of language ([`RequestInfo::lang`]), if any.
    pub fn lang_choice(&self) -> Option<Locale> {
        self.lang
    }
    /// The locale pages are rendered in: the explicit choice ([`RequestInfo::lang`]) when
    /// there is one, otherwise Welsh when `Accept-Language`'s most preferred language is `cy`,
    /// and English otherwise.
    pub fn locale(&self) -> Locale {
        self.lang.unwrap_or_else(|| Locale::from_accept_language(self.accept_language))
    }

    /// Whether the request is an API call by its own facts: marked with [`RequestInfo::api`],
    /// `Accept` names `application/json` without preferring HTML, or a method other than
    /// GET/HEAD (which a redirect to One Login could not complete). The engine adds the
    /// configured API paths ([`OneLoginBuilder::api_paths`](crate::OneLoginBuilder::api_paths)).
    pub(crate) fn is_api_by_headers(&self) -> bool {
        self.api
            || self.accept.is_some_and(accepts_json)
            || !(self.method.eq_ignore_ascii_case("GET") || self.method.eq_ignore_ascii_case("HEAD"))
    }
}

/// JSON is asked for when `application/json` is listed and `text/html` is not listed before it.
fn accepts_json(accept: &str) -> bool {
    let accept = accept.to_ascii_lowercase();
    match (accept.find("application/json"), accept.find("text/html")) {
        (Some(json), Some(html)) => json < html,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Whether `path` is `prefix` or lies below it (`/api` covers `/api` and `/api/x`, not `/apix`).
pub(crate) fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty() || path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_requests_are_json_non_get_or_marked() {
        let info = |method, accept| RequestInfo::new(method, "/").accept(accept);
        assert!(!info("GET", None).is_api_by_headers());
        assert!(!info("HEAD", Some("text/html")).is_api_by_headers());
        assert!(info("GET", Some("application/json")).is_api_by_headers());
        assert!(info("GET", Some("Application/JSON;q=0.9, text/html")).is_api_by_headers());
        assert!(!info("GET", Some("text/html, application/json;q=0.9")).is_api_by_headers(), "a browser");
        assert!(info("POST", None).is_api_by_headers(), "a redirect could not replay a POST");
        assert!(info("DELETE", Some("text/html")).is_api_by_headers());
        assert!(info("GET", None).api(true).is_api_by_headers(), "a route declared an API");
        assert!(info("GET", None).api(true).api(false).is_api_by_headers(), "a declaration is not undone");
    }

    #[test]
    fn the_lang_cookie_wins_over_accept_language() {
        assert_eq!(lang_preference(["x=1", "y=2; lang=CY; lang=en"]), Some(Locale::Cy));
        assert_eq!(lang_preference(["lang=en"]), Some(Locale::En));
        assert_eq!(lang_preference(["language=cy", "lang="]), None);
        assert_eq!(lang_preference(std::iter::empty()), None);
        let info = RequestInfo::new("GET", "/").accept_language(Some("cy"));
        assert_eq!(info.locale(), Locale::Cy);
        assert_eq!(info.lang(Some(Locale::En)).locale(), Locale::En);
        assert_eq!(info.lang(None).lang_choice(), None);
    }

    #[test]
    fn paths_under_a_prefix() {
        assert!(under("/api", "/api"));
        assert!(under("/api/me", "/api/"));
        assert!(!under("/apix", "/api"));
        assert!(!under("/", "/api"));
        assert_eq!(RequestInfo::new("GET", "/a/b?c=d").path(), "/a/b");
        assert_eq!(RequestInfo::new("GET", "/a/b?c=d").query(), "c=d");
    }
}
