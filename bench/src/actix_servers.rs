//! The actix-web servers, one worker each: bare; actix-session (the handler reads the signed-in
//! user from the session); actix-identity on actix-session; ours behind
//! `require(Requirement::MEDIUM)`. actix-session ships no in-memory store (only a cookie store
//! and Redis), so the peers keep their sessions in [`MemorySessionStore`], a map behind a lock
//! as tower-sessions' `MemoryStore` is. The peers' sessions are made through their own login
//! paths (`POST /seed`), called in process before the server listens.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use actix_identity::{Identity, IdentityMiddleware};
use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key};
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, HttpMessage as _, HttpRequest, HttpResponse, HttpServer, test, web};
use govuk_one_login_actix::{OneLoginMiddleware, Requirement, require};

use crate::{BODY, Cookies, Options, random_token, ready, rss_kib};

type Error = Box<dyn std::error::Error>;

pub(crate) fn run(o: &Options) -> Result<(), Error> {
    actix_web::rt::System::new().block_on(serve(o))
}

async fn serve(o: &Options) -> Result<(), Error> {
    // Bound first, so that no port taken while the sessions are made can clash with it.
    let listener = std::net::TcpListener::bind(o.addr)?;
    let addr = listener.local_addr()?;
    let mut cookies = Cookies::create(o)?;
    let before = rss_kib();
    let key = Key::generate();
    let store = MemorySessionStore::default();
    let sessions = |store: MemorySessionStore, key: Key| {
        SessionMiddleware::builder(store, key).cookie_secure(false).cookie_name("id".into()).build()
    };
    match o.server.as_str() {
        "actix-bare" => {
            for _ in 0..o.sessions {
                cookies.push(&format!("id={}", random_token()))?;
            }
            ready(cookies, before, addr)?;
            HttpServer::new(|| App::new().route("/protected", web::get().to(|| async { BODY })))
                .workers(1)
                .listen(listener)?
                .run()
                .await?;
        }
        "actix-session" => {
            let app = move || {
                App::new()
                    .wrap(sessions(store.clone(), key.clone()))
                    .route("/protected", web::get().to(session_protected))
                    .route("/seed", web::post().to(session_seed))
            };
            seed(test::init_service(app()).await, o.sessions, &mut cookies).await?;
            ready(cookies, before, addr)?;
            HttpServer::new(app).workers(1).listen(listener)?.run().await?;
        }
        "actix-identity" => {
            let app = move || {
                App::new()
                    .wrap(IdentityMiddleware::default())
                    .wrap(sessions(store.clone(), key.clone()))
                    .route("/protected", web::get().to(identity_protected))
                    .route("/seed", web::post().to(identity_seed))
            };
            seed(test::init_service(app()).await, o.sessions, &mut cookies).await?;
            ready(cookies, before, addr)?;
            HttpServer::new(app).workers(1).listen(listener)?.run().await?;
        }
        "actix-ours" => {
            let made = crate::ours::sessions(&o.store, o.sessions, &mut cookies).await?;
            ready(cookies, made.rss_before_kib, addr)?;
            let one_login = made.one_login.clone();
            HttpServer::new(move || {
                App::new().wrap(OneLoginMiddleware::new(one_login.clone())).service(
                    web::resource("/protected")
                        .wrap(require(Requirement::MEDIUM).api())
                        .route(web::get().to(|| async { BODY })),
                )
            })
            .workers(1)
            .listen(listener)?
            .run()
            .await?;
            drop(made);
        }
        other => return Err(format!("unknown server {other}").into()),
    }
    Ok(())
}

/// Calls `POST /seed` `n` times in process; each answer's `Set-Cookie` is one session.
async fn seed<S>(app: S, n: usize, cookies: &mut Cookies) -> Result<(), Error>
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    for i in 0..n {
        let response =
            test::call_service(&app, test::TestRequest::post().uri(&format!("/seed?user={i}")).to_request()).await;
        let set = response.headers().get(header::SET_COOKIE).ok_or("seeding set no cookie")?.to_str()?;
        cookies.push(set.split(';').next().unwrap_or_default())?;
    }
    Ok(())
}

fn user_of(req: &HttpRequest) -> u64 {
    req.query_string().strip_prefix("user=").and_then(|v| v.parse().ok()).unwrap_or(0)
}

async fn session_seed(req: HttpRequest, session: Session) -> HttpResponse {
    match session.insert("user", user_of(&req)) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn session_protected(session: Session) -> HttpResponse {
    match session.get::<u64>("user") {
        Ok(Some(_)) => HttpResponse::Ok().body(BODY),
        Ok(None) => HttpResponse::Unauthorized().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn identity_seed(req: HttpRequest) -> HttpResponse {
    match Identity::login(&req.extensions(), user_of(&req).to_string()) {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn identity_protected(user: Option<Identity>) -> HttpResponse {
    match user.map(|u| u.id()) {
        Some(Ok(_)) => HttpResponse::Ok().body(BODY),
        _ => HttpResponse::Unauthorized().finish(),
    }
}

/// An in-memory store for actix-session: a map from session key to state and expiry.
#[derive(Debug, Clone, Default)]
struct MemorySessionStore(Arc<RwLock<HashMap<String, Stored>>>);

/// A session's state and when it expires.
type Stored = (HashMap<String, String>, Instant);

fn deadline(ttl: &actix_web::cookie::time::Duration) -> Instant {
    Instant::now() + std::time::Duration::from_secs(ttl.whole_seconds().max(0) as u64)
}

impl SessionStore for MemorySessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let map = self.0.read().map_err(|_| LoadError::Other(anyhow::anyhow!("poisoned")))?;
        Ok(map.get(key.as_ref()).filter(|(_, until)| *until > Instant::now()).map(|(state, _)| state.clone()))
    }
    async fn save(
        &self,
        state: HashMap<String, String>,
        ttl: &actix_web::cookie::time::Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        let mut map = self.0.write().map_err(|_| SaveError::Other(anyhow::anyhow!("poisoned")))?;
        map.insert(key.as_ref().to_owned(), (state, deadline(ttl)));
        Ok(key)
    }
    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &actix_web::cookie::time::Duration,
    ) -> Result<SessionKey, UpdateError> {
        let mut map = self.0.write().map_err(|_| UpdateError::Other(anyhow::anyhow!("poisoned")))?;
        map.insert(key.as_ref().to_owned(), (state, deadline(ttl)));
        Ok(key)
    }
    async fn update_ttl(&self, key: &SessionKey, ttl: &actix_web::cookie::time::Duration) -> Result<(), anyhow::Error> {
        let mut map = self.0.write().map_err(|_| anyhow::anyhow!("poisoned"))?;
        if let Some(entry) = map.get_mut(key.as_ref()) {
            entry.1 = deadline(ttl);
        }
        Ok(())
    }
    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        self.0.write().map_err(|_| anyhow::anyhow!("poisoned"))?.remove(key.as_ref());
        Ok(())
    }
}
