//! GOV.UK One Login demo with actix-web.
//!
//! Run with `cargo run -p actix-demo`: with no `ONE_LOGIN_*` variables it starts the local One
//! Login stand-in too, so it needs no credentials. Set `ONE_LOGIN_*` (see the README) to use
//! integration, production or a simulator, and `LISTEN_ADDR` to move it (default
//! 127.0.0.1:8080).

use actix_web::HttpServer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The embedded stand-in runs on its own tokio runtime, beside actix's.
    let runtime = tokio::runtime::Runtime::new()?;
    let demo = runtime.block_on(demo_support::boot())?;
    demo.announce("actix");
    let one_login = demo.one_login.clone();
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || actix_demo::app(one_login.clone())).bind(demo.listen)?.run().await
    })?;
    drop(runtime);
    Ok(())
}
