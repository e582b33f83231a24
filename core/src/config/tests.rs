use std::collections::HashMap;

use super::*;

/// A key of no one's (the stand-in's own test key signs for loopback issuers only).
const RP_KEY: &str = include_str!("../../../tests/mock-provider/keys/other-rsa.pem");
const STAND_IN_KEY: &str = include_str!("../../../tests/mock-provider/keys/rp-rsa.pem");
const EC_KEY: &str = include_str!("../../../tests/mock-provider/keys/rogue-ec.pem");

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

fn base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ONE_LOGIN_ENVIRONMENT", "integration"),
        ("ONE_LOGIN_CLIENT_ID", "client-1"),
        ("ONE_LOGIN_PRIVATE_KEY", RP_KEY),
        ("ONE_LOGIN_REDIRECT_URI", "https://service.example/auth/callback"),
    ]
}

fn with(extra: &[(&'static str, &'static str)]) -> Result<Config, ConfigError> {
    let mut v = base();
    for (k, val) in extra {
        v.retain(|(k2, _)| k2 != k);
        if !val.is_empty() {
            v.push((k, val));
        }
    }
    Config::from_vars(vars(&v))
}

fn invalid_var(r: Result<Config, ConfigError>) -> &'static str {
    match r {
        Err(
            ConfigError::Invalid { origin: ConfigSource::Env(var), .. }
            | ConfigError::Missing { origin: ConfigSource::Env(var), .. },
        ) => var,
        other => panic!("expected a variable error, got {other:?}"),
    }
}

#[test]
fn integration_preset_fills_every_url() {
    let c = with(&[]).unwrap();
    assert_eq!(c.issuer(), "https://oidc.integration.account.gov.uk/");
    assert_eq!(c.discovery_url, "https://oidc.integration.account.gov.uk/.well-known/openid-configuration");
    assert_eq!(c.identity_issuer(), "https://identity.integration.account.gov.uk/");
    assert_eq!(c.did_url(), "https://identity.integration.account.gov.uk/.well-known/did.json");
    assert_eq!(c.scopes(), ["openid", "email", "phone"]);
    assert_eq!(c.callback_path(), "/auth/callback");
    assert!(c.secure_cookies());
    assert!(c.request_objects());
    assert_eq!(c.request_object_form(), RequestObjectForm::OneLogin, "as One Login's tools send it");
    assert_eq!(c.clock_skew(), Duration::from_secs(30));
    assert_eq!(c.identity_claims(), [IdentityClaim::CoreIdentity]);
}

#[test]
fn identity_claims_from_env_always_include_the_core_identity() {
    let c = with(&[("ONE_LOGIN_IDENTITY_CLAIMS", "address, returnCode address")]).unwrap();
    assert_eq!(c.identity_claims(), [IdentityClaim::CoreIdentity, IdentityClaim::Address, IdentityClaim::ReturnCode]);
    assert_eq!(
        invalid_var(with(&[("ONE_LOGIN_IDENTITY_CLAIMS", "socialSecurityRecord")])),
        "ONE_LOGIN_IDENTITY_CLAIMS"
    );
}

#[test]
fn identity_reuse_max_age_from_env() {
    assert_eq!(with(&[]).unwrap().identity_reuse_max_age(), Duration::from_secs(3600));
    let c = with(&[("ONE_LOGIN_IDENTITY_REUSE_MAX_AGE", "10m")]).unwrap();
    assert_eq!(c.identity_reuse_max_age(), Duration::from_secs(600));
    assert_eq!(with(&[("ONE_LOGIN_IDENTITY_REUSE_MAX_AGE", "0")]).unwrap().identity_reuse_max_age(), Duration::ZERO);
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_IDENTITY_REUSE_MAX_AGE", "soon")])), "ONE_LOGIN_IDENTITY_REUSE_MAX_AGE");
}

#[test]
fn request_object_form_from_env() {
    let custom = [("ONE_LOGIN_ENVIRONMENT", ""), ("ONE_LOGIN_ISSUER", "http://127.0.0.1:3000")];
    assert_eq!(
        with(&custom).unwrap().request_object_form(),
        RequestObjectForm::OneLogin,
        "a custom issuer is the stand-in or One Login's simulator, which refuses a claims object"
    );
    for (text, form) in [("standard", RequestObjectForm::Standard), (" One-Login ", RequestObjectForm::OneLogin)] {
        let c = with(&[custom[0], custom[1], ("ONE_LOGIN_REQUEST_OBJECT_FORM", text)]).unwrap();
        assert_eq!(c.request_object_form(), form, "{text}");
    }
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_REQUEST_OBJECT_FORM", "oidc")])), "ONE_LOGIN_REQUEST_OBJECT_FORM");
    // One Login itself answers the standard form's audience with access_denied for every user.
    for environment in ["integration", "production"] {
        let env = [("ONE_LOGIN_ENVIRONMENT", environment), ("ONE_LOGIN_REQUEST_OBJECT_FORM", "standard")];
        assert_eq!(invalid_var(with(&env)), "ONE_LOGIN_REQUEST_OBJECT_FORM", "{environment}");
        assert_eq!(
            with(&[env[0], ("ONE_LOGIN_REQUEST_OBJECT_FORM", "one-login")]).unwrap().request_object_form(),
            RequestObjectForm::OneLogin
        );
    }
    let refused = Config::builder(Environment::Production)
        .client_id("client-1")
        .redirect_uri("https://service.example/auth/callback")
        .request_object_form(RequestObjectForm::Standard)
        .signing_key_pem(RP_KEY)
        .unwrap()
        .build()
        .unwrap_err();
    assert!(refused.to_string().contains("ConfigBuilder::request_object_form"), "{refused}");
}

#[test]
fn production_preset() {
    let c = with(&[("ONE_LOGIN_ENVIRONMENT", "production")]).unwrap();
    assert_eq!(c.issuer(), "https://oidc.account.gov.uk/");
    assert_eq!(c.identity_issuer(), "https://identity.account.gov.uk/");
    assert_eq!(c.did_url(), "https://identity.account.gov.uk/.well-known/did.json");
}

#[test]
fn custom_issuer_on_loopback_and_overrides() {
    let c = with(&[
        ("ONE_LOGIN_ENVIRONMENT", ""),
        ("ONE_LOGIN_ISSUER", "http://127.0.0.1:3000/"),
        ("ONE_LOGIN_REDIRECT_URI", "http://localhost:8080/auth/callback"),
        ("ONE_LOGIN_IDENTITY_ISSUER", "http://127.0.0.1:3000/id/"),
        ("ONE_LOGIN_DID_URL", "http://127.0.0.1:3000/did.json"),
        ("ONE_LOGIN_SCOPES", "openid email"),
        ("ONE_LOGIN_UI_LOCALES", "cy"),
        ("ONE_LOGIN_ID_TOKEN_ALG", "RS256"),
        ("ONE_LOGIN_CLOCK_SKEW_SECONDS", "10"),
        ("ONE_LOGIN_REQUEST_OBJECT", "false"),
        ("ONE_LOGIN_USER_AGENT", "my-service/1.0 (https://service.example)"),
        ("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI", "http://localhost:8080/signed-out"),
    ])
    .unwrap();
    assert_eq!(c.issuer(), "http://127.0.0.1:3000/");
    assert_eq!(c.identity_issuer(), "http://127.0.0.1:3000/id/");
    assert_eq!(c.did_url(), "http://127.0.0.1:3000/did.json");
    assert_eq!(c.scopes(), ["openid", "email"]);
    assert_eq!(c.ui_locales.as_deref(), Some("cy"));
    assert_eq!(c.id_token_alg, IdTokenAlgorithm::Rs256);
    assert_eq!(c.clock_skew(), Duration::from_secs(10));
    assert!(!c.request_objects());
    assert_eq!(c.user_agent(), "my-service/1.0 (https://service.example)");
    assert!(!c.secure_cookies(), "http loopback development drops Secure");
}

#[test]
fn custom_issuer_defaults_identity_issuer_and_did_like_the_simulator() {
    let c = with(&[("ONE_LOGIN_ENVIRONMENT", ""), ("ONE_LOGIN_ISSUER", "http://localhost:3000/")]).unwrap();
    assert_eq!(c.identity_issuer(), "http://localhost:3000/");
    assert_eq!(c.did_url(), "http://localhost:3000/.well-known/did.json");
}

#[test]
fn plain_http_only_on_loopback() {
    assert_eq!(
        invalid_var(with(&[("ONE_LOGIN_ENVIRONMENT", ""), ("ONE_LOGIN_ISSUER", "http://op.example/")])),
        "ONE_LOGIN_ISSUER"
    );
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_REDIRECT_URI", "http://service.example/cb")])), "ONE_LOGIN_REDIRECT_URI");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_DID_URL", "ftp://x/")])), "ONE_LOGIN_DID_URL");
}

#[test]
fn urls_carry_no_credentials_or_fragment_and_the_issuer_no_query_and_the_message_repeats_none() {
    let custom = |issuer: &'static str| with(&[("ONE_LOGIN_ENVIRONMENT", ""), ("ONE_LOGIN_ISSUER", issuer)]);
    for (var, value) in [
        ("ONE_LOGIN_ISSUER", "https://user:s3cret@op.example/"),
        ("ONE_LOGIN_ISSUER", "https://op.example/?key=s3cret"),
        ("ONE_LOGIN_ISSUER", "https://op.example/#s3cret"),
        ("ONE_LOGIN_DID_URL", "https://s3cret@identity.example/.well-known/did.json"),
        ("ONE_LOGIN_REDIRECT_URI", "https://user:s3cret@service.example/auth/callback"),
    ] {
        let r = if var == "ONE_LOGIN_ISSUER" { custom(value) } else { with(&[(var, value)]) };
        let shown = format!("{}", r.as_ref().unwrap_err());
        assert_eq!(invalid_var(r), var, "{value}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
    // An issuer the URL parser would rewrite can never match discovery's string.
    for issuer in ["HTTPS://OP.EXAMPLE/", "https://op.example\\@evil.example/", "https://op.exa\tmple/"] {
        let r = with(&[("ONE_LOGIN_ENVIRONMENT", ""), ("ONE_LOGIN_ISSUER", issuer)]);
        assert_eq!(invalid_var(r), "ONE_LOGIN_ISSUER", "{issuer}");
    }
    // A query stays allowed where it is not an issuer.
    assert!(with(&[("ONE_LOGIN_DID_URL", "https://identity.example/did.json?v=2")]).is_ok());
    assert!(with(&[("ONE_LOGIN_REDIRECT_URI", "not a url s3cret")]).unwrap_err().to_string().contains("not a URL"));
    assert!(!with(&[("ONE_LOGIN_REDIRECT_URI", "not a url s3cret")]).unwrap_err().to_string().contains("s3cret"));
}

#[test]
fn every_missing_or_malformed_value_names_its_variable() {
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_ENVIRONMENT", "")])), "ONE_LOGIN_ENVIRONMENT");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_ENVIRONMENT", "staging")])), "ONE_LOGIN_ENVIRONMENT");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_ISSUER", "https://x.example/")])), "ONE_LOGIN_ISSUER");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_CLIENT_ID", "")])), "ONE_LOGIN_CLIENT_ID");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_PRIVATE_KEY", "")])), "ONE_LOGIN_PRIVATE_KEY");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_PRIVATE_KEY", "not a pem")])), "ONE_LOGIN_PRIVATE_KEY");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_REDIRECT_URI", "")])), "ONE_LOGIN_REDIRECT_URI");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_REDIRECT_URI", "not a url")])), "ONE_LOGIN_REDIRECT_URI");
    assert_eq!(
        invalid_var(with(&[("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI", "::")])),
        "ONE_LOGIN_POST_LOGOUT_REDIRECT_URI"
    );
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_SCOPES", "email phone")])), "ONE_LOGIN_SCOPES");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_UI_LOCALES", "en;q=1")])), "ONE_LOGIN_UI_LOCALES");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_ID_TOKEN_ALG", "HS256")])), "ONE_LOGIN_ID_TOKEN_ALG");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_CLIENT_ASSERTION_ALG", "ES256")])), "ONE_LOGIN_CLIENT_ASSERTION_ALG");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_CLOCK_SKEW_SECONDS", "abc")])), "ONE_LOGIN_CLOCK_SKEW_SECONDS");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_CLOCK_SKEW_SECONDS", "120")])), "ONE_LOGIN_CLOCK_SKEW_SECONDS");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_REQUEST_OBJECT", "maybe")])), "ONE_LOGIN_REQUEST_OBJECT");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_USER_AGENT", "bad\u{7f}agent")])), "ONE_LOGIN_USER_AGENT");
    assert_eq!(invalid_var(with(&[("ONE_LOGIN_PRIVATE_KEY_FILE", "/x")])), "ONE_LOGIN_PRIVATE_KEY");
}

#[test]
fn key_file_is_read_and_a_missing_file_is_named() {
    let path = std::env::temp_dir().join(format!("rp-key-{}.pem", std::process::id()));
    std::fs::write(&path, RP_KEY).unwrap();
    let p = path.to_str().unwrap().to_owned();
    let mut v = base();
    v.retain(|(k, _)| *k != "ONE_LOGIN_PRIVATE_KEY");
    let p2: &'static str = Box::leak(p.into_boxed_str());
    v.push(("ONE_LOGIN_PRIVATE_KEY_FILE", p2));
    assert!(Config::from_vars(vars(&v)).is_ok());
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(Config::from_vars(vars(&v)), Err(ConfigError::KeyFile { .. })));
}

#[test]
fn an_ec_key_is_refused_with_a_message_saying_so() {
    let err = with(&[("ONE_LOGIN_PRIVATE_KEY", EC_KEY)]).unwrap_err();
    assert!(matches!(err, ConfigError::EcKeyNotAccepted { origin: ConfigSource::Env("ONE_LOGIN_PRIVATE_KEY") }));
    assert!(err.to_string().contains("only RSA"));
}

#[test]
fn public_jwks_carries_the_rsa_public_key_and_kid() {
    let c = with(&[("ONE_LOGIN_PRIVATE_KEY_ID", "rp-key-1")]).unwrap();
    let jwks = c.public_jwks();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["kid"], "rp-key-1");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert!(key["n"].as_str().unwrap().len() > 300);
    assert!(key.get("d").is_none(), "never publish the private part");
}

#[test]
fn debug_output_redacts_the_key() {
    let c = with(&[]).unwrap();
    let s = format!("{c:?}");
    assert!(s.contains("[redacted]"));
    assert!(!s.contains("PRIVATE"));
}

#[test]
fn a_bad_key_file_is_reported_as_the_file_variable_with_its_path() {
    let path = std::env::temp_dir().join(format!("rp-bad-key-{}.pem", std::process::id()));
    std::fs::write(&path, "not a key").unwrap();
    let mut v = base();
    v.retain(|(k, _)| *k != "ONE_LOGIN_PRIVATE_KEY");
    let p: &'static str = Box::leak(path.to_str().unwrap().to_owned().into_boxed_str());
    v.push(("ONE_LOGIN_PRIVATE_KEY_FILE", p));
    let err = Config::from_vars(vars(&v)).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(
        matches!(&err, ConfigError::Invalid { origin: ConfigSource::Env("ONE_LOGIN_PRIVATE_KEY_FILE"), .. }),
        "{err}"
    );
    assert!(err.to_string().contains(p), "the message names the file: {err}");
}

#[test]
fn debug_carries_the_message_and_its_causes() {
    // `main() -> Result<(), Box<dyn Error>>` prints `Debug`: it must say what to fix.
    let err = with(&[("ONE_LOGIN_PRIVATE_KEY", EC_KEY)]).unwrap_err();
    assert!(format!("{err:?}").contains("only RSA"), "{err:?}");
    let missing = std::env::temp_dir().join(format!("rp-no-key-{}.pem", std::process::id()));
    let mut v = base();
    v.retain(|(k, _)| *k != "ONE_LOGIN_PRIVATE_KEY");
    let p: &'static str = Box::leak(missing.to_str().unwrap().to_owned().into_boxed_str());
    v.push(("ONE_LOGIN_PRIVATE_KEY_FILE", p));
    let err = crate::Error::from(Config::from_vars(vars(&v)).unwrap_err());
    let debug = format!("{err:?}");
    assert!(debug.contains("could not be read") && debug.contains("caused by: "), "{debug}");
}

/// The builder `with` starts from, by method: everything but the key.
fn builder() -> ConfigBuilder {
    Config::builder(Environment::Integration)
        .client_id("client-1")
        .redirect_uri("https://service.example/auth/callback")
}

fn message(r: Result<Config, ConfigError>) -> String {
    r.expect_err("a configuration error").to_string()
}

/// One bad value, given once through the environment and once through the builder.
struct Case {
    env: &'static [(&'static str, &'static str)],
    var: &'static str,
    build: fn() -> Result<Config, ConfigError>,
    method: &'static str,
}

const REDIS: &str = "redis://127.0.0.1:6379";

const CASES: &[Case] = &[
    Case {
        env: &[("ONE_LOGIN_REDIRECT_URI", "http://service.example/cb")],
        var: "ONE_LOGIN_REDIRECT_URI",
        build: || builder().redirect_uri("http://service.example/cb").signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::redirect_uri",
    },
    Case {
        env: &[("ONE_LOGIN_REDIRECT_URI", "")],
        var: "ONE_LOGIN_REDIRECT_URI",
        build: || Config::builder(Environment::Integration).client_id("client-1").signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::redirect_uri",
    },
    Case {
        env: &[("ONE_LOGIN_CLIENT_ID", "")],
        var: "ONE_LOGIN_CLIENT_ID",
        build: || {
            Config::builder(Environment::Integration)
                .redirect_uri("https://service.example/auth/callback")
                .signing_key_pem(RP_KEY)?
                .build()
        },
        method: "ConfigBuilder::client_id",
    },
    Case {
        env: &[("ONE_LOGIN_ENVIRONMENT", ""), ("ONE_LOGIN_ISSUER", "http://op.example/")],
        var: "ONE_LOGIN_ISSUER",
        build: || {
            Config::builder(Environment::Custom { issuer: "http://op.example/".into() })
                .client_id("client-1")
                .redirect_uri("https://service.example/auth/callback")
                .signing_key_pem(RP_KEY)?
                .build()
        },
        method: "Config::builder",
    },
    Case {
        env: &[("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI", "::")],
        var: "ONE_LOGIN_POST_LOGOUT_REDIRECT_URI",
        build: || builder().post_logout_redirect_uri("::").signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::post_logout_redirect_uri",
    },
    Case {
        env: &[("ONE_LOGIN_SCOPES", "email phone")],
        var: "ONE_LOGIN_SCOPES",
        build: || builder().scopes(["email", "phone"]).signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::scopes",
    },
    Case {
        env: &[("ONE_LOGIN_UI_LOCALES", "en;q=1")],
        var: "ONE_LOGIN_UI_LOCALES",
        build: || builder().ui_locales("en;q=1").signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::ui_locales",
    },
    Case {
        env: &[("ONE_LOGIN_IDENTITY_ISSUER", "http://op.example/")],
        var: "ONE_LOGIN_IDENTITY_ISSUER",
        build: || builder().identity_issuer("http://op.example/").signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::identity_issuer",
    },
    Case {
        env: &[("ONE_LOGIN_DID_URL", "ftp://x/")],
        var: "ONE_LOGIN_DID_URL",
        build: || builder().did_url("ftp://x/").signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::did_url",
    },
    Case {
        env: &[("ONE_LOGIN_CLOCK_SKEW_SECONDS", "120")],
        var: "ONE_LOGIN_CLOCK_SKEW_SECONDS",
        build: || builder().clock_skew(Duration::from_secs(120)).signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::clock_skew",
    },
    Case {
        env: &[("ONE_LOGIN_USER_AGENT", "bad\u{7f}agent")],
        var: "ONE_LOGIN_USER_AGENT",
        build: || builder().user_agent("bad\u{7f}agent").signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::user_agent",
    },
    Case {
        env: &[("ONE_LOGIN_SESSION_LIFETIME", "0")],
        var: "ONE_LOGIN_SESSION_LIFETIME",
        build: || builder().session_ttl(Duration::ZERO).signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::session_ttl",
    },
    Case {
        env: &[("ONE_LOGIN_SESSION_IDLE_TIMEOUT", "0m")],
        var: "ONE_LOGIN_SESSION_IDLE_TIMEOUT",
        build: || builder().session_idle_timeout(Duration::ZERO).signing_key_pem(RP_KEY)?.build(),
        method: "ConfigBuilder::session_idle_timeout",
    },
    Case {
        env: &[("ONE_LOGIN_PRIVATE_KEY", EC_KEY)],
        var: "ONE_LOGIN_PRIVATE_KEY",
        build: || builder().signing_key_pem(EC_KEY)?.build(),
        method: "ConfigBuilder::signing_key_pem",
    },
    Case {
        env: &[("ONE_LOGIN_PRIVATE_KEY", "not a pem")],
        var: "ONE_LOGIN_PRIVATE_KEY",
        build: || builder().signing_key_pem("not a pem")?.build(),
        method: "ConfigBuilder::signing_key_pem",
    },
    Case {
        env: &[("REDIS_URL", "http://127.0.0.1:6379")],
        var: "REDIS_URL",
        build: || {
            let redis = crate::store::RedisSettings::new("http://127.0.0.1:6379");
            builder().session_store(StoreSettings::Redis(redis)).signing_key_pem(RP_KEY)?.build()
        },
        method: "RedisSettings::url",
    },
    Case {
        env: &[("REDIS_URL", REDIS), ("ONE_LOGIN_REDIS_PREFIX", "my service:")],
        var: "ONE_LOGIN_REDIS_PREFIX",
        build: || {
            let redis = crate::store::RedisSettings::new(REDIS).prefix("my service:");
            builder().session_store(StoreSettings::Redis(redis)).signing_key_pem(RP_KEY)?.build()
        },
        method: "RedisSettings::prefix",
    },
    Case {
        env: &[("REDIS_URL", REDIS), ("ONE_LOGIN_REDIS_TIMEOUT_MS", "0")],
        var: "ONE_LOGIN_REDIS_TIMEOUT_MS",
        build: || {
            let redis = crate::store::RedisSettings::new(REDIS).command_timeout(Duration::ZERO);
            builder().session_store(StoreSettings::Redis(redis)).signing_key_pem(RP_KEY)?.build()
        },
        method: "RedisSettings::command_timeout",
    },
    Case {
        env: &[("REDIS_URL", REDIS), ("ONE_LOGIN_REDIS_POOL_SIZE", "65")],
        var: "ONE_LOGIN_REDIS_POOL_SIZE",
        build: || {
            let redis = crate::store::RedisSettings::new(REDIS).pool_size(65);
            builder().session_store(StoreSettings::Redis(redis)).signing_key_pem(RP_KEY)?.build()
        },
        method: "RedisSettings::pool_size",
    },
];

#[test]
fn a_bad_variable_is_named_as_a_variable_and_the_same_value_from_the_builder_names_the_method() {
    for case in CASES {
        let from_env = message(with(case.env));
        let env_prefix = format!("{} (environment variable)", case.var);
        let reason = from_env.strip_prefix(&env_prefix).unwrap_or_else(|| panic!("{from_env:?} names {env_prefix}"));
        let from_builder = message((case.build)());
        let builder_reason =
            from_builder.strip_prefix(case.method).unwrap_or_else(|| panic!("{from_builder:?} names {}", case.method));
        assert_eq!(reason, builder_reason, "the same reason either way");
        assert!(!from_builder.contains("ONE_LOGIN_") && !from_builder.contains("REDIS_URL"), "{from_builder:?}");
    }
}

#[test]
fn errors_carry_a_typed_source() {
    for case in CASES {
        assert_eq!(with(case.env).unwrap_err().origin(), Some(ConfigSource::Env(case.var)), "{}", case.var);
        assert_eq!((case.build)().unwrap_err().origin(), Some(ConfigSource::Builder(case.method)), "{}", case.method);
    }
    let err = with(&[("ONE_LOGIN_REDIRECT_URI", "http://service.example/cb")]).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { origin: ConfigSource::Env("ONE_LOGIN_REDIRECT_URI"), .. }), "{err:?}");
    assert_eq!(ConfigSource::Env("ONE_LOGIN_SCOPES").name(), "ONE_LOGIN_SCOPES");
    assert_eq!(ConfigSource::Builder("ConfigBuilder::scopes").to_string(), "ConfigBuilder::scopes");
}

#[test]
fn store_variables_read_alone_are_named_as_variables() {
    let get = vars(&[("ONE_LOGIN_SESSION_STORE", "redis")]);
    let err = crate::store::config::from_vars(&get).unwrap_err();
    assert!(err.to_string().starts_with("REDIS_URL (environment variable) is not set"), "{err}");
    let get = vars(&[("ONE_LOGIN_SESSION_STORE", "disk")]);
    let err = crate::store::config::from_vars(&get).unwrap_err();
    assert!(err.to_string().starts_with("ONE_LOGIN_SESSION_STORE (environment variable): "), "{err}");
    let get = vars(&[("REDIS_URL", REDIS), ("ONE_LOGIN_REDIS_CONNECT_TIMEOUT_MS", "soon")]);
    let err = crate::store::config::from_vars(&get).unwrap_err();
    assert!(err.to_string().starts_with("ONE_LOGIN_REDIS_CONNECT_TIMEOUT_MS (environment variable): "), "{err}");
}

fn key_file(name: &str, contents: &str) -> (std::path::PathBuf, Vec<(&'static str, &'static str)>) {
    let path = std::env::temp_dir().join(format!("{name}-{}.pem", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    let mut v = base();
    v.retain(|(k, _)| *k != "ONE_LOGIN_PRIVATE_KEY");
    v.push(("ONE_LOGIN_PRIVATE_KEY_FILE", Box::leak(path.to_str().unwrap().to_owned().into_boxed_str())));
    (path, v)
}

#[test]
fn an_ec_key_in_a_file_names_the_file_variable() {
    let (path, v) = key_file("rp-ec-key", EC_KEY);
    let err = Config::from_vars(vars(&v)).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    let text = err.to_string();
    assert!(text.starts_with("ONE_LOGIN_PRIVATE_KEY_FILE (environment variable) is an EC key"), "{text}");
}

#[test]
fn a_bad_key_file_names_the_file_variable_and_its_path() {
    let (path, v) = key_file("rp-junk-key", "not a key");
    let err = Config::from_vars(vars(&v)).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    let text = err.to_string();
    let expected = format!("ONE_LOGIN_PRIVATE_KEY_FILE (environment variable): `{}`: not an RSA", path.display());
    assert!(text.starts_with(&expected), "{text}");
}

/// What `main() -> Result<(), Box<dyn Error>>` prints on failure is the error's `Debug`.
#[test]
fn debug_through_box_dyn_error_carries_the_message_and_the_source() {
    fn from_env(extra: &[(&'static str, &'static str)]) -> Result<(), Box<dyn std::error::Error>> {
        with(extra)?;
        Ok(())
    }
    fn from_builder() -> Result<(), Box<dyn std::error::Error>> {
        builder().redirect_uri("http://service.example/cb").signing_key_pem(RP_KEY)?.build()?;
        Ok(())
    }
    let loopback = "plain http is allowed only on loopback (127.0.0.1, localhost, [::1])";
    let debug = format!("{:?}", from_env(&[("ONE_LOGIN_REDIRECT_URI", "http://service.example/cb")]).unwrap_err());
    assert_eq!(debug, format!("ONE_LOGIN_REDIRECT_URI (environment variable): {loopback}"));
    let debug = format!("{:?}", from_builder().unwrap_err());
    assert_eq!(debug, format!("ConfigBuilder::redirect_uri: {loopback}"));
    let debug = format!("{:?}", from_env(&[("ONE_LOGIN_PRIVATE_KEY", EC_KEY)]).unwrap_err());
    assert!(debug.starts_with("ONE_LOGIN_PRIVATE_KEY (environment variable) is an EC key"), "{debug}");
    assert!(debug.contains("only RSA"), "{debug}");
    let missing = std::env::temp_dir().join(format!("rp-absent-key-{}.pem", std::process::id()));
    let file: &'static str = Box::leak(missing.to_str().unwrap().to_owned().into_boxed_str());
    let debug =
        format!("{:?}", from_env(&[("ONE_LOGIN_PRIVATE_KEY", ""), ("ONE_LOGIN_PRIVATE_KEY_FILE", file)]).unwrap_err());
    assert!(debug.contains("could not be read: caused by: "), "{debug}");
}

/// The guide on `Config` (`config/guide.md`), whose table lists the variables.
fn module_doc() -> Vec<&'static str> {
    include_str!("guide.md").lines().collect()
}

/// The backquoted names in the first column of each table row.
fn documented_variables() -> Vec<String> {
    let mut names = Vec::new();
    for row in module_doc().into_iter().filter(|l| l.trim_start().starts_with("| `")) {
        let first_column = row.split('|').nth(1).unwrap();
        names.extend(first_column.split('`').skip(1).step_by(2).map(str::to_owned));
    }
    names
}

#[test]
fn the_module_doc_lists_every_variable_from_env_reads_once() {
    let read = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let mut v = base();
    v.push(("REDIS_URL", REDIS)); // the ONE_LOGIN_REDIS_* variables are read only for Redis
    let lookup = vars(&v);
    Config::from_vars(|name| {
        read.borrow_mut().insert(name.to_owned());
        lookup(name)
    })
    .unwrap();
    let documented = documented_variables();
    let listed: std::collections::BTreeSet<String> = documented.iter().cloned().collect();
    assert_eq!(listed.len(), documented.len(), "a variable is listed twice: {documented:?}");
    assert_eq!(listed, read.into_inner(), "the table in the module doc against what from_env reads");
}

#[test]
fn each_builder_method_names_its_variable() {
    let source = include_str!("../config.rs");
    let setters = source.find("impl<K> ConfigBuilder<K> {").unwrap();
    let source = &source[setters..source[setters..].find("\n}\n").unwrap() + setters];
    for (var, method) in env::variables() {
        let name = method.strip_prefix("ConfigBuilder::").unwrap();
        let at = [format!("    pub fn {name}("), format!("    pub fn {name}<")]
            .iter()
            .find_map(|sig| source.find(sig.as_str()))
            .unwrap_or_else(|| panic!("{method} is not in config.rs"));
        let doc: String = source[..at].lines().rev().take_while(|l| l.trim_start().starts_with("///")).collect();
        assert!(doc.contains(&format!("`{var}`")), "the documentation of {method} names {var}");
    }
}

#[test]
fn the_stand_ins_published_key_signs_for_a_loopback_issuer_only() {
    let refused = with(&[("ONE_LOGIN_PRIVATE_KEY", STAND_IN_KEY)]).unwrap_err();
    assert!(refused.to_string().contains("the local stand-in's test key"), "{refused}");
    assert_eq!(invalid_var(Err(refused)), "ONE_LOGIN_PRIVATE_KEY");
    let other_host = Config::builder(Environment::Custom { issuer: "https://simulator.example/".into() })
        .client_id("c")
        .redirect_uri("https://service.example/auth/callback")
        .signing_key_pem(STAND_IN_KEY)
        .unwrap()
        .build();
    assert!(other_host.is_err(), "a provider off loopback");
    let loopback = Config::builder(Environment::Custom { issuer: "http://127.0.0.1:9000/".into() })
        .client_id("c")
        .redirect_uri("http://127.0.0.1:3000/auth/callback")
        .signing_key_pem(STAND_IN_KEY)
        .unwrap()
        .build();
    assert!(loopback.is_ok(), "{loopback:?}");
}

#[test]
fn the_account_home_follows_the_environment_and_can_be_overridden() {
    assert_eq!(with(&[]).unwrap().account_home().map(Url::as_str), Some("https://home.integration.account.gov.uk/"));
    let production = with(&[("ONE_LOGIN_ENVIRONMENT", "production")]).unwrap();
    assert_eq!(production.account_home().map(Url::as_str), Some("https://home.account.gov.uk/"));
    let custom = with(&[("ONE_LOGIN_ENVIRONMENT", ""), ("ONE_LOGIN_ISSUER", "https://simulator.example/")]).unwrap();
    assert_eq!(custom.account_home(), None, "a custom issuer has no known account home");
    let given = with(&[("ONE_LOGIN_ACCOUNT_HOME_URL", "https://account.example/home")]).unwrap();
    assert_eq!(given.account_home().map(Url::as_str), Some("https://account.example/home"));
    assert_eq!(
        invalid_var(with(&[("ONE_LOGIN_ACCOUNT_HOME_URL", "http://account.example/")])),
        "ONE_LOGIN_ACCOUNT_HOME_URL"
    );
}

#[test]
fn two_mounted_routes_cannot_share_a_path() {
    let base = || {
        Config::builder(Environment::Integration)
            .client_id("c")
            .redirect_uri("https://service.example/auth/callback")
            .signing_key_pem(RP_KEY)
            .unwrap()
    };
    assert_eq!(base().build().unwrap().routes().sign_out_everywhere, "/auth/sign-out-everywhere");
    let clash = base().sign_out_everywhere_path("/auth/logout").build().unwrap_err();
    assert!(clash.to_string().contains("ConfigBuilder::sign_out_everywhere_path"), "{clash}");
    assert!(clash.to_string().contains("already the path of another route"), "{clash}");
    assert!(base().logout_path("/auth/login").build().is_err());
}

/// The public JWK of `pem`, with a kid.
fn jwk_of(pem: &str, kid: &str) -> serde_json::Value {
    let loopback = Config::builder(Environment::Custom { issuer: "http://127.0.0.1:9000/".into() })
        .client_id("c")
        .redirect_uri("http://127.0.0.1:3000/auth/callback")
        .key_id(kid)
        .signing_key_pem(pem)
        .unwrap()
        .build()
        .unwrap();
    loopback.public_jwks()["keys"][0].clone()
}

/// A "next" key to publish: one of no one's.
fn next_jwk() -> serde_json::Value {
    jwk_of(include_str!("../../../tests/mock-provider/keys/ssf-unpublished-rsa.pem"), "next")
}

const JWKS_PATH: (&str, &str) = ("ONE_LOGIN_JWKS_PATH", "/.well-known/jwks.json");
const CURRENT: (&str, &str) = ("ONE_LOGIN_PRIVATE_KEY_ID", "current");

#[test]
fn further_keys_are_published_after_the_signing_key() {
    let next = next_jwk();
    // `with` takes 'static text, as the other tests' literals are.
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let jwks = leak(serde_json::json!({ "keys": [next.clone()] }).to_string());
    let dir = std::env::temp_dir().join(format!("one-login-published-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("next.jwks.json");
    std::fs::write(&file, jwks).unwrap();
    for value in [jwks, leak(file.to_str().unwrap().to_owned())] {
        let c = with(&[CURRENT, JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", value)]).unwrap();
        let keys = c.public_jwks()["keys"].as_array().unwrap().clone();
        assert_eq!(keys.len(), 2, "{value}");
        assert_eq!(keys[0]["kid"], "current", "the signing key first");
        assert_eq!(keys[1]["kid"], "next");
    }
    // The signing key given again is published once.
    let c = with(&[("ONE_LOGIN_PRIVATE_KEY_ID", "current")]).unwrap();
    let current = leak(c.public_jwks()["keys"][0].to_string());
    let again = with(&[CURRENT, JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", current)]).unwrap();
    assert_eq!(again.public_jwks()["keys"].as_array().unwrap().len(), 1);

    let refused = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut key = next.clone();
        edit(&mut key);
        let text = leak(key.to_string());
        let Err(e) = with(&[CURRENT, JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", text)]) else { panic!("{text} accepted") };
        e.to_string()
    };
    assert!(refused(&|k| k["d"] = "secret".into()).contains("private members"));
    assert!(refused(&|k| k["n"] = "AQAB".into()).contains("2048 bits"));
    assert!(refused(&|k| k["kty"] = "EC".into()).contains("RSA public JWK"));
    assert!(
        refused(&|k| {
            k.as_object_mut().unwrap().remove("kid");
        })
        .contains("needs a `kid`")
    );
    assert!(refused(&|k| k["oth"] = serde_json::json!([{ "r": "x" }])).contains("private members"));
    assert!(refused(&|k| k["e"] = "AQ".into()).contains("exponent"), "e = 1 forges signatures");
    assert!(refused(&|k| k["use"] = "enc".into()).contains("`use` sig"));
    assert!(refused(&|k| k["alg"] = "HS256".into()).contains("RS256 or PS256"));
    // A small modulus padded with zero bytes is still small.
    assert!(
        refused(&|k| k["n"] = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            [vec![0u8; 200], vec![0xc5; 100]].concat()
        )
        .into())
        .contains("2048 bits")
    );
    let the_stand_ins = leak(jwk_of(STAND_IN_KEY, "stand-in").to_string());
    let Err(e) = with(&[CURRENT, JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", the_stand_ins)]) else { panic!("accepted") };
    assert!(e.to_string().contains("stand-in's test key"), "{e}");
    // What is published is the public members alone.
    let mut extra = next.clone();
    extra["x-note"] = "kept out".into();
    let c = with(&[CURRENT, JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", leak(extra.to_string()))]).unwrap();
    assert!(c.public_jwks()["keys"][1].get("x-note").is_none());
    // The kid, the signing key's kid and the route.
    let twice = leak(serde_json::json!({ "keys": [next.clone(), next.clone()] }).to_string());
    assert!(
        with(&[CURRENT, JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", twice)])
            .unwrap_err()
            .to_string()
            .contains("published twice")
    );
    let mut clash = next.clone();
    clash["kid"] = "current".into();
    let clash = leak(clash.to_string());
    assert!(
        with(&[CURRENT, JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", clash)])
            .unwrap_err()
            .to_string()
            .contains("published twice")
    );
    assert!(
        with(&[JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", jwks)])
            .unwrap_err()
            .to_string()
            .contains("ONE_LOGIN_PRIVATE_KEY_ID")
    );
    assert!(with(&[CURRENT, ("ONE_LOGIN_PUBLISHED_KEYS", jwks)]).unwrap_err().to_string().contains("JWKS route"));
    // A key pasted into the variable is refused without being repeated.
    let pasted = with(&[CURRENT, JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", RP_KEY)]).unwrap_err().to_string();
    assert!(pasted.contains("looks like a PEM key") && !pasted.contains("MII"), "{pasted}");
    let missing = with(&[CURRENT, JWKS_PATH, ("ONE_LOGIN_PUBLISHED_KEYS", "/nonexistent/next.jwks.json")])
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("ONE_LOGIN_PUBLISHED_KEYS") && missing.contains("/nonexistent/next.jwks.json"),
        "{missing}"
    );
}
