//! The cookies: a session id and a flow binding, both HttpOnly, SameSite=Lax, Path=/, and
//! `__Host-` prefixed with `Secure` unless the service runs on plain http loopback.

use cookie::{Cookie, SameSite};

use crate::config::Config;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "__Host-one-login-session";
/// The session cookie's name on plain http loopback (development), where `__Host-` and
/// `Secure` cannot be used.
pub const SESSION_COOKIE_INSECURE: &str = "one-login-session";
/// The flow cookie's name (binds pending logins to the browser that started them).
pub const FLOW_COOKIE: &str = "__Host-one-login-flow";
/// The flow cookie's name on plain http loopback.
pub const FLOW_COOKIE_INSECURE: &str = "one-login-flow";

pub(crate) struct Names {
    pub(crate) session: &'static str,
    pub(crate) flow: &'static str,
    pub(crate) secure: bool,
}

impl Names {
    pub(crate) fn for_config(config: &Config) -> Self {
        if config.secure_cookies() {
            Names { session: SESSION_COOKIE, flow: FLOW_COOKIE, secure: true }
        } else {
            Names { session: SESSION_COOKIE_INSECURE, flow: FLOW_COOKIE_INSECURE, secure: false }
        }
    }
}

/// The longest value of either of our cookies that is read (a session id is 43 characters, a
/// flow cookie 22); a longer one is not ours.
const MAX_VALUE: usize = 128;

/// (session id, flow cookie) from a `Cookie` header, however many other cookies it carries (a
/// sibling domain's cookie bomb must not hide ours); only our values are bounded.
pub(crate) fn read(header: Option<&str>, names: &Names) -> (Option<String>, Option<String>) {
    let (session, flow) = read_headers(header, names);
    (session.map(str::to_owned), flow.map(str::to_owned))
}

/// [`read`] over every `Cookie` header of a request, in order, without joining them: the
/// first value of each name wins, as in one joined header.
pub(crate) fn read_headers<'a>(
    headers: impl IntoIterator<Item = &'a str>,
    names: &Names,
) -> (Option<&'a str>, Option<&'a str>) {
    let (mut session, mut flow) = (None, None);
    for header in headers {
        for c in Cookie::split_parse(header).flatten() {
            // Slices of the header itself (`split_parse` of a `&str` only borrows).
            let (Some(name), Some(value)) = (c.name_raw(), c.value_raw()) else { continue };
            if value.len() > MAX_VALUE {
                continue;
            }
            if name == names.session && session.is_none() {
                session = Some(value);
            } else if name == names.flow && flow.is_none() {
                flow = Some(value);
            }
        }
        if session.is_some() && flow.is_some() {
            break;
        }
    }
    (session, flow)
}

pub(crate) fn set(name: &'static str, value: &str, max_age_secs: i64, secure: bool) -> String {
    Cookie::build((name, value.to_owned()))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes() {
        let c = set(SESSION_COOKIE, "abc", 60, true);
        for part in ["__Host-one-login-session=abc", "HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=60"] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
        assert!(!c.contains("Domain"), "__Host- cookies have no Domain");
        assert!(!set(SESSION_COOKIE_INSECURE, "abc", 60, false).contains("Secure"));
    }

    #[test]
    fn reads_only_our_cookies() {
        let names = Names { session: SESSION_COOKIE, flow: FLOW_COOKIE, secure: true };
        let (s, f) =
            read(Some("a=1; __Host-one-login-session=S; __Host-one-login-flow=F; one-login-session=X"), &names);
        assert_eq!((s.as_deref(), f.as_deref()), (Some("S"), Some("F")));
        assert_eq!(read(Some("garbage;;=;"), &names), (None, None));
        assert_eq!(read(Some(&"a".repeat(9000)), &names), (None, None));
        // Ours are found behind 20 KB of other cookies (a cookie bomb from a sibling domain).
        let bomb = format!("junk={}; ", "x".repeat(45)).repeat(400);
        let (s, f) = read(Some(&format!("{bomb}__Host-one-login-session=S; __Host-one-login-flow=F")), &names);
        assert_eq!((s.as_deref(), f.as_deref()), (Some("S"), Some("F")));
        // A value too long to be ours is not read.
        let long = format!("__Host-one-login-session={}", "S".repeat(200));
        assert_eq!(read(Some(&long), &names), (None, None));
        assert_eq!(read(None, &names), (None, None));
    }

    #[test]
    fn reads_across_headers_as_if_joined() {
        let names = Names { session: SESSION_COOKIE, flow: FLOW_COOKIE, secure: true };
        let headers = ["a=1; __Host-one-login-session=S1", "__Host-one-login-flow=F; __Host-one-login-session=S2"];
        assert_eq!(read_headers(headers, &names), (Some("S1"), Some("F")), "the first of each name wins");
        let joined = headers.join("; ");
        assert_eq!(read(Some(&joined), &names), (Some("S1".to_owned()), Some("F".to_owned())));
        let long = format!("__Host-one-login-session={}", "S".repeat(200));
        assert_eq!(read_headers([long.as_str(), "__Host-one-login-session=S"], &names), (Some("S"), None));
        assert_eq!(read_headers(["garbage;;=;", "=x", ""], &names), (None, None));
        assert_eq!(read_headers(Vec::<&str>::new(), &names), (None, None));
    }
}
