//! The client address over real TCP on loopback: the socket peer, a trusted proxy's
//! `X-Forwarded-For` / `Forwarded`, untrusted peers, spoofed hops, IPv4-mapped and IPv6 peers,
//! and IP caveats cleared against the address found.

mod common;

use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::{Json, Router};
use caveat_token_axum::{Authenticator, ClientIp, FixedClock, ForwardedHeaders, Verified};
use common::{fetch, key, serve, serve_on, token, NOW};
use ipnet::IpNet;
use serde_json::{json, Value};
use tokio::net::TcpListener;

const IP_CAVEAT: &str = r#"{"type":"ip","whitelist":["203.0.113.0/24"]}"#;

async fn whoami(token: Verified, ClientIp(ip): ClientIp) -> Json<Value> {
    Json(json!({"subject": token.subject(), "clientIp": ip.to_string()}))
}

async fn client(ClientIp(ip): ClientIp) -> String {
    ip.to_string()
}

async fn verified(token: Verified) -> String {
    token.subject()
}

async fn raw_peer(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
    peer.ip().to_string()
}

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter().map(|n| n.parse().expect("net")).collect()
}

fn app_with(auth: &Authenticator) -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/client", get(client))
        .route("/verified", get(verified))
        .route("/raw", get(raw_peer))
        .layer(auth.layer())
}

fn app(trusted: &[&str]) -> Router {
    app_with(
        &Authenticator::builder(key())
            .clock(FixedClock::new(NOW))
            .trust_proxies(nets(trusted))
            .build(),
    )
}

fn x_auth(token: &str) -> String {
    format!("X-Auth-Token: {token}")
}

#[tokio::test]
async fn ip_caveat_holds_through_a_trusted_proxy_and_not_from_an_untrusted_peer() {
    let t = token(&[IP_CAVEAT]);
    let header = "X-Forwarded-For: 203.0.113.5";

    let behind_proxy = serve(app(&["127.0.0.0/8"])).await;
    let reply = fetch(behind_proxy, "/whoami", &[x_auth(&t), header.into()]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["clientIp"], "203.0.113.5");

    // The same header from a peer that is not a trusted proxy is ignored.
    let direct = serve(app(&["10.0.0.0/8"])).await;
    let reply = fetch(direct, "/whoami", &[x_auth(&t), header.into()]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.auth_error_id(), "tokenCaveatUnverified");
    let reply = fetch(direct, "/client", &[header]).await;
    assert_eq!(reply.body, "127.0.0.1");
}

#[tokio::test]
async fn a_spoofed_left_most_hop_is_ignored() {
    let addr = serve(app(&["127.0.0.0/8", "10.0.0.0/8"])).await;
    // The client claims 203.0.113.5; our proxy (127.0.0.1) saw 198.51.100.9.
    let spoofed = "X-Forwarded-For: 203.0.113.5, 198.51.100.9";
    let reply = fetch(
        addr,
        "/whoami",
        &[x_auth(&token(&[IP_CAVEAT])), spoofed.into()],
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.auth_error_id(), "tokenCaveatUnverified");
    assert_eq!(
        fetch(addr, "/client", &[spoofed]).await.body,
        "198.51.100.9"
    );
    // Hops that are trusted proxies are skipped, right to left, over several header lines.
    let lines = [
        "X-Forwarded-For: 6.6.6.6, 203.0.113.5",
        "X-Forwarded-For: 10.1.1.1, 10.2.2.2",
    ];
    assert_eq!(fetch(addr, "/client", &lines).await.body, "203.0.113.5");
    // A spoofed hop that is not even an address, left of the client, is never read.
    let garbage = "X-Forwarded-For: <script>, 198.51.100.9";
    assert_eq!(
        fetch(addr, "/client", &[garbage]).await.body,
        "198.51.100.9"
    );
}

#[tokio::test]
async fn forwarded_header_with_quoted_ipv6() {
    let addr = serve(app(&["127.0.0.0/8"])).await;
    let line = r#"Forwarded: for="[2001:db8:cafe::17]:4711";proto=https, for=127.0.0.2"#;
    assert_eq!(
        fetch(addr, "/client", &[line]).await.body,
        "2001:db8:cafe::17"
    );
    let line = "Forwarded: for=203.0.113.5";
    let reply = fetch(
        addr,
        "/whoami",
        &[x_auth(&token(&[IP_CAVEAT])), line.into()],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn unusable_forwarding_headers_from_a_trusted_proxy_fail_closed() {
    let addr = serve(app(&["127.0.0.0/8"])).await;
    let t = token(&[]);
    for line in [
        "X-Forwarded-For: 203.0.113.5:notaport",
        "X-Forwarded-For: 203.0.113.5,",
        "Forwarded: for=_hidden",
        "Forwarded: for=unknown",
        "Forwarded: for=\"[2001:db8::1]",
    ] {
        let reply = fetch(addr, "/whoami", &[x_auth(&t), line.into()]).await;
        assert_eq!(reply.status, 400, "{line}: {}", reply.body);
        assert_eq!(reply.error_id(), "badForwardedHeader");
        assert!(reply.json()["error"]["details"]["reason"].is_string());
        assert_eq!(reply.header("www-authenticate"), None);
        assert_eq!(fetch(addr, "/client", &[line]).await.status, 400);
    }
    // Both headers at once, when the proxy may write either.
    let both = ["X-Forwarded-For: 203.0.113.5", "Forwarded: for=203.0.113.5"];
    assert_eq!(
        fetch(addr, "/client", &both).await.error_id(),
        "badForwardedHeader"
    );
    // More hops than allowed.
    let long = format!("X-Forwarded-For: {}", ["127.0.0.9"; 40].join(","));
    assert_eq!(fetch(addr, "/client", &[long]).await.status, 400);
    // The same malformed header from an untrusted peer is simply ignored.
    let direct = serve(app(&[])).await;
    let reply = fetch(direct, "/client", &["Forwarded: for=_hidden"]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "127.0.0.1"));
}

#[tokio::test]
async fn only_the_configured_header_is_read() {
    let auth = Authenticator::builder(key())
        .clock(FixedClock::new(NOW))
        .trust_proxies(nets(&["127.0.0.0/8"]))
        .forwarded_headers(ForwardedHeaders::Forwarded)
        .build();
    let addr = serve(app_with(&auth)).await;
    let both = ["X-Forwarded-For: 6.6.6.6", "Forwarded: for=203.0.113.5"];
    assert_eq!(fetch(addr, "/client", &both).await.body, "203.0.113.5");
    let xff = ["X-Forwarded-For: 6.6.6.6"];
    assert_eq!(fetch(addr, "/client", &xff).await.body, "127.0.0.1");
}

/// A listener on `::ffff:127.0.0.1` that accepts IPv4 connections as IPv4-mapped peers.
fn mapped_listener() -> TcpListener {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV6, Type::STREAM, None).expect("socket");
    socket.set_only_v6(false).expect("dual stack");
    let mapped = Ipv6Addr::from([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    socket
        .bind(&SocketAddrV6::new(mapped, 0, 0, 0).into())
        .expect("bind ::ffff:127.0.0.1");
    socket.listen(16).expect("listen");
    socket.set_nonblocking(true).expect("nonblocking");
    TcpListener::from_std(socket.into()).expect("tokio listener")
}

#[tokio::test]
async fn ipv4_mapped_peers_are_read_as_ipv4() {
    let listener = mapped_listener();
    let port = listener.local_addr().expect("addr").port();
    serve_on(listener, app(&["127.0.0.0/8"])).await;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // The socket peer really is IPv4-mapped IPv6.
    assert_eq!(
        fetch(addr, "/raw", common::NONE).await.body,
        "::ffff:127.0.0.1"
    );
    assert_eq!(fetch(addr, "/client", common::NONE).await.body, "127.0.0.1");
    // An IPv4 caveat holds for it, and it is a trusted proxy of an IPv4 network.
    let loopback = r#"{"type":"ip","whitelist":["127.0.0.0/8"]}"#;
    let reply = fetch(addr, "/whoami", &[x_auth(&token(&[loopback]))]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let line = "X-Forwarded-For: 203.0.113.5";
    let reply = fetch(
        addr,
        "/whoami",
        &[x_auth(&token(&[IP_CAVEAT])), line.into()],
    )
    .await;
    assert_eq!(reply.json()["clientIp"], "203.0.113.5");
    // A mapped address in the header is IPv4 too.
    let line = "X-Forwarded-For: ::ffff:203.0.113.5";
    assert_eq!(fetch(addr, "/client", &[line]).await.body, "203.0.113.5");
}

#[tokio::test]
async fn ipv6_loopback_peer() {
    let Ok(listener) = TcpListener::bind("[::1]:0").await else {
        // A machine without IPv6 loopback has nothing to test here.
        eprintln!("no ::1 on this machine; skipped");
        return;
    };
    let addr = serve_on(listener, app(&[])).await;
    assert_eq!(fetch(addr, "/client", common::NONE).await.body, "::1");
    let v6 = r#"{"type":"ip","whitelist":["::1/128"]}"#;
    let reply = fetch(addr, "/whoami", &[x_auth(&token(&[v6]))]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = fetch(addr, "/whoami", &[x_auth(&token(&[IP_CAVEAT]))]).await;
    assert_eq!(reply.auth_error_id(), "tokenCaveatUnverified");
}

#[tokio::test]
async fn without_connect_info_the_address_is_unknown_and_ip_caveats_fail_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = app(&[]);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    let reply = fetch(addr, "/client", common::NONE).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.error_id(), "clientAddressUnknown");
    let reply = fetch(addr, "/verified", &[x_auth(&token(&[]))]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "usr-alice"));
    let reply = fetch(addr, "/verified", &[x_auth(&token(&[IP_CAVEAT]))]).await;
    assert_eq!(reply.auth_error_id(), "tokenCaveatUnverified");
}
