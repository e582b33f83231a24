//! The local One Login stand-in as its own process, for signing in to your own service on your
//! machine with no code change:
//!
//! ```sh
//! cargo run -p govuk-one-login-mock -- --port 9000 --redirect-uri http://127.0.0.1:3000/auth/callback
//! ```
//!
//! It prints, on stdout, the `ONE_LOGIN_*` lines to start your service with (the issuer, the
//! client id, the key file, the redirect URIs), then `# ready`; what it says for people goes to
//! stderr. It listens on 127.0.0.1 only, signs in its test user (from a page that lets you
//! continue, cancel or fail the identity check, or at once with `--auto-approve`), and stops on
//! Ctrl-C. Exit codes: 0 after Ctrl-C, 2 for a bad command line, 1 when the port is taken or the
//! key file cannot be written.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

/// A local GOV.UK One Login stand-in on 127.0.0.1, with test users and no real accounts.
#[derive(Debug, Parser)]
#[command(name = "govuk-one-login-mock", version)]
struct Args {
    /// The port to listen on (127.0.0.1 only); 0 picks a free one.
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// Your service's callback URL, as it will send it (repeat for more than one).
    #[arg(long = "redirect-uri", required = true, value_name = "URL")]
    redirect_uris: Vec<String>,
    /// Where the stand-in returns the browser after sign-out.
    #[arg(long = "post-logout-redirect-uri", value_name = "URL")]
    post_logout_redirect_uri: Option<String>,
    /// Your back-channel logout route, which a sign-out at the stand-in calls.
    #[arg(long = "backchannel-logout-uri", value_name = "URL")]
    backchannel_logout_uri: Option<String>,
    /// Sign the test user in at once, with no page (for scripts).
    #[arg(long)]
    auto_approve: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    for uri in args.redirect_uris.iter().chain(&args.post_logout_redirect_uri).chain(&args.backchannel_logout_uri) {
        if let Err(why) = url::Url::parse(uri) {
            eprintln!("error: `{uri}` is not a URL ({why})");
            return ExitCode::from(2);
        }
    }
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    if let Err(why) = std::net::TcpListener::bind(addr) {
        eprintln!("error: cannot listen on {addr}: {why}; choose another with --port");
        return ExitCode::FAILURE;
    }
    let key_file = match key_file() {
        Ok(path) => path,
        Err(why) => {
            eprintln!("error: {why}");
            return ExitCode::FAILURE;
        }
    };
    let mock = MockProvider::start_on(addr).await;
    mock.set_auto_approve(args.auto_approve);
    for uri in &args.redirect_uris {
        mock.register_redirect_uri(uri);
    }
    if let Some(uri) = &args.post_logout_redirect_uri {
        mock.register_post_logout_redirect_uri(uri);
    }
    if let Some(uri) = &args.backchannel_logout_uri {
        mock.register_backchannel_logout_uri(uri);
    }
    eprintln!("GOV.UK One Login stand-in at {} (127.0.0.1 only; test users, no real accounts)", mock.issuer());
    eprintln!("start your service with these variables (Ctrl-C stops the stand-in):");
    println!("ONE_LOGIN_ISSUER={}", mock.issuer());
    println!("ONE_LOGIN_CLIENT_ID={CLIENT_ID}");
    println!("ONE_LOGIN_PRIVATE_KEY_FILE={}", key_file.display());
    println!("ONE_LOGIN_REDIRECT_URI={}", args.redirect_uris[0]);
    if let Some(uri) = &args.post_logout_redirect_uri {
        println!("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI={uri}");
    }
    println!("# ready");
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}

/// The stand-in's registered client key, as a file: the repository's own copy when it is there,
/// otherwise one written (mode 0600) to the temporary directory.
fn key_file() -> Result<PathBuf, String> {
    let in_repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/rp-rsa.pem"));
    if std::fs::read_to_string(&in_repo).is_ok_and(|pem| pem == keys::RP_PRIVATE_KEY_PEM) {
        return Ok(in_repo);
    }
    let path = std::env::temp_dir().join("govuk-one-login-mock-rp-rsa.pem");
    write_private(&path, keys::RP_PRIVATE_KEY_PEM)
        .map_err(|why| format!("cannot write the client key to {}: {why}", path.display()))?;
    Ok(path)
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
