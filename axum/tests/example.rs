//! The `protected` example's service, built from its own command-line parsing and routes, over
//! real TCP on loopback.

mod common;

#[allow(dead_code)]
#[path = "../examples/protected.rs"]
mod protected;

use common::{fetch, serve, token, KEY_HEX};
use serde_json::json;

fn args(list: &[&str]) -> impl Iterator<Item = String> {
    list.iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>()
        .into_iter()
}

async fn started(extra: &[&str]) -> std::net::SocketAddr {
    let mut list = vec!["--listen", "127.0.0.1:0", "--key-hex", KEY_HEX];
    list.extend_from_slice(extra);
    let config = protected::Config::parse(args(&list), None).expect("arguments");
    serve(protected::app(config)).await
}

#[tokio::test]
async fn health_needs_no_token_and_whoami_answers_for_a_valid_one() {
    let addr = started(&[]).await;
    let reply = fetch(addr, "/health", common::NONE).await;
    assert_eq!(reply.status, 200);
    let reply = fetch(
        addr,
        "/whoami",
        &[format!("Authorization: Bearer {}", token(&[]))],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"subject": "usr-alice", "tokenId": "tok-0001", "clientIp": "127.0.0.1"})
    );
}

#[tokio::test]
async fn whoami_rejections() {
    let addr = started(&[]).await;
    let reply = fetch(addr, "/whoami", common::NONE).await;
    assert_eq!(
        (reply.status, reply.error_id().as_str()),
        (401, "unauthorized")
    );
    let reply = fetch(addr, "/whoami", &["X-Auth-Token: nonsense"]).await;
    assert_eq!(reply.auth_error_id(), "badToken");
    // The example clears interface caveats as the REST interface.
    let rest = token(&[r#"{"type":"interface","interface":"rest"}"#]);
    let oneclient = token(&[r#"{"type":"interface","interface":"oneclient"}"#]);
    let reply = fetch(addr, "/whoami", &[format!("X-Auth-Token: {rest}")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = fetch(addr, "/whoami", &[format!("X-Auth-Token: {oneclient}")]).await;
    assert_eq!(reply.auth_error_id(), "tokenCaveatUnverified");
    let two = [
        format!("X-Auth-Token: {rest}"),
        format!("X-Auth-Token: {oneclient}"),
    ];
    assert_eq!(fetch(addr, "/whoami", &two).await.status, 400);
}

#[tokio::test]
async fn trust_proxy_flag() {
    let addr = started(&[
        "--trust-proxy",
        "127.0.0.0/8",
        "--trust-proxy",
        "10.0.0.0/8",
    ])
    .await;
    let lines = [
        format!("X-Auth-Token: {}", token(&[])),
        "X-Forwarded-For: 6.6.6.6, 198.51.100.1, 10.0.0.7".to_owned(),
    ];
    assert_eq!(
        fetch(addr, "/whoami", &lines).await.json()["clientIp"],
        "198.51.100.1"
    );
    let untrusted = started(&[]).await;
    assert_eq!(
        fetch(untrusted, "/whoami", &lines).await.json()["clientIp"],
        "127.0.0.1"
    );
}

#[test]
fn key_from_the_environment_and_argument_errors() {
    let config = protected::Config::parse(args(&["--listen", "127.0.0.1:0"]), Some(KEY_HEX.into()))
        .expect("key from CAVEAT_KEY");
    assert_eq!(config.listen.port(), 0);
    for (list, env) in [
        (&["--listen", "127.0.0.1:0"][..], None),
        (&["--listen", "127.0.0.1:0", "--key-hex", "zz"][..], None),
        (&["--key-hex", KEY_HEX][..], None),
        (&["--listen", "nowhere", "--key-hex", KEY_HEX][..], None),
        (
            &["--listen", "127.0.0.1:0", "--trust-proxy", "10/8"][..],
            Some(KEY_HEX.to_owned()),
        ),
        (&["--listen"][..], Some(KEY_HEX.to_owned())),
        (&["--verbose"][..], Some(KEY_HEX.to_owned())),
    ] {
        assert!(
            protected::Config::parse(args(list), env).is_err(),
            "{list:?}"
        );
    }
}
