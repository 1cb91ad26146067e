//! The OAuth-style token endpoint, introspection, revocation and Insight's API tokens, over real
//! TCP against the binary and a real SQLite file.

mod common;

use std::time::Duration;

use common::{basic, eventually, Db, Server};
use serde_json::json;

const APIKEY: &str = "urn:ibm:params:oauth:grant-type:apikey";
const ME: &str = "/api/v3/onezone/user/tokens/named";

fn setup() -> (Db, Server) {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    let server = Server::start(&db, &[], &[]);
    (db, server)
}

fn password_grant(server: &Server) -> serde_json::Value {
    let r = server.post_form(
        "/token",
        &[],
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-pw"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn password_then_refresh_with_rotation_and_reuse_detection() {
    let (_db, server) = setup();
    let pair = password_grant(&server);
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 7200);
    assert!(pair["expiration"].as_u64().expect("expiration") > common::now());
    let access = pair["access_token"].as_str().expect("access").to_owned();
    let refresh1 = pair["refresh_token"].as_str().expect("refresh").to_owned();

    // The access token works as a bearer token.
    let r = server.get(ME, &[("authorization", &bearer(&access))]);
    assert_eq!(r.status, 200, "{}", r.body);

    let wrong = server.post_form(
        "/token",
        &[],
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "x"),
        ],
    );
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.json()["error"], "invalid_grant");

    // Refresh: a fresh pair; the refresh token rotates.
    let refresh = |token: &str| {
        server.post_form(
            "/token",
            &[],
            &[("grant_type", "refresh_token"), ("refresh_token", token)],
        )
    };
    let r = refresh(&refresh1);
    assert_eq!(r.status, 200, "{}", r.body);
    let access2 = r.json()["access_token"].as_str().expect("a").to_owned();
    let refresh2 = r.json()["refresh_token"].as_str().expect("r").to_owned();
    assert_ne!(refresh1, refresh2);
    assert_eq!(
        server
            .get(ME, &[("authorization", &bearer(&access2))])
            .status,
        200
    );

    // Presenting the used refresh token fails and revokes the whole family: the rotated refresh
    // token and every access token of the family stop working.
    let reused = refresh(&refresh1);
    assert_eq!(reused.status, 400);
    assert_eq!(reused.json()["error"], "invalid_grant");
    assert_eq!(refresh(&refresh2).json()["error"], "invalid_grant");
    for token in [&access, &access2] {
        let r = server.get(ME, &[("authorization", &bearer(token))]);
        assert_eq!(r.status, 401, "{}", r.body);
    }

    // Another login is another family, unaffected.
    let other = password_grant(&server);
    let r = server.get(
        ME,
        &[(
            "authorization",
            &bearer(other["access_token"].as_str().expect("a")),
        )],
    );
    assert_eq!(r.status, 200);

    let r = server.post_form("/token", &[], &[("grant_type", "client_credentials")]);
    assert_eq!(r.json()["error"], "unsupported_grant_type");
    let r = server.post_form("/token", &[], &[("grant_type", "password")]);
    assert_eq!(r.json()["error"], "invalid_request");
}

#[test]
fn an_api_key_is_exchanged_for_an_hour_and_never_more_than_it_allows() {
    let (_db, server) = setup();
    let auth = basic("alice", "alice-pw");
    let r = server.post_json(
        ME,
        &[("authorization", &auth)],
        &json!({"name": "apikey", "caveats": [{"type": "ip", "whitelist": ["127.0.0.0/8"]}]}),
    );
    let apikey = r.json()["token"].as_str().expect("apikey").to_owned();
    let r = server.post_form(
        "/token",
        &[],
        &[("grant_type", APIKEY), ("apikey", &apikey)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["expires_in"], 3600);
    assert!(r.json().get("refresh_token").is_none());
    let access = r.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();

    // It keeps the key's caveat: valid from loopback, not from elsewhere.
    let verify = |ip: &str| {
        server.post_json(
            "/api/v3/onezone/tokens/verify_access_token",
            &[],
            &json!({"token": access, "peerIp": ip}),
        )
    };
    let ok = verify("127.0.0.1");
    assert_eq!(ok.status, 200, "{}", ok.body);
    let ttl = ok.json()["ttl"].as_u64().expect("ttl");
    assert!(ttl <= 3600 && ttl > 3500, "{ttl}");
    assert_eq!(verify("10.1.2.3").error_id(), "tokenCaveatUnverified");
    let examined = server.post_json(
        "/api/v3/onezone/tokens/examine",
        &[],
        &json!({ "token": access }),
    );
    let caveats = examined.json()["caveats"].clone();
    assert_eq!(caveats[0]["whitelist"][0], "127.0.0.0/8", "{caveats}");
    assert_eq!(caveats[1]["type"], "time");

    // Introspection: active (the caller of /introspect is not the holder, so the address
    // caveat is not cleared against it).
    let auth_h = [("authorization", auth.as_str())];
    let i = server.post_form("/introspect", &auth_h, &[("token", &access)]);
    assert_eq!(i.json()["active"], true, "{}", i.body);

    // A key minted for another interface is not exchanged through the REST API.
    let r = server.post_json(
        ME,
        &[("authorization", &auth)],
        &json!({"name": "oneclient", "caveats": [{"type": "interface", "interface": "oneclient"}]}),
    );
    let oneclient = r.json()["token"].as_str().expect("key").to_owned();
    let r = server.post_form(
        "/token",
        &[],
        &[("grant_type", APIKEY), ("apikey", &oneclient)],
    );
    assert_eq!(r.json()["error"], "invalid_grant");

    // A revoked key exchanges for nothing.
    let r = server.post_form("/revoke", &[], &[("token", &apikey)]);
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server.post_form(
        "/token",
        &[],
        &[("grant_type", APIKEY), ("apikey", &apikey)],
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
}

#[test]
fn introspection_and_revocation() {
    let (_db, server) = setup();
    let auth = basic("alice", "alice-pw");
    let pair = password_grant(&server);
    let access = pair["access_token"].as_str().expect("a").to_owned();
    let refresh = pair["refresh_token"].as_str().expect("r").to_owned();

    // Introspection needs credentials.
    let r = server.post_form("/introspect", &[], &[("token", &access)]);
    assert_eq!(r.status, 401);
    let introspect = |token: &str| {
        let r = server.post_form(
            "/introspect",
            &[("authorization", &auth)],
            &[("token", token)],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let i = introspect(&access);
    assert_eq!(i["active"], true);
    assert!(i["sub"].as_str().expect("sub").starts_with("usr-"));
    assert!(i["exp"].as_u64().is_some());
    assert_eq!(introspect(&refresh)["active"], true);
    assert_eq!(introspect("garbage"), json!({"active": false}));

    // Revoking the refresh token revokes the family, access token included.
    let r = server.post_form("/revoke", &[], &[("token", &refresh)]);
    assert_eq!(r.status, 200);
    assert_eq!(introspect(&access), json!({"active": false}));
    assert_eq!(introspect(&refresh), json!({"active": false}));
    // RFC 7009: an invalid token is not an error.
    assert_eq!(
        server
            .post_form("/revoke", &[], &[("token", "garbage")])
            .status,
        200
    );
    // A temporary token outside a family cannot be revoked alone.
    let t = server.post_json(
        "/api/v3/onezone/user/tokens/temporary",
        &[("authorization", &auth)],
        &json!({"caveats": [common::time_caveat(60)]}),
    );
    let t = t.json()["token"].as_str().expect("t").to_owned();
    let r = server.post_form("/revoke", &[], &[("token", &t)]);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "unsupported_token_type");
}

#[test]
fn insight_api_tokens_create_list_use_revoke() {
    let (db, server) = setup();
    let auth = basic("alice", "alice-pw");
    let r = server.get("/api/createApiToken", &[]);
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"error": "Credentials required"}));
    assert_eq!(
        server.get("/api/getApiTokens", &[]).json()["error"],
        "Credentials required"
    );

    let r = server.get("/api/createApiToken", &[("authorization", &auth)]);
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_owned();

    // The token authenticates in X-Auth-Token; its use shows as lastUsed (ms) within 5 s.
    let list = || server.get("/api/getApiTokens", &[("x-auth-token", &token)]);
    let first = list();
    assert_eq!(first.status, 200, "{}", first.body);
    let entry = first.json()[0].clone();
    assert_eq!(first.json().as_array().map(Vec::len), Some(1));
    assert!(entry["uid"].as_str().is_some());
    assert!(entry["tokenId"].as_str().is_some());
    let created = entry["created"].as_u64().expect("created");
    assert!(created > 1_000_000_000_000, "milliseconds: {created}");
    assert!(!first.body.contains(&token), "the token is never listed");
    assert!(eventually(Duration::from_secs(5), || {
        list().json()[0]["lastUsed"].as_u64().is_some()
    }));
    drop(db);

    // Revoke: always 200; then the token no longer authenticates.
    let r = server.get("/api/revokeApiToken", &[("x-auth-token", &token)]);
    assert_eq!(r.status, 200);
    assert_eq!(list().status, 401);
    let again = server.get("/api/revokeApiToken", &[("x-auth-token", &token)]);
    assert_eq!(again.status, 200);
    let junk = server.get("/api/revokeApiToken", &[("x-auth-token", "junk")]);
    assert_eq!(junk.status, 200);
    assert_eq!(server.get("/api/revokeApiToken", &[]).status, 401);
}
