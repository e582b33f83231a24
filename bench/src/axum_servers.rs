//! The axum servers: bare; tower-sessions (the handler reads the signed-in user from the
//! session); axum-login behind `login_required!`; ours behind `require(Requirement::MEDIUM)`.
//! The peers' sessions are made through their own login paths (`POST /seed`), called in
//! process before the server listens.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use axum_login::{AuthManagerLayerBuilder, AuthSession, AuthUser, AuthnBackend, UserId, login_required};
use govuk_one_login_tower::{OneLoginRouterExt, Requirement, require};
use tower::ServiceExt as _;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

use crate::{BODY, Cookies, Options, random_token, ready, rss_kib};

type Error = Box<dyn std::error::Error>;

pub(crate) fn run(o: &Options) -> Result<(), Error> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(serve(o))
}

async fn serve(o: &Options) -> Result<(), Error> {
    // Bound first, so that no port taken while the sessions are made can clash with it.
    let listener = tokio::net::TcpListener::bind(o.addr).await?;
    let addr = listener.local_addr()?;
    let mut cookies = Cookies::create(o)?;
    // axum-login's users exist before any session does: they are not the sessions' memory.
    let users = if o.server == "axum-login" {
        (0..o.sessions as u64).map(|id| (id, User::new(id))).collect()
    } else {
        HashMap::new()
    };
    let mut before = rss_kib();
    let (app, _keep) = match o.server.as_str() {
        "axum-bare" => {
            for _ in 0..o.sessions {
                cookies.push(&format!("id={}", random_token()))?;
            }
            (Router::new().route("/protected", get(|| async { BODY })), None)
        }
        "axum-tower-sessions" => {
            let layer = SessionManagerLayer::new(MemoryStore::default()).with_secure(false);
            let app = Router::new()
                .route("/protected", get(tower_sessions_protected))
                .route("/seed", post(tower_sessions_seed))
                .layer(layer);
            seed(&app, o.sessions, &mut cookies).await?;
            (app, None)
        }
        "axum-login" => {
            let layer = SessionManagerLayer::new(MemoryStore::default()).with_secure(false);
            let auth = AuthManagerLayerBuilder::new(Users(Arc::new(users)), layer).build();
            let app = Router::new()
                .route("/protected", get(|| async { BODY }))
                .route_layer(login_required!(Users))
                .route("/seed", post(axum_login_seed))
                .layer(auth);
            seed(&app, o.sessions, &mut cookies).await?;
            (app, None)
        }
        "axum-ours" => {
            let made = crate::ours::sessions(&o.store, o.sessions, &mut cookies).await?;
            before = made.rss_before_kib;
            let app = Router::new()
                .route("/protected", get(|| async { BODY }).route_layer(require(Requirement::MEDIUM).api()))
                .with_one_login(made.one_login.clone());
            (app, Some(made))
        }
        other => return Err(format!("unknown server {other}").into()),
    };
    ready(cookies, before, addr)?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// Calls `POST /seed` `n` times in process; each answer's `Set-Cookie` is one session.
async fn seed(app: &Router, n: usize, cookies: &mut Cookies) -> Result<(), Error> {
    for i in 0..n {
        let request = Request::post(format!("/seed?user={i}")).body(Body::empty())?;
        let response = app.clone().oneshot(request).await?;
        let set = response.headers().get(header::SET_COOKIE).ok_or("seeding set no cookie")?.to_str()?;
        cookies.push(set.split(';').next().unwrap_or_default())?;
    }
    Ok(())
}

fn user_of(query: Option<&str>) -> u64 {
    query.and_then(|q| q.strip_prefix("user=")).and_then(|v| v.parse().ok()).unwrap_or(0)
}

async fn tower_sessions_seed(session: Session, uri: axum::http::Uri) -> StatusCode {
    match session.insert("user", user_of(uri.query())).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn tower_sessions_protected(session: Session) -> Result<&'static str, StatusCode> {
    match session.get::<u64>("user").await {
        Ok(Some(_)) => Ok(BODY),
        Ok(None) => Err(StatusCode::UNAUTHORIZED),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// axum-login's user: an id and the hash that ties a session to the user's credentials.
#[derive(Debug, Clone)]
struct User {
    id: u64,
    auth_hash: Vec<u8>,
}

impl User {
    fn new(id: u64) -> Self {
        Self { id, auth_hash: format!("credential-hash-of-{id:032}").into_bytes() }
    }
}

impl AuthUser for User {
    type Id = u64;
    fn id(&self) -> u64 {
        self.id
    }
    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

#[derive(Debug, Clone)]
struct Users(Arc<HashMap<u64, User>>);

impl AuthnBackend for Users {
    type User = User;
    type Credentials = u64;
    type Error = std::convert::Infallible;
    async fn authenticate(&self, id: u64) -> Result<Option<User>, Self::Error> {
        Ok(self.0.get(&id).cloned())
    }
    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, Self::Error> {
        Ok(self.0.get(id).cloned())
    }
}

async fn axum_login_seed(mut auth: AuthSession<Users>, uri: axum::http::Uri) -> StatusCode {
    let Ok(Some(user)) = auth.authenticate(user_of(uri.query())).await else {
        return StatusCode::UNAUTHORIZED;
    };
    match auth.login(&user).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
