//! The two adapters under test.

use std::net::TcpListener;

use govuk_one_login::OneLogin;

use crate::{Adapter, Server};

/// The axum demo service (tower adapter).
#[derive(Debug)]
pub struct AxumAdapter;

struct Abort(tokio::task::JoinHandle<()>);

impl Drop for Abort {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Adapter for AxumAdapter {
    fn name(&self) -> &'static str {
        "axum"
    }
    fn serve(&self, listener: TcpListener, one_login: OneLogin) -> Server {
        listener.set_nonblocking(true).expect("nonblocking");
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, axum_demo::app(one_login)).await;
        });
        Server::new(Abort(task))
    }
}

/// The actix demo service (actix adapter), on its own actix system thread.
#[derive(Debug)]
pub struct ActixAdapter;

struct Stop(actix_web::dev::ServerHandle);

impl Drop for Stop {
    fn drop(&mut self) {
        // Sends the stop command at once; the server thread winds down by itself.
        drop(self.0.stop(false));
    }
}

impl Adapter for ActixAdapter {
    fn name(&self) -> &'static str {
        "actix"
    }
    fn serve(&self, listener: TcpListener, one_login: OneLogin) -> Server {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || actix_demo::app(one_login.clone()))
                    .workers(1)
                    .disable_signals()
                    .listen(listener)
                    .expect("listen")
                    .run();
                let _ = tx.send(server.handle());
                let _ = server.await;
            });
        });
        Server::new(Stop(rx.recv().expect("actix server started")))
    }
}
