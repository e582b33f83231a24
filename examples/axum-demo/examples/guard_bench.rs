//! A server for a quick load comparison of the guard against bare axum (the full peer harness
//! is issue 17's): `GET /protected` answers the same 200-byte body, bare or behind
//! `require(Requirement::MEDIUM)` with the default in-memory store. One genuine sign-in
//! through the local stand-in gives the session; its cookie is printed for the load tool.
//!
//! ```sh
//! cargo run --release -p axum-demo --example guard_bench -- guarded 127.0.0.1:18090
//! wrk -t1 -c32 -d10s -H "Cookie: one-login-session=<printed>" http://127.0.0.1:18090/protected
//! ```
//!
//! Without the cookie, each request is an anonymous hit that starts a sign-in (a signed
//! request object and a pending login); a third argument sets the sign-in start limit
//! (default 100 a second, `0` for none): `-- guarded 127.0.0.1:18090 0` measures what a start
//! costs, `scripts/flood-bench` runs both and a flood beside signed-in traffic.

use axum::Router;
use axum::routing::get;
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};
use govuk_one_login_tower::{CallbackParams, Config, Environment, LoginRequest, OneLogin, Requirement, ReturnPath};
use govuk_one_login_tower::{OneLoginRouterExt, require};

const BODY: &str = "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
                    0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "guarded".into());
    let addr = std::env::args().nth(2).unwrap_or_else(|| "127.0.0.1:18090".into());
    // The sign-in start limit (default 100 a second; 0 for none, to measure a start's cost).
    let start_limit = std::env::args().nth(3).map_or(Ok(100), |n| n.parse())?;
    let app = if mode == "bare" {
        Router::new().route("/protected", get(|| async { BODY }))
    } else {
        let mock = Box::leak(Box::new(MockProvider::start().await));
        let redirect = "http://127.0.0.1:9/auth/callback";
        mock.register_redirect_uri(redirect);
        let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
            .client_id(CLIENT_ID)
            .redirect_uri(redirect)
            .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)?
            .max_sign_in_starts_per_second(start_limit)
            .build()?;
        let one_login = OneLogin::new(config)?;
        let start = one_login.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await?;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let back = client.get(start.url.as_str()).send().await?;
        let location = url::Url::parse(back.headers()["location"].to_str()?)?;
        let params = CallbackParams::from_query(location.query().unwrap_or_default());
        let outcome = one_login.complete_login(params, Some(&start.flow_cookie), None).await?;
        println!("cookie: one-login-session={}", outcome.session_id.to_cookie_value());
        Router::new()
            .route("/protected", get(|| async { BODY }).route_layer(require(Requirement::MEDIUM)))
            .with_one_login(one_login)
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("{mode} on http://{addr}/protected");
    axum::serve(listener, app).await?;
    Ok(())
}
