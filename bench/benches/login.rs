//! What a whole login costs in core, against the floor its cryptography sets.
//!
//! - `login/whole`: `start_login` at `Cl.Cm.P2` (a request object signed with the RSA client
//!   key) and `complete_login` (a client assertion signed with it; the ID token and the core
//!   identity JWT verified with ES256; userinfo; the session created in the memory store). The
//!   One Login stand-in answers on loopback in this process; its own work (checking our two
//!   RSA signatures, signing the ID token and the core identity) falls inside the measured time,
//!   so the figure is an upper bound of ours. The browser's visit to the stand-in between the
//!   two calls is not measured.
//! - `login/floor`: what no relying party can avoid: two RSA-2048 (RS256, PKCS#1 v1.5, the
//!   default client-assertion algorithm) signatures and two ES256 verifications, with aws-lc-rs
//!   directly.
//! - `callback/whole` and `callback/floor`: `complete_login` alone, against one RSA signature
//!   (the client assertion) and two ES256 verifications.
//!
//! `cd bench && cargo bench --bench login` (the target: `whole` at most 1.2 times `floor`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair, UnparsedPublicKey};
use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use govuk_one_login::store::{MemoryStore, MemoryStoreLimits};
use govuk_one_login::{
    CallbackParams, Config, Environment, IdentityClaim, LoginRequest, OneLogin, Requirement, ReturnPath,
};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).expect("a PEM key")
}

fn floor(c: &mut Criterion) {
    let rsa = RsaKeyPair::from_pkcs8(&pem_der(keys::RP_PRIVATE_KEY_PEM)).expect("the RSA client key");
    let rng = SystemRandom::new();
    let ec = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).expect("an EC key");
    // Messages of a JWT's size: a request object and an assertion, an ID token and a core identity.
    let message = vec![b'x'; 900];
    let ec_sig = ec.sign(&rng, &message).expect("an ES256 signature");
    let ec_public = UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, ec.public_key().as_ref().to_vec());
    let mut rsa_sig = vec![0; rsa.public_modulus_len()];
    c.bench_function("callback/floor", |b| {
        b.iter(|| {
            rsa.sign(&signature::RSA_PKCS1_SHA256, &rng, black_box(&message), &mut rsa_sig).expect("RS256");
            for _ in 0..2 {
                ec_public.verify(black_box(&message), ec_sig.as_ref()).expect("ES256");
            }
        });
    });
    c.bench_function("login/floor", |b| {
        b.iter(|| {
            for _ in 0..2 {
                rsa.sign(&signature::RSA_PKCS1_SHA256, &rng, black_box(&message), &mut rsa_sig).expect("RS256");
            }
            for _ in 0..2 {
                ec_public.verify(black_box(&message), ec_sig.as_ref()).expect("ES256");
            }
        });
    });
}

fn whole(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let (mock, engine, client) = runtime.block_on(async {
        let mock = MockProvider::start().await;
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
        let engine = OneLogin::builder(config).store(store).build().expect("an engine");
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
        (mock, engine, client)
    });
    let user = govuk_one_login_mock::TestUser::default();
    let mut n = 0u64;
    // Each login for its own person, as real ones are (one person keeps at most 32 sessions).
    // `timed` gets start_login plus complete_login; `callback` gets complete_login alone.
    let mut one = |timed: &mut Duration, callback: &mut Duration| {
        n += 1;
        mock.set_user(govuk_one_login_mock::TestUser { sub: format!("{}{n:010}", user.sub), ..user.clone() });
        runtime.block_on(async {
            let t = Instant::now();
            let start = engine
                .start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root()))
                .await
                .expect("start");
            *timed += t.elapsed();
            let back = client.get(start.url.as_str()).send().await.expect("the stand-in");
            let location = url::Url::parse(back.headers()["location"].to_str().expect("a location")).expect("a URL");
            let params = CallbackParams::from_query(location.query().unwrap_or_default());
            let t = Instant::now();
            let outcome = engine.complete_login(params, Some(&start.flow_cookie), None).await.expect("a sign-in");
            *timed += t.elapsed();
            *callback += t.elapsed();
            black_box(outcome);
        });
    };
    // Discovery, keys and connections are cached before the measurement starts.
    let (mut warm, mut unused) = (Duration::ZERO, Duration::ZERO);
    one(&mut warm, &mut unused);
    c.bench_function("login/whole", |b| {
        b.iter_custom(|iters| {
            let (mut timed, mut callback) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..iters {
                one(&mut timed, &mut callback);
            }
            timed
        });
    });
    c.bench_function("callback/whole", |b| {
        b.iter_custom(|iters| {
            let (mut timed, mut callback) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..iters {
                one(&mut timed, &mut callback);
            }
            callback
        });
    });
}

criterion_group! {
    name = login;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(10));
    targets = floor, whole
}
criterion_main!(login);
