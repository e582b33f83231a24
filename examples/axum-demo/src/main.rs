//! GOV.UK One Login demo with axum.
//!
//! Run with `cargo run -p axum-demo`: with no `ONE_LOGIN_*` variables it starts the local One
//! Login stand-in too, so it needs no credentials. Set `ONE_LOGIN_*` (see the README) to use
//! integration, production or a simulator, and `LISTEN_ADDR` to move it (default
//! 127.0.0.1:8080).

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let demo = demo_support::boot().await?;
    let listener = tokio::net::TcpListener::bind(demo.listen).await?;
    demo.announce("axum");
    axum::serve(listener, axum_demo::app(demo.one_login.clone())).await?;
    Ok(())
}
