//! The authenticator over real TCP on loopback: where the token is read from, every rejection's
//! status, headers and JSON, the extractors, the per-route context, the cache and the usage hook.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use caveat_token::RevokedList;
use caveat_token::VerificationCache;
use caveat_token::{Expect, Persistence, Verifier};
use caveat_token_axum::{Authenticator, ClientIp, FixedClock, UsageEvent, Verified};
use common::{fetch, key, serve, token, token_for, valid_for, NOW};
use serde_json::{json, Value};
use tokio::sync::mpsc;

async fn whoami(token: Verified, ClientIp(ip): ClientIp) -> Json<Value> {
    Json(
        json!({"subject": token.subject(), "tokenId": token.token_id(), "clientIp": ip.to_string()}),
    )
}

async fn maybe(token: Option<Verified>) -> String {
    token.map_or_else(|| "anonymous".to_owned(), |t| t.subject())
}

async fn open() -> &'static str {
    "open"
}

fn routes() -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/maybe", get(maybe))
        .route("/open", get(open))
}

fn authenticator() -> Authenticator {
    Authenticator::builder(key())
        .clock(FixedClock::new(NOW))
        .cookie("caveat")
        .build()
}

async fn server() -> SocketAddr {
    serve(routes().layer(authenticator().layer())).await
}

fn x_auth(token: &str) -> String {
    format!("X-Auth-Token: {token}")
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}")
}

#[tokio::test]
async fn both_headers_and_the_cookie_are_read() {
    let addr = server().await;
    let t = token(&[]);
    for line in [x_auth(&t), bearer(&t), format!("Cookie: a=b; caveat={t}")] {
        let reply = fetch(addr, "/whoami", &[&line]).await;
        assert_eq!(reply.status, 200, "{line}: {}", reply.body);
        assert_eq!(
            reply.json(),
            json!({"subject": "usr-alice", "tokenId": "tok-0001", "clientIp": "127.0.0.1"})
        );
    }
}

#[tokio::test]
async fn surrounding_whitespace_is_trimmed() {
    let addr = server().await;
    let t = token(&[]);
    for line in [
        format!("X-Auth-Token: \t {t} \t"),
        format!("Authorization:   bearer \t  {t}   "),
    ] {
        let reply = fetch(addr, "/whoami", &[&line]).await;
        assert_eq!(reply.status, 200, "{line:?}: {}", reply.body);
    }
}

#[tokio::test]
async fn two_different_tokens_are_a_400_and_the_same_twice_is_one() {
    let addr = server().await;
    let a = token(&[]);
    let b = token_for(common::identifier("tok-0002"), &[]);
    let reply = fetch(addr, "/whoami", &[&x_auth(&a), &bearer(&b)]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_id(), "multipleTokens");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer error=\"invalid_request\"")
    );
    // Even on a route that does not look at the token, through Option<Verified>.
    let reply = fetch(addr, "/maybe", &[&x_auth(&a), &x_auth(&b)]).await;
    assert_eq!(reply.status, 400);
    let reply = fetch(addr, "/whoami", &[&x_auth(&a), &bearer(&a)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn no_token_is_401_unauthorized_with_bearer_challenge() {
    let addr = server().await;
    let reply = fetch(addr, "/whoami", common::NONE).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let json = reply.json();
    assert_eq!(json["error"]["id"], "unauthorized");
    assert_eq!(json["error"]["details"], json!({}));
    assert!(json["error"]["description"].is_string());
    // Another scheme is not a token.
    let reply = fetch(addr, "/whoami", &["Authorization: Basic YWxpY2U6cHc="]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}

/// The 401 of a failed token, its `authError`, and that nothing beyond the id (and a caveat's
/// reason) is shown.
async fn refused(addr: SocketAddr, line: &str) -> Value {
    let reply = fetch(addr, "/whoami", &[line]).await;
    assert_eq!(reply.status, 401, "{line}: {}", reply.body);
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\"")
    );
    let json = reply.json();
    assert_eq!(json["error"]["id"], "unauthorized");
    let auth_error = json["error"]["details"]["authError"].clone();
    let keys: Vec<&str> = auth_error
        .as_object()
        .expect("authError object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "details", "description"]);
    let details = auth_error["details"].as_object().expect("details object");
    assert!(details.keys().all(|k| k == "reason"), "{details:?}");
    auth_error
}

#[tokio::test]
async fn each_token_failure_is_401_with_the_library_error_id() {
    let revoked = caveat_token::Identifier {
        persistence: Persistence::Named,
        ..common::identifier("tok-revoked")
    };
    let verifier =
        Verifier::new().with_revocation_source(Arc::new(RevokedList::from_iter(["tok-revoked"])));
    let auth = Authenticator::builder(key())
        .verifier(verifier)
        .clock(FixedClock::new(NOW))
        .build();
    let addr = serve(routes().layer(auth.layer())).await;

    let forged = caveat_token::Token::mint(
        &caveat_token::RootKey::from_bytes(b"another key").expect("key"),
        &common::identifier("tok-0001"),
        &[],
    )
    .expect("mint")
    .to_text();
    let expired = token(&[&format!(r#"{{"type":"time","validUntil":{}}}"#, NOW - 1)]);
    let cases = [
        ("not a token", "badToken"),
        (forged.as_str(), "tokenInvalid"),
        (&token_for(revoked, &[]), "tokenRevoked"),
        (&expired, "tokenCaveatUnverified"),
    ];
    for (text, id) in cases {
        let auth_error = refused(addr, &x_auth(text)).await;
        assert_eq!(auth_error["id"], id, "{text}");
        // The expired caveat's value (and the chain position) is not echoed back.
        assert!(!auth_error.to_string().contains(&(NOW - 1).to_string()));
    }
    // Option<Verified> refuses a bad token too; only its absence is anonymous.
    let reply = fetch(addr, "/maybe", &[&x_auth(&expired)]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(fetch(addr, "/maybe", common::NONE).await.body, "anonymous");
    let reply = fetch(addr, "/maybe", &[&x_auth(&token(&[]))]).await;
    assert_eq!(reply.body, "usr-alice");
    // A route that takes no extractor is not refused by the plain layer.
    let reply = fetch(addr, "/open", &[&x_auth("not a token")]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "open"));
}

#[tokio::test]
async fn expose_details_sends_the_whole_library_error() {
    let auth = Authenticator::builder(key())
        .clock(FixedClock::new(NOW))
        .expose_details(true)
        .build();
    let addr = serve(routes().layer(auth.layer())).await;
    let expired = token(&[&format!(r#"{{"type":"time","validUntil":{}}}"#, NOW - 1)]);
    let reply = fetch(addr, "/whoami", &[&x_auth(&expired)]).await;
    let auth_error = &reply.json()["error"]["details"]["authError"];
    assert_eq!(auth_error["id"], "tokenCaveatUnverified");
    assert_eq!(auth_error["details"]["caveat"]["validUntil"], NOW - 1);
}

#[tokio::test]
async fn extractors_without_the_layer_are_a_500_not_a_panic() {
    let addr = serve(routes()).await;
    for line in [x_auth(&token(&[])), String::from("X-Other: 1")] {
        let reply = fetch(addr, "/whoami", &[&line]).await;
        assert_eq!(reply.status, 500);
        assert_eq!(reply.error_id(), "authLayerMissing");
        assert!(reply.json()["error"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("layer")));
    }
    let reply = fetch(addr, "/maybe", common::NONE).await;
    assert_eq!(reply.error_id(), "authLayerMissing");
}

#[tokio::test]
async fn require_refuses_before_the_handler() {
    let addr = serve(routes().layer(authenticator().require())).await;
    let reply = fetch(addr, "/open", common::NONE).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error_id(), "unauthorized");
    let reply = fetch(addr, "/open", &[&x_auth("garbage")]).await;
    assert_eq!(reply.auth_error_id(), "badToken");
    let reply = fetch(addr, "/open", &[&x_auth(&token(&[]))]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "open"));
}

#[tokio::test]
async fn per_route_context_expects_a_token_type() {
    let auth = authenticator();
    let identity_only = auth.with_context(|_, ctx| ctx.expecting(Expect::Identity));
    let app = Router::new()
        .route("/whoami", get(whoami))
        .route("/identity", get(whoami).route_layer(identity_only.layer()))
        .layer(auth.layer());
    let addr = serve(app).await;
    let access = token(&[]);
    assert_eq!(
        fetch(addr, "/whoami", &[&x_auth(&access)]).await.status,
        200
    );
    let reply = fetch(addr, "/identity", &[&x_auth(&access)]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.auth_error_id(), "notAnIdentityToken");
}

#[tokio::test]
async fn the_cache_still_clears_caveats_on_every_request() {
    let clock = Arc::new(FixedClock::new(NOW));
    let auth = Authenticator::builder(key())
        .cache(VerificationCache::new(Verifier::new(), 64))
        .clock(Arc::clone(&clock))
        .build();
    let addr = serve(routes().layer(auth.layer())).await;
    let t = token(&[&valid_for(60)]);
    assert_eq!(fetch(addr, "/whoami", &[&x_auth(&t)]).await.status, 200);
    assert_eq!(fetch(addr, "/whoami", &[&bearer(&t)]).await.status, 200);
    clock.advance(61);
    let reply = fetch(addr, "/whoami", &[&x_auth(&t)]).await;
    assert_eq!(reply.auth_error_id(), "tokenCaveatUnverified");
}

async fn next_event(events: &mut mpsc::UnboundedReceiver<UsageEvent>) -> UsageEvent {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("usage event within 10 s")
        .expect("event")
}

#[tokio::test]
async fn usage_hook_reports_each_success_off_the_request_path() {
    let (events_tx, mut events) = mpsc::unbounded_channel::<UsageEvent>();
    let auth = Authenticator::builder(key())
        .clock(FixedClock::new(NOW))
        .on_usage(16, move |event| {
            let events_tx = events_tx.clone();
            async move {
                let _ = events_tx.send(event);
            }
        })
        .build();
    let addr = serve(routes().layer(auth.layer())).await;
    assert_eq!(
        fetch(addr, "/whoami", &[&x_auth(&token(&[]))]).await.status,
        200
    );
    // Failures and anonymous requests are not usage.
    assert_eq!(
        fetch(addr, "/whoami", &[&x_auth("garbage")]).await.status,
        401
    );
    assert_eq!(fetch(addr, "/maybe", common::NONE).await.status, 200);
    let second = token_for(common::identifier("tok-0002"), &[]);
    assert_eq!(fetch(addr, "/maybe", &[&bearer(&second)]).await.status, 200);
    let first = next_event(&mut events).await;
    assert_eq!(
        first,
        UsageEvent {
            token_id: "tok-0001".into(),
            subject: "usr-alice".into(),
            at: NOW,
            client_ip: Some("127.0.0.1".parse().expect("ip")),
        }
    );
    assert_eq!(next_event(&mut events).await.token_id, "tok-0002");
    assert!(events.try_recv().is_err(), "exactly two successes");
    assert_eq!(auth.usage_stats().dropped, 0);
}

#[tokio::test]
async fn a_full_usage_queue_never_delays_the_response() {
    // The callback never finishes: the queue (1) fills, later events are dropped, and the
    // responses keep coming.
    let auth = Authenticator::builder(key())
        .clock(FixedClock::new(NOW))
        .on_usage(1, |_| std::future::pending::<()>())
        .build();
    let addr = serve(routes().layer(auth.layer())).await;
    let t = token(&[]);
    for _ in 0..5 {
        assert_eq!(fetch(addr, "/whoami", &[&x_auth(&t)]).await.status, 200);
    }
    let stats = auth.usage_stats();
    assert_eq!(stats.delivered, 0);
    // One held by the worker (if it started), one queued; the rest dropped.
    assert!((3..=4).contains(&stats.dropped), "{stats:?}");
}
