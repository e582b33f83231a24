//! What a whole login costs in core, against the floor its cryptography sets.
//!
//! - `login/whole`: `start_login` at `Cl.Cm.P2` (a request object signed with the RSA client
//!   key) and `complete_login` (a client assertion signed with it; the ID token and the core
//!   identity JWT verified with ES256; userinfo; the session created in the memory store), in
//!   wall time. The engine's calls to One Login (discovery, keys, token, userinfo) are answered
//!   in-process, on this thread: its transport hands each request to the stand-in's own routes
//!   (no socket, no other thread). The stand-in's work (checking our two RSA signatures,
//!   signing the ID token and the core identity) is inside this wall-clock window. The
//!   browser's visit to the stand-in between the two calls is not measured.
//! - `login/ours` and `callback/ours`: the CPU time of the thread that signed in, less the CPU
//!   time the stand-in spent on it answering the engine's calls (measured around each call):
//!   ours alone.
//! - `login/floor`: what no relying party can avoid: two RSA-2048 (RS256, PKCS#1 v1.5, the
//!   default client-assertion algorithm) signatures and two ES256 verifications, with aws-lc-rs
//!   directly (the ES256 key parsed once, as core keeps the keys it fetches).
//! - `login/paired` (printed last): 2,000 rounds of a floor and a login, both timed by this
//!   thread's CPU clock; the medians and the median of the ratios (benchmarks run one after
//!   another see the machine drift; this ratio does not). Each round also signs in once with the
//!   default transport, over loopback HTTP, for comparison.
//! - `callback/whole` and `callback/floor`: `complete_login` alone, against one RSA signature
//!   (the client assertion) and two ES256 verifications.
//! - `es256/verify_parsed` and `es256/parse_and_verify`: one ES256 verification with the key
//!   parsed beforehand, and with the key parsed as part of it.
//! - `rsa/parse_key`: parsing and checking the RSA private key, which a JWT library that keeps
//!   the key as DER (jsonwebtoken) does before every signature; core parses it once.
//!
//! `cd bench && cargo bench --bench login` (the target: ours at most 1.2 times `floor`).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair, UnparsedPublicKey};
use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use govuk_one_login::store::{MemoryStore, MemoryStoreLimits};
use govuk_one_login::transport::{HttpTransport, TransportError};
use govuk_one_login::{
    CallbackParams, Config, Environment, IdentityClaim, LoginRequest, OneLogin, Requirement, ReturnPath,
};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).expect("a PEM key")
}

/// What no relying party can avoid, ready to run: an RSA-2048 key (RS256, PKCS#1 v1.5, the
/// default client-assertion algorithm) and an ES256 public key with a signature to check.
struct Floor {
    rsa: RsaKeyPair,
    rng: SystemRandom,
    /// The ES256 key parsed once, as core keeps the keys it fetches.
    ec_public: ParsedPublicKey,
    /// The same key as bytes, for `es256/parse_key`.
    ec_unparsed: UnparsedPublicKey<Vec<u8>>,
    ec_sig: Vec<u8>,
    /// A message of a JWT's size: a request object or assertion, an ID token or core identity.
    message: Vec<u8>,
    rsa_sig: Vec<u8>,
}

impl Floor {
    fn new() -> Self {
        let rsa = RsaKeyPair::from_pkcs8(&pem_der(keys::RP_PRIVATE_KEY_PEM)).expect("the RSA client key");
        let rng = SystemRandom::new();
        let ec = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).expect("an EC key");
        let message = vec![b'x'; 900];
        let ec_sig = ec.sign(&rng, &message).expect("an ES256 signature").as_ref().to_vec();
        let ec_unparsed =
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, ec.public_key().as_ref().to_vec());
        let ec_public = ec_unparsed.parse().expect("an ES256 public key");
        let rsa_sig = vec![0; rsa.public_modulus_len()];
        Self { rsa, rng, ec_public, ec_unparsed, ec_sig, message, rsa_sig }
    }

    /// `rsa` RSA signatures and two ES256 verifications.
    fn run(&mut self, rsa: usize) {
        for _ in 0..rsa {
            let message = black_box(&self.message);
            self.rsa.sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut self.rsa_sig).expect("RS256");
        }
        for _ in 0..2 {
            self.ec_public.verify_sig(black_box(&self.message), &self.ec_sig).expect("ES256");
        }
    }
}

fn floor(c: &mut Criterion) {
    let mut floor = Floor::new();
    // What a JWT library that keeps the key as DER does before every signature (jsonwebtoken
    // calls `RsaKeyPair::from_der` on the PKCS#1 form; the check is the same).
    let rsa_der = pem_der(keys::RP_PRIVATE_KEY_PEM);
    c.bench_function("rsa/parse_key", |b| {
        b.iter(|| RsaKeyPair::from_pkcs8(black_box(&rsa_der)).expect("the RSA client key"));
    });
    // What parsing the ES256 key at each verification adds (core parses each key once, when
    // its JWK set or DID document is fetched; so does the floor).
    c.bench_function("es256/verify_parsed", |b| {
        b.iter(|| floor.ec_public.verify_sig(black_box(&floor.message), &floor.ec_sig).expect("ES256"));
    });
    c.bench_function("es256/parse_and_verify", |b| {
        b.iter(|| floor.ec_unparsed.verify(black_box(&floor.message), &floor.ec_sig).expect("ES256"));
    });
    c.bench_function("callback/floor", |b| b.iter(|| floor.run(1)));
    c.bench_function("login/floor", |b| b.iter(|| floor.run(2)));
}

/// The engine's transport in the benchmark: each request answered in-process by the stand-in's
/// own routes, on the thread that signs in (no socket, no hop to another thread), with the CPU
/// time the stand-in spends answering counted apart in `stand_in_cpu`, so that the rest of the
/// thread's CPU time is ours alone.
#[derive(Debug, Clone)]
struct InProcess {
    mock: Arc<MockProvider>,
    /// The stand-in's CPU time on this thread so far (nanoseconds).
    stand_in_cpu: Arc<AtomicU64>,
}

impl InProcess {
    fn stand_in_cpu(&self) -> Duration {
        Duration::from_nanos(self.stand_in_cpu.load(Ordering::Relaxed))
    }
}

#[async_trait::async_trait]
impl HttpTransport for InProcess {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        _max_body: usize,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let cpu = thread_cpu();
        let response = self.mock.answer(request).await;
        let spent = u64::try_from((thread_cpu() - cpu).as_nanos()).unwrap_or(u64::MAX);
        self.stand_in_cpu.fetch_add(spent, Ordering::Relaxed);
        Ok(response)
    }
}

/// The stand-in, serving loopback HTTP on a thread and runtime of its own (the browser's visits,
/// and the engine that calls it over loopback); it stops when the process ends.
fn stand_in() -> Arc<MockProvider> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            let mock = Arc::new(MockProvider::start().await);
            tx.send(mock.clone()).expect("the benchmark waits for the stand-in");
            std::future::pending::<()>().await;
        });
    });
    rx.recv().expect("the stand-in started")
}

/// CPU time this thread has used.
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec.unsigned_abs(), u32::try_from(t.tv_nsec).unwrap_or(0))
}

/// What one login took on the thread that signed in: wall and CPU time of `start_login`, and of
/// `complete_login`.
#[derive(Default)]
struct Login {
    start: Duration,
    start_cpu: Duration,
    callback: Duration,
    callback_cpu: Duration,
}

/// An engine signing in at the stand-in, its calls through `transport` (the default, loopback
/// HTTP, when `None`).
fn engine(runtime: &tokio::runtime::Runtime, mock: &MockProvider, transport: Option<&InProcess>) -> OneLogin {
    runtime.block_on(async {
        let redirect = "http://127.0.0.1:9/auth/callback";
        mock.register_redirect_uri(redirect);
        let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
            .client_id(CLIENT_ID)
            .redirect_uri(redirect)
            .identity_claims(IdentityClaim::ALL)
            .max_sign_in_starts_per_second(0)
            .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
            .expect("the client key")
            .build()
            .expect("a configuration");
        let store = MemoryStore::with_limits(MemoryStoreLimits::default().sessions(10_000_000));
        let builder = OneLogin::builder(config).store(store);
        match transport {
            Some(transport) => builder.http_transport(transport.clone()),
            None => builder,
        }
        .build()
        .expect("an engine")
    })
}

/// One whole login with `engine`, whose calls go through `transport` if it has one; the browser
/// (`client`) visits the stand-in over loopback between the two calls, unmeasured. The CPU
/// times are ours: the stand-in's CPU time on this thread is taken out.
fn one(
    runtime: &tokio::runtime::Runtime,
    engine: &OneLogin,
    transport: Option<&InProcess>,
    client: &reqwest::Client,
) -> Login {
    let stand_in = || transport.map(InProcess::stand_in_cpu).unwrap_or_default();
    runtime.block_on(async {
        let (t, cpu) = (Instant::now(), thread_cpu() - stand_in());
        let start =
            engine.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await.expect("start");
        let (start_time, start_cpu) = (t.elapsed(), thread_cpu() - stand_in() - cpu);
        let back = client.get(start.url.as_str()).send().await.expect("the stand-in");
        let location = url::Url::parse(back.headers()["location"].to_str().expect("a location")).expect("a URL");
        let params = CallbackParams::from_query(location.query().unwrap_or_default());
        let (t, cpu) = (Instant::now(), thread_cpu() - stand_in());
        let outcome = engine.complete_login(params, Some(&start.flow_cookie), None).await.expect("a sign-in");
        let (callback, callback_cpu) = (t.elapsed(), thread_cpu() - stand_in() - cpu);
        black_box(outcome);
        Login { start: start_time, start_cpu, callback, callback_cpu }
    })
}

fn whole(c: &mut Criterion) {
    let mock = stand_in();
    let in_process = InProcess { mock: mock.clone(), stand_in_cpu: Arc::default() };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let engine_in_process = engine(&runtime, &mock, Some(&in_process));
    let engine_loopback = engine(&runtime, &mock, None);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    // Each login for its own person, as real ones are (one person keeps at most 32 sessions).
    mock.give_each_sign_in_its_own_subject();
    // Discovery, keys and connections are cached before the measurement starts.
    one(&runtime, &engine_in_process, Some(&in_process), &client);
    one(&runtime, &engine_loopback, None, &client);
    let mut measure = |name: &str, part: fn(&Login) -> Duration| {
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters).map(|_| part(&one(&runtime, &engine_in_process, Some(&in_process), &client))).sum()
            })
        });
    };
    measure("login/whole", |l| l.start + l.callback);
    measure("login/ours", |l| l.start_cpu + l.callback_cpu);
    measure("callback/whole", |l| l.callback);
    measure("callback/ours", |l| l.callback_cpu);

    // The same machine drifts between benchmarks run one after another: the ratio comes from
    // logins and floors run in turn, each login beside a floor measured the same way.
    let mut floor = Floor::new();
    let (mut ours, mut floors, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut loopback, mut loopback_ratios) = (Vec::new(), Vec::new());
    for _ in 0..PAIRED {
        let cpu = thread_cpu();
        floor.run(2);
        let floor_cpu = thread_cpu() - cpu;
        let login = one(&runtime, &engine_in_process, Some(&in_process), &client);
        let login_cpu = login.start_cpu + login.callback_cpu;
        ratios.push(login_cpu.as_secs_f64() / floor_cpu.as_secs_f64());
        ours.push(login_cpu);
        floors.push(floor_cpu);
        // The same login with the engine's calls over loopback HTTP (reqwest, hyper, and the
        // kernel's TCP on both ends of a loopback write, which Linux runs on the writer's CPU).
        let login = one(&runtime, &engine_loopback, None, &client);
        let login_cpu = login.start_cpu + login.callback_cpu;
        loopback_ratios.push(login_cpu.as_secs_f64() / floor_cpu.as_secs_f64());
        loopback.push(login_cpu);
    }
    println!(
        "login/paired: {PAIRED} logins, each beside a floor: median ours {:.0} µs, median floor {:.0} µs, \
         median ratio {:.2}; with the calls over loopback HTTP: median {:.0} µs, ratio {:.2}",
        median(&mut ours).as_secs_f64() * 1e6,
        median(&mut floors).as_secs_f64() * 1e6,
        median(&mut ratios),
        median(&mut loopback).as_secs_f64() * 1e6,
        median(&mut loopback_ratios),
    );
}

/// Logins in the paired comparison.
const PAIRED: usize = 2_000;

fn median<T: PartialOrd + Copy>(values: &mut [T]) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[values.len() / 2]
}

criterion_group! {
    name = login;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(10));
    targets = floor, whole
}
criterion_main!(login);
