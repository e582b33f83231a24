//! `govuk-one-login`: the command line of a GOV.UK One Login relying party.
//!
//! ```sh
//! # With the service's ONE_LOGIN_* variables set (the ones the service itself starts with):
//! cargo run -p govuk-one-login-cli -- doctor
//! cargo run -p govuk-one-login-cli -- doctor --published-keys https://service.example/.well-known/jwks.json \
//!     --service-url https://service.example/ --json
//! ```
//!
//! `doctor` reads the configuration from the environment as the service does
//! (`Config::from_env`), then runs the preflight checks of `govuk_one_login::doctor`: discovery
//! (issuer, endpoints), the algorithms and methods One Login offers against the configured
//! ones, One Login's keys, the DID document, the clock's skew from One Login's `Date` header, the
//! service's published key set (with `--published-keys`) and the redirect URI (with
//! `--service-url`, whether the service is opened on its origin). Each problem is printed with
//! its cause and its fix.
//!
//! `keygen --out key.pem` writes a new RSA key (2048 bits, or `--bits 3072`) as PKCS#8 PEM with
//! mode 0600, its public key as `key.public.pem` and a JWKS as `key.jwks.json` (the `kid` is the
//! RFC 7638 thumbprint), and never replaces a file. `jwks KEY…` prints the JWKS to publish for
//! one or more private key files (the current key and the next, during a rotation). `register
//! --base-url https://service.example --key key.pem` prints the values One Login's registration
//! asks for, derived from the routes the library mounts (`--json` for JSON).
//!
//! Exit codes: 0 success (for `doctor`: no check found an error, warnings may be printed); 1
//! `doctor` found an error; 2 a bad command line; 3 the configuration is refused (the message
//! names the variable and what it must be); 4 a key file could not be read, parsed or written
//! (the message names the file and the fix); 5 standard output could not be written (closed
//! early, as by `| head`, or full).
#![forbid(unsafe_code)]

mod keys;
mod register;

use std::process::ExitCode;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use govuk_one_login::doctor::{Report, Severity};
use govuk_one_login::{Config, IdentityClaim, OneLogin, VectorOfTrust};
use serde_json::json;

/// The command line of a GOV.UK One Login relying party.
#[derive(Debug, Parser)]
#[command(name = "govuk-one-login", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks the ONE_LOGIN_* configuration against the One Login it names.
    Doctor {
        /// The URL where this service publishes its key set for One Login (its registered JWKS
        /// URL): checks that it holds the signing key, under the configured kid.
        #[arg(long, value_name = "URL")]
        published_keys: Option<String>,
        /// The address users open the service at: checks it is on the redirect URI's origin.
        #[arg(long, value_name = "URL")]
        service_url: Option<String>,
        /// Prints the findings as one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Writes a new RSA client key (PKCS#8 PEM, mode 0600), its public key and its JWKS.
    Keygen {
        /// The private key's file; the public key goes beside it as `<stem>.public.pem`, the
        /// JWKS as `<stem>.jwks.json`. None of them may exist.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// 2048 or 3072 (One Login verifies RSA only).
        #[arg(long, default_value_t = 2048, value_parser = bits)]
        bits: u32,
    },
    /// Prints the JWKS to publish for one or more private key files (current first, then next).
    Jwks {
        /// The private key files (PKCS#8 or PKCS#1 PEM).
        #[arg(required = true, value_name = "KEY")]
        keys: Vec<PathBuf>,
    },
    /// Prints the values One Login's registration asks for.
    Register {
        /// The service's public base URL, such as `https://service.example`.
        #[arg(long, value_name = "URL")]
        base_url: String,
        /// The private key file whose public key to register.
        #[arg(long, value_name = "FILE", conflicts_with = "jwks_path")]
        key: Option<PathBuf>,
        /// Register a JWKS URL instead of a static key: the path the service publishes it at.
        #[arg(long, value_name = "PATH")]
        jwks_path: Option<String>,
        /// The callback's path (ONE_LOGIN_REDIRECT_URI's).
        #[arg(long, default_value = "/auth/callback", value_name = "PATH")]
        callback_path: String,
        /// Where users land after sign-out.
        #[arg(long, default_value = "/signed-out", value_name = "PATH")]
        post_logout_path: String,
        /// A level the service asks for (repeat): Cl, Cl.Cm, Cl.Cm.P1, Cl.Cm.P2, …
        #[arg(long = "level", default_value = "Cl.Cm", value_name = "VECTOR")]
        levels: Vec<String>,
        /// An identity claim to ask for with an identity level (repeat): coreIdentityJWT,
        /// address, passport, drivingPermit, returnCode.
        #[arg(long = "claim", default_value = "coreIdentityJWT", value_name = "CLAIM")]
        claims: Vec<String>,
        /// The scopes.
        #[arg(long, default_value = "openid email phone")]
        scopes: String,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `--bits`: 2048 or 3072.
fn bits(text: &str) -> Result<u32, String> {
    match text {
        "2048" => Ok(2048),
        "3072" => Ok(3072),
        _ => Err("2048 or 3072".into()),
    }
}

/// A bad command line (clap's own code).
const USAGE: u8 = 2;
/// The configuration was refused.
const CONFIGURATION_REFUSED: u8 = 3;
/// A key file could not be read, parsed or written.
const KEY_FILE: u8 = 4;
/// Standard output could not be written.
const OUTPUT: u8 = 5;

/// Writes `text` to standard output. `println!` would panic on a closed output (`| head`);
/// this ends the command with [`OUTPUT`] and one line on standard error instead.
fn emit(text: &str) -> Result<(), ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|error| {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: could not write the output: {error}");
        }
        ExitCode::from(OUTPUT)
    })
}

/// [`emit`], then the success code.
fn done(text: &str) -> ExitCode {
    emit(text).err().unwrap_or(ExitCode::SUCCESS)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match Args::parse().command {
        Command::Doctor { published_keys, service_url, json } => doctor(published_keys, service_url, json).await,
        Command::Keygen { out, bits } => keygen(&out, bits),
        Command::Jwks { keys } => jwks(&keys),
        Command::Register {
            base_url,
            key,
            jwks_path,
            callback_path,
            post_logout_path,
            levels,
            claims,
            scopes,
            json,
        } => {
            let args =
                RegisterArgs { base_url, key, jwks_path, callback_path, post_logout_path, levels, claims, scopes };
            register(args, json)
        }
    }
}

fn keygen(out: &std::path::Path, bits: u32) -> ExitCode {
    let stem = out.file_stem().map_or_else(|| "key".into(), |s| s.to_string_lossy().into_owned());
    let public = out.with_file_name(format!("{stem}.public.pem"));
    let set = out.with_file_name(format!("{stem}.jwks.json"));
    for path in [out, &public, &set] {
        if path.exists() {
            eprintln!("error: {}", keys::KeyError::Exists(path.to_owned()));
            return ExitCode::from(KEY_FILE);
        }
    }
    let written = keys::generate(bits).and_then(|key| {
        keys::write_new(out, &key.private_pem, 0o600)?;
        keys::write_new(&public, &key.public_pem, 0o644)?;
        let jwks = serde_json::to_string_pretty(&json!({ "keys": [key.jwk] })).unwrap_or_default();
        keys::write_new(&set, &format!("{jwks}\n"), 0o644)?;
        Ok(key.jwk)
    });
    match written {
        Ok(jwk) => done(&format!(
            "private key (keep it secret; ONE_LOGIN_PRIVATE_KEY_FILE): {}\npublic key (register it with One Login): \
             {}\nJWKS (publish it, if One Login fetches your keys): {}\nkid (ONE_LOGIN_PRIVATE_KEY_ID, with a \
             published JWKS): {}\n",
            out.display(),
            public.display(),
            set.display(),
            jwk["kid"].as_str().unwrap_or("")
        )),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(KEY_FILE)
        }
    }
}

fn jwks(files: &[PathBuf]) -> ExitCode {
    let mut keys = Vec::new();
    for file in files {
        match keys::jwk_of_file(file) {
            Ok(jwk) => keys.push(jwk),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(KEY_FILE);
            }
        }
    }
    done(&format!("{}\n", serde_json::to_string_pretty(&json!({ "keys": keys })).unwrap_or_default()))
}

struct RegisterArgs {
    base_url: String,
    key: Option<PathBuf>,
    jwks_path: Option<String>,
    callback_path: String,
    post_logout_path: String,
    levels: Vec<String>,
    claims: Vec<String>,
    scopes: String,
}

fn register(args: RegisterArgs, json: bool) -> ExitCode {
    let usage = |why: String| {
        eprintln!("error: {why}");
        ExitCode::from(USAGE)
    };
    let base = match url::Url::parse(&args.base_url) {
        Ok(u) if u.scheme() == "https" || u.host_str().is_some_and(|h| h == "localhost" || h == "127.0.0.1") => u,
        Ok(_) => {
            return usage(format!(
                "--base-url {}: One Login registers https URLs only (or loopback for local development)",
                args.base_url
            ));
        }
        Err(e) => return usage(format!("--base-url {}: not a URL ({e})", args.base_url)),
    };
    let mut levels = Vec::new();
    for level in &args.levels {
        match level.parse::<VectorOfTrust>() {
            Ok(v) => levels.push(v),
            Err(e) => return usage(format!("--level {level}: {e}")),
        }
    }
    let mut claims = Vec::new();
    for claim in &args.claims {
        match IdentityClaim::parse(claim) {
            Some(c) => claims.push(c),
            None => {
                return usage(format!(
                    "--claim {claim}: one of coreIdentityJWT, address, passport, drivingPermit, returnCode"
                ));
            }
        }
    }
    let public_jwk = match &args.key {
        Some(file) => match keys::jwk_of_file(file) {
            Ok(jwk) => Some(jwk),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(KEY_FILE);
            }
        },
        None => None,
    };
    let service = register::Service {
        base,
        callback_path: args.callback_path,
        post_logout_path: args.post_logout_path,
        public_jwk,
        jwks_path: args.jwks_path,
        levels,
        claims,
        scopes: args.scopes.split_whitespace().map(str::to_owned).collect(),
    };
    match register::values(&service) {
        Ok(values) if json => done(&format!("{}\n", serde_json::to_string_pretty(&values).unwrap_or_default())),
        Ok(values) => done(&register::text(&values)),
        Err(why) => usage(why),
    }
}

async fn doctor(published_keys: Option<String>, service_url: Option<String>, json: bool) -> ExitCode {
    let one_login =
        match Config::from_env().map_err(|e| e.to_string()).and_then(|c| OneLogin::new(c).map_err(|e| e.to_string())) {
            Ok(one_login) => one_login,
            Err(why) => {
                eprintln!("error: the configuration is refused: {why}");
                return ExitCode::from(CONFIGURATION_REFUSED);
            }
        };
    let mut doctor = one_login.doctor();
    if let Some(url) = published_keys {
        doctor = doctor.published_keys(url);
    }
    if let Some(url) = service_url {
        doctor = doctor.service_url(url);
    }
    let report = doctor.run().await;
    let text = if json { format!("{}\n", as_json(&report)) } else { format!("{report}{}\n", summary(&report)) };
    if let Err(code) = emit(&text) {
        return code;
    }
    if report.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn summary(report: &Report) -> String {
    let count = |s: Severity| report.findings().iter().filter(|f| f.severity() == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    match (errors, warnings) {
        (0, 0) => "every check passed".to_owned(),
        (0, w) => format!("no errors, {w} warning(s)"),
        (e, w) => format!("{e} error(s), {w} warning(s): sign-in will fail until they are fixed"),
    }
}

fn as_json(report: &Report) -> serde_json::Value {
    let findings: Vec<serde_json::Value> = report
        .findings()
        .iter()
        .map(|f| {
            json!({
                "check": f.check().name(),
                "severity": f.severity().to_string(),
                "cause": f.cause().map(|c| format!("{c:?}")),
                "detail": f.detail(),
                "fix": f.fix(),
            })
        })
        .collect();
    json!({ "ok": report.is_ok(), "worst": report.worst().to_string(), "findings": findings })
}
