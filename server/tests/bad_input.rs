//! Bad input on every route: never a 5xx, always a JSON body, malformed bodies are 400
//! `malformedData`, bodies are bounded, unauthenticated routes are rate limited.

mod common;

use common::{basic, request, Db, Server};
use serde_json::Value;

/// Every route and method.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v3/onezone/user/tokens/temporary"),
    ("GET", "/api/v3/onezone/user/tokens/temporary"),
    ("DELETE", "/api/v3/onezone/user/tokens/temporary"),
    ("POST", "/api/v3/onezone/user/tokens/named"),
    ("GET", "/api/v3/onezone/user/tokens/named"),
    ("GET", "/api/v3/onezone/tokens/named/x"),
    ("PATCH", "/api/v3/onezone/tokens/named/x"),
    ("DELETE", "/api/v3/onezone/tokens/named/x"),
    ("GET", "/api/v3/onezone/user/tokens/named/%ff%fe"),
    ("POST", "/api/v3/onezone/tokens/verify_access_token"),
    ("POST", "/api/v3/onezone/tokens/verify_identity_token"),
    ("POST", "/api/v3/onezone/tokens/verify_invite_token"),
    ("POST", "/api/v3/onezone/tokens/examine"),
    ("POST", "/token"),
    ("POST", "/introspect"),
    ("POST", "/revoke"),
    ("GET", "/api/createApiToken"),
    ("GET", "/api/getApiTokens"),
    ("GET", "/api/revokeApiToken"),
    ("PUT", "/token"),
    ("GET", "/nothing/here"),
];

fn bodies() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        "",
        "{",
        "null",
        "[]",
        "42",
        "\"x\"",
        "{}",
        r#"{"token": 5}"#,
        r#"{"token": "cvt1_AAAA"}"#,
        r#"{"token": "x", "peerIp": "nope", "interface": "carrier-pigeon"}"#,
        r#"{"name": 1}"#,
        r#"{"name": ""}"#,
        r#"{"name": "n", "type": {"inviteToken": {}}}"#,
        r#"{"caveats": [{"type": "time", "validUntil": -1}]}"#,
        r#"{"caveats": [{"type": "time", "validUntil": 18446744073709551615}]}"#,
        r#"{"caveats": [{"type": "no-such-caveat"}]}"#,
        r#"{"caveats": "x"}"#,
        r#"{"customMetadata": [1]}"#,
        r#"{"unknown": true}"#,
        "grant_type=password",
        "grant_type=refresh_token&refresh_token=rt1.x",
        "grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=x",
        "token=%zz",
        "a=1&a=2",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    v.push(vec![0xff, 0xfe, 0x00, 0x7b]);
    v.push(format!(r#"{{"name": "{}"}}"#, "n".repeat(300)).into_bytes());
    let many: Vec<String> = (0..100)
        .map(|_| r#"{"type":"interface","interface":"rest"}"#.to_owned())
        .collect();
    v.push(format!(r#"{{"name": "many", "caveats": [{}]}}"#, many.join(",")).into_bytes());
    v
}

#[test]
fn no_input_gets_a_5xx_or_a_non_json_error() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    // A generous limit: this test is about answers, not about the limiter.
    let server = Server::start(
        &db,
        &["--rate-limit", "10000", "--rate-burst", "10000"],
        &[],
    );
    let auth = basic("alice", "alice-pw");
    let header_sets: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("authorization", auth.as_str())],
        vec![("x-auth-token", "cvt1_garbage")],
        vec![("authorization", "Bearer a"), ("x-auth-token", "b")],
        vec![("authorization", "Basic !!")],
        vec![("content-type", "text/plain")],
    ];
    let mut seen = 0;
    for (method, path) in ROUTES {
        for headers in &header_sets {
            for body in bodies() {
                let r = request(server.addr, method, path, headers, &body);
                seen += 1;
                assert!(
                    r.status < 500,
                    "{method} {path} {headers:?} {:?} -> {} {}",
                    String::from_utf8_lossy(&body),
                    r.status,
                    r.body
                );
                if r.status >= 400 {
                    let v: Value = serde_json::from_str(&r.body).unwrap_or_else(|_| {
                        panic!("{method} {path}: non-JSON error {} {:?}", r.status, r.body)
                    });
                    assert!(v.get("error").is_some(), "{method} {path}: {}", r.body);
                }
            }
        }
    }
    // A user name that does not exist costs a password check (argon2, slow in debug builds):
    // once per route, with one body.
    for (method, path) in ROUTES {
        let headers = [("authorization", "Basic Og==")];
        let r = request(server.addr, method, path, &headers, b"{}");
        assert!(r.status < 500, "{method} {path} -> {} {}", r.status, r.body);
        seen += 1;
    }
    assert!(seen > 1000);
}

#[test]
fn malformed_bodies_are_malformed_data_and_large_ones_are_refused() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    let server = Server::start(&db, &[], &[]);
    let auth = basic("alice", "alice-pw");
    let h = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let r = request(
        server.addr,
        "POST",
        "/api/v3/onezone/user/tokens/named",
        &h,
        b"{\"name\":",
    );
    assert_eq!((r.status, r.error_id()), (400, "malformedData".into()));
    // No content type at all is still read as JSON (never axum's 415).
    let r = request(
        server.addr,
        "POST",
        "/api/v3/onezone/user/tokens/named",
        &[("authorization", auth.as_str())],
        b"[1]",
    );
    assert_eq!((r.status, r.error_id()), (400, "malformedData".into()));
    let r = request(server.addr, "POST", "/token", &[], b"grant_type=password&%");
    assert_eq!(r.status, 400, "{}", r.body);
    let big = vec![b'a'; caveat_server::http::MAX_BODY + 1];
    let r = request(server.addr, "POST", "/token", &[], &big);
    assert_eq!((r.status, r.error_id()), (413, "requestTooLarge".into()));
    let r = request(server.addr, "PUT", "/token", &[], b"");
    assert_eq!((r.status, r.error_id()), (405, "methodNotAllowed".into()));
}

#[test]
fn unauthenticated_routes_are_rate_limited() {
    let db = Db::new();
    let server = Server::start(&db, &["--rate-limit", "1", "--rate-burst", "5"], &[]);
    let statuses: Vec<(u16, Option<String>)> = (0..20)
        .map(|_| {
            let r = server.post_form("/revoke", &[], &[("token", "x")]);
            (r.status, r.header("retry-after").map(str::to_owned))
        })
        .collect();
    let limited: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert!(statuses[..5].iter().all(|(s, _)| *s == 200), "{statuses:?}");
    // One token a second refills: at most a few more get through in the time of the test.
    assert!(limited.len() >= 10, "{statuses:?}");
    assert!(limited
        .iter()
        .all(|(_, retry)| retry.as_deref() == Some("1")));
}
