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
//! Exit codes: 0 when no check found an error (warnings may be printed), 1 when one did, 2 for a
//! bad command line, 3 when the configuration itself is refused (the message names the
//! variable and what it must be).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use govuk_one_login::doctor::{Report, Severity};
use govuk_one_login::{Config, OneLogin};
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
}

/// The configuration was refused.
const CONFIGURATION_REFUSED: u8 = 3;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match Args::parse().command {
        Command::Doctor { published_keys, service_url, json } => doctor(published_keys, service_url, json).await,
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
    if json {
        println!("{}", as_json(&report));
    } else {
        print!("{report}");
        println!("{}", summary(&report));
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
