//! A load run of complete sign-ins: browsers signing in at `Cl.Cm.P2`, over and over, through
//! our axum guard and the local One Login stand-in, on loopback.
//!
//! Each sign-in is what a browser does: `GET /protected` (the guard answers 303 to One Login,
//! with the flow cookie), `GET /authorize` at the stand-in (which approves and answers 302 back
//! with a code; request objects on, as by default), `GET /auth/callback` (the client assertion,
//! the token and userinfo calls, the ID token and core identity checks, the session made: 303
//! back with the session cookie), and `GET /protected` again, which must answer 200. Every
//! sign-in is for its own person (the stand-in gives each its own subject).
//!
//! Our server runs on a thread of its own (one tokio current-thread runtime: all its work is on
//! that thread); the stand-in and the browsers share another. The figure per core is sign-ins
//! divided by the CPU time our server's thread used over the window (from
//! `/proc/self/task/<tid>/stat`), so it does not depend on where the threads ran; sign-ins per
//! second of wall time and our thread's share of one CPU are printed beside it.
//!
//! ```sh
//! bench-signins [--seconds 10] [--browsers 16]
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use govuk_one_login::store::{MemoryStore, MemoryStoreLimits};
use govuk_one_login::{Config, Environment, IdentityClaim, OneLogin};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};
use govuk_one_login_tower::{OneLoginRouterExt, Requirement, require};

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Options {
    seconds: u64,
    browsers: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options { seconds: 10, browsers: 16 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--seconds" => o.seconds = number(&value)?.max(1),
            "--browsers" => o.browsers = usize::try_from(number(&value)?.max(1)).map_err(|e| e.to_string())?,
            other => return Err(format!("unknown option {other} (bench-signins [--seconds N] [--browsers N])")),
        }
    }
    Ok(o)
}

/// CPU time (user and system) a thread of this process has used, from its `stat` (clock ticks
/// of 10 ms).
fn thread_cpu(tid: u32) -> Result<Duration, Error> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))?;
    // The fields after the command name (which may hold spaces), from field 3 (`state`) on.
    let after = stat.rsplit_once(')').ok_or("an unreadable stat")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> Result<u64, Error> { Ok(fields.get(i).ok_or("a short stat")?.parse()?) };
    // utime and stime are fields 14 and 15: 11 and 12 after `state`.
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// This thread's id, from `/proc/thread-self`.
fn this_tid() -> Result<u32, Error> {
    let link = std::fs::read_link("/proc/thread-self")?;
    Ok(link.file_name().and_then(|n| n.to_str()).ok_or("no thread id")?.parse()?)
}

/// Our server, on the calling thread until the process ends: sends back its address and
/// thread id once it listens.
fn serve(issuer: String, ready: std::sync::mpsc::Sender<Result<(SocketAddr, u32), String>>) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return drop(ready.send(Err(e.to_string()))),
    };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let config = Config::builder(Environment::Custom { issuer })
            .client_id(CLIENT_ID)
            .redirect_uri(format!("http://{addr}/auth/callback"))
            .identity_claims(IdentityClaim::ALL)
            // The load is one address's: the start limit is for real traffic.
            .max_sign_in_starts_per_second(0)
            .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)?
            .build()?;
        let store = MemoryStore::with_limits(MemoryStoreLimits::default().sessions(10_000_000));
        let one_login = OneLogin::builder(config).store(store).build()?;
        let app = Router::new()
            .route("/protected", get(|| async { "signed in" }).route_layer(require(Requirement::IDENTITY_P2)))
            .with_one_login(one_login);
        let _ = ready.send(Ok((addr, this_tid()?)));
        axum::serve(listener, app).await?;
        Ok::<(), Error>(())
    });
    if let Err(e) = result {
        eprintln!("bench-signins: our server stopped: {e}");
    }
}

/// A browser's cookie jar for one host: `name=value` from each `Set-Cookie`.
#[derive(Default)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn take(&mut self, response: &reqwest::Response) {
        for set in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let Ok(set) = set.to_str() else { continue };
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || set.to_ascii_lowercase().contains("max-age=0") {
                    self.0.remove(name.trim());
                } else {
                    self.0.insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
    }
    fn header(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }
}

/// One complete sign-in by a new browser; an error says which step went wrong.
async fn sign_in(client: &reqwest::Client, ours: &str) -> Result<(), String> {
    let mut jar = Jar::default();
    let protected = format!("{ours}/protected");
    let first = client.get(&protected).send().await.map_err(|e| format!("GET /protected: {e}"))?;
    jar.take(&first);
    let to_one_login = location(&first, "the guard")?;
    let back = client.get(&to_one_login).send().await.map_err(|e| format!("GET /authorize: {e}"))?;
    let callback = location(&back, "the stand-in")?;
    if !callback.starts_with(ours) {
        return Err(format!("the stand-in sent the browser to {callback}"));
    }
    let done = get_with_cookies(client, &callback, &jar).await?;
    jar.take(&done);
    let next = location(&done, "the callback")?;
    let next = if next.starts_with('/') { format!("{ours}{next}") } else { next };
    let last = get_with_cookies(client, &next, &jar).await?;
    match last.status().as_u16() {
        200 => Ok(()),
        other => Err(format!("the signed-in browser got {other} at {next}")),
    }
}

/// `GET url` with the browser's cookies.
async fn get_with_cookies(client: &reqwest::Client, url: &str, jar: &Jar) -> Result<reqwest::Response, String> {
    let request = client.get(url).header(reqwest::header::COOKIE, jar.header());
    request.send().await.map_err(|e| format!("GET {url}: {e}"))
}

fn location(response: &reqwest::Response, who: &str) -> Result<String, String> {
    if !response.status().is_redirection() {
        return Err(format!("{who} answered {} where a redirect was due", response.status()));
    }
    let l = response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
    l.map(str::to_owned).ok_or_else(|| format!("{who} redirected with no Location"))
}

fn main() -> std::process::ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench-signins: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-signins: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(o: &Options) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mock = MockProvider::start().await;
        mock.give_each_sign_in_its_own_subject();
        let (tx, rx) = std::sync::mpsc::channel();
        let issuer = mock.issuer().to_owned();
        std::thread::Builder::new().name("ours".into()).spawn(move || serve(issuer, tx))?;
        let (addr, tid) = rx.recv()??;
        let ours = format!("http://{addr}");
        mock.register_redirect_uri(&format!("{ours}/auth/callback"));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        // The first sign-in fetches discovery and keys; a failure here stops the run.
        sign_in(&client, &ours).await?;

        let done = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
        let mut browsers = Vec::new();
        for _ in 0..o.browsers {
            let (client, ours, done, failed, stop, first_error) =
                (client.clone(), ours.clone(), done.clone(), failed.clone(), stop.clone(), first_error.clone());
            browsers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match sign_in(&client, &ours).await {
                        Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            first_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_or_insert(e);
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            }));
        }
        // A second of warming, then the window.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (count0, cpu0, t0) = (done.load(Ordering::Relaxed), thread_cpu(tid)?, Instant::now());
        tokio::time::sleep(Duration::from_secs(o.seconds)).await;
        let (count1, cpu1, wall) = (done.load(Ordering::Relaxed), thread_cpu(tid)?, t0.elapsed());
        stop.store(true, Ordering::Relaxed);
        for b in browsers {
            let _ = b.await;
        }
        let signins = count1 - count0;
        let cpu = (cpu1 - cpu0).as_secs_f64();
        let per_core = if cpu > 0.0 { signins as f64 / cpu } else { 0.0 };
        println!(
            "signins={signins} seconds={:.2} per_second={:.0} per_core_second={per_core:.0} our_cpu_share={:.2} failed={}",
            wall.as_secs_f64(),
            signins as f64 / wall.as_secs_f64(),
            cpu / wall.as_secs_f64(),
            failed.load(Ordering::Relaxed),
        );
        if let Some(e) = first_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            return Err(format!("{} sign-ins failed; the first: {e}", failed.load(Ordering::Relaxed)).into());
        }
        Ok(())
    })
}
