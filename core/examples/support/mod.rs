//! What the measuring examples share: an engine configured for the local stand-in, and one
//! genuine sign-in through it.

use govuk_one_login::{
    CallbackParams, Config, Environment, LoginOutcome, LoginRequest, OneLogin, Requirement, ReturnPath,
};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

/// A configuration for `mock`, asking for every identity claim.
pub(crate) fn config_for(mock: &MockProvider) -> Result<Config, Box<dyn std::error::Error>> {
    let redirect = "http://127.0.0.1:9/auth/callback";
    mock.register_redirect_uri(redirect);
    Ok(Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(CLIENT_ID)
        .redirect_uri(redirect)
        .identity_claims(govuk_one_login::IdentityClaim::ALL)
        // These examples sign users in as fast as they can: no flood bound.
        .max_sign_in_starts_per_second(0)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)?
        .build()?)
}

/// One sign-in at `Cl.Cm.P2` through the stand-in (which auto-approves).
pub(crate) async fn sign_in(engine: &OneLogin) -> Result<LoginOutcome, Box<dyn std::error::Error>> {
    let start = engine.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await?;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let back = client.get(start.url.as_str()).send().await?;
    let location = url::Url::parse(back.headers()["location"].to_str()?)?;
    let params = CallbackParams::from_query(location.query().unwrap_or_default());
    Ok(engine.complete_login(params, Some(&start.flow_cookie), None).await?)
}
