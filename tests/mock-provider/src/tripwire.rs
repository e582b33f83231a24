//! A loopback listener that counts every request made to it: point a token's `jku` or `x5u`
//! header (or a redirect) at it, and check that the relying party never called.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::tokens::{KID_UNPUBLISHED, keys};

/// A running tripwire. Stops when dropped.
pub struct Tripwire {
    hits: Arc<AtomicUsize>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Tripwire {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for Tripwire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tripwire").field("addr", &self.addr).field("hits", &self.hits()).finish_non_exhaustive()
    }
}

impl Tripwire {
    /// Starts on `127.0.0.1` on a free port. Every path answers 200 with a JWKS holding the
    /// key the stand-in's forged tokens are signed with (what an attacker would serve).
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the tripwire's port");
        let addr = listener.local_addr().expect("local address");
        let hits = Arc::new(AtomicUsize::new(0));
        let app = axum::Router::new().fallback(answer).with_state(hits.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { hits, addr, task }
    }

    /// `http://127.0.0.1:<port>` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The public JWK of the key forged tokens are signed with, under `kid`.
    pub fn forged_key_jwk(kid: &str) -> Value {
        keys().rogue.public_jwk(kid)
    }
}

async fn answer(State(hits): State<Arc<AtomicUsize>>) -> Json<Value> {
    hits.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "keys": [keys().rogue.public_jwk(KID_UNPUBLISHED)] }))
}
