//! What the layer costs per request, in-process through tower's `oneshot`: the handler alone,
//! the handler behind the layer (bare verifier, and with a verification cache), and
//! `verify_text` alone. Run with `cargo bench -p caveat-token-axum`; figures in the README.

use std::hint::black_box;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use caveat_token::VerificationCache;
use caveat_token::Verifier;
use caveat_token::{Caveat, Context, Identifier, Persistence, RootKey, Subject, Token, TokenType};
use caveat_token_axum::{Authenticator, FixedClock, Verified};
use criterion::{criterion_group, criterion_main, Criterion};
use tower::ServiceExt;

const NOW: u64 = 1_700_000_000;

fn key() -> RootKey {
    RootKey::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        .expect("fixed key")
}

/// A realistic token: an access token with a time and an IP caveat.
fn token() -> String {
    let identifier = Identifier {
        location: "auth.example.com".into(),
        key_id: None,
        token_id: "tok-0001".into(),
        subject: Subject::User("alice".into()),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Temporary { generation: 1 },
    };
    let caveats = [
        Caveat::time(NOW + 3600),
        Caveat::from_json_str(r#"{"type":"ip","whitelist":["127.0.0.0/8"]}"#).expect("caveat"),
    ];
    Token::mint(&key(), &identifier, &caveats)
        .expect("mint")
        .to_text()
}

fn request(token: &str) -> Request<Body> {
    let mut request = Request::get("/")
        .header("x-auth-token", token)
        .body(Body::empty())
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    request
}

async fn protected(token: Verified) -> String {
    token.subject()
}

async fn bare() -> &'static str {
    "usr-alice"
}

fn layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let text = token();
    let mut group = c.benchmark_group("per request");

    let app = Router::new().route("/", get(bare));
    group.bench_function("handler alone (oneshot)", |b| {
        b.iter(|| rt.block_on(app.clone().oneshot(request(&text))))
    });

    let auth = Authenticator::builder(key())
        .clock(FixedClock::new(NOW))
        .build();
    let app = Router::new().route("/", get(protected)).layer(auth.layer());
    assert_eq!(
        rt.block_on(app.clone().oneshot(request(&text)))
            .expect("response")
            .status(),
        200
    );
    group.bench_function("handler behind the layer (oneshot)", |b| {
        b.iter(|| rt.block_on(app.clone().oneshot(request(&text))))
    });

    let cached = Authenticator::builder(key())
        .cache(VerificationCache::new(Verifier::new(), 1024))
        .clock(FixedClock::new(NOW))
        .build();
    let app = Router::new()
        .route("/", get(protected))
        .layer(cached.layer());
    group.bench_function("handler behind the layer with a cache (oneshot)", |b| {
        b.iter(|| rt.block_on(app.clone().oneshot(request(&text))))
    });

    let verifier = Verifier::new();
    let key = key();
    let ip = "127.0.0.1".parse().expect("ip");
    group.bench_function("verify_text alone", |b| {
        b.iter(|| {
            let ctx = Context::at(NOW).with_ip(ip);
            verifier
                .verify_text(black_box(&text), &key, &ctx)
                .expect("verified")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(50)
        .measurement_time(std::time::Duration::from_secs(3));
    targets = layer
}
criterion_main!(benches);
