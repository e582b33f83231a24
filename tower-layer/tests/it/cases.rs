//! The negative matrix's cases as both adapters' tests drive them through a real app: how to
//! spoil the stand-in for each, and the HTTP status the user must get. One file, two test
//! binaries (the actix tests include it by path). The exact typed errors are asserted in
//! core's `matrix` tests.

use govuk_one_login_mock::{CLIENT_ID, Fault, MockProvider, Tripwire};
use serde_json::json;

/// Spoils the stand-in (the tripwire is where forged headers and redirects point).
pub(crate) type Setup = Box<dyn Fn(&MockProvider, &Tripwire)>;

/// A callback case: its name, the URL built from a fresh and a used callback, the status.
pub(crate) type CallbackCase = (&'static str, fn(&str, &str) -> String, u16);
/// A logout case: its name and the token for a `sub`.
pub(crate) type LogoutCase = (&'static str, fn(&MockProvider, &str) -> String);

/// A case met at the callback of a sign-in (a step-up from a signed-in session to P2).
pub(crate) struct SignInCase {
    pub(crate) name: &'static str,
    pub(crate) setup: Setup,
    /// 303 for the cases that must be accepted (ignored headers, a rotated key).
    pub(crate) status: u16,
}

fn case(name: &'static str, status: u16, setup: impl Fn(&MockProvider, &Tripwire) + 'static) -> SignInCase {
    SignInCase { name, setup: Box::new(setup), status }
}

fn fault(name: &'static str, fault: Fault) -> SignInCase {
    case(name, 502, move |m, _| m.set_fault(fault))
}

/// Points `jku` and `x5u` at the tripwire and carries a forged `jwk` and `x5c`.
fn key_headers(m: &MockProvider, t: &Tripwire) {
    let (jku, x5u) = (t.url("/jwks.json"), t.url("/cert.pem"));
    m.set_id_token_edit(move |hd, _| {
        hd.jku = Some(jku.clone());
        hd.x5u = Some(x5u.clone());
        hd.jwk = serde_json::from_value(Tripwire::forged_key_jwk("forged")).ok();
        hd.x5c = Some(vec!["MIIBszCCAVmgAwIBAgIUJ3p0ZXN0".into()]);
    });
}

pub(crate) fn sign_in_cases() -> Vec<SignInCase> {
    vec![
        fault("ID token alg none", Fault::IdTokenAlgNone),
        fault("ID token HS256 keyed with the OP public key", Fault::IdTokenHs256WithPublicKey),
        case("ID token RS256 when ES256 is pinned", 502, |m, _| m.set_id_token_alg_rs256(true)),
        case("key-bearing headers on a good token are ignored", 303, key_headers),
        case("key-bearing headers naming the forging key", 502, |m, t| {
            key_headers(m, t);
            m.set_fault(Fault::IdTokenBadSignature);
        }),
        case("unknown crit", 502, |m, _| m.set_id_token_edit(|hd, _| hd.crit = Some(vec!["https://ext".into()]))),
        fault("a signature from an unknown key", Fault::IdTokenUnknownKey),
        case("kid absent while the JWKS holds several keys", 502, |m, _| {
            m.publish_next_signing_key(true);
            m.set_id_token_edit(|hd, _| hd.kid = None);
        }),
        case("a key rotated at the OP", 303, |m, _| m.rotate_signing_key()),
        fault("iss of another issuer", Fault::IdTokenWrongIssuer),
        case("iss without the trailing slash", 502, |m, _| {
            let iss = m.issuer().trim_end_matches('/').to_owned();
            m.set_id_token_edit(move |_, c| {
                c.insert("iss".into(), json!(iss));
            });
        }),
        fault("aud without us", Fault::IdTokenWrongAudience),
        case("aud array with an untrusted extra", 502, |m, _| {
            m.set_id_token_edit(|_, c| {
                c.insert("aud".into(), json!([CLIENT_ID, "untrusted-client"]));
                c.insert("azp".into(), json!(CLIENT_ID));
            });
        }),
        case("azp present and not us", 502, |m, _| {
            m.set_id_token_edit(|_, c| {
                c.insert("azp".into(), json!("another-client"));
            });
        }),
        fault("ID token expired", Fault::IdTokenExpired),
        fault("ID token iat far in the future", Fault::IdTokenNotYetValid),
        case("nonce missing", 502, |m, _| {
            m.set_id_token_edit(|_, c| {
                c.remove("nonce");
            });
        }),
        fault("nonce wrong", Fault::IdTokenWrongNonce),
        fault("vot lower than asked", Fault::IdTokenWrongVot),
        fault("userinfo sub differs", Fault::UserinfoWrongSubject),
        case("ID token sub differs", 502, |m, _| {
            m.set_id_token_edit(|_, c| {
                c.insert("sub".into(), json!("urn:fdc:gov.uk:2022:someone-else"));
            });
        }),
        fault("core identity sub differs", Fault::CoreIdentityWrongSubject),
        fault("core identity forged signature", Fault::CoreIdentityBadSignature),
        fault("core identity key not in the DID document", Fault::CoreIdentityUnknownKey),
        fault("core identity kid of another DID controller", Fault::CoreIdentityForeignController),
        fault("core identity wrong iss", Fault::CoreIdentityWrongIssuer),
        fault("core identity wrong aud", Fault::CoreIdentityWrongAudience),
        case("core identity vot below the route", 502, |m, _| m.set_identity_level(Some("P1"))),
        case("a token endpoint answering 302", 502, |m, t| m.set_token_redirect(Some((302, &t.url("/token"))))),
        case("a token endpoint answering 307", 502, |m, t| m.set_token_redirect(Some((307, &t.url("/token"))))),
    ]
}

/// Discovery documents no sign-in may start from (each on a fresh app: discovery is cached).
pub(crate) fn discovery_cases() -> Vec<(&'static str, Setup)> {
    let elsewhere = |field: &'static str| -> Setup {
        Box::new(move |m: &MockProvider, t: &Tripwire| {
            let url = t.url("/elsewhere");
            m.set_discovery_edit(move |d| {
                d.insert(field.into(), json!(url));
            });
        })
    };
    vec![
        (
            "issuer mismatch",
            Box::new(|m: &MockProvider, _: &Tripwire| {
                m.set_discovery_edit(|d| {
                    d.insert("issuer".into(), json!("https://evil.example/"));
                });
            }),
        ),
        ("authorization endpoint on another host", elsewhere("authorization_endpoint")),
        ("token endpoint on another host", elsewhere("token_endpoint")),
        ("userinfo endpoint on another host", elsewhere("userinfo_endpoint")),
        ("JWKS on another host", elsewhere("jwks_uri")),
        ("end-session endpoint on another host", elsewhere("end_session_endpoint")),
    ]
}

/// The longest parameter an in-process request can carry: an `http::Uri` holds at most
/// 65,534 bytes, so 100 KB callbacks are tried against a served app (the HTTP layer refuses
/// them before the library sees them).
pub(crate) const IN_PROCESS_BIG: usize = 60 * 1024;

/// A callback URL of 100 KB, for the served test.
pub(crate) fn callback_of_100_kb(path: &str) -> String {
    format!("{path}?code=c&state={}", "A".repeat(100 * 1024))
}

/// Callback URLs built from `fresh` (the path and query the stand-in sent back for a sign-in
/// not yet completed) and `used` (that of one completed already), with the status each gets.
pub(crate) fn callback_cases() -> Vec<CallbackCase> {
    vec![
        ("state missing", |fresh, _| edit_query(fresh, &[("state", None)]), 400),
        ("state unknown", |fresh, _| edit_query(fresh, &[("state", Some("forged-state"))]), 400),
        ("state reused", |_, used| used.to_owned(), 400),
        ("code reused", |fresh, used| edit_query(fresh, &[("code", param(used, "code").as_deref())]), 502),
        (
            "error with an unexpected value",
            |fresh, _| edit_query(fresh, &[("code", None), ("error", Some("<script>x</script>\r\nX: 1"))]),
            502,
        ),
        ("state of 60 KB", |fresh, _| edit_query(fresh, &[("state", Some(&"A".repeat(IN_PROCESS_BIG)))]), 400),
        ("code of 60 KB", |fresh, _| edit_query(fresh, &[("code", Some(&"A".repeat(IN_PROCESS_BIG)))]), 400),
        (
            "error_description of 60 KB",
            |fresh, _| {
                let big = "A".repeat(IN_PROCESS_BIG);
                edit_query(
                    fresh,
                    &[("code", None), ("error", Some("access_denied")), ("error_description", Some(&big))],
                )
            },
            400,
        ),
    ]
}

fn param(path_query: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(&format!("http://app.invalid{path_query}")).expect("a path and query");
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The path and query with each named parameter replaced (or removed, or added).
fn edit_query(path_query: &str, edits: &[(&str, Option<&str>)]) -> String {
    let mut url = url::Url::parse(&format!("http://app.invalid{path_query}")).expect("a path and query");
    let mut pairs: Vec<(String, String)> =
        url.query_pairs().into_owned().filter(|(k, _)| !edits.iter().any(|(n, _)| n == k)).collect();
    for (name, value) in edits {
        if let Some(v) = value {
            pairs.push(((*name).to_owned(), (*v).to_owned()));
        }
    }
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url[url::Position::BeforePath..].to_owned()
}

/// Logout tokens the back-channel route must answer 400, for `sub`.
pub(crate) fn logout_cases() -> Vec<LogoutCase> {
    vec![
        ("nonce", |m, sub| {
            m.logout_token_with(sub, |_, c| {
                c.insert("nonce".into(), json!("n"));
            })
        }),
        ("no events", |m, sub| {
            m.logout_token_with(sub, |_, c| {
                c.remove("events");
            })
        }),
        ("an extra event", |m, sub| {
            m.logout_token_with(sub, |_, c| {
                c.insert(
                    "events".into(),
                    json!({ "http://schemas.openid.net/event/backchannel-logout": {}, "https://other.example/e": {} }),
                );
            })
        }),
        ("expired", |m, sub| {
            m.logout_token_with(sub, |_, c| {
                let now = c["iat"].as_i64().unwrap_or_default();
                c.insert("iat".into(), json!(now - 600));
                c.insert("exp".into(), json!(now - 480));
            })
        }),
        ("sid only", |m, sub| {
            m.logout_token_with(sub, |_, c| {
                c.remove("sub");
                c.insert("sid".into(), json!("dX5xv0XgHh6yfD1xy-ss_1EDK0I"));
            })
        }),
    ]
}
