//! Return paths: where to land after sign-in. Only local paths are kept, so a crafted link can
//! never send a user to another site (no open redirects).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A local path (and query) to return to after sign-in, such as `/apply?step=2`.
///
/// It serialises as its string; deserialising goes through [`ReturnPath::parse`], so a stored
/// or submitted value that is not a local path is refused rather than trusted.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ReturnPath(String);

/// The longest return path kept.
const MAX_LEN: usize = 1024;

impl ReturnPath {
    /// Accepts `candidate` only if it is a local absolute path: it starts with one `/`, has no
    /// backslash, no scheme or authority, only visible ASCII (so it is a valid `Location`
    /// header; request targets are already percent-encoded) without `"`, `'`, `<`, `>` or a
    /// backtick (so it is inert in any HTML attribute a page puts it in), and is at most 1024
    /// bytes.
    pub fn parse(candidate: &str) -> Option<Self> {
        let ok = candidate.starts_with('/')
            && !candidate.starts_with("//")
            && candidate.len() <= MAX_LEN
            && !candidate.contains('\\')
            && candidate.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '`'))
            && !candidate.to_ascii_lowercase().contains("%5c")
            && !candidate.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("/%2f"));
        ok.then(|| Self(candidate.to_owned()))
    }

    /// Like [`ReturnPath::parse`], falling back to `/`.
    pub fn parse_or_root(candidate: &str) -> Self {
        Self::parse(candidate).unwrap_or_else(Self::root)
    }

    /// `/`.
    pub fn root() -> Self {
        Self("/".into())
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ReturnPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let candidate = String::deserialize(d)?;
        Self::parse(&candidate).ok_or_else(|| serde::de::Error::custom("not a local return path"))
    }
}

impl fmt::Debug for ReturnPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReturnPath({:?})", self.0)
    }
}

impl fmt::Display for ReturnPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn html_significant_characters_are_refused() {
        for bad in ["/x\"><script>", "/x'onload='1", "/a<b", "/a>b", "/a`b"] {
            assert!(ReturnPath::parse(bad).is_none(), "{bad}");
        }
        assert!(ReturnPath::parse("/apply?name=%22x%22").is_some(), "encoded quotes are fine");
    }

    #[test]
    fn keeps_local_paths() {
        for p in ["/", "/account", "/apply?step=2&x=%20", "/a/b#frag"] {
            assert_eq!(ReturnPath::parse(p).unwrap().as_str(), p);
        }
    }

    #[test]
    fn refuses_open_redirects() {
        for p in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%2F%2Fevil.example",
            "/%2fevil.example",
            "/%5cevil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/\t/evil.example",
            "/\n",
            " /x",
            "/caf\u{e9}",
        ] {
            assert!(ReturnPath::parse(p).is_none(), "{p:?} must be refused");
        }
        assert_eq!(ReturnPath::parse_or_root("//evil").as_str(), "/");
        assert!(ReturnPath::parse(&format!("/{}", "a".repeat(1100))).is_none());
    }

    #[test]
    fn refuses_every_listed_trick() {
        for p in [
            // Doubled slashes, raw and percent-encoded in either case.
            "//evil.example",
            "///evil.example",
            "/%2f%2fevil.example",
            "/%2F%2fevil.example",
            "/%2f/evil.example",
            // Backslashes, which browsers read as slashes.
            "/\\evil.example",
            "\\/evil.example",
            "/%5Cevil.example",
            "/x/%5c/evil.example",
            // Tabs, CR and LF, which browsers strip before parsing (`/\t/evil` becomes `//evil`)
            // and which would split a Location header.
            "/\t/evil.example",
            "/\t\t/evil.example",
            "/\r/evil.example",
            "/\n/evil.example",
            "/\r\nLocation: https://evil.example",
            "/\r\nSet-Cookie: x=1",
            // Unicode look-alikes of the slash, the backslash, the dot and the colon.
            "/\u{ff0f}evil.example",
            "/\u{2215}evil.example",
            "/\u{2044}evil.example",
            "/\u{ff3c}evil.example",
            "/\u{29f5}evil.example",
            "/evil\u{3002}example",
            "/\u{fe55}evil",
            // Other whitespace and controls.
            " /x",
            "/\u{0}/evil.example",
            "/\u{a0}/evil.example",
            "/\u{200b}/evil.example",
        ] {
            assert!(ReturnPath::parse(p).is_none(), "{p:?} must be refused");
        }
    }

    #[test]
    fn dot_segments_that_are_kept_stay_on_this_host() {
        // Browsers resolve `..` and `%2e%2e` segments; what remains is still a path on this host.
        let base = url::Url::parse("https://service.example/start").unwrap();
        for p in ["/..//evil.example", "/%2e%2e//evil.example", "/.%2e/%2e//evil.example", "/./evil.example"] {
            if let Some(kept) = ReturnPath::parse(p) {
                assert_eq!(base.join(kept.as_str()).unwrap().host_str(), Some("service.example"), "{p}");
            }
        }
    }

    #[test]
    fn deserializing_goes_through_parse() {
        for p in ["//evil.example", "https://x", "/\\evil.example", "/%2f/evil.example", "", "evil"] {
            let r = serde_json::from_value::<ReturnPath>(serde_json::json!(p));
            assert!(r.is_err(), "{p:?} must be refused when deserialised, got {r:?}");
        }
        let kept: ReturnPath = serde_json::from_str(r#""/apply?step=2""#).unwrap();
        assert_eq!(kept.as_str(), "/apply?step=2");
        assert_eq!(serde_json::to_string(&kept).unwrap(), r#""/apply?step=2""#);
    }

    proptest! {
        #[test]
        fn whatever_is_kept_stays_on_this_host(s in "\\PC{0,60}") {
            if let Some(p) = ReturnPath::parse(&s) {
                let base = url::Url::parse("https://service.example/start").unwrap();
                let joined = base.join(p.as_str()).unwrap();
                prop_assert_eq!(joined.host_str(), Some("service.example"));
                prop_assert_eq!(joined.scheme(), "https");
            }
        }

        #[test]
        fn crafted_prefixes_never_pass(host in "[a-z]{1,10}\\.[a-z]{2,3}", sep in prop::sample::select(vec!["//", "/\\", "\\/", "https://", "http:", "/%2f/", "/%5C"])) {
            let candidate = format!("{sep}{host}");
            prop_assert!(ReturnPath::parse(&candidate).is_none());
        }
    }
}
