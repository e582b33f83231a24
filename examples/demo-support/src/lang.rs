//! The language switch: a link to the current page with `?lang=cy` (or `?lang=en`) sets the
//! `lang` cookie ([`LANG_COOKIE`]) and comes back to the same page without it. Core reads the
//! cookie for its own pages and for One Login's (`ui_locales`); the demos' pages read it
//! through [`SessionHandle::locale`](govuk_one_login::web::SessionHandle::locale).

use govuk_one_login::ReturnPath;
use govuk_one_login::web::{LANG_COOKIE, Locale};

/// A year, in seconds: how long the choice is kept.
const ONE_YEAR: u32 = 365 * 24 * 3600;

/// The answer to a language switch: a `303` to [`location`](Self::location), setting
/// [`set_cookie`](Self::set_cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LangSwitch {
    /// The same path, with the rest of the query (a local path: never another site).
    pub location: String,
    /// The `Set-Cookie` value.
    pub set_cookie: String,
}

/// A language switch, when a GET or HEAD request's query has `lang=en` or `lang=cy`; `None`
/// otherwise (another value is ignored, as is the parameter on other methods).
pub fn switch(method: &str, path_and_query: &str) -> Option<LangSwitch> {
    if !(method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")) {
        return None;
    }
    let (path, query) = path_and_query.split_once('?')?;
    let mut locale = None;
    let mut rest = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k == "lang" {
            locale = locale.or(Locale::from_tag(&v));
        } else {
            rest.append_pair(&k, &v);
        }
    }
    let locale = locale?;
    let rest = rest.finish();
    let target = if rest.is_empty() { path.to_owned() } else { format!("{path}?{rest}") };
    Some(LangSwitch {
        // Only a local path: `//other.example?lang=cy` must not send the browser away.
        location: ReturnPath::parse_or_root(&target).as_str().to_owned(),
        set_cookie: format!("{LANG_COOKIE}={locale}; Path=/; Max-Age={ONE_YEAR}; SameSite=Lax; HttpOnly"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_sets_the_cookie_and_keeps_the_page() {
        let s = switch("GET", "/account?lang=cy").unwrap();
        assert_eq!(s.location, "/account");
        assert_eq!(s.set_cookie, "lang=cy; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly");
        assert_eq!(switch("GET", "/a?x=1&lang=en&y=%3C").unwrap().location, "/a?x=1&y=%3C");
        assert!(switch("GET", "/a?lang=fr").is_none());
        assert!(switch("GET", "/a").is_none());
        assert!(switch("POST", "/a?lang=cy").is_none());
        assert_eq!(switch("GET", "//evil.example/?lang=cy").unwrap().location, "/");
    }
}
