//! Onezone's token API over real TCP against the binary and a real SQLite file.

mod common;

use std::time::Duration;

use common::{basic, eventually, time_caveat, Db, Server, NAMED, TEMP, VERIFY};
use serde_json::{json, Value};

fn setup() -> (Db, Server, String, String) {
    let db = Db::new();
    let alice = db.add_user("alice", "alice-pw");
    let _bob = db.add_user("bob", "bob-pw");
    let server = Server::start(&db, &[], &[]);
    (db, server, basic("alice", "alice-pw"), alice)
}

fn verify(server: &Server, token: &str) -> common::Resp {
    server.post_json(VERIFY, &[], &json!({ "token": token }))
}

#[test]
fn temporary_tokens_need_a_bounded_time_caveat_and_die_with_revoke_all() {
    let (_db, server, auth, alice) = setup();
    let h = [("authorization", auth.as_str())];

    // No time caveat, or one past the maximum: tokenTimeCaveatRequired with maxTtl.
    for body in [
        json!({}),
        json!({"caveats": []}),
        json!({"caveats": [time_caveat(604_900)]}),
    ] {
        let r = server.post_json(TEMP, &h, &body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.error_id(), "tokenTimeCaveatRequired");
        assert_eq!(r.json()["error"]["details"]["maxTtl"], 604_800);
    }

    let r = server.post_json(TEMP, &h, &json!({"caveats": [time_caveat(600)]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_owned();

    let v = verify(&server, &token);
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(v.json()["subject"], json!({"type": "user", "id": alice}));
    let ttl = v.json()["ttl"].as_u64().expect("ttl");
    assert!(ttl <= 600 && ttl > 500, "{ttl}");

    // The token authenticates the API itself.
    let r = server.get(TEMP, &[("x-auth-token", &token)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({"generation": 0}));

    // Revoke-all: 204, the generation grows, the token is revoked.
    let r = request_delete(&server, TEMP, &h);
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(server.get(TEMP, &h).json(), json!({"generation": 1}));
    let v = verify(&server, &token);
    assert_eq!(v.status, 400);
    assert_eq!(v.error_id(), "tokenRevoked");
    let r = server.get(TEMP, &[("x-auth-token", &token)]);
    assert_eq!(r.status, 401, "{}", r.body);

    // A new one works again.
    let r = server.post_json(TEMP, &h, &json!({"caveats": [time_caveat(60)]}));
    let fresh = r.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(verify(&server, &fresh).status, 200);
}

fn request_delete(server: &Server, path: &str, headers: &[(&str, &str)]) -> common::Resp {
    common::request(server.addr, "DELETE", path, headers, b"")
}

fn patch(server: &Server, path: &str, headers: &[(&str, &str)], body: &Value) -> common::Resp {
    common::request(
        server.addr,
        "PATCH",
        path,
        headers,
        body.to_string().as_bytes(),
    )
}

#[test]
fn named_tokens_are_listed_examined_revoked_and_deleted_by_their_owner_only() {
    let (_db, server, auth, alice) = setup();
    let h = [("authorization", auth.as_str())];
    let bob = basic("bob", "bob-pw");
    let hb = [("authorization", bob.as_str())];

    let r = server.post_json(
        NAMED,
        &h,
        &json!({"name": "ci", "caveats": [{"type": "interface", "interface": "rest"}],
                "customMetadata": {"team": "infra"}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["tokenId"].as_str().expect("id").to_owned();
    let token = r.json()["token"].as_str().expect("token").to_owned();

    let dup = server.post_json(NAMED, &h, &json!({"name": "ci"}));
    assert_eq!(dup.status, 400);
    assert_eq!(dup.error_id(), "badValueIdentifierOccupied");
    // Bob may use the same name: names are per user.
    assert_eq!(
        server.post_json(NAMED, &hb, &json!({"name": "ci"})).status,
        201
    );
    let missing = server.post_json(NAMED, &h, &json!({}));
    assert_eq!(missing.error_id(), "missingRequiredValue");

    assert_eq!(server.get(NAMED, &h).json(), json!({"tokens": [id]}));

    let path = format!("/api/v3/onezone/tokens/named/{id}");
    let rec = server.get(&path, &h);
    assert_eq!(rec.status, 200, "{}", rec.body);
    let rec = rec.json();
    assert_eq!(rec["id"], id.as_str());
    assert_eq!(rec["name"], "ci");
    assert_eq!(rec["subject"], json!({"type": "user", "id": alice}));
    assert_eq!(rec["type"], json!({"accessToken": {}}));
    assert_eq!(rec["caveats"][0]["interface"], "rest");
    assert_eq!(rec["metadata"]["custom"], json!({"team": "infra"}));
    assert!(rec["metadata"]["creationTime"].as_u64().is_some());
    assert_eq!(rec["revoked"], false);
    assert!(
        !rec.to_string().contains(&token),
        "the token is never listed"
    );

    // Another user's token is 404, exactly as a missing one.
    let theirs = server.get(&path, &hb);
    let nothing = server.get("/api/v3/onezone/tokens/named/doesnotexist", &hb);
    assert_eq!((theirs.status, theirs.body.clone()), (404, nothing.body));
    assert_eq!(
        patch(&server, &path, &hb, &json!({"revoked": true})).status,
        404
    );
    assert_eq!(request_delete(&server, &path, &hb).status, 404);

    // The interface caveat holds for rest only.
    let ok = server.post_json(VERIFY, &[], &json!({"token": token, "interface": "rest"}));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["ttl"], Value::Null);
    let denied = server.post_json(
        VERIFY,
        &[],
        &json!({"token": token, "interface": "oneclient"}),
    );
    assert_eq!(denied.status, 400);
    assert_eq!(denied.error_id(), "tokenCaveatUnverified");

    // lastUsed appears within 5 s of the use.
    assert!(eventually(Duration::from_secs(5), || {
        server.get(&path, &h).json()["lastUsed"].as_u64().is_some()
    }));

    // Rename, revoke, reinstate.
    assert_eq!(
        patch(&server, &path, &h, &json!({"name": "ci2"})).status,
        204
    );
    assert_eq!(server.get(&path, &h).json()["name"], "ci2");
    assert_eq!(
        patch(&server, &path, &h, &json!({"revoked": true})).status,
        204
    );
    let v = server.post_json(VERIFY, &[], &json!({"token": token, "interface": "rest"}));
    assert_eq!(v.error_id(), "tokenRevoked");
    assert_eq!(server.get(&path, &h).json()["revoked"], true);
    assert_eq!(
        patch(&server, &path, &h, &json!({"revoked": false})).status,
        204
    );
    let v = server.post_json(VERIFY, &[], &json!({"token": token, "interface": "rest"}));
    assert_eq!(v.status, 200, "{}", v.body);

    // Delete: gone, and the token no longer verifies.
    assert_eq!(request_delete(&server, &path, &h).status, 204);
    assert_eq!(server.get(&path, &h).status, 404);
    let v = server.post_json(VERIFY, &[], &json!({"token": token, "interface": "rest"}));
    assert_eq!(v.error_id(), "tokenInvalid");
}

#[test]
fn identity_invite_and_examine() {
    let (_db, server, auth, alice) = setup();
    let h = [("authorization", auth.as_str())];
    let identity = server.post_json(
        NAMED,
        &h,
        &json!({"name": "id", "type": {"identityToken": {}}}),
    );
    let identity = identity.json()["token"].as_str().expect("token").to_owned();
    let r = server.post_json(
        "/api/v3/onezone/tokens/verify_identity_token",
        &[],
        &json!({ "token": identity }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["subject"]["id"], alice.as_str());
    // An identity token is not an access token.
    let r = verify(&server, &identity);
    assert_eq!(r.error_id(), "notAnAccessToken");

    let invite_type = json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": "g1"}});
    let invite = server.post_json(
        TEMP,
        &h,
        &json!({"type": invite_type, "caveats": [time_caveat(300)]}),
    );
    assert_eq!(invite.status, 201, "{}", invite.body);
    let invite = invite.json()["token"].as_str().expect("token").to_owned();
    let path = "/api/v3/onezone/tokens/verify_invite_token";
    let r = server.post_json(
        path,
        &[],
        &json!({"token": invite, "expectedInviteType": "userJoinGroup"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["type"], invite_type);
    let r = server.post_json(
        path,
        &[],
        &json!({"token": invite, "expectedInviteType": "userJoinSpace"}),
    );
    assert_eq!(r.error_id(), "notAnInviteToken");

    let r = server.post_json(
        "/api/v3/onezone/tokens/examine",
        &[],
        &json!({ "token": invite }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let e = r.json();
    assert_eq!(e["subject"], json!({"type": "user", "id": alice}));
    assert_eq!(e["type"], invite_type);
    assert_eq!(e["persistence"], json!({"temporary": {"generation": 0}}));
    assert_eq!(e["caveats"][0]["type"], "time");

    let r = server.post_json(
        "/api/v3/onezone/tokens/examine",
        &[],
        &json!({"token": "garbage"}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.error_id(), "badToken");
}

#[test]
fn wrong_credentials_and_forged_tokens_are_refused() {
    let (_db, server, _auth, _alice) = setup();
    let wrong = basic("alice", "nope");
    let r = server.get(TEMP, &[("authorization", &wrong)]);
    assert_eq!(r.status, 401);
    assert_eq!(r.error_id(), "unauthorized");
    let r = server.get(TEMP, &[]);
    assert_eq!(r.status, 401);
    let r = server.get(TEMP, &[("authorization", "Basic !!!")]);
    assert_eq!(r.status, 401);
    let r = server.get(TEMP, &[("x-auth-token", "cvt1_garbage")]);
    assert_eq!(r.status, 401, "{}", r.body);
    // A token of another server (another key) does not verify.
    let other = Db::new();
    other.add_user("alice", "alice-pw");
    let elsewhere = Server::start(&other, &[], &[]);
    let t = elsewhere.post_json(
        TEMP,
        &[("authorization", &basic("alice", "alice-pw"))],
        &json!({"caveats": [time_caveat(60)]}),
    );
    let t = t.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(verify(&server, &t).error_id(), "tokenInvalid");
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_client_address_counts() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    let auth = basic("alice", "alice-pw");
    let h = [("authorization", auth.as_str())];
    let proxied = Server::start(&db, &["--trust-proxy", "127.0.0.0/8"], &[]);
    let r = proxied.post_json(
        NAMED,
        &h,
        &json!({"name": "office", "caveats": [{"type": "ip", "whitelist": ["10.0.0.0/8"]}]}),
    );
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let from = |server: &Server, xff: Option<&str>| {
        let mut headers = vec![("x-auth-token", token.as_str())];
        if let Some(x) = xff {
            headers.push(("x-forwarded-for", x));
        }
        server.get(NAMED, &headers).status
    };
    assert_eq!(from(&proxied, Some("10.1.2.3")), 200);
    assert_eq!(from(&proxied, Some("192.0.2.7")), 401);
    assert_eq!(from(&proxied, None), 401, "the proxy itself is not in 10/8");
    // The left-most entry is whatever the client wrote: only the hop the proxy added counts.
    assert_eq!(from(&proxied, Some("10.1.2.3, 192.0.2.7")), 401);
    assert!(proxied.stop());

    // Without --trust-proxy the header is ignored.
    let direct = Server::start(&db, &[], &[]);
    assert_eq!(from(&direct, Some("10.1.2.3")), 401);
}

#[test]
fn the_maximum_ttl_is_configurable_and_sigint_stops_cleanly() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    let (ok, listing, _) = db.cli(&["user", "list"], "", &[]);
    assert!(ok && listing.starts_with("alice\t"), "{listing}");
    let server = Server::start(&db, &["--max-temporary-ttl", "60"], &[]);
    let auth = basic("alice", "alice-pw");
    let h = [("authorization", auth.as_str())];
    let r = server.post_json(TEMP, &h, &json!({"caveats": [time_caveat(300)]}));
    assert_eq!(r.error_id(), "tokenTimeCaveatRequired");
    assert_eq!(r.json()["error"]["details"]["maxTtl"], 60);
    assert_eq!(
        server
            .post_json(TEMP, &h, &json!({"caveats": [time_caveat(30)]}))
            .status,
        201
    );
    // The password grant's access token is capped by the maximum too.
    let pair = server.post_form(
        "/token",
        &[],
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-pw"),
        ],
    );
    assert_eq!(pair.json()["expires_in"], 60, "{}", pair.body);
    assert!(server.signal("-INT"), "SIGINT is a clean exit");
}
